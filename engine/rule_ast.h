/* rule_ast — the syntax tree of a rule, between parser and compiler.
 *
 * `and` and `or` nodes are n-ary: an unparenthesised chain `a and b and c`
 * is one node with three children, while a parenthesised group stays a
 * child of its own (`grouped`).  Printing follows Parseable's Display of a
 * composite rule, which nests chains to the right:
 *     a and b and c   ->  (a and (b and c))
 *     !(a = 1)        ->  !(a = 1)
 *     (a = "x")       ->  a = "x"
 * Strings are printed verbatim between double quotes, as Parseable does.
 *
 * Ownership: a node owns its children, field name and literals. */
#ifndef BPFALERT_RULE_AST_H
#define BPFALERT_RULE_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "rule_lex.h"

enum ast_kind { AST_AND, AST_OR, AST_NOT, AST_PRED, AST_ERROR };

enum lit_type { LIT_STR, LIT_NUM, LIT_BOOL };

struct ast_lit {
	uint8_t type;      /* enum lit_type */
	bool b;            /* LIT_BOOL */
	bool numeric;      /* num is valid (LIT_NUM, or a LIT_STR that is
			      wholly a number) */
	bool raw;          /* the source is the decoded text itself (column
			      rules): offsets map one to one */
	char *s;           /* LIT_STR: decoded text; LIT_NUM: source text */
	size_t len;
	value num;
	size_t off;        /* where the literal starts in the source */
	size_t body_off;   /* LIT_STR: first byte inside the quotes */
	size_t body_len;   /* LIT_STR: source bytes inside the quotes */
};

struct ast {
	uint8_t kind;      /* enum ast_kind */
	bool grouped;      /* written in parentheses */
	bool object_form;  /* from Parseable's object form: an and/or prints
			      as one group "(a and b and c)", a
			      case-insensitive contains as "=%" */
	size_t off;
	/* AST_AND, AST_OR: two or more; AST_NOT: one */
	struct ast **kids;
	size_t nkids, cap;
	/* AST_PRED */
	char *field;
	size_t field_len;
	size_t field_off;
	uint8_t op;        /* enum rule_op */
	struct ast_lit *lits;
	size_t nlits, litcap;
	int k;             /* constant index (or boolean), set by the compiler */
	int slot;          /* field slot, set by the compiler */
};

struct ast *ast_new(enum ast_kind kind, size_t off);
void ast_add_kid(struct ast *n, struct ast *kid);
void ast_free(struct ast **n);

/* Appends `lit` (copied; its strings now belong to the node). */
void ast_add_lit(struct ast *n, const struct ast_lit *lit);

/* A growable text buffer. */
struct rbuf {
	char *s;
	size_t n, cap;
};
void rbuf_add(struct rbuf *b, const char *s, size_t len);
void rbuf_adds(struct rbuf *b, const char *s);

/* Prints the tree in Parseable's reason format (see above). */
void ast_print(const struct ast *n, struct rbuf *out);

/* True if a bare name prints back as the same field (else backticks). */
bool ast_name_is_bare(const char *s, size_t len);

#endif
