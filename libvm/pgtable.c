/* pgtable.c - page-table formats and walks (the software MMU's tables), and
 * swapper_pg_dir, the kernel half's table that every process of the machine
 * shares. Walks only read, need no lock and may run in any process, in a
 * fault handler or in vmdump; writes to swapper_pg_dir hold vmap_state.lock.
 * The host mappings that follow these entries are made elsewhere (boot.c
 * for the direct map, vmalloc.c for its areas).
 *
 * swapper_pg_dir as boot leaves it (i386, 64 MiB of RAM):
 *
 *   PGD[0..767]     0: user space, per process, filled by the mm
 *   PGD[768..783]   4 MiB PSE entries: the direct map of pfn 0..16383
 *   PGD[786..]      tables for the vmalloc area, made on demand
 *
 * and in pae, where the kernel quarter has a PMD of its own that every
 * process's PGD[3] points to, as Linux's shared kernel PMD:
 *
 *   PGD[3] -> PMD (swapper_pg_dir + 4096)
 *             PMD[0..31]  2 MiB PSE entries: the direct map of 64 MiB
 *             PMD[36..]   tables for the vmalloc area, made on demand
 *
 * The direct map is entered with large pages, as Linux's
 * kernel_physical_mapping_init does, so that a walk of any kernel address
 * answers as it would on Linux; it costs no frames unless lowmem ends
 * inside a large page (a table for the tail). The host mapping of the
 * direct map is made once at attach and agrees with these entries.
 */
#include <string.h>

#include "internal.h"
#include <vm/pgtable.h>

/* ---- the walk ---------------------------------------------------------- */

const char *pt_walk_result_name(int result)
{
	switch (result) {
	case PT_WALK_MAPPED:	return "mapped";
	case PT_WALK_NONE:	return "none";
	case PT_WALK_SWAP:	return "swap";
	default:		return "bad";
	}
}

static int walk_bad(struct pt_walk *w, const char *why)
{
	w->result = PT_WALK_BAD;
	w->why = why;
	return PT_WALK_BAD;
}

/* Read slot index of the table at pa table into level lvl; false if the
 * slot lies outside the view. */
static bool read_level(const struct vm_view *v, struct pt_walk *w, int lvl, uint64_t table,
		       unsigned index)
{
	struct pt_walk_level *l = &w->level[lvl];
	unsigned esz = pt_entry_size((int)w->mode);
	const void *p;

	l->table = table;
	l->index = index;
	l->entry_pa = table + (uint64_t)index * esz;
	p = vm_view_ptr(v, l->entry_pa, esz);
	if (!p)
		return false;
	if (esz == 8)
		l->entry = __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
	else
		l->entry = __atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED);
	l->valid = 1;
	w->last = lvl;
	return true;
}

static int walk_mapped(const struct vm_view *v, struct pt_walk *w, uint64_t pfn)
{
	w->pfn = pfn;
	w->pa = (pfn << PAGE_SHIFT) | (w->addr & (PAGE_SIZE - 1));
	if (v->nr_pages && pfn >= v->nr_pages)
		return walk_bad(w, "entry maps a frame beyond RAM");
	w->result = PT_WALK_MAPPED;
	return PT_WALK_MAPPED;
}

/*
 * One walk for every reader. The PMD step is where the modes differ: pae
 * reads a PMD table that PGD[i] points to; i386 copies the PGD level into
 * the PMD level and marks it folded, as pmd_offset() does there, so from
 * then on both modes look at "the PMD entry". A large page ends the walk
 * at the PMD: 0xC0123456 in i386 hits PGD[768] = 0x000001e3 (PSE, frame
 * 0), and the frame is 0 + ((0xC0123456 >> 12) & 1023) = 0x123.
 */
int pt_walk_view(const struct vm_view *v, int mode, uint64_t cr3, uint32_t addr,
		 struct pt_walk *w)
{
	pteval_t e;

	memset(w, 0, sizeof(*w));
	w->cr3 = cr3;
	w->addr = addr;
	w->mode = (uint32_t)mode;
	w->last = -1;
	if (mode != VM_MODE_I386 && mode != VM_MODE_PAE)
		return walk_bad(w, "unknown paging mode");
	/* pae's top table is the 32-byte PDPT; i386's is a frame */
	if (cr3 & (mode == VM_MODE_PAE ? 31 : PAGE_SIZE - 1))
		return walk_bad(w, "cr3 is misaligned");

	if (!read_level(v, w, PT_PGD, cr3, pgd_index(mode, addr)))
		return walk_bad(w, "page directory lies outside RAM");
	if (mode == VM_MODE_I386) {
		w->level[PT_PMD] = w->level[PT_PGD];
		w->level[PT_PMD].folded = 1;
		w->last = PT_PMD;
	} else {
		e = w->level[PT_PGD].entry;
		if (pgd_none(e)) {
			w->result = PT_WALK_NONE;
			return PT_WALK_NONE;
		}
		if (!pgd_present(e))
			return walk_bad(w, "PGD entry is not present but not zero");
		if (!read_level(v, w, PT_PMD, pgd_table_pa(e), pmd_index(mode, addr)))
			return walk_bad(w, "PMD table lies outside RAM");
	}

	e = w->level[PT_PMD].entry;
	if (pmd_none(e)) {
		w->result = PT_WALK_NONE;
		return PT_WALK_NONE;
	}
	if (!pmd_present(e))
		return walk_bad(w, "PMD entry is not present but not zero");
	if (pmd_large(e)) {
		unsigned shift = pmd_shift(mode);
		uint64_t base = (e & PTE_PFN_MASK) & ~((1ULL << shift) - 1);

		return walk_mapped(v, w, (base >> PAGE_SHIFT) +
				   ((addr >> PAGE_SHIFT) & ((1u << (shift - PAGE_SHIFT)) - 1)));
	}

	if (!read_level(v, w, PT_PTE, pmd_table_pa(e), pte_index(mode, addr)))
		return walk_bad(w, "page table lies outside RAM");
	e = w->level[PT_PTE].entry;
	if (pte_none(e)) {
		w->result = PT_WALK_NONE;
		return PT_WALK_NONE;
	}
	if (!pte_present(e)) {
		w->result = PT_WALK_SWAP;
		return PT_WALK_SWAP;
	}
	return walk_mapped(v, w, pte_pfn(e));
}

/* The attached machine as a view: only base and size matter to
 * vm_view_ptr, and page tables are lowmem, inside the direct map. */
static inline void direct_map_view(struct vm_view *v)
{
	v->base = (const uint8_t *)vm_kernel_base;
	v->size = (uint64_t)max_low_pfn << PAGE_SHIFT;
	v->boot = vm_boot_block;
	v->mem_map = mem_map;
	v->kdata = vm_kdata;
	v->nr_pages = max_pfn;
}

int pt_walk(uint64_t cr3, uint32_t addr, struct pt_walk *w)
{
	struct vm_view v;

	direct_map_view(&v);
	return pt_walk_view(&v, (int)vm_boot_block->mode, cr3, addr, w);
}

/* ---- entries in the live machine --------------------------------------- */

pteval_t pt_read(uint64_t entry_pa)
{
	if (vm_pae())
		return __atomic_load_n((uint64_t *)__va(entry_pa), __ATOMIC_RELAXED);
	return __atomic_load_n((uint32_t *)__va(entry_pa), __ATOMIC_RELAXED);
}

void pt_write(uint64_t entry_pa, pteval_t e)
{
	if (vm_pae())
		__atomic_store_n((uint64_t *)__va(entry_pa), e, __ATOMIC_RELEASE);
	else
		__atomic_store_n((uint32_t *)__va(entry_pa), (uint32_t)e, __ATOMIC_RELEASE);
}

uint64_t pgd_offset(uint64_t pgdir, uint32_t addr)
{
	int mode = (int)vm_boot_block->mode;

	return pgdir + (uint64_t)pgd_index(mode, addr) * pt_entry_size(mode);
}

uint64_t pmd_offset(uint64_t pgd, uint32_t addr)
{
	if (!vm_pae())
		return pgd;	/* folded: the PGD entry is the PMD entry */
	return pgd_table_pa(pt_read(pgd)) + (uint64_t)pmd_index(VM_MODE_PAE, addr) * 8;
}

uint64_t pte_offset_kernel(uint64_t pmd, uint32_t addr)
{
	int mode = (int)vm_boot_block->mode;

	return pmd_table_pa(pt_read(pmd)) + (uint64_t)pte_index(mode, addr) * pt_entry_size(mode);
}

/* ---- swapper_pg_dir ---------------------------------------------------- */

static void pgd_list_clear(unsigned index, pteval_t old);
static bool pgd_on_list(uint32_t pfn);

/*
 * A kernel page table's struct page counts its entries in use in
 * page->private (an allocated frame's private is its owner's), so
 * unmapping knows in O(1) when the table empties; validate_vmalloc checks
 * the count against the entries.
 */
static inline uint64_t swapper_pg_dir(void)
{
	return vm_boot_block->swapper_pg_dir;
}

/* First kernel va past the direct map: Linux's high_memory. */
static inline uint32_t high_memory(void)
{
	return (uint32_t)(PAGE_OFFSET + ((uint64_t)max_low_pfn << PAGE_SHIFT));
}

/* Map kva -> pfn with prot, making the page table if there is none. The
 * caller serialises (boot, or vmap_state.lock). */
static int map_one(uint32_t kva, uint64_t pfn, pgprot_t prot)
{
	int mode = (int)vm_boot_block->mode;
	uint64_t pmd = pmd_offset(pgd_offset(swapper_pg_dir(), kva), kva), pte;
	pteval_t e = pt_read(pmd);
	struct page *pt;

	if (pmd_none(e)) {
		pt = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!pt)
			return -ENOMEM;
		pt->private = 0;
		mod_node_page_state(NR_PAGETABLE, 1);
		e = pfn_pte(mode, page_to_pfn(pt), _KERNPG_TABLE);
		set_pmd(pmd, e);
	} else if (!pmd_present(e) || pmd_large(e)) {
		return -EEXIST;
	}
	pte = pte_offset_kernel(pmd, kva);
	if (!pte_none(pt_read(pte)))
		return -EEXIST;
	pt = pfn_to_page(pte_pfn(e));
	set_pte(pte, pfn_pte(mode, pfn, prot));
	pt->private++;
	return 0;
}

int pgtable_init_kernel(void)
{
	int mode = (int)vm_boot_block->mode;
	uint64_t pgdir = swapper_pg_dir();
	unsigned long per_large = 1UL << (pmd_shift(mode) - PAGE_SHIFT);
	unsigned long pfn;
	int err;

	/* boot.c reserved and zeroed the frame(s). A pae PGD entry (PDPTE)
	 * may carry only P, PWT and PCD: R/W, U/S, A and D are reserved
	 * there, so the link is present and nothing else, as Linux's
	 * pud_populate writes it in pae. */
	if (mode == VM_MODE_PAE)
		set_pgd(pgdir + 3 * 8, (pgdir + PAGE_SIZE) | _PAGE_PRESENT);

	for (pfn = 0; pfn + per_large <= max_low_pfn; pfn += per_large) {
		uint32_t kva = (uint32_t)(PAGE_OFFSET + (pfn << PAGE_SHIFT));

		set_pmd(pmd_offset(pgd_offset(pgdir, kva), kva),
			pfn_pte(mode, pfn, PAGE_KERNEL_LARGE));
	}
	for (; pfn < max_low_pfn; pfn++) {
		err = map_one((uint32_t)(PAGE_OFFSET + (pfn << PAGE_SHIFT)), pfn, PAGE_KERNEL);
		if (err)
			return err;
	}
	return 0;
}

int __kernel_map_page(uint32_t kva, unsigned long pfn, bool writable)
{
	kva &= (uint32_t)PAGE_MASK;
	/* The direct map is fixed at boot; pkmap and the fixmap are per
	 * process and never enter swapper_pg_dir (see highmem.c). */
	if (kva < high_memory() || kva >= PKMAP_BASE || !pfn_valid(pfn))
		return -EINVAL;
	return map_one(kva, pfn, writable ? PAGE_KERNEL : PAGE_KERNEL_RO);
}

/*
 * Free the page table when its last entry goes, so that a vfree gives
 * every frame back (Linux keeps its vmalloc tables). In pae every process
 * shares this PMD; in i386 each user page directory copies the kernel's
 * PDEs (pgd_alloc, vmalloc_fault), so freeing a table also clears the
 * copies of its PDE in every directory on pgd_list, under the same lock.
 */
unsigned long __kernel_unmap_page(uint32_t kva)
{
	uint64_t pmd, pte;
	pteval_t e, old;
	struct page *pt;

	kva &= (uint32_t)PAGE_MASK;
	if (kva < high_memory())
		return 0;
	pmd = pmd_offset(pgd_offset(swapper_pg_dir(), kva), kva);
	e = pt_read(pmd);
	if (!pmd_present(e) || pmd_large(e))
		return 0;
	pte = pte_offset_kernel(pmd, kva);
	old = pt_read(pte);
	if (pte_none(old))
		return 0;
	pte_clear(pte);
	pt = pfn_to_page(pte_pfn(e));
	BUG_ON(pt->private == 0);
	if (--pt->private == 0) {
		set_pmd(pmd, 0);
		if (!vm_pae())
			pgd_list_clear(pgd_index(VM_MODE_I386, kva), e);
		mod_node_page_state(NR_PAGETABLE, -1);
		__free_page(pt);
	}
	return pte_present(old) ? (unsigned long)pte_pfn(old) : 0;
}

static void vmap_lock(void)
{
	vm_lock_or_panic(&vm_kdata->vmap.lock, "vmap_state.lock");
}

/* i386 pgd_list's lock. Fork and exit take it, and a guest can be killed
 * there: the next locker then rebuilds the list from the directories the
 * tasks' mms hold (a directory is in an mm from its allocation to its
 * free, so the list it rebuilds is the one a finished change leaves). */
static void pgd_lock(void)
{
	struct task_table *tt = &vm_kdata->tasks;
	unsigned i;

	if (vm_lock_acquire(&tt->pgd_lock) != -EOWNERDEAD)
		return;
	pfn_list_init(&tt->pgd_list);
	for (i = 0; i < VM_MAX_TASKS; i++) {
		struct mm_struct *mm = task_mm(&tt->task[i]);

		if (tt->task[i].state != TASK_DEAD && mm && mm->pgd &&
		    !pgd_on_list(mm->pgd >> PAGE_SHIFT))
			pfn_list_add(&tt->pgd_list, mm->pgd >> PAGE_SHIFT);
	}
	printk("pgd_list: its holder died; rebuilt from the tasks' directories");
	vm_lock_consistent(&tt->pgd_lock);
}

static void pgd_unlock(void)
{
	vm_lock_release(&vm_kdata->tasks.pgd_lock);
}

int kernel_map_page(uint32_t kva, unsigned long pfn, bool writable)
{
	int err;

	vmap_lock();
	err = __kernel_map_page(kva, pfn, writable);
	vm_lock_release(&vm_kdata->vmap.lock);
	return err;
}

unsigned long kernel_unmap_page(uint32_t kva)
{
	unsigned long pfn;

	vmap_lock();
	pfn = __kernel_unmap_page(kva);
	vm_lock_release(&vm_kdata->vmap.lock);
	return pfn;
}

int kernel_walk(uint32_t kva, struct pt_walk *w)
{
	return pt_walk(swapper_pg_dir(), kva, w);
}

/* No lock: one walk of single-word reads sees each entry old or new. */
unsigned long kernel_lookup_page(uint32_t kva)
{
	struct pt_walk w;

	if (kva < PAGE_OFFSET)
		return 0;
	if (kernel_walk(kva, &w) != PT_WALK_MAPPED)
		return 0;
	return (unsigned long)w.pfn;
}

/* ---- user page tables ---------------------------------------------------
 *
 * Each mm has its own directory (its CR3); the tables below it come from
 * the buddy allocator on the first fault that needs them and go back when
 * their last entry is cleared. Every table frame is PG_pgtable with
 * mapping = its mm, index = the first va it covers >> 12 and private =
 * entries in use, so emptiness is known in O(1) and vmdump can say whose
 * table a frame is. mm->nr_ptes counts the tables below the directory.
 *
 *   i386  PGD frame (user slots 0..767, kernel 768..1023 copied)
 *           -> PTE table (1024 entries, 4 MiB)
 *   pae   PGD: the 32-byte PDPT from pgd_cache, slot 3 the shared kernel PMD
 *           -> PMD table (512 entries, 1 GiB) -> PTE table (512, 2 MiB)
 */

#define USER_PGD_ENTRIES_I386	(PAGE_OFFSET >> PGDIR_SHIFT_I386)	/* 768 */

static struct page *user_table_alloc(struct mm_struct *mm, uint32_t first_va)
{
	struct page *pt = alloc_page(GFP_KERNEL | __GFP_ZERO);

	if (!pt)
		return NULL;
	/* named before flagged: a killed owner's note finds its mm on it */
	pt->mapping = (uint32_t)__pa(mm);
	pt->index = first_va >> PAGE_SHIFT;
	pt->private = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	SetPagePgtable(pt);
	mod_node_page_state(NR_PAGETABLE, 1);
	return pt;
}

static void user_table_free(struct page *pt)
{
	free_transit_begin(pt, 0);
	ClearPagePgtable(pt);
	pt->mapping = 0;
	pt->index = 0;
	pt->private = 0;
	mod_node_page_state(NR_PAGETABLE, -1);
	__free_page(pt);
}

/* The page holding the PMD level's entries for addr: the PGD frame in
 * i386 (folded), the PMD table in pae. */
static struct page *pmd_table_page(struct mm_struct *mm, uint32_t addr)
{
	if (!vm_pae())
		return virt_to_page(__va(mm->pgd));
	return pfn_to_page(pte_pfn(pt_read(pgd_offset(mm->pgd, addr))));
}

int pgd_alloc(struct mm_struct *mm)
{
	struct task_table *tt = &vm_kdata->tasks;

	if (vm_pae()) {
		uint64_t *pdpt;

		/* the allocator names it in mm->pgd (fresh) at once, so a kill
		 * from here on leaves it to the exit (pgd_free) */
		vm_claim_obj = &mm->pgd;
		pdpt = kmem_cache_zalloc(__va(tt->pgd_cache), GFP_KERNEL);
		vm_claim_obj = NULL;
		if (!pdpt)
			return -ENOMEM;
		/* the kernel quarter: the PMD every process shares */
		pdpt[3] = (swapper_pg_dir() + PAGE_SIZE) | _PAGE_PRESENT;
		mm->pgd = (uint32_t)__pa(pdpt);
		return 0;
	}

	struct page *pg;
	uint32_t *dir;

	mm_inflight_prepare(mm, INFLIGHT_PGD, 0, 0);
	pg = user_table_alloc(mm, 0);
	vm_claim_page = NULL;
	if (!pg) {
		mm_inflight_clear(mm);
		return -ENOMEM;
	}
	dir = page_address(pg);
	mm->pgd = (uint32_t)__pa(dir);
	mm_inflight_clear(mm);
	/* clone_pgd_range: the kernel's entries as they stand, and onto
	 * pgd_list so later frees of kernel tables reach this copy. */
	pgd_lock();
	memcpy(dir + USER_PGD_ENTRIES_I386, (uint32_t *)__va(swapper_pg_dir()) + USER_PGD_ENTRIES_I386,
	       (PTRS_PER_PGD_I386 - USER_PGD_ENTRIES_I386) * 4);
	if (!pgd_on_list(page_to_pfn(pg)))
		pfn_list_add(&tt->pgd_list, page_to_pfn(pg));
	pgd_unlock();
	return 0;
}

/* A page table an exit found still linked after every VMA went: a kill
 * cut a VMA change short and some range lost its VMA. Its pages must not
 * be lost with it: each present entry lets go of its frame, each swap
 * entry of its slot, and is cleared first, so an exit run again drops
 * each once. */
static void drop_orphan_ptes(struct mm_struct *mm, struct page *pt)
{
	unsigned esz = pt_entry_size((int)vm_boot_block->mode), n = PAGE_SIZE / esz, i, pages = 0;
	uint64_t base = (uint64_t)page_to_pfn(pt) << PAGE_SHIFT;

	for (i = 0; i < n; i++) {
		pteval_t e = pt_read(base + (uint64_t)i * esz);
		struct page *page;

		if (!pte_present(e)) {
			if (e) {
				/* a swap entry: its slot goes too */
				pte_clear(base + (uint64_t)i * esz);
				free_swap_and_cache(pte_to_swp_entry((int)vm_boot_block->mode, e));
				mm->rss_stat[MM_SWAPENTS]--;
				pages++;
			}
			continue;
		}
		pte_clear(base + (uint64_t)i * esz);
		if (is_zero_pfn(pte_pfn(e)) || !pfn_valid(pte_pfn(e)))
			continue;
		page = pfn_to_page(pte_pfn(e));
		if (__atomic_sub_fetch(&page->_mapcount, 1, __ATOMIC_RELAXED) < 0)
			mod_node_page_state(NR_ANON_MAPPED, -1);
		put_page(page);
		pages++;
	}
	if (pages)
		printk("mm %#x: %u page(s) mapped outside any VMA at exit, let go", (unsigned)__pa(mm),
		       pages);
}

void pgd_free(struct mm_struct *mm)
{
	int mode = (int)vm_boot_block->mode;
	unsigned i, j, nuser = vm_pae() ? 3 : USER_PGD_ENTRIES_I386;
	uint32_t pgd = mm->pgd;

	if (!pgd)
		return;
	if (pgd & VM_CLAIM_FRESH) {
		/* pae: a fork killed as its PDPT was allocated */
		mm->pgd = 0;
		kmem_cache_free_claimed(__va(vm_kdata->tasks.pgd_cache), __va(pgd & ~VM_CLAIM_FRESH));
		return;
	}
	/* Tables an exit left behind (none, when every VMA was unmapped).
	 * Each entry is cleared before its table goes, so an exit killed
	 * here and run again by the reaper frees each table once. */
	for (i = 0; i < nuser; i++) {
		uint64_t slot = pgd + (uint64_t)i * pt_entry_size(mode);
		pteval_t e = pt_read(slot);

		if (!e)
			continue;
		if (vm_pae()) {
			uint64_t pmdt = pgd_table_pa(e);

			for (j = 0; j < PTRS_PER_PMD_PAE; j++) {
				pteval_t pe = pt_read(pmdt + j * 8);

				if (pe) {
					drop_orphan_ptes(mm, pfn_to_page(pte_pfn(pe)));
					set_pmd(pmdt + j * 8, 0);
					user_table_free(pfn_to_page(pte_pfn(pe)));
					mm->nr_ptes--;
				}
			}
		}
		if (!vm_pae())
			drop_orphan_ptes(mm, pfn_to_page(pte_pfn(e)));
		set_pgd(slot, 0);
		user_table_free(pfn_to_page(pte_pfn(e)));
		mm->nr_ptes--;
	}
	if (vm_pae()) {
		mm->pgd = 0;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		kmem_cache_free(__va(vm_kdata->tasks.pgd_cache), __va(pgd));
	} else {
		struct page *pg = virt_to_page(__va(pgd));

		/* off the list while the mm still names it (an exit run
		 * again finds it off already) */
		pgd_lock();
		if (pgd_on_list(page_to_pfn(pg)))
			pfn_list_del(&vm_kdata->tasks.pgd_list, page_to_pfn(pg));
		pgd_unlock();
		mm->pgd = 0;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		pg->private = 0;
		user_table_free(pg);
	}
}

/* i386, vmap_state.lock held: a kernel table behind PDE index went away;
 * clear every user directory's copy of old. */
static void pgd_list_clear(unsigned index, pteval_t old)
{
	uint32_t pfn;

	pgd_lock();
	for (pfn = vm_kdata->tasks.pgd_list.next; pfn != PFN_NIL; pfn = pfn_to_page(pfn)->lru.next) {
		uint32_t *dir = __va((uint64_t)pfn << PAGE_SHIFT);

		if (dir[index] == (uint32_t)old)
			__atomic_store_n(&dir[index], 0, __ATOMIC_RELEASE);
	}
	pgd_unlock();
}

/* Is the directory at pfn on pgd_list? (at most one per task) */
static bool pgd_on_list(uint32_t pfn)
{
	uint32_t p, n = 0;

	for (p = vm_kdata->tasks.pgd_list.next; p != PFN_NIL && n++ <= VM_MAX_TASKS + 1;
	     p = pfn_to_page(p)->lru.next)
		if (p == pfn)
			return true;
	return false;
}

/* i386 vmalloc_fault's half: copy the kernel PDE for kva into this
 * directory. vmap_state.lock held. */
void sync_kernel_pgd(uint64_t pgdir, uint32_t kva)
{
	unsigned i = pgd_index(VM_MODE_I386, kva);
	uint32_t *dir = __va(pgdir), *ref = __va(swapper_pg_dir());

	if (!vm_pae() && dir[i] != ref[i])
		__atomic_store_n(&dir[i], ref[i], __ATOMIC_RELEASE);
}

uint64_t pte_lookup(struct mm_struct *mm, uint32_t addr)
{
	uint64_t pmd = pgd_offset(mm->pgd, addr);
	pteval_t e;

	if (vm_pae()) {
		if (!pgd_present(pt_read(pmd)))
			return 0;
		pmd = pmd_offset(pmd, addr);
	}
	e = pt_read(pmd);
	if (!pmd_present(e) || pmd_large(e))
		return 0;
	return pte_offset_kernel(pmd, addr);
}

uint64_t pte_alloc_map(struct mm_struct *mm, uint32_t addr)
{
	int mode = (int)vm_boot_block->mode;
	uint64_t pgd = pgd_offset(mm->pgd, addr), pmd = pgd;
	uint32_t first;
	struct page *pt;
	pteval_t e;

	if (vm_pae()) {
		if (pgd_none(pt_read(pgd))) {
			first = addr & ~((1u << PGDIR_SHIFT_PAE) - 1);
			mm_inflight_prepare(mm, INFLIGHT_PMD_TABLE, 0, first);
			pt = user_table_alloc(mm, first);
			if (!pt) {
				vm_claim_page = NULL;
				mm_inflight_clear(mm);
				return 0;
			}
			mm_inflight_set(mm, INFLIGHT_PMD_TABLE, page_to_pfn(pt), 0, first);
			mm->nr_ptes++;
			/* a PDPT entry holds P and the frame only */
			set_pgd(pgd, ((uint64_t)page_to_pfn(pt) << PAGE_SHIFT) | _PAGE_PRESENT);
			mm_inflight_clear(mm);
		}
		pmd = pmd_offset(pgd, addr);
	}
	e = pt_read(pmd);
	if (pmd_none(e)) {
		first = addr & ~((1u << pmd_shift(mode)) - 1);
		mm_inflight_prepare(mm, INFLIGHT_PTE_TABLE, 0, first);
		pt = user_table_alloc(mm, first);
		if (!pt) {
			vm_claim_page = NULL;
			mm_inflight_clear(mm);
			struct page *up = pmd_table_page(mm, addr);

			if (vm_pae() && up->private == 0) {
				set_pgd(pgd, 0);
				user_table_free(up);
				mm->nr_ptes--;
			}
			return 0;
		}
		mm_inflight_set(mm, INFLIGHT_PTE_TABLE, page_to_pfn(pt), 0, first);
		mm->nr_ptes++;
		/* counted before it is linked: see do_anonymous_page */
		pmd_table_page(mm, addr)->private++;
		set_pmd(pmd, pfn_pte(mode, page_to_pfn(pt), _PAGE_TABLE));
		mm_inflight_clear(mm);
	}
	return pte_offset_kernel(pmd, addr);
}

/* Is the table at pfn linked where a table for va belongs (at the PGD
 * level for a pae PMD table, else at the PMD level)? */
bool pgtable_linked(struct mm_struct *mm, uint32_t va, unsigned long pfn, bool pmd_table)
{
	uint64_t slot = pgd_offset(mm->pgd, va);
	pteval_t e = pt_read(slot);

	if (!pmd_table && vm_pae()) {
		if (!pgd_present(e))
			return false;
		e = pt_read(pmd_offset(slot, va));
	}
	return (e & _PAGE_PRESENT) && pte_pfn(e) == pfn;
}

void pgtable_free_unlinked(struct page *pt)
{
	user_table_free(pt);
}

bool pte_table_account(struct mm_struct *mm, uint32_t addr, int delta)
{
	uint64_t pgd = pgd_offset(mm->pgd, addr), pmd = pgd;
	struct page *pt, *up;

	if (vm_pae())
		pmd = pmd_offset(pgd, addr);
	pt = pfn_to_page(pte_pfn(pt_read(pmd)));
	BUG_ON(!PagePgtable(pt) || (int)pt->private + delta < 0);
	pt->private += delta;
	if (pt->private)
		return false;
	/* "clear the page directory items and release the page tables" */
	mm_inflight_set(mm, INFLIGHT_PTE_TABLE, page_to_pfn(pt), 0, pt->index << PAGE_SHIFT);
	set_pmd(pmd, 0);
	user_table_free(pt);
	mm->nr_ptes--;
	up = pmd_table_page(mm, addr);
	up->private--;
	if (vm_pae() && up->private == 0) {
		mm_inflight_set(mm, INFLIGHT_PMD_TABLE, page_to_pfn(up), 0, up->index << PAGE_SHIFT);
		set_pgd(pgd, 0);
		user_table_free(up);
		mm->nr_ptes--;
	}
	mm_inflight_clear(mm);
	return true;
}
