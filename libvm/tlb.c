/* tlb.c - the host MMU as the emulated machine's TLB (DESIGN §7). A guest
 * reaches a page of its user window only while this process holds a host
 * mapping of the page's frame; that mapping is the TLB entry. Entries are
 * made by the fault handler from the PTEs (never granting more than they
 * do), dropped by local flushes when this process changes its own PTEs,
 * by shootdowns when another process changes them, and evicted when the
 * TLB is full: the next access then takes a cheap TLB-miss fault that
 * refills it from the page tables.
 *
 * The TLB is this process's own state, in host memory: a count of the
 * host mappings it made since it was last flushed. When it is full the
 * whole TLB is flushed in one host call, as x86 drops every entry on a
 * CR3 reload: evicting the oldest entry one at a time cost a host call
 * per TLB miss (12.2 us a miss against 8.6 us with whole flushes, on a
 * 256-entry TLB cycling through 16 Ki pages). Local flushes of a range
 * do not lower the count, so it bounds the host mappings from above,
 * which is what vm.max_map_count needs: each entry costs at most two
 * host mappings (the run, and the split it makes in the window's
 * reservation).
 *
 * Which entries are writable, for fork: one bit per user page (786432
 * pages, 96 KiB) says "this page has a writable host mapping", a second
 * bitmap the same for writable and executable, and a summary bit per
 * 64-bit word says the word may be nonzero. tlb_write_protect_all visits
 * only the words the summary names, so a guest with a few hundred
 * writable runs pays a few hundred mprotects and a walk of 192 words, not
 * a scan of 96 KiB. A summary bit may be stale (its word went to zero); a
 * word bit never is, because a writable mapping left unnoticed would let
 * a fork child write its parent's frames.
 *
 * Shootdowns: a process that changed PTEs another task's process may map
 * posts the ranges in that task's mailbox in RAM (mm.h), sends it
 * VM_SIG_SHOOTDOWN and sleeps on the mailbox's ack. The target's handler
 * takes the ranges under the mailbox lock, flushes them and stores the
 * request number it took as ack:
 *
 *   sender                         mailbox        target (handler)
 *   lock; add ranges; my = ++req   req 7, nr 2
 *   unlock; kill(SIG)                             lock; take 2 ranges, req 7
 *   futex_wait(ack) until ack >= 7 nr 0           unlock; munmap them
 *                                  ack 7          futex_wake(ack)
 *
 * Several senders may post before the target runs; it takes them all at
 * once and its ack answers all of them. Too many ranges become a whole
 * flush (TLB_FLUSH_ALL).
 *
 * Where the handler runs: guests block catchable signals inside the
 * kernel (guest.c), and the fault handler runs with every signal blocked,
 * so the handler never interrupts a kernel path or a fill; a target in
 * the kernel answers when it leaves. A sender unblocks the signal while it
 * waits (it holds no lock then), so two processes shooting each other down
 * each answer the other. A stopped target never answers: the sender gives
 * up after its timeout and must keep the frames.
 *
 * Everything the handlers call is async-signal-safe.
 */
#include <limits.h>
#include <signal.h>
#include <string.h>

#include "internal.h"

#define TLB_PAGES	(TASK_SIZE >> PAGE_SHIFT)	/* 786432 user pages */
#define TLB_WORDS	(TLB_PAGES / 64)		/* 12288 words: 96 KiB a bitmap */
#define TLB_SUM_WORDS	(TLB_WORDS / 64)		/* 192 */

/* A wait for an ack checks every slice that the target still lives. */
#define SHOOTDOWN_SLICE_NS	(10ull * 1000000ull)

static unsigned tlb_cap, tlb_count;

/* This process's writable host mappings of the user window (host memory:
 * a fork child inherits a copy, which describes the mappings it
 * inherits). ex is a subset of wr: set only where a writable mapping is
 * also executable. */
struct tlb_bits {
	uint64_t wr[TLB_WORDS];		/* page has a writable host mapping */
	uint64_t ex[TLB_WORDS];		/* and it is executable */
	uint64_t sum[TLB_SUM_WORDS];	/* wr[w] may be nonzero */
};
static struct tlb_bits *tlb_bits;
static bool shootdown_installed;

static inline void *window(uint32_t va)
{
	return (void *)(vm_user_base + va);
}

static inline uint64_t word_mask(unsigned bit, unsigned n)
{
	return (n >= 64 ? ~0ull : (1ull << n) - 1) << bit;
}

/* ---- the writable bitmap -------------------------------------------------
 *
 * Atomic word updates: the shootdown handler clears bits too. It never runs
 * inside this file's other paths (see the head comment), so the atomics
 * guard only against a caller that broke that rule losing a whole word.
 */

static void bits_set(uint64_t first, uint64_t end, bool exec)
{
	if (!tlb_bits)
		return;
	end = min(end, (uint64_t)TLB_PAGES);
	while (first < end) {
		size_t w = first / 64;
		unsigned b = first % 64, n = (unsigned)min(64 - b, end - first);
		uint64_t m = word_mask(b, n);

		/* the summary first: a scan that sees the word sees its bit */
		__atomic_fetch_or(&tlb_bits->sum[w / 64], 1ull << (w % 64), __ATOMIC_RELAXED);
		__atomic_fetch_or(&tlb_bits->wr[w], m, __ATOMIC_RELAXED);
		if (exec)
			__atomic_fetch_or(&tlb_bits->ex[w], m, __ATOMIC_RELAXED);
		else
			__atomic_fetch_and(&tlb_bits->ex[w], ~m, __ATOMIC_RELAXED);
		first += n;
	}
}

static void bits_clear(uint64_t first, uint64_t end)
{
	if (!tlb_bits)
		return;
	end = min(end, (uint64_t)TLB_PAGES);
	while (first < end) {
		size_t w = first / 64;
		unsigned b = first % 64, n = (unsigned)min(64 - b, end - first);

		/* a zero summary word: 64 zero words, 4096 pages (a munmap of
		 * the whole heap costs a few hundred steps, not 12288) */
		if (!b && !(w % 64) && !tlb_bits->sum[w / 64]) {
			first += 64 * 64;
			continue;
		}
		/* a clear summary bit means a zero word: skip it whole */
		if (tlb_bits->sum[w / 64] & (1ull << (w % 64))) {
			uint64_t m = ~word_mask(b, n);

			__atomic_fetch_and(&tlb_bits->wr[w], m, __ATOMIC_RELAXED);
			__atomic_fetch_and(&tlb_bits->ex[w], m, __ATOMIC_RELAXED);
		}
		first += n;
	}
}

static void bits_clear_all(void)
{
	unsigned s;

	if (!tlb_bits)
		return;
	for (s = 0; s < TLB_SUM_WORDS; s++) {
		uint64_t sum = __atomic_exchange_n(&tlb_bits->sum[s], 0, __ATOMIC_RELAXED);

		while (sum) {
			size_t w = (size_t)s * 64 + (unsigned)__builtin_ctzll(sum);

			sum &= sum - 1;
			__atomic_store_n(&tlb_bits->wr[w], 0, __ATOMIC_RELAXED);
			__atomic_store_n(&tlb_bits->ex[w], 0, __ATOMIC_RELAXED);
		}
	}
}

/* ---- the TLB ------------------------------------------------------------ */

static void shootdown_handler(int sig, siginfo_t *si, void *uctx);

int tlb_init(unsigned entries)
{
	int err;

	if (entries < VM_TLB_MIN)
		entries = VM_TLB_MIN;
	if (entries > VM_TLB_MAX)
		entries = VM_TLB_MAX;
	tlb_cap = entries;
	tlb_count = 0;
	if (!tlb_bits && !(tlb_bits = host_alloc(sizeof(*tlb_bits))))
		return -ENOMEM;
	/* a task starts with an empty window: bits left from an earlier one
	 * (a window released by detach) describe nothing now */
	bits_clear_all();
	if (!shootdown_installed) {
		err = host_signal_install(VM_SIG_SHOOTDOWN, shootdown_handler);
		if (!err)
			err = oom_signal_install();
		if (err)
			return err;
		shootdown_installed = true;
	}
	return 0;
}

/* The handler stays: a late shootdown finds no task and returns, where
 * the default action would kill the process. */
void tlb_exit(void)
{
	tlb_cap = tlb_count = 0;
}

int tlb_install(const struct tlb_fill *f)
{
	uint64_t first = f->va >> PAGE_SHIFT;
	size_t len = (size_t)f->npages << PAGE_SHIFT;
	int err;

	if (tlb_count >= tlb_cap)
		flush_tlb_all();
	err = host_map_user(window(f->va), f->pfn << PAGE_SHIFT, len, f->writable, f->exec);
	if (err == -ENOMEM && tlb_count) {
		/* The host ran out of mappings (max_map_count): flush and retry. */
		flush_tlb_all();
		err = host_map_user(window(f->va), f->pfn << PAGE_SHIFT, len, f->writable, f->exec);
	}
	if (err) {
		/* a failed MAP_FIXED may have dropped the old mapping or not:
		 * drop it for certain, so the bits say the truth */
		flush_tlb_range(f->va, (uint32_t)len);
		return err;
	}
	tlb_count++;
	if (f->writable)
		bits_set(first, first + f->npages, f->exec);
	else
		bits_clear(first, first + f->npages);
	return 0;
}

int tlb_install_zeroed(const struct tlb_fill *f)
{
	struct tlb_fill w = *f;
	size_t len = (size_t)f->npages << PAGE_SHIFT;
	uint64_t first = f->va >> PAGE_SHIFT;
	int err;

	w.writable = true;
	err = tlb_install(&w);
	if (err)
		return err;
	memset(window(f->va), 0, len);
	if (!f->writable) {
		err = host_protect(window(f->va), len, false, f->exec);
		if (err)
			flush_tlb_range(f->va, (uint32_t)len);
		else
			bits_clear(first, first + f->npages);
	}
	return err;
}

void flush_tlb_range(uint32_t va, uint32_t len)
{
	uint64_t first = va >> PAGE_SHIFT;

	if (!len)
		return;
	host_unmap(window(va), len);
	bits_clear(first, first + (((uint64_t)(va & ~PAGE_MASK) + len + PAGE_SIZE - 1) >> PAGE_SHIFT));
}

/* The whole user half, in one host call. */
void flush_tlb_all(void)
{
	host_unmap(window(0), TASK_SIZE);
	tlb_count = 0;
	bits_clear_all();
}

bool mm_is_current(const struct mm_struct *mm)
{
	return mm && mm == current_mm;
}

/* ---- write-protect for fork --------------------------------------------- */

/* Pages [first, first + n) to lower to read-only, merged with the run
 * before when they continue it with the same exec. */
struct wp_run {
	uint64_t first, n;
	bool exec;
};

static void wp_emit(const struct wp_run *run)
{
	void *addr = window((uint32_t)(run->first << PAGE_SHIFT));
	size_t len = (size_t)run->n << PAGE_SHIFT;

	if (!run->n)
		return;
	/* mprotect splits mappings and may hit max_map_count: dropping the
	 * run grants even less, and the next access refills it read-only */
	if (host_protect(addr, len, false, run->exec) != 0)
		host_unmap(addr, len);
}

static void wp_add(struct wp_run *run, uint64_t first, uint64_t n, bool exec)
{
	if (run->n && run->first + run->n == first && run->exec == exec) {
		run->n += n;
		return;
	}
	wp_emit(run);
	run->first = first;
	run->n = n;
	run->exec = exec;
}

/*
 * A word with wr = 0b0111'1100 and ex = 0b0110'0000 holds two runs: pages
 * 2-4 (no exec) and 5-6 (exec). At bit 2, exec is clear: same = wr & ~ex
 * = 0b0001'1100, shifted down 0b111, so the run is 3 pages long; at bit 5
 * same = wr & ex, 2 pages. A run that ends at bit 63 continues into the
 * next word through wp_add.
 */
void tlb_write_protect_all(void)
{
	struct wp_run run = { 0, 0, false };
	unsigned s;

	if (!tlb_bits)
		return;
	for (s = 0; s < TLB_SUM_WORDS; s++) {
		uint64_t sum = __atomic_exchange_n(&tlb_bits->sum[s], 0, __ATOMIC_RELAXED);

		while (sum) {
			size_t w = (size_t)s * 64 + (unsigned)__builtin_ctzll(sum);
			uint64_t bits = __atomic_exchange_n(&tlb_bits->wr[w], 0, __ATOMIC_RELAXED);
			uint64_t ex = __atomic_exchange_n(&tlb_bits->ex[w], 0, __ATOMIC_RELAXED);

			sum &= sum - 1;
			while (bits) {
				unsigned lo = (unsigned)__builtin_ctzll(bits), len;
				bool exec = (ex >> lo) & 1;
				uint64_t same = (exec ? bits & ex : bits & ~ex) >> lo;

				len = ~same ? (unsigned)__builtin_ctzll(~same) : 64;
				wp_add(&run, (uint64_t)w * 64 + lo, len, exec);
				bits &= ~word_mask(lo, len);
			}
		}
	}
	wp_emit(&run);
}

/* ---- flushing what a shootdown names ------------------------------------ */

static inline uint64_t vmalloc_start(void)
{
	return vm_boot_block->vmalloc_start;
}

static inline uint64_t vmalloc_end(void)
{
	return vm_boot_block->vmalloc_end;
}

/*
 * A kernel range: only the vmalloc area is ever another process's to
 * flush (the direct map is fixed, kmap slots are each process's own), so
 * the range is cut to it; a stray range never unmaps the direct map.
 */
static void flush_kernel_range(uint64_t start, uint64_t end)
{
	start = max(start, vmalloc_start()) & PAGE_MASK;
	end = ALIGN(min(end, vmalloc_end()), (uint64_t)PAGE_SIZE);
	if (start < end)
		host_unmap(kva_to_host(start), end - start);
}

/*
 * The kernel half of a whole flush. An area's range is not handed out
 * again until every running task flushed it (vmalloc.c), so a stale host
 * mapping can only lie where swapper_pg_dir now maps nothing: unmap
 * those runs and keep every live area mapped. Wiping the whole vmalloc
 * window instead would also drop the areas this process uses, which come
 * back through vmalloc_fault only while its fault handler is installed.
 * Reads page tables without a lock: a table freed under the walk gives
 * garbage, which at worst unmaps a live page (it faults back) or keeps a
 * page whose clearing is posted to this mailbox again.
 */
static void flush_kernel_stale(void)
{
	uint64_t kva = vmalloc_start(), end = vmalloc_end();
	uint64_t span = 1ull << pmd_shift((int)vm_boot_block->mode);
	uint64_t stale = 0;	/* start of the stale run under way, 0: none */
	struct pt_walk w;

	while (kva < end) {
		uint64_t next = kva + PAGE_SIZE;

		if (kernel_walk((uint32_t)kva, &w) == PT_WALK_MAPPED) {
			if (stale)
				host_unmap(kva_to_host(stale), kva - stale);
			stale = 0;
		} else {
			if (!stale)
				stale = kva;
			/* no page table: the rest of its span is stale too */
			if (w.last != PT_PTE)
				next = min((kva & ~(span - 1)) + span, end);
		}
		kva = next;
	}
	if (stale)
		host_unmap(kva_to_host(stale), end - stale);
}

/* Flush r[0..nr) (or everything, nr == TLB_FLUSH_ALL) in this process. */
static void flush_ranges(const struct tlb_range *r, uint32_t nr)
{
	uint32_t i;

	if (nr == TLB_FLUSH_ALL) {
		if (vm_user_base)
			flush_tlb_all();
		flush_kernel_stale();
		return;
	}
	for (i = 0; i < nr; i++) {
		uint64_t start = r[i].start & PAGE_MASK, end = (uint64_t)r[i].start + r[i].len;

		if (start < TASK_SIZE && vm_user_base)
			flush_tlb_range((uint32_t)start, (uint32_t)(min(end, (uint64_t)TASK_SIZE) - start));
		if (end > PAGE_OFFSET)
			flush_kernel_range(max(start, (uint64_t)PAGE_OFFSET), end);
	}
}

/* ---- the target's side -------------------------------------------------- */

/* The task whose mailbox this process answers: current, or (between
 * vm_task_enter marking the task running and setting current) the running
 * task that names this process. */
static struct task_struct *shootdown_task(void)
{
	struct task_struct *t = current;
	pid_t self;
	unsigned i;

	if (!vm_kdata)
		return NULL;
	self = host_getpid();
	if (t && t->host_pid == self)
		return t;
	for (i = 0; i < VM_MAX_TASKS; i++) {
		t = &vm_kdata->tasks.task[i];
		if (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) == TASK_RUNNING &&
		    t->host_pid == self)
			return t;
	}
	return NULL;
}

/* Take the ranges posted to t (this process's task), flush them, ack. */
static void shootdown_answer(struct task_struct *t)
{
	struct tlb_range r[TLB_MAILBOX_RANGES];
	struct tlb_mailbox *mb = &t->tlb;
	uint32_t req, nr;

	if (vm_lock_acquire(&mb->lock) == -EOWNERDEAD) {
		/* a sender died posting: its ranges may be half written */
		mb->nr = TLB_FLUSH_ALL;
		vm_lock_consistent(&mb->lock);
	}
	req = mb->req;
	nr = mb->nr;
	if (nr > TLB_MAILBOX_RANGES)
		nr = TLB_FLUSH_ALL;
	else
		memcpy(r, mb->range, nr * sizeof(r[0]));
	mb->nr = 0;
	vm_lock_release(&mb->lock);

	flush_ranges(r, nr);
	__atomic_store_n(&mb->ack, req, __ATOMIC_RELEASE);
	host_futex_wake(&mb->ack, INT_MAX);
}

static void shootdown_handler(int sig, siginfo_t *si, void *uctx)
{
	int saved_errno = errno;
	struct task_struct *t;

	(void)sig;
	(void)si;
	(void)uctx;
	t = shootdown_task();
	if (t)
		shootdown_answer(t);
	errno = saved_errno;
}

void tlb_answer_pending(void)
{
	struct task_struct *t = current;

	if (t && __atomic_load_n(&t->tlb.ack, __ATOMIC_ACQUIRE) !=
		 __atomic_load_n(&t->tlb.req, __ATOMIC_ACQUIRE))
		shootdown_answer(t);
}

/* ---- the sender's side -------------------------------------------------- */

/* Add r to the posted ranges, merging it with one it overlaps or touches;
 * a full mailbox becomes a whole flush. Mailbox lock held. */
static void mailbox_add(struct tlb_mailbox *mb, const struct tlb_range *r)
{
	uint64_t start = r->start, end = start + r->len;
	uint32_t i;

	if (mb->nr == TLB_FLUSH_ALL || !r->len)
		return;
	for (i = 0; i < mb->nr; i++) {
		struct tlb_range *p = &mb->range[i];
		uint64_t pend = (uint64_t)p->start + p->len;

		if (start <= pend && p->start <= end) {
			start = min(start, (uint64_t)p->start);
			end = max(end, pend);
			if (end - start > UINT32_MAX)
				break;
			p->start = (uint32_t)start;
			p->len = (uint32_t)(end - start);
			return;
		}
	}
	if (mb->nr >= TLB_MAILBOX_RANGES || end - start > UINT32_MAX) {
		mb->nr = TLB_FLUSH_ALL;
		return;
	}
	mb->range[mb->nr].start = r->start;
	mb->range[mb->nr].len = r->len;
	mb->nr++;
}

/* One target a sender waits for. */
struct shootdown_wait {
	struct task_struct *t;
	pid_t pid;			/* the host process signalled */
	uint32_t ticket;		/* the req it must ack */
};

/*
 * Post r[0..n) to t and signal its process: true when there is an ack to
 * wait for (filled in *sw); false when t runs no process, or runs this
 * one (flushed here at once), or its process is gone (and its mappings
 * with it). VM_SIG_SHOOTDOWN blocked: a process posting to a target that
 * is posting to it would otherwise take the target's lock in its handler
 * while the target holds its own.
 */
/* Does t run a process that may map user pages: a running task, or a
 * child fork has just made, which inherited its parent's host mappings
 * (and its handler) before it marks itself running? The child's signal
 * stays blocked until it leaves fork, by when it knows its task. */
static bool shootdown_target(const struct task_struct *t)
{
	uint32_t state = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);

	return state == TASK_RUNNING ||
	       (state == TASK_NEW && (__atomic_load_n(&t->flags, __ATOMIC_RELAXED) & PF_FORKNOEXEC));
}

static bool shootdown_post(struct task_struct *t, const struct tlb_range *r, unsigned n,
			   pid_t self, struct shootdown_wait *sw)
{
	struct tlb_mailbox *mb = &t->tlb;
	uint32_t ticket;
	unsigned i;
	pid_t pid;

	if (!shootdown_target(t))
		return false;
	pid = __atomic_load_n(&t->host_pid, __ATOMIC_RELAXED);
	if (pid <= 0)
		return false;
	if (pid == self) {
		flush_ranges(r, n);
		return false;
	}
	if (vm_lock_acquire(&mb->lock) == -EOWNERDEAD) {
		mb->nr = TLB_FLUSH_ALL;
		vm_lock_consistent(&mb->lock);
	}
	for (i = 0; i < n; i++)
		mailbox_add(mb, &r[i]);
	ticket = mb->req + 1;
	__atomic_store_n(&mb->req, ticket, __ATOMIC_RELEASE);
	vm_lock_release(&mb->lock);
	/* ESRCH: gone, and its mappings with it. EPERM: the pid is someone
	 * else's now, for the same reason. */
	if (host_kill(pid, VM_SIG_SHOOTDOWN) != 0)
		return false;
	sw->t = t;
	sw->pid = pid;
	sw->ticket = ticket;
	return true;
}

/*
 * Wait until sw's target acked or deadline passes: 0 or -ETIMEDOUT. A
 * target that stopped running its task, or whose process died, has no
 * mappings left to flush: 0. The futex wait returns early when this
 * process's own handler runs; the loop goes round.
 */
static int shootdown_wait(const struct shootdown_wait *sw, uint64_t deadline)
{
	struct task_struct *t = sw->t;

	for (;;) {
		uint32_t ack = __atomic_load_n(&t->tlb.ack, __ATOMIC_ACQUIRE);
		uint64_t now;

		if ((int32_t)(ack - sw->ticket) >= 0)
			return 0;
		if (!shootdown_target(t) ||
		    __atomic_load_n(&t->host_pid, __ATOMIC_RELAXED) != sw->pid)
			return 0;
		now = host_now_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		if (host_futex_wait(&t->tlb.ack, ack, min(deadline - now, SHOOTDOWN_SLICE_NS)) ==
			    -ETIMEDOUT &&
		    !host_pid_alive(sw->pid))
			return 0;
	}
}

static void shootdown_timed_out(const struct task_struct *t)
{
	printk("tlb: pid %d did not answer a shootdown", t->pid);
}

/* While waiting, answer shootdowns sent to this process (a target waiting
 * on us answers only after we do): only with the handler installed, as
 * the default action of a real-time signal is death. */
static void shootdown_wait_begin(void)
{
	if (shootdown_installed)
		host_signal_unblock(VM_SIG_SHOOTDOWN);
}

static void shootdown_restore(bool was_blocked)
{
	if (was_blocked)
		host_signal_block(VM_SIG_SHOOTDOWN);
	else
		host_signal_unblock(VM_SIG_SHOOTDOWN);
}

/* Wait for the acks of the nw targets posted in sw, at most timeout_ns in
 * all, answering this process's own shootdowns meanwhile: 0, or
 * -ETIMEDOUT when one did not answer (logged). */
static int shootdown_wait_all(const struct shootdown_wait *sw, unsigned nw, uint64_t timeout_ns)
{
	uint64_t deadline;
	unsigned i;
	int err = 0;

	if (!nw)
		return 0;
	shootdown_wait_begin();
	deadline = host_now_ns() + timeout_ns;
	for (i = 0; i < nw; i++) {
		if (shootdown_wait(&sw[i], deadline) != 0) {
			shootdown_timed_out(sw[i].t);
			err = -ETIMEDOUT;
		}
	}
	return err;
}

/*
 * The caller holds no lock: the target may be waiting for any lock before
 * it can leave the kernel and answer, and while the caller waits its own
 * handler may run and take its own mailbox lock.
 */
int tlb_shootdown(struct task_struct *t, const struct tlb_range *r, unsigned n,
		  uint64_t timeout_ns)
{
	struct shootdown_wait sw;
	bool was_blocked;
	int err;

	if (!n || !t)
		return 0;
	if (t == current) {
		flush_ranges(r, n);
		return 0;
	}
	was_blocked = host_signal_block(VM_SIG_SHOOTDOWN);
	err = shootdown_wait_all(&sw, shootdown_post(t, r, n, host_getpid(), &sw) ? 1 : 0,
				 timeout_ns);
	shootdown_restore(was_blocked);
	return err;
}

/* Flush r[0..n) here and in every other process that runs a task. */
static int shootdown_everyone(const struct tlb_range *r, unsigned n, uint64_t timeout_ns)
{
	struct shootdown_wait sw[VM_MAX_TASKS];
	unsigned i, nw = 0;
	bool was_blocked;
	pid_t self;
	int err;

	flush_ranges(r, n);
	self = host_getpid();
	was_blocked = host_signal_block(VM_SIG_SHOOTDOWN);
	for (i = 0; i < VM_MAX_TASKS; i++) {
		struct task_struct *t = &vm_kdata->tasks.task[i];

		if (t != current && shootdown_post(t, r, n, self, &sw[nw]))
			nw++;
	}
	err = shootdown_wait_all(sw, nw, timeout_ns);
	shootdown_restore(was_blocked);
	return err;
}

int tlb_shootdown_kernel(const struct tlb_range *r, unsigned n, uint64_t timeout_ns)
{
	return n ? shootdown_everyone(r, n, timeout_ns) : 0;
}

/* ---- batches: reclaim's shootdowns ---------------------------------------- */

void tlb_batch_add(struct tlb_batch *b, int32_t pid, uint32_t va)
{
	struct tlb_batch_task *bt = NULL;
	unsigned i;

	for (i = 0; i < b->nr; i++)
		if (b->task[i].pid == pid)
			bt = &b->task[i];
	if (!bt) {
		if (b->nr == TLB_BATCH_TASKS) {
			b->overflow = true;	/* flushed as everyone's whole flush */
			return;
		}
		bt = &b->task[b->nr++];
		bt->pid = pid;
		bt->n = 0;
		bt->all = false;
	}
	if (bt->all)
		return;
	/* extend the last range when the page follows it: reclaim walks
	 * neighbouring pages together */
	if (bt->n && bt->r[bt->n - 1].start + bt->r[bt->n - 1].len == va) {
		bt->r[bt->n - 1].len += PAGE_SIZE;
		return;
	}
	if (bt->n == TLB_MAILBOX_RANGES) {
		bt->all = true;
		return;
	}
	bt->r[bt->n].start = va;
	bt->r[bt->n].len = PAGE_SIZE;
	bt->n++;
}

int tlb_batch_flush(struct tlb_batch *b, uint64_t timeout_ns)
{
	static const struct tlb_range all = { 0, TASK_SIZE };
	struct shootdown_wait sw[TLB_BATCH_TASKS];
	unsigned i, nw = 0;
	bool was_blocked;
	pid_t self;
	int err;

	if (b->overflow) {
		/* more tasks than a batch holds: every task flushes its user
		 * window (rare: a page mapped by more than 64 tasks) */
		err = shootdown_everyone(&all, 1, timeout_ns);
		goto out;
	}
	if (!b->nr)
		return 0;
	self = host_getpid();
	was_blocked = host_signal_block(VM_SIG_SHOOTDOWN);
	for (i = 0; i < b->nr; i++) {
		struct tlb_batch_task *bt = &b->task[i];
		struct task_struct *t = find_task_by_pid(bt->pid);
		const struct tlb_range *r = bt->all ? &all : bt->r;
		unsigned n = bt->all ? 1 : bt->n;

		if (!t)
			continue;
		if (t == current)
			flush_ranges(r, n);
		else if (shootdown_post(t, r, n, self, &sw[nw]))
			nw++;
	}
	err = shootdown_wait_all(sw, nw, timeout_ns);
	shootdown_restore(was_blocked);
out:
	b->nr = 0;
	b->overflow = false;
	return err;
}

/* ---- the OOM killer's signal ----------------------------------------------- */

/* Blocked in the kernel like every catchable signal, so it runs only once
 * the guest is back in user code: there it turns into the SIGKILL the
 * OOM killer meant, with no kernel path cut in the middle. */
static void oom_kill_handler(int sig, siginfo_t *si, void *uctx)
{
	(void)sig;
	(void)si;
	(void)uctx;
	host_kill(host_getpid(), SIGKILL);
}

int oom_signal_install(void)
{
	return host_signal_install(VM_SIG_OOM_KILL, oom_kill_handler);
}

/* Sleep inside the kernel holding no lock another process could need to
 * answer us (the caller's own mm lock at most), answering the shootdowns
 * sent meanwhile: a reclaimer waiting for this process's ack would
 * otherwise wait out its timeout. */
void sleep_answering_shootdowns(uint64_t ns)
{
	bool was_blocked;

	if (!shootdown_installed) {
		host_sleep_ns(ns);
		return;
	}
	was_blocked = host_signal_block(VM_SIG_SHOOTDOWN);
	host_signal_unblock(VM_SIG_SHOOTDOWN);
	host_sleep_ns(ns);
	shootdown_restore(was_blocked);
}
