#include "rule_parse.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct parser {
	const char *text;
	size_t len;
	rule_tokens toks;
	size_t pos;
	struct rule_diag *d;
	unsigned depth;
};

enum binop { BIN_NONE, BIN_AND, BIN_OR };

/* Lua's subexpr: an operator binds while its left priority exceeds the
 * limit; its right operand is parsed with the right priority.  Equal
 * priorities make the operators left-associative, and the chain becomes
 * one n-ary node. */
static const struct {
	unsigned left, right;
} priority[] = {
	[BIN_AND] = { 2, 2 },
	[BIN_OR] = { 1, 1 },
};

static struct token *peek(struct parser *p)
{
	return &p->toks.v[p->pos];
}

static void advance(struct parser *p)
{
	if (p->toks.v[p->pos].type != TK_EOF)
		p->pos++;
}

/* Reports an error at a token, once: a token already reported (by the
 * lexer or an earlier rule) stays silent, so one mistake is one error. */
#define perr(p, t, ...)                                                   \
	do {                                                              \
		if (!(t)->bad) {                                          \
			(t)->bad = true;                                  \
			rule_diag_add((p)->d, RULE_PART_TEXT, (t)->off,   \
				      __VA_ARGS__);                       \
		}                                                         \
	} while (0)

static void quote_tok(const struct parser *p, const struct token *t,
		      char *buf, size_t len)
{
	rule_quote_bytes(buf, len, p->text + t->off, t->len, 40);
}

static bool is_andor(const struct token *t)
{
	return t->type == TK_WORD && (t->kw == KW_AND || t->kw == KW_OR);
}

/* Skips to the next `and`, `or` or `)` at the current depth. */
static void sync(struct parser *p)
{
	int depth = 0;
	for (;;) {
		struct token *t = peek(p);
		if (t->type == TK_EOF)
			return;
		if (depth == 0 && (is_andor(t) || t->type == TK_RPAREN))
			return;
		if (t->type == TK_LPAREN)
			depth++;
		else if (t->type == TK_RPAREN)
			depth--;
		advance(p);
	}
}

static enum binop binop(struct parser *p)
{
	static const char *const kws[] = { "and", "or", NULL };
	struct token *t = peek(p);
	if (t->type != TK_WORD)
		return BIN_NONE;
	if (t->kw == KW_NONE) {
		const char *sug = rule_suggest(p->text + t->off, t->len, kws,
					       NULL);
		if (!sug)
			return BIN_NONE;
		char q[64];
		quote_tok(p, t, q, sizeof(q));
		perr(p, t, "unknown keyword '%s' (did you mean '%s'?)", q, sug);
		t->kw = sug[0] == 'a' ? KW_AND : KW_OR; /* and carry on */
	}
	return t->kw == KW_AND ? BIN_AND : t->kw == KW_OR ? BIN_OR : BIN_NONE;
}

static struct ast *subexpr(struct parser *p, unsigned limit);

/* ---- predicates ---- */

static bool parse_field(struct parser *p, struct ast *n)
{
	struct token *t = peek(p);
	bool ok = false;
	if (t->type == TK_WORD)
		ok = t->kw != KW_AND && t->kw != KW_OR && t->kw != KW_NOT;
	else if (t->type == TK_QNAME && t->bad)
		return false; /* unterminated or empty: reported */
	else if (t->type == TK_QNAME)
		ok = true;
	else if (t->type == TK_NUMBER) /* names may be all digits */
		ok = ast_name_is_bare(p->text + t->off, t->len);
	if (!ok) {
		perr(p, t, "expected a field name");
		return false;
	}
	if (t->type == TK_QNAME) {
		n->field = xstrndup(t->str, t->slen);
		n->field_len = t->slen;
	} else {
		n->field = xstrndup(p->text + t->off, t->len);
		n->field_len = t->len;
	}
	n->field_off = t->off;
	advance(p);
	return true;
}

static const char *const op_words[] = {
	"contains", "icontains", "startswith", "endswith", "matches",
	"glob",     "in",        "not in",     "exists",   NULL,
};

static const char *const op_word_aliases[] = {
	"notin",  "not in",   "regex",   "matches", "regexp", "matches",
	"match",  "matches",  "like",    "contains", "eq",    "=",
	"ne",     "!=",       "lt",      "<",        "le",    "<=",
	"gt",     ">",        "ge",      ">=",       "equals", "=",
	"exist",  "exists",   NULL,
};

static bool parse_operator(struct parser *p, struct ast *n)
{
	struct token *t = peek(p);
	char q[64], f[64];
	n->op = ROP_COUNT;
	if (t->type == TK_OP) {
		n->op = t->op;
	} else if (t->type == TK_WORD && t->kw == KW_IN) {
		n->op = ROP_IN;
	} else if (t->type == TK_WORD && t->kw == KW_EXISTS) {
		n->op = ROP_EXISTS;
	} else if (t->type == TK_WORD && t->kw == KW_OPWORD) {
		n->op = t->op;
	} else if (t->type == TK_WORD && t->kw == KW_NOT) {
		advance(p);
		struct token *t2 = peek(p);
		if (t2->type != TK_WORD || t2->kw != KW_IN) {
			perr(p, t2, "expected 'in' after 'not'");
			return false;
		}
		n->op = ROP_NOT_IN;
		t = t2;
	} else if (t->type == TK_WORD && !is_andor(t)) {
		quote_tok(p, t, q, sizeof(q));
		const char *sug = rule_suggest(p->text + t->off, t->len,
					       op_words, op_word_aliases);
		if (sug)
			perr(p, t, "unknown operator '%s' (did you mean '%s'?)",
			     q, sug);
		else
			perr(p, t, "unknown operator '%s'", q);
		return false;
	} else if (t->type != TK_BAD) {
		rule_quote_bytes(f, sizeof(f), n->field, n->field_len, 40);
		perr(p, t, "expected an operator after '%s'", f);
		return false;
	} else {
		return false; /* reported by the lexer */
	}
	advance(p);
	return true;
}

/* Takes a literal token if there is one. */
static bool take_lit(struct parser *p, struct ast_lit *l)
{
	struct token *t = peek(p);
	memset(l, 0, sizeof(*l));
	l->off = t->off;
	if (t->type == TK_STRING) {
		l->type = LIT_STR;
		l->s = t->str; /* steal */
		l->len = t->slen;
		t->str = NULL;
		l->body_off = t->off + 1;
		l->body_len = t->len >= 2 ? t->len - 2 : 0;
		l->numeric = rule_parse_number(l->s, l->len, &l->num);
	} else if (t->type == TK_NUMBER) {
		l->type = LIT_NUM;
		l->s = xstrndup(p->text + t->off, t->len);
		l->len = t->len;
		l->num = t->num;
		l->numeric = true;
	} else if (t->type == TK_WORD &&
		   (t->kw == KW_TRUE || t->kw == KW_FALSE)) {
		l->type = LIT_BOOL;
		l->b = t->kw == KW_TRUE;
	} else {
		return false;
	}
	advance(p);
	return true;
}

/* Checks a literal against its operator; string operators take a number
 * or boolean by its text. */
static bool check_lit(struct parser *p, struct ast *n, struct ast_lit *l,
		      const char *opq)
{
	switch (n->op) {
	case ROP_LT:
	case ROP_LE:
	case ROP_GT:
	case ROP_GE:
		if (!l->numeric) {
			rule_diag_add(p->d, RULE_PART_TEXT, l->off,
				      "expected a number after '%s'", opq);
			return false;
		}
		return true;
	case ROP_REGEX:
	case ROP_NREGEX:
	case ROP_GLOB:
		if (l->type != LIT_STR) {
			rule_diag_add(p->d, RULE_PART_TEXT, l->off,
				      "expected a string after '%s'", opq);
			return false;
		}
		return true;
	case ROP_CONTAINS:
	case ROP_NCONTAINS:
	case ROP_ICONTAINS:
	case ROP_STARTSWITH:
	case ROP_ENDSWITH:
		if (l->type == LIT_BOOL) {
			l->s = xstrdup(l->b ? "true" : "false");
			l->len = strlen(l->s);
		}
		l->type = LIT_STR; /* a number keeps its source text */
		l->body_off = l->off;
		l->body_len = l->len;
		return true;
	default:
		return true;
	}
}

static bool parse_value(struct parser *p, struct ast *n, struct token *opt)
{
	char opq[64];
	quote_tok(p, opt, opq, sizeof(opq));
	struct token *t = peek(p);
	struct ast_lit l;
	if (!take_lit(p, &l)) {
		perr(p, t, "expected a value after '%s'", opq);
		return false;
	}
	bool ok = check_lit(p, n, &l, opq);
	ast_add_lit(n, &l);
	return ok;
}

/* Skips to the `)` closing a list (consumed) or to the end. */
static void skip_list(struct parser *p)
{
	int depth = 0;
	for (;;) {
		struct token *t = peek(p);
		if (t->type == TK_EOF)
			return;
		advance(p);
		if (t->type == TK_LPAREN)
			depth++;
		else if (t->type == TK_RPAREN && depth-- == 0)
			return;
	}
}

static bool parse_list(struct parser *p, struct ast *n, struct token *opt)
{
	char opq[64];
	quote_tok(p, opt, opq, sizeof(opq));
	struct token *t = peek(p);
	if (t->type != TK_LPAREN) {
		perr(p, t, "expected '(' after '%s'", opq);
		sync(p);
		return false;
	}
	struct token *open = t;
	advance(p);
	if (peek(p)->type == TK_RPAREN) {
		perr(p, open, "empty list in 'in (...)'");
		advance(p);
		return false;
	}
	const char *after = "(";
	for (;;) {
		struct ast_lit l;
		t = peek(p);
		if (!take_lit(p, &l)) {
			perr(p, t, "expected a value after '%s'", after);
			skip_list(p);
			return false;
		}
		ast_add_lit(n, &l);
		t = peek(p);
		if (t->type == TK_RPAREN) {
			advance(p);
			return true;
		}
		if (t->type != TK_COMMA) {
			perr(p, t, "expected ',' or ')' in list");
			skip_list(p);
			return false;
		}
		advance(p);
		after = ",";
	}
}

static struct ast *predicate(struct parser *p)
{
	struct ast *n = ast_new(AST_PRED, peek(p)->off);
	if (!parse_field(p, n))
		goto fail;
	struct token *opt = peek(p);
	if (!parse_operator(p, n))
		goto fail;
	if (opt->type == TK_WORD && opt->kw == KW_NOT)
		opt++; /* quote `in` of `not in` */
	if (n->op == ROP_EXISTS)
		return n;
	if (n->op == ROP_IN || n->op == ROP_NOT_IN) {
		if (!parse_list(p, n, opt)) {
			n->kind = AST_ERROR;
			return n;
		}
		return n;
	}
	if (!parse_value(p, n, opt)) {
		n->kind = AST_ERROR;
		sync(p);
	}
	return n;
fail:
	n->kind = AST_ERROR;
	sync(p);
	return n;
}

/* ---- expressions ---- */

static bool enter(struct parser *p)
{
	if (p->depth < RULE_MAX_DEPTH) {
		p->depth++;
		return true;
	}
	perr(p, peek(p), "expression nested too deeply");
	/* Give up on the rest: every level would report its missing ')'. */
	p->pos = p->toks.n - 1;
	p->toks.v[p->pos].bad = true;
	return false;
}

static void close_paren(struct parser *p)
{
	bool reported = false;
	while (peek(p)->type != TK_RPAREN && peek(p)->type != TK_EOF) {
		if (!reported) {
			perr(p, peek(p), "expected ')' to close '('");
			reported = true;
		}
		sync(p);
		if (binop(p) != BIN_NONE) { /* errors further on still count */
			advance(p);
			struct ast *junk = subexpr(p, 0);
			ast_free(&junk);
		}
	}
	if (peek(p)->type == TK_RPAREN)
		advance(p);
	else if (!reported)
		perr(p, peek(p), "expected ')' to close '('");
}

/* "(" or ")" at the current depth (the caller has entered a level). */
static struct ast *group(struct parser *p)
{
	advance(p);
	struct ast *e = subexpr(p, 0);
	close_paren(p);
	e->grouped = true;
	return e;
}

static struct ast *unary(struct parser *p)
{
	struct token *t = peek(p);
	if (t->type == TK_BANG || (t->type == TK_WORD && t->kw == KW_NOT)) {
		if (!enter(p))
			return ast_new(AST_ERROR, t->off);
		advance(p);
		struct ast *n = ast_new(AST_NOT, t->off);
		/* `!(...)`, as rules are printed back, is one level, like `!x` */
		ast_add_kid(n, peek(p)->type == TK_LPAREN ? group(p) : unary(p));
		p->depth--;
		return n;
	}
	if (t->type == TK_LPAREN) {
		if (!enter(p))
			return ast_new(AST_ERROR, t->off);
		struct ast *e = group(p);
		p->depth--;
		return e;
	}
	return predicate(p);
}

static struct ast *join(enum binop op, struct ast *left, struct ast *right,
			size_t off)
{
	enum ast_kind kind = op == BIN_AND ? AST_AND : AST_OR;
	if (left->kind != kind || left->grouped) {
		struct ast *n = ast_new(kind, off);
		ast_add_kid(n, left);
		left = n;
	}
	ast_add_kid(left, right);
	return left;
}

static struct ast *subexpr(struct parser *p, unsigned limit)
{
	struct ast *left = unary(p);
	for (;;) {
		enum binop op = binop(p);
		if (op == BIN_NONE || priority[op].left <= limit)
			return left;
		size_t off = peek(p)->off;
		advance(p);
		struct ast *right = subexpr(p, priority[op].right);
		left = join(op, left, right, off);
	}
}

struct ast *rule_parse(const char *text, size_t len, struct rule_diag *d)
{
	struct parser p = { .text = text, .len = len, .d = d };
	rule_lex(text, len, &p.toks, d);
	struct ast *root;
	if (p.toks.n == 1) {
		rule_diag_add(d, RULE_PART_TEXT, 0, "empty rule");
		root = ast_new(AST_ERROR, 0);
		goto out;
	}
	root = subexpr(&p, 0);
	while (peek(&p)->type != TK_EOF) {
		struct token *t = peek(&p);
		if (t->type == TK_RPAREN) {
			perr(&p, t, "unexpected ')'");
			advance(&p);
		} else {
			perr(&p, t, "trailing input after expression");
			sync(&p);
		}
		if (binop(&p) != BIN_NONE) {
			advance(&p);
			struct ast *junk = subexpr(&p, 0);
			ast_free(&junk);
		}
	}
out:
	rule_tokens_free(&p.toks);
	return root;
}
