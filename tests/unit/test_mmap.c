/* test_mmap.c - an address space's VMAs through the system calls
 * (mm_mmap, mm_munmap, mm_mprotect, mm_brk, mm_madvise) on an mm from
 * vm_task_create: top-down placement below mmap_base, hints, MAP_FIXED and
 * MAP_FIXED_NOREPLACE, merging of anonymous neighbours, splitting by
 * munmap and mprotect, Linux's errno values, the heap, the [stack] VMA and
 * its growth within RLIMIT_STACK and the guard gap, and vm.max_map_count.
 * After every step the VMA list is checked against the AVL tree (in-order
 * walk) and the whole machine against the validators. Every case runs in
 * i386 and in pae on a fresh 64 MiB machine and ends with the task reaped,
 * every frame back and check clean.
 */
#include <sched.h>
#include <sys/mman.h>

#include "common.h"
#include "../../libvm/internal.h"

#define MiB (1ULL << 20)
#define P PAGE_SIZE

#define ANON		(MAP_PRIVATE | MAP_ANONYMOUS)
#define RW		(PROT_READ | PROT_WRITE)
#define MMAP_BASE	0xB8000000u
#define STACK_START	(STACK_TOP - STACK_INIT_SIZE)	/* 0xBFFE0000 */
#define X		0x40000000u			/* a free place for fixed mappings */

static void boot(struct test_machine *tm, void **state)
{
	test_boot(tm, 64 * MiB, *(int *)*state);
}

static struct vm_area_struct *VMA(uint32_t pa)
{
	return pa ? (struct vm_area_struct *)__va(pa) : NULL;
}

/*
 * The list sorted, not overlapping, linked both ways, as long as
 * map_count, and the same VMAs in the same order as an in-order walk of
 * the AVL tree; then every validator (avl_validate among them). No lock:
 * the tests are single-threaded.
 */
static void check_vmas(struct mm_struct *mm)
{
	const long node_off = (long)offsetof(struct vm_area_struct, vm_avl);
	uint32_t pa = mm->mmap, prev = 0, node = avl_first(&mm->mm_avl), n = 0;
	uint32_t prev_end = 0;

	while (pa) {
		struct vm_area_struct *vma = VMA(pa);

		assert_true(vma->vm_start < vma->vm_end);
		assert_true(vma->vm_start >= prev_end);
		assert_int_equal(vma->vm_prev, prev);
		assert_int_equal(vma->vm_mm, (uint32_t)__pa(mm));
		assert_int_equal(node, pa + node_off);
		node = avl_next(node);
		prev_end = vma->vm_end;
		prev = pa;
		pa = vma->vm_next;
		n++;
	}
	assert_int_equal(node, 0);
	assert_int_equal(n, mm->mm_avl.count);
	assert_machine_valid();
}

/* The VMA holding addr, by the list, or NULL. */
static struct vm_area_struct *vma_at(struct mm_struct *mm, uint32_t addr)
{
	struct vm_area_struct *vma;

	for (vma = VMA(mm->mmap); vma; vma = VMA(vma->vm_next))
		if (vma->vm_start <= addr && addr < vma->vm_end)
			return vma;
	return NULL;
}

/* Exactly one VMA is [start, end). */
static struct vm_area_struct *assert_vma(struct mm_struct *mm, uint32_t start, uint32_t end)
{
	struct vm_area_struct *vma = vma_at(mm, start);

	if (!vma)
		fail_msg("no VMA at %08x", start);
	if (vma->vm_start != start || vma->vm_end != end)
		fail_msg("VMA %08x-%08x, expected %08x-%08x", vma->vm_start, vma->vm_end, start, end);
	return vma;
}

static void assert_unmapped(struct mm_struct *mm, uint32_t start, uint32_t end)
{
	uint32_t a;

	for (a = start; a < end; a += P)
		if (vma_at(mm, a))
			fail_msg("%08x is mapped", a);
}

static unsigned map_count(struct mm_struct *mm)
{
	return mm->mm_avl.count;
}

/* The system calls, each followed by the check of list, tree and machine. */
static long map(struct mm_struct *mm, uint32_t addr, uint32_t len, int prot, int flags)
{
	long r = mm_mmap(mm, addr, len, prot, flags | ANON, -1, 0);

	check_vmas(mm);
	return r;
}

static int unmap(struct mm_struct *mm, uint32_t addr, uint32_t len)
{
	int r = mm_munmap(mm, addr, len);

	check_vmas(mm);
	return r;
}

static int protect(struct mm_struct *mm, uint32_t addr, uint32_t len, int prot)
{
	int r = mm_mprotect(mm, addr, len, prot);

	check_vmas(mm);
	return r;
}

static int advise(struct mm_struct *mm, uint32_t addr, uint32_t len, int advice)
{
	int r = mm_madvise(mm, addr, len, advice);

	check_vmas(mm);
	return r;
}

static uint32_t brk_to(struct mm_struct *mm, uint32_t brk)
{
	uint32_t r = mm_brk(mm, brk);

	check_vmas(mm);
	return r;
}

static int fault(struct mm_struct *mm, uint32_t addr, unsigned err)
{
	struct tlb_fill fill;
	int r;

	vm_lock_or_panic(&mm->mmap_lock, "mmap_lock");
	r = handle_mm_fault(mm, addr, err | X86_PF_USER, &fill);
	vm_lock_release(&mm->mmap_lock);
	check_vmas(mm);
	return r;
}

static long rss(struct mm_struct *mm)
{
	return (long)mm->rss_stat[MM_ANONPAGES];
}

static void end_case(struct test_machine *tm, int pid)
{
	check_vmas(task_mm(find_task_by_pid(pid)));
	assert_int_equal(vm_task_reap(pid, NULL), 0);
	test_shutdown(tm);
}

/* ---- the layout ---------------------------------------------------------- */

/* exec leaves one VMA, the [stack]: 128 KiB under TASK_SIZE, growing down;
 * the heap is empty at start_brk, and mmap starts at mmap_base. */
static void test_new_mm_has_only_the_stack(void **state)
{
	struct test_machine tm;
	struct vm_area_struct *stack;
	struct mm_struct *mm;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	assert_int_equal(map_count(mm), 1);
	stack = assert_vma(mm, STACK_START, STACK_TOP);
	assert_int_equal(STACK_START, 0xBFFE0000u);
	assert_true(stack->vm_flags & VM_GROWSDOWN);
	assert_true((stack->vm_flags & VM_ACCESS_FLAGS) == (VM_READ | VM_WRITE));
	assert_int_equal(mm->mmap, (uint32_t)__pa(stack));
	assert_int_equal(mm->total_vm, 32);
	assert_int_equal(mm->stack_vm, 32);
	assert_int_equal(mm->start_brk, 0x09000000u);
	assert_int_equal(mm->brk, 0x09000000u);
	assert_int_equal(mm->mmap_base, MMAP_BASE);
	assert_int_equal(mm->task_size, TASK_SIZE);
	assert_int_equal(mm->start_stack, STACK_TOP);
	assert_int_equal(mm->stack_rlimit, 8 * MiB);
	assert_int_equal(mm->nr_ptes, 0);
	check_vmas(mm);
	end_case(&tm, pid);
}

/* Without a hint, each mapping goes just below the lowest one so far,
 * from mmap_base down; nothing overlaps. */
static void test_mmap_places_top_down_below_mmap_base(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	long a, b, c, prev;
	int pid, i;

	boot(&tm, state);
	pid = test_new_task(&mm);
	a = map(mm, 0, 3 * P, RW, 0);
	assert_int_equal(a, MMAP_BASE - 3 * P);
	b = map(mm, 0, 2 * P, PROT_READ, 0);
	assert_int_equal(b, a - 2 * P);
	c = map(mm, 0, 5000, RW, 0);		/* rounded up to 2 pages */
	assert_int_equal(c, b - 2 * P);
	assert_vma(mm, a, a + 3 * P);
	assert_vma(mm, b, b + 2 * P);
	assert_vma(mm, c, c + 2 * P);
	assert_int_equal(map_count(mm), 4);
	assert_int_equal(mm->total_vm, 32 + 7);
	check_vmas(mm);

	/* many more, alternating rights so none merge */
	prev = c;
	for (i = 0; i < 40; i++) {
		uint32_t len = (uint32_t)(i % 7 + 1) * P;
		long r = map(mm, 0, len, i % 2 ? RW : PROT_READ, 0);

		assert_int_equal(r, prev - len);
		prev = r;
	}
	assert_int_equal(map_count(mm), 44);
	check_vmas(mm);
	end_case(&tm, pid);
}

/* A hint is taken (page-aligned up) when the range is free, and ignored
 * when it is taken, below mmap_min_addr or runs past TASK_SIZE. */
static void test_mmap_hint_honoured_when_free(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	long r;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	assert_int_equal(map(mm, X, 4 * P, RW, 0), X);
	assert_int_equal(map(mm, 0x50000123, P, PROT_READ, 0), 0x50001000);
	check_vmas(mm);
	/* taken: placed top-down instead */
	r = map(mm, X + P, 2 * P, PROT_READ, 0);
	assert_int_equal(r, MMAP_BASE - 2 * P);
	/* below mmap_min_addr, or past the end */
	r = map(mm, 0x1000, P, PROT_READ, 0);
	assert_int_equal(r, MMAP_BASE - 3 * P);
	r = map(mm, TASK_SIZE - P, 2 * P, RW, 0);
	assert_int_equal(r, MMAP_BASE - 5 * P);
	/* inside the stack's guard gap */
	r = map(mm, STACK_START - 4 * P, P, PROT_READ, 0);
	assert_int_equal(r, MMAP_BASE - 6 * P);
	/* the hint may end exactly where a mapping starts */
	assert_int_equal(map(mm, X - 2 * P, 2 * P, PROT_READ, 0), X - 2 * P);
	/* the stack, X, 0x50001000, [-3, 0) (two read-only ones merged),
	 * [-5, -3), [-6, -5) below mmap_base, and X - 2 pages */
	assert_int_equal(map_count(mm), 7);
	check_vmas(mm);
	end_case(&tm, pid);
}

/* MAP_FIXED replaces what was there, pages included: the middle of an
 * 8-page mapping with faulted pages becomes a new VMA, the pages under it
 * are freed and the new range reads as fresh. */
static void test_map_fixed_replaces(void **state)
{
	struct test_machine tm;
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	int pid, i;

	boot(&tm, state);
	pid = test_new_task(&mm);
	assert_int_equal(map(mm, X, 8 * P, RW, MAP_FIXED), X);
	for (i = 0; i < 8; i++)
		assert_int_equal(fault(mm, X + (uint32_t)i * P, X86_PF_WRITE), VM_FAULT_OK);
	assert_int_equal(rss(mm), 8);
	assert_int_equal(map(mm, X + 2 * P, 3 * P, PROT_READ, MAP_FIXED), X + 2 * P);
	assert_vma(mm, X, X + 2 * P);
	vma = assert_vma(mm, X + 2 * P, X + 5 * P);
	assert_true((vma->vm_flags & VM_ACCESS_FLAGS) == VM_READ);
	vma = assert_vma(mm, X + 5 * P, X + 8 * P);
	assert_true((vma->vm_flags & VM_ACCESS_FLAGS) == (VM_READ | VM_WRITE));
	assert_int_equal(vma->vm_pgoff, (X + 5 * P) >> PAGE_SHIFT);
	assert_int_equal(rss(mm), 5);
	assert_int_equal(map_count(mm), 4);
	assert_int_equal(mm->total_vm, 32 + 8);
	check_vmas(mm);

	/* over several VMAs and a hole at once */
	assert_int_equal(map(mm, X + 10 * P, 2 * P, RW, MAP_FIXED), X + 10 * P);
	assert_int_equal(map(mm, X + P, 12 * P, PROT_READ | PROT_EXEC, MAP_FIXED), X + P);
	assert_vma(mm, X, X + P);
	vma = assert_vma(mm, X + P, X + 13 * P);
	assert_true((vma->vm_flags & VM_ACCESS_FLAGS) == (VM_READ | VM_EXEC));
	assert_int_equal(map_count(mm), 3);
	assert_int_equal(rss(mm), 1);
	assert_int_equal(mm->total_vm, 32 + 13);
	check_vmas(mm);
	end_case(&tm, pid);
}

/* MAP_FIXED_NOREPLACE fails with EEXIST over any mapped page and changes
 * nothing; over free space it maps like MAP_FIXED. */
static void test_map_fixed_noreplace_is_eexist(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	assert_int_equal(map(mm, X, 4 * P, RW, MAP_FIXED), X);
	assert_int_equal(map(mm, X, 4 * P, RW, MAP_FIXED_NOREPLACE), -EEXIST);
	assert_int_equal(map(mm, X + 3 * P, 4 * P, RW, MAP_FIXED_NOREPLACE), -EEXIST);
	assert_int_equal(map(mm, X - P, 2 * P, RW, MAP_FIXED_NOREPLACE), -EEXIST);
	assert_int_equal(map(mm, X - 2 * P, 8 * P, RW, MAP_FIXED_NOREPLACE), -EEXIST);
	assert_int_equal(map(mm, STACK_TOP - P, P, RW, MAP_FIXED_NOREPLACE), -EEXIST);
	assert_int_equal(map_count(mm), 2);
	assert_vma(mm, X, X + 4 * P);
	/* right next to it is free */
	assert_int_equal(map(mm, X + 4 * P, P, PROT_READ, MAP_FIXED_NOREPLACE), X + 4 * P);
	assert_int_equal(map(mm, X - P, P, PROT_READ, MAP_FIXED_NOREPLACE), X - P);
	/* misaligned, as MAP_FIXED */
	assert_int_equal(map(mm, X + 100 * P + 1, P, RW, MAP_FIXED_NOREPLACE), -EINVAL);
	assert_int_equal(map_count(mm), 4);
	check_vmas(mm);
	end_case(&tm, pid);
}

/* Anonymous neighbours with the same flags become one VMA; different
 * rights keep them apart; filling the hole between two merges all three. */
static void test_adjacent_anonymous_mappings_merge(void **state)
{
	struct test_machine tm;
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	long a, b;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	assert_int_equal(map(mm, X, 2 * P, RW, MAP_FIXED), X);
	assert_int_equal(map(mm, X + 2 * P, 2 * P, RW, MAP_FIXED), X + 2 * P);	/* after */
	assert_int_equal(map(mm, X - 3 * P, 3 * P, RW, MAP_FIXED), X - 3 * P);	/* before */
	vma = assert_vma(mm, X - 3 * P, X + 4 * P);
	assert_int_equal(vma->vm_pgoff, (X - 3 * P) >> PAGE_SHIFT);
	assert_int_equal(map_count(mm), 2);
	check_vmas(mm);

	/* other rights: no merge */
	assert_int_equal(map(mm, X + 4 * P, P, PROT_READ, MAP_FIXED), X + 4 * P);
	assert_int_equal(map_count(mm), 3);

	/* a hole filled: [X+6, X+8) and [X+9, X+11) join through [X+8, X+9) */
	assert_int_equal(map(mm, X + 6 * P, 2 * P, RW, MAP_FIXED), X + 6 * P);
	assert_int_equal(map(mm, X + 9 * P, 2 * P, RW, MAP_FIXED), X + 9 * P);
	assert_int_equal(map_count(mm), 5);
	assert_int_equal(map(mm, X + 8 * P, P, RW, MAP_FIXED), X + 8 * P);
	assert_vma(mm, X + 6 * P, X + 11 * P);
	assert_int_equal(map_count(mm), 4);
	check_vmas(mm);

	/* top-down mappings in a row with equal flags merge too */
	a = map(mm, 0, 2 * P, RW, 0);
	b = map(mm, 0, 3 * P, RW, 0);
	assert_int_equal(b, a - 3 * P);
	assert_vma(mm, b, a + 2 * P);
	assert_int_equal(map_count(mm), 5);
	/* but a MAP_GROWSDOWN mapping stays alone */
	assert_int_equal(map(mm, b - P, P, RW, MAP_FIXED | MAP_GROWSDOWN), b - P);
	assert_int_equal(map_count(mm), 6);
	assert_int_equal(mm->total_vm, 32 + 7 + 1 + 5 + 5 + 1);
	check_vmas(mm);
	end_case(&tm, pid);
}

/* munmap in the middle splits one VMA into two (one more map_count), at
 * an end trims, over a hole is no error, and across VMAs and holes takes
 * exactly the range. Pages in the range are freed, others kept. */
static void test_munmap_splits_trims_and_skips_holes(void **state)
{
	struct test_machine tm;
	struct vm_area_struct *lo, *hi;
	struct mm_struct *mm;
	int pid, i;

	boot(&tm, state);
	pid = test_new_task(&mm);
	assert_int_equal(map(mm, X, 8 * P, RW, MAP_FIXED), X);
	for (i = 0; i < 8; i++)
		assert_int_equal(fault(mm, X + (uint32_t)i * P, X86_PF_WRITE), VM_FAULT_OK);

	assert_int_equal(unmap(mm, X + 2 * P, 2 * P), 0);
	lo = assert_vma(mm, X, X + 2 * P);
	hi = assert_vma(mm, X + 4 * P, X + 8 * P);
	assert_int_equal(lo->vm_pgoff, X >> PAGE_SHIFT);
	assert_int_equal(hi->vm_pgoff, (X + 4 * P) >> PAGE_SHIFT);
	assert_int_equal(lo->vm_flags, hi->vm_flags);
	assert_unmapped(mm, X + 2 * P, X + 4 * P);
	assert_int_equal(map_count(mm), 3);
	assert_int_equal(rss(mm), 6);
	assert_int_equal(mm->total_vm, 32 + 6);
	check_vmas(mm);

	/* at the end: trimmed */
	assert_int_equal(unmap(mm, X + 7 * P, P), 0);
	assert_vma(mm, X + 4 * P, X + 7 * P);
	/* at the start */
	assert_int_equal(unmap(mm, X + 4 * P, P), 0);
	assert_vma(mm, X + 5 * P, X + 7 * P);
	assert_int_equal(map_count(mm), 3);
	assert_int_equal(rss(mm), 4);
	check_vmas(mm);

	/* only a hole */
	assert_int_equal(unmap(mm, X + 2 * P, 3 * P), 0);
	assert_int_equal(unmap(mm, 0x20000000, 100 * P), 0);
	assert_int_equal(map_count(mm), 3);
	check_vmas(mm);

	/* across VMA, hole, VMA */
	assert_int_equal(unmap(mm, X + P, 5 * P), 0);
	assert_vma(mm, X, X + P);
	assert_vma(mm, X + 6 * P, X + 7 * P);
	assert_int_equal(map_count(mm), 3);
	assert_int_equal(rss(mm), 2);
	assert_int_equal(mm->total_vm, 32 + 2);
	check_vmas(mm);

	/* a whole VMA, then a length that is not a page multiple */
	assert_int_equal(unmap(mm, X, P), 0);
	assert_int_equal(unmap(mm, X + 6 * P, 10), 0);
	assert_int_equal(map_count(mm), 1);
	assert_int_equal(rss(mm), 0);
	assert_int_equal(mm->nr_ptes, 0);
	check_vmas(mm);
	end_case(&tm, pid);
}

/* mprotect of a middle part splits one VMA into three; the same rights
 * back merge them into one again. Present PTEs lose RW with VM_WRITE. */
static void test_mprotect_splits_three_and_merges_back(void **state)
{
	struct test_machine tm;
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	uint32_t flags;
	uint64_t pte;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	assert_int_equal(map(mm, X, 8 * P, RW, MAP_FIXED), X);
	flags = assert_vma(mm, X, X + 8 * P)->vm_flags;
	assert_int_equal(fault(mm, X + 3 * P, X86_PF_WRITE), VM_FAULT_OK);
	pte = pte_lookup(mm, X + 3 * P);
	assert_true(pte && pte_write(pt_read(pte)));

	assert_int_equal(protect(mm, X + 2 * P, 3 * P, PROT_READ), 0);
	assert_vma(mm, X, X + 2 * P);
	vma = assert_vma(mm, X + 2 * P, X + 5 * P);
	assert_true((vma->vm_flags & VM_ACCESS_FLAGS) == VM_READ);
	assert_int_equal(vma->vm_pgoff, (X + 2 * P) >> PAGE_SHIFT);
	assert_vma(mm, X + 5 * P, X + 8 * P);
	assert_int_equal(map_count(mm), 4);
	assert_false(pte_write(pt_read(pte)));
	assert_true(pte_present(pt_read(pte)));
	assert_int_equal(mm->total_vm, 32 + 8);
	check_vmas(mm);
	/* a write there is now refused */
	assert_int_equal(fault(mm, X + 3 * P, X86_PF_WRITE | X86_PF_PROT), VM_FAULT_BADACCESS);

	assert_int_equal(protect(mm, X + 2 * P, 3 * P, RW), 0);
	vma = assert_vma(mm, X, X + 8 * P);
	assert_int_equal(vma->vm_flags, flags);
	assert_int_equal(map_count(mm), 2);
	check_vmas(mm);
	/* RW comes back at the next write fault, on the same frame */
	assert_int_equal(fault(mm, X + 3 * P, X86_PF_WRITE | X86_PF_PROT), VM_FAULT_OK);
	assert_true(pte_write(pt_read(pte)));

	/* an end: two VMAs; the whole: one; PROT_NONE keeps the PTE but not U */
	assert_int_equal(protect(mm, X + 6 * P, 2 * P, PROT_READ), 0);
	assert_int_equal(map_count(mm), 3);
	assert_int_equal(protect(mm, X, 8 * P, PROT_NONE), 0);
	vma = assert_vma(mm, X, X + 8 * P);
	assert_true((vma->vm_flags & VM_ACCESS_FLAGS) == 0);
	assert_true(pte_present(pt_read(pte)));
	assert_false(pte_user(pt_read(pte)));
	assert_int_equal(map_count(mm), 2);
	check_vmas(mm);
	/* across two VMAs with no hole: fine */
	assert_int_equal(map(mm, X + 8 * P, 2 * P, PROT_READ, MAP_FIXED), X + 8 * P);
	assert_int_equal(protect(mm, X + 6 * P, 4 * P, RW), 0);
	assert_vma(mm, X, X + 6 * P);
	assert_vma(mm, X + 6 * P, X + 10 * P);
	check_vmas(mm);
	end_case(&tm, pid);
}

/* Linux's argument checks, each with its errno, and none changes a VMA. */
static void test_bad_arguments_give_linux_errno(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	uint64_t total;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	assert_int_equal(map(mm, X, 4 * P, RW, MAP_FIXED), X);
	total = mm->total_vm;

	/* mmap */
	assert_int_equal(map(mm, 0, 0, RW, 0), -EINVAL);				/* len 0 */
	assert_int_equal(map(mm, X + 10 * P + 8, P, RW, MAP_FIXED), -EINVAL);	/* misaligned fixed */
	assert_int_equal(mm_mmap(mm, 0, P, RW, ANON, -1, 100), -EINVAL);		/* offset misaligned */
	assert_int_equal(map(mm, TASK_SIZE, P, RW, MAP_FIXED), -ENOMEM);		/* beyond TASK_SIZE */
	assert_int_equal(map(mm, TASK_SIZE - P, 2 * P, RW, MAP_FIXED), -ENOMEM);
	assert_int_equal(map(mm, 0xF0000000, P, RW, MAP_FIXED), -ENOMEM);
	assert_int_equal(map(mm, 0x1000, P, RW, MAP_FIXED), -EPERM);		/* below mmap_min_addr */
	assert_int_equal(map(mm, 0, P, RW, MAP_FIXED), -EPERM);
	assert_int_equal(mm_mmap(mm, 0, P, RW, MAP_ANONYMOUS, -1, 0), -EINVAL);	/* no type */
	assert_int_equal(map(mm, 0, 0xFFFFF001, RW, 0), -ENOMEM);		/* rounds past 4 GiB */
	assert_int_equal(map(mm, 0, 0xC0000000, RW, 0), -ENOMEM);		/* larger than user space */
	assert_int_equal(mm_mmap(mm, 0, P, RW, MAP_PRIVATE, -1, 0), -EBADF);	/* a file with no fd */

	/* munmap */
	assert_int_equal(unmap(mm, X + 1, P), -EINVAL);
	assert_int_equal(unmap(mm, X, 0), -EINVAL);
	assert_int_equal(unmap(mm, TASK_SIZE, P), -EINVAL);
	assert_int_equal(unmap(mm, TASK_SIZE - P, 2 * P), -EINVAL);

	/* mprotect */
	assert_int_equal(protect(mm, X + 1, P, PROT_READ), -EINVAL);
	assert_int_equal(protect(mm, X, P, 0x100), -EINVAL);
	assert_int_equal(protect(mm, X + 8 * P, P, PROT_READ), -ENOMEM);	/* nothing there */
	assert_int_equal(protect(mm, X - P, 2 * P, PROT_READ), -ENOMEM);	/* starts in a hole */
	assert_int_equal(protect(mm, X, 0, PROT_READ), 0);			/* len 0: nothing */

	/* madvise */
	assert_int_equal(advise(mm, X, P, 12345), -EINVAL);
	assert_int_equal(advise(mm, X, P, -1), -EINVAL);
	assert_int_equal(advise(mm, X + 1, P, MADV_DONTNEED), -EINVAL);
	assert_int_equal(advise(mm, X + 8 * P, P, MADV_DONTNEED), -ENOMEM);
	assert_int_equal(advise(mm, X, 0, MADV_DONTNEED), 0);
	assert_int_equal(advise(mm, X, 4 * P, MADV_NORMAL), 0);

	assert_int_equal(map_count(mm), 2);
	assert_vma(mm, X, X + 4 * P);
	assert_true((assert_vma(mm, X, X + 4 * P)->vm_flags & VM_ACCESS_FLAGS) ==
		    (VM_READ | VM_WRITE));
	assert_int_equal(mm->total_vm, total);
	check_vmas(mm);
	end_case(&tm, pid);
}

/* mprotect over [VMA, hole, VMA] changes the first VMA and fails with
 * ENOMEM at the hole, as Linux does. */
static void test_mprotect_stops_at_hole(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	assert_int_equal(map(mm, X, 2 * P, RW, MAP_FIXED), X);
	assert_int_equal(map(mm, X + 3 * P, 2 * P, RW, MAP_FIXED), X + 3 * P);
	assert_int_equal(protect(mm, X, 5 * P, PROT_READ), -ENOMEM);
	assert_true((assert_vma(mm, X, X + 2 * P)->vm_flags & VM_ACCESS_FLAGS) == VM_READ);
	assert_true((assert_vma(mm, X + 3 * P, X + 5 * P)->vm_flags & VM_ACCESS_FLAGS) ==
		    (VM_READ | VM_WRITE));
	/* madvise does the rest after a hole, and reports ENOMEM */
	assert_int_equal(advise(mm, X, 5 * P, MADV_DONTNEED), -ENOMEM);
	check_vmas(mm);
	end_case(&tm, pid);
}

/* Heuristic overcommit: a private writable mapping (or heap) of more pages
 * than the machine has is refused; one that is not accounted (read-only,
 * MAP_NORESERVE) is not. */
static void test_mmap_refuses_what_could_never_fit(void **state)
{
	const uint32_t s = DEFAULT_START_BRK;
	struct test_machine tm;
	struct mm_struct *mm;
	long r;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	assert_int_equal(map(mm, 0, 128 * MiB, RW, 0), -ENOMEM);
	assert_int_equal(map(mm, X, 128 * MiB, RW, MAP_FIXED), -ENOMEM);
	assert_int_equal(brk_to(mm, s + 128 * MiB), s);
	assert_int_equal(map_count(mm), 1);
	r = map(mm, 0, 128 * MiB, PROT_READ, 0);
	assert_true(r > 0);
	assert_int_equal(unmap(mm, (uint32_t)r, 128 * MiB), 0);
	r = map(mm, 0, 128 * MiB, RW, MAP_NORESERVE);
	assert_true(r > 0);
	assert_int_equal(unmap(mm, (uint32_t)r, 128 * MiB), 0);
	/* what fits is fine */
	assert_int_equal(map(mm, X, 8 * MiB, RW, MAP_FIXED), X);
	assert_int_equal(brk_to(mm, s + 8 * MiB), s + 8 * MiB);
	end_case(&tm, pid);
}

/* get_unmapped_area takes the highest gap that fits: a hole of exactly
 * the length is filled exactly; a longer request goes below. */
static void test_get_unmapped_area_fills_hole_exactly(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	long a, b, c, r;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	a = map(mm, 0, 4 * P, RW, 0);
	b = map(mm, 0, 3 * P, PROT_READ, 0);
	c = map(mm, 0, 4 * P, RW, 0);
	assert_int_equal(c, b - 4 * P);
	assert_int_equal(unmap(mm, b, 3 * P), 0);
	check_vmas(mm);

	vm_lock_or_panic(&mm->mmap_lock, "mmap_lock");
	assert_int_equal(get_unmapped_area(mm, 0, 3 * P, 0), b);
	assert_int_equal(get_unmapped_area(mm, 0, 2 * P, 0), b + P);	/* top of the hole */
	assert_int_equal(get_unmapped_area(mm, 0, 4 * P, 0), c - 4 * P);
	assert_int_equal(get_unmapped_area(mm, X, 3 * P, 0), X);	/* a free hint */
	assert_int_equal(get_unmapped_area(mm, c, 3 * P, 0), b);	/* a taken one */
	assert_int_equal(get_unmapped_area(mm, 0x12345000, P, MAP_FIXED), 0x12345000);
	vm_lock_release(&mm->mmap_lock);

	/* filled with the same rights as both sides: one VMA */
	r = map(mm, 0, 3 * P, RW, 0);
	assert_int_equal(r, b);
	assert_vma(mm, c, a + 4 * P);
	assert_int_equal(map_count(mm), 2);
	check_vmas(mm);
	end_case(&tm, pid);
}

/* When top-down finds no room (mmap_base brought low), it falls back to
 * bottom-up from TASK_UNMAPPED_BASE, 0x40000000. */
static void test_mmap_falls_back_bottom_up(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	mm->mmap_base = MMAP_MIN_ADDR + 2 * P;
	assert_int_equal(map(mm, 0, 2 * P, RW, 0), MMAP_MIN_ADDR);
	assert_int_equal(map(mm, 0, 2 * P, PROT_READ, 0), 0x40000000);
	assert_int_equal(map(mm, 0, P, RW, 0), 0x40000000 + 2 * P);
	check_vmas(mm);
	end_case(&tm, pid);
}

/* ---- the heap ------------------------------------------------------------ */

/* brk grows a [heap] VMA from start_brk, page by page as the break moves,
 * shrinks it (freeing the pages above the new break) and unmaps it when
 * the break comes back to start_brk. A break outside [start_brk,
 * mmap_base] or into the next mapping fails and returns the old one. */
static void test_brk_grows_shrinks_and_unmaps(void **state)
{
	const uint32_t s = DEFAULT_START_BRK;
	struct test_machine tm;
	struct vm_area_struct *heap;
	struct mm_struct *mm;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	assert_int_equal(brk_to(mm, 0), s);		/* the query */
	assert_int_equal(map_count(mm), 1);

	assert_int_equal(brk_to(mm, s + 100), s + 100);
	assert_int_equal(mm->brk, s + 100);
	heap = assert_vma(mm, s, s + P);
	assert_true((heap->vm_flags & VM_ACCESS_FLAGS) == (VM_READ | VM_WRITE));
	assert_int_equal(map_count(mm), 2);
	/* within the same page: no new VMA */
	assert_int_equal(brk_to(mm, s + P), s + P);
	assert_vma(mm, s, s + P);
	/* grows in place */
	assert_int_equal(brk_to(mm, s + 3 * P + 5), s + 3 * P + 5);
	assert_vma(mm, s, s + 4 * P);
	assert_int_equal(map_count(mm), 2);
	assert_int_equal(mm->total_vm, 32 + 4);
	check_vmas(mm);

	assert_int_equal(fault(mm, s, X86_PF_WRITE), VM_FAULT_OK);
	assert_int_equal(fault(mm, s + 3 * P, X86_PF_WRITE), VM_FAULT_OK);
	assert_int_equal(rss(mm), 2);
	/* the heap is where brk left it: past the break faults */
	assert_int_equal(fault(mm, s + 4 * P, X86_PF_WRITE), VM_FAULT_BADMAP);

	/* shrinks: the pages above go */
	assert_int_equal(brk_to(mm, s + P), s + P);
	assert_vma(mm, s, s + P);
	assert_int_equal(rss(mm), 1);
	assert_int_equal(fault(mm, s + 3 * P, 0), VM_FAULT_BADMAP);
	check_vmas(mm);
	/* below start_brk, or above mmap_base: refused */
	assert_int_equal(brk_to(mm, s - P), s + P);
	assert_int_equal(brk_to(mm, MMAP_BASE + P), s + P);
	assert_int_equal(mm->brk, s + P);
	/* back to the start: no heap at all */
	assert_int_equal(brk_to(mm, s), s);
	assert_unmapped(mm, s, s + 4 * P);
	assert_int_equal(map_count(mm), 1);
	assert_int_equal(rss(mm), 0);
	check_vmas(mm);

	/* a mapping 8 pages up: brk may come to one page below it, not on it */
	assert_int_equal(map(mm, s + 8 * P, P, PROT_READ, MAP_FIXED), s + 8 * P);
	assert_int_equal(brk_to(mm, s + 8 * P), s);
	assert_int_equal(brk_to(mm, s + 7 * P), s + 7 * P);
	assert_vma(mm, s, s + 7 * P);
	check_vmas(mm);
	end_case(&tm, pid);
}

/* ---- the stack ----------------------------------------------------------- */

/* A fault below the [stack] VMA grows it down to the faulting page; the
 * tree stays sound though the VMA's key moved. */
static void test_stack_grows_down_on_fault(void **state)
{
	struct test_machine tm;
	struct vm_area_struct *stack;
	struct mm_struct *mm;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	stack = assert_vma(mm, STACK_START, STACK_TOP);
	assert_int_equal(fault(mm, STACK_START - 5 * P + 0x10, X86_PF_WRITE), VM_FAULT_OK);
	assert_ptr_equal(assert_vma(mm, STACK_START - 5 * P, STACK_TOP), stack);
	assert_int_equal(stack->vm_pgoff, (STACK_START - 5 * P) >> PAGE_SHIFT);
	assert_int_equal(mm->stack_vm, 32 + 5);
	assert_int_equal(mm->total_vm, 32 + 5);
	assert_true(stack->vm_flags & VM_GROWSDOWN);
	check_vmas(mm);
	/* a read below grows it as well */
	assert_int_equal(fault(mm, STACK_START - 64 * P, 0), VM_FAULT_OK);
	assert_vma(mm, STACK_START - 64 * P, STACK_TOP);
	assert_int_equal(mm->stack_vm, 32 + 64);
	/* and mappings elsewhere do not get in the way of find_vma */
	assert_int_equal(map(mm, X, P, RW, MAP_FIXED), X);
	assert_int_equal(fault(mm, STACK_START - 65 * P, X86_PF_WRITE), VM_FAULT_OK);
	assert_vma(mm, STACK_START - 65 * P, STACK_TOP);
	check_vmas(mm);
	end_case(&tm, pid);
}

/* The stack grows to RLIMIT_STACK (8 MiB from its top) and no further. */
static void test_stack_growth_stops_at_rlimit(void **state)
{
	const uint32_t limit = STACK_TOP - 8 * MiB;
	struct test_machine tm;
	struct mm_struct *mm;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	assert_int_equal(fault(mm, limit - P, X86_PF_WRITE), VM_FAULT_BADMAP);
	assert_int_equal(fault(mm, limit - 1, 0), VM_FAULT_BADMAP);
	assert_vma(mm, STACK_START, STACK_TOP);
	assert_int_equal(mm->stack_vm, 32);
	assert_int_equal(fault(mm, limit, X86_PF_WRITE), VM_FAULT_OK);
	assert_vma(mm, limit, STACK_TOP);
	assert_int_equal(mm->stack_vm, 2048);
	assert_int_equal(fault(mm, limit - P, X86_PF_WRITE), VM_FAULT_BADMAP);
	check_vmas(mm);
	/* a smaller limit, as setrlimit would make it */
	assert_int_equal(unmap(mm, limit, 8 * MiB - STACK_INIT_SIZE), 0);
	assert_vma(mm, STACK_START, STACK_TOP);
	mm->stack_rlimit = 256 * 1024;
	assert_int_equal(fault(mm, STACK_TOP - 256 * 1024 - P, 0), VM_FAULT_BADMAP);
	assert_int_equal(fault(mm, STACK_TOP - 256 * 1024, 0), VM_FAULT_OK);
	assert_vma(mm, STACK_TOP - 256 * 1024, STACK_TOP);
	check_vmas(mm);
	end_case(&tm, pid);
}

/* The stack keeps a 1 MiB guard gap above the mapping below it: growth
 * into the gap fails, growth to its edge works. */
static void test_stack_growth_stops_at_guard_gap(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	uint32_t below_end = STACK_START - 2 * MiB;	/* the mapping below ends here */
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	assert_int_equal(map(mm, below_end - 4 * P, 4 * P, RW, MAP_FIXED), below_end - 4 * P);
	assert_int_equal(STACK_GUARD_GAP, 1 * MiB);
	/* the gap's top page is still too close */
	assert_int_equal(fault(mm, below_end + MiB - P, X86_PF_WRITE), VM_FAULT_BADMAP);
	assert_int_equal(fault(mm, below_end + 10 * P, X86_PF_WRITE), VM_FAULT_BADMAP);
	assert_vma(mm, STACK_START, STACK_TOP);
	/* its edge is fine */
	assert_int_equal(fault(mm, below_end + MiB, X86_PF_WRITE), VM_FAULT_OK);
	assert_vma(mm, below_end + MiB, STACK_TOP);
	assert_int_equal(fault(mm, below_end + MiB - 1, 0), VM_FAULT_BADMAP);
	check_vmas(mm);
	end_case(&tm, pid);
}

/* Placement keeps out of the stack's guard gap: with mmap_base at the top
 * of user space, the first mapping ends 1 MiB below the stack. */
static void test_mmap_keeps_out_of_stack_guard_gap(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	mm->mmap_base = STACK_TOP;
	assert_int_equal(map(mm, 0, 4 * P, RW, 0), STACK_START - MiB - 4 * P);
	check_vmas(mm);
	end_case(&tm, pid);
}

/* ---- limits -------------------------------------------------------------- */

/* vm.max_map_count: a new VMA past it is ENOMEM, and so is a split
 * (munmap or mprotect in the middle, a new heap); trimming is fine. */
static void test_map_count_limit(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	long a, r;
	int pid, i;

	boot(&tm, state);
	pid = test_new_task(&mm);
	mm->map_count_max = 4;			/* the stack and three more */
	a = map(mm, 0, 4 * P, RW, 0);
	assert_true(a > 0);
	for (i = 0; i < 2; i++)
		assert_true(map(mm, 0, P, i % 2 ? RW : PROT_READ, 0) > 0);
	assert_int_equal(map_count(mm), 4);
	r = map(mm, 0, P, PROT_READ | PROT_EXEC, 0);
	assert_int_equal(r, -ENOMEM);
	assert_int_equal(map(mm, X, P, RW, MAP_FIXED), -ENOMEM);
	assert_int_equal(unmap(mm, a + P, P), -ENOMEM);
	assert_int_equal(protect(mm, a + P, 2 * P, PROT_READ), -ENOMEM);
	assert_int_equal(brk_to(mm, DEFAULT_START_BRK + P), DEFAULT_START_BRK);
	assert_vma(mm, a, a + 4 * P);
	assert_int_equal(map_count(mm), 4);
	check_vmas(mm);
	/* no new VMA: allowed */
	assert_int_equal(protect(mm, a, 4 * P, PROT_READ | PROT_EXEC), 0);
	assert_vma(mm, a, a + 4 * P);
	/* one freed, one more fits */
	assert_int_equal(unmap(mm, a, 4 * P), 0);
	assert_true(map(mm, X, P, RW, MAP_FIXED) > 0);
	assert_int_equal(map_count(mm), 4);
	check_vmas(mm);
	end_case(&tm, pid);
}

/* At the limit, munmap of a VMA's head or tail still works: the split it
 * does first is undone by the removal, so map_count does not grow. Linux
 * lets map_count go one above the limit for a moment for this
 * (do_vmi_align_munmap calls __split_vma, which does not check). */
static void test_munmap_trims_at_map_count_limit(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	assert_int_equal(map(mm, X, 4 * P, RW, MAP_FIXED), X);
	mm->map_count_max = 2;
	assert_int_equal(unmap(mm, X + 3 * P, P), 0);	/* the tail */
	assert_vma(mm, X, X + 3 * P);
	assert_int_equal(unmap(mm, X, P), 0);		/* the head */
	assert_vma(mm, X + P, X + 3 * P);
	assert_int_equal(unmap(mm, X + P, P), 0);
	assert_int_equal(map_count(mm), 2);
	/* one below the limit, a hole punched in the middle ends at the
	 * limit: allowed (two splits, then one VMA removed) */
	mm->map_count_max = 3;
	assert_int_equal(map(mm, X, 8 * P, RW, MAP_FIXED), X);
	assert_int_equal(map_count(mm), 2);
	assert_int_equal(unmap(mm, X + 2 * P, 2 * P), 0);
	assert_vma(mm, X, X + 2 * P);
	assert_vma(mm, X + 4 * P, X + 8 * P);
	assert_int_equal(map_count(mm), 3);
	/* at the limit, the same is refused */
	assert_int_equal(unmap(mm, X + 5 * P, P), -ENOMEM);
	assert_int_equal(map_count(mm), 3);
	end_case(&tm, pid);
}

/* A length that rounds up past 4 GiB is EINVAL for madvise (Linux: "len
 * was rounded up from small -ve to zero"), not an empty range. */
static void test_madvise_len_rounding_to_zero_is_einval(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	assert_int_equal(map(mm, X, 4 * P, RW, MAP_FIXED), X);
	assert_int_equal(advise(mm, X, 0xFFFFF001u, MADV_DONTNEED), -EINVAL);
	assert_int_equal(advise(mm, X, 0xC0000000u, MADV_DONTNEED), -EINVAL);	/* wraps */
	end_case(&tm, pid);
}

/* Linux refuses a shared anonymous mapping that grows down (do_mmap:
 * MAP_SHARED with VM_GROWSDOWN is EINVAL). */
static void test_shared_anonymous_growsdown_is_einval(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	assert_int_equal(mm_mmap(mm, 0, P, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0),
			 -EINVAL);
	assert_int_equal(map_count(mm), 1);
	end_case(&tm, pid);
}

/* MADV_DONTNEED drops the pages but keeps the VMA: the next touch is a
 * fresh zero page. */
static void test_madvise_dontneed_frees_pages_keeps_vma(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	int pid, i;

	boot(&tm, state);
	pid = test_new_task(&mm);
	assert_int_equal(map(mm, X, 4 * P, RW, MAP_FIXED), X);
	for (i = 0; i < 4; i++)
		assert_int_equal(fault(mm, X + (uint32_t)i * P, X86_PF_WRITE), VM_FAULT_OK);
	assert_int_equal(rss(mm), 4);
	assert_int_equal(advise(mm, X + P, 2 * P, MADV_DONTNEED), 0);
	assert_int_equal(rss(mm), 2);
	assert_int_equal(pt_read(pte_lookup(mm, X + P)), 0);
	assert_vma(mm, X, X + 4 * P);
	assert_int_equal(map_count(mm), 2);
	check_vmas(mm);
	/* a read of the dropped page: the zero page, no frame of its own */
	assert_int_equal(fault(mm, X + P, 0), VM_FAULT_OK);
	assert_int_equal(rss(mm), 2);
	assert_int_equal(pte_pfn(pt_read(pte_lookup(mm, X + P))), ZERO_PFN);
	assert_int_equal(fault(mm, X + P, X86_PF_WRITE), VM_FAULT_OK);
	assert_int_equal(rss(mm), 3);
	assert_int_not_equal(pte_pfn(pt_read(pte_lookup(mm, X + P))), ZERO_PFN);
	assert_int_equal(advise(mm, X, 4 * P, MADV_DONTNEED), 0);
	assert_int_equal(rss(mm), 0);
	assert_int_equal(mm->nr_ptes, 0);
	check_vmas(mm);
	end_case(&tm, pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_new_mm_has_only_the_stack),
		BOTH(test_mmap_places_top_down_below_mmap_base),
		BOTH(test_mmap_hint_honoured_when_free),
		BOTH(test_map_fixed_replaces),
		BOTH(test_map_fixed_noreplace_is_eexist),
		BOTH(test_adjacent_anonymous_mappings_merge),
		BOTH(test_munmap_splits_trims_and_skips_holes),
		BOTH(test_mprotect_splits_three_and_merges_back),
		BOTH(test_bad_arguments_give_linux_errno),
		BOTH(test_mprotect_stops_at_hole),
		BOTH(test_mmap_refuses_what_could_never_fit),
		BOTH(test_get_unmapped_area_fills_hole_exactly),
		BOTH(test_mmap_falls_back_bottom_up),
		BOTH(test_brk_grows_shrinks_and_unmaps),
		BOTH(test_stack_grows_down_on_fault),
		BOTH(test_stack_growth_stops_at_rlimit),
		BOTH(test_stack_growth_stops_at_guard_gap),
		BOTH(test_mmap_keeps_out_of_stack_guard_gap),
		BOTH(test_map_count_limit),
		BOTH(test_munmap_trims_at_map_count_limit),
		BOTH(test_shared_anonymous_growsdown_is_einval),
		BOTH(test_madvise_len_rounding_to_zero_is_einval),
		BOTH(test_madvise_dontneed_frees_pages_keeps_vma),
	};
	cpu_set_t one;

	/* Freed frames wait on the per-CPU list of the CPU that freed them:
	 * stay on one CPU so a case gets back the frames it just freed. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
