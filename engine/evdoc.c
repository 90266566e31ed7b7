#include "evdoc.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "xalloc.h"

/* As the flattener's tokener: nesting it accepts. */
#define EVDOC_MAX_DEPTH 64

struct evdoc {
	unsigned refs;
	bool built;
	struct json_object *root;
	const char *text;
	size_t len;
	struct json_object *(*build)(const void *data);
	void (*release)(void *data);
	void *data;
	char buf[];              /* a text document's text */
};

evdoc *evdoc_from_json(struct json_object *root)
{
	evdoc *d = xcalloc(1, sizeof(*d));
	d->refs = 1;
	d->built = true;
	d->root = root;
	return d;
}

evdoc *evdoc_from_text(const char *text, size_t len)
{
	evdoc *d = xmalloc(sizeof(*d) + len + 1);
	memset(d, 0, sizeof(*d));
	d->refs = 1;
	memcpy(d->buf, text, len);
	d->buf[len] = '\0';
	d->text = d->buf;
	d->len = len;
	return d;
}

evdoc *evdoc_from_builder(struct json_object *(*build)(const void *data),
			  void (*release)(void *data), void *data)
{
	evdoc *d = xcalloc(1, sizeof(*d));
	d->refs = 1;
	d->build = build;
	d->release = release;
	d->data = data;
	return d;
}

evdoc *evdoc_ref(evdoc *d)
{
	if (d)
		d->refs++;
	return d;
}

void evdoc_unref(evdoc **pd)
{
	evdoc *d = *pd;
	*pd = NULL;
	if (!d || --d->refs)
		return;
	json_object_put(d->root);
	if (d->release)
		d->release(d->data);
	free(d);
}

static struct json_object *parse_text(const char *text, size_t len)
{
	if (len > INT_MAX)
		return NULL;
	json_tokener *tok = json_tokener_new_ex(EVDOC_MAX_DEPTH);
	if (!tok)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	struct json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

struct json_object *evdoc_json(evdoc *d)
{
	if (!d)
		return NULL;
	if (!d->built) {
		d->built = true;
		d->root = d->build ? d->build(d->data) : parse_text(d->text, d->len);
	}
	return d->root;
}
