/* rule — the composite rule language (DESIGN §4): compile and evaluate.
 *
 * Source text -> tokens -> tree -> bytecode.  A rule_program is a flat
 * array of fixed-width instructions with a constant pool (strings, sets,
 * regexes, globs); fields are resolved to slots of a field_table at compile
 * time.  Evaluation allocates nothing and never fails: a regex that hits
 * its match limit counts as not matching.
 *
 * Ownership: rule_compile returns a program the caller frees with
 * rule_program_free.  The field_table must outlive the program and may be
 * shared by many programs (it only grows).  Error messages are owned by the
 * rule_errors and freed by rule_errors_clear. */
#ifndef BPFALERT_RULE_H
#define BPFALERT_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "event.h"
#include "fields.h"

typedef struct rule_program rule_program;

/* Where an error lies, for the caller to map onto its file. */
enum rule_error_part {
	RULE_PART_TEXT,     /* composite expression; offset is into the text */
	RULE_PART_COLUMN,   /* column rule: the column name */
	RULE_PART_OPERATOR, /* column rule: the operator */
	RULE_PART_VALUE,    /* column rule: the value */
};

struct rule_error {
	enum rule_error_part part;
	size_t offset;   /* byte offset into the text (RULE_PART_TEXT) */
	char *message;   /* e.g. "unknown operator '=>' (did you mean '>='?)" */
};

typedef struct rule_errors {
	struct rule_error *v;
	size_t n, cap;
} rule_errors;

void rule_errors_clear(rule_errors *errs);

/* Compiles a composite expression.  On any error returns NULL and appends
 * every error found (not only the first) to `errs`. */
rule_program *rule_compile(const char *text, size_t len, field_table *ft,
			   rule_errors *errs);

/* A Parseable column rule: {"column","operator","value","ignoreCase"}.
 * `op` is any of Parseable's symbols or names (=, !=, >, >=, <, <=, =%, !%,
 * ~, equalTo, notEqualTo, greaterThan, greaterThanEquals, lessThan,
 * lessThanEquals, exact, notExact, contains, notContains, regex), spelt as
 * Parseable spells them; NULL means Parseable's default (equalTo for a
 * number, contains for a string).  `value` is the value's text;
 * value_is_number says the JSON held a number (numeric comparison).  With
 * ignore_case, equal/not equal/contains/not contains ignore ASCII case;
 * regex does not (Parseable's StringRule::matches leaves it as written).  The program is the one the equivalent composite predicate
 * compiles to (`col > 500`).  Errors carry RULE_PART_COLUMN, _OPERATOR or
 * _VALUE (a regex error's offset is into the value). */
struct column_rule {
	const char *column;
	const char *op;
	const char *value;
	bool value_is_number;
	bool ignore_case;
};

rule_program *rule_compile_column(const struct column_rule *cr,
				  field_table *ft, rule_errors *errs);

void rule_program_free(rule_program **p);

/* True if the event satisfies the rule. */
bool rule_eval(rule_program *p, const event *ev);

/* The expression printed back as Parseable prints it in its reason text:
 * each and/or group in parentheses, chains nested to the right, negation
 * as !(...), strings verbatim between quotes, operators by Parseable's
 * symbols where it has one:
 *     a = "x" and b = "y" and not c ~ "z"
 *  -> (a = "x" and (b = "y" and !(c ~ "z")))
 * A column rule prints as its composite equivalent (`uid > 500`). */
const char *rule_program_text(const rule_program *p);
/* The first regex of the rule prone to catastrophic backtracking (nested
 * unbounded quantifiers), or NULL: `bpfalert check` warns about it. */
const char *rule_program_risky_regex(const rule_program *p);

/* Soundness anchor for the rule set's prefilter: if the rule can be true
 * only when at least one of the returned fields is present, returns their
 * count and sets *slots; returns 0 when the rule can be true on an event
 * that has none of its fields (for example `not (a = "x")`). */
size_t rule_program_anchors(const rule_program *p, const int **slots);

/* Every slot the rule reads. */
size_t rule_program_fields(const rule_program *p, const int **slots);

/* Prints the bytecode, one instruction a line, with operands resolved
 * (field names, constants). */
void rule_program_dump(const rule_program *p, const field_table *ft,
		       FILE *out);

/* The operator a column rule used, in Parseable's reason wording:
 * "greater than", "contains", ... (NULL for composite rules).  Parseable's
 * numeric not-equal wording is " not equal to", with a leading space that
 * its reason text keeps ("x column was  not equal to 5"); it is returned
 * as is. */
const char *rule_program_column_wording(const rule_program *p);

#endif
