/* test_page_alloc.c - the buddy allocator: split, merge, every order,
 * zones and their fallback, GFP zone modifiers, watermarks, per-CPU lists,
 * compound pages, robust locks, and several processes at once. Each case
 * boots a fresh machine and ends with every frame back and check clean.
 */
#include <signal.h>
#include <sys/wait.h>

#include "common.h"
#include "../../libvm/internal.h"

#define MiB (1ULL << 20)

static struct zone *zone(enum zone_type z)
{
	return &NODE_DATA()->node_zones[z];
}

static void snapshot_nr_free(enum zone_type z, uint64_t out[MAX_ORDER])
{
	for (unsigned o = 0; o < MAX_ORDER; o++)
		out[o] = zone(z)->free_area[o].nr_free;
}

/* A stack of allocations to give back at the end of a case. */
struct held {
	struct page *page[300000];
	unsigned order[300000];
	unsigned n;
};
static struct held held;

static void hold(struct page *p, unsigned order)
{
	assert_true(held.n < 300000);
	held.page[held.n] = p;
	held.order[held.n++] = order;
}

static void release_all(void)
{
	while (held.n) {
		held.n--;
		__free_pages(held.page[held.n], held.order[held.n]);
	}
}

static int teardown(void **state)
{
	held.n = 0;	/* a failed case's frames went with its machine */
	return test_teardown_destroy(state);
}

static void test_boot_free_count_is_ram_minus_memblock(void **state)
{
	struct test_machine tm;
	unsigned long managed = 0;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	for (unsigned z = 0; z < MAX_NR_ZONES; z++)
		managed += zone(z)->managed_pages;
	assert_int_equal(max_pfn, 16384);
	/* The buddy allocator got every frame memblock did not reserve... */
	assert_int_equal(managed, max_pfn - vm_boot_block->reserved_pages);
	/* ...and boot itself took a few since (the first slabs), as Linux's
	 * kmem_cache_init does: count them exactly from the slab counters. */
	assert_int_equal(tm.boot_free + global_node_page_state(NR_SLAB_UNRECLAIMABLE) +
			 global_node_page_state(NR_SLAB_RECLAIMABLE) +
			 global_node_page_state(NR_PAGETABLE) + global_node_page_state(NR_VMALLOC),
			 managed);
	/* 64 MiB: DMA is the first 16 MiB, Normal the rest, no HighMem. */
	assert_int_equal(zone(ZONE_DMA)->spanned_pages, 4096);
	assert_int_equal(zone(ZONE_NORMAL)->spanned_pages, 12288);
	assert_int_equal(zone(ZONE_HIGHMEM)->spanned_pages, 0);
	/* mem_map: 32 bytes per frame = 128 frames for 16384 frames. */
	assert_int_equal(vm_boot_block->mem_map_pages, 128);
	test_shutdown(&tm);
}

/* Taking an order-3 block splits the smallest larger block: one block off
 * that order, one more on each order between. */
static void test_alloc_splits_smallest_block(void **state)
{
	struct test_machine tm;
	uint64_t before[MAX_ORDER], after[MAX_ORDER];
	unsigned o, k;
	struct page *p;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	snapshot_nr_free(ZONE_NORMAL, before);
	for (k = 3; k < MAX_ORDER && !before[k]; k++)
		;
	assert_true(k < MAX_ORDER);
	p = alloc_pages(GFP_KERNEL, 3);
	assert_non_null(p);
	assert_int_equal(page_zonenum(p), ZONE_NORMAL);
	assert_int_equal(page_to_pfn(p) & 7, 0);
	snapshot_nr_free(ZONE_NORMAL, after);
	for (o = 0; o < MAX_ORDER; o++) {
		uint64_t expect = before[o];
		if (o == k)
			expect--;
		else if (o >= 3 && o < k)
			expect++;
		assert_int_equal(after[o], expect);
	}
	/* Freeing merges it all the way back. */
	__free_pages(p, 3);
	snapshot_nr_free(ZONE_NORMAL, after);
	assert_memory_equal(before, after, sizeof(before));
	test_shutdown(&tm);
}

/* pfn p p+1 | p+2 p+3 : an order-1 block whose buddy (p ^ 2) is free at
 * order 1 merges with it when freed. */
static void test_free_pages_merges_buddies(void **state)
{
	struct test_machine tm;
	unsigned long pfn, buddy;
	struct page *p;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	p = alloc_pages(GFP_KERNEL, 1);
	assert_non_null(p);
	pfn = page_to_pfn(p);
	buddy = pfn ^ 2;
	assert_true(PageBuddy(pfn_to_page(buddy)));
	assert_int_equal(pfn_to_page(buddy)->private, 1);
	assert_false(PageBuddy(p));
	__free_pages(p, 1);
	/* The pair is gone from order 1: merged upward. */
	assert_false(PageBuddy(pfn_to_page(buddy)) && pfn_to_page(buddy)->private == 1);
	assert_machine_valid();
	test_shutdown(&tm);
}

static void test_every_order_aligned_and_returned(void **state)
{
	struct test_machine tm;
	uint64_t before[MAX_ORDER], after[MAX_ORDER];

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	snapshot_nr_free(ZONE_NORMAL, before);
	for (unsigned o = 1; o < MAX_ORDER; o++) {
		struct page *p = alloc_pages(GFP_KERNEL, o);

		assert_non_null(p);
		assert_int_equal(page_to_pfn(p) & ((1UL << o) - 1), 0);
		assert_int_equal(page_ref_count(p), 1);
		__free_pages(p, o);
		snapshot_nr_free(ZONE_NORMAL, after);
		assert_memory_equal(before, after, sizeof(before));
	}
	/* Order 0 goes through the per-CPU list, and MAX_ORDER is refused. */
	struct page *p = alloc_pages(GFP_KERNEL, 0);
	assert_non_null(p);
	__free_pages(p, 0);
	assert_null(alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_ORDER));
	test_shutdown(&tm);
}

/* Allocate until refused: the zones stop at their min watermark, an atomic
 * allocation may dig deeper, and every frame comes back. */
static void test_exhaustion_refused_at_watermark_and_recovers(void **state)
{
	struct test_machine tm;
	unsigned long got = 0, atomic_got = 0;
	struct page *p;

	(void)state;
	test_boot(&tm, 16 * MiB, VM_MODE_I386);
	while ((p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0))) {
		hold(p, 0);
		got++;
	}
	assert_true(got > 3000);
	/* Refused with frames still free: the min watermark holds them back. */
	unsigned long free_now = zone_page_state(zone(ZONE_DMA), NR_FREE_PAGES);
	assert_true(free_now > 0);
	assert_true(free_now <= zone(ZONE_DMA)->_watermark[WMARK_MIN]);
	while ((p = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 0))) {
		hold(p, 0);
		atomic_got++;
	}
	assert_true(atomic_got > 0);
	/* Atomic stops at min - min/2 - min/8 = 3/8 of min. */
	free_now = zone_page_state(zone(ZONE_DMA), NR_FREE_PAGES);
	assert_true(free_now <= zone(ZONE_DMA)->_watermark[WMARK_MIN] * 3 / 8 + 1);
	assert_true(free_now > 0);
	release_all();
	/* Recovery: allocation works again. */
	p = alloc_pages(GFP_KERNEL, 2);
	assert_non_null(p);
	__free_pages(p, 2);
	test_shutdown(&tm);
}

static void test_watermarks_derived_as_linux(void **state)
{
	struct test_machine tm;
	unsigned long lowmem = 0;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	lowmem = zone(ZONE_DMA)->managed_pages + zone(ZONE_NORMAL)->managed_pages;
	/* min_free_kbytes = sqrt(lowmem KiB * 16) */
	unsigned long kb = 0;
	while ((kb + 1) * (kb + 1) <= lowmem * 4 * 16)
		kb++;
	assert_int_equal(vm_boot_block->min_free_kbytes, kb);
	unsigned long pages_min = kb / 4;
	for (unsigned z = ZONE_DMA; z <= ZONE_NORMAL; z++) {
		struct zone *zz = zone(z);
		assert_int_equal(zz->_watermark[WMARK_MIN], pages_min * zz->managed_pages / lowmem);
		assert_true(zz->_watermark[WMARK_LOW] > zz->_watermark[WMARK_MIN]);
		assert_int_equal(zz->_watermark[WMARK_HIGH] - zz->_watermark[WMARK_LOW],
				 zz->_watermark[WMARK_LOW] - zz->_watermark[WMARK_MIN]);
	}
	/* DMA keeps 1/256 of Normal back from allocations that could use Normal. */
	assert_int_equal(zone(ZONE_DMA)->lowmem_reserve[ZONE_NORMAL],
			 zone(ZONE_NORMAL)->managed_pages / 256);
	assert_int_equal(zone(ZONE_NORMAL)->lowmem_reserve[ZONE_NORMAL], 0);
	test_shutdown(&tm);
}

static void test_gfp_dma_only_from_dma(void **state)
{
	struct test_machine tm;
	struct page *p;
	unsigned long n = 0;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	while ((p = alloc_pages(GFP_DMA | GFP_KERNEL | __GFP_NOWARN, 0))) {
		assert_true(page_to_pfn(p) < 4096);
		assert_int_equal(page_zonenum(p), ZONE_DMA);
		hold(p, 0);
		n++;
	}
	assert_true(n > 3000);
	/* DMA is spent while Normal still has thousands of frames. */
	assert_true(zone_page_state(zone(ZONE_NORMAL), NR_FREE_PAGES) > 8000);
	release_all();
	test_shutdown(&tm);
}

/* GFP_KERNEL prefers Normal and falls back to DMA once Normal is down to
 * its low watermark (the fast path), then takes each zone down to min (the
 * slow path), never past the DMA zone's lowmem reserve. */
static void test_zone_fallback_order(void **state)
{
	struct test_machine tm;
	struct page *p;
	bool seen_dma = false;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	while ((p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0))) {
		if (page_zonenum(p) == ZONE_DMA && !seen_dma) {
			seen_dma = true;
			assert_true(zone_page_state(zone(ZONE_NORMAL), NR_FREE_PAGES) <=
				    zone(ZONE_NORMAL)->_watermark[WMARK_LOW]);
		}
		hold(p, 0);
	}
	assert_true(seen_dma);
	assert_true(zone_page_state(zone(ZONE_NORMAL), NR_FREE_PAGES) <=
		    zone(ZONE_NORMAL)->_watermark[WMARK_MIN]);
	/* DMA stopped at min plus the reserve it keeps from Normal-capable
	 * allocations: a GFP_DMA allocation may still have some. */
	assert_true(zone_page_state(zone(ZONE_DMA), NR_FREE_PAGES) >
		    zone(ZONE_DMA)->_watermark[WMARK_MIN]);
	p = alloc_pages(GFP_DMA, 0);
	assert_non_null(p);
	hold(p, 0);
	release_all();
	test_shutdown(&tm);
}

/* On a machine above 896 MiB: HighMem only with __GFP_HIGHMEM, where it
 * comes first; the zonelist is HighMem -> Normal -> DMA. */
static void test_highmem_only_with_gfp_highmem(void **state)
{
	struct test_machine tm;
	struct page *p;
	unsigned long i, high = 0;
	int last_zone = ZONE_HIGHMEM;

	(void)state;
	test_boot(&tm, 960 * MiB, VM_MODE_I386);
	assert_int_equal(max_low_pfn, (896 * MiB) >> PAGE_SHIFT);
	assert_int_equal(zone(ZONE_HIGHMEM)->spanned_pages, (64 * MiB) >> PAGE_SHIFT);
	for (i = 0; i < 20000; i++) {
		p = alloc_pages(GFP_KERNEL, 0);
		assert_non_null(p);
		assert_int_not_equal(page_zonenum(p), ZONE_HIGHMEM);
		assert_false(PageHighMem(p));
		assert_non_null(page_address(p));
		hold(p, 0);
	}
	release_all();
	while ((p = alloc_pages(GFP_HIGHUSER | __GFP_NOWARN, 0))) {
		int z = page_zonenum(p);
		assert_true(z <= last_zone);	/* never back up the zonelist */
		last_zone = z;
		if (z == ZONE_HIGHMEM) {
			assert_true(PageHighMem(p));
			assert_null(page_address(p));
			high++;
		}
		hold(p, 0);
		if (z == ZONE_NORMAL)
			break;			/* fallen back: enough seen */
	}
	assert_true(high > 15000);
	assert_int_equal(last_zone, ZONE_NORMAL);
	release_all();
	test_shutdown(&tm);
}

static void test_pcp_lists_hold_frames_until_drained(void **state)
{
	struct test_machine tm;
	struct page *p[8];
	unsigned long pcp_total = 0;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	for (int i = 0; i < 8; i++)
		assert_non_null(p[i] = alloc_pages(GFP_KERNEL, 0));
	for (int i = 0; i < 8; i++)
		__free_pages(p[i], 0);
	for (unsigned cpu = 0; cpu < vm_boot_block->nr_cpus; cpu++)
		pcp_total += (unsigned long)zone(ZONE_NORMAL)->pcp[cpu].count;
	assert_true(pcp_total > 0);
	assert_true(pcp_total <= (unsigned long)zone(ZONE_NORMAL)->pcp[0].high * vm_boot_block->nr_cpus);
	assert_int_equal(nr_free_frames(), nr_free_pages() + pcp_total);
	assert_true(PagePcp(p[7]) || PageBuddy(p[7]) || !page_ref_count(p[7]));
	drain_all_pages();
	for (unsigned cpu = 0; cpu < VM_NR_CPUS; cpu++)
		assert_int_equal(zone(ZONE_NORMAL)->pcp[cpu].count, 0);
	assert_int_equal(nr_free_frames(), nr_free_pages());
	assert_int_equal(nr_free_pages(), tm.boot_free);
	test_shutdown(&tm);
}

static void test_compound_page_head_and_tails(void **state)
{
	struct test_machine tm;
	struct page *p;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_PAE);
	p = alloc_pages(GFP_KERNEL | __GFP_COMP, 3);
	assert_non_null(p);
	assert_true(PageHead(p));
	assert_int_equal(compound_order(p), 3);
	for (int i = 1; i < 8; i++) {
		assert_true(PageTail(p + i));
		assert_ptr_equal(compound_head(p + i), p);
	}
	/* put_page on a tail frees the whole compound page. */
	put_page(p + 5);
	assert_false(PageHead(p));
	assert_false(PageTail(p + 5));
	test_shutdown(&tm);
}

static void test_zeroed_page_and_refcount(void **state)
{
	struct test_machine tm;
	unsigned long addr;
	struct page *p;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	addr = __get_free_page(GFP_KERNEL);
	assert_true(addr != 0);
	memset((void *)addr, 0xa5, PAGE_SIZE);
	free_page(addr);
	/* The hot per-CPU list hands the same frame back: zeroed on request. */
	addr = get_zeroed_page(GFP_KERNEL);
	assert_true(addr != 0);
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(((unsigned char *)addr)[i], 0);
	p = virt_to_page((void *)addr);
	get_page(p);
	assert_int_equal(page_ref_count(p), 2);
	free_page(addr);
	assert_int_equal(page_ref_count(p), 1);
	assert_false(PagePcp(p));
	free_page(addr);
	test_shutdown(&tm);
}

/* A process that dies holding zone->lock: the next locker gets the lock,
 * rebuilds the free lists from page flags, and the machine stays whole. */
static void test_dead_zone_lock_owner_repaired(void **state)
{
	struct test_machine tm;
	int pipefd[2], status;
	pid_t pid;
	char c;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		vm_lock_acquire(&zone(ZONE_NORMAL)->lock);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(2);
		_exit(0);	/* dies holding the lock */
	}
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true((zone(ZONE_NORMAL)->lock.word & VM_LOCK_TID_MASK) == (uint32_t)pid);
	/* No reaper marked it: the locker finds the owner gone by itself. */
	struct page *p = alloc_pages(GFP_KERNEL, 2);
	assert_non_null(p);
	__free_pages(p, 2);
	assert_false(zone(ZONE_NORMAL)->lock.word & VM_LOCK_OWNER_DIED);
	close(pipefd[0]);
	close(pipefd[1]);
	test_shutdown(&tm);
}

/* The supervisor's way: mark a dead child's locks before reaping it. */
static void test_reaper_marks_dead_owner_locks(void **state)
{
	struct test_machine tm;
	int pipefd[2];
	siginfo_t si;
	pid_t pid;
	char c;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		vm_lock_acquire(&zone(ZONE_DMA)->lock);
		vm_lock_acquire(&zone(ZONE_NORMAL)->pcp[0].lock);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(2);
		pause();
		_exit(0);
	}
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	kill(pid, SIGKILL);
	assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	/* marked, and the free lists repaired at once: both locks free */
	assert_int_equal(vm_lock_mark_dead_owner(pid), 2);
	assert_int_equal(zone(ZONE_DMA)->lock.word, 0);
	assert_int_equal(zone(ZONE_NORMAL)->pcp[0].lock.word, 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	drain_all_pages();
	struct page *p = alloc_pages(GFP_DMA, 1);
	assert_non_null(p);
	__free_pages(p, 1);
	close(pipefd[0]);
	close(pipefd[1]);
	test_shutdown(&tm);
}

/* 2-4 processes allocating and freeing on one machine at once: nobody gets
 * a frame another holds (each stamps its frames and checks the stamps),
 * and every frame is free at the end. */
#define MP_WORKERS 4
#define MP_ROUNDS 20000

static int mp_worker(unsigned id)
{
	struct page *mine[64] = { 0 };
	unsigned order[64];
	unsigned seed = id * 7919 + 1;

	alarm(120);	/* a hang fails the test instead of blocking it */
	for (unsigned r = 0; r < MP_ROUNDS; r++) {
		unsigned slot = (seed = seed * 1103515245 + 12345) >> 16 & 63;

		if (mine[slot]) {
			uint32_t *w = page_address(mine[slot]);
			for (unsigned i = 0; i < (1u << order[slot]); i++)
				if (w[i * 1024] != (id << 24 | slot << 16 | i))
					return 3;	/* someone else wrote our frame */
			__free_pages(mine[slot], order[slot]);
			mine[slot] = NULL;
		} else {
			order[slot] = (seed >> 8) % 4;
			mine[slot] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order[slot]);
			if (!mine[slot])
				continue;
			uint32_t *w = page_address(mine[slot]);
			for (unsigned i = 0; i < (1u << order[slot]); i++)
				w[i * 1024] = id << 24 | slot << 16 | i;
		}
	}
	for (unsigned s = 0; s < 64; s++)
		if (mine[s])
			__free_pages(mine[s], order[s]);
	return 0;
}

static void test_processes_share_one_allocator(void **state)
{
	struct test_machine tm;
	pid_t pids[MP_WORKERS];
	int status;

	(void)state;
	test_boot(&tm, 64 * MiB, VM_MODE_I386);
	for (unsigned i = 0; i < MP_WORKERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0)
			_exit(mp_worker(i + 1));
	}
	for (unsigned i = 0; i < MP_WORKERS; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	test_shutdown(&tm);
}

static void test_boot_refuses_bad_sizes(void **state)
{
	struct vm_boot_opts o = { .ram_bytes = 8 * MiB };

	(void)state;
	assert_int_equal(vm_boot(&o), -EINVAL);
	assert_non_null(strstr(vm_strerror(), "16M"));
	o.ram_bytes = 5ULL << 30;
	assert_int_equal(vm_boot(&o), -EINVAL);
	assert_non_null(strstr(vm_strerror(), "pae"));
	o.mode = VM_MODE_PAE;
	o.ram_bytes = 65ULL << 30;
	assert_int_equal(vm_boot(&o), -EINVAL);
	o.ram_bytes = 64 * MiB;
	o.mode = 7;
	assert_int_equal(vm_boot(&o), -EINVAL);
	assert_int_equal(vm_parse_size("64M"), 64 * MiB);
	assert_int_equal(vm_parse_size("4G"), 4ULL << 30);
	assert_int_equal(vm_parse_size("16384K"), 16 * MiB);
	assert_int_equal(vm_parse_size("12x"), -1);
	assert_int_equal(vm_parse_size(""), -1);
	assert_int_equal(vm_parse_size("-5M"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_boot_free_count_is_ram_minus_memblock, teardown),
		cmocka_unit_test_teardown(test_alloc_splits_smallest_block, teardown),
		cmocka_unit_test_teardown(test_free_pages_merges_buddies, teardown),
		cmocka_unit_test_teardown(test_every_order_aligned_and_returned, teardown),
		cmocka_unit_test_teardown(test_exhaustion_refused_at_watermark_and_recovers, teardown),
		cmocka_unit_test_teardown(test_watermarks_derived_as_linux, teardown),
		cmocka_unit_test_teardown(test_gfp_dma_only_from_dma, teardown),
		cmocka_unit_test_teardown(test_zone_fallback_order, teardown),
		cmocka_unit_test_teardown(test_highmem_only_with_gfp_highmem, teardown),
		cmocka_unit_test_teardown(test_pcp_lists_hold_frames_until_drained, teardown),
		cmocka_unit_test_teardown(test_compound_page_head_and_tails, teardown),
		cmocka_unit_test_teardown(test_zeroed_page_and_refcount, teardown),
		cmocka_unit_test_teardown(test_dead_zone_lock_owner_repaired, teardown),
		cmocka_unit_test_teardown(test_reaper_marks_dead_owner_locks, teardown),
		cmocka_unit_test_teardown(test_processes_share_one_allocator, teardown),
		cmocka_unit_test(test_boot_refuses_bad_sizes),
	};

	return cmocka_run_group_tests_name("page_alloc", tests, NULL, NULL);
}
