/* policy — TracingPolicy documents into policies; see policy.h.
 *
 * Each document is loaded with libyaml's document API, so every node
 * keeps its line and column.  The walk checks every key it meets against
 * the subset it knows and reports the others; it never stops at the first
 * problem. */
#include "policy.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

#include "msgtext.h"
#include "rulefiles.h"
#include "textfile.h"
#include "xalloc.h"

struct yctx {
	const char *file, *text;
	size_t len;
	diag *d;
	yaml_document_t *doc;
	unsigned errors;
};

typedef yaml_node_t ynode;

__attribute__((format(printf, 4, 5)))
static void report(struct yctx *c, enum diag_level level, const ynode *n, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	int line = n ? (int)n->start_mark.line + 1 : 0, col = n ? (int)n->start_mark.column + 1 : 0;
	size_t sl = 0;
	const char *src = line ? diag_line_of(c->text, c->len, line, &sl) : NULL;
	diag_report(c->d, level, c->file, line, col, src, sl, "%s", msg);
	if (level == DIAG_ERROR)
		c->errors++;
}

#define ERR(c, n, ...) report(c, DIAG_ERROR, n, __VA_ARGS__)

static ynode *node(struct yctx *c, int i)
{
	return yaml_document_get_node(c->doc, i);
}

static const char *scalar(const ynode *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A mapping's value for `key`, or NULL. */
static ynode *get(struct yctx *c, const ynode *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = scalar(node(c, p->key));
		if (k && !strcmp(k, key))
			return node(c, p->value);
	}
	return NULL;
}

/* Reports every key of `map` that is not in `known` or in `refused`
 * (keys Tetragon knows that this subset does not: an error each). */
static void check_keys(struct yctx *c, const ynode *map, const char *where,
		       const char *const *known)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		ynode *kn = node(c, p->key);
		const char *k = scalar(kn);
		bool ok = false;
		for (size_t i = 0; k && known[i]; i++)
			ok = ok || !strcmp(k, known[i]);
		if (ok)
			continue;
		const char *near = k ? msgtext_suggest(k, strlen(k), known) : NULL;
		if (near)
			ERR(c, kn, "unsupported key '%s' in %s (did you mean '%s'?)", k ? k : "?", where, near);
		else
			ERR(c, kn, "unsupported key '%s' in %s", k ? k : "?", where);
	}
}

static bool want_map(struct yctx *c, const ynode *n, const char *what)
{
	if (n && n->type == YAML_MAPPING_NODE)
		return true;
	ERR(c, n, "%s must be a mapping", what);
	return false;
}

static bool want_seq(struct yctx *c, const ynode *n, const char *what)
{
	if (n && n->type == YAML_SEQUENCE_NODE)
		return true;
	ERR(c, n, "%s must be a list", what);
	return false;
}

static size_t seq_len(const ynode *n)
{
	return n && n->type == YAML_SEQUENCE_NODE
		       ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start) : 0;
}

static ynode *seq_at(struct yctx *c, const ynode *n, size_t i)
{
	return node(c, n->data.sequence.items.start[i]);
}

static bool parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = s ? strtoul(s, &end, 0) : 0;
	if (!s || !*s || *end || errno || v > max || s[0] == '-')
		return false;
	*out = (unsigned)v;
	return true;
}

static bool parse_bool(const char *s, bool *out)
{
	if (s && (!strcmp(s, "true") || !strcmp(s, "True")))
		return (*out = true), true;
	if (s && (!strcmp(s, "false") || !strcmp(s, "False")))
		return (*out = false), true;
	return false;
}

static void values_add(struct policy_values *v, const char *s)
{
	v->v = xrealloc(v->v, (v->n + 1) * sizeof(*v->v));
	v->v[v->n++] = xstrdup(s);
}

static void values_free(struct policy_values *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

/* ---- names ---- */

static const struct {
	const char *name;
	enum policy_arg_type t;
	const char *key;
} arg_types[] = {
	{ "nop", PARG_NOP, NULL },          { "file", PARG_FILE, "file_arg" },
	{ "path", PARG_PATH, "path_arg" },  { "dentry", PARG_DENTRY, "dentry_arg" },
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

/* The calls and their parameters' kinds: 'f' struct file *, 'p' struct
 * path *, 's' a path as a string, 'i' an integer, 'u' one the probes do
 * not see (nop only).  A call without an LSM hook is a system call. */
static const struct {
	const char *kprobe, *lsm;
	const char *params;
} calls[PCALL_COUNT] = {
	[PCALL_FILE_PERMISSION] = { "security_file_permission", "file_permission", "fi" },
	[PCALL_MMAP_FILE] = { "security_mmap_file", "mmap_file", "fii" },
	[PCALL_PATH_TRUNCATE] = { "security_path_truncate", "path_truncate", "p" },
	[PCALL_FILE_TRUNCATE] = { "security_file_truncate", "file_truncate", "f" },
	[PCALL_FILE_OPEN] = { "security_file_open", "file_open", "f" },
	[PCALL_PATH_CHMOD] = { "security_path_chmod", "path_chmod", "pu" },
	[PCALL_PATH_CHOWN] = { "security_path_chown", "path_chown", "puu" },
	[PCALL_SYS_OPENAT] = { "sys_openat", NULL, "isi" },
};

const char *policy_call_function(enum policy_call c)
{
	return calls[c].kprobe;
}

unsigned policy_call_path_index(enum policy_call c)
{
	return (unsigned)strcspn(calls[c].params, "fps");
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

static int find_call(const char *name, bool lsm)
{
	for (int i = 0; i < PCALL_COUNT; i++) {
		const char *want = lsm ? calls[i].lsm : calls[i].kprobe;
		if (want && !strcmp(lsm ? name : syscall_base(name), want))
			return i;
	}
	return -1;
}

static bool is_syscall_call(enum policy_call c)
{
	return calls[c].lsm == NULL;
}

/* True if an argument of this type can read a parameter of this kind. */
static bool type_fits(enum policy_arg_type t, char kind)
{
	switch (t) {
	case PARG_NOP:
		return true;
	case PARG_FILE:
		return kind == 'f';
	case PARG_PATH:
		return kind == 'p';
	case PARG_STRING:
		return kind == 's';
	case PARG_INT: case PARG_UINT32: case PARG_SIZE_T:
		return kind == 'i';
	default:
		return false;
	}
}

static bool is_text_type(enum policy_arg_type t)
{
	return t == PARG_FILE || t == PARG_PATH || t == PARG_DENTRY || t == PARG_FD ||
	       t == PARG_STRING || t == PARG_CHAR_BUF;
}

/* ---- args ---- */

static int arg_type_of(struct yctx *c, ynode *n)
{
	const char *s = scalar(n);
	const char *names[NARG_TYPES + 1];
	for (size_t i = 0; i < NARG_TYPES; i++) {
		names[i] = arg_types[i].name;
		if (s && !strcmp(s, arg_types[i].name))
			return (int)arg_types[i].t;
	}
	names[NARG_TYPES] = NULL;
	const char *near = s ? msgtext_suggest(s, strlen(s), names) : NULL;
	if (near)
		ERR(c, n, "unsupported argument type '%s' (did you mean '%s'?)", s, near);
	else
		ERR(c, n, "unsupported argument type '%s' (supported: file, path, dentry, fd, "
		    "string, char_buf, int, uint32, size_t, nop)", s ? s : "?");
	return -1;
}

static void load_arg(struct yctx *c, struct policy_hook *h, ynode *n)
{
	static const char *const keys[] = { "index", "type", "label", NULL };
	if (!want_map(c, n, "an argument"))
		return;
	check_keys(c, n, "an argument", keys);
	ynode *in = get(c, n, "index"), *tn = get(c, n, "type");
	unsigned index;
	if (!in || !parse_uint(scalar(in), 4, &index)) {
		ERR(c, in ? in : n, "an argument needs an 'index' from 0 to 4");
		return;
	}
	if (!tn) {
		ERR(c, n, "argument %u needs a 'type'", index);
		return;
	}
	int t = arg_type_of(c, tn);
	if (t < 0)
		return;
	const char *params = calls[h->what].params;
	if (index >= strlen(params)) {
		ERR(c, in, "%s has %zu argument%s: there is no argument %u", h->call,
		    strlen(params), strlen(params) == 1 ? "" : "s", index);
		return;
	}
	if (params[index] == 'u' && t != PARG_NOP) {
		ERR(c, tn, "argument %u of %s is not seen by the probes: only 'nop' can stand "
		    "for it", index, h->call);
		return;
	}
	if (!type_fits(t, params[index])) {
		ERR(c, tn, "argument %u of %s is %s: type '%s' cannot read it", index, h->call,
		    params[index] == 'f' ? "a struct file *" : params[index] == 'p'
		    ? "a struct path *" : params[index] == 's' ? "a path (a string)"
		    : "an integer", scalar(tn));
		return;
	}
	for (size_t i = 0; i < h->nargs; i++)
		if (h->args[i].index == index) {
			ERR(c, in, "argument %u is listed twice", index);
			return;
		}
	h->args = xrealloc(h->args, (h->nargs + 1) * sizeof(*h->args));
	ynode *ln = get(c, n, "label");
	h->args[h->nargs++] = (struct policy_arg){ .index = index, .type = t,
						   .label = scalar(ln) ? xstrdup(scalar(ln)) : NULL };
}

static void load_return(struct yctx *c, struct policy_hook *h, ynode *n, ynode *action)
{
	static const char *const keys[] = { "index", "type", NULL };
	if (!want_map(c, n, "'returnArg'"))
		return;
	check_keys(c, n, "'returnArg'", keys);
	ynode *tn = get(c, n, "type");
	int t = tn ? arg_type_of(c, tn) : -1;
	if (!tn)
		ERR(c, n, "'returnArg' needs a 'type'");
	else if (t >= 0 && t != PARG_INT && t != PARG_NOP)
		ERR(c, tn, "%s returns an int: returnArg type '%s' cannot read it", h->call, scalar(tn));
	if (action && (!scalar(action) || strcasecmp(scalar(action), "Post")))
		ERR(c, action, "unsupported returnArgAction '%s' (supported: Post)",
		    scalar(action) ? scalar(action) : "?");
	if (t == PARG_INT) {
		h->has_return = true;
		h->return_type = PARG_INT;
	}
}

/* ---- selectors ---- */

static int op_of(struct yctx *c, ynode *n, const enum policy_op *allowed, size_t nallowed,
		 const char *where)
{
	const char *s = scalar(n);
	const char *names[16];
	for (size_t i = 0; i < nallowed; i++) {
		names[i] = op_names[allowed[i]];
		if (s && !strcmp(s, names[i]))
			return (int)allowed[i];
	}
	names[nallowed] = NULL;
	char list[200] = "";
	for (size_t i = 0; i < nallowed; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 names[i]);
	const char *near = s ? msgtext_suggest(s, strlen(s), names) : NULL;
	if (near)
		ERR(c, n, "unsupported operator '%s' in %s (did you mean '%s'?)", s, where, near);
	else
		ERR(c, n, "unsupported operator '%s' in %s (supported: %s)", s ? s : "?", where, list);
	return -1;
}

static bool load_values(struct yctx *c, ynode *n, struct policy_values *out, bool numbers)
{
	if (!n) {
		return true;
	}
	if (!want_seq(c, n, "'values'"))
		return false;
	bool ok = true;
	for (size_t i = 0; i < seq_len(n); i++) {
		ynode *v = seq_at(c, n, i);
		const char *s = scalar(v);
		char *end;
		if (!s) {
			ERR(c, v, "a value must be a scalar");
			ok = false;
			continue;
		}
		if (numbers && (strtoll(s, &end, 0), !*s || *end)) {
			ERR(c, v, "'%s' is not a number", s);
			ok = false;
			continue;
		}
		values_add(out, s);
	}
	return ok;
}

static void add_match(struct policy_match **v, size_t *n, const struct policy_match *m)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = *m;
}

static const struct policy_arg *hook_arg(const struct policy_hook *h, unsigned index)
{
	for (size_t i = 0; i < h->nargs; i++)
		if (h->args[i].index == index)
			return &h->args[i];
	return NULL;
}

/* matchArgs / matchReturnArgs entries. */
static void load_arg_matches(struct yctx *c, struct policy_hook *h, ynode *list, bool ret,
			     struct policy_selector *s)
{
	static const char *const keys[] = { "index", "args", "operator", "values", NULL };
	static const enum policy_op text_ops[] = { POP_EQUAL, POP_NOT_EQUAL, POP_PREFIX,
						   POP_NOT_PREFIX, POP_POSTFIX, POP_NOT_POSTFIX };
	static const enum policy_op int_ops[] = { POP_EQUAL, POP_NOT_EQUAL, POP_MASK, POP_GT,
						  POP_LT };
	const char *where = ret ? "matchReturnArgs" : "matchArgs";
	if (!want_seq(c, list, ret ? "'matchReturnArgs'" : "'matchArgs'"))
		return;
	if (seq_len(list) > 5)
		ERR(c, list, "%s has %zu entries; Tetragon allows 5", where, seq_len(list));
	for (size_t i = 0; i < seq_len(list); i++) {
		ynode *e = seq_at(c, list, i);
		if (!want_map(c, e, "a match"))
			continue;
		check_keys(c, e, where, keys);
		struct policy_match m = { 0 };
		ynode *in = get(c, e, "index"), *an = get(c, e, "args");
		if (an && seq_len(an) == 1)
			in = seq_at(c, an, 0);
		else if (an)
			ERR(c, an, "'args' with more than one index is not supported");
		if (in && !parse_uint(scalar(in), 4, &m.index)) {
			ERR(c, in, "'index' must be from 0 to 4");
			continue;
		}
		enum policy_arg_type t = PARG_INT;
		if (ret) {
			if (!h->has_return)
				ERR(c, e, "matchReturnArgs needs a returnArg of type int");
		} else {
			const struct policy_arg *a = hook_arg(h, m.index);
			if (!a || a->type == PARG_NOP) {
				ERR(c, in ? in : e, "matchArgs on argument %u, which is not among the "
				    "hook's args", m.index);
				continue;
			}
			t = a->type;
		}
		bool text = is_text_type(t);
		ynode *on = get(c, e, "operator");
		int op = on ? op_of(c, on, text ? text_ops : int_ops, text ? 6 : 5, where) : -1;
		if (!on)
			ERR(c, e, "%s needs an 'operator'", where);
		struct policy_values vals = { 0 };
		bool ok = load_values(c, get(c, e, "values"), &vals, !text) && op >= 0;
		if (ok && !vals.n) {
			ERR(c, e, "%s needs 'values'", where);
			ok = false;
		}
		if (!ok) {
			values_free(&vals);
			continue;
		}
		m.op = op;
		m.values = vals;
		if (ret)
			add_match(&s->ret, &s->nret, &m);
		else
			add_match(&s->args, &s->nargs, &m);
	}
}

static void load_binaries(struct yctx *c, ynode *list, struct policy_selector *s)
{
	static const char *const keys[] = { "operator", "values", "followChildren", NULL };
	static const enum policy_op ops[] = { POP_IN, POP_NOT_IN, POP_PREFIX, POP_NOT_PREFIX,
					      POP_POSTFIX, POP_NOT_POSTFIX };
	if (!want_seq(c, list, "'matchBinaries'"))
		return;
	for (size_t i = 0; i < seq_len(list); i++) {
		ynode *e = seq_at(c, list, i);
		if (!want_map(c, e, "a match"))
			continue;
		check_keys(c, e, "matchBinaries", keys);
		struct policy_match m = { 0 };
		ynode *on = get(c, e, "operator"), *fc = get(c, e, "followChildren");
		int op = on ? op_of(c, on, ops, 6, "matchBinaries") : -1;
		if (!on)
			ERR(c, e, "matchBinaries needs an 'operator'");
		if (fc && !parse_bool(scalar(fc), &m.follow))
			ERR(c, fc, "'followChildren' must be true or false");
		bool ok = load_values(c, get(c, e, "values"), &m.values, false) && op >= 0;
		if (!ok) {
			values_free(&m.values);
			continue;
		}
		m.op = op;
		add_match(&s->binaries, &s->nbinaries, &m);
	}
}

static void load_pids(struct yctx *c, ynode *list, struct policy_selector *s)
{
	static const char *const keys[] = { "operator", "values", "followForks",
					    "isNamespacePID", NULL };
	static const enum policy_op ops[] = { POP_IN, POP_NOT_IN };
	if (!want_seq(c, list, "'matchPIDs'"))
		return;
	for (size_t i = 0; i < seq_len(list); i++) {
		ynode *e = seq_at(c, list, i);
		if (!want_map(c, e, "a match"))
			continue;
		check_keys(c, e, "matchPIDs", keys);
		struct policy_match m = { 0 };
		ynode *on = get(c, e, "operator"), *ff = get(c, e, "followForks");
		ynode *ns = get(c, e, "isNamespacePID");
		bool nspid = false;
		int op = on ? op_of(c, on, ops, 2, "matchPIDs") : -1;
		if (!on)
			ERR(c, e, "matchPIDs needs an 'operator'");
		if (ff && !parse_bool(scalar(ff), &m.follow))
			ERR(c, ff, "'followForks' must be true or false");
		if (ns && (!parse_bool(scalar(ns), &nspid) || nspid))
			ERR(c, ns, "unsupported 'isNamespacePID: %s' (PIDs are the host's)",
			    scalar(ns) ? scalar(ns) : "?");
		bool ok = load_values(c, get(c, e, "values"), &m.values, true) && op >= 0;
		if (!ok) {
			values_free(&m.values);
			continue;
		}
		m.op = op;
		add_match(&s->pids, &s->npids, &m);
	}
}

static void load_namespaces(struct yctx *c, ynode *list, struct policy_selector *s)
{
	static const char *const keys[] = { "namespace", "operator", "values", NULL };
	static const char *const kinds[] = { "Uts", "Ipc", "Mnt", "Pid", "PidForChildren", "Net",
					     "Cgroup", "User", "Time", "TimeForChildren", NULL };
	static const enum policy_op ops[] = { POP_IN, POP_NOT_IN };
	if (!want_seq(c, list, "'matchNamespaces'"))
		return;
	for (size_t i = 0; i < seq_len(list); i++) {
		ynode *e = seq_at(c, list, i);
		if (!want_map(c, e, "a match"))
			continue;
		check_keys(c, e, "matchNamespaces", keys);
		struct policy_match m = { 0 };
		ynode *kn = get(c, e, "namespace"), *on = get(c, e, "operator");
		bool kind_ok = false;
		for (size_t k = 0; scalar(kn) && kinds[k]; k++)
			kind_ok = kind_ok || !strcmp(scalar(kn), kinds[k]);
		if (!kind_ok)
			ERR(c, kn ? kn : e, "matchNamespaces needs a 'namespace' (Uts, Ipc, Mnt, Pid, "
			    "Net, Cgroup, User, Time, ...)");
		int op = on ? op_of(c, on, ops, 2, "matchNamespaces") : -1;
		if (!on)
			ERR(c, e, "matchNamespaces needs an 'operator'");
		bool ok = load_values(c, get(c, e, "values"), &m.values, false) && op >= 0 && kind_ok;
		for (size_t k = 0; ok && k < m.values.n; k++)
			if (strcmp(m.values.v[k], "host_ns")) {
				ERR(c, get(c, e, "values"), "unsupported namespace value '%s' "
				    "(supported: host_ns, the host's namespace)", m.values.v[k]);
				ok = false;
			}
		if (!ok) {
			values_free(&m.values);
			continue;
		}
		m.op = op;
		add_match(&s->namespaces, &s->nnamespaces, &m);
	}
}

static void load_actions(struct yctx *c, ynode *list, struct policy_selector *s)
{
	static const char *const keys[] = { "action", "rateLimit", "rateLimitScope", NULL };
	if (!want_seq(c, list, "'matchActions'"))
		return;
	for (size_t i = 0; i < seq_len(list); i++) {
		ynode *e = seq_at(c, list, i);
		if (!want_map(c, e, "an action"))
			continue;
		check_keys(c, e, "matchActions", keys);
		ynode *an = get(c, e, "action"), *rl = get(c, e, "rateLimit");
		ynode *sc = get(c, e, "rateLimitScope");
		if (!scalar(an) || strcasecmp(scalar(an), "Post")) {
			ERR(c, an ? an : e, "unsupported action '%s' (supported: Post; bpfalert "
			    "observes and never enforces)", scalar(an) ? scalar(an) : "?");
			continue;
		}
		if (rl) {
			char err[128];
			if (!scalar(rl) || parse_duration(scalar(rl), &s->rate_limit_ms, err,
							  sizeof(err)))
				ERR(c, rl, "invalid rateLimit '%s'", scalar(rl) ? scalar(rl) : "?");
		}
		if (sc) {
			const char *v = scalar(sc);
			if (v && !strcmp(v, "thread"))
				s->rate_limit_scope = 0;
			else if (v && !strcmp(v, "process"))
				s->rate_limit_scope = 1;
			else if (v && !strcmp(v, "global"))
				s->rate_limit_scope = 2;
			else
				ERR(c, sc, "rateLimitScope must be thread, process or global");
		}
	}
}

static void selector_free(struct policy_selector *s)
{
	struct policy_match *lists[] = { s->args, s->ret, s->binaries, s->pids, s->namespaces };
	size_t ns[] = { s->nargs, s->nret, s->nbinaries, s->npids, s->nnamespaces };
	for (size_t l = 0; l < 5; l++) {
		for (size_t i = 0; i < ns[l]; i++)
			values_free(&lists[l][i].values);
		free(lists[l]);
	}
}

static bool names_a_file(const struct policy_selector *s, unsigned path_index)
{
	for (size_t i = 0; i < s->nargs; i++)
		if (s->args[i].index == path_index && (s->args[i].op == POP_EQUAL ||
					      s->args[i].op == POP_PREFIX ||
					      s->args[i].op == POP_POSTFIX))
			return true;
	return false;
}

static void load_selectors(struct yctx *c, struct policy_hook *h, ynode *list)
{
	static const char *const keys[] = { "matchArgs", "matchReturnArgs", "matchBinaries",
					    "matchNamespaces", "matchPIDs", "matchActions", NULL };
	if (!want_seq(c, list, "'selectors'"))
		return;
	if (seq_len(list) > 5)
		ERR(c, list, "%zu selectors; Tetragon allows 5 per hook", seq_len(list));
	for (size_t i = 0; i < seq_len(list); i++) {
		ynode *e = seq_at(c, list, i);
		if (!want_map(c, e, "a selector"))
			continue;
		check_keys(c, e, "a selector", keys);
		struct policy_selector s = { 0 };
		ynode *n;
		if ((n = get(c, e, "matchArgs")))
			load_arg_matches(c, h, n, false, &s);
		if ((n = get(c, e, "matchReturnArgs")))
			load_arg_matches(c, h, n, true, &s);
		if ((n = get(c, e, "matchBinaries")))
			load_binaries(c, n, &s);
		if ((n = get(c, e, "matchPIDs")))
			load_pids(c, n, &s);
		if ((n = get(c, e, "matchNamespaces")))
			load_namespaces(c, n, &s);
		if ((n = get(c, e, "matchActions")))
			load_actions(c, n, &s);
		unsigned pi = policy_call_path_index(h->what);
		if (!names_a_file(&s, pi))
			ERR(c, e, "a selector needs an Equal, Prefix or Postfix on argument %u "
			    "(the probes see only the files they watch)", pi);
		h->selectors = xrealloc(h->selectors, (h->nselectors + 1) * sizeof(*h->selectors));
		h->selectors[h->nselectors++] = s;
	}
}

/* ---- hooks ---- */

static void hook_free(struct policy_hook *h)
{
	free(h->call);
	for (size_t i = 0; i < h->nargs; i++)
		free(h->args[i].label);
	free(h->args);
	for (size_t i = 0; i < h->nselectors; i++)
		selector_free(&h->selectors[i]);
	free(h->selectors);
}

static void unknown_call(struct yctx *c, ynode *n, const char *name, bool lsm)
{
	char list[300] = "";
	for (int i = 0; i < PCALL_COUNT; i++)
		if (lsm ? calls[i].lsm != NULL : true)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 *list ? ", " : "", lsm ? calls[i].lsm : calls[i].kprobe);
	ERR(c, n, "unsupported %s '%s': the probes produce only file accesses (%s)",
	    lsm ? "LSM hook" : "kprobe call", name, list);
}

static void load_hook(struct yctx *c, struct policy *p, ynode *n, bool lsm)
{
	static const char *const kkeys[] = { "call", "syscall", "return", "args", "returnArg",
					     "returnArgAction", "selectors", "message", "tags",
					     NULL };
	static const char *const lkeys[] = { "hook", "args", "selectors", "message", "tags",
					     NULL };
	if (!want_map(c, n, lsm ? "an LSM hook" : "a kprobe"))
		return;
	check_keys(c, n, lsm ? "an LSM hook" : "a kprobe", lsm ? lkeys : kkeys);
	ynode *cn = get(c, n, lsm ? "hook" : "call");
	const char *name = scalar(cn);
	if (!name || !*name) {
		ERR(c, cn ? cn : n, "%s needs '%s'", lsm ? "an LSM hook" : "a kprobe",
		    lsm ? "hook" : "call");
		return;
	}
	int what = find_call(name, lsm);
	if (what < 0) {
		unknown_call(c, cn, name, lsm);
		return;
	}
	ynode *sc = get(c, n, "syscall");
	bool is_syscall = false;
	bool want_syscall = is_syscall_call(what);
	if (sc && !parse_bool(scalar(sc), &is_syscall))
		ERR(c, sc, "'syscall' must be true or false");
	else if (is_syscall != want_syscall)
		ERR(c, sc ? sc : cn, "%s %s a system call: 'syscall' must be %s", name,
		    want_syscall ? "is" : "is not", want_syscall ? "true" : "false");
	struct policy_hook h = { .lsm = lsm, .call = xstrdup(name), .what = what,
				 .line = (int)n->start_mark.line + 1,
				 .col = (int)n->start_mark.column + 1 };
	ynode *args = get(c, n, "args");
	if (args && want_seq(c, args, "'args'"))
		for (size_t i = 0; i < seq_len(args); i++)
			load_arg(c, &h, seq_at(c, args, i));
	ynode *rn = get(c, n, "return"), *ra = get(c, n, "returnArg");
	bool ret = false;
	if (rn && !parse_bool(scalar(rn), &ret))
		ERR(c, rn, "'return' must be true or false");
	if (ra) {
		if (!ret && !lsm)
			ERR(c, ra, "'returnArg' needs 'return: true'");
		load_return(c, &h, ra, get(c, n, "returnArgAction"));
	} else if (get(c, n, "returnArgAction")) {
		ERR(c, get(c, n, "returnArgAction"), "'returnArgAction' needs a 'returnArg'");
	}
	ynode *sel = get(c, n, "selectors");
	if (sel)
		load_selectors(c, &h, sel);
	else
		ERR(c, cn, "%s needs selectors naming its files (an Equal, Prefix or Postfix "
		    "on argument %u): the probes see only the files they watch", name,
		    policy_call_path_index(what));
	p->hooks = xrealloc(p->hooks, (p->nhooks + 1) * sizeof(*p->hooks));
	p->hooks[p->nhooks++] = h;
}

/* ---- pod and container selectors ---- */

#define NS_LABEL "k8s:io.kubernetes.pod.namespace"

static void load_label_selector(struct yctx *c, ynode *n, const char *what, const char *label,
				struct policy_values *out)
{
	static const char *const keys[] = { "matchLabels", NULL };
	if (!want_map(c, n, what))
		return;
	check_keys(c, n, what, keys);
	ynode *ml = get(c, n, "matchLabels");
	if (!ml || !want_map(c, ml, "'matchLabels'"))
		return;
	for (yaml_node_pair_t *p = ml->data.mapping.pairs.start; p < ml->data.mapping.pairs.top; p++) {
		ynode *kn = node(c, p->key), *vn = node(c, p->value);
		const char *k = scalar(kn), *v = scalar(vn);
		if (!k || strcmp(k, label)) {
			ERR(c, kn, "unsupported label '%s' in %s (the probes know a pod by its "
			    "namespace, label '%s', and a container by its name)", k ? k : "?",
			    what, label);
			continue;
		}
		if (!v)
			ERR(c, vn, "a label's value must be a scalar");
		else
			values_add(out, v);
	}
}

/* ---- documents ---- */

static void policy_free(struct policy **pp)
{
	struct policy *p = *pp;
	if (!p)
		return;
	free(p->name);
	free(p->file);
	free(p->namespace);
	for (size_t i = 0; i < p->nhooks; i++)
		hook_free(&p->hooks[i]);
	free(p->hooks);
	values_free(&p->pod_namespaces);
	values_free(&p->containers);
	free(p);
	*pp = NULL;
}

static void load_spec(struct yctx *c, struct policy *p, ynode *spec)
{
	static const char *const keys[] = { "kprobes", "lsmhooks", "podSelector",
					    "containerSelector", NULL };
	if (!want_map(c, spec, "'spec'"))
		return;
	check_keys(c, spec, "'spec'", keys);
	ynode *k = get(c, spec, "kprobes"), *l = get(c, spec, "lsmhooks");
	if (k && want_seq(c, k, "'kprobes'"))
		for (size_t i = 0; i < seq_len(k); i++)
			load_hook(c, p, seq_at(c, k, i), false);
	if (l && want_seq(c, l, "'lsmhooks'"))
		for (size_t i = 0; i < seq_len(l); i++)
			load_hook(c, p, seq_at(c, l, i), true);
	if (!k && !l)
		ERR(c, spec, "'spec' has no kprobes or lsmhooks");
	ynode *ps = get(c, spec, "podSelector"), *cs = get(c, spec, "containerSelector");
	if (ps) {
		p->has_pod_selector = true;
		load_label_selector(c, ps, "'podSelector'", NS_LABEL, &p->pod_namespaces);
	}
	if (cs)
		load_label_selector(c, cs, "'containerSelector'", "name", &p->containers);
}

static struct policy *load_document(struct yctx *c, ynode *root)
{
	static const char *const keys[] = { "apiVersion", "kind", "metadata", "spec", NULL };
	static const char *const mkeys[] = { "name", "namespace", "labels", "annotations", NULL };
	if (!want_map(c, root, "a TracingPolicy document"))
		return NULL;
	unsigned before = c->errors;
	check_keys(c, root, "a TracingPolicy document", keys);
	ynode *av = get(c, root, "apiVersion"), *kind = get(c, root, "kind");
	if (!scalar(av) || strcmp(scalar(av), "cilium.io/v1alpha1"))
		ERR(c, av ? av : root, "apiVersion must be cilium.io/v1alpha1");
	const char *k = kind ? scalar(kind) : "TracingPolicy";   /* none: see policy.h */
	bool namespaced = k && !strcmp(k, "TracingPolicyNamespaced");
	if (!k || (strcmp(k, "TracingPolicy") && !namespaced))
		ERR(c, kind, "kind must be TracingPolicy or TracingPolicyNamespaced");
	struct policy *p = xcalloc(1, sizeof(*p));
	p->file = xstrdup(c->file);
	p->line = (int)root->start_mark.line + 1;
	p->namespaced = namespaced;
	ynode *md = get(c, root, "metadata");
	if (md && want_map(c, md, "'metadata'")) {
		check_keys(c, md, "'metadata'", mkeys);
		const char *name = scalar(get(c, md, "name"));
		const char *ns = scalar(get(c, md, "namespace"));
		p->name = name && *name ? xstrdup(name) : NULL;
		p->namespace = ns && *ns ? xstrdup(ns) : NULL;
	}
	if (!p->name)
		ERR(c, md ? md : root, "a policy needs metadata.name");
	if (namespaced && !p->namespace)
		ERR(c, md ? md : root, "a TracingPolicyNamespaced needs metadata.namespace");
	ynode *spec = get(c, root, "spec");
	if (spec)
		load_spec(c, p, spec);
	else
		ERR(c, root, "a policy needs a 'spec'");
	if (c->errors != before)
		policy_free(&p);
	return p;
}

static void add_policy(struct yctx *c, policy_set *out, struct policy *p, ynode *root)
{
	for (size_t i = 0; i < out->n; i++)
		if (!strcmp(out->v[i]->name, p->name)) {
			ERR(c, root, "policy '%s' is defined twice (first in %s:%d)", p->name,
			    out->v[i]->file, out->v[i]->line);
			policy_free(&p);
			return;
		}
	out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
	out->v[out->n++] = p;
}

unsigned policy_load_text(const char *file, const char *text, size_t len, diag *d,
			  policy_set *out)
{
	struct yctx c = { .file = file, .text = text, .len = len, .d = d };
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	for (;;) {
		yaml_document_t doc;
		if (!yaml_parser_load(&parser, &doc)) {
			int line = (int)parser.problem_mark.line + 1;
			int col = (int)parser.problem_mark.column + 1;
			size_t sl = 0;
			const char *src = diag_line_of(text, len, line, &sl);
			diag_report(d, DIAG_ERROR, file, line, col, src, sl, "YAML: %s%s%s",
				    parser.problem ? parser.problem : "syntax error",
				    parser.context ? " " : "", parser.context ? parser.context : "");
			c.errors++;
			break;
		}
		ynode *root = yaml_document_get_root_node(&doc);
		if (!root) {
			yaml_document_delete(&doc);
			break;   /* the end of the stream */
		}
		c.doc = &doc;
		struct policy *p = load_document(&c, root);
		if (p)
			add_policy(&c, out, p, root);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	return c.errors;
}

/* ---- files and directories ---- */

static bool yaml_name(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml"));
}

static unsigned load_file(const char *path, diag *d, policy_set *out)
{
	size_t len;
	char *text = textfile_read(path, (size_t)16 << 20, &len);
	if (!text) {
		diag_report(d, DIAG_ERROR, path, 0, 0, NULL, 0, "cannot read: %s", textfile_strerror(errno));
		return 1;
	}
	unsigned e = policy_load_text(path, text, len, d, out);
	free(text);
	return e;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static unsigned load_dir(const char *dir, diag *d, policy_set *out)
{
	DIR *dp = opendir(dir);
	if (!dp) {
		diag_report(d, DIAG_ERROR, dir, 0, 0, NULL, 0, "cannot read: %s", strerror(errno));
		return 1;
	}
	char **names = NULL;
	size_t n = 0;
	for (struct dirent *e; (e = readdir(dp));) {
		if (rulefiles_ignored_name(e->d_name))
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(e->d_name);
	}
	closedir(dp);
	qsort(names, n, sizeof(*names), by_name);
	unsigned errors = 0;
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]);
		struct stat st;
		if (!stat(path, &st) && S_ISREG(st.st_mode)) {
			if (yaml_name(names[i]))
				errors += load_file(path, d, out);
			else
				diag_report(d, DIAG_WARNING, path, 0, 0, NULL, 0,
					    "ignored: policy files end in .yaml or .yml");
		}
		free(path);
		free(names[i]);
	}
	free(names);
	return errors;
}

unsigned policy_load(const char *const *paths, size_t npaths, diag *d, policy_set *out)
{
	unsigned errors = 0;
	for (size_t i = 0; i < npaths; i++) {
		struct stat st;
		if (stat(paths[i], &st)) {
			diag_report(d, DIAG_ERROR, paths[i], 0, 0, NULL, 0, "%s", strerror(errno));
			errors++;
		} else if (S_ISDIR(st.st_mode)) {
			errors += load_dir(paths[i], d, out);
		} else {
			errors += load_file(paths[i], d, out);
		}
	}
	return errors;
}

unsigned policy_load_configured(const char *const *paths, size_t npaths,
				char *const *dirs, size_t ndirs, diag *d, policy_set *out)
{
	if (npaths)
		return policy_load(paths, npaths, d, out);
	unsigned errors = 0;
	for (size_t i = 0; i < ndirs; i++) {
		struct stat st;
		if (!stat(dirs[i], &st))
			errors += policy_load((const char *const *)&dirs[i], 1, d, out);
	}
	return errors;
}

void policy_set_clear(policy_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		policy_free(&s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}
