/* bench_alloc.c - BENCH alloc: order-0 alloc_pages/__free_pages pairs
 * against glibc malloc(4096)/free pairs, then mixed orders 0-3 against
 * malloc of the same sizes; alternating rounds, medians. */
#include <stdint.h>
#include <string.h>
#include <vm/kernel.h>

#include "bench.h"

#define PAIRS (1 << 21)
#define BATCH 16	/* allocations held at once in the mixed run */

static volatile uintptr_t sink;

static double ours_order0(void)
{
	double t = now_s();

	for (int i = 0; i < PAIRS; i++) {
		struct page *p = alloc_pages(GFP_KERNEL, 0);
		sink += (uintptr_t)p;
		__free_pages(p, 0);
	}
	return PAIRS / (now_s() - t) / 1e6;
}

static double ref_order0(void)
{
	double t = now_s();

	for (int i = 0; i < PAIRS; i++) {
		void *p = malloc(4096);
		sink += (uintptr_t)p;
		free(p);
	}
	return PAIRS / (now_s() - t) / 1e6;
}

/* Orders cycle 0,1,2,3 over a window of BATCH live blocks. */
static double ours_mixed(void)
{
	struct page *live[BATCH] = { 0 };
	unsigned order[BATCH] = { 0 };
	double t = now_s();

	for (int i = 0; i < PAIRS / 4; i++) {
		int s = i % BATCH;
		if (live[s])
			__free_pages(live[s], order[s]);
		order[s] = (unsigned)(i * 7 + (i >> 4)) & 3;
		live[s] = alloc_pages(GFP_KERNEL, order[s]);
	}
	for (int s = 0; s < BATCH; s++)
		if (live[s])
			__free_pages(live[s], order[s]);
	return PAIRS / 4 / (now_s() - t) / 1e6;
}

static double ref_mixed(void)
{
	void *live[BATCH] = { 0 };
	double t = now_s();

	for (int i = 0; i < PAIRS / 4; i++) {
		int s = i % BATCH;
		free(live[s]);
		live[s] = malloc(4096u << ((unsigned)(i * 7 + (i >> 4)) & 3));
		sink += (uintptr_t)live[s];
	}
	for (int s = 0; s < BATCH; s++)
		free(live[s]);
	return PAIRS / 4 / (now_s() - t) / 1e6;
}

int main(void)
{
	struct vm_boot_opts o = { .ram_bytes = 256ULL << 20 };
	double a[ROUNDS], b[ROUNDS], c[ROUNDS], d[ROUNDS];

	if (vm_boot(&o) != 0) {
		printf("BENCH alloc: skipped (%s)\n", vm_strerror());
		return 0;
	}
	for (int r = 0; r < ROUNDS; r++) {
		a[r] = ours_order0();
		b[r] = ref_order0();
		c[r] = ours_mixed();
		d[r] = ref_mixed();
	}
	bench_line("alloc", median(a, ROUNDS), "Mpairs/s", "malloc(4096)/free", median(b, ROUNDS));
	bench_line("alloc-mixed", median(c, ROUNDS), "Mpairs/s", "malloc(4-32K)/free", median(d, ROUNDS));
	vm_destroy();
	return 0;
}
