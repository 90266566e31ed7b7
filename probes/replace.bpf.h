/* replace.bpf.h — a watched path replaced by rename is watched at its new
 * inode from the moment the rename returns (included by path.bpf.h).
 *
 * `cp F F.new && mv F.new F` (passwd, vipw, sed -i) gives F a new inode.
 * User space learns it when it stats the list again; until then an access
 * that does not name F (through a hard link made before the rename, a
 * descriptor, a handle) would match nothing.  So at the exit of every
 * rename or link whose new basename is that of a watched file, the
 * directory that holds the watched file is searched for the entry of that
 * name, and if it names another inode than the watched one, that inode
 * goes into `replaced`, which watch_match consults after watch_files.
 *
 * The directories come from user space as descriptors it holds open (so
 * their dentries stay), turned into dentry addresses by place_resolve,
 * run by the loader in the daemon's own context.  An entry of `replaced`
 * is trusted only for the inode it was taken from (its address and
 * i_generation are compared), and user space deletes the entries once it
 * has read the list again and watch_files holds the new inode, held open
 * as every watched inode is: a freed inode's number, reused by another
 * file, is never reported. */
#ifndef BPFALERT_REPLACE_BPF_H
#define BPFALERT_REPLACE_BPF_H

/* Watched files' places by basename (filled by user space; dir by
 * place_resolve). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PROBE_WATCH_MAX);
	__type(key, struct probe_name_key);
	__type(value, struct probe_places);
} watch_places SEC(".maps");

/* LRU: renames in a loop cannot fill it against the next one. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PROBE_WATCH_MAX);
	__type(key, struct probe_inode_key);
	__type(value, struct probe_replaced);
} replaced SEC(".maps");

/* True if the inode is one a rename put at a watched path; *item is that
 * path's watch list item. */
static __always_inline bool replaced_watched(struct inode *inode, const struct probe_inode_key *k,
					     __u32 *item)
{
	struct probe_replaced *r = bpf_map_lookup_elem(&replaced, k);

	if (!r || r->inode != (__u64)inode || r->gen != BPF_CORE_READ(inode, i_generation))
		return false;
	*item = r->item;
	return true;
}

/* Before 6.8 a directory's children were a list (d_subdirs, d_child). */
struct dentry___list {
	struct list_head d_subdirs;
	struct list_head d_child;
} __attribute__((preserve_access_index));

struct child_search {
	void *node;          /* the next child's link (d_sib or d_child) */
	void *head;          /* the list's head (list form only) */
	__u64 link_off;      /* offset of that link in struct dentry */
	const struct probe_name_key *name;
	struct dentry *found;
};

/* Both names zero-padded to the key's size (and shorter than it): equal
 * words are equal names. */
static __always_inline bool name_is(struct dentry *d, const struct child_search *s)
{
	struct probe_name_key k = {};
	const __u64 *a = (const __u64 *)k.name, *b = (const __u64 *)s->name->name;

	if ((__u32)(BPF_CORE_READ(d, d_name.hash_len) >> 32) >= PROBE_KEYNAME_MAX)
		return false;
	bpf_probe_read_kernel_str(k.name, sizeof(k.name), BPF_CORE_READ(d, d_name.name));
	for (int i = 0; i < PROBE_KEYNAME_MAX / 8; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* One child: the hashed, positive dentry of that name ends the search (a
 * dentry a rename overwrote keeps its name, unhashed). */
static long child_step(__u32 i, void *data)
{
	struct child_search *s = data;
	struct dentry *d;

	if (!s->node || s->node == s->head)
		return 1;
	d = (struct dentry *)(s->node - s->link_off);
	if (name_is(d, s) && BPF_CORE_READ(d, d_hash.pprev) && BPF_CORE_READ(d, d_inode)) {
		s->found = d;
		return 1;
	}
	bpf_probe_read_kernel(&s->node, sizeof(s->node), s->node);   /* ->next */
	return 0;
}

/* The entry `name` of directory dir, or NULL.  A rename puts the moved
 * dentry first among its new parent's children. */
static __always_inline struct dentry *child_named(struct dentry *dir,
						  const struct probe_name_key *name)
{
	struct child_search s = { .name = name };

	if (bpf_core_field_exists(dir->d_children)) {
		s.link_off = bpf_core_field_offset(struct dentry, d_sib);
		s.node = BPF_CORE_READ(dir, d_children.first);
	} else {
		struct dentry___list *old = (struct dentry___list *)dir;

		s.link_off = bpf_core_field_offset(struct dentry___list, d_child);
		s.head = (void *)old + bpf_core_field_offset(struct dentry___list, d_subdirs);
		s.node = BPF_CORE_READ(old, d_subdirs.next);
	}
	bpf_loop(PROBE_CHILDREN_MAX, child_step, &s, 0);
	return s.found;
}

static __always_inline void place_check(const struct probe_place *p,
					const struct probe_name_key *name)
{
	struct probe_inode_key k;
	struct probe_replaced r = {};
	struct dentry *d;
	struct inode *inode;

	if (!p->dir)
		return;
	d = child_named((struct dentry *)p->dir, name);
	inode = d ? BPF_CORE_READ(d, d_inode) : NULL;
	if (!inode)
		return;
	k.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	k.ino = BPF_CORE_READ(inode, i_ino);
	if (k.dev == p->dev && k.ino == p->ino)
		return;
	r.inode = (__u64)inode;
	r.gen = BPF_CORE_READ(inode, i_generation);
	r.item = p->item;
	r.ktime = bpf_ktime_get_ns();
	ino_bloom_add(k.ino);
	bpf_map_update_elem(&replaced, &k, &r, BPF_ANY);
}

/* The basename of a user string into *k; false if it is too long. */
static __noinline bool user_basename(const char *uname, struct probe_name_key *k)
{
	char buf[PROBE_NAME_MAX];
	long n = bpf_probe_read_user_str(buf, sizeof(buf), uname);
	int last = 0;

	if (n <= 1)
		return false;
	for (int i = 0; i < PROBE_NAME_MAX; i++) {
		if (i >= n)
			break;
		if (buf[i] == '/')
			last = i + 1;
	}
	n = bpf_probe_read_user_str(k->name, sizeof(k->name), uname + last);
	return n > 1 && n < (long)sizeof(k->name);   /* a longer name is cut: never watched */
}

/* A rename or link that took, whose new name is argument `arg` (2 or 4). */
static __always_inline void replace_check(long ret, int arg)
{
	struct probe_name_key k = {};
	struct probe_places *ps;
	struct pt_regs *regs;
	const char *uname;

	if (ret != 0)
		return;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	if (!regs)
		return;
	uname = (const char *)(arg == 2 ? PT_REGS_PARM2_CORE_SYSCALL(regs)
					: PT_REGS_PARM4_CORE_SYSCALL(regs));
	if (!user_basename(uname, &k))
		return;
	ps = bpf_map_lookup_elem(&watch_places, &k);
	if (!ps)
		return;
	for (int i = 0; i < PROBE_PLACES_MAX; i++)
		if (i < ps->n)
			place_check(&ps->p[i], &k);
}

#endif
