/* podmeta — container id and Kubernetes pod of a process (DESIGN §8).
 *
 * The container id comes from the process's cgroup: the leaf name the
 * kernel reports ("cri-containerd-<id>.scope", "docker-<id>.scope",
 * "crio-<id>.scope", "libpod-<id>.scope", or a bare 64-hex directory as
 * the cgroupfs driver makes: ".../kubepods/burstable/pod<uid>/<id>"), or
 * else PROC_ROOT/PID/cgroup, any hierarchy.
 *
 * The pod comes from the kubelet's log layout, which exists on every node
 * without asking the API server:
 *
 *   <pods_root>/../containers/<pod>_<namespace>_<container>-<id>.log
 *       -> <pods_root>/<namespace>_<pod>_<uid>/<container>/<n>.log
 *
 * The entry whose name ends in "-<id>.log" is the container; the names
 * are taken from the symbolic link's target when it has that shape (the
 * authoritative pods directory), else from the entry's own name (pod,
 * namespace and container names cannot hold '_').  Answers are cached;
 * a container not found yet (the kubelet makes the link just after the
 * container starts) is looked up again after a few seconds. */
#ifndef BPFALERT_PODMETA_H
#define BPFALERT_PODMETA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pod_info {
	char *namespace;
	char *name;
	char *container_name;
};

typedef struct podmeta podmeta;

podmeta *podmeta_new(const char *proc_root, const char *pods_root);
void podmeta_free(podmeta **pm);

/* "containerd://<id>" (or docker://, cri-o://, podman://; the bare id
 * when the runtime cannot be told) from one cgroup path or leaf name, or
 * NULL.  malloc'd. */
char *podmeta_container_from_cgroup(const char *cgroup);

/* The same from PROC_ROOT/PID/cgroup; NULL if none or unreadable. */
char *podmeta_container_of_pid(const podmeta *pm, uint32_t pid);

/* The 64-hex id inside a container id ("containerd://<id>" -> "<id>"). */
const char *podmeta_bare_id(const char *container_id);

/* The pod of a container (id with or without runtime prefix); NULL if
 * it is not a Kubernetes container (or not known yet).  The pointer stays
 * valid until podmeta_expire or podmeta_free. */
const struct pod_info *podmeta_pod(podmeta *pm, const char *container_id, int64_t now_ms);

/* Forgets containers not asked about for ten minutes. */
void podmeta_expire(podmeta *pm, int64_t now_ms);

#endif
