/* test_swapfile.c - swap areas: the v1 header we write and mkswap's, the
 * headers swapon refuses, slots handed out by cluster and by priority,
 * use counts, swapoff of a busy area, and swap entries in PTEs of both
 * paging modes. Each case that boots runs on a fresh 64 MiB machine, swaps
 * every area off and ends with every frame back and check clean. Check
 * runs only then: a slot taken here with no swap PTE or swap-cache page
 * behind it is, to check, a leaked slot.
 */
#include <errno.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "common.h"
#include <vm/pgtable.h>

#define MiB (1ULL << 20)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static void boot(struct test_machine *tm, void **state)
{
	test_boot(tm, 64 * MiB, *(int *)*state);
}

/* A fresh path in /tmp for a swap file; removed by the case. */
static void tmp_swap(char *buf, size_t len, const char *tag)
{
	static unsigned seq;

	snprintf(buf, len, "/tmp/test-swapfile-%d-%u-%s.swap", (int)getpid(), seq++, tag);
	unlink(buf);
}

static void read_header(const char *path, uint8_t *page)
{
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	assert_int_equal(fread(page, 1, PAGE_SIZE, f), PAGE_SIZE);
	fclose(f);
}

static void write_header(const char *path, const uint8_t *page)
{
	FILE *f = fopen(path, "r+b");

	assert_non_null(f);
	assert_int_equal(fwrite(page, 1, PAGE_SIZE, f), PAGE_SIZE);
	fclose(f);
}

static struct swap_header_info *info(uint8_t *page)
{
	return (struct swap_header_info *)page;
}

/* ---- entries in PTEs ------------------------------------------------------ */

/* type 1 offset 0x123: 0x12302 in i386, 0x2461 << 32 in pae (swap.h) */
static void test_swap_entry_round_trips_through_pte(void **state)
{
	static const uint32_t offsets[] = { 1, 2, 0x123, 0xff, 0x100, 0xfffff, 0xffffff };
	unsigned type, i;

	(void)state;
	assert_int_equal(swp_entry_to_pte(VM_MODE_I386, swp_entry(1, 0x123)), 0x12302);
	assert_int_equal(swp_entry_to_pte(VM_MODE_PAE, swp_entry(1, 0x123)), 0x246100000000ULL);
	for (type = 0; type < MAX_SWAPFILES; type++) {
		for (i = 0; i < ARRAY_SIZE(offsets); i++) {
			swp_entry_t e = swp_entry(type, offsets[i]), back;
			int modes[2] = { VM_MODE_I386, VM_MODE_PAE }, m;

			assert_int_equal(swp_type(e), type);
			assert_int_equal(swp_offset(e), offsets[i]);
			for (m = 0; m < 2; m++) {
				uint64_t pte = swp_entry_to_pte(modes[m], e);

				assert_false(pte_present(pte));
				assert_false(pte_none(pte));
				assert_true(pte_swap(pte));
				if (modes[m] == VM_MODE_I386)
					assert_true(pte <= UINT32_MAX);
				back = pte_to_swp_entry(modes[m], pte);
				assert_int_equal(back.val, e.val);
			}
		}
	}
	/* pae keeps the largest offset, i386 24 bits */
	assert_int_equal(swp_offset(pte_to_swp_entry(VM_MODE_PAE,
			 swp_entry_to_pte(VM_MODE_PAE, swp_entry(7, SWP_OFFSET_MASK)))), SWP_OFFSET_MASK);
	assert_int_equal(swp_max_offset(VM_MODE_I386), 0xffffff);
}

/* ---- headers -------------------------------------------------------------- */

static void test_mkswap_file_header_round_trips(void **state)
{
	struct test_machine tm;
	uint8_t page[PAGE_SIZE];
	char path[128];
	struct stat st;

	boot(&tm, state);
	tmp_swap(path, sizeof(path), "ours");
	assert_int_equal(mkswap_file(path, 4 * MiB + 123), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 4 * MiB);
	read_header(path, page);
	assert_memory_equal(page + PAGE_SIZE - 10, "SWAPSPACE2", 10);
	assert_int_equal(info(page)->version, 1);
	assert_int_equal(info(page)->last_page, 1023);
	assert_int_equal(info(page)->nr_badpages, 0);
	assert_string_equal(info(page)->sws_volume, "libvm");
	assert_int_equal(info(page)->sws_uuid[6] >> 4, 4);

	assert_int_equal(swapon_file(path, -1), 0);
	assert_int_equal(total_swap_pages(), 1023);
	assert_int_equal(nr_swap_pages(), 1023);
	assert_int_equal(vm_kdata->swap.areas[0].max, 1024);
	assert_int_equal(vm_kdata->swap.areas[0].prio, -1);
	assert_memory_equal(vm_kdata->swap.areas[0].uuid, info(page)->sws_uuid, 16);
	assert_int_equal(swapon_file(path, -1), -EBUSY);
	assert_int_equal(swapoff_file(path), 0);
	assert_int_equal(total_swap_pages(), 0);
	assert_int_equal(swapoff_file(path), -EINVAL);
	assert_int_equal(mkswap_file(path, 4 * PAGE_SIZE), -EINVAL);
	unlink(path);
	test_shutdown(&tm);
}

/* A file made by util-linux mkswap, with two bad pages listed. */
static void test_mkswap_made_file_is_accepted(void **state)
{
	struct test_machine tm;
	uint8_t page[PAGE_SIZE];
	char path[128], cmd[400];
	swp_entry_t e;
	unsigned i;

	if (access("/usr/sbin/mkswap", X_OK) && access("/sbin/mkswap", X_OK)) {
		fprintf(stderr, "skip: no mkswap on this host\n");
		skip();
	}
	boot(&tm, state);
	tmp_swap(path, sizeof(path), "mkswap");
	snprintf(cmd, sizeof(cmd), "truncate -s 8M %s && PATH=$PATH:/usr/sbin:/sbin "
		 "mkswap -L tswap %s >/dev/null 2>&1", path, path);
	assert_int_equal(system(cmd), 0);
	/* mkswap -c would scan for bad blocks; list two by hand instead */
	read_header(path, page);
	info(page)->nr_badpages = 2;
	info(page)->badpages[0] = 5;
	info(page)->badpages[1] = 300;
	write_header(path, page);

	assert_int_equal(swapon_file(path, 10), 0);
	assert_int_equal(vm_kdata->swap.areas[0].max, 2048);
	assert_int_equal(vm_kdata->swap.areas[0].nr_badpages, 2);
	assert_int_equal(total_swap_pages(), 2047 - 2);
	assert_int_equal(vm_kdata->swap.areas[0].prio, 10);
	assert_int_equal(swap_count(swp_entry(0, 5)), -EINVAL);
	/* the bad slots are never handed out */
	for (i = 0; i < 400; i++) {
		e = get_swap_page();
		assert_int_not_equal(e.val, 0);
		assert_int_not_equal(swp_offset(e), 5);
		assert_int_not_equal(swp_offset(e), 300);
	}
	for (i = 1; i <= 402; i++)
		if (i != 5 && i != 300)
			swap_free(swp_entry(0, i));
	assert_int_equal(nr_swap_pages(), total_swap_pages());
	assert_int_equal(swapoff_file(path), 0);
	unlink(path);
	test_shutdown(&tm);
}

/* Each damage, the errno and the log line that names it. */
static void test_damaged_headers_are_refused(void **state)
{
	static const struct {
		const char *what;
		const char *log;
	} cases[] = {
		{ "magic",    "Unable to find swap-space signature" },
		{ "old",      "SWAPSPACE1" },
		{ "version",  "swap header version 2" },
		{ "lastpage", "shorter than signature" },
		{ "badpages", "too many bad pages" },
		{ "badrange", "out of range" },
		{ "empty",    "Empty swap-file" },
	};
	struct test_machine tm;
	uint8_t page[PAGE_SIZE];
	char path[128];
	unsigned i;

	boot(&tm, state);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t mark = log_mark();

		tmp_swap(path, sizeof(path), cases[i].what);
		assert_int_equal(mkswap_file(path, 1 * MiB), 0);
		read_header(path, page);
		switch (i) {
		case 0: memcpy(page + PAGE_SIZE - 10, "NOTASWAP!!", 10); break;
		case 1: memcpy(page + PAGE_SIZE - 10, "SWAPSPACE1", 10); break;
		case 2: info(page)->version = 2; break;
		case 3: info(page)->last_page = 256; break;
		case 4: info(page)->nr_badpages = 638; break;
		case 5: info(page)->nr_badpages = 1; info(page)->badpages[0] = 9999; break;
		case 6: info(page)->last_page = 0; break;
		}
		write_header(path, page);
		assert_int_equal(swapon_file(path, -1), -EINVAL);
		assert_true(log_has(mark, cases[i].log));
		unlink(path);
	}
	assert_int_equal(swapon_file("/tmp/no/such/swapfile", -1), -ENOENT);
	assert_int_equal(vm_kdata->swap.nr_swapfiles, 0);
	test_shutdown(&tm);
}

/* ---- slots ----------------------------------------------------------------- */

/* 1000 slots: 1..255 (slot 0 is the header), then cluster 256..511 and
 * so on; once all are used the area is full and the next area serves. */
static void test_get_swap_page_fills_clusters_then_moves_on(void **state)
{
	struct test_machine tm;
	char a[128], b[128];
	swp_entry_t e;
	uint32_t off;

	boot(&tm, state);
	tmp_swap(a, sizeof(a), "a");
	tmp_swap(b, sizeof(b), "b");
	assert_int_equal(mkswap_file(a, 1000 * PAGE_SIZE), 0);
	assert_int_equal(mkswap_file(b, 100 * PAGE_SIZE), 0);
	assert_int_equal(swapon_file(a, 5), 0);
	assert_int_equal(swapon_file(b, 1), 0);
	for (off = 1; off < 1000; off++) {
		e = get_swap_page();
		assert_int_equal(swp_type(e), 0);
		assert_int_equal(swp_offset(e), off);
	}
	assert_int_equal(vm_kdata->swap.areas[0].inuse_pages, 999);
	e = get_swap_page();
	assert_int_equal(swp_type(e), 1);
	assert_int_equal(swp_offset(e), 1);

	/* a hole in a used cluster is found once no cluster is free */
	swap_free(swp_entry(0, 700));
	assert_int_equal(swap_count(swp_entry(0, 700)), 0);
	e = get_swap_page();
	assert_int_equal(e.val, swp_entry(0, 700).val);

	/* free a whole cluster: it becomes current again */
	for (off = 256; off < 512; off++)
		swap_free(swp_entry(0, off));
	e = get_swap_page();
	assert_int_equal(e.val, swp_entry(0, 256).val);
	e = get_swap_page();
	assert_int_equal(e.val, swp_entry(0, 257).val);

	for (off = 1; off < 1000; off++)
		if (off < 258 || off >= 512)
			swap_free(swp_entry(0, off));
	swap_free(swp_entry(1, 1));
	assert_int_equal(nr_swap_pages(), total_swap_pages());
	assert_int_equal(swapoff_file(a), 0);
	assert_int_equal(swapoff_file(b), 0);
	unlink(a);
	unlink(b);
	test_shutdown(&tm);
}

/* Higher priority first; -1, -2 by default in order; equal priorities
 * take turns. */
static void test_priorities_order_areas_and_equal_ones_round_robin(void **state)
{
	struct test_machine tm;
	char p[4][128];
	unsigned i, n[4] = { 0 };

	boot(&tm, state);
	for (i = 0; i < 4; i++) {
		tmp_swap(p[i], sizeof(p[i]), "prio");
		assert_int_equal(mkswap_file(p[i], 20 * PAGE_SIZE), 0);
	}
	assert_int_equal(swapon_file(p[0], -1), 0);	/* -1 */
	assert_int_equal(swapon_file(p[1], -1), 0);	/* -2 */
	assert_int_equal(swapon_file(p[2], 3), 0);
	assert_int_equal(swapon_file(p[3], 3), 0);
	assert_int_equal(vm_kdata->swap.areas[0].prio, -1);
	assert_int_equal(vm_kdata->swap.areas[1].prio, -2);

	/* 2 and 3 alternate until both are full (19 slots each) */
	for (i = 0; i < 38; i++) {
		swp_entry_t e = get_swap_page();

		assert_int_equal(swp_type(e), 2 + (i % 2));
		n[swp_type(e)]++;
	}
	for (i = 0; i < 19; i++)
		assert_int_equal(swp_type(get_swap_page()), 0);
	for (i = 0; i < 19; i++)
		assert_int_equal(swp_type(get_swap_page()), 1);
	assert_int_equal(get_swap_page().val, 0);
	assert_int_equal(nr_swap_pages(), 0);
	assert_int_equal(swapoff_file(p[0]), -EBUSY);

	for (i = 0; i < 4; i++) {
		uint32_t off;

		for (off = 1; off < 20; off++)
			swap_free(swp_entry(i, off));
		assert_int_equal(swapoff_file(p[i]), 0);
		unlink(p[i]);
	}
	test_shutdown(&tm);
}

static void test_swap_counts_and_freed_slot_is_reused(void **state)
{
	struct test_machine tm;
	char path[128];
	swp_entry_t e, f;
	uint64_t mark;
	int i;

	boot(&tm, state);
	tmp_swap(path, sizeof(path), "count");
	assert_int_equal(mkswap_file(path, 1 * MiB), 0);
	assert_int_equal(swapon_file(path, -1), 0);
	e = get_swap_page();
	assert_int_equal(swap_count(e), 1);
	assert_int_equal(swap_duplicate(e), 0);
	assert_int_equal(swap_duplicate(e), 0);
	assert_int_equal(swap_count(e), 3);
	assert_int_equal(nr_swap_pages(), total_swap_pages() - 1);
	swap_free(e);
	swap_free(e);
	assert_int_equal(swap_count(e), 1);
	/* the count saturates below SWAP_MAP_BAD */
	for (i = 1; i < SWAP_MAP_MAX; i++)
		assert_int_equal(swap_duplicate(e), 0);
	assert_int_equal(swap_duplicate(e), -ENOMEM);
	for (i = 1; i < SWAP_MAP_MAX; i++)
		swap_free(e);
	/* busy: swapoff refuses and leaves the area */
	assert_int_equal(swapoff_file(path), -EBUSY);
	assert_int_equal(vm_kdata->swap.nr_swapfiles, 1);
	swap_free(e);
	assert_int_equal(swap_count(e), 0);
	assert_int_equal(nr_swap_pages(), total_swap_pages());
	/* the cluster hands out the next slot; a free cluster comes back
	 * round only after the others, so fill the rest to see e again */
	for (i = 0; i < 254; i++) {
		f = get_swap_page();
		assert_int_not_equal(f.val, 0);
	}
	f = get_swap_page();
	assert_int_equal(f.val, e.val);
	assert_int_equal(get_swap_page().val, 0);
	for (i = 1; i < 256; i++)
		swap_free(swp_entry(0, (uint32_t)i));

	/* bad entries: logged, nothing changes */
	mark = log_mark();
	swap_free(e);
	assert_true(log_has(mark, "swap_free: Bad swap file entry"));
	assert_int_equal(swap_duplicate(swp_entry(5, 1)), -EINVAL);
	assert_int_equal(swap_count(swp_entry(0, 0)), -EINVAL);
	assert_int_equal(swapoff_file(path), 0);
	unlink(path);
	test_shutdown(&tm);
}

/* Another process of the machine sees the area and takes slots from it. */
static void test_slots_shared_with_another_process(void **state)
{
	struct test_machine tm;
	char path[128];
	pid_t pid;
	int status;

	boot(&tm, state);
	tmp_swap(path, sizeof(path), "shared");
	assert_int_equal(mkswap_file(path, 1 * MiB), 0);
	assert_int_equal(swapon_file(path, -1), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (get_swap_page().val != swp_entry(0, 1).val)
			_exit(2);
		if (swap_duplicate(swp_entry(0, 1)))
			_exit(3);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(swap_count(swp_entry(0, 1)), 2);
	swap_free(swp_entry(0, 1));
	swap_free(swp_entry(0, 1));
	assert_int_equal(swapoff_file(path), 0);
	unlink(path);
	test_shutdown(&tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_swap_entry_round_trips_through_pte),
		BOTH(test_mkswap_file_header_round_trips),
		BOTH(test_mkswap_made_file_is_accepted),
		BOTH(test_damaged_headers_are_refused),
		BOTH(test_get_swap_page_fills_clusters_then_moves_on),
		BOTH(test_priorities_order_areas_and_equal_ones_round_robin),
		BOTH(test_swap_counts_and_freed_slot_is_reused),
		BOTH(test_slots_shared_with_another_process),
	};
	cpu_set_t one;

	/* Freed frames wait on the per-CPU list of the CPU that freed them:
	 * stay on one CPU so a case gets back the frames it just freed. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
