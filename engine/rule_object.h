/* rule_object — Parseable's composite rule in serde's object form.
 *
 * Parseable v1 reads a composite rule's "config" either as the expression
 * text or as its CompositeRule enum written out by serde:
 *
 *   {"and": [R, ...]}   {"or": [R, ...]}   {"not": R}
 *   {"numeric": {"column": C, "operator": OP, "value": NUMBER}}
 *   {"string":  {"column": C, "operator": OP, "ignoreCase": BOOL, "value": TEXT}}
 *
 * Numeric operators: equalTo (the default), notEqualTo, greaterThan,
 * greaterThanEquals, lessThan, lessThanEquals, or their symbols = != > >=
 * < <=; string operators: exact, notExact, contains (the default),
 * notContains, regex, or = != =% !% ~.  ignoreCase compares ASCII letters
 * without case for exact, notExact, contains and notContains; Parseable
 * does not apply it to regex, and neither does this.
 *
 * The program prints back (rule_program_text) as Parseable's Display
 * prints the object form: a list as one group "(a and b and c)", not as
 * "!(...)", numbers as serde_json writes them (500, 1.5, 5.0), strings
 * verbatim between quotes: "(uid > 500 and !(bin = "/x"))".
 *
 * Deviations: an empty "and"/"or" list, which Parseable accepts and which
 * never matches, is an error; keys Parseable ignores are warned about. */
#ifndef BPFALERT_RULE_OBJECT_H
#define BPFALERT_RULE_OBJECT_H

#include <stdbool.h>
#include <sys/types.h>

#include "diag.h"
#include "fields.h"
#include "jsonpos.h"
#include "rule.h"

struct json_object;

/* One problem at `at` (at its key when at_key); `str_offset` >= 0 places
 * it at that byte of the string value there. */
typedef void rule_object_report(void *ctx, enum diag_level level, const jsonpos_path *at,
				bool at_key, ssize_t str_offset, const char *msg);

/* Compiles `v` (found at `at`).  Reports every problem; returns NULL if
 * any was an error. */
rule_program *rule_compile_object(struct json_object *v, const jsonpos_path *at,
				  field_table *ft, rule_object_report *report, void *ctx);

#endif
