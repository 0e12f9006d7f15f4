/* vmrun.c - boot a machine, run a program on it, reap, report. vmrun is
 * the supervisor: it creates the RAM file, makes a task for each guest
 * (pid 1.., with an address space as exec leaves one), starts PROGRAM as
 * a child with the machine's path (VM_RAM) and its task (VM_PID) in the
 * environment, waits, marks any lock a dead child held so nobody waits on
 * a corpse, frees what a guest that died without exiting still held,
 * checks the machine once the guests are gone, and removes the RAM file
 * unless --keep. Swap areas (--swap, --swap-file) are switched on right
 * after boot; a swap file vmrun made goes with the RAM file. kswapd starts
 * next, before the first guest, as a child of vmrun in a process group of
 * its own, so that waiting for the guests (vmrun's process group) never
 * waits for it; it is stopped once the last guest is reaped.
 */
#include <errno.h>
#include <getopt.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vm/kernel.h>

#define MAX_GUESTS	64
#define MAX_SWAP_FILES	MAX_SWAPFILES

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmrun [--ram SIZE] [--swap SIZE] [--swap-file PATH[:PRIO]]... [--mode i386|pae]\n"
		"             [--name NAME] [--keep] [--tlb ENTRIES] [--folio-order N] [--guests N]\n"
		"             [--io auto|sync|uring] [--no-kswapd] [--fail-swap-io [write=N][,read=M]]\n"
		"             [--dirty-expire MS] [--no-flusher] [--ram-file PATH]\n"
		"             -- PROGRAM [ARGS]\n"
		"  --ram SIZE    RAM of the machine: bytes, or with K/M/G (default 64M, at least 16M;\n"
		"                i386 reaches 4G, pae 64G)\n"
		"  --swap SIZE   make a swap file of SIZE beside the RAM file (/dev/shm/vm-NAME.swap),\n"
		"                mkswap it and swapon it; removed with the RAM file unless --keep\n"
		"  --swap-file PATH[:PRIO]  swapon an existing swap file (made by mkswap), at\n"
		"                priority PRIO (0..32767, higher first; default -1, -2, ... in order);\n"
		"                repeatable, never deleted\n"
		"  --mode MODE   paging: i386 (2 levels, default) or pae (3 levels)\n"
		"  --name NAME   RAM file /dev/shm/vm-NAME.ram, for vmdump NAME ...\n"
		"  --ram-file PATH  the RAM file at PATH instead (made, and removed unless --keep):\n"
		"                for a host whose /dev/shm is mounted noexec, as code mapped\n"
		"                from emulated RAM needs an exec mount; vmdump takes the path\n"
		"  --keep        leave the RAM file when the machine stops\n"
		"  --tlb N       host mappings a guest keeps before evicting (default %d, %d..%d)\n"
		"  --folio-order N  an anonymous fault maps 2^N pages at once (default %d, 0: one page,\n"
		"                at most %d)\n"
		"  --guests N    run N copies of PROGRAM at once as guests 1..N (default 1, at most %d)\n"
		"  --io MODE     swap I/O: sync (pread/pwrite), uring (io_uring, batched) or auto\n"
		"                (default): uring when libvm has liburing, the host allows io_uring\n"
		"                and a swap area is not on tmpfs (memory: no device wait to overlap)\n"
		"  --no-kswapd   no kswapd: only the allocating process reclaims (direct reclaim)\n"
		"  --fail-swap-io [write=N][,read=M]  test hook: the next N page writes and M page\n"
		"                reads to swap fail with EIO\n"
		"  --dirty-expire MS  the flusher writes file pages dirty for longer than MS\n"
		"                milliseconds (vm.dirty_expire_centisecs; default 30000) and looks\n"
		"                every MS/2 (default every 5000)\n"
		"  --no-flusher  no flusher (pdflush): dirty file pages reach their files only at\n"
		"                msync, munmap, exit and reclaim\n",
		VM_TLB_DEFAULT, VM_TLB_MIN, VM_TLB_MAX, VM_FOLIO_ORDER_DEFAULT, VM_FOLIO_ORDER_MAX,
		MAX_GUESTS);
}

struct guest {
	pid_t host_pid;			/* 0 once reaped */
	int   pid;			/* guest pid */
	int   status;			/* wait status */
	struct task_struct task;	/* as it was when reaped */
};

static struct guest guests[MAX_GUESTS];
static int nr_guests;

static void forward(int sig)
{
	int i;

	for (i = 0; i < nr_guests; i++)
		if (guests[i].host_pid > 0)
			kill(guests[i].host_pid, sig);
}

static struct guest *guest_by_host_pid(pid_t pid)
{
	int i;

	for (i = 0; i < nr_guests; i++)
		if (guests[i].host_pid == pid)
			return &guests[i];
	return NULL;
}

static int nr_forked;		/* guests made by vm_fork, reaped here too */

/* Wait for any guest process: vmrun started some, and it is the host
 * parent of every process they fork (clone with CLONE_PARENT). Guests
 * stay in vmrun's process group and kswapd, also vmrun's child, leaves it
 * (kswapd_run), so waiting on the group waits for guests alone; a guest
 * that left the group itself (setpgid, setsid) would not be waited for.
 * Before a guest is reaped (its pid cannot be reused yet), hand any lock
 * it held to the next owner; then run the exit a guest killed by a signal
 * never ran. The guest vmrun started, or NULL for a forked one; 0 in
 * *more when no guest is left. */
static struct guest *reap_one(bool *more)
{
	struct guest *g;
	siginfo_t si;
	int status;

	*more = true;
	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PGID, (id_t)getpgrp(), &si, WEXITED | WNOWAIT) == 0)
			break;
		if (errno != EINTR) {
			/* ECHILD: no guest left */
			if (errno != ECHILD)
				perror("vmrun: wait");
			*more = false;
			return NULL;
		}
	}
	/* Settle the task while the process is still a zombie: once it is
	 * reaped, the host may give its pid to the next guest forked, and
	 * the task table would name two processes by it. */
	vm_lock_mark_dead_owner(si.si_pid);
	if (si.si_code == CLD_EXITED)
		status = (si.si_status & 0xff) << 8;
	else
		status = (si.si_status & 0x7f) | (si.si_code == CLD_DUMPED ? 0x80 : 0);
	vm_task_died(si.si_pid, status);
	while (waitpid(si.si_pid, NULL, 0) < 0)
		if (errno != EINTR)
			return NULL;
	g = guest_by_host_pid(si.si_pid);
	if (!g) {
		nr_forked++;
		return NULL;
	}
	g->status = status;
	g->host_pid = 0;
	vm_task_reap(g->pid, &g->task);
	return g;
}

/* The swap file --swap makes: the RAM file's path with .swap for .ram. */
static void swap_path_of(const char *ram, char *buf, size_t len)
{
	size_t n = strlen(ram);

	if (n > 4 && !strcmp(ram + n - 4, ".ram"))
		n -= 4;
	snprintf(buf, len, "%.*s.swap", (int)n, ram);
}

/* --swap-file PATH[:PRIO]: the path in path, the priority (or -1 for the
 * default) returned; exits 2 on a bad priority. */
static int parse_swap_file(const char *arg, char *path, size_t len);

static int parse_uint(const char *opt, const char *arg, long lo, long hi)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno || *end || end == arg || n < lo || n > hi) {
		fprintf(stderr, "vmrun: %s wants a number from %ld to %ld, not '%s'\n", opt, lo, hi,
			arg);
		usage(stderr);
		exit(2);
	}
	return (int)n;
}

static int parse_swap_file(const char *arg, char *path, size_t len)
{
	const char *colon = strrchr(arg, ':');
	int prio = -1;

	if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
		prio = parse_uint("--swap-file priority", colon + 1, 0, 32767);
		snprintf(path, len, "%.*s", (int)(colon - arg), arg);
	} else {
		snprintf(path, len, "%s", arg);
	}
	if (!*path || strlen(arg) >= len) {
		fprintf(stderr, "vmrun: --swap-file wants PATH[:PRIO], not '%s'\n", arg);
		usage(stderr);
		exit(2);
	}
	return prio;
}

/* --io MODE: the mode, -1 for auto, or usage and exit 2. */
static int parse_io(const char *arg)
{
	if (!strcmp(arg, "auto"))
		return -1;
	if (!strcmp(arg, "sync"))
		return SWAP_IO_SYNC;
	if (!strcmp(arg, "uring"))
		return SWAP_IO_URING;
	fprintf(stderr, "vmrun: --io is auto, sync or uring, not '%s'\n", arg);
	usage(stderr);
	exit(2);
}

/* --fail-swap-io [write=N][,read=M], either part alone too, each at most
 * once: the counts, or usage and exit 2. */
static void parse_fail_swap_io(const char *arg, uint32_t *writes, uint32_t *reads)
{
	const char *p = arg;
	bool seen_w = false, seen_r = false;

	*writes = *reads = 0;
	for (;;) {
		bool *seen;
		uint32_t *n;
		unsigned long v;
		char *end;

		if (!strncmp(p, "write=", 6)) {
			seen = &seen_w, n = writes, p += 6;
		} else if (!strncmp(p, "read=", 5)) {
			seen = &seen_r, n = reads, p += 5;
		} else {
			break;
		}
		if (*seen || *p < '0' || *p > '9')
			break;
		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno || v > UINT32_MAX)
			break;
		*seen = true;
		*n = (uint32_t)v;
		p = end;
		if (!*p)
			return;
		if (*p++ != ',')
			break;
	}
	fprintf(stderr, "vmrun: --fail-swap-io wants write=N, read=M or write=N,read=M, not '%s'\n",
		arg);
	usage(stderr);
	exit(2);
}

/* The default I/O mode: io_uring pays off where a read or write waits
 * for a device; where the file is memory (tmpfs) there is no wait to
 * overlap, and a ring round trip costs more than a pread unless the batch
 * is large (measured: 8 pages 1.5 us a page against 1.0; 32 pages 0.8
 * against 1.1; a guest thrashing twice its RAM, the same either way). So
 * uring when some area is not on tmpfs and the host gives us io_uring. */
static void choose_io_mode(void)
{
	bool disk = false;
	unsigned i;

	for (i = 0; i < MAX_SWAPFILES; i++) {
		const struct swap_info_struct *si = &vm_kdata->swap.areas[i];
		struct statfs sf;

		if ((si->flags & SWP_USED) && statfs(si->path, &sf) == 0 && sf.f_type != TMPFS_MAGIC)
			disk = true;
	}
	if (!disk || swap_set_io_mode(SWAP_IO_URING) != 0)
		swap_set_io_mode(SWAP_IO_SYNC);
}

/* Leave: the machine removed (and the swap file it made) unless keep. */
static int stop_machine(bool keep, const char *made_swap, int code)
{
	if (keep) {
		vm_detach();
	} else {
		vm_destroy();
		if (made_swap[0])
			unlink(made_swap);
	}
	return code;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ram",         required_argument, NULL, 'r' },
		{ "mode",        required_argument, NULL, 'm' },
		{ "name",        required_argument, NULL, 'n' },
		{ "keep",        no_argument,       NULL, 'k' },
		{ "tlb",         required_argument, NULL, 't' },
		{ "folio-order", required_argument, NULL, 'f' },
		{ "guests",      required_argument, NULL, 'g' },
		{ "swap",        required_argument, NULL, 's' },
		{ "swap-file",   required_argument, NULL, 'S' },
		{ "io",          required_argument, NULL, 'i' },
		{ "no-kswapd",   no_argument,       NULL, 'K' },
		{ "fail-swap-io", required_argument, NULL, 'F' },
		{ "dirty-expire", required_argument, NULL, 'D' },
		{ "no-flusher",  no_argument,       NULL, 'P' },
		{ "ram-file",    required_argument, NULL, 'R' },
		{ "help",        no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vm_boot_opts o = { 0 };
	struct sigaction sa;
	struct vm_view view;
	struct vm_report rep = { .out = stderr };
	unsigned long boot_free;
	const char *prog;
	bool keep = false;
	int64_t swap_bytes = 0;
	static char swap_files[MAX_SWAP_FILES][256];
	int swap_prio[MAX_SWAP_FILES], nr_swap_files = 0;
	char made_swap[300] = "";
	unsigned long swap_kib = 0;
	uint64_t ev[NR_VM_EVENT_ITEMS];
	uint32_t fail_writes = 0, fail_reads = 0;
	bool no_kswapd = false, no_flusher = false;
	long dirty_expire_ms = -1;
	unsigned long dropped = 0;
	pid_t kswapd = 0, flusher = 0;
	int io_mode = -1;
	int opt, code = 0, n = 1, i;

	while ((opt = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r': {
			int64_t sz = vm_parse_size(optarg);
			if (sz < (int64_t)VM_MIN_RAM) {
				fprintf(stderr, "vmrun: bad --ram size '%s' (16M at least)\n", optarg);
				usage(stderr);
				return 2;
			}
			o.ram_bytes = (uint64_t)sz;
			break;
		}
		case 'm':
			if (!strcmp(optarg, "i386"))
				o.mode = VM_MODE_I386;
			else if (!strcmp(optarg, "pae"))
				o.mode = VM_MODE_PAE;
			else {
				fprintf(stderr, "vmrun: --mode is i386 or pae, not '%s'\n", optarg);
				usage(stderr);
				return 2;
			}
			break;
		case 'n':
			if (!*optarg || strchr(optarg, '/') || strlen(optarg) > 31) {
				fprintf(stderr, "vmrun: --name wants 1-31 characters and no '/'\n");
				usage(stderr);
				return 2;
			}
			o.name = optarg;
			break;
		case 'k':
			keep = true;
			break;
		case 't':
			o.tlb_entries = (unsigned)parse_uint("--tlb", optarg, VM_TLB_MIN, VM_TLB_MAX);
			break;
		case 'f':
			o.folio_order = parse_uint("--folio-order", optarg, 0, VM_FOLIO_ORDER_MAX);
			if (o.folio_order == 0)
				o.folio_order = -1;
			break;
		case 'g':
			n = parse_uint("--guests", optarg, 1, MAX_GUESTS);
			break;
		case 's':
			swap_bytes = vm_parse_size(optarg);
			if (swap_bytes < (int64_t)(10 * PAGE_SIZE)) {
				fprintf(stderr, "vmrun: bad --swap size '%s' (40K at least)\n", optarg);
				usage(stderr);
				return 2;
			}
			break;
		case 'S':
			if (nr_swap_files + (swap_bytes ? 1 : 0) >= MAX_SWAP_FILES) {
				fprintf(stderr, "vmrun: at most %d swap areas\n", MAX_SWAP_FILES);
				usage(stderr);
				return 2;
			}
			swap_prio[nr_swap_files] = parse_swap_file(optarg, swap_files[nr_swap_files],
								   sizeof(swap_files[0]));
			if (access(swap_files[nr_swap_files], R_OK | W_OK)) {
				fprintf(stderr, "vmrun: --swap-file %s: %s\n", swap_files[nr_swap_files],
					strerror(errno));
				usage(stderr);
				return 2;
			}
			nr_swap_files++;
			break;
		case 'i':
			io_mode = parse_io(optarg);
			break;
		case 'K':
			no_kswapd = true;
			break;
		case 'P':
			no_flusher = true;
			break;
		case 'R':
			if (!*optarg) {
				usage(stderr);
				return 2;
			}
			o.path = optarg;
			break;
		case 'D': {
			char *end;

			dirty_expire_ms = strtol(optarg, &end, 10);
			if (*end || dirty_expire_ms < 10 || dirty_expire_ms > 86400000) {
				fprintf(stderr, "vmrun: --dirty-expire %s: milliseconds, 10 to 86400000\n",
					optarg);
				usage(stderr);
				return 2;
			}
			break;
		}
		case 'F':
			parse_fail_swap_io(optarg, &fail_writes, &fail_reads);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "vmrun: no PROGRAM to run\n");
		usage(stderr);
		return 2;
	}
	prog = strrchr(argv[optind], '/') ? strrchr(argv[optind], '/') + 1 : argv[optind];

	if (vm_boot(&o) != 0) {
		fprintf(stderr, "vmrun: cannot boot: %s\n", vm_strerror());
		return 1;
	}
	if (ram_file_noexec())
		fprintf(stderr, "vmrun: note: %s is on a noexec mount: guests cannot run code from "
			"emulated RAM (PROT_EXEC mappings fail with EPERM); --ram-file PATH on an "
			"exec mount allows it\n", vm_ram_path());
	/* Swap before the first guest, and before boot_free is taken: the
	 * swap maps stay until the machine goes. */
	if (swap_bytes) {
		char made[300];
		int err;

		swap_path_of(vm_ram_path(), made, sizeof(made));
		err = mkswap_file(made, (uint64_t)swap_bytes);
		if (!err)
			snprintf(made_swap, sizeof(made_swap), "%s", made);
		if (!err)
			err = swapon_file(made, -1);
		if (err) {
			fprintf(stderr, "vmrun: --swap: cannot set up %s: %s\n", made, strerror(-err));
			return stop_machine(false, made_swap, 1);
		}
	}
	for (i = 0; i < nr_swap_files; i++) {
		int err = swapon_file(swap_files[i], swap_prio[i]);

		if (err) {
			fprintf(stderr, "vmrun: --swap-file %s: %s%s\n", swap_files[i], strerror(-err),
				err == -EINVAL ? " (not a valid swap file: run mkswap on it)" : "");
			usage(stderr);
			return stop_machine(false, made_swap, 2);
		}
	}
	swap_kib = total_swap_pages() << (PAGE_SHIFT - 10);
	if (io_mode < 0) {
		choose_io_mode();
	} else if (swap_set_io_mode((enum swap_io_mode)io_mode) != 0) {
		fprintf(stderr, "vmrun: --io uring: %s\n", swap_uring_built() ?
			"this host refuses io_uring (try --io sync)" :
			"libvm was built without liburing (try --io sync)");
		return stop_machine(false, made_swap, 1);
	}
	vm_kdata->swap.fail_writes = fail_writes;
	vm_kdata->swap.fail_reads = fail_reads;
	/* Linux starts kswapd with or without swap: it also keeps the free
	 * lists above the low watermark for allocations that cannot wait. */
	if (!no_kswapd) {
		kswapd = kswapd_run();
		if (kswapd < 0) {
			fprintf(stderr, "vmrun: cannot start kswapd: %s (--no-kswapd runs without)\n",
				strerror(-kswapd));
			return stop_machine(false, made_swap, 1);
		}
	}

	if (dirty_expire_ms > 0) {
		struct filemap_state *fs = &vm_kdata->filemap;

		fs->dirty_expire_cs = (uint32_t)((dirty_expire_ms + 9) / 10);
		if (fs->dirty_writeback_cs > fs->dirty_expire_cs / 2)
			fs->dirty_writeback_cs = fs->dirty_expire_cs / 2 ? fs->dirty_expire_cs / 2 : 1;
	}
	if (!no_flusher) {
		flusher = flusher_run();
		if (flusher < 0) {
			fprintf(stderr, "vmrun: cannot start the flusher: %s (--no-flusher runs without)\n",
				strerror(-flusher));
			if (kswapd > 0)
				kswapd_stop();
			return stop_machine(false, made_swap, 1);
		}
	}

	drain_all_pages();
	boot_free = nr_free_frames();
	setenv("VM_RAM", vm_ram_path(), 1);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	for (i = 0; i < n; i++) {
		struct guest *g = &guests[i];
		char spid[16];
		pid_t c;

		g->pid = vm_task_create(prog, 0);
		if (g->pid < 0) {
			fprintf(stderr, "vmrun: cannot make guest %d: %s\n", i + 1, strerror(-g->pid));
			code = 1;
			break;
		}
		snprintf(spid, sizeof(spid), "%d", g->pid);
		setenv("VM_PID", spid, 1);
		c = fork();
		if (c < 0) {
			perror("vmrun: fork");
			vm_task_reap(g->pid, NULL);
			code = 1;
			break;
		}
		if (c == 0) {
			/* The guest must not outlive its supervisor. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() == 1)
				_exit(1);
			vm_detach();
			execvp(argv[optind], argv + optind);
			fprintf(stderr, "vmrun: cannot run %s: %s\n", argv[optind], strerror(errno));
			_exit(127);
		}
		g->host_pid = c;
		nr_guests++;
	}

	/* until every guest and every process they forked is gone */
	for (;;) {
		bool more;

		reap_one(&more);
		if (!more)
			break;
	}
	/* the page cache is written back and dropped (sync; echo 3 >
	 * drop_caches), so every frame it held is counted free again, and
	 * the flusher, which holds the files open, goes after it */
	dropped = filemap_drop_caches();
	if (flusher > 0)
		flusher_stop();
	/* before the checks: a machine with reclaim running is not still */
	if (kswapd > 0)
		kswapd_stop();
	for (i = 0; i < nr_guests; i++) {
		if (guests[i].host_pid) {
			fprintf(stderr, "vmrun: lost track of pid %d\n", guests[i].pid);
			code = 1;
		}
	}
	for (i = 0; i < nr_guests; i++) {
		struct guest *g = &guests[i];
		int c;

		if (WIFSIGNALED(g->status)) {
			c = 128 + WTERMSIG(g->status);
			fprintf(stderr, "vmrun: pid %d (%s) killed by signal %d (%s)\n", g->pid, prog,
				WTERMSIG(g->status), strsignal(WTERMSIG(g->status)));
		} else {
			c = WEXITSTATUS(g->status);
		}
		fprintf(stderr, "vmrun: pid %d (%s): %s %d, minflt %llu, majflt %llu, tlb-miss %llu, "
			"peak rss %llu KiB\n", g->pid, prog,
			WIFSIGNALED(g->status) ? "signal" : "exit", WIFSIGNALED(g->status) ?
			WTERMSIG(g->status) : WEXITSTATUS(g->status),
			(unsigned long long)g->task.min_flt, (unsigned long long)g->task.maj_flt,
			(unsigned long long)g->task.tlb_miss,
			(unsigned long long)g->task.hiwater_rss << (PAGE_SHIFT - 10));
		if (!code)
			code = c;
	}

	if (nr_forked)
		fprintf(stderr, "vmrun: %d forked guest%s reaped\n", nr_forked,
			nr_forked == 1 ? "" : "s");
	drain_all_pages();
	memset(ev, 0, sizeof(ev));
	if (vm_self_view(&view) == 0) {
		validate_machine(&view, &rep);
		vm_sum_events(&view, ev);
	}
	if (swap_kib)
		fprintf(stderr, "vmrun: swap %lu MiB, %lu KiB used, pswpin %llu, pswpout %llu, "
			"pgmajfault %llu, oom_kill %llu\n", (swap_kib + 1023) >> 10,
			(total_swap_pages() - nr_swap_pages()) << (PAGE_SHIFT - 10),
			(unsigned long long)ev[PSWPIN], (unsigned long long)ev[PSWPOUT],
			(unsigned long long)ev[PGMAJFAULT], (unsigned long long)ev[OOM_KILL]);
	else if (ev[OOM_KILL])
		fprintf(stderr, "vmrun: no swap, oom_kill %llu\n", (unsigned long long)ev[OOM_KILL]);
	if (ev[PGPGIN] || ev[PGPGOUT] || dropped)
		fprintf(stderr, "vmrun: page cache: pgpgin %llu KiB, pgpgout %llu KiB, nr_written %lu, "
			"%lu pages dropped at stop\n", (unsigned long long)ev[PGPGIN],
			(unsigned long long)ev[PGPGOUT], global_node_page_state(NR_WRITTEN), dropped);
	fprintf(stderr, "vmrun: %s: %lu MiB %s, %lu of %lu frames free (%lu at boot)%s\n",
		vm_ram_path(), (unsigned long)(vm_boot_block->ram_bytes >> 20),
		vm_boot_block->mode == VM_MODE_PAE ? "pae" : "i386", nr_free_frames(),
		max_pfn, boot_free, rep.violations ? ", check FAILED" : ", check ok");
	return stop_machine(keep, made_swap, code);
}
