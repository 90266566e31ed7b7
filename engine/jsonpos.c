#include "jsonpos.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msgtext.h"
#include "hexdig.h"
#include "xalloc.h"

enum node_kind { NODE_OBJECT, NODE_ARRAY, NODE_STRING, NODE_SCALAR };

/* Values nested deeper are skipped, not indexed: recursion stays bounded
 * whatever the input. */
#define MAX_DEPTH 200

struct node {
	size_t start;       /* first byte of the value */
	size_t key_start;   /* first byte of its key (object members) */
	char *key;          /* decoded key, or NULL */
	size_t key_len;
	uint32_t *kids;     /* containers: members or elements, in order */
	size_t nkids, kids_cap;
	unsigned char kind; /* enum node_kind */
};

struct jsonpos {
	const char *text;
	size_t len;
	enum jsonpos_syntax syn;
	struct node *nodes;
	size_t n, cap;
	size_t *lines;      /* byte offset where each line starts */
	size_t nlines, lines_cap;
	bool complete;      /* the scan followed the text to its end */
	size_t stop;        /* else: where it could not go on */
	const char *why;    /* and what it expected there */
};

struct scan {
	jsonpos *jp;
	const char *t;
	size_t len, i;
};

/* Records the first place the scan cannot follow; returns false. */
static bool fail(struct scan *s, size_t at, const char *why)
{
	if (!s->jp->why) {
		s->jp->stop = at;
		s->jp->why = at >= s->len ? "unexpected end of file" : why;
	}
	return false;
}

/* ---- paths ---- */

jsonpos_path jsonpos_key(const jsonpos_path *p, const char *key)
{
	jsonpos_path q = *p;
	if (q.n < JSONPOS_MAX_PATH)
		q.s[q.n++] = (jsonpos_step){ .key = key };
	return q;
}

jsonpos_path jsonpos_index(const jsonpos_path *p, size_t index)
{
	jsonpos_path q = *p;
	if (q.n < JSONPOS_MAX_PATH)
		q.s[q.n++] = (jsonpos_step){ .index = index };
	return q;
}

/* ---- string literals, one escape or byte at a time ---- */

/* One source unit of a string literal: bytes [at, next) of the text decode
 * to the n bytes of out. */
struct unit {
	size_t at, next;
	unsigned n;
	unsigned char out[4];
};

static void put_utf8(struct unit *u, unsigned long cp)
{
	if (cp < 0x80) {
		u->out[0] = (unsigned char)cp;
		u->n = 1;
	} else if (cp < 0x800) {
		u->out[0] = (unsigned char)(0xC0 | (cp >> 6));
		u->out[1] = (unsigned char)(0x80 | (cp & 0x3F));
		u->n = 2;
	} else if (cp < 0x10000) {
		u->out[0] = (unsigned char)(0xE0 | (cp >> 12));
		u->out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u->out[2] = (unsigned char)(0x80 | (cp & 0x3F));
		u->n = 3;
	} else {
		u->out[0] = (unsigned char)(0xF0 | (cp >> 18));
		u->out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		u->out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u->out[3] = (unsigned char)(0x80 | (cp & 0x3F));
		u->n = 4;
	}
}

/* \uXXXX at i (the backslash).  A surrogate pair is one unit of 4 bytes;
 * a lone surrogate decodes to U+FFFD, as json-c does. */
static bool json_unicode(const char *t, size_t len, size_t i, struct unit *u)
{
	long cp = hexdig_4(t, len, i + 2);
	if (cp < 0)
		return false;
	u->next = i + 6;
	if (cp >= 0xD800 && cp <= 0xDBFF && i + 7 < len && t[i + 6] == '\\' &&
	    t[i + 7] == 'u') {
		long lo = hexdig_4(t, len, i + 8);
		if (lo >= 0xDC00 && lo <= 0xDFFF) {
			unsigned long hi10 = (unsigned long)cp - 0xD800;
			unsigned long lo10 = (unsigned long)lo - 0xDC00;
			put_utf8(u, 0x10000 + (hi10 << 10) + lo10);
			u->next = i + 12;
			return true;
		}
	}
	put_utf8(u, cp >= 0xD800 && cp <= 0xDFFF ? 0xFFFD : (unsigned long)cp);
	return true;
}

static bool json_unit(const char *t, size_t len, size_t i, struct unit *u)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	u->at = i;
	unsigned char c = (unsigned char)t[i];
	if (c < 0x20)
		return false;
	if (c != '\\') {
		u->out[0] = c;
		u->n = 1;
		u->next = i + 1;
		return true;
	}
	if (i + 1 >= len)
		return false;
	if (t[i + 1] == 'u')
		return json_unicode(t, len, i, u);
	const char *e = t[i + 1] ? strchr(from, t[i + 1]) : NULL;
	if (!e)
		return false;
	u->out[0] = (unsigned char)to[e - from];
	u->n = 1;
	u->next = i + 2;
	return true;
}

/* libconfig's scanner: \\ \" \f \n \r \t and \xHH are escapes (\x00 adds
 * nothing); any other backslash stands for itself. */
static bool cfg_unit(const char *t, size_t len, size_t i, struct unit *u)
{
	static const char from[] = "\\\"fnrt", to[] = "\\\"\f\n\r\t";
	u->at = i;
	u->n = 1;
	u->next = i + 1;
	u->out[0] = (unsigned char)t[i];
	if (t[i] != '\\' || i + 1 >= len)
		return true;
	const char *e = t[i + 1] ? strchr(from, t[i + 1]) : NULL;
	if (e) {
		u->out[0] = (unsigned char)to[e - from];
		u->next = i + 2;
	} else if (t[i + 1] == 'x' && i + 3 < len && hexdig_value(t[i + 2]) >= 0 &&
		   hexdig_value(t[i + 3]) >= 0) {
		int byte = hexdig_value(t[i + 2]) * 16 + hexdig_value(t[i + 3]);
		u->out[0] = (unsigned char)byte;
		u->n = u->out[0] ? 1 : 0;
		u->next = i + 4;
	}
	return true;
}

static bool next_unit(const jsonpos *jp, size_t i, struct unit *u)
{
	return jp->syn == JSONPOS_JSON ? json_unit(jp->text, jp->len, i, u)
				       : cfg_unit(jp->text, jp->len, i, u);
}

/* ---- whitespace and comments ---- */

static size_t json_skip(const char *t, size_t len, size_t i)
{
	while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' ||
			   t[i] == '\r'))
		i++;
	return i;
}

static size_t skip_to_eol(const char *t, size_t len, size_t i)
{
	const char *nl = memchr(t + i, '\n', len - i);
	return nl ? (size_t)(nl - t) : len;
}

/* libconfig: blanks, # and // line comments, C comments. */
static size_t cfg_skip(const char *t, size_t len, size_t i)
{
	for (;;) {
		while (i < len && t[i] && strchr(" \t\n\r\f\v", t[i]))
			i++;
		if (i < len && t[i] == '#') {
			i = skip_to_eol(t, len, i);
		} else if (i + 1 < len && t[i] == '/' && t[i + 1] == '/') {
			i = skip_to_eol(t, len, i);
		} else if (i + 1 < len && t[i] == '/' && t[i + 1] == '*') {
			const char *e = memmem(t + i + 2, len - i - 2, "*/", 2);
			i = e ? (size_t)(e - t) + 2 : len;
		} else {
			return i;
		}
	}
}

static size_t skip_blank(const struct scan *s, size_t i)
{
	return s->jp->syn == JSONPOS_JSON ? json_skip(s->t, s->len, i)
					  : cfg_skip(s->t, s->len, i);
}

/* ---- the index ---- */

static uint32_t new_node(jsonpos *jp, enum node_kind kind, size_t start)
{
	jp->nodes = xgrow(jp->nodes, &jp->cap, jp->n + 1, sizeof(*jp->nodes));
	struct node *nd = &jp->nodes[jp->n];
	memset(nd, 0, sizeof(*nd));
	nd->kind = (unsigned char)kind;
	nd->start = start;
	nd->key_start = start;
	return (uint32_t)jp->n++;
}

static void add_kid(jsonpos *jp, uint32_t parent, uint32_t kid)
{
	struct node *p = &jp->nodes[parent];
	p->kids = xgrow(p->kids, &p->kids_cap, p->nkids + 1, sizeof(*p->kids));
	p->kids[p->nkids++] = kid;
}

/* Scans one string literal (at its opening quote) and, for libconfig, the
 * literals that follow it and are concatenated with it.  Decodes into
 * *out when out is not NULL. */
static bool scan_string(struct scan *s, char **out, size_t *outlen)
{
	char *buf = NULL;
	size_t n = 0, cap = 0;
	size_t i = s->i;
	for (;;) {
		i++;
		while (i < s->len && s->t[i] != '"') {
			struct unit u;
			if (!next_unit(s->jp, i, &u) || u.next > s->len) {
				fail(s, i, "invalid character in string");
				goto fail;
			}
			if (out) {
				buf = xgrow(buf, &cap, n + u.n + 1, 1);
				memcpy(buf + n, u.out, u.n);
				n += u.n;
			}
			i = u.next;
		}
		if (i >= s->len) {
			fail(s, s->i, "unterminated string");
			goto fail;
		}
		i++;
		if (s->jp->syn == JSONPOS_JSON)
			break;
		size_t j = cfg_skip(s->t, s->len, i);
		if (j >= s->len || s->t[j] != '"')
			break;
		i = j;
	}
	s->i = i;
	if (out) {
		buf = xgrow(buf, &cap, n + 1, 1);
		buf[n] = '\0';
		*out = buf;
		*outlen = n;
	}
	return true;
fail:
	free(buf);
	return false;
}

/* Skips a value nested too deep to index: brackets are counted, strings
 * and comments stepped over. */
static bool skip_nested(struct scan *s)
{
	size_t depth = 0;
	while (s->i < s->len) {
		char c = s->t[s->i];
		if (c == '"') {
			if (!scan_string(s, NULL, NULL))
				return false;
			continue;
		}
		size_t j = skip_blank(s, s->i);
		if (j != s->i) {
			s->i = j;
			continue;
		}
		s->i++;
		if (c == '{' || c == '[' || c == '(')
			depth++;
		else if ((c == '}' || c == ']' || c == ')') && --depth == 0)
			return true;
	}
	return fail(s, s->i, "");
}

static bool is_scalar_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' ||
	       c == '_' || c == '*';
}

static bool scan_scalar(struct scan *s, uint32_t *out)
{
	size_t start = s->i;
	while (s->i < s->len && is_scalar_char(s->t[s->i]))
		s->i++;
	if (s->i == start)
		return fail(s, s->i, "expected a value");
	*out = new_node(s->jp, NODE_SCALAR, start);
	return true;
}

static bool scan_value(struct scan *s, int depth, uint32_t *out);

/* A JSON object's members, after its '{'. */
static bool json_members(struct scan *s, uint32_t obj, int depth)
{
	s->i = json_skip(s->t, s->len, s->i);
	if (s->i < s->len && s->t[s->i] == '}') {
		s->i++;
		return true;
	}
	for (;;) {
		if (s->i >= s->len || s->t[s->i] != '"')
			return fail(s, s->i, "expected a key");
		size_t key_start = s->i;
		char *key;
		size_t key_len;
		if (!scan_string(s, &key, &key_len))
			return false;
		s->i = json_skip(s->t, s->len, s->i);
		uint32_t v;
		bool ok = s->i < s->len && s->t[s->i] == ':';
		if (!ok)
			fail(s, s->i, "expected ':'");
		if (ok) {
			s->i = json_skip(s->t, s->len, s->i + 1);
			ok = scan_value(s, depth, &v);
		}
		if (!ok) {
			free(key);
			return false;
		}
		s->jp->nodes[v].key = key;
		s->jp->nodes[v].key_len = key_len;
		s->jp->nodes[v].key_start = key_start;
		add_kid(s->jp, obj, v);
		s->i = json_skip(s->t, s->len, s->i);
		if (s->i < s->len && s->t[s->i] == '}') {
			s->i++;
			return true;
		}
		if (s->i >= s->len || s->t[s->i] != ',')
			return fail(s, s->i, "expected ',' or '}'");
		s->i = json_skip(s->t, s->len, s->i + 1);
	}
}

static bool is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '*';
}

static bool is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_';
}

/* libconfig settings `name = value;` up to `close` ('}' or, for the root,
 * the end of the text). */
static bool cfg_settings(struct scan *s, uint32_t group, int depth, char close)
{
	for (;;) {
		s->i = cfg_skip(s->t, s->len, s->i);
		if (s->i >= s->len)
			return close == '\0' || fail(s, s->i, "");
		if (close && s->t[s->i] == close) {
			s->i++;
			return true;
		}
		if (!is_name_start(s->t[s->i]))
			return fail(s, s->i,
				    close ? "expected a setting name or '}'"
					  : "expected a setting name");
		size_t key_start = s->i;
		while (s->i < s->len && is_name_char(s->t[s->i]))
			s->i++;
		size_t key_end = s->i;
		s->i = cfg_skip(s->t, s->len, s->i);
		if (s->i >= s->len || (s->t[s->i] != '=' && s->t[s->i] != ':'))
			return fail(s, s->i,
				    "expected '=' or ':' after the name");
		s->i = cfg_skip(s->t, s->len, s->i + 1);
		uint32_t v;
		if (!scan_value(s, depth, &v))
			return false;
		struct node *nd = &s->jp->nodes[v];
		nd->key = xstrndup(s->t + key_start, key_end - key_start);
		nd->key_len = key_end - key_start;
		nd->key_start = key_start;
		add_kid(s->jp, group, v);
		s->i = cfg_skip(s->t, s->len, s->i);
		if (s->i < s->len && (s->t[s->i] == ';' || s->t[s->i] == ','))
			s->i++;
	}
}

/* Array elements (JSON [..], libconfig [..] and (..)), after the bracket. */
static bool scan_elements(struct scan *s, uint32_t arr, int depth, char close)
{
	s->i = skip_blank(s, s->i);
	if (s->i < s->len && s->t[s->i] == close) {
		s->i++;
		return true;
	}
	for (;;) {
		uint32_t v;
		if (!scan_value(s, depth, &v))
			return false;
		add_kid(s->jp, arr, v);
		s->i = skip_blank(s, s->i);
		if (s->i < s->len && s->t[s->i] == close) {
			s->i++;
			return true;
		}
		if (s->i >= s->len || s->t[s->i] != ',')
			return fail(s, s->i, close == ']'
						     ? "expected ',' or ']'"
						     : "expected ',' or ')'");
		s->i = skip_blank(s, s->i + 1);
	}
}

static bool scan_container(struct scan *s, int depth, uint32_t *out)
{
	char c = s->t[s->i];
	bool json = s->jp->syn == JSONPOS_JSON;
	*out = new_node(s->jp, c == '{' ? NODE_OBJECT : NODE_ARRAY, s->i);
	if (depth >= MAX_DEPTH && !json)
		return fail(s, s->i, "settings nested too deep");
	if (depth >= MAX_DEPTH)
		return skip_nested(s);
	s->i++;
	if (c == '{')
		return json ? json_members(s, *out, depth + 1)
			    : cfg_settings(s, *out, depth + 1, '}');
	return scan_elements(s, *out, depth + 1, c == '[' ? ']' : ')');
}

/* The value at s->i (blanks already skipped). */
static bool scan_value(struct scan *s, int depth, uint32_t *out)
{
	if (s->i >= s->len)
		return fail(s, s->i, "");
	char c = s->t[s->i];
	bool json = s->jp->syn == JSONPOS_JSON;
	if (c == '{' || c == '[' || (c == '(' && !json))
		return scan_container(s, depth, out);
	if (c == '"') {
		*out = new_node(s->jp, NODE_STRING, s->i);
		return scan_string(s, NULL, NULL);
	}
	return scan_scalar(s, out);
}

static void index_lines(jsonpos *jp)
{
	jp->lines = xgrow(jp->lines, &jp->lines_cap, 1, sizeof(size_t));
	jp->lines[jp->nlines++] = 0;
	for (const char *p = jp->text, *end = jp->text + jp->len;
	     (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++) {
		jp->lines = xgrow(jp->lines, &jp->lines_cap, jp->nlines + 1,
				  sizeof(size_t));
		jp->lines[jp->nlines++] = (size_t)(p - jp->text) + 1;
	}
}

jsonpos *jsonpos_scan(const char *text, size_t len, enum jsonpos_syntax syn)
{
	jsonpos *jp = xcalloc(1, sizeof(*jp));
	jp->text = text;
	jp->len = len;
	jp->syn = syn;
	index_lines(jp);
	struct scan s = { .jp = jp, .t = text, .len = len };
	if (syn == JSONPOS_LIBCONFIG) {
		new_node(jp, NODE_OBJECT, 0);
		jp->complete = cfg_settings(&s, 0, 1, '\0');
	} else {
		uint32_t root;
		s.i = json_skip(text, len, 0);
		bool ok = scan_value(&s, 0, &root);
		size_t end = json_skip(text, len, s.i);
		if (ok && end != len)
			ok = fail(&s, end, "unexpected text after the value");
		jp->complete = ok;
	}
	return jp;
}

bool jsonpos_complete(const jsonpos *jp, size_t *stop, const char **why)
{
	if (!jp->complete) {
		*stop = jp->stop;
		*why = jp->why ? jp->why : "syntax error";
	}
	return jp->complete;
}

void jsonpos_free(jsonpos **pjp)
{
	jsonpos *jp = *pjp;
	if (!jp)
		return;
	for (size_t i = 0; i < jp->n; i++) {
		free(jp->nodes[i].key);
		free(jp->nodes[i].kids);
	}
	free(jp->nodes);
	free(jp->lines);
	free(jp);
	*pjp = NULL;
}

/* ---- lookups ---- */

static const struct node *member(const jsonpos *jp, const struct node *obj,
				 const char *key)
{
	size_t klen = strlen(key);
	for (size_t k = obj->nkids; k-- > 0;) {
		const struct node *m = &jp->nodes[obj->kids[k]];
		if (m->key && m->key_len == klen &&
		    memcmp(m->key, key, klen) == 0)
			return m;
	}
	return NULL;
}

static const struct node *lookup(const jsonpos *jp, const jsonpos_path *p)
{
	if (!jp || jp->n == 0)
		return NULL;
	const struct node *nd = &jp->nodes[0];
	for (size_t i = 0; i < p->n && nd; i++) {
		const jsonpos_step *st = &p->s[i];
		if (st->key)
			nd = nd->kind == NODE_OBJECT ? member(jp, nd, st->key)
						     : NULL;
		else
			nd = nd->kind == NODE_ARRAY && st->index < nd->nkids
				     ? &jp->nodes[nd->kids[st->index]]
				     : NULL;
	}
	return nd;
}

struct jsonpos_loc jsonpos_loc_of(const jsonpos *jp, size_t offset)
{
	if (offset > jp->len)
		offset = jp->len;
	size_t lo = 0, hi = jp->nlines;  /* lines[lo] <= offset < lines[hi] */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (jp->lines[mid] <= offset)
			lo = mid;
		else
			hi = mid;
	}
	return (struct jsonpos_loc){ .offset = offset, .line = (int)lo + 1,
				     .col = (int)(offset - jp->lines[lo]) + 1 };
}

struct jsonpos_loc jsonpos_text_loc(const char *text, size_t len,
				    size_t offset)
{
	if (offset > len)
		offset = len;
	struct jsonpos_loc loc = { .offset = offset, .line = 1, .col = 1 };
	size_t line_start = 0;
	for (const char *p = text, *end = text + offset;
	     (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++) {
		loc.line++;
		line_start = (size_t)(p - text) + 1;
	}
	loc.col = (int)(offset - line_start) + 1;
	return loc;
}

bool jsonpos_find(const jsonpos *jp, const jsonpos_path *path,
		  struct jsonpos_loc *value, struct jsonpos_loc *key)
{
	const struct node *nd = lookup(jp, path);
	if (!nd || (path->n == 0 && jp->syn == JSONPOS_LIBCONFIG))
		return false;
	if (value)
		*value = jsonpos_loc_of(jp, nd->start);
	if (key)
		*key = jsonpos_loc_of(jp, nd->key_start);
	return true;
}

bool jsonpos_string_at(const jsonpos *jp, const jsonpos_path *path,
		       size_t offset, struct jsonpos_loc *out)
{
	const struct node *nd = lookup(jp, path);
	if (!nd || nd->kind != NODE_STRING)
		return false;
	const char *t = jp->text;
	size_t i = nd->start, decoded = 0;
	for (;;) {
		i++;  /* past the opening quote */
		while (i < jp->len && t[i] != '"') {
			struct unit u;
			if (!next_unit(jp, i, &u))
				break;
			if (offset < decoded + u.n) {
				*out = jsonpos_loc_of(jp, u.at);
				return true;
			}
			decoded += u.n;
			i = u.next;
		}
		if (i >= jp->len || t[i] != '"')
			break;
		size_t close = i;
		size_t j = jp->len;  /* JSON never concatenates */
		if (jp->syn == JSONPOS_LIBCONFIG)
			j = cfg_skip(t, jp->len, i + 1);
		if (j >= jp->len || t[j] != '"') {
			*out = jsonpos_loc_of(jp, close);
			return true;
		}
		i = j;
	}
	*out = jsonpos_loc_of(jp, i);
	return true;
}

/* ---- reports ---- */

static char *vformat(const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return xstrdup(fmt);
	char *buf = xmalloc((size_t)n + 1);
	vsnprintf(buf, (size_t)n + 1, fmt, ap);
	return buf;
}

static void emit(docsrc *s, enum diag_level level, int line, int col,
		 const char *msg)
{
	size_t src_len = 0;
	const char *src = NULL;
	if (line > 0 && s->text)
		src = diag_line_of(s->text, s->len, line, &src_len);
	diag_report(s->d, level, s->file, line, src ? col : 0, src, src_len,
		    "%s", msg);
	if (level == DIAG_ERROR)
		s->errors++;
}

/* The place of `p`, or of its nearest ancestor that has one. */
static struct jsonpos_loc place(const docsrc *s, const jsonpos_path *p,
				bool at_key)
{
	jsonpos_path q = *p;
	struct jsonpos_loc v, k;
	for (;;) {
		if (jsonpos_find(s->pos, &q, &v, &k))
			return at_key && q.n == p->n ? k : v;
		if (q.n == 0)
			return (struct jsonpos_loc){ 0 };
		q.n--;
	}
}

void docsrc_report(docsrc *s, enum diag_level level, const jsonpos_path *p,
		   bool at_key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = vformat(fmt, ap);
	va_end(ap);
	struct jsonpos_loc loc = place(s, p, at_key);
	emit(s, level, loc.line, loc.col, msg);
	free(msg);
}

void docsrc_report_string(docsrc *s, enum diag_level level,
			  const jsonpos_path *p, size_t offset,
			  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = vformat(fmt, ap);
	va_end(ap);
	struct jsonpos_loc loc;
	if (!jsonpos_string_at(s->pos, p, offset, &loc))
		loc = place(s, p, false);
	emit(s, level, loc.line, loc.col, msg);
	free(msg);
}

void docsrc_report_at(docsrc *s, enum diag_level level, int line, int col,
		      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = vformat(fmt, ap);
	va_end(ap);
	emit(s, level, line, col, msg);
	free(msg);
}

void docsrc_unknown_key(docsrc *s, const jsonpos_path *p, const char *key,
			const char *const *known)
{
	char *shown = msgtext_quote(key, strlen(key));
	const char *near = msgtext_suggest(key, strlen(key), known);
	if (near)
		docsrc_report(s, DIAG_WARNING, p, true,
			      "unknown key '%s' (did you mean '%s'?)", shown,
			      near);
	else
		docsrc_report(s, DIAG_WARNING, p, true, "unknown key '%s'",
			      shown);
	free(shown);
}

const char *docsrc_object_word(const docsrc *s)
{
	return s->syntax == JSONPOS_LIBCONFIG ? "a group" : "an object";
}
