/* pgtable.h - the x86 page-table formats the emulated MMU reads (DESIGN §3)
 * and the one generic pgd -> pmd -> pte walk that libvm, vmdump and the
 * tests share. Entries lie in RAM; a walk follows physical addresses, so it
 * works on the live machine (through the direct map) and on a RAM file
 * mapped anywhere (through a struct vm_view). The writers (kernel_map_page
 * and friends, in pgtable.c) hold vmap_state.lock for swapper_pg_dir.
 *
 * Two modes, chosen at boot and fixed for the machine's life:
 *
 *   i386   2 levels, 32-bit entries       va = PGD:10 | PTE:10 | offset:12
 *   pae    3 levels, 64-bit entries, NX   va = PGD:2 | PMD:9 | PTE:9 | offset:12
 *
 * Worked example, va 0x080495b0 (a typical i386 .data address):
 *
 *   i386   PGD index 0x080495b0 >> 22          = 32
 *          PMD folded: the PGD entry itself
 *          PTE index (0x080495b0 >> 12) & 1023 = 73
 *          offset    0x080495b0 & 4095         = 0x5b0
 *   pae    PGD index 0x080495b0 >> 30          = 0
 *          PMD index (0x080495b0 >> 21) & 511  = 64
 *          PTE index (0x080495b0 >> 12) & 511  = 73
 *
 * The middle level is folded in i386 exactly as Linux 2.6's
 * pgtable-2level.h folded it: PTRS_PER_PMD is 1 and pmd_offset() returns
 * the PGD entry itself, so code written for three levels runs unchanged
 * and the PMD "entry" a walker sees is the PDE.
 *
 * Entry values are carried as pteval_t (64 bits) in both modes; an i386
 * entry is zero-extended. Only the read and the write of an entry in RAM
 * know its width (pt_entry_size).
 */
#ifndef VM_PGTABLE_H
#define VM_PGTABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <vm/ram.h>

struct vm_view;

typedef uint64_t pteval_t;		/* an entry at any level, zero-extended */
typedef uint64_t pgprot_t;		/* the _PAGE_* bits of an entry */

/* ---- entry bits: the x86 layout (DESIGN §3, contract) ----------------- */

#define _PAGE_BIT_PRESENT	0
#define _PAGE_BIT_RW		1
#define _PAGE_BIT_USER		2
#define _PAGE_BIT_PWT		3
#define _PAGE_BIT_PCD		4
#define _PAGE_BIT_ACCESSED	5
#define _PAGE_BIT_DIRTY		6
#define _PAGE_BIT_PSE		7	/* large page, in a PGD (i386) or PMD (pae) entry */
#define _PAGE_BIT_GLOBAL	8
#define _PAGE_BIT_NX		63	/* pae only */

#define _PAGE_PRESENT		(1ULL << _PAGE_BIT_PRESENT)
#define _PAGE_RW		(1ULL << _PAGE_BIT_RW)
#define _PAGE_USER		(1ULL << _PAGE_BIT_USER)
#define _PAGE_PWT		(1ULL << _PAGE_BIT_PWT)
#define _PAGE_PCD		(1ULL << _PAGE_BIT_PCD)
#define _PAGE_ACCESSED		(1ULL << _PAGE_BIT_ACCESSED)
#define _PAGE_DIRTY		(1ULL << _PAGE_BIT_DIRTY)
#define _PAGE_PSE		(1ULL << _PAGE_BIT_PSE)
#define _PAGE_GLOBAL		(1ULL << _PAGE_BIT_GLOBAL)
#define _PAGE_NX		(1ULL << _PAGE_BIT_NX)

/* The frame number sits from bit 12: bits 12..31 in i386, 12..51 in pae
 * (the architecture's limit; 64 GiB of RAM needs bits 12..35). One mask
 * serves both, since an i386 entry has nothing above bit 31. */
#define PTE_PFN_MASK		0x000FFFFFFFFFF000ULL
#define PTE_FLAGS_MASK		(~PTE_PFN_MASK)

/* Protections, as Linux spells them. NX is stripped in i386 by
 * __supported_pte_mask(). */
#define _PAGE_TABLE		(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY)
#define _KERNPG_TABLE		(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define PAGE_KERNEL		(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | \
				 _PAGE_GLOBAL | _PAGE_NX)
#define PAGE_KERNEL_RO		(_PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_GLOBAL | _PAGE_NX)
#define PAGE_KERNEL_LARGE	(PAGE_KERNEL | _PAGE_PSE)

static inline pgprot_t __supported_pte_mask(int mode)
{
	return mode == VM_MODE_PAE ? ~0ULL : ~_PAGE_NX;
}

/* ---- geometry per mode ------------------------------------------------ */

#define PGDIR_SHIFT_I386	22
#define PTRS_PER_PGD_I386	1024
#define PTRS_PER_PMD_I386	1	/* folded */
#define PTRS_PER_PTE_I386	1024

#define PGDIR_SHIFT_PAE		30
#define PMD_SHIFT_PAE		21
#define PTRS_PER_PGD_PAE	4
#define PTRS_PER_PMD_PAE	512
#define PTRS_PER_PTE_PAE	512

#define PT_MAX_LEVELS		3

/* Index of the walk's levels in struct pt_walk. */
enum pt_level {
	PT_PGD,
	PT_PMD,
	PT_PTE,
};

static inline unsigned pt_levels(int mode)
{
	return mode == VM_MODE_PAE ? 3 : 2;
}
/* Bytes per entry in RAM. */
static inline unsigned pt_entry_size(int mode)
{
	return mode == VM_MODE_PAE ? 8 : 4;
}
static inline unsigned pgdir_shift(int mode)
{
	return mode == VM_MODE_PAE ? PGDIR_SHIFT_PAE : PGDIR_SHIFT_I386;
}
/* What one PMD entry maps: 4 MiB in i386 (the PDE), 2 MiB in pae. */
static inline unsigned pmd_shift(int mode)
{
	return mode == VM_MODE_PAE ? PMD_SHIFT_PAE : PGDIR_SHIFT_I386;
}
static inline unsigned ptrs_per_pgd(int mode)
{
	return mode == VM_MODE_PAE ? PTRS_PER_PGD_PAE : PTRS_PER_PGD_I386;
}
static inline unsigned ptrs_per_pmd(int mode)
{
	return mode == VM_MODE_PAE ? PTRS_PER_PMD_PAE : PTRS_PER_PMD_I386;
}
static inline unsigned ptrs_per_pte(int mode)
{
	return mode == VM_MODE_PAE ? PTRS_PER_PTE_PAE : PTRS_PER_PTE_I386;
}

static inline unsigned pgd_index(int mode, uint32_t addr)
{
	return addr >> pgdir_shift(mode);
}
/* 0 in i386: the one "PMD entry" is the PGD entry. */
static inline unsigned pmd_index(int mode, uint32_t addr)
{
	return mode == VM_MODE_PAE ? (addr >> PMD_SHIFT_PAE) & (PTRS_PER_PMD_PAE - 1) : 0;
}
static inline unsigned pte_index(int mode, uint32_t addr)
{
	return (addr >> PAGE_SHIFT) & (ptrs_per_pte(mode) - 1);
}

/* Bytes of a top-level table: a frame in i386, 32 bytes in pae (the
 * hardware's PDPT; CR3 must be 32-byte aligned). */
static inline unsigned pgd_table_size(int mode)
{
	return ptrs_per_pgd(mode) * pt_entry_size(mode);
}

/* ---- entry values (no RAM access) ------------------------------------- */

static inline bool pte_none(pteval_t e)		{ return e == 0; }
static inline bool pte_present(pteval_t e)	{ return e & _PAGE_PRESENT; }
static inline bool pte_write(pteval_t e)	{ return e & _PAGE_RW; }
static inline bool pte_user(pteval_t e)		{ return e & _PAGE_USER; }
static inline bool pte_young(pteval_t e)	{ return e & _PAGE_ACCESSED; }
static inline bool pte_dirty(pteval_t e)	{ return e & _PAGE_DIRTY; }
static inline bool pte_global(pteval_t e)	{ return e & _PAGE_GLOBAL; }
static inline bool pte_exec(pteval_t e)		{ return !(e & _PAGE_NX); }
/* Not present but not zero: a swap entry (its packing comes with swap). */
static inline bool pte_swap(pteval_t e)		{ return e && !(e & _PAGE_PRESENT); }
static inline uint64_t pte_pfn(pteval_t e)	{ return (e & PTE_PFN_MASK) >> PAGE_SHIFT; }
static inline pgprot_t pte_flags(pteval_t e)	{ return e & PTE_FLAGS_MASK; }

/* A PTE for frame pfn; NX dropped in i386 where the bit does not exist. */
static inline pteval_t pfn_pte(int mode, uint64_t pfn, pgprot_t prot)
{
	return ((pfn << PAGE_SHIFT) & PTE_PFN_MASK) | (prot & PTE_FLAGS_MASK & __supported_pte_mask(mode));
}

static inline bool pgd_none(pteval_t e)		{ return e == 0; }
static inline bool pgd_present(pteval_t e)	{ return e & _PAGE_PRESENT; }
static inline bool pmd_none(pteval_t e)		{ return e == 0; }
static inline bool pmd_present(pteval_t e)	{ return e & _PAGE_PRESENT; }
/* A directory entry that maps a large page (4 MiB i386, 2 MiB pae)
 * instead of pointing at a table. */
static inline bool pmd_large(pteval_t e)	{ return (e & (_PAGE_PRESENT | _PAGE_PSE)) == (_PAGE_PRESENT | _PAGE_PSE); }
/* The table a directory entry points at (pmd_page_vaddr, as a pa). */
static inline uint64_t pgd_table_pa(pteval_t e)	{ return e & PTE_PFN_MASK; }
static inline uint64_t pmd_table_pa(pteval_t e)	{ return e & PTE_PFN_MASK; }

/* ---- the walk over RAM ------------------------------------------------ */

/* One level of a translation: which table, which slot, what it held.
 * level[PT_PMD] in i386 is the folded PMD: the same slot as level[PT_PGD],
 * with folded set, as pmd_offset() returns it. */
struct pt_walk_level {
	uint64_t table;			/* pa of the table */
	uint64_t entry_pa;		/* pa of the entry: table + index * entry size */
	pteval_t entry;			/* its value (zero-extended in i386) */
	uint32_t index;			/* the entry's slot in the table */
	uint8_t  valid;			/* the walk read this level */
	uint8_t  folded;		/* i386 PMD: the PGD entry itself */
	uint16_t _pad;
};

enum pt_walk_result {
	PT_WALK_MAPPED,		/* translates: pa and pfn set; last is PT_PTE, or PT_PMD for a large page */
	PT_WALK_NONE,		/* level[last] is zero: nothing there */
	PT_WALK_SWAP,		/* level[last] (a PTE) is a swap entry */
	PT_WALK_BAD,		/* a table or entry lies outside what the view maps, is misaligned,
				 * or a directory entry is not present but not zero */
};

struct pt_walk {
	uint64_t cr3;			/* pa of the top table walked */
	uint32_t addr;			/* the virtual address walked */
	uint32_t mode;			/* enum vm_paging_mode */
	struct pt_walk_level level[PT_MAX_LEVELS]; /* PT_PGD, PT_PMD, PT_PTE */
	int32_t  last;			/* deepest level read (enum pt_level), -1 if none */
	int32_t  result;		/* enum pt_walk_result */
	uint64_t pfn;			/* MAPPED: the frame (the 4 KiB frame inside a large page) */
	uint64_t pa;			/* MAPPED: the physical address of addr */
	const char *why;		/* BAD: what was wrong, for a message */
};

/* Walk the table at cr3 (a pa) for addr, reading every entry through the
 * view: nothing outside it is touched, so a damaged file gives PT_WALK_BAD,
 * never a crash. Fills w whatever happens; returns w->result. Reads only. */
int pt_walk_view(const struct vm_view *v, int mode, uint64_t cr3, uint32_t addr,
		 struct pt_walk *w);
/* The same on the attached machine (its mode, its direct map). Safe in a
 * fault handler: no locks, no allocation. */
int pt_walk(uint64_t cr3, uint32_t addr, struct pt_walk *w);

/* A name for a walk result ("mapped", "none", "swap", "bad"). */
const char *pt_walk_result_name(int result);

/* ---- entries in the live machine (pgtable.c) -------------------------- */

/*
 * The Linux names, over entry locations given by physical address: an
 * "entry pointer" is the pa of the slot, valid in every process and in
 * the dump tool alike. Tables are lowmem, so the live versions reach them
 * through __va. A caller writing entries holds the lock of that table
 * (vmap_state.lock for swapper_pg_dir, the mm's page-table lock for a
 * user table).
 *
 *   uint64_t pgd = pgd_offset(pgdir, addr);      pa of the PGD slot
 *   uint64_t pmd = pmd_offset(pgd, addr);        i386: == pgd (folded)
 *   uint64_t pte = pte_offset_kernel(pmd, addr); reads *pmd: must be a table
 *   set_pte(pte, pfn_pte(mode, pfn, PAGE_KERNEL));
 */
uint64_t pgd_offset(uint64_t pgdir, uint32_t addr);
uint64_t pmd_offset(uint64_t pgd, uint32_t addr);
uint64_t pte_offset_kernel(uint64_t pmd, uint32_t addr);
/* Read and write one entry at entry_pa, with the attached machine's width.
 * Single loads and stores: a walker in another process sees the old entry
 * or the new one, never half of each. */
pteval_t pt_read(uint64_t entry_pa);
void pt_write(uint64_t entry_pa, pteval_t e);
#define set_pte(pte, e)		pt_write(pte, e)
#define set_pmd(pmd, e)		pt_write(pmd, e)
#define set_pgd(pgd, e)		pt_write(pgd, e)
#define pte_clear(pte)		pt_write(pte, 0)

/* The frame under kernel va kva in swapper_pg_dir: the same as
 * kernel_lookup_page() but with the walk, for a caller that wants the
 * levels. */
int kernel_walk(uint32_t kva, struct pt_walk *w);

/* libvm only, with vmap_state.lock held: kernel_map_page() and
 * kernel_unmap_page() without taking the lock. */
int __kernel_map_page(uint32_t kva, unsigned long pfn, bool writable);
unsigned long __kernel_unmap_page(uint32_t kva);

#endif /* VM_PGTABLE_H */
