/* policy_eval — selectors, events and watches of TracingPolicies; see
 * policy_eval.h. */
#include "policy_eval.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "filemode.h"
#include "policy_calls.h"
#include "utf8.h"
#include "xalloc.h"

/* Rate limits: the last time each (hook, selector, scope, access) was
 * let through, in a fixed table (a collision only forgets a limit). */
#define RATE_SLOTS 4096

struct rate_slot {
	uint64_t key;
	int64_t at_ms;
};

struct policy_engine {
	const policy_set *set;
	struct rate_slot rate[RATE_SLOTS];
};

policy_engine *policy_engine_new(const policy_set *set)
{
	policy_engine *e = xcalloc(1, sizeof(*e));
	e->set = set;
	return e;
}

void policy_engine_free(policy_engine **pe)
{
	free(*pe);
	*pe = NULL;
}

/* ---- matching ---- */

/* Tetragon's string values may carry a trailing "\0" (a C string). */
static size_t value_len(const char *v)
{
	size_t n = strlen(v);
	if (n >= 2 && !strcmp(v + n - 2, "\\0"))
		n -= 2;
	return n;
}

static bool text_one(enum policy_op op, const char *s, const char *v)
{
	size_t n = value_len(v), sl = strlen(s);
	switch (op) {
	case POP_EQUAL: case POP_NOT_EQUAL: case POP_IN: case POP_NOT_IN:
		return sl == n && !memcmp(s, v, n);
	case POP_PREFIX: case POP_NOT_PREFIX:
		return sl >= n && !memcmp(s, v, n);
	default:   /* Postfix */
		return sl >= n && !memcmp(s + sl - n, v, n);
	}
}

static bool negated(enum policy_op op)
{
	return op == POP_NOT_EQUAL || op == POP_NOT_PREFIX || op == POP_NOT_POSTFIX ||
	       op == POP_NOT_IN;
}

/* Any value matches (none for the negated operators). */
static bool text_match(const struct policy_match *m, const char *s)
{
	bool any = false;
	for (size_t i = 0; i < m->values.n && !any; i++)
		any = text_one(m->op, s, m->values.v[i]);
	return negated(m->op) ? !any : any;
}

static bool int_match(const struct policy_match *m, int64_t x)
{
	bool any = false;
	for (size_t i = 0; i < m->values.n && !any; i++) {
		int64_t v = strtoll(m->values.v[i], NULL, 0);
		switch (m->op) {
		case POP_MASK: any = (x & v) != 0; break;
		case POP_GT: any = x > v; break;
		case POP_LT: any = x < v; break;
		default: any = x == v; break;
		}
	}
	return m->op == POP_NOT_EQUAL ? !any : any;
}

/* An open's flags as far as the opened file tells them: its access mode. */
static int64_t open_flags(uint32_t mask)
{
	if (mask & 2)
		return (mask & 4) ? O_RDWR : O_WRONLY;
	return O_RDONLY;
}

/* The directory part of a path ("/" for "/x"), in buf. */
static const char *dir_of(const char *path, char *buf, size_t size)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	size_t n = slash ? (size_t)(slash - path) : 0;
	if (!slash)
		return NULL;
	if (!n)
		n = 1;
	snprintf(buf, size, "%.*s", (int)n, path);
	return buf;
}

/* The integer argument `index` of the access's call, if the probes know
 * it. */
static bool int_value(const struct policy_access *a, unsigned index, int64_t *x)
{
	switch (a->call) {
	case PCALL_SYS_OPENAT:
		*x = index == 0 ? AT_FDCWD : open_flags(a->mask);   /* the path is absolute */
		return true;
	case PCALL_SYS_LINKAT:
		*x = index == 4 ? 0 : AT_FDCWD;
		return true;
	case PCALL_SYS_SYMLINKAT:
		*x = AT_FDCWD;   /* the new name is absolute */
		return true;
	case PCALL_FD_INSTALL:
		*x = a->ret;
		return true;
	case PCALL_FILE_PERMISSION:
		*x = a->mask;
		return true;
	case PCALL_MMAP_FILE:
		*x = index == 1 ? a->prot : a->flags;
		return true;
	default:
		return false;
	}
}

/* The value of argument `index` of the access's call: a path (in dir for
 * a directory's), or an integer. */
static bool arg_value(const struct policy_access *a, unsigned index, const char **s, int64_t *x,
		      char *dir, size_t dirsize)
{
	*s = NULL;
	*x = 0;
	switch (policy_call_param(a->call, index)) {
	case 'f': case 'p': case 'd': case 's': case 't':
		*s = a->path;
		return a->path != NULL;
	case 'P':
		*s = dir_of(a->path, dir, dirsize);
		return *s != NULL;
	case 'D': case 'S':
		*s = a->path2;
		return a->path2 != NULL;
	case 'Q':
		*s = dir_of(a->path2, dir, dirsize);
		return *s != NULL;
	case 'i':
		return int_value(a, index, x);
	default:
		return false;
	}
}

static bool args_pass(const struct policy_selector *s, const struct policy_access *a)
{
	for (size_t i = 0; i < s->nargs; i++) {
		const char *str;
		int64_t x;
		char dir[PATH_MAX];
		if (!arg_value(a, s->args[i].index, &str, &x, dir, sizeof(dir)))
			return false;
		if (str ? !text_match(&s->args[i], str) : !int_match(&s->args[i], x))
			return false;
	}
	for (size_t i = 0; i < s->nret; i++)
		if (!int_match(&s->ret[i], a->ret))
			return false;
	return true;
}

static bool binary_hit(const struct policy_match *m, const char *binary)
{
	return binary && text_match(m, binary);
}

/* followChildren: a descendant of a matching binary matches too; for the
 * negated operators, the process and all its ancestors must pass. */
static bool binary_pass(const struct policy_match *m, const struct policy_access *a)
{
	bool pass = binary_hit(m, a->binary);
	if (!m->follow)
		return pass;
	for (size_t i = 0; i < a->nancestors; i++) {
		bool anc = binary_hit(m, a->ancestors[i]);
		pass = negated(m->op) ? pass && anc : pass || anc;
	}
	return pass;
}

static bool pid_in(const struct policy_match *m, uint32_t pid)
{
	for (size_t i = 0; i < m->values.n; i++)
		if ((uint32_t)strtoul(m->values.v[i], NULL, 0) == pid)
			return true;
	return false;
}

static bool pid_pass(const struct policy_match *m, const struct policy_access *a)
{
	bool hit = pid_in(m, a->pid);
	for (size_t i = 0; m->follow && !hit && i < a->nancestors; i++)
		hit = a->ancestor_pids && pid_in(m, a->ancestor_pids[i]);
	return m->op == POP_NOT_IN ? !hit : hit;
}

static bool process_pass(const struct policy_selector *s, const struct policy_access *a)
{
	for (size_t i = 0; i < s->nbinaries; i++)
		if (!binary_pass(&s->binaries[i], a))
			return false;
	for (size_t i = 0; i < s->npids; i++)
		if (!pid_pass(&s->pids[i], a))
			return false;
	for (size_t i = 0; i < s->nnamespaces; i++) {
		bool host = !a->in_container;
		if ((s->namespaces[i].op == POP_IN) != host)
			return false;
	}
	return true;
}

static bool in_values(const struct policy_values *v, const char *s)
{
	for (size_t i = 0; s && i < v->n; i++)
		if (!strcmp(v->v[i], s))
			return true;
	return false;
}

static bool policy_scope_pass(const struct policy *p, const struct policy_access *a)
{
	if (p->namespaced && (!a->pod_namespace || strcmp(a->pod_namespace, p->namespace)))
		return false;
	if (p->has_pod_selector &&
	    (!a->pod_namespace || (p->pod_namespaces.n && !in_values(&p->pod_namespaces,
								     a->pod_namespace))))
		return false;
	if (p->containers.n && !in_values(&p->containers, a->container_name))
		return false;
	return true;
}

static uint64_t mix(uint64_t h, uint64_t x)
{
	h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdULL;
}

static uint64_t mix_str(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = mix(h, (unsigned char)*s);
	return h;
}

/* True if the selector's rate limit lets this access through now. */
static bool rate_pass(policy_engine *e, const struct policy_selector *s, uint64_t where,
		      const struct policy_access *a)
{
	if (!s->rate_limit_ms)
		return true;
	uint64_t scope = s->rate_limit_scope == 0 ? a->tid : s->rate_limit_scope == 1 ? a->pid : 0;
	uint64_t key = mix(mix(mix(mix_str(mix(where, scope), a->path), a->mask), a->prot), a->call);
	struct rate_slot *slot = &e->rate[key % RATE_SLOTS];
	if (slot->key == key && a->now_ms - slot->at_ms < s->rate_limit_ms)
		return false;
	slot->key = key;
	slot->at_ms = a->now_ms;
	return true;
}

size_t policy_engine_match(policy_engine *e, const struct policy_access *a, policy_emit_fn fn,
			   void *ctx)
{
	size_t n = 0;
	for (size_t pi = 0; pi < e->set->n; pi++) {
		const struct policy *p = e->set->v[pi];
		if (!policy_scope_pass(p, a))
			continue;
		for (size_t hi = 0; hi < p->nhooks; hi++) {
			const struct policy_hook *h = &p->hooks[hi];
			if (h->what != a->call)
				continue;
			for (size_t si = 0; si < h->nselectors; si++) {
				const struct policy_selector *s = &h->selectors[si];
				if (!args_pass(s, a) || !process_pass(s, a) ||
				    !rate_pass(e, s, mix(mix(pi, hi), si), a))
					continue;
				fn(ctx, p, h);
				n++;
				break;
			}
		}
	}
	return n;
}

/* ---- events ---- */

/* A string made valid UTF-8 (each bad byte becomes U+FFFD), as the
 * probes' other strings are. */
static void add_text(evtree *t, int o, const char *key, const char *s)
{
	size_t len = strlen(s), i = 0, n = 0;
	if (utf8_check(s, len) == len) {
		evtree_string(t, o, key, s, len);
		return;
	}
	char *buf = xmalloc(len * 3 + 1);
	while (i < len) {
		size_t ok = utf8_check(s + i, len - i);
		memcpy(buf + n, s + i, ok);
		n += ok;
		i += ok;
		if (i < len) {
			memcpy(buf + n, "\xEF\xBF\xBD", 3);
			n += 3;
			i++;
		}
	}
	evtree_string(t, o, key, buf, n);
	free(buf);
}

/* A path argument: the path and, for the file itself, its mode. */
static void add_path(evtree *t, int parent, const char *key, const char *path, uint32_t mode)
{
	int o = evtree_object(t, parent, key);
	add_text(t, o, "path", path);
	if (mode) {
		char perm[11];
		filemode_string(mode, perm);
		evtree_string(t, o, "permission", perm, 10);
	}
}

static void add_arg(evtree *t, int args, const struct policy_arg *arg,
		    const struct policy_access *a)
{
	const char *key = policy_arg_key(arg->type);
	const char *s;
	int64_t x;
	char dir[PATH_MAX];
	bool known = arg_value(a, arg->index, &s, &x, dir, sizeof(dir));
	int o = evtree_object(t, args, NULL);
	if (arg->type == PARG_STRING) {
		add_text(t, o, key, s ? s : "");
	} else if (policy_arg_is_text(arg->type)) {
		add_path(t, o, key, s ? s : "", known && s == a->path ? a->mode : 0);
	} else if (arg->type == PARG_SIZE_T) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%llu", (unsigned long long)x);
		evtree_string(t, o, key, buf, (size_t)n);   /* 64-bit: a string in protojson */
	} else {
		evtree_int(t, o, key, arg->type == PARG_UINT32 ? (int64_t)(uint32_t)x
							       : (int64_t)(int32_t)x);
	}
	if (arg->label)
		add_text(t, o, "label", arg->label);
}

static void add_lit(evtree *t, int o, const char *key, const char *s)
{
	evtree_string(t, o, key, s, strlen(s));
}

const char *policy_event_kind(const struct policy_hook *h)
{
	return h->lsm ? "process_lsm" : "process_kprobe";
}

void policy_event_fill(evtree *t, int body, const struct policy *p,
		       const struct policy_hook *h, const struct policy_access *a)
{
	add_lit(t, body, "function_name", h->call);
	int args = evtree_array(t, body, "args");
	for (size_t i = 0; i < h->nargs; i++)
		if (h->args[i].type != PARG_NOP)
			add_arg(t, args, &h->args[i], a);
	if (h->has_return)   /* a oneof member: protojson writes it even at 0 */
		evtree_int(t, evtree_object(t, body, "return"), "int_arg", a->ret);
	add_lit(t, body, "action", "KPROBE_ACTION_POST");
	add_text(t, body, "policy_name", p->name);
	if (h->has_return)
		add_lit(t, body, "return_action", "KPROBE_ACTION_POST");
	add_lit(t, body, "bpfalert_hook", a->hook);
}

/* ---- watches ---- */

struct watches {
	char **v;
	size_t n;
};

static void watch_add(struct watches *w, char *path)
{
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->v[i], path)) {
			free(path);
			return;
		}
	w->v = xrealloc(w->v, (w->n + 1) * sizeof(*w->v));
	w->v[w->n++] = path;
}

/* Prefix "/etc" watches the directory /etc/; "/etc/shadow", a file (or
 * nothing yet), watches its directory, /etc/, and the check in user space
 * keeps /etc/shadow and /etc/shadow-. */
static char *prefix_dir(const char *v, size_t n)
{
	char *s = xstrndup(v, n);
	size_t len = strlen(s);
	struct stat st;
	if (len && s[len - 1] == '/')
		return s;
	if (!stat(s, &st) && S_ISDIR(st.st_mode)) {
		char *dir = xasprintf("%s/", s);
		free(s);
		return dir;
	}
	char *slash = strrchr(s, '/');
	char *dir = slash ? xstrndup(s, (size_t)(slash - s) + 1) : xstrdup("/");
	free(s);
	return dir;
}

/* The watches of one path match (none for the negated operators, and
 * none for a relative Prefix, which no path matches). */
static void match_watches(const struct policy_match *m, struct watches *w)
{
	if (m->op != POP_EQUAL && m->op != POP_PREFIX && m->op != POP_POSTFIX)
		return;
	for (size_t i = 0; i < m->values.n; i++) {
		const char *v = m->values.v[i];
		size_t n = value_len(v);
		if (m->op != POP_POSTFIX && v[0] != '/')
			continue;
		if (m->op == POP_EQUAL)
			watch_add(w, xstrndup(v, n));
		else if (m->op == POP_PREFIX)
			watch_add(w, prefix_dir(v, n));
		else {
			const char *base = memrchr(v, '/', n);
			base = base ? base + 1 : v;
			watch_add(w, xasprintf("*/%.*s", (int)(v + n - base), base));
		}
	}
}

static void selector_watches(const struct policy_selector *s, unsigned path_index,
			     struct watches *w)
{
	for (size_t i = 0; i < s->nargs; i++)
		if (s->args[i].index == path_index)
			match_watches(&s->args[i], w);
}

static void hook_watches(const struct policy_hook *h, struct watches *w)
{
	for (size_t si = 0; si < h->nselectors; si++)
		selector_watches(&h->selectors[si], policy_call_path_index(h->what), w);
}

size_t policy_watches(const policy_set *set, char ***out)
{
	struct watches w = { 0 };
	for (size_t pi = 0; pi < set->n; pi++)
		for (size_t hi = 0; hi < set->v[pi]->nhooks; hi++)
			hook_watches(&set->v[pi]->hooks[hi], &w);
	*out = w.v;
	return w.n;
}

/* ---- description ---- */

static void print_values(FILE *out, const struct policy_values *v)
{
	for (size_t i = 0; i < v->n; i++)
		fprintf(out, "%s\"%s\"", i ? ", " : "", v->v[i]);
}

static void describe_selector(const struct policy_selector *s, size_t idx, FILE *out)
{
	fprintf(out, "    selector %zu:", idx + 1);
	for (size_t i = 0; i < s->nargs; i++) {
		fprintf(out, " arg%u %s ", s->args[i].index, policy_op_name(s->args[i].op));
		print_values(out, &s->args[i].values);
		fputs(";", out);
	}
	for (size_t i = 0; i < s->nret; i++) {
		fprintf(out, " return %s ", policy_op_name(s->ret[i].op));
		print_values(out, &s->ret[i].values);
		fputs(";", out);
	}
	for (size_t i = 0; i < s->nbinaries; i++) {
		fprintf(out, " binary %s ", policy_op_name(s->binaries[i].op));
		print_values(out, &s->binaries[i].values);
		fputs(s->binaries[i].follow ? " (and children);" : ";", out);
	}
	for (size_t i = 0; i < s->npids; i++) {
		fprintf(out, " pid %s ", policy_op_name(s->pids[i].op));
		print_values(out, &s->pids[i].values);
		fputs(s->pids[i].follow ? " (and forks);" : ";", out);
	}
	for (size_t i = 0; i < s->nnamespaces; i++)
		fprintf(out, " %s;", s->namespaces[i].op == POP_IN ? "host processes"
								   : "container processes");
	if (s->rate_limit_ms)
		fprintf(out, " at most one a %lld ms;", (long long)s->rate_limit_ms);
	fputs(" checked in user space after the kernel's watch\n", out);
}

static const char *const sources[PCALL_COUNT] = {
	[PCALL_FILE_PERMISSION] = "the read and write system calls (read, pread64, readv, "
				  "preadv, preadv2, write, pwrite64, writev, pwritev, pwritev2, "
				  "sendfile64, copy_file_range, splice) or security_file_permission",
	[PCALL_MMAP_FILE] = "mmap or security_mmap_file",
	[PCALL_PATH_TRUNCATE] = "truncate (and ftruncate where the kernel has no "
				"security_file_truncate) or security_path_truncate",
	[PCALL_FILE_TRUNCATE] = "ftruncate or security_file_truncate",
	[PCALL_FILE_OPEN] = "the exits of open, openat, openat2 and creat",
	[PCALL_PATH_CHMOD] = "chmod, fchmod, fchmodat, fchmodat2 or security_path_chmod",
	[PCALL_PATH_CHOWN] = "chown, lchown, fchown, fchownat or security_path_chown",
	[PCALL_SYS_OPENAT] = "openat's exit (the file opened; dfd reads AT_FDCWD and the path "
			     "is absolute; flags hold the access mode only)",
	[PCALL_SYS_LINKAT] = "linkat's entry (both names made absolute, the dfds read AT_FDCWD, "
			     "flags 0)",
	[PCALL_FD_INSTALL] = "the descriptor an open, openat, openat2 or creat returns",
	[PCALL_PATH_UNLINK] = "unlink and unlinkat",
	[PCALL_PATH_LINK] = "link and linkat",
	[PCALL_PATH_RENAME] = "rename, renameat and renameat2",
	[PCALL_INODE_UNLINK] = "unlink and unlinkat",
	[PCALL_INODE_LINK] = "link and linkat",
	[PCALL_INODE_RENAME] = "rename, renameat and renameat2",
	[PCALL_INODE_SETATTR] = "the chmod, chown, truncate and ftruncate families",
	[PCALL_INODE_SETXATTR] = "the setxattr family or security_inode_setxattr",
	[PCALL_INODE_REMOVEXATTR] = "the removexattr family or security_inode_removexattr",
	[PCALL_SYS_LINK] = "link's entry (both names made absolute)",
	[PCALL_SYS_SYMLINKAT] = "symlinkat's entry (the target as written, the new name made "
				"absolute, newdfd reads AT_FDCWD)",
	[PCALL_SYS_SYMLINK] = "symlink's entry (the target as written, the new name made "
			      "absolute)",
};

/* The calls on directory entries and those an open's exit shows are seen
 * through the system calls' tracepoints on every hook path (the security_*
 * paths load the open exits for such policies). */
static bool by_tracepoints(enum policy_call c)
{
	switch (c) {
	case PCALL_SYS_OPENAT: case PCALL_FILE_OPEN: case PCALL_FD_INSTALL:
	case PCALL_SYS_LINKAT: case PCALL_PATH_UNLINK: case PCALL_PATH_LINK:
	case PCALL_PATH_RENAME: case PCALL_INODE_UNLINK: case PCALL_INODE_LINK:
	case PCALL_INODE_RENAME: case PCALL_SYS_LINK: case PCALL_SYS_SYMLINKAT:
	case PCALL_SYS_SYMLINK:
		return true;
	default:
		return false;
	}
}

void policy_describe(const policy_set *set, const char *files_hook, FILE *out)
{
	for (size_t pi = 0; pi < set->n; pi++) {
		const struct policy *p = set->v[pi];
		fprintf(out, "policy %s (%s:%d)%s%s\n", p->name, p->file, p->line,
			p->namespaced ? ", pods of namespace " : "",
			p->namespaced ? p->namespace : "");
		for (size_t hi = 0; hi < p->nhooks; hi++) {
			const struct policy_hook *h = &p->hooks[hi];
			struct watches w = { 0 };
			hook_watches(h, &w);
			fprintf(out, "  %s %s(", h->lsm ? "lsmhook" : "kprobe", h->call);
			for (size_t i = 0; i < h->nargs; i++)
				fprintf(out, "%s%u: %s", i ? ", " : "", h->args[i].index,
					policy_arg_type_name(h->args[i].type));
			fprintf(out, ")%s -> %s events\n", h->has_return ? " returning int" : "",
				h->lsm ? "process_lsm" : "process_kprobe");
			fprintf(out, "    seen through %s; this kernel: %s\n", sources[h->what],
				by_tracepoints(h->what) ? "the system calls' tracepoints, whatever "
				"the file probe attaches to" : files_hook);
			fputs("    watched in the kernel:", out);
			for (size_t i = 0; i < w.n; i++) {
				fprintf(out, " %s", w.v[i]);
				free(w.v[i]);
			}
			free(w.v);
			fputs(w.n ? "\n" : " nothing (not loadable)\n", out);
			for (size_t si = 0; si < h->nselectors; si++)
				describe_selector(&h->selectors[si], si, out);
		}
	}
}
