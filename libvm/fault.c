/* fault.c - the page-fault entry (DESIGN §6): the host CPU's SIGSEGV,
 * taken on an alternate stack, decoded into the address and the x86 error
 * code the hardware reported, and dispatched:
 *
 *   user window, below 0xC0000000   do_user_fault: the emulated MMU
 *   user window, at or above        a user access to the kernel half: SIGSEGV
 *   kernel window, vmalloc area     vmalloc_fault: copy swapper_pg_dir's entry
 *   kernel window, elsewhere        a kernel bug: oops
 *   anywhere else                   not ours: the previous handler, or death
 *
 * A guest that makes a bad access dies of SIGSEGV as on Linux, after the
 * kernel log gets Linux's line for it:
 *
 *   hello[1]: segfault at 0 ip 000055d0c6e2a1b9 sp 00007ffc1d0e3f20 error 4
 *
 * The handler restores the default action and returns; the access runs
 * again, faults again (no host mapping was made) and the host kills the
 * process with the fault's own signal. vmrun then frees what it held.
 *
 * Async-signal-safe throughout: locks in RAM are futexes, host calls are
 * mmap/munmap, and printk formats into the ring under its own lock.
 */
#include <signal.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "internal.h"

#define USER_WINDOW	(1ULL << 32)
#define KERNEL_WINDOW	(1ULL << 30)
#define ALTSTACK_SIZE	(256 * 1024)	/* a fault may reclaim, and read and write swap */

static struct sigaction old_segv;
static stack_t old_altstack;
static void *altstack;
static bool installed;

static void die_by(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(sig, &sa, NULL);
	if (sig != SIGSEGV)
		kill(getpid(), sig);	/* pending until the handler returns (not
					 * raise: a forked guest's thread id in
					 * libc is its parent's) */
}

/* Show a host address as the guest knows it when it lies in the window. */
static unsigned long guest_view(uintptr_t p)
{
	if (p - vm_user_base < USER_WINDOW)
		return (unsigned long)(p - vm_user_base);
	return (unsigned long)p;
}

static void segfault(uint32_t addr, unsigned err, const ucontext_t *uc)
{
	struct task_struct *t = current;

	printk("%s[%d]: segfault at %x ip %016lx sp %016lx error %x", t->comm, t->pid, addr,
	       guest_view((uintptr_t)uc->uc_mcontext.gregs[REG_RIP]),
	       guest_view((uintptr_t)uc->uc_mcontext.gregs[REG_RSP]), err);
	t->flags |= PF_SEGV | PF_SIGNALED;
	die_by(SIGSEGV);
}

/*
 * A fault whose allocation found no memory, its mm lock dropped: reclaim
 * with nothing held (this mm's pages are anyone's now), and tell the
 * caller to take the fault again. Only once nothing has been reclaimed
 * anywhere for RECLAIM_PATIENCE_NS does the OOM killer choose, and this
 * waits for its victim. false: give up (this task is the victim, or
 * there is nobody to kill).
 */
#define RECLAIM_PATIENCE_NS	(1000ull * 1000000ull)
#define OOM_VICTIM_WAIT_NS	(5ull * 1000000000ull)

static uint64_t stuck_since;		/* this process's fault found no memory since */
static unsigned long stuck_mark;

static bool fault_oom_wait(void)
{
	unsigned long mark = reclaim_progress_mark();
	uint64_t now = host_now_ns(), deadline;

	if (current->flags & PF_MEMDIE)
		return false;
	if (!stuck_since || mark != stuck_mark) {
		stuck_since = now;
		stuck_mark = mark;
	}
	wakeup_kswapd();
	if (try_to_free_pages(GFP_HIGHUSER, 0))
		return true;
	if (now - stuck_since < RECLAIM_PATIENCE_NS) {
		sleep_answering_shootdowns(1000000);
		return true;
	}
	if (!out_of_memory(GFP_HIGHUSER, 0))
		return false;
	deadline = host_now_ns() + OOM_VICTIM_WAIT_NS;
	while (vm_kdata->reclaim.oom_victim && !(current->flags & PF_MEMDIE) &&
	       host_now_ns() < deadline)
		sleep_answering_shootdowns(1000000);
	stuck_since = 0;
	return !(current->flags & PF_MEMDIE);
}

/* The swap read a fault left to this, holding no lock: the page goes
 * into the swap cache (with its readahead) and the fault is taken again,
 * this time mapping it. One such read per fault: the retry maps whatever
 * it finds, reading itself if the page went again meanwhile. */
static bool swapin_done, swapin_major;

static int swapin_unlocked(const struct tlb_fill *fill)
{

	swp_entry_t entry = { fill->swapin };
	struct page *page;
	int err;

	reclaim_for_swapin(fill->swapin_run > 1 ? fill->swapin_run : fill->swapin_nra + 1);
	if (fill->swapin_run > 1) {
		/* the run went out together: back together, contiguous */
		err = read_swap_folio((swp_entry_t){ fill->swapin_first }, fill->swapin_run,
				      fill->swapin - fill->swapin_first, &swapin_major);
		swapin_done = true;
		if (err == -EIO)
			return VM_FAULT_SIGBUS;
		if (err == 0)
			return 0;
	}
	page = read_swap_page(entry, (const swp_entry_t *)fill->swapin_ra, fill->swapin_nra,
			      GFP_HIGHUSER, &swapin_major, &err);
	swapin_done = true;
	if (page) {
		swap_unlock_page(page);
		return 0;
	}
	if (err == -EIO)
		return VM_FAULT_SIGBUS;
	if (err == -EAGAIN)
		sleep_answering_shootdowns(20000);
	return 0;	/* -ENOMEM, -ENOENT: the retry decides */
}

int do_user_fault(uint32_t addr, unsigned error_code)
{
	struct task_struct *t = current;
	struct mm_struct *mm = current_mm;
	struct tlb_fill fill;
	uint64_t rss;
	int r;

	if (vm_lock_acquire(&mm->mmap_lock) == -EOWNERDEAD)
		vm_lock_consistent(&mm->mmap_lock);	/* only this process uses it */
	alloc_fault_retry = true;
	alloc_failed_retry = false;
	r = handle_mm_fault(mm, addr, error_code | FAULT_FLAG_ZERO_IN_WINDOW |
			    (swapin_done ? 0 : FAULT_FLAG_ALLOW_RETRY), &fill);
	alloc_fault_retry = false;
	if (r == VM_FAULT_OK) {
		/* still under the lock: nobody sees the frames before they are
		 * zeroed or copied */
		if ((fill.zero ? tlb_install_zeroed(&fill) : tlb_install(&fill)) != 0)
			r = VM_FAULT_OOM;
		/* pages swap-in mapped around this one: their host mappings
		 * now, which costs a system call each where a fault would
		 * cost a signal too (one that fails only means that fault) */
		for (unsigned i = 0; r == VM_FAULT_OK && i < fill.nr_around; i++) {
			struct tlb_fill a = { .va = fill.around[i].va, .npages = 1,
					      .pfn = fill.around[i].pfn,
					      .writable = fill.around[i].writable, .exec = fill.exec };

			tlb_install(&a);
		}
		if (fill.cow_src)
			cow_finish(mm, &fill, r == VM_FAULT_OK ?
				   (void *)(vm_user_base + fill.va) : NULL);
	}
	rss = (uint64_t)(mm->rss_stat[MM_ANONPAGES] + mm->rss_stat[MM_FILEPAGES] +
			 mm->rss_stat[MM_SHMEMPAGES]);
	vm_lock_release(&mm->mmap_lock);
	if (r == VM_FAULT_RETRY && fill.swapin)
		return swapin_unlocked(&fill);
	if (r == VM_FAULT_RETRY) {
		/* the page's lock holder (its I/O) runs meanwhile */
		sleep_answering_shootdowns(20000);
		return 0;
	}
	if (r == VM_FAULT_OOM && alloc_failed_retry)
		return fault_oom_wait() ? 0 : VM_FAULT_OOM;
	if (r != VM_FAULT_OK)
		return r;
	stuck_since = 0;
	if (swapin_done) {
		fill.major = swapin_major;
		swapin_done = swapin_major = false;
	}
	if (fill.tlb_miss) {
		t->tlb_miss++;
		return 0;
	}
	if (fill.major) {
		t->maj_flt++;
		count_vm_event(PGMAJFAULT);
	} else {
		t->min_flt++;
	}
	count_vm_event(PGFAULT);
	if (rss > t->hiwater_rss)
		t->hiwater_rss = rss;
	return 0;
}

/* A kernel-half address this process has no host mapping for. vmalloc
 * areas made by another process are in swapper_pg_dir: copy the entry
 * (the PDE into this directory, in i386) and map the page. */
static int vmalloc_fault(uint32_t kva)
{
	struct pt_walk w;
	bool own;

	if (kva < vm_boot_block->vmalloc_start || kva >= vm_boot_block->vmalloc_end)
		return -1;
	if (kernel_walk(kva, &w) != PT_WALK_MAPPED || w.last != PT_PTE)
		return -1;
	if (current_mm && !vm_pae()) {
		/* a fault under vmap_state.lock must not wait for itself */
		own = (__atomic_load_n(&vm_kdata->vmap.lock.word, __ATOMIC_RELAXED) &
		       VM_LOCK_TID_MASK) == (uint32_t)vm_self_tid;
		if (!own)
			vm_lock_or_panic(&vm_kdata->vmap.lock, "vmap_state.lock");
		sync_kernel_pgd(current_mm->pgd, kva);
		if (!own)
			vm_lock_release(&vm_kdata->vmap.lock);
	}
	return host_map_ram(kva_to_host(kva & (uint32_t)PAGE_MASK), vm_ram_fd,
			    w.pfn << PAGE_SHIFT, PAGE_SIZE, pte_write(w.level[PT_PTE].entry)) ? -1 : 0;
}

static void kernel_oops(uint32_t kva, unsigned err, const ucontext_t *uc)
{
	printk("BUG: unable to handle page fault for address: %08x", kva);
	printk("#PF: supervisor %s access in kernel mode", (err & X86_PF_WRITE) ? "write" : "read");
	printk("#PF: error_code(0x%04x) - %s page", err & ~X86_PF_USER,
	       (err & X86_PF_PROT) ? "protection violation on a present" : "not-present");
	printk("Oops: %04x [#1] ip %016lx sp %016lx pid %d", err & ~X86_PF_USER,
	       (unsigned long)uc->uc_mcontext.gregs[REG_RIP],
	       (unsigned long)uc->uc_mcontext.gregs[REG_RSP], current ? current->pid : 0);
	die_by(SIGSEGV);
}

static void not_ours(int sig, siginfo_t *si, void *uctx)
{
	if ((old_segv.sa_flags & SA_SIGINFO) && old_segv.sa_sigaction) {
		old_segv.sa_sigaction(sig, si, uctx);
		return;
	}
	if (old_segv.sa_handler != SIG_DFL && old_segv.sa_handler != SIG_IGN &&
	    old_segv.sa_handler) {
		old_segv.sa_handler(sig);
		return;
	}
	die_by(SIGSEGV);
}

static void segv_handler(int sig, siginfo_t *si, void *uctx)
{
	ucontext_t *uc = uctx;
	uintptr_t a = (uintptr_t)si->si_addr;
	unsigned err = (unsigned)uc->uc_mcontext.gregs[REG_ERR];
	int saved_errno = errno, r;

	if (si->si_code <= 0) {			/* sent by kill(), not a fault */
		not_ours(sig, si, uctx);
		goto out;
	}
	if (current && a - vm_user_base < USER_WINDOW) {
		uint32_t addr = (uint32_t)(a - vm_user_base);

		if (addr >= TASK_SIZE) {
			/* the kernel half's PTEs have U/S clear: a protection fault */
			segfault(addr, err | X86_PF_PROT | X86_PF_USER, uc);
			goto out;
		}
		r = do_user_fault(addr, err);
		if (r == VM_FAULT_OK)
			goto out;
		if (r == VM_FAULT_OOM && (current->flags & PF_MEMDIE)) {
			die_by(SIGKILL);	/* the OOM killer chose it: logged */
		} else if (r == VM_FAULT_OOM) {
			printk("Out of memory: Killed process %d (%s) in a page fault at %x",
			       current->pid, current->comm, addr);
			current->flags |= PF_SIGNALED;
			die_by(SIGKILL);
		} else if (r == VM_FAULT_SIGBUS) {
			printk("%s[%d]: bus error at %x", current->comm, current->pid, addr);
			current->flags |= PF_SIGNALED;
			die_by(SIGBUS);
		} else {
			/* The hardware reads the PTE, not our TLB: a user page
			 * present in the tables is a protection fault even when
			 * its host mapping was flushed. */
			uint64_t pte = pte_lookup(current_mm, addr);

			if (pte && (pt_read(pte) & (_PAGE_PRESENT | _PAGE_USER)) ==
				   (_PAGE_PRESENT | _PAGE_USER))
				err |= X86_PF_PROT;
			segfault(addr, err, uc);
		}
		goto out;
	}
	if (vm_kernel_base && a - vm_kernel_base < KERNEL_WINDOW) {
		uint32_t kva = (uint32_t)(a - vm_kernel_base + PAGE_OFFSET);

		if (vmalloc_fault(kva) != 0)
			kernel_oops(kva, err, uc);
		goto out;
	}
	not_ours(sig, si, uctx);
out:
	errno = saved_errno;
}

int fault_handler_install(void)
{
	struct sigaction sa;
	stack_t ss;

	if (installed)
		return 0;
	if (!altstack && !(altstack = host_alloc(ALTSTACK_SIZE)))
		return -ENOMEM;
	memset(&ss, 0, sizeof(ss));
	ss.ss_sp = altstack;
	ss.ss_size = ALTSTACK_SIZE;
	if (sigaltstack(&ss, &old_altstack) < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = segv_handler;
	/* SA_NODEFER: a fault's kernel work (reclaim) may itself take a
	 * vmalloc_fault on the kernel window, which nests on this stack */
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	/* nothing else interrupts a fault: its locks are held by this
	 * process */
	sigfillset(&sa.sa_mask);
	sigdelset(&sa.sa_mask, SIGSEGV);
	if (sigaction(SIGSEGV, &sa, &old_segv) < 0) {
		int err = errno;
		sigaltstack(&old_altstack, NULL);
		return -err;
	}
	installed = true;
	return 0;
}

void fault_handler_remove(void)
{
	if (!installed)
		return;
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaltstack(&old_altstack, NULL);
	installed = false;
}
