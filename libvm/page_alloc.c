/* page_alloc.c - the buddy allocator. Free frames live in RAM: blocks of
 * 2^order frames on zone->free_area[order], linked through struct page by
 * pfn, under zone->lock; order-0 frames also sit on per-CPU lists under
 * their own lock, so most allocations never touch zone->lock. slab.c sits
 * on top; nothing here knows about page tables. Any process may run any of
 * this at once.
 *
 * A block's buddy differs from it in one bit: the buddy of pfn 8 at order 1
 * is 8 ^ 2 = 10, and 8 & 10 = 8 is where the merged order-2 block starts.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* alloc_flags, as mm/internal.h has them */
#define ALLOC_WMARK_MIN		WMARK_MIN
#define ALLOC_WMARK_LOW		WMARK_LOW
#define ALLOC_WMARK_HIGH	WMARK_HIGH
#define ALLOC_WMARK_MASK	0x03u
#define ALLOC_NON_BLOCK		0x08u	/* caller cannot sleep: dig a little deeper */
#define ALLOC_MIN_RESERVE	0x10u	/* __GFP_HIGH: may use half the min reserve */

static const unsigned lowmem_reserve_ratio[MAX_NR_ZONES] = { 256, 32, 0 };

static inline struct zone *zone_of(enum zone_type z)
{
	return &NODE_DATA()->node_zones[z];
}

static inline bool populated_zone(const struct zone *z)
{
	return z->managed_pages != 0;
}

static inline uint32_t zone_end_pfn(const struct zone *z)
{
	return z->zone_start_pfn + z->spanned_pages;
}

enum zone_type gfp_zone(gfp_t gfp_mask)
{
	if (gfp_mask & __GFP_DMA)
		return ZONE_DMA;
	if (gfp_mask & __GFP_HIGHMEM)
		return ZONE_HIGHMEM;
	return ZONE_NORMAL;
}

/* ---- zone->lock and its repair ---------------------------------------- */

static void zone_lock(struct zone *z)
{
	if (unlikely(vm_lock_acquire(&z->lock) == -EOWNERDEAD)) {
		zone_repair_locked(z);
		vm_lock_consistent(&z->lock);
	}
}

static inline void zone_unlock(struct zone *z)
{
	vm_lock_release(&z->lock);
}

static void __free_one_page(struct page *page, unsigned long pfn, struct zone *z,
			    unsigned order);

/*
 * The owner died inside a free-list operation. Page flags are written under
 * the lock just before and after the list links, so the heads marked
 * PG_buddy are the truth: rebuild every list from them. A block the dead
 * owner had already taken off its list and not yet handed on is lost to
 * the machine (logged); nothing is handed out twice.
 */
void zone_repair_locked(struct zone *z)
{
	unsigned long pfn = z->zone_start_pfn, end = zone_end_pfn(z), free = 0;
	unsigned order;

	/* the block the dead holder was moving is free, whole: whatever of
	 * it was still flagged (a buddy it was merging, a frame leaving a
	 * per-CPU list) becomes part of it; it goes back with merging once
	 * the lists are rebuilt from the others */
	unsigned long transit = 0, tn = 0;
	unsigned torder = 0;

	if (z->transit_pfn) {
		unsigned long t = z->transit_pfn - 1, n = 1UL << z->transit_order, i;

		if (z->transit_order < MAX_ORDER && t >= pfn && t + n <= end && !(t & (n - 1))) {
			for (i = 0; i < n; i++) {
				struct page *p = pfn_to_page(t + i);

				ClearPageBuddy(p);
				ClearPagePcp(p);
				p->private = 0;
				p->_refcount = 0;
			}
			transit = t + 1;
			tn = n;
			torder = z->transit_order;
		}
		z->transit_pfn = 0;
	}

	for (order = 0; order < MAX_ORDER; order++) {
		pfn_list_init(&z->free_area[order].free_list);
		z->free_area[order].nr_free = 0;
	}
	while (pfn < end) {
		struct page *page = pfn_to_page(pfn);

		order = page->private;
		if (PageBuddy(page) && order < MAX_ORDER && !(pfn & ((1UL << order) - 1)) &&
		    pfn + (1UL << order) <= end) {
			pfn_list_add_tail(&z->free_area[order].free_list, pfn);
			z->free_area[order].nr_free++;
			free += 1UL << order;
			pfn += 1UL << order;
		} else {
			ClearPageBuddy(page);
			pfn++;
		}
	}
	if (transit) {
		__free_one_page(pfn_to_page(transit - 1), transit - 1, z, torder);
		free += tn;
	}
	__atomic_store_n(&z->vm_stat[NR_FREE_PAGES], (int64_t)free, __ATOMIC_RELAXED);
	printk("zone %s: lock owner died; rebuilt free lists from page flags, %lu pages free",
	       z->name, free);
}

/* ---- the free lists (zone->lock held) --------------------------------- */

/* The block in the middle of a free-list change (see struct zone). */
static inline void zone_transit(struct zone *z, unsigned long pfn, unsigned order)
{
	z->transit_order = order;
	__atomic_store_n(&z->transit_pfn, (uint32_t)pfn + 1, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static inline void zone_transit_done(struct zone *z)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&z->transit_pfn, 0, __ATOMIC_RELAXED);
}

static inline bool in_zone_transit(const struct zone *z, unsigned long pfn)
{
	unsigned long t = z->transit_pfn;

	return t && pfn >= t - 1 && pfn < t - 1 + (1UL << z->transit_order);
}

static inline void set_buddy_order(struct page *page, unsigned order)
{
	page->private = order;
	SetPageBuddy(page);
}

static inline void add_to_free_list(struct page *page, struct zone *z, unsigned order)
{
	set_buddy_order(page, order);
	pfn_list_add(&z->free_area[order].free_list, page_to_pfn(page));
	z->free_area[order].nr_free++;
}

static inline void del_page_from_free_list(struct page *page, struct zone *z, unsigned order)
{
	pfn_list_del(&z->free_area[order].free_list, page_to_pfn(page));
	ClearPageBuddy(page);
	page->private = 0;
	z->free_area[order].nr_free--;
}

/* Is the frame at buddy_pfn the free head of a block of this order, in z? */
static inline bool page_is_buddy(struct zone *z, unsigned long buddy_pfn, unsigned order)
{
	struct page *buddy;

	if (buddy_pfn < z->zone_start_pfn || buddy_pfn >= zone_end_pfn(z))
		return false;
	buddy = pfn_to_page(buddy_pfn);
	return PageBuddy(buddy) && buddy->private == order;
}

/*
 * Free a block and merge it with its buddies as far as they are free:
 *
 *   pfn  8 9 10 11 : a . b b    free a (order 0): buddy 9 is busy, stop
 *   pfn  8 9 10 11 : . . b b    free 9 too: 8+9 -> order 1 at 8, whose
 *                               buddy 10 is free at order 1 -> order 2 at 8
 */
static void __free_one_page(struct page *page, unsigned long pfn, struct zone *z,
			    unsigned order)
{
	zone_transit(z, pfn, order);
	while (order < MAX_ORDER - 1) {
		unsigned long buddy_pfn = pfn ^ (1UL << order);

		if (!page_is_buddy(z, buddy_pfn, order))
			break;
		/* the merged block is in transit before its buddy leaves
		 * its list */
		zone_transit(z, pfn & buddy_pfn, order + 1);
		del_page_from_free_list(pfn_to_page(buddy_pfn), z, order);
		pfn &= buddy_pfn;
		order++;
	}
	page = pfn_to_page(pfn);
	add_to_free_list(page, z, order);
	zone_transit_done(z);
}

/* Split a block of order high taken for an allocation of order low: the
 * upper halves go back on the lists. */
static void expand(struct zone *z, struct page *page, unsigned low, unsigned high)
{
	unsigned long size = 1UL << high;

	while (high > low) {
		high--;
		size >>= 1;
		add_to_free_list(&page[size], z, high);
	}
}

static struct page *__rmqueue_smallest(struct zone *z, unsigned order)
{
	unsigned current_order;

	for (current_order = order; current_order < MAX_ORDER; current_order++) {
		struct free_area *area = &z->free_area[current_order];
		struct page *page;

		if (pfn_list_empty(&area->free_list))
			continue;
		page = pfn_to_page(area->free_list.next);
		/* in transit until the caller has put it where it goes */
		zone_transit(z, page_to_pfn(page), current_order);
		del_page_from_free_list(page, z, current_order);
		expand(z, page, order, current_order);
		return page;
	}
	return NULL;
}

/* ---- per-CPU lists ---------------------------------------------------- */

static void pcp_repair_locked(struct zone *z, unsigned cpu)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];
	unsigned long pfn;

	pfn_list_init(&pcp->list);
	pcp->count = 0;
	for (pfn = z->zone_start_pfn; pfn < zone_end_pfn(z); pfn++) {
		struct page *page = pfn_to_page(pfn);
		if (PagePcp(page) && page->private == cpu && !in_zone_transit(z, pfn)) {
			pfn_list_add_tail(&pcp->list, pfn);
			pcp->count++;
		}
	}
	printk("zone %s cpu %u: per-CPU list owner died; rebuilt, %d pages", z->name, cpu,
	       pcp->count);
}

static struct per_cpu_pages *pcp_lock(struct zone *z, unsigned *cpup)
{
	unsigned cpu = host_cpu();
	struct per_cpu_pages *pcp = &z->pcp[cpu];

	if (unlikely(vm_lock_acquire(&pcp->lock) == -EOWNERDEAD)) {
		pcp_repair_locked(z, cpu);
		vm_lock_consistent(&pcp->lock);
	}
	*cpup = cpu;
	return pcp;
}

/* Move up to count frames from the cold end of pcp to the buddy lists.
 * pcp->lock held; takes zone->lock. */
static void free_pcppages_bulk(struct zone *z, struct per_cpu_pages *pcp, int count)
{
	if (count > pcp->count)
		count = pcp->count;
	if (count <= 0)
		return;
	zone_lock(z);
	while (count--) {
		unsigned long pfn = pcp->list.prev;
		struct page *page = pfn_to_page(pfn);

		zone_transit(z, pfn, 0);
		pfn_list_del(&pcp->list, pfn);
		pcp->count--;
		ClearPagePcp(page);
		page->private = 0;
		__free_one_page(page, pfn, z, 0);
		mod_zone_page_state(z, NR_FREE_PAGES, 1);
	}
	zone_unlock(z);
	count_vm_event(PCP_DRAIN);
}

/* Refill pcp with a batch from the buddy lists. pcp->lock held. */
static void rmqueue_bulk(struct zone *z, struct per_cpu_pages *pcp, unsigned cpu)
{
	int i;

	zone_lock(z);
	for (i = 0; i < pcp->batch; i++) {
		struct page *page = __rmqueue_smallest(z, 0);

		if (!page)
			break;
		page->private = cpu;
		SetPagePcp(page);
		pfn_list_add_tail(&pcp->list, page_to_pfn(page));
		pcp->count++;
		zone_transit_done(z);
	}
	mod_zone_page_state(z, NR_FREE_PAGES, -i);
	zone_unlock(z);
	count_vm_event(PCP_REFILL);
}

static struct page *rmqueue_pcplist(struct zone *z)
{
	struct per_cpu_pages *pcp;
	struct page *page = NULL;
	unsigned cpu;

	pcp = pcp_lock(z, &cpu);
	if (pfn_list_empty(&pcp->list))
		rmqueue_bulk(z, pcp, cpu);
	if (!pfn_list_empty(&pcp->list)) {
		unsigned long pfn = pcp->list.next;

		page = pfn_to_page(pfn);
		/* claimed while still flagged free: a kill from here on
		 * leaves it either on the rebuilt list or in the claim */
		vm_claim_store(&vm_claim_page, (uint32_t)pfn);
		pfn_list_del(&pcp->list, pfn);
		pcp->count--;
		pcp->pgalloc++;
		ClearPagePcp(page);
		page->private = 0;
		/* taken before the lock goes: a frame with no reference and
		 * no free flag is then only ever one being freed */
		page->_refcount = 1;
	}
	vm_lock_release(&pcp->lock);
	return page;
}

static void free_unref_page(struct page *page, struct zone *z)
{
	struct per_cpu_pages *pcp;
	unsigned cpu;

	pcp = pcp_lock(z, &cpu);
	pcp->pgfree++;
	page->private = cpu;
	SetPagePcp(page);
	pfn_list_add(&pcp->list, page_to_pfn(page));
	free_transit_done();
	if (++pcp->count >= pcp->high)
		free_pcppages_bulk(z, pcp, pcp->batch);
	vm_lock_release(&pcp->lock);
}

/* The supervisor, once it marked a dead process's locks: repair the
 * free lists it held now, before its exit gives frames back, so what the
 * exit frees meets lists that already hold whatever was in transit. */
void zone_settle_dead_locks(void)
{
	unsigned zi, cpu;

	for (zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *z = zone_of(zi);

		for (cpu = 0; cpu < VM_NR_CPUS; cpu++) {
			struct per_cpu_pages *pcp = &z->pcp[cpu];

			if (!(__atomic_load_n(&pcp->lock.word, __ATOMIC_RELAXED) & VM_LOCK_OWNER_DIED))
				continue;
			if (vm_lock_acquire(&pcp->lock) == -EOWNERDEAD) {
				pcp_repair_locked(z, cpu);
				vm_lock_consistent(&pcp->lock);
			}
			vm_lock_release(&pcp->lock);
		}
		if (__atomic_load_n(&z->lock.word, __ATOMIC_RELAXED) & VM_LOCK_OWNER_DIED) {
			zone_lock(z);
			zone_unlock(z);
		}
	}
}

/* Is the frame inside a free block (a buddy head of an order that covers
 * it), or on a per-CPU list? Linux's is_free_buddy_page. */
bool page_is_free(struct page *page)
{
	unsigned long pfn = page_to_pfn(page);
	unsigned order;

	if (PagePcp(page))
		return true;
	for (order = 0; order < MAX_ORDER; order++) {
		struct page *head = pfn_to_page(pfn & ~((1UL << order) - 1));

		if (PageBuddy(head) && head->private >= order)
			return true;
	}
	return false;
}

/* The block a dead process was freeing (task->free_transit): if its last
 * reference went and it never reached a free list, free it now. */
void free_transit_release(uint32_t transit)
{
	unsigned long pfn = transit >> FREE_TRANSIT_SHIFT;
	unsigned order = transit & FREE_TRANSIT_ORDER;
	struct page *page;

	if (!transit || !pfn_valid(pfn) || order >= MAX_ORDER)
		return;
	page = pfn_to_page(pfn);
	if ((transit & FREE_TRANSIT_EARLY) && page_ref_count(page) == 1 && !PageSlab(page) &&
	    !PageBuddy(page) && !PagePcp(page)) {
		/* its owner had unlinked it and was clearing its fields (a
		 * page table, a slab) before dropping the reference */
		printk("page_alloc: pfn %#lx (order %u) was being freed by a killed process: freed",
		       pfn, order);
		if (PagePgtable(page)) {
			ClearPagePgtable(page);
			mod_node_page_state(NR_PAGETABLE, -1);
		}
		page->mapping = 0;
		page->index = 0;
		page->private = 0;
		__free_pages(page, order);
		return;
	}
	if (page_ref_count(page) != 0 || page_is_free(page) ||
	    in_zone_transit(page_zone(page), pfn))
		return;
	printk("page_alloc: pfn %#lx (order %u) was being freed by a killed process: freed",
	       pfn, order);
	page->_refcount = 1;
	page->_mapcount = -1;
	page->mapping = 0;
	/* (PG_swapbacked stays until the free clears it: a page still on an
	 * LRU list is taken off the list that flag names) */
	page->flags &= ~(1u << PG_pgtable);
	__free_pages(page, order);
}

static void drain_zone_pages(struct zone *z)
{
	unsigned cpu;

	for (cpu = 0; cpu < vm_boot_block->nr_cpus; cpu++) {
		struct per_cpu_pages *pcp = &z->pcp[cpu];

		if (!__atomic_load_n(&pcp->count, __ATOMIC_RELAXED))
			continue;
		if (vm_lock_acquire(&pcp->lock) == -EOWNERDEAD) {
			pcp_repair_locked(z, cpu);
			vm_lock_consistent(&pcp->lock);
		}
		free_pcppages_bulk(z, pcp, pcp->count);
		vm_lock_release(&pcp->lock);
	}
}

void drain_all_pages(void)
{
	unsigned z;

	for (z = 0; z < MAX_NR_ZONES; z++)
		if (populated_zone(zone_of(z)))
			drain_zone_pages(zone_of(z));
}

/* ---- watermarks ------------------------------------------------------- */

bool zone_watermark_ok(struct zone *z, unsigned order, unsigned long mark,
		       int highest_zoneidx, unsigned alloc_flags)
{
	long min = (long)mark;
	long free_pages = (long)zone_page_state(z, NR_FREE_PAGES);
	unsigned o;

	free_pages -= (1L << order) - 1;
	if (alloc_flags & ALLOC_MIN_RESERVE) {
		min -= min / 2;
		if (alloc_flags & ALLOC_NON_BLOCK)
			min -= min / 4;
	}
	if (free_pages <= min + (long)z->lowmem_reserve[highest_zoneidx])
		return false;
	if (!order)
		return true;
	for (o = order; o < MAX_ORDER; o++)
		if (__atomic_load_n(&z->free_area[o].nr_free, __ATOMIC_RELAXED))
			return true;
	return false;
}

/* int_sqrt, for min_free_kbytes */
static unsigned long int_sqrt(unsigned long x)
{
	unsigned long r = 0, bit = 1UL << (sizeof(long) * 8 - 2);

	while (bit > x)
		bit >>= 2;
	while (bit) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return r;
}

static void setup_per_zone_lowmem_reserve(void)
{
	struct pglist_data *pgdat = NODE_DATA();
	unsigned i, j;

	for (i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *z = &pgdat->node_zones[i];
		unsigned ratio = lowmem_reserve_ratio[i];
		bool clear = !ratio || !populated_zone(z);
		unsigned long managed = 0;

		for (j = 0; j <= i; j++)
			z->lowmem_reserve[j] = 0;
		for (j = i + 1; j < MAX_NR_ZONES; j++) {
			managed += pgdat->node_zones[j].managed_pages;
			/* An empty upper zone still counts, as Linux prints it:
			 * DMA's protection on 64 MiB is (0, 47, 47). */
			z->lowmem_reserve[j] = clear ? 0 : (uint32_t)(managed / ratio);
		}
	}
}

static void calculate_totalreserve_pages(void)
{
	struct pglist_data *pgdat = NODE_DATA();
	unsigned long total = 0;
	unsigned i, j;

	for (i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *z = &pgdat->node_zones[i];
		unsigned long m = 0;

		for (j = i; j < MAX_NR_ZONES; j++)
			if (z->lowmem_reserve[j] > m)
				m = z->lowmem_reserve[j];
		m += z->_watermark[WMARK_HIGH];
		if (m > z->managed_pages)
			m = z->managed_pages;
		total += m;
	}
	pgdat->totalreserve_pages = (uint32_t)total;
}

/*
 * As Linux: min_free_kbytes = sqrt(lowmem KiB * 16), within [128, 262144];
 * a lowmem zone's min is its share of that; HighMem's is 1/1024 of the
 * zone within [32, 128]. low and high sit a quarter of min (or 0.1% of the
 * zone, if larger) and twice that above min. A 64 MiB machine: lowmem
 * 65536 KiB -> min_free_kbytes = sqrt(1048576) = 1024 -> 256 frames of min
 * spread over DMA and Normal.
 */
void setup_per_zone_wmarks(unsigned min_free_kbytes)
{
	struct pglist_data *pgdat = NODE_DATA();
	unsigned long lowmem_pages = 0, pages_min;
	unsigned i;

	for (i = 0; i < MAX_NR_ZONES; i++)
		if (i != ZONE_HIGHMEM)
			lowmem_pages += pgdat->node_zones[i].managed_pages;
	if (!min_free_kbytes) {
		unsigned long kb = int_sqrt(lowmem_pages * (PAGE_SIZE >> 10) * 16);
		min_free_kbytes = (unsigned)(kb < 128 ? 128 : kb > 262144 ? 262144 : kb);
	}
	vm_boot_block->min_free_kbytes = min_free_kbytes;
	pages_min = min_free_kbytes >> (PAGE_SHIFT - 10);

	for (i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *z = &pgdat->node_zones[i];
		unsigned long managed = z->managed_pages;
		unsigned long tmp = lowmem_pages ? pages_min * managed / lowmem_pages : 0;
		unsigned long scale = managed * 10 / 10000;

		if (i == ZONE_HIGHMEM) {
			unsigned long m = managed / 1024;
			z->_watermark[WMARK_MIN] = (uint32_t)(m < 32 ? 32 : m > 128 ? 128 : m);
		} else {
			z->_watermark[WMARK_MIN] = (uint32_t)tmp;
		}
		tmp = (tmp >> 2) > scale ? (tmp >> 2) : scale;
		z->_watermark[WMARK_LOW] = z->_watermark[WMARK_MIN] + (uint32_t)tmp;
		z->_watermark[WMARK_HIGH] = z->_watermark[WMARK_LOW] + (uint32_t)tmp;
	}
	setup_per_zone_lowmem_reserve();
	calculate_totalreserve_pages();
}

/* ---- allocation ------------------------------------------------------- */

static void prep_compound_page(struct page *page, unsigned order)
{
	unsigned long i, head = page_to_pfn(page);

	SetPageHead(page);
	page->private = order;
	for (i = 1; i < (1UL << order); i++) {
		struct page *p = page + i;
		SetPageTail(p);
		p->index = (uint32_t)head;
	}
}

/* A frame as its new owner gets it: one reference, nothing else. */
static void init_new_page(struct page *page)
{
	page->_refcount = 1;
	page->_mapcount = -1;
	page->private = 0;
	page->mapping = 0;
	page->index = 0;
	page->lru.next = page->lru.prev = PFN_NIL;
}

static void prep_new_page(struct page *page, unsigned order, gfp_t gfp_mask)
{
	init_new_page(page);
	if (gfp_mask & __GFP_ZERO) {
		unsigned long i;
		for (i = 0; i < (1UL << order); i++)
			clear_highpage(page + i);
	}
	if (order && (gfp_mask & __GFP_COMP))
		prep_compound_page(page, order);
}

static struct page *rmqueue(struct zone *z, unsigned order)
{
	struct page *page;

	if (likely(order == 0))
		return rmqueue_pcplist(z);
	zone_lock(z);
	page = __rmqueue_smallest(z, order);
	if (page) {
		page->_refcount = 1;	/* as rmqueue_pcplist */
		vm_claim_store(&vm_claim_page, (uint32_t)page_to_pfn(page));
		zone_transit_done(z);
		mod_zone_page_state(z, NR_FREE_PAGES, -(1L << order));
	}
	zone_unlock(z);
	return page;
}

/* Walk the zonelist: from the highest zone gfp_mask allows down to DMA. */
static struct page *get_page_from_freelist(gfp_t gfp_mask, unsigned order,
					   unsigned alloc_flags, enum zone_type highest)
{
	int i;

	for (i = (int)highest; i >= 0; i--) {
		struct zone *z = zone_of((enum zone_type)i);
		struct page *page;

		if (!populated_zone(z))
			continue;
		if (!zone_watermark_ok(z, order, z->_watermark[alloc_flags & ALLOC_WMARK_MASK],
				       (int)highest, alloc_flags))
			continue;
		page = rmqueue(z, order);
		if (page) {
			static const enum vm_event_item ev[MAX_NR_ZONES] = {
				PGALLOC_DMA, PGALLOC_NORMAL, PGALLOC_HIGH
			};
			if (order)	/* order 0 counted on the per-CPU list */
				count_vm_events(ev[i], 1L << order);
			prep_new_page(page, order, gfp_mask);
			return page;
		}
	}
	return NULL;
}

static unsigned gfp_to_alloc_flags(gfp_t gfp_mask)
{
	unsigned alloc_flags = ALLOC_WMARK_MIN;

	if (gfp_mask & __GFP_HIGH)
		alloc_flags |= ALLOC_MIN_RESERVE;
	if (!(gfp_mask & __GFP_DIRECT_RECLAIM))
		alloc_flags |= ALLOC_NON_BLOCK;
	return alloc_flags;
}

static void warn_alloc(gfp_t gfp_mask, unsigned order)
{
	char comm[32] = "?";
	FILE *f;

	f = fopen("/proc/self/comm", "re");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	printk("%s: page allocation failure: order:%u, mode:%#x, pid %d", comm, order,
	       gfp_mask, (int)getpid());
}

uint32_t *vm_claim_page;
uint32_t *vm_claim_obj;

bool alloc_fault_retry;
bool alloc_failed_retry;

unsigned long reclaim_progress_mark(void)
{
	unsigned long sum = 0;
	unsigned c;

	for (c = 0; c < VM_NR_CPUS; c++)
		sum += vm_kdata->events[c].event[PGSTEAL_KSWAPD] +
		       vm_kdata->events[c].event[PGSTEAL_DIRECT];
	return sum + (unsigned long)vm_kdata->reclaim.oom_kills;
}

#define MAX_RECLAIM_RETRIES	16		/* Linux's: rounds without progress before OOM */
#define OOM_WAIT_NS		(5ull * 1000000000ull)	/* for a victim to give its memory back */
#define RECLAIM_PATIENCE_NS	(500ull * 1000000ull)	/* of rounds freeing nothing, before OOM */

static bool current_dying(void)
{
	return current && (__atomic_load_n(&current->flags, __ATOMIC_RELAXED) & PF_MEMDIE);
}

/*
 * Reclaim and retry, as Linux's __alloc_pages_slowpath: a round that freed
 * pages is tried again at once; after MAX_RECLAIM_RETRIES rounds that freed
 * nothing (kswapd may still be freeing: each such round yields to it), the
 * OOM killer picks a victim and this waits for its memory. A task the OOM
 * killer chose gives up at once: its memory is what the others wait for.
 * The claim a fault set up for the block must survive reclaim's own
 * allocations and frees, which make no claim: it is kept aside.
 */
static struct page *alloc_pages_direct_reclaim(gfp_t gfp_mask, unsigned order,
					       unsigned alloc_flags, enum zone_type highest)
{
	uint32_t *claim = vm_claim_page;
	unsigned no_progress = 0;
	uint64_t stuck_since = 0;
	struct page *page = NULL;

	for (;;) {
		unsigned long got;
		uint64_t deadline;

		if (current_dying())
			break;
		vm_claim_page = NULL;
		got = try_to_free_pages(gfp_mask, order);
		vm_claim_page = claim;
		page = get_page_from_freelist(gfp_mask, order, alloc_flags, highest);
		if (page)
			break;
		if (got) {
			no_progress = 0;
			continue;
		}
		if (alloc_fault_retry) {
			/* a fault: it drops its mm lock and comes back, letting
			 * kswapd and the others at its pages meanwhile */
			alloc_failed_retry = true;
			break;
		}
		/* Nothing freed: the pages left may be other processes' that
		 * are busy in the kernel right now, or kswapd is mid-pass.
		 * Give them time, in rounds and in time both, before calling
		 * it out of memory. */
		if (!no_progress++)
			stuck_since = host_now_ns();
		if (no_progress < MAX_RECLAIM_RETRIES ||
		    host_now_ns() - stuck_since < RECLAIM_PATIENCE_NS) {
			drain_all_pages();
			sleep_answering_shootdowns(1000000);
			continue;
		}
		if (!out_of_memory(gfp_mask, order))
			break;
		no_progress = 0;
		deadline = host_now_ns() + OOM_WAIT_NS;
		while (!current_dying() && vm_kdata->reclaim.oom_victim &&
		       host_now_ns() < deadline) {
			page = get_page_from_freelist(gfp_mask, order, alloc_flags, highest);
			if (page)
				goto out;
			sleep_answering_shootdowns(1000000);
		}
	}
out:
	return page;
}

struct page *alloc_pages(gfp_t gfp_mask, unsigned order)
{
	enum zone_type highest = gfp_zone(gfp_mask);
	struct page *page;
	unsigned alloc_flags;

	if (unlikely(order >= MAX_ORDER)) {
		if (!(gfp_mask & __GFP_NOWARN))
			warn_alloc(gfp_mask, order);
		return NULL;
	}
	page = get_page_from_freelist(gfp_mask, order, ALLOC_WMARK_LOW, highest);
	if (likely(page))
		return page;

	/* Slow path: kswapd is woken to bring the zones back above high;
	 * meanwhile down to min (or below for __GFP_HIGH and atomic callers),
	 * then the per-CPU lists, whose frames the watermarks do not count,
	 * then reclaim in this process. */
	if (gfp_mask & __GFP_KSWAPD_RECLAIM)
		wakeup_kswapd();
	alloc_flags = gfp_to_alloc_flags(gfp_mask);
	page = get_page_from_freelist(gfp_mask, order, alloc_flags, highest);
	if (page)
		return page;
	drain_all_pages();
	page = get_page_from_freelist(gfp_mask, order, alloc_flags, highest);
	if (page)
		return page;
	/* a large folio that is not there is not worth reclaiming for: its
	 * caller falls back to single pages, which will */
	if ((gfp_mask & __GFP_DIRECT_RECLAIM) && !(order && (gfp_mask & __GFP_NOWARN))) {
		page = alloc_pages_direct_reclaim(gfp_mask, order, alloc_flags, highest);
		if (page)
			return page;
	}
	count_vm_event(ALLOC_FAIL);
	/* a fault that will retry with its lock dropped has not failed */
	if (!(gfp_mask & __GFP_NOWARN) && !alloc_failed_retry)
		warn_alloc(gfp_mask, order);
	return NULL;
}

unsigned long __get_free_pages(gfp_t gfp_mask, unsigned order)
{
	struct page *page;

	/* The result must be addressable: no HighMem. */
	page = alloc_pages(gfp_mask & ~__GFP_HIGHMEM, order);
	return page ? (unsigned long)page_address(page) : 0;
}

unsigned long get_zeroed_page(gfp_t gfp_mask)
{
	return __get_free_pages(gfp_mask | __GFP_ZERO, 0);
}

/* Turn a non-compound order-n allocation into 2^n independent frames,
 * each with its own reference, as Linux's split_page: the caller may then
 * free them one by one and the buddy allocator merges them back. */
void split_page(struct page *page, unsigned order)
{
	unsigned long i;

	VM_BUG_ON(PageHead(page));
	for (i = 1; i < (1UL << order); i++)
		init_new_page(page + i);
}

/* ---- freeing ---------------------------------------------------------- */

static void bad_page(struct page *page, const char *reason)
{
	printk("BUG: Bad page state in process %d  pfn:%#lx", (int)getpid(), page_to_pfn(page));
	printk("page:%#lx refcount:%d mapcount:%d mapping:%#x index:%#x flags:%#x",
	       page_to_pfn(page), page->_refcount, page->_mapcount + 1, page->mapping,
	       page->index, page->flags);
	printk("page dumped because: %s", reason);
}

/* Check and clear a block about to be freed; false leaks it instead. */
static bool free_pages_prepare(struct page *page, unsigned order)
{
	const uint32_t keep = (3u << ZONES_PGSHIFT) | (1u << PG_highmem);
	const uint32_t bad = (1u << PG_reserved) | (1u << PG_buddy) | (1u << PG_pcp) |
			     (1u << PG_tail) | (1u << PG_locked) | (1u << PG_writeback) |
			     (1u << PG_lru);
	unsigned long i;

	if (unlikely(page->flags & bad)) {
		bad_page(page, "freeing a page in a state that cannot be freed");
		return false;
	}
	if (unlikely(page->_mapcount != -1)) {
		bad_page(page, "nonzero mapcount");
		return false;
	}
	if (PageHead(page)) {
		for (i = 1; i < (1UL << order); i++) {
			struct page *p = page + i;
			p->flags &= keep;
			p->index = 0;
		}
	}
	page->flags &= keep;
	page->private = 0;
	page->mapping = 0;
	page->index = 0;
#if VM_DEBUG >= 1
	/* Poison freed frames so a use after free shows. */
	for (i = 0; i < (1UL << order); i++) {
		void *addr = kmap_atomic(page + i);
		memset(addr, 0x6b, PAGE_SIZE);
		kunmap_atomic(addr);
	}
#endif
	return true;
}

static void free_the_page(struct page *page, unsigned order)
{
	struct zone *z = page_zone(page);

	/* the LRU holds no reference: the last one takes the page off */
	if (PageLRU(page))
		lru_cache_del(page);

	if (!free_pages_prepare(page, order))
		return;
	if (likely(order == 0)) {
		free_unref_page(page, z);
		return;
	}
	count_vm_events(PGFREE, 1L << order);
	zone_lock(z);
	__free_one_page(page, page_to_pfn(page), z, order);
	free_transit_done();
	mod_zone_page_state(z, NR_FREE_PAGES, 1L << order);
	zone_unlock(z);
}

/*
 * A guest's process notes the block in its task from before the last
 * reference drops to after the block is on a free list: a kill in
 * between would otherwise lose it (free_transit_release).
 */
void __free_pages(struct page *page, unsigned order)
{
	uint32_t *transit = current ? &current->free_transit : NULL;
	int ref;

	if (transit) {
		__atomic_store_n(transit, free_transit_word(page, order, false), __ATOMIC_RELAXED);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	}
	ref = __atomic_sub_fetch(&page->_refcount, 1, __ATOMIC_ACQ_REL);
	if (likely(ref == 0))
		free_the_page(page, order);
	else if (unlikely(ref < 0))
		bad_page(page, "refcount below zero");
	if (transit) {
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		__atomic_store_n(transit, 0, __ATOMIC_RELAXED);
	}
}

void free_pages(unsigned long addr, unsigned order)
{
	if (addr)
		__free_pages(virt_to_page((void *)addr), order);
}

void put_page(struct page *page)
{
	page = compound_head(page);
	__free_pages(page, compound_order(page));
}

/* ---- boot ------------------------------------------------------------- */

void free_area_init(void)
{
	struct pglist_data *pgdat = NODE_DATA();
	uint32_t nr = vm_boot_block->nr_pages, low = vm_boot_block->max_low_pfn;
	uint32_t dma_end = (uint32_t)(MAX_DMA_ADDRESS >> PAGE_SHIFT);
	uint32_t start[MAX_NR_ZONES], end[MAX_NR_ZONES];
	unsigned i, o;

	start[ZONE_DMA] = 0;
	end[ZONE_DMA] = nr < dma_end ? nr : dma_end;
	start[ZONE_NORMAL] = end[ZONE_DMA];
	end[ZONE_NORMAL] = nr < low ? nr : low;
	start[ZONE_HIGHMEM] = end[ZONE_NORMAL];
	end[ZONE_HIGHMEM] = nr;

	pgdat->nr_zones = 0;
	for (i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *z = &pgdat->node_zones[i];

		snprintf(z->name, sizeof(z->name), "%s", zone_names[i]);
		z->zone_start_pfn = start[i];
		z->spanned_pages = end[i] - start[i];
		z->present_pages = z->spanned_pages;
		z->managed_pages = 0;
		vm_lock_init(&z->lock);
		for (o = 0; o < MAX_ORDER; o++) {
			pfn_list_init(&z->free_area[o].free_list);
			z->free_area[o].nr_free = 0;
		}
		if (z->spanned_pages)
			pgdat->nr_zones = i + 1;
	}
	pgdat->node_start_pfn = 0;
	pgdat->node_present_pages = nr;
	pgdat->node_spanned_pages = nr;
}

/* Largest aligned blocks that stay inside one zone. */
void free_pages_range_boot(unsigned long pfn, unsigned long nr)
{
	unsigned long end = pfn + nr;

	while (pfn < end) {
		struct page *page = pfn_to_page(pfn);
		struct zone *z = page_zone(page);
		unsigned long limit = end < zone_end_pfn(z) ? end : zone_end_pfn(z);
		unsigned order = MAX_ORDER - 1;

		while (order && ((pfn & ((1UL << order) - 1)) || pfn + (1UL << order) > limit))
			order--;
		zone_lock(z);
		__free_one_page(page, pfn, z, order);
		mod_zone_page_state(z, NR_FREE_PAGES, 1L << order);
		zone_unlock(z);
		z->managed_pages += 1u << order;
		pfn += 1UL << order;
	}
}

/* Linux's zone_batchsize: about a quarter of a MiB of frames per batch for
 * a large zone, fewer for a small one, kept one below a power of two. */
static int zone_batchsize(const struct zone *z)
{
	unsigned long batch = z->managed_pages >> 10;

	if (batch > (1UL << 20) / PAGE_SIZE)
		batch = (1UL << 20) / PAGE_SIZE;
	batch /= 4;
	if (batch < 1)
		batch = 1;
	batch += batch / 2;
	while (batch & (batch - 1))
		batch &= batch - 1;
	return batch > 1 ? (int)batch - 1 : 1;
}

void zone_pcp_init(void)
{
	unsigned i, cpu;

	for (i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *z = zone_of(i);
		int batch = zone_batchsize(z);

		for (cpu = 0; cpu < VM_NR_CPUS; cpu++) {
			struct per_cpu_pages *pcp = &z->pcp[cpu];

			memset(pcp, 0, sizeof(*pcp));
			vm_lock_init(&pcp->lock);
			pfn_list_init(&pcp->list);
			pcp->batch = batch;
			pcp->high = 6 * batch;
		}
	}
}

/* ---- counting --------------------------------------------------------- */

unsigned long nr_free_pages(void)
{
	unsigned long n = 0;
	unsigned i;

	for (i = 0; i < MAX_NR_ZONES; i++)
		n += zone_page_state(zone_of(i), NR_FREE_PAGES);
	return n;
}

unsigned long nr_free_frames(void)
{
	unsigned long n = nr_free_pages();
	unsigned i, cpu;

	for (i = 0; i < MAX_NR_ZONES; i++)
		for (cpu = 0; cpu < VM_NR_CPUS; cpu++)
			n += (unsigned long)__atomic_load_n(&zone_of(i)->pcp[cpu].count,
							    __ATOMIC_RELAXED);
	return n;
}
