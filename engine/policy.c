/* policy — TracingPolicy files into policies; see policy.h.
 *
 * Each document is loaded with libyaml's document API, so every node
 * keeps its line and column (policy_yaml.h).  The walk checks every key it
 * meets against the subset it knows and reports the others; it never
 * stops at the first problem.  This file walks documents, hooks and their
 * args; the hooks' catalogue is policy_calls.c, their selectors
 * policy_selector.c. */
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
#include "policy_calls.h"
#include "policy_selector.h"
#include "policy_yaml.h"
#include "rulefiles.h"
#include "textfile.h"
#include "xalloc.h"


/* ---- args ---- */

static int arg_type_of(struct yctx *c, ynode *n)
{
	const char *s = py_scalar(n);
	int t = policy_arg_type_parse(s);
	if (t >= 0)
		return t;
	const char *const *names = policy_arg_type_names();
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
	if (!py_want_map(c, n, "an argument"))
		return;
	py_check_keys(c, n, "an argument", keys);
	ynode *in = py_get(c, n, "index"), *tn = py_get(c, n, "type");
	unsigned index;
	if (!in || !py_parse_uint(py_scalar(in), 4, &index)) {
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
	const char *params = policy_call_params(h->what);
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
	if (!policy_arg_reads(t, params[index])) {
		ERR(c, tn, "argument %u of %s is %s: type '%s' cannot read it", index, h->call,
		    policy_param_what(params[index]), py_scalar(tn));
		return;
	}
	for (size_t i = 0; i < h->nargs; i++)
		if (h->args[i].index == index) {
			ERR(c, in, "argument %u is listed twice", index);
			return;
		}
	h->args = xrealloc(h->args, (h->nargs + 1) * sizeof(*h->args));
	ynode *ln = py_get(c, n, "label");
	h->args[h->nargs++] = (struct policy_arg){ .index = index, .type = t,
						   .label = py_scalar(ln) ? xstrdup(py_scalar(ln)) : NULL };
}

static void load_return(struct yctx *c, struct policy_hook *h, ynode *n, ynode *action)
{
	static const char *const keys[] = { "index", "type", NULL };
	if (!py_want_map(c, n, "'returnArg'"))
		return;
	py_check_keys(c, n, "'returnArg'", keys);
	ynode *tn = py_get(c, n, "type");
	int t = tn ? arg_type_of(c, tn) : -1;
	if (!tn)
		ERR(c, n, "'returnArg' needs a 'type'");
	else if (t >= 0 && t != PARG_INT && t != PARG_NOP)
		ERR(c, tn, "%s returns an int: returnArg type '%s' cannot read it", h->call, py_scalar(tn));
	if (action && (!py_scalar(action) || strcasecmp(py_scalar(action), "Post")))
		ERR(c, action, "unsupported returnArgAction '%s' (supported: Post)",
		    py_scalar(action) ? py_scalar(action) : "?");
	if (t == PARG_INT) {
		h->has_return = true;
		h->return_type = PARG_INT;
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
		policy_selector_free(&h->selectors[i]);
	free(h->selectors);
}

static void unknown_call(struct yctx *c, ynode *n, const char *name, bool lsm)
{
	char list[1024] = "";
	for (int i = 0; i < PCALL_COUNT; i++)
		if (!lsm || policy_call_lsm(i))
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 *list ? ", " : "", lsm ? policy_call_lsm(i) : policy_call_function(i));
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
	if (!py_want_map(c, n, lsm ? "an LSM hook" : "a kprobe"))
		return;
	py_check_keys(c, n, lsm ? "an LSM hook" : "a kprobe", lsm ? lkeys : kkeys);
	ynode *cn = py_get(c, n, lsm ? "hook" : "call");
	const char *name = py_scalar(cn);
	if (!name || !*name) {
		ERR(c, cn ? cn : n, "%s needs '%s'", lsm ? "an LSM hook" : "a kprobe",
		    lsm ? "hook" : "call");
		return;
	}
	int what = policy_call_find(name, lsm);
	if (what < 0) {
		unknown_call(c, cn, name, lsm);
		return;
	}
	if (policy_call_unavailable(what)) {
		ERR(c, cn, "%s cannot be seen here: %s", name, policy_call_unavailable(what));
		return;
	}
	ynode *sc = py_get(c, n, "syscall");
	bool is_syscall = false;
	bool want_syscall = policy_call_is_syscall(what);
	if (sc && !py_parse_bool(py_scalar(sc), &is_syscall))
		ERR(c, sc, "'syscall' must be true or false");
	else if (is_syscall != want_syscall)
		ERR(c, sc ? sc : cn, "%s %s a system call: 'syscall' must be %s", name,
		    want_syscall ? "is" : "is not", want_syscall ? "true" : "false");
	struct policy_hook h = { .lsm = lsm, .call = xstrdup(name), .what = what,
				 .line = (int)n->start_mark.line + 1,
				 .col = (int)n->start_mark.column + 1 };
	ynode *args = py_get(c, n, "args");
	if (args && py_want_seq(c, args, "'args'"))
		for (size_t i = 0; i < py_seq_len(args); i++)
			load_arg(c, &h, py_seq_at(c, args, i));
	ynode *rn = py_get(c, n, "return"), *ra = py_get(c, n, "returnArg");
	bool ret = false;
	if (rn && !py_parse_bool(py_scalar(rn), &ret))
		ERR(c, rn, "'return' must be true or false");
	if (ra) {
		if (!ret && !lsm)
			ERR(c, ra, "'returnArg' needs 'return: true'");
		load_return(c, &h, ra, py_get(c, n, "returnArgAction"));
	} else if (py_get(c, n, "returnArgAction")) {
		ERR(c, py_get(c, n, "returnArgAction"), "'returnArgAction' needs a 'returnArg'");
	}
	ynode *sel = py_get(c, n, "selectors");
	if (sel)
		policy_selectors_load(c, &h, sel);
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
	if (!py_want_map(c, n, what))
		return;
	py_check_keys(c, n, what, keys);
	ynode *ml = py_get(c, n, "matchLabels");
	if (!ml || !py_want_map(c, ml, "'matchLabels'"))
		return;
	for (yaml_node_pair_t *p = ml->data.mapping.pairs.start; p < ml->data.mapping.pairs.top; p++) {
		ynode *kn = py_node(c, p->key), *vn = py_node(c, p->value);
		const char *k = py_scalar(kn), *v = py_scalar(vn);
		if (!k || strcmp(k, label)) {
			ERR(c, kn, "unsupported label '%s' in %s (the probes know a pod by its "
			    "namespace, label '%s', and a container by its name)", k ? k : "?",
			    what, label);
			continue;
		}
		if (!v)
			ERR(c, vn, "a label's value must be a scalar");
		else
			py_values_add(out, v);
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
	py_values_free(&p->pod_namespaces);
	py_values_free(&p->containers);
	free(p);
	*pp = NULL;
}

static void load_spec(struct yctx *c, struct policy *p, ynode *spec)
{
	static const char *const keys[] = { "kprobes", "lsmhooks", "podSelector",
					    "containerSelector", NULL };
	if (!py_want_map(c, spec, "'spec'"))
		return;
	py_check_keys(c, spec, "'spec'", keys);
	ynode *k = py_get(c, spec, "kprobes"), *l = py_get(c, spec, "lsmhooks");
	if (k && py_want_seq(c, k, "'kprobes'"))
		for (size_t i = 0; i < py_seq_len(k); i++)
			load_hook(c, p, py_seq_at(c, k, i), false);
	if (l && py_want_seq(c, l, "'lsmhooks'"))
		for (size_t i = 0; i < py_seq_len(l); i++)
			load_hook(c, p, py_seq_at(c, l, i), true);
	if (!k && !l)
		ERR(c, spec, "'spec' has no kprobes or lsmhooks");
	ynode *ps = py_get(c, spec, "podSelector"), *cs = py_get(c, spec, "containerSelector");
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
	if (!py_want_map(c, root, "a TracingPolicy document"))
		return NULL;
	unsigned before = c->errors;
	py_check_keys(c, root, "a TracingPolicy document", keys);
	ynode *av = py_get(c, root, "apiVersion"), *kind = py_get(c, root, "kind");
	if (!py_scalar(av) || strcmp(py_scalar(av), "cilium.io/v1alpha1"))
		ERR(c, av ? av : root, "apiVersion must be cilium.io/v1alpha1");
	const char *k = kind ? py_scalar(kind) : "TracingPolicy";   /* none: see policy.h */
	bool namespaced = k && !strcmp(k, "TracingPolicyNamespaced");
	if (!k || (strcmp(k, "TracingPolicy") && !namespaced))
		ERR(c, kind, "kind must be TracingPolicy or TracingPolicyNamespaced");
	struct policy *p = xcalloc(1, sizeof(*p));
	p->file = xstrdup(c->file);
	p->line = (int)root->start_mark.line + 1;
	p->namespaced = namespaced;
	ynode *md = py_get(c, root, "metadata");
	if (md && py_want_map(c, md, "'metadata'")) {
		py_check_keys(c, md, "'metadata'", mkeys);
		const char *name = py_scalar(py_get(c, md, "name"));
		const char *ns = py_scalar(py_get(c, md, "namespace"));
		p->name = name && *name ? xstrdup(name) : NULL;
		p->namespace = ns && *ns ? xstrdup(ns) : NULL;
	}
	if (!p->name)
		ERR(c, md ? md : root, "a policy needs metadata.name");
	if (namespaced && !p->namespace)
		ERR(c, md ? md : root, "a TracingPolicyNamespaced needs metadata.namespace");
	ynode *spec = py_get(c, root, "spec");
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
