/* mmzone.h - zones, free areas, per-CPU lists and the counters, as they lie
 * in RAM inside struct vm_kernel_data (one node: contig_page_data).
 *
 * Locks: zone->lock guards free_area[] and the zone's NR_FREE_PAGES;
 * pcp->lock guards one per-CPU list. Counters are updated with atomic adds
 * and read without locks.
 */
#ifndef VM_MMZONE_H
#define VM_MMZONE_H

#include <stdint.h>
#include <vm/ram.h>
#include <vm/page.h>
#include <vm/lock.h>
#include <vm/slab.h>
#include <vm/vmalloc.h>
#include <vm/swap.h>
#include <vm/mm.h>
#include <vm/fs.h>

enum zone_type {
	ZONE_DMA,		/* the first 16 MiB, for __GFP_DMA */
	ZONE_NORMAL,		/* to 896 MiB: directly mapped */
	ZONE_HIGHMEM,		/* above: only through kmap */
	MAX_NR_ZONES
};

enum zone_watermarks {
	WMARK_MIN,
	WMARK_LOW,
	WMARK_HIGH,
	NR_WMARK
};

/* The LRU lists of a zone (Linux's enum lru_list, without unevictable). */
enum lru_list {
	LRU_INACTIVE_ANON,
	LRU_ACTIVE_ANON,
	LRU_INACTIVE_FILE,
	LRU_ACTIVE_FILE,
	NR_LRU_LISTS
};

/* Per-zone counters, as /proc/zoneinfo and /proc/vmstat name them. */
enum zone_stat_item {
	NR_FREE_PAGES,
	NR_ZONE_INACTIVE_ANON,
	NR_ZONE_ACTIVE_ANON,
	NR_ZONE_INACTIVE_FILE,
	NR_ZONE_ACTIVE_FILE,
	NR_ZONE_UNEVICTABLE,
	NR_ZONE_WRITE_PENDING,
	NR_MLOCK,
	NR_BOUNCE,
	NR_VM_ZONE_STAT_ITEMS
};

/* Per-node counters (one node). */
enum node_stat_item {
	NR_INACTIVE_ANON,
	NR_ACTIVE_ANON,
	NR_INACTIVE_FILE,
	NR_ACTIVE_FILE,
	NR_UNEVICTABLE,
	NR_SLAB_RECLAIMABLE,
	NR_SLAB_UNRECLAIMABLE,
	NR_ANON_MAPPED,
	NR_FILE_MAPPED,
	NR_FILE_PAGES,
	NR_FILE_DIRTY,
	NR_WRITEBACK,
	NR_SHMEM,
	NR_KERNEL_STACK,
	NR_PAGETABLE,
	NR_SWAPCACHE,
	NR_VMALLOC,		/* frames behind vmalloc areas (meminfo VmallocUsed) */
	NR_DIRTIED,		/* file pages that became dirty, ever */
	NR_WRITTEN,		/* file pages written back, ever */
	NR_VM_NODE_STAT_ITEMS
};

/* Events, counted per CPU and summed when read (/proc/vmstat). */
enum vm_event_item {
	PGALLOC_DMA,
	PGALLOC_NORMAL,
	PGALLOC_HIGH,
	PGFREE,
	PGFAULT,
	PGMAJFAULT,
	PSWPIN,
	PSWPOUT,
	PGPGIN,			/* KiB read from mapped files */
	PGPGOUT,		/* KiB written to them */
	PGSCAN_KSWAPD,
	PGSCAN_DIRECT,
	PGSTEAL_KSWAPD,
	PGSTEAL_DIRECT,
	ALLOCSTALL,
	OOM_KILL,
	PCP_REFILL,		/* batches moved buddy -> per-CPU list */
	PCP_DRAIN,		/* batches moved per-CPU list -> buddy */
	ALLOC_FAIL,		/* allocations refused (watermark or empty) */
	NR_VM_EVENT_ITEMS
};

extern const char *const zone_names[MAX_NR_ZONES];
extern const char *const zone_stat_names[NR_VM_ZONE_STAT_ITEMS];
extern const char *const node_stat_names[NR_VM_NODE_STAT_ITEMS];
extern const char *const vm_event_names[NR_VM_EVENT_ITEMS];

struct free_area {
	struct pfn_list free_list;	/* blocks of this order, by first pfn */
	uint64_t nr_free;		/* blocks on free_list */
};

/* Order-0 frames cached per host CPU, so the common allocation takes an
 * uncontended lock instead of zone->lock. */
struct per_cpu_pages {
	struct vm_lock lock;		/* guards everything below */
	int32_t  count;			/* frames on list */
	int32_t  high;			/* drain a batch beyond this */
	int32_t  batch;			/* frames moved at once */
	int32_t  _pad;
	struct pfn_list list;		/* the frames, hot end first */
	uint64_t pgalloc;		/* order-0 frames handed out here (an event) */
	uint64_t pgfree;		/* order-0 frames freed here (an event) */
	uint8_t  _align[16];		/* one cache line per CPU */
};
_Static_assert(sizeof(struct per_cpu_pages) == 64, "RAM layout: pcp is a cache line");

struct zone {
	char     name[8];		/* "DMA", "Normal", "HighMem" */
	uint32_t zone_start_pfn;	/* first frame spanned */
	uint32_t spanned_pages;		/* frames from start to end, holes included */
	uint32_t present_pages;		/* frames that exist */
	uint32_t managed_pages;		/* frames given to the buddy allocator */
	uint32_t _watermark[NR_WMARK];	/* min, low, high, in frames */
	uint32_t lowmem_reserve[MAX_NR_ZONES]; /* kept back from allocations that could use a higher zone */
	struct vm_lock lock;		/* guards free_area[] and NR_FREE_PAGES */
	/* The block a free-list change is moving, under lock: its first
	 * pfn + 1 (0: none) and order. A holder killed in the middle leaves
	 * it here, and the repair makes it free whole (zone_repair_locked). */
	uint32_t transit_pfn;
	uint32_t transit_order;
	struct free_area free_area[MAX_ORDER];
	/* The LRU lists of the zone's pages (vmscan.c), Linux's lruvec: a
	 * page is on one of them when PG_lru is set, an anonymous one when
	 * PG_swapbacked is, the active one when PG_active is. New pages go
	 * to the head; reclaim takes from the tail. Under lru_lock, with
	 * NR_ZONE_*_ANON and NR_ZONE_*_FILE. */
	struct vm_lock lru_lock;
	struct pfn_list lru[NR_LRU_LISTS];
	int64_t  vm_stat[NR_VM_ZONE_STAT_ITEMS];
	struct per_cpu_pages pcp[VM_NR_CPUS] __attribute__((aligned(64)));
};

/* Counters of one CPU, summed by readers. Order-0 allocations and frees
 * are counted in the per-CPU lists instead (pgalloc, pgfree), under the
 * lock already held: vm_sum_events adds both. */
struct vm_event_state {
	uint64_t event[NR_VM_EVENT_ITEMS];
} __attribute__((aligned(64)));

/* The single node. Zonelists are implied: a zone falls back to the zones
 * below it, highest first (HighMem -> Normal -> DMA). */
struct pglist_data {
	struct zone node_zones[MAX_NR_ZONES];
	uint32_t nr_zones;		/* zones up to the highest populated one */
	uint32_t node_start_pfn;
	uint32_t node_present_pages;
	uint32_t node_spanned_pages;
	uint32_t totalreserve_pages;	/* high watermark + reserves, summed */
	uint32_t _pad;
	int64_t  vm_stat[NR_VM_NODE_STAT_ITEMS];
};

/* The pages a guest's process holds for reclaim, swap-in or the page
 * cache, so that its death (SIGKILL, anywhere) gives them back: taken off
 * the LRU (RNOTE_ISOLATED, with a reference), page-locked (RNOTE_LOCKED),
 * or only referenced (RNOTE_REF: a lookup's or an allocation's), by pfn,
 * 0 for an empty entry. Written only by the task's own process. */
#define RECLAIM_NOTE_PAGES	96
#define RNOTE_ISOLATED		0x80000000u
#define RNOTE_LOCKED		0x40000000u
#define RNOTE_REF		0x20000000u
#define RNOTE_PFN		0x1fffffffu
#define RNOTE_FLAGS		(RNOTE_ISOLATED | RNOTE_LOCKED | RNOTE_REF)
struct reclaim_note {
	uint32_t page[RECLAIM_NOTE_PAGES];
};

/* Reclaim (vmscan.c, oom_kill.c). kswapd is a host process of its own
 * (vmrun starts it): it sleeps on kswapd_wait and an allocation that finds
 * a zone below its low watermark bumps the word and wakes it. */
struct reclaim_state {
	uint32_t kswapd_wait;		/* futex: bumped by wakeup_kswapd */
	int32_t  kswapd_pid;		/* its host pid, 0 when none runs */
	uint32_t kswapd_state;		/* 0 asleep, 1 reclaiming */
	uint32_t swappiness;		/* vm.swappiness (kept for the views) */
	uint32_t page_cluster;		/* vm.page-cluster: readahead of 2^n slots */
	uint32_t oom_victim;		/* guest pid being killed by the OOM killer, 0 none */
	uint32_t lru_node_recount;	/* an LRU repair left the node's counts to recount */
	uint32_t _pad;
	uint64_t kswapd_runs;		/* times kswapd woke and reclaimed */
	uint64_t oom_kills;		/* victims so far */
	struct reclaim_note note[VM_MAX_TASKS];	/* by task slot */
};

/* Everything the kernel keeps in its reserved data area. */
struct vm_kernel_data {
	struct pglist_data pgdat;	/* contig_page_data */
	struct vm_event_state events[VM_NR_CPUS];
	struct slab_state slab;		/* slab_caches, kmalloc caches */
	struct vmap_state vmap;		/* vmalloc's areas */
	struct task_table tasks;	/* guests and their address spaces */
	struct swap_state swap;		/* swap areas and their slots */
	struct reclaim_state reclaim;	/* kswapd and the OOM killer */
	struct filemap_state filemap;	/* the page cache's files, the flusher */
};

#endif /* VM_MMZONE_H */
