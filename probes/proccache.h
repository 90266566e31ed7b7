/* proccache — what bpfalert knows of every process: the `process` and
 * `parent` objects of Tetragon's events (DESIGN §8).
 *
 * One struct proc per process image: an exec makes a new one (new
 * exec_id), a fork makes one for the child as a copy of its parent's
 * (flag "clone").  The cache maps a pid to its current image.  As in
 * Tetragon, a proc holds a reference on its parent, so a child's
 * `parent` stays right after the parent has exec'd, exited or had its pid
 * reused.  Exited processes stay findable for `linger_ms` (late records
 * about them still arrive), then are dropped; the cache holds at most
 * `max` pids, dropping the longest-exited, else the oldest, beyond that.
 *
 * Times are CLOCK_MONOTONIC nanoseconds (the kernel's ktime); exec_id is
 * base64("node:ktime:pid") with the ktime of the exec (or fork, or the
 * start time read from /proc for processes found at start-up).
 *
 * Ownership: the cache owns every proc; pointers stay valid until the
 * next call that changes the cache (exec, fork, exit, expire, seed). */
#ifndef BPFALERT_PROCCACHE_H
#define BPFALERT_PROCCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Tetragon's process flags, in the order it prints them. */
#define PROC_F_EXECVE         0x001
#define PROC_F_PROCFS         0x002
#define PROC_F_TRUNC_FILENAME 0x004
#define PROC_F_TRUNC_ARGS     0x008
#define PROC_F_MISS           0x010
#define PROC_F_AUID           0x020
#define PROC_F_ERROR_FILENAME 0x040
#define PROC_F_ERROR_ARGS     0x080
#define PROC_F_NOCWD          0x100
#define PROC_F_ROOTCWD        0x200
#define PROC_F_ERROR_CWD      0x400
#define PROC_F_CLONE          0x800

struct proc {
	uint32_t pid;
	uint32_t ppid;
	uint32_t uid, auid;
	uint64_t ktime;            /* start of this image */
	unsigned flags;            /* PROC_F_* */
	char *exec_id;
	char *binary;              /* may be NULL (kernel threads, misses) */
	char *arguments;           /* Tetragon-joined argv[1..]; NULL: none */
	char *cwd;
	char *container_id;        /* "containerd://<64 hex>" ...; NULL: host */
	struct proc *parent;       /* counted reference; NULL: unknown */
	char *parent_exec_id;      /* kept when the parent is unknown too */
	bool exited;
	int64_t exited_ms;
	/* internal */
	unsigned refs;
	bool hashed;
	struct proc *hnext;
	struct proc *older, *newer;     /* every hashed proc, by insertion */
	struct proc *xolder, *xnewer;   /* hashed exited procs, by exit */
};

typedef struct proccache proccache;

/* max: pids kept (0: 65536); linger_ms: how long exited ones stay. */
proccache *proccache_new(const char *node, size_t max, int64_t linger_ms);
void proccache_free(proccache **c);

struct proc *proccache_get(proccache *c, uint32_t pid);
size_t proccache_count(const proccache *c);

/* What an exec record says.  Strings are copied. */
struct proc_exec_info {
	uint32_t pid, ppid, uid, auid;
	uint64_t ktime;
	const char *binary;
	const char *arguments;     /* already joined; NULL: none */
	const char *cwd;
	const char *container_id;  /* NULL: none; "" inherit the parent's */
	unsigned flags;            /* PROC_F_* besides EXECVE/CLONE/ROOTCWD */
};

/* A new image for info->pid.  Its parent is ppid's current image; "clone"
 * is set when the pid's previous image came from a fork. */
struct proc *proccache_exec(proccache *c, const struct proc_exec_info *info);

/* A new process, a copy of ppid's current image (or a bare one if that is
 * unknown, flagged "miss"). */
struct proc *proccache_fork(proccache *c, uint32_t pid, uint32_t ppid, uint64_t ktime,
			    uint32_t uid, uint32_t auid);

/* Marks pid exited at now_ms; returns its image (NULL if unknown). */
struct proc *proccache_exit(proccache *c, uint32_t pid, int64_t now_ms);

/* Drops processes exited more than linger_ms before now_ms. */
void proccache_expire(proccache *c, int64_t now_ms);

/* A bare image for a pid seen in a record but not in the cache (lost
 * records): flagged "miss". */
struct proc *proccache_miss(proccache *c, uint32_t pid, uint32_t ppid, uint32_t uid,
			    uint32_t auid, uint64_t ktime);

/* Reads every process under proc_root ("/proc") into the cache, flagged
 * "procFS", keeping images already known.  boot_to_mono_ns converts the
 * boot-time clock of /proc/PID/stat into ktime.  Returns how many were
 * added.  `container_of` may fill a process's container id. */
typedef char *(*proc_container_fn)(void *ctx, uint32_t pid);
size_t proccache_seed(proccache *c, const char *proc_root, int64_t boot_to_mono_ns,
		      proc_container_fn container_of, void *ctx);
/* Reads one process from proc_root (as proccache_seed); NULL if it is
 * gone. */
struct proc *proccache_seed_one(proccache *c, const char *proc_root, uint32_t pid,
				int64_t boot_to_mono_ns, proc_container_fn container_of,
				void *ctx);

/* "execve rootcwd clone" into buf. */
void proc_flags_string(unsigned flags, char *buf, size_t size);

#endif
