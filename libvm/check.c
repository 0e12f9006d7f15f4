/* check.c - views of a machine's RAM and the whole-structure validators over
 * them: what `vmdump check`, the tests and DEBUG=2 builds run. Everything
 * here reads RAM through a struct vm_view, trusts no link before checking
 * it, and bounds every walk, so a damaged file gives reports, not crashes.
 * Read-only; on a live machine, other processes may change what it reads.
 */
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include <vm/pgtable.h>

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
	v->fd = -1;
	return 0;
}

int vm_self_view(struct vm_view *v)
{
	char err[200];

	if (!vm_boot_block)
		return -1;
	if (vm_view_init(v, (const void *)vm_kernel_base,
			 (uint64_t)vm_boot_block->max_low_pfn << PAGE_SHIFT, err, sizeof(err)))
		return -1;
	v->fd = vm_ram_fd;
	return 0;
}

/* The zero page: a lowmem frame boot reserved on its own, which every
 * untouched private page reads through, so a single byte written to it
 * would show in every guest. Its PTEs are checked with each mm. */
static void check_zero_page(const struct vm_view *v, struct vm_report *r)
{
	const struct vm_boot_block *bb = v->boot;
	uint32_t pfn = bb->zero_pfn, i, first = 0, nonzero = 0;
	const uint8_t *p;

	if (pfn == 0 || pfn >= bb->max_low_pfn) {
		vm_report(r, "boot: zero page at pfn %#x, not a lowmem frame of its own", pfn);
		return;
	}
	for (i = 0; i < bb->nr_memblock; i++) {
		const struct memblock_region *m = &bb->memblock[i];

		if (pfn >= m->base_pfn && pfn - m->base_pfn < m->nr_pages)
			break;
	}
	if (i == bb->nr_memblock || bb->memblock[i].nr_pages != 1 ||
	    strncmp(bb->memblock[i].name, "zero page", sizeof(bb->memblock[i].name)) != 0)
		vm_report(r, "boot: zero page at pfn %#x is not the one-frame memblock region \"zero page\"",
			  pfn);
	p = vm_view_ptr(v, (uint64_t)pfn << PAGE_SHIFT, PAGE_SIZE);
	for (i = 0; p && i < PAGE_SIZE; i++)
		if (p[i] && !nonzero++)
			first = i;
	if (nonzero)
		vm_report(r, "zero page: pfn %#x has %u non-zero byte%s, the first at offset %#x (%#04x)",
			  pfn, nonzero, nonzero == 1 ? "" : "s", first, p[first]);
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
	check_zero_page(v, r);
	return r->violations - before;
}

/* Per-frame state while checking zones. */
enum { F_ALLOCATED, F_RESERVED, F_FREE_HEAD, F_FREE_TAIL, F_PCP, F_LRU };

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

static const char *const lru_names[NR_LRU_LISTS] = {
	"inactive_anon", "active_anon", "inactive_file", "active_file"
};

static bool lru_is_active(enum lru_list lru)
{
	return lru == LRU_ACTIVE_ANON || lru == LRU_ACTIVE_FILE;
}

static bool lru_is_file(enum lru_list lru)
{
	return lru == LRU_INACTIVE_FILE || lru == LRU_ACTIVE_FILE;
}

/* What no frame on an LRU list or in the swap cache may be: free, a
 * kernel frame, a page table, or behind a compound head. */
#define LRU_NEVER	((1u << PG_buddy) | (1u << PG_pcp) | (1u << PG_reserved) | \
			 (1u << PG_slab) | (1u << PG_pgtable) | (1u << PG_tail))

/*
 * One LRU list of a zone (vmscan.c): a list that ends, links back, stays
 * in the zone, holds no frame twice (or one also free or on another
 * list), and holds only pages whose flags say so: PG_lru, PG_active
 * exactly on an active list, PG_swapbacked exactly on an anonymous one
 * (how Linux's page_lru() picks the list). The LRU holds no reference,
 * so each page has one of its own (a page being freed leaves the list
 * first). Returns how many pages it holds.
 */
static unsigned long check_lru_list(const struct vm_view *v, struct vm_report *r, uint8_t *state,
				    const struct zone *z, unsigned zi, enum lru_list lru,
				    bool *broken)
{
	const struct pfn_list *head = &z->lru[lru];
	uint32_t end = z->zone_start_pfn + z->spanned_pages;
	uint32_t pfn = head->next, prev = PFN_NIL;
	uint32_t want = 1u << PG_lru | (lru_is_active(lru) ? 1u << PG_active : 0);
	unsigned long n = 0;

	while (pfn != PFN_NIL) {
		struct page page;

		if (n >= v->nr_pages) {
			vm_report(r, "zone %s %s: LRU list does not end (cycle)", zone_names[zi],
				  lru_names[lru]);
			*broken = true;
			return n;
		}
		if (pfn >= v->nr_pages) {
			vm_report(r, "zone %s %s: LRU list links to pfn %#x beyond RAM (%#x frames)",
				  zone_names[zi], lru_names[lru], pfn, v->nr_pages);
			*broken = true;
			return n;
		}
		page = v->mem_map[pfn];
		if (pfn < z->zone_start_pfn || pfn >= end)
			vm_report(r, "zone %s %s: pfn %#x on the LRU list lies outside the zone",
				  zone_names[zi], lru_names[lru], pfn);
		else if (state[pfn] == F_LRU) {
			/* a cycle, or two lists that merge: the walk cannot go on */
			vm_report(r, "zone %s %s: pfn %#x is on the LRU lists twice (a cycle?)",
				  zone_names[zi], lru_names[lru], pfn);
			*broken = true;
			return n;
		} else if (state[pfn] != F_ALLOCATED)
			vm_report(r, "zone %s %s: pfn %#x is on the LRU list and also free, per-CPU or reserved",
				  zone_names[zi], lru_names[lru], pfn);
		else
			state[pfn] = F_LRU;
		if ((page.flags & (1u << PG_lru | 1u << PG_active)) != want)
			vm_report(r, "pfn %#x: on zone %s %s list but flags %#x (PG_lru %s, PG_active %s)",
				  pfn, zone_names[zi], lru_names[lru], page.flags,
				  page.flags & (1u << PG_lru) ? "set" : "clear",
				  page.flags & (1u << PG_active) ? "set" : "clear");
		if (!(page.flags & (1u << PG_swapbacked)) != lru_is_file(lru))
			vm_report(r, "pfn %#x: on zone %s %s list but PG_swapbacked %s (flags %#x): %s page",
				  pfn, zone_names[zi], lru_names[lru],
				  page.flags & (1u << PG_swapbacked) ? "set" : "clear", page.flags,
				  page.flags & (1u << PG_swapbacked) ? "an anonymous" : "a file");
		if (page._refcount < 1 || (page.flags & LRU_NEVER))
			vm_report(r, "pfn %#x: on zone %s %s list but not an allocated page (flags %#x refcount %d)",
				  pfn, zone_names[zi], lru_names[lru], page.flags, page._refcount);
		if (page.lru.prev != prev)
			vm_report(r, "pfn %#x: LRU prev link %#x, expected %#x", pfn, page.lru.prev, prev);
		n++;
		prev = pfn;
		pfn = page.lru.next;
	}
	if (head->prev != prev)
		vm_report(r, "zone %s %s: LRU list tail %#x, the list ends at %#x", zone_names[zi],
			  lru_names[lru], head->prev, prev);
	return n;
}

unsigned long validate_zones(const struct vm_view *v, struct vm_report *r)
{
	const struct vm_boot_block *bb = v->boot;
	const struct pglist_data *pgdat = &v->kdata->pgdat;
	unsigned long before = r->violations, managed = 0;
	uint32_t pfn, expect_start = 0;
	unsigned zi, order, cpu, lru;
	unsigned long node_lru[NR_LRU_LISTS] = { 0 }, lru_unreached = 0;
	bool lru_broken = false;
	static const enum zone_stat_item zone_lru_item[NR_LRU_LISTS] = {
		NR_ZONE_INACTIVE_ANON, NR_ZONE_ACTIVE_ANON, NR_ZONE_INACTIVE_FILE, NR_ZONE_ACTIVE_FILE
	};
	static const enum node_stat_item node_lru_item[NR_LRU_LISTS] = {
		NR_INACTIVE_ANON, NR_ACTIVE_ANON, NR_INACTIVE_FILE, NR_ACTIVE_FILE
	};
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
		for (lru = 0; lru < NR_LRU_LISTS; lru++) {
			unsigned long n = check_lru_list(v, r, state, z, zi, lru, &lru_broken);

			if ((int64_t)n != z->vm_stat[zone_lru_item[lru]])
				vm_report(r, "zone %s: %s %lld, its LRU list holds %lu", zone_names[zi],
					  zone_stat_names[zone_lru_item[lru]],
					  (long long)z->vm_stat[zone_lru_item[lru]], n);
			node_lru[lru] += n;
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
	for (lru = 0; lru < NR_LRU_LISTS; lru++)
		if ((int64_t)node_lru[lru] != pgdat->vm_stat[node_lru_item[lru]])
			vm_report(r, "node: %s %lld, the zones' LRU lists hold %lu",
				  node_stat_names[node_lru_item[lru]],
				  (long long)pgdat->vm_stat[node_lru_item[lru]], node_lru[lru]);
	if (managed + bb->reserved_pages != v->nr_pages)
		vm_report(r, "managed %lu + reserved %u frames != %u frames of RAM", managed,
			  bb->reserved_pages, v->nr_pages);

	r->nr_reserved = r->nr_allocated = 0;
	for (pfn = 0; pfn < v->nr_pages; pfn++) {
		const struct page *page = &v->mem_map[pfn];

		/* what only an allocated page may carry */
		if (state[pfn] != F_ALLOCATED && state[pfn] != F_LRU &&
		    (page->flags & (1u << PG_lru | 1u << PG_swapcache)))
			vm_report(r, "pfn %#x: %s but %s (flags %#x)", pfn,
				  page->flags & (1u << PG_lru) ? "PG_lru" : "PG_swapcache",
				  state[pfn] == F_RESERVED ? "reserved" : "free", page->flags);
		switch (state[pfn]) {
		case F_RESERVED:
			r->nr_reserved++;
			break;
		case F_LRU:
			r->nr_allocated++;
			break;
		case F_ALLOCATED:
			r->nr_allocated++;
			/* once a list is broken, the pages behind the break
			 * are one line, not one each */
			if ((page->flags & (1u << PG_lru)) && lru_broken)
				lru_unreached++;
			else if (page->flags & (1u << PG_lru))
				vm_report(r, "pfn %#x: PG_lru but on no LRU list", pfn);
			if (page->flags & (1u << PG_buddy))
				vm_report(r, "pfn %#x: PG_buddy but on no free list", pfn);
			if (page->flags & (1u << PG_pcp))
				vm_report(r, "pfn %#x: PG_pcp but on no per-CPU list", pfn);
			break;
		}
	}
	if (lru_unreached)
		vm_report(r, "%lu pages with PG_lru lie on no LRU list the walks reached (a list is broken)",
			  lru_unreached);
	free(state);
	return r->violations - before;
}

/* ---- validate_mm: tasks, address spaces, user page tables --------------- */

/*
 * Every task slot, every mm's VMAs (list against tree), and a full walk of
 * each mm's user page tables, then a census that only the sum over all mms
 * can give: _mapcount + 1 of a frame is the number of present user PTEs
 * mapping it, and no user page table is left that no mm links.
 *
 * The per-mm part reads copies, one object at a time; a walk stops at the
 * first link it cannot trust (outside lowmem, misaligned, out of order),
 * and the census runs only when every walk reached its end, so a damaged
 * machine yields a few precise lines rather than a cascade. Loops are
 * bounded by the task table (256 slots), the user range (786432 pages) and
 * the frames of RAM.
 */

/* What the walks of all mms learned about one frame. The zero page is
 * never counted here: its PTEs are no reference to it. */
struct frame_use {
	uint32_t ptes;			/* present user PTEs mapping it */
	uint32_t cow_writable;		/* of them, writable in a private VMA (anonymous pages) */
	uint32_t cache_ptes;		/* of them, in a file VMA onto a page of a file */
};

/* Every VMA of every mm, for the reverse-map check: sorted by pa once
 * all mms are walked. */
struct vma_ref {
	uint32_t pa;			/* the VMA */
	uint32_t anon_vma;		/* its anon_vma, 0 if none */
	uint32_t vm_file;		/* its file's address_space, 0 if none */
	uint32_t mm;			/* its mm, and that mm's task, for messages */
	int32_t  pid;
	uint32_t start, end;
	uint32_t listed;		/* the anon_vma whose list it was found on, 0 if none */
	uint32_t i_mmap_listed;		/* the file whose i_mmap list it was found on, 0 if none */
};

/* A swap PTE, noted by the walk for check_swap_counts. */
struct swap_ref {
	uint32_t val;			/* the swp_entry_t */
	uint32_t va;			/* where, for messages */
	uint32_t mm;
	int32_t  pid;
};

static void check_swap_counts(const struct vm_view *v, struct vm_report *r, struct swap_ref *refs,
			      uint32_t nr);

/* A frame an mm holds in flight (mm.h): between two states, so its
 * mapcount may run one ahead of its PTEs, or its table be unlinked. */
struct inflight_frames {
	uint32_t pfn, nr;
};

struct mm_walk {
	const struct vm_view *v;
	struct vm_report *r;
	int mode;
	uint32_t zero_pfn;		/* the zero page, or 0 if the boot block names none */
	struct frame_use *use;		/* per frame, summed over mms */
	uint8_t *table_seen;		/* a bit per frame: reached as a user page table */
	bool complete;			/* every mm walked to its end: the census may run */
	struct vma_ref *refs;		/* every VMA found, of all mms */
	uint32_t nr_refs, cap_refs;
	bool refs_complete;		/* every VMA list was read to its end */
	struct swap_ref *swap;		/* every swap PTE found, of all mms */
	uint32_t nr_swap, cap_swap;
	bool swap_complete;		/* none left out for want of memory */
	/* what the mms hold in flight, at most one of each per mm */
	struct inflight_frames inflight[2 * VM_MAX_TASKS];
	uint32_t inflight_vma[VM_MAX_TASKS], inflight_anon_vma[VM_MAX_TASKS];
	unsigned nr_inflight, nr_inflight_vma, nr_inflight_anon_vma;
	/* the mm being walked */
	uint32_t mm_pa;
	int pid;
	const struct vm_area_struct *vmas; /* copies, sorted, not overlapping */
	uint32_t nr_vmas;
	bool vmas_complete;		/* the list was read to its end: "in no VMA" means it */
	uint64_t present;		/* present PTEs in the user range, the zero page's not */
	uint64_t file_present;		/* of them, page-cache pages in file VMAs */
	uint64_t swapents;		/* swap PTEs */
	uint64_t tables;		/* page-table frames below the PGD */
};

#define mm_report(w, fmt, ...) \
	vm_report((w)->r, "mm %#x (pid %d): " fmt, (w)->mm_pa, (w)->pid, ##__VA_ARGS__)

#define USER_FRAME_NEVER	((1u << PG_buddy) | (1u << PG_pcp) | (1u << PG_reserved) | \
				 (1u << PG_slab) | (1u << PG_pgtable) | (1u << PG_tail))

/* A kernel object of len bytes at pa, in lowmem and aligned: where the
 * kernel keeps its objects. NULL if it cannot be one. */
static const void *lowmem_obj(const struct vm_view *v, uint64_t pa, uint64_t len, unsigned align)
{
	uint64_t low = (uint64_t)v->boot->max_low_pfn << PAGE_SHIFT;

	if (pa == 0 || (pa & (align - 1)) || pa >= low || len > low - pa)
		return NULL;
	return vm_view_ptr(v, pa, len);
}

/* Is [pa, pa + len) an object of the slab cache at cache_pa: inside a slab
 * of that cache, at a multiple of its stride? */
static bool in_cache(const struct vm_view *v, uint64_t pa, uint64_t len, uint32_t cache_pa)
{
	const struct kmem_cache *c = lowmem_obj(v, cache_pa, sizeof(*c), 8);
	uint64_t pfn = pa >> PAGE_SHIFT, base;
	const struct page *page;
	uint32_t size, order;

	if (!c || pfn >= v->nr_pages)
		return false;
	page = &v->mem_map[pfn];
	if (page->flags & (1u << PG_tail)) {
		pfn = page->index;
		if (pfn >= v->nr_pages)
			return false;
		page = &v->mem_map[pfn];
	}
	size = c->size;
	order = c->order;
	base = pfn << PAGE_SHIFT;
	return (page->flags & (1u << PG_slab)) && page->mapping == cache_pa && size &&
	       order < MAX_ORDER && (pa - base) % size == 0 &&
	       pa + len <= base + (PAGE_SIZE << order);
}

/*
 * Brent's cycle finder, for a walk of links in RAM: a mark that moves to
 * the current link at every power of two of steps, so a walk that meets
 * the mark again went round, within about twice the cycle's length.
 */
struct cycle_mark {
	uint64_t power, steps;
	uint32_t mark;
};

static void cycle_init(struct cycle_mark *c)
{
	c->power = 1;
	c->steps = 0;
	c->mark = 0;
}

/* Has the walk come round to pa (a link it followed before)? */
static bool cycle_seen(struct cycle_mark *c, uint32_t pa)
{
	if (pa == c->mark)
		return true;
	if (++c->steps == c->power) {
		c->mark = pa;
		c->power *= 2;
		c->steps = 0;
	}
	return false;
}

static inline pteval_t entry_at(const void *table, unsigned i, unsigned esz)
{
	if (esz == 8)
		return __atomic_load_n((const uint64_t *)table + i, __ATOMIC_RELAXED);
	return __atomic_load_n((const uint32_t *)table + i, __ATOMIC_RELAXED);
}

static inline bool bit_test_and_set(uint8_t *map, uint64_t n)
{
	uint8_t bit = (uint8_t)(1u << (n & 7));
	bool was = map[n >> 3] & bit;

	map[n >> 3] |= bit;
	return was;
}

/* Is there a task (in any state but dead) with guest pid pid? */
static bool pid_exists(const struct task_table *tt, int32_t pid)
{
	unsigned i;

	for (i = 0; i < VM_MAX_TASKS; i++)
		if (__atomic_load_n(&tt->task[i].state, __ATOMIC_RELAXED) != TASK_DEAD &&
		    __atomic_load_n(&tt->task[i].pid, __ATOMIC_RELAXED) == pid)
			return true;
	return false;
}

/* Every task slot: a known state, a unique pid, a parent that exists, and
 * for a task that holds an address space an mm that is an mm_struct
 * object whose pgd is the task's cr3. Collects the distinct mms (with a
 * pid for messages). */
static void check_tasks(const struct vm_view *v, struct vm_report *r, uint32_t *mms, int *pids,
			unsigned *nr_mms, bool *complete)
{
	const struct task_table *tt = &v->kdata->tasks;
	uint32_t used = 0, i, j, nr_tasks = tt->nr_tasks;

	*nr_mms = 0;
	for (i = 0; i < VM_MAX_TASKS; i++) {
		const struct mm_struct *mm;
		struct task_struct t;

		memcpy(&t, &tt->task[i], sizeof(t));
		if (t.state == TASK_DEAD)
			continue;
		used++;
		if (t.state > TASK_ZOMBIE) {
			vm_report(r, "task slot %u: unknown state %u", i, t.state);
			*complete = false;
			continue;
		}
		if (t.pid <= 0)
			vm_report(r, "task slot %u: pid %d", i, t.pid);
		for (j = 0; j < i; j++)
			if (tt->task[j].state != TASK_DEAD && tt->task[j].pid == t.pid)
				vm_report(r, "task slots %u and %u both hold pid %d", j, i, t.pid);
		if (t.ppid < 0)
			vm_report(r, "task pid %d: parent pid %d", t.pid, t.ppid);
		else if (t.ppid > 0 && t.ppid == t.pid)
			vm_report(r, "task pid %d is its own parent", t.pid);
		/* A parent that exits hands its children to the supervisor
		 * (ppid 0) under the table lock; a zombie may still name a
		 * parent reaped since, until the supervisor reaps it too. */
		else if (t.ppid > 0 && t.state != TASK_ZOMBIE && !pid_exists(tt, t.ppid))
			vm_report(r, "task pid %d: %s, its parent pid %d is no task (an orphan's ppid is 0)",
				  t.pid, t.state == TASK_NEW ? "new" : "running", t.ppid);
		if (t.tlb.nr > TLB_MAILBOX_RANGES && t.tlb.nr != TLB_FLUSH_ALL)
			vm_report(r, "task pid %d: %u ranges posted in its TLB mailbox, which holds %d",
				  t.pid, t.tlb.nr, TLB_MAILBOX_RANGES);
		if (!memchr(t.comm, '\0', sizeof(t.comm)))
			vm_report(r, "task pid %d: comm not NUL-terminated", t.pid);
		if (t.state == TASK_RUNNING && t.host_pid <= 0)
			vm_report(r, "task pid %d: running with host pid %d", t.pid, t.host_pid);
		if (t.state == TASK_ZOMBIE) {
			if (t.mm)
				vm_report(r, "task pid %d: a zombie still holding mm %#x", t.pid, t.mm);
			continue;
		}
		if (!t.mm) {
			vm_report(r, "task pid %d: %s without an mm", t.pid,
				  t.state == TASK_NEW ? "new" : "running");
			continue;
		}
		mm = lowmem_obj(v, t.mm, sizeof(*mm), 4);
		if (!mm) {
			vm_report(r, "task pid %d: mm at pa %#x lies outside lowmem or is misaligned",
				  t.pid, t.mm);
			*complete = false;
			continue;
		}
		if (!in_cache(v, t.mm, sizeof(*mm), tt->mm_cache))
			vm_report(r, "task pid %d: mm %#x is not an object of the mm_struct cache",
				  t.pid, t.mm);
		if (t.cr3 != mm->pgd)
			vm_report(r, "task pid %d: cr3 %#x, its mm's pgd is %#x", t.pid, t.cr3, mm->pgd);
		if ((int32_t)mm->owner != t.pid)
			vm_report(r, "task pid %d: its mm %#x names pid %u as owner", t.pid, t.mm,
				  mm->owner);
		for (j = 0; j < *nr_mms; j++)
			if (mms[j] == t.mm)
				break;
		if (j == *nr_mms) {
			mms[j] = t.mm;
			pids[j] = t.pid;
			(*nr_mms)++;
		}
	}
	if (used != nr_tasks)
		vm_report(r, "task table: nr_tasks %u, %u slots in use", nr_tasks, used);
}

/* Walks the list in step with the tree's in-order visit. */
struct vma_cursor {
	struct mm_walk *w;
	const uint32_t *pas;		/* the list's VMAs, in order */
	uint32_t n, next;
	bool broken;
};

static void visit_vma(void *ctx, uint32_t node)
{
	struct vma_cursor *c = ctx;
	uint32_t pa = node - (uint32_t)offsetof(struct vm_area_struct, vm_avl);

	if (c->broken)
		return;
	if (c->next >= c->n || c->pas[c->next] != pa) {
		mm_report(c->w, "VMA tree and list disagree: the tree has VMA %#x where the list has %#x",
			  pa, c->next < c->n ? c->pas[c->next] : 0);
		c->broken = true;
		return;
	}
	c->next++;
}

/* Note a VMA for the reverse-map check. false when out of memory. */
static bool add_vma_ref(struct mm_walk *w, uint32_t pa, const struct vm_area_struct *vma)
{
	if (w->nr_refs == w->cap_refs) {
		uint32_t ncap = w->cap_refs ? 2 * w->cap_refs : 256;
		struct vma_ref *n = realloc(w->refs, ncap * sizeof(*n));

		if (!n)
			return false;
		w->refs = n;
		w->cap_refs = ncap;
	}
	w->refs[w->nr_refs++] = (struct vma_ref){
		.pa = pa, .anon_vma = vma->anon_vma, .vm_file = vma->vm_file, .mm = w->mm_pa,
		.pid = w->pid, .start = vma->vm_start, .end = vma->vm_end,
	};
	return true;
}

/* The VMA list, sorted and not overlapping, against the AVL tree and the
 * mm's counters. Leaves copies of the VMAs in w->vmas. */
static void check_vmas(struct mm_walk *w, const struct mm_struct *mm)
{
	const struct vm_view *v = w->v;
	const uint32_t max = TASK_SIZE >> PAGE_SHIFT;
	uint32_t pa = mm->mmap, prev = 0, prev_end = 0, n = 0, cap = 0, *pas = NULL;
	uint32_t vma_cache = v->kdata->tasks.vma_cache;
	struct vm_area_struct *vmas = NULL;
	uint64_t total = 0, stack = 0;
	struct vma_cursor cursor;
	bool complete = true;
	char what[64];

	while (pa) {
		const struct vm_area_struct *p;
		struct vm_area_struct vma;
		uint32_t f;

		if (n >= max) {
			mm_report(w, "VMA list does not end after %u VMAs", n);
			complete = false;
			break;
		}
		p = lowmem_obj(v, pa, sizeof(*p), 4);
		if (!p) {
			mm_report(w, "VMA at pa %#x lies outside lowmem or is misaligned", pa);
			complete = false;
			break;
		}
		vma = *p;	/* one copy: a live machine may change under us */
		if (!in_cache(v, pa, sizeof(vma), vma_cache))
			mm_report(w, "VMA %#x is not an object of the vm_area_struct cache", pa);
		if (vma.vm_prev != prev)
			mm_report(w, "VMA %08x-%08x: prev link %#x, expected %#x", vma.vm_start,
				  vma.vm_end, vma.vm_prev, prev);
		if (vma.vm_mm != w->mm_pa)
			mm_report(w, "VMA %08x-%08x belongs to mm %#x", vma.vm_start, vma.vm_end,
				  vma.vm_mm);
		if (((vma.vm_start | vma.vm_end) & ~PAGE_MASK) || vma.vm_start >= vma.vm_end ||
		    vma.vm_end > TASK_SIZE) {
			mm_report(w, "VMA %#x spans %08x-%08x: not a page-aligned range below TASK_SIZE",
				  pa, vma.vm_start, vma.vm_end);
			complete = false;
			break;
		}
		if (vma.vm_start < prev_end) {
			mm_report(w, "VMA %08x-%08x overlaps or precedes the VMA before it (ends %08x)",
				  vma.vm_start, vma.vm_end, prev_end);
			complete = false;
			break;
		}
		/* mprotect can raise a right only where its VM_MAY* bit
		 * allows; shared implies may-share */
		f = vma.vm_flags;
		if ((f & VM_ACCESS_FLAGS) & ~((f >> 4) & VM_ACCESS_FLAGS))
			mm_report(w, "VMA %08x-%08x: flags %#x grant a right their VM_MAY* bits do not",
				  vma.vm_start, vma.vm_end, f);
		if ((f & VM_SHARED) && !(f & VM_MAYSHARE))
			mm_report(w, "VMA %08x-%08x: VM_SHARED without VM_MAYSHARE (flags %#x)",
				  vma.vm_start, vma.vm_end, f);
		if (n == cap) {
			uint32_t ncap = cap ? 2 * cap : 32, *np;
			struct vm_area_struct *nv;

			nv = realloc(vmas, ncap * sizeof(*vmas));
			if (nv)
				vmas = nv;
			np = realloc(pas, ncap * sizeof(*pas));
			if (np)
				pas = np;
			if (!nv || !np) {
				vm_report(w->r, "check: out of memory for %u VMAs", ncap);
				complete = false;
				break;
			}
			cap = ncap;
		}
		if (!add_vma_ref(w, pa, &vma)) {
			vm_report(w->r, "check: out of memory for %u VMAs", w->nr_refs + 1);
			complete = false;
			break;
		}
		vmas[n] = vma;
		pas[n] = pa;
		n++;
		total += (vma.vm_end - vma.vm_start) >> PAGE_SHIFT;
		if (f & VM_GROWSDOWN)
			stack += (vma.vm_end - vma.vm_start) >> PAGE_SHIFT;
		prev = pa;
		prev_end = vma.vm_end;
		pa = vma.vm_next;
	}
	if (complete) {
		if (mm->mm_avl.count != n)
			mm_report(w, "map_count %u, the VMA list holds %u", mm->mm_avl.count, n);
		if (n > mm->map_count_max)
			mm_report(w, "%u VMAs, more than max_map_count %u", n, mm->map_count_max);
		if (mm->total_vm != total)
			mm_report(w, "total_vm %llu pages, the VMAs span %llu",
				  (unsigned long long)mm->total_vm, (unsigned long long)total);
		if (mm->stack_vm != stack)
			mm_report(w, "stack_vm %llu pages, the VM_GROWSDOWN VMAs span %llu",
				  (unsigned long long)mm->stack_vm, (unsigned long long)stack);
	}
	snprintf(what, sizeof(what), "mm %#x (pid %d) VMA", w->mm_pa, w->pid);
	cursor = (struct vma_cursor){ .w = w, .pas = pas, .n = n };
	avl_validate(v, &mm->mm_avl, AVL_KEY_OFFSET(struct vm_area_struct, vm_avl, vm_start),
		     max + 1, what, w->r, complete ? visit_vma : NULL, &cursor);
	if (complete && !cursor.broken && cursor.next != n)
		mm_report(w, "the VMA list goes on at %#x after the tree's last", pas[cursor.next]);
	free(pas);
	w->vmas = vmas;
	w->nr_vmas = n;
	w->vmas_complete = complete;
	if (!complete)
		w->refs_complete = false;
}

/* The VMA holding addr, or NULL: a binary search of the sorted copies. */
static const struct vm_area_struct *vma_of(const struct mm_walk *w, uint32_t addr)
{
	uint32_t lo = 0, hi = w->nr_vmas;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct vm_area_struct *vma = &w->vmas[mid];

		if (addr < vma->vm_start)
			hi = mid;
		else if (addr >= vma->vm_end)
			lo = mid + 1;
		else
			return vma;
	}
	return NULL;
}

/* A user page-table frame at pa whose first va is first: lowmem, PG_pgtable,
 * this mm's, reached once. Its contents, or NULL (reported). */
static const void *user_table(struct mm_walk *w, uint64_t pa, uint32_t first, const char *what)
{
	const struct vm_view *v = w->v;
	uint64_t pfn = pa >> PAGE_SHIFT;
	struct page page;
	const void *t;

	t = (pa & ~PAGE_MASK) || pfn >= v->boot->max_low_pfn || pfn >= v->nr_pages ? NULL :
	    vm_view_ptr(v, pa, PAGE_SIZE);
	if (!t) {
		mm_report(w, "%s for %08x at pa %#llx lies outside lowmem or is misaligned", what,
			  first, (unsigned long long)pa);
		w->complete = false;
		return NULL;
	}
	if (bit_test_and_set(w->table_seen, pfn)) {
		mm_report(w, "%s for %08x: pfn %#llx is linked as a page table twice", what, first,
			  (unsigned long long)pfn);
		w->complete = false;
		return NULL;
	}
	page = v->mem_map[pfn];
	if (!(page.flags & (1u << PG_pgtable)) ||
	    (page.flags & (USER_FRAME_NEVER & ~(1u << PG_pgtable))) || page._refcount < 1 ||
	    page.mapping != w->mm_pa || page.index != first >> PAGE_SHIFT)
		mm_report(w, "%s for %08x: pfn %#llx has flags %#x refcount %d mapping %#x index %#x; expected PG_pgtable, this mm, index %#x",
			  what, first, (unsigned long long)pfn, page.flags, page._refcount,
			  page.mapping, page.index, first >> PAGE_SHIFT);
	return t;
}

static void check_table_count(struct mm_walk *w, uint64_t pa, const char *what, uint32_t first,
			      unsigned used)
{
	const struct page *page = &w->v->mem_map[pa >> PAGE_SHIFT];

	if (page->private != used)
		mm_report(w, "%s for %08x (pfn %#llx) counts %u entries in use, holds %u", what, first,
			  (unsigned long long)(pa >> PAGE_SHIFT), page->private, used);
}

/*
 * A PTE in a file VMA onto a page that is not anonymous: the file's
 * page-cache page at the offset the PTE's place in the VMA gives (index =
 * vm_pgoff + pages from vm_start), as filemap_fault put it there; read-only
 * in a private VMA, where a write fault copies it to an anonymous page
 * first. The census counts it (the cache's own reference, nr_mapped).
 */
static void check_file_pte(struct mm_walk *w, const struct vm_area_struct *vma, uint32_t addr,
			   pteval_t e, uint64_t pfn, const struct page *page)
{
	uint32_t want = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	struct frame_use *use = &w->use[pfn];

	w->file_present++;
	/* a file's page even at the wrong place: the cache holds it */
	if (use->cache_ptes < UINT32_MAX)
		use->cache_ptes++;
	if (page->mapping != vma->vm_file || page->index != want) {
		mm_report(w, "va %08x: file pfn %#llx has mapping %#x index %#x, expected %#x index %#x (VMA %08x-%08x at page %#x of its file)",
			  addr, (unsigned long long)pfn, page->mapping, page->index, vma->vm_file, want,
			  vma->vm_start, vma->vm_end, vma->vm_pgoff);
		return;
	}
	if (!(vma->vm_flags & VM_SHARED) && pte_write(e))
		mm_report(w, "va %08x: PTE %#llx maps page-cache pfn %#llx writable in private VMA %08x-%08x (a write must copy it)",
			  addr, (unsigned long long)e, (unsigned long long)pfn, vma->vm_start, vma->vm_end);
}

/* One non-zero PTE at addr. */
static void check_pte(struct mm_walk *w, uint32_t addr, pteval_t e)
{
	const struct vm_area_struct *vma = vma_of(w, addr);
	const struct vm_view *v = w->v;
	struct frame_use *use;
	struct page page;
	uint64_t pfn;
	bool private;

	if (!vma && w->vmas_complete)
		mm_report(w, "va %08x: PTE %#llx lies in no VMA", addr, (unsigned long long)e);
	if (!pte_present(e)) {
		swp_entry_t entry = pte_to_swp_entry(w->mode, e);

		w->swapents++;
		/* bits a swap entry leaves 0 (the layout in swap.h) are 0 */
		if (swp_entry_to_pte(w->mode, entry) != e) {
			mm_report(w, "va %08x: PTE %#llx is neither present nor a swap entry", addr,
				  (unsigned long long)e);
			return;
		}
		if (w->nr_swap == w->cap_swap) {
			uint32_t ncap = w->cap_swap ? 2 * w->cap_swap : 1024;
			struct swap_ref *n = realloc(w->swap, ncap * sizeof(*n));

			if (!n) {
				w->swap_complete = false;
				return;
			}
			w->swap = n;
			w->cap_swap = ncap;
		}
		w->swap[w->nr_swap++] = (struct swap_ref){
			.val = entry.val, .va = addr, .mm = w->mm_pa, .pid = w->pid,
		};
		return;
	}
	/* a PTE never grants more than its VMA; after fork a private
	 * page's PTE lacks RW in a writable VMA, which is copy-on-write */
	if (vma && pte_write(e) && !(vma->vm_flags & VM_WRITE))
		mm_report(w, "va %08x: PTE %#llx is writable in VMA %08x-%08x without VM_WRITE", addr,
			  (unsigned long long)e, vma->vm_start, vma->vm_end);
	if (vma && pte_user(e) && !(vma->vm_flags & VM_ACCESS_FLAGS))
		mm_report(w, "va %08x: PTE %#llx is user-accessible in PROT_NONE VMA %08x-%08x", addr,
			  (unsigned long long)e, vma->vm_start, vma->vm_end);
	pfn = pte_pfn(e);
	if (pfn >= v->nr_pages) {
		w->present++;
		mm_report(w, "va %08x: PTE %#llx maps pfn %#llx beyond RAM", addr,
			  (unsigned long long)e, (unsigned long long)pfn);
		return;
	}
	/* a MAP_PRIVATE file VMA is private too: its anonymous copies are
	 * copy-on-write after fork like any others */
	private = vma && !(vma->vm_flags & VM_SHARED);
	if (w->zero_pfn && pfn == w->zero_pfn) {
		/* read faults on untouched private memory: no reference,
		 * no mapcount, no RSS, and never writable */
		if (pte_write(e))
			mm_report(w, "va %08x: PTE %#llx maps the zero page writable", addr,
				  (unsigned long long)e);
		if (vma && (!private || vma->vm_file))
			mm_report(w, "va %08x: the zero page mapped in %s VMA %08x-%08x", addr,
				  vma->vm_file ? "file" : "shared", vma->vm_start, vma->vm_end);
		return;
	}
	w->present++;
	page = v->mem_map[pfn];
	if (page._refcount < 1 || (page.flags & USER_FRAME_NEVER))
		mm_report(w, "va %08x maps pfn %#llx, which is not an allocated user frame (flags %#x refcount %d)",
			  addr, (unsigned long long)pfn, page.flags, page._refcount);
	use = &w->use[pfn];
	if (use->ptes < UINT32_MAX)
		use->ptes++;
	if (vma && vma->vm_file && !(page.mapping & PAGE_MAPPING_ANON)) {
		check_file_pte(w, vma, addr, e, pfn, &page);
		return;
	}
	if (private && pte_write(e) && use->cow_writable < UINT32_MAX)
		use->cow_writable++;
	if (vma && vma->vm_file && !private) {
		mm_report(w, "va %08x: pfn %#llx in shared file VMA %08x-%08x is anonymous (mapping %#x), not the file's page",
			  addr, (unsigned long long)pfn, vma->vm_start, vma->vm_end, page.mapping);
	} else if (vma) {
		/* An anonymous page names its VMA's anon_vma, whose list
		 * holds every VMA (of any mm) that may map it, at the va it
		 * was faulted at: the same in every mm after fork. The list
		 * itself is checked once all mms are walked. */
		uint32_t want = vma->anon_vma | PAGE_MAPPING_ANON;

		if (!vma->anon_vma)
			mm_report(w, "va %08x: anonymous pfn %#llx in VMA %08x-%08x, which has no anon_vma",
				  addr, (unsigned long long)pfn, vma->vm_start, vma->vm_end);
		else if (page.mapping != want || page.index != addr >> PAGE_SHIFT)
			mm_report(w, "va %08x: anonymous pfn %#llx has mapping %#x index %#x, expected %#x index %#x",
				  addr, (unsigned long long)pfn, page.mapping, page.index, want,
				  addr >> PAGE_SHIFT);
	}
}

/* A PTE table covering first..: its entries, and its count of them. */
static void check_pte_table(struct mm_walk *w, uint64_t pa, uint32_t first)
{
	unsigned esz = pt_entry_size(w->mode), n = ptrs_per_pte(w->mode), i, used = 0;
	const void *t = user_table(w, pa, first, "page table");

	if (!t)
		return;
	w->tables++;
	for (i = 0; i < n; i++) {
		pteval_t e = entry_at(t, i, esz);

		if (pte_none(e))
			continue;
		used++;
		check_pte(w, first + (i << PAGE_SHIFT), e);
	}
	check_table_count(w, pa, "page table", first, used);
	if (used == 0)
		mm_report(w, "empty page table for %08x (pfn %#llx) left linked", first,
			  (unsigned long long)(pa >> PAGE_SHIFT));
}

/* A directory entry (i386 PGD, pae PMD) for first..: 0 or a page table. */
static void check_pmd_entry(struct mm_walk *w, pteval_t e, uint32_t first)
{
	if (!pmd_present(e) || pmd_large(e)) {
		mm_report(w, "directory entry for %08x is %#llx: not a page table", first,
			  (unsigned long long)e);
		return;
	}
	check_pte_table(w, pmd_table_pa(e), first);
}

/* i386: the PGD frame; entries 0..767 are the user's, 768.. copies of
 * swapper_pg_dir's (or still 0). */
static void check_tables_i386(struct mm_walk *w, const struct mm_struct *mm)
{
	const unsigned user = TASK_SIZE >> PGDIR_SHIFT_I386;
	const void *pgd = user_table(w, mm->pgd, 0, "page directory");
	const void *kpgd = vm_view_ptr(w->v, w->v->boot->swapper_pg_dir, PAGE_SIZE);
	unsigned i, used = 0;

	if (!pgd)
		return;
	for (i = 0; i < user; i++) {
		pteval_t e = entry_at(pgd, i, 4);

		if (pgd_none(e))
			continue;
		used++;
		check_pmd_entry(w, e, i << PGDIR_SHIFT_I386);
	}
	check_table_count(w, mm->pgd, "page directory", 0, used);
	for (i = user; kpgd && i < PTRS_PER_PGD_I386; i++) {
		pteval_t e = entry_at(pgd, i, 4), k = entry_at(kpgd, i, 4);

		if (e && e != k)
			mm_report(w, "kernel PGD entry %u is %#llx, swapper_pg_dir's is %#llx", i,
				  (unsigned long long)e, (unsigned long long)k);
	}
}

/* pae: the PDPT, a 32-byte object of pgd_cache; PGD[0..2] lead to user PMD
 * tables, PGD[3] to the kernel's shared PMD. */
static void check_tables_pae(struct mm_walk *w, const struct mm_struct *mm)
{
	const struct vm_view *v = w->v;
	const uint64_t kpmd = ((uint64_t)v->boot->swapper_pg_dir + PAGE_SIZE) | _PAGE_PRESENT;
	const void *pdpt = lowmem_obj(v, mm->pgd, pgd_table_size(VM_MODE_PAE), 32);
	unsigned i, j;

	if (!pdpt) {
		mm_report(w, "PDPT at pa %#x lies outside lowmem or is not 32-byte aligned", mm->pgd);
		w->complete = false;
		return;
	}
	if (!in_cache(v, mm->pgd, pgd_table_size(VM_MODE_PAE), v->kdata->tasks.pgd_cache))
		mm_report(w, "PDPT %#x is not an object of the pgd_cache", mm->pgd);
	for (i = 0; i < PTRS_PER_PGD_PAE - 1; i++) {
		pteval_t e = entry_at(pdpt, i, 8);
		uint32_t first = i << PGDIR_SHIFT_PAE;
		unsigned used = 0;
		const void *pmd;

		if (pgd_none(e))
			continue;
		if (pte_flags(e) != _PAGE_PRESENT) {
			mm_report(w, "PGD entry %u is %#llx: a PDPT entry holds P and a frame only", i,
				  (unsigned long long)e);
			if (!pgd_present(e))
				continue;
		}
		pmd = user_table(w, pgd_table_pa(e), first, "PMD table");
		if (!pmd)
			continue;
		w->tables++;
		for (j = 0; j < PTRS_PER_PMD_PAE; j++) {
			pteval_t pe = entry_at(pmd, j, 8);

			if (pmd_none(pe))
				continue;
			used++;
			check_pmd_entry(w, pe, first | (j << PMD_SHIFT_PAE));
		}
		check_table_count(w, pgd_table_pa(e), "PMD table", first, used);
		if (used == 0)
			mm_report(w, "empty PMD table for %08x (pfn %#llx) left linked", first,
				  (unsigned long long)(pgd_table_pa(e) >> PAGE_SHIFT));
	}
	if (entry_at(pdpt, 3, 8) != kpmd)
		mm_report(w, "PGD entry 3 is %#llx, expected %#llx (the kernel's shared PMD)",
			  (unsigned long long)entry_at(pdpt, 3, 8), (unsigned long long)kpmd);
}

/* What the mm holds in flight (a guest stopped inside the kernel, or one
 * caught in the middle on a live machine): noted, so the census allows
 * for it, and checked to be what it says. */
static void check_mm_inflight(struct mm_walk *w, const struct mm_struct *mm)
{
	const struct vm_view *v = w->v;
	const struct task_table *tt = &v->kdata->tasks;
	uint32_t pfn = mm->inflight_pfn, vma = mm->inflight_vma, av = mm->inflight_anon_vma;
	unsigned order = mm->inflight_order;

	if (pfn) {
		if (mm->inflight_kind == INFLIGHT_NONE || order >= MAX_ORDER || pfn >= v->nr_pages ||
		    (1u << order) > v->nr_pages - pfn)
			mm_report(w, "in flight: pfn %#x order %u kind %u is no run of frames in RAM",
				  pfn, order, mm->inflight_kind);
		else
			w->inflight[w->nr_inflight++] = (struct inflight_frames){ pfn, 1u << order };
		/* a copy on write also holds the frame it replaces */
		if (mm->inflight_old_pfn && mm->inflight_old_pfn < v->nr_pages)
			w->inflight[w->nr_inflight++] = (struct inflight_frames){ mm->inflight_old_pfn, 1 };
	}
	if (vma) {
		if (!in_cache(v, vma, sizeof(struct vm_area_struct), tt->vma_cache))
			mm_report(w, "in flight: VMA %#x is not an object of the vm_area_struct cache", vma);
		w->inflight_vma[w->nr_inflight_vma++] = vma;
	}
	if (av) {
		if (!in_cache(v, av, sizeof(struct anon_vma), tt->anon_vma_cache))
			mm_report(w, "in flight: anon_vma %#x is not an object of the anon_vma cache", av);
		w->inflight_anon_vma[w->nr_inflight_anon_vma++] = av;
	}
}

static void check_mm(struct mm_walk *w, uint32_t mm_pa, int pid)
{
	const struct mm_struct *p = lowmem_obj(w->v, mm_pa, sizeof(*p), 4);
	struct mm_struct mm;
	int64_t rss;
	bool complete;
	int i;

	if (!p)		/* check_tasks reported it */
		return;
	memcpy(&mm, p, sizeof(mm));
	w->mm_pa = mm_pa;
	w->pid = pid;
	w->present = w->file_present = w->swapents = w->tables = 0;
	if (mm.task_size != TASK_SIZE)
		mm_report(w, "task_size %#x, expected %#lx", mm.task_size, TASK_SIZE);
	if (mm.brk < mm.start_brk)
		mm_report(w, "brk %#x below start_brk %#x", mm.brk, mm.start_brk);
	for (i = 0; i < NR_MM_COUNTERS; i++)
		if (mm.rss_stat[i] < 0)
			mm_report(w, "rss_stat[%d] is %lld", i, (long long)mm.rss_stat[i]);
	check_mm_inflight(w, &mm);

	check_vmas(w, &mm);

	/* the counters are checked against this mm's walk alone */
	complete = w->complete;
	w->complete = true;
	if (w->mode == VM_MODE_PAE)
		check_tables_pae(w, &mm);
	else
		check_tables_i386(w, &mm);
	if (w->complete) {
		rss = mm.rss_stat[MM_ANONPAGES] + mm.rss_stat[MM_FILEPAGES] + mm.rss_stat[MM_SHMEMPAGES];
		if (rss != (int64_t)w->present)
			mm_report(w, "rss %lld pages (anon %lld, file %lld, shmem %lld), the tables map %llu",
				  (long long)rss, (long long)mm.rss_stat[MM_ANONPAGES],
				  (long long)mm.rss_stat[MM_FILEPAGES],
				  (long long)mm.rss_stat[MM_SHMEMPAGES], (unsigned long long)w->present);
		/* Linux's MM_FILEPAGES: the file's own pages; a private
		 * VMA's anonymous copies count as anon */
		if (mm.rss_stat[MM_FILEPAGES] != (int64_t)w->file_present)
			mm_report(w, "file rss %lld pages, the tables map %llu page-cache pages",
				  (long long)mm.rss_stat[MM_FILEPAGES], (unsigned long long)w->file_present);
		if (mm.rss_stat[MM_SWAPENTS] != (int64_t)w->swapents)
			mm_report(w, "swapents %lld, the tables hold %llu swap entries",
				  (long long)mm.rss_stat[MM_SWAPENTS], (unsigned long long)w->swapents);
		if (mm.nr_ptes != w->tables)
			mm_report(w, "nr_ptes %u, %llu page tables below the PGD", mm.nr_ptes,
				  (unsigned long long)w->tables);
	}
	w->complete = w->complete && complete;
	free((void *)w->vmas);
	w->vmas = NULL;
	w->nr_vmas = 0;
}

/* i386: pgd_list holds every user page directory once (its frames,
 * linked through page->lru), so a freed kernel table's PDE can be cleared
 * from all of them. pgds[] are the directories of the nr mms found. */
static void check_pgd_list(const struct vm_view *v, struct vm_report *r, const uint32_t *mms,
			   const uint32_t *pgds, unsigned nr, bool complete)
{
	const struct pfn_list *head = &v->kdata->tasks.pgd_list;
	uint32_t listed[2 * VM_MAX_TASKS], pfn = head->next, prev = PFN_NIL, n = 0, i, j;

	while (pfn != PFN_NIL) {
		const struct page *page;

		if (n == ARRAY_SIZE(listed)) {
			vm_report(r, "pgd_list: more than %u directories (a cycle?)", n);
			return;
		}
		if (pfn >= v->nr_pages) {
			vm_report(r, "pgd_list: links to pfn %#x beyond RAM", pfn);
			return;
		}
		for (i = 0; i < n; i++)
			if (listed[i] == pfn) {
				vm_report(r, "pgd_list: pfn %#x is on it twice (a cycle?)", pfn);
				return;
			}
		page = &v->mem_map[pfn];
		if (!(page->flags & (1u << PG_pgtable)) || page->index != 0)
			vm_report(r, "pgd_list: pfn %#x is not a page directory (flags %#x index %#x)",
				  pfn, page->flags, page->index);
		if (page->lru.prev != prev)
			vm_report(r, "pgd_list: pfn %#x: prev link %#x, expected %#x", pfn, page->lru.prev,
				  prev);
		listed[n++] = pfn;
		prev = pfn;
		pfn = page->lru.next;
	}
	if (head->prev != prev)
		vm_report(r, "pgd_list: tail %#x, the list ends at %#x", head->prev, prev);
	for (i = 0; i < nr; i++) {
		for (j = 0; j < n && listed[j] != pgds[i] >> PAGE_SHIFT; j++)
			;
		if (j == n)
			vm_report(r, "pgd_list: the directory of mm %#x (pfn %#x) is not on it", mms[i],
				  pgds[i] >> PAGE_SHIFT);
	}
	if (complete && n != nr)
		vm_report(r, "pgd_list: %u directories, the tasks hold %u mms", n, nr);
}

/* ---- the reverse map of anonymous pages ---------------------------------- */

static int cmp_ref_pa(const void *a, const void *b)
{
	const struct vma_ref *x = a, *y = b;

	return x->pa < y->pa ? -1 : x->pa > y->pa;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static struct vma_ref *find_ref(const struct mm_walk *w, uint32_t pa)
{
	struct vma_ref key = { .pa = pa };

	return bsearch(&key, w->refs, w->nr_refs, sizeof(key), cmp_ref_pa);
}

static bool in_list(const uint32_t *list, unsigned n, uint32_t x)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (list[i] == x)
			return true;
	return false;
}

/*
 * One anon_vma's list: an object of the anon_vma cache, a list that ends,
 * holds nr_vmas VMAs, each of which names this anon_vma and belongs to a
 * live mm (or is one an mm holds in flight), none twice. Marks the VMAs
 * it finds; a VMA that names it and is not marked is missing from it.
 * false if the anon_vma cannot be read.
 */
static bool check_anon_vma(struct mm_walk *w, uint32_t av_pa, const struct vma_ref *named_by)
{
	const struct vm_view *v = w->v;
	const struct anon_vma *p = lowmem_obj(v, av_pa, sizeof(*p), 4);
	uint32_t pa, n = 0, bound = w->nr_refs + w->nr_inflight_vma + 1;
	struct anon_vma av;
	bool broken = false;

	if (!p) {
		vm_report(w->r, "mm %#x (pid %d): VMA %08x-%08x: anon_vma at pa %#x lies outside lowmem or is misaligned",
			  named_by->mm, named_by->pid, named_by->start, named_by->end, av_pa);
		return false;
	}
	av = *p;
	if (!in_cache(v, av_pa, sizeof(av), v->kdata->tasks.anon_vma_cache))
		vm_report(w->r, "anon_vma %#x (of pid %d's VMA %08x-%08x) is not an object of the anon_vma cache",
			  av_pa, named_by->pid, named_by->start, named_by->end);
	for (pa = av.head; pa; n++) {
		const struct vm_area_struct *vp;
		struct vm_area_struct vma;
		struct vma_ref *ref;

		if (n >= bound) {
			vm_report(w->r, "anon_vma %#x: its list does not end after %u VMAs (a cycle?)",
				  av_pa, n);
			broken = true;
			break;
		}
		vp = lowmem_obj(v, pa, sizeof(*vp), 4);
		if (!vp) {
			vm_report(w->r, "anon_vma %#x: its list links to VMA %#x, outside lowmem or misaligned",
				  av_pa, pa);
			broken = true;
			break;
		}
		vma = *vp;
		ref = find_ref(w, pa);
		if (ref && ref->listed == av_pa) {
			vm_report(w->r, "anon_vma %#x: VMA %#x (pid %d, %08x-%08x) is on its list twice (a cycle)",
				  av_pa, pa, ref->pid, ref->start, ref->end);
			broken = true;
			break;
		}
		if (ref && ref->listed) {
			vm_report(w->r, "anon_vma %#x lists VMA %#x (pid %d, %08x-%08x), which is on anon_vma %#x's list too",
				  av_pa, pa, ref->pid, ref->start, ref->end, ref->listed);
			broken = true;
			break;
		}
		if (ref)
			ref->listed = av_pa;
		else if (!in_list(w->inflight_vma, w->nr_inflight_vma, pa))
			vm_report(w->r, "anon_vma %#x lists VMA %#x (%08x-%08x of mm %#x), which no task's mm holds",
				  av_pa, pa, vma.vm_start, vma.vm_end, vma.vm_mm);
		if (vma.anon_vma != av_pa)
			vm_report(w->r, "anon_vma %#x lists VMA %#x (%08x-%08x of mm %#x), whose anon_vma is %#x",
				  av_pa, pa, vma.vm_start, vma.vm_end, vma.vm_mm, vma.anon_vma);
		pa = vma.anon_vma_next;
	}
	if (!broken && n != av.nr_vmas)
		vm_report(w->r, "anon_vma %#x: nr_vmas %u, its list holds %u VMA%s", av_pa, av.nr_vmas, n,
			  n == 1 ? "" : "s");
	return true;
}

/* The kernel's count of a cache's objects in use against those the walk
 * reached, allowing for objects in flight: more is a leak, fewer means
 * something reached is free. */
static void check_cache_count(const struct vm_view *v, struct vm_report *r, uint32_t cache_pa,
			      const char *what, uint64_t reached, uint64_t inflight)
{
	const struct kmem_cache *c = lowmem_obj(v, cache_pa, sizeof(*c), 8);
	uint64_t inuse;

	if (!c)
		return;
	inuse = c->inuse;
	if (inuse < reached || inuse > reached + inflight)
		vm_report(r, "slab: %s cache holds %llu objects in use, the tasks reach %llu (%llu more in flight)",
			  what, (unsigned long long)inuse, (unsigned long long)reached,
			  (unsigned long long)inflight);
}

/* The nonzero values of one field of the VMAs' refs (off: its offset in
 * struct vma_ref), sorted, in a new array (*nr of them); NULL with a
 * report when there is no memory for it, or no VMA. */
static uint32_t *vma_ref_values(struct mm_walk *w, size_t off, uint32_t *nr)
{
	uint32_t *vals, i;

	*nr = 0;
	if (!w->nr_refs)
		return NULL;
	vals = malloc(w->nr_refs * sizeof(*vals));
	if (!vals) {
		vm_report(w->r, "check: out of memory for %u VMAs", w->nr_refs);
		return NULL;
	}
	for (i = 0; i < w->nr_refs; i++) {
		uint32_t x;

		memcpy(&x, (const char *)&w->refs[i] + off, sizeof(x));
		if (x)
			vals[(*nr)++] = x;
	}
	if (*nr)
		qsort(vals, *nr, sizeof(*vals), cmp_u32);
	return vals;
}

/*
 * The reverse map from the VMA side, once every mm's VMA list was read:
 * every anon_vma named by a VMA is checked once (check_anon_vma), every
 * VMA that names one must have been found on its list, and the slab
 * caches hold no VMA, anon_vma or mm the tasks do not reach. The page
 * side (each anonymous frame names its VMA's anon_vma at its own va) was
 * checked PTE by PTE.
 */
static void check_rmap(struct mm_walk *w, unsigned nr_mms)
{
	const struct vm_view *v = w->v;
	const struct task_table *tt = &v->kdata->tasks;
	uint32_t *avs = NULL, nr_avs = 0, valid = 0, i, j;

	if (w->nr_refs)
		qsort(w->refs, w->nr_refs, sizeof(*w->refs), cmp_ref_pa);
	for (i = 1; i < w->nr_refs; i++)
		if (w->refs[i].pa == w->refs[i - 1].pa)
			vm_report(w->r, "VMA %#x is in the lists of mm %#x (pid %d) and mm %#x (pid %d)",
				  w->refs[i].pa, w->refs[i - 1].mm, w->refs[i - 1].pid, w->refs[i].mm,
				  w->refs[i].pid);
	avs = vma_ref_values(w, offsetof(struct vma_ref, anon_vma), &nr_avs);
	if (w->nr_refs && !avs)
		return;
	for (i = 0; i < nr_avs; i++) {
		const struct vma_ref *named_by = NULL;

		if (i > 0 && avs[i] == avs[i - 1])
			continue;
		for (j = 0; j < w->nr_refs && !named_by; j++)
			if (w->refs[j].anon_vma == avs[i])
				named_by = &w->refs[j];
		if (check_anon_vma(w, avs[i], named_by)) {
			valid++;
			continue;
		}
		/* reported once: its VMAs are not missing from a list
		 * nobody can read */
		for (j = 0; j < w->nr_refs; j++)
			if (w->refs[j].anon_vma == avs[i])
				w->refs[j].listed = avs[i];
	}
	for (i = 0; i < w->nr_refs; i++) {
		const struct vma_ref *ref = &w->refs[i];

		if (ref->anon_vma && ref->listed != ref->anon_vma)
			vm_report(w->r, "mm %#x (pid %d): VMA %08x-%08x names anon_vma %#x but is not on its list",
				  ref->mm, ref->pid, ref->start, ref->end, ref->anon_vma);
	}
	check_cache_count(v, w->r, tt->anon_vma_cache, "anon_vma", valid, w->nr_inflight_anon_vma);
	check_cache_count(v, w->r, tt->vma_cache, "vm_area_struct", w->nr_refs, w->nr_inflight_vma);
	check_cache_count(v, w->r, tt->mm_cache, "mm_struct", nr_mms, 0);
	free(avs);
}

/*
 * The reverse map of file pages, from the VMA side, once every mm's VMA
 * list was read: every VMA that maps a file is on that file's i_mmap list
 * (where rmap.c looks for a page-cache page's PTEs), and every VMA on such
 * a list belongs to a live mm or is one an mm holds in flight. The lists'
 * own shape (links, cycles, i_mmap_count, each VMA's vm_file) is
 * validate_filemap's to report: a list that breaks is left alone here.
 */
static void check_i_mmap(struct mm_walk *w)
{
	const struct vm_view *v = w->v;
	uint64_t bound = ((uint64_t)v->boot->max_low_pfn << PAGE_SHIFT) / sizeof(struct vm_area_struct);
	uint32_t *files, nr = 0, i, j;

	files = vma_ref_values(w, offsetof(struct vma_ref, vm_file), &nr);
	if (!files)
		return;
	for (i = 0; i < nr; i++) {
		const struct address_space *as;
		struct cycle_mark cm;
		uint32_t f = files[i], pa;
		uint64_t n = 0;

		if (i > 0 && f == files[i - 1])
			continue;
		as = lowmem_obj(v, f, sizeof(*as), 4);
		pa = as ? __atomic_load_n(&as->i_mmap, __ATOMIC_RELAXED) : 0;
		cycle_init(&cm);
		while (pa) {
			const struct vm_area_struct *vp = lowmem_obj(v, pa, sizeof(*vp), 4);
			struct vm_area_struct vma;
			struct vma_ref *ref;

			if (!vp || n++ >= bound || cycle_seen(&cm, pa))
				break;
			vma = *vp;
			ref = find_ref(w, pa);
			if (ref && ref->i_mmap_listed == f)
				break;	/* round again: validate_filemap says so */
			if (ref)
				ref->i_mmap_listed = f;
			else if (!in_list(w->inflight_vma, w->nr_inflight_vma, pa))
				vm_report(w->r, "file %#x: its i_mmap list holds VMA %#x (%08x-%08x of mm %#x), which no task's mm holds",
					  f, pa, vma.vm_start, vma.vm_end, vma.vm_mm);
			pa = vma.shared_next;
		}
		if (!as) {
			for (j = 0; j < w->nr_refs && w->refs[j].vm_file != f; j++)
				;
			vm_report(w->r, "mm %#x (pid %d): VMA %08x-%08x maps a file at pa %#x, outside lowmem or misaligned",
				  w->refs[j].mm, w->refs[j].pid, w->refs[j].start, w->refs[j].end, f);
		}
		if (pa || !as)		/* reported elsewhere: nobody is missing from it */
			for (j = 0; j < w->nr_refs; j++)
				if (w->refs[j].vm_file == f)
					w->refs[j].i_mmap_listed = f;
	}
	for (i = 0; i < w->nr_refs; i++) {
		const struct vma_ref *ref = &w->refs[i];

		if (ref->vm_file && ref->i_mmap_listed != ref->vm_file)
			vm_report(w->r, "mm %#x (pid %d): VMA %08x-%08x maps file %#x but is not on its i_mmap list",
				  ref->mm, ref->pid, ref->start, ref->end, ref->vm_file);
	}
	free(files);
}

/*
 * The reclaim notes (vmscan.c): the pages each guest's process holds off
 * the LRU or locked, by task slot. A page named there may be off its list
 * with a reference more, as one in flight; a dead slot's note is empty
 * (the supervisor gives back what a dying process held before the slot
 * is freed). Sets a bit per noted frame in noted.
 */
static void check_reclaim_notes(const struct vm_view *v, struct vm_report *r, uint8_t *noted)
{
	const struct task_table *tt = &v->kdata->tasks;
	unsigned slot, i;

	for (slot = 0; slot < VM_MAX_TASKS; slot++) {
		const struct reclaim_note *n = &v->kdata->reclaim.note[slot];
		uint32_t state = __atomic_load_n(&tt->task[slot].state, __ATOMIC_RELAXED);

		for (i = 0; i < RECLAIM_NOTE_PAGES; i++) {
			uint32_t e = __atomic_load_n(&n->page[i], __ATOMIC_RELAXED), pfn = e & RNOTE_PFN;

			if (!e)
				continue;
			if (state == TASK_DEAD)
				vm_report(r, "task slot %u: free, yet its reclaim note holds pfn %#x (%s%s)",
					  slot, pfn, e & RNOTE_ISOLATED ? "isolated" : e & RNOTE_REF ? "held" : "",
					  e & RNOTE_LOCKED ? (e & (RNOTE_ISOLATED | RNOTE_REF) ? ", locked" : "locked") : "");
			if (pfn >= v->nr_pages)
				vm_report(r, "task slot %u: reclaim note names pfn %#x, beyond RAM", slot, pfn);
			else
				noted[pfn >> 3] |= (uint8_t)(1u << (pfn & 7));
		}
	}
}

/* Does an mm hold pfn in flight? */
static bool frame_in_flight(const struct mm_walk *w, uint32_t pfn)
{
	unsigned i;

	for (i = 0; i < w->nr_inflight; i++)
		if (pfn >= w->inflight[i].pfn && pfn - w->inflight[i].pfn < w->inflight[i].nr)
			return true;
	return false;
}

unsigned long validate_mm(const struct vm_view *v, struct vm_report *r)
{
	struct mm_walk w = { .v = v, .r = r, .mode = (int)v->boot->mode, .complete = true,
			     .refs_complete = true, .swap_complete = true };
	bool reclaiming = __atomic_load_n(&v->kdata->reclaim.kswapd_state, __ATOMIC_RELAXED) != 0;
	uint8_t *noted = NULL;		/* a bit per frame a reclaim note names */
	unsigned long before = r->violations;
	uint32_t mms[VM_MAX_TASKS], pgds[VM_MAX_TASKS], pfn;
	uint64_t file_mapped = 0;
	int pids[VM_MAX_TASKS];
	unsigned nr_mms, i;

	/* validate_boot says what is wrong with a zero_pfn out of range */
	if (v->boot->zero_pfn && v->boot->zero_pfn < v->nr_pages)
		w.zero_pfn = v->boot->zero_pfn;
	check_tasks(v, r, mms, pids, &nr_mms, &w.complete);
	if (nr_mms && !v->kdata->tasks.mm_cache)
		vm_report(r, "task table: tasks hold mms but there is no mm_struct cache");
	w.use = calloc(v->nr_pages, sizeof(*w.use));
	w.table_seen = calloc(((uint64_t)v->nr_pages + 7) / 8, 1);
	noted = calloc(((uint64_t)v->nr_pages + 7) / 8, 1);
	if (!w.use || !w.table_seen || !noted) {
		vm_report(r, "mm: check: out of memory for %u frames", v->nr_pages);
		goto out;
	}
	check_reclaim_notes(v, r, noted);
	for (i = 0; i < nr_mms; i++) {
		const struct mm_struct *mm = lowmem_obj(v, mms[i], sizeof(*mm), 4);

		pgds[i] = mm ? mm->pgd : 0;
		check_mm(&w, mms[i], pids[i]);
	}
	if (w.mode == VM_MODE_I386)
		check_pgd_list(v, r, mms, pgds, nr_mms, w.complete);
	if (w.refs_complete && w.complete) {
		check_rmap(&w, nr_mms);
		check_i_mmap(&w);
	}
	if (!w.complete)
		goto out;

	/* The census: every frame's mappings against the PTEs found (the
	 * zero page's none: its PTEs are no reference), and no user page
	 * table that no mm reached. */
	for (pfn = 0; pfn < v->nr_pages; pfn++) {
		const struct page *page = &v->mem_map[pfn];
		int64_t mapped = (int64_t)page->_mapcount + 1;
		int32_t ref = page->_refcount;
		uint32_t flags = page->flags, ptes = w.use[pfn].ptes;
		bool inflight = w.nr_inflight && frame_in_flight(&w, pfn);

		if (w.use[pfn].cache_ptes)
			file_mapped++;

		if (pfn == w.zero_pfn && w.zero_pfn) {
			if (mapped != 0 || ref != 1)
				vm_report(r, "pfn %#x: the zero page has mapcount %lld refcount %d; it is never counted (0 and 1)",
					  pfn, (long long)mapped, ref);
			continue;
		}
		/* a frame in flight may be counted before its PTE is set,
		 * or after it is cleared */
		if (mapped != (int64_t)ptes && !(inflight && mapped == (int64_t)ptes + 1))
			vm_report(r, "pfn %#x: mapcount %lld, %u user PTEs map it", pfn,
				  (long long)mapped, ptes);
		if (ptes && (ref < 0 || ptes > (uint32_t)ref))
			vm_report(r, "pfn %#x: refcount %d, fewer than the %u user PTEs that map it", pfn,
				  ref, ptes);
		/* so does the page cache */
		else if (w.use[pfn].cache_ptes && ref < (int64_t)ptes + 1)
			vm_report(r, "pfn %#x: in the page cache with refcount %d, fewer than the %u user PTE%s that map it and the cache",
				  pfn, ref, ptes, ptes == 1 ? "" : "s");
		/* the swap cache holds a reference of its own (others may
		 * hold more for a while: I/O, reclaim, a kernel user) */
		else if ((flags & (1u << PG_swapcache)) && ref < (int64_t)ptes + 1)
			vm_report(r, "pfn %#x: in the swap cache with refcount %d, fewer than the %u user PTE%s that map it and the swap cache",
				  pfn, ref, ptes, ptes == 1 ? "" : "s");
		/* every mapped anonymous page is on an LRU list, or reclaim
		 * could never take it; off it only while reclaim holds it
		 * (kswapd at work, or locked for I/O) */
		if (ptes && (page->mapping & PAGE_MAPPING_ANON) && !(flags & (1u << PG_lru)) &&
		    !(flags & (USER_FRAME_NEVER | 1u << PG_locked | 1u << PG_writeback)) &&
		    !inflight && !reclaiming && !(noted[pfn >> 3] & (1u << (pfn & 7))))
			vm_report(r, "pfn %#x: anonymous page mapped by %u PTE%s, but PG_lru clear (on no LRU list)",
				  pfn, ptes, ptes == 1 ? "" : "s");
		/* copy-on-write: a private page that more than one PTE maps
		 * is read-only in all of them until a write fault copies it */
		if (ptes > 1 && w.use[pfn].cow_writable)
			vm_report(r, "pfn %#x: %u user PTEs map it, %u of them writable in a private VMA (vmdump page %#x shows them)",
				  pfn, ptes, w.use[pfn].cow_writable, pfn);
		if ((flags & (1u << PG_pgtable)) && !(w.table_seen[pfn >> 3] & (1u << (pfn & 7))) &&
		    !inflight)
			vm_report(r, "pfn %#x: a user page table (mm %#x, va %08x) that no mm links", pfn,
				  page->mapping, page->index << PAGE_SHIFT);
	}
	/* Linux's nr_mapped: page-cache pages that at least one PTE maps */
	if ((int64_t)file_mapped != v->kdata->pgdat.vm_stat[NR_FILE_MAPPED])
		vm_report(r, "node: %s %lld, %llu page-cache pages are mapped",
			  node_stat_names[NR_FILE_MAPPED], (long long)v->kdata->pgdat.vm_stat[NR_FILE_MAPPED],
			  (unsigned long long)file_mapped);
	/* every swap PTE against the slot counts */
	if (w.swap_complete)
		check_swap_counts(v, r, w.swap, w.nr_swap);
out:
	free(w.use);
	free(w.table_seen);
	free(w.refs);
	free(w.swap);
	free(noted);
	return r->violations - before;
}

/* ---- swap areas ------------------------------------------------------------ */

/* The page of kva (in the vmalloc area) through swapper_pg_dir: a host
 * pointer into the view, or for a HighMem frame a process's view lacks, a
 * copy read into buf; NULL when it does not map a frame of RAM. */
static const uint8_t *view_vmalloc_page(const struct vm_view *v, uint32_t kva, uint8_t *buf)
{
	const uint8_t *p;
	struct pt_walk w;

	if (pt_walk_view(v, (int)v->boot->mode, v->boot->swapper_pg_dir, kva & PAGE_MASK, &w) !=
	    PT_WALK_MAPPED)
		return NULL;
	p = vm_view_ptr(v, w.pa, PAGE_SIZE);
	if (p || v->fd < 0 || w.pa >= v->boot->ram_bytes ||
	    host_pread(v->fd, buf, PAGE_SIZE, w.pa) != (long)PAGE_SIZE)
		return p;
	return buf;
}

/* Reads vmalloc'ed memory through the view a page at a time: a walk of
 * swapper_pg_dir only when the page changes, so reading a swap_map of
 * 65536 slots in order costs 16 walks. */
struct vmalloc_reader {
	const struct vm_view *v;
	uint32_t page_kva;		/* the page read last; never page-aligned at first */
	const uint8_t *page;		/* its contents, NULL if not mapped */
	uint8_t buf[PAGE_SIZE];		/* a HighMem page's copy (view_vmalloc_page) */
};

static void vmalloc_reader_init(struct vmalloc_reader *rd, const struct vm_view *v)
{
	rd->v = v;
	rd->page_kva = 1;
	rd->page = NULL;
}

/* The len bytes at kva (inside one page), or NULL when their page is not
 * mapped. */
static const void *vmalloc_at(struct vmalloc_reader *rd, uint32_t kva, uint32_t len)
{
	if ((kva & PAGE_MASK) != rd->page_kva) {
		rd->page_kva = kva & PAGE_MASK;
		rd->page = view_vmalloc_page(rd->v, kva, rd->buf);
	}
	if (!rd->page || (kva & ~PAGE_MASK) + len > PAGE_SIZE)
		return NULL;
	return rd->page + (kva & ~PAGE_MASK);
}

/*
 * A swap_map byte other than SWAP_MAP_BAD: a count of users, with
 * SWAP_MAP_DOOMED beside it for a slot whose write failed (it retires
 * when the count reaches 0, so a doomed slot is never at 0). Returns the
 * count; *odd tells a byte that is none of those.
 */
static unsigned slot_count(uint8_t c, bool *odd)
{
	unsigned n = c & (uint8_t)~SWAP_MAP_DOOMED;

	*odd = n > SWAP_MAP_MAX || ((c & SWAP_MAP_DOOMED) && n == 0);
	return *odd ? 0 : n;
}

/* Can the area's swap_map and swap_cache be read: both inside the vmalloc
 * area, at most as many slots as a PTE of this mode can name? NULL if so,
 * else what is wrong. */
static const char *swap_area_bad(const struct vm_view *v, const struct swap_info_struct *si)
{
	const struct vm_boot_block *bb = v->boot;

	if (si->max < 2 || si->max - 1 > swp_max_offset((int)bb->mode))
		return "max out of range";
	if (si->swap_map < bb->vmalloc_start || si->swap_map >= bb->vmalloc_end ||
	    (uint64_t)si->swap_map + si->max > bb->vmalloc_end)
		return "swap_map not inside the vmalloc area";
	/* 0: an area from before the swap cache (no page is cached) */
	if (si->swap_cache &&
	    (si->swap_cache < bb->vmalloc_start || si->swap_cache >= bb->vmalloc_end ||
	     (si->swap_cache & 3) ||
	     (uint64_t)si->swap_cache + (uint64_t)si->max * sizeof(uint32_t) > bb->vmalloc_end))
		return "swap_cache not inside the vmalloc area";
	return NULL;
}

/* swap_cache[off] of an area swap_area_bad passed: the pfn (0: none), or
 * false when its page is not mapped. */
static bool swap_cache_at(struct vmalloc_reader *rd, const struct swap_info_struct *si,
			  uint32_t off, uint32_t *pfn)
{
	const uint32_t *p;

	*pfn = 0;
	if (!si->swap_cache)
		return true;
	p = vmalloc_at(rd, si->swap_cache + off * 4, 4);
	if (!p)
		return false;
	*pfn = __atomic_load_n(p, __ATOMIC_RELAXED);
	return true;
}

static void area_path(const struct swap_info_struct *si, char *path)
{
	memcpy(path, si->path, SWAP_PATH_MAX);
	path[SWAP_PATH_MAX - 1] = '\0';
}

/* The page the swap cache holds for slot off: a frame in RAM, allocated,
 * marked PG_swapcache, with the slot's entry in private. */
static void check_swapcache_page(const struct vm_view *v, struct vm_report *r, unsigned type,
				 const char *path, uint32_t off, uint32_t pfn)
{
	uint32_t want = swp_entry(type, off).val;
	struct page page;

	if (pfn >= v->nr_pages) {
		vm_report(r, "swap %u (%s): swap_cache of slot %#x holds pfn %#x, beyond RAM", type,
			  path, off, pfn);
		return;
	}
	page = v->mem_map[pfn];
	if (page._refcount < 1 || (page.flags & LRU_NEVER))
		vm_report(r, "swap %u (%s): swap_cache of slot %#x holds pfn %#x, not an allocated page (flags %#x refcount %d)",
			  type, path, off, pfn, page.flags, page._refcount);
	if (!(page.flags & (1u << PG_swapcache)) || page.private != want)
		vm_report(r, "pfn %#x: in the swap cache for %u:%#x (entry %#x) but PG_swapcache %s, private %#x",
			  pfn, type, off, want, page.flags & (1u << PG_swapcache) ? "set" : "clear",
			  page.private);
}

/* Each area against its swap_map: slot 0 the header, the header's bad
 * pages marked, inuse_pages the slots with a count, every used slot inside
 * [lowest_bit, highest_bit], the map in the vmalloc area; its swap cache:
 * pages only for used slots, each one PG_swapcache with the slot's entry,
 * and every PG_swapcache page in RAM in the cache at its entry; the
 * globals against the areas. The counts against the swap PTEs are
 * validate_mm's (it walks the page tables). */
unsigned long validate_swap(const struct vm_view *v, struct vm_report *r)
{
	const struct swap_state *ss = &v->kdata->swap;
	const struct pglist_data *pgdat = &v->kdata->pgdat;
	unsigned long before = r->violations;
	uint64_t total = 0, nr_free = 0, cached = 0;
	bool readable[MAX_SWAPFILES] = { false }, cache_complete = true;
	struct vmalloc_reader map_rd, cache_rd;
	unsigned i, used = 0;
	uint32_t pfn;

	vmalloc_reader_init(&map_rd, v);
	vmalloc_reader_init(&cache_rd, v);
	for (i = 0; i < MAX_SWAPFILES; i++) {
		const struct swap_info_struct *si = &ss->areas[i];
		uint32_t off, inuse = 0, bad = 0, lo = UINT32_MAX, hi = 0;
		char path[SWAP_PATH_MAX];
		const char *why;

		if (!(si->flags & SWP_USED))
			continue;
		used++;
		/* the globals against the areas' own counts, whether or not
		 * the maps can be read */
		if (si->flags & SWP_WRITEOK) {
			total += si->pages;
			nr_free += si->pages - min(si->inuse_pages, si->pages);
		}
		area_path(si, path);
		why = swap_area_bad(v, si);
		if (why) {
			vm_report(r, "swap %u (%s): %s (max %u, swap_map %#x, swap_cache %#x)", i, path,
				  why, si->max, si->swap_map, si->swap_cache);
			cache_complete = false;
			continue;
		}
		for (off = 0; off < si->max; off++) {
			const uint8_t *cp = vmalloc_at(&map_rd, si->swap_map + off, 1);
			uint32_t cpfn;
			bool cache_ok = swap_cache_at(&cache_rd, si, off, &cpfn);
			unsigned n;
			bool odd;
			uint8_t c;

			if (!cp || !cache_ok) {
				vm_report(r, "swap %u (%s): %s page %#x not mapped", i, path,
					  cp ? "swap_cache" : "swap_map",
					  (uint32_t)((cp ? si->swap_cache + off * 4 : si->swap_map + off) &
						     PAGE_MASK));
				break;
			}
			c = *cp;
			if (cpfn) {
				cached++;
				check_swapcache_page(v, r, i, path, off, cpfn);
			}
			if (c == SWAP_MAP_BAD) {
				bad++;
				if (cpfn)
					vm_report(r, "swap %u (%s): slot %#x is marked bad, yet the swap cache holds pfn %#x for it",
						  i, path, off, cpfn);
				continue;
			}
			if (off == 0) {
				vm_report(r, "swap %u (%s): slot 0 (the header) has count %u", i, path, c);
				continue;
			}
			n = slot_count(c, &odd);
			if (odd)
				vm_report(r, "swap %u (%s): slot %#x has count %#x", i, path, off, c);
			if (n || odd) {
				inuse++;
				continue;
			}
			if (cpfn)
				vm_report(r, "swap %u (%s): slot %#x is free, yet the swap cache holds pfn %#x for it",
					  i, path, off, cpfn);
			if (off < lo)
				lo = off;
			if (off > hi)
				hi = off;
		}
		if (off < si->max) {
			cache_complete = false;
			continue;
		}
		readable[i] = true;
		if (bad != si->nr_badpages + 1)
			vm_report(r, "swap %u (%s): %u slots marked bad, header and %u bad pages expected",
				  i, path, bad, si->nr_badpages);
		if (si->pages != si->max - 1 - si->nr_badpages)
			vm_report(r, "swap %u (%s): pages %u, max %u with %u bad pages", i, path,
				  si->pages, si->max, si->nr_badpages);
		if (inuse != si->inuse_pages)
			vm_report(r, "swap %u (%s): inuse_pages %u, but %u slots have a count", i, path,
				  si->inuse_pages, inuse);
		if (hi && (lo < si->lowest_bit || hi > si->highest_bit))
			vm_report(r, "swap %u (%s): free slots %u..%u outside lowest_bit..highest_bit %u..%u",
				  i, path, lo, hi, si->lowest_bit, si->highest_bit);
	}
	if (used != ss->nr_swapfiles)
		vm_report(r, "swap: nr_swapfiles %u, %u areas in use", ss->nr_swapfiles, used);
	if (total != ss->total_swap_pages || nr_free != ss->nr_swap_pages)
		vm_report(r, "swap: total_swap_pages %llu nr_swap_pages %llu, areas say %llu and %llu",
			  (unsigned long long)ss->total_swap_pages,
			  (unsigned long long)ss->nr_swap_pages, (unsigned long long)total,
			  (unsigned long long)nr_free);
	if (cache_complete && cached != ss->nr_swapcache)
		vm_report(r, "swap: nr_swapcache %u, the swap caches hold %llu pages", ss->nr_swapcache,
			  (unsigned long long)cached);
	if (cache_complete && (int64_t)cached != pgdat->vm_stat[NR_SWAPCACHE])
		vm_report(r, "node: %s %lld, the swap caches hold %llu pages",
			  node_stat_names[NR_SWAPCACHE], (long long)pgdat->vm_stat[NR_SWAPCACHE],
			  (unsigned long long)cached);

	/* The other way round: a page that says it is in the swap cache is
	 * where its entry says. */
	for (pfn = 0; pfn < v->nr_pages; pfn++) {
		const struct page *page = &v->mem_map[pfn];
		uint32_t flags = page->flags, val = page->private, off, held;
		const struct swap_info_struct *si;
		unsigned type;

		if (!(flags & (1u << PG_swapcache)) || (flags & (1u << PG_buddy | 1u << PG_pcp)))
			continue;	/* a free one is validate_zones' to report */
		type = swp_type((swp_entry_t){ val });
		off = swp_offset((swp_entry_t){ val });
		si = type < MAX_SWAPFILES ? &ss->areas[type] : NULL;
		if (!si || !(si->flags & SWP_USED) || off == 0 || off >= si->max) {
			vm_report(r, "pfn %#x: PG_swapcache with entry %#x (%u:%#x), which is no slot of an area in use",
				  pfn, val, type, off);
			continue;
		}
		if (!readable[type])
			continue;
		if (swap_cache_at(&cache_rd, si, off, &held) && held != pfn)
			vm_report(r, "pfn %#x: PG_swapcache with entry %u:%#x, but the swap cache holds %s%#x for that slot",
				  pfn, type, off, held ? "pfn " : "", held);
	}

	/* kswapd and the OOM killer's state */
	if (v->kdata->reclaim.kswapd_state > 1)
		vm_report(r, "reclaim: kswapd_state %u (0 asleep, 1 reclaiming)",
			  v->kdata->reclaim.kswapd_state);
	if (v->kdata->reclaim.kswapd_pid < 0)
		vm_report(r, "reclaim: kswapd_pid %d", v->kdata->reclaim.kswapd_pid);
	if (v->kdata->reclaim.swappiness > 200)
		vm_report(r, "reclaim: swappiness %u, above vm.swappiness's 200",
			  v->kdata->reclaim.swappiness);
	return r->violations - before;
}

/*
 * The swap PTEs of all mms (sorted by entry) against the areas: each used
 * slot's count is the PTEs that hold its entry plus one when the swap
 * cache holds a page for it; a PTE names a used slot of an area in use.
 * Areas validate_swap cannot read are left to its report.
 */
static int cmp_swap_ref(const void *a, const void *b)
{
	const struct swap_ref *x = a, *y = b;

	if (x->val != y->val)
		return x->val < y->val ? -1 : 1;
	return x->pid != y->pid ? (x->pid < y->pid ? -1 : 1) : (x->va > y->va) - (x->va < y->va);
}

static void check_swap_counts(const struct vm_view *v, struct vm_report *r, struct swap_ref *refs,
			      uint32_t nr)
{
	const struct swap_state *ss = &v->kdata->swap;
	struct vmalloc_reader map_rd, cache_rd;
	uint32_t k = 0;
	unsigned type;

	if (nr)
		qsort(refs, nr, sizeof(*refs), cmp_swap_ref);
	vmalloc_reader_init(&map_rd, v);
	vmalloc_reader_init(&cache_rd, v);
	/* entries sort by type, then offset: one pass over both */
	for (type = 0; type < MAX_SWAPFILES; type++) {
		const struct swap_info_struct *si = &ss->areas[type];
		bool usable = (si->flags & SWP_USED) && !swap_area_bad(v, si);
		char path[SWAP_PATH_MAX];
		uint32_t off;

		area_path(si, path);
		if (!usable) {
			/* PTEs naming an area not in use; an unreadable one
			 * is validate_swap's to report */
			for (; k < nr && swp_type((swp_entry_t){ refs[k].val }) == type; k++)
				if (!(si->flags & SWP_USED))
					vm_report(r, "mm %#x (pid %d): va %08x: swap PTE names area %u, which is not in use",
						  refs[k].mm, refs[k].pid, refs[k].va, type);
			continue;
		}
		for (off = 0; off < si->max; off++) {
			const uint8_t *cp = vmalloc_at(&map_rd, si->swap_map + off, 1);
			uint32_t ptes = 0, first = k, cpfn;
			bool cache_ok = swap_cache_at(&cache_rd, si, off, &cpfn);
			unsigned n, want;
			bool odd;

			for (; k < nr && refs[k].val == swp_entry(type, off).val; k++)
				ptes++;
			if (!cp || !cache_ok) {
				/* validate_swap names the page; skip the rest */
				while (k < nr && swp_type((swp_entry_t){ refs[k].val }) == type)
					k++;
				break;
			}
			if (*cp == SWAP_MAP_BAD) {
				if (ptes)
					vm_report(r, "mm %#x (pid %d): va %08x: swap PTE names slot %u:%#x, which is %s%s",
						  refs[first].mm, refs[first].pid, refs[first].va, type, off,
						  off ? "marked bad" : "the header",
						  ptes > 1 ? " (and other PTEs too)" : "");
				continue;
			}
			n = slot_count(*cp, &odd);
			if (odd)
				continue;	/* validate_swap reports the byte */
			want = ptes + (cpfn != 0);
			if (n == want)
				continue;
			if (n == 0 && !ptes)
				continue;	/* a free slot with a cache page: validate_swap's */
			if (n == 0)
				vm_report(r, "mm %#x (pid %d): va %08x: swap PTE names slot %u:%#x, which is free%s",
					  refs[first].mm, refs[first].pid, refs[first].va, type, off,
					  ptes > 1 ? " (and other PTEs too)" : "");
			else
				vm_report(r, "swap %u (%s): slot %#x has count %u, but %u swap PTE%s and %s hold it",
					  type, path, off, n, ptes, ptes == 1 ? "" : "s",
					  cpfn ? "the swap cache" : "no swap-cache page");
		}
		/* offsets past max */
		for (; k < nr && swp_type((swp_entry_t){ refs[k].val }) == type; k++)
			vm_report(r, "mm %#x (pid %d): va %08x: swap PTE names slot %u:%#x, beyond the area's %u slots",
				  refs[k].mm, refs[k].pid, refs[k].va, type,
				  swp_offset((swp_entry_t){ refs[k].val }), si->max);
	}
	for (; k < nr; k++)
		vm_report(r, "mm %#x (pid %d): va %08x: swap PTE names area %u, beyond the %d areas",
			  refs[k].mm, refs[k].pid, refs[k].va, swp_type((swp_entry_t){ refs[k].val }),
			  MAX_SWAPFILES);
}

/* ---- the page cache -------------------------------------------------------- */

/*
 * validate_filemap: the files of filemap_state, each one's radix tree and
 * i_mmap list, and what only all of them together say: the pages in RAM
 * that name a file are in its tree, the counters are the sums of the
 * pages. What PTEs map (index against va, the cache's reference,
 * nr_mapped, VMAs on their file's list) is validate_mm's.
 *
 * A file's messages are capped (a tree of garbage has 64 slots a node to
 * complain about): past FILE_LINES_MAX the rest are counted, then
 * summed in one line.
 */
#define FILE_LINES_MAX	16

struct file_walk {
	const struct vm_view *v;
	struct vm_report *r;
	uint8_t *cached;		/* a bit per frame in some file's tree */
	const uint8_t *noted;		/* a bit per frame a reclaim note names */
	bool reclaiming;		/* kswapd at work: pages may be off the LRU */
	bool live;			/* a process may hold a file pinned */
	/* the file being walked */
	uint32_t as_pa;
	char path[VM_FILE_PATH_MAX];
	unsigned long lines;		/* its violations so far */
	bool broken;			/* its tree could not be read whole */
	uint64_t pages, dirty, writeback, nodes; /* leaves, of them tagged, nodes */
	uint64_t all_nodes;		/* nodes of every file */
	/* the sums over every file's pages, by their flags */
	uint64_t pg_dirty, pg_writeback, zone_pending[MAX_NR_ZONES];
};

/* Can a process still change the page cache: a task that lives, or the
 * flusher or kswapd? (Once vmrun stops the machine, none.) */
static bool machine_live(const struct vm_view *v)
{
	const struct task_table *tt = &v->kdata->tasks;
	unsigned i;

	if (__atomic_load_n(&v->kdata->filemap.flusher_pid, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&v->kdata->reclaim.kswapd_pid, __ATOMIC_RELAXED))
		return true;
	for (i = 0; i < VM_MAX_TASKS; i++) {
		uint32_t state = __atomic_load_n(&tt->task[i].state, __ATOMIC_RELAXED);

		if (state == TASK_NEW || state == TASK_RUNNING)
			return true;
	}
	return false;
}

static void file_report(struct file_walk *fw, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void file_report(struct file_walk *fw, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (fw->lines++ >= FILE_LINES_MAX) {
		fw->r->violations++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	vm_report(fw->r, "file %#x (%s): %s", fw->as_pa, fw->path, line);
}

static const char *const tag_names[RADIX_TREE_MAX_TAGS] = { "dirty", "writeback" };
static const unsigned tag_flags[RADIX_TREE_MAX_TAGS] = { PG_dirty, PG_writeback };

/* A leaf's slot: pfn cached at index, with the leaf's tags for it. */
static void check_cached_page(struct file_walk *fw, uint32_t pfn, uint32_t index, unsigned tags)
{
	const struct vm_view *v = fw->v;
	struct page page;
	unsigned t;

	if (pfn >= v->nr_pages) {
		file_report(fw, "index %#x: pfn %#x lies beyond RAM (%#x frames)", index, pfn, v->nr_pages);
		return;
	}
	if (bit_test_and_set(fw->cached, pfn)) {
		file_report(fw, "index %#x: pfn %#x is in the page cache twice", index, pfn);
		return;
	}
	fw->pages++;
	fw->dirty += tags >> PAGECACHE_TAG_DIRTY & 1;
	fw->writeback += tags >> PAGECACHE_TAG_WRITEBACK & 1;
	page = v->mem_map[pfn];
	if (page._refcount < 1 || (page.flags & LRU_NEVER)) {
		file_report(fw, "index %#x: pfn %#x is not an allocated page (flags %#x refcount %d)",
			    index, pfn, page.flags, page._refcount);
		return;
	}
	if (page.mapping != fw->as_pa || page.index != index)
		file_report(fw, "index %#x: pfn %#x has mapping %#x index %#x, expected %#x index %#x",
			    index, pfn, page.mapping, page.index, fw->as_pa, index);
	if (page.flags & (1u << PG_swapbacked | 1u << PG_swapcache))
		file_report(fw, "index %#x: pfn %#x carries %s, which no page-cache page does (flags %#x)",
			    index, pfn, page.flags & (1u << PG_swapcache) ? "PG_swapcache" : "PG_swapbacked",
			    page.flags);
	for (t = 0; t < RADIX_TREE_MAX_TAGS; t++) {
		bool flag = page.flags >> tag_flags[t] & 1, tag = tags >> t & 1;

		if (flag != tag)
			file_report(fw, "index %#x: pfn %#x has PG_%s %s, but its %s tag is %s", index,
				    pfn, tag_names[t], flag ? "set" : "clear", tag_names[t],
				    tag ? "set" : "clear");
	}
	if (page.flags & (1u << PG_dirty))
		fw->pg_dirty++;
	if (page.flags & (1u << PG_writeback))
		fw->pg_writeback++;
	if ((page.flags & (1u << PG_dirty | 1u << PG_writeback)) &&
	    page.flags >> ZONES_PGSHIFT < MAX_NR_ZONES)
		fw->zone_pending[page.flags >> ZONES_PGSHIFT]++;
	/* every cached page is on a file LRU list, or reclaim could never
	 * drop it: off it only while someone holds it locked, under
	 * writeback, or isolated by reclaim */
	if (!(page.flags & (1u << PG_lru)) &&
	    !(page.flags & (1u << PG_locked | 1u << PG_writeback)) && !fw->reclaiming &&
	    !(fw->noted[pfn >> 3] & (1u << (pfn & 7))))
		file_report(fw, "index %#x: pfn %#x is cached but on no LRU list (PG_lru clear)", index,
			    pfn);
}

/*
 * One node of a file's tree, where its parent says it is: at shift, in
 * slot offset of parent, covering indices from base. Each slot in use
 * is a pfn (leaf) or a child one level down; count is the slots in use;
 * a tag's bit is set exactly where the page, or some page below, has
 * the flag. An emptied node is freed, never left linked. Returns the
 * tags the node carries (what its parent's bits for it must say), or -1
 * when it could not be read (reported; the walk does not go below).
 * Recursion is bounded by the shift, which falls by 6 a level from at
 * most 30; a node linked twice is caught by its parent and offset.
 */
static int check_node(struct file_walk *fw, uint32_t pa, unsigned shift, uint32_t parent,
		      unsigned offset, uint64_t base)
{
	const struct vm_view *v = fw->v;
	const struct radix_tree_node *p = lowmem_obj(v, pa, sizeof(*p), 4);
	struct radix_tree_node n;
	unsigned slot, t, used = 0, carried = 0;

	if (!p) {
		if (parent)
			file_report(fw, "tree node at pa %#x (slot %u of %#x) lies outside lowmem or is misaligned",
				    pa, offset, parent);
		else
			file_report(fw, "its tree's top node at pa %#x lies outside lowmem or is misaligned",
				    pa);
		fw->broken = true;
		return -1;
	}
	n = *p;
	fw->nodes++;
	if (!in_cache(v, pa, sizeof(n), v->kdata->filemap.node_cache))
		file_report(fw, "tree node %#x is not an object of the radix_tree_node cache", pa);
	if (n.shift != shift || n.parent != parent || n.offset != offset) {
		file_report(fw, "tree node %#x: shift %u parent %#x offset %u, expected shift %u parent %#x offset %u",
			    pa, n.shift, n.parent, n.offset, shift, parent, offset);
		fw->broken = true;
		return -1;
	}
	for (slot = 0; slot < RADIX_TREE_MAP_SIZE; slot++) {
		uint32_t e = n.slots[slot];
		uint64_t index = base + ((uint64_t)slot << shift);
		unsigned tags = 0;
		int below;

		for (t = 0; t < RADIX_TREE_MAX_TAGS; t++)
			tags |= (unsigned)(n.tags[t] >> slot & 1) << t;
		carried |= tags;
		if (!e) {
			if (tags)
				file_report(fw, "tree node %#x: empty slot %u carries the %s tag", pa, slot,
					    tag_names[tags & 1 ? 0 : 1]);
			continue;
		}
		used++;
		if (index > UINT32_MAX) {
			file_report(fw, "tree node %#x: slot %u is in use at index %#llx, beyond 32 bits",
				    pa, slot, (unsigned long long)index);
			fw->broken = true;
			continue;
		}
		if (!shift) {
			check_cached_page(fw, e, (uint32_t)index, tags);
			continue;
		}
		below = check_node(fw, e, shift - RADIX_TREE_MAP_SHIFT, pa, slot, index);
		for (t = 0; below >= 0 && t < RADIX_TREE_MAX_TAGS; t++)
			if ((tags >> t & 1) != ((unsigned)below >> t & 1))
				file_report(fw, "tree node %#x: slot %u's %s tag is %s, but %s page below carries it",
					    pa, slot, tag_names[t], tags >> t & 1 ? "set" : "clear",
					    tags >> t & 1 ? "no" : "a");
	}
	if (used != n.count)
		file_report(fw, "tree node %#x: count %u, %u slots in use", pa, n.count, used);
	if (!used)
		file_report(fw, "tree node %#x: empty, yet still linked (an emptied node is freed)", pa);
	return (int)carried;
}

/* Wait, a bounded while, for a file's tree_lock to be free: on a live
 * machine a holder may be half way through a change to the tree. A lock
 * still held after that (a holder stopped, or dead) is read as it is. */
static void wait_tree_unlocked(const struct address_space *as)
{
	unsigned i;

	for (i = 0; i < 100000; i++) {
		uint32_t word = __atomic_load_n(&as->tree_lock.word, __ATOMIC_ACQUIRE);

		if (!(word & VM_LOCK_TID_MASK) || (word & VM_LOCK_OWNER_DIED))
			return;
		sched_yield();
	}
}

/* One file: its fields, its tree against its counts, its i_mmap list.
 * Leaves the file's nrpages in *nrpages. */
static void check_file(struct file_walk *fw, uint32_t pa, const uint32_t vma_cache,
		       uint32_t *nrpages)
{
	const struct vm_view *v = fw->v;
	const struct address_space *p = lowmem_obj(v, pa, sizeof(*p), 4);
	uint64_t bound = ((uint64_t)v->boot->max_low_pfn << PAGE_SHIFT) / sizeof(struct vm_area_struct);
	uint64_t n = 0, writable = 0;
	struct address_space as;
	struct cycle_mark cm;
	uint32_t vpa;

	*nrpages = 0;
	if (!p)
		return;		/* the list walk reported it */
	wait_tree_unlocked(p);
	memcpy(&as, p, sizeof(as));
	fw->as_pa = pa;
	memcpy(fw->path, as.path, sizeof(fw->path));
	fw->path[sizeof(fw->path) - 1] = '\0';
	fw->lines = 0;
	fw->broken = false;
	fw->pages = fw->dirty = fw->writeback = fw->nodes = 0;
	*nrpages = as.nrpages;

	if (!in_cache(v, pa, sizeof(as), v->kdata->filemap.as_cache))
		file_report(fw, "not an object of the address_space cache");
	if (!memchr(as.path, '\0', sizeof(as.path)))
		file_report(fw, "path not NUL-terminated");
	if (as.flags & ~(AS_EIO | AS_HOLDER_RDWR | AS_DELETED))
		file_report(fw, "flags %#x: unknown bits", as.flags);
	if (as.holder_pid < 0)
		file_report(fw, "holder_pid %d", as.holder_pid);
	if (as.nrdirty > as.nrpages || as.nrwriteback > as.nrpages)
		file_report(fw, "nrdirty %u, nrwriteback %u of its nrpages %u", as.nrdirty,
			    as.nrwriteback, as.nrpages);

	/* the tree: a top node of any height (shift a multiple of 6, the
	 * 32-bit index needing at most 30), parent 0 */
	if (as.rnode) {
		const struct radix_tree_node *top = lowmem_obj(v, as.rnode, sizeof(*top), 4);
		unsigned shift = top ? top->shift : 0;

		if (top && (shift % RADIX_TREE_MAP_SHIFT || shift > 30)) {
			file_report(fw, "tree node %#x at the top has shift %u (a multiple of 6, at most 30)",
				    as.rnode, shift);
			fw->broken = true;
		} else {
			check_node(fw, as.rnode, shift, 0, 0, 0);
		}
	}
	if (!fw->broken) {
		if (fw->pages != as.nrpages || fw->dirty != as.nrdirty ||
		    fw->writeback != as.nrwriteback)
			file_report(fw, "nrpages %u nrdirty %u nrwriteback %u, its tree holds %llu pages, %llu tagged dirty, %llu writeback",
				    as.nrpages, as.nrdirty, as.nrwriteback, (unsigned long long)fw->pages,
				    (unsigned long long)fw->dirty, (unsigned long long)fw->writeback);
	}

	/* i_mmap: the VMAs that map it, each naming it (whose mm holds
	 * them is validate_mm's to say) */
	cycle_init(&cm);
	for (vpa = as.i_mmap; vpa; n++) {
		const struct vm_area_struct *vp = lowmem_obj(v, vpa, sizeof(*vp), 4);
		struct vm_area_struct vma;

		if (!vp) {
			file_report(fw, "i_mmap list links to VMA %#x, outside lowmem or misaligned", vpa);
			break;
		}
		if (n >= bound || cycle_seen(&cm, vpa)) {
			file_report(fw, "i_mmap list goes round (VMA %#x met again after %llu)", vpa,
				    (unsigned long long)n);
			break;
		}
		vma = *vp;
		if (!in_cache(v, vpa, sizeof(vma), vma_cache))
			file_report(fw, "i_mmap list holds %#x, not an object of the vm_area_struct cache",
				    vpa);
		if (vma.vm_file != pa)
			file_report(fw, "i_mmap list holds VMA %#x (%08x-%08x of mm %#x), whose vm_file is %#x",
				    vpa, vma.vm_start, vma.vm_end, vma.vm_mm, vma.vm_file);
		/* Linux's i_mmap_writable: the shared mappings that may write */
		if ((vma.vm_flags & (VM_SHARED | VM_MAYWRITE)) == (VM_SHARED | VM_MAYWRITE))
			writable++;
		vpa = vma.shared_next;
	}
	/* i_mmap_count is the VMAs on the list plus the pins of those at
	 * work on the file (an mmap on its way, writeback): more only while
	 * a process lives to hold one */
	if (!vpa && (n > as.i_mmap_count || (n < as.i_mmap_count && !fw->live)))
		file_report(fw, "i_mmap_count %u, its i_mmap list holds %llu VMA%s%s", as.i_mmap_count,
			    (unsigned long long)n, n == 1 ? "" : "s",
			    n < as.i_mmap_count ? ", and no process is left to hold a pin" : "");
	if (!vpa && writable != as.i_mmap_writable)
		file_report(fw, "i_mmap_writable %u, its i_mmap list holds %llu shared writable VMA%s",
			    as.i_mmap_writable, (unsigned long long)writable, writable == 1 ? "" : "s");
	if (fw->lines > FILE_LINES_MAX)
		vm_report(fw->r, "file %#x (%s): %lu more violations not shown", pa, fw->path,
			  fw->lines - FILE_LINES_MAX);
}

unsigned long validate_filemap(const struct vm_view *v, struct vm_report *r)
{
	const struct filemap_state *fs = &v->kdata->filemap;
	const struct pglist_data *pgdat = &v->kdata->pgdat;
	uint64_t bound = ((uint64_t)v->boot->max_low_pfn << PAGE_SHIFT) / sizeof(struct address_space);
	unsigned long before = r->violations;
	struct file_walk fw = { .v = v, .r = r };
	struct vm_report quiet = { 0 };
	uint32_t *files = NULL, nr = 0, cap = 0, pa, i, zi, pfn;
	uint64_t nrpages = 0;
	struct cycle_mark cm;
	bool whole = true, trees_whole = true;
	uint8_t *noted;

	if (fs->flusher_state > 1)
		vm_report(r, "filemap: flusher_state %u (0 asleep, 1 writing)", fs->flusher_state);
	if (fs->flusher_pid < 0)
		vm_report(r, "filemap: flusher_pid %d", fs->flusher_pid);

	/* the list of files, into an array first: each file is walked
	 * once, whatever the list does */
	cycle_init(&cm);
	for (pa = __atomic_load_n(&fs->files, __ATOMIC_RELAXED); pa; ) {
		const struct address_space *as = lowmem_obj(v, pa, sizeof(*as), 4);

		if (!as) {
			vm_report(r, "filemap: the list of files links to pa %#x, outside lowmem or misaligned",
				  pa);
			whole = false;
			break;
		}
		if (nr >= bound || cycle_seen(&cm, pa)) {
			vm_report(r, "filemap: the list of files goes round (address_space %#x met again after %u)",
				  pa, nr);
			whole = false;
			break;
		}
		if (nr == cap) {
			uint32_t ncap = cap ? 2 * cap : 64, *nf = realloc(files, ncap * sizeof(*nf));

			if (!nf) {
				vm_report(r, "check: out of memory for %u files", ncap);
				free(files);
				return r->violations - before;
			}
			files = nf;
			cap = ncap;
		}
		files[nr++] = pa;
		pa = __atomic_load_n(&as->next, __ATOMIC_RELAXED);
	}
	if (whole && nr != fs->nr_files)
		vm_report(r, "filemap: nr_files %u, the list holds %u files", fs->nr_files, nr);
	/* a cycle's walk may hold a file twice before it is caught */
	if (nr)
		qsort(files, nr, sizeof(*files), cmp_u32);
	for (i = 1; i < nr; i++)
		if (files[i] == files[i - 1]) {
			memmove(&files[i], &files[i + 1], (nr - i - 1) * sizeof(*files));
			nr--;
			i--;
		}

	fw.cached = calloc(((uint64_t)v->nr_pages + 7) / 8, 1);
	noted = calloc(((uint64_t)v->nr_pages + 7) / 8, 1);
	if (!fw.cached || !noted) {
		vm_report(r, "filemap: check: out of memory for %u frames", v->nr_pages);
		goto out;
	}
	check_reclaim_notes(v, &quiet, noted);
	fw.noted = noted;
	fw.live = machine_live(v);
	fw.reclaiming = __atomic_load_n(&v->kdata->reclaim.kswapd_state, __ATOMIC_RELAXED) != 0;
	for (i = 0; i < nr; i++) {
		uint32_t n;

		check_file(&fw, files[i], v->kdata->tasks.vma_cache, &n);
		nrpages += n;
		fw.all_nodes += fw.nodes;
		trees_whole = trees_whole && !fw.broken;
	}
	/* a list that breaks leaves files unread: no sums then */
	if (!whole)
		goto out;
	if ((int64_t)nrpages != pgdat->vm_stat[NR_FILE_PAGES])
		vm_report(r, "node: %s %lld, the files' nrpages add up to %llu",
			  node_stat_names[NR_FILE_PAGES], (long long)pgdat->vm_stat[NR_FILE_PAGES],
			  (unsigned long long)nrpages);
	/* a file is made, then held by the flusher, then listed */
	check_cache_count(v, r, fs->as_cache, "address_space", nr, fw.live ? VM_MAX_TASKS + 1 : 0);
	if (!trees_whole)
		goto out;
	check_cache_count(v, r, fs->node_cache, "radix_tree_node", fw.all_nodes, 0);

	/* what only every tree read whole can say */
	if ((int64_t)fw.pg_dirty != pgdat->vm_stat[NR_FILE_DIRTY])
		vm_report(r, "node: %s %lld, %llu page-cache pages have PG_dirty",
			  node_stat_names[NR_FILE_DIRTY], (long long)pgdat->vm_stat[NR_FILE_DIRTY],
			  (unsigned long long)fw.pg_dirty);
	if ((int64_t)fw.pg_writeback != pgdat->vm_stat[NR_WRITEBACK])
		vm_report(r, "node: %s %lld, %llu page-cache pages have PG_writeback",
			  node_stat_names[NR_WRITEBACK], (long long)pgdat->vm_stat[NR_WRITEBACK],
			  (unsigned long long)fw.pg_writeback);
	/* Linux's nr_zone_write_pending: dirty or under writeback */
	for (zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct zone *z = &pgdat->node_zones[zi];

		if ((int64_t)fw.zone_pending[zi] != z->vm_stat[NR_ZONE_WRITE_PENDING])
			vm_report(r, "zone %s: %s %lld, %llu page-cache pages of the zone are dirty or under writeback",
				  zone_names[zi], zone_stat_names[NR_ZONE_WRITE_PENDING],
				  (long long)z->vm_stat[NR_ZONE_WRITE_PENDING],
				  (unsigned long long)fw.zone_pending[zi]);
	}
	/* The other way round: a page that names a file is in its tree,
	 * unless it is locked on its way in or out. A mapping that is an
	 * address_space on no list is a page of a file already freed. */
	for (pfn = 0; pfn < v->nr_pages; pfn++) {
		const struct page *page = &v->mem_map[pfn];
		uint32_t m = page->mapping, flags = page->flags;
		bool listed;

		if (!m || (m & PAGE_MAPPING_ANON) || page->_refcount < 1 ||
		    (flags & (LRU_NEVER | 1u << PG_head | 1u << PG_locked)) ||
		    (fw.cached[pfn >> 3] & (1u << (pfn & 7))))
			continue;
		listed = nr && bsearch(&m, files, nr, sizeof(*files), cmp_u32);
		if (listed)
			vm_report(r, "pfn %#x: mapping names file %#x (index %#x), whose tree does not hold it",
				  pfn, m, page->index);
		else if (in_cache(v, m, sizeof(struct address_space), fs->as_cache))
			vm_report(r, "pfn %#x: mapping names address_space %#x (index %#x), which is on no list of files",
				  pfn, m, page->index);
	}
out:
	free(fw.cached);
	free(noted);
	free(files);
	return r->violations - before;
}

unsigned long validate_machine(const struct vm_view *v, struct vm_report *r)
{
	unsigned long before = r->violations;

	validate_boot(v, r);
	validate_zones(v, r);
	validate_slab(v, r);
	validate_vmalloc(v, r);
	validate_swap(v, r);
	validate_filemap(v, r);
	validate_mm(v, r);
	return r->violations - before;
}
