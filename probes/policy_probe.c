/* policy_probe — see policy_probe.h. */
#include "policy_probe.h"

#include <bpf/btf.h>


size_t policy_probe_calls(enum probe_hook hook, bool has_file_truncate,
			  enum policy_call out[2])
{
	switch (hook) {
	case PROBE_HOOK_SECURITY_FILE_PERMISSION:
	case PROBE_HOOK_SYS_READ: case PROBE_HOOK_SYS_PREAD64: case PROBE_HOOK_SYS_READV:
	case PROBE_HOOK_SYS_PREADV: case PROBE_HOOK_SYS_PREADV2: case PROBE_HOOK_SYS_WRITE:
	case PROBE_HOOK_SYS_PWRITE64: case PROBE_HOOK_SYS_WRITEV: case PROBE_HOOK_SYS_PWRITEV:
	case PROBE_HOOK_SYS_PWRITEV2: case PROBE_HOOK_SYS_SENDFILE64:
	case PROBE_HOOK_SYS_COPY_FILE_RANGE: case PROBE_HOOK_SYS_SPLICE:
	case PROBE_HOOK_SYS_FALLOCATE: case PROBE_HOOK_IO_URING: case PROBE_HOOK_SYS_IO_SUBMIT:
		out[0] = PCALL_FILE_PERMISSION;
		return 1;
	case PROBE_HOOK_SECURITY_MMAP_FILE: case PROBE_HOOK_SYS_MMAP:
		out[0] = PCALL_MMAP_FILE;
		return 1;
	case PROBE_HOOK_SECURITY_PATH_TRUNCATE: case PROBE_HOOK_SYS_TRUNCATE:
		out[0] = PCALL_PATH_TRUNCATE;
		return 1;
	case PROBE_HOOK_SECURITY_FILE_TRUNCATE:
		out[0] = PCALL_FILE_TRUNCATE;
		return 1;
	case PROBE_HOOK_SYS_FTRUNCATE:
		out[0] = has_file_truncate ? PCALL_FILE_TRUNCATE : PCALL_PATH_TRUNCATE;
		return 1;
	case PROBE_HOOK_SYS_OPENAT:
		out[0] = PCALL_FILE_OPEN;
		out[1] = PCALL_SYS_OPENAT;
		return 2;
	case PROBE_HOOK_SYS_OPEN: case PROBE_HOOK_SYS_OPENAT2: case PROBE_HOOK_SYS_CREAT:
		out[0] = PCALL_FILE_OPEN;
		return 1;
	case PROBE_HOOK_SECURITY_PATH_CHMOD: case PROBE_HOOK_SYS_CHMOD:
	case PROBE_HOOK_SYS_FCHMOD: case PROBE_HOOK_SYS_FCHMODAT: case PROBE_HOOK_SYS_FCHMODAT2:
		out[0] = PCALL_PATH_CHMOD;
		return 1;
	case PROBE_HOOK_SECURITY_PATH_CHOWN: case PROBE_HOOK_SYS_CHOWN: case PROBE_HOOK_SYS_LCHOWN:
	case PROBE_HOOK_SYS_FCHOWN: case PROBE_HOOK_SYS_FCHOWNAT:
		out[0] = PCALL_PATH_CHOWN;
		return 1;
	default:
		return 0;
	}
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
