/* rmap.c - the reverse map of anonymous pages: from a frame to every PTE
 * that maps it, which aging (page_referenced), swap-out and vmdump's page
 * view need. The structure is drawn in include/vm/mm.h (struct anon_vma):
 * one anon_vma per private anonymous mapping, shared by the copies fork
 * makes, listing their VMAs. A page names its anon_vma and its va, so the
 * PTEs that may map it are those at that va in the mms of the VMAs on the
 * list; the walk checks each.
 *
 *   page->mapping --> anon_vma { head } --> VMA (parent) --> VMA (child) --> 0
 *                                           vm_mm, va = page->index << 12
 *
 * Locks (internal.h): the anon_vma lock is below the mm lock. A walker
 * that starts from a page holds no mm lock, so it may only try the mm
 * lock of each VMA it finds (as Linux's rmap once did with mmap_sem): a
 * busy mm is skipped and counted, and aging treats it as referenced.
 *
 * Kills. The list changes by single stores (a VMA is linked at the head
 * once its own next is set; unlinked by one store to its predecessor),
 * so a holder killed in the middle leaves it whole but nr_vmas maybe one
 * off, which the next locker recounts. An anon_vma made or emptied is
 * noted in the mm (inflight_anon_vma) until it is linked or freed.
 */
#include <string.h>

#include "internal.h"

#define ANON_VMA_WALK_MAX	(VM_MAX_TASKS * 4096u)

static inline struct kmem_cache *anon_vma_cachep(void)
{
	return __va(vm_kdata->tasks.anon_vma_cache);
}

static inline struct anon_vma *AV(uint32_t pa)
{
	return pa ? (struct anon_vma *)__va(pa) : NULL;
}

static inline struct vm_area_struct *VMA(uint32_t pa)
{
	return pa ? (struct vm_area_struct *)__va(pa) : NULL;
}

/* The list is whole at every instruction; only the count can be off. */
static void anon_vma_recount(struct anon_vma *av)
{
	uint32_t pa, n = 0;

	for (pa = av->head; pa && n < ANON_VMA_WALK_MAX; pa = VMA(pa)->anon_vma_next)
		n++;
	av->nr_vmas = n;
}

static void anon_vma_lock(struct anon_vma *av)
{
	if (vm_lock_acquire(&av->lock) == -EOWNERDEAD) {
		anon_vma_recount(av);
		vm_lock_consistent(&av->lock);
	}
}

static void anon_vma_unlock(struct anon_vma *av)
{
	vm_lock_release(&av->lock);
}

int anon_vma_prepare(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct anon_vma *av;

	if (vma->anon_vma)
		return 0;
	vm_claim_obj = &mm->inflight_anon_vma;
	av = kmem_cache_zalloc(anon_vma_cachep(), GFP_KERNEL);
	vm_claim_obj = NULL;
	if (!av)
		return -ENOMEM;
	av->owner = (uint32_t)__pa(mm);
	mm_inflight_obj(&mm->inflight_anon_vma, av);
	vm_lock_init(&av->lock);
	vma->anon_vma_next = 0;
	av->head = (uint32_t)__pa(vma);
	av->nr_vmas = 1;
	__atomic_store_n(&vma->anon_vma, (uint32_t)__pa(av), __ATOMIC_RELEASE);
	mm_inflight_obj(&mm->inflight_anon_vma, NULL);
	return 0;
}

void anon_vma_link(struct vm_area_struct *vma, uint32_t pa)
{
	struct anon_vma *av = AV(pa);

	if (!av)
		return;
	anon_vma_lock(av);
	vma->anon_vma = pa;
	vma->anon_vma_next = av->head;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	av->head = (uint32_t)__pa(vma);
	av->nr_vmas++;
	anon_vma_unlock(av);
}

void unlink_anon_vma(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct anon_vma *av = AV(vma->anon_vma);
	uint32_t pa = (uint32_t)__pa(vma), *link, n = 0;
	bool last;

	if (!av)
		return;
	anon_vma_lock(av);
	for (link = &av->head; *link && *link != pa && n < ANON_VMA_WALK_MAX;
	     link = &VMA(*link)->anon_vma_next, n++)
		;
	if (*link == pa) {
		*link = vma->anon_vma_next;
		av->nr_vmas--;
	}
	last = av->head == 0;
	if (last) {
		/* nobody can find it any more: this mm frees it */
		av->owner = (uint32_t)__pa(mm);
		mm_inflight_obj(&mm->inflight_anon_vma, av);
	}
	anon_vma_unlock(av);
	vma->anon_vma = 0;
	vma->anon_vma_next = 0;
	if (last) {
		kmem_cache_free(anon_vma_cachep(), av);
		mm_inflight_obj(&mm->inflight_anon_vma, NULL);
	}
}

/* An anon_vma the dead owner made and never linked, or emptied and never
 * freed: free it if it is still taken, still this mm's, and no VMA of
 * this mm points at it. */
void anon_vma_inflight_release(struct mm_struct *mm)
{
	uint32_t note = mm->inflight_anon_vma, pa = note & ~VM_CLAIM_FRESH, vpa, n = 0;
	struct anon_vma *av = AV(pa);

	if (!av)
		return;
	mm->inflight_anon_vma = 0;
	if (note & VM_CLAIM_FRESH) {
		kmem_cache_free_claimed(anon_vma_cachep(), av);
		return;
	}
	if (kmem_cache_obj_is_free(anon_vma_cachep(), av) || av->owner != (uint32_t)__pa(mm))
		return;
	for (vpa = mm->mmap; vpa && n++ < mm->mm_avl.count + 2; vpa = VMA(vpa)->vm_next)
		if (VMA(vpa)->anon_vma == pa)
			return;		/* linked: the exit's unlink frees it */
	if (av->head)
		return;			/* another mm's VMAs still use it */
	kmem_cache_free(anon_vma_cachep(), av);
}

/* ---- walking ------------------------------------------------------------ */

/* One VMA of a walk: the PTE at va in its mm, if it maps pfn, is handed
 * to fn with the mm's lock held. A walker coming from a page only tries
 * the lock: a busy mm is skipped and counted. Its own mm, whose lock it
 * holds, it may use where own_ok says so (a fault that re-checks its PTE
 * after allocating, vmscan.c; writeback, filemap.c). fn's result, and
 * *hits counted. */
static int rmap_one(struct vm_area_struct *vma, uint32_t va, unsigned long pfn, bool own_ok,
		    int (*fn)(const struct rmap_hit *, void *), void *arg, unsigned *busy, int *hits)
{
	struct mm_struct *mm = __va(vma->vm_mm);
	struct rmap_hit hit;
	pteval_t e;
	bool own;
	int r = 0;

	own = own_ok && (__atomic_load_n(&mm->mmap_lock.word, __ATOMIC_RELAXED) &
			 VM_LOCK_TID_MASK) == (uint32_t)vm_self_tid;
	if (!own && vm_lock_trylock(&mm->mmap_lock) != 0) {
		if (busy)
			(*busy)++;
		return 0;
	}
	hit.mm = mm;
	hit.vma = vma;
	hit.va = va;
	hit.pte = pte_lookup(mm, va);
	e = hit.pte ? pt_read(hit.pte) : 0;
	if (pte_present(e) && pte_pfn(e) == pfn) {
		(*hits)++;
		r = fn(&hit, arg);
	}
	if (!own)
		vm_lock_release(&mm->mmap_lock);
	return r;
}

int rmap_walk_anon(struct page *page, int (*fn)(const struct rmap_hit *, void *), void *arg,
		   unsigned *busy)
{
	uint32_t mapping = __atomic_load_n(&page->mapping, __ATOMIC_ACQUIRE), pa, n = 0;
	uint32_t va = page->index << PAGE_SHIFT;
	unsigned long pfn = page_to_pfn(page);
	struct anon_vma *av;
	int hits = 0;

	if (busy)
		*busy = 0;
	if (!(mapping & PAGE_MAPPING_ANON) || page->_mapcount < 0)
		return 0;
	av = AV(mapping & ~PAGE_MAPPING_ANON);
	anon_vma_lock(av);
	for (pa = av->head; pa && n < ANON_VMA_WALK_MAX; pa = VMA(pa)->anon_vma_next, n++) {
		struct vm_area_struct *vma = VMA(pa);

		if (va < vma->vm_start || va >= vma->vm_end)
			continue;
		if (rmap_one(vma, va, pfn, reclaim_own_mm, fn, arg, busy, &hits))
			break;
	}
	anon_vma_unlock(av);
	return hits;
}

/* The file pages' reverse map (Linux's i_mmap): the VMAs mapping the
 * file are on its list, and the one PTE a VMA may map the page with is
 * at the va its offset in the file gives. The same rules for locks as
 * the anonymous walk's. */
bool writeback_own_mm;

/* Where vma maps page index of its file: true and *va, or false. */
static bool vma_file_va(const struct vm_area_struct *vma, uint32_t index, uint32_t *va)
{
	uint32_t pages = (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;

	if (index < vma->vm_pgoff || index - vma->vm_pgoff >= pages)
		return false;
	*va = vma->vm_start + ((index - vma->vm_pgoff) << PAGE_SHIFT);
	return true;
}

int rmap_walk_file(struct page *page, int (*fn)(const struct rmap_hit *, void *), void *arg,
		   unsigned *busy)
{
	uint32_t mapping = __atomic_load_n(&page->mapping, __ATOMIC_ACQUIRE), pa, n = 0;
	unsigned long pfn = page_to_pfn(page);
	uint32_t index = page->index;
	struct address_space *as;
	int hits = 0;

	if (busy)
		*busy = 0;
	if (!mapping || (mapping & PAGE_MAPPING_ANON) || page->_mapcount < 0)
		return 0;
	as = AS(mapping);
	i_mmap_lock_file(as);
	for (pa = as->i_mmap; pa && n < ANON_VMA_WALK_MAX; pa = VMA(pa)->shared_next, n++) {
		struct vm_area_struct *vma = VMA(pa);
		uint32_t va;

		if (!vma_file_va(vma, index, &va))
			continue;
		if (rmap_one(vma, va, pfn, reclaim_own_mm || writeback_own_mm, fn, arg, busy, &hits))
			break;
	}
	vm_lock_release(&as->i_mmap_lock);
	return hits;
}

static int rmap_walk(struct page *page, int (*fn)(const struct rmap_hit *, void *), void *arg,
		     unsigned *busy)
{
	if (PageFile(page))
		return rmap_walk_file(page, fn, arg, busy);
	return rmap_walk_anon(page, fn, arg, busy);
}

/* ---- aging -------------------------------------------------------------- */

/* A PTE bit the walk takes off: counted where set, and the mapper's host
 * mapping of the page into b, so the next access that needs the bit
 * faults and sets it again (DESIGN §7). */
struct pte_bit_clear {
	pteval_t bit;
	int found;
	struct tlb_batch *b;
};

static int clear_bit_one(const struct rmap_hit *h, void *arg)
{
	struct pte_bit_clear *c = arg;
	pteval_t e = pt_read(h->pte);

	if (!(e & c->bit))
		return 0;
	c->found++;
	set_pte(h->pte, e & ~c->bit);
	tlb_batch_add(c->b, (int32_t)h->mm->owner, h->va);
	return 0;
}

/*
 * Which mappings used the page since the last look: each PTE with A set
 * counts, loses A, and its mm's process loses its host mapping of the
 * page (DESIGN §7: A is only ever set by a fault, so the next access must
 * fault). The shootdowns go into b, sent after every lock is dropped. A
 * busy mm counts as a reference: it is using its memory right now.
 */
int page_referenced_batch(struct page *page, struct tlb_batch *b, unsigned *busy)
{
	struct pte_bit_clear c = { _PAGE_ACCESSED, 0, b };

	rmap_walk(page, clear_bit_one, &c, busy);
	return c.found;
}

/* Linux's page_mkclean: D off in every PTE mapping a file page, their
 * host mappings into b to shoot down (the next write faults and dirties
 * the page again). The D bits found. Busy mappers keep theirs. */
int page_mkclean_batch(struct page *page, struct tlb_batch *b, unsigned *busy)
{
	struct pte_bit_clear c = { _PAGE_DIRTY, 0, b };

	*busy = 0;
	if (page->_mapcount >= 0)
		rmap_walk_file(page, clear_bit_one, &c, busy);
	return c.found;
}

int page_referenced(struct page *page)
{
	static __thread struct tlb_batch b;
	unsigned busy;
	int young = page_referenced_batch(page, &b, &busy);

	tlb_batch_flush(&b, TLB_SHOOTDOWN_TIMEOUT_NS);
	return young + (int)busy;
}

/* ---- unmapping for reclaim ------------------------------------------------ */

struct unmap_state {
	swp_entry_t entry;
	struct tlb_batch *b;
	bool failed;
};

/* One PTE of the page becomes its swap entry (Linux's try_to_unmap_one):
 * the slot gains a count first, so a kill between leaves a slot held one
 * count too long, never a PTE naming a slot that came free. */
static int unmap_one(const struct rmap_hit *h, void *arg)
{
	struct unmap_state *u = arg;
	int mode = (int)vm_boot_block->mode;
	pteval_t e = pt_read(h->pte);
	struct page *page = pfn_to_page(pte_pfn(e));
	int member = (h->vma->vm_flags & VM_SHARED) ? MM_SHMEMPAGES : MM_ANONPAGES;

	if (swap_duplicate(u->entry) != 0) {
		u->failed = true;	/* the count is at its limit */
		return 1;
	}
	if (pte_dirty(e))
		SetPageDirty(page);
	set_pte(h->pte, swp_entry_to_pte(mode, u->entry));
	h->mm->rss_stat[member]--;
	h->mm->rss_stat[MM_SWAPENTS]++;
	if (__atomic_sub_fetch(&page->_mapcount, 1, __ATOMIC_RELAXED) < 0)
		mod_node_page_state(NR_ANON_MAPPED, -1);
	/* the caller's reference and the cache's keep it above zero */
	__atomic_sub_fetch(&page->_refcount, 1, __ATOMIC_RELAXED);
	tlb_batch_add(u->b, (int32_t)h->mm->owner, h->va);
	return 0;
}

/* A file page's PTE just goes (its data is in the file or the cache):
 * the D bit into the page first. */
static int unmap_file_one(const struct rmap_hit *h, void *arg)
{
	struct unmap_state *u = arg;
	pteval_t e = pt_read(h->pte);
	struct page *page = pfn_to_page(pte_pfn(e));
	const struct page *table = pfn_to_page(h->pte >> PAGE_SHIFT);

	/* a PTE of this process's own mm, whose fault holds a slot of this
	 * table (direct reclaim): the table must not empty and go under it */
	if (h->mm == current_mm && table->private <= 1) {
		u->failed = true;
		return 0;
	}

	if (pte_dirty(e))
		set_page_dirty(page);
	pte_clear(h->pte);
	pte_table_account(h->mm, h->va, -1);
	h->mm->rss_stat[MM_FILEPAGES]--;
	if (__atomic_sub_fetch(&page->_mapcount, 1, __ATOMIC_RELAXED) < 0)
		mod_node_page_state(NR_FILE_MAPPED, -1);
	__atomic_sub_fetch(&page->_refcount, 1, __ATOMIC_RELAXED);
	tlb_batch_add(u->b, (int32_t)h->mm->owner, h->va);
	return 0;
}

bool try_to_unmap(struct page *page, struct tlb_batch *b)
{
	struct unmap_state u = { { page->private }, b, false };
	unsigned busy;

	if (PageFile(page)) {
		rmap_walk_file(page, unmap_file_one, &u, &busy);
		return __atomic_load_n(&page->_mapcount, __ATOMIC_RELAXED) < 0;
	}
	VM_BUG_ON(!PageSwapCache(page));
	rmap_walk_anon(page, unmap_one, &u, &busy);
	return !u.failed && __atomic_load_n(&page->_mapcount, __ATOMIC_RELAXED) < 0;
}

/* ---- repair after a kill ------------------------------------------------ */

struct mm_set {
	unsigned n;
	struct mm_struct *mm[VM_MAX_TASKS + 1];
};

/* The mms with a VMA on av's list that covers va. av's lock held. */
static void collect_mms(struct anon_vma *av, uint32_t va, struct mm_set *s)
{
	uint32_t pa, n = 0;
	unsigned i;

	s->n = 0;
	for (pa = av->head; pa && n < ANON_VMA_WALK_MAX; pa = VMA(pa)->anon_vma_next, n++) {
		struct vm_area_struct *vma = VMA(pa);
		struct mm_struct *mm = __va(vma->vm_mm);

		if (va < vma->vm_start || va >= vma->vm_end)
			continue;
		for (i = 0; i < s->n && s->mm[i] != mm; i++)
			;
		if (i == s->n && s->n < VM_MAX_TASKS + 1)
			s->mm[s->n++] = mm;
	}
}

/* Lock every mm of s but dead (whose lock the caller holds), with av's
 * lock held: an mm can be freed only after its exit took its VMAs off
 * av's list, under av's lock, and its exit runs under its own mm lock,
 * so an mm found on the list and locked here stays alive. Waiting under
 * av's lock is only safe for a lock whose owner is dead; a live owner
 * makes this fail, and the caller drops everything and tries again. */
static bool lock_mms(struct mm_set *s, struct mm_struct *dead)
{
	unsigned i, got;

	for (got = 0; got < s->n; got++) {
		struct vm_lock *l = &s->mm[got]->mmap_lock;
		uint32_t w;

		if (s->mm[got] == dead || vm_lock_trylock(l) == 0)
			continue;
		w = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
		if (w && !(w & VM_LOCK_OWNER_DIED) && host_pid_alive((pid_t)(w & VM_LOCK_TID_MASK)))
			break;
		if (vm_lock_acquire(l) == -EOWNERDEAD)
			vm_lock_consistent(l);
	}
	if (got == s->n)
		return true;
	for (i = 0; i < got; i++)
		if (s->mm[i] != dead)
			vm_lock_release(&s->mm[i]->mmap_lock);
	return false;
}

/*
 * A guest killed while it changed an anonymous page's counters (an
 * unmap, a copy on write, a fork) leaves them one off, and which way
 * cannot be told from the note: with several mappers a dropped reference
 * does not free the page. So count instead: with the mm lock of every mm
 * that may map the page held (so no fork adds a mapper and nobody is
 * half way through changing its own PTE), the PTEs that map it are the
 * truth, and mapcount and refcount are set from them; no PTE left means
 * the page is freed. The caller holds dead->mmap_lock (the exit of the
 * killed guest's mm). A page that went back to the allocator and on to
 * another use is left alone.
 */
void anon_page_recount(struct mm_struct *dead, unsigned long pfn, uint32_t va)
{
	static struct mm_set s;
	struct page *page = pfn_to_page(pfn);
	uint32_t mapping = __atomic_load_n(&page->mapping, __ATOMIC_ACQUIRE);
	struct anon_vma *av;
	unsigned i, tries;
	bool locked;
	int n;

	if (!(mapping & PAGE_MAPPING_ANON) || page->index != va >> PAGE_SHIFT ||
	    page_ref_count(page) <= 0)
		return;
	av = AV(mapping & ~PAGE_MAPPING_ANON);
	for (tries = 0;; tries++) {
		anon_vma_lock(av);
		collect_mms(av, va, &s);
		locked = lock_mms(&s, dead);
		anon_vma_unlock(av);
		if (locked)
			break;
		if (tries == 1000) {
			/* leave the counts: a leak is found, a wrong count is not */
			printk("rmap: pfn %#lx: its mappers stayed busy; counts left as they are", pfn);
			return;
		}
		host_sleep_ns(1000000);
	}
	if (page->mapping == mapping && page_ref_count(page) > 0) {
		n = 0;
		for (i = 0; i < s.n; i++) {
			uint64_t pte = pte_lookup(s.mm[i], va);
			pteval_t e = pte ? pt_read(pte) : 0;

			if (pte_present(e) && pte_pfn(e) == pfn)
				n++;
		}
		/* the swap cache holds a reference of its own */
		int cache = PageSwapCache(page) ? 1 : 0;

		if (n != page->_mapcount + 1 || n + cache != page_ref_count(page))
			printk("rmap: pfn %#lx: mapcount %d refcount %d after a kill, %d PTEs: recounted",
			       pfn, page->_mapcount + 1, page_ref_count(page), n);
		/* NR_ANON_MAPPED counts mapped pages: follow the truth */
		if ((n > 0) != (page->_mapcount >= 0))
			mod_node_page_state(NR_ANON_MAPPED, n > 0 ? 1 : -1);
		if (n || cache) {
			page->_mapcount = n - 1;
			__atomic_store_n(&page->_refcount, n + cache, __ATOMIC_RELEASE);
		} else {
			page->_mapcount = -1;
			page->mapping = 0;
			__atomic_store_n(&page->_refcount, 1, __ATOMIC_RELEASE);
			put_page(page);
		}
	}
	for (i = 0; i < s.n; i++)
		if (s.mm[i] != dead)
			vm_lock_release(&s.mm[i]->mmap_lock);
}

/* A file page one of dead's PTEs was being mapped with or unmapped from
 * (its note, INFLIGHT_DUP or INFLIGHT_UNMAP, at dead_va) when its process
 * was killed. The note was set after the reference for the PTE was taken
 * and is cleared before it is dropped: if dead's PTE maps the page, all
 * was done and the exit unmaps it as any other; if not, the reference is
 * one too many, and the mapcount is made again from the PTEs of every
 * mapping of the file there, their mms locked. dead->mmap_lock held. */
void file_page_recount(struct mm_struct *dead, unsigned long pfn, uint32_t dead_va)
{
	static struct mm_set s;
	static uint32_t va_of[VM_MAX_TASKS + 1];
	struct page *page = pfn_to_page(pfn);
	uint32_t mapping = __atomic_load_n(&page->mapping, __ATOMIC_ACQUIRE), pa, n, index;
	struct address_space *as;
	uint64_t pte = pte_lookup(dead, dead_va);
	pteval_t e = pte ? pt_read(pte) : 0;
	unsigned i, tries;
	int count;

	if (!mapping || (mapping & PAGE_MAPPING_ANON) || page_ref_count(page) <= 0)
		return;
	if (pte_present(e) && pte_pfn(e) == pfn)
		return;
	as = AS(mapping);
	index = page->index;
	/* the page dead's note names is this file's page at dead_va, or
	 * not ours to count */
	{
		struct vm_area_struct *vma = find_vma(dead, dead_va);

		if (!vma || vma->vm_start > dead_va || vma->vm_file != mapping ||
		    vma->vm_pgoff + ((dead_va - vma->vm_start) >> PAGE_SHIFT) != index)
			return;
	}
	for (tries = 0;; tries++) {
		i_mmap_lock_file(as);
		s.n = 0;
		for (pa = as->i_mmap, n = 0; pa && n < ANON_VMA_WALK_MAX; pa = VMA(pa)->shared_next, n++) {
			struct vm_area_struct *vma = VMA(pa);

			if (s.n >= VM_MAX_TASKS + 1 || !vma_file_va(vma, index, &va_of[s.n]))
				continue;
			s.mm[s.n++] = __va(vma->vm_mm);
		}
		if (lock_mms(&s, dead)) {
			vm_lock_release(&as->i_mmap_lock);
			break;
		}
		vm_lock_release(&as->i_mmap_lock);
		if (tries == 1000) {
			printk("rmap: pfn %#lx: its mappers stayed busy; counts left as they are", pfn);
			return;
		}
		host_sleep_ns(1000000);
	}
	for (i = 0, count = 0; i < s.n; i++) {
		uint64_t p = pte_lookup(s.mm[i], va_of[i]);
		pteval_t x = p ? pt_read(p) : 0;

		if (pte_present(x) && pte_pfn(x) == pfn)
			count++;
	}
	if (page->_mapcount + 1 != count)
		printk("rmap: pfn %#lx (file page %u): mapcount %d after a kill, %d PTEs: recounted",
		       pfn, index, page->_mapcount + 1, count);
	if ((count > 0) != (page->_mapcount >= 0))
		mod_node_page_state(NR_FILE_MAPPED, count > 0 ? 1 : -1);
	page->_mapcount = count - 1;
	put_page(page);			/* the reference the PTE never got */
	for (i = 0; i < s.n; i++)
		if (s.mm[i] != dead)
			vm_lock_release(&s.mm[i]->mmap_lock);
}
