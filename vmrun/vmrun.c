/* vmrun.c - boot a machine, run a program on it, reap, report. vmrun is
 * the supervisor: it creates the RAM file, starts PROGRAM as a child with
 * the machine's path in its environment (VM_RAM), waits for it, marks any
 * lock a dead child held so nobody waits on a corpse, checks the machine
 * once the child is gone, and removes the RAM file unless --keep.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vm/kernel.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmrun [--ram SIZE] [--mode i386|pae] [--name NAME] [--keep] -- PROGRAM [ARGS]\n"
		"  --ram SIZE    RAM of the machine: bytes, or with K/M/G (default 64M, at least 16M;\n"
		"                i386 reaches 4G, pae 64G)\n"
		"  --mode MODE   paging: i386 (2 levels, default) or pae (3 levels)\n"
		"  --name NAME   RAM file /dev/shm/vm-NAME.ram, for vmdump NAME ...\n"
		"  --keep        leave the RAM file when the machine stops\n");
}

static pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

/* Wait for the child; before it is reaped (its pid cannot be reused yet),
 * hand any lock it held to the next owner. */
static int reap(pid_t pid)
{
	siginfo_t si;
	int status;

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) == 0)
			break;
		if (errno != EINTR)
			return -1;
	}
	vm_lock_mark_dead_owner(pid);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ram",  required_argument, NULL, 'r' },
		{ "mode", required_argument, NULL, 'm' },
		{ "name", required_argument, NULL, 'n' },
		{ "keep", no_argument,       NULL, 'k' },
		{ "help", no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vm_boot_opts o = { 0 };
	struct sigaction sa;
	struct vm_view view;
	struct vm_report rep = { .out = stderr };
	unsigned long boot_free;
	bool keep = false;
	int opt, status, code;

	while ((opt = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r': {
			int64_t n = vm_parse_size(optarg);
			if (n <= 0) {
				fprintf(stderr, "vmrun: bad --ram size '%s'\n", optarg);
				usage(stderr);
				return 2;
			}
			o.ram_bytes = (uint64_t)n;
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

	if (vm_boot(&o) != 0) {
		fprintf(stderr, "vmrun: cannot boot: %s\n", vm_strerror());
		return 1;
	}
	drain_all_pages();
	boot_free = nr_free_frames();
	setenv("VM_RAM", vm_ram_path(), 1);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	child = fork();
	if (child < 0) {
		perror("vmrun: fork");
		vm_destroy();
		return 1;
	}
	if (child == 0) {
		/* The guest must not outlive its supervisor. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(1);
		vm_detach();
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "vmrun: cannot run %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}

	status = reap(child);
	if (status < 0) {
		perror("vmrun: wait");
		code = 1;
	} else if (WIFSIGNALED(status)) {
		code = 128 + WTERMSIG(status);
		fprintf(stderr, "vmrun: pid 1 (%s) killed by signal %d (%s)\n", argv[optind],
			WTERMSIG(status), strsignal(WTERMSIG(status)));
	} else {
		code = WEXITSTATUS(status);
	}

	drain_all_pages();
	if (vm_self_view(&view) == 0)
		validate_machine(&view, &rep);
	fprintf(stderr, "vmrun: %s: %lu MiB %s, %lu of %lu frames free (%lu at boot)%s\n",
		vm_ram_path(), (unsigned long)(vm_boot_block->ram_bytes >> 20),
		vm_boot_block->mode == VM_MODE_PAE ? "pae" : "i386", nr_free_frames(),
		max_pfn, boot_free, rep.violations ? ", check FAILED" : ", check ok");
	if (keep)
		vm_detach();
	else
		vm_destroy();
	return code;
}
