/* rule_vm — evaluation of a compiled rule (DESIGN §4.2).
 *
 * One switch in one loop.  Jumps only go forward, so a program runs in
 * time linear in its length (regex matching aside, which is bounded by
 * PCRE2's limits).  Nothing is allocated: number-to-text conversions use a
 * stack buffer, regexes the pool's match data. */
#include <string.h>

#include "rule.h"
#include "rule_compile.h"

/* A value's text without copying when it is a string. */
static inline const char *vtext(const value *v, char *buf, uint32_t *n)
{
	if (v->type == VALUE_STRING && v->str) {
		*n = v->len;
		return v->str;
	}
	return rule_value_text(v, buf, n);
}

static inline int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool eq_str(const value *v, const struct kstr *k)
{
	if (v->type == VALUE_STRING)
		return v->len == k->len &&
		       (k->len == 0 || !memcmp(v->str, k->s, k->len));
	if (v->type == VALUE_INT) /* "%lld" of v->i equals k only if k is */
		return k->canon_int && v->i == k->ival;
	char buf[RULE_TEXTBUF];
	uint32_t n;
	const char *t = rule_value_text(v, buf, &n);
	return n == k->len && !memcmp(t, k->s, n);
}

static bool eq_ci(const value *v, const struct kstr *k)
{
	char buf[RULE_TEXTBUF];
	uint32_t n;
	const char *t = vtext(v, buf, &n);
	if (n != k->len)
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (ascii_lower((unsigned char)t[i]) != (unsigned char)k->lower[i])
			return false;
	return true;
}

static bool contains(const value *v, const struct kstr *k)
{
	char buf[RULE_TEXTBUF];
	uint32_t n;
	const char *t = vtext(v, buf, &n);
	return kstr_find(k, t, n);
}

static bool icontains(const value *v, const struct kstr *k)
{
	char buf[RULE_TEXTBUF];
	uint32_t n;
	const char *t = vtext(v, buf, &n);
	return kstr_find_ci(k, t, n);
}

static bool prefix(const value *v, const struct kstr *k)
{
	char buf[RULE_TEXTBUF];
	uint32_t n;
	const char *t = vtext(v, buf, &n);
	return n >= k->len && (k->len == 0 || !memcmp(t, k->s, k->len));
}

static bool suffix(const value *v, const struct kstr *k)
{
	char buf[RULE_TEXTBUF];
	uint32_t n;
	const char *t = vtext(v, buf, &n);
	return n >= k->len &&
	       (k->len == 0 || !memcmp(t + n - k->len, k->s, k->len));
}

static bool eq_bool(const value *v, bool b)
{
	if (v->type == VALUE_BOOL)
		return (v->i != 0) == b;
	if (v->type == VALUE_STRING)
		return b ? v->len == 4 && !memcmp(v->str, "true", 4)
			 : v->len == 5 && !memcmp(v->str, "false", 5);
	return false;
}

static int regex(const rule_program *p, const value *v,
		 const struct kregex *re)
{
	char buf[RULE_TEXTBUF];
	uint32_t n;
	const char *t = vtext(v, buf, &n);
	return kregex_match(&p->pool, re, t, n);
}

/* Some value matches: 1; none does: 0; none does and the matcher gave up
 * on one: KREGEX_ERROR, which makes the comparison false whatever its
 * negation, so a limit never turns `!~` into a match. */
static int regex_any(const rule_program *p, const value *vals,
		     const value *first, const struct kregex *re)
{
	int out = KREGEX_NO_MATCH;
	for (const value *v = first;; v = &vals[v->next]) {
		int r = regex(p, v, re);
		if (r == KREGEX_MATCH)
			return r;
		if (r == KREGEX_ERROR)
			out = r;
		if (v->next < 0)
			return out;
	}
}

static bool glob(const value *v, struct kglob *g)
{
	char buf[RULE_TEXTBUF];
	uint32_t n;
	const char *t = vtext(v, buf, &n);
	return kglob_match(g, t, n);
}

/* Numeric comparison; a value that is no number is unordered (2) and
 * never satisfies one. */
static inline int numcmp(const value *v, const struct knum *k)
{
	return v->is_number ? rule_num_cmp(v, k) : 2;
}

static bool num_le(const value *v, const struct knum *k)
{
	int c = numcmp(v, k);
	return c == -1 || c == 0;
}

static bool num_ge(const value *v, const struct knum *k)
{
	int c = numcmp(v, k);
	return c == 0 || c == 1;
}

/* any = some value of the field satisfies `cond` (v is the value) */
#define ANY(cond)                                                         \
	for (const value *v = first;; v = &vals[v->next]) {               \
		if (cond) {                                               \
			any = true;                                       \
			break;                                            \
		}                                                         \
		if (v->next < 0)                                          \
			break;                                            \
	}

bool rule_eval(rule_program *p, const event *ev)
{
	const struct rule_insn *code = p->code;
	const struct kconst *K = p->pool.v;
	const value *vals = ev->values;
	bool acc = false;
	for (size_t pc = 0;; pc++) {
		const struct rule_insn *ip = &code[pc];
		switch (ip->op) {
		case OP_JF:
			if (!acc)
				pc = ip->b - 1;
			continue;
		case OP_JT:
			if (acc)
				pc = ip->b - 1;
			continue;
		case OP_RET:
			return acc;
		default:
			break;
		}
		/* a predicate: false on an absent field, whatever the test */
		if (!event_has(ev, (int)ip->b)) {
			acc = ip->flags & RULE_F_NOT;
			continue;
		}
		const value *first = &vals[ev->slot_first[ip->b]];
		bool any = false;
		switch (ip->op) {
		case OP_EXISTS:
			any = true;
			break;
		case OP_EQ:
			ANY(eq_str(v, &K[ip->k].u.str));
			break;
		case OP_EQ_CI:
			ANY(eq_ci(v, &K[ip->k].u.str));
			break;
		case OP_EQ_NUM:
			ANY(numcmp(v, &K[ip->k].u.num) == 0);
			break;
		case OP_EQ_BOOL:
			ANY(eq_bool(v, ip->k != 0));
			break;
		case OP_LT:
			ANY(numcmp(v, &K[ip->k].u.num) == -1);
			break;
		case OP_LE:
			ANY(num_le(v, &K[ip->k].u.num));
			break;
		case OP_GT:
			ANY(numcmp(v, &K[ip->k].u.num) == 1);
			break;
		case OP_GE:
			ANY(num_ge(v, &K[ip->k].u.num));
			break;
		case OP_CONTAINS:
			ANY(contains(v, &K[ip->k].u.str));
			break;
		case OP_ICONTAINS:
			ANY(icontains(v, &K[ip->k].u.str));
			break;
		case OP_PREFIX:
			ANY(prefix(v, &K[ip->k].u.str));
			break;
		case OP_SUFFIX:
			ANY(suffix(v, &K[ip->k].u.str));
			break;
		case OP_REGEX: {
			int r = regex_any(p, vals, first, K[ip->k].u.re);
			if (r == KREGEX_ERROR) {
				p->regex_errors++;
				acc = false;
				continue;
			}
			any = r == KREGEX_MATCH;
			break;
		}
		case OP_GLOB:
			ANY(glob(v, K[ip->k].u.glob));
			break;
		case OP_IN:
			ANY(kset_has(K[ip->k].u.set, v));
			break;
		default:
			return false; /* unreachable: the compiler emits no other */
		}
		if (ip->flags & RULE_F_NONE)
			any = !any;
		acc = any != ((ip->flags & RULE_F_NOT) != 0);
	}
}
