/* bloom.h — the bit that stands for a watched inode or basename in the
 * kernel's pre-filters (filter.bpf.h), computed the same way by the loader
 * (which sets the bits) and by the BPF programs (which test them).
 *
 * Both filters have PROBE_BLOOM_BITS bits and one hash: a clear bit means
 * "certainly not watched", a set bit "look it up".  With the few dozen
 * watched entries of a node, well under 2% of other files pass. */
#ifndef BPFALERT_BLOOM_H
#define BPFALERT_BLOOM_H

#define PROBE_BLOOM_BITS  4096
#define PROBE_BLOOM_WORDS (PROBE_BLOOM_BITS / 64)

/* Fibonacci hashing: the top 12 bits of the product. */
static inline unsigned probe_bloom_ino(unsigned long long ino)
{
	return (unsigned)((ino * 0x9E3779B97F4A7C15ULL) >> 52);
}

/* A basename by its length and its first 8 bytes (little-endian, the
 * bytes past the name's end zero). */
static inline unsigned probe_bloom_name(unsigned len, unsigned long long head)
{
	return probe_bloom_ino(head ^ ((unsigned long long)len << 56) ^ len);
}

#endif
