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

/* A path as read into the kernel's memory, cut at PROBE_NAME_MAX. */
struct name_buf {
	char c[PROBE_NAME_MAX];
};

/* The offset in b, a string of n bytes (its NUL included), just past its
 * last '/': where its basename starts.  A global function, verified once
 * on its own: inlined or static, a caller's check of the offset made the
 * verifier follow every outcome of every iteration apart (a million
 * instructions for uring_submit_btf). */
__noinline int basename_off(const struct name_buf *b, long n)
{
	int last = 0;

	if (!b)
		return 0;
	for (int i = 0; i < PROBE_NAME_MAX; i++) {
		if (i >= n)
			break;
		if (b->c[i] == '/')
			last = i + 1;
	}
	return last;
}

/* The basename of a path, in user memory or the kernel's, into *k; false
 * if it is empty or longer than a key holds (such a name is never
 * watched: see watch.c).  Its length is taken from the whole path, so a
 * name of exactly PROBE_KEYNAME_MAX - 1 bytes, which fills the key, is
 * not taken for a cut one. */
static __noinline bool path_basename(const char *path, bool kernel, struct probe_name_key *k)
{
	struct name_buf buf;
	long n = kernel ? bpf_probe_read_kernel_str(buf.c, sizeof(buf.c), path)
			: bpf_probe_read_user_str(buf.c, sizeof(buf.c), path);
	long len;
	int last;

	if (n <= 1)
		return false;
	last = basename_off(&buf, n);
	len = n - 1 - last;
	if (len < 1 || len >= PROBE_KEYNAME_MAX)
		return false;
	n = kernel ? bpf_probe_read_kernel_str(k->name, sizeof(k->name), path + last)
		   : bpf_probe_read_user_str(k->name, sizeof(k->name), path + last);
	return n > 1;
}

/* A rename or link that took put the entry `k` in some directory: each
 * watched file of that basename is checked in its own. */
static __always_inline void replace_name(const struct probe_name_key *k)
{
	struct probe_places *ps = bpf_map_lookup_elem(&watch_places, k);

	if (!ps)
		return;
	for (int i = 0; i < PROBE_PLACES_MAX; i++)
		if (i < ps->n)
			place_check(&ps->p[i], k);
}

/* A rename or link that took, whose new name is argument `arg` (2 or 4). */
static __always_inline void replace_check(long ret, int arg)
{
	struct probe_name_key k = {};
	struct pt_regs *regs;
	const char *uname;

	if (ret != 0)
		return;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	if (!regs)
		return;
	uname = (const char *)(arg == 2 ? PT_REGS_PARM2_CORE_SYSCALL(regs)
					: PT_REGS_PARM4_CORE_SYSCALL(regs));
	if (path_basename(uname, false, &k))
		replace_name(&k);
}

/* io_uring's renames and links run in an io-wq worker, with no system
 * call exit to check them at: each one is noted when it is submitted
 * (its new name is freed by the time it completes), and checked as a
 * system call is at its exit when its completion is posted
 * (uring_done_btf).  A request
 * whose completion is not posted (IOSQE_CQE_SKIP_SUCCESS) is left to user
 * space, which reads the watch list again on its name record. */
struct uring_entry {
	struct probe_name_key name;   /* the new basename, if a watched one */
	__u32 opcode;
	__u32 check;                  /* name is set */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);           /* the request (struct io_kiocb *) */
	__type(value, struct uring_entry);
} uring_entries SEC(".maps");

/* Set once a request was noted: until then completions cost nothing. */
__u32 uring_noted;

static __always_inline void uring_entry_note(void *req, __u32 opcode, const char *newname,
					     bool dirs)
{
	struct uring_entry e = { .opcode = opcode };
	__u64 key = (__u64)req;

	e.check = path_basename(newname, true, &e.name) &&
		  bpf_map_lookup_elem(&watch_places, &e.name);
	if (!e.check && !dirs)
		return;
	bpf_map_update_elem(&uring_entries, &key, &e, BPF_ANY);
	if (!*(volatile __u32 *)&uring_noted)
		*(volatile __u32 *)&uring_noted = 1;
}

#endif
