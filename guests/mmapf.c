/* mmapf - mappings of host files as a guest sees them, one mode per test,
 * after the Pintos/KAIST vm tests (mmap-read, mmap-write, mmap-close,
 * mmap-unmap, mmap-overlap, mmap-twice, mmap-exit, mmap-shuffle,
 * mmap-clean, mmap-remove, mmap-off, mmap-ro, mmap-bad-fd, mmap-zero,
 * lazy-file, swap-file) and xv6's mmaptest, plus what Linux adds: SIGBUS
 * beyond the end of the file, MAP_PRIVATE copies under memory pressure,
 * two guests sharing one page cache, the flusher.
 *
 *   vmrun --ram 32M [--swap 64M] [--mode pae] -- guests/mmapf MODE DIR [ARGS]
 *   guests/mmapf --native MODE DIR [ARGS]
 *
 * DIR is a directory for the files a mode makes (named after the mode
 * and the pid); the caller removes it. With --native the program runs as
 * a plain process on the host kernel: vm_mmap, vm_munmap, vm_msync,
 * vm_mprotect, vm_fork, vm_waitpid, vm_exit, vm_getrusage and
 * vm_translate become mmap, munmap, msync, mprotect, fork, waitpid, exit,
 * getrusage (with /proc/self/statm) and /proc/self/pagemap, so every
 * expectation here is checked against Linux's own behaviour first. The
 * few that Linux cannot show (a major fault on a file already in the
 * host's page cache, reclaim on a host with memory to spare) are said so
 * in the line and only checked under vmrun.
 *
 * Every page a mode writes to a file holds words derived from (seed,
 * round, page index in the file), so any page of any mapping can be
 * checked against what the file should hold. Each mode prints one "ok" or
 * "FAIL" line per check (a child's lines say "child") and exits 0 when
 * all held, 1 when one did not. Modes that must die (sigbus, segv) print
 * a FAIL line and exit 1 if they survive. Children leave by vm_exit; every
 * wait on a pipe or on the shared file is bounded; a blocking vm_waitpid
 * is bounded by the caller's timeout. tests/integration/test_filemap.sh
 * runs every mode natively and under vmrun in both paging modes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vm/guest.h>
#include <vm/kernel.h>

#include "pattern.h"

#define MiB		(1u << 20)
#define PIPE_WAIT	30		/* seconds any wait on a pipe or peer may take */
#define TMPFS_MAGIC_	0x01021994
#define PAST_SEC	978307200	/* 2001-01-01: the mtime a file is given to see it kept */

static int native;			/* --native: the host kernel's calls */
static const char *mode = "mmapf";	/* argv[1], for messages */
static const char *dir;			/* where a mode's files go */
static char who[32] = "guest";		/* whose lines these are */
static int failures, checks;
static int quiet;			/* check() prints only FAIL lines */

/* ---- the calls: the guest API, or libc's with --native ------------------ */

static void *x_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return native ? mmap(addr, len, prot, flags, fd, off) : vm_mmap(addr, len, prot, flags, fd, off);
}

static int x_munmap(void *addr, size_t len)
{
	return native ? munmap(addr, len) : vm_munmap(addr, len);
}

static int x_msync(void *addr, size_t len, int flags)
{
	return native ? msync(addr, len, flags) : vm_msync(addr, len, flags);
}

static int x_mprotect(void *addr, size_t len, int prot)
{
	return native ? mprotect(addr, len, prot) : vm_mprotect(addr, len, prot);
}

static pid_t x_fork(void)
{
	return native ? fork() : vm_fork();
}

static pid_t x_waitpid(pid_t pid, int *status, int options)
{
	return native ? waitpid(pid, status, options) : vm_waitpid(pid, status, options);
}

static void __attribute__((noreturn)) x_exit(int status)
{
	if (native)
		exit(status);
	vm_exit(status);
}

static pid_t x_getpid(void)
{
	return native ? getpid() : vm_getpid();
}

/* The pagemap entry of p (Linux's format either way), 0 when unreadable. */
static uint64_t x_entry(const void *p)
{
	uint64_t e = 0;

	if (!native) {
		if (vm_translate(p, &e) < 0)
			return 0;
		return e;
	}
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (off_t)((uintptr_t)p / PAGE) * 8) != 8)
		e = 0;
	close(fd);
	return e;
}

struct usage {
	uint64_t minflt, majflt, rss;	/* rss in pages */
};

static struct usage x_usage(void)
{
	struct usage u = { 0, 0, 0 };

	if (!native) {
		struct vm_rusage ru;

		if (vm_getrusage(&ru) == 0) {
			u.minflt = ru.minflt;
			u.majflt = ru.majflt;
			u.rss = ru.rss;
		}
		return u;
	}
	struct rusage ru;
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size, res;

	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		u.minflt = (uint64_t)ru.ru_minflt;
		u.majflt = (uint64_t)ru.ru_majflt;
	}
	if (f) {
		if (fscanf(f, "%lu %lu", &size, &res) == 2)
			u.rss = res;
		fclose(f);
	}
	return u;
}

/* ---- reporting ---------------------------------------------------------- */

static void check(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int cond, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (!cond)
		failures++;
	if (cond && quiet)
		return;
	printf("  %s %s: ", cond ? "ok  " : "FAIL", who);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	printf("  note %s: ", who);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Leave: children too, so the status reaches the parent. */
static void __attribute__((noreturn)) leave(void)
{
	fflush(stdout);
	fflush(stderr);
	x_exit(failures ? 1 : 0);
}

static void __attribute__((noreturn)) die(const char *what)
{
	check(0, "%s: %s", what, strerror(errno));
	leave();
}

/* ---- patterns (and pattern.h) ------------------------------------------- */

/* page_bad on the first len bytes: the first word that differs there
 * (a word cut by len compared byte by byte), or -1. */
static int page_bad_len(const void *p, uint64_t key, size_t len)
{
	uint64_t want[WORDS];
	const uint64_t *w = p;
	unsigned j;

	if (len >= PAGE)
		return page_bad(p, key);
	fill_page(want, key);
	for (j = 0; j * 8 < len; j++) {
		size_t n = len - j * 8 < 8 ? len - j * 8 : 8;

		if (memcmp(&w[j], &want[j], n))
			return (int)j;
	}
	return -1;
}

static int zero_from(const void *p, size_t from, size_t to)
{
	const unsigned char *c = p;
	size_t i;

	for (i = from; i < to; i++)
		if (c[i])
			return 0;
	return 1;
}

static uint64_t rnd(uint64_t *s)
{
	*s += 0x9E3779B97F4A7C15ULL;
	return mix(*s);
}

/* ---- files -------------------------------------------------------------- */

/* A file a mode made, and what each of its pages should hold: page i is
 * round exp[i] of seed's data (round 0: zeroes). size may end inside the
 * last page: its first size % PAGE bytes are the pattern's. */
struct file {
	char path[256];
	int fd;				/* O_RDWR, for checking; -1 once closed */
	size_t npages;			/* pages that hold any of the file */
	off_t size;
	uint64_t seed;
	uint32_t *exp;
};

static uint64_t buf[WORDS];		/* host memory for pread/pwrite */

static void file_path(struct file *f, const char *name)
{
	snprintf(f->path, sizeof(f->path), "%s/%s-%s.%d", dir, mode, name, (int)getpid());
}

/* Write file page idx as round round (its first len bytes). */
static void file_put(struct file *f, size_t idx, uint32_t round, size_t len)
{
	fill_page(buf, page_key(f->seed, round, idx));
	if (pwrite(f->fd, buf, len, (off_t)idx * PAGE) != (ssize_t)len)
		die("pwrite of a file page");
	f->exp[idx] = round;
}

/* A new file of size bytes, every page round round (0: a sparse file of
 * zeroes), seed seed, open O_RDWR. */
static struct file *make_file(const char *name, off_t size, uint64_t seed, uint32_t round)
{
	struct file *f = calloc(1, sizeof(*f));
	size_t i;

	if (!f)
		die("calloc");
	file_path(f, name);
	f->size = size;
	f->seed = seed;
	f->npages = (size_t)((size + PAGE - 1) / PAGE);
	f->exp = calloc(f->npages + 1, sizeof(*f->exp));
	unlink(f->path);
	f->fd = open(f->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (f->fd < 0 || !f->exp)
		die(f->path);
	if (ftruncate(f->fd, size) < 0)
		die("ftruncate");
	for (i = 0; round && i < f->npages; i++) {
		size_t len = PAGE;

		if ((off_t)(i + 1) * PAGE > size)
			len = (size_t)(size - (off_t)i * PAGE);
		file_put(f, i, round, len);
	}
	return f;
}

/* The file, read with pread, holds exp[] in pages [from, to): names the
 * first page that does not. */
static void file_check(const char *what, struct file *f, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++) {
		size_t len = PAGE;
		ssize_t r;
		int w;

		if ((off_t)(i + 1) * PAGE > f->size)
			len = (size_t)(f->size - (off_t)i * PAGE);
		memset(buf, 0, sizeof(buf));
		r = pread(f->fd, buf, len, (off_t)i * PAGE);
		if (r != (ssize_t)len) {
			check(0, "%s: pread of file page %zu gave %zd, want %zu", what, i, r, len);
			return;
		}
		if (!f->exp[i]) {
			if (!zero_from(buf, 0, len)) {
				check(0, "%s: file page %zu should read zero and does not", what, i);
				return;
			}
			continue;
		}
		w = page_bad_len(buf, page_key(f->seed, f->exp[i], i), len);
		if (w >= 0) {
			check(0, "%s: file page %zu is not round %u's data (word %d is %#llx)", what,
			      i, f->exp[i], w, (unsigned long long)buf[w]);
			return;
		}
	}
	check(1, "%s: the file's pages %zu-%zu hold what they should", what, from, to - 1);
}

/* Mapping p shows file pages [first, first + n) as exp[] says, the part
 * of the last page beyond the end of the file as zeroes. */
static void map_check(const char *what, const char *p, struct file *f, size_t first, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		size_t idx = first + i, len = PAGE;
		const char *q = p + i * PAGE;
		int w;

		if ((off_t)(idx + 1) * PAGE > f->size)
			len = (size_t)(f->size - (off_t)idx * PAGE);
		if (!f->exp[idx]) {
			if (!zero_from(q, 0, PAGE)) {
				check(0, "%s: page %zu (file page %zu) should read zero", what, i, idx);
				return;
			}
			continue;
		}
		w = page_bad_len(q, page_key(f->seed, f->exp[idx], idx), len);
		if (w >= 0) {
			check(0, "%s: page %zu (file page %zu) is not round %u's data (word %d is "
			      "%#llx; pagemap %#llx)", what, i, idx, f->exp[idx], w,
			      (unsigned long long)((const uint64_t *)q)[w],
			      (unsigned long long)x_entry(q));
			return;
		}
		if (len < PAGE && !zero_from(q, len, PAGE)) {
			check(0, "%s: the last page (file page %zu) past the end of the file, bytes "
			      "%zu-4095, should read zero", what, idx, len);
			return;
		}
	}
	check(1, "%s: %zu pages show file pages %zu-%zu", what, n, first, first + n - 1);
}

/* Write round round into mapping page i (file page first + i). */
static void map_put(char *p, struct file *f, size_t first, size_t i, uint32_t round)
{
	fill_page(p + i * PAGE, page_key(f->seed, round, first + i));
	f->exp[first + i] = round;
}

static void file_close(struct file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

static void file_free(struct file *f)
{
	file_close(f);
	unlink(f->path);
	free(f->exp);
	free(f);
}

static int open_file(struct file *f, int flags)
{
	int fd = open(f->path, flags | O_CLOEXEC);

	if (fd < 0)
		die(f->path);
	return fd;
}

static int on_tmpfs(int fd)
{
	struct statfs sf;

	return fstatfs(fd, &sf) == 0 && sf.f_type == TMPFS_MAGIC_;
}

/* Native: make the next touches of f read the disk, as the first touches
 * of a file the machine never cached do (not on tmpfs, where the host's
 * page cache is the file). */
static int cold_cache(struct file *f)
{
	if (!native)
		return 1;
	if (on_tmpfs(f->fd))
		return 0;
	fdatasync(f->fd);
	posix_fadvise(f->fd, 0, 0, POSIX_FADV_DONTNEED);
	return 1;
}

static void set_past_mtime(struct file *f)
{
	struct timespec ts[2] = { { PAST_SEC, 0 }, { PAST_SEC, 0 } };

	if (futimens(f->fd, ts) < 0)
		die("futimens");
}

static struct stat file_stat(struct file *f)
{
	struct stat st;

	if (stat(f->path, &st) < 0)
		die("stat");
	return st;
}

/* ---- mappings ----------------------------------------------------------- */

static char *map_file(void *addr, size_t pages, int prot, int flags, int fd, size_t offpage,
		      const char *what)
{
	char *p = x_mmap(addr, (size_t)pages * PAGE, prot, flags, fd, (off_t)offpage * PAGE);

	if (p == MAP_FAILED) {
		check(0, "%s: mmap of %zu pages at file page %zu: %s", what, pages, offpage,
		      strerror(errno));
		leave();
	}
	return p;
}

static void unmap(void *p, size_t pages, const char *what)
{
	if (x_munmap(p, (size_t)pages * PAGE) < 0) {
		check(0, "%s: munmap: %s", what, strerror(errno));
		leave();
	}
}

static void sync_map(void *p, size_t pages, int flags, const char *what)
{
	int r = x_msync(p, (size_t)pages * PAGE, flags);

	check(r == 0, "%s: msync(%s) gives %d%s%s", what, flags == MS_SYNC ? "MS_SYNC" :
	      flags == MS_ASYNC ? "MS_ASYNC" : "?", r, r ? ": " : "", r ? strerror(errno) : "");
}

/* mmap must fail with err; if it did not, the mapping is removed. */
static void expect_map_fail(void *addr, size_t len, int prot, int flags, int fd, off_t off, int err,
			    const char *what)
{
	int e;
	void *p;

	errno = 0;
	p = x_mmap(addr, len, prot, flags, fd, off);
	e = errno;
	check(p == MAP_FAILED && e == err, "%s: mmap gives %s (%s), want %s", what,
	      p == MAP_FAILED ? "MAP_FAILED" : "a mapping", p == MAP_FAILED ? strerror(e) : "no error",
	      strerror(err));
	if (p != MAP_FAILED)
		x_munmap(p, len);
}

static const char *describe(int status)
{
	static char b[64];

	if (WIFEXITED(status))
		snprintf(b, sizeof(b), "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(b, sizeof(b), "killed by %s", strsignal(WTERMSIG(status)));
	else
		snprintf(b, sizeof(b), "status %#x", status);
	return b;
}

/* fork with stdio flushed, so no line is printed twice; in the child,
 * names the lines after it. */
static pid_t xfork(const char *role)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = x_fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		snprintf(who, sizeof(who), "%s %d", role, (int)x_getpid());
		failures = 0;
	}
	return pid;
}

static int reap(pid_t pid)
{
	int status = 0;

	if (x_waitpid(pid, &status, 0) != pid)
		die("waitpid");
	return status;
}

static void expect_exit0(pid_t pid, const char *what)
{
	int status = reap(pid);

	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: the child %s, want exit 0", what,
	      describe(status));
}

static void touch_read(void *p)
{
	(void)*(volatile char *)p;
}

static void touch_write(void *p)
{
	*(volatile char *)p = 0x5a;
}

/* A child does fn(p); it must die by sig. */
static void expect_death(int sig, void (*fn)(void *), void *p, const char *what)
{
	pid_t pid = xfork("child");
	int status;

	if (pid == 0) {
		fn(p);
		x_exit(0);	/* it survived */
	}
	status = reap(pid);
	check(WIFSIGNALED(status) && WTERMSIG(status) == sig, "%s: the child %s, want killed by %s",
	      what, describe(status), strsignal(sig));
}

/* ---- pipes -------------------------------------------------------------- */

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

static void get(int fd, const char *what)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	double end = now() + PIPE_WAIT;
	char c;

	for (;;) {
		int left = (int)((end - now()) * 1000), r;

		if (left <= 0) {
			check(0, "no word within %d s: %s", PIPE_WAIT, what);
			leave();
		}
		r = poll(&pfd, 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("poll");
		if (r == 0)
			continue;
		r = (int)read(fd, &c, 1);
		if (r == 1)
			return;
		if (r < 0 && errno == EINTR)
			continue;
		check(0, "pipe closed while waiting: %s", what);
		leave();
	}
}

static long arg_num(int argc, char **argv, int i, long lo, long hi, long dflt, const char *what)
{
	char *end;
	long n;

	if (argc <= i)
		return dflt;
	errno = 0;
	n = strtol(argv[i], &end, 0);
	if (errno || *end || end == argv[i] || n < lo || n > hi) {
		fprintf(stderr, "mmapf: %s: %s wants a number from %ld to %ld, not '%s'\n", mode,
			what, lo, hi, argv[i]);
		exit(2);
	}
	return n;
}

/* ---- mmap-read ---------------------------------------------------------- */

/* A file of 37 pages and 1000 bytes, mapped MAP_SHARED PROT_READ from an
 * O_RDONLY descriptor, then MAP_PRIVATE: every page shows the file, the
 * rest of the last page zeroes; the first touches read the file (major
 * faults); the pages are file pages in pagemap. */
static int t_read(int argc, char **argv)
{
	struct file *f = make_file("a", 37 * PAGE + 1000, 11, 1);
	int fd = open_file(f, O_RDONLY), major = cold_cache(f);
	struct usage u0 = x_usage(), u1;
	char *p, *q;
	uint64_t e;

	(void)argc, (void)argv;
	p = map_file(NULL, 38, PROT_READ, MAP_SHARED, fd, 0, "MAP_SHARED, O_RDONLY");
	map_check("MAP_SHARED PROT_READ", p, f, 0, 38);
	u1 = x_usage();
	if (major)
		check(u1.majflt > u0.majflt, "the first reads were major faults: majflt %llu -> %llu",
		      (unsigned long long)u0.majflt, (unsigned long long)u1.majflt);
	else
		note("majflt %llu -> %llu (the host's tmpfs: the file is its page cache, no major "
		     "fault to see)", (unsigned long long)u0.majflt, (unsigned long long)u1.majflt);
	e = x_entry(p + 5 * PAGE);
	check((e & PM_PRESENT) && (e & PM_FILE), "a read page is present and a file page in pagemap "
	      "(entry %#llx)", (unsigned long long)e);
	q = map_file(NULL, 38, PROT_READ, MAP_PRIVATE, fd, 0, "MAP_PRIVATE, O_RDONLY");
	check(q != p, "a second mapping gets its own address");
	map_check("MAP_PRIVATE PROT_READ", q, f, 0, 38);
	close(fd);
	unmap(p, 38, "MAP_SHARED");
	unmap(q, 38, "MAP_PRIVATE");
	file_check("after munmap", f, 0, f->npages);
	check(file_stat(f).st_size == 37 * PAGE + 1000, "the file's size is unchanged");
	file_free(f);
	return 0;
}

/* ---- mmap-write --------------------------------------------------------- */

/* MAP_SHARED writes reach the file at msync(MS_SYNC), msync(MS_ASYNC)
 * and munmap; they change its mtime, never its size; bytes written past
 * the end of the file in its last page do not reach it. */
static int t_write(int argc, char **argv)
{
	struct file *f = make_file("a", 20 * PAGE, 21, 1), *g;
	size_t i;
	char *p;
	int r;

	(void)argc, (void)argv;
	set_past_mtime(f);
	p = map_file(NULL, 20, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0, "MAP_SHARED rw");
	map_check("before any write", p, f, 0, 20);
	for (i = 0; i < 20; i++)
		map_put(p, f, 0, i, 2);
	map_check("written", p, f, 0, 20);
	sync_map(p, 20, MS_SYNC, "every page written");
	file_check("after msync(MS_SYNC)", f, 0, 20);
	if (native && on_tmpfs(f->fd))
		note("the file's mtime %s (the host's tmpfs does not update it for writes through a "
		     "mapping)", file_stat(f).st_mtime > PAST_SEC ? "changed" : "did not change");
	else
		check(file_stat(f).st_mtime > PAST_SEC, "the writes changed the file's mtime");
	map_put(p, f, 0, 3, 3);
	map_put(p, f, 0, 7, 3);
	map_put(p, f, 0, 11, 3);
	sync_map(p, 20, MS_ASYNC, "pages 3, 7, 11 rewritten");
	file_check("after msync(MS_ASYNC)", f, 0, 20);
	/* a range of the mapping: pages 0-1 */
	map_put(p, f, 0, 1, 4);
	sync_map(p, 2, MS_SYNC, "page 1 rewritten, msync of pages 0-1");
	file_check("after msync of pages 0-1", f, 0, 20);
	map_put(p, f, 0, 0, 5);
	map_put(p, f, 0, 19, 5);
	map_put(p, f, 0, 10, 5);
	unmap(p, 20, "MAP_SHARED rw");
	file_check("after munmap", f, 0, 20);
	check(file_stat(f).st_size == 20 * PAGE, "the file's size is unchanged (%lld)",
	      (long long)file_stat(f).st_size);

	/* msync's own errors, as Linux gives them */
	p = map_file(NULL, 4, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0, "again");
	errno = 0;
	r = x_msync(p + 100, PAGE, MS_SYNC);
	check(r < 0 && errno == EINVAL, "msync of an unaligned address: %d (%s), want EINVAL", r,
	      strerror(errno));
	errno = 0;
	r = x_msync(p, PAGE, MS_SYNC | MS_ASYNC);
	check(r < 0 && errno == EINVAL, "msync(MS_SYNC | MS_ASYNC): %d (%s), want EINVAL", r,
	      strerror(errno));
	unmap(p + 2 * PAGE, 2, "pages 2-3");
	errno = 0;
	r = x_msync(p, 4 * PAGE, MS_SYNC);
	check(r < 0 && errno == ENOMEM, "msync over a hole: %d (%s), want ENOMEM", r,
	      strerror(errno));
	unmap(p, 2, "pages 0-1");

	/* the last page, partly past the end of the file */
	g = make_file("tail", 2 * PAGE + 100, 22, 1);
	p = map_file(NULL, 3, PROT_READ | PROT_WRITE, MAP_SHARED, g->fd, 0, "2 pages + 100 bytes");
	map_check("the tail page", p, g, 0, 3);
	p[2 * PAGE + 50] = 'y';
	p[2 * PAGE + 200] = 'x';
	p[3 * PAGE - 1] = 'z';
	unmap(p, 3, "the tail mapping");
	{
		char c = 0;

		check(pread(g->fd, &c, 1, 2 * PAGE + 50) == 1 && c == 'y',
		      "a byte written before the end of the file reached it ('%c')", c);
		check(file_stat(g).st_size == 2 * PAGE + 100, "bytes written past the end did not "
		      "grow the file (size %lld)", (long long)file_stat(g).st_size);
	}
	file_free(g);
	file_free(f);
	return 0;
}

/* ---- mmap-close --------------------------------------------------------- */

/* The descriptor closed right after mmap, before any touch: the mapping
 * stays, reads and writes the file; a new file opened on the same
 * descriptor number is not the one written. */
static int t_close(int argc, char **argv)
{
	struct file *f = make_file("a", 8 * PAGE, 31, 1), *g;
	int fd = open_file(f, O_RDWR), fd2;
	char *p, *q;
	size_t i;

	(void)argc, (void)argv;
	p = map_file(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0, "MAP_SHARED");
	check(close(fd) == 0, "the descriptor is closed");
	g = make_file("b", 8 * PAGE, 32, 1);
	file_close(g);
	fd2 = open_file(g, O_RDWR);
	note("descriptor %d closed, another file opened as %d", fd, fd2);
	map_check("after close", p, f, 0, 8);
	for (i = 0; i < 8; i++)
		map_put(p, f, 0, i, 2);
	map_check("written after close", p, f, 0, 8);
	unmap(p, 8, "MAP_SHARED");
	file_check("the mapped file, after munmap", f, 0, 8);
	g->fd = fd2;
	file_check("the file opened on the reused descriptor is untouched", g, 0, 8);

	/* MAP_PRIVATE, closed, written: the file keeps its data */
	fd = open_file(f, O_RDONLY);
	q = map_file(NULL, 8, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0, "MAP_PRIVATE");
	close(fd);
	map_check("MAP_PRIVATE after close", q, f, 0, 8);
	fill_page(q + 2 * PAGE, page_key(f->seed, 9, 2));
	check(page_bad(q + 2 * PAGE, page_key(f->seed, 9, 2)) < 0, "a private page written");
	unmap(q, 8, "MAP_PRIVATE");
	file_check("the file after the private mapping", f, 0, 8);
	file_free(g);
	file_free(f);
	return 0;
}

/* ---- mmap-unmap --------------------------------------------------------- */

/* A touch after munmap is SIGSEGV, touched before or not; a partial
 * munmap leaves the rest mapped and writes back what it removes. */
static int t_unmap(int argc, char **argv)
{
	struct file *f = make_file("a", 8 * PAGE, 41, 1);
	char *p;
	size_t i;

	(void)argc, (void)argv;
	p = map_file(NULL, 8, PROT_READ, MAP_SHARED, f->fd, 0, "8 pages");
	map_check("mapped", p, f, 0, 1);
	unmap(p, 8, "all 8");
	expect_death(SIGSEGV, touch_read, p, "a read of a page touched before munmap");
	expect_death(SIGSEGV, touch_read, p + 5 * PAGE, "a read of a page never touched");

	p = map_file(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0, "8 pages rw");
	for (i = 0; i < 8; i++)
		map_put(p, f, 0, i, 2);
	unmap(p + 2 * PAGE, 2, "pages 2-3");
	file_check("pages 2-3 after their munmap", f, 2, 4);
	map_check("pages 0-1", p, f, 0, 2);
	map_check("pages 4-7", p + 4 * PAGE, f, 4, 4);
	expect_death(SIGSEGV, touch_write, p + 2 * PAGE, "a write to page 2, unmapped");
	expect_death(SIGSEGV, touch_read, p + 3 * PAGE, "a read of page 3, unmapped");
	map_put(p, f, 0, 7, 3);
	unmap(p, 2, "pages 0-1");
	unmap(p + 4 * PAGE, 4, "pages 4-7");
	file_check("the file, all unmapped", f, 0, 8);
	file_free(f);
	return 0;
}

/* ---- mmap-overlap ------------------------------------------------------- */

static int ranges_meet(const char *a, size_t alen, const char *b, size_t blen)
{
	return a < b + blen && b < a + alen;
}

/* MAP_FIXED over a mapping replaces the pages it covers (of a file, of
 * anonymous memory); a hint that is taken is not used, one that is free
 * is. */
static int t_overlap(int argc, char **argv)
{
	struct file *a = make_file("a", 8 * PAGE, 51, 1), *b = make_file("b", 8 * PAGE, 52, 1);
	char *p, *q, *c, *h, *an;
	size_t i;

	(void)argc, (void)argv;
	p = map_file(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd, 0, "file a");
	map_check("file a", p, a, 0, 8);
	q = map_file(p + 2 * PAGE, 3, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, b->fd, 4,
		     "file b's pages 4-6 MAP_FIXED over a's pages 2-4");
	check(q == p + 2 * PAGE, "MAP_FIXED gives the address asked for");
	map_check("a's pages 0-1 stay", p, a, 0, 2);
	map_check("b's pages 4-6 in their place", p + 2 * PAGE, b, 4, 3);
	map_check("a's pages 5-7 stay", p + 5 * PAGE, a, 5, 3);

	c = map_file(p, 4, PROT_READ, MAP_SHARED, b->fd, 0, "a hint inside a mapping");
	check(!ranges_meet(c, 4 * PAGE, p, 8 * PAGE), "a taken hint is not used: %p, the mapping at "
	      "%p", (void *)c, (void *)p);
	map_check("the hinted mapping", c, b, 0, 4);
	unmap(c, 4, "the hinted mapping");

	h = map_file(NULL, 4, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "anonymous");
	unmap(h, 4, "anonymous");
	c = map_file(h, 4, PROT_READ, MAP_SHARED, b->fd, 0, "a free hint");
	check(c == h, "a free hint is used: %p for %p", (void *)c, (void *)h);
	map_check("at the free hint", c, b, 0, 4);
	unmap(c, 4, "at the free hint");

	map_put(p + 2 * PAGE, b, 4, 2, 2);	/* b's page 6, at p + 4 pages */
	map_put(p, a, 0, 1, 2);
	unmap(p, 8, "all of it");
	file_check("file a: page 1 rewritten, 2-4 untouched", a, 0, 8);
	file_check("file b: page 6 rewritten", b, 0, 8);

	an = map_file(NULL, 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "anon");
	for (i = 0; i < 4; i++)
		memset(an + i * PAGE, 0xab, PAGE);
	q = map_file(an + PAGE, 2, PROT_READ, MAP_SHARED | MAP_FIXED, a->fd, 0,
		     "file a's pages 0-1 MAP_FIXED over anonymous pages 1-2");
	check(q == an + PAGE, "MAP_FIXED over anonymous memory gives the address asked for");
	map_check("file pages in anonymous memory", an + PAGE, a, 0, 2);
	check((unsigned char)an[0] == 0xab && (unsigned char)an[4 * PAGE - 1] == 0xab,
	      "the anonymous pages around them stay");
	unmap(an, 4, "anon and file");
	file_free(a);
	file_free(b);
	return 0;
}

/* ---- mmap-twice --------------------------------------------------------- */

/* One file mapped three times: two MAP_SHARED (through two descriptors)
 * see each other's writes at once; a MAP_PRIVATE one sees them too on
 * the pages it has not written, and keeps its own on the one it has. */
static int t_twice(int argc, char **argv)
{
	struct file *f = make_file("a", 8 * PAGE, 61, 1);
	int fd2 = open_file(f, O_RDWR);
	char *p, *q, *r, *s;

	(void)argc, (void)argv;
	p = map_file(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0, "first");
	q = map_file(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0, "second");
	s = map_file(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0, "third, same fd");
	r = map_file(NULL, 8, PROT_READ | PROT_WRITE, MAP_PRIVATE, f->fd, 0, "private");
	check(p != q && q != r && r != s && p != s, "four mappings, four addresses");
	map_check("first", p, f, 0, 8);
	map_check("second", q, f, 0, 8);
	map_check("private", r, f, 0, 8);
	map_put(p, f, 0, 3, 2);
	map_check("the second sees the first's write at once", q + 3 * PAGE, f, 3, 1);
	map_check("so does the third", s + 3 * PAGE, f, 3, 1);
	map_check("so does the private one", r + 3 * PAGE, f, 3, 1);
	map_put(q, f, 0, 5, 3);
	map_check("the first sees the second's write at once", p + 5 * PAGE, f, 5, 1);
	fill_page(r + 3 * PAGE, page_key(f->seed, 4, 3));	/* private copy */
	map_check("the first does not see the private write", p + 3 * PAGE, f, 3, 1);
	check(page_bad(r + 3 * PAGE, page_key(f->seed, 4, 3)) < 0, "the private write stays");
	map_put(p, f, 0, 6, 5);
	map_check("the private one sees a write to a page it never wrote", r + 6 * PAGE, f, 6, 1);
	map_put(p, f, 0, 3, 6);
	check(page_bad(r + 3 * PAGE, page_key(f->seed, 4, 3)) < 0,
	      "the private copy keeps its data when the file's page changes");
	unmap(r, 8, "private");
	unmap(s, 8, "third");
	unmap(q, 8, "second");
	map_check("the first, alone", p, f, 0, 8);
	unmap(p, 8, "first");
	close(fd2);
	file_check("the file", f, 0, 8);
	file_free(f);
	return 0;
}

/* ---- mmap-dontneed, mmap-many ------------------------------------------- */

/* MADV_DONTNEED on a file mapping: a shared one drops only its PTEs (the
 * writes stay in the page cache and still reach the file: a dirty PTE
 * zapped dirties its page); a private one drops its copies, and the
 * pages read the file again. */
static int t_dontneed(int argc, char **argv)
{
	struct file *f = make_file("a", 8 * PAGE, 231, 1);
	char *p, *q;
	size_t i;
	int r;

	(void)argc, (void)argv;
	p = map_file(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0, "MAP_SHARED");
	for (i = 0; i < 8; i++)
		map_put(p, f, 0, i, 2);
	r = native ? madvise(p, 8 * PAGE, MADV_DONTNEED) : vm_madvise(p, 8 * PAGE, MADV_DONTNEED);
	check(r == 0, "MADV_DONTNEED on a dirty MAP_SHARED mapping: %d", r);
	map_check("the writes are still there", p, f, 0, 8);
	unmap(p, 8, "MAP_SHARED");
	file_check("and reach the file at munmap", f, 0, 8);

	p = map_file(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0, "MAP_SHARED again");
	for (i = 0; i < 4; i++)
		map_put(p, f, 0, i, 3);
	r = native ? madvise(p, 4 * PAGE, MADV_DONTNEED) : vm_madvise(p, 4 * PAGE, MADV_DONTNEED);
	check(r == 0, "MADV_DONTNEED again: %d", r);
	sync_map(p, 8, MS_SYNC, "after MADV_DONTNEED");
	file_check("the writes reach the file at msync", f, 0, 8);
	unmap(p, 8, "MAP_SHARED again");

	q = map_file(NULL, 8, PROT_READ | PROT_WRITE, MAP_PRIVATE, f->fd, 0, "MAP_PRIVATE");
	for (i = 0; i < 8; i++)
		fill_page(q + i * PAGE, page_key(f->seed, 9, i));
	r = native ? madvise(q, 8 * PAGE, MADV_DONTNEED) : vm_madvise(q, 8 * PAGE, MADV_DONTNEED);
	check(r == 0, "MADV_DONTNEED on a written MAP_PRIVATE mapping: %d", r);
	map_check("the private copies are gone: the file's pages again", q, f, 0, 8);
	unmap(q, 8, "MAP_PRIVATE");
	file_check("the file", f, 0, 8);
	file_free(f);
	return 0;
}

/* mmap-many [N]: a child maps N files (300) of two pages, writes one
 * page of each and closes each descriptor; it unmaps every other file
 * and exits with the rest mapped; the parent then finds every write in
 * the files. The machine holds them all open meanwhile. */
static int t_many(int argc, char **argv)
{
	long n = arg_num(argc, argv, 3, 1, 5000, 300, "N"), i, bad = 0;
	struct file **f = calloc((size_t)n, sizeof(*f));
	char **p = calloc((size_t)n, sizeof(*p));
	char name[32];
	pid_t pid;

	if (!f || !p)
		die("calloc");
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "m%ld", i);
		f[i] = make_file(name, 2 * PAGE, 300 + (uint64_t)i, 1);
		file_close(f[i]);
	}
	pid = xfork("child");
	if (pid == 0) {
		for (i = 0; i < n; i++) {
			int fd = open_file(f[i], O_RDWR);

			p[i] = map_file(NULL, 2, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0, f[i]->path);
			close(fd);
			map_put(p[i], f[i], 0, (size_t)i % 2, 2);
		}
		quiet = 1;
		for (i = 0; i < n && !failures; i++)
			map_check("each file", p[i], f[i], 0, 2);
		quiet = 0;
		for (i = 0; i < n; i += 2)
			unmap(p[i], 2, "every other file");
		check(!failures, "%ld files mapped and written, every other one unmapped; leaving "
		      "with the rest mapped", n);
		leave();
	}
	expect_exit0(pid, "the child");
	quiet = 1;
	for (i = 0; i < n; i++) {
		int before = failures;

		f[i]->exp[i % 2] = 2;
		f[i]->fd = open_file(f[i], O_RDONLY);
		if (bad < 3)			/* the first few bad files are named */
			file_check(i % 2 ? "a file mapped at the child's exit" : "a file it unmapped",
				   f[i], 0, 2);
		bad += failures > before;
		file_free(f[i]);
	}
	quiet = 0;
	check(!bad, "the parent found the child's writes in all %ld files (%ld of the first "
	      "checked were not)", n, bad);
	free(f);
	free(p);
	return 0;
}

/* ---- mmap-reopen, mmap-truncate ---------------------------------------- */

/* What the host's write() put in the file shows in the next mapping made
 * after every mapping of it went (Linux shows it at once; the machine's
 * cache at the next mmap, close-to-open), and so does a size grown or
 * shrunk by ftruncate. */
static int t_reopen(int argc, char **argv)
{
	struct file *f = make_file("a", 8 * PAGE, 241, 1);
	char *p;
	size_t i;

	(void)argc, (void)argv;
	p = map_file(NULL, 8, PROT_READ, MAP_SHARED, f->fd, 0, "first");
	map_check("first", p, f, 0, 8);
	unmap(p, 8, "first");
	for (i = 0; i < 8; i += 3)
		file_put(f, i, 2, PAGE);
	p = map_file(NULL, 8, PROT_READ, MAP_SHARED, f->fd, 0, "after pwrite");
	map_check("pages the host's pwrite changed, in a new mapping", p, f, 0, 8);
	unmap(p, 8, "after pwrite");

	if (ftruncate(f->fd, 12 * PAGE) < 0)
		die("ftruncate");
	f->size = 12 * PAGE;
	f->npages = 12;
	f->exp = realloc(f->exp, 13 * sizeof(*f->exp));
	if (!f->exp)
		die("realloc");
	for (i = 8; i < 12; i++)
		f->exp[i] = 0;
	file_put(f, 10, 3, PAGE);
	p = map_file(NULL, 12, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0, "grown to 12 pages");
	map_check("the file grown by ftruncate and pwrite", p, f, 0, 12);
	map_put(p, f, 0, 11, 4);
	unmap(p, 12, "grown");
	file_check("the write to the grown part", f, 0, 12);

	if (ftruncate(f->fd, 3 * PAGE) < 0)
		die("ftruncate");
	f->size = 3 * PAGE;
	f->npages = 3;
	p = map_file(NULL, 8, PROT_READ, MAP_SHARED, f->fd, 0, "shrunk to 3 pages");
	map_check("the file shrunk to 3 pages", p, f, 0, 3);
	expect_death(SIGBUS, touch_read, p + 5 * PAGE, "a read of page 5, cut off");
	unmap(p, 8, "shrunk");
	file_free(f);
	return 0;
}

/* mmap-truncate DIR [nosigbus]: the file cut short by the host while a
 * dirty shared mapping of it lives: the pages past the new end are not
 * written back (the file does not grow again) and touching them is
 * SIGBUS, as on Linux. With nosigbus that touch is not tried: the
 * machine sees a change made behind its cache at the next mmap only
 * (include/vm/fs.h, coherence with the host). */
static int t_truncate(int argc, char **argv)
{
	struct file *f = make_file("a", 8 * PAGE, 251, 1);
	int sigbus = !(argc > 3 && !strcmp(argv[3], "nosigbus"));
	char *p;
	size_t i;

	p = map_file(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0, "8 pages");
	for (i = 0; i < 8; i++)
		map_put(p, f, 0, i, 2);
	if (ftruncate(f->fd, 2 * PAGE) < 0)
		die("ftruncate");
	f->size = 2 * PAGE;
	f->npages = 2;
	if (sigbus)
		expect_death(SIGBUS, touch_read, p + 5 * PAGE, "a read of page 5, cut off while "
			     "mapped");
	sync_map(p, 2, MS_SYNC, "the pages left");
	unmap(p, 8, "8 pages");
	check(file_stat(f).st_size == 2 * PAGE, "the file stays 2 pages long (%lld bytes)",
	      (long long)file_stat(f).st_size);
	file_check("its pages", f, 0, 2);
	file_free(f);
	return 0;
}

/* mmap-churn [N]: N times (200): a new file of 4 pages, mapped shared,
 * read, one page written, unmapped, checked, removed. With several guests
 * and a flusher that wakes often (--dirty-expire 10) it races the
 * machine's taking hold of new files against the flusher's sweep of
 * files nothing uses. */
static uint64_t churn_seed(long guest, long k)
{
	return ((uint64_t)guest << 20) + 400 + (uint64_t)k;
}

static int t_churn(int argc, char **argv)
{
	long n = arg_num(argc, argv, 3, 1, 100000, 200, "N"), i, me = x_getpid();
	char name[32];
	size_t j;

	quiet = 1;
	for (i = 0; i < n && !failures; i++) {
		struct file *f;
		char *p;

		snprintf(name, sizeof(name), "c%ld", i);
		f = make_file(name, 4 * PAGE, churn_seed(me, i), 1);
		p = map_file(NULL, 4, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0, name);
		for (j = 0; j < 4; j++) {
			uint64_t w0 = *(uint64_t *)(p + j * PAGE);
			long g = 0, k = 0;
			uint32_t r = 0;

			if (w0 == word_of(page_key(f->seed, 1, j), 0))
				continue;
			/* whose data is it? a file of this guest's or another's
			 * (guests 1-8 under vmrun) */
			for (g = native ? me : 1; g <= (native ? me : 8); g++)
				for (k = 0; k < n; k++)
					for (r = 1; r <= 2; r++)
						if (w0 == word_of(page_key(churn_seed(g, k), r, j), 0))
							goto found;
			continue;		/* map_check names it */
found:
			check(0, "file %ld (inode %llu), page %zu, holds page %zu of %s's file %ld "
			      "(%s): a page cache of another file", i,
			      (unsigned long long)file_stat(f).st_ino, j, j,
			      g == me ? "this guest" : "another guest", k,
			      r == 1 ? "as made" : "as written");
		}
		map_check("a new file", p, f, 0, 4);
		map_put(p, f, 0, (size_t)i % 4, 2);
		unmap(p, 4, name);
		file_check("after munmap", f, 0, 4);
		file_free(f);
	}
	quiet = 0;
	check(!failures, "%ld files made, mapped, written, unmapped, checked", i);
	return 0;
}

/* ---- mmap-exit ---------------------------------------------------------- */

/* A child maps the file, writes and exits without munmap or msync: the
 * parent then reads its writes with read(); a private child's writes do
 * not reach the file; a mapping inherited at fork is shared with the
 * parent; a child killed by SIGKILL after its writes loses none. */
static int t_exit(int argc, char **argv)
{
	struct file *f = make_file("a", 16 * PAGE, 71, 1);
	pid_t pid;
	char *p;
	size_t i;
	int status;

	(void)argc, (void)argv;
	pid = xfork("child");
	if (pid == 0) {
		int fd = open_file(f, O_RDWR);
		char *c = map_file(NULL, 16, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0, "child");

		for (i = 0; i < 16; i++)
			map_put(c, f, 0, i, 2);
		leave();		/* no munmap, no msync, no close */
	}
	expect_exit0(pid, "a child wrote 16 pages and exited");
	for (i = 0; i < 16; i++)
		f->exp[i] = 2;
	file_check("the child's writes, read() after its exit", f, 0, 16);

	pid = xfork("child");
	if (pid == 0) {
		int fd = open_file(f, O_RDONLY);
		char *c = map_file(NULL, 16, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0, "child");

		for (i = 0; i < 16; i++)
			fill_page(c + i * PAGE, page_key(f->seed, 3, i));
		leave();
	}
	expect_exit0(pid, "a child wrote 16 private pages and exited");
	file_check("a private child's writes do not reach the file", f, 0, 16);

	p = map_file(NULL, 16, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0, "the parent's");
	map_check("the parent's mapping", p, f, 0, 16);
	pid = xfork("child");
	if (pid == 0) {
		map_put(p, f, 0, 0, 4);
		leave();
	}
	expect_exit0(pid, "a child wrote page 0 of the inherited mapping");
	f->exp[0] = 4;
	map_check("the parent sees it", p, f, 0, 16);
	file_check("the file has it", f, 0, 16);

	pid = xfork("child");
	if (pid == 0) {
		map_put(p, f, 0, 1, 5);
		raise(SIGKILL);
		leave();
	}
	status = reap(pid);
	check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "a child wrote page 1 and killed "
	      "itself: %s", describe(status));
	f->exp[1] = 5;
	map_check("the parent sees the killed child's write", p, f, 0, 16);
	unmap(p, 16, "the parent's");
	file_check("the file has it after the parent's munmap", f, 0, 16);
	file_free(f);
	return 0;
}

/* exit-main: map, write, and return from main (or vm_exit) without
 * munmap: the caller checks the file afterwards (mode verify). The file
 * is DIR/exit-main.dat, 16 pages, seed 81, round 2; left in place. */
static int t_exit_main(int argc, char **argv)
{
	struct file *f = make_file("x", 16 * PAGE, 81, 1);
	char path[256];
	char *p;
	size_t i;

	(void)argv;
	snprintf(path, sizeof(path), "%s/exit-main.dat", dir);
	if (rename(f->path, path) < 0)
		die("rename");
	p = map_file(NULL, 16, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0, "exit-main");
	close(f->fd);
	for (i = 0; i < 16; i++)
		map_put(p, f, 0, i, 2);
	check(1, "16 pages written to %s; leaving by %s without munmap", path,
	      argc > 3 ? "vm_exit" : "return from main");
	fflush(stdout);
	if (argc > 3)
		x_exit(0);
	return 0;
}

/* verify PATH SEED ROUND NPAGES: the file holds round ROUND everywhere. */
static int t_verify(int argc, char **argv)
{
	struct file f = { .fd = -1 };
	size_t i;

	if (argc < 6) {
		fprintf(stderr, "usage: mmapf verify PATH SEED ROUND NPAGES\n");
		exit(2);
	}
	snprintf(f.path, sizeof(f.path), "%s", argv[2]);
	f.seed = (uint64_t)arg_num(argc, argv, 3, 0, 1L << 30, 0, "SEED");
	f.npages = (size_t)arg_num(argc, argv, 5, 1, 1L << 30, 0, "NPAGES");
	f.size = (off_t)f.npages * PAGE;
	f.exp = calloc(f.npages, sizeof(*f.exp));
	if (!f.exp)
		die("calloc");
	for (i = 0; i < f.npages; i++)
		f.exp[i] = (uint32_t)arg_num(argc, argv, 4, 0, 1000, 0, "ROUND");
	f.fd = open(f.path, O_RDONLY);
	if (f.fd < 0)
		die(f.path);
	file_check(f.path, &f, 0, f.npages);
	return 0;
}

/* ---- mmap-shuffle ------------------------------------------------------- */

/* A file of SIZE_MB mapped MAP_SHARED, every page written in random
 * order, then exchanges of random pages' contents with a shadow of where
 * each page's data went; checked in the mapping, in the file after
 * msync, and through a new mapping. Larger than RAM, it makes reclaim
 * write dirty file pages back. */
static int t_shuffle(int argc, char **argv)
{
	long mib = arg_num(argc, argv, 3, 1, 1024, 8, "SIZE_MB");
	size_t n = (size_t)mib * (MiB / PAGE), i;
	long swaps = arg_num(argc, argv, 4, 0, 100000000, (long)n, "SWAPS"), s;
	struct file *f = make_file("a", (off_t)n * PAGE, 91, 0);
	uint32_t *order = malloc(n * sizeof(*order)), *shadow = malloc(n * sizeof(*shadow));
	uint64_t rs = 12345;
	static uint64_t tmp[WORDS];
	char *p;

	if (!order || !shadow)
		die("malloc");
	for (i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	for (i = n - 1; i > 0; i--) {
		size_t j = rnd(&rs) % (i + 1);
		uint32_t t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	p = map_file(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0, "the file");
	for (i = 0; i < n; i++) {
		map_put(p, f, 0, order[i], 1);
		shadow[i] = (uint32_t)i;
	}
	map_check("written in random order", p, f, 0, n);
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
		int w = page_bad(p + i * PAGE, page_key(f->seed, 1, shadow[i]));

		if (w >= 0) {
			check(0, "after %ld exchanges page %zu should hold page %u's data; word %d is "
			      "%#llx (pagemap %#llx)", swaps, i, shadow[i], w,
			      (unsigned long long)((uint64_t *)(p + i * PAGE))[w],
			      (unsigned long long)x_entry(p + i * PAGE));
			break;
		}
	}
	if (i == n)
		check(1, "%zu pages, %ld exchanges: every page where the shadow says", n, swaps);
	sync_map(p, n, MS_SYNC, "after the exchanges");
	for (i = 0; i < n; i++) {
		if (pread(f->fd, buf, PAGE, (off_t)i * PAGE) != PAGE ||
		    page_bad(buf, page_key(f->seed, 1, shadow[i])) >= 0) {
			check(0, "the file's page %zu does not hold page %u's data after msync", i,
			      shadow[i]);
			break;
		}
	}
	if (i == n)
		check(1, "the file holds every page where the shadow says after msync");
	unmap(p, n, "the file");
	p = map_file(NULL, n, PROT_READ, MAP_SHARED, f->fd, 0, "a new mapping");
	for (i = 0; i < n; i++) {
		if (page_bad(p + i * PAGE, page_key(f->seed, 1, shadow[i])) >= 0) {
			check(0, "a new mapping's page %zu does not hold page %u's data", i,
			      shadow[i]);
			break;
		}
	}
	if (i == n)
		check(1, "a new mapping shows every page where the shadow says");
	unmap(p, n, "the new mapping");
	free(order);
	free(shadow);
	file_free(f);
	return 0;
}

/* ---- mmap-clean --------------------------------------------------------- */

/* Mappings only read (a writable MAP_SHARED one too, with an msync), and
 * a MAP_PRIVATE one written: the file's mtime, ctime, size and contents
 * stay as they were: clean pages are never written back. */
static int t_clean(int argc, char **argv)
{
	struct file *f = make_file("a", 16 * PAGE + 300, 101, 1);
	struct stat st0, st1;
	char *p;
	size_t i;
	volatile uint64_t sum = 0;

	(void)argc, (void)argv;
	set_past_mtime(f);
	st0 = file_stat(f);
	p = map_file(NULL, 17, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0, "MAP_SHARED rw");
	for (i = 0; i < 17; i++)
		sum += ((uint64_t *)(p + i * PAGE))[7];
	map_check("read through a writable mapping", p, f, 0, 17);
	sync_map(p, 17, MS_SYNC, "nothing written");
	unmap(p, 17, "MAP_SHARED rw");
	p = map_file(NULL, 17, PROT_READ, MAP_SHARED, f->fd, 0, "MAP_SHARED ro");
	map_check("read through a read-only mapping", p, f, 0, 17);
	unmap(p, 17, "MAP_SHARED ro");
	p = map_file(NULL, 17, PROT_READ | PROT_WRITE, MAP_PRIVATE, f->fd, 0, "MAP_PRIVATE");
	for (i = 0; i < 17; i++)
		memset(p + i * PAGE, 0xee, PAGE);
	unmap(p, 17, "MAP_PRIVATE");
	file_close(f);
	st1 = file_stat(f);
	check(st1.st_mtim.tv_sec == st0.st_mtim.tv_sec && st1.st_mtim.tv_nsec == st0.st_mtim.tv_nsec,
	      "the mtime is unchanged (%lld.%09ld, was %lld.%09ld)", (long long)st1.st_mtim.tv_sec,
	      st1.st_mtim.tv_nsec, (long long)st0.st_mtim.tv_sec, st0.st_mtim.tv_nsec);
	check(st1.st_ctim.tv_sec == st0.st_ctim.tv_sec && st1.st_ctim.tv_nsec == st0.st_ctim.tv_nsec,
	      "the ctime is unchanged");
	check(st1.st_size == st0.st_size, "the size is unchanged");
	f->fd = open_file(f, O_RDONLY);
	file_check("the contents are unchanged", f, 0, f->npages);
	file_free(f);
	return 0;
}

/* ---- mmap-remove -------------------------------------------------------- */

/* The file removed while mapped: the mapping reads and writes on, msync
 * and munmap succeed, a descriptor still open sees the writes; a new file
 * made at the same path shows its own data, not the old one's. */
static int t_remove(int argc, char **argv)
{
	struct file *f = make_file("a", 8 * PAGE, 111, 1), *g;
	int fd = open_file(f, O_RDWR);
	char *p;
	size_t i;

	(void)argc, (void)argv;
	p = map_file(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0, "before the unlink");
	close(fd);
	check(unlink(f->path) == 0, "the file is removed while mapped");
	map_check("reads after the unlink", p, f, 0, 8);
	for (i = 0; i < 8; i++)
		map_put(p, f, 0, i, 2);
	map_check("writes after the unlink", p, f, 0, 8);
	sync_map(p, 8, MS_SYNC, "the removed file");
	file_check("a descriptor opened before the unlink sees the writes after msync", f, 0, 8);
	map_put(p, f, 0, 4, 3);
	unmap(p, 8, "the removed file");
	file_check("and after munmap", f, 0, 8);

	/* dirty when removed, then unmapped: written to the removed file */
	p = map_file(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0, "by the open fd");
	map_put(p, f, 0, 6, 4);
	unmap(p, 8, "by the open fd");
	file_check("a removed file mapped again by its open descriptor", f, 0, 8);

	/* the same path, a new file: its own contents */
	g = make_file("a", 8 * PAGE, 112, 1);
	p = map_file(NULL, 8, PROT_READ, MAP_SHARED, g->fd, 0, "the new file at the same path");
	map_check("the new file at the same path", p, g, 0, 8);
	unmap(p, 8, "the new file");
	file_free(g);
	file_close(f);
	free(f->exp);
	free(f);
	return 0;
}

/* ---- mmap-off ----------------------------------------------------------- */

/* Nonzero offsets: a mapping shows the pages from its offset; two
 * overlapping windows on the file share pages; an unaligned offset is
 * EINVAL; an offset at or past the end maps but touching it is SIGBUS;
 * an offset past 4 GiB reaches that part of a sparse file. */
static int t_off(int argc, char **argv)
{
	struct file *f = make_file("a", 16 * PAGE, 121, 1), *g;
	char *p, *q, *r;

	(void)argc, (void)argv;
	p = map_file(NULL, 4, PROT_READ, MAP_SHARED, f->fd, 5, "pages 5-8");
	map_check("offset 5 pages", p, f, 5, 4);
	q = map_file(NULL, 6, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 3, "pages 3-8");
	map_check("offset 3 pages", q, f, 3, 6);
	map_put(q, f, 3, 3, 2);		/* file page 6 */
	map_check("the other window shows the write to file page 6", p, f, 5, 4);
	r = map_file(NULL, 1, PROT_READ, MAP_PRIVATE, f->fd, 15, "the last page");
	map_check("offset 15 pages, MAP_PRIVATE", r, f, 15, 1);
	unmap(r, 1, "the last page");
	expect_map_fail(NULL, PAGE, PROT_READ, MAP_SHARED, f->fd, 4097, EINVAL, "offset 4097");
	expect_map_fail(NULL, PAGE, PROT_READ, MAP_SHARED, f->fd, 2048, EINVAL, "offset 2048");
	r = map_file(NULL, 1, PROT_READ, MAP_SHARED, f->fd, 16, "offset at the end");
	expect_death(SIGBUS, touch_read, r, "a read at the end of the file");
	unmap(r, 1, "offset at the end");
	r = map_file(NULL, 2, PROT_READ, MAP_SHARED, f->fd, 100, "offset past the end");
	expect_death(SIGBUS, touch_read, r + PAGE, "a read past the end of the file");
	unmap(r, 2, "offset past the end");
	unmap(p, 4, "pages 5-8");
	unmap(q, 6, "pages 3-8");
	file_check("the file", f, 0, 16);

	/* 4 GiB + 2 pages, sparse: page 2^20 + 1 written */
	g = make_file("big", (off_t)(1ULL << 32) + 2 * PAGE, 122, 0);
	file_put(g, (1u << 20) + 1, 1, PAGE);
	file_put(g, 1, 7, PAGE);
	r = map_file(NULL, 2, PROT_READ | PROT_WRITE, MAP_SHARED, g->fd, 1u << 20,
		     "offset 4 GiB");
	map_check("offset 4 GiB", r, g, 1u << 20, 2);
	map_put(r, g, 1u << 20, 0, 2);
	unmap(r, 2, "offset 4 GiB");
	file_check("the file past 4 GiB", g, 1u << 20, (1u << 20) + 2);
	file_check("and its first pages", g, 0, 2);
	file_free(g);
	file_free(f);
	return 0;
}

/* ---- mmap-ro ------------------------------------------------------------ */

/* A write to a PROT_READ mapping is SIGSEGV, shared or private; a
 * private writable mapping of an O_RDONLY file is fine and stays
 * private; mprotect cannot make a shared mapping of an O_RDONLY file
 * writable, but can one of an O_RDWR file. */
static int t_ro(int argc, char **argv)
{
	struct file *f = make_file("a", 4 * PAGE, 131, 1);
	int ro = open_file(f, O_RDONLY), r;
	char *p;

	(void)argc, (void)argv;
	p = map_file(NULL, 4, PROT_READ, MAP_SHARED, f->fd, 0, "MAP_SHARED PROT_READ");
	map_check("read", p, f, 0, 4);
	expect_death(SIGSEGV, touch_write, p, "a write to a MAP_SHARED PROT_READ page");
	expect_death(SIGSEGV, touch_write, p + 3 * PAGE, "a write to one never read");
	unmap(p, 4, "MAP_SHARED PROT_READ");
	p = map_file(NULL, 4, PROT_READ, MAP_PRIVATE, f->fd, 0, "MAP_PRIVATE PROT_READ");
	expect_death(SIGSEGV, touch_write, p + PAGE, "a write to a MAP_PRIVATE PROT_READ page");
	unmap(p, 4, "MAP_PRIVATE PROT_READ");

	p = map_file(NULL, 4, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0, "MAP_PRIVATE rw, O_RDONLY");
	fill_page(p, page_key(f->seed, 2, 0));
	check(page_bad(p, page_key(f->seed, 2, 0)) < 0, "a private page of an O_RDONLY file written");
	unmap(p, 4, "MAP_PRIVATE rw, O_RDONLY");
	file_check("the file after the private writes", f, 0, 4);

	p = map_file(NULL, 4, PROT_READ, MAP_SHARED, ro, 0, "MAP_SHARED PROT_READ, O_RDONLY");
	errno = 0;
	r = x_mprotect(p, 4 * PAGE, PROT_READ | PROT_WRITE);
	check(r < 0 && errno == EACCES, "mprotect(PROT_WRITE) on MAP_SHARED of an O_RDONLY file: "
	      "%d (%s), want EACCES", r, strerror(errno));
	expect_death(SIGSEGV, touch_write, p, "a write after it");
	unmap(p, 4, "MAP_SHARED PROT_READ, O_RDONLY");

	p = map_file(NULL, 4, PROT_READ, MAP_SHARED, f->fd, 0, "MAP_SHARED PROT_READ, O_RDWR");
	map_check("before mprotect", p, f, 0, 4);
	r = x_mprotect(p, 4 * PAGE, PROT_READ | PROT_WRITE);
	check(r == 0, "mprotect(PROT_WRITE) on MAP_SHARED of an O_RDWR file: %d", r);
	map_put(p, f, 0, 2, 3);
	r = x_mprotect(p, 4 * PAGE, PROT_READ);
	check(r == 0, "mprotect(PROT_READ) again: %d", r);
	expect_death(SIGSEGV, touch_write, p + 2 * PAGE, "a write after mprotect(PROT_READ)");
	map_check("the mapping", p, f, 0, 4);
	unmap(p, 4, "MAP_SHARED, mprotected");
	file_check("the write made while writable reached the file", f, 0, 4);
	close(ro);
	file_free(f);
	return 0;
}

/* ---- mmap-bad-fd -------------------------------------------------------- */

static int t_bad_fd(int argc, char **argv)
{
	struct file *f = make_file("a", 4 * PAGE, 141, 1);
	int ro = open_file(f, O_RDONLY), wo = open_file(f, O_WRONLY), ap = open_file(f, O_RDWR | O_APPEND);
	int closed, pfd[2], dfd;
	const size_t len = 4 * PAGE;
	const int rw = PROT_READ | PROT_WRITE;
	char *p;

	(void)argc, (void)argv;
	xpipe(pfd);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		die(dir);
	closed = open_file(f, O_RDWR);	/* the last opened: its number stays free */
	close(closed);
	expect_map_fail(NULL, len, PROT_READ, MAP_SHARED, closed, 0, EBADF, "a closed descriptor");
	expect_map_fail(NULL, len, PROT_READ, MAP_SHARED, -1, 0, EBADF, "fd -1, MAP_SHARED");
	expect_map_fail(NULL, len, PROT_READ, MAP_PRIVATE, -1, 0, EBADF, "fd -1, MAP_PRIVATE");
	expect_map_fail(NULL, len, PROT_READ, MAP_SHARED, 100000, 0, EBADF, "fd 100000");
	expect_map_fail(NULL, len, PROT_READ, MAP_SHARED, wo, 0, EACCES, "O_WRONLY, MAP_SHARED read");
	expect_map_fail(NULL, len, PROT_READ, MAP_PRIVATE, wo, 0, EACCES,
			"O_WRONLY, MAP_PRIVATE read");
	expect_map_fail(NULL, len, rw, MAP_SHARED, wo, 0, EACCES, "O_WRONLY, MAP_SHARED rw");
	expect_map_fail(NULL, len, rw, MAP_SHARED, ro, 0, EACCES, "O_RDONLY, MAP_SHARED rw");
	expect_map_fail(NULL, len, PROT_READ, MAP_SHARED, pfd[0], 0, ENODEV, "a pipe");
	/* not readable: Linux checks that before the file type */
	expect_map_fail(NULL, len, PROT_READ, MAP_PRIVATE, pfd[1], 0, EACCES,
			"a pipe's write end, MAP_PRIVATE");
	expect_map_fail(NULL, len, PROT_READ, MAP_SHARED, dfd, 0, ENODEV, "a directory");
	expect_map_fail(NULL, 0, PROT_READ, MAP_SHARED, f->fd, 0, EINVAL, "length 0");
	expect_map_fail(NULL, len, PROT_READ, MAP_SHARED, f->fd, 100, EINVAL, "offset 100");
	expect_map_fail(NULL, len, PROT_READ, 0, f->fd, 0, EINVAL, "neither shared nor private");

	p = x_mmap(NULL, len, rw, MAP_PRIVATE, ro, 0);
	check(p != MAP_FAILED, "O_RDONLY, MAP_PRIVATE rw: %s", p == MAP_FAILED ? strerror(errno) : "ok");
	if (p != MAP_FAILED)
		unmap(p, 4, "O_RDONLY, MAP_PRIVATE rw");
	/* O_APPEND limits write(), not a mapping (EACCES is for an
	 * append-only inode, chattr +a) */
	p = x_mmap(NULL, len, rw, MAP_SHARED, ap, 0);
	check(p != MAP_FAILED, "O_RDWR | O_APPEND, MAP_SHARED rw: %s",
	      p == MAP_FAILED ? strerror(errno) : "ok");
	if (p != MAP_FAILED) {
		map_check("O_RDWR | O_APPEND, MAP_SHARED rw", p, f, 0, 4);
		map_put(p, f, 0, 3, 2);
		unmap(p, 4, "O_APPEND");
	}
	close(pfd[0]);
	close(pfd[1]);
	close(dfd);
	close(ro);
	close(wo);
	close(ap);
	file_check("the file", f, 0, 4);
	file_free(f);
	return 0;
}

/* ---- mmap-zero, mmap-eof ------------------------------------------------ */

/* An empty file maps; any touch is SIGBUS (shared or private, read or
 * write); it stays empty. */
static int t_zero(int argc, char **argv)
{
	struct file *f = make_file("a", 0, 151, 0);
	char *p, *q;

	(void)argc, (void)argv;
	p = map_file(NULL, 1, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0, "an empty file");
	check(1, "an empty file maps");
	expect_death(SIGBUS, touch_read, p, "a read of it");
	expect_death(SIGBUS, touch_write, p, "a write to it");
	q = map_file(NULL, 2, PROT_READ | PROT_WRITE, MAP_PRIVATE, f->fd, 0, "MAP_PRIVATE");
	expect_death(SIGBUS, touch_read, q + PAGE, "a read of MAP_PRIVATE");
	expect_death(SIGBUS, touch_write, q, "a write to MAP_PRIVATE");
	unmap(p, 1, "the empty file");
	unmap(q, 2, "MAP_PRIVATE");
	expect_map_fail(NULL, 0, PROT_READ, MAP_SHARED, f->fd, 0, EINVAL, "length 0");
	check(file_stat(f).st_size == 0, "the file is still empty");
	file_free(f);
	return 0;
}

/* A file of a page and 100 bytes, mapped 4 pages: page 1 is its data and
 * then zeroes; pages 2 and 3 are SIGBUS, shared or private. */
static int t_eof(int argc, char **argv)
{
	struct file *f = make_file("a", PAGE + 100, 161, 1);
	char *p, *q;

	(void)argc, (void)argv;
	p = map_file(NULL, 4, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0, "MAP_SHARED");
	map_check("the pages with the file", p, f, 0, 2);
	expect_death(SIGBUS, touch_read, p + 2 * PAGE, "a read of page 2, past the end");
	expect_death(SIGBUS, touch_write, p + 3 * PAGE + 5, "a write to page 3");
	q = map_file(NULL, 4, PROT_READ | PROT_WRITE, MAP_PRIVATE, f->fd, 0, "MAP_PRIVATE");
	map_check("MAP_PRIVATE", q, f, 0, 2);
	expect_death(SIGBUS, touch_read, q + 2 * PAGE, "MAP_PRIVATE: a read of page 2");
	expect_death(SIGBUS, touch_write, q + 3 * PAGE, "MAP_PRIVATE: a write to page 3");
	unmap(p, 4, "MAP_SHARED");
	unmap(q, 4, "MAP_PRIVATE");
	check(file_stat(f).st_size == PAGE + 100, "the size is unchanged");
	file_free(f);
	return 0;
}

/* sigbus, segv: the guest itself dies (vmrun exits 135, 139). */
static int t_sigbus(int argc, char **argv)
{
	struct file *f = make_file("a", PAGE + 10, 171, 1);
	char *p = map_file(NULL, 3, PROT_READ, MAP_SHARED, f->fd, 0, "3 pages");

	(void)argc, (void)argv;
	map_check("page 0", p, f, 0, 1);
	unlink(f->path);
	fflush(stdout);
	touch_read(p + 2 * PAGE);
	check(0, "a read of page 2, past the end of the file, did not kill");
	return 1;
}

static int t_segv(int argc, char **argv)
{
	struct file *f = make_file("a", 2 * PAGE, 172, 1);
	char *p = map_file(NULL, 2, PROT_READ, MAP_SHARED, f->fd, 0, "2 pages");

	(void)argc, (void)argv;
	map_check("mapped", p, f, 0, 2);
	unmap(p, 2, "2 pages");
	unlink(f->path);
	fflush(stdout);
	touch_read(p + PAGE);
	check(0, "a read after munmap did not kill");
	return 1;
}

/* ---- lazy-file ---------------------------------------------------------- */

#define LAZY_TOUCHES	8

/* Pages of [p, p + n) that are present; that hold swap entries. */
static void residency(const char *p, size_t n, size_t *present, size_t *swapped)
{
	size_t i;

	*present = *swapped = 0;
	for (i = 0; i < n; i++) {
		uint64_t e = x_entry(p + i * PAGE);

		*present += !!(e & PM_PRESENT);
		*swapped += !!(e & PM_SWAP);
	}
}

/* A big file mapped: mmap reads nothing; a few touches, far apart, map
 * only around themselves (at most the fault-around window each: Linux's
 * 16 pages natively, the machine's fault_around_pages under vmrun; the
 * pages present in pagemap, and under vmrun the rss, grow by no more;
 * the pages halfway between stay absent) and read the file (majflt: one
 * per touch under vmrun; the host's readahead may read the whole file at
 * the first); reading it all makes it all present. */
static int t_lazy(int argc, char **argv)
{
	long mib = arg_num(argc, argv, 3, 1, 1024, 16, "SIZE_MB");
	size_t n = (size_t)mib * (MiB / PAGE), step = n / LAZY_TOUCHES, i, pres, sw;
	struct file *f = make_file("a", (off_t)n * PAGE, 181, 1);
	const size_t around = native ? 16 : vm_kdata->filemap.fault_around_pages;
	const size_t most = (around < 16 ? 16 : around) * LAZY_TOUCHES;
	struct usage u0, u1, u2, u3;
	int major = cold_cache(f), absent = 0;
	uint64_t maj;
	char *p;

	(void)argc;
	if (step / 2 < around)
		fprintf(stderr, "mmapf: lazy-file: %zu pages are too few for touches %zu pages apart "
			"to miss the pages between with a fault-around of %zu\n", n, step, around);
	u0 = x_usage();
	p = map_file(NULL, n, PROT_READ, MAP_SHARED, f->fd, 0, "the file");
	u1 = x_usage();
	residency(p, n, &pres, &sw);
	check(u1.majflt == u0.majflt && pres == 0, "mmap of %zu pages read none: majflt +%llu, "
	      "%zu present", n, (unsigned long long)(u1.majflt - u0.majflt), pres);
	if (!native)
		check(u1.rss <= u0.rss, "and rss +%lld", (long long)(u1.rss - u0.rss));
	for (i = 0; i < LAZY_TOUCHES; i++)
		map_check("a touch", p + i * step * PAGE, f, i * step, 1);
	u2 = x_usage();
	maj = u2.majflt - u1.majflt;
	if (!native)
		check(maj >= LAZY_TOUCHES && maj <= 2 * LAZY_TOUCHES,
		      "%d touches: majflt +%llu, want %d to %d", LAZY_TOUCHES,
		      (unsigned long long)maj, LAZY_TOUCHES, 2 * LAZY_TOUCHES);
	else if (major)
		check(maj >= 1, "%d touches: majflt +%llu, want at least 1 (the host's readahead may "
		      "read the rest with the first)", LAZY_TOUCHES, (unsigned long long)maj);
	else
		note("%d touches: majflt +%llu (the host's tmpfs: no major faults)", LAZY_TOUCHES,
		     (unsigned long long)maj);
	residency(p, n, &pres, &sw);
	check(pres >= LAZY_TOUCHES && pres <= most, "%d touches: %zu of %zu pages present, want "
	      "%d to %zu", LAZY_TOUCHES, pres, n, LAZY_TOUCHES, most);
	if (!native)
		check(u2.rss - u1.rss >= LAZY_TOUCHES && u2.rss - u1.rss <= most,
		      "%d touches: rss +%lld pages, want %d to %zu", LAZY_TOUCHES,
		      (long long)(u2.rss - u1.rss), LAZY_TOUCHES, most);
	for (i = 0; i < LAZY_TOUCHES; i++)
		if (x_entry(p + (i * step + step / 2) * PAGE) & PM_PRESENT)
			absent--;
		else
			absent++;
	check(absent == LAZY_TOUCHES, "the pages halfway between the touches are not present");
	map_check("the whole file", p, f, 0, n);
	u3 = x_usage();
	residency(p, n, &pres, &sw);
	check(pres >= n - n / 16, "read all: %zu of %zu pages present", pres, n);
	if (!native)
		check(u3.rss - u1.rss >= n - n / 16, "read all: rss +%lld pages of %zu",
		      (long long)(u3.rss - u1.rss), n);
	note("read all: majflt +%llu, minflt +%llu", (unsigned long long)(u3.majflt - u2.majflt),
	     (unsigned long long)(u3.minflt - u2.minflt));
	unmap(p, n, "the file");
	file_free(f);
	return 0;
}

/* ---- swap-file ---------------------------------------------------------- */

/* A file mapped MAP_SHARED and read (a quarter of it rewritten), then
 * anonymous memory past RAM written: reclaim takes file pages (written
 * back when dirty, never to swap) along with anonymous ones; the file's
 * pages come back from it right, and the file holds the rewrites. */
static int t_swap_file(int argc, char **argv)
{
	long fmib = arg_num(argc, argv, 3, 1, 1024, 12, "FILE_MB");
	long amib = arg_num(argc, argv, 4, 1, 4096, 48, "ANON_MB");
	size_t n = (size_t)fmib * (MiB / PAGE), an = (size_t)amib * (MiB / PAGE), i, pres, sw;
	struct file *f = make_file("a", (off_t)n * PAGE, 191, 1);
	uint64_t seed = 192;
	struct usage u0, u1;
	char *p, *a;

	p = map_file(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0, "the file");
	map_check("read", p, f, 0, n);
	for (i = 0; i < n / 4; i++)
		map_put(p, f, 0, i, 2);
	a = map_file(NULL, an, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "anon");
	for (i = 0; i < an; i++)
		fill_page(a + i * PAGE, page_key(seed, 1, i));
	residency(p, n, &pres, &sw);
	check(sw == 0, "no page of the shared file mapping holds a swap entry (%zu do)", sw);
	if (!native)
		check(pres < n, "the anonymous pressure evicted file pages: %zu of %zu still present",
		      pres, n);
	else
		note("%zu of %zu file pages present (the host has memory to spare)", pres, n);
	u0 = x_usage();
	map_check("the file's pages after the pressure", p, f, 0, n);
	u1 = x_usage();
	if (!native)
		check(u1.majflt > u0.majflt, "they came back by major faults: majflt +%llu",
		      (unsigned long long)(u1.majflt - u0.majflt));
	for (i = 0; i < an; i++)
		if (page_bad(a + i * PAGE, page_key(seed, 1, i)) >= 0)
			break;
	check(i == an, "the anonymous pages read back (first bad: %zu of %zu)", i, an);
	unmap(a, an, "anon");
	file_check("the file before munmap (dirty pages written back by reclaim, or not yet)", f,
		   n / 4, n);
	unmap(p, n, "the file");
	file_check("the file after munmap", f, 0, n);
	file_free(f);
	return 0;
}

/* ---- share, share-fork -------------------------------------------------- */

#define SHARE_HALF	64		/* data pages each guest owns */
#define SHARE_ROUNDS	40

/* Wait, bounded, until *w >= v: the other guest's word in the shared
 * file. */
static int wait_word(volatile uint64_t *w, uint64_t v)
{
	double end = now() + PIPE_WAIT;
	unsigned spins = 0;

	while (__atomic_load_n(w, __ATOMIC_ACQUIRE) < v) {
		if (++spins % 64 == 0) {
			if (now() > end)
				return -1;
			sched_yield();
		}
	}
	return 0;
}

/* share FILE [ROLE]: two guests (vmrun --guests 2; natively two
 * processes with ROLE 1 and 2) map the same file MAP_SHARED and, round
 * after round, each rewrites its half and checks the other's, the file
 * itself being their only channel (page 0: each one's "wrote" and "read"
 * round). At the end each msyncs and reads the whole file with pread. */
static int t_share(int argc, char **argv)
{
	const size_t n = 1 + 2 * SHARE_HALF;
	long role = arg_num(argc, argv, 3, 1, 2, 0, "ROLE");
	struct file f = { .fd = -1, .npages = n, .size = (off_t)n * PAGE, .seed = 0 };
	volatile uint64_t *ctl;
	uint32_t r;
	size_t me, other, i;
	char *p;

	if (argc < 3) {
		fprintf(stderr, "usage: mmapf share FILE [ROLE]\n");
		exit(2);
	}
	if (!role)
		role = x_getpid();
	if (role != 1 && role != 2) {
		check(0, "share wants guests 1 and 2 (vmrun --guests 2), or ROLE; this is %ld", role);
		return 1;
	}
	snprintf(f.path, sizeof(f.path), "%s", argv[2]);
	f.exp = calloc(n, sizeof(*f.exp));
	f.fd = open(f.path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (f.fd < 0 || !f.exp)
		die(f.path);
	if (ftruncate(f.fd, f.size) < 0)
		die("ftruncate");
	me = (size_t)role - 1;
	other = 1 - me;
	p = map_file(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, f.fd, 0, "the shared file");
	ctl = (volatile uint64_t *)p;	/* [0, 1] wrote, [8, 9] read (a cache line apart) */
	for (r = 1; r <= SHARE_ROUNDS; r++) {
		if (wait_word(&ctl[8 + other], r - 1) < 0) {
			check(0, "round %u: the other guest did not read round %u within %d s", r,
			      r - 1, PIPE_WAIT);
			leave();
		}
		for (i = 0; i < SHARE_HALF; i++) {
			size_t idx = 1 + me * SHARE_HALF + i;

			fill_page(p + idx * PAGE, page_key(me + 1, r, idx));
		}
		__atomic_store_n(&ctl[me], r, __ATOMIC_RELEASE);
		if (wait_word(&ctl[other], r) < 0) {
			check(0, "round %u: the other guest did not write within %d s", r, PIPE_WAIT);
			leave();
		}
		for (i = 0; i < SHARE_HALF; i++) {
			size_t idx = 1 + other * SHARE_HALF + i;
			int w = page_bad(p + idx * PAGE, page_key(other + 1, r, idx));

			if (w >= 0) {
				check(0, "round %u: page %zu of the other guest's half is not its round "
				      "(word %d is %#llx; pagemap %#llx)", r, idx, w,
				      (unsigned long long)((uint64_t *)(p + idx * PAGE))[w],
				      (unsigned long long)x_entry(p + idx * PAGE));
				leave();
			}
		}
		__atomic_store_n(&ctl[8 + me], r, __ATOMIC_RELEASE);
	}
	check(1, "%d rounds: each saw the other's writes of its round at once", SHARE_ROUNDS);
	sync_map(p, n, MS_SYNC, "both halves");
	for (i = 1; i < n; i++) {
		size_t half = (i - 1) / SHARE_HALF;

		if (pread(f.fd, buf, PAGE, (off_t)i * PAGE) != PAGE ||
		    page_bad(buf, page_key(half + 1, SHARE_ROUNDS, i)) >= 0) {
			uint32_t had;

			for (had = 0; had < SHARE_ROUNDS; had++)
				if (page_bad(buf, page_key(half + 1, had, i)) < 0)
					break;
			int good = 0, zero = 0;
			unsigned j;

			for (j = 0; j < WORDS; j++) {
				good += buf[j] == word_of(page_key(half + 1, SHARE_ROUNDS, i), j);
				zero += !buf[j];
			}
			check(0, "after msync the file's page %zu is not guest %zu's last round %d but "
			      "%s %u (%d of its words are, %d zero; first word %s, last %s); the "
			      "mapping's page is %s", i, half + 1, SHARE_ROUNDS,
			      had < SHARE_ROUNDS ? "its round" : "none up to round", had, good, zero,
			      buf[0] == word_of(page_key(half + 1, SHARE_ROUNDS, i), 0) ? "right" : "wrong",
			      buf[WORDS - 1] == word_of(page_key(half + 1, SHARE_ROUNDS, i), WORDS - 1) ?
			      "right" : "wrong",
			      page_bad(p + i * PAGE, page_key(half + 1, SHARE_ROUNDS, i)) < 0 ?
			      "right" : "wrong too");
			break;
		}
	}
	if (i == n)
		check(1, "after msync the file holds both guests' last rounds");
	/* the other may still be reading: leave the mapping to it until then */
	if (wait_word(&ctl[8 + other], SHARE_ROUNDS) < 0)
		check(0, "the other guest did not finish within %d s", PIPE_WAIT);
	unmap(p, n, "the shared file");
	close(f.fd);
	free(f.exp);
	return 0;
}

/* share-fork: a parent and its child; the child maps the file itself and
 * also has the parent's mapping by inheritance; each sees the other's
 * writes at once, through either. A MAP_PRIVATE mapping inherited stays
 * private both ways after the fork. */
static int t_share_fork(int argc, char **argv)
{
	struct file *f = make_file("a", 8 * PAGE, 201, 1);
	int to_child[2], to_parent[2];
	char *p, *pr;
	pid_t pid;

	(void)argc, (void)argv;
	xpipe(to_child);
	xpipe(to_parent);
	p = map_file(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0, "shared");
	pr = map_file(NULL, 8, PROT_READ | PROT_WRITE, MAP_PRIVATE, f->fd, 0, "private");
	map_put(p, f, 0, 7, 2);
	fill_page(pr + 2 * PAGE, page_key(f->seed, 9, 2));	/* the parent's private copy */
	pid = xfork("child");
	if (pid == 0) {
		int fd = open_file(f, O_RDWR);
		char *c = map_file(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0, "child's own");

		map_check("the child's own mapping", c, f, 0, 8);
		map_put(c, f, 0, 0, 3);
		fill_page(pr + 3 * PAGE, page_key(f->seed, 10, 3));
		check(page_bad(pr + 2 * PAGE, page_key(f->seed, 9, 2)) < 0,
		      "the child inherited the parent's private copy");
		put(to_parent[1], 'w');
		get(to_child[0], "the parent's write");
		f->exp[1] = 4;
		map_check("the parent's write, through the child's own mapping", c + PAGE, f, 1, 1);
		map_check("and through the inherited one", p + PAGE, f, 1, 1);
		check(page_bad(pr + 4 * PAGE, page_key(f->seed, 11, 4)) >= 0,
		      "the parent's private write after the fork is not seen");
		unmap(c, 8, "the child's own");
		put(to_parent[1], 'd');
		leave();
	}
	get(to_parent[0], "the child's write");
	f->exp[0] = 3;
	map_check("the child's write, through the parent's mapping", p, f, 0, 1);
	check(page_bad(pr + 3 * PAGE, page_key(f->seed, 10, 3)) >= 0,
	      "the child's private write is not seen");
	map_put(p, f, 0, 1, 4);
	fill_page(pr + 4 * PAGE, page_key(f->seed, 11, 4));
	put(to_child[1], 'p');
	get(to_parent[0], "the child's checks");
	expect_exit0(pid, "the child");
	unmap(p, 8, "shared");
	unmap(pr, 8, "private");
	file_check("the file has both", f, 0, 8);
	file_free(f);
	return 0;
}

/* ---- private ------------------------------------------------------------ */

/* private DIR [SIZE_MB [swap]]: a MAP_PRIVATE file mapping of SIZE_MB
 * (past RAM), read, its even pages written, all read back, its odd pages
 * written, all read back: the copies swap (with "swap", some must have
 * been in swap); pages not yet written come back from the file; the file
 * itself never changes (mtime, contents), as a MAP_SHARED reader sees. */
static int t_private(int argc, char **argv)
{
	long mib = arg_num(argc, argv, 3, 1, 1024, 24, "SIZE_MB");
	size_t n = (size_t)mib * (MiB / PAGE), i, pres, sw, maxsw = 0;
	struct file *f = make_file("a", (off_t)n * PAGE, 211, 1);
	uint32_t round;
	struct stat st0, st1;
	char *p, *q;

	(void)argc;
	set_past_mtime(f);
	st0 = file_stat(f);
	p = map_file(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE, f->fd, 0, "MAP_PRIVATE");
	map_check("read before any write", p, f, 0, n);
	for (round = 2; round <= 3; round++) {
		for (i = round - 2; i < n; i += 2)
			fill_page(p + i * PAGE, page_key(f->seed, round, i));
		residency(p, n, &pres, &sw);
		maxsw = sw > maxsw ? sw : maxsw;
		for (i = 0; i < n; i++) {
			uint32_t want = i % 2 ? (round == 3 ? 3 : 1) : 2;
			int w = page_bad(p + i * PAGE, page_key(f->seed, want, i));

			if (w >= 0) {
				check(0, "round %u: private page %zu is not round %u's data (word %d is "
				      "%#llx; pagemap %#llx)", round, i, want, w,
				      (unsigned long long)((uint64_t *)(p + i * PAGE))[w],
				      (unsigned long long)x_entry(p + i * PAGE));
				break;
			}
		}
		if (i == n)
			check(1, "round %u: every private page reads back (%zu in swap, %zu present)",
			      round, sw, pres);
	}
	if (!native && argc > 4 && !strcmp(argv[4], "swap"))
		check(maxsw > 0, "private copies went to swap (%zu at most)", maxsw);
	q = map_file(NULL, n, PROT_READ, MAP_SHARED, f->fd, 0, "a MAP_SHARED reader");
	map_check("a shared reader sees the file unchanged", q, f, 0, n);
	unmap(q, n, "the reader");
	unmap(p, n, "MAP_PRIVATE");
	file_check("the file", f, 0, n);
	st1 = file_stat(f);
	check(st1.st_mtim.tv_sec == st0.st_mtim.tv_sec && st1.st_mtim.tv_nsec == st0.st_mtim.tv_nsec,
	      "its mtime is unchanged");
	file_free(f);
	return 0;
}

/* ---- flusher ------------------------------------------------------------ */

/* Poll the file (pread) until pages [from, to) hold exp[], for at most
 * limit seconds: the seconds it took, or -1. */
static double wait_file(struct file *f, size_t from, size_t to, double limit)
{
	double t0 = now();
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	for (;;) {
		size_t i;

		for (i = from; i < to; i++)
			if (pread(f->fd, buf, PAGE, (off_t)i * PAGE) != PAGE ||
			    page_bad(buf, page_key(f->seed, f->exp[i], i)) >= 0)
				break;
		if (i == to)
			return now() - t0;
		if (now() - t0 > limit)
			return -1;
		nanosleep(&tick, NULL);
	}
}

/* flusher [LIMIT_S]: MAP_SHARED writes with no msync, no munmap reach the
 * file by themselves (vmrun --dirty-expire MS: the flusher), within
 * LIMIT_S (20) seconds; again after a second write. */
static int t_flusher(int argc, char **argv)
{
	double limit = (double)arg_num(argc, argv, 3, 1, 600, 20, "LIMIT_S"), t;
	struct file *f = make_file("a", 8 * PAGE, 221, 1);
	char *p;
	size_t i;

	p = map_file(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0, "the file");
	for (i = 0; i < 8; i++)
		map_put(p, f, 0, i, 2);
	t = wait_file(f, 0, 8, limit);
	check(t >= 0, "8 pages written, no msync: in the file after %.2f s (limit %.0f s)", t, limit);
	map_put(p, f, 0, 4, 3);
	t = wait_file(f, 0, 8, limit);
	check(t >= 0, "page 4 rewritten: in the file after %.2f s", t);
	unmap(p, 8, "the file");
	file_check("after munmap", f, 0, 8);
	file_free(f);
	return 0;
}

/* ---- demo --------------------------------------------------------------- */

/* demo FILE [PAGES]: for tools/demo.sh. Makes FILE (PAGES pages, 8, of
 * zeroes), maps it MAP_SHARED and writes a line of text at the start of
 * each page; says "ready 0xADDR" (the mapping's guest address) and then
 * answers lines on stdin: "sync" msyncs ("synced"), "go" or EOF unmaps
 * and leaves ("done"). Waits at most PIPE_WAIT seconds a line. */
static int t_demo(int argc, char **argv)
{
	long pages = arg_num(argc, argv, 3, 1, 4096, 8, "PAGES"), i;
	int fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	char line[64];
	char *p;

	if (fd < 0 || ftruncate(fd, pages * PAGE) < 0)
		die(argv[2]);
	p = map_file(NULL, (size_t)pages, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0, argv[2]);
	close(fd);
	for (i = 0; i < pages; i++)
		snprintf(p + i * PAGE, PAGE, "page %ld of %s, written by guest %d through "
			 "MAP_SHARED\n", i, argv[2], (int)x_getpid());
	printf("ready %#llx\n", native ? (unsigned long long)(uintptr_t)p :
	       (unsigned long long)vm_gva(p));
	fflush(stdout);
	for (;;) {
		struct pollfd pfd = { .fd = 0, .events = POLLIN };

		if (poll(&pfd, 1, PIPE_WAIT * 1000) <= 0 || !fgets(line, sizeof(line), stdin) ||
		    !strncmp(line, "go", 2))
			break;
		if (!strncmp(line, "sync", 4)) {
			int r = x_msync(p, (size_t)pages * PAGE, MS_SYNC);

			printf("synced %d\n", r);
			fflush(stdout);
		}
	}
	unmap(p, (size_t)pages, argv[2]);
	printf("done\n");
	return 0;
}

/* ---- the table ---------------------------------------------------------- */

static const struct modedef {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *what;
} modes[] = {
	{ "mmap-read",    t_read,       "DIR: MAP_SHARED and MAP_PRIVATE reads, the tail, majflt" },
	{ "mmap-write",   t_write,      "DIR: writes reach the file at msync and munmap" },
	{ "mmap-close",   t_close,      "DIR: the descriptor closed after mmap" },
	{ "mmap-unmap",   t_unmap,      "DIR: SIGSEGV after munmap; partial munmap" },
	{ "mmap-overlap", t_overlap,    "DIR: MAP_FIXED replaces; hints" },
	{ "mmap-twice",   t_twice,      "DIR: one file mapped three times" },
	{ "mmap-dontneed", t_dontneed,  "DIR: MADV_DONTNEED on shared and private file mappings" },
	{ "mmap-many",    t_many,       "DIR [N]: N files mapped at once" },
	{ "mmap-reopen",  t_reopen,     "DIR: host writes and ftruncate seen by the next mapping" },
	{ "mmap-truncate", t_truncate,  "DIR [nosigbus]: the file cut short under a dirty mapping" },
	{ "mmap-churn",   t_churn,      "DIR [N]: N new files mapped and unmapped in turn" },
	{ "mmap-exit",    t_exit,       "DIR: a child's writes reach the file at its exit" },
	{ "exit-main",    t_exit_main,  "DIR [vm_exit]: write, leave without munmap" },
	{ "mmap-shuffle", t_shuffle,    "DIR [SIZE_MB [SWAPS]]: random writes and exchanges" },
	{ "mmap-clean",   t_clean,      "DIR: read only: mtime and contents kept" },
	{ "mmap-remove",  t_remove,     "DIR: the file removed while mapped" },
	{ "mmap-off",     t_off,        "DIR: nonzero offsets, past the end, past 4 GiB" },
	{ "mmap-ro",      t_ro,         "DIR: PROT_READ, O_RDONLY, mprotect" },
	{ "mmap-bad-fd",  t_bad_fd,     "DIR: EBADF, EACCES, ENODEV, EINVAL" },
	{ "mmap-zero",    t_zero,       "DIR: an empty file: SIGBUS" },
	{ "mmap-eof",     t_eof,        "DIR: pages past the end: zeroes, then SIGBUS" },
	{ "sigbus",       t_sigbus,     "DIR: dies by SIGBUS" },
	{ "segv",         t_segv,       "DIR: dies by SIGSEGV" },
	{ "lazy-file",    t_lazy,       "DIR [SIZE_MB]: a few touches of a big file" },
	{ "swap-file",    t_swap_file,  "DIR [FILE_MB [ANON_MB]]: file pages under pressure" },
	{ "share",        t_share,      "FILE [ROLE]: two guests, one MAP_SHARED file" },
	{ "share-fork",   t_share_fork, "DIR: parent and child share a file" },
	{ "private",      t_private,    "DIR [SIZE_MB [swap]]: MAP_PRIVATE written under pressure" },
	{ "flusher",      t_flusher,    "DIR [LIMIT_S]: writes reach the file with no msync" },
	{ "demo",         t_demo,       "FILE [PAGES]: write a file, wait for sync/go (demo.sh)" },
	{ "verify",       t_verify,     "PATH SEED ROUND NPAGES: check a file (any host)" },
};

static void usage_exit(void)
{
	size_t i;

	fprintf(stderr, "usage: mmapf [--native] MODE DIR [ARGS]   (under vmrun, or --native)\n");
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		fprintf(stderr, "  %-13s %s\n", modes[i].name, modes[i].what);
	exit(2);
}

int main(int argc, char **argv)
{
	struct rlimit nocore = { 0, 0 };
	size_t i;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	setrlimit(RLIMIT_CORE, &nocore);	/* the children killed on purpose */
	if (argc > 1 && !strcmp(argv[1], "--native")) {
		native = 1;
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	if (argc < 3)
		usage_exit();
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(argv[1], modes[i].name))
			continue;
		mode = modes[i].name;
		dir = argv[2];
		if (modes[i].fn == t_demo)
			return t_demo(argc, argv) || failures;
		if (!native && !vm_is_guest() && modes[i].fn != t_verify) {
			fprintf(stderr, "mmapf: not a guest: run it under vmrun, or with --native\n");
			return 2;
		}
		if (modes[i].fn == t_verify)
			native = !vm_is_guest();
		snprintf(who, sizeof(who), "%s %d", native ? "native" : "guest", (int)x_getpid());
		r = modes[i].fn(argc, argv);
		printf("%s: %s: %d checks, %d failed\n", mode, who, checks, failures);
		if (modes[i].fn == t_exit_main && argc <= 3)
			return failures ? 1 : 0;	/* a return from main, on purpose */
		if (r && !failures)
			failures = 1;
		leave();
	}
	fprintf(stderr, "mmapf: no mode '%s'\n", argv[1]);
	usage_exit();
	return 2;
}
