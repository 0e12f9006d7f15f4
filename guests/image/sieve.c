/* sieve - a bigger image (include/vm/image.h) that exercises each way its
 * pages reach emulated RAM when guests/runimg runs it:
 *
 *   text   64 functions a page apart (256 KiB, more than the loader's
 *          own faults read ahead), called through a table of pointers
 *          (R_X86_64_RELATIVE relocations): each first call is an
 *          instruction fetch from a page of the file, in the page cache;
 *   data   a 3-page initialised table: read (the page cache's page, shared
 *          with the file), then written (a private copy: copy on write),
 *          checked with ops->translate;
 *   bss    an 8 MiB sieve of Eratosthenes: 2048 demand-zero pages;
 *   heap   1 MiB from ops->mmap, heap-sorted and checked;
 *   stack  a recursion 256 KiB deep: the [stack] grows down.
 *
 *   vmrun -- guests/runimg guests/image/sieve [--wait]
 *
 * Prints an "ok"/"FAIL" line per check and the faults it took; exits 0
 * when every check passed, 1 otherwise. "--wait" prints "ready" before
 * the last line and waits for a line on stdin (for vmdump NAME maps 1).
 */
#include "imagelib.h"

#define SIEVE_N		(8u << 20)
#define SIEVE_PRIMES	564163u		/* primes below 2^23 */
#define STEPS		64
#define SORT_N		(256u << 10)	/* 1 MiB of uint32_t */
#define DEPTH		256		/* frames of 1 KiB */
#define PAGE		4096

static unsigned char composite[SIEVE_N];	/* bss */
static int failures;

/* Three pages of .data; no pointer in them, so the relocations leave
 * them alone and the first write to each is the image's own. */
static uint32_t table[3 * PAGE / sizeof(uint32_t)] __attribute__((aligned(PAGE))) = {
	[0] = 0x12345678,
	[PAGE / sizeof(uint32_t)] = 0x9abcdef0,
	[2 * PAGE / sizeof(uint32_t)] = 0x0badcafe,
};

static void check(int cond, const char *what)
{
	printf("%s %s\n", cond ? "ok  " : "FAIL", what);
	if (!cond)
		failures++;
}

/* ---- text: a function per page ------------------------------------------ */

#define STEP(n)								\
	static __attribute__((aligned(PAGE), noinline)) uint32_t step##n(uint32_t x) \
	{								\
		return (x ^ (0x9e3779b9u * (n + 1))) * 2654435761u + n; \
	}
STEP(0) STEP(1) STEP(2) STEP(3) STEP(4) STEP(5) STEP(6) STEP(7)
STEP(8) STEP(9) STEP(10) STEP(11) STEP(12) STEP(13) STEP(14) STEP(15)
STEP(16) STEP(17) STEP(18) STEP(19) STEP(20) STEP(21) STEP(22) STEP(23)
STEP(24) STEP(25) STEP(26) STEP(27) STEP(28) STEP(29) STEP(30) STEP(31)
STEP(32) STEP(33) STEP(34) STEP(35) STEP(36) STEP(37) STEP(38) STEP(39)
STEP(40) STEP(41) STEP(42) STEP(43) STEP(44) STEP(45) STEP(46) STEP(47)
STEP(48) STEP(49) STEP(50) STEP(51) STEP(52) STEP(53) STEP(54) STEP(55)
STEP(56) STEP(57) STEP(58) STEP(59) STEP(60) STEP(61) STEP(62) STEP(63)

static uint32_t (*const steps[STEPS])(uint32_t) = {
	step0, step1, step2, step3, step4, step5, step6, step7,
	step8, step9, step10, step11, step12, step13, step14, step15,
	step16, step17, step18, step19, step20, step21, step22, step23,
	step24, step25, step26, step27, step28, step29, step30, step31,
	step32, step33, step34, step35, step36, step37, step38, step39,
	step40, step41, step42, step43, step44, step45, step46, step47,
	step48, step49, step50, step51, step52, step53, step54, step55,
	step56, step57, step58, step59, step60, step61, step62, step63,
};

/* The loader never touches the text: each step's page is first reached
 * by an instruction fetch here. A fetch that finds the page in no page
 * table is a fault (error code bit 4); the page comes from the file (a
 * major fault) unless an earlier fault read it ahead into the page cache
 * (a minor one), and fault-around maps its cached neighbours without a
 * fault of their own. So the counts vary with readahead, but afterwards
 * every text page must be present and the page cache's (PM_FILE): the
 * code ran from its file's pages, never from a copy. */
static void text_pages(void)
{
	struct vm_rusage r0, r1;
	uint32_t x = 1, want = 1;
	int i, cached = 0, absent = 0;
	uint64_t e;

	for (i = 0; i < STEPS; i++)
		if (ops->translate((void *)steps[i], &e) == 0 && !(e & PM_PRESENT))
			absent++;
	ops->getrusage(&r0);
	for (i = 0; i < STEPS; i++)
		x = steps[i](x);
	ops->getrusage(&r1);
	/* the same arithmetic, inline */
	for (i = 0; i < STEPS; i++)
		want = (want ^ (0x9e3779b9u * (uint32_t)(i + 1))) * 2654435761u + (uint32_t)i;
	printf("text: %d functions from 0x%x to 0x%x, result 0x%x\n", STEPS,
	       (unsigned)ops->gva((void *)steps[0]), (unsigned)ops->gva((void *)steps[STEPS - 1]), x);
	for (i = 0; i < STEPS; i++)
		if (ops->translate((void *)steps[i], &e) == 0 && (e & PM_PRESENT) && (e & PM_FILE))
			cached++;
	printf("text: %d pages run, %d not mapped before: majflt +%lu, minflt +%lu; "
	       "%d are page cache pages\n", STEPS, absent, (unsigned long)(r1.majflt - r0.majflt),
	       (unsigned long)(r1.minflt - r0.minflt), cached);
	check(x == want, "text: every function page ran and gave the right result");
	check(absent > 0 && r1.majflt + r1.minflt > r0.majflt + r0.minflt,
	      "text: pages not mapped yet were faulted in by the fetches");
	check(cached == STEPS, "text: every page run is the file's, from the page cache");
}

/* ---- data: copy on write of a private file page ------------------------- */

static void data_cow(void)
{
	uint64_t before, after, other;
	volatile uint32_t *p = table;
	uint32_t v = p[0];

	ops->translate(&table[0], &before);
	p[0] = v + 1;
	ops->translate(&table[0], &after);
	ops->translate(&table[PAGE / sizeof(uint32_t)], &other);
	printf("data: 0x%x read: pfn 0x%lx%s; written: pfn 0x%lx%s\n",
	       (unsigned)ops->gva(&table[0]), (unsigned long)(before & PM_PFRAME_MASK),
	       (before & PM_FILE) ? " (file)" : "", (unsigned long)(after & PM_PFRAME_MASK),
	       (after & PM_FILE) ? " (file)" : "");
	check(v == 0x12345678 && table[0] == 0x12345679 &&
	      table[PAGE / sizeof(uint32_t)] == 0x9abcdef0 &&
	      table[2 * PAGE / sizeof(uint32_t)] == 0x0badcafe, "data: initial values from the file");
	check((before & PM_PRESENT) && (after & PM_PRESENT) &&
	      (before & PM_PFRAME_MASK) != (after & PM_PFRAME_MASK),
	      "data: the first write copied the page (a new frame)");
	check(!(other & PM_PRESENT) || (other & PM_FILE),
	      "data: the next page, never written, is still the file's");
}

/* ---- bss: the sieve ----------------------------------------------------- */

static void sieve(void)
{
	uint32_t i, j, n = 0;
	int clean = 1;

	for (i = 0; i < SIEVE_N; i += PAGE)
		if (composite[i])
			clean = 0;
	check(clean, "bss: 8 MiB of zeroes");
	composite[0] = composite[1] = 1;
	for (i = 2; i * i < SIEVE_N; i++)
		if (!composite[i])
			for (j = i * i; j < SIEVE_N; j += i)
				composite[j] = 1;
	for (i = 0; i < SIEVE_N; i++)
		n += !composite[i];
	printf("bss: %u primes below %u\n", n, SIEVE_N);
	check(n == SIEVE_PRIMES, "bss: the prime count is right");
}

/* ---- heap: sort what ops->mmap gave -------------------------------------- */

static void sift(uint32_t *a, uint32_t i, uint32_t n)
{
	for (;;) {
		uint32_t c = 2 * i + 1, t;

		if (c >= n)
			return;
		if (c + 1 < n && a[c + 1] > a[c])
			c++;
		if (a[i] >= a[c])
			return;
		t = a[i], a[i] = a[c], a[c] = t;
		i = c;
	}
}

static void heap_sort(void)
{
	uint32_t *a, i, t, x = 2463534242u;
	uint64_t sum = 0, sum2 = 0;
	int sorted = 1;

	a = ops->mmap(0, SORT_N * sizeof(*a), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	if (a == MAP_FAILED) {
		check(0, "heap: ops->mmap");
		return;
	}
	for (i = 0; i < SORT_N; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		a[i] = x;
		sum += x;
	}
	for (i = SORT_N / 2; i-- > 0;)
		sift(a, i, SORT_N);
	for (i = SORT_N - 1; i > 0; i--) {
		t = a[0], a[0] = a[i], a[i] = t;
		sift(a, 0, i);
	}
	for (i = 0; i < SORT_N; i++) {
		sum2 += a[i];
		if (i && a[i - 1] > a[i])
			sorted = 0;
	}
	printf("heap: %u numbers sorted at 0x%x\n", SORT_N, (unsigned)ops->gva(a));
	check(sorted && sum == sum2, "heap: sorted, nothing lost");
	check(ops->munmap(a, SORT_N * sizeof(*a)) == 0, "heap: ops->munmap");
}

/* ---- stack: deeper than the [stack] VMA starts -------------------------- */

static __attribute__((noinline)) uint32_t deep(int n, uint32_t seed)
{
	volatile unsigned char frame[1024];
	uint32_t i, s = 0;

	for (i = 0; i < sizeof(frame); i++)
		frame[i] = (unsigned char)(seed + i);
	if (n > 0)
		s = deep(n - 1, seed * 31 + 7);
	for (i = 0; i < sizeof(frame); i += 64)
		s += frame[i];
	return s;
}

static void stack_growth(void)
{
	unsigned char here;
	uint32_t a = deep(DEPTH, 1), b = deep(DEPTH, 1);

	printf("stack: %d KiB deep from 0x%x\n", DEPTH, (unsigned)ops->gva(&here));
	check(a == b, "stack: the same result twice");
}

int image_main(int argc, char **argv, const struct vm_image_ops *o)
{
	struct vm_rusage ru;
	int i, wait = 0;
	char c;

	if (image_start(o) < 0)
		return 126;
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--wait"))
			wait = 1;
	text_pages();
	data_cow();
	sieve();
	heap_sort();
	stack_growth();
	if (wait) {
		printf("ready\n");
		while (ops->read(0, &c, 1) == 1 && c != '\n')
			;
	}
	ops->getrusage(&ru);
	printf("sieve: %d failed, minflt %lu majflt %lu rss %lu\n", failures,
	       (unsigned long)ru.minflt, (unsigned long)ru.majflt, (unsigned long)ru.rss);
	return failures ? 1 : 0;
}
