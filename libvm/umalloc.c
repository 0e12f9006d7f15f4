/* umalloc.c - the guest's malloc: vm_malloc, vm_calloc, vm_realloc, vm_free
 * over the guest system calls vm_sbrk, vm_mmap and vm_munmap (guest.c).
 * Everything here runs in one guest process, single-threaded; the heap
 * lives in the user window, the allocator's own state in host statics.
 *
 * A chunk (dlmalloc's boundary tags, with 32-bit fields: links are guest
 * virtual addresses, never host pointers, like every link kept in RAM).
 * Chunks start at 8 mod 16, so the memory handed out is 16-byte aligned:
 *
 *   in use                                free
 *   c+0  prev_size  (prev's, if free)     c+0  prev_size  (prev's, if free)
 *   c+4  size | MMAPPED CINUSE PINUSE     c+4  size | PINUSE
 *   c+8  user data ...                    c+8  fd  (gva, next in bin)
 *        ...                              c+12 bk  (gva, previous in bin)
 *        ...                                   ... never touched ...
 *   c+size  next's prev_size: lent to     c+size  prev_size = size (footer)
 *           this chunk's user data        c+size+4  next's size, PINUSE clear
 *
 * So a chunk costs 4 bytes in use (size - 4 usable), 16 bytes is the least
 * (vm_malloc(0..12)), and a request of n takes ALIGN(n + 4, 16).
 *
 * Size classes, one free list (bin) each, over the chunk size:
 *
 *   bins  0..31   16, 32, 48 ... 512 bytes: one exact size each
 *   bins 32..63   (512, 128K): four geometric classes per power of two,
 *                 528-640-768-896-1024, 1024-1280-1536-1792-2048, ...
 *   bin  64       128K and up (only coalescing makes such heap chunks)
 *
 * A bitmap says which bins hold chunks. Requests below the mmap threshold
 * (128 KiB, glibc's M_MMAP_THRESHOLD) take a chunk from their bin (exact
 * for small sizes, the best of a bounded scan otherwise), else from the
 * smallest non-empty larger bin, split; else they carve from the top chunk,
 * the free end of the heap, grown by vm_sbrk in steps of 128 KiB or more.
 * Free merges a chunk with free neighbours at once (every chunk size, so no
 * two free chunks ever touch) and files it, LIFO, so the block just freed
 * is the next one handed out; what reaches the top goes back with a
 * negative vm_sbrk once the top exceeds 128 KiB (M_TRIM_THRESHOLD).
 * Requests of 128 KiB and more get their own vm_mmap; free unmaps them.
 *
 *   mmapped:  m+0 next, m+4 prev (gva of the other mmapped chunks: a list
 *             for validate_umalloc), m+8 prev_size = 8 (offset in the
 *             mapping), m+12 size = mapping length | MMAPPED | CINUSE,
 *             m+16 user data
 *
 * The top chunk has no header in memory (its start and end are statics), so
 * carving from it writes one word, and nothing here ever writes memory the
 * caller did not ask for beyond headers: pages stay demand-zero until the
 * caller touches them. vm_calloc trusts that: everything above `clean`
 * (in the top chunk's segment) has never been handed out, and only what
 * lies below it, or comes from a bin, is zeroed.
 *
 * When vm_sbrk does not continue the top (someone else moved the break, or
 * brk failed and a vm_mmap'd segment stands in), a new segment starts; the
 * old top is filed as a free chunk with a fencepost (size 0, in use) after
 * it, so nothing ever merges across a gap. A mapped segment is never
 * trimmed: it stays with the heap for the life of the process.
 *
 * Signals: no locks (one thread), but a handler may interrupt us. A
 * vm_free from a handler that interrupted the allocator is queued and done
 * when the interrupted call returns; a vm_malloc/calloc/realloc from such a
 * handler fails with ENOMEM rather than corrupt the heap.
 *
 * Rejected (not built): glibc's fastbins, no-coalesce lists for small
 * sizes. A faster free, but fragmentation then stays bounded only through
 * a consolidation pass before each trim and large request; coalescing on
 * every free costs two header reads and keeps "no two free chunks touch"
 * true at all times, which validate_umalloc checks.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vm/guest.h>
#include "internal.h"

#define CHUNK_ALIGN		16
#define MIN_CHUNK		16u		/* header + fd + bk */
#define CHUNK_OVERHEAD		4u		/* in use: size - 4 usable */
#define MMAP_THRESHOLD		(128u << 10)	/* M_MMAP_THRESHOLD */
#define TRIM_THRESHOLD		(128u << 10)	/* M_TRIM_THRESHOLD */
#define TOP_PAD			(128u << 10)	/* M_TOP_PAD: grow and keep this much */
#define MMAP_SEGMENT_MIN	(1u << 20)	/* a backup heap segment when brk fails */
#define MMAP_OFFSET		8u		/* mmapped chunk: its header's place */
#define MAX_REQUEST		(0xC0000000u - 2 * PAGE_SIZE)	/* the window, less headers */

#define PINUSE			0x1u		/* the previous chunk is in use */
#define CINUSE			0x2u		/* this chunk is in use */
#define MMAPPED			0x4u		/* this chunk is its own mapping */
#define FLAG_MASK		0xFu

#define NSMALLBINS		32		/* exact: 16 .. 512 */
#define NBINS			65
#define BIN_SCAN_MAX		32		/* best fit among this many, then take it */

/* A chunk as it lies in the window. fd and bk exist only while it is free. */
struct chunk {
	uint32_t prev_size;		/* previous chunk's size, valid while it is free */
	uint32_t head;			/* size | MMAPPED | CINUSE | PINUSE */
	uint32_t fd;			/* free: gva of the next chunk in the bin, 0 at the end */
	uint32_t bk;			/* free: gva of the previous one, 0 at the bin head */
};
_Static_assert(sizeof(struct chunk) == MIN_CHUNK, "chunk layout");

/* A stretch of heap that vm_sbrk (or a backup vm_mmap) gave in one piece;
 * kept only so validate_umalloc can walk every chunk. */
struct heap_segment {
	char *first;			/* its first chunk */
	char *end;			/* one past its last byte (the top's: top_end) */
};
#define MAX_SEGMENTS		64

/* The allocator's state: this process's statics, not RAM. A forked child
 * gets a copy along with a copy of the heap it describes. */
static struct {
	char *top;			/* the top chunk: [top, seg_eff_end(top_end)) is free */
	char *top_end;			/* end of the top's segment */
	char *clean;			/* [clean, top_end) never handed out: zero */
	char *brk_end;			/* the break as we last set it, NULL if never */
	bool top_in_brk;		/* the top's segment ends at the break */
	char *lo;			/* every heap segment lies in [lo, hi) */
	char *hi;
	uint32_t bins[NBINS];		/* gva of each bin's first chunk, 0 if empty */
	uint64_t binmap[2];		/* bit i: bins[i] is not empty */
	struct heap_segment seg[MAX_SEGMENTS];
	unsigned nr_seg;		/* segments recorded (more are not walked) */
	unsigned nr_seg_lost;		/* segments past MAX_SEGMENTS */
	uint32_t mmapped;		/* gva of the newest mmapped chunk, 0 if none */
	uint64_t mmapped_bytes;		/* their mappings' bytes */
	/* the address space this describes (see heap_check_owner) */
	const struct task_struct *owner;
	int32_t owner_pid;
	uint64_t owner_start_ns;
} ms;

static volatile sig_atomic_t in_malloc;	/* an allocator call is running */
static struct chunk *deferred;		/* vm_free from a handler, to do at leave() */
#if VM_DEBUG >= 2
static unsigned long debug_calls;
#endif

static void do_free(struct chunk *c);

/* ---- chunks and addresses --------------------------------------------- */

static inline struct chunk *gva_chunk(uint32_t gva)
{
	return (struct chunk *)(vm_user_base + gva);
}
static inline uint32_t chunk_gva(const void *c)
{
	return (uint32_t)((uintptr_t)c - vm_user_base);
}
static inline uint32_t chunksize(const struct chunk *c)
{
	return c->head & ~FLAG_MASK;
}
static inline struct chunk *chunk_at(void *base, size_t off)
{
	return (struct chunk *)((char *)base + off);
}
/* An mmapped chunk's list links, in the 8 bytes before its header. */
static inline uint32_t *mlink(struct chunk *c)
{
	return (uint32_t *)((char *)c - MMAP_OFFSET);
}
static inline void *chunk2mem(struct chunk *c)
{
	return (char *)c + 8;
}
static inline struct chunk *mem2chunk(void *p)
{
	return (struct chunk *)((char *)p - 8);
}
/* The chunk size a request of n bytes takes (n <= MAX_REQUEST). */
static inline uint32_t request2size(size_t n)
{
	size_t s = ALIGN(n + CHUNK_OVERHEAD, (size_t)CHUNK_ALIGN);

	return s < MIN_CHUNK ? MIN_CHUNK : (uint32_t)s;
}
/* Where the top chunk must end so that it is a whole number of chunks and
 * a fencepost header still fits before end: the last 8 mod 16 at or below
 * end - 8. With end page aligned, that is end - 8. */
static inline char *seg_eff_end(char *end)
{
	return (char *)((((uintptr_t)end - 8) & ~(uintptr_t)15) + 8);
}
static inline size_t top_size(void)
{
	return ms.top ? (size_t)(seg_eff_end(ms.top_end) - ms.top) : 0;
}

/* Print and abort, as glibc's malloc_printerr: "vm_free(): invalid
 * pointer 0x...". No stdio, no malloc: a handler may be running. */
static void __attribute__((noreturn, cold))
malloc_printerr(const char *fn, const char *what, const void *p)
{
	char buf[160], hex[19];
	uintptr_t v = (uintptr_t)p;
	size_t n = 0;
	int i;

	hex[0] = '0';
	hex[1] = 'x';
	for (i = 0; i < 16; i++)
		hex[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
	hex[18] = '\0';
#define PUT(s) do { size_t l = strlen(s); if (n + l < sizeof(buf)) { memcpy(buf + n, s, l); n += l; } } while (0)
	PUT(fn);
	PUT(": ");
	PUT(what);
	PUT(" ");
	PUT(hex);
	PUT("\n");
#undef PUT
	if (write(2, buf, n) < 0) {
		/* nothing to do: we abort either way */
	}
	abort();
}

/* ---- bins -------------------------------------------------------------- */

/* The bin of a free chunk of size s: s/16 - 1 up to 512; above, k = log2 s
 * and the top two bits below it pick one of four. Worked: 1500 has k = 10,
 * (1500 >> 8) & 3 = 1, so bin 32 + (10 - 9) * 4 + 1 = 37 (1280..1535). */
static inline unsigned bin_index(uint32_t s)
{
	unsigned k;

	if (s <= 512)
		return s / 16 - 1;
	if (s >= MMAP_THRESHOLD)
		return NBINS - 1;
	k = 31 - (unsigned)__builtin_clz(s);
	return NSMALLBINS + (k - 9) * 4 + ((s >> (k - 2)) & 3);
}

static inline void mark_bin(unsigned i)
{
	ms.binmap[i >> 6] |= 1ULL << (i & 63);
}
static inline void clear_bin(unsigned i)
{
	ms.binmap[i >> 6] &= ~(1ULL << (i & 63));
}
/* The first non-empty bin at or after i, or NBINS. */
static inline unsigned next_bin(unsigned i)
{
	uint64_t w;

	for (; i < NBINS; i = (i | 63) + 1) {
		w = ms.binmap[i >> 6] & (~0ULL << (i & 63));
		if (w)
			return (i & ~63u) + (unsigned)__builtin_ctzll(w);
	}
	return NBINS;
}

/* File a free chunk (head and footer already written) at its bin's front. */
static void insert_chunk(struct chunk *c, uint32_t size)
{
	unsigned i = bin_index(size);
	uint32_t first = ms.bins[i];

	c->fd = first;
	c->bk = 0;
	if (first)
		gva_chunk(first)->bk = chunk_gva(c);
	ms.bins[i] = chunk_gva(c);
	mark_bin(i);
}

static void unlink_chunk(struct chunk *c)
{
	unsigned i = bin_index(chunksize(c));
	uint32_t self = chunk_gva(c);

	if ((c->fd && gva_chunk(c->fd)->bk != self) ||
	    (c->bk ? gva_chunk(c->bk)->fd != self : ms.bins[i] != self))
		malloc_printerr("vm_malloc()", "corrupted double-linked list at", chunk2mem(c));
	if (c->bk)
		gva_chunk(c->bk)->fd = c->fd;
	else if (!(ms.bins[i] = c->fd))
		clear_bin(i);
	if (c->fd)
		gva_chunk(c->fd)->bk = c->bk;
}

/* Make [c, c + size) a free chunk (its previous chunk is in use) and file
 * it. The chunk after it is in use: clear its PINUSE, write the footer. */
static void make_free_chunk(struct chunk *c, uint32_t size)
{
	struct chunk *next = chunk_at(c, size);

	c->head = size | PINUSE;
	next->prev_size = size;
	next->head &= ~PINUSE;
	insert_chunk(c, size);
}

/* ---- the top, the break, segments ------------------------------------ */

static void forget_heap(void)
{
	memset(&ms, 0, sizeof(ms));
	deferred = NULL;
}

/* Does t descend from the task whose heap we describe (a vm_fork child,
 * or its child, ...)? Walks the parents still in the task table. */
static bool descends_from_owner(const struct task_struct *t)
{
	unsigned depth;

	for (depth = 0; t && depth < VM_MAX_TASKS; depth++) {
		if (t->ppid == ms.owner_pid)
			return true;
		t = find_task_by_pid(t->ppid);
	}
	return false;
}

/* Is the heap we describe the calling task's? A new task (another test
 * case, or vm_task_leave then another vm_task_enter) starts with an empty
 * address space: the state is stale, forget it (its memory went with the
 * old mm). A fork child has a copy of both: keep it. A task is known by
 * (pointer, pid, creation time); a descendant by its parents, or, if they
 * are gone, by the break being where we left it. */
static void heap_check_owner(void)
{
	const struct task_struct *t = current;

	if (likely(t == ms.owner && t && t->pid == ms.owner_pid &&
		   t->start_ns == ms.owner_start_ns))
		return;
	if (!t)
		return;				/* not a guest: every call will fail */
	if (ms.owner && !descends_from_owner(t) &&
	    (!ms.brk_end || vm_sbrk(0) != (void *)ms.brk_end))
		forget_heap();
	ms.owner = t;
	ms.owner_pid = t->pid;
	ms.owner_start_ns = t->start_ns;
}

static void add_segment(char *first, char *end)
{
	if (ms.nr_seg < MAX_SEGMENTS) {
		ms.seg[ms.nr_seg].first = first;
		ms.seg[ms.nr_seg].end = end;
		ms.nr_seg++;
	} else {
		ms.nr_seg_lost++;
	}
	if (!ms.lo || first < ms.lo)
		ms.lo = first;
	if (end > ms.hi)
		ms.hi = end;
}

/* The top chunk stops being the top: file what is left of it as a free
 * chunk and seal its segment with a fencepost (size 0, in use), so no
 * chunk merges past the end. Writes only the segment's last bytes. */
static void retire_top(void)
{
	char *eff;
	size_t size;

	if (!ms.top)
		return;
	eff = seg_eff_end(ms.top_end);
	size = top_size();
	if (size) {
		/* its previous chunk is in use: the top never follows a free one */
		chunk_at(eff, 0)->head = CINUSE;
		make_free_chunk((struct chunk *)ms.top, (uint32_t)size);
	} else {
		/* the chunk before it is in use and owns eff's prev_size */
		chunk_at(eff, 0)->head = CINUSE | PINUSE;
	}
	ms.top = NULL;
	ms.top_end = NULL;
}

/* [start, end) is fresh memory from vm_sbrk or vm_mmap, not after the top:
 * it becomes the new top's segment. Memory below the first page boundary
 * may hold someone's old bytes (an unaligned break), so clean starts there. */
static void new_segment(char *start, char *end, bool in_brk)
{
	char *first = (char *)(ALIGN((uintptr_t)start + 8, (uintptr_t)CHUNK_ALIGN) - 8);

	retire_top();
	ms.top = first;
	ms.top_end = end;
	ms.top_in_brk = in_brk;
	ms.clean = (char *)ALIGN((uintptr_t)start, (uintptr_t)PAGE_SIZE);
	add_segment(first, end);
}

/* Make the top hold at least nb bytes: vm_sbrk at least TOP_PAD more,
 * or, if brk fails, map a segment. false with errno ENOMEM if neither. */
static bool sys_grow(size_t nb)
{
	size_t want, incr, len;
	char *old;

	while (top_size() < nb) {
		want = nb + TOP_PAD + CHUNK_ALIGN;
		if (ms.top && ms.top_in_brk && ms.top_end == ms.brk_end)
			want -= top_size();
		incr = ALIGN(want, (size_t)PAGE_SIZE);
		if (incr > MAX_REQUEST)
			goto nomem;
		old = vm_sbrk((intptr_t)incr);
		if (old != (char *)-1) {
			if (ms.top && ms.top_in_brk && old == ms.top_end) {
				ms.top_end = old + incr;
				if (ms.nr_seg && ms.seg[ms.nr_seg - 1].end == old)
					ms.seg[ms.nr_seg - 1].end = ms.top_end;
				if (ms.top_end > ms.hi)
					ms.hi = ms.top_end;
			} else {
				new_segment(old, old + incr, true);
			}
			ms.brk_end = old + incr;
			continue;
		}
		len = ALIGN(nb + TOP_PAD + 2 * CHUNK_ALIGN, (size_t)PAGE_SIZE);
		if (len < MMAP_SEGMENT_MIN)
			len = MMAP_SEGMENT_MIN;
		old = vm_mmap(NULL, len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (old == MAP_FAILED)
			goto nomem;
		new_segment(old, old + len, false);
	}
	return true;
nomem:
	errno = ENOMEM;
	return false;
}

/* The top exceeds M_TRIM_THRESHOLD: give all but TOP_PAD of it back with a
 * negative vm_sbrk, whole pages, if the break is still ours. Pages past the
 * new break come back zero if the heap grows again; the rest of the page
 * the break falls in keeps its bytes, so clean drops only to its end. */
static void sys_trim(void)
{
	size_t size = top_size(), extra;

	if (size <= TRIM_THRESHOLD || !ms.top_in_brk || ms.top_end != ms.brk_end)
		return;
	extra = (size - TOP_PAD) & PAGE_MASK;
	if (!extra || vm_sbrk(0) != (void *)ms.brk_end)
		return;
	if (vm_sbrk(-(intptr_t)extra) == (void *)-1)
		return;
	ms.top_end -= extra;
	ms.brk_end = ms.top_end;
	if (ms.nr_seg && ms.seg[ms.nr_seg - 1].end == ms.top_end + extra)
		ms.seg[ms.nr_seg - 1].end = ms.top_end;
	if (ms.clean > (char *)ALIGN((uintptr_t)ms.top_end, (uintptr_t)PAGE_SIZE))
		ms.clean = (char *)ALIGN((uintptr_t)ms.top_end, (uintptr_t)PAGE_SIZE);
}

/* ---- allocate and free ------------------------------------------------- */

/* Take nb bytes off the front of the top. The chunk before the top is in
 * use, so PINUSE; the new top starts 8 bytes dirty (our header). */
static struct chunk *carve_top(uint32_t nb)
{
	struct chunk *c = (struct chunk *)ms.top;

	c->head = nb | CINUSE | PINUSE;
	ms.top += nb;
	if (ms.clean < ms.top + 8)
		ms.clean = ms.top + 8;
	return c;
}

/* c (in use, size bytes) keeps nb: a tail of MIN_CHUNK or more is freed. */
static void split_tail(struct chunk *c, uint32_t size, uint32_t nb)
{
	struct chunk *rem;

	if (size - nb < MIN_CHUNK)
		return;
	c->head = nb | (c->head & FLAG_MASK);
	rem = chunk_at(c, nb);
	/* rem->prev_size belongs to c's user data: leave it */
	rem->head = (size - nb) | CINUSE | PINUSE;
	do_free(rem);
}

/* A free chunk for nb bytes from the bins, unlinked, or NULL: the first
 * non-empty bin from nb's own, where a small bin (one size, nb's or more)
 * gives its first chunk, and a class bin the best fit among its first
 * BIN_SCAN_MAX (in nb's own class some may be too small; in the classes
 * above every chunk fits). */
static struct chunk *take_from_bins(uint32_t nb)
{
	struct chunk *c, *best = NULL;
	unsigned i, n;
	uint32_t g;

	for (i = next_bin(bin_index(nb)); i < NBINS && !best; i = next_bin(i + 1)) {
		if (i < NSMALLBINS) {
			best = gva_chunk(ms.bins[i]);
			break;
		}
		for (g = ms.bins[i], n = 0; g && n < BIN_SCAN_MAX; g = c->fd, n++) {
			c = gva_chunk(g);
			if (chunksize(c) >= nb && (!best || chunksize(c) < chunksize(best))) {
				best = c;
				if (chunksize(c) == nb)
					break;
			}
		}
	}
	if (best)
		unlink_chunk(best);
	return best;
}

/* A chunk of the heap for nb bytes, in use; *dirty: how many bytes of its
 * user data may be non-zero (for calloc). NULL with errno ENOMEM. */
static struct chunk *heap_alloc(uint32_t nb, size_t *dirty)
{
	struct chunk *c, *next;
	uint32_t size;
	char *mem;

	c = take_from_bins(nb);
	if (c) {
		size = chunksize(c);
		next = chunk_at(c, size);
		c->head = size | CINUSE | PINUSE;
		next->head |= PINUSE;
		split_tail(c, size, nb);
		*dirty = SIZE_MAX;
		return c;
	}
	if (top_size() < nb && !sys_grow(nb))
		return NULL;
	mem = chunk2mem((struct chunk *)ms.top);
	*dirty = ms.clean > mem ? (size_t)(ms.clean - mem) : 0;
	return carve_top(nb);
}

/* n bytes in a mapping of their own: demand-zero, so never dirty. */
static struct chunk *mmap_alloc(size_t n)
{
	size_t len = ALIGN(n + MMAP_OFFSET + 8, (size_t)PAGE_SIZE);
	char *m;
	struct chunk *c;

	m = vm_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	c = chunk_at(m, MMAP_OFFSET);
	c->prev_size = MMAP_OFFSET;
	c->head = (uint32_t)len | MMAPPED | CINUSE;
	mlink(c)[0] = ms.mmapped;
	mlink(c)[1] = 0;
	if (ms.mmapped)
		mlink(gva_chunk(ms.mmapped))[1] = chunk_gva(c);
	ms.mmapped = chunk_gva(c);
	ms.mmapped_bytes += len;
	return c;
}

static void mmap_free(struct chunk *c)
{
	uint32_t self = chunk_gva(c), next = mlink(c)[0], prev = mlink(c)[1];
	uint32_t size = chunksize(c);

	if ((next && mlink(gva_chunk(next))[1] != self) ||
	    (prev ? mlink(gva_chunk(prev))[0] != self : ms.mmapped != self))
		malloc_printerr("vm_free()", "corrupted mmapped chunk list at", chunk2mem(c));
	if (prev)
		mlink(gva_chunk(prev))[0] = next;
	else
		ms.mmapped = next;
	if (next)
		mlink(gva_chunk(next))[1] = prev;
	ms.mmapped_bytes -= size;
	if (vm_munmap((char *)c - MMAP_OFFSET, size) != 0)
		malloc_printerr("vm_free()", "munmap failed for", chunk2mem(c));
}

static void *do_malloc(size_t n, size_t *dirty)
{
	struct chunk *c;

	if (n > MAX_REQUEST) {
		errno = ENOMEM;
		return NULL;
	}
	if (n >= MMAP_THRESHOLD) {
		c = mmap_alloc(n);
		if (c) {
			*dirty = 0;
			return chunk2mem(c);
		}
		/* no room for a mapping: the heap may still have it, as glibc tries */
	}
	c = heap_alloc(request2size(n), dirty);
	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	return chunk2mem(c);
}

/* The cheap part of the check: p is aligned, and is either an mmapped
 * chunk's (page offset 16, MMAPPED set: a heap chunk never has it) or lies
 * in the heap with its in-use bit set. Reads only p's own header, so a
 * handler may run it while the allocator is mid-way. */
static struct chunk *quick_check(void *p, const char *fn)
{
	struct chunk *c = mem2chunk(p);
	uint32_t size;

	if ((uintptr_t)p & (CHUNK_ALIGN - 1))
		malloc_printerr(fn, "invalid pointer", p);
	if (((uintptr_t)p & (PAGE_SIZE - 1)) == MMAP_OFFSET + 8 && (c->head & MMAPPED)) {
		size = chunksize(c);
		if (c->prev_size != MMAP_OFFSET || (size & (PAGE_SIZE - 1)) || !size ||
		    !(c->head & CINUSE))
			malloc_printerr(fn, "invalid pointer", p);
		return c;
	}
	if (!ms.lo || (char *)c < ms.lo || (char *)c >= ms.hi || (c->head & MMAPPED))
		malloc_printerr(fn, "invalid pointer", p);
	if (ms.top && (char *)c >= ms.top && (char *)c < ms.top_end)
		malloc_printerr(fn, "double free or corruption (top)", p);
	if (!(c->head & CINUSE))
		malloc_printerr(fn, "double free or corruption (!inuse)", p);
	return c;
}

/* Check that p is a chunk we handed out and still in use, against its
 * neighbours too (glibc's checks); its chunk. */
static struct chunk *checked_chunk(void *p, const char *fn)
{
	struct chunk *c = quick_check(p, fn), *next, *prev;
	uint32_t size;

	if (c->head & MMAPPED)
		return c;
	size = chunksize(c);
	if (size < MIN_CHUNK || (char *)c + size > ms.hi || (char *)c + size < (char *)c)
		malloc_printerr(fn, "invalid size", p);
	next = chunk_at(c, size);
	if ((char *)next != ms.top && !(next->head & PINUSE))
		malloc_printerr(fn, "double free or corruption (!prev)", p);
	if (!(c->head & PINUSE)) {
		prev = (struct chunk *)((char *)c - c->prev_size);
		if ((char *)prev < ms.lo || chunksize(prev) != c->prev_size ||
		    (prev->head & CINUSE))
			malloc_printerr(fn, "corrupted size vs. prev_size", p);
	}
	return c;
}

/* Free an in-use chunk: unmap, or merge with free neighbours and file, or
 * give to the top and perhaps trim. */
static void do_free(struct chunk *c)
{
	uint32_t size = chunksize(c), head = c->head;
	struct chunk *next = chunk_at(c, size), *prev;

	if (head & MMAPPED) {
		mmap_free(c);
		return;
	}
	/* a stale header inside a merged chunk must not look in use */
	c->head = head & ~CINUSE;
	if (!(head & PINUSE)) {
		prev = (struct chunk *)((char *)c - c->prev_size);
		unlink_chunk(prev);
		size += chunksize(prev);
		c = prev;
	}
	if ((char *)next == ms.top) {
		ms.top = (char *)c;
		sys_trim();
		return;
	}
	if (!(next->head & CINUSE)) {
		unlink_chunk(next);
		size += chunksize(next);
	}
	make_free_chunk(c, size);
}

/* ---- entry and exit: the signal guard --------------------------------- */

/* false: a handler interrupted an allocator call and must not enter. */
static inline bool enter(void)
{
	if (unlikely(in_malloc))
		return false;
	in_malloc = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	heap_check_owner();
	return true;
}

/* Leave, doing the frees that handlers queued meanwhile. errno survives. */
static inline void leave(void)
{
	struct chunk *c, *list;
	int saved;

#if VM_DEBUG >= 2
	if ((++debug_calls & 63) == 0) {
		struct vm_report r = { .out = stderr };

		BUG_ON(validate_umalloc(&r) != 0);
	}
#endif
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	in_malloc = 0;
	while (unlikely(__atomic_load_n(&deferred, __ATOMIC_RELAXED) != NULL)) {
		in_malloc = 1;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		saved = errno;
		list = __atomic_exchange_n(&deferred, NULL, __ATOMIC_SEQ_CST);
		while (list) {
			c = list;
			list = c->fd ? gva_chunk(c->fd) : NULL;
			c->fd = 0;
			checked_chunk(chunk2mem(c), "vm_free()");
			do_free(c);
		}
		errno = saved;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		in_malloc = 0;
	}
}

/* ---- the API (guest.h) ------------------------------------------------- */

void *vm_malloc(size_t n)
{
	int saved = errno;
	size_t dirty;
	void *p;

	if (!enter()) {
		errno = ENOMEM;
		return NULL;
	}
	p = do_malloc(n, &dirty);
	leave();
	if (p)
		errno = saved;	/* a failed vm_sbrk on the way is no error of ours */
	return p;
}

void *vm_calloc(size_t n, size_t size)
{
	int saved = errno;
	size_t bytes, dirty;
	void *p;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	if (!enter()) {
		errno = ENOMEM;
		return NULL;
	}
	p = do_malloc(bytes, &dirty);
	if (p && dirty)
		memset(p, 0, dirty < bytes ? dirty : bytes);
	leave();
	if (p)
		errno = saved;
	return p;
}

void vm_free(void *p)
{
	struct chunk *c, *old;
	int saved;

	if (!p)
		return;
	if (unlikely(in_malloc)) {
		/* a handler interrupted us: check, queue, and let leave() free
		 * it (a CAS: a handler of another signal may nest in this one) */
		c = quick_check(p, "vm_free()");
		old = __atomic_load_n(&deferred, __ATOMIC_RELAXED);
		do
			c->fd = old ? chunk_gva(old) : 0;
		while (!__atomic_compare_exchange_n(&deferred, &old, c, false,
						    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
		return;
	}
	saved = errno;			/* free does not change errno (POSIX 2024) */
	enter();
	do_free(checked_chunk(p, "vm_free()"));
	leave();
	errno = saved;
}

/* Grow or shrink in place when the neighbours allow, else move. */
static void *do_realloc(void *p, size_t n)
{
	struct chunk *c = checked_chunk(p, "vm_realloc()"), *next;
	uint32_t size = chunksize(c), nb, nsize;
	size_t usable, len, dirty;
	void *q;

	if (n > MAX_REQUEST) {
		errno = ENOMEM;
		return NULL;
	}
	if (c->head & MMAPPED) {
		usable = size - MMAP_OFFSET - 8;
		if (n <= usable && n >= MMAP_THRESHOLD) {
			/* give back whole pages past the new end */
			len = ALIGN(n + MMAP_OFFSET + 8, (size_t)PAGE_SIZE);
			if (len < size && vm_munmap((char *)c - MMAP_OFFSET + len, size - len) == 0) {
				c->head = (uint32_t)len | MMAPPED | CINUSE;
				ms.mmapped_bytes -= size - len;
			}
			return p;
		}
		q = do_malloc(n, &dirty);
		if (!q)
			return n <= usable ? p : NULL;
		memcpy(q, p, n < usable ? n : usable);
		do_free(c);
		return q;
	}
	nb = request2size(n);
	if (nb <= size) {
		split_tail(c, size, nb);
		return p;
	}
	next = chunk_at(c, size);
	if ((char *)next == ms.top && n < MMAP_THRESHOLD &&
	    top_size() < nb - size && ms.top_in_brk)
		sys_grow(nb - size);	/* a contiguous break extends the top after c */
	if ((char *)next == ms.top && top_size() >= nb - size) {
		ms.top = (char *)c + nb;
		if (ms.clean < ms.top + 8)
			ms.clean = ms.top + 8;
		c->head = nb | (c->head & FLAG_MASK);
		return p;
	}
	if ((char *)next != ms.top && !(next->head & CINUSE) &&
	    size + (nsize = chunksize(next)) >= nb) {
		unlink_chunk(next);
		chunk_at(next, nsize)->head |= PINUSE;
		size += nsize;
		c->head = size | (c->head & FLAG_MASK);
		split_tail(c, size, nb);
		return p;
	}
	q = do_malloc(n, &dirty);
	if (!q)
		return NULL;
	memcpy(q, p, chunksize(c) - CHUNK_OVERHEAD);
	do_free(c);
	return q;
}

/* realloc(NULL, n) is malloc; realloc(p, 0) frees p and returns NULL, as
 * glibc's does. On failure p is left as it was. */
void *vm_realloc(void *p, size_t n)
{
	int saved = errno;
	void *q;

	if (!p)
		return vm_malloc(n);
	if (n == 0) {
		vm_free(p);
		return NULL;
	}
	if (!enter()) {
		errno = ENOMEM;
		return NULL;
	}
	q = do_realloc(p, n);
	leave();
	if (q)
		errno = saved;
	return q;
}

/* ---- checks ------------------------------------------------------------ */

/* Walk every recorded segment chunk by chunk and every bin: sizes and
 * flags agree with the neighbours, no two free chunks touch, each free
 * chunk is in the bin of its size exactly once, the bitmap matches. The
 * number of violations, one line each to r. */
unsigned long validate_umalloc(struct vm_report *r)
{
	unsigned long before = r->violations, free_walk = 0, free_bins = 0;
	struct chunk *c, *next;
	uint32_t size, g, prevg;
	unsigned s, i;
	bool prev_free;

	for (s = 0; s < ms.nr_seg; s++) {
		char *p = ms.seg[s].first, *end = seg_eff_end(ms.seg[s].end);
		bool is_top_seg = ms.top && ms.top >= p && ms.top <= end &&
				  ms.seg[s].end == ms.top_end;

		prev_free = false;
		while (p < end) {
			if (is_top_seg && p == ms.top)
				break;
			c = (struct chunk *)p;
			size = chunksize(c);
			if (size < MIN_CHUNK || size > (size_t)(end - p) || (c->head & MMAPPED)) {
				vm_report(r, "umalloc: chunk %#x: bad size %#x", chunk_gva(c), c->head);
				goto next_seg;
			}
			if (!!(c->head & PINUSE) == prev_free)
				vm_report(r, "umalloc: chunk %#x: PINUSE %d but previous %s",
					  chunk_gva(c), !!(c->head & PINUSE), prev_free ? "free" : "in use");
			next = chunk_at(c, size);
			if (!(c->head & CINUSE)) {
				free_walk++;
				if (prev_free)
					vm_report(r, "umalloc: chunk %#x: free after a free chunk", chunk_gva(c));
				if (next->prev_size != size)
					vm_report(r, "umalloc: chunk %#x: footer %#x, size %#x",
						  chunk_gva(c), next->prev_size, size);
				if (is_top_seg && (char *)next == ms.top)
					vm_report(r, "umalloc: chunk %#x: free before the top", chunk_gva(c));
			}
			prev_free = !(c->head & CINUSE);
			p += size;
		}
		if (!is_top_seg) {
			c = (struct chunk *)p;
			if (p != end || chunksize(c) != 0 || !(c->head & CINUSE))
				vm_report(r, "umalloc: segment %u: no fencepost at %#x", s, chunk_gva(p));
			else if (!!(c->head & PINUSE) == prev_free)
				vm_report(r, "umalloc: segment %u: fencepost PINUSE wrong", s);
		}
next_seg:;
	}
	for (i = 0; i < NBINS; i++) {
		bool marked = ms.binmap[i >> 6] & (1ULL << (i & 63));

		if (marked != (ms.bins[i] != 0))
			vm_report(r, "umalloc: bin %u: bitmap says %d", i, marked);
		for (g = ms.bins[i], prevg = 0; g; prevg = g, g = c->fd) {
			c = gva_chunk(g);
			if ((char *)c < ms.lo || (char *)c >= ms.hi) {
				vm_report(r, "umalloc: bin %u: chunk %#x outside the heap", i, g);
				break;
			}
			if (c->head & CINUSE)
				vm_report(r, "umalloc: bin %u: chunk %#x in use", i, g);
			if (bin_index(chunksize(c)) != i)
				vm_report(r, "umalloc: bin %u: chunk %#x of size %#x", i, g, chunksize(c));
			if (c->bk != prevg)
				vm_report(r, "umalloc: bin %u: chunk %#x bk %#x, not %#x", i, g, c->bk, prevg);
			if (++free_bins > (1UL << 28)) {
				vm_report(r, "umalloc: bin %u: loop", i);
				break;
			}
		}
	}
	{
		uint64_t bytes = 0;
		unsigned long n = 0;

		for (g = ms.mmapped, prevg = 0; g; prevg = g, g = mlink(c)[0]) {
			c = gva_chunk(g);
			if (!(c->head & MMAPPED) || c->prev_size != MMAP_OFFSET || mlink(c)[1] != prevg) {
				vm_report(r, "umalloc: mmapped chunk %#x: bad header or links", g);
				break;
			}
			bytes += chunksize(c);
			if (++n > (1UL << 24)) {
				vm_report(r, "umalloc: mmapped list loops");
				break;
			}
		}
		if (bytes != ms.mmapped_bytes)
			vm_report(r, "umalloc: mmapped chunks hold %llu bytes, counted %llu",
				  (unsigned long long)bytes, (unsigned long long)ms.mmapped_bytes);
	}
	if (!ms.nr_seg_lost && free_walk != free_bins)
		vm_report(r, "umalloc: %lu free chunks in the heap, %lu in bins", free_walk, free_bins);
	if (ms.top && (ms.top < ms.lo || ms.top > seg_eff_end(ms.top_end)))
		vm_report(r, "umalloc: top %#x outside its segment", chunk_gva(ms.top));
	return r->violations - before;
}
