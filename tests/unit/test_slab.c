/* test_slab.c - slab caches and kmalloc: size classes, cache geometry,
 * partial and full lists, empty slabs given back, counters, bad frees
 * refused, the validator catching corruption, a dead lock owner repaired,
 * and several processes at once. Each case boots a fresh machine and ends
 * with every frame back and check clean.
 */
#include <sys/wait.h>

#include "common.h"
#include "../../libvm/internal.h"

#define MiB (1ULL << 20)

static struct slab_state *ss(void)
{
	return &vm_kdata->slab;
}

static struct kmem_cache *cache_at(uint32_t pa)
{
	return pa ? __va(pa) : NULL;
}

static struct kmem_cache *kmalloc_cache(unsigned i)
{
	return cache_at(ss()->kmalloc_caches[i]);
}

/* The cache a slab object belongs to, by its head page. */
static struct kmem_cache *cache_of(const void *obj)
{
	struct page *head = compound_head(virt_to_page(obj));

	assert_true(PageSlab(head));
	return cache_at(head->mapping);
}

static bool cache_listed(const struct kmem_cache *s)
{
	uint32_t pa, n = 0;

	for (pa = ss()->first; pa && n < 10000; pa = cache_at(pa)->next, n++)
		if (cache_at(pa) == s)
			return true;
	return false;
}

static long slab_pages(enum node_stat_item item)
{
	return (long)global_node_page_state(item);
}

static unsigned long slab_violations(void)
{
	struct vm_view v;
	struct vm_report r = { .out = NULL };

	assert_int_equal(vm_self_view(&v), 0);
	return validate_slab(&v, &r);
}

static unsigned rnd(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 16;
}

static void shuffle(void **p, unsigned n, unsigned seed)
{
	for (unsigned i = n; i > 1; i--) {
		unsigned j = rnd(&seed) % i;
		void *t = p[i - 1];
		p[i - 1] = p[j];
		p[j] = t;
	}
}

/* ---- boot --------------------------------------------------------------- */

static void test_boot_sets_up_cache_of_caches_and_kmalloc(void **state)
{
	static const char *const names[NR_KMALLOC_CACHES] = {
		"kmalloc-8", "kmalloc-16", "kmalloc-32", "kmalloc-64", "kmalloc-96",
		"kmalloc-128", "kmalloc-192", "kmalloc-256", "kmalloc-512", "kmalloc-1k",
		"kmalloc-2k", "kmalloc-4k", "kmalloc-8k",
	};
	static const unsigned sizes[NR_KMALLOC_CACHES] = {
		8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
	};
	struct test_machine tm;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	assert_ptr_equal(cache_at(ss()->kmem_cache), &ss()->boot_cache);
	assert_ptr_equal(cache_at(ss()->first), &ss()->boot_cache);
	assert_string_equal(ss()->boot_cache.name, "kmem_cache");
	assert_int_equal(ss()->boot_cache.object_size, sizeof(struct kmem_cache));
	assert_int_equal(ss()->boot_cache.size % 64, 0);	/* SLAB_HWCACHE_ALIGN */
	/* kmem_cache, the kmalloc caches in order, then what later boot steps
	 * made (vmalloc's vmap_area). Every struct but the first is an object
	 * of the cache of caches. */
	assert_true(ss()->nr_caches >= 1 + NR_KMALLOC_CACHES);
	assert_int_equal(ss()->boot_cache.inuse, ss()->nr_caches - 1);
	uint32_t pa = ss()->boot_cache.next;
	for (unsigned i = 0; i < NR_KMALLOC_CACHES; i++, pa = cache_at(pa)->next)
		assert_int_equal(pa, ss()->kmalloc_caches[i]);
	for (unsigned i = 0; i < NR_KMALLOC_CACHES; i++) {
		struct kmem_cache *k = kmalloc_cache(i);

		assert_non_null(k);
		assert_string_equal(k->name, names[i]);
		assert_int_equal(k->object_size, sizes[i]);
		assert_int_equal(k->size, sizes[i]);
		assert_true(cache_listed(k));
		assert_ptr_equal(cache_of(k), &ss()->boot_cache);
	}
	/* Orders: >= 8 objects or < 1/8 waste. 2k: 2 per page, no waste. */
	assert_int_equal(kmalloc_cache(0)->order, 0);
	assert_int_equal(kmalloc_cache(0)->objects, 512);
	assert_int_equal(kmalloc_cache(4)->objects, 42);	/* 96: 64 bytes spare */
	assert_int_equal(kmalloc_cache(10)->order, 0);
	assert_int_equal(kmalloc_cache(11)->order, 0);
	assert_int_equal(kmalloc_cache(12)->order, 1);		/* 8k needs two frames */
	assert_int_equal(kmalloc_cache(12)->objects, 1);
	test_shutdown(&tm);
}

/* ---- kmalloc ------------------------------------------------------------ */

/* Every class from both ends: 1..8 -> 8, 9..16 -> 16, ... 4097..8192 -> 8k. */
static void test_kmalloc_size_classes(void **state)
{
	static const unsigned sizes[NR_KMALLOC_CACHES] = {
		8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
	};
	struct test_machine tm;
	unsigned prev = 0;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	for (unsigned i = 0; i < NR_KMALLOC_CACHES; i++) {
		size_t ask[2] = { prev + 1, sizes[i] };

		for (unsigned j = 0; j < 2; j++) {
			uint8_t *p = kmalloc(ask[j], GFP_KERNEL);

			assert_non_null(p);
			assert_ptr_equal(cache_of(p), kmalloc_cache(i));
			assert_int_equal(ksize(p), sizes[i]);
			assert_int_equal((uintptr_t)p % 8, 0);
			memset(p, 0xa5, ksize(p));	/* the whole usable size is ours */
			assert_int_equal(kmalloc_cache(i)->inuse, 1);
			kfree(p);
			assert_int_equal(kmalloc_cache(i)->inuse, 0);
			assert_int_equal(kmalloc_cache(i)->nr_slabs, 0);
		}
		prev = sizes[i];
	}
	assert_null(kmalloc(0, GFP_KERNEL));
	kfree(NULL);
	assert_int_equal(ksize(NULL), 0);
	test_shutdown(&tm);
}

/* Beyond 8k: a compound page straight from the buddy allocator, counted
 * as unreclaimable slab as Linux counts it. 8193 bytes -> order 2. */
static void test_kmalloc_large_uses_pages(void **state)
{
	struct test_machine tm;
	unsigned long free0;
	long slab0;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	drain_all_pages();
	free0 = nr_free_frames();
	slab0 = slab_pages(NR_SLAB_UNRECLAIMABLE);

	uint8_t *p = kmalloc(8193, GFP_KERNEL);
	assert_non_null(p);
	struct page *head = virt_to_page(p);
	assert_true(PageHead(head));
	assert_false(PageSlab(head));
	assert_int_equal(compound_order(head), 2);
	assert_int_equal((uintptr_t)p % PAGE_SIZE, 0);
	assert_int_equal(ksize(p), 16384);
	assert_int_equal(nr_free_frames(), free0 - 4);
	assert_int_equal(slab_pages(NR_SLAB_UNRECLAIMABLE), slab0 + 4);
	memset(p, 0x5a, 16384);
	assert_machine_valid();

	uint8_t *big = kzalloc(1 * MiB, GFP_KERNEL);		/* order 8, zeroed */
	assert_non_null(big);
	assert_int_equal(ksize(big), 1 * MiB);
	for (size_t i = 0; i < 1 * MiB; i += 4093)
		assert_int_equal(big[i], 0);
	assert_int_equal(slab_pages(NR_SLAB_UNRECLAIMABLE), slab0 + 4 + 256);

	kfree(p);
	kfree(big);
	drain_all_pages();
	assert_int_equal(nr_free_frames(), free0);
	assert_int_equal(slab_pages(NR_SLAB_UNRECLAIMABLE), slab0);

	/* 8192 exactly still comes from kmalloc-8k. */
	p = kmalloc(8192, GFP_KERNEL);
	assert_true(PageSlab(virt_to_page(p)));
	kfree(p);
	/* More than the buddy allocator's largest block: NULL, no crash. */
	assert_null(kmalloc(64 * MiB, GFP_KERNEL | __GFP_NOWARN));
	test_shutdown(&tm);
}

/* ---- caches ------------------------------------------------------------- */

static void test_cache_create_alloc_free_destroy(void **state)
{
	struct test_machine tm;
	struct kmem_cache *s;
	unsigned caches0;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	caches0 = ss()->nr_caches;
	s = kmem_cache_create("test_obj", 100, 0, 0, NULL);
	assert_non_null(s);
	assert_string_equal(s->name, "test_obj");
	/* 100 -> stride 104; 4096 / 104 = 39 objects, 40 bytes spare. */
	assert_int_equal(s->object_size, 100);
	assert_int_equal(s->size, 104);
	assert_int_equal(s->align, 8);
	assert_int_equal(s->order, 0);
	assert_int_equal(s->objects, 39);
	assert_int_equal(ss()->nr_caches, caches0 + 1);
	assert_ptr_equal(cache_at(ss()->last), s);
	assert_true(cache_listed(s));

	void *a = kmem_cache_alloc(s, GFP_KERNEL);
	void *b = kmem_cache_alloc(s, GFP_KERNEL);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_ptr_equal(cache_of(a), s);
	assert_int_equal(ksize(a), 104);
	assert_int_equal(s->inuse, 2);
	assert_int_equal(s->nr_slabs, 1);
	assert_machine_valid();
	kmem_cache_free(s, a);
	kmem_cache_free(s, b);
	kmem_cache_free(s, NULL);
	assert_int_equal(s->inuse, 0);
	assert_int_equal(s->nr_slabs, 0);

	kmem_cache_destroy(s);
	assert_int_equal(ss()->nr_caches, caches0);
	assert_false(cache_listed(s));
	kmem_cache_destroy(NULL);
	test_shutdown(&tm);
}

/* Stride, alignment and slab order for a range of requests, and the
 * requests that cannot make a cache. */
static void test_cache_geometry_and_order(void **state)
{
	static const struct {
		unsigned size, align, flags;
		unsigned stride, order, objects;
	} t[] = {
		{ 1, 0, 0, 8, 0, 512 },
		{ 24, 32, 0, 32, 0, 128 },
		{ 100, 0, SLAB_HWCACHE_ALIGN, 128, 0, 32 },
		{ 4096, 0, 0, 4096, 0, 1 },		/* one per page, no waste */
		{ 5000, 0, 0, 5000, 2, 3 },		/* order 1 wastes 3192/8192 */
		{ 8192, 0, 0, 8192, 1, 1 },
		{ 20000, 0, 0, 20000, 3, 1 },		/* only order 3 holds one */
		{ 32768, 0, 0, 32768, 3, 1 },
		{ 700, 4096, 0, 4096, 0, 1 },
	};
	struct test_machine tm;
	unsigned caches0;
	uint64_t mark;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	caches0 = ss()->nr_caches;
	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		struct kmem_cache *s = kmem_cache_create("geometry", t[i].size, t[i].align,
							 t[i].flags, NULL);

		assert_non_null(s);
		assert_int_equal(s->size, t[i].stride);
		assert_int_equal(s->order, t[i].order);
		assert_int_equal(s->objects, t[i].objects);
		void *p = kmem_cache_alloc(s, GFP_KERNEL);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % s->align, 0);
		memset(p, 0xee, s->object_size);
		assert_machine_valid();
		kmem_cache_free(s, p);
		kmem_cache_destroy(s);
	}

	mark = log_mark();
	assert_null(kmem_cache_create("with_ctor", 64, 0, 0, (void (*)(void *))free));
	assert_true(log_has(mark, "kmem_cache_create(with_ctor) failed: constructors"));
	assert_null(kmem_cache_create("zero", 0, 0, 0, NULL));
	assert_null(kmem_cache_create("huge", 40000, 0, 0, NULL));
	assert_null(kmem_cache_create("odd_align", 64, 24, 0, NULL));
	assert_null(kmem_cache_create(NULL, 64, 0, 0, NULL));
	assert_int_equal(ss()->nr_caches, caches0);

	/* A long name is cut, not refused. */
	struct kmem_cache *s = kmem_cache_create("a_name_longer_than_thirty_one_characters", 64, 0, 0, NULL);
	assert_non_null(s);
	assert_int_equal(strlen(s->name), KMEM_CACHE_NAME_LEN - 1);
	kmem_cache_destroy(s);
	test_shutdown(&tm);
}

/* Objects never overlap and keep their alignment, across several slabs. */
static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

static void test_objects_distinct_and_aligned(void **state)
{
	enum { N = 500 };
	struct { unsigned size, align, flags; } kinds[] = {
		{ 40, 32, 0 }, { 100, 0, SLAB_HWCACHE_ALIGN }, { 12, 0, 0 }, { 3000, 512, 0 },
	};
	static void *objs[N];
	struct test_machine tm;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	for (unsigned k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct kmem_cache *s = kmem_cache_create("distinct", kinds[k].size, kinds[k].align,
							 kinds[k].flags, NULL);

		assert_non_null(s);
		for (unsigned i = 0; i < N; i++) {
			objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
			assert_non_null(objs[i]);
			assert_int_equal((uintptr_t)objs[i] % s->align, 0);
			memset(objs[i], (int)(i & 0xff), s->object_size);
		}
		for (unsigned i = 0; i < N; i++)
			for (unsigned b = 0; b < s->object_size; b += 7)
				assert_int_equal(((uint8_t *)objs[i])[b], i & 0xff);
		qsort(objs, N, sizeof(objs[0]), cmp_ptr);
		for (unsigned i = 1; i < N; i++)
			assert_true((uintptr_t)objs[i] - (uintptr_t)objs[i - 1] >= s->size);
		assert_int_equal(s->nr_slabs, (N + s->objects - 1) / s->objects);
		assert_machine_valid();
		for (unsigned i = 0; i < N; i++)
			kmem_cache_free(s, objs[i]);
		kmem_cache_destroy(s);
	}
	test_shutdown(&tm);
}

/* A slab moves partial -> full as it fills and back as one object goes;
 * the last object's free gives its frames back at once.
 *   objects: a b c d (1k, 4 per page)  full;  free b -> partial;  free all -> freed */
static void test_partial_full_and_empty_slab_returns_frames(void **state)
{
	struct test_machine tm;
	struct kmem_cache *s;
	unsigned long free0;
	void *o[4];

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	s = kmem_cache_create("quarter_page", 1024, 0, 0, NULL);
	assert_non_null(s);
	assert_int_equal(s->objects, 4);
	drain_all_pages();
	free0 = nr_free_frames();

	for (unsigned i = 0; i < 4; i++)
		o[i] = kmem_cache_alloc(s, GFP_KERNEL);
	unsigned long pfn = page_to_pfn(virt_to_page(o[0]));
	for (unsigned i = 1; i < 4; i++)
		assert_int_equal(page_to_pfn(virt_to_page(o[i])), pfn);
	assert_int_equal(nr_free_frames(), free0 - 1);
	assert_true(pfn_list_empty(&s->partial));
	assert_int_equal(s->full.next, pfn);
	assert_int_equal(pfn_to_page(pfn)->index, SLAB_FREELIST_END);
	assert_int_equal(pfn_to_page(pfn)->private, 4);

	kmem_cache_free(s, o[1]);
	assert_int_equal(s->partial.next, pfn);
	assert_true(pfn_list_empty(&s->full));
	/* The freed object heads the freelist: it is handed out next. */
	assert_int_equal(pfn_to_page(pfn)->index, 1024);
	assert_ptr_equal(kmem_cache_alloc(s, GFP_KERNEL), o[1]);
	assert_int_equal(s->full.next, pfn);
	assert_machine_valid();

	for (unsigned i = 0; i < 4; i++)
		kmem_cache_free(s, o[i]);
	assert_int_equal(s->nr_slabs, 0);
	assert_false(PageSlab(pfn_to_page(pfn)));
	drain_all_pages();
	assert_int_equal(nr_free_frames(), free0);

	/* An order-2 cache: one object costs four frames, all back on free. */
	struct kmem_cache *big = kmem_cache_create("order2", 5000, 0, 0, NULL);
	void *p = kmem_cache_alloc(big, GFP_KERNEL);
	assert_int_equal(nr_free_frames(), free0 - 4);
	assert_true(PageHead(virt_to_page(p)));
	assert_true(PageTail(virt_to_page(p) + 3));
	kmem_cache_free(big, p);
	drain_all_pages();
	assert_int_equal(nr_free_frames(), free0);
	kmem_cache_destroy(big);
	kmem_cache_destroy(s);
	test_shutdown(&tm);
}

static void test_destroy_with_live_objects_refused(void **state)
{
	struct test_machine tm;
	struct kmem_cache *s;
	unsigned caches0;
	uint64_t mark;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	caches0 = ss()->nr_caches;
	s = kmem_cache_create("still_busy", 256, 0, 0, NULL);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);
	strcpy(p, "alive");

	mark = log_mark();
	kmem_cache_destroy(s);
	assert_true(log_has(mark, "kmem_cache_destroy still_busy: Slab cache still has objects"));
	assert_true(cache_listed(s));
	assert_string_equal(p, "alive");
	void *q = kmem_cache_alloc(s, GFP_KERNEL);	/* still a working cache */
	assert_non_null(q);
	assert_machine_valid();
	kmem_cache_free(s, q);
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
	assert_false(cache_listed(s));

	/* The boot caches stay. */
	mark = log_mark();
	kmem_cache_destroy(kmalloc_cache(3));
	kmem_cache_destroy(&ss()->boot_cache);
	assert_true(log_has(mark, "kmem_cache_destroy kmalloc-64: a boot cache cannot be destroyed"));
	assert_true(cache_listed(kmalloc_cache(3)));
	assert_int_equal(ss()->nr_caches, caches0);
	test_shutdown(&tm);
}

static void test_zalloc_zeroes(void **state)
{
	struct test_machine tm;
	struct kmem_cache *s;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	s = kmem_cache_create("zeroed", 200, 0, 0, NULL);
	/* Dirty an object, free it, and get the same one back zeroed. */
	uint8_t *p = kmem_cache_alloc(s, GFP_KERNEL);
	uint8_t *keep = kmem_cache_alloc(s, GFP_KERNEL);	/* keeps the slab */
	memset(p, 0xff, 200);
	kmem_cache_free(s, p);
	uint8_t *z = kmem_cache_zalloc(s, GFP_KERNEL);
	assert_ptr_equal(z, p);
	for (unsigned i = 0; i < 200; i++)
		assert_int_equal(z[i], 0);

	uint8_t *k = kmalloc(100, GFP_KERNEL);		/* kmalloc-128 */
	uint8_t *hold = kmalloc(100, GFP_KERNEL);
	memset(k, 0xff, 128);
	kfree(k);
	uint8_t *kz = kzalloc(100, GFP_KERNEL);
	assert_ptr_equal(kz, k);
	for (unsigned i = 0; i < 128; i++)
		assert_int_equal(kz[i], 0);
	/* __GFP_ZERO through kmalloc means the same. */
	kfree(kz);
	kz = kmalloc(100, GFP_KERNEL | __GFP_ZERO);
	for (unsigned i = 0; i < 128; i++)
		assert_int_equal(kz[i], 0);

	kfree(kz);
	kfree(hold);
	kmem_cache_free(s, z);
	kmem_cache_free(s, keep);
	kmem_cache_destroy(s);
	test_shutdown(&tm);
}

/* Thousands of objects over many slabs of several caches, each stamped
 * with its number, freed in random order with checks along the way. */
static void test_many_objects_across_slabs(void **state)
{
	enum { N = 6000 };
	static void *objs[N];
	static unsigned sz[N];
	struct test_machine tm;
	struct kmem_cache *s;
	unsigned seed = 12345;
	unsigned long free0;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	s = kmem_cache_create("many", 72, 0, 0, NULL);
	drain_all_pages();
	free0 = nr_free_frames();
	for (unsigned i = 0; i < N; i++) {
		if (i % 3 == 0) {
			sz[i] = 0;
			objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		} else {
			sz[i] = 4 + rnd(&seed) % 3000;
			objs[i] = kmalloc(sz[i], GFP_KERNEL);
		}
		assert_non_null(objs[i]);
		*(uint32_t *)objs[i] = i;
		if (sz[i] >= 8)
			((uint8_t *)objs[i])[sz[i] - 1] = (uint8_t)i;
	}
	assert_int_equal(s->inuse, N / 3);
	assert_true(s->nr_slabs >= (N / 3 + s->objects - 1) / s->objects);
	assert_true(nr_free_frames() < free0);
	assert_machine_valid();

	/* Free in a random order; stamps must survive until their turn. */
	unsigned order[N];
	for (unsigned i = 0; i < N; i++)
		order[i] = i;
	for (unsigned i = N; i > 1; i--) {
		unsigned j = rnd(&seed) % i, t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	for (unsigned n = 0; n < N; n++) {
		unsigned i = order[n];

		assert_int_equal(*(uint32_t *)objs[i], i);
		if (sz[i] >= 8)
			assert_int_equal(((uint8_t *)objs[i])[sz[i] - 1], (uint8_t)i);
		if (sz[i])
			kfree(objs[i]);
		else
			kmem_cache_free(s, objs[i]);
		if (n == N / 2)
			assert_machine_valid();
	}
	assert_int_equal(s->inuse, 0);
	assert_int_equal(s->nr_slabs, 0);
	for (unsigned i = 0; i < NR_KMALLOC_CACHES; i++)
		assert_int_equal(kmalloc_cache(i)->nr_slabs, 0);
	drain_all_pages();
	assert_int_equal(nr_free_frames(), free0);
	kmem_cache_destroy(s);
	test_shutdown(&tm);
}

/* meminfo's Slab line: SUnreclaim and SReclaimable follow slab frames. */
static void test_slab_counters_up_and_back(void **state)
{
	enum { N = 100 };
	static void *objs[N];
	struct test_machine tm;
	long unrec0, rec0;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	unrec0 = slab_pages(NR_SLAB_UNRECLAIMABLE);
	rec0 = slab_pages(NR_SLAB_RECLAIMABLE);
	assert_true(unrec0 > 0);	/* the boot caches' own slabs */
	assert_int_equal(rec0, 0);

	/* kmalloc-2k: two per frame -> 50 frames for 100 objects. */
	for (unsigned i = 0; i < N; i++)
		objs[i] = kmalloc(2048, GFP_KERNEL);
	assert_int_equal(slab_pages(NR_SLAB_UNRECLAIMABLE), unrec0 + N / 2);
	for (unsigned i = 0; i < N; i++)
		kfree(objs[i]);
	assert_int_equal(slab_pages(NR_SLAB_UNRECLAIMABLE), unrec0);

	/* SLAB_RECLAIM_ACCOUNT goes to the other counter. 5000 bytes: order 2,
	 * 3 per slab -> 34 slabs of 4 frames for 100 objects. */
	struct kmem_cache *s = kmem_cache_create("dentry_like", 5000, 0, SLAB_RECLAIM_ACCOUNT, NULL);
	unrec0 = slab_pages(NR_SLAB_UNRECLAIMABLE);	/* the cache struct may have taken a slab */
	for (unsigned i = 0; i < N; i++)
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
	assert_int_equal(s->nr_slabs, 34);
	assert_int_equal(slab_pages(NR_SLAB_RECLAIMABLE), 34 * 4);
	assert_int_equal(slab_pages(NR_SLAB_UNRECLAIMABLE), unrec0);
	assert_machine_valid();
	shuffle(objs, N, 7);
	for (unsigned i = 0; i < N; i++)
		kmem_cache_free(s, objs[i]);
	assert_int_equal(slab_pages(NR_SLAB_RECLAIMABLE), 0);
	kmem_cache_destroy(s);
	test_shutdown(&tm);
}

/* Frees that are not frees of a live object: logged, refused, the machine
 * unharmed. */
static void test_bad_frees_refused_and_logged(void **state)
{
	struct test_machine tm;
	struct kmem_cache *a, *b;
	uint64_t mark;
	int on_stack;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	a = kmem_cache_create("cache_a", 64, 0, 0, NULL);
	b = kmem_cache_create("cache_b", 64, 0, 0, NULL);
	void *x = kmem_cache_alloc(a, GFP_KERNEL);
	void *y = kmem_cache_alloc(a, GFP_KERNEL);

	mark = log_mark();
	kmem_cache_free(b, x);				/* wrong cache */
	assert_true(log_has(mark, "BUG cache_b (Not tainted): kmem_cache_free: Wrong slab cache"));
	assert_int_equal(a->inuse, 2);

	mark = log_mark();
	kfree((char *)x + 4);				/* inside an object */
	assert_true(log_has(mark, "BUG cache_a (Not tainted): Invalid object pointer"));
	assert_int_equal(a->inuse, 2);

	kmem_cache_free(a, y);
	mark = log_mark();
	kmem_cache_free(a, y);				/* double free of the freelist head */
	assert_true(log_has(mark, "BUG cache_a (Not tainted): Object already free"));
	assert_int_equal(a->inuse, 1);
	assert_int_equal(slab_violations(), 0);

	struct page *pg = alloc_page(GFP_KERNEL);	/* a frame, not a slab */
	mark = log_mark();
	kfree(page_address(pg));
	assert_true(log_has(mark, "neither a slab object nor a large kmalloc"));
	mark = log_mark();
	assert_int_equal(ksize(page_address(pg)), 0);
	assert_true(log_has(mark, "not a kmalloc object"));
	__free_page(pg);

	mark = log_mark();
	kfree(&on_stack);				/* not even kernel memory */
	assert_true(log_has(mark, "not a kernel direct-map address"));

	void *large = kmalloc(20000, GFP_KERNEL);
	mark = log_mark();
	kfree((char *)large + PAGE_SIZE);		/* a tail of a large kmalloc */
	assert_true(log_has(mark, "neither a slab object nor a large kmalloc"));
	kfree(large);

	struct kmem_cache *fake = kzalloc(sizeof(*fake), GFP_KERNEL);
	mark = log_mark();
	kmem_cache_destroy(fake);			/* memory, but no cache */
	assert_true(log_has(mark, "not a slab cache"));
	kfree(fake);

	kmem_cache_free(a, x);
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
	test_shutdown(&tm);
}

/* DEBUG=1 builds walk the whole freelist on free and poison free objects:
 * a double free of an object deep in the freelist and a write after free
 * are caught. Without DEBUG the first would corrupt the freelist, so the
 * case only runs in debug builds. */
static void test_debug_catches_deep_double_free_and_write_after_free(void **state)
{
#if VM_DEBUG >= 1
	struct test_machine tm;
	struct kmem_cache *s;
	uint64_t mark;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	s = kmem_cache_create("debugged", 64, 0, 0, NULL);
	uint8_t *a = kmem_cache_alloc(s, GFP_KERNEL);
	uint8_t *b = kmem_cache_alloc(s, GFP_KERNEL);
	uint8_t *keep = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_free(s, a);
	kmem_cache_free(s, b);		/* freelist: b -> a -> ... */
	mark = log_mark();
	kmem_cache_free(s, a);		/* a is not the head: only the walk sees it */
	assert_true(log_has(mark, "BUG debugged (Not tainted): Object already free"));
	assert_int_equal(slab_violations(), 0);

	b[10] = 1;			/* b is the next object handed out */
	mark = log_mark();
	assert_ptr_equal(kmem_cache_alloc(s, GFP_KERNEL), b);
	assert_true(log_has(mark, "BUG debugged (Not tainted): Poison overwritten"));
	kmem_cache_free(s, b);
	kmem_cache_free(s, keep);
	kmem_cache_destroy(s);
	test_shutdown(&tm);
#else
	(void)state;
	skip();
#endif
}

/* validate_slab sees what a stray write does to a slab. */
static void test_validate_slab_catches_corruption(void **state)
{
	struct test_machine tm;
	struct kmem_cache *s;
	void *o[3];

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	s = kmem_cache_create("victim", 128, 0, 0, NULL);
	for (unsigned i = 0; i < 3; i++)
		o[i] = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_free(s, o[1]);	/* o[1] heads the freelist: its word links on */
	assert_int_equal(slab_violations(), 0);

	uint32_t *fp = o[1], saved = *fp;
	*fp = 100;			/* not an object start */
	assert_true(slab_violations() > 0);
	*fp = 128;			/* itself: a loop */
	assert_true(slab_violations() > 0);
	*fp = saved;
	assert_int_equal(slab_violations(), 0);

	s->inuse++;
	assert_true(slab_violations() > 0);
	s->inuse--;

	struct page *head = virt_to_page(o[0]);
	head->private++;
	assert_true(slab_violations() > 0);
	head->private--;

	/* A slab nobody lists. */
	uint32_t first = s->partial.next;
	s->partial.next = s->partial.prev = PFN_NIL;
	assert_true(slab_violations() > 0);
	s->partial.next = s->partial.prev = first;

	/* The node counter against the slabs. */
	mod_node_page_state(NR_SLAB_UNRECLAIMABLE, 1);
	assert_true(slab_violations() > 0);
	mod_node_page_state(NR_SLAB_UNRECLAIMABLE, -1);
	assert_int_equal(slab_violations(), 0);

	kmem_cache_free(s, o[0]);
	kmem_cache_free(s, o[2]);
	kmem_cache_destroy(s);
	test_shutdown(&tm);
}

/* A process that dies holding a cache's lock halfway through an
 * allocation (object popped, slab unlinked, counters not yet moved): the
 * next locker finds the owner gone and rebuilds the cache from its slabs.
 * The half-taken object counts as in use (leaked, never handed out twice);
 * everything else is as it was. */
static void test_dead_cache_lock_owner_repaired(void **state)
{
	enum { N = 200 };
	static void *objs[N];
	struct test_machine tm;
	struct kmem_cache *s;
	int pipefd[2], status;
	uint64_t mark, inuse;
	pid_t pid;
	char c;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	s = kmem_cache_create("orphaned", 300, 0, 0, NULL);
	for (unsigned i = 0; i < N; i++)
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (unsigned i = 0; i < N; i += 3) {
		kmem_cache_free(s, objs[i]);
		objs[i] = NULL;
	}
	inuse = s->inuse;
	unsigned long pfn = s->partial.next;
	struct page *slab = pfn_to_page(pfn);
	uint8_t *popped = (uint8_t *)page_address(slab) + slab->index;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		vm_lock_acquire(&s->lock);
		slab->index = *(uint32_t *)popped;
		pfn_list_del(&s->partial, pfn);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(2);
		_exit(0);	/* dies holding the lock */
	}
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true((s->lock.word & VM_LOCK_TID_MASK) == (uint32_t)pid);

	mark = log_mark();
	void *p = kmem_cache_alloc(s, GFP_KERNEL);
	assert_non_null(p);
	assert_ptr_not_equal(p, popped);
	assert_true(log_has(mark, "kmem_cache orphaned: lock owner died; rebuilt"));
	assert_int_equal(s->inuse, inuse + 2);
	assert_machine_valid();

	kmem_cache_free(s, popped);	/* the leaked object is a live one */
	kmem_cache_free(s, p);
	for (unsigned i = 0; i < N; i++)
		kmem_cache_free(s, objs[i]);
	kmem_cache_destroy(s);
	close(pipefd[0]);
	close(pipefd[1]);
	test_shutdown(&tm);
}

/* Several processes kmalloc and kfree on one machine at once: nobody gets
 * an object another holds (each stamps its objects and checks the stamps). */
#define MP_WORKERS 4
#define MP_ROUNDS 20000

static int mp_worker(unsigned id, struct kmem_cache *shared)
{
	uint32_t *mine[64] = { 0 };
	unsigned seed = id * 7919 + 1, len[64];

	alarm(120);	/* a hang fails the test instead of blocking it */
	for (unsigned r = 0; r < MP_ROUNDS; r++) {
		unsigned slot = rnd(&seed) & 63;

		if (mine[slot]) {
			for (unsigned i = 0; i < len[slot] / 4; i++)
				if (mine[slot][i] != (id << 24 | slot << 16 | i))
					return 3;	/* someone else wrote our object */
			if (slot & 1)
				kmem_cache_free(shared, mine[slot]);
			else
				kfree(mine[slot]);
			mine[slot] = NULL;
		} else {
			if (slot & 1) {
				len[slot] = 48;
				mine[slot] = kmem_cache_alloc(shared, GFP_KERNEL);
			} else {
				len[slot] = 4 + rnd(&seed) % 10000;
				mine[slot] = kmalloc(len[slot], GFP_KERNEL | __GFP_NOWARN);
			}
			if (!mine[slot])
				return 4;
			for (unsigned i = 0; i < len[slot] / 4; i++)
				mine[slot][i] = id << 24 | slot << 16 | i;
		}
	}
	for (unsigned slot = 0; slot < 64; slot++)
		if (mine[slot]) {
			if (slot & 1)
				kmem_cache_free(shared, mine[slot]);
			else
				kfree(mine[slot]);
		}
	return 0;
}

static void test_processes_share_caches(void **state)
{
	struct test_machine tm;
	pid_t pids[MP_WORKERS];
	struct kmem_cache *s;
	int status;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	s = kmem_cache_create("shared", 48, 0, 0, NULL);
	for (unsigned i = 0; i < MP_WORKERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0)
			_exit(mp_worker(i + 1, s));
	}
	for (unsigned i = 0; i < MP_WORKERS; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(s->inuse, 0);
	assert_int_equal(s->nr_slabs, 0);
	kmem_cache_destroy(s);
	test_shutdown(&tm);
}

/* The same allocator on a PAE machine with HighMem (the one case that
 * needs a machine above 896 MiB): slabs and large kmallocs stay in lowmem
 * even when the caller's gfp allows HighMem. */
static void test_pae_machine_slabs_in_lowmem(void **state)
{
	enum { N = 2000 };
	static void *objs[N];
	struct test_machine tm;

	(void)state;
	test_boot(&tm, 960 * MiB, VM_MODE_PAE);
	assert_true(max_low_pfn < max_pfn);
	for (unsigned i = 0; i < N; i++) {
		objs[i] = kmalloc(1 + i * 37 % 20000, GFP_HIGHUSER);	/* __GFP_HIGHMEM ignored */
		assert_non_null(objs[i]);
		assert_true(page_to_pfn(virt_to_page(objs[i])) < max_low_pfn);
		memset(objs[i], 0x11, 1 + i * 37 % 20000);
	}
	assert_machine_valid();
	shuffle(objs, N, 99);
	for (unsigned i = 0; i < N; i++)
		kfree(objs[i]);
	test_shutdown(&tm);
}

static int teardown(void **state)
{
	return test_teardown_destroy(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_boot_sets_up_cache_of_caches_and_kmalloc, teardown),
		cmocka_unit_test_teardown(test_kmalloc_size_classes, teardown),
		cmocka_unit_test_teardown(test_kmalloc_large_uses_pages, teardown),
		cmocka_unit_test_teardown(test_cache_create_alloc_free_destroy, teardown),
		cmocka_unit_test_teardown(test_cache_geometry_and_order, teardown),
		cmocka_unit_test_teardown(test_objects_distinct_and_aligned, teardown),
		cmocka_unit_test_teardown(test_partial_full_and_empty_slab_returns_frames, teardown),
		cmocka_unit_test_teardown(test_destroy_with_live_objects_refused, teardown),
		cmocka_unit_test_teardown(test_zalloc_zeroes, teardown),
		cmocka_unit_test_teardown(test_many_objects_across_slabs, teardown),
		cmocka_unit_test_teardown(test_slab_counters_up_and_back, teardown),
		cmocka_unit_test_teardown(test_bad_frees_refused_and_logged, teardown),
		cmocka_unit_test_teardown(test_debug_catches_deep_double_free_and_write_after_free, teardown),
		cmocka_unit_test_teardown(test_validate_slab_catches_corruption, teardown),
		cmocka_unit_test_teardown(test_dead_cache_lock_owner_repaired, teardown),
		cmocka_unit_test_teardown(test_processes_share_caches, teardown),
		cmocka_unit_test_teardown(test_pae_machine_slabs_in_lowmem, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
