/* filter.bpf.h — early exits for the common case, a file nobody watches,
 * before any map lookup or string copy (included by path.bpf.h).
 *
 * The loader sets one bit per watched file's inode number and one per
 * watched basename (bloom.h), through the mmap'd .bss, before the watch
 * maps gain the entries; a program that adds to watch_files itself must
 * call ino_bloom_add first. */
#ifndef BPFALERT_FILTER_BPF_H
#define BPFALERT_FILTER_BPF_H

#include "bloom.h"

__u64 ino_bloom[PROBE_BLOOM_WORDS];
__u64 name_bloom[PROBE_BLOOM_WORDS];

static __always_inline bool bloom_has(__u64 *bloom, __u32 bit)
{
	bit &= PROBE_BLOOM_BITS - 1;
	return *(volatile __u64 *)&bloom[bit / 64] & (1ULL << (bit % 64));
}

static __always_inline bool ino_maybe_watched(__u64 ino)
{
	return bloom_has(ino_bloom, probe_bloom_ino(ino));
}

static __always_inline void ino_bloom_add(__u64 ino)
{
	__u32 bit = probe_bloom_ino(ino) & (PROBE_BLOOM_BITS - 1);

	__sync_fetch_and_or(&ino_bloom[bit / 64], 1ULL << (bit % 64));
}

/* False if the dentry's basename is certainly not watched: its length
 * and first bytes, without copying the name. */
static __always_inline bool name_maybe_watched(struct dentry *dentry)
{
	__u64 hash_len = BPF_CORE_READ(dentry, d_name.hash_len);
	__u32 len = hash_len >> 32;
	__u64 head = 0;

	if (len == 0 || len >= PROBE_KEYNAME_MAX)
		return false;
	/* A fault (a short name at the end of a page) only means: look. */
	if (bpf_probe_read_kernel(&head, sizeof(head), BPF_CORE_READ(dentry, d_name.name)))
		return true;
	if (len < 8)
		head &= (1ULL << (len * 8)) - 1;
	return bloom_has(name_bloom, probe_bloom_name(len, head));
}

#endif
