/* policy_calls — the hooks a TracingPolicy may name, what each of their
 * parameters is to the probes, and the names of argument types and
 * operators (one table each, so the loader, the evaluator and check's
 * description cannot drift apart).
 *
 * A call's parameters are one letter each:
 *
 *   f  struct file *     the file accessed
 *   p  struct path *     the file accessed
 *   d  struct dentry *   the file accessed
 *   s  a path string     the file accessed (system calls; made absolute)
 *   P  struct path *     the directory of the file accessed
 *   D  struct dentry *   the second file: a rename's or a link's new name
 *   S  a path string     the second file
 *   t  a string          a symbolic link's target, as written (not made
 *                        absolute: it need not name a file)
 *   Q  struct path *     the second file's directory
 *   i  an integer the probes know (per call: see policy_eval.c)
 *   u  a parameter the probes do not see: only `nop` can stand for it
 *
 * The first of f, p, d, s and t is the file the probes watch: every
 * selector names its files there. */
#ifndef BPFALERT_POLICY_CALLS_H
#define BPFALERT_POLICY_CALLS_H

#include <stdbool.h>

#include "policy.h"

/* The kernel function a call is: "security_file_permission", ... */
const char *policy_call_function(enum policy_call c);
/* Its LSM hook ("file_permission"), or NULL if it has none. */
const char *policy_call_lsm(enum policy_call c);
/* True for the system calls (syscall: true; spelt also __x64_sys_...). */
bool policy_call_is_syscall(enum policy_call c);
/* The call of a kprobe's `call` or an lsmhook's `hook`, or -1. */
int policy_call_find(const char *name, bool lsm);
/* Why the probes cannot see the call on this machine, or NULL. */
const char *policy_call_unavailable(enum policy_call c);
/* The parameter letters (above); index them with policy_call_param. */
const char *policy_call_params(enum policy_call c);
/* The letter of parameter `index`, or 0 past the last. */
char policy_call_param(enum policy_call c, unsigned index);
/* The index of the parameter that names the watched file. */
unsigned policy_call_path_index(enum policy_call c);
/* "a struct file *", "an integer", ... for error texts. */
const char *policy_param_what(char kind);

/* True if an argument of type t can read a parameter of this kind. */
bool policy_arg_reads(enum policy_arg_type t, char kind);
/* True for the types that hold a path (matched as text). */
bool policy_arg_is_text(enum policy_arg_type t);
/* The type of a name ("file"), or -1; the names, NULL-terminated. */
int policy_arg_type_parse(const char *name);
const char *const *policy_arg_type_names(void);
/* Tetragon's names: "file_arg", "int_arg", ... (NULL for nop). */
const char *policy_arg_key(enum policy_arg_type t);
const char *policy_arg_type_name(enum policy_arg_type t);
const char *policy_op_name(enum policy_op op);

#endif
