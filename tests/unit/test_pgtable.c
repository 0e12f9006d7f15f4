/* test_pgtable.c - the page-table formats (DESIGN §3) and a user address
 * space's tables: the entry accessors on the x86 bit layout, the index
 * split of a va, tables made on demand by pte_alloc_map and freed with
 * their directory slot when their last entry goes, the walk of each level,
 * swap-shaped entries, the kernel quarter every directory shares, and
 * i386's pgd_list clearing stale copies of a freed kernel PDE. Cases that
 * need a machine run in i386 and in pae on a fresh 64 MiB machine, with a
 * task from vm_task_create, and end with the task reaped, every frame back
 * and check clean.
 */
#include <sched.h>

#include "common.h"
#include "../../libvm/internal.h"
#include <vm/pgtable.h>

#define MiB (1ULL << 20)

/* The seed's .data address. */
#define SEED_VA		0x080495b0u

static void boot(struct test_machine *tm, void **state)
{
	test_boot(tm, 64 * MiB, *(int *)*state);
}

static void mm_lock(struct mm_struct *mm)
{
	vm_lock_or_panic(&mm->mmap_lock, "mmap_lock");
}

static void mm_unlock(struct mm_struct *mm)
{
	vm_lock_release(&mm->mmap_lock);
}

static void end_case(struct test_machine *tm, int pid)
{
	assert_int_equal(vm_task_reap(pid, NULL), 0);
	test_shutdown(tm);
}

static struct page *pa_page(uint64_t pa)
{
	return pfn_to_page(pa >> PAGE_SHIFT);
}

/* ---- entry values ------------------------------------------------------- */

/* P=0 RW=1 US=2 PWT=3 PCD=4 A=5 D=6 PS=7 G=8, frame from bit 12, NX=63. */
static void test_entry_bits_are_the_x86_layout(void **state)
{
	(void)state;
	assert_int_equal(_PAGE_PRESENT, 0x001);
	assert_int_equal(_PAGE_RW, 0x002);
	assert_int_equal(_PAGE_USER, 0x004);
	assert_int_equal(_PAGE_PWT, 0x008);
	assert_int_equal(_PAGE_PCD, 0x010);
	assert_int_equal(_PAGE_ACCESSED, 0x020);
	assert_int_equal(_PAGE_DIRTY, 0x040);
	assert_int_equal(_PAGE_PSE, 0x080);
	assert_int_equal(_PAGE_GLOBAL, 0x100);
	assert_true(_PAGE_NX == 0x8000000000000000ULL);
	assert_true(PTE_PFN_MASK == 0x000FFFFFFFFFF000ULL);
}

/* Each accessor reads its bit and only its bit, in both modes; NX is kept
 * in pae and stripped in i386, where the bit does not exist. */
static void test_pte_accessors(void **state)
{
	static const int modes[] = { VM_MODE_I386, VM_MODE_PAE };
	unsigned i;

	(void)state;
	for (i = 0; i < 2; i++) {
		int mode = modes[i];
		bool pae = mode == VM_MODE_PAE;
		pteval_t e;

		/* a user page, read-only, young, clean, not executable */
		e = pfn_pte(mode, 0x2fb, _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX);
		assert_true(e == (0x2fb000ULL | 0x25 | (pae ? _PAGE_NX : 0)));
		assert_int_equal(pte_pfn(e), 0x2fb);
		assert_true(pte_present(e));
		assert_false(pte_none(e));
		assert_false(pte_swap(e));
		assert_true(pte_user(e));
		assert_true(pte_young(e));
		assert_false(pte_write(e));
		assert_false(pte_dirty(e));
		assert_false(pte_global(e));
		assert_int_equal(pte_exec(e), !pae);	/* i386 cannot forbid it */
		assert_true(pte_flags(e) == (0x25 | (pae ? _PAGE_NX : 0)));

		/* every bit on its own */
		assert_true(pte_write(pfn_pte(mode, 1, _PAGE_RW)));
		assert_true(pte_dirty(pfn_pte(mode, 1, _PAGE_DIRTY)));
		assert_true(pte_global(pfn_pte(mode, 1, _PAGE_GLOBAL)));
		assert_false(pte_present(pfn_pte(mode, 1, _PAGE_RW)));
		assert_true(pte_exec(pfn_pte(mode, 1, _PAGE_PRESENT)));

		/* frame bits never leak into the flags, nor flags into the frame */
		e = pfn_pte(mode, 0xFFFFF, PTE_FLAGS_MASK & ~_PAGE_NX);
		assert_int_equal(pte_pfn(e), 0xFFFFF);
		assert_true(pte_flags(e) == (PTE_FLAGS_MASK & ~_PAGE_NX));
		assert_true((e & PTE_PFN_MASK) == 0xFFFFF000ULL);
		/* prot bits inside the frame field are dropped */
		assert_int_equal(pte_pfn(pfn_pte(mode, 7, 0xABC000)), 7);

		/* the kernel protections */
		e = pfn_pte(mode, 5, PAGE_KERNEL);
		assert_true(pte_present(e) && pte_write(e) && pte_young(e) && pte_dirty(e) &&
			    pte_global(e));
		assert_false(pte_user(e));
		assert_int_equal(!!(e & _PAGE_NX), pae);
		e = pfn_pte(mode, 5, PAGE_KERNEL_RO);
		assert_false(pte_write(e));
		assert_false(pte_dirty(e));

		/* directory entries: a table link and a large page */
		e = pfn_pte(mode, 0x1234, _PAGE_TABLE);
		assert_true(pgd_present(e) && pmd_present(e));
		assert_false(pmd_large(e));
		assert_true(pmd_table_pa(e) == 0x1234000ULL);
		assert_true(pgd_table_pa(e) == 0x1234000ULL);
		e = pfn_pte(mode, 0x400, PAGE_KERNEL_LARGE);
		assert_true(pmd_large(e));
		assert_false(pmd_large(e & ~_PAGE_PRESENT));	/* PS without P is not a page */
		assert_true(pgd_none(0) && pmd_none(0) && pte_none(0));
	}
	/* pae's frame field reaches past 4 GiB (64 GiB needs bit 35) */
	assert_int_equal(pte_pfn(pfn_pte(VM_MODE_PAE, 0xFFFFFF, _PAGE_PRESENT)), 0xFFFFFF);
	assert_true(pfn_pte(VM_MODE_PAE, 0xFFFFFF, _PAGE_PRESENT) == 0xFFFFFF001ULL);
	/* __supported_pte_mask: everything in pae, all but NX in i386 */
	assert_true(__supported_pte_mask(VM_MODE_PAE) == ~0ULL);
	assert_true(__supported_pte_mask(VM_MODE_I386) == ~_PAGE_NX);
}

/* Not present but not zero: a swap entry, whatever the other bits say. */
static void test_swap_entry_shape(void **state)
{
	(void)state;
	assert_true(pte_swap(0x2));
	assert_true(pte_swap(0x1234500ULL));
	assert_true(pte_swap(_PAGE_NX));
	assert_false(pte_swap(0));
	assert_false(pte_swap(0x1234501ULL));
	assert_false(pte_present(0x1234500ULL));
	assert_false(pte_none(0x1234500ULL));
}

/* ---- geometry ----------------------------------------------------------- */

/* The seed's example, 0x080495b0: i386 PGD 32, PTE 73, offset 0x5b0; pae
 * PGD 0, PMD 64, PTE 73. */
static void test_va_split(void **state)
{
	(void)state;
	assert_int_equal(pgd_index(VM_MODE_I386, SEED_VA), 32);
	assert_int_equal(pmd_index(VM_MODE_I386, SEED_VA), 0);
	assert_int_equal(pte_index(VM_MODE_I386, SEED_VA), 73);
	assert_int_equal(SEED_VA & (PAGE_SIZE - 1), 0x5b0);
	assert_int_equal(pgd_index(VM_MODE_PAE, SEED_VA), 0);
	assert_int_equal(pmd_index(VM_MODE_PAE, SEED_VA), 64);
	assert_int_equal(pte_index(VM_MODE_PAE, SEED_VA), 73);

	/* the ends of the address space */
	assert_int_equal(pgd_index(VM_MODE_I386, 0xFFFFFFFF), 1023);
	assert_int_equal(pte_index(VM_MODE_I386, 0xFFFFFFFF), 1023);
	assert_int_equal(pgd_index(VM_MODE_PAE, 0xFFFFFFFF), 3);
	assert_int_equal(pmd_index(VM_MODE_PAE, 0xFFFFFFFF), 511);
	assert_int_equal(pte_index(VM_MODE_PAE, 0xFFFFFFFF), 511);
	assert_int_equal(pgd_index(VM_MODE_I386, TASK_SIZE - 1), 767);
	assert_int_equal(pgd_index(VM_MODE_PAE, TASK_SIZE - 1), 2);

	assert_int_equal(pt_levels(VM_MODE_I386), 2);
	assert_int_equal(pt_levels(VM_MODE_PAE), 3);
	assert_int_equal(pt_entry_size(VM_MODE_I386), 4);
	assert_int_equal(pt_entry_size(VM_MODE_PAE), 8);
	assert_int_equal(ptrs_per_pgd(VM_MODE_I386), 1024);
	assert_int_equal(ptrs_per_pmd(VM_MODE_I386), 1);
	assert_int_equal(ptrs_per_pte(VM_MODE_I386), 1024);
	assert_int_equal(ptrs_per_pgd(VM_MODE_PAE), 4);
	assert_int_equal(ptrs_per_pmd(VM_MODE_PAE), 512);
	assert_int_equal(ptrs_per_pte(VM_MODE_PAE), 512);
	assert_int_equal(pgd_table_size(VM_MODE_I386), PAGE_SIZE);
	assert_int_equal(pgd_table_size(VM_MODE_PAE), 32);
	/* a PMD entry spans 4 MiB (the PDE) in i386, 2 MiB in pae */
	assert_int_equal(1u << pmd_shift(VM_MODE_I386), 4 * MiB);
	assert_int_equal(1u << pmd_shift(VM_MODE_PAE), 2 * MiB);
	assert_int_equal(1u << pgdir_shift(VM_MODE_PAE), 1024 * MiB);
}

/* ---- a user address space's tables ------------------------------------- */

/* A fresh mm has no table below its directory: the [stack] VMA has not
 * faulted. pte_alloc_map makes what the va needs (i386: a PTE table; pae:
 * a PMD table and a PTE table), marks each frame as this mm's table and
 * counts it; a second va in the same table makes nothing. */
static void test_pte_alloc_map_creates_tables_on_demand(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	unsigned long pt0;
	uint64_t pte, pte2, pmd_slot;
	struct page *pt, *dir;
	bool pae;
	int pid;

	boot(&tm, state);
	pae = vm_pae();
	pt0 = global_node_page_state(NR_PAGETABLE);
	pid = test_new_task(&mm);
	/* i386's directory is a frame and counts; pae's is a pgd_cache object */
	assert_int_equal(global_node_page_state(NR_PAGETABLE), pt0 + (pae ? 0 : 1));
	pt0 = global_node_page_state(NR_PAGETABLE);
	assert_int_equal(mm->nr_ptes, 0);
	if (!pae) {
		dir = pa_page(mm->pgd);
		assert_true(PagePgtable(dir));
		assert_int_equal(dir->mapping, (uint32_t)__pa(mm));
		assert_int_equal(dir->private, 0);
		assert_int_equal(mm->pgd & (PAGE_SIZE - 1), 0);
	} else {
		assert_int_equal(mm->pgd & 31, 0);
	}

	mm_lock(mm);
	assert_int_equal(pte_lookup(mm, SEED_VA), 0);
	pte = pte_alloc_map(mm, SEED_VA);
	assert_true(pte != 0);
	assert_int_equal(pte_lookup(mm, SEED_VA), pte);
	assert_int_equal(mm->nr_ptes, pae ? 2 : 1);
	assert_int_equal(global_node_page_state(NR_PAGETABLE), pt0 + (pae ? 2 : 1));
	/* the slot: entry 73 of the table */
	assert_int_equal(pte & (PAGE_SIZE - 1), 73 * pt_entry_size((int)vm_boot_block->mode));
	assert_true(pte_none(pt_read(pte)));

	pt = pa_page(pte & PAGE_MASK);
	assert_true(PagePgtable(pt));
	assert_int_equal(pt->mapping, (uint32_t)__pa(mm));
	assert_int_equal(pt->index, 0x08000000u >> PAGE_SHIFT);	/* 4 MiB and 2 MiB aligned */
	assert_int_equal(pt->private, 0);	/* no entry in use yet */
	assert_int_equal(page_ref_count(pt), 1);

	/* the directory level counts the table it now links */
	pmd_slot = pmd_offset(pgd_offset(mm->pgd, SEED_VA), SEED_VA);
	assert_true(pmd_present(pt_read(pmd_slot)));
	assert_int_equal(pmd_table_pa(pt_read(pmd_slot)), pte & PAGE_MASK);
	dir = pa_page(pmd_slot & PAGE_MASK);
	assert_true(PagePgtable(dir));
	assert_int_equal(dir->private, 1);
	if (pae) {
		pteval_t pdpte = pt_read(pgd_offset(mm->pgd, SEED_VA));

		/* a PDPT entry holds P and the frame, nothing else */
		assert_true(pte_flags(pdpte) == _PAGE_PRESENT);
		assert_int_equal(pgd_table_pa(pdpte), pmd_slot & PAGE_MASK);
		assert_int_equal(dir->mapping, (uint32_t)__pa(mm));
		assert_int_equal(dir->index, 0);
	} else {
		assert_true(pte_flags(pt_read(pmd_slot)) == (_PAGE_TABLE & ~_PAGE_NX));
	}

	/* the same table for another va it covers */
	pte2 = pte_alloc_map(mm, SEED_VA + 10 * PAGE_SIZE);
	assert_int_equal(pte2, pte + 10 * pt_entry_size((int)vm_boot_block->mode));
	assert_int_equal(mm->nr_ptes, pae ? 2 : 1);

	/* a va in the next table: one more PTE table, the same PMD table */
	pte2 = pte_alloc_map(mm, SEED_VA + (pae ? 2 : 4) * MiB);
	assert_true(pte2 != 0);
	assert_int_not_equal(pte2 & PAGE_MASK, pte & PAGE_MASK);
	assert_int_equal(mm->nr_ptes, pae ? 3 : 2);
	assert_int_equal(dir->private, 2);

	/* an empty table given back with delta 0, as a failed fault does */
	assert_true(pte_table_account(mm, SEED_VA + (pae ? 2 : 4) * MiB, 0));
	assert_true(pte_table_account(mm, SEED_VA, 0));
	assert_int_equal(mm->nr_ptes, 0);
	assert_int_equal(pte_lookup(mm, SEED_VA), 0);
	assert_int_equal(global_node_page_state(NR_PAGETABLE), pt0);
	mm_unlock(mm);
	assert_machine_valid();
	end_case(&tm, pid);
}

/* A PTE set in a table pte_alloc_map made walks as MAPPED, with each
 * level's table, slot and entry; i386's PMD level is the PGD entry itself. */
static void test_set_pte_walks_as_mapped(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	struct page *frame;
	struct pt_walk w;
	uint64_t pte, pfn;
	pteval_t e;
	int pid, mode;

	boot(&tm, state);
	mode = (int)vm_boot_block->mode;
	pid = test_new_task(&mm);
	frame = alloc_page(GFP_KERNEL);
	assert_non_null(frame);
	pfn = page_to_pfn(frame);

	mm_lock(mm);
	assert_int_equal(pt_walk(mm->pgd, SEED_VA, &w), PT_WALK_NONE);
	pte = pte_alloc_map(mm, SEED_VA);
	assert_true(pte != 0);
	assert_int_equal(pt_walk(mm->pgd, SEED_VA, &w), PT_WALK_NONE);
	assert_int_equal(w.last, PT_PTE);	/* the table is there, the entry is zero */
	e = pfn_pte(mode, pfn, _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED |
		    _PAGE_DIRTY | _PAGE_NX);
	set_pte(pte, e);
	assert_false(pte_table_account(mm, SEED_VA, 1));
	assert_int_equal(pa_page(pte & PAGE_MASK)->private, 1);

	assert_int_equal(pt_walk(mm->pgd, SEED_VA, &w), PT_WALK_MAPPED);
	assert_int_equal(w.cr3, mm->pgd);
	assert_int_equal(w.addr, SEED_VA);
	assert_int_equal(w.mode, mode);
	assert_int_equal(w.pfn, pfn);
	assert_true(w.pa == ((pfn << PAGE_SHIFT) | 0x5b0));
	assert_int_equal(w.last, PT_PTE);
	assert_true(w.level[PT_PGD].valid && w.level[PT_PMD].valid && w.level[PT_PTE].valid);
	assert_int_equal(w.level[PT_PGD].table, mm->pgd);
	assert_int_equal(w.level[PT_PTE].index, 73);
	assert_int_equal(w.level[PT_PTE].entry_pa, pte);
	assert_int_equal(w.level[PT_PTE].table, pte & PAGE_MASK);
	assert_true(w.level[PT_PTE].entry == e);
	assert_int_equal(!!(w.level[PT_PTE].entry & _PAGE_NX), mode == VM_MODE_PAE);
	if (mode == VM_MODE_I386) {
		assert_int_equal(w.level[PT_PGD].index, 32);
		assert_int_equal(w.level[PT_PGD].entry_pa, mm->pgd + 32 * 4);
		assert_int_equal(w.level[PT_PMD].folded, 1);
		assert_false(w.level[PT_PGD].folded);
		assert_int_equal(w.level[PT_PMD].entry_pa, w.level[PT_PGD].entry_pa);
		assert_int_equal(w.level[PT_PMD].index, w.level[PT_PGD].index);
		assert_true(w.level[PT_PMD].entry == w.level[PT_PGD].entry);
		assert_int_equal(pmd_table_pa(w.level[PT_PMD].entry), pte & PAGE_MASK);
	} else {
		assert_int_equal(w.level[PT_PGD].index, 0);
		assert_int_equal(w.level[PT_PGD].entry_pa, mm->pgd);
		assert_int_equal(w.level[PT_PMD].index, 64);
		assert_false(w.level[PT_PMD].folded);
		assert_int_equal(w.level[PT_PMD].table, pgd_table_pa(w.level[PT_PGD].entry));
		assert_int_equal(w.level[PT_PMD].entry_pa, w.level[PT_PMD].table + 64 * 8);
		assert_int_equal(pmd_table_pa(w.level[PT_PMD].entry), pte & PAGE_MASK);
	}
	/* the walk agrees with pgd_offset/pmd_offset/pte_offset_kernel */
	assert_int_equal(pgd_offset(mm->pgd, SEED_VA), w.level[PT_PGD].entry_pa);
	assert_int_equal(pmd_offset(pgd_offset(mm->pgd, SEED_VA), SEED_VA), w.level[PT_PMD].entry_pa);
	assert_int_equal(pte_offset_kernel(w.level[PT_PMD].entry_pa, SEED_VA), pte);
	/* the page next door is in the same table but has no entry */
	assert_int_equal(pt_walk(mm->pgd, SEED_VA + PAGE_SIZE, &w), PT_WALK_NONE);
	assert_int_equal(w.level[PT_PTE].index, 74);
	/* a va under no table stops at the directory */
	assert_int_equal(pt_walk(mm->pgd, 0x40000000, &w), PT_WALK_NONE);
	assert_int_equal(w.last, mode == VM_MODE_I386 ? PT_PMD : PT_PGD);
	/* the kernel half walks through the user directory too */
	assert_int_equal(pt_walk(mm->pgd, 0xC0123456, &w), PT_WALK_MAPPED);
	assert_int_equal(w.pfn, 0x123);

	pte_clear(pte);
	assert_true(pte_table_account(mm, SEED_VA, -1));
	mm_unlock(mm);
	__free_page(frame);
	end_case(&tm, pid);
}

/* Clearing the last entry and accounting it frees the table and clears
 * the directory slot; in pae the PMD table goes too when its last PTE
 * table does, and the PDPT slot is cleared.
 *
 *   i386:  PGD[32] -> T1 (2 entries)   PGD[33] -> T2 (1 entry)
 *   pae:   PDPT[0] -> PMD: [64] -> T1 (2 entries)  [66] -> T2 (1 entry)
 */
static void test_last_entry_frees_table_and_slot(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	uint32_t va1 = SEED_VA, va1b = SEED_VA + 5 * PAGE_SIZE, va2;
	uint64_t pte1, pte1b, pte2, slot1, slot2, pgd_slot, t1, t2;
	unsigned long pt0;
	struct page *dir;
	struct pt_walk w;
	int pid, mode;
	bool pae;

	boot(&tm, state);
	mode = (int)vm_boot_block->mode;
	pae = mode == VM_MODE_PAE;
	va2 = SEED_VA + 4 * MiB;		/* i386: PGD 33; pae: PMD slot 66 */
	pid = test_new_task(&mm);
	pt0 = global_node_page_state(NR_PAGETABLE);

	mm_lock(mm);
	pte1 = pte_alloc_map(mm, va1);
	pte1b = pte_alloc_map(mm, va1b);
	pte2 = pte_alloc_map(mm, va2);
	assert_true(pte1 && pte1b && pte2);
	t1 = pte1 & PAGE_MASK;
	t2 = pte2 & PAGE_MASK;
	assert_int_equal(pte1b & PAGE_MASK, t1);
	set_pte(pte1, 0x2);	/* swap-shaped: no frame behind them */
	set_pte(pte1b, 0x4);
	set_pte(pte2, 0x6);
	pte_table_account(mm, va1, 1);
	pte_table_account(mm, va1b, 1);
	pte_table_account(mm, va2, 1);
	assert_int_equal(pa_page(t1)->private, 2);
	assert_int_equal(pa_page(t2)->private, 1);
	slot1 = pmd_offset(pgd_offset(mm->pgd, va1), va1);
	slot2 = pmd_offset(pgd_offset(mm->pgd, va2), va2);
	pgd_slot = pgd_offset(mm->pgd, va1);
	dir = pa_page(slot1 & PAGE_MASK);
	assert_int_equal(dir->private, 2);
	assert_int_equal(mm->nr_ptes, pae ? 3 : 2);
	assert_int_equal(global_node_page_state(NR_PAGETABLE), pt0 + (pae ? 3 : 2));
	if (pae) {
		assert_int_equal(slot2, slot1 + 2 * 8);
		assert_int_equal(pgd_offset(mm->pgd, va2), pgd_slot);
	} else {
		assert_int_equal(slot2, slot1 + 4);
	}

	/* one of T1's two entries: the table stays */
	pte_clear(pte1);
	assert_false(pte_table_account(mm, va1, -1));
	assert_int_equal(pa_page(t1)->private, 1);
	assert_true(pmd_present(pt_read(slot1)));

	/* its last: T1 freed, its slot cleared, the directory counts one */
	pte_clear(pte1b);
	assert_true(pte_table_account(mm, va1b, -1));
	assert_true(pmd_none(pt_read(slot1)));
	assert_false(PagePgtable(pa_page(t1)));
	assert_int_equal(page_ref_count(pa_page(t1)), 0);
	assert_int_equal(dir->private, 1);
	assert_int_equal(mm->nr_ptes, pae ? 2 : 1);
	assert_int_equal(global_node_page_state(NR_PAGETABLE), pt0 + (pae ? 2 : 1));
	assert_int_equal(pte_lookup(mm, va1), 0);
	if (pae)
		assert_true(pgd_present(pt_read(pgd_slot)));	/* T2 still under the PMD */

	/* T2's last: in pae the PMD table empties and the PDPT slot clears */
	pte_clear(pte2);
	assert_true(pte_table_account(mm, va2, -1));
	if (!pae)
		assert_true(pmd_none(pt_read(slot2)));
	assert_int_equal(mm->nr_ptes, 0);
	assert_int_equal(global_node_page_state(NR_PAGETABLE), pt0);
	if (pae) {
		assert_true(pgd_none(pt_read(pgd_slot)));
		assert_false(PagePgtable(dir));
		assert_int_equal(page_ref_count(dir), 0);
	} else {
		/* the PGD frame stays, counting nothing */
		assert_true(PagePgtable(dir));
		assert_int_equal(dir->private, 0);
	}
	assert_int_equal(pt_walk(mm->pgd, va2, &w), PT_WALK_NONE);
	assert_int_equal(w.last, pae ? PT_PGD : PT_PMD);
	mm_unlock(mm);
	end_case(&tm, pid);
}

/* A non-zero entry without P walks as a swap entry; a directory entry
 * without P but not zero is damage (BAD), never followed. */
static void test_swap_shaped_pte_walks_as_swap(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	struct pt_walk w;
	uint64_t pte, slot;
	int pid;

	boot(&tm, state);
	pid = test_new_task(&mm);
	mm_lock(mm);
	pte = pte_alloc_map(mm, SEED_VA);
	assert_true(pte != 0);
	set_pte(pte, 0x1234500ULL);
	pte_table_account(mm, SEED_VA, 1);
	assert_int_equal(pt_walk(mm->pgd, SEED_VA, &w), PT_WALK_SWAP);
	assert_int_equal(w.last, PT_PTE);
	assert_true(w.level[PT_PTE].entry == 0x1234500ULL);
	assert_int_equal(w.pfn, 0);	/* nothing translated */
	assert_string_equal(pt_walk_result_name(w.result), "swap");
	/* the same bits with P set translate */
	set_pte(pte, 0x1234501ULL);
	assert_int_equal(pt_walk(mm->pgd, SEED_VA, &w), PT_WALK_MAPPED);
	assert_int_equal(w.pfn, 0x1234);
	pte_clear(pte);
	assert_true(pte_table_account(mm, SEED_VA, -1));

	/* a directory slot with bits but no P */
	slot = pgd_offset(mm->pgd, 0x40000000);
	assert_true(pgd_none(pt_read(slot)));
	set_pgd(slot, 0x2);
	assert_int_equal(pt_walk(mm->pgd, 0x40000000, &w), PT_WALK_BAD);
	assert_non_null(w.why);
	assert_string_equal(pt_walk_result_name(w.result), "bad");
	set_pgd(slot, 0);
	assert_int_equal(pt_walk(mm->pgd, 0x40000000, &w), PT_WALK_NONE);
	mm_unlock(mm);
	end_case(&tm, pid);
}

/* Tables still linked when the task goes (entries the VMAs do not cover)
 * are freed with the directory. */
static void test_reap_frees_tables_left_behind(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm;
	unsigned long pt0;
	uint64_t pte;
	int pid, i;

	boot(&tm, state);
	pt0 = global_node_page_state(NR_PAGETABLE);
	pid = test_new_task(&mm);
	mm_lock(mm);
	for (i = 0; i < 3; i++) {
		uint32_t va = 0x10000000u + (uint32_t)i * 0x01000000u;	/* 16 MiB apart */

		pte = pte_alloc_map(mm, va);
		assert_true(pte != 0);
		set_pte(pte, 0x2);
		pte_table_account(mm, va, 1);
	}
	assert_int_equal(mm->nr_ptes, vm_pae() ? 4 : 3);
	mm_unlock(mm);
	assert_int_equal(vm_task_reap(pid, NULL), 0);
	assert_null(find_task_by_pid(pid));
	assert_int_equal(global_node_page_state(NR_PAGETABLE), pt0);
	test_shutdown(&tm);
}

/* The kernel quarter of every new directory is swapper_pg_dir's: i386
 * copies PGD[768..1023] at creation, pae links PGD[3] to the kernel PMD
 * that every process shares (swapper_pg_dir + 4096). User slots start
 * empty. */
static void test_kernel_quarter_shared_at_creation(void **state)
{
	struct test_machine tm;
	struct mm_struct *mm1, *mm2;
	struct pt_walk w, kw;
	int pid1, pid2;
	unsigned i;

	boot(&tm, state);
	pid1 = test_new_task(&mm1);
	pid2 = test_new_task(&mm2);
	assert_int_not_equal(mm1->pgd, mm2->pgd);
	assert_int_equal(find_task_by_pid(pid1)->cr3, mm1->pgd);
	if (!vm_pae()) {
		const uint32_t *k = __va(vm_boot_block->swapper_pg_dir);
		const uint32_t *d1 = __va(mm1->pgd), *d2 = __va(mm2->pgd);

		for (i = 0; i < 768; i++) {
			assert_int_equal(d1[i], 0);
			assert_int_equal(d2[i], 0);
		}
		for (i = 768; i < 1024; i++) {
			assert_int_equal(d1[i], k[i]);
			assert_int_equal(d2[i], k[i]);
		}
		/* 64 MiB of direct map: 16 large-page PDEs */
		for (i = 768; i < 768 + 16; i++)
			assert_true(pmd_large(d1[i]));
	} else {
		const uint64_t *d1 = __va(mm1->pgd), *d2 = __va(mm2->pgd);
		uint64_t kpmd = ((uint64_t)vm_boot_block->swapper_pg_dir + PAGE_SIZE) | _PAGE_PRESENT;

		for (i = 0; i < 3; i++) {
			assert_true(d1[i] == 0);
			assert_true(d2[i] == 0);
		}
		assert_true(d1[3] == kpmd);
		assert_true(d2[3] == kpmd);
		/* swapper_pg_dir's own PDPT says the same */
		assert_true(((uint64_t *)__va(vm_boot_block->swapper_pg_dir))[3] == kpmd);
	}
	/* a kernel va walks alike through a user directory and swapper_pg_dir */
	assert_int_equal(pt_walk(mm1->pgd, 0xC0345678, &w), PT_WALK_MAPPED);
	assert_int_equal(kernel_walk(0xC0345678, &kw), PT_WALK_MAPPED);
	assert_int_equal(w.pfn, kw.pfn);
	assert_int_equal(w.pa, 0x345678);
	assert_true(w.level[PT_PMD].entry == kw.level[PT_PMD].entry);
	/* user space: nothing yet */
	assert_int_equal(pt_walk(mm1->pgd, SEED_VA, &w), PT_WALK_NONE);
	assert_int_equal(vm_task_reap(pid2, NULL), 0);
	end_case(&tm, pid1);
}

static unsigned pgd_list_length(void)
{
	uint32_t pfn;
	unsigned n = 0;

	for (pfn = vm_kdata->tasks.pgd_list.next; pfn != PFN_NIL; pfn = pfn_to_page(pfn)->lru.next)
		n++;
	return n;
}

/*
 * A vmalloc area made after a task was created needs a kernel page table
 * the task's directory has no copy of. In i386 the fault path copies the
 * PDE (sync_kernel_pgd), and a directory made later copies it at creation;
 * when vfree frees that table, pgd_list reaches every directory and no
 * stale PDE is left pointing at the freed frame. In pae the kernel PMD is
 * shared, so the area shows through the user directory at once.
 */
static void test_freed_kernel_table_leaves_no_stale_pde(void **state)
{
	const unsigned long size = 5 * MiB;	/* more than one page table */
	struct test_machine tm;
	struct mm_struct *mm_a, *mm_b;
	uint32_t kva, before[1024], *k, *da, *db;
	struct pt_walk w;
	unsigned long pfn;
	int pid_a, pid_b;
	unsigned i, idx = 0;
	uint8_t *p;

	boot(&tm, state);
	pid_a = test_new_task(&mm_a);
	if (vm_pae()) {
		p = vmalloc(size);
		assert_non_null(p);
		kva = host_to_kva(p);
		pfn = page_to_pfn(vmalloc_to_page(p + 3 * MiB));
		assert_int_equal(pt_walk(mm_a->pgd, kva + 3 * MiB, &w), PT_WALK_MAPPED);
		assert_int_equal(w.pfn, pfn);
		assert_int_equal(w.level[PT_PMD].table, vm_boot_block->swapper_pg_dir + PAGE_SIZE);
		assert_machine_valid();
		vfree(p);
		assert_int_equal(pt_walk(mm_a->pgd, kva + 3 * MiB, &w), PT_WALK_NONE);
		end_case(&tm, pid_a);
		return;
	}

	k = __va(vm_boot_block->swapper_pg_dir);
	da = __va(mm_a->pgd);
	memcpy(before, k, sizeof(before));
	assert_int_equal(pgd_list_length(), 1);
	p = vmalloc(size);
	assert_non_null(p);
	kva = host_to_kva(p);
	/* a PDE the area needed that was not there when A was made */
	for (i = pgd_index(VM_MODE_I386, kva); i <= pgd_index(VM_MODE_I386, kva + size - 1); i++)
		if (!before[i] && k[i]) {
			idx = i;
			break;
		}
	assert_int_not_equal(idx, 0);
	assert_int_equal(da[idx], 0);
	assert_int_equal(pt_walk(mm_a->pgd, idx << PGDIR_SHIFT_I386, &w), PT_WALK_NONE);

	/* B, made now, copies it; A gets it as the fault path would */
	pid_b = test_new_task(&mm_b);
	db = __va(mm_b->pgd);
	assert_int_equal(db[idx], k[idx]);
	assert_int_equal(pgd_list_length(), 2);
	vm_lock_or_panic(&vm_kdata->vmap.lock, "vmap_state.lock");
	sync_kernel_pgd(mm_a->pgd, idx << PGDIR_SHIFT_I386);
	vm_lock_release(&vm_kdata->vmap.lock);
	assert_int_equal(da[idx], k[idx]);
	pfn = page_to_pfn(vmalloc_to_page(kva_to_host(idx << PGDIR_SHIFT_I386)));
	assert_int_equal(pt_walk(mm_a->pgd, idx << PGDIR_SHIFT_I386, &w), PT_WALK_MAPPED);
	assert_int_equal(w.pfn, pfn);
	assert_machine_valid();

	/* the table goes with the area: no directory keeps its PDE */
	vfree(p);
	assert_int_equal(k[idx], 0);
	assert_int_equal(da[idx], 0);
	assert_int_equal(db[idx], 0);
	for (i = 768; i < 1024; i++) {
		assert_int_equal(da[i], before[i]);
		assert_int_equal(db[i], before[i]);
	}
	assert_machine_valid();

	/* reaping takes a directory off pgd_list */
	assert_int_equal(vm_task_reap(pid_b, NULL), 0);
	assert_int_equal(pgd_list_length(), 1);
	assert_int_equal(vm_kdata->tasks.pgd_list.next, mm_a->pgd >> PAGE_SHIFT);
	end_case(&tm, pid_a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_bits_are_the_x86_layout),
		cmocka_unit_test(test_pte_accessors),
		cmocka_unit_test(test_swap_entry_shape),
		cmocka_unit_test(test_va_split),
		BOTH(test_pte_alloc_map_creates_tables_on_demand),
		BOTH(test_set_pte_walks_as_mapped),
		BOTH(test_last_entry_frees_table_and_slot),
		BOTH(test_swap_shaped_pte_walks_as_swap),
		BOTH(test_reap_frees_tables_left_behind),
		BOTH(test_kernel_quarter_shared_at_creation),
		BOTH(test_freed_kernel_table_leaves_no_stale_pde),
	};
	cpu_set_t one;

	/* Freed frames wait on the per-CPU list of the CPU that freed them:
	 * stay on one CPU so a case gets back the frames it just freed. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
