/* policy_calls — see policy_calls.h. */
#include "policy_calls.h"

#include <string.h>

/* Tetragon reads a dentry as a path (path_arg) and a descriptor as the
 * file it is (file_arg). */
static const struct {
	const char *name;
	enum policy_arg_type t;
	const char *key;
} arg_types[] = {
	{ "nop", PARG_NOP, NULL },          { "file", PARG_FILE, "file_arg" },
	{ "path", PARG_PATH, "path_arg" },  { "dentry", PARG_DENTRY, "path_arg" },
	{ "fd", PARG_FD, "file_arg" },      { "string", PARG_STRING, "string_arg" },
	{ "char_buf", PARG_CHAR_BUF, "bytes_arg" }, { "int", PARG_INT, "int_arg" },
	{ "uint32", PARG_UINT32, "uint_arg" },      { "size_t", PARG_SIZE_T, "size_arg" },
};

#define NARG_TYPES (sizeof(arg_types) / sizeof(arg_types[0]))

const char *policy_arg_key(enum policy_arg_type t)
{
	for (size_t i = 0; i < NARG_TYPES; i++)
		if (arg_types[i].t == t)
			return arg_types[i].key;
	return NULL;
}

const char *policy_arg_type_name(enum policy_arg_type t)
{
	for (size_t i = 0; i < NARG_TYPES; i++)
		if (arg_types[i].t == t)
			return arg_types[i].name;
	return "?";
}

int policy_arg_type_parse(const char *name)
{
	for (size_t i = 0; name && i < NARG_TYPES; i++)
		if (!strcmp(name, arg_types[i].name))
			return (int)arg_types[i].t;
	return -1;
}

const char *const *policy_arg_type_names(void)
{
	static const char *names[NARG_TYPES + 1];
	for (size_t i = 0; i < NARG_TYPES; i++)
		names[i] = arg_types[i].name;
	return names;
}

static const char *const op_names[] = {
	[POP_EQUAL] = "Equal",     [POP_NOT_EQUAL] = "NotEqual", [POP_PREFIX] = "Prefix",
	[POP_NOT_PREFIX] = "NotPrefix", [POP_POSTFIX] = "Postfix",
	[POP_NOT_POSTFIX] = "NotPostfix", [POP_MASK] = "Mask", [POP_GT] = "GT", [POP_LT] = "LT",
	[POP_IN] = "In", [POP_NOT_IN] = "NotIn",
};

const char *policy_op_name(enum policy_op op)
{
	return op_names[op];
}

/* The parameters as the kernel declares them (the inode hooks with the
 * mnt_idmap first, as since Linux 6.3; security_inode_setxattr has had a
 * namespace first since 5.12). */
static const struct {
	const char *kprobe, *lsm;
	const char *params;
	bool syscall;
} calls[PCALL_COUNT] = {
	[PCALL_FILE_PERMISSION] = { "security_file_permission", "file_permission", "fi", false },
	[PCALL_MMAP_FILE] = { "security_mmap_file", "mmap_file", "fii", false },
	[PCALL_PATH_TRUNCATE] = { "security_path_truncate", "path_truncate", "p", false },
	[PCALL_FILE_TRUNCATE] = { "security_file_truncate", "file_truncate", "f", false },
	[PCALL_FILE_OPEN] = { "security_file_open", "file_open", "f", false },
	[PCALL_PATH_CHMOD] = { "security_path_chmod", "path_chmod", "pu", false },
	[PCALL_PATH_CHOWN] = { "security_path_chown", "path_chown", "puu", false },
	[PCALL_SYS_OPENAT] = { "sys_openat", NULL, "isi", true },
	[PCALL_SYS_LINKAT] = { "sys_linkat", NULL, "isiSi", true },
	[PCALL_FD_INSTALL] = { "fd_install", NULL, "if", false },
	[PCALL_PATH_UNLINK] = { "security_path_unlink", "path_unlink", "Pd", false },
	[PCALL_PATH_LINK] = { "security_path_link", "path_link", "dQD", false },
	[PCALL_PATH_RENAME] = { "security_path_rename", "path_rename", "PdQDu", false },
	[PCALL_INODE_UNLINK] = { "security_inode_unlink", "inode_unlink", "ud", false },
	[PCALL_INODE_LINK] = { "security_inode_link", "inode_link", "duD", false },
	[PCALL_INODE_RENAME] = { "security_inode_rename", "inode_rename", "uduDu", false },
	[PCALL_INODE_SETATTR] = { "security_inode_setattr", "inode_setattr", "udu", false },
	[PCALL_INODE_SETXATTR] = { "security_inode_setxattr", "inode_setxattr", "uduuuu", false },
	[PCALL_INODE_REMOVEXATTR] = { "security_inode_removexattr", "inode_removexattr", "udu",
				      false },
	[PCALL_SYS_LINK] = { "sys_link", NULL, "sS", true },
	[PCALL_SYS_SYMLINKAT] = { "sys_symlinkat", NULL, "tiS", true },
	[PCALL_SYS_SYMLINK] = { "sys_symlink", NULL, "tS", true },
};

const char *policy_call_unavailable(enum policy_call c)
{
#if !defined(__x86_64__)
	if (c == PCALL_SYS_LINK)
		return "this architecture has no link system call (only linkat: sys_linkat)";
	if (c == PCALL_SYS_SYMLINK)
		return "this architecture has no symlink system call (only symlinkat: "
		       "sys_symlinkat)";
#else
	(void)c;
#endif
	return NULL;
}

const char *policy_call_function(enum policy_call c)
{
	return calls[c].kprobe;
}

const char *policy_call_lsm(enum policy_call c)
{
	return calls[c].lsm;
}

bool policy_call_is_syscall(enum policy_call c)
{
	return calls[c].syscall;
}

const char *policy_call_params(enum policy_call c)
{
	return calls[c].params;
}

char policy_call_param(enum policy_call c, unsigned index)
{
	return index < strlen(calls[c].params) ? calls[c].params[index] : 0;
}

unsigned policy_call_path_index(enum policy_call c)
{
	return (unsigned)strcspn(calls[c].params, "fpdst");
}

/* A system call's name without its architecture's prefix: "sys_openat"
 * for "__x64_sys_openat". */
static const char *syscall_base(const char *name)
{
	static const char *const prefixes[] = { "__x64_", "__arm64_", NULL };
	for (size_t i = 0; prefixes[i]; i++) {
		size_t n = strlen(prefixes[i]);
		if (!strncmp(name, prefixes[i], n) && !strncmp(name + n, "sys_", 4))
			return name + n;
	}
	return name;
}

int policy_call_find(const char *name, bool lsm)
{
	for (int i = 0; i < PCALL_COUNT; i++) {
		const char *want = lsm ? calls[i].lsm : calls[i].kprobe;
		if (want && !strcmp(lsm ? name : syscall_base(name), want))
			return i;
	}
	return -1;
}

const char *policy_param_what(char kind)
{
	switch (kind) {
	case 'f': return "a struct file *";
	case 'p': case 'P': case 'Q': return "a struct path *";
	case 'd': case 'D': return "a struct dentry *";
	case 's': case 'S': return "a path (a string)";
	case 't': return "a symbolic link's target (a string)";
	default: return "an integer";
	}
}

bool policy_arg_reads(enum policy_arg_type t, char kind)
{
	switch (t) {
	case PARG_NOP:
		return true;
	case PARG_FILE:
		return kind == 'f';
	case PARG_PATH:
		return kind == 'p' || kind == 'P' || kind == 'Q';
	case PARG_DENTRY:
		return kind == 'd' || kind == 'D';
	case PARG_STRING:
		return kind == 's' || kind == 'S' || kind == 't';
	case PARG_INT: case PARG_UINT32: case PARG_SIZE_T:
		return kind == 'i';
	default:
		return false;
	}
}

bool policy_arg_is_text(enum policy_arg_type t)
{
	return t == PARG_FILE || t == PARG_PATH || t == PARG_DENTRY || t == PARG_FD ||
	       t == PARG_STRING || t == PARG_CHAR_BUF;
}
