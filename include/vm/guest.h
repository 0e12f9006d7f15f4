/* guest.h - the guest API (DESIGN §5, contract). A guest is an ordinary C
 * program linked with libvm; under vmrun it is attached to the machine
 * before main runs. Memory from these calls lives in emulated RAM: the
 * program reaches it through the user window, where every first touch is
 * a real page fault that the emulated MMU handles. Calls fail like libc:
 * -1 (or MAP_FAILED, or NULL) and errno.
 *
 * Window memory is demand-paged by SIGSEGV, which host system calls do
 * not raise: hand a host call (write, read, ...) only window memory the
 * program has touched, or it returns EFAULT as Linux would for a bad
 * pointer. The window stops stray pointers, not a hostile guest.
 */
#ifndef VM_GUEST_H
#define VM_GUEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/mman.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Resource use of the calling guest, in pages (Linux's getrusage has
 * ru_minflt, ru_majflt and ru_maxrss; rss and swap are what
 * /proc/PID/status calls VmRSS and VmSwap). */
struct vm_rusage {
	uint64_t minflt;		/* faults served without I/O */
	uint64_t majflt;		/* faults that read swap or a file */
	uint64_t rss;			/* resident pages now */
	uint64_t swap;			/* pages in swap now */
	uint64_t maxrss;		/* peak resident pages */
	uint64_t tlb_miss;		/* faults that only refilled a host mapping */
};

void *vm_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int   vm_munmap(void *addr, size_t len);
int   vm_mprotect(void *addr, size_t len, int prot);
int   vm_msync(void *addr, size_t len, int flags);
int   vm_madvise(void *addr, size_t len, int advice);
void *vm_sbrk(intptr_t increment);
int   vm_brk(void *end);

void *vm_malloc(size_t n);
void *vm_calloc(size_t n, size_t size);
void *vm_realloc(void *p, size_t n);
void  vm_free(void *p);

/* fork: the child is a guest with a copy-on-write copy of the caller's
 * address space (its host process is the supervisor's child, so vmrun
 * reaps it whatever happens). waitpid: pid -1 or a child's pid, options
 * 0 or WNOHANG, status as waitpid gives it; ECHILD when there is no such
 * child. kill: a signal to a guest by its pid (ESRCH if none). */
pid_t vm_fork(void);
pid_t vm_waitpid(pid_t pid, int *status, int options);
void  vm_exit(int status) __attribute__((noreturn));
pid_t vm_getpid(void);
pid_t vm_getppid(void);
int   vm_kill(pid_t pid, int sig);

/* The /proc/self/pagemap entry of addr: bit 63 present, bit 62 swapped,
 * bits 0-54 the pfn (or swap type in 0-4 and offset in 5-54), bit 55
 * soft-dirty, bit 61 file page or shared anonymous. 0, or -1 and errno. */
int   vm_translate(const void *addr, uint64_t *entry);
int   vm_getrusage(struct vm_rusage *ru);

/* Guest virtual address <-> pointer into the user window. */
void    *vm_ptr(uint64_t gva);
uint64_t vm_gva(const void *p);

/* Is this process attached as a guest? (vmrun sets it up before main.) */
int   vm_is_guest(void);

#define PM_PFRAME_MASK		((1ULL << 55) - 1)
#define PM_SOFT_DIRTY		(1ULL << 55)
#define PM_MMAP_EXCLUSIVE	(1ULL << 56)
#define PM_FILE			(1ULL << 61)
#define PM_SWAP			(1ULL << 62)
#define PM_PRESENT		(1ULL << 63)

#ifdef __cplusplus
}
#endif

#endif /* VM_GUEST_H */
