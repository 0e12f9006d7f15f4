/* tlb.c - the host MMU as the emulated machine's TLB (DESIGN §7). A guest
 * reaches a page of its user window only while this process holds a host
 * mapping of the page's frame; that mapping is the TLB entry. Entries are
 * made by the fault handler from the PTEs (never granting more than they
 * do), dropped by local flushes when this process changes its own PTEs,
 * and evicted, oldest first, when the TLB is full: the next access then
 * takes a cheap TLB-miss fault that refills it from the page tables.
 *
 * The TLB is this process's own state, in host memory: a ring of the runs
 * it mapped, in the order it mapped them.
 *
 *   ring:  [ va,npages | va,npages | ... ]   head = oldest, count entries
 *
 * A flush does not search the ring: an entry whose pages were flushed
 * already stays until eviction, which then unmaps a range that is already
 * unmapped (or remapped since: it is refilled by the next fault). So the
 * ring bounds the host mappings from above, which is what
 * vm.max_map_count needs: each entry costs at most two host mappings (the
 * run and the split it makes in the window's reservation).
 *
 * Everything here is async-signal-safe: the fault handler calls it.
 */
#include <string.h>

#include "internal.h"

struct tlb_entry {
	uint32_t va;
	uint32_t npages;
};

static struct tlb_entry *tlb_ring;
static unsigned tlb_cap, tlb_head, tlb_count;

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
	if (tlb_ring && tlb_cap == entries) {
		tlb_head = tlb_count = 0;
		return 0;
	}
	tlb_exit();
	tlb_ring = host_alloc(entries * sizeof(*tlb_ring));
	if (!tlb_ring)
		return -ENOMEM;
	tlb_cap = entries;
	tlb_head = tlb_count = 0;
	return 0;
}

void tlb_exit(void)
{
	if (tlb_ring)
		host_release(tlb_ring, tlb_cap * sizeof(*tlb_ring));
	tlb_ring = NULL;
	tlb_cap = tlb_head = tlb_count = 0;
}

static void tlb_evict_one(void)
{
	struct tlb_entry *e = &tlb_ring[tlb_head];

	host_unmap(window(e->va), (size_t)e->npages << PAGE_SHIFT);
	tlb_head = (tlb_head + 1) % tlb_cap;
	tlb_count--;
}

int tlb_install(const struct tlb_fill *f)
{
	int err;

	if (tlb_count == tlb_cap)
		tlb_evict_one();
	err = host_map_user(window(f->va), f->pfn << PAGE_SHIFT, (size_t)f->npages << PAGE_SHIFT,
			    f->writable, f->exec);
	if (err == -ENOMEM && tlb_count) {
		/* The host ran out of mappings (max_map_count): flush and retry. */
		flush_tlb_all();
		err = host_map_user(window(f->va), f->pfn << PAGE_SHIFT,
				    (size_t)f->npages << PAGE_SHIFT, f->writable, f->exec);
	}
	if (err)
		return err;
	tlb_ring[(tlb_head + tlb_count) % tlb_cap] = (struct tlb_entry){ f->va, f->npages };
	tlb_count++;
	return 0;
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
	tlb_head = tlb_count = 0;
}

bool mm_is_current(const struct mm_struct *mm)
{
	return mm && mm == current_mm;
}
