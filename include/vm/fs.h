/* fs.h - the page cache of mapped host files, as it lies in RAM: one
 * address_space per file a guest maps (keyed by the host's st_dev and
 * st_ino), its radix tree of cached pages, the list of VMAs that map it
 * (i_mmap), and the flusher's state. vmrun, vmdump and the tests read the
 * same layout. Links are physical addresses (lowmem, 32 bits).
 *
 * A page in the page cache:
 *
 *   mapping   pa of its address_space (bit 0 clear: not anonymous)
 *   index     its offset in the file, in pages
 *   _refcount one for the cache, one per PTE that maps it, one per
 *             holder (a fault, reclaim, writeback) for the moment
 *   _mapcount PTEs that map it, minus one
 *   flags     PG_uptodate once read, PG_dirty when the file is behind it,
 *             PG_writeback while written, PG_lru and PG_active on the
 *             file LRU lists (PG_swapbacked clear, as Linux tells the
 *             two kinds of page apart)
 *
 * The tree. 64 slots a node (Linux's RADIX_TREE_MAP_SHIFT of 6); a leaf's
 * slots hold pfns, an inner node's the pa of its children; 0 is an empty
 * slot (frame 0 is the boot block, never cached). Each node keeps a bitmap
 * per tag of the slots whose page, or whose subtree, carries the tag, so
 * writeback finds dirty pages without looking at clean ones.
 *
 * The open file. Host file descriptors are per process, and a page may be
 * read or written by any process of the machine (a guest's fault, kswapd,
 * the flusher, vmrun reaping a killed guest). So one process holds the
 * file open for the machine (holder_pid, holder_fd: the flusher when one
 * runs) and any other reaches it by opening /proc/HOLDER/fd/FD, which works
 * for a file already removed, as Linux's struct file keeps an unlinked
 * inode alive. A process caches what it opened, by i_generation.
 *
 * Coherence with the host. Guests also use the host's read and write,
 * which do not go through this cache. A file's pages are therefore written
 * back when a mapping of them goes (munmap, exit), and a file whose size or
 * mtime changed behind the cache, with no page dirty or mapped, has its
 * cache dropped at the next mmap (close-to-open, as NFS does it).
 *
 * Locks (internal.h for the whole order): filemap_state.lock (the list of
 * files, i_mmap_count) -> page lock -> i_mmap_lock -> mm's page tables ->
 * tree_lock -> lru_lock -> zone lock. A holder of filemap_state.lock
 * killed mid-change leaves the list whole (it changes by single stores)
 * and the counts to be made again from the i_mmap lists and the mms'
 * pins; tree_lock guards the tree, its tags and the counts: a holder
 * killed while it read leaves nothing to repair, one killed while it
 * changed them (tree_changing) panics the machine with a clear line.
 */
#ifndef VM_FS_H
#define VM_FS_H

#include <stdint.h>
#include <vm/lock.h>

#define RADIX_TREE_MAP_SHIFT	6
#define RADIX_TREE_MAP_SIZE	(1u << RADIX_TREE_MAP_SHIFT)
#define RADIX_TREE_MAP_MASK	(RADIX_TREE_MAP_SIZE - 1)

enum pagecache_tag {
	PAGECACHE_TAG_DIRTY,		/* PG_dirty: the file is behind the page */
	PAGECACHE_TAG_WRITEBACK,	/* PG_writeback: being written */
	RADIX_TREE_MAX_TAGS
};

struct radix_tree_node {
	uint8_t  shift;			/* index bits below this node's slots: 0 in a leaf */
	uint8_t  offset;		/* its slot in the parent */
	uint16_t count;			/* slots in use */
	uint32_t parent;		/* pa of the parent, 0 for the top node */
	uint64_t tags[RADIX_TREE_MAX_TAGS]; /* a bit per slot, per tag */
	uint32_t slots[RADIX_TREE_MAP_SIZE]; /* leaf: pfn; inner: pa of a child */
};

#define VM_FILE_PATH_MAX	128

/* address_space.flags */
#define AS_EIO			0x1u	/* a write failed: msync reports EIO once */
#define AS_HOLDER_RDWR		0x2u	/* the holder opened it for writing too */
#define AS_DELETED		0x4u	/* the host file was removed (seen at writeback) */

/* One mapped host file: Linux's inode and its i_data in one. In the list
 * of filemap_state while a page is cached or a VMA maps it. */
struct address_space {
	struct vm_lock tree_lock;	/* the tree, its tags, the counts below */
	struct vm_lock i_mmap_lock;	/* the VMAs that map it */
	uint64_t dev;			/* st_dev of the host file */
	uint64_t ino;			/* st_ino */
	uint64_t i_size;		/* its size in bytes, as last seen */
	int64_t  mtime_ns;		/* its mtime when the cache last agreed with it */
	uint64_t dirtied_when;		/* CLOCK_MONOTONIC ns its first dirty page got so (0: clean) */
	uint32_t rnode;			/* pa of the tree's top node, 0 when empty */
	uint32_t nrpages;		/* pages in the tree */
	uint32_t nrdirty;		/* of them tagged dirty */
	uint32_t nrwriteback;		/* of them tagged writeback */
	uint32_t i_mmap;		/* pa of the first VMA mapping it, through vma->shared_next */
	uint32_t i_mmap_count;		/* VMAs on that list, plus the mms whose mmap has it
					 * pinned (mm->inflight_file): the file stays while
					 * it is not 0, and a repair recounts it from both */
	uint32_t i_wb_pins;		/* writeback passes of the flusher or vmrun at work */
	uint32_t tree_changing;		/* tree_lock's holder is changing the tree (not reading) */
	uint32_t i_mmap_writable;	/* of them shared and writable */
	uint32_t next;			/* pa of the next file in filemap_state's list */
	uint32_t i_generation;		/* unique for the object's life: a process's cached fd matches it */
	int32_t  holder_pid;		/* host process that holds the file open, 0 none */
	int32_t  holder_fd;		/* its descriptor there */
	uint32_t flags;			/* AS_* */
	uint64_t nr_read;		/* pages read from the file */
	uint64_t nr_written;		/* pages written to it */
	char     path[VM_FILE_PATH_MAX]; /* as its first mapper's /proc/self/fd named it */
};

/* The page cache and its flusher (filemap.c), Linux's pdflush: a host
 * process of its own (vmrun starts it) that wakes every
 * dirty_writeback_cs and writes the files dirty for longer than
 * dirty_expire_cs. It also holds the machine's open files: a process that
 * maps a file the cache does not know posts it here (req_*) and the
 * flusher opens it from /proc/REQ_PID/fd/REQ_FD. */
struct filemap_state {
	struct vm_lock lock;		/* the list of files */
	uint32_t files;			/* pa of the first address_space */
	uint32_t nr_files;		/* on the list */
	uint32_t as_cache;		/* pa of the "address_space" kmem_cache */
	uint32_t node_cache;		/* pa of the "radix_tree_node" kmem_cache */
	uint32_t next_generation;	/* the next i_generation */
	uint32_t fault_around_pages;	/* fault_around_bytes / PAGE_SIZE (16) */
	uint32_t dirty_expire_cs;	/* vm.dirty_expire_centisecs (3000) */
	uint32_t dirty_writeback_cs;	/* vm.dirty_writeback_centisecs (500) */
	/* the flusher */
	uint32_t flusher_wait;		/* futex: bumped to wake it */
	int32_t  flusher_pid;		/* its host pid, 0 when none runs */
	uint32_t flusher_state;		/* 0 asleep, 1 writing */
	uint32_t req_gen;		/* the i_generation of req_as when posted */
	uint64_t flusher_runs;		/* times it woke and wrote */
	uint32_t freeing;		/* pa of a file being taken off the list and freed, under
					 * lock (a holder killed in between: the repair frees it) */
	uint32_t freeing_gen;		/* and its i_generation, which dies with it */
	/* a file for the flusher to hold, one request at a time */
	struct vm_lock req_lock;	/* taken by the requester for the round trip */
	uint32_t req_seq;		/* futex: bumped by a requester */
	uint32_t ack_seq;		/* futex: set to req_seq by the flusher when done */
	int32_t  req_pid;		/* the requester's host pid */
	int32_t  req_fd;		/* its descriptor for the file */
	uint32_t req_as;		/* pa of the address_space to hold it for */
	int32_t  req_result;		/* the flusher's descriptor, or -errno */
};

#endif /* VM_FS_H */
