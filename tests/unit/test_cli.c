/* The bpfalert binary, driven as a user drives it: exit codes, error texts,
 * replay over the real Tetragon events, the seed's Parseable alerts. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "xalloc.h"

static char *bpfalert(const char *args, int *status)
{
	char *cmd = xasprintf("%s %s", bpfalert_bin(), args);
	char *out = run_capture(cmd, status);
	free(cmd);
	return out;
}

static size_t count_lines(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

START_TEST(version_help_and_usage_errors)
{
	int st;
	char *out = bpfalert("--version", &st);
	ck_assert_int_eq(st, 0);
	ck_assert(!strncmp(out, "bpfalert ", 9));
	free(out);
	out = bpfalert("--help", &st);
	ck_assert_int_eq(st, 0);
	ck_assert_ptr_nonnull(strstr(out, "bpfalert replay [--dry-run]"));
	free(out);
	out = bpfalert("frobnicate 2>&1", &st);
	ck_assert_int_eq(st, 2);
	ck_assert_ptr_nonnull(strstr(out, "unknown command 'frobnicate'"));
	free(out);
	out = bpfalert("check --bogus 2>&1", &st);
	ck_assert_int_eq(st, 2);
	free(out);
	out = bpfalert("replay --matches -r /nonexistent-dir 2>&1", &st);
	ck_assert_int_eq(st, 1);
	ck_assert_ptr_nonnull(strstr(out, "/nonexistent-dir"));
	free(out);
	out = bpfalert("replay --matches -o yaml 2>&1", &st);
	ck_assert_int_eq(st, 2);
	free(out);
}
END_TEST

START_TEST(check_seed_loads_unchanged)
{
	int st;
	char *cmd = xasprintf("check -r %s 2>&1", testdata_path("seed/tetrademo.json"));
	char *out = bpfalert(cmd, &st);
	ck_assert_int_eq(st, 0);
	ck_assert_str_eq(out, "4 alerts loaded, 0 errors, 0 warnings\n");
	free(out);
	free(cmd);
}
END_TEST

START_TEST(check_reports_every_error_with_caret)
{
	char *dir = make_temp_dir();
	char *f = write_file(dir, "ssh.rules",
		"alerts = (\n"
		"  { name = \"a\"; message = \"m\"; targets = [ \"default\" ];\n"
		"    rule = \"process_exec_process_uid => 1000 or (x = 1 adn y = 2)\"; },\n"
		"  { name = \"b\"; message = \"m\"; targets = [ \"default\" ];\n"
		"    rule = \"x ~ \\\"(a\\\"\"; severtiy = \"info\"; }\n"
		");\n");
	char *cmd = xasprintf("check -r %s 2>&1", dir);
	int st;
	char *out = bpfalert(cmd, &st);
	ck_assert_int_eq(st, 1);
	char *expect = xasprintf(
		"%s:3:38: error: unknown operator '=>' (did you mean '>='?)\n"
		"        rule = \"process_exec_process_uid => 1000 or (x = 1 adn y = 2)\"; },\n"
		"                                         ^\n", f);
	ck_assert_msg(strstr(out, expect), "got:\n%s", out);
	ck_assert_ptr_nonnull(strstr(out, "(did you mean 'and'?)"));
	ck_assert_ptr_nonnull(strstr(out, "invalid regular expression"));
	ck_assert_ptr_nonnull(strstr(out, "unknown key 'severtiy' (did you mean 'severity'?)"));
	ck_assert_ptr_nonnull(strstr(out, "0 alerts loaded, 3 errors, 1 warning"));
	free(expect);
	free(out);
	free(cmd);
	free(f);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* The real process_exec line with its command changed to `CMD`. */
static char *exec_event(const char *binary, const char *args)
{
	char *line = slurp(testdata_path("seed/process_exec-speaker.jsonl"), NULL);
	ck_assert_ptr_nonnull(line);
	char *from = strstr(line, "\"binary\":\"/speaker\",\"arguments\":\"--port=7472 --log-level=info\"");
	ck_assert_ptr_nonnull(from);
	const char *rest = from + strlen("\"binary\":\"/speaker\",\"arguments\":\"--port=7472 --log-level=info\"");
	*from = '\0';
	char *out = xasprintf("%s\"binary\":\"%s\",\"arguments\":\"%s\"%s", line,
			      binary, args, rest);
	free(line);
	return out;
}

START_TEST(seed_alerts_fire_on_the_seed_commands)
{
	static const char *files[] = { "/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow" };
	char *dir = make_temp_dir();
	char *text = xstrdup("");
	for (size_t i = 0; i < 4; i++) {
		char *ev = exec_event("/usr/bin/cat", files[i]);
		char *t = xasprintf("%s%s", text, ev);
		free(text);
		free(ev);
		text = t;
	}
	char *events = write_file(dir, "events.jsonl", text);
	char *cmd = xasprintf("replay --matches -r %s -i %s",
			      testdata_path("seed/tetrademo.json"), events);
	int st;
	char *out = bpfalert(cmd, &st);
	ck_assert_int_eq(st, 0);
	/* /etc/gshadow contains neither "/etc/shadow" nor "/etc/group" */
	ck_assert_str_eq(out,
		"{\"line\":1,\"alerts\":[\"Unauthorised access /etc/passwd\"]}\n"
		"{\"line\":2,\"alerts\":[\"Unauthorised access /etc/shadow\"]}\n"
		"{\"line\":3,\"alerts\":[\"Unauthorised access /etc/group\"]}\n"
		"{\"line\":4,\"alerts\":[\"Unauthorised access /etc/gshadow\"]}\n");
	free(out);
	free(cmd);
	free(events);
	free(text);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(shipped_rules_over_real_events)
{
	char *cmd = xasprintf("replay --matches -r %s -i %s",
			      src_path("rules/sensitive-files.rules"),
			      testdata_path("tetragon/events.jsonl"));
	int st;
	char *out = bpfalert(cmd, &st);
	ck_assert_int_eq(st, 0);
	ck_assert_uint_eq(count_lines(out, "{\"line\":"), 26);
	/* line 11: vi opens /etc/passwd for writing (MAY_WRITE) in a pod */
	ck_assert_ptr_nonnull(strstr(out, "{\"line\":11,\"alerts\":[\"Privilege file written\"]}\n"));
	ck_assert_uint_eq(count_lines(out, "\"alerts\":[]"), 25);
	free(out);
	free(cmd);
}
END_TEST

/* Prefiltering by event kind must never change a result. */
START_TEST(prefilter_never_changes_a_result)
{
	static const char *inputs[] = { "tetragon/events.jsonl", "tetragon/oreilly.jsonl" };
	for (size_t i = 0; i < 2; i++) {
		char *rules = xasprintf("-r %s -r %s -r %s", src_path("tests/data/rules100.rules"),
					src_path("rules"), testdata_path("seed/tetrademo.json"));
		char *a = xasprintf("replay --matches %s -i %s", rules, testdata_path(inputs[i]));
		char *b = xasprintf("replay --matches --no-prefilter %s -i %s", rules,
				    testdata_path(inputs[i]));
		int sa, sb;
		char *oa = bpfalert(a, &sa), *ob = bpfalert(b, &sb);
		ck_assert_int_eq(sa, 0);
		ck_assert_int_eq(sb, 0);
		ck_assert_str_eq(oa, ob);
		ck_assert_uint_gt(count_lines(oa, "bench rule"), 100);
		free(oa);
		free(ob);
		free(a);
		free(b);
		free(rules);
	}
}
END_TEST

START_TEST(bad_lines_are_reported_and_skipped)
{
	char *dir = make_temp_dir();
	char *good = exec_event("/usr/bin/cat", "/etc/passwd");
	char *text = xasprintf("%s{\"process_exec\":{\"process\":\n[1,2]\n\xff\xfe garbage\n%s",
			       good, good);
	char *events = write_file(dir, "mixed.jsonl", text);
	char *cmd = xasprintf("replay --matches -r %s -i %s 2>%s/err",
			      testdata_path("seed/tetrademo.json"), events, dir);
	int st;
	char *out = bpfalert(cmd, &st);
	ck_assert_int_eq(st, 0);
	ck_assert_str_eq(out,
		"{\"line\":1,\"alerts\":[\"Unauthorised access /etc/passwd\"]}\n"
		"{\"line\":5,\"alerts\":[\"Unauthorised access /etc/passwd\"]}\n");
	char *errpath = xasprintf("%s/err", dir);
	char *err = slurp(errpath, NULL);
	ck_assert_ptr_nonnull(strstr(err, "mixed.jsonl:2: error:"));
	ck_assert_ptr_nonnull(strstr(err, "mixed.jsonl:3: error:"));
	ck_assert_ptr_nonnull(strstr(err, "mixed.jsonl:4: error:"));
	ck_assert_ptr_nonnull(strstr(err, "3 of 5 lines skipped"));
	free(err);
	free(errpath);
	free(out);
	free(cmd);
	free(events);
	free(text);
	free(good);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(dry_run_shows_the_seed_schedule)
{
	char *dir = make_temp_dir();
	char *ev = exec_event("/usr/bin/cat", "/etc/passwd");
	char *events = write_file(dir, "cat.jsonl", ev);
	char *cmd = xasprintf("replay --dry-run -o json -r %s -i %s",
			      testdata_path("seed/tetrademo.json"), events);
	int st;
	char *out = bpfalert(cmd, &st);
	ck_assert_int_eq(st, 0);
	static const char *times[] = {
		"2023-11-16T02:33:50.429Z\",\"alert\":\"Unauthorised access /etc/passwd\",\"status\":\"firing\"",
		"2023-11-16T02:34:00.429Z\",\"alert\":\"Unauthorised access /etc/passwd\",\"status\":\"firing\"",
		"2023-11-16T02:34:10.429Z\",\"alert\":\"Unauthorised access /etc/passwd\",\"status\":\"firing\"",
		"2023-11-16T02:34:20.429Z\",\"alert\":\"Unauthorised access /etc/passwd\",\"status\":\"firing\"",
		"2023-11-16T02:34:30.429Z\",\"alert\":\"Unauthorised access /etc/passwd\",\"status\":\"firing\"",
		"2023-11-16T02:38:50.429Z\",\"alert\":\"Unauthorised access /etc/passwd\",\"status\":\"resolved\"",
	};
	const char *p = out;
	for (size_t i = 0; i < 6; i++) {
		p = strstr(p, times[i]);
		ck_assert_msg(p, "missing %s in\n%s", times[i], out);
	}
	ck_assert_uint_eq(count_lines(out, "{\"time\":"), 6);
	ck_assert_ptr_nonnull(strstr(out, "\"body\":\"Unauthorised access /etc/passwd triggered on tetrademo\\nMessage: /etc/passwd file is accessed by an unauthorised pod\\nFailing Condition: matched rule process_exec_process_arguments =% \\\"/etc/passwd\\\"\""));
	free(out);
	free(cmd);
	free(events);
	free(ev);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(rule_tests_pass_and_fail)
{
	char *cmd = xasprintf("test %s %s", src_path("tests/data/ruletests/tetrademo.test"),
			      src_path("tests/data/ruletests/shell-in-pod.test"));
	int st;
	char *out = bpfalert(cmd, &st);
	ck_assert_msg(st == 0, "%s", out);
	free(out);
	free(cmd);
	out = bpfalert("test 2>&1", &st);
	ck_assert_int_eq(st, 2);
	free(out);
}
END_TEST

START_TEST(dump_bytecode)
{
	char *cmd = xasprintf("rules --dump-bytecode -r %s", testdata_path("seed/tetrademo.json"));
	int st;
	char *out = bpfalert(cmd, &st);
	ck_assert_int_eq(st, 0);
	ck_assert_ptr_nonnull(strstr(out, "CONTAINS  process_exec_process_arguments, k0 \"/etc/shadow\""));
	ck_assert_uint_eq(count_lines(out, "RET"), 4);
	free(out);
	free(cmd);
}
END_TEST

Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("commands");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, version_help_and_usage_errors);
	tcase_add_test(tc, check_seed_loads_unchanged);
	tcase_add_test(tc, check_reports_every_error_with_caret);
	tcase_add_test(tc, seed_alerts_fire_on_the_seed_commands);
	tcase_add_test(tc, shipped_rules_over_real_events);
	tcase_add_test(tc, prefilter_never_changes_a_result);
	tcase_add_test(tc, bad_lines_are_reported_and_skipped);
	tcase_add_test(tc, dry_run_shows_the_seed_schedule);
	tcase_add_test(tc, rule_tests_pass_and_fail);
	tcase_add_test(tc, dump_bytecode);
	suite_add_tcase(s, tc);
	return s;
}
