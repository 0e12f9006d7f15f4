/* vmalloc.c - the vmalloc area: virtually contiguous kernel memory over
 * frames taken one at a time (so scattered, and HighMem when allowed), and
 * vmap of frames a caller owns. The areas (struct vmap_area, from slab) sit
 * in an AVL tree and a sorted list under vmap_state.lock, which also covers
 * their entries in swapper_pg_dir; any process may vmalloc or vfree at once.
 *
 * An area in the guest's kernel half, with the guard page that keeps an
 * overrun from running into the next area:
 *
 *   va_start                                      va_end
 *   | page 0 -> pfn 0x2fb | page 1 -> pfn 0x120 | guard |  next area ...
 *
 * Host mappings are per process. The process that calls vmalloc gets the
 * area mapped at once (kva_to_host(va)), so the pointer it gets back works
 * in it; any other process maps it on first touch through vmalloc_fault
 * (fault.c), which copies the entry from swapper_pg_dir, as Linux's i386
 * port did. So any process may hold a host mapping of an area, and
 * freeing one is a shootdown (DESIGN §7), Linux's lazy vunmap made eager:
 *
 *   1. under the lock: clear the area's PTEs in swapper_pg_dir and mark it
 *      VM_LAZY_FREE; it stays in the tree and keeps its range, so no
 *      vmalloc hands the range out while a process may still map it;
 *   2. no lock held: flush the range here and in every process that runs
 *      a task (tlb_shootdown_kernel: signal them all, wait for them all);
 *   3. under the lock: unlink the area; then free its frames.
 *
 * A task that does not answer (stopped, traced) may still map the frames:
 * then step 3 waits. The area stays in the tree as VM_LAZY_FREE, frames
 * and all (vmallocinfo still shows it, the counters still count it), and
 * the next vfree, or a vmalloc that finds the area full, takes it into its
 * own shootdown and frees it once every task has answered. Lazy areas are
 * found by a walk of the list, which is as long as the first-fit walk
 * every vmalloc makes.
 *
 * What the shootdown cannot reach: a process that runs no task (vmrun,
 * kswapd, a test) receives none, so it must not touch an area that
 * another process may free; a fork child holds its parent's mappings
 * before it enters its task. And a vmap area's frames are the caller's:
 * vunmap keeps the range while a task has not answered, but the caller
 * may free the frames at once, as Linux's lazy vunmap lets it.
 *
 * vfree and vunmap wait for acks, up to TLB_SHOOTDOWN_TIMEOUT_NS: call
 * them with no lock held. vmalloc waits only when the area is full of
 * lazily freed ranges and the caller allows direct reclaim.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include <vm/pgtable.h>

/* The tree links areas by the pa of their node, which is the area's pa. */
_Static_assert(offsetof(struct vmap_area, node) == 0, "vmap_area: node first");
#define VA_KEY_OFF	AVL_KEY_OFFSET(struct vmap_area, node, va_start)

/* An area on its way out (the head comment's steps 1 to 3) keeps VM_ALLOC
 * or VM_MAP and gets these, the names Linux's vmap_area had for the same
 * states (2.6.28 to 5.1). */
#define VM_LAZY_FREE	0x00010000u	/* out of swapper_pg_dir; a task may still map it */
#define VM_LAZY_FREEING	0x00020000u	/* a vfree is shooting it down now */
#define VM_LAZY_MASK	(VM_LAZY_FREE | VM_LAZY_FREEING)
/* Areas one shootdown flushes: one mailbox's worth of ranges. */
#define VMAP_PURGE_MAX	TLB_MAILBOX_RANGES

static inline struct vmap_state *vmap_state(void)
{
	return &vm_kdata->vmap;
}

static inline struct vmap_area *VA(uint32_t pa)
{
	return __va(pa);
}

static inline struct kmem_cache *vmap_area_cachep(void)
{
	return __va(vmap_state()->area_cache);
}

/* A dead owner may have left a rotation or a list splice half done, and the
 * PTEs it was writing; there is no record of which, so panic rather than
 * guess. (The sorted list could rebuild the tree; the PTEs are the harder
 * part.) */
static inline void vmap_lock(struct vmap_state *vs)
{
	vm_lock_or_panic(&vs->lock, "vmap_state.lock");
}

static inline void vmap_unlock(struct vmap_state *vs)
{
	vm_lock_release(&vs->lock);
}

/* What the bookkeeping allocations may do: the caller's reclaim rights, but
 * lowmem (they are reached through the direct map) and not zeroed. */
static inline gfp_t meta_gfp(gfp_t gfp_mask)
{
	return gfp_mask & ~(__GFP_HIGHMEM | __GFP_ZERO | __GFP_COMP | __GFP_DMA);
}

void vmalloc_init(void)
{
	struct vmap_state *vs = vmap_state();
	struct kmem_cache *cachep;

	vm_lock_init(&vs->lock);
	vs->root.node = 0;
	vs->root.count = 0;
	vs->first = vs->last = 0;
	vs->nr_pages = 0;
	cachep = kmem_cache_create("vmap_area", sizeof(struct vmap_area), 0, SLAB_PANIC, NULL);
	if (!cachep)
		vm_panic("vmalloc_init: cannot create the vmap_area cache");
	vs->area_cache = (uint32_t)__pa(cachep);
}

bool is_vmalloc_addr(const void *addr)
{
	uintptr_t off = (uintptr_t)addr - vm_kernel_base;
	uint32_t kva;

	if (!vm_boot_block || off >= (1UL << 30))
		return false;
	kva = (uint32_t)(PAGE_OFFSET + off);
	return kva >= vm_boot_block->vmalloc_start && kva < vm_boot_block->vmalloc_end;
}

/* ---- areas (vmap_state.lock held) -------------------------------------- */

/*
 * First fit: the lowest gap in [vmalloc_start, vmalloc_end) that holds size
 * bytes, guard page included. Returns its start and, in *prevp, the area
 * the new one follows (0: it comes first); 0 if nothing fits. A walk of
 * the sorted list, O(areas): Linux keeps each subtree's largest gap in an
 * augmented rbtree to find a fit in O(log n), which pays off with tens of
 * thousands of areas, not the hundreds a machine here holds.
 */
static uint32_t find_vmap_gap(struct vmap_state *vs, uint64_t size, uint32_t *prevp)
{
	uint64_t addr = vm_boot_block->vmalloc_start, end = vm_boot_block->vmalloc_end;
	uint32_t pa, prev = 0;

	for (pa = vs->first; pa; pa = VA(pa)->next) {
		const struct vmap_area *va = VA(pa);

		if (addr + size <= va->va_start)
			break;
		if (va->va_end > addr)
			addr = va->va_end;
		prev = pa;
	}
	if (addr + size > end)
		return 0;
	*prevp = prev;
	return (uint32_t)addr;
}

static void link_vmap_area(struct vmap_state *vs, uint32_t pa, uint32_t prev)
{
	struct vmap_area *va = VA(pa);

	va->prev = prev;
	va->next = prev ? VA(prev)->next : vs->first;
	if (prev)
		VA(prev)->next = pa;
	else
		vs->first = pa;
	if (va->next)
		VA(va->next)->prev = pa;
	else
		vs->last = pa;
	/* the gap was free, so the start is too */
	BUG_ON(avl_insert(&vs->root, pa, VA_KEY_OFF) != 0);
}

static void unlink_vmap_area(struct vmap_state *vs, uint32_t pa)
{
	struct vmap_area *va = VA(pa);

	avl_erase(&vs->root, pa);
	if (va->prev)
		VA(va->prev)->next = va->next;
	else
		vs->first = va->next;
	if (va->next)
		VA(va->next)->prev = va->prev;
	else
		vs->last = va->prev;
	va->next = va->prev = 0;
}

/* ---- freeing: lazily, until every task has flushed ---------------------- */

/* Claim the lazy areas no vfree is shooting down, after the n already in
 * batch, up to VMAP_PURGE_MAX: the caller now flushes and frees them.
 * Returns the new count. vmap_state.lock held. */
static unsigned claim_lazy_areas(struct vmap_state *vs, uint32_t *batch, unsigned n)
{
	uint32_t pa;

	for (pa = vs->first; pa && n < VMAP_PURGE_MAX; pa = VA(pa)->next) {
		struct vmap_area *va = VA(pa);

		if ((va->flags & VM_LAZY_MASK) == VM_LAZY_FREE) {
			va->flags |= VM_LAZY_FREEING;
			batch[n++] = pa;
		}
	}
	return n;
}

/*
 * Flush the claimed areas in batch (out of swapper_pg_dir already) from
 * every process, then unlink them and free what they own; an area some
 * task may still map goes back to waiting, unclaimed. No lock held: this
 * waits for acks.
 */
static void purge_vmap_areas(const uint32_t *batch, unsigned n)
{
	struct vmap_state *vs = vmap_state();
	struct tlb_range r[VMAP_PURGE_MAX];
	bool flushed;
	unsigned i;

	VM_BUG_ON(n > VMAP_PURGE_MAX);
	if (!n)
		return;
	for (i = 0; i < n; i++) {
		r[i].start = VA(batch[i])->va_start;
		r[i].len = VA(batch[i])->nr_pages << PAGE_SHIFT;
	}
	flushed = tlb_shootdown_kernel(r, n, TLB_SHOOTDOWN_TIMEOUT_NS) == 0;

	vmap_lock(vs);
	for (i = 0; i < n; i++) {
		struct vmap_area *va = VA(batch[i]);

		if (!flushed) {
			va->flags &= ~VM_LAZY_FREEING;
			continue;
		}
		unlink_vmap_area(vs, batch[i]);
		if (va->flags & VM_ALLOC) {
			vs->nr_pages -= va->nr_pages;
			mod_node_page_state(NR_VMALLOC, -(long)va->nr_pages);
		}
	}
	vmap_unlock(vs);
	if (!flushed)
		return;

	for (i = 0; i < n; i++) {
		struct vmap_area *va = VA(batch[i]);
		uint32_t *pfns = __va(va->pages), j;

		if (va->flags & VM_ALLOC)
			for (j = 0; j < va->nr_pages; j++)
				__free_page(pfn_to_page(pfns[j]));
		kfree(pfns);
		kmem_cache_free(vmap_area_cachep(), va);
	}
}

/*
 * Make an area for nr_pages frames listed in pfns (kmalloc'ed; the area
 * takes it over on success): a range, the tree and the list, and the
 * entries in swapper_pg_dir. Returns the area's pa, or 0 with nothing
 * changed and pfns still the caller's.
 */
static uint32_t setup_vmap_area(uint32_t nr_pages, uint32_t *pfns, uint32_t flags,
				const char *caller, gfp_t gfp_mask)
{
	struct vmap_state *vs = vmap_state();
	uint64_t size = ((uint64_t)nr_pages + 1) << PAGE_SHIFT;
	struct vmap_area *va;
	uint32_t pa, prev = 0, addr, i;
	int err = 0;

	/* Allocated before the lock, to hold it for less. */
	va = kmem_cache_zalloc(vmap_area_cachep(), meta_gfp(gfp_mask));
	if (!va)
		return 0;
	pa = (uint32_t)__pa(va);
	va->nr_pages = nr_pages;
	va->pages = (uint32_t)__pa(pfns);
	va->flags = flags;
	snprintf(va->caller, sizeof(va->caller), "%s", caller ? caller : "?");

	vmap_lock(vs);
	addr = find_vmap_gap(vs, size, &prev);
	if (!addr && (gfp_mask & __GFP_DIRECT_RECLAIM)) {
		/* ranges freed lazily may be free for real by now */
		uint32_t batch[VMAP_PURGE_MAX];
		unsigned n = claim_lazy_areas(vs, batch, 0);

		if (n) {
			vmap_unlock(vs);
			purge_vmap_areas(batch, n);
			vmap_lock(vs);
			addr = find_vmap_gap(vs, size, &prev);
		}
	}
	if (!addr) {
		vmap_unlock(vs);
		if (!(gfp_mask & __GFP_NOWARN))
			printk("vmap allocation for size %llu failed: the vmalloc area is full",
			       (unsigned long long)size);
		goto out_free_va;
	}
	va->va_start = addr;
	va->va_end = (uint32_t)(addr + size);
	for (i = 0; i < nr_pages; i++) {
		err = __kernel_map_page(addr + (i << PAGE_SHIFT), pfns[i], true);
		if (err)
			break;
	}
	if (err) {
		while (i--)
			__kernel_unmap_page(addr + (i << PAGE_SHIFT));
		vmap_unlock(vs);
		printk("vmap: cannot map %u pages at %#x: error %d", nr_pages, addr, err);
		goto out_free_va;
	}
	link_vmap_area(vs, pa, prev);
	if (flags & VM_ALLOC) {
		vs->nr_pages += nr_pages;
		mod_node_page_state(NR_VMALLOC, nr_pages);
	}
	vmap_unlock(vs);
	return pa;

out_free_va:
	kmem_cache_free(vmap_area_cachep(), va);
	return 0;
}

/*
 * This process's host mappings of an area: one mmap per run of physically
 * contiguous frames. pfns 0x2fb 0x2fc 0x2fd 0x120 make two mmaps, three
 * pages from file offset 0x2fb000 and one from 0x120000, so an area of
 * frames that came out of the allocator in order costs one host mapping of
 * the few tens of thousands a process may have. 0 or -errno.
 */
static int map_area_host(uint32_t va_start, const uint32_t *pfns, uint32_t nr_pages)
{
	uint32_t i = 0, j;
	int err;

	while (i < nr_pages) {
		for (j = i + 1; j < nr_pages && pfns[j] == pfns[j - 1] + 1; j++)
			;
		err = host_map_ram(kva_to_host(va_start + (i << PAGE_SHIFT)), vm_ram_fd,
				   (uint64_t)pfns[i] << PAGE_SHIFT, (size_t)(j - i) << PAGE_SHIFT, true);
		if (err)
			return err;
		i = j;
	}
	return 0;
}

/* The guest address to print for a pointer: its kernel va if it lies in
 * the kernel window, else the host pointer as it is. */
static unsigned long shown_addr(const void *addr)
{
	uintptr_t off = (uintptr_t)addr - vm_kernel_base;

	return off < (1UL << 30) ? (unsigned long)(PAGE_OFFSET + off) : (unsigned long)(uintptr_t)addr;
}

/*
 * Free the area that starts at addr: out of swapper_pg_dir under the
 * lock, then the shootdown and the free (purge_vmap_areas), with any
 * area an earlier vfree left waiting in the same batch. Frames go back
 * only for a VM_ALLOC area, and only once no task may map them.
 */
static void remove_vm_area(const void *addr, bool vunmapping)
{
	const char *fn = vunmapping ? "vunmap" : "vfree";
	struct vmap_state *vs = vmap_state();
	uint32_t pa = 0, i, batch[VMAP_PURGE_MAX];
	struct vmap_area *va;
	unsigned n;

	if ((uintptr_t)addr & (PAGE_SIZE - 1)) {
		printk("Trying to %s() bad address (%#lx)", fn, shown_addr(addr));
		return;
	}
	vmap_lock(vs);
	if (is_vmalloc_addr(addr))
		pa = avl_find(&vs->root, VA_KEY_OFF, host_to_kva(addr));
	if (!pa || (VA(pa)->flags & VM_LAZY_FREE)) {
		vmap_unlock(vs);
		printk("Trying to %s() nonexistent vm area (%#lx)", fn, shown_addr(addr));
		return;
	}
	va = VA(pa);
	for (i = 0; i < va->nr_pages; i++)
		__kernel_unmap_page(va->va_start + (i << PAGE_SHIFT));
	va->flags |= VM_LAZY_FREE | VM_LAZY_FREEING;
	batch[0] = pa;
	n = claim_lazy_areas(vs, batch, 1);
	vmap_unlock(vs);

	if (vunmapping && (va->flags & VM_ALLOC))
		printk("%s() of vmalloc'ed area %#x (%s): freeing its pages as vfree() would",
		       fn, va->va_start, va->caller);
	purge_vmap_areas(batch, n);
}

/* ---- the interface ----------------------------------------------------- */

void *__vmalloc_caller(unsigned long size, gfp_t gfp_mask, const char *caller)
{
	uint32_t nr_pages, i, pa, *pfns;
	struct vmap_area *va;

	if (!size)
		return NULL;
	if (size > vm_boot_block->vmalloc_end - vm_boot_block->vmalloc_start)
		goto fail;
	nr_pages = (uint32_t)((size + PAGE_SIZE - 1) >> PAGE_SHIFT);
	pfns = kmalloc((size_t)nr_pages * sizeof(*pfns), meta_gfp(gfp_mask));
	if (!pfns)
		goto fail;
	/* One at a time, as Linux's __vmalloc_area_node: no order-n block is
	 * needed, and HighMem serves when the caller allows it. */
	for (i = 0; i < nr_pages; i++) {
		struct page *page = alloc_page(gfp_mask & ~__GFP_COMP);

		if (!page)
			goto out_free_pages;
		pfns[i] = (uint32_t)page_to_pfn(page);
	}
	pa = setup_vmap_area(nr_pages, pfns, VM_ALLOC, caller, gfp_mask);
	if (!pa)
		goto out_free_pages;
	va = VA(pa);
	if (map_area_host(va->va_start, pfns, nr_pages) != 0) {
		printk("vmalloc: cannot map %u pages in this process (host mapping limit?)", nr_pages);
		remove_vm_area(kva_to_host(va->va_start), false);
		return NULL;
	}
	return kva_to_host(va->va_start);

out_free_pages:
	while (i--)
		__free_page(pfn_to_page(pfns[i]));
	kfree(pfns);
fail:
	if (!(gfp_mask & __GFP_NOWARN))
		printk("vmalloc error: size %lu, mode:%#x, caller %s: allocation failed", size,
		       gfp_mask, caller ? caller : "?");
	return NULL;
}

void vfree(const void *addr)
{
	if (addr)
		remove_vm_area(addr, false);
}

void *__vmap_caller(struct page **pages, unsigned count, const char *caller)
{
	uint32_t pa, i, *pfns;
	struct vmap_area *va;

	if (!count || count > (vm_boot_block->vmalloc_end - vm_boot_block->vmalloc_start) >> PAGE_SHIFT)
		return NULL;
	pfns = kmalloc((size_t)count * sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return NULL;
	for (i = 0; i < count; i++)
		pfns[i] = (uint32_t)page_to_pfn(pages[i]);
	pa = setup_vmap_area(count, pfns, VM_MAP, caller, GFP_KERNEL);
	if (!pa) {
		kfree(pfns);
		return NULL;
	}
	va = VA(pa);
	if (map_area_host(va->va_start, pfns, count) != 0) {
		remove_vm_area(kva_to_host(va->va_start), true);
		return NULL;
	}
	return kva_to_host(va->va_start);
}

void vunmap(const void *addr)
{
	if (addr)
		remove_vm_area(addr, true);
}

struct page *vmalloc_to_page(const void *addr)
{
	unsigned long pfn;

	if (!is_vmalloc_addr(addr))
		return NULL;
	pfn = kernel_lookup_page(host_to_kva(addr));
	return pfn ? pfn_to_page(pfn) : NULL;
}

/* ---- validate_vmalloc ---------------------------------------------------- */

/* Walks the list in step with the tree's in-order visit. */
struct list_cursor {
	const struct vm_view *v;
	struct vm_report *r;
	uint32_t next;		/* the area the list says comes next */
	bool broken;
};

static void visit_area(void *ctx, uint32_t pa)
{
	struct list_cursor *c = ctx;
	const struct vmap_area *va;

	if (c->broken)
		return;
	if (pa != c->next) {
		vm_report(c->r, "vmalloc: tree and list disagree: the tree has area %#x where the list has %#x",
			  pa, c->next);
		c->broken = true;
		return;
	}
	va = vm_view_ptr(c->v, pa, sizeof(*va));
	c->next = va ? va->next : 0;
}

/* One area: its range, its frames, and swapper_pg_dir over it (no PTE
 * for one freed lazily). Adds the PTEs found present to *ptes and
 * VM_ALLOC frames to *alloc_pages. */
static void check_area(const struct vm_view *v, struct vm_report *r, uint32_t pa,
		       const struct vmap_area *va, uint32_t prev_end, uint8_t *owned,
		       uint64_t *alloc_pages, uint64_t *ptes)
{
	const struct vm_boot_block *bb = v->boot;
	const uint32_t *pfns;
	struct pt_walk w;
	uint32_t i, kind;
	bool lazy;

	if (!memchr(va->caller, '\0', sizeof(va->caller)))
		vm_report(r, "vmalloc: area %#x: caller name not terminated", pa);
	if ((va->va_start & ~PAGE_MASK) || (va->va_end & ~PAGE_MASK) || va->va_end <= va->va_start ||
	    va->va_start < bb->vmalloc_start || va->va_end > bb->vmalloc_end) {
		vm_report(r, "vmalloc: area %#x spans [%#x, %#x): misaligned or outside [%#x, %#x)",
			  pa, va->va_start, va->va_end, bb->vmalloc_start, bb->vmalloc_end);
		return;
	}
	if (va->va_start < prev_end)
		vm_report(r, "vmalloc: area %#x-%#x overlaps or precedes the area before it (ends %#x)",
			  va->va_start, va->va_end, prev_end);
	if ((uint64_t)va->va_end - va->va_start != ((uint64_t)va->nr_pages + 1) << PAGE_SHIFT) {
		vm_report(r, "vmalloc: area %#x-%#x is not %u pages and a guard page", va->va_start,
			  va->va_end, va->nr_pages);
		return;
	}
	kind = va->flags & ~VM_LAZY_MASK;
	lazy = va->flags & VM_LAZY_FREE;
	if ((kind != VM_ALLOC && kind != VM_MAP) || (va->flags & VM_LAZY_MASK) == VM_LAZY_FREEING)
		vm_report(r, "vmalloc: area %#x-%#x has flags %#x", va->va_start, va->va_end, va->flags);
	pfns = (va->pages & 3) ? NULL : vm_view_ptr(v, va->pages, (uint64_t)va->nr_pages * sizeof(*pfns));
	if (!pfns) {
		vm_report(r, "vmalloc: area %#x-%#x: pfn array at %#x lies outside RAM", va->va_start,
			  va->va_end, va->pages);
		return;
	}
	for (i = 0; i < va->nr_pages; i++) {
		uint32_t pfn = pfns[i], kva = va->va_start + (i << PAGE_SHIFT);

		if (pfn >= v->nr_pages) {
			vm_report(r, "vmalloc: area %#x-%#x page %u: pfn %#x beyond RAM", va->va_start,
				  va->va_end, i, pfn);
			continue;
		}
		if (va->flags & VM_ALLOC) {
			const struct page *page = &v->mem_map[pfn];
			const uint32_t bad = (1u << PG_buddy) | (1u << PG_pcp) | (1u << PG_reserved) |
					     (1u << PG_slab) | (1u << PG_tail);

			if ((page->flags & bad) || page->_refcount < 1)
				vm_report(r, "vmalloc: area %#x-%#x page %u: pfn %#x is not an allocated frame (flags %#x refcount %d)",
					  va->va_start, va->va_end, i, pfn, page->flags, page->_refcount);
			if (owned[pfn >> 3] & (1u << (pfn & 7)))
				vm_report(r, "vmalloc: pfn %#x belongs to two vmalloc pages (again at %#x)",
					  pfn, kva);
			owned[pfn >> 3] |= (uint8_t)(1u << (pfn & 7));
		}
		pt_walk_view(v, (int)bb->mode, bb->swapper_pg_dir, kva, &w);
		if (lazy) {
			/* freed: its frames wait for a shootdown, its PTEs went first */
			if (w.result == PT_WALK_MAPPED)
				vm_report(r, "vmalloc: freed area %#x-%#x page %u at %#x: swapper_pg_dir still maps pfn %#llx",
					  va->va_start, va->va_end, i, kva, (unsigned long long)w.pfn);
			continue;
		}
		if (w.result != PT_WALK_MAPPED || w.last != PT_PTE) {
			vm_report(r, "vmalloc: area %#x-%#x page %u at %#x: swapper_pg_dir has no PTE (%s)",
				  va->va_start, va->va_end, i, kva, pt_walk_result_name(w.result));
			continue;
		}
		(*ptes)++;
		if (w.pfn != pfn)
			vm_report(r, "vmalloc: page at %#x: swapper_pg_dir maps pfn %#llx, the area lists %#x",
				  kva, (unsigned long long)w.pfn, pfn);
		if (!pte_write(w.level[PT_PTE].entry) || pte_user(w.level[PT_PTE].entry))
			vm_report(r, "vmalloc: page at %#x: PTE %#llx is not kernel read-write", kva,
				  (unsigned long long)w.level[PT_PTE].entry);
	}
	pt_walk_view(v, (int)bb->mode, bb->swapper_pg_dir, va->va_end - PAGE_SIZE, &w);
	if (w.result == PT_WALK_MAPPED)
		vm_report(r, "vmalloc: area %#x-%#x: guard page at %#x is mapped (pfn %#llx)",
			  va->va_start, va->va_end, va->va_end - (uint32_t)PAGE_SIZE,
			  (unsigned long long)w.pfn);
	if (va->flags & VM_ALLOC)
		*alloc_pages += va->nr_pages;
}

/* Every page table under the vmalloc area: its entries present, its
 * count of entries in use (page->private) right, and no PTE that no area
 * accounts for. */
static void check_tables(const struct vm_view *v, struct vm_report *r, uint64_t area_ptes)
{
	const struct vm_boot_block *bb = v->boot;
	int mode = (int)bb->mode;
	uint64_t step = 1ULL << pmd_shift(mode), kva, present = 0;
	unsigned esz = pt_entry_size(mode), n = ptrs_per_pte(mode), i;

	for (kva = bb->vmalloc_start & ~(step - 1); kva < bb->vmalloc_end; kva += step) {
		unsigned used = 0;
		struct pt_walk w;
		const uint8_t *t;
		uint64_t table;
		pteval_t e;

		pt_walk_view(v, mode, bb->swapper_pg_dir, (uint32_t)kva, &w);
		if (!w.level[PT_PMD].valid)
			continue;
		e = w.level[PT_PMD].entry;
		if (pmd_none(e))
			continue;
		if (!pmd_present(e) || pmd_large(e)) {
			vm_report(r, "vmalloc: PMD entry %#llx for %#llx is not a page table",
				  (unsigned long long)e, (unsigned long long)kva);
			continue;
		}
		table = pmd_table_pa(e);
		t = vm_view_ptr(v, table, PAGE_SIZE);
		if (!t || (table >> PAGE_SHIFT) >= v->nr_pages) {
			vm_report(r, "vmalloc: page table at %#llx for %#llx lies outside lowmem",
				  (unsigned long long)table, (unsigned long long)kva);
			continue;
		}
		for (i = 0; i < n; i++) {
			pteval_t pte = esz == 8 ? ((const uint64_t *)t)[i] : ((const uint32_t *)t)[i];

			if (pte_none(pte))
				continue;
			used++;
			if (pte_present(pte))
				present++;
			else
				vm_report(r, "vmalloc: kernel PTE %#llx at %#llx is not present but not zero",
					  (unsigned long long)pte,
					  (unsigned long long)(kva + ((uint64_t)i << PAGE_SHIFT)));
		}
		if (v->mem_map[table >> PAGE_SHIFT].private != used)
			vm_report(r, "vmalloc: page table pfn %#llx counts %u entries, holds %u",
				  (unsigned long long)(table >> PAGE_SHIFT),
				  v->mem_map[table >> PAGE_SHIFT].private, used);
		if (used == 0)
			vm_report(r, "vmalloc: empty page table pfn %#llx left in swapper_pg_dir",
				  (unsigned long long)(table >> PAGE_SHIFT));
	}
	if (present != area_ptes)
		vm_report(r, "vmalloc: swapper_pg_dir maps %llu pages in the vmalloc area, the areas account for %llu",
			  (unsigned long long)present, (unsigned long long)area_ptes);
}

unsigned long validate_vmalloc(const struct vm_view *v, struct vm_report *r)
{
	const struct vm_boot_block *bb = v->boot;
	const struct vmap_state *vs = &v->kdata->vmap;
	uint64_t low_end = PAGE_OFFSET + ((uint64_t)bb->max_low_pfn << PAGE_SHIFT);
	uint64_t alloc_pages = 0, ptes = 0;
	unsigned long before = r->violations;
	uint32_t pa, prev = 0, prev_end, n = 0, max_areas, tortoise = 0, power = 1, lap = 0;
	struct list_cursor cursor;
	bool complete = true;
	uint8_t *owned;

	if ((bb->vmalloc_start & ~PAGE_MASK) || (bb->vmalloc_end & ~PAGE_MASK) ||
	    bb->vmalloc_start < low_end || bb->vmalloc_start >= bb->vmalloc_end ||
	    bb->vmalloc_end > PKMAP_BASE) {
		vm_report(r, "vmalloc: area [%#x, %#x) is not a page range between lowmem's end %#llx and pkmap",
			  bb->vmalloc_start, bb->vmalloc_end, (unsigned long long)low_end);
		return r->violations - before;
	}
	/* each area is a page and a guard at least */
	max_areas = (bb->vmalloc_end - bb->vmalloc_start) / (2 * PAGE_SIZE);
	owned = calloc((v->nr_pages + 7) / 8, 1);
	if (!owned) {
		vm_report(r, "vmalloc: check: out of memory for %u frames", v->nr_pages);
		return r->violations - before;
	}

	/* Brent's cycle finder: a tortoise that jumps to the hare at each
	 * power of two meets it within two laps of any cycle, so a damaged
	 * list costs a few reports, not one per step up to max_areas. */
	prev_end = bb->vmalloc_start;
	for (pa = vs->first; pa; ) {
		const struct vmap_area *p;
		struct vmap_area va;

		if (pa == tortoise) {
			vm_report(r, "vmalloc: area list loops back to area %#x", pa);
			complete = false;
			break;
		}
		if (++lap == power) {
			tortoise = pa;
			power *= 2;
			lap = 0;
		}
		if (++n > max_areas) {
			vm_report(r, "vmalloc: area list does not end after %u areas", max_areas);
			complete = false;
			break;
		}
		p = (pa & 3) ? NULL : vm_view_ptr(v, pa, sizeof(*p));
		if (!p) {
			vm_report(r, "vmalloc: area at pa %#x lies outside RAM", pa);
			complete = false;
			break;
		}
		va = *p;	/* one copy: a live machine may change under us */
		if (va.prev != prev)
			vm_report(r, "vmalloc: area %#x: prev link %#x, expected %#x", pa, va.prev, prev);
		check_area(v, r, pa, &va, prev_end, owned, &alloc_pages, &ptes);
		if (va.va_end > prev_end)
			prev_end = va.va_end;
		prev = pa;
		pa = va.next;
	}
	if (complete) {
		if (vs->last != prev)
			vm_report(r, "vmalloc: last is %#x, the list ends at %#x", vs->last, prev);
		if (n != vs->root.count)
			vm_report(r, "vmalloc: list holds %u areas, the tree counts %u", n, vs->root.count);
		if (alloc_pages != vs->nr_pages)
			vm_report(r, "vmalloc: areas hold %llu vmalloc pages, nr_pages says %llu",
				  (unsigned long long)alloc_pages, (unsigned long long)vs->nr_pages);
		if (v->kdata->pgdat.vm_stat[NR_VMALLOC] != (int64_t)vs->nr_pages)
			vm_report(r, "vmalloc: nr_vmalloc %lld, nr_pages %llu",
				  (long long)v->kdata->pgdat.vm_stat[NR_VMALLOC],
				  (unsigned long long)vs->nr_pages);
	}

	/* pae: every PGD's kernel quarter points at swapper's own PMD */
	if (bb->mode == VM_MODE_PAE) {
		const uint64_t *pgd = vm_view_ptr(v, bb->swapper_pg_dir, 4 * sizeof(*pgd));
		uint64_t want = ((uint64_t)bb->swapper_pg_dir + PAGE_SIZE) | _PAGE_PRESENT;

		if (!pgd || pgd[3] != want)
			vm_report(r, "vmalloc: swapper_pg_dir[3] is %#llx, expected %#llx (the kernel PMD)",
				  pgd ? (unsigned long long)pgd[3] : 0ULL, (unsigned long long)want);
	}

	cursor = (struct list_cursor){ .v = v, .r = r, .next = vs->first };
	avl_validate(v, &vs->root, VA_KEY_OFF, max_areas + 1, "vmalloc", r, visit_area, &cursor);
	if (!cursor.broken && cursor.next)
		vm_report(r, "vmalloc: the list goes on at area %#x after the tree's last", cursor.next);

	check_tables(v, r, ptes);
	free(owned);
	return r->violations - before;
}
