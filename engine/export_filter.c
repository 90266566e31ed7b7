#include "export_filter.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule.h"
#include "xalloc.h"

/* The kinds whose events carry a `process`: Tetragon's filters look there. */
static const char *const process_kinds[] = {
	"process_exec", "process_exit", "process_kprobe", "process_tracepoint",
	"process_lsm", "process_uprobe", NULL,
};

struct tfilter {
	char **kinds;          /* event_set, as top-level keys; none: any */
	size_t nkinds;
	rule_program *prog;    /* the other fields; NULL: none */
};

struct export_filter {
	struct tfilter *allow, *deny;
	size_t nallow, ndeny;
	rule_program *expr;
	bool alerts_only;
};

struct text {
	char *s;
	size_t len, cap;
};

static void put(struct text *t, const char *s, size_t n)
{
	t->s = xgrow(t->s, &t->cap, t->len + n + 1, 1);
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void puts_(struct text *t, const char *s) { put(t, s, strlen(s)); }

/* A rule-language string literal (JSON escapes). */
static void put_quoted(struct text *t, const char *s)
{
	puts_(t, "\"");
	for (; *s; s++) {
		char esc[8];
		if (*s == '"' || *s == '\\') {
			esc[0] = '\\';
			esc[1] = *s;
			put(t, esc, 2);
		} else if ((unsigned char)*s < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned char)*s);
			puts_(t, esc);
		} else {
			put(t, s, 1);
		}
	}
	puts_(t, "\"");
}

static int string_list(const struct json_object *v, const char *key,
		       char *err, size_t errlen)
{
	bool ok = json_object_is_type(v, json_type_array) &&
		  json_object_array_length(v) > 0;
	for (size_t i = 0; ok && i < json_object_array_length(v); i++)
		ok = json_object_is_type(json_object_array_get_idx(v, i),
					 json_type_string);
	if (!ok)
		snprintf(err, errlen, "'%s' must be a non-empty list of strings", key);
	return ok ? 0 : -1;
}

/* One field as an or-group over every process kind:
 * (K1_process_SUFFIX OP v1 or K1_... OP v2 or K2_... ...). */
static void field_condition(struct text *t, const struct json_object *values,
			    const char *suffix, const char *op)
{
	puts_(t, "(");
	const char *sep = "";
	for (size_t k = 0; process_kinds[k]; k++)
		for (size_t i = 0; i < json_object_array_length(values); i++) {
			puts_(t, sep);
			puts_(t, process_kinds[k]);
			puts_(t, "_process_");
			puts_(t, suffix);
			puts_(t, op);
			put_quoted(t, json_object_get_string(
					      json_object_array_get_idx(values, i)));
			sep = " or ";
		}
	puts_(t, ")");
}

static int take_kinds(struct tfilter *tf, const struct json_object *v,
		      char *err, size_t errlen)
{
	if (string_list(v, "event_set", err, errlen) < 0)
		return -1;
	tf->nkinds = json_object_array_length(v);
	tf->kinds = xcalloc(tf->nkinds, sizeof(char *));
	for (size_t i = 0; i < tf->nkinds; i++) {
		char *k = xstrdup(json_object_get_string(json_object_array_get_idx(v, i)));
		for (char *p = k; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		tf->kinds[i] = k;
	}
	return 0;
}

static rule_program *compile(const char *text, field_table *ft, const char *what,
			     char *err, size_t errlen)
{
	rule_errors errs = { 0 };
	rule_program *p = rule_compile(text, strlen(text), ft, &errs);
	if (!p)
		snprintf(err, errlen, "%s: %s (at byte %zu of \"%s\")", what,
			 errs.n ? errs.v[0].message : "invalid", errs.n ? errs.v[0].offset : 0,
			 text);
	rule_errors_clear(&errs);
	return p;
}

static int tfilter_init(struct tfilter *tf, const struct json_object *o,
			field_table *ft, char *err, size_t errlen)
{
	static const struct { const char *key, *suffix, *op; } fields[] = {
		{ "namespace", "pod_namespace", " = " },
		{ "pod_regex", "pod_name", " ~ " },
		{ "binary_regex", "binary", " ~ " },
	};
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "each filter must be a group: { event_set = [ ... ]; ... }");
		return -1;
	}
	struct text t = { 0 };
	int rc = 0;
	json_object_object_foreach((struct json_object *)o, key, v) {
		size_t i = 0;
		while (i < 3 && strcmp(key, fields[i].key))
			i++;
		if (!strcmp(key, "event_set")) {
			rc = take_kinds(tf, v, err, errlen);
		} else if (i == 3) {
			snprintf(err, errlen, "unknown filter field '%s' (supported: event_set, "
				 "namespace, pod_regex, binary_regex)", key);
			rc = -1;
		} else if ((rc = string_list(v, key, err, errlen)) == 0) {
			if (t.len)
				puts_(&t, " and ");
			field_condition(&t, v, fields[i].suffix, fields[i].op);
		}
		if (rc < 0)
			break;
	}
	if (rc == 0 && t.len && !(tf->prog = compile(t.s, ft, "filter", err, errlen)))
		rc = -1;
	free(t.s);
	return rc;
}

static void tfilters_free(struct tfilter *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < v[i].nkinds; k++)
			free(v[i].kinds[k]);
		free(v[i].kinds);
		rule_program_free(&v[i].prog);
	}
	free(v);
}

static int tfilters_new(const struct json_object *list, const char *what,
			field_table *ft, struct tfilter **out, size_t *nout,
			char *err, size_t errlen)
{
	if (!list)
		return 0;
	if (!json_object_is_type(list, json_type_array)) {
		snprintf(err, errlen, "'%s' must be a list of filters: ( { ... }, ... )", what);
		return -1;
	}
	size_t n = json_object_array_length(list);
	*out = xcalloc(n ? n : 1, sizeof(**out));
	for (size_t i = 0; i < n; i++) {
		char inner[400];
		if (tfilter_init(&(*out)[i], json_object_array_get_idx(list, i), ft,
				 inner, sizeof(inner)) < 0) {
			snprintf(err, errlen, "%s[%zu]: %s", what, i, inner);
			tfilters_free(*out, i + 1);
			*out = NULL;
			return -1;
		}
	}
	*nout = n;
	return 0;
}

export_filter *export_filter_new(const struct json_object *allow,
				 const struct json_object *deny,
				 const char *expr, bool alerts_only,
				 field_table *ft, char *err, size_t errlen)
{
	export_filter *f = xcalloc(1, sizeof(*f));
	f->alerts_only = alerts_only;
	if (tfilters_new(allow, "allow", ft, &f->allow, &f->nallow, err, errlen) < 0 ||
	    tfilters_new(deny, "deny", ft, &f->deny, &f->ndeny, err, errlen) < 0 ||
	    (expr && !(f->expr = compile(expr, ft, "'filter'", err, errlen)))) {
		export_filter_free(&f);
		return NULL;
	}
	return f;
}

void export_filter_free(export_filter **pf)
{
	export_filter *f = *pf;
	if (!f)
		return;
	tfilters_free(f->allow, f->nallow);
	tfilters_free(f->deny, f->ndeny);
	rule_program_free(&f->expr);
	free(f);
	*pf = NULL;
}

static bool kind_matches(const struct tfilter *tf, const event *ev)
{
	if (!tf->nkinds)
		return true;
	for (size_t i = 0; i < tf->nkinds && ev->kind; i++)
		if (strlen(tf->kinds[i]) == ev->kind_len &&
		    !memcmp(tf->kinds[i], ev->kind, ev->kind_len))
			return true;
	return false;
}

static bool any_matches(const struct tfilter *v, size_t n, const event *ev)
{
	for (size_t i = 0; i < n; i++)
		if (kind_matches(&v[i], ev) && (!v[i].prog || rule_eval(v[i].prog, ev)))
			return true;
	return false;
}

bool export_filter_match(export_filter *f, const event *ev, size_t nalerts)
{
	if (f->alerts_only && nalerts == 0)
		return false;
	if (f->nallow && !any_matches(f->allow, f->nallow, ev))
		return false;
	if (any_matches(f->deny, f->ndeny, ev))
		return false;
	return !f->expr || rule_eval(f->expr, ev);
}

bool export_filter_alerts_only(const export_filter *f) { return f->alerts_only; }
