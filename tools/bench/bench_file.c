/* bench_file.c - BENCH file-read and file-read-cold: a sequential read of
 * a 64 MiB file on tmpfs through a MAP_SHARED PROT_READ mapping, by a
 * guest under vmrun against a plain process reading the same file through
 * the host's own mmap, the same way, in the same run.
 *
 *   file-read       both sides read a file their page cache holds: ours a
 *                   second mapping right after the first was unmapped (every
 *                   page found in the machine's cache: minor faults, one
 *                   host mapping per fault-around window); native a mapping
 *                   of the tmpfs file, which is the host's page cache
 *                   (minor faults with fault-around). Like for like: the
 *                   cost of mapping cached pages.
 *   file-read-cold  ours: the first mapping of the file's new contents,
 *                   every page copied from the host file into the machine's
 *                   page cache (major faults, readahead, fault-around),
 *                   against the same native read. The copy is one the host
 *                   never makes (its cache is the file), which bounds this
 *                   ratio near 0.55 even at no other cost.
 *
 * Each round the driver rewrites the file with new contents (a new mtime:
 * the machine's cache drops the old pages at the next mmap, close-to-open)
 * and asks each worker to read it twice; both sum every 64-bit word and the
 * driver checks the sums against what it wrote, so stale pages would show.
 * The clock covers the reading pass only, from the first touch to the
 * last: not mmap, munmap or the file's rewrite. MiB/s is 64 MiB over that.
 *
 * One binary, two roles, as bench_thrash: without arguments the driver;
 * with a mode a worker:
 *
 *   guest-file    a guest (run under vmrun)
 *   native-file   a plain process
 *
 * A worker prints "ready" (or "skip <why>"), then per line "r PATH" on
 * stdin answers "<cold s> <warm s> <cold sum> <warm sum> <majflt>"
 * (majflt of the cold pass: the guest's, or the host's for native). It
 * exits at EOF. A profile of one side, for example:
 *
 *   tools/bench/bench_file native-file  (then type "r /dev/shm/FILE")
 *
 * BENCH_VERBOSE=1 lets vmrun's summary and the per-round figures through.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <vm/guest.h>

#include "bench.h"

#define PAGE		4096UL
#define FILE_MIB	64
#define FILE_PAGES	((unsigned long)FILE_MIB << 8)
#define FILE_WORDS	(FILE_PAGES * (PAGE / 8))
#define RAM		"256M"
#define RAM_MIB		256
#define FILE_ROUNDS	ROUNDS

/* ---- workers ------------------------------------------------------------ */

static bool native;

/* Sum every word of the mapping in order: the reading pass. */
static uint64_t read_pass(const uint64_t *p)
{
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;

	for (unsigned long i = 0; i < FILE_WORDS; i += 4) {
		s0 += p[i];
		s1 += p[i + 1];
		s2 += p[i + 2];
		s3 += p[i + 3];
	}
	return s0 + s1 + s2 + s3;
}

static uint64_t majflt_now(void)
{
	if (!native) {
		struct vm_rusage ru;

		return vm_getrusage(&ru) == 0 ? ru.majflt : 0;
	}
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? (uint64_t)ru.ru_majflt : 0;
}

/* Map path, read it all (timed), unmap: the seconds, the sum in *sum. */
static int timed_read(int fd, double *secs, uint64_t *sum)
{
	size_t len = FILE_PAGES * PAGE;
	const uint64_t *p = native ? mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0)
				   : vm_mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	double t;

	if (p == MAP_FAILED)
		return -1;
	t = now_s();
	*sum = read_pass(p);
	*secs = now_s() - t;
	return native ? munmap((void *)p, len) : vm_munmap((void *)p, len);
}

static int worker(void)
{
	char line[PATH_MAX + 16], path[PATH_MAX];

	if (!native && !vm_is_guest())
		return skip("not a guest: run under vmrun", 0);
	ready();
	while (fgets(line, sizeof(line), stdin)) {
		double cold, warm;
		uint64_t sc, sw, m0;
		int fd;

		if (sscanf(line, "r %4095s", path) != 1)
			return skip("bad request", 0);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return skip("open the file", errno);
		m0 = majflt_now();
		if (timed_read(fd, &cold, &sc) < 0)
			return skip("mmap of the file (cold)", errno);
		m0 = majflt_now() - m0;
		if (timed_read(fd, &warm, &sw) < 0)
			return skip("mmap of the file (warm)", errno);
		close(fd);
		printf("%.9f %.9f %llu %llu %llu\n", cold, warm, (unsigned long long)sc,
		       (unsigned long long)sw, (unsigned long long)m0);
		fflush(stdout);
	}
	return 0;
}

/* ---- the driver --------------------------------------------------------- */

struct round {
	double cold, warm;
	unsigned long long majflt;
};

static char self_path[PATH_MAX], vmrun_path[PATH_MAX], file_path[64];

static inline uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The file's contents for round r, written in place (same inode, a new
 * mtime): their sum. */
static bool write_file(int r, uint64_t *sum, char *why, size_t whylen)
{
	static uint64_t buf[256 * 1024 / 8];
	const unsigned long per = sizeof(buf) / 8;
	uint64_t s = 0, k = mix((uint64_t)r + 1);
	int fd = open(file_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		goto fail;
	for (unsigned long w = 0; w < FILE_WORDS; w += per) {
		for (unsigned long i = 0; i < per; i++) {
			buf[i] = (w + i) * 0x9E3779B97F4A7C15ULL ^ k;
			s += buf[i];
		}
		if (pwrite(fd, buf, sizeof(buf), (off_t)(w * 8)) != (ssize_t)sizeof(buf))
			goto fail;
	}
	close(fd);
	*sum = s;
	return true;
fail:
	snprintf(why, whylen, "%s: %s", file_path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return false;
}

/* One round of worker w on the file: false (with w->why) if it died,
 * said something else, or read the wrong contents. */
static bool file_round(struct worker *w, int r, uint64_t want, struct round *out)
{
	unsigned long long sc, sw;
	char req[96], line[160];
	int n = snprintf(req, sizeof(req), "r %s\n", file_path);

	if (write(w->in, req, (size_t)n) != n || !worker_line(w, line, sizeof(line))) {
		snprintf(w->why, sizeof(w->why), "%s died in round %d", w->label, r + 1);
		return false;
	}
	if (sscanf(line, "%lf %lf %llu %llu %llu", &out->cold, &out->warm, &sc, &sw,
		   &out->majflt) != 5) {
		worker_fail(w, line);
		return false;
	}
	if (sc != want || sw != want) {
		snprintf(w->why, sizeof(w->why), "%s read wrong contents in round %d: sums %#llx "
			 "(cold), %#llx (warm), want %#llx", w->label, r + 1, sc, sw,
			 (unsigned long long)want);
		return false;
	}
	return true;
}

static double mib_s(double secs)
{
	return secs > 0 ? FILE_MIB / secs : 0;
}

static void bench_file(void)
{
	char *gargv[] = { vmrun_path, "--ram", RAM, "--name", NULL, "--", self_path, "guest-file",
			  NULL };
	char *nargv[] = { self_path, "native-file", NULL };
	struct round ours[FILE_ROUNDS], ref[FILE_ROUNDS];
	double oc[FILE_ROUNDS], ow[FILE_ROUNDS], nc[FILE_ROUNDS], nw[FILE_ROUNDS];
	double maj[FILE_ROUNDS];
	struct worker g, n;
	char name[48], why[300] = "";
	bool ok = true;

	if (!shm_room(RAM_MIB + FILE_MIB, why, sizeof(why))) {
		printf("BENCH file-read: skipped (%s)\n", why);
		printf("BENCH file-read-cold: skipped (%s)\n", why);
		return;
	}
	snprintf(file_path, sizeof(file_path), "/dev/shm/bench-file-%d.dat", (int)getpid());
	snprintf(name, sizeof(name), "bench-file-%d", (int)getpid());
	gargv[4] = name;
	worker_start(&g, "guest-file", gargv, -1);
	worker_start(&n, "native-file", nargv, -1);
	if (g.why[0] || n.why[0]) {
		snprintf(why, sizeof(why), "%s", g.why[0] ? g.why : n.why);
		ok = false;
	}
	/* The first round is a warm-up, thrown away: it pays the host's
	 * allocation of the RAM file's and the data file's tmpfs pages. The
	 * two sides alternate which reads first. */
	for (int r = -1; r < FILE_ROUNDS && ok; r++) {
		struct round wg, wn, *og = r < 0 ? &wg : &ours[r], *on = r < 0 ? &wn : &ref[r];
		uint64_t sum;

		if (!write_file(r + 1, &sum, why, sizeof(why))) {
			ok = false;
			break;
		}
		if (r % 2) {
			ok = file_round(&g, r, sum, og) && file_round(&n, r, sum, on);
		} else {
			ok = file_round(&n, r, sum, on) && file_round(&g, r, sum, og);
		}
		if (!ok) {
			snprintf(why, sizeof(why), "%s", g.why[0] ? g.why : n.why);
			break;
		}
		if (bench_verbose())
			fprintf(stderr, "#   round %d: ours cold %.1f ms (majflt %llu), warm %.1f ms; "
				"native cold %.1f ms, warm %.1f ms\n", r + 1, og->cold * 1e3,
				og->majflt, og->warm * 1e3, on->cold * 1e3, on->warm * 1e3);
	}
	worker_stop(&g);
	worker_stop(&n);
	unlink(file_path);
	if (!ok) {
		printf("BENCH file-read: skipped (%s)\n", why);
		printf("BENCH file-read-cold: skipped (%s)\n", why);
		return;
	}
	for (int i = 0; i < FILE_ROUNDS; i++) {
		oc[i] = mib_s(ours[i].cold);
		ow[i] = mib_s(ours[i].warm);
		nc[i] = mib_s(ref[i].cold);
		nw[i] = mib_s(ref[i].warm);
		maj[i] = (double)ours[i].majflt;
	}
	printf("# file-read: %d MiB file on tmpfs, MAP_SHARED PROT_READ, every word summed; ours "
	       "under vmrun --ram %s, %.0f major faults a cold read\n", FILE_MIB, RAM,
	       median(maj, FILE_ROUNDS));
	bench_line("file-read", median(ow, FILE_ROUNDS), "MiB/s", "native", median(nw, FILE_ROUNDS));
	bench_line("file-read-cold", median(oc, FILE_ROUNDS), "MiB/s", "native",
		   median(nc, FILE_ROUNDS));
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "guest-file"))
		return worker();
	if (argc > 1 && !strcmp(argv[1], "native-file")) {
		native = true;
		return worker();
	}
	if (argc > 1) {
		fprintf(stderr, "usage: bench_file\n       bench_file guest-file | native-file\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (find_paths(self_path, vmrun_path) != 0) {
		printf("BENCH file-read: skipped (no vmrun at %s)\n", vmrun_path);
		printf("BENCH file-read-cold: skipped (no vmrun at %s)\n", vmrun_path);
		return 0;
	}
	bench_file();
	return 0;
}
