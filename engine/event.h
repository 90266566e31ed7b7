/* event — one event's materialised fields, addressed by slot.
 *
 * An event holds only the fields that the loaded rule set refers to (slots
 * from a field_table).  A slot holds zero or more values in document order:
 * zero means absent, more than one means a multi-valued field (arrays, or
 * two paths flattening to one name; DESIGN §3.2).
 *
 * Ownership: string values point into memory owned by whoever filled the
 * event: the parsed JSON kept in `root`, or the event's own `strings`
 * (text scanned on demand), both alive until the next event_reset.  The
 * event owns its arrays.  Reset is O(1): slots are valid only when their
 * generation matches the event's.
 *
 * The whole document is not needed to evaluate rules.  event_doc gives a
 * counted reference to it for later (a notification carrying the event),
 * made from `root`, the text the event was read from, or its source's
 * builder, whichever the event has. */
#ifndef BPFALERT_EVENT_H
#define BPFALERT_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;
struct evdoc;

enum value_type { VALUE_STRING, VALUE_INT, VALUE_DOUBLE, VALUE_BOOL };

typedef struct value {
	const char *str;    /* VALUE_STRING: NUL-terminated text; else NULL */
	uint32_t len;       /* length of str */
	uint8_t type;       /* enum value_type */
	uint8_t is_number;  /* INT, DOUBLE, or a STRING that is wholly a number */
	uint8_t is_integer; /* the number is exactly `i` */
	int64_t i;          /* INT, integral numeric STRING, BOOL (0/1) */
	double d;           /* every number, as a double */
	int32_t next;       /* index of the slot's next value; -1 at the end */
} value;

/* A hard cap on values per event: hostile input cannot grow memory. */
#define EVENT_MAX_VALUES 65536
#define EVENT_MAX_TOP_KEYS 16

typedef struct event {
	value *values;
	size_t nvalues, values_cap;
	uint32_t *slot_gen;
	int32_t *slot_first, *slot_last;
	uint32_t *slot_count;
	size_t nslots;
	uint32_t gen;
	bool truncated;          /* EVENT_MAX_VALUES was reached */

	/* Top-level keys, for the rule set's prefilter (DESIGN §4.4).  The
	 * kind is the first top-level key whose value is an object. */
	const char *top_keys[EVENT_MAX_TOP_KEYS];
	uint32_t top_key_lens[EVENT_MAX_TOP_KEYS];
	size_t ntop_keys;
	bool top_keys_truncated; /* more than EVENT_MAX_TOP_KEYS keys */
	const char *kind;        /* NULL if none */
	size_t kind_len;

	int64_t time_ns;         /* from "time", RFC 3339; valid if has_time */
	bool has_time;
	size_t line;             /* input line number, 1-based; 0 if none */
	struct json_object *root; /* parsed document, owned; NULL if none */

	/* Where the whole document can be had from, for event_doc. */
	const char *text;        /* JSON text read, borrowed: valid while the
				    event is evaluated; NULL if none */
	size_t text_len;
	struct evdoc *(*make_doc)(const void *src); /* a builder's source */
	const void *doc_src;     /* borrowed, like text */
	struct evdoc *doc;       /* made by event_doc, owned; NULL until then */

	char *strings;           /* decoded strings of a scanned text */
	size_t strings_cap;
} event;

event *event_new(void);
void event_free(event **ev);
/* Forgets every value and releases `root` and `doc`; makes room for
 * `nslots` slots. */
void event_reset(event *ev, size_t nslots);
/* Room for `n` bytes of decoded strings; call before filling (the values
 * point into it, so it never moves while they are used). */
char *event_strings(event *ev, size_t n);
/* The event's document (a reference the event keeps; take another with
 * evdoc_ref to keep it), made on first use from what the event has (a
 * text is copied then, so call it while the text is valid); NULL if it
 * has nothing.  Only the cache in `ev` changes. */
struct evdoc *event_doc(const event *ev);
/* Appends a value to `slot`.  Returns 0, or -1 if EVENT_MAX_VALUES was
 * reached (ev->truncated is then set and the value dropped). */
int event_add(event *ev, int slot, const value *v);

static inline bool event_has(const event *ev, int slot)
{
	return (size_t)slot < ev->nslots && ev->slot_gen[slot] == ev->gen;
}

static inline const value *event_first(const event *ev, int slot)
{
	return event_has(ev, slot) ? &ev->values[ev->slot_first[slot]] : NULL;
}

static inline const value *event_next(const event *ev, const value *v)
{
	return v->next < 0 ? NULL : &ev->values[v->next];
}

static inline size_t event_count(const event *ev, int slot)
{
	return event_has(ev, slot) ? ev->slot_count[slot] : 0;
}

/* Fills `v` from a number's text (DESIGN §4.1 number grammar, whole string).
 * Returns true if `s` is wholly a number. Used for numeric strings. */
bool value_parse_number(const char *s, size_t len, value *v);
/* A string value s[0..len) (NUL-terminated); also a number when wholly
 * one, as Tetragon writes 64-bit integers as strings. */
void value_set_string(value *v, const char *s, size_t len);
/* A double value; also exactly `i` when d is integral and in range. */
void value_set_double(value *v, double d);

#endif
