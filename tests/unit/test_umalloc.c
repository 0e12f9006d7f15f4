/* test_umalloc.c - the guest's malloc (umalloc.c) running as a real guest:
 * each case boots a machine, makes this process a task, allocates through
 * the emulated MMU (every first touch a page fault), frees everything,
 * exits and reaps the task, and ends with every frame back. Covered: every
 * size class, reuse, coalescing, realloc, calloc and demand-zero, mmapped
 * large blocks, growth and trimming of the break, bad frees, a new task's
 * fresh heap, a break moved behind the allocator's back, frees from a
 * signal handler, and a randomized stress against a shadow of contents.
 */
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "common.h"
#include "../../libvm/internal.h"
#include <vm/guest.h>

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)

#define CHUNK(n)	((n) + 4 <= 16 ? 16 : (((n) + 4 + 15) & ~(size_t)15))

/* ---- a guest per case ---------------------------------------------------- */

/* Boot ram bytes (anonymous faults of one page when single, so a test can
 * see exactly which pages were touched) and become a fresh task. */
static int guest_begin(struct test_machine *tm, uint64_t ram, bool single)
{
	struct vm_boot_opts o = { .ram_bytes = ram, .mode = VM_MODE_I386,
				  .folio_order = single ? -1 : 0 };
	int pid;

	if (vm_boot(&o) != 0)
		fail_msg("boot failed: %s", vm_strerror());
	tm->boot_free = nr_free_frames();
	pid = vm_task_create("umalloc", 0);
	assert_true(pid > 0);
	assert_int_equal(vm_task_enter(pid), 0);
	assert_true(vm_is_guest());
	return pid;
}

static void assert_heap_valid(void)
{
	struct vm_report r = { .out = stderr };

	assert_int_equal(validate_umalloc(&r), 0);
}

/* The task's end: heap consistent, exit (every frame of its mm freed),
 * reap, and the machine's own end checks. */
static void guest_end(struct test_machine *tm, int pid)
{
	assert_heap_valid();
	vm_task_exit(current, 0);
	assert_int_equal(vm_task_reap(pid, NULL), 0);
	assert_null(current);
	test_shutdown(tm);
}

/* A case that failed mid-way is still a guest: stop being one first. */
static int teardown(void **state)
{
	(void)state;
	vm_task_leave();
	vm_destroy();
	return 0;
}

static char *brk_now(void)
{
	char *b = vm_sbrk(0);

	assert_ptr_not_equal(b, (char *)-1);
	return b;
}

/* Between start_brk and the break (mapped blocks lie far above). */
static bool in_heap(const void *p)
{
	return (const char *)p >= (char *)vm_ptr(DEFAULT_START_BRK) && (const char *)p < brk_now();
}

static uint64_t total_vm(void)
{
	return task_mm(current)->total_vm;
}

static bool present(const void *p)
{
	uint64_t e;

	assert_int_equal(vm_translate(p, &e), 0);
	return (e & PM_PRESENT) != 0;
}

/* Contents: 8-byte words that depend on the seed and the offset, so a
 * block that moved, overlapped or lost a prefix shows. */
static uint64_t word_at(uint32_t seed, size_t i)
{
	uint64_t z = ((uint64_t)seed << 32) + i + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void fill(void *p, size_t n, uint32_t seed)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t w = word_at(seed, i / 8);

		memcpy(b + i, &w, 8);
	}
	for (; i < n; i++)
		b[i] = (uint8_t)(word_at(seed, i / 8) >> (8 * (i % 8)));
}

static bool holds(const void *p, size_t n, uint32_t seed)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t w = word_at(seed, i / 8);

		if (memcmp(b + i, &w, 8))
			return false;
	}
	for (; i < n; i++)
		if (b[i] != (uint8_t)(word_at(seed, i / 8) >> (8 * (i % 8))))
			return false;
	return true;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static unsigned rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(*s >> 33);
}

/* ---- size classes and reuse -------------------------------------------- */

/* Both ends of every class: 0..528 byte by byte (the exact 16-byte
 * classes), then four geometric classes per power of two up to the mmap
 * threshold, and each side of 128 KiB. All live at once, each aligned,
 * each holding its own bytes. */
static void test_every_size_class_aligned_and_separate(void **state)
{
	enum { MAX = 1200 };
	static void *p[MAX];
	static size_t n[MAX];
	struct test_machine tm;
	unsigned count = 0, i;
	int pid;

	(void)state;
	pid = guest_begin(&tm, 64 * MiB, false);
	for (size_t s = 0; s <= 528; s++)
		n[count++] = s;
	for (unsigned k = 9; k < 17; k++)
		for (unsigned sub = 0; sub < 4; sub++) {
			size_t lb = (size_t)(4 + sub) << (k - 2);

			n[count++] = lb - 5;
			n[count++] = lb - 4;
			n[count++] = lb - 3;
			n[count++] = lb + 13;
		}
	n[count++] = 128 * KiB - 1;
	n[count++] = 128 * KiB;
	n[count++] = 128 * KiB + 1;
	assert_true(count <= MAX);
	for (i = 0; i < count; i++) {
		if (n[i] >= 128 * KiB + 1)
			break;
		p[i] = vm_malloc(n[i]);
		assert_non_null(p[i]);
		assert_int_equal((uintptr_t)p[i] % 16, 0);
		fill(p[i], n[i], i);
	}
	for (; i < count; i++) {
		p[i] = vm_malloc(n[i]);
		assert_non_null(p[i]);
		fill(p[i], n[i], i);
	}
	assert_heap_valid();
	for (i = 0; i < count; i++)
		assert_true(holds(p[i], n[i], i));
	/* the chunk a request takes: its size - 4 usable, the next is next */
	char *a = vm_malloc(100), *b = vm_malloc(100);
	assert_int_equal(b - a, CHUNK(100));
	for (i = 0; i < count; i += 2)
		vm_free(p[i]);
	assert_heap_valid();
	for (i = 1; i < count; i += 2) {
		assert_true(holds(p[i], n[i], i));
		vm_free(p[i]);
	}
	vm_free(a);
	vm_free(b);
	guest_end(&tm, pid);
}

static void test_malloc_zero_unique_and_free_null(void **state)
{
	struct test_machine tm;
	int pid;

	(void)state;
	pid = guest_begin(&tm, 64 * MiB, false);
	void *a = vm_malloc(0), *b = vm_malloc(0);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	vm_free(NULL);
	vm_free(a);
	vm_free(b);
	errno = 0;
	assert_null(vm_malloc(SIZE_MAX));
	assert_int_equal(errno, ENOMEM);
	errno = 0;
	assert_null(vm_malloc(3ULL << 30));		/* more than the user window */
	assert_int_equal(errno, ENOMEM);
	guest_end(&tm, pid);
}

/* Free, then ask again for the same size: the same block, from its class
 * list (LIFO), for a small, a class-rounded and a large-bin size. */
static void test_freed_block_comes_back(void **state)
{
	static const size_t sizes[] = { 1, 24, 100, 500, 512, 600, 3000, 40000, 100000 };
	struct test_machine tm;
	int pid;

	(void)state;
	pid = guest_begin(&tm, 64 * MiB, false);
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		void *a = vm_malloc(sizes[i]), *g1 = vm_malloc(8);
		void *b = vm_malloc(sizes[i]), *g2 = vm_malloc(8);

		assert_non_null(a);
		assert_non_null(b);
		vm_free(a);
		vm_free(b);
		assert_ptr_equal(vm_malloc(sizes[i]), b);	/* last freed, first back */
		assert_ptr_equal(vm_malloc(sizes[i]), a);
		vm_free(a);
		vm_free(g1);
		vm_free(b);
		vm_free(g2);
	}
	/* one freed next to the top melts into it, and comes back the same */
	void *t = vm_malloc(2000);
	vm_free(t);
	assert_ptr_equal(vm_malloc(2000), t);
	vm_free(t);
	guest_end(&tm, pid);
}

/* Neighbours merge both ways at once:
 *   a b c d g : . b . d g   free a, c: two holes
 *               . . . d g   free b: one chunk a..c, reused whole
 */
static void test_free_coalesces_neighbours(void **state)
{
	struct test_machine tm;
	int pid;

	(void)state;
	pid = guest_begin(&tm, 64 * MiB, false);
	char *a = vm_malloc(1000), *b = vm_malloc(1000), *c = vm_malloc(1000);
	char *d = vm_malloc(1000), *g = vm_malloc(16);

	assert_ptr_equal(b, a + CHUNK(1000));
	assert_ptr_equal(c, b + CHUNK(1000));
	vm_free(a);
	vm_free(c);
	assert_heap_valid();
	vm_free(b);
	assert_heap_valid();
	char *big = vm_malloc(3 * CHUNK(1000) - 4);	/* exactly the merged chunk */
	assert_ptr_equal(big, a);
	fill(big, 3 * CHUNK(1000) - 4, 7);
	vm_free(big);
	/* forward into a free neighbour, then everything into the top */
	vm_free(d);
	vm_free(g);
	assert_heap_valid();
	assert_ptr_equal(vm_malloc(4 * CHUNK(1000)), a);
	vm_free(a);
	guest_end(&tm, pid);
}

/* ---- realloc ------------------------------------------------------------ */

static void test_realloc_grows_and_shrinks_keeping_contents(void **state)
{
	struct test_machine tm;
	char *p, *q, *g;
	int pid;

	(void)state;
	pid = guest_begin(&tm, 64 * MiB, false);
	p = vm_realloc(NULL, 100);			/* realloc(NULL) is malloc */
	assert_non_null(p);
	fill(p, 100, 1);
	q = vm_realloc(p, 5000);			/* next to the top: in place */
	assert_ptr_equal(q, p);
	assert_true(holds(q, 100, 1));
	fill(q, 5000, 2);
	q = vm_realloc(q, 40);				/* shrink in place, tail freed */
	assert_ptr_equal(q, p);
	assert_true(holds(q, 40, 2));
	assert_heap_valid();
	q = vm_realloc(q, 300 * KiB);			/* to a mapping of its own */
	assert_non_null(q);
	assert_int_equal((uintptr_t)q % PAGE_SIZE, 16);
	assert_true(holds(q, 40, 2));
	fill(q, 300 * KiB, 3);
	p = vm_realloc(q, 200 * KiB);			/* stays mapped, tail unmapped */
	assert_ptr_equal(p, q);
	assert_true(holds(p, 200 * KiB, 3));
	p = vm_realloc(p, 1 * MiB);			/* a fresh mapping, copied */
	assert_true(holds(p, 200 * KiB, 3));
	fill(p, 1 * MiB, 4);
	q = vm_realloc(p, 1000);			/* back into the heap */
	assert_true(in_heap(q));
	assert_true(holds(q, 1000, 4));
	assert_heap_valid();

	/* in place into a free neighbour: exactly both chunks, no remainder */
	g = vm_malloc(1000);
	char *r = vm_malloc(16), *r2 = vm_malloc(16);
	vm_free(g);
	p = vm_realloc(q, 2 * CHUNK(1000) - 4);
	assert_ptr_equal(p, q);
	assert_true(holds(p, 1000, 4));
	/* boxed in: moves, and the old block is free for reuse */
	fill(r, 16, 5);
	q = vm_realloc(r, 4000);
	assert_ptr_not_equal(q, r);
	assert_true(holds(q, 16, 5));
	assert_ptr_equal(vm_malloc(16), r);
	vm_free(r);
	vm_free(r2);
	assert_null(vm_realloc(q, 0));			/* frees, as glibc's does */
	errno = 0;
	assert_null(vm_realloc(p, SIZE_MAX / 2));	/* fails, p untouched */
	assert_int_equal(errno, ENOMEM);
	assert_true(holds(p, 1000, 4));
	vm_free(p);
	guest_end(&tm, pid);
}

/* ---- calloc and demand paging ------------------------------------------ */

/* Fresh heap and fresh mappings are demand-zero: calloc leaves them alone
 * (their pages stay not present); reused memory it zeroes. */
static void test_calloc_zeroes_only_reused_memory(void **state)
{
	struct test_machine tm;
	int pid;

	(void)state;
	pid = guest_begin(&tm, 64 * MiB, true);
	char *c = vm_calloc(1, 100000);			/* from a fresh top */
	assert_non_null(c);
	for (size_t off = PAGE_SIZE; off + PAGE_SIZE < 100000; off += PAGE_SIZE)
		assert_false(present(c + off));
	assert_true(all_zero(c, 100000));
	char *m = vm_calloc(256, 1024);			/* a mapping: nothing touched */
	assert_int_equal((uintptr_t)m % PAGE_SIZE, 16);
	for (size_t off = PAGE_SIZE; off < 256 * KiB; off += PAGE_SIZE)
		assert_false(present(m + off));
	assert_true(all_zero(m, 256 * KiB));
	vm_free(m);

	char *g = vm_malloc(16);
	char *p = vm_malloc(3000);
	char *g2 = vm_malloc(16);
	memset(p, 0xab, 3000);
	vm_free(p);
	char *z = vm_calloc(3, 1000);			/* the same block, zeroed */
	assert_ptr_equal(z, p);
	assert_true(all_zero(z, 3000));
	vm_free(z);
	vm_free(g);
	vm_free(g2);
	vm_free(c);

	/* dirty 240000 bytes, trim them away, grow again: zero */
	char *brk0 = brk_now();
	char *x = vm_malloc(120000), *y = vm_malloc(120000);
	memset(x, 0xcd, 120000);
	memset(y, 0xcd, 120000);
	assert_true(brk_now() > brk0);
	vm_free(y);
	vm_free(x);
	assert_ptr_equal(brk_now(), brk0);		/* trimmed */
	char *a = vm_malloc(120000);
	char *b = vm_calloc(1, 120000);			/* over y's old pages */
	assert_ptr_equal(b, y);
	assert_true(all_zero(b, 120000));
	vm_free(b);
	vm_free(a);
	assert_ptr_equal(brk_now(), brk0);

	errno = 0;
	assert_null(vm_calloc(SIZE_MAX / 2, 3));	/* n * size overflows */
	assert_int_equal(errno, ENOMEM);
	errno = 0;
	assert_null(vm_calloc(1ULL << 32, 1ULL << 32));
	assert_int_equal(errno, ENOMEM);
	guest_end(&tm, pid);
}

/* malloc writes headers, never the memory it hands out: a 100000-byte
 * block from the top faults in its first page only (where its header is)
 * and nothing past it; a large mapped one nothing but its first page. */
static void test_heap_touches_only_headers(void **state)
{
	struct test_machine tm;
	struct vm_rusage r0, r1;
	int pid;

	(void)state;
	pid = guest_begin(&tm, 64 * MiB, true);
	assert_int_equal(vm_getrusage(&r0), 0);
	char *p = vm_malloc(100000);
	char *q = vm_malloc(50);
	assert_int_equal(vm_getrusage(&r1), 0);
	/* p's header page, q's header page: two faults at most */
	assert_true(r1.minflt - r0.minflt <= 2);
	for (size_t off = PAGE_SIZE; off + PAGE_SIZE <= 100000; off += PAGE_SIZE)
		assert_false(present(p + off));
	assert_false(present(q + 2 * PAGE_SIZE));	/* the top */
	p[50000] = 1;					/* the caller's touch */
	assert_true(present(p + 50000));
	char *l = vm_malloc(1 * MiB);
	assert_true(present(l));
	for (size_t off = PAGE_SIZE; off < 1 * MiB; off += 64 * KiB)
		assert_false(present(l + off));
	vm_free(l);
	vm_free(q);
	vm_free(p);
	guest_end(&tm, pid);
}

/* ---- the break and mappings -------------------------------------------- */

/* 128 KiB and up: a mapping each (page offset 16), the break untouched;
 * free unmaps it (total_vm back). */
static void test_large_blocks_are_mapped_and_unmapped(void **state)
{
	static const size_t sizes[] = { 128 * KiB, 128 * KiB + 1, 1 * MiB, 5 * MiB + 77 };
	struct test_machine tm;
	void *p[ARRAY_SIZE(sizes)];
	uint64_t vm0, pages = 0;
	char *brk0;
	int pid;

	(void)state;
	pid = guest_begin(&tm, 64 * MiB, false);
	vm_free(vm_malloc(1));				/* the heap exists */
	brk0 = brk_now();
	vm0 = total_vm();
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		p[i] = vm_malloc(sizes[i]);
		assert_non_null(p[i]);
		assert_int_equal((uintptr_t)p[i] % PAGE_SIZE, 16);
		pages += (sizes[i] + 16 + PAGE_SIZE - 1) / PAGE_SIZE;
		assert_int_equal(total_vm(), vm0 + pages);
		fill(p[i], sizes[i], i);
	}
	assert_ptr_equal(brk_now(), brk0);
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++)
		assert_true(holds(p[i], sizes[i], i));
	assert_heap_valid();
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++)
		vm_free(p[i]);
	assert_int_equal(total_vm(), vm0);
	/* just under the threshold stays in the heap */
	char *h = vm_malloc(128 * KiB - 1);
	assert_true(in_heap(h));
	vm_free(h);
	guest_end(&tm, pid);
}

/* The heap grows by 128 KiB or more at a time, and when the top exceeds
 * 128 KiB all but 128 KiB of it goes back: the break comes down. */
static void test_heap_grows_in_steps_and_trims(void **state)
{
	enum { N = 4000 };
	static void *p[N];
	struct test_machine tm;
	char *start, *peak;
	int pid;

	(void)state;
	pid = guest_begin(&tm, 64 * MiB, false);
	start = brk_now();
	assert_ptr_equal(start, vm_ptr(DEFAULT_START_BRK));
	p[0] = vm_malloc(16);
	assert_true(brk_now() - start >= (ptrdiff_t)(128 * KiB));
	for (unsigned i = 1; i < N; i++) {
		char *before = brk_now();

		p[i] = vm_malloc(500);
		assert_non_null(p[i]);
		memset(p[i], (int)i, 500);
		if (brk_now() != before)
			assert_true(brk_now() - before >= (ptrdiff_t)(128 * KiB));
	}
	peak = brk_now();
	assert_true(peak - start >= (ptrdiff_t)(N * 512));
	/* freeing from the bottom: holes, no trim */
	for (unsigned i = 0; i < N / 2; i++)
		vm_free(p[i]);
	assert_ptr_equal(brk_now(), peak);
	assert_heap_valid();
	/* then the top half: everything merges into the top, which is trimmed */
	for (unsigned i = N - 1; i >= N / 2; i--)
		vm_free(p[i]);
	assert_true(brk_now() - start <= (ptrdiff_t)(128 * KiB + 2 * PAGE_SIZE));
	assert_true(brk_now() - start >= (ptrdiff_t)(128 * KiB));
	assert_heap_valid();
	/* and it grows again, reusing what is left first */
	p[0] = vm_malloc(200);
	assert_ptr_equal(p[0], (char *)start + 16);
	vm_free(p[0]);
	guest_end(&tm, pid);
}

/* Someone else moves the break between our calls: the heap starts a new
 * segment after theirs and never writes into it; the old top is filed. */
static void test_foreign_sbrk_starts_new_segment(void **state)
{
	enum { N = 600 };
	static void *p[N];
	struct test_machine tm;
	int pid;

	(void)state;
	pid = guest_begin(&tm, 64 * MiB, false);
	void *a = vm_malloc(1000);
	char *mine = vm_sbrk(10000);			/* not page-sized on purpose */
	assert_ptr_not_equal(mine, (char *)-1);
	fill(mine, 10000, 99);
	for (unsigned i = 0; i < N; i++) {
		p[i] = vm_malloc(1000);
		fill(p[i], 1000, i);
	}
	assert_heap_valid();
	assert_true(holds(mine, 10000, 99));
	for (unsigned i = 0; i < N; i++) {
		assert_true(holds(p[i], 1000, i));
		vm_free(p[i]);
	}
	vm_free(a);
	assert_heap_valid();
	assert_true(holds(mine, 10000, 99));
	/* the old segment's free space is used again */
	void *b = vm_malloc(50000);
	assert_ptr_equal(b, a);
	vm_free(b);
	assert_heap_valid();
	guest_end(&tm, pid);
}

/* brk blocked by a mapping just above the break: the heap goes on in a
 * mapped segment; once the wall is gone, brk serves again in a third
 * segment. Nothing merges across the gaps (the walk checks the fences). */
static void test_blocked_brk_falls_back_to_a_mapped_segment(void **state)
{
	enum { N = 2000 };
	static void *p[N];
	struct test_machine tm;
	char *start, *wall;
	unsigned mapped = 0;
	int pid;

	(void)state;
	pid = guest_begin(&tm, 64 * MiB, false);
	start = brk_now();
	vm_free(vm_malloc(1));
	wall = vm_mmap(brk_now(), PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	assert_ptr_not_equal(wall, MAP_FAILED);
	for (unsigned i = 0; i < N / 2; i++) {
		p[i] = vm_malloc(1000);
		assert_non_null(p[i]);
		fill(p[i], 1000, i);
		mapped += (char *)p[i] >= wall + PAGE_SIZE;
	}
	assert_true(mapped > 0);
	assert_ptr_equal(brk_now(), wall);
	assert_heap_valid();
	assert_int_equal(vm_munmap(wall, PAGE_SIZE), 0);
	for (unsigned i = N / 2; i < N; i++) {
		p[i] = vm_malloc(1000);
		assert_non_null(p[i]);
		fill(p[i], 1000, i);
	}
	assert_true(brk_now() > wall);			/* the break moved again */
	assert_heap_valid();
	for (unsigned i = 0; i < N; i++) {
		assert_true(holds(p[i], 1000, i));
		vm_free(p[i]);
	}
	assert_heap_valid();
	assert_true(brk_now() > start);
	guest_end(&tm, pid);
}

/* ---- misuse --------------------------------------------------------------- */

/* The guest the misuse cases run as: a host child of it is no guest
 * until it enters the task again. */
static int abort_guest;

/* Run f in a host child that enters our task (it shares our RAM: f must
 * abort before writing it) and expect SIGABRT with msg on stderr. */
static void expect_abort(void (*f)(void *), void *arg, const char *msg)
{
	char out[512] = "";
	int fds[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGABRT, SIG_DFL);
		dup2(fds[1], 2);
		if (vm_task_enter(abort_guest) != 0)
			_exit(99);
		f(arg);
		_exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], out + got, sizeof(out) - 1 - (size_t)got)) > 0)
		got += n;
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	find_task_by_pid(abort_guest)->host_pid = getpid();	/* the task is ours again */
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT || !strstr(out, msg))
		fail_msg("expected abort with \"%s\", got status %#x and \"%s\"", msg, status, out);
}

static void do_free_it(void *p)
{
	vm_free(p);
}

static void do_realloc_it(void *p)
{
	vm_realloc(p, 100);
}

static void test_bad_frees_abort(void **state)
{
	struct test_machine tm;
	int on_stack, pid;

	(void)state;
	pid = guest_begin(&tm, 64 * MiB, false);
	abort_guest = pid;
	char *a = vm_malloc(100), *b = vm_malloc(200), *c = vm_malloc(300);
	char *g = vm_malloc(16);

	vm_free(b);
	expect_abort(do_free_it, b, "vm_free(): double free or corruption");
	expect_abort(do_realloc_it, b, "vm_realloc(): double free or corruption");
	vm_free(c);					/* merged with b: a stale header */
	expect_abort(do_free_it, c, "vm_free(): double free or corruption");
	expect_abort(do_free_it, a + 1, "vm_free(): invalid pointer");
	expect_abort(do_free_it, a + 32, "vm_free(): ");
	expect_abort(do_free_it, &on_stack, "vm_free(): invalid pointer");
	vm_free(g);
	vm_free(a);					/* all in the top now */
	expect_abort(do_free_it, a, "vm_free(): double free or corruption (top)");
	char *l = vm_malloc(1 * MiB);
	expect_abort(do_free_it, l + 4096, "vm_free(): invalid pointer");
	vm_free(l);
	guest_end(&tm, pid);
}

static unsigned long heap_violations(void)
{
	struct vm_report r = { .out = NULL };

	return validate_umalloc(&r);
}

/* The walk sees a footer that disagrees and a free chunk marked in use. */
static void test_validate_umalloc_catches_corruption(void **state)
{
	struct test_machine tm;
	uint32_t saved;
	int pid;

	(void)state;
	pid = guest_begin(&tm, 64 * MiB, false);
	char *a = vm_malloc(100), *b = vm_malloc(100);
	void *g = vm_malloc(16);
	vm_free(a);
	assert_int_equal(heap_violations(), 0);
	uint32_t *footer = (uint32_t *)(b - 8);		/* b's prev_size: a's size */
	assert_int_equal(*footer, CHUNK(100));
	saved = *footer;
	*footer = 4096;
	assert_true(heap_violations() >= 1);
	*footer = saved;
	assert_int_equal(heap_violations(), 0);
	uint32_t *head = (uint32_t *)(a - 4);		/* a's size and flags */
	*head |= 2;					/* CINUSE on a free chunk */
	assert_true(heap_violations() >= 1);
	*head &= ~2u;
	assert_int_equal(heap_violations(), 0);
	vm_free(b);
	vm_free(g);
	guest_end(&tm, pid);
}

/* ---- tasks ---------------------------------------------------------------- */

/* The allocator's state belongs to one address space: a second task in
 * the same process starts with an empty heap at its own start_brk. */
static void test_new_task_gets_a_fresh_heap(void **state)
{
	struct test_machine tm;
	int pid, pid2;

	(void)state;
	pid = guest_begin(&tm, 64 * MiB, false);
	char *a = vm_malloc(5000);
	void *keep = vm_malloc(100);			/* left allocated on purpose */
	(void)keep;
	memset(a, 1, 5000);
	vm_free(a);
	vm_task_exit(current, 0);
	assert_int_equal(vm_task_reap(pid, NULL), 0);

	pid2 = vm_task_create("umalloc2", 0);
	assert_true(pid2 > 0);
	assert_int_equal(vm_task_enter(pid2), 0);
	char *b = vm_calloc(1, 5000);
	assert_ptr_equal(b, vm_ptr(DEFAULT_START_BRK + 16));
	assert_true(all_zero(b, 5000));
	assert_heap_valid();
	vm_free(b);
	guest_end(&tm, pid2);
}

/* ---- signals ------------------------------------------------------------ */

enum { SIG_POOL = 3000 };
static void *sig_pool[SIG_POOL];
static void *sig_got[SIG_POOL];
static volatile int sig_next, sig_ngot, sig_refused;

/* Free one block, try to allocate one: while the main flow is inside the
 * allocator, the free is queued and the allocation refused. */
static void on_alarm(int sig)
{
	void *p;

	(void)sig;
	if (sig_next < SIG_POOL)
		vm_free(sig_pool[sig_next++]);
	if (sig_ngot < SIG_POOL) {
		p = vm_malloc(48);
		if (p)
			sig_got[sig_ngot++] = p;
		else
			sig_refused++;
	}
}

static void test_signal_handler_frees_safely(void **state)
{
	enum { LIVE = 512 };
	static void *live[LIVE];
	struct itimerval it = { { 0, 20 }, { 0, 20 } }, off = { { 0, 0 }, { 0, 0 } };
	struct test_machine tm;
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	uint64_t seed = 1;
	unsigned long ops = 0;
	int pid;

	(void)state;
	pid = guest_begin(&tm, 64 * MiB, false);
	sig_next = sig_ngot = sig_refused = 0;
	for (unsigned i = 0; i < SIG_POOL; i++) {
		sig_pool[i] = vm_malloc(16 + i % 700);
		assert_non_null(sig_pool[i]);
	}
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	while (sig_next < SIG_POOL && ops < 50000000UL) {
		unsigned i = rnd(&seed) % LIVE;

		if (live[i]) {
			vm_free(live[i]);
			live[i] = NULL;
		} else {
			live[i] = vm_malloc(rnd(&seed) % 3000);
			assert_non_null(live[i]);
		}
		ops++;
	}
	assert_int_equal(setitimer(ITIMER_REAL, &off, NULL), 0);
	assert_int_equal(sigaction(SIGALRM, &old, NULL), 0);
	assert_int_equal(sig_next, SIG_POOL);
	assert_heap_valid();
	for (unsigned i = 0; i < LIVE; i++)
		vm_free(live[i]);
	for (int i = 0; i < sig_ngot; i++)
		vm_free(sig_got[i]);
	assert_heap_valid();
	print_message("signal: %lu ops, %d handler allocations, %d refused\n",
		      ops, sig_ngot, sig_refused);
	guest_end(&tm, pid);
}

/* ---- stress ----------------------------------------------------------------- */

/* 200000 random mallocs, callocs, reallocs and frees over 2048 slots, sizes
 * from 0 to 600 KiB (most small), every block filled with words from its
 * seed and checked whole before it is freed or after it moves; the heap
 * walked every 20000 operations; at the end everything freed, the break
 * back down and every mapping gone. */
static void test_random_stress_against_shadow(void **state)
{
	enum { SLOTS = 2048, OPS = 200000 };
	static struct { char *p; size_t n; uint32_t seed; } s[SLOTS];
	struct test_machine tm;
	uint64_t rs = 12345, vm0, live = 0, peak = 0;
	uint32_t seed = 1;
	char *brk0;
	int pid;

	(void)state;
	pid = guest_begin(&tm, 128 * MiB, false);
	memset(s, 0, sizeof(s));
	vm_free(vm_malloc(1));				/* the heap's first 132 KiB */
	brk0 = brk_now();
	vm0 = total_vm();
	for (unsigned op = 0; op < OPS; op++) {
		unsigned i = rnd(&rs) % SLOTS, r = rnd(&rs) % 100, kind = rnd(&rs) % 100;
		size_t n = r < 60 ? rnd(&rs) % 257 :
			   r < 85 ? 257 + rnd(&rs) % 3840 :
			   r < 97 ? 4097 + rnd(&rs) % 61440 :
			   r < 99 ? 65537 + rnd(&rs) % 65535 :
				    128 * KiB + rnd(&rs) % (472 * KiB);

		if (!s[i].p) {
			if (kind < 30) {
				s[i].p = vm_calloc(1, n);
				assert_non_null(s[i].p);
				if (!all_zero(s[i].p, n))
					fail_msg("op %u: calloc(%zu) not zero", op, n);
			} else {
				s[i].p = vm_malloc(n);
				assert_non_null(s[i].p);
			}
			assert_int_equal((uintptr_t)s[i].p % 16, 0);
			s[i].n = n;
			s[i].seed = seed++;
			fill(s[i].p, n, s[i].seed);
			live += n;
		} else if (kind < 50) {
			if (!holds(s[i].p, s[i].n, s[i].seed))
				fail_msg("op %u: block of %zu changed", op, s[i].n);
			vm_free(s[i].p);
			live -= s[i].n;
			s[i].p = NULL;
		} else {
			char *q = vm_realloc(s[i].p, n ? n : 1);

			n = n ? n : 1;
			assert_non_null(q);
			if (!holds(q, n < s[i].n ? n : s[i].n, s[i].seed))
				fail_msg("op %u: realloc %zu -> %zu lost contents", op, s[i].n, n);
			live += n;
			live -= s[i].n;
			s[i].p = q;
			s[i].n = n;
			s[i].seed = seed++;
			fill(q, n, s[i].seed);
		}
		if (live > peak)
			peak = live;
		if (op % 20000 == 0)
			assert_heap_valid();
	}
	for (unsigned i = 0; i < SLOTS; i++)
		if (s[i].p) {
			if (!holds(s[i].p, s[i].n, s[i].seed))
				fail_msg("end: block of %zu changed", s[i].n);
			vm_free(s[i].p);
		}
	assert_heap_valid();
	assert_ptr_equal(brk_now(), brk0);		/* trimmed back */
	assert_int_equal(total_vm(), vm0);		/* and every mapping gone */
	print_message("stress: %u ops, peak %llu KiB live\n", OPS,
		      (unsigned long long)(peak >> 10));
	guest_end(&tm, pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_every_size_class_aligned_and_separate, teardown),
		cmocka_unit_test_teardown(test_malloc_zero_unique_and_free_null, teardown),
		cmocka_unit_test_teardown(test_freed_block_comes_back, teardown),
		cmocka_unit_test_teardown(test_free_coalesces_neighbours, teardown),
		cmocka_unit_test_teardown(test_realloc_grows_and_shrinks_keeping_contents, teardown),
		cmocka_unit_test_teardown(test_calloc_zeroes_only_reused_memory, teardown),
		cmocka_unit_test_teardown(test_heap_touches_only_headers, teardown),
		cmocka_unit_test_teardown(test_large_blocks_are_mapped_and_unmapped, teardown),
		cmocka_unit_test_teardown(test_heap_grows_in_steps_and_trims, teardown),
		cmocka_unit_test_teardown(test_foreign_sbrk_starts_new_segment, teardown),
		cmocka_unit_test_teardown(test_blocked_brk_falls_back_to_a_mapped_segment, teardown),
		cmocka_unit_test_teardown(test_bad_frees_abort, teardown),
		cmocka_unit_test_teardown(test_validate_umalloc_catches_corruption, teardown),
		cmocka_unit_test_teardown(test_new_task_gets_a_fresh_heap, teardown),
		cmocka_unit_test_teardown(test_signal_handler_frees_safely, teardown),
		cmocka_unit_test_teardown(test_random_stress_against_shadow, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
