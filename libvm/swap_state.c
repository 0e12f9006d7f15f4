/* swap_state.c - the swap cache: the pages that hold a swap slot's data in
 * RAM. A page enters it when reclaim gives it a slot (add_to_swap) or when
 * a fault or readahead reads a slot back, and leaves it when the page is
 * freed or its slot is (delete_from_swap_cache). While it is there:
 *
 *   - a swap-in of the slot finds the page instead of reading the file,
 *     which is how the pages fork shared reach every child that swaps
 *     them back, and how a fault on a page still being written waits for
 *     the write instead of reading a half-written slot;
 *   - a clean page (its PTEs never set D since it was read or written)
 *     has a valid copy in the slot, so reclaim drops it without I/O.
 *
 * Linux keeps the cache in an xarray per 64 MiB of swap (swapper_spaces);
 * here it is one array of pfns per area, indexed by slot, beside the area's
 * swap_map: the machine has at most 8 areas and a slot costs 4 bytes.
 *
 * Counts. The cache holds one reference on the page and one count in the
 * slot's swap_map byte (the slot cannot come free under its page); every
 * swap PTE holds one more count. So a cached slot whose count is 1 is
 * wanted by no PTE, and its page, once nobody maps it, is garbage:
 * swap_unlock_page and free_swap_and_cache drop it.
 *
 * Locks: swap_state.lock guards the arrays with the swap_maps; the page
 * lock (PG_locked) is held across a page's I/O and whenever a page enters
 * or leaves the cache, so a holder of the page lock sees it stay put.
 */
#include <string.h>

#include "internal.h"

static inline struct swap_state *swap_state(void)
{
	return &vm_kdata->swap;
}

/* The page caching entry, or NULL. swap_state.lock held. */
static struct page *__lookup_swap_cache(swp_entry_t entry)
{
	uint32_t *slot = swap_cache_slot(entry);

	return slot && *slot ? pfn_to_page(*slot) : NULL;
}

struct page *lookup_swap_cache(swp_entry_t entry)
{
	struct page *page;

	swap_state_lock();
	page = __lookup_swap_cache(entry);
	if (page)
		get_page(page);
	swap_state_unlock();
	return page;
}

/* Put page in the cache for entry, whose count already includes the
 * cache's: -EEXIST when another page got there first. swap_state.lock
 * and the page lock held. */
int __add_to_swap_cache(struct page *page, swp_entry_t entry)
{
	uint32_t *slot = swap_cache_slot(entry);

	if (!slot)
		return -EINVAL;
	if (*slot)
		return -EEXIST;
	get_page(page);
	page->private = entry.val;
	SetPageSwapCache(page);
	*slot = (uint32_t)page_to_pfn(page);
	swap_state()->nr_swapcache++;
	mod_node_page_state(NR_SWAPCACHE, 1);
	return 0;
}

int add_to_swap(struct page *page)
{
	swp_entry_t entry = get_swap_page();

	if (!entry.val)
		return -ENOSPC;
	return add_to_swap_entry(page, entry);
}

int add_to_swap_entry(struct page *page, swp_entry_t entry)
{
	int err;

	swap_state_lock();
	err = __add_to_swap_cache(page, entry);
	swap_state_unlock();
	if (err) {
		swap_free(entry);
		return err;
	}
	/* nothing is in the slot yet: the page must be written */
	SetPageDirty(page);
	SetPageUptodate(page);
	return 0;
}

/* Take page out of the cache and drop the slot count the cache held; the
 * caller drops the cache's page reference once the lock is gone.
 * swap_state.lock and the page lock held. */
void __delete_from_swap_cache(struct page *page)
{
	swp_entry_t entry = { page->private };
	uint32_t *slot = swap_cache_slot(entry);

	BUG_ON(!PageSwapCache(page) || !slot || *slot != page_to_pfn(page));
	*slot = 0;
	ClearPageSwapCache(page);
	page->private = 0;
	swap_state()->nr_swapcache--;
	mod_node_page_state(NR_SWAPCACHE, -1);
	__swap_free(entry);
}

void delete_from_swap_cache(struct page *page)
{
	swap_state_lock();
	__delete_from_swap_cache(page);
	swap_state_unlock();
	put_page(page);
}

/* Is the cached page garbage: in the cache, mapped by nobody, its slot
 * wanted by no swap PTE? swap_state.lock held. */
static bool swapcache_orphan(struct page *page)
{
	struct swap_info_struct *si;
	swp_entry_t entry = { page->private };
	uint8_t *count;

	if (!PageSwapCache(page) || __atomic_load_n(&page->_mapcount, __ATOMIC_RELAXED) >= 0)
		return false;
	count = swap_map_slot(entry, &si);
	return count && swap_map_count(*count) == 1;
}

bool try_to_free_swap(struct page *page)
{
	struct swap_info_struct *si;
	swp_entry_t entry = { page->private };
	uint8_t *count;
	bool freed = false;

	if (!PageSwapCache(page))
		return false;
	swap_state_lock();
	count = swap_map_slot(entry, &si);
	if (PageSwapCache(page) && count && swap_map_count(*count) == 1) {
		__delete_from_swap_cache(page);
		freed = true;
	}
	swap_state_unlock();
	if (freed)
		put_page(page);
	return freed;
}

/*
 * Drop the page lock of a page that may be in the swap cache, freeing it
 * from the cache when it turned out to be garbage. The check and the
 * unlock are one step under swap_state.lock: a swap PTE that goes away
 * meanwhile (free_swap_and_cache) finds the page either still locked,
 * leaving it to this, or unlocked and itself the one to free it.
 */
void swap_unlock_page(struct page *page)
{
	bool drop = false;

	swap_state_lock();
	if (swapcache_orphan(page)) {
		__delete_from_swap_cache(page);
		drop = true;
	}
	unlock_page(page);
	swap_state_unlock();
	rnote_clear(page, RNOTE_LOCKED);
	if (drop)
		put_page(page);
}

void free_swap_and_cache(swp_entry_t entry)
{
	struct page *page = NULL;
	int left;

	swap_state_lock();
	left = __swap_free(entry);
	if (left == 1) {
		page = __lookup_swap_cache(entry);
		/* a locked page is its locker's to free (swap_unlock_page) */
		if (page && swapcache_orphan(page) && trylock_page(page)) {
			__delete_from_swap_cache(page);
			unlock_page(page);
		} else {
			page = NULL;
		}
	}
	swap_state_unlock();
	if (left < 0)
		printk("swap_free: Bad swap file entry %08x", entry.val);
	if (page)
		put_page(page);
}

unsigned long total_swapcache_pages(void)
{
	return __atomic_load_n(&swap_state()->nr_swapcache, __ATOMIC_RELAXED);
}

/* ---- swap-in ------------------------------------------------------------ */

/* A page swap-in put in the cache whose read failed: out of the cache,
 * unlocked, freed (the slot keeps its users). */
static void swapin_drop(struct page *page)
{
	swap_state_lock();
	__delete_from_swap_cache(page);
	unlock_page(page);
	swap_state_unlock();
	rnote_clear(page, RNOTE_LOCKED);
	put_page(page);
}

/*
 * The page for entry, in the swap cache and locked, its data read: the
 * cached one if there is one, else a new page read from the slot. NULL
 * with *err: -EAGAIN when the cached page is locked (its I/O is under
 * way: the fault retries), -ENOMEM, -EIO when the read failed, -ENOENT
 * when the slot is no longer used (the PTE changed under the caller).
 * *major is set when this read the file (the new page is then on the
 * active list, the cached one was on a list already). Readahead: the
 * entries ra[0..nra) when the caller gives them (the swap PTEs of the
 * fault's folio run: Linux's VMA-based swap readahead), else the
 * neighbours of the slot in its aligned window of 2^page_cluster slots;
 * those in use and not cached are read in the same batch and left in the
 * cache, unlocked, on the inactive list.
 */
struct page *read_swap_page(swp_entry_t entry, const swp_entry_t *ra, unsigned nra, gfp_t gfp,
			    bool *major, int *err)
{
	unsigned cluster = vm_kdata->reclaim.page_cluster, window = 1u << cluster, i, n = 0;
	struct page *pages[1u << 5];
	swp_entry_t entries[1u << 5];
	int res[1u << 5];
	uint32_t off = swp_offset(entry), base;
	struct page *page;

	*major = false;
	page = lookup_swap_cache(entry);
	if (page) {
		if (!trylock_page_noted(page)) {
			put_page(page);
			*err = -EAGAIN;
			return NULL;
		}
		if (!PageSwapCache(page) || page->private != entry.val) {
			swap_unlock_page(page);	/* it left the cache meanwhile */
			put_page(page);
			*err = -EAGAIN;
			return NULL;
		}
		put_page(page);			/* the cache's reference holds it */
		return page;
	}
	if (ra && nra) {
		/* the caller's window: the swap PTEs around the fault */
		window = min(nra + 1, (unsigned)ARRAY_SIZE(pages));
	} else if (window > ARRAY_SIZE(pages)) {
		window = ARRAY_SIZE(pages);
	}
	base = off & ~(window - 1);
	/* the faulting slot first: it is the one the batch must hold; then
	 * the others of its window, in file order */
	for (i = 0; i < window; i++) {
		uint32_t o = i == 0 ? off : base + i - 1 + (base + i - 1 >= off);
		swp_entry_t e = ra && nra && i ? ra[i - 1] : swp_entry(swp_type(entry), o);
		struct swap_info_struct *si;
		uint8_t *count;
		struct page *p;

		/* readahead is not worth reclaiming for */
		p = alloc_page(i ? (gfp & ~__GFP_DIRECT_RECLAIM) | __GFP_NOWARN : gfp);
		if (!p) {
			if (!i) {
				*err = -ENOMEM;
				return NULL;
			}
			break;
		}
		trylock_page_noted(p);		/* new: nobody else sees it yet */
		swap_state_lock();
		count = swap_map_slot(e, &si);
		if (!count || !swap_map_count(*count) || *count == SWAP_MAP_BAD ||
		    (swap_map_count(*count) >= SWAP_MAP_MAX) || __lookup_swap_cache(e) ||
		    __swap_duplicate(e) != 0) {
			swap_state_unlock();
			unlock_page(p);
			rnote_clear(p, RNOTE_LOCKED);
			__free_page(p);
			if (!i) {
				/* raced: another fault or readahead got it in, or the
				 * slot went */
				*err = count && swap_map_count(*count) ? -EAGAIN : -ENOENT;
				return NULL;
			}
			continue;
		}
		__add_to_swap_cache(p, e);
		swap_state_unlock();
		put_page(p);			/* the cache holds it now */
		pages[n] = p;
		entries[n] = e;
		n++;
	}
	swap_readpages(pages, entries, res, n);
	*major = true;
	for (i = 1; i < n; i++) {
		if (res[i]) {
			/* a neighbour that failed to read: not worth a guest */
			swapin_drop(pages[i]);
			continue;
		}
		SetPageUptodate(pages[i]);
		lru_cache_add(pages[i], false);
		swap_unlock_page(pages[i]);
	}
	page = pages[0];
	if (res[0]) {
		swapin_drop(page);
		*err = -EIO;
		return NULL;
	}
	SetPageUptodate(page);
	lru_cache_add(page, true);	/* about to be mapped */
	return page;
}

/*
 * A folio run's worth of consecutive slots read at once into physically
 * contiguous frames (an order-log2(n) block, split), all put in the swap
 * cache and on the active list: the fault then maps the run with one host
 * mapping (swap_fault_around). The slots must all be in use and none
 * cached; otherwise, or with no block free, -EAGAIN and the caller reads
 * the single page. A failed read drops that page; -EIO when it is the
 * one at index want, the page the fault is for.
 */
int read_swap_folio(swp_entry_t first, unsigned n, unsigned want, bool *major)
{
	struct page *pages[VM_FOLIO_MAX_PAGES], *block;
	swp_entry_t entries[VM_FOLIO_MAX_PAGES];
	int res[VM_FOLIO_MAX_PAGES], err = 0;
	unsigned order = 0, i;

	*major = false;
	while ((1u << order) < n)
		order++;
	if ((1u << order) != n || n > VM_FOLIO_MAX_PAGES || want >= n)
		return -EINVAL;
	/* no reclaim for it: the single page's read will, if it must */
	block = alloc_pages((GFP_HIGHUSER & ~__GFP_DIRECT_RECLAIM) | __GFP_NOWARN, order);
	if (!block)
		return -EAGAIN;
	split_page(block, order);
	for (i = 0; i < n; i++) {
		pages[i] = block + i;
		entries[i] = swp_entry(swp_type(first), swp_offset(first) + i);
		trylock_page_noted(pages[i]);	/* new: nobody else sees it yet */
	}
	swap_state_lock();
	for (i = 0; i < n; i++) {
		struct swap_info_struct *si;
		uint8_t *count = swap_map_slot(entries[i], &si);

		if (!count || *count == SWAP_MAP_BAD || !swap_map_count(*count) ||
		    swap_map_count(*count) >= SWAP_MAP_MAX || __lookup_swap_cache(entries[i]))
			break;
	}
	if (i < n) {
		swap_state_unlock();
		for (i = 0; i < n; i++) {
			unlock_page(pages[i]);
			rnote_clear(pages[i], RNOTE_LOCKED);
			__free_page(pages[i]);
		}
		return -EAGAIN;
	}
	for (i = 0; i < n; i++) {
		__swap_duplicate(entries[i]);
		__add_to_swap_cache(pages[i], entries[i]);
	}
	swap_state_unlock();
	for (i = 0; i < n; i++)
		put_page(pages[i]);		/* the cache holds them now */
	swap_readpages(pages, entries, res, n);
	*major = true;
	for (i = 0; i < n; i++) {
		if (res[i]) {
			swapin_drop(pages[i]);
			if (i == want)
				err = -EIO;
			continue;
		}
		SetPageUptodate(pages[i]);
		lru_cache_add(pages[i], true);
		swap_unlock_page(pages[i]);
	}
	return err;
}
