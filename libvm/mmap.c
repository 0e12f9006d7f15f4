/* mmap.c - an address space's VMAs: find_vma, get_unmapped_area, split and
 * merge, and the system calls that change them (mmap, munmap, mprotect,
 * brk, madvise), with Linux's argument checks and errno values; stack
 * growth; exit_mmap. The layout they keep is drawn in include/vm/mm.h.
 *
 * Each mm keeps its VMAs twice, as the seeds' 2.4 kernel did: a list
 * sorted by address (mm->mmap, vm_next/vm_prev), which walks and gap
 * searches follow, and an AVL tree by vm_start (mm->mm_avl), which
 * find_vma descends in O(log n). mm->mmap_cache remembers the last VMA
 * found, since faults come in runs on one VMA.
 *
 * Callers hold mm->mmap_lock; the mm_* entry points at the end take it.
 */
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>

#include "internal.h"

static const long vma_key = AVL_KEY_OFFSET(struct vm_area_struct, vm_avl, vm_start);

#define TASK_UNMAPPED_BASE	(PAGE_OFFSET / 3)	/* bottom-up fallback: 0x40000000 */
#define PAGE_ALIGN(x)		(((x) + PAGE_SIZE - 1) & (uint32_t)PAGE_MASK)

static inline struct vm_area_struct *VMA(uint32_t pa)
{
	return pa ? (struct vm_area_struct *)__va(pa) : NULL;
}

static inline uint32_t vma_pa(const struct vm_area_struct *vma)
{
	return vma ? (uint32_t)__pa(vma) : 0;
}

struct vm_area_struct *vma_next(const struct vm_area_struct *vma)
{
	return VMA(vma->vm_next);
}

struct vm_area_struct *vma_prev(const struct vm_area_struct *vma)
{
	return VMA(vma->vm_prev);
}

static inline uint32_t vma_pages(const struct vm_area_struct *vma)
{
	return (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
}

/* Where a VMA's reach starts: a stack keeps the guard gap below it free. */
static inline uint32_t vm_start_gap(const struct vm_area_struct *vma)
{
	uint32_t start = vma->vm_start;

	if (vma->vm_flags & VM_GROWSDOWN)
		start = start > STACK_GUARD_GAP ? start - STACK_GUARD_GAP : 0;
	return start;
}

void mm_init_caches(void)
{
	struct task_table *tt = &vm_kdata->tasks;

	tt->mm_cache = (uint32_t)__pa(kmem_cache_create("mm_struct", sizeof(struct mm_struct),
							  0, SLAB_PANIC, NULL));
	tt->vma_cache = (uint32_t)__pa(kmem_cache_create("vm_area_struct",
							   sizeof(struct vm_area_struct), 0,
							   SLAB_PANIC, NULL));
	tt->anon_vma_cache = (uint32_t)__pa(kmem_cache_create("anon_vma", sizeof(struct anon_vma),
								0, SLAB_PANIC, NULL));
	if (vm_pae())
		tt->pgd_cache = (uint32_t)__pa(kmem_cache_create("pgd_cache", 32, 32,
								   SLAB_PANIC, NULL));
}

static struct kmem_cache *vma_cachep(void)
{
	return __va(vm_kdata->tasks.vma_cache);
}

/* ---- finding ------------------------------------------------------------ */

struct vm_area_struct *find_vma(struct mm_struct *mm, uint32_t addr)
{
	struct vm_area_struct *vma = VMA(mm->mmap_cache);
	uint32_t pa;

	if (vma && vma->vm_start <= addr && addr < vma->vm_end)
		return vma;
	pa = avl_floor(&mm->mm_avl, vma_key, addr);
	vma = pa ? VMA(pa) : NULL;
	if (vma && addr < vma->vm_end) {
		mm->mmap_cache = pa;
		return vma;
	}
	/* addr lies in a hole: the VMA above it, if any */
	return vma ? vma_next(vma) : VMA(mm->mmap);
}

/* ---- linking ------------------------------------------------------------ */

/* Into the tree and the list; the caller checked it overlaps nothing. */
void vma_link(struct mm_struct *mm, struct vm_area_struct *vma)
{
	uint32_t pa = vma_pa(vma), prev_pa = avl_floor(&mm->mm_avl, vma_key, vma->vm_start);
	struct vm_area_struct *prev = VMA(prev_pa), *next = prev ? vma_next(prev) : VMA(mm->mmap);

	BUG_ON(avl_insert(&mm->mm_avl, pa, vma_key) != 0);
	vma->vm_prev = prev_pa;
	vma->vm_next = vma_pa(next);
	if (prev)
		prev->vm_next = pa;
	else
		mm->mmap = pa;
	if (next)
		next->vm_prev = pa;
	vma->vm_mm = (uint32_t)__pa(mm);
}

static void vma_unlink(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *prev = vma_prev(vma), *next = vma_next(vma);

	avl_erase(&mm->mm_avl, vma_pa(vma));
	if (prev)
		prev->vm_next = vma->vm_next;
	else
		mm->mmap = vma->vm_next;
	if (next)
		next->vm_prev = vma->vm_prev;
	if (mm->mmap_cache == vma_pa(vma))
		mm->mmap_cache = 0;
	vma->vm_next = vma->vm_prev = 0;
}

bool vma_on_list(struct mm_struct *mm, const struct vm_area_struct *vma)
{
	uint32_t pa, n = 0, want = vma_pa(vma);

	for (pa = mm->mmap; pa && n++ < mm->mm_avl.count + 2; pa = VMA(pa)->vm_next)
		if (pa == want)
			return true;
	return false;
}

/* A VMA off the mm's list and tree goes, with its place on its
 * anon_vma's list; noted (by the caller too, before it unlinks it) so a
 * kill in between loses neither. */
static void vma_free(struct mm_struct *mm, struct vm_area_struct *vma)
{
	mm_inflight_obj(&mm->inflight_vma, vma);
	unlink_anon_vma(mm, vma);
	i_mmap_unlink(vma);
	kmem_cache_free(vma_cachep(), vma);
	mm_inflight_obj(&mm->inflight_vma, NULL);
}

/* The VMA a dead owner was making or freeing: free it unless it got
 * linked (the exit frees it then) or freed already. */
void vma_inflight_release(struct mm_struct *mm)
{
	uint32_t note = mm->inflight_vma;
	struct vm_area_struct *vma = VMA(note & ~VM_CLAIM_FRESH);

	if (!vma)
		return;
	mm->inflight_vma = 0;
	if (note & VM_CLAIM_FRESH) {
		/* just allocated, nothing points at it yet: unless the kill
		 * came before it left the freelist */
		kmem_cache_free_claimed(vma_cachep(), vma);
		return;
	}
	if (kmem_cache_obj_is_free(vma_cachep(), vma) || vma->vm_mm != (uint32_t)__pa(mm) ||
	    vma_on_list(mm, vma))
		return;
	unlink_anon_vma(mm, vma);
	i_mmap_unlink(vma);
	kmem_cache_free(vma_cachep(), vma);
}

static void vm_stat_account(struct mm_struct *mm, uint32_t flags, long pages)
{
	mm->total_vm += pages;
	if (flags & VM_GROWSDOWN)
		mm->stack_vm += pages;
	if (mm->total_vm > mm->hiwater_vm)
		mm->hiwater_vm = mm->total_vm;
}

/* Can two neighbours become one VMA? Same rights, both anonymous, and
 * one reverse map between them: the same anon_vma, or one has none yet
 * (so no pages) and takes the other's. */
static bool can_merge(const struct vm_area_struct *a, const struct vm_area_struct *b)
{
	return a && b && a->vm_end == b->vm_start && a->vm_flags == b->vm_flags &&
	       !a->vm_file && !b->vm_file &&
	       (a->anon_vma == b->anon_vma || !a->anon_vma || !b->anon_vma);
}

/* The VMA that stays takes the anon_vma of the one that goes. */
static void merge_anon_vma(struct vm_area_struct *keep, const struct vm_area_struct *gone)
{
	if (!keep->anon_vma && gone->anon_vma)
		anon_vma_link(keep, gone->anon_vma);
}

/* Merge vma with its neighbours where they allow it (vma_merge); the VMA
 * that remains. The tree key of the lower one never changes. */
static struct vm_area_struct *vma_merge_around(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *prev = vma_prev(vma), *next = vma_next(vma);

	if (can_merge(vma, next)) {
		merge_anon_vma(vma, next);
		vma->vm_end = next->vm_end;
		mm_inflight_obj(&mm->inflight_vma, next);
		vma_unlink(mm, next);
		vma_free(mm, next);
	}
	if (can_merge(prev, vma)) {
		merge_anon_vma(prev, vma);
		prev->vm_end = vma->vm_end;
		mm_inflight_obj(&mm->inflight_vma, vma);
		vma_unlink(mm, vma);
		vma_free(mm, vma);
		vma = prev;
	}
	return vma;
}

/* Split vma at addr (page aligned, strictly inside): vma keeps the lower
 * part, a new VMA the upper. 0 or -ENOMEM. */
static int __split_vma(struct mm_struct *mm, struct vm_area_struct *vma, uint32_t addr)
{
	struct vm_area_struct *upper;

	vm_claim_obj = &mm->inflight_vma;
	upper = kmem_cache_alloc(vma_cachep(), GFP_KERNEL);
	vm_claim_obj = NULL;
	if (!upper)
		return -ENOMEM;
	*upper = *vma;
	upper->anon_vma = upper->anon_vma_next = 0;
	mm_inflight_obj(&mm->inflight_vma, upper);
	memset(&upper->vm_avl, 0, sizeof(upper->vm_avl));
	upper->vm_start = addr;
	upper->vm_pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	anon_vma_link(upper, vma->anon_vma);
	if (upper->vm_file)
		i_mmap_link(upper);
	/* linked before the lower part shrinks: a kill in between leaves
	 * the two overlapping, never a range that no VMA covers (whose
	 * pages no exit would unmap) */
	vma_link(mm, upper);
	mm_inflight_obj(&mm->inflight_vma, NULL);
	vma->vm_end = addr;
	return 0;
}

static int split_vma(struct mm_struct *mm, struct vm_area_struct *vma, uint32_t addr)
{
	if (mm->mm_avl.count >= mm->map_count_max)
		return -ENOMEM;
	return __split_vma(mm, vma, addr);
}

/* ---- placing ------------------------------------------------------------ */

/* Is [addr, addr + len) free, the stack's guard gap included? */
static bool range_free(struct mm_struct *mm, uint32_t addr, uint32_t len)
{
	struct vm_area_struct *next = find_vma(mm, addr), *prev;

	if (next && (uint64_t)addr + len > vm_start_gap(next))
		return false;
	prev = next ? vma_prev(next) : VMA(avl_last(&mm->mm_avl));
	return !prev || prev->vm_end <= addr;
}

/* Top down from mmap_base, then bottom up from TASK_UNMAPPED_BASE, as
 * Linux's legacy layout falls back. */
static long unmapped_area_topdown(struct mm_struct *mm, uint32_t len)
{
	uint32_t hi = mm->mmap_base, pa = avl_floor(&mm->mm_avl, vma_key, hi - 1);
	struct vm_area_struct *below = VMA(pa), *above;

	/* a VMA across mmap_base bounds the first gap from above */
	if (below && below->vm_end > hi)
		hi = below->vm_start, below = vma_prev(below);
	above = below ? vma_next(below) : VMA(mm->mmap);
	for (;;) {
		uint32_t lo = below ? below->vm_end : MMAP_MIN_ADDR;
		uint32_t top = hi;

		if (above && vm_start_gap(above) < top)
			top = vm_start_gap(above);
		if (top >= lo && top - lo >= len)
			return (long)((top - len) & (uint32_t)PAGE_MASK);
		if (!below)
			break;
		hi = below->vm_start;
		above = below;
		below = vma_prev(below);
	}
	return -ENOMEM;
}

static long unmapped_area_bottomup(struct mm_struct *mm, uint32_t len)
{
	uint32_t addr = TASK_UNMAPPED_BASE;
	struct vm_area_struct *vma;

	for (vma = find_vma(mm, addr);; vma = vma_next(vma)) {
		uint64_t top = vma ? vm_start_gap(vma) : mm->task_size;

		if (vma && vma->vm_start <= addr) {
			addr = vma->vm_end;
			continue;
		}
		if ((uint64_t)addr + len <= top)
			return addr;
		if (!vma)
			return -ENOMEM;
		addr = vma->vm_end;
	}
}

long get_unmapped_area(struct mm_struct *mm, uint32_t addr, uint32_t len, int flags)
{
	long r;

	if (len > mm->task_size - MMAP_MIN_ADDR)
		return -ENOMEM;
	if (flags & MAP_FIXED) {
		if (addr > mm->task_size - len)
			return -ENOMEM;
		return addr;
	}
	if (addr) {
		addr = PAGE_ALIGN(addr);
		if (addr >= MMAP_MIN_ADDR && addr && addr <= mm->task_size - len &&
		    range_free(mm, addr, len))
			return addr;
	}
	r = unmapped_area_topdown(mm, len);
	if (r < 0)
		r = unmapped_area_bottomup(mm, len);
	return r;
}

/* ---- unmapping ---------------------------------------------------------- */

/* A shared file mapping's pages reach the file when it goes (Pintos's
 * munmap and exit; Linux leaves them to writeback, but the host's own
 * read(2) does not see this page cache). */
static void unmap_writeback(struct mm_struct *mm, struct vm_area_struct *vma)
{
	if (vma->vm_file && (vma->vm_flags & VM_SHARED))
		filemap_sync_vma(mm, vma, vma->vm_start, vma->vm_end);
}

static void remove_vma(struct mm_struct *mm, struct vm_area_struct *vma)
{
	unmap_writeback(mm, vma);
	zap_page_range(mm, vma, vma->vm_start, vma->vm_end);
	vm_stat_account(mm, vma->vm_flags, -(long)vma_pages(vma));
	mm_inflight_obj(&mm->inflight_vma, vma);
	vma_unlink(mm, vma);
	vma_free(mm, vma);
}

/* Unmap [start, start + len): split the VMAs at both ends, remove those
 * inside. 0 or -ENOMEM (a split needed a VMA there was none for). */
static int do_munmap(struct mm_struct *mm, uint32_t start, uint32_t len)
{
	uint32_t end = start + len;
	struct vm_area_struct *vma = find_vma(mm, start), *next;
	int err;

	if (!vma || vma->vm_start >= end)
		return 0;
	if (vma->vm_start < start) {
		/* splitting a VMA in the middle makes one more */
		if (vma->vm_end > end && mm->mm_avl.count >= mm->map_count_max)
			return -ENOMEM;
		err = __split_vma(mm, vma, start);
		if (err)
			return err;
		vma = vma_next(vma);
	}
	next = find_vma(mm, end);
	if (next && next->vm_start < end) {
		err = __split_vma(mm, next, end);
		if (err)
			return err;
	}
	while (vma && vma->vm_start < end) {
		next = vma_next(vma);
		remove_vma(mm, vma);
		vma = next;
	}
	return 0;
}

/* The whole address space goes: frames through the list of VMAs, then
 * whatever tables are left. The tree is not kept up on the way (the mm
 * dies with it), so a guest killed in the middle of changing it still
 * exits; the walk is bounded in case the list was cut mid-link. The head
 * of the list moves past each VMA before it is freed, so an exit that is
 * itself killed can be run again by the reaper from where it stopped. */
void exit_mmap(struct mm_struct *mm)
{
	struct vm_area_struct *vma, *next;
	uint32_t guard = mm->mm_avl.count + 2;

	mm_inflight_release(mm);
	mm->mmap_cache = 0;
	for (vma = VMA(mm->mmap); vma && guard--; vma = next) {
		next = vma_next(vma);
		unmap_writeback(mm, vma);
		zap_page_range(mm, vma, vma->vm_start, vma->vm_end);
		mm_inflight_obj(&mm->inflight_vma, vma);
		mm->mmap = vma_pa(next);
		vma_free(mm, vma);
	}
	mm->mmap = 0;
	mm->mm_avl.node = mm->mm_avl.count = 0;
	mm->total_vm = mm->stack_vm = 0;
	pgd_free(mm);
}

/* ---- mapping ------------------------------------------------------------ */

static uint32_t calc_vm_flags(int prot, int flags)
{
	uint32_t f = VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;

	if (prot & PROT_READ)
		f |= VM_READ;
	if (prot & PROT_WRITE)
		f |= VM_WRITE;
	if (prot & PROT_EXEC)
		f |= VM_EXEC;
	if ((flags & MAP_TYPE) != MAP_PRIVATE)
		f |= VM_SHARED | VM_MAYSHARE;
	if (flags & MAP_GROWSDOWN)
		f |= VM_GROWSDOWN;
	if (flags & MAP_NORESERVE)
		f |= VM_NORESERVE;
	else if (!(f & VM_SHARED) && (f & VM_WRITE))
		f |= VM_ACCOUNT;
	if (flags & MAP_LOCKED)
		f |= VM_LOCKED;
	return f;
}

/* Fault in every page of [start, end) now (MAP_POPULATE, MADV_WILLNEED):
 * a write fault where the VMA allows one, so a private page is ready to
 * write, and the host mapping too when the mm is this process's. */
static int populate_range(struct mm_struct *mm, struct vm_area_struct *vma, uint32_t start,
			  uint32_t end, bool untouched_only)
{
	/* a write fault where a write would copy (private) or where the
	 * memory has no other home (shared anonymous); a shared file page is
	 * read in, not dirtied (Linux populates with FOLL_WRITE only for
	 * private writable mappings) */
	bool write = (vma->vm_flags & VM_WRITE) && (!vma->vm_file || !(vma->vm_flags & VM_SHARED));
	unsigned err = X86_PF_USER | (write ? X86_PF_WRITE : 0);
	struct tlb_fill fill;
	uint32_t a;

	if (!(vma->vm_flags & VM_ACCESS_FLAGS))
		return 0;
	for (a = start; a < end && a >= start;) {
		uint64_t pte = untouched_only ? pte_lookup(mm, a) : 0;

		if (pte && !pte_none(pt_read(pte))) {
			a += PAGE_SIZE;		/* present, or in swap: it has its page */
			continue;
		}
		if (handle_mm_fault(mm, a, err, &fill) != VM_FAULT_OK)
			return -ENOMEM;
		if (mm_is_current(mm))
			tlb_install(&fill);
		a = fill.va + fill.npages * PAGE_SIZE;
		if (a <= fill.va)
			break;
	}
	return 0;
}

/* A VMA of anonymous memory over the free range [addr, addr + len),
 * merged with its neighbours where they allow (a stack stays apart);
 * the VMA that holds it, or NULL. */
static struct vm_area_struct *new_vma(struct mm_struct *mm, uint32_t addr, uint32_t len,
				      uint32_t vm_flags, struct address_space *file, uint32_t pgoff)
{
	struct vm_area_struct *vma;

	vm_claim_obj = &mm->inflight_vma;
	vma = kmem_cache_zalloc(vma_cachep(), GFP_KERNEL);
	vm_claim_obj = NULL;
	if (!vma)
		return NULL;
	vma->vm_mm = (uint32_t)__pa(mm);
	mm_inflight_obj(&mm->inflight_vma, vma);
	vma->vm_start = addr;
	vma->vm_end = addr + len;
	vma->vm_flags = vm_flags;
	vma->vm_pgoff = file ? pgoff : addr >> PAGE_SHIFT;
	if (file) {
		vma->vm_file = (uint32_t)__pa(file);
		i_mmap_link(vma);
	}
	vma_link(mm, vma);
	mm_inflight_obj(&mm->inflight_vma, NULL);
	vm_stat_account(mm, vm_flags, len >> PAGE_SHIFT);
	/* file mappings stay apart (Linux merges those of one file whose
	 * offsets follow on; nothing here needs it) */
	return (vm_flags & VM_GROWSDOWN) || file ? vma : vma_merge_around(mm, vma);
}

/* vm.overcommit_memory = 0, Linux's heuristic: refuse only a request
 * that could never fit, more pages than RAM and swap together. */
static int vm_enough_memory(uint32_t pages)
{
	unsigned long total = 0;
	unsigned z;

	for (z = 0; z < MAX_NR_ZONES; z++)
		total += NODE_DATA()->node_zones[z].managed_pages;
	total += total_swap_pages();
	return pages > total ? -ENOMEM : 0;
}

/* do_mmap with the lock held: the address, or -errno. */
static long do_mmap(struct mm_struct *mm, uint32_t addr, uint32_t len, int prot, int flags,
		    struct address_space *file, uint32_t pgoff, bool shared_ro)
{
	struct vm_area_struct *vma, *old;
	uint32_t vm_flags = calc_vm_flags(prot, flags);

	if (shared_ro)
		vm_flags &= ~(VM_MAYWRITE | VM_SHARED);	/* as Linux: never writable */
	long r;
	int err;

	r = get_unmapped_area(mm, addr, len, flags);
	if (r < 0)
		return r;
	addr = (uint32_t)r;
	if ((flags & MAP_FIXED) && addr < MMAP_MIN_ADDR)
		return -EPERM;		/* below vm.mmap_min_addr */
	if (flags & MAP_FIXED_NOREPLACE) {
		old = find_vma(mm, addr);
		if (old && old->vm_start < addr + len)
			return -EEXIST;
	}
	if (mm->mm_avl.count >= mm->map_count_max)
		return -ENOMEM;
	if ((vm_flags & VM_ACCOUNT) && vm_enough_memory(len >> PAGE_SHIFT))
		return -ENOMEM;
	if (flags & MAP_FIXED) {
		err = do_munmap(mm, addr, len);
		if (err)
			return err;
	}
	vma = new_vma(mm, addr, len, vm_flags, file, pgoff);
	if (!vma)
		return -ENOMEM;
	if ((flags & (MAP_POPULATE | MAP_NONBLOCK)) == MAP_POPULATE)
		populate_range(mm, vma, addr, addr + len, false);
	return addr;
}

#define MAP_KNOWN_FLAGS	(MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS | MAP_GROWSDOWN | \
			 MAP_DENYWRITE | MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE | \
			 MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | \
			 MAP_FIXED_NOREPLACE)

long mm_mmap(struct mm_struct *mm, uint32_t addr, uint32_t len, int prot, int flags,
	     int fd, uint64_t off)
{
	int type = flags & MAP_TYPE, err;
	struct address_space *file = NULL;
	bool shared_ro = false;
	uint32_t rlen;
	long r;

	/* ksys_mmap_pgoff and do_mmap's checks, in their order */
	if (off & (PAGE_SIZE - 1))
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS) && (fd < 0 || fcntl(fd, F_GETFD) < 0))
		return -EBADF;			/* Linux's fget comes first */
	if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (type == MAP_SHARED_VALIDATE && (flags & ~MAP_KNOWN_FLAGS))
		return -EOPNOTSUPP;
	if (flags & MAP_HUGETLB)
		return -EINVAL;			/* no hugetlbfs */
	if (type != MAP_PRIVATE && (flags & MAP_GROWSDOWN))
		return -EINVAL;
	if (!len)
		return -EINVAL;
	if (flags & MAP_FIXED_NOREPLACE)
		flags |= MAP_FIXED;
	if ((flags & MAP_FIXED) && (addr & (PAGE_SIZE - 1)))
		return -EINVAL;
	rlen = PAGE_ALIGN(len);
	if (!rlen)
		return -ENOMEM;			/* len rounds past 4 GiB */
	if (off + rlen < off || (off >> PAGE_SHIFT) + (rlen >> PAGE_SHIFT) > UINT32_MAX)
		return -EOVERFLOW;
	if (!(flags & MAP_ANONYMOUS)) {
		if (fd < 0)
			return -EBADF;
		err = filemap_get(mm, fd, prot, flags, &file, &shared_ro);
		if (err)
			return err;
	}
	if ((prot & PROT_EXEC) && ram_noexec()) {
		printk("mmap: PROT_EXEC refused: the RAM file %s is on a noexec mount", vm_ram_path());
		r = -EPERM;
		goto out;
	}
	mmap_lock_own(mm);
	r = do_mmap(mm, addr, rlen, prot, flags, file, (uint32_t)(off >> PAGE_SHIFT), shared_ro);
	vm_lock_release(&mm->mmap_lock);
out:
	if (file)
		filemap_put(mm, file);	/* the VMA holds its own pin */
	return r;
}

int mm_munmap(struct mm_struct *mm, uint32_t addr, uint32_t len)
{
	int err;

	if ((addr & (PAGE_SIZE - 1)) || !len)
		return -EINVAL;
	len = PAGE_ALIGN(len);
	if (!len || addr >= mm->task_size || len > mm->task_size - addr)
		return -EINVAL;
	mmap_lock_own(mm);
	err = do_munmap(mm, addr, len);
	vm_lock_release(&mm->mmap_lock);
	return err;
}

/* ---- mprotect ----------------------------------------------------------- */

static int mprotect_fixup(struct mm_struct *mm, struct vm_area_struct **pvma, uint32_t start,
			  uint32_t end, uint32_t newflags)
{
	struct vm_area_struct *vma = *pvma;
	int err;

	if (newflags == vma->vm_flags)
		return 0;
	if (start > vma->vm_start) {
		err = split_vma(mm, vma, start);
		if (err)
			return err;
		vma = vma_next(vma);
	}
	if (end < vma->vm_end) {
		err = split_vma(mm, vma, end);
		if (err)
			return err;
	}
	if (newflags & VM_WRITE && !(newflags & VM_SHARED) && !(newflags & VM_NORESERVE))
		newflags |= VM_ACCOUNT;
	vma->vm_flags = newflags;
	change_protection(mm, vma, vma->vm_start, vma->vm_end);
	*pvma = vma_merge_around(mm, vma);
	return 0;
}

int mm_mprotect(struct mm_struct *mm, uint32_t start, uint32_t len, int prot)
{
	struct vm_area_struct *vma;
	uint32_t end, nstart, tmp;
	int err = 0;

	if (start & (PAGE_SIZE - 1))
		return -EINVAL;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	if (!len)
		return 0;
	if ((prot & PROT_EXEC) && ram_noexec())
		return -EPERM;
	len = PAGE_ALIGN(len);
	end = start + len;
	if (!len || end <= start)
		return -ENOMEM;
	mmap_lock_own(mm);
	vma = find_vma(mm, start);
	if (!vma || vma->vm_start > start) {
		err = -ENOMEM;
		goto out;
	}
	for (nstart = start;;) {
		uint32_t newflags = (vma->vm_flags & ~VM_ACCESS_FLAGS) |
				    (calc_vm_flags(prot, MAP_PRIVATE) & VM_ACCESS_FLAGS);

		if ((newflags & VM_WRITE) && !(vma->vm_flags & VM_MAYWRITE)) {
			err = -EACCES;
			break;
		}
		tmp = vma->vm_end < end ? vma->vm_end : end;
		err = mprotect_fixup(mm, &vma, nstart, tmp, newflags);
		if (err)
			break;
		nstart = tmp;
		if (nstart >= end)
			break;
		/* the rest must be mapped with no hole, or ENOMEM */
		while (vma && vma->vm_end <= nstart)
			vma = vma_next(vma);
		if (!vma || vma->vm_start != nstart) {
			err = -ENOMEM;
			break;
		}
	}
out:
	vm_lock_release(&mm->mmap_lock);
	return err;
}

/* ---- the heap ----------------------------------------------------------- */

/* Grow the heap VMA (or make it) to cover [addr, addr + len). */
static int do_brk_flags(struct mm_struct *mm, uint32_t addr, uint32_t len)
{
	const uint32_t flags = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC |
			       VM_ACCOUNT;

	if (mm->mm_avl.count >= mm->map_count_max || vm_enough_memory(len >> PAGE_SHIFT))
		return -ENOMEM;
	return new_vma(mm, addr, len, flags, NULL, 0) ? 0 : -ENOMEM;
}

/* brk(2): the break moves to brk if it can; the break after. Shrinking
 * unmaps the pages above the new break, so touching them faults. */
uint32_t mm_brk(struct mm_struct *mm, uint32_t brk)
{
	uint32_t newbrk, oldbrk, ret;
	struct vm_area_struct *next;

	mmap_lock_own(mm);
	ret = mm->brk;
	if (brk < mm->start_brk || brk > mm->mmap_base)
		goto out;
	newbrk = PAGE_ALIGN(brk);
	oldbrk = PAGE_ALIGN(mm->brk);
	if (newbrk == oldbrk) {
		mm->brk = ret = brk;
		goto out;
	}
	if (brk <= mm->brk) {
		if (do_munmap(mm, newbrk, oldbrk - newbrk) == 0)
			mm->brk = ret = brk;
		goto out;
	}
	/* room up to the next VMA, a page (and a stack's gap) kept free */
	next = find_vma(mm, oldbrk);
	if (next && (uint64_t)newbrk + PAGE_SIZE > vm_start_gap(next))
		goto out;
	if (do_brk_flags(mm, oldbrk, newbrk - oldbrk) == 0)
		mm->brk = ret = brk;
out:
	vm_lock_release(&mm->mmap_lock);
	return ret;
}

/* ---- the stack ---------------------------------------------------------- */

int expand_stack(struct mm_struct *mm, struct vm_area_struct *vma, uint32_t addr)
{
	struct vm_area_struct *prev = vma_prev(vma);
	uint32_t new_start = addr & (uint32_t)PAGE_MASK;
	uint32_t grow;

	if (new_start >= vma->vm_start)
		return 0;
	if (new_start < MMAP_MIN_ADDR)
		return -ENOMEM;
	/* the guard gap: keep stack_guard_gap below the stack free */
	if (prev && (uint64_t)prev->vm_end + STACK_GUARD_GAP > new_start)
		return -ENOMEM;
	if (vma->vm_end - new_start > mm->stack_rlimit)
		return -ENOMEM;
	grow = (vma->vm_start - new_start) >> PAGE_SHIFT;
	/* the key moves down: re-seat the node (neighbours do not change) */
	avl_erase(&mm->mm_avl, vma_pa(vma));
	vma->vm_start = new_start;
	vma->vm_pgoff -= grow;
	memset(&vma->vm_avl, 0, sizeof(vma->vm_avl));
	BUG_ON(avl_insert(&mm->mm_avl, vma_pa(vma), vma_key) != 0);
	vm_stat_account(mm, vma->vm_flags, grow);
	return 0;
}

/* ---- madvise ------------------------------------------------------------ */

int mm_madvise(struct mm_struct *mm, uint32_t start, uint32_t len, int advice)
{
	struct vm_area_struct *vma;
	uint32_t end, s, e;
	int err = 0;

	switch (advice) {
	case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL:
	case MADV_WILLNEED: case MADV_DONTNEED: case MADV_FREE:
		break;
	default:
		return -EINVAL;
	}
	if (start & (PAGE_SIZE - 1))
		return -EINVAL;
	if (len && !PAGE_ALIGN(len))
		return -EINVAL;
	len = PAGE_ALIGN(len);
	end = start + len;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	mmap_lock_own(mm);
	vma = find_vma(mm, start);
	if (!vma) {
		err = -ENOMEM;
		goto out;
	}
	for (s = start; vma && vma->vm_start < end; vma = vma_next(vma)) {
		if (vma->vm_start > s)
			err = -ENOMEM;		/* a hole: the rest is still done */
		s = vma->vm_start > start ? vma->vm_start : start;
		e = vma->vm_end < end ? vma->vm_end : end;
		switch (advice) {
		case MADV_DONTNEED:
		case MADV_FREE:
			if (vma->vm_flags & VM_LOCKED) {
				err = -EINVAL;
				goto out;
			}
			/* the next touch gets a zero page, as Linux's anon memory */
			zap_page_range(mm, vma, s, e);
			break;
		case MADV_WILLNEED:
			/* anonymous memory: Linux reads ahead from swap only, and
			 * nothing is swapped out here yet */
			break;
		}
		s = e;
	}
	if (s < end)
		err = -ENOMEM;
out:
	vm_lock_release(&mm->mmap_lock);
	return err;
}

/* ---- fork --------------------------------------------------------------- */

/*
 * Share one page table's worth of [addr, end) of vma with the child mm:
 * each present PTE is copied with its frame's reference and mapcount
 * raised, and in a private writable mapping loses RW in both (the next
 * write to it, on either side, is a copy on write). The zero page is
 * shared without counts. A PTE table the child cannot get fails the
 * fork with nothing half done but PTEs write-protected.
 */
static int copy_pte_range(struct mm_struct *dst, struct mm_struct *src,
			  struct vm_area_struct *vma, uint32_t addr, uint32_t end)
{
	bool cow = (vma->vm_flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE;
	int member = (vma->vm_flags & VM_SHARED) ? MM_SHMEMPAGES : MM_ANONPAGES;
	unsigned esz = pt_entry_size((int)vm_boot_block->mode);
	uint64_t spte = pte_lookup(src, addr), dpte = 0;
	long pages = 0, file_pages = 0;

	if (!spte)
		return 0;
	for (; addr < end; addr += PAGE_SIZE, spte += esz, dpte += dpte ? esz : 0) {
		pteval_t e = pt_read(spte);
		struct page *page;

		if (pte_none(e))
			continue;
		if (!dpte) {
			/* reclaim may evict the parent's pages (and the child's
			 * copies so far) for the table: this entry is read again */
			reclaim_own_mm = true;
			dpte = pte_alloc_map(dst, addr);
			reclaim_own_mm = false;
			if (!dpte)
				return -ENOMEM;
			e = pt_read(spte);
		}
		if (!pte_present(e)) {
			/* a swap entry: the slot gains a user, the page in swap
			 * is shared as the frame would be */
			if (swap_duplicate(pte_to_swp_entry((int)vm_boot_block->mode, e)) != 0)
				return -ENOMEM;
			pte_table_account(dst, addr, 1);
			set_pte(dpte, e);
			dst->rss_stat[MM_SWAPENTS]++;
			continue;
		}
		if (cow && (e & _PAGE_RW)) {
			e &= ~(pteval_t)_PAGE_RW;
			set_pte(spte, e);
		}
		/* the table's count before the PTE appears, as a fault does */
		pte_table_account(dst, addr, 1);
		if (is_zero_pfn(pte_pfn(e))) {
			set_pte(dpte, e);
			continue;
		}
		page = pfn_to_page(pte_pfn(e));
		/* a file page's note follows its reference (file_page_recount
		 * counts on it); an anonymous page's is recounted whole */
		if (PageFile(page)) {
			get_page(page);
			mm_inflight_set(dst, INFLIGHT_DUP, pte_pfn(e), 0, addr);
		} else {
			mm_inflight_set(dst, INFLIGHT_DUP, pte_pfn(e), 0, addr);
			get_page(page);
		}
		__atomic_fetch_add(&page->_mapcount, 1, __ATOMIC_RELAXED);
		set_pte(dpte, e);
		mm_inflight_clear(dst);
		if (PageFile(page))
			file_pages++;
		else
			pages++;
	}
	dst->rss_stat[member] += pages;
	dst->rss_stat[MM_FILEPAGES] += file_pages;
	return 0;
}

/* Fork's copy of an address space (Linux's dup_mmap): every VMA but
 * VM_DONTCOPY ones, on the same anon_vma as the parent's, and its page
 * tables shared. Shared anonymous memory has no object that a later
 * fault in the child could find the parent's page in (Linux has shmem),
 * so it is populated first and every page is shared from the start. */
int dup_mmap(struct mm_struct *mm, struct mm_struct *oldmm)
{
	unsigned span = 1u << pmd_shift((int)vm_boot_block->mode);
	struct vm_area_struct *vma, *tmp;
	uint32_t guard = oldmm->mm_avl.count + 2;
	int err;

	mm->task_size = oldmm->task_size;
	mm->mmap_base = oldmm->mmap_base;
	mm->start_brk = oldmm->start_brk;
	mm->brk = oldmm->brk;
	mm->start_stack = oldmm->start_stack;
	mm->stack_rlimit = oldmm->stack_rlimit;
	mm->map_count_max = oldmm->map_count_max;
	for (vma = VMA(oldmm->mmap); vma && guard--; vma = vma_next(vma)) {
		uint32_t a, next;

		if (vma->vm_flags & VM_DONTCOPY)
			continue;
		/* (a PROT_NONE one cannot be populated: it shares only what
		 * it had) */
		if ((vma->vm_flags & VM_SHARED) && !vma->vm_file &&
		    populate_range(oldmm, vma, vma->vm_start, vma->vm_end, true))
			return -ENOMEM;
		vm_claim_obj = &mm->inflight_vma;
		tmp = kmem_cache_alloc(vma_cachep(), GFP_KERNEL);
		vm_claim_obj = NULL;
		if (!tmp)
			return -ENOMEM;
		*tmp = *vma;
		tmp->vm_mm = (uint32_t)__pa(mm);
		tmp->anon_vma = tmp->anon_vma_next = 0;
		mm_inflight_obj(&mm->inflight_vma, tmp);
		memset(&tmp->vm_avl, 0, sizeof(tmp->vm_avl));
		anon_vma_link(tmp, vma->anon_vma);
		if (tmp->vm_file)
			i_mmap_link(tmp);
		vma_link(mm, tmp);
		mm_inflight_obj(&mm->inflight_vma, NULL);
		vm_stat_account(mm, tmp->vm_flags, vma_pages(tmp));
		for (a = vma->vm_start; a < vma->vm_end; a = next) {
			next = (a & ~(span - 1)) + span;
			if (next > vma->vm_end || next == 0)
				next = vma->vm_end;
			err = copy_pte_range(mm, oldmm, vma, a, next);
			if (err)
				return err;
			if (next == vma->vm_end)
				break;
		}
	}
	mm->hiwater_rss = (uint64_t)(mm->rss_stat[MM_ANONPAGES] + mm->rss_stat[MM_SHMEMPAGES] +
				     mm->rss_stat[MM_FILEPAGES]);
	return 0;
}
