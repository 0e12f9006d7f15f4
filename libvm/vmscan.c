/* vmscan.c - page reclaim: the LRU lists, the scan that ages and evicts
 * anonymous pages to swap, kswapd, and direct reclaim (DESIGN §9).
 *
 * The lists. Each zone keeps an active and an inactive list of its
 * anonymous pages (struct zone's lru[], under lru_lock). A fault puts a
 * new page at the head of the active list; readahead puts the pages it
 * read at the head of the inactive one. Aging moves pages from the tail
 * of the active list to the inactive list unless their PTEs show a use
 * since the last look (page_referenced: A bits through the reverse map);
 * eviction takes pages from the tail of the inactive list. The inactive
 * list is kept at least as long as the active one (Linux's
 * inactive_anon_is_low with a ratio of 1, right for small machines).
 *
 * Evicting one page, as Linux's shrink_page_list does it:
 *
 *   1. isolate it from the list (a reference, PG_lru clear), lock it;
 *   2. used since the last look?  back to the active list;
 *   3. not in the swap cache?  add_to_swap: a slot, and the page dirty;
 *   4. try_to_unmap: each PTE becomes the swap entry (its D bit makes
 *      the page dirty), each mapper's host mapping is shot down;
 *   5. dirty?  write it to its slot (the pass's writes go as one batch);
 *   6. clean, unmapped and referenced by nobody else: out of the swap
 *      cache (its slot keeps the data for the swap PTEs) and freed.
 *
 * A page whose copy in swap is still valid (clean: read back and never
 * written since) skips step 5: it is dropped without I/O.
 *
 * Who reclaims. kswapd, a host process of its own, is woken when an
 * allocation finds a zone below its low watermark and reclaims until
 * every zone is above high; an allocation that finds a zone below min
 * reclaims directly, in the process that allocates (try_to_free_pages).
 * Both walk the reverse map trying the mm locks: a busy mm is skipped.
 * The process that reclaims directly holds its own mm's lock (it is in
 * a fault); its own pages are fair game only where the fault re-checks
 * its PTE after the allocation (reclaim_own_mm), as Linux re-checks with
 * pte_same under the page-table lock.
 *
 * Locks: lru_lock is below the anon_vma and mm locks and above the
 * page allocator's; it is never held across a walk, I/O or shootdown.
 * A holder killed mid-change leaves the lists to be rebuilt from the
 * page flags by the next locker.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define SWAP_CLUSTER_MAX	32	/* pages a pass isolates at once */
#define DEF_PRIORITY		12	/* scan 1/2^priority of a list first */

bool reclaim_own_mm;

/* ---- the lists ------------------------------------------------------------- */

/* The inactive list of the page's kind: PG_swapbacked tells them apart
 * (anonymous pages have it, the page cache's do not), as in Linux. */
static inline enum lru_list page_lru_base(const struct page *page)
{
	return (page->flags & (1u << PG_swapbacked)) ? LRU_INACTIVE_ANON : LRU_INACTIVE_FILE;
}

static inline enum lru_list page_lru(const struct page *page)
{
	return page_lru_base(page) + (PageActive(page) ? 1 : 0);
}

static inline bool is_active_lru(enum lru_list l)
{
	return l == LRU_ACTIVE_ANON || l == LRU_ACTIVE_FILE;
}

/* The lists and the counters line up: inactive anon, active anon,
 * inactive file, active file. */
static inline enum zone_stat_item lru_zone_item(enum lru_list l)
{
	return NR_ZONE_INACTIVE_ANON + l;
}

static inline enum node_stat_item lru_node_item(enum lru_list l)
{
	return NR_INACTIVE_ANON + l;
}

static void lru_account(struct zone *z, enum lru_list l, long n)
{
	mod_zone_page_state(z, lru_zone_item(l), n);
	mod_node_page_state(lru_node_item(l), n);
}

/* A holder died mid-change: the flags say which pages are on which list,
 * so the lists and their counts are made again from them (the order of
 * the pages is lost, the pages are not). lru_lock held. */
static void lru_repair_locked(struct zone *z)
{
	unsigned long pfn, end = z->zone_start_pfn + z->spanned_pages;
	long count[NR_LRU_LISTS] = { 0 };
	enum lru_list l;

	for (l = 0; l < NR_LRU_LISTS; l++)
		pfn_list_init(&z->lru[l]);
	for (pfn = z->zone_start_pfn; pfn < end && pfn < max_pfn; pfn++) {
		struct page *page = pfn_to_page(pfn);

		if (!PageLRU(page))
			continue;
		l = page_lru(page);
		pfn_list_add_tail(&z->lru[l], pfn);
		count[l]++;
	}
	for (l = 0; l < NR_LRU_LISTS; l++) {
		enum zone_stat_item zi = lru_zone_item(l);
		int64_t raw = __atomic_load_n(&z->vm_stat[zi], __ATOMIC_RELAXED);

		mod_zone_page_state(z, zi, count[l] - raw);
	}
	/* the node's counts may be off too (the holder died between the
	 * zone's add and the node's): recounted once every zone is quiet */
	__atomic_store_n(&vm_kdata->reclaim.lru_node_recount, 1, __ATOMIC_RELEASE);
	printk("lru: %s: lists rebuilt after their holder died (anon %ld active, %ld inactive; "
	       "file %ld active, %ld inactive)", z->name, count[LRU_ACTIVE_ANON],
	       count[LRU_INACTIVE_ANON], count[LRU_ACTIVE_FILE], count[LRU_INACTIVE_FILE]);
}

static void lru_lock(struct zone *z)
{
	if (vm_lock_acquire(&z->lru_lock) == -EOWNERDEAD) {
		lru_repair_locked(z);
		vm_lock_consistent(&z->lru_lock);
	}
}

static void node_lru_recount(void);

static inline void lru_unlock(struct zone *z)
{
	vm_lock_release(&z->lru_lock);
	if (unlikely(__atomic_load_n(&vm_kdata->reclaim.lru_node_recount, __ATOMIC_ACQUIRE)))
		node_lru_recount();
}

/* The node's LRU counts as the sum of the zones', with every zone's
 * lru_lock held (in zone order): each change of a zone's lists and of
 * both counts happens under that zone's lock, so with all of them held
 * nothing is half counted. */
static void node_lru_recount(void)
{
	struct pglist_data *pgdat = NODE_DATA();
	int64_t sum[NR_LRU_LISTS] = { 0 };
	unsigned zi, l;

	for (zi = 0; zi < pgdat->nr_zones; zi++)
		lru_lock(&pgdat->node_zones[zi]);
	for (zi = 0; zi < pgdat->nr_zones; zi++)
		for (l = 0; l < NR_LRU_LISTS; l++)
			sum[l] += __atomic_load_n(&pgdat->node_zones[zi].vm_stat[lru_zone_item(l)],
						  __ATOMIC_RELAXED);
	for (l = 0; l < NR_LRU_LISTS; l++) {
		enum node_stat_item ni = lru_node_item(l);

		mod_node_page_state(ni, sum[l] - __atomic_load_n(&pgdat->vm_stat[ni], __ATOMIC_RELAXED));
	}
	__atomic_store_n(&vm_kdata->reclaim.lru_node_recount, 0, __ATOMIC_RELEASE);
	for (zi = 0; zi < pgdat->nr_zones; zi++)
		vm_lock_release(&pgdat->node_zones[zi].lru_lock);
}

/* lru_lock held. */
static void add_page_to_lru_list(struct zone *z, struct page *page, enum lru_list l)
{
	if (is_active_lru(l))
		SetPageActive(page);
	else
		ClearPageActive(page);
	pfn_list_add(&z->lru[l], page_to_pfn(page));
	SetPageLRU(page);
	lru_account(z, l, 1);
}

static void del_page_from_lru_list(struct zone *z, struct page *page)
{
	enum lru_list l = page_lru(page);

	pfn_list_del(&z->lru[l], page_to_pfn(page));
	ClearPageLRU(page);
	lru_account(z, l, -1);
}

void lru_cache_add(struct page *page, bool active)
{
	struct zone *z = page_zone(page);

	lru_lock(z);
	VM_BUG_ON(PageLRU(page));
	__atomic_fetch_or(&page->flags, 1u << PG_swapbacked, __ATOMIC_RELAXED);
	if (!PageLRU(page))
		add_page_to_lru_list(z, page, active ? LRU_ACTIVE_ANON : LRU_INACTIVE_ANON);
	lru_unlock(z);
}

/* Linux puts a new page-cache page on the inactive list: it earns the
 * active one by being used again there. */
void lru_cache_add_file(struct page *page)
{
	struct zone *z = page_zone(page);

	lru_lock(z);
	__atomic_fetch_and(&page->flags, ~(1u << PG_swapbacked), __ATOMIC_RELAXED);
	if (!PageLRU(page))
		add_page_to_lru_list(z, page, LRU_INACTIVE_FILE);
	lru_unlock(z);
}

void lru_cache_del(struct page *page)
{
	struct zone *z = page_zone(page);

	lru_lock(z);
	if (PageLRU(page))
		del_page_from_lru_list(z, page);
	ClearPageActive(page);
	lru_unlock(z);
}

/* Up to nr pages from the tail of list l, each with a reference and off
 * every list: what the caller holds now. Pages being freed stay for their
 * freer to take off. Returns how many; *scanned how many were looked at. */
static unsigned isolate_lru_pages(struct zone *z, enum lru_list l, unsigned nr,
				  struct page **out, unsigned long *scanned)
{
	uint32_t pfn, prev;
	unsigned n = 0, looked = 0;

	lru_lock(z);
	for (pfn = z->lru[l].prev; pfn != PFN_NIL && n < nr && looked < 4 * nr; pfn = prev) {
		struct page *page = pfn_to_page(pfn);

		prev = page->lru.prev;
		looked++;
		if (!get_page_unless_zero(page))
			continue;
		rnote_set(page, RNOTE_ISOLATED);
		del_page_from_lru_list(z, page);
		out[n++] = page;
	}
	lru_unlock(z);
	*scanned += looked;
	return n;
}

/* An isolated page goes back on a list and the isolation's reference
 * goes (which may free it: put_page takes it off again). */
static void putback_lru_page(struct page *page, bool active)
{
	struct zone *z = page_zone(page);

	lru_lock(z);
	add_page_to_lru_list(z, page, page_lru_base(page) + (active ? 1 : 0));
	lru_unlock(z);
	rnote_clear(page, RNOTE_ISOLATED);
	put_page(page);
}

/* ---- the reclaim note --------------------------------------------------------- */

static struct reclaim_note *my_note(void)
{
	return current ? &vm_kdata->reclaim.note[current - vm_kdata->tasks.task] : NULL;
}

/*
 * The note is searched by pfn on every set and clear, and a read window
 * notes 64 pages twice over: this process keeps an index of it in its own
 * memory (a hash of pfn to slot, and the free slots), rebuilt from the
 * note whenever the note it indexes is another (a new task, a fork child,
 * another machine). The note in RAM stays the truth a kill leaves.
 */
#define RX_BUCKETS	256		/* a power of two, well above the note's size */
static struct rnote_index {
	const struct reclaim_note *note;
	uint64_t machine;		/* boot_ns of the machine */
	pid_t tid;			/* vm_self_tid: a fork child rebuilds */
	uint8_t bucket[RX_BUCKETS];	/* slot + 1, 0 empty; linear probing */
	uint8_t free[RECLAIM_NOTE_PAGES]; /* free slots, a stack */
	unsigned nfree;
} rx;

static inline unsigned rx_hash(uint32_t pfn)
{
	return (pfn * 2654435761u) >> 24 & (RX_BUCKETS - 1);
}

static void rx_insert(uint32_t pfn, unsigned slot)
{
	unsigned h = rx_hash(pfn);

	while (rx.bucket[h])
		h = (h + 1) & (RX_BUCKETS - 1);
	rx.bucket[h] = (uint8_t)(slot + 1);
}

/* The bucket holding pfn's slot, or -1. */
static int rx_find(const struct reclaim_note *n, uint32_t pfn)
{
	unsigned h = rx_hash(pfn);

	for (; rx.bucket[h]; h = (h + 1) & (RX_BUCKETS - 1))
		if ((n->page[rx.bucket[h] - 1] & RNOTE_PFN) == pfn)
			return (int)h;
	return -1;
}

/* Empty bucket h, moving back the entries of its probe run behind it. */
static void rx_remove(const struct reclaim_note *n, unsigned h, uint32_t pfn_gone)
{
	unsigned j = h;

	(void)pfn_gone;
	rx.bucket[h] = 0;
	for (;;) {
		unsigned home;

		j = (j + 1) & (RX_BUCKETS - 1);
		if (!rx.bucket[j])
			return;
		home = rx_hash(n->page[rx.bucket[j] - 1] & RNOTE_PFN);
		/* can the entry at j move to the hole at h? */
		if ((h <= j) ? (home <= h || home > j) : (home <= h && home > j)) {
			rx.bucket[h] = rx.bucket[j];
			rx.bucket[j] = 0;
			h = j;
		}
	}
}

static void rx_sync(const struct reclaim_note *n)
{
	int i;

	if (rx.note == n && rx.machine == vm_boot_block->boot_ns && rx.tid == vm_self_tid)
		return;
	memset(&rx, 0, sizeof(rx));
	rx.note = n;
	rx.machine = vm_boot_block->boot_ns;
	rx.tid = vm_self_tid;
	for (i = RECLAIM_NOTE_PAGES - 1; i >= 0; i--) {
		if (n->page[i])
			rx_insert(n->page[i] & RNOTE_PFN, (unsigned)i);
		else
			rx.free[rx.nfree++] = (uint8_t)i;
	}
}

void rnote_set(struct page *page, uint32_t flag)
{
	struct reclaim_note *n = my_note();
	uint32_t pfn = (uint32_t)page_to_pfn(page);
	unsigned slot;
	int h;

	if (!n)
		return;
	rx_sync(n);
	h = rx_find(n, pfn);
	if (h >= 0) {
		slot = rx.bucket[h] - 1u;
		__atomic_store_n(&n->page[slot], n->page[slot] | flag, __ATOMIC_RELAXED);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		return;
	}
	/* a pass holds at most SWAP_CLUSTER_MAX pages, a swap-in a run's
	 * worth and a file read a window's: well within the note, so a full
	 * note is a bug */
	if (!rx.nfree || n->page[rx.free[rx.nfree - 1]]) {
		/* the note changed behind the index (released for a task
		 * that had this slot before): index it again */
		rx.note = NULL;
		rx_sync(n);
		if (rx_find(n, pfn) >= 0) {
			rnote_set(page, flag);
			return;
		}
	}
	if (!rx.nfree)
		BUG();
	slot = rx.free[--rx.nfree];
	__atomic_store_n(&n->page[slot], pfn | flag, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	rx_insert(pfn, slot);
}

void rnote_clear(struct page *page, uint32_t flag)
{
	struct reclaim_note *n = my_note();
	uint32_t pfn = (uint32_t)page_to_pfn(page), v;
	unsigned slot;
	int h;

	if (!n)
		return;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	rx_sync(n);
	h = rx_find(n, pfn);
	if (h < 0)
		return;
	slot = rx.bucket[h] - 1u;
	v = n->page[slot] & ~flag;
	if (v & RNOTE_FLAGS) {
		__atomic_store_n(&n->page[slot], v, __ATOMIC_RELAXED);
		return;
	}
	rx_remove(n, (unsigned)h, pfn);
	__atomic_store_n(&n->page[slot], 0, __ATOMIC_RELAXED);
	rx.free[rx.nfree++] = (uint8_t)slot;
}

static void putback_lru_page(struct page *page, bool active);

/*
 * The process of t died (SIGKILL) holding pages for reclaim or swap-in:
 * a page it had locked is unlocked, dropped from the swap cache first if
 * its read never finished (its data is not there); a fresh page not yet
 * in the cache goes back; a page it had taken off the LRU goes back on
 * with its reference dropped. The supervisor runs this before the exit
 * of t, which unmaps the rest.
 */
void reclaim_note_release(struct task_struct *t)
{
	struct reclaim_note *n = &vm_kdata->reclaim.note[t - vm_kdata->tasks.task];
	unsigned i, released = 0;

	for (i = 0; i < RECLAIM_NOTE_PAGES; i++) {
		uint32_t v = __atomic_exchange_n(&n->page[i], 0, __ATOMIC_RELAXED);
		struct page *page;

		if (!v || !pfn_valid(v & RNOTE_PFN))
			continue;
		page = pfn_to_page(v & RNOTE_PFN);
		released++;
		if ((v & RNOTE_LOCKED) && PageLocked(page)) {
			filemap_note_release(page);
			if (PageSwapCache(page) && !PageUptodate(page)) {
				swap_state_lock();
				__delete_from_swap_cache(page);
				unlock_page(page);
				swap_state_unlock();
				put_page(page);
			} else if (!PageSwapCache(page) && !PageLRU(page) && !page->mapping &&
				   page_ref_count(page) == 1 && !(v & (RNOTE_ISOLATED | RNOTE_REF))) {
				unlock_page(page);	/* a swap-in's new page, not yet cached */
				__free_page(page);
			} else {
				swap_unlock_page(page);
			}
		}
		if (v & RNOTE_REF)
			put_page(page);		/* a reference it held, nothing more */
		if (v & RNOTE_ISOLATED) {
			if (PageLRU(page))
				put_page(page);		/* killed before it left the list */
			else
				putback_lru_page(page, false);
		}
	}
	if (released)
		printk("%s[%d]: killed holding %u page(s) for reclaim or swap-in: given back", t->comm,
		       t->pid, released);
}

/* ---- scanning -------------------------------------------------------------- */

struct scan_control {
	unsigned long nr_to_reclaim;
	unsigned long nr_reclaimed;
	unsigned long nr_scanned;
	bool kswapd;
	bool no_swap;			/* a page found no slot: swap is full */
};

static struct tlb_batch batch;	/* one pass's shootdowns (one pass at a time per process) */

static bool page_mapped(const struct page *page)
{
	return __atomic_load_n(&page->_mapcount, __ATOMIC_RELAXED) >= 0;
}

/* Age up to nr pages from the tail of the active list onto the inactive
 * list, clearing their A bits: a page used again before reclaim reaches
 * it on the inactive list goes back to the active one from there. Linux
 * has done this for anonymous pages since 2.6.28, rather than rotating
 * referenced ones on the active list, which lets a list whose pages are
 * all in use age no page at all. */
static void shrink_active_list(struct zone *z, enum lru_list l, unsigned nr,
			       struct scan_control *sc)
{
	struct page *pages[SWAP_CLUSTER_MAX];
	unsigned long scanned = 0;
	unsigned i, n, busy;

	n = isolate_lru_pages(z, l, min(nr, (unsigned)SWAP_CLUSTER_MAX), pages, &scanned);
	for (i = 0; i < n; i++)
		if (page_mapped(pages[i]))
			page_referenced_batch(pages[i], &batch, &busy);
	/* the A bits are clear now: the next use must fault to set them */
	tlb_batch_flush(&batch, TLB_SHOOTDOWN_TIMEOUT_NS);
	for (i = 0; i < n; i++)
		putback_lru_page(pages[i], false);
	(void)sc;
}

/* What became of a page of the pass. */
enum page_fate {
	PAGE_ACTIVATE,			/* back to the active list */
	PAGE_KEEP,			/* back to the inactive list */
	PAGE_WRITE,			/* unmapped and dirty: write it */
	PAGE_FREE,			/* unmapped and clean: free it */
};

/* Give up on a page of the pass: unlock, put back. */
static void page_putback(struct page *page, enum page_fate fate)
{
	swap_unlock_page(page);
	putback_lru_page(page, fate == PAGE_ACTIVATE);
}

/* The last step: out of the swap cache or the page cache and back to
 * the allocator, if nobody took a reference meanwhile (a fault that found
 * it in the cache waits for the page lock with one): the isolation's and
 * the cache's are all there may be. */
static bool remove_mapping(struct page *page)
{
	bool freed = false;

	if (PageFile(page)) {
		freed = remove_mapping_file(page, 1);
	} else {
		swap_state_lock();
		if (PageSwapCache(page) && page_ref_count(page) == 2 && !page_mapped(page) &&
		    !PageDirty(page)) {
			__delete_from_swap_cache(page);
			/* the cache's reference, in the same locked step */
			__atomic_sub_fetch(&page->_refcount, 1, __ATOMIC_RELAXED);
			freed = true;
		}
		swap_state_unlock();
	}
	if (!freed)
		return false;
	unlock_page(page);
	rnote_clear(page, RNOTE_LOCKED | RNOTE_ISOLATED);
	put_page(page);			/* the isolation's: the page goes */
	return true;
}

/* Give the pages of a pass that are going out and have no slot yet their
 * slots, in one run of the swap file taken at once, in the order of
 * their addresses: the pages of a folio run go out side by side, and can
 * come back as one (read_swap_folio). A page left without a slot stays. */
static int page_order_cmp(const void *a, const void *b)
{
	const struct page *x = *(struct page *const *)a, *y = *(struct page *const *)b;

	if (x->mapping != y->mapping)
		return x->mapping < y->mapping ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static void add_to_swap_batch(struct page **pages, enum page_fate *fate, unsigned n,
			      struct scan_control *sc)
{
	struct page *want[SWAP_CLUSTER_MAX];
	swp_entry_t slots[SWAP_CLUSTER_MAX];
	unsigned i, k = 0, got;

	for (i = 0; i < n; i++)
		if (pages[i] && fate[i] == PAGE_WRITE && !PageSwapCache(pages[i]))
			want[k++] = pages[i];
	if (!k)
		return;
	qsort(want, k, sizeof(want[0]), page_order_cmp);
	got = get_swap_pages(k, slots);
	for (i = 0; i < k; i++) {
		if (i >= got || add_to_swap_entry(want[i], slots[i]) != 0) {
			if (i < got)
				swap_free(slots[i]);
			sc->no_swap = true;
		}
	}
	for (i = 0; i < n; i++)
		if (pages[i] && fate[i] == PAGE_WRITE && !PageSwapCache(pages[i]))
			fate[i] = PAGE_ACTIVATE;
}

/* Up to nr (at most a pass's) pages from the tail of inactive list l for
 * an eviction pass, counted as scanned, each locked with its fate KEEP
 * for now; one whose lock is busy goes back at once and leaves a NULL. */
static unsigned isolate_for_pass(struct zone *z, enum lru_list l, unsigned nr,
				 struct page **pages, enum page_fate *fate, struct scan_control *sc)
{
	unsigned long scanned = 0;
	unsigned n = isolate_lru_pages(z, l, min(nr, (unsigned)SWAP_CLUSTER_MAX), pages, &scanned), i;

	sc->nr_scanned += scanned;
	count_vm_events(sc->kswapd ? PGSCAN_KSWAPD : PGSCAN_DIRECT, (long)scanned);
	for (i = 0; i < n; i++) {
		fate[i] = PAGE_KEEP;
		if (!trylock_page_noted(pages[i])) {
			putback_lru_page(pages[i], false);
			pages[i] = NULL;
		}
	}
	return n;
}

/* A page of the pass went back to the allocator. */
static void reclaimed_one(struct scan_control *sc)
{
	sc->nr_reclaimed++;
	count_vm_event(sc->kswapd ? PGSTEAL_KSWAPD : PGSTEAL_DIRECT);
}

static void shrink_inactive_list(struct zone *z, unsigned nr, struct scan_control *sc)
{
	struct page *pages[SWAP_CLUSTER_MAX], *io[SWAP_CLUSTER_MAX];
	swp_entry_t entries[SWAP_CLUSTER_MAX];
	enum page_fate fate[SWAP_CLUSTER_MAX];
	int err[SWAP_CLUSTER_MAX];
	unsigned i, n, nio = 0, busy;
	bool flush_failed;

	n = isolate_for_pass(z, LRU_INACTIVE_ANON, nr, pages, fate, sc);
	for (i = 0; i < n; i++) {
		struct page *page = pages[i];

		if (!page)
			continue;
		/* used since the last look: keep it. A mapper too busy to
		 * look at says nothing (Linux's rmap never has to skip one):
		 * those that can be unmapped are, the page stays for the rest
		 * and the next pass */
		if (page_mapped(page) && page_referenced_batch(page, &batch, &busy) > 0) {
			fate[i] = PAGE_ACTIVATE;
			continue;
		}
		/* a slot a write failed on is let go while the page still
		 * holds the data, and the page gets a new one */
		if (PageSwapCache(page) && page_mapped(page) &&
		    swap_slot_doomed((swp_entry_t){ page->private }))
			try_to_free_swap(page);
		if (!PageSwapCache(page) && !(page->mapping & PAGE_MAPPING_ANON)) {
			fate[i] = PAGE_ACTIVATE;
			continue;
		}
		fate[i] = PAGE_WRITE;		/* for now: going out */
	}
	add_to_swap_batch(pages, fate, n, sc);
	for (i = 0; i < n; i++) {
		struct page *page = pages[i];

		if (!page || fate[i] != PAGE_WRITE)
			continue;
		if (page_mapped(page) && !try_to_unmap(page, &batch)) {
			fate[i] = PAGE_KEEP;	/* a mapper was busy */
			continue;
		}
		fate[i] = PageDirty(page) ? PAGE_WRITE : PAGE_FREE;
	}

	/* Every PTE is a swap entry now: once the mappers' host mappings
	 * are gone, nothing writes to the pages behind reclaim's back. A
	 * mapper that did not answer may still write to them: they stay,
	 * dirty. */
	flush_failed = tlb_batch_flush(&batch, TLB_SHOOTDOWN_TIMEOUT_NS) != 0;
	for (i = 0; i < n; i++) {
		if (!pages[i])
			continue;
		if (flush_failed && (fate[i] == PAGE_WRITE || fate[i] == PAGE_FREE)) {
			SetPageDirty(pages[i]);
			fate[i] = PAGE_ACTIVATE;
		}
		if (fate[i] == PAGE_WRITE) {
			ClearPageDirty(pages[i]);
			io[nio] = pages[i];
			entries[nio] = (swp_entry_t){ pages[i]->private };
			nio++;
		}
	}
	if (nio)
		swap_writepages(io, entries, err, nio);
	for (i = 0, nio = 0; i < n; i++) {
		struct page *page = pages[i];

		if (!page)
			continue;
		if (fate[i] == PAGE_WRITE) {
			if (err[nio++]) {
				/* the page keeps the only copy: it stays, and its
				 * slot retires once its users are gone */
				SetPageDirty(page);
				swap_mark_doomed(entries[nio - 1]);
				fate[i] = PAGE_ACTIVATE;
			} else {
				fate[i] = PAGE_FREE;
			}
		}
		if (fate[i] == PAGE_FREE && remove_mapping(page)) {
			reclaimed_one(sc);
			continue;
		}
		page_putback(page, fate[i] == PAGE_FREE ? PAGE_KEEP : fate[i]);
	}
}

/* Evict up to nr pages from the tail of the inactive file list: a page
 * used since the last look goes back to the active list; the others are
 * unmapped, written to their file if dirty, taken out of the page cache
 * and freed. A clean page is never written. */
static void shrink_inactive_file(struct zone *z, unsigned nr, struct scan_control *sc)
{
	struct page *pages[SWAP_CLUSTER_MAX];
	enum page_fate fate[SWAP_CLUSTER_MAX];
	unsigned i, n, busy;
	bool flush_failed, was_referenced;
	int refs;

	n = isolate_for_pass(z, LRU_INACTIVE_FILE, nr, pages, fate, sc);
	for (i = 0; i < n; i++) {
		struct page *page = pages[i];

		if (!page)
			continue;
		if (!PageFile(page) || !PageUptodate(page) ||
		    (page->flags & (1u << PG_writeback)))
			continue;
		/* Linux's page_check_references for file pages: the first
		 * use seen (a fault maps every page with A set) only marks the
		 * page referenced and keeps it inactive; a second use, or two
		 * mappers, makes it active. Pages read once and left go first */
		refs = page_mapped(page) ? page_referenced_batch(page, &batch, &busy) : 0;
		was_referenced = PageReferenced(page);
		ClearPageReferenced(page);
		if (refs) {
			SetPageReferenced(page);
			fate[i] = was_referenced || refs > 1 ? PAGE_ACTIVATE : PAGE_KEEP;
			continue;
		}
		if (page_mapped(page) && !try_to_unmap(page, &batch))
			continue;		/* a mapper was busy */
		fate[i] = PAGE_FREE;
	}
	/* no mapper writes to the pages once their host mappings are gone */
	flush_failed = tlb_batch_flush(&batch, TLB_SHOOTDOWN_TIMEOUT_NS) != 0;
	for (i = 0; i < n; i++) {
		struct page *page = pages[i];

		if (!page)
			continue;
		if (fate[i] == PAGE_FREE && flush_failed) {
			set_page_dirty(page);	/* it may still be written to */
			fate[i] = PAGE_ACTIVATE;
		}
		if (fate[i] == PAGE_FREE && filemap_reclaim_write(page) != 0)
			fate[i] = PAGE_ACTIVATE;
		if (fate[i] == PAGE_FREE && remove_mapping(page)) {
			reclaimed_one(sc);
			continue;
		}
		page_putback(page, fate[i] == PAGE_FREE ? PAGE_KEEP : fate[i]);
	}
}

static bool inactive_is_low(struct zone *z, enum lru_list inactive)
{
	return zone_page_state(z, lru_zone_item(inactive)) <
	       zone_page_state(z, lru_zone_item(inactive + 1));
}

/* One kind of page in one zone: age the active list while the inactive
 * one is the shorter, evict from the inactive one. */
static void shrink_list_pair(struct zone *z, enum lru_list inactive, unsigned long todo,
			     struct scan_control *sc)
{
	while (todo && sc->nr_reclaimed < sc->nr_to_reclaim) {
		unsigned step = (unsigned)min(todo, (unsigned long)SWAP_CLUSTER_MAX);

		todo -= step;
		if (inactive_is_low(z, inactive) && zone_page_state(z, lru_zone_item(inactive + 1)))
			shrink_active_list(z, inactive + 1, step, sc);
		if (!zone_page_state(z, lru_zone_item(inactive))) {
			if (!zone_page_state(z, lru_zone_item(inactive + 1)))
				break;
			continue;
		}
		if (inactive == LRU_INACTIVE_FILE)
			shrink_inactive_file(z, step, sc);
		else
			shrink_inactive_list(z, step, sc);
	}
}

/*
 * One zone at one priority: 1/2^priority of its lists (at least a pass),
 * shared between file and anonymous pages as Linux's get_scan_count
 * shares it: all from the inactive file list while it holds more than
 * the scan; else in proportion to the lists' sizes weighted by
 * swappiness for anonymous pages and 200 - swappiness for file pages,
 * and no anonymous page without swap.
 */
static void shrink_zone(struct zone *z, int priority, struct scan_control *sc)
{
	unsigned long anon = zone_page_state(z, NR_ZONE_ACTIVE_ANON) +
			     zone_page_state(z, NR_ZONE_INACTIVE_ANON);
	unsigned long file = zone_page_state(z, NR_ZONE_ACTIVE_FILE) +
			     zone_page_state(z, NR_ZONE_INACTIVE_FILE);
	unsigned long swappiness = vm_kdata->reclaim.swappiness, wa, wf, todo;

	if (swappiness > 200)
		swappiness = 200;
	if (!total_swap_pages())
		anon = 0;		/* nowhere to put them */
	wa = anon * swappiness;
	wf = file * (200 - swappiness);
	todo = (anon + file) >> priority;
	if (todo < SWAP_CLUSTER_MAX)
		todo = SWAP_CLUSTER_MAX;
	if (wa + wf == 0)
		return;
	/* enough inactive page cache for this priority's scan: leave the
	 * anonymous working set alone for now (Linux's cache trim mode) */
	if (zone_page_state(z, NR_ZONE_INACTIVE_FILE) > todo) {
		shrink_list_pair(z, LRU_INACTIVE_FILE, todo, sc);
		return;
	}
	if (file)
		shrink_list_pair(z, LRU_INACTIVE_FILE,
				 max((unsigned long)(todo * wf / (wa + wf)), 1ul), sc);
	if (anon)
		shrink_list_pair(z, LRU_INACTIVE_ANON,
				 max((unsigned long)(todo * wa / (wa + wf)), 1ul), sc);
}

static bool zone_populated(const struct zone *z)
{
	return z->managed_pages > 0;
}

static unsigned long zone_free(struct zone *z)
{
	return zone_page_state(z, NR_FREE_PAGES);
}

/* Every zone from the highest down, priority by priority, until enough
 * is reclaimed: the pages freed. */
static unsigned long do_reclaim(struct scan_control *sc)
{
	struct pglist_data *pgdat = NODE_DATA();
	int priority, zi;

	for (priority = DEF_PRIORITY; priority >= 0; priority--) {
		unsigned long before = sc->nr_reclaimed;

		for (zi = (int)pgdat->nr_zones - 1; zi >= 0; zi--) {
			struct zone *z = &pgdat->node_zones[zi];

			if (!zone_populated(z))
				continue;
			/* kswapd balances: a zone above high is left alone,
			 * or allocations, which take the highest zone first,
			 * would see it emptied while a lower one stays low */
			if (sc->kswapd && zone_free(z) >= z->_watermark[WMARK_HIGH])
				continue;
			shrink_zone(z, priority, sc);
			if (sc->nr_reclaimed >= sc->nr_to_reclaim)
				return sc->nr_reclaimed;
		}
		/* kswapd: a whole priority freed nothing, so the pages left
		 * are in use right now (their mms busy, their A bits set);
		 * scanning more of them at once will not change that, time
		 * will (balance_pgdat waits) */
		if (sc->kswapd && sc->nr_reclaimed == before && priority < DEF_PRIORITY - 2)
			break;
	}
	return sc->nr_reclaimed;
}

/* ---- direct reclaim ---------------------------------------------------------- */

static bool in_reclaim;		/* this process is reclaiming: no recursion */

unsigned long try_to_free_pages(gfp_t gfp_mask, unsigned order)
{
	struct scan_control sc = { .nr_to_reclaim = SWAP_CLUSTER_MAX << order };
	unsigned long got;

	(void)gfp_mask;
	if (in_reclaim)
		return 0;
	in_reclaim = true;
	count_vm_event(ALLOCSTALL);
	got = do_reclaim(&sc);
	in_reclaim = false;
	return got;
}

/* Room for n pages above the low watermarks before a swap-in allocates
 * them, so that its readahead and its contiguous run find free frames
 * (they do not reclaim themselves): reclaim here, with no lock held. */
void reclaim_for_swapin(unsigned n)
{
	struct pglist_data *pgdat = NODE_DATA();
	unsigned long want = n, zi;

	for (zi = 0; zi < pgdat->nr_zones; zi++)
		want += pgdat->node_zones[zi]._watermark[WMARK_LOW];
	if (nr_free_pages() >= want)
		return;
	wakeup_kswapd();
	try_to_free_pages(GFP_HIGHUSER, 0);
}

unsigned long shrink_all_memory(unsigned long nr)
{
	struct scan_control sc = { .nr_to_reclaim = nr };
	unsigned long got;

	if (in_reclaim)
		return 0;
	in_reclaim = true;
	got = do_reclaim(&sc);
	in_reclaim = false;
	return got;
}

/* ---- kswapd -------------------------------------------------------------------- */

/* Is some zone below mark (WMARK_LOW to wake, WMARK_HIGH to go on)? */
static bool pgdat_needs_reclaim(enum zone_watermarks mark)
{
	struct pglist_data *pgdat = NODE_DATA();
	unsigned zi;

	for (zi = 0; zi < pgdat->nr_zones; zi++) {
		struct zone *z = &pgdat->node_zones[zi];

		if (zone_populated(z) && zone_free(z) < z->_watermark[mark] &&
		    zone_page_state(z, NR_ZONE_ACTIVE_ANON) + zone_page_state(z, NR_ZONE_INACTIVE_ANON) +
		    zone_page_state(z, NR_ZONE_ACTIVE_FILE) + zone_page_state(z, NR_ZONE_INACTIVE_FILE))
			return true;
	}
	return false;
}

void wakeup_kswapd(void)
{
	struct reclaim_state *rs = &vm_kdata->reclaim;

	if (!__atomic_load_n(&rs->kswapd_pid, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&rs->kswapd_state, __ATOMIC_RELAXED))
		return;
	__atomic_add_fetch(&rs->kswapd_wait, 1, __ATOMIC_RELEASE);
	host_futex_wake(&rs->kswapd_wait, 1);
}

static volatile sig_atomic_t kswapd_should_stop;

static void kswapd_stop_handler(int sig)
{
	(void)sig;
	kswapd_should_stop = 1;
}

/* Reclaim until every zone is above its high watermark, a pass at a
 * time, giving up for now when a whole round freed nothing (the next
 * wakeup tries again). */
static void balance_pgdat(void)
{
	struct reclaim_state *rs = &vm_kdata->reclaim;
	unsigned idle = 0;

	rs->kswapd_runs++;
	while (!kswapd_should_stop && pgdat_needs_reclaim(WMARK_HIGH)) {
		struct scan_control sc = { .nr_to_reclaim = SWAP_CLUSTER_MAX, .kswapd = true };

		in_reclaim = true;
		do_reclaim(&sc);
		in_reclaim = false;
		if (sc.nr_reclaimed) {
			idle = 0;
			continue;
		}
		if (++idle >= 3)
			break;
		host_sleep_ns(1000000);
	}
}

void kswapd_main(void)
{
	struct reclaim_state *rs = &vm_kdata->reclaim;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kswapd_stop_handler;
	sigaction(SIGTERM, &sa, NULL);
	printk("kswapd0: started (pid %d)", (int)getpid());
	while (!kswapd_should_stop) {
		uint32_t seen = __atomic_load_n(&rs->kswapd_wait, __ATOMIC_ACQUIRE);

		if (pgdat_needs_reclaim(WMARK_LOW)) {
			__atomic_store_n(&rs->kswapd_state, 1, __ATOMIC_RELEASE);
			balance_pgdat();
			__atomic_store_n(&rs->kswapd_state, 0, __ATOMIC_RELEASE);
			/* still low: it gave up for now (the pages left are in
			 * use); a while, or the next wakeup, before it tries */
			if (pgdat_needs_reclaim(WMARK_LOW))
				host_futex_wait(&rs->kswapd_wait, seen, 10000000ull);
			continue;
		}
		/* a wakeup between the look and the sleep changes the word:
		 * the wait returns at once. The timeout bounds a lost one. */
		host_futex_wait(&rs->kswapd_wait, seen, 100000000ull);
	}
}

pid_t kswapd_run(void)
{
	return kthread_run("kswapd0", kswapd_main, &vm_kdata->reclaim.kswapd_pid);
}

void kswapd_stop(void)
{
	struct reclaim_state *rs = &vm_kdata->reclaim;

	kthread_stop(&rs->kswapd_pid, &rs->kswapd_wait, &rs->kswapd_state);
}
