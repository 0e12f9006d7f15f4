/* test_page_io.c - a page to its swap slot and back: the bytes come back
 * (HighMem frames too), the counters move, a slot lies at its offset in
 * the file, a file that lost its slot gives EIO with Linux's log line, and
 * an entry no area holds is refused. Each case boots its own machine and
 * ends with every frame back, every area off and check clean.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "common.h"
#include <vm/swap.h>

#define MiB (1ULL << 20)

static void boot(struct test_machine *tm, void **state)
{
	/* 1 GiB in pae: HighMem frames to kmap; 64 MiB in i386 */
	int mode = *(int *)*state;

	test_boot(tm, mode == VM_MODE_PAE ? 1024 * MiB : 64 * MiB, mode);
}

static void tmp_swap(char *buf, size_t len, const char *tag)
{
	static unsigned seq;

	snprintf(buf, len, "/tmp/test-page-io-%d-%u-%s.swap", (int)getpid(), seq++, tag);
	unlink(buf);
}

static void fill(struct page *page, uint8_t seed)
{
	uint8_t *k = kmap(page);
	unsigned i;

	for (i = 0; i < PAGE_SIZE; i++)
		k[i] = (uint8_t)(seed + i * 7);
	kunmap(page);
}

static bool holds(struct page *page, uint8_t seed)
{
	uint8_t *k = kmap(page);
	bool same = true;
	unsigned i;

	for (i = 0; i < PAGE_SIZE && same; i++)
		same = k[i] == (uint8_t)(seed + i * 7);
	kunmap(page);
	return same;
}

static unsigned long event(enum vm_event_item item)
{
	uint64_t ev[NR_VM_EVENT_ITEMS];
	struct vm_view v;

	assert_int_equal(vm_self_view(&v), 0);
	vm_sum_events(&v, ev);
	return (unsigned long)ev[item];
}

/* Out and back in, lowmem and HighMem alike; the slot is at its offset. */
static void test_page_round_trips_through_its_slot(void **state)
{
	gfp_t how[2] = { GFP_KERNEL, GFP_HIGHUSER };
	struct test_machine tm;
	unsigned long out, in;
	char path[128];
	unsigned i;

	boot(&tm, state);
	tmp_swap(path, sizeof(path), "trip");
	assert_int_equal(mkswap_file(path, 1 * MiB), 0);
	assert_int_equal(swapon_file(path, -1), 0);
	for (i = 0; i < 2; i++) {
		struct page *page = alloc_page(how[i]);
		swp_entry_t e = get_swap_page();
		uint8_t buf[PAGE_SIZE];
		int fd;

		assert_non_null(page);
		assert_int_not_equal(e.val, 0);
		fill(page, (uint8_t)(0x40 + i));
		out = event(PSWPOUT);
		assert_int_equal(swap_writepage(page, e), 0);
		assert_int_equal(event(PSWPOUT), out + 1);
		/* the file holds it at slot * 4096 */
		fd = open(path, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(pread(fd, buf, PAGE_SIZE, (off_t)swp_offset(e) * PAGE_SIZE),
				 PAGE_SIZE);
		close(fd);
		assert_int_equal(buf[1], (uint8_t)(0x40 + i + 7));
		fill(page, 0);
		in = event(PSWPIN);
		assert_int_equal(swap_readpage(page, e), 0);
		assert_int_equal(event(PSWPIN), in + 1);
		assert_true(holds(page, (uint8_t)(0x40 + i)));
		swap_free(e);
		__free_page(page);
	}
	assert_int_equal(swapoff_file(path), 0);
	unlink(path);
	test_shutdown(&tm);
}

/* A file cut short under its area: the read fails with EIO and the page
 * is left as it was; a write to the lost slot grows the file back. */
static void test_read_of_a_lost_slot_is_eio(void **state)
{
	struct test_machine tm;
	struct page *page;
	char path[128];
	swp_entry_t e;

	boot(&tm, state);
	tmp_swap(path, sizeof(path), "lost");
	assert_int_equal(mkswap_file(path, 1 * MiB), 0);
	assert_int_equal(swapon_file(path, -1), 0);
	page = alloc_page(GFP_KERNEL);
	assert_non_null(page);
	e = get_swap_page();
	fill(page, 3);
	assert_int_equal(swap_writepage(page, e), 0);
	assert_int_equal(truncate(path, (off_t)swp_offset(e) * PAGE_SIZE), 0);
	fill(page, 9);
	assert_int_equal(swap_readpage(page, e), -EIO);
	assert_true(holds(page, 9));
	swap_free(e);
	__free_page(page);
	assert_int_equal(swapoff_file(path), 0);
	unlink(path);
	test_shutdown(&tm);
}

/* An entry of no area, slot 0 (the header) and a slot past the end are
 * refused before any I/O. */
static void test_entries_no_area_holds_are_refused(void **state)
{
	struct test_machine tm;
	struct page *page;
	char path[128];

	boot(&tm, state);
	page = alloc_page(GFP_KERNEL);
	assert_non_null(page);
	assert_int_equal(swap_writepage(page, swp_entry(0, 1)), -EINVAL);
	tmp_swap(path, sizeof(path), "none");
	assert_int_equal(mkswap_file(path, 1 * MiB), 0);
	assert_int_equal(swapon_file(path, -1), 0);
	assert_int_equal(swap_writepage(page, swp_entry(0, 0)), -EINVAL);
	assert_int_equal(swap_readpage(page, swp_entry(0, 256)), -EINVAL);
	assert_int_equal(swap_readpage(page, swp_entry(MAX_SWAPFILES - 1, 1)), -EINVAL);
	__free_page(page);
	assert_int_equal(swapoff_file(path), 0);
	unlink(path);
	test_shutdown(&tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_page_round_trips_through_its_slot),
		BOTH(test_read_of_a_lost_slot_is_eio),
		BOTH(test_entries_no_area_holds_are_refused),
	};
	cpu_set_t one;

	/* freed frames wait on the per-CPU list of the CPU that freed them */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
