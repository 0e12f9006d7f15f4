/* test_fault.c - what handle_mm_fault decides and does to the page tables,
 * without a host mapping (it fills struct tlb_fill): demand-zero pages
 * mapped read-only on a read and writable and dirty on a write, the reuse
 * of a private page at its write fault and the copy of a shared one, the
 * aligned 16-page runs of the default folio order, the VMA checks (no VMA,
 * rights), TLB-miss refills of present PTEs, HighMem frames, the identity
 * of an anonymous page, and every frame back after munmap. Each case runs
 * in i386 and in pae where it makes sense, on a fresh machine, and ends
 * with the task reaped, every frame back and check clean.
 */
#include <sched.h>
#include <sys/mman.h>

#include "common.h"
#include "kernel.h"

#define MiB (1ULL << 20)
#define P PAGE_SIZE

#define ANON		(MAP_PRIVATE | MAP_ANONYMOUS)
#define RW		(PROT_READ | PROT_WRITE)
#define X		0x40000000u	/* 4 MiB aligned: a page table's first va in both modes */

#define READ		(X86_PF_USER)
#define WRITE		(X86_PF_USER | X86_PF_WRITE)
#define WRITE_PROT	(X86_PF_USER | X86_PF_WRITE | X86_PF_PROT)
#define EXEC		(X86_PF_USER | X86_PF_INSTR)

/* test_boot with the options it does not take. */
static void boot_opts(struct test_machine *tm, uint64_t ram, int mode, int folio_order)
{
	struct vm_boot_opts o = { .ram_bytes = ram, .mode = mode, .folio_order = folio_order };

	if (vm_boot(&o) != 0)
		fail_msg("boot failed: %s", vm_strerror());
	tm->boot_free = nr_free_frames();
}

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

static long map(struct mm_struct *mm, uint32_t addr, uint32_t len, int prot)
{
	long r = mm_mmap(mm, addr, len, prot, ANON | MAP_FIXED, -1, 0);

	assert_int_equal(r, addr);
	return r;
}

static long rss(struct mm_struct *mm)
{
	return (long)mm->rss_stat[MM_ANONPAGES];
}

/* Is the frame all zero? Through kmap, wherever it lies. */
static bool frame_is_zero(struct page *page)
{
	const uint8_t *k = kmap(page);
	bool zero = true;
	unsigned i;

	for (i = 0; i < PAGE_SIZE && zero; i++)
		zero = k[i] == 0;
	kunmap(page);
	return zero;
}

/* An anonymous page as do_anonymous_page leaves it: on its VMA's
 * anon_vma, at its va, mapped once, held once. */
static void assert_anon_page(struct mm_struct *mm, uint32_t addr)
{
	struct page *page = page_at(mm, addr);
	struct vm_area_struct *vma = find_vma(mm, addr);

	assert_non_null(vma);
	assert_int_not_equal(vma->anon_vma, 0);
	assert_int_equal(page->mapping, vma->anon_vma | PAGE_MAPPING_ANON);
	assert_int_equal(page->index, addr >> PAGE_SHIFT);
	assert_int_equal(page->_mapcount, 0);
	assert_int_equal(page_ref_count(page), 1);
	assert_false(PageTail(page));
	assert_false(PageHead(page));
}

/* ---- demand zero and the A/D bits ---------------------------------------- */

/* A read of an untouched page maps the zero page: present, user and
 * young but neither writable nor dirty, holding no frame of its own; the
 * first write faults again and gets a zeroed frame with RW and D. */
static void test_read_then_write_fault(void **state)
{
	struct test_machine tm;
	struct tlb_fill fill;
	struct mm_struct *mm;
	unsigned long pfn;
	pteval_t e;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	map(mm, X, 4 * P, RW);
	assert_int_equal(fault(mm, X + P + 0x10, READ, &fill), VM_FAULT_OK);
	assert_int_equal(fill.va, X + P);
	assert_int_equal(fill.npages, 1);	/* a 4-page VMA holds no 16-page run */
	assert_false(fill.writable);
	assert_false(fill.tlb_miss);
	assert_false(fill.exec);
	assert_false(fill.major);
	e = pte_at(mm, X + P);
	assert_true(pte_present(e));
	assert_true(pte_user(e));
	assert_true(pte_young(e));
	assert_false(pte_write(e));
	assert_false(pte_dirty(e));
	assert_int_equal(!!(e & _PAGE_NX), vm_pae());	/* not an exec VMA */
	pfn = pte_pfn(e);
	assert_int_equal(fill.pfn, pfn);
	assert_int_equal(pfn, ZERO_PFN);
	assert_true(frame_is_zero(pfn_to_page(pfn)));
	assert_int_equal(rss(mm), 0);
	assert_int_equal(global_node_page_state(NR_ANON_MAPPED), 0);
	assert_int_equal(mm->nr_ptes, vm_pae() ? 2 : 1);
	assert_int_equal(pte_at(mm, X), 0);		/* the neighbours untouched */
	assert_int_equal(pte_at(mm, X + 2 * P), 0);
	assert_machine_valid();

	/* the write: the host reports it as a protection fault */
	assert_int_equal(fault(mm, X + P + 0x20, WRITE_PROT, &fill), VM_FAULT_OK);
	e = pte_at(mm, X + P);
	assert_int_not_equal(pte_pfn(e), ZERO_PFN);
	assert_int_equal(fill.pfn, pte_pfn(e));
	assert_anon_page(mm, X + P);
	assert_true(frame_is_zero(pfn_to_page(pte_pfn(e))));
	assert_int_equal(rss(mm), 1);
	assert_int_equal(global_node_page_state(NR_ANON_MAPPED), 1);
	assert_true(pte_present(e) && pte_user(e) && pte_young(e));
	assert_true(pte_write(e));
	assert_true(pte_dirty(e));
	assert_int_equal(fill.va, X + P);
	assert_int_equal(fill.npages, 1);
	assert_true(fill.writable);
	assert_false(fill.tlb_miss);
	assert_anon_page(mm, X + P);
	assert_int_equal(rss(mm), 1);
	assert_machine_valid();
	end_case(&tm, pid);
}

/* A write to a page never touched maps it RW and D at once. */
static void test_write_first_fault_is_writable_and_dirty(void **state)
{
	struct test_machine tm;
	struct tlb_fill fill;
	struct mm_struct *mm;
	pteval_t e;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	map(mm, X, 2 * P, RW);
	assert_int_equal(fault(mm, X + 0xFFF, WRITE, &fill), VM_FAULT_OK);
	e = pte_at(mm, X);
	assert_true(pte_present(e) && pte_user(e) && pte_young(e) && pte_write(e) && pte_dirty(e));
	assert_true(fill.writable);
	assert_int_equal(fill.va, X);
	assert_int_equal(fill.npages, 1);
	assert_int_equal(fill.pfn, pte_pfn(e));
	assert_anon_page(mm, X);
	assert_true(frame_is_zero(page_at(mm, X)));
	end_case(&tm, pid);
}

/* A write to a read-only page that someone else also holds copies it:
 * a new frame with the same contents, the old one let go by this mm. */
static void test_write_to_shared_frame_copies(void **state)
{
	struct test_machine tm;
	struct tlb_fill fill;
	struct mm_struct *mm;
	struct page *old, *new;
	uint8_t *k;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	map(mm, X, 2 * P, RW);
	assert_int_equal(fault(mm, X, WRITE, &fill), VM_FAULT_OK);
	old = page_at(mm, X);
	k = kmap(old);
	memset(k, 0x5a, PAGE_SIZE);
	kunmap(old);
	/* read-only, as fork leaves it, and a second holder: no reuse */
	set_pte(pte_lookup(mm, X), pte_at(mm, X) & ~(pteval_t)_PAGE_RW);
	get_page(old);
	assert_int_equal(fault(mm, X + 8, WRITE_PROT, &fill), VM_FAULT_OK);
	new = page_at(mm, X);
	assert_ptr_not_equal(new, old);
	assert_int_equal(fill.pfn, page_to_pfn(new));
	assert_true(fill.writable);
	assert_true(pte_write(pte_at(mm, X)) && pte_dirty(pte_at(mm, X)));
	assert_anon_page(mm, X);
	k = kmap(new);
	assert_int_equal(k[0], 0x5a);
	assert_int_equal(k[PAGE_SIZE - 1], 0x5a);
	kunmap(new);
	assert_int_equal(old->_mapcount, -1);
	assert_int_equal(page_ref_count(old), 1);
	assert_int_equal(rss(mm), 1);
	assert_machine_valid();
	put_page(old);
	end_case(&tm, pid);
}

/* ---- large anonymous folios -------------------------------------------- */

/* In a VMA that holds the aligned 16-page run around the fault, the fault
 * maps the whole run: 16 physically contiguous frames, a PTE each, one
 * host mapping; each frame an independent order-0 anonymous page. */
static void test_fault_maps_aligned_16_page_run(void **state)
{
	struct test_machine tm;
	struct tlb_fill fill;
	struct mm_struct *mm;
	uint32_t run = X + 16 * P;
	unsigned long pfn0;
	unsigned i;
	int pid;

	boot(&tm, state);
	assert_int_equal(vm_boot_block->folio_order, VM_FOLIO_ORDER_DEFAULT);
	pid = test_new_task(&mm);
	map(mm, X, 32 * P, RW);
	assert_int_equal(fault(mm, run + 5 * P + 0x123, WRITE, &fill), VM_FAULT_OK);
	assert_int_equal(fill.va, run);
	assert_int_equal(fill.npages, 16);
	assert_true(fill.writable);
	pfn0 = fill.pfn;
	assert_int_equal(pfn0 % 16, 0);		/* a buddy block of order 4 */
	for (i = 0; i < 16; i++) {
		pteval_t e = pte_at(mm, run + i * P);

		assert_true(pte_present(e) && pte_user(e) && pte_young(e) && pte_write(e) &&
			    pte_dirty(e));
		assert_int_equal(pte_pfn(e), pfn0 + i);
		assert_anon_page(mm, run + i * P);
		assert_true(frame_is_zero(pfn_to_page(pfn0 + i)));
	}
	assert_int_equal(pte_at(mm, run - P), 0);	/* the first half untouched */
	assert_int_equal(rss(mm), 16);
	assert_int_equal(global_node_page_state(NR_ANON_MAPPED), 16);
	assert_int_equal(pfn_to_page(pte_lookup(mm, run) >> PAGE_SHIFT)->private, 16);
	assert_machine_valid();

	/* another page of the run: present and young, a refill of the whole run */
	assert_int_equal(fault(mm, run + 9 * P, READ, &fill), VM_FAULT_OK);
	assert_true(fill.tlb_miss);
	assert_int_equal(fill.va, run);
	assert_int_equal(fill.npages, 16);
	assert_int_equal(fill.pfn, pfn0);
	assert_true(fill.writable);
	assert_int_equal(rss(mm), 16);

	/* the first half: a read maps the zero page there, one page */
	assert_int_equal(fault(mm, X + 15 * P, READ, &fill), VM_FAULT_OK);
	assert_int_equal(fill.va, X + 15 * P);
	assert_int_equal(fill.npages, 1);
	assert_int_equal(fill.pfn, ZERO_PFN);
	assert_false(fill.writable);
	assert_int_equal(rss(mm), 16);
	/* a PTE in use in the run: a write next to it maps one page */
	assert_int_equal(fault(mm, X + 3 * P, WRITE, &fill), VM_FAULT_OK);
	assert_int_equal(fill.va, X + 3 * P);
	assert_int_equal(fill.npages, 1);
	assert_true(fill.writable);
	assert_int_equal(rss(mm), 17);
	/* and a write to the zero page gives it a frame of its own */
	assert_int_equal(fault(mm, X + 15 * P, WRITE_PROT, &fill), VM_FAULT_OK);
	assert_int_not_equal(fill.pfn, ZERO_PFN);
	assert_anon_page(mm, X + 15 * P);
	assert_true(frame_is_zero(pfn_to_page(fill.pfn)));
	assert_int_equal(rss(mm), 18);
	assert_machine_valid();
	end_case(&tm, pid);
}

/* No run when it would leave the VMA (either end) or meet a PTE in use:
 * one page then. */
static void test_fault_maps_one_page_when_run_does_not_fit(void **state)
{
	struct test_machine tm;
	struct tlb_fill fill;
	struct mm_struct *mm;
	uint32_t y = X + 64 * P, z = X + 128 * P;
	unsigned long pfn5;
	struct page *held;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	/* [X, X+20): the run [X+16, X+32) crosses the end */
	map(mm, X, 20 * P, RW);
	assert_int_equal(fault(mm, X + 17 * P, WRITE, &fill), VM_FAULT_OK);
	assert_int_equal(fill.va, X + 17 * P);
	assert_int_equal(fill.npages, 1);
	assert_int_equal(rss(mm), 1);
	/* but [X, X+16) fits */
	assert_int_equal(fault(mm, X + 3 * P, WRITE, &fill), VM_FAULT_OK);
	assert_int_equal(fill.va, X);
	assert_int_equal(fill.npages, 16);
	assert_int_equal(rss(mm), 17);

	/* [y+1, y+33): the run [y, y+16) starts before the VMA */
	map(mm, y + P, 32 * P, PROT_READ);
	assert_int_equal(fault(mm, y + 2 * P, READ, &fill), VM_FAULT_OK);
	assert_int_equal(fill.va, y + 2 * P);
	assert_int_equal(fill.npages, 1);
	assert_int_equal(pte_at(mm, y + P), 0);

	/* [z, z+16) with a hole punched in its run: refaults one page */
	map(mm, z, 16 * P, RW);
	assert_int_equal(fault(mm, z, WRITE, &fill), VM_FAULT_OK);
	assert_int_equal(fill.npages, 16);
	pfn5 = pte_pfn(pte_at(mm, z + 5 * P));
	assert_int_equal(mm_madvise(mm, z + 5 * P, P, MADV_DONTNEED), 0);
	assert_int_equal(pte_at(mm, z + 5 * P), 0);
	held = alloc_page(GFP_HIGHUSER);	/* the freed frame, from the hot end */
	assert_int_equal(page_to_pfn(held), pfn5);
	assert_int_equal(fault(mm, z + 5 * P, WRITE, &fill), VM_FAULT_OK);
	assert_int_equal(fill.va, z + 5 * P);
	assert_int_equal(fill.npages, 1);
	assert_int_not_equal(fill.pfn, pfn5);
	assert_anon_page(mm, z + 5 * P);
	__free_page(held);
	/* and a refill there is one page: the run is no longer contiguous */
	assert_int_equal(fault(mm, z + 5 * P, WRITE, &fill), VM_FAULT_OK);
	assert_true(fill.tlb_miss);
	assert_int_equal(fill.npages, 1);
	assert_int_equal(fault(mm, z + 6 * P, WRITE, &fill), VM_FAULT_OK);
	assert_true(fill.tlb_miss);
	assert_int_equal(fill.npages, 1);
	assert_int_equal(rss(mm), 17 + 16);	/* the read-only VMA's page is the zero page */
	end_case(&tm, pid);
}

/* A shared anonymous mapping is faulted a page at a time, writable from
 * the start (PAGE_SHARED) and counted as shmem. */
static void test_shared_anonymous_fault(void **state)
{
	struct test_machine tm;
	struct tlb_fill fill;
	struct mm_struct *mm;
	pteval_t e;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	assert_int_equal(mm_mmap(mm, X, 32 * P, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0), X);
	assert_int_equal(fault(mm, X + 4 * P, READ, &fill), VM_FAULT_OK);
	assert_int_equal(fill.npages, 1);
	e = pte_at(mm, X + 4 * P);
	assert_true(pte_present(e) && pte_write(e));
	assert_false(pte_dirty(e));
	assert_false(fill.writable);	/* clean: the first write still faults, to set D */
	assert_int_equal(mm->rss_stat[MM_SHMEMPAGES], 1);
	assert_int_equal(rss(mm), 0);
	assert_int_equal(fault(mm, X + 4 * P, WRITE_PROT, &fill), VM_FAULT_OK);
	assert_true(pte_dirty(pte_at(mm, X + 4 * P)));
	assert_true(fill.writable);
	assert_int_equal(fill.pfn, pte_pfn(e));
	end_case(&tm, pid);
}

/* ---- what the VMA forbids ---------------------------------------------- */

/* No VMA at the address (a hole, past TASK_SIZE, the NULL guard): BADMAP,
 * and the tables are not touched. */
static void test_fault_with_no_vma_is_badmap(void **state)
{
	struct test_machine tm;
	struct tlb_fill fill;
	struct mm_struct *mm;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	map(mm, X, 4 * P, RW);
	assert_int_equal(fault(mm, X + 4 * P, READ, &fill), VM_FAULT_BADMAP);
	assert_int_equal(fault(mm, X - 1, WRITE, &fill), VM_FAULT_BADMAP);
	assert_int_equal(fault(mm, 0, READ, &fill), VM_FAULT_BADMAP);
	assert_int_equal(fault(mm, 0x8000, WRITE, &fill), VM_FAULT_BADMAP);
	assert_int_equal(fault(mm, 0x080495b0, READ, &fill), VM_FAULT_BADMAP);
	assert_int_equal(fault(mm, TASK_SIZE, READ, &fill), VM_FAULT_BADMAP);
	assert_int_equal(fault(mm, 0xC0123456, WRITE, &fill), VM_FAULT_BADMAP);
	assert_int_equal(fault(mm, 0xFFFFFFFF, READ, &fill), VM_FAULT_BADMAP);
	assert_int_equal(fill.npages, 0);
	assert_int_equal(mm->nr_ptes, 0);
	assert_int_equal(rss(mm), 0);
	end_case(&tm, pid);
}

/* The VMA is there but forbids the access (Linux's access_error): a write
 * to PROT_READ, any access to PROT_NONE, an instruction fetch from a
 * non-exec VMA. BADACCESS, and no table made for it. */
static void test_access_the_vma_forbids_is_badaccess(void **state)
{
	const uint32_t ro = X, none = X + 16 * P, rw = X + 32 * P, rx = X + 48 * P;
	struct test_machine tm;
	struct tlb_fill fill;
	struct mm_struct *mm;
	pteval_t e;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	map(mm, ro, 4 * P, PROT_READ);
	map(mm, none, 4 * P, PROT_NONE);
	map(mm, rw, 4 * P, RW);
	map(mm, rx, 4 * P, PROT_READ | PROT_EXEC);
	assert_int_equal(fault(mm, ro, WRITE, &fill), VM_FAULT_BADACCESS);
	assert_int_equal(fault(mm, none, READ, &fill), VM_FAULT_BADACCESS);
	assert_int_equal(fault(mm, none + P, WRITE, &fill), VM_FAULT_BADACCESS);
	assert_int_equal(fault(mm, none + 2 * P, EXEC, &fill), VM_FAULT_BADACCESS);
	assert_int_equal(fault(mm, rw, EXEC, &fill), VM_FAULT_BADACCESS);
	assert_int_equal(fault(mm, ro + P, EXEC, &fill), VM_FAULT_BADACCESS);
	assert_int_equal(fault(mm, rx, WRITE, &fill), VM_FAULT_BADACCESS);
	assert_int_equal(mm->nr_ptes, 0);
	assert_int_equal(rss(mm), 0);

	/* what they do allow */
	assert_int_equal(fault(mm, ro, READ, &fill), VM_FAULT_OK);
	assert_false(pte_write(pte_at(mm, ro)));
	assert_false(fill.exec);
	/* after the read, a write to the page is still refused */
	assert_int_equal(fault(mm, ro, WRITE_PROT, &fill), VM_FAULT_BADACCESS);
	assert_false(pte_write(pte_at(mm, ro)));
	assert_int_equal(fault(mm, rx + P, EXEC, &fill), VM_FAULT_OK);
	assert_true(fill.exec);
	assert_false(fill.writable);
	e = pte_at(mm, rx + P);
	assert_true(pte_present(e) && pte_user(e) && pte_exec(e));
	assert_false(pte_write(e));
	assert_false(e & _PAGE_NX);
	assert_int_equal(fault(mm, rw, WRITE, &fill), VM_FAULT_OK);
	assert_false(fill.exec);
	assert_int_equal(!!(pte_at(mm, rw) & _PAGE_NX), vm_pae());
	end_case(&tm, pid);
}

/* ---- refills ------------------------------------------------------------- */

/* A fault on a present PTE with A set only refills the host mapping
 * (tlb_miss); with A clear (aged) it sets A again and is no TLB miss. A
 * read of a dirty writable page may map it writable. */
static void test_present_young_pte_is_tlb_miss(void **state)
{
	struct test_machine tm;
	struct tlb_fill fill;
	struct mm_struct *mm;
	uint64_t pte;
	unsigned long pfn;
	pteval_t e;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	map(mm, X, 2 * P, RW);
	assert_int_equal(fault(mm, X, READ, &fill), VM_FAULT_OK);
	assert_false(fill.tlb_miss);
	pfn = fill.pfn;
	assert_int_equal(fault(mm, X + 100, READ, &fill), VM_FAULT_OK);
	assert_true(fill.tlb_miss);
	assert_int_equal(fill.pfn, pfn);
	assert_int_equal(fill.va, X);
	assert_int_equal(fill.npages, 1);
	assert_false(fill.writable);
	assert_int_equal(rss(mm), 0);		/* the zero page */

	/* aged: A cleared (and the host mapping flushed) */
	pte = pte_lookup(mm, X);
	e = pt_read(pte);
	set_pte(pte, e & ~_PAGE_ACCESSED);
	assert_int_equal(fault(mm, X, READ, &fill), VM_FAULT_OK);
	assert_false(fill.tlb_miss);
	assert_true(pte_young(pt_read(pte)));
	assert_int_equal(pte_pfn(pt_read(pte)), pfn);

	/* written, then written again: a refill, writable */
	assert_int_equal(fault(mm, X, WRITE_PROT, &fill), VM_FAULT_OK);
	assert_false(fill.tlb_miss);
	assert_int_equal(fault(mm, X, WRITE, &fill), VM_FAULT_OK);
	assert_true(fill.tlb_miss);
	assert_true(fill.writable);
	/* a read of a dirty page maps it writable at once */
	assert_int_equal(fault(mm, X, READ, &fill), VM_FAULT_OK);
	assert_true(fill.tlb_miss);
	assert_true(fill.writable);
	/* D cleared (cleaned): the next write sets it again, no TLB miss */
	set_pte(pte, pt_read(pte) & ~_PAGE_DIRTY);
	assert_int_equal(fault(mm, X, READ, &fill), VM_FAULT_OK);
	assert_false(fill.writable);
	assert_int_equal(fault(mm, X, WRITE_PROT, &fill), VM_FAULT_OK);
	assert_false(fill.tlb_miss);
	assert_true(fill.writable);
	assert_true(pte_dirty(pt_read(pte)));
	assert_int_not_equal(pte_pfn(pt_read(pte)), pfn);	/* no longer the zero page */
	assert_int_equal(rss(mm), 1);
	end_case(&tm, pid);
}

/* ---- HighMem -------------------------------------------------------------- */

/* On a machine with HighMem, user pages come from it first, and a frame
 * that held data reads as zero when it is faulted in. */
static void test_highmem_frame_reads_zero(void **state)
{
	enum { N = 64 };
	struct test_machine tm;
	struct page *dirty[N];
	struct tlb_fill fill;
	struct mm_struct *mm;
	struct page *page;
	bool was_dirty = false;
	unsigned i;
	int pid;

	boot_opts(&tm, 1100 * MiB, *(int *)*state, 0);
	assert_true(max_low_pfn < max_pfn);
	for (i = 0; i < N; i++) {
		dirty[i] = alloc_page(GFP_HIGHUSER);
		assert_non_null(dirty[i]);
		assert_true(PageHighMem(dirty[i]));
		memset(kmap(dirty[i]), 0xA5, PAGE_SIZE);
		kunmap(dirty[i]);
	}
	for (i = 0; i < N; i++)
		__free_page(dirty[i]);

	pid = test_new_task(&mm);
	map(mm, X, 4 * P, RW);
	assert_int_equal(fault(mm, X + 2 * P, WRITE, &fill), VM_FAULT_OK);
	page = pfn_to_page(fill.pfn);
	assert_true(PageHighMem(page));
	assert_null(page_address(page));
	for (i = 0; i < N; i++)
		was_dirty |= page == dirty[i];
	assert_true(was_dirty);		/* the hot end of the per-CPU list */
	assert_true(frame_is_zero(page));
	assert_anon_page(mm, X + 2 * P);

	/* a 16-page run from HighMem, all zero */
	map(mm, X + 16 * P, 16 * P, RW);
	assert_int_equal(fault(mm, X + 20 * P, WRITE, &fill), VM_FAULT_OK);
	assert_int_equal(fill.npages, 16);
	for (i = 0; i < 16; i++) {
		page = pfn_to_page(fill.pfn + i);
		assert_true(PageHighMem(page));
		assert_true(frame_is_zero(page));
	}
	/* the page tables themselves are lowmem */
	assert_true((pte_lookup(mm, X) >> PAGE_SHIFT) < max_low_pfn);
	end_case(&tm, pid);
}

/* ---- giving back ---------------------------------------------------------- */

/* munmap gives back every frame a fault took: pages, page tables, across
 * several tables; the counters return to where they were. */
static void test_munmap_returns_every_frame(void **state)
{
	const uint32_t start = X + 3 * MiB, len = 6 * MiB;	/* i386: 3 tables; pae: 4 and a PMD */
	struct test_machine tm;
	struct tlb_fill fill;
	struct mm_struct *mm;
	unsigned long before, pt0;
	uint32_t a;
	int pid, n = 0;

	boot(&tm, state);
	pid = test_new_task(&mm);
	drain_all_pages();
	before = nr_free_frames();
	pt0 = global_node_page_state(NR_PAGETABLE);
	map(mm, start, len, RW);
	for (a = start; a < start + len; a += 7 * P, n++)
		assert_int_equal(fault(mm, a, n % 3 ? WRITE : READ, &fill), VM_FAULT_OK);
	assert_true(rss(mm) > 0);
	assert_int_equal(mm->nr_ptes, vm_pae() ? 5 : 3);
	assert_true(global_node_page_state(NR_PAGETABLE) == pt0 + mm->nr_ptes);
	assert_int_equal(global_node_page_state(NR_ANON_MAPPED), rss(mm));
	assert_machine_valid();
	assert_int_equal(mm_munmap(mm, start, len), 0);
	assert_int_equal(rss(mm), 0);
	assert_int_equal(mm->nr_ptes, 0);
	assert_int_equal(global_node_page_state(NR_PAGETABLE), pt0);
	assert_int_equal(global_node_page_state(NR_ANON_MAPPED), 0);
	drain_all_pages();
	assert_int_equal(nr_free_frames(), before);
	assert_true(mm->hiwater_rss > 0);
	end_case(&tm, pid);
}

/* ---- out of memory -------------------------------------------------------- */

/* With RAM exhausted to the watermark, a fault is VM_FAULT_OOM and leaves
 * no page table behind (the one it made for the PTE is given back when
 * the page cannot be had); as frames come back, the same fault succeeds. */
static void test_fault_without_memory_is_oom_and_leaves_no_table(void **state)
{
	struct test_machine tm;
	struct tlb_fill fill;
	struct mm_struct *mm;
	static struct page *held[(64 * MiB) >> PAGE_SHIFT];	/* static: a failed case longjmps */
	unsigned long n = 0, i;
	int pid, r, ooms = 0;

	boot(&tm, state);
	pid = test_new_task(&mm);
	map(mm, X, 32 * P, RW);
	assert_true(max_pfn <= sizeof(held) / sizeof(held[0]));
	while ((held[n] = alloc_page(GFP_HIGHUSER | __GFP_NOWARN)) != NULL)
		n++;
	assert_true(n > 0);
	for (;;) {
		r = fault(mm, X + 20 * P, WRITE, &fill);
		if (r == VM_FAULT_OK)
			break;
		assert_int_equal(r, VM_FAULT_OOM);
		ooms++;
		assert_machine_valid();
		assert_int_equal(mm->nr_ptes, 0);
		assert_int_equal(rss(mm), 0);
		assert_int_equal(pte_lookup(mm, X + 20 * P), 0);
		assert_true(n > 0);
		__free_page(held[--n]);		/* one frame back, try again */
	}
	assert_true(ooms > 0);
	assert_true(rss(mm) >= 1);
	assert_anon_page(mm, X + 20 * P);
	assert_machine_valid();
	for (i = 0; i < n; i++)
		__free_page(held[i]);
	end_case(&tm, pid);
}

/* ---- the folio order ------------------------------------------------------- */

/* .folio_order = -1: every anonymous fault maps one page. */
static void test_folio_order_zero_maps_one_page(void **state)
{
	struct test_machine tm;
	struct tlb_fill fill;
	struct mm_struct *mm;
	int pid;

	boot_opts(&tm, 64 * MiB, *(int *)*state, -1);
	assert_int_equal(vm_boot_block->folio_order, 0);
	pid = test_new_task(&mm);
	map(mm, X, 32 * P, RW);
	assert_int_equal(fault(mm, X + 5 * P, WRITE, &fill), VM_FAULT_OK);
	assert_int_equal(fill.va, X + 5 * P);
	assert_int_equal(fill.npages, 1);
	assert_int_equal(rss(mm), 1);
	assert_int_equal(pte_at(mm, X + 4 * P), 0);
	assert_int_equal(pte_at(mm, X + 6 * P), 0);
	assert_int_equal(fault(mm, X + 6 * P, WRITE, &fill), VM_FAULT_OK);
	assert_int_equal(fill.npages, 1);
	/* a refill is one page too */
	assert_int_equal(fault(mm, X + 5 * P, WRITE, &fill), VM_FAULT_OK);
	assert_true(fill.tlb_miss);
	assert_int_equal(fill.npages, 1);
	assert_int_equal(rss(mm), 2);
	end_case(&tm, pid);
}

/* Another order: .folio_order = 2 maps aligned runs of 4 pages; too large
 * an order is clamped to VM_FOLIO_ORDER_MAX. */
static void test_folio_order_two_maps_four_pages(void **state)
{
	struct test_machine tm;
	struct tlb_fill fill;
	struct mm_struct *mm;
	int pid;

	boot_opts(&tm, 64 * MiB, *(int *)*state, 2);
	assert_int_equal(vm_boot_block->folio_order, 2);
	pid = test_new_task(&mm);
	map(mm, X, 32 * P, RW);
	assert_int_equal(fault(mm, X + 6 * P, WRITE, &fill), VM_FAULT_OK);
	assert_int_equal(fill.va, X + 4 * P);
	assert_int_equal(fill.npages, 4);
	assert_int_equal(fill.pfn % 4, 0);
	assert_int_equal(rss(mm), 4);
	assert_int_equal(pte_at(mm, X + 3 * P), 0);
	assert_int_equal(pte_at(mm, X + 8 * P), 0);
	end_case(&tm, pid);

	boot_opts(&tm, 64 * MiB, *(int *)*state, 30);
	assert_int_equal(vm_boot_block->folio_order, VM_FOLIO_ORDER_MAX);
	test_shutdown(&tm);
}

/* ---- a guest killed inside the kernel ------------------------------------
 *
 * Each case leaves an mm as a SIGKILL at one point of a fault or an unmap
 * would leave it, with the frames noted in flight, then reaps the task:
 * every frame must come back. */

/* A folio taken from the allocator, the guest killed before split_page. */
static void test_killed_before_split_frees_the_folio(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	struct page *run;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	map(mm, X, 64 * PAGE_SIZE, RW);
	run = alloc_pages(GFP_HIGHUSER, 4);
	assert_non_null(run);
	mm_inflight_set(mm, INFLIGHT_ANON, page_to_pfn(run), 4, X);
	assert_int_equal(vm_task_reap(pid, NULL), 0);
	test_shutdown(&tm);
}

/* Split, and killed with half the PTEs written: those go with the exit's
 * unmap, the rest from the note. */
static void test_killed_mid_folio_frees_the_rest(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	struct page *run;
	uint64_t pte;
	unsigned i, esz = pt_entry_size(*(int *)*state);
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	map(mm, X, 64 * PAGE_SIZE, RW);
	vm_lock_or_panic(&mm->mmap_lock, "mmap_lock");
	pte = pte_alloc_map(mm, X);
	assert_true(pte != 0);
	run = alloc_pages(GFP_HIGHUSER, 4);
	assert_non_null(run);
	mm_inflight_set(mm, INFLIGHT_ANON, page_to_pfn(run), 4, X);
	split_page(run, 4);
	pte_table_account(mm, X, 16);
	for (i = 0; i < 8; i++) {
		run[i]._mapcount = 0;
		run[i].mapping = (uint32_t)__pa(mm) | PAGE_MAPPING_ANON;
		set_pte(pte + i * esz, pfn_pte(*(int *)*state, page_to_pfn(run + i),
					       _PAGE_PRESENT | _PAGE_USER | _PAGE_RW));
	}
	run[8]._mapcount = 0;	/* the ninth was being set up */
	vm_lock_release(&mm->mmap_lock);
	assert_int_equal(vm_task_reap(pid, NULL), 0);
	test_shutdown(&tm);
}

/* A page table taken, the guest killed before it was linked. */
static void test_killed_before_table_link_frees_it(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	struct page *pt;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	pt = alloc_page(GFP_KERNEL | __GFP_ZERO);
	assert_non_null(pt);
	SetPagePgtable(pt);
	pt->mapping = (uint32_t)__pa(mm);
	pt->index = X >> PAGE_SHIFT;
	mod_node_page_state(NR_PAGETABLE, 1);
	mm_inflight_set(mm, INFLIGHT_PTE_TABLE, page_to_pfn(pt), 0, X);
	assert_int_equal(vm_task_reap(pid, NULL), 0);
	test_shutdown(&tm);
}

/* Unmapping: killed after the PTE was cleared, before (stage UNMAP) and
 * after (UNMAPPED) the mapcount dropped, and after the frame was freed. */
static void killed_in_unmap(void **state, int stage)
{
	struct test_machine tm;
	struct tlb_fill fill;
	struct mm_struct *mm;
	struct page *page;
	uint64_t pte;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	map(mm, X, PAGE_SIZE, RW);
	assert_int_equal(fault(mm, X, WRITE, &fill), VM_FAULT_OK);
	page = pfn_to_page(fill.pfn);
	pte = pte_lookup(mm, X);
	mm_inflight_set(mm, INFLIGHT_UNMAP, fill.pfn, 0, X);
	pte_clear(pte);
	if (stage >= INFLIGHT_UNMAPPED) {
		page->_mapcount--;
		mm_inflight_stage(mm, INFLIGHT_UNMAPPED);
	}
	if (stage > INFLIGHT_UNMAPPED)
		put_page(page);		/* killed after the frame went */
	assert_int_equal(vm_task_reap(pid, NULL), 0);
	test_shutdown(&tm);
}

static void test_killed_after_pte_clear(void **state)
{
	killed_in_unmap(state, INFLIGHT_UNMAP);
}

static void test_killed_after_mapcount_drop(void **state)
{
	killed_in_unmap(state, INFLIGHT_UNMAPPED);
}

static void test_killed_after_the_frame_went(void **state)
{
	killed_in_unmap(state, INFLIGHT_UNMAPPED + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_read_then_write_fault),
		BOTH(test_write_first_fault_is_writable_and_dirty),
		BOTH(test_write_to_shared_frame_copies),
		BOTH(test_fault_maps_aligned_16_page_run),
		BOTH(test_fault_maps_one_page_when_run_does_not_fit),
		BOTH(test_shared_anonymous_fault),
		BOTH(test_fault_with_no_vma_is_badmap),
		BOTH(test_access_the_vma_forbids_is_badaccess),
		BOTH(test_present_young_pte_is_tlb_miss),
		BOTH(test_highmem_frame_reads_zero),
		BOTH(test_munmap_returns_every_frame),
		BOTH(test_fault_without_memory_is_oom_and_leaves_no_table),
		BOTH(test_folio_order_zero_maps_one_page),
		BOTH(test_folio_order_two_maps_four_pages),
		BOTH(test_killed_before_split_frees_the_folio),
		BOTH(test_killed_mid_folio_frees_the_rest),
		BOTH(test_killed_before_table_link_frees_it),
		BOTH(test_killed_after_pte_clear),
		BOTH(test_killed_after_mapcount_drop),
		BOTH(test_killed_after_the_frame_went),
	};
	cpu_set_t one;

	/* Freed frames wait on the per-CPU list of the CPU that freed them:
	 * stay on one CPU so a case gets back the frames it just freed. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
