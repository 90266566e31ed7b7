/* filter.bpf.h — early exits for the common case, a file nobody watches,
 * before any map lookup or string copy (included by path.bpf.h).
 *
 * The loader sets one bit per watched file's inode number, one per
 * watched directory's and one per watched basename (bloom.h), through the
 * mmap'd .bss, before the watch maps gain the entries; a program that adds
 * to watch_files itself must call ino_bloom_add first.
 *
 * Where the kernel has bpf_rdonly_cast (6.2+), file_unwatched decides on
 * plain loads alone, before anything else runs: every helper call costs
 * about 30 ns here (measured: tests/bench/cost_parts.sh), more than the
 * rest of an unwatched file's check together. */
#ifndef BPFALERT_FILTER_BPF_H
#define BPFALERT_FILTER_BPF_H

#include "bloom.h"

__u64 ino_bloom[PROBE_BLOOM_WORDS];
__u64 dir_bloom[PROBE_BLOOM_WORDS];
__u64 name_bloom[PROBE_BLOOM_WORDS];

/* Written by user space through the mmap'd .bss. */
__u32 watch_ndirs;

/* Set by the loader where bpf_rdonly_cast may be called; the verifier
 * drops the code of the other case. */
const volatile bool typed_loads = false;

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/* p as a pointer the verifier lets the program load through (faults
 * read as zero), only where typed_loads. */
#define TYPED(p) ((typeof(p))bpf_rdonly_cast((p), bpf_core_type_id_kernel(typeof(*(p)))))

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

/* The 8 bytes at p, a kernel address (struct rb_node's first member is
 * an unsigned long on every kernel), by a plain load. */
static __always_inline __u64 typed_u64(const void *p)
{
	struct rb_node *n = bpf_rdonly_cast(p, bpf_core_type_id_kernel(struct rb_node));

	return n->__rb_parent_color;
}

/* name_maybe_watched by plain loads.  No load can fault: a name shorter
 * than 8 bytes is inside the dentry (d_iname), a longer one is at least
 * 8 bytes long. */
static __always_inline bool typed_name_maybe(struct dentry *d)
{
	__u64 hash_len = d->d_name.hash_len;
	__u32 len = hash_len >> 32;
	__u64 head;

	if (len == 0 || len >= PROBE_KEYNAME_MAX)
		return false;
	head = typed_u64(d->d_name.name);
	if (len < 8)
		head &= (1ULL << (len * 8)) - 1;
	return bloom_has(name_bloom, probe_bloom_name(len, head));
}

/* False if no parent of d up to the file system's root is a watched
 * directory, by its inode number; true if one may be, or the walk ended
 * before the root (the full check decides). */
static __always_inline bool typed_dir_maybe(struct dentry *d)
{
	for (int i = 0; i < PROBE_DIR_DEPTH; i++) {
		struct dentry *parent = d->d_parent;

		if (!parent || parent == d)
			return false;
		if (bloom_has(dir_bloom, probe_bloom_ino(parent->d_inode->i_ino)))
			return true;
		d = parent;
	}
	return true;
}

#endif
