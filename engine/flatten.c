#include "flatten.h"

#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "evtree.h"
#include "fieldidx.h"
#include "jsonscan.h"
#include "timefmt.h"
#include "xalloc.h"

/* Nesting the tokener accepts; deeper documents are JSON errors. */
#define FLATTEN_MAX_DEPTH 64
/* Walk steps per event.  Nested arrays let every index be kept or left
 * out, so the number of paths to one leaf grows with the nesting; this
 * bounds the work a hostile document can cause. */
#define FLATTEN_MAX_STEPS (16 * EVENT_MAX_VALUES)

struct flattener {
	const field_table *ft;
	fieldidx *ix;
	json_tokener *tok;
	bool scan;               /* text is read by jsonscan first */
	struct flatten_counts counts;

	/* State of the walk over one document. */
	event *ev;
	size_t steps;
};

flattener *flattener_new(const field_table *ft)
{
	flattener *fl = xcalloc(1, sizeof(*fl));
	fl->ft = ft;
	fl->ix = fieldidx_new(ft);
	fl->scan = true;
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
	fieldidx_free(&fl->ix);
	free(fl);
	*pfl = NULL;
}

void flattener_set_scan(flattener *fl, bool on)
{
	fl->scan = on;
}

const struct flatten_counts *flattener_counts(const flattener *fl)
{
	return &fl->counts;
}

/* ---- values ---- */

static void value_from_json(struct json_object *o, enum json_type t, value *v)
{
	switch (t) {
	case json_type_string:
		value_set_string(v, json_object_get_string(o),
				 (size_t)json_object_get_string_len(o));
		break;
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
		value_set_double(v, json_object_get_double(o));
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
		 const fieldidx_entry *e, int depth);

static void walk_object(flattener *fl, struct json_object *o,
			const fieldidx_entry *e, int depth)
{
	struct lh_table *t = json_object_get_object(o);
	for (struct lh_entry *le = lh_table_head(t); le; le = lh_entry_next(le)) {
		const char *k = lh_entry_k(le);
		const fieldidx_entry *ce = fieldidx_key(fl->ix, e, k, strlen(k));
		if (ce)
			walk(fl, lh_entry_v(le), ce, depth + 1);
	}
}

/* Element i is reached both as P_i and, index left out, as P. */
static void walk_array(flattener *fl, struct json_object *o,
		       const fieldidx_entry *e, int depth)
{
	size_t n = json_object_array_length(o);
	for (size_t i = 0; i < n; i++) {
		struct json_object *el = json_object_array_get_idx(o, i);
		if (!el)
			continue; /* null */
		const fieldidx_entry *ce = fieldidx_elem(fl->ix, e, i);
		if (ce)
			walk(fl, el, ce, depth + 1);
		walk(fl, el, e, depth + 1);
	}
}

/* `o` sits at the path that entry e names or prefixes. */
static void walk(flattener *fl, struct json_object *o,
		 const fieldidx_entry *e, int depth)
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

/* A top-level key: the event's metadata.  `str` is the value's text when
 * it is a string (else NULL). */
static void note_top_key(event *ev, const char *k, size_t klen, bool is_object,
			 const char *str, size_t slen)
{
	if (ev->ntop_keys < EVENT_MAX_TOP_KEYS) {
		ev->top_keys[ev->ntop_keys] = k;
		ev->top_key_lens[ev->ntop_keys++] = (uint32_t)klen;
	} else {
		ev->top_keys_truncated = true;
	}
	if (!ev->kind && is_object) {
		ev->kind = k;
		ev->kind_len = klen;
	}
	if (str && klen == 4 && !memcmp(k, "time", 4))
		ev->has_time = timefmt_parse(str, slen, &ev->time_ns) == 0;
}

/* Top-level keys: the event's metadata, then the walk below each. */
static void walk_top(flattener *fl, struct json_object *root)
{
	struct lh_table *t = json_object_get_object(root);
	for (struct lh_entry *le = lh_table_head(t); le; le = lh_entry_next(le)) {
		const char *k = lh_entry_k(le);
		size_t klen = strlen(k);
		struct json_object *v = lh_entry_v(le);
		enum json_type vt = json_object_get_type(v);
		bool is_str = vt == json_type_string;
		note_top_key(fl->ev, k, klen, vt == json_type_object,
			     is_str ? json_object_get_string(v) : NULL,
			     is_str ? (size_t)json_object_get_string_len(v) : 0);
		const fieldidx_entry *ce = fieldidx_key(fl->ix, NULL, k, klen);
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
	fieldidx_sync(fl->ix);
	fl->ev = ev;
	fl->steps = FLATTEN_MAX_STEPS;
	walk_top(fl, root);
	fl->ev = NULL;
	return FLATTEN_OK;
}

/* ---- probe trees: the same walk over an evtree ---- */

static void tree_walk(flattener *fl, const evtree *t, int id,
		      const fieldidx_entry *e, int depth);

static void tree_materialise(flattener *fl, const evtree *t,
			     const evtree_node *nd, int slot)
{
	value v = {.next = -1};
	if (nd->kind == EVTREE_STRING) {
		value_set_string(&v, evtree_text(t, nd->str), nd->len);
	} else {
		v.type = VALUE_INT;
		v.is_number = 1;
		v.is_integer = 1;
		v.i = nd->i;
		v.d = (double)nd->i;
	}
	event_add(fl->ev, slot, &v);
}

static void tree_walk(flattener *fl, const evtree *t, int id,
		      const fieldidx_entry *e, int depth)
{
	if (!fl->steps || fl->ev->truncated || depth > FLATTEN_MAX_DEPTH) {
		fl->ev->truncated = true;
		return;
	}
	fl->steps--;
	const evtree_node *nd = evtree_node_at(t, id);
	size_t i = 0;
	switch (nd->kind) {
	case EVTREE_OBJECT:
		for (int c = e->prefix ? nd->first : EVTREE_NONE; c != EVTREE_NONE;
		     c = evtree_node_at(t, c)->next) {
			const evtree_node *m = evtree_node_at(t, c);
			const fieldidx_entry *ce =
				fieldidx_key(fl->ix, e, evtree_text(t, m->key), m->key_len);
			if (ce)
				tree_walk(fl, t, c, ce, depth + 1);
		}
		return;
	case EVTREE_ARRAY:
		for (int c = nd->first; c != EVTREE_NONE; c = evtree_node_at(t, c)->next, i++) {
			const fieldidx_entry *ce = fieldidx_elem(fl->ix, e, i);
			if (ce)
				tree_walk(fl, t, c, ce, depth + 1);
			tree_walk(fl, t, c, e, depth + 1);
		}
		return;
	default:
		if (e->slot >= 0)
			tree_materialise(fl, t, nd, e->slot);
	}
}

void flattener_fill_tree(flattener *fl, const evtree *t, event *ev)
{
	event_reset(ev, field_table_count(fl->ft));
	fieldidx_sync(fl->ix);
	fl->ev = ev;
	fl->steps = FLATTEN_MAX_STEPS;
	for (int c = evtree_node_at(t, EVTREE_ROOT)->first; c != EVTREE_NONE;
	     c = evtree_node_at(t, c)->next) {
		const evtree_node *m = evtree_node_at(t, c);
		const char *k = evtree_text(t, m->key);
		bool is_str = m->kind == EVTREE_STRING;
		note_top_key(ev, k, m->key_len, m->kind == EVTREE_OBJECT,
			     is_str ? evtree_text(t, m->str) : NULL, is_str ? m->len : 0);
		const fieldidx_entry *ce = fieldidx_key(fl->ix, NULL, k, m->key_len);
		if (ce)
			tree_walk(fl, t, c, ce, 1);
	}
	fl->ev = NULL;
	ev->make_doc = evtree_doc;
	ev->doc_src = t;
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
	if (fl->scan && len <= INT_MAX) {
		fieldidx_sync(fl->ix);
		if (jsonscan_fill(fl->ix, text, len, FLATTEN_MAX_STEPS, ev)) {
			fl->counts.scanned++;
			ev->text = text;
			ev->text_len = len;
			return FLATTEN_OK;
		}
		fl->counts.declined++;
		event_reset(ev, field_table_count(fl->ft));
	}
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
