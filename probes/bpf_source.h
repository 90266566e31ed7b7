/* bpf_source — bpfalert's own kernel probes as an event source (DESIGN §8).
 *
 * Loads the eBPF programs (exec, exit, fork, file access, optional
 * connect), choosing for each the best hook the running kernel accepts by
 * probing (never by kernel version), reads their ring buffer (perf buffer
 * where the kernel has no ring buffer) on the event loop, and hands each
 * event to the sink as a Tetragon-schema document (process_exec,
 * process_exit, process_kprobe) with `process` and `parent` from a process
 * cache seeded from /proc and pod metadata from cgroups and /var/log/pods. */
#ifndef BPFALERT_BPF_SOURCE_H
#define BPFALERT_BPF_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "loop.h"
#include "source.h"

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

/* NULL with a one-line reason in err (e.g. "no BTF at /sys/kernel/btf/vmlinux",
 * "missing CAP_BPF: run as root"). */
bpf_source *bpf_source_new(loop *l, const struct bpf_source_config *cfg,
			   const struct source_sink *sink, char *err,
			   size_t errlen);
void bpf_source_free(bpf_source **s);

struct bpf_source_stats {
	unsigned long long events;    /* handed to the sink */
	unsigned long long lost;      /* dropped in the kernel: ring buffer full */
	unsigned long long file_events_in_kernel; /* file accesses seen by the probe
						      before the watch filter */
	unsigned long long file_events_matched;   /* ... of those, on watched files */
};
void bpf_source_get_stats(const bpf_source *s, struct bpf_source_stats *out);

/* The hook in use for each probe: names[i] ("exec", "exit", "fork", "files",
 * "connect") uses hooks[i] ("tp_btf/sched_process_exec", ...). */
size_t bpf_source_hooks(const bpf_source *s, const char *const **names,
			const char *const **hooks);

#endif
