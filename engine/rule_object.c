/* rule_object — see rule_object.h.
 *
 * The object is walked into the same syntax tree the expression parser
 * builds, then compiled by rule_build; only printing differs (the tree's
 * object_form flags). */
#include "rule_object.h"

#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule_ast.h"
#include "rule_compile.h"
#include "rule_lex.h"
#include "rule_parse.h"
#include "xalloc.h"

struct walk {
	field_table *ft;
	rule_object_report *report;
	void *ctx;
	unsigned errors;
};

__attribute__((format(printf, 5, 6)))
static void say(struct walk *w, enum diag_level level, const jsonpos_path *at, bool at_key,
		const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (level == DIAG_ERROR)
		w->errors++;
	w->report(w->ctx, level, at, at_key, -1, msg);
}

static const char *const variants[] = { "and", "or", "not", "numeric", "string", NULL };

/* ---- numbers as serde_json prints them ---- */

/* The shortest digits that read back as d, and the decimal exponent of
 * the first (d = 0.DIGITS x 10^exp10). */
static size_t shortest_digits(double d, char *digits, int *exp10)
{
	char buf[40];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	size_t n = 0;
	const char *p = buf + (buf[0] == '-');
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			digits[n++] = *p;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	digits[n] = '\0';
	*exp10 = atoi(p + 1) + 1;
	return n;
}

static void zeros(struct rbuf *b, int n)
{
	for (int i = 0; i < n; i++)
		rbuf_add(b, "0", 1);
}

/* ryu's format_finite, which serde_json uses for a float: positional
 * (with ".0" when integral) while the point falls within 16 digits and
 * 5 places; else d.ddde-7. */
static char *float_text(double d)
{
	if (d == 0)
		return xstrdup(signbit(d) ? "-0.0" : "0.0");
	char digits[24];
	int kk;
	size_t n = shortest_digits(fabs(d), digits, &kk);
	int k = kk - (int)n;
	struct rbuf b = { 0 };
	if (d < 0)
		rbuf_add(&b, "-", 1);
	if (k >= 0 && kk <= 16) {
		rbuf_adds(&b, digits);
		zeros(&b, k);
		rbuf_adds(&b, ".0");
	} else if (kk > 0 && kk <= 16) {
		rbuf_add(&b, digits, (size_t)kk);
		rbuf_add(&b, ".", 1);
		rbuf_adds(&b, digits + kk);
	} else if (kk > -5 && kk <= 0) {
		rbuf_adds(&b, "0.");
		zeros(&b, -kk);
		rbuf_adds(&b, digits);
	} else {
		char e[16];
		rbuf_add(&b, digits, 1);
		if (n > 1) {
			rbuf_add(&b, ".", 1);
			rbuf_adds(&b, digits + 1);
		}
		snprintf(e, sizeof(e), "e%d", kk - 1);
		rbuf_adds(&b, e);
	}
	return b.s;
}

static char *number_text(struct json_object *v)
{
	if (json_object_is_type(v, json_type_int))
		return xstrdup(json_object_get_string(v));
	return float_text(json_object_get_double(v));
}

/* ---- leaves ---- */

struct op_name {
	const char *name, *symbol;
	uint8_t op;    /* enum rule_op */
};

static const struct op_name numeric_ops[] = {
	{ "equalTo", "=", ROP_EQ },           { "notEqualTo", "!=", ROP_NE },
	{ "greaterThan", ">", ROP_GT },       { "greaterThanEquals", ">=", ROP_GE },
	{ "lessThan", "<", ROP_LT },          { "lessThanEquals", "<=", ROP_LE },
	{ NULL, NULL, 0 },
};

static const struct op_name string_ops[] = {
	{ "exact", "=", ROP_EQ },             { "notExact", "!=", ROP_NE },
	{ "contains", "=%", ROP_CONTAINS },   { "notContains", "!%", ROP_NCONTAINS },
	{ "regex", "~", ROP_REGEX },          { NULL, NULL, 0 },
};

static int find_op(struct walk *w, const struct op_name *ops, struct json_object *v,
		   const jsonpos_path *at)
{
	const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
	const char *cands[16];
	size_t n = 0;
	for (size_t i = 0; ops[i].name; i++) {
		if (s && (!strcmp(s, ops[i].name) || !strcmp(s, ops[i].symbol)))
			return (int)i;
		cands[n++] = ops[i].name;
	}
	cands[n] = NULL;
	if (!s) {
		say(w, DIAG_ERROR, at, false, "'operator' must be a string");
		return -1;
	}
	char q[64];
	rule_quote_bytes(q, sizeof(q), s, strlen(s), 40);
	const char *near = rule_suggest(s, strlen(s), cands, NULL);
	if (near)
		say(w, DIAG_ERROR, at, false, "unknown operator '%s' (did you mean '%s'?)", q, near);
	else
		say(w, DIAG_ERROR, at, false, "unknown operator '%s'", q);
	return -1;
}

struct leaf {
	struct json_object *column, *op, *value, *ignore_case;
};

static bool read_leaf(struct walk *w, struct json_object *v, const jsonpos_path *at,
		      bool numeric, struct leaf *lf)
{
	static const char *const num_keys[] = { "column", "operator", "value", NULL };
	static const char *const str_keys[] = { "column", "operator", "ignoreCase", "value", NULL };
	const char *const *keys = numeric ? num_keys : str_keys;
	if (!json_object_is_type(v, json_type_object)) {
		say(w, DIAG_ERROR, at, false, "a %s rule must be an object with 'column' and 'value'",
		    numeric ? "numeric" : "string");
		return false;
	}
	memset(lf, 0, sizeof(*lf));
	json_object_object_foreach(v, key, kv) {
		jsonpos_path kp = jsonpos_key(at, key);
		if (!strcmp(key, "column"))
			lf->column = kv;
		else if (!strcmp(key, "operator"))
			lf->op = kv;
		else if (!strcmp(key, "value"))
			lf->value = kv;
		else if (!numeric && !strcmp(key, "ignoreCase"))
			lf->ignore_case = kv;
		else {
			const char *near = rule_suggest(key, strlen(key), keys, NULL);
			say(w, DIAG_WARNING, &kp, true, near ? "unknown key '%s' (did you mean '%s'?)"
							     : "unknown key '%s'%s",
			    key, near ? near : "");
		}
	}
	bool ok = true;
	if (!lf->column || !json_object_is_type(lf->column, json_type_string) ||
	    !json_object_get_string_len(lf->column)) {
		jsonpos_path cp = jsonpos_key(at, "column");
		say(w, DIAG_ERROR, lf->column ? &cp : at, false,
		    lf->column ? "'column' must be a non-empty string" : "missing 'column'");
		ok = false;
	}
	jsonpos_path vp = jsonpos_key(at, "value");
	bool is_num = lf->value && (json_object_is_type(lf->value, json_type_int) ||
				    json_object_is_type(lf->value, json_type_double));
	bool is_str = lf->value && json_object_is_type(lf->value, json_type_string);
	if (!lf->value) {
		say(w, DIAG_ERROR, at, false, "missing 'value'");
		ok = false;
	} else if (numeric ? !is_num : !is_str) {
		say(w, DIAG_ERROR, &vp, false, "a %s rule's 'value' must be a %s",
		    numeric ? "numeric" : "string", numeric ? "number" : "string");
		ok = false;
	}
	if (lf->ignore_case && !json_object_is_type(lf->ignore_case, json_type_boolean) &&
	    !json_object_is_type(lf->ignore_case, json_type_null)) {
		jsonpos_path ip = jsonpos_key(at, "ignoreCase");
		say(w, DIAG_ERROR, &ip, false, "'ignoreCase' must be true or false");
		ok = false;
	}
	return ok;
}

static enum rule_op ignoring_case(enum rule_op op)
{
	switch (op) {
	case ROP_EQ: return ROP_EQ_CI;
	case ROP_NE: return ROP_NE_CI;
	case ROP_CONTAINS: return ROP_ICONTAINS;
	case ROP_NCONTAINS: return ROP_NCONTAINS_CI;
	default: return op;   /* Parseable's regex ignores ignoreCase */
	}
}

/* A regex is checked alone first, so that its error points into its own
 * value. */
static bool regex_ok(struct walk *w, const char *column, struct json_object *val,
		     const jsonpos_path *vp)
{
	struct column_rule cr = { .column = column, .op = "regex",
				  .value = json_object_get_string(val) };
	rule_errors errs = { 0 };
	rule_program *p = rule_compile_column(&cr, w->ft, &errs);
	for (size_t i = 0; i < errs.n; i++) {
		w->errors++;
		w->report(w->ctx, DIAG_ERROR, vp, false, (ssize_t)errs.v[i].offset,
			  errs.v[i].message);
	}
	rule_errors_clear(&errs);
	bool ok = p != NULL;
	rule_program_free(&p);
	return ok;
}

static struct ast *leaf(struct walk *w, struct json_object *v, const jsonpos_path *at,
			bool numeric)
{
	struct leaf lf;
	if (!read_leaf(w, v, at, numeric, &lf))
		return NULL;
	const struct op_name *ops = numeric ? numeric_ops : string_ops;
	int oi = numeric ? 0 : 2;   /* Parseable's defaults: equalTo, contains */
	jsonpos_path op_at = jsonpos_key(at, "operator");
	if (lf.op && (oi = find_op(w, ops, lf.op, &op_at)) < 0)
		return NULL;
	const char *column = json_object_get_string(lf.column);
	jsonpos_path vp = jsonpos_key(at, "value");
	if (ops[oi].op == ROP_REGEX && !regex_ok(w, column, lf.value, &vp))
		return NULL;
	struct ast *n = ast_new(AST_PRED, 0);
	n->object_form = true;
	n->field = xstrdup(column);
	n->field_len = strlen(column);
	n->op = ops[oi].op;
	struct ast_lit l = { .raw = true };
	if (numeric) {
		l.type = LIT_NUM;
		l.s = number_text(lf.value);
	} else {
		l.type = LIT_STR;
		l.s = xstrndup(json_object_get_string(lf.value),
			       (size_t)json_object_get_string_len(lf.value));
	}
	l.len = numeric ? strlen(l.s) : (size_t)json_object_get_string_len(lf.value);
	l.numeric = rule_parse_number(l.s, l.len, &l.num);
	ast_add_lit(n, &l);
	if (lf.ignore_case && json_object_get_boolean(lf.ignore_case))
		n->op = ignoring_case(n->op);
	return n;
}

/* ---- and, or, not ---- */

static struct ast *walk(struct walk *w, struct json_object *v, const jsonpos_path *at,
			unsigned depth);

static struct ast *list(struct walk *w, const char *key, struct json_object *v,
			const jsonpos_path *at, unsigned depth)
{
	if (!json_object_is_type(v, json_type_array)) {
		say(w, DIAG_ERROR, at, false, "'%s' must be a list of rules", key);
		return NULL;
	}
	size_t n = json_object_array_length(v);
	if (!n) {
		say(w, DIAG_ERROR, at, false, "'%s' needs at least one rule (an empty list never "
		    "matches)", key);
		return NULL;
	}
	struct ast *node = ast_new(key[0] == 'a' ? AST_AND : AST_OR, 0);
	node->object_form = true;
	bool ok = true;
	for (size_t i = 0; i < n; i++) {
		jsonpos_path ip = jsonpos_index(at, i);
		struct ast *kid = walk(w, json_object_array_get_idx(v, i), &ip, depth + 1);
		if (kid)
			ast_add_kid(node, kid);
		else
			ok = false;
	}
	if (!ok)
		ast_free(&node);
	return node;
}

static struct ast *variant(struct walk *w, const char *key, struct json_object *v,
			   const jsonpos_path *at, unsigned depth)
{
	if (!strcmp(key, "and") || !strcmp(key, "or"))
		return list(w, key, v, at, depth);
	if (!strcmp(key, "not")) {
		struct ast *kid = walk(w, v, at, depth + 1);
		if (!kid)
			return NULL;
		struct ast *n = ast_new(AST_NOT, 0);
		ast_add_kid(n, kid);
		return n;
	}
	return leaf(w, v, at, !strcmp(key, "numeric"));
}

static struct ast *walk(struct walk *w, struct json_object *v, const jsonpos_path *at,
			unsigned depth)
{
	if (depth >= RULE_MAX_DEPTH) {
		say(w, DIAG_ERROR, at, false, "rule nested too deeply (over %d levels)",
		    RULE_MAX_DEPTH);
		return NULL;
	}
	if (!json_object_is_type(v, json_type_object) || json_object_object_length(v) != 1) {
		say(w, DIAG_ERROR, at, false, "a rule in the object form is an object with one "
		    "of 'and', 'or', 'not', 'numeric', 'string'");
		return NULL;
	}
	json_object_object_foreach(v, key, kv) {
		jsonpos_path kp = jsonpos_key(at, key);
		for (size_t i = 0; variants[i]; i++)
			if (!strcmp(key, variants[i]))
				return variant(w, key, kv, &kp, depth);
		char q[64];
		rule_quote_bytes(q, sizeof(q), key, strlen(key), 40);
		const char *near = rule_suggest(key, strlen(key), variants, NULL);
		say(w, DIAG_ERROR, &kp, true, near ? "unknown composite rule '%s' (did you mean '%s'?)"
						   : "unknown composite rule '%s'%s",
		    q, near ? near : "");
	}
	return NULL;
}

rule_program *rule_compile_object(struct json_object *v, const jsonpos_path *at,
				  field_table *ft, rule_object_report *report, void *ctx)
{
	struct walk w = { .ft = ft, .report = report, .ctx = ctx };
	struct ast *tree = walk(&w, v, at, 0);
	if (!tree || w.errors) {
		ast_free(&tree);
		return NULL;
	}
	rule_errors errs = { 0 };
	struct rule_diag d = { .errs = &errs };
	rule_program *p = rule_build(tree, NULL, RULE_PART_VALUE, ft, &d);
	for (size_t i = 0; i < errs.n; i++)
		report(ctx, DIAG_ERROR, at, false, -1, errs.v[i].message);
	rule_errors_clear(&errs);
	ast_free(&tree);
	return p;
}
