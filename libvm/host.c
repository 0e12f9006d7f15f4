/* host.c - the host: the RAM file, host mappings, time, futexes. The one
 * file that calls mmap, munmap, mprotect, ftruncate and friends; everything
 * else calls host_*. Safe to call from any process; the functions a fault
 * handler uses (map, unmap, futex) are async-signal-safe.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

int vm_ram_fd = -1;

int host_ram_create(const char *path, uint64_t bytes, bool prefault)
{
	int fd, err;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)bytes) < 0)
		goto fail;
	/* Allocate every host page now, so tmpfs never allocates (or runs out)
	 * inside a guest's fault. tmpfs defers zeroing a fallocated page to
	 * its first mapping, so a frame's first use still pays that (about
	 * 1.2 us); zeroing here would cost about 0.3 s a GiB of boot. */
	if (prefault && (err = posix_fallocate(fd, 0, (off_t)bytes)) != 0) {
		errno = err;
		goto fail;
	}
	return fd;
fail:
	err = errno;
	close(fd);
	unlink(path);
	return -err;
}

int host_ram_open(const char *path, uint64_t *bytes, bool writable)
{
	struct stat st;
	int fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int err = errno;
		close(fd);
		return -err;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	*bytes = (uint64_t)st.st_size;
	return fd;
}

void *host_reserve(uintptr_t addr, size_t len)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	void *p;

	if (addr)
		flags |= MAP_FIXED_NOREPLACE;
	p = mmap((void *)addr, len, PROT_NONE, flags, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (addr && (uintptr_t)p != addr) {
		/* A kernel without MAP_FIXED_NOREPLACE treats it as a hint. */
		munmap(p, len);
		errno = EEXIST;
		return NULL;
	}
	return p;
}

int host_map_ram(void *addr, int fd, uint64_t off, size_t len, bool writable)
{
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);

	if (mmap(addr, len, prot, MAP_SHARED | MAP_FIXED, fd, (off_t)off) == MAP_FAILED)
		return -errno;
	return 0;
}

int host_map_user(void *addr, uint64_t off, size_t len, bool writable, bool exec)
{
	int prot = PROT_READ | (writable ? PROT_WRITE : 0) | (exec ? PROT_EXEC : 0);

	/* MAP_POPULATE: the host PTEs in one pass, not a host fault per page */
	if (mmap(addr, len, prot, MAP_SHARED | MAP_FIXED | MAP_POPULATE, vm_ram_fd, (off_t)off) ==
	    MAP_FAILED)
		return -errno;
	return 0;
}

int host_protect(void *addr, size_t len, bool writable, bool exec)
{
	int prot = PROT_READ | (writable ? PROT_WRITE : 0) | (exec ? PROT_EXEC : 0);

	return mprotect(addr, len, prot) < 0 ? -errno : 0;
}

void *host_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int host_unmap(void *addr, size_t len)
{
	if (mmap(addr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
		 -1, 0) == MAP_FAILED)
		return -errno;
	return 0;
}

void host_release(void *addr, size_t len)
{
	munmap(addr, len);
}

/* Swap files: plain files the kernel reads and writes with pread/pwrite.
 * Each process opens its own fd; only the path lives in RAM. */
int host_file_create(const char *path, uint64_t bytes)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	/* sparse: the slots are written before they are read */
	if (ftruncate(fd, (off_t)bytes) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

void host_populate_write(void *addr, size_t len)
{
#ifdef MADV_POPULATE_WRITE
	uintptr_t a = (uintptr_t)addr & ~(uintptr_t)(PAGE_SIZE - 1);

	madvise((void *)a, len + ((uintptr_t)addr - a), MADV_POPULATE_WRITE);
#else
	(void)addr;
	(void)len;
#endif
}

long host_pread(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	return n < 0 ? -errno : (long)n;
}

long host_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
	ssize_t n = pwrite(fd, buf, len, (off_t)off);

	return n < 0 ? -errno : (long)n;
}

void host_close(int fd)
{
	close(fd);
}

void host_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t i;

	if (getrandom(buf, len, 0) == (ssize_t)len)
		return;
	/* no entropy source: still unique enough for a volume uuid */
	srandom((unsigned)(host_realtime_ns() ^ (uint64_t)getpid()));
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)random();
}

int64_t host_fs_free(const char *path)
{
	struct statvfs sv;

	if (statvfs(path, &sv) < 0)
		return -errno;
	return (int64_t)sv.f_bavail * (int64_t)sv.f_frsize;
}

long host_max_map_count(void)
{
	char buf[32];
	long n = -1;
	int fd = open("/proc/sys/vm/max_map_count", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	ssize_t r = read(fd, buf, sizeof(buf) - 1);
	if (r > 0) {
		buf[r] = '\0';
		n = strtol(buf, NULL, 10);
	}
	close(fd);
	return n;
}

unsigned host_cpu(void)
{
	int cpu = sched_getcpu();

	if (cpu < 0)
		cpu = 0;
	return (unsigned)cpu % vm_boot_block->nr_cpus;
}

uint64_t host_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t host_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* kill(pid, 0) succeeds for a zombie, which will never release a lock:
 * read its state from /proc too. Only open/read/close: signal-safe. */
bool host_pid_alive(pid_t pid)
{
	char path[40], buf[96];
	ssize_t r;
	int fd;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno != ENOENT;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return true;
	buf[r] = '\0';
	/* "pid (comm) S ...": the state follows the last ')' */
	char *p = strrchr(buf, ')');
	if (p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
		return false;
	return true;
}

int host_futex_wait(uint32_t *word, uint32_t val, uint64_t timeout_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(timeout_ns / 1000000000ull),
		.tv_nsec = (long)(timeout_ns % 1000000000ull),
	};

	/* Not FUTEX_PRIVATE: the word is shared with other processes. */
	if (syscall(SYS_futex, word, FUTEX_WAIT, val, &ts, NULL, 0) < 0)
		return -errno;
	return 0;
}

void host_futex_wake(uint32_t *word, int nr)
{
	syscall(SYS_futex, word, FUTEX_WAKE, nr, NULL, NULL, 0);
}

/* ---- signals: the TLB shootdown's (tlb.c) -------------------------------
 *
 * The handler's mask blocks every catchable signal but the synchronous
 * ones: a guest's own handler must not run on top of a flush (it may call
 * into the kernel), while a fault inside the handler must reach the fault
 * handler; the host kills a process whose blocked SIGSEGV is forced on it,
 * with no oops in the log to say why.
 */
int host_signal_install(int sig, void (*fn)(int, siginfo_t *, void *))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sigfillset(&sa.sa_mask);
	sigdelset(&sa.sa_mask, SIGSEGV);
	sigdelset(&sa.sa_mask, SIGBUS);
	sigdelset(&sa.sa_mask, SIGILL);
	sigdelset(&sa.sa_mask, SIGFPE);
	sigdelset(&sa.sa_mask, SIGTRAP);
	return sigaction(sig, &sa, NULL) < 0 ? -errno : 0;
}

bool host_signal_block(int sig)
{
	sigset_t set, old;

	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, &old);
	return sigismember(&old, sig) == 1;
}

void host_signal_unblock(int sig)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

int host_kill(pid_t pid, int sig)
{
	return kill(pid, sig) < 0 ? -errno : 0;
}

pid_t host_getpid(void)
{
	return getpid();
}

/*
 * A new process that is this one's sibling, not its child (CLONE_PARENT):
 * fork for a guest, whose every process the supervisor must be able to
 * reap. The host writes the new pid into *ptid (CLONE_PARENT_SETTID,
 * which may be in RAM) before this returns in either process, so a kill
 * of the caller cannot leave a process nobody recorded. Like fork():
 * the pid in the caller, 0 in the new process, or -errno.
 */
long host_clone_sibling(int32_t *ptid)
{
	long r = syscall(SYS_clone, CLONE_PARENT | CLONE_PARENT_SETTID | SIGCHLD, NULL, ptid,
			 NULL, 0UL);

	return r < 0 ? -errno : r;
}

/* Sleep ns nanoseconds (a back-off; a signal may cut it short). */
void host_sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };

	nanosleep(&ts, NULL);
}
