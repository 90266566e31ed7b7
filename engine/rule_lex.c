#include "rule_lex.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* ---- error reporting ---- */

void rule_diag_add(struct rule_diag *d, enum rule_error_part part,
		   size_t offset, const char *fmt, ...)
{
	if (d->count > RULE_MAX_ERRORS)
		return;
	rule_errors *e = d->errs;
	e->v = xgrow(e->v, &e->cap, e->n + 1, sizeof(*e->v));
	struct rule_error *re = &e->v[e->n++];
	re->part = part;
	re->offset = offset;
	if (d->count++ == RULE_MAX_ERRORS) {
		re->message = xstrdup("too many errors; giving up");
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	char buf[512];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	re->message = xstrdup(buf);
}

void rule_quote_bytes(char *out, size_t outlen, const char *s, size_t len,
		      size_t max)
{
	size_t o = 0;
	bool cut = len > max;
	if (cut)
		len = max;
	for (size_t i = 0; i < len && o + 5 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 0x20 && c < 0x7f) || c >= 0x80) {
			out[o++] = (char)c;
		} else {
			snprintf(out + o, outlen - o, "\\x%02x", c);
			o += 4;
		}
	}
	if (cut && o + 4 < outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o < outlen ? o : outlen - 1] = '\0';
}

/* ---- operators and suggestions ---- */

static const struct {
	const char *s;
	uint8_t op;
} op_spellings[] = {
	{ "=", ROP_EQ },          { "==", ROP_EQ },
	{ "!=", ROP_NE },         { "<", ROP_LT },
	{ "<=", ROP_LE },         { ">", ROP_GT },
	{ ">=", ROP_GE },         { "=%", ROP_CONTAINS },
	{ "!%", ROP_NCONTAINS },  { "~", ROP_REGEX },
	{ "=~", ROP_REGEX },      { "!~", ROP_NREGEX },
	{ "contains", ROP_CONTAINS },
	{ "icontains", ROP_ICONTAINS },
	{ "startswith", ROP_STARTSWITH },
	{ "endswith", ROP_ENDSWITH },
	{ "matches", ROP_REGEX },
	{ "glob", ROP_GLOB },
};

static const char *const op_canonical[ROP_COUNT] = {
	[ROP_EQ] = "=",
	[ROP_NE] = "!=",
	[ROP_LT] = "<",
	[ROP_LE] = "<=",
	[ROP_GT] = ">",
	[ROP_GE] = ">=",
	[ROP_CONTAINS] = "=%",
	[ROP_NCONTAINS] = "!%",
	[ROP_ICONTAINS] = "icontains",
	[ROP_STARTSWITH] = "startswith",
	[ROP_ENDSWITH] = "endswith",
	[ROP_REGEX] = "~",
	[ROP_NREGEX] = "!~",
	[ROP_GLOB] = "glob",
	[ROP_IN] = "in",
	[ROP_NOT_IN] = "not in",
	[ROP_EXISTS] = "exists",
	[ROP_EQ_CI] = "=",
	[ROP_NE_CI] = "!=",
	[ROP_NCONTAINS_CI] = "!%",
	[ROP_REGEX_CI] = "~",
};

const char *rule_op_canonical(enum rule_op op)
{
	return op < ROP_COUNT ? op_canonical[op] : "?";
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool word_eq(const char *s, size_t len, const char *w)
{
	size_t i = 0;
	for (; i < len && w[i]; i++)
		if (lower((unsigned char)s[i]) != w[i])
			return false;
	return i == len && !w[i];
}

int rule_op_lookup(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(op_spellings) / sizeof(op_spellings[0]);
	     i++)
		if (word_eq(s, len, op_spellings[i].s))
			return op_spellings[i].op;
	return -1;
}

/* Optimal string alignment distance (Levenshtein plus adjacent
 * transpositions), case-insensitive; gives up above 3. */
static unsigned edit_distance(const char *a, size_t la, const char *b)
{
	size_t lb = strlen(b);
	if (la > 32 || lb > 32)
		return 99;
	unsigned d[33][33];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int ca = lower((unsigned char)a[i - 1]);
			int cb = lower((unsigned char)b[j - 1]);
			unsigned best = d[i - 1][j - 1] + (ca != cb);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && ca == lower((unsigned char)b[j - 2]) &&
			    lower((unsigned char)a[i - 2]) == cb &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

static size_t common_prefix(const char *a, size_t la, const char *b)
{
	size_t i = 0;
	while (i < la && b[i] && lower((unsigned char)a[i]) == lower((unsigned char)b[i]))
		i++;
	return i;
}

const char *rule_suggest(const char *s, size_t len, const char *const *cands,
			 const char *const *aliases)
{
	for (size_t i = 0; aliases && aliases[i]; i += 2)
		if (word_eq(s, len, aliases[i]))
			return aliases[i + 1];
	unsigned limit = len <= 4 ? 1 : 2;
	const char *best = NULL;
	unsigned best_d = limit + 1;
	size_t best_p = 0;
	for (size_t i = 0; cands[i]; i++) {
		unsigned dist = edit_distance(s, len, cands[i]);
		size_t p = common_prefix(s, len, cands[i]);
		if (dist < best_d || (dist == best_d && best && p > best_p)) {
			best = cands[i];
			best_d = dist;
			best_p = p;
		}
	}
	return best_d <= limit ? best : NULL;
}

static const char *const symbol_ops[] = {
	"=", "==", "!=", "<", "<=", ">", ">=", "=%", "!%", "~", "=~", "!~", NULL,
};

static const char *const symbol_aliases[] = {
	"=>", ">=", "=<", "<=", "!==", "!=", "===", "==", "<>", "!=",
	"~=", "=~", "=!", "!=", "%=", "=%", "%!", "!%", "~!", "!~", NULL,
};

/* ---- string literals ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Reads 4 hex digits at s[i..]; -1 if they are not all there. */
static long hex4(const char *s, size_t len, size_t i)
{
	if (i + 4 > len)
		return -1;
	long v = 0;
	for (size_t k = 0; k < 4; k++) {
		int h = hexval((unsigned char)s[i + k]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

static size_t put_utf8(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Decodes the escape at lit[i] (a backslash).  Writes its bytes to o (room
 * for 4) and returns how many; sets *used to the source bytes consumed.
 * Returns -1 (with *used covering the bad escape) on error and writes a
 * message to err. */
static int decode_escape(const char *lit, size_t len, size_t i, char *o,
			 size_t *used, char *err, size_t errlen)
{
	char q[64];
	if (i + 1 >= len) {
		*used = 1;
		snprintf(err, errlen, "invalid escape '\\' at end of string");
		return -1;
	}
	char c = lit[i + 1];
	*used = 2;
	switch (c) {
	case '"': o[0] = '"'; return 1;
	case '\\': o[0] = '\\'; return 1;
	case '/': o[0] = '/'; return 1;
	case 'b': o[0] = '\b'; return 1;
	case 'f': o[0] = '\f'; return 1;
	case 'n': o[0] = '\n'; return 1;
	case 'r': o[0] = '\r'; return 1;
	case 't': o[0] = '\t'; return 1;
	case 'u': break;
	default:
		rule_quote_bytes(q, sizeof(q), lit + i + 1, 1, 1);
		snprintf(err, errlen, "invalid escape '\\%s' in string", q);
		return -1;
	}
	long cp = hex4(lit, len, i + 2);
	if (cp < 0) {
		size_t n = 0;
		while (n < 4 && i + 2 + n < len && lit[i + 2 + n] != '"' &&
		       lit[i + 2 + n] != '\\')
			n++;
		rule_quote_bytes(q, sizeof(q), lit + i + 2, n, 4);
		snprintf(err, errlen, "invalid escape '\\u%s' in string", q);
		*used = 2 + n;
		return -1;
	}
	*used = 6;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		long lo = -1;
		if (i + 7 < len && lit[i + 6] == '\\' && lit[i + 7] == 'u')
			lo = hex4(lit, len, i + 8);
		if (lo >= 0xdc00 && lo <= 0xdfff) {
			*used = 12;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			return (int)put_utf8(o, (unsigned long)cp);
		}
	}
	if (cp >= 0xd800 && cp <= 0xdfff) {
		rule_quote_bytes(q, sizeof(q), lit + i + 2, 4, 4);
		snprintf(err, errlen, "lone surrogate '\\u%s' in string", q);
		return -1;
	}
	return (int)put_utf8(o, (unsigned long)cp);
}

bool rule_lex_decode(const char *lit, size_t litlen, size_t base,
		     char **out, size_t *outlen, struct rule_diag *d)
{
	char *buf = xmalloc(litlen + 1);
	size_t o = 0;
	bool ok = true;
	for (size_t i = 0; i < litlen;) {
		if (lit[i] != '\\') {
			buf[o++] = lit[i++];
			continue;
		}
		char err[160];
		size_t used;
		int n = decode_escape(lit, litlen, i, buf + o, &used, err,
				      sizeof(err));
		if (n < 0) {
			ok = false;
			if (d)
				rule_diag_add(d, RULE_PART_TEXT, base + i, "%s",
					      err);
		} else {
			o += (size_t)n;
		}
		i += used;
	}
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	return ok;
}

size_t rule_lex_source_offset(const char *lit, size_t litlen,
			      size_t decoded_off)
{
	size_t o = 0, i = 0;
	while (i < litlen && o < decoded_off) {
		if (lit[i] != '\\') {
			i++;
			o++;
			continue;
		}
		char tmp[4], err[160];
		size_t used;
		int n = decode_escape(lit, litlen, i, tmp, &used, err,
				      sizeof(err));
		if (n > 0 && o + (size_t)n > decoded_off)
			return i; /* inside a multi-byte escape */
		o += n > 0 ? (size_t)n : 0;
		i += used;
	}
	return i;
}

/* ---- the lexer ---- */

struct lexer {
	const char *s;
	size_t len, pos;
	rule_tokens *out;
	struct rule_diag *d;
};

static struct token *push(struct lexer *lx, enum tok_type type, size_t off,
			  size_t len)
{
	rule_tokens *t = lx->out;
	t->v = xgrow(t->v, &t->cap, t->n + 1, sizeof(*t->v));
	struct token *tk = &t->v[t->n++];
	memset(tk, 0, sizeof(*tk));
	tk->type = (uint8_t)type;
	tk->off = off;
	tk->len = len;
	return tk;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

static bool is_op_char(unsigned char c)
{
	return c == '=' || c == '!' || c == '<' || c == '>' || c == '~' ||
	       c == '%';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static size_t digits(const char *s, size_t len, size_t i)
{
	while (i < len && is_digit((unsigned char)s[i]))
		i++;
	return i;
}

/* End of the number starting at s[i] (DESIGN §4.1 grammar), or i. */
static size_t scan_number(const char *s, size_t len, size_t i)
{
	size_t p = i;
	if (p < len && s[p] == '-')
		p++;
	size_t e = digits(s, len, p);
	if (e == p)
		return i;
	if (e + 1 < len && s[e] == '.' && is_digit((unsigned char)s[e + 1]))
		e = digits(s, len, e + 1);
	if (e < len && (s[e] == 'e' || s[e] == 'E')) {
		size_t x = e + 1;
		if (x < len && (s[x] == '+' || s[x] == '-'))
			x++;
		size_t y = digits(s, len, x);
		if (y > x)
			e = y;
	}
	return e;
}

bool rule_parse_number(const char *s, size_t len, value *v)
{
	/* the rule grammar's numbers are the event's numeric strings */
	return value_parse_number(s, len, v);
}

static const struct {
	const char *w;
	uint8_t kw;
} keywords[] = {
	{ "and", KW_AND },   { "or", KW_OR },         { "not", KW_NOT },
	{ "in", KW_IN },     { "exists", KW_EXISTS }, { "true", KW_TRUE },
	{ "false", KW_FALSE },
};

static void classify_word(struct token *tk, const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		if (word_eq(s, len, keywords[i].w)) {
			tk->kw = keywords[i].kw;
			return;
		}
	}
	int op = rule_op_lookup(s, len);
	if (op >= 0) {
		tk->kw = KW_OPWORD;
		tk->op = (uint8_t)op;
	}
}

static void lex_word(struct lexer *lx)
{
	size_t start = lx->pos, end = start;
	while (end < lx->len && rule_is_name_char((unsigned char)lx->s[end]))
		end++;
	size_t nend = scan_number(lx->s, lx->len, start);
	if (nend > start) {
		size_t rend = nend;
		while (rend < lx->len &&
		       rule_is_name_char((unsigned char)lx->s[rend]))
			rend++;
		/* A number may be glued to a following `and`/`or`
		 * ("x=1and y=2"): whitespace is optional around symbols.
		 * Otherwise a number followed by name characters is a name
		 * ("1-2", "123abc"), unless the number reaches past them. */
		bool glued_kw = rend > nend &&
				(word_eq(lx->s + nend, rend - nend, "and") ||
				 word_eq(lx->s + nend, rend - nend, "or"));
		if (rend == nend || glued_kw || nend > end) {
			struct token *tk = push(lx, TK_NUMBER, start,
						nend - start);
			if (!rule_parse_number(lx->s + start, nend - start,
					       &tk->num)) {
				tk->type = TK_BAD;
				tk->bad = true;
				rule_diag_add(lx->d, RULE_PART_TEXT, start,
					      "invalid number");
			}
			lx->pos = nend;
			if (glued_kw) {
				tk = push(lx, TK_WORD, nend, rend - nend);
				classify_word(tk, lx->s + nend, rend - nend);
				lx->pos = rend;
			}
			return;
		}
	}
	struct token *tk = push(lx, TK_WORD, start, end - start);
	classify_word(tk, lx->s + start, end - start);
	lx->pos = end;
}

static void lex_string(struct lexer *lx)
{
	size_t start = lx->pos, i = start + 1;
	while (i < lx->len && lx->s[i] != '"')
		i += lx->s[i] == '\\' ? 2 : 1;
	if (i >= lx->len) {
		struct token *tk = push(lx, TK_STRING, start, lx->len - start);
		tk->bad = true;
		tk->str = xstrdup("");
		rule_diag_add(lx->d, RULE_PART_TEXT, start,
			      "unterminated string");
		lx->pos = lx->len;
		return;
	}
	struct token *tk = push(lx, TK_STRING, start, i + 1 - start);
	if (!rule_lex_decode(lx->s + start + 1, i - start - 1, start + 1,
			     &tk->str, &tk->slen, lx->d))
		tk->bad = true;
	lx->pos = i + 1;
}

static void lex_qname(struct lexer *lx)
{
	size_t start = lx->pos;
	const char *end = memchr(lx->s + start + 1, '`', lx->len - start - 1);
	if (!end) {
		struct token *tk = push(lx, TK_QNAME, start, lx->len - start);
		tk->bad = true;
		tk->str = xstrdup("");
		rule_diag_add(lx->d, RULE_PART_TEXT, start,
			      "unterminated field name");
		lx->pos = lx->len;
		return;
	}
	size_t n = (size_t)(end - (lx->s + start + 1));
	struct token *tk = push(lx, TK_QNAME, start, n + 2);
	tk->str = xmalloc(n + 1); /* not xstrndup: keep a NUL to report it */
	memcpy(tk->str, lx->s + start + 1, n);
	tk->str[n] = '\0';
	tk->slen = n;
	const char *nul = memchr(tk->str, '\0', n);
	if (n == 0) {
		tk->bad = true;
		rule_diag_add(lx->d, RULE_PART_TEXT, start, "empty field name");
	} else if (nul) { /* names are C strings everywhere else */
		tk->bad = true;
		rule_diag_add(lx->d, RULE_PART_TEXT,
			      start + 1 + (size_t)(nul - tk->str),
			      "NUL byte in field name");
	}
	lx->pos = start + n + 2;
}

static void lex_symbol(struct lexer *lx)
{
	size_t start = lx->pos, end = start;
	while (end < lx->len && is_op_char((unsigned char)lx->s[end]))
		end++;
	if (lx->s[start] == '!') {
		size_t k = start;
		while (k < end && lx->s[k] == '!')
			k++;
		if (k == end) { /* "!", "!!": negations, one token each,
				   all of the run at once (not rescanned per '!') */
			for (k = start; k < end; k++)
				push(lx, TK_BANG, k, 1);
			lx->pos = end;
			return;
		}
	}
	size_t n = end - start;
	lx->pos = end;
	for (size_t i = 0; symbol_ops[i]; i++) {
		if (strlen(symbol_ops[i]) == n &&
		    !memcmp(symbol_ops[i], lx->s + start, n)) {
			struct token *tk = push(lx, TK_OP, start, n);
			tk->op = (uint8_t)rule_op_lookup(lx->s + start, n);
			return;
		}
	}
	struct token *tk = push(lx, TK_BAD, start, n);
	tk->bad = true;
	char q[64];
	rule_quote_bytes(q, sizeof(q), lx->s + start, n, 16);
	const char *sug = rule_suggest(lx->s + start, n, symbol_ops,
				       symbol_aliases);
	if (sug)
		rule_diag_add(lx->d, RULE_PART_TEXT, start,
			      "unknown operator '%s' (did you mean '%s'?)", q,
			      sug);
	else
		rule_diag_add(lx->d, RULE_PART_TEXT, start,
			      "unknown operator '%s'", q);
}

static bool is_stray(unsigned char c)
{
	return !is_space(c) && !rule_is_name_char(c) && !is_op_char(c) &&
	       c != '"' && c != '`' && c != '(' && c != ')' && c != ',';
}

/* "&&" and "||" from other languages: reported, then read as and/or so
 * the rest of the rule is still checked. */
static bool lex_c_logic(struct lexer *lx)
{
	size_t start = lx->pos;
	if (start + 1 >= lx->len || lx->s[start + 1] != lx->s[start] ||
	    (lx->s[start] != '&' && lx->s[start] != '|'))
		return false;
	bool is_and = lx->s[start] == '&';
	struct token *tk = push(lx, TK_WORD, start, 2);
	tk->kw = is_and ? KW_AND : KW_OR;
	tk->bad = true;
	rule_diag_add(lx->d, RULE_PART_TEXT, start,
		      "unknown operator '%s' (did you mean '%s'?)",
		      is_and ? "&&" : "||", is_and ? "and" : "or");
	lx->pos = start + 2;
	return true;
}

static void lex_stray(struct lexer *lx)
{
	if (lex_c_logic(lx))
		return;
	size_t start = lx->pos, end = start;
	char c = lx->s[start];
	if (c == '\'') { /* a single-quoted string is one mistake */
		const char *q = memchr(lx->s + start + 1, '\'',
				       lx->len - start - 1);
		end = q ? (size_t)(q - lx->s) + 1 : start + 1;
	} else {
		while (end < lx->len && is_stray((unsigned char)lx->s[end]))
			end++;
	}
	struct token *tk = push(lx, TK_BAD, start, end - start);
	tk->bad = true;
	lx->pos = end;
	char q[16];
	rule_quote_bytes(q, sizeof(q), lx->s + start, 1, 1);
	bool after_name = start > 0 &&
			  rule_is_name_char((unsigned char)lx->s[start - 1]);
	if (c == '\'')
		rule_diag_add(lx->d, RULE_PART_TEXT, start,
			      "unexpected character ''' (strings are written in double quotes)");
	else if (after_name && (c == '.' || c == '/' || c == ':'))
		rule_diag_add(lx->d, RULE_PART_TEXT, start,
			      "unexpected character '%s' (a field name with '%s' is written in backticks)",
			      q, q);
	else
		rule_diag_add(lx->d, RULE_PART_TEXT, start,
			      "unexpected character '%s'", q);
}

void rule_lex(const char *text, size_t len, rule_tokens *out,
	      struct rule_diag *d)
{
	struct lexer lx = { .s = text, .len = len, .out = out, .d = d };
	while (lx.pos < len) {
		unsigned char c = (unsigned char)text[lx.pos];
		if (is_space(c)) {
			lx.pos++;
		} else if (c == '(' || c == ')' || c == ',') {
			push(&lx, c == '(' ? TK_LPAREN : c == ')' ? TK_RPAREN
								 : TK_COMMA,
			     lx.pos, 1);
			lx.pos++;
		} else if (c == '"') {
			lex_string(&lx);
		} else if (c == '`') {
			lex_qname(&lx);
		} else if (is_op_char(c)) {
			lex_symbol(&lx);
		} else if (rule_is_name_char(c)) {
			lex_word(&lx);
		} else {
			lex_stray(&lx);
		}
	}
	push(&lx, TK_EOF, len, 0);
}

void rule_tokens_free(rule_tokens *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].str);
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}
