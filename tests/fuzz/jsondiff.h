/* jsondiff — one text flattened twice, by the on-demand scanner (falling
 * back to json-c where it declines) and by json-c alone, and the two
 * events compared field by field.  Shared by the differential fuzz
 * harness and the unit tests.
 *
 * Whatever the scanner accepts must be accepted by json-c and give the
 * same event: values (type, text, numbers) in the same order in every
 * slot, top-level keys, kind, time, truncation; a declined text must give
 * json-c's status and message exactly (it does, being json-c's). */
#ifndef BPFALERT_JSONDIFF_H
#define BPFALERT_JSONDIFF_H

#include <stdio.h>
#include <string.h>

#include "event.h"
#include "fields.h"
#include "flatten.h"

struct jsondiff {
	const field_table *ft;
	flattener *scan, *jsonc;
	event *a, *b;
	enum flatten_status st;      /* of the last text */
	bool scanned;                /* the scanner read it (not json-c) */
	char why[1024];               /* the first difference */
};

static inline void jsondiff_init(struct jsondiff *d, const field_table *ft)
{
	memset(d, 0, sizeof(*d));
	d->ft = ft;
	d->scan = flattener_new(ft);
	d->jsonc = flattener_new(ft);
	flattener_set_scan(d->jsonc, false);
	d->a = event_new();
	d->b = event_new();
}

static inline void jsondiff_fini(struct jsondiff *d)
{
	flattener_free(&d->scan);
	flattener_free(&d->jsonc);
	event_free(&d->a);
	event_free(&d->b);
}

static inline bool jsondiff_same_value(const value *x, const value *y)
{
	if (x->type != y->type || x->is_number != y->is_number ||
	    x->is_integer != y->is_integer)
		return false;
	if (x->type == VALUE_STRING &&
	    (x->len != y->len || memcmp(x->str, y->str, x->len) || x->str[x->len]))
		return false;
	if ((x->is_integer || x->type == VALUE_BOOL) && x->i != y->i)
		return false;
	if (x->is_number && memcmp(&x->d, &y->d, sizeof(x->d)) &&
	    !(x->d != x->d && y->d != y->d))
		return false;
	return true;
}

static inline bool jsondiff_same_slots(struct jsondiff *d)
{
	const event *a = d->a, *b = d->b;
	for (size_t s = 0; s < field_table_count(d->ft); s++) {
		const value *x = event_first(a, (int)s), *y = event_first(b, (int)s);
		for (size_t n = 0; x || y; n++, x = event_next(a, x), y = event_next(b, y))
			if (!x || !y || !jsondiff_same_value(x, y)) {
				snprintf(d->why, sizeof(d->why), "field %s, value %zu differs",
					 field_table_name(d->ft, (int)s), n);
				return false;
			}
	}
	return true;
}

static inline bool jsondiff_same_meta(struct jsondiff *d)
{
	const event *a = d->a, *b = d->b;
	const char *what = NULL;
	if (a->nvalues != b->nvalues)
		what = "number of values";
	else if (a->truncated != b->truncated)
		what = "truncation";
	else if (a->ntop_keys != b->ntop_keys || a->top_keys_truncated != b->top_keys_truncated)
		what = "top-level keys";
	else if (!a->kind != !b->kind ||
		 (a->kind && (a->kind_len != b->kind_len || memcmp(a->kind, b->kind, a->kind_len))))
		what = "kind";
	else if (a->has_time != b->has_time || (a->has_time && a->time_ns != b->time_ns))
		what = "time";
	for (size_t k = 0; !what && k < a->ntop_keys; k++)
		if (a->top_key_lens[k] != b->top_key_lens[k] ||
		    memcmp(a->top_keys[k], b->top_keys[k], a->top_key_lens[k]) ||
		    a->top_keys[k][a->top_key_lens[k]])
			what = "a top-level key";
	if (what)
		snprintf(d->why, sizeof(d->why), "%s differs", what);
	return !what;
}

/* True if both readings agree; else d->why says where they part. */
static inline bool jsondiff_check(struct jsondiff *d, const char *text, size_t len)
{
	char ea[256] = "", eb[256] = "";
	unsigned long long before = flattener_counts(d->scan)->scanned;
	enum flatten_status sa = flattener_parse(d->scan, text, len, d->a, ea, sizeof(ea));
	enum flatten_status sb = flattener_parse(d->jsonc, text, len, d->b, eb, sizeof(eb));
	d->st = sb;
	d->scanned = flattener_counts(d->scan)->scanned != before;
	d->why[0] = '\0';
	if (sa != sb) {
		snprintf(d->why, sizeof(d->why), "status %d, json-c %d (%s)", sa, sb, eb);
		return false;
	}
	if (sa != FLATTEN_OK) {
		if (strcmp(ea, eb))
			snprintf(d->why, sizeof(d->why), "message '%s', json-c '%s'", ea, eb);
		return !strcmp(ea, eb);
	}
	return jsondiff_same_meta(d) && jsondiff_same_slots(d);
}

#endif
