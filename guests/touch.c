/* touch - touch N pages of one anonymous mapping, one write each, every
 * STRIDE-th page (default 1: every page), and say what the emulated MMU
 * counted: minor faults, TLB refills, resident pages. One line on stdout,
 * for the demo and the benchmarks to show or parse:
 *
 *   $ vmrun -- guests/touch 1000 4
 *   touch: 1000 pages, stride 4: minflt 250 majflt 0 tlb-miss 0 rss 4000 pages, 812 ns a touch
 *
 * (with the default 16-page folio, a touch every 4th page faults once a
 * folio: 250 faults make 4000 pages resident). The time is the touching
 * loop alone, host clock, for the curious; tests never read it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <vm/guest.h>

#define PAGE 4096u

static long arg(const char *s, const char *what)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 0);
	if (errno || *end || end == s || n < 1 || n > (1L << 20)) {
		fprintf(stderr, "touch: %s wants a number from 1 to %ld, not '%s'\n", what, 1L << 20, s);
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	struct vm_rusage a, b;
	struct timespec t0, t1;
	unsigned long n, stride, i;
	char *p;
	double ns;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: touch N [STRIDE]   (under vmrun)\n"
			"  write one byte to each of N pages, every STRIDE-th page of one mapping\n");
		return 2;
	}
	n = (unsigned long)arg(argv[1], "N");
	stride = argc > 2 ? (unsigned long)arg(argv[2], "STRIDE") : 1;
	if (!vm_is_guest()) {
		fprintf(stderr, "touch: not a guest; run it under vmrun\n");
		return 2;
	}
	if (n * stride > 0xB0000000ul / PAGE) {
		fprintf(stderr, "touch: %lu pages do not fit in the user space\n", n * stride);
		return 2;
	}
	p = vm_mmap(NULL, n * stride * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (p == MAP_FAILED) {
		perror("touch: vm_mmap");
		return 1;
	}
	vm_getrusage(&a);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		((volatile char *)p)[i * stride * PAGE] = (char)i;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	vm_getrusage(&b);
	ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
	printf("touch: %lu pages, stride %lu: minflt %llu majflt %llu tlb-miss %llu rss %llu pages, "
	       "%.0f ns a touch\n", n, stride, (unsigned long long)(b.minflt - a.minflt),
	       (unsigned long long)(b.majflt - a.majflt),
	       (unsigned long long)(b.tlb_miss - a.tlb_miss), (unsigned long long)b.rss, ns / (double)n);
	return 0;
}
