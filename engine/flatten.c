#include "flatten.h"

#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "timefmt.h"
#include "xalloc.h"

/* Nesting the tokener accepts; deeper documents are JSON errors. */
#define FLATTEN_MAX_DEPTH 64
/* Longer paths are never materialised (nor are longer field names). */
#define FLATTEN_MAX_PATH 4096
/* Walk steps per event.  Nested arrays let every index be kept or left
 * out, so the number of paths to one leaf grows with the nesting; this
 * bounds the work a hostile document can cause. */
#define FLATTEN_MAX_STEPS (16 * EVENT_MAX_VALUES)

#define FNV_BASIS 1469598103934665603ULL
#define FNV_PRIME 1099511628211ULL

/* One path of the prefix index: an interned name, or a prefix of one that
 * ends right before a '_' (the only places a key boundary can fall). */
struct pentry {
	unsigned long long hash; /* fields_hash of the path */
	uint64_t follow;         /* seg_bit of every segment that can follow */
	uint32_t off, len;       /* path text: fl->text[off .. off+len) */
	int32_t slot;            /* slot of the name equal to the path, or -1 */
	bool prefix;             /* some name continues past it with '_' */
	bool used;
};

struct flattener {
	const field_table *ft;
	unsigned gen;            /* table generation the index was built from */
	bool built;
	struct pentry *tab;      /* open addressing, power-of-two size */
	size_t mask;
	char *text;              /* copies of the indexed names */
	bool collisions;         /* two indexed paths share length and hash */
	uint64_t root_follow;    /* seg_bit of every top-level key wanted */
	json_tokener *tok;

	/* State of the walk over one document. */
	event *ev;
	size_t steps;
};

static inline unsigned long long fnv_step(unsigned long long h, unsigned char c)
{
	return (h ^ c) * FNV_PRIME;
}

/* First bucket of a hash.  FNV-1a's low bits depend only on the low bits
 * of every step, so they are folded with the high ones. */
static inline size_t bucket(const flattener *fl, unsigned long long h)
{
	return (size_t)(h ^ (h >> 29) ^ (h >> 47)) & fl->mask;
}

flattener *flattener_new(const field_table *ft)
{
	flattener *fl = xcalloc(1, sizeof(*fl));
	fl->ft = ft;
	fl->tok = json_tokener_new_ex(FLATTEN_MAX_DEPTH);
	if (!fl->tok) {
		fputs("bpfalert: out of memory\n", stderr);
		abort();
	}
	json_tokener_set_flags(fl->tok, JSON_TOKENER_STRICT);
	return fl;
}

void flattener_free(flattener **pfl)
{
	flattener *fl = *pfl;
	if (!fl)
		return;
	json_tokener_free(fl->tok);
	free(fl->tab);
	free(fl->text);
	free(fl);
	*pfl = NULL;
}

/* ---- prefix index ---- */

/* A 64-bit filter over the first two bytes of a key (0 past its end):
 * most keys of an object lead to no wanted field, and this turns them
 * away before they are hashed. */
static inline uint64_t seg_bit(unsigned char c0, unsigned char c1)
{
	return 1ULL << (((uint32_t)(c0 << 8 | c1) * 0x9E3779B1u) >> 26);
}

static inline uint64_t key_bit(const char *k)
{
	return k[0] ? seg_bit((unsigned char)k[0], (unsigned char)k[1])
		    : seg_bit(0, 0);
}

/* seg_bit of every segment name[s..b) where b is the end of the name or
 * one of its '_': the keys that can follow a boundary just before s. */
static uint64_t follow_bits(const char *name, size_t len, size_t s)
{
	const unsigned char *u = (const unsigned char *)name;
	uint64_t m = 0;
	if (s == len || u[s] == '_')
		m |= seg_bit(0, 0);
	if (s < len && (s + 1 == len || u[s + 1] == '_'))
		m |= seg_bit(u[s], 0);
	if (s + 2 <= len)
		m |= seg_bit(u[s], u[s + 1]);
	return m;
}

static struct pentry *index_add(flattener *fl, uint32_t off, uint32_t len, int slot)
{
	const char *p = fl->text + off;
	unsigned long long h = fields_hash(p, len);
	size_t i = bucket(fl, h);
	for (;; i = (i + 1) & fl->mask) {
		struct pentry *e = &fl->tab[i];
		if (!e->used) {
			*e = (struct pentry){.hash = h, .off = off, .len = len,
					     .slot = -1, .used = true};
			break;
		}
		if (e->hash == h && e->len == len) {
			if (!memcmp(fl->text + e->off, p, len))
				break;
			fl->collisions = true;
		}
	}
	if (slot >= 0)
		fl->tab[i].slot = slot;
	else
		fl->tab[i].prefix = true;
	return &fl->tab[i];
}

/* The name of `slot` if it can be indexed: NULL for names longer than
 * FLATTEN_MAX_PATH or holding a NUL byte (no key path can spell them). */
static const char *indexable_name(const field_table *ft, int slot, size_t *len)
{
	const char *name = field_table_name(ft, slot);
	*len = strnlen(name, FLATTEN_MAX_PATH + 1);
	if (*len > FLATTEN_MAX_PATH || field_table_lookup(ft, name, *len) != slot)
		return NULL;
	return name;
}

static void index_build(flattener *fl)
{
	int n = (int)field_table_count(fl->ft);
	size_t bytes = 0, entries = 0, len;

	for (int s = 0; s < n; s++) {
		const char *name = indexable_name(fl->ft, s, &len);
		if (!name)
			continue;
		bytes += len;
		entries++;
		for (size_t i = 0; i < len; i++)
			entries += name[i] == '_';
	}
	size_t nb = 16;
	while (nb < 2 * entries)
		nb *= 2;
	free(fl->tab);
	free(fl->text);
	fl->tab = xcalloc(nb, sizeof(*fl->tab));
	fl->mask = nb - 1;
	fl->text = xmalloc(bytes ? bytes : 1);
	fl->collisions = false;
	fl->root_follow = 0;

	uint32_t off = 0;
	for (int s = 0; s < n; s++) {
		const char *name = indexable_name(fl->ft, s, &len);
		if (!name)
			continue;
		memcpy(fl->text + off, name, len);
		index_add(fl, off, (uint32_t)len, s);
		fl->root_follow |= follow_bits(name, len, 0);
		for (size_t i = 0; i < len; i++)
			if (name[i] == '_')
				index_add(fl, off, (uint32_t)i, -1)->follow |=
					follow_bits(name, len, i + 1);
		off += (uint32_t)len;
	}
	fl->gen = field_table_generation(fl->ft);
	fl->built = true;
}

/* The entry for the path of `parent` (NULL: the root) + sep + seg, whose
 * hash is h, or NULL if no indexed name has that path or prefix.
 *
 * Only the new segment needs comparing.  The parent's path P is known to
 * be right, and a candidate's text is Q + "_" + seg with Q an indexed
 * prefix as long as P.  Each FNV-1a step is a bijection of the hash
 * state, so equal hashes after the same suffix mean equal hashes of P and
 * Q: two distinct indexed paths of one length and hash, which building
 * the index detects (and then every byte is compared). */
static const struct pentry *index_find(const flattener *fl,
				       const struct pentry *parent,
				       unsigned long long h, bool sep,
				       const char *seg, size_t seglen)
{
	size_t plen = parent ? parent->len : 0, clen = plen + sep + seglen;
	if (clen > FLATTEN_MAX_PATH)
		return NULL;
	for (size_t i = bucket(fl, h);; i = (i + 1) & fl->mask) {
		const struct pentry *e = &fl->tab[i];
		if (!e->used)
			return NULL;
		if (e->hash != h || e->len != clen)
			continue;
		const char *t = fl->text + e->off;
		if ((!sep || t[plen] == '_') &&
		    !memcmp(t + plen + sep, seg, seglen) &&
		    (!fl->collisions || !plen ||
		     !memcmp(t, fl->text + parent->off, plen)))
			return e;
	}
}

/* ---- values ---- */

static void set_double(value *v, double d)
{
	v->is_number = 1;
	v->d = d;
	/* The range test comes first: casting a larger double is undefined. */
	if (isfinite(d) && fabs(d) < 9.2e18 && d == (double)(int64_t)d) {
		v->is_integer = 1;
		v->i = (int64_t)d;
	}
}

static void value_from_json(struct json_object *o, enum json_type t, value *v)
{
	switch (t) {
	case json_type_string: {
		v->type = VALUE_STRING;
		v->str = json_object_get_string(o);
		v->len = (uint32_t)json_object_get_string_len(o);
		/* Tetragon writes 64-bit integers as strings. */
		char c = v->len ? v->str[0] : 0;
		value num;
		if ((c == '-' || (c >= '0' && c <= '9')) &&
		    value_parse_number(v->str, v->len, &num)) {
			v->is_number = 1;
			v->is_integer = num.is_integer;
			v->i = num.i;
			v->d = num.d;
		}
		break;
	}
	case json_type_int: {
		int64_t i = json_object_get_int64(o);
		uint64_t u;
		/* json-c keeps integers above INT64_MAX as uint64; get_int64
		 * clamps those to INT64_MAX. */
		if (i == INT64_MAX && (u = json_object_get_uint64(o)) > INT64_MAX) {
			v->type = VALUE_DOUBLE;
			v->is_number = 1;
			v->d = (double)u;
			break;
		}
		v->type = VALUE_INT;
		v->is_number = 1;
		v->is_integer = 1;
		v->i = i;
		v->d = (double)i;
		break;
	}
	case json_type_double:
		v->type = VALUE_DOUBLE;
		set_double(v, json_object_get_double(o));
		break;
	case json_type_boolean:
		v->type = VALUE_BOOL;
		v->i = json_object_get_boolean(o) ? 1 : 0;
		break;
	default:
		break;
	}
}

static void materialise(flattener *fl, int slot, struct json_object *o,
			enum json_type t)
{
	value v = {.next = -1};
	value_from_json(o, t, &v);
	event_add(fl->ev, slot, &v);
}

/* ---- the walk ---- */

static void walk(flattener *fl, struct json_object *o,
		 const struct pentry *e, int depth);

/* The child of `parent` (NULL: the root) through key `k`, or NULL. */
static const struct pentry *key_child(const flattener *fl,
				      const struct pentry *parent,
				      const char *k)
{
	size_t plen = parent ? parent->len : 0;
	bool sep = parent != NULL;
	if (plen + sep > FLATTEN_MAX_PATH)
		return NULL;
	unsigned long long h = parent ? fnv_step(parent->hash, '_') : FNV_BASIS;
	size_t n = 0;
	for (; k[n]; n++)
		h = fnv_step(h, (unsigned char)k[n]);
	return index_find(fl, parent, h, sep, k, n);
}

static void walk_object(flattener *fl, struct json_object *o,
			const struct pentry *e, int depth)
{
	struct lh_table *t = json_object_get_object(o);
	for (struct lh_entry *le = lh_table_head(t); le; le = lh_entry_next(le)) {
		const char *k = lh_entry_k(le);
		if (!(e->follow & key_bit(k)))
			continue;
		const struct pentry *ce = key_child(fl, e, k);
		if (ce)
			walk(fl, lh_entry_v(le), ce, depth + 1);
	}
}

/* Writes i in decimal (no NUL); returns the length. */
static size_t decimal(size_t i, char *out)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + i % 10);
		i /= 10;
	} while (i);
	for (size_t k = 0; k < n; k++)
		out[k] = tmp[n - 1 - k];
	return n;
}

/* Element i is reached both as P_i and, index left out, as P. */
static void walk_array(flattener *fl, struct json_object *o,
		       const struct pentry *e, int depth)
{
	size_t n = json_object_array_length(o);
	for (size_t i = 0; i < n; i++) {
		struct json_object *el = json_object_array_get_idx(o, i);
		if (!el)
			continue; /* null */
		char num[24];
		size_t nl = decimal(i, num);
		num[nl] = '\0';
		const struct pentry *ce = NULL;
		if (e->follow & key_bit(num)) {
			unsigned long long h = fnv_step(e->hash, '_');
			for (size_t k = 0; k < nl; k++)
				h = fnv_step(h, (unsigned char)num[k]);
			ce = index_find(fl, e, h, true, num, nl);
		}
		if (ce)
			walk(fl, el, ce, depth + 1);
		walk(fl, el, e, depth + 1);
	}
}

/* `o` sits at the path that entry e names or prefixes. */
static void walk(flattener *fl, struct json_object *o,
		 const struct pentry *e, int depth)
{
	if (!fl->steps || fl->ev->truncated || depth > FLATTEN_MAX_DEPTH) {
		fl->ev->truncated = true;
		return;
	}
	fl->steps--;
	enum json_type t = json_object_get_type(o);
	switch (t) {
	case json_type_null:
		return;
	case json_type_object:
		if (e->prefix)
			walk_object(fl, o, e, depth);
		return;
	case json_type_array:
		walk_array(fl, o, e, depth);
		return;
	default:
		if (e->slot >= 0)
			materialise(fl, e->slot, o, t);
		return;
	}
}

/* Top-level keys: the event's metadata, then the walk below each. */
static void walk_top(flattener *fl, struct json_object *root)
{
	event *ev = fl->ev;
	struct lh_table *t = json_object_get_object(root);
	for (struct lh_entry *le = lh_table_head(t); le; le = lh_entry_next(le)) {
		const char *k = lh_entry_k(le);
		struct json_object *v = lh_entry_v(le);
		enum json_type vt = json_object_get_type(v);
		if (ev->ntop_keys < EVENT_MAX_TOP_KEYS) {
			ev->top_keys[ev->ntop_keys] = k;
			ev->top_key_lens[ev->ntop_keys++] = (uint32_t)strlen(k);
		} else {
			ev->top_keys_truncated = true;
		}
		if (!ev->kind && vt == json_type_object) {
			ev->kind = k;
			ev->kind_len = strlen(k);
		}
		if (vt == json_type_string && !strcmp(k, "time"))
			ev->has_time = timefmt_parse(json_object_get_string(v),
						     (size_t)json_object_get_string_len(v),
						     &ev->time_ns) == 0;

		const struct pentry *ce =
			fl->root_follow & key_bit(k) ? key_child(fl, NULL, k) : NULL;
		if (ce)
			walk(fl, v, ce, 1);
	}
}

enum flatten_status flattener_fill(flattener *fl, struct json_object *root,
				   event *ev)
{
	event_reset(ev, field_table_count(fl->ft));
	ev->root = root;
	if (!json_object_is_type(root, json_type_object))
		return FLATTEN_NOT_OBJECT;
	if (!fl->built || fl->gen != field_table_generation(fl->ft))
		index_build(fl);
	fl->ev = ev;
	fl->steps = FLATTEN_MAX_STEPS;
	walk_top(fl, root);
	fl->ev = NULL;
	return FLATTEN_OK;
}

/* ---- parsing ---- */

static bool is_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_space(const char *s, size_t i, size_t len)
{
	while (i < len && is_json_space(s[i]))
		i++;
	return i;
}

/* Parses text[0..len) into one JSON value; NULL with err set on failure.
 * *ok tells a parsed top-level null (NULL too) from a failure. */
static struct json_object *parse(flattener *fl, const char *text, size_t len,
				 bool *ok, char *err, size_t errlen)
{
	*ok = false;
	if (len > INT_MAX) {
		snprintf(err, errlen, "JSON document of %zu bytes is too large", len);
		return NULL;
	}
	json_tokener_reset(fl->tok);
	struct json_object *o = json_tokener_parse_ex(fl->tok, text, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(fl->tok);
	size_t end = json_tokener_get_parse_end(fl->tok);

	if (jerr == json_tokener_continue) {
		/* A number ending the input needs a delimiter to be done. */
		o = json_tokener_parse_ex(fl->tok, " ", 1);
		jerr = json_tokener_get_error(fl->tok);
		end = len;
		if (jerr == json_tokener_continue) {
			if (skip_space(text, 0, len) == len)
				snprintf(err, errlen, "empty JSON document");
			else
				snprintf(err, errlen,
					 "truncated JSON: unexpected end of input at byte %zu",
					 len);
			return NULL;
		}
	}
	if (jerr != json_tokener_success) {
		snprintf(err, errlen, "invalid JSON at byte %zu: %s", end,
			 json_tokener_error_desc(jerr));
		return NULL;
	}
	size_t rest = skip_space(text, end, len);
	if (rest < len) {
		json_object_put(o);
		snprintf(err, errlen,
			 "invalid JSON at byte %zu: data after the document", rest);
		return NULL;
	}
	*ok = true;
	return o;
}

static const char *json_kind_name(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	case json_type_boolean: return "a boolean";
	case json_type_null: return "null";
	default: return "a number";
	}
}

enum flatten_status flattener_parse(flattener *fl, const char *text,
				    size_t len, event *ev, char *err,
				    size_t errlen)
{
	char scratch[1];
	if (!err || !errlen) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	/* Release the previous document before parsing the next. */
	event_reset(ev, field_table_count(fl->ft));
	bool ok;
	struct json_object *root = parse(fl, text, len, &ok, err, errlen);
	if (!ok)
		return FLATTEN_BAD_JSON;
	if (!json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "JSON document is %s, not an object",
			 json_kind_name(root));
		json_object_put(root);
		return FLATTEN_NOT_OBJECT;
	}
	return flattener_fill(fl, root, ev);
}
