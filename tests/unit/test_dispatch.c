/* The dispatcher (DESIGN §7.2) against real receivers on 127.0.0.1:
 * nothing lost across failures and restarts, retries in order, permanent
 * failures dropped, one target never held up by another, overflow drops
 * repeats first, and the spool survives a crash and corrupt records. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tools/receiver_client.h"
#include "dispatch.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "notification.h"
#include "targets.h"
#include "testutil.h"
#include "xalloc.h"

/* ---- fixtures ---- */

static char logbuf[1 << 17];

static void capture_log(void *ctx, enum log_level level, const char *msg)
{
	size_t n = strlen(logbuf);
	snprintf(logbuf + n, sizeof(logbuf) - n, "%s: %s\n",
		 log_level_name(level), msg);
}

struct fx {
	char *dir;        /* temp dir: receivers' files, state_dir */
	char *state;
	loop *l;
	target_set ts;
	dispatcher *d;
};

static struct fx *fx_new(void)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	f->dir = make_temp_dir();
	f->state = xasprintf("%s/state", f->dir);
	f->l = loop_new();
	logbuf[0] = '\0';
	log_set_sink(capture_log, NULL);
	log_set_level(LOG_LEVEL_DEBUG);
	return f;
}

static void fx_free(struct fx *f)
{
	dispatcher_free(&f->d);
	target_set_clear(&f->ts);
	loop_free(&f->l);
	rm_rf(f->dir);
	free(f->dir);
	free(f->state);
	free(f);
	log_set_sink(NULL, NULL);
	log_set_level(LOG_LEVEL_INFO);
}

static void add_target(struct fx *f, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add_target(struct fx *f, const char *name, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *json = NULL;
	ck_assert_int_ge(vasprintf(&json, fmt, ap), 0);
	va_end(ap);
	struct json_object *cfg = json_tokener_parse(json);
	ck_assert_msg(cfg != NULL, "bad JSON: %s", json);
	char err[512];
	ck_assert_msg(target_set_add_named(&f->ts, name, cfg, err, sizeof(err)) == 0,
		      "%s", err);
	json_object_put(cfg);
	free(json);
}

static void add_webhook(struct fx *f, const char *name, const struct receiver *r,
			const char *extra)
{
	add_target(f, name, "{\"type\":\"webhook\",\"endpoint\":"
		   "\"http://127.0.0.1:%d/%s\"%s}", r->port, name, extra ? extra : "");
}

static struct dispatch_config config(struct fx *f)
{
	return (struct dispatch_config){
		.loop = f->l,
		.targets = &f->ts,
		.state_dir = f->state,
		.node_name = "node-1",
		.queue_max = 0,
		/* one delivery at a time: these cases pin the queue's order */
		.max_in_flight = 1,
		.retry_base_ms = 20,
		.retry_max_ms = 200,
	};
}

static void start(struct fx *f, const struct dispatch_config *cfg)
{
	char err[512] = "";
	f->d = dispatcher_new(cfg, err, sizeof(err));
	ck_assert_msg(f->d != NULL, "dispatcher_new: %s", err);
}

static notification *note(const char *target, const char *alert,
			  enum notification_kind kind, unsigned seq)
{
	notification *n = notification_new();
	n->alert = xstrdup(alert);
	n->kind = kind;
	n->status = kind == NOTIFY_KIND_RESOLVED ? NOTIFY_RESOLVED : NOTIFY_FIRING;
	n->severity = SEVERITY_WARNING;
	n->message = xasprintf("%s number %u", alert, seq);
	n->rule = xstrdup("a = \"x\"");
	n->reason = xstrdup("matched rule a = \"x\"");
	n->count = 1;
	n->seq = seq;
	n->of = 5;
	n->time_ms = 1714557600000LL + seq;
	n->starts_at_ms = 1714557600000LL;
	n->ends_at_ms = kind == NOTIFY_KIND_RESOLVED ? 1714557700000LL : 0;
	n->node = xstrdup("node-1");
	n->source = xstrdup("bpf");
	n->target = xstrdup(target);
	return n;
}

static struct target_stats stats_of(struct fx *f, const char *name)
{
	struct target_stats st;
	for (size_t i = 0; i < dispatcher_ntargets(f->d); i++)
		if (!strcmp(dispatcher_target_name(f->d, i), name)) {
			dispatcher_target_stats(f->d, i, &st);
			return st;
		}
	ck_abort_msg("no target %s", name);
	return st;
}

struct waitfor {
	struct fx *f;
	const char *target;
	unsigned long long sent, retried;
	const struct receiver *r;
	size_t requests;
};

static bool sent_reached(void *ctx)
{
	struct waitfor *w = ctx;
	return stats_of(w->f, w->target).sent >= w->sent;
}

static bool retried_reached(void *ctx)
{
	struct waitfor *w = ctx;
	return stats_of(w->f, w->target).retried >= w->retried;
}

static bool requests_reached(void *ctx)
{
	struct waitfor *w = ctx;
	return receiver_count(w->r) >= w->requests;
}

static bool idle(void *ctx)
{
	return dispatcher_idle(((struct fx *)ctx)->d);
}

static struct receiver *start_receiver(struct fx *f, const char *args)
{
	struct receiver *r = receiver_start(f->dir, args);
	ck_assert_msg(r != NULL, "receiver.py did not start");
	return r;
}

/* The "message" of each request's alert document, in arrival order. */
static char *messages(const struct receiver *r)
{
	struct json_object *reqs = receiver_requests(r);
	char *out = xstrdup("");
	for (size_t i = 0; i < json_object_array_length(reqs); i++) {
		struct json_object *doc = json_tokener_parse(
			request_str(json_object_array_get_idx(reqs, i), "body"));
		struct json_object *m = NULL;
		json_object_object_get_ex(doc, "message", &m);
		char *next = xasprintf("%s%s%s", out, *out ? "|" : "",
				       m ? json_object_get_string(m) : "?");
		free(out);
		out = next;
		json_object_put(doc);
	}
	json_object_put(reqs);
	return out;
}

/* Spool record file names, sorted. */
static size_t spool_files(struct fx *f, const char *suffix, char names[][64],
			  size_t max)
{
	char *dir = xasprintf("%s/spool", f->state);
	struct dirent **list = NULL;
	int n = scandir(dir, &list, NULL, alphasort);
	size_t k = 0;
	for (int i = 0; i < n; i++) {
		size_t len = strlen(list[i]->d_name), sl = strlen(suffix);
		if (list[i]->d_name[0] != '.' && len > sl && len < 64 &&
		    !strcmp(list[i]->d_name + len - sl, suffix) && k < max)
			memcpy(names[k++], list[i]->d_name, len + 1);
		free(list[i]);
	}
	free(list);
	free(dir);
	return k;
}

/* ---- delivery ---- */

START_TEST(delivers_in_order_and_empties_the_spool)
{
	struct fx *f = fx_new();
	struct receiver *r = start_receiver(f, "");
	add_webhook(f, "hook", r, NULL);
	struct dispatch_config cfg = config(f);
	start(f, &cfg);
	ck_assert(dispatcher_idle(f->d));
	ck_assert_uint_eq(dispatcher_ntargets(f->d), 1);
	ck_assert_str_eq(dispatcher_target_name(f->d, 0), "hook");
	for (unsigned i = 1; i <= 5; i++)
		dispatcher_submit(f->d, note("hook", "A", i == 1 ? NOTIFY_KIND_FIRST
							: NOTIFY_KIND_REPEAT, i));
	ck_assert(!dispatcher_idle(f->d));
	ck_assert_uint_eq(dispatcher_spool_size(f->d), 5);
	char names[8][64];
	ck_assert_uint_eq(spool_files(f, ".json", names, 8), 5);
	ck_assert(run_until(f->l, idle, f));
	char *m = messages(r);
	ck_assert_str_eq(m, "A number 1|A number 2|A number 3|A number 4|A number 5");
	free(m);
	struct target_stats st = stats_of(f, "hook");
	ck_assert_uint_eq(st.sent, 5);
	ck_assert_uint_eq(st.failed + st.retried + st.dropped, 0);
	ck_assert_uint_eq(st.queued, 0);
	ck_assert_uint_eq(dispatcher_spool_size(f->d), 0);
	ck_assert_uint_eq(spool_files(f, ".json", names, 8), 0);
	struct stat sb;
	char *sp = xasprintf("%s/spool", f->state);
	ck_assert_int_eq(stat(sp, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0700);
	free(sp);
	receiver_stop(&r);
	fx_free(f);
}
END_TEST

START_TEST(server_errors_are_retried_until_acknowledged)
{
	struct fx *f = fx_new();
	struct receiver *r = start_receiver(f, "--status 500,503,200");
	add_webhook(f, "hook", r, NULL);
	struct dispatch_config cfg = config(f);
	start(f, &cfg);
	dispatcher_submit(f->d, note("hook", "A", NOTIFY_KIND_FIRST, 1));
	dispatcher_submit(f->d, note("hook", "B", NOTIFY_KIND_FIRST, 1));
	ck_assert(run_until(f->l, idle, f));
	/* A was sent three times (500, 503, 200), then B once; order kept. */
	char *m = messages(r);
	ck_assert_str_eq(m, "A number 1|A number 1|A number 1|B number 1");
	free(m);
	struct target_stats st = stats_of(f, "hook");
	ck_assert_uint_eq(st.sent, 2);
	ck_assert_uint_eq(st.retried, 2);
	ck_assert_uint_eq(st.failed, 0);
	ck_assert_uint_eq(dispatcher_spool_size(f->d), 0);
	ck_assert_ptr_nonnull(strstr(logbuf, "HTTP 500"));
	receiver_stop(&r);
	fx_free(f);
}
END_TEST

START_TEST(client_errors_are_dropped_and_logged)
{
	struct fx *f = fx_new();
	struct receiver *r = start_receiver(f, "--status 400,200");
	add_webhook(f, "hook", r, NULL);
	struct dispatch_config cfg = config(f);
	start(f, &cfg);
	dispatcher_submit(f->d, note("hook", "Bad", NOTIFY_KIND_FIRST, 1));
	dispatcher_submit(f->d, note("hook", "Good", NOTIFY_KIND_FIRST, 1));
	ck_assert(run_until(f->l, idle, f));
	/* Long enough for several retries, had there been any. */
	run_for(f->l, 200);
	char *m = messages(r);
	ck_assert_str_eq(m, "Bad number 1|Good number 1");
	free(m);
	struct target_stats st = stats_of(f, "hook");
	ck_assert_uint_eq(st.failed, 1);
	ck_assert_uint_eq(st.sent, 1);
	ck_assert_uint_eq(st.retried, 0);
	ck_assert_uint_eq(dispatcher_spool_size(f->d), 0);
	ck_assert_msg(strstr(logbuf, "error: target 'hook'") &&
		      strstr(logbuf, "alert 'Bad'") && strstr(logbuf, "HTTP 400"),
		      "log: %s", logbuf);
	receiver_stop(&r);
	fx_free(f);
}
END_TEST

START_TEST(receiver_down_then_up_loses_nothing)
{
	struct fx *f = fx_new();
	struct receiver *r = start_receiver(f, "");
	int port = r->port;
	add_webhook(f, "hook", r, NULL);
	receiver_stop(&r);                 /* down */
	struct dispatch_config cfg = config(f);
	start(f, &cfg);
	for (unsigned i = 1; i <= 4; i++)
		dispatcher_submit(f->d, note("hook", "A", NOTIFY_KIND_REPEAT, i));
	struct waitfor w = { .f = f, .target = "hook", .retried = 3 };
	ck_assert(run_until(f->l, retried_reached, &w));
	ck_assert_uint_eq(stats_of(f, "hook").sent, 0);
	ck_assert_uint_eq(stats_of(f, "hook").queued, 4);
	char *args = xasprintf("--port %d", port);
	r = start_receiver(f, args);       /* up again, same port */
	free(args);
	ck_assert(run_until(f->l, idle, f));
	char *m = messages(r);
	ck_assert_str_eq(m, "A number 1|A number 2|A number 3|A number 4");
	free(m);
	ck_assert_uint_eq(stats_of(f, "hook").sent, 4);
	ck_assert_uint_eq(dispatcher_spool_size(f->d), 0);
	receiver_stop(&r);
	fx_free(f);
}
END_TEST

START_TEST(hanging_target_does_not_delay_another)
{
	struct fx *f = fx_new();
	struct receiver *slow = start_receiver(f, "--hang");
	struct receiver *fast = start_receiver(f, "");
	add_webhook(f, "slow", slow, ",\"timeout\":\"10m\"");
	add_webhook(f, "fast", fast, NULL);
	struct dispatch_config cfg = config(f);
	start(f, &cfg);
	for (unsigned i = 1; i <= 3; i++)
		dispatcher_submit(f->d, note("slow", "S", NOTIFY_KIND_REPEAT, i));
	struct waitfor w = { .r = slow, .requests = 1 };
	ck_assert(run_until(f->l, requests_reached, &w));   /* slow is stuck */
	for (unsigned i = 1; i <= 5; i++)
		dispatcher_submit(f->d, note("fast", "F", NOTIFY_KIND_REPEAT, i));
	struct waitfor wf = { .f = f, .target = "fast", .sent = 5 };
	ck_assert(run_until(f->l, sent_reached, &wf));
	char *m = messages(fast);
	ck_assert_str_eq(m, "F number 1|F number 2|F number 3|F number 4|F number 5");
	free(m);
	struct target_stats st = stats_of(f, "slow");
	ck_assert_uint_eq(st.sent, 0);
	ck_assert_uint_eq(st.queued, 3);
	ck_assert_uint_eq(receiver_count(slow), 1);   /* one at a time */
	ck_assert(!dispatcher_idle(f->d));
	receiver_stop(&slow);
	receiver_stop(&fast);
	fx_free(f);
}
END_TEST

struct posted {
	int calls;
	long status;
};

static void on_control(void *ctx, long status, const char *error)
{
	struct posted *p = ctx;
	p->calls++;
	p->status = status;
}

static bool control_done(void *ctx)
{
	return ((struct posted *)ctx)->calls > 0;
}

/* Changes a running receiver's behaviour through its control endpoint. */
static void control(struct fx *f, const struct receiver *r, const char *json)
{
	http_client *c = http_client_new(f->l);
	char *url = receiver_url(r, "http", "/_control");
	struct http_request req = { .url = url, .body = json,
				    .body_len = strlen(json) };
	struct posted p = { 0 };
	ck_assert_int_eq(http_post(c, &req, on_control, &p), 0);
	ck_assert(run_until(f->l, control_done, &p));
	ck_assert_int_eq(p.status, 200);
	http_client_free(&c);
	free(url);
}

START_TEST(overflow_drops_oldest_repeats_first)
{
	struct fx *f = fx_new();
	struct receiver *r = start_receiver(f, "--hang");
	add_webhook(f, "hook", r, ",\"timeout\":\"1s\"");
	struct dispatch_config cfg = config(f);
	cfg.queue_max = 4;
	start(f, &cfg);
	/* F0 goes out and hangs; the next four fill the queue. */
	dispatcher_submit(f->d, note("hook", "F0", NOTIFY_KIND_FIRST, 1));
	struct waitfor w = { .r = r, .requests = 1 };
	ck_assert(run_until(f->l, requests_reached, &w));
	dispatcher_submit(f->d, note("hook", "F1", NOTIFY_KIND_FIRST, 1));
	dispatcher_submit(f->d, note("hook", "R1", NOTIFY_KIND_REPEAT, 2));
	dispatcher_submit(f->d, note("hook", "R2", NOTIFY_KIND_REPEAT, 2));
	dispatcher_submit(f->d, note("hook", "X1", NOTIFY_KIND_RESOLVED, 3));
	ck_assert_uint_eq(stats_of(f, "hook").dropped, 0);
	ck_assert_uint_eq(stats_of(f, "hook").queued, 5);
	/* Full: each newcomer costs the oldest repeat (R1, then R2)... */
	dispatcher_submit(f->d, note("hook", "R3", NOTIFY_KIND_REPEAT, 2));
	dispatcher_submit(f->d, note("hook", "F2", NOTIFY_KIND_FIRST, 1));
	dispatcher_submit(f->d, note("hook", "F3", NOTIFY_KIND_FIRST, 1));
	/* ...then R3; with no repeat left the oldest firing one (F1) goes,
	 * and a repeat arriving at a queue without repeats is itself dropped. */
	dispatcher_submit(f->d, note("hook", "F4", NOTIFY_KIND_FIRST, 1));
	dispatcher_submit(f->d, note("hook", "R4", NOTIFY_KIND_REPEAT, 2));
	struct target_stats st = stats_of(f, "hook");
	ck_assert_uint_eq(st.dropped, 5);
	ck_assert_uint_eq(st.queued, 5);
	ck_assert_uint_eq(dispatcher_spool_size(f->d), 5);
	ck_assert_msg(strstr(logbuf, "dropped repeat notification 2 of alert 'R1'"),
		      "log: %s", logbuf);
	/* Let it through: F0 times out, is retried, then the rest follow. */
	control(f, r, "{\"hang\": false}");
	ck_assert(run_until(f->l, idle, f));
	char *m = messages(r);
	ck_assert_str_eq(m, "F0 number 1|F0 number 1|X1 number 3|F2 number 1|"
			    "F3 number 1|F4 number 1");
	free(m);
	ck_assert_uint_eq(dispatcher_spool_size(f->d), 0);
	receiver_stop(&r);
	fx_free(f);
}
END_TEST

/* ---- the spool ---- */

START_TEST(spooled_notifications_survive_a_crash)
{
	struct fx *f = fx_new();
	struct receiver *r = start_receiver(f, "");
	add_webhook(f, "hook", r, NULL);
	struct dispatch_config cfg = config(f);
	start(f, &cfg);
	for (unsigned i = 1; i <= 3; i++)
		dispatcher_submit(f->d, note("hook", "A", NOTIFY_KIND_REPEAT, i));
	/* "Crash": gone before the loop ever ran, nothing delivered. */
	dispatcher_free(&f->d);
	ck_assert_ptr_null(f->d);
	ck_assert_uint_eq(receiver_count(r), 0);
	char names[8][64];
	ck_assert_uint_eq(spool_files(f, ".json", names, 8), 3);

	start(f, &cfg);
	ck_assert_uint_eq(dispatcher_spool_size(f->d), 3);
	/* New ids start above the spooled ones. */
	dispatcher_submit(f->d, note("hook", "B", NOTIFY_KIND_FIRST, 1));
	ck_assert_uint_eq(spool_files(f, ".json", names, 8), 4);
	ck_assert(run_until(f->l, idle, f));
	char *m = messages(r);
	ck_assert_str_eq(m, "A number 1|A number 2|A number 3|B number 1");
	free(m);
	ck_assert_uint_eq(spool_files(f, ".json", names, 8), 0);
	ck_assert_uint_eq(dispatcher_spool_size(f->d), 0);
	receiver_stop(&r);
	fx_free(f);
}
END_TEST

START_TEST(in_flight_delivery_is_resent_after_restart)
{
	struct fx *f = fx_new();
	struct receiver *r = start_receiver(f, "--hang");
	add_webhook(f, "hook", r, ",\"timeout\":\"10m\"");
	struct dispatch_config cfg = config(f);
	start(f, &cfg);
	dispatcher_submit(f->d, note("hook", "A", NOTIFY_KIND_FIRST, 1));
	struct waitfor w = { .r = r, .requests = 1 };
	ck_assert(run_until(f->l, requests_reached, &w));
	dispatcher_free(&f->d);            /* never acknowledged */
	control(f, r, "{\"hang\": false}");
	start(f, &cfg);
	ck_assert(run_until(f->l, idle, f));
	char *m = messages(r);
	ck_assert_str_eq(m, "A number 1|A number 1");   /* at least once */
	free(m);
	receiver_stop(&r);
	fx_free(f);
}
END_TEST

START_TEST(corrupt_spool_records_are_set_aside)
{
	struct fx *f = fx_new();
	struct receiver *r = start_receiver(f, "");
	add_webhook(f, "hook", r, NULL);
	struct dispatch_config cfg = config(f);
	start(f, &cfg);
	dispatcher_submit(f->d, note("hook", "Good", NOTIFY_KIND_FIRST, 1));
	dispatcher_free(&f->d);
	char *spool = xasprintf("%s/spool", f->state);
	char names[8][64];
	ck_assert_uint_eq(spool_files(f, ".json", names, 8), 1);
	/* A truncated copy of the good record, and plain garbage. */
	char *path = xasprintf("%s/%s", spool, names[0]);
	char *text = slurp(path, NULL);
	text[strlen(text) / 2] = '\0';
	free(write_file(spool, "00000000000000000007.json", text));
	free(write_file(spool, "00000000000000000009.json", "\x01\x02 not json"));
	free(write_file(spool, ".tmp-00000000000000000010.json", "{\"half"));
	free(text);
	free(path);

	start(f, &cfg);
	ck_assert_uint_eq(dispatcher_spool_size(f->d), 1);
	ck_assert_msg(strstr(logbuf, "00000000000000000007.json") &&
		      strstr(logbuf, "00000000000000000009.json") &&
		      strstr(logbuf, "error: spool: skipping corrupt record"),
		      "log: %s", logbuf);
	ck_assert_uint_eq(spool_files(f, ".bad", names, 8), 2);
	ck_assert_str_eq(names[0], "00000000000000000007.json.bad");
	ck_assert_str_eq(names[1], "00000000000000000009.json.bad");
	/* The leftover temporary file is gone; new ids pass the corrupt ones. */
	char *tmp = xasprintf("%s/.tmp-00000000000000000010.json", spool);
	ck_assert_int_eq(access(tmp, F_OK), -1);
	free(tmp);
	dispatcher_submit(f->d, note("hook", "New", NOTIFY_KIND_FIRST, 1));
	ck_assert_uint_eq(spool_files(f, ".json", names, 8), 2);
	ck_assert_str_eq(names[1], "00000000000000000010.json");
	ck_assert(run_until(f->l, idle, f));
	char *m = messages(r);
	ck_assert_str_eq(m, "Good number 1|New number 1");
	free(m);
	free(spool);
	receiver_stop(&r);
	fx_free(f);
}
END_TEST

START_TEST(records_for_removed_targets_are_kept_aside)
{
	struct fx *f = fx_new();
	/* A record for "gone", never delivered (the loop never runs). */
	add_target(f, "gone", "{\"type\":\"webhook\",\"endpoint\":\"http://127.0.0.1:1/\"}");
	struct dispatch_config cfg = config(f);
	start(f, &cfg);
	dispatcher_submit(f->d, note("gone", "Old", NOTIFY_KIND_FIRST, 1));
	dispatcher_free(&f->d);
	target_set_clear(&f->ts);

	/* The configuration no longer has "gone". */
	char *out = xasprintf("%s/out.jsonl", f->dir);
	add_target(f, "other", "{\"type\":\"file\",\"path\":\"%s\"}", out);
	start(f, &cfg);
	ck_assert_uint_eq(dispatcher_spool_size(f->d), 0);
	ck_assert(dispatcher_idle(f->d));
	ck_assert_msg(strstr(logbuf, "warning: spool: notification 1 of alert 'Old' "
				     "is for target 'gone', which is no longer configured"),
		      "log: %s", logbuf);
	char *aside = xasprintf("%s/spool/orphaned/00000000000000000001.json", f->state);
	ck_assert_int_eq(access(aside, F_OK), 0);
	char names[4][64];
	ck_assert_uint_eq(spool_files(f, ".json", names, 4), 0);
	/* The others are unaffected. */
	dispatcher_submit(f->d, note("other", "New", NOTIFY_KIND_FIRST, 1));
	ck_assert(dispatcher_idle(f->d));
	char *doc = slurp(out, NULL);
	ck_assert_ptr_nonnull(strstr(doc, "\"New number 1\""));
	ck_assert_ptr_null(strstr(doc, "Old"));
	free(doc);
	free(aside);
	free(out);
	fx_free(f);
}
END_TEST

START_TEST(unknown_target_is_dropped_with_an_error)
{
	struct fx *f = fx_new();
	struct dispatch_config cfg = config(f);
	cfg.state_dir = NULL;   /* no spool at all */
	start(f, &cfg);
	dispatcher_submit(f->d, note("nowhere", "A", NOTIFY_KIND_FIRST, 1));
	dispatcher_submit(f->d, NULL);
	ck_assert(dispatcher_idle(f->d));
	ck_assert_uint_eq(dispatcher_spool_size(f->d), 0);
	ck_assert_ptr_nonnull(strstr(logbuf, "unknown target 'nowhere'"));
	fx_free(f);
}
END_TEST

START_TEST(bad_targets_fail_construction)
{
	struct fx *f = fx_new();
	add_target(f, "pager", "{\"type\":\"pagerduty\"}");
	struct dispatch_config cfg = config(f);
	char err[512] = "";
	ck_assert_ptr_null(dispatcher_new(&cfg, err, sizeof(err)));
	ck_assert_str_eq(err, "target 'pager': unknown type 'pagerduty'");
	target_set_clear(&f->ts);
	add_target(f, "ok", "{\"type\":\"stdout\"}");
	add_target(f, "hook", "{\"type\":\"webhook\",\"endpoint\":\"mailto:x\"}");
	ck_assert_ptr_null(dispatcher_new(&cfg, err, sizeof(err)));
	ck_assert_str_eq(err, "target 'hook': webhook: 'endpoint' must be an "
			      "http:// or https:// URL");
	/* A state directory that cannot be created. */
	target_set_clear(&f->ts);
	cfg.state_dir = "/proc/no-such-dir/state";
	ck_assert_ptr_null(dispatcher_new(&cfg, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "/proc/no-such-dir/state"));
	fx_free(f);
}
END_TEST

START_TEST(local_targets_deliver_many_at_once_and_reopen)
{
	struct fx *f = fx_new();
	char *out = xasprintf("%s/out.jsonl", f->dir);
	char *moved = xasprintf("%s/out.jsonl.1", f->dir);
	add_target(f, "file", "{\"type\":\"file\",\"path\":\"%s\"}", out);
	struct dispatch_config cfg = config(f);
	cfg.state_dir = NULL;   /* thousands of fsyncs would prove nothing here */
	start(f, &cfg);
	/* Synchronous completions must not recurse per queued notification. */
	enum { N = 3000 };
	for (unsigned i = 1; i <= N; i++)
		dispatcher_submit(f->d, note("file", "Many", NOTIFY_KIND_REPEAT, i));
	ck_assert(dispatcher_idle(f->d));
	ck_assert_uint_eq(stats_of(f, "file").sent, N);
	ck_assert_uint_eq(dispatcher_spool_size(f->d), 0);
	ck_assert_int_eq(rename(out, moved), 0);
	dispatcher_reopen(f->d);
	dispatcher_submit(f->d, note("file", "After", NOTIFY_KIND_FIRST, 1));
	char *doc = slurp(out, NULL);
	ck_assert_ptr_nonnull(doc);
	ck_assert_ptr_nonnull(strstr(doc, "\"After number 1\""));
	ck_assert_ptr_null(strstr(doc, "Many"));
	free(doc);
	free(out);
	free(moved);
	fx_free(f);
}
END_TEST

START_TEST(backoff_grows_and_is_capped)
{
	/* Observed through the log: "retrying in N ms" for each attempt. */
	struct fx *f = fx_new();
	struct receiver *r = start_receiver(f, "--status 500");
	add_webhook(f, "hook", r, NULL);
	struct dispatch_config cfg = config(f);
	cfg.retry_base_ms = 10;
	cfg.retry_max_ms = 40;
	start(f, &cfg);
	dispatcher_submit(f->d, note("hook", "A", NOTIFY_KIND_FIRST, 1));
	struct waitfor w = { .f = f, .target = "hook", .retried = 6 };
	ck_assert(run_until(f->l, retried_reached, &w));
	long delays[6];
	const char *p = logbuf;
	for (int i = 0; i < 6; i++) {
		p = strstr(p, "retrying in ");
		ck_assert_ptr_nonnull(p);
		p += strlen("retrying in ");
		delays[i] = strtol(p, NULL, 10);
	}
	/* 10, 20, 40, 40, 40, 40 ms, each within +/- 20 %. */
	long base[6] = { 10, 20, 40, 40, 40, 40 };
	for (int i = 0; i < 6; i++)
		ck_assert_msg(delays[i] >= base[i] * 8 / 10 - 1 &&
			      delays[i] <= base[i] * 12 / 10 + 1,
			      "attempt %d: %ld ms", i + 1, delays[i]);
	ck_assert_uint_eq(stats_of(f, "hook").sent, 0);
	ck_assert_uint_eq(dispatcher_spool_size(f->d), 1);
	receiver_stop(&r);
	fx_free(f);
}
END_TEST

Suite *dispatch_suite(void)
{
	Suite *s = suite_create("dispatch");
	TCase *tc = tcase_create("delivery");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, delivers_in_order_and_empties_the_spool);
	tcase_add_test(tc, server_errors_are_retried_until_acknowledged);
	tcase_add_test(tc, client_errors_are_dropped_and_logged);
	tcase_add_test(tc, receiver_down_then_up_loses_nothing);
	tcase_add_test(tc, hanging_target_does_not_delay_another);
	tcase_add_test(tc, overflow_drops_oldest_repeats_first);
	tcase_add_test(tc, backoff_grows_and_is_capped);
	tcase_add_test(tc, unknown_target_is_dropped_with_an_error);
	tcase_add_test(tc, bad_targets_fail_construction);
	tcase_add_test(tc, local_targets_deliver_many_at_once_and_reopen);
	suite_add_tcase(s, tc);

	tc = tcase_create("spool");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, spooled_notifications_survive_a_crash);
	tcase_add_test(tc, in_flight_delivery_is_resent_after_restart);
	tcase_add_test(tc, corrupt_spool_records_are_set_aside);
	tcase_add_test(tc, records_for_removed_targets_are_kept_aside);
	suite_add_tcase(s, tc);
	return s;
}
