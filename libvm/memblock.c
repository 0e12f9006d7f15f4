/* memblock.c - the boot-time allocator: before the buddy allocator exists,
 * boot takes frames for its own structures here, lowest first, the way
 * Linux's memblock (bootmem in the seeds) serves early boot. Then
 * memblock_free_all marks what it gave out PG_reserved for good and hands
 * every other frame to the buddy allocator. Boot only, one process.
 */
#include <string.h>

#include "internal.h"

static struct {
	uint32_t nr_pages;		/* frames in RAM */
	uint32_t next_pfn;		/* lowest frame not yet reserved */
	uint32_t nr;			/* regions used */
	struct memblock_region reserved[VM_MEMBLOCK_MAX];
} memblock;

void memblock_init(uint32_t nr_pages)
{
	memset(&memblock, 0, sizeof(memblock));
	memblock.nr_pages = nr_pages;
}

uint32_t memblock_alloc(uint32_t nr_pages, const char *name)
{
	struct memblock_region *r;
	uint32_t pfn = memblock.next_pfn;

	BUG_ON(memblock.nr == VM_MEMBLOCK_MAX);
	BUG_ON(pfn + nr_pages > memblock.nr_pages);
	r = &memblock.reserved[memblock.nr++];
	r->base_pfn = pfn;
	r->nr_pages = nr_pages;
	strncpy(r->name, name, sizeof(r->name) - 1);
	memblock.next_pfn += nr_pages;
	return pfn;
}

unsigned long memblock_free_all(void)
{
	struct vm_boot_block *bb = vm_boot_block;
	uint32_t i, pfn, reserved = 0;

	for (i = 0; i < memblock.nr; i++) {
		struct memblock_region *r = &memblock.reserved[i];

		for (pfn = r->base_pfn; pfn < r->base_pfn + r->nr_pages; pfn++) {
			struct page *page = pfn_to_page(pfn);
			page->flags |= 1u << PG_reserved;
			page->_refcount = 1;
		}
		reserved += r->nr_pages;
		bb->memblock[i] = *r;
	}
	bb->nr_memblock = memblock.nr;
	bb->reserved_pages = reserved;
	/* Reservations are taken lowest first, so the free RAM is one range. */
	free_pages_range_boot(memblock.next_pfn, memblock.nr_pages - memblock.next_pfn);
	return memblock.nr_pages - memblock.next_pfn;
}
