/* bench_thrash.c - BENCH thrash-sync and thrash-uring: swap bandwidth of
 * a guest whose working set is twice the machine's RAM, against the raw
 * bandwidth of 4 KiB pwrite and pread on a file of the same size in the
 * same directory (/dev/shm), at the same offsets, as many of each.
 *
 *   ours  vmrun --ram 32M --swap 256M --io MODE: a guest maps 64 MiB,
 *         writes every word of every page in order, then reads it all
 *         back twice in order, checking every word. In order over twice
 *         RAM, LRU evicts each page before its next use, so nearly every
 *         touch after the first RAM's worth is a swap-out and a swap-in.
 *         Bandwidth: (pswpin + pswpout) * 4096 bytes over the round's
 *         time, which is everything the guest waited for: its faults,
 *         direct reclaim, kswapd, the I/O.
 *   raw   a plain process: the same number of 4 KiB pwrites, then of
 *         preads, as the guest's round just moved, at slot offsets 1, 2,
 *         ... of the file (wrapping at its end), from and into a buffer as
 *         large as the machine's RAM (the frames the guest's pages pass
 *         through), page after page; RAW_REPS times after each guest
 *         round, as it takes a few tens of milliseconds against a second.
 *
 * The ratio is ours / raw: the fraction of the file's bandwidth that
 * reaches the guest. A separate file rather than the machine's own swap
 * file: the raw side writes while the machine is alive, and must not be
 * able to change a slot the machine holds.
 *
 * One binary, two roles, as bench_fault: without arguments the driver,
 * which starts a machine per I/O mode and one raw process, and runs the
 * rounds alternating between them; with a mode a worker:
 *
 *   guest-thrash MODE   a guest (run under vmrun --io MODE)
 *   raw-thrash PATH     a plain process on file PATH
 *
 * A guest worker prints "ready" (or "skip <why>"), then runs a round per
 * line on stdin and answers "<seconds> <pswpin> <pswpout>". The raw worker
 * takes "r <writes> <reads>" and answers "<seconds> <writes> <reads>".
 * Both exit at EOF. A profile of one side, for example:
 *
 *   yes | head -5 | perf stat -- vmrun/vmrun --ram 32M --swap 256M \
 *       --io sync -- tools/bench/bench_thrash guest-thrash sync
 *
 * BENCH_VERBOSE=1 lets vmrun's summary and the per-round figures through.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <vm/guest.h>
#include <vm/kernel.h>
#include <vm/view.h>
#ifdef VM_HAVE_URING
#include <liburing.h>
#endif

#include "bench.h"

#define PAGE		4096UL
#define RAM_MIB		32
#define SWAP_MIB	256
#define WS_PAGES	(2UL * RAM_MIB * 256)	/* twice RAM: 64 MiB */
#define VERIFY_PASSES	2
#define THRASH_ROUNDS	5			/* each is a second or so */
#define RAW_REPS	3			/* raw rounds are short: several a round */
#define UML_PSWPIN	15157.0			/* pages/s, PERFORMANCE.md */

/* ---- workers ------------------------------------------------------------ */

/* Word w of page i in round r: unique within a round and across rounds,
 * so a page that came back from an old slot or another page's slot shows. */
static inline uint64_t word(unsigned long i, unsigned w, unsigned r)
{
	return ((uint64_t)i << 20 | w) ^ ((uint64_t)r * 0x9e3779b97f4a7c15ULL);
}

static void answer(double secs, unsigned long long a, unsigned long long b)
{
	printf("%.9f %llu %llu\n", secs, a, b);
	fflush(stdout);
}

static void swap_events(unsigned long long *in, unsigned long long *out)
{
	uint64_t ev[NR_VM_EVENT_ITEMS];
	struct vm_view v;

	*in = *out = 0;
	if (vm_self_view(&v) != 0)
		return;
	vm_sum_events(&v, ev);
	*in = ev[PSWPIN];
	*out = ev[PSWPOUT];
}

/* guest-thrash MODE: a fresh mapping a round, written, then verified
 * VERIFY_PASSES times; the round is timed from the first write to the
 * last check, and unmapped after. */
static int guest_worker(const char *mode)
{
	size_t len = WS_PAGES * PAGE;
	unsigned r = 0;

	if (!vm_is_guest())
		return skip("not a guest: run under vmrun", 0);
	if (vm_kdata->swap.io_mode != (strcmp(mode, "uring") ? SWAP_IO_SYNC : SWAP_IO_URING))
		return skip("the machine's swap I/O is not the one asked for", 0);
	if (!total_swap_pages())
		return skip("no swap: run under vmrun --swap", 0);
	ready();
	while (next_round()) {
		unsigned long long in0, out0, in1, out1;
		uint64_t *p = vm_mmap(NULL, len, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		double t;

		if (p == MAP_FAILED)
			return skip("vm_mmap of twice RAM", errno);
		r++;
		swap_events(&in0, &out0);
		t = now_s();
		for (unsigned long i = 0; i < WS_PAGES; i++)
			for (unsigned w = 0; w < PAGE / 8; w++)
				p[i * (PAGE / 8) + w] = word(i, w, r);
		for (int pass = 0; pass < VERIFY_PASSES; pass++)
			for (unsigned long i = 0; i < WS_PAGES; i++)
				for (unsigned w = 0; w < PAGE / 8; w++)
					if (p[i * (PAGE / 8) + w] != word(i, w, r)) {
						printf("skip page %lu word %u read %#llx, wrote %#llx "
						       "(verify pass %d)\n", i, w,
						       (unsigned long long)p[i * (PAGE / 8) + w],
						       (unsigned long long)word(i, w, r), pass + 1);
						fflush(stdout);
						return 1;
					}
		t = now_s() - t;
		swap_events(&in1, &out1);
		if (vm_munmap(p, len) != 0)
			return skip("vm_munmap", errno);
		answer(t, in1 - in0, out1 - out0);
	}
	return 0;
}

/* raw-thrash PATH: "r W R" -> W pwrites then R preads, timed together. */
static int raw_worker(const char *path)
{
	size_t buf_pages = (size_t)RAM_MIB << 8;
	unsigned long slots;
	char line[128];
	struct stat st;
	char *buf;
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0)
		return skip("open the raw file", errno);
	slots = (unsigned long)(st.st_size / (off_t)PAGE) - 1;
	buf = mmap(NULL, buf_pages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED)
		return skip("mmap", errno);
	madvise(buf, buf_pages * PAGE, MADV_NOHUGEPAGE);	/* 4 KiB frames, as the guest's */
	memset(buf, 0x5a, buf_pages * PAGE);
	ready();
	while (fgets(line, sizeof(line), stdin)) {
		unsigned long long nw, nr, i;
		double t;

		if (sscanf(line, "r %llu %llu", &nw, &nr) != 2)
			return skip("bad request", 0);
		t = now_s();
		for (i = 0; i < nw; i++)
			if (pwrite(fd, buf + (i % buf_pages) * PAGE, PAGE,
				   (off_t)(1 + i % slots) * (off_t)PAGE) != (ssize_t)PAGE)
				return skip("pwrite", errno);
		for (i = 0; i < nr; i++)
			if (pread(fd, buf + (i % buf_pages) * PAGE, PAGE,
				  (off_t)(1 + i % slots) * (off_t)PAGE) != (ssize_t)PAGE)
				return skip("pread", errno);
		answer(now_s() - t, nw, nr);
	}
	return 0;
}

/* ---- the driver --------------------------------------------------------- */

struct round {
	double secs;
	unsigned long long in, out;	/* guest: pswpin, pswpout; raw: reads, writes */
};

/* A machine of one I/O mode, and the raw rounds run after each of its. */
struct side {
	const char *mode;		/* sync, uring */
	struct worker w;
	struct round ours[THRASH_ROUNDS];
	struct round raw[THRASH_ROUNDS * RAW_REPS];
	bool ok;
};

static char self_path[PATH_MAX], vmrun_path[PATH_MAX];
static char raw_path[64];
static struct worker raw;

static void start_machine(struct side *s, int k)
{
	char name[48], label[32], ram[16], swap[16];
	char *argv[16];
	int n = 0;

	snprintf(name, sizeof(name), "bench-thrash-%d-%d", (int)getpid(), k);
	snprintf(label, sizeof(label), "guest-%s", s->mode);
	snprintf(ram, sizeof(ram), "%dM", RAM_MIB);
	snprintf(swap, sizeof(swap), "%dM", SWAP_MIB);
	argv[n++] = vmrun_path;
	argv[n++] = "--ram";
	argv[n++] = ram;
	argv[n++] = "--swap";
	argv[n++] = swap;
	argv[n++] = "--io";
	argv[n++] = (char *)s->mode;
	argv[n++] = "--name";
	argv[n++] = name;
	argv[n++] = "--";
	argv[n++] = self_path;
	argv[n++] = "guest-thrash";
	argv[n++] = (char *)s->mode;
	argv[n] = NULL;
	s->ok = worker_start(&s->w, strdup(label), argv, -1);
}

/* The raw file: as large as the machine's swap file, sparse, as mkswap
 * leaves that (the warm-up round fills both). */
static bool make_raw_file(char *why, size_t whylen)
{
	int fd;

	snprintf(raw_path, sizeof(raw_path), "/dev/shm/bench-thrash-%d.raw", (int)getpid());
	fd = open(raw_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)SWAP_MIB << 20) != 0) {
		snprintf(why, whylen, "%s: %s", raw_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(raw_path);
		return false;
	}
	close(fd);
	return true;
}

/* A raw round of as many writes and reads as the guest's round moved. */
static bool raw_round(struct round *g, struct round *r, char *why, size_t whylen)
{
	char line[200];
	int n;

	n = snprintf(line, sizeof(line), "r %llu %llu\n", g->out, g->in);
	if (write(raw.in, line, (size_t)n) != n || !worker_line(&raw, line, sizeof(line))) {
		snprintf(why, whylen, "raw-thrash died");
		return false;
	}
	if (sscanf(line, "%lf %llu %llu", &r->secs, &r->out, &r->in) != 3) {
		worker_fail(&raw, line);
		snprintf(why, whylen, "%s", raw.why);
		return false;
	}
	return true;
}

static double mib_s(const struct round *r)
{
	return (double)(r->in + r->out) * PAGE / (1 << 20) / r->secs;
}

static void report(struct side *s)
{
	double ours[THRASH_ROUNDS], ref[THRASH_ROUNDS * RAW_REPS], in[THRASH_ROUNDS];
	double out[THRASH_ROUNDS], pin[THRASH_ROUNDS], secs[THRASH_ROUNDS];
	char name[32];

	for (int i = 0; i < THRASH_ROUNDS * RAW_REPS; i++)
		ref[i] = mib_s(&s->raw[i]);
	for (int i = 0; i < THRASH_ROUNDS; i++) {
		ours[i] = mib_s(&s->ours[i]);
		in[i] = (double)s->ours[i].in;
		out[i] = (double)s->ours[i].out;
		pin[i] = (double)s->ours[i].in / s->ours[i].secs;
		secs[i] = s->ours[i].secs;
	}
	snprintf(name, sizeof(name), "thrash-%s", s->mode);
	printf("# %s: %lu pages (2x RAM) written, read back %d times; a round %.2f s, pswpin %.0f, "
	       "pswpout %.0f; %.0f pages/s swapped in (UML: %.0f)\n", name, WS_PAGES,
	       VERIFY_PASSES, median(secs, THRASH_ROUNDS), median(in, THRASH_ROUNDS),
	       median(out, THRASH_ROUNDS), median(pin, THRASH_ROUNDS), UML_PSWPIN);
	bench_line(name, median(ours, THRASH_ROUNDS), "MiB/s", "raw",
		   median(ref, THRASH_ROUNDS * RAW_REPS));
}

/* Why io_uring cannot run here, or NULL when it can. */
static const char *no_uring(void)
{
#ifdef VM_HAVE_URING
	struct io_uring ring;

	if (io_uring_queue_init(8, &ring, 0) != 0)
		return "the host refuses io_uring";
	io_uring_queue_exit(&ring);
	return NULL;
#else
	return "libvm built without liburing";
#endif
}

static void bench_thrash(void)
{
	struct side sides[2] = { { .mode = "sync" }, { .mode = "uring" } };
	char *argv[] = { self_path, "raw-thrash", raw_path, NULL };
	const char *why_uring = no_uring();
	int nsides = why_uring ? 1 : 2;
	char why[200] = "";
	bool ok = true;

	if (!shm_room((uint64_t)nsides * (RAM_MIB + WS_PAGES * PAGE / (1 << 20)) + SWAP_MIB, why,
		      sizeof(why))) {
		printf("BENCH thrash-sync: skipped (%s)\n", why);
		printf("BENCH thrash-uring: skipped (%s)\n", why);
		return;
	}
	if (!make_raw_file(why, sizeof(why))) {
		printf("BENCH thrash-sync: skipped (%s)\n", why);
		printf("BENCH thrash-uring: skipped (%s)\n", why);
		return;
	}
	worker_start(&raw, "raw-thrash", argv, -1);
	if (raw.why[0]) {
		snprintf(why, sizeof(why), "%s", raw.why);
		ok = false;
	}
	for (int k = 0; k < nsides; k++)
		start_machine(&sides[k], k);
	/* Rounds alternate between the machines, each followed by its raw
	 * round; the first is a warm-up, thrown away: it pays the host's
	 * allocation of the RAM file's and both files' tmpfs pages. */
	for (int r = -1; r < THRASH_ROUNDS && ok; r++) {
		for (int k = 0; k < nsides; k++) {
			struct side *s = &sides[k];
			struct round warm_ours, warm_raw[RAW_REPS];
			struct round *o = r < 0 ? &warm_ours : &s->ours[r];
			struct round *w = r < 0 ? warm_raw : &s->raw[r * RAW_REPS];

			if (!s->ok)
				continue;
			if (!worker_round(&s->w, r, &o->secs, &o->in, &o->out)) {
				s->ok = false;
				continue;
			}
			for (int i = 0; i < RAW_REPS && ok; i++)
				ok = raw_round(o, &w[i], why, sizeof(why));
			if (!ok)
				break;
			if (bench_verbose())
				fprintf(stderr, "#   %-12s round %d: %7.3f s, pswpin %llu, pswpout %llu, "
					"%.1f MiB/s; raw %.1f MiB/s\n", s->w.label, r + 1, o->secs,
					o->in, o->out, mib_s(o), mib_s(w));
		}
	}
	for (int k = 0; k < nsides; k++)
		worker_stop(&sides[k].w);
	worker_stop(&raw);
	unlink(raw_path);
	for (int k = 0; k < 2; k++) {
		struct side *s = &sides[k];

		if (k >= nsides)
			printf("BENCH thrash-%s: skipped (%s)\n", s->mode, why_uring);
		else if (!ok)
			printf("BENCH thrash-%s: skipped (%s)\n", s->mode, why);
		else if (!s->ok)
			printf("BENCH thrash-%s: skipped (%s)\n", s->mode, s->w.why);
		else
			report(s);
	}
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "guest-thrash"))
		return guest_worker(argv[2]);
	if (argc > 2 && !strcmp(argv[1], "raw-thrash"))
		return raw_worker(argv[2]);
	if (argc > 1) {
		fprintf(stderr, "usage: bench_thrash\n"
			"       bench_thrash guest-thrash sync|uring | raw-thrash PATH\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (find_paths(self_path, vmrun_path) != 0) {
		printf("BENCH thrash-sync: skipped (no vmrun at %s)\n", vmrun_path);
		printf("BENCH thrash-uring: skipped (no vmrun at %s)\n", vmrun_path);
		return 0;
	}
	bench_thrash();
	return 0;
}
