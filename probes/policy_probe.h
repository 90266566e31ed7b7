/* policy_probe — TracingPolicies (policy.h) on the file probe: which of
 * the probe's hooks feeds which policy call, and what this kernel's file
 * probe is.
 *
 * security_file_permission is what the read and write system calls (and
 * sendfile64, copy_file_range, splice, fallocate, io_uring and AIO
 * requests) go through; security_path_chmod and security_path_chown the
 * chmod and chown families; security_mmap_file
 * mmap; security_path_truncate truncate(2), and ftruncate(2) on kernels
 * without security_file_truncate (before 6.2; found in the kernel's BTF,
 * not from its version), where ftruncate is security_file_truncate;
 * security_file_open the opens, and openat(2) sys_openat too.  Under the
 * security_* hooks themselves each hook is its call. */
#ifndef BPFALERT_POLICY_PROBE_H
#define BPFALERT_POLICY_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"
#include "probe.h"

/* The calls an access seen at `hook` is; returns how many (0 to 2). */
size_t policy_probe_calls(enum probe_hook hook, bool has_file_truncate,
			  enum policy_call out[2]);

/* True if the running kernel has security_file_truncate (its BTF says). */
bool policy_probe_has_file_truncate(void);

#endif
