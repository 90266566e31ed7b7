#include "alertdef.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpos.h"
#include "msgtext.h"
#include "rule_object.h"
#include "rulefiles.h"
#include "targetcfg.h"
#include "template.h"
#include "xalloc.h"

#define DEFAULT_RESOLVE_AFTER_MS (5 * 60 * 1000)
#define DEFAULT_MAX_INSTANCES 1000

/* ---- lifetime ---- */

void alert_def_free(alert_def **pa)
{
	alert_def *a = *pa;
	if (!a)
		return;
	free(a->name);
	free(a->message);
	free(a->rule_text);
	free(a->column.column);
	free(a->column.op);
	free(a->column.value);
	rule_program_free(&a->prog);
	for (size_t i = 0; i < a->n_group_by; i++)
		free(a->group_by[i]);
	free(a->group_by);
	for (size_t i = 0; i < a->ntargets; i++) {
		free(a->targets[i].name);
		json_object_put(a->targets[i].inline_cfg);
	}
	free(a->targets);
	free(a->file);
	free(a->stream);
	json_object_put(a->extra);
	free(a);
	*pa = NULL;
}

void alert_list_clear(alert_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		alert_def_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void alert_list_push(alert_list *l, alert_def *a)
{
	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = a;
}

const char *severity_name(enum severity s)
{
	switch (s) {
	case SEVERITY_INFO: return "info";
	case SEVERITY_CRITICAL: return "critical";
	default: return "warning";
	}
}

/* ---- checking one alert ---- */

struct actx {
	docsrc *src;
	const struct alertdef_origin *origin;
	field_table *ft;
	jsonpos_path at;          /* the alert */
	alert_def *a;
	bool has_rule, has_targets;
	bool repeats_given;       /* the alert's own `repeats` */
	unsigned column_repeats;  /* a column rule's `repeats`, 0 if none */
	jsonpos_path column_repeats_at;
};

typedef void key_fn(struct actx *c, struct json_object *v,
		    const jsonpos_path *p, const char *key);

static void err_at(struct actx *c, const jsonpos_path *p, const char *fmt,
		  const char *key)
{
	docsrc_report(c->src, DIAG_ERROR, p, false, fmt, key);
}

/* A string value without NUL bytes (non-empty if asked); NULL if not. */
static const char *string_of(struct actx *c, struct json_object *v,
			     const jsonpos_path *p, const char *key,
			     bool nonempty)
{
	if (!json_object_is_type(v, json_type_string)) {
		err_at(c, p, "'%s' must be a string", key);
		return NULL;
	}
	const char *s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v)) {
		err_at(c, p, "'%s' must not contain a NUL byte", key);
		return NULL;
	}
	if (nonempty && !*s) {
		err_at(c, p, "'%s' must not be empty", key);
		return NULL;
	}
	return s;
}

/* An integer in [min, UINT_MAX]; false (reported) if not. */
static bool count_of(struct actx *c, struct json_object *v,
		     const jsonpos_path *p, const char *key, unsigned min,
		     unsigned *out)
{
	if (!json_object_is_type(v, json_type_int)) {
		err_at(c, p, "'%s' must be an integer", key);
		return false;
	}
	int64_t n = json_object_get_int64(v);
	if (n < (int64_t)min || n > UINT_MAX) {
		docsrc_report(c->src, DIAG_ERROR, p, false,
			      n < (int64_t)min ? "'%s' must be at least %u"
					       : "'%s' must be at most %u",
			      key, n < (int64_t)min ? min : UINT_MAX);
		return false;
	}
	*out = (unsigned)n;
	return true;
}

static bool duration_of(struct actx *c, struct json_object *v,
			const jsonpos_path *p, const char *key, int64_t *ms)
{
	if (!json_object_is_type(v, json_type_string)) {
		err_at(c, p, "'%s' must be a duration such as \"10s\"", key);
		return false;
	}
	char why[160];
	const char *text = json_object_get_string(v);
	if (parse_duration(text, ms, why, sizeof(why)) < 0) {
		docsrc_report(c->src, DIAG_ERROR, p, false, "'%s': %s", key,
			      why);
		return false;
	}
	return true;
}

static void key_name(struct actx *c, struct json_object *v,
		     const jsonpos_path *p, const char *key)
{
	const char *s = string_of(c, v, p, key, true);
	if (!s)
		return;
	c->a->name = xstrdup(s);
	struct jsonpos_loc loc;
	if (jsonpos_find(c->src->pos, p, &loc, NULL)) {
		c->a->line = loc.line;
		c->a->col = loc.col;
	}
}

static void key_message(struct actx *c, struct json_object *v,
			const jsonpos_path *p, const char *key)
{
	const char *s = string_of(c, v, p, key, true);
	if (!s)
		return;
	c->a->message = xstrdup(s);
	template_intern(s, strlen(s), c->ft);
}

static void key_severity(struct actx *c, struct json_object *v,
			 const jsonpos_path *p, const char *key)
{
	static const char *const names[] = { "info", "warning", "critical",
					     NULL };
	static const enum severity values[] = { SEVERITY_INFO, SEVERITY_WARNING,
						SEVERITY_CRITICAL };
	const char *s = string_of(c, v, p, key, false);
	if (!s)
		return;
	for (size_t i = 0; names[i]; i++) {
		if (strcmp(s, names[i]) == 0) {
			c->a->severity = values[i];
			return;
		}
	}
	char *shown = msgtext_quote(s, strlen(s));
	const char *near = msgtext_suggest(s, strlen(s), names);
	if (near)
		docsrc_report(c->src, DIAG_ERROR, p, false,
			      "unknown severity '%s' (did you mean '%s'?)",
			      shown, near);
	else
		docsrc_report(c->src, DIAG_ERROR, p, false,
			      "unknown severity '%s' (expected info, warning "
			      "or critical)", shown);
	free(shown);
}

static void add_group_by(struct actx *c, struct json_object *v,
			 const jsonpos_path *p)
{
	const char *s = string_of(c, v, p, "group_by", true);
	if (!s)
		return;
	alert_def *a = c->a;
	for (size_t i = 0; i < a->n_group_by; i++) {
		if (strcmp(a->group_by[i], s) == 0) {
			char *shown = msgtext_quote(s, strlen(s));
			docsrc_report(c->src, DIAG_WARNING, p, false,
				      "'%s' appears twice in 'group_by'",
				      shown);
			free(shown);
			return;
		}
	}
	a->group_by = xrealloc(a->group_by,
			       (a->n_group_by + 1) * sizeof(char *));
	a->group_by[a->n_group_by++] = xstrdup(s);
	field_table_intern(c->ft, s, strlen(s));
}

static void key_group_by(struct actx *c, struct json_object *v,
			 const jsonpos_path *p, const char *key)
{
	if (json_object_is_type(v, json_type_string)) {
		add_group_by(c, v, p);
		return;
	}
	if (!json_object_is_type(v, json_type_array)) {
		err_at(c, p, "'%s' must be a list of field names", key);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		jsonpos_path ip = jsonpos_index(p, i);
		add_group_by(c, json_object_array_get_idx(v, i), &ip);
	}
}

static void key_repeats(struct actx *c, struct json_object *v,
			const jsonpos_path *p, const char *key)
{
	c->repeats_given = true;
	count_of(c, v, p, key, 1, &c->a->repeats);
}

static void key_max_instances(struct actx *c, struct json_object *v,
			      const jsonpos_path *p, const char *key)
{
	count_of(c, v, p, key, 1, &c->a->max_instances);
}

static void key_within(struct actx *c, struct json_object *v,
		       const jsonpos_path *p, const char *key)
{
	duration_of(c, v, p, key, &c->a->within_ms);
}

static void key_resolve_after(struct actx *c, struct json_object *v,
			      const jsonpos_path *p, const char *key)
{
	int64_t ms;
	if (!duration_of(c, v, p, key, &ms))
		return;
	if (ms == 0)
		err_at(c, p, "'%s' must be longer than zero", key);
	c->a->resolve_after_ms = ms;
}

static void key_enabled(struct actx *c, struct json_object *v,
			const jsonpos_path *p, const char *key)
{
	if (json_object_is_type(v, json_type_boolean))
		c->a->enabled = json_object_get_boolean(v);
	else
		err_at(c, p, "'%s' must be true or false", key);
}

static void add_target(struct actx *c, struct json_object *v,
		       const jsonpos_path *p)
{
	alert_def *a = c->a;
	struct target_ref ref = { 0 };
	struct jsonpos_loc loc;
	if (jsonpos_find(c->src->pos, p, &loc, NULL))
		ref.line = loc.line;
	if (json_object_is_type(v, json_type_string)) {
		const char *s = string_of(c, v, p, "target name", true);
		if (!s)
			return;
		ref.name = xstrdup(s);
	} else if (json_object_is_type(v, json_type_object)) {
		if (targetcfg_check(v, c->src, p, c->origin->parseable))
			return;
		ref.inline_cfg = json_object_get(v);
	} else {
		docsrc_report(c->src, DIAG_ERROR, p, false,
			      "a target must be the name of a configured "
			      "target or %s defining one",
			      docsrc_object_word(c->src));
		return;
	}
	a->targets = xrealloc(a->targets, (a->ntargets + 1) * sizeof(ref));
	a->targets[a->ntargets++] = ref;
}

static void key_targets(struct actx *c, struct json_object *v,
			const jsonpos_path *p, const char *key)
{
	c->has_targets = true;
	if (json_object_is_type(v, json_type_string)) {
		add_target(c, v, p);
		return;
	}
	if (!json_object_is_type(v, json_type_array)) {
		err_at(c, p, "'%s' must be a list of targets", key);
		return;
	}
	size_t n = json_object_array_length(v);
	if (n == 0)
		err_at(c, p, "'%s' must not be empty: an alert needs a target",
		       key);
	for (size_t i = 0; i < n; i++) {
		jsonpos_path ip = jsonpos_index(p, i);
		add_target(c, json_object_array_get_idx(v, i), &ip);
	}
}

/* ---- rules ---- */

static void report_object(void *ctx, enum diag_level level, const jsonpos_path *at,
			  bool at_key, ssize_t str_offset, const char *msg)
{
	struct actx *c = ctx;
	if (str_offset >= 0)
		docsrc_report_string(c->src, level, at, (size_t)str_offset, "%s", msg);
	else
		docsrc_report(c->src, level, at, at_key, "%s", msg);
}

static void warn_risky_regex(struct actx *c, const jsonpos_path *p)
{
	const char *pat = rule_program_risky_regex(c->a->prog);
	if (pat)
		docsrc_report(c->src, DIAG_WARNING, p, false,
			      "regular expression '%s' repeats a group that holds a "
			      "repetition: on a near miss it can exceed PCRE2's limits, "
			      "and such a comparison counts as not holding "
			      "(bpfalert_rule_regex_errors_total)", pat);
}

/* Parseable's serde object form: {"and": [...]}, {"numeric": {...}}, ... */
static void compile_composite_object(struct actx *c, struct json_object *v,
				     const jsonpos_path *p)
{
	unsigned before = c->src->errors;
	c->a->prog = rule_compile_object(v, p, c->ft, report_object, c);
	warn_risky_regex(c, p);
	if (c->a->prog)
		c->a->rule_text = xstrdup(rule_program_text(c->a->prog));
	else if (c->src->errors == before)
		err_at(c, p, "invalid %s", "rule");
}

static void compile_composite(struct actx *c, struct json_object *v,
			      const jsonpos_path *p)
{
	if (json_object_is_type(v, json_type_object)) {
		compile_composite_object(c, v, p);
		return;
	}
	if (!json_object_is_type(v, json_type_string)) {
		err_at(c, p, "a composite rule's '%s' must be its text or an "
		       "object such as {\"and\": [...]}", "config");
		return;
	}
	const char *text = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);
	rule_errors errs = { 0 };
	c->a->prog = rule_compile(text, len, c->ft, &errs);
	warn_risky_regex(c, p);
	c->a->rule_text = xstrndup(text, len);
	for (size_t i = 0; i < errs.n; i++)
		docsrc_report_string(c->src, DIAG_ERROR, p, errs.v[i].offset,
				     "%s", errs.v[i].message);
	if (!c->a->prog && errs.n == 0)
		err_at(c, p, "invalid %s", "rule");
	rule_errors_clear(&errs);
}

/* Parseable's operator names, with the symbols it prints them as. */
static const char *op_symbol(const char *op)
{
	static const char *const map[][2] = {
		{ "equalTo", "=" },       { "notEqualTo", "!=" },
		{ "greaterThan", ">" },   { "greaterThanEquals", ">=" },
		{ "lessThan", "<" },      { "lessThanEquals", "<=" },
		{ "exact", "=" },         { "notExact", "!=" },
		{ "contains", "=%" },     { "notContains", "!%" },
		{ "regex", "~" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(op, map[i][0]) == 0)
			return map[i][1];
	return op;
}

/* Parseable's rendering: `col > 500` or `col =% "text"`. */
static char *column_text(const alert_def *a)
{
	const char *op = op_symbol(a->column.op);
	const char *quote = a->column.value_is_number ? "" : "\"";
	return xasprintf("%s %s %s%s%s", a->column.column, op, quote,
			 a->column.value, quote);
}

struct column_in {
	struct json_object *column, *op, *value;
	bool has_column, has_op, has_value;
	jsonpos_path at;     /* the config object */
};

static void read_column_key(struct actx *c, struct column_in *in,
			    const char *key, struct json_object *v)
{
	static const char *const keys[] = { "column", "operator", "value",
					    "repeats", "ignoreCase",
					    "ignore_case", NULL };
	jsonpos_path p = jsonpos_key(&in->at, key);
	if (strcmp(key, "column") == 0) {
		in->column = v;
		in->has_column = true;
	} else if (strcmp(key, "operator") == 0) {
		in->op = v;
		in->has_op = true;
	} else if (strcmp(key, "value") == 0) {
		in->value = v;
		in->has_value = true;
	} else if (strcmp(key, "repeats") == 0) {
		c->column_repeats_at = p;
		count_of(c, v, &p, key, 1, &c->column_repeats);
	} else if (strcmp(key, "ignoreCase") == 0 ||
		   strcmp(key, "ignore_case") == 0) {
		if (json_object_is_type(v, json_type_boolean))
			c->a->column.ignore_case = json_object_get_boolean(v);
		else
			err_at(c, &p, "'%s' must be true or false", key);
	} else {
		docsrc_unknown_key(c->src, &p, key, keys);
	}
}

static void report_column_errors(struct actx *c, const struct column_in *in,
				 const rule_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++) {
		/* A defaulted operator is not written: point at the config. */
		jsonpos_path p = in->at;
		switch (errs->v[i].part) {
		case RULE_PART_COLUMN:
			p = jsonpos_key(&in->at, "column");
			break;
		case RULE_PART_OPERATOR:
			if (in->has_op)
				p = jsonpos_key(&in->at, "operator");
			break;
		case RULE_PART_VALUE:
			p = jsonpos_key(&in->at, "value");
			break;
		default:
			break;
		}
		/* A regex error's offset is into the value's text. */
		if (errs->v[i].part == RULE_PART_VALUE &&
		    json_object_is_type(in->value, json_type_string))
			docsrc_report_string(c->src, DIAG_ERROR, &p,
					     errs->v[i].offset, "%s",
					     errs->v[i].message);
		else
			docsrc_report(c->src, DIAG_ERROR, &p, false, "%s",
				      errs->v[i].message);
	}
}

/* The column rule's value as text; false (reported) if it has none. */
static bool column_value(struct actx *c, const struct column_in *in)
{
	jsonpos_path p = jsonpos_key(&in->at, "value");
	if (!in->has_value) {
		err_at(c, &in->at, "missing '%s' in column rule", "value");
		return false;
	}
	if (json_object_is_type(in->value, json_type_int) ||
	    json_object_is_type(in->value, json_type_double)) {
		c->a->column.value = xstrdup(json_object_get_string(in->value));
		c->a->column.value_is_number = true;
		return true;
	}
	if (json_object_is_type(in->value, json_type_string)) {
		const char *s = string_of(c, in->value, &p, "value", false);
		c->a->column.value = s ? xstrdup(s) : NULL;
		return s != NULL;
	}
	err_at(c, &p, "a column rule's '%s' must be a number or a string",
	      "value");
	return false;
}

static void compile_column(struct actx *c, struct json_object *cfg,
			   const jsonpos_path *p)
{
	alert_def *a = c->a;
	a->is_column_rule = true;
	if (!json_object_is_type(cfg, json_type_object)) {
		docsrc_report(c->src, DIAG_ERROR, p, false,
			      "a column rule's 'config' must be %s with "
			      "'column', 'operator' and 'value'",
			      docsrc_object_word(c->src));
		return;
	}
	struct column_in in = { .at = *p };
	json_object_object_foreach(cfg, key, v)
		read_column_key(c, &in, key, v);
	jsonpos_path cp = jsonpos_key(p, "column");
	const char *column = NULL;
	if (in.has_column)
		column = string_of(c, in.column, &cp, "column", true);
	else
		err_at(c, p, "missing '%s' in column rule", "column");
	bool have_value = column_value(c, &in);
	jsonpos_path op_at = jsonpos_key(p, "operator");
	/* Parseable's defaults: equalTo for numbers, contains for text. */
	const char *op = a->column.value_is_number ? "=" : "=%";
	if (in.has_op)
		op = string_of(c, in.op, &op_at, "operator", true);
	if (!column || !have_value || !op)
		return;
	a->column.column = xstrdup(column);
	a->column.op = xstrdup(op);
	struct column_rule cr = {
		.column = column, .op = op, .value = a->column.value,
		.value_is_number = a->column.value_is_number,
		.ignore_case = a->column.ignore_case,
	};
	rule_errors errs = { 0 };
	a->prog = rule_compile_column(&cr, c->ft, &errs);
	warn_risky_regex(c, p);
	a->rule_text = column_text(a);
	report_column_errors(c, &in, &errs);
	if (!a->prog && errs.n == 0)
		err_at(c, p, "invalid %s", "column rule");
	rule_errors_clear(&errs);
}

static void compile_rule_object(struct actx *c, struct json_object *v,
				const jsonpos_path *p)
{
	static const char *const keys[] = { "type", "config", NULL };
	static const char *const types[] = { "composite", "column", NULL };
	struct json_object *type = NULL, *config = NULL;
	bool has_type = false, has_config = false;
	json_object_object_foreach(v, key, kv) {
		jsonpos_path kp = jsonpos_key(p, key);
		if (strcmp(key, "type") == 0) {
			type = kv;
			has_type = true;
		} else if (strcmp(key, "config") == 0) {
			config = kv;
			has_config = true;
		} else {
			docsrc_unknown_key(c->src, &kp, key, keys);
		}
	}
	jsonpos_path tp = jsonpos_key(p, "type"), cp = jsonpos_key(p, "config");
	const char *t = NULL;
	if (has_type)
		t = string_of(c, type, &tp, "type", false);
	else
		err_at(c, p, "missing '%s' in rule (composite or column)",
		       "type");
	if (!has_config)
		err_at(c, p, "missing '%s' in rule", "config");
	if (!t || !has_config) {
		return;
	} else if (strcmp(t, "composite") == 0) {
		compile_composite(c, config, &cp);
	} else if (strcmp(t, "column") == 0) {
		compile_column(c, config, &cp);
	} else {
		char *shown = msgtext_quote(t, strlen(t));
		const char *near = msgtext_suggest(t, strlen(t), types);
		if (near)
			docsrc_report(c->src, DIAG_ERROR, &tp, false,
				      "unknown rule type '%s' (did you mean "
				      "'%s'?)", shown, near);
		else
			docsrc_report(c->src, DIAG_ERROR, &tp, false,
				      "unknown rule type '%s' (expected "
				      "composite or column)", shown);
		free(shown);
	}
}

static void key_rule(struct actx *c, struct json_object *v,
		     const jsonpos_path *p, const char *key)
{
	c->has_rule = true;
	if (json_object_is_type(v, json_type_string))
		compile_composite(c, v, p);
	else if (json_object_is_type(v, json_type_object))
		compile_rule_object(c, v, p);
	else
		docsrc_report(c->src, DIAG_ERROR, p, false,
			      "'%s' must be a composite expression (a string) "
			      "or %s with 'type' and 'config'", key,
			      docsrc_object_word(c->src));
}

/* ---- one alert ---- */

static const struct {
	const char *key;
	key_fn *fn;
} alert_keys[] = {
	{ "name", key_name },
	{ "message", key_message },
	{ "rule", key_rule },
	{ "severity", key_severity },
	{ "group_by", key_group_by },
	{ "repeats", key_repeats },
	{ "within", key_within },
	{ "resolve_after", key_resolve_after },
	{ "max_instances", key_max_instances },
	{ "targets", key_targets },
	{ "enabled", key_enabled },
};

#define NKEYS (sizeof(alert_keys) / sizeof(alert_keys[0]))

/* Keys Parseable writes that bpfalert keeps without using. */
static const char *const parseable_kept[] = { "id", NULL };

static bool in_list(const char *key, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(key, list[i]) == 0)
			return true;
	return false;
}

static void alert_key(struct actx *c, const char *key, struct json_object *v)
{
	jsonpos_path p = jsonpos_key(&c->at, key);
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(key, alert_keys[i].key) == 0) {
			alert_keys[i].fn(c, v, &p, key);
			return;
		}
	}
	if (c->origin->parseable && in_list(key, parseable_kept)) {
		if (!c->a->extra)
			c->a->extra = json_object_new_object();
		json_object_object_add(c->a->extra, key, json_object_get(v));
		return;
	}
	const char *known[NKEYS + 1];
	for (size_t i = 0; i < NKEYS; i++)
		known[i] = alert_keys[i].key;
	known[NKEYS] = NULL;
	docsrc_unknown_key(c->src, &p, key, known);
}

static alert_def *alert_new(const struct actx *c)
{
	alert_def *a = xcalloc(1, sizeof(*a));
	a->severity = SEVERITY_WARNING;
	a->repeats = 1;
	a->resolve_after_ms = DEFAULT_RESOLVE_AFTER_MS;
	a->max_instances = DEFAULT_MAX_INSTANCES;
	a->enabled = true;
	a->file = xstrdup(c->src->file ? c->src->file : "");
	a->from_parseable = c->origin->parseable;
	if (c->origin->stream)
		a->stream = xstrdup(c->origin->stream);
	struct jsonpos_loc loc;
	if (jsonpos_find(c->src->pos, &c->at, &loc, NULL)) {
		a->line = loc.line;
		a->col = loc.col;
	}
	return a;
}

static void merge_repeats(struct actx *c)
{
	if (!c->column_repeats)
		return;
	if (c->repeats_given)
		docsrc_report(c->src, DIAG_ERROR, &c->column_repeats_at, false,
			      "'repeats' is given both in the alert and in its "
			      "column rule");
	else
		c->a->repeats = c->column_repeats;
}

static void require(struct actx *c, bool present, const char *key)
{
	if (!present)
		err_at(c, &c->at, "missing '%s'", key);
}

static alert_def *load_one(struct actx *c, struct json_object *o)
{
	if (!json_object_is_type(o, json_type_object)) {
		docsrc_report(c->src, DIAG_ERROR, &c->at, false,
			      "an alert must be %s",
			      docsrc_object_word(c->src));
		return NULL;
	}
	unsigned before = c->src->errors;
	c->a = alert_new(c);
	json_object_object_foreach(o, key, v)
		alert_key(c, key, v);
	merge_repeats(c);
	require(c, json_object_object_get_ex(o, "name", NULL), "name");
	require(c, json_object_object_get_ex(o, "message", NULL), "message");
	require(c, c->has_rule, "rule");
	require(c, c->has_targets, "targets");
	if (c->src->errors != before)
		alert_def_free(&c->a);
	return c->a;
}

unsigned alertdef_load_all(struct json_object *alerts, struct docsrc *src,
			   const struct jsonpos_path *at,
			   const struct alertdef_origin *origin,
			   field_table *ft, alert_list *out)
{
	unsigned before = src->errors;
	size_t n = json_object_array_length(alerts);
	for (size_t i = 0; i < n; i++) {
		struct actx c = {
			.src = src, .origin = origin, .ft = ft,
			.at = jsonpos_index(at, i),
		};
		struct json_object *o = json_object_array_get_idx(alerts, i);
		alert_def *a = load_one(&c, o);
		if (a)
			alert_list_push(out, a);
	}
	return src->errors - before;
}
