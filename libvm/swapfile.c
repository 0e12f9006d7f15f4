/* swapfile.c - swap areas: swapon and swapoff of files carrying Linux's v1
 * swap header, and the slots of each area with their use counts (swap_map)
 * handed out in clusters. Everything lives in RAM under swap_state.lock,
 * so any process of the machine may allocate or free a slot; the swap_map
 * arrays are vmalloc'ed, reached by the other processes through
 * vmalloc_fault. Page I/O (page_io.c) and the swap cache (swap_state.c)
 * are not here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static inline struct swap_state *swap_state(void)
{
	return &vm_kdata->swap;
}

static inline uint8_t *swap_map_of(const struct swap_info_struct *si)
{
	return kva_to_host(si->swap_map);
}

/* A dead owner may have left a count half changed; there is no record of
 * which, so panic rather than guess, as vmalloc does. */
static inline void swap_lock(struct swap_state *ss)
{
	vm_lock_or_panic(&ss->lock, "swap_state.lock");
}

static inline void swap_unlock(struct swap_state *ss)
{
	vm_lock_release(&ss->lock);
}

void swap_state_lock(void)
{
	swap_lock(swap_state());
}

void swap_state_unlock(void)
{
	swap_unlock(swap_state());
}

void swap_init(void)
{
	struct swap_state *ss = swap_state();

	memset(ss, 0, sizeof(*ss));
	vm_lock_init(&ss->lock);
	/* Linux's defaults: vm.page-cluster 3 (8 slots read at once),
	 * vm.swappiness 60 */
	vm_kdata->reclaim.page_cluster = 3;
	vm_kdata->reclaim.swappiness = 60;
}

/* ---- the header ---------------------------------------------------------- */

union swap_header {
	uint8_t page[PAGE_SIZE];
	struct swap_header_info info;
};

int mkswap_file(const char *path, uint64_t bytes)
{
	union swap_header *h;
	uint64_t pages = bytes >> PAGE_SHIFT;
	long n;
	int fd;

	/* mkswap wants 10 pages; fewer would be all header */
	if (pages < 10 || pages - 1 > UINT32_MAX)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->info.version = SWAP_HEADER_VERSION;
	h->info.last_page = (uint32_t)(pages - 1);
	h->info.nr_badpages = 0;
	host_random(h->info.sws_uuid, sizeof(h->info.sws_uuid));
	/* a version 4 (random) uuid, as mkswap's libuuid makes */
	h->info.sws_uuid[6] = (uint8_t)((h->info.sws_uuid[6] & 0x0f) | 0x40);
	h->info.sws_uuid[8] = (uint8_t)((h->info.sws_uuid[8] & 0x3f) | 0x80);
	strncpy(h->info.sws_volume, SWAP_LABEL, sizeof(h->info.sws_volume));
	memcpy(h->page + PAGE_SIZE - SWAP_MAGIC_LEN, SWAP_MAGIC, SWAP_MAGIC_LEN);

	fd = host_file_create(path, pages << PAGE_SHIFT);
	if (fd < 0) {
		free(h);
		return fd;
	}
	n = host_pwrite(fd, h, PAGE_SIZE, 0);
	host_close(fd);
	free(h);
	if (n < 0)
		return (int)n;
	return n == PAGE_SIZE ? 0 : -EIO;
}

/* What swapon learns from a header it accepts. */
struct swap_geometry {
	uint32_t max;			/* last_page + 1, clamped to what a PTE holds */
	uint32_t nr_badpages;
	uint32_t badpages[SWAP_MAX_BADPAGES];
	uint8_t  uuid[16];
};

/* Linux's read_swap_header: check page 0 of the file against its size.
 * 0, or -EINVAL with a log line saying why. */
static int read_swap_header(const char *path, const union swap_header *h, uint64_t file_bytes,
			    struct swap_geometry *g)
{
	const char *magic = (const char *)h->page + PAGE_SIZE - SWAP_MAGIC_LEN;
	uint64_t file_pages = file_bytes >> PAGE_SHIFT;
	uint32_t last_page, i;

	if (!memcmp(magic, SWAP_MAGIC_OLD, SWAP_MAGIC_LEN)) {
		printk("swapon: %s: old swap format (SWAPSPACE1) is not supported, run mkswap", path);
		return -EINVAL;
	}
	if (memcmp(magic, SWAP_MAGIC, SWAP_MAGIC_LEN)) {
		printk("swapon: %s: Unable to find swap-space signature", path);
		return -EINVAL;
	}
	if (h->info.version != SWAP_HEADER_VERSION) {
		printk("swapon: %s: Unable to handle swap header version %u", path,
		       h->info.version);
		return -EINVAL;
	}
	last_page = h->info.last_page;
	if (!last_page) {
		printk("swapon: %s: Empty swap-file", path);
		return -EINVAL;
	}
	if ((uint64_t)last_page >= file_pages) {
		printk("swapon: %s: swap area shorter than signature indicates "
		       "(last_page %u, file has %llu pages)", path, last_page,
		       (unsigned long long)file_pages);
		return -EINVAL;
	}
	if (h->info.nr_badpages > SWAP_MAX_BADPAGES) {
		printk("swapon: %s: too many bad pages (%u, at most %zu)", path,
		       h->info.nr_badpages, (size_t)SWAP_MAX_BADPAGES);
		return -EINVAL;
	}
	g->max = last_page + 1;
	if (g->max - 1 > swp_max_offset((int)vm_boot_block->mode)) {
		printk("swapon: %s: Truncating oversized swap area, only using %uk out of %lluk",
		       path, swp_max_offset((int)vm_boot_block->mode) << (PAGE_SHIFT - 10),
		       (unsigned long long)last_page << (PAGE_SHIFT - 10));
		g->max = swp_max_offset((int)vm_boot_block->mode) + 1;
	}
	g->nr_badpages = h->info.nr_badpages;
	for (i = 0; i < g->nr_badpages; i++) {
		uint32_t bad = h->info.badpages[i];

		if (bad == 0 || bad > last_page) {
			printk("swapon: %s: bad page %u out of range", path, bad);
			return -EINVAL;
		}
		g->badpages[i] = bad;
	}
	memcpy(g->uuid, h->info.sws_uuid, sizeof(g->uuid));
	return 0;
}

/* ---- swapon, swapoff ------------------------------------------------------ */

/* Recount the globals after an area came or went. swap_state.lock held. */
static void __recount_swap(struct swap_state *ss)
{
	unsigned i;

	ss->nr_swap_pages = ss->total_swap_pages = 0;
	for (i = 0; i < MAX_SWAPFILES; i++) {
		const struct swap_info_struct *si = &ss->areas[i];

		if ((si->flags & (SWP_USED | SWP_WRITEOK)) != (SWP_USED | SWP_WRITEOK))
			continue;
		ss->total_swap_pages += si->pages;
		ss->nr_swap_pages += si->pages - si->inuse_pages;
	}
}

static void canonical_path(const char *path, char *out)
{
	char *real = realpath(path, NULL);

	snprintf(out, SWAP_PATH_MAX, "%s", real ? real : path);
	free(real);
}

int swapon_file(const char *path, int prio)
{
	struct swap_state *ss = swap_state();
	struct swap_info_struct *si = NULL;
	struct swap_geometry *g;
	union swap_header *h;
	char name[SWAP_PATH_MAX];
	uint64_t bytes;
	uint8_t *map;
	uint32_t *cache = NULL;
	uint32_t i, nr_bad;
	long n;
	int fd, err;

	if (strlen(path) >= SWAP_PATH_MAX)
		return -ENAMETOOLONG;
	canonical_path(path, name);
	fd = host_ram_open(name, &bytes, true);
	if (fd < 0) {
		printk("swapon: %s: cannot open: error %d", name, fd);
		return fd;
	}
	h = calloc(1, sizeof(*h));
	g = calloc(1, sizeof(*g));
	err = -ENOMEM;
	if (!h || !g)
		goto out_close;
	err = -EINVAL;
	if (bytes < PAGE_SIZE) {
		printk("swapon: %s: file of %llu bytes holds no swap header", name,
		       (unsigned long long)bytes);
		goto out_close;
	}
	n = host_pread(fd, h, PAGE_SIZE, 0);
	if (n != PAGE_SIZE) {
		err = n < 0 ? (int)n : -EIO;
		printk("swapon: %s: cannot read the swap header", name);
		goto out_close;
	}
	err = read_swap_header(name, h, bytes, g);
	if (err)
		goto out_close;

	/* the map and the cache first, with no lock held: vmalloc takes
	 * its own */
	map = vzalloc(g->max);
	err = -ENOMEM;
	if (!map)
		goto out_close;
	cache = vzalloc((unsigned long)g->max * sizeof(uint32_t));
	if (!cache)
		goto out_vfree;
	map[0] = SWAP_MAP_BAD;
	nr_bad = 0;
	for (i = 0; i < g->nr_badpages; i++) {
		if (g->badpages[i] < g->max && map[g->badpages[i]] != SWAP_MAP_BAD) {
			map[g->badpages[i]] = SWAP_MAP_BAD;
			nr_bad++;
		}
	}
	if (g->max - 1 - nr_bad == 0) {
		printk("swapon: %s: Empty swap-file", name);
		err = -EINVAL;
		goto out_vfree;
	}

	swap_lock(ss);
	for (i = 0; i < MAX_SWAPFILES; i++) {
		struct swap_info_struct *a = &ss->areas[i];

		if ((a->flags & SWP_USED) && !strcmp(a->path, name)) {
			swap_unlock(ss);
			printk("swapon: %s: already in use", name);
			err = -EBUSY;
			goto out_vfree;
		}
		if (!si && !(a->flags & SWP_USED))
			si = a;
	}
	if (!si) {
		swap_unlock(ss);
		printk("swapon: %s: already %d swap areas", name, MAX_SWAPFILES);
		err = -EPERM;
		goto out_vfree;
	}
	memset(si, 0, sizeof(*si));
	si->prio = prio >= 0 ? prio : --ss->least_priority;
	si->max = g->max;
	si->nr_badpages = nr_bad;
	si->pages = g->max - 1 - nr_bad;
	si->lowest_bit = 1;
	si->highest_bit = g->max - 1;
	si->swap_map = host_to_kva(map);
	si->swap_cache = host_to_kva(cache);
	memcpy(si->uuid, g->uuid, sizeof(si->uuid));
	snprintf(si->path, sizeof(si->path), "%s", name);
	si->flags = SWP_USED | SWP_WRITEOK;
	ss->nr_swapfiles++;
	__recount_swap(ss);
	swap_unlock(ss);
	printk("Adding %uk swap on %s.  Priority:%d extents:1 across:%uk FS", si->pages <<
	       (PAGE_SHIFT - 10), name, si->prio, si->pages << (PAGE_SHIFT - 10));
	err = 0;
	goto out_close;

out_vfree:
	if (cache)
		vfree(cache);
	vfree(map);
out_close:
	free(g);
	free(h);
	host_close(fd);
	return err;
}

int swapoff_file(const char *path)
{
	struct swap_state *ss = swap_state();
	struct swap_info_struct *si = NULL;
	char name[SWAP_PATH_MAX];
	uint32_t map, cache;
	unsigned i;

	canonical_path(path, name);
	swap_lock(ss);
	for (i = 0; i < MAX_SWAPFILES; i++)
		if ((ss->areas[i].flags & SWP_USED) && !strcmp(ss->areas[i].path, name))
			si = &ss->areas[i];
	if (!si) {
		swap_unlock(ss);
		return -EINVAL;
	}
	/* Linux's try_to_unuse would bring every page back in; until pages
	 * go out there is nothing to bring back, so a used slot is refused. */
	if (si->inuse_pages) {
		swap_unlock(ss);
		printk("swapoff: %s: %u slots in use", name, si->inuse_pages);
		return -EBUSY;
	}
	map = si->swap_map;
	cache = si->swap_cache;
	memset(si, 0, sizeof(*si));
	ss->nr_swapfiles--;
	__recount_swap(ss);
	swap_unlock(ss);
	vfree(kva_to_host(cache));
	vfree(kva_to_host(map));
	printk("swapoff: %s", name);
	return 0;
}

/* ---- slots ---------------------------------------------------------------- */

/* Is the aligned cluster at base free: no slot in it used? Bad slots (the
 * header's) do not spoil a cluster, they are only skipped. */
static bool cluster_free(const uint8_t *map, uint32_t base, uint32_t max)
{
	uint32_t i, end = min(base + SWAPFILE_CLUSTER, max);

	for (i = base; i < end; i++)
		if (map[i] && map[i] != SWAP_MAP_BAD)
			return false;
	return true;
}

/*
 * Linux's scan_swap_map, simplified: slots come from the current cluster
 * in order; when it is used up, the next wholly free cluster after it
 * (wrapping) becomes current; when none is free, the first free slot from
 * lowest_bit. With 1000 slots: 1..255 (slot 0 is the header), then
 * 256..511, 512..767, 768..999, then the holes. Returns the slot, its
 * count set to 1, or 0 when the area is full. swap_state.lock held.
 */
/* The next free slot left in the current cluster, or 0. */
static uint32_t cluster_take(struct swap_info_struct *si, const uint8_t *map)
{
	while (si->cluster_nr) {
		uint32_t o = si->cluster_next++;

		si->cluster_nr--;
		if (o < si->max && !map[o])
			return o;
	}
	return 0;
}

static uint32_t scan_swap_map(struct swap_info_struct *si)
{
	uint8_t *map = swap_map_of(si);
	uint32_t offset = 0, nr_clusters, c, start, i;

	if (si->inuse_pages == si->pages)
		return 0;
	offset = cluster_take(si, map);
	if (offset)
		goto got;
	nr_clusters = (si->max + SWAPFILE_CLUSTER - 1) / SWAPFILE_CLUSTER;
	start = si->cluster_next / SWAPFILE_CLUSTER;
	for (i = 0; i < nr_clusters; i++) {
		c = (start + i) % nr_clusters;
		if (cluster_free(map, c * SWAPFILE_CLUSTER, si->max)) {
			si->cluster_next = c * SWAPFILE_CLUSTER;
			si->cluster_nr = SWAPFILE_CLUSTER;
			offset = cluster_take(si, map);
			if (offset)
				goto got;
		}
	}
	/* no free cluster: the first hole */
	for (offset = si->lowest_bit; offset <= si->highest_bit && offset < si->max; offset++)
		if (!map[offset])
			goto got;
	return 0;
got:
	map[offset] = 1;
	si->inuse_pages++;
	if (si->inuse_pages == si->pages) {
		si->lowest_bit = si->highest_bit = 0;
	} else {
		if (offset == si->lowest_bit)
			while (si->lowest_bit < si->max - 1 && map[si->lowest_bit])
				si->lowest_bit++;
		if (offset == si->highest_bit)
			while (si->highest_bit > 1 && map[si->highest_bit])
				si->highest_bit--;
	}
	return offset;
}

static bool area_has_room(const struct swap_info_struct *si)
{
	return (si->flags & (SWP_USED | SWP_WRITEOK)) == (SWP_USED | SWP_WRITEOK) &&
	       si->inuse_pages < si->pages;
}

/*
 * The highest priority with room wins; among areas of that priority, the
 * first at or after rr_next (in index order, wrapping), and rr_next moves
 * past it, so equal priorities take turns as Linux's swap_list.next made
 * them: areas 0 and 1 both at -1 give 0, 1, 0, 1, ...
 */
/* One slot as get_swap_page gives it, the lock held; prefer (an area's
 * index, or -1) is taken first when it is of the best priority with room,
 * which keeps a batch's slots in one area, side by side. */
static swp_entry_t __get_swap_page(struct swap_state *ss, int prefer)
{
	swp_entry_t entry = { 0 };
	int32_t best = INT32_MIN;
	unsigned i, type;
	bool found = false;

	for (i = 0; i < MAX_SWAPFILES; i++) {
		if (area_has_room(&ss->areas[i]) && (!found || ss->areas[i].prio > best)) {
			best = ss->areas[i].prio;
			found = true;
		}
	}
	if (!found)
		return entry;
	if (prefer >= 0 && area_has_room(&ss->areas[prefer]) && ss->areas[prefer].prio == best) {
		uint32_t offset = scan_swap_map(&ss->areas[prefer]);

		if (offset) {
			ss->nr_swap_pages--;
			return swp_entry((unsigned)prefer, offset);
		}
	}
	for (i = 0; i < MAX_SWAPFILES; i++) {
		uint32_t offset;

		type = (ss->rr_next + i) % MAX_SWAPFILES;
		if (!area_has_room(&ss->areas[type]) || ss->areas[type].prio != best)
			continue;
		offset = scan_swap_map(&ss->areas[type]);
		if (!offset)
			continue;	/* counts said room, map disagreed: next */
		ss->rr_next = (type + 1) % MAX_SWAPFILES;
		ss->nr_swap_pages--;
		return swp_entry(type, offset);
	}
	/* every area of that priority lied about its room: give up rather
	 * than loop (check will name the broken count) */
	return entry;
}

swp_entry_t get_swap_page(void)
{
	struct swap_state *ss = swap_state();
	swp_entry_t entry;

	swap_lock(ss);
	entry = __get_swap_page(ss, -1);
	swap_unlock(ss);
	return entry;
}

/* Linux hands slots to each CPU in batches (swap_slots.c) for the same
 * reason: one reclaimer's pages side by side in the file. */
unsigned get_swap_pages(unsigned n, swp_entry_t *out)
{
	struct swap_state *ss = swap_state();
	unsigned got = 0;
	int prefer = -1;

	swap_lock(ss);
	while (got < n) {
		swp_entry_t e = __get_swap_page(ss, prefer);

		if (!e.val)
			break;
		prefer = (int)swp_type(e);
		out[got++] = e;
	}
	swap_unlock(ss);
	return got;
}

/* The area and map byte of entry, or NULL. swap_state.lock held. */
static uint8_t *swap_slot(struct swap_state *ss, swp_entry_t entry,
			  struct swap_info_struct **sip)
{
	unsigned type = swp_type(entry);
	uint32_t offset = swp_offset(entry);
	struct swap_info_struct *si;

	if (type >= MAX_SWAPFILES)
		return NULL;
	si = &ss->areas[type];
	if (!(si->flags & SWP_USED) || offset == 0 || offset >= si->max)
		return NULL;
	*sip = si;
	return swap_map_of(si) + offset;
}

uint8_t *swap_map_slot(swp_entry_t entry, struct swap_info_struct **sip)
{
	return swap_slot(swap_state(), entry, sip);
}

uint32_t *swap_cache_slot(swp_entry_t entry)
{
	struct swap_info_struct *si;

	if (!swap_slot(swap_state(), entry, &si))
		return NULL;
	return (uint32_t *)kva_to_host(si->swap_cache) + swp_offset(entry);
}

int __swap_duplicate(swp_entry_t entry)
{
	struct swap_info_struct *si;
	uint8_t *count = swap_slot(swap_state(), entry, &si);

	if (!count || !swap_map_count(*count) || *count == SWAP_MAP_BAD)
		return -EINVAL;
	if (swap_map_count(*count) >= SWAP_MAP_MAX)
		return -ENOMEM;
	(*count)++;
	return 0;
}

int swap_duplicate(swp_entry_t entry)
{
	struct swap_state *ss = swap_state();
	int err;

	swap_lock(ss);
	err = __swap_duplicate(entry);
	swap_unlock(ss);
	if (err == -EINVAL)
		printk("swap_dup: Bad swap file entry %08x", entry.val);
	return err;
}

/* The last user of a slot went: free it, or retire it for good when a
 * write to it failed (SWAP_MAP_DOOMED), as Linux marks a bad block. */
static void slot_released(struct swap_state *ss, struct swap_info_struct *si, uint8_t *count,
			  uint32_t offset)
{
	if (*count & SWAP_MAP_DOOMED) {
		*count = SWAP_MAP_BAD;
		si->inuse_pages--;
		si->pages--;
		si->nr_badpages++;
		if (si->flags & SWP_WRITEOK)
			ss->total_swap_pages--;
		printk("swap: slot %u:%#x retired after a write error", (unsigned)(si - ss->areas),
		       offset);
		return;
	}
	*count = 0;
	if (si->inuse_pages == si->pages) {
		si->lowest_bit = si->highest_bit = offset;
	} else {
		if (offset < si->lowest_bit)
			si->lowest_bit = offset;
		if (offset > si->highest_bit)
			si->highest_bit = offset;
	}
	si->inuse_pages--;
	if (si->flags & SWP_WRITEOK)
		ss->nr_swap_pages++;
}

int __swap_free(swp_entry_t entry)
{
	struct swap_state *ss = swap_state();
	struct swap_info_struct *si;
	uint8_t *count = swap_slot(ss, entry, &si);
	int left;

	if (!count || !swap_map_count(*count) || *count == SWAP_MAP_BAD)
		return -EINVAL;
	(*count)--;
	left = swap_map_count(*count);
	if (!left)
		slot_released(ss, si, count, swp_offset(entry));
	return left;
}

void swap_free(swp_entry_t entry)
{
	struct swap_state *ss = swap_state();
	int left;

	swap_lock(ss);
	left = __swap_free(entry);
	swap_unlock(ss);
	if (left < 0)
		printk("swap_free: Bad swap file entry %08x", entry.val);
}

void swap_mark_doomed(swp_entry_t entry)
{
	struct swap_state *ss = swap_state();
	struct swap_info_struct *si;
	uint8_t *count;

	swap_lock(ss);
	count = swap_slot(ss, entry, &si);
	if (count && swap_map_count(*count) && *count != SWAP_MAP_BAD)
		*count |= SWAP_MAP_DOOMED;
	swap_unlock(ss);
}

bool swap_slot_doomed(swp_entry_t entry)
{
	struct swap_state *ss = swap_state();
	struct swap_info_struct *si;
	uint8_t *count;
	bool doomed;

	swap_lock(ss);
	count = swap_slot(ss, entry, &si);
	doomed = count && *count != SWAP_MAP_BAD && (*count & SWAP_MAP_DOOMED);
	swap_unlock(ss);
	return doomed;
}

int swap_count(swp_entry_t entry)
{
	struct swap_state *ss = swap_state();
	struct swap_info_struct *si;
	uint8_t *count;
	int n;

	swap_lock(ss);
	count = swap_slot(ss, entry, &si);
	n = !count || *count == SWAP_MAP_BAD ? -EINVAL : (int)swap_map_count(*count);
	swap_unlock(ss);
	return n;
}

unsigned long nr_swap_pages(void)
{
	return (unsigned long)__atomic_load_n(&swap_state()->nr_swap_pages, __ATOMIC_RELAXED);
}

unsigned long total_swap_pages(void)
{
	return (unsigned long)__atomic_load_n(&swap_state()->total_swap_pages, __ATOMIC_RELAXED);
}
