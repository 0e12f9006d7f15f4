/* bench_fork.c - BENCH cow, fork and scale: copy-on-write faults after a
 * guest's vm_fork, vm_fork + vm_exit + vm_waitpid of a small guest, and
 * first touches of N guests of one machine faulting at once.
 *
 *   cow    a guest touches 16 Ki pages and forks; its child writes one
 *          byte in every page, each write a copy-on-write fault. Only the
 *          child's write pass is timed, by the child itself, which hands
 *          the time back through a pipe. Reference: the same with the
 *          host's fork() on 16 Ki touched anonymous pages.
 *   fork   a guest with 1 Ki touched pages forks, the child exits at once,
 *          the parent waits for it; FORK_LOOPS times a round. Reference:
 *          host fork + _exit + waitpid of a process with 1 Ki touched pages.
 *   scale  vmrun --guests N, N = 1, 2, 4, 8: every guest first-touches
 *          SCALE_PAGES of its own at the same moment; the aggregate is all
 *          their pages over (last end - first start). The BENCH line is 2
 *          guests against 1; the others are comment lines.
 *
 * One binary, two roles, as bench_fault: without arguments it is the
 * driver, which starts every worker a bench needs and runs the rounds
 * alternating between them; with a mode it is a worker:
 *
 *   guest-cow  guest-fork  guest-scale   a guest (run under vmrun)
 *   native-cow native-fork               a plain process
 *
 * A cow or fork worker sets up, prints "ready" (or "skip <why>"), then
 * runs one round per line on stdin and answers "<seconds> <count> <host>"
 * (count: faults of the timed pass, or forks; host: the host's faults in
 * the cow pass); it exits at EOF. A profile of one side is, for example,
 *
 *   yes | head -20 | perf stat -- vmrun/vmrun --ram 256M -- \
 *       tools/bench/bench_fork guest-cow
 *
 * The N guests of a scale machine share vmrun's stdin and stdout, so they
 * cannot take requests one line each; instead each prints "ready" and
 * blocks reading a pipe whose descriptor is in BENCH_GO_FD. Once all N are
 * ready the driver writes each a start time SCALE_LEAD ahead, in
 * CLOCK_MONOTONIC seconds, which every process on the host shares; each
 * spins until then and answers "<start> <end> <faults>". The spin is the
 * barrier because a wake-up is not one: the host puts the readers of one
 * pipe write on the writer's CPU and spreads them only later, which
 * started the second of two guests 2-3 ms after the first.
 *
 * BENCH_VERBOSE=1 lets vmrun's summary and the per-round figures through.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <vm/guest.h>

#include "bench.h"

#define PAGE		4096UL
#define COW_PAGES	(16UL << 10)	/* cow: 64 MiB */
#define FORK_PAGES	(1UL << 10)	/* fork: 4 MiB */
#define FORK_LOOPS	200		/* forks a round */
#define SCALE_PAGES	(16UL << 10)	/* scale: 64 MiB a guest */
#define RAM_COW		"256M"		/* the parent's 64 MiB, the child's copy, tables */
#define RAM_FORK	"64M"
#define SCALE_LEAD	0.02		/* s: time for every guest to be on a CPU */

static const int scale_guests[] = { 1, 2, 4, 8 };
#define NR_SCALE	((int)(sizeof(scale_guests) / sizeof(scale_guests[0])))

/* ---- workers ------------------------------------------------------------ */

/* What a forked child sends its parent: the time of its write pass, the
 * faults it took in it, and the host's faults in it (a guest's own fault
 * is a SIGSEGV, which the host does not count; what it counts are the
 * host mappings our fault handler left to be filled on first access). */
struct cow_result {
	double secs;
	unsigned long long faults;
	unsigned long long host;
};

/* One write per page, in order: the pass every round times. */
static double touch(volatile char *p, unsigned long n, char val)
{
	double t = now_s();

	for (unsigned long i = 0; i < n; i++)
		p[i * PAGE] = val;
	return now_s() - t;
}

static void answer(double secs, unsigned long long count, unsigned long long host)
{
	printf("%.9f %llu %llu\n", secs, count, host);
	fflush(stdout);
}

static unsigned long long guest_faults(void)
{
	struct vm_rusage ru;

	if (vm_getrusage(&ru) != 0)
		return 0;
	return (unsigned long long)(ru.minflt + ru.majflt);
}

static unsigned long long host_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (unsigned long long)(ru.ru_minflt + ru.ru_majflt);
}

/* Does vm_fork work here? One fork whose child exits at once: 0 or the
 * errno, so a guest built before fork existed prints a skip, not a crash.
 * stdout is flushed first, as before every fork: the child's exit flushes
 * its copy of the buffer too. */
static int probe_fork(void)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = vm_fork();
	if (pid == 0)
		vm_exit(0);
	if (pid < 0)
		return errno;
	if (vm_waitpid(pid, &status, 0) != pid)
		return errno ? errno : ECHILD;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : ECHILD;
}

/* The parent's side of a cow round: the child's result, then its exit. */
static bool cow_collect(int fd, pid_t pid, bool guest, struct cow_result *c)
{
	ssize_t n = read(fd, c, sizeof(*c));
	int status = 0;
	pid_t got;

	close(fd);
	got = guest ? vm_waitpid(pid, &status, 0) : waitpid(pid, &status, 0);
	return n == (ssize_t)sizeof(*c) && got == pid && WIFEXITED(status) &&
	       !WEXITSTATUS(status);
}

/* guest-cow and native-cow: a fresh mapping a round, touched by the parent
 * (untimed: those are first touches, not COW), then a fork whose child
 * writes every page once. The parent keeps its mapping until the child is
 * gone, so every child write finds a page shared by two and copies it. */
static int cow_worker(bool guest)
{
	size_t len = COW_PAGES * PAGE;
	struct cow_result c;
	char val = 1;
	int fds[2], err;

	if (guest) {
		if (!vm_is_guest())
			return skip("not a guest: run under vmrun", 0);
		if ((err = probe_fork()) != 0)
			return skip("vm_fork", err);
	}
	ready();
	while (next_round()) {
		char *p;
		pid_t pid;

		if (guest)
			p = vm_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				    -1, 0);
		else
			p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);
		if (p == MAP_FAILED)
			return skip(guest ? "vm_mmap" : "mmap", errno);
		/* 4 KiB pages on the host too: a huge page would make one
		 * fault of 512 pages' first touch, and split on COW. */
		if (!guest)
			madvise(p, len, MADV_NOHUGEPAGE);
		touch(p, COW_PAGES, val++);
		if (pipe2(fds, O_CLOEXEC) != 0)
			return skip("pipe", errno);
		fflush(stdout);
		pid = guest ? vm_fork() : fork();
		if (pid < 0)
			return skip(guest ? "vm_fork" : "fork", errno);
		if (pid == 0) {
			unsigned long long f0, h0;

			close(fds[0]);
			f0 = guest ? guest_faults() : host_faults();
			h0 = host_faults();
			c.secs = touch(p, COW_PAGES, val);
			c.host = host_faults() - h0;
			c.faults = (guest ? guest_faults() : c.host + h0) - f0;
			if (write(fds[1], &c, sizeof(c)) != (ssize_t)sizeof(c)) {
				if (guest)
					vm_exit(1);
				_exit(1);
			}
			if (guest)
				vm_exit(0);
			_exit(0);
		}
		close(fds[1]);
		if (!cow_collect(fds[0], pid, guest, &c))
			return skip("the forked child failed", 0);
		if (guest ? vm_munmap(p, len) : munmap(p, len))
			return skip("munmap", errno);
		answer(c.secs, c.faults, c.host);
	}
	return 0;
}

/* guest-fork and native-fork: FORK_PAGES touched once, then FORK_LOOPS
 * forks a round, each child exiting at once and reaped before the next. */
static int fork_worker(bool guest)
{
	size_t len = FORK_PAGES * PAGE;
	char *p;
	int err;

	if (guest) {
		if (!vm_is_guest())
			return skip("not a guest: run under vmrun", 0);
		p = vm_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	} else {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	if (p == MAP_FAILED)
		return skip(guest ? "vm_mmap" : "mmap", errno);
	if (!guest)
		madvise(p, len, MADV_NOHUGEPAGE);	/* 1 Ki PTEs to copy, not 2 PMDs */
	touch(p, FORK_PAGES, 1);
	if (guest && (err = probe_fork()) != 0)
		return skip("vm_fork", err);
	ready();
	while (next_round()) {
		double t = now_s();

		for (int i = 0; i < FORK_LOOPS; i++) {
			int status;
			pid_t pid = guest ? vm_fork() : fork();

			if (pid == 0) {
				if (guest)
					vm_exit(0);
				_exit(0);
			}
			if (pid < 0)
				return skip(guest ? "vm_fork" : "fork", errno);
			if ((guest ? vm_waitpid(pid, &status, 0) : waitpid(pid, &status, 0)) != pid)
				return skip(guest ? "vm_waitpid" : "waitpid", errno);
		}
		answer(now_s() - t, FORK_LOOPS, 0);
	}
	return 0;
}

/* guest-scale: one of N guests. A fresh mapping a round, "ready", wait
 * for the start time and then until it, first-touch every page, answer
 * with the interval. EOF on the go pipe is the end. */
static int scale_worker(void)
{
	const char *env = getenv(GO_ENV);
	size_t len = SCALE_PAGES * PAGE;
	int go = env ? atoi(env) : -1;
	char val = 1;

	if (!vm_is_guest())
		return skip("not a guest: run under vmrun", 0);
	if (go < 0)
		return skip("no " GO_ENV " in the environment", 0);
	for (;;) {
		unsigned long long f0;
		double start, t0, secs;
		char *p = vm_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				  -1, 0);

		if (p == MAP_FAILED)
			return skip("vm_mmap", errno);
		ready();
		if (read(go, &start, sizeof(start)) != (ssize_t)sizeof(start))
			break;
		f0 = guest_faults();
		while ((t0 = now_s()) < start)
			;
		secs = touch(p, SCALE_PAGES, val++);
		printf("%.9f %.9f %llu\n", t0, t0 + secs, guest_faults() - f0);
		fflush(stdout);
		if (vm_munmap(p, len) != 0)
			return skip("vm_munmap", errno);
	}
	return 0;
}

/* ---- the driver --------------------------------------------------------- */

struct round {
	double secs;
	unsigned long long count;
	unsigned long long host;	/* cow: host faults */
};

/* A worker and its answers, one side of a bench. */
struct side {
	struct worker w;
	struct round r[NR_ROUNDS];
};

static char self_path[PATH_MAX], vmrun_path[PATH_MAX];
static int machines;		/* for a RAM file name of its own each */

/* Round i, or with i -1 the warm-up, which is thrown away. */
static bool side_round(struct side *sd, int i)
{
	struct worker *w = &sd->w;
	struct round warm, *r = i < 0 ? &warm : &sd->r[i];

	if (!worker_round(w, i, &r->secs, &r->count, &r->host))
		return false;
	if (bench_verbose())
		fprintf(stderr, "#   %-12s round %d: %8.3f ms, %6llu, %6llu host faults\n",
			w->label, i + 1, r->secs * 1e3, r->count, r->host);
	return true;
}

/* Run NR_ROUNDS rounds over the workers in turn (ours, reference, ...),
 * all started before the first round; false and the reason if any could
 * not run. A warm-up round goes first: fallocate leaves tmpfs pages to be
 * zeroed at their first mapping, so the first pass over a RAM file's
 * frames pays the host's zeroing (2x and more), not our kernel's work. */
static bool run_rounds(struct side *s, int nw, char *why, size_t whylen)
{
	bool ok = true;

	for (int i = 0; i < nw && ok; i++)
		if (!s[i].w.pid || s[i].w.why[0]) {
			snprintf(why, whylen, "%s", s[i].w.why);
			ok = false;
		}
	for (int r = -1; r < NR_ROUNDS && ok; r++)
		for (int i = 0; i < nw && ok; i++)
			if (!side_round(&s[i], r)) {
				snprintf(why, whylen, "%s", s[i].w.why);
				ok = false;
			}
	for (int i = 0; i < nw; i++)
		worker_stop(&s[i].w);
	return ok;
}

/* Medians of a worker's rounds: count / seconds in thousands (cow: pages
 * written; fork: forks, so not in thousands), and seconds per counted
 * event (cow: per fault). */
static double rate(const struct side *sd, double per_round, double scale)
{
	double v[NR_ROUNDS];

	for (int i = 0; i < NR_ROUNDS; i++)
		v[i] = per_round / sd->r[i].secs / scale;
	return median(v, NR_ROUNDS);
}

static double us_per_count(const struct side *sd)
{
	double v[NR_ROUNDS];

	for (int i = 0; i < NR_ROUNDS; i++)
		v[i] = sd->r[i].count ? sd->r[i].secs * 1e6 / (double)sd->r[i].count : 0;
	return median(v, NR_ROUNDS);
}

static double median_count(const struct side *sd, bool host)
{
	double v[NR_ROUNDS];

	for (int i = 0; i < NR_ROUNDS; i++)
		v[i] = (double)(host ? sd->r[i].host : sd->r[i].count);
	return median(v, NR_ROUNDS);
}

/* vmrun --name bench-fork-<our pid>-<k>: a RAM file nobody else's, that
 * vmdump can find while the bench runs. */
static void start_guest(struct worker *w, const char *label, const char *ram, int guests,
			const char *mode, int go_fd)
{
	char name[32], sguests[16];
	char *argv[12];
	int n = 0;

	snprintf(name, sizeof(name), "bench-fork-%d-%d", (int)getpid(), machines++);
	snprintf(sguests, sizeof(sguests), "%d", guests);
	argv[n++] = vmrun_path;
	argv[n++] = "--ram";
	argv[n++] = (char *)ram;
	argv[n++] = "--name";
	argv[n++] = name;
	argv[n++] = "--guests";
	argv[n++] = sguests;
	argv[n++] = "--";
	argv[n++] = self_path;
	argv[n++] = (char *)mode;
	argv[n] = NULL;
	worker_start(w, label, argv, go_fd);
}

static void start_plain(struct worker *w, const char *label, const char *mode)
{
	char *argv[] = { self_path, (char *)mode, NULL };

	worker_start(w, label, argv, -1);
}

static void bench_cow(void)
{
	struct side s[2];
	double ours, native;
	char why[200];

	if (!shm_room(256, why, sizeof(why))) {
		printf("BENCH cow: skipped (%s)\n", why);
		return;
	}
	start_guest(&s[0].w, "guest-cow", RAM_COW, 1, "guest-cow", -1);
	start_plain(&s[1].w, "native-cow", "native-cow");
	if (!run_rounds(s, 2, why, sizeof(why))) {
		printf("BENCH cow: skipped (%s)\n", why);
		return;
	}
	ours = rate(&s[0], COW_PAGES, 1e3);
	native = rate(&s[1], COW_PAGES, 1e3);
	printf("# cow: %lu pages written by the child; guest %.0f faults (%.2f us a fault, "
	       "%.2f host faults each), native %.0f faults (%.2f us a fault)\n", COW_PAGES,
	       median_count(&s[0], false), us_per_count(&s[0]),
	       median_count(&s[0], true) / median_count(&s[0], false), median_count(&s[1], false),
	       us_per_count(&s[1]));
	bench_line("cow", ours, "Kpages/s", "native", native);
}

static void bench_fork(void)
{
	struct side s[2];
	double ours, native;
	char why[200];

	if (!shm_room(64, why, sizeof(why))) {
		printf("BENCH fork: skipped (%s)\n", why);
		return;
	}
	start_guest(&s[0].w, "guest-fork", RAM_FORK, 1, "guest-fork", -1);
	start_plain(&s[1].w, "native-fork", "native-fork");
	if (!run_rounds(s, 2, why, sizeof(why))) {
		printf("BENCH fork: skipped (%s)\n", why);
		return;
	}
	ours = rate(&s[0], FORK_LOOPS, 1);
	native = rate(&s[1], FORK_LOOPS, 1);
	printf("# fork: %d forks a round of a process with %lu touched pages; guest %.1f us a "
	       "fork+exit+wait, native %.1f us\n", FORK_LOOPS, FORK_PAGES, 1e6 / ours, 1e6 / native);
	bench_line("fork", ours, "forks/s", "native", native);
}

/* One scale machine: vmrun --guests n and the go pipe of its guests. */
struct scale {
	struct worker w;
	int n;
	int readies;			/* "ready" lines read for the next round */
	double kpages[NR_ROUNDS];	/* aggregate, a round */
	double skew[NR_ROUNDS];		/* last start - first start */
	unsigned long long faults;	/* of one guest in the last round */
};

static bool scale_start(struct scale *s, int n, char *label, size_t labellen)
{
	char ram[32];
	int go[2];

	memset(s, 0, sizeof(*s));
	worker_init(&s->w);
	s->n = n;
	snprintf(label, labellen, "scale-%d", n);
	/* 64 MiB a guest and 64 MiB for the kernel and its tables. */
	snprintf(ram, sizeof(ram), "%luM", (unsigned long)n * (SCALE_PAGES * PAGE >> 20) + 64);
	if (pipe2(go, O_CLOEXEC) != 0) {
		snprintf(s->w.why, sizeof(s->w.why), "pipe: %s", strerror(errno));
		return false;
	}
	start_guest(&s->w, label, ram, n, "guest-scale", go[0]);
	close(go[0]);
	s->w.go = go[1];
	if (s->w.why[0])
		return false;
	s->readies = 1;		/* worker_start read the first */
	return true;
}

/* One round of a scale machine (-1: the warm-up, thrown away): wait until
 * all its guests are ready, let them go together, and take their
 * intervals. A guest done early may say "ready" for the next round before
 * another has answered this one. */
static bool scale_round(struct scale *s, int r)
{
	double first = 1e300, last_start = 0, last = 0, go[64];
	int answers = 0;
	char line[200];

	while (s->readies < s->n) {
		if (!worker_line(&s->w, line, sizeof(line)))
			goto died;
		if (strcmp(line, "ready")) {
			worker_fail(&s->w, line);
			return false;
		}
		s->readies++;
	}
	s->readies = 0;
	go[0] = now_s() + SCALE_LEAD;
	for (int i = 1; i < s->n; i++)
		go[i] = go[0];
	/* One write, at most PIPE_BUF: every guest reads a whole start. */
	if (write(s->w.go, go, s->n * sizeof(go[0])) != (ssize_t)(s->n * sizeof(go[0])))
		goto died;
	while (answers < s->n) {
		double t0, t1;
		unsigned long long f;

		if (!worker_line(&s->w, line, sizeof(line)))
			goto died;
		if (!strcmp(line, "ready")) {
			s->readies++;
			continue;
		}
		if (sscanf(line, "%lf %lf %llu", &t0, &t1, &f) != 3) {
			worker_fail(&s->w, line);
			return false;
		}
		first = t0 < first ? t0 : first;
		last_start = t0 > last_start ? t0 : last_start;
		last = t1 > last ? t1 : last;
		s->faults = f;
		answers++;
	}
	if (bench_verbose())
		fprintf(stderr, "#   %-12s round %d: %8.3f ms, %8.3f Kpages/s, start skew %.0f us\n",
			s->w.label, r + 1, (last - first) * 1e3,
			(double)s->n * SCALE_PAGES / (last - first) / 1e3, (last_start - first) * 1e6);
	if (r >= 0) {
		s->kpages[r] = (double)s->n * SCALE_PAGES / (last - first) / 1e3;
		s->skew[r] = last_start - first;
	}
	return true;
died:
	snprintf(s->w.why, sizeof(s->w.why), "%s died in round %d", s->w.label, r + 1);
	return false;
}

static void bench_scale(void)
{
	struct scale s[NR_SCALE];
	char labels[NR_SCALE][16], why[200] = "";
	double kp[NR_SCALE], skew[NR_SCALE];
	uint64_t mib = 0;
	bool ok = true;

	for (int i = 0; i < NR_SCALE; i++)
		mib += (uint64_t)scale_guests[i] * (SCALE_PAGES * PAGE >> 20) + 64;
	if (!shm_room(mib, why, sizeof(why))) {
		printf("BENCH scale: skipped (%s)\n", why);
		return;
	}
	for (int i = 0; i < NR_SCALE; i++)
		if (!scale_start(&s[i], scale_guests[i], labels[i], sizeof(labels[i])) && ok) {
			snprintf(why, sizeof(why), "%s", s[i].w.why);
			ok = false;
		}
	/* Rounds alternate between the machines, as ours and a reference;
	 * the first is a warm-up, as in run_rounds. */
	for (int r = -1; r < NR_ROUNDS && ok; r++)
		for (int i = 0; i < NR_SCALE && ok; i++)
			if (!scale_round(&s[i], r)) {
				snprintf(why, sizeof(why), "%s", s[i].w.why);
				ok = false;
			}
	for (int i = 0; i < NR_SCALE; i++)
		worker_stop(&s[i].w);
	if (!ok) {
		printf("BENCH scale: skipped (%s)\n", why);
		return;
	}
	for (int i = 0; i < NR_SCALE; i++) {
		kp[i] = median(s[i].kpages, NR_ROUNDS);
		skew[i] = median(s[i].skew, NR_ROUNDS);
		printf("# scale: %d guests: %.3f Kpages/s\n", s[i].n, kp[i]);
	}
	printf("# scale: %lu pages a guest, first touch, default folio order; %llu faults a "
	       "guest; median start skew", SCALE_PAGES, s[0].faults);
	for (int i = 1; i < NR_SCALE; i++)
		printf("%s%d guests %.0f us", i > 1 ? ", " : " ", s[i].n, skew[i] * 1e6);
	printf("\n");
	bench_line("scale", kp[1], "Kpages/s", "one guest", kp[0]);
}

/* bench_fork [cow|fork|scale]: every figure, or the one named (to profile
 * or repeat one without the others); bench_fork MODE: a worker. */
int main(int argc, char **argv)
{
	static const char *const names[] = { "cow", "fork", "scale" };
	static void (*const benches[])(void) = { bench_cow, bench_fork, bench_scale };
	const char *only = NULL;

	if (argc > 1) {
		if (!strcmp(argv[1], "guest-cow") || !strcmp(argv[1], "native-cow"))
			return cow_worker(argv[1][0] == 'g');
		if (!strcmp(argv[1], "guest-fork") || !strcmp(argv[1], "native-fork"))
			return fork_worker(argv[1][0] == 'g');
		if (!strcmp(argv[1], "guest-scale"))
			return scale_worker();
		for (int i = 0; i < 3; i++)
			if (!strcmp(argv[1], names[i]))
				only = names[i];
		if (!only) {
			fprintf(stderr, "usage: bench_fork [cow|fork|scale]\n"
				"       bench_fork guest-cow|native-cow|guest-fork|native-fork|"
				"guest-scale\n");
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < 3; i++) {
		if (only && only != names[i])
			continue;
		if (find_paths(self_path, vmrun_path) != 0)
			printf("BENCH %s: skipped (no vmrun at %s)\n", names[i], vmrun_path);
		else
			benches[i]();
	}
	return 0;
}
