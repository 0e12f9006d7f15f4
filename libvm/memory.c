/* memory.c - what a page fault does to the page tables, and what unmapping
 * undoes: handle_mm_fault, do_anonymous_page, do_wp_page, zap_page_range,
 * change_protection. Everything here runs with mm->mmap_lock held and
 * reaches frames through the direct map or kmap_atomic, never through the
 * user window, so no kernel path faults on user memory (DESIGN §6).
 *
 * A/D emulation. The host MMU keeps no accessed or dirty bits for us, so
 * the PTE's bits are set when the fault handler hands out the host
 * mapping, and that mapping never grants more than they record:
 *
 *   host mapping present   =>  PTE has A
 *   host mapping writable  =>  PTE has RW and D
 *
 * A first read of a page maps it read-only, so its first write faults
 * again and sets D; to age a page (reclaim) or clean it, clear A or D and
 * flush the host mapping, and the next access shows again. A run of
 * pages installed with one host mapping gets A on every page of it.
 *
 * Large anonymous folios. A fault in a private anonymous VMA allocates an
 * aligned run of 2^folio_order contiguous frames when the whole run lies
 * in the VMA and in one page table and none of its PTEs is in use; it
 * sets a PTE per page and asks for one host mapping of the run. The run
 * is split into independent frames at once (split_page), so every later
 * path (unmap, COW, swap) sees ordinary order-0 pages; only the host
 * mapping, and the buddy allocator when they are freed together, see the
 * run. Linux keeps such a run as one large folio; splitting trades its
 * bookkeeping for simplicity here.
 */
#include <string.h>
#include <sys/mman.h>

#include "internal.h"
#include <vm/guest.h>

pgprot_t vm_get_page_prot(uint32_t vm_flags)
{
	pgprot_t prot = _PAGE_PRESENT;

	if (!(vm_flags & VM_ACCESS_FLAGS))
		return prot;		/* PROT_NONE: present, but no user access */
	prot |= _PAGE_USER;
	/* Private writable pages get RW at their write fault (PAGE_COPY);
	 * shared ones have it from the start (PAGE_SHARED). */
	if ((vm_flags & (VM_WRITE | VM_SHARED)) == (VM_WRITE | VM_SHARED))
		prot |= _PAGE_RW;
	if (!(vm_flags & VM_EXEC))
		prot |= _PAGE_NX;
	return prot & __supported_pte_mask((int)vm_boot_block->mode);
}

static inline bool vma_is_anonymous(const struct vm_area_struct *vma)
{
	return vma->vm_file == 0;
}

/* Linux's access_error(): does the VMA allow this access? */
static bool access_error(unsigned error_code, const struct vm_area_struct *vma)
{
	if (error_code & X86_PF_WRITE)
		return !(vma->vm_flags & VM_WRITE);
	if (error_code & X86_PF_INSTR)
		return !(vma->vm_flags & VM_EXEC);
	return !(vma->vm_flags & VM_ACCESS_FLAGS);
}

static void mm_rss_add(struct mm_struct *mm, int member, long n)
{
	uint64_t rss;

	mm->rss_stat[member] += n;
	rss = (uint64_t)(mm->rss_stat[MM_ANONPAGES] + mm->rss_stat[MM_FILEPAGES] +
			 mm->rss_stat[MM_SHMEMPAGES]);
	if (rss > mm->hiwater_rss)
		mm->hiwater_rss = rss;
}

static int anon_rss_member(const struct vm_area_struct *vma)
{
	return (vma->vm_flags & VM_SHARED) ? MM_SHMEMPAGES : MM_ANONPAGES;
}

/* The aligned run of 2^folio_order pages around addr when it lies inside
 * vma (and so inside one page table, whose span is a multiple of it): its
 * first va in *base, the slot of its first PTE in *first, and its length
 * in pages; 0 when there is no such run. */
static unsigned folio_run(const struct vm_area_struct *vma, uint32_t addr, uint64_t pte,
			  uint32_t *base, uint64_t *first)
{
	unsigned order = vm_boot_block->folio_order;
	uint32_t size = PAGE_SIZE << order;

	if (!order)
		return 0;
	*base = addr & ~(size - 1);
	if (*base < vma->vm_start || *base + size > vma->vm_end || *base + size < *base)
		return 0;
	*first = pte - (uint64_t)((addr - *base) >> PAGE_SHIFT) *
		       pt_entry_size((int)vm_boot_block->mode);
	return 1u << order;
}

/* The order a demand-zero fault at addr allocates: the folio's when its
 * run is private and none of its PTEs is in use, else 0. */
static unsigned anon_fault_order(struct vm_area_struct *vma, uint32_t addr, uint64_t pte)
{
	unsigned esz = pt_entry_size((int)vm_boot_block->mode), i, n;
	uint64_t first;
	uint32_t base;

	if (vma->vm_flags & VM_SHARED)
		return 0;
	n = folio_run(vma, addr, pte, &base, &first);
	for (i = 0; i < n; i++)
		if (!pte_none(pt_read(first + (uint64_t)i * esz)))
			return 0;
	return n ? vm_boot_block->folio_order : 0;
}

/*
 * A read of an untouched private anonymous page: map the one zero frame,
 * read-only (Linux's ZERO_PAGE), so reading memory costs no memory. Its
 * PTEs hold no reference and no mapcount and count in no RSS; the first
 * write goes to do_wp_page, which gives the page a frame of its own.
 */
static int do_zero_page(struct mm_struct *mm, struct vm_area_struct *vma, uint32_t addr,
			uint64_t pte, struct tlb_fill *fill)
{
	int mode = (int)vm_boot_block->mode;
	pgprot_t prot = (vm_get_page_prot(vma->vm_flags) | _PAGE_ACCESSED) & ~(pgprot_t)_PAGE_RW;

	pte_table_account(mm, addr, 1);
	set_pte(pte, pfn_pte(mode, ZERO_PFN, prot));
	fill->va = addr & (uint32_t)PAGE_MASK;
	fill->npages = 1;
	fill->pfn = ZERO_PFN;
	fill->writable = false;
	return VM_FAULT_OK;
}

/*
 * A fault on a PTE that is none in an anonymous VMA: zeroed frames from the
 * buddy allocator (HighMem first when the machine has it), a PTE each.
 * A write makes them writable and dirty; a read maps them read-only.
 */
static int do_anonymous_page(struct mm_struct *mm, struct vm_area_struct *vma, uint32_t addr,
			     uint64_t pte, unsigned flags, struct tlb_fill *fill)
{
	int mode = (int)vm_boot_block->mode;
	unsigned order = anon_fault_order(vma, addr, pte), i, n, esz = pt_entry_size(mode);
	uint32_t base = addr & ~((PAGE_SIZE << order) - 1);
	bool write = flags & X86_PF_WRITE;
	struct page *page = NULL;
	pgprot_t prot;
	uint64_t first;

	if (!write && !(vma->vm_flags & VM_SHARED))
		return do_zero_page(mm, vma, addr, pte, fill);
	if (anon_vma_prepare(mm, vma))
		return VM_FAULT_OOM;
	if (order) {
		mm_inflight_prepare(mm, INFLIGHT_ANON, order, base);
		page = alloc_pages(GFP_HIGHUSER | __GFP_NOWARN, order);
	}
	if (!page) {
		order = 0;
		base = addr & (uint32_t)PAGE_MASK;
		mm_inflight_prepare(mm, INFLIGHT_ANON, 0, base);
		/* reclaim may evict this mm's own pages: none of them is the
		 * PTE this fills, which stays none */
		reclaim_own_mm = true;
		page = alloc_pages(GFP_HIGHUSER, 0);
		reclaim_own_mm = false;
		if (!page) {
			vm_claim_page = NULL;
			mm_inflight_clear(mm);
			return VM_FAULT_OOM;
		}
	}
	n = 1u << order;
	mm_inflight_set(mm, INFLIGHT_ANON, page_to_pfn(page), order, base);
	if (order)
		split_page(page, order);

	prot = vm_get_page_prot(vma->vm_flags) | _PAGE_ACCESSED;
	if (write)
		prot |= _PAGE_RW | _PAGE_DIRTY;
	first = pte - (uint64_t)((addr - base) >> PAGE_SHIFT) * esz;
	/* the table's count before the PTEs appear: one too high only keeps
	 * the table until exit, one too low would free it under them */
	pte_table_account(mm, base, (int)n);
	for (i = 0; i < n; i++) {
		struct page *p = page + i;

		if (!(flags & FAULT_FLAG_ZERO_IN_WINDOW))
			clear_highpage(p);
		p->mapping = vma->anon_vma | PAGE_MAPPING_ANON;
		p->index = (base >> PAGE_SHIFT) + i;
		p->_mapcount = 0;
		set_pte(first + (uint64_t)i * esz, pfn_pte(mode, page_to_pfn(p), prot));
		lru_cache_add(p, true);
	}
	mm_rss_add(mm, anon_rss_member(vma), n);
	mod_node_page_state(NR_ANON_MAPPED, n);
	mm_inflight_clear(mm);

	fill->va = base;
	fill->npages = n;
	fill->pfn = page_to_pfn(page);
	fill->writable = write;
	fill->zero = flags & FAULT_FLAG_ZERO_IN_WINDOW;
	return VM_FAULT_OK;
}

static void cow_release_old(struct mm_struct *mm, struct page *old);

/*
 * A write to a present page whose PTE is read-only, in a writable VMA:
 * copy on write. A page this mm alone maps and holds is reused in place
 * (Linux's wp_page_reuse: after fork, the last of parent and child to
 * write keeps the frame); any other is copied into a new frame, and the
 * zero page is replaced by a zeroed one. The old frame's other users
 * keep it; their PTEs do not change, so no other process flushes.
 */
static int do_wp_page(struct mm_struct *mm, struct vm_area_struct *vma, uint32_t addr,
		      uint64_t pte, pteval_t e, unsigned flags, struct tlb_fill *fill)
{
	int mode = (int)vm_boot_block->mode;
	bool zero = is_zero_pfn(pte_pfn(e));
	struct page *old = pfn_to_page(pte_pfn(e)), *new;
	bool file = !zero && PageFile(old);

	if ((vma->vm_flags & VM_SHARED) && !zero) {
		/* a shared mapping writes to the page itself (Linux's
		 * wp_page_shared): mprotect took RW away and gave it back */
		set_pte(pte, e | _PAGE_RW | _PAGE_DIRTY | _PAGE_ACCESSED);
		if (file)
			set_page_dirty(old);
		return VM_FAULT_OK;
	}
	if (!zero && !file && old->_mapcount == 0 && PageSwapCache(old) && page_ref_count(old) == 2 &&
	    trylock_page_noted(old)) {
		/* its copy in swap is wanted by no swap PTE: drop it, and the
		 * page is this mm's alone (Linux's reuse_swap_page) */
		try_to_free_swap(old);
		swap_unlock_page(old);
	}
	if (!zero && !file && page_ref_count(old) == 1 && old->_mapcount == 0) {
		set_pte(pte, e | _PAGE_RW | _PAGE_DIRTY | _PAGE_ACCESSED);
		return VM_FAULT_OK;
	}
	if (anon_vma_prepare(mm, vma))
		return VM_FAULT_OOM;
	mm->inflight_old_pfn = zero ? 0 : (uint32_t)pte_pfn(e);
	mm_inflight_prepare(mm, file ? INFLIGHT_COW_FILE : INFLIGHT_COW, 0,
			    addr & (uint32_t)PAGE_MASK);
	/* reclaim may take this mm's pages, this one too: checked below */
	reclaim_own_mm = true;
	new = alloc_page(GFP_HIGHUSER);
	reclaim_own_mm = false;
	if (!new) {
		vm_claim_page = NULL;
		mm_inflight_clear(mm);
		return VM_FAULT_OOM;
	}
	mm_inflight_set(mm, file ? INFLIGHT_COW_FILE : INFLIGHT_COW, page_to_pfn(new), 0,
			addr & (uint32_t)PAGE_MASK);
	if (pt_read(pte) != e) {
		/* the old page went to swap meanwhile: fault again */
		__free_page(new);
		mm->inflight_old_pfn = 0;
		mm_inflight_clear(mm);
		return VM_FAULT_RETRY;
	}
	if (flags & FAULT_FLAG_ZERO_IN_WINDOW) {
		/* the fault handler fills the frame through its new host
		 * mapping, which the host populates: the direct map would
		 * take a host fault for it. The old frame is let go after the
		 * copy (cow_finish): until then this mm's reference keeps
		 * its other users from reusing it in place. */
		if (zero) {
			fill->zero = true;
		} else {
			fill->cow_src = page_to_pfn(old);
		}
	} else if (zero) {
		clear_highpage(new);
	} else {
		copy_highpage(new, old);
	}
	new->mapping = vma->anon_vma | PAGE_MAPPING_ANON;
	new->index = addr >> PAGE_SHIFT;
	new->_mapcount = 0;
	set_pte(pte, pfn_pte(mode, page_to_pfn(new),
			     pte_flags(e) | _PAGE_RW | _PAGE_DIRTY | _PAGE_ACCESSED));
	lru_cache_add(new, true);
	mod_node_page_state(NR_ANON_MAPPED, 1);
	if (zero || file)
		mm_rss_add(mm, anon_rss_member(vma), 1);
	if (file)
		mm->rss_stat[MM_FILEPAGES]--;	/* the cached page stays in the cache */
	if (zero)
		;
	else if (fill->cow_src)
		return VM_FAULT_OK;		/* the note stays until cow_finish */
	else
		cow_release_old(mm, old);
	mm->inflight_old_pfn = 0;
	mm_inflight_clear(mm);
	return VM_FAULT_OK;
}

/* This mm lets go of the frame a copy on write replaced (a kill in
 * between: the note has it recounted). */
static void cow_release_old(struct mm_struct *mm, struct page *old)
{
	if (PageFile(old)) {
		/* the page cache keeps it; the note goes before the PTE's
		 * reference (file_page_recount counts on that order) */
		if (__atomic_sub_fetch(&old->_mapcount, 1, __ATOMIC_RELAXED) < 0)
			mod_node_page_state(NR_FILE_MAPPED, -1);
		mm->inflight_old_pfn = 0;
		mm_inflight_clear(mm);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		put_page(old);
		return;
	}
	if (__atomic_sub_fetch(&old->_mapcount, 1, __ATOMIC_RELAXED) < 0) {
		mod_node_page_state(NR_ANON_MAPPED, -1);
		/* its copy in swap, if no swap PTE wants it, goes with it */
		if (PageSwapCache(old) && trylock_page_noted(old))
			swap_unlock_page(old);
	}
	put_page(old);
}

void cow_finish(struct mm_struct *mm, const struct tlb_fill *fill, void *dst)
{
	struct page *old = pfn_to_page(fill->cow_src), *new = pfn_to_page(fill->pfn);
	void *src;

	if (dst) {
		src = kmap_atomic(old);
		memcpy(dst, src, PAGE_SIZE);
		kunmap_atomic(src);
	} else {
		copy_highpage(new, old);	/* no host mapping to copy through */
	}
	cow_release_old(mm, old);
	mm->inflight_old_pfn = 0;
	mm_inflight_clear(mm);
}

/* The host mapping a present PTE allows, widened to its aligned folio run
 * when every PTE of the run is present, maps the next frame and allows
 * the same: so a refill after eviction costs one fault per run, not per
 * page. Sets A on every page the mapping covers. */
static void fill_from_pte(struct vm_area_struct *vma, uint32_t addr, uint64_t pte,
			  struct tlb_fill *fill)
{
	unsigned esz = pt_entry_size((int)vm_boot_block->mode), i, n;
	pteval_t e = pt_read(pte), want;
	uint64_t first, pfn0;
	uint32_t base;

	fill->va = addr & (uint32_t)PAGE_MASK;
	fill->npages = 1;
	fill->pfn = pte_pfn(e);
	fill->writable = pte_write(e) && pte_dirty(e);
	if (!pte_young(e))
		set_pte(pte, e | _PAGE_ACCESSED);
	/* a frame still to be zeroed or copied through the mapping is
	 * mapped alone: the run's other pages hold data already */
	if (fill->zero || fill->cow_src)
		return;
	n = folio_run(vma, addr, pte, &base, &first);
	if (!n)
		return;
	pfn0 = pte_pfn(e) - ((addr - base) >> PAGE_SHIFT);
	want = pte_flags(e) | _PAGE_ACCESSED;
	for (i = 0; i < n; i++) {
		pteval_t x = pt_read(first + (uint64_t)i * esz);

		if (!pte_present(x) || pte_pfn(x) != pfn0 + i ||
		    (pte_flags(x) | _PAGE_ACCESSED) != want)
			return;
	}
	for (i = 0; i < n; i++) {
		pteval_t x = pt_read(first + (uint64_t)i * esz);

		if (!pte_young(x))
			set_pte(first + (uint64_t)i * esz, x | _PAGE_ACCESSED);
	}
	fill->va = base;
	fill->npages = n;
	fill->pfn = pfn0;
}

/* Map page (locked, in the swap cache, holding entry's data) at the swap
 * PTE pte of addr, dropping the PTE's slot count; unlocks the page. A
 * write to a private page nobody else wants drops its copy in swap (it
 * is stale from now on) and maps it writable; any other private write
 * maps it read-only for do_wp_page to copy. */
static void swap_map_page(struct mm_struct *mm, struct vm_area_struct *vma, uint32_t addr,
			  uint64_t pte, swp_entry_t entry, struct page *page, bool write)
{
	int mode = (int)vm_boot_block->mode;
	bool shared = vma->vm_flags & VM_SHARED;
	pgprot_t prot;

	get_page(page);
	if (__atomic_load_n(&page->_mapcount, __ATOMIC_RELAXED) < 0) {
		page->mapping = vma->anon_vma | PAGE_MAPPING_ANON;
		page->index = addr >> PAGE_SHIFT;
	}
	if (__atomic_add_fetch(&page->_mapcount, 1, __ATOMIC_RELAXED) == 0)
		mod_node_page_state(NR_ANON_MAPPED, 1);
	prot = vm_get_page_prot(vma->vm_flags) | _PAGE_ACCESSED;
	swap_free(entry);
	if (write && !shared && page->_mapcount == 0 && try_to_free_swap(page))
		prot |= _PAGE_RW;
	if (write && (prot & _PAGE_RW))
		prot |= _PAGE_DIRTY;
	set_pte(pte, pfn_pte(mode, page_to_pfn(page), prot));
	mm_rss_add(mm, anon_rss_member(vma), 1);
	mm->rss_stat[MM_SWAPENTS]--;
	swap_unlock_page(page);
}

/* The folio run around addr holds swap entries of one area at
 * consecutive slots, in order (as reclaim wrote the run out): the run's
 * first entry, and its length in *n; entry 0 when it does not. */
static swp_entry_t swap_run(struct vm_area_struct *vma, uint32_t addr, uint64_t pte,
			    swp_entry_t entry, unsigned *n)
{
	unsigned esz = pt_entry_size((int)vm_boot_block->mode), i;
	swp_entry_t none = { 0 }, first;
	uint64_t p0;
	uint32_t base, idx;

	*n = folio_run(vma, addr, pte, &base, &p0);
	if (!*n)
		return none;
	idx = (addr - base) >> PAGE_SHIFT;
	if (swp_offset(entry) < idx)
		return none;
	first = swp_entry(swp_type(entry), swp_offset(entry) - idx);
	for (i = 0; i < *n; i++) {
		pteval_t x = pt_read(p0 + (uint64_t)i * esz);

		if (pte_none(x) || pte_present(x) ||
		    pte_to_swp_entry((int)vm_boot_block->mode, x).val != first.val + i)
			return none;
	}
	return first;
}

/* The swap entries of the other PTEs of addr's folio run, at most max:
 * what swap-in reads along with addr's page (Linux's VMA-based swap
 * readahead), so that it never takes the slots of the next run, which
 * may come back whole. */
static unsigned swap_ra_entries(struct vm_area_struct *vma, uint32_t addr, uint64_t pte,
				uint32_t *out, unsigned max)
{
	unsigned esz = pt_entry_size((int)vm_boot_block->mode), i, n, k = 0;
	uint32_t base;
	uint64_t p0;

	n = folio_run(vma, addr, pte, &base, &p0);
	for (i = 0; i < n && k < max; i++) {
		pteval_t x = pt_read(p0 + (uint64_t)i * esz);

		if (base + i * PAGE_SIZE == addr || pte_none(x) || pte_present(x))
			continue;
		out[k++] = pte_to_swp_entry((int)vm_boot_block->mode, x).val;
	}
	return k;
}

/* Map the other pages of addr's folio run that are in the swap cache
 * (Linux maps a large folio it swaps in whole): with the fault's
 * pages around it mapped alike, one host mapping covers the run when
 * their frames are contiguous, as a folio read makes them. */
static void swap_fault_around(struct mm_struct *mm, struct vm_area_struct *vma, uint32_t addr,
			      uint64_t pte, bool write, struct tlb_fill *fill)
{
	int mode = (int)vm_boot_block->mode;
	unsigned esz = pt_entry_size(mode), i, n;
	uint32_t base;
	uint64_t p0;

	n = folio_run(vma, addr, pte, &base, &p0);
	for (i = 0; i < n; i++) {
		uint32_t va = base + i * PAGE_SIZE;
		uint64_t p = p0 + (uint64_t)i * esz;
		pteval_t x = pt_read(p);
		swp_entry_t entry;
		struct page *page;

		if (va == addr || pte_none(x) || pte_present(x))
			continue;
		entry = pte_to_swp_entry(mode, x);
		page = lookup_swap_cache(entry);
		if (!page)
			continue;
		if (!trylock_page_noted(page)) {
			put_page(page);
			continue;
		}
		if (PageSwapCache(page) && page->private == entry.val) {
			swap_map_page(mm, vma, va, p, entry, page, write);
			x = pt_read(p);
			if (fill->nr_around < ARRAY_SIZE(fill->around)) {
				struct tlb_around *a = &fill->around[fill->nr_around++];

				a->va = va;
				a->pfn = (uint32_t)pte_pfn(x);
				a->writable = pte_write(x) && pte_dirty(x);
			}
		} else {
			swap_unlock_page(page);
		}
		put_page(page);
	}
}

/*
 * A fault on a swap PTE (Linux's do_swap_page): the page from the swap
 * cache, or read from its slot with its neighbours (read_swap_page), is
 * mapped again and the PTE's slot count dropped. The page stays in the
 * swap cache with its copy in swap, so that reclaim can drop it again
 * without a write as long as it stays clean. When the caller can retry
 * with its lock dropped, a page not in the cache is left for it to read
 * (fill->swapin), the whole folio run at once when the run went out
 * together (fill->swapin_run).
 */
static int do_swap_page(struct mm_struct *mm, struct vm_area_struct *vma, uint32_t addr,
			uint64_t pte, pteval_t e, unsigned flags, struct tlb_fill *fill)
{
	int mode = (int)vm_boot_block->mode, err;
	swp_entry_t entry = pte_to_swp_entry(mode, e);
	bool write = flags & X86_PF_WRITE, major;
	struct page *page;

	if (anon_vma_prepare(mm, vma))
		return VM_FAULT_OOM;
	if (flags & FAULT_FLAG_ALLOW_RETRY) {
		/* not in the swap cache: the read (and the allocation, which
		 * may reclaim) had better not hold this mm's lock, which every
		 * reclaimer needs to unmap this mm's pages. The caller reads
		 * the page into the cache unlocked and faults again
		 * (Linux drops mmap_lock for the I/O the same way). */
		page = lookup_swap_cache(entry);
		if (!page) {
			swp_entry_t first = swap_run(vma, addr, pte, entry, &fill->swapin_run);

			fill->swapin = entry.val;
			if (first.val) {
				fill->swapin_first = first.val;
			} else {
				fill->swapin_run = 0;
				fill->swapin_nra = swap_ra_entries(vma, addr, pte, fill->swapin_ra,
								   ARRAY_SIZE(fill->swapin_ra));
			}
			return VM_FAULT_RETRY;
		}
		put_page(page);
	}
	/* a swap PTE is nothing reclaim changes: this mm's pages may go */
	reclaim_own_mm = true;
	{
		swp_entry_t ra[16];
		unsigned nra = swap_ra_entries(vma, addr, pte, (uint32_t *)ra, ARRAY_SIZE(ra));

		page = read_swap_page(entry, ra, nra, GFP_HIGHUSER, &major, &err);
	}
	reclaim_own_mm = false;
	if (!page) {
		if (err == -EAGAIN || err == -ENOENT)
			return VM_FAULT_RETRY;
		if (err == -ENOMEM)
			return VM_FAULT_OOM;
		return VM_FAULT_SIGBUS;	/* the read failed: logged */
	}
	if (pt_read(pte) != e) {
		swap_unlock_page(page);
		return VM_FAULT_RETRY;
	}
	swap_map_page(mm, vma, addr, pte, entry, page, write);
	swap_fault_around(mm, vma, addr, pte, write, fill);
	fill->major = major;
	return VM_FAULT_OK;
}

int handle_mm_fault(struct mm_struct *mm, uint32_t addr, unsigned error_code,
		    struct tlb_fill *fill)
{
	bool write = error_code & X86_PF_WRITE;
	struct vm_area_struct *vma;
	uint64_t pte;
	pteval_t e;
	int ret;

	memset(fill, 0, sizeof(*fill));
	if (addr >= mm->task_size)
		return VM_FAULT_BADMAP;
	vma = find_vma(mm, addr);
	if (!vma)
		return VM_FAULT_BADMAP;
	if (vma->vm_start > addr) {
		if (!(vma->vm_flags & VM_GROWSDOWN) || expand_stack(mm, vma, addr))
			return VM_FAULT_BADMAP;
	}
	if (access_error(error_code, vma))
		return VM_FAULT_BADACCESS;
	fill->exec = vma->vm_flags & VM_EXEC;

	/* a new table fills a slot reclaim never touches: this mm's own
	 * pages may go to make room for it */
	reclaim_own_mm = true;
	pte = pte_alloc_map(mm, addr);
	reclaim_own_mm = false;
	if (!pte)
		return VM_FAULT_OOM;
	e = pt_read(pte);
	if (pte_none(e)) {
		if (!vma_is_anonymous(vma)) {
			ret = filemap_fault(mm, vma, addr, pte, error_code, fill);
			if (ret != VM_FAULT_OK || !write || (vma->vm_flags & VM_SHARED))
				goto out_file;
			/* a private write: the cached page is mapped read-only,
			 * the copy comes next */
			e = pt_read(pte);
			memset(fill, 0, sizeof(*fill));
			fill->exec = vma->vm_flags & VM_EXEC;
			ret = do_wp_page(mm, vma, addr, pte, e, error_code, fill);
			if (ret != VM_FAULT_OK)
				return ret;
			fill->major = true;
			fill_from_pte(vma, addr, pte, fill);
			return VM_FAULT_OK;
out_file:
			if (ret != VM_FAULT_OK && pte_none(pt_read(pte)))
				pte_table_account(mm, addr, 0);
			return ret;
		}
		ret = do_anonymous_page(mm, vma, addr, pte, error_code, fill);
		if (ret == VM_FAULT_OK)
			return ret;
		/* the table pte_alloc_map made may be empty: give it back */
		if (pte_none(pt_read(pte)))
			pte_table_account(mm, addr, 0);
		return ret;
	}
	if (!pte_present(e)) {
		/* (a private file mapping's copies swap as anonymous pages) */
		ret = do_swap_page(mm, vma, addr, pte, e, error_code, fill);
		if (ret != VM_FAULT_OK)
			return ret;
		fill_from_pte(vma, addr, pte, fill);
		if (fill->npages > 1)
			fill->nr_around = 0;	/* one host mapping covers the run */
		return VM_FAULT_OK;
	}
	if (!pte_user(e))
		return VM_FAULT_BADACCESS;	/* PROT_NONE page the VMA now allows: cannot be */

	if (write) {
		if (!pte_write(e)) {
			ret = do_wp_page(mm, vma, addr, pte, e, error_code, fill);
			if (ret != VM_FAULT_OK)
				return ret;
		} else if (!pte_dirty(e)) {
			/* the first write since the page was cleaned: a file
			 * page has the file behind it from now on */
			set_pte(pte, e | _PAGE_DIRTY | _PAGE_ACCESSED);
			if (!is_zero_pfn(pte_pfn(e)) && PageFile(pfn_to_page(pte_pfn(e))))
				set_page_dirty(pfn_to_page(pte_pfn(e)));
		} else {
			fill->tlb_miss = true;
		}
	} else {
		fill->tlb_miss = pte_young(e);
	}
	fill_from_pte(vma, addr, pte, fill);
	return VM_FAULT_OK;
}

/*
 * Clear the PTEs of [start, end), one table at a time: each present page
 * loses a mapping and a reference (freeing it on the last), and a table
 * whose entries all went is freed with its directory slot. This process's
 * own host mappings go first, in one call, so no guest access can reach a
 * frame once it is freed; another process's would need a shootdown.
 */
void zap_page_range(struct mm_struct *mm, struct vm_area_struct *vma, uint32_t start,
		    uint32_t end)
{
	int member = anon_rss_member(vma);
	int mode = (int)vm_boot_block->mode;
	unsigned esz = pt_entry_size(mode);
	uint32_t span = 1u << pmd_shift(mode), addr, next;

	if (start >= end)
		return;
	if (mm_is_current(mm))
		flush_tlb_range(start, end - start);
	for (addr = start; addr < end && addr >= start; addr = next) {
		uint64_t pte = pte_lookup(mm, addr);
		long cleared = 0, pages = 0, file_pages = 0;
		uint32_t a;

		next = (addr & ~(span - 1)) + span;
		if (next > end || next == 0)
			next = end;
		if (!pte)
			continue;
		for (a = addr; a < next; a += PAGE_SIZE, pte += esz) {
			pteval_t e = pt_read(pte);
			struct page *page;

			if (pte_none(e))
				continue;
			if (!pte_present(e)) {
				/* a swap entry: its slot (and a cached page
				 * nobody else wants) go */
				pte_clear(pte);
				free_swap_and_cache(pte_to_swp_entry(mode, e));
				mm->rss_stat[MM_SWAPENTS]--;
				cleared++;
				continue;
			}
			if (is_zero_pfn(pte_pfn(e))) {
				pte_clear(pte);	/* holds nothing */
				cleared++;
				continue;
			}
			page = pfn_to_page(pte_pfn(e));
			if (PageFile(page)) {
				/* the cache keeps the page; its D bit goes to it.
				 * The note (a kill: file_page_recount) goes
				 * before the PTE's reference */
				if (pte_dirty(e))
					set_page_dirty(page);
				mm_inflight_set(mm, INFLIGHT_UNMAP, pte_pfn(e), 0, a);
				pte_clear(pte);
				cleared++;
				file_pages++;
				if (__atomic_sub_fetch(&page->_mapcount, 1, __ATOMIC_RELAXED) < 0)
					mod_node_page_state(NR_FILE_MAPPED, -1);
				mm_inflight_clear(mm);
				__atomic_signal_fence(__ATOMIC_SEQ_CST);
				put_page(page);
				continue;
			}
			mm_inflight_set(mm, INFLIGHT_UNMAP, pte_pfn(e), 0, a);
			/* a shared page written here may still be wanted from
			 * the swap cache by another mapper's swap PTE: its D
			 * bit must not go with the PTE */
			if (pte_dirty(e))
				SetPageDirty(page);
			pte_clear(pte);
			cleared++;
			pages++;
			/* NR_ANON_MAPPED counts pages: the last mapping takes it */
			if (__atomic_sub_fetch(&page->_mapcount, 1, __ATOMIC_RELAXED) < 0) {
				mod_node_page_state(NR_ANON_MAPPED, -1);
				/* its copy in swap, if no swap PTE wants it,
				 * goes with the last mapping (Linux's
				 * free_swap_cache); a locked page is its
				 * locker's to drop */
				if (PageSwapCache(page) && trylock_page_noted(page))
					swap_unlock_page(page);
			}
			mm_inflight_stage(mm, INFLIGHT_UNMAPPED);
			put_page(page);
		}
		mm_inflight_clear(mm);
		if (pages)
			mm->rss_stat[member] -= pages;
		mm->rss_stat[MM_FILEPAGES] -= file_pages;
		if (cleared)
			pte_table_account(mm, addr, (int)-cleared);
	}
}

/* The rights of the VMA's flags on an existing PTE: RW only ever taken
 * away (a private page regains it at its next write fault), U/S and NX
 * follow the flags. A/D and the frame stay. */
static pteval_t pte_modify(pteval_t e, uint32_t vm_flags)
{
	pgprot_t prot = vm_get_page_prot(vm_flags);
	pteval_t keep = e & (PTE_PFN_MASK | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_RW);

	if (!(vm_flags & VM_WRITE))
		keep &= ~_PAGE_RW;
	return keep | prot;
}

void change_protection(struct mm_struct *mm, struct vm_area_struct *vma, uint32_t start,
		       uint32_t end)
{
	unsigned esz = pt_entry_size((int)vm_boot_block->mode);
	uint32_t a;

	if (mm_is_current(mm))
		flush_tlb_range(start, end - start);
	for (a = start; a < end && a >= start; a += PAGE_SIZE) {
		uint64_t pte = pte_lookup(mm, a);
		uint32_t tbl_end = (a | ((1u << pmd_shift((int)vm_boot_block->mode)) - 1)) + 1;

		if (!pte) {
			/* no table: skip to the next one */
			if (tbl_end == 0 || tbl_end > end)
				break;
			a = tbl_end - PAGE_SIZE;
			continue;
		}
		for (; a < end && a >= start; a += PAGE_SIZE, pte += esz) {
			pteval_t e = pt_read(pte);

			if (pte_present(e))
				set_pte(pte, pte_modify(e, vma->vm_flags));
			if (a + PAGE_SIZE == tbl_end)
				break;
		}
	}
}

/* Does the PTE for va map frame pfn? */
static bool pte_maps(struct mm_struct *mm, uint32_t va, unsigned long pfn)
{
	uint64_t pte = pte_lookup(mm, va);
	pteval_t e = pte ? pt_read(pte) : 0;

	return pte_present(e) && pte_pfn(e) == pfn;
}

/* A block the allocator handed to a claim: still free (a kill inside the
 * allocator put it back on a rebuilt list), or taken and not yet set up
 * (freed here, true), or set up (false: the caller's own note decides). */
bool claimed_block_release(struct page *page, unsigned order)
{
	/* a repair may have put it back inside a larger free block */
	if (page_is_free(page))
		return true;
	if (page_ref_count(page) != 0)
		return false;
	page->_refcount = 1;
	page->_mapcount = -1;
	page->mapping = 0;
	page->private = 0;
	page->index = 0;
	__free_pages(page, order);
	return true;
}

/* New frames of a fault the kill cut short: those no PTE of mm maps go
 * back (a run not split yet goes back whole); the exit's zap frees the
 * rest. */
static void release_new_frames(struct mm_struct *mm, struct page *page, unsigned order,
			       uint32_t va)
{
	unsigned long pfn = page_to_pfn(page), i, n = 1UL << order;

	if (claimed_block_release(page, order))
		return;
	if (n > 1 && page_ref_count(page + 1) == 0) {
		__free_pages(page, order);
		return;
	}
	for (i = 0; i < n; i++) {
		if (pte_maps(mm, va + (uint32_t)(i << PAGE_SHIFT), pfn + i))
			continue;
		if (page_ref_count(page + i) == 0)
			page[i]._refcount = 1;	/* the split stopped short of it */
		page[i]._mapcount = -1;
		page[i].mapping = 0;
		put_page(page + i);
	}
}

/* A table frame the dead owner took for mm and never linked: freed as a
 * table once it is one (PG_pgtable, named after mm), or as the plain
 * frame it still was. */
static void release_unlinked_table(struct mm_struct *mm, struct page *page)
{
	uint32_t owner = (uint32_t)__pa(mm);

	if (PagePgtable(page)) {
		if (page->mapping == owner)
			pgtable_free_unlinked(page);
		return;
	}
	if (page_ref_count(page) == 1 && (!page->mapping || page->mapping == owner)) {
		page->mapping = 0;
		page->index = 0;
		__free_page(page);
	}
}

/*
 * The guest died (SIGKILL) inside the kernel with frames or objects noted
 * in flight: give back what its tables and lists do not hold (the exit
 * frees the rest), and set right the counts of pages it was unmapping,
 * copying or sharing (anon_page_recount: with other mappers, a count
 * that dropped and one that did not look alike).
 */
void mm_inflight_release(struct mm_struct *mm)
{
	unsigned long pfn = mm->inflight_pfn;
	uint32_t va = mm->inflight_va;
	struct page *page;

	if (pfn && pfn_valid(pfn)) {
		page = pfn_to_page(pfn);
		printk("mm %#x: settling frame(s) at pfn %#lx its killed owner held in flight (%u)",
		       (unsigned)__pa(mm), pfn, mm->inflight_kind);
		switch (mm->inflight_kind) {
		case INFLIGHT_ANON:
			release_new_frames(mm, page, mm->inflight_order, va);
			break;
		case INFLIGHT_COW:
		case INFLIGHT_COW_FILE:
			release_new_frames(mm, page, 0, va);
			if (!mm->inflight_old_pfn || !pfn_valid(mm->inflight_old_pfn))
				break;
			/* (the kind says what the old page was: an anonymous one
			 * may be freed, and made a file page, before the note goes) */
			if (mm->inflight_kind == INFLIGHT_COW_FILE)
				file_page_recount(mm, mm->inflight_old_pfn, va);
			else
				anon_page_recount(mm, mm->inflight_old_pfn, va);
			break;
		case INFLIGHT_PMD_TABLE:
		case INFLIGHT_PTE_TABLE:
			if (!claimed_block_release(page, 0) &&
			    !pgtable_linked(mm, va, pfn, mm->inflight_kind == INFLIGHT_PMD_TABLE))
				release_unlinked_table(mm, page);
			break;
		case INFLIGHT_PGD:
			if (mm->pgd != pfn << PAGE_SHIFT && !claimed_block_release(page, 0))
				release_unlinked_table(mm, page);
			break;
		case INFLIGHT_UNMAP:
		case INFLIGHT_DUP:
			/* the note holds a reference to the page here: it is
			 * what it was */
			if (PageFile(page))
				file_page_recount(mm, pfn, va);
			else
				anon_page_recount(mm, pfn, va);
			break;
		case INFLIGHT_UNMAPPED:
			/* an anonymous zap's last stage: the page may be freed and
			 * made anything since (anon_page_recount checks) */
			anon_page_recount(mm, pfn, va);
			break;
		}
		mm_inflight_clear(mm);
	}
	vma_inflight_release(mm);
	anon_vma_inflight_release(mm);
	filemap_inflight_release(mm);
	filemap_node_release(mm);
}

uint64_t mm_pagemap_entry(struct mm_struct *mm, uint32_t addr)
{
	struct vm_area_struct *vma;
	uint64_t entry = 0, pte;

	mmap_lock_own(mm);
	pte = addr < mm->task_size ? pte_lookup(mm, addr) : 0;
	if (pte) {
		pteval_t e = pt_read(pte);

		if (pte_present(e)) {
			struct page *page = pfn_to_page(pte_pfn(e));

			entry = PM_PRESENT | (pte_pfn(e) & PM_PFRAME_MASK);
			if (pte_dirty(e))
				entry |= PM_SOFT_DIRTY;
			if (page->_mapcount == 0 && !is_zero_pfn(pte_pfn(e)))
				entry |= PM_MMAP_EXCLUSIVE;
			vma = find_vma(mm, addr);
			if ((vma && vma->vm_start <= addr && (vma->vm_flags & VM_SHARED)) ||
			    (!is_zero_pfn(pte_pfn(e)) && PageFile(page)))
				entry |= PM_FILE;
		} else if (!pte_none(e)) {
			/* Linux's: the type in bits 0-4, the offset above */
			swp_entry_t se = pte_to_swp_entry((int)vm_boot_block->mode, e);

			entry = PM_SWAP | (((uint64_t)swp_offset(se) << 5 | swp_type(se)) &
					   PM_PFRAME_MASK);
		}
	}
	vm_lock_release(&mm->mmap_lock);
	return entry;
}
