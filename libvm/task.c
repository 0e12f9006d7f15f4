/* task.c - guests: the task table in RAM, each task's mm and CR3, and the
 * life of a guest as the supervisor and the guest itself see it:
 *
 *   vmrun: vm_task_create   TASK_NEW      a task, an mm with a [stack] VMA (exec)
 *   guest: vm_task_enter    TASK_RUNNING  its host pid, fault handler, TLB
 *   guest: do_fork          TASK_NEW      a child: a copy-on-write mm, and a
 *                                         host process that enters it
 *   guest: vm_task_exit     TASK_ZOMBIE   every frame, table, VMA freed;
 *                                         children handed to the supervisor
 *   guest: vm_task_wait     TASK_DEAD     the parent collects its child
 *   vmrun: vm_task_died     (exits the task itself if the process died
 *                            without doing so: SIGKILL)
 *   vmrun: vm_task_reap     TASK_DEAD     the supervisor collects its own
 *
 * A forked child's host process is a sibling of its parent's (clone with
 * CLONE_PARENT): the supervisor is the host parent of every guest, so it
 * learns of every death, including a SIGKILL from outside, and runs the
 * exit the dead process could not. Guest parenthood lives in the table
 * (ppid); a child whose parent is gone belongs to the supervisor (ppid
 * 0) and is collected as soon as it is a zombie, as init reaps orphans.
 *
 * Guest pids count from 1 in creation order, wrapping at PID_MAX, and are
 * never those of a slot in use. task_table.lock guards slot allocation,
 * state and parent links; under it nothing else is taken but the log.
 * Each change under it is a store or two that leave the table whole, so
 * a holder killed in the middle costs only the count of tasks, which the
 * next locker recounts.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#define PID_MAX		32768

struct task_struct *current;
struct mm_struct *current_mm;

static struct task_table *tasks(void)
{
	return &vm_kdata->tasks;
}

static void task_lock(void)
{
	struct task_table *tt = tasks();
	unsigned i, n = 0;

	if (vm_lock_acquire(&tt->lock) != -EOWNERDEAD)
		return;
	for (i = 0; i < VM_MAX_TASKS; i++)
		if (tt->task[i].state != TASK_DEAD)
			n++;
	tt->nr_tasks = n;
	vm_lock_consistent(&tt->lock);
}

static void task_unlock(void)
{
	vm_lock_release(&tasks()->lock);
}

struct mm_struct *task_mm(const struct task_struct *t)
{
	uint32_t pa = t ? __atomic_load_n(&t->mm, __ATOMIC_ACQUIRE) : 0;

	/* a fresh claim (fork killed in the allocator) is no mm yet */
	return pa && !(pa & VM_CLAIM_FRESH) ? __va(pa) : NULL;
}

struct task_struct *find_task_by_pid(int pid)
{
	struct task_table *tt = tasks();
	unsigned i;

	if (pid <= 0)
		return NULL;
	for (i = 0; i < VM_MAX_TASKS; i++)
		if (tt->task[i].state != TASK_DEAD && tt->task[i].pid == pid)
			return &tt->task[i];
	return NULL;
}

struct task_struct *find_task_by_host_pid(pid_t host_pid)
{
	struct task_table *tt = tasks();
	unsigned i;

	for (i = 0; i < VM_MAX_TASKS; i++)
		if (tt->task[i].state != TASK_DEAD && tt->task[i].host_pid == host_pid)
			return &tt->task[i];
	return NULL;
}

/* The task a host process runs, zombies left out: a zombie's process may
 * be long gone and its pid given to another. */
static struct task_struct *find_live_task_by_host_pid(pid_t host_pid)
{
	struct task_table *tt = tasks();
	unsigned i;

	for (i = 0; i < VM_MAX_TASKS; i++)
		if (tt->task[i].state != TASK_DEAD && tt->task[i].state != TASK_ZOMBIE &&
		    tt->task[i].host_pid == host_pid)
			return &tt->task[i];
	return NULL;
}

/* ---- mm ----------------------------------------------------------------- */

/* The address space goes: every frame, table and VMA, then the mm. A
 * process that died inside its own fault handler leaves its mmap_lock
 * marked; the mm dies with it, so it is taken either way. An exit killed
 * half way is run again by the reaper (exit_mmap goes on where it
 * stopped); t (if any) lets go of the mm as it is freed, under the slab
 * lock, so a kill never leaves the mm freed and still named. */
static void mm_drop(struct task_struct *t, struct mm_struct *mm)
{
	vm_lock_acquire(&mm->mmap_lock);
	exit_mmap(mm);
	vm_lock_release(&mm->mmap_lock);
	kmem_cache_free_clear(__va(tasks()->mm_cache), mm, t ? &t->mm : NULL);
}

/* A fresh address space as exec leaves one: a directory, the layout's
 * bases, and a [stack] VMA at the top of user space. */
static struct mm_struct *mm_alloc(void)
{
	struct mm_struct *mm = kmem_cache_zalloc(__va(tasks()->mm_cache), GFP_KERNEL);
	long r;

	if (!mm)
		return NULL;
	vm_lock_init(&mm->mmap_lock);
	mm->task_size = TASK_SIZE;
	mm->mmap_base = STACK_TOP - MMAP_GAP;
	mm->start_brk = mm->brk = DEFAULT_START_BRK;
	mm->start_stack = STACK_TOP;
	mm->stack_rlimit = STACK_RLIMIT;
	mm->map_count_max = DEFAULT_MAP_COUNT_MAX;
	if (pgd_alloc(mm)) {
		kmem_cache_free(__va(tasks()->mm_cache), mm);
		return NULL;
	}
	r = mm_mmap(mm, STACK_TOP - STACK_INIT_SIZE, STACK_INIT_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, -1, 0);
	if (r < 0) {
		mm_drop(NULL, mm);
		return NULL;
	}
	return mm;
}

/* ---- the task table ----------------------------------------------------- */

/* A free slot with the next pid, TASK_NEW and no mm yet: the task, or
 * NULL when the table is full. task_table.lock held. */
static struct task_struct *task_alloc(const char *comm, int ppid, uint32_t flags)
{
	struct task_table *tt = tasks();
	struct task_struct *t = NULL;
	unsigned i;
	int pid;

	for (i = 0; i < VM_MAX_TASKS && !t; i++)
		if (tt->task[i].state == TASK_DEAD)
			t = &tt->task[i];
	if (!t)
		return NULL;
	/* the next pid not in use (the table is smaller than PID_MAX) */
	do {
		pid = tt->last_pid = tt->last_pid % (PID_MAX - 1) + 1;
	} while (find_task_by_pid(pid));
	memset(t, 0, sizeof(*t));
	memset(&vm_kdata->reclaim.note[t - tt->task], 0, sizeof(struct reclaim_note));
	t->pid = pid;
	t->ppid = ppid;
	t->flags = flags;
	t->start_ns = host_realtime_ns();
	snprintf(t->comm, sizeof(t->comm), "%s", comm ? comm : "guest");
	/* the slot is taken once its state says so */
	__atomic_store_n(&t->state, TASK_NEW, __ATOMIC_RELEASE);
	tt->nr_tasks++;
	return t;
}

/* Give the slot back (the task holds no mm). task_table.lock held. */
static void task_free(struct task_struct *t)
{
	__atomic_store_n(&t->state, TASK_DEAD, __ATOMIC_RELEASE);
	memset(t, 0, sizeof(*t));
	tasks()->nr_tasks--;
}

int vm_task_create(const char *comm, int ppid)
{
	struct mm_struct *mm = mm_alloc();
	struct task_struct *t;

	if (!mm)
		return -ENOMEM;
	task_lock();
	t = task_alloc(comm, ppid, 0);
	if (!t) {
		task_unlock();
		mm_drop(NULL, mm);
		return -EAGAIN;
	}
	mm->owner = (uint32_t)t->pid;
	t->cr3 = mm->pgd;
	__atomic_store_n(&t->mm, (uint32_t)__pa(mm), __ATOMIC_RELEASE);
	task_unlock();
	return t->pid;
}

int vm_task_enter(int pid)
{
	struct task_struct *t = find_task_by_pid(pid);
	int err;

	if (!t || t->state == TASK_ZOMBIE || !task_mm(t))
		return -ESRCH;
	if (current)
		return -EBUSY;
	err = tlb_init(vm_boot_block->tlb_entries);
	if (err)
		return err;
	err = fault_handler_install();
	if (err) {
		tlb_exit();
		return err;
	}
	task_lock();
	t->host_pid = getpid();
	t->state = TASK_RUNNING;
	task_unlock();
	current_mm = task_mm(t);
	current = t;
	return 0;
}

void vm_task_leave(void)
{
	if (!current)
		return;
	flush_tlb_all();
	fault_handler_remove();
	tlb_exit();
	current = NULL;
	current_mm = NULL;
}

/*
 * A host fork() of a guest copies its host mappings, which are MAP_SHARED:
 * the child would write its parent's frames behind the page tables'
 * back. So the child drops the user window and stops being the guest;
 * its next touch of the window is a crash, not a corruption. (vm_fork
 * makes a child that is a guest of its own.)
 */
void task_after_fork(void)
{
	if (!current)
		return;
	flush_tlb_all();
	current = NULL;
	current_mm = NULL;
}

/*
 * t's children lose their parent (task_table.lock held): a child fork
 * left half made (no host process ever entered it: t died inside
 * do_fork) goes to *orphan for the caller to free; the others pass to
 * the supervisor, and those already zombies are collected now.
 */
static struct task_struct *forget_children(struct task_struct *t)
{
	struct task_table *tt = tasks();
	struct task_struct *half = NULL;
	unsigned i;

	for (i = 0; i < VM_MAX_TASKS; i++) {
		struct task_struct *c = &tt->task[i];

		if (c->state == TASK_DEAD || c->ppid != t->pid || c == t)
			continue;
		if (c->state == TASK_NEW && c->host_pid == 0 && (c->flags & PF_FORKNOEXEC)) {
			half = c;
			continue;
		}
		c->ppid = 0;
		if (c->state == TASK_ZOMBIE)
			task_free(c);
	}
	return half;
}

void vm_task_exit(struct task_struct *t, int status)
{
	struct task_struct *half, *parent;
	struct mm_struct *mm;

	if (!t)
		return;
	task_lock();
	t->flags |= PF_EXITING;
	if (t->mm & VM_CLAIM_FRESH) {
		/* fork was killed with the mm just allocated */
		kmem_cache_free_claimed(__va(tasks()->mm_cache), __va(t->mm & ~VM_CLAIM_FRESH));
		t->mm = 0;
	}
	mm = task_mm(t);
	if (mm && mm->hiwater_rss > t->hiwater_rss)
		t->hiwater_rss = mm->hiwater_rss;
	if (t->state != TASK_ZOMBIE)
		t->exit_code = status;
	half = forget_children(t);
	task_unlock();
	if (half) {
		/* at most one: a task forks one child at a time */
		vm_task_exit(half, SIGKILL);
		task_lock();
		if (half->state == TASK_ZOMBIE)
			task_free(half);
		task_unlock();
	}
	if (mm) {
		if (t == current) {
			flush_tlb_all();
			current_mm = NULL;
		}
		mm_drop(t, mm);
	}
	task_lock();
	if (t->state == TASK_DEAD) {
		task_unlock();
		return;
	}
	t->cr3 = 0;
	t->state = TASK_ZOMBIE;
	/* the OOM killer's victim gave its memory back: the next may go */
	__atomic_compare_exchange_n(&vm_kdata->reclaim.oom_victim, &(uint32_t){ (uint32_t)t->pid },
				    0, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	parent = t->ppid ? find_task_by_pid(t->ppid) : NULL;
	if (parent && parent->state != TASK_ZOMBIE) {
		__atomic_fetch_add(&parent->wait_seq, 1, __ATOMIC_RELEASE);
		host_futex_wake(&parent->wait_seq, 1);
	} else if (t->flags & PF_FORKNOEXEC) {
		/* nobody will wait: the supervisor's, collected at once */
		t->ppid = 0;
		task_free(t);
	}
	task_unlock();
}

int vm_task_reap(int pid, struct task_struct *out)
{
	struct task_struct *t = find_task_by_pid(pid);

	if (!t)
		return -ESRCH;
	if (t == current)
		vm_task_leave();
	if (t->state != TASK_ZOMBIE)
		vm_task_exit(t, t->exit_code);
	task_lock();
	if (out)
		*out = *t;
	if (t->state != TASK_DEAD)
		task_free(t);
	task_unlock();
	return 0;
}

struct task_struct *vm_task_died(pid_t host_pid, int wait_status)
{
	struct task_struct *t;

	/* Under the lock: a child that exited by itself may have been
	 * collected by its parent already, and its slot taken by a new
	 * fork, which must not be mistaken for it. A task not yet a zombie
	 * stays this process's: only zombies are collected. */
	task_lock();
	t = find_live_task_by_host_pid(host_pid);
	task_unlock();
	if (!t)
		return NULL;		/* exited by itself */
	{
		struct mm_struct *mm = task_mm(t);

		if (t->free_transit || t->alloc_transit || (mm && (mm->inflight_pfn ||
		    mm->inflight_vma || mm->inflight_anon_vma)))
			printk("%s[%d]: killed in the kernel: note %u pfn %#x old %#x va %#x, vma %#x, "
			       "anon_vma %#x, freeing %#x, slab page %#x", t->comm, t->pid,
			       mm ? mm->inflight_kind : 0, mm ? mm->inflight_pfn : 0,
			       mm ? mm->inflight_old_pfn : 0, mm ? mm->inflight_va : 0,
			       mm ? mm->inflight_vma : 0, mm ? mm->inflight_anon_vma : 0,
			       t->free_transit, t->alloc_transit);
	}
	free_transit_release(__atomic_exchange_n(&t->free_transit, 0, __ATOMIC_RELAXED));
	slab_transit_release(__atomic_exchange_n(&t->alloc_transit, 0, __ATOMIC_RELAXED));
	reclaim_note_release(t);
	if (WIFSIGNALED(wait_status))
		t->flags |= PF_SIGNALED;
	vm_task_exit(t, wait_status);
	return t->state == TASK_DEAD ? NULL : t;
}

/* ---- fork and wait ------------------------------------------------------ */

/*
 * fork(2) for the current task: a child task whose mm is a copy-on-write
 * copy of ours, and a host process for it. The order keeps a kill at any
 * point whole: the slot first (so the reaper finds the child's mm from
 * the moment it exists), then the mm filled under our mmap_lock, our host
 * mappings made read-only (the child inherits them so, matching its
 * PTEs), and the host process last, whose pid the host kernel itself
 * writes into the slot (CLONE_PARENT_SETTID) before either process runs
 * again: a slot with host_pid 0 never had a process, and the reaper of a
 * parent killed in here frees it.
 */
int do_fork(void)
{
	struct task_struct *parent = current, *t;
	struct mm_struct *oldmm = current_mm, *mm;
	long host;
	int err;

	task_lock();
	t = task_alloc(parent->comm, parent->pid, PF_FORKNOEXEC);
	task_unlock();
	if (!t)
		return -EAGAIN;
	/* the allocator names it in the slot (fresh) before it returns */
	vm_claim_obj = &t->mm;
	mm = kmem_cache_zalloc(__va(tasks()->mm_cache), GFP_KERNEL);
	vm_claim_obj = NULL;
	if (!mm) {
		err = -ENOMEM;
		goto out_free;
	}
	__atomic_store_n(&t->mm, (uint32_t)__pa(mm), __ATOMIC_RELEASE);
	vm_lock_init(&mm->mmap_lock);
	mm->owner = (uint32_t)t->pid;
	if (pgd_alloc(mm)) {
		err = -ENOMEM;
		goto out_free;
	}
	t->cr3 = mm->pgd;
	mmap_lock_own(oldmm);
	/* the child's too: reclaim may find its VMAs on an anon_vma list
	 * as soon as they are linked, and must wait for its counts */
	vm_lock_acquire(&mm->mmap_lock);
	err = dup_mmap(mm, oldmm);
	if (err) {
		vm_lock_release(&mm->mmap_lock);
		vm_lock_release(&oldmm->mmap_lock);
		goto out_free;
	}
	/* Both locks stay held until the child's process exists. The child
	 * inherits this process's host mappings: were a page unmapped from
	 * the two mms before then, its shootdown would find no process for
	 * the child, which would keep a mapping of a frame reclaim frees.
	 * The child never touches the locks: their words name this thread.
	 * A shootdown posted to this process before the locks were taken,
	 * which it could not answer in the kernel, is answered now: the
	 * child must not inherit the mappings it names (no new one can come
	 * while the locks are held). */
	tlb_answer_pending();
	tlb_write_protect_all();
	host = host_clone_sibling(&t->host_pid);
	if (host != 0) {
		vm_lock_release(&mm->mmap_lock);
		vm_lock_release(&oldmm->mmap_lock);
	}
	if (host < 0) {
		err = (int)host;
		goto out_free;
	}
	if (host == 0) {
		/* the child: this process is t from here. It starts with no
		 * host mapping of its own: the ones it inherited were made
		 * for its parent's PTEs, and a shootdown sent to the parent
		 * from now on does not reach them */
		flush_tlb_all();
		vm_lock_after_fork();
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		current = t;
		current_mm = mm;
		task_lock();
		t->state = TASK_RUNNING;
		task_unlock();
		return 0;
	}
	parent->nr_forks++;
	return t->pid;

out_free:
	vm_task_exit(t, 0);
	task_lock();
	if (t->state != TASK_DEAD)
		task_free(t);
	task_unlock();
	return err;
}

int vm_task_wait(int pid, int *status, int options)
{
	struct task_table *tt = tasks();
	struct task_struct *me = current;
	unsigned i, children = 0;

	task_lock();
	for (i = 0; i < VM_MAX_TASKS; i++) {
		struct task_struct *c = &tt->task[i];
		int cpid;

		if (c->state == TASK_DEAD || c->ppid != me->pid || (pid > 0 && c->pid != pid))
			continue;
		children++;
		if (c->state != TASK_ZOMBIE)
			continue;
		cpid = c->pid;
		if (status)
			*status = c->exit_code;
		task_free(c);
		task_unlock();
		return cpid;
	}
	task_unlock();
	if (!children)
		return -ECHILD;
	(void)options;
	return 0;
}

int vm_task_kill(int pid, int sig)
{
	struct task_struct *t = find_task_by_pid(pid);
	pid_t host;

	if (sig < 0 || sig >= NSIG)
		return -EINVAL;
	if (!t)
		return -ESRCH;
	if (t->state == TASK_ZOMBIE)
		return 0;		/* Linux: a zombie takes the signal and ignores it */
	host = __atomic_load_n(&t->host_pid, __ATOMIC_ACQUIRE);
	if (host <= 0)
		return -ESRCH;
	return kill(host, sig) < 0 ? -errno : 0;
}

/* ---- the machine's kernel threads (kswapd, the flusher) ------------------ */

pid_t kthread_run(const char *name, void (*fn)(void), int32_t *pid_slot)
{
	pid_t parent = getpid(), pid;

	if (__atomic_load_n(pid_slot, __ATOMIC_ACQUIRE))
		return -EBUSY;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		setpgid(0, 0);
		prctl(PR_SET_NAME, name);
		vm_lock_after_fork();
		task_after_fork();
		/* its own pid is in the slot before it works: what it asks of
		 * itself (the flusher's hold of a file) it knows to do itself */
		__atomic_store_n(pid_slot, getpid(), __ATOMIC_RELEASE);
		fn();
		_exit(0);
	}
	setpgid(pid, pid);
	__atomic_store_n(pid_slot, pid, __ATOMIC_RELEASE);
	return pid;
}

void kthread_stop(int32_t *pid_slot, uint32_t *wait_word, uint32_t *state)
{
	pid_t pid = *pid_slot;
	int status;

	if (!pid)
		return;
	kill(pid, SIGTERM);
	__atomic_add_fetch(wait_word, 1, __ATOMIC_RELEASE);
	host_futex_wake(wait_word, 1);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	vm_lock_mark_dead_owner(pid);
	*pid_slot = 0;
	*state = 0;
}
