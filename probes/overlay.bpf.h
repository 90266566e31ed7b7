/* overlay.bpf.h — the real files behind an overlayfs inode (included by
 * path.bpf.h, after the watch maps).
 *
 * A file in an overlay's merged directory has an inode of the overlay's
 * own: the overlay's device, and the inode number of the file it shows
 * (with xino, that number with the layer's id in its top bits).  The watch
 * maps hold the real file's (device, inode), so an overlay with
 * lowerdir=/etc would hide /etc/shadow from them.  The file shown is the
 * upper layer's once copied up, else the topmost lower layer's, which
 * stays the copy's origin: a file is watched through an overlay when
 * either is.  Only reached when the inode number passed the bloom filter
 * and the lookup by the overlay's device missed. */
#ifndef BPFALERT_OVERLAY_BPF_H
#define BPFALERT_OVERLAY_BPF_H

#define OVERLAYFS_SUPER_MAGIC 0x794c7630

/* ovl_inode's lower layer: an ovl_entry since 6.5 (the vmlinux.h layout),
 * a struct ovl_path from 5.19, the inode alone before. */
struct ovl_inode___path {
	struct ovl_path lowerpath;
} __attribute__((preserve_access_index));

struct ovl_inode___inode {
	struct inode *lower;
} __attribute__((preserve_access_index));

/* xino puts the layer's id in the top bits of i_ino: 32 of them when every
 * layer has 32-bit inode numbers, else as few as the layers need.  The
 * numbers below them are tried too; the real inode decides. */
static __always_inline bool ovl_xino_maybe(__u64 ino)
{
	if (!(ino >> 32))
		return false;
	return ino_maybe_watched(ino & 0xffffffffULL) ||
	       ino_maybe_watched(ino & ((1ULL << 56) - 1));
}

static __always_inline struct inode *ovl_lower_inode(struct ovl_inode *oi)
{
	struct dentry *d = NULL;

	if (bpf_core_field_exists(oi->oe)) {
		struct ovl_entry *oe = BPF_CORE_READ(oi, oe);

		if (!oe || BPF_CORE_READ(oe, __numlower) == 0)
			return NULL;
		bpf_core_read(&d, sizeof(d), &oe->__lowerstack[0].dentry);
		return d ? BPF_CORE_READ(d, d_inode) : NULL;
	}
	if (bpf_core_field_exists(((struct ovl_inode___path *)oi)->lowerpath)) {
		d = BPF_CORE_READ((struct ovl_inode___path *)oi, lowerpath.dentry);
		return d ? BPF_CORE_READ(d, d_inode) : NULL;
	}
	return BPF_CORE_READ((struct ovl_inode___inode *)oi, lower);
}

static __always_inline bool real_watched(struct inode *real, struct probe_inode_key *k)
{
	struct probe_inode_key rk;

	if (!real)
		return false;
	rk.dev = BPF_CORE_READ(real, i_sb, s_dev);
	rk.ino = BPF_CORE_READ(real, i_ino);
	if (!bpf_map_lookup_elem(&watch_files, &rk))
		return false;
	*k = rk;
	return true;
}

/* True if the overlay inode shows a watched file; *k is then that file's. */
static __always_inline bool overlay_watched(struct inode *inode, struct probe_inode_key *k)
{
	struct ovl_inode *oi;
	struct dentry *upper;

	/* overlayfs is a module (Debian's kernels): its types are in its own
	 * BTF, which libbpf finds only while it is loaded.  Without them the
	 * relocations below fail and the verifier must not reach them. */
	if (!bpf_core_type_exists(struct ovl_inode) ||
	    BPF_CORE_READ(inode, i_sb, s_magic) != OVERLAYFS_SUPER_MAGIC)
		return false;
	oi = (struct ovl_inode *)((void *)inode - bpf_core_field_offset(struct ovl_inode, vfs_inode));
	upper = BPF_CORE_READ(oi, __upperdentry);
	if (upper && real_watched(BPF_CORE_READ(upper, d_inode), k))
		return true;
	return real_watched(ovl_lower_inode(oi), k);
}

#endif
