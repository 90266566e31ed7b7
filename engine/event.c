#include "event.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "evdoc.h"
#include "xalloc.h"

event *event_new(void)
{
	event *ev = xcalloc(1, sizeof(*ev));
	ev->gen = 1;
	return ev;
}

void event_free(event **pev)
{
	event *ev = *pev;
	if (!ev)
		return;
	if (ev->root)
		json_object_put(ev->root);
	evdoc_unref(&ev->doc);
	free(ev->strings);
	free(ev->values);
	free(ev->slot_gen);
	free(ev->slot_first);
	free(ev->slot_last);
	free(ev->slot_count);
	free(ev);
	*pev = NULL;
}

static void grow_slots(event *ev, size_t nslots)
{
	ev->slot_gen = xrealloc(ev->slot_gen, nslots * sizeof(uint32_t));
	ev->slot_first = xrealloc(ev->slot_first, nslots * sizeof(int32_t));
	ev->slot_last = xrealloc(ev->slot_last, nslots * sizeof(int32_t));
	ev->slot_count = xrealloc(ev->slot_count, nslots * sizeof(uint32_t));
	memset(ev->slot_gen + ev->nslots, 0,
	       (nslots - ev->nslots) * sizeof(uint32_t));
	ev->nslots = nslots;
}

void event_reset(event *ev, size_t nslots)
{
	if (ev->root) {
		json_object_put(ev->root);
		ev->root = NULL;
	}
	evdoc_unref(&ev->doc);
	ev->text = NULL;
	ev->text_len = 0;
	ev->make_doc = NULL;
	ev->doc_src = NULL;
	if (nslots > ev->nslots)
		grow_slots(ev, nslots);
	if (++ev->gen == 0) { /* wrapped: clear so no stale slot matches */
		memset(ev->slot_gen, 0, ev->nslots * sizeof(uint32_t));
		ev->gen = 1;
	}
	ev->nvalues = 0;
	ev->truncated = false;
	ev->ntop_keys = 0;
	ev->top_keys_truncated = false;
	ev->kind = NULL;
	ev->kind_len = 0;
	ev->has_time = false;
	ev->time_ns = 0;
	ev->line = 0;
}

char *event_strings(event *ev, size_t n)
{
	if (n > ev->strings_cap) {
		free(ev->strings);
		ev->strings_cap = n < 4096 ? 4096 : n;
		ev->strings = xmalloc(ev->strings_cap);
	}
	return ev->strings;
}

struct evdoc *event_doc(const event *ev)
{
	event *e = (event *)ev; /* the cache is not part of the value */
	if (e->doc)
		return e->doc;
	if (e->root)
		e->doc = evdoc_from_json(json_object_get(e->root));
	else if (e->make_doc)
		e->doc = e->make_doc(e->doc_src);
	else if (e->text)
		e->doc = evdoc_from_text(e->text, e->text_len);
	return e->doc;
}

int event_add(event *ev, int slot, const value *v)
{
	if ((size_t)slot >= ev->nslots)
		return -1;
	if (ev->nvalues >= EVENT_MAX_VALUES) {
		ev->truncated = true;
		return -1;
	}
	ev->values = xgrow(ev->values, &ev->values_cap, ev->nvalues + 1,
			   sizeof(value));
	int32_t idx = (int32_t)ev->nvalues++;
	ev->values[idx] = *v;
	ev->values[idx].next = -1;
	if (ev->slot_gen[slot] != ev->gen) {
		ev->slot_gen[slot] = ev->gen;
		ev->slot_first[slot] = idx;
		ev->slot_count[slot] = 0;
	} else {
		ev->values[ev->slot_last[slot]].next = idx;
	}
	ev->slot_last[slot] = idx;
	ev->slot_count[slot]++;
	return 0;
}

/* number = [ "-" ] digits [ "." digits ] [ exponent ] */
static bool is_number_text(const char *s, size_t len, bool *integral)
{
	size_t i = 0;
	*integral = true;
	if (i < len && s[i] == '-')
		i++;
	size_t d0 = i;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == d0)
		return false;
	if (i < len && s[i] == '.') {
		*integral = false;
		size_t f0 = ++i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == f0)
			return false;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		*integral = false;
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t e0 = i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == e0)
			return false;
	}
	return i == len;
}

bool value_parse_number(const char *s, size_t len, value *v)
{
	bool integral;
	if (len == 0 || len > 400 || !is_number_text(s, len, &integral))
		return false;
	char buf[401];
	memcpy(buf, s, len);
	buf[len] = '\0';
	v->d = strtod(buf, NULL);
	v->is_number = 1;
	v->is_integer = 0;
	if (integral) {
		errno = 0;
		long long ll = strtoll(buf, NULL, 10);
		if (errno == 0) {
			v->i = ll;
			v->is_integer = 1;
		}
	} else if (isfinite(v->d) && fabs(v->d) < 9.2e18 &&
		   v->d == (double)(int64_t)v->d) {
		v->i = (int64_t)v->d;
		v->is_integer = 1;
	}
	return true;
}

void value_set_string(value *v, const char *s, size_t len)
{
	v->type = VALUE_STRING;
	v->str = s;
	v->len = (uint32_t)len;
	char c = len ? s[0] : 0;
	value num;
	if ((c == '-' || (c >= '0' && c <= '9')) && value_parse_number(s, len, &num)) {
		v->is_number = 1;
		v->is_integer = num.is_integer;
		v->i = num.i;
		v->d = num.d;
	}
}

void value_set_double(value *v, double d)
{
	v->type = VALUE_DOUBLE;
	v->is_number = 1;
	v->d = d;
	/* The range test comes first: casting a larger double is undefined. */
	if (isfinite(d) && fabs(d) < 9.2e18 && d == (double)(int64_t)d) {
		v->is_integer = 1;
		v->i = (int64_t)d;
	}
}
