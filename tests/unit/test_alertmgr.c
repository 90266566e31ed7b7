/* The alert manager (DESIGN §5.2): instances, repeats within a window,
 * per-target repeat schedules, deduplication, resolution and re-firing,
 * column-rule resolution, the instance cap, reload adoption; and message
 * rendering.  Time is a virtual clock: every call carries its `now`. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "alertmgr.h"
#include "diag.h"
#include "event.h"
#include "fields.h"
#include "flatten.h"
#include "render.h"
#include "targets.h"
#include "testutil.h"
#include "xalloc.h"

#define SEC 1000
#define MIN (60 * SEC)
#define T0 1700000000000LL  /* an arbitrary epoch time, ms */

static field_table *ft;
static flattener *fl;
static event *ev;
static alert_list alerts;
static target_set targets;
static size_t **map;
static size_t nmap;
static alertmgr *am;

/* Every notification emitted, in order. */
static notification **got;
static size_t ngot, capgot;

static void collect(void *ctx, notification *n)
{
	(void)ctx;
	got = xgrow(got, &capgot, ngot + 1, sizeof(*got));
	got[ngot++] = n;
}

static void clear_got(void)
{
	for (size_t i = 0; i < ngot; i++)
		notification_free(&got[i]);
	ngot = 0;
}

static void setup(void)
{
	ft = field_table_new();
	ev = event_new();
	memset(&alerts, 0, sizeof(alerts));
	memset(&targets, 0, sizeof(targets));
	map = NULL;
	am = NULL;
	ngot = 0;
}

static void teardown(void)
{
	clear_got();
	free(got);
	got = NULL;
	capgot = 0;
	alertmgr_free(&am);
	target_map_free(&map, nmap);
	target_set_clear(&targets);
	alert_list_clear(&alerts);
	flattener_free(&fl);
	event_free(&ev);
	field_table_free(&ft);
}

/* A named target from JSON configuration text. */
static void target(const char *name, const char *json)
{
	struct json_object *cfg = json_tokener_parse(json);
	char err[256];
	ck_assert_ptr_nonnull(cfg);
	ck_assert_msg(target_set_add_named(&targets, name, cfg, err, sizeof(err)) == 0,
		      "%s", err);
	json_object_put(cfg);
}

/* An alert naming targets by a comma-separated list. */
static alert_def *alert(const char *name, const char *message,
			const char *group_by, const char *target_names)
{
	alert_def *a = xcalloc(1, sizeof(*a));
	a->name = xstrdup(name);
	a->message = xstrdup(message);
	a->rule_text = xstrdup("process_exec_process_binary = \"/usr/bin/cat\"");
	a->severity = SEVERITY_CRITICAL;
	a->repeats = 1;
	a->resolve_after_ms = 5 * MIN;
	a->max_instances = 1000;
	a->enabled = true;
	a->file = xstrdup("test.rules");
	a->line = 1;
	if (group_by) {
		char *list = xstrdup(group_by), *save = NULL;
		for (char *f = strtok_r(list, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
			a->group_by = xrealloc(a->group_by, (a->n_group_by + 1) * sizeof(char *));
			a->group_by[a->n_group_by++] = xstrdup(f);
			field_table_intern(ft, f, strlen(f));
		}
		free(list);
	}
	char *list = xstrdup(target_names), *save = NULL;
	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		a->targets = xrealloc(a->targets, (a->ntargets + 1) * sizeof(*a->targets));
		a->targets[a->ntargets++] = (struct target_ref){ .name = xstrdup(t), .line = 2 };
	}
	free(list);
	alert_list_push(&alerts, a);
	return a;
}

static void start(void)
{
	diag *d = diag_new(NULL);
	ck_assert_uint_eq(targets_resolve(&targets, &alerts, &map, d), 0);
	nmap = alerts.n;
	diag_free(&d);
	for (size_t i = 0; i < alerts.n; i++) {
		/* Fields that messages name, as the loader would intern them. */
		const char *m = alerts.v[i]->message;
		for (const char *p = strchr(m, '{'); p; p = strchr(p + 1, '{')) {
			const char *e = strchr(p, '}');
			if (e)
				field_table_intern(ft, p + 1, (size_t)(e - p - 1));
		}
	}
	fl = flattener_new(ft);
	struct alertmgr_config cfg = {
		.alerts = &alerts, .targets = &targets, .target_map = map,
		.fields = ft, .node_name = "node1", .emit = collect,
	};
	am = alertmgr_new(&cfg);
}

/* A process_exec event of pod `pod` (NULL: no pod) running `bin`. */
static const event *exec_event(const char *pod, const char *bin)
{
	static char json[512];   /* the event points to its text */
	char podpart[128] = "";
	if (pod)
		snprintf(podpart, sizeof(podpart), ",\"pod\":{\"name\":\"%s\"}", pod);
	snprintf(json, sizeof(json),
		 "{\"process_exec\":{\"process\":{\"binary\":\"%s\"%s}},"
		 "\"node_name\":\"node1\"}", bin, podpart);
	char err[128];
	ck_assert_int_eq(flattener_parse(fl, json, strlen(json), ev, err, sizeof(err)),
			 FLATTEN_OK);
	return ev;
}

static const event *kind_event(const char *kind)
{
	static char json[256];
	char err[128];
	snprintf(json, sizeof(json), "{\"%s\":{\"process\":{\"binary\":\"/x\"}}}", kind);
	ck_assert_int_eq(flattener_parse(fl, json, strlen(json), ev, err, sizeof(err)),
			 FLATTEN_OK);
	return ev;
}

static void match(size_t a, const char *pod, int64_t at)
{
	alertmgr_advance(am, at);
	alertmgr_match(am, a, exec_event(pod, "/usr/bin/cat"), "tetragon", at);
}

/* Runs the clock on until nothing is pending. */
static void drain(void)
{
	int64_t due;
	while ((due = alertmgr_next_due(am)) != INT64_MAX)
		alertmgr_advance(am, due);
}

/* The notifications to `target`, as "KIND@+ms#seq/of(count)" joined by
 * spaces, times relative to T0. */
static const char *trace(const char *tgt)
{
	static char buf[8192];
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < ngot; i++) {
		const notification *n = got[i];
		if (tgt && strcmp(n->target, tgt) != 0)
			continue;
		const char *k = n->kind == NOTIFY_KIND_FIRST ? "F"
			: n->kind == NOTIFY_KIND_REPEAT ? "R" : "X";
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s@%lld#%u/%u(%u)",
					len ? " " : "", k, (long long)(n->time_ms - T0),
					n->seq, n->of, n->count);
	}
	return buf;
}

START_TEST(fires_repeats_and_resolves)
{
	target("hook", "{\"type\":\"webhook\",\"endpoint\":\"http://x\",\"repeat\":{\"interval\":\"10s\",\"times\":5}}");
	alert("passwd", "read by {process_exec_process_binary}", NULL, "hook");
	start();
	match(0, NULL, T0);
	ck_assert_str_eq(trace(NULL), "F@0#1/5(1)");
	ck_assert_int_eq(alertmgr_next_due(am), T0 + 10 * SEC);
	alertmgr_advance(am, T0 + 45 * SEC);
	ck_assert_str_eq(trace(NULL), "F@0#1/5(1) R@10000#2/5(0) R@20000#3/5(0) "
			 "R@30000#4/5(0) R@40000#5/5(0)");
	ck_assert_int_eq(alertmgr_next_due(am), T0 + 5 * MIN);
	alertmgr_advance(am, T0 + 5 * MIN - 1);
	ck_assert_uint_eq(ngot, 5);
	alertmgr_advance(am, T0 + 5 * MIN);
	ck_assert_uint_eq(ngot, 6);
	const notification *r = got[5];
	ck_assert_int_eq(r->status, NOTIFY_RESOLVED);
	ck_assert_int_eq(r->kind, NOTIFY_KIND_RESOLVED);
	ck_assert_uint_eq(r->seq, 6);
	ck_assert_uint_eq(r->of, 5);
	ck_assert_int_eq(r->starts_at_ms, T0);
	ck_assert_int_eq(r->ends_at_ms, T0 + 5 * MIN);
	ck_assert_int_eq(alertmgr_next_due(am), INT64_MAX);
	struct alertmgr_stats st;
	alertmgr_get_stats(am, &st);
	ck_assert_uint_eq(st.instances_live, 0);
	ck_assert_uint_eq(st.notifications, 6);
	ck_assert_uint_eq(st.matches, 1);
}
END_TEST

START_TEST(notification_fields)
{
	target("hook", "{\"type\":\"webhook\",\"endpoint\":\"http://x\"}");
	alert_def *a = alert("passwd", "{process_exec_process_binary} in {process_exec_process_pod_name}",
			     "process_exec_process_pod_name", "hook");
	a->from_parseable = true;
	a->stream = xstrdup("tetrademo");
	start();
	match(0, "web-1", T0);
	ck_assert_uint_eq(ngot, 1);
	const notification *n = got[0];
	ck_assert_str_eq(n->alert, "passwd");
	ck_assert_int_eq(n->severity, SEVERITY_CRITICAL);
	ck_assert_str_eq(n->message, "/usr/bin/cat in web-1");
	ck_assert_str_eq(n->rule, "process_exec_process_binary = \"/usr/bin/cat\"");
	ck_assert_str_eq(n->reason, "matched rule process_exec_process_binary = \"/usr/bin/cat\"");
	ck_assert_str_eq(n->stream, "tetrademo");
	ck_assert(n->parseable);
	ck_assert_uint_eq(n->ngroup, 1);
	ck_assert_str_eq(n->group_keys[0], "process_exec_process_pod_name");
	ck_assert_str_eq(n->group_values[0], "web-1");
	ck_assert_str_eq(n->node, "node1");
	ck_assert_str_eq(n->source, "tetragon");
	ck_assert_str_eq(n->target, "hook");
	ck_assert_int_eq(n->time_ms, T0);
	ck_assert_int_eq(n->ends_at_ms, 0);
	ck_assert_ptr_nonnull(n->event_json);
	struct json_object *o = json_tokener_parse(n->event_json);
	struct json_object *x;
	ck_assert(json_object_object_get_ex(o, "node_name", &x));
	ck_assert_str_eq(json_object_get_string(x), "node1");
	json_object_put(o);
	/* Webhook and Slack default to Parseable's 200 s, five times. */
	ck_assert_uint_eq(n->of, 5);
	ck_assert_int_eq(alertmgr_next_due(am), T0 + 200 * SEC);
}
END_TEST

START_TEST(matches_while_firing_are_counted_not_sent)
{
	target("hook", "{\"type\":\"webhook\",\"endpoint\":\"http://x\",\"repeat\":{\"interval\":\"10s\",\"times\":3}}");
	alert("a", "m", NULL, "hook");
	start();
	match(0, NULL, T0);
	match(0, NULL, T0 + 3 * SEC);
	match(0, NULL, T0 + 5 * SEC);
	ck_assert_uint_eq(ngot, 1);
	match(0, NULL, T0 + 12 * SEC);
	alertmgr_advance(am, T0 + 25 * SEC);
	ck_assert_str_eq(trace(NULL), "F@0#1/3(1) R@10000#2/3(2) R@20000#3/3(1)");
	/* The last match moved the resolution: 12 s + 5 min. */
	ck_assert_int_eq(alertmgr_next_due(am), T0 + 12 * SEC + 5 * MIN);
	match(0, NULL, T0 + 4 * MIN);
	drain();
	ck_assert_str_eq(trace(NULL), "F@0#1/3(1) R@10000#2/3(2) R@20000#3/3(1) "
			 "X@540000#4/3(1)");
	struct alertmgr_stats st;
	alertmgr_get_stats(am, &st);
	ck_assert_uint_eq(st.matches, 5);
}
END_TEST

START_TEST(repeats_within_window)
{
	target("hook", "{\"type\":\"webhook\",\"endpoint\":\"http://x\",\"repeat\":{\"times\":1}}");
	alert_def *a = alert("a", "m", NULL, "hook");
	a->repeats = 3;
	a->within_ms = 10 * SEC;
	start();
	match(0, NULL, T0);
	match(0, NULL, T0 + 5 * SEC);
	match(0, NULL, T0 + 20 * SEC);  /* 0, 5, 20: 20 s apart */
	match(0, NULL, T0 + 22 * SEC);  /* 5, 20, 22: 17 s */
	ck_assert_uint_eq(ngot, 0);
	match(0, NULL, T0 + 25 * SEC);  /* 20, 22, 25: 5 s */
	ck_assert_str_eq(trace(NULL), "F@25000#1/1(3)");
}
END_TEST

START_TEST(repeats_within_forgets_old_matches)
{
	target("hook", "{\"type\":\"webhook\",\"endpoint\":\"http://x\"}");
	alert_def *a = alert("a", "m", NULL, "hook");
	a->repeats = 2;
	a->within_ms = 10 * SEC;
	start();
	match(0, NULL, T0);
	struct alertmgr_stats st;
	alertmgr_get_stats(am, &st);
	ck_assert_uint_eq(st.instances_live, 1);
	/* Nothing can complete the window after 10 s: the instance goes. */
	alertmgr_advance(am, T0 + 10 * SEC);
	alertmgr_get_stats(am, &st);
	ck_assert_uint_eq(st.instances_live, 1);
	alertmgr_advance(am, T0 + 10 * SEC + 1);
	alertmgr_get_stats(am, &st);
	ck_assert_uint_eq(st.instances_live, 0);
	match(0, NULL, T0 + 30 * SEC);
	ck_assert_uint_eq(ngot, 0);
	match(0, NULL, T0 + 40 * SEC);   /* exactly `within` apart: counts */
	ck_assert_uint_eq(ngot, 1);
	ck_assert_uint_eq(got[0]->count, 2);
}
END_TEST

START_TEST(repeats_without_window)
{
	target("hook", "{\"type\":\"webhook\",\"endpoint\":\"http://x\",\"repeat\":{\"times\":1}}");
	alert_def *a = alert("a", "m", NULL, "hook");
	a->repeats = 3;
	start();
	match(0, NULL, T0);
	match(0, NULL, T0 + 1 * MIN);
	ck_assert_int_eq(alertmgr_next_due(am), INT64_MAX);
	match(0, NULL, T0 + 60 * MIN);
	ck_assert_str_eq(trace(NULL), "F@3600000#1/1(3)");
}
END_TEST

START_TEST(schedules_per_target)
{
	target("fast", "{\"type\":\"webhook\",\"endpoint\":\"http://x\",\"repeat\":{\"interval\":\"10s\",\"times\":3}}");
	target("slow", "{\"type\":\"slack\",\"endpoint\":\"http://y\",\"repeat\":{\"interval\":\"25s\",\"times\":2}}");
	target("log", "{\"type\":\"syslog\"}");
	alert("a", "m", NULL, "fast,slow,log");
	start();
	match(0, NULL, T0);
	match(0, NULL, T0 + 15 * SEC);
	drain();
	ck_assert_str_eq(trace("fast"), "F@0#1/3(1) R@10000#2/3(0) R@20000#3/3(1) X@315000#4/3(0)");
	ck_assert_str_eq(trace("slow"), "F@0#1/2(1) R@25000#2/2(1) X@315000#3/2(0)");
	ck_assert_str_eq(trace("log"), "F@0#1/1(1) X@315000#2/1(1)");
	/* Emission order is time order; ties keep target order. */
	for (size_t i = 1; i < ngot; i++)
		ck_assert_int_le(got[i - 1]->time_ms, got[i]->time_ms);
	ck_assert_str_eq(got[0]->target, "fast");
	ck_assert_str_eq(got[1]->target, "slow");
	ck_assert_str_eq(got[2]->target, "log");
}
END_TEST

START_TEST(unlimited_times)
{
	target("am", "{\"type\":\"alertmanager\",\"endpoint\":\"http://x\",\"repeat\":{\"interval\":\"1m\"}}");
	alert("a", "m", NULL, "am");
	start();
	/* A match every 4 minutes keeps it firing for an hour. */
	for (int64_t t = 0; t <= 60 * MIN; t += 4 * MIN)
		match(0, NULL, T0 + t);
	alertmgr_advance(am, T0 + 60 * MIN);
	ck_assert_uint_eq(ngot, 61);   /* first + one a minute */
	for (size_t i = 0; i < ngot; i++) {
		ck_assert_uint_eq(got[i]->seq, i + 1);
		ck_assert_uint_eq(got[i]->of, 0);
		ck_assert_int_eq(got[i]->time_ms, T0 + (int64_t)i * MIN);
	}
	drain();
	ck_assert_int_eq(got[ngot - 1]->status, NOTIFY_RESOLVED);
	ck_assert_int_eq(got[ngot - 1]->time_ms, T0 + 65 * MIN);
}
END_TEST

START_TEST(send_resolved_false)
{
	target("quiet", "{\"type\":\"webhook\",\"endpoint\":\"http://x\",\"send_resolved\":false,\"repeat\":{\"times\":1}}");
	target("loud", "{\"type\":\"webhook\",\"endpoint\":\"http://x\",\"repeat\":{\"times\":1}}");
	alert("a", "m", NULL, "quiet,loud");
	start();
	match(0, NULL, T0);
	drain();
	ck_assert_str_eq(trace("quiet"), "F@0#1/1(1)");
	ck_assert_str_eq(trace("loud"), "F@0#1/1(1) X@300000#2/1(0)");
}
END_TEST

START_TEST(refires_after_resolution)
{
	target("hook", "{\"type\":\"webhook\",\"endpoint\":\"http://x\",\"repeat\":{\"interval\":\"10s\",\"times\":2}}");
	alert("a", "m", NULL, "hook");
	start();
	match(0, NULL, T0);
	match(0, NULL, T0 + 6 * MIN);   /* advance resolves at 5 min first */
	drain();
	ck_assert_str_eq(trace(NULL), "F@0#1/2(1) R@10000#2/2(0) X@300000#3/2(0) "
			 "F@360000#1/2(1) R@370000#2/2(0) X@660000#3/2(0)");
	ck_assert_int_eq(got[3]->starts_at_ms, T0 + 6 * MIN);
}
END_TEST

START_TEST(groups_are_instances)
{
	target("hook", "{\"type\":\"webhook\",\"endpoint\":\"http://x\",\"repeat\":{\"times\":1}}");
	alert("a", "m", "process_exec_process_pod_name", "hook");
	start();
	match(0, "p1", T0);
	match(0, "p2", T0 + 1);
	match(0, "p1", T0 + 2);
	match(0, NULL, T0 + 3);
	ck_assert_uint_eq(ngot, 3);
	ck_assert_str_eq(got[0]->group_values[0], "p1");
	ck_assert_str_eq(got[1]->group_values[0], "p2");
	ck_assert_str_eq(got[2]->group_values[0], "");   /* absent: empty */
	struct alertmgr_stats st;
	alertmgr_get_stats(am, &st);
	ck_assert_uint_eq(st.instances_live, 3);
}
END_TEST

START_TEST(multi_valued_group_uses_first_value)
{
	target("hook", "{\"type\":\"webhook\",\"endpoint\":\"http://x\",\"repeat\":{\"times\":1}}");
	alert("a", "{process_kprobe_args_file_arg_path}", "process_kprobe_args_file_arg_path", "hook");
	start();
	const char *json = "{\"process_kprobe\":{\"args\":[{\"file_arg\":{\"path\":\"/etc/passwd\"}},"
			   "{\"file_arg\":{\"path\":\"/etc/group\"}}]}}";
	char err[128];
	ck_assert_int_eq(flattener_parse(fl, json, strlen(json), ev, err, sizeof(err)), FLATTEN_OK);
	alertmgr_match(am, 0, ev, "bpf", T0);
	ck_assert_uint_eq(ngot, 1);
	ck_assert_str_eq(got[0]->group_values[0], "/etc/passwd");
	ck_assert_str_eq(got[0]->message, "/etc/passwd, /etc/group");
	ck_assert_str_eq(got[0]->source, "bpf");
}
END_TEST

START_TEST(ties_keep_firing_order)
{
	target("hook", "{\"type\":\"webhook\",\"endpoint\":\"http://x\",\"repeat\":{\"interval\":\"10s\",\"times\":3}}");
	alert("a", "m", "process_exec_process_pod_name", "hook");
	start();
	match(0, "z", T0);
	match(0, "a", T0);
	match(0, "m", T0);
	alertmgr_advance(am, T0 + 20 * SEC);
	ck_assert_uint_eq(ngot, 9);
	const char *want = "zamzamzam";
	for (size_t i = 0; i < ngot; i++)
		ck_assert_msg(got[i]->group_values[0][0] == want[i], "notification %zu is %s",
			      i, got[i]->group_values[0]);
}
END_TEST

START_TEST(column_rule_resolves_on_same_kind)
{
	target("hook", "{\"type\":\"webhook\",\"endpoint\":\"http://x\",\"repeat\":{\"interval\":\"10s\",\"times\":3}}");
	alert_def *a = alert("col", "m", NULL, "hook");
	a->is_column_rule = true;
	a->column.column = xstrdup("process_exec_process_binary");
	a->column.op = xstrdup("contains");
	a->column.value = xstrdup("/etc");
	start();
	match(0, NULL, T0);
	/* Other kinds do not resolve it, nor does time. */
	alertmgr_no_match(am, 0, kind_event("process_kprobe"), T0 + 1 * SEC);
	alertmgr_advance(am, T0 + 60 * MIN);
	ck_assert_str_eq(trace(NULL), "F@0#1/3(1) R@10000#2/3(0) R@20000#3/3(0)");
	ck_assert_int_eq(alertmgr_next_due(am), INT64_MAX);
	alertmgr_no_match(am, 0, kind_event("process_exec"), T0 + 61 * MIN);
	ck_assert_str_eq(trace(NULL), "F@0#1/3(1) R@10000#2/3(0) R@20000#3/3(0) X@3660000#4/3(0)");
	ck_assert_str_eq(got[0]->reason, "process_exec_process_binary column contains /etc, 1 times");
	struct alertmgr_stats st;
	alertmgr_get_stats(am, &st);
	ck_assert_uint_eq(st.instances_live, 0);
}
END_TEST

START_TEST(no_match_ignored_for_composite_rules)
{
	target("hook", "{\"type\":\"webhook\",\"endpoint\":\"http://x\",\"repeat\":{\"times\":1}}");
	alert("a", "m", NULL, "hook");
	start();
	match(0, NULL, T0);
	alertmgr_no_match(am, 0, exec_event(NULL, "/bin/ls"), T0 + 1);
	ck_assert_uint_eq(ngot, 1);
	drain();
	ck_assert_str_eq(trace(NULL), "F@0#1/1(1) X@300000#2/1(0)");
}
END_TEST

START_TEST(instance_cap_bounds_memory)
{
	target("hook", "{\"type\":\"webhook\",\"endpoint\":\"http://x\",\"repeat\":{\"times\":1}}");
	alert("a", "m", "process_exec_process_pod_name", "hook");
	start();
	char pod[32];
	for (int i = 0; i < 10000; i++) {
		snprintf(pod, sizeof(pod), "pod-%d", i);
		match(0, pod, T0 + i);
		if (ngot > 100)
			clear_got();
	}
	struct alertmgr_stats st;
	alertmgr_get_stats(am, &st);
	ck_assert_uint_eq(st.instances_live, 1001);   /* 1000 + overflow */
	ck_assert_uint_eq(alertmgr_overflow_count(am, 0), 9000);
	ck_assert_uint_eq(st.overflowed, 9000);
	ck_assert_uint_eq(st.matches, 10000);
	/* A known group still reaches its own instance. */
	clear_got();
	match(0, "pod-5", T0 + 20000);
	ck_assert_uint_eq(alertmgr_overflow_count(am, 0), 9000);
	drain();
	size_t overflow_resolved = 0, total_resolved = 0;
	for (size_t i = 0; i < ngot; i++) {
		if (got[i]->status != NOTIFY_RESOLVED)
			continue;
		total_resolved++;
		if (!strcmp(got[i]->group_values[0], "<overflow>"))
			overflow_resolved++;
	}
	ck_assert_uint_eq(overflow_resolved, 1);
	ck_assert_uint_eq(total_resolved, 1001);
	alertmgr_get_stats(am, &st);
	ck_assert_uint_eq(st.instances_live, 0);
	/* Room again after resolution. */
	clear_got();
	match(0, "fresh", T0 + 60 * MIN);
	ck_assert_str_eq(got[0]->group_values[0], "fresh");
}
END_TEST

START_TEST(disabled_alert_never_fires)
{
	target("hook", "{\"type\":\"webhook\",\"endpoint\":\"http://x\"}");
	alert_def *a = alert("a", "m", NULL, "hook");
	a->enabled = false;
	start();
	match(0, NULL, T0);
	drain();
	ck_assert_uint_eq(ngot, 0);
	struct alertmgr_stats st;
	alertmgr_get_stats(am, &st);
	ck_assert_uint_eq(st.instances_live, 0);
}
END_TEST

START_TEST(clock_never_goes_back)
{
	target("hook", "{\"type\":\"webhook\",\"endpoint\":\"http://x\",\"repeat\":{\"interval\":\"10s\",\"times\":2}}");
	alert("a", "m", NULL, "hook");
	start();
	match(0, NULL, T0 + 60 * SEC);
	match(0, NULL, T0);   /* late event: counts at the current time */
	drain();
	ck_assert_str_eq(trace(NULL), "F@60000#1/2(1) R@70000#2/2(1) X@360000#3/2(0)");
}
END_TEST

START_TEST(adopt_keeps_unchanged_alerts)
{
	target("hook", "{\"type\":\"webhook\",\"endpoint\":\"http://x\",\"repeat\":{\"interval\":\"10s\",\"times\":5}}");
	alert("same", "m", NULL, "hook");
	alert("changed", "m", NULL, "hook");
	start();
	match(0, NULL, T0);
	match(1, NULL, T0);
	alertmgr_advance(am, T0 + 10 * SEC);
	ck_assert_uint_eq(ngot, 4);

	/* The reloaded set: "changed" has a new rule. */
	alert_def *b = alert("same", "m", NULL, "hook");
	alert_def *c = alert("changed", "m", NULL, "hook");
	free(c->rule_text);
	c->rule_text = xstrdup("process_exec_process_binary = \"/bin/sh\"");
	alert_list second = { .v = alerts.v + 2, .n = 2, .cap = 2 };
	size_t *second_map[2] = { map[0], map[1] };
	(void)b;
	struct alertmgr_config cfg = {
		.alerts = &second, .targets = &targets, .target_map = second_map,
		.fields = ft, .node_name = "node1", .emit = collect,
	};
	alertmgr *fresh = alertmgr_new(&cfg);
	alertmgr_adopt(fresh, am);
	clear_got();
	alertmgr_advance(am, T0 + 20 * SEC);
	ck_assert_str_eq(trace(NULL), "R@20000#3/5(0)");   /* old keeps "changed" */
	clear_got();
	alertmgr_advance(fresh, T0 + 20 * SEC);
	ck_assert_str_eq(trace(NULL), "R@20000#3/5(0)");   /* "same" moved over */
	ck_assert_str_eq(got[0]->alert, "same");
	struct alertmgr_stats st;
	alertmgr_get_stats(fresh, &st);
	ck_assert_uint_eq(st.instances_live, 1);
	alertmgr_get_stats(am, &st);
	ck_assert_uint_eq(st.instances_live, 1);
	alertmgr_free(&fresh);
}
END_TEST

/* ---- message rendering ---- */

START_TEST(render_placeholders)
{
	int bin = field_table_intern(ft, "b", 1);
	int num = field_table_intern(ft, "n", 1);
	int multi = field_table_intern(ft, "m", 1);
	field_table_intern(ft, "absent", 6);
	event_reset(ev, field_table_count(ft));
	event_add(ev, bin, &(value){ .str = "/bin/sh", .len = 7, .type = VALUE_STRING, .next = -1 });
	event_add(ev, num, &(value){ .type = VALUE_DOUBLE, .is_number = 1, .d = 0.1, .next = -1 });
	event_add(ev, multi, &(value){ .type = VALUE_INT, .is_number = 1, .is_integer = 1, .i = 42, .next = -1 });
	event_add(ev, multi, &(value){ .type = VALUE_BOOL, .i = 1, .next = -1 });
	char *s = render_message("{b} n={n} m={m} {absent} {unknown} {} {b", ev, ft);
	ck_assert_str_eq(s, "/bin/sh n=0.1 m=42, true {absent} {unknown} {} {b");
	free(s);
	s = render_message("{b\n} {{b}", ev, ft);
	/* No '}' before the newline; then a placeholder named "{b". */
	ck_assert_str_eq(s, "{b\n} {{b}");
	free(s);
}
END_TEST

START_TEST(render_is_capped)
{
	int f = field_table_intern(ft, "f", 1);
	size_t big = 100000;
	char *val = xmalloc(big + 1);
	memset(val, 'x', big);
	val[big] = '\0';
	val[RENDER_MAX_LEN - 4] = (char)0xC3;   /* a two-byte sequence across the cut */
	val[RENDER_MAX_LEN - 3] = (char)0xA9;
	event_reset(ev, field_table_count(ft));
	event_add(ev, f, &(value){ .str = val, .len = (uint32_t)big, .type = VALUE_STRING, .next = -1 });
	char *s = render_message("{f}{f}", ev, ft);
	size_t len = strlen(s);
	ck_assert_uint_le(len, RENDER_MAX_LEN);
	ck_assert_str_eq(s + len - 3, "...");
	ck_assert_int_ne((unsigned char)s[len - 4], 0xC3);   /* not cut in half */
	free(s);
	free(val);
}
END_TEST

START_TEST(render_value_numbers)
{
	char buf[64];
	render_value(&(value){ .type = VALUE_INT, .i = -7 }, buf, sizeof(buf));
	ck_assert_str_eq(buf, "-7");
	render_value(&(value){ .type = VALUE_DOUBLE, .d = 1.5 }, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1.5");
	render_value(&(value){ .type = VALUE_DOUBLE, .d = 1e300 }, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1e+300");
	render_value(&(value){ .type = VALUE_BOOL, .i = 0 }, buf, sizeof(buf));
	ck_assert_str_eq(buf, "false");
	render_value(&(value){ .type = VALUE_STRING, .str = "1277", .len = 4, .is_number = 1 },
		     buf, sizeof(buf));
	ck_assert_str_eq(buf, "1277");
}
END_TEST

Suite *alertmgr_suite(void)
{
	Suite *s = suite_create("alertmgr");
	TCase *tc = tcase_create("alertmgr");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, fires_repeats_and_resolves);
	tcase_add_test(tc, notification_fields);
	tcase_add_test(tc, matches_while_firing_are_counted_not_sent);
	tcase_add_test(tc, repeats_within_window);
	tcase_add_test(tc, repeats_within_forgets_old_matches);
	tcase_add_test(tc, repeats_without_window);
	tcase_add_test(tc, schedules_per_target);
	tcase_add_test(tc, unlimited_times);
	tcase_add_test(tc, send_resolved_false);
	tcase_add_test(tc, refires_after_resolution);
	tcase_add_test(tc, groups_are_instances);
	tcase_add_test(tc, multi_valued_group_uses_first_value);
	tcase_add_test(tc, ties_keep_firing_order);
	tcase_add_test(tc, column_rule_resolves_on_same_kind);
	tcase_add_test(tc, no_match_ignored_for_composite_rules);
	tcase_add_test(tc, instance_cap_bounds_memory);
	tcase_add_test(tc, disabled_alert_never_fires);
	tcase_add_test(tc, clock_never_goes_back);
	tcase_add_test(tc, adopt_keeps_unchanged_alerts);
	tcase_add_test(tc, render_placeholders);
	tcase_add_test(tc, render_is_capped);
	tcase_add_test(tc, render_value_numbers);
	suite_add_tcase(s, tc);
	return s;
}
