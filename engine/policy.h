/* policy — Tetragon TracingPolicy files (DESIGN §6.5).
 *
 * `policies_dirs` and `-p FILE|DIR` name YAML files (*.yaml, *.yml; the
 * drop-in rules of rules.d) of TracingPolicy and TracingPolicyNamespaced
 * documents (apiVersion cilium.io/v1alpha1), one or many per file, read
 * with libyaml.  The supported subset is the one the file probes can
 * produce:
 *
 *   kprobes:  security_file_permission (file, int mask), security_mmap_file
 *             (file, uint32 prot, uint32 flags), security_path_truncate
 *             (path), security_file_truncate (file), security_file_open
 *             (file), security_path_chmod and security_path_chown (path;
 *             the mode and owners are not seen: nop only), fd_install
 *             (int fd, file), security_path_unlink, _link and _rename,
 *             security_inode_unlink, _link, _rename, _setattr, _setxattr
 *             and _removexattr (paths and dentries of the files named),
 *             sys_openat, sys_linkat, sys_link, sys_symlinkat and
 *             sys_symlink (also spelt __x64_sys_..., __arm64_sys_...;
 *             syscall: true; see policy_eval.h; link and symlink exist
 *             on x86 only: elsewhere a policy on them is an error);
 *             lsmhooks: the same hooks as the LSM names them (file_open,
 *             path_unlink, inode_setxattr, ...), with the same arguments;
 *   args:     file, path, dentry, fd, string, char_buf, int, uint32,
 *             size_t, nop, matched to what each argument holds;
 *   returnArg with returnArgAction Post;
 *   selectors: matchArgs (Equal, NotEqual, Prefix, NotPrefix, Postfix,
 *             NotPostfix, Mask, GT, LT), matchReturnArgs, matchBinaries
 *             (In, NotIn, Prefix, NotPrefix; followChildren),
 *             matchNamespaces (host_ns: host versus container), matchPIDs
 *             (In, NotIn; followForks), matchActions (Post, rateLimit);
 *   podSelector / containerSelector: matchLabels on the pod's namespace
 *             (k8s:io.kubernetes.pod.namespace) and the container's name.
 *
 * A document without `kind` is a TracingPolicy, as Tetragon's own
 * examples (openat_write.yaml) expect.
 *
 * Anything else is an error at file:line:col naming the key or value, and
 * the rest of the file is still checked.  A policy with an error is not
 * loaded.
 *
 * Ownership: a policy_set owns its policies and everything they hold. */
#ifndef BPFALERT_POLICY_H
#define BPFALERT_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* What an argument holds, by the C type of the hook's parameter. */
enum policy_arg_type {
	PARG_NOP, PARG_FILE, PARG_PATH, PARG_DENTRY, PARG_FD, PARG_STRING, PARG_CHAR_BUF,
	PARG_INT, PARG_UINT32, PARG_SIZE_T,
};

enum policy_op {
	POP_EQUAL, POP_NOT_EQUAL, POP_PREFIX, POP_NOT_PREFIX, POP_POSTFIX, POP_NOT_POSTFIX,
	POP_MASK, POP_GT, POP_LT,
	POP_IN, POP_NOT_IN,      /* matchBinaries, matchPIDs, matchNamespaces */
};

/* The file hooks a policy can ask for (their parameters: policy_calls.h). */
enum policy_call {
	PCALL_FILE_PERMISSION,   /* (struct file *, int mask) */
	PCALL_MMAP_FILE,         /* (struct file *, unsigned long prot, unsigned long flags) */
	PCALL_PATH_TRUNCATE,     /* (const struct path *) */
	PCALL_FILE_TRUNCATE,     /* (struct file *) */
	PCALL_FILE_OPEN,         /* (struct file *) */
	PCALL_PATH_CHMOD,        /* (const struct path *, umode_t) */
	PCALL_PATH_CHOWN,        /* (const struct path *, kuid_t, kgid_t) */
	PCALL_SYS_OPENAT,        /* (int dfd, const char *path, int flags): its exit */
	PCALL_SYS_LINKAT,        /* (int olddfd, const char *old, int newdfd, const char *new,
				    int flags) */
	PCALL_FD_INSTALL,        /* (unsigned int fd, struct file *): an open's descriptor */
	PCALL_PATH_UNLINK,       /* (const struct path *dir, struct dentry *) */
	PCALL_PATH_LINK,         /* (struct dentry *old, const struct path *new_dir,
				    struct dentry *new) */
	PCALL_PATH_RENAME,       /* (const struct path *old_dir, struct dentry *old,
				    const struct path *new_dir, struct dentry *new, flags) */
	PCALL_INODE_UNLINK,      /* (struct inode *dir, struct dentry *) */
	PCALL_INODE_LINK,        /* (struct dentry *old, struct inode *dir, struct dentry *new) */
	PCALL_INODE_RENAME,      /* (struct inode *, struct dentry *old, struct inode *,
				    struct dentry *new, flags) */
	PCALL_INODE_SETATTR,     /* (struct mnt_idmap *, struct dentry *, struct iattr *) */
	PCALL_INODE_SETXATTR,    /* (struct mnt_idmap *, struct dentry *, const char *name, ...) */
	PCALL_INODE_REMOVEXATTR, /* (struct mnt_idmap *, struct dentry *, const char *name) */
	PCALL_SYS_LINK,          /* (const char *old, const char *new): link(2), x86 only */
	PCALL_SYS_SYMLINKAT,     /* (const char *target, int newdfd, const char *new) */
	PCALL_SYS_SYMLINK,       /* (const char *target, const char *new): x86 only */
	PCALL_COUNT,
};

struct policy_values {
	char **v;
	size_t n;
};

struct policy_match {            /* one entry of matchArgs, matchReturnArgs, ... */
	enum policy_op op;
	unsigned index;          /* matchArgs: the argument's `index` */
	struct policy_values values;
	bool follow;             /* followChildren / followForks */
};

struct policy_selector {
	struct policy_match *args, *ret, *binaries, *pids, *namespaces;
	size_t nargs, nret, nbinaries, npids, nnamespaces;
	int64_t rate_limit_ms;   /* 0: none */
	int rate_limit_scope;    /* 0 thread, 1 process, 2 global */
};

struct policy_arg {
	unsigned index;
	enum policy_arg_type type;
	char *label;
};

struct policy_hook {
	bool lsm;                /* under lsmhooks */
	char *call;              /* as written: "security_file_permission", "file_open" */
	enum policy_call what;
	struct policy_arg *args;
	size_t nargs;
	bool has_return;         /* returnArg given */
	enum policy_arg_type return_type;
	struct policy_selector *selectors;
	size_t nselectors;
	int line, col;
};

struct policy {
	char *name;
	char *file;
	int line;                /* where the document starts */
	bool namespaced;         /* TracingPolicyNamespaced */
	char *namespace;         /* its metadata.namespace */
	struct policy_hook *hooks;
	size_t nhooks;
	struct policy_values pod_namespaces;   /* podSelector: allowed namespaces */
	struct policy_values containers;       /* containerSelector: names */
	bool has_pod_selector;
};

typedef struct policy_set {
	struct policy **v;
	size_t n;
} policy_set;

/* Loads every policy of `paths` (files, or drop-in directories of *.yaml
 * and *.yml) into `out`, reporting through `d`.  Policies without errors
 * are appended.  Returns the number of errors. */
unsigned policy_load(const char *const *paths, size_t npaths, diag *d, policy_set *out);

/* One YAML text (named `file` in reports). */
unsigned policy_load_text(const char *file, const char *text, size_t len, diag *d,
			  policy_set *out);

/* The policies a command uses: `paths` (-p) when given, else the
 * configuration's policies_dirs, of which those that do not exist are
 * skipped (a node without policies).  Returns the number of errors. */
unsigned policy_load_configured(const char *const *paths, size_t npaths,
				char *const *dirs, size_t ndirs, diag *d, policy_set *out);

void policy_set_clear(policy_set *s);

#endif
