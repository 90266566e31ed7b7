/* bpf_source — bpfalert's own kernel probes as an event source (DESIGN §8).
 *
 * Loads the eBPF programs (exec, exit, fork, file access, optional
 * connect), choosing for each the best hook the running kernel accepts by
 * probing (never by kernel version), reads their ring buffer (perf buffer
 * where the kernel has no ring buffer) on the event loop, and hands each
 * event to the sink as a Tetragon-schema document (process_exec,
 * process_exit, process_kprobe) with `process` and `parent` from a process
 * cache seeded from /proc and pod metadata from cgroups and /var/log/pods.
 *
 * What the events mean:
 * - process_exec: `binary` is the name execve was given (made absolute
 *   with the cwd when relative), as Tetragon reports it, except for
 *   fexecve and execveat(fd, "", AT_EMPTY_PATH), where it is the file the
 *   descriptor pointed to ("memfd:NAME" for a memfd); `arguments` is
 *   argv[1..] joined as Tetragon joins it; past 4 KiB, the first and last
 *   2 KiB joined by " ... " ("truncArgs").
 * - process_exit: when the last thread of a process is gone; "status" is
 *   the exit code, "signal" the killing signal's name ("SIGKILL").
 * - process_kprobe, files: function_name is the hook that saw the access:
 *   "security_file_permission" (and security_mmap_file,
 *   security_path_truncate, security_file_truncate, security_path_chmod,
 *   security_path_chown, security_inode_setxattr,
 *   security_inode_removexattr) where BPF LSM programs, fentry or kprobes
 *   are allowed, else
 *   the system call as Tetragon names a syscall hook ("__x64_sys_openat",
 *   "__x64_sys_read", "__x64_sys_fchmodat"; "__arm64_sys_..." on arm64).
 *   args[0].file_arg holds the path the process sees (resolved in the
 *   kernel from the file itself, so relative paths, "..", symbolic links
 *   are undone; a hard link or a bind mount keeps its own name), the
 *   watched path that matched ("watched_path") and the permission;
 *   args[1].int_arg the access: MAY_READ 4, MAY_WRITE 2 (6 for both).
 *   Writes include O_TRUNC opens, fallocate and metadata changes (mode,
 *   owner, extended attributes); a mapping with PROT_READ or PROT_EXEC is
 *   a read.
 * - Matching happens in the kernel, by (device, inode) for watched files
 *   and parent directories for watched directories; the basename is also
 *   looked up on opens, and user space then keeps the access only if its
 *   path is watched: a container's own /etc/passwd is another inode but
 *   the same watched path, as for Tetragon's path selectors.  An inode the
 *   watch list no longer holds is never reported.
 * - Repeats are suppressed in the kernel per (process image, inode, access
 *   kind): one event a second at most, the next carrying "repeats", the
 *   count left out.  Every process's first access is reported, which is
 *   how reads through a descriptor inherited from a parent appear
 *   ("__x64_sys_read" from the child), and why `cat` of a large file is
 *   one event, not one per block.
 * - Renames, unlinks and links that name a watched basename make the
 *   watch list be read again at once (a file replaced by rename has a new
 *   inode, which is then watched; meanwhile opens of the watched path match
 *   by basename), and report the change as a write by the process that
 *   made it.  A file renamed away, or below a renamed parent, stays watched
 *   under its watched name while a name links it (watch.h).  While a
 *   directory is watched, every rename, link and unlink is resolved in
 *   user space from its directory descriptor or cwd, and those that put an
 *   entry into a watched directory, or rename or remove one there, are
 *   writes of that entry (function_name the system call).
 * - connect: "tcp_connect" with a sock_arg; through the inet_sock_set_state
 *   tracepoint the source port is not chosen yet and is left out.
 *
 * - TracingPolicies (policy_eval.h): their path selectors are added to
 *   the watch list; an access one of their hooks asks for becomes, for
 *   each hook whose selectors pass, the event Tetragon would emit for it
 *   (process_kprobe or process_lsm with policy_name; "bpfalert_hook" says
 *   what saw the access).  Accesses to files only policies watch make no
 *   other event; files in probes.files.watch keep their own events.
 *
 * Not seen with the system call tracepoints (they are with the security_*
 * hooks): opens made through io_uring, and deletions of files below a
 * watched directory.  truncate(2) and metadata changes by name are
 * resolved in user space, against the process's root, cwd or directory
 * descriptor while the process exists (after, an absolute name as
 * bpfalert sees it, a relative one from the cached cwd).
 * cgroup_root is not needed: container ids come from the cgroup names
 * the kernel gives and from PROC_ROOT/PID/cgroup. */
#ifndef BPFALERT_BPF_SOURCE_H
#define BPFALERT_BPF_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "loader.h"
#include "loop.h"
#include "source.h"

struct policy_set;

typedef struct bpf_source bpf_source;

struct bpf_source_config {
	bool exec, exit, fork, connect;
	const char *const *watch;     /* files and directories ("/etc/sudoers.d/") */
	size_t nwatch;
	unsigned ring_buffer_mb;
	const char *proc_root;        /* "/proc" */
	const char *cgroup_root;      /* "/sys/fs/cgroup" */
	const char *pods_root;        /* "/var/log/pods" */
	const char *node_name;        /* NULL or "": the host name */
	unsigned avoid;               /* BPF_SOURCE_AVOID_*: hooks not to use */
	/* probes.hooks: the file and connect probes' hook paths in order of
	 * preference ("lsm", "fentry", "kprobe", "tracepoint"); none: that
	 * order.  BPFALERT_PROBE_HOOKS in the environment ("fentry,kprobe")
	 * overrides it.  Only the listed paths are used: when none loads,
	 * bpf_source_new fails naming each and why. */
	const char *const *hooks;
	size_t nhooks;
	const struct policy_set *policies;  /* TracingPolicies (may be NULL); must
					       outlive the source */
};

/* Hook kinds a caller may rule out (tests exercise the fallbacks with
 * them; an operator may work around a broken hook).  NO_PROBING tries the
 * preferred hooks without probing first, so that the fallback after a
 * failed load or attach is taken. */
#define BPF_SOURCE_AVOID_FENTRY 0x1
#define BPF_SOURCE_AVOID_KPROBE 0x2
#define BPF_SOURCE_AVOID_TP_BTF 0x4
#define BPF_SOURCE_NO_PROBING   0x8
/* The perf buffer even where the ring buffer exists (tests only). */
#define BPF_SOURCE_AVOID_RINGBUF 0x10
#define BPF_SOURCE_AVOID_TYPED  0x20   /* see LOADER_AVOID_TYPED */

/* NULL with a one-line reason in err (e.g. "no BTF at /sys/kernel/btf/vmlinux",
 * "missing CAP_BPF: run as root"). */
bpf_source *bpf_source_new(loop *l, const struct bpf_source_config *cfg,
			   const struct source_sink *sink, char *err,
			   size_t errlen);
void bpf_source_free(bpf_source **s);

/* What the file probe attaches to on this kernel with these hook paths
 * (probes.hooks; BPFALERT_PROBE_HOOKS overrides them), found by probing
 * the kernel as bpf_source_new does before it loads anything (the
 * programs themselves are not loaded: see loader_plan); or why that
 * cannot be known.  Writes into buf and returns it. */
char *bpf_source_files_hook(const char *const *hooks, size_t nhooks, char *buf, size_t len);

/* True if the running programs can take TracingPolicies: the source was
 * started with some (the file probe runs, and opens, reads and writes,
 * and mappings are kept apart for them).  Else new policies need a
 * restart. */
bool bpf_source_takes_policies(const bpf_source *s);

/* Replaces the TracingPolicies (the set must outlive the source): the
 * watches become probes.files.watch's and the new policies', the kernel's
 * maps follow, and the selectors' rate limits start afresh.  Only for a
 * source that takes policies. */
void bpf_source_set_policies(bpf_source *s, const struct policy_set *set);

struct bpf_source_stats {
	unsigned long long events;    /* handed to the sink */
	unsigned long long lost;      /* dropped in the kernel: ring buffer full */
	unsigned long long file_events_in_kernel; /* file accesses seen by the probe
						      before the watch filter */
	unsigned long long file_events_matched;   /* ... of those, on watched files */
};
void bpf_source_get_stats(const bpf_source *s, struct bpf_source_stats *out);

/* The kernel's cost figures of every loaded program (see loader.h);
 * returns how many programs there are, filling up to max. */
size_t bpf_source_prog_stats(const bpf_source *s, struct probe_prog_stat *out, size_t max);

/* The hook in use for each probe: names[i] ("exec", "exit", "fork", "files",
 * "connect") uses hooks[i] ("tp_btf/sched_process_exec", ...). */
size_t bpf_source_hooks(const bpf_source *s, const char *const **names,
			const char *const **hooks);

/* Kinds of access the file probe cannot see on this kernel ("io_uring",
 * "aio", "mmap"), each also logged at start-up. */
size_t bpf_source_blind_spots(const bpf_source *s, const char *const **what);

#endif
