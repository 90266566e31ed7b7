/* Flattening of JSON events into slot-addressed fields (DESIGN §3.2). */
#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "evdoc.h"
#include "event.h"
#include "fields.h"
#include "flatten.h"
#include "testutil.h"
#include "timefmt.h"
#include "xalloc.h"

static field_table *ft;
static flattener *fl;
static event *ev;
static char err[256];

static void setup(void)
{
	ft = field_table_new();
	fl = flattener_new(ft);
	ev = event_new();
	err[0] = '\0';
}

static void teardown(void)
{
	event_free(&ev);
	flattener_free(&fl);
	field_table_free(&ft);
}

static int intern(const char *name)
{
	return field_table_intern(ft, name, strlen(name));
}

static enum flatten_status parse(const char *json)
{
	return flattener_parse(fl, json, strlen(json), ev, err, sizeof(err));
}

static void flat(const char *json)
{
	enum flatten_status st = parse(json);
	ck_assert_msg(st == FLATTEN_OK, "status %d (%s) for %s", st, err, json);
}

/* Every value of a field as text, joined by "|"; "<absent>" if none. */
static const char *vals(const char *name)
{
	static char buf[4096];
	int slot = field_table_lookup(ft, name, strlen(name));
	ck_assert_msg(slot >= 0, "%s was never interned", name);
	if (!event_has(ev, slot))
		return "<absent>";
	size_t n = 0;
	buf[0] = '\0';
	for (const value *v = event_first(ev, slot); v; v = event_next(ev, v)) {
		if (n)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "|");
		switch (v->type) {
		case VALUE_STRING:
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", v->str);
			break;
		case VALUE_INT:
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%" PRId64, v->i);
			break;
		case VALUE_DOUBLE:
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%.17g", v->d);
			break;
		case VALUE_BOOL:
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s",
					      v->i ? "true" : "false");
			break;
		}
		ck_assert_uint_lt(n, sizeof(buf));
	}
	return buf;
}

static const value *first(const char *name)
{
	const value *v = event_first(ev, field_table_lookup(ft, name, strlen(name)));
	ck_assert_msg(v != NULL, "%s is absent", name);
	return v;
}

static void intern_all(const char *const *names)
{
	for (; *names; names++)
		intern(*names);
}

/* ---- names ---- */

START_TEST(nested_objects_join_keys_with_underscore)
{
	intern("process_exec_process_arguments");
	intern("process_exec_process_pid");
	intern("node_name");
	flat("{\"process_exec\":{\"process\":{\"arguments\":\"x\",\"pid\":7}},"
	     "\"node_name\":\"n1\"}");
	ck_assert_str_eq(vals("process_exec_process_arguments"), "x");
	ck_assert_str_eq(vals("process_exec_process_pid"), "7");
	ck_assert_str_eq(vals("node_name"), "n1");
	ck_assert_uint_eq(ev->nvalues, 3);
}
END_TEST

START_TEST(array_elements_indexed_and_index_free)
{
	static const char *const names[] = {"a_0_b", "a_1_b", "a_2_b", "a_b",
					    "t", "t_0", "t_1", "t_2", NULL};
	intern_all(names);
	flat("{\"a\":[{\"b\":\"x\"},{\"b\":\"y\"}],\"t\":[\"p\",null,\"q\"]}");
	ck_assert_str_eq(vals("a_0_b"), "x");
	ck_assert_str_eq(vals("a_1_b"), "y");
	ck_assert_str_eq(vals("a_2_b"), "<absent>");
	ck_assert_str_eq(vals("a_b"), "x|y");
	ck_assert_int_eq(event_count(ev, intern("a_b")), 2);
	/* null elements are absent but keep their index */
	ck_assert_str_eq(vals("t"), "p|q");
	ck_assert_str_eq(vals("t_0"), "p");
	ck_assert_str_eq(vals("t_1"), "<absent>");
	ck_assert_str_eq(vals("t_2"), "q");
}
END_TEST

START_TEST(nested_arrays_any_subset_of_indices)
{
	static const char *const names[] = {
		"a_0_b_1", "a_0_b", "a_b_1", "a_b", "a_1_b_0", "a_b_0",
		"a_1_b_1", "a_1_b", NULL};
	intern_all(names);
	flat("{\"a\":[{\"b\":[1,2]},{\"b\":[3]}]}");
	ck_assert_str_eq(vals("a_0_b_1"), "2");
	ck_assert_str_eq(vals("a_0_b"), "1|2");
	ck_assert_str_eq(vals("a_b_1"), "2");
	ck_assert_str_eq(vals("a_b"), "1|2|3");
	ck_assert_str_eq(vals("a_1_b_0"), "3");
	ck_assert_str_eq(vals("a_b_0"), "1|3");
	ck_assert_str_eq(vals("a_1_b_1"), "<absent>");
	ck_assert_str_eq(vals("a_1_b"), "3");
}
END_TEST

START_TEST(arrays_directly_in_arrays)
{
	/* m_1 is both "outer element 1" (3) and "inner element 1 of any outer
	 * element" (2): leaving out any subset of indices gives both. */
	static const char *const names[] = {"m", "m_0_1", "m_1", "m_1_0", NULL};
	intern_all(names);
	flat("{\"m\":[[1,2],[3]]}");
	ck_assert_str_eq(vals("m"), "1|2|3");
	ck_assert_str_eq(vals("m_0_1"), "2");
	ck_assert_str_eq(vals("m_1_0"), "3");
	ck_assert_str_eq(vals("m_1"), "2|3");
}
END_TEST

START_TEST(keys_kept_verbatim)
{
	static const char *const names[] = {
		"l_app.kubernetes.io/name", "l_a/b", "l_ünï", "l_sp ace",
		"l_a.b", "l_a", "l_", NULL};
	intern_all(names);
	flat("{\"l\":{\"app.kubernetes.io/name\":\"tf\",\"a/b\":1,"
	     "\"\\u00fcn\\u00ef\":\"u\",\"sp ace\":true,\"a.b\":\"dot\","
	     "\"\":\"empty\"}}");
	ck_assert_str_eq(vals("l_app.kubernetes.io/name"), "tf");
	ck_assert_str_eq(vals("l_a/b"), "1");
	ck_assert_str_eq(vals("l_ünï"), "u");
	ck_assert_str_eq(vals("l_sp ace"), "true");
	ck_assert_str_eq(vals("l_a.b"), "dot");
	ck_assert_str_eq(vals("l_a"), "<absent>");
	ck_assert_str_eq(vals("l_"), "empty");
}
END_TEST

START_TEST(keys_with_underscores_and_empty_keys)
{
	/* Key boundaries may fall at any '_': all these reach "x_y_z". */
	intern("x_y_z");
	flat("{\"x_y_z\":1,\"x\":{\"y_z\":2,\"y\":{\"z\":3}},\"x_y\":{\"z\":4}}");
	ck_assert_str_eq(vals("x_y_z"), "1|2|3|4");
	/* "_k" is the top-level key "" then "k", or the key "_k" */
	intern("_k");
	flat("{\"\":{\"k\":\"a\"},\"_k\":\"b\"}");
	ck_assert_str_eq(vals("_k"), "a|b");
}
END_TEST

START_TEST(multi_digit_indices_and_empty_segments)
{
	static const char *const names[] = {"t_10", "t_1", "t_11", "t_1_0",
					    "a__b", "a_", "a__", NULL};
	intern_all(names);
	flat("{\"t\":[0,1,2,3,4,5,6,7,8,9,10,11],"
	     "\"a\":{\"\":{\"b\":1,\"\":\"e\"},\"_b\":2},\"a_\":{\"b\":3},"
	     "\"a_\":\"dup keys: the last one wins\"}");
	ck_assert_str_eq(vals("t_10"), "10");
	ck_assert_str_eq(vals("t_1"), "1");
	ck_assert_str_eq(vals("t_11"), "11");
	ck_assert_str_eq(vals("t_1_0"), "<absent>");
	ck_assert_str_eq(vals("a__b"), "1|2");
	ck_assert_str_eq(vals("a_"), "dup keys: the last one wins");
	ck_assert_str_eq(vals("a__"), "e"); /* "a", "", "" */
}
END_TEST

START_TEST(null_is_absent)
{
	intern("a");
	intern("b");
	intern("c_d");
	flat("{\"a\":null,\"b\":\"\",\"c\":null}");
	ck_assert_str_eq(vals("a"), "<absent>");
	ck_assert(event_has(ev, intern("b"))); /* an empty string is present */
	ck_assert_str_eq(vals("b"), "");
	ck_assert_str_eq(vals("c_d"), "<absent>");
	ck_assert_uint_eq(ev->nvalues, 1);
}
END_TEST

START_TEST(colliding_paths_are_one_field_in_document_order)
{
	intern("a_b");
	flat("{\"a_b\":1,\"a\":{\"b\":2}}");
	ck_assert_str_eq(vals("a_b"), "1|2");
	flat("{\"a\":{\"b\":2},\"a_b\":1}");
	ck_assert_str_eq(vals("a_b"), "2|1");
}
END_TEST

START_TEST(containers_are_not_values)
{
	intern("o");
	intern("arr");
	intern("o_k");
	flat("{\"o\":{\"k\":1},\"arr\":[{\"k\":1},[]]}");
	ck_assert_str_eq(vals("o"), "<absent>");
	ck_assert_str_eq(vals("arr"), "<absent>");
	ck_assert_str_eq(vals("o_k"), "1");
	/* a scalar where a prefix was expected is not walked into */
	flat("{\"o\":5}");
	ck_assert_str_eq(vals("o"), "5");
	ck_assert_str_eq(vals("o_k"), "<absent>");
}
END_TEST

/* ---- values ---- */

START_TEST(numeric_strings)
{
	static const char *const names[] = {"s_int", "s_neg", "s_frac", "s_exp",
					    "s_word", "s_mixed", "s_empty",
					    "s_space", "s_hex", "s_big", NULL};
	intern_all(names);
	flat("{\"s\":{\"int\":\"1277\",\"neg\":\"-42\",\"frac\":\"2.5\","
	     "\"exp\":\"1e3\",\"word\":\"abc\",\"mixed\":\"12ab\",\"empty\":\"\","
	     "\"space\":\" 12\",\"hex\":\"0x10\","
	     "\"big\":\"123456789012345678901234567890\"}}");
	const value *v = first("s_int");
	ck_assert_int_eq(v->type, VALUE_STRING);
	ck_assert_str_eq(v->str, "1277");
	ck_assert_uint_eq(v->len, 4);
	ck_assert(v->is_number && v->is_integer);
	ck_assert_int_eq(v->i, 1277);
	ck_assert(v->d == 1277.0);
	v = first("s_neg");
	ck_assert(v->is_number && v->is_integer && v->i == -42);
	v = first("s_frac");
	ck_assert(v->is_number && !v->is_integer && v->d == 2.5);
	v = first("s_exp");
	ck_assert(v->is_number && v->d == 1000.0);
	v = first("s_big");
	ck_assert(v->is_number && !v->is_integer && v->d > 1.2e29);
	static const char *const nonnum[] = {"s_word", "s_mixed", "s_empty",
					     "s_space", "s_hex"};
	for (size_t i = 0; i < 5; i++) {
		v = first(nonnum[i]);
		ck_assert_int_eq(v->type, VALUE_STRING);
		ck_assert_msg(!v->is_number, "%s is a number", nonnum[i]);
	}
}
END_TEST

START_TEST(integers_and_uint64)
{
	static const char *const names[] = {"i", "n", "max", "min", "u", NULL};
	intern_all(names);
	flat("{\"i\":42,\"n\":-7,\"max\":9223372036854775807,"
	     "\"min\":-9223372036854775808,\"u\":18446744073709551615}");
	const value *v = first("i");
	ck_assert_int_eq(v->type, VALUE_INT);
	ck_assert(v->is_number && v->is_integer && v->i == 42 && v->d == 42.0);
	ck_assert_ptr_null(v->str);
	ck_assert_int_eq(first("n")->i, -7);
	v = first("max");
	ck_assert_int_eq(v->type, VALUE_INT);
	ck_assert(v->is_integer && v->i == INT64_MAX);
	v = first("min");
	ck_assert(v->is_integer && v->i == INT64_MIN);
	v = first("u");
	ck_assert_int_eq(v->type, VALUE_DOUBLE);
	ck_assert(v->is_number && !v->is_integer);
	ck_assert(v->d == 18446744073709551615.0);
}
END_TEST

START_TEST(doubles)
{
	static const char *const names[] = {"f", "g", "h", "k", NULL};
	intern_all(names);
	flat("{\"f\":1.5,\"g\":2.0,\"h\":1e300,\"k\":-3e2}");
	const value *v = first("f");
	ck_assert_int_eq(v->type, VALUE_DOUBLE);
	ck_assert(v->is_number && !v->is_integer && v->d == 1.5);
	v = first("g");
	ck_assert(v->is_number && v->is_integer && v->i == 2);
	v = first("h");
	ck_assert(v->is_number && !v->is_integer && v->d == 1e300);
	v = first("k");
	ck_assert(v->is_integer && v->i == -300);
}
END_TEST

START_TEST(booleans)
{
	intern("t");
	intern("f");
	flat("{\"t\":true,\"f\":false}");
	const value *v = first("t");
	ck_assert_int_eq(v->type, VALUE_BOOL);
	ck_assert(v->i == 1 && !v->is_number);
	v = first("f");
	ck_assert(v->type == VALUE_BOOL && v->i == 0 && !v->is_number);
}
END_TEST

START_TEST(strings_with_nul)
{
	intern("s");
	flat("{\"s\":\"a\\u0000b\"}");
	const value *v = first("s");
	ck_assert_uint_eq(v->len, 3);
	ck_assert(!memcmp(v->str, "a\0b", 4));
	ck_assert(!v->is_number);
}
END_TEST

/* ---- only interned names ---- */

START_TEST(only_interned_fields_are_materialised)
{
	intern("process_exec_process_binary");
	flat("{\"process_exec\":{\"process\":{\"binary\":\"/bin/sh\","
	     "\"pid\":1,\"uid\":0,\"arguments\":\"-c x\","
	     "\"pod\":{\"name\":\"p\",\"labels\":[1,2,3]}},"
	     "\"parent\":{\"binary\":\"/bin/bash\",\"pid\":0}},"
	     "\"node_name\":\"n\",\"time\":\"2023-11-16T02:33:50Z\"}");
	ck_assert_uint_eq(ev->nvalues, 1);
	ck_assert_str_eq(vals("process_exec_process_binary"), "/bin/sh");
	ck_assert_uint_eq(ev->nslots, field_table_count(ft));
}
END_TEST

START_TEST(reindexes_after_more_names_are_interned)
{
	const char *doc = "{\"a\":{\"b\":1,\"c\":[2,3]},\"d\":\"x\"}";
	intern("a_b");
	flat(doc);
	ck_assert_uint_eq(ev->nvalues, 1);
	intern("a_c");
	intern("d");
	flat(doc);
	ck_assert_uint_eq(ev->nvalues, 4);
	ck_assert_str_eq(vals("a_b"), "1");
	ck_assert_str_eq(vals("a_c"), "2|3");
	ck_assert_str_eq(vals("d"), "x");
	/* an event is valid for more slots than the table had when created */
	ck_assert_uint_ge(ev->nslots, 3);
}
END_TEST

START_TEST(empty_table_materialises_nothing)
{
	flat("{\"a\":{\"b\":1},\"time\":\"2023-11-16T02:33:50Z\"}");
	ck_assert_uint_eq(ev->nvalues, 0);
	ck_assert(ev->has_time);
	ck_assert_str_eq(ev->kind, "a");
}
END_TEST

START_TEST(long_paths)
{
	/* a name at the path cap works; longer ones are never materialised */
	size_t n = 4096;
	char *key = xmalloc(n + 1);
	memset(key, 'k', n);
	key[n] = '\0';
	char *name = xasprintf("o_%.*s", (int)(n - 2), key);
	char *longname = xasprintf("o_%s", key);
	intern(name);
	intern(longname);
	char *doc = xasprintf("{\"o\":{\"%.*s\":1,\"%s\":2}}", (int)(n - 2), key, key);
	flat(doc);
	ck_assert_str_eq(vals(name), "1");
	ck_assert_str_eq(vals(longname), "<absent>");
	free(doc);
	free(name);
	free(longname);
	free(key);
}
END_TEST

/* ---- metadata ---- */

START_TEST(top_keys_kind_and_time)
{
	flat("{\"node_name\":\"n\",\"process_exit\":{\"status\":1},"
	     "\"time\":\"2023-11-16T02:33:50.429221745Z\",\"process_x\":{}}");
	ck_assert_uint_eq(ev->ntop_keys, 4);
	ck_assert(!ev->top_keys_truncated);
	ck_assert_str_eq(ev->top_keys[0], "node_name");
	ck_assert_uint_eq(ev->top_key_lens[0], 9);
	ck_assert_str_eq(ev->top_keys[1], "process_exit");
	ck_assert_str_eq(ev->top_keys[2], "time");
	ck_assert_str_eq(ev->top_keys[3], "process_x");
	ck_assert_str_eq(ev->kind, "process_exit");
	ck_assert_uint_eq(ev->kind_len, 12);
	ck_assert(ev->has_time);
	int64_t want;
	ck_assert_int_eq(timefmt_parse("2023-11-16T02:33:50.429221745Z", 30, &want), 0);
	ck_assert_int_eq(ev->time_ns, want);
	/* the whole document, built when asked for */
	struct json_object *doc = evdoc_json(event_doc(ev));
	ck_assert(json_object_object_get_ex(doc, "process_exit", NULL));
}
END_TEST

START_TEST(metadata_edge_cases)
{
	/* no object value: no kind; unparseable or non-string time: none */
	flat("{\"a\":1,\"time\":\"yesterday\"}");
	ck_assert_ptr_null(ev->kind);
	ck_assert(!ev->has_time);
	flat("{\"time\":1700000000}");
	ck_assert(!ev->has_time);
	/* a "time" below the top level is not the event's time */
	flat("{\"k\":{\"time\":\"2023-11-16T02:33:50Z\"}}");
	ck_assert(!ev->has_time);
	/* more keys than EVENT_MAX_TOP_KEYS */
	char doc[1024] = "{";
	for (int i = 0; i < EVENT_MAX_TOP_KEYS + 3; i++)
		snprintf(doc + strlen(doc), sizeof(doc) - strlen(doc), "%s\"k%d\":%d",
			 i ? "," : "", i, i);
	strcat(doc, "}");
	flat(doc);
	ck_assert_uint_eq(ev->ntop_keys, EVENT_MAX_TOP_KEYS);
	ck_assert(ev->top_keys_truncated);
	ck_assert_str_eq(ev->top_keys[EVENT_MAX_TOP_KEYS - 1], "k15");
	/* and the next event starts afresh */
	flat("{\"only\":{}}");
	ck_assert_uint_eq(ev->ntop_keys, 1);
	ck_assert(!ev->top_keys_truncated);
	ck_assert_str_eq(ev->kind, "only");
}
END_TEST

/* ---- errors ---- */

START_TEST(bad_json_is_reported_with_offset)
{
	intern("a");
	flat("{\"a\":1}");
	ck_assert_uint_eq(ev->nvalues, 1);

	ck_assert_int_eq(parse("{\"a\":1,\"b\":"), FLATTEN_BAD_JSON);
	ck_assert_str_eq(err, "truncated JSON: unexpected end of input at byte 11");
	/* a failed parse leaves no trace of the previous event */
	ck_assert_uint_eq(ev->nvalues, 0);
	ck_assert(!event_has(ev, intern("a")));
	ck_assert_ptr_null(ev->root);

	ck_assert_int_eq(parse("{\"a\":1,,}"), FLATTEN_BAD_JSON);
	ck_assert_str_eq(err, "invalid JSON at byte 7: quoted object property name expected");
	ck_assert_int_eq(parse("{\"a\":1} x"), FLATTEN_BAD_JSON);
	ck_assert_msg(strstr(err, "at byte 8") != NULL, "%s", err);
	ck_assert_int_eq(parse("{\"a\":1}{\"a\":2}"), FLATTEN_BAD_JSON);
	ck_assert_msg(strstr(err, "at byte 7") != NULL, "%s", err);
	ck_assert_int_eq(parse("{\"a\":tru}"), FLATTEN_BAD_JSON);
	ck_assert_int_eq(parse("{\"a\":\"x"), FLATTEN_BAD_JSON);
	ck_assert_msg(strncmp(err, "truncated JSON", 14) == 0, "%s", err);
	ck_assert_int_eq(parse(""), FLATTEN_BAD_JSON);
	ck_assert_str_eq(err, "empty JSON document");
	ck_assert_int_eq(parse("   "), FLATTEN_BAD_JSON);
	/* leading zeros, comments and trailing commas are not JSON */
	ck_assert_int_eq(parse("{\"a\":01}"), FLATTEN_BAD_JSON);
	ck_assert_int_eq(parse("{/*c*/\"a\":1}"), FLATTEN_BAD_JSON);
	ck_assert_int_eq(parse("{\"a\":1,}"), FLATTEN_BAD_JSON);
	/* trailing whitespace is fine */
	flat(" {\"a\":2} \t\r\n");
	ck_assert_str_eq(vals("a"), "2");
}
END_TEST

START_TEST(length_bounds_the_document)
{
	intern("a");
	/* bytes after len are not read; a NUL inside len is an error */
	const char *s = "{\"a\":1}garbage";
	ck_assert_int_eq(flattener_parse(fl, s, 7, ev, err, sizeof(err)), FLATTEN_OK);
	ck_assert_str_eq(vals("a"), "1");
	ck_assert_int_eq(flattener_parse(fl, s, 6, ev, err, sizeof(err)), FLATTEN_BAD_JSON);
	ck_assert_int_eq(flattener_parse(fl, "{\"a\":1}\0", 8, ev, err, sizeof(err)),
			 FLATTEN_BAD_JSON);
	/* a NULL error buffer is allowed */
	ck_assert_int_eq(flattener_parse(fl, "[", 1, ev, NULL, 0), FLATTEN_BAD_JSON);
}
END_TEST

START_TEST(non_objects)
{
	static const char *const docs[] = {"[1,2]", "\"s\"", "123", "-1.5e3",
					   "true", "null", "[]"};
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		ck_assert_msg(parse(docs[i]) == FLATTEN_NOT_OBJECT, "%s: %s", docs[i], err);
		ck_assert_msg(strstr(err, "not an object") != NULL, "%s", err);
		ck_assert_ptr_null(ev->root);
	}
	ck_assert_int_eq(parse("123"), FLATTEN_NOT_OBJECT);
	ck_assert_str_eq(err, "JSON document is a number, not an object");
	ck_assert_int_eq(parse("[{\"a\":1}]"), FLATTEN_NOT_OBJECT);
	ck_assert_str_eq(err, "JSON document is an array, not an object");
}
END_TEST

static char *nested(int depth)
{
	size_t n = (size_t)depth * 6 + 16;
	char *s = xmalloc(n), *p = s;
	for (int i = 0; i < depth; i++)
		p += sprintf(p, "{\"a\":");
	p += sprintf(p, "1");
	for (int i = 0; i < depth; i++)
		*p++ = '}';
	*p = '\0';
	return s;
}

START_TEST(deep_nesting_is_an_error)
{
	char *name = xmalloc(200);
	strcpy(name, "a");
	for (int i = 1; i < 60; i++)
		strcat(name, "_a");
	intern(name);
	char *ok = nested(60);
	flat(ok);
	ck_assert_str_eq(vals(name), "1");
	char *deep = nested(65);
	ck_assert_int_eq(parse(deep), FLATTEN_BAD_JSON);
	ck_assert_msg(strstr(err, "nesting too deep") != NULL, "%s", err);
	char *arrays = xmalloc(20001);
	memset(arrays, '[', 10000);
	memset(arrays + 10000, ']', 10000);
	arrays[20000] = '\0';
	ck_assert_int_eq(parse(arrays), FLATTEN_BAD_JSON);
	free(arrays);
	free(deep);
	free(ok);
	free(name);
}
END_TEST

START_TEST(nested_array_blowup_is_bounded)
{
	/* Every subset of 60 indices would be 2^60 paths: the walk gives up
	 * and says so instead of running for ever. */
	intern("m");
	intern("m_0");
	intern("m_0_0");
	intern("m_0_0_0");
	intern("m_0_0_0_0");
	intern("m_0_0_0_0_0");
	size_t depth = 60;
	char *doc = xmalloc(2 * depth + 16);
	char *p = doc + sprintf(doc, "{\"m\":");
	memset(p, '[', depth);
	p += depth;
	*p++ = '1';
	memset(p, ']', depth);
	p += depth;
	strcpy(p, "}");
	flat(doc);
	ck_assert(ev->truncated);
	ck_assert_uint_le(ev->nvalues, EVENT_MAX_VALUES);
	/* an ordinary event afterwards is whole again */
	flat("{\"m\":[[1]]}");
	ck_assert(!ev->truncated);
	ck_assert_str_eq(vals("m"), "1");
	ck_assert_str_eq(vals("m_0_0"), "1");
	ck_assert_str_eq(vals("m_0"), "1|1");
	free(doc);
}
END_TEST

START_TEST(fill_takes_a_parsed_document)
{
	intern("a_b");
	struct json_object *o = json_tokener_parse("{\"a\":{\"b\":[\"x\",\"y\"]}}");
	ck_assert_int_eq(flattener_fill(fl, o, ev), FLATTEN_OK);
	ck_assert_ptr_eq(ev->root, o);
	ck_assert_str_eq(vals("a_b"), "x|y");
	struct json_object *arr = json_object_new_array();
	ck_assert_int_eq(flattener_fill(fl, arr, ev), FLATTEN_NOT_OBJECT);
	ck_assert_ptr_eq(ev->root, arr); /* owned all the same */
	ck_assert_uint_eq(ev->nvalues, 0);
}
END_TEST

START_TEST(flatteners_share_a_table)
{
	intern("a");
	flattener *other = flattener_new(ft);
	event *e2 = event_new();
	ck_assert_int_eq(flattener_parse(other, "{\"a\":5}", 7, e2, err, sizeof(err)),
			 FLATTEN_OK);
	flat("{\"a\":6}");
	ck_assert_int_eq(event_first(e2, intern("a"))->i, 5);
	ck_assert_int_eq(first("a")->i, 6);
	event_free(&e2);
	flattener_free(&other);
	ck_assert_ptr_null(other);
}
END_TEST

/* ---- real Tetragon events ---- */

/* Flattens line `lineno` (1-based) of a shared test data file. */
static void flat_line(const char *rel, int lineno)
{
	size_t len;
	char *text = slurp(testdata_path(rel), &len);
	ck_assert_msg(text != NULL, "cannot read %s", testdata_path(rel));
	char *line = text;
	for (int i = 1; i < lineno; i++) {
		line = strchr(line, '\n');
		ck_assert_ptr_nonnull(line);
		line++;
	}
	char *end = strchr(line, '\n');
	size_t n = end ? (size_t)(end - line) : strlen(line);
	enum flatten_status st = flattener_parse(fl, line, n, ev, err, sizeof(err));
	ck_assert_msg(st == FLATTEN_OK, "%s:%d: %s", rel, lineno, err);
	free(text);
}

START_TEST(real_kprobe_file_args)
{
	static const char *const names[] = {
		"process_kprobe_args_0_file_arg_path",
		"process_kprobe_args_file_arg_path", "process_kprobe_args_1_int_arg",
		"process_kprobe_args_int_arg", "process_kprobe_return_int_arg",
		"process_kprobe_function_name", "process_kprobe_process_binary",
		"process_kprobe_parent_uid", "process_kprobe_process_tid",
		"node_name", NULL};
	intern_all(names);
	flat_line("tetragon/events.jsonl", 12);
	ck_assert_str_eq(vals("process_kprobe_args_0_file_arg_path"),
			 "/home/tixxdz/tetragon/contrib/tester-progs/kernel_module_hello.ko");
	ck_assert_str_eq(vals("process_kprobe_args_file_arg_path"),
			 "/home/tixxdz/tetragon/contrib/tester-progs/kernel_module_hello.ko");
	ck_assert_int_eq(first("process_kprobe_args_1_int_arg")->i, 2);
	ck_assert_int_eq(first("process_kprobe_args_1_int_arg")->type, VALUE_INT);
	ck_assert_str_eq(vals("process_kprobe_args_int_arg"), "2");
	ck_assert_str_eq(vals("process_kprobe_return_int_arg"), "0");
	ck_assert_str_eq(vals("process_kprobe_function_name"), "security_kernel_read_file");
	ck_assert_str_eq(vals("process_kprobe_process_binary"), "/usr/sbin/insmod");
	ck_assert_str_eq(vals("process_kprobe_parent_uid"), "1000");
	ck_assert_str_eq(vals("process_kprobe_process_tid"), "82023");
	ck_assert_str_eq(vals("node_name"), "<absent>"); /* this line has none */
	ck_assert_str_eq(ev->kind, "process_kprobe");
	ck_assert(ev->has_time);
	char t[TIMEFMT_MAX];
	timefmt_format(ev->time_ns, t, sizeof(t));
	ck_assert_str_eq(t, "2023-08-30T11:01:22.847554295Z");

	/* line 23: two int args make a multi-valued field */
	flat_line("tetragon/events.jsonl", 23);
	ck_assert_str_eq(vals("process_kprobe_args_int_arg"), "3|134217728");
	ck_assert_str_eq(vals("process_kprobe_args_1_int_arg"), "134217728");
	ck_assert_str_eq(vals("process_kprobe_args_file_arg_path"), "<absent>");
	ck_assert_str_eq(vals("process_kprobe_function_name"), "__x64_sys_setns");
}
END_TEST

START_TEST(real_module_tainted_four_names)
{
	static const char *const names[] = {
		"process_kprobe_args_0_module_arg_tainted_1",
		"process_kprobe_args_0_module_arg_tainted",
		"process_kprobe_args_module_arg_tainted_1",
		"process_kprobe_args_module_arg_tainted",
		"process_kprobe_args_module_arg_tainted_0",
		"process_kprobe_args_module_arg_name", NULL};
	intern_all(names);
	flat_line("tetragon/events.jsonl", 13);
	ck_assert_str_eq(vals("process_kprobe_args_0_module_arg_tainted_1"),
			 "TAINT_UNSIGNED_MODULE");
	ck_assert_str_eq(vals("process_kprobe_args_0_module_arg_tainted"),
			 "TAINT_OUT_OF_TREE_MODULE|TAINT_UNSIGNED_MODULE");
	ck_assert_str_eq(vals("process_kprobe_args_module_arg_tainted_1"),
			 "TAINT_UNSIGNED_MODULE");
	ck_assert_str_eq(vals("process_kprobe_args_module_arg_tainted_0"),
			 "TAINT_OUT_OF_TREE_MODULE");
	ck_assert_str_eq(vals("process_kprobe_args_module_arg_tainted"),
			 "TAINT_OUT_OF_TREE_MODULE|TAINT_UNSIGNED_MODULE");
	ck_assert_str_eq(vals("process_kprobe_args_module_arg_name"),
			 "kernel_module_hello");
	ck_assert_uint_eq(ev->nvalues, 8); /* 1 + 2 + 1 + 2 + 1 + 1 */
}
END_TEST

START_TEST(real_exec_pod_labels)
{
	static const char *const names[] = {
		"process_exec_process_pod_pod_labels_app.kubernetes.io/name",
		"process_exec_process_pod_pod_labels_class",
		"process_exec_process_pod_container_image_name",
		"process_exec_process_pod_container_pid",
		"process_exec_process_auid", "process_exec_parent_binary",
		"process_exec_process_arguments", "node_name", NULL};
	intern_all(names);
	flat_line("tetragon/events.jsonl", 1);
	ck_assert_str_eq(vals("process_exec_process_pod_pod_labels_app.kubernetes.io/name"),
			 "tiefighter");
	ck_assert_str_eq(vals("process_exec_process_pod_pod_labels_class"), "tiefighter");
	ck_assert_str_eq(vals("process_exec_process_pod_container_image_name"),
			 "docker.io/tgraf/netperf:latest");
	ck_assert_str_eq(vals("process_exec_process_pod_container_pid"), "1");
	ck_assert_int_eq(first("process_exec_process_auid")->i, 4294967295LL);
	ck_assert_str_eq(vals("process_exec_parent_binary"), "/usr/bin/containerd-shim-runc-v2");
	ck_assert_str_eq(vals("process_exec_process_arguments"), "-D");
	ck_assert_str_eq(vals("node_name"), "my-node");
	ck_assert(!ev->has_time); /* line 1 carries no time */
	ck_assert_str_eq(ev->kind, "process_exec");
}
END_TEST

START_TEST(real_numeric_strings_and_bools)
{
	static const char *const names[] = {
		"process_kprobe_args_2_size_arg", "process_kprobe_args_size_arg",
		"process_kprobe_args_0_user_ns_arg_ns_is_host",
		"process_kprobe_args_user_ns_arg_ns_inum",
		"process_kprobe_args_capability_arg_name", NULL};
	intern_all(names);
	flat_line("tetragon/events.jsonl", 6);
	const value *v = first("process_kprobe_args_2_size_arg");
	ck_assert_int_eq(v->type, VALUE_STRING);
	ck_assert_str_eq(v->str, "1277");
	ck_assert(v->is_number && v->is_integer && v->i == 1277);
	ck_assert_str_eq(vals("process_kprobe_args_size_arg"), "1277");
	flat_line("tetragon/events.jsonl", 26);
	v = first("process_kprobe_args_0_user_ns_arg_ns_is_host");
	ck_assert(v->type == VALUE_BOOL && v->i == 1);
	ck_assert_str_eq(vals("process_kprobe_args_user_ns_arg_ns_inum"), "4026531837");
	ck_assert_str_eq(vals("process_kprobe_args_capability_arg_name"), "CAP_SYSLOG");
	flat_line("tetragon/oreilly.jsonl", 9);
	ck_assert_str_eq(vals("process_kprobe_args_size_arg"), "65536");
	ck_assert_int_eq(first("process_kprobe_args_2_size_arg")->i, 65536);
}
END_TEST

/* Every line of a file flattens, with its kind and (where it has one) its
 * time, and the fields named below agree with json-c's own reading. */
static void flatten_whole_file(const char *rel, int want_lines)
{
	static const char *const names[] = {
		"process_exec_process_binary", "process_kprobe_process_binary",
		"process_exit_process_binary", "process_kprobe_args_file_arg_path",
		"process_kprobe_function_name", "node_name", "time", NULL};
	intern_all(names);
	size_t len;
	char *text = slurp(testdata_path(rel), &len);
	ck_assert_ptr_nonnull(text);
	int n = 0;
	for (char *line = text, *end; *line; line = end + 1) {
		end = strchr(line, '\n');
		ck_assert_ptr_nonnull(end);
		n++;
		enum flatten_status st =
			flattener_parse(fl, line, (size_t)(end - line), ev, err, sizeof(err));
		ck_assert_msg(st == FLATTEN_OK, "%s:%d: %s", rel, n, err);
		ck_assert_msg(ev->kind && !strncmp(ev->kind, "process_", 8),
			      "%s:%d: kind", rel, n);
		/* every real event is read by the scanner, none left to json-c */
		ck_assert_uint_eq(flattener_counts(fl)->declined, 0);
		json_tokener *tok = json_tokener_new();
		struct json_object *doc = json_tokener_parse_ex(tok, line, (int)(end - line));
		json_tokener_free(tok);
		struct json_object *t = json_object_object_get(doc, "time");
		ck_assert_int_eq(ev->has_time, t != NULL);
		if (t) {
			char buf[TIMEFMT_MAX];
			int64_t back;
			timefmt_format(ev->time_ns, buf, sizeof(buf));
			ck_assert_int_eq(timefmt_parse(json_object_get_string(t),
						       strlen(json_object_get_string(t)), &back), 0);
			ck_assert_int_eq(back, ev->time_ns);
			ck_assert_str_eq(vals("time"), json_object_get_string(t));
		}
		/* the kind's process binary, read independently */
		char name[64];
		snprintf(name, sizeof(name), "%s_process_binary", ev->kind);
		int slot = field_table_lookup(ft, name, strlen(name));
		struct json_object *k = json_object_object_get(doc, ev->kind), *p, *b;
		if (slot >= 0 && json_object_object_get_ex(k, "process", &p) &&
		    json_object_object_get_ex(p, "binary", &b))
			ck_assert_str_eq(vals(name), json_object_get_string(b));
		json_object_put(doc);
	}
	ck_assert_int_eq(n, want_lines);
	free(text);
}

START_TEST(real_events_every_line)
{
	flatten_whole_file("tetragon/events.jsonl", 26);
}
END_TEST

START_TEST(real_oreilly_every_line)
{
	flatten_whole_file("tetragon/oreilly.jsonl", 41);
}
END_TEST

Suite *flatten_suite(void)
{
	Suite *s = suite_create("flatten");
	TCase *tc = tcase_create("names");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, nested_objects_join_keys_with_underscore);
	tcase_add_test(tc, array_elements_indexed_and_index_free);
	tcase_add_test(tc, nested_arrays_any_subset_of_indices);
	tcase_add_test(tc, arrays_directly_in_arrays);
	tcase_add_test(tc, keys_kept_verbatim);
	tcase_add_test(tc, keys_with_underscores_and_empty_keys);
	tcase_add_test(tc, multi_digit_indices_and_empty_segments);
	tcase_add_test(tc, null_is_absent);
	tcase_add_test(tc, colliding_paths_are_one_field_in_document_order);
	tcase_add_test(tc, containers_are_not_values);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, numeric_strings);
	tcase_add_test(tc, integers_and_uint64);
	tcase_add_test(tc, doubles);
	tcase_add_test(tc, booleans);
	tcase_add_test(tc, strings_with_nul);
	suite_add_tcase(s, tc);

	tc = tcase_create("index");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, only_interned_fields_are_materialised);
	tcase_add_test(tc, reindexes_after_more_names_are_interned);
	tcase_add_test(tc, empty_table_materialises_nothing);
	tcase_add_test(tc, long_paths);
	tcase_add_test(tc, flatteners_share_a_table);
	suite_add_tcase(s, tc);

	tc = tcase_create("metadata and errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, top_keys_kind_and_time);
	tcase_add_test(tc, metadata_edge_cases);
	tcase_add_test(tc, bad_json_is_reported_with_offset);
	tcase_add_test(tc, length_bounds_the_document);
	tcase_add_test(tc, non_objects);
	tcase_add_test(tc, deep_nesting_is_an_error);
	tcase_add_test(tc, nested_array_blowup_is_bounded);
	tcase_add_test(tc, fill_takes_a_parsed_document);
	suite_add_tcase(s, tc);

	tc = tcase_create("real events");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, real_kprobe_file_args);
	tcase_add_test(tc, real_module_tainted_four_names);
	tcase_add_test(tc, real_exec_pod_labels);
	tcase_add_test(tc, real_numeric_strings_and_bools);
	tcase_add_test(tc, real_events_every_line);
	tcase_add_test(tc, real_oreilly_every_line);
	suite_add_tcase(s, tc);
	return s;
}
