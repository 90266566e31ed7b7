/* loader — probing, loading and attaching probe.bpf.c; see loader.h. */
#include "loader.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bloom.h"
#include "log.h"
#include "probe.skel.h"
#include "tracefs.h"
#include "xalloc.h"

/* AK_RUN: loaded, never attached; the loader runs it (BPF_PROG_TEST_RUN). */
enum attach_kind { AK_LSM, AK_FENTRY, AK_KPROBE, AK_TP_BTF, AK_TP, AK_RAW_TP, AK_RUN };

struct prog_def {
	const char *name;      /* program in probe.bpf.c */
	enum attach_kind kind;
	const char *target;    /* kernel function, or "category/tracepoint" */
	bool optional;         /* attached where the kernel has it */
};

struct variant_def {
	const char *hook;      /* reported hook */
	int kind;              /* enum loader_hook_kind; -1: not an operator's choice */
	unsigned avoid;        /* LOADER_AVOID_* bit that rules it out */
	bool lsm;              /* files: the security_* (or LSM) hooks */
	const struct prog_def *progs;
	size_t nprogs;
};

#define P(n, k, t) { n, k, t, false }
#define O(n, k, t) { n, k, t, true }
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Path-name calls keep the watch maps right in every mode (a watched file
 * replaced by rename has a new inode: the exits of renames and links, and
 * io_uring's completions of them, put it in the kernel's maps at once,
 * from the watched files' directories that place_resolve finds). */
#define NAME_PROGS                                                             \
	O("place_resolve", AK_RUN, ""),                                        \
	O("uring_submit_btf", AK_TP_BTF, "io_uring_submit_req"),               \
	O("uring_done_btf", AK_TP_BTF, "io_uring_complete"),                   \
	O("sys_enter_unlinkat", AK_TP, "syscalls/sys_enter_unlinkat"),         \
	O("sys_enter_unlink", AK_TP, "syscalls/sys_enter_unlink"),             \
	O("sys_enter_renameat", AK_TP, "syscalls/sys_enter_renameat"),         \
	O("sys_enter_renameat2", AK_TP, "syscalls/sys_enter_renameat2"),       \
	O("sys_enter_rename", AK_TP, "syscalls/sys_enter_rename"),             \
	O("sys_enter_linkat", AK_TP, "syscalls/sys_enter_linkat"),             \
	O("sys_enter_link", AK_TP, "syscalls/sys_enter_link"),                 \
	O("sys_enter_symlinkat", AK_TP, "syscalls/sys_enter_symlinkat"),       \
	O("sys_enter_symlink", AK_TP, "syscalls/sys_enter_symlink"),           \
	O("sys_exit_renameat", AK_TP, "syscalls/sys_exit_renameat"),           \
	O("sys_exit_renameat2", AK_TP, "syscalls/sys_exit_renameat2"),         \
	O("sys_exit_rename", AK_TP, "syscalls/sys_exit_rename"),               \
	O("sys_exit_linkat", AK_TP, "syscalls/sys_exit_linkat"),               \
	O("sys_exit_link", AK_TP, "syscalls/sys_exit_link")

/* The security_* hooks, one line each (first required, the rest
 * optional); the fentry and kprobe tables are made from this one list so
 * they cannot drift apart. */
#define SECURITY_HOOKS(X, SFX, AK)                                             \
	X("fp_" SFX, AK, "security_file_permission", false),                   \
	X("mmap_" SFX, AK, "security_mmap_file", true),                        \
	X("mprot_" SFX, AK, "security_file_mprotect", true),                   \
	X("ptrunc_" SFX, AK, "security_path_truncate", true),                  \
	X("ftrunc_" SFX, AK, "security_file_truncate", true),                  \
	X("chmod_" SFX, AK, "security_path_chmod", true),                      \
	X("chown_" SFX, AK, "security_path_chown", true),                      \
	X("setxattr_" SFX, AK, "security_inode_setxattr", true),               \
	X("rmxattr_" SFX, AK, "security_inode_removexattr", true)
#define HOOK_DEF(n, k, t, opt) { n, k, t, opt }

#define LSM_PROGS                                                              \
	P("fp_lsm", AK_LSM, "file_permission"),                                \
	O("mmap_lsm", AK_LSM, "mmap_file"),                                    \
	O("mprot_lsm", AK_LSM, "file_mprotect"),                               \
	O("ptrunc_lsm", AK_LSM, "path_truncate"),                              \
	O("ftrunc_lsm", AK_LSM, "file_truncate"),                              \
	O("chmod_lsm", AK_LSM, "path_chmod"),                                  \
	O("chown_lsm", AK_LSM, "path_chown"),                                  \
	O("setxattr_lsm", AK_LSM, "inode_setxattr"),                           \
	O("rmxattr_lsm", AK_LSM, "inode_removexattr"),                         \
	O("unlink_lsm", AK_LSM, "path_unlink"),                                \
	O("link_lsm", AK_LSM, "path_link"),                                    \
	O("rename_lsm", AK_LSM, "path_rename")
/* With unlink_lsm, link_lsm and rename_lsm running (CONFIG_SECURITY_PATH)
 * the daemon leaves renames', links' and unlinks' file events to them: they
 * see every route to those hooks, system calls and io_uring alike. */

/* BPF LSM programs (lsm.bpf.h) where bpf is an active LSM; the hooks
 * that older kernels lack are optional. */
static const struct prog_def files_lsm[] = {
	LSM_PROGS,
	NAME_PROGS,
};

static const struct prog_def files_fentry[] = {
	SECURITY_HOOKS(HOOK_DEF, "fentry", AK_FENTRY),
	NAME_PROGS,
};

static const struct prog_def files_kprobe[] = {
	SECURITY_HOOKS(HOOK_DEF, "kprobe", AK_KPROBE),
	NAME_PROGS,
};

#define OPEN_EXITS(first)                                                      \
	{ "sys_exit_openat", AK_TP, "syscalls/sys_exit_openat", !(first) },    \
	O("sys_exit_openat2", AK_TP, "syscalls/sys_exit_openat2"),             \
	O("sys_exit_open", AK_TP, "syscalls/sys_exit_open"),                   \
	O("sys_exit_creat", AK_TP, "syscalls/sys_exit_creat")

/* The open family's exits on the security_* paths, for TracingPolicies on
 * the calls only an open's exit shows (sys_openat, security_file_open,
 * fd_install: loader_options.policy_opens).  The tracepoints, not a
 * kretprobe or fexit on the system call: they exist on every path (an
 * lsm path may have neither kprobes nor fexit), and the records are the
 * tracepoint path's own, so a policy's event is the same on every path. */
static const struct prog_def policy_open_exits[] = { OPEN_EXITS(false) };

static const struct prog_def files_tp[] = {
	OPEN_EXITS(true),
	O("sys_enter_read", AK_TP, "syscalls/sys_enter_read"),
	O("sys_enter_pread64", AK_TP, "syscalls/sys_enter_pread64"),
	O("sys_enter_readv", AK_TP, "syscalls/sys_enter_readv"),
	O("sys_enter_preadv", AK_TP, "syscalls/sys_enter_preadv"),
	O("sys_enter_preadv2", AK_TP, "syscalls/sys_enter_preadv2"),
	O("sys_enter_write", AK_TP, "syscalls/sys_enter_write"),
	O("sys_enter_pwrite64", AK_TP, "syscalls/sys_enter_pwrite64"),
	O("sys_enter_writev", AK_TP, "syscalls/sys_enter_writev"),
	O("sys_enter_pwritev", AK_TP, "syscalls/sys_enter_pwritev"),
	O("sys_enter_pwritev2", AK_TP, "syscalls/sys_enter_pwritev2"),
	O("sys_enter_sendfile64", AK_TP, "syscalls/sys_enter_sendfile64"),
	O("sys_enter_copy_file_range", AK_TP, "syscalls/sys_enter_copy_file_range"),
	O("sys_enter_splice", AK_TP, "syscalls/sys_enter_splice"),
	O("sys_enter_ftruncate", AK_TP, "syscalls/sys_enter_ftruncate"),
	O("sys_enter_truncate", AK_TP, "syscalls/sys_enter_truncate"),
	O("sys_enter_mmap", AK_TP, "syscalls/sys_enter_mmap"),
	O("sys_exit_mprotect", AK_TP, "syscalls/sys_exit_mprotect"),
	O("sys_exit_pkey_mprotect", AK_TP, "syscalls/sys_exit_pkey_mprotect"),
	O("sys_enter_fallocate", AK_TP, "syscalls/sys_enter_fallocate"),
	O("uring_complete_btf", AK_TP_BTF, "io_uring_complete"),
	O("sys_enter_io_submit", AK_TP, "syscalls/sys_enter_io_submit"),
	O("sys_enter_fchmod", AK_TP, "syscalls/sys_enter_fchmod"),
	O("sys_enter_fchown", AK_TP, "syscalls/sys_enter_fchown"),
	O("sys_enter_fsetxattr", AK_TP, "syscalls/sys_enter_fsetxattr"),
	O("sys_enter_fremovexattr", AK_TP, "syscalls/sys_enter_fremovexattr"),
	O("sys_enter_chmod", AK_TP, "syscalls/sys_enter_chmod"),
	O("sys_enter_fchmodat", AK_TP, "syscalls/sys_enter_fchmodat"),
	O("sys_enter_fchmodat2", AK_TP, "syscalls/sys_enter_fchmodat2"),
	O("sys_enter_chown", AK_TP, "syscalls/sys_enter_chown"),
	O("sys_enter_lchown", AK_TP, "syscalls/sys_enter_lchown"),
	O("sys_enter_fchownat", AK_TP, "syscalls/sys_enter_fchownat"),
	O("sys_enter_setxattr", AK_TP, "syscalls/sys_enter_setxattr"),
	O("sys_enter_lsetxattr", AK_TP, "syscalls/sys_enter_lsetxattr"),
	O("sys_enter_setxattrat", AK_TP, "syscalls/sys_enter_setxattrat"),
	O("sys_enter_removexattr", AK_TP, "syscalls/sys_enter_removexattr"),
	O("sys_enter_lremovexattr", AK_TP, "syscalls/sys_enter_lremovexattr"),
	O("sys_enter_removexattrat", AK_TP, "syscalls/sys_enter_removexattrat"),
	NAME_PROGS,
};

static const struct prog_def exec_btf[] = { P("exec_btf", AK_TP_BTF, "sched_process_exec") };
static const struct prog_def exec_tp[] = { P("exec_tp", AK_TP, "sched/sched_process_exec") };
static const struct prog_def exit_tp[] = { P("exit_tp", AK_TP, "sched/sched_process_exit") };
static const struct prog_def fork_btf[] = { P("fork_btf", AK_TP_BTF, "sched_process_fork") };
static const struct prog_def fork_raw[] = { P("fork_raw", AK_RAW_TP, "sched_process_fork") };
static const struct prog_def conn_fentry[] = { P("connect_fentry", AK_FENTRY, "tcp_connect") };
static const struct prog_def conn_kprobe[] = { P("connect_kprobe", AK_KPROBE, "tcp_connect") };
static const struct prog_def conn_tp[] = { P("connect_tp", AK_TP, "sock/inet_sock_set_state") };

#define V(hook, avoid, lsm, progs) { hook, -1, avoid, lsm, progs, N(progs) }
#define K(hook, kind, avoid, lsm, progs) { hook, kind, avoid, lsm, progs, N(progs) }

static const struct variant_def exec_variants[] = {
	V("tp_btf/sched_process_exec", LOADER_AVOID_TP_BTF, false, exec_btf),
	V("tracepoint/sched/sched_process_exec", 0, false, exec_tp),
};
static const struct variant_def exit_variants[] = {
	V("tracepoint/sched/sched_process_exit", 0, false, exit_tp),
};
static const struct variant_def fork_variants[] = {
	V("tp_btf/sched_process_fork", LOADER_AVOID_TP_BTF, false, fork_btf),
	V("raw_tp/sched_process_fork", 0, false, fork_raw),
};
static const struct variant_def files_variants[] = {
	K("lsm/file_permission", LOADER_HOOK_LSM, 0, true, files_lsm),
	K("fentry/security_file_permission", LOADER_HOOK_FENTRY, LOADER_AVOID_FENTRY, true,
	  files_fentry),
	K("kprobe/security_file_permission", LOADER_HOOK_KPROBE, LOADER_AVOID_KPROBE, true,
	  files_kprobe),
	K("tracepoint/syscalls", LOADER_HOOK_TRACEPOINT, 0, false, files_tp),
};
static const struct variant_def connect_variants[] = {
	K("fentry/tcp_connect", LOADER_HOOK_FENTRY, LOADER_AVOID_FENTRY, false, conn_fentry),
	K("kprobe/tcp_connect", LOADER_HOOK_KPROBE, LOADER_AVOID_KPROBE, false, conn_kprobe),
	K("tracepoint/sock/inet_sock_set_state", LOADER_HOOK_TRACEPOINT, 0, false, conn_tp),
};

static const struct {
	const char *name;
	const struct variant_def *v;
	size_t n;
} probes[LOADER_NPROBES] = {
	[LOADER_EXEC] = { "exec", exec_variants, N(exec_variants) },
	[LOADER_EXIT] = { "exit", exit_variants, N(exit_variants) },
	[LOADER_FORK] = { "fork", fork_variants, N(fork_variants) },
	[LOADER_FILES] = { "files", files_variants, N(files_variants) },
	[LOADER_CONNECT] = { "connect", connect_variants, N(connect_variants) },
};

#define MAX_DROPPED 32
#define LOADER_LSM_LIST "/sys/kernel/security/lsm"
#define MAX_VARIANTS 4

struct loader {
	struct probe_bpf *skel;
	const char *dropped[MAX_DROPPED];   /* optional programs the kernel refused */
	size_t ndropped;
	struct bpf_link **links;
	size_t nlinks, links_cap;
	int choice[LOADER_NPROBES];     /* variant index; -1: off */
	/* The variants each probe may use, in order, and where it is. */
	int seq[LOADER_NPROBES][MAX_VARIANTS];
	int nseq[LOADER_NPROBES], pos[LOADER_NPROBES];
	char why[LOADER_NPROBES][512];  /* hooks refused so far, and why */
	bool ringbuf;
	bool typed;                     /* typed_loads (filter.bpf.h) */
	bool policy_accesses;
	bool policy_opens;
	size_t perf_pages;
	struct btf *vmlinux;
	int ncpus;
};

/* ---- libbpf's messages ---------------------------------------------- */

/* The first warning naming a program (the reason it failed), for the
 * one-line error, and that program, to know which probe failed to load. */
static char last_warning[256];
static char last_prog[64];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];
	const char *p;
	size_t n;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
		line[--n] = 0;
	p = !strncmp(line, "libbpf: ", 8) ? line + 8 : line;
	if (level == LIBBPF_WARN && !last_prog[0]) {
		const char *q = strstr(p, "prog '");

		n = strlen(p) < sizeof(last_warning) - 1 ? strlen(p) : sizeof(last_warning) - 1;
		memcpy(last_warning, p, n);
		last_warning[n] = 0;
		if (q) {
			q += 6;
			n = strcspn(q, "'");
			if (n < sizeof(last_prog)) {
				memcpy(last_prog, q, n);
				last_prog[n] = 0;
			}
		}
	}
	/* Probing makes libbpf warn about hooks the kernel refuses; that is
	 * expected, so it is only worth seeing when debugging. */
	log_debug("libbpf: %s", p);
	return 0;
}

/* ---- probing the kernel --------------------------------------------- */

/* r0 = 0; exit */
static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static int btf_id(const loader *l, const char *name, int kind)
{
	if (!l->vmlinux)
		return -ENOENT;
	return btf__find_by_name_kind(l->vmlinux, name, kind);
}

/* Room for the longest reason: the LSM list (up to 511 bytes) twice. */
static char probe_reason[1280];

#define REASON(...) snprintf(probe_reason, sizeof(probe_reason), __VA_ARGS__)

/* Loads and attaches an empty program of this type: the only sure way to
 * know that fentry, tp_btf or an LSM program is allowed, as lockdown or an
 * LSM may refuse it on a kernel that has it. */
static bool probe_btf_prog(const loader *l, enum bpf_prog_type type,
			   enum bpf_attach_type attach, const char *what, const char *fn)
{
	int id = btf_id(l, fn, attach == BPF_TRACE_RAW_TP ? BTF_KIND_TYPEDEF : BTF_KIND_FUNC);
	int fd, link;

	if (id <= 0) {
		REASON("%s: no %s in the kernel's BTF", what, fn);
		return false;
	}
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach, .attach_btf_id = id);
	fd = bpf_prog_load(type, NULL, "GPL", ret0, N(ret0), &opts);
	if (fd < 0) {
		REASON("%s refused at load: %s", what, strerror(errno));
		return false;
	}
	link = bpf_raw_tracepoint_open(NULL, fd);
	if (link < 0)
		REASON("%s refused at attach: %s", what, strerror(errno));
	else
		close(link);
	close(fd);
	return link >= 0;
}

/* True if tracepoint and kprobe programs may call bpf_rdonly_cast (6.2+),
 * for the file checks' plain loads (filter.bpf.h): a program calling it
 * on a struct file pointer loads. */
static bool probe_typed_loads(const loader *l)
{
	static const enum bpf_prog_type types[] = { BPF_PROG_TYPE_TRACEPOINT,
						    BPF_PROG_TYPE_KPROBE };
	int cast = btf_id(l, "bpf_rdonly_cast", BTF_KIND_FUNC);
	int file = btf_id(l, "file", BTF_KIND_STRUCT);
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = file },
		{ .code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_KFUNC_CALL, .imm = cast },
		ret0[0], ret0[1],
	};

	if (cast <= 0 || file <= 0)
		return false;
	for (size_t i = 0; i < N(types); i++) {
		int fd = bpf_prog_load(types[i], NULL, "GPL", insns, N(insns), NULL);

		if (fd < 0) {
			log_debug("probe: plain loads refused (%s), helper reads instead",
				  strerror(errno));
			return false;
		}
		close(fd);
	}
	return true;
}

static bool probe_tracing(const loader *l, const char *target, bool fentry)
{
	char name[128], what[160];

	snprintf(what, sizeof(what), "%s %s", fentry ? "fentry" : "tp_btf", target);
	if (fentry)
		return probe_btf_prog(l, BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, what, target);
	snprintf(name, sizeof(name), "btf_trace_%s", target);
	return probe_btf_prog(l, BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, what, name);
}

/* True if `name` is in the comma-separated list. */
static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, name, n) && (p[n] == ',' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

/* BPF LSM programs run only where bpf is an active LSM (lsm=...,bpf on
 * the kernel's command line, or its built-in CONFIG_LSM list). */
static bool probe_lsm(const loader *l, const char *hook)
{
	char list[512] = "", fn[128], what[160];
	FILE *f = fopen(LOADER_LSM_LIST, "re");

	if (!f) {
		REASON("cannot read %s: %s", LOADER_LSM_LIST, strerror(errno));
		return false;
	}
	if (!fgets(list, sizeof(list), f))
		list[0] = 0;
	fclose(f);
	list[strcspn(list, "\n")] = 0;
	if (!in_list(list, "bpf")) {
		REASON("bpf is not an active LSM (%s: %s); boot with lsm=%s%sbpf", LOADER_LSM_LIST,
		       list, list, list[0] ? "," : "");
		return false;
	}
	snprintf(fn, sizeof(fn), "bpf_lsm_%s", hook);
	snprintf(what, sizeof(what), "lsm %s", hook);
	return probe_btf_prog(l, BPF_PROG_TYPE_LSM, BPF_LSM_MAC, what, fn);
}

/* kprobes need the kprobe PMU (or tracefs' legacy kprobe_events) and a
 * probeable function. */
static bool probe_kprobe(const char *fn)
{
	struct perf_event_attr attr;
	char buf[32];
	int type, fd;
	FILE *f = fopen("/sys/bus/event_source/devices/kprobe/type", "r");

	if (!f) {
		REASON("no kprobe PMU");
		return tracefs_has("kprobe_events");
	}
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		REASON("cannot read the kprobe PMU type");
		return false;
	}
	fclose(f);
	type = atoi(buf);
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = (unsigned)type;
	attr.config1 = (uint64_t)(uintptr_t)fn;
	attr.config2 = 0;
	fd = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		REASON("kprobe %s refused: %s", fn, strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

static bool tp_exists(const char *target)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "events/%s", target);
	if (tracefs_has(rel))
		return true;
	REASON("no tracepoint %s", target);
	return false;
}

static bool prog_available(const loader *l, const struct prog_def *d)
{
	char name[128];

	switch (d->kind) {
	case AK_LSM:
		snprintf(name, sizeof(name), "bpf_lsm_%s", d->target);
		return btf_id(l, name, BTF_KIND_FUNC) > 0;
	case AK_FENTRY:
		return btf_id(l, d->target, BTF_KIND_FUNC) > 0;
	case AK_KPROBE:
		return true;        /* attaching tells */
	case AK_TP_BTF:
	case AK_RAW_TP:
		snprintf(name, sizeof(name), "btf_trace_%s", d->target);
		return btf_id(l, name, BTF_KIND_TYPEDEF) > 0;
	case AK_TP:
		return tp_exists(d->target);
	case AK_RUN:
		return true;
	}
	return false;
}

/* Would this variant work?  Judged on its first, required, program. */
static bool variant_probe(const loader *l, const struct variant_def *v)
{
	const struct prog_def *d = &v->progs[0];

	switch (d->kind) {
	case AK_LSM:
		return probe_lsm(l, d->target);
	case AK_FENTRY:
		return probe_tracing(l, d->target, true);
	case AK_TP_BTF:
		return probe_tracing(l, d->target, false);
	case AK_KPROBE:
		return probe_kprobe(d->target);
	case AK_TP:
		return tp_exists(d->target);
	case AK_RAW_TP:
	case AK_RUN:
		return true;
	}
	return false;
}

/* Notes that probe p could not use variant v, and why, for the log and
 * the error should no hook be left. */
static void refused(loader *l, int p, const struct variant_def *v, const char *why, bool next)
{
	size_t n = strlen(l->why[p]);

	log_info("probe: %s: %s not used: %s%s", probes[p].name, v->hook, why,
		 next ? "; trying the next hook" : "");
	snprintf(l->why[p] + n, sizeof(l->why[p]) - n, "%s%s: %s", n ? "; " : "", v->hook, why);
}

/* The variants probe p may use: those of the preferred hook kinds, in
 * that order, when it has any; else all of them. */
static void build_seq(loader *l, int p, const struct loader_options *o)
{
	int n = (int)probes[p].n;

	l->nseq[p] = 0;
	for (size_t k = 0; k < o->nhooks; k++)
		for (int i = 0; i < n && l->nseq[p] < MAX_VARIANTS; i++)
			if (probes[p].v[i].kind == (int)o->hooks[k])
				l->seq[p][l->nseq[p]++] = i;
	if (l->nseq[p])
		return;
	for (int i = 0; i < n && i < MAX_VARIANTS; i++)
		l->seq[p][l->nseq[p]++] = i;
}

/* The next usable position in probe p's sequence from `from`, or -1. */
static int pick_variant(loader *l, int p, int from, unsigned flags)
{
	int n = (int)probes[p].n;

	for (int i = from; i < l->nseq[p]; i++) {
		const struct variant_def *v = &probes[p].v[l->seq[p][i]];
		bool more = i + 1 < l->nseq[p];

		if (v->avoid & flags) {
			refused(l, p, v, "ruled out by the caller", more);
			continue;
		}
		/* The last resort is tried without probing: its load or
		 * attach tells. */
		if (l->seq[p][i] == n - 1 || (flags & LOADER_NO_PROBING) || variant_probe(l, v))
			return i;
		refused(l, p, v, probe_reason, more);
	}
	return -1;
}

static void set_choice(loader *l, int p, int pos)
{
	l->pos[p] = pos;
	l->choice[p] = pos < 0 ? -1 : l->seq[p][pos];
}

/* ---- load and attach ------------------------------------------------ */

/* Every tracepoint link's release waits for an RCU grace period of its
 * own (perf_trace_event_unreg), 50 to 70 ms each on a busy machine: 3 s
 * for the tracepoint path's 50 links one after another.  Destroyed from
 * DROP_THREADS threads at once, the waits overlap. */
#define DROP_THREADS 8

struct link_share {
	struct bpf_link **links;
	size_t n, first;
};

static void *drop_share(void *arg)
{
	const struct link_share *sh = arg;

	for (size_t i = sh->first; i < sh->n; i += DROP_THREADS)
		bpf_link__destroy(sh->links[i]);
	return NULL;
}

static void drop_links(loader *l)
{
	struct link_share sh[DROP_THREADS];
	pthread_t th[DROP_THREADS];
	bool started[DROP_THREADS] = { false };

	for (size_t t = 0; t < DROP_THREADS; t++) {
		sh[t] = (struct link_share){ l->links, l->nlinks, t };
		started[t] = t > 0 && t < l->nlinks && !pthread_create(&th[t], NULL, drop_share, &sh[t]);
	}
	/* a share no thread took is destroyed here */
	for (size_t t = 0; t < DROP_THREADS; t++)
		if (!started[t])
			drop_share(&sh[t]);
	for (size_t t = 0; t < DROP_THREADS; t++)
		if (started[t])
			pthread_join(th[t], NULL);
	l->nlinks = 0;
}

static void drop_skel(loader *l)
{
	drop_links(l);
	probe_bpf__destroy(l->skel);
	l->skel = NULL;
}

static unsigned round_pow2(unsigned long long v)
{
	unsigned long long p = 1;

	while (p < v && p < (1ULL << 30))
		p <<= 1;
	return (unsigned)p;
}

static int configure(loader *l, unsigned ring_mb)
{
	struct bpf_map *ev = l->skel->maps.events;

	l->skel->rodata->use_ringbuf = l->ringbuf;
	l->skel->rodata->typed_loads = l->typed;
	l->skel->rodata->policy_accesses = l->policy_accesses;
	if (l->ringbuf)
		return bpf_map__set_max_entries(ev, round_pow2((unsigned long long)ring_mb << 20));
	/* The perf buffer: one ring per CPU sharing the configured size. */
	l->perf_pages = round_pow2(((unsigned long long)ring_mb << 20) /
				  (unsigned long long)l->ncpus / (unsigned long long)getpagesize());
	if (l->perf_pages < 8)
		l->perf_pages = 8;
	if (bpf_map__set_type(ev, BPF_MAP_TYPE_PERF_EVENT_ARRAY) ||
	    bpf_map__set_key_size(ev, sizeof(int)) ||
	    bpf_map__set_value_size(ev, sizeof(int)))
		return -EINVAL;
	return bpf_map__set_max_entries(ev, (unsigned)l->ncpus);
}

static bool was_dropped(const loader *l, const char *name)
{
	for (size_t i = 0; i < l->ndropped; i++)
		if (!strcmp(l->dropped[i], name))
			return true;
	return false;
}

/* The i-th program of probe p's chosen variant, then of what the options
 * add to it; NULL past the last or when the probe is off. */
static const struct prog_def *chosen_prog(const loader *l, int p, size_t i)
{
	const struct variant_def *v;

	if (l->choice[p] < 0)
		return NULL;
	v = &probes[p].v[l->choice[p]];
	if (i < v->nprogs)
		return &v->progs[i];
	i -= v->nprogs;
	if (p == LOADER_FILES && v->lsm && l->policy_opens && i < N(policy_open_exits))
		return &policy_open_exits[i];
	return NULL;
}

static void set_autoload(loader *l)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, l->skel->obj)
		bpf_program__set_autoload(prog, false);
	for (int p = 0; p < LOADER_NPROBES; p++) {
		const struct prog_def *d;

		for (size_t i = 0; (d = chosen_prog(l, p, i)); i++) {
			prog = bpf_object__find_program_by_name(l->skel->obj, d->name);
			/* Programs for another architecture's system calls are
			 * not compiled in. */
			if (!prog)
				log_debug("probe: no program %s in this build", d->name);
			else if (!d->optional || (prog_available(l, d) && !was_dropped(l, d->name)))
				bpf_program__set_autoload(prog, true);
		}
	}
}

/* Which chosen probe has this program; -1 if none. */
static int probe_of_prog(const loader *l, const char *name)
{
	for (int p = 0; p < LOADER_NPROBES; p++) {
		const struct prog_def *d;

		for (size_t i = 0; (d = chosen_prog(l, p, i)); i++)
			if (!strcmp(d->name, name))
				return p;
	}
	return -1;
}

static void add_link(loader *l, struct bpf_link *link)
{
	l->links = xgrow(l->links, &l->links_cap, l->nlinks + 1, sizeof(*l->links));
	l->links[l->nlinks++] = link;
}

/* Attaches every loaded program; returns the probe whose required program
 * could not attach, or -1 when all went well. */
static int attach_all(loader *l)
{
	for (int p = 0; p < LOADER_NPROBES; p++) {
		const struct prog_def *d;

		for (size_t i = 0; (d = chosen_prog(l, p, i)); i++) {
			struct bpf_program *prog =
				bpf_object__find_program_by_name(l->skel->obj, d->name);
			struct bpf_link *link;

			if (!prog || !bpf_program__autoload(prog) || d->kind == AK_RUN)
				continue;
			link = bpf_program__attach(prog);
			if (link) {
				add_link(l, link);
				continue;
			}
			if (!d->optional) {
				snprintf(last_warning, sizeof(last_warning), "%s to %s: %s",
					 d->name, d->target, strerror(errno));
				return p;
			}
			log_debug("probe: optional %s not attached: %s", d->name, strerror(errno));
			if (l->ndropped < MAX_DROPPED && !was_dropped(l, d->name))
				l->dropped[l->ndropped++] = d->name;
		}
	}
	return -1;
}

/* Steps probe p down to its next hook; false if it has none left. */
static bool step_down(loader *l, int p, unsigned flags)
{
	int next;

	refused(l, p, &probes[p].v[l->choice[p]], last_warning, l->pos[p] + 1 < l->nseq[p]);
	next = pick_variant(l, p, l->pos[p] + 1, flags);
	if (next < 0)
		return false;
	set_choice(l, p, next);
	return true;
}

/* If the program that failed to load is an optional one, it alone is
 * left out next time; true if so. */
static bool drop_optional(loader *l)
{
	for (int p = 0; p < LOADER_NPROBES; p++) {
		const struct prog_def *d;

		for (size_t i = 0; (d = chosen_prog(l, p, i)); i++) {
			if (!d->optional || strcmp(d->name, last_prog) ||
			    was_dropped(l, d->name) || l->ndropped == MAX_DROPPED)
				continue;
			log_info("probe: %s: leaving out %s (%s)", probes[p].name, d->name,
				 last_warning);
			l->dropped[l->ndropped++] = d->name;
			return true;
		}
	}
	return false;
}

/* A failed load names no probe when libbpf did not say which program
 * failed: then the riskiest hook steps down first. */
static int guess_failed_probe(const loader *l)
{
	static const int order[] = { LOADER_FILES, LOADER_CONNECT, LOADER_FORK, LOADER_EXEC };
	int p = probe_of_prog(l, last_prog);

	if (p >= 0)
		return p;
	for (size_t i = 0; i < N(order); i++) {
		int q = order[i];

		if (l->choice[q] >= 0 && l->pos[q] + 1 < l->nseq[q])
			return q;
	}
	return -1;
}

static int load_attach(loader *l, const struct loader_options *o, char *err, size_t errlen)
{
	for (int attempt = 0; attempt < 16 + MAX_DROPPED; attempt++) {
		int failed, rc;

		last_warning[0] = last_prog[0] = 0;
		l->skel = probe_bpf__open();
		if (!l->skel) {
			snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
			return -1;
		}
		rc = configure(l, o->ring_buffer_mb ? o->ring_buffer_mb : 8);
		if (rc) {
			snprintf(err, errlen, "cannot size the event buffer: %s", strerror(-rc));
			return -1;
		}
		set_autoload(l);
		rc = probe_bpf__load(l->skel);
		if (rc && drop_optional(l)) {
			drop_skel(l);
			continue;
		}
		failed = rc ? guess_failed_probe(l) : attach_all(l);
		if (!rc && failed < 0)
			return 0;
		if (failed < 0) {
			snprintf(err, errlen, "cannot %s the BPF probes: %s", rc ? "load" : "attach",
				 last_warning[0] ? last_warning : strerror(rc ? -rc : errno));
			return -1;
		}
		if (!step_down(l, failed, o->flags)) {
			snprintf(err, errlen, "no usable hook for the %s probe: %s",
				 probes[failed].name, l->why[failed]);
			return -1;
		}
		drop_skel(l);
	}
	snprintf(err, errlen, "cannot load the BPF probes: %s", last_warning);
	return -1;
}

loader *loader_open(const struct loader_options *o, char *err, size_t errlen)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	loader *l = xcalloc(1, sizeof(*l));

	libbpf_set_print(libbpf_print);
	/* Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK. */
	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	l->ncpus = libbpf_num_possible_cpus();
	if (l->ncpus <= 0)
		l->ncpus = 1;
	l->vmlinux = btf__load_vmlinux_btf();
	if (!l->vmlinux)
		log_debug("probe: cannot read the kernel's BTF: %s", strerror(errno));
	l->policy_accesses = o->policy_accesses;
	l->policy_opens = o->policy_opens;
	l->ringbuf = !(o->flags & LOADER_AVOID_RINGBUF) &&
		     libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1;
	l->typed = !(o->flags & LOADER_AVOID_TYPED) && probe_typed_loads(l);
	for (int p = 0; p < LOADER_NPROBES; p++) {
		build_seq(l, p, o);
		set_choice(l, p, o->want[p] ? pick_variant(l, p, 0, o->flags) : -1);
		if (o->want[p] && l->choice[p] < 0) {
			snprintf(err, errlen, "no usable hook for the %s probe: %s", probes[p].name,
				 l->why[p]);
			loader_free(&l);
			return NULL;
		}
	}
	if (load_attach(l, o, err, errlen)) {
		loader_free(&l);
		return NULL;
	}
	return l;
}

const char *loader_plan(const struct loader_options *o, enum loader_probe p, char *err,
			size_t errlen)
{
	loader *l = xcalloc(1, sizeof(*l));
	const char *hook = NULL;

	libbpf_set_print(libbpf_print);
	l->vmlinux = btf__load_vmlinux_btf();
	build_seq(l, p, o);
	set_choice(l, p, pick_variant(l, p, 0, o->flags));
	if (l->choice[p] >= 0)
		hook = probes[p].v[l->choice[p]].hook;
	else
		snprintf(err, errlen, "no usable hook for the %s probe: %s", probes[p].name,
			 l->why[p]);
	loader_free(&l);
	return hook;
}

void loader_free(loader **pl)
{
	loader *l = *pl;

	if (!l)
		return;
	drop_skel(l);
	free(l->links);
	btf__free(l->vmlinux);
	free(l);
	*pl = NULL;
}

static const char *const hook_kind_names[LOADER_NHOOKS] = {
	[LOADER_HOOK_LSM] = "lsm",
	[LOADER_HOOK_FENTRY] = "fentry",
	[LOADER_HOOK_KPROBE] = "kprobe",
	[LOADER_HOOK_TRACEPOINT] = "tracepoint",
};

int loader_hook_kind_parse(const char *name)
{
	for (int k = 0; k < LOADER_NHOOKS; k++)
		if (!strcmp(name, hook_kind_names[k]))
			return k;
	return -1;
}

const char *loader_hook_kind_name(enum loader_hook_kind k)
{
	return (unsigned)k < LOADER_NHOOKS ? hook_kind_names[k] : "?";
}

const char *loader_probe_name(enum loader_probe p)
{
	return (unsigned)p < LOADER_NPROBES ? probes[p].name : "?";
}

const char *loader_hook(const loader *l, enum loader_probe p)
{
	if ((unsigned)p >= LOADER_NPROBES || l->choice[p] < 0)
		return NULL;
	return probes[p].v[l->choice[p]].hook;
}

bool loader_prog_running(const loader *l, const char *name)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(l->skel->obj, name);

	return prog && bpf_program__autoload(prog) && !was_dropped(l, name);
}

bool loader_files_lsm(const loader *l)
{
	return l->choice[LOADER_FILES] >= 0 && probes[LOADER_FILES].v[l->choice[LOADER_FILES]].lsm;
}

int loader_events_fd(const loader *l)
{
	return bpf_map__fd(l->skel->maps.events);
}

bool loader_ringbuf(const loader *l)
{
	return l->ringbuf;
}

size_t loader_perf_pages(const loader *l)
{
	return l->perf_pages;
}

int loader_stats(const loader *l, uint64_t out[PROBE_STAT_MAX])
{
	int fd = bpf_map__fd(l->skel->maps.stats);
	uint64_t *vals = xcalloc((size_t)l->ncpus, sizeof(*vals));
	int rc = 0;

	for (uint32_t k = 0; k < PROBE_STAT_MAX; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, vals)) {
			rc = -errno;
			continue;
		}
		for (int c = 0; c < l->ncpus; c++)
			out[k] += vals[c];
	}
	free(vals);
	return rc;
}

size_t loader_prog_stats(const loader *l, struct probe_prog_stat *out, size_t max)
{
	struct bpf_program *prog;
	size_t n = 0;

	bpf_object__for_each_program(prog, l->skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0)
			continue;
		if (n < max) {
			memset(&info, 0, sizeof(info));
			if (bpf_obj_get_info_by_fd(fd, &info, &len))
				memset(&info, 0, sizeof(info));
			out[n].name = bpf_program__name(prog);
			out[n].section = bpf_program__section_name(prog);
			out[n].runs = info.run_cnt;
			out[n].run_ns = info.run_time_ns;
		}
		n++;
	}
	return n;
}

/* ---- watch maps ----------------------------------------------------- */

static bool key_in(const void *key, const void *set, size_t n, size_t size)
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp((const char *)set + i * size, key, size))
			return true;
	return false;
}

/* Deletes every key of the map not among want's n. */
static void delete_others(int fd, const void *want, size_t n, size_t ksize)
{
	char key[sizeof(struct probe_name_key)], next[sizeof(struct probe_name_key)];
	void *prev = NULL;
	char (*stale)[sizeof(struct probe_name_key)] = NULL;
	size_t nstale = 0, cap = 0;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		if (!key_in(next, want, n, ksize)) {
			stale = xgrow(stale, &cap, nstale + 1, sizeof(*stale));
			memcpy(stale[nstale++], next, ksize);
		}
		memcpy(key, next, ksize);
		prev = key;
	}
	for (size_t i = 0; i < nstale; i++)
		bpf_map_delete_elem(fd, stale[i]);
	free(stale);
}

static int sync_map(int fd, const void *want, size_t n, size_t ksize)
{
	uint32_t one = 1;
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, (const char *)want + i * ksize, &one, BPF_ANY))
			rc = -errno;
	delete_others(fd, want, n, ksize);
	return rc;
}

void loader_replaced_expire(loader *l, uint64_t before_ns)
{
	int fd = bpf_map__fd(l->skel->maps.replaced);
	struct probe_inode_key k, next, *prev = NULL, *stale = NULL;
	struct probe_replaced v;
	size_t nstale = 0, cap = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (!bpf_map_lookup_elem(fd, &next, &v) && v.ktime < before_ns) {
			stale = xgrow(stale, &cap, nstale + 1, sizeof(*stale));
			stale[nstale++] = next;
		}
		k = next;
		prev = &k;
	}
	for (size_t i = 0; i < nstale; i++)
		bpf_map_delete_elem(fd, &stale[i]);
	free(stale);
}

static void bloom_set(__u64 *bloom, unsigned bit)
{
	bit &= PROBE_BLOOM_BITS - 1;
	bloom[bit / 64] |= 1ULL << (bit % 64);
}

/* The kernel's pre-filter bits for these inodes, files' or directories',
 * and for these basenames (bloom.h). */
static void ino_blooms(const struct probe_inode_key *keys, size_t n, __u64 ino[PROBE_BLOOM_WORDS])
{
	memset(ino, 0, PROBE_BLOOM_WORDS * sizeof(*ino));
	for (size_t i = 0; i < n; i++)
		bloom_set(ino, probe_bloom_ino(keys[i].ino));
}

static void name_blooms(const struct probe_name_key *names, size_t nnames,
			__u64 name[PROBE_BLOOM_WORDS])
{
	memset(name, 0, PROBE_BLOOM_WORDS * sizeof(*name));
	for (size_t i = 0; i < nnames; i++) {
		size_t len = strnlen(names[i].name, sizeof(names[i].name));
		__u64 head = 0;

		for (size_t b = 0; b < len && b < 8; b++)
			head |= (__u64)(unsigned char)names[i].name[b] << (8 * b);
		bloom_set(name, probe_bloom_name((unsigned)len, head));
	}
}

/* Stores a filter word by word, so the programs never see a torn one. */
static void bloom_store(__u64 *dst, const __u64 *src, bool keep_old)
{
	for (size_t w = 0; w < PROBE_BLOOM_WORDS; w++) {
		__u64 v = src[w] | (keep_old ? __atomic_load_n(&dst[w], __ATOMIC_RELAXED) : 0);

		__atomic_store_n(&dst[w], v, __ATOMIC_RELEASE);
	}
}

/* The bits of the inodes the kernel put in `replaced` itself. */
static void bloom_replaced(const loader *l, __u64 ino[PROBE_BLOOM_WORDS])
{
	int fd = bpf_map__fd(l->skel->maps.replaced);
	struct probe_inode_key k, next, *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		bloom_set(ino, probe_bloom_ino(next.ino));
		k = next;
		prev = &k;
	}
}

/* The dentry of the caller's descriptor fd, from place_resolve; 0 if none. */
static __u64 fd_dentry(loader *l, int fd)
{
	__u64 args[1] = { (__u64)fd };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));
	int pfd = bpf_program__fd(l->skel->progs.place_resolve);

	if (pfd < 0 || bpf_prog_test_run_opts(pfd, &opts))
		return 0;
	return l->skel->bss->place_dentry;
}

/* watch_places: each basename's places, their directories' dentries
 * found by place_resolve. */
static int sync_places(loader *l, const struct loader_place *places, size_t n)
{
	int fd = bpf_map__fd(l->skel->maps.watch_places);
	struct probe_name_key *keys = xcalloc(n ? n : 1, sizeof(*keys));
	struct probe_places *vals = xcalloc(n ? n : 1, sizeof(*vals));
	size_t nkeys = 0;
	int rc = 0;

	if (fd < 0 || bpf_program__fd(l->skel->progs.place_resolve) < 0)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		struct probe_place *p;

		while (k < nkeys && memcmp(&keys[k], &places[i].name, sizeof(keys[k])))
			k++;
		if (k == nkeys)
			keys[nkeys++] = places[i].name;
		if (vals[k].n == PROBE_PLACES_MAX)
			continue;
		p = &vals[k].p[vals[k].n++];
		p->dir = fd_dentry(l, places[i].dirfd);
		p->dev = places[i].key.dev;
		p->ino = places[i].key.ino;
		p->item = places[i].item;
	}
	for (size_t k = 0; k < nkeys; k++)
		if (bpf_map_update_elem(fd, &keys[k], &vals[k], BPF_ANY))
			rc = -errno;
	if (fd >= 0)
		delete_others(fd, keys, nkeys, sizeof(*keys));
	free(keys);
	free(vals);
	return rc;
}

int loader_watch_sync(loader *l, const struct probe_inode_key *files, size_t nfiles,
		      const struct probe_inode_key *dirs, size_t ndirs,
		      const struct probe_name_key *names, size_t nnames,
		      const struct loader_place *places, size_t nplaces)
{
	__u64 ino[PROBE_BLOOM_WORDS], dir[PROBE_BLOOM_WORDS], name[PROBE_BLOOM_WORDS];
	int rc = 0, r;

	if (nfiles > PROBE_WATCH_MAX || ndirs > PROBE_WATCH_MAX || nnames > PROBE_WATCH_MAX ||
	    nplaces > PROBE_WATCH_MAX)
		return -E2BIG;
	/* New bits before new entries, stale bits cleared after: a watched
	 * file is never filtered out. */
	ino_blooms(files, nfiles, ino);
	ino_blooms(dirs, ndirs, dir);
	name_blooms(names, nnames, name);
	bloom_store(l->skel->bss->ino_bloom, ino, true);
	bloom_store(l->skel->bss->dir_bloom, dir, true);
	bloom_store(l->skel->bss->name_bloom, name, true);
	r = sync_map(bpf_map__fd(l->skel->maps.watch_files), files, nfiles, sizeof(*files));
	rc = rc ? rc : r;
	r = sync_map(bpf_map__fd(l->skel->maps.watch_dirs), dirs, ndirs, sizeof(*dirs));
	rc = rc ? rc : r;
	r = sync_map(bpf_map__fd(l->skel->maps.watch_names), names, nnames, sizeof(*names));
	rc = rc ? rc : r;
	r = sync_places(l, places, nplaces);
	rc = rc ? rc : r;
	/* The kernel's own entries keep their bits; one added while the
	 * filter is stored gets its bit again right after. */
	bloom_replaced(l, ino);
	bloom_store(l->skel->bss->ino_bloom, ino, false);
	bloom_replaced(l, ino);
	bloom_store(l->skel->bss->ino_bloom, ino, true);
	bloom_store(l->skel->bss->dir_bloom, dir, false);
	bloom_store(l->skel->bss->name_bloom, name, false);
	__atomic_store_n(&l->skel->bss->watch_ndirs, (uint32_t)ndirs, __ATOMIC_RELEASE);
	__atomic_fetch_add(&l->skel->bss->dir_epoch, 1, __ATOMIC_RELEASE);
	return rc;
}
