/* lock.c - process-shared robust locks in RAM (DESIGN §8): a futex word
 * holding the owner's host tid. Uncontended, a lock is one compare-and-swap
 * and an unlock one exchange. Contended, a locker spins briefly (the owner
 * is usually running on the other CPU), then sleeps on the futex. A sleeper
 * wakes at least every VM_LOCK_CHECK_NS to see whether the owner died; a
 * dead owner's lock passes to it with -EOWNERDEAD.
 *
 * Tried glibc's robust pthread mutexes: the kernel's robust list hands
 * over a dead owner's lock at once, but the word's layout is glibc's, the
 * dump tool could not name the owner, and the robust-list bookkeeping
 * doubled the uncontended cost of the per-CPU page lists.
 */
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "internal.h"

#define VM_LOCK_SPINS		200
#define VM_LOCK_CHECK_NS	20000000ull	/* 20 ms between owner checks */

pid_t vm_self_tid;

void vm_lock_init(struct vm_lock *l)
{
	l->word = 0;
	l->contended = 0;
}

void vm_lock_after_fork(void)
{
	vm_self_tid = gettid();
}

static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}

/* Try to take the lock from a dead owner whose word we saw as seen. */
static int take_from_dead(struct vm_lock *l, uint32_t seen)
{
	uint32_t mine = (uint32_t)vm_self_tid | VM_LOCK_WAITERS;

	if (__atomic_compare_exchange_n(&l->word, &seen, mine, false,
					__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return -EOWNERDEAD;
	return 1;	/* the word changed: go round again */
}

int vm_lock_acquire_slow(struct vm_lock *l)
{
	uint32_t tid = (uint32_t)vm_self_tid, v, expected;
	int spins;

	BUG_ON(tid == 0);
	__atomic_fetch_add(&l->contended, 1, __ATOMIC_RELAXED);
	for (spins = 0; spins < VM_LOCK_SPINS; spins++) {
		v = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
		if (v == 0) {
			expected = 0;
			if (__atomic_compare_exchange_n(&l->word, &expected, tid, false,
							__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				return 0;
		} else if (v & VM_LOCK_OWNER_DIED) {
			break;
		}
		cpu_relax();
	}

	for (;;) {
		v = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
		if (v == 0) {
			/* Others may still sleep: keep the waiters bit. */
			expected = 0;
			if (__atomic_compare_exchange_n(&l->word, &expected,
							tid | VM_LOCK_WAITERS, false,
							__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				return 0;
			continue;
		}
		if ((v & VM_LOCK_TID_MASK) == tid && !(v & VM_LOCK_OWNER_DIED))
			BUG();		/* recursive locking: would deadlock */
		if (v & VM_LOCK_OWNER_DIED) {
			int r = take_from_dead(l, v);
			if (r < 0)
				return r;
			continue;
		}
		if (!(v & VM_LOCK_WAITERS)) {
			expected = v;
			if (!__atomic_compare_exchange_n(&l->word, &expected, v | VM_LOCK_WAITERS,
							 false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
				continue;
			v |= VM_LOCK_WAITERS;
		}
		if (host_futex_wait(&l->word, v, VM_LOCK_CHECK_NS) == -ETIMEDOUT &&
		    !host_pid_alive((pid_t)(v & VM_LOCK_TID_MASK))) {
			int r = take_from_dead(l, v);
			if (r < 0)
				return r;
		}
	}
}

void vm_lock_wake(struct vm_lock *l)
{
	host_futex_wake(&l->word, 1);
}

void vm_lock_consistent(struct vm_lock *l)
{
	(void)l;	/* the word already names us; nothing is pending */
}

void vm_lock_or_panic(struct vm_lock *l, const char *what)
{
	if (vm_lock_acquire(l) == -EOWNERDEAD)
		vm_panic("%s: owner died holding the lock; state cannot be repaired", what);
}

/* Mark one lock if dead_tid holds it. */
static unsigned mark_one(struct vm_lock *l, uint32_t dead_tid)
{
	uint32_t v = __atomic_load_n(&l->word, __ATOMIC_RELAXED);

	while ((v & VM_LOCK_TID_MASK) == dead_tid && !(v & VM_LOCK_OWNER_DIED)) {
		if (__atomic_compare_exchange_n(&l->word, &v, v | VM_LOCK_OWNER_DIED, false,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
			host_futex_wake(&l->word, 1);
			return 1;
		}
	}
	return 0;
}

/* The locks a guest can hold in this layout: zones, per-CPU lists, the
 * slab caches, vmalloc, the task table, mms, the log. Called by the
 * reaper before it reaps; the free lists are repaired at once, so the
 * exit it then runs frees into lists that are whole. */
unsigned vm_lock_mark_dead_owner(pid_t tid)
{
	struct pglist_data *pgdat = NODE_DATA();
	struct slab_state *ss = &vm_kdata->slab;
	unsigned n = 0, z, cpu;
	uint32_t pa, guard = 0;

	for (z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &pgdat->node_zones[z];
		n += mark_one(&zone->lock, (uint32_t)tid);
		for (cpu = 0; cpu < VM_NR_CPUS; cpu++)
			n += mark_one(&zone->pcp[cpu].lock, (uint32_t)tid);
	}
	n += mark_one(&ss->slab_mutex, (uint32_t)tid);
	n += mark_one(&ss->stat_lock, (uint32_t)tid);
	/* The dead owner may have left the list half linked: check each link. */
	for (pa = ss->first; pa && guard++ < 100000; pa = ((struct kmem_cache *)__va(pa))->next) {
		if (pa > (max_low_pfn << PAGE_SHIFT) - sizeof(struct kmem_cache))
			break;
		n += mark_one(&((struct kmem_cache *)__va(pa))->lock, (uint32_t)tid);
	}
	n += mark_one(&vm_kdata->vmap.lock, (uint32_t)tid);
	n += mark_one(&vm_kdata->tasks.lock, (uint32_t)tid);
	n += mark_one(&vm_kdata->tasks.pgd_lock, (uint32_t)tid);
	for (z = 0; z < VM_MAX_TASKS; z++) {
		pa = vm_kdata->tasks.task[z].mm;
		if (pa && pa <= (max_low_pfn << PAGE_SHIFT) - sizeof(struct mm_struct))
			n += mark_one(&((struct mm_struct *)__va(pa))->mmap_lock, (uint32_t)tid);
	}
	n += mark_one(&((struct vm_log *)__va(vm_boot_block->log_pa))->lock, (uint32_t)tid);
	if (n)
		zone_settle_dead_locks();
	return n;
}
