/* policy_selector — a hook's selectors; see policy_selector.h. */
#include "policy_selector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msgtext.h"
#include "policy_calls.h"
#include "xalloc.h"

static int op_of(struct yctx *c, ynode *n, const enum policy_op *allowed, size_t nallowed,
		 const char *where)
{
	const char *s = py_scalar(n);
	const char *names[16];
	for (size_t i = 0; i < nallowed; i++) {
		names[i] = policy_op_name(allowed[i]);
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
	if (!py_want_seq(c, n, "'values'"))
		return false;
	bool ok = true;
	for (size_t i = 0; i < py_seq_len(n); i++) {
		ynode *v = py_seq_at(c, n, i);
		const char *s = py_scalar(v);
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
		py_values_add(out, s);
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
	if (!py_want_seq(c, list, ret ? "'matchReturnArgs'" : "'matchArgs'"))
		return;
	if (py_seq_len(list) > 5)
		ERR(c, list, "%s has %zu entries; Tetragon allows 5", where, py_seq_len(list));
	for (size_t i = 0; i < py_seq_len(list); i++) {
		ynode *e = py_seq_at(c, list, i);
		if (!py_want_map(c, e, "a match"))
			continue;
		py_check_keys(c, e, where, keys);
		struct policy_match m = { 0 };
		ynode *in = py_get(c, e, "index"), *an = py_get(c, e, "args");
		if (an && py_seq_len(an) == 1)
			in = py_seq_at(c, an, 0);
		else if (an)
			ERR(c, an, "'args' with more than one index is not supported");
		if (in && !py_parse_uint(py_scalar(in), 4, &m.index)) {
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
		bool text = policy_arg_is_text(t);
		ynode *on = py_get(c, e, "operator");
		int op = on ? op_of(c, on, text ? text_ops : int_ops, text ? 6 : 5, where) : -1;
		if (!on)
			ERR(c, e, "%s needs an 'operator'", where);
		struct policy_values vals = { 0 };
		bool ok = load_values(c, py_get(c, e, "values"), &vals, !text) && op >= 0;
		if (ok && !vals.n) {
			ERR(c, e, "%s needs 'values'", where);
			ok = false;
		}
		if (!ok) {
			py_values_free(&vals);
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

/* An entry's operator among `ops`, or -1 (reported) when it has none or
 * another. */
static int entry_op(struct yctx *c, ynode *e, const enum policy_op *ops, size_t nops,
		    const char *where)
{
	ynode *on = py_get(c, e, "operator");
	if (!on) {
		ERR(c, e, "%s needs an 'operator'", where);
		return -1;
	}
	return op_of(c, on, ops, nops, where);
}

/* Appends m, with the operator op and the values of entry e, to the list
 * (v, n); unless the values, the operator or the rest of the entry (ok)
 * are wrong: then m is dropped. */
static void add_entry(struct yctx *c, ynode *e, struct policy_match m, int op, bool numbers,
		      bool ok, struct policy_match **v, size_t *n)
{
	ok = load_values(c, py_get(c, e, "values"), &m.values, numbers) && op >= 0 && ok;
	if (!ok) {
		py_values_free(&m.values);
		return;
	}
	m.op = op;
	add_match(v, n, &m);
}

static void load_binaries(struct yctx *c, ynode *list, struct policy_selector *s)
{
	static const char *const keys[] = { "operator", "values", "followChildren", NULL };
	static const enum policy_op ops[] = { POP_IN, POP_NOT_IN, POP_PREFIX, POP_NOT_PREFIX,
					      POP_POSTFIX, POP_NOT_POSTFIX };
	if (!py_want_seq(c, list, "'matchBinaries'"))
		return;
	for (size_t i = 0; i < py_seq_len(list); i++) {
		ynode *e = py_seq_at(c, list, i);
		if (!py_want_map(c, e, "a match"))
			continue;
		py_check_keys(c, e, "matchBinaries", keys);
		struct policy_match m = { 0 };
		ynode *fc = py_get(c, e, "followChildren");
		int op = entry_op(c, e, ops, 6, "matchBinaries");
		if (fc && !py_parse_bool(py_scalar(fc), &m.follow))
			ERR(c, fc, "'followChildren' must be true or false");
		add_entry(c, e, m, op, false, true, &s->binaries, &s->nbinaries);
	}
}

static void load_pids(struct yctx *c, ynode *list, struct policy_selector *s)
{
	static const char *const keys[] = { "operator", "values", "followForks",
					    "isNamespacePID", NULL };
	static const enum policy_op ops[] = { POP_IN, POP_NOT_IN };
	if (!py_want_seq(c, list, "'matchPIDs'"))
		return;
	for (size_t i = 0; i < py_seq_len(list); i++) {
		ynode *e = py_seq_at(c, list, i);
		if (!py_want_map(c, e, "a match"))
			continue;
		py_check_keys(c, e, "matchPIDs", keys);
		struct policy_match m = { 0 };
		ynode *ff = py_get(c, e, "followForks"), *ns = py_get(c, e, "isNamespacePID");
		bool nspid = false;
		int op = entry_op(c, e, ops, 2, "matchPIDs");
		if (ff && !py_parse_bool(py_scalar(ff), &m.follow))
			ERR(c, ff, "'followForks' must be true or false");
		if (ns && (!py_parse_bool(py_scalar(ns), &nspid) || nspid))
			ERR(c, ns, "unsupported 'isNamespacePID: %s' (PIDs are the host's)",
			    py_scalar(ns) ? py_scalar(ns) : "?");
		add_entry(c, e, m, op, true, true, &s->pids, &s->npids);
	}
}

static void load_namespaces(struct yctx *c, ynode *list, struct policy_selector *s)
{
	static const char *const keys[] = { "namespace", "operator", "values", NULL };
	static const char *const kinds[] = { "Uts", "Ipc", "Mnt", "Pid", "PidForChildren", "Net",
					     "Cgroup", "User", "Time", "TimeForChildren", NULL };
	static const enum policy_op ops[] = { POP_IN, POP_NOT_IN };
	if (!py_want_seq(c, list, "'matchNamespaces'"))
		return;
	for (size_t i = 0; i < py_seq_len(list); i++) {
		ynode *e = py_seq_at(c, list, i);
		if (!py_want_map(c, e, "a match"))
			continue;
		py_check_keys(c, e, "matchNamespaces", keys);
		struct policy_match m = { 0 };
		ynode *kn = py_get(c, e, "namespace");
		bool kind_ok = false;
		for (size_t k = 0; py_scalar(kn) && kinds[k]; k++)
			kind_ok = kind_ok || !strcmp(py_scalar(kn), kinds[k]);
		if (!kind_ok)
			ERR(c, kn ? kn : e, "matchNamespaces needs a 'namespace' (Uts, Ipc, Mnt, Pid, "
			    "Net, Cgroup, User, Time, ...)");
		int op = entry_op(c, e, ops, 2, "matchNamespaces");
		bool ok = load_values(c, py_get(c, e, "values"), &m.values, false) && op >= 0 && kind_ok;
		for (size_t k = 0; ok && k < m.values.n; k++)
			if (strcmp(m.values.v[k], "host_ns")) {
				ERR(c, py_get(c, e, "values"), "unsupported namespace value '%s' "
				    "(supported: host_ns, the host's namespace)", m.values.v[k]);
				ok = false;
			}
		if (!ok) {
			py_values_free(&m.values);
			continue;
		}
		m.op = op;
		add_match(&s->namespaces, &s->nnamespaces, &m);
	}
}

/* A rateLimit as Tetragon reads it: a count of seconds, or of minutes or
 * hours with the suffix s, m or h (either case); in milliseconds, at most
 * 2^32 - 1 as Tetragon keeps it.  False for anything else ("500ms",
 * "5/minute"), which Tetragon refuses too. */
static bool parse_rate_limit(const char *v, int64_t *ms)
{
	size_t n = v ? strlen(v) : 0;
	uint64_t mult = 1, x = 0;

	if (!n)
		return false;
	switch (v[n - 1]) {
	case 'm': case 'M': mult = 60; n--; break;
	case 'h': case 'H': mult = 3600; n--; break;
	case 's': case 'S': n--; break;
	}
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(v[i] - '0');
		if (x > UINT32_MAX)
			return false;
	}
	x *= mult * 1000;
	*ms = (int64_t)(x > UINT32_MAX ? UINT32_MAX : x);
	return true;
}

static void load_actions(struct yctx *c, ynode *list, struct policy_selector *s)
{
	static const char *const keys[] = { "action", "rateLimit", "rateLimitScope", NULL };
	if (!py_want_seq(c, list, "'matchActions'"))
		return;
	for (size_t i = 0; i < py_seq_len(list); i++) {
		ynode *e = py_seq_at(c, list, i);
		if (!py_want_map(c, e, "an action"))
			continue;
		py_check_keys(c, e, "matchActions", keys);
		ynode *an = py_get(c, e, "action"), *rl = py_get(c, e, "rateLimit");
		ynode *sc = py_get(c, e, "rateLimitScope");
		if (!py_scalar(an) || strcasecmp(py_scalar(an), "Post")) {
			ERR(c, an ? an : e, "unsupported action '%s' (supported: Post; bpfalert "
			    "observes and never enforces)", py_scalar(an) ? py_scalar(an) : "?");
			continue;
		}
		if (rl && !parse_rate_limit(py_scalar(rl), &s->rate_limit_ms))
			ERR(c, rl, "invalid rateLimit '%s' (Tetragon's form: a number of seconds, "
			    "or with the suffix s, m or h)", py_scalar(rl) ? py_scalar(rl) : "?");
		if (sc) {
			const char *v = py_scalar(sc);
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

void policy_selector_free(struct policy_selector *s)
{
	struct policy_match *lists[] = { s->args, s->ret, s->binaries, s->pids, s->namespaces };
	size_t ns[] = { s->nargs, s->nret, s->nbinaries, s->npids, s->nnamespaces };
	for (size_t l = 0; l < 5; l++) {
		for (size_t i = 0; i < ns[l]; i++)
			py_values_free(&lists[l][i].values);
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

void policy_selectors_load(struct yctx *c, struct policy_hook *h, ynode *list)
{
	static const char *const keys[] = { "matchArgs", "matchReturnArgs", "matchBinaries",
					    "matchNamespaces", "matchPIDs", "matchActions", NULL };
	if (!py_want_seq(c, list, "'selectors'"))
		return;
	if (py_seq_len(list) > 5)
		ERR(c, list, "%zu selectors; Tetragon allows 5 per hook", py_seq_len(list));
	for (size_t i = 0; i < py_seq_len(list); i++) {
		ynode *e = py_seq_at(c, list, i);
		if (!py_want_map(c, e, "a selector"))
			continue;
		py_check_keys(c, e, "a selector", keys);
		struct policy_selector s = { 0 };
		ynode *n;
		if ((n = py_get(c, e, "matchArgs")))
			load_arg_matches(c, h, n, false, &s);
		if ((n = py_get(c, e, "matchReturnArgs")))
			load_arg_matches(c, h, n, true, &s);
		if ((n = py_get(c, e, "matchBinaries")))
			load_binaries(c, n, &s);
		if ((n = py_get(c, e, "matchPIDs")))
			load_pids(c, n, &s);
		if ((n = py_get(c, e, "matchNamespaces")))
			load_namespaces(c, n, &s);
		if ((n = py_get(c, e, "matchActions")))
			load_actions(c, n, &s);
		unsigned pi = policy_call_path_index(h->what);
		if (!names_a_file(&s, pi))
			ERR(c, e, "a selector needs an Equal, Prefix or Postfix on argument %u "
			    "(the probes see only the files they watch)", pi);
		h->selectors = xrealloc(h->selectors, (h->nselectors + 1) * sizeof(*h->selectors));
		h->selectors[h->nselectors++] = s;
	}
}
