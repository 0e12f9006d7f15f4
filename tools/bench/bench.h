/* bench.h - timing helpers shared by the benchmarks: monotonic clock,
 * medians, and the BENCH line format of PERFORMANCE.md. */
#ifndef BENCH_H
#define BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ROUNDS 7

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static inline double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ratio = ours / reference as throughput: above 1 we are faster. */
static inline void bench_line(const char *name, double ours, const char *unit,
			      const char *ref_name, double ref)
{
	printf("BENCH %s: ours %.3f %s, %s %.3f %s, ratio %.2f\n", name, ours, unit,
	       ref_name, ref, unit, ref > 0 ? ours / ref : 0.0);
	fflush(stdout);
}

#endif /* BENCH_H */
