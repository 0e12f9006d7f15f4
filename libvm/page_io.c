/* page_io.c - a page to and from its swap slot: one synchronous pwrite or
 * pread of the frame (through kmap, so HighMem frames too) at the slot's
 * offset in its area's file. Slot n of an area lies at byte n * 4096 of
 * the file, as in Linux's swap files; slot 0 is the header.
 *
 * File descriptors are per process, and the area in RAM names only the
 * path: each process opens an area's file the first time it needs it and
 * keeps it, and opens it again if the area was swapped off and another
 * file took its place (the header's uuid tells the two apart).
 *
 * A failed or short write leaves the page as it was and returns -EIO
 * (the caller keeps the page and marks the slot bad); a failed read
 * returns -EIO (the caller fails only the guest that needed the page).
 * Batched and asynchronous I/O come with reclaim.
 */
#include <string.h>

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

/* One page between its frame and its slot, either way. */
static int swap_rw(struct page *page, swp_entry_t entry, bool write)
{
	uint64_t off;
	int fd = swap_file(entry, &off);
	void *addr;
	long r;

	if (fd < 0)
		return fd;
	addr = kmap_atomic(page);
	r = write ? host_pwrite(fd, addr, PAGE_SIZE, off) : host_pread(fd, addr, PAGE_SIZE, off);
	kunmap_atomic(addr);
	if (r != PAGE_SIZE) {
		printk("%s-error on swap-device (%u:%#x): %s", write ? "Write" : "Read",
		       swp_type(entry), swp_offset(entry),
		       r < 0 ? strerror((int)-r) : write ? "short write" : "short read");
		return -EIO;
	}
	count_vm_event(write ? PSWPOUT : PSWPIN);
	return 0;
}

int swap_writepage(struct page *page, swp_entry_t entry)
{
	return swap_rw(page, entry, true);
}

int swap_readpage(struct page *page, swp_entry_t entry)
{
	return swap_rw(page, entry, false);
}
