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
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vm/ram.h>
#include <vm/page.h>
#include <vm/mmzone.h>
#include <vm/slab.h>
#include <vm/vmalloc.h>
#include <vm/mm.h>
#include <vm/fs.h>
#include <vm/pgtable.h>
#include <vm/guest.h>
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

static void json_bool(struct json *j, const char *key, bool v)
{
	json_member(j, key);
	fputs(v ? "true" : "false", j->f);
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
	const char *sarg;		/* an A_FILE argument that is a path, or NULL */
	int nargs;
	const char *svg;		/* map --svg FILE, or NULL */
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

/* kswapd's STAT: S asleep, R reclaiming. */
static const char *kswapd_stat(uint32_t state)
{
	return state == 0 ? "S" : state == 1 ? "R" : "?";
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

/* Is pfn the zero page? pfn 0 is the boot block, so a zero_pfn of 0 (or
 * beyond RAM) names none. */
static bool is_zero_pfn(const struct dump *d, uint64_t pfn)
{
	return d->bb->zero_pfn && d->bb->zero_pfn < d->v.nr_pages && pfn == d->bb->zero_pfn;
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

/* SwapTotal and SwapFree in pages, summed over the writable areas as
 * si_swapinfo() sums them (the areas, not the globals, so a damaged
 * counter shows in check rather than here). */
static void swap_totals(struct dump *d, uint64_t *total, uint64_t *free_)
{
	unsigned i;

	*total = *free_ = 0;
	for (i = 0; i < MAX_SWAPFILES; i++) {
		struct swap_info_struct si;

		memcpy(&si, &d->kd->swap.areas[i], sizeof(si));
		if ((si.flags & (SWP_USED | SWP_WRITEOK)) != (SWP_USED | SWP_WRITEOK))
			continue;
		*total += si.pages;
		*free_ += si.pages > si.inuse_pages ? si.pages - si.inuse_pages : 0;
	}
}

/* /proc/swaps, as swap_show() prints it: the path padded to 40 columns,
 * sizes in KiB. */
static int show_swaps(struct dump *d)
{
	unsigned i;

	if (d->json) {
		json_obj(&d->js, NULL);
		json_arr(&d->js, "swaps");
	} else {
		printf("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	}
	for (i = 0; i < MAX_SWAPFILES; i++) {
		struct swap_info_struct si;
		unsigned long size, used;
		size_t len, k;

		memcpy(&si, &d->kd->swap.areas[i], sizeof(si));
		if (!(si.flags & SWP_USED))
			continue;
		si.path[sizeof(si.path) - 1] = '\0';
		len = strlen(si.path);
		for (k = 0; k < len; k++)	/* the file is not trusted */
			if ((unsigned char)si.path[k] < 0x20 || si.path[k] == 0x7f)
				si.path[k] = '?';
		size = (unsigned long)si.pages << (PAGE_SHIFT - 10);
		used = (unsigned long)si.inuse_pages << (PAGE_SHIFT - 10);
		if (d->json) {
			json_obj(&d->js, NULL);
			json_str(&d->js, "filename", si.path);
			json_str(&d->js, "type", "file");
			json_u64(&d->js, "size", size);
			json_u64(&d->js, "used", used);
			json_i64(&d->js, "priority", si.prio);
			json_u64(&d->js, "type_index", i);
			json_bool(&d->js, "writeok", si.flags & SWP_WRITEOK);
			json_u64(&d->js, "bad_pages", si.nr_badpages);
			json_end_obj(&d->js);
		} else {
			printf("%s%*s%s\t%lu\t%s%lu\t%s%d\n", si.path, len < 40 ? (int)(40 - len) : 1,
			       " ", "file\t", size, size < 10000000 ? "\t" : "", used,
			       used < 10000000 ? "\t" : "", si.prio);
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
 * machine lacks (hugetlb, zswap, CMA) read 0 or are left out as Linux
 * leaves out what is not configured. */
static int show_meminfo(struct dump *d)
{
	struct pglist_data pgdat;
	uint64_t total = 0, free_ = 0, wmark_low = 0, mlock = 0, bounce = 0;
	uint64_t high_total, high_free, lowmem_kb, vmalloc_kb, swap_total, swap_free;
	int64_t available, pagecache, reclaimable, cached;
	unsigned zi, i;

	memcpy(&pgdat, &d->kd->pgdat, sizeof(pgdat));
	swap_totals(d, &swap_total, &swap_free);
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
	/* Linux subtracts the swap cache from NR_FILE_PAGES, which counts
	 * it; ours counts the page cache alone (NR_SWAPCACHE apart) */
	cached = (int64_t)NODE(NR_FILE_PAGES);

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
		/* total_swapcache_pages(): the swap caches' own count */
		PG("SwapCached", READ_ONCE(d->kd->swap.nr_swapcache)),
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
		PG("SwapTotal", swap_total),
		PG("SwapFree", swap_free),
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
		/* vm_commit_limit() at overcommit_ratio 50 */
		PG("CommitLimit", total * 50 / 100 + swap_total),
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

/* The events /proc/vmstat shows, in the order it shows them. */
static const enum vm_event_item vmstat_event_order[] = {
	PGPGIN, PGPGOUT, PSWPIN, PSWPOUT, PGALLOC_DMA, PGALLOC_NORMAL, PGALLOC_HIGH, PGFREE, PGFAULT,
	PGMAJFAULT, PGSTEAL_KSWAPD, PGSTEAL_DIRECT, PGSCAN_KSWAPD, PGSCAN_DIRECT, ALLOCSTALL,
	OOM_KILL,
};

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
	bool done[NR_VM_EVENT_ITEMS] = { false };
	unsigned k;

	vm_sum_events(&d->v, events);
	/* Linux's order (mm/vmstat.c's vmstat_text) for the events it has,
	 * then ours */
	for (k = 0; k < ARRAY_SIZE(vmstat_event_order) + NR_VM_EVENT_ITEMS; k++) {
		i = k < ARRAY_SIZE(vmstat_event_order) ? vmstat_event_order[k] :
		    k - ARRAY_SIZE(vmstat_event_order);
		if (done[i])
			continue;
		done[i] = true;
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

/*
 * The LRU lists (vmscan.c), which /proc does not show: per populated zone,
 * each list's length (its counter, nr_zone_*_anon or nr_zone_*_file) and
 * the first N pfns from its tail, the pages reclaim looks at next (N 8);
 * then kswapd and the OOM killer. The tail is followed by prev links,
 * each checked, and a link that leads nowhere sensible (the lists change
 * while we read a live machine) ends the line with a note; check proves
 * the lists whole.
 *
 *   zone     list            pages  tail (reclaimed first)
 *   Normal   inactive_anon     123  0x2f4 0x2f3 0x2f2
 *   Normal   active_anon       456  0x3a0 0x39f
 *   Normal   inactive_file      12  0x1c40 0x1c41
 *   Normal   active_file         0
 *   kswapd0: host pid 4242, S (asleep), woke 3 times; swappiness 60, page-cluster 3; oom_kill 0
 */
static const char *const lru_list_names[NR_LRU_LISTS] = {
	"inactive_anon", "active_anon", "inactive_file", "active_file"
};

/* The flags a page on list lru carries among PG_lru, PG_active and
 * PG_swapbacked (Linux's page_lru() read backwards). */
static uint32_t lru_flags(enum lru_list lru)
{
	return 1u << PG_lru | (lru == LRU_ACTIVE_ANON || lru == LRU_ACTIVE_FILE ? 1u << PG_active : 0) |
	       (lru == LRU_INACTIVE_ANON || lru == LRU_ACTIVE_ANON ? 1u << PG_swapbacked : 0);
}
#define LRU_FLAGS	(1u << PG_lru | 1u << PG_active | 1u << PG_swapbacked)

/* Up to max pfns of the list from its tail into out; how many, with
 * *why set when a link was not followed. seen: a bit per frame, clear. */
static unsigned lru_tail(const struct dump *d, const struct zone *z, unsigned zi, enum lru_list lru,
			 uint32_t *out, unsigned max, uint8_t *seen, const char **why)
{
	uint32_t pfn = READ_ONCE(z->lru[lru].prev), start = READ_ONCE(z->zone_start_pfn);
	uint32_t end = start + READ_ONCE(z->spanned_pages);
	uint32_t want = lru_flags(lru);
	unsigned n = 0, i;

	*why = NULL;
	while (pfn != PFN_NIL && n < max) {
		struct page p;

		if (pfn >= d->v.nr_pages || pfn < start || pfn >= end) {
			*why = "links outside the zone";
			break;
		}
		snap_page(d, pfn, &p);
		if ((p.flags & LRU_FLAGS) != want ||
		    (p.flags >> ZONES_PGSHIFT) != zi) {
			*why = "reaches a page not on this list";
			break;
		}
		if (seen[pfn >> 3] & (1u << (pfn & 7))) {
			*why = "goes round (a cycle)";
			break;
		}
		seen[pfn >> 3] |= (uint8_t)(1u << (pfn & 7));
		out[n++] = pfn;
		pfn = p.lru.prev;
	}
	for (i = 0; i < n; i++)		/* clear for the next list */
		seen[out[i] >> 3] = 0;
	return n;
}

static int show_lru(struct dump *d)
{
	static const enum zone_stat_item items[NR_LRU_LISTS] = {
		NR_ZONE_INACTIVE_ANON, NR_ZONE_ACTIVE_ANON, NR_ZONE_INACTIVE_FILE, NR_ZONE_ACTIVE_FILE
	};
	const struct pglist_data *pgdat = &d->kd->pgdat;
	uint64_t max = d->nargs ? d->arg[0] : 8;
	struct reclaim_state rs;
	uint32_t *tail;
	uint8_t *seen;
	unsigned zi, lru, i;

	if (max > d->v.nr_pages)
		max = d->v.nr_pages;
	tail = malloc((max ? max : 1) * sizeof(*tail));
	seen = calloc((d->v.nr_pages + 7) / 8, 1);
	if (!tail || !seen) {
		free(tail);
		free(seen);
		return fail(d, "out of memory");
	}
	memcpy(&rs, &d->kd->reclaim, sizeof(rs));
	if (d->json) {
		json_obj(&d->js, NULL);
		json_arr(&d->js, "zones");
	} else {
		printf("%-8s %-14s %6s  %s\n", "zone", "list", "pages", "tail (reclaimed first)");
	}
	for (zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct zone *z = &pgdat->node_zones[zi];

		if (!populated(z))
			continue;
		if (d->json) {
			json_obj(&d->js, NULL);
			json_str(&d->js, "zone", zone_name(zi));
		}
		for (lru = 0; lru < NR_LRU_LISTS; lru++) {
			uint64_t pages = clamp0(READ_ONCE(z->vm_stat[items[lru]]));
			const char *why;
			unsigned n = lru_tail(d, z, zi, lru, tail, (unsigned)max, seen, &why);

			if (d->json) {
				json_obj(&d->js, lru_list_names[lru]);
				json_u64(&d->js, "pages", pages);
				json_row(&d->js, "tail");
				for (i = 0; i < n; i++)
					json_u64(&d->js, NULL, tail[i]);
				json_end_arr(&d->js);
				if (why)
					json_str(&d->js, "stopped", why);
				json_end_obj(&d->js);
				continue;
			}
			printf("%-8s %-14s %6llu", zone_name(zi), lru_list_names[lru],
			       (unsigned long long)pages);
			for (i = 0; i < n; i++)
				printf("%s%#x", i ? " " : "  ", tail[i]);
			if (why)
				printf(" (then the list %s)", why);
			putchar('\n');
		}
		if (d->json)
			json_end_obj(&d->js);
	}
	if (d->json) {
		json_end_arr(&d->js);
		json_obj(&d->js, "kswapd");
		json_i64(&d->js, "host_pid", rs.kswapd_pid);
		json_str(&d->js, "state", rs.kswapd_state == 0 ? "asleep" :
			 rs.kswapd_state == 1 ? "reclaiming" : "?");
		json_u64(&d->js, "runs", rs.kswapd_runs);
		json_end_obj(&d->js);
		json_u64(&d->js, "swappiness", rs.swappiness);
		json_u64(&d->js, "page_cluster", rs.page_cluster);
		json_u64(&d->js, "oom_victim", rs.oom_victim);
		json_u64(&d->js, "oom_kills", rs.oom_kills);
		json_end_obj(&d->js);
	} else {
		if (rs.kswapd_pid)
			printf("kswapd0: host pid %d, %s (%s), woke %llu time%s", rs.kswapd_pid,
			       kswapd_stat(rs.kswapd_state),
			       rs.kswapd_state == 0 ? "asleep" : rs.kswapd_state == 1 ? "reclaiming" : "?",
			       (unsigned long long)rs.kswapd_runs, rs.kswapd_runs == 1 ? "" : "s");
		else
			printf("kswapd0: not running, woke %llu time%s", (unsigned long long)rs.kswapd_runs,
			       rs.kswapd_runs == 1 ? "" : "s");
		printf("; swappiness %u, page-cluster %u; oom_kill %llu", rs.swappiness,
		       rs.page_cluster, (unsigned long long)rs.oom_kills);
		if (rs.oom_victim)
			printf(", killing pid %u", rs.oom_victim);
		putchar('\n');
	}
	free(tail);
	free(seen);
	return 0;
}

/* Walk a list of kernel objects linked by pa (slab caches, vmap areas,
 * files) into an array of copies, and their pas into *pas if pas is not
 * NULL: the list may change while we walk, so a broken link is believed
 * only if it is still broken a few looks later. Returns the number of
 * objects, or -1 with a message in msg. */
static long collect_pas(const struct dump *d, const char *what, const uint32_t *first,
			size_t size, size_t next_off, uint64_t bound, void **out, uint32_t **pas,
			char *msg, size_t len)
{
	struct timespec pause = { 0, 2 * 1000 * 1000 };
	int tries;

	*out = NULL;
	if (pas)
		*pas = NULL;
	for (tries = 0; tries < 5; tries++) {
		uint8_t *buf = NULL;
		uint32_t *pbuf = NULL;
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
				uint32_t *np = NULL;

				cap = cap ? 2 * cap : 64;
				nb = realloc(buf, cap * size);
				if (nb)
					buf = nb;
				if (pas) {
					np = realloc(pbuf, cap * sizeof(*pbuf));
					if (np)
						pbuf = np;
				}
				if (!nb || (pas && !np)) {
					free(buf);
					free(pbuf);
					snprintf(msg, len, "out of memory");
					return -1;
				}
			}
			memcpy(buf + n * size, obj, size);
			if (pas)
				pbuf[n] = pa;
			memcpy(&pa, buf + n * size + next_off, sizeof(pa));
			n++;
		}
		if (!broken) {
			*out = buf;
			if (pas)
				*pas = pbuf;
			return (long)n;
		}
		free(buf);
		free(pbuf);
		nanosleep(&pause, NULL);
	}
	return -1;
}

static long collect(const struct dump *d, const char *what, const uint32_t *first,
		    size_t size, size_t next_off, uint64_t bound, void **out,
		    char *msg, size_t len)
{
	return collect_pas(d, what, first, size, next_off, bound, out, NULL, msg, len);
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

/* How many vmap areas a list may hold before it is taken for a cycle:
 * every area spans at least a page and its guard (a boot block whose
 * vmalloc range runs backwards bounds it by the frames instead). */
static uint64_t vmap_bound(const struct dump *d)
{
	uint64_t bound = 0;

	if (d->bb->vmalloc_end > d->bb->vmalloc_start)
		bound = (d->bb->vmalloc_end - (uint64_t)d->bb->vmalloc_start) / (2 * PAGE_SIZE);
	return bound > d->v.nr_pages ? bound : d->v.nr_pages;
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

	bound = vmap_bound(d);
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

/* ---- the page cache ------------------------------------------------------ */

/*
 * The files guests map (filemap.c, include/vm/fs.h), read as the kernel
 * keeps them: filemap_state's list of address_spaces, each with a radix
 * tree of its cached pages (64 slots a node, pfns in the leaves) and the
 * list of VMAs that map it (i_mmap, through vma->shared_next).
 */

/* The files on filemap_state's list, copied, with their pas; -1 with a
 * message when the list cannot be read. */
static long get_files(const struct dump *d, struct address_space **files, uint32_t **pas,
		      char *msg, size_t len)
{
	uint64_t bound = ((uint64_t)d->bb->max_low_pfn << PAGE_SHIFT) / sizeof(struct address_space);

	return collect_pas(d, "list of files", &d->kd->filemap.files, sizeof(struct address_space),
			   offsetof(struct address_space, next), bound, (void **)files, pas, msg, len);
}

/* A copy of the address_space at pa, if pa is one: an object in a slab of
 * the "address_space" cache. A page's mapping or a VMA's vm_file is
 * checked so before it is believed. */
static bool copy_file(const struct dump *d, uint32_t pa, struct address_space *as)
{
	uint32_t cache = READ_ONCE(d->kd->filemap.as_cache);
	const struct address_space *p = kobj(d, pa, sizeof(*p));
	uint64_t pfn = pa >> PAGE_SHIFT;
	struct page pg;

	if (!p || !cache || (pa & 3) || pfn >= d->v.nr_pages)
		return false;
	snap_page(d, (uint32_t)pfn, &pg);
	if ((pg.flags & (1u << PG_tail)) && pg.index < d->v.nr_pages)
		snap_page(d, pg.index, &pg);
	if (!(pg.flags & (1u << PG_slab)) || pg.mapping != cache)
		return false;
	memcpy(as, p, sizeof(*as));
	return true;
}

#define FILE_PATH_LEN	(4 * VM_FILE_PATH_MAX + 16)

/* Does a page's mapping name a file (not an anon_vma, not nothing)? */
static bool page_is_file_mapping(uint32_t mapping)
{
	return mapping && !(mapping & PAGE_MAPPING_ANON);
}

/* Its path for a terminal, " (deleted)" after a file the host removed,
 * as Linux's d_path writes it. */
static void file_path(const struct address_space *as, char *out, size_t len)
{
	size_t n;

	clean(out, len, as->path, sizeof(as->path));
	n = strlen(out);
	if ((as->flags & AS_DELETED) && n + 11 <= len)
		memcpy(out + n, " (deleted)", 11);
}

/* Its device as /proc/PID/maps prints one: major:minor in hex. */
static void file_dev(const struct address_space *as, char *out, size_t len)
{
	snprintf(out, len, "%02x:%02x", major((dev_t)as->dev), minor((dev_t)as->dev));
}

/* One cached page: its index in the file and its frame. */
struct cached_page {
	uint32_t index, pfn;
};

struct tree_walk {
	const struct dump *d;
	struct cached_page *out;
	size_t n, max;
	uint64_t budget;		/* nodes left to visit */
	const char *why;		/* why the walk stopped short, or NULL */
};

/* One node at shift covering indices from base, its pages in index order.
 * A child is followed only at the level below (the shift falls by 6, from
 * at most 30), so a walk ends; budget bounds one that visits a node over
 * and over. */
static void tree_node_pages(struct tree_walk *tw, uint32_t pa, unsigned shift, uint64_t base)
{
	const struct radix_tree_node *p = kobj(tw->d, pa, sizeof(*p));
	struct radix_tree_node node;
	unsigned slot;

	if (!p) {
		tw->why = "links outside lowmem";
		return;
	}
	if (!tw->budget--) {
		tw->why = "has more nodes than lowmem could hold";
		return;
	}
	memcpy(&node, p, sizeof(node));
	if (node.shift != shift) {
		tw->why = "holds a node at the wrong level";
		return;
	}
	for (slot = 0; slot < RADIX_TREE_MAP_SIZE && tw->n < tw->max && tw->budget; slot++) {
		uint64_t index = base + ((uint64_t)slot << shift);
		uint32_t e = node.slots[slot];

		if (!e)
			continue;
		if (index > UINT32_MAX) {
			tw->why = "holds an index beyond 32 bits";
			return;
		}
		if (shift)
			tree_node_pages(tw, e, shift - RADIX_TREE_MAP_SHIFT, index);
		else
			tw->out[tw->n++] = (struct cached_page){ (uint32_t)index, e };
	}
}

/* Up to max pages of a file's tree in index order into out; how many,
 * with *why set when part of the tree could not be read. */
static size_t file_pages(const struct dump *d, const struct address_space *as,
			 struct cached_page *out, size_t max, const char **why)
{
	struct tree_walk tw = {
		.d = d, .out = out, .max = max,
		.budget = ((uint64_t)d->bb->max_low_pfn << PAGE_SHIFT) / sizeof(struct radix_tree_node),
	};
	const struct radix_tree_node *top = kobj(d, as->rnode, sizeof(*top));
	unsigned shift;

	*why = NULL;
	if (!as->rnode)
		return 0;
	if (!top) {
		*why = "links outside lowmem";
		return 0;
	}
	shift = READ_ONCE(top->shift);
	if (shift % RADIX_TREE_MAP_SHIFT || shift > 30) {
		*why = "has a top node at no level";
		return 0;
	}
	tree_node_pages(&tw, as->rnode, shift, 0);
	*why = tw.why;
	return tw.n;
}

/* The pfn a file's tree holds at index, 0 for none (or a tree that cannot
 * be followed there). */
static uint32_t file_lookup(const struct dump *d, const struct address_space *as, uint32_t index)
{
	const struct radix_tree_node *p = kobj(d, as->rnode, sizeof(*p));
	unsigned shift;

	if (!p)
		return 0;
	shift = READ_ONCE(p->shift);
	if (shift % RADIX_TREE_MAP_SHIFT || shift > 30 ||
	    index > ((uint64_t)RADIX_TREE_MAP_SIZE << shift) - 1)
		return 0;
	for (;;) {
		uint32_t slot;

		if (!p || READ_ONCE(p->shift) != shift)
			return 0;
		slot = READ_ONCE(p->slots[(index >> shift) & RADIX_TREE_MAP_MASK]);
		if (!shift || !slot)
			return slot;
		p = kobj(d, slot, sizeof(*p));
		shift -= RADIX_TREE_MAP_SHIFT;
	}
}

/*
 * A walk along a list of VMAs in RAM (an anon_vma's, a file's i_mmap),
 * bounded by how many VMAs lowmem can hold. A cycle is caught by Brent's
 * method: the walk holds a mark that moves to the current VMA at every
 * power of two of steps, so a walk that meets the mark again went round.
 */
struct vma_list_walk {
	uint64_t n, power, lam, bound;
	uint32_t mark;
};

static void vma_list_start(const struct dump *d, struct vma_list_walk *w)
{
	memset(w, 0, sizeof(*w));
	w->power = 1;
	w->bound = ((uint64_t)d->bb->max_low_pfn << PAGE_SHIFT) / sizeof(struct vm_area_struct);
}

/* The VMA at pa, the walk's next, copied into *vma: true, or false with
 * a reason in msg (what names the list) when the list cannot be followed. */
static bool vma_list_step(const struct dump *d, struct vma_list_walk *w, uint32_t pa,
			  const char *what, struct vm_area_struct *vma, char *msg, size_t len)
{
	const struct vm_area_struct *vp = kobj(d, pa, sizeof(*vp));

	if (pa == w->mark || w->n >= w->bound) {
		snprintf(msg, len, "%s goes round (VMA %#x met again after %llu)", what, pa,
			 (unsigned long long)w->n);
		return false;
	}
	if (++w->lam == w->power) {
		w->mark = pa;
		w->power *= 2;
		w->lam = 0;
	}
	if (!vp || (pa & 3)) {
		snprintf(msg, len, "%s links to VMA %#x, outside lowmem or misaligned", what, pa);
		return false;
	}
	memcpy(vma, vp, sizeof(*vma));
	return true;
}

/*
 * Call fn for each VMA on a file's i_mmap list, until fn returns nonzero:
 * the VMAs walked, or -1 with a reason in msg when the list cannot be
 * followed (fn has seen the VMAs before the break), as vma_list_step
 * finds it.
 */
static long i_mmap_walk(const struct dump *d, const struct address_space *as,
			int (*fn)(const struct dump *d, uint32_t pa, const struct vm_area_struct *vma,
				  void *ctx),
			void *ctx, char *msg, size_t len)
{
	struct vma_list_walk w;
	uint32_t pa;

	vma_list_start(d, &w);
	for (pa = as->i_mmap; pa; w.n++) {
		struct vm_area_struct vma;

		if (!vma_list_step(d, &w, pa, "the i_mmap list", &vma, msg, len))
			return -1;
		if (fn && fn(d, pa, &vma, ctx))
			return (long)w.n + 1;
		pa = vma.shared_next;
	}
	return (long)w.n;
}

/* ---- tasks and address spaces ------------------------------------------- */

/*
 * A task's address space, copied out of RAM: the task, its mm, and its
 * VMAs in address order. The list may change while we copy it (a guest
 * mapping or unmapping), so a copy that is not sorted and disjoint is
 * taken again; only a list that stays broken is reported.
 */
struct space {
	struct task_struct t;
	bool has_mm;			/* false for a zombie: nothing to show */
	bool has_vmas;			/* the VMA list was read */
	struct mm_struct mm;
	struct vm_area_struct *vmas;
	long nr_vmas;
};

#define USER_PAGES	(TASK_SIZE >> PAGE_SHIFT)	/* 786432: no mm has more VMAs */

static const char *const task_state_names[] = { "dead", "new", "running", "zombie" };

/* ps's STAT letter: R running, Z zombie, N new (made, its process not yet
 * attached). */
static const char *task_stat(uint32_t state)
{
	switch (state) {
	case TASK_RUNNING:	return "R";
	case TASK_ZOMBIE:	return "Z";
	case TASK_NEW:		return "N";
	default:		return "?";
	}
}

/* Copy the live task with guest pid pid into t; false if there is none. */
static bool find_task(const struct dump *d, uint64_t pid, struct task_struct *t)
{
	unsigned i;

	for (i = 0; pid && i < VM_MAX_TASKS; i++) {
		memcpy(t, &d->kd->tasks.task[i], sizeof(*t));
		if (t->state != TASK_DEAD && (uint64_t)(uint32_t)t->pid == pid)
			return true;
	}
	return false;
}

static void comm_of(const struct task_struct *t, char *out, size_t len)
{
	clean(out, len, t->comm, sizeof(t->comm));
}

/* Copy an mm; false if its link cannot be followed. */
static bool copy_mm(const struct dump *d, uint32_t pa, struct mm_struct *mm)
{
	const struct mm_struct *p = kobj(d, pa, sizeof(*p));

	if (!p)
		return false;
	memcpy(mm, p, sizeof(*mm));
	return true;
}

static void free_space(struct space *s)
{
	free(s->vmas);
	s->vmas = NULL;
}

enum space_want {
	SPACE_VMAS,		/* the task, its mm and its VMAs: a broken list is an error */
	SPACE_TRY_VMAS,		/* the VMAs if they can be read (walk needs only the tables) */
};

/* The address space of pid: 0, or 1 with a message (no such task, links
 * that cannot be followed). A zombie comes back with has_mm false. */
static int get_space(struct dump *d, uint64_t pid, struct space *s, enum space_want want)
{
	struct timespec pause = { 0, 2 * 1000 * 1000 };
	char msg[256] = "";
	int tries;

	memset(s, 0, sizeof(*s));
	if (pid == 0)
		return fail(d, "pid 0 is the kernel: it has no user address space (walk 0 VA walks swapper_pg_dir)");
	if (!find_task(d, pid, &s->t))
		return fail(d, "no task with pid %llu (the ps view lists the tasks)",
			    (unsigned long long)pid);
	if (s->t.state == TASK_ZOMBIE || !s->t.mm)
		return 0;
	for (tries = 0; tries < 5; tries++) {
		long n, i;

		if (!copy_mm(d, s->t.mm, &s->mm))
			return fail(d, "pid %llu: mm at pa %#x lies outside lowmem", (unsigned long long)pid,
				    s->t.mm);
		s->has_mm = true;
		n = collect(d, "VMA list", &s->mm.mmap, sizeof(struct vm_area_struct),
			    offsetof(struct vm_area_struct, vm_next), USER_PAGES, (void **)&s->vmas,
			    msg, sizeof(msg));
		if (n < 0)
			break;
		for (i = 0; i < n; i++) {
			const struct vm_area_struct *vma = &s->vmas[i];

			if (((vma->vm_start | vma->vm_end) & ~PAGE_MASK) || vma->vm_start >= vma->vm_end ||
			    vma->vm_end > TASK_SIZE || (i > 0 && vma->vm_start < s->vmas[i - 1].vm_end)) {
				snprintf(msg, sizeof(msg), "VMA list is not sorted page ranges below TASK_SIZE at %08x-%08x",
					 vma->vm_start, vma->vm_end);
				break;
			}
		}
		if (i == n) {
			s->nr_vmas = n;
			s->has_vmas = true;
			return 0;
		}
		free_space(s);
		nanosleep(&pause, NULL);
		find_task(d, pid, &s->t);
		if (s->t.state == TASK_ZOMBIE || !s->t.mm) {
			s->has_mm = false;
			return 0;
		}
	}
	if (want == SPACE_TRY_VMAS)
		return 0;
	return fail(d, "pid %llu: %s", (unsigned long long)pid, msg);
}

/* The device, inode and name columns of /proc/PID/maps: a file's as its
 * address_space records them; otherwise 00:00 0 and fs/proc/task_mmu.c's
 * special names. A shared anonymous mapping gets the name Linux gives it,
 * though no inode stands behind it here. */
struct vma_desc {
	char dev[16];
	uint64_t ino;
	char name[FILE_PATH_LEN];
};

static void describe_vma(const struct dump *d, const struct mm_struct *mm,
			 const struct vm_area_struct *vma, struct vma_desc *out)
{
	struct address_space as;
	const char *name = "";

	snprintf(out->dev, sizeof(out->dev), "00:00");
	out->ino = 0;
	if (vma->vm_file && copy_file(d, vma->vm_file, &as)) {
		file_dev(&as, out->dev, sizeof(out->dev));
		out->ino = as.ino;
		file_path(&as, out->name, sizeof(out->name));
		return;
	}
	if (vma->vm_file) {
		snprintf(out->name, sizeof(out->name), "(file at pa %#x, no address_space)", vma->vm_file);
		return;
	}
	/* shmem_zero_setup's file, as Linux names a shared anonymous mapping */
	if (vma->vm_flags & VM_SHARED)
		name = "/dev/zero (deleted)";
	else if (mm->brk > mm->start_brk && vma->vm_start <= mm->start_brk && vma->vm_end > mm->start_brk)
		name = "[heap]";
	else if (vma->vm_start <= mm->start_stack && vma->vm_end >= mm->start_stack)
		name = "[stack]";
	snprintf(out->name, sizeof(out->name), "%s", name);
}

static void vma_perms(const struct vm_area_struct *vma, char out[5])
{
	out[0] = vma->vm_flags & VM_READ ? 'r' : '-';
	out[1] = vma->vm_flags & VM_WRITE ? 'w' : '-';
	out[2] = vma->vm_flags & VM_EXEC ? 'x' : '-';
	out[3] = vma->vm_flags & VM_MAYSHARE ? 's' : 'p';
	out[4] = '\0';
}

/* The offset column: the file offset, 0 for anonymous memory (Linux shows
 * 0 there although vm_pgoff holds vm_start >> 12). */
static uint64_t vma_offset(const struct vm_area_struct *vma)
{
	return vma->vm_file ? (uint64_t)vma->vm_pgoff << PAGE_SHIFT : 0;
}

/*
 * One /proc/PID/maps line, as show_map_vma() writes it for a 32-bit
 * kernel: the header ends in a space; a name, if any, starts after padding
 * to column 48 (seq_setwidth(25 + sizeof(void *) * 6 - 1)) and one more
 * space, so at column 49; an anonymous line keeps its trailing space.
 */
static void maps_line(const struct dump *d, const struct mm_struct *mm,
		      const struct vm_area_struct *vma)
{
	struct vma_desc desc;
	char perms[5];
	int n;

	describe_vma(d, mm, vma, &desc);
	vma_perms(vma, perms);
	n = printf("%08x-%08x %s %08llx %s %llu ", vma->vm_start, vma->vm_end, perms,
		   (unsigned long long)vma_offset(vma), desc.dev, (unsigned long long)desc.ino);
	if (desc.name[0])
		printf("%*s %s", n < 48 ? 48 - n : 0, "", desc.name);
	putchar('\n');
}

static void json_vma_head(const struct dump *d, struct json *j, const struct mm_struct *mm,
			  const struct vm_area_struct *vma)
{
	struct vma_desc desc;
	char perms[5];

	describe_vma(d, mm, vma, &desc);
	vma_perms(vma, perms);
	json_u64(j, "start", vma->vm_start);
	json_u64(j, "end", vma->vm_end);
	json_str(j, "perms", perms);
	json_u64(j, "offset", vma_offset(vma));
	json_str(j, "dev", desc.dev);
	json_u64(j, "inode", desc.ino);
	json_str(j, "name", desc.name);
	json_u64(j, "vm_flags", vma->vm_flags);
	if (vma->vm_file)
		json_u64(j, "file", vma->vm_file);
}

/* /proc/PID/maps. A zombie's is empty, as Linux's is. */
static int show_maps(struct dump *d)
{
	struct space s;
	long i;

	if (get_space(d, d->arg[0], &s, SPACE_VMAS))
		return 1;
	if (d->json) {
		json_obj(&d->js, NULL);
		json_i64(&d->js, "pid", s.t.pid);
		json_arr(&d->js, "vmas");
	}
	for (i = 0; i < s.nr_vmas; i++) {
		if (d->json) {
			json_obj(&d->js, NULL);
			json_vma_head(d, &d->js, &s.mm, &s.vmas[i]);
			json_end_obj(&d->js);
		} else {
			maps_line(d, &s.mm, &s.vmas[i]);
		}
	}
	if (d->json) {
		json_end_arr(&d->js);
		json_end_obj(&d->js);
	}
	free_space(&s);
	return 0;
}

/* What smaps adds up for a VMA, as fs/proc/task_mmu.c's mem_size_stats:
 * bytes, the pss fields in bytes << PSS_SHIFT. */
#define PSS_SHIFT	12
struct smaps_stats {
	uint64_t resident, pss, pss_dirty, shared_clean, shared_dirty, private_clean, private_dirty;
	uint64_t referenced, anonymous, swap, swap_pss, pss_locked;
};

/*
 * Each page of [start, end) through the mm's tables, as walk_page_range
 * visits it; a directory entry that is empty skips its whole span. fn is
 * called for every page whose walk ended in a PTE (present or swap).
 */
static void for_each_pte(const struct dump *d, uint64_t cr3, uint32_t start, uint32_t end,
			 void (*fn)(const struct dump *d, const struct pt_walk *w, void *ctx), void *ctx,
			 bool *bad)
{
	int mode = (int)d->bb->mode;
	uint64_t va = start;

	while (va < end) {
		struct pt_walk w;
		uint64_t next = va + PAGE_SIZE;

		pt_walk_view(&d->v, mode, cr3, (uint32_t)va, &w);
		if (w.result == PT_WALK_NONE && w.last == PT_PGD)
			next = (va | ((1ULL << pgdir_shift(mode)) - 1)) + 1;
		else if (w.result == PT_WALK_NONE && w.last == PT_PMD)
			next = (va | ((1ULL << pmd_shift(mode)) - 1)) + 1;
		else if (w.result == PT_WALK_BAD)
			*bad = true;
		else if (w.result == PT_WALK_MAPPED || w.result == PT_WALK_SWAP)
			fn(d, &w, ctx);
		va = next;
	}
}

/* A task's present user PTEs by what they map, as ps counts them. */
struct pte_census {
	uint64_t shared;		/* frames more than one PTE maps (mapcount > 1) */
	uint64_t private;		/* frames this PTE alone maps */
	uint64_t zero;			/* PTEs onto the zero page */
	uint32_t first_zero;		/* the va of the first of those */
	bool bad;			/* some table could not be read */
};

static void census_pte(const struct dump *d, const struct pt_walk *w, void *arg)
{
	struct pte_census *c = arg;

	if (w->result != PT_WALK_MAPPED || w->last != PT_PTE)
		return;
	if (is_zero_pfn(d, w->pfn)) {
		if (!c->zero++)
			c->first_zero = w->addr;
		return;
	}
	if (w->pfn >= d->v.nr_pages)
		return;
	if (READ_ONCE(d->v.mem_map[w->pfn]._mapcount) > 0)
		c->shared++;
	else
		c->private++;
}

/* Every present PTE of the user range under cr3, empty directories
 * skipped whole. */
static void task_census(const struct dump *d, uint64_t cr3, struct pte_census *c)
{
	memset(c, 0, sizeof(*c));
	for_each_pte(d, cr3, 0, (uint32_t)TASK_SIZE, census_pte, c, &c->bad);
}

static int task_pid_cmp(const void *a, const void *b)
{
	const struct task_struct *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* One kernel thread's row in ps (or member of "kthreads"), if it runs. */
static void kthread_row(struct dump *d, const char *comm, int32_t pid, uint32_t state,
			uint64_t runs)
{
	char bracketed[32];

	if (pid == 0)
		return;
	if (d->json) {
		json_obj(&d->js, NULL);
		json_str(&d->js, "comm", comm);
		json_i64(&d->js, "ppid", 0);
		json_str(&d->js, "stat", kswapd_stat(state));
		json_i64(&d->js, "host_pid", pid);
		json_u64(&d->js, "runs", runs);
		json_end_obj(&d->js);
		return;
	}
	snprintf(bracketed, sizeof(bracketed), "[%s]", comm);
	printf("%5s %5d %-4s %6d %5d %6d %6d %7d %6d %7d %5d %s\n", "-", 0, kswapd_stat(state), 0, 0, 0,
	       0, pid, 0, 0, 0, bracketed);
}

/* ps's last lines: kswapd and the flusher, kernel threads, shown as ps
 * shows one (the name in brackets, no memory of its own). Each has a host
 * process but no guest pid, so PID is "-"; vmrun started them, so PPID
 * 0; STAT S asleep, R at work. In JSON they are the "kthreads" array
 * beside "tasks", whose members all have a pid. Ends the "tasks" array. */
static void kthread_rows(struct dump *d)
{
	const struct filemap_state *fs = &d->kd->filemap;
	struct reclaim_state rs;

	memcpy(&rs, &d->kd->reclaim, sizeof(rs));
	if (d->json) {
		json_end_arr(&d->js);
		json_arr(&d->js, "kthreads");
	}
	kthread_row(d, "kswapd0", rs.kswapd_pid, rs.kswapd_state, rs.kswapd_runs);
	kthread_row(d, "pdflush", READ_ONCE(fs->flusher_pid), READ_ONCE(fs->flusher_state),
		    READ_ONCE(fs->flusher_runs));
	if (d->json)
		json_end_arr(&d->js);
}

/*
 * `ps -eo pid,ppid,stat,vsz,rss,maj_flt,min_flt,comm` with the host pid
 * and three counts from the page tables before the command: one line per
 * task slot in use, by pid, as ps -e orders them, so a parent comes
 * before the children it forked. VSZ and RSS in kB from the mm's
 * counters; SHARED and PRIVATE in kB from the PTEs: resident pages whose
 * frame other PTEs map too (after fork, until copy on write parts them)
 * and those only this PTE maps, so SHARED + PRIVATE = RSS; ZERO in kB of
 * pages that read through the zero page, which RSS does not count (as
 * Linux's does not). A zombie has none of these, and its command says
 * <defunct>, as ps shows one. kswapd and the flusher (pdflush), when they
 * run, come last.
 */
static int show_ps(struct dump *d)
{
	struct task_struct *tasks;
	unsigned i, n = 0;

	tasks = malloc(VM_MAX_TASKS * sizeof(*tasks));
	if (!tasks)
		return fail(d, "out of memory");
	for (i = 0; i < VM_MAX_TASKS; i++) {
		memcpy(&tasks[n], &d->kd->tasks.task[i], sizeof(tasks[n]));
		if (tasks[n].state != TASK_DEAD)
			n++;
	}
	qsort(tasks, n, sizeof(*tasks), task_pid_cmp);
	if (d->json) {
		json_obj(&d->js, NULL);
		json_arr(&d->js, "tasks");
	} else {
		printf("%5s %5s %-4s %6s %5s %6s %6s %7s %6s %7s %5s %s\n", "PID", "PPID", "STAT", "VSZ",
		       "RSS", "MAJFL", "MINFL", "HOSTPID", "SHARED", "PRIVATE", "ZERO", "COMMAND");
	}
	for (i = 0; i < n; i++) {
		const struct task_struct *t = &tasks[i];
		struct pte_census c = { 0 };
		struct mm_struct mm;
		uint64_t vsz = 0, rss = 0;
		char comm[4 * TASK_COMM_LEN + 1];
		const unsigned kb = PAGE_SHIFT - 10;

		if (t->state != TASK_ZOMBIE && t->mm && copy_mm(d, t->mm, &mm)) {
			vsz = mm.total_vm << kb;
			rss = (clamp0(mm.rss_stat[MM_ANONPAGES]) + clamp0(mm.rss_stat[MM_FILEPAGES]) +
			       clamp0(mm.rss_stat[MM_SHMEMPAGES])) << kb;
			task_census(d, mm.pgd, &c);
		}
		if (d->json) {
			json_obj(&d->js, NULL);
			json_i64(&d->js, "pid", t->pid);
			json_i64(&d->js, "ppid", t->ppid);
			json_str(&d->js, "stat", task_stat(t->state));
			json_str(&d->js, "state", t->state < ARRAY_SIZE(task_state_names) ?
				 task_state_names[t->state] : "?");
			json_u64(&d->js, "vsz", vsz);
			json_u64(&d->js, "rss", rss);
			json_u64(&d->js, "maj_flt", t->maj_flt);
			json_u64(&d->js, "min_flt", t->min_flt);
			json_i64(&d->js, "host_pid", t->host_pid);
			json_u64(&d->js, "shared", c.shared << kb);
			json_u64(&d->js, "private", c.private << kb);
			json_u64(&d->js, "zero", c.zero << kb);
			json_u64(&d->js, "forks", t->nr_forks);
			json_strn(&d->js, "comm", t->comm, sizeof(t->comm));
			if (t->state == TASK_ZOMBIE)
				json_i64(&d->js, "exit_code", t->exit_code);
			json_end_obj(&d->js);
			continue;
		}
		comm_of(t, comm, sizeof(comm));
		printf("%5d %5d %-4s %6llu %5llu %6llu %6llu %7d %6llu %7llu %5llu %s%s\n", t->pid,
		       t->ppid, task_stat(t->state), (unsigned long long)vsz, (unsigned long long)rss,
		       (unsigned long long)t->maj_flt, (unsigned long long)t->min_flt, t->host_pid,
		       (unsigned long long)(c.shared << kb), (unsigned long long)(c.private << kb),
		       (unsigned long long)(c.zero << kb), comm,
		       t->state == TASK_ZOMBIE ? " <defunct>" : "");
	}
	kthread_rows(d);
	if (d->json)
		json_end_obj(&d->js);
	free(tasks);
	return 0;
}

struct smaps_ctx {
	struct smaps_stats *st;
	uint32_t vm_flags;
};

/* The byte of swap_map, or the word of swap_cache, at kva in the vmalloc
 * area, through swapper_pg_dir; false if its page is not mapped. */
static bool vmalloc_read(const struct dump *d, uint32_t kva, void *out, size_t len)
{
	struct pt_walk w;
	const void *p;

	if (kva < d->bb->vmalloc_start || kva >= d->bb->vmalloc_end ||
	    (kva & ~PAGE_MASK) + len > PAGE_SIZE ||
	    pt_walk_view(&d->v, (int)d->bb->mode, d->bb->swapper_pg_dir, kva, &w) != PT_WALK_MAPPED)
		return false;
	p = vm_view_ptr(&d->v, w.pa, len);
	if (!p)
		return false;
	memcpy(out, p, len);
	return true;
}

/* How many PTEs share a swap slot, by its swap_map count (the swap cache
 * holds one more when it caches the slot); 1 when that cannot be read. */
static unsigned swap_pte_users(const struct dump *d, swp_entry_t e)
{
	struct swap_info_struct si;
	unsigned type = swp_type(e);
	uint32_t off = swp_offset(e), cached = 0;
	uint8_t count;
	unsigned n;

	if (type >= MAX_SWAPFILES)
		return 1;
	memcpy(&si, &d->kd->swap.areas[type], sizeof(si));
	if (!(si.flags & SWP_USED) || off == 0 || off >= si.max ||
	    !vmalloc_read(d, si.swap_map + off, &count, 1) || count == SWAP_MAP_BAD)
		return 1;
	if (si.swap_cache)
		vmalloc_read(d, si.swap_cache + off * 4, &cached, 4);
	n = count & SWAP_MAP_COUNT;
	if (cached && n)
		n--;
	return n ? n : 1;
}

/* smaps_account() for one 4 KiB page. */
static void smaps_pte(const struct dump *d, const struct pt_walk *w, void *arg)
{
	struct smaps_ctx *c = arg;
	struct smaps_stats *st = c->st;
	pteval_t e = w->level[w->last].entry;
	uint64_t pss = PAGE_SIZE << PSS_SHIFT;
	bool dirty, young, private;
	struct page p;
	int64_t mapcount;

	if (w->result == PT_WALK_SWAP) {
		/* swp_swapcount(): the slot's users that are PTEs, its
		 * swap_map count less the swap cache's one */
		unsigned users = swap_pte_users(d, pte_to_swp_entry((int)d->bb->mode, e));

		st->swap += PAGE_SIZE;
		st->swap_pss += users >= 2 ? pss / users : pss;
		return;
	}
	/* Linux's vm_normal_page() has no page for the zero page, so
	 * smaps counts it nowhere, not even in Rss */
	if (w->pfn >= d->v.nr_pages || is_zero_pfn(d, w->pfn))
		return;
	snap_page(d, (uint32_t)w->pfn, &p);
	mapcount = (int64_t)p._mapcount + 1;
	dirty = pte_dirty(e) || (p.flags & (1u << PG_dirty));
	young = pte_young(e) || (p.flags & (1u << PG_referenced));
	private = p._refcount == 1 || mapcount < 2;
	if (!private)
		pss /= (uint64_t)mapcount;
	st->resident += PAGE_SIZE;
	if (young)
		st->referenced += PAGE_SIZE;
	if (p.mapping & PAGE_MAPPING_ANON)
		st->anonymous += PAGE_SIZE;
	st->pss += pss;
	if (dirty) {
		st->pss_dirty += pss;
		*(private ? &st->private_dirty : &st->shared_dirty) += PAGE_SIZE;
	} else {
		*(private ? &st->private_clean : &st->shared_clean) += PAGE_SIZE;
	}
	if (c->vm_flags & VM_LOCKED)
		st->pss_locked += pss;
}

/* show_smap_vma_flags(): two letters per vm_flags bit, Linux's table;
 * a bit Linux has no name for prints "??", as it does. */
static const char *const vm_flag_mnemonics[32] = {
	"rd", "wr", "ex", "sh", "mr", "mw", "me", "ms",
	"gd", "um", "pf", "??", "uw", "lo", "io", "sr",
	"rr", "dc", "de", "lf", "ac", "nr", "ht", "sf",
	"ar", "wf", "dd", "sd", "mm", "hg", "nh", "mg",
};

/* /proc/PID/smaps field names, in __show_smap()'s order; every value is
 * in kB. LazyFree, the THP and hugetlb lines are 0: the machine has no
 * MADV_FREE, no huge pages. */
static const char *const smaps_names[] = {
	"Size", "KernelPageSize", "MMUPageSize", "Rss", "Pss", "Pss_Dirty", "Shared_Clean",
	"Shared_Dirty", "Private_Clean", "Private_Dirty", "Referenced", "Anonymous", "LazyFree",
	"AnonHugePages", "ShmemPmdMapped", "FilePmdMapped", "Shared_Hugetlb", "Private_Hugetlb",
	"Swap", "SwapPss", "Locked",
};

/* /proc/PID/smaps: each maps line and its counts, from the PTEs. */
static int show_smaps(struct dump *d)
{
	struct json *j = &d->js;
	struct space s;
	bool bad = false;
	unsigned bit, k;
	long i;

	if (get_space(d, d->arg[0], &s, SPACE_VMAS))
		return 1;
	if (d->json) {
		json_obj(j, NULL);
		json_i64(j, "pid", s.t.pid);
		json_arr(j, "vmas");
	}
	for (i = 0; i < s.nr_vmas; i++) {
		const struct vm_area_struct *vma = &s.vmas[i];
		struct smaps_stats st = { 0 };
		struct smaps_ctx c = { .st = &st, .vm_flags = vma->vm_flags };

		for_each_pte(d, s.t.cr3, vma->vm_start, vma->vm_end, smaps_pte, &c, &bad);

		const uint64_t bytes[ARRAY_SIZE(smaps_names)] = {
			(uint64_t)vma->vm_end - vma->vm_start, PAGE_SIZE, PAGE_SIZE,
			st.resident, st.pss >> PSS_SHIFT, st.pss_dirty >> PSS_SHIFT,
			st.shared_clean, st.shared_dirty, st.private_clean, st.private_dirty,
			st.referenced, st.anonymous, 0, 0, 0, 0, 0, 0,
			st.swap, st.swap_pss >> PSS_SHIFT, st.pss_locked >> PSS_SHIFT,
		};

		if (d->json) {
			json_obj(j, NULL);
			json_vma_head(d, j, &s.mm, vma);
			for (k = 0; k < ARRAY_SIZE(smaps_names); k++)
				json_u64(j, smaps_names[k], bytes[k] >> 10);
			json_u64(j, "THPeligible", 0);
			json_row(j, "VmFlags");
			for (bit = 0; bit < 32; bit++)
				if (vma->vm_flags & (1u << bit))
					json_str(j, NULL, vm_flag_mnemonics[bit]);
			json_end_arr(j);
			json_end_obj(j);
			continue;
		}
		maps_line(d, &s.mm, vma);
		for (k = 0; k < ARRAY_SIZE(smaps_names); k++) {
			char name[24];

			/* SEQ_PUT_DEC: the name padded to 16, the number to
			 * 8; "Private_Hugetlb: " is 17 wide and Linux gives
			 * its number 7 */
			snprintf(name, sizeof(name), "%s:", smaps_names[k]);
			if (strlen(name) >= 16)
				printf("%s %7llu kB\n", name, (unsigned long long)(bytes[k] >> 10));
			else
				printf("%-16s%8llu kB\n", name, (unsigned long long)(bytes[k] >> 10));
		}
		printf("THPeligible:    %8d\n", 0);
		fputs("VmFlags: ", stdout);
		for (bit = 0; bit < 32; bit++)
			if (vma->vm_flags & (1u << bit))
				printf("%s ", vm_flag_mnemonics[bit]);
		putchar('\n');
	}
	if (d->json) {
		json_end_arr(j);
		json_end_obj(j);
	}
	if (bad)
		fprintf(stderr, "vmdump: %s: pid %d: some page tables could not be read (vmdump check says why)\n",
			d->path, s.t.pid);
	free_space(&s);
	return 0;
}

/* The VMA of s holding addr, or NULL. */
static const struct vm_area_struct *space_vma(const struct space *s, uint32_t addr)
{
	long lo = 0, hi = s->nr_vmas;

	while (lo < hi) {
		long mid = lo + (hi - lo) / 2;

		if (addr < s->vmas[mid].vm_start)
			hi = mid;
		else if (addr >= s->vmas[mid].vm_end)
			lo = mid + 1;
		else
			return &s->vmas[mid];
	}
	return NULL;
}

/*
 * The /proc/PID/pagemap entry of a walk, computed as the kernel's
 * mm_pagemap_entry() does, so vmdump and vm_translate() agree: bit 63
 * present with the pfn in 0-54, 55 soft-dirty (the D bit: the machine
 * tracks no other), 56 exclusive (one PTE maps the frame), 61 file or
 * shared; a swap PTE gives bit 62 and the entry's bits above P, swap type
 * in 0-4 and offset in 5-54, as Linux lays them out.
 */
static uint64_t pagemap_entry(const struct dump *d, const struct pt_walk *w,
			      const struct vm_area_struct *vma)
{
	uint64_t entry = 0;

	if (w->result == PT_WALK_MAPPED && w->last == PT_PTE) {
		pteval_t e = w->level[PT_PTE].entry;

		entry = PM_PRESENT | (w->pfn & PM_PFRAME_MASK);
		if (pte_dirty(e))
			entry |= PM_SOFT_DIRTY;
		if (w->pfn < d->v.nr_pages && READ_ONCE(d->v.mem_map[w->pfn]._mapcount) == 0)
			entry |= PM_MMAP_EXCLUSIVE;
		/* Linux's !PageAnon: a page-cache page, or shared memory; a
		 * private file mapping's anonymous copy is not one */
		if ((vma && (vma->vm_flags & VM_SHARED)) ||
		    (w->pfn < d->v.nr_pages && page_is_file_mapping(READ_ONCE(d->v.mem_map[w->pfn].mapping))))
			entry |= PM_FILE;
	} else if (w->result == PT_WALK_SWAP) {
		/* as pte_to_pagemap_entry: type in bits 0-4, offset above */
		swp_entry_t se = pte_to_swp_entry((int)d->bb->mode, w->level[PT_PTE].entry);

		entry = PM_SWAP | (((uint64_t)swp_offset(se) << 5 | swp_type(se)) & PM_PFRAME_MASK);
	}
	return entry;
}

/* pagemap PID VA [N]: one line per page,
 *   VA ENTRY STATE [pfn=0x..|type=T offset=0x..] [soft-dirty] [exclusive] [file]
 * STATE present, swapped, none (in a VMA, never faulted in or dropped),
 * unmapped (no VMA), or bad (the tables cannot be read there). */
static int show_pagemap(struct dump *d)
{
	uint32_t va = (uint32_t)d->arg[1] & (uint32_t)PAGE_MASK;
	uint64_t n = d->nargs > 2 ? d->arg[2] : 1, i;
	struct json *j = &d->js;
	struct space s;

	if (get_space(d, d->arg[0], &s, SPACE_VMAS))
		return 1;
	if (!s.has_mm)
		return fail(d, "pid %d has exited: no address space", s.t.pid);
	if (d->json) {
		json_obj(j, NULL);
		json_i64(j, "pid", s.t.pid);
		json_arr(j, "pages");
	}
	for (i = 0; i < n; i++, va += PAGE_SIZE) {
		const struct vm_area_struct *vma = space_vma(&s, va);
		uint64_t entry, frame;
		const char *state;
		struct pt_walk w;

		pt_walk_view(&d->v, (int)d->bb->mode, s.t.cr3, va, &w);
		entry = pagemap_entry(d, &w, vma);
		frame = entry & PM_PFRAME_MASK;
		if (entry & PM_PRESENT)
			state = "present";
		else if (entry & PM_SWAP)
			state = "swapped";
		else if (w.result == PT_WALK_BAD)
			state = "bad";
		else
			state = vma ? "none" : "unmapped";
		if (d->json) {
			json_obj(j, NULL);
			json_u64(j, "va", va);
			json_u64(j, "entry", entry);
			json_str(j, "state", state);
			if (entry & PM_PRESENT)
				json_u64(j, "pfn", frame);
			if (entry & PM_SWAP) {
				json_u64(j, "swap_type", frame & 31);
				json_u64(j, "swap_offset", frame >> 5);
			}
			json_bool(j, "soft_dirty", entry & PM_SOFT_DIRTY);
			json_bool(j, "exclusive", entry & PM_MMAP_EXCLUSIVE);
			json_bool(j, "file", entry & PM_FILE);
			json_end_obj(j);
			continue;
		}
		printf("%08x %016llx %s", va, (unsigned long long)entry, state);
		if (entry & PM_PRESENT)
			printf(" pfn=%#llx", (unsigned long long)frame);
		if (entry & PM_SWAP)
			printf(" type=%llu offset=%#llx", (unsigned long long)(frame & 31),
			       (unsigned long long)(frame >> 5));
		if (entry & PM_SOFT_DIRTY)
			fputs(" soft-dirty", stdout);
		if (entry & PM_MMAP_EXCLUSIVE)
			fputs(" exclusive", stdout);
		if (entry & PM_FILE)
			fputs(" file", stdout);
		putchar('\n');
	}
	if (d->json) {
		json_end_arr(j);
		json_end_obj(j);
	}
	free_space(&s);
	return 0;
}

/* An entry's x86 bits by name. Bit 7 is PS in a directory entry and PAT
 * in a PTE; NX exists in pae only. */
static void entry_flags(int mode, int level, pteval_t e, char *out, size_t len)
{
	static const char *const names[] = { "P", "RW", "US", "PWT", "PCD", "A", "D", "PS", "G" };
	size_t n = 0;
	unsigned bit;

	out[0] = '\0';
	for (bit = 0; bit < ARRAY_SIZE(names); bit++)
		if (e & (1ULL << bit))
			n += (size_t)snprintf(out + n, len - n, "%s%s", n ? " " : "",
					      bit == _PAGE_BIT_PSE && level == PT_PTE ? "PAT" : names[bit]);
	if (mode == VM_MODE_PAE && (e & _PAGE_NX) && n < len)
		snprintf(out + n, len - n, "%sNX", n ? " " : "");
}

/* The bits of a linear address split as the MMU splits them, the seed's
 * way: 0000100000 0001001001 010110110000 for 0x080495b0 in i386. */
static void split_bits(int mode, uint32_t addr, char *out)
{
	static const int i386[] = { 10, 10, 12 }, pae[] = { 2, 9, 9, 12 };
	const int *w = mode == VM_MODE_PAE ? pae : i386;
	int parts = mode == VM_MODE_PAE ? 4 : 3, p, b, bit = 31;

	for (p = 0; p < parts; p++) {
		for (b = 0; b < w[p]; b++, bit--)
			*out++ = addr & (1u << bit) ? '1' : '0';
		*out++ = p + 1 < parts ? ' ' : '\0';
	}
}

static const char *const level_names[PT_MAX_LEVELS] = { "PGD", "PMD", "PTE" };

/* What a level's entry leads to, for the walk's "->" column. */
static void walk_next(const struct dump *d, const struct pt_walk *w, int lvl, char *out, size_t len)
{
	int mode = (int)w->mode;
	pteval_t e = w->level[lvl].entry;
	int next = lvl + 1;

	if (mode == VM_MODE_I386 && next == PT_PMD)
		next = PT_PTE;		/* the folded PMD is this same entry */
	if (e == 0) {
		snprintf(out, len, "none");
	} else if (lvl < w->last && !(mode == VM_MODE_I386 && lvl == PT_PGD && w->last == PT_PMD)) {
		snprintf(out, len, "%s table 0x%08llx", next == PT_PMD ? "PMD" : "page",
			 (unsigned long long)w->level[next].table);
	} else if (w->result == PT_WALK_MAPPED && lvl != PT_PTE) {
		snprintf(out, len, "%s page at 0x%08llx, frame %#llx",
			 pmd_shift(mode) == PGDIR_SHIFT_I386 ? "4 MiB" : "2 MiB",
			 (unsigned long long)(pmd_table_pa(e) & ~((1ULL << pmd_shift(mode)) - 1)),
			 (unsigned long long)w->pfn);
	} else if (w->result == PT_WALK_MAPPED) {
		snprintf(out, len, "frame %#llx%s", (unsigned long long)w->pfn,
			 is_zero_pfn(d, w->pfn) ? " (the zero page)" : "");
	} else if (w->result == PT_WALK_SWAP) {
		swp_entry_t se = pte_to_swp_entry(mode, e);

		snprintf(out, len, "swap entry type %u offset %#x", swp_type(se), swp_offset(se));
	} else if (w->result == PT_WALK_BAD) {
		snprintf(out, len, "? (%s)", w->why ? w->why : "bad entry");
	} else {
		snprintf(out, len, "none");
	}
}

/*
 * walk PID VA: the translation the MMU makes, as the seeds work it for
 * 0x080495b0: the logical address through the flat segment to the linear
 * address, then each level's table, index, entry and flags, to the frame.
 * PID 0 walks swapper_pg_dir, the kernel's own table.
 */
static int show_walk(struct dump *d)
{
	int mode = (int)d->bb->mode, lvl, rc = 0;
	uint32_t addr = (uint32_t)d->arg[1];
	const struct vm_area_struct *vma = NULL;
	struct json *j = &d->js;
	char comm[4 * TASK_COMM_LEN + 1], bits[40], flags[64], next[128];
	struct space s = { 0 };
	uint64_t cr3;
	struct pt_walk w;
	bool kernel = d->arg[0] == 0;
	unsigned esz = pt_entry_size(mode);

	if (kernel) {
		cr3 = d->bb->swapper_pg_dir;
		snprintf(comm, sizeof(comm), "swapper_pg_dir");
	} else {
		if (get_space(d, d->arg[0], &s, SPACE_TRY_VMAS))
			return 1;
		if (!s.has_mm)
			return fail(d, "pid %d has exited: no page tables to walk", s.t.pid);
		cr3 = s.t.cr3;
		comm_of(&s.t, comm, sizeof(comm));
		vma = space_vma(&s, addr);
	}
	pt_walk_view(&d->v, mode, cr3, addr, &w);
	split_bits(mode, addr, bits);

	if (d->json) {
		json_obj(j, NULL);
		json_u64(j, "pid", d->arg[0]);
		json_str(j, "comm", comm);
		json_str(j, "mode", mode == VM_MODE_PAE ? "pae" : "i386");
		json_u64(j, "cr3", cr3);
		json_u64(j, "logical", addr);
		json_str(j, "segment", kernel ? "__KERNEL_DS" : "__USER_DS");
		json_u64(j, "segment_base", 0);
		json_u64(j, "linear", addr);
		json_u64(j, "offset", addr & (PAGE_SIZE - 1));
		json_arr(j, "levels");
		for (lvl = 0; lvl <= w.last && lvl < PT_MAX_LEVELS; lvl++) {
			const struct pt_walk_level *l = &w.level[lvl];
			unsigned bit;

			json_obj(j, NULL);
			json_str(j, "level", level_names[lvl]);
			json_bool(j, "folded", l->folded);
			json_u64(j, "table", l->table);
			json_u64(j, "index", l->index);
			json_u64(j, "entry_pa", l->entry_pa);
			json_u64(j, "entry", l->entry);
			json_row(j, "flags");
			/* a swap entry's bits above P are its type and offset */
			for (bit = 0; bit < 9 && !(lvl == w.last && w.result == PT_WALK_SWAP); bit++)
				if (l->entry & (1ULL << bit)) {
					static const char *const names[] = { "P", "RW", "US", "PWT", "PCD",
									     "A", "D", "PS", "G" };

					json_str(j, NULL, bit == _PAGE_BIT_PSE && lvl == PT_PTE ? "PAT" : names[bit]);
				}
			if (mode == VM_MODE_PAE && (l->entry & _PAGE_NX) &&
			    !(lvl == w.last && w.result == PT_WALK_SWAP))
				json_str(j, NULL, "NX");
			json_end_arr(j);
			walk_next(d, &w, lvl, next, sizeof(next));
			json_str(j, "next", next);
			if (lvl == w.last && w.result == PT_WALK_SWAP) {
				swp_entry_t se = pte_to_swp_entry(mode, l->entry);

				json_u64(j, "swap_type", swp_type(se));
				json_u64(j, "swap_offset", swp_offset(se));
			}
			json_end_obj(j);
		}
		json_end_arr(j);
		json_str(j, "result", pt_walk_result_name(w.result));
		if (w.result == PT_WALK_MAPPED) {
			json_u64(j, "pfn", w.pfn);
			json_u64(j, "pa", w.pa);
		}
		if (w.result == PT_WALK_BAD && w.why)
			json_str(j, "why", w.why);
		if (vma) {
			char perms[5];

			vma_perms(vma, perms);
			json_obj(j, "vma");
			json_u64(j, "start", vma->vm_start);
			json_u64(j, "end", vma->vm_end);
			json_str(j, "perms", perms);
			json_end_obj(j);
		}
		json_end_obj(j);
		free_space(&s);
		return 0;
	}

	if (kernel)
		printf("walk pid 0 (%s): %s paging, cr3 0x%08llx\n", comm,
		       mode == VM_MODE_PAE ? "pae" : "i386", (unsigned long long)cr3);
	else
		printf("walk pid %d (%s): %s paging, cr3 0x%08llx\n", s.t.pid, comm,
		       mode == VM_MODE_PAE ? "pae" : "i386", (unsigned long long)cr3);
	/* Linux's flat segments: every descriptor has base 0 and a 4 GiB
	 * limit, so the logical address is the linear address. */
	printf("logical  0x%08x  ds = %s: GDT entry %d, base 0x00000000, limit 0xffffffff\n", addr,
	       kernel ? "__KERNEL_DS 0x18" : "__USER_DS 0x2b", kernel ? 3 : 5);
	printf("linear   0x%08x = 0x00000000 + 0x%08x = %s\n", addr, addr, bits);
	if (mode == VM_MODE_PAE)
		printf("         PGD %u | PMD %u | PTE %u | offset %#x\n", pgd_index(mode, addr),
		       pmd_index(mode, addr), pte_index(mode, addr), addr & (uint32_t)(PAGE_SIZE - 1));
	else
		printf("         PGD %u | PTE %u | offset %#x\n", pgd_index(mode, addr),
		       pte_index(mode, addr), addr & (uint32_t)(PAGE_SIZE - 1));
	for (lvl = 0; lvl <= w.last && lvl < PT_MAX_LEVELS; lvl++) {
		const struct pt_walk_level *l = &w.level[lvl];

		if (l->folded) {
			printf("PMD      folded into the PGD entry (i386: PTRS_PER_PMD 1)\n");
			continue;
		}
		/* a swap entry's bits above P are its type and offset */
		if (lvl == w.last && w.result == PT_WALK_SWAP)
			flags[0] = '\0';
		else
			entry_flags(mode, lvl, l->entry, flags, sizeof(flags));
		walk_next(d, &w, lvl, next, sizeof(next));
		printf("%s      table 0x%08llx [%3u] entry 0x%08llx = 0x%0*llx%s%s -> %s\n",
		       level_names[lvl], (unsigned long long)l->table, l->index,
		       (unsigned long long)l->entry_pa, (int)esz * 2, (unsigned long long)l->entry,
		       *flags ? " " : "", flags, next);
	}
	switch (w.result) {
	case PT_WALK_MAPPED:
		printf("physical 0x%08llx (frame %#llx + offset %#x)\n", (unsigned long long)w.pa,
		       (unsigned long long)w.pfn, addr & (uint32_t)(PAGE_SIZE - 1));
		break;
	case PT_WALK_SWAP:
		printf("physical none: swap entry, the page is out of RAM\n");
		break;
	case PT_WALK_NONE:
		if (kernel || addr >= TASK_SIZE || !s.has_vmas)
			printf("physical none: not present\n");
		else if (vma)
			printf("physical none: not present (VMA %08x-%08x: the first access faults it in)\n",
			       vma->vm_start, vma->vm_end);
		else
			printf("physical none: not present, and no VMA (an access is SIGSEGV)\n");
		break;
	default:
		rc = fail(d, "the walk stopped: %s", w.why ? w.why : "bad entry");
		break;
	}
	free_space(&s);
	return rc;
}

/* ---- who owns a user frame ---------------------------------------------- */

/*
 * The reverse map, read as rmap.c walks it: an anonymous frame's mapping
 * names its anon_vma, whose list holds every VMA (of any mm, after fork)
 * that may map it; the PTE that may is at the frame's own va (index <<
 * 12) in that VMA's mm. Only a walk of that PTE says whether it still
 * does: after a copy on write the list still holds the VMA whose mm now
 * maps a copy.
 */
struct rmap_vma {
	uint32_t pa;			/* the VMA */
	uint32_t va;			/* the frame's va */
	struct vm_area_struct vma;	/* its copy */
	struct mm_struct mm;		/* its mm's copy, if has_mm */
	bool has_mm;
	bool maps;			/* the mm's PTE at va maps the frame */
	bool writable;			/* and has RW */
};

/*
 * Call fn for each VMA on the list of the anon_vma at av_pa, for the frame
 * pfn at va, until fn returns nonzero. The VMAs walked, or -1 with a
 * reason in msg when the list cannot be followed (then fn has seen the
 * VMAs before the break; vma_list_step says why). *av gets the anon_vma's
 * copy.
 */
static long rmap_walk(const struct dump *d, uint32_t av_pa, uint32_t pfn, uint32_t va,
		      int (*fn)(const struct dump *d, const struct rmap_vma *rv, void *ctx), void *ctx,
		      struct anon_vma *av, char *msg, size_t len)
{
	const struct anon_vma *p = kobj(d, av_pa, sizeof(*p));
	struct vma_list_walk lw;
	uint32_t pa;

	memset(av, 0, sizeof(*av));
	if (!p || (av_pa & 3)) {
		snprintf(msg, len, "anon_vma at pa %#x lies outside lowmem or is misaligned", av_pa);
		return -1;
	}
	memcpy(av, p, sizeof(*av));
	vma_list_start(d, &lw);
	for (pa = av->head; pa; lw.n++) {
		struct rmap_vma rv = { .pa = pa, .va = va };
		struct pt_walk w;

		if (!vma_list_step(d, &lw, pa, "the list", &rv.vma, msg, len))
			return -1;
		rv.has_mm = copy_mm(d, rv.vma.vm_mm, &rv.mm);
		if (rv.has_mm && va >= rv.vma.vm_start && va < rv.vma.vm_end &&
		    pt_walk_view(&d->v, (int)d->bb->mode, rv.mm.pgd, va, &w) == PT_WALK_MAPPED &&
		    w.last == PT_PTE && w.pfn == pfn) {
			rv.maps = true;
			rv.writable = pte_write(w.level[PT_PTE].entry);
		}
		if (fn && fn(d, &rv, ctx))
			return (long)lw.n + 1;
		pa = rv.vma.anon_vma_next;
	}
	return (long)lw.n;
}

/* Copy into t the live task whose mm is at mm_pa (found by the mm's owner
 * pid, then checked); false if there is none. */
static bool task_of_mm_pa(const struct dump *d, const struct mm_struct *mm, uint32_t mm_pa,
			  struct task_struct *t)
{
	return find_task(d, mm->owner, t) && t->mm == mm_pa;
}

struct mappers_ctx {
	struct dump *d;			/* where to print */
	unsigned listed, mapped;
};

/* rmap_walk's fn for the page view: print the VMA's mapping if its PTE
 * maps the frame (through c->d: the walk hands fn a read-only dump). */
static int print_mapper(const struct dump *unused, const struct rmap_vma *rv, void *arg)
{
	struct mappers_ctx *c = arg;
	struct dump *d = c->d;
	struct json *j = &d->js;
	struct task_struct t;
	char comm[4 * TASK_COMM_LEN + 1];
	bool known;

	(void)unused;
	c->listed++;
	if (!rv->maps)
		return 0;
	c->mapped++;
	known = task_of_mm_pa(d, &rv->mm, rv->vma.vm_mm, &t);
	if (d->json) {
		json_obj(j, NULL);
		json_i64(j, "pid", known ? t.pid : -1);
		if (known)
			json_strn(j, "comm", t.comm, sizeof(t.comm));
		json_u64(j, "mm", rv->vma.vm_mm);
		json_u64(j, "vma", rv->pa);
		json_u64(j, "va", rv->va);
		json_bool(j, "writable", rv->writable);
		json_end_obj(j);
		return 0;
	}
	if (known) {
		comm_of(&t, comm, sizeof(comm));
		printf("mapped by pid %d (%s)", t.pid, comm);
	} else {
		printf("mapped by mm %08x (no live task)", rv->vma.vm_mm);
	}
	printf(" at 0x%08x (%s)\n", rv->va, rv->writable ? "rw" : "ro");
	return 0;
}

/* An anonymous frame's mappers, through its anon_vma: one "mapped by"
 * line per PTE that maps it, then what the list holds. */
static void page_mappers(struct dump *d, uint32_t pfn, const struct page *p)
{
	uint32_t av_pa = p->mapping & ~PAGE_MAPPING_ANON, va = p->index << PAGE_SHIFT;
	struct mappers_ctx c = { .d = d };
	struct anon_vma av;
	char msg[160] = "";
	long n;

	if (d->json) {
		json_u64(&d->js, "anon_vma", av_pa);
		json_u64(&d->js, "va", va);
		json_arr(&d->js, "mapped_by");
	}
	n = rmap_walk(d, av_pa, pfn, va, print_mapper, &c, &av, msg, sizeof(msg));
	if (d->json) {
		json_end_arr(&d->js);
		json_u64(&d->js, "anon_vma_listed", c.listed);
		json_u64(&d->js, "anon_vma_nr_vmas", av.nr_vmas);
		if (n < 0)
			json_str(&d->js, "rmap_error", msg);
		return;
	}
	if (!c.mapped)
		printf("mapped by no PTE\n");
	printf("anon_vma %08x: %u VMA%s on its list (nr_vmas %u), %u PTE%s map%s this frame\n", av_pa,
	       c.listed, c.listed == 1 ? "" : "s", av.nr_vmas, c.mapped, c.mapped == 1 ? "" : "s",
	       c.mapped == 1 ? "s" : "");
	if (n < 0)
		printf("anon_vma %08x: %s\n", av_pa, msg);
}

/* i_mmap_walk's fn for the page view: the PTE that may map the page in
 * this VMA is at vm_start + (index - vm_pgoff) pages, if the VMA covers
 * that page of the file; print it if it maps this frame. */
struct file_mappers_ctx {
	struct mappers_ctx m;
	uint32_t pfn, index;
};

static int print_file_mapper(const struct dump *d, uint32_t pa, const struct vm_area_struct *vma,
			     void *arg)
{
	struct file_mappers_ctx *c = arg;
	uint64_t pages = (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
	struct rmap_vma rv = { .pa = pa, .vma = *vma };
	struct pt_walk w;

	if (c->index < vma->vm_pgoff || c->index - vma->vm_pgoff >= pages) {
		c->m.listed++;	/* on the list, but another part of the file */
		return 0;
	}
	rv.va = vma->vm_start + ((c->index - vma->vm_pgoff) << PAGE_SHIFT);
	rv.has_mm = copy_mm(d, vma->vm_mm, &rv.mm);
	if (rv.has_mm && pt_walk_view(&d->v, (int)d->bb->mode, rv.mm.pgd, rv.va, &w) == PT_WALK_MAPPED &&
	    w.last == PT_PTE && w.pfn == c->pfn) {
		rv.maps = true;
		rv.writable = pte_write(w.level[PT_PTE].entry);
	}
	return print_mapper(d, &rv, &c->m);
}

/* A page-cache frame's mappers, through its file's i_mmap list: one
 * "mapped by" line per PTE that maps it, then what the list holds and
 * whether the file's tree holds this frame at the page's index. */
static void file_page_mappers(struct dump *d, uint32_t pfn, const struct page *p)
{
	struct file_mappers_ctx c = { .m = { .d = d }, .pfn = pfn, .index = p->index };
	struct address_space as;
	char msg[160] = "", path[FILE_PATH_LEN];
	uint32_t held = 0;
	long n = -1;

	memset(&as, 0, sizeof(as));
	if (copy_file(d, p->mapping, &as)) {
		held = file_lookup(d, &as, p->index);
		file_path(&as, path, sizeof(path));
	} else {
		snprintf(path, sizeof(path), "?");
	}
	if (d->json) {
		json_u64(&d->js, "file", p->mapping);
		json_str(&d->js, "path", path);
		json_u64(&d->js, "inode", as.ino);
		json_arr(&d->js, "mapped_by");
	}
	n = i_mmap_walk(d, &as, print_file_mapper, &c, msg, sizeof(msg));
	if (d->json) {
		json_end_arr(&d->js);
		json_u64(&d->js, "i_mmap_listed", c.m.listed);
		json_u64(&d->js, "i_mmap_count", as.i_mmap_count);
		json_bool(&d->js, "in_tree", held == pfn);
		if (n < 0)
			json_str(&d->js, "rmap_error", msg);
		return;
	}
	if (!c.m.mapped)
		printf("mapped by no PTE\n");
	printf("i_mmap: %u VMA%s on its list (i_mmap_count %u), %u PTE%s map%s this frame\n", c.m.listed,
	       c.m.listed == 1 ? "" : "s", as.i_mmap_count, c.m.mapped, c.m.mapped == 1 ? "" : "s",
	       c.m.mapped == 1 ? "s" : "");
	if (n < 0)
		printf("i_mmap: %s\n", msg);
	if (held == pfn)
		printf("pagecache: the tree of %s holds this page at index %u\n", path, p->index);
	else
		printf("pagecache: but the tree of %s holds %s%#x at index %u\n", path, held ? "pfn " : "",
		       held, p->index);
}

/* The zero page's mappers: its refcount and mapcount never count them,
 * so every live task's tables are walked (empty directories skipped). */
static void zero_page_mappers(struct dump *d)
{
	uint64_t total = 0;
	unsigned i, tasks = 0;

	if (d->json) {
		json_bool(&d->js, "zero_page", true);
		json_arr(&d->js, "mapped_by");
	}
	for (i = 0; i < VM_MAX_TASKS; i++) {
		struct task_struct t;
		struct mm_struct mm;
		struct pte_census c;
		char comm[4 * TASK_COMM_LEN + 1];

		memcpy(&t, &d->kd->tasks.task[i], sizeof(t));
		if (t.state == TASK_DEAD || t.state == TASK_ZOMBIE || !t.mm || !copy_mm(d, t.mm, &mm))
			continue;
		task_census(d, mm.pgd, &c);
		if (!c.zero)
			continue;
		total += c.zero;
		tasks++;
		if (d->json) {
			json_obj(&d->js, NULL);
			json_i64(&d->js, "pid", t.pid);
			json_strn(&d->js, "comm", t.comm, sizeof(t.comm));
			json_u64(&d->js, "ptes", c.zero);
			json_u64(&d->js, "first_va", c.first_zero);
			json_end_obj(&d->js);
			continue;
		}
		comm_of(&t, comm, sizeof(comm));
		printf("mapped by pid %d (%s): %llu PTE%s, the first at 0x%08x (ro)\n", t.pid, comm,
		       (unsigned long long)c.zero, c.zero == 1 ? "" : "s", c.first_zero);
	}
	if (d->json) {
		json_end_arr(&d->js);
		json_u64(&d->js, "zero_ptes", total);
		return;
	}
	printf("zero page: %llu read-only PTE%s in %u task%s; its refcount and mapcount never count them\n",
	       (unsigned long long)total, total == 1 ? "" : "s", tasks, tasks == 1 ? "" : "s");
}

/* A user page table's place: which table of its mm (found by walking the
 * mm at the first va the frame records) and the range it translates. */
static void pgtable_role(struct dump *d, uint32_t pfn, const struct page *p)
{
	int mode = (int)d->bb->mode;
	uint32_t va = p->index << PAGE_SHIFT;
	const char *role = "page table not linked from its mm's directory";
	uint64_t start = va, span = 0;
	struct mm_struct mm;
	struct pt_walk w;
	unsigned i, n;

	if (copy_mm(d, p->mapping, &mm)) {
		pt_walk_view(&d->v, mode, mm.pgd, va, &w);
		if (w.level[PT_PGD].valid && w.level[PT_PGD].table >> PAGE_SHIFT == pfn &&
		    mode == VM_MODE_I386) {
			role = "page directory";
			start = 0;
			span = TASK_SIZE;
		} else if (w.level[PT_PMD].valid && !w.level[PT_PMD].folded &&
			   w.level[PT_PMD].table >> PAGE_SHIFT == pfn) {
			role = "PMD table";
			span = 1ULL << pgdir_shift(mode);
		} else if (w.level[PT_PTE].valid && w.level[PT_PTE].table >> PAGE_SHIFT == pfn) {
			role = "page table";
			span = 1ULL << pmd_shift(mode);
		}
		if (span)
			start &= ~(span - 1);
	} else {
		role = "page table of an mm outside lowmem";
	}
	if (d->json) {
		json_str(&d->js, "table", role);
		json_u64(&d->js, "mm", p->mapping);
		if (span) {
			json_u64(&d->js, "va_start", start);
			json_u64(&d->js, "va_end", start + span);
		}
		json_arr(&d->js, "pids");
	} else {
		printf("%s of mm %08x", role, p->mapping);
		if (span)
			printf(" for %08llx-%08llx", (unsigned long long)start,
			       (unsigned long long)(start + span));
		printf(", used by");
	}
	for (i = 0, n = 0; i < VM_MAX_TASKS; i++) {
		struct task_struct t;
		char comm[4 * TASK_COMM_LEN + 1];

		memcpy(&t, &d->kd->tasks.task[i], sizeof(t));
		if (t.state == TASK_DEAD || !t.mm || t.mm != p->mapping)
			continue;
		n++;
		if (d->json) {
			json_i64(&d->js, NULL, t.pid);
		} else {
			comm_of(&t, comm, sizeof(comm));
			printf(" pid %d (%s)", t.pid, comm);
		}
	}
	if (d->json)
		json_end_arr(&d->js);
	else
		puts(n ? "" : " no task");
}

/* ---- what a frame is ---------------------------------------------------- */

/*
 * Who owns what, beyond what a struct page records: the live tasks (an
 * anonymous frame or a page table names only its mm) and the frames behind
 * vmalloc areas (alloc_page gives them nothing to tell them from any other
 * kernel allocation; the area's pfn array is the only record). Copied once,
 * then looked up per frame.
 */
struct vframe {
	uint32_t pfn;			/* a frame behind a VM_ALLOC area */
	uint32_t area;			/* index in owners.areas */
	uint32_t index;			/* its page in the area: va = va_start + index pages */
};

struct owners {
	struct task_struct task[VM_MAX_TASKS]; /* copies of the slots not TASK_DEAD */
	unsigned nr_tasks;
	struct vmap_area *areas;	/* the busy areas, in address order */
	long nr_areas;			/* -1: the list could not be read */
	struct vframe *vframes;		/* sorted by pfn */
	size_t nr_vframes;
	char vmap_msg[256];		/* why nr_areas is -1 */
	unsigned last_task;		/* task_of_mm's cache */
};

static int vframe_cmp(const void *a, const void *b)
{
	const struct vframe *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

static void get_owners(const struct dump *d, struct owners *o)
{
	uint64_t bound;
	size_t cap = 0;
	unsigned i;
	long a;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < VM_MAX_TASKS; i++) {
		memcpy(&o->task[o->nr_tasks], &d->kd->tasks.task[i], sizeof(o->task[0]));
		if (o->task[o->nr_tasks].state != TASK_DEAD)
			o->nr_tasks++;
	}
	/* as vmallocinfo: every area spans at least a page and its guard */
	bound = vmap_bound(d);
	o->nr_areas = collect(d, "vmap_area list", &d->kd->vmap.first, sizeof(struct vmap_area),
			      offsetof(struct vmap_area, next), bound, (void **)&o->areas,
			      o->vmap_msg, sizeof(o->vmap_msg));
	for (a = 0; a < o->nr_areas; a++) {
		const struct vmap_area *va = &o->areas[a];
		const uint32_t *pfns;
		uint32_t n = va->nr_pages, j;

		if (!(va->flags & VM_ALLOC) || n == 0 || n > d->v.nr_pages)
			continue;
		pfns = kobj(d, va->pages, (uint64_t)n * sizeof(*pfns));
		if (!pfns)
			continue;
		/* a frame backs one area at most: more entries than frames
		 * means the arrays are garbage, and the rest are ignored */
		if (o->nr_vframes + n > d->v.nr_pages)
			break;
		if (o->nr_vframes + n > cap) {
			struct vframe *nv;

			cap = cap ? 2 * cap : 256;
			while (cap < o->nr_vframes + n)
				cap *= 2;
			nv = realloc(o->vframes, cap * sizeof(*nv));
			if (!nv)
				break;
			o->vframes = nv;
		}
		for (j = 0; j < n; j++) {
			uint32_t pfn = READ_ONCE(pfns[j]);

			if (pfn < d->v.nr_pages)
				o->vframes[o->nr_vframes++] = (struct vframe){ pfn, (uint32_t)a, j };
		}
	}
	if (o->nr_vframes)
		qsort(o->vframes, o->nr_vframes, sizeof(*o->vframes), vframe_cmp);
}

static void free_owners(struct owners *o)
{
	free(o->areas);
	free(o->vframes);
	o->areas = NULL;
	o->vframes = NULL;
}

static const struct vframe *vframe_of(const struct owners *o, uint32_t pfn)
{
	struct vframe key = { .pfn = pfn };

	if (!o->nr_vframes)
		return NULL;
	return bsearch(&key, o->vframes, o->nr_vframes, sizeof(key), vframe_cmp);
}

/* The task using mm (pa), or NULL: after fork each task has its own. */
static const struct task_struct *task_of_mm(struct owners *o, uint32_t mm)
{
	unsigned i;

	if (!mm)
		return NULL;
	if (o->last_task < o->nr_tasks && o->task[o->last_task].mm == mm)
		return &o->task[o->last_task];
	for (i = 0; i < o->nr_tasks; i++)
		if (o->task[i].mm == mm) {
			o->last_task = i;
			return &o->task[i];
		}
	return NULL;
}

/* What the map colours a frame as. A compound tail counts as its head's
 * (a slab's tail is slab); a frame with no reference behind an allocated
 * one counts as the kernel's, as Linux's non-compound high-order
 * allocations keep their reference on the first frame only. */
enum frame_kind {
	FRAME_FREE,			/* in a buddy block, its head or behind it */
	FRAME_PCP,			/* free on a per-CPU list */
	FRAME_RESERVED,			/* memblock reserved it at boot */
	FRAME_SLAB,			/* a slab's frame */
	FRAME_PGTABLE,			/* a user page table */
	FRAME_VMALLOC,			/* behind a vmalloc area */
	FRAME_KERNEL,			/* allocated otherwise (large kmalloc, kernel tables, ...) */
	FRAME_ANON,			/* a guest's anonymous page */
	FRAME_FILE,			/* a page of the page cache */
	NR_FRAME_KINDS
};

static const char *const frame_kind_names[NR_FRAME_KINDS] = {
	"free", "pcp", "reserved", "slab", "pagetable", "vmalloc", "kernel", "anon", "file",
};

static int note_owner(const struct dump *d, const struct rmap_vma *rv, void *arg)
{
	(void)d;
	if (rv->maps)
		*(uint32_t *)arg = rv->vma.vm_mm;
	return 0;
}

/* The mm an anonymous frame is counted under: of the mms that map it,
 * the one whose VMA is last on the anon_vma's list. fork links the
 * child's VMA at the head, so that is the mm that has mapped it longest
 * (the parent's, for a page shared since fork). 0 if none maps it. */
static uint32_t anon_owner(const struct dump *d, uint32_t pfn, uint32_t av_pa, uint32_t va)
{
	struct anon_vma av;
	uint32_t mm = 0;
	char msg[160];

	rmap_walk(d, av_pa, pfn, va, note_owner, &mm, &av, msg, sizeof(msg));
	return mm;
}

/* A frame's state, read from its struct page (and its neighbours'): the
 * classification page and map share. */
struct frame_class {
	enum frame_kind kind;
	const char *state;		/* page's word: free pcp reserved pgtable slab tail
					 * anon file allocated unreferenced */
	int64_t order, cpu, head;	/* -1 when not applicable */
	int region;			/* reserved: memblock region, -1 if none */
	uint32_t owner;			/* slab, slab tail: cache pa; pgtable, anon: mm pa;
					 * file: the address_space's pa */
	uint32_t index;			/* file: its page in the file */
	uint32_t anon_vma;		/* anon: the anon_vma its mapping names */
	uint32_t va;			/* anon: its va; pgtable: the first it translates */
	const struct vframe *vf;	/* behind a vmalloc area, or NULL */
	bool large_kmalloc;		/* a compound head kmalloc took for itself */
};

static void classify_frame(const struct dump *d, const struct owners *o, uint32_t pfn,
			   const struct page *p, struct frame_class *fc)
{
	struct address_space as;
	uint32_t i, order;

	memset(fc, 0, sizeof(*fc));
	fc->order = fc->cpu = fc->head = -1;
	fc->region = -1;
	if (p->flags & (1u << PG_buddy)) {
		fc->kind = FRAME_FREE;
		fc->state = "free";
		fc->order = p->private;
	} else if (p->flags & (1u << PG_pcp)) {
		fc->kind = FRAME_PCP;
		fc->state = "pcp";
		fc->cpu = p->private;
	} else if (p->flags & (1u << PG_reserved)) {
		fc->kind = FRAME_RESERVED;
		fc->state = "reserved";
		for (i = 0; i < d->bb->nr_memblock && i < VM_MEMBLOCK_MAX; i++) {
			const struct memblock_region *r = &d->bb->memblock[i];

			if (pfn >= r->base_pfn && pfn - r->base_pfn < r->nr_pages) {
				fc->region = (int)i;
				break;
			}
		}
	} else if (p->flags & (1u << PG_pgtable)) {
		fc->kind = FRAME_PGTABLE;
		fc->state = "pgtable";
		fc->owner = p->mapping;
		fc->va = p->index << PAGE_SHIFT;
	} else if (p->flags & (1u << PG_slab)) {
		fc->kind = FRAME_SLAB;
		fc->state = "slab";
		fc->owner = p->mapping;
		fc->order = p->flags & (1u << PG_head) ? p->private : 0;
	} else if (p->flags & (1u << PG_tail)) {
		fc->kind = FRAME_KERNEL;
		fc->state = "tail";
		fc->head = p->index;
		if (p->index < d->v.nr_pages) {
			struct page h;

			snap_page(d, p->index, &h);
			if (h.flags & (1u << PG_slab)) {
				fc->kind = FRAME_SLAB;
				fc->owner = h.mapping;
			}
		}
	} else if (p->_refcount > 0 && (p->mapping & PAGE_MAPPING_ANON)) {
		fc->kind = FRAME_ANON;
		fc->state = "anon";
		fc->anon_vma = p->mapping & ~PAGE_MAPPING_ANON;
		fc->va = p->index << PAGE_SHIFT;
		fc->owner = anon_owner(d, pfn, fc->anon_vma, fc->va);
	} else if (p->_refcount > 0 && p->mapping && !(p->flags & (1u << PG_head)) &&
		   copy_file(d, p->mapping, &as)) {
		fc->kind = FRAME_FILE;
		fc->state = "file";
		fc->owner = p->mapping;
		fc->index = p->index;
	} else if (p->_refcount > 0) {
		fc->kind = FRAME_KERNEL;
		fc->state = "allocated";
		if (p->flags & (1u << PG_head)) {
			/* kmalloc marks its own large allocations with the pa
			 * of slab_state */
			fc->large_kmalloc = p->mapping && p->mapping == d->bb->kdata_pa +
					offsetof(struct vm_kernel_data, slab);
			fc->order = p->private;
		} else if (o && (fc->vf = vframe_of(o, pfn)) != NULL) {
			fc->kind = FRAME_VMALLOC;
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
				fc->kind = FRAME_FREE;
				fc->state = "free";
				fc->head = head;
				fc->order = order;
				return;
			}
		}
		fc->kind = FRAME_KERNEL;
		fc->state = "unreferenced";
	}
}

/* Where a frame stands, in words, for the page view. */
struct page_state {
	char text[256];			/* "free in buddy at order 3" */
	const char *state;		/* one word, for JSON */
	int64_t order, cpu, head;	/* -1 when not applicable */
	char detail[FILE_PATH_LEN];	/* memblock region, slab cache name or file path */
	struct frame_class fc;
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

static void region_name(const struct dump *d, int region, char *out, size_t len)
{
	const struct memblock_region *r;

	if (region < 0 || region >= VM_MEMBLOCK_MAX) {
		snprintf(out, len, "no memblock region");
		return;
	}
	r = &d->bb->memblock[region];
	clean(out, len, r->name, sizeof(r->name));
}

static void page_state(const struct dump *d, const struct owners *o, uint32_t pfn,
		       const struct page *p, struct page_state *ps)
{
	const struct frame_class *fc = &ps->fc;

	classify_frame(d, o, pfn, p, &ps->fc);
	ps->state = fc->state;
	ps->order = fc->order;
	ps->cpu = fc->cpu;
	ps->head = fc->head;
	ps->detail[0] = '\0';
	if (!strcmp(fc->state, "free") && fc->head < 0) {
		snprintf(ps->text, sizeof(ps->text), "free in buddy at order %u", p->private);
	} else if (!strcmp(fc->state, "free")) {
		snprintf(ps->text, sizeof(ps->text), "inside free block at pfn %lld order %lld",
			 (long long)fc->head, (long long)fc->order);
	} else if (!strcmp(fc->state, "pcp")) {
		snprintf(ps->text, sizeof(ps->text), "free on cpu %u's per-CPU list", p->private);
	} else if (!strcmp(fc->state, "reserved")) {
		if (fc->region >= 0)
			region_name(d, fc->region, ps->detail, sizeof(ps->detail));
		snprintf(ps->text, sizeof(ps->text), "reserved (%s)",
			 fc->region >= 0 ? ps->detail : "no memblock region");
	} else if (!strcmp(fc->state, "pgtable")) {
		snprintf(ps->text, sizeof(ps->text), "user page table, %u entries in use", p->private);
	} else if (!strcmp(fc->state, "slab")) {
		cache_name(d, p->mapping, ps->detail, sizeof(ps->detail));
		snprintf(ps->text, sizeof(ps->text), "slab (%s), %u objects in use", ps->detail,
			 p->private);
	} else if (!strcmp(fc->state, "tail")) {
		snprintf(ps->text, sizeof(ps->text), "compound tail of pfn %u", p->index);
		if (fc->kind == FRAME_SLAB) {
			cache_name(d, fc->owner, ps->detail, sizeof(ps->detail));
			snprintf(ps->text, sizeof(ps->text), "compound tail of pfn %u (slab %s)",
				 p->index, ps->detail);
		}
	} else if (!strcmp(fc->state, "anon")) {
		snprintf(ps->text, sizeof(ps->text), "anonymous, anon_vma %08x va 0x%08x, mapped %lld time%s",
			 fc->anon_vma, fc->va, (long long)p->_mapcount + 1, p->_mapcount == 0 ? "" : "s");
	} else if (!strcmp(fc->state, "file")) {
		struct address_space as;
		char path[FILE_PATH_LEN], dev[16];

		memset(&as, 0, sizeof(as));
		if (copy_file(d, fc->owner, &as)) {
			file_path(&as, path, sizeof(path));
			file_dev(&as, dev, sizeof(dev));
		} else {
			snprintf(path, sizeof(path), "?");
			snprintf(dev, sizeof(dev), "?");
		}
		snprintf(ps->detail, sizeof(ps->detail), "%s", path);
		snprintf(ps->text, sizeof(ps->text), "page cache, index %u of %.150s (dev %s inode %llu), mapped %lld time%s",
			 fc->index, path, dev, (unsigned long long)as.ino, (long long)p->_mapcount + 1,
			 p->_mapcount == 0 ? "" : "s");
	} else if (!strcmp(fc->state, "allocated") && (p->flags & (1u << PG_head))) {
		snprintf(ps->text, sizeof(ps->text), "allocated, compound head of order %u%s",
			 p->private, fc->large_kmalloc ? " (large kmalloc)" : "");
	} else if (!strcmp(fc->state, "allocated") && fc->vf) {
		const struct vmap_area *va = &o->areas[fc->vf->area];
		char caller[4 * VM_CALLER_LEN + 1];

		clean(caller, sizeof(caller), va->caller, sizeof(va->caller));
		snprintf(ps->text, sizeof(ps->text),
			 "allocated, vmalloc page at 0x%08llx of area 0x%08x-0x%08x (%s)",
			 (unsigned long long)va->va_start + ((uint64_t)fc->vf->index << PAGE_SHIFT),
			 va->va_start, va->va_end, caller);
	} else if (!strcmp(fc->state, "allocated")) {
		snprintf(ps->text, sizeof(ps->text), "allocated");
	} else {
		/* Linux puts the reference of a non-compound high-order
		 * allocation on its first frame only. */
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

/* Which LRU list a page's flags put it on (vmscan.c): NULL for none. A
 * page with PG_active and no PG_lru is off the lists for a moment
 * (reclaim took it), as Linux's isolated pages are. */
static const char *page_lru_name(uint32_t flags)
{
	bool anon = flags & (1u << PG_swapbacked);

	if (!(flags & (1u << PG_lru)))
		return flags & (1u << PG_active) ? "isolated" : NULL;
	if (flags & (1u << PG_active))
		return anon ? "active_anon" : "active_file";
	return anon ? "inactive_anon" : "inactive_file";
}

/* A swap-cache page's slot: the area, its count and whose page the cache
 * holds there. */
struct swap_slot_info {
	swp_entry_t entry;
	bool area_ok;			/* the entry names a slot of an area in use */
	bool read;			/* count and cached were read */
	char path[4 * SWAP_PATH_MAX + 1];
	uint8_t count;			/* swap_map byte */
	uint32_t cached;		/* the pfn swap_cache holds for the slot */
};

static void swap_slot_of(const struct dump *d, uint32_t val, struct swap_slot_info *si_out)
{
	struct swap_info_struct si;
	unsigned type = swp_type((swp_entry_t){ val });
	uint32_t off = swp_offset((swp_entry_t){ val });

	memset(si_out, 0, sizeof(*si_out));
	si_out->entry.val = val;
	if (type >= MAX_SWAPFILES)
		return;
	memcpy(&si, &d->kd->swap.areas[type], sizeof(si));
	if (!(si.flags & SWP_USED) || off == 0 || off >= si.max)
		return;
	si_out->area_ok = true;
	clean(si_out->path, sizeof(si_out->path), si.path, sizeof(si.path));
	si_out->read = vmalloc_read(d, si.swap_map + off, &si_out->count, 1) &&
		       (!si.swap_cache || vmalloc_read(d, si.swap_cache + off * 4, &si_out->cached, 4));
}

/* page's lines (or members) on reclaim: the LRU list it is on, and for a
 * swap-cache page its entry as type:offset, the slot's count, and whether
 * the cache does hold this page there. */
static void page_reclaim_state(struct dump *d, uint32_t pfn, const struct page *p)
{
	const char *lru = page_lru_name(p->flags);
	struct swap_slot_info ss;
	bool swapcache = p->flags & (1u << PG_swapcache);

	if (swapcache)
		swap_slot_of(d, p->private, &ss);
	if (d->json) {
		struct json *j = &d->js;

		json_str(j, "lru", lru ? lru : "none");
		if (!swapcache)
			return;
		json_obj(j, "swap");
		json_u64(j, "entry", ss.entry.val);
		json_u64(j, "type", swp_type(ss.entry));
		json_u64(j, "offset", swp_offset(ss.entry));
		json_bool(j, "slot_in_use", ss.area_ok);
		if (ss.area_ok)
			json_str(j, "area", ss.path);
		if (ss.read) {
			json_u64(j, "count", ss.count);
			json_bool(j, "cached_here", ss.cached == pfn);
		}
		json_end_obj(j);
		return;
	}
	if (lru && !strcmp(lru, "isolated"))
		printf("lru: off the LRU lists (PG_active kept: taken by reclaim)\n");
	else if (lru)
		printf("lru: on the %s list of zone %s\n", lru, zone_name(p->flags >> ZONES_PGSHIFT));
	if (!swapcache)
		return;
	printf("swapcache: entry %#x = swap %u:%#x", ss.entry.val, swp_type(ss.entry),
	       swp_offset(ss.entry));
	if (!ss.area_ok)
		printf(", no slot of an area in use\n");
	else if (!ss.read)
		printf(" (%s), its swap_map page unreadable\n", ss.path);
	else if (ss.cached == pfn)
		printf(" (%s), slot count %u, the swap cache holds this page\n", ss.path, ss.count);
	else
		printf(" (%s), slot count %u, but the swap cache holds %s%#x there\n", ss.path,
		       ss.count, ss.cached ? "pfn " : "", ss.cached);
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
	struct owners *o;
	char flags[512];
	uint32_t raw[sizeof(struct page) / 4];
	unsigned zi, i;

	o = malloc(sizeof(*o));
	if (!o)
		return fail(d, "out of memory");
	get_owners(d, o);
	snap_page(d, pfn, &p);
	memcpy(raw, &p, sizeof(raw));
	zi = p.flags >> ZONES_PGSHIFT;
	page_state(d, o, pfn, &p, &ps);
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
		page_reclaim_state(d, pfn, &p);
		if (ps.order >= 0)
			json_i64(j, "order", ps.order);
		if (ps.cpu >= 0)
			json_i64(j, "cpu", ps.cpu);
		if (ps.head >= 0)
			json_i64(j, "head", ps.head);
		if (ps.detail[0] && strcmp(ps.state, "file"))
			json_str(j, !strcmp(ps.state, "reserved") ? "region" : "cache", ps.detail);
		if (ps.fc.vf) {
			const struct vmap_area *va = &o->areas[ps.fc.vf->area];

			json_obj(j, "vmalloc");
			json_u64(j, "va", va->va_start + ((uint64_t)ps.fc.vf->index << PAGE_SHIFT));
			json_u64(j, "start", va->va_start);
			json_u64(j, "end", va->va_end);
			json_strn(j, "caller", va->caller, sizeof(va->caller));
			json_end_obj(j);
		}
		if (!strcmp(ps.state, "pgtable")) {
			pgtable_role(d, pfn, &p);
		} else if (!strcmp(ps.state, "anon")) {
			json_u64(j, "mm", ps.fc.owner);
			page_mappers(d, pfn, &p);
		} else if (!strcmp(ps.state, "file")) {
			file_page_mappers(d, pfn, &p);
		} else if (is_zero_pfn(d, pfn)) {
			zero_page_mappers(d);
		}
		json_row(j, "raw");
		for (i = 0; i < ARRAY_SIZE(raw); i++)
			json_u64(j, NULL, raw[i]);
		json_end_arr(j);
		json_end_obj(j);
		free_owners(o);
		free(o);
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
	page_reclaim_state(d, pfn, &p);
	if (!strcmp(ps.state, "pgtable")) {
		fputs("owner: ", stdout);
		pgtable_role(d, pfn, &p);
	} else if (!strcmp(ps.state, "anon")) {
		page_mappers(d, pfn, &p);
	} else if (!strcmp(ps.state, "file")) {
		file_page_mappers(d, pfn, &p);
	} else if (is_zero_pfn(d, pfn)) {
		zero_page_mappers(d);
	}
	free_owners(o);
	free(o);
	return 0;
}

/*
 * The page cache, which /proc shows only file by file (fincore, vmtouch):
 * `files` is one line per file on filemap_state's list, with the
 * flusher's state last; `files PATH` or `files INODE` is one file's
 * cached pages, each with its frame, %pGp flags, mapcount and refcount,
 * then the VMAs that map it (its i_mmap list).
 *
 *   DEV   INODE              SIZE  CACHED  DIRTY  WBACK  MAPS     READ  WRITTEN PATH
 *   08:01 1234              40960      10      2      0     1       10        0 /tmp/data
 *   pdflush: host pid 4243, S (asleep), woke 2 times; dirty_expire_centisecs 3000, dirty_writeback_centisecs 500
 *
 * SIZE is in bytes as last seen; CACHED, DIRTY, WBACK, READ and WRITTEN
 * count pages; MAPS the VMAs on the i_mmap list.
 */
struct files_ctx {
	struct dump *d;
	unsigned vmas;
};

/* i_mmap_walk's fn for files PATH: one line (or member) per VMA. */
static int print_file_vma(const struct dump *unused, uint32_t pa, const struct vm_area_struct *vma,
			  void *arg)
{
	struct files_ctx *c = arg;
	struct dump *d = c->d;
	struct task_struct t;
	struct mm_struct mm;
	char perms[5], comm[4 * TASK_COMM_LEN + 1];
	bool known;

	(void)unused;
	c->vmas++;
	known = copy_mm(d, vma->vm_mm, &mm) && task_of_mm_pa(d, &mm, vma->vm_mm, &t);
	vma_perms(vma, perms);
	if (d->json) {
		json_obj(&d->js, NULL);
		json_i64(&d->js, "pid", known ? t.pid : -1);
		if (known)
			json_strn(&d->js, "comm", t.comm, sizeof(t.comm));
		json_u64(&d->js, "vma", pa);
		json_u64(&d->js, "mm", vma->vm_mm);
		json_u64(&d->js, "start", vma->vm_start);
		json_u64(&d->js, "end", vma->vm_end);
		json_str(&d->js, "perms", perms);
		json_u64(&d->js, "pgoff", vma->vm_pgoff);
		json_end_obj(&d->js);
		return 0;
	}
	if (known) {
		comm_of(&t, comm, sizeof(comm));
		printf("mapped by pid %d (%s)", t.pid, comm);
	} else {
		printf("mapped by mm %08x (no live task)", vma->vm_mm);
	}
	printf(" at %08x-%08x %s from page %u\n", vma->vm_start, vma->vm_end, perms, vma->vm_pgoff);
	return 0;
}

/* One file's head, as a line of the list or the start of its object. */
static void file_summary(struct dump *d, uint32_t pa, const struct address_space *as, bool line)
{
	struct json *j = &d->js;
	char path[FILE_PATH_LEN], dev[16];

	file_path(as, path, sizeof(path));
	file_dev(as, dev, sizeof(dev));
	if (d->json) {
		json_u64(j, "address_space", pa);
		json_str(j, "dev", dev);
		json_u64(j, "inode", as->ino);
		json_u64(j, "size", as->i_size);
		json_u64(j, "cached", as->nrpages);
		json_u64(j, "dirty", as->nrdirty);
		json_u64(j, "writeback", as->nrwriteback);
		json_u64(j, "mappings", as->i_mmap_count);
		json_u64(j, "shared_writable", as->i_mmap_writable);
		json_u64(j, "read", as->nr_read);
		json_u64(j, "written", as->nr_written);
		json_strn(j, "path", as->path, sizeof(as->path));
		json_bool(j, "deleted", as->flags & AS_DELETED);
		json_bool(j, "eio", as->flags & AS_EIO);
		return;
	}
	if (line) {
		printf("%-5s %-10llu %12llu %7u %6u %6u %5u %8llu %8llu %s\n", dev,
		       (unsigned long long)as->ino, (unsigned long long)as->i_size, as->nrpages,
		       as->nrdirty, as->nrwriteback, as->i_mmap_count, (unsigned long long)as->nr_read,
		       (unsigned long long)as->nr_written, path);
		return;
	}
	printf("file %s %llu %s\n", dev, (unsigned long long)as->ino, path);
	printf("size %llu bytes (%llu pages); %u pages cached, %u dirty, %u under writeback; %u mapping%s, %u shared writable; %llu pages read, %llu written%s\n",
	       (unsigned long long)as->i_size,
	       (unsigned long long)((as->i_size + PAGE_SIZE - 1) >> PAGE_SHIFT), as->nrpages,
	       as->nrdirty, as->nrwriteback, as->i_mmap_count, as->i_mmap_count == 1 ? "" : "s",
	       as->i_mmap_writable, (unsigned long long)as->nr_read,
	       (unsigned long long)as->nr_written, as->flags & AS_EIO ? "; a write failed (EIO)" : "");
}

/* One file's pages from its tree, then its VMAs. */
static int file_detail(struct dump *d, uint32_t pa, const struct address_space *as)
{
	struct json *j = &d->js;
	struct cached_page *pages;
	struct files_ctx c = { .d = d };
	const char *why;
	char msg[160];
	size_t n, i;
	long nv;

	pages = malloc((size_t)d->v.nr_pages * sizeof(*pages));
	if (!pages)
		return fail(d, "out of memory");
	n = file_pages(d, as, pages, d->v.nr_pages, &why);
	if (d->json) {
		json_obj(j, NULL);
		file_summary(d, pa, as, false);
		json_arr(j, "pages");
	} else {
		file_summary(d, pa, as, false);
		printf("%8s %10s %8s %8s %s\n", "INDEX", "PFN", "MAPCOUNT", "REFCOUNT", "FLAGS");
	}
	for (i = 0; i < n; i++) {
		uint32_t pfn = pages[i].pfn;
		char flags[512];
		struct page p;
		bool ok;

		if (pfn >= d->v.nr_pages) {
			if (d->json) {
				json_obj(j, NULL);
				json_u64(j, "index", pages[i].index);
				json_u64(j, "pfn", pfn);
				json_bool(j, "in_ram", false);
				json_end_obj(j);
			} else {
				printf("%8u %#10x (beyond RAM)\n", pages[i].index, pfn);
			}
			continue;
		}
		snap_page(d, pfn, &p);
		format_flags(p.flags, flags, sizeof(flags));
		/* the page's own word on where it belongs */
		ok = p.mapping == pa && p.index == pages[i].index;
		if (d->json) {
			unsigned bit;

			json_obj(j, NULL);
			json_u64(j, "index", pages[i].index);
			json_u64(j, "pfn", pfn);
			json_u64(j, "flags", p.flags);
			json_row(j, "flag_names");
			for (bit = 0; bit < NR_PAGEFLAGS; bit++)
				if (p.flags & (1u << bit))
					json_str(j, NULL, pageflag_names[bit]);
			json_end_arr(j);
			json_i64(j, "mapcount", (int64_t)p._mapcount + 1);
			json_i64(j, "refcount", p._refcount);
			json_bool(j, "page_agrees", ok);
			json_end_obj(j);
			continue;
		}
		printf("%8u %#10x %8d %8d %s", pages[i].index, pfn, p._mapcount + 1, p._refcount, flags);
		if (!ok)
			printf(" (but the page names mapping %08x index %u)", p.mapping, p.index);
		putchar('\n');
	}
	if (d->json) {
		json_end_arr(j);
		if (why)
			json_str(j, "tree_error", why);
		json_arr(j, "vmas");
	} else if (why) {
		printf("the tree %s: pages beyond that not shown\n", why);
	}
	nv = i_mmap_walk(d, as, print_file_vma, &c, msg, sizeof(msg));
	if (d->json) {
		json_end_arr(j);
		if (nv < 0)
			json_str(j, "i_mmap_error", msg);
		json_end_obj(j);
	} else if (nv < 0) {
		printf("i_mmap: %s\n", msg);
	}
	free(pages);
	return 0;
}

static int show_files(struct dump *d)
{
	const struct filemap_state *fs = &d->kd->filemap;
	struct address_space *files;
	uint32_t *pas, state = READ_ONCE(fs->flusher_state);
	int32_t fpid = READ_ONCE(fs->flusher_pid);
	uint64_t runs = READ_ONCE(fs->flusher_runs);
	struct stat st;
	bool have_st = false;
	char msg[256], what[FILE_PATH_LEN];
	long n, i, shown = 0;
	int rc = 0;

	n = get_files(d, &files, &pas, msg, sizeof(msg));
	if (n < 0)
		return fail(d, "%s", msg);
	if (d->nargs) {
		/* a path matches as recorded, or as the same host file */
		if (d->sarg)
			have_st = stat(d->sarg, &st) == 0;
		if (d->json) {
			json_obj(&d->js, NULL);
			json_arr(&d->js, "files");
		}
		for (i = 0; i < n && !rc; i++) {
			const struct address_space *as = &files[i];
			bool match = d->sarg ? strncmp(as->path, d->sarg, sizeof(as->path)) == 0 ||
					       (have_st && as->dev == (uint64_t)st.st_dev &&
						as->ino == (uint64_t)st.st_ino) :
					       as->ino == d->arg[0];

			if (!match)
				continue;
			if (shown++ && !d->json)
				putchar('\n');
			rc = file_detail(d, pas[i], as);
		}
		if (d->json) {
			json_end_arr(&d->js);
			json_end_obj(&d->js);
		}
		free(files);
		free(pas);
		if (rc)
			return rc;
		if (!shown) {
			if (d->sarg)
				clean(what, sizeof(what), d->sarg, strlen(d->sarg));
			else
				snprintf(what, sizeof(what), "inode %llu", (unsigned long long)d->arg[0]);
			return fail(d, "no file in the page cache is %s (the files view lists them)", what);
		}
		return 0;
	}
	if (d->json) {
		json_obj(&d->js, NULL);
		json_u64(&d->js, "nr_files", READ_ONCE(fs->nr_files));
		json_arr(&d->js, "files");
	} else {
		printf("%-5s %-10s %12s %7s %6s %6s %5s %8s %8s %s\n", "DEV", "INODE", "SIZE", "CACHED",
		       "DIRTY", "WBACK", "MAPS", "READ", "WRITTEN", "PATH");
	}
	for (i = 0; i < n; i++) {
		if (d->json)
			json_obj(&d->js, NULL);
		file_summary(d, pas[i], &files[i], true);
		if (d->json)
			json_end_obj(&d->js);
	}
	if (d->json) {
		json_end_arr(&d->js);
		json_obj(&d->js, "flusher");
		json_i64(&d->js, "host_pid", fpid);
		json_str(&d->js, "state", state == 0 ? "asleep" : state == 1 ? "writing" : "?");
		json_u64(&d->js, "runs", runs);
		json_u64(&d->js, "dirty_expire_centisecs", READ_ONCE(fs->dirty_expire_cs));
		json_u64(&d->js, "dirty_writeback_centisecs", READ_ONCE(fs->dirty_writeback_cs));
		json_end_obj(&d->js);
		json_end_obj(&d->js);
	} else {
		if (fpid)
			printf("pdflush: host pid %d, %s (%s), woke %llu time%s", fpid, kswapd_stat(state),
			       state == 0 ? "asleep" : state == 1 ? "writing" : "?",
			       (unsigned long long)runs, runs == 1 ? "" : "s");
		else
			printf("pdflush: not running, woke %llu time%s", (unsigned long long)runs,
			       runs == 1 ? "" : "s");
		printf("; dirty_expire_centisecs %u, dirty_writeback_centisecs %u\n",
		       READ_ONCE(fs->dirty_expire_cs), READ_ONCE(fs->dirty_writeback_cs));
	}
	free(files);
	free(pas);
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
	unsigned zi, order, cpu, i;

#define OFF(field)	(kd + offsetof(struct vm_kernel_data, field))
	printf("boot_block 0x0 %u\n", (unsigned)sizeof(struct vm_boot_block));
	printf("mem_map %#llx %llu\n", (unsigned long long)d->bb->mem_map_pfn << PAGE_SHIFT,
	       (unsigned long long)d->v.nr_pages * sizeof(struct page));
	printf("kdata %#llx %u\n", (unsigned long long)kd, d->bb->kdata_size);
	printf("log %#x %u\n", d->bb->log_pa, d->bb->log_size);
	printf("zero_page %#llx %lu\n", (unsigned long long)d->bb->zero_pfn << PAGE_SHIFT, PAGE_SIZE);
	printf("boot_block zero_pfn %zu\n", offsetof(struct vm_boot_block, zero_pfn));
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
		for (i = 0; i < NR_LRU_LISTS; i++)
			printf("zone %s lru %s %#llx\n", zone_name(zi), lru_list_names[i],
			       (unsigned long long)OFF(pgdat.node_zones[zi].lru[i]));
		printf("zone %s vm_stat %#llx\n", zone_name(zi),
		       (unsigned long long)OFF(pgdat.node_zones[zi].vm_stat));
	}
	printf("node vm_stat %#llx\n", (unsigned long long)OFF(pgdat.vm_stat));
	for (i = 0; i < MAX_SWAPFILES; i++) {
		struct swap_info_struct si;

		memcpy(&si, &d->kd->swap.areas[i], sizeof(si));
		if (!(si.flags & SWP_USED))
			continue;
		printf("swap %u %#llx\n", i, (unsigned long long)OFF(swap.areas[i]));
		printf("swap %u swap_map kva %#x\n", i, si.swap_map);
		printf("swap %u swap_cache kva %#x\n", i, si.swap_cache);
	}
	printf("swap nr_swapcache %#llx\n", (unsigned long long)OFF(swap.nr_swapcache));
	printf("reclaim kswapd_pid %#llx\n", (unsigned long long)OFF(reclaim.kswapd_pid));
	printf("reclaim kswapd_state %#llx\n", (unsigned long long)OFF(reclaim.kswapd_state));
	printf("reclaim note %#llx %zu\n", (unsigned long long)OFF(reclaim.note),
	       sizeof(struct reclaim_note));
	printf("filemap files %#llx\n", (unsigned long long)OFF(filemap.files));
	printf("filemap nr_files %#llx\n", (unsigned long long)OFF(filemap.nr_files));
	printf("filemap flusher_pid %#llx\n", (unsigned long long)OFF(filemap.flusher_pid));
	printf("filemap flusher_state %#llx\n", (unsigned long long)OFF(filemap.flusher_state));
	{
		struct address_space *files;
		uint32_t *pas;
		char msg[256];
		long n = get_files(d, &files, &pas, msg, sizeof(msg)), f;

		for (f = 0; f < n; f++)
			printf("file inode %llu %#x\n", (unsigned long long)files[f].ino, pas[f]);
		free(files);
		free(pas);
	}
	printf("slab first %#llx\n", (unsigned long long)OFF(slab.first));
	printf("vmap first %#llx\n", (unsigned long long)OFF(vmap.first));
	printf("tasks %#llx\n", (unsigned long long)OFF(tasks));
	for (i = 0; i < VM_MAX_TASKS; i++) {
		struct task_struct t;

		memcpy(&t, &d->kd->tasks.task[i], sizeof(t));
		if (t.state == TASK_DEAD)
			continue;
		printf("task pid %d %#llx\n", t.pid, (unsigned long long)OFF(tasks.task[i]));
		printf("mm pid %d %#x\n", t.pid, t.mm);
	}
#undef OFF
#define FIELD(type, field)	printf("%s %s %zu\n", #type, #field, offsetof(struct type, field))
	FIELD(task_struct, state);
	FIELD(task_struct, ppid);
	FIELD(task_struct, mm);
	FIELD(task_struct, cr3);
	FIELD(mm_struct, pgd);
	FIELD(mm_struct, mmap);
	FIELD(mm_struct, total_vm);
	FIELD(mm_struct, nr_ptes);
	printf("mm_struct rss_stat anon %zu\n", offsetof(struct mm_struct, rss_stat[MM_ANONPAGES]));
	FIELD(vm_area_struct, vm_start);
	FIELD(vm_area_struct, vm_end);
	FIELD(vm_area_struct, vm_next);
	FIELD(vm_area_struct, vm_flags);
	FIELD(vm_area_struct, anon_vma);
	FIELD(vm_area_struct, anon_vma_next);
	FIELD(vm_area_struct, vm_file);
	FIELD(vm_area_struct, vm_pgoff);
	FIELD(vm_area_struct, shared_next);
	FIELD(address_space, rnode);
	FIELD(address_space, nrpages);
	FIELD(address_space, nrdirty);
	FIELD(address_space, i_mmap);
	FIELD(address_space, i_mmap_count);
	FIELD(address_space, next);
	FIELD(radix_tree_node, shift);
	FIELD(radix_tree_node, count);
	FIELD(radix_tree_node, parent);
	FIELD(radix_tree_node, tags);
	FIELD(radix_tree_node, slots);
	printf("node vm_stat %s %u\n", node_stat_names[NR_FILE_PAGES], NR_FILE_PAGES);
	printf("node vm_stat %s %u\n", node_stat_names[NR_FILE_MAPPED], NR_FILE_MAPPED);
	FIELD(anon_vma, head);
	FIELD(anon_vma, nr_vmas);
	FIELD(page, flags);
	FIELD(page, private);
	FIELD(page, lru);
	FIELD(page, _refcount);
	FIELD(page, _mapcount);
	FIELD(page, mapping);
	FIELD(page, index);
#undef FIELD
	return 0;
}

/* ---- map: every frame by owner and state -------------------------------- */

/*
 * One pass over mem_map classifies every frame (classify_frame, as the page
 * view does) and counts it by kind and zone; with --svg FILE the same pass
 * paints it. Each frame lands in exactly one count, so the counts add up to
 * the machine's frames even while the machine changes underneath.
 *
 * The picture: a grid of cells in pfn order, left to right, top to bottom,
 * 128 frames to a row up to 64 MiB, 256 up to 256 MiB, 512 beyond; past
 * 256Ki frames (1 GiB) a cell holds 2^n frames and takes the colour most of
 * them have. Cells of one colour (and, with tooltips, one owner) in a row
 * are drawn as one run, so a free order-10 block costs one <rect>, not
 * 1024:
 *
 *   pfn 0 .. 127    | boot block | mem_map ...  | kdata ... |    row 0
 *   pfn 128 .. 255  | ... free order 7 ...                  |    row 1
 *
 * Tooltips (<title>, one per run) only up to 64Ki frames, and only if a
 * dry pass finds at most 16Ki runs to hang them on, which keeps the file
 * under a few MiB whatever the machine holds.
 */
enum {
	KEY_FREE = 0,				/* + order */
	KEY_PCP = KEY_FREE + MAX_ORDER,
	KEY_REGION,				/* + memblock region */
	KEY_RESERVED = KEY_REGION + VM_MEMBLOCK_MAX, /* reserved, in no region */
	KEY_SLAB,
	KEY_PGTABLE,
	KEY_VMALLOC,
	KEY_KERNEL,
	KEY_FILE,				/* the page cache */
	KEY_ANON_NONE,				/* anonymous, of no live task */
	KEY_ANON,				/* + index in owners.task */
	NR_KEYS = KEY_ANON + VM_MAX_TASKS
};

#define MAP_TIPS_MAX	65536u		/* frames: tooltips up to here */
#define MAP_TIPS_RUNS	16384u		/* and runs: each costs ~150 bytes */
#define MAP_CELLS_MAX	262144u		/* cells: aggregate beyond */
#define MAP_NO_ZONE	MAX_NR_ZONES	/* counts of frames no zone spans */

/* The run being painted: cells [c0, c0 + n) of one key (and one owner). */
struct map_run {
	uint32_t c0, n;
	unsigned key;
	uint32_t pfn0;			/* its first frame (tooltips: k is 1) */
	struct frame_class fc;		/* that frame's class */
	uint32_t next_va;		/* anon, vmalloc: the va (or index) that continues it */
};

struct map {
	struct dump *d;
	struct owners *o;
	uint32_t nr_pages;
	uint32_t k;			/* frames per cell, a power of two */
	uint32_t cells, per_row, rows;
	unsigned cs;			/* a cell's side, px */
	bool tips;
	bool dry;			/* a pass that only counts runs */
	uint32_t nr_runs;
	uint32_t zone_start[MAX_NR_ZONES], zone_end[MAX_NR_ZONES];
	uint64_t keys[NR_KEYS];		/* frames per colour */
	uint64_t kinds[MAX_NR_ZONES + 1][NR_FRAME_KINDS]; /* frames per zone and kind */
	uint64_t task_pgtables[VM_MAX_TASKS];
	FILE *f;			/* the SVG, or NULL */
	struct map_run run;
	bool in_run;
	/* the cell being gathered when k > 1 */
	unsigned cell_keys[64], cell_counts[64], cell_n, cell_frames;
	/* layout, px */
	unsigned gx, gy, gw, gh, lx, width, height;
};

static unsigned frame_key(struct map *m, const struct frame_class *fc)
{
	const struct task_struct *t;

	switch (fc->kind) {
	case FRAME_FREE:
		return KEY_FREE + (fc->order >= 0 && fc->order < MAX_ORDER ? (unsigned)fc->order : 0);
	case FRAME_PCP:		return KEY_PCP;
	case FRAME_RESERVED:	return fc->region >= 0 ? KEY_REGION + (unsigned)fc->region : KEY_RESERVED;
	case FRAME_SLAB:	return KEY_SLAB;
	case FRAME_PGTABLE:	return KEY_PGTABLE;
	case FRAME_VMALLOC:	return KEY_VMALLOC;
	case FRAME_FILE:	return KEY_FILE;
	case FRAME_ANON:
		t = task_of_mm(m->o, fc->owner);
		return t ? KEY_ANON + (unsigned)(t - m->o->task) : KEY_ANON_NONE;
	default:		return KEY_KERNEL;
	}
}

/* HSL (h in degrees, s and l in [0, 1]) as #rrggbb. */
static void hsl_hex(double h, double s, double l, char out[8])
{
	double c = (1 - (2 * l - 1 < 0 ? 1 - 2 * l : 2 * l - 1)) * s, hp = h / 60, x, r = 0, g = 0, b = 0, mm;
	double f = hp - 2 * (int)(hp / 2);

	x = c * (1 - (f - 1 < 0 ? 1 - f : f - 1));
	switch ((int)hp % 6) {
	case 0: r = c; g = x; break;
	case 1: r = x; g = c; break;
	case 2: g = c; b = x; break;
	case 3: g = x; b = c; break;
	case 4: r = x; b = c; break;
	default: r = c; b = x; break;
	}
	mm = l - c / 2;
	snprintf(out, 8, "#%02x%02x%02x", (unsigned)((r + mm) * 255 + 0.5),
		 (unsigned)((g + mm) * 255 + 0.5), (unsigned)((b + mm) * 255 + 0.5));
}

/*
 * Colours. Free blocks are greens, lighter the larger the block, so
 * fragmentation shows as dark specks; the kernel's own frames are dark
 * (reserved purples, slab brown, page tables red, vmalloc blue, the rest
 * grey); each task's anonymous pages are a bright hue of its own, spread
 * by the golden angle over the hues free blocks and per-CPU lists leave
 * alone (200 degrees round to 80).
 */
static void key_colour(const struct map *m, unsigned key, char out[8])
{
	static const char *const regions[] = {
		"#3f007d", "#6a51a3", "#54278f", "#9e9ac8", "#4a1486", "#807dba", "#756bb1", "#bcbddc",
	};

	if (key < KEY_PCP) {
		/* order 0 #1b7837 .. order 10 #e5f5e0 */
		double t = (double)(key - KEY_FREE) / (MAX_ORDER - 1);

		snprintf(out, 8, "#%02x%02x%02x", (unsigned)(0x1b + t * (0xe5 - 0x1b)),
			 (unsigned)(0x78 + t * (0xf5 - 0x78)), (unsigned)(0x37 + t * (0xe0 - 0x37)));
	} else if (key == KEY_PCP) {
		snprintf(out, 8, "#41b6c4");
	} else if (key < KEY_RESERVED) {
		snprintf(out, 8, "%s", regions[(key - KEY_REGION) % ARRAY_SIZE(regions)]);
	} else if (key >= KEY_ANON) {
		int32_t pid = m->o->task[key - KEY_ANON].pid;
		/* the golden angle, 137.508 degrees, in thousandths */
		unsigned h = 200 + (unsigned)((uint64_t)(uint32_t)pid * 137508 / 1000 % 240);

		hsl_hex(h >= 360 ? h - 360 : h, 0.9, 0.58, out);
	} else {
		static const char *const fixed[] = {
			[KEY_RESERVED - KEY_RESERVED] = "#636363",
			[KEY_SLAB - KEY_RESERVED] = "#a6611a",
			[KEY_PGTABLE - KEY_RESERVED] = "#b2182b",
			[KEY_VMALLOC - KEY_RESERVED] = "#08306b",
			[KEY_KERNEL - KEY_RESERVED] = "#8c8c8c",
			[KEY_FILE - KEY_RESERVED] = "#f4a582",
			[KEY_ANON_NONE - KEY_RESERVED] = "#d9d9d9",
		};
		snprintf(out, 8, "%s", fixed[key - KEY_RESERVED]);
	}
}

/* Text from RAM or of our own, for SVG character data or an attribute. */
static void svg_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* A size as people say it: 0, 512 KiB, 16 MiB, 896 MiB, 1 GiB, 1.25 GiB. */
static void human(uint64_t bytes, char *out, size_t len)
{
	if (bytes == 0)
		snprintf(out, len, "0");
	else if (bytes >= (1ULL << 30) && bytes % (1ULL << 28) == 0)
		snprintf(out, len, "%g GiB", (double)bytes / (1ULL << 30));
	else if (bytes % (1ULL << 20) == 0)
		snprintf(out, len, "%llu MiB", (unsigned long long)(bytes >> 20));
	else if (bytes >= (1ULL << 20))
		snprintf(out, len, "%.1f MiB", (double)bytes / (1ULL << 20));
	else
		snprintf(out, len, "%llu KiB", (unsigned long long)(bytes >> 10));
}

static void task_label(const struct task_struct *t, char *out, size_t len)
{
	char comm[4 * TASK_COMM_LEN + 1];

	comm_of(t, comm, sizeof(comm));
	snprintf(out, len, "pid %d (%s)", t->pid, comm);
}

/* The tooltip of the run about to be drawn. */
static void run_title(struct map *m, const struct map_run *r, char *out, size_t len)
{
	const struct frame_class *fc = &r->fc;
	const struct task_struct *t;
	uint32_t last = r->pfn0 + r->n - 1;
	char who[128], name[4 * KMEM_CACHE_NAME_LEN + 1];
	size_t n;

	if (r->n == 1)
		n = (size_t)snprintf(out, len, "pfn 0x%x: ", r->pfn0);
	else
		n = (size_t)snprintf(out, len, "pfn 0x%x-0x%x (%u frames): ", r->pfn0, last, r->n);
	if (n >= len)
		return;
	out += n;
	len -= n;
	switch (fc->kind) {
	case FRAME_FREE:
		snprintf(out, len, "free, order-%lld buddy block at pfn 0x%llx", (long long)fc->order,
			 (unsigned long long)(fc->head >= 0 ? (uint64_t)fc->head : r->pfn0));
		break;
	case FRAME_PCP:
		snprintf(out, len, "free on cpu %lld's per-CPU list", (long long)fc->cpu);
		break;
	case FRAME_RESERVED:
		region_name(m->d, fc->region, name, sizeof(name));
		snprintf(out, len, "reserved by memblock (%s)", name);
		break;
	case FRAME_SLAB:
		cache_name(m->d, fc->owner, name, sizeof(name));
		snprintf(out, len, "slab (%s)", name);
		break;
	case FRAME_PGTABLE:
		t = task_of_mm(m->o, fc->owner);
		if (t)
			task_label(t, who, sizeof(who));
		else
			snprintf(who, sizeof(who), "mm %08x, no live task", fc->owner);
		if (r->n == 1)
			snprintf(out, len, "user page table of %s, from va 0x%08x", who, fc->va);
		else
			snprintf(out, len, "user page tables of %s", who);
		break;
	case FRAME_VMALLOC: {
		const struct vmap_area *va = &m->o->areas[fc->vf->area];
		uint64_t start = va->va_start + ((uint64_t)fc->vf->index << PAGE_SHIFT);
		char caller[4 * VM_CALLER_LEN + 1];

		clean(caller, sizeof(caller), va->caller, sizeof(va->caller));
		if (r->n == 1)
			snprintf(out, len, "vmalloc, va 0x%08llx (%s)", (unsigned long long)start, caller);
		else
			snprintf(out, len, "vmalloc, va 0x%08llx-0x%08llx (%s)", (unsigned long long)start,
				 (unsigned long long)(start + ((uint64_t)r->n << PAGE_SHIFT) - 1), caller);
		break;
	}
	case FRAME_ANON:
		t = task_of_mm(m->o, fc->owner);
		if (t)
			task_label(t, who, sizeof(who));
		else
			snprintf(who, sizeof(who), "mm %08x, no live task", fc->owner);
		if (r->n == 1)
			snprintf(out, len, "anonymous, %s va 0x%08x", who, fc->va);
		else
			snprintf(out, len, "anonymous, %s va 0x%08x-0x%08llx", who, fc->va,
				 (unsigned long long)fc->va + ((uint64_t)r->n << PAGE_SHIFT) - 1);
		break;
	case FRAME_FILE: {
		struct address_space as;
		char path[FILE_PATH_LEN];

		if (copy_file(m->d, fc->owner, &as))
			file_path(&as, path, sizeof(path));
		else
			snprintf(path, sizeof(path), "?");
		/* a title is a line: a path of escapes is cut */
		if (r->n == 1)
			snprintf(out, len, "page cache, page %u of %.300s", fc->index, path);
		else
			snprintf(out, len, "page cache, pages %u-%u of %.300s", fc->index,
				 fc->index + r->n - 1, path);
		break;
	}
	default:
		if (!strcmp(fc->state, "allocated") && fc->order >= 0)
			snprintf(out, len, "kernel, compound page of order %lld%s", (long long)fc->order,
				 fc->large_kmalloc ? " (large kmalloc)" : "");
		else if (!strcmp(fc->state, "allocated"))
			snprintf(out, len, "kernel, allocated");
		else if (!strcmp(fc->state, "tail"))
			snprintf(out, len, "kernel, compound tail of pfn 0x%llx", (unsigned long long)fc->head);
		else
			snprintf(out, len, "kernel, no reference (a later frame of a higher-order allocation, or in transit)");
		break;
	}
}

/* Paint the run: at most three rects (head of a row, whole rows, tail of a
 * row), one tooltip for all of them. */
static void map_flush(struct map *m)
{
	struct map_run *r = &m->run;
	uint32_t rects[3][4], nr = 0, pr = m->per_row, c1, r0, r1, col0, col1, rs, re, i;

	if (!m->in_run)
		return;
	m->in_run = false;
	if (!m->f)
		return;
	c1 = r->c0 + r->n;
	r0 = r->c0 / pr;
	col0 = r->c0 % pr;
	r1 = (c1 - 1) / pr;
	col1 = (c1 - 1) % pr + 1;
	if (r0 == r1) {
		rects[nr][0] = col0, rects[nr][1] = r0, rects[nr][2] = r->n, rects[nr++][3] = 1;
	} else {
		rs = r0;
		re = r1 + 1;
		if (col0 > 0) {
			rects[nr][0] = col0, rects[nr][1] = r0, rects[nr][2] = pr - col0, rects[nr++][3] = 1;
			rs = r0 + 1;
		}
		if (col1 < pr)
			re = r1;
		if (re > rs)
			rects[nr][0] = 0, rects[nr][1] = rs, rects[nr][2] = pr, rects[nr++][3] = re - rs;
		if (col1 < pr)
			rects[nr][0] = 0, rects[nr][1] = r1, rects[nr][2] = col1, rects[nr++][3] = 1;
	}
	if (nr > 1 || m->tips)
		fprintf(m->f, "<g class=\"k%u\">", r->key);
	if (m->tips) {
		char title[512];

		run_title(m, r, title, sizeof(title));
		fputs("<title>", m->f);
		svg_text(m->f, title);
		fputs("</title>", m->f);
	}
	for (i = 0; i < nr; i++) {
		fprintf(m->f, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\"", rects[i][0], rects[i][1],
			rects[i][2], rects[i][3]);
		if (nr > 1 || m->tips)
			fputs("/>", m->f);
		else
			fprintf(m->f, " class=\"k%u\"/>", r->key);
	}
	fputs(nr > 1 || m->tips ? "</g>\n" : "\n", m->f);
}

/* Does the frame (the cell, when k is 1) carry on the run? Without
 * tooltips a colour is enough; with them, the run must also have one
 * description: one free block, one cache, one mm, consecutive addresses. */
static bool run_continues(const struct map *m, unsigned key, const struct frame_class *fc)
{
	const struct map_run *r = &m->run;

	if (!m->in_run || key != r->key)
		return false;
	if (!m->tips)
		return true;
	switch (fc->kind) {
	case FRAME_FREE:	/* a frame behind the head the run began with */
		return fc->head >= 0 && (uint64_t)fc->head == (r->fc.head >= 0 ? (uint64_t)r->fc.head : r->pfn0);
	case FRAME_PCP:		return fc->cpu == r->fc.cpu;
	case FRAME_SLAB:	return fc->owner == r->fc.owner;
	case FRAME_PGTABLE:	return fc->owner == r->fc.owner;
	case FRAME_VMALLOC:	return fc->vf->area == r->fc.vf->area && fc->vf->index == r->next_va;
	case FRAME_ANON:	return fc->owner == r->fc.owner && fc->va == r->next_va;
	case FRAME_FILE:	return fc->owner == r->fc.owner && fc->index == r->next_va;
	case FRAME_KERNEL:	return strcmp(fc->state, "allocated") != 0;
	default:		return true;
	}
}

/* One cell, of key, first frame pfn (k is 1: its class in fc). */
static void map_cell(struct map *m, uint32_t cell, unsigned key, uint32_t pfn,
		     const struct frame_class *fc)
{
	struct map_run *r = &m->run;

	if (run_continues(m, key, fc)) {
		r->n++;
	} else {
		map_flush(m);
		m->nr_runs++;
		m->in_run = true;
		r->c0 = cell;
		r->n = 1;
		r->key = key;
		r->pfn0 = pfn;
		r->fc = *fc;
	}
	if (fc->kind == FRAME_ANON)
		r->next_va = fc->va + PAGE_SIZE;
	else if (fc->kind == FRAME_FILE)
		r->next_va = fc->index + 1;
	else if (fc->kind == FRAME_VMALLOC)
		r->next_va = fc->vf->index + 1;
}

static unsigned zone_of(const struct map *m, uint32_t pfn)
{
	unsigned zi;

	for (zi = 0; zi < MAX_NR_ZONES; zi++)
		if (pfn >= m->zone_start[zi] && pfn < m->zone_end[zi])
			return zi;
	return MAP_NO_ZONE;
}

/* The pass: count every frame, and paint it if there is a picture. */
static void map_frames(struct map *m)
{
	uint32_t pfn, cell = 0;
	unsigned i;

	for (pfn = 0; pfn < m->nr_pages; pfn++) {
		struct frame_class fc;
		struct page p;
		unsigned key;

		snap_page(m->d, pfn, &p);
		classify_frame(m->d, m->o, pfn, &p, &fc);
		key = frame_key(m, &fc);
		m->keys[key]++;
		m->kinds[zone_of(m, pfn)][fc.kind]++;
		if (fc.kind == FRAME_PGTABLE) {
			const struct task_struct *t = task_of_mm(m->o, fc.owner);

			if (t)
				m->task_pgtables[t - m->o->task]++;
		}
		if (!m->f && !m->dry)
			continue;
		if (m->k == 1) {
			map_cell(m, pfn, key, pfn, &fc);
			continue;
		}
		/* gather the cell's k frames; the commonest key wins, ties
		 * to the one seen first */
		for (i = 0; i < m->cell_n && m->cell_keys[i] != key; i++)
			;
		if (i == m->cell_n) {
			if (m->cell_n == ARRAY_SIZE(m->cell_keys))
				i = 0;	/* more keys than slots: cannot happen, k <= 64 */
			else
				m->cell_keys[m->cell_n++] = key, m->cell_counts[i] = 0;
		}
		m->cell_counts[i]++;
		if (++m->cell_frames == m->k || pfn + 1 == m->nr_pages) {
			unsigned best = 0;

			for (i = 1; i < m->cell_n; i++)
				if (m->cell_counts[i] > m->cell_counts[best])
					best = i;
			fc.kind = NR_FRAME_KINDS;	/* nothing to continue but the colour */
			map_cell(m, cell++, m->cell_keys[best], pfn + 1 - m->cell_frames, &fc);
			m->cell_n = m->cell_frames = 0;
		}
	}
	map_flush(m);
}

static void map_layout(struct map *m)
{
	uint64_t cells;

	m->k = 1;
	if (m->nr_pages <= 16384) {
		m->per_row = 128;
		m->cs = 6;
	} else if (m->nr_pages <= 65536) {
		m->per_row = 256;
		m->cs = 3;
	} else {
		m->per_row = 512;
		m->cs = 2;
		while ((m->nr_pages + (uint64_t)m->k - 1) / m->k > MAP_CELLS_MAX)
			m->k *= 2;
	}
	cells = (m->nr_pages + (uint64_t)m->k - 1) / m->k;
	m->cells = (uint32_t)cells;
	m->rows = (uint32_t)((cells + m->per_row - 1) / m->per_row);
	m->tips = m->nr_pages <= MAP_TIPS_MAX;
	m->gx = 200;
	m->gy = 110;
	m->gw = m->per_row * m->cs;
	m->gh = m->rows * m->cs;
}

/* Legend rows: 18 px each. */
#define LEG_ROW	18

static void legend_row(struct map *m, unsigned *y, unsigned key, const char *label, uint64_t frames)
{
	char size[32];

	human(frames << PAGE_SHIFT, size, sizeof(size));
	fprintf(m->f, "<g class=\"entry\" data-frames=\"%llu\"><rect x=\"%u\" y=\"%u\" width=\"12\" height=\"12\" class=\"k%u\" stroke=\"#444\" stroke-width=\"0.5\"/>"
		"<text x=\"%u\" y=\"%u\">", (unsigned long long)frames, m->lx + 10, *y, key,
		m->lx + 30, *y + 10);
	svg_text(m->f, label);
	fprintf(m->f, "</text><text x=\"%u\" y=\"%u\" text-anchor=\"end\">%llu</text>"
		"<text x=\"%u\" y=\"%u\" text-anchor=\"end\" class=\"dim\">%s</text></g>\n",
		m->lx + 300, *y + 10, (unsigned long long)frames, m->lx + 380, *y + 10, size);
	*y += LEG_ROW;
}

static void legend_head(struct map *m, unsigned *y, const char *label, uint64_t frames)
{
	fprintf(m->f, "<text x=\"%u\" y=\"%u\" class=\"h\" data-total=\"%llu\">", m->lx, *y + 20,
		(unsigned long long)frames);
	svg_text(m->f, label);
	fputs("</text>\n", m->f);
	*y += 28;
}

static uint64_t kind_total(const struct map *m, enum frame_kind kind)
{
	uint64_t n = 0;
	unsigned zi;

	for (zi = 0; zi <= MAP_NO_ZONE; zi++)
		n += m->kinds[zi][kind];
	return n;
}

/* Region labels, right of the grid: each region's first cell is joined to
 * its label by a line that leaves the grid upwards, runs above it in a
 * lane of its own and comes down the gap to the label; the region nearest
 * pfn 0 takes the outermost lane, so no two lines cross. */
static unsigned draw_regions(struct map *m)
{
	const struct vm_boot_block *bb = m->d->bb;
	unsigned idx[VM_MEMBLOCK_MAX], n = 0, i, j, y = m->gy + 4;

	for (i = 0; i < bb->nr_memblock && i < VM_MEMBLOCK_MAX; i++)
		if (bb->memblock[i].nr_pages && bb->memblock[i].base_pfn < m->nr_pages)
			idx[n++] = i;
	for (i = 1; i < n; i++)			/* by base pfn */
		for (j = i; j > 0 && bb->memblock[idx[j]].base_pfn < bb->memblock[idx[j - 1]].base_pfn; j--) {
			unsigned t = idx[j];

			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	fputs("<g class=\"regions\">\n", m->f);
	for (j = 0; j < n; j++) {
		const struct memblock_region *r = &bb->memblock[idx[j]];
		uint32_t cell = r->base_pfn / m->k, last = r->nr_pages - 1 > m->nr_pages - 1 - r->base_pfn ?
			m->nr_pages - 1 : r->base_pfn + r->nr_pages - 1;
		double ax = m->gx + (cell % m->per_row + 0.5) * m->cs;
		double ay = m->gy + (cell / m->per_row + 0.5) * m->cs;
		unsigned lane_y = m->gy - 6 - 4 * (n - 1 - j), lane_x = m->gx + m->gw + 6 + 4 * (n - 1 - j);
		unsigned tx = m->gx + m->gw + 12 + 4 * n;
		char name[4 * sizeof(r->name) + 1], label[160];

		clean(name, sizeof(name), r->name, sizeof(r->name));
		if (r->nr_pages == 1)
			snprintf(label, sizeof(label), "%s: pfn 0x%x", name, r->base_pfn);
		else
			snprintf(label, sizeof(label), "%s: pfn 0x%x-0x%x", name, r->base_pfn, last);
		fprintf(m->f, "<polyline points=\"%.1f,%.1f %.1f,%u %u,%u %u,%u %u,%u\" class=\"lead\"/>"
			"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.5\"/>"
			"<rect x=\"%u\" y=\"%u\" width=\"10\" height=\"10\" class=\"k%u\"/><text x=\"%u\" y=\"%u\">",
			ax, ay, ax, lane_y, lane_x, lane_y, lane_x, y + 5, tx, y + 5, ax, ay,
			tx + 2, y, KEY_REGION + idx[j], tx + 16, y + 9);
		svg_text(m->f, label);
		fputs("</text>\n", m->f);
		y += 15;
	}
	fputs("</g>\n", m->f);
	return y;
}

/* Zones: a line in the grid where each begins, and on the left a bracket
 * down its rows with its name, range and how much of it is free. */
static void draw_zones(struct map *m)
{
	unsigned zi, next_y = 0;

	fputs("<g class=\"zones\">\n", m->f);
	for (zi = 0; zi < MAX_NR_ZONES; zi++) {
		uint32_t s = m->zone_start[zi], e = m->zone_end[zi], b, row, col;
		double y0, y1;
		unsigned ty;
		char from[32], to[32];
		uint64_t total = 0, kind, nfree = m->kinds[zi][FRAME_FREE] + m->kinds[zi][FRAME_PCP];

		if (e <= s)
			continue;
		b = s / m->k;
		row = b / m->per_row;
		col = b % m->per_row;
		if (b > 0 && b < m->cells) {
			if (col == 0)
				fprintf(m->f, "<path d=\"M%u %uH%u\" class=\"zb\"/>\n", m->gx, m->gy + row * m->cs,
					m->gx + m->gw);
			else
				fprintf(m->f, "<path d=\"M%u %uH%u V%u H%u\" class=\"zb\"/>\n", m->gx,
					m->gy + (row + 1) * m->cs, m->gx + col * m->cs, m->gy + row * m->cs,
					m->gx + m->gw);
		}
		y0 = m->gy + (double)row * m->cs + (col ? m->cs : 0);
		b = (e - 1) / m->k;
		y1 = m->gy + (double)(b / m->per_row + 1) * m->cs;
		fprintf(m->f, "<path d=\"M%u %.1fH%u V%.1f H%u\" class=\"bracket\"/>\n", m->gx - 64, y0 + 1,
			m->gx - 70, y1 - 1, m->gx - 64);
		for (kind = 0; kind < NR_FRAME_KINDS; kind++)
			total += m->kinds[zi][kind];
		ty = (unsigned)y0 + 12 > next_y ? (unsigned)y0 + 12 : next_y;
		human((uint64_t)s << PAGE_SHIFT, from, sizeof(from));
		human((uint64_t)e << PAGE_SHIFT, to, sizeof(to));
		fprintf(m->f, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\" class=\"zn\">%s</text>\n"
			"<text x=\"%u\" y=\"%u\" text-anchor=\"end\" class=\"dim\">%s - %s</text>\n"
			"<text x=\"%u\" y=\"%u\" text-anchor=\"end\" class=\"dim\">%llu%% free</text>\n",
			m->gx - 76, ty, zone_name(zi), m->gx - 76, ty + 14, from, to, m->gx - 76, ty + 28,
			total ? (unsigned long long)(nfree * 100 / total) : 0ULL);
		next_y = ty + 44;
	}
	fputs("</g>\n", m->f);
}

/* Addresses down the left edge, every power-of-two rows at least 36 px apart. */
static void draw_ticks(struct map *m)
{
	unsigned rows_per_tick = 1, row;
	char at[32];

	while (rows_per_tick * m->cs < 36)
		rows_per_tick *= 2;
	fputs("<g class=\"ticks\">\n", m->f);
	for (row = 0; row <= m->rows; row += rows_per_tick) {
		human((uint64_t)row * m->per_row * m->k << PAGE_SHIFT, at, sizeof(at));
		fprintf(m->f, "<path d=\"M%u %uH%u\"/><text x=\"%u\" y=\"%u\" text-anchor=\"end\">%s</text>\n",
			m->gx - 5, m->gy + row * m->cs, m->gx, m->gx - 8, m->gy + row * m->cs + 4, at);
	}
	fputs("</g>\n", m->f);
}

static const char *mode_name(uint32_t mode)
{
	return mode == VM_MODE_PAE ? "pae" : mode == VM_MODE_I386 ? "i386" : "?";
}

static const char *task_state_name(uint32_t state)
{
	return state < ARRAY_SIZE(task_state_names) ? task_state_names[state] : "?";
}

static void map_svg_head(struct map *m)
{
	const struct vm_boot_block *bb = m->d->bb;
	unsigned key, legend_rows, nr_regions;
	char colour[8], name[4 * sizeof(bb->name) + 1], size[32], per[32];
	const char *base = strrchr(m->d->path, '/');

	/* height: the grid, or the region labels and the legend (five
	 * headings and a row per colour) if they are longer */
	nr_regions = bb->nr_memblock < VM_MEMBLOCK_MAX ? bb->nr_memblock : VM_MEMBLOCK_MAX;
	legend_rows = MAX_ORDER + 1 + nr_regions + 1 + 4 + m->o->nr_tasks + 1;
	m->lx = m->gx + m->gw + 24 + 4 * nr_regions;
	m->width = m->lx + 400;
	m->height = m->gy + m->gh + 40;
	if (m->gy + 4 + nr_regions * 15 + 10 + 5 * 28 + legend_rows * LEG_ROW + 20 > m->height)
		m->height = m->gy + 4 + nr_regions * 15 + 10 + 5 * 28 + legend_rows * LEG_ROW + 20;

	fprintf(m->f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\">\n",
		m->width, m->height, m->width, m->height);
	fputs("<style>\n"
	      "text{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;font-size:12px;fill:#222}\n"
	      ".t{font-size:18px;font-weight:bold}.h{font-size:13px;font-weight:bold}.dim{fill:#666}\n"
	      ".zn{font-weight:bold}.zb{stroke:#000;stroke-width:2;fill:none}\n"
	      ".bracket{stroke:#000;stroke-width:1.5;fill:none}\n"
	      ".lead{stroke:#000;stroke-opacity:0.6;stroke-width:0.8;fill:none}\n"
	      ".ticks path{stroke:#000}\n", m->f);
	for (key = 0; key < KEY_ANON + m->o->nr_tasks; key++) {
		key_colour(m, key, colour);
		fprintf(m->f, ".k%u{fill:%s}", key, colour);
		if (key % 8 == 7)
			fputc('\n', m->f);
	}
	fputs("\n</style>\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n", m->f);

	if (bb->name[0])
		clean(name, sizeof(name), bb->name, sizeof(bb->name));
	else
		snprintf(name, sizeof(name), "%s", base ? base + 1 : m->d->path);
	human((uint64_t)m->nr_pages << PAGE_SHIFT, size, sizeof(size));
	fputs("<text x=\"20\" y=\"30\" class=\"t\">Physical memory of ", m->f);
	svg_text(m->f, name);
	fprintf(m->f, ": %s, %u frames, %s paging, %u CPU%s</text>\n", size, m->nr_pages,
		mode_name(bb->mode), bb->nr_cpus, bb->nr_cpus == 1 ? "" : "s");
	human((uint64_t)m->per_row * m->k << PAGE_SHIFT, per, sizeof(per));
	if (m->k == 1)
		fprintf(m->f, "<text x=\"20\" y=\"52\">Each cell is one 4 KiB frame, pfn 0 at the top left, %u frames (%s) to a row. "
			"%s</text>\n", m->per_row, per,
			m->tips ? "Hover over a cell for its frame and owner." :
			m->nr_pages <= MAP_TIPS_MAX ? "No tooltips: too many runs, the file would be large." :
				  "No tooltips above 65536 frames, to keep the file small.");
	else
		fprintf(m->f, "<text x=\"20\" y=\"52\">Each cell is %u frames (%u KiB), coloured by what most of them are; "
			"%u cells (%s) to a row. No tooltips above 65536 frames.</text>\n",
			m->k, m->k * 4, m->per_row, per);
	fputs("<text x=\"20\" y=\"70\" class=\"dim\">Thick lines: zone boundaries (DMA below 16 MiB, Normal to 896 MiB, HighMem above). "
	      "Free blocks: the lighter, the larger the block.</text>\n", m->f);

	draw_ticks(m);
	fprintf(m->f, "<g transform=\"translate(%u %u) scale(%u)\" shape-rendering=\"crispEdges\">\n",
		m->gx, m->gy, m->cs);
}

static void map_svg_tail(struct map *m)
{
	const struct vm_boot_block *bb = m->d->bb;
	unsigned y, i, order;
	char label[160], name[4 * sizeof(bb->memblock[0].name) + 1];
	uint64_t sum = 0;

	if (m->cs >= 6)
		fprintf(m->f, "<defs><pattern id=\"cell\" width=\"1\" height=\"1\" patternUnits=\"userSpaceOnUse\">"
			"<path d=\"M1 0V1H0\" fill=\"none\" stroke=\"#fff\" stroke-opacity=\"0.7\" stroke-width=\"0.1\"/>"
			"</pattern></defs>\n<rect width=\"%u\" height=\"%u\" fill=\"url(#cell)\" pointer-events=\"none\"/>\n",
			m->per_row, m->rows);
	fprintf(m->f, "<rect width=\"%u\" height=\"%u\" fill=\"none\" stroke=\"#000\" stroke-width=\"%.2f\"/>\n</g>\n",
		m->per_row, m->rows, 1.0 / m->cs);
	draw_zones(m);
	y = draw_regions(m);

	/* the legend: every colour with its frames, which add up to RAM */
	y += 10;
	legend_head(m, &y, "Free in the buddy allocator, by block order", kind_total(m, FRAME_FREE));
	for (order = 0; order < MAX_ORDER; order++) {
		char sz[32];

		human(PAGE_SIZE << order, sz, sizeof(sz));
		snprintf(label, sizeof(label), "order %u (%s blocks)", order, sz);
		legend_row(m, &y, KEY_FREE + order, label, m->keys[KEY_FREE + order]);
	}
	legend_row(m, &y, KEY_PCP, "free on per-CPU lists", m->keys[KEY_PCP]);
	legend_head(m, &y, "Reserved by memblock at boot", kind_total(m, FRAME_RESERVED));
	for (i = 0; i < bb->nr_memblock && i < VM_MEMBLOCK_MAX; i++) {
		clean(name, sizeof(name), bb->memblock[i].name, sizeof(bb->memblock[i].name));
		legend_row(m, &y, KEY_REGION + i, name, m->keys[KEY_REGION + i]);
	}
	legend_row(m, &y, KEY_RESERVED, "reserved, in no region", m->keys[KEY_RESERVED]);
	legend_head(m, &y, "Allocated by the kernel",
		    kind_total(m, FRAME_SLAB) + kind_total(m, FRAME_PGTABLE) +
		    kind_total(m, FRAME_VMALLOC) + kind_total(m, FRAME_KERNEL));
	legend_row(m, &y, KEY_SLAB, "slab", m->keys[KEY_SLAB]);
	legend_row(m, &y, KEY_PGTABLE, "page tables (user)", m->keys[KEY_PGTABLE]);
	legend_row(m, &y, KEY_VMALLOC, m->o->nr_areas < 0 ? "vmalloc (area list unreadable)" : "vmalloc",
		   m->keys[KEY_VMALLOC]);
	legend_row(m, &y, KEY_KERNEL, "other kernel allocations", m->keys[KEY_KERNEL]);
	legend_head(m, &y, "Anonymous pages, by task", kind_total(m, FRAME_ANON));
	for (i = 0; i < m->o->nr_tasks; i++) {
		const struct task_struct *t = &m->o->task[i];

		task_label(t, name, sizeof(name));
		snprintf(label, sizeof(label), "%s, %s", name, task_state_name(t->state));
		legend_row(m, &y, KEY_ANON + i, label, m->keys[KEY_ANON + i]);
	}
	legend_row(m, &y, KEY_ANON_NONE, "of no live task", m->keys[KEY_ANON_NONE]);
	legend_head(m, &y, "Page cache", kind_total(m, FRAME_FILE));
	legend_row(m, &y, KEY_FILE, "pages of mapped files", m->keys[KEY_FILE]);
	for (i = 0; i < NR_KEYS; i++)
		sum += m->keys[i];
	human(sum << PAGE_SHIFT, name, sizeof(name));
	snprintf(label, sizeof(label), "Total: %llu frames = %s", (unsigned long long)sum, name);
	legend_head(m, &y, label, sum);
	fputs("</svg>\n", m->f);
}

static void map_text(struct map *m, const char *svg)
{
	const struct vm_boot_block *bb = m->d->bb;
	unsigned zi, kind, i, order;
	uint64_t zt[MAP_NO_ZONE + 1] = { 0 }, total = 0;
	bool show[MAP_NO_ZONE + 1];
	char name[4 * TASK_COMM_LEN + 40];

	for (zi = 0; zi <= MAP_NO_ZONE; zi++) {
		for (kind = 0; kind < NR_FRAME_KINDS; kind++)
			zt[zi] += m->kinds[zi][kind];
		total += zt[zi];
		show[zi] = zi < MAX_NR_ZONES ? m->zone_end[zi] > m->zone_start[zi] : zt[zi] != 0;
	}
	printf("%u frames of 4 KiB (%llu kB), %s\n", m->nr_pages,
	       (unsigned long long)m->nr_pages * 4, mode_name(bb->mode));
	printf("%-10s %10s %10s", "", "frames", "kB");
	for (zi = 0; zi <= MAP_NO_ZONE; zi++)
		if (show[zi])
			printf(" %9s", zi < MAX_NR_ZONES ? zone_name(zi) : "(none)");
	putchar('\n');
	for (kind = 0; kind <= NR_FRAME_KINDS; kind++) {
		uint64_t n = kind < NR_FRAME_KINDS ? kind_total(m, kind) : total;

		printf("%-10s %10llu %10llu", kind < NR_FRAME_KINDS ? frame_kind_names[kind] : "total",
		       (unsigned long long)n, (unsigned long long)n * 4);
		for (zi = 0; zi <= MAP_NO_ZONE; zi++)
			if (show[zi])
				printf(" %9llu", (unsigned long long)(kind < NR_FRAME_KINDS ?
					m->kinds[zi][kind] : zt[zi]));
		putchar('\n');
	}
	printf("free frames by block order:");
	for (order = 0; order < MAX_ORDER; order++)
		printf(" %llu", (unsigned long long)m->keys[KEY_FREE + order]);
	printf("\nreserved by memblock:\n");
	for (i = 0; i < bb->nr_memblock && i < VM_MEMBLOCK_MAX; i++) {
		const struct memblock_region *r = &bb->memblock[i];

		clean(name, sizeof(name), r->name, sizeof(r->name));
		printf("  %-20s pfn 0x%-8x %8u frames %8llu counted\n", name, r->base_pfn, r->nr_pages,
		       (unsigned long long)m->keys[KEY_REGION + i]);
	}
	if (m->keys[KEY_RESERVED])
		printf("  %-20s %32llu counted\n", "(no region)", (unsigned long long)m->keys[KEY_RESERVED]);
	printf("anonymous and page-table frames by task:\n");
	for (i = 0; i < m->o->nr_tasks; i++) {
		task_label(&m->o->task[i], name, sizeof(name));
		printf("  %-30s %-8s %8llu anon %6llu pagetable\n", name, task_state_name(m->o->task[i].state),
		       (unsigned long long)m->keys[KEY_ANON + i], (unsigned long long)m->task_pgtables[i]);
	}
	printf("  %-30s %-8s %8llu anon\n", "(no live task)", "", (unsigned long long)m->keys[KEY_ANON_NONE]);
	if (m->o->nr_areas < 0)
		printf("vmalloc frames counted as kernel: %s\n", m->o->vmap_msg);
	if (svg)
		printf("picture: %s (%u cells of %u frame%s, %u to a row)\n", svg, m->cells, m->k,
		       m->k == 1 ? "" : "s", m->per_row);
}

static void map_json(struct map *m, const char *svg)
{
	const struct vm_boot_block *bb = m->d->bb;
	struct json *j = &m->d->js;
	unsigned zi, kind, i, order;

	json_obj(j, NULL);
	json_u64(j, "frames", m->nr_pages);
	json_str(j, "mode", mode_name(bb->mode));
	json_obj(j, "counts");
	for (kind = 0; kind < NR_FRAME_KINDS; kind++)
		json_u64(j, frame_kind_names[kind], kind_total(m, kind));
	json_end_obj(j);
	json_row(j, "free_orders");
	for (order = 0; order < MAX_ORDER; order++)
		json_u64(j, NULL, m->keys[KEY_FREE + order]);
	json_end_arr(j);
	json_arr(j, "zones");
	for (zi = 0; zi <= MAP_NO_ZONE; zi++) {
		uint64_t n = 0;

		for (kind = 0; kind < NR_FRAME_KINDS; kind++)
			n += m->kinds[zi][kind];
		if (zi < MAX_NR_ZONES ? m->zone_end[zi] <= m->zone_start[zi] : n == 0)
			continue;
		json_obj(j, NULL);
		json_str(j, "zone", zi < MAX_NR_ZONES ? zone_name(zi) : "none");
		if (zi < MAX_NR_ZONES) {
			json_u64(j, "start_pfn", m->zone_start[zi]);
			json_u64(j, "end_pfn", m->zone_end[zi]);
		}
		json_obj(j, "counts");
		for (kind = 0; kind < NR_FRAME_KINDS; kind++)
			json_u64(j, frame_kind_names[kind], m->kinds[zi][kind]);
		json_end_obj(j);
		json_end_obj(j);
	}
	json_end_arr(j);
	json_arr(j, "reserved");
	for (i = 0; i < bb->nr_memblock && i < VM_MEMBLOCK_MAX; i++) {
		json_obj(j, NULL);
		json_strn(j, "region", bb->memblock[i].name, sizeof(bb->memblock[i].name));
		json_u64(j, "base_pfn", bb->memblock[i].base_pfn);
		json_u64(j, "pages", bb->memblock[i].nr_pages);
		json_u64(j, "frames", m->keys[KEY_REGION + i]);
		json_end_obj(j);
	}
	json_end_arr(j);
	json_u64(j, "reserved_no_region", m->keys[KEY_RESERVED]);
	json_arr(j, "tasks");
	for (i = 0; i < m->o->nr_tasks; i++) {
		const struct task_struct *t = &m->o->task[i];

		json_obj(j, NULL);
		json_i64(j, "pid", t->pid);
		json_strn(j, "comm", t->comm, sizeof(t->comm));
		json_str(j, "state", task_state_name(t->state));
		json_u64(j, "anon", m->keys[KEY_ANON + i]);
		json_u64(j, "pagetable", m->task_pgtables[i]);
		json_end_obj(j);
	}
	json_end_arr(j);
	json_u64(j, "anon_no_task", m->keys[KEY_ANON_NONE]);
	json_bool(j, "vmalloc_known", m->o->nr_areas >= 0);
	if (svg) {
		json_str(j, "svg", svg);
		json_u64(j, "frames_per_cell", m->k);
		json_u64(j, "cells_per_row", m->per_row);
	}
	json_end_obj(j);
}

/* vmdump MACHINE map [--svg FILE]: counts by kind and zone, per memblock
 * region and per task; with FILE, the picture too. */
static int show_map(struct dump *d)
{
	const struct pglist_data *pgdat = &d->kd->pgdat;
	struct map *m;
	struct stat st;
	bool regular = false;
	unsigned zi;
	int rc = 0;

	m = calloc(1, sizeof(*m));
	if (!m || !(m->o = malloc(sizeof(*m->o)))) {
		free(m);
		return fail(d, "out of memory");
	}
	m->d = d;
	m->nr_pages = d->v.nr_pages;
	get_owners(d, m->o);
	if (m->o->nr_areas < 0)
		fprintf(stderr, "vmdump: %s: %s: vmalloc frames are counted as the kernel's\n", d->path,
			m->o->vmap_msg);
	for (zi = 0; zi < MAX_NR_ZONES; zi++) {
		uint32_t s = READ_ONCE(pgdat->node_zones[zi].zone_start_pfn);
		uint32_t span = READ_ONCE(pgdat->node_zones[zi].spanned_pages);

		/* zones_sane has seen these inside RAM; a live machine
		 * does not move its zones */
		m->zone_start[zi] = s < m->nr_pages ? s : m->nr_pages;
		m->zone_end[zi] = span <= m->nr_pages - m->zone_start[zi] ?
				  m->zone_start[zi] + span : m->nr_pages;
	}
	map_layout(m);
	if (d->svg) {
		m->f = fopen(d->svg, "w");
		if (!m->f) {
			fflush(stdout);
			fprintf(stderr, "vmdump: cannot write %s: %s\n", d->svg, strerror(errno));
			rc = 1;
			goto out;
		}
		/* a partial picture is removed, but never a device or a pipe */
		regular = fstat(fileno(m->f), &st) == 0 && S_ISREG(st.st_mode);
		if (m->tips) {
			FILE *f = m->f;

			m->f = NULL;
			m->dry = true;
			map_frames(m);
			m->tips = m->nr_runs <= MAP_TIPS_RUNS;
			m->dry = false;
			m->f = f;
			memset(m->keys, 0, sizeof(m->keys));
			memset(m->kinds, 0, sizeof(m->kinds));
			memset(m->task_pgtables, 0, sizeof(m->task_pgtables));
		}
		map_svg_head(m);
	}
	map_frames(m);
	if (m->f) {
		map_svg_tail(m);
		if (ferror(m->f) | (fclose(m->f) != 0)) {
			fflush(stdout);
			fprintf(stderr, "vmdump: writing %s: %s\n", d->svg, strerror(errno));
			if (regular)
				unlink(d->svg);
			rc = 1;
			goto out;
		}
	}
	if (d->json)
		map_json(m, d->svg);
	else
		map_text(m, d->svg);
out:
	free_owners(m->o);
	free(m->o);
	free(m);
	return rc;
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
	A_PID,			/* a guest pid (the view says if no task has it: exit 1) */
	A_VA,			/* a guest virtual address: 32 bits */
	A_UVA,			/* a user address: below TASK_SIZE */
	A_PAGES,		/* a page count, from the A_UVA before it, below TASK_SIZE */
	A_FILE,			/* an inode number, or (not a number) a path: d->sarg */
};

/* A view: name, its arguments' names and kinds (numbers, but for a path
 * in files; map's --svg FILE is an option main takes), and what it does. */
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
	{ "swaps",       "",         0, 0, { 0 }, V_SANE, show_swaps, "swap areas, as /proc/swaps" },
	{ "lru",         "[N]",      0, 1, { A_NUM }, V_SANE, show_lru, "LRU lists per zone, N pfns from each tail (N 8); kswapd" },
	{ "ps",          "",         0, 0, { 0 }, V_SANE, show_ps, "the tasks, as ps -eo pid,ppid,stat,vsz,rss,maj_flt,min_flt,comm" },
	{ "maps",        "PID",      1, 1, { A_PID }, V_SANE, show_maps, "a task's mappings, as /proc/PID/maps" },
	{ "smaps",       "PID",      1, 1, { A_PID }, V_SANE, show_smaps, "mappings with what their PTEs hold, as /proc/PID/smaps" },
	{ "pagemap",     "PID VA [N]", 2, 3, { A_PID, A_UVA, A_PAGES }, V_SANE, show_pagemap, "N pages' /proc/PID/pagemap entries from VA, decoded (N 1)" },
	{ "walk",        "PID VA",   2, 2, { A_PID, A_VA }, 0, show_walk, "VA's translation level by level (PID 0: swapper_pg_dir)" },
	{ "dmesg",       "",         0, 0, { 0 }, 0, show_dmesg, "the kernel log" },
	{ "page",        "PFN",      1, 1, { A_PFN }, V_SANE, show_page, "one struct page, as dump_page() prints it" },
	{ "files",       "[PATH|INODE]", 0, 1, { A_FILE }, V_SANE, show_files, "the page cache's files; with one, its cached pages and mappings" },
	{ "hexdump",     "PA [LEN]", 1, 2, { A_PA, A_NUM }, 0, show_hexdump, "physical memory, as hexdump -C (LEN 256)" },
	{ "check",       "",         0, 0, { 0 }, 0, show_check, "every invariant; exit 1 on a violation" },
	{ "map",         "[--svg FILE]", 0, 0, { 0 }, V_SANE, show_map, "frames by owner and state, per zone; --svg FILE: a picture" },
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
	fprintf(f, "ps columns, one line per task by pid: PID PPID (the guest parent, 0: vmrun)\n"
		   "  STAT (R running, Z zombie, N new: process not attached yet) VSZ RSS (kB)\n"
		   "  MAJFL MINFL (faults) HOSTPID (the host process) SHARED PRIVATE (kB resident in\n"
		   "  frames other PTEs map too, e.g. after fork until copy on write, or this one\n"
		   "  alone: they add up to RSS) ZERO (kB read through the zero page, not in RSS) COMMAND;\n"
		   "  then kswapd and the flusher, when they run: PID -, STAT S (asleep) or R (at work),\n"
		   "  COMMAND [kswapd0] or [pdflush]\n"
		   "lru: per zone, each LRU list's pages (nr_zone_{in,}active_{anon,file}) and its last N\n"
		   "  pfns, those reclaim takes next; then kswapd's host pid, state and wake-ups,\n"
		   "  swappiness, page-cluster and the OOM killer's count\n"
		   "page of an anonymous frame: a 'mapped by pid N (COMM) at VA (rw|ro)' line per PTE\n"
		   "  that maps it, found through its anon_vma's list of VMAs; of a page-cache frame: its\n"
		   "  file and index, the same lines found through the file's i_mmap list, and whether\n"
		   "  the file's tree holds it; of the zero page: the PTEs of each task that map it;\n"
		   "  'lru:' the LRU list it is on, 'swapcache:' its swap entry as TYPE:OFFSET with the\n"
		   "  slot's count\n"
		   "files columns, one line per mapped file in the page cache: DEV (major:minor, hex)\n"
		   "  INODE SIZE (bytes) CACHED DIRTY WBACK (pages in the cache, dirty, under writeback)\n"
		   "  MAPS (VMAs that map it) READ WRITTEN (pages read from and written to it) PATH; then\n"
		   "  the flusher (pdflush). files PATH (or INODE; ./N for a path that is a number): that\n"
		   "  file's cached pages, INDEX PFN MAPCOUNT REFCOUNT FLAGS, and the VMAs that map it\n"
		   "pagemap lines: VA ENTRY STATE [pfn=PFN | type=T offset=OFF] [soft-dirty] [exclusive] [file]\n"
		   "  ENTRY is the 64-bit /proc/PID/pagemap word in hex (63 present, 62 swapped,\n"
		   "  61 file/shared, 56 exclusive, 55 soft-dirty, 0-54 pfn); STATE is present, swapped,\n"
		   "  none (in a VMA, not in RAM), unmapped (no VMA) or bad (tables unreadable)\n"
		   "map: every frame counted as free, pcp, reserved, slab, pagetable, vmalloc, kernel,\n"
		   "  anon or file (the page cache), per zone, per memblock region and per task; --svg\n"
		   "  FILE also writes a picture of every frame coloured by owner and state (an SVG file\n"
		   "  for a browser; a cell aggregates frames above 1 GiB, tooltips up to 256 MiB);\n"
		   "  --json gives the counts\n");
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

/* Arguments that are wrong on any machine: pids, guest addresses, counts. */
static int check_args(const struct view *vw, const struct dump *d)
{
	int i;

	for (i = 0; i < d->nargs; i++) {
		uint64_t a = d->arg[i];

		if (vw->kind[i] == A_PID && a > INT32_MAX)
			return bad_usage("PID %llu out of range", (unsigned long long)a);
		if (vw->kind[i] == A_VA && a > UINT32_MAX)
			return bad_usage("VA %#llx is not a 32-bit guest address", (unsigned long long)a);
		if (vw->kind[i] == A_UVA && a >= TASK_SIZE)
			return bad_usage("VA %#llx is not a user address (below %#lx)",
					 (unsigned long long)a, TASK_SIZE);
		if (vw->kind[i] == A_PAGES) {
			uint64_t first = i > 0 && vw->kind[i - 1] == A_UVA ? d->arg[i - 1] >> PAGE_SHIFT : 0;

			if (a == 0 || a > USER_PAGES - first)
				return bad_usage("N %llu: from page %#llx that runs past the user range (%#lx)",
						 (unsigned long long)a, (unsigned long long)first << PAGE_SHIFT,
						 TASK_SIZE);
		}
	}
	return 0;
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
		} else if (!strcmp(argv[i], "--svg")) {
			if (i + 1 == argc)
				return bad_usage("--svg needs a FILE");
			d.svg = argv[++i];
		} else if (!strncmp(argv[i], "--svg=", 6)) {
			d.svg = argv[i] + 6;
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
	if (d.svg && vw->show != show_map)
		return bad_usage("--svg FILE goes with the map view only");
	if (d.svg && !*d.svg)
		return bad_usage("--svg needs a FILE");
	d.nargs = npos - 2;
	if (d.nargs < vw->min_args || d.nargs > vw->max_args)
		return bad_usage("%s takes %s%s", vw->name, *vw->args ? "" : "no arguments",
				 vw->args);
	for (i = 0; i < d.nargs; i++) {
		if (!parse_number(pos[2 + i], &d.arg[i]))
			continue;
		if (vw->kind[i] == A_FILE && pos[2 + i][0]) {
			d.sarg = pos[2 + i];
			continue;
		}
		return bad_usage("%s: '%s' is not a number (decimal or 0x hex)", vw->name, pos[2 + i]);
	}

	rc = check_args(vw, &d);
	if (rc)
		return rc;

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
