/* Targets: repeat-schedule defaults per type, configuration errors, and
 * resolving alerts' target references (named and inline). */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "alertdef.h"
#include "diag.h"
#include "targets.h"
#include "testutil.h"
#include "xalloc.h"

static target_set ts;

static void setup(void)
{
	memset(&ts, 0, sizeof(ts));
}

static void teardown(void)
{
	target_set_clear(&ts);
}

/* Adds a named target; returns 0 or -1 with the reason in err. */
static int add(const char *name, const char *json, char *err, size_t errlen)
{
	struct json_object *cfg = json_tokener_parse(json);
	ck_assert_msg(cfg != NULL, "bad test JSON %s", json);
	int rc = target_set_add_named(&ts, name, cfg, err, errlen);
	json_object_put(cfg);
	return rc;
}

static const target_def *added(const char *name, const char *json)
{
	char err[256] = "";
	ck_assert_msg(add(name, json, err, sizeof(err)) == 0, "%s", err);
	size_t i = target_set_find(&ts, name);
	ck_assert_uint_ne(i, SIZE_MAX);
	return ts.v[i];
}

START_TEST(defaults_per_type)
{
	static const struct { const char *type; unsigned times; } cases[] = {
		{ "webhook", 5 }, { "slack", 5 }, { "alertmanager", 0 },
		{ "syslog", 1 }, { "file", 1 }, { "stdout", 1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char json[128];
		snprintf(json, sizeof(json), "{\"type\":\"%s\"}", cases[i].type);
		const target_def *t = added(cases[i].type, json);
		ck_assert_str_eq(t->type, cases[i].type);
		ck_assert_msg(t->times == cases[i].times, "%s: times %u", cases[i].type, t->times);
		ck_assert_int_eq(t->interval_ms, 200000);
		ck_assert(t->send_resolved);
		ck_assert(!t->inline_def);
	}
}
END_TEST

START_TEST(repeat_and_send_resolved)
{
	const target_def *t = added("a", "{\"type\":\"webhook\",\"endpoint\":\"http://x\","
				    "\"repeat\":{\"interval\":\"3m 20s\",\"times\":2},"
				    "\"send_resolved\":false}");
	ck_assert_int_eq(t->interval_ms, 200000);
	ck_assert_uint_eq(t->times, 2);
	ck_assert(!t->send_resolved);
	t = added("b", "{\"type\":\"slack\",\"repeat\":{\"interval\":\"10s\"}}");
	ck_assert_int_eq(t->interval_ms, 10000);
	ck_assert_uint_eq(t->times, 5);
	t = added("c", "{\"type\":\"webhook\",\"repeat\":{\"times\":0}}");
	ck_assert_uint_eq(t->times, 0);
	/* The configuration is copied whole for the notifier. */
	struct json_object *ep;
	ck_assert(json_object_object_get_ex(ts.v[0]->cfg, "endpoint", &ep));
	ck_assert_str_eq(json_object_get_string(ep), "http://x");
}
END_TEST

START_TEST(configuration_errors)
{
	static const struct { const char *json, *why; } cases[] = {
		{ "{}", "has no 'type'" },
		{ "{\"type\":3}", "has no 'type'" },
		{ "[1]", "must be a group" },
		{ "{\"type\":\"webhook\",\"repeat\":5}", "'repeat' must be a group" },
		{ "{\"type\":\"webhook\",\"repeat\":{\"interval\":10}}", "'repeat.interval' must be a duration" },
		{ "{\"type\":\"webhook\",\"repeat\":{\"interval\":\"soon\"}}", "'repeat.interval':" },
		{ "{\"type\":\"webhook\",\"repeat\":{\"interval\":\"0s\"}}", "more than zero" },
		{ "{\"type\":\"webhook\",\"repeat\":{\"times\":-1}}", "'repeat.times'" },
		{ "{\"type\":\"webhook\",\"repeat\":{\"times\":\"5\"}}", "'repeat.times'" },
		{ "{\"type\":\"webhook\",\"repeat\":{\"times\":5000000000}}", "'repeat.times'" },
		{ "{\"type\":\"webhook\",\"send_resolved\":\"yes\"}", "'send_resolved'" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[256] = "";
		ck_assert_msg(add("t", cases[i].json, err, sizeof(err)) == -1, "accepted %s",
			      cases[i].json);
		ck_assert_msg(strstr(err, cases[i].why) != NULL, "%s: \"%s\" lacks \"%s\"",
			      cases[i].json, err, cases[i].why);
		ck_assert_msg(strncmp(err, "target 't'", 10) == 0, "%s", err);
	}
	ck_assert_uint_eq(ts.n, 0);
	char err[256];
	added("dup", "{\"type\":\"stdout\"}");
	ck_assert_int_eq(add("dup", "{\"type\":\"stdout\"}", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "target 'dup' is defined twice");
}
END_TEST

static alert_def *alert(alert_list *l, const char *name, int line)
{
	alert_def *a = xcalloc(1, sizeof(*a));
	a->name = xstrdup(name);
	a->file = xstrdup("rules.d/x.rules");
	a->line = line;
	alert_list_push(l, a);
	return a;
}

static void ref_name(alert_def *a, const char *name, int line)
{
	a->targets = xrealloc(a->targets, (a->ntargets + 1) * sizeof(*a->targets));
	a->targets[a->ntargets++] = (struct target_ref){ .name = xstrdup(name), .line = line };
}

static void ref_inline(alert_def *a, const char *json, int line)
{
	a->targets = xrealloc(a->targets, (a->ntargets + 1) * sizeof(*a->targets));
	a->targets[a->ntargets++] = (struct target_ref){ .inline_cfg = json_tokener_parse(json),
							 .line = line };
}

START_TEST(resolve_named_and_inline)
{
	alert_list l = { 0 };
	size_t **map = NULL;
	char *report = NULL;
	size_t rlen = 0;
	FILE *out = open_memstream(&report, &rlen);
	diag *d = diag_new(out);

	added("oncall", "{\"type\":\"webhook\",\"endpoint\":\"http://x\"}");
	alert_def *a = alert(&l, "passwd", 3);
	ref_inline(a, "{\"type\":\"webhook\",\"endpoint\":\"http://y\",\"repeat\":{\"interval\":\"10s\",\"times\":5}}", 4);
	ref_name(a, "oncall", 5);
	ref_inline(a, "{\"type\":\"alertmanager\",\"endpoint\":\"http://am\"}", 6);
	alert_def *b = alert(&l, "shadow", 10);
	ref_name(b, "oncall", 11);

	ck_assert_uint_eq(targets_resolve(&ts, &l, &map, d), 0);
	ck_assert_uint_eq(ts.n, 3);
	ck_assert_str_eq(ts.v[map[0][0]]->name, "passwd#1");
	ck_assert(ts.v[map[0][0]]->inline_def);
	ck_assert_int_eq(ts.v[map[0][0]]->interval_ms, 10000);
	ck_assert_uint_eq(map[0][1], 0);
	ck_assert_str_eq(ts.v[map[0][2]]->name, "passwd#3");
	ck_assert_uint_eq(ts.v[map[0][2]]->times, 0);
	ck_assert_uint_eq(map[1][0], 0);   /* shared with the first alert */
	ck_assert_uint_eq(diag_errors(d), 0);

	diag_free(&d);
	fclose(out);
	ck_assert_uint_eq(rlen, 0);
	free(report);
	target_map_free(&map, l.n);
	ck_assert_ptr_null(map);
	alert_list_clear(&l);
}
END_TEST

START_TEST(resolve_errors)
{
	alert_list l = { 0 };
	size_t **map = NULL;
	char *report = NULL;
	size_t rlen = 0;
	FILE *out = open_memstream(&report, &rlen);
	diag *d = diag_new(out);

	alert_def *a = alert(&l, "X", 3);
	ref_name(a, "Y", 7);
	ref_inline(a, "{\"endpoint\":\"http://y\"}", 8);
	ref_inline(a, "{\"type\":\"webhook\"}", 9);
	/* A name must be a configured target, not another alert's inline one. */
	alert_def *b = alert(&l, "Z", 12);
	ref_name(b, "X#3", 13);

	ck_assert_uint_eq(targets_resolve(&ts, &l, &map, d), 3);
	ck_assert_uint_eq(map[0][0], SIZE_MAX);
	ck_assert_uint_eq(map[0][1], SIZE_MAX);
	ck_assert_str_eq(ts.v[map[0][2]]->name, "X#3");
	ck_assert_uint_eq(map[1][0], SIZE_MAX);
	ck_assert_uint_eq(diag_errors(d), 3);
	diag_free(&d);
	fclose(out);
	ck_assert_msg(strstr(report, "rules.d/x.rules:7: error: alert 'X' names undefined target 'Y'"),
		      "%s", report);
	ck_assert_msg(strstr(report, "rules.d/x.rules:8: error: alert 'X': target 'X#2' has no 'type'"),
		      "%s", report);
	ck_assert_msg(strstr(report, "rules.d/x.rules:13: error: alert 'Z' names undefined target 'X#3'"),
		      "%s", report);
	free(report);
	target_map_free(&map, l.n);
	alert_list_clear(&l);
}
END_TEST

Suite *targets_suite(void)
{
	Suite *s = suite_create("targets");
	TCase *tc = tcase_create("targets");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults_per_type);
	tcase_add_test(tc, repeat_and_send_resolved);
	tcase_add_test(tc, configuration_errors);
	tcase_add_test(tc, resolve_named_and_inline);
	tcase_add_test(tc, resolve_errors);
	suite_add_tcase(s, tc);
	return s;
}
