// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* probe.bpf.c — bpfalert's kernel programs (DESIGN §8).
 *
 * Several programs exist for each probe; the loader (probe.c) turns on
 * the best set the running kernel accepts and leaves the others unloaded:
 *
 *   exec     tp_btf/sched_process_exec      | tracepoint sched_process_exec
 *   exit     tracepoint sched_process_exit
 *   fork     tp_btf/sched_process_fork      | raw_tp sched_process_fork
 *   files    fentry/security_*              | kprobe/security_*
 *            | syscall tracepoints (open family at exit, resolving the
 *              returned descriptor; read/write families at entry, for
 *              descriptors opened elsewhere; ftruncate, mmap)
 *   names    syscall tracepoints: truncate, unlink, rename, link
 *   connect  fentry/tcp_connect | kprobe/tcp_connect
 *            | tracepoint sock/inet_sock_set_state
 *
 * Only accesses to watched files leave the kernel (path.bpf.h).  One
 * access is reported once per (process image, open file, access kind):
 * the read and write hooks fire on every call, and `cat` of a large file
 * must give one event, not one per block. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "probe.h"
#include "compat.bpf.h"
#include "core_fixes.bpf.h"
#include "path.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The syscall tracepoints' records (include/trace/events/syscalls.h)
 * are a fixed layout; declared here without CO-RE because a relocated
 * array base plus an index is a modified context pointer, which the
 * verifier refuses to dereference. */
struct sys_enter_ctx {
	__u64 common;
	long id;
	unsigned long args[6];
};

struct sys_exit_ctx {
	__u64 common;
	long id;
	long ret;
};

#define FMODE_READ   0x1
#define FMODE_WRITE  0x2
#define FMODE_PATH   0x4000
#define PROT_READ    0x1
#define PROT_WRITE   0x2
#define PROT_EXEC    0x4
#define AF_INET      2
#define AF_INET6     10
#define IPPROTO_TCP  6
#define TCP_SYN_SENT 2

/* ---- identity -------------------------------------------------------- */

static __always_inline void fill_hdr(struct probe_hdr *h, __u32 type,
				     struct task_struct *task)
{
	h->type = type;
	h->pid = BPF_CORE_READ(task, tgid);
	h->tid = BPF_CORE_READ(task, pid);
	h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	h->uid = BPF_CORE_READ(task, cred, euid.val);
	h->auid = task_auid(task);
	h->ktime = bpf_ktime_get_ns();
	BPF_CORE_READ_STR_INTO(&h->comm, task, comm);
}

static __always_inline struct task_struct *current_task(void)
{
	return (struct task_struct *)bpf_get_current_task();
}

/* ---- exec, exit, fork ------------------------------------------------ */

/* The argument block, or when it is longer than PROBE_ARGS_MAX its first
 * PROBE_ARGS_HEAD and last PROBE_ARGS_TAIL bytes: padding cannot push a
 * payload out of sight. */
static __always_inline void read_args(struct probe_exec *r, struct task_struct *task)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	unsigned long start, end, len;

	r->args_len = 0;
	if (!mm)
		return;
	start = BPF_CORE_READ(mm, arg_start);
	end = BPF_CORE_READ(mm, arg_end);
	if (end <= start)
		return;
	len = end - start;
	if (len <= PROBE_ARGS_MAX) {
		if (bpf_probe_read_user(r->args, len, (void *)start) < 0)
			goto err;
		r->args_len = len;
		return;
	}
	r->flags |= PROBE_EXEC_TRUNC_ARGS;
	if (bpf_probe_read_user(r->args, PROBE_ARGS_HEAD, (void *)start) < 0 ||
	    bpf_probe_read_user(r->args + PROBE_ARGS_HEAD, PROBE_ARGS_TAIL,
				(void *)(end - PROBE_ARGS_TAIL)) < 0)
		goto err;
	r->args_len = PROBE_ARGS_MAX;
	return;
err:
	r->flags |= PROBE_EXEC_ERROR_ARGS;
}

static __always_inline void read_cgroup(struct probe_exec *r, struct task_struct *task)
{
	struct cgroup *cg = task_container_cgroup(task);
	long n = 0;

	r->cgroup_len = 0;
	if (!cg || BPF_CORE_READ(cg, level) == 0)
		return;
	n = bpf_probe_read_kernel_str(r->cgroup, sizeof(r->cgroup),
				      BPF_CORE_READ(cg, kn, name));
	if (n > 1)
		r->cgroup_len = n - 1;
}

/* "/dev/fd/N" or "/proc/self/fd/N": fexecve or execveat(fd, "", ...). */
static __always_inline bool by_descriptor(const char *filename)
{
	static const char dev_fd[8] = "/dev/fd/", proc[6] = "/proc/";
	char p[8] = {};
	bool a = true, b = true;

	bpf_probe_read_kernel(p, sizeof(p), filename);
	for (int i = 0; i < 8; i++) {
		a = a && p[i] == dev_fd[i];
		b = b && (i >= 6 || p[i] == proc[i]);
	}
	return a || b;
}

static __always_inline void send_exe(void *ctx, struct task_struct *task)
{
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	struct probe_exe *r;

	if (!exe)
		return;
	r = RESERVE(struct probe_exe);
	if (!r)
		return;
	fill_hdr(&r->h, PROBE_REC_EXE, task);
	path_walk(&r->path, BPF_CORE_READ(exe, f_path.dentry), BPF_CORE_READ(exe, f_path.mnt),
		  task);
	SUBMIT(ctx, r);
}

static __always_inline int do_exec(void *ctx, const char *filename)
{
	struct task_struct *task = current_task();
	struct probe_exec *r;
	struct path pwd;
	long n;

	if (by_descriptor(filename))
		send_exe(ctx, task);
	r = RESERVE(struct probe_exec);
	if (!r)
		return 0;
	fill_hdr(&r->h, PROBE_REC_EXEC, task);
	r->flags = 0;
	n = bpf_probe_read_kernel_str(r->filename, sizeof(r->filename), filename);
	if (n < 1)
		n = 1;
	if (n == sizeof(r->filename))
		r->flags |= PROBE_EXEC_TRUNC_FILENAME;
	r->filename_len = n - 1;
	read_args(r, task);
	read_cgroup(r, task);
	pwd = BPF_CORE_READ(task, fs, pwd);
	if (pwd.dentry)
		path_walk(&r->cwd, pwd.dentry, pwd.mnt, task);
	else {
		r->flags |= PROBE_EXEC_ERROR_CWD;
		r->cwd.len = r->cwd.depth = r->cwd.flags = 0;
	}
	SUBMIT(ctx, r);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return do_exec(ctx, BPF_CORE_READ(bprm, filename));
}

SEC("tracepoint/sched/sched_process_exec")
int exec_tp(struct trace_event_raw_sched_process_exec *ctx)
{
	__u32 loc = ctx->__data_loc_filename;

	return do_exec(ctx, (const char *)ctx + (loc & 0xFFFF));
}

/* The whole thread group is gone once signal->live reaches zero; do_exit
 * decrements it before this tracepoint. */
SEC("tracepoint/sched/sched_process_exit")
int exit_tp(void *ctx)
{
	struct task_struct *task = current_task();
	struct probe_exit *r;

	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	r = RESERVE(struct probe_exit);
	if (!r)
		return 0;
	fill_hdr(&r->h, PROBE_REC_EXIT, task);
	r->exit_code = BPF_CORE_READ(task, exit_code);
	r->pad = 0;
	SUBMIT(ctx, r);
	return 0;
}

static __always_inline int do_fork(void *ctx, struct task_struct *child)
{
	struct probe_fork *r;

	/* New threads are not new processes. */
	if (BPF_CORE_READ(child, tgid) != BPF_CORE_READ(child, pid))
		return 0;
	r = RESERVE(struct probe_fork);
	if (!r)
		return 0;
	fill_hdr(&r->h, PROBE_REC_FORK, child);
	SUBMIT(ctx, r);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork_btf, struct task_struct *parent, struct task_struct *child)
{
	return do_fork(ctx, child);
}

/* The classic tracepoint only carries the child's pid, not whether it is
 * a thread; the raw tracepoint has the task itself. */
SEC("raw_tp/sched_process_fork")
int BPF_PROG(fork_raw, struct task_struct *parent, struct task_struct *child)
{
	return do_fork(ctx, child);
}

/* ---- files ----------------------------------------------------------- */

/* Repeats are suppressed per (process, inode, access): a process flooding
 * accesses to a watched file gets one event per REPEAT_NS, carrying how
 * many like accesses were left out, and cannot crowd other processes'
 * first accesses out of the ring buffer.  A repeat due again is only sent
 * while the ring buffer is at most half full; first accesses always are. */
#define REPEAT_NS 1000000000ULL

/* Set by the loader for TracingPolicies: an open, a read or write and a
 * mapping are accesses of their own (security_file_open,
 * security_file_permission, security_mmap_file), so that the write after
 * an open for writing is not taken for a repeat of the open; and each
 * metadata hook is (security_inode_setxattr then _removexattr of one
 * file are two policy calls). */
const volatile bool policy_accesses = false;
#define KIND_OPEN 0x400   /* in seen_key.access only */
#define KIND_MMAP 0x800
#define KIND_HOOK_SHIFT 16   /* a metadata change's hook, above the PROBE_KIND_* bits */

struct seen_key {
	__u32 tgid;
	__u32 access;    /* PROBE_MAY_* | PROBE_KIND_* */
	__u64 dev;
	__u64 ino;
};

struct seen_val {
	__u64 mm;        /* the process image: an exec starts afresh */
	__u64 last;      /* when it was last reported */
	__u64 count;     /* suppressed since */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct seen_key);
	__type(value, struct seen_val);
} seen SEC(".maps");

/* True if this access is a repeat to leave out; else *repeats is how many
 * were left out since the last report. */
static __always_inline bool suppressed(struct task_struct *task, const struct probe_inode_key *k,
				       __u32 access, __u32 *repeats)
{
	struct seen_key sk = { .tgid = BPF_CORE_READ(task, tgid), .access = access,
			       .dev = k->dev, .ino = k->ino };
	__u64 mm = (__u64)BPF_CORE_READ(task, mm);
	__u64 now = bpf_ktime_get_ns();
	struct seen_val nv = { .mm = mm, .last = now };
	struct seen_val *v = bpf_map_lookup_elem(&seen, &sk);

	*repeats = 0;
	if (v && v->mm == mm) {
		if (now - v->last < REPEAT_NS || !ring_has_room()) {
			__sync_fetch_and_add(&v->count, 1);
			return true;
		}
		*repeats = (__u32)v->count;
	}
	bpf_map_update_elem(&seen, &sk, &nv, BPF_ANY);
	return false;
}

/* O_TRUNC is folded out of f_mode and f_flags by the time an open
 * returns; the caller's flags are read back from its saved registers.
 * `how`: which argument holds them (3 for openat, 2 for open), or -3 for
 * openat2's struct open_how.  0: not an open. */
#define O_TRUNC 01000

static __always_inline bool open_truncates(int how)
{
	struct pt_regs *regs;
	__u64 flags = 0;
	void *uhow;

	if (!how)
		return false;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	if (!regs)
		return false;
	if (how == 2) {
		flags = PT_REGS_PARM2_CORE_SYSCALL(regs);
	} else if (how == 3) {
		flags = PT_REGS_PARM3_CORE_SYSCALL(regs);
	} else {
		uhow = (void *)PT_REGS_PARM3_CORE_SYSCALL(regs);
		bpf_probe_read_user(&flags, sizeof(flags), uhow);
	}
	return flags & O_TRUNC;
}

/* One access to report if the file is watched.  kind: PROBE_KIND_*;
 * by_name: also look the basename up (opens and the security_* hooks;
 * not the read and write system calls, which run on every call). */
struct access {
	__u32 mask;
	__u32 kind;
	__u32 hook;
	int open_how;        /* see open_truncates */
	bool by_name;
	int ret;             /* the opens: the descriptor */
};

/* The access to inode, reached at dentry: its own, or (a link or rename
 * about to be made) the name it is getting. */
static __always_inline int report_as(void *ctx, struct inode *inode, struct dentry *dentry,
				     struct vfsmount *mnt, const struct access *a)
{
	struct task_struct *task;
	struct match_info m;
	struct probe_file *r;
	__u32 mask = a->mask, repeats, access;

	if (!dentry || !mask || !inode)
		return 0;
	CUT(4, inode);
	stat_inc(PROBE_STAT_FILE_SEEN);
	CUT(5, inode);
	watch_match(inode, dentry, &m);
	if (COST_CUT >= 6 && COST_CUT <= 10)
		return 0;
	if (!m.match && a->by_name && name_watched(dentry))
		m.match = PROBE_MATCH_NAME;
	CUT(11, m.match);
	if (!m.match)
		return 0;
	stat_inc(m.match == PROBE_MATCH_NAME ? PROBE_STAT_NAME_CANDIDATE : PROBE_STAT_FILE_MATCHED);
	if (!(mask & PROBE_MAY_WRITE) && open_truncates(a->open_how))
		mask |= PROBE_MAY_WRITE;
	task = current_task();
	access = mask | a->kind;
	if (policy_accesses && (a->hook == PROBE_HOOK_SYS_MMAP ||
				a->hook == PROBE_HOOK_SECURITY_MMAP_FILE))
		access |= KIND_MMAP;
	if (policy_accesses && (a->hook == PROBE_HOOK_SYS_OPEN || a->hook == PROBE_HOOK_SYS_OPENAT ||
				a->hook == PROBE_HOOK_SYS_OPENAT2 || a->hook == PROBE_HOOK_SYS_CREAT))
		access |= KIND_OPEN;
	if (policy_accesses && a->kind == PROBE_KIND_META)
		access |= a->hook << KIND_HOOK_SHIFT;
	if (suppressed(task, &m.key, access, &repeats)) {
		stat_inc(PROBE_STAT_FILE_DEDUP);
		return 0;
	}
	r = RESERVE(struct probe_file);
	if (!r)
		return 0;
	fill_hdr(&r->h, PROBE_REC_FILE, task);
	r->hook = a->hook;
	r->mask = mask;
	r->match = m.match;
	r->mode = BPF_CORE_READ(inode, i_mode);
	r->dev = m.key.dev;
	r->ino = m.key.ino;
	r->dir_ino = m.dir_ino;
	r->below = m.below;
	r->repeats = repeats;
	r->item = m.item;
	r->ret = a->ret;
	r->pad2 = 0;
	path_walk(&r->path, dentry, mnt, task);
	SUBMIT(ctx, r);
	return 0;
}

static __always_inline int report(void *ctx, struct dentry *dentry, struct vfsmount *mnt,
				  const struct access *a)
{
	return dentry ? report_as(ctx, BPF_CORE_READ(dentry, d_inode), dentry, mnt, a) : 0;
}

static __always_inline int report_file(void *ctx, struct file *file, const struct access *a)
{
	struct path p;

	if (!file || !a->mask)
		return 0;
	if (typed_loads && typed_unwatched(file, a->by_name)) {
		CUT(13, file);
		stat_inc(PROBE_STAT_FILE_SEEN);
		return 0;
	}
	/* One read for both members: this runs on every read and write. */
	if (bpf_core_read(&p, sizeof(p), &file->f_path))
		return 0;
	CUT(3, p.dentry);
	return report(ctx, p.dentry, p.mnt, a);
}

#define ACCESS(m, k, h, by) (&(struct access){ .mask = (m), .kind = (k), .hook = (h), .by_name = (by) })

/* The open file behind a descriptor of the current task.  Runs on every
 * read and write: the task's BTF pointer is walked with plain loads
 * (which the verifier makes fault-safe), not one helper call per field. */
static __always_inline struct file *fd_file(long fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct files_struct *files;
	struct fdtable *fdt;
	struct file **fds;
	struct file *f = NULL;

	CUT(12, task);
	files = task->files;

	if (fd < 0 || !files)
		return NULL;
	fdt = files->fdt;
	if (!fdt || (unsigned long)fd >= fdt->max_fds)
		return NULL;
	fds = fdt->fd;
	/* fds[fd] by a plain load, the slot typed as any kernel structure
	 * holding a struct file * (at a known offset). */
	if (typed_loads) {
		f = TYPED((struct kiocb *)((void *)&fds[fd] -
					   bpf_core_field_offset(struct kiocb, ki_filp)))->ki_filp;
		CUT(2, f);
		return f;
	}
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	CUT(2, f);
	return f;
}

/* Run by the loader (BPF_PROG_TEST_RUN) in the daemon's own context: the
 * dentry behind its descriptor args[0], into place_dentry (replace.bpf.h). */
__u64 place_dentry;

SEC("raw_tp")
int place_resolve(struct bpf_raw_tracepoint_args *ctx)
{
	struct file *f = fd_file((long)ctx->args[0]);

	place_dentry = f ? (__u64)BPF_CORE_READ(f, f_path.dentry) : 0;
	return 0;
}

/* The access an open file grants, from its f_mode (O_TRUNC is not in it:
 * see open_truncates). */
static __always_inline __u32 file_mask(struct file *file)
{
	__u32 fmode = typed_loads ? TYPED(file)->f_mode : BPF_CORE_READ(file, f_mode);
	__u32 mask = 0;

	if (fmode & FMODE_PATH)
		return 0;
	if (fmode & FMODE_READ)
		mask |= PROBE_MAY_READ;
	if (fmode & FMODE_WRITE)
		mask |= PROBE_MAY_WRITE;
	return mask;
}

/* A mapping reads the file (PROT_READ or PROT_EXEC) and, writable, may
 * write it (the seed's security_mmap_file selector: prot & PROT_WRITE). */
static __always_inline __u32 prot_mask(unsigned long prot)
{
	__u32 mask = 0;

	if (prot & PROT_WRITE)
		mask |= PROBE_MAY_WRITE;
	if (prot & (PROT_READ | PROT_EXEC))
		mask |= PROBE_MAY_READ;
	return mask;
}

/* security_* hooks: fentry where the kernel allows it, else kprobes.  The
 * bodies are shared; only the entry points differ by attach type. */

static __always_inline int on_file_permission(void *ctx, struct file *file, int mask)
{
	return report_file(ctx, file, ACCESS(mask & (PROBE_MAY_READ | PROBE_MAY_WRITE),
					     PROBE_KIND_DATA,
					     PROBE_HOOK_SECURITY_FILE_PERMISSION, true));
}

static __always_inline int on_mmap_file(void *ctx, struct file *file, unsigned long prot)
{
	return report_file(ctx, file, ACCESS(prot_mask(prot), PROBE_KIND_DATA,
					     PROBE_HOOK_SECURITY_MMAP_FILE, true));
}

static __always_inline int on_path_truncate(void *ctx, const struct path *path)
{
	return report(ctx, BPF_CORE_READ(path, dentry), BPF_CORE_READ(path, mnt),
		      ACCESS(PROBE_MAY_WRITE, PROBE_KIND_TRUNCATE,
			     PROBE_HOOK_SECURITY_PATH_TRUNCATE, true));
}

/* mprotect(PROT_WRITE) of a shared mapping of a file (mapped PROT_READ,
 * from a descriptor open for writing): a write no mmap showed.  A private
 * mapping's writes never reach the file. */
#define VM_SHARED 0x8

static __always_inline int on_file_mprotect(void *ctx, struct vm_area_struct *vma,
					    unsigned long prot, __u32 hook)
{
	if (!vma || !(prot & PROT_WRITE) || !(BPF_CORE_READ(vma, vm_flags) & VM_SHARED))
		return 0;
	return report_file(ctx, BPF_CORE_READ(vma, vm_file),
			   ACCESS(PROBE_MAY_WRITE, PROBE_KIND_DATA, hook, true));
}

/* Since 6.2 ftruncate and O_TRUNC go through security_file_truncate. */
static __always_inline int on_file_truncate(void *ctx, struct file *file)
{
	return report_file(ctx, file, ACCESS(PROBE_MAY_WRITE, PROBE_KIND_TRUNCATE,
					     PROBE_HOOK_SECURITY_FILE_TRUNCATE, true));
}

/* Metadata: mode and owner by path (CONFIG_SECURITY_PATH), extended
 * attributes by dentry alone (the path is then the one below its file
 * system's root). */
static __always_inline int on_path_meta(void *ctx, const struct path *path, __u32 hook)
{
	return report(ctx, BPF_CORE_READ(path, dentry), BPF_CORE_READ(path, mnt),
		      ACCESS(PROBE_MAY_WRITE, PROBE_KIND_META, hook, true));
}

static __always_inline int on_dentry_meta(void *ctx, struct dentry *dentry, __u32 hook)
{
	return report(ctx, dentry, NULL, ACCESS(PROBE_MAY_WRITE, PROBE_KIND_META, hook, true));
}

SEC("fentry/security_file_permission")
int BPF_PROG(fp_fentry, struct file *file, int mask) { return on_file_permission(ctx, file, mask); }

SEC("fentry/security_mmap_file")
int BPF_PROG(mmap_fentry, struct file *file, unsigned long prot, unsigned long flags)
{
	return on_mmap_file(ctx, file, prot);
}

SEC("fentry/security_file_mprotect")
int BPF_PROG(mprot_fentry, struct vm_area_struct *vma, unsigned long reqprot, unsigned long prot)
{
	return on_file_mprotect(ctx, vma, prot, PROBE_HOOK_SECURITY_FILE_MPROTECT);
}

SEC("fentry/security_path_truncate")
int BPF_PROG(ptrunc_fentry, const struct path *path) { return on_path_truncate(ctx, path); }

SEC("fentry/security_file_truncate")
int BPF_PROG(ftrunc_fentry, struct file *file) { return on_file_truncate(ctx, file); }

SEC("fentry/security_path_chmod")
int BPF_PROG(chmod_fentry, const struct path *path)
{
	return on_path_meta(ctx, path, PROBE_HOOK_SECURITY_PATH_CHMOD);
}

SEC("fentry/security_path_chown")
int BPF_PROG(chown_fentry, const struct path *path)
{
	return on_path_meta(ctx, path, PROBE_HOOK_SECURITY_PATH_CHOWN);
}

/* The first argument is a struct user_namespace * before 6.3, a struct
 * mnt_idmap * since; the dentry is second in both. */
SEC("fentry/security_inode_setxattr")
int BPF_PROG(setxattr_fentry, void *idmap, struct dentry *dentry)
{
	return on_dentry_meta(ctx, dentry, PROBE_HOOK_SECURITY_INODE_SETXATTR);
}

SEC("fentry/security_inode_removexattr")
int BPF_PROG(rmxattr_fentry, void *idmap, struct dentry *dentry)
{
	return on_dentry_meta(ctx, dentry, PROBE_HOOK_SECURITY_INODE_REMOVEXATTR);
}

SEC("kprobe/security_file_permission")
int BPF_KPROBE(fp_kprobe, struct file *file, int mask) { return on_file_permission(ctx, file, mask); }

SEC("kprobe/security_mmap_file")
int BPF_KPROBE(mmap_kprobe, struct file *file, unsigned long prot, unsigned long flags)
{
	return on_mmap_file(ctx, file, prot);
}

SEC("kprobe/security_file_mprotect")
int BPF_KPROBE(mprot_kprobe, struct vm_area_struct *vma, unsigned long reqprot, unsigned long prot)
{
	return on_file_mprotect(ctx, vma, prot, PROBE_HOOK_SECURITY_FILE_MPROTECT);
}

SEC("kprobe/security_path_truncate")
int BPF_KPROBE(ptrunc_kprobe, const struct path *path) { return on_path_truncate(ctx, path); }

SEC("kprobe/security_file_truncate")
int BPF_KPROBE(ftrunc_kprobe, struct file *file) { return on_file_truncate(ctx, file); }

SEC("kprobe/security_path_chmod")
int BPF_KPROBE(chmod_kprobe, const struct path *path)
{
	return on_path_meta(ctx, path, PROBE_HOOK_SECURITY_PATH_CHMOD);
}

SEC("kprobe/security_path_chown")
int BPF_KPROBE(chown_kprobe, const struct path *path)
{
	return on_path_meta(ctx, path, PROBE_HOOK_SECURITY_PATH_CHOWN);
}

SEC("kprobe/security_inode_setxattr")
int BPF_KPROBE(setxattr_kprobe, void *idmap, struct dentry *dentry)
{
	return on_dentry_meta(ctx, dentry, PROBE_HOOK_SECURITY_INODE_SETXATTR);
}

SEC("kprobe/security_inode_removexattr")
int BPF_KPROBE(rmxattr_kprobe, void *idmap, struct dentry *dentry)
{
	return on_dentry_meta(ctx, dentry, PROBE_HOOK_SECURITY_INODE_REMOVEXATTR);
}

#include "lsm.bpf.h"

/* Syscall tracepoints.  Opens are reported at exit, from the descriptor
 * the call returned: the match is on the file actually opened. */

static __always_inline int on_open(struct sys_exit_ctx *ctx, __u32 hook, int how)
{
	struct file *file;

	CUT(1, ctx);
	file = fd_file(ctx->ret);
	if (!file)
		return 0;
	return report_file(ctx, file, &(struct access){ .mask = file_mask(file),
			   .kind = PROBE_KIND_DATA, .hook = hook, .open_how = how, .by_name = true,
			   .ret = (int)ctx->ret });
}

#define OPEN_EXIT(name, hook, how)                                             \
	SEC("tracepoint/syscalls/sys_exit_" #name)                             \
	int sys_exit_##name(struct sys_exit_ctx *ctx)                          \
	{                                                                      \
		return on_open(ctx, hook, how);                                \
	}

OPEN_EXIT(openat, PROBE_HOOK_SYS_OPENAT, 3)
OPEN_EXIT(openat2, PROBE_HOOK_SYS_OPENAT2, -3)
#ifdef __TARGET_ARCH_x86
OPEN_EXIT(open, PROBE_HOOK_SYS_OPEN, 2)
OPEN_EXIT(creat, PROBE_HOOK_SYS_CREAT, 0)
#endif

/* Calls on a descriptor: what an open in this process did not show, above
 * all a descriptor inherited from a parent or opened by handle. */
static __always_inline int fd_access(struct sys_enter_ctx *ctx, int argi, __u32 mask,
				     __u32 kind, __u32 hook, bool by_name)
{
	long fd = (long)ctx->args[argi];

	CUT(1, fd);
	return report_file(ctx, fd_file(fd), ACCESS(mask, kind, hook, by_name));
}

#define FD_ENTER(name, argi, mask, hook)                                       \
	SEC("tracepoint/syscalls/sys_enter_" #name)                            \
	int sys_enter_##name(struct sys_enter_ctx *ctx)                        \
	{                                                                      \
		return fd_access(ctx, argi, mask, PROBE_KIND_DATA, hook, false); \
	}

FD_ENTER(read, 0, PROBE_MAY_READ, PROBE_HOOK_SYS_READ)
FD_ENTER(pread64, 0, PROBE_MAY_READ, PROBE_HOOK_SYS_PREAD64)
FD_ENTER(readv, 0, PROBE_MAY_READ, PROBE_HOOK_SYS_READV)
FD_ENTER(preadv, 0, PROBE_MAY_READ, PROBE_HOOK_SYS_PREADV)
FD_ENTER(preadv2, 0, PROBE_MAY_READ, PROBE_HOOK_SYS_PREADV2)
FD_ENTER(write, 0, PROBE_MAY_WRITE, PROBE_HOOK_SYS_WRITE)
FD_ENTER(pwrite64, 0, PROBE_MAY_WRITE, PROBE_HOOK_SYS_PWRITE64)
FD_ENTER(writev, 0, PROBE_MAY_WRITE, PROBE_HOOK_SYS_WRITEV)
FD_ENTER(pwritev, 0, PROBE_MAY_WRITE, PROBE_HOOK_SYS_PWRITEV)
FD_ENTER(pwritev2, 0, PROBE_MAY_WRITE, PROBE_HOOK_SYS_PWRITEV2)
FD_ENTER(fallocate, 0, PROBE_MAY_WRITE, PROBE_HOOK_SYS_FALLOCATE)

/* Two descriptors: the source is read, the destination written. */
#define FD2_ENTER(name, in, out, hook)                                         \
	SEC("tracepoint/syscalls/sys_enter_" #name)                            \
	int sys_enter_##name(struct sys_enter_ctx *ctx)                        \
	{                                                                      \
		fd_access(ctx, in, PROBE_MAY_READ, PROBE_KIND_DATA, hook, false); \
		return fd_access(ctx, out, PROBE_MAY_WRITE, PROBE_KIND_DATA, hook, false); \
	}

FD2_ENTER(sendfile64, 1, 0, PROBE_HOOK_SYS_SENDFILE64)
FD2_ENTER(copy_file_range, 0, 2, PROBE_HOOK_SYS_COPY_FILE_RANGE)
FD2_ENTER(splice, 0, 2, PROBE_HOOK_SYS_SPLICE)

SEC("tracepoint/syscalls/sys_enter_ftruncate")
int sys_enter_ftruncate(struct sys_enter_ctx *ctx)
{
	return fd_access(ctx, 0, PROBE_MAY_WRITE, PROBE_KIND_TRUNCATE, PROBE_HOOK_SYS_FTRUNCATE,
			 true);
}

/* mmap(addr, len, prot, flags, fd, off) of a file. */
SEC("tracepoint/syscalls/sys_enter_mmap")
int sys_enter_mmap(struct sys_enter_ctx *ctx)
{
	return fd_access(ctx, 4, prot_mask(ctx->args[2]), PROBE_KIND_DATA, PROBE_HOOK_SYS_MMAP,
			 false);
}

/* mprotect(addr, len, prot) and pkey_mprotect, at exit once they took:
 * the mappings of [addr, addr + len) are walked (one bpf_find_vma, 5.17,
 * per mapping, in a bpf_loop whose callback is verified once; its bound is
 * vm.max_map_count's default, more mappings than a process may have) to
 * the first shared mapping of a file that may be watched: its inode passes
 * the filter, or, while a directory is watched, no current directory
 * verdict clears it (a file opened or mapped before has one).  That one is
 * reported.  Reporting every mapping's file is beyond the verifier: one
 * report inside the callback cost 180,000 verified instructions on 6.18,
 * two after it over 400,000 (one: 9,000). */
#define MPROTECT_VMAS_MAX 65536

struct vma_walk {
	unsigned long addr, end, vm_end, vm_flags;
	struct file *file;
	struct file *found;
};

static long vma_found(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_walk *w = data;

	w->vm_end = vma->vm_end;
	w->vm_flags = BPF_CORE_READ(vma, vm_flags);
	w->file = vma->vm_file;
	return 0;
}

static long vma_step(__u32 i, void *data)
{
	struct vma_walk *w = data;
	struct file *f;
	__u64 ino;

	if (w->addr >= w->end)
		return 1;
	w->vm_end = 0;
	if (bpf_find_vma(bpf_get_current_task_btf(), w->addr, vma_found, w, 0) ||
	    w->vm_end <= w->addr)
		return 1;
	w->addr = w->vm_end;
	f = w->file;
	if (!(w->vm_flags & VM_SHARED) || !f)
		return 0;
	ino = BPF_CORE_READ(f, f_inode, i_ino);
	if (!ino_maybe_watched(ino) && !ovl_xino_maybe(ino) &&
	    (!*(volatile __u32 *)&watch_ndirs || verdict_unwatched(f)))
		return 0;
	w->found = f;
	return 1;
}

static __always_inline int on_mprotect(struct sys_exit_ctx *ctx, __u32 hook)
{
	struct vma_walk w = {};
	struct pt_regs *regs;

	if (ctx->ret != 0)
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	if (!regs || !(PT_REGS_PARM3_CORE_SYSCALL(regs) & PROT_WRITE))
		return 0;
	w.addr = PT_REGS_PARM1_CORE_SYSCALL(regs);
	w.end = w.addr + PT_REGS_PARM2_CORE_SYSCALL(regs);
	if (w.end < w.addr)
		return 0;
	bpf_loop(MPROTECT_VMAS_MAX, vma_step, &w, 0);
	return report_file(ctx, w.found, ACCESS(PROBE_MAY_WRITE, PROBE_KIND_DATA, hook, true));
}

SEC("tracepoint/syscalls/sys_exit_mprotect")
int sys_exit_mprotect(struct sys_exit_ctx *ctx)
{
	return on_mprotect(ctx, PROBE_HOOK_SYS_MPROTECT);
}

SEC("tracepoint/syscalls/sys_exit_pkey_mprotect")
int sys_exit_pkey_mprotect(struct sys_exit_ctx *ctx)
{
	return on_mprotect(ctx, PROBE_HOOK_SYS_PKEY_MPROTECT);
}

/* Metadata changes through a descriptor. */
#define FD_META(name, hook)                                                    \
	SEC("tracepoint/syscalls/sys_enter_" #name)                            \
	int sys_enter_##name(struct sys_enter_ctx *ctx)                        \
	{                                                                      \
		return fd_access(ctx, 0, PROBE_MAY_WRITE, PROBE_KIND_META, hook, true); \
	}

FD_META(fchmod, PROBE_HOOK_SYS_FCHMOD)
FD_META(fchown, PROBE_HOOK_SYS_FCHOWN)
FD_META(fsetxattr, PROBE_HOOK_SYS_FSETXATTR)
FD_META(fremovexattr, PROBE_HOOK_SYS_FREMOVEXATTR)

/* io_uring: each request is looked at when its completion is posted (the
 * io_uring_complete tracepoint, typed: struct io_kiocb), in the submitting
 * process or one of its io-wq worker threads, which share its descriptor
 * table.  An open into a direct descriptor (file_slot) is not seen. */
#define IORING_OP_READV       1
#define IORING_OP_WRITEV      2
#define IORING_OP_READ_FIXED  4
#define IORING_OP_WRITE_FIXED 5
#define IORING_OP_FALLOCATE   17
#define IORING_OP_OPENAT      18
#define IORING_OP_READ        22
#define IORING_OP_WRITE       23
#define IORING_OP_OPENAT2     28
#define IORING_OP_SPLICE      30
#define IORING_OP_TEE         33
#define IORING_OP_FSETXATTR   41
#define IORING_OP_READ_MULTISHOT 49
#define IORING_OP_FTRUNCATE   55
#define IORING_OP_RENAMEAT    35
#define IORING_OP_UNLINKAT    36
#define IORING_OP_LINKAT      39
#define IORING_OP_SETXATTR    42

static __always_inline int uring_open(void *ctx, struct io_kiocb *req)
{
	struct io_open *o = (struct io_open *)&req->cmd;
	int fd = BPF_CORE_READ(req, cqe.res);
	struct file *file;
	__u32 mask;

	if (fd < 0)
		return 0;
	if (BPF_CORE_READ(o, file_slot)) {
		stat_inc(PROBE_STAT_URING_UNSEEN);
		return 0;
	}
	file = fd_file(fd);
	if (!file)
		return 0;
	mask = file_mask(file);
	if (BPF_CORE_READ(o, how.flags) & O_TRUNC)
		mask |= PROBE_MAY_WRITE;
	return report_file(ctx, file, ACCESS(mask, PROBE_KIND_DATA, PROBE_HOOK_IO_URING, true));
}

static __always_inline int uring_request(void *ctx, struct io_kiocb *req)
{
	__u32 mask = PROBE_MAY_WRITE, kind = PROBE_KIND_DATA;

	if (!req)
		return 0;
	switch (BPF_CORE_READ(req, opcode)) {
	case IORING_OP_OPENAT:
	case IORING_OP_OPENAT2:
		return uring_open(ctx, req);
	case IORING_OP_READV:
	case IORING_OP_READ_FIXED:
	case IORING_OP_READ:
	case IORING_OP_READ_MULTISHOT:
		mask = PROBE_MAY_READ;
		break;
	case IORING_OP_WRITEV:
	case IORING_OP_WRITE_FIXED:
	case IORING_OP_WRITE:
	case IORING_OP_FALLOCATE:
	case IORING_OP_SPLICE:      /* req->file is the destination */
	case IORING_OP_TEE:
		break;
	case IORING_OP_FTRUNCATE:
		kind = PROBE_KIND_TRUNCATE;
		break;
	case IORING_OP_FSETXATTR:
		kind = PROBE_KIND_META;
		break;
	default:
		return 0;
	}
	return report_file(ctx, BPF_CORE_READ(req, file),
			   ACCESS(mask, kind, PROBE_HOOK_IO_URING, true));
}

/* The second argument is the request (void * in the prototype) since
 * 5.19 on every kernel that has the tracepoint typed. */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(uring_complete_btf, void *ring, void *req)
{
	return uring_request(ctx, req);
}

/* Linux AIO: io_submit(ctx, nr, iocbpp), each request on its descriptor.
 * The first PROBE_AIO_MAX requests of a call are checked (in a bpf_loop,
 * 5.17+, whose callback is verified once), the others counted. */
#define IOCB_CMD_PREAD   0
#define IOCB_CMD_PWRITE  1
#define IOCB_CMD_PREADV  7
#define IOCB_CMD_PWRITEV 8

struct aio_walk {
	void *ctx;
	struct iocb **cbs;
};

static long aio_one(__u32 i, void *data)
{
	struct aio_walk *w = data;
	struct iocb **cbs = w->cbs;
	struct iocb *ucb = NULL;
	struct iocb cb = {};
	__u32 mask;

	if (i >= PROBE_AIO_MAX || bpf_probe_read_user(&ucb, sizeof(ucb), &cbs[i]) ||
	    bpf_probe_read_user(&cb, sizeof(cb), ucb))
		return 0;
	switch (cb.aio_lio_opcode) {
	case IOCB_CMD_PREAD:
	case IOCB_CMD_PREADV:
		mask = PROBE_MAY_READ;
		break;
	case IOCB_CMD_PWRITE:
	case IOCB_CMD_PWRITEV:
		mask = PROBE_MAY_WRITE;
		break;
	default:
		return 0;
	}
	report_file(w->ctx, fd_file(cb.aio_fildes),
		    ACCESS(mask, PROBE_KIND_DATA, PROBE_HOOK_SYS_IO_SUBMIT, false));
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_io_submit")
int sys_enter_io_submit(struct sys_enter_ctx *ctx)
{
	struct aio_walk w = { .ctx = ctx, .cbs = (struct iocb **)ctx->args[2] };
	long nr = (long)ctx->args[1];

	if (nr <= 0)
		return 0;
	if (nr > PROBE_AIO_MAX)
		stat_inc(PROBE_STAT_URING_UNSEEN);
	bpf_loop(nr > PROBE_AIO_MAX ? PROBE_AIO_MAX : nr, aio_one, &w, 0);
	return 0;
}

/* ---- path-name system calls ------------------------------------------ */

/* True if the last component of the user string is a watched basename. */
static __noinline bool basename_watched(const char *uname)
{
	struct name_buf buf;
	struct probe_name_key k = {};
	long n = bpf_probe_read_user_str(buf.c, sizeof(buf.c), uname);

	if (n <= 1)
		return false;
	/* a name longer than a key is looked up cut: user space decides */
	bpf_probe_read_user_str(k.name, sizeof(k.name), uname + basename_off(&buf, n));
	return bpf_map_lookup_elem(&watch_names, &k) != NULL;
}

static __always_inline void name_copy(char *dst, const char *src, bool kernel)
{
	long n = !src ? -1 : kernel ? bpf_probe_read_kernel_str(dst, PROBE_NAME_MAX, src)
				    : bpf_probe_read_user_str(dst, PROBE_NAME_MAX, src);

	if (n < 0)
		dst[0] = 0;
}

/* One probe_name record; the names in user memory, or the kernel's. */
static __always_inline int send_name(void *ctx, __u32 hook, int dirfd, const char *name,
				     int dirfd2, const char *name2, __u32 at_flags, bool kernel)
{
	struct probe_name *r = RESERVE(struct probe_name);

	if (!r)
		return 0;
	fill_hdr(&r->h, PROBE_REC_NAME, current_task());
	r->hook = hook;
	r->dirfd = dirfd;
	r->at_flags = at_flags;
	r->dirfd2 = dirfd2;
	name_copy(r->name, name, kernel);
	name_copy(r->name2, name2, kernel);
	SUBMIT(ctx, r);
	return 0;
}

/* always: every call, not only those naming a watched basename (the
 * rare calls, whose name user space resolves to an inode). */
static __always_inline int name_call_at2(void *ctx, __u32 hook, int dirfd, const char *name,
					 int dirfd2, const char *name2, bool always, __u32 at_flags)
{
	stat_inc(PROBE_STAT_NAME_SEEN);
	if (!always && !basename_watched(name) && !(name2 && basename_watched(name2)))
		return 0;
	return send_name(ctx, hook, dirfd, name, dirfd2, name2, at_flags, false);
}

static __always_inline int name_call_at(void *ctx, __u32 hook, int dirfd, const char *name,
					const char *name2, bool always, __u32 at_flags)
{
	return name_call_at2(ctx, hook, dirfd, name, PROBE_AT_FDCWD, name2, always, at_flags);
}

static __always_inline int name_call(void *ctx, __u32 hook, const char *name,
				     const char *name2, bool always)
{
	return name_call_at(ctx, hook, PROBE_AT_FDCWD, name, name2, always, 0);
}

/* Renames, links and unlinks: sent when a name is a watched basename (the
 * watched path may have been replaced) and, while a directory is watched,
 * always (user space tells whether they were in one). */
static __always_inline int entry_call(void *ctx, __u32 hook, int dirfd, const char *name,
				      int dirfd2, const char *name2)
{
	bool dirs = *(volatile __u32 *)&watch_ndirs != 0;

	return name_call_at2(ctx, hook, dirfd, name, dirfd2, name2, dirs, 0);
}

/* io_uring's requests on names (rename, unlink, link, setxattr) complete
 * with their names freed: each is sent once prepared, at the
 * io_uring_submit_req tracepoint (typed since 5.19: struct io_kiocb), as
 * the system calls are at entry, its names as the kernel copied them.
 * They are rare: every one goes to user space, which resolves the names
 * against the submitter's directories as for the system calls. */
static __always_inline const char *kname(struct filename *f)
{
	return f ? BPF_CORE_READ(f, name) : NULL;
}

static __always_inline int uring_named(void *ctx, struct io_kiocb *req)
{
	void *cmd = &req->cmd;
	struct io_rename *rn = cmd;
	struct io_unlink *un = cmd;
	struct io_link *ln = cmd;
	struct io_xattr *xa = cmd;

	__u32 op = BPF_CORE_READ(req, opcode);
	bool dirs = *(volatile __u32 *)&watch_ndirs != 0;

	switch (op) {
	case IORING_OP_RENAMEAT:
		uring_entry_note(req, op, kname(BPF_CORE_READ(rn, newpath)), dirs);
		return send_name(ctx, PROBE_HOOK_IO_RENAMEAT, BPF_CORE_READ(rn, old_dfd),
				 kname(BPF_CORE_READ(rn, oldpath)), BPF_CORE_READ(rn, new_dfd),
				 kname(BPF_CORE_READ(rn, newpath)), 0, true);
	case IORING_OP_UNLINKAT:
		return send_name(ctx, PROBE_HOOK_IO_UNLINKAT, BPF_CORE_READ(un, dfd),
				 kname(BPF_CORE_READ(un, filename)), PROBE_AT_FDCWD, NULL, 0, true);
	case IORING_OP_LINKAT:
		uring_entry_note(req, op, kname(BPF_CORE_READ(ln, newpath)), dirs);
		return send_name(ctx, PROBE_HOOK_IO_LINKAT, BPF_CORE_READ(ln, old_dfd),
				 kname(BPF_CORE_READ(ln, oldpath)), BPF_CORE_READ(ln, new_dfd),
				 kname(BPF_CORE_READ(ln, newpath)), 0, true);
	case IORING_OP_SETXATTR:
		return send_name(ctx, PROBE_HOOK_IO_SETXATTR, PROBE_AT_FDCWD,
				 kname(BPF_CORE_READ(xa, filename)), PROBE_AT_FDCWD, NULL, 0, true);
	}
	return 0;
}

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(uring_submit_btf, struct io_kiocb *req)
{
	return req ? uring_named(ctx, req) : 0;
}

/* A rename or link uring_named noted has completed (replace.bpf.h): what
 * bump_epoch does at a system call's exit. */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(uring_done_btf, void *ring, struct io_kiocb *req)
{
	__u64 key = (__u64)req;
	struct uring_entry *e;
	struct probe_name_key k;
	bool check;

	if (!*(volatile __u32 *)&uring_noted || !req)
		return 0;
	e = bpf_map_lookup_elem(&uring_entries, &key);
	if (!e)
		return 0;
	k = e->name;
	check = e->check && e->opcode == BPF_CORE_READ(req, opcode);
	bpf_map_delete_elem(&uring_entries, &key);
	if (BPF_CORE_READ(req, cqe.res) != 0)
		return 0;
	if (*(volatile __u32 *)&watch_ndirs)
		__sync_fetch_and_add(&dir_epoch, 1);
	if (check)
		replace_name(&k);
	return 0;
}

#define ARG(ctx, i) ((const char *)(ctx)->args[i])

/* truncate(2) names its file; it is rare, so every call goes to user space. */
SEC("tracepoint/syscalls/sys_enter_truncate")
int sys_enter_truncate(struct sys_enter_ctx *ctx)
{
	return name_call(ctx, PROBE_HOOK_SYS_TRUNCATE, ARG(ctx, 0), NULL, true);
}

/* Metadata changes by name (mode, owner, extended attributes): every call
 * goes to user space, which resolves the name to an inode, so that a hard
 * link with another name cannot hide the change. */
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EMPTY_PATH       0x1000

#define META_AT(name, hook, dfd, path, flags)                                  \
	SEC("tracepoint/syscalls/sys_enter_" #name)                            \
	int sys_enter_##name(struct sys_enter_ctx *ctx)                        \
	{                                                                      \
		return name_call_at(ctx, hook, (dfd), ARG(ctx, path), NULL, true, (flags)); \
	}

META_AT(fchmodat, PROBE_HOOK_SYS_FCHMODAT, (int)ctx->args[0], 1, 0)
META_AT(fchmodat2, PROBE_HOOK_SYS_FCHMODAT2, (int)ctx->args[0], 1, (__u32)ctx->args[3])
META_AT(fchownat, PROBE_HOOK_SYS_FCHOWNAT, (int)ctx->args[0], 1, (__u32)ctx->args[4])
META_AT(setxattr, PROBE_HOOK_SYS_SETXATTR, PROBE_AT_FDCWD, 0, 0)
META_AT(lsetxattr, PROBE_HOOK_SYS_LSETXATTR, PROBE_AT_FDCWD, 0, AT_SYMLINK_NOFOLLOW)
META_AT(removexattr, PROBE_HOOK_SYS_REMOVEXATTR, PROBE_AT_FDCWD, 0, 0)
META_AT(lremovexattr, PROBE_HOOK_SYS_LREMOVEXATTR, PROBE_AT_FDCWD, 0, AT_SYMLINK_NOFOLLOW)
META_AT(setxattrat, PROBE_HOOK_SYS_SETXATTRAT, (int)ctx->args[0], 1, (__u32)ctx->args[2])
META_AT(removexattrat, PROBE_HOOK_SYS_REMOVEXATTRAT, (int)ctx->args[0], 1, (__u32)ctx->args[2])
#ifdef __TARGET_ARCH_x86
META_AT(chmod, PROBE_HOOK_SYS_CHMOD, PROBE_AT_FDCWD, 0, 0)
META_AT(chown, PROBE_HOOK_SYS_CHOWN, PROBE_AT_FDCWD, 0, 0)
META_AT(lchown, PROBE_HOOK_SYS_LCHOWN, PROBE_AT_FDCWD, 0, AT_SYMLINK_NOFOLLOW)
#endif

#define DFD(ctx, i) ((int)(ctx)->args[i])

SEC("tracepoint/syscalls/sys_enter_unlinkat")
int sys_enter_unlinkat(struct sys_enter_ctx *ctx)
{
	return entry_call(ctx, PROBE_HOOK_SYS_UNLINKAT, DFD(ctx, 0), ARG(ctx, 1), PROBE_AT_FDCWD,
			  NULL);
}

SEC("tracepoint/syscalls/sys_enter_renameat")
int sys_enter_renameat(struct sys_enter_ctx *ctx)
{
	return entry_call(ctx, PROBE_HOOK_SYS_RENAMEAT, DFD(ctx, 0), ARG(ctx, 1), DFD(ctx, 2),
			  ARG(ctx, 3));
}

SEC("tracepoint/syscalls/sys_enter_renameat2")
int sys_enter_renameat2(struct sys_enter_ctx *ctx)
{
	return entry_call(ctx, PROBE_HOOK_SYS_RENAMEAT2, DFD(ctx, 0), ARG(ctx, 1), DFD(ctx, 2),
			  ARG(ctx, 3));
}

SEC("tracepoint/syscalls/sys_enter_linkat")
int sys_enter_linkat(struct sys_enter_ctx *ctx)
{
	return entry_call(ctx, PROBE_HOOK_SYS_LINKAT, DFD(ctx, 0), ARG(ctx, 1), DFD(ctx, 2),
			  ARG(ctx, 3));
}

/* Symbolic links, for the policies on sys_symlinkat and sys_symlink: the
 * target as written (not resolved: it is only a string), and the new
 * name, sent as renames and links are. */
SEC("tracepoint/syscalls/sys_enter_symlinkat")
int sys_enter_symlinkat(struct sys_enter_ctx *ctx)
{
	return entry_call(ctx, PROBE_HOOK_SYS_SYMLINKAT, PROBE_AT_FDCWD, ARG(ctx, 0), DFD(ctx, 1),
			  ARG(ctx, 2));
}

#ifdef __TARGET_ARCH_x86
SEC("tracepoint/syscalls/sys_enter_unlink")
int sys_enter_unlink(struct sys_enter_ctx *ctx)
{
	return entry_call(ctx, PROBE_HOOK_SYS_UNLINK, PROBE_AT_FDCWD, ARG(ctx, 0), PROBE_AT_FDCWD,
			  NULL);
}

SEC("tracepoint/syscalls/sys_enter_rename")
int sys_enter_rename(struct sys_enter_ctx *ctx)
{
	return entry_call(ctx, PROBE_HOOK_SYS_RENAME, PROBE_AT_FDCWD, ARG(ctx, 0), PROBE_AT_FDCWD,
			  ARG(ctx, 1));
}

SEC("tracepoint/syscalls/sys_enter_link")
int sys_enter_link(struct sys_enter_ctx *ctx)
{
	return entry_call(ctx, PROBE_HOOK_SYS_LINK, PROBE_AT_FDCWD, ARG(ctx, 0), PROBE_AT_FDCWD,
			  ARG(ctx, 1));
}

SEC("tracepoint/syscalls/sys_enter_symlink")
int sys_enter_symlink(struct sys_enter_ctx *ctx)
{
	return entry_call(ctx, PROBE_HOOK_SYS_SYMLINK, PROBE_AT_FDCWD, ARG(ctx, 0), PROBE_AT_FDCWD,
			  ARG(ctx, 1));
}
#endif

/* A rename or a new link may move a file in or out of a watched directory,
 * and may put a new inode at a watched path (replace.bpf.h); `arg` is
 * the argument holding the new name. */
static __always_inline int bump_epoch(struct sys_exit_ctx *ctx, int arg)
{
	if (ctx->ret == 0 && *(volatile __u32 *)&watch_ndirs)
		__sync_fetch_and_add(&dir_epoch, 1);
	replace_check(ctx->ret, arg);
	return 0;
}

#define EPOCH_EXIT(name, arg)                                                  \
	SEC("tracepoint/syscalls/sys_exit_" #name)                             \
	int sys_exit_##name(struct sys_exit_ctx *ctx)                          \
	{                                                                      \
		return bump_epoch(ctx, arg);                                   \
	}

EPOCH_EXIT(renameat, 4)
EPOCH_EXIT(renameat2, 4)
EPOCH_EXIT(linkat, 4)
#ifdef __TARGET_ARCH_x86
EPOCH_EXIT(rename, 2)
EPOCH_EXIT(link, 2)
#endif

/* ---- connect --------------------------------------------------------- */

static __always_inline int connect_sock(void *ctx, struct sock *sk)
{
	struct probe_connect *r;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	if (family != AF_INET && family != AF_INET6)
		return 0;
	r = RESERVE(struct probe_connect);
	if (!r)
		return 0;
	fill_hdr(&r->h, PROBE_REC_CONNECT, current_task());
	r->hook = PROBE_HOOK_TCP_CONNECT;
	r->family = family;
	r->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	r->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	__builtin_memset(r->pad, 0, sizeof(r->pad));
	__builtin_memset(r->saddr, 0, sizeof(r->saddr));
	__builtin_memset(r->daddr, 0, sizeof(r->daddr));
	/* Sizes given: BPF_CORE_READ_INTO into an array reads one element. */
	if (family == AF_INET) {
		bpf_core_read(r->saddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(r->daddr, 4, &sk->__sk_common.skc_daddr);
	} else {
		bpf_core_read(r->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(r->daddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
	SUBMIT(ctx, r);
	return 0;
}

SEC("fentry/tcp_connect")
int BPF_PROG(connect_fentry, struct sock *sk)
{
	return connect_sock(ctx, sk);
}

SEC("kprobe/tcp_connect")
int BPF_KPROBE(connect_kprobe, struct sock *sk)
{
	return connect_sock(ctx, sk);
}

/* Moving to SYN_SENT happens in the connecting task, before the source
 * port is chosen: sport is 0 on this path. */
SEC("tracepoint/sock/inet_sock_set_state")
int connect_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	struct probe_connect *r;
	__u16 family;

	if (ctx->protocol != IPPROTO_TCP || ctx->newstate != TCP_SYN_SENT)
		return 0;
	family = ctx->family;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	r = RESERVE(struct probe_connect);
	if (!r)
		return 0;
	fill_hdr(&r->h, PROBE_REC_CONNECT, current_task());
	r->hook = PROBE_HOOK_TCP_CONNECT;
	r->family = family;
	r->sport = ctx->sport;
	r->dport = ctx->dport;
	__builtin_memset(r->pad, 0, sizeof(r->pad));
	__builtin_memset(r->saddr, 0, sizeof(r->saddr));
	__builtin_memset(r->daddr, 0, sizeof(r->daddr));
	if (family == AF_INET) {
		bpf_probe_read_kernel(r->saddr, 4, &ctx->saddr);
		bpf_probe_read_kernel(r->daddr, 4, &ctx->daddr);
	} else {
		bpf_probe_read_kernel(r->saddr, 16, &ctx->saddr_v6);
		bpf_probe_read_kernel(r->daddr, 16, &ctx->daddr_v6);
	}
	SUBMIT(ctx, r);
	return 0;
}
