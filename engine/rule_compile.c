#include "rule_compile.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const char *const opcode_names[] = {
#define X(name, operands) #name,
	RULE_OPCODES(X)
#undef X
};

const char *rule_opcode_name(unsigned op)
{
	return op < OP_COUNT ? opcode_names[op] : "?";
}

/* ---- pass 1: constants ---- */

struct cctx {
	rule_program *p;
	const char *src;
	enum rule_error_part part;
	struct rule_diag *d;
	bool too_many;
};

/* Where in the rule (or column value) byte `off` of a literal's decoded
 * text was written. */
static size_t lit_offset(const struct cctx *c, const struct ast_lit *l,
			 size_t off)
{
	if (l->raw || !c->src)
		return off;
	return l->body_off +
	       rule_lex_source_offset(c->src + l->body_off, l->body_len, off);
}

static int const_of_lit(struct cctx *c, const struct ast_lit *l)
{
	if (l->type == LIT_STR)
		return kpool_str(&c->p->pool, l->s, l->len);
	return kpool_num(&c->p->pool, &l->num, l->s, l->len);
}

static int const_set(struct cctx *c, const struct ast *n)
{
	struct kset_member *m = xcalloc(n->nlits, sizeof(*m));
	for (size_t i = 0; i < n->nlits; i++) {
		const struct ast_lit *l = &n->lits[i];
		m[i].type = l->type == LIT_STR ? KSET_STR
			    : l->type == LIT_NUM ? KSET_NUM : KSET_BOOL;
		m[i].s = l->s;
		m[i].len = l->len;
		m[i].num = l->num;
		m[i].b = l->b;
	}
	int k = kpool_set(&c->p->pool, m, n->nlits);
	free(m);
	return k;
}

static int const_pattern(struct cctx *c, const struct ast *n)
{
	const struct ast_lit *l = &n->lits[0];
	char err[320];
	size_t off = 0;
	int k;
	if (n->op == ROP_GLOB)
		k = kpool_glob(&c->p->pool, l->s, l->len, err, sizeof(err),
			       &off);
	else
		k = kpool_regex(&c->p->pool, l->s, l->len,
				n->op == ROP_REGEX_CI, err, sizeof(err), &off);
	if (k < 0)
		rule_diag_add(c->d, c->part, lit_offset(c, l, off), "%s", err);
	return k;
}

static void constants(struct cctx *c, struct ast *n)
{
	if (n->kind != AST_PRED) {
		for (size_t i = 0; i < n->nkids; i++)
			constants(c, n->kids[i]);
		return;
	}
	const struct ast_lit *l = n->nlits ? &n->lits[0] : NULL;
	switch (n->op) {
	case ROP_EXISTS:
		n->k = 0;
		break;
	case ROP_IN:
	case ROP_NOT_IN:
		n->k = const_set(c, n);
		break;
	case ROP_REGEX:
	case ROP_NREGEX:
	case ROP_REGEX_CI:
	case ROP_GLOB:
		n->k = const_pattern(c, n);
		break;
	case ROP_LT:
	case ROP_LE:
	case ROP_GT:
	case ROP_GE:
		n->k = kpool_num(&c->p->pool, &l->num, l->s, l->len);
		break;
	default:
		n->k = l->type == LIT_BOOL ? l->b : const_of_lit(c, l);
		break;
	}
	if (c->p->pool.n > (size_t)RULE_MAX_K + 1 && !c->too_many) {
		c->too_many = true;
		rule_diag_add(c->d, c->part, n->off,
			      "rule too large: more than %u constants",
			      RULE_MAX_K + 1);
	}
}

/* ---- pass 2: code ---- */

#define NO_JUMP UINT32_MAX

struct cg {
	rule_program *p;
	field_table *ft;
};

static uint32_t here(const struct cg *g)
{
	return (uint32_t)g->p->ncode;
}

static uint32_t emit(struct cg *g, enum rule_opcode op, unsigned flags,
		     uint32_t k, uint32_t b)
{
	rule_program *p = g->p;
	assert(op < OP_COUNT);
	assert(flags <= (RULE_F_NONE | RULE_F_NOT));
	assert(k <= RULE_MAX_K);
	assert(p->ncode < RULE_MAX_CODE);
	p->code = xgrow(p->code, &p->capcode, p->ncode + 1, sizeof(*p->code));
	p->code[p->ncode] = (struct rule_insn){ (uint8_t)op, (uint8_t)flags,
						(uint16_t)k, b };
	return (uint32_t)p->ncode++;
}

/* A pending jump holds the next pending jump of its list in b, as Lua's
 * jump lists do; patching walks the chain. */
static uint32_t emit_jump(struct cg *g, enum rule_opcode op, uint32_t list)
{
	assert(op == OP_JF || op == OP_JT);
	return emit(g, op, 0, 0, list);
}

static void patch(struct cg *g, uint32_t list, uint32_t target)
{
	while (list != NO_JUMP) {
		struct rule_insn *j = &g->p->code[list];
		assert(target > list); /* forward only: evaluation is linear */
		uint32_t next = j->b;
		j->b = target;
		list = next;
	}
}

static enum rule_opcode pred_opcode(const struct ast *n, unsigned *flags)
{
	const struct ast_lit *l = n->nlits ? &n->lits[0] : NULL;
	switch (n->op) {
	case ROP_EXISTS:
		return OP_EXISTS;
	case ROP_NE:
		*flags |= RULE_F_NONE;
		/* fall through */
	case ROP_EQ:
		return l->type == LIT_STR ? OP_EQ
		       : l->type == LIT_NUM ? OP_EQ_NUM : OP_EQ_BOOL;
	case ROP_NE_CI:
		*flags |= RULE_F_NONE;
		/* fall through */
	case ROP_EQ_CI:
		return l->type == LIT_STR ? OP_EQ_CI : OP_EQ_NUM;
	case ROP_LT:
		return OP_LT;
	case ROP_LE:
		return OP_LE;
	case ROP_GT:
		return OP_GT;
	case ROP_GE:
		return OP_GE;
	case ROP_NCONTAINS:
		*flags |= RULE_F_NONE;
		/* fall through */
	case ROP_CONTAINS:
		return OP_CONTAINS;
	case ROP_NCONTAINS_CI:
		*flags |= RULE_F_NONE;
		/* fall through */
	case ROP_ICONTAINS:
		return OP_ICONTAINS;
	case ROP_STARTSWITH:
		return OP_PREFIX;
	case ROP_ENDSWITH:
		return OP_SUFFIX;
	case ROP_NREGEX:
		*flags |= RULE_F_NONE;
		/* fall through */
	case ROP_REGEX:
	case ROP_REGEX_CI:
		return OP_REGEX;
	case ROP_GLOB:
		return OP_GLOB;
	case ROP_NOT_IN:
		*flags |= RULE_F_NONE;
		/* fall through */
	default: /* ROP_IN */
		return OP_IN;
	}
}

/* `neg`: a `not` above this node, pushed down by De Morgan. */
static void gen(struct cg *g, struct ast *n, bool neg)
{
	switch (n->kind) {
	case AST_AND:
	case AST_OR: {
		bool conj = (n->kind == AST_AND) != neg;
		uint32_t list = NO_JUMP;
		for (size_t i = 0; i + 1 < n->nkids; i++) {
			gen(g, n->kids[i], neg);
			list = emit_jump(g, conj ? OP_JF : OP_JT, list);
		}
		gen(g, n->kids[n->nkids - 1], neg);
		patch(g, list, here(g));
		break;
	}
	case AST_NOT:
		gen(g, n->kids[0], !neg);
		break;
	default: { /* AST_PRED */
		unsigned flags = neg ? RULE_F_NOT : 0;
		enum rule_opcode op = pred_opcode(n, &flags);
		n->slot = field_table_intern(g->ft, n->field, n->field_len);
		emit(g, op, flags, (uint32_t)n->k, (uint32_t)n->slot);
		break;
	}
	}
}

/* Jump threading: a jump landing on a jump of the same sense can go where
 * that one goes (acc is unchanged); landing on the opposite sense, it can
 * skip it (that jump will not be taken). */
static void thread_jumps(rule_program *p)
{
	for (size_t pc = 0; pc < p->ncode; pc++) {
		struct rule_insn *j = &p->code[pc];
		if (j->op != OP_JF && j->op != OP_JT)
			continue;
		uint32_t t = j->b;
		for (;;) {
			const struct rule_insn *at = &p->code[t];
			if (at->op == j->op)
				t = at->b;
			else if (at->op == OP_JF || at->op == OP_JT)
				t = t + 1;
			else
				break;
		}
		j->b = t;
	}
}

/* ---- anchors and fields ---- */

struct slots {
	int *v;
	size_t n, cap;
};

static void slots_add(struct slots *s, int slot)
{
	s->v = xgrow(s->v, &s->cap, s->n + 1, sizeof(int));
	s->v[s->n++] = slot;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Sorts and drops duplicates: O(n log n) however many fields a rule has. */
static void slots_unique(struct slots *s)
{
	if (s->n < 2)
		return;
	qsort(s->v, s->n, sizeof(int), cmp_int);
	size_t o = 1;
	for (size_t i = 1; i < s->n; i++)
		if (s->v[i] != s->v[o - 1])
			s->v[o++] = s->v[i];
	s->n = o;
}

/* Fields of which at least one must be present for `n` (negated when
 * `neg`) to be true; false if there is no such set.  A comparison is false
 * on an absent field, so a positive predicate needs its field; a negated
 * one does not. */
static bool anchors(const struct ast *n, bool neg, struct slots *out)
{
	switch (n->kind) {
	case AST_PRED:
		if (neg)
			return false;
		slots_add(out, n->slot);
		return true;
	case AST_NOT:
		return anchors(n->kids[0], !neg, out);
	default:
		break;
	}
	bool conj = (n->kind == AST_AND) != neg;
	if (!conj) { /* any side may be the true one: all are needed */
		for (size_t i = 0; i < n->nkids; i++)
			if (!anchors(n->kids[i], neg, out))
				return false;
		return true;
	}
	struct slots best = { 0 };
	bool found = false;
	for (size_t i = 0; i < n->nkids; i++) {
		struct slots s = { 0 };
		bool constrained = anchors(n->kids[i], neg, &s);
		slots_unique(&s);
		if (constrained && (!found || s.n < best.n)) {
			free(best.v);
			best = s;
			found = true;
		} else {
			free(s.v);
		}
	}
	for (size_t i = 0; i < best.n; i++)
		slots_add(out, best.v[i]);
	free(best.v);
	return found;
}

static void all_fields(const struct ast *n, struct slots *out)
{
	if (n->kind == AST_PRED)
		slots_add(out, n->slot);
	for (size_t i = 0; i < n->nkids; i++)
		all_fields(n->kids[i], out);
}

static size_t count_preds(const struct ast *n)
{
	size_t c = n->kind == AST_PRED;
	for (size_t i = 0; i < n->nkids; i++)
		c += count_preds(n->kids[i]);
	return c;
}

/* ---- the whole ---- */

rule_program *rule_build(struct ast *tree, const char *src,
			 enum rule_error_part part, field_table *ft,
			 struct rule_diag *d)
{
	rule_program *p = xcalloc(1, sizeof(*p));
	struct cctx c = { .p = p, .src = src, .part = part, .d = d };
	constants(&c, tree);
	/* each predicate is at most two instructions (test, jump) */
	if (!d->count && 2 * count_preds(tree) + 1 >= RULE_MAX_CODE)
		rule_diag_add(d, part, 0, "rule too large");
	if (d->count) {
		kpool_free(&p->pool);
		free(p);
		return NULL;
	}
	struct cg g = { .p = p, .ft = ft };
	gen(&g, tree, false);
	emit(&g, OP_RET, 0, 0, 0);
	thread_jumps(p);

	struct rbuf text = { 0 };
	ast_print(tree, &text);
	p->text = text.s ? text.s : xstrdup("");

	struct slots s = { 0 };
	if (anchors(tree, false, &s) && s.n) {
		slots_unique(&s);
		p->anchors = s.v;
		p->nanchors = s.n;
	} else {
		free(s.v);
	}
	struct slots f = { 0 };
	all_fields(tree, &f);
	slots_unique(&f);
	p->fields = f.v;
	p->nfields = f.n;
	return p;
}
