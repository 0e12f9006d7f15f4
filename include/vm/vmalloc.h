/* vmalloc.h - the vmalloc area as it lies in RAM. Each busy range of the
 * area is a vmap_area (from slab), in an AVL tree by address and in a list
 * sorted by address; the frames behind it are listed in a pfn array (from
 * kmalloc) and mapped in swapper_pg_dir. Every area is followed by one
 * unmapped guard page, counted in va_end, as Linux's vm_struct is.
 *
 * Locks: vmap_state.lock guards the tree, the list and the counters; the
 * kernel page table entries are written under it too.
 */
#ifndef VM_VMALLOC_H
#define VM_VMALLOC_H

#include <stdint.h>
#include <vm/lock.h>
#include <vm/avl.h>

#define VM_ALLOC	0x00000002u	/* vmalloc: frames allocated for the area */
#define VM_MAP		0x00000004u	/* vmap: frames given by the caller */
#define VM_CALLER_LEN	32

struct vmap_area {
	struct avl_node node;		/* in vmap_state.root, keyed by va_start */
	uint32_t va_start;		/* first guest va */
	uint32_t va_end;		/* one past the guard page */
	uint32_t next;			/* pa of the next area by address, 0 at the end */
	uint32_t prev;			/* pa of the previous area */
	uint32_t nr_pages;		/* frames mapped (guard page excluded) */
	uint32_t pages;			/* pa of uint32_t pfn[nr_pages] (kmalloc) */
	uint32_t flags;			/* VM_ALLOC or VM_MAP */
	uint32_t _pad;
	char     caller[VM_CALLER_LEN];	/* function that asked, as vmallocinfo shows it */
};

struct vmap_state {
	struct vm_lock lock;		/* guards all below */
	struct avl_root root;		/* busy areas by address */
	uint32_t first;			/* pa of the lowest area */
	uint32_t last;			/* pa of the highest area */
	uint64_t nr_pages;		/* frames behind VM_ALLOC areas */
	uint32_t area_cache;		/* pa of the "vmap_area" kmem_cache (set at boot) */
	uint32_t _pad;
};

#endif /* VM_VMALLOC_H */
