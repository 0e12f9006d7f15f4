/* oom_kill.c - the OOM killer: when reclaim freed nothing for many rounds
 * and an allocation must still fail, one guest dies so the others can go
 * on. The victim is the one whose death gives back the most: resident
 * pages, swap entries and page tables (Linux's oom_badness with every
 * oom_score_adj 0). The line it logs is Linux's.
 *
 * The kill. The victim may be anywhere, in the kernel too, holding locks
 * and halfway through a change. So the signal it gets first is one that
 * every kernel path blocks (VM_SIG_OOM_KILL): it arrives when the victim
 * leaves the kernel, and there becomes SIGKILL, as Linux's SIGKILL takes
 * effect on the way back to user mode. A victim that is itself waiting
 * for memory sees PF_MEMDIE and fails its allocation, leaving the same
 * way. One victim at a time: while it lives the others wait for it
 * (reclaim_state.oom_victim). A victim that has not died after a while
 * (a program that blocked the signal, a stopped one) gets SIGKILL itself.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define OOM_KILL_GRACE_NS	(3ull * 1000000000ull)

static unsigned long oom_badness(const struct mm_struct *mm)
{
	int64_t pts = mm->rss_stat[MM_ANONPAGES] + mm->rss_stat[MM_FILEPAGES] +
		      mm->rss_stat[MM_SHMEMPAGES] + mm->rss_stat[MM_SWAPENTS] + mm->nr_ptes;

	return pts > 0 ? (unsigned long)pts : 0;
}

static struct task_struct *select_bad_process(unsigned long *points)
{
	struct task_struct *chosen = NULL;
	unsigned i;

	*points = 0;
	for (i = 0; i < VM_MAX_TASKS; i++) {
		struct task_struct *t = &vm_kdata->tasks.task[i];
		struct mm_struct *mm;
		unsigned long p;

		if (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != TASK_RUNNING ||
		    (t->flags & (PF_EXITING | PF_MEMDIE)) || t->host_pid <= 0)
			continue;
		mm = task_mm(t);
		if (!mm)
			continue;
		p = oom_badness(mm);
		if (!chosen || p > *points) {
			chosen = t;
			*points = p;
		}
	}
	return chosen;
}

/* The victim still living, or NULL (and the slot cleared). */
static struct task_struct *oom_victim_alive(struct reclaim_state *rs)
{
	uint32_t pid = __atomic_load_n(&rs->oom_victim, __ATOMIC_ACQUIRE);
	struct task_struct *t;

	if (!pid)
		return NULL;
	t = find_task_by_pid((int)pid);
	if (t && __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) == TASK_RUNNING &&
	    host_pid_alive(t->host_pid))
		return t;
	__atomic_compare_exchange_n(&rs->oom_victim, &pid, 0, false, __ATOMIC_RELEASE,
				    __ATOMIC_RELAXED);
	return NULL;
}

bool out_of_memory(gfp_t gfp_mask, unsigned order)
{
	static uint64_t victim_since;
	struct reclaim_state *rs = &vm_kdata->reclaim;
	struct task_struct *victim;
	struct mm_struct *mm;
	unsigned long points;
	uint32_t none = 0;

	victim = oom_victim_alive(rs);
	if (victim) {
		/* one at a time; a victim that will not die is made to */
		if (victim_since && host_now_ns() - victim_since > OOM_KILL_GRACE_NS) {
			printk("oom_kill: pid %d (%s) still alive: SIGKILL", victim->pid, victim->comm);
			host_kill(victim->host_pid, SIGKILL);
			victim_since = host_now_ns();
		}
		return true;
	}
	victim = select_bad_process(&points);
	if (!victim) {
		printk("Out of memory and no killable processes...");
		return false;
	}
	if (!__atomic_compare_exchange_n(&rs->oom_victim, &none, (uint32_t)victim->pid, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return true;		/* another process chose one first */
	victim_since = host_now_ns();
	mm = task_mm(victim);
	printk("%s invoked oom-killer: gfp_mask=%#x, order=%u, oom_score_adj=0",
	       current ? current->comm : "kswapd0", gfp_mask, order);
	printk("Mem-Info: free:%lu swap free:%lu swapcache:%lu active_anon:%lu inactive_anon:%lu",
	       nr_free_frames(), nr_swap_pages(), total_swapcache_pages(),
	       global_node_page_state(NR_ACTIVE_ANON), global_node_page_state(NR_INACTIVE_ANON));
	printk("Out of memory: Killed process %d (%s) total-vm:%llukB, anon-rss:%llukB, "
	       "file-rss:%llukB, shmem-rss:%llukB, UID:%u pgtables:%ukB oom_score_adj:0",
	       victim->pid, victim->comm,
	       mm ? (unsigned long long)mm->total_vm << (PAGE_SHIFT - 10) : 0ull,
	       mm ? (unsigned long long)mm->rss_stat[MM_ANONPAGES] << (PAGE_SHIFT - 10) : 0ull,
	       mm ? (unsigned long long)mm->rss_stat[MM_FILEPAGES] << (PAGE_SHIFT - 10) : 0ull,
	       mm ? (unsigned long long)mm->rss_stat[MM_SHMEMPAGES] << (PAGE_SHIFT - 10) : 0ull,
	       (unsigned)getuid(), mm ? mm->nr_ptes << (PAGE_SHIFT - 10) : 0u);
	__atomic_fetch_or(&victim->flags, PF_MEMDIE | PF_SIGNALED, __ATOMIC_RELEASE);
	rs->oom_kills++;
	count_vm_event(OOM_KILL);
	if (victim != current)
		host_kill(victim->host_pid, VM_SIG_OOM_KILL);
	return true;
}
