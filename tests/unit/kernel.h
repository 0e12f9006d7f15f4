/* kernel.h - what the unit tests that reach into libvm's internals
 * (internal.h) share: a fault on any mm, the PTE and page at an address,
 * a frame filled or checked byte by byte wherever it lies, and the
 * child's half of a fork without its process. Include after common.h.
 */
#ifndef TEST_KERNEL_H
#define TEST_KERNEL_H

#include "../../libvm/internal.h"

/* handle_mm_fault on mm with its lock held, as the fault handler takes
 * it; fill may be NULL when the caller does not look at it. */
static inline int fault(struct mm_struct *mm, uint32_t addr, unsigned err, struct tlb_fill *fill)
{
	struct tlb_fill local;
	int r;

	vm_lock_or_panic(&mm->mmap_lock, "mmap_lock");
	r = handle_mm_fault(mm, addr, err, fill ? fill : &local);
	vm_lock_release(&mm->mmap_lock);
	return r;
}

/* The PTE for addr, 0 when its table does not exist. */
static inline pteval_t pte_at(struct mm_struct *mm, uint32_t addr)
{
	uint64_t pte = pte_lookup(mm, addr);

	return pte ? pt_read(pte) : 0;
}

/* The page addr maps; the test fails if its PTE is not present. */
static inline struct page *page_at(struct mm_struct *mm, uint32_t addr)
{
	pteval_t e = pte_at(mm, addr);

	assert_true(pte_present(e));
	return pfn_to_page(pte_pfn(e));
}

static inline void frame_fill(struct page *page, uint8_t c)
{
	memset(kmap(page), c, PAGE_SIZE);
	kunmap(page);
}

static inline bool frame_is(struct page *page, uint8_t c)
{
	const uint8_t *k = kmap(page);
	bool same = true;
	unsigned i;

	for (i = 0; i < PAGE_SIZE && same; i++)
		same = k[i] == c;
	kunmap(page);
	return same;
}

static inline struct kmem_cache *mm_cachep(void)
{
	return __va(vm_kdata->tasks.mm_cache);
}

/*
 * The child's half of do_fork, its host process aside: a task slot marked
 * as fork makes it (vm_task_create's, whose exec-time mm goes at once: the
 * slot do_fork's task_alloc gives holds none), then a zeroed mm from the
 * mm cache with its lock, owner and own directory, named in the slot. The
 * mm is as dup_mmap expects it: no VMA, no table. Having no process, the
 * task stays TASK_NEW with host pid 0, which is also how a parent's exit
 * recognises a child its fork left half made.
 */
static inline int new_child(int ppid, struct mm_struct **mmp)
{
	struct task_struct *t;
	struct mm_struct *mm, *exec_mm;
	int pid = vm_task_create("child", ppid);

	assert_true(pid > 0);
	t = find_task_by_pid(pid);
	exec_mm = task_mm(t);
	assert_non_null(exec_mm);
	vm_lock_or_panic(&exec_mm->mmap_lock, "mmap_lock");
	exit_mmap(exec_mm);
	vm_lock_release(&exec_mm->mmap_lock);
	t->mm = 0;
	kmem_cache_free(mm_cachep(), exec_mm);

	t->flags |= PF_FORKNOEXEC;
	mm = kmem_cache_zalloc(mm_cachep(), GFP_KERNEL);
	assert_non_null(mm);
	__atomic_store_n(&t->mm, (uint32_t)__pa(mm), __ATOMIC_RELEASE);
	vm_lock_init(&mm->mmap_lock);
	mm->owner = (uint32_t)pid;
	assert_int_equal(pgd_alloc(mm), 0);
	t->cr3 = mm->pgd;
	assert_int_equal(t->state, TASK_NEW);
	assert_int_equal(t->host_pid, 0);
	*mmp = mm;
	return pid;
}

#endif /* TEST_KERNEL_H */
