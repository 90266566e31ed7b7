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
 * security_file_open and fd_install the opens, and openat(2) sys_openat
 * too; security_inode_setattr the chmod, chown and truncate families;
 * security_inode_setxattr and _removexattr the xattr calls; unlink,
 * rename and link security_path_unlink (_rename, _link), the inode hooks
 * of the same names and, for linkat(2) and link(2), sys_linkat and
 * sys_link; symlinkat(2) and symlink(2) sys_symlinkat and sys_symlink
 * only.  Under the security_* hooks themselves each hook is its call. */
#ifndef BPFALERT_POLICY_PROBE_H
#define BPFALERT_POLICY_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"
#include "probe.h"

#define POLICY_PROBE_CALLS_MAX 3

/* The calls an access seen at `hook` is; returns how many (0 to
 * POLICY_PROBE_CALLS_MAX). */
size_t policy_probe_calls(enum probe_hook hook, bool has_file_truncate,
			  enum policy_call out[POLICY_PROBE_CALLS_MAX]);

/* True for the calls on a directory's entries (unlink, rename, link):
 * their accesses name two files, the old and the new name. */
bool policy_probe_entry_hook(enum probe_hook hook);

/* True for the open family's exits (sys_exit_openat, ...). */
bool policy_probe_open_hook(enum probe_hook hook);

/* True if a policy of the set asks for a call only an open's exit shows
 * (sys_openat, security_file_open, fd_install): the security_* paths then
 * load the open exits too, for the policies alone. */
bool policy_probe_wants_opens(const struct policy_set *set);

/* True for the hooks that see a dentry and no mount (security_inode_setxattr
 * and _removexattr): their record's path stops at the root of the file's
 * mount, so a policy reads the watched path the record matched instead,
 * the file's absolute path as a policy names it. */
bool policy_probe_mountless(enum probe_hook hook);

/* True if the running kernel has security_file_truncate (its BTF says). */
bool policy_probe_has_file_truncate(void);

#endif
