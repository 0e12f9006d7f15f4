/* slab.h - slab caches as they lie in RAM. A cache owns slabs: runs of
 * 2^order frames cut into objects of one size; a slab's frames are a
 * compound page whose head's struct page carries the slab's state:
 *
 *   page->flags     PG_slab | PG_head (tails PG_tail, index = head pfn)
 *   page->mapping   pa of the struct kmem_cache
 *   page->index     byte offset of the first free object in the slab, or
 *                   SLAB_FREELIST_END; a free object's first 4 bytes hold the
 *                   offset of the next
 *   page->private   objects in use
 *   page->lru       on the cache's partial or full list
 *
 * Locks: slab_state.slab_mutex guards the list of caches; cache->lock guards
 * the cache's lists, counters and every slab's freelist. Empty slabs go back
 * to the buddy allocator at once.
 */
#ifndef VM_SLAB_H
#define VM_SLAB_H

#include <stdint.h>
#include <vm/lock.h>
#include <vm/page.h>

#define SLAB_FREELIST_END	0xFFFFFFFFu
#define KMALLOC_MIN_SIZE	8
#define KMALLOC_MAX_CACHE_SIZE	8192	/* larger kmallocs take pages directly */
#define NR_KMALLOC_CACHES	13	/* 8 16 32 64 96 128 192 256 512 1k 2k 4k 8k */
#define KMEM_CACHE_NAME_LEN	32

/* kmem_cache_create flags (Linux's values where Linux has them). */
#define SLAB_HWCACHE_ALIGN	0x00002000u	/* align objects on cache lines */
#define SLAB_PANIC		0x00040000u	/* panic the machine if create fails */
#define SLAB_RECLAIM_ACCOUNT	0x00020000u	/* count as SReclaimable */

struct kmem_cache {
	struct vm_lock lock;		/* guards all below but name/sizes */
	char     name[KMEM_CACHE_NAME_LEN]; /* NUL-terminated */
	uint32_t object_size;		/* as asked for */
	uint32_t size;			/* object stride, aligned */
	uint32_t align;			/* alignment of objects */
	uint32_t flags;			/* SLAB_* */
	uint32_t order;			/* frames per slab = 1 << order */
	uint32_t objects;		/* objects per slab */
	struct pfn_list partial;	/* slabs with some objects free (head pfns) */
	struct pfn_list full;		/* slabs with none free */
	uint64_t nr_slabs;		/* slabs owned */
	uint64_t inuse;			/* objects allocated */
	uint32_t next;			/* pa of the next cache in slab_caches */
	uint32_t prev;			/* pa of the previous one */
};

struct slab_state {
	struct vm_lock slab_mutex;	/* guards the cache list */
	struct vm_lock stat_lock;	/* a page's PG_slab (or large kmalloc) and the node's
					 * slab counts change together under it */
	uint32_t first;			/* pa of the first cache in slab_caches */
	uint32_t last;			/* pa of the last */
	uint32_t nr_caches;
	uint32_t kmem_cache;		/* pa of the cache that holds caches */
	uint32_t kmalloc_caches[NR_KMALLOC_CACHES]; /* pa of kmalloc-8 ... kmalloc-8k */
	struct kmem_cache boot_cache;	/* the cache of caches itself */
};

#endif /* VM_SLAB_H */
