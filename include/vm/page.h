/* page.h - struct page: one per frame, the array mem_map in RAM. What a
 * field means depends on the frame's state, as in Linux:
 *
 *   state      flags          _refcount  private        lru          mapping     index
 *   reserved   PG_reserved    1          -              -            -           -
 *   free       PG_buddy       0          order          free_area    -           -
 *   per-CPU    PG_pcp         0          cpu            pcp list     -           -
 *   allocated  -              >= 1       (user's)       (user's)     (user's)    (user's)
 *   compound   PG_head        >= 1       order          (user's)     (user's)    (user's)
 *   tail       PG_tail        0          -              -            -           head pfn
 *   slab       PG_slab|head   1          objects in use partial list kmem_cache  freelist
 *   page table PG_pgtable     1          entries in use -            mm          first va >> 12
 *   anonymous  -              >= 1       -              -            mm | 1      va >> 12
 *
 * Only the first frame of a free buddy block carries PG_buddy; the frames
 * behind it are zero. Likewise only the first frame of a non-compound
 * high-order allocation holds the reference, as in Linux.
 *
 * Locks: a free frame's fields belong to its zone->lock (or its per-CPU
 * list's lock); an allocated frame's belong to whoever allocated it.
 */
#ifndef VM_PAGE_H
#define VM_PAGE_H

#include <stdint.h>

/* A doubly linked list of frames, linked through page->lru by pfn. pfn 0
 * is the boot block, never on a list, so 0 ends a list. */
struct pfn_list {
	uint32_t next;			/* first frame (in a head) or next frame */
	uint32_t prev;			/* last frame (in a head) or previous frame */
};
#define PFN_NIL		0u

struct page {
	uint32_t flags;			/* PG_* bits; zone number in the top two */
	int32_t  _refcount;		/* users; 0 when free */
	int32_t  _mapcount;		/* PTEs mapping it, minus one (-1: none) */
	uint32_t private;		/* by state, see above */
	struct pfn_list lru;		/* links, by state */
	uint32_t mapping;		/* pa of the owner object (lowmem), or 0 */
	uint32_t index;			/* offset in mapping; tail: head pfn */
};
_Static_assert(sizeof(struct page) == 32, "RAM layout: struct page is 32 bytes");

enum pageflags {
	PG_locked,		/* page lock held (I/O, migration) */
	PG_referenced,		/* recently referenced (LRU aging) */
	PG_uptodate,		/* contents valid */
	PG_dirty,		/* must be written back before reuse */
	PG_lru,			/* on an LRU list */
	PG_active,		/* on the active LRU list */
	PG_workingset,		/* refaulted soon after eviction */
	PG_slab,		/* owned by a slab cache */
	PG_reserved,		/* memblock reserved it at boot: never freed */
	PG_private,		/* private holds filesystem data */
	PG_writeback,		/* being written to its backing store */
	PG_head,		/* first frame of a compound page */
	PG_tail,		/* later frame of a compound page */
	PG_swapcache,		/* in the swap cache, private holds the entry */
	PG_swapbacked,		/* anonymous: backed by swap */
	PG_reclaim,		/* to be reclaimed once writeback ends */
	PG_mlocked,		/* locked in memory */
	PG_highmem,		/* above max_low_pfn: reachable only through kmap */
	PG_buddy,		/* free, first frame of a block in a free_area */
	PG_pcp,			/* free, on a per-CPU list */
	PG_pgtable,		/* a user page table: mapping is its mm, index its first va */
	NR_PAGEFLAGS
};

/* An anonymous frame's mapping is the pa of its struct anon_vma (mm.h),
 * tagged in bit 0 as Linux tags it (PAGE_MAPPING_ANON). */
#define PAGE_MAPPING_ANON	0x1u

#define ZONES_SHIFT	2
#define ZONES_PGSHIFT	(32 - ZONES_SHIFT)
#define PAGEFLAGS_MASK	((1u << NR_PAGEFLAGS) - 1)

/* Names in the order of enum pageflags, as %pGp prints them. */
extern const char *const pageflag_names[NR_PAGEFLAGS];

#endif /* VM_PAGE_H */
