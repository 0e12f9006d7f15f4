/* test_shootdown.c - the TLB beyond one process (tlb.c, DESIGN §7): the
 * writable-mapping bitmap and tlb_write_protect_all that fork relies on,
 * shootdowns to other processes (answered, stopped, mutual, overflowing
 * into a whole flush, to no process at all), and vfree of an area another
 * process faulted in, answered or not. Other processes are host children
 * that enter a task of their own; parent and child agree through pipes,
 * never through sleeps, and every wait is bounded by the child's alarm.
 * Each case ends with its children reaped, every frame back and check
 * clean.
 */
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>

#include "common.h"
#include "../../libvm/internal.h"
#include <vm/guest.h>

#define MiB (1ULL << 20)
#define P PAGE_SIZE
#define ANON		(MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)
#define X		0x10000000u	/* user pages the cases map */
#define CHILD_ALARM	30		/* seconds: bounds every wait on a child */
#define SECOND		1000000000ull

static int mode_i386_only = VM_MODE_I386;

/* One page per fault, so each page is its own host mapping. */
static void boot(struct test_machine *tm, void **state)
{
	struct vm_boot_opts o = { .ram_bytes = 64 * MiB, .mode = *(int *)*state,
				  .folio_order = -1 };

	if (vm_boot(&o) != 0)
		fail_msg("boot failed: %s", vm_strerror());
	tm->boot_free = nr_free_frames();
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SECOND + (uint64_t)ts.tv_nsec;
}

/* ---- this process's host mappings, from /proc/self/maps ----------------- */

struct host_map {
	char perms[5];		/* "rw-s" */
	bool ram;		/* a mapping of the machine's RAM file */
};

/* The host mapping that holds addr; false if none does. */
static bool host_map_at(const void *addr, struct host_map *m)
{
	const char *ram = vm_ram_path();
	uintptr_t a = (uintptr_t)addr;
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[5], path[400] = "";

		if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %399s", &lo, &hi, perms, path) < 3)
			continue;
		if (a < lo || a >= hi)
			continue;
		memcpy(m->perms, perms, sizeof(m->perms));
		m->ram = strcmp(path, ram) == 0;
		found = true;
	}
	fclose(f);
	return found;
}

static bool ram_mapped(const void *addr)
{
	struct host_map m;

	return host_map_at(addr, &m) && m.ram;
}

static void assert_host_map(const void *addr, const char *perms, bool ram)
{
	struct host_map m;

	assert_true(host_map_at(addr, &m));
	if (strcmp(m.perms, perms) != 0 || m.ram != ram)
		fail_msg("host mapping at %p is %s%s, expected %s%s", addr, m.perms,
			 m.ram ? " (RAM)" : "", perms, ram ? " (RAM)" : "");
}

/* ---- children that run a task ------------------------------------------- */

/* A host child and the two pipes to it. */
struct kid {
	pid_t pid;
	int cmd;		/* parent writes, child reads */
	int reply;		/* child writes, parent reads */
};

/* Killed and reaped by the teardown if a case fails before it waits. */
static pid_t live_kids[4];

static void kid_forget(pid_t pid)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(live_kids); i++)
		if (live_kids[i] == pid)
			live_kids[i] = 0;
}

static int teardown(void **state)
{
	unsigned i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(live_kids); i++) {
		if (live_kids[i] > 0) {
			kill(live_kids[i], SIGKILL);
			waitpid(live_kids[i], NULL, 0);
		}
		live_kids[i] = 0;
	}
	vm_task_leave();
	vm_destroy();
	return 0;
}

static void put(int fd, uint32_t v)
{
	if (write(fd, &v, sizeof(v)) != sizeof(v))
		_exit(90);
}

/* In the child: the next word from the parent; a parent gone is the end. */
static uint32_t kid_get(int fd)
{
	uint32_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		_exit(91);
	return v;
}

/* In the parent: the child's next word (the child's alarm bounds it). */
static uint32_t kid_recv(struct kid *k)
{
	uint32_t v;

	if (read(k->reply, &v, sizeof(v)) != sizeof(v))
		fail_msg("child %d went away", (int)k->pid);
	return v;
}

static void kid_send(struct kid *k, uint32_t v)
{
	assert_int_equal(write(k->cmd, &v, sizeof(v)), sizeof(v));
}

/* Fork a child that dies with us and within CHILD_ALARM seconds, enters
 * task pid and runs fn(cmd fd, reply fd), then exits the task. */
static void kid_spawn(struct kid *k, int pid, void (*fn)(int cmd, int reply))
{
	int to[2], from[2];
	pid_t parent = getpid();
	unsigned i;

	assert_int_equal(pipe(to), 0);
	assert_int_equal(pipe(from), 0);
	fflush(NULL);
	k->pid = fork();
	assert_true(k->pid >= 0);
	if (k->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(92);
		prctl(PR_SET_DUMPABLE, 0);	/* no core file from the cases that oops */
		/* cmocka's handlers would carry on with the next case in here */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		signal(SIGILL, SIG_DFL);
		signal(SIGFPE, SIG_DFL);
		signal(SIGABRT, SIG_DFL);
		signal(SIGALRM, SIG_DFL);
		alarm(CHILD_ALARM);
		close(to[1]);
		close(from[0]);
		if (vm_task_enter(pid) != 0)
			_exit(93);
		fn(to[0], from[1]);
		vm_task_exit(current, 0);
		_exit(0);
	}
	close(to[0]);
	close(from[1]);
	k->cmd = to[1];
	k->reply = from[0];
	for (i = 0; i < ARRAY_SIZE(live_kids) && live_kids[i]; i++)
		;
	assert_true(i < ARRAY_SIZE(live_kids));
	live_kids[i] = k->pid;
}

/* Wait for the child's end; returns its wait status. */
static int kid_wait(struct kid *k)
{
	int status;

	assert_int_equal(waitpid(k->pid, &status, 0), k->pid);
	kid_forget(k->pid);
	close(k->cmd);
	close(k->reply);
	return status;
}

static void assert_kid_exited_ok(struct kid *k)
{
	int status = kid_wait(k);

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child %d ended with status %#x", (int)k->pid, status);
}

/* Stop the child and know it has stopped. */
static void kid_stop(struct kid *k)
{
	int status;

	assert_int_equal(kill(k->pid, SIGSTOP), 0);
	assert_int_equal(waitpid(k->pid, &status, WUNTRACED), k->pid);
	assert_true(WIFSTOPPED(status));
}

static int new_task(const char *comm)
{
	int pid = vm_task_create(comm, 0);

	assert_true(pid > 0);
	return pid;
}

/* Map n pages at addr in the current task and write each (one fault and
 * one writable host mapping a page). */
static void map_and_write(uint32_t addr, unsigned n, int prot, uint8_t val)
{
	unsigned i;

	if (mm_mmap(current_mm, addr, n * P, prot, ANON, -1, 0) != addr)
		_exit(94);
	for (i = 0; i < n; i++)
		*(volatile uint8_t *)vm_ptr(addr + i * P) = (uint8_t)(val + i);
}

/* ---- the writable bitmap and tlb_write_protect_all ---------------------- */

static bool ram_is_noexec(void)
{
	struct statvfs sv;

	return statvfs(vm_ram_path(), &sv) == 0 && (sv.f_flag & ST_NOEXEC);
}

/*
 * Pages written get writable host mappings; tlb_write_protect_all lowers
 * each run to read-only, keeping exec where it was, and leaves alone what
 * is read-only or flushed. Layout (one letter a page, from X):
 *
 *   page  0 1 2 3 4 5 6 7      w = rw, x = rwx (both written), r = read,
 *         w w w w x x r f      f = written then flushed
 *
 * and a run of 70 written pages across a bitmap word boundary at X + 2 MiB
 * - 2 pages. After it, a write faults once (a TLB miss) and gets its
 * writable mapping back.
 */
static void test_write_protect_all_lowers_writable_runs(void **state)
{
	const uint32_t run = X + (2u << 20) - 2 * P;
	struct test_machine tm;
	bool exec = false;
	uint64_t misses;
	unsigned i;
	int pid;

	boot(&tm, state);
	pid = new_task("wp");
	assert_int_equal(vm_task_enter(pid), 0);
	exec = !ram_is_noexec();

	map_and_write(X, 4, PROT_READ | PROT_WRITE, 1);
	if (exec)
		map_and_write(X + 4 * P, 2, PROT_READ | PROT_WRITE | PROT_EXEC, 5);
	else
		map_and_write(X + 4 * P, 2, PROT_READ | PROT_WRITE, 5);
	assert_int_equal(mm_mmap(current_mm, X + 6 * P, P, PROT_READ, ANON, -1, 0), X + 6 * P);
	(void)*(volatile uint8_t *)vm_ptr(X + 6 * P);
	map_and_write(X + 7 * P, 1, PROT_READ | PROT_WRITE, 7);
	flush_tlb_range(X + 7 * P, P);
	map_and_write(run, 70, PROT_READ | PROT_WRITE, 9);

	assert_host_map(vm_ptr(X), "rw-s", true);
	assert_host_map(vm_ptr(X + 4 * P), exec ? "rwxs" : "rw-s", true);
	assert_host_map(vm_ptr(X + 6 * P), "r--s", true);
	assert_host_map(vm_ptr(X + 7 * P), "---p", false);

	tlb_write_protect_all();

	for (i = 0; i < 4; i++)
		assert_host_map(vm_ptr(X + i * P), "r--s", true);
	for (i = 4; i < 6; i++)
		assert_host_map(vm_ptr(X + i * P), exec ? "r-xs" : "r--s", true);
	assert_host_map(vm_ptr(X + 6 * P), "r--s", true);
	/* flushed: its bit went with it, so the reservation stays closed */
	assert_host_map(vm_ptr(X + 7 * P), "---p", false);
	for (i = 0; i < 70; i++)
		assert_host_map(vm_ptr(run + i * P), "r--s", true);
	/* the contents are the frames', untouched */
	assert_int_equal(*(volatile uint8_t *)vm_ptr(X + 3 * P), 4);
	assert_int_equal(*(volatile uint8_t *)vm_ptr(run + 69 * P), (uint8_t)(9 + 69));

	misses = current->tlb_miss;
	*(volatile uint8_t *)vm_ptr(X + P) = 0x77;
	assert_int_equal(current->tlb_miss, misses + 1);
	assert_host_map(vm_ptr(X + P), "rw-s", true);
	assert_int_equal(*(volatile uint8_t *)vm_ptr(X + P), 0x77);

	/* the refill set its bit again; nothing else is left to lower */
	tlb_write_protect_all();
	assert_host_map(vm_ptr(X + P), "r--s", true);
	assert_host_map(vm_ptr(X + 7 * P), "---p", false);

	vm_task_exit(current, 0);
	assert_int_equal(vm_task_reap(pid, NULL), 0);
	test_shutdown(&tm);
}

/* flush_tlb_all forgets every writable page: a write-protect after it
 * opens nothing in the emptied window. */
static void test_write_protect_after_flush_all_opens_nothing(void **state)
{
	struct test_machine tm;
	int pid;

	boot(&tm, state);
	pid = new_task("wp");
	assert_int_equal(vm_task_enter(pid), 0);
	map_and_write(X, 3, PROT_READ | PROT_WRITE, 1);
	flush_tlb_all();
	tlb_write_protect_all();
	assert_host_map(vm_ptr(X), "---p", false);
	assert_host_map(vm_ptr(X + 2 * P), "---p", false);
	/* and the pages fault back with their contents */
	assert_int_equal(*(volatile uint8_t *)vm_ptr(X + 2 * P), 3);
	vm_task_exit(current, 0);
	assert_int_equal(vm_task_reap(pid, NULL), 0);
	test_shutdown(&tm);
}

/* ---- shootdowns to another process --------------------------------------- */

/* Commands to the children below. */
enum { CMD_CHECK = 1, CMD_TOUCH, CMD_QUIT };

/* Map and write two pages at X; answer CMD_CHECK with which of the two
 * are RAM-mapped (bit 0, bit 1) and CMD_TOUCH by reading both back (the
 * count of TLB-miss faults that took), until CMD_QUIT. */
static void two_pages_kid(int cmd, int reply)
{
	uint32_t c;

	map_and_write(X, 2, PROT_READ | PROT_WRITE, 0x40);
	put(reply, (ram_mapped(vm_ptr(X)) ? 1 : 0) | (ram_mapped(vm_ptr(X + P)) ? 2 : 0));
	while ((c = kid_get(cmd)) != CMD_QUIT) {
		if (c == CMD_CHECK) {
			put(reply, (ram_mapped(vm_ptr(X)) ? 1 : 0) | (ram_mapped(vm_ptr(X + P)) ? 2 : 0));
		} else if (c == CMD_TOUCH) {
			uint64_t before = current->tlb_miss;

			if (*(volatile uint8_t *)vm_ptr(X) != 0x40 ||
			    *(volatile uint8_t *)vm_ptr(X + P) != 0x41)
				_exit(95);
			put(reply, (uint32_t)(current->tlb_miss - before));
		}
	}
}

/* The target drops the host mapping of the range posted, keeps the rest,
 * acks the request, and its next touch refills from the PTEs. */
static void test_shootdown_flushes_other_process(void **state)
{
	struct tlb_range r = { X, P };
	struct test_machine tm;
	struct task_struct *t;
	struct kid k;
	int pid;

	boot(&tm, state);
	pid = new_task("target");
	kid_spawn(&k, pid, two_pages_kid);
	assert_int_equal(kid_recv(&k), 3);
	t = find_task_by_pid(pid);
	assert_int_equal(t->state, TASK_RUNNING);

	assert_int_equal(tlb_shootdown(t, &r, 1, TLB_SHOOTDOWN_TIMEOUT_NS), 0);
	assert_int_equal(t->tlb.ack, t->tlb.req);
	assert_int_equal(t->tlb.nr, 0);
	kid_send(&k, CMD_CHECK);
	assert_int_equal(kid_recv(&k), 2);		/* page 0 gone, page 1 kept */
	kid_send(&k, CMD_TOUCH);
	assert_int_equal(kid_recv(&k), 1);		/* one refill, contents intact */
	kid_send(&k, CMD_CHECK);
	assert_int_equal(kid_recv(&k), 3);

	kid_send(&k, CMD_QUIT);
	assert_kid_exited_ok(&k);
	assert_int_equal(vm_task_reap(pid, NULL), 0);
	test_shutdown(&tm);
}

/* A stopped target cannot answer: the sender gives up after its timeout
 * (and logs it); once continued, the target answers what is pending. */
static void test_shootdown_to_stopped_process_times_out(void **state)
{
	struct tlb_range r0 = { X, P }, r1 = { X + P, P };
	const uint64_t timeout = 200 * 1000000ull;
	struct test_machine tm;
	struct task_struct *t;
	uint64_t mark, t0, took;
	char line[80];
	struct kid k;
	int pid;

	boot(&tm, state);
	pid = new_task("stopped");
	kid_spawn(&k, pid, two_pages_kid);
	assert_int_equal(kid_recv(&k), 3);
	t = find_task_by_pid(pid);

	kid_stop(&k);
	mark = log_mark();
	t0 = now_ns();
	assert_int_equal(tlb_shootdown(t, &r0, 1, timeout), -ETIMEDOUT);
	took = now_ns() - t0;
	assert_true(took >= timeout);
	assert_true(took < timeout + SECOND);
	assert_true(t->tlb.ack != t->tlb.req);
	snprintf(line, sizeof(line), "tlb: pid %d did not answer a shootdown", pid);
	assert_true(log_has(mark, line));

	assert_int_equal(kill(k.pid, SIGCONT), 0);
	assert_int_equal(tlb_shootdown(t, &r1, 1, TLB_SHOOTDOWN_TIMEOUT_NS), 0);
	kid_send(&k, CMD_CHECK);
	assert_int_equal(kid_recv(&k), 0);		/* both ranges flushed */

	kid_send(&k, CMD_QUIT);
	assert_kid_exited_ok(&k);
	assert_int_equal(vm_task_reap(pid, NULL), 0);
	test_shutdown(&tm);
}

#define MUTUAL_ROUNDS	200

/* Shoot the task named by the parent down MUTUAL_ROUNDS times with the
 * catchable signals blocked, as a guest inside the kernel has them (but
 * for the alarm that bounds the case); reply how many rounds succeeded
 * before the first that timed out. */
static void mutual_kid(int cmd, int reply)
{
	struct tlb_range r = { X, P };
	struct task_struct *other;
	sigset_t all, old;
	uint32_t ok = 0;
	unsigned i;

	map_and_write(X, 1, PROT_READ | PROT_WRITE, 1);
	put(reply, 1);
	other = find_task_by_pid((int)kid_get(cmd));
	if (!other || kid_get(cmd) != CMD_TOUCH)
		_exit(96);
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGALRM);	/* the bound on the case */
	sigprocmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < MUTUAL_ROUNDS; i++) {
		if (tlb_shootdown(other, &r, 1, TLB_SHOOTDOWN_TIMEOUT_NS) != 0)
			break;
		ok++;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	put(reply, ok);
	if (kid_get(cmd) != CMD_QUIT)
		_exit(97);
}

/* Two processes, each inside "the kernel", shoot each other down at once:
 * each answers the other while it waits, so neither times out. */
static void test_mutual_shootdowns_both_complete(void **state)
{
	struct test_machine tm;
	struct kid a, b;
	int pa, pb;

	boot(&tm, state);
	pa = new_task("a");
	pb = new_task("b");
	kid_spawn(&a, pa, mutual_kid);
	kid_spawn(&b, pb, mutual_kid);
	assert_int_equal(kid_recv(&a), 1);
	assert_int_equal(kid_recv(&b), 1);
	kid_send(&a, (uint32_t)pb);
	kid_send(&b, (uint32_t)pa);
	kid_send(&a, CMD_TOUCH);
	kid_send(&b, CMD_TOUCH);
	assert_int_equal(kid_recv(&a), MUTUAL_ROUNDS);
	assert_int_equal(kid_recv(&b), MUTUAL_ROUNDS);
	kid_send(&a, CMD_QUIT);
	kid_send(&b, CMD_QUIT);
	assert_kid_exited_ok(&a);
	assert_kid_exited_ok(&b);
	assert_int_equal(vm_task_reap(pa, NULL), 0);
	assert_int_equal(vm_task_reap(pb, NULL), 0);
	test_shutdown(&tm);
}

/* A task with no process to answer (never entered, or its process gone)
 * has nothing mapped: 0 at once. The current task flushes here. */
static void test_shootdown_without_process_returns_at_once(void **state)
{
	struct tlb_range r = { X, P };
	struct test_machine tm;
	struct kid k;
	uint64_t t0;
	int pnew, pgone, pme;

	boot(&tm, state);
	pnew = new_task("new");
	assert_int_equal(tlb_shootdown(find_task_by_pid(pnew), &r, 1, TLB_SHOOTDOWN_TIMEOUT_NS), 0);

	pgone = new_task("gone");
	kid_spawn(&k, pgone, two_pages_kid);
	assert_int_equal(kid_recv(&k), 3);
	assert_int_equal(kill(k.pid, SIGKILL), 0);
	kid_wait(&k);				/* reaped: its pid no longer exists */
	t0 = now_ns();
	assert_int_equal(tlb_shootdown(find_task_by_pid(pgone), &r, 1, TLB_SHOOTDOWN_TIMEOUT_NS), 0);
	assert_true(now_ns() - t0 < SECOND);

	pme = new_task("me");
	assert_int_equal(vm_task_enter(pme), 0);
	map_and_write(X, 2, PROT_READ | PROT_WRITE, 1);
	assert_true(ram_mapped(vm_ptr(X)));
	assert_int_equal(tlb_shootdown(current, &r, 1, TLB_SHOOTDOWN_TIMEOUT_NS), 0);
	assert_false(ram_mapped(vm_ptr(X)));
	assert_true(ram_mapped(vm_ptr(X + P)));
	vm_task_exit(current, 0);

	assert_int_equal(vm_task_reap(pme, NULL), 0);
	assert_int_equal(vm_task_reap(pgone, NULL), 0);
	assert_int_equal(vm_task_reap(pnew, NULL), 0);
	test_shutdown(&tm);
}

/* ---- kernel ranges: vfree --------------------------------------------------- */

/* Touch the vmalloc range the parent names (3 pages of 0x5a) and answer
 * whether it is RAM-mapped; then CMD_CHECK answers that again, CMD_TOUCH
 * reads it (which oopses once the area is gone). */
static void vmalloc_kid(int cmd, int reply)
{
	volatile uint8_t *p;
	uint32_t c, kva, i;

	put(reply, 1);
	kva = kid_get(cmd);
	p = kva_to_host(kva);
	for (i = 0; i < 3 * P; i += 256)
		if (p[i] != 0x5a)
			_exit(98);
	put(reply, ram_mapped((void *)p) && ram_mapped((void *)(p + 2 * P)));
	while ((c = kid_get(cmd)) != CMD_QUIT) {
		if (c == CMD_CHECK)
			put(reply, ram_mapped((void *)p) || ram_mapped((void *)(p + 2 * P)));
		else if (c == CMD_TOUCH)
			put(reply, p[0]);
	}
}

/* vfree flushes the area in the process that faulted it in before its
 * frames go back: afterwards that process has no host mapping of it, and
 * its next touch is a kernel fault with nothing in swapper_pg_dir (an
 * oops), not a read of a frame someone else owns. */
static void test_vfree_flushes_area_in_other_process(void **state)
{
	struct test_machine tm;
	unsigned long before;
	uint64_t mark;
	struct kid k;
	char line[80];
	uint8_t *p;
	uint32_t kva;
	int pid, status;

	boot(&tm, state);
	pid = new_task("reader");
	kid_spawn(&k, pid, vmalloc_kid);
	assert_int_equal(kid_recv(&k), 1);
	drain_all_pages();
	before = nr_free_frames();
	p = vmalloc(3 * P);
	assert_non_null(p);
	memset(p, 0x5a, 3 * P);
	kva = host_to_kva(p);
	kid_send(&k, kva);
	assert_int_equal(kid_recv(&k), 1);		/* faulted in there */

	vfree(p);
	drain_all_pages();
	assert_int_equal(nr_free_frames(), before);
	assert_int_equal(vm_kdata->vmap.root.count, 0);
	assert_int_equal(global_node_page_state(NR_VMALLOC), 0);
	kid_send(&k, CMD_CHECK);
	assert_int_equal(kid_recv(&k), 0);		/* flushed there too */

	mark = log_mark();
	kid_send(&k, CMD_TOUCH);
	status = kid_wait(&k);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSEGV);
	snprintf(line, sizeof(line), "BUG: unable to handle page fault for address: %08x", kva);
	assert_true(log_has(mark, line));
	assert_int_equal(vm_task_reap(pid, NULL), 0);
	test_shutdown(&tm);
}

/*
 * A stopped process that mapped the area keeps vfree from freeing its
 * frames: the area stays, out of swapper_pg_dir, with its range and frames
 * (check accepts it), and a second vfree of it is refused. Once the
 * process runs again, the next vfree takes the waiting area into its own
 * shootdown and frees both.
 */
static void test_vfree_keeps_frames_a_stopped_process_maps(void **state)
{
	struct test_machine tm;
	unsigned long before, held, tables;
	uint8_t *p, *q;
	uint32_t kva;
	uint64_t mark;
	struct kid k;
	char line[80];
	int pid;

	boot(&tm, state);
	pid = new_task("sleeper");
	kid_spawn(&k, pid, vmalloc_kid);
	assert_int_equal(kid_recv(&k), 1);
	drain_all_pages();
	before = nr_free_frames();
	p = vmalloc(3 * P);
	assert_non_null(p);
	memset(p, 0x5a, 3 * P);
	kva = host_to_kva(p);
	kid_send(&k, kva);
	assert_int_equal(kid_recv(&k), 1);

	kid_stop(&k);
	drain_all_pages();
	held = nr_free_frames();
	tables = global_node_page_state(NR_PAGETABLE);
	mark = log_mark();
	vfree(p);				/* waits TLB_SHOOTDOWN_TIMEOUT_NS */
	snprintf(line, sizeof(line), "tlb: pid %d did not answer a shootdown", pid);
	assert_true(log_has(mark, line));
	drain_all_pages();
	/* only the kernel page table the PTEs emptied came back */
	assert_int_equal(nr_free_frames(), held + (tables - global_node_page_state(NR_PAGETABLE)));
	assert_int_equal(global_node_page_state(NR_VMALLOC), 3);
	assert_int_equal(vm_kdata->vmap.root.count, 1);
	assert_int_equal(vm_kdata->vmap.nr_pages, 3);
	assert_int_equal(kernel_lookup_page(kva), 0);
	assert_null(vmalloc_to_page(p));
	assert_machine_valid();
	vfree(p);
	assert_true(log_has(mark, "Trying to vfree() nonexistent vm area"));
	assert_int_equal(vm_kdata->vmap.root.count, 1);

	/* the range is still taken: a new area goes elsewhere */
	assert_int_equal(kill(k.pid, SIGCONT), 0);
	q = vmalloc(P);
	assert_non_null(q);
	assert_true(host_to_kva(q) >= kva + 4 * P);
	vfree(q);
	drain_all_pages();
	assert_int_equal(nr_free_frames(), before);
	assert_int_equal(vm_kdata->vmap.root.count, 0);
	assert_int_equal(vm_kdata->vmap.nr_pages, 0);
	kid_send(&k, CMD_CHECK);
	assert_int_equal(kid_recv(&k), 0);

	kid_send(&k, CMD_QUIT);
	assert_kid_exited_ok(&k);
	assert_int_equal(vm_task_reap(pid, NULL), 0);
	test_shutdown(&tm);
}

/* Map and write a page at X; fault in the two vmalloc areas the parent
 * names; then CMD_CHECK answers which are RAM-mapped: bit 0 the user page,
 * bit 1 the first area, bit 2 the second. */
static void overflow_kid(int cmd, int reply)
{
	volatile uint8_t *a, *b;

	map_and_write(X, 1, PROT_READ | PROT_WRITE, 1);
	put(reply, 1);
	a = kva_to_host(kid_get(cmd));
	b = kva_to_host(kid_get(cmd));
	if (a[0] != 0xa || b[0] != 0xb)
		_exit(98);
	for (;;) {
		uint32_t c = kid_get(cmd);

		if (c == CMD_QUIT)
			return;
		put(reply, (ram_mapped(vm_ptr(X)) ? 1 : 0) | (ram_mapped((void *)a) ? 2 : 0) |
			   (ram_mapped((void *)b) ? 4 : 0));
	}
}

/*
 * More ranges than a mailbox holds become a whole flush: the target's user
 * window goes, and of its vmalloc mappings exactly those swapper_pg_dir no
 * longer backs (b's, whose PTE the case clears by hand), while a live area
 * (a) stays mapped.
 */
static void test_mailbox_overflow_flushes_all(void **state)
{
	struct tlb_range r[TLB_MAILBOX_RANGES + 1];
	struct test_machine tm;
	unsigned long bpfn;
	uint8_t *a, *b;
	struct kid k;
	unsigned i;
	int pid;

	boot(&tm, state);
	pid = new_task("overflow");
	kid_spawn(&k, pid, overflow_kid);
	assert_int_equal(kid_recv(&k), 1);
	a = vmalloc(P);
	b = vmalloc(P);
	assert_non_null(a);
	assert_non_null(b);
	a[0] = 0xa;
	b[0] = 0xb;
	kid_send(&k, host_to_kva(a));
	kid_send(&k, host_to_kva(b));
	kid_send(&k, CMD_CHECK);
	assert_int_equal(kid_recv(&k), 7);

	bpfn = kernel_unmap_page(host_to_kva(b));
	assert_true(bpfn != 0);
	/* disjoint ranges far from anything mapped */
	for (i = 0; i < ARRAY_SIZE(r); i++) {
		r[i].start = 0x20000000u + 2 * i * P;
		r[i].len = P;
	}
	assert_int_equal(tlb_shootdown(find_task_by_pid(pid), r, ARRAY_SIZE(r),
				       TLB_SHOOTDOWN_TIMEOUT_NS), 0);
	kid_send(&k, CMD_CHECK);
	assert_int_equal(kid_recv(&k), 2);

	assert_int_equal(kernel_map_page(host_to_kva(b), bpfn, true), 0);
	kid_send(&k, CMD_QUIT);
	assert_kid_exited_ok(&k);
	vfree(a);
	vfree(b);
	assert_int_equal(vm_task_reap(pid, NULL), 0);
	test_shutdown(&tm);
}

#define ONE(f)	cmocka_unit_test_prestate_setup_teardown(f, NULL, teardown, &mode_i386_only)
#define TWO(f)								\
	cmocka_unit_test_prestate_setup_teardown(f, NULL, teardown, &mode_i386), \
	cmocka_unit_test_prestate_setup_teardown(f, NULL, teardown, &mode_pae)

int main(void)
{
	const struct CMUnitTest tests[] = {
		ONE(test_write_protect_all_lowers_writable_runs),
		ONE(test_write_protect_after_flush_all_opens_nothing),
		TWO(test_shootdown_flushes_other_process),
		ONE(test_shootdown_to_stopped_process_times_out),
		ONE(test_mutual_shootdowns_both_complete),
		ONE(test_shootdown_without_process_returns_at_once),
		TWO(test_vfree_flushes_area_in_other_process),
		ONE(test_vfree_keeps_frames_a_stopped_process_maps),
		TWO(test_mailbox_overflow_flushes_all),
	};
	cpu_set_t one;

	/* Freed frames wait on the per-CPU list of the CPU that freed them:
	 * stay on one CPU so a case gets back the frames it just freed. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
