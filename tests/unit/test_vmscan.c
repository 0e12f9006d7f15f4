/* test_vmscan.c - reclaim and swap-in, in one process: pages of an mm go to
 * swap (their PTEs become swap entries, their slots counted, the LRU and
 * rss counters follow), come back on a fault with their data, stay in the
 * swap cache while clean so that reclaim drops them again without a write,
 * lose their slot on a private write; munmap frees the slots; a failed
 * write keeps the page and retires its slot; a failed read fails the
 * fault with SIGBUS and keeps the slot; the OOM killer picks the biggest
 * task. Each case runs in i386 and pae on a 16 MiB machine with a 4 MiB
 * swap file and ends with every frame back, every slot free and check
 * clean.
 */
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "common.h"
#include "kernel.h"

#define MiB (1ULL << 20)
#define P PAGE_SIZE
#define X 0x40000000u
#define N 64				/* pages the cases map */
#define RW (PROT_READ | PROT_WRITE)
#define READ (X86_PF_USER)
#define WRITE (X86_PF_USER | X86_PF_WRITE)

static char swap_path[64];

static void boot(struct test_machine *tm, void **state)
{
	test_boot(tm, 16 * MiB, *(int *)*state);
	snprintf(swap_path, sizeof(swap_path), "/tmp/test-vmscan-%d.swap", (int)getpid());
	assert_int_equal(mkswap_file(swap_path, 4 * MiB), 0);
	assert_int_equal(swapon_file(swap_path, -1), 0);
}

/* A case that failed half way leaves its swap file too. */
static int teardown(void **state)
{
	(void)state;
	unlink(swap_path);
	vm_destroy();
	return 0;
}

#define BOTH_SWAP(f)							\
	cmocka_unit_test_prestate_setup_teardown(f, NULL, teardown, &mode_i386), \
	cmocka_unit_test_prestate_setup_teardown(f, NULL, teardown, &mode_pae)

static void end_case(struct test_machine *tm, int pid)
{
	assert_int_equal(vm_task_reap(pid, NULL), 0);
	assert_int_equal(nr_swap_pages(), total_swap_pages());
	assert_int_equal(total_swapcache_pages(), 0);
	assert_int_equal(swapoff_file(swap_path), 0);
	unlink(swap_path);
	test_shutdown(tm);
}

static bool in_swap(struct mm_struct *mm, uint32_t addr)
{
	pteval_t e = pte_at(mm, addr);

	return !pte_none(e) && !pte_present(e);
}

static swp_entry_t entry_at(struct mm_struct *mm, uint32_t addr)
{
	assert_true(in_swap(mm, addr));
	return pte_to_swp_entry((int)vm_boot_block->mode, pte_at(mm, addr));
}

static uint8_t pattern(uint32_t va)
{
	return (uint8_t)(0x21 + ((va - X) >> PAGE_SHIFT));
}

static uint64_t event(enum vm_event_item item)
{
	uint64_t sum = 0;
	unsigned c;

	for (c = 0; c < VM_NR_CPUS; c++)
		sum += vm_kdata->events[c].event[item];
	return sum;
}

/* N pages written with their pattern. */
static int make_task(struct mm_struct **mmp)
{
	int pid = test_new_task(mmp);
	unsigned i;

	assert_int_equal(mm_mmap(*mmp, X, N * P, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
			 X);
	for (i = 0; i < N; i++) {
		if (!pte_present(pte_at(*mmp, X + i * P)))
			assert_int_equal(fault(*mmp, X + i * P, WRITE, NULL), VM_FAULT_OK);
		frame_fill(page_at(*mmp, X + i * P), pattern(X + i * P));
	}
	return pid;
}

/* Reclaim until every page of [X, X + n pages) is in swap (the first
 * round only ages them), within a bound. */
static void evict_all(struct mm_struct *mm, unsigned n)
{
	unsigned i, round, out = 0;

	for (round = 0; round < 20 && out < n; round++) {
		shrink_all_memory(4 * N);
		for (i = 0, out = 0; i < n; i++)
			out += in_swap(mm, X + i * P);
	}
	assert_int_equal(out, n);
}

/* A byte from fd within 10 s, or -1. */
static int wait_byte(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, 10000) != 1 || read(fd, &c, 1) != 1)
		return -1;
	return c;
}

/* ---- the cases ----------------------------------------------------------- */

static void test_pages_go_to_swap_and_come_back(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	unsigned i;
	int pid;

	boot(&tm, state);
	pid = make_task(&mm);
	assert_int_equal(global_node_page_state(NR_ACTIVE_ANON) +
			 global_node_page_state(NR_INACTIVE_ANON), N);
	evict_all(mm, N);
	assert_int_equal(mm->rss_stat[MM_ANONPAGES], 0);
	assert_int_equal(mm->rss_stat[MM_SWAPENTS], N);
	assert_int_equal(total_swap_pages() - nr_swap_pages(), N);
	assert_true(event(PSWPOUT) >= N);
	for (i = 0; i < N; i++)
		assert_int_equal(swap_count(entry_at(mm, X + i * P)), 1);
	assert_int_equal(global_node_page_state(NR_ACTIVE_ANON) +
			 global_node_page_state(NR_INACTIVE_ANON), 0);
	assert_machine_valid();

	/* back, by reads: the data, the page still in the swap cache */
	for (i = 0; i < N; i++) {
		struct page *page;

		assert_int_equal(fault(mm, X + i * P, READ, NULL), VM_FAULT_OK);
		page = page_at(mm, X + i * P);
		assert_true(frame_is(page, pattern(X + i * P)));
		assert_true(PageSwapCache(page));
		assert_int_equal(page_ref_count(page), 2);	/* the PTE and the cache */
	}
	assert_int_equal(mm->rss_stat[MM_ANONPAGES], N);
	assert_int_equal(mm->rss_stat[MM_SWAPENTS], 0);
	assert_true(event(PSWPIN) >= N);
	assert_machine_valid();

	/* a private write takes the page out of the swap cache: the copy in
	 * swap is stale from then on, and its slot free */
	assert_int_equal(fault(mm, X, WRITE, NULL), VM_FAULT_OK);
	assert_false(PageSwapCache(page_at(mm, X)));
	assert_int_equal(page_ref_count(page_at(mm, X)), 1);
	assert_true(pte_write(pte_at(mm, X)));
	assert_int_equal(total_swap_pages() - nr_swap_pages(), N - 1);
	assert_machine_valid();
	end_case(&tm, pid);
}

static void test_clean_pages_are_dropped_without_a_write(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	uint64_t out;
	unsigned i;
	int pid;

	boot(&tm, state);
	pid = make_task(&mm);
	evict_all(mm, N);
	for (i = 0; i < N; i++)
		assert_int_equal(fault(mm, X + i * P, READ, NULL), VM_FAULT_OK);
	out = event(PSWPOUT);
	evict_all(mm, N);
	assert_int_equal(event(PSWPOUT), out);		/* the copies in swap were valid */
	for (i = 0; i < N; i++) {
		assert_int_equal(fault(mm, X + i * P, READ, NULL), VM_FAULT_OK);
		assert_true(frame_is(page_at(mm, X + i * P), pattern(X + i * P)));
	}
	assert_machine_valid();
	end_case(&tm, pid);
}

static void test_munmap_frees_slots_and_cached_pages(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	int pid;

	boot(&tm, state);
	pid = make_task(&mm);
	evict_all(mm, N);
	/* half of them back (cached, mapped), half in swap only */
	for (unsigned i = 0; i < N / 2; i++)
		assert_int_equal(fault(mm, X + i * P, READ, NULL), VM_FAULT_OK);
	assert_true(total_swapcache_pages() >= N / 2);
	assert_int_equal(mm_munmap(mm, X, N * P), 0);
	assert_int_equal(nr_swap_pages(), total_swap_pages());
	assert_int_equal(total_swapcache_pages(), 0);
	assert_int_equal(mm->rss_stat[MM_SWAPENTS], 0);
	assert_machine_valid();
	end_case(&tm, pid);
}

static void test_failed_write_keeps_the_page_and_retires_the_slot(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	uint32_t total;
	unsigned i, resident = 0;
	int pid;

	boot(&tm, state);
	pid = make_task(&mm);
	total = (uint32_t)total_swap_pages();
	vm_kdata->swap.fail_writes = 1;
	for (i = 0; i < 6; i++)
		shrink_all_memory(4 * N);
	assert_int_equal(vm_kdata->swap.fail_writes, 0);
	for (i = 0; i < N; i++) {
		if (pte_present(pte_at(mm, X + i * P))) {
			resident++;
			assert_true(frame_is(page_at(mm, X + i * P), pattern(X + i * P)));
		}
	}
	/* pages whose write failed were put back with their PTEs gone or
	 * not: every page is either in swap or resident with its data */
	for (i = 0; i < N; i++) {
		if (!pte_present(pte_at(mm, X + i * P))) {
			assert_int_equal(fault(mm, X + i * P, READ, NULL), VM_FAULT_OK);
			assert_true(frame_is(page_at(mm, X + i * P), pattern(X + i * P)));
		}
	}
	assert_int_equal(mm_munmap(mm, X, N * P), 0);
	/* the slot the write failed on is gone for good */
	assert_int_equal(total_swap_pages(), total - 1);
	assert_int_equal(nr_swap_pages(), total_swap_pages());
	assert_machine_valid();
	(void)resident;
	end_case(&tm, pid);
}

static void test_failed_read_is_sigbus_and_keeps_the_slot(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	swp_entry_t e;
	int pid;

	boot(&tm, state);
	pid = make_task(&mm);
	evict_all(mm, N);
	e = entry_at(mm, X + 5 * P);
	vm_kdata->swap.fail_reads = 1;
	assert_int_equal(fault(mm, X + 5 * P, READ, NULL), VM_FAULT_SIGBUS);
	assert_true(in_swap(mm, X + 5 * P));
	assert_int_equal(swap_count(e), 1);
	/* the next read works */
	assert_int_equal(fault(mm, X + 5 * P, READ, NULL), VM_FAULT_OK);
	assert_true(frame_is(page_at(mm, X + 5 * P), pattern(X + 5 * P)));
	assert_machine_valid();
	end_case(&tm, pid);
}

static void test_oom_killer_picks_the_biggest(void **state)
{
	struct test_machine tm;
	struct mm_struct *small, *big;
	struct task_struct *ts, *tb;
	int ps, pb, status, got[2], go[2];
	pid_t host;

	boot(&tm, state);
	ps = test_new_task(&small);
	assert_int_equal(mm_mmap(small, X, 4 * P, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
			 X);
	assert_int_equal(fault(small, X, WRITE, NULL), VM_FAULT_OK);
	pb = make_task(&big);
	/* the victim needs a process: a child that takes the OOM killer's
	 * signal (blocked, so it lives on to be looked at), says so, and
	 * exits when told */
	assert_int_equal(pipe(got), 0);
	assert_int_equal(pipe(go), 0);
	host = fork();
	assert_true(host >= 0);
	if (host == 0) {
		sigset_t set;
		char c;

		sigemptyset(&set);
		sigaddset(&set, VM_SIG_OOM_KILL);
		sigprocmask(SIG_BLOCK, &set, NULL);
		if (write(got[1], "r", 1) != 1 || sigwaitinfo(&set, NULL) != VM_SIG_OOM_KILL ||
		    write(got[1], "k", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	assert_true(wait_byte(got[0]) == 'r');
	ts = find_task_by_pid(ps);
	tb = find_task_by_pid(pb);
	ts->host_pid = getpid();	/* never chosen: smaller */
	tb->host_pid = host;
	ts->state = tb->state = TASK_RUNNING;
	assert_true(out_of_memory(GFP_HIGHUSER, 0));
	assert_true(tb->flags & PF_MEMDIE);
	assert_false(ts->flags & PF_MEMDIE);
	assert_int_equal(vm_kdata->reclaim.oom_victim, (uint32_t)pb);
	assert_true(wait_byte(got[0]) == 'k');
	/* while the victim lives no other is chosen */
	assert_true(out_of_memory(GFP_HIGHUSER, 0));
	assert_false(ts->flags & PF_MEMDIE);
	assert_int_equal(write(go[1], "x", 1), 1);
	assert_int_equal(waitpid(host, &status, 0), host);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(got[0]);
	close(got[1]);
	close(go[0]);
	close(go[1]);
	ts->state = tb->state = TASK_NEW;
	ts->host_pid = tb->host_pid = 0;
	assert_int_equal(vm_task_reap(ps, NULL), 0);
	assert_int_equal(vm_task_reap(pb, NULL), 0);
	assert_int_equal(vm_kdata->reclaim.oom_victim, 0);
	assert_int_equal(swapoff_file(swap_path), 0);
	unlink(swap_path);
	test_shutdown(&tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH_SWAP(test_pages_go_to_swap_and_come_back),
		BOTH_SWAP(test_clean_pages_are_dropped_without_a_write),
		BOTH_SWAP(test_munmap_frees_slots_and_cached_pages),
		BOTH_SWAP(test_failed_write_keeps_the_page_and_retires_the_slot),
		BOTH_SWAP(test_failed_read_is_sigbus_and_keeps_the_slot),
		BOTH_SWAP(test_oom_killer_picks_the_biggest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
