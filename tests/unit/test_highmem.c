/* test_highmem.c - frames above 896 MiB: the HighMem zone, kmap and
 * kmap_atomic windows onto them, clear/copy_highpage, and vmalloc over
 * HighMem frames. Each case boots a fresh 960 MiB machine (64 MiB of
 * HighMem) in i386 and in pae, and checks what it wrote against the RAM
 * file itself, read with pread.
 */
#include <fcntl.h>
#include <sched.h>

#include "common.h"
#include "../../libvm/internal.h"

#define MiB (1ULL << 20)
#define RAM (960 * MiB)


static void boot(struct test_machine *tm, void **state)
{
	test_boot(tm, RAM, *(int *)*state);
}

/* The frame's bytes as the RAM file holds them. */
static void read_frame(struct page *page, void *buf)
{
	int fd = open(vm_ram_path(), O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, PAGE_SIZE, (off_t)page_to_pfn(page) << PAGE_SHIFT),
			 PAGE_SIZE);
	close(fd);
}

static struct page *alloc_high(void)
{
	struct page *page = alloc_page(GFP_HIGHUSER);

	assert_non_null(page);
	assert_true(PageHighMem(page));
	return page;
}

static void fill(void *p, unsigned seed)
{
	uint32_t *w = p;
	unsigned i;

	for (i = 0; i < PAGE_SIZE / 4; i++)
		w[i] = seed * 2654435761u + i;
}

static void test_highmem_zone_exists(void **state)
{
	struct test_machine tm;
	struct zone *hz;

	boot(&tm, state);
	hz = &NODE_DATA()->node_zones[ZONE_HIGHMEM];
	assert_int_equal(max_low_pfn, (896 * MiB) >> PAGE_SHIFT);
	assert_int_equal(max_pfn, RAM >> PAGE_SHIFT);
	assert_int_equal(hz->zone_start_pfn, max_low_pfn);
	assert_int_equal(hz->spanned_pages, (64 * MiB) >> PAGE_SHIFT);
	assert_true(hz->managed_pages > 0);
	test_shutdown(&tm);
}

/* GFP_HIGHUSER prefers HighMem; such a frame has no direct-map address. */
static void test_alloc_highuser_gives_highmem_frame(void **state)
{
	struct test_machine tm;
	struct page *page;

	boot(&tm, state);
	page = alloc_high();
	assert_true(page_to_pfn(page) >= max_low_pfn);
	assert_null(page_address(page));
	__free_page(page);
	test_shutdown(&tm);
}

/* Without __GFP_HIGHMEM, never a HighMem frame, even with HighMem free. */
static void test_alloc_without_highmem_flag_never_highmem(void **state)
{
	enum { N = 4000 };
	static struct page *pages[N];
	struct test_machine tm;
	unsigned i;

	boot(&tm, state);
	for (i = 0; i < N; i++) {
		pages[i] = alloc_page(i & 1 ? GFP_KERNEL : GFP_USER);
		assert_non_null(pages[i]);
		assert_false(PageHighMem(pages[i]));
		assert_non_null(page_address(pages[i]));
	}
	for (i = 0; i < N; i++)
		__free_page(pages[i]);
	test_shutdown(&tm);
}

/* What is written through kmap is in the frame: seen by a second kmap (the
 * same slot), by kmap_atomic, and in the RAM file. */
static void test_kmap_is_writable_and_seen_everywhere(void **state)
{
	static uint8_t want[PAGE_SIZE], got[PAGE_SIZE];
	struct test_machine tm;
	struct page *page;
	uint8_t *k1, *k2, *a;

	boot(&tm, state);
	page = alloc_high();
	k1 = kmap(page);
	assert_non_null(k1);
	fill(want, 1);
	memcpy(k1, want, PAGE_SIZE);
	k2 = kmap(page);
	assert_ptr_equal(k1, k2);	/* one slot per frame, counted */
	assert_memory_equal(k2, want, PAGE_SIZE);
	a = kmap_atomic(page);
	assert_ptr_not_equal(a, k1);
	assert_memory_equal(a, want, PAGE_SIZE);
	a[7] = 0x77;
	kunmap_atomic(a);
	assert_int_equal(k1[7], 0x77);
	want[7] = 0x77;
	read_frame(page, got);
	assert_memory_equal(got, want, PAGE_SIZE);
	kunmap(page);
	kunmap(page);
	/* host_to_kva of a kmap address lies in pkmap, of kmap_atomic's in the fixmap */
	assert_true(host_to_kva(k1) >= PKMAP_BASE && host_to_kva(k1) < FIXADDR_START);
	__free_page(page);
	test_shutdown(&tm);
}

/* A lowmem frame needs no window: kmap and kmap_atomic give its
 * direct-map address. */
static void test_kmap_of_lowmem_is_page_address(void **state)
{
	struct test_machine tm;
	struct page *page;
	void *a;

	boot(&tm, state);
	page = alloc_page(GFP_KERNEL);
	assert_ptr_equal(kmap(page), page_address(page));
	kunmap(page);
	a = kmap_atomic(page);
	assert_ptr_equal(a, page_address(page));
	kunmap_atomic(a);
	__free_page(page);
	test_shutdown(&tm);
}

/* More kmap/kunmap rounds than there are slots: idle slots are reused. */
static void test_kmap_reuses_idle_slots(void **state)
{
	enum { N = 1100 };
	static struct page *pages[N];
	struct test_machine tm;
	unsigned i;

	boot(&tm, state);
	for (i = 0; i < N; i++) {
		uint32_t *k;

		pages[i] = alloc_high();
		k = kmap(pages[i]);
		*k = i;
		kunmap(pages[i]);
	}
	for (i = 0; i < N; i++) {
		uint32_t *k = kmap(pages[i]);

		assert_int_equal(*k, i);
		kunmap(pages[i]);
		__free_page(pages[i]);
	}
	test_shutdown(&tm);
}

/* kmap_atomic nests KM_MAX_IDX deep, each level its own window. */
static void test_kmap_atomic_nests_to_km_max_idx(void **state)
{
	static uint8_t got[PAGE_SIZE];
	struct page *pages[KM_MAX_IDX];
	uint32_t *k[KM_MAX_IDX];
	struct test_machine tm;
	int i, j;

	boot(&tm, state);
	for (i = 0; i < KM_MAX_IDX; i++) {
		pages[i] = alloc_high();
		k[i] = kmap_atomic(pages[i]);
		assert_int_equal(host_to_kva(k[i]), fix_to_virt(FIX_KMAP_BEGIN + i));
		for (j = 0; j < i; j++)
			assert_ptr_not_equal(k[i], k[j]);
		fill(k[i], 100 + i);
	}
	for (i = KM_MAX_IDX - 1; i >= 0; i--) {
		assert_int_equal(k[i][3], (100 + i) * 2654435761u + 3);
		kunmap_atomic(k[i]);
	}
	for (i = 0; i < KM_MAX_IDX; i++) {
		uint32_t want[PAGE_SIZE / 4];

		fill(want, 100 + i);
		read_frame(pages[i], got);
		assert_memory_equal(got, want, PAGE_SIZE);
		/* the same frame again at the same depth reuses the window */
		k[0] = kmap_atomic(pages[i]);
		assert_memory_equal(k[0], want, PAGE_SIZE);
		kunmap_atomic(k[0]);
		__free_page(pages[i]);
	}
	test_shutdown(&tm);
}

static void test_clear_and_copy_highpage(void **state)
{
	static uint8_t want[PAGE_SIZE], got[PAGE_SIZE], zero[PAGE_SIZE];
	struct page *src, *dst, *low;
	struct test_machine tm;
	void *k;

	boot(&tm, state);
	src = alloc_high();
	dst = alloc_high();
	low = alloc_page(GFP_KERNEL);
	fill(want, 7);
	k = kmap(src);
	memcpy(k, want, PAGE_SIZE);
	kunmap(src);

	copy_highpage(dst, src);		/* HighMem -> HighMem */
	read_frame(dst, got);
	assert_memory_equal(got, want, PAGE_SIZE);
	copy_highpage(low, src);		/* HighMem -> lowmem */
	assert_memory_equal(page_address(low), want, PAGE_SIZE);
	memset(page_address(low), 0x3c, PAGE_SIZE);
	copy_highpage(src, low);		/* lowmem -> HighMem */
	read_frame(src, got);
	assert_int_equal(got[100], 0x3c);

	clear_highpage(dst);
	read_frame(dst, got);
	assert_memory_equal(got, zero, PAGE_SIZE);
	clear_highpage(low);
	assert_memory_equal(page_address(low), zero, PAGE_SIZE);
	__free_page(src);
	__free_page(dst);
	__free_page(low);
	test_shutdown(&tm);
}

/* A frame that held data comes back zeroed with __GFP_ZERO, HighMem too
 * (page_alloc zeroes through clear_highpage). */
static void test_gfp_zero_clears_highmem_frame(void **state)
{
	static uint8_t zero[PAGE_SIZE];
	struct test_machine tm;
	struct page *page;
	unsigned long pfn;
	void *k;

	boot(&tm, state);
	page = alloc_high();
	pfn = page_to_pfn(page);
	k = kmap(page);
	memset(k, 0xee, PAGE_SIZE);
	kunmap(page);
	__free_page(page);
	/* the per-CPU list hands the same frame back first */
	page = alloc_page(GFP_HIGHUSER | __GFP_ZERO);
	assert_non_null(page);
	assert_int_equal(page_to_pfn(page), pfn);
	k = kmap_atomic(page);
	assert_memory_equal(k, zero, PAGE_SIZE);
	kunmap_atomic(k);
	__free_page(page);
	test_shutdown(&tm);
}

/* vmalloc prefers HighMem frames; the area reads and writes as one range
 * and matches each frame seen through kmap. */
static void test_vmalloc_over_highmem_frames(void **state)
{
	enum { N = 20 };
	struct test_machine tm;
	uint8_t *p;
	unsigned i;

	boot(&tm, state);
	p = vmalloc(N * PAGE_SIZE);
	assert_non_null(p);
	for (i = 0; i < N * PAGE_SIZE; i++)
		p[i] = (uint8_t)(i ^ (i >> 9));
	for (i = 0; i < N; i++) {
		struct page *page = vmalloc_to_page(p + i * PAGE_SIZE);
		uint8_t *k;

		assert_non_null(page);
		assert_true(PageHighMem(page));
		k = kmap(page);
		assert_memory_equal(k, p + i * PAGE_SIZE, PAGE_SIZE);
		kunmap(page);
	}
	assert_machine_valid();
	vfree(p);
	test_shutdown(&tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_highmem_zone_exists),
		BOTH(test_alloc_highuser_gives_highmem_frame),
		BOTH(test_alloc_without_highmem_flag_never_highmem),
		BOTH(test_kmap_is_writable_and_seen_everywhere),
		BOTH(test_kmap_of_lowmem_is_page_address),
		BOTH(test_kmap_reuses_idle_slots),
		BOTH(test_kmap_atomic_nests_to_km_max_idx),
		BOTH(test_clear_and_copy_highpage),
		BOTH(test_gfp_zero_clears_highmem_frame),
		BOTH(test_vmalloc_over_highmem_frames),
	};
	cpu_set_t one;

	/* Freed frames wait on the per-CPU list of the CPU that freed them:
	 * stay on one CPU so a case gets back the frame it just freed. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
