/* task.c - guests: the task table in RAM, each task's mm and CR3, and the
 * life of a guest as the supervisor and the guest itself see it:
 *
 *   vmrun: vm_task_create   TASK_NEW      a task, an mm with a [stack] VMA (exec)
 *   guest: vm_task_enter    TASK_RUNNING  its host pid, fault handler, TLB
 *   guest: vm_task_exit     TASK_ZOMBIE   every frame, table, VMA freed
 *   vmrun: vm_task_reap     TASK_DEAD     (and exits the task itself if the
 *                                          process died without doing so)
 *
 * Guest pids count from 1 in creation order, wrapping at PID_MAX, and are
 * never those of a slot in use. task_table.lock guards slot allocation
 * and state; nothing else is taken under it but the log.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
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
	vm_lock_or_panic(&tasks()->lock, "task_table.lock");
}

static void task_unlock(void)
{
	vm_lock_release(&tasks()->lock);
}

struct mm_struct *task_mm(const struct task_struct *t)
{
	uint32_t pa = t ? __atomic_load_n(&t->mm, __ATOMIC_ACQUIRE) : 0;

	return pa ? __va(pa) : NULL;
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

/* ---- mm ----------------------------------------------------------------- */

/* The address space goes: every frame, table and VMA, then the mm. A
 * process that died inside its own fault handler leaves its mmap_lock
 * marked; the mm dies with it, so it is taken either way. */
static void mm_drop(struct mm_struct *mm)
{
	vm_lock_acquire(&mm->mmap_lock);
	exit_mmap(mm);
	vm_lock_release(&mm->mmap_lock);
	kmem_cache_free(__va(tasks()->mm_cache), mm);
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
		mm_drop(mm);
		return NULL;
	}
	return mm;
}

/* ---- the task table ----------------------------------------------------- */

int vm_task_create(const char *comm, int ppid)
{
	struct task_table *tt = tasks();
	struct task_struct *t = NULL;
	struct mm_struct *mm = mm_alloc();
	unsigned i;
	int pid;

	if (!mm)
		return -ENOMEM;
	task_lock();
	for (i = 0; i < VM_MAX_TASKS && !t; i++)
		if (tt->task[i].state == TASK_DEAD)
			t = &tt->task[i];
	if (!t) {
		task_unlock();
		mm_drop(mm);
		return -EAGAIN;
	}
	/* the next pid not in use (the table is smaller than PID_MAX) */
	do {
		pid = tt->last_pid = tt->last_pid % (PID_MAX - 1) + 1;
	} while (find_task_by_pid(pid));
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->ppid = ppid;
	t->start_ns = host_realtime_ns();
	snprintf(t->comm, sizeof(t->comm), "%s", comm ? comm : "guest");
	mm->owner = (uint32_t)pid;
	t->cr3 = mm->pgd;
	__atomic_store_n(&t->mm, (uint32_t)__pa(mm), __ATOMIC_RELEASE);
	__atomic_store_n(&t->state, TASK_NEW, __ATOMIC_RELEASE);
	tt->nr_tasks++;
	task_unlock();
	return pid;
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

void vm_task_exit(struct task_struct *t, int status)
{
	struct mm_struct *mm;

	if (!t)
		return;
	task_lock();
	mm = task_mm(t);
	t->flags |= PF_EXITING;
	if (mm) {
		__atomic_store_n(&t->mm, 0, __ATOMIC_RELEASE);
		t->cr3 = 0;
		if (mm->hiwater_rss > t->hiwater_rss)
			t->hiwater_rss = mm->hiwater_rss;
	}
	t->exit_code = status;
	t->state = TASK_ZOMBIE;
	task_unlock();
	if (!mm)
		return;
	if (t == current) {
		flush_tlb_all();
		current_mm = NULL;
	}
	mm_drop(mm);
}

int vm_task_reap(int pid, struct task_struct *out)
{
	struct task_struct *t = find_task_by_pid(pid);

	if (!t)
		return -ESRCH;
	if (t == current)
		vm_task_leave();
	if (task_mm(t))
		vm_task_exit(t, t->exit_code);
	task_lock();
	if (out)
		*out = *t;
	memset(t, 0, sizeof(*t));
	tasks()->nr_tasks--;
	task_unlock();
	return 0;
}
