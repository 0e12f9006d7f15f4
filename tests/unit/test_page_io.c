/* test_page_io.c - a page to its swap slot and back: the bytes come back
 * (HighMem frames too), the counters move, a slot lies at its offset in
 * the file, a file that lost its slot gives EIO with Linux's log line, and
 * an entry no area holds is refused. Batches do the same by pread/pwrite
 * and by io_uring (skipped when libvm has no liburing or the host refuses
 * it), in batches larger than every kmap limit, with injected errors
 * failing exactly the pages they should; a forked child gets a ring of
 * its own. Each case boots its own machine and ends with every frame
 * back, every area off and check clean.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
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

/* ---- batches ----------------------------------------------------------- */

/* Larger than pkmap in pae (512 slots), than a ring chunk (64) and than
 * kmap_atomic's 16 slots: every limit a batch must work around. */
#define BATCH		600

struct batch {
	struct page *pages[BATCH];
	swp_entry_t entries[BATCH];
	int err[BATCH];
	char path[128];
};

/* Choose the I/O mode, or skip the case when uring cannot be had: libvm
 * built without liburing, or a host that refuses io_uring. */
static void use_io_mode(enum swap_io_mode mode)
{
	int err = swap_set_io_mode(mode);

	if (mode == SWAP_IO_URING && err == -ENOSYS) {
		fprintf(stderr, "skip: no io_uring (%s)\n",
			swap_uring_built() ? "the host refuses it" : "libvm built without liburing");
		skip();
	}
	assert_int_equal(err, 0);
	assert_int_equal(vm_kdata->swap.io_mode, mode);
}

/* A swap area of 1024 slots and n pages, each filled from its index,
 * each with a slot; 7 in 8 are HighMem where the machine has it, so a
 * BATCH holds more HighMem frames (525) than pkmap has slots (512 in
 * pae): mapping a whole batch at once would run out. */
static void batch_setup(struct batch *b, unsigned n, const char *tag)
{
	unsigned i;

	tmp_swap(b->path, sizeof(b->path), tag);
	assert_int_equal(mkswap_file(b->path, 4 * MiB), 0);
	assert_int_equal(swapon_file(b->path, -1), 0);
	for (i = 0; i < n; i++) {
		b->pages[i] = alloc_page(i % 8 ? GFP_HIGHUSER : GFP_KERNEL);
		assert_non_null(b->pages[i]);
		b->entries[i] = get_swap_page();
		assert_int_not_equal(b->entries[i].val, 0);
		fill(b->pages[i], (uint8_t)i);
	}
}

static void batch_teardown(struct batch *b, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		swap_free(b->entries[i]);
		__free_page(b->pages[i]);
	}
	assert_int_equal(swapoff_file(b->path), 0);
	unlink(b->path);
}

static void fill_all(struct batch *b, unsigned n, uint8_t seed)
{
	unsigned i;

	for (i = 0; i < n; i++)
		fill(b->pages[i], seed);
}

/* Does the file hold page i's bytes (seed i) at its slot? */
static bool slot_holds(const struct batch *b, unsigned i, uint8_t seed)
{
	uint8_t buf[PAGE_SIZE];
	bool same = true;
	unsigned k;
	int fd = open(b->path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, PAGE_SIZE, (off_t)swp_offset(b->entries[i]) * PAGE_SIZE),
			 PAGE_SIZE);
	close(fd);
	for (k = 0; k < PAGE_SIZE && same; k++)
		same = buf[k] == (uint8_t)(seed + k * 7);
	return same;
}

/* BATCH pages out in one call and back in another: every page's bytes
 * at its slot and back in its frame, lowmem and HighMem, and the
 * counters moved by BATCH each way. */
static void batch_round_trip(void **state, enum swap_io_mode mode)
{
	static struct batch b;
	struct test_machine tm;
	unsigned long out, in;
	unsigned i, high;

	boot(&tm, state);
	use_io_mode(mode);
	batch_setup(&b, BATCH, "batch");
	for (i = 0, high = 0; i < BATCH; i++)
		high += PageHighMem(b.pages[i]);
	assert_true(*(int *)*state == VM_MODE_PAE ? high > LAST_PKMAP_PAE : high == 0);
	out = event(PSWPOUT);
	assert_int_equal(swap_writepages(b.pages, b.entries, b.err, BATCH), 0);
	assert_int_equal(event(PSWPOUT), out + BATCH);
	for (i = 0; i < BATCH; i++) {
		assert_int_equal(b.err[i], 0);
		assert_true(slot_holds(&b, i, (uint8_t)i));
	}
	fill_all(&b, BATCH, 0xee);
	in = event(PSWPIN);
	assert_int_equal(swap_readpages(b.pages, b.entries, b.err, BATCH), 0);
	assert_int_equal(event(PSWPIN), in + BATCH);
	for (i = 0; i < BATCH; i++) {
		assert_int_equal(b.err[i], 0);
		assert_true(holds(b.pages[i], (uint8_t)i));
	}
	/* out of file order (a readahead window puts its faulting slot
	 * first): pages 0..63 with their slots in reverse */
	for (i = 0; i < 32; i++) {
		struct page *p = b.pages[i];
		swp_entry_t e = b.entries[i];

		b.pages[i] = b.pages[63 - i];
		b.entries[i] = b.entries[63 - i];
		b.pages[63 - i] = p;
		b.entries[63 - i] = e;
	}
	fill_all(&b, 64, 0xdd);
	assert_int_equal(swap_readpages(b.pages, b.entries, b.err, 64), 0);
	for (i = 0; i < 64; i++)
		assert_true(holds(b.pages[i], (uint8_t)(63 - i)));
	assert_int_equal(swap_writepages(b.pages, b.entries, b.err, 64), 0);
	for (i = 0; i < 64; i++)
		assert_true(slot_holds(&b, i, (uint8_t)(63 - i)));
	in += 64;
	out += 64;
	/* the single-page calls go the same way */
	fill(b.pages[1], 0x11);
	assert_int_equal(swap_writepage(b.pages[1], b.entries[1]), 0);
	fill(b.pages[1], 0);
	assert_int_equal(swap_readpage(b.pages[1], b.entries[1]), 0);
	assert_true(holds(b.pages[1], 0x11));
	assert_int_equal(event(PSWPOUT), out + BATCH + 1);
	assert_int_equal(event(PSWPIN), in + BATCH + 1);
	batch_teardown(&b, BATCH);
	test_shutdown(&tm);
}

static void test_batch_round_trips_by_pread_pwrite(void **state)
{
	batch_round_trip(state, SWAP_IO_SYNC);
}

static void test_batch_round_trips_by_io_uring(void **state)
{
	batch_round_trip(state, SWAP_IO_URING);
}

/*
 * Injected errors fail the next pages of the batch, no others, and use
 * themselves up; an entry no area holds fails with EINVAL and does not
 * use one. With fail_writes 2, a batch of 8 whose page 0 has a bad entry:
 *
 *   page   0       1    2    3 .. 7
 *   err    EINVAL  EIO  EIO  0         slots 1, 2 keep what they held
 *
 * then with fail_reads 1, reading pages 3..7 back into cleared frames:
 * page 3 fails and its frame is left as it was (cleared: no I/O was
 * done), pages 4..7 come back.
 */
static void injected_errors(void **state, enum swap_io_mode mode)
{
	static struct batch b;
	struct test_machine tm;
	unsigned long out, in;
	uint64_t mark;
	swp_entry_t good;
	unsigned i;

	boot(&tm, state);
	use_io_mode(mode);
	batch_setup(&b, 8, "inject");
	good = b.entries[0];
	b.entries[0] = swp_entry(MAX_SWAPFILES - 1, 1);
	vm_kdata->swap.fail_writes = 2;
	mark = log_mark();
	out = event(PSWPOUT);
	assert_int_equal(swap_writepages(b.pages, b.entries, b.err, 8), 3);
	assert_int_equal(b.err[0], -EINVAL);
	assert_int_equal(b.err[1], -EIO);
	assert_int_equal(b.err[2], -EIO);
	for (i = 3; i < 8; i++)
		assert_int_equal(b.err[i], 0);
	assert_int_equal(vm_kdata->swap.fail_writes, 0);
	assert_int_equal(event(PSWPOUT), out + 5);
	{
		char line[96];

		snprintf(line, sizeof(line), "Write-error on swap-device (0:%#x): %s (injected)",
			 swp_offset(b.entries[1]), strerror(EIO));
		assert_true(log_has(mark, line));
	}
	/* a fresh sparse file: the failed slots still read as zeroes */
	for (i = 1; i < 3; i++)
		assert_false(slot_holds(&b, i, (uint8_t)i));
	for (i = 3; i < 8; i++)
		assert_true(slot_holds(&b, i, (uint8_t)i));

	fill_all(&b, 8, 0);
	vm_kdata->swap.fail_reads = 1;
	mark = log_mark();
	in = event(PSWPIN);
	assert_int_equal(swap_readpages(b.pages + 3, b.entries + 3, b.err + 3, 5), 1);
	assert_int_equal(b.err[3], -EIO);
	assert_true(holds(b.pages[3], 0));
	for (i = 4; i < 8; i++) {
		assert_int_equal(b.err[i], 0);
		assert_true(holds(b.pages[i], (uint8_t)i));
	}
	assert_int_equal(vm_kdata->swap.fail_reads, 0);
	assert_int_equal(event(PSWPIN), in + 4);
	{
		char line[96];

		snprintf(line, sizeof(line), "Read-error on swap-device (0:%#x): %s (injected)",
			 swp_offset(b.entries[3]), strerror(EIO));
		assert_true(log_has(mark, line));
	}
	/* used up: the same read now works */
	assert_int_equal(swap_readpage(b.pages[3], b.entries[3]), 0);
	assert_true(holds(b.pages[3], 3));
	b.entries[0] = good;
	batch_teardown(&b, 8);
	test_shutdown(&tm);
}

static void test_injected_errors_fail_the_next_pages_by_pread_pwrite(void **state)
{
	injected_errors(state, SWAP_IO_SYNC);
}

static void test_injected_errors_fail_the_next_pages_by_io_uring(void **state)
{
	injected_errors(state, SWAP_IO_URING);
}

/*
 * A batch of consecutive slots goes as one request in uring mode; cut
 * the file short in the middle of it and the pages before the cut still
 * come back, the ones after fail alone, each with its own log line:
 *
 *   page   0 1 2 3 4 | 5 6 7      (slots 1..8 or so, in a row)
 *   err    0 0 0 0 0 | EIO EIO EIO, frames 5..7 as they were
 */
static void short_file(void **state, enum swap_io_mode mode)
{
	static struct batch b;
	struct test_machine tm;
	unsigned long in;
	uint64_t mark;
	char line[96];
	unsigned i;

	boot(&tm, state);
	use_io_mode(mode);
	batch_setup(&b, 8, "short");
	for (i = 1; i < 8; i++)
		assert_int_equal(swp_offset(b.entries[i]), swp_offset(b.entries[0]) + i);
	assert_int_equal(swap_writepages(b.pages, b.entries, b.err, 8), 0);
	assert_int_equal(truncate(b.path, (off_t)swp_offset(b.entries[5]) * PAGE_SIZE), 0);
	fill_all(&b, 8, 0);
	mark = log_mark();
	in = event(PSWPIN);
	assert_int_equal(swap_readpages(b.pages, b.entries, b.err, 8), 3);
	for (i = 0; i < 5; i++) {
		assert_int_equal(b.err[i], 0);
		assert_true(holds(b.pages[i], (uint8_t)i));
	}
	for (i = 5; i < 8; i++) {
		assert_int_equal(b.err[i], -EIO);
		assert_true(holds(b.pages[i], 0));
		snprintf(line, sizeof(line), "Read-error on swap-device (0:%#x): short read",
			 swp_offset(b.entries[i]));
		assert_true(log_has(mark, line));
	}
	assert_int_equal(event(PSWPIN), in + 5);
	batch_teardown(&b, 8);
	test_shutdown(&tm);
}

static void test_file_cut_short_fails_only_pages_past_its_end_by_pread_pwrite(void **state)
{
	short_file(state, SWAP_IO_SYNC);
}

static void test_file_cut_short_fails_only_pages_past_its_end_by_io_uring(void **state)
{
	short_file(state, SWAP_IO_URING);
}

/*
 * A ring must not cross a fork: the parent's ring is set up by its first
 * batch; a forked child (a plain host fork, as a guest's fork is) moves
 * its own batch, which must not disturb the parent's, and then the parent
 * moves another through its ring.
 */
static void test_forked_child_gets_its_own_ring(void **state)
{
	static struct batch b;
	struct test_machine tm;
	int status;
	unsigned i;
	pid_t pid;

	boot(&tm, state);
	use_io_mode(SWAP_IO_URING);
	batch_setup(&b, 128, "fork");
	assert_int_equal(swap_writepages(b.pages, b.entries, b.err, 64), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		bool ok = swap_writepages(b.pages + 64, b.entries + 64, b.err + 64, 64) == 0;

		fill_all(&b, 128, 0);
		ok = ok && swap_readpages(b.pages, b.entries, b.err, 128) == 0;
		for (i = 0; i < 128 && ok; i++)
			ok = holds(b.pages[i], (uint8_t)i);
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* the child read every page back into the frames both share */
	for (i = 0; i < 128; i++)
		assert_true(holds(b.pages[i], (uint8_t)i));
	fill_all(&b, 128, 0);
	assert_int_equal(swap_readpages(b.pages, b.entries, b.err, 128), 0);
	for (i = 0; i < 128; i++)
		assert_true(holds(b.pages[i], (uint8_t)i));
	batch_teardown(&b, 128);
	test_shutdown(&tm);
}

/* The mode is the machine's, in RAM; a mode that is none is refused. */
static void test_io_mode_is_set_for_the_machine(void **state)
{
	struct test_machine tm;
	int err;

	boot(&tm, state);
	assert_int_equal(swap_set_io_mode(SWAP_IO_SYNC), 0);
	assert_int_equal(vm_kdata->swap.io_mode, SWAP_IO_SYNC);
	err = swap_set_io_mode(SWAP_IO_URING);
	if (!swap_uring_built())
		assert_int_equal(err, -ENOSYS);
	assert_int_equal(vm_kdata->swap.io_mode, err ? SWAP_IO_SYNC : SWAP_IO_URING);
	assert_int_equal(swap_set_io_mode((enum swap_io_mode)7), -EINVAL);
	assert_int_equal(vm_kdata->swap.io_mode, err ? SWAP_IO_SYNC : SWAP_IO_URING);
	test_shutdown(&tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_page_round_trips_through_its_slot),
		BOTH(test_read_of_a_lost_slot_is_eio),
		BOTH(test_entries_no_area_holds_are_refused),
		BOTH(test_batch_round_trips_by_pread_pwrite),
		BOTH(test_batch_round_trips_by_io_uring),
		BOTH(test_injected_errors_fail_the_next_pages_by_pread_pwrite),
		BOTH(test_injected_errors_fail_the_next_pages_by_io_uring),
		BOTH(test_file_cut_short_fails_only_pages_past_its_end_by_pread_pwrite),
		BOTH(test_file_cut_short_fails_only_pages_past_its_end_by_io_uring),
		BOTH(test_forked_child_gets_its_own_ring),
		BOTH(test_io_mode_is_set_for_the_machine),
	};
	cpu_set_t one;

	/* freed frames wait on the per-CPU list of the CPU that freed them */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
