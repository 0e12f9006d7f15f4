/* bench_boot.c - BENCH boot: boot a 4 GiB PAE machine and run its first
 * program, against the same for 64 MiB, alternating. The figure is RAM
 * booted per second, so a ratio above 1 means boot cost grows slower than
 * RAM. */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vm/kernel.h>

#include "bench.h"

#define ROUNDS_BOOT 5

/* Seconds from nothing to the first program's exit, machine removed. */
static double boot_once(uint64_t bytes, int mode)
{
	struct vm_boot_opts o = { .ram_bytes = bytes, .mode = mode };
	double t = now_s();
	int status;
	pid_t pid;

	if (vm_boot(&o) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	t = now_s() - t;
	vm_destroy();
	return t;
}

int main(void)
{
	double big[ROUNDS_BOOT], small[ROUNDS_BOOT];
	const uint64_t gib4 = 4ULL << 30, mib64 = 64ULL << 20;

	for (int r = 0; r < ROUNDS_BOOT; r++) {
		big[r] = boot_once(gib4, VM_MODE_PAE);
		small[r] = boot_once(mib64, VM_MODE_I386);
		if (big[r] < 0 || small[r] < 0) {
			printf("BENCH boot: skipped (%s)\n", vm_strerror());
			return 0;
		}
	}
	double tb = median(big, ROUNDS_BOOT), ts = median(small, ROUNDS_BOOT);
	printf("# boot to first program: 4 GiB pae %.1f ms, 64 MiB i386 %.1f ms\n", tb * 1e3, ts * 1e3);
	bench_line("boot", 4096.0 / tb, "MiB/s", "64M-boot", 64.0 / ts);
	return 0;
}
