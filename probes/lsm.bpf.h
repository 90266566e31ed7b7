/* lsm.bpf.h — the file probe as BPF LSM programs (included by probe.bpf.c
 * after the bodies of its security_* hooks).
 *
 * Where bpf is an active LSM these run at the same points as the
 * fentry and kprobe programs on security_*, but attached to the LSM hook
 * itself, which no other module can bypass and no kernel build can
 * inline away.  Each shares its body with the fentry and kprobe entry
 * points, so all three paths give the same events.  The programs only
 * watch: each returns the verdict it was given (`ret`, that of the BPF
 * LSM programs before it), never refusing anything itself. */
#ifndef BPFALERT_LSM_BPF_H
#define BPFALERT_LSM_BPF_H

SEC("lsm/file_permission")
int BPF_PROG(fp_lsm, struct file *file, int mask, int ret)
{
	on_file_permission(ctx, file, mask);
	return ret;
}

/* The LSM hook has the caller's and the effective protection; the
 * effective one is what security_mmap_file hands on. */
SEC("lsm/mmap_file")
int BPF_PROG(mmap_lsm, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	on_mmap_file(ctx, file, prot);
	return ret;
}

SEC("lsm/file_mprotect")
int BPF_PROG(mprot_lsm, struct vm_area_struct *vma, unsigned long reqprot, unsigned long prot,
	     int ret)
{
	on_file_mprotect(ctx, vma, prot, PROBE_HOOK_SECURITY_FILE_MPROTECT);
	return ret;
}

SEC("lsm/path_truncate")
int BPF_PROG(ptrunc_lsm, const struct path *path, int ret)
{
	on_path_truncate(ctx, path);
	return ret;
}

/* Since 6.2. */
SEC("lsm/file_truncate")
int BPF_PROG(ftrunc_lsm, struct file *file, int ret)
{
	on_file_truncate(ctx, file);
	return ret;
}

SEC("lsm/path_chmod")
int BPF_PROG(chmod_lsm, const struct path *path, umode_t mode, int ret)
{
	on_path_meta(ctx, path, PROBE_HOOK_SECURITY_PATH_CHMOD);
	return ret;
}

/* kuid_t and kgid_t are one-word structs, passed as integers. */
SEC("lsm/path_chown")
int BPF_PROG(chown_lsm, const struct path *path, __u32 uid, __u32 gid, int ret)
{
	on_path_meta(ctx, path, PROBE_HOOK_SECURITY_PATH_CHOWN);
	return ret;
}

/* The first argument is a struct user_namespace * before 6.3, a struct
 * mnt_idmap * since. */
SEC("lsm/inode_setxattr")
int BPF_PROG(setxattr_lsm, void *idmap, struct dentry *dentry, const char *name,
	     const void *value, size_t size, int flags, int ret)
{
	on_dentry_meta(ctx, dentry, PROBE_HOOK_SECURITY_INODE_SETXATTR);
	return ret;
}

SEC("lsm/inode_removexattr")
int BPF_PROG(rmxattr_lsm, void *idmap, struct dentry *dentry, const char *name, int ret)
{
	on_dentry_meta(ctx, dentry, PROBE_HOOK_SECURITY_INODE_REMOVEXATTR);
	return ret;
}

/* Renames, links and unlinks as the kernel resolved them (with
 * CONFIG_SECURITY_PATH): a watched file, or an entry of a watched
 * directory, written.  User space then leaves these calls' own records
 * to the policies.  A rename is reported under the new name (a watched
 * file moved, or a file moved into a watched directory), under the old one
 * (moved out of one; the repeat suppression folds it into the first for
 * the same inode) and as the file it replaces. */
#define ENTRY_ACCESS(hook) ACCESS(PROBE_MAY_WRITE, PROBE_KIND_ENTRY, hook, true)

SEC("lsm/path_unlink")
int BPF_PROG(unlink_lsm, const struct path *dir, struct dentry *dentry, int ret)
{
	report(ctx, dentry, BPF_CORE_READ(dir, mnt), ENTRY_ACCESS(PROBE_HOOK_SECURITY_PATH_UNLINK));
	return ret;
}

SEC("lsm/path_link")
int BPF_PROG(link_lsm, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry, int ret)
{
	report_as(ctx, BPF_CORE_READ(old_dentry, d_inode), new_dentry, BPF_CORE_READ(new_dir, mnt),
		  ENTRY_ACCESS(PROBE_HOOK_SECURITY_PATH_LINK));
	return ret;
}

SEC("lsm/path_rename")
int BPF_PROG(rename_lsm, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, unsigned int flags, int ret)
{
	struct vfsmount *to = BPF_CORE_READ(new_dir, mnt);

	report_as(ctx, BPF_CORE_READ(old_dentry, d_inode), new_dentry, to,
		  ENTRY_ACCESS(PROBE_HOOK_SECURITY_PATH_RENAME));
	report(ctx, old_dentry, BPF_CORE_READ(old_dir, mnt),
	       ENTRY_ACCESS(PROBE_HOOK_SECURITY_PATH_RENAME));
	report(ctx, new_dentry, to, ENTRY_ACCESS(PROBE_HOOK_SECURITY_PATH_RENAME));
	return ret;
}

#endif
