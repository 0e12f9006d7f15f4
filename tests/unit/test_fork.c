/* test_fork.c - fork's copy of an address space (dup_mmap) and what comes
 * after it, in one process: the child's mm is built as do_fork builds it,
 * minus the host process, so every case can look at both mms' tables and
 * at the frames between steps. It shows that dup_mmap shares every frame
 * read-only with its counts raised (the zero page and shared memory
 * excepted), that a write on either side copies or reuses as it should,
 * that either side's exit gives back exactly its share, that an exit after
 * a kill in the middle of a fork, an unmap or a copy on write sets the
 * counts from the PTEs (and keeps NR_ANON_MAPPED true), that a fork without
 * memory fails and harms nothing, never leaving shared memory unshared,
 * and that page_referenced reaches both mms. Each case runs in i386 and in
 * pae on a fresh machine and ends with every task reaped, every frame back
 * and check clean.
 */
#include <sched.h>
#include <sys/mman.h>

#include "common.h"
#include "kernel.h"

#define MiB (1ULL << 20)
#define P PAGE_SIZE

#define ANON		(MAP_PRIVATE | MAP_ANONYMOUS)
#define SHARED_ANON	(MAP_SHARED | MAP_ANONYMOUS)
#define RW		(PROT_READ | PROT_WRITE)

#define READ		(X86_PF_USER)
#define WRITE		(X86_PF_USER | X86_PF_WRITE)
#define WRITE_PROT	(X86_PF_USER | X86_PF_WRITE | X86_PF_PROT)

/*
 * The parent every case forks, as make_parent leaves it:
 *
 *   X = 0x40000000, private rw, 40 pages
 *     page  0..15   one 16-page run (a write at page 3)      folio
 *     page 16..31   never touched                            PTE none
 *     page 33, 35   a write each: one page, since their run   single
 *                   [32, 48) crosses the VMA's end
 *     page 37       a read: the zero page                    ZERO_PFN
 *   S = X + 4 MiB, shared rw, 6 pages (a page table of its own in both modes)
 *     page 1        a write; page 4 a read (shared: a frame of its own)
 *     the rest      untouched: dup_mmap populates them before sharing
 *
 * Each private frame holds the byte pattern(va), so a copy can be told
 * from the frame it copied.
 */
#define X		0x40000000u
#define NPRIV		40
#define ONE1		(X + 33 * P)
#define ONE2		(X + 35 * P)
#define ZVA		(X + 37 * P)
#define UNTOUCHED	(X + 20 * P)
#define S		(X + 0x400000u)
#define NSHARED		6
#define NPRIV_PAGES	18		/* the run and the two single pages */

/* The host tid a killed guest held its locks with: no live thread's. */
#define DEAD_TID	0x3ffffff0u

static void boot(struct test_machine *tm, void **state)
{
	test_boot(tm, 64 * MiB, *(int *)*state);
}

static void end_case(struct test_machine *tm, int pid)
{
	assert_machine_valid();
	assert_int_equal(vm_task_reap(pid, NULL), 0);
	test_shutdown(tm);
}

/* NR_ANON_MAPPED (anonymous pages mapped anywhere, /proc's AnonPages) as
 * it is kept: global_node_page_state reads a count that ran below zero
 * as 0, which would hide it. */
static long nr_anon_mapped(void)
{
	return (long)__atomic_load_n(&NODE_DATA()->vm_stat[NR_ANON_MAPPED], __ATOMIC_RELAXED);
}

static void map(struct mm_struct *mm, uint32_t addr, uint32_t len, int flags)
{
	assert_int_equal(mm_mmap(mm, addr, len, RW, flags | MAP_FIXED, -1, 0), addr);
}

static void fault_ok(struct mm_struct *mm, uint32_t addr, unsigned err)
{
	struct tlb_fill fill;

	assert_int_equal(fault(mm, addr, err, &fill), VM_FAULT_OK);
}

static unsigned long pfn_at(struct mm_struct *mm, uint32_t addr)
{
	return page_to_pfn(page_at(mm, addr));
}

static uint8_t pattern(uint32_t va)
{
	return (uint8_t)(0x11 + ((va - X) >> PAGE_SHIFT));
}

/* The i-th private page make_parent gave a frame: the run, then the two
 * single pages. */
static uint32_t priv_va(unsigned i)
{
	return i < 16 ? X + i * P : i == 16 ? ONE1 : ONE2;
}

/* The counts of a frame: how many PTEs map it (mapcount + 1) and the
 * references held. */
static void assert_counts(struct page *page, int mapped, int refs)
{
	assert_int_equal(page->_mapcount + 1, mapped);
	assert_int_equal(page_ref_count(page), refs);
}

/* ---- building the two sides ------------------------------------------- */

static void make_parent(struct mm_struct *mm)
{
	struct tlb_fill fill;
	unsigned i;

	map(mm, X, NPRIV * P, ANON);
	assert_int_equal(fault(mm, X + 3 * P, WRITE, &fill), VM_FAULT_OK);
	assert_int_equal(fill.npages, 16);
	assert_int_equal(fault(mm, ONE1, WRITE, &fill), VM_FAULT_OK);
	assert_int_equal(fill.npages, 1);
	assert_int_equal(fault(mm, ONE2, WRITE, &fill), VM_FAULT_OK);
	assert_int_equal(fill.npages, 1);
	assert_int_equal(fault(mm, ZVA, READ, &fill), VM_FAULT_OK);
	assert_int_equal(fill.pfn, ZERO_PFN);
	for (i = 0; i < NPRIV_PAGES; i++)
		frame_fill(page_at(mm, priv_va(i)), pattern(priv_va(i)));
	map(mm, S, NSHARED * P, SHARED_ANON);
	fault_ok(mm, S + P, WRITE);
	fault_ok(mm, S + 4 * P, READ);
	assert_int_equal(mm->rss_stat[MM_ANONPAGES], NPRIV_PAGES);
	assert_int_equal(mm->rss_stat[MM_SHMEMPAGES], 2);
}

static struct kmem_cache *vma_cachep(void)
{
	return __va(vm_kdata->tasks.vma_cache);
}


/* dup_mmap as do_fork calls it, under the parent's mmap_lock. */
static int dup_locked(struct mm_struct *mm, struct mm_struct *oldmm)
{
	int err;

	vm_lock_or_panic(&oldmm->mmap_lock, "mmap_lock");
	err = dup_mmap(mm, oldmm);
	vm_lock_release(&oldmm->mmap_lock);
	return err;
}

static int fork_child(struct mm_struct *parent, int ppid, struct mm_struct **mmp)
{
	int pid = new_child(ppid, mmp);

	assert_int_equal(dup_locked(*mmp, parent), 0);
	return pid;
}

/*
 * What the reaper finds of a guest killed holding mm's lock: the word
 * names a thread that is gone, and vm_lock_mark_dead_owner (which the
 * supervisor calls before the exit it runs for the dead guest) marks it,
 * so the next locker takes it with -EOWNERDEAD.
 */
static void die_holding(struct mm_struct *mm)
{
	__atomic_store_n(&mm->mmap_lock.word, DEAD_TID, __ATOMIC_RELEASE);
	assert_true(vm_lock_mark_dead_owner((pid_t)DEAD_TID) >= 1);
	assert_true(mm->mmap_lock.word & VM_LOCK_OWNER_DIED);
}

/* ---- dup_mmap ------------------------------------------------------------ */

/*
 * After dup_mmap every frame of the private mapping is mapped by both mms
 * at the same va, read-only in both (the next write on either side is a
 * copy on write), counted once more in mapcount and refcount; the zero
 * page is shared with no count at all; shared memory is populated first
 * and stays writable in both; the VMAs are copies on the same anon_vmas;
 * the counters agree.
 */
static void test_dup_mmap_shares_every_frame_read_only(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm, *cmm;
	struct vm_area_struct *pv, *cv;
	struct page *zero;
	int zero_refs, pid, cpid;
	unsigned i;

	boot(&tm, state);
	pid = test_new_task(&mm);
	make_parent(mm);
	zero = pfn_to_page(ZERO_PFN);
	zero_refs = page_ref_count(zero);
	assert_int_equal(nr_anon_mapped(), NPRIV_PAGES + 2);

	cpid = fork_child(mm, pid, &cmm);

	for (i = 0; i < NPRIV_PAGES; i++) {
		uint32_t va = priv_va(i);
		pteval_t pe = pte_at(mm, va), ce = pte_at(cmm, va);
		struct page *page = pfn_to_page(pte_pfn(pe));

		assert_true(pte_present(pe) && pte_present(ce));
		assert_false(pte_write(pe));
		assert_false(pte_write(ce));
		assert_int_equal(pte_pfn(ce), pte_pfn(pe));
		assert_counts(page, 2, 2);
		assert_int_equal(page->mapping, find_vma(mm, X)->anon_vma | PAGE_MAPPING_ANON);
		assert_int_equal(page->index, va >> PAGE_SHIFT);
		assert_true(frame_is(page, pattern(va)));
	}
	/* the zero page: in both, read-only, and no count taken for either */
	assert_int_equal(pte_pfn(pte_at(mm, ZVA)), ZERO_PFN);
	assert_int_equal(pte_pfn(pte_at(cmm, ZVA)), ZERO_PFN);
	assert_false(pte_write(pte_at(cmm, ZVA)));
	assert_int_equal(page_ref_count(zero), zero_refs);
	assert_int_equal(zero->_mapcount, -1);
	/* untouched stays untouched */
	assert_int_equal(pte_at(mm, UNTOUCHED), 0);
	assert_int_equal(pte_at(cmm, UNTOUCHED), 0);
	/* shared memory: every page now present, one frame, writable in both */
	for (i = 0; i < NSHARED; i++) {
		pteval_t pe = pte_at(mm, S + i * P), ce = pte_at(cmm, S + i * P);

		assert_true(pte_present(pe) && pte_present(ce));
		assert_true(pte_write(pe));
		assert_true(pte_write(ce));
		assert_int_equal(pte_pfn(ce), pte_pfn(pe));
		assert_counts(pfn_to_page(pte_pfn(pe)), 2, 2);
	}

	/* the VMAs: copies, in order, each on its original's anon_vma */
	for (pv = find_vma(mm, 0), cv = find_vma(cmm, 0); pv && cv;
	     pv = vma_next(pv), cv = vma_next(cv)) {
		assert_int_equal(cv->vm_start, pv->vm_start);
		assert_int_equal(cv->vm_end, pv->vm_end);
		assert_int_equal(cv->vm_flags, pv->vm_flags);
		assert_int_equal(cv->vm_mm, (uint32_t)__pa(cmm));
		assert_int_equal(cv->anon_vma, pv->anon_vma);
		if (pv->anon_vma) {
			struct anon_vma *av = __va(pv->anon_vma);

			assert_int_equal(av->nr_vmas, 2);
			/* linked at the head: the child's copy, then the parent's */
			assert_int_equal(av->head, (uint32_t)__pa(cv));
			assert_int_equal(cv->anon_vma_next, (uint32_t)__pa(pv));
			assert_int_equal(pv->anon_vma_next, 0);
		}
	}
	assert_null(pv);
	assert_null(cv);
	assert_int_not_equal(find_vma(mm, X)->anon_vma, 0);
	assert_int_not_equal(find_vma(mm, S)->anon_vma, 0);
	assert_int_equal(cmm->mm_avl.count, mm->mm_avl.count);

	/* the counters: the same resident pages, the same tables */
	assert_memory_equal(cmm->rss_stat, mm->rss_stat, sizeof(mm->rss_stat));
	assert_int_equal(cmm->rss_stat[MM_ANONPAGES], NPRIV_PAGES);
	assert_int_equal(cmm->rss_stat[MM_SHMEMPAGES], NSHARED);
	assert_int_equal(cmm->total_vm, mm->total_vm);
	assert_int_equal(cmm->nr_ptes, mm->nr_ptes);
	assert_int_equal(cmm->task_size, mm->task_size);
	assert_int_equal(cmm->brk, mm->brk);
	/* NR_ANON_MAPPED counts pages, not mappings: only the populate adds */
	assert_int_equal(nr_anon_mapped(), NPRIV_PAGES + NSHARED);
	assert_machine_valid();

	assert_int_equal(vm_task_reap(cpid, NULL), 0);
	end_case(&tm, pid);
}

/* ---- copy on write after fork --------------------------------------------- */

/*
 * A write in the child to a shared private frame copies it: a new frame
 * with the same bytes, the old one left to the parent alone (mapcount 0,
 * refcount 1), so the parent's write next reuses it in place. A write to
 * the zero page gives a zeroed frame; a read of untouched memory maps the
 * zero page. Neither side sees the other's writes.
 */
static void test_cow_after_fork_copies_then_reuses(void **state)
{
	const uint32_t va = X + 5 * P;
	struct test_machine tm;
	struct tlb_fill fill;
	struct mm_struct *mm, *cmm;
	struct page *old, *new;
	unsigned long old_pfn;
	long anon;
	int pid, cpid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	make_parent(mm);
	cpid = fork_child(mm, pid, &cmm);
	old_pfn = pfn_at(mm, va);
	old = pfn_to_page(old_pfn);
	anon = nr_anon_mapped();

	/* the child writes: a copy */
	assert_int_equal(fault(cmm, va + 0x10, WRITE_PROT, &fill), VM_FAULT_OK);
	new = page_at(cmm, va);
	assert_int_not_equal(page_to_pfn(new), old_pfn);
	assert_int_equal(fill.pfn, page_to_pfn(new));
	assert_int_equal(fill.npages, 1);	/* its run is no longer one */
	assert_true(fill.writable);
	assert_true(pte_write(pte_at(cmm, va)) && pte_dirty(pte_at(cmm, va)));
	assert_true(frame_is(new, pattern(va)));
	assert_counts(new, 1, 1);
	assert_int_equal(new->mapping, find_vma(cmm, va)->anon_vma | PAGE_MAPPING_ANON);
	assert_int_equal(new->index, va >> PAGE_SHIFT);
	assert_counts(old, 1, 1);
	assert_int_equal(pfn_at(mm, va), old_pfn);
	assert_false(pte_write(pte_at(mm, va)));
	assert_int_equal(cmm->rss_stat[MM_ANONPAGES], NPRIV_PAGES);
	assert_int_equal(nr_anon_mapped(), anon + 1);
	assert_machine_valid();

	/* the child's bytes are its own */
	frame_fill(new, 0xc5);
	assert_true(frame_is(old, pattern(va)));

	/* the parent writes: the frame is its alone now, reused in place */
	assert_int_equal(fault(mm, va, WRITE_PROT, &fill), VM_FAULT_OK);
	assert_int_equal(pfn_at(mm, va), old_pfn);
	assert_true(pte_write(pte_at(mm, va)) && pte_dirty(pte_at(mm, va)));
	assert_true(fill.writable);
	assert_counts(old, 1, 1);
	assert_true(frame_is(old, pattern(va)));
	assert_int_equal(nr_anon_mapped(), anon + 1);

	/* a write to the zero page in the child: a zeroed frame, the
	 * parent's PTE still the zero page */
	assert_int_equal(fault(cmm, ZVA, WRITE_PROT, &fill), VM_FAULT_OK);
	assert_int_not_equal(pfn_at(cmm, ZVA), ZERO_PFN);
	assert_true(frame_is(page_at(cmm, ZVA), 0));
	assert_counts(page_at(cmm, ZVA), 1, 1);
	assert_int_equal(pfn_at(mm, ZVA), ZERO_PFN);
	assert_int_equal(cmm->rss_stat[MM_ANONPAGES], NPRIV_PAGES + 1);
	assert_int_equal(mm->rss_stat[MM_ANONPAGES], NPRIV_PAGES);
	assert_int_equal(nr_anon_mapped(), anon + 2);

	/* a read of memory neither side touched: the zero page, no frame */
	assert_int_equal(fault(cmm, UNTOUCHED, READ, &fill), VM_FAULT_OK);
	assert_int_equal(fill.pfn, ZERO_PFN);
	assert_false(fill.writable);
	assert_int_equal(pfn_at(cmm, UNTOUCHED), ZERO_PFN);
	assert_int_equal(pte_at(mm, UNTOUCHED), 0);
	assert_int_equal(cmm->rss_stat[MM_ANONPAGES], NPRIV_PAGES + 1);

	/* the other side of a single page: the parent writes first, copies;
	 * the child's write then reuses */
	old_pfn = pfn_at(mm, ONE1);
	fault_ok(mm, ONE1, WRITE_PROT);
	assert_int_not_equal(pfn_at(mm, ONE1), old_pfn);
	assert_true(frame_is(page_at(mm, ONE1), pattern(ONE1)));
	fault_ok(cmm, ONE1, WRITE_PROT);
	assert_int_equal(pfn_at(cmm, ONE1), old_pfn);
	assert_counts(pfn_to_page(old_pfn), 1, 1);
	assert_machine_valid();

	assert_int_equal(vm_task_reap(cpid, NULL), 0);
	/* the parent's frames alone: its copy of ONE1 in place of the original */
	assert_int_equal(nr_anon_mapped(), NPRIV_PAGES + NSHARED);
	end_case(&tm, pid);
}

/* ---- the exit of one side ------------------------------------------------- */

/*
 * The child's exit takes back exactly its share: every frame the parent
 * maps returns to mapcount 0 and refcount 1, the anon_vmas list the
 * parent's VMAs alone, and the parent's next write reuses its frame.
 */
static void test_child_exit_leaves_parent_sole_owner(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm, *cmm;
	unsigned long pfn;
	unsigned i;
	int pid, cpid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	make_parent(mm);
	cpid = fork_child(mm, pid, &cmm);
	fault_ok(cmm, X + 7 * P, WRITE_PROT);	/* a frame of the child's own */
	fault_ok(cmm, UNTOUCHED, WRITE);

	assert_int_equal(vm_task_reap(cpid, NULL), 0);
	for (i = 0; i < NPRIV_PAGES; i++) {
		struct page *page = page_at(mm, priv_va(i));

		assert_counts(page, 1, 1);
		assert_true(frame_is(page, pattern(priv_va(i))));
	}
	for (i = 0; i < NSHARED; i++)
		assert_counts(page_at(mm, S + i * P), 1, 1);
	assert_int_equal(((struct anon_vma *)__va(find_vma(mm, X)->anon_vma))->nr_vmas, 1);
	assert_int_equal(((struct anon_vma *)__va(find_vma(mm, S)->anon_vma))->nr_vmas, 1);
	assert_int_equal(nr_anon_mapped(), NPRIV_PAGES + NSHARED);
	assert_machine_valid();

	pfn = pfn_at(mm, X + 3 * P);
	fault_ok(mm, X + 3 * P, WRITE_PROT);
	assert_int_equal(pfn_at(mm, X + 3 * P), pfn);
	assert_true(pte_write(pte_at(mm, X + 3 * P)));
	end_case(&tm, pid);
}

/*
 * The other order: the parent goes first (a child of the supervisor's, so
 * the parent's exit leaves it be). The child keeps every frame, now alone,
 * and the anon_vma the parent made lives on for the child's VMA.
 */
static void test_parent_exit_leaves_child_sole_owner(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm, *cmm;
	uint32_t av;
	unsigned long pfn;
	unsigned i;
	int pid, cpid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	make_parent(mm);
	cpid = fork_child(mm, 0, &cmm);
	av = find_vma(cmm, X)->anon_vma;

	assert_int_equal(vm_task_reap(pid, NULL), 0);
	for (i = 0; i < NPRIV_PAGES; i++) {
		struct page *page = page_at(cmm, priv_va(i));

		assert_counts(page, 1, 1);
		assert_int_equal(page->mapping, av | PAGE_MAPPING_ANON);
		assert_true(frame_is(page, pattern(priv_va(i))));
	}
	assert_int_equal(find_vma(cmm, X)->anon_vma, av);
	assert_int_equal(((struct anon_vma *)__va(av))->nr_vmas, 1);
	assert_int_equal(((struct anon_vma *)__va(av))->head, (uint32_t)__pa(find_vma(cmm, X)));
	assert_int_equal(nr_anon_mapped(), NPRIV_PAGES + NSHARED);
	assert_machine_valid();

	pfn = pfn_at(cmm, ONE2);
	fault_ok(cmm, ONE2, WRITE_PROT);
	assert_int_equal(pfn_at(cmm, ONE2), pfn);
	end_case(&tm, cpid);
}

/* ---- a fork killed in copy_pte_range ----------------------------------------
 *
 * The parent process runs dup_mmap holding its own mmap_lock. Killed there,
 * it leaves a child mm half made: the VMA being copied on the anon_vma, some
 * PTEs shared and one frame noted INFLIGHT_DUP in the child's mm at some
 * step of its sharing. The reaper marks the parent's lock, and the parent's
 * exit first exits the half-made child (forget_children), whose
 * mm_inflight_release recounts the noted frame from the PTEs under both
 * mms' locks. The cases build that state step by step as copy_pte_range
 * takes them (a VMA of two single pages, A shared fully, B cut short),
 * run the child's exit, and look at the counts before the parent goes.
 */
enum dup_step {
	DUP_NOTED,		/* note set, nothing else */
	DUP_GOT_PAGE,		/* and the reference taken */
	DUP_MAPCOUNT,		/* and the mapcount raised */
	DUP_SET_PTE,		/* and the child's PTE set, the note not yet cleared */
	DUP_DONE,		/* and the note cleared */
};

/* dup_mmap's copy of one VMA, before its pages: the layout fields, the
 * VMA on the parent's anon_vma and in the child's tree. */
static void dup_vma_by_hand(struct mm_struct *child, struct mm_struct *parent,
			    struct vm_area_struct *vma)
{
	struct vm_area_struct *tmp = kmem_cache_alloc(vma_cachep(), GFP_KERNEL);

	assert_non_null(tmp);
	child->task_size = parent->task_size;
	child->mmap_base = parent->mmap_base;
	child->start_brk = parent->start_brk;
	child->brk = parent->brk;
	child->start_stack = parent->start_stack;
	child->stack_rlimit = parent->stack_rlimit;
	child->map_count_max = parent->map_count_max;
	*tmp = *vma;
	tmp->vm_mm = (uint32_t)__pa(child);
	tmp->anon_vma = tmp->anon_vma_next = 0;
	memset(&tmp->vm_avl, 0, sizeof(tmp->vm_avl));
	anon_vma_link(tmp, vma->anon_vma);
	vma_link(child, tmp);
	child->total_vm += (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
}

/* copy_pte_range's steps for the PTE at addr, up to and including upto. */
static void dup_pte_by_hand(struct mm_struct *child, struct mm_struct *parent, uint32_t addr,
			    enum dup_step upto)
{
	uint64_t spte = pte_lookup(parent, addr), dpte = pte_alloc_map(child, addr);
	pteval_t e = pt_read(spte) & ~(pteval_t)_PAGE_RW;
	struct page *page = pfn_to_page(pte_pfn(e));

	assert_true(spte && dpte);
	set_pte(spte, e);
	pte_table_account(child, addr, 1);
	mm_inflight_set(child, INFLIGHT_DUP, pte_pfn(e), 0, addr);
	if (upto >= DUP_GOT_PAGE)
		get_page(page);
	if (upto >= DUP_MAPCOUNT)
		__atomic_fetch_add(&page->_mapcount, 1, __ATOMIC_RELAXED);
	if (upto >= DUP_SET_PTE)
		set_pte(dpte, e);
	if (upto >= DUP_DONE)
		mm_inflight_clear(child);
}

static void killed_in_dup(void **state, enum dup_step step)
{
	const uint32_t a = X, b = X + P;
	struct test_machine tm;
	struct mm_struct *mm, *cmm;
	struct page *pa, *pb;
	uint64_t mark;
	int pid, cpid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	map(mm, X, 2 * P, ANON);		/* too small for a run: single pages */
	fault_ok(mm, a, WRITE);
	fault_ok(mm, b, WRITE);
	pa = page_at(mm, a);
	pb = page_at(mm, b);
	frame_fill(pa, 0xa1);
	frame_fill(pb, 0xb2);

	cpid = new_child(pid, &cmm);
	dup_vma_by_hand(cmm, mm, find_vma(mm, X));
	dup_pte_by_hand(cmm, mm, a, DUP_DONE);
	dup_pte_by_hand(cmm, mm, b, step);
	assert_counts(pb, 1 + (step >= DUP_MAPCOUNT), 1 + (step >= DUP_GOT_PAGE));
	die_holding(mm);

	/* the reaper exits the half-made child first */
	mark = log_mark();
	assert_int_equal(vm_task_reap(cpid, NULL), 0);
	assert_true(log_has(mark, "settling frame"));
	if (step == DUP_GOT_PAGE || step == DUP_MAPCOUNT)
		assert_true(log_has(mark, "recounted"));
	/* the parent's lock passed on and was let go */
	assert_int_equal(mm->mmap_lock.word & ~VM_LOCK_WAITERS, 0);
	/* what the parent's PTEs say, no more */
	assert_int_equal(pfn_at(mm, a), page_to_pfn(pa));
	assert_int_equal(pfn_at(mm, b), page_to_pfn(pb));
	assert_counts(pa, 1, 1);
	assert_counts(pb, 1, 1);
	assert_true(frame_is(pa, 0xa1));
	assert_true(frame_is(pb, 0xb2));
	assert_int_equal(((struct anon_vma *)__va(find_vma(mm, X)->anon_vma))->nr_vmas, 1);
	assert_int_equal(nr_anon_mapped(), 2);
	assert_machine_valid();
	/* B is the parent's alone: a write reuses it in place */
	fault_ok(mm, b, WRITE_PROT);
	assert_int_equal(pfn_at(mm, b), page_to_pfn(pb));
	end_case(&tm, pid);
}

static void test_fork_killed_dup_before_get_page(void **state)
{
	killed_in_dup(state, DUP_NOTED);
}

static void test_fork_killed_dup_after_get_page(void **state)
{
	killed_in_dup(state, DUP_GOT_PAGE);
}

static void test_fork_killed_dup_after_mapcount(void **state)
{
	killed_in_dup(state, DUP_MAPCOUNT);
}

static void test_fork_killed_dup_after_set_pte(void **state)
{
	killed_in_dup(state, DUP_SET_PTE);
}

/*
 * The same kill, exited the way the supervisor exits it: reap the parent,
 * whose exit finds the half-made child (TASK_NEW, no host process, made
 * by fork) among its children and exits it first. Nothing is lost and no
 * task is left.
 */
static void test_fork_killed_parent_exit_frees_half_made_child(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm, *cmm;
	int pid, cpid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	map(mm, X, 2 * P, ANON);
	fault_ok(mm, X, WRITE);
	fault_ok(mm, X + P, WRITE);
	cpid = new_child(pid, &cmm);
	dup_vma_by_hand(cmm, mm, find_vma(mm, X));
	dup_pte_by_hand(cmm, mm, X, DUP_DONE);
	dup_pte_by_hand(cmm, mm, X + P, DUP_MAPCOUNT);
	die_holding(mm);
	assert_int_equal(vm_task_reap(pid, NULL), 0);
	assert_null(find_task_by_pid(cpid));
	assert_null(find_task_by_pid(pid));
	test_shutdown(&tm);
}

/* ---- the child killed while unmapping a frame it shares -----------------------
 *
 * zap_page_range clears the PTE, drops the mapcount (stage UNMAPPED), then
 * the reference. With another mapper a drop that happened and one that did
 * not look alike, so the exit recounts from the PTEs: whatever was dropped,
 * the frame ends with the parent's one mapping and one reference. The
 * combination reference dropped, mapcount not is no order zap uses; it is
 * here to show the recount trusts the PTEs, not the note's stage. When the
 * parent had copied away before the kill (last), no PTE maps the frame any
 * more and the recount frees it.
 */
static void killed_in_unmap(void **state, bool mapcount_dropped, bool ref_dropped, bool last,
			    bool anon_count)
{
	const uint32_t va = X + P;
	struct test_machine tm;
	struct mm_struct *mm, *cmm;
	struct page *page;
	unsigned long pfn;
	int pid, cpid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	map(mm, X, 2 * P, ANON);
	fault_ok(mm, X, WRITE);
	fault_ok(mm, va, WRITE);
	frame_fill(page_at(mm, va), 0x3c);
	cpid = fork_child(mm, pid, &cmm);
	pfn = pfn_at(cmm, va);
	page = pfn_to_page(pfn);
	if (last) {
		/* the parent copied away: the child maps the frame alone */
		fault_ok(mm, va, WRITE_PROT);
		assert_int_not_equal(pfn_at(mm, va), pfn);
		assert_counts(page, 1, 1);
	} else {
		assert_counts(page, 2, 2);
	}

	/* zap_page_range in the child, cut short */
	mm_inflight_set(cmm, INFLIGHT_UNMAP, pfn, 0, va);
	pte_clear(pte_lookup(cmm, va));
	if (mapcount_dropped) {
		__atomic_sub_fetch(&page->_mapcount, 1, __ATOMIC_RELAXED);
		mm_inflight_stage(cmm, INFLIGHT_UNMAPPED);
	}
	if (ref_dropped)
		put_page(page);
	die_holding(cmm);

	assert_int_equal(vm_task_reap(cpid, NULL), 0);
	if (last) {
		/* nobody maps it: freed (the case's end counts it back) */
		assert_int_equal(page_ref_count(page), 0);
		assert_counts(page_at(mm, va), 1, 1);
		assert_true(frame_is(page_at(mm, va), 0x3c));
	} else {
		assert_int_equal(pfn_at(mm, va), pfn);
		assert_counts(page, 1, 1);
		assert_true(frame_is(page, 0x3c));
	}
	assert_counts(page_at(mm, X), 1, 1);
	assert_machine_valid();
	if (anon_count)
		assert_int_equal(nr_anon_mapped(), 2);	/* the parent's two pages */
	end_case(&tm, pid);
}

static void test_fork_killed_unmap_after_pte_clear(void **state)
{
	killed_in_unmap(state, false, false, false, true);
}

static void test_fork_killed_unmap_after_mapcount_drop(void **state)
{
	killed_in_unmap(state, true, false, false, true);
}

static void test_fork_killed_unmap_after_both_drops(void **state)
{
	killed_in_unmap(state, true, true, false, true);
}

static void test_fork_killed_unmap_reference_dropped_mapcount_not(void **state)
{
	killed_in_unmap(state, false, true, false, true);
}

static void test_fork_killed_unmap_last_mapper_after_pte_clear(void **state)
{
	killed_in_unmap(state, false, false, true, false);
}

static void test_fork_killed_unmap_last_mapper_after_mapcount_drop(void **state)
{
	killed_in_unmap(state, true, false, true, false);
}

/* The frame the recount frees was an anonymous page mapped: NR_ANON_MAPPED
 * must lose it, as the zap that was cut short would have made it. */
static void test_fork_killed_unmap_last_mapper_keeps_anon_mapped_count(void **state)
{
	killed_in_unmap(state, false, false, true, true);
}

/* ---- the child killed in a copy on write -------------------------------------
 *
 * do_wp_page notes the new frame and the one it replaces (inflight_old_pfn),
 * copies, maps the new frame, then drops the old frame's mapcount and
 * reference. Killed anywhere in there, the exit frees the new frame if no
 * PTE maps it (the zap frees it if one does) and recounts the old one, which
 * ends with the parent's mapping alone.
 */
enum cow_step {
	COW_COPIED,		/* new frame set up, not mapped */
	COW_MAPPED,		/* the child's PTE names the new frame */
	COW_OLD_UNMAPPED,	/* and the old frame's mapcount dropped */
	COW_OLD_PUT,		/* and its reference, the note not yet cleared */
};

static void killed_in_cow(void **state, enum cow_step step, bool anon_count)
{
	const uint32_t va = X + P;
	int mode = *(int *)*state;
	struct test_machine tm;
	struct mm_struct *mm, *cmm;
	struct page *old, *new;
	unsigned long new_pfn;
	uint64_t pte;
	pteval_t e;
	int pid, cpid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	map(mm, X, 2 * P, ANON);
	fault_ok(mm, X, WRITE);
	fault_ok(mm, va, WRITE);
	frame_fill(page_at(mm, va), 0x7e);
	cpid = fork_child(mm, pid, &cmm);
	old = page_at(cmm, va);
	pte = pte_lookup(cmm, va);
	e = pt_read(pte);

	/* do_wp_page in the child, by its steps */
	cmm->inflight_old_pfn = (uint32_t)page_to_pfn(old);
	mm_inflight_prepare(cmm, INFLIGHT_COW, 0, va);
	new = alloc_page(GFP_HIGHUSER);
	assert_non_null(new);
	new_pfn = page_to_pfn(new);
	assert_int_equal(cmm->inflight_pfn, new_pfn);	/* the allocator's claim */
	mm_inflight_set(cmm, INFLIGHT_COW, new_pfn, 0, va);
	copy_highpage(new, old);
	new->mapping = find_vma(cmm, va)->anon_vma | PAGE_MAPPING_ANON;
	new->index = va >> PAGE_SHIFT;
	new->_mapcount = 0;
	if (step >= COW_MAPPED) {
		set_pte(pte, pfn_pte(mode, new_pfn,
				     pte_flags(e) | _PAGE_RW | _PAGE_DIRTY | _PAGE_ACCESSED));
		mod_node_page_state(NR_ANON_MAPPED, 1);	/* counted with its PTE */
	}
	if (step >= COW_OLD_UNMAPPED) {
		/* the parent still maps it: no page leaves NR_ANON_MAPPED */
		__atomic_sub_fetch(&old->_mapcount, 1, __ATOMIC_RELAXED);
	}
	if (step >= COW_OLD_PUT)
		put_page(old);
	die_holding(cmm);

	assert_int_equal(vm_task_reap(cpid, NULL), 0);
	assert_int_equal(pfn_at(mm, va), page_to_pfn(old));
	assert_counts(old, 1, 1);
	assert_true(frame_is(old, 0x7e));
	assert_int_equal(page_ref_count(new), 0);	/* freed */
	assert_counts(page_at(mm, X), 1, 1);
	assert_machine_valid();
	if (anon_count)
		assert_int_equal(nr_anon_mapped(), 2);	/* the parent's two pages */
	end_case(&tm, pid);
}

static void test_cow_killed_before_set_pte(void **state)
{
	killed_in_cow(state, COW_COPIED, true);
}

static void test_cow_killed_after_new_frame_mapped(void **state)
{
	killed_in_cow(state, COW_MAPPED, false);
}

/* Killed with the new frame mapped and the old one not yet let go: the
 * new frame was counted in NR_ANON_MAPPED with its PTE, so the exit's zap
 * of it takes away exactly that page, and the old frame, which the parent
 * still maps, stays counted. */
static void test_cow_killed_after_new_frame_mapped_keeps_anon_mapped_count(void **state)
{
	killed_in_cow(state, COW_MAPPED, true);
}

static void test_cow_killed_after_old_mapcount_drop(void **state)
{
	killed_in_cow(state, COW_OLD_UNMAPPED, true);
}

static void test_cow_killed_after_old_put(void **state)
{
	killed_in_cow(state, COW_OLD_PUT, true);
}

/* ---- fork without memory ------------------------------------------------------ */

static struct page *held[(64 * MiB) >> PAGE_SHIFT];	/* static: a failed case longjmps */

/* Take every frame an allocation for a page table could get: the user
 * pages' zones first, then the kernel's. Returns how many were taken. */
static unsigned long hoard(struct page **slot)
{
	static const gfp_t how[] = { GFP_HIGHUSER | __GFP_NOWARN, GFP_KERNEL | __GFP_NOWARN };
	unsigned long n = 0;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(how); i++)
		while ((slot[n] = alloc_page(how[i])) != NULL)
			n++;
	return n;
}

/* What make_parent's mm must still hold, frame for frame. */
struct parent_image {
	unsigned long priv[NPRIV_PAGES];
	unsigned long shared[NSHARED];
	uint32_t map_count;
};

static void parent_snapshot(struct mm_struct *mm, struct parent_image *img)
{
	unsigned i;

	for (i = 0; i < NPRIV_PAGES; i++)
		img->priv[i] = pfn_at(mm, priv_va(i));
	for (i = 0; i < NSHARED; i++)
		img->shared[i] = pfn_at(mm, S + i * P);
	img->map_count = mm->mm_avl.count;
}

/* The parent as before the fork: the same VMAs, the same frames with the
 * same bytes, each counted once for every mm that maps it (mapped: 1, or
 * 2 where the child got its copy before the fork failed). */
static void assert_parent_whole(struct mm_struct *mm, struct mm_struct *cmm,
				const struct parent_image *img)
{
	unsigned i;

	assert_int_equal(mm->mm_avl.count, img->map_count);
	assert_int_equal(mm->rss_stat[MM_ANONPAGES], NPRIV_PAGES);
	assert_int_equal(mm->rss_stat[MM_SHMEMPAGES], NSHARED);
	for (i = 0; i < NPRIV_PAGES; i++) {
		uint32_t va = priv_va(i);
		struct page *page = pfn_to_page(img->priv[i]);
		int mapped = 1 + (cmm && pte_present(pte_at(cmm, va)));

		assert_int_equal(pfn_at(mm, va), img->priv[i]);
		assert_true(frame_is(page, pattern(va)));
		assert_counts(page, mapped, mapped);
	}
	for (i = 0; i < NSHARED; i++) {
		int mapped = 1 + (cmm && pte_present(pte_at(cmm, S + i * P)));

		assert_int_equal(pfn_at(mm, S + i * P), img->shared[i]);
		assert_counts(pfn_to_page(img->shared[i]), mapped, mapped);
	}
	assert_int_equal(pfn_at(mm, ZVA), ZERO_PFN);
}

/*
 * With every frame taken, dup_mmap cannot have the child's page tables:
 * -ENOMEM, and the parent keeps every VMA, frame and byte (its PTEs may be
 * write-protected, which the next write undoes). Then frames come back one
 * at a time and the fork is tried again with a fresh child, so it fails
 * for want of each table in turn, the last failures with part of the
 * parent already shared, until it succeeds; each failed child's mm is
 * dropped by its exit and gives back what it took.
 */
static void test_fork_without_memory_fails_and_leaves_parent_whole(void **state)
{
	struct test_machine tm;
	struct parent_image img;
	struct mm_struct *mm, *cmm;
	unsigned long n, i, k;
	int pid, cpid, err, fails = 0;

	boot(&tm, state);
	pid = test_new_task(&mm);
	make_parent(mm);
	for (i = 0; i < NSHARED; i++)		/* nothing left to populate */
		fault_ok(mm, S + i * P, WRITE);
	parent_snapshot(mm, &img);
	assert_true(max_pfn <= ARRAY_SIZE(held));

	n = 0;
	for (k = 0;; k++) {
		cpid = new_child(pid, &cmm);
		n += hoard(held + n);
		for (i = 0; i < k && n; i++)
			__free_page(held[--n]);
		err = dup_locked(cmm, mm);
		if (err == 0)
			break;
		assert_int_equal(err, -ENOMEM);
		fails++;
		assert_parent_whole(mm, cmm, &img);
		assert_machine_valid();
		assert_int_equal(vm_task_reap(cpid, NULL), 0);
		assert_parent_whole(mm, NULL, &img);
		assert_machine_valid();
		assert_true(k < 64);
	}
	/* one failure for each table the child needs: i386 two page
	 * tables, pae a PMD table too */
	assert_int_equal(fails, mm->nr_ptes);
	/* the fork that got through shares everything */
	for (i = 0; i < NPRIV_PAGES; i++) {
		assert_int_equal(pfn_at(cmm, priv_va(i)), img.priv[i]);
		assert_counts(pfn_to_page(img.priv[i]), 2, 2);
	}
	for (i = 0; i < NSHARED; i++)
		assert_int_equal(pfn_at(cmm, S + i * P), img.shared[i]);
	assert_machine_valid();
	assert_int_equal(vm_task_reap(cpid, NULL), 0);
	assert_parent_whole(mm, NULL, &img);
	for (i = 0; i < n; i++)
		__free_page(held[i]);
	/* a write-protected page of the parent's is its own again */
	fault_ok(mm, X + 3 * P, WRITE_PROT);
	assert_int_equal(pfn_at(mm, X + 3 * P), img.priv[3]);
	end_case(&tm, pid);
}

/*
 * Shared anonymous memory has no object a later fault could find the
 * parent's frame in, so dup_mmap populates it before it copies; a fork
 * that cannot populate it must fail, not hand the child a mapping that
 * faults in frames of its own. With every frame taken and the shared
 * mapping never touched, either dup_mmap says -ENOMEM, or parent and
 * child see one frame at each page once memory is back.
 */
static void test_fork_without_memory_never_unshares_shared_memory(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm, *cmm;
	unsigned long n, i;
	int pid, cpid, err;

	boot(&tm, state);
	pid = test_new_task(&mm);
	map(mm, S, NSHARED * P, SHARED_ANON);
	cpid = new_child(pid, &cmm);
	n = hoard(held);
	err = dup_locked(cmm, mm);
	for (i = 0; i < n; i++)
		__free_page(held[i]);
	if (err == 0) {
		/* the fork went through: then the mapping must be one */
		fault_ok(mm, S, WRITE);
		fault_ok(cmm, S, READ);
		assert_int_equal(pfn_at(cmm, S), pfn_at(mm, S));
	} else {
		assert_int_equal(err, -ENOMEM);
	}
	assert_machine_valid();
	assert_int_equal(vm_task_reap(cpid, NULL), 0);
	end_case(&tm, pid);
}

/* ---- page_referenced ------------------------------------------------------------ */

/*
 * A frame mapped by both mms: page_referenced walks the anon_vma's list to
 * both PTEs, counts each with A set, clears A in both, and shoots down
 * the owners' host mappings, which for tasks with no process is nothing
 * (tlb_shootdown returns 0 without posting: a zero timeout would fail if
 * it waited). A second look finds nothing; A set again on one side counts
 * one; a busy mm (its lock held) counts as a reference without its PTE
 * being touched.
 */
static void test_page_referenced_reaches_both_mms(void **state)
{
	const uint32_t va = ONE1;
	const struct tlb_range range = { va, PAGE_SIZE };
	struct test_machine tm;
	struct mm_struct *mm, *cmm;
	struct task_struct *t;
	struct page *page;
	uint64_t ppte, cpte;
	int pid, cpid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	make_parent(mm);
	cpid = fork_child(mm, pid, &cmm);
	page = page_at(mm, va);
	ppte = pte_lookup(mm, va);
	cpte = pte_lookup(cmm, va);
	assert_int_equal(pte_pfn(pt_read(cpte)), page_to_pfn(page));

	/* neither task has a process: a shootdown to either is done at once */
	t = find_task_by_pid(pid);
	assert_int_equal(t->state, TASK_NEW);
	assert_int_equal(t->host_pid, 0);
	assert_int_equal(tlb_shootdown(t, &range, 1, 0), 0);
	assert_int_equal(tlb_shootdown(find_task_by_pid(cpid), &range, 1, 0), 0);

	set_pte(ppte, pt_read(ppte) | _PAGE_ACCESSED);
	set_pte(cpte, pt_read(cpte) | _PAGE_ACCESSED);
	assert_int_equal(page_referenced(page), 2);
	assert_false(pte_young(pt_read(ppte)));
	assert_false(pte_young(pt_read(cpte)));
	assert_int_equal(pte_pfn(pt_read(ppte)), page_to_pfn(page));	/* only A went */
	assert_int_equal(pte_pfn(pt_read(cpte)), page_to_pfn(page));
	assert_int_equal(page_referenced(page), 0);

	/* the child touches it again */
	set_pte(cpte, pt_read(cpte) | _PAGE_ACCESSED);
	assert_int_equal(page_referenced(page), 1);
	assert_false(pte_young(pt_read(cpte)));

	/* a busy mm is taken as referenced and left alone */
	set_pte(ppte, pt_read(ppte) | _PAGE_ACCESSED);
	vm_lock_or_panic(&mm->mmap_lock, "mmap_lock");
	assert_int_equal(page_referenced(page), 1);
	vm_lock_release(&mm->mmap_lock);
	assert_true(pte_young(pt_read(ppte)));
	assert_int_equal(page_referenced(page), 1);
	assert_false(pte_young(pt_read(ppte)));

	/* a frame only one side maps any more (the child copied) */
	fault_ok(cmm, va, WRITE_PROT);
	set_pte(ppte, pt_read(ppte) | _PAGE_ACCESSED);
	assert_int_equal(page_referenced(page), 1);
	assert_counts(page, 1, 1);
	assert_machine_valid();

	assert_int_equal(vm_task_reap(cpid, NULL), 0);
	end_case(&tm, pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_dup_mmap_shares_every_frame_read_only),
		BOTH(test_cow_after_fork_copies_then_reuses),
		BOTH(test_child_exit_leaves_parent_sole_owner),
		BOTH(test_parent_exit_leaves_child_sole_owner),
		BOTH(test_fork_killed_dup_before_get_page),
		BOTH(test_fork_killed_dup_after_get_page),
		BOTH(test_fork_killed_dup_after_mapcount),
		BOTH(test_fork_killed_dup_after_set_pte),
		BOTH(test_fork_killed_parent_exit_frees_half_made_child),
		BOTH(test_fork_killed_unmap_after_pte_clear),
		BOTH(test_fork_killed_unmap_after_mapcount_drop),
		BOTH(test_fork_killed_unmap_after_both_drops),
		BOTH(test_fork_killed_unmap_reference_dropped_mapcount_not),
		BOTH(test_fork_killed_unmap_last_mapper_after_pte_clear),
		BOTH(test_fork_killed_unmap_last_mapper_after_mapcount_drop),
		BOTH(test_fork_killed_unmap_last_mapper_keeps_anon_mapped_count),
		BOTH(test_cow_killed_before_set_pte),
		BOTH(test_cow_killed_after_new_frame_mapped),
		BOTH(test_cow_killed_after_new_frame_mapped_keeps_anon_mapped_count),
		BOTH(test_cow_killed_after_old_mapcount_drop),
		BOTH(test_cow_killed_after_old_put),
		BOTH(test_fork_without_memory_fails_and_leaves_parent_whole),
		BOTH(test_fork_without_memory_never_unshares_shared_memory),
		BOTH(test_page_referenced_reaches_both_mms),
	};
	cpu_set_t one;

	/* Freed frames wait on the per-CPU list of the CPU that freed them:
	 * stay on one CPU so a case gets back the frames it just freed. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
