/* ram.h - the layout of a machine's RAM file, shared by libvm, vmrun, vmdump
 * and the tests. Everything here lies in RAM at a physical address; links are
 * physical addresses or pfns, never host pointers, so a reader may map the
 * file anywhere. Change a layout and you must bump VM_LAYOUT_VERSION.
 *
 *   pfn 0          boot block (struct vm_boot_block)
 *   pfn 1..        memblock reservations: mem_map, kernel data, log, swapper_pg_dir
 *   the rest       handed to the buddy allocator at boot
 */
#ifndef VM_RAM_H
#define VM_RAM_H

#include <stdint.h>
#include <vm/lock.h>

#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)
#define PAGE_MASK		(~(PAGE_SIZE - 1))

/* The guest's 3G/1G split (DESIGN §2). */
#define PAGE_OFFSET		0xC0000000UL
#define TASK_SIZE		PAGE_OFFSET
#define MAX_DMA_ADDRESS		(16UL << 20)	/* ZONE_DMA: the first 16 MiB */
#define MAXMEM			(896UL << 20)	/* lowmem: the direct map ends here */
#define VMALLOC_OFFSET		(8UL << 20)	/* the gap that catches overruns */

/* Top of the kernel half: pkmap then fixmap, as i386 lays them out. */
#define FIXADDR_TOP		0xFFFFF000UL
#define KM_MAX_IDX		16		/* nested kmap_atomic per process */
#define FIX_KMAP_BEGIN		1
#define FIX_KMAP_END		(FIX_KMAP_BEGIN + KM_MAX_IDX - 1)
#define __end_of_fixed_addresses (FIX_KMAP_END + 1)
#define FIXADDR_SIZE		((unsigned long)__end_of_fixed_addresses << PAGE_SHIFT)
#define FIXADDR_START		(FIXADDR_TOP - FIXADDR_SIZE)
#define fix_to_virt(idx)	(FIXADDR_TOP - ((unsigned long)(idx) << PAGE_SHIFT))
#define PKMAP_BASE		0xFF800000UL	/* one page table's worth below the fixmap */
#define LAST_PKMAP_I386		1024
#define LAST_PKMAP_PAE		512
#define VMALLOC_END		(PKMAP_BASE - 2 * PAGE_SIZE)

#define MAX_ORDER		11		/* orders 0..10, as Linux before 6.4 */
#define MAX_ORDER_NR_PAGES	(1U << (MAX_ORDER - 1))

#define VM_MIN_RAM		(16ULL << 20)
#define VM_MAX_RAM_I386		(4ULL << 30)
#define VM_MAX_RAM_PAE		(64ULL << 30)
#define VM_DEFAULT_RAM		(64ULL << 20)

#define VM_NR_CPUS		32	/* per-CPU arrays; boot records how many are used */

enum vm_paging_mode {
	VM_MODE_I386 = 1,	/* 2 levels, 32-bit entries, PMD folded */
	VM_MODE_PAE  = 2,	/* 3 levels, 64-bit entries, NX at bit 63 */
};

#define VM_BOOT_MAGIC		"LIBVMRAM"
#define VM_LAYOUT_VERSION	6

/* A memblock.reserved region as it stood when boot handed RAM to the buddy
 * allocator: vmdump shows them, check counts them. */
struct memblock_region {
	uint32_t base_pfn;		/* first frame */
	uint32_t nr_pages;		/* length in frames */
	char     name[24];		/* what it holds */
};
#define VM_MEMBLOCK_MAX		16

/* Boot block, frame 0. Written once at boot except the fields marked live. */
struct vm_boot_block {
	char     magic[8];		/* VM_BOOT_MAGIC, not NUL-terminated */
	uint32_t version;		/* VM_LAYOUT_VERSION */
	uint32_t page_size;		/* PAGE_SIZE */
	uint64_t ram_bytes;		/* file size: nr_pages * PAGE_SIZE */
	uint32_t nr_pages;		/* max_pfn: frames in RAM */
	uint32_t mode;			/* enum vm_paging_mode */
	uint64_t user_host_base;	/* host address of guest va 0 */
	uint64_t kernel_host_base;	/* host address of PAGE_OFFSET (pa 0) */
	uint32_t max_low_pfn;		/* first frame not in the direct map */
	uint32_t nr_cpus;		/* per-CPU slots in use (<= VM_NR_CPUS) */
	uint32_t mem_map_pfn;		/* struct page[nr_pages] starts here */
	uint32_t mem_map_pages;		/* frames it takes */
	uint32_t kdata_pa;		/* struct vm_kernel_data */
	uint32_t kdata_size;		/* bytes */
	uint32_t log_pa;		/* the kernel log ring, struct vm_log */
	uint32_t log_size;		/* bytes, header included */
	uint32_t swapper_pg_dir;	/* pa of the kernel page directory */
	uint32_t vmalloc_start;		/* guest va of VMALLOC_START */
	uint32_t vmalloc_end;		/* guest va of VMALLOC_END */
	uint32_t reserved_pages;	/* sum of memblock regions */
	uint32_t nr_memblock;		/* regions used below */
	uint32_t struct_page_size;	/* sizeof(struct page), checked by readers */
	struct memblock_region memblock[VM_MEMBLOCK_MAX];
	uint64_t boot_ns;		/* CLOCK_REALTIME at boot */
	uint64_t boot_cost_ns;		/* how long boot took */
	uint32_t min_free_kbytes;	/* the watermark source, as the sysctl */
	uint32_t panicked;		/* live: nonzero once the machine panicked */
	char     name[32];		/* --name, or "" */
	uint32_t folio_order;		/* anonymous faults map 2^order frames at once (0: one) */
	uint32_t tlb_entries;		/* host mappings a guest keeps before evicting */
	uint32_t zero_pfn;		/* the shared zero frame (ZERO_PAGE), a memblock region */
};

#define VM_BOOT_BLOCK_SIZE	PAGE_SIZE
_Static_assert(sizeof(struct vm_boot_block) <= PAGE_SIZE, "boot block fits frame 0");

/* The kernel log: a ring of text in RAM under its own lock. head counts
 * every byte ever written; the ring holds the last (size) of them. */
struct vm_log {
	struct vm_lock lock;		/* guards head and the text */
	uint64_t head;			/* bytes written since boot */
	uint32_t size;			/* bytes in text[] */
	uint32_t seq;			/* lines written since boot */
	char     text[];		/* the ring */
};
#define VM_LOG_BYTES		(64 * 1024)

#endif /* VM_RAM_H */
