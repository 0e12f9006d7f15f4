/* image.h - the ABI between guests/runimg (the loader guest) and a program
 * image it runs from emulated RAM. Nothing in libvm uses it: the loader is
 * an ordinary guest, and the image is code it maps from a file with
 * vm_mmap and jumps to.
 *
 * What an image is (and all that is supported):
 *
 *   - an x86-64 ELF, ET_DYN, position independent, with no interpreter
 *     (no PT_INTERP), no TLS (no PT_TLS) and no libc: built freestanding,
 *     e.g. gcc -ffreestanding -nostdlib -static-pie -fPIE
 *     -fno-stack-protector (guests/Makefile has the rule);
 *   - its only relocations R_X86_64_RELATIVE (in DT_RELA, or DT_JMPREL):
 *     the loader refuses any other type, and DT_REL, by name;
 *   - loaded at ELF_ET_BASE (0x08048000) in guest va, and all of it,
 *     bss included, below the heap (DEFAULT_START_BRK, 0x09000000);
 *   - e_entry is a function of type vm_image_entry_t, entered on the
 *     guest's [stack] (emulated RAM, just below 0xC0000000) with argc and
 *     argv (strings and array copied onto that stack, as exec does) and a
 *     copy of struct vm_image_ops on the same stack. Returning from it
 *     is exit(status).
 *
 * Everything the image touches is guest memory: its text, data and bss
 * are in the window at USER_HOST_BASE + va, so the pointers it sees
 * (argv, &a_global, what ops->mmap returns) are host pointers into the
 * window, as vm_ptr gives them. The image has no system calls of its
 * own: it asks through ops, whose functions run in the loader on a host
 * stack and take and return what the vm_* call of the same name does
 * (-1 and *ops->errno_p, MAP_FAILED). ops->write and ops->read copy
 * through a host buffer, so a buffer anywhere in the image's memory
 * works whether its pages are mapped on the host yet or not.
 *
 * Not supported: system calls of the image's own (it has no libc), fork
 * and exec from an image, threads, TLS, shared libraries, symbol
 * relocations, IFUNCs. An image's NULL is host address 0, outside the
 * window: dereferencing it kills the guest by SIGSEGV (exit 139) as a
 * crash of host code would, with no kernel log line; a bad access inside
 * the window gets the log line of any guest ("runimg[1]: segfault at ADDR
 * ip IP ..." with guest addresses).
 *
 * Compatibility: the loader fills in version and size; an image should
 * check version == VM_IMAGE_ABI_VERSION. Later versions only append
 * members and raise size.
 */
#ifndef VM_IMAGE_H
#define VM_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <vm/guest.h>

#define VM_IMAGE_ABI_VERSION	1

struct vm_image_ops {
	uint32_t version;			/* VM_IMAGE_ABI_VERSION */
	uint32_t size;				/* sizeof(struct vm_image_ops) */
	int *errno_p;				/* the loader's errno, after a -1 */

	long  (*write)(int fd, const void *buf, size_t len);
	long  (*read)(int fd, void *buf, size_t len);
	void  (*exit)(int status) __attribute__((noreturn));

	void *(*mmap)(void *addr, size_t len, int prot, int flags, int fd, off_t off);
	int   (*munmap)(void *addr, size_t len);
	int   (*mprotect)(void *addr, size_t len, int prot);
	int   (*getrusage)(struct vm_rusage *ru);
	pid_t (*getpid)(void);
	int   (*translate)(const void *addr, uint64_t *entry);
	uint64_t (*gva)(const void *p);		/* vm_gva: a pointer's guest va */
};

/* The image's entry point (e_entry). The return value is the exit
 * status. */
typedef int (*vm_image_entry_t)(int argc, char **argv, const struct vm_image_ops *ops);

#endif /* VM_IMAGE_H */
