/* path.bpf.h — file paths and the watch list, in the kernel.
 *
 * A watched file is known by (device, inode): opening it through a
 * relative path, "..", a symbolic link or another hard link reaches the
 * same inode, and so does an overlay showing it (overlay.bpf.h).  A
 * watched directory is matched by walking the file's
 * parents (at most PROBE_DIR_DEPTH) and looking each one up; the verdict
 * for a (dentry, inode) is cached so that the read and write hooks, which
 * run on every call, cost one lookup.  Renames and new hard links can move
 * a file into or out of a watched directory, so they bump dir_epoch and
 * every cached verdict becomes stale.
 *
 * Files matched by neither are looked up by basename (name_watched) where
 * the caller asks for it: opens, and the security_* hooks.
 *
 * Paths are built by walking dentries up to the task's root (so a
 * process in a container sees its own paths, as with d_path), crossing
 * mount points, leaf first (see probe.h). */
#ifndef BPFALERT_PATH_BPF_H
#define BPFALERT_PATH_BPF_H

#include "filter.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PROBE_WATCH_MAX);
	__type(key, struct probe_inode_key);
	__type(value, __u32);
} watch_files SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PROBE_WATCH_MAX);
	__type(key, struct probe_inode_key);
	__type(value, __u32);
} watch_dirs SEC(".maps");

/* Basenames of watched paths: path-name system calls are filtered on them. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PROBE_WATCH_MAX);
	__type(key, struct probe_name_key);
	__type(value, __u32);
} watch_names SEC(".maps");

#include "overlay.bpf.h"
#include "replace.bpf.h"

/* Written by user space through the mmap'd .bss (and watch_ndirs, in
 * filter.bpf.h). */
__u64 dir_epoch;

struct verdict_key {
	__u64 dentry;
	__u64 dev;
	__u64 ino;
	__u32 gen;
	__u32 pad;
};

struct verdict {
	__u64 epoch;
	__u64 dir_ino;
	__u32 match;
	__u32 below;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct verdict_key);
	__type(value, struct verdict);
} verdicts SEC(".maps");

/* What matched: the file's identity, how, and for a directory match which
 * directory and how many components below it the file lies. */
struct match_info {
	struct probe_inode_key key;
	__u64 dir_ino;
	__u32 match;         /* enum probe_match, or 0 */
	__u32 below;
	__u32 item;          /* PROBE_MATCH_REPLACED: the watch list's item */
};

static __always_inline void dir_walk(struct dentry *dentry, struct verdict *v, __u64 dev)
{
	struct probe_inode_key pk = { .dev = dev };

	for (int i = 0; i < PROBE_DIR_DEPTH; i++) {
		struct dentry *parent = BPF_CORE_READ(dentry, d_parent);

		if (!parent || parent == dentry)
			break;
		/* d_parent never leaves the superblock: same device. */
		pk.ino = BPF_CORE_READ(parent, d_inode, i_ino);
		if (bpf_map_lookup_elem(&watch_dirs, &pk)) {
			v->match = PROBE_MATCH_DIR;
			v->dir_ino = pk.ino;
			v->below = i + 1;
			return;
		}
		dentry = parent;
	}
}

/* True if the open file is certainly not watched: its inode is none of
 * the watched ones (nor, through an overlay, may show one), no parent is
 * a watched directory and, by_name, its basename is not a watched one.
 * False: look it up in full (watch_match, name_watched). */
static __always_inline bool typed_unwatched(struct file *file, bool by_name)
{
	struct dentry *d = TYPED(file)->f_path.dentry;
	struct inode *inode;
	__u64 ino;

	if (!d)
		return false;
	inode = d->d_inode;
	if (!inode)
		return false;
	ino = inode->i_ino;
	if (ino_maybe_watched(ino) || ovl_xino_maybe(ino))
		return false;
	if (by_name && typed_name_maybe(d))
		return false;
	if (COST_CUT == 14)
		return true;
	return !*(volatile __u32 *)&watch_ndirs || !typed_dir_maybe(d);
}

/* Fills *m; returns m->match. */
static __always_inline __u32 watch_match(struct inode *inode, struct dentry *dentry,
					 struct match_info *m)
{
	struct verdict_key vk = {};
	struct verdict nv = {}, *v;
	__u64 epoch;
	bool maybe;

	m->key.dev = 0;
	m->key.ino = BPF_CORE_READ(inode, i_ino);
	m->match = m->below = m->item = 0;
	m->dir_ino = 0;
	maybe = ino_maybe_watched(m->key.ino) || ovl_xino_maybe(m->key.ino);
	CUT(6, maybe);
	if (!maybe && !*(volatile __u32 *)&watch_ndirs)
		return 0;
	m->key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	CUT(7, m->key.dev);
	if (maybe && (bpf_map_lookup_elem(&watch_files, &m->key) ||
		      overlay_watched(inode, &m->key)))
		return m->match = PROBE_MATCH_FILE;
	if (maybe && replaced_watched(inode, &m->key, &m->item))
		return m->match = PROBE_MATCH_REPLACED;
	if (!*(volatile __u32 *)&watch_ndirs)
		return 0;

	vk.dentry = (__u64)dentry;
	vk.dev = m->key.dev;
	vk.ino = m->key.ino;
	vk.gen = BPF_CORE_READ(inode, i_generation);
	epoch = *(volatile __u64 *)&dir_epoch;
	CUT(8, vk.gen);
	v = bpf_map_lookup_elem(&verdicts, &vk);
	CUT(9, v);
	if (!v || v->epoch != epoch) {
		nv.epoch = epoch;
		dir_walk(dentry, &nv, m->key.dev);
		bpf_map_update_elem(&verdicts, &vk, &nv, BPF_ANY);
		v = &nv;
	}
	m->match = v->match;
	m->dir_ino = v->dir_ino;
	m->below = v->below;
	return m->match;
}

/* True if the file's directory verdict, still current, is that no watched
 * directory holds it (a file the caller opened or mapped before). */
static __always_inline bool verdict_unwatched(struct file *f)
{
	struct dentry *d = BPF_CORE_READ(f, f_path.dentry);
	struct inode *inode = BPF_CORE_READ(f, f_inode);
	struct verdict_key vk = { .dentry = (__u64)d };
	struct verdict *v;

	vk.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	vk.ino = BPF_CORE_READ(inode, i_ino);
	vk.gen = BPF_CORE_READ(inode, i_generation);
	v = bpf_map_lookup_elem(&verdicts, &vk);
	return v && v->epoch == *(volatile __u64 *)&dir_epoch && !v->match;
}

/* A file whose basename is watched, for files that are not the watched
 * inodes: a container's own /etc/passwd, or a watched path replaced a
 * moment ago.  User space keeps it only if its path, as the process sees
 * it, is a watched path. */
static __always_inline bool name_watched(struct dentry *dentry)
{
	struct probe_name_key k = {};

	if (!name_maybe_watched(dentry))
		return false;
	bpf_probe_read_kernel_str(k.name, sizeof(k.name), BPF_CORE_READ(dentry, d_name.name));
	return bpf_map_lookup_elem(&watch_names, &k) != NULL;
}

/* The walk is a bpf_loop (5.17+) callback, verified once whatever the
 * depth: as a bounded loop the verifier followed every iteration, and
 * the mount crossings made the states of successive iterations differ,
 * so each program that builds a path cost 470,000 to 930,000 verified
 * instructions on 6.1 (over the 1,000,000 limit for some) and seconds of
 * loading each.  The write offset is masked into [0, PROBE_PATH_BUF) and
 * probe.h's buffer has PROBE_NAME_MAX bytes of slack past that. */
#define PATH_OFF_MASK (PROBE_PATH_BUF - 1)

struct path_walk {
	struct probe_path *p;
	struct dentry *dentry, *root_dentry;
	struct vfsmount *vfsmnt, *root_mnt;
	struct mount *mnt;
	__u32 off, depth;
	__u16 flags;
};

/* One step up from w->dentry; 1 ends the walk. */
static long path_step(__u32 i, void *data)
{
	struct path_walk *w = data;
	struct dentry *dentry = w->dentry, *mnt_root, *parent;
	struct vfsmount *vfsmnt = w->vfsmnt;
	struct mount *mnt = w->mnt;
	const unsigned char *name;
	__u32 off = w->off;
	bool pseudo;
	long n;

	if (dentry == w->root_dentry && vfsmnt == w->root_mnt) {
		w->flags = 0;
		return 1;
	}
	mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	parent = BPF_CORE_READ(dentry, d_parent);
	/* A pseudo file (a memfd, an anonymous inode) is its own parent
	 * without being a mount's root: its name, then stop. */
	pseudo = dentry == parent && dentry != mnt_root;
	if (!pseudo && (dentry == mnt_root || dentry == parent)) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

		if (up == mnt || !up) {     /* the global root */
			w->flags = mount_detached(mnt) ? PROBE_PATH_DETACHED : 0;
			return 1;
		}
		/* Continue in the parent mount, from the mount point. */
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = up;
		w->vfsmnt = mount_vfs(up);
		return 0;
	}
	if (off > PROBE_PATH_BUF - PROBE_NAME_MAX)
		return 1;
	name = BPF_CORE_READ(dentry, d_name.name);
	n = bpf_probe_read_kernel_str(w->p->buf + (off & PATH_OFF_MASK), PROBE_NAME_MAX, name);
	if (n <= 1)
		return 1;
	w->off = (off + (__u32)n) & PATH_OFF_MASK;
	w->depth++;
	if (pseudo) {
		w->flags = PROBE_PATH_DETACHED;
		return 1;
	}
	w->dentry = parent;
	return 0;
}

static __always_inline void path_walk(struct probe_path *p, struct dentry *dentry,
				      struct vfsmount *vfsmnt, struct task_struct *task)
{
	struct path_walk w = {
		.p = p,
		.dentry = dentry,
		.root_dentry = BPF_CORE_READ(task, fs, root.dentry),
		.vfsmnt = vfsmnt,
		.root_mnt = BPF_CORE_READ(task, fs, root.mnt),
		.mnt = real_mount(vfsmnt),
		.flags = PROBE_PATH_TRUNCATED,
	};

	bpf_loop(PROBE_PATH_DEPTH, path_step, &w, 0);
	if (w.flags & PROBE_PATH_TRUNCATED)
		stat_inc(PROBE_STAT_PATH_TRUNC);
	p->len = w.off;
	p->depth = w.depth;
	p->flags = w.flags;
	p->pad = 0;
}

#endif
