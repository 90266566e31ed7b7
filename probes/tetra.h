/* tetra — bpfalert's probe records in Tetragon's JSON export schema
 * (DESIGN §3.1): the conventions Tetragon follows, so that one rule works
 * on events from either source.
 *
 * - exec_id is base64 (standard alphabet, padded) of "node:ktime:pid"
 *   (Tetragon's pkg/process GetProcessID).
 * - arguments are argv[1..] joined by spaces, an argument holding a space
 *   wrapped in double quotes and preceded by a space even when it comes
 *   first (Tetragon's ArgsDecoder, quirks included).
 * - fields at their zero value are omitted; pid, uid, auid and tid are
 *   always present.
 * - strings are made valid UTF-8 (each bad byte becomes U+FFFD). */
#ifndef BPFALERT_TETRA_H
#define BPFALERT_TETRA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe.h"

struct json_object;
struct evtree;
struct proc;
struct pod_info;

/* Writes the exec id to out (size >= 1); returns its full length. */
size_t tetra_exec_id(char *out, size_t size, const char *node, uint64_t ktime, uint32_t pid);

/* Joins NUL-separated arguments (argv[1..], no argv[0]) as Tetragon does;
 * trailing NULs are ignored.  Returns a malloc'd string ("" for none). */
char *tetra_args_join(const char *block, size_t len);
/* The same from a whole argv block: argv[0] is skipped. */
char *tetra_args_from_argv(const char *block, size_t len);
/* A block cut in the kernel (probe.h): the head's arguments, " ... ", then
 * the tail's, its first one possibly partial. */
char *tetra_args_cut(const char *head, size_t hlen, const char *tail, size_t tlen);

/* "SIGKILL" for 9; NULL for 0 or unknown numbers. */
const char *tetra_signal_name(int sig);

/* function_name for a hook: "security_file_permission", "tcp_connect",
 * or the system call as Tetragon names a syscall kprobe ("__x64_sys_openat"
 * on x86_64, "__arm64_sys_openat" on arm64). */
const char *tetra_hook_name(enum probe_hook h);

/* A string member (key NULL: an array element) holding s[0..len) made
 * valid UTF-8; the same as a JSON string. */
void tetra_add_string(struct evtree *t, int parent, const char *key, const char *s,
		      size_t len);
struct json_object *tetra_string(const char *s, size_t len);

/* Joins path components given leaf first ("passwd\0etc\0") into "/etc/passwd".
 * Returns a malloc'd string. */
char *tetra_path_from_components(const char *buf, size_t len);

/* The `process` object of an image as member `key` of parent; tid 0
 * means the image's pid.  p NULL gives an empty object; pod may be NULL.
 * mono_to_real_ns converts ktime into wall-clock nanoseconds.  The same as
 * a json-c document: tetra_process. */
void tetra_add_process(struct evtree *t, int parent, const char *key, const struct proc *p,
		       uint32_t tid, const struct pod_info *pod, int64_t mono_to_real_ns);
struct json_object *tetra_process(const struct proc *p, uint32_t tid,
				  const struct pod_info *pod, int64_t mono_to_real_ns);

/* An event is {"<kind>": body, "node_name": node, "time": RFC 3339}:
 * _begin clears the tree and returns the body to fill, _end adds the
 * rest. */
int tetra_event_begin(struct evtree *t, const char *kind);
void tetra_event_end(struct evtree *t, const char *node, int64_t time_ns);

/* A file access (process_kprobe body): function_name, args[0].file_arg
 * {path, watched_path when not NULL, permission when mode is known},
 * args[1].int_arg = mask, action, and repeats when not 0. */
void tetra_add_file_access(struct evtree *t, int body, const char *function,
			   const char *path, const char *watched, uint32_t mode, uint32_t mask,
			   uint32_t repeats);

/* A TCP connect (process_kprobe body, "tcp_connect"): args[0].sock_arg. */
struct tetra_sock {
	const char *family;        /* "AF_INET", "AF_INET6" */
	char saddr[46], daddr[46]; /* INET6_ADDRSTRLEN */
	unsigned sport, dport;     /* 0: left out */
};
void tetra_add_connect(struct evtree *t, int body, const struct tetra_sock *sk);

#endif
