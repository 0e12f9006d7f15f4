/* vmstat.c - the counters behind /proc/vmstat, zoneinfo and meminfo, and
 * the names they print under. Zone and node counters are exact (atomic
 * adds); events are counted per host CPU and summed by readers.
 */
#include "internal.h"

const char *const zone_names[MAX_NR_ZONES] = { "DMA", "Normal", "HighMem" };

const char *const zone_stat_names[NR_VM_ZONE_STAT_ITEMS] = {
	"nr_free_pages", "nr_zone_inactive_anon", "nr_zone_active_anon",
	"nr_zone_inactive_file", "nr_zone_active_file", "nr_zone_unevictable",
	"nr_zone_write_pending", "nr_mlock", "nr_bounce",
};

const char *const node_stat_names[NR_VM_NODE_STAT_ITEMS] = {
	"nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file",
	"nr_unevictable", "nr_slab_reclaimable", "nr_slab_unreclaimable",
	"nr_anon_pages", "nr_mapped", "nr_file_pages", "nr_dirty", "nr_writeback",
	"nr_shmem", "nr_kernel_stack", "nr_page_table_pages", "nr_swapcached",
	"nr_vmalloc", "nr_dirtied", "nr_written",
};

const char *const vm_event_names[NR_VM_EVENT_ITEMS] = {
	"pgalloc_dma", "pgalloc_normal", "pgalloc_high", "pgfree", "pgfault",
	"pgmajfault", "pswpin", "pswpout", "pgpgin", "pgpgout", "pgscan_kswapd", "pgscan_direct",
	"pgsteal_kswapd", "pgsteal_direct", "allocstall", "oom_kill",
	"pcp_refill", "pcp_drain", "alloc_fail",
};

const char *const pageflag_names[NR_PAGEFLAGS] = {
	"locked", "referenced", "uptodate", "dirty", "lru", "active",
	"workingset", "slab", "reserved", "private", "writeback", "head",
	"tail", "swapcache", "swapbacked", "reclaim", "mlocked", "highmem",
	"buddy", "pcp", "pgtable",
};

void count_vm_events(enum vm_event_item item, long delta)
{
	__atomic_fetch_add(&vm_kdata->events[host_cpu()].event[item],
			   (uint64_t)delta, __ATOMIC_RELAXED);
}

void count_vm_event(enum vm_event_item item)
{
	count_vm_events(item, 1);
}

void mod_zone_page_state(struct zone *z, enum zone_stat_item item, long delta)
{
	__atomic_fetch_add(&z->vm_stat[item], delta, __ATOMIC_RELAXED);
}

void mod_node_page_state(enum node_stat_item item, long delta)
{
	__atomic_fetch_add(&NODE_DATA()->vm_stat[item], delta, __ATOMIC_RELAXED);
}

unsigned long zone_page_state(const struct zone *z, enum zone_stat_item item)
{
	long v = __atomic_load_n(&z->vm_stat[item], __ATOMIC_RELAXED);
	return v < 0 ? 0 : (unsigned long)v;
}

unsigned long global_node_page_state(enum node_stat_item item)
{
	long v = __atomic_load_n(&NODE_DATA()->vm_stat[item], __ATOMIC_RELAXED);
	return v < 0 ? 0 : (unsigned long)v;
}

void vm_sum_events(const struct vm_view *v, uint64_t *out)
{
	static const enum vm_event_item pgalloc[MAX_NR_ZONES] = {
		PGALLOC_DMA, PGALLOC_NORMAL, PGALLOC_HIGH
	};
	unsigned cpu, i, z;

	for (i = 0; i < NR_VM_EVENT_ITEMS; i++)
		out[i] = 0;
	for (cpu = 0; cpu < VM_NR_CPUS; cpu++) {
		for (i = 0; i < NR_VM_EVENT_ITEMS; i++)
			out[i] += v->kdata->events[cpu].event[i];
		for (z = 0; z < MAX_NR_ZONES; z++) {
			const struct per_cpu_pages *pcp = &v->kdata->pgdat.node_zones[z].pcp[cpu];
			out[pgalloc[z]] += pcp->pgalloc;
			out[PGFREE] += pcp->pgfree;
		}
	}
}
