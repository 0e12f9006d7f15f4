/* page_io.c - pages to and from their swap slots, one at a time or a batch
 * at once (a reclaim pass, a readahead window): by pread/pwrite of each
 * frame (SWAP_IO_SYNC), or submitted together to io_uring, runs of
 * consecutive slots as one request, and waited for together
 * (SWAP_IO_URING). Slot n of an area lies at byte n * 4096 of the file,
 * as in Linux's swap files; slot 0 is the header. Slots, the swap cache
 * and who calls this live in swapfile.c, swap_state.c and vmscan.c.
 *
 * Everything here is per process: the open files and the ring are host
 * state, and any process of the machine (vmrun, kswapd, a guest in its
 * fault handler) may run this at the same time as the others. The I/O
 * path takes no lock but printk's and allocates nothing from the heap
 * (only swap_set_io_mode's probe does), so the fault handler may call it.
 *
 * File descriptors: the area in RAM names only the path, so each process
 * opens an area's file the first time it needs it and keeps it, and opens
 * it again if the area was swapped off and another file took its place
 * (the header's uuid tells the two apart).
 *
 * Errors, page by page: a failed or short write leaves the page as it was
 * and gives -EIO (the caller keeps the page and marks the slot bad). A
 * failed read gives -EIO (the caller fails only the guest that needed the
 * page); a read refused before any I/O (an injected error, an entry no
 * area holds) leaves the page as it was, but one the file cut short may
 * have filled part of it, so the caller must treat the contents as lost.
 */
#include <string.h>

#ifdef VM_HAVE_URING
#include <sys/uio.h>
#include <liburing.h>
#endif

#include "internal.h"
#include <vm/swap.h>

/* This process's open files, by area (fd + 1, so 0 is none). */
static struct {
	int fd1;
	uint8_t uuid[16];
} swap_files[MAX_SWAPFILES];

/* The fd of entry's area, opening it if needed: fd or -errno. */
static int swap_file(swp_entry_t entry, uint64_t *off)
{
	unsigned type = swp_type(entry);
	const struct swap_info_struct *si;
	uint64_t bytes;
	int fd;

	if (type >= MAX_SWAPFILES)
		return -EINVAL;
	si = &vm_kdata->swap.areas[type];
	if (!(si->flags & SWP_USED) || !swp_offset(entry) || swp_offset(entry) >= si->max)
		return -EINVAL;
	*off = (uint64_t)swp_offset(entry) << PAGE_SHIFT;
	if (swap_files[type].fd1 && !memcmp(swap_files[type].uuid, si->uuid, sizeof(si->uuid)))
		return swap_files[type].fd1 - 1;
	if (swap_files[type].fd1)
		host_close(swap_files[type].fd1 - 1);	/* another file now */
	swap_files[type].fd1 = 0;
	fd = host_ram_open(si->path, &bytes, true);
	if (fd < 0)
		return fd;
	swap_files[type].fd1 = fd + 1;
	memcpy(swap_files[type].uuid, si->uuid, sizeof(si->uuid));
	return fd;
}

/* Linux's line for a failed page, and the -EIO every failure becomes. r
 * is what the transfer returned: -errno, or the bytes of a short one. */
static int swap_io_error(swp_entry_t entry, bool write, long r, bool injected)
{
	printk("%s-error on swap-device (%u:%#x): %s%s", write ? "Write" : "Read",
	       swp_type(entry), swp_offset(entry),
	       r < 0 ? strerror((int)-r) : write ? "short write" : "short read",
	       injected ? " (injected)" : "");
	return -EIO;
}

/* Take one from an injection budget (swap_state.fail_writes or
 * fail_reads) if any is left: several processes may race for the last. */
static bool take_injected(uint32_t *budget)
{
	uint32_t v = __atomic_load_n(budget, __ATOMIC_RELAXED);

	while (v)
		if (__atomic_compare_exchange_n(budget, &v, v - 1, false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			return true;
	return false;
}

/* What every page goes through before its I/O, in either mode: the file
 * and offset of its slot, or the error that fails it with no I/O done
 * (-EINVAL for an entry no area holds; -EIO, logged, when an injected
 * failure is due: a refused entry does not use one up). */
static int swap_io_prep(swp_entry_t entry, bool write, int *fd, uint64_t *off)
{
	*fd = swap_file(entry, off);
	if (*fd < 0)
		return *fd;
	if (take_injected(write ? &vm_kdata->swap.fail_writes : &vm_kdata->swap.fail_reads))
		return swap_io_error(entry, write, -EIO, true);
	return 0;
}

/* One page's bytes, mapped at addr, by pread or pwrite. */
static int swap_rw_addr(void *addr, swp_entry_t entry, int fd, uint64_t off, bool write)
{
	long r = write ? host_pwrite(fd, addr, PAGE_SIZE, off) : host_pread(fd, addr, PAGE_SIZE, off);

	return r == PAGE_SIZE ? 0 : swap_io_error(entry, write, r, false);
}

/* One page: a single kmap_atomic slot at a time, so a batch of any size
 * fits (the fixmap has only KM_MAX_IDX of them). */
static int swap_rw_sync(struct page *page, swp_entry_t entry, bool write)
{
	uint64_t off;
	void *addr;
	int fd, err = swap_io_prep(entry, write, &fd, &off);

	if (err)
		return err;
	addr = kmap_atomic(page);
	err = swap_rw_addr(addr, entry, fd, off, write);
	kunmap_atomic(addr);
	return err;
}

static unsigned swap_rw_pages_sync(struct page *const *pages, const swp_entry_t *entries,
				   int *err, unsigned n, bool write)
{
	unsigned i, failed = 0;

	for (i = 0; i < n; i++) {
		err[i] = swap_rw_sync(pages[i], entries[i], write);
		failed += err[i] != 0;
	}
	return failed;
}

#ifdef VM_HAVE_URING
/*
 * The ring. One per process, set up at its first batch: a ring is a host
 * object whose submission queue a forked child would share with its
 * parent (the two would fill the same slots), so a process that finds a
 * ring set up by another pid drops its inherited copy and makes its own.
 *
 * A batch goes in chunks of SWAP_RING_ENTRIES pages: every page of a
 * chunk stays kmapped until its completion comes back, and HighMem frames
 * take a pkmap slot each (512 in pae, 1024 in i386), so a chunk leaves
 * plenty for callers that hold some; kmap_atomic's 16 would not do.
 */
#define SWAP_RING_ENTRIES	64
_Static_assert(SWAP_RING_ENTRIES <= LAST_PKMAP_PAE / 4, "a chunk's kmaps leave pkmap room");

static struct io_uring swap_ring;
static pid_t swap_ring_pid;	/* the process that set swap_ring up; 0: none */
static pid_t swap_ring_refused;	/* the process the host refused one (logged) */
static int uring_probed;	/* 1 works here, -ENOSYS not, 0 not yet asked */

/* Let go of swap_ring: after the host refused a submission (nothing in
 * flight), or in a forked child, whose mappings and descriptor of the
 * parent's ring are copies of its own, so the parent's ring goes on. */
static void swap_ring_release(void)
{
	io_uring_queue_exit(&swap_ring);
	memset(&swap_ring, 0, sizeof(swap_ring));
	swap_ring_pid = 0;
}

/* This process's ring, set up if needed; NULL (logged once, and not
 * asked again by this process) when the host will not give it one. */
static struct io_uring *swap_ring_get(void)
{
	pid_t self = host_getpid();
	int err;

	if (swap_ring_pid == self)
		return &swap_ring;
	if (swap_ring_refused == self)
		return NULL;
	if (swap_ring_pid)
		swap_ring_release();	/* the parent's */
	err = io_uring_queue_init(SWAP_RING_ENTRIES, &swap_ring, 0);
	if (err < 0) {
		memset(&swap_ring, 0, sizeof(swap_ring));
		printk("swap: process %d cannot set up io_uring (%s): using pread/pwrite",
		       (int)self, strerror(-err));
		swap_ring_refused = self;
		return NULL;
	}
	swap_ring_pid = self;
	return &swap_ring;
}

/*
 * One chunk (n <= SWAP_RING_ENTRIES) through the ring. The pages go in
 * file order, and pages whose slots follow one another in one file go as
 * one request (a readv/writev of the run), as Linux merges them into one
 * bio: reclaim takes slots a cluster at a time, and readahead reads a
 * window whose faulting slot comes first, so a chunk is mostly one run.
 * Every request is submitted, and waited for, in one system call;
 * completions come in any order, each naming its run.
 *
 *   page        0  1  2  3  4  5
 *   slot        9  7  8  3  4 12
 *   file order  3  4  1  2  0  5   runs: slots [3 4] [7 8 9] [12], three
 *                                  requests, a readv/writev of two pages,
 *                                  one of three, a read/write of one
 *
 * A run that failed or came back short is done again a page at a time by
 * pread/pwrite, which tells which pages fail and logs each as Linux does;
 * so is a run the ring would not take (the host refused a submission
 * with nothing in flight to wait for), after which the next chunk gets a
 * fresh ring. A single page that failed is just failed.
 */
static unsigned swap_rw_chunk_uring(struct page *const *pages, const swp_entry_t *entries,
				    int *err, unsigned n, bool write)
{
	struct io_uring *ring = NULL;
	/* by position in file order: */
	uint8_t ord[SWAP_RING_ENTRIES];		/* the page at it */
	struct iovec iov[SWAP_RING_ENTRIES];	/* its page's mapping */
	uint8_t run_len[SWAP_RING_ENTRIES];	/* at a run's first: its pages */
	bool redo[SWAP_RING_ENTRIES];		/* at a run's first */
	uint8_t runs[SWAP_RING_ENTRIES];	/* the runs' first positions */
	unsigned i, j, k, nr = 0, nr_runs = 0, submitted = 0, done = 0, failed = 0;
	int fd[SWAP_RING_ENTRIES];		/* by page */
	uint64_t off[SWAP_RING_ENTRIES];	/* by page */
	struct io_uring_cqe *cqe;
	int r;

	/* Insertion sort, as pages come: a chunk is already in order, or
	 * a window with one page out of place. */
	for (i = 0; i < n; i++) {
		err[i] = swap_io_prep(entries[i], write, &fd[i], &off[i]);
		if (err[i])
			continue;
		for (j = nr++; j > 0 && (fd[ord[j - 1]] > fd[i] ||
					 (fd[ord[j - 1]] == fd[i] && off[ord[j - 1]] > off[i])); j--)
			ord[j] = ord[j - 1];
		ord[j] = (uint8_t)i;
	}
	for (j = 0; j < nr; j++) {
		i = ord[j];
		iov[j].iov_base = kmap(pages[i]);
		iov[j].iov_len = PAGE_SIZE;
		if (nr_runs) {
			unsigned f = runs[nr_runs - 1];

			if (fd[ord[f]] == fd[i] &&
			    off[ord[f]] + (uint64_t)run_len[f] * PAGE_SIZE == off[i]) {
				run_len[f]++;
				continue;
			}
		}
		runs[nr_runs++] = (uint8_t)j;
		run_len[j] = 1;
		redo[j] = false;
	}
	/* A lone page has nothing to overlap with, and a ring round trip for
	 * one request costs several preads (measured on tmpfs: 7 us against
	 * 1 us): it goes by pread/pwrite, as a run the ring failed does, and
	 * so does everything when this process can have no ring (logged). */
	if (nr > 1)
		ring = swap_ring_get();
	for (k = 0; k < nr_runs && !ring; k++)
		redo[runs[k]] = true;
	for (k = 0; k < nr_runs && ring; k++) {
		/* never NULL: the queue is empty on entry and n fits in it */
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		BUG_ON(!sqe);
		j = runs[k];
		i = ord[j];
		if (run_len[j] == 1 && write)
			io_uring_prep_write(sqe, fd[i], iov[j].iov_base, PAGE_SIZE, off[i]);
		else if (run_len[j] == 1)
			io_uring_prep_read(sqe, fd[i], iov[j].iov_base, PAGE_SIZE, off[i]);
		else if (write)
			io_uring_prep_writev(sqe, fd[i], &iov[j], run_len[j], off[i]);
		else
			io_uring_prep_readv(sqe, fd[i], &iov[j], run_len[j], off[i]);
		io_uring_sqe_set_data(sqe, (void *)(uintptr_t)j);
	}
	while (ring && done < nr_runs) {
		if (submitted < nr_runs) {
			/* waits only once all are in: then for every one */
			r = io_uring_submit_and_wait(ring, nr_runs - done);
			if (r > 0) {
				submitted += (unsigned)r;
				continue;
			}
			if (r == -EINTR)
				continue;
			/* refused, and no completion to take to make room */
			if ((r != -EAGAIN && r != -EBUSY) || done == submitted)
				break;
		}
		r = io_uring_wait_cqe(ring, &cqe);
		if (r == -EINTR || r == -EAGAIN)
			continue;
		/* I/O into frames we are about to let go of is still running */
		if (r < 0)
			vm_panic("swap: io_uring lost %u requests: error %d", submitted - done, r);
		j = (unsigned)(uintptr_t)io_uring_cqe_get_data(cqe);
		if (cqe->res != (int)(run_len[j] * PAGE_SIZE)) {
			if (run_len[j] == 1)
				err[ord[j]] = swap_io_error(entries[ord[j]], write, cqe->res, false);
			else
				redo[j] = true;
		}
		io_uring_cqe_seen(ring, cqe);
		done++;
	}
	if (ring && done < nr_runs) {
		/* nothing in flight; what is left in the queue dies with the ring */
		swap_ring_release();
		for (k = submitted; k < nr_runs; k++)
			redo[runs[k]] = true;
	}
	for (k = 0; k < nr_runs; k++) {
		unsigned f = runs[k];

		for (j = f; redo[f] && j < f + run_len[f]; j++) {
			i = ord[j];
			err[i] = swap_rw_addr(iov[j].iov_base, entries[i], fd[i], off[i], write);
		}
	}
	for (j = 0; j < nr; j++)
		kunmap(pages[ord[j]]);
	for (i = 0; i < n; i++)
		failed += err[i] != 0;
	return failed;
}

static unsigned swap_rw_pages_uring(struct page *const *pages, const swp_entry_t *entries,
				    int *err, unsigned n, bool write)
{
	unsigned i, chunk, failed = 0;

	for (i = 0; i < n; i += chunk) {
		chunk = n - i < SWAP_RING_ENTRIES ? n - i : SWAP_RING_ENTRIES;
		failed += swap_rw_chunk_uring(pages + i, entries + i, err + i, chunk, write);
	}
	return failed;
}

/* Does io_uring work here, with every operation used above (read and
 * write came in 5.6)? Asked once per process, by the one that chooses
 * the mode. */
static int uring_probe(void)
{
	struct io_uring_probe *p;
	struct io_uring *ring;

	if (uring_probed)
		return uring_probed;
	uring_probed = -ENOSYS;
	ring = swap_ring_get();
	if (!ring)
		return uring_probed;
	p = io_uring_get_probe_ring(ring);
	if (p && io_uring_opcode_supported(p, IORING_OP_READ) &&
	    io_uring_opcode_supported(p, IORING_OP_WRITE) &&
	    io_uring_opcode_supported(p, IORING_OP_READV) &&
	    io_uring_opcode_supported(p, IORING_OP_WRITEV))
		uring_probed = 1;
	if (p)
		io_uring_free_probe(p);
	return uring_probed;
}
#endif /* VM_HAVE_URING */

static unsigned swap_rw_pages(struct page *const *pages, const swp_entry_t *entries, int *err,
			      unsigned n, bool write)
{
	unsigned failed;

#ifdef VM_HAVE_URING
	if (__atomic_load_n(&vm_kdata->swap.io_mode, __ATOMIC_RELAXED) == SWAP_IO_URING)
		failed = swap_rw_pages_uring(pages, entries, err, n, write);
	else
#endif
		failed = swap_rw_pages_sync(pages, entries, err, n, write);
	if (n > failed)
		count_vm_events(write ? PSWPOUT : PSWPIN, (long)(n - failed));
	return failed;
}

unsigned swap_writepages(struct page *const *pages, const swp_entry_t *entries, int *err,
			 unsigned n)
{
	return swap_rw_pages(pages, entries, err, n, true);
}

unsigned swap_readpages(struct page *const *pages, const swp_entry_t *entries, int *err,
			unsigned n)
{
	return swap_rw_pages(pages, entries, err, n, false);
}

/* One page is a batch of one: the fast path of either mode. */
int swap_writepage(struct page *page, swp_entry_t entry)
{
	int err;

	swap_rw_pages(&page, &entry, &err, 1, true);
	return err;
}

int swap_readpage(struct page *page, swp_entry_t entry)
{
	int err;

	swap_rw_pages(&page, &entry, &err, 1, false);
	return err;
}

int swap_set_io_mode(enum swap_io_mode mode)
{
	switch (mode) {
	case SWAP_IO_SYNC:
		break;
	case SWAP_IO_URING:
#ifdef VM_HAVE_URING
		if (uring_probe() < 0)
			return -ENOSYS;
		break;
#else
		return -ENOSYS;
#endif
	default:
		return -EINVAL;
	}
	__atomic_store_n(&vm_kdata->swap.io_mode, (uint32_t)mode, __ATOMIC_RELAXED);
	return 0;
}

bool swap_uring_built(void)
{
#ifdef VM_HAVE_URING
	return true;
#else
	return false;
#endif
}
