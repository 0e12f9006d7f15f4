/* check.c - views of a machine's RAM and the whole-structure validators over
 * them: what `vmdump check`, the tests and DEBUG=2 builds run. Everything
 * here reads RAM through a struct vm_view, trusts no link before checking
 * it, and bounds every walk, so a damaged file gives reports, not crashes.
 * Read-only; on a live machine, other processes may change what it reads.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void vm_report(struct vm_report *r, const char *fmt, ...)
{
	va_list ap;

	r->violations++;
	if (!r->out)
		return;
	va_start(ap, fmt);
	vfprintf(r->out, fmt, ap);
	va_end(ap);
	fputc('\n', r->out);
}

static int view_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* Is [pa, pa + len) inside lowmem and the view? */
static bool lowmem_range_ok(const struct vm_boot_block *bb, uint64_t size, uint64_t pa,
			    uint64_t len)
{
	uint64_t low = (uint64_t)bb->max_low_pfn << PAGE_SHIFT;

	return pa < low && len <= low - pa && pa + len <= size;
}

int vm_view_init(struct vm_view *v, const void *base, uint64_t size, char *err, size_t errlen)
{
	const struct vm_boot_block *bb = base;
	uint64_t low, need;
	uint32_t i;

	memset(v, 0, sizeof(*v));
	if (size < PAGE_SIZE)
		return view_err(err, errlen, "too small to be a RAM file (%llu bytes)",
				(unsigned long long)size);
	if (memcmp(bb->magic, VM_BOOT_MAGIC, sizeof(bb->magic)) != 0)
		return view_err(err, errlen, "not a libvm RAM file (bad magic)");
	if (bb->version != VM_LAYOUT_VERSION)
		return view_err(err, errlen, "layout version %u; this build reads version %u",
				bb->version, VM_LAYOUT_VERSION);
	if (bb->page_size != PAGE_SIZE || bb->struct_page_size != sizeof(struct page))
		return view_err(err, errlen, "page size %u / struct page %u bytes; expected %lu / %zu",
				bb->page_size, bb->struct_page_size, PAGE_SIZE, sizeof(struct page));
	if (bb->mode != VM_MODE_I386 && bb->mode != VM_MODE_PAE)
		return view_err(err, errlen, "unknown paging mode %u", bb->mode);
	if (bb->nr_pages < (VM_MIN_RAM >> PAGE_SHIFT) ||
	    (uint64_t)bb->nr_pages << PAGE_SHIFT != bb->ram_bytes ||
	    bb->ram_bytes > (bb->mode == VM_MODE_PAE ? VM_MAX_RAM_PAE : VM_MAX_RAM_I386))
		return view_err(err, errlen, "impossible RAM size: %llu bytes in %u frames",
				(unsigned long long)bb->ram_bytes, bb->nr_pages);
	low = bb->ram_bytes < MAXMEM ? bb->ram_bytes : MAXMEM;
	if ((uint64_t)bb->max_low_pfn << PAGE_SHIFT != low)
		return view_err(err, errlen, "max_low_pfn %#x does not match %llu bytes of RAM",
				bb->max_low_pfn, (unsigned long long)bb->ram_bytes);
	if (size != bb->ram_bytes && size != low)
		return view_err(err, errlen, "truncated: boot block says %llu bytes, file has %llu",
				(unsigned long long)bb->ram_bytes, (unsigned long long)size);
	need = (uint64_t)bb->nr_pages * sizeof(struct page);
	if ((uint64_t)bb->mem_map_pages << PAGE_SHIFT < need ||
	    !lowmem_range_ok(bb, size, (uint64_t)bb->mem_map_pfn << PAGE_SHIFT,
			     (uint64_t)bb->mem_map_pages << PAGE_SHIFT))
		return view_err(err, errlen, "mem_map at pfn %#x (%u frames) lies outside lowmem",
				bb->mem_map_pfn, bb->mem_map_pages);
	if (bb->kdata_size != sizeof(struct vm_kernel_data) ||
	    !lowmem_range_ok(bb, size, bb->kdata_pa, bb->kdata_size))
		return view_err(err, errlen, "kernel data at %#x (%u bytes) is not where this build expects it",
				bb->kdata_pa, bb->kdata_size);
	if (bb->log_size < sizeof(struct vm_log) + 1 || !lowmem_range_ok(bb, size, bb->log_pa, bb->log_size))
		return view_err(err, errlen, "log buffer at %#x lies outside lowmem", bb->log_pa);
	if (!lowmem_range_ok(bb, size, bb->swapper_pg_dir, PAGE_SIZE))
		return view_err(err, errlen, "swapper_pg_dir at %#x lies outside lowmem", bb->swapper_pg_dir);
	if (bb->nr_cpus == 0 || bb->nr_cpus > VM_NR_CPUS)
		return view_err(err, errlen, "nr_cpus %u out of range", bb->nr_cpus);
	if (bb->nr_memblock > VM_MEMBLOCK_MAX)
		return view_err(err, errlen, "%u memblock regions, at most %d", bb->nr_memblock,
				VM_MEMBLOCK_MAX);
	for (i = 0; i < bb->nr_memblock; i++)
		if (bb->memblock[i].base_pfn > bb->nr_pages ||
		    bb->memblock[i].nr_pages > bb->nr_pages - bb->memblock[i].base_pfn)
			return view_err(err, errlen, "memblock region %u lies outside RAM", i);

	v->base = base;
	v->size = size;
	v->boot = bb;
	v->mem_map = (const struct page *)((const uint8_t *)base + ((uint64_t)bb->mem_map_pfn << PAGE_SHIFT));
	v->kdata = (const struct vm_kernel_data *)((const uint8_t *)base + bb->kdata_pa);
	v->nr_pages = bb->nr_pages;
	return 0;
}

int vm_self_view(struct vm_view *v)
{
	char err[200];

	if (!vm_boot_block)
		return -1;
	return vm_view_init(v, (const void *)vm_kernel_base,
			    (uint64_t)vm_boot_block->max_low_pfn << PAGE_SHIFT, err, sizeof(err));
}

unsigned long validate_boot(const struct vm_view *v, struct vm_report *r)
{
	const struct vm_boot_block *bb = v->boot;
	unsigned long before = r->violations;
	uint32_t i, sum = 0, expect = 1;

	/* memblock hands out frames lowest first from pfn 0: the regions tile
	 * [0, end) in order. */
	for (i = 0; i < bb->nr_memblock; i++) {
		const struct memblock_region *m = &bb->memblock[i];

		if (i == 0 && m->base_pfn != 0)
			vm_report(r, "boot: memblock region 0 (%.24s) does not start at pfn 0", m->name);
		if (i > 0 && m->base_pfn != expect)
			vm_report(r, "boot: memblock region %u (%.24s) at pfn %#x, expected %#x", i,
				  m->name, m->base_pfn, expect);
		expect = m->base_pfn + m->nr_pages;
		sum += m->nr_pages;
	}
	if (sum != bb->reserved_pages)
		vm_report(r, "boot: memblock regions hold %u frames, boot block says %u reserved",
			  sum, bb->reserved_pages);
	if (bb->panicked)
		vm_report(r, "boot: the machine has panicked (see dmesg)");
	return r->violations - before;
}

/* Per-frame state while checking zones. */
enum { F_ALLOCATED, F_RESERVED, F_FREE_HEAD, F_FREE_TAIL, F_PCP };

static bool in_region(const struct vm_boot_block *bb, uint32_t pfn)
{
	uint32_t i;

	for (i = 0; i < bb->nr_memblock; i++)
		if (pfn >= bb->memblock[i].base_pfn &&
		    pfn - bb->memblock[i].base_pfn < bb->memblock[i].nr_pages)
			return true;
	return false;
}

static void check_free_list(const struct vm_view *v, struct vm_report *r, uint8_t *state,
			    const struct zone *z, unsigned zi, unsigned order,
			    unsigned long *free_pages)
{
	const struct free_area *area = &z->free_area[order];
	uint32_t end = z->zone_start_pfn + z->spanned_pages;
	uint32_t pfn = area->free_list.next, prev = PFN_NIL;
	uint64_t blocks = 0, steps = 0;

	while (pfn != PFN_NIL) {
		const struct page *page;
		uint32_t i;

		if (++steps > v->nr_pages) {
			vm_report(r, "zone %s order %u: free list does not end (cycle)", zone_names[zi], order);
			return;
		}
		if (pfn >= v->nr_pages) {
			vm_report(r, "zone %s order %u: free list links to pfn %#x beyond RAM (%#x frames)",
				  zone_names[zi], order, pfn, v->nr_pages);
			return;
		}
		page = &v->mem_map[pfn];
		if (pfn < z->zone_start_pfn || pfn + (1u << order) > end)
			vm_report(r, "zone %s order %u: block at pfn %#x lies outside the zone",
				  zone_names[zi], order, pfn);
		else if (pfn & ((1u << order) - 1))
			vm_report(r, "zone %s order %u: block at pfn %#x is not aligned to its order",
				  zone_names[zi], order, pfn);
		else if (state[pfn] != F_ALLOCATED)
			vm_report(r, "zone %s order %u: pfn %#x is on a free list twice or also reserved/per-CPU",
				  zone_names[zi], order, pfn);
		else {
			state[pfn] = F_FREE_HEAD;
			for (i = 1; i < (1u << order); i++) {
				if (state[pfn + i] != F_ALLOCATED)
					vm_report(r, "zone %s order %u: block at %#x overlaps pfn %#x",
						  zone_names[zi], order, pfn, pfn + i);
				state[pfn + i] = F_FREE_TAIL;
				if (v->mem_map[pfn + i].flags & (1u << PG_buddy))
					vm_report(r, "pfn %#x: PG_buddy inside the free block at %#x",
						  pfn + i, pfn);
			}
			*free_pages += 1ul << order;
		}
		if (!(page->flags & (1u << PG_buddy)) || page->private != order)
			vm_report(r, "pfn %#x: on zone %s free_area[%u] but flags %#x order %u",
				  pfn, zone_names[zi], order, page->flags, page->private);
		if (page->_refcount != 0)
			vm_report(r, "pfn %#x: free with refcount %d", pfn, page->_refcount);
		if (page->lru.prev != prev)
			vm_report(r, "pfn %#x: prev link %#x, expected %#x", pfn, page->lru.prev, prev);
		blocks++;
		prev = pfn;
		pfn = page->lru.next;
	}
	if (area->free_list.prev != prev)
		vm_report(r, "zone %s order %u: list tail %#x, last block %#x", zone_names[zi], order,
			  area->free_list.prev, prev);
	if (blocks != area->nr_free)
		vm_report(r, "zone %s order %u: nr_free %llu, list holds %llu blocks", zone_names[zi],
			  order, (unsigned long long)area->nr_free, (unsigned long long)blocks);
}

static void check_pcp_list(const struct vm_view *v, struct vm_report *r, uint8_t *state,
			   const struct zone *z, unsigned zi, unsigned cpu, unsigned long *pcp_pages)
{
	const struct per_cpu_pages *pcp = &z->pcp[cpu];
	uint32_t end = z->zone_start_pfn + z->spanned_pages;
	uint32_t pfn = pcp->list.next, prev = PFN_NIL;
	int64_t n = 0;

	while (pfn != PFN_NIL) {
		const struct page *page;

		if (n > (int64_t)v->nr_pages || pfn >= v->nr_pages) {
			vm_report(r, "zone %s cpu %u: per-CPU list broken at pfn %#x", zone_names[zi], cpu, pfn);
			return;
		}
		page = &v->mem_map[pfn];
		if (pfn < z->zone_start_pfn || pfn >= end)
			vm_report(r, "zone %s cpu %u: pfn %#x outside the zone", zone_names[zi], cpu, pfn);
		else if (state[pfn] != F_ALLOCATED)
			vm_report(r, "zone %s cpu %u: pfn %#x is also free, reserved or on another list",
				  zone_names[zi], cpu, pfn);
		else
			state[pfn] = F_PCP;
		if (!(page->flags & (1u << PG_pcp)) || page->private != cpu)
			vm_report(r, "pfn %#x: on cpu %u's list but flags %#x private %u", pfn, cpu,
				  page->flags, page->private);
		if (page->lru.prev != prev)
			vm_report(r, "pfn %#x: prev link %#x, expected %#x", pfn, page->lru.prev, prev);
		n++;
		prev = pfn;
		pfn = page->lru.next;
	}
	if (n != pcp->count)
		vm_report(r, "zone %s cpu %u: count %d, list holds %lld", zone_names[zi], cpu,
			  pcp->count, (long long)n);
	*pcp_pages += (unsigned long)n;
}

unsigned long validate_zones(const struct vm_view *v, struct vm_report *r)
{
	const struct vm_boot_block *bb = v->boot;
	const struct pglist_data *pgdat = &v->kdata->pgdat;
	unsigned long before = r->violations, managed = 0;
	uint32_t pfn, expect_start = 0;
	unsigned zi, order, cpu;
	uint8_t *state;

	state = calloc(v->nr_pages, 1);
	if (!state) {
		vm_report(r, "check: out of memory for %u frames", v->nr_pages);
		return 1;
	}
	for (pfn = 0; pfn < v->nr_pages; pfn++) {
		bool reserved = in_region(bb, pfn);

		if (reserved)
			state[pfn] = F_RESERVED;
		if (reserved != !!(v->mem_map[pfn].flags & (1u << PG_reserved)))
			vm_report(r, "pfn %#x: PG_reserved %s but %s a memblock region", pfn,
				  reserved ? "clear" : "set", reserved ? "inside" : "outside");
	}

	r->nr_free = r->nr_pcp = 0;
	for (zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct zone *z = &pgdat->node_zones[zi];
		unsigned long free_pages = 0, pcp_pages = 0, zres = 0;

		if (z->zone_start_pfn != expect_start ||
		    z->spanned_pages > v->nr_pages - z->zone_start_pfn) {
			vm_report(r, "zone %s: spans pfn %#x+%#x, expected to start at %#x within %#x frames",
				  zone_names[zi], z->zone_start_pfn, z->spanned_pages, expect_start, v->nr_pages);
			free(state);
			return r->violations - before;
		}
		expect_start = z->zone_start_pfn + z->spanned_pages;
		for (order = 0; order < MAX_ORDER; order++)
			check_free_list(v, r, state, z, zi, order, &free_pages);
		for (cpu = 0; cpu < VM_NR_CPUS; cpu++) {
			if (cpu >= bb->nr_cpus && (z->pcp[cpu].count || z->pcp[cpu].list.next)) {
				vm_report(r, "zone %s: per-CPU list of unused cpu %u is not empty",
					  zone_names[zi], cpu);
				continue;
			}
			if (cpu < bb->nr_cpus)
				check_pcp_list(v, r, state, z, zi, cpu, &pcp_pages);
		}
		if ((long)free_pages != z->vm_stat[NR_FREE_PAGES])
			vm_report(r, "zone %s: nr_free_pages %lld, free lists hold %lu", zone_names[zi],
				  (long long)z->vm_stat[NR_FREE_PAGES], free_pages);
		for (pfn = z->zone_start_pfn; pfn < expect_start; pfn++)
			zres += state[pfn] == F_RESERVED;
		if (z->managed_pages + zres != z->present_pages)
			vm_report(r, "zone %s: managed %u + reserved %lu != present %u", zone_names[zi],
				  z->managed_pages, zres, z->present_pages);
		managed += z->managed_pages;
		r->nr_free += free_pages;
		r->nr_pcp += pcp_pages;

		/* Two free buddies of one order should have merged. */
		for (pfn = z->zone_start_pfn; pfn < expect_start; pfn++) {
			const struct page *page = &v->mem_map[pfn];
			uint32_t o = page->private, buddy;

			if (state[pfn] != F_FREE_HEAD || o >= MAX_ORDER - 1)
				continue;
			buddy = pfn ^ (1u << o);
			if (buddy > pfn && buddy < expect_start && state[buddy] == F_FREE_HEAD &&
			    v->mem_map[buddy].private == o)
				vm_report(r, "zone %s: free buddies at pfn %#x and %#x, order %u, left unmerged",
					  zone_names[zi], pfn, buddy, o);
		}
	}
	if (expect_start != v->nr_pages)
		vm_report(r, "zones span %#x frames, RAM has %#x", expect_start, v->nr_pages);
	if (managed + bb->reserved_pages != v->nr_pages)
		vm_report(r, "managed %lu + reserved %u frames != %u frames of RAM", managed,
			  bb->reserved_pages, v->nr_pages);

	r->nr_reserved = r->nr_allocated = 0;
	for (pfn = 0; pfn < v->nr_pages; pfn++) {
		const struct page *page = &v->mem_map[pfn];

		switch (state[pfn]) {
		case F_RESERVED:
			r->nr_reserved++;
			break;
		case F_ALLOCATED:
			r->nr_allocated++;
			if (page->flags & (1u << PG_buddy))
				vm_report(r, "pfn %#x: PG_buddy but on no free list", pfn);
			if (page->flags & (1u << PG_pcp))
				vm_report(r, "pfn %#x: PG_pcp but on no per-CPU list", pfn);
			break;
		}
	}
	free(state);
	return r->violations - before;
}

unsigned long validate_machine(const struct vm_view *v, struct vm_report *r)
{
	unsigned long before = r->violations;

	validate_boot(v, r);
	validate_zones(v, r);
	validate_slab(v, r);
	validate_vmalloc(v, r);
	return r->violations - before;
}
