/* proccache — process images by pid; see proccache.h. */
#include "proccache.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tetra.h"
#include "xalloc.h"

#define NBUCKETS 4096        /* power of two */

struct proccache {
	char *node;
	size_t max, count;
	int64_t linger_ms;
	struct proc *buckets[NBUCKETS];
	struct proc *oldest, *newest;   /* hashed procs, by insertion */
	struct proc *xoldest, *xnewest; /* hashed exited procs, by exit */
};

static struct proc **bucket(proccache *c, uint32_t pid)
{
	return &c->buckets[(pid * 2654435761u) & (NBUCKETS - 1)];
}

static void proc_unref(struct proc *p)
{
	while (p && --p->refs == 0) {
		struct proc *parent = p->parent;

		free(p->exec_id);
		free(p->binary);
		free(p->arguments);
		free(p->cwd);
		free(p->container_id);
		free(p->parent_exec_id);
		free(p);
		p = parent;      /* the reference p held */
	}
}

static void unhash(proccache *c, struct proc *p)
{
	struct proc **pp = bucket(c, p->pid);

	while (*pp && *pp != p)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = p->hnext;
	if (p->older)
		p->older->newer = p->newer;
	else
		c->oldest = p->newer;
	if (p->newer)
		p->newer->older = p->older;
	else
		c->newest = p->older;
	if (p->exited) {
		if (p->xolder)
			p->xolder->xnewer = p->xnewer;
		else
			c->xoldest = p->xnewer;
		if (p->xnewer)
			p->xnewer->xolder = p->xolder;
		else
			c->xnewest = p->xolder;
	}
	p->hnext = p->older = p->newer = p->xolder = p->xnewer = NULL;
	p->hashed = false;
	c->count--;
	proc_unref(p);
}

/* Room for one more: the longest-exited first, else the oldest. */
static void make_room(proccache *c)
{
	if (c->count >= c->max)
		unhash(c, c->xoldest ? c->xoldest : c->oldest);
}

/* Makes p the pid's current image (the cache takes p's first reference). */
static void insert(proccache *c, struct proc *p)
{
	struct proc *old = proccache_get(c, p->pid);
	struct proc **b;

	if (old)
		unhash(c, old);
	make_room(c);
	b = bucket(c, p->pid);
	p->hnext = *b;
	*b = p;
	p->older = c->newest;
	if (c->newest)
		c->newest->newer = p;
	else
		c->oldest = p;
	c->newest = p;
	p->hashed = true;
	c->count++;
}

static struct proc *proc_new(proccache *c, uint32_t pid, uint64_t ktime)
{
	struct proc *p = xcalloc(1, sizeof(*p));
	char id[256];
	size_t n;

	p->pid = pid;
	p->ktime = ktime;
	p->refs = 1;
	n = tetra_exec_id(id, sizeof(id), c->node, ktime, pid);
	if (n < sizeof(id)) {
		p->exec_id = xstrdup(id);
	} else {
		p->exec_id = xmalloc(n + 1);
		tetra_exec_id(p->exec_id, n + 1, c->node, ktime, pid);
	}
	return p;
}

static void set_parent(struct proc *p, struct proc *parent)
{
	/* A pid reused while /proc is read could make a loop of parents,
	 * which reference counting would never free. */
	for (struct proc *a = parent; a; a = a->parent)
		if (a == p)
			return;
	p->parent = parent;
	if (parent) {
		parent->refs++;
		free(p->parent_exec_id);
		p->parent_exec_id = xstrdup(parent->exec_id);
	}
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

proccache *proccache_new(const char *node, size_t max, int64_t linger_ms)
{
	proccache *c = xcalloc(1, sizeof(*c));

	c->node = xstrdup(node ? node : "");
	c->max = max ? max : 65536;
	c->linger_ms = linger_ms;
	return c;
}

void proccache_free(proccache **pc)
{
	proccache *c = *pc;

	if (!c)
		return;
	while (c->oldest)
		unhash(c, c->oldest);
	free(c->node);
	free(c);
	*pc = NULL;
}

struct proc *proccache_get(proccache *c, uint32_t pid)
{
	for (struct proc *p = *bucket(c, pid); p; p = p->hnext)
		if (p->pid == pid)
			return p;
	return NULL;
}

size_t proccache_count(const proccache *c)
{
	return c->count;
}

struct proc *proccache_exec(proccache *c, const struct proc_exec_info *in)
{
	struct proc *prev = proccache_get(c, in->pid);
	struct proc *parent = proccache_get(c, in->ppid);
	struct proc *p = proc_new(c, in->pid, in->ktime);

	p->ppid = in->ppid;
	p->uid = in->uid;
	p->auid = in->auid;
	p->binary = dup_or_null(in->binary);
	p->arguments = in->arguments && *in->arguments ? xstrdup(in->arguments) : NULL;
	p->cwd = dup_or_null(in->cwd);
	p->flags = PROC_F_EXECVE | in->flags;
	/* Tetragon's "clone": the first exec since the fork. */
	if (prev && (prev->flags & PROC_F_CLONE) && !(prev->flags & PROC_F_EXECVE))
		p->flags |= PROC_F_CLONE;
	if (p->cwd && !strcmp(p->cwd, "/"))
		p->flags |= PROC_F_ROOTCWD;
	if (in->container_id && *in->container_id)
		p->container_id = xstrdup(in->container_id);
	else if (in->container_id && parent && parent->container_id)
		p->container_id = xstrdup(parent->container_id);
	set_parent(p, parent != prev ? parent : NULL);
	insert(c, p);
	return p;
}

struct proc *proccache_fork(proccache *c, uint32_t pid, uint32_t ppid, uint64_t ktime,
			    uint32_t uid, uint32_t auid)
{
	struct proc *parent = proccache_get(c, ppid);
	struct proc *p = proc_new(c, pid, ktime);

	p->ppid = ppid;
	p->uid = uid;
	p->auid = auid;
	p->flags = PROC_F_CLONE;
	if (parent) {
		p->binary = dup_or_null(parent->binary);
		p->arguments = dup_or_null(parent->arguments);
		p->cwd = dup_or_null(parent->cwd);
		p->container_id = dup_or_null(parent->container_id);
		if (p->cwd && !strcmp(p->cwd, "/"))
			p->flags |= PROC_F_ROOTCWD;
	} else {
		p->flags |= PROC_F_MISS;
	}
	set_parent(p, parent);
	insert(c, p);
	return p;
}

struct proc *proccache_miss(proccache *c, uint32_t pid, uint32_t ppid, uint32_t uid,
			    uint32_t auid, uint64_t ktime)
{
	struct proc *p = proc_new(c, pid, ktime);

	p->ppid = ppid;
	p->uid = uid;
	p->auid = auid;
	p->flags = PROC_F_MISS;
	set_parent(p, proccache_get(c, ppid));
	insert(c, p);
	return p;
}

struct proc *proccache_exit(proccache *c, uint32_t pid, int64_t now_ms)
{
	struct proc *p = proccache_get(c, pid);

	if (p && !p->exited) {
		p->exited = true;
		p->exited_ms = now_ms;
		p->xolder = c->xnewest;
		if (c->xnewest)
			c->xnewest->xnewer = p;
		else
			c->xoldest = p;
		c->xnewest = p;
	}
	return p;
}

void proccache_expire(proccache *c, int64_t now_ms)
{
	while (c->xoldest && now_ms - c->xoldest->exited_ms >= c->linger_ms)
		unhash(c, c->xoldest);
}

/* ---- /proc ---------------------------------------------------------- */

/* Reads a small file whole; NULL if it cannot.  *len excludes the NUL
 * added at the end. */
static char *read_small(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;
	size_t n = 0;

	if (fd < 0)
		return NULL;
	buf = xmalloc(max + 1);
	while (n < max) {
		ssize_t r = read(fd, buf + n, max - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

static char *read_link(const char *path)
{
	char buf[4096];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n <= 0)
		return NULL;
	buf[n] = 0;
	return xstrdup(buf);
}

/* ppid and start time (clock ticks since boot) from /proc/PID/stat; the
 * command name may hold spaces and parentheses, so fields are counted from
 * the last ')'. */
static bool read_stat(const char *dir, uint32_t *ppid, unsigned long long *start)
{
	char path[300];
	char *buf, *p;
	bool ok = false;

	snprintf(path, sizeof(path), "%s/stat", dir);
	buf = read_small(path, 4096, NULL);
	if (!buf)
		return false;
	p = strrchr(buf, ')');
	if (p) {
		/* Field 3 (state) follows ')'; ppid is field 4, starttime 22. */
		char *save = NULL, *tok = strtok_r(p + 1, " ", &save);

		for (int field = 3; tok && field <= 22; field++, tok = strtok_r(NULL, " ", &save)) {
			if (field == 4)
				*ppid = (uint32_t)strtoul(tok, NULL, 10);
			if (field == 22) {
				*start = strtoull(tok, NULL, 10);
				ok = true;
			}
		}
	}
	free(buf);
	return ok;
}

static uint32_t read_euid(const char *dir)
{
	char path[300];
	char *buf, *p;
	unsigned r = 0, e = 0;

	snprintf(path, sizeof(path), "%s/status", dir);
	buf = read_small(path, 8192, NULL);
	if (!buf)
		return 0;
	p = strstr(buf, "\nUid:");
	if (p)
		sscanf(p + 5, "%u %u", &r, &e);
	free(buf);
	return e;
}

static uint32_t read_auid(const char *dir)
{
	char path[300];
	char *buf;
	unsigned long v = 4294967295UL;

	snprintf(path, sizeof(path), "%s/loginuid", dir);
	buf = read_small(path, 32, NULL);
	if (buf) {
		char *end;
		unsigned long x = strtoul(buf, &end, 10);

		if (end != buf)
			v = x;
		free(buf);
	}
	return (uint32_t)v;
}

struct proc *proccache_seed_one(proccache *c, const char *proc_root, uint32_t pid,
				int64_t boot_to_mono_ns, proc_container_fn container_of,
				void *ctx)
{
	char dir[256], path[300];
	unsigned long long start = 0;
	uint32_t ppid = 0;
	long hz = sysconf(_SC_CLK_TCK);
	struct proc *p;
	char *cmdline;
	size_t len;
	int64_t kt;

	snprintf(dir, sizeof(dir), "%s/%u", proc_root, pid);
	if (!read_stat(dir, &ppid, &start))
		return NULL;
	if (hz <= 0)
		hz = 100;
	kt = (int64_t)(start * (1000000000ULL / (unsigned long long)hz)) - boot_to_mono_ns;
	p = proc_new(c, pid, kt > 0 ? (uint64_t)kt : 1);
	p->ppid = ppid;
	p->uid = read_euid(dir);
	p->auid = read_auid(dir);
	p->flags = PROC_F_PROCFS | PROC_F_AUID;
	snprintf(path, sizeof(path), "%s/exe", dir);
	p->binary = read_link(path);
	snprintf(path, sizeof(path), "%s/cwd", dir);
	p->cwd = read_link(path);
	if (p->cwd && !strcmp(p->cwd, "/"))
		p->flags |= PROC_F_ROOTCWD;
	snprintf(path, sizeof(path), "%s/cmdline", dir);
	cmdline = read_small(path, PROBE_ARGS_MAX, &len);
	if (cmdline) {
		char *args = tetra_args_from_argv(cmdline, len);

		if (len >= PROBE_ARGS_MAX)
			p->flags |= PROC_F_TRUNC_ARGS;
		if (*args)
			p->arguments = args;
		else
			free(args);
		free(cmdline);
	}
	if (container_of)
		p->container_id = container_of(ctx, pid);
	if (ppid != pid)
		set_parent(p, proccache_get(c, ppid));
	insert(c, p);
	return p;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

size_t proccache_seed(proccache *c, const char *proc_root, int64_t boot_to_mono_ns,
		      proc_container_fn container_of, void *ctx)
{
	DIR *d = opendir(proc_root);
	struct dirent *e;
	size_t added = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		unsigned long pid;

		if (!all_digits(e->d_name))
			continue;
		pid = strtoul(e->d_name, NULL, 10);
		if (pid == 0 || pid > UINT32_MAX || proccache_get(c, (uint32_t)pid))
			continue;
		if (proccache_seed_one(c, proc_root, (uint32_t)pid, boot_to_mono_ns,
				       container_of, ctx))
			added++;
	}
	closedir(d);
	/* Parents now that everyone is known. */
	for (struct proc *p = c->oldest; p; p = p->newer)
		if (!p->parent && (p->flags & PROC_F_PROCFS) && p->ppid && p->ppid != p->pid)
			set_parent(p, proccache_get(c, p->ppid));
	return added;
}

void proc_flags_string(unsigned flags, char *buf, size_t size)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ PROC_F_EXECVE, "execve" },
		{ PROC_F_PROCFS, "procFS" },
		{ PROC_F_TRUNC_FILENAME, "truncFilename" },
		{ PROC_F_TRUNC_ARGS, "truncArgs" },
		{ PROC_F_MISS, "miss" },
		{ PROC_F_AUID, "auid" },
		{ PROC_F_ERROR_FILENAME, "errorFilename" },
		{ PROC_F_ERROR_ARGS, "errorArgs" },
		{ PROC_F_NOCWD, "nocwd" },
		{ PROC_F_ROOTCWD, "rootcwd" },
		{ PROC_F_ERROR_CWD, "errorCWD" },
		{ PROC_F_CLONE, "clone" },
	};
	size_t used = 0;

	if (size)
		buf[0] = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int n;

		if (!(flags & names[i].bit))
			continue;
		n = snprintf(buf + used, size - used, "%s%s", used ? " " : "", names[i].name);
		if (n < 0 || (size_t)n >= size - used) {
			buf[used] = 0;      /* whole words only */
			break;
		}
		used += (size_t)n;
	}
}
