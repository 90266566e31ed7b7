/* policy_probe — see policy_probe.h. */
#include "policy_probe.h"

#include <bpf/btf.h>


static size_t set(enum policy_call out[POLICY_PROBE_CALLS_MAX], enum policy_call a,
		  enum policy_call b, enum policy_call c, size_t n)
{
	out[0] = a;
	out[1] = b;
	out[2] = c;
	return n;
}

size_t policy_probe_calls(enum probe_hook hook, bool has_file_truncate,
			  enum policy_call out[POLICY_PROBE_CALLS_MAX])
{
	enum policy_call none = PCALL_COUNT;

	switch (hook) {
	case PROBE_HOOK_SECURITY_FILE_PERMISSION:
	case PROBE_HOOK_SYS_READ: case PROBE_HOOK_SYS_PREAD64: case PROBE_HOOK_SYS_READV:
	case PROBE_HOOK_SYS_PREADV: case PROBE_HOOK_SYS_PREADV2: case PROBE_HOOK_SYS_WRITE:
	case PROBE_HOOK_SYS_PWRITE64: case PROBE_HOOK_SYS_WRITEV: case PROBE_HOOK_SYS_PWRITEV:
	case PROBE_HOOK_SYS_PWRITEV2: case PROBE_HOOK_SYS_SENDFILE64:
	case PROBE_HOOK_SYS_COPY_FILE_RANGE: case PROBE_HOOK_SYS_SPLICE:
	case PROBE_HOOK_SYS_FALLOCATE: case PROBE_HOOK_IO_URING: case PROBE_HOOK_SYS_IO_SUBMIT:
		return set(out, PCALL_FILE_PERMISSION, none, none, 1);
	case PROBE_HOOK_SECURITY_MMAP_FILE: case PROBE_HOOK_SYS_MMAP:
		return set(out, PCALL_MMAP_FILE, none, none, 1);
	case PROBE_HOOK_SECURITY_PATH_TRUNCATE: case PROBE_HOOK_SYS_TRUNCATE:
		return set(out, PCALL_PATH_TRUNCATE, PCALL_INODE_SETATTR, none, 2);
	case PROBE_HOOK_SECURITY_FILE_TRUNCATE:
		return set(out, PCALL_FILE_TRUNCATE, PCALL_INODE_SETATTR, none, 2);
	case PROBE_HOOK_SYS_FTRUNCATE:
		return set(out, has_file_truncate ? PCALL_FILE_TRUNCATE : PCALL_PATH_TRUNCATE,
			   PCALL_INODE_SETATTR, none, 2);
	case PROBE_HOOK_SYS_OPENAT:
		return set(out, PCALL_FILE_OPEN, PCALL_SYS_OPENAT, PCALL_FD_INSTALL, 3);
	case PROBE_HOOK_SYS_OPEN: case PROBE_HOOK_SYS_OPENAT2: case PROBE_HOOK_SYS_CREAT:
		return set(out, PCALL_FILE_OPEN, PCALL_FD_INSTALL, none, 2);
	case PROBE_HOOK_SECURITY_PATH_CHMOD: case PROBE_HOOK_SYS_CHMOD:
	case PROBE_HOOK_SYS_FCHMOD: case PROBE_HOOK_SYS_FCHMODAT: case PROBE_HOOK_SYS_FCHMODAT2:
		return set(out, PCALL_PATH_CHMOD, PCALL_INODE_SETATTR, none, 2);
	case PROBE_HOOK_SECURITY_PATH_CHOWN: case PROBE_HOOK_SYS_CHOWN: case PROBE_HOOK_SYS_LCHOWN:
	case PROBE_HOOK_SYS_FCHOWN: case PROBE_HOOK_SYS_FCHOWNAT:
		return set(out, PCALL_PATH_CHOWN, PCALL_INODE_SETATTR, none, 2);
	case PROBE_HOOK_SECURITY_INODE_SETXATTR: case PROBE_HOOK_SYS_SETXATTR:
	case PROBE_HOOK_SYS_LSETXATTR: case PROBE_HOOK_SYS_FSETXATTR:
	case PROBE_HOOK_SYS_SETXATTRAT: case PROBE_HOOK_IO_SETXATTR:
		return set(out, PCALL_INODE_SETXATTR, none, none, 1);
	case PROBE_HOOK_SECURITY_INODE_REMOVEXATTR: case PROBE_HOOK_SYS_REMOVEXATTR:
	case PROBE_HOOK_SYS_LREMOVEXATTR: case PROBE_HOOK_SYS_FREMOVEXATTR:
	case PROBE_HOOK_SYS_REMOVEXATTRAT:
		return set(out, PCALL_INODE_REMOVEXATTR, none, none, 1);
	case PROBE_HOOK_SYS_UNLINK: case PROBE_HOOK_SYS_UNLINKAT: case PROBE_HOOK_IO_UNLINKAT:
		return set(out, PCALL_PATH_UNLINK, PCALL_INODE_UNLINK, none, 2);
	case PROBE_HOOK_SYS_RENAME: case PROBE_HOOK_SYS_RENAMEAT: case PROBE_HOOK_SYS_RENAMEAT2:
	case PROBE_HOOK_IO_RENAMEAT:
		return set(out, PCALL_PATH_RENAME, PCALL_INODE_RENAME, none, 2);
	case PROBE_HOOK_IO_LINKAT:
		return set(out, PCALL_PATH_LINK, PCALL_INODE_LINK, none, 2);
	case PROBE_HOOK_SYS_LINK:
		return set(out, PCALL_PATH_LINK, PCALL_INODE_LINK, PCALL_SYS_LINK, 3);
	case PROBE_HOOK_SYS_SYMLINKAT:
		return set(out, PCALL_SYS_SYMLINKAT, none, none, 1);
	case PROBE_HOOK_SYS_SYMLINK:
		return set(out, PCALL_SYS_SYMLINK, none, none, 1);
	case PROBE_HOOK_SYS_LINKAT:
		return set(out, PCALL_PATH_LINK, PCALL_INODE_LINK, PCALL_SYS_LINKAT, 3);
	default:
		return 0;
	}
}

bool policy_probe_entry_hook(enum probe_hook hook)
{
	switch (hook) {
	case PROBE_HOOK_SYS_UNLINK: case PROBE_HOOK_SYS_UNLINKAT: case PROBE_HOOK_IO_UNLINKAT:
	case PROBE_HOOK_SYS_RENAME: case PROBE_HOOK_SYS_RENAMEAT: case PROBE_HOOK_SYS_RENAMEAT2:
	case PROBE_HOOK_IO_RENAMEAT: case PROBE_HOOK_SYS_LINK: case PROBE_HOOK_SYS_LINKAT:
	case PROBE_HOOK_IO_LINKAT: case PROBE_HOOK_SYS_SYMLINKAT: case PROBE_HOOK_SYS_SYMLINK:
		return true;
	default:
		return false;
	}
}

bool policy_probe_open_hook(enum probe_hook hook)
{
	switch (hook) {
	case PROBE_HOOK_SYS_OPEN: case PROBE_HOOK_SYS_OPENAT: case PROBE_HOOK_SYS_OPENAT2:
	case PROBE_HOOK_SYS_CREAT:
		return true;
	default:
		return false;
	}
}

bool policy_probe_wants_opens(const struct policy_set *set)
{
	for (size_t i = 0; set && i < set->n; i++)
		for (size_t k = 0; k < set->v[i]->nhooks; k++)
			switch (set->v[i]->hooks[k].what) {
			case PCALL_SYS_OPENAT: case PCALL_FILE_OPEN: case PCALL_FD_INSTALL:
				return true;
			default:
				break;
			}
	return false;
}

bool policy_probe_mountless(enum probe_hook hook)
{
	return hook == PROBE_HOOK_SECURITY_INODE_SETXATTR ||
	       hook == PROBE_HOOK_SECURITY_INODE_REMOVEXATTR;
}

bool policy_probe_has_file_truncate(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	if (!btf)
		return false;
	bool has = btf__find_by_name_kind(btf, "security_file_truncate", BTF_KIND_FUNC) > 0;
	btf__free(btf);
	return has;
}
