/* rule_parse — tokens to tree, with error recovery (DESIGN §4.1, §4.3).
 *
 * Precedence comes from a small priority table and one loop (Lua's
 * subexpr): not > and > or.  After an error inside a predicate the parser
 * skips to the next `and`, `or` or `)` at the same depth and carries on,
 * so one pass reports every error of the rule. */
#ifndef BPFALERT_RULE_PARSE_H
#define BPFALERT_RULE_PARSE_H

#include <stddef.h>

#include "rule_ast.h"
#include "rule_lex.h"

/* Nesting of parentheses and negations allowed in one rule; deeper input
 * is an error rather than a deep recursion. */
#define RULE_MAX_DEPTH 128

/* Parses text[0..len).  Returns the tree (never NULL); when d->count grew,
 * the tree may hold AST_ERROR nodes and must not be compiled. */
struct ast *rule_parse(const char *text, size_t len, struct rule_diag *d);

#endif
