/* jsonscan — see jsonscan.h.
 *
 * Decoded strings go to ev->strings at the offset of their text: a decoded
 * string and its NUL never take more room than its text and closing quote,
 * so strings never overlap, nothing moves while the event is filled, and a
 * string read twice (array elements are walked once with their index and
 * once without, as in flatten.c) lands on itself. */
#include "jsonscan.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "hexdig.h"
#include "timefmt.h"

/* The scanner's small steps are inlined into its loops. */
#define HOT static inline __attribute__((always_inline))

#define SCAN_MAX_NEST 32
#define SCAN_MAX_SEEN 32      /* wanted keys of one object checked for repeats */
#define SCAN_MAX_INT_DIGITS 18
#define SCAN_MAX_DOUBLE 63    /* longest double text read */

struct scan {
	const char *t;
	size_t len, i;
	const fieldidx *ix;
	event *ev;
	char *out;            /* ev->strings */
	size_t steps;
};

static inline bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

HOT void skip_ws(struct scan *s)
{
	while (s->i < s->len && is_ws(s->t[s->i]))
		s->i++;
}

HOT bool at(const struct scan *s, char c)
{
	return s->i < s->len && s->t[s->i] == c;
}

/* ---- strings ---- */

/* Offset of the first '"', '\\' or control byte at or after i, or len. */
HOT size_t string_stop(const char *t, size_t len, size_t i)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
	const __m128i ctl = _mm_set1_epi8(0x1f);
	for (; i + 16 <= len; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(t + i));
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote),
						      _mm_cmpeq_epi8(x, bslash)),
					 _mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x));
		int bits = _mm_movemask_epi8(m);
		if (bits)
			return i + (size_t)__builtin_ctz((unsigned)bits);
	}
#endif
	for (; i < len; i++) {
		unsigned char u = (unsigned char)t[i];
		if (u == '"' || u == '\\' || u < 0x20)
			return i;
	}
	return len;
}

/* Steps over the string at s->i (its opening quote); *esc if it holds
 * escapes. */
HOT bool string_span(struct scan *s, bool *esc)
{
	size_t i = s->i + 1;
	*esc = false;
	for (;;) {
		i = string_stop(s->t, s->len, i);
		if (i >= s->len)
			return false;
		char c = s->t[i];
		if (c == '"') {
			s->i = i + 1;
			return true;
		}
		if (c != '\\' || i + 1 >= s->len)
			return false;  /* a control byte, or a cut escape */
		*esc = true;
		switch (s->t[i + 1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			i += 2;
			break;
		case 'u':
			if (hexdig_4(s->t, s->len, i + 2) < 0)
				return false;
			i += 6;
			break;
		default:
			return false;
		}
	}
}

static size_t put_utf8(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	o[0] = (char)(0xE0 | (cp >> 12));
	o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[2] = (char)(0x80 | (cp & 0x3F));
	return 3;
}

static char unescape(char c)
{
	switch (c) {
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	default: return c;     /* '"', '\\', '/' */
	}
}

/* Decodes the string whose text (quotes left out) is t[a..b) to out + a,
 * NUL-terminated.  False for \u escapes of NUL or of surrogates, whose
 * decoding is left to json-c. */
static bool decode(const struct scan *s, size_t a, size_t b, bool esc,
		   const char **str, size_t *n)
{
	char *o = s->out + a;
	const char *t = s->t;
	size_t k = 0;
	if (!esc) {
		memcpy(o, t + a, b - a);
		k = b - a;
	}
	for (size_t i = a; esc && i < b;) {
		if (t[i] != '\\') {
			o[k++] = t[i++];
			continue;
		}
		if (t[i + 1] != 'u') {
			o[k++] = unescape(t[i + 1]);
			i += 2;
			continue;
		}
		long cp = hexdig_4(t, b, i + 2);
		if (cp <= 0 || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		k += put_utf8(o + k, (unsigned long)cp);
		i += 6;
	}
	o[k] = '\0';
	*str = o;
	*n = k;
	return true;
}

/* ---- numbers and literals ---- */

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Steps over a number (RFC 8259: no leading zeros, digits on both sides
 * of the point); *dbl when it has a fraction or an exponent. */
HOT bool number_span(struct scan *s, bool *dbl)
{
	const char *t = s->t;
	size_t i = s->i, len = s->len;
	*dbl = false;
	if (i < len && t[i] == '-')
		i++;
	if (i >= len || !is_digit(t[i]))
		return false;
	if (t[i] == '0') {
		if (++i < len && is_digit(t[i]))
			return false;
	} else {
		while (i < len && is_digit(t[i]))
			i++;
	}
	if (i < len && t[i] == '.') {
		*dbl = true;
		size_t f = ++i;
		while (i < len && is_digit(t[i]))
			i++;
		if (i == f)
			return false;
	}
	if (i < len && (t[i] == 'e' || t[i] == 'E')) {
		*dbl = true;
		if (++i < len && (t[i] == '+' || t[i] == '-'))
			i++;
		size_t e = i;
		while (i < len && is_digit(t[i]))
			i++;
		if (i == e)
			return false;
	}
	s->i = i;
	return true;
}

/* The value of the number text t[a..b), as json-c makes it. */
static bool number_value(const char *t, size_t a, size_t b, bool dbl, value *v)
{
	if (!dbl) {
		bool neg = t[a] == '-';
		if (b - a - neg > SCAN_MAX_INT_DIGITS)
			return false;
		int64_t x = 0;
		for (size_t i = a + neg; i < b; i++)
			x = x * 10 + (t[i] - '0');
		v->type = VALUE_INT;
		v->is_number = 1;
		v->is_integer = 1;
		v->i = neg ? -x : x;
		v->d = (double)v->i;
		return true;
	}
	char buf[SCAN_MAX_DOUBLE + 1];
	if (b - a > SCAN_MAX_DOUBLE)
		return false;
	memcpy(buf, t + a, b - a);
	buf[b - a] = '\0';
	errno = 0;
	double d = strtod(buf, NULL);
	if (errno == ERANGE)
		return false;
	value_set_double(v, d);
	return true;
}

HOT bool literal(struct scan *s, const char *word, size_t n)
{
	if (s->len - s->i < n || memcmp(s->t + s->i, word, n))
		return false;
	s->i += n;
	return true;
}

/* ---- stepping over values ---- */

static bool skip_object(struct scan *s, int nest);
static bool skip_array(struct scan *s, int nest);

/* The value at s->i, inside a container `nest` deep. */
static bool skip_value(struct scan *s, int nest)
{
	bool flag;
	if (s->i >= s->len)
		return false;
	switch (s->t[s->i]) {
	case '"': return string_span(s, &flag);
	case '{': return skip_object(s, nest + 1);
	case '[': return skip_array(s, nest + 1);
	case 't': return literal(s, "true", 4);
	case 'f': return literal(s, "false", 5);
	case 'n': return literal(s, "null", 4);
	default: return number_span(s, &flag);
	}
}

/* After a member or element: 1 if another follows (the ',' is consumed),
 * 0 at the closing bracket (consumed), -1 for anything else. */
HOT int next_item(struct scan *s, char close)
{
	skip_ws(s);
	if (at(s, ',')) {
		s->i++;
		skip_ws(s);
		return 1;
	}
	if (at(s, close)) {
		s->i++;
		return 0;
	}
	return -1;
}

/* The ':' after a key, and the blanks around it. */
HOT bool colon(struct scan *s)
{
	skip_ws(s);
	if (!at(s, ':'))
		return false;
	s->i++;
	skip_ws(s);
	return true;
}

/* Opens a container at s->i; false if too deep.  *empty if it closes at
 * once (then consumed). */
HOT bool open_container(struct scan *s, int nest, char close, bool *empty)
{
	if (nest > SCAN_MAX_NEST)
		return false;
	s->i++;
	skip_ws(s);
	*empty = at(s, close);
	if (*empty)
		s->i++;
	return true;
}

static bool skip_object(struct scan *s, int nest)
{
	bool empty, esc;
	int r;
	if (!open_container(s, nest, '}', &empty))
		return false;
	for (r = !empty; r == 1; r = next_item(s, '}')) {
		if (!at(s, '"') || !string_span(s, &esc) || !colon(s) ||
		    !skip_value(s, nest))
			return false;
	}
	return r == 0;
}

static bool skip_array(struct scan *s, int nest)
{
	bool empty;
	int r;
	if (!open_container(s, nest, ']', &empty))
		return false;
	for (r = !empty; r == 1; r = next_item(s, ']'))
		if (!skip_value(s, nest))
			return false;
	return r == 0;
}

/* ---- the walk (flatten.c's, over text) ---- */

static bool walk_value(struct scan *s, const fieldidx_entry *e, int nest);

/* A scalar at s->i that materialises as `slot`. */
static bool read_scalar(struct scan *s, int slot)
{
	value v = {.next = -1};
	size_t a = s->i;
	bool flag;
	switch (s->t[a]) {
	case '"': {
		const char *str;
		size_t n;
		if (!string_span(s, &flag) || !decode(s, a + 1, s->i - 1, flag, &str, &n))
			return false;
		value_set_string(&v, str, n);
		break;
	}
	case 't':
	case 'f':
		v.type = VALUE_BOOL;
		v.i = s->t[a] == 't';
		if (!literal(s, v.i ? "true" : "false", v.i ? 4 : 5))
			return false;
		break;
	default:
		if (!number_span(s, &flag) || !number_value(s->t, a, s->i, flag, &v))
			return false;
	}
	event_add(s->ev, slot, &v);
	return true;
}

/* Reads a member's key and its ':'; *k and *klen are the decoded key. */
HOT bool member_key(struct scan *s, const char **k, size_t *klen)
{
	bool esc;
	size_t a = s->i + 1;
	if (!at(s, '"') || !string_span(s, &esc))
		return false;
	if (esc) {
		if (!decode(s, a, s->i - 1, true, k, klen))
			return false;
	} else {
		*k = s->t + a;
		*klen = s->i - 1 - a;
	}
	return colon(s);
}

/* json-c keeps one value per key: a wanted key met twice in an object is
 * left to it. */
static bool first_time(const fieldidx_entry **seen, size_t *n, const fieldidx_entry *ce)
{
	for (size_t i = 0; i < *n; i++)
		if (seen[i] == ce)
			return false;
	if (*n == SCAN_MAX_SEEN)
		return false;
	seen[(*n)++] = ce;
	return true;
}

static bool walk_object(struct scan *s, const fieldidx_entry *e, int nest)
{
	const fieldidx_entry *seen[SCAN_MAX_SEEN];
	size_t nseen = 0;
	bool empty;
	int r;
	if (!open_container(s, nest, '}', &empty))
		return false;
	for (r = !empty; r == 1; r = next_item(s, '}')) {
		const char *k;
		size_t klen;
		if (!member_key(s, &k, &klen))
			return false;
		const fieldidx_entry *ce = fieldidx_key(s->ix, e, k, klen);
		if (ce ? !first_time(seen, &nseen, ce) || !walk_value(s, ce, nest)
		       : !skip_value(s, nest))
			return false;
	}
	return r == 0;
}

/* Element i is reached both as P_i and, index left out, as P; null
 * elements not at all. */
static bool walk_array(struct scan *s, const fieldidx_entry *e, int nest)
{
	bool empty;
	int r;
	size_t idx = 0;
	if (!open_container(s, nest, ']', &empty))
		return false;
	for (r = !empty; r == 1; r = next_item(s, ']'), idx++) {
		if (at(s, 'n')) {
			if (!literal(s, "null", 4))
				return false;
			continue;
		}
		size_t start = s->i;
		const fieldidx_entry *ce = fieldidx_elem(s->ix, e, idx);
		if (ce) {
			if (!walk_value(s, ce, nest))
				return false;
			s->i = start;
		}
		if (!walk_value(s, e, nest))
			return false;
	}
	return r == 0;
}

/* The value at s->i sits at the path that e names or prefixes. */
static bool walk_value(struct scan *s, const fieldidx_entry *e, int nest)
{
	event *ev = s->ev;
	if (!s->steps || ev->truncated) {
		ev->truncated = true;
		return skip_value(s, nest);
	}
	s->steps--;
	if (s->i >= s->len)
		return false;
	char c = s->t[s->i];
	if (c == '{')
		return e->prefix ? walk_object(s, e, nest + 1) : skip_object(s, nest + 1);
	if (c == '[')
		return walk_array(s, e, nest + 1);
	if (e->slot < 0 || c == 'n')
		return skip_value(s, nest);
	return read_scalar(s, e->slot);
}

/* ---- the top level ---- */

/* Records a top-level key (copied to its place in ev->strings, for a NUL
 * after it); false if it repeats or there are too many. */
static bool top_key(struct scan *s, const char **k, size_t klen)
{
	event *ev = s->ev;
	if (ev->ntop_keys == EVENT_MAX_TOP_KEYS)
		return false;
	for (size_t i = 0; i < ev->ntop_keys; i++)
		if (ev->top_key_lens[i] == klen && !memcmp(ev->top_keys[i], *k, klen))
			return false;
	if (*k >= s->t && *k < s->t + s->len) {
		char *o = s->out + (*k - s->t);
		memcpy(o, *k, klen);
		o[klen] = '\0';
		*k = o;
	}
	ev->top_keys[ev->ntop_keys] = *k;
	ev->top_key_lens[ev->ntop_keys++] = (uint32_t)klen;
	return true;
}

/* "time": the string at s->i as RFC 3339, leaving s->i where it was. */
static bool read_time(struct scan *s)
{
	size_t a = s->i;
	bool esc;
	const char *str;
	size_t n;
	if (!string_span(s, &esc) || !decode(s, a + 1, s->i - 1, esc, &str, &n))
		return false;
	s->ev->has_time = timefmt_parse(str, n, &s->ev->time_ns) == 0;
	s->i = a;
	return true;
}

static bool top_member(struct scan *s)
{
	event *ev = s->ev;
	const char *k;
	size_t klen;
	if (!member_key(s, &k, &klen) || !top_key(s, &k, klen))
		return false;
	char c = s->i < s->len ? s->t[s->i] : 0;
	if (!ev->kind && c == '{') {
		ev->kind = k;
		ev->kind_len = klen;
	}
	if (c == '"' && klen == 4 && !memcmp(k, "time", 4) && !read_time(s))
		return false;
	const fieldidx_entry *ce = fieldidx_key(s->ix, NULL, k, klen);
	return ce ? walk_value(s, ce, 1) : skip_value(s, 1);
}

bool jsonscan_fill(const fieldidx *ix, const char *text, size_t len,
		   size_t steps, event *ev)
{
	struct scan s = {.t = text, .len = len, .ix = ix, .ev = ev, .steps = steps};
	bool empty;
	int r;
	s.out = event_strings(ev, len + 1);
	skip_ws(&s);
	if (!at(&s, '{') || !open_container(&s, 1, '}', &empty))
		return false;
	for (r = !empty; r == 1; r = next_item(&s, '}'))
		if (!top_member(&s))
			return false;
	if (r != 0)
		return false;
	skip_ws(&s);
	return s.i == s.len;
}
