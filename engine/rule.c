/* rule — the public face of the rule language: compile (composite and
 * column rules), inspect, disassemble, free.  Evaluation is in rule_vm.c. */
#include "rule.h"

#include <stdlib.h>
#include <string.h>

#include "rule_ast.h"
#include "rule_compile.h"
#include "rule_lex.h"
#include "rule_parse.h"
#include "xalloc.h"

void rule_errors_clear(rule_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		free(errs->v[i].message);
	free(errs->v);
	errs->v = NULL;
	errs->n = errs->cap = 0;
}

/* Errors come from the lexer, the parser and the compiler in turn; the
 * reader wants them in the order of the text.  Insertion sort: stable,
 * and the lists are short. */
static void sort_errors(rule_errors *errs, size_t from)
{
	for (size_t i = from + 1; i < errs->n; i++) {
		struct rule_error e = errs->v[i];
		size_t j = i;
		while (j > from && errs->v[j - 1].offset > e.offset) {
			errs->v[j] = errs->v[j - 1];
			j--;
		}
		errs->v[j] = e;
	}
}

rule_program *rule_compile(const char *text, size_t len, field_table *ft,
			   rule_errors *errs)
{
	struct rule_diag d = { .errs = errs };
	size_t first = errs->n;
	struct ast *tree = rule_parse(text, len, &d);
	rule_program *p = rule_build(tree, text, RULE_PART_TEXT, ft, &d);
	ast_free(&tree);
	sort_errors(errs, first);
	return p;
}

/* ---- column rules ---- */

enum col_kind { COL_ANY, COL_NUM, COL_STR };

/* Parseable's operator names (serde camelCase) and their symbol aliases. */
static const struct {
	const char *name;
	uint8_t op;    /* enum rule_op */
	uint8_t kind;  /* the value it takes */
} column_ops[] = {
	{ "=", ROP_EQ, COL_ANY },
	{ "equalTo", ROP_EQ, COL_ANY },
	{ "exact", ROP_EQ, COL_ANY },
	{ "!=", ROP_NE, COL_ANY },
	{ "notEqualTo", ROP_NE, COL_ANY },
	{ "notExact", ROP_NE, COL_ANY },
	{ ">", ROP_GT, COL_NUM },
	{ "greaterThan", ROP_GT, COL_NUM },
	{ ">=", ROP_GE, COL_NUM },
	{ "greaterThanEquals", ROP_GE, COL_NUM },
	{ "<", ROP_LT, COL_NUM },
	{ "lessThan", ROP_LT, COL_NUM },
	{ "<=", ROP_LE, COL_NUM },
	{ "lessThanEquals", ROP_LE, COL_NUM },
	{ "=%", ROP_CONTAINS, COL_STR },
	{ "contains", ROP_CONTAINS, COL_STR },
	{ "!%", ROP_NCONTAINS, COL_STR },
	{ "notContains", ROP_NCONTAINS, COL_STR },
	{ "~", ROP_REGEX, COL_STR },
	{ "regex", ROP_REGEX, COL_STR },
};

#define NCOLUMN_OPS (sizeof(column_ops) / sizeof(column_ops[0]))

/* Parseable's reason wording.  Its numeric "not equal to" carries a
 * leading space (its format string then shows two); kept byte for byte. */
static const char *column_wording(enum rule_op op, bool numeric)
{
	switch (op) {
	case ROP_EQ:
		return "equal to";
	case ROP_NE:
		return numeric ? " not equal to" : "not equal to";
	case ROP_GT:
		return "greater than";
	case ROP_GE:
		return "greater than or equal to";
	case ROP_LT:
		return "less than";
	case ROP_LE:
		return "less than or equal to";
	case ROP_CONTAINS:
		return "contains";
	case ROP_NCONTAINS:
		return "does not contain";
	default:
		return "matches regex";
	}
}

static int column_op(const char *name, struct rule_diag *d)
{
	for (size_t i = 0; i < NCOLUMN_OPS; i++)
		if (!strcmp(column_ops[i].name, name))
			return (int)i;
	const char *cands[NCOLUMN_OPS + 1];
	for (size_t i = 0; i < NCOLUMN_OPS; i++)
		cands[i] = column_ops[i].name;
	cands[NCOLUMN_OPS] = NULL;
	char q[64];
	rule_quote_bytes(q, sizeof(q), name, strlen(name), 40);
	const char *sug = rule_suggest(name, strlen(name), cands, NULL);
	if (sug)
		rule_diag_add(d, RULE_PART_OPERATOR, 0,
			      "unknown operator '%s' (did you mean '%s'?)", q,
			      sug);
	else
		rule_diag_add(d, RULE_PART_OPERATOR, 0,
			      "unknown operator '%s'", q);
	return -1;
}

static enum rule_op case_insensitive(enum rule_op op)
{
	switch (op) {
	case ROP_EQ:
		return ROP_EQ_CI;
	case ROP_NE:
		return ROP_NE_CI;
	case ROP_CONTAINS:
		return ROP_ICONTAINS;
	case ROP_NCONTAINS:
		return ROP_NCONTAINS_CI;
	default:   /* Parseable's regex ignores ignoreCase */
		return op;
	}
}

/* The literal of a column rule; false (reported) if it cannot be. */
static bool column_lit(const struct column_rule *cr, int kind,
		       struct ast_lit *l, struct rule_diag *d)
{
	size_t len = strlen(cr->value);
	memset(l, 0, sizeof(*l));
	l->raw = true;
	l->s = xstrdup(cr->value);
	l->len = len;
	l->numeric = rule_parse_number(cr->value, len, &l->num);
	bool want_num = kind == COL_NUM || (kind == COL_ANY &&
					    cr->value_is_number);
	if (want_num && !l->numeric) {
		char q[64];
		rule_quote_bytes(q, sizeof(q), cr->value, len, 40);
		rule_diag_add(d, RULE_PART_VALUE, 0, "expected a number, not '%s'",
			      q);
		free(l->s);
		return false;
	}
	l->type = want_num ? LIT_NUM : LIT_STR;
	return true;
}

rule_program *rule_compile_column(const struct column_rule *cr,
				  field_table *ft, rule_errors *errs)
{
	struct rule_diag d = { .errs = errs };
	if (!cr->column || !cr->column[0])
		rule_diag_add(&d, RULE_PART_COLUMN, 0, "empty column name");
	/* Parseable's defaults: equalTo for numbers, contains for strings */
	const char *opname = cr->op ? cr->op
				    : cr->value_is_number ? "equalTo" : "contains";
	int oi = column_op(opname, &d);
	if (!cr->value)
		rule_diag_add(&d, RULE_PART_VALUE, 0, "missing value");
	if (d.count)
		return NULL;

	struct ast *n = ast_new(AST_PRED, 0);
	n->field = xstrdup(cr->column);
	n->field_len = strlen(cr->column);
	n->op = column_ops[oi].op;
	struct ast_lit l;
	if (!column_lit(cr, column_ops[oi].kind, &l, &d)) {
		ast_free(&n);
		return NULL;
	}
	ast_add_lit(n, &l);
	if (cr->ignore_case && l.type == LIT_STR)
		n->op = case_insensitive(n->op);
	rule_program *p = rule_build(n, NULL, RULE_PART_VALUE, ft, &d);
	if (p)
		p->column_wording = column_wording(column_ops[oi].op,
						   l.type == LIT_NUM);
	ast_free(&n);
	return p;
}

/* ---- inspection ---- */

void rule_program_free(rule_program **pp)
{
	rule_program *p = *pp;
	if (!p)
		return;
	free(p->code);
	kpool_free(&p->pool);
	free(p->text);
	free(p->anchors);
	free(p->fields);
	free(p);
	*pp = NULL;
}

const char *rule_program_risky_regex(const rule_program *p)
{
	return p ? kpool_risky_regex(&p->pool) : NULL;
}

const char *rule_program_text(const rule_program *p)
{
	return p->text;
}

size_t rule_program_anchors(const rule_program *p, const int **slots)
{
	*slots = p->anchors;
	return p->nanchors;
}

size_t rule_program_fields(const rule_program *p, const int **slots)
{
	*slots = p->fields;
	return p->nfields;
}

const char *rule_program_column_wording(const rule_program *p)
{
	return p->column_wording;
}

static const uint8_t opcode_operands[] = {
#define X(name, operands) operands,
	RULE_OPCODES(X)
#undef X
};

static void dump_field(const field_table *ft, uint32_t slot, FILE *out)
{
	const char *name = ft ? field_table_name(ft, (int)slot) : NULL;
	if (name)
		fputs(name, out);
	else
		fprintf(out, "#%u", slot);
}

void rule_program_dump(const rule_program *p, const field_table *ft,
		       FILE *out)
{
	for (size_t pc = 0; pc < p->ncode; pc++) {
		const struct rule_insn *i = &p->code[pc];
		unsigned kind = i->op < OP_COUNT ? opcode_operands[i->op]
						 : OPND_NONE;
		fprintf(out, "%04zu  ", pc);
		if (kind == OPND_NONE) {
			fprintf(out, "%s\n", rule_opcode_name(i->op));
			continue;
		}
		fprintf(out, "%-10s", rule_opcode_name(i->op));
		switch (kind) {
		case OPND_F:
			dump_field(ft, i->b, out);
			break;
		case OPND_FK:
			dump_field(ft, i->b, out);
			fputs(", ", out);
			kpool_dump(&p->pool, i->k, out);
			break;
		case OPND_FB:
			dump_field(ft, i->b, out);
			fputs(i->k ? ", true" : ", false", out);
			break;
		default: /* OPND_JUMP */
			fprintf(out, "-> %04u", i->b);
			break;
		}
		if (i->flags & RULE_F_NONE)
			fputs("  [none]", out);
		if (i->flags & RULE_F_NOT)
			fputs("  [not]", out);
		fputc('\n', out);
	}
}
