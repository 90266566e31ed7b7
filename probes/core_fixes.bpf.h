/* core_fixes.bpf.h — every kernel structure difference the programs care
 * about, handled here with CO-RE and nowhere else. */
#ifndef BPFALERT_CORE_FIXES_BPF_H
#define BPFALERT_CORE_FIXES_BPF_H

#define AUID_UNSET 4294967295U

/* task_struct::loginuid exists only with CONFIG_AUDITSYSCALL (kernel/
 * auditsc.c); without it every task's login uid is unset. */
static __always_inline __u32 task_auid(struct task_struct *task)
{
	if (bpf_core_field_exists(task->loginuid))
		return BPF_CORE_READ(task, loginuid.val);
	return AUID_UNSET;
}

/* struct mount is fs/mount.h's private wrapper around struct vfsmount;
 * its layout varies, so the offset of the embedded vfsmount is relocated. */
static __always_inline struct mount *real_mount(struct vfsmount *mnt)
{
	return (struct mount *)((void *)mnt - bpf_core_field_offset(struct mount, mnt));
}

static __always_inline struct vfsmount *mount_vfs(struct mount *mnt)
{
	return (struct vfsmount *)((void *)mnt + bpf_core_field_offset(struct mount, mnt));
}

/* A mount in no namespace: kern_mount's internal ones (shm_mnt, where
 * memfds live, have MNT_NS_INTERNAL, (void *)1) or a lazily unmounted one
 * (NULL). */
static __always_inline bool mount_detached(struct mount *mnt)
{
	unsigned long ns = (unsigned long)BPF_CORE_READ(mnt, mnt_ns);

	return ns <= 1;
}

/* The cgroup whose leaf name identifies a container.  On the unified
 * hierarchy that is the task's default cgroup.  When the task sits in the
 * root of the unified hierarchy (a v1 or hybrid host, where the runtime
 * places containers in the v1 controllers), the memory controller's
 * cgroup is used instead, falling back to pids: the controllers runtimes
 * always configure.  The controller ids depend on the kernel's config, so
 * they are relocated enum values; css_set::subsys is indexed by them. */
static __always_inline struct cgroup *subsys_cgroup(struct css_set *cs, __u32 id)
{
	struct cgroup_subsys_state *css = NULL;
	void *arr = (void *)cs + bpf_core_field_offset(struct css_set, subsys);

	if (id >= 32)
		return NULL;
	bpf_probe_read_kernel(&css, sizeof(css), arr + id * sizeof(void *));
	if (!css)
		return NULL;
	return BPF_CORE_READ(css, cgroup);
}

static __always_inline struct cgroup *task_container_cgroup(struct task_struct *task)
{
	struct css_set *cs = BPF_CORE_READ(task, cgroups);
	struct cgroup *cg = BPF_CORE_READ(cs, dfl_cgrp);
	struct cgroup *v1 = NULL;

	if (!cg || BPF_CORE_READ(cg, level) > 0)
		return cg;
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
		v1 = subsys_cgroup(cs, bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id));
	if ((!v1 || BPF_CORE_READ(v1, level) == 0) &&
	    bpf_core_enum_value_exists(enum cgroup_subsys_id, pids_cgrp_id))
		v1 = subsys_cgroup(cs, bpf_core_enum_value(enum cgroup_subsys_id, pids_cgrp_id));
	return v1 ? v1 : cg;
}

#endif
