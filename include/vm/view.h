/* view.h - a read-only look at a machine's RAM, mapped anywhere: how vmdump
 * reads a live or stopped machine, and how the validators walk the kernel's
 * structures. A view trusts nothing in the file: vm_view_ptr refuses any
 * range outside what is mapped, and walkers bound every list by the number
 * of frames, so a damaged file yields messages, never a crash.
 */
#ifndef VM_VIEW_H
#define VM_VIEW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct vm_boot_block;
struct page;
struct vm_kernel_data;

struct vm_view {
	const uint8_t *base;		/* host address of pa 0 */
	uint64_t size;			/* bytes readable from base */
	const struct vm_boot_block *boot;
	const struct page *mem_map;
	const struct vm_kernel_data *kdata;
	uint32_t nr_pages;		/* frames in the machine */
	/* The RAM file, for the frames beyond size that a process's own
	 * view lacks (HighMem: vmalloc'ed swap maps may live there), read
	 * a page at a time; -1 when the view maps all of RAM. */
	int fd;
};

/* Check the boot block and the reserved areas it points to against the
 * mapped size; fill v. 0, or -1 with a reason in err. */
int vm_view_init(struct vm_view *v, const void *base, uint64_t size,
		 char *err, size_t errlen);

/* Host pointer to [pa, pa + len) if it lies inside the view, else NULL. */
static inline const void *vm_view_ptr(const struct vm_view *v, uint64_t pa, uint64_t len)
{
	if (pa > v->size || len > v->size - pa)
		return NULL;
	return v->base + pa;
}

/* Where validators report violations: one line each, counted. */
struct vm_report {
	FILE *out;			/* where lines go, or NULL to count only */
	unsigned long violations;	/* lines reported */
	/* validate_zones' census of the frames it walked */
	unsigned long nr_free;		/* in buddy free lists */
	unsigned long nr_pcp;		/* on per-CPU lists */
	unsigned long nr_reserved;	/* memblock reserved */
	unsigned long nr_allocated;	/* everything else */
};
void vm_report(struct vm_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Whole-structure walks (DEBUG=2, tests, vmdump check). Each returns the
 * number of violations it reported. */
/* The boot block's memblock regions, and the zero page still all zero. */
unsigned long validate_boot(const struct vm_view *v, struct vm_report *r);
/* Zones: the buddy free lists and per-CPU lists, and each zone's four
 * LRU lists (well formed, inside the zone, PG_lru, PG_active and
 * PG_swapbacked as the list says, each page allocated, their lengths
 * against nr_zone_*_{anon,file} and the node's nr_*_{anon,file}); the
 * census of frames in the report. */
unsigned long validate_zones(const struct vm_view *v, struct vm_report *r);
unsigned long validate_slab(const struct vm_view *v, struct vm_report *r);
unsigned long validate_vmalloc(const struct vm_view *v, struct vm_report *r);
/* Swap areas: each swap_map's counts against inuse_pages, slot 0 and the
 * bad pages marked SWAP_MAP_BAD, the map inside the vmalloc area; each
 * swap cache: a page only for a used slot, PG_swapcache with the slot's
 * entry in private, every PG_swapcache page where its entry says, the
 * pages against nr_swapcache and NR_SWAPCACHE; kswapd's state. */
unsigned long validate_swap(const struct vm_view *v, struct vm_report *r);
/* Tasks and their parents, their mms' VMA lists and trees, their user
 * page tables, every frame's mapcount and refcount against the PTEs that
 * map it (the zero page never counted, never writable; a swap-cache page
 * holds one reference more, and so does a page-cache page; a mapped
 * anonymous page is on an LRU list unless reclaim holds it), copy-on-write
 * pages read-only while shared, and the reverse map: each anonymous
 * page's anon_vma, each anon_vma's list of VMAs; each file PTE mapping
 * the page its place in the VMA names (read-only in a private VMA), each
 * file VMA on its file's i_mmap list, MM_FILEPAGES and NR_FILE_MAPPED.
 * Swap PTEs: each a well-formed entry, MM_SWAPENTS of each
 * mm, and every used slot's swap_map count equal to the PTEs holding its
 * entry plus one for a swap-cache page. */
unsigned long validate_mm(const struct vm_view *v, struct vm_report *r);
/* The page cache: filemap_state's list of files, each file's radix tree
 * (nodes linked where their shift, parent and offset say, counts, tags
 * against the pages' PG_dirty and PG_writeback), each cached page
 * allocated and naming its file and index, nrpages/nrdirty/nrwriteback,
 * the i_mmap list against i_mmap_count (which also counts pins), and
 * the node's NR_FILE_PAGES, NR_FILE_DIRTY, NR_WRITEBACK and the zones'
 * NR_ZONE_WRITE_PENDING against the pages. */
unsigned long validate_filemap(const struct vm_view *v, struct vm_report *r);
/* All of the above. */
unsigned long validate_machine(const struct vm_view *v, struct vm_report *r);

/* Every event counter summed over CPUs, per-CPU list counts included
 * (out has NR_VM_EVENT_ITEMS entries). */
void vm_sum_events(const struct vm_view *v, uint64_t *out);

/* A view of the machine attached to this process (its direct map). */
int vm_self_view(struct vm_view *v);

#endif /* VM_VIEW_H */
