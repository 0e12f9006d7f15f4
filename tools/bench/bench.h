/* bench.h - helpers shared by the benchmarks: monotonic clock, medians,
 * the BENCH line format of PERFORMANCE.md, and both ends of the worker
 * protocol of bench_fault and bench_fork (a driver that starts itself as
 * workers, under vmrun or plain, and talks to them through pipes). */
#ifndef BENCH_H
#define BENCH_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 7
#define NR_ROUNDS	9		/* workers: a few more than ROUNDS: the host is shared */
#define GO_ENV		"BENCH_GO_FD"	/* a worker's go pipe, if it has one */

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static inline double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ratio = ours / reference as throughput: above 1 we are faster. */
static inline void bench_line(const char *name, double ours, const char *unit,
			      const char *ref_name, double ref)
{
	printf("BENCH %s: ours %.3f %s, %s %.3f %s, ratio %.2f\n", name, ours, unit,
	       ref_name, ref, unit, ref > 0 ? ours / ref : 0.0);
	fflush(stdout);
}

static inline bool bench_verbose(void)
{
	const char *v = getenv("BENCH_VERBOSE");

	return v && *v == '1';
}

/* This binary and vmrun, each into PATH_MAX bytes: .../tools/bench/bench_x
 * -> .../vmrun/vmrun, unless VMRUN names another. 0 if vmrun can run. */
static inline int find_paths(char *self_path, char *vmrun_path)
{
	const char *env = getenv("VMRUN");
	ssize_t n = readlink("/proc/self/exe", self_path, PATH_MAX - 1);
	char *s;

	if (n <= 0)
		return -1;
	self_path[n] = '\0';
	if (env) {
		snprintf(vmrun_path, PATH_MAX, "%s", env);
	} else {
		snprintf(vmrun_path, PATH_MAX, "%s", self_path);
		for (int i = 0; i < 3; i++)	/* .../tools/bench/bench_x -> ... */
			if ((s = strrchr(vmrun_path, '/')))
				*s = '\0';
		if (strlen(vmrun_path) + sizeof("/vmrun/vmrun") > PATH_MAX)
			return -1;
		strcat(vmrun_path, "/vmrun/vmrun");
	}
	return access(vmrun_path, X_OK);
}

/* Room in /dev/shm for what a bench's machines hold at once; fills why
 * when there is not. */
static inline bool shm_room(uint64_t mib, char *why, size_t whylen)
{
	struct statvfs sv;

	if (statvfs("/dev/shm", &sv) != 0) {
		snprintf(why, whylen, "no /dev/shm: %s", strerror(errno));
		return false;
	}
	if ((uint64_t)sv.f_bavail * sv.f_frsize < (mib << 20)) {
		snprintf(why, whylen, "too little /dev/shm: needs %llu MiB",
			 (unsigned long long)mib);
		return false;
	}
	return true;
}

/* ---- a worker's end ----------------------------------------------------- */

/* Wait for the driver's next request; false at EOF. */
static inline bool next_round(void)
{
	char buf[64];

	return fgets(buf, sizeof(buf), stdin) != NULL;
}

static inline void ready(void)
{
	printf("ready\n");
	fflush(stdout);
}

/* "skip <why>[: <strerror(err)>]" for the driver; 0 for main to return. */
static inline int skip(const char *why, int err)
{
	printf("skip %s%s%s\n", why, err ? ": " : "", err ? strerror(err) : "");
	fflush(stdout);
	return 0;
}

/* ---- the driver's end --------------------------------------------------- */

/* One worker process: vmrun (with its guests) or a plain one. */
struct worker {
	const char *label;		/* for the verbose lines */
	pid_t pid;
	int in;				/* its stdin */
	int go;				/* the write end of its guests' go pipe, or -1 */
	FILE *out;			/* its stdout */
	char why[200];			/* why it cannot run, when it cannot */
};

static inline void worker_init(struct worker *w)
{
	memset(w, 0, sizeof(*w));
	w->in = w->go = -1;
}

/* Read one line of a worker's stdout, without its newline; false at EOF. */
static inline bool worker_line(struct worker *w, char *line, size_t len)
{
	if (!fgets(line, (int)len, w->out))
		return false;
	line[strcspn(line, "\n")] = '\0';
	return true;
}

/* A line that is not what we waited for: the worker's "skip <why>", or
 * the line itself. */
static inline void worker_fail(struct worker *w, const char *line)
{
	snprintf(w->why, sizeof(w->why), "%s", strncmp(line, "skip ", 5) ? line : line + 5);
}

/* One round of a worker: ask it ("r") and read its answer, three numbers:
 * the seconds and two counts. false (with w->why) if it died or said
 * something else. */
static inline bool worker_round(struct worker *w, int i, double *secs, unsigned long long *a,
				unsigned long long *b)
{
	char line[200];

	if (write(w->in, "r\n", 2) != 2 || !worker_line(w, line, sizeof(line))) {
		snprintf(w->why, sizeof(w->why), "%s died in round %d", w->label, i + 1);
		return false;
	}
	if (sscanf(line, "%lf %llu %llu", secs, a, b) != 3) {
		worker_fail(w, line);
		return false;
	}
	return true;
}

/* Start a worker with pipes on its stdin and stdout and wait for its
 * (first) "ready"; false (with w->why) if it cannot run. go_fd, if not
 * -1, is passed on to it and named in its environment as GO_ENV. */
static inline bool worker_start(struct worker *w, const char *label, char *const argv[],
				int go_fd)
{
	int to[2], from[2];
	char line[200];

	worker_init(w);
	w->label = label;
	if (pipe2(to, O_CLOEXEC) < 0 || pipe2(from, O_CLOEXEC) < 0) {
		snprintf(w->why, sizeof(w->why), "pipe: %s", strerror(errno));
		return false;
	}
	fflush(stdout);		/* or the child inherits our unwritten lines */
	w->pid = fork();
	if (w->pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		if (!bench_verbose()) {
			int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
			if (null >= 0)
				dup2(null, 2);
		}
		if (go_fd >= 0) {
			char s[16];

			fcntl(go_fd, F_SETFD, 0);	/* through vmrun to the guests */
			snprintf(s, sizeof(s), "%d", go_fd);
			setenv(GO_ENV, s, 1);
		}
		execv(argv[0], argv);
		dprintf(1, "skip cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	w->in = to[1];
	w->out = fdopen(from[0], "r");
	if (w->pid < 0 || !w->out) {
		snprintf(w->why, sizeof(w->why), "fork: %s", strerror(errno));
		return false;
	}
	if (!worker_line(w, line, sizeof(line))) {
		snprintf(w->why, sizeof(w->why), "%s did not start (BENCH_VERBOSE=1 shows why)",
			 label);
		return false;
	}
	if (strcmp(line, "ready")) {
		worker_fail(w, line);
		return false;
	}
	return true;
}

/* Close its stdin and go pipe, so it (and every guest) sees EOF, read
 * what it still says (a scale guest's last "ready") so none dies of a
 * closed pipe, and reap it: vmrun removes its RAM file on the way out. */
static inline void worker_stop(struct worker *w)
{
	char line[200];
	int status;

	if (w->in >= 0)
		close(w->in);
	if (w->go >= 0)
		close(w->go);
	if (w->out) {
		while (fgets(line, sizeof(line), w->out))
			;
		fclose(w->out);
	}
	if (w->pid > 0)
		waitpid(w->pid, &status, 0);
	w->in = w->go = -1;
	w->out = NULL;
	w->pid = 0;
}

#endif /* BENCH_H */
