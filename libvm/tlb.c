/* tlb.c - the host MMU as the emulated machine's TLB (DESIGN §7). A guest
 * reaches a page of its user window only while this process holds a host
 * mapping of the page's frame; that mapping is the TLB entry. Entries are
 * made by the fault handler from the PTEs (never granting more than they
 * do), dropped by local flushes when this process changes its own PTEs,
 * and evicted when the TLB is full: the next access then takes a cheap
 * TLB-miss fault that refills it from the page tables.
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
 * Everything here is async-signal-safe: the fault handler calls it.
 */
#include <string.h>

#include "internal.h"

static unsigned tlb_cap, tlb_count;

static inline void *window(uint32_t va)
{
	return (void *)(vm_user_base + va);
}

int tlb_init(unsigned entries)
{
	if (entries < VM_TLB_MIN)
		entries = VM_TLB_MIN;
	if (entries > VM_TLB_MAX)
		entries = VM_TLB_MAX;
	tlb_cap = entries;
	tlb_count = 0;
	return 0;
}

void tlb_exit(void)
{
	tlb_cap = tlb_count = 0;
}

int tlb_install(const struct tlb_fill *f)
{
	int err;

	if (tlb_count >= tlb_cap)
		flush_tlb_all();
	err = host_map_user(window(f->va), f->pfn << PAGE_SHIFT, (size_t)f->npages << PAGE_SHIFT,
			    f->writable, f->exec);
	if (err == -ENOMEM && tlb_count) {
		/* The host ran out of mappings (max_map_count): flush and retry. */
		flush_tlb_all();
		err = host_map_user(window(f->va), f->pfn << PAGE_SHIFT,
				    (size_t)f->npages << PAGE_SHIFT, f->writable, f->exec);
	}
	if (!err)
		tlb_count++;
	return err;
}

int tlb_install_zeroed(const struct tlb_fill *f)
{
	struct tlb_fill w = *f;
	size_t len = (size_t)f->npages << PAGE_SHIFT;
	int err;

	w.writable = true;
	err = tlb_install(&w);
	if (err)
		return err;
	memset(window(f->va), 0, len);
	if (!f->writable)
		err = host_protect(window(f->va), len, false, f->exec);
	return err;
}

void flush_tlb_range(uint32_t va, uint32_t len)
{
	if (len)
		host_unmap(window(va), len);
}

/* The whole user half, in one host call. */
void flush_tlb_all(void)
{
	host_unmap(window(0), TASK_SIZE);
	tlb_count = 0;
}

bool mm_is_current(const struct mm_struct *mm)
{
	return mm && mm == current_mm;
}
