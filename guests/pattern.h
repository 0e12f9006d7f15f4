/* pattern.h - what the guests that check their pages share: a key per
 * page and round that makes a page holding another page's data, another
 * round's, or zeroes wrong in every word, and a monotonic clock. Plain C:
 * mmapf uses it natively too.
 */
#ifndef GUEST_PATTERN_H
#define GUEST_PATTERN_H

#include <stdint.h>
#include <time.h>

#define PAGE		4096u
#define WORDS		(PAGE / 8)		/* 64-bit words a page */

/* splitmix64's finalizer: distinct inputs give unrelated outputs. */
static inline uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The key of page idx in round round of seed's data; word j of the page
 * is key ^ j * K. */
static inline uint64_t page_key(uint64_t seed, uint32_t round, uint64_t idx)
{
	return mix(mix(seed * 0x9E3779B97F4A7C15ULL + round) + idx);
}

#define WORD_K	0xD1B54A32D192ED03ULL

static inline uint64_t word_of(uint64_t key, unsigned j)
{
	return key ^ (j * WORD_K);
}

static inline void fill_page(void *p, uint64_t key)
{
	uint64_t *w = p;
	unsigned j;

	for (j = 0; j < WORDS; j++)
		w[j] = word_of(key, j);
}

/* The first word of the page that is not key's, or -1. */
static inline int page_bad(const void *p, uint64_t key)
{
	const uint64_t *w = p;
	unsigned j;

	for (j = 0; j < WORDS; j++)
		if (w[j] != word_of(key, j))
			return (int)j;
	return -1;
}

/* CLOCK_MONOTONIC in seconds. */
static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* GUEST_PATTERN_H */
