/* `bpfalert test` rule test files (DESIGN §10): the shipped examples pass,
 * a wrong expectation fails with expected against actual, and malformed
 * test files are refused with their place. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruletest.h"
#include "testutil.h"
#include "xalloc.h"

static char *dir;

static void setup(void)
{
	dir = make_temp_dir();
}

static void teardown(void)
{
	rm_rf(dir);
	free(dir);
}

/* Runs the given files; returns the status and the report in *out. */
static int run(const char *const *files, size_t n, char **out)
{
	size_t len = 0;
	FILE *f = open_memstream(out, &len);
	int rc = ruletest_run(files, n, f);
	fclose(f);
	return rc;
}

static int run1(const char *path, char **out)
{
	return run(&path, 1, out);
}

static void has(const char *out, const char *want)
{
	ck_assert_msg(strstr(out, want) != NULL, "no \"%s\" in:\n%s", want, out);
}

/* One alert, one webhook target repeating every 10 s three times. */
static const char *const PREAMBLE =
	"alerts = (\n"
	"  { name = \"cat\";\n"
	"    message = \"{process_exec_process_binary} in {process_exec_process_pod_name}\";\n"
	"    rule = \"process_exec_process_binary = \\\"/usr/bin/cat\\\"\";\n"
	"    group_by = [ \"process_exec_process_pod_name\" ];\n"
	"    targets = [ \"hook\" ]; }\n"
	");\n"
	"targets = { hook = { type = \"webhook\"; endpoint = \"http://127.0.0.1:9/\";\n"
	"                     repeat = { interval = \"10s\"; times = 3; }; }; };\n"
	"base = \"2024-01-01T00:00:00Z\";\n";

#define CAT(pod) "{ at = \"0s\"; json = \"{\\\"process_exec\\\":{\\\"process\\\":" \
	"{\\\"binary\\\":\\\"/usr/bin/cat\\\",\\\"pod\\\":{\\\"name\\\":\\\"" pod "\\\"}}}}\"; }"

static char *test_file(const char *name, const char *body)
{
	char *text = xasprintf("%s%s", PREAMBLE, body);
	char *path = write_file(dir, name, text);
	free(text);
	return path;
}

START_TEST(shipped_examples_pass)
{
	const char *d = src_path("tests/data/ruletests");
	DIR *dh = opendir(d);
	ck_assert_msg(dh != NULL, "no %s", d);
	char *files[64];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(dh)) && n < 64) {
		size_t len = strlen(e->d_name);
		if (len > 5 && !strcmp(e->d_name + len - 5, ".test"))
			files[n++] = xasprintf("%s/%s", d, e->d_name);
	}
	closedir(dh);
	ck_assert_uint_ge(n, 2);
	char *out = NULL;
	int rc = run((const char *const *)files, n, &out);
	ck_assert_msg(rc == 0, "status %d:\n%s", rc, out);
	ck_assert(!strstr(out, "FAIL"));
	has(out, "tetrademo.test: \"cat /etc/passwd fires, repeats four times and resolves\" (6 notifications)");
	has(out, " passed, 0 failed\n");
	free(out);
	for (size_t i = 0; i < n; i++)
		free(files[i]);
}
END_TEST

START_TEST(passing_case)
{
	char *path = test_file("ok.test",
		"events = ( " CAT("web") " );\n"
		"expect = ( { alert = \"cat\"; group = { process_exec_process_pod_name = \"web\"; };\n"
		"             count = 1; message = \"/usr/bin/cat in web\";\n"
		"             notifications = ( { target = \"hook\";\n"
		"                                 at = [ \"0s\", \"10s\", \"2024-01-01T00:00:20Z\", \"5m\" ];\n"
		"                                 counts = [ 1, 0, 0, 0 ]; } ); } );\n");
	char *out = NULL;
	int rc = run1(path, &out);
	ck_assert_msg(rc == 0, "status %d:\n%s", rc, out);
	has(out, "PASS ");
	has(out, "ok.test: case 1 (4 notifications)");
	has(out, "1 passed, 0 failed");
	free(out);
	free(path);
}
END_TEST

START_TEST(wrong_times_fail_with_a_diff)
{
	char *path = test_file("times.test",
		"name = \"the cat case\";\n"
		"events = ( " CAT("web") " );\n"
		"expect = ( { alert = \"cat\"; status = \"firing\";\n"
		"             notifications = ( { target = \"hook\"; at = [ \"0s\", \"10s\" ]; } ); } );\n");
	char *out = NULL;
	int rc = run1(path, &out);
	ck_assert_int_eq(rc, 1);
	has(out, "FAIL ");
	has(out, "times.test: \"the cat case\"\n");
	has(out, "expect[1] (line 13): alert \"cat\", status firing\n");
	has(out, "    target \"hook\":\n"
		 "      expected at: 0s, 10s\n"
		 "      actual at:   0s, 10s, 20s\n");
	/* Everything that was sent, for reference. */
	has(out, "  actual notifications:\n");
	has(out, "5m         resolved \"cat\" {process_exec_process_pod_name=\"web\"} -> \"hook\" [seq 4 of 3, count 0]");
	has(out, "0 passed, 1 failed");
	free(out);
	free(path);
}
END_TEST

START_TEST(wrong_count_message_body_fail)
{
	char *path = test_file("text.test",
		"events = ( " CAT("web") " );\n"
		"expect = ( { alert = \"cat\"; count = 2; message = \"cat in web\";\n"
		"             body = \"nope\"; } );\n");
	char *out = NULL;
	ck_assert_int_eq(run1(path, &out), 1);
	has(out, "    count of the first notification:\n      expected: 2\n      actual:   1\n");
	has(out, "    message:\n      expected: \"cat in web\"\n      actual:   \"/usr/bin/cat in web\"\n");
	has(out, "    body:\n      expected: \"nope\"\n      actual:   \"{\\\"alert\\\":\\\"cat\\\"");
	free(out);
	free(path);
}
END_TEST

START_TEST(nothing_sent_fails)
{
	char *path = test_file("none.test",
		"events = ( " CAT("web") " );\n"
		"expect = ( { alert = \"dog\"; }, { alert = \"cat\"; group = { process_exec_process_pod_name = \"db\"; }; count = 1; } );\n");
	char *out = NULL;
	ck_assert_int_eq(run1(path, &out), 1);
	has(out, "expect[1] (line 12): alert \"dog\"\n    expected notifications, but none were sent\n");
	has(out, "expect[2] (line 12): alert \"cat\"\n    count of the first notification:\n"
		 "      expected: 1\n      actual:   (nothing was sent)\n");
	free(out);
	free(path);
}
END_TEST

START_TEST(unexpected_notifications_fail)
{
	char *path = test_file("quiet.test",
		"cases = (\n"
		"  { name = \"empty list\"; events = ( " CAT("web") " );\n"
		"    expect = ( { alert = \"cat\"; notifications = (); } ); },\n"
		"  { name = \"strict\"; strict = true; events = ( " CAT("web") ", " CAT("db") " );\n"
		"    expect = ( { alert = \"cat\"; group = { process_exec_process_pod_name = \"web\"; }; } ); },\n"
		"  { name = \"lenient\"; events = ( " CAT("web") ", " CAT("db") " );\n"
		"    expect = ( { alert = \"cat\"; group = { process_exec_process_pod_name = \"web\"; }; } ); }\n"
		");\n");
	char *out = NULL;
	ck_assert_int_eq(run1(path, &out), 1);
	has(out, "FAIL ");
	has(out, "quiet.test: \"empty list\"\n");
	has(out, "    unexpected: firing notification to target \"hook\" at 0s\n");
	has(out, "quiet.test: \"strict\"\n  strict: notifications no expectation selects:\n"
		 "    0s         firing   \"cat\" {process_exec_process_pod_name=\"db\"}");
	has(out, "PASS ");
	has(out, "quiet.test: \"lenient\"");
	has(out, "1 passed, 2 failed");
	free(out);
	free(path);
}
END_TEST

START_TEST(broken_files_are_errors)
{
	static const struct { const char *body, *want; } cases[] = {
		{ "events = ( " CAT("web") " \n", "syntax error" },
		{ "evnts = ();\n", "unknown key 'evnts' in a test file (did you mean 'events'?)" },
		{ "events = ( { at = \"soon\"; json = \"{}\"; } );\n", "'soon' is neither a duration" },
		{ "events = ( { at = \"0s\"; } );\n", "an event needs one of 'json' or 'file'" },
		{ "events = ( { file = \"missing.jsonl\"; } );\n", "cannot open" },
		{ "events = ();\nexpect = ( { status = \"firing\"; } );\n", "an expectation needs 'alert'" },
		{ "events = ();\nexpect = ( { alert = \"cat\"; status = \"on\"; } );\n", "'status' must be" },
		{ "events = ();\nexpect = ( { alert = \"cat\"; notifications = ( { at = [\"0s\"]; } ); } );\n",
		  "a notifications entry needs 'target'" },
		{ "expect = ();\n", "no test: give 'events' and 'expect', or 'cases'" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[32];
		snprintf(name, sizeof(name), "broken%zu.test", i);
		char *path = test_file(name, cases[i].body);
		char *out = NULL;
		int rc = run1(path, &out);
		ck_assert_msg(rc == 2, "case %zu: status %d:\n%s", i, rc, out);
		has(out, cases[i].want);
		has(out, "ERROR ");
		free(out);
		free(path);
	}
}
END_TEST

START_TEST(rule_errors_point_into_the_test_file)
{
	char *path = write_file(dir, "rule.test",
		"alerts = (\n"
		"  { name = \"x\"; message = \"m\";\n"
		"    rule = \"process_exec_process_uid => 1000\";\n"
		"    targets = [ \"nowhere\" ]; }\n"
		");\n"
		"events = ();\n");
	char *out = NULL;
	ck_assert_int_eq(run1(path, &out), 2);
	char *want = xasprintf("%s:3:38: error: unknown operator '=>'", path);
	has(out, want);
	free(want);
	free(out);
	free(path);

	path = write_file(dir, "target.test",
		"alerts = ( { name = \"x\"; message = \"m\"; rule = \"a = 1\"; targets = [ \"nowhere\" ]; } );\n"
		"events = ();\n");
	ck_assert_int_eq(run1(path, &out), 2);
	has(out, "alert 'x' names undefined target 'nowhere'");
	free(out);
	free(path);
}
END_TEST

START_TEST(parseable_rules_text_and_files)
{
	/* A Parseable document inline: its name gives the stream. */
	char *jsonl = write_file(dir, "ev.jsonl",
		"{\"a\":\"xbx\",\"time\":\"2024-01-01T00:00:00Z\"}\n"
		"not json\n"
		"{\"a\":\"b\",\"time\":\"2024-01-01T00:00:30Z\"}\n");
	(void)jsonl;
	char *path = write_file(dir, "p.test",
		"rules_name = \"demo.json\";\n"
		"rules = \"{\\\"version\\\":\\\"v1\\\",\\\"alerts\\\":[{\\\"name\\\":\\\"x\\\",\\\"message\\\":\\\"m {a}\\\","
		"\\\"rule\\\":{\\\"type\\\":\\\"composite\\\",\\\"config\\\":\\\"a =% \\\\\\\"b\\\\\\\"\\\"},"
		"\\\"targets\\\":[{\\\"type\\\":\\\"webhook\\\",\\\"endpoint\\\":\\\"http://x\\\","
		"\\\"repeat\\\":{\\\"interval\\\":\\\"1m\\\",\\\"times\\\":2}}]}]}\";\n"
		"events = ( { at = \"0s\"; file = \"ev.jsonl\"; } );\n"
		"expect = ( { alert = \"x\"; status = \"firing\";\n"
		"  body = \"x triggered on demo\\nMessage: m xbx\\nFailing Condition: matched rule a =% \\\"b\\\"\";\n"
		"  notifications = ( { target = \"x#1\"; at = [ \"0s\", \"1m\" ]; counts = [ 1, 1 ]; } ); } );\n");
	char *out = NULL;
	int rc = run1(path, &out);
	ck_assert_msg(rc == 0, "status %d:\n%s", rc, out);
	has(out, "ev.jsonl:2: error:");   /* the bad line is reported, and skipped */
	free(out);
	free(path);
	free(jsonl);
}
END_TEST

START_TEST(status_of_mixed_runs)
{
	char *ok = test_file("a.test", "events = ( " CAT("web") " );\nexpect = ( { alert = \"cat\"; } );\n");
	char *bad = test_file("b.test", "events = ( " CAT("web") " );\nexpect = ( { alert = \"cat\"; count = 9; } );\n");
	const char *missing = "/nonexistent/x.test";
	char *out = NULL;
	const char *two[] = { ok, bad };
	ck_assert_int_eq(run(two, 2, &out), 1);
	has(out, "1 passed, 1 failed");
	free(out);
	const char *three[] = { ok, bad, missing };
	ck_assert_int_eq(run(three, 3, &out), 2);
	has(out, "/nonexistent/x.test: error: cannot read the file");
	free(out);
	ck_assert_int_eq(run(NULL, 0, &out), 2);
	free(out);
	free(ok);
	free(bad);
}
END_TEST

Suite *ruletest_suite(void)
{
	Suite *s = suite_create("ruletest");
	TCase *tc = tcase_create("ruletest");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, shipped_examples_pass);
	tcase_add_test(tc, passing_case);
	tcase_add_test(tc, wrong_times_fail_with_a_diff);
	tcase_add_test(tc, wrong_count_message_body_fail);
	tcase_add_test(tc, nothing_sent_fails);
	tcase_add_test(tc, unexpected_notifications_fail);
	tcase_add_test(tc, broken_files_are_errors);
	tcase_add_test(tc, rule_errors_point_into_the_test_file);
	tcase_add_test(tc, parseable_rules_text_and_files);
	tcase_add_test(tc, status_of_mixed_runs);
	suite_add_tcase(s, tc);
	return s;
}
