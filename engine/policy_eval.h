/* policy_eval — what loaded TracingPolicies make of one file access.
 *
 * The probes match watched files in the kernel; policy_watches says what
 * to watch for a policy set (Equal → the file, Prefix → a directory,
 * Postfix → a basename), and policy_engine_match evaluates, for each
 * access the kernel reported, every selector of every hook that asks for
 * that kind of access: the path operators again (a directory watch is
 * wider than a Prefix), the integer arguments, the return value, the
 * binary, PIDs, host or container, pod and container selectors and rate
 * limits.  A selector list is an "or" of selectors, a selector an "and"
 * of its matches, as in Tetragon.
 *
 * policy_event_fill then shapes the event as Tetragon emits it for that
 * hook: policy_name, function_name (the hook as the policy names it),
 * args in the policy's order with their type keys (nop arguments left
 * out), return, action KPROBE_ACTION_POST, and "bpfalert_hook": the
 * kernel function or system call that saw the access.
 *
 * sys_openat is seen at the call's exit, from the file it opened: its
 * dfd reads AT_FDCWD with the file's absolute path as the string, its
 * flags the access mode the file was opened with (O_RDONLY, O_WRONLY,
 * O_RDWR; O_CREAT and the other flags are not seen), its return value
 * the descriptor; fd_install likewise (the descriptor, the file).
 * sys_linkat is seen at its entry, as Tetragon's kprobe is, the names
 * made absolute (both dfds read AT_FDCWD; flags read 0, not seen), and
 * sys_link likewise; sys_symlinkat and sys_symlink at their entry, the
 * target as written (a string, not resolved), the new name made absolute
 * (newdfd reads AT_FDCWD).  A
 * dentry reads as the file's absolute path (Tetragon's stops at its
 * mount's root: the same for files of the root file system). */
#ifndef BPFALERT_POLICY_EVAL_H
#define BPFALERT_POLICY_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "evtree.h"
#include "policy.h"

/* One access, as the probes saw it. */
struct policy_access {
	enum policy_call call;
	const char *hook;            /* what saw it: "__x64_sys_write", ... */
	const char *path;            /* the file (its absolute path) */
	const char *path2;           /* renames and links: the new name (else NULL) */
	uint32_t mode;               /* the inode's mode (0: unknown) */
	uint32_t mask;               /* file_permission: MAY_READ 4, MAY_WRITE 2 */
	uint32_t prot, flags;        /* mmap_file */
	int64_t ret;                 /* the hook's return value (an open's descriptor) */
	/* the process */
	const char *binary;
	uint32_t pid, tid;
	const char *const *ancestors;       /* parents' binaries, nearest first */
	const uint32_t *ancestor_pids;
	size_t nancestors;
	bool in_container;
	const char *pod_namespace;          /* NULL outside a pod */
	const char *container_name;
	int64_t now_ms;
};

typedef struct policy_engine policy_engine;

/* The set must outlive the engine. */
policy_engine *policy_engine_new(const policy_set *set);
void policy_engine_free(policy_engine **e);

typedef void (*policy_emit_fn)(void *ctx, const struct policy *p, const struct policy_hook *h);

/* Calls fn once for every hook one of whose selectors the access passes
 * (rate limits applied).  Returns how many. */
size_t policy_engine_match(policy_engine *e, const struct policy_access *a, policy_emit_fn fn,
			   void *ctx);

/* The event kind of a hook's events: "process_kprobe" or "process_lsm". */
const char *policy_event_kind(const struct policy_hook *h);

/* Adds the hook's part of the event to `body` of `t` (which already holds
 * process and parent). */
void policy_event_fill(evtree *t, int body, const struct policy *p,
		       const struct policy_hook *h, const struct policy_access *a);

/* What the kernel must watch for the set, in probes.files.watch's syntax:
 * "/etc/passwd", "/etc/" (a directory and what is below it) and
 * "*\/.bashrc" (a basename anywhere; files whose basename merely ends so
 * are not seen).  Returns the count; *out is malloc'd (free each path
 * and the array). */
size_t policy_watches(const policy_set *set, char ***out);

/* Prints, for every policy, what it asks for and how it is implemented:
 * the watches, the checks left for user space, and `files_hook` (what
 * the kernel's file probe uses, or why it is not known). */
void policy_describe(const policy_set *set, const char *files_hook, FILE *out);

#endif
