/* The on-demand scanner against json-c: same events, same strictness
 * (every malformed line reported as json-c reports it), and the real
 * events read by the scanner, not left to json-c. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz/jsondiff.h"
#include "testutil.h"
#include "xalloc.h"

static field_table *ft;
static struct jsondiff d;

static const char *const names[] = {
	"process_exec_process_binary", "process_exec_process_arguments",
	"process_exec_process_pid", "process_exec_process_uid",
	"process_exec_process_pod_namespace", "process_exec_process_pod_name",
	"process_exec_process_pod_pod_labels_app.kubernetes.io/name",
	"process_exec_process_start_time", "process_exec_parent_binary",
	"process_exit_status", "process_exit_signal", "process_exit_process_binary",
	"process_kprobe_function_name", "process_kprobe_args_0_file_arg_path",
	"process_kprobe_args_file_arg_path", "process_kprobe_args_1_int_arg",
	"process_kprobe_args_int_arg", "process_kprobe_args_size_arg",
	"process_kprobe_args_0_module_arg_tainted_1",
	"process_kprobe_args_module_arg_tainted", "process_kprobe_return_int_arg",
	"process_kprobe_process_binary", "process_kprobe_policy_name",
	"node_name", "time", "a", "a_b", "a_0", "a_b_0", "a_0_b", "k", "k_0",
	"k_0_0", "k_1", "x_y", "n", "big", "d", "s", NULL,
};

static void setup(void)
{
	ft = field_table_new();
	for (const char *const *n = names; *n; n++)
		field_table_intern(ft, *n, strlen(*n));
	jsondiff_init(&d, ft);
}

static void teardown(void)
{
	jsondiff_fini(&d);
	field_table_free(&ft);
}

/* Every line of a test data file: both readings agree, and (when
 * all_scanned) the scanner read each one itself.  Returns the lines. */
static int diff_file(const char *rel, bool all_scanned)
{
	size_t len;
	char *text = slurp(testdata_path(rel), &len);
	ck_assert_msg(text != NULL, "%s", rel);
	int n = 0;
	for (char *line = text, *end; line < text + len; line = end + 1) {
		end = memchr(line, '\n', (size_t)(text + len - line));
		if (!end)
			end = text + len;
		if (end == line)
			continue;
		n++;
		ck_assert_msg(jsondiff_check(&d, line, (size_t)(end - line)),
			      "%s:%d: %s", rel, n, d.why);
		ck_assert_msg(!all_scanned || d.scanned, "%s:%d: left to json-c", rel, n);
	}
	free(text);
	return n;
}

START_TEST(real_events_same_as_json_c)
{
	ck_assert_int_eq(diff_file("tetragon/events.jsonl", true), 26);
	ck_assert_int_eq(diff_file("tetragon/oreilly.jsonl", true), 41);
	ck_assert_int_gt(diff_file("seed/process_exec-speaker.jsonl", true), 0);
	ck_assert_int_gt(diff_file("ruletests/tetrademo-events.jsonl", true), 0);
}
END_TEST

/* Documents the scanner reads itself. */
static const char *const scanned[] = {
	"{}", " { } ", "{\"a\":1}\r\n", "{\"a\":-0}", "{\"a\":-12.5e-3}",
	"{\"a\":1E5}", "{\"a\":0.5,\"b\":true}", "{\"a\":\"x\\\"y\\\\z\\/\\b\\f\\n\\r\\t\"}",
	"{\"a\":\"\\u00e9\\u20ac\\u0041\"}", "{\"a\":\"\xc3\xa9\"}",
	"{\"a\":{\"b\":[1,2,{\"c\":3}]},\"a_b\":4}", "{\"k\":[[1,2],[3],null,[]]}",
	"{\"a\":null,\"n\":null}", "{\"big\":123456789012345678}",
	"{\"big\":\"18446744073709551616\"}", "{\"s\":\"12\",\"d\":\"1.5\"}",
	"{\"a\\u005fb\":7}", "{\"time\":\"2023-11-16T02:33:50.429221745Z\"}",
	"{\"time\":\"not a time\"}", "{\"q\":{\"y\":1,\"y\":2}}",
	"{\"p\":{},\"q\":[],\"r\":\"\"}", "{\"a\" : [ 1 , 2 ] }",
	NULL,
};

START_TEST(scanner_reads_these_as_json_c_does)
{
	for (const char *const *t = scanned; *t; t++) {
		ck_assert_msg(jsondiff_check(&d, *t, strlen(*t)), "%s: %s", *t, d.why);
		ck_assert_msg(d.st == FLATTEN_OK && d.scanned, "%s: not scanned", *t);
	}
}
END_TEST

/* Documents left to json-c: malformed ones (json-c's message and byte
 * offset stand) and valid ones the scanner does not vouch for. */
static const char *const declined[] = {
	"", "   ", "{", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":1,}", "{,}",
	"{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":-}", "{\"a\":1e}",
	"{\"a\":+1}", "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":-Infinity}",
	"{\"a\":tru}", "{\"a\":True}", "{\"a\":nul}", "{'a':1}", "{\"a\":'x'}",
	"{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\x01\"}", "{\"a\":\"\t\"}",
	"{\"a\":1}x", "{\"a\":1} {}", "[1]", "\"s\"", "7", "null", "true",
	"{\"a\":1}/*c*/", "/*c*/{}", "{\"a\":[1,]}", "{\"a\":[,1]}", "{\"a\" 1}",
	"{\"a\":1 \"b\":2}", "{1:2}", "\xef\xbb\xbf{}", "{\"a\":\"\\ud83d\\ude00\"}",
	"{\"a\":\"\\ud800\"}", "{\"a\":\"\\u0000\"}", "{\"a\":1,\"a\":2}",
	"{\"a\":{\"b\":1,\"b\":2}}", "{\"x\":{\"y\":1,\"y\":2}}",
	"{\"big\":1234567890123456789}",
	"{\"big\":18446744073709551616}", "{\"big\":-9223372036854775809}",
	"{\"d\":1e999}", "{\"a\":\"x\"\n", "{\"a\":[1}", "{\"a\":{]}",
	"{\"a\":1}\f", "\f{\"a\":1}",
	NULL,
};

START_TEST(declined_documents_are_json_c_s)
{
	for (const char *const *t = declined; *t; t++) {
		ck_assert_msg(jsondiff_check(&d, *t, strlen(*t)), "%s: %s", *t, d.why);
		ck_assert_msg(!d.scanned, "%s: the scanner accepted it", *t);
	}
}
END_TEST

/* Nesting past the scanner's 32 levels goes to json-c, which takes up to
 * its own limit and reports the rest. */
START_TEST(deep_nesting_left_to_json_c)
{
	char buf[512];
	for (int depth = 30; depth <= 70; depth += 4) {
		size_t n = (size_t)snprintf(buf, sizeof(buf), "{\"a\":");
		for (int i = 0; i < depth; i++)
			buf[n++] = '[';
		for (int i = 0; i < depth; i++)
			buf[n++] = ']';
		buf[n++] = '}';
		ck_assert_msg(jsondiff_check(&d, buf, n), "depth %d: %s", depth, d.why);
		ck_assert_int_eq(d.scanned, depth < 32);
	}
}
END_TEST

/* A text cut anywhere: the scanner never reads past the length given. */
START_TEST(every_prefix_of_a_real_event)
{
	size_t len;
	char *text = slurp(testdata_path("tetragon/events.jsonl"), &len);
	ck_assert_ptr_nonnull(text);
	size_t n = (size_t)(strchr(text, '\n') - text);
	for (size_t cut = 0; cut <= n; cut++) {
		char *copy = xmalloc(cut ? cut : 1);
		memcpy(copy, text, cut);
		ck_assert_msg(jsondiff_check(&d, copy, cut), "cut %zu: %s", cut, d.why);
		ck_assert_int_eq(d.scanned, cut == n);
		free(copy);
	}
	free(text);
}
END_TEST

Suite *jsonscan_suite(void)
{
	Suite *s = suite_create("jsonscan");
	TCase *tc = tcase_create("against json-c");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, real_events_same_as_json_c);
	tcase_add_test(tc, scanner_reads_these_as_json_c_does);
	tcase_add_test(tc, declined_documents_are_json_c_s);
	tcase_add_test(tc, deep_nesting_left_to_json_c);
	tcase_add_test(tc, every_prefix_of_a_real_event);
	suite_add_tcase(s, tc);
	return s;
}
