#include "evtree.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "evdoc.h"
#include "xalloc.h"

struct evtree {
	evtree_node *nodes;
	size_t n, cap;
	char *text;
	size_t len, text_cap;
};

static void add_root(evtree *t)
{
	t->n = 1;
	t->len = 0;
	t->nodes[0] = (evtree_node){.kind = EVTREE_OBJECT, .first = EVTREE_NONE,
				    .last = EVTREE_NONE, .next = EVTREE_NONE};
}

evtree *evtree_new(void)
{
	evtree *t = xcalloc(1, sizeof(*t));
	t->nodes = xgrow(NULL, &t->cap, 64, sizeof(*t->nodes));
	t->text = xgrow(NULL, &t->text_cap, 1024, 1);
	add_root(t);
	return t;
}

void evtree_free(evtree **pt)
{
	evtree *t = *pt;
	if (!t)
		return;
	free(t->nodes);
	free(t->text);
	free(t);
	*pt = NULL;
}

void evtree_clear(evtree *t)
{
	add_root(t);
}

evtree *evtree_copy(const evtree *t)
{
	evtree *c = xcalloc(1, sizeof(*c));
	c->n = c->cap = t->n;
	c->len = c->text_cap = t->len;
	c->nodes = xmalloc(t->n * sizeof(*t->nodes));
	memcpy(c->nodes, t->nodes, t->n * sizeof(*t->nodes));
	c->text = xmalloc(t->len ? t->len : 1);
	memcpy(c->text, t->text, t->len);
	return c;
}

static uint32_t add_text(evtree *t, const char *s, size_t len)
{
	t->text = xgrow(t->text, &t->text_cap, t->len + len + 1, 1);
	uint32_t off = (uint32_t)t->len;
	memcpy(t->text + off, s, len);
	t->text[off + len] = '\0';
	t->len += len + 1;
	return off;
}

static int add_node(evtree *t, int parent, const char *key, enum evtree_kind kind)
{
	t->nodes = xgrow(t->nodes, &t->cap, t->n + 1, sizeof(*t->nodes));
	int id = (int)t->n++;
	evtree_node *nd = &t->nodes[id];
	*nd = (evtree_node){.kind = (uint8_t)kind, .first = EVTREE_NONE,
			    .last = EVTREE_NONE, .next = EVTREE_NONE};
	if (key) {
		size_t kl = strlen(key);
		nd->key = add_text(t, key, kl);
		nd->key_len = (uint32_t)kl;
		nd->has_key = 1;
	}
	evtree_node *p = &t->nodes[parent];
	if (p->last == EVTREE_NONE)
		p->first = id;
	else
		t->nodes[p->last].next = id;
	p->last = id;
	return id;
}

int evtree_object(evtree *t, int parent, const char *key)
{
	return add_node(t, parent, key, EVTREE_OBJECT);
}

int evtree_array(evtree *t, int parent, const char *key)
{
	return add_node(t, parent, key, EVTREE_ARRAY);
}

int evtree_string(evtree *t, int parent, const char *key, const char *s, size_t len)
{
	int id = add_node(t, parent, key, EVTREE_STRING);
	uint32_t off = add_text(t, s, len);
	t->nodes[id].str = off;
	t->nodes[id].len = (uint32_t)len;
	return id;
}

int evtree_int(evtree *t, int parent, const char *key, int64_t v)
{
	int id = add_node(t, parent, key, EVTREE_INT);
	t->nodes[id].i = v;
	return id;
}

const evtree_node *evtree_node_at(const evtree *t, int id)
{
	return id >= 0 && (size_t)id < t->n ? &t->nodes[id] : NULL;
}

const char *evtree_text(const evtree *t, uint32_t off)
{
	return t->text + off;
}

struct json_object *evtree_json(const evtree *t, int id)
{
	const evtree_node *nd = &t->nodes[id];
	struct json_object *o;
	switch (nd->kind) {
	case EVTREE_STRING:
		return json_object_new_string_len(t->text + nd->str, (int)nd->len);
	case EVTREE_INT:
		return json_object_new_int64(nd->i);
	case EVTREE_ARRAY:
		o = json_object_new_array();
		for (int c = nd->first; c != EVTREE_NONE; c = t->nodes[c].next)
			json_object_array_add(o, evtree_json(t, c));
		return o;
	default:
		o = json_object_new_object();
		for (int c = nd->first; c != EVTREE_NONE; c = t->nodes[c].next)
			json_object_object_add(o, t->text + t->nodes[c].key, evtree_json(t, c));
		return o;
	}
}

static struct json_object *build(const void *data)
{
	return evtree_json(data, EVTREE_ROOT);
}

static void release(void *data)
{
	evtree *t = data;
	evtree_free(&t);
}

struct evdoc *evtree_doc(const void *t)
{
	return evdoc_from_builder(build, release, evtree_copy(t));
}
