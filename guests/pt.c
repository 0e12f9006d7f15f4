/* pt - the guest's view of the emulated MMU, one mode per test, after
 * Pintos's pt-* tests and xv6's usertests. Each mode prints what it
 * checks, one "ok"/"FAIL" line per check, and exits 0 when all held, 1
 * when one did not. The modes marked "dies" end by a bad access: they
 * print "fatal ACCESS at ADDR" (hex, as the kernel log writes it) just
 * before it, and the guest must die of SIGSEGV there (vmrun exits 139);
 * the log line and its error code are checked by
 * tests/integration/test_guests.sh, which runs every mode.
 *
 *   vmrun [--mode pae] -- guests/pt [-f FOLIO] MODE [ARGS]
 *
 * -f FOLIO is how many pages one anonymous fault maps on this machine:
 * 16 for vmrun's default --folio-order 4, 1 under --folio-order 0. Only
 * the modes that count faults (lazy-anon, tlb) use it.
 *
 * Window memory is reached only through pointers from vm_mmap, vm_sbrk
 * and vm_ptr; this program's own code, stack and stdio are host memory,
 * except in the stack modes, which run a function on a context whose
 * stack is the guest's [stack] VMA below 0xC0000000.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <vm/guest.h>

#define PAGE		4096u
#define STACK_TOP	0xC0000000u	/* TASK_SIZE: [stack] ends here */
#define STACK_LIMIT	(8u << 20)	/* RLIMIT_STACK */
#define STACK_INIT	(128u << 10)	/* the [stack] VMA exec leaves */
#define noinline	__attribute__((noinline))

static int folio = 16;		/* -f: pages per anonymous fault */
static int failures;

/* ---- reporting ---------------------------------------------------------- */

static void check(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("  %s ", cond ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		failures++;
}

static void die(const char *what)
{
	printf("  FAIL %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The access that must kill us: say where first, since nothing after it
 * is printed. The guest address as the log writes it: hex, no 0x. */
static void fatal_read(uint32_t gva)
{
	printf("fatal read at %x\n", gva);
	fflush(stdout);
	(void)*(volatile char *)vm_ptr(gva);
	check(0, "the read at %#x was allowed", gva);
}

static void fatal_write(uint32_t gva)
{
	printf("fatal write at %x\n", gva);
	fflush(stdout);
	*(volatile char *)vm_ptr(gva) = 1;
	check(0, "the write at %#x was allowed", gva);
}

/* ---- helpers ------------------------------------------------------------ */

static char *map_anon(unsigned pages, int prot)
{
	char *p = vm_mmap(NULL, (size_t)pages * PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("vm_mmap");
	return p;
}

/* A mapping at a fixed address, so folio alignment is known. */
static char *map_at(uint32_t gva, unsigned pages)
{
	char *p = vm_mmap(vm_ptr(gva), (size_t)pages * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED)
		die("vm_mmap fixed");
	return p;
}

static uint64_t entry_of(const void *p)
{
	uint64_t e;

	if (vm_translate(p, &e) < 0)
		die("vm_translate");
	return e;
}

static int present(const void *p)
{
	return (entry_of(p) & PM_PRESENT) != 0;
}

static uint64_t pfn_of(const void *p)
{
	return entry_of(p) & PM_PFRAME_MASK;
}

/* Pages of [p, p + pages) present, as a string of '#' and '.'. */
static unsigned count_present(const char *p, unsigned pages, char *pic)
{
	unsigned i, n = 0;

	for (i = 0; i < pages; i++) {
		int on = present(p + (size_t)i * PAGE);

		n += on;
		if (pic)
			pic[i] = on ? '#' : '.';
	}
	if (pic)
		pic[pages] = 0;
	return n;
}

static struct vm_rusage usage(void)
{
	struct vm_rusage ru;

	if (vm_getrusage(&ru) < 0)
		die("vm_getrusage");
	return ru;
}

/* Is every byte of [p, p + len) zero? Counts the 8-byte words that are not. */
static size_t nonzero(const char *p, size_t len)
{
	const uint64_t *w = (const uint64_t *)p;
	size_t i, bad = 0;

	for (i = 0; i < len / 8; i++)
		if (w[i])
			bad++;
	return bad;
}

/* A word's pattern value depends on its guest address, so any part of a
 * filled range can be checked on its own. */
static inline uint32_t pattern(const uint32_t *w, uint32_t seed)
{
	return seed + (uint32_t)(vm_gva(w) >> 2) * 0x9E3779B1u;
}

static void fill_pattern(char *p, unsigned pages, uint32_t seed)
{
	uint32_t *w = (uint32_t *)p;
	size_t i, n = (size_t)pages * PAGE / 4;

	for (i = 0; i < n; i++)
		w[i] = pattern(&w[i], seed);
}

static size_t pattern_errors(const char *p, unsigned pages, uint32_t seed)
{
	const uint32_t *w = (const uint32_t *)p;
	size_t i, n = (size_t)pages * PAGE / 4, bad = 0;

	for (i = 0; i < n; i++)
		if (w[i] != pattern(&w[i], seed))
			bad++;
	return bad;
}

/* ---- demand paging ------------------------------------------------------ */

/* Nothing is present until touched; a touch makes its page, or its folio
 * run (with -f 16: the aligned 16 pages around it), present with one
 * minor fault. A read maps clean, a write dirty (soft-dirty). Uses a
 * 64-page mapping at 0x40000000 (folio-aligned) and a lone page at
 * 0x50000000, which no folio fits in. */
static int t_lazy_anon(int argc, char **argv)
{
	const unsigned pages = 64, touch = 21;
	unsigned first = touch / folio * folio, i, want, n;
	char pic[65], *p, *one;
	struct vm_rusage a, b;
	int ok = 1;

	(void)argc, (void)argv;
	printf("lazy-anon: 64 pages at 0x40000000, one fault maps %d page(s)\n", folio);
	p = map_at(0x40000000, pages);
	n = count_present(p, pages, pic);
	check(n == 0, "after vm_mmap no page is present: %s", pic);

	a = usage();
	p[(size_t)touch * PAGE + 5] = 42;
	b = usage();
	n = count_present(p, pages, pic);
	for (i = 0; i < pages; i++)
		if ((pic[i] == '#') != (i >= first && i < first + (unsigned)folio))
			ok = 0;
	check(ok && n == (unsigned)folio, "a write to page %u made pages %u-%u present: %s", touch,
	      first, first + folio - 1, pic);
	check(b.minflt == a.minflt + 1, "minflt rose by 1 (%llu -> %llu)",
	      (unsigned long long)a.minflt, (unsigned long long)b.minflt);
	check(b.rss == a.rss + (unsigned)folio, "rss rose by %d (%llu -> %llu)", folio,
	      (unsigned long long)a.rss, (unsigned long long)b.rss);
	check(!!(entry_of(p + (size_t)touch * PAGE) & PM_SOFT_DIRTY), "the written page is dirty");

	/* a read of a page of another run: present but clean */
	want = (touch + (unsigned)folio) % pages;
	a = usage();
	check(p[(size_t)want * PAGE] == 0, "page %u reads zero", want);
	b = usage();
	check(present(p + (size_t)want * PAGE), "the read made page %u present", want);
	check(!(entry_of(p + (size_t)want * PAGE) & PM_SOFT_DIRTY), "a page only read is clean");
	check(b.minflt == a.minflt + 1, "the read took one minor fault (%llu -> %llu)",
	      (unsigned long long)a.minflt, (unsigned long long)b.minflt);
	p[(size_t)want * PAGE] = 1;
	check(!!(entry_of(p + (size_t)want * PAGE) & PM_SOFT_DIRTY), "its first write made it dirty");

	one = map_at(0x50000000, 1);
	check(!present(one), "a 1-page mapping at 0x50000000 is not present");
	a = usage();
	one[100] = 7;
	b = usage();
	check(present(one) && b.minflt == a.minflt + 1 && b.rss == a.rss + 1,
	      "a write to it: present, minflt +1, rss +1 (rss %llu -> %llu)",
	      (unsigned long long)a.rss, (unsigned long long)b.rss);
	check(!present(one - PAGE) && !present(one + PAGE), "its neighbours are not");
	return failures ? 1 : 0;
}

/* New memory reads zero: every byte, from mmap and sbrk, and again after
 * the frames of a dirtied mapping were freed and handed out anew. */
static int t_zero(int argc, char **argv)
{
	const unsigned pages = 64;
	char *p, *q, *brk0;
	unsigned i, reused = 0;
	uint64_t pfns[64];

	(void)argc, (void)argv;
	printf("zero: fresh anonymous memory reads zero\n");
	p = map_anon(8, PROT_READ | PROT_WRITE);
	check(nonzero(p, 8 * PAGE) == 0, "8 fresh mmap pages, read first: all zero");
	q = map_anon(8, PROT_READ | PROT_WRITE);
	for (i = 0; i < 8; i++)
		q[(size_t)i * PAGE + PAGE - 1] = 0;	/* a write fault first */
	check(nonzero(q, 8 * PAGE) == 0, "8 fresh mmap pages, written first: all zero");

	p = map_anon(pages, PROT_READ | PROT_WRITE);
	memset(p, 0xAA, (size_t)pages * PAGE);
	for (i = 0; i < pages; i++)
		pfns[i] = pfn_of(p + (size_t)i * PAGE);
	if (vm_munmap(p, (size_t)pages * PAGE) < 0)
		die("vm_munmap");
	p = map_anon(pages, PROT_READ | PROT_WRITE);
	check(nonzero(p, (size_t)pages * PAGE) == 0, "%u pages mapped after %u dirty ones were "
	      "unmapped: all zero", pages, pages);
	for (i = 0; i < pages; i++) {
		uint64_t f = pfn_of(p + (size_t)i * PAGE);
		unsigned j;

		for (j = 0; j < pages; j++)
			if (pfns[j] == f)
				reused++;
	}
	printf("  (%u of their frames were the freed ones)\n", reused);

	brk0 = vm_sbrk(4 * PAGE);
	if (brk0 == (void *)-1)
		die("vm_sbrk");
	check(nonzero(brk0, 4 * PAGE) == 0, "4 pages from vm_sbrk at %#llx: all zero",
	      (unsigned long long)vm_gva(brk0));
	memset(brk0, 0x55, 4 * PAGE);
	if (vm_sbrk(-(intptr_t)(4 * PAGE)) == (void *)-1 || vm_sbrk(4 * PAGE) != brk0)
		die("vm_sbrk down and up");
	check(nonzero(brk0, 4 * PAGE) == 0, "after sbrk down and up again: all zero");
	return failures ? 1 : 0;
}

/* ---- bad accesses (these modes die) ------------------------------------- */

/* Pintos pt-bad-addr: a read where nothing is mapped. Error 4. */
static int t_bad_addr(int argc, char **argv)
{
	(void)argc, (void)argv;
	printf("bad-addr: read an unmapped address (0x04000000)\n");
	fatal_read(0x04000000);
	return 1;
}

/* xv6 nullpointer: a read of address 0, below mmap_min_addr. Error 4. */
static int t_null(int argc, char **argv)
{
	(void)argc, (void)argv;
	printf("null: read address 0\n");
	fatal_read(0);
	return 1;
}

/* Pintos pt-write-code's twin: a write to a PROT_READ page that a read
 * made present: the host reports a present page, error 7. */
static int t_write_ro(int argc, char **argv)
{
	char *p = map_anon(1, PROT_READ);

	(void)argc, (void)argv;
	printf("write-ro: write to a PROT_READ page after reading it\n");
	check(p[10] == 0, "the page reads zero");
	check(present(p), "the read made it present");
	fatal_write((uint32_t)vm_gva(p));
	return 1;
}

/* The same write with no read first: the page is not present, error 6. */
static int t_write_ro_fresh(int argc, char **argv)
{
	char *p = map_anon(1, PROT_READ);

	(void)argc, (void)argv;
	printf("write-ro-fresh: write to a PROT_READ page never touched\n");
	check(!present(p), "the page is not present");
	fatal_write((uint32_t)vm_gva(p));
	return 1;
}

/* Touch, munmap, touch again: the second touch dies (read, error 4). */
static int t_after_munmap(int argc, char **argv)
{
	char *p = map_anon(4, PROT_READ | PROT_WRITE);

	(void)argc, (void)argv;
	printf("after-munmap: touch 4 pages, unmap them, touch again\n");
	memset(p, 1, 4 * PAGE);
	check(count_present(p, 4, NULL) == 4, "4 pages present after the writes");
	if (vm_munmap(p, 4 * PAGE) < 0)
		die("vm_munmap");
	check(count_present(p, 4, NULL) == 0, "none present after vm_munmap");
	fatal_read((uint32_t)vm_gva(p) + PAGE);
	return 1;
}

/* xv6 kernmem: a user read of the kernel half. The kernel's PTEs are
 * present but supervisor-only: error 5 (protection, user, read). */
static int t_kernel(int argc, char **argv)
{
	(void)argc, (void)argv;
	printf("kernel: read 0xc0000000, the first kernel address\n");
	fatal_read(STACK_TOP);
	return 1;
}

/* ---- mprotect ----------------------------------------------------------- */

static char *mprotect_setup(unsigned pages)
{
	char *p = map_anon(pages, PROT_READ | PROT_WRITE);

	fill_pattern(p, pages, 1);
	if (vm_mprotect(p, (size_t)pages * PAGE, PROT_READ) < 0)
		die("vm_mprotect PROT_READ");
	return p;
}

/* RW -> R -> RW: the content is kept through both, and writes work again. */
static int t_mprotect(int argc, char **argv)
{
	const unsigned pages = 8;
	char *p;

	(void)argc, (void)argv;
	printf("mprotect: RW -> R -> RW keeps the content\n");
	p = mprotect_setup(pages);
	check(pattern_errors(p, pages, 1) == 0, "after PROT_READ the pattern reads back");
	check(count_present(p, pages, NULL) == pages, "the pages are still present");
	if (vm_mprotect(p, (size_t)pages * PAGE, PROT_READ | PROT_WRITE) < 0)
		die("vm_mprotect PROT_READ|PROT_WRITE");
	check(pattern_errors(p, pages, 1) == 0, "after PROT_READ|PROT_WRITE it still does");
	fill_pattern(p, pages, 2);
	check(pattern_errors(p, pages, 2) == 0, "and a new pattern can be written");
	/* half the range back to R: the VMA splits, the other half stays RW */
	if (vm_mprotect(p, (size_t)pages / 2 * PAGE, PROT_READ) < 0)
		die("vm_mprotect half");
	fill_pattern(p + (size_t)pages / 2 * PAGE, pages / 2, 3);
	check(pattern_errors(p, pages / 2, 2) == 0 &&
	      pattern_errors(p + (size_t)pages / 2 * PAGE, pages / 2, 3) == 0,
	      "after PROT_READ on the lower half, the upper half is still writable");
	return failures ? 1 : 0;
}

/* RW, written, then PROT_READ, read back, then a write: dies. The PTE
 * is present and read-only (and so is the host mapping the read made):
 * error 7. */
static int t_mprotect_ro_write(int argc, char **argv)
{
	char *p;

	(void)argc, (void)argv;
	printf("mprotect-ro-write: write after mprotect(PROT_READ) and a read\n");
	p = mprotect_setup(2);
	check(pattern_errors(p, 2, 1) == 0, "the pattern reads back");
	fatal_write((uint32_t)vm_gva(p) + PAGE + 8);
	return 1;
}

/* The same write with no read between mprotect and it. The PTE is still
 * present (mprotect keeps the frame), so Linux logs error 7 as above;
 * only the host's TLB entry is gone, and that must not show. */
static int t_mprotect_ro_write_cold(int argc, char **argv)
{
	char *p;

	(void)argc, (void)argv;
	printf("mprotect-ro-write-cold: write right after mprotect(PROT_READ)\n");
	p = mprotect_setup(2);
	check(present(p + PAGE), "the page is present");
	fatal_write((uint32_t)vm_gva(p) + PAGE + 8);
	return 1;
}

/* PROT_NONE, then a read: dies. Linux's PROT_NONE PTE has P clear, so
 * the error is 4. */
static int t_mprotect_none(int argc, char **argv)
{
	char *p = map_anon(2, PROT_READ | PROT_WRITE);

	(void)argc, (void)argv;
	printf("mprotect-none: read after mprotect(PROT_NONE)\n");
	fill_pattern(p, 2, 1);
	if (vm_mprotect(p, 2 * PAGE, PROT_NONE) < 0)
		die("vm_mprotect PROT_NONE");
	fatal_read((uint32_t)vm_gva(p) + 16);
	return 1;
}

/* ---- the stack ---------------------------------------------------------- */

/* The stack modes run a function on the guest's own [stack]: a ucontext
 * whose stack is the window below 0xC0000000. Only the top 128 KiB are in
 * the VMA at first; a touch below grows it (expand_stack), up to
 * RLIMIT_STACK. Faults are taken on the alternate signal stack, so the
 * guest's stack can fault freely. No stdio on that stack. */
static ucontext_t main_uc, stack_uc;

static void run_on_guest_stack(void (*fn)(void), uint32_t top)
{
	const uint32_t bottom = STACK_TOP - 4 * (1u << 20);

	if (getcontext(&stack_uc) < 0)
		die("getcontext");
	stack_uc.uc_stack.ss_sp = vm_ptr(bottom);
	stack_uc.uc_stack.ss_size = top - bottom;
	stack_uc.uc_link = &main_uc;
	makecontext(&stack_uc, fn, 0);
	if (swapcontext(&main_uc, &stack_uc) < 0)
		die("swapcontext");
}

#define FRAME	1024
#define DEPTH	1024		/* ~1 KiB a frame: ~1 MiB deep */

static uint32_t deepest;	/* gva of the deepest frame's array */
static unsigned long rec_sum, rec_bad;

static noinline unsigned long recurse(unsigned depth)
{
	volatile unsigned char frame[FRAME];
	unsigned long sum;
	unsigned i;

	for (i = 0; i < FRAME; i++)
		frame[i] = (unsigned char)(depth + i);
	if (depth == 0) {
		deepest = (uint32_t)vm_gva((const void *)frame);
		return 0;
	}
	sum = recurse(depth - 1);
	for (i = 0; i < FRAME; i++)
		if (frame[i] != (unsigned char)(depth + i))
			rec_bad++;
	return sum + depth;
}

static void recurse_main(void)
{
	rec_sum = recurse(DEPTH);
}

/* Pintos pt-grow-stack: recursion ~1 MiB deep on the guest's stack. */
static int t_grow_stack(int argc, char **argv)
{
	uint32_t a;
	unsigned n = 0;

	(void)argc, (void)argv;
	printf("grow-stack: recurse %d frames of %d bytes on the [stack] below 0xc0000000\n",
	       DEPTH, FRAME);
	run_on_guest_stack(recurse_main, STACK_TOP);
	check(rec_sum == (unsigned long)DEPTH * (DEPTH + 1) / 2,
	      "the recursion returned %lu, want %lu", rec_sum,
	      (unsigned long)DEPTH * (DEPTH + 1) / 2);
	check(rec_bad == 0, "every frame kept its bytes (%lu wrong)", rec_bad);
	check(deepest < STACK_TOP - (1u << 20), "the deepest frame is at %#x, over 1 MiB down",
	      deepest);
	check(present(vm_ptr(deepest)), "its page is present");
	for (a = deepest & ~(PAGE - 1); a < STACK_TOP; a += PAGE)
		n += present(vm_ptr(a));
	check(n == (STACK_TOP - (deepest & ~(PAGE - 1))) / PAGE,
	      "all %u pages from there to 0xc0000000 are present", n);
	check(present(vm_ptr(STACK_TOP - STACK_INIT - PAGE)),
	      "the page below the first 128 KiB (%#x) is present: the stack grew",
	      STACK_TOP - STACK_INIT - PAGE);
	return failures ? 1 : 0;
}

#define BIG	65536

static uint32_t big_lo;
static unsigned long big_sum;

static noinline unsigned long big_obj(void)
{
	unsigned char buf[BIG];
	unsigned long sum = 0;
	unsigned i;

	for (i = 0; i < BIG; i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	__asm__ volatile("" : : "r"(buf) : "memory");
	for (i = 0; i < BIG; i++)
		sum += buf[i];
	big_lo = (uint32_t)vm_gva(buf);
	return sum;
}

static void big_main(void)
{
	big_sum = big_obj();
}

/* Pintos pt-big-stk-obj: a 64 KiB local array, its checksum. The context
 * starts 96 KiB below the top, so the array straddles the end of the
 * first 128 KiB and its first byte written lies below the VMA. */
static int t_big_stk_obj(int argc, char **argv)
{
	unsigned long want = 0;
	unsigned i;

	(void)argc, (void)argv;
	printf("big-stk-obj: a 64 KiB local array on the [stack]\n");
	for (i = 0; i < BIG; i++)
		want += (unsigned char)(i * 7 + 3);
	run_on_guest_stack(big_main, STACK_TOP - (96u << 10));
	check(big_sum == want, "checksum %lu, want %lu", big_sum, want);
	check(big_lo < STACK_TOP - STACK_INIT, "the array starts at %#x, below the first 128 KiB",
	      big_lo);
	check(present(vm_ptr(big_lo)), "its first page is present");
	return failures ? 1 : 0;
}

/* Pintos pt-grow-bad: the stack may grow to RLIMIT_STACK (8 MiB) and no
 * further. The lowest page allowed reads zero; two pages below it dies. */
static int t_grow_bad(int argc, char **argv)
{
	const uint32_t limit = STACK_TOP - STACK_LIMIT;

	(void)argc, (void)argv;
	printf("grow-bad: touch the [stack] at its 8 MiB limit, then below it\n");
	check(*(volatile char *)vm_ptr(limit) == 0, "a read at %#x (0xc0000000 - 8 MiB) grows the "
	      "stack and reads zero", limit);
	check(present(vm_ptr(limit)), "that page is present");
	fatal_read(limit - 2 * PAGE);
	return 1;
}

/* ---- the heap ----------------------------------------------------------- */

static char *sbrk_round_trip(unsigned pages)
{
	char *old = vm_sbrk(0), *p;

	if (old == (void *)-1)
		die("vm_sbrk(0)");
	printf("  the break is at %#llx\n", (unsigned long long)vm_gva(old));
	p = vm_sbrk((intptr_t)pages * PAGE);
	check(p == old, "vm_sbrk(+%u pages) returned the old break", pages);
	check(vm_sbrk(0) == old + (size_t)pages * PAGE, "the break moved up by %u pages", pages);
	fill_pattern(p, pages, 7);
	check(pattern_errors(p, pages, 7) == 0, "the %u pages hold what was written", pages);
	check(vm_sbrk(-(intptr_t)pages * PAGE) == old + (size_t)pages * PAGE,
	      "vm_sbrk(-%u pages) returned the raised break", pages);
	check(vm_sbrk(0) == old, "the break is back where it was");
	check(count_present(p, pages, NULL) == 0, "none of the freed pages is present");
	return p;
}

/* xv6 sbrkbasic/sbrkmuch: up, write, read, down. */
static int t_sbrk(int argc, char **argv)
{
	(void)argc, (void)argv;
	printf("sbrk: grow the heap by 16 pages, use them, shrink it back\n");
	sbrk_round_trip(16);
	return failures ? 1 : 0;
}

/* ... and a page the heap gave back: dies (read, error 4). */
static int t_sbrk_freed(int argc, char **argv)
{
	char *p;

	(void)argc, (void)argv;
	printf("sbrk-freed: touch a page after the heap shrank below it\n");
	p = sbrk_round_trip(16);
	fatal_read((uint32_t)vm_gva(p) + 3 * PAGE);
	return 1;
}

/* ---- argument checks ---------------------------------------------------- */

static const char *errname(int e)
{
	const char *s = e ? strerrorname_np(e) : "0";

	return s ? s : "?";
}

/* A call that must fail with want (want 0: succeed). */
static void expect_err(long r, long fail, int want, const char *what)
{
	int got = r == fail ? errno : 0;

	check(got == want, "%s: %s%s%s", what, errname(got), got == want ? "" : ", want ",
	      got == want ? "" : errname(want));
}

#define MMAP(addr, len, prot, flags, fd, off) \
	(long)vm_mmap(addr, len, prot, flags, fd, off), (long)MAP_FAILED

/* Linux's errno for each bad argument (each checked against x86-64 Linux,
 * with 3G-split addresses where it matters). */
static int t_mmap_errors(int argc, char **argv)
{
	const int rw = PROT_READ | PROT_WRITE, pa = MAP_PRIVATE | MAP_ANONYMOUS;
	char *p = map_at(0x30000000, 4);

	(void)argc, (void)argv;
	printf("mmap-errors: bad arguments get Linux's errno\n");
	errno = 0;
	expect_err(MMAP(NULL, 0, rw, pa, -1, 0), EINVAL, "mmap len 0");
	expect_err(MMAP(vm_ptr(0x30100800), PAGE, rw, pa | MAP_FIXED, -1, 0), EINVAL,
		   "mmap MAP_FIXED at a misaligned address");
	expect_err(MMAP(vm_ptr(0xBFFFF000), 2 * PAGE, rw, pa | MAP_FIXED, -1, 0), ENOMEM,
		   "mmap MAP_FIXED 0xbffff000, 2 pages: into the kernel half");
	expect_err(MMAP(NULL, 0xC0000000u, rw, pa, -1, 0), ENOMEM, "mmap 3 GiB");
	expect_err(MMAP(NULL, PAGE, rw, pa, -1, 100), EINVAL, "mmap offset 100");
	expect_err(MMAP(NULL, PAGE, rw, MAP_ANONYMOUS, -1, 0), EINVAL,
		   "mmap neither MAP_PRIVATE nor MAP_SHARED");
	expect_err(MMAP(p + PAGE, PAGE, rw, pa | MAP_FIXED_NOREPLACE, -1, 0), EEXIST,
		   "mmap MAP_FIXED_NOREPLACE over a mapping");
	expect_err(MMAP(NULL, PAGE, rw, MAP_PRIVATE, -1, 0), EBADF, "mmap a file with fd -1");
	expect_err(MMAP(NULL, 0, rw, MAP_PRIVATE, -1, 0), EBADF,
		   "mmap a file with fd -1 and len 0: fd is checked first");
	expect_err(MMAP(vm_ptr(0x8000), PAGE, rw, pa | MAP_FIXED, -1, 0), EPERM,
		   "mmap MAP_FIXED at 0x8000, below mmap_min_addr");
	expect_err(MMAP(vm_ptr(0x10000), PAGE, rw, pa | MAP_FIXED, -1, 0), 0,
		   "mmap MAP_FIXED at 0x10000, mmap_min_addr itself");

	expect_err(vm_munmap(p + 1, PAGE), -1, EINVAL, "munmap at a misaligned address");
	expect_err(vm_munmap(p, 0), -1, EINVAL, "munmap len 0");
	expect_err(vm_munmap(vm_ptr(0x31000000), PAGE), -1, 0, "munmap of nothing mapped");

	expect_err(vm_mprotect(vm_ptr(0x31000000), PAGE, PROT_READ), -1, ENOMEM,
		   "mprotect of an unmapped range");
	expect_err(vm_mprotect(p + 1, PAGE, PROT_READ), -1, EINVAL,
		   "mprotect at a misaligned address");
	expect_err(vm_mprotect(p, PAGE, 0x100), -1, EINVAL, "mprotect with an unknown prot bit");
	if (vm_munmap(p + PAGE, PAGE) < 0)
		die("vm_munmap");
	expect_err(vm_mprotect(p, 3 * PAGE, PROT_READ), -1, ENOMEM,
		   "mprotect over a hole");

	expect_err(vm_madvise(p, PAGE, 12345), -1, EINVAL, "madvise advice 12345");
	expect_err(vm_madvise(p + 1, PAGE, MADV_DONTNEED), -1, EINVAL,
		   "madvise at a misaligned address");
	expect_err(vm_madvise(vm_ptr(0x31000000), PAGE, MADV_DONTNEED), -1, ENOMEM,
		   "madvise of an unmapped range");
	expect_err(vm_msync(vm_ptr(0x31000000), PAGE, MS_SYNC), -1, ENOMEM,
		   "msync of an unmapped range");
	expect_err(vm_msync(p, PAGE, MS_SYNC | MS_ASYNC), -1, EINVAL,
		   "msync MS_SYNC|MS_ASYNC");
	return failures ? 1 : 0;
}

/* ---- the TLB ------------------------------------------------------------ */

/* Host mappings of the window that grant access (not the PROT_NONE
 * reservation), from the host's own /proc/self/maps. */
static long window_mappings(void)
{
	uintptr_t lo = (uintptr_t)vm_ptr(0), hi = (uintptr_t)vm_ptr(STACK_TOP), s, e;
	char line[512], perm[8];
	long n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %7s", &s, &e, perm) == 3 && s >= lo && e <= hi &&
		    strcmp(perm, "---p") != 0 && strcmp(perm, "---s") != 0)
			n++;
	fclose(f);
	return n;
}

/* More pages than the TLB holds (vmrun --tlb 64 --folio-order 0): every
 * pass evicts; the content survives, tlb_miss counts the refills, and the
 * host never holds more mappings than the TLB has entries. */
static int t_tlb(int argc, char **argv)
{
	unsigned pages = argc > 2 ? (unsigned)atoi(argv[2]) : 2000;
	unsigned tlb = argc > 3 ? (unsigned)atoi(argv[3]) : 64, pass, runs, misses;
	struct vm_rusage a, b;
	long maps;
	char *p;

	printf("tlb: %u pages through a %u-entry TLB, %d page(s) a fault\n", pages, tlb, folio);
	/* each pass must miss on all but the runs the TLB still holds */
	runs = (pages + folio - 1) / folio;
	misses = runs > tlb ? runs - tlb : 0;
	p = map_anon(pages, PROT_READ | PROT_WRITE);
	a = usage();
	fill_pattern(p, pages, 11);
	b = usage();
	check(b.minflt - a.minflt == runs, "writing them took %llu minor faults, want %u",
	      (unsigned long long)(b.minflt - a.minflt), runs);
	check(b.rss - a.rss == pages, "rss rose by %llu, want %u", (unsigned long long)(b.rss - a.rss),
	      pages);
	for (pass = 1; pass <= 2; pass++) {
		a = usage();
		check(pattern_errors(p, pages, 11) == 0, "read pass %u: every word right", pass);
		b = usage();
		check(b.tlb_miss - a.tlb_miss >= misses && misses > 0 && b.minflt == a.minflt,
		      "read pass %u: %llu TLB misses (want >= %u), no new minor fault", pass,
		      (unsigned long long)(b.tlb_miss - a.tlb_miss), misses);
	}
	maps = window_mappings();
	check(maps >= 0 && maps <= (long)tlb, "the host holds %ld mappings in the window, at most %u",
	      maps, tlb);
	return failures ? 1 : 0;
}

/* ---- several guests ----------------------------------------------------- */

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

/* Wait until n guests have arrived: a counter in a shared host file,
 * DIR/barrier, and a futex on it; 0, or -1 after 30 s. ftruncate to the
 * same size keeps the data, so whoever comes first makes it. */
static int barrier(const char *dir, unsigned n)
{
	struct timespec one = { 1, 0 };
	char path[PATH_MAX];
	uint32_t *count, v;
	int fd, waited;

	snprintf(path, sizeof(path), "%s/barrier", dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	if (fd < 0 || ftruncate(fd, 4096) < 0)
		return -1;
	count = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (count == MAP_FAILED)
		return -1;
	if (__atomic_add_fetch(count, 1, __ATOMIC_SEQ_CST) >= n) {
		futex(count, FUTEX_WAKE, INT_MAX, NULL);
		return 0;
	}
	for (waited = 0; waited < 30; waited++) {
		v = __atomic_load_n(count, __ATOMIC_SEQ_CST);
		if (v >= n)
			return 0;
		futex(count, FUTEX_WAIT, v, &one);
	}
	return __atomic_load_n(count, __ATOMIC_SEQ_CST) >= n ? 0 : -1;
}

/* Run as vmrun --guests N -- pt distinct DIR N. Each guest maps 256
 * pages, writes its pid into every word, writes its pfns to DIR/pfns.PID
 * (one hex pfn a line: the script checks no pfn is in two files), waits
 * for all N to get that far, then checks its pages hold only its pid and
 * the same frames: two guests sharing a frame would see each other. */
static int t_distinct(int argc, char **argv)
{
	const unsigned pages = 256;
	unsigned n = argc > 3 ? (unsigned)atoi(argv[3]) : 1, i, moved = 0;
	uint32_t pid = (uint32_t)vm_getpid(), *w;
	uint64_t pfns[256];
	size_t j, bad = 0;
	char path[PATH_MAX];
	FILE *f;
	char *p;

	if (argc < 3) {
		fprintf(stderr, "usage: pt distinct DIR N\n");
		return 2;
	}
	printf("distinct: guest %u of %u maps and writes 256 pages\n", pid, n);
	p = map_anon(pages, PROT_READ | PROT_WRITE);
	w = (uint32_t *)p;
	for (j = 0; j < (size_t)pages * PAGE / 4; j++)
		w[j] = pid;
	for (i = 0; i < pages; i++)
		pfns[i] = pfn_of(p + (size_t)i * PAGE);
	snprintf(path, sizeof(path), "%s/pfns.%u", argv[2], pid);
	f = fopen(path, "w");
	if (!f)
		die(path);
	for (i = 0; i < pages; i++)
		fprintf(f, "%llx\n", (unsigned long long)pfns[i]);
	if (fclose(f) != 0)
		die(path);
	if (barrier(argv[2], n) < 0) {
		check(0, "guest %u: the %u guests did not all arrive within 30 s", pid, n);
		return 1;
	}
	for (j = 0; j < (size_t)pages * PAGE / 4; j++)
		if (w[j] != pid)
			bad++;
	for (i = 0; i < pages; i++)
		if (pfn_of(p + (size_t)i * PAGE) != pfns[i])
			moved++;
	check(bad == 0, "guest %u: with all %u guests holding theirs, its %u pages hold only its pid "
	      "(%zu words wrong)", pid, n, pages, bad);
	check(moved == 0, "guest %u: its pages kept their frames (%u moved)", pid, moved);
	return failures ? 1 : 0;
}

/* ---- madvise ------------------------------------------------------------ */

/* MADV_DONTNEED drops pages: not present, rss down, zero on the next
 * read; the pages around keep their content. */
static int t_madvise(int argc, char **argv)
{
	const unsigned pages = 32;
	struct vm_rusage a, b;
	char pic[33], *p;

	(void)argc, (void)argv;
	printf("madvise: MADV_DONTNEED on pages 8-15 of 32, then on all\n");
	p = map_anon(pages, PROT_READ | PROT_WRITE);
	fill_pattern(p, pages, 5);
	check(count_present(p, pages, NULL) == pages, "all 32 pages present after writing");
	a = usage();
	if (vm_madvise(p + 8 * PAGE, 8 * PAGE, MADV_DONTNEED) < 0)
		die("vm_madvise");
	b = usage();
	count_present(p, pages, pic);
	check(!strcmp(pic, "########........################"), "pages 8-15 are gone: %s", pic);
	check(a.rss - b.rss == 8, "rss fell by 8 (%llu -> %llu)", (unsigned long long)a.rss,
	      (unsigned long long)b.rss);
	check(nonzero(p + 8 * PAGE, 8 * PAGE) == 0, "they read zero");
	check(pattern_errors(p, 8, 5) == 0 && pattern_errors(p + 16 * PAGE, 16, 5) == 0,
	      "the others kept their content");
	if (vm_madvise(p, (size_t)pages * PAGE, MADV_DONTNEED) < 0)
		die("vm_madvise all");
	check(count_present(p, pages, NULL) == 0, "after MADV_DONTNEED on all, none is present");
	check(nonzero(p, (size_t)pages * PAGE) == 0, "and all read zero");
	return failures ? 1 : 0;
}

/* Map, touch and unmap forever, after saying which host process to kill:
 * the test kills it from outside at some point of its work, and vmrun
 * must free whatever it held. */
static int t_busy(int argc, char **argv)
{
	const unsigned pages = 256;
	unsigned round, i;

	(void)argc;
	(void)argv;
	for (round = 0;; round++) {
		char *p = vm_mmap(NULL, (size_t)pages * PAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			die("vm_mmap");
		for (i = 0; i < pages; i++)
			p[(size_t)i * PAGE + i % 61] = (char)(round + i);
		if (vm_munmap(p + PAGE * 3, PAGE * 7) < 0 || vm_munmap(p, (size_t)pages * PAGE) < 0)
			die("vm_munmap");
		if (round == 0) {
			printf("busy host pid %d\n", (int)getpid());
			fflush(stdout);
		}
	}
	return 0;
}

/* ---- the table ---------------------------------------------------------- */

static const struct mode {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *what;
} modes[] = {
	{ "lazy-anon",         t_lazy_anon,         "pages appear on first touch, one fault each" },
	{ "zero",              t_zero,              "new mmap and sbrk memory reads zero" },
	{ "bad-addr",          t_bad_addr,          "dies: read of an unmapped address (error 4)" },
	{ "null",              t_null,              "dies: read of address 0 (error 4)" },
	{ "write-ro",          t_write_ro,          "dies: write to a present PROT_READ page (error 7)" },
	{ "write-ro-fresh",    t_write_ro_fresh,    "dies: write to an untouched PROT_READ page (error 6)" },
	{ "after-munmap",      t_after_munmap,      "dies: read after munmap (error 4)" },
	{ "mprotect",          t_mprotect,          "RW -> R -> RW keeps the content" },
	{ "mprotect-ro-write", t_mprotect_ro_write, "dies: write after mprotect(PROT_READ), a read (error 7)" },
	{ "mprotect-ro-write-cold", t_mprotect_ro_write_cold,
	  "dies: write right after mprotect(PROT_READ) (error 7)" },
	{ "mprotect-none",     t_mprotect_none,     "dies: read after mprotect(PROT_NONE) (error 4)" },
	{ "kernel",            t_kernel,            "dies: read of 0xc0000000 (error 5)" },
	{ "grow-stack",        t_grow_stack,        "recursion 1 MiB deep on the growing [stack]" },
	{ "big-stk-obj",       t_big_stk_obj,       "a 64 KiB local array on the [stack]" },
	{ "grow-bad",          t_grow_bad,          "dies: [stack] touched below its 8 MiB limit (error 4)" },
	{ "sbrk",              t_sbrk,              "the heap up, used, and down" },
	{ "sbrk-freed",        t_sbrk_freed,        "dies: read of a page the heap gave back (error 4)" },
	{ "mmap-errors",       t_mmap_errors,       "bad arguments get Linux's errno" },
	{ "tlb",               t_tlb,               "[PAGES [TLB]]: more pages than TLB entries" },
	{ "distinct",          t_distinct,          "DIR N: N guests never share a frame" },
	{ "madvise",           t_madvise,           "MADV_DONTNEED drops pages, they read zero" },
	{ "busy",              t_busy,              "map, touch, unmap forever (to be killed)" },
};

static void usage_exit(void)
{
	size_t i;

	fprintf(stderr, "usage: pt [-f FOLIO_PAGES] MODE [ARGS]   (under vmrun)\n");
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		fprintf(stderr, "  %-22s %s\n", modes[i].name, modes[i].what);
	exit(2);
}

int main(int argc, char **argv)
{
	size_t i;

	/* a dying mode's last words must be out before it dies */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 && !strcmp(argv[1], "-f")) {
		folio = atoi(argv[2]);
		if (folio < 1 || folio > 512 || (folio & (folio - 1)))
			usage_exit();
		argv[2] = argv[0];
		argv += 2;
		argc -= 2;
	}
	if (argc < 2)
		usage_exit();
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(argv[1], modes[i].name))
			continue;
		if (!vm_is_guest()) {
			fprintf(stderr, "pt: not a guest; run it under vmrun\n");
			return 2;
		}
		return modes[i].fn(argc, argv);
	}
	fprintf(stderr, "pt: no mode '%s'\n", argv[1]);
	usage_exit();
	return 2;
}
