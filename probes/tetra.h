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
struct proc;
struct pod_info;

/* Writes the exec id to out (size >= 1); returns its full length. */
size_t tetra_exec_id(char *out, size_t size, const char *node, uint64_t ktime, uint32_t pid);

/* Joins NUL-separated arguments (argv[1..], no argv[0]) as Tetragon does;
 * trailing NULs are ignored.  Returns a malloc'd string ("" for none). */
char *tetra_args_join(const char *block, size_t len);
/* The same from a whole argv block: argv[0] is skipped. */
char *tetra_args_from_argv(const char *block, size_t len);

/* "SIGKILL" for 9; NULL for 0 or unknown numbers. */
const char *tetra_signal_name(int sig);

/* ls-style permission text of an inode mode: "-rw-r--r--". */
void tetra_permission(uint32_t mode, char out[11]);

/* function_name for a hook: "security_file_permission", "tcp_connect",
 * or the system call as Tetragon names a syscall kprobe ("__x64_sys_openat"
 * on x86_64, "__arm64_sys_openat" on arm64). */
const char *tetra_hook_name(enum probe_hook h);

/* A JSON string holding s[0..len) made valid UTF-8. */
struct json_object *tetra_string(const char *s, size_t len);

/* Joins path components given leaf first ("passwd\0etc\0") into "/etc/passwd".
 * Returns a malloc'd string. */
char *tetra_path_from_components(const char *buf, size_t len);

/* The `process` object of an image; tid 0 means the image's pid.  pod may
 * be NULL.  mono_to_real_ns converts ktime into wall-clock nanoseconds. */
struct json_object *tetra_process(const struct proc *p, uint32_t tid,
				  const struct pod_info *pod, int64_t mono_to_real_ns);

/* {"<kind>": body, "node_name": node, "time": RFC 3339}: takes body. */
struct json_object *tetra_event(const char *kind, struct json_object *body,
				const char *node, int64_t time_ns);

#endif
