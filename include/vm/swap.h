/* swap.h - swap areas as they lie in RAM, the on-disk swap header, and the
 * swap entry a not-present PTE carries. Every process of a machine sees the
 * same areas (struct swap_state, in the kernel data); the file descriptor
 * of an area is per process, so RAM keeps the path and each process opens
 * it when it needs the file.
 *
 * Locks: swap_state.lock guards the whole of swap_state, each area's
 * fields and every byte of its swap_map.
 */
#ifndef VM_SWAP_H
#define VM_SWAP_H

#include <stdbool.h>
#include <stdint.h>
#include <vm/ram.h>
#include <vm/lock.h>

/* ---- the header mkswap writes (Linux's union swap_header, v1) ---------
 *
 *   page 0:  0      bootbits[1024]   (left alone: a disk label may live there)
 *            1024   version          1
 *            1028   last_page        the last usable page of the file
 *            1032   nr_badpages      entries used in badpages[]
 *            1036   uuid[16]         blkid's UUID=
 *            1052   volume[16]       blkid's LABEL=
 *            1068   padding[117]
 *            1536   badpages[]       page numbers, at most SWAP_MAX_BADPAGES
 *            4086   "SWAPSPACE2"     the magic, in the last 10 bytes
 *
 * Fields are host-endian, as mkswap writes them.
 */
#define SWAP_MAGIC_LEN		10
#define SWAP_MAGIC		"SWAPSPACE2"
#define SWAP_MAGIC_OLD		"SWAPSPACE1"	/* the pre-2.2 bitmap format */
#define SWAP_HEADER_VERSION	1

struct swap_header_info {
	char     bootbits[1024];	/* space for a disk label */
	uint32_t version;		/* SWAP_HEADER_VERSION */
	uint32_t last_page;		/* last page of the area (max - 1) */
	uint32_t nr_badpages;		/* entries in badpages[] */
	uint8_t  sws_uuid[16];		/* volume uuid */
	char     sws_volume[16];	/* volume label, NUL-padded */
	uint32_t padding[117];
	uint32_t badpages[1];		/* nr_badpages page numbers */
};
_Static_assert(__builtin_offsetof(struct swap_header_info, badpages) == 1536, "swap header");

/* (4096 - 1536 - 10) / 4 = 637, Linux's MAX_SWAP_BADPAGES */
#define SWAP_MAX_BADPAGES	((PAGE_SIZE - 1536 - SWAP_MAGIC_LEN) / sizeof(uint32_t))
#define SWAP_LABEL		"libvm"

/* ---- swap entries ------------------------------------------------------
 *
 * swp_entry_t is arch-independent, as Linux's swapops.h keeps it: the
 * area's index (type) in the top SWP_TYPE_BITS bits, the slot (offset)
 * below. Entry 0 means "none": slot 0 of every area is its header and is
 * never handed out.
 *
 * In a PTE it takes the bits a not-present entry leaves free, where
 * Linux's i386 port put them (bit 0, present, always clear; the entry of
 * a used slot is never 0, so never pte_none):
 *
 *   i386 (32-bit PTE)                    pae (64-bit PTE)
 *   31          8 7  6 5     1 0         63        37 36  32 31         0
 *   |  offset    |  0   | type  |0|     |  offset  | type |      0      |
 *
 *   i386: offset 24 bits (64 GiB of swap per area), type 5 bits
 *   pae:  the whole entry in the high word (pgtable-3level.h): type in
 *         bits 32..36, offset in bits 37..63 (27 bits); the low word,
 *         which holds the present bit, stays 0.
 *
 * Worked example: type 1, offset 0x123
 *   i386  (1 << 1) | (0x123 << 8)               = 0x00012302
 *   pae   (1 | 0x123 << 5) << 32                = 0x0000246100000000
 */
typedef struct {
	uint32_t val;
} swp_entry_t;

#define SWP_TYPE_BITS		5
#define SWP_TYPE_SHIFT		(32 - SWP_TYPE_BITS)
#define SWP_OFFSET_MASK		((1u << SWP_TYPE_SHIFT) - 1)
#define MAX_SWAPFILES		8		/* areas at once (the type field holds 32) */

static inline swp_entry_t swp_entry(unsigned type, uint32_t offset)
{
	swp_entry_t e = { ((uint32_t)type << SWP_TYPE_SHIFT) | (offset & SWP_OFFSET_MASK) };

	return e;
}
static inline unsigned swp_type(swp_entry_t e)
{
	return e.val >> SWP_TYPE_SHIFT;
}
static inline uint32_t swp_offset(swp_entry_t e)
{
	return e.val & SWP_OFFSET_MASK;
}

/* The largest offset a PTE of this paging mode holds. */
static inline uint32_t swp_max_offset(int mode)
{
	return mode == VM_MODE_PAE ? SWP_OFFSET_MASK : (1u << 24) - 1;
}

/* __swp_entry_to_pte / __pte_to_swp_entry of each mode (the pteval_t of
 * pgtable.h, zero-extended in i386). */
static inline uint64_t swp_entry_to_pte(int mode, swp_entry_t e)
{
	uint64_t type = swp_type(e), offset = swp_offset(e);

	if (mode == VM_MODE_PAE)
		return (type | offset << 5) << 32;
	return (type << 1) | (offset << 8);
}
static inline swp_entry_t pte_to_swp_entry(int mode, uint64_t pte)
{
	if (mode == VM_MODE_PAE) {
		uint32_t hi = (uint32_t)(pte >> 32);

		return swp_entry(hi & 0x1f, hi >> 5);
	}
	return swp_entry((unsigned)(pte >> 1) & 0x1f, (uint32_t)(pte >> 8) & 0xffffff);
}

/* ---- areas in RAM -------------------------------------------------------- */

#define SWP_USED		0x01u	/* the slot of swap_state.areas is taken */
#define SWP_WRITEOK		0x02u	/* slots may be allocated (cleared by swapoff) */

/* swap_map: one use count per slot. 0 free; 1..SWAP_MAP_MAX users (PTEs,
 * and later the swap cache); SWAP_MAP_BAD never used: the header (slot 0)
 * and the header's bad pages. */
#define SWAP_MAP_MAX		0x3e
#define SWAP_MAP_BAD		0x3f
/* Set beside a count when a write to the slot failed: the slot retires
 * (becomes SWAP_MAP_BAD) when its count reaches 0 instead of coming free. */
#define SWAP_MAP_DOOMED		0x80
#define SWAP_MAP_COUNT		0x3f
static inline unsigned swap_map_count(uint8_t m)
{
	return m == SWAP_MAP_BAD ? 0 : (m & SWAP_MAP_COUNT);
}

/* Slots handed out together, so that pages reclaimed together lie together
 * in the file: Linux's SWAPFILE_CLUSTER. Clusters are aligned runs of it. */
#define SWAPFILE_CLUSTER	256

/* How page_io.c moves pages: pread/pwrite, or io_uring (when built). */
enum swap_io_mode {
	SWAP_IO_SYNC,
	SWAP_IO_URING,
};

#define SWAP_PATH_MAX		256	/* path, NUL included */

/* One area, Linux's swap_info_struct. Invariants: inuse_pages is the
 * number of slots whose count is 1..SWAP_MAP_MAX; every free slot lies in
 * [lowest_bit, highest_bit] (both 0 when the area is full), so a search
 * for one starts and stops there; swap_map[0] is SWAP_MAP_BAD. All fields
 * under swap_state.lock. */
struct swap_info_struct {
	uint32_t flags;			/* SWP_USED, SWP_WRITEOK */
	int32_t  prio;			/* higher is used first */
	uint32_t pages;			/* usable slots: max - 1 - nr_badpages */
	uint32_t max;			/* last_page + 1: slots in swap_map */
	uint32_t inuse_pages;		/* slots with a nonzero count */
	uint32_t lowest_bit;		/* lowest slot that may be free */
	uint32_t highest_bit;		/* highest slot that may be free */
	uint32_t cluster_next;		/* next slot to try in the current cluster */
	uint32_t cluster_nr;		/* slots of the current cluster still to try */
	uint32_t swap_map;		/* kva of uint8_t[max], vmalloc'ed */
	uint32_t nr_badpages;		/* slots marked SWAP_MAP_BAD from the header */
	/* The swap cache of the area (swap_state.c), Linux's swapper_space
	 * flattened to an array: the pfn of the page that holds slot n's
	 * data in RAM, 0 when none. kva of uint32_t[max], vmalloc'ed. A page
	 * in it has PG_swapcache, its entry in page->private, and one
	 * reference and one swap_map count for the cache. */
	uint32_t swap_cache;
	uint8_t  uuid[16];		/* from the header, as blkid shows it */
	char     path[SWAP_PATH_MAX];	/* the file, NUL-terminated */
};

struct swap_state {
	struct vm_lock lock;		/* guards all below and every swap_map */
	uint32_t nr_swapfiles;		/* areas in use (SWP_USED) */
	int32_t  least_priority;	/* the last default priority given (-1, -2, ...) */
	uint32_t rr_next;		/* area to try first among equal priorities */
	uint32_t _pad;
	uint64_t nr_swap_pages;		/* free slots in writable areas */
	uint64_t total_swap_pages;	/* usable slots in writable areas */
	uint32_t io_mode;		/* enum swap_io_mode, for every process */
	/* Fault injection (vmrun --fail-swap-io): the next fail_writes page
	 * writes and fail_reads page reads fail with EIO. */
	uint32_t fail_writes;
	uint32_t fail_reads;
	uint32_t nr_swapcache;		/* pages in the swap caches */
	struct swap_info_struct areas[MAX_SWAPFILES];
};

#endif /* VM_SWAP_H */
