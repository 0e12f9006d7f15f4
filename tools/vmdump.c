/* vmdump.c - print a machine's RAM file, live or stopped, as Linux's /proc
 * would: a table of views, one function each, and a small JSON emitter. It
 * only reads, through a struct vm_view (every link checked), while vmrun and
 * guests may be changing the machine underneath: views snapshot and tolerate.
 *
 * Exit status: 0 done; 1 the machine is unreadable (missing, foreign,
 * truncated, damaged) or `check` found violations; 2 a bad command line.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vm/ram.h>
#include <vm/page.h>
#include <vm/mmzone.h>
#include <vm/slab.h>
#include <vm/vmalloc.h>
#include <vm/view.h>

/* The machine may change any word while we look: read each one once, so a
 * value checked is the value used. */
#define READ_ONCE(x)	(*(const volatile __typeof__(x) *)&(x))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- a small JSON emitter --------------------------------------------- */

/* Pretty-printed, two spaces a level; an "inline" array keeps its elements
 * on one line (buddyinfo's eleven counts). Strings from RAM may hold any
 * byte: control characters and bytes above 0x7f are escaped as \u00XX, so
 * the output is valid JSON (and ASCII) whatever the machine holds. */
#define JSON_DEPTH	16

struct json {
	FILE *f;
	int depth;
	bool first[JSON_DEPTH];		/* nothing written yet at this level */
	bool inline_[JSON_DEPTH];	/* elements on one line */
};

static void json_string(FILE *f, const char *s, size_t max)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Comma, newline and indent before a member; then "key": if in an object. */
static void json_member(struct json *j, const char *key)
{
	if (j->depth > 0) {
		if (!j->first[j->depth])
			fputc(',', j->f);
		if (j->inline_[j->depth]) {
			if (!j->first[j->depth])
				fputc(' ', j->f);
		} else {
			fprintf(j->f, "\n%*s", 2 * j->depth, "");
		}
		j->first[j->depth] = false;
	}
	if (key) {
		json_string(j->f, key, SIZE_MAX);
		fputs(": ", j->f);
	}
}

static void json_open(struct json *j, const char *key, char bracket, bool one_line)
{
	json_member(j, key);
	fputc(bracket, j->f);
	if (j->depth + 1 < JSON_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
	j->inline_[j->depth] = one_line;
}

static void json_close(struct json *j, char bracket)
{
	bool empty = j->first[j->depth], one_line = j->inline_[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (!empty && !one_line)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	fputc(bracket, j->f);
	if (j->depth == 0)
		fputc('\n', j->f);
}

#define json_obj(j, key)	json_open(j, key, '{', false)
#define json_arr(j, key)	json_open(j, key, '[', false)
#define json_row(j, key)	json_open(j, key, '[', true)
#define json_end_obj(j)		json_close(j, '}')
#define json_end_arr(j)		json_close(j, ']')

static void json_u64(struct json *j, const char *key, uint64_t v)
{
	json_member(j, key);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

static void json_i64(struct json *j, const char *key, int64_t v)
{
	json_member(j, key);
	fprintf(j->f, "%lld", (long long)v);
}

/* At most max bytes of s: names in RAM need not be NUL-terminated. */
static void json_strn(struct json *j, const char *key, const char *s, size_t max)
{
	json_member(j, key);
	json_string(j->f, s, max);
}

static void json_str(struct json *j, const char *key, const char *s)
{
	json_strn(j, key, s, SIZE_MAX);
}

/* ---- the machine ------------------------------------------------------ */

struct dump {
	const char *path;		/* the RAM file, for messages */
	struct vm_view v;
	struct vm_boot_block boot;	/* a copy of frame 0, checked once */
	const struct vm_boot_block *bb;	/* &boot */
	const struct vm_kernel_data *kd;
	bool json;
	struct json js;
	uint64_t arg[4];		/* the view's numeric arguments */
	int nargs;
};

static const char *sigbus_path = "";

static int fail(struct dump *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct dump *d, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "vmdump: %s: ", d->path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* Someone shrank the file while we read it (a machine being removed and
 * recreated, or a truncation): a read past the new end is a SIGBUS. */
static void on_sigbus(int sig)
{
	static const char a[] = "vmdump: ", b[] = ": the RAM file shrank while being read\n";
	ssize_t n;

	(void)sig;
	n = write(2, a, sizeof(a) - 1);
	n = write(2, sigbus_path, strlen(sigbus_path));
	n = write(2, b, sizeof(b) - 1);
	(void)n;
	_exit(1);
}

static const char *zone_name(unsigned zi)
{
	return zi < MAX_NR_ZONES ? zone_names[zi] : "?";
}

/* Linux's populated_zone(): a zone with frames at all, reserved or not. */
static bool populated(const struct zone *z)
{
	return z->present_pages != 0;
}

static uint64_t clamp0(int64_t v)
{
	return v < 0 ? 0 : (uint64_t)v;
}

/* A kernel object at pa, sizeof len, in lowmem where kernel objects live. */
static const void *kobj(const struct dump *d, uint64_t pa, uint64_t len)
{
	uint64_t low = (uint64_t)d->bb->max_low_pfn << PAGE_SHIFT;

	if (pa == 0 || pa >= low || len > low - pa)
		return NULL;
	return vm_view_ptr(&d->v, pa, len);
}

/* Text from RAM for a terminal: at most max bytes of s, up to a NUL, with
 * anything unprintable as \xNN, as dmesg(1) shows it; out holds 4 bytes per
 * input byte plus one. */
static void clean(char *out, size_t outlen, const char *s, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < max && s[i] && n + 5 <= outlen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f)
			n += (size_t)snprintf(out + n, outlen - n, "\\x%02x", c);
		else
			out[n++] = (char)c;
	}
	out[n] = '\0';
}

static void snap_page(const struct dump *d, uint32_t pfn, struct page *p)
{
	memcpy(p, &d->v.mem_map[pfn], sizeof(*p));
}

/* Open MACHINE, map it read-only and check its boot block. */
static int open_machine(struct dump *d, const char *machine, char *pathbuf, size_t len)
{
	char err[256];
	struct stat st;
	void *base;
	int fd;

	if (strchr(machine, '/') || (stat(machine, &st) == 0 && S_ISREG(st.st_mode)))
		snprintf(pathbuf, len, "%s", machine);
	else
		snprintf(pathbuf, len, "/dev/shm/vm-%s.ram", machine);
	d->path = pathbuf;
	sigbus_path = pathbuf;

	fd = open(pathbuf, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(d, "cannot open: %s%s", strerror(errno),
			    strchr(machine, '/') ? "" : " (no machine of that name is running or kept)");
	if (fstat(fd, &st) < 0) {
		close(fd);
		return fail(d, "cannot stat: %s", strerror(errno));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return fail(d, "not a regular file, so not a libvm RAM file");
	}
	if (st.st_size == 0) {
		close(fd);
		return fail(d, "empty file, not a libvm RAM file");
	}
	if ((uint64_t)st.st_size < PAGE_SIZE) {
		close(fd);
		return fail(d, "not a libvm RAM file (%lld bytes, shorter than a boot block)",
			    (long long)st.st_size);
	}
	base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (base == MAP_FAILED)
		return fail(d, "cannot map %lld bytes: %s", (long long)st.st_size, strerror(errno));
	if (vm_view_init(&d->v, base, (uint64_t)st.st_size, err, sizeof(err)) != 0)
		return fail(d, "%s", err);
	/* Views read our copy of the boot block: a field checked above cannot
	 * change under us afterwards. The copy must be the block the view was
	 * built from. */
	memcpy(&d->boot, d->v.boot, sizeof(d->boot));
	d->bb = &d->boot;
	d->kd = d->v.kdata;
	if (d->bb->nr_pages != d->v.nr_pages || d->bb->max_low_pfn > d->bb->nr_pages ||
	    d->bb->nr_cpus == 0 || d->bb->nr_cpus > VM_NR_CPUS ||
	    d->bb->nr_memblock > VM_MEMBLOCK_MAX ||
	    d->v.base + ((uint64_t)d->bb->mem_map_pfn << PAGE_SHIFT) != (const uint8_t *)d->v.mem_map ||
	    d->v.base + d->bb->kdata_pa != (const uint8_t *)d->v.kdata)
		return fail(d, "the boot block changed while being read");
	/* vm_view_init also accepts a view of lowmem alone (a process's direct
	 * map); a file must hold all of RAM. */
	if (d->bb->ram_bytes != (uint64_t)st.st_size)
		return fail(d, "truncated: boot block says %llu bytes, file has %lld",
			    (unsigned long long)d->bb->ram_bytes, (long long)st.st_size);
	return 0;
}

/* ---- structural sanity ------------------------------------------------ */

/*
 * Before a view trusts the zones it follows the links they hold: every free
 * list and per-CPU list must stay inside RAM and inside its zone, hold frames
 * in the state the list implies, and end. This is not `check` (which proves
 * every invariant): it is what a view needs to be sure it is not printing
 * numbers out of garbage. A live machine can show a torn list for a moment,
 * so a defect counts only if three looks in a row find exactly it. A
 * machine busy enough to tear a list differently on every look is read as
 * it is: no view follows these links, they only vouch for the machine.
 */
static int walk_list(const struct dump *d, const char *what, uint32_t head_next,
		     uint32_t start, uint32_t end, uint32_t need_flag, int32_t need_private,
		     char *msg, size_t len)
{
	uint32_t pfn = head_next, steps = 0;

	while (pfn != PFN_NIL) {
		struct page p;

		if (pfn >= d->v.nr_pages) {
			snprintf(msg, len, "%s links to pfn %u beyond RAM (%u frames)", what, pfn,
				 d->v.nr_pages);
			return -1;
		}
		if (pfn < start || pfn >= end) {
			snprintf(msg, len, "%s links to pfn %u outside the zone's pfns [%u, %u)",
				 what, pfn, start, end);
			return -1;
		}
		snap_page(d, pfn, &p);
		if (!(p.flags & need_flag) || (need_private >= 0 && p.private != (uint32_t)need_private)) {
			snprintf(msg, len, "%s holds pfn %u, whose struct page says otherwise (flags %#x private %u)",
				 what, pfn, p.flags, p.private);
			return -1;
		}
		if (++steps > d->v.nr_pages) {
			snprintf(msg, len, "%s does not end (a cycle)", what);
			return -1;
		}
		pfn = p.lru.next;
	}
	return 0;
}

static int zones_sane_once(const struct dump *d, char *msg, size_t len)
{
	const struct pglist_data *pgdat = &d->kd->pgdat;
	unsigned zi, order, cpu;
	char what[96];

	for (zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct zone *z = &pgdat->node_zones[zi];
		uint32_t start = READ_ONCE(z->zone_start_pfn), span = READ_ONCE(z->spanned_pages);
		uint32_t present = READ_ONCE(z->present_pages), managed = READ_ONCE(z->managed_pages);

		if (start > d->v.nr_pages || span > d->v.nr_pages - start) {
			snprintf(msg, len, "zone %s spans pfn %u+%u, beyond RAM (%u frames)",
				 zone_name(zi), start, span, d->v.nr_pages);
			return -1;
		}
		if (present > span || managed > present) {
			snprintf(msg, len, "zone %s: managed %u, present %u, spanned %u do not nest",
				 zone_name(zi), managed, present, span);
			return -1;
		}
		for (order = 0; order < MAX_ORDER; order++) {
			const struct free_area *area = &z->free_area[order];
			uint64_t nr_free = READ_ONCE(area->nr_free);
			uint32_t tail = READ_ONCE(area->free_list.prev);

			snprintf(what, sizeof(what), "free list of zone %s order %u", zone_name(zi), order);
			if (nr_free > d->v.nr_pages) {
				snprintf(msg, len, "%s counts %llu blocks, more than RAM has frames", what,
					 (unsigned long long)nr_free);
				return -1;
			}
			if (tail >= d->v.nr_pages) {
				snprintf(msg, len, "%s: tail links to pfn %u beyond RAM", what, tail);
				return -1;
			}
			if (walk_list(d, what, READ_ONCE(area->free_list.next), start, start + span,
				      1u << PG_buddy, (int32_t)order, msg, len))
				return -1;
		}
		for (cpu = 0; cpu < d->bb->nr_cpus; cpu++) {
			const struct per_cpu_pages *pcp = &z->pcp[cpu];
			int32_t count = READ_ONCE(pcp->count);

			snprintf(what, sizeof(what), "per-CPU list of zone %s cpu %u", zone_name(zi), cpu);
			if (count < 0 || (uint32_t)count > d->v.nr_pages) {
				snprintf(msg, len, "%s counts %d frames", what, count);
				return -1;
			}
			if (walk_list(d, what, READ_ONCE(pcp->list.next), start, start + span,
				      1u << PG_pcp, (int32_t)cpu, msg, len))
				return -1;
		}
	}
	return 0;
}

static int zones_sane(struct dump *d)
{
	char msg[256], last[256] = "";
	int tries, same = 0;

	/* A damaged file fails the same way every time; a busy machine tears
	 * a different list (or the same list at another frame) each time. */
	for (tries = 0; tries < 8; tries++) {
		struct timespec pause = { 0, (1L << tries) * 1000 * 1000 };

		if (zones_sane_once(d, msg, sizeof(msg)) == 0)
			return 0;
		same = strcmp(msg, last) ? 1 : same + 1;
		if (same == 3)
			return fail(d, "%s", msg);
		snprintf(last, sizeof(last), "%s", msg);
		nanosleep(&pause, NULL);
	}
	return 0;
}

/* ---- views ------------------------------------------------------------ */

/* /proc/buddyinfo: free blocks per order, populated zones only. */
static int show_buddyinfo(struct dump *d)
{
	const struct pglist_data *pgdat = &d->kd->pgdat;
	unsigned zi, order;

	if (d->json) {
		json_obj(&d->js, NULL);
		json_arr(&d->js, "zones");
	}
	for (zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct zone *z = &pgdat->node_zones[zi];

		if (!populated(z))
			continue;
		if (d->json) {
			json_obj(&d->js, NULL);
			json_u64(&d->js, "node", 0);
			json_str(&d->js, "zone", zone_name(zi));
			json_row(&d->js, "free");
		} else {
			printf("Node %d, zone %8s ", 0, zone_name(zi));
		}
		for (order = 0; order < MAX_ORDER; order++) {
			uint64_t n = READ_ONCE(z->free_area[order].nr_free);

			if (d->json)
				json_u64(&d->js, NULL, n);
			else
				printf("%6llu ", (unsigned long long)n);
		}
		if (d->json) {
			json_end_arr(&d->js);
			json_end_obj(&d->js);
		} else {
			putchar('\n');
		}
	}
	if (d->json) {
		json_end_arr(&d->js);
		json_end_obj(&d->js);
	}
	return 0;
}

/* /proc/meminfo, in the order fs/proc/meminfo.c prints it on an i386
 * HIGHMEM kernel, from the node and zone counters. Lines for features the
 * machine lacks (swap, for now; hugetlb, zswap, CMA never) read 0 or are
 * left out as Linux leaves out what is not configured. */
static int show_meminfo(struct dump *d)
{
	struct pglist_data pgdat;
	uint64_t total = 0, free_ = 0, wmark_low = 0, mlock = 0, bounce = 0;
	uint64_t high_total, high_free, lowmem_kb, vmalloc_kb;
	int64_t available, pagecache, reclaimable, cached;
	unsigned zi, i;

	memcpy(&pgdat, &d->kd->pgdat, sizeof(pgdat));
#define NODE(item)	clamp0(pgdat.vm_stat[item])
	for (zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct zone *z = &pgdat.node_zones[zi];

		total += z->managed_pages;
		free_ += clamp0(z->vm_stat[NR_FREE_PAGES]);
		mlock += clamp0(z->vm_stat[NR_MLOCK]);
		bounce += clamp0(z->vm_stat[NR_BOUNCE]);
		wmark_low += z->_watermark[WMARK_LOW];
	}
	high_total = pgdat.node_zones[ZONE_HIGHMEM].managed_pages;
	high_free = clamp0(pgdat.node_zones[ZONE_HIGHMEM].vm_stat[NR_FREE_PAGES]);

	/* si_mem_available(): free beyond the reserves, plus the half of the
	 * page cache and reclaimable slab that reclaim could give back. */
	available = (int64_t)free_ - (int64_t)pgdat.totalreserve_pages;
	pagecache = (int64_t)(NODE(NR_ACTIVE_FILE) + NODE(NR_INACTIVE_FILE));
	pagecache -= pagecache / 2 < (int64_t)wmark_low ? pagecache / 2 : (int64_t)wmark_low;
	available += pagecache;
	reclaimable = (int64_t)NODE(NR_SLAB_RECLAIMABLE);
	reclaimable -= reclaimable / 2 < (int64_t)wmark_low ? reclaimable / 2 : (int64_t)wmark_low;
	available += reclaimable;
	cached = (int64_t)NODE(NR_FILE_PAGES) - (int64_t)NODE(NR_SWAPCACHE);

	lowmem_kb = (uint64_t)d->bb->max_low_pfn << (PAGE_SHIFT - 10);
	vmalloc_kb = (d->bb->vmalloc_end > d->bb->vmalloc_start ?
		      d->bb->vmalloc_end - d->bb->vmalloc_start : 0) >> 10;

	/* PG: a count of frames; KB: already in kB */
#define PG(name, val)	{ name, val, false }
#define KB(name, val)	{ name, val, true }
	const struct { const char *name; uint64_t val; bool kb; } lines[] = {
		PG("MemTotal", total),
		PG("MemFree", free_),
		PG("MemAvailable", clamp0(available)),
		PG("Buffers", 0),
		PG("Cached", clamp0(cached)),
		PG("SwapCached", NODE(NR_SWAPCACHE)),
		PG("Active", NODE(NR_ACTIVE_ANON) + NODE(NR_ACTIVE_FILE)),
		PG("Inactive", NODE(NR_INACTIVE_ANON) + NODE(NR_INACTIVE_FILE)),
		PG("Active(anon)", NODE(NR_ACTIVE_ANON)),
		PG("Inactive(anon)", NODE(NR_INACTIVE_ANON)),
		PG("Active(file)", NODE(NR_ACTIVE_FILE)),
		PG("Inactive(file)", NODE(NR_INACTIVE_FILE)),
		PG("Unevictable", NODE(NR_UNEVICTABLE)),
		PG("Mlocked", mlock),
		PG("HighTotal", high_total),
		PG("HighFree", high_free),
		PG("LowTotal", total - high_total),
		PG("LowFree", free_ > high_free ? free_ - high_free : 0),
		PG("SwapTotal", 0),
		PG("SwapFree", 0),
		PG("Dirty", NODE(NR_FILE_DIRTY)),
		PG("Writeback", NODE(NR_WRITEBACK)),
		PG("AnonPages", NODE(NR_ANON_MAPPED)),
		PG("Mapped", NODE(NR_FILE_MAPPED)),
		PG("Shmem", NODE(NR_SHMEM)),
		PG("KReclaimable", NODE(NR_SLAB_RECLAIMABLE)),
		PG("Slab", NODE(NR_SLAB_RECLAIMABLE) + NODE(NR_SLAB_UNRECLAIMABLE)),
		PG("SReclaimable", NODE(NR_SLAB_RECLAIMABLE)),
		PG("SUnreclaim", NODE(NR_SLAB_UNRECLAIMABLE)),
		/* Linux counts stacks in kB; our counter is in frames */
		PG("KernelStack", NODE(NR_KERNEL_STACK)),
		PG("PageTables", NODE(NR_PAGETABLE)),
		PG("SecPageTables", 0),
		PG("NFS_Unstable", 0),
		PG("Bounce", bounce),
		PG("WritebackTmp", 0),
		/* vm_commit_limit() at overcommit_ratio 50, no swap yet */
		PG("CommitLimit", total * 50 / 100),
		PG("Committed_AS", 0),
		KB("VmallocTotal", vmalloc_kb),
		PG("VmallocUsed", NODE(NR_VMALLOC)),
		PG("VmallocChunk", 0),
		PG("Percpu", 0),
		/* the guest's direct map is all 4 KiB pages */
		KB("DirectMap4k", lowmem_kb),
		KB(d->bb->mode == VM_MODE_PAE ? "DirectMap2M" : "DirectMap4M", 0),
	};
#undef PG
#undef KB
#undef NODE

	if (d->json)
		json_obj(&d->js, NULL);
	for (i = 0; i < ARRAY_SIZE(lines); i++) {
		uint64_t kb = lines[i].kb ? lines[i].val : lines[i].val << (PAGE_SHIFT - 10);

		if (d->json) {
			json_u64(&d->js, lines[i].name, kb);
		} else {
			char name[24];

			snprintf(name, sizeof(name), "%s:", lines[i].name);
			printf("%-16s%8llu kB\n", name, (unsigned long long)kb);
		}
	}
	if (d->json)
		json_end_obj(&d->js);
	return 0;
}

/* /proc/vmstat: zone counters summed over zones, node counters, events
 * summed over CPUs. */
static int show_vmstat(struct dump *d)
{
	const struct pglist_data *pgdat = &d->kd->pgdat;
	unsigned i, zi;

	if (d->json)
		json_obj(&d->js, NULL);
	for (i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++) {
		int64_t sum = 0;

		for (zi = 0; zi < MAX_NR_ZONES; zi++)
			sum += READ_ONCE(pgdat->node_zones[zi].vm_stat[i]);
		if (d->json)
			json_u64(&d->js, zone_stat_names[i], clamp0(sum));
		else
			printf("%s %llu\n", zone_stat_names[i], (unsigned long long)clamp0(sum));
	}
	for (i = 0; i < NR_VM_NODE_STAT_ITEMS; i++) {
		uint64_t v = clamp0(READ_ONCE(pgdat->vm_stat[i]));

		if (d->json)
			json_u64(&d->js, node_stat_names[i], v);
		else
			printf("%s %llu\n", node_stat_names[i], (unsigned long long)v);
	}
	/* Events live in two places (per-CPU counters, and the per-CPU page
	 * lists for order-0 pgalloc/pgfree): libvm sums them. */
	uint64_t events[NR_VM_EVENT_ITEMS];
	vm_sum_events(&d->v, events);
	for (i = 0; i < NR_VM_EVENT_ITEMS; i++) {
		if (d->json)
			json_u64(&d->js, vm_event_names[i], events[i]);
		else
			printf("%s %llu\n", vm_event_names[i], (unsigned long long)events[i]);
	}
	if (d->json)
		json_end_obj(&d->js);
	return 0;
}

/*
 * /proc/zoneinfo, as mm/vmstat.c's zoneinfo_show_print lays it out, with two
 * lines left out because our zones lack what they show: "promo" (the
 * memory-tiering watermark of 6.1+) and the pagesets' high_min/high_max
 * (6.7+); the output is that of a kernel from just before those. Counters
 * here are exact atomics, so "vm stats threshold" is 0.
 */
static int show_zoneinfo(struct dump *d)
{
	struct pglist_data pgdat;
	struct json *j = &d->js;
	bool node_done = false;
	unsigned zi, i, cpu;

	memcpy(&pgdat, &d->kd->pgdat, sizeof(pgdat));
	if (d->json) {
		json_obj(j, NULL);
		json_arr(j, "zones");
	}
	for (zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct zone *z = &pgdat.node_zones[zi];
		const struct { const char *name; uint64_t val; } wm[] = {
			{ "boost",   0 },
			{ "min",     z->_watermark[WMARK_MIN] },
			{ "low",     z->_watermark[WMARK_LOW] },
			{ "high",    z->_watermark[WMARK_HIGH] },
			{ "spanned", z->spanned_pages },
			{ "present", z->present_pages },
			{ "managed", z->managed_pages },
			{ "cma",     0 },
		};

		if (d->json) {
			json_obj(j, NULL);
			json_u64(j, "node", 0);
			json_str(j, "zone", zone_name(zi));
		} else {
			printf("Node %d, zone %8s", 0, zone_name(zi));
		}
		if (populated(z) && !node_done) {
			node_done = true;
			if (d->json)
				json_obj(j, "per-node stats");
			else
				printf("\n  per-node stats");
			for (i = 0; i < NR_VM_NODE_STAT_ITEMS; i++) {
				if (d->json)
					json_u64(j, node_stat_names[i], clamp0(pgdat.vm_stat[i]));
				else
					printf("\n      %-12s %llu", node_stat_names[i],
					       (unsigned long long)clamp0(pgdat.vm_stat[i]));
			}
			if (d->json)
				json_end_obj(j);
		}
		if (d->json) {
			json_u64(j, "pages free", clamp0(z->vm_stat[NR_FREE_PAGES]));
			for (i = 0; i < ARRAY_SIZE(wm); i++)
				json_u64(j, wm[i].name, wm[i].val);
			json_row(j, "protection");
			for (i = 0; i < MAX_NR_ZONES; i++)
				json_u64(j, NULL, z->lowmem_reserve[i]);
			json_end_arr(j);
		} else {
			printf("\n  pages free     %llu", (unsigned long long)clamp0(z->vm_stat[NR_FREE_PAGES]));
			for (i = 0; i < ARRAY_SIZE(wm); i++)
				printf("\n        %-8s %llu", wm[i].name, (unsigned long long)wm[i].val);
			printf("\n        protection: (%u", z->lowmem_reserve[0]);
			for (i = 1; i < MAX_NR_ZONES; i++)
				printf(", %u", z->lowmem_reserve[i]);
			putchar(')');
		}
		if (!populated(z)) {
			if (d->json)
				json_end_obj(j);
			else
				putchar('\n');
			continue;
		}
		for (i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++) {
			if (d->json)
				json_u64(j, zone_stat_names[i], clamp0(z->vm_stat[i]));
			else
				printf("\n      %-12s %llu", zone_stat_names[i],
				       (unsigned long long)clamp0(z->vm_stat[i]));
		}
		if (d->json)
			json_arr(j, "pagesets");
		else
			printf("\n  pagesets");
		for (cpu = 0; cpu < d->bb->nr_cpus; cpu++) {
			const struct per_cpu_pages *pcp = &z->pcp[cpu];

			if (d->json) {
				json_obj(j, NULL);
				json_u64(j, "cpu", cpu);
				json_i64(j, "count", pcp->count);
				json_i64(j, "high", pcp->high);
				json_i64(j, "batch", pcp->batch);
				json_i64(j, "vm stats threshold", 0);
				json_end_obj(j);
			} else {
				printf("\n    cpu: %u"
				       "\n              count:    %d"
				       "\n              high:     %d"
				       "\n              batch:    %d"
				       "\n  vm stats threshold: %d",
				       cpu, pcp->count, pcp->high, pcp->batch, 0);
			}
		}
		if (d->json) {
			json_end_arr(j);
			json_u64(j, "node_unreclaimable", 0);
			json_u64(j, "start_pfn", z->zone_start_pfn);
			json_end_obj(j);
		} else {
			printf("\n  node_unreclaimable:  %u"
			       "\n  start_pfn:           %u\n", 0, z->zone_start_pfn);
		}
	}
	if (d->json) {
		json_end_arr(j);
		json_end_obj(j);
	}
	return 0;
}

/* Walk a list of kernel objects linked by pa (slab caches, vmap areas) into
 * an array of copies: the list may change while we walk, so a broken link
 * is believed only if it is still broken a few looks later. Returns the
 * number of objects, or -1 with a message in msg. */
static long collect(const struct dump *d, const char *what, const uint32_t *first,
		    size_t size, size_t next_off, uint64_t bound, void **out,
		    char *msg, size_t len)
{
	struct timespec pause = { 0, 2 * 1000 * 1000 };
	int tries;

	*out = NULL;
	for (tries = 0; tries < 5; tries++) {
		uint8_t *buf = NULL;
		uint64_t n = 0, cap = 0;
		uint32_t pa = READ_ONCE(*first);
		bool broken = false;

		while (pa) {
			const void *obj = kobj(d, pa, size);

			if (!obj) {
				snprintf(msg, len, "%s links to pa %#x outside lowmem", what, pa);
				broken = true;
				break;
			}
			if (n >= bound) {
				snprintf(msg, len, "%s does not end (a cycle?)", what);
				broken = true;
				break;
			}
			if (n == cap) {
				uint8_t *nb;

				cap = cap ? 2 * cap : 64;
				nb = realloc(buf, cap * size);
				if (!nb) {
					free(buf);
					snprintf(msg, len, "out of memory");
					return -1;
				}
				buf = nb;
			}
			memcpy(buf + n * size, obj, size);
			memcpy(&pa, buf + n * size + next_off, sizeof(pa));
			n++;
		}
		if (!broken) {
			*out = buf;
			return (long)n;
		}
		free(buf);
		nanosleep(&pause, NULL);
	}
	return -1;
}

/* /proc/slabinfo version 2.1, one line per cache on slab_caches, in list
 * order; SLUB's way of filling the columns (no tunables, all slabs
 * active). */
static int show_slabinfo(struct dump *d)
{
	struct kmem_cache *caches;
	char msg[256];
	long n, i;

	n = collect(d, "slab cache list", &d->kd->slab.first, sizeof(struct kmem_cache),
		    offsetof(struct kmem_cache, next), d->v.nr_pages, (void **)&caches,
		    msg, sizeof(msg));
	if (n < 0)
		return fail(d, "%s", msg);
	if (d->json) {
		json_obj(&d->js, NULL);
		json_str(&d->js, "version", "2.1");
		json_arr(&d->js, "caches");
	} else {
		printf("slabinfo - version: 2.1\n"
		       "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>"
		       " : tunables <limit> <batchcount> <sharedfactor>"
		       " : slabdata <active_slabs> <num_slabs> <sharedavail>\n");
	}
	for (i = 0; i < n; i++) {
		const struct kmem_cache *s = &caches[i];
		uint64_t num_objs = s->nr_slabs * s->objects;
		unsigned pages = s->order < 31 ? 1u << s->order : 0;

		if (d->json) {
			json_obj(&d->js, NULL);
			json_strn(&d->js, "name", s->name, sizeof(s->name));
			json_u64(&d->js, "active_objs", s->inuse);
			json_u64(&d->js, "num_objs", num_objs);
			json_u64(&d->js, "objsize", s->size);
			json_u64(&d->js, "objperslab", s->objects);
			json_u64(&d->js, "pagesperslab", pages);
			json_u64(&d->js, "limit", 0);
			json_u64(&d->js, "batchcount", 0);
			json_u64(&d->js, "sharedfactor", 0);
			json_u64(&d->js, "active_slabs", s->nr_slabs);
			json_u64(&d->js, "num_slabs", s->nr_slabs);
			json_u64(&d->js, "sharedavail", 0);
			json_end_obj(&d->js);
		} else {
			char name[4 * KMEM_CACHE_NAME_LEN + 1];

			clean(name, sizeof(name), s->name, sizeof(s->name));
			printf("%-17s %6llu %6llu %6u %4u %4u : tunables %4u %4u %4u : slabdata %6llu %6llu %6u\n",
			       name, (unsigned long long)s->inuse, (unsigned long long)num_objs,
			       s->size, s->objects, pages, 0, 0, 0,
			       (unsigned long long)s->nr_slabs, (unsigned long long)s->nr_slabs, 0);
		}
	}
	if (d->json) {
		json_end_arr(&d->js);
		json_end_obj(&d->js);
	}
	free(caches);
	return 0;
}

/* /proc/vmallocinfo, one line per busy area in address order. Linux prints
 * 64-bit kernel pointers; the guest's are 32-bit, so addresses are
 * 0x%08x, as an i386 kernel prints them. The size includes the guard page,
 * as Linux's does; "pages=" appears for vmalloc areas only (vmap areas map
 * the caller's frames and Linux shows no count for them). */
static int show_vmallocinfo(struct dump *d)
{
	struct vmap_area *areas;
	uint64_t bound;
	char msg[256];
	long n, i;

	/* Every area spans at least a page and its guard. */
	bound = (d->bb->vmalloc_end - (uint64_t)d->bb->vmalloc_start) / (2 * PAGE_SIZE);
	if (bound < d->v.nr_pages)
		bound = d->v.nr_pages;
	n = collect(d, "vmap_area list", &d->kd->vmap.first, sizeof(struct vmap_area),
		    offsetof(struct vmap_area, next), bound, (void **)&areas, msg, sizeof(msg));
	if (n < 0)
		return fail(d, "%s", msg);
	if (d->json) {
		json_obj(&d->js, NULL);
		json_arr(&d->js, "areas");
	}
	for (i = 0; i < n; i++) {
		const struct vmap_area *va = &areas[i];
		uint32_t size = va->va_end >= va->va_start ? va->va_end - va->va_start : 0;
		const char *type = va->flags & VM_ALLOC ? "vmalloc" : va->flags & VM_MAP ? "vmap" : NULL;

		if (d->json) {
			json_obj(&d->js, NULL);
			json_u64(&d->js, "start", va->va_start);
			json_u64(&d->js, "end", va->va_end);
			json_u64(&d->js, "size", size);
			json_strn(&d->js, "caller", va->caller, sizeof(va->caller));
			if (va->flags & VM_ALLOC)
				json_u64(&d->js, "pages", va->nr_pages);
			if (type)
				json_str(&d->js, "type", type);
			json_end_obj(&d->js);
			continue;
		}
		printf("0x%08x-0x%08x %7u", va->va_start, va->va_end, size);
		if (va->caller[0]) {
			char caller[4 * VM_CALLER_LEN + 1];

			clean(caller, sizeof(caller), va->caller, sizeof(va->caller));
			printf(" %s", caller);
		}
		if (va->flags & VM_ALLOC)
			printf(" pages=%u", va->nr_pages);
		if (type)
			printf(" %s", type);
		putchar('\n');
	}
	if (d->json) {
		json_end_arr(&d->js);
		json_end_obj(&d->js);
	}
	free(areas);
	return 0;
}

/*
 * The kernel log. The ring holds the last log->size of log->head bytes ever
 * written. We copy the ring, then look at head again: whatever was written
 * meanwhile may have overwritten the oldest part of our copy, so that part
 * is dropped, and after a wrap the first (partial) line too.
 */
static int show_dmesg(struct dump *d)
{
	const struct vm_log *log = kobj(d, d->bb->log_pa, sizeof(struct vm_log));
	uint64_t head, head2, n, skip, i;
	uint32_t size;
	char *buf;

	if (!log)
		return fail(d, "log buffer at pa %#x lies outside lowmem", d->bb->log_pa);
	size = READ_ONCE(log->size);
	if (size == 0 || d->bb->log_size < sizeof(struct vm_log) ||
	    size > d->bb->log_size - sizeof(struct vm_log) ||
	    !kobj(d, d->bb->log_pa, sizeof(struct vm_log) + (uint64_t)size))
		return fail(d, "log ring claims %u bytes in a buffer of %u", size, d->bb->log_size);
	buf = malloc(size);
	if (!buf)
		return fail(d, "out of memory");
	head = READ_ONCE(log->head);
	memcpy(buf, log->text, size);
	head2 = READ_ONCE(log->head);

	n = head < size ? head : size;
	skip = head2 > head ? head2 - head : 0;
	if (skip > n)
		skip = n;
	i = skip;
	/* Wrapped or trimmed: the first line we hold is a tail. Skip to the
	 * first whole line. */
	if (head > size || skip) {
		while (i < n && buf[(head - n + i) % size] != '\n')
			i++;
		i++;
	}

	if (d->json) {
		json_obj(&d->js, NULL);
		json_u64(&d->js, "seq", READ_ONCE(log->seq));
		json_arr(&d->js, "lines");
	}
	while (i < n) {
		char line[1024];
		size_t len = 0;

		while (i < n) {
			char c = buf[(head - n + i) % size];

			i++;
			if (c == '\n')
				break;
			if (c == '\0')
				continue;
			if (len < sizeof(line) - 1)
				line[len++] = c;
		}
		line[len] = '\0';
		if (d->json) {
			json_str(&d->js, NULL, line);
		} else {
			char shown[4 * sizeof(line) + 1];

			clean(shown, sizeof(shown), line, len);
			printf("%s\n", shown);
		}
	}
	if (d->json) {
		json_end_arr(&d->js);
		json_end_obj(&d->js);
	}
	free(buf);
	return 0;
}

/* Where a frame stands, read from its struct page (and its neighbours'). */
struct page_state {
	char text[256];			/* "free in buddy at order 3" */
	const char *state;		/* one word, for JSON */
	int64_t order, cpu, head;	/* -1 when not applicable */
	char detail[4 * KMEM_CACHE_NAME_LEN + 1]; /* memblock region or slab cache name */
};

static void cache_name(const struct dump *d, uint32_t pa, char *out, size_t len)
{
	const struct kmem_cache *s = kobj(d, pa, sizeof(*s));
	char name[KMEM_CACHE_NAME_LEN];

	if (!s) {
		snprintf(out, len, "cache at pa %#x unreadable", pa);
		return;
	}
	memcpy(name, s->name, sizeof(name));
	clean(out, len, name, sizeof(name));
}

static void page_state(const struct dump *d, uint32_t pfn, const struct page *p,
		       struct page_state *ps)
{
	uint32_t i, order;

	ps->order = ps->cpu = ps->head = -1;
	ps->detail[0] = '\0';
	if (p->flags & (1u << PG_buddy)) {
		ps->state = "free";
		ps->order = p->private;
		snprintf(ps->text, sizeof(ps->text), "free in buddy at order %u", p->private);
	} else if (p->flags & (1u << PG_pcp)) {
		ps->state = "pcp";
		ps->cpu = p->private;
		snprintf(ps->text, sizeof(ps->text), "free on cpu %u's per-CPU list", p->private);
	} else if (p->flags & (1u << PG_reserved)) {
		const char *region = "no memblock region";

		for (i = 0; i < d->bb->nr_memblock && i < VM_MEMBLOCK_MAX; i++) {
			const struct memblock_region *r = &d->bb->memblock[i];

			if (pfn >= r->base_pfn && pfn - r->base_pfn < r->nr_pages) {
				clean(ps->detail, sizeof(ps->detail), r->name, sizeof(r->name));
				region = ps->detail;
				break;
			}
		}
		ps->state = "reserved";
		snprintf(ps->text, sizeof(ps->text), "reserved (%s)", region);
	} else if (p->flags & (1u << PG_slab)) {
		cache_name(d, p->mapping, ps->detail, sizeof(ps->detail));
		ps->state = "slab";
		ps->order = p->flags & (1u << PG_head) ? p->private : 0;
		snprintf(ps->text, sizeof(ps->text), "slab (%s), %u objects in use", ps->detail,
			 p->private);
	} else if (p->flags & (1u << PG_tail)) {
		ps->state = "tail";
		ps->head = p->index;
		snprintf(ps->text, sizeof(ps->text), "compound tail of pfn %u", p->index);
		if (p->index < d->v.nr_pages) {
			struct page h;

			snap_page(d, p->index, &h);
			if (h.flags & (1u << PG_slab)) {
				cache_name(d, h.mapping, ps->detail, sizeof(ps->detail));
				snprintf(ps->text, sizeof(ps->text), "compound tail of pfn %u (slab %s)",
					 p->index, ps->detail);
			}
		}
	} else if (p->_refcount > 0) {
		ps->state = "allocated";
		if (p->flags & (1u << PG_head)) {
			/* kmalloc marks its own large allocations with the pa
			 * of slab_state */
			bool large = p->mapping && p->mapping == d->bb->kdata_pa +
					offsetof(struct vm_kernel_data, slab);

			ps->order = p->private;
			snprintf(ps->text, sizeof(ps->text), "allocated, compound head of order %u%s",
				 p->private, large ? " (large kmalloc)" : "");
		} else {
			snprintf(ps->text, sizeof(ps->text), "allocated");
		}
	} else {
		/* Only a free block's first frame says it is free: look for a
		 * block head below us whose order covers us. */
		for (order = 1; order < MAX_ORDER; order++) {
			uint32_t head = pfn & ~((1u << order) - 1);
			struct page h;

			if (head == pfn)
				continue;
			snap_page(d, head, &h);
			if ((h.flags & (1u << PG_buddy)) && h.private == order) {
				ps->state = "free";
				ps->head = head;
				ps->order = order;
				snprintf(ps->text, sizeof(ps->text), "inside free block at pfn %u order %u",
					 head, order);
				return;
			}
		}
		/* Linux puts the reference of a non-compound high-order
		 * allocation on its first frame only. */
		ps->state = "unreferenced";
		snprintf(ps->text, sizeof(ps->text),
			 "no reference (a later frame of a higher-order allocation, or in transit)");
	}
}

/* Linux's %pGp: the flag names in bit order joined by '|', then zone=N. */
static void format_flags(uint32_t flags, char *out, size_t len)
{
	size_t n = 0;
	unsigned bit;

	out[0] = '\0';
	for (bit = 0; bit < NR_PAGEFLAGS && n < len; bit++)
		if (flags & (1u << bit))
			n += (size_t)snprintf(out + n, len - n, "%s|", pageflag_names[bit]);
	if (n < len)
		snprintf(out + n, len - n, "zone=%u", flags >> ZONES_PGSHIFT);
}

/* One frame, as Linux's dump_page() prints it (page:%p is the guest kernel
 * address of its struct page; mapping is printed as stored, a pa), then
 * what we can say about its state. */
static int show_page(struct dump *d)
{
	uint32_t pfn = (uint32_t)d->arg[0];
	uint32_t kva = (uint32_t)(PAGE_OFFSET + ((uint64_t)d->bb->mem_map_pfn << PAGE_SHIFT) +
				  (uint64_t)pfn * sizeof(struct page));
	struct page p;
	struct page_state ps;
	char flags[512];
	uint32_t raw[sizeof(struct page) / 4];
	unsigned zi, i;

	snap_page(d, pfn, &p);
	memcpy(raw, &p, sizeof(raw));
	zi = p.flags >> ZONES_PGSHIFT;
	page_state(d, pfn, &p, &ps);
	format_flags(p.flags, flags, sizeof(flags));

	if (d->json) {
		struct json *j = &d->js;
		unsigned bit;

		json_obj(j, NULL);
		json_u64(j, "page", kva);
		json_u64(j, "pfn", pfn);
		json_i64(j, "refcount", p._refcount);
		json_i64(j, "mapcount", (int64_t)p._mapcount + 1);
		json_u64(j, "mapping", p.mapping);
		json_u64(j, "index", p.index);
		json_u64(j, "private", p.private);
		json_u64(j, "flags", p.flags);
		json_row(j, "flag_names");
		for (bit = 0; bit < NR_PAGEFLAGS; bit++)
			if (p.flags & (1u << bit))
				json_str(j, NULL, pageflag_names[bit]);
		json_end_arr(j);
		json_str(j, "zone", zone_name(zi));
		json_str(j, "state", ps.state);
		json_str(j, "description", ps.text);
		if (ps.order >= 0)
			json_i64(j, "order", ps.order);
		if (ps.cpu >= 0)
			json_i64(j, "cpu", ps.cpu);
		if (ps.head >= 0)
			json_i64(j, "head", ps.head);
		if (ps.detail[0])
			json_str(j, !strcmp(ps.state, "reserved") ? "region" : "cache", ps.detail);
		json_row(j, "raw");
		for (i = 0; i < ARRAY_SIZE(raw); i++)
			json_u64(j, NULL, raw[i]);
		json_end_arr(j);
		json_end_obj(j);
		return 0;
	}
	printf("page:%08x refcount:%d mapcount:%d mapping:%08x index:0x%x pfn:0x%x\n",
	       kva, p._refcount, p._mapcount + 1, p.mapping, p.index, pfn);
	if (p.flags & (1u << PG_tail))
		printf("head:%08x pfn:0x%x\n",
		       (uint32_t)(PAGE_OFFSET + ((uint64_t)d->bb->mem_map_pfn << PAGE_SHIFT) +
				  (uint64_t)p.index * sizeof(struct page)), p.index);
	printf("flags: 0x%x(%s)\n", p.flags, flags);
	printf("raw:");
	for (i = 0; i < ARRAY_SIZE(raw); i++)
		printf(" %08x", raw[i]);
	printf("\nzone: %s\nstate: %s\n", zone_name(zi), ps.text);
	return 0;
}

/* `hexdump -C` of physical memory: the offset column is the physical
 * address. A range running past the end of RAM is cut there, with a note
 * on stderr, as hexdump stops at the end of a file. */
static int show_hexdump(struct dump *d)
{
	uint64_t pa = d->arg[0], len = d->nargs > 1 ? d->arg[1] : 256, off;
	const uint8_t *p;
	uint8_t prev[16];
	bool have_prev = false, starred = false;
	char *hex = NULL;

	if (len > d->v.size - pa) {
		fprintf(stderr, "vmdump: %s: RAM ends at %#llx; dumping %llu bytes, not %llu\n",
			d->path, (unsigned long long)d->v.size,
			(unsigned long long)(d->v.size - pa), (unsigned long long)len);
		len = d->v.size - pa;
	}
	p = vm_view_ptr(&d->v, pa, len);
	if (!p)
		return fail(d, "range %#llx+%llu lies outside RAM", (unsigned long long)pa,
			    (unsigned long long)len);
	if (d->json) {
		if (len > SIZE_MAX / 2 - 1 || !(hex = malloc(2 * len + 1)))
			return fail(d, "out of memory for %llu bytes", (unsigned long long)len);
		for (off = 0; off < len; off++)
			snprintf(hex + 2 * off, 3, "%02x", p[off]);
		json_obj(&d->js, NULL);
		json_u64(&d->js, "pa", pa);
		json_u64(&d->js, "len", len);
		json_str(&d->js, "hex", hex);
		json_end_obj(&d->js);
		free(hex);
		return 0;
	}
	for (off = 0; off < len; off += 16) {
		uint64_t n = len - off < 16 ? len - off : 16, i;
		uint8_t line[16];

		memcpy(line, p + off, n);
		/* hexdump's '*': a full line equal to the one before */
		if (n == 16 && have_prev && !memcmp(line, prev, 16)) {
			if (!starred)
				puts("*");
			starred = true;
			continue;
		}
		starred = false;
		printf("%08llx  ", (unsigned long long)(pa + off));
		for (i = 0; i < 16; i++) {
			if (i < n)
				printf("%02x ", line[i]);
			else
				fputs("   ", stdout);
			if (i == 7)
				putchar(' ');
		}
		fputs(" |", stdout);
		for (i = 0; i < n; i++)
			putchar(line[i] >= 0x20 && line[i] < 0x7f ? line[i] : '.');
		puts("|");
		memcpy(prev, line, 16);
		have_prev = n == 16;
	}
	if (len)
		printf("%08llx\n", (unsigned long long)(pa + len));
	return 0;
}

/*
 * Every invariant, through libvm's validators. They walk hostile data and
 * are meant not to crash on it; they run in a child all the same, so a
 * validator bug on a damaged file costs a message, not this process. The
 * child sends its lines down a pipe and its census through shared memory.
 */
static int show_check(struct dump *d)
{
	struct vm_report *census;
	char *lines = NULL, *line, *save;
	size_t lines_len = 0;
	FILE *mem;
	int fds[2], status;
	unsigned long frames = d->v.nr_pages;
	pid_t pid;

	census = mmap(NULL, sizeof(*census), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (census == MAP_FAILED)
		return fail(d, "cannot map shared memory: %s", strerror(errno));
	if (pipe(fds) < 0)
		return fail(d, "pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return fail(d, "fork: %s", strerror(errno));
	if (pid == 0) {
		struct vm_report r = { 0 };

		close(fds[0]);
		r.out = fdopen(fds[1], "w");
		if (!r.out)
			_exit(3);
		validate_machine(&d->v, &r);
		fflush(r.out);
		r.out = NULL;
		*census = r;
		_exit(0);
	}
	close(fds[1]);
	mem = open_memstream(&lines, &lines_len);
	if (mem) {
		char buf[4096];
		ssize_t n;

		while ((n = read(fds[0], buf, sizeof(buf))) != 0) {
			if (n < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			fwrite(buf, 1, (size_t)n, mem);
		}
		fclose(mem);
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!mem)
		return fail(d, "out of memory");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (lines_len)
			fputs(lines, stdout);
		free(lines);
		if (WIFSIGNALED(status))
			return fail(d, "the validators died of signal %d (%s) reading this machine",
				    WTERMSIG(status), strsignal(WTERMSIG(status)));
		return fail(d, "the validators failed (exit %d)", WEXITSTATUS(status));
	}

	if (d->json) {
		json_obj(&d->js, NULL);
		json_u64(&d->js, "violations", census->violations);
		json_arr(&d->js, "lines");
		for (line = strtok_r(lines, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			json_str(&d->js, NULL, line);
		json_end_arr(&d->js);
		json_u64(&d->js, "frames", frames);
		json_u64(&d->js, "free", census->nr_free + census->nr_pcp);
		json_u64(&d->js, "reserved", census->nr_reserved);
		json_u64(&d->js, "allocated", census->nr_allocated);
		json_end_obj(&d->js);
	} else {
		if (lines_len)
			fputs(lines, stdout);
		if (census->violations)
			printf("check: %lu violations\n", census->violations);
		else
			printf("check: ok (%lu frames: %lu free, %lu reserved, %lu allocated)\n",
			       frames, census->nr_free + census->nr_pcp, census->nr_reserved,
			       census->nr_allocated);
	}
	free(lines);
	return census->violations ? 1 : 0;
}

/* Not in the usage: where things lie, for tests that damage a copy of a
 * machine on purpose and for a human with a hex editor. */
static int show_offsets(struct dump *d)
{
	uint64_t kd = d->bb->kdata_pa;
	unsigned zi, order, cpu;

#define OFF(field)	(kd + offsetof(struct vm_kernel_data, field))
	printf("boot_block 0x0 %u\n", (unsigned)sizeof(struct vm_boot_block));
	printf("mem_map %#llx %llu\n", (unsigned long long)d->bb->mem_map_pfn << PAGE_SHIFT,
	       (unsigned long long)d->v.nr_pages * sizeof(struct page));
	printf("kdata %#llx %u\n", (unsigned long long)kd, d->bb->kdata_size);
	printf("log %#x %u\n", d->bb->log_pa, d->bb->log_size);
	for (zi = 0; zi < MAX_NR_ZONES; zi++) {
		printf("zone %s %#llx\n", zone_name(zi), (unsigned long long)OFF(pgdat.node_zones[zi]));
		printf("zone %s spanned_pages %#llx\n", zone_name(zi),
		       (unsigned long long)OFF(pgdat.node_zones[zi].spanned_pages));
		for (order = 0; order < MAX_ORDER; order++)
			printf("zone %s free_area %u free_list %#llx\n", zone_name(zi), order,
			       (unsigned long long)OFF(pgdat.node_zones[zi].free_area[order].free_list));
		for (cpu = 0; cpu < d->bb->nr_cpus; cpu++)
			printf("zone %s pcp %u list %#llx\n", zone_name(zi), cpu,
			       (unsigned long long)OFF(pgdat.node_zones[zi].pcp[cpu].list));
	}
	printf("slab first %#llx\n", (unsigned long long)OFF(slab.first));
	printf("vmap first %#llx\n", (unsigned long long)OFF(vmap.first));
#undef OFF
	return 0;
}

/* ---- the table -------------------------------------------------------- */

/* Views that read the kernel's structures refuse a machine whose zone lists
 * are broken (V_SANE). dmesg, hexdump and check do not: they are how one
 * looks at a damaged machine. */
enum {
	V_SANE   = 1 << 0,
	V_HIDDEN = 1 << 1,	/* not in the usage */
};

/* What a numeric argument is, so it can be checked against the machine. */
enum arg_kind {
	A_NUM,			/* any number */
	A_PFN,			/* a frame: below nr_pages */
	A_PA,			/* a physical address: inside RAM */
};

/* A view: name, its arguments' names and kinds (all numbers for now; a
 * view with other arguments will parse its own), and what it does. Still
 * to come, in DESIGN §10's order: swaps, ps, maps PID, smaps PID, pagemap
 * PID VA [N], walk PID VA, map --svg FILE. */
static const struct view {
	const char *name;
	const char *args;
	int min_args, max_args;
	enum arg_kind kind[4];
	unsigned flags;
	int (*show)(struct dump *d);
	const char *help;
} views[] = {
	{ "meminfo",     "",         0, 0, { 0 }, V_SANE, show_meminfo, "memory use, as /proc/meminfo" },
	{ "buddyinfo",   "",         0, 0, { 0 }, V_SANE, show_buddyinfo, "free blocks per order, as /proc/buddyinfo" },
	{ "zoneinfo",    "",         0, 0, { 0 }, V_SANE, show_zoneinfo, "zones, watermarks, per-CPU lists, as /proc/zoneinfo" },
	{ "vmstat",      "",         0, 0, { 0 }, V_SANE, show_vmstat, "counters and events, as /proc/vmstat" },
	{ "slabinfo",    "",         0, 0, { 0 }, V_SANE, show_slabinfo, "slab caches, as /proc/slabinfo" },
	{ "vmallocinfo", "",         0, 0, { 0 }, V_SANE, show_vmallocinfo, "vmalloc areas, as /proc/vmallocinfo" },
	{ "dmesg",       "",         0, 0, { 0 }, 0, show_dmesg, "the kernel log" },
	{ "page",        "PFN",      1, 1, { A_PFN }, V_SANE, show_page, "one struct page, as dump_page() prints it" },
	{ "hexdump",     "PA [LEN]", 1, 2, { A_PA, A_NUM }, 0, show_hexdump, "physical memory, as hexdump -C (LEN 256)" },
	{ "check",       "",         0, 0, { 0 }, 0, show_check, "every invariant; exit 1 on a violation" },
	{ "offsets",     "",         0, 0, { 0 }, V_HIDDEN, show_offsets, "where the kernel's structures lie" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: vmdump MACHINE VIEW [ARGS] [--json]\n"
		   "  MACHINE is a RAM file, or NAME for /dev/shm/vm-NAME.ram\n"
		   "  numbers are decimal or 0x hex; --json prints one JSON object\n"
		   "views:\n");
	for (i = 0; i < ARRAY_SIZE(views); i++) {
		char syn[32];

		if (views[i].flags & V_HIDDEN)
			continue;
		snprintf(syn, sizeof(syn), "%s %s", views[i].name, views[i].args);
		fprintf(f, "  %-20s %s\n", syn, views[i].help);
	}
}

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("vmdump: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	return 2;
}

/* Decimal, or hex after 0x; nothing else (no sign, no octal, no suffix). */
static int parse_number(const char *s, uint64_t *out)
{
	int base = 10;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	/* strtoull would take a sign or spaces; we take digits only */
	if (!isxdigit((unsigned char)s[0]) || (base == 10 && !isdigit((unsigned char)s[0])))
		return -1;
	errno = 0;
	*out = strtoull(s, &end, base);
	return errno || *end ? -1 : 0;
}

/* Arguments that need the machine to judge: frames and addresses in RAM. */
static int check_ranges(const struct view *vw, struct dump *d)
{
	int i;

	for (i = 0; i < d->nargs; i++) {
		if (vw->kind[i] == A_PFN && d->arg[i] >= d->v.nr_pages)
			return bad_usage("PFN %llu out of range: %s has %u frames (0-%u)",
					 (unsigned long long)d->arg[i], d->path, d->v.nr_pages,
					 d->v.nr_pages - 1);
		if (vw->kind[i] == A_PA && d->arg[i] >= d->v.size)
			return bad_usage("PA %#llx out of range: %s has %#llx bytes of RAM",
					 (unsigned long long)d->arg[i], d->path,
					 (unsigned long long)d->v.size);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct dump d = { .js = { .f = stdout } };
	const struct view *vw = NULL;
	char *pos[8], pathbuf[4096];
	struct sigaction sa;
	int npos = 0, i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			d.json = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return bad_usage("unknown option '%s'", argv[i]);
		} else if (npos == (int)ARRAY_SIZE(pos)) {
			return bad_usage("too many arguments");
		} else {
			pos[npos++] = argv[i];
		}
	}
	if (npos < 2)
		return bad_usage(npos ? "no VIEW given" : "no MACHINE given");
	for (i = 0; i < (int)ARRAY_SIZE(views); i++)
		if (!strcmp(pos[1], views[i].name))
			vw = &views[i];
	if (!vw)
		return bad_usage("unknown view '%s'", pos[1]);
	d.nargs = npos - 2;
	if (d.nargs < vw->min_args || d.nargs > vw->max_args)
		return bad_usage("%s takes %s%s", vw->name, *vw->args ? "" : "no arguments",
				 vw->args);
	for (i = 0; i < d.nargs; i++)
		if (parse_number(pos[2 + i], &d.arg[i]))
			return bad_usage("%s: '%s' is not a number (decimal or 0x hex)", vw->name,
					 pos[2 + i]);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigaction(SIGBUS, &sa, NULL);

	if (open_machine(&d, pos[0], pathbuf, sizeof(pathbuf)))
		return 1;
	rc = check_ranges(vw, &d);
	if (rc)
		return rc;
	if ((vw->flags & V_SANE) && zones_sane(&d))
		return 1;
	rc = vw->show(&d);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "vmdump: writing output: %s\n", strerror(errno));
		return 1;
	}
	return rc;
}
