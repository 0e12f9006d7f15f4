/* kernel.h - the emulated kernel's interface for the programs built on it:
 * vmrun, the tests and the benchmarks. Booting or attaching maps the
 * machine's kernel half into this process at the machine's
 * KERNEL_HOST_BASE; from then on a kernel virtual address is a host pointer
 * in that window, and __pa/__va convert as Linux's do on i386.
 */
#ifndef VM_KERNEL_H
#define VM_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <vm/ram.h>
#include <vm/page.h>
#include <vm/gfp.h>
#include <vm/mmzone.h>
#include <vm/slab.h>
#include <vm/vmalloc.h>
#include <vm/view.h>
#include <vm/mm.h>

/* ---- the machine ------------------------------------------------------ */

struct vm_boot_opts {
	uint64_t ram_bytes;		/* 0: VM_DEFAULT_RAM */
	int      mode;			/* 0: VM_MODE_I386 */
	const char *path;		/* RAM file; NULL: /dev/shm/vm-NAME.ram or a fresh name */
	const char *name;		/* machine name, or NULL */
	bool     no_prefault;		/* skip allocating the file's host pages at boot */
	unsigned min_free_kbytes;	/* 0: derived as Linux derives it */
	unsigned nr_cpus;		/* 0: the host's CPUs (at most VM_NR_CPUS) */
	int      folio_order;		/* anonymous fault size: 0 default (16 pages), < 0 one page */
	unsigned tlb_entries;		/* host mappings per guest: 0 default (VM_TLB_DEFAULT) */
};

#define VM_FOLIO_ORDER_DEFAULT	4	/* 16 pages, 64 KiB */
#define VM_FOLIO_ORDER_MAX	9	/* 512 pages: one i386 page table's half */
#define VM_TLB_DEFAULT		8192
#define VM_TLB_MIN		16
#define VM_TLB_MAX		30000	/* two host mappings an entry at worst, under max_map_count */

/* Create and format a RAM file, attach to it. 0, or -errno with a message
 * for vm_strerror(). */
int vm_boot(const struct vm_boot_opts *opts);
/* Attach to a booted machine's RAM file. */
int vm_attach(const char *path);
/* Unmap the machine from this process; the file stays. */
void vm_detach(void);
/* Detach and remove the RAM file. */
void vm_destroy(void);
/* Why the last vm_boot/vm_attach failed. */
const char *vm_strerror(void);
/* The supervisor, having seen host process tid die (and before reaping
 * it), marks every lock it held so the next owner repairs at once. Returns
 * how many it marked. */
unsigned vm_lock_mark_dead_owner(pid_t tid);
/* Path of the attached machine's RAM file. */
const char *vm_ram_path(void);
/* Parse "64M", "4G", "16384K", "65536" into bytes; -1 on bad input. */
int64_t vm_parse_size(const char *s);

extern struct vm_boot_block *vm_boot_block;	/* frame 0, in the direct map */
extern struct page *mem_map;			/* struct page[nr_pages] */
extern struct vm_kernel_data *vm_kdata;		/* zones, counters, slab, vmalloc */
extern uintptr_t vm_kernel_base;		/* host address of PAGE_OFFSET */

#define NODE_DATA()		(&vm_kdata->pgdat)
extern unsigned long max_pfn;			/* frames in RAM */
extern unsigned long max_low_pfn;		/* first frame above the direct map */

/* ---- addresses -------------------------------------------------------- */

#define __pa(x)		((uint64_t)((uintptr_t)(x) - vm_kernel_base))
#define __va(pa)	((void *)(vm_kernel_base + (uintptr_t)(pa)))
/* Kernel virtual address (guest view, 0xC0000000..) <-> host pointer. */
#define kva_to_host(kva) ((void *)(vm_kernel_base + ((uintptr_t)(kva) - PAGE_OFFSET)))
#define host_to_kva(p)	 ((uint32_t)((uintptr_t)(p) - vm_kernel_base + PAGE_OFFSET))

static inline unsigned long page_to_pfn(const struct page *page)
{
	return (unsigned long)(page - mem_map);
}
static inline struct page *pfn_to_page(unsigned long pfn)
{
	return mem_map + pfn;
}
static inline bool pfn_valid(unsigned long pfn)
{
	return pfn < max_pfn;
}
static inline enum zone_type page_zonenum(const struct page *page)
{
	return (enum zone_type)(page->flags >> ZONES_PGSHIFT);
}
static inline struct zone *page_zone(const struct page *page)
{
	return &NODE_DATA()->node_zones[page_zonenum(page)];
}
static inline bool PageHighMem(const struct page *page)
{
	return page_to_pfn(page) >= max_low_pfn;
}
/* Host pointer to a lowmem frame's contents; NULL for HighMem (use kmap). */
static inline void *page_address(const struct page *page)
{
	if (PageHighMem(page))
		return NULL;
	return __va((uint64_t)page_to_pfn(page) << PAGE_SHIFT);
}
static inline struct page *virt_to_page(const void *addr)
{
	return pfn_to_page(__pa(addr) >> PAGE_SHIFT);
}

#define TESTPAGEFLAG(uname, lname)					\
static inline bool Page##uname(const struct page *page)			\
{ return __atomic_load_n(&page->flags, __ATOMIC_RELAXED) & (1u << PG_##lname); } \
static inline void SetPage##uname(struct page *page)			\
{ __atomic_fetch_or(&page->flags, 1u << PG_##lname, __ATOMIC_RELAXED); } \
static inline void ClearPage##uname(struct page *page)			\
{ __atomic_fetch_and(&page->flags, ~(1u << PG_##lname), __ATOMIC_RELAXED); }
TESTPAGEFLAG(Locked, locked)
TESTPAGEFLAG(Referenced, referenced)
TESTPAGEFLAG(Uptodate, uptodate)
TESTPAGEFLAG(Dirty, dirty)
TESTPAGEFLAG(LRU, lru)
TESTPAGEFLAG(Active, active)
TESTPAGEFLAG(Slab, slab)
TESTPAGEFLAG(Reserved, reserved)
TESTPAGEFLAG(Head, head)
TESTPAGEFLAG(Tail, tail)
TESTPAGEFLAG(SwapCache, swapcache)
TESTPAGEFLAG(Buddy, buddy)
TESTPAGEFLAG(Pcp, pcp)
TESTPAGEFLAG(Pgtable, pgtable)
#undef TESTPAGEFLAG

static inline int page_ref_count(const struct page *page)
{
	return __atomic_load_n(&page->_refcount, __ATOMIC_RELAXED);
}
static inline void get_page(struct page *page)
{
	__atomic_fetch_add(&page->_refcount, 1, __ATOMIC_RELAXED);
}
static inline struct page *compound_head(struct page *page)
{
	return PageTail(page) ? pfn_to_page(page->index) : page;
}
static inline unsigned compound_order(const struct page *page)
{
	return PageHead(page) ? page->private : 0;
}

/* ---- the buddy allocator (page_alloc.c) ------------------------------ */

struct page *alloc_pages(gfp_t gfp_mask, unsigned order);
#define alloc_page(gfp)	alloc_pages(gfp, 0)
unsigned long __get_free_pages(gfp_t gfp_mask, unsigned order);
#define __get_free_page(gfp) __get_free_pages(gfp, 0)
unsigned long get_zeroed_page(gfp_t gfp_mask);
void __free_pages(struct page *page, unsigned order);
#define __free_page(page) __free_pages(page, 0)
void free_pages(unsigned long addr, unsigned order);
#define free_page(addr)	free_pages(addr, 0)
/* Make the 2^order frames of a non-compound allocation independent. */
void split_page(struct page *page, unsigned order);
/* Drop a reference; free the page (at its compound order) on the last. */
void put_page(struct page *page);

/* Return every per-CPU list to the buddy lists. */
void drain_all_pages(void);
/* Frames in the buddy free lists (NR_FREE_PAGES, /proc's MemFree). */
unsigned long nr_free_pages(void);
/* Frames not allocated: buddy lists plus per-CPU lists. Tests compare it
 * against its value after boot. */
unsigned long nr_free_frames(void);
/* Frames the zone has free for an allocation of gfp_mask at its watermark. */
bool zone_watermark_ok(struct zone *z, unsigned order, unsigned long mark,
		       int highest_zoneidx, unsigned alloc_flags);
/* The zone an allocation with gfp_mask starts at (zonelist head). */
enum zone_type gfp_zone(gfp_t gfp_mask);
/* Recompute watermarks and reserves from min_free_kbytes (sysctl). */
void setup_per_zone_wmarks(unsigned min_free_kbytes);

/* ---- slab (slab.c) ---------------------------------------------------- */

/* ctor must be NULL: a function pointer means nothing to the other
 * processes that share the cache. */
struct kmem_cache *kmem_cache_create(const char *name, unsigned size,
				     unsigned align, unsigned flags,
				     void (*ctor)(void *));
void kmem_cache_destroy(struct kmem_cache *s);
void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp_mask);
void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp_mask);
void kmem_cache_free(struct kmem_cache *s, void *obj);
/* kmem_cache_free that clears *slot, obj's one link, as obj goes back. */
void kmem_cache_free_clear(struct kmem_cache *s, void *obj, uint32_t *slot);
/* Free obj that a killed process's allocation claim names, if it left
 * its freelist. */
void kmem_cache_free_claimed(struct kmem_cache *s, void *obj);
/* Is obj free in s (or no object of s)? */
bool kmem_cache_obj_is_free(struct kmem_cache *s, const void *obj);
void *kmalloc(size_t size, gfp_t gfp_mask);
void *kzalloc(size_t size, gfp_t gfp_mask);
void kfree(const void *obj);
/* The usable size of a kmalloc'ed object. */
size_t ksize(const void *obj);
/* Set up the cache of caches and the kmalloc caches (boot only). */
void kmem_cache_init(void);

/* ---- vmalloc (vmalloc.c) and highmem (highmem.c) ---------------------- */

/* vmalloc records its caller for vmallocinfo. */
void *__vmalloc_caller(unsigned long size, gfp_t gfp_mask, const char *caller);
#define vmalloc(size)	__vmalloc_caller(size, GFP_KERNEL | __GFP_HIGHMEM, __func__)
#define vzalloc(size)	__vmalloc_caller(size, GFP_KERNEL | __GFP_HIGHMEM | __GFP_ZERO, __func__)
void vfree(const void *addr);
void *__vmap_caller(struct page **pages, unsigned count, const char *caller);
#define vmap(pages, count)	__vmap_caller(pages, count, __func__)
void vunmap(const void *addr);
/* The frame behind a vmalloc address, by walking swapper_pg_dir. */
struct page *vmalloc_to_page(const void *addr);
bool is_vmalloc_addr(const void *addr);
/* Set up the vmalloc area's state in RAM: boot only (attach must not). */
void vmalloc_init(void);

void *kmap(struct page *page);
void kunmap(struct page *page);
void *kmap_atomic(struct page *page);
void kunmap_atomic(void *addr);
/* Zero or copy a frame wherever it lies (kmap_atomic for HighMem). */
void clear_highpage(struct page *page);
void copy_highpage(struct page *to, struct page *from);

/* ---- the kernel page table (pgtable.c) -------------------------------- */

/* Set the kernel PTE for kva (>= PAGE_OFFSET) in swapper_pg_dir to map pfn,
 * allocating the table below if needed: 0 or -ENOMEM. */
int kernel_map_page(uint32_t kva, unsigned long pfn, bool writable);
/* Clear it; returns the pfn it mapped, or 0 if none. */
unsigned long kernel_unmap_page(uint32_t kva);
/* The pfn kva maps in swapper_pg_dir, or 0. */
unsigned long kernel_lookup_page(uint32_t kva);
/* Allocate and clear swapper_pg_dir (boot only). */
int pgtable_init_kernel(void);

/* ---- tasks and address spaces (task.c, mmap.c, memory.c, fault.c) ---- */

/* This process's task when it runs as a guest, else NULL. */
extern struct task_struct *current;
/* Host address of guest virtual address 0 (the user window). */
extern uintptr_t vm_user_base;

/* Make a task and its address space (an empty mm with a [stack] VMA, as
 * exec leaves it), state TASK_NEW. The guest pid, or -errno (-EAGAIN when
 * the table is full, -ENOMEM). */
int vm_task_create(const char *comm, int ppid);
/* This process becomes task pid: records its host pid, installs the fault
 * handler on an alternate stack, sets up its TLB. 0 or -errno. */
int vm_task_enter(int pid);
/* Stop being a guest without exiting (tests): flush the window, restore
 * the old SIGSEGV handler. The task keeps its mm. */
void vm_task_leave(void);
/* Free the task's address space: every frame, page table and VMA it holds
 * (seed step 7). The task becomes a zombie with status. Safe to call for a
 * dead process's task from the supervisor, and twice. */
void vm_task_exit(struct task_struct *t, int status);
/* The supervisor's wait: exit the task if it still holds its mm, copy it
 * to out (if not NULL) and free its slot. 0, or -ESRCH. */
int vm_task_reap(int pid, struct task_struct *out);
struct task_struct *find_task_by_pid(int pid);
struct task_struct *find_task_by_host_pid(pid_t host_pid);
/* The mm of a task, or NULL. */
struct mm_struct *task_mm(const struct task_struct *t);

/* The system calls, on any mm: each takes mm->mmap_lock. Linux's argument
 * checks and errno values; they return the result or -errno. */
long mm_mmap(struct mm_struct *mm, uint32_t addr, uint32_t len, int prot, int flags,
	     int fd, uint64_t off);
int  mm_munmap(struct mm_struct *mm, uint32_t addr, uint32_t len);
int  mm_mprotect(struct mm_struct *mm, uint32_t addr, uint32_t len, int prot);
int  mm_madvise(struct mm_struct *mm, uint32_t addr, uint32_t len, int advice);
/* brk(2): the new break, or the old one when the request fails. */
uint32_t mm_brk(struct mm_struct *mm, uint32_t brk);
/* The /proc/PID/pagemap entry for addr. */
uint64_t mm_pagemap_entry(struct mm_struct *mm, uint32_t addr);

/* With mm->mmap_lock held. The first VMA with vm_end > addr, or NULL. */
struct vm_area_struct *find_vma(struct mm_struct *mm, uint32_t addr);
/* A free range of len bytes (hint addr): its start, or -errno. */
long get_unmapped_area(struct mm_struct *mm, uint32_t addr, uint32_t len, int flags);

/* x86 page-fault error code bits (hardware's, DESIGN §6) */
#define X86_PF_PROT		0x01	/* the page was present: a protection fault */
#define X86_PF_WRITE		0x02
#define X86_PF_USER		0x04
#define X86_PF_INSTR		0x10
/* Not hardware's: the caller will zero new anonymous frames through its
 * own host mapping of them (fill.zero), which spares the direct map. */
#define FAULT_FLAG_ZERO_IN_WINDOW 0x80000000u
/* Not hardware's: the caller can drop mm->mmap_lock and retry, so a swap
 * read may be left to it (fill.swapin, VM_FAULT_RETRY). */
#define FAULT_FLAG_ALLOW_RETRY	0x40000000u

/* What a fault decided (handle_mm_fault's result). */
enum vm_fault_result {
	VM_FAULT_OK = 0,	/* the PTEs allow the access: fill holds the host mapping to make */
	VM_FAULT_BADMAP,	/* no VMA there: SIGSEGV, SEGV_MAPERR */
	VM_FAULT_BADACCESS,	/* the VMA forbids it: SIGSEGV, SEGV_ACCERR */
	VM_FAULT_OOM,		/* no frame for it */
	VM_FAULT_SIGBUS,
	VM_FAULT_RETRY,		/* a page was busy (its I/O under way): take the fault again */
};

/* The host mapping a fault asks for: npages guest pages from va onto
 * physically contiguous frames from pfn. */
struct tlb_fill {
	uint32_t va;
	uint32_t npages;
	uint64_t pfn;
	bool     writable;
	bool     exec;
	bool     major;		/* the fault did I/O */
	bool     tlb_miss;	/* only the host mapping was missing */
	bool     zero;		/* FAULT_FLAG_ZERO_IN_WINDOW: the frames still need zeroing */
	uint64_t cow_src;	/* FAULT_FLAG_ZERO_IN_WINDOW: the frame a copy on write copies
				 * once the new one is mapped (cow_finish); 0 if none */
	uint32_t swapin;	/* FAULT_FLAG_ALLOW_RETRY: the swap entry to read into the swap
				 * cache with no lock held before the retry; 0 if none */
	uint32_t swapin_first;	/* and when its folio run went out together: the run's first */
	unsigned swapin_run;	/* entry and length, to read as one contiguous folio; */
	unsigned swapin_nra;	/* else the other swap entries of the run, to read with it */
	uint32_t swapin_ra[16];
	unsigned nr_around;	/* pages mapped around the fault (swap-in), each its own
				 * host mapping to make when no one mapping covers them */
	struct tlb_around {
		uint32_t va;
		uint32_t pfn;
		bool writable;
	} around[16];
};

/* The second half of a copy on write the fault handler makes through its
 * own new host mapping (dst, writable): copy fill->cow_src into it, then
 * let go of that frame. mmap_lock held. */
void cow_finish(struct mm_struct *mm, const struct tlb_fill *fill, void *dst);

/* The emulated MMU's fault, with mm->mmap_lock held: find the VMA, check
 * the access, walk and fill the page tables (demand zero, A and D bits).
 * Makes no host mapping: fill says which one the access needs. */
int handle_mm_fault(struct mm_struct *mm, uint32_t addr, unsigned error_code,
		    struct tlb_fill *fill);
/* The whole fault as the SIGSEGV handler runs it for the current task:
 * lock, handle_mm_fault, install the host mapping, count. 0 when the
 * access may be retried; otherwise the vm_fault_result. */
int do_user_fault(uint32_t addr, unsigned error_code);

/* Page tables of an mm (pgtable.c). */
/* The pa of the PTE slot for addr, allocating the tables above it; 0 on
 * ENOMEM. mmap_lock held. */
uint64_t pte_alloc_map(struct mm_struct *mm, uint32_t addr);
/* The pa of the PTE slot for addr if its table exists, else 0. */
uint64_t pte_lookup(struct mm_struct *mm, uint32_t addr);
/* A PTE slot went from none to used (+1) or back (-1): counts the table's
 * entries, freeing the tables that empty (seed: release the page tables).
 * Returns true when the PTE table was freed. */
bool pte_table_account(struct mm_struct *mm, uint32_t addr, int delta);
/* A new page directory for mm with the kernel entries of swapper_pg_dir;
 * 0 or -ENOMEM. */
int pgd_alloc(struct mm_struct *mm);
/* Free the directory and any table left below it. */
void pgd_free(struct mm_struct *mm);

/* ---- fork, wait, exit (task.c; mmap.c's dup_mmap) --------------------- */

/* fork(2) for the current task: the child's pid in the parent, 0 in the
 * child (a new host process), or -errno (-EAGAIN: the task table is
 * full; -ENOMEM: no memory for the child's tables). */
int do_fork(void);
/* kill(2) of a guest by pid: 0 or -errno (ESRCH, EINVAL). */
int vm_task_kill(int pid, int sig);
/* One look for a zombie child of the current task (pid -1 or a child's):
 * its pid, having collected it, 0 when children live but none is a
 * zombie, -ECHILD when there is no such child. The caller sleeps on
 * current->wait_seq between looks. */
int vm_task_wait(int pid, int *status, int options);
/* The supervisor saw host process host_pid die: run the exit its task
 * did not (a SIGKILL), which also frees a child it left half made. The
 * task if it stays a zombie for someone to collect, else NULL. */
struct task_struct *vm_task_died(pid_t host_pid, int wait_status);

/* ---- the zero page and the reverse map (memory.c, rmap.c) ------------- */

/* The frame every untouched private anonymous page reads as. */
#define ZERO_PFN		((unsigned long)vm_boot_block->zero_pfn)
static inline bool is_zero_pfn(unsigned long pfn)
{
	return pfn == ZERO_PFN;
}

/* Give vma an anon_vma before its first anonymous page: 0 or -ENOMEM.
 * mm->mmap_lock held. */
int anon_vma_prepare(struct mm_struct *mm, struct vm_area_struct *vma);
/* Put vma on the list of anon_vma at pa av (fork, split). */
void anon_vma_link(struct vm_area_struct *vma, uint32_t av);
/* Take vma off its anon_vma's list, freeing the anon_vma with the last. */
void unlink_anon_vma(struct mm_struct *mm, struct vm_area_struct *vma);

/* One PTE that maps a page, as the reverse map finds it. */
struct rmap_hit {
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	uint32_t va;
	uint64_t pte;			/* pa of the PTE slot */
};
/* Call fn for every PTE mapping an anonymous page (mm->mmap_lock of each
 * hit taken with a trylock: a busy mm is skipped and counted). Returns
 * the PTEs visited, fn's nonzero result stops the walk. *busy gets the
 * mms skipped. */
int rmap_walk_anon(struct page *page, int (*fn)(const struct rmap_hit *, void *), void *arg,
		   unsigned *busy);
/* Linux's page_referenced: the PTEs mapping page with A set, clearing A
 * and shooting the host mappings down so the next access sets it again.
 * Takes and drops locks; call it with none held. */
int page_referenced(struct page *page);

/* ---- TLB shootdown (tlb.c) --------------------------------------------- */

/* Flush ranges from task t's host mappings (DESIGN §7): post them in its
 * mailbox, signal it, wait for its ack at most timeout_ns. Call it with
 * no lock held. 0 once flushed (or when t runs no process, or is the
 * caller, which flushes locally); -ETIMEDOUT when it did not answer: its
 * frames must stay. */
int tlb_shootdown(struct task_struct *t, const struct tlb_range *r, unsigned n,
		  uint64_t timeout_ns);
#define TLB_SHOOTDOWN_TIMEOUT_NS	(2ull * 1000000000ull)

/* ---- swap areas (swapfile.c) ------------------------------------------ */

/* swapon(2) of a file holding a v1 swap header (mkswap's): prio >= 0 as
 * swapon -p gives it, < 0 for the next default (-1, -2, ... in order).
 * 0, or -errno with the reason in the kernel log: -EINVAL for a bad
 * header, -EBUSY when the file is on already, -EPERM when MAX_SWAPFILES
 * are, -ENOMEM, or what opening the file gave. Takes swap_state.lock and
 * vmalloc's; call it with no lock held. */
int swapon_file(const char *path, int prio);
/* swapoff(2): 0, -EINVAL when path is no area, -EBUSY while a slot is in
 * use (nothing brings pages back in yet). No lock held. */
int swapoff_file(const char *path);
/* Write a v1 swap header (random uuid, label "libvm") to path, creating
 * it, sized to bytes rounded down to pages (sparse). 0 or -errno. */
int mkswap_file(const char *path, uint64_t bytes);
/* A free slot with count 1, from the highest-priority area with room,
 * round robin between equal priorities; entry 0 when swap is full. */
swp_entry_t get_swap_page(void);
/* One more user of a used slot: 0, -EINVAL for no such slot, -ENOMEM when
 * the count is at SWAP_MAP_MAX. */
int swap_duplicate(swp_entry_t entry);
/* One user less; the slot is free again at 0. */
void swap_free(swp_entry_t entry);
/* The slot's users (0 free), or -EINVAL for no such slot. */
int swap_count(swp_entry_t entry);
/* Free and usable slots of the writable areas (meminfo's SwapFree and
 * SwapTotal, in pages). */
unsigned long nr_swap_pages(void);
unsigned long total_swap_pages(void);
/* Set up swap_state at boot (attach must not). */
void swap_init(void);

/* A page to or from its swap slot (page_io.c): 0, -EINVAL for an entry
 * no area holds, -EIO when the file failed (logged as Linux logs it). */
int swap_writepage(struct page *page, swp_entry_t entry);
int swap_readpage(struct page *page, swp_entry_t entry);
/* n pages to or from their slots at once, as one reclaim pass or one
 * readahead window moves them: by pread/pwrite, or submitted together
 * to io_uring and waited for together (swap_state.io_mode). err[i] gets
 * page i's result as above. Returns how many failed. */
unsigned swap_writepages(struct page *const *pages, const swp_entry_t *entries, int *err,
			 unsigned n);
unsigned swap_readpages(struct page *const *pages, const swp_entry_t *entries, int *err,
			unsigned n);
/* Choose the I/O of every process of the machine: 0, or -ENOSYS for
 * SWAP_IO_URING when libvm was built without liburing (or the host
 * refuses io_uring). */
int swap_set_io_mode(enum swap_io_mode mode);
/* Was libvm built with liburing? */
bool swap_uring_built(void);

/* ---- the swap cache (swap_state.c) ------------------------------------- */

/* The page holding entry's data, with a reference taken, or NULL. */
struct page *lookup_swap_cache(swp_entry_t entry);
/* Give an anonymous page a slot and put it in the swap cache (dirty):
 * 0, or -ENOSPC when swap is full. Page locked. */
int add_to_swap(struct page *page);
/* Take a page out of the swap cache, dropping the cache's reference and
 * its slot count. Page locked. */
void delete_from_swap_cache(struct page *page);
/* A swap PTE went away: one slot count less; and when only the swap
 * cache still holds the slot and its page is mapped by nobody, the page
 * and the slot go too (Linux's free_swap_and_cache). */
void free_swap_and_cache(swp_entry_t entry);
/* The page's slot is held by nothing but the swap cache: drop both (the
 * data in RAM is the only copy now). true if freed. Page locked. */
bool try_to_free_swap(struct page *page);
/* Pages in the swap caches (meminfo SwapCached). */
unsigned long total_swapcache_pages(void);

/* Page lock (PG_locked): held across swap I/O. */
static inline bool trylock_page(struct page *page)
{
	return !(__atomic_fetch_or(&page->flags, 1u << PG_locked, __ATOMIC_ACQUIRE) &
		 (1u << PG_locked));
}
static inline void unlock_page(struct page *page)
{
	__atomic_fetch_and(&page->flags, ~(1u << PG_locked), __ATOMIC_RELEASE);
}

/* ---- reclaim (vmscan.c, oom_kill.c) ------------------------------------ */

/* A new anonymous page joins its zone's LRU: the active list (a fault),
 * or the inactive one (readahead). */
void lru_cache_add(struct page *page, bool active);
/* The page leaves the LRU (its last reference went). */
void lru_cache_del(struct page *page);
/* Reclaim up to nr pages now, as the caller's direct reclaim would:
 * the pages freed. */
unsigned long shrink_all_memory(unsigned long nr);
/* Direct reclaim for an allocation that found free memory below min:
 * the pages freed. No lock held but the caller's own mm's. */
unsigned long try_to_free_pages(gfp_t gfp_mask, unsigned order);
/* Wake kswapd (if one runs). */
void wakeup_kswapd(void);
/* Start kswapd as a host process of its own, in a process group of its
 * own, dying with its parent: its host pid, or -errno. */
pid_t kswapd_run(void);
/* Stop it and wait for it. */
void kswapd_stop(void);
/* kswapd's loop, for kswapd_run's child (returns when told to stop). */
void kswapd_main(void);
/* The OOM killer: choose the guest with the largest rss + swap, mark it
 * and send it SIGKILL, which it takes on leaving the kernel. false when
 * there was nobody to kill. */
bool out_of_memory(gfp_t gfp_mask, unsigned order);

/* ---- the page cache (filemap.c) --------------------------------------- */

/* msync(2) on any mm: takes mm->mmap_lock. 0 or -errno (ENOMEM for a
 * range with unmapped parts, EBUSY, EIO for a write that failed). */
int mm_msync(struct mm_struct *mm, uint32_t addr, uint32_t len, int flags);
/* Write every dirty page of every file (expired_only: those dirty longer
 * than vm.dirty_expire_centisecs). The files written. */
unsigned long filemap_writeback_all(bool expired_only);
/* sync; echo 3 > drop_caches: the pages dropped. */
unsigned long filemap_drop_caches(void);
/* Is the machine's RAM file on a noexec mount? Then no host mapping of
 * it may be executable, and a PROT_EXEC mapping fails with EPERM. */
bool ram_file_noexec(void);
/* The flusher (pdflush), a host process like kswapd: its pid or -errno. */
pid_t flusher_run(void);
void flusher_stop(void);
void flusher_main(void);

/* ---- logs and counters (printk.c, vmstat.c) --------------------------- */

/* Append a line to the kernel log in RAM ("[   12.345678] text"). */
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log, mark the machine panicked, abort this process. */
void vm_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

void count_vm_event(enum vm_event_item item);
void count_vm_events(enum vm_event_item item, long delta);
void mod_zone_page_state(struct zone *z, enum zone_stat_item item, long delta);
void mod_node_page_state(enum node_stat_item item, long delta);
unsigned long global_node_page_state(enum node_stat_item item);
unsigned long zone_page_state(const struct zone *z, enum zone_stat_item item);

#endif /* VM_KERNEL_H */
