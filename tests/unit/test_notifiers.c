/* Notifiers and the HTTP client, against a real HTTP(S) receiver on
 * 127.0.0.1 (tests/tools/receiver.py): what arrives on the wire, byte for
 * byte, and how each outcome maps to OK / RETRY / FAIL. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tools/receiver_client.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "notification.h"
#include "notifier.h"
#include "testutil.h"
#include "xalloc.h"

/* ---- fixtures ---- */

static char logbuf[1 << 16];

static void capture_log(void *ctx, enum log_level level, const char *msg)
{
	size_t n = strlen(logbuf);
	snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", msg);
}

struct env {
	char *dir;
	loop *l;
	http_client *http;
	struct notifier_env nenv;
};

static struct env *env_new(void)
{
	struct env *e = xcalloc(1, sizeof(*e));
	e->dir = make_temp_dir();
	e->l = loop_new();
	e->http = http_client_new(e->l);
	ck_assert_ptr_nonnull(e->http);
	e->nenv = (struct notifier_env){ .loop = e->l, .http = e->http,
					 .node_name = "node-1",
					 .target_name = "test" };
	logbuf[0] = '\0';
	log_set_sink(capture_log, NULL);
	return e;
}

static void env_free(struct env *e)
{
	http_client_free(&e->http);
	loop_free(&e->l);
	rm_rf(e->dir);
	free(e->dir);
	free(e);
	log_set_sink(NULL, NULL);
	log_set_level(LOG_LEVEL_INFO);
}

static char **strv1(const char *a)
{
	char **v = xcalloc(1, sizeof(*v));
	v[0] = xstrdup(a);
	return v;
}

static notification *make_note(const char *alert, enum notification_status st,
			       unsigned seq)
{
	notification *n = notification_new();
	n->alert = xstrdup(alert);
	n->status = st;
	n->kind = st == NOTIFY_RESOLVED ? NOTIFY_KIND_RESOLVED
		  : seq > 1 ? NOTIFY_KIND_REPEAT : NOTIFY_KIND_FIRST;
	n->severity = SEVERITY_CRITICAL;
	n->message = xstrdup("/usr/bin/cat read /etc/passwd in default/dev-pod");
	n->rule = xstrdup("process_exec_process_arguments =% \"/etc/passwd\"");
	n->reason = xstrdup("matched rule process_exec_process_arguments =% \"/etc/passwd\"");
	n->group_keys = strv1("process_exec_process_pod_name");
	n->group_values = strv1("dev-pod");
	n->ngroup = 1;
	n->count = 3;
	n->seq = seq;
	n->of = 5;
	n->time_ms = 1714557600000LL + seq;   /* 2024-05-01T10:00:00.00Nz */
	n->starts_at_ms = 1714557600000LL;
	n->ends_at_ms = st == NOTIFY_RESOLVED ? 1714557900000LL : 0;
	n->node = xstrdup("node-1");
	n->source = xstrdup("tetragon");
	n->event_json = xstrdup("{\"process_exec\":{\"process\":{\"binary\":\"/usr/bin/cat\","
				"\"arguments\":\"/etc/passwd\"}},\"time\":\"2024-05-01T10:00:00Z\"}");
	n->target = xstrdup("test");
	return n;
}

static bool outcome_done(void *ctx)
{
	return ((struct outcome *)ctx)->calls > 0;
}

static void *init_ok(const struct notifier_ops *ops, struct env *e,
		     const char *json)
{
	struct json_object *cfg = json_tokener_parse(json);
	ck_assert_ptr_nonnull(cfg);
	char err[512] = "";
	void *state = NULL;
	int rc = ops->init(cfg, &e->nenv, &state, err, sizeof(err));
	json_object_put(cfg);
	ck_assert_msg(rc == 0, "init failed: %s", err);
	return state;
}

static const char *init_error(const struct notifier_ops *ops, struct env *e,
			      const char *json)
{
	static char err[512];
	struct json_object *cfg = json_tokener_parse(json);
	ck_assert_ptr_nonnull(cfg);
	void *state = NULL;
	err[0] = '\0';
	int rc = ops->init(cfg, &e->nenv, &state, err, sizeof(err));
	json_object_put(cfg);
	ck_assert_int_eq(rc, -1);
	return err;
}

/* Sends n and runs the loop until the outcome is known. */
static struct outcome deliver(const struct notifier_ops *ops, void *state,
			      struct env *e, const notification *n)
{
	struct outcome o = { 0 };
	ops->send(state, n, on_done, &o);
	ck_assert(run_until(e->l, outcome_done, &o));
	ck_assert_int_eq(o.calls, 1);
	return o;
}

static struct receiver *start_receiver(struct env *e, const char *args)
{
	struct receiver *r = receiver_start(e->dir, args);
	ck_assert_msg(r != NULL, "receiver.py did not start");
	return r;
}

/* ---- registry ---- */

START_TEST(registry_has_every_type_once)
{
	const char *want[] = { "webhook", "slack", "alertmanager", "syslog",
			       "file", "stdout" };
	for (size_t i = 0; i < 6; i++) {
		const struct notifier_ops *ops = notifier_lookup(want[i]);
		ck_assert_msg(ops != NULL, "type %s missing", want[i]);
		ck_assert_str_eq(ops->type, want[i]);
		ck_assert(ops->init && ops->render && ops->send && ops->fini);
	}
	ck_assert_ptr_null(notifier_lookup("pagerduty"));
	ck_assert_ptr_null(notifier_lookup(NULL));
	const struct notifier_ops *const *all = notifier_types();
	size_t n = 0;
	for (; all[n]; n++)
		for (size_t j = 0; j < n; j++)
			ck_assert_str_ne(all[j]->type, all[n]->type);
	ck_assert_uint_eq(n, 6);
}
END_TEST

START_TEST(http_result_mapping)
{
	ck_assert_int_eq(notifier_http_result(200), DELIVERY_OK);
	ck_assert_int_eq(notifier_http_result(204), DELIVERY_OK);
	ck_assert_int_eq(notifier_http_result(0), DELIVERY_RETRY);
	ck_assert_int_eq(notifier_http_result(429), DELIVERY_RETRY);
	ck_assert_int_eq(notifier_http_result(500), DELIVERY_RETRY);
	ck_assert_int_eq(notifier_http_result(503), DELIVERY_RETRY);
	ck_assert_int_eq(notifier_http_result(400), DELIVERY_FAIL);
	ck_assert_int_eq(notifier_http_result(401), DELIVERY_FAIL);
	ck_assert_int_eq(notifier_http_result(404), DELIVERY_FAIL);
	ck_assert_int_eq(notifier_http_result(302), DELIVERY_FAIL);
}
END_TEST

START_TEST(url_check)
{
	ck_assert(notifier_is_http_url("http://127.0.0.1:8080/x"));
	ck_assert(notifier_is_http_url("HTTPS://hooks.example/abc?d=1"));
	ck_assert(!notifier_is_http_url("ftp://example/"));
	ck_assert(!notifier_is_http_url("http://"));
	ck_assert(!notifier_is_http_url("http:///path"));
	ck_assert(!notifier_is_http_url("example.com/hook"));
	ck_assert(!notifier_is_http_url("http://a b/"));
	ck_assert(!notifier_is_http_url(NULL));
}
END_TEST

/* ---- webhook ---- */

START_TEST(webhook_config_errors)
{
	struct env *e = env_new();
	const struct notifier_ops *w = notifier_lookup("webhook");
	ck_assert_str_eq(init_error(w, e, "{}"),
			 "webhook: 'endpoint' must be an http:// or https:// URL");
	ck_assert_str_eq(init_error(w, e, "{\"endpoint\":\"ftp://x/\"}"),
			 "webhook: 'endpoint' must be an http:// or https:// URL");
	ck_assert_str_eq(init_error(w, e, "{\"endpoint\":5}"),
			 "webhook: 'endpoint' must be a string");
	ck_assert_str_eq(init_error(w, e, "{\"endpoint\":\"http://h/\",\"format\":\"xml\"}"),
			 "webhook: 'format' must be \"json\" or \"text\"");
	ck_assert_str_eq(init_error(w, e, "{\"endpoint\":\"http://h/\",\"headers\":[1]}"),
			 "webhook: 'headers' must be an object of name = \"value\"");
	ck_assert_str_eq(init_error(w, e, "{\"endpoint\":\"http://h/\",\"headers\":{\"X-A\":\"a\\r\\nX-B: b\"}}"),
			 "webhook: header 'X-A' must be a one-line string");
	ck_assert_str_eq(init_error(w, e, "{\"endpoint\":\"http://h/\",\"headers\":{\"Bad Name\":\"v\"}}"),
			 "webhook: header name 'Bad Name' is not valid");
	ck_assert_str_eq(init_error(w, e, "{\"endpoint\":\"http://h/\",\"skip_tls_check\":\"yes\"}"),
			 "webhook: 'skip_tls_check' must be true or false");
	ck_assert_str_eq(init_error(w, e, "{\"endpoint\":\"http://h/\",\"timeout\":\"soon\"}"),
			 "webhook: 'timeout' must be a duration such as \"10s\"");
	env_free(e);
}
END_TEST

START_TEST(webhook_json_body_and_headers_arrive_exactly)
{
	struct env *e = env_new();
	struct receiver *r = start_receiver(e, "");
	char *url = receiver_url(r, "http", "/hooks/bpf?x=1");
	char *cfg = xasprintf("{\"type\":\"webhook\",\"endpoint\":\"%s\","
			      "\"headers\":{\"Authorization\":\"Bearer s3cr3t-t0ken\","
			      "\"X-Team\":\"blue team\"}}", url);
	const struct notifier_ops *w = notifier_lookup("webhook");
	log_set_level(LOG_LEVEL_DEBUG);
	void *st = init_ok(w, e, cfg);
	notification *n = make_note("Unauthorised access /etc/passwd", NOTIFY_FIRING, 2);
	char *want = notification_document_text(n);

	char *rendered = w->render(st, n);
	ck_assert_str_eq(rendered, want);
	struct outcome o = deliver(w, st, e, n);
	ck_assert_int_eq(o.result, DELIVERY_OK);

	struct json_object *reqs = receiver_requests(r);
	ck_assert_uint_eq(json_object_array_length(reqs), 1);
	struct json_object *q = json_object_array_get_idx(reqs, 0);
	ck_assert_str_eq(request_str(q, "method"), "POST");
	ck_assert_str_eq(request_str(q, "path"), "/hooks/bpf?x=1");
	ck_assert_str_eq(request_str(q, "body"), want);
	ck_assert_str_eq(request_header(q, "Content-Type"), "application/json");
	ck_assert_str_eq(request_header(q, "Authorization"), "Bearer s3cr3t-t0ken");
	ck_assert_str_eq(request_header(q, "X-Team"), "blue team");
	ck_assert_ptr_null(request_header(q, "Expect"));
	/* The body is the alert document. */
	struct json_object *doc = json_tokener_parse(request_str(q, "body"));
	struct json_object *v;
	ck_assert(json_object_object_get_ex(doc, "alert", &v));
	ck_assert_str_eq(json_object_get_string(v), "Unauthorised access /etc/passwd");
	json_object_put(doc);
	/* A header value is a secret: it never reaches a log line, even at
	 * debug level, where the header names are logged. */
	ck_assert_msg(strstr(logbuf, "Authorization, X-Team"), "log: %s", logbuf);
	ck_assert_ptr_null(strstr(logbuf, "s3cr3t"));
	ck_assert_ptr_null(strstr(o.detail, "s3cr3t"));

	json_object_put(reqs);
	free(rendered);
	free(want);
	notification_free(&n);
	w->fini(st);
	free(cfg);
	free(url);
	receiver_stop(&r);
	env_free(e);
}
END_TEST

START_TEST(webhook_text_format_is_parseable_byte_for_byte)
{
	struct env *e = env_new();
	struct receiver *r = start_receiver(e, "");
	char *url = receiver_url(r, "http", "/parseable");
	char *cfg = xasprintf("{\"endpoint\":\"%s\",\"format\":\"text\"}", url);
	const struct notifier_ops *w = notifier_lookup("webhook");
	void *st = init_ok(w, e, cfg);

	notification *f = make_note("Unauthorised access /etc/shadow", NOTIFY_FIRING, 1);
	f->parseable = true;
	f->stream = xstrdup("tetrademo");
	free(f->message);
	f->message = xstrdup("/etc/shadow file is accessed by an unauthorised pod");
	free(f->reason);
	f->reason = xstrdup("matched rule process_exec_process_arguments =% \"/etc/shadow\"");
	notification *res = notification_clone(f);
	res->status = NOTIFY_RESOLVED;
	res->kind = NOTIFY_KIND_RESOLVED;
	res->ends_at_ms = f->starts_at_ms + 60000;

	ck_assert_int_eq(deliver(w, st, e, f).result, DELIVERY_OK);
	ck_assert_int_eq(deliver(w, st, e, res).result, DELIVERY_OK);

	struct json_object *reqs = receiver_requests(r);
	ck_assert_uint_eq(json_object_array_length(reqs), 2);
	struct json_object *q0 = json_object_array_get_idx(reqs, 0);
	struct json_object *q1 = json_object_array_get_idx(reqs, 1);
	ck_assert_str_eq(request_str(q0, "body"),
			 "Unauthorised access /etc/shadow triggered on tetrademo\n"
			 "Message: /etc/shadow file is accessed by an unauthorised pod\n"
			 "Failing Condition: matched rule process_exec_process_arguments =% \"/etc/shadow\"");
	ck_assert_str_eq(request_str(q1, "body"),
			 "Unauthorised access /etc/shadow on tetrademo is now resolved ");
	ck_assert_str_eq(request_header(q0, "Content-Type"), "text/plain");

	json_object_put(reqs);
	notification_free(&f);
	notification_free(&res);
	w->fini(st);
	free(cfg);
	free(url);
	receiver_stop(&r);
	env_free(e);
}
END_TEST

START_TEST(webhook_status_codes_map_to_results)
{
	struct env *e = env_new();
	struct receiver *r = start_receiver(e, "--status 500,429,400,404,204");
	char *url = receiver_url(r, "http", "/");
	char *cfg = xasprintf("{\"endpoint\":\"%s\"}", url);
	const struct notifier_ops *w = notifier_lookup("webhook");
	void *st = init_ok(w, e, cfg);
	notification *n = make_note("A", NOTIFY_FIRING, 1);
	struct outcome o;

	o = deliver(w, st, e, n);
	ck_assert_int_eq(o.result, DELIVERY_RETRY);
	ck_assert_ptr_nonnull(strstr(o.detail, "HTTP 500"));
	o = deliver(w, st, e, n);
	ck_assert_int_eq(o.result, DELIVERY_RETRY);
	ck_assert_ptr_nonnull(strstr(o.detail, "HTTP 429"));
	o = deliver(w, st, e, n);
	ck_assert_int_eq(o.result, DELIVERY_FAIL);
	ck_assert_ptr_nonnull(strstr(o.detail, "HTTP 400"));
	ck_assert_ptr_nonnull(strstr(o.detail, "ok"));   /* the response body */
	o = deliver(w, st, e, n);
	ck_assert_int_eq(o.result, DELIVERY_FAIL);
	o = deliver(w, st, e, n);
	ck_assert_int_eq(o.result, DELIVERY_OK);
	ck_assert_uint_eq(receiver_count(r), 5);

	notification_free(&n);
	w->fini(st);
	free(cfg);
	free(url);
	receiver_stop(&r);
	env_free(e);
}
END_TEST

START_TEST(webhook_unreachable_and_hanging_endpoints_retry)
{
	struct env *e = env_new();
	struct receiver *r = start_receiver(e, "--hang");
	char *url = receiver_url(r, "http", "/");
	char *cfg = xasprintf("{\"endpoint\":\"%s\",\"timeout\":\"300ms\"}", url);
	const struct notifier_ops *w = notifier_lookup("webhook");
	void *st = init_ok(w, e, cfg);
	notification *n = make_note("A", NOTIFY_FIRING, 1);

	struct outcome o = deliver(w, st, e, n);
	ck_assert_int_eq(o.result, DELIVERY_RETRY);
	ck_assert_msg(strstr(o.detail, "imed out"), "detail: %s", o.detail);
	ck_assert_uint_eq(receiver_count(r), 1);

	/* Nobody listening at all. */
	int port = r->port;
	receiver_stop(&r);
	w->fini(st);
	free(cfg);
	cfg = xasprintf("{\"endpoint\":\"http://127.0.0.1:%d/\"}", port);
	st = init_ok(w, e, cfg);
	o = deliver(w, st, e, n);
	ck_assert_int_eq(o.result, DELIVERY_RETRY);
	ck_assert(o.detail[0] != '\0');

	notification_free(&n);
	w->fini(st);
	free(cfg);
	free(url);
	env_free(e);
}
END_TEST

START_TEST(webhook_tls_verified_unless_skipped)
{
	struct env *e = env_new();
	ck_assert_msg(make_cert(e->dir), "openssl could not make a certificate");
	char *args = xasprintf("--tls-cert '%s/cert.pem' --tls-key '%s/key.pem'",
			       e->dir, e->dir);
	struct receiver *r = start_receiver(e, args);
	char *url = receiver_url(r, "https", "/secure");
	const struct notifier_ops *w = notifier_lookup("webhook");
	notification *n = make_note("A", NOTIFY_FIRING, 1);

	/* Self-signed: refused by default, nothing delivered. */
	char *cfg = xasprintf("{\"endpoint\":\"%s\"}", url);
	void *st = init_ok(w, e, cfg);
	struct outcome o = deliver(w, st, e, n);
	ck_assert_int_eq(o.result, DELIVERY_RETRY);
	ck_assert_msg(strstr(o.detail, "certificate") || strstr(o.detail, "SSL"),
		      "detail: %s", o.detail);
	ck_assert_uint_eq(receiver_count(r), 0);
	w->fini(st);
	free(cfg);

	cfg = xasprintf("{\"endpoint\":\"%s\",\"skip_tls_check\":true}", url);
	st = init_ok(w, e, cfg);
	o = deliver(w, st, e, n);
	ck_assert_int_eq(o.result, DELIVERY_OK);
	ck_assert_uint_eq(receiver_count(r), 1);

	w->fini(st);
	free(cfg);
	notification_free(&n);
	free(url);
	free(args);
	receiver_stop(&r);
	env_free(e);
}
END_TEST

/* ---- slack ---- */

static const char *slack_text_of(struct json_object *req)
{
	static char buf[4096];
	struct json_object *body = json_tokener_parse(request_str(req, "body"));
	ck_assert_ptr_nonnull(body);
	ck_assert_int_eq(json_object_object_length(body), 1);
	struct json_object *t;
	ck_assert(json_object_object_get_ex(body, "text", &t));
	snprintf(buf, sizeof(buf), "%s", json_object_get_string(t));
	json_object_put(body);
	return buf;
}

START_TEST(slack_posts_one_readable_message)
{
	struct env *e = env_new();
	struct receiver *r = start_receiver(e, "");
	char *url = receiver_url(r, "http", "/services/T0/B0/xyz");
	char *cfg = xasprintf("{\"endpoint\":\"%s\"}", url);
	const struct notifier_ops *s = notifier_lookup("slack");
	void *st = init_ok(s, e, cfg);

	notification *n = make_note("Shell <in> container & co", NOTIFY_FIRING, 2);
	notification *res = make_note("Shell <in> container & co", NOTIFY_RESOLVED, 3);
	res->severity = SEVERITY_WARNING;
	ck_assert_int_eq(deliver(s, st, e, n).result, DELIVERY_OK);
	ck_assert_int_eq(deliver(s, st, e, res).result, DELIVERY_OK);
	n->of = 0;
	n->count = 1;
	n->severity = SEVERITY_INFO;
	ck_assert_int_eq(deliver(s, st, e, n).result, DELIVERY_OK);

	struct json_object *reqs = receiver_requests(r);
	ck_assert_uint_eq(json_object_array_length(reqs), 3);
	struct json_object *q = json_object_array_get_idx(reqs, 0);
	ck_assert_str_eq(request_header(q, "Content-Type"), "application/json");
	ck_assert_str_eq(slack_text_of(q),
			 ":rotating_light: *Shell &lt;in&gt; container &amp; co* is firing: "
			 "/usr/bin/cat read /etc/passwd in default/dev-pod\n"
			 "severity: critical · node: node-1 · process_exec_process_pod_name=dev-pod"
			 " · 3 matches · notification 2 of 5");
	ck_assert_str_eq(slack_text_of(json_object_array_get_idx(reqs, 1)),
			 ":white_check_mark: *Shell &lt;in&gt; container &amp; co* is resolved: "
			 "/usr/bin/cat read /etc/passwd in default/dev-pod\n"
			 "severity: warning · node: node-1 · process_exec_process_pod_name=dev-pod");
	ck_assert_str_eq(slack_text_of(json_object_array_get_idx(reqs, 2)),
			 ":information_source: *Shell &lt;in&gt; container &amp; co* is firing: "
			 "/usr/bin/cat read /etc/passwd in default/dev-pod\n"
			 "severity: info · node: node-1 · process_exec_process_pod_name=dev-pod"
			 " · 1 match · notification 2");

	json_object_put(reqs);
	notification_free(&n);
	notification_free(&res);
	s->fini(st);
	free(cfg);
	free(url);
	receiver_stop(&r);
	env_free(e);
}
END_TEST

START_TEST(slack_config_errors)
{
	struct env *e = env_new();
	const struct notifier_ops *s = notifier_lookup("slack");
	ck_assert_str_eq(init_error(s, e, "{\"endpoint\":\"hooks.slack.com\"}"),
			 "slack: 'endpoint' must be an http:// or https:// URL");
	env_free(e);
}
END_TEST

/* ---- stdout ---- */

/* Runs a stdout notifier with stdout redirected to a file; returns it. */
static char *capture_stdout(struct env *e, const char *cfg,
			    notification **ns, size_t count)
{
	const struct notifier_ops *o = notifier_lookup("stdout");
	void *st = init_ok(o, e, cfg);
	char *path = xasprintf("%s/stdout.txt", e->dir);
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	for (size_t i = 0; i < count; i++) {
		struct outcome out = { 0 };
		o->send(st, ns[i], on_done, &out);
		/* Acknowledged at once, before send returns. */
		ck_assert_int_eq(out.calls, 1);
		ck_assert_int_eq(out.result, DELIVERY_OK);
	}
	dup2(saved, STDOUT_FILENO);
	close(saved);
	o->fini(st);
	char *text = slurp(path, NULL);
	free(path);
	return text;
}

START_TEST(stdout_compact_lines)
{
	struct env *e = env_new();
	notification *ns[2];
	ns[0] = make_note("Unauthorised access /etc/passwd", NOTIFY_FIRING, 2);
	ns[1] = make_note("Unauthorised access /etc/passwd", NOTIFY_RESOLVED, 3);
	ns[1]->of = 0;
	free(ns[1]->message);
	ns[1]->message = xstrdup("two\nlines");
	char *text = capture_stdout(e, "{\"format\":\"compact\"}", ns, 2);
	ck_assert_str_eq(text,
		"2024-05-01T10:00:00.002Z firing \"Unauthorised access /etc/passwd\" "
		"{process_exec_process_pod_name=dev-pod} count=3 2/5 "
		"/usr/bin/cat read /etc/passwd in default/dev-pod\n"
		"2024-05-01T10:00:00.003Z resolved \"Unauthorised access /etc/passwd\" "
		"{process_exec_process_pod_name=dev-pod} count=3 3/- two lines\n");
	free(text);
	/* compact is the default */
	text = capture_stdout(e, "{}", ns, 1);
	ck_assert_ptr_nonnull(strstr(text, " firing \"Unauthorised"));
	free(text);
	notification_free(&ns[0]);
	notification_free(&ns[1]);
	env_free(e);
}
END_TEST

START_TEST(stdout_json_lines)
{
	struct env *e = env_new();
	notification *ns[1] = { make_note("A", NOTIFY_FIRING, 1) };
	char *text = capture_stdout(e, "{\"format\":\"json\"}", ns, 1);
	char *doc = notification_document_text(ns[0]);
	char *want = xasprintf("%s\n", doc);
	ck_assert_str_eq(text, want);
	const struct notifier_ops *o = notifier_lookup("stdout");
	ck_assert_str_eq(init_error(o, e, "{\"format\":\"yaml\"}"),
			 "stdout: 'format' must be \"compact\" or \"json\"");
	free(want);
	free(doc);
	free(text);
	notification_free(&ns[0]);
	env_free(e);
}
END_TEST

/* ---- file ---- */

static size_t count_lines(const char *path)
{
	char *t = slurp(path, NULL);
	size_t n = 0;
	for (char *p = t; p && *p; p++)
		n += *p == '\n';
	free(t);
	return n;
}

static void file_send_ok(const struct notifier_ops *f, void *st,
			 const notification *n)
{
	struct outcome o = { 0 };
	f->send(st, n, on_done, &o);
	ck_assert_int_eq(o.calls, 1);
	ck_assert_msg(o.result == DELIVERY_OK, "file send: %s", o.detail);
}

START_TEST(file_appends_one_document_per_line)
{
	struct env *e = env_new();
	umask(022);
	char *path = xasprintf("%s/alerts.jsonl", e->dir);
	char *cfg = xasprintf("{\"path\":\"%s\"}", path);
	const struct notifier_ops *f = notifier_lookup("file");
	void *st = init_ok(f, e, cfg);
	notification *a = make_note("A", NOTIFY_FIRING, 1);
	notification *b = make_note("B", NOTIFY_RESOLVED, 2);
	file_send_ok(f, st, a);
	file_send_ok(f, st, b);
	char *da = notification_document_text(a), *db = notification_document_text(b);
	char *want = xasprintf("%s\n%s\n", da, db);
	char *got = slurp(path, NULL);
	ck_assert_str_eq(got, want);
	struct stat sb;
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0640);
	free(got);
	free(want);
	free(da);
	free(db);
	notification_free(&a);
	notification_free(&b);
	f->fini(st);
	free(cfg);
	free(path);
	env_free(e);
}
END_TEST

START_TEST(file_rotates_by_size_keeping_max_files)
{
	struct env *e = env_new();
	char *path = xasprintf("%s/alerts.jsonl", e->dir);
	/* 0.002 MiB = 2097 bytes: a few documents per file. */
	char *cfg = xasprintf("{\"path\":\"%s\",\"max_size_mb\":0.002,\"max_files\":2}", path);
	const struct notifier_ops *f = notifier_lookup("file");
	void *st = init_ok(f, e, cfg);
	enum { N = 40 };
	for (unsigned i = 1; i <= N; i++) {
		notification *n = make_note("Rotating", NOTIFY_FIRING, i);
		file_send_ok(f, st, n);
		notification_free(&n);
	}
	char *p1 = xasprintf("%s.1", path), *p2 = xasprintf("%s.2", path),
	     *p3 = xasprintf("%s.3", path);
	struct stat sb;
	ck_assert_int_eq(stat(p1, &sb), 0);
	ck_assert_int_le(sb.st_size, 2097);
	ck_assert_int_eq(stat(p2, &sb), 0);
	ck_assert_int_le(sb.st_size, 2097);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_le(sb.st_size, 2097);
	ck_assert_int_eq(stat(p3, &sb), -1);   /* the oldest was dropped */
	/* Newest in path, older in .1, oldest kept in .2; seq increases. */
	unsigned last = 0;
	const char *order[] = { p2, p1, path };
	size_t total = 0;
	for (int k = 0; k < 3; k++) {
		char *t = slurp(order[k], NULL);
		char *save = NULL;
		for (char *line = strtok_r(t, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			struct json_object *doc = json_tokener_parse(line), *nt, *seq;
			ck_assert_ptr_nonnull(doc);
			ck_assert(json_object_object_get_ex(doc, "notification", &nt));
			ck_assert(json_object_object_get_ex(nt, "seq", &seq));
			unsigned s = (unsigned)json_object_get_int(seq);
			ck_assert_uint_eq(s, last ? last + 1 : s);
			last = s;
			total++;
			json_object_put(doc);
		}
		free(t);
	}
	ck_assert_uint_eq(last, N);
	ck_assert_uint_lt(total, N);
	free(p1);
	free(p2);
	free(p3);
	f->fini(st);
	free(cfg);
	free(path);
	env_free(e);
}
END_TEST

START_TEST(file_reopen_follows_external_rotation)
{
	struct env *e = env_new();
	char *path = xasprintf("%s/alerts.jsonl", e->dir);
	char *moved = xasprintf("%s/alerts.jsonl.old", e->dir);
	char *cfg = xasprintf("{\"path\":\"%s\"}", path);
	const struct notifier_ops *f = notifier_lookup("file");
	ck_assert_ptr_nonnull(f->reopen);
	void *st = init_ok(f, e, cfg);
	notification *n = make_note("A", NOTIFY_FIRING, 1);
	file_send_ok(f, st, n);
	ck_assert_int_eq(rename(path, moved), 0);   /* logrotate's move */
	file_send_ok(f, st, n);                     /* still the old file */
	ck_assert_uint_eq(count_lines(moved), 2);
	f->reopen(st);                              /* SIGUSR1 */
	file_send_ok(f, st, n);
	ck_assert_uint_eq(count_lines(moved), 2);
	ck_assert_uint_eq(count_lines(path), 1);
	notification_free(&n);
	f->fini(st);
	free(cfg);
	free(moved);
	free(path);
	env_free(e);
}
END_TEST

START_TEST(file_config_errors_and_write_failures)
{
	struct env *e = env_new();
	const struct notifier_ops *f = notifier_lookup("file");
	ck_assert_str_eq(init_error(f, e, "{}"), "file: 'path' is required");
	ck_assert_str_eq(init_error(f, e, "{\"path\":\"/x\",\"max_files\":-1}"),
			 "file: 'max_files' must be a whole number from 0 to 1000");
	ck_assert_str_eq(init_error(f, e, "{\"path\":\"/x\",\"max_size_mb\":\"big\"}"),
			 "file: 'max_size_mb' must be a number");
	char *cfg = xasprintf("{\"path\":\"%s/no/such/dir/a.jsonl\"}", e->dir);
	ck_assert_ptr_nonnull(strstr(init_error(f, e, cfg), "cannot write to directory"));
	free(cfg);
	/* The directory goes away after init: the write is retried later. */
	char *sub = xasprintf("%s/sub", e->dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	cfg = xasprintf("{\"path\":\"%s/a.jsonl\"}", sub);
	void *st = init_ok(f, e, cfg);
	rmdir(sub);
	notification *n = make_note("A", NOTIFY_FIRING, 1);
	struct outcome o = { 0 };
	f->send(st, n, on_done, &o);
	ck_assert_int_eq(o.calls, 1);
	ck_assert_int_eq(o.result, DELIVERY_RETRY);
	ck_assert_ptr_nonnull(strstr(o.detail, "a.jsonl"));
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	file_send_ok(f, st, n);
	notification_free(&n);
	f->fini(st);
	free(cfg);
	free(sub);
	env_free(e);
}
END_TEST

/* ---- the HTTP client itself ---- */

struct hres {
	int calls;
	long status;
	char error[512];
};

static void on_http(void *ctx, long status, const char *error)
{
	struct hres *h = ctx;
	h->calls++;
	h->status = status;
	snprintf(h->error, sizeof(h->error), "%s", error ? error : "");
}

static bool hres_done(void *ctx)
{
	return ((struct hres *)ctx)->calls > 0;
}

START_TEST(http_copies_request_and_sends_basic_auth)
{
	struct env *e = env_new();
	struct receiver *r = start_receiver(e, "--status 201");
	char *url = receiver_url(r, "http", "/api/v2/alerts");
	char *body = xmalloc(5);
	memcpy(body, "a\0b\"c", 5);   /* binary, with a NUL */
	char *hdr = xstrdup("X-Trace: 42");
	const char *headers[] = { hdr };
	struct http_request req = {
		.url = url, .body = body, .body_len = 5, .headers = headers,
		.nheaders = 1, .username = "admin", .password = "pa:ss word",
	};
	struct hres h = { 0 };
	ck_assert_int_eq(http_post(e->http, &req, on_http, &h), 0);
	ck_assert_uint_eq(http_in_flight(e->http), 1);
	/* The request was copied: the caller's buffers may go now. */
	memset(body, 'X', 5);
	free(body);
	memset(hdr, 'X', strlen(hdr));
	free(hdr);
	free(url);
	ck_assert(run_until(e->l, hres_done, &h));
	ck_assert_int_eq(h.status, 201);
	ck_assert_uint_eq(http_in_flight(e->http), 0);

	struct json_object *reqs = receiver_requests(r);
	struct json_object *q = json_object_array_get_idx(reqs, 0);
	ck_assert_str_eq(request_str(q, "body_b64"), "YQBiImM=");
	ck_assert_str_eq(request_header(q, "X-Trace"), "42");
	/* base64("admin:pa:ss word") */
	ck_assert_str_eq(request_header(q, "Authorization"),
			 "Basic YWRtaW46cGE6c3Mgd29yZA==");
	ck_assert_ptr_nonnull(strstr(request_header(q, "User-Agent"), "bpfalert/"));
	json_object_put(reqs);
	receiver_stop(&r);
	env_free(e);
}
END_TEST

START_TEST(http_free_cancels_in_flight_requests)
{
	struct env *e = env_new();
	struct receiver *r = start_receiver(e, "--hang");
	char *url = receiver_url(r, "http", "/");
	struct http_request req = { .url = url, .body = "x", .body_len = 1 };
	struct hres h1 = { 0 }, h2 = { 0 };
	ck_assert_int_eq(http_post(e->http, &req, on_http, &h1), 0);
	ck_assert_int_eq(http_post(e->http, &req, on_http, &h2), 0);
	run_for(e->l, 100);
	ck_assert_int_eq(h1.calls + h2.calls, 0);
	http_client_free(&e->http);
	ck_assert_ptr_null(e->http);
	ck_assert_int_eq(h1.calls, 1);
	ck_assert_int_eq(h2.calls, 1);
	ck_assert_int_eq(h1.status, 0);
	ck_assert_str_eq(h1.error, "cancelled");
	/* Bad requests are refused up front. */
	http_client *c = http_client_new(e->l);
	struct http_request none = { 0 };
	ck_assert_int_eq(http_post(c, &none, on_http, &h1), -1);
	http_client_free(&c);
	free(url);
	receiver_stop(&r);
	env_free(e);
}
END_TEST

START_TEST(http_many_concurrent_requests)
{
	struct env *e = env_new();
	struct receiver *r = start_receiver(e, "");
	char *url = receiver_url(r, "http", "/");
	enum { N = 40 };
	struct hres h[N];
	memset(h, 0, sizeof(h));
	for (int i = 0; i < N; i++) {
		char body[32];
		snprintf(body, sizeof(body), "request %d", i);
		struct http_request req = { .url = url, .body = body,
					    .body_len = strlen(body) };
		ck_assert_int_eq(http_post(e->http, &req, on_http, &h[i]), 0);
	}
	for (int i = 0; i < N; i++)
		ck_assert(run_until(e->l, hres_done, &h[i]));
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(h[i].status, 200);
	ck_assert_uint_eq(receiver_count(r), N);
	free(url);
	receiver_stop(&r);
	env_free(e);
}
END_TEST

Suite *notifiers_suite(void)
{
	Suite *s = suite_create("notifiers");
	TCase *tc = tcase_create("local");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, registry_has_every_type_once);
	tcase_add_test(tc, http_result_mapping);
	tcase_add_test(tc, url_check);
	tcase_add_test(tc, webhook_config_errors);
	tcase_add_test(tc, slack_config_errors);
	tcase_add_test(tc, stdout_compact_lines);
	tcase_add_test(tc, stdout_json_lines);
	tcase_add_test(tc, file_appends_one_document_per_line);
	tcase_add_test(tc, file_rotates_by_size_keeping_max_files);
	tcase_add_test(tc, file_reopen_follows_external_rotation);
	tcase_add_test(tc, file_config_errors_and_write_failures);
	suite_add_tcase(s, tc);

	tc = tcase_create("http");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, webhook_json_body_and_headers_arrive_exactly);
	tcase_add_test(tc, webhook_text_format_is_parseable_byte_for_byte);
	tcase_add_test(tc, webhook_status_codes_map_to_results);
	tcase_add_test(tc, webhook_unreachable_and_hanging_endpoints_retry);
	tcase_add_test(tc, webhook_tls_verified_unless_skipped);
	tcase_add_test(tc, slack_posts_one_readable_message);
	tcase_add_test(tc, http_copies_request_and_sends_basic_auth);
	tcase_add_test(tc, http_free_cancels_in_flight_requests);
	tcase_add_test(tc, http_many_concurrent_requests);
	suite_add_tcase(s, tc);
	return s;
}
