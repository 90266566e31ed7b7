#include "export_parseable.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static char *join(const char *parent, const char *key)
{
	return parent ? xasprintf("%s_%s", parent, key) : xstrdup(key);
}

static bool has_object(struct json_object *arr)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (json_object_is_type(json_object_array_get_idx(arr, i), json_type_object))
			return true;
	return false;
}

static void flatten_object(struct json_object *out, const char *parent,
			   struct json_object *obj);

static struct json_object *nulls(size_t n)
{
	struct json_object *a = json_object_new_array_ext((int)n + 1);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, NULL);
	return a;
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Parseable collects the columns in a BTreeMap: they come out in key
 * order.  Returns false if an element is neither an object nor null. */
static bool flatten_array_objects(struct json_object *out, const char *parent,
				  struct json_object *arr)
{
	struct json_object *cols = json_object_new_object();
	size_t n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		struct json_object *el = json_object_array_get_idx(arr, i);
		if (el && !json_object_is_type(el, json_type_object)) {
			json_object_put(cols);
			return false;
		}
		struct json_object *flat = json_object_new_object();
		if (el)
			flatten_object(flat, parent, el);
		json_object_object_foreach(flat, k, v) {
			struct json_object *col;
			if (!json_object_object_get_ex(cols, k, &col)) {
				col = nulls(i);
				json_object_object_add(cols, k, col);
			}
			json_object_array_add(col, json_object_get(v));
		}
		json_object_put(flat);
		json_object_object_foreach(cols, k2, c2) {
			(void)k2;
			while (json_object_array_length(c2) < i + 1)
				json_object_array_add(c2, NULL);
		}
	}
	size_t nk = (size_t)json_object_object_length(cols), j = 0;
	char **keys = xcalloc(nk + 1, sizeof(char *));
	json_object_object_foreach(cols, k3, c3) {
		(void)c3;
		keys[j++] = k3;
	}
	qsort(keys, nk, sizeof(char *), cmp_keys);
	for (j = 0; j < nk; j++) {
		struct json_object *c;
		json_object_object_get_ex(cols, keys[j], &c);
		json_object_object_add(out, keys[j], json_object_get(c));
	}
	free(keys);
	json_object_put(cols);
	return true;
}

static void put(struct json_object *out, const char *key, struct json_object *v)
{
	if (key[0] == '@') {
		char *k = xasprintf("_%s", key + 1);
		json_object_object_add(out, k, json_object_get(v));
		free(k);
		return;
	}
	json_object_object_add(out, key, json_object_get(v));
}

static void flatten_object(struct json_object *out, const char *parent,
			   struct json_object *obj)
{
	json_object_object_foreach(obj, key, v) {
		char *k = join(parent, key);
		if (json_object_is_type(v, json_type_object))
			flatten_object(out, k, v);
		else if (!(json_object_is_type(v, json_type_array) && has_object(v) &&
			   flatten_array_objects(out, k, v)))
			put(out, k, v);
		free(k);
	}
}

struct json_object *export_parseable_flatten(struct json_object *ev)
{
	struct json_object *out = json_object_new_object();
	if (json_object_is_type(ev, json_type_object))
		flatten_object(out, NULL, ev);
	return out;
}
