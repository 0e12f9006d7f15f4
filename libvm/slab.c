/* slab.c - slab caches and kmalloc: objects of one size cut from compound
 * pages of lowmem, every cache and every slab's state in RAM (layout in
 * slab.h). Frames come from page_alloc.c; large kmallocs go straight to it.
 * Any process may run any of this at once: cache->lock guards one cache,
 * slab_mutex the list of caches. validate_slab() reads it all through a view.
 *
 * A slab of the kmalloc-96 cache, order 0 (42 objects, 64 bytes left over):
 *
 *   offset  0      96     192    ...  3936      4032  4096
 *           [obj 0][obj 1][obj 2] ... [obj 41]  waste
 *   head page: index = 192 -> obj 2 holds 96 -> obj 1 holds 0xFFFFFFFF
 *              (objects 0, 3..41 in use: private = 40)
 *
 * Tried keeping the free pointer after the object, as SLUB can: it costs
 * every object 4 bytes and buys nothing here, because no constructor state
 * has to survive in a free object (caches have no ctor, see kernel.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SLAB_MAX_ORDER		3	/* PAGE_ALLOC_COSTLY_ORDER */
#define SLAB_MIN_OBJECTS	8	/* enough to amortise a slab */
#define SLAB_MAX_SIZE		(PAGE_SIZE << SLAB_MAX_ORDER)
#define SLAB_MAX_OBJECTS	(SLAB_MAX_SIZE / KMALLOC_MIN_SIZE)
#define SLAB_CACHE_LINE		64	/* SLAB_HWCACHE_ALIGN */
#define SLAB_CREATE_MASK	(SLAB_HWCACHE_ALIGN | SLAB_PANIC | SLAB_RECLAIM_ACCOUNT)
#define POISON_FREE		0x6b	/* DEBUG: a free object's bytes after the free pointer */

/* What a slab's frames may be asked for with: the zone is always lowmem
 * (objects are reached through the direct map), zeroing is per object, and
 * the compound bit is ours to add. No __GFP_DMA: there are no DMA caches. */
#define SLAB_GFP_MASK		(__GFP_HIGH | __GFP_ATOMIC | __GFP_IO | __GFP_FS | \
				 __GFP_NOWARN | __GFP_RECLAIM | __GFP_HARDWALL)

static const uint32_t kmalloc_sizes[NR_KMALLOC_CACHES] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
};
static const char *const kmalloc_names[NR_KMALLOC_CACHES] = {
	"kmalloc-8", "kmalloc-16", "kmalloc-32", "kmalloc-64", "kmalloc-96",
	"kmalloc-128", "kmalloc-192", "kmalloc-256", "kmalloc-512", "kmalloc-1k",
	"kmalloc-2k", "kmalloc-4k", "kmalloc-8k",
};

static inline struct slab_state *slab_state(void)
{
	return &vm_kdata->slab;
}

/* A large kmalloc is a compound page that is not PG_slab and whose mapping
 * is the pa of slab_state: its owner is kmalloc itself (Linux marks such
 * folios with a page type of their own). */
static inline uint32_t large_kmalloc_owner(void)
{
	return (uint32_t)__pa(slab_state());
}

static inline uint32_t cache_pa(const struct kmem_cache *s)
{
	return (uint32_t)__pa(s);
}

static inline uint64_t lowmem_bytes(void)
{
	return (uint64_t)max_low_pfn << PAGE_SHIFT;
}

static inline enum node_stat_item slab_stat_item(const struct kmem_cache *s)
{
	return (s->flags & SLAB_RECLAIM_ACCOUNT) ? NR_SLAB_RECLAIMABLE : NR_SLAB_UNRECLAIMABLE;
}

/* Guest kernel virtual address of a host pointer in the direct map: what
 * log lines print, so they match what vmdump shows. */
static inline uint32_t kva(const void *p)
{
	return host_to_kva(p);
}

/* Linux's slab_err: "BUG kmalloc-64 (Not tainted): Object already free". */
static void slab_err(const struct kmem_cache *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void slab_err(const struct kmem_cache *s, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk("BUG %.*s (Not tainted): %s", KMEM_CACHE_NAME_LEN, s->name, msg);
}

/* Is off a valid free pointer: the start of an object of this slab? */
static inline bool freeptr_ok(const struct kmem_cache *s, uint32_t off)
{
	return off < s->objects * s->size && off % s->size == 0;
}

static inline uint32_t *freeptr(uint8_t *base, uint32_t off)
{
	return (uint32_t *)(base + off);
}

/* ---- sizes and order --------------------------------------------------- */

/*
 * The smallest order whose slab holds at least SLAB_MIN_OBJECTS objects or
 * wastes less than an eighth of itself, up to SLAB_MAX_ORDER; failing both,
 * the order that wastes the smallest fraction. kmalloc-96: order 0 holds 42
 * (64 bytes spare). A 5000-byte object: order 1 holds 1 and wastes 3192 of
 * 8192, order 2 holds 3 and wastes 1384 of 16384 (under 1/8): order 2.
 * Low orders keep slabs easy to find in a fragmented zone, and since empty
 * slabs go back at once a small slab also gives frames back sooner.
 */
static unsigned calculate_order(uint32_t size, uint32_t *objects)
{
	unsigned order, best = SLAB_MAX_ORDER;
	uint64_t best_waste = 1, best_slab = 1;	/* 100% */

	for (order = 0; order <= SLAB_MAX_ORDER; order++) {
		uint64_t slab = PAGE_SIZE << order, n = slab / size, waste = slab - n * size;

		if (!n)
			continue;
		if (n >= SLAB_MIN_OBJECTS || waste * 8 < slab) {
			best = order;
			break;
		}
		if (waste * best_slab < best_waste * slab) {
			best = order;
			best_waste = waste;
			best_slab = slab;
		}
	}
	*objects = (uint32_t)((PAGE_SIZE << best) / size);
	return best;
}

/* Fill in a cache's geometry; NULL, or why the arguments cannot make one. */
static const char *calculate_sizes(struct kmem_cache *s, unsigned size, unsigned align,
				   unsigned flags)
{
	if (!size)
		return "object size 0";
	if (size > SLAB_MAX_SIZE)
		return "object larger than an order-3 slab";
	if (align & (align - 1))
		return "alignment is not a power of two";
	if (align > PAGE_SIZE)
		return "alignment above a page";
	if (flags & SLAB_HWCACHE_ALIGN)
		align = max(align, (unsigned)SLAB_CACHE_LINE);
	align = max(align, (unsigned)KMALLOC_MIN_SIZE);

	s->object_size = size;
	s->size = ALIGN(max(size, (unsigned)KMALLOC_MIN_SIZE), align);
	if (s->size > SLAB_MAX_SIZE)
		return "aligned object larger than an order-3 slab";
	s->align = align;
	s->flags = flags & SLAB_CREATE_MASK;
	s->order = calculate_order(s->size, &s->objects);
	return NULL;
}

/* A cache with nothing in it yet (not on the list). */
static const char *init_cache(struct kmem_cache *s, const char *name, unsigned size,
			      unsigned align, unsigned flags)
{
	memset(s, 0, sizeof(*s));
	vm_lock_init(&s->lock);
	snprintf(s->name, sizeof(s->name), "%s", name);
	pfn_list_init(&s->partial);
	pfn_list_init(&s->full);
	return calculate_sizes(s, size, align, flags);
}

/* ---- cache->lock and its repair ---------------------------------------- */

/*
 * The owner died holding the lock, somewhere inside an alloc or a free. We
 * rebuild the cache's lists and counters from the slabs themselves. The
 * order of writes makes that exact: a slab is PG_slab exactly while it is
 * published (flag set and cleared under the lock, beside the list links);
 * a slab's freelist is the truth about which objects are free (an object
 * popped but not yet handed over, or about to be pushed, is counted in use:
 * leaked, never handed out twice). A freelist that does not hold together
 * cannot be repaired: panic. O(lowmem frames), once per death.
 */
/*
 * The node's slab counts (NR_SLAB_RECLAIMABLE, NR_SLAB_UNRECLAIMABLE)
 * change with the flag that makes a frame a slab, or a large kmalloc,
 * under stat_lock. A holder killed between the two leaves the next
 * locker to count them again from the flags, which cannot be off.
 */
static void slab_stat_recount(void)
{
	uint32_t owner = large_kmalloc_owner();
	int64_t rec = 0, unrec = 0;
	unsigned long pfn;

	for (pfn = 0; pfn < max_low_pfn; pfn++) {
		struct page *page = pfn_to_page(pfn);
		unsigned order;

		if (!PageHead(page))
			continue;
		if (PageSlab(page) && page->mapping && page->mapping < lowmem_bytes()) {
			const struct kmem_cache *c = __va(page->mapping);

			order = c->order < MAX_ORDER ? c->order : 0;
			if (c->flags & SLAB_RECLAIM_ACCOUNT)
				rec += 1L << order;
			else
				unrec += 1L << order;
		} else if (!PageSlab(page) && page->mapping == owner && page->private < MAX_ORDER) {
			order = page->private;
			unrec += 1L << order;
		} else {
			continue;
		}
		pfn += (1UL << order) - 1;
	}
	__atomic_store_n(&NODE_DATA()->vm_stat[NR_SLAB_RECLAIMABLE], rec, __ATOMIC_RELAXED);
	__atomic_store_n(&NODE_DATA()->vm_stat[NR_SLAB_UNRECLAIMABLE], unrec, __ATOMIC_RELAXED);
	printk("slab: stat lock owner died; slab pages recounted: %lld reclaimable, %lld unreclaimable",
	       (long long)rec, (long long)unrec);
}

static void slab_stat_lock(void)
{
	struct slab_state *ss = slab_state();

	if (vm_lock_acquire(&ss->stat_lock) == -EOWNERDEAD) {
		slab_stat_recount();
		vm_lock_consistent(&ss->stat_lock);
	}
}

static void slab_stat_unlock(void)
{
	vm_lock_release(&slab_state()->stat_lock);
}

static void cache_repair_locked(struct kmem_cache *s)
{
	uint32_t spa = cache_pa(s), nr_pages = 1u << s->order;
	uint64_t freed = 0;
	unsigned long pfn;

	pfn_list_init(&s->partial);
	pfn_list_init(&s->full);
	s->nr_slabs = 0;
	s->inuse = 0;
	for (pfn = 0; pfn < max_low_pfn; pfn++) {
		struct page *page = pfn_to_page(pfn);
		uint8_t *base;
		uint32_t off, nfree = 0;

		if (!PageSlab(page) || page->mapping != spa)
			continue;
		if (!PageHead(page) || pfn + nr_pages > max_low_pfn)
			vm_panic("kmem_cache %s: lock owner died; pfn %#lx is PG_slab but no slab head",
				 s->name, pfn);
		base = page_address(page);
		for (off = page->index; off != SLAB_FREELIST_END; off = *freeptr(base, off))
			if (!freeptr_ok(s, off) || ++nfree > s->objects)
				vm_panic("kmem_cache %s: lock owner died; slab pfn %#lx has a broken freelist",
					 s->name, pfn);
		page->private = s->objects - nfree;
		if (!page->private) {
			/* It emptied as the owner died: finish freeing it. The page
			 * allocator's locks are below ours, so free it right here. */
			slab_stat_lock();
			ClearPageSlab(page);
			mod_node_page_state(slab_stat_item(s), -(long)nr_pages);
			slab_stat_unlock();
			page->lru.next = page->lru.prev = PFN_NIL;
			page->index = 0;
			page->mapping = 0;
			__free_pages(page, s->order);
			freed++;
		} else {
			pfn_list_add_tail(page->private == s->objects ? &s->full : &s->partial, pfn);
			s->nr_slabs++;
			s->inuse += page->private;
		}
		pfn += nr_pages - 1;
	}
	/* the node's counts follow the flags (slab_stat_lock): nothing to fix */
	printk("kmem_cache %s: lock owner died; rebuilt from page flags: %llu slabs, %llu objects in use, %llu empty slabs freed",
	       s->name, (unsigned long long)s->nr_slabs, (unsigned long long)s->inuse,
	       (unsigned long long)freed);
}

static void slab_lock(struct kmem_cache *s)
{
	if (unlikely(vm_lock_acquire(&s->lock) == -EOWNERDEAD)) {
		cache_repair_locked(s);
		vm_lock_consistent(&s->lock);
	}
}

static inline void slab_unlock(struct kmem_cache *s)
{
	vm_lock_release(&s->lock);
}

/* The list of caches cannot be rebuilt (a cache half made or half unlinked
 * is not visible in page state): a dead holder panics the machine. */
static void slab_mutex_lock(struct slab_state *ss)
{
	vm_lock_or_panic(&ss->slab_mutex, "slab_mutex");
}

static void cache_list_add(struct slab_state *ss, struct kmem_cache *s)
{
	uint32_t pa = cache_pa(s);

	s->next = 0;
	s->prev = ss->last;
	if (ss->last)
		((struct kmem_cache *)__va(ss->last))->next = pa;
	else
		ss->first = pa;
	ss->last = pa;
	ss->nr_caches++;
}

static void cache_list_del(struct slab_state *ss, struct kmem_cache *s)
{
	if (s->prev)
		((struct kmem_cache *)__va(s->prev))->next = s->next;
	else
		ss->first = s->next;
	if (s->next)
		((struct kmem_cache *)__va(s->next))->prev = s->prev;
	else
		ss->last = s->prev;
	s->next = s->prev = 0;
	ss->nr_caches--;
}

/* ---- slabs ------------------------------------------------------------- */

/*
 * A new slab, private to the caller until __add_slab publishes it: every
 * object chained free in address order, so the first allocations walk
 * forward through the frames. Called without cache->lock. NULL when the
 * page allocator has nothing (it logged why, unless __GFP_NOWARN).
 */
static struct page *allocate_slab(struct kmem_cache *s, gfp_t gfp_mask)
{
	struct page *page;
	uint8_t *base;
	uint32_t i, off;

	/* a guest killed before the slab is published: the reaper frees
	 * the page its task claimed (slab_transit_release) */
	if (current)
		vm_claim_page = &current->alloc_transit;
	page = alloc_pages((gfp_mask & SLAB_GFP_MASK) | __GFP_COMP, s->order);
	vm_claim_page = NULL;
	if (!page)
		return NULL;
	BUG_ON(PageHighMem(page));	/* no __GFP_HIGHMEM: cannot happen */
	base = page_address(page);
	for (i = 0, off = 0; i < s->objects; i++, off += s->size) {
		*freeptr(base, off) = i + 1 < s->objects ? off + s->size : SLAB_FREELIST_END;
#if VM_DEBUG >= 1
		memset(base + off + 4, POISON_FREE, s->size - 4);
#endif
	}
	/* Order 0 too carries PG_head: one convention for every slab (slab.h).
	 * private stops being the compound order here: free with s->order. */
	SetPageHead(page);
	page->index = 0;
	page->private = 0;
	page->mapping = cache_pa(s);
	return page;
}

/* Publish a new slab on the partial list. cache->lock held. */
static void __add_slab(struct kmem_cache *s, struct page *page)
{
	slab_stat_lock();
	SetPageSlab(page);
	mod_node_page_state(slab_stat_item(s), 1L << s->order);
	slab_stat_unlock();
	pfn_list_add(&s->partial, page_to_pfn(page));
	s->nr_slabs++;
	if (current)
		__atomic_store_n(&current->alloc_transit, 0, __ATOMIC_RELEASE);
}

/* The slab page a killed guest took and never published (its task's
 * alloc_transit): back to the allocator, unless it was published (or
 * never left the free lists). */
void slab_transit_release(uint32_t pfn)
{
	struct page *page;

	if (!pfn || !pfn_valid(pfn))
		return;
	page = pfn_to_page(pfn);
	if (PageSlab(page) || claimed_block_release(page, compound_order(page)))
		return;
	printk("slab: pfn %#x was being made a slab by a killed process: freed", pfn);
	page->mapping = 0;
	page->index = 0;
	page->private = 0;
	__free_pages(page, compound_order(page));
}

/* Give an unpublished (already unlinked, PG_slab clear) slab's frames back.
 * Called without cache->lock. */
static void discard_slab(struct kmem_cache *s, struct page *page)
{
	free_transit_begin(page, s->order);
	page->index = 0;
	page->private = 0;
	page->mapping = 0;
	__free_pages(page, s->order);
}

/* Pop an object off the first partial slab; NULL if there is none.
 * cache->lock held. */
static void *__slab_alloc(struct kmem_cache *s)
{
	unsigned long pfn = s->partial.next;
	struct page *page;
	uint8_t *base;
	uint32_t off, next;

	if (pfn == PFN_NIL)
		return NULL;
	page = pfn_to_page(pfn);
	base = page_address(page);
	off = page->index;
	if (unlikely(!freeptr_ok(s, off) || page->private >= s->objects)) {
		/* Handing this out would give someone else's memory away. */
		slab_err(s, "slab pfn %#lx on the partial list: freelist %#x, %u of %u in use",
			 pfn, off, page->private, s->objects);
		BUG();
	}
	next = *freeptr(base, off);
	if (unlikely(next != SLAB_FREELIST_END && !freeptr_ok(s, next))) {
		slab_err(s, "Freepointer corrupt: object %#x holds %#x (written after free?)",
			 kva(base + off), next);
		BUG();
	}
	vm_claim_store(&vm_claim_obj, kva(base + off) - PAGE_OFFSET + VM_CLAIM_FRESH);
	page->index = next;
	page->private++;
	s->inuse++;
	if (next == SLAB_FREELIST_END) {
		VM_BUG_ON(page->private != s->objects);
		pfn_list_del(&s->partial, pfn);
		pfn_list_add(&s->full, pfn);
	}
	return base + off;
}

/* Is off on the slab's freelist? A walk of at most one slab's objects. */
static bool on_freelist(const struct kmem_cache *s, struct page *page, uint32_t off)
{
	uint8_t *base = page_address(page);
	uint32_t p, n = 0;

	for (p = page->index; p != SLAB_FREELIST_END && freeptr_ok(s, p) && n <= s->objects;
	     p = *freeptr(base, p), n++)
		if (p == off)
			return true;
	return false;
}

#if VM_DEBUG >= 1
static void check_poison(const struct kmem_cache *s, const uint8_t *obj)
{
	uint32_t i;

	for (i = 4; i < s->size; i++)
		if (obj[i] != POISON_FREE) {
			slab_err(s, "Poison overwritten: object %#x byte %u is %#x (written after free)",
				 kva(obj), i, obj[i]);
			return;
		}
}
#endif

/*
 * Push obj back on its slab. page is the slab's head, already seen PG_slab
 * and owned by s; obj is checked here to be one of its objects and in use.
 * A bad free is logged and refused: the object stays as it was, which at
 * worst leaks it, where carrying on would corrupt the freelist.
 */
static void slab_free(struct kmem_cache *s, struct page *page, void *obj, uint32_t *slot)
{
	unsigned long pfn = page_to_pfn(page);
	uint8_t *base = page_address(page);
	uint32_t off = (uint32_t)((uint8_t *)obj - base);
	bool was_full;

	if (unlikely(!freeptr_ok(s, off))) {
		slab_err(s, "Invalid object pointer %#x: offset %#x in slab pfn %#lx is not an object start",
			 kva(obj), off, pfn);
		return;
	}
	slab_lock(s);
	if (unlikely(!PageSlab(page) || page->mapping != cache_pa(s))) {
		/* The slab went away since we looked: obj was not live. */
		slab_unlock(s);
		slab_err(s, "Object %#x freed but its slab pfn %#lx is gone (double free?)",
			 kva(obj), pfn);
		return;
	}
	/* Freeing the freelist's head twice is the common double free and
	 * costs one compare (SLUB's naive check); DEBUG walks the whole list. */
	if (unlikely(off == page->index
#if VM_DEBUG >= 1
		     || on_freelist(s, page, off)
#endif
		     )) {
		slab_unlock(s);
		slab_err(s, "Object already free: %#x (slab pfn %#lx)", kva(obj), pfn);
		return;
	}
	/* A listed slab with nothing in use breaks the rule that empty slabs
	 * are freed: the slab state is corrupt. */
	BUG_ON(page->private == 0 || page->private > s->objects);
	was_full = page->index == SLAB_FREELIST_END;
#if VM_DEBUG >= 1
	memset((uint8_t *)obj + 4, POISON_FREE, s->size - 4);
#endif
	*freeptr(base, off) = page->index;
	page->index = off;
	/* the one link to it goes with it, under the lock */
	if (slot)
		__atomic_store_n(slot, 0, __ATOMIC_RELEASE);
	page->private--;
	s->inuse--;
	if (!page->private) {
		pfn_list_del(was_full ? &s->full : &s->partial, pfn);
		s->nr_slabs--;
		/* off every list: from here a killed process's task names it
		 * (while PG_slab is set, the cache's repair frees it instead) */
		free_transit_begin(page, s->order);
		slab_stat_lock();
		ClearPageSlab(page);
		mod_node_page_state(slab_stat_item(s), -(1L << s->order));
		slab_stat_unlock();
		slab_unlock(s);
		discard_slab(s, page);
		return;
	}
	if (was_full) {
		pfn_list_del(&s->full, pfn);
		pfn_list_add(&s->partial, pfn);
	}
	slab_unlock(s);
}

/* The head page of the lowmem frame obj points into, or NULL if obj is not
 * a direct-map address. */
static struct page *virt_to_head(const void *obj)
{
	struct page *page;

	if ((uintptr_t)obj < vm_kernel_base || __pa(obj) >= lowmem_bytes())
		return NULL;
	page = virt_to_page(obj);
	if (PageTail(page) && page->index >= max_low_pfn)
		return NULL;
	return compound_head(page);
}

/* The cache a PG_slab head names, or NULL if the slab is being discarded
 * as we look (mapping is cleared after PG_slab, outside the lock). A
 * mapping outside lowmem means RAM is corrupt: BUG rather than lock a wild
 * address. */
static struct kmem_cache *slab_cache(const struct page *page)
{
	uint32_t m = __atomic_load_n(&page->mapping, __ATOMIC_RELAXED);

	if (!m)
		return NULL;
	BUG_ON(m >= lowmem_bytes());
	return __va(m);
}

/* ---- the cache API ------------------------------------------------------ */

/*
 * cache->lock is dropped around alloc_pages, as SLUB drops its node lock
 * to allocate a slab: the page allocator may take long (and may one day
 * reclaim), and other allocators and freers of this cache need not wait.
 * The price is that two racing allocators may both add a slab; the spare
 * one just serves the next allocations.
 */
void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp_mask)
{
	struct page *page;
	void *obj;

	slab_lock(s);
	obj = __slab_alloc(s);
	if (unlikely(!obj)) {
		slab_unlock(s);
		page = allocate_slab(s, gfp_mask);
		if (!page) {
			if (!(gfp_mask & __GFP_NOWARN))
				printk("SLUB: Unable to allocate memory: cache: %s, object size: %u, buffer size: %u, default order: %u",
				       s->name, s->object_size, s->size, s->order);
			return NULL;
		}
		slab_lock(s);
		__add_slab(s, page);
		obj = __slab_alloc(s);
	}
	slab_unlock(s);
#if VM_DEBUG >= 1
	check_poison(s, obj);
#endif
	if (gfp_mask & __GFP_ZERO)
		memset(obj, 0, s->object_size);
	return obj;
}

void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp_mask)
{
	return kmem_cache_alloc(s, gfp_mask | __GFP_ZERO);
}

/*
 * An object freed to a cache it does not belong to is refused and logged.
 * Linux frees it to the cache it came from instead; a pointer into another
 * cache is as likely stale as mistyped, and a leak shows in slabinfo where
 * a wrong free corrupts someone else's object.
 */
/* kmem_cache_free that also clears *slot (the object's one link) under
 * the cache's lock as the object goes back: a process killed around the
 * free leaves the link and the object agreeing, never a link to a freed
 * object that could be handed out again. */
void kmem_cache_free_clear(struct kmem_cache *s, void *obj, uint32_t *slot)
{
	struct page *page;

	if (!obj)
		return;
	page = virt_to_head(obj);
	if (unlikely(!page || !PageSlab(page))) {
		slab_err(s, "kmem_cache_free: %p is not a slab object", obj);
		return;
	}
	if (unlikely(page->mapping != cache_pa(s))) {
		struct kmem_cache *owner = slab_cache(page);

		slab_err(s, "kmem_cache_free: Wrong slab cache: object %#x is from %.*s",
			 kva(obj), KMEM_CACHE_NAME_LEN, owner ? owner->name : "(a slab being freed)");
		return;
	}
	slab_free(s, page, obj, slot);
}

void kmem_cache_free(struct kmem_cache *s, void *obj)
{
	kmem_cache_free_clear(s, obj, NULL);
}

/*
 * Is obj free (or not an object of s at all)? For the exit of a guest
 * killed between allocating an object and linking it, or between
 * unlinking and freeing it: it frees what its note names only if this
 * says the object is still taken.
 */
bool kmem_cache_obj_is_free(struct kmem_cache *s, const void *obj)
{
	struct page *page = virt_to_head(obj);
	bool is_free;

	if (!page)
		return true;
	slab_lock(s);
	is_free = !PageSlab(page) || page->mapping != cache_pa(s) ||
		  on_freelist(s, page, (uint32_t)((const uint8_t *)obj -
						  (const uint8_t *)page_address(page)));
	slab_unlock(s);
	return is_free;
}

/* Free an object a killed process's claim names (VM_CLAIM_FRESH): the
 * claim is written before the object leaves its freelist, so it may
 * still be free (the cache's repair finds it there). */
void kmem_cache_free_claimed(struct kmem_cache *s, void *obj)
{
	if (!kmem_cache_obj_is_free(s, obj))
		kmem_cache_free(s, obj);
}

/* Caller holds slab_mutex. */
static bool cache_on_list(struct slab_state *ss, const struct kmem_cache *s)
{
	uint32_t pa, n = 0;

	for (pa = ss->first; pa && n <= ss->nr_caches; pa = ((struct kmem_cache *)__va(pa))->next, n++)
		if (pa == cache_pa(s))
			return true;
	return false;
}

static bool is_boot_cache(const struct kmem_cache *s)
{
	struct slab_state *ss = slab_state();
	unsigned i;

	if (s == &ss->boot_cache)
		return true;
	for (i = 0; i < NR_KMALLOC_CACHES; i++)
		if (ss->kmalloc_caches[i] == cache_pa(s))
			return true;
	return false;
}

/*
 * Contract: NULL (and a log line saying why) on bad arguments or no memory;
 * with SLAB_PANIC, a failure panics the machine instead. Names need not be
 * unique; longer than KMEM_CACHE_NAME_LEN - 1 they are cut. Takes
 * slab_mutex, then the cache of caches' lock.
 */
struct kmem_cache *kmem_cache_create(const char *name, unsigned size, unsigned align,
				     unsigned flags, void (*ctor)(void *))
{
	struct slab_state *ss = slab_state();
	struct kmem_cache tmp, *s = NULL;
	const char *why = NULL;

	if (!name || !*name)
		why = "no name";
	else if (ctor)
		why = "constructors are not supported: a function pointer means nothing to the other processes sharing the cache";
	else
		why = init_cache(&tmp, name, size, align, flags);
	if (why)
		goto out_fail;

	slab_mutex_lock(ss);
	s = kmem_cache_alloc(&ss->boot_cache, GFP_KERNEL);
	if (!s) {
		why = "no memory for the cache";
		goto out_unlock;
	}
	*s = tmp;
	cache_list_add(ss, s);
	vm_lock_release(&ss->slab_mutex);
	return s;

out_unlock:
	vm_lock_release(&ss->slab_mutex);
out_fail:
	printk("kmem_cache_create(%s) failed: %s", name ? name : "(null)", why);
	if (flags & SLAB_PANIC)
		vm_panic("kmem_cache_create: Failed to create slab '%s'", name ? name : "(null)");
	return NULL;
}

/*
 * Refused, with Linux's message, while the cache has objects in use: the
 * cache stays usable and its objects valid. Empty slabs were freed as they
 * emptied, so an idle cache owns no frames and only its struct goes back.
 * The caller must not allocate from s concurrently (as in Linux).
 */
void kmem_cache_destroy(struct kmem_cache *s)
{
	struct slab_state *ss = slab_state();
	bool busy;

	if (!s)
		return;
	if (is_boot_cache(s)) {
		printk("kmem_cache_destroy %.*s: a boot cache cannot be destroyed",
		       KMEM_CACHE_NAME_LEN, s->name);
		return;
	}
	slab_mutex_lock(ss);
	if (!cache_on_list(ss, s)) {
		vm_lock_release(&ss->slab_mutex);
		printk("kernel BUG: kmem_cache_destroy(%#x): not a slab cache", kva(s));
		return;
	}
	slab_lock(s);
	busy = s->inuse != 0;
	VM_BUG_ON(!busy && s->nr_slabs);
	slab_unlock(s);
	if (busy) {
		vm_lock_release(&ss->slab_mutex);
		printk("kmem_cache_destroy %s: Slab cache still has objects", s->name);
		return;
	}
	cache_list_del(ss, s);
	vm_lock_release(&ss->slab_mutex);
	kmem_cache_free(&ss->boot_cache, s);
}

/* ---- kmalloc ------------------------------------------------------------ */

static struct kmem_cache *kmalloc_slab(size_t size)
{
	unsigned i;

	for (i = 0; i < NR_KMALLOC_CACHES; i++)
		if (size <= kmalloc_sizes[i])
			return __va(slab_state()->kmalloc_caches[i]);
	return NULL;
}

/* The smallest order that holds size bytes; MAX_ORDER if none does (the
 * page allocator then refuses it with its usual message). */
static unsigned get_order(size_t size)
{
	unsigned order = 0;

	while (order < MAX_ORDER && (PAGE_SIZE << order) < size)
		order++;
	return order;
}

/* Above KMALLOC_MAX_CACHE_SIZE: a compound page of its own, counted as
 * unreclaimable slab as Linux counts it. */
static void *kmalloc_large(size_t size, gfp_t gfp_mask)
{
	unsigned order = get_order(size);
	struct page *page;

	page = alloc_pages((gfp_mask & ~__GFP_HIGHMEM) | __GFP_COMP, order);
	if (!page)
		return NULL;
	slab_stat_lock();
	page->mapping = large_kmalloc_owner();
	mod_node_page_state(NR_SLAB_UNRECLAIMABLE, 1L << order);
	slab_stat_unlock();
	return page_address(page);
}

static void free_large_kmalloc(struct page *page)
{
	unsigned order = compound_order(page);

	BUG_ON(order >= MAX_ORDER);
	slab_stat_lock();
	mod_node_page_state(NR_SLAB_UNRECLAIMABLE, -(1L << order));
	page->mapping = 0;
	slab_stat_unlock();
	__free_pages(page, order);
}

static inline bool is_large_kmalloc(const struct page *page, const void *obj)
{
	return !PageSlab(page) && PageHead(page) && page->mapping == large_kmalloc_owner() &&
	       obj == page_address(page);
}

/* kmalloc(0) gives NULL (Linux gives ZERO_SIZE_PTR; kfree takes both). */
void *kmalloc(size_t size, gfp_t gfp_mask)
{
	if (unlikely(!size))
		return NULL;
	if (size > KMALLOC_MAX_CACHE_SIZE)
		return kmalloc_large(size, gfp_mask);
	return kmem_cache_alloc(kmalloc_slab(size), gfp_mask);
}

void *kzalloc(size_t size, gfp_t gfp_mask)
{
	return kmalloc(size, gfp_mask | __GFP_ZERO);
}

void kfree(const void *obj)
{
	struct page *page;

	if (!obj)
		return;
	page = virt_to_head(obj);
	if (unlikely(!page)) {
		printk("kernel BUG: kfree(%p): not a kernel direct-map address", obj);
		return;
	}
	if (PageSlab(page)) {
		struct kmem_cache *s = slab_cache(page);

		if (likely(s))
			slab_free(s, page, (void *)obj, NULL);
		else
			printk("kernel BUG: kfree(%#x): its slab is being freed (double free?)", kva(obj));
		return;
	}
	if (is_large_kmalloc(page, obj)) {
		free_large_kmalloc(page);
		return;
	}
	printk("kernel BUG: kfree(%#x): neither a slab object nor a large kmalloc (pfn %#lx flags %#x)",
	       kva(obj), page_to_pfn(page), page->flags);
}

size_t ksize(const void *obj)
{
	struct page *page;

	if (!obj)
		return 0;
	page = virt_to_head(obj);
	if (page && PageSlab(page) && slab_cache(page))
		return slab_cache(page)->size;
	if (page && is_large_kmalloc(page, obj))
		return PAGE_SIZE << compound_order(page);
	printk("kernel BUG: ksize(%p): not a kmalloc object", obj);
	return 0;
}

/* ---- boot --------------------------------------------------------------- */

/* The cache of caches is laid out by hand inside slab_state (there is no
 * cache yet to allocate it from); the kmalloc caches are ordinary caches
 * allocated from it. Runs once, before any other process exists. */
void kmem_cache_init(void)
{
	struct slab_state *ss = slab_state();
	struct kmem_cache *s = &ss->boot_cache;
	const char *why;
	unsigned i;

	vm_lock_init(&ss->slab_mutex);
	ss->first = ss->last = 0;
	ss->nr_caches = 0;
	why = init_cache(s, "kmem_cache", sizeof(struct kmem_cache), 0, SLAB_HWCACHE_ALIGN | SLAB_PANIC);
	if (why)
		vm_panic("kmem_cache_init: %s", why);
	cache_list_add(ss, s);
	ss->kmem_cache = cache_pa(s);
	for (i = 0; i < NR_KMALLOC_CACHES; i++) {
		struct kmem_cache *k = kmem_cache_create(kmalloc_names[i], kmalloc_sizes[i], 0,
							 SLAB_PANIC, NULL);
		ss->kmalloc_caches[i] = cache_pa(k);
	}
}

/* ---- validate_slab: a read-only walk through a view --------------------- */

struct slab_walk {
	const struct vm_view *v;
	struct vm_report *r;
	uint32_t max_low;		/* first frame outside the direct map */
	uint8_t *seen;			/* a bit per frame: slab heads reached from a list */
	uint64_t frames[2];		/* slab frames found: [0] unreclaimable, [1] reclaimable */
};

static bool seen_test_and_set(struct slab_walk *w, uint32_t pfn)
{
	uint8_t bit = (uint8_t)(1u << (pfn & 7));
	bool was;

	if (!w->seen)
		return false;
	was = w->seen[pfn >> 3] & bit;
	w->seen[pfn >> 3] |= bit;
	return was;
}

/* Copy a cache out of the view; false (reported) if pa does not hold one. */
static bool view_cache(struct slab_walk *w, uint32_t pa, struct kmem_cache *out)
{
	const void *p = vm_view_ptr(w->v, pa, sizeof(*out));

	if (!p || pa % 8 || pa >= (uint64_t)w->max_low << PAGE_SHIFT) {
		vm_report(w->r, "slab: cache link %#x lies outside lowmem or is misaligned", pa);
		return false;
	}
	memcpy(out, p, sizeof(*out));
	out->name[KMEM_CACHE_NAME_LEN - 1] = '\0';
	return true;
}

/* Sizes that calculate_sizes could have produced. */
static bool check_cache_geometry(struct slab_walk *w, const struct kmem_cache *c)
{
	bool ok = true;

	if (!c->name[0]) {
		vm_report(w->r, "slab: a cache has an empty name");
		ok = false;
	}
	if (!c->object_size || c->object_size > c->size || c->size < KMALLOC_MIN_SIZE ||
	    c->size > SLAB_MAX_SIZE || !c->align || (c->align & (c->align - 1)) ||
	    c->align < KMALLOC_MIN_SIZE || c->size % c->align) {
		vm_report(w->r, "slab: cache %s: object_size %u size %u align %u do not fit together",
			  c->name, c->object_size, c->size, c->align);
		return false;
	}
	if (c->order > SLAB_MAX_ORDER || c->objects == 0 ||
	    c->objects != (PAGE_SIZE << c->order) / c->size) {
		vm_report(w->r, "slab: cache %s: order %u with %u objects of %u bytes",
			  c->name, c->order, c->objects, c->size);
		return false;
	}
	return ok;
}

/* One slab of cache c; returns its objects in use, or -1 if broken. */
static long check_slab(struct slab_walk *w, const struct kmem_cache *c, uint32_t cpa,
		       uint32_t pfn, const struct page *page, bool full)
{
	const uint32_t want = (1u << PG_slab) | (1u << PG_head);
	const uint32_t never = (1u << PG_tail) | (1u << PG_buddy) | (1u << PG_pcp) |
			       (1u << PG_reserved) | (1u << PG_lru);
	uint8_t free_map[SLAB_MAX_OBJECTS / 8];
	uint32_t i, off, nfree = 0, nr = 1u << c->order;
	uint64_t base = (uint64_t)pfn << PAGE_SHIFT;
	bool broken = false;

	if ((page->flags & want) != want || (page->flags & never))
		vm_report(w->r, "slab: cache %s: slab pfn %#x has flags %#x", c->name, pfn, page->flags);
	if (page->mapping != cpa)
		vm_report(w->r, "slab: cache %s: slab pfn %#x names cache %#x", c->name, pfn,
			  page->mapping);
	if (page->_refcount != 1)
		vm_report(w->r, "slab: cache %s: slab pfn %#x has refcount %d", c->name, pfn,
			  page->_refcount);
	if (pfn % nr)
		vm_report(w->r, "slab: cache %s: slab pfn %#x not aligned to order %u", c->name, pfn,
			  c->order);
	for (i = 1; i < nr; i++) {
		const struct page *t = &w->v->mem_map[pfn + i];

		if (!(t->flags & (1u << PG_tail)) || (t->flags & ((1u << PG_head) | (1u << PG_slab))) ||
		    t->index != pfn)
			vm_report(w->r, "slab: cache %s: slab pfn %#x: tail %#x has flags %#x index %#x",
				  c->name, pfn, pfn + i, t->flags, t->index);
	}

	memset(free_map, 0, sizeof(free_map));
	for (off = page->index; off != SLAB_FREELIST_END; ) {
		const uint32_t *next;
		uint32_t obj;

		if (off >= c->objects * c->size || off % c->size) {
			vm_report(w->r, "slab: cache %s: slab pfn %#x: free pointer %#x is not an object",
				  c->name, pfn, off);
			broken = true;
			break;
		}
		obj = off / c->size;
		if (free_map[obj / 8] & (1u << (obj % 8))) {
			vm_report(w->r, "slab: cache %s: slab pfn %#x: freelist loops at offset %#x",
				  c->name, pfn, off);
			broken = true;
			break;
		}
		free_map[obj / 8] |= (uint8_t)(1u << (obj % 8));
		nfree++;
		next = vm_view_ptr(w->v, base + off, sizeof(*next));
		if (!next) {
			vm_report(w->r, "slab: cache %s: slab pfn %#x: object %#x outside the view",
				  c->name, pfn, off);
			broken = true;
			break;
		}
		off = *next;
	}
	if (broken)
		return -1;
	if (page->private + nfree != c->objects) {
		vm_report(w->r, "slab: cache %s: slab pfn %#x: %u in use + %u on the freelist != %u objects",
			  c->name, pfn, page->private, nfree, c->objects);
		return -1;
	}
	if (full && page->private != c->objects)
		vm_report(w->r, "slab: cache %s: slab pfn %#x on the full list with %u of %u in use",
			  c->name, pfn, page->private, c->objects);
	if (!full && (page->private == 0 || page->private >= c->objects))
		vm_report(w->r, "slab: cache %s: slab pfn %#x on the partial list with %u of %u in use",
			  c->name, pfn, page->private, c->objects);
	return page->private;
}

/* The partial or full list of cache c: counts slabs and objects in use. */
static void check_slab_list(struct slab_walk *w, const struct kmem_cache *c, uint32_t cpa,
			    const struct pfn_list *list, bool full, uint64_t *slabs,
			    uint64_t *inuse)
{
	const char *which = full ? "full" : "partial";
	uint32_t pfn = list->next, prev = PFN_NIL;
	uint64_t steps = 0;

	while (pfn != PFN_NIL) {
		const struct page *page;
		struct page copy;
		long n;

		if (++steps > w->v->nr_pages) {
			vm_report(w->r, "slab: cache %s: %s list does not end (cycle)", c->name, which);
			return;
		}
		if (pfn >= w->v->nr_pages || pfn >= w->max_low ||
		    pfn + (1u << c->order) > w->max_low) {
			vm_report(w->r, "slab: cache %s: %s list links to pfn %#x outside lowmem",
				  c->name, which, pfn);
			return;
		}
		page = &w->v->mem_map[pfn];
		memcpy(&copy, page, sizeof(copy));
		if (seen_test_and_set(w, pfn)) {
			vm_report(w->r, "slab: cache %s: slab pfn %#x is on two lists (or twice)",
				  c->name, pfn);
			return;
		}
		if (copy.lru.prev != prev)
			vm_report(w->r, "slab: cache %s: %s list: pfn %#x prev link %#x, expected %#x",
				  c->name, which, pfn, copy.lru.prev, prev);
		n = check_slab(w, c, cpa, pfn, &copy, full);
		(*slabs)++;
		if (n > 0)
			*inuse += (uint64_t)n;
		prev = pfn;
		pfn = copy.lru.next;
	}
	if (list->prev != prev)
		vm_report(w->r, "slab: cache %s: %s list tail %#x, last slab %#x", c->name, which,
			  list->prev, prev);
}

/* A cache's struct lives inside slab_state (the boot cache) or is a
 * properly placed object of the boot cache. */
static void check_cache_home(struct slab_walk *w, uint32_t pa, uint32_t boot_pa,
			     const struct kmem_cache *boot)
{
	const struct page *head;
	uint32_t pfn = pa >> PAGE_SHIFT;

	if (pa == boot_pa)
		return;
	head = &w->v->mem_map[pfn];
	if ((head->flags & (1u << PG_tail)) && head->index < w->v->nr_pages)
		head = &w->v->mem_map[head->index];
	if (!(head->flags & (1u << PG_slab)) || head->mapping != boot_pa ||
	    !boot->size || (pa - (uint32_t)((head - w->v->mem_map) << PAGE_SHIFT)) % boot->size)
		vm_report(w->r, "slab: cache at %#x is not an object of the kmem_cache cache", pa);
}

unsigned long validate_slab(const struct vm_view *v, struct vm_report *r)
{
	const struct slab_state *live = &v->kdata->slab;
	const uint32_t boot_pa = v->boot->kdata_pa + (uint32_t)offsetof(struct vm_kernel_data, slab.boot_cache);
	const uint32_t owner_pa = v->boot->kdata_pa + (uint32_t)offsetof(struct vm_kernel_data, slab);
	struct slab_walk w = { .v = v, .r = r };
	unsigned long before = r->violations;
	uint32_t pa, prev = 0, nr_caches = 0, kmalloc_found = 0, pfn;
	uint64_t large = 0;
	struct slab_state ss;
	struct kmem_cache boot;
	int64_t stat;
	unsigned i;

	memcpy(&ss, live, sizeof(ss));
	w.max_low = min(v->boot->max_low_pfn, v->nr_pages);
	w.seen = calloc(((size_t)v->nr_pages + 7) / 8, 1);
	memcpy(&boot, &ss.boot_cache, sizeof(boot));
	boot.name[KMEM_CACHE_NAME_LEN - 1] = '\0';

	if (ss.kmem_cache != boot_pa)
		vm_report(r, "slab: kmem_cache is %#x, expected the boot cache at %#x", ss.kmem_cache,
			  boot_pa);
	for (pa = ss.first; pa; ) {
		struct kmem_cache c;
		uint64_t slabs = 0, inuse = 0;

		if (++nr_caches > v->nr_pages) {
			vm_report(r, "slab: cache list does not end (cycle)");
			break;
		}
		if (!view_cache(&w, pa, &c))
			break;
		if (c.prev != prev)
			vm_report(r, "slab: cache %s: prev link %#x, expected %#x", c.name, c.prev, prev);
		check_cache_home(&w, pa, boot_pa, &boot);
		for (i = 0; i < NR_KMALLOC_CACHES; i++) {
			char name[KMEM_CACHE_NAME_LEN];

			if (ss.kmalloc_caches[i] != pa)
				continue;
			kmalloc_found |= 1u << i;
			snprintf(name, sizeof(name), "%s", kmalloc_names[i]);
			if (strcmp(c.name, name) || c.object_size != kmalloc_sizes[i])
				vm_report(r, "slab: kmalloc_caches[%u] is %s of %u bytes, expected %s",
					  i, c.name, c.object_size, name);
		}
		if (check_cache_geometry(&w, &c)) {
			check_slab_list(&w, &c, pa, &c.partial, false, &slabs, &inuse);
			check_slab_list(&w, &c, pa, &c.full, true, &slabs, &inuse);
			if (slabs != c.nr_slabs)
				vm_report(r, "slab: cache %s: nr_slabs %llu, lists hold %llu", c.name,
					  (unsigned long long)c.nr_slabs, (unsigned long long)slabs);
			if (inuse != c.inuse)
				vm_report(r, "slab: cache %s: inuse %llu, slabs hold %llu objects in use",
					  c.name, (unsigned long long)c.inuse, (unsigned long long)inuse);
			w.frames[!!(c.flags & SLAB_RECLAIM_ACCOUNT)] += slabs << c.order;
		}
		prev = pa;
		pa = c.next;
	}
	if (ss.last != prev)
		vm_report(r, "slab: cache list tail %#x, last cache %#x", ss.last, prev);
	if (ss.nr_caches != nr_caches)
		vm_report(r, "slab: nr_caches %u, list holds %u", ss.nr_caches, nr_caches);
	for (i = 0; i < NR_KMALLOC_CACHES; i++)
		if (!(kmalloc_found & (1u << i)))
			vm_report(r, "slab: kmalloc_caches[%u] (%s) = %#x is not on the cache list", i,
				  kmalloc_names[i], ss.kmalloc_caches[i]);

	/* Every slab head must have been reached from a list; large kmallocs
	 * are counted for the node counter. */
	for (pfn = 0; pfn < v->nr_pages; pfn++) {
		const struct page *page = &v->mem_map[pfn];
		uint32_t flags = page->flags;

		if (flags & (1u << PG_slab)) {
			if (!(flags & (1u << PG_head)))
				vm_report(r, "slab: pfn %#x is PG_slab but not a slab head (flags %#x)",
					  pfn, flags);
			else if (w.seen && !(w.seen[pfn >> 3] & (1u << (pfn & 7))))
				vm_report(r, "slab: slab pfn %#x (cache %#x) is on no cache's list", pfn,
					  page->mapping);
		} else if ((flags & (1u << PG_head)) && page->mapping == owner_pa) {
			if (page->private >= MAX_ORDER || pfn >= w.max_low)
				vm_report(r, "slab: large kmalloc at pfn %#x: order %u", pfn, page->private);
			else
				large += 1ull << page->private;
		}
	}
	free(w.seen);

	stat = v->kdata->pgdat.vm_stat[NR_SLAB_RECLAIMABLE];
	if (stat != (int64_t)w.frames[1])
		vm_report(r, "slab: nr_slab_reclaimable %lld, reclaimable slabs hold %llu frames",
			  (long long)stat, (unsigned long long)w.frames[1]);
	stat = v->kdata->pgdat.vm_stat[NR_SLAB_UNRECLAIMABLE];
	if (stat != (int64_t)(w.frames[0] + large))
		vm_report(r, "slab: nr_slab_unreclaimable %lld, slabs hold %llu frames and large kmallocs %llu",
			  (long long)stat, (unsigned long long)w.frames[0], (unsigned long long)large);
	return r->violations - before;
}
