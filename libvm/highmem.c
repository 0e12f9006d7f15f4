/* highmem.c - kmap and kmap_atomic: a window onto frames the direct map
 * does not reach (above 896 MiB, ZONE_HIGHMEM). Lowmem frames need no
 * window and get page_address(). All state here is per process, in host
 * memory, not RAM; one thread of a process runs it at a time (the process
 * is the CPU, as Linux's per-CPU kmap_atomic slots are per CPU).
 *
 * Why per process: a window is a host mapping, and host mappings belong to
 * one process (DESIGN §2: pkmap and fixmap are "per process"). If the slot
 * table lay in RAM, process A's slot 5 would say "pfn 0x3a000" while
 * process B's host page at that address maps something else; the table
 * would describe one process and lie about every other. So nothing here
 * enters swapper_pg_dir either, and vmdump cannot see who has what kmapped:
 * a kmap is a short-lived loan to the running process, not machine state.
 *
 *   PKMAP_BASE 0xFF800000   pkmap: LAST_PKMAP slots (1024 i386, 512 pae),
 *                           kmap(), counted, reused for the same frame
 *   fix_to_virt(16..1)      fixmap: KM_MAX_IDX slots 0xFFFEF000..0xFFFFE000,
 *                           kmap_atomic(), a stack: the innermost unmaps first
 *
 * Both keep a slot's host mapping after its last user lets go, as Linux
 * keeps a pkmap PTE until flush_all_zero_pkmaps and a kmap_atomic PTE
 * until the slot's next use: mapping the same frame again then costs no
 * mmap. (make DEBUG=1 unmaps a kmap_atomic slot at kunmap_atomic, as
 * CONFIG_DEBUG_HIGHMEM did, so a use after it faults.)
 */
#include <string.h>

#include "internal.h"

#define PKMAP_ADDR(nr)		((uint32_t)(PKMAP_BASE + ((uint32_t)(nr) << PAGE_SHIFT)))
#define PKMAP_HASH_SIZE		2048	/* power of two, twice the slots */
#define PKMAP_NONE		(-1)

/* A pkmap slot. mapped: this process's host page at PKMAP_ADDR maps pfn
 * (count 0: an idle mapping, kept for reuse). */
struct pkmap_slot {
	uint32_t pfn;		/* frame mapped, valid while mapped */
	int32_t  count;		/* kmap users; 0 when idle or free */
	int16_t  hash_next;	/* next slot in pfn's hash chain, or PKMAP_NONE */
	bool     mapped;	/* in the hash, host-mapped */
};

static struct pkmap_slot pkmap[LAST_PKMAP_I386];
static int16_t pkmap_hash[PKMAP_HASH_SIZE];
static unsigned last_pkmap;	/* slots in this mode: LAST_PKMAP_I386 or _PAE */
static unsigned last_pkmap_nr;	/* where the next search for a free slot starts */

/* kmap_atomic's stack. km_pfn[idx] is what slot idx maps, or ~0. */
static uint64_t km_pfn[KM_MAX_IDX];
static unsigned km_depth;

void kmap_init(void)
{
	unsigned i;

	/* A fresh host window (boot, attach) maps nothing in pkmap or the
	 * fixmap; after a fork the child's inherited mappings are simply
	 * replaced when a slot is next used. */
	for (i = 0; i < LAST_PKMAP_I386; i++)
		pkmap[i] = (struct pkmap_slot){ .hash_next = PKMAP_NONE };
	for (i = 0; i < PKMAP_HASH_SIZE; i++)
		pkmap_hash[i] = PKMAP_NONE;
	last_pkmap = vm_pae() ? LAST_PKMAP_PAE : LAST_PKMAP_I386;
	last_pkmap_nr = 0;
	for (i = 0; i < KM_MAX_IDX; i++)
		km_pfn[i] = ~0ULL;
	km_depth = 0;
}

static inline unsigned pkmap_hashfn(uint32_t pfn)
{
	return (pfn ^ (pfn >> 11)) & (PKMAP_HASH_SIZE - 1);
}

static int pkmap_lookup(uint32_t pfn)
{
	int nr;

	for (nr = pkmap_hash[pkmap_hashfn(pfn)]; nr != PKMAP_NONE; nr = pkmap[nr].hash_next)
		if (pkmap[nr].pfn == pfn)
			return nr;
	return PKMAP_NONE;
}

static void pkmap_hash_del(int nr)
{
	int16_t *link = &pkmap_hash[pkmap_hashfn(pkmap[nr].pfn)];

	while (*link != nr)
		link = &pkmap[*link].hash_next;
	*link = pkmap[nr].hash_next;
	pkmap[nr].hash_next = PKMAP_NONE;
	pkmap[nr].mapped = false;
}

static void pkmap_hash_add(int nr, uint32_t pfn)
{
	unsigned h = pkmap_hashfn(pfn);

	pkmap[nr].pfn = pfn;
	pkmap[nr].mapped = true;
	pkmap[nr].hash_next = pkmap_hash[h];
	pkmap_hash[h] = (int16_t)nr;
}

/* A slot for pfn: the next idle one round the ring after the last taken,
 * as Linux's map_new_virtual scans, so the idle mapping evicted is the one
 * longest unused. Linux sleeps when every slot is busy until a kunmap
 * frees one; a process here has no other thread that could, so that is a
 * leak of kmaps and a bug. */
static int map_new_virtual(uint32_t pfn)
{
	unsigned i;
	int nr, err;

	for (i = 0; i < last_pkmap; i++) {
		nr = (int)((last_pkmap_nr + i) % last_pkmap);
		if (pkmap[nr].count == 0)
			goto found;
	}
	printk("kmap: all %u pkmap slots of process %d are in use", last_pkmap, (int)vm_self_tid);
	BUG();
found:
	if (pkmap[nr].mapped)
		pkmap_hash_del(nr);
	err = host_map_ram(kva_to_host(PKMAP_ADDR(nr)), vm_ram_fd, (uint64_t)pfn << PAGE_SHIFT,
			   PAGE_SIZE, true);
	if (err)
		vm_panic("kmap: cannot map pfn %#x in this process: error %d", pfn, err);
	pkmap_hash_add(nr, pfn);
	last_pkmap_nr = (unsigned)nr + 1;
	return nr;
}

void *kmap(struct page *page)
{
	uint32_t pfn;
	int nr;

	if (!PageHighMem(page))
		return page_address(page);
	pfn = (uint32_t)page_to_pfn(page);
	nr = pkmap_lookup(pfn);
	if (nr == PKMAP_NONE)
		nr = map_new_virtual(pfn);
	pkmap[nr].count++;
	return kva_to_host(PKMAP_ADDR(nr));
}

void kunmap(struct page *page)
{
	int nr;

	if (!PageHighMem(page))
		return;
	nr = pkmap_lookup((uint32_t)page_to_pfn(page));
	/* kunmap of a page this process never kmapped: its count is off */
	BUG_ON(nr == PKMAP_NONE || pkmap[nr].count <= 0);
	pkmap[nr].count--;
}

/*
 * kmap_atomic pushes a fixmap slot: the first nested use takes
 * fix_to_virt(FIX_KMAP_BEGIN) = 0xFFFFE000, the next 0xFFFFD000, and so on
 * down. A slot that already maps the frame (the last frame it held) is
 * reused without an mmap.
 */
void *kmap_atomic(struct page *page)
{
	uint64_t pfn;
	unsigned idx;
	uint32_t kva;
	int err;

	if (!PageHighMem(page))
		return page_address(page);
	idx = km_depth++;
	BUG_ON(idx >= KM_MAX_IDX);
	kva = (uint32_t)fix_to_virt(FIX_KMAP_BEGIN + idx);
	pfn = page_to_pfn(page);
	if (km_pfn[idx] != pfn) {
		err = host_map_ram(kva_to_host(kva), vm_ram_fd, pfn << PAGE_SHIFT, PAGE_SIZE, true);
		if (err)
			vm_panic("kmap_atomic: cannot map pfn %#llx in this process: error %d",
				 (unsigned long long)pfn, err);
		km_pfn[idx] = pfn;
	}
	return kva_to_host(kva);
}

void kunmap_atomic(void *addr)
{
	uintptr_t off = (uintptr_t)addr - vm_kernel_base;
	uint32_t kva;
	unsigned idx;

	if (off >= (1UL << 30))
		return;
	kva = (uint32_t)(PAGE_OFFSET + off) & (uint32_t)PAGE_MASK;
	/* a lowmem page came back as page_address(): nothing to undo */
	if (kva < fix_to_virt(FIX_KMAP_END) || kva > fix_to_virt(FIX_KMAP_BEGIN))
		return;
	idx = (unsigned)((FIXADDR_TOP - kva) >> PAGE_SHIFT) - FIX_KMAP_BEGIN;
	/* out of order: the caller unmaps a slot an inner user still holds */
	BUG_ON(km_depth == 0 || idx != km_depth - 1);
	km_depth--;
#if VM_DEBUG >= 1
	host_unmap(kva_to_host(kva), PAGE_SIZE);
	km_pfn[idx] = ~0ULL;
#endif
}

void clear_highpage(struct page *page)
{
	void *kaddr = kmap_atomic(page);

	memset(kaddr, 0, PAGE_SIZE);
	kunmap_atomic(kaddr);
}

void copy_highpage(struct page *to, struct page *from)
{
	void *vfrom = kmap_atomic(from), *vto = kmap_atomic(to);

	memcpy(vto, vfrom, PAGE_SIZE);
	kunmap_atomic(vto);
	kunmap_atomic(vfrom);
}
