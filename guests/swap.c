/* swap - reclaim and swap-in as a guest sees them, one mode per test,
 * after the Pintos/KAIST vm tests (page-linear, page-parallel,
 * page-shuffle, page-merge-par, swap-anon, swap-fork) plus a child's
 * swap entries against its parent's changes (swap-fork-zap), an OOM
 * scenario, swap I/O errors and a soak. Every page a mode writes holds
 * words derived from (page index, round, seed; the seed is the writer's
 * guest pid unless said otherwise), so any page can be checked on its
 * own; the first page that reads wrong is named on stderr (its index,
 * address, word, what it held and what it should, its pagemap entry) and
 * the guest exits 1. tests/integration/test_reclaim.sh runs every mode
 * in both paging modes on a machine smaller than the modes' memory and
 * checks the machine afterwards: every frame and every swap slot free;
 * tests/soak.sh (make soak) runs the soak for a minute.
 *
 *   vmrun --ram 32M --swap 64M [--mode pae] -- guests/swap MODE [ARGS]
 *
 * Sizes are MiB, chosen by the caller relative to --ram. Children leave
 * by vm_exit(status), as in guests/fork.c; pipes are host memory the
 * children inherit. Every wait on a pipe is bounded (PIPE_WAIT), and a
 * blocking vm_waitpid by the caller's timeout: a lost wake-up fails the
 * run, it does not hang it.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vm/guest.h>

#include "pattern.h"

#define MiB		(1u << 20)
#define PIPE_WAIT	120			/* seconds a pipe read may wait */

static const char *mode = "swap";	/* argv[1], for messages */
static char who[32];			/* "guest N" or "child N" */

/* ---- leaving ------------------------------------------------------------ */

/* Every exit goes through vm_exit, children's too, so the status reaches
 * the parent (a return from main would exit the task with 0). */
static void __attribute__((noreturn)) leave(int status)
{
	fflush(stdout);
	fflush(stderr);
	vm_exit(status);
}

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "swap: %s: %s: ", mode, who);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	leave(1);
}

static void __attribute__((noreturn)) die(const char *what)
{
	fail("%s: %s", what, strerror(errno));
}

static void name_self(const char *role)
{
	snprintf(who, sizeof(who), "%s %d", role, (int)vm_getpid());
}

/* ---- patterns (and pattern.h) ------------------------------------------- */

static int page_is_zero(const char *p)
{
	const uint64_t *w = (const uint64_t *)p;
	unsigned j;

	for (j = 0; j < WORDS; j++)
		if (w[j])
			return 0;
	return 1;
}

/* What a wrong page held, for the message: the pagemap entry tells
 * whether it was present, swapped or neither. */
static const char *entry_str(const void *p)
{
	static char buf[64];
	uint64_t e;

	if (vm_translate(p, &e) < 0)
		snprintf(buf, sizeof(buf), "vm_translate: %s", strerror(errno));
	else if (e & PM_PRESENT)
		snprintf(buf, sizeof(buf), "present, pfn %#llx",
			 (unsigned long long)(e & PM_PFRAME_MASK));
	else if (e & PM_SWAP)
		snprintf(buf, sizeof(buf), "swapped, type %llu offset %#llx",
			 (unsigned long long)(e & 0x1f),
			 (unsigned long long)((e & PM_PFRAME_MASK) >> 5));
	else
		snprintf(buf, sizeof(buf), "not present (entry %#llx)", (unsigned long long)e);
	return buf;
}

/* Name the first bad page of what and leave with 1. */
static void __attribute__((noreturn)) bad_page(const char *what, const char *base, size_t idx,
					       size_t npages, uint64_t key, int word)
{
	const char *p = base + idx * PAGE;
	uint64_t got = ((const uint64_t *)p)[word];

	fail("%s: first bad page %zu of %zu (va %#llx): word %d is %#018llx, want %#018llx%s; "
	     "the page is %s", what, idx, npages, (unsigned long long)vm_gva(p), word,
	     (unsigned long long)got, (unsigned long long)word_of(key, (unsigned)word),
	     page_is_zero(p) ? " (the whole page reads zero)" : "", entry_str(p));
}

static void fill_range(char *p, size_t from, size_t to, uint64_t seed, uint32_t round)
{
	size_t i;

	for (i = from; i < to; i++)
		fill_page(p + i * PAGE, page_key(seed, round, i));
}

/* Check pages [from, to) of p (npages in all) against round's data;
 * backwards when down is set. */
static void check_range(const char *what, const char *p, size_t from, size_t to, size_t npages,
			uint64_t seed, uint32_t round, int down)
{
	size_t k;

	for (k = from; k < to; k++) {
		size_t i = down ? to - 1 - (k - from) : k;
		uint64_t key = page_key(seed, round, i);
		int w = page_bad(p + i * PAGE, key);

		if (w >= 0)
			bad_page(what, p, i, npages, key, w);
	}
}

static void check_zero(const char *what, const char *p, size_t from, size_t to, size_t npages)
{
	size_t i;

	for (i = from; i < to; i++)
		if (!page_is_zero(p + i * PAGE))
			fail("%s: page %zu of %zu (va %#llx) should read zero and does not; it is %s",
			     what, i, npages, (unsigned long long)vm_gva(p + i * PAGE),
			     entry_str(p + i * PAGE));
}

/* ---- memory, pipes, numbers --------------------------------------------- */

static char *map_anon(size_t pages, int flags)
{
	char *p = vm_mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS,
			  -1, 0);

	if (p == MAP_FAILED)
		fail("vm_mmap of %zu pages (%zu KiB): %s", pages, pages * PAGE / 1024,
		     strerror(errno));
	return p;
}

static void unmap(void *p, size_t pages)
{
	if (vm_munmap(p, pages * PAGE) < 0)
		die("vm_munmap");
}

static struct vm_rusage usage(void)
{
	struct vm_rusage ru;

	if (vm_getrusage(&ru) < 0)
		die("vm_getrusage");
	return ru;
}

/* Pages of [p, p + n) whose PTE holds a swap entry. */
static size_t swapped_pages(const char *p, size_t n)
{
	size_t i, in = 0;
	uint64_t e;

	for (i = 0; i < n; i++)
		if (vm_translate(p + i * PAGE, &e) == 0 && (e & PM_SWAP))
			in++;
	return in;
}

/* Once everything a mode mapped is unmapped, the mm holds no swap entry
 * more than it did before: munmap and exit free the slots. */
static void swap_back_to(const struct vm_rusage *before)
{
	struct vm_rusage ru = usage();

	if (ru.swap != before->swap)
		fail("%llu pages in swap after every mapping is gone, %llu before: slots leaked",
		     (unsigned long long)ru.swap, (unsigned long long)before->swap);
}

static uint64_t rnd(uint64_t *s)
{
	*s += 0x9E3779B97F4A7C15ULL;
	return mix(*s);
}

static long arg_num(int argc, char **argv, int i, long lo, long hi, long dflt, const char *what)
{
	char *end;
	long n;

	if (argc <= i) {
		if (dflt >= 0)
			return dflt;
		fprintf(stderr, "swap: %s: missing %s\n", argv[1], what);
		exit(2);
	}
	errno = 0;
	n = strtol(argv[i], &end, 10);
	if (errno || *end || end == argv[i] || n < lo || n > hi) {
		fprintf(stderr, "swap: %s: %s wants a number from %ld to %ld, not '%s'\n", argv[1],
			what, lo, hi, argv[i]);
		exit(2);
	}
	return n;
}

static size_t mib_pages(long mib)
{
	return (size_t)mib * (MiB / PAGE);
}

/* vm_fork with stdio flushed, so no line is printed twice. */
static pid_t xfork(const char *role)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = vm_fork();
	if (pid < 0)
		die("vm_fork");
	if (pid == 0)
		name_self(role);
	return pid;
}

static void xpipe(int fd[2])
{
	if (pipe(fd) < 0)
		die("pipe");
}

static void put(int fd, char c)
{
	if (write(fd, &c, 1) != 1)
		die("write to a pipe");
}

/* One byte within PIPE_WAIT seconds, or fail naming what was awaited. */
static char get(int fd, const char *what)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	double end = now() + PIPE_WAIT;
	char c;

	for (;;) {
		int left = (int)((end - now()) * 1000), r;

		if (left <= 0)
			fail("no word within %d s: %s", PIPE_WAIT, what);
		r = poll(&pfd, 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("poll");
		if (r == 0)
			continue;
		r = (int)read(fd, &c, 1);
		if (r == 1)
			return c;
		if (r < 0 && errno == EINTR)
			continue;
		fail("pipe closed while waiting: %s", what);
	}
}

static const char *describe(int status);

/* get() for a parent whose children are to speak: a child that ends
 * first (killed, say) fails the wait at once, naming how it ended. */
static char get_from_children(int fd, const char *what)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	double end = now() + PIPE_WAIT;
	int status;
	pid_t r;

	while (now() < end) {
		int n = poll(&pfd, 1, 100);

		if (n > 0)
			return get(fd, what);
		if (n < 0 && errno != EINTR)
			die("poll");
		r = vm_waitpid(-1, &status, WNOHANG);
		if (r > 0)
			fail("child %d ended (%s) while the parent waited for %s", (int)r,
			     describe(status), what);
	}
	fail("no word within %d s: %s", PIPE_WAIT, what);
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

static int reap(pid_t pid)
{
	int status = 0;

	if (vm_waitpid(pid, &status, 0) != pid)
		die("vm_waitpid");
	return status;
}

static void print_faults(const char *what)
{
	struct vm_rusage ru = usage();

	printf("%s: %s %s: minflt %llu, majflt %llu, rss %llu, swap %llu pages\n", mode, who, what,
	       (unsigned long long)ru.minflt, (unsigned long long)ru.majflt,
	       (unsigned long long)ru.rss, (unsigned long long)ru.swap);
}

/* ---- page-linear, page-parallel, io-write ------------------------------- */

/* Pintos page-linear: a buffer (2x RAM, say) written in order, read back
 * in order; then rewritten and read back from the far end. With vmrun
 * --guests 4 it is page-parallel: each guest's own buffer and seed. */
static int t_linear(int argc, char **argv)
{
	long mib = arg_num(argc, argv, 2, 1, 2048, -1, "SIZE_MB");
	unsigned rounds = (unsigned)arg_num(argc, argv, 3, 1, 100, 2, "ROUNDS"), r;
	size_t n = mib_pages(mib), out = 0;
	uint64_t seed = (uint64_t)vm_getpid();
	struct vm_rusage before = usage();
	char *p = map_anon(n, MAP_PRIVATE);

	for (r = 1; r <= rounds; r++) {
		size_t in;

		fill_range(p, 0, n, seed, r);
		in = swapped_pages(p, n);
		out = in > out ? in : out;
		check_range("read back", p, 0, n, n, seed, r, r % 2 == 0);
	}
	print_faults("after the rounds");
	unmap(p, n);
	swap_back_to(&before);
	printf("%s: %s: %zu pages x %u rounds ok, up to %zu of them in swap at once\n", mode, who,
	       n, rounds, out);
	return 0;
}

/* ---- page-shuffle ------------------------------------------------------- */

/* Pintos page-shuffle, by pages: fill, then SWAPS exchanges of two random
 * pages' contents (a PRNG seeded by the pid), with a shadow in host
 * memory of which page's data each page now holds; all checked at the
 * end. Random access over more than RAM: most exchanges fault from swap. */
static int t_shuffle(int argc, char **argv)
{
	long mib = arg_num(argc, argv, 2, 1, 2048, -1, "SIZE_MB");
	size_t n = mib_pages(mib);
	long swaps = arg_num(argc, argv, 3, 0, 100000000, (long)n, "SWAPS"), s;
	uint64_t seed = (uint64_t)vm_getpid(), rs = seed * 77 + 1;
	struct vm_rusage before = usage();
	uint32_t *shadow = malloc(n * sizeof(*shadow));
	static uint64_t tmp[WORDS];
	char *p;
	size_t i;

	if (!shadow)
		die("malloc of the shadow");
	p = map_anon(n, MAP_PRIVATE);
	for (i = 0; i < n; i++) {
		fill_page(p + i * PAGE, page_key(seed, 1, i));
		shadow[i] = (uint32_t)i;
	}
	for (s = 0; s < swaps; s++) {
		size_t a = rnd(&rs) % n, b = rnd(&rs) % n;
		uint32_t t;

		memcpy(tmp, p + a * PAGE, PAGE);
		memcpy(p + a * PAGE, p + b * PAGE, PAGE);
		memcpy(p + b * PAGE, tmp, PAGE);
		t = shadow[a];
		shadow[a] = shadow[b];
		shadow[b] = t;
	}
	for (i = 0; i < n; i++) {
		uint64_t key = page_key(seed, 1, shadow[i]);
		int w = page_bad(p + i * PAGE, key);

		if (w >= 0)
			bad_page("after the shuffle (it should hold the data of the page the shadow "
				 "names)", p, i, n, key, w);
	}
	print_faults("after the shuffle");
	unmap(p, n);
	swap_back_to(&before);
	free(shadow);
	printf("%s: %s: %zu pages, %ld exchanges, all where the shadow says\n", mode, who, n,
	       swaps);
	return 0;
}

/* ---- swap-anon ---------------------------------------------------------- */

/* The entry of a page that was unmapped: neither present nor swapped. */
static void check_gone(const char *p, size_t from, size_t to)
{
	size_t i;
	uint64_t e;

	for (i = from; i < to; i++)
		if (vm_translate(p + i * PAGE, &e) == 0 && (e & (PM_PRESENT | PM_SWAP)))
			fail("page %zu was unmapped but its entry is %#llx", i,
			     (unsigned long long)e);
}

/* Anonymous memory past RAM, written and read back; then, while much of
 * it is in swap, parts are unmapped (a run, one page, a run across
 * folio boundaries) and a run dropped by MADV_DONTNEED; the rest is read
 * back, rewritten and read again; once all is unmapped the mm has no
 * swap entry left. */
static int t_swap_anon(int argc, char **argv)
{
	long mib = arg_num(argc, argv, 2, 4, 2048, -1, "SIZE_MB");
	size_t n = mib_pages(mib), i, in;
	uint64_t seed = (uint64_t)vm_getpid();
	struct vm_rusage before = usage();
	/* holes: [n/3, n/2), page n/8 + 1, [n/4 + 3, n/4 + 24); dropped:
	 * [3n/4, 3n/4 + n/16) */
	const size_t h1 = n / 3, h1e = n / 2, h2 = n / 8 + 1, h3 = n / 4 + 3, h3e = n / 4 + 24;
	const size_t d = 3 * n / 4, de = 3 * n / 4 + n / 16;
	char *p = map_anon(n, MAP_PRIVATE);

	fill_range(p, 0, n, seed, 1);
	check_range("first read back", p, 0, n, n, seed, 1, 0);
	fill_range(p, 0, n, seed, 2);
	in = swapped_pages(p, n);
	printf("%s: %s: %zu pages written twice, %zu in swap\n", mode, who, n, in);

	if (vm_munmap(p + h1 * PAGE, (h1e - h1) * PAGE) < 0 ||
	    vm_munmap(p + h2 * PAGE, PAGE) < 0 ||
	    vm_munmap(p + h3 * PAGE, (h3e - h3) * PAGE) < 0)
		die("vm_munmap of a part");
	if (vm_madvise(p + d * PAGE, (de - d) * PAGE, MADV_DONTNEED) < 0)
		die("vm_madvise(MADV_DONTNEED)");
	check_gone(p, h1, h1e);
	check_gone(p, h2, h2 + 1);
	check_gone(p, h3, h3e);

	/* what is left, in four runs around the holes */
	check_range("read back after the unmaps", p, 0, h2, n, seed, 2, 0);
	check_range("read back after the unmaps", p, h2 + 1, h3, n, seed, 2, 0);
	check_range("read back after the unmaps", p, h3e, h1, n, seed, 2, 0);
	check_range("read back after the unmaps", p, h1e, d, n, seed, 2, 0);
	check_zero("dropped by MADV_DONTNEED", p, d, de, n);
	check_range("read back after the unmaps", p, de, n, n, seed, 2, 0);

	for (i = 0; i < n; i++)
		if (!((i >= h1 && i < h1e) || i == h2 || (i >= h3 && i < h3e)))
			fill_page(p + i * PAGE, page_key(seed, 3, i));
	for (i = n; i-- > 0;)
		if (!((i >= h1 && i < h1e) || i == h2 || (i >= h3 && i < h3e))) {
			uint64_t key = page_key(seed, 3, i);
			int w = page_bad(p + i * PAGE, key);

			if (w >= 0)
				bad_page("third round", p, i, n, key, w);
		}
	print_faults("before the last unmap");
	unmap(p, n);		/* over the holes too, as munmap allows */
	swap_back_to(&before);
	printf("%s: %s: %zu pages, holes unmapped while swapped, rest intact\n", mode, who, n);
	return 0;
}

/* ---- swap-fork ---------------------------------------------------------- */

/* The parent fills SIZE; with PRESSURE it then writes and drops that much
 * more, so part of its buffer is in swap at the fork and its swap entries
 * are shared with the children. N children start together; each writes
 * a SIZE of its own (the pressure: all N hold theirs before any reads),
 * reads all of the parent's, reads its own, exits 0. The parent checks
 * every status and its buffer again. */
static int t_swap_fork(int argc, char **argv)
{
	long kids = arg_num(argc, argv, 2, 1, 64, -1, "N");
	long mib = arg_num(argc, argv, 3, 1, 1024, -1, "SIZE_MB");
	long pressure = arg_num(argc, argv, 4, 0, 1024, 0, "PRESSURE_MB");
	size_t n = mib_pages(mib), in;
	uint64_t seed = (uint64_t)vm_getpid();
	struct vm_rusage before = usage();
	pid_t pids[64];
	int go[2], wrote[2], verify[2], bad = 0;
	char *p = map_anon(n, MAP_PRIVATE);
	long k;

	fill_range(p, 0, n, seed, 1);
	if (pressure) {
		size_t m = mib_pages(pressure);
		char *q = map_anon(m, MAP_PRIVATE);

		fill_range(q, 0, m, seed, 99);
		unmap(q, m);
	}
	in = swapped_pages(p, n);
	printf("%s: %s: %zu of its %zu pages in swap at the fork of %ld children\n", mode, who, in,
	       n, kids);
	xpipe(go);
	xpipe(wrote);
	xpipe(verify);
	for (k = 0; k < kids; k++) {
		pids[k] = xfork("child");
		if (pids[k] == 0) {
			char *own;

			close(go[1]);
			close(wrote[0]);
			close(verify[1]);
			get(go[0], "the parent's go");
			own = map_anon(n, MAP_PRIVATE);
			fill_range(own, 0, n, (uint64_t)vm_getpid(), 1);
			put(wrote[1], 'w');
			get(verify[0], "the parent's word that every child wrote its buffer");
			check_range("the parent's buffer, read by a child", p, 0, n, n, seed, 1,
				    k % 2);
			check_range("the child's own buffer", own, 0, n, n, (uint64_t)vm_getpid(),
				    1, 0);
			check_range("the parent's buffer, read again", p, 0, n, n, seed, 1, 0);
			leave(0);
		}
	}
	close(go[0]);
	close(wrote[1]);
	close(verify[0]);
	for (k = 0; k < kids; k++)
		put(go[1], 'g');
	for (k = 0; k < kids; k++)
		get_from_children(wrote[0], "a child's word that it wrote its buffer");
	for (k = 0; k < kids; k++)
		put(verify[1], 'v');
	close(go[1]);
	close(verify[1]);
	for (k = 0; k < kids; k++) {
		int status = reap(pids[k]);

		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "swap: %s: %s: child %d: %s, want exit 0\n", mode, who,
				(int)pids[k], describe(status));
			bad++;
		}
	}
	if (bad)
		fail("%d of %ld children failed", bad, kids);
	check_range("the parent's buffer after the children", p, 0, n, n, seed, 1, 0);
	fill_range(p, 0, n, seed, 2);
	check_range("the parent's buffer rewritten", p, 0, n, n, seed, 2, 1);
	print_faults("at the end");
	unmap(p, n);
	swap_back_to(&before);
	printf("%s: %s: %ld children read %zu pages each under pressure, all exited 0, parent "
	       "intact\n", mode, who, kids, n);
	return 0;
}

/* ---- swap-fork-zap ------------------------------------------------------ */

#define ZAP_BLOCK	64	/* pages a block: what the parent does to each */

/* A child's swap entries outlive what its parent does to the same pages:
 * the parent fills SIZE (more than RAM: most of it goes to swap), forks a
 * child that waits, then, block by block of 64 pages, rewrites one (a
 * copy on write of swapped pages), drops one by MADV_DONTNEED, unmaps one
 * and leaves one alone; only then does the child read all SIZE, which
 * must still hold what it held at the fork. The parent checks its own
 * blocks (new, zero, gone, old). ROUNDS times over a fresh mapping. With
 * RACE 1 the child reads (twice) while the parent changes its copy. */
static int t_swap_fork_zap(int argc, char **argv)
{
	long mib = arg_num(argc, argv, 2, 1, 1024, -1, "SIZE_MB");
	unsigned rounds = (unsigned)arg_num(argc, argv, 3, 1, 1000, 3, "ROUNDS"), r;
	int race = (int)arg_num(argc, argv, 4, 0, 1, 0, "RACE");
	size_t n = mib_pages(mib) / ZAP_BLOCK * ZAP_BLOCK, b, in = 0;
	uint64_t seed = (uint64_t)vm_getpid();
	struct vm_rusage before = usage();

	for (r = 1; r <= rounds; r++) {
		char *p = map_anon(n, MAP_PRIVATE);
		int go[2], status;
		pid_t child;

		fill_range(p, 0, n, seed, r);
		in += swapped_pages(p, n);
		xpipe(go);
		child = xfork("child");
		if (child == 0) {
			close(go[1]);
			get(go[0], "the parent's word that it changed its copy");
			check_range("the child's copy after the parent's changes", p, 0, n, n, seed,
				    r, r % 2);
			if (race)
				check_range("the child's copy, read again", p, 0, n, n, seed, r,
					    !(r % 2));
			leave(0);
		}
		close(go[0]);
		if (race)
			put(go[1], 'g');
		for (b = 0; b < n / ZAP_BLOCK; b++) {
			char *q = p + b * ZAP_BLOCK * PAGE;

			switch (b % 4) {
			case 0:
				fill_range(p, b * ZAP_BLOCK, (b + 1) * ZAP_BLOCK, seed, r + 1000);
				break;
			case 1:
				if (vm_madvise(q, ZAP_BLOCK * PAGE, MADV_DONTNEED) < 0)
					die("vm_madvise(MADV_DONTNEED)");
				break;
			case 2:
				unmap(q, ZAP_BLOCK);
				break;
			}
		}
		if (!race)
			put(go[1], 'g');
		close(go[1]);
		status = reap(child);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fail("round %u: child %d: %s, want exit 0", r, (int)child, describe(status));
		for (b = 0; b < n / ZAP_BLOCK; b++) {
			size_t from = b * ZAP_BLOCK, to = from + ZAP_BLOCK;

			switch (b % 4) {
			case 0:
				check_range("the parent's rewritten block", p, from, to, n, seed,
					    r + 1000, 0);
				break;
			case 1:
				check_zero("the parent's dropped block", p, from, to, n);
				break;
			case 2:
				check_gone(p, from, to);
				break;
			case 3:
				check_range("the parent's untouched block", p, from, to, n, seed, r, 0);
				break;
			}
		}
		unmap(p, n);
	}
	swap_back_to(&before);
	printf("%s: %s: %u rounds of %zu pages (%zu in swap at the forks in all): the children "
	       "read what they had at the fork\n", mode, who, rounds, n, in);
	return 0;
}

/* ---- page-merge-par ----------------------------------------------------- */

/* In-place three-way quicksort of bytes (Dijkstra's flag): each call
 * leaves out a whole value, so the depth is at most 256; the smaller
 * side recurses, the larger loops. */
static void sort_bytes(unsigned char *a, size_t n)
{
	while (n > 1) {
		unsigned char x = a[0], y = a[n / 2], z = a[n - 1], piv;
		size_t lt = 0, i = 0, gt = n;

		piv = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
		while (i < gt) {
			if (a[i] < piv) {
				unsigned char t = a[i];

				a[i++] = a[lt];
				a[lt++] = t;
			} else if (a[i] > piv) {
				unsigned char t = a[i];

				a[i] = a[--gt];
				a[gt] = t;
			} else {
				i++;
			}
		}
		if (lt < n - gt) {
			sort_bytes(a, lt);
			a += gt;
			n -= gt;
		} else {
			sort_bytes(a + gt, n - gt);
			n = lt;
		}
	}
}

static void histogram(const unsigned char *a, size_t n, uint64_t h[256])
{
	size_t i;

	memset(h, 0, 256 * sizeof(h[0]));
	for (i = 0; i < n; i++)
		h[a[i]]++;
}

/* The first i where a[i - 1] > a[i], or 0 if sorted. */
static size_t unsorted_at(const unsigned char *a, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (a[i - 1] > a[i])
			return i;
	return 0;
}

/* The first offset of a[0, n) that is not what sorting bytes counted in
 * h gives (h[v] bytes v, for v = 0, 1, ...), or n. */
static size_t sorted_bad(const unsigned char *a, size_t n, const uint64_t h[256])
{
	size_t i = 0, k;
	unsigned v;

	for (v = 0; v < 256; v++)
		for (k = 0; k < h[v] && i < n; k++, i++)
			if (a[i] != v)
				return i;
	return i;
}

/* Leave naming the first byte of the sorted run a (n bytes, counted in h)
 * that is wrong, its page and what the page is. */
static void __attribute__((noreturn)) sorted_fail(const char *what, long chunk,
						  const unsigned char *a, size_t n,
						  const uint64_t h[256])
{
	size_t at = sorted_bad(a, n, h);
	const char *pg = (const char *)a + at - at % PAGE;

	fail("%s: chunk %ld: first bad byte at offset %zu (page %zu of the chunk, va %#llx): %u; "
	     "the page is %s%s", what, chunk, at, at / PAGE,
	     (unsigned long long)vm_gva(a + at), a[at], entry_str(pg),
	     page_is_zero(pg) ? " and reads zero" : "");
}

/* Pintos page-merge-par: SIZE random bytes, cut into N chunks; N
 * children each sort their chunk in place (in their copy-on-write copy)
 * and write it to a MAP_SHARED anonymous region made before the fork;
 * the parent merges the sorted chunks and checks the result is sorted
 * and a permutation of the input (byte histograms). */
static int t_merge_par(int argc, char **argv)
{
	long kids = arg_num(argc, argv, 2, 1, 64, -1, "N");
	long mib = arg_num(argc, argv, 3, 1, 1024, -1, "SIZE_MB");
	size_t len = (size_t)mib * MiB, i, at;
	uint64_t rs = (uint64_t)vm_getpid() * 0x2545F4914F6CDD1DULL + 3, whole[256], got[256];
	static uint64_t hist[64][256];
	struct vm_rusage before = usage();
	size_t cur[64], end[64];
	unsigned char *buf, *shared;
	pid_t pids[64];
	int bad = 0;
	long k;

	buf = (unsigned char *)map_anon(len / PAGE, MAP_PRIVATE);
	shared = (unsigned char *)map_anon(len / PAGE, MAP_SHARED);
	for (i = 0; i < len; i += 8) {
		uint64_t w = rnd(&rs);

		memcpy(buf + i, &w, 8);
	}
	histogram(buf, len, whole);
	for (k = 0; k < kids; k++) {
		cur[k] = len * (size_t)k / (size_t)kids;
		end[k] = len * (size_t)(k + 1) / (size_t)kids;
		histogram(buf + cur[k], end[k] - cur[k], hist[k]);
	}
	printf("%s: %s: %zu bytes in %ld chunks\n", mode, who, len, kids);
	for (k = 0; k < kids; k++) {
		pids[k] = xfork("child");
		if (pids[k] == 0) {
			unsigned char *c = buf + cur[k];
			size_t m = end[k] - cur[k];

			sort_bytes(c, m);
			if (sorted_bad(c, m, hist[k]) != m)
				sorted_fail("the child's chunk after its sort", k, c, m, hist[k]);
			memcpy(shared + cur[k], c, m);
			if (sorted_bad(shared + cur[k], m, hist[k]) != m)
				sorted_fail("the child's copy in the shared region", k,
					    shared + cur[k], m, hist[k]);
			leave(0);
		}
	}
	for (k = 0; k < kids; k++) {
		int status = reap(pids[k]);

		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "swap: %s: %s: child %d: %s, want exit 0\n", mode, who,
				(int)pids[k], describe(status));
			bad++;
		}
	}
	if (bad)
		fail("%d of %ld children failed", bad, kids);
	/* the children's writes reach the parent through the shared region */
	for (k = 0; k < kids; k++)
		if (sorted_bad(shared + cur[k], end[k] - cur[k], hist[k]) != end[k] - cur[k])
			sorted_fail("the parent reading the shared region", k, shared + cur[k],
				    end[k] - cur[k], hist[k]);
	/* merge into buf, overwriting the input (its histogram is kept) */
	for (i = 0; i < len; i++) {
		long best = -1;

		for (k = 0; k < kids; k++)
			if (cur[k] < end[k] && (best < 0 || shared[cur[k]] < shared[cur[best]]))
				best = k;
		buf[i] = shared[cur[best]++];
	}
	if ((at = unsorted_at(buf, len)))
		fail("the merged result is not sorted at byte %zu (va %#llx)", at,
		     (unsigned long long)vm_gva(buf + at));
	histogram(buf, len, got);
	if (memcmp(got, whole, sizeof(got)))
		fail("the merged result is not a permutation of the input");
	print_faults("after the merge");
	unmap(buf, len / PAGE);
	unmap(shared, len / PAGE);
	swap_back_to(&before);
	printf("%s: %s: %ld chunks sorted by children, merged: sorted, a permutation\n", mode, who,
	       kids);
	return 0;
}

/* ---- hog, oom ----------------------------------------------------------- */

/* SIZE written, then checked K times. */
static int t_hog(int argc, char **argv)
{
	long mib = arg_num(argc, argv, 2, 1, 2048, -1, "SIZE_MB");
	unsigned times = (unsigned)arg_num(argc, argv, 3, 1, 1000, 3, "K"), t;
	size_t n = mib_pages(mib);
	uint64_t seed = (uint64_t)vm_getpid();
	char *p = map_anon(n, MAP_PRIVATE);

	fill_range(p, 0, n, seed, 1);
	for (t = 0; t < times; t++)
		check_range("hog read back", p, 0, n, n, seed, 1, t % 2);
	unmap(p, n);
	printf("%s: %s: %zu pages written, read back %u times\n", mode, who, n, times);
	return 0;
}

#define OOM_CHUNK	4	/* MiB the big hog maps at a time */

/* The OOM killer's choice, in one guest that forks (vmrun --ram 32M
 * --swap 16M -- swap oom 8 64): two small hogs write SMALL each and
 * wait; only then does a big hog start, writing BIG in 4 MiB mappings
 * (more than RAM and swap hold together). When nothing is left to
 * reclaim the OOM killer must pick the big hog (the largest rss+swap)
 * and SIGKILL it; the parent then lets the small hogs read their data
 * back and exit 0. A big hog that gets all it asked for exits 3. */
static int t_oom(int argc, char **argv)
{
	long small = arg_num(argc, argv, 2, 1, 1024, -1, "SMALL_MB");
	long big = arg_num(argc, argv, 3, 1, 4096, -1, "BIG_MB");
	int ready[2], go[2], status, bad = 0;
	pid_t smalls[2], hog;
	size_t n = mib_pages(small);
	unsigned k;

	xpipe(ready);
	xpipe(go);
	for (k = 0; k < 2; k++) {
		smalls[k] = xfork("small hog");
		if (smalls[k] == 0) {
			uint64_t seed = (uint64_t)vm_getpid();
			char *p = map_anon(n, MAP_PRIVATE);

			close(ready[0]);
			close(go[1]);
			fill_range(p, 0, n, seed, 1);
			check_range("small hog read back", p, 0, n, n, seed, 1, 0);
			put(ready[1], 'r');
			get(go[0], "the parent's word that the big hog is gone");
			check_range("small hog data after the OOM kill", p, 0, n, n, seed, 1, 1);
			unmap(p, n);
			printf("%s: %s: %zu pages intact after the OOM kill\n", mode, who, n);
			leave(0);
		}
	}
	close(ready[1]);
	close(go[0]);
	get_from_children(ready[0], "the first small hog's write");
	get_from_children(ready[0], "the second small hog's write");
	printf("%s: %s: small hogs %d and %d hold %ld MiB each; the big hog starts\n", mode, who,
	       (int)smalls[0], (int)smalls[1], small);

	hog = xfork("big hog");
	if (hog == 0) {
		uint64_t seed = (uint64_t)vm_getpid();
		size_t chunk = mib_pages(OOM_CHUNK);
		long done;

		for (done = 0; done < big; done += OOM_CHUNK) {
			char *p = map_anon(chunk, MAP_PRIVATE);

			fill_range(p, 0, chunk, seed, (uint32_t)done);
		}
		printf("%s: %s: wrote all %ld MiB and was not killed\n", mode, who, big);
		leave(3);
	}
	status = reap(hog);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
		printf("%s: %s: the big hog %d was killed by SIGKILL\n", mode, who, (int)hog);
	} else {
		fprintf(stderr, "swap: %s: %s: the big hog %d: %s, want killed by signal 9\n", mode,
			who, (int)hog, describe(status));
		bad++;
	}
	put(go[1], 'g');
	put(go[1], 'g');
	for (k = 0; k < 2; k++) {
		status = reap(smalls[k]);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "swap: %s: %s: small hog %d: %s, want exit 0\n", mode, who,
				(int)smalls[k], describe(status));
			bad++;
		}
	}
	if (bad)
		leave(1);
	printf("%s: %s: the big hog died by SIGKILL, both small hogs exited 0 with their data\n",
	       mode, who);
	return 0;
}

/* ---- io-read ------------------------------------------------------------ */

/* Run with vmrun --fail-swap-io read=1: the first page read from swap
 * fails. Only one guest has anything in swap when the first read comes:
 * child A (the parent touches no window memory; B starts after A is
 * gone). A writes SIZE in order (more than RAM: its first pages go out)
 * and reads it back in order; its first fault from swap reads A's own
 * slots (and perhaps, by readahead, a few of A's neighbouring ones), one
 * of which fails, and A dies by SIGBUS when it reaches that page. Then B
 * does the same and must read all back (the failure was used up) and
 * exit 0. A that reads all back exits 3. */
static int t_io_read(int argc, char **argv)
{
	long mib = arg_num(argc, argv, 2, 1, 2048, -1, "SIZE_MB");
	size_t n = mib_pages(mib);
	pid_t a, b;
	int status, bad = 0;

	a = xfork("child A");
	if (a == 0) {
		uint64_t seed = (uint64_t)vm_getpid();
		char *p = map_anon(n, MAP_PRIVATE);

		fill_range(p, 0, n, seed, 1);
		printf("%s: %s: %zu pages written, %zu in swap; reading back\n", mode, who, n,
		       swapped_pages(p, n));
		fflush(stdout);
		check_range("child A read back", p, 0, n, n, seed, 1, 0);
		printf("%s: %s: read all %zu pages back without a SIGBUS\n", mode, who, n);
		leave(3);
	}
	status = reap(a);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS) {
		printf("%s: %s: child A %d was killed by SIGBUS\n", mode, who, (int)a);
	} else {
		fprintf(stderr, "swap: %s: %s: child A %d: %s, want killed by signal 7\n", mode, who,
			(int)a, describe(status));
		bad++;
	}
	b = xfork("child B");
	if (b == 0) {
		uint64_t seed = (uint64_t)vm_getpid();
		char *p = map_anon(n, MAP_PRIVATE);

		fill_range(p, 0, n, seed, 1);
		check_range("child B read back", p, 0, n, n, seed, 1, 0);
		fill_range(p, 0, n, seed, 2);
		check_range("child B read back again", p, 0, n, n, seed, 2, 1);
		unmap(p, n);
		printf("%s: %s: %zu pages written and read back twice\n", mode, who, n);
		leave(0);
	}
	status = reap(b);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "swap: %s: %s: child B %d: %s, want exit 0\n", mode, who, (int)b,
			describe(status));
		bad++;
	}
	if (bad)
		leave(1);
	printf("%s: %s: the read error killed child A only; child B read its data back\n", mode,
	       who);
	return 0;
}

/* ---- soak --------------------------------------------------------------- */

#define SOAK_REGIONS	16
#define SOAK_MAXPAGES	1024	/* 4 MiB a region at most */

/* A region of the soak: its pages' versions live in guest memory (the
 * table, swapped like the rest), with their sum in host memory to check
 * the table itself. Version 0: never written or dropped, reads zero. */
struct soak_region {
	char *p;		/* NULL: slot free */
	size_t n;		/* pages */
	uint32_t gen;		/* which mapping this is, part of every key */
	uint64_t sum;		/* sum of the table's versions for it */
};

static struct soak_region reg[SOAK_REGIONS];
static uint32_t *ver;		/* [SOAK_REGIONS][SOAK_MAXPAGES], in guest memory */
static uint64_t soak_seed, soak_verified, soak_bad;
static uint32_t soak_version;	/* the last version written, by this guest */

static inline uint32_t *ver_of(unsigned r, size_t i)
{
	return &ver[r * SOAK_MAXPAGES + i];
}

static inline uint64_t soak_key(unsigned r, size_t i, uint32_t v)
{
	return page_key(soak_seed ^ ((uint64_t)reg[r].gen << 32), v, i);
}

/* Which version of page i of region r the word w0 starts, searching up
 * to SOAK_LATER versions past the last this process wrote (a child's
 * parent writes on after the fork): a wrong page holding one of its own
 * versions says which write showed through. 0 if none. */
#define SOAK_LATER	200000u

static uint32_t soak_which_version(unsigned r, size_t i, uint64_t w0)
{
	uint32_t v;

	for (v = 1; v <= soak_version + SOAK_LATER; v++)
		if (word_of(soak_key(r, i, v), 0) == w0)
			return v;
	return 0;
}

/* Which page of any region should hold a page starting with w0, by the
 * table: 1 and its region and index, or 0. */
static int soak_which_page(uint64_t w0, unsigned *r2, size_t *i2)
{
	unsigned r;
	size_t i;

	for (r = 0; r < SOAK_REGIONS; r++)
		for (i = 0; reg[r].p && i < reg[r].n; i++)
			if (*ver_of(r, i) && word_of(soak_key(r, i, *ver_of(r, i)), 0) == w0) {
				*r2 = r;
				*i2 = i;
				return 1;
			}
	return 0;
}

/* Check pages [from, to) of region r against the table; the first bad
 * one is named on stderr, all are counted. */
static void soak_check(unsigned r, size_t from, size_t to, const char *when)
{
	size_t i;

	for (i = from; i < to; i++) {
		uint32_t v = *ver_of(r, i);
		const char *p = reg[r].p + i * PAGE;
		int w = v ? page_bad(p, soak_key(r, i, v)) : (page_is_zero(p) ? -1 : 0);

		soak_verified++;
		if (w < 0)
			continue;
		if (!soak_bad++) {
			uint32_t had = soak_which_version(r, i, *(const uint64_t *)p);
			char was[96] = "";

			unsigned r2;
			size_t i2;

			if (page_is_zero(p))
				snprintf(was, sizeof(was), "; it reads zero");
			else if (had)
				snprintf(was, sizeof(was), "; it holds version %u of this page (the last "
					 "this process wrote: %u)", had, soak_version);
			else if (soak_which_page(*(const uint64_t *)p, &r2, &i2))
				snprintf(was, sizeof(was), "; it holds what page %zu of region %u should",
					 i2, r2);
			fprintf(stderr, "swap: soak: %s: %s: region %u (gen %u) first bad page %zu of "
				"%zu (va %#llx), version %u: word %d is %#018llx, want %#018llx; the "
				"page is %s%s\n", who, when, r, reg[r].gen, i, reg[r].n,
				(unsigned long long)vm_gva(p), v, w,
				(unsigned long long)((const uint64_t *)p)[w],
				(unsigned long long)(v ? word_of(soak_key(r, i, v), (unsigned)w) : 0),
				entry_str(p), was);
		}
	}
}

static void soak_write(unsigned r, size_t from, size_t to, uint32_t v)
{
	size_t i;

	for (i = from; i < to; i++) {
		reg[r].sum += (uint64_t)v - *ver_of(r, i);
		*ver_of(r, i) = v;
		if (v)
			fill_page(reg[r].p + i * PAGE, soak_key(r, i, v));
	}
}

static void soak_table_check(unsigned r)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < reg[r].n; i++)
		sum += *ver_of(r, i);
	if (sum != reg[r].sum && !soak_bad++)
		fprintf(stderr, "swap: soak: %s: region %u: its version table sums to %llu, want "
			"%llu: the table (va %#llx) changed\n", who, r, (unsigned long long)sum,
			(unsigned long long)reg[r].sum, (unsigned long long)vm_gva(ver_of(r, 0)));
}

/* Drop region r's pages [from, n) from the table and the mapping. */
static void soak_unmap_tail(unsigned r, size_t from)
{
	soak_write(r, from, reg[r].n, 0);
	if (vm_munmap(reg[r].p + from * PAGE, (reg[r].n - from) * PAGE) < 0)
		die("vm_munmap");
	reg[r].n = from;
	if (!from)
		reg[r].p = NULL;
}

/* The child of a soak fork: reads up to two regions whole, writes some
 * pages of one (its copy), reads them back, maps and checks a page run of
 * its own, exits 0; 1 on a bad page (named on stderr). */
static void __attribute__((noreturn)) soak_child(uint64_t rs)
{
	unsigned k, r;
	size_t n, i;
	char *own;

	for (k = 0; k < 2; k++) {
		r = (unsigned)(rnd(&rs) % SOAK_REGIONS);
		if (reg[r].p)
			soak_check(r, 0, reg[r].n, "child reading the parent's region");
	}
	r = (unsigned)(rnd(&rs) % SOAK_REGIONS);
	if (reg[r].p) {
		size_t from = rnd(&rs) % reg[r].n, to = from + 1 + rnd(&rs) % 32;

		to = to > reg[r].n ? reg[r].n : to;
		soak_write(r, from, to, 0x80000000u | (uint32_t)vm_getpid());
		soak_check(r, 0, reg[r].n, "child reading its copy after its writes");
	}
	n = 1 + rnd(&rs) % 256;
	own = map_anon(n, MAP_PRIVATE);
	for (i = 0; i < n; i++)
		fill_page(own + i * PAGE, page_key(soak_seed, 7, i));
	for (i = 0; i < n; i++) {
		int w = page_bad(own + i * PAGE, page_key(soak_seed, 7, i));

		if (w >= 0 && !soak_bad++)
			fprintf(stderr, "swap: soak: %s: its own page %zu of %zu reads wrong at word %d\n",
				who, i, n, w);
	}
	leave(soak_bad ? 1 : 0);
}

/* 4 guests (vmrun --guests 4 --ram 32M --swap 256M -- swap soak SECONDS
 * [MAX_MB]) each take random steps for SECONDS: map a region (up to 4
 * MiB), unmap one or its tail, write runs of pages (a new version each,
 * recorded in the table), read runs back, drop runs by MADV_DONTNEED,
 * fork a child that reads and writes (one at a time, reaped at the next
 * fork). A guest holds at most MAX_MB (default 40) of regions. At the end
 * every page and table entry is checked and all is unmapped. Prints
 * "soak: guest P: N steps, M pages verified, B bad, ..." and exits 1 when
 * B is not 0. */
static int t_soak(int argc, char **argv)
{
	double secs = (double)arg_num(argc, argv, 2, 1, 86400, -1, "SECONDS");
	size_t budget = mib_pages(arg_num(argc, argv, 3, 4, 1024, 40, "MAX_MB")), held = 0;
	struct vm_rusage before = usage();
	double start = now(), end = start + secs;
	uint64_t rs, steps = 0, forks = 0, fork_fails = 0, kid_bad = 0;
	uint32_t gen = 0;
	pid_t kid = 0;
	unsigned r;

	soak_seed = (uint64_t)vm_getpid() * 0x9E3779B97F4A7C15ULL;
	rs = soak_seed ^ 0x5eed;
	ver = (uint32_t *)map_anon(SOAK_REGIONS * SOAK_MAXPAGES * sizeof(*ver) / PAGE,
				   MAP_PRIVATE);
	while (!soak_bad && now() < end) {
		unsigned op = (unsigned)(rnd(&rs) % 100);
		size_t from, to;

		r = (unsigned)(rnd(&rs) % SOAK_REGIONS);
		steps++;
		if (op < 15) {				/* map */
			size_t n = 1 + rnd(&rs) % SOAK_MAXPAGES;

			if (reg[r].p || held + n > budget)
				continue;
			reg[r].p = map_anon(n, MAP_PRIVATE);
			reg[r].n = n;
			reg[r].gen = ++gen;
			reg[r].sum = 0;
			held += n;
			for (from = 0; from < n; from++)
				*ver_of(r, from) = 0;
			if (rnd(&rs) % 2)
				soak_write(r, 0, n, ++soak_version);
			continue;
		}
		if (!reg[r].p)
			continue;
		from = rnd(&rs) % reg[r].n;
		to = from + 1 + rnd(&rs) % 64;
		to = to > reg[r].n ? reg[r].n : to;
		if (op < 25) {				/* unmap, the whole or a tail */
			size_t keep = rnd(&rs) % 2 ? 0 : from;

			soak_check(r, keep, keep + (reg[r].n - keep < 8 ? reg[r].n - keep : 8),
				   "before an unmap");
			held -= reg[r].n - keep;
			soak_unmap_tail(r, keep);
		} else if (op < 30) {			/* fork */
			if (kid) {
				int status = reap(kid);

				if (!WIFEXITED(status) || WEXITSTATUS(status)) {
					fprintf(stderr, "swap: soak: %s: child %d: %s, want exit 0\n",
						who, (int)kid, describe(status));
					kid_bad++;
					soak_bad++;
				}
				kid = 0;
			}
			fflush(stdout);
			fflush(stderr);
			kid = vm_fork();
			if (kid == 0) {
				name_self("child");
				soak_child(rs ^ ((uint64_t)vm_getpid() << 40));
			}
			if (kid < 0) {
				if (errno != ENOMEM && errno != EAGAIN)
					die("vm_fork");
				fork_fails++;
				kid = 0;
			} else {
				forks++;
			}
		} else if (op < 35) {			/* drop */
			if (vm_madvise(reg[r].p + from * PAGE, (to - from) * PAGE, MADV_DONTNEED) < 0)
				die("vm_madvise(MADV_DONTNEED)");
			soak_write(r, from, to, 0);
		} else if (op < 65) {			/* write */
			soak_write(r, from, to, ++soak_version);
		} else {				/* read */
			soak_check(r, from, to, "a random read");
		}
	}
	if (kid) {
		int status = reap(kid);

		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "swap: soak: %s: child %d: %s, want exit 0\n", who, (int)kid,
				describe(status));
			kid_bad++;
			soak_bad++;
		}
	}
	for (r = 0; r < SOAK_REGIONS; r++) {
		if (!reg[r].p)
			continue;
		soak_table_check(r);
		soak_check(r, 0, reg[r].n, "the final check");
		soak_unmap_tail(r, 0);
	}
	unmap(ver, SOAK_REGIONS * SOAK_MAXPAGES * sizeof(*ver) / PAGE);
	swap_back_to(&before);
	print_faults("at the end");
	printf("soak: %s: %llu steps, %llu pages verified, %llu bad, %llu forks (%llu failed, "
	       "%llu children bad), %.1f s\n", who, (unsigned long long)steps,
	       (unsigned long long)soak_verified, (unsigned long long)soak_bad,
	       (unsigned long long)forks, (unsigned long long)fork_fails,
	       (unsigned long long)kid_bad, now() - start);
	return soak_bad ? 1 : 0;
}

/* ---- the table ---------------------------------------------------------- */

static const struct mode {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *what;
} modes[] = {
	{ "page-linear",    t_linear,    "SIZE_MB [ROUNDS]: write in order, read back; twice" },
	{ "page-parallel",  t_linear,    "SIZE_MB [ROUNDS]: page-linear, for vmrun --guests 4" },
	{ "page-shuffle",   t_shuffle,   "SIZE_MB [SWAPS]: random exchanges of pages, a shadow" },
	{ "swap-anon",      t_swap_anon, "SIZE_MB: unmap and MADV_DONTNEED parts while swapped" },
	{ "swap-fork",      t_swap_fork, "N SIZE_MB [PRESSURE_MB]: N children read the parent's" },
	{ "swap-fork-zap",  t_swap_fork_zap, "SIZE_MB [ROUNDS [RACE]]: the parent rewrites, "
					     "drops, unmaps; the child reads" },
	{ "page-merge-par", t_merge_par, "N SIZE_MB: children sort chunks, the parent merges" },
	{ "hog",            t_hog,       "SIZE_MB [K]: write, then read back K times" },
	{ "oom",            t_oom,       "SMALL_MB BIG_MB: the OOM killer takes the big hog" },
	{ "io-write",       t_linear,    "SIZE_MB [ROUNDS]: page-linear, for --fail-swap-io write=" },
	{ "io-read",        t_io_read,   "SIZE_MB: for --fail-swap-io read=1: A dies by SIGBUS" },
	{ "soak",           t_soak,      "SECONDS [MAX_MB]: random steps, all checked" },
};

static void usage_exit(void)
{
	size_t i;

	fprintf(stderr, "usage: swap MODE [ARGS]   (under vmrun; sizes in MiB)\n");
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		fprintf(stderr, "  %-15s %s\n", modes[i].name, modes[i].what);
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
			fprintf(stderr, "swap: not a guest; run it under vmrun\n");
			return 2;
		}
		mode = modes[i].name;
		name_self("guest");
		leave(modes[i].fn(argc, argv));
	}
	fprintf(stderr, "swap: no mode '%s'\n", argv[1]);
	usage_exit();
	return 2;
}
