/* The dry-run driver (DESIGN §9): real events through the real rule set,
 * alert manager and notifiers on a virtual clock, printing what would be
 * sent.  The seed's Parseable file over a `cat /etc/passwd` exec must give
 * a firing notification at the event's time, repeats at +10 s .. +40 s
 * and a resolution 5 minutes later, with Parseable's bodies. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "alertdef.h"
#include "diag.h"
#include "dryrun.h"
#include "fields.h"
#include "jsonl.h"
#include "rulefiles.h"
#include "targets.h"
#include "testutil.h"
#include "xalloc.h"

static struct jsonl_counters counters;

struct loaded {
	field_table *ft;
	alert_list alerts;
	target_set targets;
	size_t **map;
};

static void load(struct loaded *l, const char *path)
{
	memset(l, 0, sizeof(*l));
	l->ft = field_table_new();
	diag *d = diag_new(stderr);
	ck_assert_uint_eq(rulefiles_load_file(path, l->ft, d, &l->alerts), 0);
	ck_assert_uint_eq(targets_resolve(&l->targets, &l->alerts, &l->map, d), 0);
	diag_free(&d);
}

static void unload(struct loaded *l)
{
	target_map_free(&l->map, l->alerts.n);
	target_set_clear(&l->targets);
	alert_list_clear(&l->alerts);
	field_table_free(&l->ft);
}

/* The seed's real process_exec line with `cat /etc/passwd` as its process. */
static char *passwd_event(void)
{
	char *line = slurp(testdata_path("seed/process_exec-speaker.jsonl"), NULL);
	ck_assert_ptr_nonnull(line);
	const char *from[] = { "\"binary\":\"/speaker\"", "\"arguments\":\"--port=7472 --log-level=info\"" };
	const char *to[] = { "\"binary\":\"/usr/bin/cat\"", "\"arguments\":\"/etc/passwd\"" };
	for (int i = 0; i < 2; i++) {
		char *at = strstr(line, from[i]);
		ck_assert_msg(at != NULL, "the seed line no longer holds %s", from[i]);
		char *next = xasprintf("%.*s%s%s", (int)(at - line), line, to[i], at + strlen(from[i]));
		free(line);
		line = next;
	}
	line[strcspn(line, "\n")] = '\0';
	return line;
}

/* Runs the dry run over `input`; returns its output and the report. */
static char *run(struct loaded *l, const char *input, enum dryrun_format fmt,
		 char **report)
{
	char *out = NULL, *rep = NULL;
	size_t olen = 0, rlen = 0;
	FILE *in = fmemopen((void *)input, strlen(input), "r");
	FILE *o = open_memstream(&out, &olen);
	FILE *r = open_memstream(&rep, &rlen);
	struct dryrun_options opt = {
		.alerts = &l->alerts, .fields = l->ft, .targets = &l->targets,
		.target_map = l->map, .node_name = "node1", .in = in,
		.in_name = "events.jsonl", .out = o, .format = fmt, .report = r,
		.counters = &counters,
	};
	ck_assert_int_eq(dryrun_run(&opt), 0);
	fclose(in);
	fclose(o);
	fclose(r);
	if (report)
		*report = rep;
	else
		free(rep);
	return out;
}

static struct json_object *line_json(const char *out, int n)
{
	const char *p = out;
	for (int i = 0; i < n && p; i++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	ck_assert_msg(p && *p, "no output line %d in:\n%s", n + 1, out);
	size_t len = strcspn(p, "\n");
	char *text = xstrndup(p, len);
	struct json_object *o = json_tokener_parse(text);
	ck_assert_msg(o != NULL, "line %d is not JSON: %s", n + 1, text);
	free(text);
	return o;
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;
	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	return json_object_get_string(v);
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

START_TEST(tetrademo_schedule)
{
	struct loaded l;
	load(&l, testdata_path("seed/tetrademo.json"));
	char *ev = passwd_event();
	char *input = xasprintf("%s\n", ev);
	char *out = run(&l, input, DRYRUN_JSON, NULL);

	static const char *times[] = {
		"2023-11-16T02:33:50.429Z", "2023-11-16T02:34:00.429Z",
		"2023-11-16T02:34:10.429Z", "2023-11-16T02:34:20.429Z",
		"2023-11-16T02:34:30.429Z", "2023-11-16T02:38:50.429Z",
	};
	ck_assert_int_eq(count_lines(out), 6);
	const char *rule = l.alerts.v[0]->prog ? rule_program_text(l.alerts.v[0]->prog) : "?";
	char *firing = xasprintf("Unauthorised access /etc/passwd triggered on tetrademo\n"
				 "Message: /etc/passwd file is accessed by an unauthorised pod\n"
				 "Failing Condition: matched rule %s", rule);
	ck_assert_str_eq(rule, "process_exec_process_arguments =% \"/etc/passwd\"");
	for (int i = 0; i < 6; i++) {
		struct json_object *o = line_json(out, i);
		ck_assert_str_eq(str(o, "time"), times[i]);
		ck_assert_str_eq(str(o, "alert"), "Unauthorised access /etc/passwd");
		ck_assert_str_eq(str(o, "target"), "Unauthorised access /etc/passwd#1");
		ck_assert_int_eq(atoi(str(o, "seq")), i + 1);
		ck_assert_int_eq(atoi(str(o, "of")), 5);
		ck_assert_int_eq(atoi(str(o, "count")), i == 0 ? 1 : 0);
		if (i < 5) {
			ck_assert_str_eq(str(o, "status"), "firing");
			ck_assert_str_eq(str(o, "body"), firing);
		} else {
			ck_assert_str_eq(str(o, "status"), "resolved");
			ck_assert_str_eq(str(o, "body"),
					 "Unauthorised access /etc/passwd on tetrademo is now resolved ");
		}
		json_object_put(o);
	}
	/* The exact first line, keys in the documented order. */
	char *first = xstrdup("{\"time\":\"2023-11-16T02:33:50.429Z\",\"alert\":\"Unauthorised access /etc/passwd\","
				"\"status\":\"firing\",\"target\":\"Unauthorised access /etc/passwd#1\","
				"\"seq\":1,\"of\":5,\"count\":1,\"body\":\"Unauthorised access /etc/passwd triggered on tetrademo\\n"
				"Message: /etc/passwd file is accessed by an unauthorised pod\\n"
				"Failing Condition: matched rule process_exec_process_arguments =% \\\"/etc/passwd\\\"\"}\n");
	ck_assert_int_eq(strncmp(out, first, strlen(first)), 0);
	free(first);
	free(firing);
	free(out);
	free(input);
	free(ev);
	unload(&l);
}
END_TEST

START_TEST(unrelated_events_send_nothing)
{
	struct loaded l;
	load(&l, testdata_path("seed/tetrademo.json"));
	char *input = slurp(testdata_path("seed/process_exec-speaker.jsonl"), NULL);
	char *out = run(&l, input, DRYRUN_JSON, NULL);
	ck_assert_str_eq(out, "");
	free(out);
	free(input);
	unload(&l);
}
END_TEST

START_TEST(dedup_and_malformed_lines)
{
	struct loaded l;
	load(&l, testdata_path("seed/tetrademo.json"));
	char *ev = passwd_event();
	/* The same event again 15 s later (its own time edited), a broken
	 * line, a line without a time (it keeps the clock), and junk. */
	char *later = xstrdup(ev);
	char *t = strstr(later, "\"time\":\"2023-11-16T02:33:50");
	ck_assert_ptr_nonnull(t);
	memcpy(t + strlen("\"time\":\"2023-11-16T02:3"), "4:05", 4);
	char *input = xasprintf("%s\n%s\n{\"process_exec\":\n\n[1,2]\n"
				"{\"process_exec\":{\"process\":{\"arguments\":\"/etc/passwd\"}}}\n",
				ev, later);
	char *report = NULL;
	char *out = run(&l, input, DRYRUN_JSON, &report);
	ck_assert_msg(strstr(report, "events.jsonl:3: error:"), "%s", report);
	ck_assert_msg(strstr(report, "events.jsonl:5: error:"), "%s", report);
	ck_assert_msg(!strstr(report, "events.jsonl:6:"), "%s", report);
	ck_assert_uint_eq(counters.lines, 6);
	ck_assert_uint_eq(counters.bad[JSONL_BAD_JSON], 1);
	ck_assert_uint_eq(counters.bad[JSONL_BAD_NOT_OBJECT], 1);
	ck_assert_int_eq(count_lines(out), 6);
	/* Repeat at +10 s: nothing new yet.  +20 s: the two later matches. */
	struct json_object *o = line_json(out, 1);
	ck_assert_int_eq(atoi(str(o, "count")), 0);
	json_object_put(o);
	o = line_json(out, 2);
	ck_assert_str_eq(str(o, "time"), "2023-11-16T02:34:10.429Z");
	ck_assert_int_eq(atoi(str(o, "count")), 2);
	json_object_put(o);
	/* Resolution counts from the last match, 02:34:05.429. */
	o = line_json(out, 5);
	ck_assert_str_eq(str(o, "status"), "resolved");
	ck_assert_str_eq(str(o, "time"), "2023-11-16T02:39:05.429Z");
	json_object_put(o);
	free(report);
	free(out);
	free(input);
	free(later);
	free(ev);
	unload(&l);
}
END_TEST

START_TEST(text_output)
{
	struct loaded l;
	load(&l, testdata_path("seed/tetrademo.json"));
	char *ev = passwd_event();
	char *input = xasprintf("%s\n", ev);
	char *out = run(&l, input, DRYRUN_TEXT, NULL);
	ck_assert_int_eq(count_lines(out), 6);
	const char *want0 = "2023-11-16T02:33:50.429Z firing   Unauthorised access /etc/passwd -> "
			    "Unauthorised access /etc/passwd#1 [1/5, count 1]: /etc/passwd file is "
			    "accessed by an unauthorised pod\n";
	ck_assert_int_eq(strncmp(out, want0, strlen(want0)), 0);
	ck_assert_msg(strstr(out, "2023-11-16T02:38:50.429Z resolved Unauthorised access /etc/passwd -> "
			     "Unauthorised access /etc/passwd#1 [6/5, count 0]\n"), "%s", out);
	free(out);
	free(input);
	free(ev);
	unload(&l);
}
END_TEST

/* Native rules with a named JSON target and two groups: lines come out in
 * virtual-time order across instances, and the body is the document. */
START_TEST(native_rules_time_order)
{
	char *dir = make_temp_dir();
	char *path = write_file(dir, "t.rules",
		"alerts = ( {\n"
		"  name = \"shell\";\n"
		"  message = \"{process_exec_process_binary} in {process_exec_process_pod_name}\";\n"
		"  rule = \"process_exec_process_binary = \\\"/bin/sh\\\"\";\n"
		"  group_by = [ \"process_exec_process_pod_name\" ];\n"
		"  resolve_after = \"1m\";\n"
		"  targets = ( { type = \"webhook\"; endpoint = \"http://127.0.0.1:9/\"; format = \"json\";\n"
		"                repeat = { interval = \"20s\"; times = 2; }; } );\n"
		"} );\n");
	struct loaded l;
	load(&l, path);
	const char *input =
		"{\"process_exec\":{\"process\":{\"binary\":\"/bin/sh\",\"pod\":{\"name\":\"a\"}}},\"time\":\"2024-01-01T00:00:00Z\"}\n"
		"{\"process_exec\":{\"process\":{\"binary\":\"/bin/sh\",\"pod\":{\"name\":\"b\"}}},\"time\":\"2024-01-01T00:00:05Z\"}\n"
		"{\"process_exec\":{\"process\":{\"binary\":\"/bin/ls\",\"pod\":{\"name\":\"c\"}}},\"time\":\"2024-01-01T00:00:01Z\"}\n";
	char *out = run(&l, input, DRYRUN_JSON, NULL);
	static const char *want[][3] = {
		{ "2024-01-01T00:00:00.000Z", "firing", "a" },
		{ "2024-01-01T00:00:05.000Z", "firing", "b" },
		{ "2024-01-01T00:00:20.000Z", "firing", "a" },
		{ "2024-01-01T00:00:25.000Z", "firing", "b" },
		{ "2024-01-01T00:01:00.000Z", "resolved", "a" },
		{ "2024-01-01T00:01:05.000Z", "resolved", "b" },
	};
	ck_assert_int_eq(count_lines(out), 6);
	for (int i = 0; i < 6; i++) {
		struct json_object *o = line_json(out, i);
		ck_assert_str_eq(str(o, "time"), want[i][0]);
		ck_assert_str_eq(str(o, "status"), want[i][1]);
		struct json_object *doc = json_tokener_parse(str(o, "body"));
		ck_assert_ptr_nonnull(doc);
		struct json_object *g, *pod;
		ck_assert(json_object_object_get_ex(doc, "group", &g));
		ck_assert(json_object_object_get_ex(g, "process_exec_process_pod_name", &pod));
		ck_assert_str_eq(json_object_get_string(pod), want[i][2]);
		char *msg = xasprintf("/bin/sh in %s", want[i][2]);
		ck_assert_str_eq(str(doc, "message"), msg);
		free(msg);
		json_object_put(doc);
		json_object_put(o);
	}
	free(out);
	unload(&l);
	free(path);
	rm_rf(dir);
	free(dir);
}
END_TEST

Suite *dryrun_suite(void)
{
	Suite *s = suite_create("dryrun");
	TCase *tc = tcase_create("dryrun");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, tetrademo_schedule);
	tcase_add_test(tc, unrelated_events_send_nothing);
	tcase_add_test(tc, dedup_and_malformed_lines);
	tcase_add_test(tc, text_output);
	tcase_add_test(tc, native_rules_time_order);
	suite_add_tcase(s, tc);
	return s;
}
