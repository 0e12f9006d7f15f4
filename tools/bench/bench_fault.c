/* bench_fault.c - BENCH fault-rand, fault-seq and tlb-miss: first touches
 * and TLB refills of a guest under vmrun, against the bare technique (a
 * plain process whose SIGSEGV handler mmaps one page of a tmpfs file per
 * fault) and against the host kernel's own anonymous first touch.
 *
 * One binary, two roles. Without arguments it is the driver: it starts
 * every worker a bench needs, then runs the rounds alternating between
 * them, and prints medians. With a mode it is a worker:
 *
 *   guest-rand  guest-seq  guest-tlb     a guest (run under vmrun)
 *   floor-rand  floor-seq  native-seq    a plain process
 *
 * A worker sets up, prints "ready" (or "skip <why>"), then runs one round
 * per line on stdin and answers each with "<seconds> <faults> <tlb-misses>"
 * for that round alone; it exits at EOF. So a profile of one side is
 *
 *   yes | head -20 | perf stat -- vmrun/vmrun --ram 256M -- \
 *       tools/bench/bench_fault guest-rand
 *
 * Every round times only the touches: the guest's vm_mmap/vm_munmap and
 * the floor's reservation reset are outside the clock, as are the RAM
 * file's and the floor file's tmpfs allocation (both fallocated first).
 * fallocate leaves tmpfs pages to be zeroed at their first mapping, so the
 * first round of each side also pays the host's zeroing (a cold round:
 * 2-5x the others); the median leaves it out. tlb-miss re-touches in
 * order, so its floor touches in order too (floor-seq).
 * BENCH_VERBOSE=1 lets vmrun's summary and the per-round figures through.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <vm/guest.h>

#include "bench.h"

#define PAGE		4096UL
#define RAND_PAGES	(16UL << 10)	/* fault-rand and tlb-miss: 64 MiB */
#define SEQ_PAGES	(64UL << 10)	/* fault-seq: 256 MiB */
#define TLB_SMALL	"256"		/* tlb-miss: far fewer entries than pages */
#define RAM_RAND	"256M"
#define RAM_SEQ		"512M"
#define SEED		0x9e3779b97f4a7c15ULL

/* ---- workers ------------------------------------------------------------ */

struct round {
	double secs;
	unsigned long long faults;	/* handled faults (guest: minflt) */
	unsigned long long misses;	/* guest: faults that only refilled the TLB */
};

/* The touch order, the same in every worker: pages in order, or a
 * Fisher-Yates shuffle from a fixed xorshift seed. */
static uint32_t *touch_order(unsigned long n, bool shuffle)
{
	uint32_t *v = malloc(n * sizeof(*v));
	uint64_t x = SEED;

	if (!v)
		return NULL;
	for (unsigned long i = 0; i < n; i++)
		v[i] = (uint32_t)i;
	if (!shuffle)
		return v;
	for (unsigned long i = n - 1; i > 0; i--) {
		unsigned long j;
		uint32_t t;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = (unsigned long)(x % (i + 1));
		t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
	return v;
}

/* One write per page, in the given order: what every round times. */
static double touch(volatile char *p, const uint32_t *order, unsigned long n, char val)
{
	double t = now_s();

	for (unsigned long i = 0; i < n; i++)
		p[(size_t)order[i] * PAGE] = val;
	return now_s() - t;
}

static void answer(const struct round *r)
{
	printf("%.9f %llu %llu\n", r->secs, r->faults, r->misses);
	fflush(stdout);
}

/* guest-rand, guest-seq: a fresh anonymous mapping per round, so every
 * touch is a first touch. guest-tlb: one mapping touched once, then every
 * round re-touches it all; with far fewer TLB entries than pages each
 * re-touch finds its host mapping evicted. */
static int guest_worker(const char *mode)
{
	bool tlb = !strcmp(mode, "guest-tlb"), seq = !strcmp(mode, "guest-seq");
	unsigned long n = seq ? SEQ_PAGES : RAND_PAGES;
	size_t len = n * PAGE;
	uint32_t *order = touch_order(n, !strcmp(mode, "guest-rand"));
	struct vm_rusage a, b;
	struct round r;
	char *p = NULL;
	char val = 1;

	if (!vm_is_guest())
		return skip("not a guest: run under vmrun", 0);
	if (!order)
		return skip("malloc", errno);
	if (tlb) {
		p = vm_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return skip("vm_mmap", errno);
		touch(p, order, n, val++);
	}
	ready();
	while (next_round()) {
		if (!tlb) {
			p = vm_mmap(NULL, len, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				return skip("vm_mmap", errno);
		}
		vm_getrusage(&a);
		r.secs = touch(p, order, n, val++);
		vm_getrusage(&b);
		r.faults = b.minflt + b.majflt - a.minflt - a.majflt;
		r.misses = b.tlb_miss - a.tlb_miss;
		if (!tlb && vm_munmap(p, len) != 0)
			return skip("vm_munmap", errno);
		answer(&r);
	}
	return 0;
}

/* The floor: a PROT_NONE reservation and a tmpfs file of the same size;
 * each fault maps the one page it hit, file offset = offset in the
 * reservation, as a RAM-file mapping would. Nothing else. */
static char *floor_base;
static size_t floor_len;
static int floor_fd = -1;
static volatile unsigned long long floor_faults;

static void floor_segv(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr & ~(PAGE - 1);
	size_t off = a - (uintptr_t)floor_base;

	(void)uc;
	if (off >= floor_len ||
	    mmap((void *)a, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, floor_fd,
		 (off_t)off) == MAP_FAILED) {
		signal(sig, SIG_DFL);	/* not ours, or out of mappings: die of it */
		return;
	}
	floor_faults++;
}

/* Back to one PROT_NONE reservation, as host_unmap leaves the window. */
static int floor_reset(void)
{
	void *p = mmap(floor_base, floor_len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? -errno : 0;
}

static int floor_worker(const char *mode)
{
	unsigned long n = RAND_PAGES;
	uint32_t *order = touch_order(n, !strcmp(mode, "floor-rand"));
	char path[64];
	struct sigaction sa;
	struct round r;
	char val = 1;
	int err;

	if (!order)
		return skip("malloc", errno);
	floor_len = n * PAGE;
	snprintf(path, sizeof(path), "/dev/shm/bench-fault-%d", (int)getpid());
	floor_fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (floor_fd < 0)
		return skip("open /dev/shm", errno);
	unlink(path);		/* the mappings keep it; nothing to remove after */
	if ((err = posix_fallocate(floor_fd, 0, (off_t)floor_len)) != 0)
		return skip("fallocate /dev/shm", err);
	floor_base = mmap(NULL, floor_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			  -1, 0);
	if (floor_base == MAP_FAILED)
		return skip("mmap reservation", errno);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = floor_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	ready();
	while (next_round()) {
		if ((err = floor_reset()) != 0)
			return skip("mmap reset", -err);
		floor_faults = 0;
		r.secs = touch(floor_base, order, n, val++);
		r.faults = floor_faults;
		r.misses = 0;
		answer(&r);
	}
	return 0;
}

/* The host kernel: first touch of a fresh anonymous mapping per round
 * (no MAP_POPULATE); the faults are the host's minor faults. */
static int native_worker(void)
{
	unsigned long n = SEQ_PAGES;
	size_t len = n * PAGE;
	uint32_t *order = touch_order(n, false);
	struct rusage a, b;
	struct round r;
	char val = 1;

	if (!order)
		return skip("malloc", errno);
	ready();
	while (next_round()) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		if (p == MAP_FAILED)
			return skip("mmap", errno);
		getrusage(RUSAGE_SELF, &a);
		r.secs = touch(p, order, n, val++);
		getrusage(RUSAGE_SELF, &b);
		r.faults = (unsigned long long)(b.ru_minflt - a.ru_minflt);
		r.misses = 0;
		munmap(p, len);
		answer(&r);
	}
	return 0;
}

/* ---- the driver --------------------------------------------------------- */

/* A worker and its answers, one side of a bench. */
struct side {
	struct worker w;
	struct round r[NR_ROUNDS];
};

static char self_path[PATH_MAX], vmrun_path[PATH_MAX];

static bool side_round(struct side *sd, int i)
{
	struct worker *w = &sd->w;
	struct round *r = &sd->r[i];

	if (!worker_round(w, i, &r->secs, &r->faults, &r->misses))
		return false;
	if (bench_verbose())
		fprintf(stderr, "#   %-12s round %d: %8.3f ms, %6llu faults, %6llu tlb-miss\n",
			w->label, i + 1, r->secs * 1e3, r->faults, r->misses);
	return true;
}

/* Medians of a worker's rounds: throughput in Kpages/s, faults and TLB
 * misses a round, and microseconds a fault (of either kind). */
struct figure {
	double kpages;
	double faults;
	double misses;
	double us_per_fault;
};

static struct figure figure(const struct side *sd, unsigned long pages)
{
	double v[NR_ROUNDS], f[NR_ROUNDS], m[NR_ROUNDS], u[NR_ROUNDS];
	unsigned long long n;
	struct figure fig;

	for (int i = 0; i < NR_ROUNDS; i++) {
		v[i] = (double)pages / sd->r[i].secs / 1e3;
		f[i] = (double)sd->r[i].faults;
		m[i] = (double)sd->r[i].misses;
		n = sd->r[i].faults + sd->r[i].misses;
		u[i] = n ? sd->r[i].secs * 1e6 / (double)n : 0;
	}
	fig.kpages = median(v, NR_ROUNDS);
	fig.faults = median(f, NR_ROUNDS);
	fig.misses = median(m, NR_ROUNDS);
	fig.us_per_fault = median(u, NR_ROUNDS);
	return fig;
}

/* Run NR_ROUNDS rounds over the workers in turn (ours, reference, ours with
 * the other folio order, ...), all started before the first round; false
 * and the reason if any could not run. */
static bool run_rounds(struct side *s, int nw, char *why, size_t whylen)
{
	bool ok = true;

	for (int i = 0; i < nw && ok; i++)
		if (!s[i].w.pid || s[i].w.why[0]) {
			snprintf(why, whylen, "%s", s[i].w.why);
			ok = false;
		}
	for (int r = 0; r < NR_ROUNDS && ok; r++)
		for (int i = 0; i < nw && ok; i++)
			if (!side_round(&s[i], r)) {
				snprintf(why, whylen, "%s", s[i].w.why);
				ok = false;
			}
	for (int i = 0; i < nw; i++)
		worker_stop(&s[i].w);
	return ok;
}

static void start_guest(struct worker *w, const char *label, const char *ram, const char *tlb,
			const char *folio, const char *mode)
{
	char *argv[12];
	int n = 0;

	argv[n++] = vmrun_path;
	argv[n++] = "--ram";
	argv[n++] = (char *)ram;
	if (tlb) {
		argv[n++] = "--tlb";
		argv[n++] = (char *)tlb;
	}
	if (folio) {
		argv[n++] = "--folio-order";
		argv[n++] = (char *)folio;
	}
	argv[n++] = "--";
	argv[n++] = self_path;
	argv[n++] = (char *)mode;
	argv[n] = NULL;
	worker_start(w, label, argv, -1);
}

static void start_plain(struct worker *w, const char *label, const char *mode)
{
	char *argv[] = { self_path, (char *)mode, NULL };

	worker_start(w, label, argv, -1);
}

static void bench_fault_rand(void)
{
	struct side s[3];
	struct figure ours, floor, o0;
	char why[200];

	if (!shm_room(2 * 256 + 64, why, sizeof(why))) {
		printf("BENCH fault-rand: skipped (%s)\n", why);
		return;
	}
	start_guest(&s[0].w, "guest", RAM_RAND, NULL, NULL, "guest-rand");
	start_plain(&s[1].w, "floor", "floor-rand");
	start_guest(&s[2].w, "guest-folio0", RAM_RAND, NULL, "0", "guest-rand");
	if (!run_rounds(s, 3, why, sizeof(why))) {
		printf("BENCH fault-rand: skipped (%s)\n", why);
		return;
	}
	ours = figure(&s[0], RAND_PAGES);
	floor = figure(&s[1], RAND_PAGES);
	o0 = figure(&s[2], RAND_PAGES);
	printf("# fault-rand: %lu pages in random order; guest %.0f faults (%.1f pages each, "
	       "%.2f us a fault), floor %.0f faults (%.2f us a fault)\n", RAND_PAGES, ours.faults,
	       ours.faults ? RAND_PAGES / ours.faults : 0, ours.us_per_fault, floor.faults,
	       floor.us_per_fault);
	printf("# fault-rand --folio-order 0: ours %.3f Kpages/s, %.0f faults, %.2f us a fault, "
	       "ratio %.2f to the floor\n", o0.kpages, o0.faults, o0.us_per_fault,
	       o0.kpages / floor.kpages);
	bench_line("fault-rand", ours.kpages, "Kpages/s", "sigsegv+mmap(4K)", floor.kpages);
}

static void bench_fault_seq(void)
{
	struct side s[2];
	struct figure ours, native;
	char why[200];

	if (!shm_room(512, why, sizeof(why))) {
		printf("BENCH fault-seq: skipped (%s)\n", why);
		return;
	}
	start_guest(&s[0].w, "guest", RAM_SEQ, NULL, NULL, "guest-seq");
	start_plain(&s[1].w, "native", "native-seq");
	if (!run_rounds(s, 2, why, sizeof(why))) {
		printf("BENCH fault-seq: skipped (%s)\n", why);
		return;
	}
	ours = figure(&s[0], SEQ_PAGES);
	native = figure(&s[1], SEQ_PAGES);
	printf("# fault-seq: %lu pages in order; guest %.0f faults (%.2f us a fault), "
	       "host %.0f faults (%.2f us a fault)\n", SEQ_PAGES, ours.faults, ours.us_per_fault,
	       native.faults, native.us_per_fault);
	bench_line("fault-seq", ours.kpages, "Kpages/s", "native-anon", native.kpages);
}

static void bench_tlb_miss(void)
{
	struct side s[3];
	struct figure ours, floor, o4;
	char why[200];

	if (!shm_room(2 * 256 + 64, why, sizeof(why))) {
		printf("BENCH tlb-miss: skipped (%s)\n", why);
		return;
	}
	start_guest(&s[0].w, "guest-tlb", RAM_RAND, TLB_SMALL, "0", "guest-tlb");
	start_plain(&s[1].w, "floor-seq", "floor-seq");
	start_guest(&s[2].w, "guest-tlb-f4", RAM_RAND, TLB_SMALL, NULL, "guest-tlb");
	if (!run_rounds(s, 3, why, sizeof(why))) {
		printf("BENCH tlb-miss: skipped (%s)\n", why);
		return;
	}
	ours = figure(&s[0], RAND_PAGES);
	floor = figure(&s[1], RAND_PAGES);
	o4 = figure(&s[2], RAND_PAGES);
	printf("# tlb-miss: %lu pages re-touched in order, --tlb %s --folio-order 0; guest %.0f "
	       "tlb-miss faults (%.2f us a fault), floor %.0f faults (%.2f us a fault)\n",
	       RAND_PAGES, TLB_SMALL, ours.misses, ours.us_per_fault, floor.faults,
	       floor.us_per_fault);
	printf("# tlb-miss default folio order: ours %.3f Kpages/s, %.0f tlb-miss faults "
	       "(%.1f pages each), ratio %.2f to the floor\n", o4.kpages, o4.misses,
	       o4.misses ? RAND_PAGES / o4.misses : 0, o4.kpages / floor.kpages);
	bench_line("tlb-miss", ours.kpages, "Kpages/s", "sigsegv+mmap(4K)", floor.kpages);
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		if (!strcmp(argv[1], "guest-rand") || !strcmp(argv[1], "guest-seq") ||
		    !strcmp(argv[1], "guest-tlb"))
			return guest_worker(argv[1]);
		if (!strcmp(argv[1], "floor-rand") || !strcmp(argv[1], "floor-seq"))
			return floor_worker(argv[1]);
		if (!strcmp(argv[1], "native-seq"))
			return native_worker();
		fprintf(stderr, "usage: bench_fault [guest-rand|guest-seq|guest-tlb|floor-rand|"
			"floor-seq|native-seq]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (find_paths(self_path, vmrun_path) != 0) {
		printf("BENCH fault-rand: skipped (no vmrun at %s)\n", vmrun_path);
		printf("BENCH fault-seq: skipped (no vmrun at %s)\n", vmrun_path);
		printf("BENCH tlb-miss: skipped (no vmrun at %s)\n", vmrun_path);
		return 0;
	}
	bench_fault_rand();
	bench_fault_seq();
	bench_tlb_miss();
	return 0;
}
