/* filemap.c - the page cache of mapped host files: the files a guest maps
 * (struct address_space, include/vm/fs.h), the radix tree of each file's
 * cached pages, the fault that finds a page there or reads it (with
 * readahead and fault-around), writeback (msync, munmap, exit, reclaim and
 * the flusher), and the flusher process itself, the seeds' pdflush.
 *
 * A file page's life:
 *
 *   fault miss   page allocated, locked, put in the tree (not uptodate);
 *                read from the file; uptodate, unlocked; on the inactive
 *                file LRU list. The window around it is read with it.
 *   mapped       each PTE holds a reference and a mapcount; a shared
 *                writable mapping sets D on its first write (the first
 *                write to a host mapping made for a read faults again),
 *                and that fault marks the page dirty (set_page_dirty:
 *                PG_dirty, the tree's dirty tag, the file's dirtied_when).
 *   writeback    the page locked; D cleared in every PTE and their host
 *                mappings shot down (page_mkclean), so a later write
 *                faults and dirties it again; PG_dirty cleared; written
 *                up to the file's size under PG_writeback.
 *   reclaim      unmapped, written if dirty, taken out of the tree and
 *                freed; a clean page is never written.
 *
 * Private file mappings map the cached page read-only; the first write
 * copies it into an anonymous page (do_wp_page), which from then on lives
 * and swaps as any anonymous page, so nothing a private mapping writes
 * reaches the file.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "internal.h"

#define FAULT_AROUND_PAGES	64	/* the window a fault maps and reads: 256 KiB */
#define DIRTY_EXPIRE_CS		3000	/* vm.dirty_expire_centisecs */
#define DIRTY_WRITEBACK_CS	500	/* vm.dirty_writeback_centisecs */
#define WB_BATCH		32	/* pages cleaned together (one shootdown) */
#define HOLD_TIMEOUT_NS		(30ull * 1000000000ull)

static inline struct filemap_state *fms(void)
{
	return &vm_kdata->filemap;
}

struct address_space *AS(uint32_t pa)
{
	return pa ? __va(pa) : NULL;
}

static inline struct radix_tree_node *NODE(uint32_t pa)
{
	return pa ? __va(pa) : NULL;
}

static inline uint32_t as_pa(const struct address_space *as)
{
	return (uint32_t)__pa(as);
}

static struct kmem_cache *as_cachep(void)
{
	return __va(fms()->as_cache);
}

static struct kmem_cache *node_cachep(void)
{
	return __va(fms()->node_cache);
}

void filemap_init(void)
{
	struct filemap_state *s = fms();

	vm_lock_init(&s->lock);
	vm_lock_init(&s->req_lock);
	s->as_cache = (uint32_t)__pa(kmem_cache_create("address_space",
							sizeof(struct address_space), 0,
							SLAB_PANIC, NULL));
	s->node_cache = (uint32_t)__pa(kmem_cache_create("radix_tree_node",
							  sizeof(struct radix_tree_node), 0,
							  SLAB_PANIC, NULL));
	/* generations differ between machines too (a process may run one
	 * after another): they start from the boot's clock */
	s->next_generation = (uint32_t)(host_now_ns() >> 10) | 1;
	s->fault_around_pages = FAULT_AROUND_PAGES;
	s->dirty_expire_cs = DIRTY_EXPIRE_CS;
	s->dirty_writeback_cs = DIRTY_WRITEBACK_CS;
}

/* ---- the tree (tree_lock held) --------------------------------------------- */

/* What a tree_lock holder is changing (address_space.tree_changing). */
enum tree_change {
	TREE_READ,			/* nothing: a lookup, a gang of pages */
	TREE_DIRTY,			/* a page's dirty tag and counts, set */
	TREE_CLEAN,			/* and cleared */
	TREE_WRITEBACK,			/* a page's writeback tag and counts */
	TREE_INSERT,			/* a page into the tree (nodes made) */
	TREE_DELETE,			/* a page out of it (nodes freed) */
};
static const char *const tree_change_names[] = {
	"reading", "dirtying a page", "cleaning a page", "a page's writeback",
	"inserting a page", "deleting a page",
};

/* A holder that died while only reading the tree left nothing half
 * changed; one that died changing it did, and the machine stops. */
static void tree_lock(struct address_space *as)
{
	if (vm_lock_acquire(&as->tree_lock) == -EOWNERDEAD) {
		uint32_t what = as->tree_changing;

		if (what)
			vm_panic("page cache tree_lock of %s: owner died %s; the tree cannot be "
				 "repaired", as->path,
				 what < ARRAY_SIZE(tree_change_names) ? tree_change_names[what] :
				 "changing it");
		vm_lock_consistent(&as->tree_lock);
	}
}

/* The lock for a change of the tree, its tags or its counts. */
static void tree_lock_w(struct address_space *as, enum tree_change what)
{
	tree_lock(as);
	as->tree_changing = what;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static void tree_unlock(struct address_space *as)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	as->tree_changing = 0;
	vm_lock_release(&as->tree_lock);
}

/* The largest index a tree whose top node has this shift can hold. */
static inline uint64_t shift_maxindex(unsigned shift)
{
	return ((uint64_t)RADIX_TREE_MAP_SIZE << shift) - 1;
}

static uint32_t radix_lookup(const struct address_space *as, uint32_t index)
{
	const struct radix_tree_node *n = NODE(as->rnode);

	if (!n || index > shift_maxindex(n->shift))
		return 0;
	for (;;) {
		uint32_t slot = n->slots[(index >> n->shift) & RADIX_TREE_MAP_MASK];

		if (!n->shift || !slot)
			return slot;
		n = NODE(slot);
	}
}

/*
 * Nodes are made outside the tree's lock, one at a time (an allocation
 * may reclaim, which takes tree locks; and a kill is likeliest in the
 * longest step): the insert takes the node it was handed, or stops for
 * one, leaving the tree whole. The node in hand is noted in the mm
 * (inflight_node, from the allocator's claim on), and the note goes in
 * the same locked step that links it: a holder killed with a note set
 * outside the lock had not linked it, and the supervisor frees it.
 */
struct node_spare {
	struct mm_struct *mm;		/* whose note holds it, or NULL (no task) */
	struct radix_tree_node *node;	/* the node in hand, or NULL */
};

static struct radix_tree_node *node_take(struct node_spare *sp, unsigned shift, uint32_t parent,
					 unsigned offset)
{
	struct radix_tree_node *n = sp->node;

	if (!n)
		return NULL;
	sp->node = NULL;
	n->shift = (uint8_t)shift;
	n->parent = parent;
	n->offset = (uint8_t)offset;
	return n;
}

/* The node taken is linked now: its note goes (tree_lock held). */
static void node_linked(struct node_spare *sp)
{
	if (sp->mm)
		mm_inflight_obj(&sp->mm->inflight_node, NULL);
}

static int node_make(struct node_spare *sp)
{
	if (sp->mm)
		vm_claim_obj = &sp->mm->inflight_node;
	sp->node = kmem_cache_zalloc(node_cachep(), GFP_KERNEL);
	vm_claim_obj = NULL;
	if (!sp->node)
		return -ENOMEM;
	if (sp->mm)
		mm_inflight_obj(&sp->mm->inflight_node, sp->node);
	return 0;
}

/* A node made and never needed (someone else's insert made the path). */
static void node_unmake(struct node_spare *sp)
{
	if (!sp->node)
		return;
	kmem_cache_free(node_cachep(), sp->node);
	sp->node = NULL;
	if (sp->mm)
		mm_inflight_obj(&sp->mm->inflight_node, NULL);
}

/* Put pfn at index: 0, -EEXIST, or -EAGAIN: a node is needed and sp has
 * none (what is linked so far stays: the next try goes on from there). */
static int radix_insert(struct address_space *as, uint32_t index, uint32_t pfn,
			struct node_spare *sp)
{
	struct radix_tree_node *n = NODE(as->rnode);
	unsigned off;

	if (!n) {
		unsigned shift = 0;

		while (index > shift_maxindex(shift))
			shift += RADIX_TREE_MAP_SHIFT;
		n = node_take(sp, shift, 0, 0);
		if (!n)
			return -EAGAIN;
		as->rnode = (uint32_t)__pa(n);
		node_linked(sp);
	}
	/* grow upward until the top node covers index */
	while (index > shift_maxindex(n->shift)) {
		struct radix_tree_node *top = node_take(sp, n->shift + RADIX_TREE_MAP_SHIFT, 0, 0);
		unsigned t;

		if (!top)
			return -EAGAIN;
		top->slots[0] = (uint32_t)__pa(n);
		top->count = 1;
		for (t = 0; t < RADIX_TREE_MAX_TAGS; t++)
			if (n->tags[t])
				top->tags[t] |= 1;
		n->parent = (uint32_t)__pa(top);
		n->offset = 0;
		as->rnode = (uint32_t)__pa(top);
		node_linked(sp);
		n = top;
	}
	while (n->shift) {
		struct radix_tree_node *child;

		off = (index >> n->shift) & RADIX_TREE_MAP_MASK;
		if (!n->slots[off]) {
			child = node_take(sp, n->shift - RADIX_TREE_MAP_SHIFT, (uint32_t)__pa(n), off);
			if (!child)
				return -EAGAIN;
			n->slots[off] = (uint32_t)__pa(child);
			n->count++;
			node_linked(sp);
		}
		n = NODE(n->slots[off]);
	}
	off = index & RADIX_TREE_MAP_MASK;
	if (n->slots[off])
		return -EEXIST;
	n->slots[off] = pfn;
	n->count++;
	return 0;
}

/* The leaf holding index, or NULL. */
static struct radix_tree_node *radix_leaf(const struct address_space *as, uint32_t index)
{
	struct radix_tree_node *n = NODE(as->rnode);

	if (!n || index > shift_maxindex(n->shift))
		return NULL;
	while (n->shift) {
		uint32_t slot = n->slots[(index >> n->shift) & RADIX_TREE_MAP_MASK];

		if (!slot)
			return NULL;
		n = NODE(slot);
	}
	return n;
}

/* Set or clear tag at index in the leaf and up the path: a node's bit is
 * set while any slot below it carries the tag. */
static void radix_tag(struct address_space *as, uint32_t index, unsigned tag, bool set)
{
	struct radix_tree_node *n = radix_leaf(as, index);
	unsigned off = index & RADIX_TREE_MAP_MASK;

	while (n) {
		uint64_t bit = 1ull << off;

		if (set) {
			if (n->tags[tag] & bit)
				return;
			n->tags[tag] |= bit;
		} else {
			if (!(n->tags[tag] & bit))
				return;
			n->tags[tag] &= ~bit;
			if (n->tags[tag])
				return;		/* others below still carry it */
		}
		off = n->offset;
		n = NODE(n->parent);
	}
}

/* Take index out; free the nodes that empty. */
static void radix_delete(struct address_space *as, uint32_t index)
{
	struct radix_tree_node *n = radix_leaf(as, index);
	unsigned off = index & RADIX_TREE_MAP_MASK, t;

	if (!n || !n->slots[off])
		return;
	for (t = 0; t < RADIX_TREE_MAX_TAGS; t++)
		radix_tag(as, index, t, false);
	n->slots[off] = 0;
	while (n && --n->count == 0) {
		struct radix_tree_node *parent = NODE(n->parent);

		if (parent)
			parent->slots[n->offset] = 0;
		else
			as->rnode = 0;
		kmem_cache_free(node_cachep(), n);
		n = parent;
	}
}

/* Up to max entries at indices in [start, last], in index order, only
 * those carrying tag unless tag < 0: their indices and pfns. */
static unsigned gang_node(const struct radix_tree_node *n, uint64_t base, uint64_t start,
			  uint64_t last, int tag, uint32_t *idx, uint32_t *pfn, unsigned got,
			  unsigned max)
{
	unsigned off = start > base ? (unsigned)((start - base) >> n->shift) : 0;

	for (; off < RADIX_TREE_MAP_SIZE && got < max; off++) {
		uint64_t sbase = base + ((uint64_t)off << n->shift);
		uint32_t slot = n->slots[off];

		if (sbase > last)
			break;
		if (!slot || (tag >= 0 && !(n->tags[tag] >> off & 1)))
			continue;
		if (!n->shift) {
			idx[got] = (uint32_t)sbase;
			pfn[got++] = slot;
			continue;
		}
		got = gang_node(NODE(slot), sbase, start, last, tag, idx, pfn, got, max);
	}
	return got;
}

static unsigned radix_gang(const struct address_space *as, uint32_t start, uint32_t last, int tag,
			   uint32_t *idx, uint32_t *pfn, unsigned max)
{
	const struct radix_tree_node *n = NODE(as->rnode);

	return n ? gang_node(n, 0, start, last, tag, idx, pfn, 0, max) : 0;
}

static int writepage(struct address_space *as, struct page *page);
static void file_refresh(struct address_space *as, bool wrote);

/* ---- counting ---------------------------------------------------------------- */

/* A file page became dirty (a write through a shared mapping, or a D bit
 * an unmap found): tag it, count it, start the file's expiry clock. */
void set_page_dirty(struct page *page)
{
	struct address_space *as;

	if (!PageFile(page)) {
		SetPageDirty(page);
		return;
	}
	if (PageDirty(page))
		return;
	as = AS(page->mapping);
	tree_lock_w(as, TREE_DIRTY);
	if (!PageDirty(page) && page->mapping == as_pa(as)) {
		SetPageDirty(page);
		radix_tag(as, page->index, PAGECACHE_TAG_DIRTY, true);
		as->nrdirty++;
		mod_node_page_state(NR_FILE_DIRTY, 1);
		mod_zone_page_state(page_zone(page), NR_ZONE_WRITE_PENDING, 1);
		mod_node_page_state(NR_DIRTIED, 1);
		if (!as->dirtied_when)
			as->dirtied_when = host_now_ns();
	}
	tree_unlock(as);
}

static void __set_writeback(struct address_space *as, struct page *page, bool on);

/* PG_dirty off, with its tag and counts; tree_lock held. Was it set? */
static bool __clear_page_dirty(struct address_space *as, struct page *page)
{
	bool was = PageDirty(page);

	if (was) {
		ClearPageDirty(page);
		radix_tag(as, page->index, PAGECACHE_TAG_DIRTY, false);
		as->nrdirty--;
		mod_node_page_state(NR_FILE_DIRTY, -1);
		mod_zone_page_state(page_zone(page), NR_ZONE_WRITE_PENDING, -1);
	}
	if (!as->nrdirty)
		as->dirtied_when = 0;
	return was;
}

/* PG_dirty off and PG_writeback on, with their tags and counts, in one
 * step (Linux's clear_page_dirty_for_io then set_page_writeback): a
 * sync that finds the page no longer dirty finds it under writeback and
 * waits for it. True if it was dirty. Page locked. */
static bool test_clear_page_dirty(struct page *page)
{
	struct address_space *as = AS(page->mapping);
	bool was;

	tree_lock_w(as, TREE_CLEAN);
	was = __clear_page_dirty(as, page);
	if (was && !(page->flags & (1u << PG_writeback)))
		__set_writeback(as, page, true);
	tree_unlock(as);
	return was;
}

static void set_writeback(struct page *page, bool on)
{
	struct address_space *as = AS(page->mapping);

	tree_lock_w(as, TREE_WRITEBACK);
	if (!!(page->flags & (1u << PG_writeback)) != on)
		__set_writeback(as, page, on);
	tree_unlock(as);
}

static void __set_writeback(struct address_space *as, struct page *page, bool on)
{
	if (on) {
		__atomic_fetch_or(&page->flags, 1u << PG_writeback, __ATOMIC_RELAXED);
		radix_tag(as, page->index, PAGECACHE_TAG_WRITEBACK, true);
		as->nrwriteback++;
		mod_node_page_state(NR_WRITEBACK, 1);
		mod_zone_page_state(page_zone(page), NR_ZONE_WRITE_PENDING, 1);
	} else {
		__atomic_fetch_and(&page->flags, ~(1u << PG_writeback), __ATOMIC_RELAXED);
		radix_tag(as, page->index, PAGECACHE_TAG_WRITEBACK, false);
		as->nrwriteback--;
		mod_node_page_state(NR_WRITEBACK, -1);
		mod_zone_page_state(page_zone(page), NR_ZONE_WRITE_PENDING, -1);
	}
}

/* ---- the cache ---------------------------------------------------------------- */

/* Drop a reference noted RNOTE_REF: the note first (a kill between leaks
 * the reference, never drops it twice). */
static void put_page_noted(struct page *page)
{
	rnote_clear(page, RNOTE_REF);
	put_page(page);
}

/* The page at index with a reference, or NULL. */
struct page *find_get_page(struct address_space *as, uint32_t index)
{
	struct page *page = NULL;
	uint32_t pfn;

	tree_lock(as);
	pfn = radix_lookup(as, index);
	if (pfn && get_page_unless_zero(pfn_to_page(pfn)))
		page = pfn_to_page(pfn);
	tree_unlock(as);
	return page;
}

/* A new locked page joins the cache at index, holding a reference of
 * the cache's own: 0, -EEXIST (someone was first) or -ENOMEM. */
static int add_to_page_cache(struct mm_struct *mm, struct page *page, struct address_space *as,
			     uint32_t index)
{
	struct node_spare sp = { mm, NULL };
	int err;

	page->mapping = as_pa(as);
	page->index = index;
	for (;;) {
		tree_lock_w(as, TREE_INSERT);
		err = radix_insert(as, index, (uint32_t)page_to_pfn(page), &sp);
		if (!err) {
			get_page(page);
			as->nrpages++;
			mod_node_page_state(NR_FILE_PAGES, 1);
		}
		tree_unlock(as);
		if (err != -EAGAIN)
			break;
		err = node_make(&sp);
		if (err)
			break;
	}
	node_unmake(&sp);
	if (err)
		page->mapping = 0;
	return err;
}

/* The supervisor, for an mm whose process died making a node: it was
 * never linked (the link and the note's end are one locked step). */
void filemap_node_release(struct mm_struct *mm)
{
	uint32_t note = mm->inflight_node;
	struct radix_tree_node *n = NODE(note & ~VM_CLAIM_FRESH);

	if (!n)
		return;
	if (note & VM_CLAIM_FRESH)
		kmem_cache_free_claimed(node_cachep(), n);
	else if (!kmem_cache_obj_is_free(node_cachep(), n))
		kmem_cache_free(node_cachep(), n);
	mm->inflight_node = 0;
}

/* Out of the tree (page locked, unmapped, clean): the cache's reference
 * is the caller's to drop. */
static void __delete_from_page_cache(struct address_space *as, struct page *page)
{
	radix_delete(as, page->index);
	as->nrpages--;
	mod_node_page_state(NR_FILE_PAGES, -1);
	page->mapping = 0;
}

/* Reclaim's write of an unmapped page it holds locked: 0, or -EIO (the
 * page stays dirty). */
int filemap_reclaim_write(struct page *page)
{
	struct address_space *as = AS(page->mapping);

	int err;

	if (!test_clear_page_dirty(page))
		return 0;
	err = writepage(as, page);
	file_refresh(as, true);
	return err;
}

/* The supervisor, for a page a killed process held locked: a write it
 * left under way is undone (the page dirty again, for the next one). */
void filemap_note_release(struct page *page)
{
	struct address_space *as;

	if (!PageFile(page))
		return;
	as = AS(page->mapping);
	if (page->flags & (1u << PG_writeback)) {
		set_writeback(page, false);
		set_page_dirty(page);
	}
	if (!PageUptodate(page) && page->_mapcount < 0) {
		/* a read it never finished: the page holds nothing. (Killed
		 * before its insert, it holds no place and no reference of
		 * the cache's: another page may be at its index.) */
		bool cached;

		tree_lock_w(as, TREE_DELETE);
		cached = radix_lookup(as, page->index) == page_to_pfn(page);
		if (cached)
			__delete_from_page_cache(as, page);
		else
			page->mapping = 0;
		tree_unlock(as);
		if (cached)
			put_page(page);	/* the cache's; the reader's goes with its note */
	}
}

/* The last step of reclaiming a file page, Linux's __remove_mapping: out
 * of the cache if nobody but the cache and the caller holds it, it is
 * mapped nowhere and clean. true when it left, the cache's reference
 * dropped with it in the same locked step (a kill after it can leak only
 * what its note does not name: the caller's own goes with the note).
 * Page locked. */
bool remove_mapping_file(struct page *page, int refs_held)
{
	struct address_space *as = AS(page->mapping);
	bool gone = false;

	tree_lock_w(as, TREE_DELETE);
	if (page_ref_count(page) == refs_held + 1 && page->_mapcount < 0 && !PageDirty(page) &&
	    !(page->flags & (1u << PG_writeback))) {
		__delete_from_page_cache(as, page);
		/* the caller's references keep it above zero */
		__atomic_sub_fetch(&page->_refcount, 1, __ATOMIC_RELAXED);
		gone = true;
	}
	tree_unlock(as);
	return gone;
}

/* ---- the files ------------------------------------------------------------------ */

/* This process's descriptors for files it does not hold itself. */
static struct fd_cache_entry {
	uint32_t as;
	uint32_t gen;
	int fd;
	bool rw;
	pid_t owner;		/* the process that opened it (a fork child re-opens) */
	uint64_t machine;	/* the machine's boot_ns: a process may run several */
} fd_cache[32];
static unsigned fd_cache_next;

static void fd_cache_drop(struct fd_cache_entry *e)
{
	if (e->fd > 0 && e->owner == getpid())
		close(e->fd);
	memset(e, 0, sizeof(*e));
}

/* A descriptor for the file, able to write when write: the holder's when
 * this process holds it, else /proc/HOLDER/fd/N opened (and kept). */
static int file_fd(struct address_space *as, bool write)
{
	pid_t self = getpid();
	struct fd_cache_entry *e;
	char path[64];
	unsigned i;
	int fd;

	if (as->holder_pid == self)
		return as->holder_fd;
	if (!as->holder_pid)
		return -EBADF;
	for (i = 0; i < ARRAY_SIZE(fd_cache); i++) {
		e = &fd_cache[i];
		if (!e->as)
			continue;
		if (e->owner != self || e->machine != vm_boot_block->boot_ns ||
		    kmem_cache_obj_is_free(as_cachep(), AS(e->as)) ||
		    AS(e->as)->i_generation != e->gen) {
			fd_cache_drop(e);	/* its file left the cache */
			continue;
		}
		if (e->as == as_pa(as) && e->gen == as->i_generation && (e->rw || !write))
			return e->fd;
	}
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)as->holder_pid, as->holder_fd);
	fd = open(path, ((as->flags & AS_HOLDER_RDWR) ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	e = &fd_cache[fd_cache_next++ % ARRAY_SIZE(fd_cache)];
	fd_cache_drop(e);
	e->as = as_pa(as);
	e->gen = as->i_generation;
	e->fd = fd;
	e->rw = as->flags & AS_HOLDER_RDWR;
	e->owner = self;
	e->machine = vm_boot_block->boot_ns;
	return fd;
}

static inline uint64_t stat_mtime_ns(const struct stat *st)
{
	return (uint64_t)st->st_mtim.tv_sec * 1000000000ull + (uint64_t)st->st_mtim.tv_nsec;
}

/* Refresh i_size from the file; after the cache's own writes, its mtime
 * too (they changed it, and must not read as a change behind the cache). */
static void file_refresh(struct address_space *as, bool wrote)
{
	struct stat st;
	int fd = file_fd(as, false);

	if (fd >= 0 && fstat(fd, &st) == 0) {
		as->i_size = (uint64_t)st.st_size;
		if (wrote)
			as->mtime_ns = (int64_t)stat_mtime_ns(&st);
		if (st.st_nlink == 0)
			as->flags |= AS_DELETED;
	}
}

static bool flusher_alive(void)
{
	pid_t pid = __atomic_load_n(&fms()->flusher_pid, __ATOMIC_ACQUIRE);

	return pid && pid != getpid() && host_pid_alive(pid);
}

/* Make the machine hold the file open: the flusher, when it runs, opens
 * it from this process's descriptor; else this process keeps a copy. */
static int file_hold(struct address_space *as, int fd, bool rw)
{
	struct filemap_state *s = fms();
	uint64_t deadline;
	int r;

	if (!flusher_alive()) {
		int copy = fcntl(fd, F_DUPFD_CLOEXEC, 64);

		if (copy < 0)
			return -errno;
		if (as->holder_pid == getpid())
			close(as->holder_fd);
		as->holder_fd = copy;
		as->holder_pid = getpid();
		as->flags = rw ? (as->flags | AS_HOLDER_RDWR) : (as->flags & ~AS_HOLDER_RDWR);
		return 0;
	}
	/* a requester killed mid round trip leaves nothing to repair: each
	 * request sets every field it uses */
	if (vm_lock_acquire(&s->req_lock) == -EOWNERDEAD)
		vm_lock_consistent(&s->req_lock);
	s->req_pid = getpid();
	s->req_fd = fd;
	s->req_as = as_pa(as);
	s->req_gen = as->i_generation;
	s->req_result = -ETIMEDOUT;
	__atomic_add_fetch(&s->req_seq, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&s->flusher_wait, 1, __ATOMIC_RELEASE);
	host_futex_wake(&s->flusher_wait, 1);
	deadline = host_now_ns() + HOLD_TIMEOUT_NS;
	for (;;) {
		uint32_t ack = __atomic_load_n(&s->ack_seq, __ATOMIC_ACQUIRE);
		uint64_t now = host_now_ns();

		if (ack == s->req_seq || now >= deadline)
			break;
		host_futex_wait(&s->ack_seq, ack, deadline - now);
	}
	r = __atomic_load_n(&s->ack_seq, __ATOMIC_ACQUIRE) == s->req_seq ? s->req_result : -ETIMEDOUT;
	if (r == -ETIMEDOUT)
		s->req_as = 0;		/* a late flusher must not act on it */
	vm_lock_release(&s->req_lock);
	if (r < 0) {
		printk("filemap: the flusher could not hold %s: error %d", as->path, -r);
		return r;
	}
	if (rw && !(as->flags & AS_HOLDER_RDWR))
		return -EACCES;		/* the flusher could not open it for writing */
	return 0;
}

static void i_mmap_lock(struct address_space *as);
void i_mmap_lock_file(struct address_space *as);
static bool file_listed(const struct address_space *as);

/* filemap_state.lock's holder died: the list is whole (a file joins at
 * the head once its own link is set, leaves by one store), its length
 * and each file's i_mmap_count are counted again: the VMAs on its i_mmap
 * list plus the mms whose mmap has it pinned. */
static void filemap_repair_locked(void)
{
	struct filemap_state *s = fms();
	uint32_t pa, n = 0, bound = 1u << 20;
	unsigned t;

	for (pa = s->files; pa && n < bound; pa = AS(pa)->next, n++) {
		struct address_space *as = AS(pa);
		uint32_t v, count = 0;

		i_mmap_lock(as);
		for (v = as->i_mmap; v && count < bound;
		     v = ((struct vm_area_struct *)__va(v))->shared_next)
			count++;
		vm_lock_release(&as->i_mmap_lock);
		for (t = 0; t < VM_MAX_TASKS; t++) {
			struct mm_struct *mm = task_mm(&vm_kdata->tasks.task[t]);

			if (mm && mm->inflight_file == pa)
				count++;
		}
		as->i_mmap_count = count;
	}
	s->nr_files = n;
	/* a file it was freeing: off the list already, or not yet */
	if (s->freeing) {
		struct address_space *gone = AS(s->freeing);

		s->freeing = 0;
		/* (freed, and made again by someone else since: another
		 * generation) */
		if (!kmem_cache_obj_is_free(as_cachep(), gone) && !file_listed(gone) &&
		    gone->i_generation == s->freeing_gen)
			kmem_cache_free(as_cachep(), gone);
	}
	printk("filemap: the list of files' holder died: %u files, their counts made again", n);
}

static void filemap_lock(void)
{
	if (vm_lock_acquire(&fms()->lock) == -EOWNERDEAD) {
		filemap_repair_locked();
		vm_lock_consistent(&fms()->lock);
	}
}

static void filemap_unlock(void)
{
	vm_lock_release(&fms()->lock);
}

/* Drop every cached page of as that is clean (with discard: or dirty, its
 * file gone), unmapped and unused: the pages dropped. */
static unsigned long invalidate_mapping_pages(struct address_space *as, bool discard);

/* PG_dirty off without a write (the file is gone): tag and counts too. */
static void cancel_dirty_page(struct address_space *as, struct page *page)
{
	tree_lock_w(as, TREE_CLEAN);
	__clear_page_dirty(as, page);
	tree_unlock(as);
}

/* The last mapping of a file the host removed went: nothing can reach its
 * pages any more, so they go now (Linux's iput_final of an unlinked inode
 * truncates its page cache), dirty ones unwritten, and the file with
 * them. filemap_state.lock held. */
static void evict_if_deleted(struct address_space *as)
{
	struct stat st;
	int fd;

	if (as->i_mmap_count || as->i_wb_pins || !as->nrpages)
		return;
	fd = file_fd(as, false);
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_nlink)
		return;
	as->flags |= AS_DELETED;
	invalidate_mapping_pages(as, true);
}

/* filemap_state.lock held: free a file nothing maps or caches. */
static bool as_free_if_unused(struct address_space *as)
{
	struct filemap_state *s = fms();
	uint32_t *link, n = 0;

	if (as->i_mmap_count || as->nrpages || as->i_wb_pins)
		return false;
	s->freeing_gen = as->i_generation;
	mm_inflight_obj(&s->freeing, as);
	for (link = &s->files; *link && n <= s->nr_files; link = &AS(*link)->next, n++)
		if (*link == as_pa(as)) {
			*link = as->next;
			s->nr_files--;
			break;
		}
	if (as->holder_pid == getpid())
		close(as->holder_fd);
	for (n = 0; n < ARRAY_SIZE(fd_cache); n++)
		if (fd_cache[n].as == as_pa(as) && fd_cache[n].gen == as->i_generation)
			fd_cache_drop(&fd_cache[n]);
	as->i_generation = 0;
	kmem_cache_free(as_cachep(), as);
	mm_inflight_obj(&s->freeing, NULL);
	return true;
}


/*
 * The file behind fd, for a mapping: found in the list by device and
 * inode, or made. Pins it (i_mmap_count) until i_mmap_link or
 * filemap_put. Checks the descriptor as Linux's do_mmap does: -EBADF,
 * -EACCES, -ENODEV; *shared_ro set for a MAP_SHARED mapping of a file not
 * open for writing, which Linux maps without VM_SHARED | VM_MAYWRITE.
 */
/* filemap_state.lock held: pin as for mm's mmap (counted, and noted in
 * the mm, so a kill of its process loses neither). */
static void file_pin(struct mm_struct *mm, struct address_space *as)
{
	as->i_mmap_count++;
	mm_inflight_obj(&mm->inflight_file, as);
}

/* filemap_state.lock held: the file with this device and inode, or NULL. */
static struct address_space *find_file(const struct stat *st)
{
	struct filemap_state *s = fms();
	uint32_t pa, n = 0;

	for (pa = s->files; pa && n <= s->nr_files; pa = AS(pa)->next, n++) {
		struct address_space *as = AS(pa);

		if (as->dev == (uint64_t)st->st_dev && as->ino == (uint64_t)st->st_ino)
			return as;
	}
	return NULL;
}

/* And pinned for mm, so it stays once the lock goes. */
static struct address_space *find_file_pin(struct mm_struct *mm, const struct stat *st)
{
	struct address_space *as = find_file(st);

	if (as)
		file_pin(mm, as);
	return as;
}

/* filemap_state.lock held: is as on the list of files? */
static bool file_listed(const struct address_space *as)
{
	struct filemap_state *s = fms();
	uint32_t pa, n = 0;

	for (pa = s->files; pa && n <= s->nr_files + 1; pa = AS(pa)->next, n++)
		if (pa == as_pa(as))
			return true;
	return false;
}

int filemap_get(struct mm_struct *mm, int fd, int prot, int flags, struct address_space **out,
		bool *shared_ro)
{
	struct filemap_state *s = fms();
	bool shared = (flags & MAP_TYPE) != MAP_PRIVATE;
	struct address_space *as, *made = NULL;
	struct stat st;
	int fl, acc, err = 0;
	bool rw;

	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fstat(fd, &st) != 0)
		return -EBADF;
	if ((fl & O_PATH) == O_PATH)
		return -EBADF;
	/* do_mmap's order: the fd's access, then whether it can map */
	acc = fl & O_ACCMODE;
	rw = acc == O_RDWR;
	if (shared && (prot & PROT_WRITE) && !rw)
		return -EACCES;
	if (acc == O_WRONLY)
		return -EACCES;
	if (!S_ISREG(st.st_mode))
		return -ENODEV;
	*shared_ro = shared && !rw;

	filemap_lock();
	as = find_file_pin(mm, &st);
	if (as) {
		/* close-to-open: the host changed the file behind a cache
		 * nobody else uses: forget what the cache had */
		if (as->i_mmap_count == 1 && !as->nrdirty) {
			if (as->i_size != (uint64_t)st.st_size ||
			    as->mtime_ns != (int64_t)stat_mtime_ns(&st))
				invalidate_mapping_pages(as, false);
			/* in step with the file now; while others map it, a
			 * change stays to be seen once they are gone */
			as->mtime_ns = (int64_t)stat_mtime_ns(&st);
		}
		as->i_size = (uint64_t)st.st_size;
	}
	filemap_unlock();

	if (!as) {
		/* made, and held open, with no lock held: the flusher takes
		 * the list's lock to write; then put in the list unless
		 * someone was first */
		char link[64];
		ssize_t len;

		vm_claim_obj = &mm->inflight_file;	/* a kill in the allocator: freed */
		made = kmem_cache_zalloc(as_cachep(), GFP_KERNEL);
		vm_claim_obj = NULL;
		if (!made)
			return -ENOMEM;
		vm_lock_init(&made->tree_lock);
		vm_lock_init(&made->i_mmap_lock);
		made->dev = (uint64_t)st.st_dev;
		made->ino = (uint64_t)st.st_ino;
		made->i_size = (uint64_t)st.st_size;
		made->mtime_ns = (int64_t)stat_mtime_ns(&st);
		made->i_generation = __atomic_fetch_add(&s->next_generation, 1, __ATOMIC_RELAXED);
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		len = readlink(link, made->path, sizeof(made->path) - 1);
		made->path[len > 0 ? len : 0] = '\0';
		/* noted while on no list: a kill frees it (filemap_inflight_release) */
		mm_inflight_obj(&mm->inflight_file, made);
		err = file_hold(made, fd, rw);
		if (err) {
			mm_inflight_obj(&mm->inflight_file, NULL);
			kmem_cache_free(as_cachep(), made);
			return err;
		}
		filemap_lock();
		as = find_file(&st);
		if (as) {
			/* someone was first: ours goes (what the flusher holds
			 * for it, its sweep closes), theirs is pinned */
			if (made->holder_pid == getpid())
				close(made->holder_fd);
			made->i_generation = 0;
			kmem_cache_free(as_cachep(), made);
			file_pin(mm, as);
		} else {
			made->next = s->files;
			__atomic_signal_fence(__ATOMIC_SEQ_CST);
			s->files = as_pa(made);
			s->nr_files++;
			file_pin(mm, made);
			as = made;
		}
		filemap_unlock();
	}
	/* a writer needs the file held for writing; a dead holder, again */
	if ((rw && !(as->flags & AS_HOLDER_RDWR)) ||
	    (as->holder_pid && !host_pid_alive(as->holder_pid)))
		err = file_hold(as, fd, rw || (as->flags & AS_HOLDER_RDWR));
	if (err) {
		filemap_put(mm, as);
		return err;
	}
	*out = as;
	return 0;
}

/* Drop the pin filemap_get took for mm. */
void filemap_put(struct mm_struct *mm, struct address_space *as)
{
	filemap_lock();
	if (mm->inflight_file == as_pa(as)) {
		as->i_mmap_count--;
		mm_inflight_obj(&mm->inflight_file, NULL);
	}
	as_free_if_unused(as);
	filemap_unlock();
}

/* The supervisor, for an mm whose process died in an mmap: the pin it
 * held on a listed file, or the file it was making and had not listed. */
void filemap_inflight_release(struct mm_struct *mm)
{
	uint32_t note = mm->inflight_file;
	struct address_space *as = AS(note & ~VM_CLAIM_FRESH);

	if (!as)
		return;
	if (note & VM_CLAIM_FRESH) {
		/* just allocated, nothing points at it yet */
		kmem_cache_free_claimed(as_cachep(), as);
		mm->inflight_file = 0;
		return;
	}
	filemap_lock();
	if (!kmem_cache_obj_is_free(as_cachep(), as)) {
		if (file_listed(as)) {
			if (as->i_mmap_count)
				as->i_mmap_count--;
			as_free_if_unused(as);
		} else {
			printk("filemap: %s: a file its killed mapper was taking hold of: freed",
			       as->path);
			if (as->holder_pid == getpid())
				close(as->holder_fd);
			as->i_generation = 0;
			kmem_cache_free(as_cachep(), as);
		}
	}
	mm_inflight_obj(&mm->inflight_file, NULL);
	filemap_unlock();
}

void i_mmap_lock_file(struct address_space *as)
{
	i_mmap_lock(as);
}

static void i_mmap_lock(struct address_space *as)
{
	if (vm_lock_acquire(&as->i_mmap_lock) == -EOWNERDEAD) {
		/* links change by single stores (a VMA is linked once its own
		 * link is set, unlinked by one store): the list is whole */
		printk("filemap: %s: i_mmap's holder died; its list is whole", as->path);
		vm_lock_consistent(&as->i_mmap_lock);
	}
}

/* A VMA of the file joins its i_mmap list (a pin of its own). */
void i_mmap_link(struct vm_area_struct *vma)
{
	struct address_space *as = AS(vma->vm_file);

	filemap_lock();
	i_mmap_lock(as);
	vma->shared_next = as->i_mmap;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	as->i_mmap = (uint32_t)__pa(vma);
	as->i_mmap_count++;
	if ((vma->vm_flags & (VM_SHARED | VM_MAYWRITE)) == (VM_SHARED | VM_MAYWRITE))
		as->i_mmap_writable++;
	vm_lock_release(&as->i_mmap_lock);
	filemap_unlock();
}

/* And leaves it, dropping its pin (the file may go with it). */
void i_mmap_unlink(struct vm_area_struct *vma)
{
	struct address_space *as = AS(vma->vm_file);
	uint32_t *link, want = (uint32_t)__pa(vma), n = 0;
	bool found = false;

	if (!as)
		return;
	filemap_lock();
	i_mmap_lock(as);
	for (link = &as->i_mmap; *link && n < VM_MAX_TASKS * 4096u;
	     link = &((struct vm_area_struct *)__va(*link))->shared_next, n++)
		if (*link == want) {
			*link = vma->shared_next;
			found = true;
			break;
		}
	if (found) {
		as->i_mmap_count--;
		if ((vma->vm_flags & (VM_SHARED | VM_MAYWRITE)) == (VM_SHARED | VM_MAYWRITE))
			as->i_mmap_writable--;
	}
	vm_lock_release(&as->i_mmap_lock);
	vma->shared_next = 0;
	if (found) {
		evict_if_deleted(as);
		as_free_if_unused(as);
	}
	filemap_unlock();
}

/* ---- reading ------------------------------------------------------------------- */

/* Which lowmem frames this process's direct map has host pages for: a
 * read into a frame it never touched populates the run first, once. */
static uint64_t *dm_touched;
static uint64_t dm_boot_ns;
static unsigned long dm_frames;

static void direct_map_populate(struct page *first, unsigned n, void *buf)
{
	unsigned long pfn = page_to_pfn(first), i;
	bool all = true;

	if (!dm_touched || dm_boot_ns != vm_boot_block->boot_ns || dm_frames != max_low_pfn) {
		if (dm_touched)
			host_release(dm_touched, ((dm_frames + 63) / 64) * sizeof(uint64_t));
		dm_touched = host_alloc(((max_low_pfn + 63) / 64) * sizeof(uint64_t));
		dm_boot_ns = vm_boot_block->boot_ns;
		dm_frames = dm_touched ? max_low_pfn : 0;
		if (!dm_touched)
			return;
	}
	for (i = pfn; i < pfn + n && all; i++)
		all = dm_touched[i / 64] >> (i % 64) & 1;
	if (all)
		return;
	host_populate_write(buf, (size_t)n << PAGE_SHIFT);
	for (i = pfn; i < pfn + n; i++)
		dm_touched[i / 64] |= 1ull << (i % 64);
}

/* Read n pages (locked, in the cache, consecutive indices from first)
 * from the file: a run of contiguous lowmem frames in one pread; the
 * tail past the end of the file zeroed. 0 or -EIO. */
static int read_pages(struct address_space *as, struct page **pages, unsigned n)
{
	int fd = file_fd(as, false);
	unsigned i, j;

	if (fd < 0) {
		printk("filemap: %s: cannot reach the file (error %d)", as->path, -fd);
		return -EIO;
	}
	for (i = 0; i < n; i = j) {
		uint64_t off = (uint64_t)pages[i]->index << PAGE_SHIFT;
		size_t len;
		long got;
		char *buf;
		bool mapped = false;

		for (j = i + 1; j < n && !PageHighMem(pages[j]) &&
		     page_to_pfn(pages[j]) == page_to_pfn(pages[j - 1]) + 1 &&
		     pages[j]->index == pages[j - 1]->index + 1; j++)
			;
		if (PageHighMem(pages[i])) {
			j = i + 1;
			buf = kmap(pages[i]);
			mapped = true;
		} else {
			buf = page_address(pages[i]);
		}
		len = (size_t)(j - i) << PAGE_SHIFT;
		/* the direct map of frames this process never touched: one
		 * call, not a host fault per page inside the read */
		if (!mapped && j - i > 1)
			direct_map_populate(pages[i], j - i, buf);
		got = host_pread(fd, buf, len, off);
		if (got < 0) {
			if (mapped)
				kunmap(pages[i]);
			printk("filemap: %s: read error %ld at page %u", as->path, -got,
			       pages[i]->index);
			return -EIO;
		}
		if ((size_t)got < len)
			memset(buf + got, 0, len - (size_t)got);	/* past the end */
		if (mapped)
			kunmap(pages[i]);
		as->nr_read += j - i;
		count_vm_events(PGPGIN, (long)(j - i) * (PAGE_SIZE / 1024));
	}
	return 0;
}

/* The window of readahead and fault-around, in pages: the tunable, when
 * it is a power of two the arrays here hold. */
static unsigned fault_around(void)
{
	unsigned ra = fms()->fault_around_pages;

	return ra && ra <= FAULT_AROUND_PAGES && !(ra & (ra - 1)) ? ra : FAULT_AROUND_PAGES;
}

/* Bring index (and the window of readahead around it, not past the end
 * of the file) into the cache: the page at index locked and uptodate
 * with a reference, or NULL with *err. The window's frames come as one
 * contiguous block where one is free, so one host mapping covers it. */
static struct page *page_cache_read(struct mm_struct *mm, struct address_space *as,
				    uint32_t index, int *err)
{
	unsigned ra = fault_around(), order = 0, i, n = 0;
	bool oom = false;
	uint32_t end_index = (uint32_t)((as->i_size + PAGE_SIZE - 1) >> PAGE_SHIFT);
	uint32_t start = index & ~(ra - 1), last;
	struct page *pages[FAULT_AROUND_PAGES], *block = NULL, *want = NULL;

	while ((1u << order) < ra)
		order++;
	last = start + ra;
	if (last > end_index)
		last = end_index;
	if (last <= index)
		last = index + 1;
	/* a whole aligned window not cached yet: one block for it */
	if (last - start == ra && (1u << order) == ra) {
		for (i = start; i < last; i++)
			if (radix_lookup(as, i))
				break;
		if (i == last) {
			block = alloc_pages(GFP_HIGHUSER | __GFP_NOWARN, order);
			if (block) {
				split_page(block, order);
				/* all noted at once: the inserts below are slow
				 * (a tree node may be made), a kill there must
				 * find every page of the block named */
				for (i = 0; i < ra; i++)
					rnote_set(block + i, RNOTE_LOCKED | RNOTE_REF);
			}
		}
	}
	for (i = start; i < last; i++) {
		struct page *page;

		if (block) {
			page = block + (i - start);
		} else if (i == index || !radix_lookup(as, i)) {
			page = alloc_page(i == index ? GFP_HIGHUSER : GFP_HIGHUSER | __GFP_NOWARN);
			if (!page) {
				oom |= i == index;	/* the others read in go on */
				continue;
			}
		} else {
			continue;
		}
		/* noted locked, and holding a reference (RNOTE_REF): a kill
		 * during the read has the supervisor take the page out again
		 * (filemap_note_release) and drop that reference */
		/* a fresh page nobody else sees: noted before it is locked,
		 * so a kill between leaves a note that names it whole */
		rnote_set(page, RNOTE_LOCKED | RNOTE_REF);
		trylock_page(page);
		if (add_to_page_cache(mm, page, as, i) != 0) {
			unlock_page(page);
			rnote_clear(page, RNOTE_LOCKED | RNOTE_REF);
			__free_page(page);
			continue;
		}
		lru_cache_add_file(page);
		pages[n++] = page;
	}
	*err = read_pages(as, pages, n);
	for (i = 0; i < n; i++) {
		struct page *page = pages[i];

		if (!*err)
			SetPageUptodate(page);
		if (page->index == index && !*err) {
			want = page;		/* keeps its allocation's reference */
			continue;
		}
		if (*err) {
			/* nobody can use it: out again */
			tree_lock_w(as, TREE_DELETE);
			__delete_from_page_cache(as, page);
			tree_unlock(as);
			put_page(page);		/* the cache's */
			unlock_page(page);
			rnote_clear(page, RNOTE_LOCKED | RNOTE_REF);
			put_page(page);		/* ours: it goes */
			continue;
		}
		/* the note goes before the reference: a kill between leaks
		 * a reference, never drops one twice */
		rnote_clear(page, RNOTE_REF);
		put_page(page);
		unlock_page(page);
		rnote_clear(page, RNOTE_LOCKED);
	}
	if (!want && !*err)
		*err = oom ? -ENOMEM : -EAGAIN;	/* or someone else added index meanwhile */
	return want;
}

/* The page at index for a fault: uptodate, unlocked, with a reference;
 * or NULL with *err (-EAGAIN: busy, retry; -EIO; -ENOMEM). *major when
 * the file was read. */
static struct page *filemap_get_page(struct mm_struct *mm, struct address_space *as,
				     uint32_t index, bool *major, int *err)
{
	struct page *page = find_get_page(as, index);

	*err = 0;
	if (page) {
		if (PageUptodate(page))
			return page;
		/* a read under way, or one a killed reader left undone */
		if (!trylock_page_noted(page)) {
			put_page(page);
			*err = -EAGAIN;
			return NULL;
		}
		rnote_set(page, RNOTE_REF);	/* (as page_cache_read's) */
		if (!PageUptodate(page)) {
			struct page *one = page;

			*err = read_pages(as, &one, 1);
			if (!*err)
				SetPageUptodate(page);
			*major = true;
		}
		rnote_clear(page, RNOTE_REF);
		unlock_page(page);
		rnote_clear(page, RNOTE_LOCKED);
		if (*err) {
			put_page(page);
			return NULL;
		}
		return page;
	}
	page = page_cache_read(mm, as, index, err);
	if (!page)
		return NULL;
	*major = true;
	rnote_clear(page, RNOTE_REF);	/* the reference is the caller's now */
	unlock_page(page);
	rnote_clear(page, RNOTE_LOCKED);
	return page;
}

/* ---- the fault -------------------------------------------------------------- */

static inline uint32_t vma_index(const struct vm_area_struct *vma, uint32_t va)
{
	return vma->vm_pgoff + ((va - vma->vm_start) >> PAGE_SHIFT);
}

/* Map a cached page (a reference held for the PTE) at pte. */
static void map_file_page(struct mm_struct *mm, struct vm_area_struct *vma, uint32_t va,
			  uint64_t pte, struct page *page, bool write)
{
	int mode = (int)vm_boot_block->mode;
	pgprot_t prot = vm_get_page_prot(vma->vm_flags) | _PAGE_ACCESSED;

	if (write && (prot & _PAGE_RW))
		prot |= _PAGE_DIRTY;
	/* noted from the reference to the PTE (a kill: file_page_recount) */
	mm_inflight_set(mm, INFLIGHT_DUP, page_to_pfn(page), 0, va);
	if (__atomic_add_fetch(&page->_mapcount, 1, __ATOMIC_RELAXED) == 0)
		mod_node_page_state(NR_FILE_MAPPED, 1);
	set_pte(pte, pfn_pte(mode, page_to_pfn(page), prot));
	mm_inflight_clear(mm);
	mm->rss_stat[MM_FILEPAGES]++;
}

/* Map the cached pages around addr whose PTEs are empty (Linux's
 * do_fault_around): the aligned window of fault_around_pages, inside the
 * VMA, the page table and the file. A run of contiguous frames around
 * addr widens the fault's own host mapping; the others go to around. */
static void filemap_map_pages(struct mm_struct *mm, struct vm_area_struct *vma, uint32_t addr,
			      uint64_t pte, struct tlb_fill *fill)
{
	struct address_space *as = AS(vma->vm_file);
	unsigned esz = pt_entry_size((int)vm_boot_block->mode);
	uint32_t span = fault_around() * PAGE_SIZE;
	uint32_t tbl = 1u << pmd_shift((int)vm_boot_block->mode);
	uint32_t start = addr & ~(span - 1), end = start + span, va;
	uint32_t end_index = (uint32_t)((as->i_size + PAGE_SIZE - 1) >> PAGE_SHIFT);
	uint32_t lo = addr, hi = addr + PAGE_SIZE;
	uint64_t pfn0 = fill->pfn;

	if (start < vma->vm_start)
		start = vma->vm_start;
	if (start < (addr & ~(tbl - 1)))
		start = addr & ~(tbl - 1);
	if (end > vma->vm_end || end < start)
		end = vma->vm_end;
	for (va = start; va < end; va += PAGE_SIZE) {
		uint64_t p = pte + (uint64_t)(int64_t)((int32_t)(va - addr) / (int32_t)PAGE_SIZE) * esz;
		uint32_t index = vma_index(vma, va);
		struct page *page;

		if (va == addr || index >= end_index || !pte_none(pt_read(p)))
			continue;
		page = find_get_page(as, index);
		if (!page)
			continue;
		if (!PageUptodate(page) || PageLocked(page)) {
			put_page(page);
			continue;
		}
		/* the table's count before the PTE appears, as a fault's */
		pte_table_account(mm, va, 1);
		map_file_page(mm, vma, va, p, page, false);
		/* one host mapping for the contiguous run around addr */
		if (va == hi && page_to_pfn(page) == pfn0 + ((hi - addr) >> PAGE_SHIFT)) {
			hi += PAGE_SIZE;
			continue;
		}
		if (fill->nr_around < ARRAY_SIZE(fill->around)) {
			struct tlb_around *a = &fill->around[fill->nr_around++];

			a->va = va;
			a->pfn = (uint32_t)page_to_pfn(page);
			a->writable = false;
		}
	}
	/* pages below addr that continue the run backwards: the run's host
	 * mapping is read-only, less than any of their PTEs allows; each
	 * gets A, as a host mapping of it requires (DESIGN §7) */
	while (lo > start && !fill->writable) {
		uint64_t p = pte - (uint64_t)((addr - (lo - PAGE_SIZE)) >> PAGE_SHIFT) * esz;
		pteval_t x = pt_read(p);
		unsigned i;

		if (!pte_present(x) || !pte_user(x) ||
		    pte_pfn(x) != pfn0 - ((addr - (lo - PAGE_SIZE)) >> PAGE_SHIFT))
			break;
		if (!pte_young(x))
			set_pte(p, x | _PAGE_ACCESSED);
		lo -= PAGE_SIZE;
		/* it is in the run now: no host mapping of its own */
		for (i = 0; i < fill->nr_around; i++)
			if (fill->around[i].va == lo)
				fill->around[i] = fill->around[--fill->nr_around];
	}
	if (fill->writable) {
		hi = addr + PAGE_SIZE;		/* a writable page is mapped alone */
		lo = addr;
	}
	fill->va = lo;
	fill->pfn = pfn0 - ((addr - lo) >> PAGE_SHIFT);
	fill->npages = (hi - lo) >> PAGE_SHIFT;
}

/*
 * A fault on an empty PTE of a file VMA (Linux's filemap_fault and
 * do_read_fault / do_shared_fault / do_cow_fault): the page from the
 * cache, or read; SIGBUS past the end of the file. A private write maps
 * the cached page and lets do_wp_page copy it (the caller sees the PTE
 * read-only and write: it calls do_wp_page next).
 */
int filemap_fault(struct mm_struct *mm, struct vm_area_struct *vma, uint32_t addr, uint64_t pte,
		  unsigned error_code, struct tlb_fill *fill)
{
	struct address_space *as = AS(vma->vm_file);
	bool write = error_code & X86_PF_WRITE, major = false;
	uint32_t index = vma_index(vma, addr);
	struct page *page;
	int err;

	if ((uint64_t)index << PAGE_SHIFT >= as->i_size) {
		file_refresh(as, false);	/* it may have grown */
		if ((uint64_t)index << PAGE_SHIFT >= as->i_size)
			return VM_FAULT_SIGBUS;
	}
	reclaim_own_mm = true;
	page = filemap_get_page(mm, as, index, &major, &err);
	reclaim_own_mm = false;
	if (!page) {
		if (err == -EAGAIN)
			return VM_FAULT_RETRY;
		return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
	}
	if (!pte_none(pt_read(pte))) {
		put_page(page);			/* reclaim or another path filled it */
		return VM_FAULT_RETRY;
	}
	pte_table_account(mm, addr, 1);
	map_file_page(mm, vma, addr & (uint32_t)PAGE_MASK, pte, page, write);
	if (write && (vma->vm_flags & VM_SHARED))
		set_page_dirty(page);
	fill->va = addr & (uint32_t)PAGE_MASK;
	fill->npages = 1;
	fill->pfn = page_to_pfn(page);
	fill->writable = write && (vma->vm_flags & VM_SHARED);
	fill->major = major;
	if (!write)
		filemap_map_pages(mm, vma, fill->va, pte, fill);
	return VM_FAULT_OK;
}

/* ---- writeback ------------------------------------------------------------ */

/* Write one page (locked, cleaned) to the file, up to its end. 0 or -EIO. */
static int writepage(struct address_space *as, struct page *page)
{
	uint64_t off = (uint64_t)page->index << PAGE_SHIFT;
	int fd = file_fd(as, true);
	size_t len = PAGE_SIZE;
	long got = 0;
	void *buf;

	if (off >= as->i_size) {
		set_writeback(page, false);
		return 0;			/* truncated away: nothing to keep */
	}
	if (as->i_size - off < len)
		len = (size_t)(as->i_size - off);
	if (fd < 0) {
		got = fd;
		set_writeback(page, false);
		goto fail;
	}
	set_writeback(page, true);
	buf = kmap(page);
	got = host_pwrite(fd, buf, len, off);
	kunmap(page);
	set_writeback(page, false);
	if (got == (long)len) {
		as->nr_written++;
		mod_node_page_state(NR_WRITTEN, 1);
		count_vm_events(PGPGOUT, PAGE_SIZE / 1024);
		return 0;
	}
fail:
	printk("filemap: %s: write error %ld at page %u: the page stays dirty", as->path,
	       got < 0 ? -got : (long)EIO, page->index);
	as->flags |= AS_EIO;
	set_page_dirty(page);
	return -EIO;
}

static struct tlb_batch wb_batch;
static bool in_flusher;			/* this process is the flusher */
static void flusher_serve_request(void);

/* Write the dirty pages of as in [first, last]: locked a batch at a time,
 * cleaned together (one shootdown), written. With wait, pages locked by
 * others are waited for; without, skipped. 0, or -EIO. */
int filemap_write_range(struct address_space *as, uint32_t first, uint32_t last, bool wait)
{
	uint32_t idx[WB_BATCH], pfn[WB_BATCH], next = first;
	struct page *locked[WB_BATCH];
	bool need[WB_BATCH], redirty[WB_BATCH], done;
	unsigned n, i, nl, tries = 0, wrote = 0;
	int err = 0;

	file_refresh(as, false);
	writeback_own_mm = true;
	for (;;) {
		bool any_busy = false;

		tree_lock(as);
		n = radix_gang(as, next, last, PAGECACHE_TAG_DIRTY, idx, pfn, WB_BATCH);
		for (i = 0, nl = 0; i < n; i++) {
			struct page *page = pfn_to_page(pfn[i]);

			if (!get_page_unless_zero(page))
				continue;
			rnote_set(page, RNOTE_REF);	/* a kill gives it back */
			locked[nl++] = page;
		}
		tree_unlock(as);
		if (!n)
			break;
		next = idx[n - 1] + 1;
		done = idx[n - 1] >= last;	/* (next wraps past the last index) */
		/* PG_dirty goes first, then the D bits: a write between
		 * the two dirties the page again (and is written now too),
		 * none can be left with D set and PG_dirty clear */
		for (i = 0; i < nl; i++) {
			if (!trylock_page_noted(locked[i])) {
				any_busy = true;
				put_page_noted(locked[i]);
				locked[i] = NULL;
				continue;
			}
			need[i] = locked[i]->mapping == as_pa(as) && test_clear_page_dirty(locked[i]);
			redirty[i] = false;
			if (locked[i]->mapping == as_pa(as)) {
				unsigned busy;

				if (page_mkclean_batch(locked[i], &wb_batch, &busy))
					need[i] = true;
				/* a mapper too busy to clean may write on through
				 * its host mapping: the page stays dirty */
				redirty[i] = busy && need[i];
			}
		}
		tlb_batch_flush(&wb_batch, TLB_SHOOTDOWN_TIMEOUT_NS);
		for (i = 0; i < nl; i++) {
			struct page *page = locked[i];

			if (!page)
				continue;
			if (need[i]) {
				wrote++;
				if (writepage(as, page))
					err = -EIO;
				else if (redirty[i])
					set_page_dirty(page);
			}
			unlock_page(page);
			rnote_clear(page, RNOTE_LOCKED);
			put_page_noted(page);
		}
		if (in_flusher)
			flusher_serve_request();
		if (any_busy && wait && tries++ < 1000) {
			next = idx[0];		/* again, for the pages that were busy */
			done = false;
			sleep_answering_shootdowns(100000);
		}
		if (done)
			break;
	}
	writeback_own_mm = false;
	if (wrote)
		file_refresh(as, true);
	/* pages another process took to write (their dirty tag gone, their
	 * writeback tag on): a sync waits for them (filemap_fdatawait) */
	for (tries = 0; wait && tries < 20000; tries++) {
		tree_lock(as);
		n = radix_gang(as, first, last, PAGECACHE_TAG_WRITEBACK, idx, pfn, 1);
		tree_unlock(as);
		if (!n)
			break;
		sleep_answering_shootdowns(50000);
	}
	return err;
}

/* D bits of a mapping's PTEs into their pages (msync: so the pages'
 * dirtiness is all in PG_dirty before the write). mmap_lock held. */
static void mkdirty_range(struct mm_struct *mm, uint32_t start, uint32_t end)
{
	uint32_t va;

	for (va = start; va < end; va += PAGE_SIZE) {
		uint64_t pte = pte_lookup(mm, va);
		pteval_t e = pte ? pt_read(pte) : 0;

		if (!pte) {
			uint32_t tbl = 1u << pmd_shift((int)vm_boot_block->mode);

			va = (va & ~(tbl - 1)) + tbl - PAGE_SIZE;
			if (va + PAGE_SIZE < start)
				break;
			continue;
		}
		if (pte_present(e) && pte_dirty(e) && !is_zero_pfn(pte_pfn(e)) &&
		    PageFile(pfn_to_page(pte_pfn(e))))
			set_page_dirty(pfn_to_page(pte_pfn(e)));
	}
}

/* Write back what a shared file VMA maps in [start, end): msync, and the
 * unmap of the mapping (munmap, exit). mmap_lock held. 0 or -EIO. */
int filemap_sync_vma(struct mm_struct *mm, struct vm_area_struct *vma, uint32_t start,
		     uint32_t end)
{
	struct address_space *as = AS(vma->vm_file);

	if (!as || !(vma->vm_flags & VM_SHARED) || start >= end)
		return 0;
	mkdirty_range(mm, start, end);
	return filemap_write_range(as, vma_index(vma, start), vma_index(vma, end - 1), true);
}

int mm_msync(struct mm_struct *mm, uint32_t start, uint32_t len, int flags)
{
	struct vm_area_struct *vma;
	int err = 0, unmapped = 0;
	uint32_t end;

	/* Linux's checks, in its order */
	if (start & (PAGE_SIZE - 1))
		return -EINVAL;
	if (flags & ~(MS_ASYNC | MS_SYNC | MS_INVALIDATE))
		return -EINVAL;
	if ((flags & MS_ASYNC) && (flags & MS_SYNC))
		return -EINVAL;
	if (len && !((len + PAGE_SIZE - 1) & (uint32_t)PAGE_MASK))
		return -ENOMEM;				/* rounds past 4 GiB */
	len = (len + PAGE_SIZE - 1) & (uint32_t)PAGE_MASK;
	end = start + len;
	if (end < start)
		return -ENOMEM;
	if (end == start)
		return 0;

	mmap_lock_own(mm);
	vma = find_vma(mm, start);
	while (start < end) {
		uint32_t s, e;

		if (!vma) {
			unmapped = 1;
			break;
		}
		if (vma->vm_start > start) {
			unmapped = 1;
			start = vma->vm_start;
			if (start >= end)
				break;
		}
		s = start;
		e = vma->vm_end < end ? vma->vm_end : end;
		if ((flags & MS_INVALIDATE) && (vma->vm_flags & VM_LOCKED)) {
			err = -EBUSY;
			break;
		}
		/* MS_ASYNC too: the host's read(2) sees the file, not this
		 * cache, so "scheduled" would be seen as "not done" */
		if ((flags & (MS_SYNC | MS_ASYNC)) && vma->vm_file && (vma->vm_flags & VM_SHARED)) {
			struct address_space *as = AS(vma->vm_file);

			if (filemap_sync_vma(mm, vma, s, e))
				err = -EIO;
			if (as->flags & AS_EIO) {
				as->flags &= ~AS_EIO;	/* reported once, as errseq does */
				err = -EIO;
			}
		}
		start = e;
		vma = vma_next(vma);
	}
	vm_lock_release(&mm->mmap_lock);
	return err ? err : unmapped ? -ENOMEM : 0;
}

/* Write every dirty page of every file; with expired_only, only files
 * dirty for longer than dirty_expire (the flusher's periodic pass). The
 * files written. */
unsigned long filemap_writeback_all(bool expired_only)
{
	struct filemap_state *s = fms();
	uint64_t now = host_now_ns(), expire = (uint64_t)s->dirty_expire_cs * 10000000ull;
	struct address_space *todo[64];
	unsigned long written = 0;
	unsigned nr, i, skip = 0;

	do {
		uint32_t pa, n = 0;
		unsigned seen = 0;

		/* pin a batch of dirty files under the list's lock; write
		 * them without it, so mmaps go on meanwhile */
		nr = 0;
		filemap_lock();
		for (pa = s->files; pa && n <= s->nr_files && nr < ARRAY_SIZE(todo);
		     pa = AS(pa)->next, n++) {
			struct address_space *as = AS(pa);
			uint64_t when = as->dirtied_when;

			if (!as->nrdirty)
				continue;
			if (expired_only && (!when || now - when < expire))
				continue;
			if (seen++ < skip)
				continue;
			as->i_wb_pins++;
			todo[nr++] = as;
		}
		filemap_unlock();
		for (i = 0; i < nr; i++) {
			filemap_write_range(todo[i], 0, UINT32_MAX, !expired_only);
			filemap_lock();
			todo[i]->i_wb_pins--;
			as_free_if_unused(todo[i]);
			filemap_unlock();
			written++;
		}
		skip += nr;
	} while (nr == ARRAY_SIZE(todo));
	return written;
}

/* ---- dropping --------------------------------------------------------------- */

static unsigned long invalidate_mapping_pages(struct address_space *as, bool discard)
{
	uint32_t idx[WB_BATCH], pfn[WB_BATCH], next = 0;
	unsigned long dropped = 0;
	unsigned n, i;

	do {
		struct page *got[WB_BATCH];
		unsigned ng = 0;

		tree_lock(as);
		n = radix_gang(as, next, UINT32_MAX, -1, idx, pfn, WB_BATCH);
		for (i = 0; i < n; i++)
			if (get_page_unless_zero(pfn_to_page(pfn[i]))) {
				got[ng++] = pfn_to_page(pfn[i]);
				rnote_set(pfn_to_page(pfn[i]), RNOTE_REF);
			}
		tree_unlock(as);
		if (n)
			next = idx[n - 1] + 1;
		for (i = 0; i < ng; i++) {
			struct page *page = got[i];

			if (trylock_page_noted(page)) {
				if (discard && page->mapping == as_pa(as) && page->_mapcount < 0 &&
				    !(page->flags & (1u << PG_writeback)))
					cancel_dirty_page(as, page);
				if (page->mapping == as_pa(as) && remove_mapping_file(page, 1)) {
					unlock_page(page);
					rnote_clear(page, RNOTE_LOCKED);
					lru_cache_del(page);
					dropped++;
				} else {
					unlock_page(page);
					rnote_clear(page, RNOTE_LOCKED);
				}
			}
			put_page_noted(page);
		}
	} while (n == WB_BATCH && next);
	return dropped;
}

/* Linux's echo 3 > drop_caches after a sync: every file written, every
 * page nobody maps or holds dropped, every file nothing maps or caches
 * freed. The pages dropped. */
unsigned long filemap_drop_caches(void)
{
	struct filemap_state *s = fms();
	unsigned long dropped = 0;
	uint32_t pa, next, n = 0, bound;

	filemap_writeback_all(false);
	filemap_lock();
	bound = s->nr_files + 1;	/* (the frees below lower nr_files) */
	for (pa = s->files; pa && n <= bound; pa = next, n++) {
		struct address_space *as = AS(pa);

		next = as->next;
		dropped += invalidate_mapping_pages(as, false);
		as_free_if_unused(as);
	}
	filemap_unlock();
	return dropped;
}

/* ---- the flusher ---------------------------------------------------------- */

static volatile sig_atomic_t flusher_should_stop;

static void flusher_stop_handler(int sig)
{
	(void)sig;
	flusher_should_stop = 1;
}

/* What the flusher holds open: the file's generation by descriptor. */
static struct held {
	uint32_t as;
	uint32_t gen;
} *held;
static unsigned nr_held;		/* entries: the flusher's descriptor limit */

/* The flusher holds a descriptor per cached file: as many as the host
 * lets it (the hard limit, at most HELD_MAX). */
#define HELD_MAX	65536u
static void held_init(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rlim_t want = rl.rlim_max < HELD_MAX ? rl.rlim_max : HELD_MAX;

		if (rl.rlim_cur < want) {
			rl.rlim_cur = want;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		getrlimit(RLIMIT_NOFILE, &rl);
		nr_held = rl.rlim_cur < HELD_MAX ? (unsigned)rl.rlim_cur : HELD_MAX;
	}
	if (nr_held < 64)
		nr_held = 64;
	held = host_alloc(nr_held * sizeof(*held));
	if (!held)
		vm_panic("pdflush: no memory for its table of files");
}

static void flusher_serve_request(void)
{
	struct filemap_state *s = fms();
	uint32_t req = __atomic_load_n(&s->req_seq, __ATOMIC_ACQUIRE);
	struct address_space *as;
	char path[64];
	bool rw;
	int fd;

	if (req == __atomic_load_n(&s->ack_seq, __ATOMIC_RELAXED))
		return;
	as = AS(s->req_as);
	/* (a requester killed while it waited: its file is freed) */
	if (!as || kmem_cache_obj_is_free(as_cachep(), as) || as->i_generation != s->req_gen) {
		s->req_result = -ETIMEDOUT;	/* its requester gave up */
		goto ack;
	}
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)s->req_pid, s->req_fd);
	fd = open(path, O_RDWR | O_CLOEXEC);
	rw = fd >= 0;
	if (fd < 0)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && (unsigned)fd >= nr_held) {
		close(fd);
		fd = -EMFILE;
	} else if (fd < 0) {
		fd = -errno;
	} else {
		/* an upgrade replaces what it held for the file */
		if (as->holder_pid == getpid() && as->holder_fd != fd &&
		    (unsigned)as->holder_fd < nr_held &&
		    held[as->holder_fd].as == as_pa(as)) {
			close(as->holder_fd);
			held[as->holder_fd].as = 0;
		}
		held[fd].as = as_pa(as);
		held[fd].gen = as->i_generation;
		/* the file's holder is set here, in the process whose sweep
		 * closes what no file names: never in between */
		if (kmem_cache_obj_is_free(as_cachep(), as) || as->i_generation != s->req_gen) {
			close(fd);
			held[fd].as = 0;
			fd = -ETIMEDOUT;
			goto done;
		}
		as->holder_fd = fd;
		as->flags = rw ? (as->flags | AS_HOLDER_RDWR) : (as->flags & ~AS_HOLDER_RDWR);
		__atomic_store_n(&as->holder_pid, getpid(), __ATOMIC_RELEASE);
	}
done:
	s->req_result = fd;
ack:
	__atomic_store_n(&s->ack_seq, req, __ATOMIC_RELEASE);
	host_futex_wake(&s->ack_seq, INT32_MAX);
}

/* Close what the flusher holds for files that are gone (or whose holder
 * is now someone else), and free files nothing uses. */
static void flusher_sweep(void)
{
	struct filemap_state *s = fms();
	uint32_t pa, next, n = 0, bound;
	unsigned fd;

	filemap_lock();
	bound = s->nr_files + 1;	/* (the frees below lower nr_files) */
	for (pa = s->files; pa && n <= bound; pa = next, n++) {
		next = AS(pa)->next;
		as_free_if_unused(AS(pa));
	}
	for (fd = 0; fd < nr_held; fd++) {
		struct address_space *as = AS(held[fd].as);

		if (!as)
			continue;
		if (kmem_cache_obj_is_free(as_cachep(), as) || as->i_generation != held[fd].gen ||
		    as->holder_pid != getpid() || as->holder_fd != (int)fd) {
			close((int)fd);
			held[fd].as = 0;
		}
	}
	filemap_unlock();
}

void flusher_main(void)
{
	struct filemap_state *s = fms();
	struct sigaction sa;
	uint64_t last = host_now_ns();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = flusher_stop_handler;
	sigaction(SIGTERM, &sa, NULL);
	in_flusher = true;
	held_init();
	printk("pdflush: started (pid %d), holding up to %u files", (int)getpid(), nr_held);
	while (!flusher_should_stop) {
		uint32_t seen = __atomic_load_n(&s->flusher_wait, __ATOMIC_ACQUIRE);
		uint64_t interval = (uint64_t)s->dirty_writeback_cs * 10000000ull, now;

		flusher_serve_request();
		now = host_now_ns();
		if (now - last >= interval) {
			__atomic_store_n(&s->flusher_state, 1, __ATOMIC_RELEASE);
			if (filemap_writeback_all(true))
				s->flusher_runs++;
			flusher_sweep();
			__atomic_store_n(&s->flusher_state, 0, __ATOMIC_RELEASE);
			last = host_now_ns();
			continue;
		}
		host_futex_wait(&s->flusher_wait, seen, interval - (now - last));
	}
}

pid_t flusher_run(void)
{
	return kthread_run("pdflush", flusher_main, &fms()->flusher_pid);
}

void flusher_stop(void)
{
	struct filemap_state *s = fms();

	kthread_stop(&s->flusher_pid, &s->flusher_wait, &s->flusher_state);
}

/* Is the machine's RAM file on a noexec mount (no PROT_EXEC host
 * mappings of it)? Looked at once per process. */
bool ram_file_noexec(void)
{
	return ram_noexec();
}

bool ram_noexec(void)
{
	static int noexec = -1;
	struct statvfs sv;

	if (noexec < 0)
		noexec = fstatvfs(vm_ram_fd, &sv) == 0 && (sv.f_flag & ST_NOEXEC);
	return noexec;
}
