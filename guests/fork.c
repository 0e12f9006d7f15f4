/* fork - vm_fork, vm_waitpid, vm_kill and copy-on-write as a guest sees
 * them, one mode per test, after xv6's cowtest and forktest and the
 * KAIST Pintos fork tests. Each mode prints what it checks, one "ok" or
 * "FAIL" line per check (a child's lines say "child"), and exits 0 when
 * all held, 1 when one did not; tests/integration/test_fork.sh runs every
 * mode in both paging modes and checks the machine afterwards: every
 * frame free again, vmrun's check and vmdump check clean.
 *
 *   vmrun [--mode pae] --ram 64M -- guests/fork MODE [ARGS]
 *
 * The modes that size their memory from the machine take its RAM in MiB
 * (the --ram given to vmrun) as their argument. Children always leave by
 * vm_exit(status): a return from main would exit the task with 0.
 *
 * Pipes and the storm's counters are host memory the children inherit
 * (a forked guest's host process is a copy of its parent's); everything
 * the checks are about is window memory from vm_mmap. Every wait on a
 * pipe is bounded (30 s) and a blocking vm_waitpid is bounded by the
 * script's timeout: a lost wake-up fails the test, it does not hang it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vm/guest.h>

#include "pattern.h"

#define MiB		(1u << 20)
#define PIPE_WAIT	30		/* seconds any pipe read may wait */

static int failures;
static char who[32] = "parent";		/* whose lines these are */

/* ---- reporting ---------------------------------------------------------- */

static void check(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("  %s %s: ", cond ? "ok  " : "FAIL", who);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		failures++;
}

/* Leave this guest: children too, so the status reaches the parent. */
static void __attribute__((noreturn)) leave(void)
{
	fflush(stdout);
	vm_exit(failures ? 1 : 0);
}

static void __attribute__((noreturn)) die(const char *what)
{
	printf("  FAIL %s: %s: %s\n", who, what, strerror(errno));
	failures++;
	leave();
}

/* ---- helpers ------------------------------------------------------------ */

static char *map_anon(size_t pages)
{
	char *p = vm_mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("vm_mmap");
	return p;
}

static void unmap(void *p, size_t pages)
{
	if (vm_munmap(p, pages * PAGE) < 0)
		die("vm_munmap");
}

static uint64_t entry_of(const void *p)
{
	uint64_t e;

	if (vm_translate(p, &e) < 0)
		die("vm_translate");
	return e;
}

/* The frame behind p, or ~0 when none is present. */
static uint64_t pfn_of(const void *p)
{
	uint64_t e = entry_of(p);

	return (e & PM_PRESENT) ? e & PM_PFRAME_MASK : ~0ULL;
}

static struct vm_rusage usage(void)
{
	struct vm_rusage ru;

	if (vm_getrusage(&ru) < 0)
		die("vm_getrusage");
	return ru;
}

/* A word's value depends on its guest address and a seed, so any part of
 * a filled range can be checked on its own and two seeds never agree. */
static inline uint32_t pattern(const uint32_t *w, uint32_t seed)
{
	return seed * 0x01000193u + (uint32_t)(vm_gva(w) >> 2) * 0x9E3779B1u + 1;
}

static void fill(char *p, size_t pages, uint32_t seed)
{
	uint32_t *w = (uint32_t *)p;
	size_t i, n = pages * PAGE / 4;

	for (i = 0; i < n; i++)
		w[i] = pattern(&w[i], seed);
}

/* Words of [p, p + pages) that do not hold seed's pattern. */
static size_t errors(const char *p, size_t pages, uint32_t seed)
{
	const uint32_t *w = (const uint32_t *)p;
	size_t i, n = pages * PAGE / 4, bad = 0;

	for (i = 0; i < n; i++)
		if (w[i] != pattern(&w[i], seed))
			bad++;
	return bad;
}

/* Words of [p, p + len) that are not zero. */
static size_t nonzero(const char *p, size_t len)
{
	const uint64_t *w = (const uint64_t *)p;
	size_t i, bad = 0;

	for (i = 0; i < len / 8; i++)
		if (w[i])
			bad++;
	return bad;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* vm_fork with stdio flushed, so no line is printed twice; in the child,
 * names the lines after it. */
static pid_t fork_guest(const char *child_name)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = vm_fork();
	if (pid == 0) {
		snprintf(who, sizeof(who), "%s %d", child_name, (int)vm_getpid());
		failures = 0;	/* its status speaks for its own checks */
	}
	return pid;
}

static pid_t xfork(const char *child_name)
{
	pid_t pid = fork_guest(child_name);

	if (pid < 0)
		die("vm_fork");
	return pid;
}

static void xpipe(int fd[2])
{
	if (pipe(fd) < 0)
		die("pipe");
}

static void put(int fd, const void *buf, size_t n)
{
	if (write(fd, buf, n) != (ssize_t)n)
		die("write to a pipe");
}

/* Read n bytes within PIPE_WAIT seconds: 0, or -1 on timeout or EOF. */
static int get(int fd, void *buf, size_t n)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	double end = now() + PIPE_WAIT;
	size_t got = 0;

	while (got < n) {
		int left = (int)((end - now()) * 1000), r;

		if (left <= 0)
			return -1;
		r = poll(&pfd, 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		r = (int)read(fd, (char *)buf + got, n - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static void wait_for(int fd, const char *what)
{
	char c;

	if (get(fd, &c, 1) < 0) {
		check(0, "no word within %d s: %s", PIPE_WAIT, what);
		leave();
	}
}

static const char *describe(int status)
{
	static char buf[64];

	if (WIFEXITED(status))
		snprintf(buf, sizeof(buf), "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, sizeof(buf), "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, sizeof(buf), "status %#x", status);
	return buf;
}

/* Wait for pid (blocking) and check that it exited with code. */
static void expect_exit(pid_t pid, int code, const char *what)
{
	int status = 0;
	pid_t r = vm_waitpid(pid, &status, 0);

	if (r < 0)
		die("vm_waitpid");
	check(r == pid && WIFEXITED(status) && WEXITSTATUS(status) == code,
	      "%s: vm_waitpid(%d) gave %d, %s; want exit %d", what, (int)pid, (int)r,
	      describe(status), code);
}

static long arg_num(int argc, char **argv, int i, long lo, long hi, const char *what)
{
	char *end;
	long n;

	if (argc <= i) {
		fprintf(stderr, "fork: %s: missing %s\n", argv[1], what);
		exit(2);
	}
	errno = 0;
	n = strtol(argv[i], &end, 10);
	if (errno || *end || end == argv[i] || n < lo || n > hi) {
		fprintf(stderr, "fork: %s wants a number from %ld to %ld, not '%s'\n", what, lo, hi,
			argv[i]);
		exit(2);
	}
	return n;
}

/* ---- cow-simple --------------------------------------------------------- */

#define COW_PAGES	64
#define COW_CHILD_PAGE	7	/* the page the child writes */
#define COW_PARENT_PAGE	9	/* the page the parent writes while the child lives */

/* The frames of the pages [p, p + n) into pfn[], with how many differ
 * from want[] (want NULL: none compared). */
static unsigned frames(const char *p, unsigned n, uint64_t *pfn, const uint64_t *want)
{
	unsigned i, moved = 0;

	for (i = 0; i < n; i++) {
		pfn[i] = pfn_of(p + (size_t)i * PAGE);
		if (want && pfn[i] != want[i])
			moved++;
	}
	return moved;
}

/* After xv6's cowtest simpletest and the Pintos fork tests: the child
 * starts on the parent's very frames; a write by either side copies that
 * one page and no other; neither sees the other's write; the last user
 * of a frame writes it in place. Read-only zero page first. */
static int t_cow_simple(int argc, char **argv)
{
	static uint64_t before[COW_PAGES], after[COW_PAGES];
	uint64_t zero_pfn, e, zr_pfn, z0_pfn;
	pid_t parent = vm_getpid(), child, said = 0;
	int to_child[2], to_parent[2];
	unsigned i, moved, distinct;
	char *p, *z;

	(void)argc, (void)argv;
	printf("cow-simple: %u pages, child writes page %u, parent page %u while it lives\n",
	       COW_PAGES, COW_CHILD_PAGE, COW_PARENT_PAGE);

	/* the zero page: reads of untouched pages share one read-only frame */
	z = map_anon(64);
	check(z[0] == 0 && z[40 * PAGE + 100] == 0 && z[63 * PAGE] == 0,
	      "three untouched pages of a fresh mapping read 0");
	zero_pfn = pfn_of(z);
	check(zero_pfn != ~0ULL && pfn_of(z + 40 * PAGE) == zero_pfn &&
	      pfn_of(z + 63 * PAGE) == zero_pfn,
	      "all three map the same frame (pfn %#llx, the zero page)",
	      (unsigned long long)zero_pfn);
	e = entry_of(z);
	check(!(e & PM_SOFT_DIRTY), "the zero page's PTE is clean (entry %#llx)",
	      (unsigned long long)e);
	z[5] = 42;
	check(pfn_of(z) != zero_pfn && pfn_of(z) != ~0ULL && z[5] == 42 &&
	      nonzero(z, PAGE) == 1,
	      "a write to page 0 gave it a frame of its own (pfn %#llx), zeroed but the byte",
	      (unsigned long long)pfn_of(z));
	check(pfn_of(z + 40 * PAGE) == zero_pfn && z[40 * PAGE + 100] == 0,
	      "page 40 still maps the zero page and reads 0");

	p = map_anon(COW_PAGES);
	fill(p, COW_PAGES, 100);
	frames(p, COW_PAGES, before, NULL);
	for (i = 0, distinct = 0; i < COW_PAGES; i++) {
		unsigned j;

		for (j = 0; j < i && before[j] != before[i]; j++)
			;
		distinct += j == i && before[i] != ~0ULL && before[i] != zero_pfn;
	}
	check(distinct == COW_PAGES, "the parent's %u written pages have %u distinct frames",
	      COW_PAGES, distinct);
	zr_pfn = pfn_of(z + 40 * PAGE);
	z0_pfn = pfn_of(z);

	xpipe(to_child);
	xpipe(to_parent);
	child = xfork("child");
	if (child == 0) {
		pid_t me = vm_getpid();

		put(to_parent[1], &me, sizeof(me));
		check(vm_getppid() == parent, "vm_getppid() is %d, the parent's pid %d",
		      (int)vm_getppid(), (int)parent);
		moved = frames(p, COW_PAGES, after, before);
		check(moved == 0, "the child maps the parent's frames: %u of %u differ", moved,
		      COW_PAGES);
		check(errors(p, COW_PAGES, 100) == 0, "and reads the parent's contents");
		check(pfn_of(z + 40 * PAGE) == zero_pfn && z[40 * PAGE + 100] == 0,
		      "an untouched page read before the fork still maps the zero page");
		check(pfn_of(z) == z0_pfn && z[5] == 42,
		      "the page the parent wrote after reading zero is shared too");

		fill(p + COW_CHILD_PAGE * PAGE, 1, 200);
		moved = frames(p, COW_PAGES, after, before);
		check(after[COW_CHILD_PAGE] != before[COW_CHILD_PAGE] &&
		      after[COW_CHILD_PAGE] != ~0ULL,
		      "writing page %u gave the child a new frame (%#llx -> %#llx)",
		      COW_CHILD_PAGE, (unsigned long long)before[COW_CHILD_PAGE],
		      (unsigned long long)after[COW_CHILD_PAGE]);
		check(moved == 1, "only that page moved: %u pages have other frames", moved);
		check(errors(p + COW_CHILD_PAGE * PAGE, 1, 200) == 0,
		      "page %u holds the child's write", COW_CHILD_PAGE);
		check(errors(p, COW_CHILD_PAGE, 100) == 0 &&
		      errors(p + (COW_CHILD_PAGE + 1) * PAGE, COW_PAGES - COW_CHILD_PAGE - 1, 100) == 0,
		      "the others still hold the parent's contents");
		z[40 * PAGE + 100] = 9;
		check(pfn_of(z + 40 * PAGE) != zero_pfn && z[40 * PAGE + 100] == 9 &&
		      nonzero(z + 40 * PAGE, PAGE) == 1,
		      "the child's write to a zero-page page gave it a zeroed frame of its own");

		put(to_parent[1], "w", 1);
		wait_for(to_child[0], "the parent's write of its page");
		check(pfn_of(p + COW_PARENT_PAGE * PAGE) == before[COW_PARENT_PAGE] &&
		      errors(p + COW_PARENT_PAGE * PAGE, 1, 100) == 0,
		      "the parent's write of page %u is not seen: same frame, old contents",
		      COW_PARENT_PAGE);
		leave();
	}

	if (get(to_parent[0], &said, sizeof(said)) < 0)
		check(0, "the child never said its pid");
	check(child > 0 && child != parent && said == child,
	      "vm_fork gave the parent %d, the child calls itself %d", (int)child, (int)said);
	wait_for(to_parent[0], "the child's write");
	moved = frames(p, COW_PAGES, after, before);
	check(moved == 0, "after the child's write the parent still has its %u frames (%u moved)",
	      COW_PAGES, moved);
	check(errors(p, COW_PAGES, 100) == 0, "and its contents, page %u too", COW_CHILD_PAGE);
	check(pfn_of(z + 40 * PAGE) == zr_pfn && z[40 * PAGE + 100] == 0,
	      "and its page 40 still maps the zero page");

	fill(p + COW_PARENT_PAGE * PAGE, 1, 300);
	moved = frames(p, COW_PAGES, after, before);
	check(after[COW_PARENT_PAGE] != before[COW_PARENT_PAGE] && moved == 1,
	      "the parent's write to page %u, shared with the live child, copied it and "
	      "no other (%u moved)", COW_PARENT_PAGE, moved);
	put(to_child[1], "w", 1);
	expect_exit(child, 0, "the child");

	check(errors(p + COW_PARENT_PAGE * PAGE, 1, 300) == 0 &&
	      errors(p, COW_PARENT_PAGE, 100) == 0 &&
	      errors(p + (COW_PARENT_PAGE + 1) * PAGE, COW_PAGES - COW_PARENT_PAGE - 1, 100) == 0,
	      "after the child exited, the parent's contents are its own");
	/* the child is gone: the parent is the last user of every frame */
	fill(p, COW_PAGES, 400);
	moved = frames(p, COW_PAGES, before, after);
	check(moved == 0, "the parent, last user of its frames, writes all %u in place "
	      "(%u moved)", COW_PAGES, moved);
	check(errors(p, COW_PAGES, 400) == 0, "and reads its writes back");
	unmap(p, COW_PAGES);
	unmap(z, 64);
	return failures ? 1 : 0;
}

/* ---- cowtest-three ------------------------------------------------------ */

/* xv6's threetest: a quarter of RAM, filled; a child and a grandchild
 * each write all of it and check their own values while the parent
 * rewrites its own; three rounds, so copies not freed by the end of one
 * leave the next without memory (three rounds hold 3/4 of RAM at most at
 * any time, 9/4 if nothing came back). */
static int t_cowtest_three(int argc, char **argv)
{
	long ram_mb = arg_num(argc, argv, 2, 16, 4096, "RAM_MB");
	size_t pages = (size_t)ram_mb * MiB / PAGE / 4;
	unsigned round;

	printf("cowtest-three: %zu pages (a quarter of %ld MiB), three rounds\n", pages, ram_mb);
	for (round = 1; round <= 3; round++) {
		uint32_t seed = round * 10;
		char *p = map_anon(pages);
		pid_t child;

		fill(p, pages, seed);
		child = xfork("child");
		if (child == 0) {
			pid_t grand = xfork("grandchild");

			if (grand == 0) {
				uint32_t mine = seed + 2;

				check(errors(p, pages, seed) == 0, "round %u: sees the parent's values",
				      round);
				fill(p, pages, mine);
				check(errors(p, pages, mine) == 0, "round %u: reads its own values back",
				      round);
				leave();
			}
			check(errors(p, pages, seed) == 0, "round %u: sees the parent's values", round);
			fill(p, pages, seed + 1);
			expect_exit(grand, 0, "the grandchild");
			check(errors(p, pages, seed + 1) == 0,
			      "round %u: reads its own values back after the grandchild wrote all",
			      round);
			leave();
		}
		fill(p, pages, seed + 5);
		expect_exit(child, 0, "the child");
		check(errors(p, pages, seed + 5) == 0,
		      "round %u: the parent's values survive the children's writes", round);
		unmap(p, pages);
	}
	return failures ? 1 : 0;
}

/* ---- forkfork ----------------------------------------------------------- */

#define FF_PAGES	256	/* 1 MiB */
#define FF_KIDS		4

/* Seeds by round, child (1..4, 0: the top) and grandchild (1..4, 0: the
 * child itself). */
static uint32_t ff_seed(unsigned round, unsigned c, unsigned g)
{
	return 1000 * round + 10 * c + g;
}

/* Words of the 1 MiB p that differ from what a process should see: the
 * top's values everywhere, child c's in its quarter, grandchild g's in
 * its sixteenth of that. */
static size_t ff_errors(const char *p, unsigned round, unsigned c, unsigned g)
{
	const unsigned q = FF_PAGES / FF_KIDS, s = q / FF_KIDS;
	size_t bad = 0;
	unsigned i;

	for (i = 0; i < FF_PAGES; i++) {
		uint32_t seed = ff_seed(round, 0, 0);

		if (c && i / q == c - 1) {
			seed = ff_seed(round, c, 0);
			if (g && (i % q) / s == g - 1)
				seed = ff_seed(round, c, g);
		}
		bad += errors(p + (size_t)i * PAGE, 1, seed);
	}
	return bad;
}

/* xv6's forkfork and forktest, bounded: rounds of 4 children at once,
 * each forking 4 grandchildren at once, over 1 MiB that every one of them
 * writes a part of; each checks what it sees, all are waited. */
static int t_forkfork(int argc, char **argv)
{
	unsigned rounds = argc > 2 ? (unsigned)arg_num(argc, argv, 2, 1, 1000, "ROUNDS") : 16;
	const unsigned q = FF_PAGES / FF_KIDS, s = q / FF_KIDS;
	char *p = map_anon(FF_PAGES);
	unsigned round, c, g, done, bad_kids = 0;

	printf("forkfork: %u rounds of %u children x %u grandchildren over 1 MiB\n", rounds,
	       FF_KIDS, FF_KIDS);
	for (round = 1; round <= rounds; round++) {
		pid_t kids[FF_KIDS];

		fill(p, FF_PAGES, ff_seed(round, 0, 0));
		for (c = 1; c <= FF_KIDS; c++) {
			pid_t grands[FF_KIDS];

			kids[c - 1] = xfork("child");
			if (kids[c - 1] != 0)
				continue;
			if (ff_errors(p, round, 0, 0))
				check(0, "round %u: does not see the parent's 1 MiB", round);
			fill(p + (size_t)(c - 1) * q * PAGE, q, ff_seed(round, c, 0));
			for (g = 1; g <= FF_KIDS; g++) {
				grands[g - 1] = xfork("grandchild");
				if (grands[g - 1] != 0)
					continue;
				if (ff_errors(p, round, c, 0))
					check(0, "round %u: does not see its parent's 1 MiB", round);
				fill(p + ((size_t)(c - 1) * q + (g - 1) * s) * PAGE, s,
				     ff_seed(round, c, g));
				if (ff_errors(p, round, c, g))
					check(0, "round %u: its own 1 MiB is wrong after its write",
					      round);
				leave();
			}
			for (g = 0; g < FF_KIDS; g++) {
				int status;
				pid_t r = vm_waitpid(-1, &status, 0);

				if (r < 0)
					die("vm_waitpid(-1)");
				if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
					check(0, "round %u: grandchild %d: %s", round, (int)r,
					      describe(status));
			}
			if (vm_waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD)
				check(0, "round %u: vm_waitpid after the 4 grandchildren: not ECHILD",
				      round);
			if (ff_errors(p, round, c, 0))
				check(0, "round %u: its 1 MiB changed under the grandchildren's writes",
				      round);
			leave();
		}
		for (done = 0; done < FF_KIDS; done++) {
			int status;
			pid_t r = vm_waitpid(-1, &status, 0);

			if (r < 0)
				die("vm_waitpid(-1)");
			for (c = 0; c < FF_KIDS && kids[c] != r; c++)
				;
			if (c == FF_KIDS || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				bad_kids++;
				check(0, "round %u: child %d (%s): %s", round, (int)r,
				      c == FF_KIDS ? "not one of ours" : "ours", describe(status));
			}
			if (c < FF_KIDS)
				kids[c] = 0;
		}
		if (ff_errors(p, round, 0, 0))
			check(0, "round %u: the parent's 1 MiB changed under 20 writers", round);
	}
	check(bad_kids == 0, "%u children and %u grandchildren exited 0, each having checked "
	      "its 1 MiB", rounds * FF_KIDS, rounds * FF_KIDS * FF_KIDS);
	check(errors(p, FF_PAGES, ff_seed(rounds, 0, 0)) == 0,
	      "the parent's 1 MiB holds its own values after all");
	check(vm_waitpid(-1, NULL, 0) == -1 && errno == ECHILD, "no child is left to wait for");
	unmap(p, FF_PAGES);
	return failures ? 1 : 0;
}

/* ---- fork-big ----------------------------------------------------------- */

#define BIG_SPARSE	512		/* sparse pages, a page table each */
#define BIG_SPARSE_BASE	0x10000000u
#define BIG_STRIDE	(4u * MiB)	/* a table spans 4 MiB (i386) or 2 MiB (pae) */

static char *sparse_page(unsigned i)
{
	return vm_ptr(BIG_SPARSE_BASE + (uint64_t)i * BIG_STRIDE);
}

static size_t sparse_errors(uint32_t seed)
{
	size_t bad = 0;
	unsigned i;

	for (i = 0; i < BIG_SPARSE; i++)
		bad += errors(sparse_page(i), 1, seed + i);
	return bad;
}

static void sparse_fill(uint32_t seed)
{
	unsigned i;

	for (i = 0; i < BIG_SPARSE; i++)
		fill(sparse_page(i), 1, seed + i);
}

/* A probe: fork a child that reads a few pages and exits. The child's
 * pid, or -1 and errno from vm_fork. */
static pid_t big_probe(const char *eat, size_t eaten)
{
	pid_t pid = fork_guest("probe child");

	if (pid == 0) {
		if (errors(sparse_page(0), 1, 500) || errors(sparse_page(BIG_SPARSE - 1), 1,
							   500 + BIG_SPARSE - 1) ||
		    (eaten && errors(eat + (eaten - 1) * PAGE, 1, 600)))
			check(0, "sees other contents than the parent's");
		leave();
	}
	return pid;
}

/* Fork of a guest bigger than the free memory left (COW shares it all),
 * then a fork that cannot get its page tables: ENOMEM, and the parent
 * keeps every page, writable in place. */
static int t_fork_big(int argc, char **argv)
{
	long ram_mb = arg_num(argc, argv, 2, 16, 4096, "RAM_MB");
	size_t ram = (size_t)ram_mb * MiB / PAGE, big = ram * 6 / 10, i, eaten = 0, chunk;
	size_t free_ub, wrote_bad, eat_pages;
	struct vm_rusage a, b;
	unsigned probes = 0;
	pid_t child;
	char *p, *eat;
	int err, status;

	printf("fork-big: %zu-page machine\n", ram);

	/* 1. 60% of RAM touched: less than that is free, fork shares it all */
	p = map_anon(big);
	fill(p, big, 7);
	a = usage();
	free_ub = ram - a.rss;
	check(free_ub < big, "%zu pages touched, at most %zu frames free: a copy would not fit",
	      big, free_ub);
	child = xfork("child");
	if (child == 0) {
		check(errors(p, big, 7) == 0, "reads all %zu pages as the parent wrote them", big);
		for (i = 0; i < 16; i++)
			fill(p + (i * (big / 16)) * PAGE, 1, 8);
		for (i = 0, wrote_bad = 0; i < big; i++)
			wrote_bad += errors(p + i * PAGE, 1, i % (big / 16) == 0 && i / (big / 16) < 16 ?
							     8 : 7);
		check(wrote_bad == 0, "wrote 16 pages of its own, the rest unchanged");
		leave();
	}
	expect_exit(child, 0, "the child of the big guest");
	check(errors(p, big, 7) == 0, "the parent's %zu pages are intact after the child", big);
	unmap(p, big);

	/* 2. 512 pages, each in a page table of its own: a fork needs 512
	 * tables. Then eat free memory until a fork fails: probe forks
	 * (which succeed and exit) 64 pages apart once the upper bound on
	 * free frames nears twice that. Upper bound: RAM less what this guest
	 * is known to hold (rss, one table per sparse page, one per 4 MiB
	 * eaten); the kernel's own frames only make the truth smaller. */
	for (i = 0; i < BIG_SPARSE; i++) {
		char *s = vm_mmap(sparse_page((unsigned)i), PAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

		if (s == MAP_FAILED)
			die("vm_mmap MAP_FIXED_NOREPLACE of a sparse page");
	}
	sparse_fill(500);
	/* room for all that can be free (a mapping bigger than RAM would be
	 * refused outright) */
	a = usage();
	eat_pages = ram - a.rss - BIG_SPARSE;
	eat = map_anon(eat_pages);
	for (;;) {
		a = usage();
		free_ub = ram - a.rss - BIG_SPARSE - eaten / 1024;
		if (a.rss + BIG_SPARSE + eaten / 1024 >= ram || free_ub < 48) {
			check(0, "%u forks succeeded while at most %zu frames were free; each needs %u "
			      "page tables", probes, free_ub, BIG_SPARSE);
			break;
		}
		if (eaten + 64 > eat_pages) {
			check(0, "%zu pages eaten, no room for more, and forks still work", eaten);
			break;
		}
		if (free_ub > 2 * BIG_SPARSE + 256) {
			chunk = (free_ub - 2 * BIG_SPARSE - 256) & ~(size_t)15;
		} else {
			child = big_probe(eat, eaten);
			if (child < 0)
				break;
			probes++;
			status = 0;
			if (vm_waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
			    WEXITSTATUS(status) != 0)
				check(0, "probe child %d: %s", (int)child, describe(status));
			chunk = 64;
		}
		fill(eat + eaten * PAGE, chunk, 600);	/* one seed: pattern varies by address */
		eaten += chunk;
	}
	err = errno;
	b = usage();
	if (child >= 0)
		leave();
	check(err == ENOMEM, "vm_fork failed with %s after %u probe forks, %zu pages eaten, at most "
	      "%zu frames free", strerror(err), probes, eaten, free_ub);
	check(b.rss == a.rss, "the parent's rss is what it was before the failed fork (%llu, %llu)",
	      (unsigned long long)a.rss, (unsigned long long)b.rss);
	check(sparse_errors(500) == 0 && errors(eat, eaten, 600) == 0,
	      "the parent's %u sparse pages and %zu eaten pages are intact", BIG_SPARSE, eaten);
	/* no frame to spare: every write must reuse its frame in place, or
	 * the guest dies out of memory here */
	printf("  (writing all %zu pages again with at most %zu frames free)\n",
	       eaten + BIG_SPARSE, free_ub);
	fflush(stdout);
	sparse_fill(700);
	fill(eat, eaten, 800);
	check(sparse_errors(700) == 0 && errors(eat, eaten, 800) == 0,
	      "the parent rewrote every page in place and reads it back");
	b = usage();
	check(b.rss == a.rss, "its rss did not change (%llu, %llu)", (unsigned long long)a.rss,
	      (unsigned long long)b.rss);
	child = fork_guest("child");
	if (child == 0)
		leave();
	if (child > 0)
		expect_exit(child, 0, "an unexpected child");
	check(child < 0 && errno == ENOMEM, "a second fork fails with ENOMEM too");

	unmap(eat, eat_pages);
	child = xfork("child");
	if (child == 0) {
		check(sparse_errors(700) == 0, "with the memory back, a fork works: the child "
		      "sees the parent's %u sparse pages", BIG_SPARSE);
		sparse_fill(900);
		check(sparse_errors(900) == 0, "and writes its own copies of them");
		leave();
	}
	expect_exit(child, 0, "the child after the memory came back");
	check(sparse_errors(700) == 0, "the parent's sparse pages are unchanged");
	for (i = 0; i < BIG_SPARSE; i++)
		unmap(sparse_page((unsigned)i), 1);
	return failures ? 1 : 0;
}

/* ---- isolation ---------------------------------------------------------- */

/* A guest's freed frames reach the next guest zeroed. Child A fills 60%
 * of RAM with a pattern, unmaps half and exits holding the rest; then
 * child B maps as much, writes one word a page (so the page gets a frame
 * of its own, not the zero page) and checks every other word is zero. A
 * host page shared by both marks A's frames: with 60% of RAM each, at
 * least a fifth of RAM, a third of B's pages, must be frames A had
 * (pigeonhole); B checks for a quarter and says how many. */
static int t_isolation(int argc, char **argv)
{
	long ram_mb = arg_num(argc, argv, 2, 16, 4096, "RAM_MB");
	size_t ram = (size_t)ram_mb * MiB / PAGE, pages = ram * 6 / 10, i;
	unsigned char *was_a = mmap(NULL, ram, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				    -1, 0);
	pid_t a, b;

	if (was_a == MAP_FAILED)
		die("mmap of a shared host map");
	printf("isolation: child A dirties %zu pages and exits, child B maps as many\n", pages);
	a = xfork("child A");
	if (a == 0) {
		char *p = map_anon(pages);

		memset(p, 0xA5, pages * PAGE);
		fill(p, pages / 2, 0xA5A5);
		for (i = 0; i < pages; i++) {
			uint64_t f = pfn_of(p + i * PAGE);

			if (f < ram)
				was_a[f] = 1;
			else
				check(0, "page %zu has no frame below the RAM size (%#llx)", i,
				      (unsigned long long)f);
		}
		unmap(p, pages / 2);
		leave();	/* holding the other half */
	}
	expect_exit(a, 0, "child A");
	b = xfork("child B");
	if (b == 0) {
		char *p = map_anon(pages);
		size_t dirty = 0, reused = 0, off;

		for (i = 0; i < pages; i++) {
			char *pg = p + i * PAGE;
			uint64_t f;

			off = (i * 8) % PAGE;
			*(volatile uint64_t *)(pg + off) = 0;	/* a frame of its own */
			f = pfn_of(pg);
			reused += f < ram && was_a[f];
			dirty += nonzero(pg, PAGE);
		}
		check(dirty == 0, "all %zu pages read zero (%zu words were not)", pages, dirty);
		check(reused * 4 >= pages, "%zu of them are frames child A had dirtied (want a "
		      "quarter at least)", reused);
		leave();
	}
	expect_exit(b, 0, "child B");
	munmap(was_a, ram);
	return failures ? 1 : 0;
}

/* ---- waitpid ------------------------------------------------------------ */

static void expect_errno(long r, int err, const char *what)
{
	check(r == -1 && errno == err, "%s: %ld, %s; want -1, %s", what, r,
	      r == -1 ? strerror(errno) : "no error", strerror(err));
}

/* The wait and kill calls, after Linux's: ECHILD, ESRCH, WNOHANG, exit
 * codes, signals, -1 against a given pid, and an orphan that finishes
 * its work after its parent is gone. */
static int t_waitpid(int argc, char **argv)
{
	pid_t me = vm_getpid(), c, kids[16], r, said;
	int go[2], back[2], status, i, n, bad;
	char byte;

	(void)argc, (void)argv;
	printf("waitpid: errors, statuses, kills and an orphan\n");
	expect_errno(vm_waitpid(-1, &status, 0), ECHILD, "vm_waitpid(-1) with no child");
	expect_errno(vm_waitpid(-1, &status, WNOHANG), ECHILD,
		     "vm_waitpid(-1, WNOHANG) with no child");
	expect_errno(vm_waitpid(4321, &status, 0), ECHILD, "vm_waitpid(4321), no such pid");
	expect_errno(vm_waitpid(me, &status, 0), ECHILD, "vm_waitpid of itself");
	expect_errno(vm_kill(4321, SIGKILL), ESRCH, "vm_kill(4321, SIGKILL), no such pid");

	/* a child that waits for a word, then exits 7 */
	xpipe(go);
	xpipe(back);
	c = xfork("child");
	if (c == 0) {
		said = vm_getpid();
		put(back[1], &said, sizeof(said));
		check(vm_getppid() == me, "vm_getppid() is %d, want %d", (int)vm_getppid(), (int)me);
		wait_for(go[0], "the parent's go");
		vm_exit(failures ? 1 : 7);
	}
	said = 0;
	n = get(back[0], &said, sizeof(said));
	check(n == 0 && said == c, "vm_fork returned %d, the child's vm_getpid() says %d", (int)c,
	      (int)said);
	r = vm_waitpid(c, &status, WNOHANG);
	check(r == 0, "vm_waitpid(child, WNOHANG) while it runs: %d, want 0", (int)r);
	r = vm_waitpid(-1, &status, WNOHANG);
	check(r == 0, "vm_waitpid(-1, WNOHANG) while it runs: %d, want 0", (int)r);
	expect_errno(vm_waitpid(c + 1000, &status, 0), ECHILD, "vm_waitpid of a pid not a child");
	put(go[1], "g", 1);
	expect_exit(c, 7, "vm_exit(7)");
	expect_errno(vm_waitpid(c, &status, 0), ECHILD, "vm_waitpid of the child reaped");
	expect_errno(vm_kill(c, SIGKILL), ESRCH, "vm_kill of the child reaped");

	/* a child killed by SIGKILL, one by SIGTERM, while they wait */
	for (i = 0; i < 2; i++) {
		int sig = i ? SIGTERM : SIGKILL;

		c = xfork("child");
		if (c == 0) {
			put(back[1], "r", 1);
			wait_for(go[0], "a kill");	/* not meant to come */
			check(0, "was never killed");
			leave();
		}
		wait_for(back[0], "the child ready");
		check(vm_kill(c, sig) == 0, "vm_kill(child, %d): 0", sig);
		status = 0;
		r = vm_waitpid(c, &status, 0);
		check(r == c && WIFSIGNALED(status) && WTERMSIG(status) == sig,
		      "vm_waitpid of it: %d, %s; want killed by signal %d", (int)r,
		      describe(status), sig);
	}

	/* sixteen children exit at once: one waited by pid, fifteen by -1 */
	for (i = 0; i < 16; i++) {
		kids[i] = xfork("child");
		if (kids[i] == 0)
			vm_exit(10 + i);
	}
	expect_exit(kids[15], 25, "the last of 16 children, waited by pid");
	for (n = 0, bad = 0; n < 15; n++) {
		status = 0;
		r = vm_waitpid(-1, &status, 0);
		for (i = 0; i < 15 && kids[i] != r; i++)
			;
		if (i == 15 || !WIFEXITED(status) || WEXITSTATUS(status) != 10 + i) {
			bad++;
			printf("  (vm_waitpid(-1) gave %d, %s)\n", (int)r, describe(status));
		} else {
			kids[i] = 0;
		}
	}
	check(bad == 0, "vm_waitpid(-1) gave each of the other 15 once, with its status");
	expect_errno(vm_waitpid(-1, &status, 0), ECHILD, "vm_waitpid(-1) after all 16");

	/* an orphan: a child forks a grandchild and exits as soon as the
	 * grandchild has learnt its parent; the grandchild, reparented,
	 * still does its work when told to */
	c = xfork("child");
	if (c == 0) {
		pid_t g, gp = 0;
		int up[2];

		xpipe(up);
		g = xfork("grandchild");
		if (g == 0) {
			pid_t parent = vm_getppid();
			char *p;

			put(up[1], &parent, sizeof(parent));
			wait_for(go[0], "word that its parent is gone");
			check(vm_getppid() != parent, "reparented: vm_getppid() is %d, was %d",
			      (int)vm_getppid(), (int)parent);
			p = map_anon(64);
			fill(p, 64, 77);
			byte = errors(p, 64, 77) || failures ? 'x' : 'y';
			unmap(p, 64);
			put(back[1], &byte, 1);
			leave();
		}
		if (get(up[0], &gp, sizeof(gp)) < 0)
			check(0, "the grandchild never said who its parent is");
		put(back[1], &g, sizeof(g));
		put(back[1], &gp, sizeof(gp));
		vm_exit(failures ? 1 : 0);
	}
	{
		pid_t g = 0, gp = 0;

		n = get(back[0], &g, sizeof(g));
		n = n ? n : get(back[0], &gp, sizeof(gp));
		check(n == 0 && gp == c && g > 0,
		      "the child %d forked grandchild %d, whose vm_getppid() was %d", (int)c, (int)g,
		      (int)gp);
		expect_exit(c, 0, "the grandchild's parent");
		expect_errno(vm_waitpid(g, &status, WNOHANG), ECHILD,
			     "vm_waitpid of the grandchild (not our child)");
		put(go[1], "g", 1);
		byte = 0;
		n = get(back[0], &byte, 1);
		check(n == 0 && byte == 'y',
		      "the orphan mapped, wrote and checked 64 pages after its parent exited (%c)",
		      byte ? byte : '-');
	}
	expect_errno(vm_waitpid(-1, &status, 0), ECHILD, "vm_waitpid(-1) at the end");
	return failures ? 1 : 0;
}

/* ---- storm -------------------------------------------------------------- */

/* Counters of one top guest's family, in a host page they all share. */
struct storm {
	uint64_t forks;			/* vm_fork that succeeded */
	uint64_t fork_fails;		/* and that failed (EAGAIN or ENOMEM) */
	uint64_t kids_killed;		/* children SIGKILLed by the top, per their status */
	uint64_t kids_exited;		/* children that finished first */
	uint64_t grands_killed;		/* grandchildren SIGKILLed by their parent */
	uint64_t bad;			/* wrong data or an unexpected result */
};

static struct storm *storm;
static const char *storm_dir;	/* storm DIR: half the rounds map a file there */

/* The storm writes and checks one word in 16 (one a cache line): enough
 * to tell frames apart, cheap enough that its children spend their time
 * in the kernel (faults, forks, unmaps), where the kills should land. */
static void stamp(char *p, size_t pages, uint32_t seed)
{
	uint32_t *w = (uint32_t *)p;
	size_t i, n = pages * PAGE / 4;

	for (i = 0; i < n; i += 16)
		w[i] = pattern(&w[i], seed);
}

static size_t stamp_errors(const char *p, size_t pages, uint32_t seed)
{
	const uint32_t *w = (const uint32_t *)p;
	size_t i, n = pages * PAGE / 4, bad = 0;

	for (i = 0; i < n; i += 16)
		bad += w[i] != pattern(&w[i], seed);
	return bad;
}
/* The words that hold neither seed's stamp. */
static size_t stamp_errors2(const char *p, size_t pages, uint32_t seed, uint32_t seed2)
{
	const uint32_t *w = (const uint32_t *)p;
	size_t i, n = pages * PAGE / 4, bad = 0;

	for (i = 0; i < n; i += 16)
		bad += w[i] != pattern(&w[i], seed) && w[i] != pattern(&w[i], seed2);
	return bad;
}

static double storm_end;

static void storm_bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void storm_bad(const char *fmt, ...)
{
	va_list ap;

	__atomic_add_fetch(&storm->bad, 1, __ATOMIC_SEQ_CST);
	printf("  FAIL %s: ", who);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	failures++;
}

static void count(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_SEQ_CST);
}

/* A wait status of a child we may have killed: count it, and complain of
 * anything but a kill or a clean exit. */
static void storm_reaped(pid_t pid, int status, int killed_by_us, uint64_t *kills)
{
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && killed_by_us)
		count(kills);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		count(&storm->kids_exited);
	else
		storm_bad("guest %d: %s", (int)pid, describe(status));
}

/* A descendant's life: a bounded number of rounds of map, write, maybe
 * fork, change part of the mapping, check, kill or wait a child, unmap;
 * at depth 1 it may fork grandchildren (which do not fork). Never
 * returns. */
static void __attribute__((noreturn)) storm_child(uint64_t rs, int depth)
{
	pid_t kids[2] = { 0, 0 };
	unsigned rounds = 2 + rnd(&rs) % 24, round, k;
	int status;

	for (round = 0; round < rounds && now() < storm_end; round++) {
		size_t n = 4 + rnd(&rs) % 61, lo, len;
		uint32_t seed = (uint32_t)rnd(&rs);
		int kind = storm_dir ? (int)(rnd(&rs) % 3) : 0;	/* anon, file shared, private */
		char path[256];
		char *p;

		if (kind) {
			/* a file of its own, gone from the directory at once: the
			 * mapping keeps it (a kill leaves nothing behind) */
			int fd;

			snprintf(path, sizeof(path), "%s/s%d-%u", storm_dir, (int)vm_getpid(), round);
			fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			if (fd < 0 || ftruncate(fd, (off_t)(n * PAGE)) < 0) {
				storm_bad("file %s: %s", path, strerror(errno));
				break;
			}
			p = vm_mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
				    kind == 1 ? MAP_SHARED : MAP_PRIVATE, fd, 0);
			unlink(path);
			close(fd);
		} else {
			p = vm_mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		}
		if (p == MAP_FAILED) {
			storm_bad("vm_mmap of %zu pages: %s", n, strerror(errno));
			break;
		}
		stamp(p, n, seed);
		if (kind == 1 && rnd(&rs) % 2 && vm_msync(p, n * PAGE, MS_SYNC) < 0)
			storm_bad("vm_msync: %s", strerror(errno));
		if (depth < 2 && rnd(&rs) % 2) {
			for (k = 0; k < 2 && kids[k]; k++)
				;
			if (k < 2) {
				pid_t pid = fork_guest("grandchild");

				if (pid == 0) {
					/* a shared mapping shows its parent's later
					 * rewrite too (seed + 1) */
					if (kind == 1 ? stamp_errors2(p, n, seed, seed + 1) :
							stamp_errors(p, n, seed))
						storm_bad("does not see its parent's %zu pages", n);
					storm_child(rs ^ (uint64_t)vm_getpid() << 32, depth + 1);
				}
				if (pid > 0) {
					kids[k] = pid;
					count(&storm->forks);
				} else if (errno == EAGAIN || errno == ENOMEM) {
					count(&storm->fork_fails);
				} else {
					storm_bad("vm_fork: %s", strerror(errno));
				}
			}
		}
		/* a part of the mapping changed three ways; the rest kept */
		lo = rnd(&rs) % n;
		len = 1 + rnd(&rs) % (n - lo);
		switch (rnd(&rs) % 3) {
		case 0:
			if (vm_munmap(p + lo * PAGE, len * PAGE) < 0)
				storm_bad("vm_munmap: %s", strerror(errno));
			break;
		case 1:
			/* (a shared file's pages stay in its page cache; a
			 * private mapping's copies go, and the file was zero) */
			if (vm_madvise(p + lo * PAGE, len * PAGE, MADV_DONTNEED) < 0)
				storm_bad("vm_madvise: %s", strerror(errno));
			else if (kind == 1 ? stamp_errors(p + lo * PAGE, len, seed) != 0 :
					     nonzero(p + lo * PAGE, len * PAGE))
				storm_bad("pages dropped by MADV_DONTNEED read back wrong");
			break;
		default:
			stamp(p + lo * PAGE, len, seed + 1);
			if (stamp_errors(p + lo * PAGE, len, seed + 1))
				storm_bad("%zu pages rewritten read back wrong", len);
			break;
		}
		if (stamp_errors(p, lo, seed) ||
		    stamp_errors(p + (lo + len) * PAGE, n - lo - len, seed))
			storm_bad("its %zu pages changed under it", n);
		/* a child of its own: kill it, wait for it, or leave it be */
		k = (unsigned)(rnd(&rs) % 2);
		if (kids[k]) {
			switch (rnd(&rs) % 3) {
			case 0:
				if (vm_kill(kids[k], SIGKILL) < 0)
					storm_bad("vm_kill(%d): %s", (int)kids[k], strerror(errno));
				else if (vm_waitpid(kids[k], &status, 0) != kids[k])
					storm_bad("vm_waitpid(%d): %s", (int)kids[k], strerror(errno));
				else
					storm_reaped(kids[k], status, 1, &storm->grands_killed);
				kids[k] = 0;
				break;
			case 1:
				if (vm_waitpid(kids[k], &status, 0) != kids[k])
					storm_bad("vm_waitpid(%d): %s", (int)kids[k], strerror(errno));
				else
					storm_reaped(kids[k], status, 0, NULL);
				kids[k] = 0;
				break;
			}
		}
		if (vm_munmap(p, n * PAGE) < 0)
			storm_bad("vm_munmap: %s", strerror(errno));
	}
	for (k = 0; k < 2; k++)
		if (kids[k]) {
			if (vm_waitpid(kids[k], &status, 0) != kids[k])
				storm_bad("vm_waitpid(%d): %s", (int)kids[k], strerror(errno));
			else
				storm_reaped(kids[k], status, 0, NULL);
		}
	leave();
}

#define STORM_KIDS	3	/* live children a top guest keeps */

/* vmrun --guests 3 -- fork storm SECONDS KILLS [DIR]: each top guest keeps
 * three children at work (map, fault, fork, unmap, exit; they kill some
 * of their own children) and SIGKILLs a random one of them after a
 * random amount of its own work, until it has seen KILLS of its kills
 * land (the child's status says SIGKILL) or SECONDS pass. The top guests
 * are never killed. Prints "storm: guest N: K children killed, ...". */
static int t_storm(int argc, char **argv)
{
	double secs = (double)arg_num(argc, argv, 2, 1, 600, "SECONDS");
	uint64_t want = argc > 3 ? (uint64_t)arg_num(argc, argv, 3, 1, 1000000, "KILLS") : ~0ULL;
	uint64_t rs = (uint64_t)vm_getpid() * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(now() * 1e9);
	pid_t kids[STORM_KIDS] = { 0 }, r;
	double start = now();
	unsigned k, work;
	int status;

	storm_dir = argc > 4 ? argv[4] : NULL;
	storm = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (storm == MAP_FAILED)
		die("mmap of the shared counters");
	storm_end = start + secs;
	rs |= 1;
	while (now() < storm_end && storm->kids_killed < want) {
		for (k = 0; k < STORM_KIDS; k++) {
			if (kids[k])
				continue;
			kids[k] = fork_guest("child");
			if (kids[k] == 0)
				storm_child(rs ^ (uint64_t)vm_getpid() << 40, 1);
			if (kids[k] > 0) {
				count(&storm->forks);
			} else {
				if (errno != EAGAIN && errno != ENOMEM)
					storm_bad("vm_fork: %s", strerror(errno));
				count(&storm->fork_fails);
				kids[k] = 0;
			}
			rnd(&rs);
		}
		/* a random amount of work of its own: the kill lands anywhere */
		for (work = (unsigned)(rnd(&rs) % 24); work; work--) {
			char *p = vm_mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p == MAP_FAILED) {
				storm_bad("vm_mmap: %s", strerror(errno));
				break;
			}
			stamp(p, 8, work);
			if (stamp_errors(p, 8, work))
				storm_bad("its own 8 pages read back wrong");
			if (vm_munmap(p, 8 * PAGE) < 0)
				storm_bad("vm_munmap: %s", strerror(errno));
		}
		/* reap those that finished */
		while ((r = vm_waitpid(-1, &status, WNOHANG)) > 0) {
			for (k = 0; k < STORM_KIDS && kids[k] != r; k++)
				;
			if (k == STORM_KIDS)
				storm_bad("vm_waitpid(-1) gave %d, not a child of ours", (int)r);
			else
				kids[k] = 0;
			storm_reaped(r, status, 0, NULL);
		}
		if (r < 0 && errno != ECHILD)
			storm_bad("vm_waitpid(-1, WNOHANG): %s", strerror(errno));
		/* kill one */
		k = (unsigned)(rnd(&rs) % STORM_KIDS);
		if (!kids[k])
			continue;
		if (vm_kill(kids[k], SIGKILL) < 0) {
			storm_bad("vm_kill(%d, SIGKILL): %s", (int)kids[k], strerror(errno));
		} else if (vm_waitpid(kids[k], &status, 0) != kids[k]) {
			storm_bad("vm_waitpid(%d): %s", (int)kids[k], strerror(errno));
		} else {
			storm_reaped(kids[k], status, 1, &storm->kids_killed);
		}
		kids[k] = 0;
	}
	for (k = 0; k < STORM_KIDS; k++) {
		if (!kids[k])
			continue;
		if (vm_waitpid(kids[k], &status, 0) != kids[k])
			storm_bad("vm_waitpid(%d): %s", (int)kids[k], strerror(errno));
		else
			storm_reaped(kids[k], status, 0, NULL);
	}
	if (vm_waitpid(-1, &status, 0) != -1 || errno != ECHILD)
		storm_bad("a child is left after all were waited");
	printf("storm: guest %d: %llu children killed, %llu grandchildren killed, %llu exited, "
	       "%llu forks, %llu forks failed, %llu bad, %.1f s\n", (int)vm_getpid(),
	       (unsigned long long)storm->kids_killed, (unsigned long long)storm->grands_killed,
	       (unsigned long long)storm->kids_exited, (unsigned long long)storm->forks,
	       (unsigned long long)storm->fork_fails, (unsigned long long)storm->bad,
	       now() - start);
	check(storm->bad == 0, "guest %d: its family saw no wrong data and no unexpected result "
	      "(%llu bad)", (int)vm_getpid(), (unsigned long long)storm->bad);
	return storm->bad || failures ? 1 : 0;
}

/* ---- the table ---------------------------------------------------------- */

/* ---- storm-tight ------------------------------------------------------- */

/* The child of storm-tight: small mappings made, touched, sometimes
 * shared with a grandchild by fork (which copies half of them on write,
 * and is killed in the middle half the time), and unmapped, over and
 * over, each step counted in *ops; most of the time goes to the kernel,
 * so a kill lands in a fault, a copy on write, a fork, an unmap or an
 * exit. */
static void __attribute__((noreturn)) tight_child(volatile uint64_t *ops, uint64_t rs)
{
	unsigned long step;

	for (step = 0; step < 200000; step++) {
		size_t n = 1 + rnd(&rs) % 48, i;
		char *p = vm_mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			vm_exit(3);
		for (i = 0; i < n; i++)
			p[i * PAGE] = (char)(i + 1);
		if (rnd(&rs) % 4 == 0) {
			pid_t g = vm_fork();

			if (g == 0) {
				for (i = 0; i < n; i += 2)
					if (p[i * PAGE] != (char)(i + 1))
						vm_exit(4);
					else
						p[i * PAGE] = 0;
				vm_exit(0);
			}
			/* and half the time kill it in the middle of its copies */
			if (g > 0 && rnd(&rs) % 2)
				vm_kill(g, SIGKILL);
			if (g > 0 && vm_waitpid(g, NULL, 0) != g)
				vm_exit(5);
		}
		for (i = 0; i < n; i++)
			if (p[i * PAGE] != (char)(i + 1))
				vm_exit(6);	/* a grandchild's write showed through */
		vm_munmap(p, n * PAGE);
		__atomic_add_fetch(ops, 1, __ATOMIC_RELAXED);
	}
	vm_exit(0);
}

/* vmrun --guests 2 -- fork storm-tight SECONDS KILLS: each guest forks a
 * child that lives in the kernel (tight_child) and SIGKILLs it once it
 * has done a random number of steps (0 to 63: counted, not timed), until
 * KILLS kills landed or SECONDS passed. A child that fails a check exits
 * non-zero instead of dying by the kill, which fails the run. Prints
 * "storm-tight: guest N: K kills". */
static int t_storm_tight(int argc, char **argv)
{
	double secs = (double)arg_num(argc, argv, 2, 1, 600, "SECONDS");
	uint64_t want = (uint64_t)arg_num(argc, argv, 3, 1, 1000000, "KILLS"), kills = 0;
	uint64_t rs = (uint64_t)vm_getpid() * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(now() * 1e9);
	volatile uint64_t *ops;
	double end = now() + secs;
	struct timespec delay = { 0, 0 };
	int status;

	ops = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ops == MAP_FAILED)
		die("mmap of the step counter");
	rs |= 1;
	while (kills < want && now() < end) {
		uint64_t target = rnd(&rs) % 64;
		pid_t c;

		*ops = 0;
		c = fork_guest("tight child");
		if (c == 0)
			tight_child(ops, rs ^ (uint64_t)vm_getpid() << 32);
		if (c < 0) {
			if (errno != EAGAIN && errno != ENOMEM)
				check(0, "vm_fork: %s", strerror(errno));
			continue;
		}
		/* its steps, or its end: whichever comes first */
		while (__atomic_load_n(ops, __ATOMIC_RELAXED) < target && now() < end &&
		       vm_waitpid(c, &status, WNOHANG) == 0)
			;
		/* then up to 3 ms more, off the CPU so the child runs: the
		 * kill lands anywhere in a step (a random point, not a wait
		 * for anything: the child's end is waited for below) */
		delay.tv_nsec = (long)(rnd(&rs) % 3000000);
		nanosleep(&delay, NULL);
		vm_kill(c, SIGKILL);
		if (vm_waitpid(c, &status, 0) == c) {
			if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
				kills++;
			else if (!WIFEXITED(status) || WEXITSTATUS(status))
				check(0, "tight child %d: %s", (int)c, describe(status));
		}
		rnd(&rs);
	}
	check(kills >= want, "%llu kills of children in the kernel (want %llu)",
	      (unsigned long long)kills, (unsigned long long)want);
	printf("storm-tight: guest %d: %llu kills\n", (int)vm_getpid(), (unsigned long long)kills);
	return failures ? 1 : 0;
}

static const struct mode {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *what;
} modes[] = {
	{ "cow-simple",    t_cow_simple,    "COW frames and contents, zero page, reuse in place" },
	{ "cowtest-three", t_cowtest_three, "RAM_MB: xv6 threetest, a quarter of RAM, 3 rounds" },
	{ "forkfork",      t_forkfork,      "[ROUNDS]: 4 children x 4 grandchildren over 1 MiB" },
	{ "fork-big",      t_fork_big,      "RAM_MB: fork bigger than free RAM; ENOMEM for tables" },
	{ "isolation",     t_isolation,     "RAM_MB: one guest's dirty frames reach the next zeroed" },
	{ "waitpid",       t_waitpid,       "ECHILD, ESRCH, WNOHANG, statuses, kills, an orphan" },
	{ "storm",         t_storm,         "SECONDS [KILLS [DIR]]: SIGKILLs of working children (DIR: files too)" },
	{ "storm-tight",   t_storm_tight,   "SECONDS KILLS: SIGKILLs of children living in the kernel" },
};

static void usage_exit(void)
{
	size_t i;

	fprintf(stderr, "usage: fork MODE [ARGS]   (under vmrun)\n");
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		fprintf(stderr, "  %-14s %s\n", modes[i].name, modes[i].what);
	exit(2);
}

int main(int argc, char **argv)
{
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage_exit();
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(argv[1], modes[i].name))
			continue;
		if (!vm_is_guest()) {
			fprintf(stderr, "fork: not a guest; run it under vmrun\n");
			return 2;
		}
		if (modes[i].fn(argc, argv) && !failures)
			failures = 1;
		leave();
	}
	fprintf(stderr, "fork: no mode '%s'\n", argv[1]);
	usage_exit();
	return 2;
}
