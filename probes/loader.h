/* loader — opens, configures, loads and attaches the kernel programs of
 * probe.bpf.c, choosing for each probe the best hook the kernel accepts.
 *
 * The life is libbpf-tools': open the skeleton → set the read-only
 * settings and turn off every program not chosen → load → attach.  Hooks
 * are chosen by probing the kernel (a tiny program loaded and attached
 * against the real target, the kprobe PMU, the tracepoint's presence in
 * tracefs), never from its version; if loading or attaching the chosen
 * set still fails, the probe concerned steps down to its next hook and
 * the whole sequence starts again.
 *
 * The watch maps (watched files, directories and basenames) are filled
 * by the caller through loader_watch_sync. */
#ifndef BPFALERT_LOADER_H
#define BPFALERT_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe.h"

typedef struct loader loader;

enum loader_probe {
	LOADER_EXEC,
	LOADER_EXIT,
	LOADER_FORK,
	LOADER_FILES,
	LOADER_CONNECT,
	LOADER_NPROBES,
};

/* Kinds of hook the caller forbids (tests use them to exercise the
 * fallbacks; operators to work around a broken hook). */
#define LOADER_AVOID_FENTRY 0x1
#define LOADER_AVOID_KPROBE 0x2
#define LOADER_AVOID_TP_BTF 0x4
/* Skip the probing and try the preferred hooks anyway, so that the
 * fallback on a failed load or attach is exercised. */
#define LOADER_NO_PROBING   0x8
/* The perf buffer even where the ring buffer exists: for tests only, as
 * the perf path shares a per-CPU scratch area that only kernels without a
 * ring buffer (which run BPF programs with preemption off) make safe. */
#define LOADER_AVOID_RINGBUF 0x10
/* Helper reads even where the file checks could use plain loads
 * (bpf_rdonly_cast, 6.2+): tests of the older kernels' code. */
#define LOADER_AVOID_TYPED  0x20

/* Hook paths of the file and connect probes, as `probes.hooks` names
 * them; the exec, exit and fork probes have their own fallbacks. */
enum loader_hook_kind {
	LOADER_HOOK_LSM,
	LOADER_HOOK_FENTRY,
	LOADER_HOOK_KPROBE,
	LOADER_HOOK_TRACEPOINT,
	LOADER_NHOOKS,
};

/* "lsm", "fentry", "kprobe", "tracepoint"; -1 for any other name. */
int loader_hook_kind_parse(const char *name);
const char *loader_hook_kind_name(enum loader_hook_kind k);

struct loader_options {
	bool want[LOADER_NPROBES];
	/* Hook paths in order of preference; none: all, in the order above.
	 * A probe with a variant of one of these uses only those; when none
	 * of them loads, loader_open fails naming each and why. */
	enum loader_hook_kind hooks[LOADER_NHOOKS];
	size_t nhooks;
	unsigned ring_buffer_mb;    /* 0: 8 */
	unsigned flags;             /* LOADER_AVOID_*, LOADER_NO_PROBING */
	bool policy_accesses;       /* opens, reads and writes, mappings: each an
				       access of its own (TracingPolicies) */
	bool policy_opens;          /* the security_* paths also load the open
				       family's exit tracepoints, for TracingPolicies
				       on sys_openat, security_file_open, fd_install */
};

/* NULL with a one-line reason in err. */
loader *loader_open(const struct loader_options *o, char *err, size_t errlen);

/* The hook probe p would use with these options, found by probing alone
 * (tiny programs loaded and attached, the kprobe PMU, tracefs): nothing
 * of probe.bpf.c is loaded, so it takes milliseconds where loader_open
 * takes seconds.  loader_open may still step down from it should the real
 * programs fail to load.  NULL with a one-line reason in err. */
const char *loader_plan(const struct loader_options *o, enum loader_probe p, char *err,
			size_t errlen);
void loader_free(loader **l);

/* "tp_btf/sched_process_exec", ...; NULL when the probe is off. */
const char *loader_hook(const loader *l, enum loader_probe p);
const char *loader_probe_name(enum loader_probe p);
/* True if this program of probe.bpf.c is loaded and attached. */
bool loader_prog_running(const loader *l, const char *name);
/* True if the file probe uses the security_* hooks (not syscalls). */
bool loader_files_lsm(const loader *l);

/* The events map and whether it is a ring buffer (else a perf buffer). */
int loader_events_fd(const loader *l);
bool loader_ringbuf(const loader *l);
size_t loader_perf_pages(const loader *l);

/* Sums of the kernel's per-CPU counters (enum probe_stat). */
int loader_stats(const loader *l, uint64_t out[PROBE_STAT_MAX]);

/* The kernel's own statistics of one loaded program (run_cnt and
 * run_time_ns; both stay 0 unless kernel.bpf_stats_enabled is 1). */
struct probe_prog_stat {
	const char *name;           /* "sys_exit_openat", "fp_lsm", ... */
	const char *section;        /* "tracepoint/syscalls/sys_exit_openat", ... */
	unsigned long long runs, run_ns;
};

/* Up to max loaded programs into out; how many there are. */
size_t loader_prog_stats(const loader *l, struct probe_prog_stat *out, size_t max);

/* Makes the watch maps hold exactly these entries (new ones are added
 * before stale ones are removed, so nothing watched is ever missed), and
 * invalidates the kernel's cached directory verdicts.  -errno on failure. */
struct loader_place {
	struct probe_name_key name; /* a watched file's basename */
	int dirfd;                  /* a descriptor of its directory, held by the
				       caller until the next sync */
	uint32_t item;              /* its watch list item */
	struct probe_inode_key key; /* its inode now */
};

/* places: where the watched files are, for the kernel to watch the new
 * inode a rename puts there at once (replace.bpf.h). */
int loader_watch_sync(loader *l, const struct probe_inode_key *files, size_t nfiles,
		      const struct probe_inode_key *dirs, size_t ndirs,
		      const struct probe_name_key *names, size_t nnames,
		      const struct loader_place *places, size_t nplaces);

/* Drops the kernel's replaced inodes recorded before this CLOCK_MONOTONIC
 * time: once the list was read again after it, watch_files has them. */
void loader_replaced_expire(loader *l, uint64_t before_ns);

#endif
