#define PCRE2_CODE_UNIT_WIDTH 8
#include "rule_const.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "fields.h"
#include "rule_lex.h"
#include "utf8.h"
#include "xalloc.h"

static int add_const(const_pool *p, enum kconst_type type)
{
	p->v = xgrow(p->v, &p->cap, p->n + 1, sizeof(*p->v));
	memset(&p->v[p->n], 0, sizeof(p->v[p->n]));
	p->v[p->n].type = (uint8_t)type;
	return (int)p->n++;
}

/* ---- value text and numbers ---- */

static const char *fmt_int(int64_t i, char *buf, uint32_t *len)
{
	char *end = buf + RULE_TEXTBUF - 1, *q = end;
	uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
	*q = '\0';
	do {
		*--q = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (i < 0)
		*--q = '-';
	*len = (uint32_t)(end - q);
	return q;
}

const char *rule_value_text(const value *v, char *buf, uint32_t *len)
{
	switch (v->type) {
	case VALUE_STRING:
		*len = v->str ? v->len : 0;
		return v->str ? v->str : "";
	case VALUE_INT:
		return fmt_int(v->i, buf, len);
	case VALUE_DOUBLE: {
		/* the shortest text that reads back as the same double */
		int n = 0;
		for (int prec = 15; prec <= 17; prec++) {
			n = snprintf(buf, RULE_TEXTBUF, "%.*g", prec, v->d);
			if (strtod(buf, NULL) == v->d)
				break;
		}
		*len = (uint32_t)n;
		return buf;
	}
	case VALUE_BOOL:
		*len = v->i ? 4 : 5;
		return v->i ? "true" : "false";
	default:
		*len = 0;
		return "";
	}
}

/* int64 against double, exactly: no rounding of the integer. */
static int cmp_int_double(int64_t i, double d)
{
	if (isnan(d))
		return 2;
	if (d >= 9223372036854775808.0)
		return -1;
	if (d < -9223372036854775808.0)
		return 1;
	double t = trunc(d);
	int64_t ti = (int64_t)t;
	if (i != ti)
		return i < ti ? -1 : 1;
	double frac = d - t;
	return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

int rule_num_cmp(const value *v, const struct knum *k)
{
	if (v->is_integer && k->is_integer)
		return (v->i > k->i) - (v->i < k->i);
	if (v->is_integer)
		return cmp_int_double(v->i, k->d);
	if (k->is_integer) {
		int c = cmp_int_double(k->i, v->d);
		return c == 2 ? 2 : -c;
	}
	if (isnan(v->d) || isnan(k->d))
		return 2;
	return (v->d > k->d) - (v->d < k->d);
}

/* ---- strings and numbers ---- */

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool is_letter(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* How common a byte is in event text (paths, arguments, names): higher is
 * more common.  Rough, but enough to make memchr stop rarely. */
static int byte_rank(unsigned char c)
{
	static const char common[] = "etaoinsrhldcumfpgwybvkxjqz";
	if (c == ' ')
		return 255;
	if (c == '/')
		return 220;
	if (c == '-' || c == '.' || c == '_')
		return 180;
	if (c >= 'a' && c <= 'z')
		return 200 - (int)(strchr(common, c) - common) * 3;
	if (c >= '0' && c <= '9')
		return 130;
	if (c >= 'A' && c <= 'Z')
		return 100;
	if (c >= 0x80)
		return 60;
	if (c < 0x20)
		return 5;
	return 40; /* other punctuation */
}

static uint32_t rarest(const char *s, size_t len, bool ci)
{
	uint32_t best = 0;
	int best_rank = 1000;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int r = byte_rank(c) + (ci && is_letter(c) ? 60 : 0);
		if (r < best_rank) {
			best_rank = r;
			best = (uint32_t)i;
		}
	}
	return best;
}

bool kstr_find(const struct kstr *k, const char *h, size_t n)
{
	size_t m = k->len;
	if (m == 0)
		return true;
	if (n < m)
		return false;
	/* the rare byte of a match starting at i sits at i + rare */
	const char *p = h + k->rare, *end = h + (n - m) + k->rare + 1;
	char c = k->s[k->rare];
	while (p < end && (p = memchr(p, c, (size_t)(end - p)))) {
		if (!memcmp(p - k->rare, k->s, m))
			return true;
		p++;
	}
	return false;
}

static bool eq_ci_at(const char *h, const char *lower, size_t m)
{
	for (size_t j = 0; j < m; j++)
		if (ascii_lower((unsigned char)h[j]) != (unsigned char)lower[j])
			return false;
	return true;
}

bool kstr_find_ci(const struct kstr *k, const char *h, size_t n)
{
	size_t m = k->len;
	if (m == 0)
		return true;
	if (n < m)
		return false;
	const char *p = h + k->rare_ci, *end = h + (n - m) + k->rare_ci + 1;
	unsigned char c = (unsigned char)k->lower[k->rare_ci];
	if (!is_letter(c)) {
		while (p < end && (p = memchr(p, c, (size_t)(end - p)))) {
			if (eq_ci_at(p - k->rare_ci, k->lower, m))
				return true;
			p++;
		}
		return false;
	}
	/* a letter: the next of either case, two memchr scans in step */
	const char *lo = memchr(p, c, (size_t)(end - p));
	const char *up = memchr(p, c - 32, (size_t)(end - p));
	while (lo || up) {
		const char *q = !up || (lo && lo < up) ? lo : up;
		if (eq_ci_at(q - k->rare_ci, k->lower, m))
			return true;
		if (q == lo)
			lo = q + 1 < end ? memchr(q + 1, c, (size_t)(end - q - 1)) : NULL;
		else
			up = q + 1 < end ? memchr(q + 1, c - 32, (size_t)(end - q - 1)) : NULL;
	}
	return false;
}

int kpool_str(const_pool *p, const char *s, size_t len)
{
	int k = add_const(p, KC_STR);
	struct kstr *ks = &p->v[k].u.str;
	ks->s = xmalloc(len + 1); /* not xstrndup: s may hold NULs */
	memcpy(ks->s, s, len);
	ks->s[len] = '\0';
	ks->len = (uint32_t)len;
	ks->lower = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		ks->lower[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
	}
	ks->lower[len] = '\0';
	ks->rare = rarest(ks->s, len, false);
	ks->rare_ci = rarest(ks->lower, len, true);
	value v;
	char buf[RULE_TEXTBUF];
	uint32_t n;
	if (rule_parse_number(s, len, &v) && v.is_integer) {
		const char *t = fmt_int(v.i, buf, &n);
		if (n == len && !memcmp(t, s, len)) {
			ks->canon_int = true;
			ks->ival = v.i;
		}
	}
	return k;
}

int kpool_num(const_pool *p, const value *num, const char *text, size_t len)
{
	int k = add_const(p, KC_NUM);
	struct knum *kn = &p->v[k].u.num;
	kn->i = num->i;
	kn->d = num->d;
	kn->is_integer = num->is_integer;
	kn->text = xstrndup(text, len);
	return k;
}

/* ---- sets ---- */

struct sent {
	uint64_t h;
	const char *s;
	uint32_t len;
	bool used;
};

struct nent {
	uint64_t bits; /* int64 value, or the double's bits */
	bool used;
};

struct kset {
	struct sent *strs;
	size_t smask, nstr;
	struct nent *ints, *dbls;
	size_t imask, nint, dmask, ndbl;
	bool has_true, has_false;
	struct kset_member *members; /* source order, for the disassembler */
	size_t nmembers;
};

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static size_t table_size(size_t n)
{
	size_t sz = 4;
	while (sz < n * 2)
		sz *= 2;
	return sz;
}

static bool str_find(const struct kset *s, const char *t, uint32_t len,
		     uint64_t h, size_t *slot)
{
	for (size_t i = h & s->smask;; i = (i + 1) & s->smask) {
		const struct sent *e = &s->strs[i];
		if (!e->used) {
			*slot = i;
			return false;
		}
		if (e->h == h && e->len == len && !memcmp(e->s, t, len))
			return true;
	}
}

static bool num_find(const struct nent *tab, size_t mask, uint64_t bits,
		     size_t *slot)
{
	for (size_t i = mix64(bits) & mask;; i = (i + 1) & mask) {
		if (!tab[i].used) {
			*slot = i;
			return false;
		}
		if (tab[i].bits == bits)
			return true;
	}
}

static uint64_t dbl_bits(double d)
{
	if (d == 0)
		d = 0; /* -0 and 0 are one number */
	uint64_t b;
	memcpy(&b, &d, sizeof(b));
	return b;
}

static void num_insert(struct nent *tab, size_t mask, size_t *n,
		       uint64_t bits)
{
	size_t slot;
	if (!num_find(tab, mask, bits, &slot)) {
		tab[slot].used = true;
		tab[slot].bits = bits;
		(*n)++;
	}
}

int kpool_set(const_pool *p, const struct kset_member *m, size_t n)
{
	int k = add_const(p, KC_SET);
	struct kset *s = xcalloc(1, sizeof(*s));
	p->v[k].u.set = s;
	s->members = xcalloc(n ? n : 1, sizeof(*s->members));
	s->nmembers = n;
	s->smask = table_size(n) - 1;
	s->imask = s->dmask = s->smask;
	s->strs = xcalloc(s->smask + 1, sizeof(*s->strs));
	s->ints = xcalloc(s->imask + 1, sizeof(*s->ints));
	s->dbls = xcalloc(s->dmask + 1, sizeof(*s->dbls));
	for (size_t i = 0; i < n; i++) {
		struct kset_member *c = &s->members[i];
		*c = m[i];
		if (m[i].s) {
			char *dup = xmalloc(m[i].len + 1);
			memcpy(dup, m[i].s, m[i].len);
			dup[m[i].len] = '\0';
			c->s = dup;
		}
		if (c->type == KSET_STR) {
			uint64_t h = fields_hash(c->s, c->len);
			size_t slot;
			if (!str_find(s, c->s, (uint32_t)c->len, h, &slot)) {
				s->strs[slot] = (struct sent){ h, c->s,
							      (uint32_t)c->len,
							      true };
				s->nstr++;
			}
		} else if (c->type == KSET_NUM) {
			if (c->num.is_integer)
				num_insert(s->ints, s->imask, &s->nint,
					   (uint64_t)c->num.i);
			else
				num_insert(s->dbls, s->dmask, &s->ndbl,
					   dbl_bits(c->num.d));
		} else if (c->b) {
			s->has_true = true;
		} else {
			s->has_false = true;
		}
	}
	return k;
}

static bool set_has_number(const struct kset *s, const value *v)
{
	size_t slot;
	if (v->is_integer)
		return s->nint && num_find(s->ints, s->imask, (uint64_t)v->i,
					   &slot);
	if (s->ndbl && num_find(s->dbls, s->dmask, dbl_bits(v->d), &slot))
		return true;
	/* an integral double not marked integer by its producer */
	if (s->nint && v->d == trunc(v->d) && fabs(v->d) < 9.2e18)
		return num_find(s->ints, s->imask, (uint64_t)(int64_t)v->d,
				&slot);
	return false;
}

bool kset_has(const struct kset *s, const value *v)
{
	char buf[RULE_TEXTBUF];
	uint32_t len;
	const char *t = NULL;
	if (s->nstr || s->has_true || s->has_false)
		t = rule_value_text(v, buf, &len);
	if (s->nstr) {
		size_t slot;
		if (str_find(s, t, len, fields_hash(t, len), &slot))
			return true;
	}
	if (v->is_number && (s->nint || s->ndbl) && set_has_number(s, v))
		return true;
	if (s->has_true || s->has_false) {
		if (v->type == VALUE_BOOL)
			return v->i ? s->has_true : s->has_false;
		if (v->type == VALUE_STRING) {
			if (len == 4 && !memcmp(t, "true", 4))
				return s->has_true;
			if (len == 5 && !memcmp(t, "false", 5))
				return s->has_false;
		}
	}
	return false;
}

static void kset_free(struct kset *s)
{
	for (size_t i = 0; i < s->nmembers; i++)
		free((char *)s->members[i].s);
	free(s->members);
	free(s->strs);
	free(s->ints);
	free(s->dbls);
	free(s);
}

/* ---- regexes ---- */

struct kregex {
	pcre2_code *code;
	pcre2_code *dfa;       /* the same pattern for pcre2_dfa_match, made on first need */
	char *pat;
	size_t len;
	bool caseless;
	bool jit;
	bool no_dfa;           /* the DFA matcher cannot take this pattern */
};

static bool jit_wanted = false;

void rule_const_set_jit(bool enabled)
{
	jit_wanted = enabled;
}

static void make_match_objects(const_pool *p)
{
	if (p->md)
		return;
	p->md = pcre2_match_data_create(1, NULL);
	pcre2_match_context *mc = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(mc, RULE_REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(mc, RULE_REGEX_DEPTH_LIMIT);
	pcre2_set_heap_limit(mc, RULE_REGEX_HEAP_LIMIT_KB);
	p->jit_stack = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
	if (p->jit_stack)
		pcre2_jit_stack_assign(mc, NULL, p->jit_stack);
	p->mctx = mc;
	if (!p->md || !p->mctx) {
		fprintf(stderr, "bpfalert: out of memory (pcre2)\n");
		abort();
	}
}

int kpool_regex(const_pool *p, const char *pat, size_t len, bool caseless,
		char *err, size_t errlen, size_t *erroff)
{
	uint32_t opts = PCRE2_UTF | (caseless ? PCRE2_CASELESS : 0);
#ifdef PCRE2_MATCH_INVALID_UTF
	/* event text is not guaranteed to be valid UTF-8 */
	opts |= PCRE2_MATCH_INVALID_UTF;
#endif
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)pat, len, opts, &ec, &eo,
					 NULL);
	if (!code) {
		PCRE2_UCHAR msg[256];
		if (pcre2_get_error_message(ec, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", ec);
		snprintf(err, errlen, "invalid regular expression: %s",
			 (const char *)msg);
		*erroff = eo <= len ? eo : len;
		return -1;
	}
	int k = add_const(p, KC_REGEX);
	struct kregex *re = xcalloc(1, sizeof(*re));
	re->code = code;
	re->pat = xmalloc(len + 1);
	memcpy(re->pat, pat, len);
	re->pat[len] = '\0';
	re->len = len;
	re->caseless = caseless;
	/* Off unless asked for (see rule_const.h); it may also be refused
	 * (no executable memory), and the interpreter then runs the pattern. */
	if ((jit_wanted || getenv("BPFALERT_JIT")) && !getenv("BPFALERT_NO_JIT"))
		re->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
	p->v[k].u.re = re;
	make_match_objects(p);
	return k;
}

static bool limit_error(int rc)
{
	return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	       rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT ||
	       rc == PCRE2_ERROR_NOMEMORY;
}

/* The DFA matcher does not backtrack, so it answers exactly where the
 * backtracking one gave up; it cannot take invalid UTF-8, backreferences
 * and a few other items, and costs up to length^2 steps, hence the bound. */
static int dfa_match(struct kregex *re, const const_pool *p, const char *s,
		     size_t len)
{
	if (re->no_dfa || len > RULE_REGEX_DFA_MAX || utf8_check(s, len) != len)
		return PCRE2_ERROR_MATCHLIMIT;
	if (!re->dfa) {
		int ec;
		PCRE2_SIZE eo;
		re->dfa = pcre2_compile((PCRE2_SPTR)re->pat, re->len,
					PCRE2_UTF | (re->caseless ? PCRE2_CASELESS : 0),
					&ec, &eo, NULL);
		if (!re->dfa) {
			re->no_dfa = true;
			return PCRE2_ERROR_MATCHLIMIT;
		}
	}
	int ws[RULE_REGEX_DFA_WORKSPACE];
	int rc = pcre2_dfa_match(re->dfa, (PCRE2_SPTR)s, len, 0,
				 PCRE2_NO_UTF_CHECK | PCRE2_DFA_SHORTEST, p->md,
				 p->mctx, ws, RULE_REGEX_DFA_WORKSPACE);
	if (rc == PCRE2_ERROR_DFA_UITEM || rc == PCRE2_ERROR_DFA_UCOND)
		re->no_dfa = true;
	return rc == 0 ? 1 : rc;
}

int kregex_match(const const_pool *p, const struct kregex *re,
		 const char *s, size_t len)
{
	int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, 0, p->md,
			     p->mctx);
	if (limit_error(rc))
		rc = dfa_match((struct kregex *)re, p, s, len);
	if (rc >= 0)
		return KREGEX_MATCH;
	return rc == PCRE2_ERROR_NOMATCH ? KREGEX_NO_MATCH : KREGEX_ERROR;
}

/* An unbounded quantifier (+, *, {n,}) at s[i]?  *end: past it. */
static bool unbounded_at(const char *s, size_t len, size_t i, size_t *end)
{
	if (i < len && (s[i] == '+' || s[i] == '*')) {
		*end = i + 1;
		return true;
	}
	if (i >= len || s[i] != '{')
		return false;
	size_t j = i + 1;
	while (j < len && s[j] >= '0' && s[j] <= '9')
		j++;
	if (j == i + 1 || j + 1 >= len || s[j] != ',' || s[j + 1] != '}')
		return false;
	*end = j + 2;
	return true;
}

/* A group that holds an unbounded quantifier and is itself repeated without
 * bound, as in (\w+\s?)+ or (a*)*: the shape whose backtracking explodes
 * on a near miss.  A reading of the pattern's text, not of PCRE2's
 * compiled form: escapes and character classes are skipped. */
bool kregex_nested_quantifier(const struct kregex *re)
{
	enum { DEPTH = 64 };
	bool inner[DEPTH] = { false };
	size_t depth = 0, end;
	const char *s = re->pat;
	size_t len = re->len;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\') {
			i++;
		} else if (s[i] == '[') {
			for (i += i + 1 < len && s[i + 1] == ']' ? 2 : 1;
			     i < len && s[i] != ']'; i++)
				if (s[i] == '\\')
					i++;
		} else if (s[i] == '(' && depth + 1 < DEPTH) {
			inner[++depth] = false;
		} else if (s[i] == ')' && depth > 0) {
			bool held = inner[depth--];
			if (held && unbounded_at(s, len, i + 1, &end))
				return true;
			inner[depth] = inner[depth] || held;
		} else if (unbounded_at(s, len, i, &end)) {
			inner[depth] = true;
			i = end - 1;
		}
	}
	return false;
}

const char *kpool_risky_regex(const const_pool *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].type == KC_REGEX && kregex_nested_quantifier(p->v[i].u.re))
			return p->v[i].u.re->pat;
	return NULL;
}

bool kregex_is_jit(const struct kregex *re)
{
	return re->jit;
}

static void kregex_free(struct kregex *re)
{
	pcre2_code_free(re->code);
	pcre2_code_free(re->dfa);
	free(re->pat);
	free(re);
}

/* ---- globs ---- */

enum { G_LIT, G_ANY, G_STAR, G_DSTAR, G_CLASS };

struct gitem {
	uint8_t type;
	uint8_t neg;      /* G_CLASS: [!...] */
	uint8_t len;      /* G_LIT: bytes of the character */
	char lit[4];
	uint32_t first;   /* G_CLASS: ranges[first .. first+count) */
	uint32_t count;
};

struct kglob {
	struct gitem *items;
	size_t n, cap;
	uint32_t (*ranges)[2];
	size_t nranges, rcap;
	bool literal;     /* no wildcard: text is the whole match */
	char *text;       /* literal: the unescaped text */
	size_t textlen;
	uint64_t *cur, *nxt; /* NFA state sets, n+1 bits each */
	size_t words;
	char *pat;
	size_t patlen;
};

/* Length of the UTF-8 character at s[i] and its code point; an invalid
 * sequence is one byte standing for itself. */
static size_t utf8_char(const char *str, size_t len, size_t i, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c = s[i];
	size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
				: (c & 0xf8) == 0xf0 ? 4 : 0;
	*cp = c;
	if (n <= 1 || i + n > len)
		return 1;
	uint32_t v = c & (0x7f >> n);
	for (size_t k = 1; k < n; k++) {
		if ((s[i + k] & 0xc0) != 0x80)
			return 1;
		v = (v << 6) | (s[i + k] & 0x3f);
	}
	*cp = v;
	return n;
}

static struct gitem *glob_push(struct kglob *g, uint8_t type)
{
	g->items = xgrow(g->items, &g->cap, g->n + 1, sizeof(*g->items));
	struct gitem *it = &g->items[g->n++];
	memset(it, 0, sizeof(*it));
	it->type = type;
	return it;
}

/* Reads one class character at pat[*j], honouring a backslash. */
static bool class_char(const char *pat, size_t len, size_t *j, uint32_t *cp)
{
	if (pat[*j] == '\\') {
		if (*j + 1 >= len)
			return false;
		(*j)++;
	}
	*j += utf8_char(pat, len, *j, cp);
	return true;
}

static int glob_class(struct kglob *g, const char *pat, size_t len, size_t i,
		      char *err, size_t errlen, size_t *erroff)
{
	struct gitem *it = glob_push(g, G_CLASS);
	size_t j = i + 1;
	if (j < len && (pat[j] == '!' || pat[j] == '^')) {
		it->neg = 1;
		j++;
	}
	it->first = (uint32_t)g->nranges;
	for (bool first = true;; first = false) {
		if (j >= len)
			goto unclosed;
		if (pat[j] == ']' && !first)
			break;
		size_t at = j;
		uint32_t lo, hi;
		if (!class_char(pat, len, &j, &lo))
			goto unclosed;
		hi = lo;
		if (j + 1 < len && pat[j] == '-' && pat[j + 1] != ']') {
			j++;
			if (!class_char(pat, len, &j, &hi))
				goto unclosed;
			if (hi < lo) {
				snprintf(err, errlen,
					 "invalid glob: range out of order");
				*erroff = at;
				return -1;
			}
		}
		g->ranges = xgrow(g->ranges, &g->rcap, g->nranges + 1,
				  sizeof(*g->ranges));
		g->ranges[g->nranges][0] = lo;
		g->ranges[g->nranges][1] = hi;
		g->nranges++;
		it = &g->items[g->n - 1]; /* xgrow of ranges keeps items */
		it->count++;
	}
	return (int)(j + 1);
unclosed:
	snprintf(err, errlen, "invalid glob: unclosed '['");
	*erroff = i;
	return -1;
}

static void kglob_free(struct kglob *g)
{
	free(g->items);
	free(g->ranges);
	free(g->text);
	free(g->cur);
	free(g->nxt);
	free(g->pat);
	free(g);
}

int kpool_glob(const_pool *p, const char *pat, size_t len, char *err,
	       size_t errlen, size_t *erroff)
{
	struct kglob *g = xcalloc(1, sizeof(*g));
	g->text = xmalloc(len + 1);
	bool wild = false;
	for (size_t i = 0; i < len;) {
		char c = pat[i];
		if (c == '*') {
			size_t j = i;
			while (j < len && pat[j] == '*')
				j++;
			glob_push(g, j - i >= 2 ? G_DSTAR : G_STAR);
			wild = true;
			i = j;
		} else if (c == '?') {
			glob_push(g, G_ANY);
			wild = true;
			i++;
		} else if (c == '[') {
			int next = glob_class(g, pat, len, i, err, errlen,
					      erroff);
			if (next < 0) {
				kglob_free(g);
				return -1;
			}
			wild = true;
			i = (size_t)next;
		} else {
			if (c == '\\') {
				if (++i >= len) {
					snprintf(err, errlen,
						 "invalid glob: trailing backslash");
					*erroff = i - 1;
					kglob_free(g);
					return -1;
				}
			}
			uint32_t cp;
			size_t n = utf8_char(pat, len, i, &cp);
			struct gitem *it = glob_push(g, G_LIT);
			it->len = (uint8_t)n;
			memcpy(it->lit, pat + i, n);
			memcpy(g->text + g->textlen, pat + i, n);
			g->textlen += n;
			i += n;
		}
	}
	g->literal = !wild;
	g->words = (g->n + 1 + 63) / 64;
	g->cur = xcalloc(g->words, sizeof(uint64_t));
	g->nxt = xcalloc(g->words, sizeof(uint64_t));
	g->pat = xmalloc(len + 1);
	memcpy(g->pat, pat, len);
	g->pat[len] = '\0';
	g->patlen = len;
	int k = add_const(p, KC_GLOB);
	p->v[k].u.glob = g;
	return k;
}

#define BIT_SET(set, i) ((set)[(i) >> 6] |= 1ULL << ((i) & 63))
#define BIT_GET(set, i) (((set)[(i) >> 6] >> ((i) & 63)) & 1)

/* A star may match nothing: its state also enables the next one. */
static void glob_closure(const struct kglob *g, uint64_t *set)
{
	for (size_t i = 0; i < g->n; i++)
		if (BIT_GET(set, i) && (g->items[i].type == G_STAR ||
					g->items[i].type == G_DSTAR))
			BIT_SET(set, i + 1);
}

static bool class_has(const struct kglob *g, const struct gitem *it,
		      uint32_t cp)
{
	bool in = false;
	for (uint32_t r = it->first; r < it->first + it->count && !in; r++)
		in = cp >= g->ranges[r][0] && cp <= g->ranges[r][1];
	return in != (bool)it->neg;
}

/* One input character through the NFA: cur -> nxt.  False if no state
 * survives. */
static bool glob_step(struct kglob *g, const char *c, size_t clen,
		      uint32_t cp)
{
	bool slash = cp == '/';
	bool live = false;
	memset(g->nxt, 0, g->words * sizeof(uint64_t));
	for (size_t w = 0; w < g->words; w++) {
		for (uint64_t bits = g->cur[w]; bits; bits &= bits - 1) {
			size_t i = w * 64 + (size_t)__builtin_ctzll(bits);
			if (i >= g->n)
				continue;
			const struct gitem *it = &g->items[i];
			size_t to = SIZE_MAX;
			switch (it->type) {
			case G_LIT:
				if (it->len == clen && !memcmp(it->lit, c, clen))
					to = i + 1;
				break;
			case G_ANY:
				if (!slash)
					to = i + 1;
				break;
			case G_CLASS:
				if (!slash && class_has(g, it, cp))
					to = i + 1;
				break;
			case G_STAR:
				if (!slash)
					to = i;
				break;
			default: /* G_DSTAR */
				to = i;
				break;
			}
			if (to != SIZE_MAX) {
				BIT_SET(g->nxt, to);
				live = true;
			}
		}
	}
	glob_closure(g, g->nxt);
	uint64_t *t = g->cur;
	g->cur = g->nxt;
	g->nxt = t;
	return live;
}

bool kglob_match(struct kglob *g, const char *s, size_t len)
{
	if (g->literal)
		return len == g->textlen && !memcmp(s, g->text, len);
	memset(g->cur, 0, g->words * sizeof(uint64_t));
	BIT_SET(g->cur, 0);
	glob_closure(g, g->cur);
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_char(s, len, i, &cp);
		if (!glob_step(g, s + i, n, cp))
			return false;
		i += n;
	}
	return BIT_GET(g->cur, g->n);
}

/* ---- pool ---- */

void kpool_free(const_pool *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct kconst *c = &p->v[i];
		switch (c->type) {
		case KC_STR:
			free(c->u.str.s);
			free(c->u.str.lower);
			break;
		case KC_NUM:
			free(c->u.num.text);
			break;
		case KC_SET:
			kset_free(c->u.set);
			break;
		case KC_REGEX:
			kregex_free(c->u.re);
			break;
		case KC_GLOB:
			kglob_free(c->u.glob);
			break;
		}
	}
	free(p->v);
	pcre2_match_data_free(p->md);
	pcre2_match_context_free(p->mctx);
	pcre2_jit_stack_free(p->jit_stack);
	memset(p, 0, sizeof(*p));
}

static void dump_string(const char *s, size_t len, FILE *out)
{
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c == '\r')
			fputs("\\r", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void kpool_dump(const const_pool *p, int k, FILE *out)
{
	if (k < 0 || (size_t)k >= p->n) {
		fprintf(out, "k%d ?", k);
		return;
	}
	const struct kconst *c = &p->v[k];
	fprintf(out, "k%d ", k);
	switch (c->type) {
	case KC_STR:
		dump_string(c->u.str.s, c->u.str.len, out);
		break;
	case KC_NUM:
		fputs(c->u.num.text, out);
		break;
	case KC_SET:
		fputc('(', out);
		for (size_t i = 0; i < c->u.set->nmembers; i++) {
			const struct kset_member *m = &c->u.set->members[i];
			if (i)
				fputs(", ", out);
			if (m->type == KSET_STR)
				dump_string(m->s, m->len, out);
			else if (m->type == KSET_NUM)
				fwrite(m->s, 1, m->len, out);
			else
				fputs(m->b ? "true" : "false", out);
		}
		fputc(')', out);
		break;
	case KC_REGEX:
		fputs(c->u.re->caseless ? "regex/i " : "regex ", out);
		dump_string(c->u.re->pat, c->u.re->len, out);
		break;
	case KC_GLOB:
		fputs("glob ", out);
		dump_string(c->u.glob->pat, c->u.glob->patlen, out);
		break;
	}
}
