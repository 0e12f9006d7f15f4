/* printk.c - the kernel log: a ring of text lines in RAM that vmdump dmesg
 * prints, timestamped from boot as Linux's are. Any process, under any
 * other lock, may log; the log's lock is innermost. Signal-safe: formats
 * with vsnprintf into a stack buffer, no allocation.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static struct vm_log *log_buf(void)
{
	return vm_boot_block ? __va(vm_boot_block->log_pa) : NULL;
}

static void log_write(const char *line, size_t len)
{
	struct vm_log *log = log_buf();
	size_t i;

	if (!log)
		return;
	/* A dead owner left at worst a torn line: the ring is still a ring. */
	vm_lock_acquire(&log->lock);
	for (i = 0; i < len; i++)
		log->text[(log->head + i) % log->size] = line[i];
	log->head += len;
	log->seq++;
	vm_lock_release(&log->lock);
}

static void vprintk(const char *fmt, va_list ap)
{
	char line[512];
	uint64_t t = host_realtime_ns() - vm_boot_block->boot_ns;
	int n;

	n = snprintf(line, sizeof(line), "[%5llu.%06llu] ",
		     (unsigned long long)(t / 1000000000ull),
		     (unsigned long long)(t % 1000000000ull / 1000));
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	if (line[n - 1] != '\n')
		line[n++] = '\n';
	log_write(line, (size_t)n);
}

void printk(const char *fmt, ...)
{
	va_list ap;

	if (!vm_boot_block)
		return;
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

void vm_panic(const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (vm_boot_block) {
		__atomic_store_n(&vm_boot_block->panicked, 1, __ATOMIC_RELEASE);
		printk("Kernel panic - not syncing: %s", msg);
	}
	dprintf(2, "libvm: Kernel panic - not syncing: %s\n", msg);
	abort();
}

void vm_bug(const char *file, int line, const char *what)
{
	if (vm_boot_block)
		printk("kernel BUG at %s:%d! (%s) pid %d", file, line, what, (int)getpid());
	dprintf(2, "libvm: kernel BUG at %s:%d! (%s)\n", file, line, what);
	abort();
}
