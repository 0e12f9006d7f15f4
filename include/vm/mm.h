/* mm.h - a guest's address space and its task, as they lie in RAM: the
 * task table, mm_struct, vm_area_struct. vmrun, vmdump and the tests read
 * the same layout. Links are physical addresses (lowmem, 32 bits).
 *
 * Locks: task_table.lock guards the table's slots (allocation, state
 * changes, parent links); mm->mmap_lock guards an mm's VMAs, its page tables and its
 * counters (Linux's mmap_lock and page_table_lock in one: a guest is one
 * host thread, so the split buys nothing yet). A task's fault counters are
 * written only by the task itself.
 *
 * The address space of a guest (DESIGN §2), non-randomised as Linux's
 * legacy i386 layout:
 *
 *   0x00000000 - 0x0000ffff   never mapped (mmap_min_addr, NULL guard)
 *   0x08048000 -              left for a program image (text, data, bss)
 *   0x09000000 -              the heap: start_brk, grown by brk/sbrk
 *   ...                       mmap, top down from mmap_base
 *   0xb8000000                mmap_base = TASK_SIZE - 128 MiB (the stack gap)
 *   0xbffe0000 - 0xbfffffff   [stack]: 128 KiB to start, grows down to
 *                             RLIMIT_STACK (8 MiB), 1 MiB guard gap below
 *   0xc0000000 -              the kernel half: a user access is SIGSEGV
 */
#ifndef VM_MM_H
#define VM_MM_H

#include <stdint.h>
#include <vm/lock.h>
#include <vm/avl.h>
#include <vm/page.h>

#define VM_MAX_TASKS		256
#define TASK_COMM_LEN		16

#define MMAP_MIN_ADDR		0x00010000u	/* vm.mmap_min_addr */
#define ELF_ET_BASE		0x08048000u	/* where an i386 image starts */
#define DEFAULT_START_BRK	0x09000000u
#define STACK_TOP		0xC0000000u	/* TASK_SIZE */
#define STACK_INIT_SIZE		(128u << 10)	/* Linux's stack_expand */
#define STACK_RLIMIT		(8u << 20)	/* ulimit -s 8192 */
#define STACK_GUARD_GAP		(256u << 12)	/* stack_guard_gap: 256 pages */
#define MMAP_GAP		(128u << 20)	/* the minimum gap below the stack */
#define DEFAULT_MAP_COUNT_MAX	65530		/* vm.max_map_count */

/* vm_flags, Linux's values */
#define VM_NONE			0x00000000u
#define VM_READ			0x00000001u
#define VM_WRITE		0x00000002u
#define VM_EXEC			0x00000004u
#define VM_SHARED		0x00000008u
#define VM_MAYREAD		0x00000010u
#define VM_MAYWRITE		0x00000020u
#define VM_MAYEXEC		0x00000040u
#define VM_MAYSHARE		0x00000080u
#define VM_GROWSDOWN		0x00000100u
#define VM_LOCKED		0x00002000u
#define VM_DONTCOPY		0x00020000u
#define VM_ACCOUNT		0x00100000u
#define VM_NORESERVE		0x00200000u
#define VM_ACCESS_FLAGS		(VM_READ | VM_WRITE | VM_EXEC)

/* One mapping: [vm_start, vm_end) with one set of rights. In the mm's AVL
 * tree by vm_start and in its list sorted by address (the seeds' mmap
 * list and mmap_avl). */
struct vm_area_struct {
	struct avl_node vm_avl;		/* in mm->mm_avl, keyed by vm_start */
	uint32_t vm_start;		/* first address */
	uint32_t vm_end;		/* one past the last */
	uint32_t vm_next;		/* pa of the next VMA by address, 0 at the end */
	uint32_t vm_prev;		/* pa of the previous one */
	uint32_t vm_mm;			/* pa of the mm_struct */
	uint32_t vm_flags;		/* VM_* */
	uint32_t vm_pgoff;		/* offset in the file, in pages (anon: vm_start >> 12) */
	uint32_t anon_vma;		/* pa of the anon_vma its anonymous pages point at */
	uint32_t vm_file;		/* pa of the mapped file's address_space, 0 if anonymous */
	uint32_t anon_vma_next;		/* pa of the next VMA on the same anon_vma's list */
	uint32_t shared_next;		/* pa of the next VMA on the file's i_mmap list */
	uint32_t _pad;
};

/*
 * The reverse map of anonymous pages (rmap.c): one anon_vma per private
 * anonymous mapping, shared by every copy fork makes of it, with the
 * list of those VMAs. An anonymous page's mapping is its anon_vma's pa |
 * PAGE_MAPPING_ANON and its index its va >> 12; the pages a VMA holds
 * keep the va they were faulted at (there is no mremap), so the PTE that
 * may map a page in a VMA on the list is at index << 12 in that VMA's mm.
 * This is Linux's anon_vma as 2.6.7-2.6.33 had it, before anon_vma
 * chains: chains bound the list walk for servers that fork for ever, a
 * cost a machine of at most 256 tasks does not have.
 *
 * The list is singly linked and changed by single stores (a VMA is
 * linked at the head once its next is set; unlinked by one store to its
 * predecessor), so a holder killed mid-change leaves it whole.
 */
struct anon_vma {
	struct vm_lock lock;		/* guards the list */
	uint32_t head;			/* pa of the first VMA on the list, 0 if none */
	uint32_t nr_vmas;		/* VMAs on the list: freed when it reaches 0 */
	uint32_t owner;			/* pa of the mm that made it, or that frees it */
	uint32_t _pad;
};

enum {
	MM_FILEPAGES,			/* resident file pages */
	MM_ANONPAGES,			/* resident anonymous pages */
	MM_SWAPENTS,			/* swap entries in the tables */
	MM_SHMEMPAGES,			/* resident shared anonymous pages */
	NR_MM_COUNTERS
};

struct mm_struct {
	struct vm_lock mmap_lock;	/* VMAs, page tables, counters */
	uint32_t pgd;			/* pa of the top table: this address space's CR3 */
	uint32_t mmap;			/* pa of the lowest VMA, 0 if none */
	struct avl_root mm_avl;		/* VMAs by vm_start; count is map_count */
	uint32_t mmap_cache;		/* pa of the VMA find_vma found last */
	uint32_t owner;			/* guest pid of the task using it */
	uint32_t mmap_base;		/* where top-down mmap starts */
	uint32_t task_size;		/* TASK_SIZE */
	uint32_t start_brk;		/* the heap starts here */
	uint32_t brk;			/* and ends here (not page aligned) */
	uint32_t start_stack;		/* top of the [stack] VMA */
	uint32_t stack_rlimit;		/* RLIMIT_STACK, bytes */
	uint32_t nr_ptes;		/* page-table pages below the PGD */
	uint32_t map_count_max;		/* vm.max_map_count */
	uint64_t total_vm;		/* pages mapped */
	uint64_t stack_vm;		/* pages in VM_GROWSDOWN VMAs */
	uint64_t hiwater_rss;		/* peak resident pages */
	uint64_t hiwater_vm;		/* peak total_vm */
	int64_t  rss_stat[NR_MM_COUNTERS];
	/* Frames taken from the allocator and not yet linked into the tables,
	 * or unlinked and not yet freed (mmap_lock held): if the guest is
	 * killed in between, its exit frees them from here instead of
	 * losing them. 0 when none. */
	uint32_t inflight_pfn;		/* first frame */
	uint32_t inflight_va;		/* the va (or first va of the table) it is for */
	uint16_t inflight_order;	/* a run of 2^order frames */
	uint16_t inflight_kind;		/* enum mm_inflight_kind */
	/* A VMA of this mm allocated and not yet linked, or unlinked and
	 * not yet freed; and an anon_vma this mm made or empties, the same.
	 * Their pa, 0 when none. */
	uint32_t inflight_vma;
	uint32_t inflight_anon_vma;
	uint32_t inflight_old_pfn;	/* INFLIGHT_COW: the frame being replaced */
	/* The file an mmap of this mm has pinned (its address_space's pa,
	 * counted in i_mmap_count) until its VMA holds it; 0 when none. */
	uint32_t inflight_file;
	/* A page-cache tree node its fault made and has not linked yet. */
	uint32_t inflight_node;
};

enum mm_inflight_kind {
	INFLIGHT_NONE,
	INFLIGHT_ANON,			/* anonymous frames for PTEs at inflight_va.. */
	INFLIGHT_PMD_TABLE,		/* pae: a PMD table for the PGD slot of inflight_va */
	INFLIGHT_PTE_TABLE,		/* a page table for the PMD slot of inflight_va */
	INFLIGHT_UNMAP,			/* the PTE at inflight_va is being cleared */
	INFLIGHT_UNMAPPED,		/* and its mapcount dropped: the reference goes next */
	INFLIGHT_COW,			/* a copy on write: the new frame at inflight_pfn,
					 * the one it replaces at inflight_old_pfn */
	INFLIGHT_DUP,			/* fork: the page at inflight_va is being shared with
					 * this (the child's) mm */
	INFLIGHT_PGD,			/* i386: the page directory, until mm->pgd names it */
	INFLIGHT_COW_FILE,		/* INFLIGHT_COW of a page-cache page (a private file
					 * mapping's first write) */
};

enum task_state {
	TASK_DEAD = 0,			/* slot free */
	TASK_NEW,			/* made by the supervisor, process not attached yet */
	TASK_RUNNING,			/* attached */
	TASK_ZOMBIE,			/* exited: status kept until reaped */
};

#define PF_EXITING		0x00000004u	/* exit_mm has run or is running */
#define PF_FORKNOEXEC		0x00000040u	/* made by fork (not by the supervisor) */
#define PF_MEMDIE		0x00000100u	/* the OOM killer chose it: dies on leaving the kernel */
#define PF_SIGNALED		0x00000400u	/* killed by a signal */
#define PF_SEGV			0x00000800u	/* the fault handler condemned it */

/*
 * A task's TLB shootdown mailbox (tlb.c, DESIGN §7). A process that
 * changed PTEs another task's process may have host mappings for posts
 * the ranges here, sends it VM_SIG_SHOOTDOWN and waits (holding no lock)
 * until ack reaches the req it posted. The target's handler takes the
 * ranges, flushes them (user va below TASK_SIZE, kernel va at or above
 * PAGE_OFFSET), stores ack and wakes the sender. More ranges than fit
 * turn into a whole flush (nr = TLB_FLUSH_ALL).
 */
#define TLB_MAILBOX_RANGES	16
#define TLB_FLUSH_ALL		0xffffffffu

struct tlb_range {
	uint32_t start;			/* va, page aligned */
	uint32_t len;			/* bytes */
};

struct tlb_mailbox {
	struct vm_lock lock;		/* senders post one at a time */
	uint32_t req;			/* futex: requests posted */
	uint32_t ack;			/* futex: the last request the target flushed */
	uint32_t nr;			/* ranges posted and not taken, or TLB_FLUSH_ALL */
	uint32_t _pad;
	struct tlb_range range[TLB_MAILBOX_RANGES];
};

/* A guest. pid is its guest pid (vmdump's PID); host_pid the host process
 * that runs it. cr3 copies mm->pgd so a reader need not follow mm.
 *
 * Parent and child: ppid is the guest parent (0: the supervisor, vmrun).
 * A task that exits becomes a zombie until its parent waits for it, or,
 * when its parent is the supervisor or gone, until the supervisor reaps
 * it; a parent that exits hands its children to the supervisor. */
struct task_struct {
	uint32_t state;			/* enum task_state */
	int32_t  pid;			/* guest pid, 1.. */
	int32_t  host_pid;		/* host process */
	int32_t  ppid;			/* guest parent, 0 for the supervisor's children */
	uint32_t mm;			/* pa of the mm_struct, 0 after exit */
	uint32_t cr3;			/* pa of the page directory */
	int32_t  exit_code;		/* wait status, as waitpid reports it */
	uint32_t flags;			/* PF_* */
	uint64_t min_flt;		/* faults that did no I/O */
	uint64_t maj_flt;		/* faults that read from swap or a file */
	uint64_t tlb_miss;		/* faults that only refilled the host mapping */
	uint64_t hiwater_rss;		/* peak resident pages, kept after exit */
	uint64_t start_ns;		/* CLOCK_REALTIME when created */
	char     comm[TASK_COMM_LEN];	/* program name */
	uint32_t wait_seq;		/* futex: bumped when a child exits or is reparented */
	uint32_t nr_forks;		/* children it forked */
	struct tlb_mailbox tlb;		/* shootdowns sent to it */
	/* A block this task's process is freeing, from its last reference
	 * to a free list: pfn << 4 | order, 0 when none (page_alloc.c). */
	uint32_t free_transit;
	/* A slab page its process took and has not yet published: the pfn
	 * (the allocator's claim), 0 when none. */
	uint32_t alloc_transit;
};
_Static_assert(sizeof(struct task_struct) == 256, "RAM layout: task_struct");

struct task_table {
	struct vm_lock lock;		/* guards slot allocation and state */
	int32_t  last_pid;		/* the last pid handed out */
	uint32_t nr_tasks;		/* slots not TASK_DEAD */
	uint32_t mm_cache;		/* pa of the "mm_struct" kmem_cache */
	uint32_t vma_cache;		/* pa of the "vm_area_struct" kmem_cache */
	uint32_t pgd_cache;		/* pa of the pae "pgd_cache" (32-byte PDPTs), 0 in i386 */
	uint32_t anon_vma_cache;	/* pa of the "anon_vma" kmem_cache */
	/* i386: every user page directory (their frames, through page->lru),
	 * so the kernel entries they copy can be cleared when a kernel page
	 * table is freed (Linux's pgd_list). Guarded by pgd_lock (below
	 * vmap_state.lock, as Linux's pgd_lock): a holder killed mid-change
	 * leaves it rebuilt from the tasks' directories by the next locker. */
	struct pfn_list pgd_list;
	struct vm_lock pgd_lock;
	struct task_struct task[VM_MAX_TASKS];
};

#endif /* VM_MM_H */
