/* Parseable's composite rules in serde's object form ({"and": [...]},
 * {"string": {..., "ignoreCase": true}}, ...): what they print back as
 * (Parseable's Display), what they match, their located errors, and the
 * seed's alert file rewritten in that form sending exactly what the text
 * form sends.  Each case is a data file under tests/data/. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "xalloc.h"

/* Runs bpfalert from the source tree with `args`; returns stdout+stderr. */
static char *bpfalert(const char *args, int *status)
{
	char *cmd = xasprintf("cd '%s' && '%s' %s 2>&1", src_path(""), bpfalert_bin(), args);
	char *out = run_capture(cmd, status);
	free(cmd);
	ck_assert_ptr_nonnull(out);
	return out;
}

static void expect_file(const char *args, const char *want_rel, int want_status)
{
	int status;
	char *out = bpfalert(args, &status);
	char *want = slurp(src_path(want_rel), NULL);
	ck_assert_ptr_nonnull(want);
	ck_assert_msg(!strcmp(out, want), "bpfalert %s:\n--- got:\n%s--- expected:\n%s", args,
		      out, want);
	ck_assert_int_eq(status, want_status);
	free(out);
	free(want);
}

START_TEST(object_rules_print_as_parseable_does)
{
	expect_file("rules -r tests/data/rulefiles/object.json",
		    "tests/data/rulefiles/object.json.rules", 0);
}
END_TEST

START_TEST(object_rules_match_as_parseable_does)
{
	expect_file("replay --matches -r tests/data/rulefiles/object.json "
		    "-i tests/data/rulefiles/object-events.jsonl",
		    "tests/data/rulefiles/object-events.matches", 0);
}
END_TEST

START_TEST(object_rule_errors_are_located)
{
	expect_file("check -r tests/data/rulefiles/object-errors.json",
		    "tests/data/rulefiles/object-errors.json.out", 1);
}
END_TEST

/* The seed's tetrademo.json with each rule in the object form sends the
 * same notifications, Parseable's reason text included. */
START_TEST(both_forms_send_the_same)
{
	int s1, s2;
	char *text = bpfalert("replay --dry-run -o json -r tests/data/seed/tetrademo.json "
			      "-i tests/data/parseable/cat-events.jsonl", &s1);
	char *object = bpfalert("replay --dry-run -o json -r tests/data/parseable/object/tetrademo.json "
				"-i tests/data/parseable/cat-events.jsonl", &s2);
	ck_assert_int_eq(s1, 0);
	ck_assert_int_eq(s2, 0);
	ck_assert_str_eq(object, text);
	ck_assert_ptr_nonnull(strstr(object, "Failing Condition: matched rule "
				     "process_exec_process_arguments =% \\\"/etc/gshadow\\\"\""));
	size_t firing = 0;
	for (const char *p = object; (p = strstr(p, "\"status\":\"firing\"")); p++)
		firing++;
	ck_assert_uint_eq(firing, 4 * 5);   /* four alerts, five notifications each */
	free(text);
	free(object);
}
END_TEST

Suite *rule_object_suite(void)
{
	Suite *s = suite_create("rule_object");
	TCase *tc = tcase_create("object form");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, object_rules_print_as_parseable_does);
	tcase_add_test(tc, object_rules_match_as_parseable_does);
	tcase_add_test(tc, object_rule_errors_are_located);
	tcase_add_test(tc, both_forms_send_the_same);
	suite_add_tcase(s, tc);
	return s;
}
