/* internal.h - private to libvm: the host layer, the locks and their order,
 * the checks, and the list helpers every file uses.
 *
 * Lock order (outer first), as DESIGN §8 fixes it; take them only downward:
 *
 *   task_table.lock              (task.c: slots, states, parent links;
 *                                 nothing below is taken under it but the log)
 *   slab_state.slab_mutex        (slab.c: the list of caches)
 *     vmap_state.lock            (vmalloc.c: areas, swapper_pg_dir entries)
 *       task_table.pgd_lock      (pgtable.c: i386 pgd_list)
 *       mm lock                  (per mm: VMAs, page tables; the exit of a
 *                                 killed guest takes the locks of every mm
 *                                 mapping a page it recounts, holding its own:
 *                                 only the supervisor does that, one at a time)
 *         filemap_state.lock     (filemap.c: the list of files)
 *         page lock              (PG_locked)
 *           anon_vma / i_mmap lock (rmap.c; a walker coming from a page
 *                                 holds it and only tries the mm locks)
 *             page-table lock
 *             address_space.tree_lock (filemap.c: a file's cached pages;
 *                                 allocates without reclaim)
 *               kmem_cache.lock  (slab.c: one cache's slabs)
 *                 slab_state.stat_lock (slab.c: PG_slab and the node's slab counts)
 *                 LRU lock
 *                   per_cpu_pages.lock (page_alloc.c: one CPU's list)
 *                     zone->lock       (page_alloc.c: free lists)
 *                       vm_log.lock    (printk.c: innermost, anyone may log)
 *
 * A kmem_cache.lock holder may allocate pages, so the page allocator's locks
 * sit below it; printk may be called under any lock.
 */
#ifndef VM_INTERNAL_H
#define VM_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <vm/kernel.h>
#include <vm/lock.h>
#include <vm/pgtable.h>

/* ---- checks ----------------------------------------------------------- */

/* Always on: only where going on would corrupt shared RAM. */
#define BUG_ON(cond)							\
	do { if (__builtin_expect(!!(cond), 0))				\
		vm_bug(__FILE__, __LINE__, #cond); } while (0)
#define BUG()		vm_bug(__FILE__, __LINE__, "BUG")

/* DEBUG=1: checked; otherwise type-checked and compiled away. */
#ifndef VM_DEBUG
#define VM_DEBUG 0
#endif
#if VM_DEBUG >= 1
#define VM_BUG_ON(cond)	BUG_ON(cond)
#else
#define VM_BUG_ON(cond)	do { if (0 && (cond)) {} } while (0)
#endif

void vm_bug(const char *file, int line, const char *what) __attribute__((noreturn));

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define ALIGN(x, a)	(((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define min(a, b)	((a) < (b) ? (a) : (b))
#define max(a, b)	((a) > (b) ? (a) : (b))

/* ---- the host (host.c: the only file that calls mmap and friends) ----- */

/* Create path of bytes; allocate its host pages unless no_prefault.
 * Returns an fd, or -errno. */
int host_ram_create(const char *path, uint64_t bytes, bool prefault);
/* Open an existing RAM file; its size in *bytes. fd or -errno. */
int host_ram_open(const char *path, uint64_t *bytes, bool writable);
/* Reserve [addr, addr+len) inaccessible, failing if anything lives there.
 * addr 0: anywhere. Returns the address or NULL (errno set). */
void *host_reserve(uintptr_t addr, size_t len);
/* Map RAM [off, off+len) at addr inside a reservation. 0 or -errno. */
int host_map_ram(void *addr, int fd, uint64_t off, size_t len, bool writable);
/* Map RAM [off, off+len) into the user window at addr with the rights a
 * PTE allows (async-signal-safe: the fault handler's one system call). */
int host_map_user(void *addr, uint64_t off, size_t len, bool writable, bool exec);
/* Change the rights of a host mapping in the user window. */
int host_protect(void *addr, size_t len, bool writable, bool exec);
/* Private zeroed host memory (not RAM): this process's own bookkeeping. */
void *host_alloc(size_t len);
/* Make [addr, addr+len) inaccessible again, keeping the reservation. */
int host_unmap(void *addr, size_t len);
/* Give the range back to the host. */
void host_release(void *addr, size_t len);
/* Open path read-write, creating it, and size it to bytes (sparse).
 * fd or -errno. */
int host_file_create(const char *path, uint64_t bytes);
/* Make this process's host page tables map [addr, addr + len) of a
 * shared mapping writable now, in one call (MADV_POPULATE_WRITE), not a
 * host fault per page; a host without it faults as before. */
void host_populate_write(void *addr, size_t len);
/* pread/pwrite: bytes moved, or -errno. */
long host_pread(int fd, void *buf, size_t len, uint64_t off);
long host_pwrite(int fd, const void *buf, size_t len, uint64_t off);
void host_close(int fd);
/* len random bytes (getrandom, or a time-seeded fallback). */
void host_random(void *buf, size_t len);
/* Bytes free on the filesystem holding path, or -errno. */
int64_t host_fs_free(const char *path);
/* vm.max_map_count, or -1. */
long host_max_map_count(void);
/* The host CPU this process runs on, in [0, nr_cpus). */
unsigned host_cpu(void);
uint64_t host_now_ns(void);		/* CLOCK_MONOTONIC */
uint64_t host_realtime_ns(void);	/* CLOCK_REALTIME */
/* Is host process pid still alive (not gone, not a zombie)? */
bool host_pid_alive(pid_t pid);
void host_sleep_ns(uint64_t ns);
/* futex wait on a word in shared RAM, with a timeout; 0, -ETIMEDOUT, -EAGAIN, -EINTR */
int host_futex_wait(uint32_t *word, uint32_t val, uint64_t timeout_ns);
void host_futex_wake(uint32_t *word, int nr);

extern int vm_ram_fd;			/* the attached machine's RAM file */

/* ---- locks (lock.c) ---------------------------------------------------- */

/* This process's host tid, cached (refreshed in a fork child). */
extern pid_t vm_self_tid;

/* 0, or -EOWNERDEAD: the lock is now held and the caller must repair what
 * the dead owner left, then call vm_lock_consistent (or panic). */
int vm_lock_acquire_slow(struct vm_lock *l);
static inline int vm_lock_acquire(struct vm_lock *l)
{
	uint32_t expected = 0;

	if (likely(__atomic_compare_exchange_n(&l->word, &expected,
					       (uint32_t)vm_self_tid, false,
					       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)))
		return 0;
	return vm_lock_acquire_slow(l);
}
void vm_lock_wake(struct vm_lock *l);
/* Take the lock only if it is free: 0, or -EBUSY. A lock whose owner
 * died is busy to a trylock: repairing is for the lockers that wait. */
static inline int vm_lock_trylock(struct vm_lock *l)
{
	uint32_t expected = 0;

	return __atomic_compare_exchange_n(&l->word, &expected, (uint32_t)vm_self_tid, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED) ? 0 : -EBUSY;
}
static inline void vm_lock_release(struct vm_lock *l)
{
	uint32_t old = __atomic_exchange_n(&l->word, 0, __ATOMIC_RELEASE);

	if (unlikely(old & VM_LOCK_WAITERS))
		vm_lock_wake(l);
}
/* After repairing a lock taken with -EOWNERDEAD. */
void vm_lock_consistent(struct vm_lock *l);
/* Take a lock whose structure cannot be repaired: panic if its owner died. */
void vm_lock_or_panic(struct vm_lock *l, const char *what);
void vm_lock_init(struct vm_lock *l);
/* Call in a forked child before it takes any lock. */
void vm_lock_after_fork(void);

/* ---- pfn lists through page->lru -------------------------------------- */

static inline bool pfn_list_empty(const struct pfn_list *head)
{
	return head->next == PFN_NIL;
}
static inline void pfn_list_init(struct pfn_list *head)
{
	head->next = head->prev = PFN_NIL;
}
/* Add pfn at the front (hot end) of head. */
static inline void pfn_list_add(struct pfn_list *head, unsigned long pfn)
{
	struct page *page = pfn_to_page(pfn);

	page->lru.prev = PFN_NIL;
	page->lru.next = head->next;
	if (head->next != PFN_NIL)
		pfn_to_page(head->next)->lru.prev = (uint32_t)pfn;
	else
		head->prev = (uint32_t)pfn;
	head->next = (uint32_t)pfn;
}
/* Add pfn at the back (cold end) of head. */
static inline void pfn_list_add_tail(struct pfn_list *head, unsigned long pfn)
{
	struct page *page = pfn_to_page(pfn);

	page->lru.next = PFN_NIL;
	page->lru.prev = head->prev;
	if (head->prev != PFN_NIL)
		pfn_to_page(head->prev)->lru.next = (uint32_t)pfn;
	else
		head->next = (uint32_t)pfn;
	head->prev = (uint32_t)pfn;
}
static inline void pfn_list_del(struct pfn_list *head, unsigned long pfn)
{
	struct page *page = pfn_to_page(pfn);

	if (page->lru.prev != PFN_NIL)
		pfn_to_page(page->lru.prev)->lru.next = page->lru.next;
	else
		head->next = page->lru.next;
	if (page->lru.next != PFN_NIL)
		pfn_to_page(page->lru.next)->lru.prev = page->lru.prev;
	else
		head->prev = page->lru.prev;
	page->lru.next = page->lru.prev = PFN_NIL;
}

/* Take a reference unless the page is on its way to the allocator. */
static inline bool get_page_unless_zero(struct page *page)
{
	int ref = __atomic_load_n(&page->_refcount, __ATOMIC_RELAXED);

	while (ref > 0)
		if (__atomic_compare_exchange_n(&page->_refcount, &ref, ref + 1, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return true;
	return false;
}

/* ---- boot-time pieces -------------------------------------------------- */

/* memblock.c: a bump allocator over frames, before the buddy allocator. */
void memblock_init(uint32_t nr_pages);
/* Reserve nr_pages frames (from the lowest free one) for name; first pfn. */
uint32_t memblock_alloc(uint32_t nr_pages, const char *name);
/* Record the reservations in the boot block, mark their frames PG_reserved
 * and hand every other frame to the buddy allocator. Returns frames freed. */
unsigned long memblock_free_all(void);

/* page_alloc.c */
void free_area_init(void);		/* zones from the boot block's sizes */
/* Give [pfn, pfn + nr) to the buddy allocator in the largest aligned blocks. */
void free_pages_range_boot(unsigned long pfn, unsigned long nr);
void zone_pcp_init(void);
/* After a zone lock came back EOWNERDEAD: rebuild the zone's free lists
 * from page state. Called with zone->lock held. */
void zone_repair_locked(struct zone *z);

/* highmem.c: reset this process's kmap slots (boot and attach; a fork
 * child keeps its parent's, whose mappings it inherited) */
void kmap_init(void);

/* pgtable.c: i386 vmalloc_fault copies the kernel PDE for kva into a
 * user directory (vmap_state.lock held). */
void sync_kernel_pgd(uint64_t pgdir, uint32_t kva);

/* tlb.c: this process's host mappings of the user window, the emulated
 * TLB. Each entry is one host mapping of a run of pages; at capacity the
 * TLB is flushed and the next accesses take TLB-miss faults. */
int  tlb_init(unsigned entries);
void tlb_exit(void);
int  tlb_install(const struct tlb_fill *fill);
/* tlb_install for a fill whose new frames need zeroing (fill->zero):
 * zeroes them through the new host mapping, then lowers it to the
 * rights the PTEs give. */
int  tlb_install_zeroed(const struct tlb_fill *fill);
/* Drop this process's host mappings of [va, va + len) (a local flush). */
void flush_tlb_range(uint32_t va, uint32_t len);
void flush_tlb_all(void);
/* Is mm the address space this process runs (so its flushes are local)? */
bool mm_is_current(const struct mm_struct *mm);

/* ---- tlb.c: write-protect for fork, shootdowns, and their host calls --- */

#include <signal.h>

/* The real-time signal that asks a task's process to read its shootdown
 * mailbox (struct tlb_mailbox, mm.h). Reserved: a guest must not use it.
 * glibc's SIGRTMIN is a function (NPTL keeps the first two for itself). */
#define VM_SIG_SHOOTDOWN	(SIGRTMIN + 4)

/* Lower every writable host mapping of this process's user window to
 * read-only, keeping exec as it was; the next write faults and refills
 * from the PTEs. fork calls it after write-protecting the parent's PTEs
 * and before the host fork, so the child inherits no writable mapping of
 * a frame the two now share. One mprotect per run of writable pages. */
void tlb_write_protect_all(void);
/* Flush the kernel ranges r[0..n) (vmalloc area: the rest of the kernel
 * window is never shared) in this process and in every other process that
 * runs a task, signalling them all first and then waiting for them all,
 * at most timeout_ns in total. Call with no lock held. 0 once all have
 * flushed; -ETIMEDOUT when one did not answer (logged): it may still map
 * the ranges, so their frames must stay. */
int tlb_shootdown_kernel(const struct tlb_range *r, unsigned n, uint64_t timeout_ns);

/* host.c: VM_SIG_SHOOTDOWN's handler (SA_SIGINFO | SA_ONSTACK | SA_RESTART,
 * every catchable signal but the synchronous ones blocked while it runs). */
int host_signal_install(int sig, void (*fn)(int, siginfo_t *, void *));
/* Block sig in this thread; returns whether it was blocked already. */
bool host_signal_block(int sig);
void host_signal_unblock(int sig);
/* kill(2): 0 or -errno. */
int host_kill(pid_t pid, int sig);
pid_t host_getpid(void);

/* Reclaim's shootdowns (tlb.c): the pages a pass unmapped or aged, per
 * task, flushed together once the pass holds no lock; a task with more
 * ranges than its mailbox holds flushes its whole window. */
#define TLB_BATCH_TASKS		64
struct tlb_batch_task {
	int32_t pid;			/* guest pid */
	unsigned n;
	bool all;
	struct tlb_range r[TLB_MAILBOX_RANGES];
};
struct tlb_batch {
	unsigned nr;
	bool overflow;
	struct tlb_batch_task task[TLB_BATCH_TASKS];
};
void tlb_batch_add(struct tlb_batch *b, int32_t pid, uint32_t va);
/* Send the batch and wait (no lock held but the caller's own mm's):
 * 0, or -ETIMEDOUT when a task did not answer. Empties the batch. */
int tlb_batch_flush(struct tlb_batch *b, uint64_t timeout_ns);
void sleep_answering_shootdowns(uint64_t ns);
/* Answer the shootdowns posted to this process's task and not yet taken
 * (its signal is blocked in the kernel): fork does, before a child could
 * inherit the mappings they name. */
void tlb_answer_pending(void);
/* The signal the OOM killer sends (reserved, like VM_SIG_SHOOTDOWN). */
#define VM_SIG_OOM_KILL		(SIGRTMIN + 5)
int oom_signal_install(void);

/* ---- swap (swapfile.c, swap_state.c) ------------------------------------ */

void swap_state_lock(void);
void swap_state_unlock(void);
/* With swap_state.lock held: entry's swap_map byte (and its area), its
 * swap cache slot, or NULL for no such slot. */
uint8_t *swap_map_slot(swp_entry_t entry, struct swap_info_struct **sip);
uint32_t *swap_cache_slot(swp_entry_t entry);
/* swap_duplicate and swap_free with the lock held: 0 / the count left,
 * or -errno. */
int __swap_duplicate(swp_entry_t entry);
int __swap_free(swp_entry_t entry);
/* A write to entry's slot failed: retire the slot once it is let go. */
void swap_mark_doomed(swp_entry_t entry);
bool swap_slot_doomed(swp_entry_t entry);
int __add_to_swap_cache(struct page *page, swp_entry_t entry);
/* add_to_swap with a slot the caller took (get_swap_pages): on failure
 * the slot is freed. */
int add_to_swap_entry(struct page *page, swp_entry_t entry);
/* Up to n free slots at once, consecutive where the area allows, each
 * with count 1: how many. */
unsigned get_swap_pages(unsigned n, swp_entry_t *out);
void __delete_from_swap_cache(struct page *page);
/* Unlock a page that may be in the swap cache, dropping it from the cache
 * when nothing wants it any more. */
void swap_unlock_page(struct page *page);
/* Swap-in: see swap_state.c. */
struct page *read_swap_page(swp_entry_t entry, const swp_entry_t *ra, unsigned nra, gfp_t gfp,
			    bool *major, int *err);
#define VM_FOLIO_MAX_PAGES	(1u << VM_FOLIO_ORDER_MAX)
int read_swap_folio(swp_entry_t first, unsigned n, unsigned want, bool *major);

/* vmscan.c: this process's reclaim note (struct reclaim_note), when it
 * runs a task: a page is noted once taken (isolated: after the reference,
 * before it leaves the list; locked: right after the lock) and forgotten
 * once given back. */
void rnote_set(struct page *page, uint32_t flag);
void rnote_clear(struct page *page, uint32_t flag);
static inline bool trylock_page_noted(struct page *page)
{
	if (!trylock_page(page))
		return false;
	rnote_set(page, RNOTE_LOCKED);
	return true;
}
/* The supervisor, for a task whose process died: unlock and put back
 * what its note names. */
void reclaim_note_release(struct task_struct *t);

void reclaim_for_swapin(unsigned n);
/* vmscan.c: may direct reclaim in this process touch its own mm (whose
 * lock it holds)? Only a fault path that re-checks its PTE after the
 * allocation sets it. */
extern bool reclaim_own_mm;
/* page_alloc.c: a fault's allocation that direct reclaim cannot satisfy
 * at once fails (alloc_failed_retry set) instead of waiting or calling
 * the OOM killer while the fault holds its mm lock: the fault drops the
 * lock and tries again (fault_oom_wait). */
extern bool alloc_fault_retry;
extern bool alloc_failed_retry;
/* Pages reclaim freed so far, and OOM kills: it moves while memory comes
 * free. */
unsigned long reclaim_progress_mark(void);
/* rmap.c: unmap page from every PTE it can, putting its swap entry there
 * (page locked and in the swap cache); the shootdowns go into b. true
 * when no PTE maps it any more: a busy mapper keeps its PTE until the
 * next try. */
bool try_to_unmap(struct page *page, struct tlb_batch *b);
/* page_referenced that leaves its shootdowns in b: the PTEs found young;
 * the mms it could not look at (busy) in *busy. */
int page_referenced_batch(struct page *page, struct tlb_batch *b, unsigned *busy);

/* filemap.c: the page cache (include/vm/fs.h) */
void filemap_init(void);
struct address_space *AS(uint32_t pa);
static inline bool PageAnon(const struct page *page)
{
	return __atomic_load_n(&page->mapping, __ATOMIC_RELAXED) & PAGE_MAPPING_ANON;
}
/* A page of the page cache (mapping names a file)? */
static inline bool PageFile(const struct page *page)
{
	uint32_t m = __atomic_load_n(&page->mapping, __ATOMIC_RELAXED);

	return m && !(m & PAGE_MAPPING_ANON);
}
/* The file behind fd for a mapping, pinned: 0 or -errno (EBADF, EACCES,
 * ENODEV, ENOMEM); *shared_ro for a MAP_SHARED one of a read-only fd. */
int filemap_get(struct mm_struct *mm, int fd, int prot, int flags, struct address_space **out,
		bool *shared_ro);
void filemap_put(struct mm_struct *mm, struct address_space *as);
/* i_mmap_lock of a file, repaired (the list is whole) if its holder died. */
void i_mmap_lock_file(struct address_space *as);
/* The pin an mmap of a killed process held (mm->inflight_file). */
void filemap_inflight_release(struct mm_struct *mm);
/* The tree node a fault of a killed process had made (mm->inflight_node). */
void filemap_node_release(struct mm_struct *mm);
void i_mmap_link(struct vm_area_struct *vma);
void i_mmap_unlink(struct vm_area_struct *vma);
int filemap_fault(struct mm_struct *mm, struct vm_area_struct *vma, uint32_t addr, uint64_t pte,
		  unsigned error_code, struct tlb_fill *fill);
struct page *find_get_page(struct address_space *as, uint32_t index);
/* PG_dirty for a file page, with its tag, counts and the file's clock. */
void set_page_dirty(struct page *page);
/* D off in the PTEs of page (their host mappings into b): the D bits
 * found; *busy the mappers too busy to look at. */
int page_mkclean_batch(struct page *page, struct tlb_batch *b, unsigned *busy);
int filemap_write_range(struct address_space *as, uint32_t first, uint32_t last, bool wait);
/* Write back what a shared file VMA maps in [start, end). mmap_lock held. */
int filemap_sync_vma(struct mm_struct *mm, struct vm_area_struct *vma, uint32_t start,
		     uint32_t end);
bool remove_mapping_file(struct page *page, int refs_held);
int filemap_reclaim_write(struct page *page);
void filemap_note_release(struct page *page);
bool ram_noexec(void);
/* rmap.c: every PTE mapping a file page, through its file's i_mmap. */
int rmap_walk_file(struct page *page, int (*fn)(const struct rmap_hit *, void *), void *arg,
		   unsigned *busy);
/* The walks may use this process's own mm, whose lock it holds, while it
 * writes back (msync, munmap, exit: nothing there reads a PTE it keeps). */
extern bool writeback_own_mm;
/* vmscan.c: a new page-cache page joins the inactive file list. */
void lru_cache_add_file(struct page *page);

/* memory.c */
/* Unmap [start, end) of mm's user pages: clear the PTEs, flush, free the
 * frames and the tables that empty. mmap_lock held. */
void zap_page_range(struct mm_struct *mm, struct vm_area_struct *vma, uint32_t start,
		    uint32_t end);
/* Apply vma's rights to the present PTEs of [start, end), flushing. */
void change_protection(struct mm_struct *mm, struct vm_area_struct *vma, uint32_t start,
		       uint32_t end);
/* The PTE rights a VMA's flags give a page (before A/D and write-on-fault). */
pgprot_t vm_get_page_prot(uint32_t vm_flags);

/* Note frames taken for mm that are not in its tables yet, and that
 * they are in now (memory.c frees what a killed guest left noted). */
static inline void mm_inflight_set(struct mm_struct *mm, int kind, unsigned long pfn,
				   unsigned order, uint32_t va)
{
	mm->inflight_va = va;
	mm->inflight_order = (uint16_t)order;
	mm->inflight_kind = (uint16_t)kind;
	__atomic_store_n(&mm->inflight_pfn, (uint32_t)pfn, __ATOMIC_RELEASE);
	/* a kill may land between any two instructions: nothing after may
	 * be done before the note is */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}
static inline void mm_inflight_stage(struct mm_struct *mm, int kind)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&mm->inflight_kind, (uint16_t)kind, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}
static inline void mm_inflight_clear(struct mm_struct *mm)
{
	__atomic_store_n(&mm->inflight_pfn, 0, __ATOMIC_RELEASE);
}
/*
 * Claims: where the allocators write what they hand out, at the instant
 * it leaves their lists and under their lock, so that a guest killed
 * between the allocator and its caller's note loses nothing. A caller
 * points vm_claim_page at its mm's inflight_pfn (with the rest of the
 * note set up first) or vm_claim_obj at an object slot, then allocates;
 * the allocator stores the pfn (or the object's pa | VM_CLAIM_FRESH)
 * and clears the pointer. One process is one guest thread: plain
 * globals. */
extern uint32_t *vm_claim_page;
extern uint32_t *vm_claim_obj;
#define VM_CLAIM_FRESH		0x1u	/* an object just allocated, not initialised */
static inline void vm_claim_store(uint32_t **claim, uint32_t v)
{
	uint32_t *slot = *claim;

	if (slot) {
		__atomic_store_n(slot, v, __ATOMIC_RELEASE);
		*claim = NULL;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	}
}
/* Set up a page note whose pfn the allocator will fill in. */
static inline void mm_inflight_prepare(struct mm_struct *mm, int kind, unsigned order,
				       uint32_t va)
{
	mm->inflight_pfn = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	mm->inflight_va = va;
	mm->inflight_order = (uint16_t)order;
	mm->inflight_kind = (uint16_t)kind;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	vm_claim_page = &mm->inflight_pfn;
}

/* The objects noted in flight (mm.h): set before the step a kill could
 * cut, cleared after it. */
static inline void mm_inflight_obj(uint32_t *slot, const void *obj)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(slot, obj ? (uint32_t)__pa(obj) : 0, __ATOMIC_RELEASE);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}
/* rmap.c: release the anon_vma a dead owner noted; the VMA's list ends
 * in mmap.c. */
void anon_vma_inflight_release(struct mm_struct *mm);
/* mmap.c: free the VMA a dead owner noted, if it is neither linked nor
 * freed already. */
void vma_inflight_release(struct mm_struct *mm);
/* Is vma on mm's VMA list? (a bounded walk) */
bool vma_on_list(struct mm_struct *mm, const struct vm_area_struct *vma);
/* host.c: fork a sibling process (see host.c); pid, 0 in it, or -errno. */
long host_clone_sibling(int32_t *ptid);
/* rmap.c: set an anonymous page's counts from the PTEs that map it
 * (after a kill left them unknown); dead->mmap_lock held. */
void anon_page_recount(struct mm_struct *dead, unsigned long pfn, uint32_t va);
/* The same for a file page (filemap's fault and zap notes). */
void file_page_recount(struct mm_struct *dead, unsigned long pfn, uint32_t va);

/* pgtable.c: for mm_inflight_release. */
bool pgtable_linked(struct mm_struct *mm, uint32_t va, unsigned long pfn, bool pmd_table);
void pgtable_free_unlinked(struct page *pt);
/* task->free_transit: the block a guest's process is freeing. EARLY: its
 * owner cleared its fields and will drop the reference next. */
#define FREE_TRANSIT_SHIFT	5
#define FREE_TRANSIT_EARLY	0x10u
#define FREE_TRANSIT_ORDER	0x0fu
static inline uint32_t free_transit_word(struct page *page, unsigned order, bool early)
{
	return (uint32_t)page_to_pfn(page) << FREE_TRANSIT_SHIFT | (early ? FREE_TRANSIT_EARLY : 0) |
	       order;
}
/* An owner about to clear a block's fields and free it notes it first. */
static inline void free_transit_begin(struct page *page, unsigned order)
{
	if (current) {
		__atomic_store_n(&current->free_transit, free_transit_word(page, order, true),
				 __ATOMIC_RELAXED);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	}
}
/* The block reached a free list: under the list's lock, so a set note
 * always means a block on no list. */
static inline void free_transit_done(void)
{
	if (current) {
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		__atomic_store_n(&current->free_transit, 0, __ATOMIC_RELAXED);
	}
}
/* page_alloc.c: for the supervisor, after a guest's death (lock.c). */
void zone_settle_dead_locks(void);
bool page_is_free(struct page *page);
void free_transit_release(uint32_t transit);
/* slab.c: the slab page a dead guest had not yet published. */
void slab_transit_release(uint32_t pfn);
/* memory.c: a block a claim named: true when it was free or not yet set
 * up (and is free now), false when its taker had set it up. */
bool claimed_block_release(struct page *page, unsigned order);
/* Free what a guest killed inside the kernel left noted in mm. */
void mm_inflight_release(struct mm_struct *mm);

/* mmap.c */
void exit_mmap(struct mm_struct *mm);
/* Link a VMA into mm's list and tree (its range must be free). */
void vma_link(struct mm_struct *mm, struct vm_area_struct *vma);
/* Fill mm (new, with its directory) as fork's copy of oldmm, whose lock
 * is held: 0 or -ENOMEM (the caller drops mm). */
int dup_mmap(struct mm_struct *mm, struct mm_struct *oldmm);
/* Make the caches of task.c and mmap.c (boot only). */
void mm_init_caches(void);
struct vm_area_struct *vma_next(const struct vm_area_struct *vma);
struct vm_area_struct *vma_prev(const struct vm_area_struct *vma);
/* Grow a VM_GROWSDOWN vma down to addr (page aligned down), within the
 * stack limit and the guard gap. 0 or -ENOMEM. mmap_lock held. */
int expand_stack(struct mm_struct *mm, struct vm_area_struct *vma, uint32_t addr);

/* umalloc.c: check this process's guest heap (vm_malloc's chunks, bins
 * and large blocks); the number of violations reported. */
unsigned long validate_umalloc(struct vm_report *r);

/* fault.c: the SIGSEGV handler on its alternate stack. */
int  fault_handler_install(void);
void fault_handler_remove(void);

/* task.c: the per-process guest state the fault handler reads. */
extern struct mm_struct *current_mm;
/* In a child of a plain host fork(): it is not the guest its parent is. */
void task_after_fork(void);
/* A kernel thread of the machine (kswapd, the flusher): a host process
 * of its own, in a process group of its own, dying with its parent, that
 * runs fn (which returns once SIGTERM told it to stop); its host pid is
 * published in *pid_slot. The pid, or -errno (-EBUSY: one runs). */
pid_t kthread_run(const char *name, void (*fn)(void), int32_t *pid_slot);
/* Stop it (SIGTERM, and a wake on the futex it sleeps on), reap it, hand
 * the locks it held to their next owners; *pid_slot and *state go to 0. */
void kthread_stop(int32_t *pid_slot, uint32_t *wait_word, uint32_t *state);

/* mm->mmap_lock, taken by the process that runs the mm. Its owner can
 * have died only as the parent that forked this mm, which holds the lock
 * until the child's process exists, its tables complete: nothing to
 * repair. */
static inline void mmap_lock_own(struct mm_struct *mm)
{
	if (vm_lock_acquire(&mm->mmap_lock) == -EOWNERDEAD)
		vm_lock_consistent(&mm->mmap_lock);
}

/* the attached machine's paging mode */
static inline bool vm_pae(void)
{
	return vm_boot_block->mode == VM_MODE_PAE;
}

#endif /* VM_INTERNAL_H */
