/* Differential fuzzing of the on-demand JSON scanner against json-c: each
 * input is flattened by both (jsondiff.h) with the field names of its own
 * document interned (as far as json-c can read it) besides a fixed set, so
 * the values compared are the ones the input holds.  Any difference in
 * verdict, message, byte offset or value aborts.
 *
 * Seeds: scripts/fuzz-seeds gathers every JSON input the tests, the test
 * data and the other harnesses' corpora have. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jsondiff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_NAMES 96
#define MAX_PATH 256

static const char *const fixed[] = {
	"a", "a_b", "a_0", "a_0_b", "a_b_0", "k", "k_0_0", "time", "node_name",
	"process_exec_process_binary", "process_kprobe_args_file_arg_path",
	"process_kprobe_args_0_file_arg_path",
};

struct names {
	field_table *ft;
	size_t n;
};

static void add(struct names *nm, const char *p, size_t len)
{
	if (nm->n < MAX_NAMES && len > 0) {
		field_table_intern(nm->ft, p, len);
		nm->n++;
	}
}

/* Interns the flattened paths of o (under the path p[0..len)), every
 * other one, so prefixes that lead nowhere are walked too. */
static void collect(struct names *nm, struct json_object *o, char *p, size_t len, int depth)
{
	if (depth > 8 || nm->n >= MAX_NAMES)
		return;
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			size_t kl = strlen(k), n = len + (len > 0) + kl;
			if (n >= MAX_PATH)
				continue;
			if (len)
				p[len] = '_';
			memcpy(p + len + (len > 0), k, kl);
			if ((nm->n + kl) % 2 == 0)
				add(nm, p, n);
			collect(nm, v, p, n, depth + 1);
		}
	} else if (json_object_is_type(o, json_type_array)) {
		size_t n = json_object_array_length(o);
		for (size_t i = 0; i < n && i < 4; i++) {
			int w = snprintf(p + len, MAX_PATH - len, "_%zu", i);
			if (w > 0 && len + (size_t)w < MAX_PATH) {
				add(nm, p, len + (size_t)w);
				collect(nm, json_object_array_get_idx(o, i), p, len + (size_t)w, depth + 1);
			}
			collect(nm, json_object_array_get_idx(o, i), p, len, depth + 1);
		}
	} else if (len) {
		add(nm, p, len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct names nm = {.ft = field_table_new()};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		add(&nm, fixed[i], strlen(fixed[i]));
	if (size < INT_MAX) {
		json_tokener *tok = json_tokener_new_ex(64);
		struct json_object *doc = json_tokener_parse_ex(tok, text, (int)size);
		char path[MAX_PATH];
		collect(&nm, doc, path, 0, 0);
		json_object_put(doc);
		json_tokener_free(tok);
	}
	struct jsondiff d;
	jsondiff_init(&d, nm.ft);
	if (!jsondiff_check(&d, text, size)) {
		fprintf(stderr, "jsondiff: %s\n", d.why);
		abort();
	}
	jsondiff_fini(&d);
	field_table_free(&nm.ft);
	return 0;
}
