/* mstress - a malloc stress for a guest: random vm_malloc, vm_calloc,
 * vm_realloc and vm_free over 2048 slots, sizes from 0 to 600 KiB (most
 * small, one in a hundred big enough for a mapping of its own), every
 * block filled with words derived from its seed and checked whole before
 * it is freed and after it moves; calloc'd blocks checked zero. Everything
 * is freed at the end. Run it under vmrun:
 *
 *   vmrun -- guests/mstress [OPS [SEED]]      (OPS default 100000)
 *
 * Prints "mstress: OPS ops, peak KIB KiB, ok" (peak: the most bytes held
 * at once) and exits 0; on a wrong byte or a failed allocation it says
 * which operation and exits 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vm/guest.h>

#define SLOTS	2048
#define KiB	1024UL

static struct {
	unsigned char *p;
	size_t n;
	uint32_t seed;
} slot[SLOTS];

static uint64_t word_at(uint32_t seed, size_t i)
{
	uint64_t z = ((uint64_t)seed << 32) + i + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void fill(unsigned char *b, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t w = word_at(seed, i / 8);

		memcpy(b + i, &w, 8);
	}
	for (; i < n; i++)
		b[i] = (unsigned char)(word_at(seed, i / 8) >> (8 * (i % 8)));
}

/* The first offset where b differs from its seed's words, or n. */
static size_t check(const unsigned char *b, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t w = word_at(seed, i / 8);

		if (memcmp(b + i, &w, 8))
			break;
	}
	for (; i < n; i++)
		if (b[i] != (unsigned char)(word_at(seed, i / 8) >> (8 * (i % 8))))
			return i;
	return n;
}

static unsigned rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(*s >> 33);
}

static size_t pick_size(uint64_t *rs)
{
	unsigned r = rnd(rs) % 100;

	if (r < 60)
		return rnd(rs) % 257;
	if (r < 85)
		return 257 + rnd(rs) % 3840;
	if (r < 97)
		return 4097 + rnd(rs) % 61440;
	if (r < 99)
		return 65537 + rnd(rs) % 65535;
	return 128 * KiB + rnd(rs) % (472 * KiB);
}

static int failed(unsigned long op, const char *what, size_t n, size_t at)
{
	fprintf(stderr, "mstress: op %lu: %s (%zu bytes, offset %zu)\n", op, what, n, at);
	return 1;
}

int main(int argc, char **argv)
{
	unsigned long ops = argc > 1 ? strtoul(argv[1], NULL, 0) : 100000;
	uint64_t rs = argc > 2 ? strtoull(argv[2], NULL, 0) : 12345;
	size_t live = 0, peak = 0, n, at;
	uint32_t seed = 1;
	unsigned long op;
	unsigned i;

	if (!vm_is_guest()) {
		fprintf(stderr, "mstress: not a guest; run it under vmrun\n");
		return 2;
	}
	for (op = 0; op < ops; op++) {
		unsigned kind;

		i = rnd(&rs) % SLOTS;
		n = pick_size(&rs);
		kind = rnd(&rs) % 100;
		if (!slot[i].p) {
			slot[i].p = kind < 30 ? vm_calloc(1, n) : vm_malloc(n);
			if (!slot[i].p)
				return failed(op, strerror(errno), n, 0);
			if ((uintptr_t)slot[i].p % 16)
				return failed(op, "misaligned block", n, 0);
			if (kind < 30)
				for (at = 0; at < n; at++)
					if (slot[i].p[at])
						return failed(op, "calloc'd block not zero", n, at);
			slot[i].n = n;
			slot[i].seed = seed++;
			fill(slot[i].p, n, slot[i].seed);
			live += n;
		} else if (kind < 50) {
			if ((at = check(slot[i].p, slot[i].n, slot[i].seed)) != slot[i].n)
				return failed(op, "block changed before free", slot[i].n, at);
			vm_free(slot[i].p);
			live -= slot[i].n;
			slot[i].p = NULL;
		} else {
			unsigned char *q;
			size_t keep;

			n = n ? n : 1;
			q = vm_realloc(slot[i].p, n);
			if (!q)
				return failed(op, strerror(errno), n, 0);
			keep = n < slot[i].n ? n : slot[i].n;
			if ((at = check(q, keep, slot[i].seed)) != keep)
				return failed(op, "realloc lost contents", n, at);
			live = live - slot[i].n + n;
			slot[i].p = q;
			slot[i].n = n;
			slot[i].seed = seed++;
			fill(q, n, slot[i].seed);
		}
		if (live > peak)
			peak = live;
	}
	for (i = 0; i < SLOTS; i++) {
		if (!slot[i].p)
			continue;
		if ((at = check(slot[i].p, slot[i].n, slot[i].seed)) != slot[i].n)
			return failed(ops, "block changed by the end", slot[i].n, at);
		vm_free(slot[i].p);
		slot[i].p = NULL;
	}
	printf("mstress: %lu ops, peak %zu KiB, ok\n", ops, peak / KiB);
	return 0;
}
