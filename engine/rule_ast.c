#include "rule_ast.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct ast *ast_new(enum ast_kind kind, size_t off)
{
	struct ast *n = xcalloc(1, sizeof(*n));
	n->kind = (uint8_t)kind;
	n->off = off;
	n->k = -1;
	n->slot = -1;
	return n;
}

void ast_add_kid(struct ast *n, struct ast *kid)
{
	n->kids = xgrow(n->kids, &n->cap, n->nkids + 1, sizeof(*n->kids));
	n->kids[n->nkids++] = kid;
}

void ast_add_lit(struct ast *n, const struct ast_lit *lit)
{
	n->lits = xgrow(n->lits, &n->litcap, n->nlits + 1, sizeof(*n->lits));
	n->lits[n->nlits++] = *lit;
}

/* Iterative over the and/or spine would not help: depth is bounded by the
 * parser's nesting limit, and chains are n-ary, not deep. */
void ast_free(struct ast **pn)
{
	struct ast *n = *pn;
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		ast_free(&n->kids[i]);
	free(n->kids);
	for (size_t i = 0; i < n->nlits; i++)
		free(n->lits[i].s);
	free(n->lits);
	free(n->field);
	free(n);
	*pn = NULL;
}

void rbuf_add(struct rbuf *b, const char *s, size_t len)
{
	b->s = xgrow(b->s, &b->cap, b->n + len + 1, 1);
	memcpy(b->s + b->n, s, len);
	b->n += len;
	b->s[b->n] = '\0';
}

void rbuf_adds(struct rbuf *b, const char *s)
{
	rbuf_add(b, s, strlen(s));
}

/* Bare when the lexer reads the name back as one word (or an all-digit
 * number) that is not a keyword: "1and" would split, "or" would not be a
 * field. */
bool ast_name_is_bare(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!rule_is_name_char((unsigned char)s[i]))
			return false;
	rule_errors errs = { 0 };
	struct rule_diag d = { .errs = &errs };
	rule_tokens toks = { 0 };
	rule_lex(s, len, &toks, &d);
	const struct token *t = &toks.v[0];
	bool bare = errs.n == 0 && toks.n == 2 && t->len == len &&
		    (t->type == TK_NUMBER ||
		     (t->type == TK_WORD && t->kw != KW_AND && t->kw != KW_OR &&
		      t->kw != KW_NOT));
	rule_tokens_free(&toks);
	rule_errors_clear(&errs);
	return bare;
}

static void print_lit(const struct ast_lit *l, struct rbuf *out)
{
	switch (l->type) {
	case LIT_STR:
		/* verbatim, as Parseable prints; but the text is a C string,
		 * so a NUL byte is written as its escape */
		rbuf_add(out, "\"", 1);
		for (size_t i = 0, j; i < l->len; i = j + 1) {
			const char *nul = memchr(l->s + i, '\0', l->len - i);
			j = nul ? (size_t)(nul - l->s) : l->len;
			rbuf_add(out, l->s + i, j - i);
			if (nul)
				rbuf_add(out, "\\u0000", 6);
		}
		rbuf_add(out, "\"", 1);
		break;
	case LIT_NUM:
		rbuf_add(out, l->s, l->len);
		break;
	default:
		rbuf_adds(out, l->b ? "true" : "false");
		break;
	}
}

static void print_pred(const struct ast *n, struct rbuf *out)
{
	if (ast_name_is_bare(n->field, n->field_len)) {
		rbuf_add(out, n->field, n->field_len);
	} else {
		rbuf_add(out, "`", 1);
		rbuf_add(out, n->field, n->field_len);
		rbuf_add(out, "`", 1);
	}
	rbuf_add(out, " ", 1);
	if (n->object_form && n->op == ROP_ICONTAINS)
		rbuf_adds(out, rule_op_canonical(ROP_CONTAINS));
	else
		rbuf_adds(out, rule_op_canonical(n->op));
	if (n->op == ROP_EXISTS)
		return;
	if (n->op == ROP_IN || n->op == ROP_NOT_IN) {
		rbuf_add(out, " (", 2);
		for (size_t i = 0; i < n->nlits; i++) {
			if (i)
				rbuf_add(out, ", ", 2);
			print_lit(&n->lits[i], out);
		}
		rbuf_add(out, ")", 1);
		return;
	}
	rbuf_add(out, " ", 1);
	if (n->nlits)
		print_lit(&n->lits[0], out);
}

void ast_print(const struct ast *n, struct rbuf *out)
{
	switch (n->kind) {
	case AST_AND:
	case AST_OR: {
		/* Parseable nests a chain to the right: (a and (b and c)),
		 * but prints an object form's list as one group */
		const char *sep = n->kind == AST_AND ? " and " : " or ";
		if (n->object_form) {
			rbuf_add(out, "(", 1);
			for (size_t i = 0; i < n->nkids; i++) {
				if (i)
					rbuf_adds(out, sep);
				ast_print(n->kids[i], out);
			}
			rbuf_add(out, ")", 1);
			break;
		}
		for (size_t i = 0; i + 1 < n->nkids; i++) {
			rbuf_add(out, "(", 1);
			ast_print(n->kids[i], out);
			rbuf_adds(out, sep);
		}
		ast_print(n->kids[n->nkids - 1], out);
		for (size_t i = 0; i + 1 < n->nkids; i++)
			rbuf_add(out, ")", 1);
		break;
	}
	case AST_NOT:
		rbuf_add(out, "!(", 2);
		ast_print(n->kids[0], out);
		rbuf_add(out, ")", 1);
		break;
	case AST_PRED:
		print_pred(n, out);
		break;
	default:
		rbuf_adds(out, "<error>");
		break;
	}
}
