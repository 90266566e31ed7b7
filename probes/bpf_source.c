/* bpf_source — the kernel probes as an event source; see bpf_source.h.
 *
 * Records come from the kernel (probe.h) through evbuf, on the event
 * loop.  Each becomes a Tetragon-schema document (tetra.h), built as an
 * evtree that the sink flattens directly (no JSON unless someone needs the
 * document), whose `process` and `parent` come from the process cache; forks only update the cache,
 * as Tetragon's export does not show clones.  A one-second tick reads the
 * kernel's loss counter, expires exited processes and, every few seconds
 * or soon after a rename/unlink/link of a watched name, stats the watch
 * list again and updates the kernel's maps. */
#include "bpf_source.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "evbuf.h"
#include "evtree.h"
#include "loader.h"
#include "log.h"
#include "podmeta.h"
#include "policy_eval.h"
#include "policy_probe.h"
#include "probe.h"
#include "proccache.h"
#include "tetra.h"
#include "tracefs.h"
#include "watch.h"
#include "xalloc.h"

#define BTF_PATH "/sys/kernel/btf/vmlinux"
#define TICK_MS 1000
#define REFRESH_TICKS 5          /* periodic watch refresh, in ticks */
#define REFRESH_SOON_MS 100      /* after a rename/unlink/link of a watched name */
#define PENDING_MAX 64
#define PENDING_MS 5000
#define LINGER_MS 5000           /* exited processes stay this long */
#define DRAIN_BUDGET 4096

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* A path-name call on a watched basename, waiting for the refresh that
 * tells what it did. */
struct pending {
	struct probe_hdr h;
	uint32_t hook;
	char base[PROBE_KEYNAME_MAX], base2[PROBE_KEYNAME_MAX];
	int64_t at_ms;
};

struct bpf_source {
	loop *l;
	struct source_sink sink;
	char *node;
	char *proc_root;
	loader *ld;
	evbuf *eb;
	evtree *tree;                    /* the event being built */
	proccache *pc;
	podmeta *pm;
	watch_list *wl;
	size_t nconfigured;              /* wl's first items: probes.files.watch */
	policy_engine *pe;               /* NULL without policies */
	bool policy_programs;            /* started with policies: see bpf_source.h */
	bool has_file_truncate;
	bool files_lsm;                  /* the file probe is on a security_* path:
					    opens are seen for the policies alone */
	loop_timer *tick, *soon;
	unsigned ticks;
	int64_t mono_to_real, boot_to_mono;
	unsigned long long events;
	unsigned long long perf_lost;    /* overwritten in the perf buffer */
	unsigned long long name_dropped; /* basename candidates not watched */
	uint64_t lost_logged;
	struct log_ratelimit lost_rl, bad_rl;
	struct pending pending[PENDING_MAX];
	size_t npending;
	const char *names[LOADER_NPROBES], *hooks[LOADER_NPROBES];
	size_t nhooks;
	bool kernel_entries;             /* renames, links, unlinks reported by the
					    LSM programs on them */
	const char *blind[8];            /* accesses the file probe cannot see */
	size_t nblind;
	char *exe;                       /* from the last exe record ... */
	uint32_t exe_pid;                /* ... of this process */
};

/* ---- clocks ---------------------------------------------------------- */

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sync_clocks(bpf_source *s)
{
	int64_t mono = clock_ns(CLOCK_MONOTONIC);

	s->mono_to_real = clock_ns(CLOCK_REALTIME) - mono;
	s->boot_to_mono = clock_ns(CLOCK_BOOTTIME) - mono;
}

/* ---- environment ----------------------------------------------------- */

static int check_caps(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	bool admin, bpf, perfmon;
	FILE *f;
	int last = 0;

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data)) {
		snprintf(err, errlen, "cannot read capabilities: %s", strerror(errno));
		return -errno;
	}
#define HAS(c) ((data[(c) / 32].effective >> ((c) % 32)) & 1)
	admin = HAS(CAP_SYS_ADMIN);
	bpf = HAS(CAP_BPF);
	perfmon = HAS(CAP_PERFMON);
#undef HAS
	if (admin)
		return 0;
	f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = 0;
		fclose(f);
	}
	if (last < CAP_BPF) {
		snprintf(err, errlen, "missing CAP_SYS_ADMIN (this kernel has no CAP_BPF): run as root");
		return -EPERM;
	}
	if (!bpf || !perfmon) {
		snprintf(err, errlen, "missing %s%s%s (or CAP_SYS_ADMIN): run as root or grant them",
			 bpf ? "" : "CAP_BPF", !bpf && !perfmon ? " and " : "",
			 perfmon ? "" : "CAP_PERFMON");
		return -EPERM;
	}
	return 0;
}

static int check_env(char *err, size_t errlen)
{
	if (access(BTF_PATH, R_OK)) {
		snprintf(err, errlen, "no BTF at %s (%s): the kernel needs CONFIG_DEBUG_INFO_BTF",
			 BTF_PATH, strerror(errno));
		return -ENOENT;
	}
	if (check_caps(err, errlen))
		return -EPERM;
	return tracefs_ensure(err, errlen);
}

/* ---- emitting -------------------------------------------------------- */

/* Hands the event in s->tree to the sink: as the tree itself, or (a sink
 * that only takes documents) as a json-c document made from it. */
static void emit(bpf_source *s, uint64_t ktime)
{
	tetra_event_end(s->tree, s->node, (int64_t)ktime + s->mono_to_real);
	s->events++;
	if (s->sink.tree)
		s->sink.tree(s->sink.ctx, s->tree, "bpf");
	else if (s->sink.object)
		s->sink.object(s->sink.ctx, evtree_json(s->tree, EVTREE_ROOT), "bpf");
}

static void add_process(bpf_source *s, int body, const char *key, const struct proc *p,
			uint32_t tid)
{
	const struct pod_info *pod = NULL;

	if (p && p->container_id)
		pod = podmeta_pod(s->pm, p->container_id, loop_now());
	tetra_add_process(s->tree, body, key, p, tid, pod, s->mono_to_real);
}

/* A new event of `kind` with the process and parent of a record's task;
 * returns its body. */
static int body_for(bpf_source *s, const char *kind, const struct proc *p, uint32_t tid)
{
	int body = tetra_event_begin(s->tree, kind);

	add_process(s, body, "process", p, tid);
	add_process(s, body, "parent", p->parent, 0);
	return body;
}

static char *container_cb(void *ctx, uint32_t pid)
{
	bpf_source *s = ctx;

	return podmeta_container_of_pid(s->pm, pid);
}

/* The image of a record's task: the cache's, else read from /proc now,
 * else a bare one flagged "miss". */
static struct proc *proc_for(bpf_source *s, const struct probe_hdr *h)
{
	struct proc *p = proccache_get(s->pc, h->pid);

	if (!p)
		p = proccache_seed_one(s->pc, s->proc_root, h->pid, s->boot_to_mono,
				       container_cb, s);
	if (!p)
		p = proccache_miss(s->pc, h->pid, h->ppid, h->uid, h->auid, h->ktime);
	return p;
}

/* A NUL-terminated copy of a fixed-size kernel buffer. */
static char *kstr(const char *buf, size_t len, size_t max)
{
	if (len > max)
		len = max;
	return xstrndup(buf, strnlen(buf, len));
}

static char *path_of(const struct probe_path *p)
{
	size_t len = p->len < PROBE_PATH_BUF ? p->len : PROBE_PATH_BUF;

	return tetra_path_from_components(p->buf, len);
}

/* ---- records ---------------------------------------------------------- */

/* The binary as execve was asked for it, as Tetragon reports it (not the
 * final executable: busybox's applets and scripts keep their own names);
 * a relative name is made absolute with the cwd. */
static char *exec_binary(const char *filename, const char *cwd)
{
	if (filename[0] == '/' || !cwd)
		return xstrdup(filename);
	while (filename[0] == '.' && filename[1] == '/')
		filename += 2;
	return xasprintf("%s%s%s", cwd, cwd[strlen(cwd) - 1] == '/' ? "" : "/", filename);
}

static char *exec_container(bpf_source *s, const struct probe_exec *r)
{
	char *cg, *id;

	/* The kernel's cgroup name is authoritative when there is one. */
	if (r->cgroup_len) {
		cg = kstr(r->cgroup, r->cgroup_len, sizeof(r->cgroup));
		id = podmeta_container_from_cgroup(cg);
		free(cg);
		return id ? id : xstrdup("-");
	}
	id = podmeta_container_of_pid(s->pm, r->h.pid);
	return id ? id : xstrdup("");      /* "": as the parent */
}

/* fexecve and execveat(fd, "", AT_EMPTY_PATH) name the program
 * "/dev/fd/N" (older C libraries "/proc/self/fd/N"): the file the
 * descriptor pointed to is reported instead, "memfd:NAME" for a memfd. */
static bool exec_by_fd(const char *filename)
{
	return !strncmp(filename, "/dev/fd/", 8) || !strncmp(filename, "/proc/", 6);
}

/* The program file from the exe record just before, if it is this one's. */
static char *exec_real_binary(bpf_source *s, const struct probe_exec *r)
{
	char *exe = s->exe_pid == r->h.pid ? s->exe : NULL;

	s->exe = NULL;
	s->exe_pid = 0;
	return exe;
}

static void on_exe(bpf_source *s, const struct probe_exe *r)
{
	free(s->exe);
	s->exe = path_of(&r->path);
	s->exe_pid = r->h.pid;
	if (r->path.flags & PROBE_PATH_DETACHED)
		memmove(s->exe, s->exe + 1, strlen(s->exe));
}

static char *exec_args(const struct probe_exec *r)
{
	size_t alen = r->args_len < PROBE_ARGS_MAX ? r->args_len : PROBE_ARGS_MAX;

	if ((r->flags & PROBE_EXEC_TRUNC_ARGS) && alen == PROBE_ARGS_MAX)
		return tetra_args_cut(r->args, PROBE_ARGS_HEAD, r->args + PROBE_ARGS_HEAD,
				      PROBE_ARGS_TAIL);
	return tetra_args_from_argv(r->args, alen);
}

static void on_exec(bpf_source *s, const struct probe_exec *r)
{
	char *filename = kstr(r->filename, r->filename_len, sizeof(r->filename));
	char *cwd = (r->flags & PROBE_EXEC_ERROR_CWD) ? NULL : path_of(&r->cwd);
	char *binary = exec_real_binary(s, r);
	char *args = exec_args(r);
	char *container = exec_container(s, r);
	struct proc_exec_info in = {
		.pid = r->h.pid, .ppid = r->h.ppid, .uid = r->h.uid, .auid = r->h.auid,
		.ktime = r->h.ktime, .binary = binary, .arguments = args, .cwd = cwd,
		.container_id = strcmp(container, "-") ? container : NULL,
	};
	struct proc *p;

	if (!binary || !exec_by_fd(filename)) {
		free(binary);
		binary = exec_binary(filename, cwd);
	}
	in.binary = binary;
	if (r->flags & PROBE_EXEC_TRUNC_FILENAME)
		in.flags |= PROC_F_TRUNC_FILENAME;
	if (r->flags & PROBE_EXEC_TRUNC_ARGS)
		in.flags |= PROC_F_TRUNC_ARGS;
	if (r->flags & PROBE_EXEC_ERROR_ARGS)
		in.flags |= PROC_F_ERROR_ARGS;
	if (r->flags & PROBE_EXEC_ERROR_CWD)
		in.flags |= PROC_F_ERROR_CWD;
	p = proccache_exec(s->pc, &in);
	body_for(s, "process_exec", p, r->h.tid);
	emit(s, r->h.ktime);
	free(filename);
	free(cwd);
	free(binary);
	free(args);
	free(container);
}

static void on_exit_rec(bpf_source *s, const struct probe_exit *r)
{
	struct proc *p = proc_for(s, &r->h);
	int body = body_for(s, "process_exit", p, r->h.tid);
	const char *sig = tetra_signal_name((int)(r->exit_code & 0x7f));
	unsigned status = (r->exit_code >> 8) & 0xff;

	if (sig)
		evtree_string(s->tree, body, "signal", sig, strlen(sig));
	if (status)
		evtree_int(s->tree, body, "status", status);
	emit(s, r->h.ktime);
	proccache_exit(s->pc, r->h.pid, loop_now());
}

static void on_fork(bpf_source *s, const struct probe_fork *r)
{
	proccache_fork(s->pc, r->h.pid, r->h.ppid, r->h.ktime, r->h.uid, r->h.auid);
}

static void emit_default(bpf_source *s, const struct probe_hdr *h, uint32_t hook,
			 const char *path, const char *watched, uint32_t mode, uint32_t mask,
			 uint32_t repeats)
{
	struct proc *p = proc_for(s, h);
	int body = body_for(s, "process_kprobe", p, h->tid);

	tetra_add_file_access(s->tree, body, tetra_hook_name(hook), path, watched, mode, mask,
			      repeats);
	emit(s, h->ktime);
}

/* ---- policies ---- */

#define ANCESTORS_MAX 16

struct policy_emit {
	bpf_source *s;
	const struct probe_hdr *h;
	struct proc *p;
	const struct policy_access *a;
};

static void on_policy_match(void *ctx, const struct policy *pol, const struct policy_hook *hook)
{
	struct policy_emit *pe = ctx;
	int body = body_for(pe->s, policy_event_kind(hook), pe->p, pe->h->tid);

	policy_event_fill(pe->s->tree, body, pol, hook, pe->a);
	emit(pe->s, pe->h->ktime);
}

/* A mapping's protection from its access mask (PROT_EXEC reads as
 * PROT_READ: the probes do not tell them apart). */
static uint32_t prot_of(uint32_t mask)
{
	return (mask & PROBE_MAY_WRITE ? 2 : 0) | (mask & PROBE_MAY_READ ? 1 : 0);
}

/* The events TracingPolicies make of one access: `base` holds what the
 * record tells of it (paths, mode, mask, return value); the process and
 * the hook are added here. */
static void emit_policies(bpf_source *s, const struct probe_hdr *h, uint32_t hook,
			  const struct policy_access *base)
{
	enum policy_call calls[POLICY_PROBE_CALLS_MAX];
	size_t ncalls = s->pe ? policy_probe_calls(hook, s->has_file_truncate, calls) : 0;
	const char *anc[ANCESTORS_MAX];
	uint32_t anc_pids[ANCESTORS_MAX];
	size_t nanc = 0;
	struct proc *p;
	const struct pod_info *pod = NULL;

	if (!ncalls)
		return;
	p = proc_for(s, h);
	for (struct proc *q = p->parent; q && nanc < ANCESTORS_MAX; q = q->parent) {
		anc[nanc] = q->binary;
		anc_pids[nanc++] = q->pid;
	}
	if (p->container_id)
		pod = podmeta_pod(s->pm, p->container_id, loop_now());
	struct policy_access a = *base;
	a.hook = tetra_hook_name(hook);
	a.binary = p->binary;
	a.pid = h->pid;
	a.tid = h->tid;
	a.ancestors = anc;
	a.ancestor_pids = anc_pids;
	a.nancestors = nanc;
	a.in_container = p->container_id != NULL;
	a.pod_namespace = pod ? pod->namespace : NULL;
	a.container_name = pod ? pod->container_name : NULL;
	a.now_ms = loop_now();
	struct policy_emit ctx = { .s = s, .h = h, .p = p, .a = &a };

	for (size_t i = 0; i < ncalls; i++) {
		a.call = calls[i];
		policy_engine_match(s->pe, &a, on_policy_match, &ctx);
	}
}

/* True if probes.files.watch itself watches the file (by the path the
 * process used or the watched path it matched). */
static bool configured(const bpf_source *s, const char *path, const char *watched)
{
	for (size_t i = 0; i < s->nconfigured; i++) {
		const struct watch_item *it = watch_list_item(s->wl, i);

		if (watch_item_covers(it, path) || (watched && watch_item_covers(it, watched)))
			return true;
	}
	return false;
}

/* One file access; watched: the watched path that matched (see
 * bpf_source.h), repeats: like accesses suppressed before it, ret: an
 * open's descriptor.  The
 * policies' events, then probes.files.watch's own. */
static void emit_file(bpf_source *s, const struct probe_hdr *h, uint32_t hook,
		      const char *path, const char *watched, uint32_t mode, uint32_t mask,
		      uint32_t repeats, int64_t ret)
{
	/* renames, links and unlinks: see entry_policies */
	if (!policy_probe_entry_hook(hook)) {
		/* a watched basename ("*\/NAME") keeps the record's path: it ends
		 * the same */
		bool absolute = watched && watched[0] == '/';
		struct policy_access a = { .path = policy_probe_mountless(hook) && absolute ? watched
										 : path,
					   .mode = mode, .mask = mask, .prot = prot_of(mask),
					   .ret = ret };

		emit_policies(s, h, hook, &a);
	}
	if (s->nconfigured < watch_list_count(s->wl) && !configured(s, path, watched))
		return;
	/* the security_* paths load the open exits for the policies alone
	 * (policy_probe_wants_opens): a watched file's own events are the
	 * security hooks' there, as without policies */
	if (s->files_lsm && policy_probe_open_hook(hook))
		return;
	emit_default(s, h, hook, path, watched, mode, mask, repeats);
}

/* The last n components of path ("" if n is 0). */
static const char *last_components(const char *path, unsigned n)
{
	const char *p = path + strlen(path);

	while (n && p > path) {
		p--;
		if (*p == '/')
			n--;
	}
	return p;
}

/* The watched path a record matched, or NULL when the list no longer
 * watches it (an inode replaced meanwhile: never reported as another
 * file) or, matched by basename only, the path the process sees is not a
 * watched one (a container's own /etc/passwd is). */
static char *record_watched(bpf_source *s, const struct probe_file *r, const char *path)
{
	struct probe_inode_key k = { .dev = r->dev, .ino = r->ino };
	const struct watch_item *it = NULL;

	switch (r->match) {
	case PROBE_MATCH_FILE:
		it = watch_list_find_file(s->wl, &k);
		return it ? watch_item_name(it, "") : NULL;
	case PROBE_MATCH_DIR:
		k.ino = r->dir_ino;
		it = watch_list_find_dir(s->wl, &k);
		return it ? watch_item_name(it, last_components(path, r->below)) : NULL;
	case PROBE_MATCH_REPLACED:
		it = watch_list_item(s->wl, r->item);
		return it && !it->dir ? watch_item_name(it, "") : NULL;
	case PROBE_MATCH_NAME:
		if (r->path.flags & PROBE_PATH_TRUNCATED)
			return NULL;
		it = watch_list_find_path(s->wl, path);
		return it ? (it->dir ? xstrdup(path) : watch_item_name(it, "")) : NULL;
	}
	return NULL;
}

static void on_file(bpf_source *s, const struct probe_file *r)
{
	char *path = path_of(&r->path);
	char *watched = record_watched(s, r, path);

	if (!watched) {
		s->name_dropped++;
		free(path);
		return;
	}

	if (r->path.flags & PROBE_PATH_TRUNCATED)
		log_ratelimited(&s->bad_rl, LOG_LEVEL_WARN,
				"probe: path deeper than %d components cut: ...%s",
				PROBE_PATH_DEPTH, path);
	emit_file(s, &r->h, r->hook, path, watched, r->mode, r->mask, r->repeats, r->ret);
	free(watched);
	free(path);
}

/* Where a name given to a system call leads, through the caller's root,
 * cwd or directory descriptor as /proc shows them; once the caller is
 * gone, an absolute name as this process sees it and a relative one from
 * the cwd the process cache knows. */
/* `name` as the process cache knows the caller (absolute, or below its
 * cwd), for a caller that is gone or whose /proc entry no longer
 * resolves; NULL when the cache cannot tell. */
static char *name_where_cached(bpf_source *s, const struct probe_name *r, const char *name,
			       int dirfd)
{
	const struct proc *p = proccache_get(s->pc, r->h.pid);

	if (name[0] == '/')
		return xstrdup(name);
	if (name[0] && dirfd == PROBE_AT_FDCWD && p && p->cwd)
		return xasprintf("%s/%s", p->cwd, name);
	return NULL;
}

static char *name_where(bpf_source *s, const struct probe_name *r, const char *name, int dirfd)
{
	char *proc = xasprintf("%s/%u", s->proc_root, r->h.pid);
	char *out = NULL;

	if (access(proc, F_OK)) {
		out = name_where_cached(s, r, name, dirfd);
	} else if (!name[0] && (r->at_flags & AT_EMPTY_PATH)) {
		out = xasprintf("%s/fd/%d", proc, dirfd);
	} else if (name[0] == '/') {
		out = xasprintf("%s/root%s", proc, name);
	} else if (dirfd == PROBE_AT_FDCWD) {
		out = xasprintf("%s/cwd/%s", proc, name);
	} else {
		out = xasprintf("%s/fd/%d/%s", proc, dirfd, name);
	}
	free(proc);
	return out;
}

/* The real path of the directory of `where`, then its last component as
 * it is (which may not exist: an entry just removed). */
static char *entry_resolve(const char *where)
{
	char base[NAME_MAX + 1], *dir, *real, *out;
	size_t n = watch_basename(where, base, sizeof(base));

	dir = xstrndup(where, strlen(where) - n);
	real = realpath(dir, NULL);
	out = real ? xasprintf("%s/%s", strcmp(real, "/") ? real : "", base) : NULL;
	free(real);
	free(dir);
	return out;
}

/* The real path of `where`, its last component a link itself when
 * nofollow; *st its status. */
static char *name_resolve(const char *where, bool nofollow, struct stat *st)
{
	char *real, *out;

	if (!nofollow) {
		real = realpath(where, NULL);
		if (real && stat(real, st)) {
			free(real);
			real = NULL;
		}
		return real;
	}
	out = entry_resolve(where);
	if (out && lstat(out, st)) {
		free(out);
		out = NULL;
	}
	return out;
}

/* The watched name of a path below a watched directory, or NULL. */
static char *dir_watched(bpf_source *s, const char *real)
{
	for (size_t i = 0; i < watch_list_count(s->wl); i++) {
		const struct watch_item *it = watch_list_item(s->wl, i);
		size_t n;

		if (!it->dir || !it->present || !it->real)
			continue;
		n = strlen(it->real);
		while (n > 1 && it->real[n - 1] == '/')
			n--;
		if (!strncmp(real, it->real, n) && real[n] == '/')
			return watch_item_name(it, real + n);
	}
	return NULL;
}

/* The watched name of a resolved file, or NULL. */
static char *resolved_watched(bpf_source *s, const char *real, const struct stat *st)
{
	struct probe_inode_key key = { .dev = watch_kdev(st->st_dev), .ino = st->st_ino };
	const struct watch_item *it = watch_list_find_file(s->wl, &key);

	return it ? watch_item_name(it, "") : dir_watched(s, real);
}

/* truncate(2) and metadata changes by name: resolved against the
 * caller's root, cwd or directory descriptor, while the process still
 * exists. */
static void on_named_change(bpf_source *s, const struct probe_name *r)
{
	char *name = kstr(r->name, sizeof(r->name), sizeof(r->name));
	char *where = name_where(s, r, name, r->dirfd);
	struct stat st;
	char *real = where ? name_resolve(where, r->at_flags & AT_SYMLINK_NOFOLLOW, &st) : NULL;
	char *watched;

	if (!real) {
		/* the caller exited while its /proc entry was read */
		free(where);
		where = name_where_cached(s, r, name, r->dirfd);
		real = where ? name_resolve(where, r->at_flags & AT_SYMLINK_NOFOLLOW, &st) : NULL;
	}
	watched = real ? resolved_watched(s, real, &st) : NULL;

	if (watched)
		emit_file(s, &r->h, r->hook, real, watched, st.st_mode, PROBE_MAY_WRITE, 0, 0);
	free(watched);
	free(real);
	free(where);
	free(name);
}

static void refresh_soon(bpf_source *s);

/* An entry named by a rename, link or unlink: its path and, when it is in
 * a watched directory, its watched name (else *path is NULL). */
static char *entry_watched(bpf_source *s, const struct probe_name *r, const char *name,
			   int dirfd, char **path)
{
	char *where = name_where(s, r, name, dirfd);
	char *watched = NULL;

	*path = where ? entry_resolve(where) : NULL;
	if (*path)
		watched = dir_watched(s, *path);
	if (!watched) {
		free(*path);
		*path = NULL;
	}
	free(where);
	return watched;
}

/* An entry a rename, link or unlink names, made absolute (its last
 * component as it is: it may be gone), or NULL. */
static char *entry_path(bpf_source *s, const struct probe_name *r, const char *name, int dirfd)
{
	char *where = name[0] ? name_where(s, r, name, dirfd) : NULL;
	char *path = where ? entry_resolve(where) : NULL;

	free(where);
	if (!path && name[0]) {
		/* the caller exited between this name and the other one */
		where = name_where_cached(s, r, name, dirfd);
		path = where ? entry_resolve(where) : NULL;
		free(where);
	}
	return path;
}

/* A rename, link or unlink as the policies see it: the old name (the
 * file) and the new one.  The kernel sent it because one of the names is
 * a watched basename or a directory is watched; the selectors decide. */
static void entry_policies(bpf_source *s, const struct probe_name *r, const char *name,
			   const char *name2)
{
	char *old = s->pe ? entry_path(s, r, name, r->dirfd) : NULL;
	char *new = old ? entry_path(s, r, name2, r->dirfd2) : NULL;
	struct stat st;
	struct policy_access a = { .path = old, .path2 = new, .mask = PROBE_MAY_WRITE };

	if (!old)
		return;
	if (!lstat(old, &st) || (new && !lstat(new, &st)))
		a.mode = st.st_mode;
	emit_policies(s, &r->h, r->hook, &a);
	free(old);
	free(new);
}

/* A file renamed or linked into a watched directory, renamed inside or out
 * of it, or unlinked from it: a write of the watched directory's entry. */
static void on_entry_change(bpf_source *s, const struct probe_name *r)
{
	char *name = kstr(r->name, sizeof(r->name), sizeof(r->name));
	char *name2 = kstr(r->name2, sizeof(r->name2), sizeof(r->name2));
	bool is_link = r->hook == PROBE_HOOK_SYS_LINK || r->hook == PROBE_HOOK_SYS_LINKAT ||
		       r->hook == PROBE_HOOK_IO_LINKAT;
	char *path = NULL, *watched = NULL;

	entry_policies(s, r, name, name2);
	/* the LSM programs report the entries themselves (lsm.bpf.h) */
	if (s->kernel_entries)
		goto out;
	if (name2[0])
		watched = entry_watched(s, r, name2, r->dirfd2, &path);
	if (!watched && !is_link)
		watched = entry_watched(s, r, name, r->dirfd, &path);
	if (watched)
		emit_file(s, &r->h, r->hook, path, watched, 0, PROBE_MAY_WRITE, 0, 0);
out:
	free(watched);
	free(path);
	free(name);
	free(name2);
}

/* A symbolic link, for the policies only: its target as written (a
 * string, which need not name a file) and its new name made absolute. */
static void on_symlink(bpf_source *s, const struct probe_name *r)
{
	char *target = kstr(r->name, sizeof(r->name), sizeof(r->name));
	char *name2 = kstr(r->name2, sizeof(r->name2), sizeof(r->name2));
	char *new = s->pe ? entry_path(s, r, name2, r->dirfd2) : NULL;
	struct policy_access a = { .path = target, .path2 = new, .mask = PROBE_MAY_WRITE };

	if (new)
		emit_policies(s, &r->h, r->hook, &a);
	free(new);
	free(name2);
	free(target);
}

/* Renames, unlinks and links may replace a watched path: the watch list
 * is read again.  The other named calls change the file they name. */
static bool name_refreshes(uint32_t hook)
{
	switch (hook) {
	case PROBE_HOOK_SYS_UNLINK:
	case PROBE_HOOK_SYS_UNLINKAT:
	case PROBE_HOOK_SYS_RENAME:
	case PROBE_HOOK_SYS_RENAMEAT:
	case PROBE_HOOK_SYS_RENAMEAT2:
	case PROBE_HOOK_SYS_LINK:
	case PROBE_HOOK_SYS_LINKAT:
	case PROBE_HOOK_IO_RENAMEAT:
	case PROBE_HOOK_IO_UNLINKAT:
	case PROBE_HOOK_IO_LINKAT:
		return true;
	}
	return false;
}

static void on_name(bpf_source *s, const struct probe_name *r)
{
	struct pending *p;
	char *name;

	if (r->hook == PROBE_HOOK_SYS_SYMLINKAT || r->hook == PROBE_HOOK_SYS_SYMLINK) {
		on_symlink(s, r);
		return;
	}
	if (!name_refreshes(r->hook)) {
		on_named_change(s, r);
		return;
	}
	on_entry_change(s, r);
	if (!watch_list_has_basename(s->wl, r->name) &&
	    !(r->name2[0] && watch_list_has_basename(s->wl, r->name2)))
		return;
	if (s->npending == PENDING_MAX) {
		memmove(s->pending, s->pending + 1, (PENDING_MAX - 1) * sizeof(*s->pending));
		s->npending--;
	}
	p = &s->pending[s->npending++];
	memset(p, 0, sizeof(*p));
	p->h = r->h;
	p->hook = r->hook;
	p->at_ms = loop_now();
	name = kstr(r->name, sizeof(r->name), sizeof(r->name));
	watch_basename(name, p->base, sizeof(p->base));
	free(name);
	name = kstr(r->name2, sizeof(r->name2), sizeof(r->name2));
	watch_basename(name, p->base2, sizeof(p->base2));
	free(name);
	refresh_soon(s);
}

static const char *family_name(unsigned f)
{
	return f == AF_INET ? "AF_INET" : f == AF_INET6 ? "AF_INET6" : "AF_UNSPEC";
}

static void on_connect(bpf_source *s, const struct probe_connect *r)
{
	struct proc *p = proc_for(s, &r->h);
	int body = body_for(s, "process_kprobe", p, r->h.tid);
	struct tetra_sock sock = { .family = family_name(r->family), .sport = r->sport,
				   .dport = r->dport };
	int af = r->family == AF_INET6 ? AF_INET6 : AF_INET;

	inet_ntop(af, r->saddr, sock.saddr, sizeof(sock.saddr));
	inet_ntop(af, r->daddr, sock.daddr, sizeof(sock.daddr));
	tetra_add_connect(s->tree, body, &sock);
	emit(s, r->h.ktime);
}

/* Every record is checked against its type's size: the kernel is trusted,
 * but a mismatched build must not read past a record. */
static void on_record(void *ctx, const void *data, size_t size)
{
	bpf_source *s = ctx;
	const struct probe_hdr *h = data;

	if (size < sizeof(*h))
		goto bad;
	switch (h->type) {
	case PROBE_REC_EXEC:
		if (size < sizeof(struct probe_exec))
			goto bad;
		on_exec(s, data);
		return;
	case PROBE_REC_EXIT:
		if (size < sizeof(struct probe_exit))
			goto bad;
		on_exit_rec(s, data);
		return;
	case PROBE_REC_FORK:
		if (size < sizeof(struct probe_fork))
			goto bad;
		on_fork(s, data);
		return;
	case PROBE_REC_FILE:
		if (size < sizeof(struct probe_file))
			goto bad;
		on_file(s, data);
		return;
	case PROBE_REC_NAME:
		if (size < sizeof(struct probe_name))
			goto bad;
		on_name(s, data);
		return;
	case PROBE_REC_CONNECT:
		if (size < sizeof(struct probe_connect))
			goto bad;
		on_connect(s, data);
		return;
	case PROBE_REC_EXE:
		if (size < sizeof(struct probe_exe))
			goto bad;
		on_exe(s, data);
		return;
	}
bad:
	log_ratelimited(&s->bad_rl, LOG_LEVEL_WARN, "probe: malformed record (%zu bytes)", size);
}

static void on_perf_lost(void *ctx, unsigned long long count)
{
	bpf_source *s = ctx;

	s->perf_lost += count;
	log_ratelimited(&s->lost_rl, LOG_LEVEL_WARN,
			"probe: %llu events lost (perf buffer full); raise sources.bpf.ring_buffer_mb",
			count);
}

static void on_readable(void *ctx, int fd, uint32_t events)
{
	bpf_source *s = ctx;
	int n = evbuf_drain(s->eb, DRAIN_BUDGET);

	(void)fd;
	(void)events;
	if (n < 0)
		log_ratelimited(&s->bad_rl, LOG_LEVEL_WARN, "probe: reading events: %s",
				strerror(-n));
}

/* ---- the watch list --------------------------------------------------- */

/* Where each watched file is, for the kernel to follow a replace by
 * rename at once (replace.bpf.h). */
static size_t watch_places(const bpf_source *s, struct loader_place *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < watch_list_count(s->wl) && n < max; i++) {
		const struct watch_item *it = watch_list_item(s->wl, i);
		struct loader_place *p = &out[n];

		if (!it->present || it->dir || it->dirfd < 0 || !it->real)
			continue;
		memset(p, 0, sizeof(*p));
		if (watch_basename(it->real, p->name.name, sizeof(p->name.name)) >=
		    sizeof(p->name.name))
			continue;
		p->dirfd = it->dirfd;
		p->item = (uint32_t)i;
		p->key = it->key;
		n++;
	}
	return n;
}

static void sync_maps(bpf_source *s)
{
	struct probe_inode_key *files = xcalloc(PROBE_WATCH_MAX, sizeof(*files));
	struct probe_inode_key *dirs = xcalloc(PROBE_WATCH_MAX, sizeof(*dirs));
	struct probe_name_key *names = xcalloc(PROBE_WATCH_MAX, sizeof(*names));
	struct loader_place *places = xcalloc(PROBE_WATCH_MAX, sizeof(*places));
	size_t nf = watch_list_keys(s->wl, false, files, PROBE_WATCH_MAX);
	size_t nd = watch_list_keys(s->wl, true, dirs, PROBE_WATCH_MAX);
	size_t nn = watch_list_names(s->wl, names, PROBE_WATCH_MAX);
	size_t np = watch_places(s, places, PROBE_WATCH_MAX);
	int rc = loader_watch_sync(s->ld, files, nf, dirs, nd, names, nn, places, np);

	if (rc)
		log_error("probe: cannot update the watch maps: %s", strerror(-rc));
	free(files);
	free(dirs);
	free(names);
	free(places);
}

static struct pending *pending_for(bpf_source *s, const char *path)
{
	char base[PROBE_KEYNAME_MAX];

	watch_basename(path, base, sizeof(base));
	for (size_t i = s->npending; i-- > 0;) {
		struct pending *p = &s->pending[i];

		if (!strcmp(p->base, base) || !strcmp(p->base2, base))
			return p;
	}
	return NULL;
}

/* A watched path was replaced, removed or created: by the process whose
 * rename, unlink or link named it, if one did. */
static void on_watch_change(void *ctx, const struct watch_item *it,
			    const struct probe_inode_key *old, bool was_present)
{
	bpf_source *s = ctx;
	struct pending *p = pending_for(s, it->path);

	(void)old;
	log_info("probe: watched %s %s", it->path,
		 !it->present ? "was removed" : was_present ? "was replaced" : "appeared");
	if (p)
		emit_file(s, &p->h, p->hook, it->path, it->path, it->present ? it->mode : 0,
			  PROBE_MAY_WRITE, 0, 0);
}

static void refresh(bpf_source *s)
{
	int64_t now = loop_now();
	uint64_t before = (uint64_t)clock_ns(CLOCK_MONOTONIC);
	size_t keep = 0;

	if (watch_list_refresh(s->wl, on_watch_change, s))
		sync_maps(s);
	/* what renames put in the kernel's maps before this reading is in
	 * watch_files now, if the path still names it */
	loader_replaced_expire(s->ld, before);
	watch_list_release(s->wl);
	for (size_t i = 0; i < s->npending; i++)
		if (now - s->pending[i].at_ms < PENDING_MS)
			s->pending[keep++] = s->pending[i];
	s->npending = keep;
}

static void on_soon(void *ctx)
{
	bpf_source *s = ctx;

	s->soon = NULL;
	refresh(s);
}

static void refresh_soon(bpf_source *s)
{
	if (!s->soon)
		s->soon = loop_timer_at(s->l, loop_now() + REFRESH_SOON_MS, on_soon, s);
}

/* ---- the tick --------------------------------------------------------- */

static void check_lost(bpf_source *s)
{
	uint64_t st[PROBE_STAT_MAX];

	if (loader_stats(s->ld, st))
		return;
	if (st[PROBE_STAT_LOST] > s->lost_logged) {
		log_ratelimited(&s->lost_rl, LOG_LEVEL_WARN,
				"probe: %llu events lost in the kernel (ring buffer full, %llu in all); "
				"raise sources.bpf.ring_buffer_mb",
				(unsigned long long)(st[PROBE_STAT_LOST] - s->lost_logged),
				(unsigned long long)st[PROBE_STAT_LOST]);
		s->lost_logged = st[PROBE_STAT_LOST];
	}
}

static void on_tick(void *ctx)
{
	bpf_source *s = ctx;
	int64_t now = loop_now();

	s->tick = loop_timer_at(s->l, now + TICK_MS, on_tick, s);
	sync_clocks(s);
	check_lost(s);
	proccache_expire(s->pc, now);
	if (++s->ticks % REFRESH_TICKS == 0) {
		refresh(s);
		podmeta_expire(s->pm, now);
	}
}

/* ---- life ------------------------------------------------------------- */

static char *host_name(void)
{
	char buf[256];

	if (gethostname(buf, sizeof(buf)))
		return xstrdup("localhost");
	buf[sizeof(buf) - 1] = 0;
	return xstrdup(buf);
}

/* What the file probe cannot see on this kernel, said once at start-up
 * and kept for the metrics.  Only the syscall path needs most of these
 * programs (the security_* hooks see io_uring's and AIO's reads and
 * writes); every path needs the io_uring requests on names. */
static void note_blind_spots(bpf_source *s, bool wants_opens)
{
	static const struct {
		const char *prog, *what, *why;
		bool all_paths;
	} needed[] = {
		{ "uring_complete_btf", "io_uring", "tp_btf/io_uring_complete", false },
		{ "sys_enter_io_submit", "aio", "the io_submit tracepoint (bpf_loop, 5.17)", false },
		{ "sys_enter_mmap", "mmap", "the mmap tracepoint", false },
		{ "sys_exit_mprotect", "mprotect", "the mprotect tracepoint (bpf_find_vma, 5.17)",
		  false },
		{ "uring_submit_btf", "io_uring_names", "tp_btf/io_uring_submit_req (5.19)", true },
	};
	bool lsm = loader_files_lsm(s->ld);

	if (!loader_hook(s->ld, LOADER_FILES))
		return;
	if (lsm && wants_opens && !loader_prog_running(s->ld, "sys_exit_openat")) {
		log_warn("probe: files: opens are not seen by the TracingPolicies on sys_openat, "
			 "security_file_open and fd_install: this kernel refused the openat "
			 "tracepoint");
		s->blind[s->nblind++] = "open";
	}
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if ((lsm && !needed[i].all_paths) || loader_prog_running(s->ld, needed[i].prog))
			continue;
		log_warn("probe: files: %s accesses are not seen: this kernel refused %s",
			 needed[i].what, needed[i].why);
		s->blind[s->nblind++] = needed[i].what;
	}
}

static void note_hooks(bpf_source *s)
{
	for (int p = 0; p < LOADER_NPROBES; p++) {
		const char *hook = loader_hook(s->ld, (enum loader_probe)p);

		if (!hook)
			continue;
		s->names[s->nhooks] = loader_probe_name((enum loader_probe)p);
		s->hooks[s->nhooks++] = hook;
		log_info("probe: %s via %s", loader_probe_name((enum loader_probe)p), hook);
	}
	log_info("probe: events through the %s", loader_ringbuf(s->ld) ? "ring buffer" : "perf buffer");
}

/* One name of probes.hooks into the loader's list; false if unknown. */
static bool add_hook(struct loader_options *o, const char *name, size_t len, char *err,
		     size_t errlen)
{
	char buf[32];
	int k;

	snprintf(buf, sizeof(buf), "%.*s", (int)(len < sizeof(buf) ? len : sizeof(buf) - 1), name);
	k = loader_hook_kind_parse(buf);
	if (k < 0) {
		snprintf(err, errlen, "unknown hook path '%s' (lsm, fentry, kprobe or tracepoint)",
			 buf);
		return false;
	}
	for (size_t i = 0; i < o->nhooks; i++)
		if (o->hooks[i] == (enum loader_hook_kind)k)
			return true;
	o->hooks[o->nhooks++] = (enum loader_hook_kind)k;
	return true;
}

/* The hook paths from the configuration, or from BPFALERT_PROBE_HOOKS. */
static int hook_order(struct loader_options *o, const struct bpf_source_config *cfg,
		      char *err, size_t errlen)
{
	const char *env = getenv("BPFALERT_PROBE_HOOKS");
	char line[128] = "";

	o->nhooks = 0;
	if (env && *env) {
		for (const char *p = env; *p; p += *p == ',') {
			size_t n = strcspn(p, ",");

			if (n && !add_hook(o, p, n, err, errlen))
				return -1;
			p += n;
		}
	} else {
		for (size_t i = 0; i < cfg->nhooks; i++)
			if (!add_hook(o, cfg->hooks[i], strlen(cfg->hooks[i]), err, errlen))
				return -1;
	}
	for (size_t i = 0; i < o->nhooks; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s", i ? ", " : "",
			 loader_hook_kind_name(o->hooks[i]));
	if (o->nhooks)
		log_info("probe: hook paths, in order of preference: %s%s", line,
			 env && *env ? " (BPFALERT_PROBE_HOOKS)" : "");
	return 0;
}

static int start(bpf_source *s, const struct bpf_source_config *cfg, char *err, size_t errlen)
{
	struct loader_options o = {
		.want = {
			[LOADER_EXEC] = cfg->exec,
			[LOADER_EXIT] = cfg->exit,
			[LOADER_FORK] = cfg->fork,
			[LOADER_FILES] = watch_list_count(s->wl) > 0,
			[LOADER_CONNECT] = cfg->connect,
		},
		.ring_buffer_mb = cfg->ring_buffer_mb,
		.policy_accesses = s->pe != NULL,
		.policy_opens = s->pe && policy_probe_wants_opens(cfg->policies),
	};

	s->policy_programs = s->pe != NULL;
	size_t seeded;

	if (cfg->avoid & BPF_SOURCE_AVOID_FENTRY)
		o.flags |= LOADER_AVOID_FENTRY;
	if (cfg->avoid & BPF_SOURCE_AVOID_KPROBE)
		o.flags |= LOADER_AVOID_KPROBE;
	if (cfg->avoid & BPF_SOURCE_AVOID_TP_BTF)
		o.flags |= LOADER_AVOID_TP_BTF;
	if (cfg->avoid & BPF_SOURCE_NO_PROBING)
		o.flags |= LOADER_NO_PROBING;
	if (cfg->avoid & BPF_SOURCE_AVOID_RINGBUF)
		o.flags |= LOADER_AVOID_RINGBUF;
	/* BPFALERT_PROBE_TYPED=0: the older kernels' reads, for tests. */
	if ((cfg->avoid & BPF_SOURCE_AVOID_TYPED) ||
	    (getenv("BPFALERT_PROBE_TYPED") && !strcmp(getenv("BPFALERT_PROBE_TYPED"), "0")))
		o.flags |= LOADER_AVOID_TYPED;
	if (hook_order(&o, cfg, err, errlen) || check_env(err, errlen))
		return -1;
	s->ld = loader_open(&o, err, errlen);
	if (!s->ld)
		return -1;
	sync_maps(s);
	s->eb = evbuf_new(loader_events_fd(s->ld), loader_ringbuf(s->ld),
			  loader_perf_pages(s->ld), on_record, on_perf_lost, s);
	if (!s->eb) {
		snprintf(err, errlen, "cannot read the event buffer: %s", strerror(errno));
		return -1;
	}
	if (loop_watch(s->l, evbuf_fd(s->eb), EPOLLIN, on_readable, s)) {
		snprintf(err, errlen, "cannot watch the event buffer");
		return -1;
	}
	/* After attaching: a process started meanwhile is then either read
	 * here or reported by the probes (whose later record wins). */
	seeded = proccache_seed(s->pc, s->proc_root, s->boot_to_mono, container_cb, s);
	log_info("probe: %zu processes read from %s", seeded, s->proc_root);
	note_hooks(s);
	s->files_lsm = loader_files_lsm(s->ld);
	note_blind_spots(s, o.policy_opens);
	s->kernel_entries = loader_prog_running(s->ld, "unlink_lsm") &&
			    loader_prog_running(s->ld, "link_lsm") &&
			    loader_prog_running(s->ld, "rename_lsm");
	s->tick = loop_timer_at(s->l, loop_now() + TICK_MS, on_tick, s);
	return 0;
}

char *bpf_source_files_hook(const char *const *hooks, size_t nhooks, char *buf, size_t len)
{
	struct bpf_source_config cfg = { .hooks = hooks, .nhooks = nhooks };
	struct loader_options o = { .want = { [LOADER_FILES] = true } };
	enum log_level level = log_get_level();
	const char *hook = NULL;
	char err[256];

	/* the loader's account of each hook it tries is for the daemon */
	log_set_level(LOG_LEVEL_ERROR);
	if (!hook_order(&o, &cfg, err, sizeof(err)) && !check_env(err, sizeof(err)))
		hook = loader_plan(&o, LOADER_FILES, err, sizeof(err));
	log_set_level(level);
	if (!hook)
		snprintf(buf, len, "not known (the file probe cannot attach: %s)", err);
	else
		snprintf(buf, len, "the file probe attaches to %s", hook);
	return buf;
}

/* probes.files.watch, then what the policies watch. */
static void new_watch_list(bpf_source *s, const struct bpf_source_config *cfg)
{
	char **pw = NULL;
	size_t npw = cfg->policies ? policy_watches(cfg->policies, &pw) : 0;
	const char **all = xcalloc(cfg->nwatch + npw + 1, sizeof(*all));

	for (size_t i = 0; i < cfg->nwatch; i++)
		all[i] = cfg->watch[i];
	for (size_t i = 0; i < npw; i++)
		all[cfg->nwatch + i] = pw[i];
	s->wl = watch_list_new(all, cfg->nwatch + npw);
	s->nconfigured = cfg->nwatch;
	if (cfg->policies && cfg->policies->n) {
		s->pe = policy_engine_new(cfg->policies);
		s->has_file_truncate = policy_probe_has_file_truncate();
	}
	for (size_t i = 0; i < npw; i++)
		free(pw[i]);
	free(pw);
	free(all);
}

bool bpf_source_takes_policies(const bpf_source *s)
{
	return s->policy_programs;
}

void bpf_source_set_policies(bpf_source *s, const struct policy_set *set)
{
	const char **watch = xcalloc(s->nconfigured + 1, sizeof(*watch));
	watch_list *old = s->wl;
	policy_engine *old_pe = s->pe;
	struct bpf_source_config cfg = { .watch = watch, .nwatch = s->nconfigured,
					 .policies = set };

	for (size_t i = 0; i < s->nconfigured; i++)
		watch[i] = watch_list_item(old, i)->path;
	if (s->files_lsm && policy_probe_wants_opens(set) &&
	    !loader_prog_running(s->ld, "sys_exit_openat"))
		log_warn("probe: TracingPolicies on sys_openat, security_file_open and fd_install "
			 "see no opens until the next restart (the file probe on %s was "
			 "started without the open exits)", loader_hook(s->ld, LOADER_FILES));
	s->pe = NULL;
	new_watch_list(s, &cfg);
	free(watch);
	/* the new watches are in the maps before the old inodes are let go */
	sync_maps(s);
	watch_list_free(&old);
	policy_engine_free(&old_pe);
	log_info("probe: %zu TracingPolic%s, %zu watched paths", set->n, set->n == 1 ? "y" : "ies",
		 watch_list_count(s->wl));
}

bpf_source *bpf_source_new(loop *l, const struct bpf_source_config *cfg,
			   const struct source_sink *sink, char *err, size_t errlen)
{
	bpf_source *s = xcalloc(1, sizeof(*s));

	s->l = l;
	s->sink = *sink;
	s->node = cfg->node_name && *cfg->node_name ? xstrdup(cfg->node_name) : host_name();
	s->proc_root = xstrdup(cfg->proc_root ? cfg->proc_root : "/proc");
	s->tree = evtree_new();
	s->pc = proccache_new(s->node, 0, LINGER_MS);
	s->pm = podmeta_new(s->proc_root, cfg->pods_root);
	new_watch_list(s, cfg);
	for (size_t i = 0; i < watch_list_count(s->wl); i++) {
		const struct watch_item *it = watch_list_item(s->wl, i);

		if (!it->present && !it->name_only)
			log_warn("probe: watched path %s does not exist (yet)", it->path);
	}
	sync_clocks(s);
	if (start(s, cfg, err, errlen)) {
		bpf_source_free(&s);
		return NULL;
	}
	return s;
}

void bpf_source_free(bpf_source **ps)
{
	bpf_source *s = *ps;

	if (!s)
		return;
	if (s->tick)
		loop_timer_cancel(s->l, s->tick);
	if (s->soon)
		loop_timer_cancel(s->l, s->soon);
	if (s->eb) {
		loop_unwatch(s->l, evbuf_fd(s->eb));
		evbuf_free(&s->eb);
	}
	loader_free(&s->ld);
	proccache_free(&s->pc);
	podmeta_free(&s->pm);
	watch_list_free(&s->wl);
	policy_engine_free(&s->pe);
	evtree_free(&s->tree);
	free(s->exe);
	free(s->node);
	free(s->proc_root);
	free(s);
	*ps = NULL;
}

void bpf_source_get_stats(const bpf_source *s, struct bpf_source_stats *out)
{
	uint64_t st[PROBE_STAT_MAX];

	memset(out, 0, sizeof(*out));
	out->events = s->events;
	out->lost = s->perf_lost;
	if (loader_stats(s->ld, st))
		return;
	out->lost = st[PROBE_STAT_LOST] + s->perf_lost;
	out->file_events_in_kernel = st[PROBE_STAT_FILE_SEEN];
	out->file_events_matched = st[PROBE_STAT_FILE_MATCHED];
}

size_t bpf_source_hooks(const bpf_source *s, const char *const **names,
			const char *const **hooks)
{
	*names = s->names;
	*hooks = s->hooks;
	return s->nhooks;
}

size_t bpf_source_blind_spots(const bpf_source *s, const char *const **what)
{
	*what = s->blind;
	return s->nblind;
}

size_t bpf_source_prog_stats(const bpf_source *s, struct probe_prog_stat *out, size_t max)
{
	return loader_prog_stats(s->ld, out, max);
}
