/* Notifications: the alert document of DESIGN §7.1 to the byte, the spool
 * record round trip and its refusal of corrupt records, and Parseable's
 * texts (§7.3) byte for byte. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "alertdef.h"
#include "fields.h"
#include "notification.h"
#include "parseable_text.h"
#include "rule.h"
#include "testutil.h"
#include "xalloc.h"

/* 2023-11-16T02:33:50.429Z */
#define STARTS 1700102030429LL

static notification *sample(void)
{
	notification *n = notification_new();
	n->id = 42;
	n->alert = xstrdup("Unauthorised access /etc/passwd");
	n->status = NOTIFY_FIRING;
	n->kind = NOTIFY_KIND_REPEAT;
	n->severity = SEVERITY_CRITICAL;
	n->message = xstrdup("/usr/bin/cat read /etc/passwd in default/dev-pod");
	n->rule = xstrdup("process_exec_process_arguments =% \"/etc/passwd\"");
	n->reason = xstrdup("matched rule process_exec_process_arguments =% \"/etc/passwd\"");
	n->stream = xstrdup("tetrademo");
	n->parseable = true;
	n->ngroup = 1;
	n->group_keys = xcalloc(1, sizeof(char *));
	n->group_values = xcalloc(1, sizeof(char *));
	n->group_keys[0] = xstrdup("process_exec_process_pod_name");
	n->group_values[0] = xstrdup("dev-pod");
	n->count = 3;
	n->seq = 2;
	n->of = 5;
	n->time_ms = STARTS + 10000;
	n->starts_at_ms = STARTS;
	n->node = xstrdup("node1");
	n->source = xstrdup("tetragon");
	n->event_json = xstrdup("{\"process_exec\":{\"process\":{\"binary\":\"/usr/bin/cat\","
				"\"arguments\":\"/etc/passwd\"}},\"node_name\":\"node1\","
				"\"time\":\"2023-11-16T02:33:50.429221745Z\"}");
	n->target = xstrdup("oncall");
	n->attempts = 2;
	return n;
}

START_TEST(document_firing)
{
	notification *n = sample();
	char *doc = notification_document_text(n);
	ck_assert_str_eq(doc,
		"{\"alert\":\"Unauthorised access /etc/passwd\",\"status\":\"firing\","
		"\"severity\":\"critical\",\"message\":\"/usr/bin/cat read /etc/passwd in default/dev-pod\","
		"\"rule\":\"process_exec_process_arguments =% \\\"/etc/passwd\\\"\","
		"\"group\":{\"process_exec_process_pod_name\":\"dev-pod\"},\"count\":3,"
		"\"notification\":{\"seq\":2,\"of\":5},\"starts_at\":\"2023-11-16T02:33:50.429Z\","
		"\"ends_at\":null,\"node\":\"node1\",\"source\":\"tetragon\","
		"\"event\":{\"process_exec\":{\"process\":{\"binary\":\"/usr/bin/cat\","
		"\"arguments\":\"/etc/passwd\"}},\"node_name\":\"node1\","
		"\"time\":\"2023-11-16T02:33:50.429221745Z\"}}");
	free(doc);
	notification_free(&n);
	ck_assert_ptr_null(n);
}
END_TEST

START_TEST(document_resolved_unlimited)
{
	notification *n = sample();
	n->status = NOTIFY_RESOLVED;
	n->kind = NOTIFY_KIND_RESOLVED;
	n->of = 0;
	n->ends_at_ms = STARTS + 300000;
	free(n->event_json);
	n->event_json = NULL;
	free(n->group_keys[0]);
	free(n->group_values[0]);
	free(n->group_keys);
	free(n->group_values);
	n->group_keys = n->group_values = NULL;
	n->ngroup = 0;
	char *doc = notification_document_text(n);
	ck_assert_str_eq(doc,
		"{\"alert\":\"Unauthorised access /etc/passwd\",\"status\":\"resolved\","
		"\"severity\":\"critical\",\"message\":\"/usr/bin/cat read /etc/passwd in default/dev-pod\","
		"\"rule\":\"process_exec_process_arguments =% \\\"/etc/passwd\\\"\","
		"\"group\":{},\"count\":3,\"notification\":{\"seq\":2,\"of\":null},"
		"\"starts_at\":\"2023-11-16T02:33:50.429Z\",\"ends_at\":\"2023-11-16T02:38:50.429Z\","
		"\"node\":\"node1\",\"source\":\"tetragon\",\"event\":null}");
	free(doc);
	notification_free(&n);
}
END_TEST

START_TEST(format_time)
{
	char buf[NOTIFICATION_TIME_MAX];
	notification_format_time(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1970-01-01T00:00:00.000Z");
	notification_format_time(-1, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1969-12-31T23:59:59.999Z");
	notification_format_time(STARTS, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2023-11-16T02:33:50.429Z");
}
END_TEST

START_TEST(spool_round_trip)
{
	notification *n = sample();
	char *rec = notification_to_json(n);
	char err[256] = "";
	notification *back = notification_from_json(rec, strlen(rec), err, sizeof(err));
	ck_assert_msg(back != NULL, "%s", err);
	ck_assert_uint_eq(back->id, 42);
	ck_assert_int_eq(back->kind, NOTIFY_KIND_REPEAT);
	ck_assert_int_eq(back->status, NOTIFY_FIRING);
	ck_assert_int_eq(back->severity, SEVERITY_CRITICAL);
	ck_assert_str_eq(back->target, "oncall");
	ck_assert_uint_eq(back->attempts, 2);
	ck_assert_int_eq(back->time_ms, STARTS + 10000);
	ck_assert_int_eq(back->starts_at_ms, STARTS);
	ck_assert_str_eq(back->reason, n->reason);
	ck_assert_str_eq(back->stream, "tetrademo");
	ck_assert(back->parseable);
	ck_assert_uint_eq(back->ngroup, 1);
	ck_assert_str_eq(back->group_values[0], "dev-pod");
	ck_assert_str_eq(back->event_json, n->event_json);
	char *again = notification_to_json(back);
	ck_assert_str_eq(again, rec);
	/* The document is the same from either. */
	char *d1 = notification_document_text(n), *d2 = notification_document_text(back);
	ck_assert_str_eq(d1, d2);
	free(d1);
	free(d2);
	free(again);
	free(rec);
	notification_free(&back);
	notification_free(&n);
}
END_TEST

START_TEST(spool_round_trip_nulls)
{
	notification *n = notification_new();
	n->alert = xstrdup("a");
	n->message = xstrdup("");
	n->rule = xstrdup("r");
	n->target = xstrdup("t");
	n->id = UINT64_C(1) << 40;
	n->time_ms = -5;
	char *rec = notification_to_json(n);
	char err[256] = "";
	notification *back = notification_from_json(rec, strlen(rec), err, sizeof(err));
	ck_assert_msg(back != NULL, "%s", err);
	ck_assert_ptr_null(back->stream);
	ck_assert_ptr_null(back->event_json);
	ck_assert_ptr_null(back->node);
	ck_assert_uint_eq(back->id, UINT64_C(1) << 40);
	ck_assert_int_eq(back->time_ms, -5);
	notification_free(&back);
	free(rec);
	notification_free(&n);
}
END_TEST

static void rejects(const char *text, const char *why)
{
	char err[256] = "";
	notification *n = notification_from_json(text, strlen(text), err, sizeof(err));
	ck_assert_msg(n == NULL, "accepted: %s", text);
	ck_assert_msg(strstr(err, why) != NULL, "reason \"%s\" lacks \"%s\"", err, why);
}

/* Replaces the first occurrence of `from` in the sample record. */
static char *edited(const char *from, const char *to)
{
	notification *n = sample();
	char *rec = notification_to_json(n);
	notification_free(&n);
	char *at = strstr(rec, from);
	ck_assert_msg(at != NULL, "no %s in %s", from, rec);
	char *out = xasprintf("%.*s%s%s", (int)(at - rec), rec, to, at + strlen(from));
	free(rec);
	return out;
}

START_TEST(spool_rejects_corrupt)
{
	static const struct { const char *from, *to, *why; } cases[] = {
		{ "\"v\":1", "\"v\":2", "'v'" },
		{ "\"kind\":\"repeat\"", "\"kind\":\"again\"", "'kind'" },
		{ "\"status\":\"firing\"", "\"status\":1", "'status'" },
		{ "\"severity\":\"critical\"", "\"severity\":\"dire\"", "'severity'" },
		{ "\"seq\":2", "\"seq\":-2", "'seq'" },
		{ "\"seq\":2", "\"seq\":99999999999", "'seq'" },
		{ "\"count\":3", "\"count\":\"3\"", "'count'" },
		{ "\"target\":\"oncall\"", "\"target\":null", "'target'" },
		{ "\"group_values\":[\"dev-pod\"]", "\"group_values\":[]", "'group_values'" },
		{ "\"group_keys\":[\"process_exec_process_pod_name\"]", "\"group_keys\":[7]", "'group_keys'" },
		{ "\"parseable\":true", "\"parseable\":\"yes\"", "'parseable'" },
		{ "\"alert\":\"Unauthorised", "\"alert\":\"x\\u0000", "'alert'" },
		{ "\"id\":42,", "", "'id'" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *rec = edited(cases[i].from, cases[i].to);
		rejects(rec, cases[i].why);
		free(rec);
	}
	rejects("", "truncated");
	rejects("[1,2]", "not a JSON object");
	rejects("{\"v\":1} x", "trailing");
	rejects("{\"v\":1", "truncated");
	rejects("{\"v\":1}", "is missing");
	rejects("nul\0l", "JSON");
}
END_TEST

START_TEST(spool_rejects_every_truncation)
{
	notification *n = sample();
	char *rec = notification_to_json(n);
	size_t len = strlen(rec);
	char err[128];
	for (size_t cut = 0; cut < len; cut++) {
		notification *back = notification_from_json(rec, cut, err, sizeof(err));
		ck_assert_msg(back == NULL, "accepted the first %zu bytes", cut);
	}
	/* Flipping any one byte either fails cleanly or still parses. */
	for (size_t i = 0; i < len; i++) {
		char saved = rec[i];
		rec[i] = (char)(saved ^ 0x5a);
		notification *back = notification_from_json(rec, len, NULL, 0);
		notification_free(&back);
		rec[i] = saved;
	}
	free(rec);
	notification_free(&n);
}
END_TEST

START_TEST(clone_is_deep)
{
	notification *n = sample();
	notification *c = notification_clone(n);
	ck_assert_ptr_ne(c->alert, n->alert);
	ck_assert_ptr_ne(c->group_values[0], n->group_values[0]);
	char *a = notification_to_json(n);
	notification_free(&n);
	char *b = notification_to_json(c);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	notification_free(&c);
}
END_TEST

/* ---- Parseable's texts ---- */

START_TEST(parseable_bodies)
{
	notification *n = sample();
	n->message = (free(n->message), xstrdup("/etc/passwd file is accessed by an unauthorised pod"));
	char *t = notification_parseable_text(n);
	ck_assert_str_eq(t, "Unauthorised access /etc/passwd triggered on tetrademo\n"
			 "Message: /etc/passwd file is accessed by an unauthorised pod\n"
			 "Failing Condition: matched rule process_exec_process_arguments =% \"/etc/passwd\"");
	free(t);
	n->status = NOTIFY_RESOLVED;
	n->kind = NOTIFY_KIND_RESOLVED;
	t = notification_parseable_text(n);
	ck_assert_str_eq(t, "Unauthorised access /etc/passwd on tetrademo is now resolved ");
	free(t);
	/* A native alert has no stream: the node stands in. */
	free(n->stream);
	n->stream = NULL;
	t = notification_parseable_text(n);
	ck_assert_str_eq(t, "Unauthorised access /etc/passwd on node1 is now resolved ");
	free(t);
	notification_free(&n);
}
END_TEST

static alert_def *column_alert(field_table *ft, const char *column, const char *op,
			       const char *val, bool number, unsigned repeats)
{
	alert_def *a = xcalloc(1, sizeof(*a));
	struct column_rule cr = { column, op, val, number, false };
	rule_errors errs = { 0 };
	a->is_column_rule = true;
	a->column.column = xstrdup(column);
	a->column.op = xstrdup(op);
	a->column.value = xstrdup(val);
	a->column.value_is_number = number;
	a->repeats = repeats;
	a->prog = rule_compile_column(&cr, ft, &errs);
	ck_assert_msg(a->prog != NULL, "column rule %s %s %s: %s", column, op, val,
		      errs.n ? errs.v[0].message : "?");
	rule_errors_clear(&errs);
	return a;
}

START_TEST(parseable_reasons)
{
	static const struct {
		const char *column, *op, *value;
		bool number;
		unsigned repeats;
		const char *want;
	} cases[] = {
		{ "size", "greaterThan", "500", true, 3, "size column was greater than 500, 3 times" },
		{ "size", ">=", "500", true, 1, "size column was greater than or equal to 500, 1 times" },
		{ "size", "lessThan", "2.5", true, 2, "size column was less than 2.5, 2 times" },
		{ "size", "<=", "7", true, 1, "size column was less than or equal to 7, 1 times" },
		{ "size", "equalTo", "7", true, 1, "size column was equal to 7, 1 times" },
		{ "size", "!=", "7", true, 1, "size column was  not equal to 7, 1 times" },
		{ "path", "contains", "/etc", false, 1, "path column contains /etc, 1 times" },
		{ "path", "!%", "/etc", false, 1, "path column does not contain /etc, 1 times" },
		{ "path", "exact", "/etc", false, 4, "path column equal to /etc, 4 times" },
		{ "path", "notExact", "/etc", false, 1, "path column not equal to /etc, 1 times" },
		{ "path", "regex", "^/etc", false, 1, "path column matches regex ^/etc, 1 times" },
	};
	field_table *ft = field_table_new();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		alert_def *a = column_alert(ft, cases[i].column, cases[i].op, cases[i].value,
					    cases[i].number, cases[i].repeats);
		char *r = parseable_reason(a);
		ck_assert_str_eq(r, cases[i].want);
		free(r);
		alert_def_free(&a);
	}
	field_table_free(&ft);
}
END_TEST

START_TEST(parseable_composite_reason)
{
	field_table *ft = field_table_new();
	rule_errors errs = { 0 };
	const char *text = "process_exec_process_arguments =% \"/etc/passwd\"";
	alert_def *a = xcalloc(1, sizeof(*a));
	a->rule_text = xstrdup(text);
	a->prog = rule_compile(text, strlen(text), ft, &errs);
	ck_assert_ptr_nonnull(a->prog);
	char *r = parseable_reason(a);
	ck_assert_str_eq(r, "matched rule process_exec_process_arguments =% \"/etc/passwd\"");
	free(r);
	alert_def_free(&a);

	text = "a = \"x\" and b = 2 or not c =% \"y\"";
	a = xcalloc(1, sizeof(*a));
	a->prog = rule_compile(text, strlen(text), ft, &errs);
	ck_assert_ptr_nonnull(a->prog);
	r = parseable_reason(a);
	char *want = xasprintf("matched rule %s", rule_program_text(a->prog));
	ck_assert_str_eq(r, want);
	free(want);
	ck_assert_str_eq(r, "matched rule ((a = \"x\" and b = 2) or !(c =% \"y\"))");
	free(r);
	alert_def_free(&a);
	rule_errors_clear(&errs);
	field_table_free(&ft);
}
END_TEST

Suite *notification_suite(void)
{
	Suite *s = suite_create("notification");
	TCase *tc = tcase_create("notification");
	tcase_add_test(tc, document_firing);
	tcase_add_test(tc, document_resolved_unlimited);
	tcase_add_test(tc, format_time);
	tcase_add_test(tc, spool_round_trip);
	tcase_add_test(tc, spool_round_trip_nulls);
	tcase_add_test(tc, spool_rejects_corrupt);
	tcase_add_test(tc, spool_rejects_every_truncation);
	tcase_add_test(tc, clone_is_deep);
	tcase_add_test(tc, parseable_bodies);
	tcase_add_test(tc, parseable_reasons);
	tcase_add_test(tc, parseable_composite_reason);
	suite_add_tcase(s, tc);
	return s;
}
