/* podmeta — container ids from cgroups, pods from the kubelet's log
 * layout; see podmeta.h. */
#include "podmeta.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"

#define ID_LEN 64
#define RETRY_MS 5000        /* a container not found is looked for again */
#define IDLE_MS 600000       /* entries unused this long are dropped */

struct pod_entry {
	char id[ID_LEN + 1];
	struct pod_info *pod;    /* NULL: not found */
	int64_t checked_ms;
	int64_t used_ms;
	struct pod_entry *next;
};

struct podmeta {
	char *proc_root;
	char *pods_root;
	char *containers_dir;
	struct pod_entry *entries;
};

static bool is_hex_id(const char *s, size_t n)
{
	if (n != ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* One path component: "<prefix><64 hex>.scope", or a bare id. */
static char *id_from_component(const char *c, size_t n, bool under_docker)
{
	static const struct {
		const char *prefix, *runtime;
	} scopes[] = {
		{ "cri-containerd-", "containerd://" },
		{ "docker-", "docker://" },
		{ "crio-", "cri-o://" },
		{ "libpod-", "podman://" },
	};
	static const char suffix[] = ".scope";

	if (is_hex_id(c, n))
		return xasprintf("%s%.*s", under_docker ? "docker://" : "", (int)n, c);
	if (n > sizeof(suffix) - 1 && !memcmp(c + n - (sizeof(suffix) - 1), suffix, sizeof(suffix) - 1))
		n -= sizeof(suffix) - 1;
	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		size_t pl = strlen(scopes[i].prefix);

		if (n == pl + ID_LEN && !memcmp(c, scopes[i].prefix, pl) && is_hex_id(c + pl, ID_LEN))
			return xasprintf("%s%.*s", scopes[i].runtime, ID_LEN, c + pl);
	}
	return NULL;
}

char *podmeta_container_from_cgroup(const char *cg)
{
	size_t end = strlen(cg);
	bool docker = strstr(cg, "/docker/") != NULL || !strncmp(cg, "docker/", 7);

	while (end && (cg[end - 1] == '\n' || cg[end - 1] == '/'))
		end--;
	/* From the leaf up: the innermost container wins. */
	while (end) {
		size_t start = end;
		char *id;

		while (start && cg[start - 1] != '/')
			start--;
		id = id_from_component(cg + start, end - start, docker);
		if (id)
			return id;
		end = start ? start - 1 : 0;
	}
	return NULL;
}

char *podmeta_container_of_pid(const podmeta *pm, uint32_t pid)
{
	char path[PATH_MAX], line[4096];
	char *id = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u/cgroup", pm->proc_root, pid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	while (!id && fgets(line, sizeof(line), f)) {
		/* "hierarchy-id:controllers:path" */
		char *p = strchr(line, ':');

		p = p ? strchr(p + 1, ':') : NULL;
		if (p)
			id = podmeta_container_from_cgroup(p + 1);
	}
	fclose(f);
	return id;
}

const char *podmeta_bare_id(const char *container_id)
{
	const char *p = strstr(container_id, "://");

	return p ? p + 3 : container_id;
}

podmeta *podmeta_new(const char *proc_root, const char *pods_root)
{
	podmeta *pm = xcalloc(1, sizeof(*pm));
	size_t n;

	pm->proc_root = xstrdup(proc_root ? proc_root : "/proc");
	pm->pods_root = xstrdup(pods_root ? pods_root : "/var/log/pods");
	n = strlen(pm->pods_root);
	while (n > 1 && pm->pods_root[n - 1] == '/')
		pm->pods_root[--n] = 0;
	/* The kubelet's container links live beside the pods directory. */
	pm->containers_dir = xasprintf("%s/../containers", pm->pods_root);
	return pm;
}

static void pod_free(struct pod_info *pod)
{
	if (!pod)
		return;
	free(pod->namespace);
	free(pod->name);
	free(pod->container_name);
	free(pod);
}

void podmeta_free(podmeta **ppm)
{
	podmeta *pm = *ppm;

	if (!pm)
		return;
	while (pm->entries) {
		struct pod_entry *e = pm->entries;

		pm->entries = e->next;
		pod_free(e->pod);
		free(e);
	}
	free(pm->proc_root);
	free(pm->pods_root);
	free(pm->containers_dir);
	free(pm);
	*ppm = NULL;
}

static bool valid_name(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == '_' || s[i] == 0)
			return false;
	return true;
}

static struct pod_info *pod_make(const char *ns, size_t nsl, const char *pod, size_t pl,
				 const char *ctr, size_t cl)
{
	struct pod_info *p;

	if (!valid_name(ns, nsl) || !valid_name(pod, pl) || !valid_name(ctr, cl))
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->namespace = xstrndup(ns, nsl);
	p->name = xstrndup(pod, pl);
	p->container_name = xstrndup(ctr, cl);
	return p;
}

/* ".../<namespace>_<pod>_<uid>/<container>/<n>.log" */
static struct pod_info *pod_from_target(const char *target)
{
	const char *file = strrchr(target, '/');
	const char *ctr, *dir, *first, *last;

	if (!file || file == target)
		return NULL;
	ctr = file;
	while (ctr > target && ctr[-1] != '/')
		ctr--;
	if (ctr == target)
		return NULL;
	dir = ctr - 1;
	while (dir > target && dir[-1] != '/')
		dir--;
	first = memchr(dir, '_', (size_t)(ctr - 1 - dir));
	last = first ? memrchr(dir, '_', (size_t)(ctr - 1 - dir)) : NULL;
	if (!first || last == first)
		return NULL;
	return pod_make(dir, (size_t)(first - dir), first + 1, (size_t)(last - first - 1),
			ctr, (size_t)(file - ctr));
}

/* "<pod>_<namespace>_<container>-<id>.log", the id already checked. */
static struct pod_info *pod_from_link_name(const char *name)
{
	const char *a = strchr(name, '_');
	const char *b = a ? strchr(a + 1, '_') : NULL;
	size_t n = strlen(name);
	const char *dash = name + n - (ID_LEN + 5);     /* "-<id>.log" */

	if (!b || dash <= b + 1)
		return NULL;
	return pod_make(a + 1, (size_t)(b - a - 1), name, (size_t)(a - name), b + 1,
			(size_t)(dash - b - 1));
}

static struct pod_info *lookup(const podmeta *pm, const char *id)
{
	char suffix[ID_LEN + 8], path[PATH_MAX], target[PATH_MAX];
	struct pod_info *pod = NULL;
	struct dirent *e;
	DIR *d = opendir(pm->containers_dir);

	if (!d)
		return NULL;
	snprintf(suffix, sizeof(suffix), "-%s.log", id);
	while (!pod && (e = readdir(d))) {
		size_t n = strlen(e->d_name), sl = strlen(suffix);
		ssize_t tl;

		if (n <= sl || strcmp(e->d_name + n - sl, suffix))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pm->containers_dir, e->d_name);
		tl = readlink(path, target, sizeof(target) - 1);
		if (tl > 0) {
			target[tl] = 0;
			pod = pod_from_target(target);
		}
		if (!pod)
			pod = pod_from_link_name(e->d_name);
	}
	closedir(d);
	return pod;
}

const struct pod_info *podmeta_pod(podmeta *pm, const char *container_id, int64_t now_ms)
{
	const char *id = podmeta_bare_id(container_id);
	struct pod_entry *e, **pe;

	if (!is_hex_id(id, strlen(id)))
		return NULL;
	for (pe = &pm->entries; (e = *pe); pe = &e->next)
		if (!strcmp(e->id, id))
			break;
	if (e) {
		/* To the front: events come in runs from the same container. */
		*pe = e->next;
	} else {
		e = xcalloc(1, sizeof(*e));
		memcpy(e->id, id, ID_LEN + 1);
		e->checked_ms = now_ms - RETRY_MS;
	}
	e->next = pm->entries;
	pm->entries = e;
	e->used_ms = now_ms;
	if (e->pod || now_ms - e->checked_ms < RETRY_MS)
		return e->pod;
	e->checked_ms = now_ms;
	e->pod = lookup(pm, id);
	return e->pod;
}

void podmeta_expire(podmeta *pm, int64_t now_ms)
{
	struct pod_entry **pe = &pm->entries, *e;

	while ((e = *pe)) {
		if (now_ms - e->used_ms >= IDLE_MS) {
			*pe = e->next;
			pod_free(e->pod);
			free(e);
		} else {
			pe = &e->next;
		}
	}
}
