#include "render.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* The output grows up to RENDER_MAX_LEN and then stops taking text. */
struct out {
	char *buf;
	size_t len, cap;
	bool full;
};

size_t render_utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	size_t n = max;
	/* Step back over continuation bytes to the start of a sequence. */
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

static void out_add(struct out *o, const char *s, size_t n)
{
	static const char ellipsis[] = "...";
	const size_t room_for = RENDER_MAX_LEN - (sizeof(ellipsis) - 1);

	if (o->full)
		return;
	if (o->len + n > room_for) {
		n = render_utf8_cut(s, n, room_for - o->len);
		o->full = true;
	}
	o->buf = xgrow(o->buf, &o->cap, o->len + n + sizeof(ellipsis), 1);
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	if (o->full) {
		memcpy(o->buf + o->len, ellipsis, sizeof(ellipsis) - 1);
		o->len += sizeof(ellipsis) - 1;
	}
	o->buf[o->len] = '\0';
}

/* Shortest %g text that reads back as the same double. */
static size_t double_text(double d, char *buf, size_t bufsize)
{
	int n = 0;
	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(buf, bufsize, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	return n < 0 ? 0 : ((size_t)n < bufsize ? (size_t)n : bufsize - 1);
}

size_t render_value(const value *v, char *buf, size_t bufsize)
{
	int n;

	if (bufsize == 0)
		return 0;
	switch (v->type) {
	case VALUE_STRING: {
		size_t len = strnlen(v->str, v->len);
		len = render_utf8_cut(v->str, len, bufsize - 1);
		memcpy(buf, v->str, len);
		buf[len] = '\0';
		return len;
	}
	case VALUE_INT:
		n = snprintf(buf, bufsize, "%" PRId64, v->i);
		break;
	case VALUE_DOUBLE:
		return double_text(v->d, buf, bufsize);
	case VALUE_BOOL:
		n = snprintf(buf, bufsize, "%s", v->i ? "true" : "false");
		break;
	default:
		buf[0] = '\0';
		return 0;
	}
	return n < 0 ? 0 : ((size_t)n < bufsize ? (size_t)n : bufsize - 1);
}

/* Appends every value of `slot` joined with ", ".  False if absent. */
static bool add_field(struct out *o, const event *ev, int slot)
{
	char num[64];
	const value *v = slot < 0 ? NULL : event_first(ev, slot);

	if (!v)
		return false;
	for (bool first = true; v; v = event_next(ev, v), first = false) {
		if (!first)
			out_add(o, ", ", 2);
		if (v->type == VALUE_STRING)
			out_add(o, v->str, strnlen(v->str, v->len));
		else
			out_add(o, num, render_value(v, num, sizeof(num)));
	}
	return true;
}

char *render_message(const char *tmpl, const event *ev, const field_table *ft)
{
	struct out o = { 0 };
	const char *p = tmpl ? tmpl : "";

	out_add(&o, "", 0);
	while (*p && !o.full) {
		const char *open = strchr(p, '{');
		if (!open) {
			out_add(&o, p, strlen(p));
			break;
		}
		out_add(&o, p, (size_t)(open - p));
		size_t namelen = strcspn(open + 1, "}\n");
		if (open[1 + namelen] != '}') {
			/* No closing brace on this line: a literal '{'. */
			out_add(&o, "{", 1);
			p = open + 1;
			continue;
		}
		int slot = ft ? field_table_lookup(ft, open + 1, namelen) : -1;
		if (!ev || !add_field(&o, ev, slot))
			out_add(&o, open, namelen + 2);
		p = open + namelen + 2;
	}
	return o.buf;
}
