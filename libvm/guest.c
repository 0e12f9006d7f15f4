/* guest.c - the guest runtime: how a program becomes a guest before main,
 * and the system calls of the guest API (DESIGN §5). Each call is a trap
 * into the kernel: catchable signals are blocked while it runs, so only
 * SIGKILL can stop a guest inside the kernel (DESIGN §8), then the kernel
 * function does the work on this task's mm and the result comes back as
 * libc gives it: -1 (or MAP_FAILED, NULL) and errno.
 *
 * vmrun starts a guest with VM_RAM (the RAM file) and VM_PID (the task it
 * made for it) in the environment; a constructor attaches to the machine,
 * enters the task and installs the fault handler. A program started with
 * VM_RAM alone makes its own task; one started without either is no guest
 * and every call fails with ENOSYS.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include <vm/guest.h>

extern char *program_invocation_short_name;

/* ---- entering the kernel ------------------------------------------------ */

struct kentry {
	sigset_t saved;
};

/* Block every catchable signal but the faults: a kernel path may still
 * take a vmalloc_fault on its own memory. */
static bool kernel_enter(struct kentry *k)
{
	sigset_t all;

	if (!current_mm) {
		errno = ENOSYS;
		return false;
	}
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGTRAP);
	sigprocmask(SIG_BLOCK, &all, &k->saved);
	return true;
}

static void kernel_leave(struct kentry *k)
{
	sigprocmask(SIG_SETMASK, &k->saved, NULL);
}

/* A kernel result (>= 0, or -errno) as libc returns it. */
static long ret(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/* A user pointer into the window as a guest address; false if outside. */
static bool user_addr(const void *p, uint32_t *addr)
{
	uintptr_t a = (uintptr_t)p;

	if (a < vm_user_base || a - vm_user_base >= (1ULL << 32))
		return false;
	*addr = (uint32_t)(a - vm_user_base);
	return true;
}

void *vm_ptr(uint64_t gva)
{
	return (void *)(vm_user_base + (uintptr_t)gva);
}

uint64_t vm_gva(const void *p)
{
	return (uint64_t)((uintptr_t)p - vm_user_base);
}

int vm_is_guest(void)
{
	return current != NULL;
}

/* ---- attach before main ------------------------------------------------- */

/* This process's task exits; from then on the process is no guest, so the
 * exit handlers that run after vm_exit do not exit the task again (its
 * slot may already be another task's, once the parent collected it). */
static void exit_current(int status)
{
	struct task_struct *t = current;

	vm_task_exit(t, status);
	fault_handler_remove();
	current = NULL;
}

/* exit(status) or a return from main: the task exits with the status
 * the process gives the host. */
static void guest_on_exit(int status, void *arg)
{
	struct kentry k;

	(void)arg;
	if (current && kernel_enter(&k)) {
		exit_current((status & 0xff) << 8);
		kernel_leave(&k);
	}
}

__attribute__((constructor)) static void guest_init(void)
{
	const char *ram = getenv("VM_RAM"), *spid = getenv("VM_PID");
	struct rlimit nocore = { 0, 0 };
	int pid, err;

	if (!ram || vm_boot_block)
		return;
	err = vm_attach(ram);
	if (err) {
		fprintf(stderr, "%s: cannot attach to the machine: %s\n",
			program_invocation_short_name, vm_strerror());
		exit(127);
	}
	pid = spid ? atoi(spid) : vm_task_create(program_invocation_short_name, 0);
	if (pid <= 0 || (err = vm_task_enter(pid)) != 0) {
		fprintf(stderr, "%s: cannot become guest %d: %s\n", program_invocation_short_name,
			pid, strerror(pid <= 0 ? -pid : -err));
		exit(127);
	}
	/* Its process's children are not guests (vm_fork makes those). */
	unsetenv("VM_PID");
	/* A guest killed by a bad access leaves a log line, not a core file. */
	setrlimit(RLIMIT_CORE, &nocore);
	on_exit(guest_on_exit, NULL);
}

/* ---- the calls ---------------------------------------------------------- */

void *vm_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	uint32_t a = 0;
	struct kentry k;
	long r;

	if (addr && !user_addr(addr, &a))
		a = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) ? TASK_SIZE : 0;
	if (len > UINT32_MAX) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	if (off < 0) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	if (!kernel_enter(&k))
		return MAP_FAILED;
	r = mm_mmap(current_mm, a, (uint32_t)len, prot, flags, fd, (uint64_t)off);
	kernel_leave(&k);
	if (ret(r) < 0)
		return MAP_FAILED;
	return vm_ptr((uint32_t)r);
}

int vm_munmap(void *addr, size_t len)
{
	struct kentry k;
	uint32_t a;
	long r;

	if (!user_addr(addr, &a) || len > UINT32_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (!kernel_enter(&k))
		return -1;
	r = mm_munmap(current_mm, a, (uint32_t)len);
	kernel_leave(&k);
	return (int)ret(r);
}

int vm_mprotect(void *addr, size_t len, int prot)
{
	struct kentry k;
	uint32_t a;
	long r;

	if (!user_addr(addr, &a)) {
		errno = ((uintptr_t)addr & (PAGE_SIZE - 1)) ? EINVAL : ENOMEM;
		return -1;
	}
	if (len > UINT32_MAX) {
		errno = ENOMEM;
		return -1;
	}
	if (!kernel_enter(&k))
		return -1;
	r = mm_mprotect(current_mm, a, (uint32_t)len, prot);
	kernel_leave(&k);
	return (int)ret(r);
}

int vm_madvise(void *addr, size_t len, int advice)
{
	struct kentry k;
	uint32_t a;
	long r;

	if (!user_addr(addr, &a) || len > UINT32_MAX) {
		errno = len > UINT32_MAX ? EINVAL : ENOMEM;
		return -1;
	}
	if (!kernel_enter(&k))
		return -1;
	r = mm_madvise(current_mm, a, (uint32_t)len, advice);
	kernel_leave(&k);
	return (int)ret(r);
}

int vm_msync(void *addr, size_t len, int flags)
{
	struct kentry k;
	uint32_t a;
	long r;

	/* outside the window: nothing maps it (ENOMEM once the alignment
	 * and the flags are checked, as Linux checks them first) */
	if (!user_addr(addr, &a))
		a = ((uintptr_t)addr & (PAGE_SIZE - 1)) ? 1 : TASK_SIZE;
	if (len > UINT32_MAX)
		len = UINT32_MAX;	/* wraps: ENOMEM */
	if (!kernel_enter(&k))
		return -1;
	r = mm_msync(current_mm, a, (uint32_t)len, flags);
	kernel_leave(&k);
	return (int)ret(r);
}

void *vm_sbrk(intptr_t increment)
{
	struct kentry k;
	uint32_t old, want, got;
	int64_t target;

	if (!kernel_enter(&k))
		return (void *)-1;
	old = current_mm->brk;
	target = (int64_t)old + increment;
	if (target < current_mm->start_brk || target > (int64_t)TASK_SIZE) {
		kernel_leave(&k);
		errno = ENOMEM;
		return (void *)-1;
	}
	want = (uint32_t)target;
	got = increment ? mm_brk(current_mm, want) : old;
	kernel_leave(&k);
	if (got != want) {
		errno = ENOMEM;
		return (void *)-1;
	}
	return vm_ptr(old);
}

int vm_brk(void *end)
{
	struct kentry k;
	uint32_t a, got;

	if (!user_addr(end, &a)) {
		errno = ENOMEM;
		return -1;
	}
	if (!kernel_enter(&k))
		return -1;
	got = mm_brk(current_mm, a);
	kernel_leave(&k);
	if (got != a) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

pid_t vm_getpid(void)
{
	if (!current) {
		errno = ENOSYS;
		return -1;
	}
	return current->pid;
}

int vm_translate(const void *addr, uint64_t *entry)
{
	struct kentry k;
	uint32_t a;

	if (!entry || !user_addr(addr, &a)) {
		errno = EFAULT;
		return -1;
	}
	if (!kernel_enter(&k))
		return -1;
	*entry = mm_pagemap_entry(current_mm, a);
	kernel_leave(&k);
	return 0;
}

int vm_getrusage(struct vm_rusage *ru)
{
	struct kentry k;
	struct mm_struct *mm = current_mm;

	if (!ru) {
		errno = EFAULT;
		return -1;
	}
	if (!kernel_enter(&k))
		return -1;
	memset(ru, 0, sizeof(*ru));
	ru->minflt = current->min_flt;
	ru->majflt = current->maj_flt;
	ru->tlb_miss = current->tlb_miss;
	ru->rss = (uint64_t)(mm->rss_stat[MM_ANONPAGES] + mm->rss_stat[MM_FILEPAGES] +
			     mm->rss_stat[MM_SHMEMPAGES]);
	ru->swap = (uint64_t)mm->rss_stat[MM_SWAPENTS];
	ru->maxrss = mm->hiwater_rss > current->hiwater_rss ? mm->hiwater_rss :
							      current->hiwater_rss;
	kernel_leave(&k);
	return 0;
}

void vm_exit(int status)
{
	struct kentry k;

	if (current && kernel_enter(&k)) {
		exit_current((status & 0xff) << 8);
		kernel_leave(&k);
	}
	exit(status);
}

pid_t vm_getppid(void)
{
	if (!current) {
		errno = ENOSYS;
		return -1;
	}
	return current->ppid;
}

/* fork(2). The child's process returns here too, with 0, and its
 * signal mask restored as the parent's was. */
pid_t vm_fork(void)
{
	struct kentry k;
	int r;

	if (!kernel_enter(&k))
		return -1;
	r = do_fork();
	kernel_leave(&k);
	return (pid_t)ret(r);
}

/* waitpid(2): look for a zombie child in the kernel; sleep between looks
 * outside it, with signals open (a shootdown must be answered while we
 * wait), on the counter an exiting child bumps. */
pid_t vm_waitpid(pid_t pid, int *status, int options)
{
	struct kentry k;
	uint32_t seq;
	int r;

	if (options & ~WNOHANG || pid == 0 || pid < -1) {
		/* process groups are not modelled */
		errno = current ? EINVAL : ENOSYS;
		return -1;
	}
	for (;;) {
		if (!kernel_enter(&k))
			return -1;
		seq = __atomic_load_n(&current->wait_seq, __ATOMIC_ACQUIRE);
		r = vm_task_wait(pid, status, options);
		kernel_leave(&k);
		if (r != 0 || (options & WNOHANG))
			return (pid_t)ret(r);
		/* bounded, so a lost wake-up costs a beat, not a hang */
		host_futex_wait(&current->wait_seq, seq, 100000000ull);
	}
}

int vm_kill(pid_t pid, int sig)
{
	struct kentry k;
	int r;

	if (pid <= 0) {
		/* process groups and broadcast are not modelled */
		errno = current ? EINVAL : ENOSYS;
		return -1;
	}
	if (!kernel_enter(&k))
		return -1;
	r = vm_task_kill(pid, sig);
	kernel_leave(&k);
	return (int)ret(r);
}
