/* boot.c - boot and attach. vm_boot creates the RAM file, lays out frame 0,
 * mem_map and the kernel's data with memblock, initialises the zones and
 * hands the rest of RAM to the buddy allocator, then brings up slab and
 * vmalloc: init/main.c's mm_init in one function. vm_attach maps a booted
 * machine into another process at the bases its boot block records.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

struct vm_boot_block *vm_boot_block;
struct page *mem_map;
struct vm_kernel_data *vm_kdata;
uintptr_t vm_kernel_base;
unsigned long max_pfn, max_low_pfn;

#define KERNEL_WINDOW	(1UL << 30)		/* PAGE_OFFSET .. 4 GiB */
#define USER_WINDOW	(4UL << 30)		/* the guest's whole 4 GiB */
/* Above AddressSanitizer's shadow (0x10007fff8000) and below where the host
 * puts shared libraries and stacks (0x7f...). */
#define USER_BASE_FIRST		0x200000000000UL
#define KERNEL_BASE_FIRST	0x300000000000UL
#define BASE_STRIDE		0x10000000000UL	/* 1 TiB between candidates */
#define BASE_TRIES		32
#define VM_MIN_MAP_COUNT	4096

static char vm_errmsg[512];
static char vm_path[256];
uintptr_t vm_user_base;

const char *vm_strerror(void)
{
	return vm_errmsg;
}

const char *vm_ram_path(void)
{
	return vm_path;
}

static int fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vm_errmsg, sizeof(vm_errmsg), fmt, ap);
	va_end(ap);
	return err;
}

int64_t vm_parse_size(const char *s)
{
	char *end;
	unsigned long long n;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'k': case 'K': n <<= 10; end++; break;
	case 'm': case 'M': n <<= 20; end++; break;
	case 'g': case 'G': n <<= 30; end++; break;
	case 't': case 'T': n <<= 40; end++; break;
	}
	if ((*end == 'B' || *end == 'b') && end[1] == '\0')
		end++;
	if (*end != '\0' || n > (1ULL << 50))
		return -1;
	return (int64_t)n;
}

static void attach_after_fork(void)
{
	vm_lock_after_fork();
	task_after_fork();
}

/* The locks name their owner by tid: a fork child must learn its own. */
static void register_atfork(void)
{
	static bool done;

	if (!done)
		pthread_atfork(NULL, NULL, attach_after_fork);
	done = true;
}

/* Reserve the two host windows, at the given bases or the first free pair
 * of candidates. */
static int reserve_windows(uintptr_t *kbase, uintptr_t *ubase)
{
	int i;

	if (*kbase) {
		if (!host_reserve(*kbase, KERNEL_WINDOW))
			return fail(-EEXIST, "the machine's kernel window at %#lx is taken in this process",
				    (unsigned long)*kbase);
		if (!host_reserve(*ubase, USER_WINDOW)) {
			host_release((void *)*kbase, KERNEL_WINDOW);
			return fail(-EEXIST, "the machine's user window at %#lx is taken in this process",
				    (unsigned long)*ubase);
		}
		return 0;
	}
	for (i = 0; i < BASE_TRIES; i++) {
		uintptr_t k = KERNEL_BASE_FIRST + (uintptr_t)i * BASE_STRIDE;
		uintptr_t u = USER_BASE_FIRST + (uintptr_t)i * BASE_STRIDE;

		if (!host_reserve(k, KERNEL_WINDOW))
			continue;
		if (!host_reserve(u, USER_WINDOW)) {
			host_release((void *)k, KERNEL_WINDOW);
			continue;
		}
		*kbase = k;
		*ubase = u;
		return 0;
	}
	return fail(-ENOMEM, "no free host range for the kernel and user windows (tried %d)", BASE_TRIES);
}

static void release_windows(void)
{
	if (vm_kernel_base)
		host_release((void *)vm_kernel_base, KERNEL_WINDOW);
	if (vm_user_base)
		host_release((void *)vm_user_base, USER_WINDOW);
	vm_kernel_base = 0;
	vm_user_base = 0;
}

/* Point the globals at the machine mapped at vm_kernel_base. */
static void set_globals(void)
{
	vm_boot_block = (struct vm_boot_block *)vm_kernel_base;
	mem_map = __va((uint64_t)vm_boot_block->mem_map_pfn << PAGE_SHIFT);
	vm_kdata = __va(vm_boot_block->kdata_pa);
	max_pfn = vm_boot_block->nr_pages;
	max_low_pfn = vm_boot_block->max_low_pfn;
}

static void default_path(const struct vm_boot_opts *o, char *buf, size_t len)
{
	static unsigned seq;

	if (o->path)
		snprintf(buf, len, "%s", o->path);
	else if (o->name)
		snprintf(buf, len, "/dev/shm/vm-%s.ram", o->name);
	else
		snprintf(buf, len, "/dev/shm/vm-%d-%u.ram", (int)getpid(), seq++);
}

static void init_mem_map(uint32_t nr_pages, uint32_t max_low)
{
	uint32_t pfn;

	memset(mem_map, 0, (size_t)nr_pages * sizeof(struct page));
	for (pfn = 0; pfn < nr_pages; pfn++) {
		struct page *page = &mem_map[pfn];
		uint32_t zone = pfn < (MAX_DMA_ADDRESS >> PAGE_SHIFT) ? ZONE_DMA :
				pfn < max_low ? ZONE_NORMAL : ZONE_HIGHMEM;

		page->flags = zone << ZONES_PGSHIFT;
		if (zone == ZONE_HIGHMEM)
			page->flags |= 1u << PG_highmem;
		page->_mapcount = -1;
	}
}

int vm_boot(const struct vm_boot_opts *opts)
{
	struct vm_boot_opts o = *opts;
	uint64_t t0 = host_now_ns(), lowmem;
	uintptr_t kbase = 0, ubase = 0;
	uint32_t nr_pages, max_low, pfn;
	struct vm_boot_block *bb;
	char dir[256], *slash;
	int64_t avail;
	long maps;
	int fd, err;

	if (vm_boot_block)
		return fail(-EBUSY, "a machine is already attached to this process");
	if (!o.ram_bytes)
		o.ram_bytes = VM_DEFAULT_RAM;
	if (!o.mode)
		o.mode = VM_MODE_I386;
	if (o.mode != VM_MODE_I386 && o.mode != VM_MODE_PAE)
		return fail(-EINVAL, "paging mode must be i386 or pae");
	o.ram_bytes &= ~(uint64_t)(PAGE_SIZE - 1);
	if (o.ram_bytes < VM_MIN_RAM)
		return fail(-EINVAL, "RAM of %llu KiB is below the minimum of 16M",
			    (unsigned long long)(o.ram_bytes >> 10));
	if (o.mode == VM_MODE_I386 && o.ram_bytes > VM_MAX_RAM_I386)
		return fail(-EINVAL, "i386 paging reaches 4G of RAM at most: use --mode pae");
	if (o.mode == VM_MODE_PAE && o.ram_bytes > VM_MAX_RAM_PAE)
		return fail(-EINVAL, "pae paging reaches 64G of RAM at most");
	nr_pages = (uint32_t)(o.ram_bytes >> PAGE_SHIFT);
	lowmem = o.ram_bytes < MAXMEM ? o.ram_bytes : MAXMEM;
	max_low = (uint32_t)(lowmem >> PAGE_SHIFT);

	default_path(&o, vm_path, sizeof(vm_path));
	snprintf(dir, sizeof(dir), "%s", vm_path);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	avail = host_fs_free(dir);
	if (avail >= 0 && (uint64_t)avail < o.ram_bytes)
		return fail(-ENOSPC, "%s has %lld MiB free; a %llu MiB machine does not fit",
			    dir, (long long)(avail >> 20), (unsigned long long)(o.ram_bytes >> 20));
	maps = host_max_map_count();
	if (maps >= 0 && maps < VM_MIN_MAP_COUNT)
		return fail(-ENOMEM, "vm.max_map_count is %ld; the machine needs at least %d host mappings",
			    maps, VM_MIN_MAP_COUNT);

	fd = host_ram_create(vm_path, o.ram_bytes, !o.no_prefault);
	if (fd < 0)
		return fail(fd, "cannot create RAM file %s: %s", vm_path, strerror(-fd));
	err = reserve_windows(&kbase, &ubase);
	if (err)
		goto out_unlink;
	vm_kernel_base = kbase;
	vm_user_base = ubase;
	err = host_map_ram((void *)kbase, fd, 0, lowmem, true);
	if (err) {
		fail(err, "cannot map the direct map: %s", strerror(-err));
		goto out_release;
	}
	vm_ram_fd = fd;
	vm_self_tid = gettid();

	/* Frame 0 first: everything else is found from here. */
	bb = (struct vm_boot_block *)kbase;
	memset(bb, 0, PAGE_SIZE);
	bb->version = VM_LAYOUT_VERSION;
	bb->page_size = PAGE_SIZE;
	bb->ram_bytes = o.ram_bytes;
	bb->nr_pages = nr_pages;
	bb->mode = (uint32_t)o.mode;
	bb->user_host_base = ubase;
	bb->kernel_host_base = kbase;
	bb->max_low_pfn = max_low;
	bb->struct_page_size = sizeof(struct page);
	bb->boot_ns = host_realtime_ns();
	{
		long ncpu = sysconf(_SC_NPROCESSORS_CONF);
		unsigned n = o.nr_cpus ? o.nr_cpus : (ncpu > 0 ? (unsigned)ncpu : 1);
		bb->nr_cpus = n > VM_NR_CPUS ? VM_NR_CPUS : n;
	}
	if (o.name)
		snprintf(bb->name, sizeof(bb->name), "%s", o.name);
	if (o.folio_order < 0)
		bb->folio_order = 0;
	else if (o.folio_order == 0)
		bb->folio_order = VM_FOLIO_ORDER_DEFAULT;
	else
		bb->folio_order = (uint32_t)min(o.folio_order, VM_FOLIO_ORDER_MAX);
	bb->tlb_entries = o.tlb_entries ? min(max(o.tlb_entries, VM_TLB_MIN), VM_TLB_MAX) :
					  VM_TLB_DEFAULT;

	memblock_init(nr_pages);
	memblock_alloc(1, "boot block");
	bb->mem_map_pages = (uint32_t)(((uint64_t)nr_pages * sizeof(struct page) + PAGE_SIZE - 1) >> PAGE_SHIFT);
	bb->mem_map_pfn = memblock_alloc(bb->mem_map_pages, "mem_map");
	bb->kdata_size = sizeof(struct vm_kernel_data);
	pfn = memblock_alloc((uint32_t)((bb->kdata_size + PAGE_SIZE - 1) >> PAGE_SHIFT), "kernel data");
	bb->kdata_pa = pfn << PAGE_SHIFT;
	bb->log_size = VM_LOG_BYTES;
	pfn = memblock_alloc(VM_LOG_BYTES >> PAGE_SHIFT, "log buffer");
	bb->log_pa = pfn << PAGE_SHIFT;
	/* PAE: the PGD and the PMD of the kernel quarter, shared by all. */
	pfn = memblock_alloc(o.mode == VM_MODE_PAE ? 2 : 1, "swapper_pg_dir");
	bb->swapper_pg_dir = pfn << PAGE_SHIFT;
	/* ZERO_PAGE: lowmem, so a copy from it needs no kmap */
	bb->zero_pfn = memblock_alloc(1, "zero page");
	pfn = bb->zero_pfn;
	/* A machine whose reservations overflow lowmem cannot boot. */
	if (pfn + 2 >= max_low) {
		err = fail(-ENOMEM, "mem_map for %u frames does not fit in lowmem", nr_pages);
		goto out_unmap;
	}
	/* At least VMALLOC_OFFSET of unmapped gap after the direct map, so an
	 * overrun of lowmem faults (DESIGN §2): 64 MiB of RAM puts it at
	 * 0xC4800000, 896 MiB and more at 0xF8800000, as on Linux i386. */
	bb->vmalloc_start = (uint32_t)(ALIGN(PAGE_OFFSET + lowmem, VMALLOC_OFFSET) + VMALLOC_OFFSET);
	bb->vmalloc_end = (uint32_t)VMALLOC_END;
	set_globals();
	kmap_init();	/* forget kmap slots of any machine booted before */

	memset(vm_kdata, 0, sizeof(*vm_kdata));
	{
		struct vm_log *log = __va(bb->log_pa);
		memset(log, 0, VM_LOG_BYTES);
		log->size = VM_LOG_BYTES - (uint32_t)sizeof(*log);
	}
	memset(__va(bb->swapper_pg_dir), 0, (o.mode == VM_MODE_PAE ? 2 : 1) * PAGE_SIZE);
	memset(__va((uint64_t)bb->zero_pfn << PAGE_SHIFT), 0, PAGE_SIZE);

	init_mem_map(nr_pages, max_low);
	free_area_init();
	memblock_free_all();
	setup_per_zone_wmarks(o.min_free_kbytes);
	zone_pcp_init();
	register_atfork();

	err = pgtable_init_kernel();
	if (err) {
		fail(err, "cannot set up swapper_pg_dir");
		goto out_unmap;
	}
	kmem_cache_init();
	vmalloc_init();
	swap_init();
	filemap_init();
	mm_init_caches();

	memcpy(bb->magic, VM_BOOT_MAGIC, sizeof(bb->magic));
	bb->boot_cost_ns = host_now_ns() - t0;
	printk("Linux-style machine booting: %llu MiB RAM, %s paging, %u CPUs",
	       (unsigned long long)(o.ram_bytes >> 20), o.mode == VM_MODE_PAE ? "PAE" : "i386",
	       bb->nr_cpus);
	printk("%lluMB HIGHMEM available.", (unsigned long long)((o.ram_bytes - lowmem) >> 20));
	printk("%lluMB LOWMEM available.", (unsigned long long)(lowmem >> 20));
	printk("Memory: %luK/%lluK available (%uK reserved)",
	       nr_free_pages() << (PAGE_SHIFT - 10), (unsigned long long)(o.ram_bytes >> 10),
	       bb->reserved_pages << (PAGE_SHIFT - 10));
	printk("mem_map: %u frames of %zu bytes = %u KiB", nr_pages, sizeof(struct page),
	       bb->mem_map_pages << (PAGE_SHIFT - 10));
	return 0;

out_unmap:
	vm_boot_block = NULL;
	mem_map = NULL;
	vm_kdata = NULL;
	vm_ram_fd = -1;
out_release:
	release_windows();
out_unlink:
	close(fd);
	unlink(vm_path);
	return err;
}

int vm_attach(const char *path)
{
	struct vm_boot_block bb;
	uintptr_t kbase, ubase;
	uint64_t bytes, lowmem;
	int fd, err;

	if (vm_boot_block)
		return fail(-EBUSY, "a machine is already attached to this process");
	fd = host_ram_open(path, &bytes, true);
	if (fd < 0)
		return fail(fd, "cannot open RAM file %s: %s", path, strerror(-fd));
	if (pread(fd, &bb, sizeof(bb), 0) != (ssize_t)sizeof(bb)) {
		err = fail(-EINVAL, "%s: too short to be a RAM file", path);
		goto out_close;
	}
	if (memcmp(bb.magic, VM_BOOT_MAGIC, sizeof(bb.magic)) != 0) {
		err = fail(-EINVAL, "%s: not a booted machine (bad magic)", path);
		goto out_close;
	}
	if (bb.version != VM_LAYOUT_VERSION || bb.struct_page_size != sizeof(struct page)) {
		err = fail(-EINVAL, "%s: layout version %u, this build reads %u", path,
			   bb.version, VM_LAYOUT_VERSION);
		goto out_close;
	}
	if (bb.ram_bytes != bytes || (uint64_t)bb.nr_pages << PAGE_SHIFT != bytes) {
		err = fail(-EINVAL, "%s: file is %llu bytes, boot block says %llu", path,
			   (unsigned long long)bytes, (unsigned long long)bb.ram_bytes);
		goto out_close;
	}
	kbase = (uintptr_t)bb.kernel_host_base;
	ubase = (uintptr_t)bb.user_host_base;
	err = reserve_windows(&kbase, &ubase);
	if (err)
		goto out_close;
	vm_kernel_base = kbase;
	vm_user_base = ubase;
	lowmem = (uint64_t)bb.max_low_pfn << PAGE_SHIFT;
	err = host_map_ram((void *)kbase, fd, 0, lowmem, true);
	if (err) {
		fail(err, "cannot map the direct map: %s", strerror(-err));
		release_windows();
		goto out_close;
	}
	vm_ram_fd = fd;
	vm_self_tid = gettid();
	snprintf(vm_path, sizeof(vm_path), "%s", path);
	set_globals();
	register_atfork();
	kmap_init();
	return 0;

out_close:
	close(fd);
	return err;
}

void vm_detach(void)
{
	if (!vm_boot_block)
		return;
	vm_boot_block = NULL;
	mem_map = NULL;
	vm_kdata = NULL;
	release_windows();
	close(vm_ram_fd);
	vm_ram_fd = -1;
}

void vm_destroy(void)
{
	if (!vm_boot_block)
		return;
	vm_detach();
	unlink(vm_path);
}
