/* The alertmanager notifier, against a real Prometheus Alertmanager.
 *
 * The fixtures start /usr/bin/prometheus-alertmanager (Debian package
 * prometheus-alertmanager) through tests/tools/start-alertmanager.sh on
 * 127.0.0.1 with a temporary configuration and storage: one plain, one
 * serving HTTPS with a self-signed certificate and basic auth.  They are
 * unchecked fixtures, run by the runner itself, so the server is stopped
 * even when a test fails.  Deliveries go through a real loop and HTTP
 * client; what Alertmanager made of them is read back from its own
 * GET /api/v2/alerts.  Status codes Alertmanager does not give on demand
 * (503, 429) come from a small server inside the test. */
#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http.h"
#include "loop.h"
#include "notification.h"
#include "notifier.h"
#include "notifiers.h"
#include "testutil.h"
#include "timefmt.h"
#include "xalloc.h"

#define AM_BIN "/usr/bin/prometheus-alertmanager"
#define AM_USER "alertuser"
#define AM_PASSWORD "s3cret"
/* `htpasswd -nbBC 5 alertuser s3cret` (apache2-utils), made once. */
#define AM_BCRYPT "$2y$05$uUUjKYkU5WoeDv.ozRtyNu02izL0frtmRwmdvPtu51xXN4qSI6v2u"

/* ---- servers ---- */

struct server {
	pid_t pid;
	char *url, *dir;
};

static struct server plain, secure;

/* The value of a "key=value" line of the start script's output. */
static char *output_value(const char *out, const char *key)
{
	size_t klen = strlen(key);
	for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, klen) && l[klen] == '=')
			return xasprintf("%.*s", (int)strcspn(l + klen + 1, "\n"),
					 l + klen + 1);
	return NULL;
}

/* The script leaves the server running in the background; as a child
 * subreaper the runner inherits it when the script exits, so teardown can
 * reap it with waitpid. */
static void server_start(struct server *s, const char *args)
{
	if (access(AM_BIN, X_OK) != 0)
		ck_abort_msg(AM_BIN " is missing: install the Debian package "
			     "prometheus-alertmanager");
	s->dir = make_temp_dir();
	char *cmd = xasprintf("sh '%s' -d '%s' %s",
			      src_path("tests/tools/start-alertmanager.sh"), s->dir, args);
	int status = -1;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	char *out = run_capture(cmd, &status);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	free(cmd);
	char *pid = out ? output_value(out, "pid") : NULL;
	s->url = out ? output_value(out, "url") : NULL;
	s->pid = pid ? atoi(pid) : 0;
	free(pid);
	if (status != 0 || s->pid <= 0 || !s->url)
		ck_abort_msg("start-alertmanager.sh failed (%d): %s", status,
			     out ? out : "");
	free(out);
}

static void server_stop(struct server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		int i = 0;
		while (i++ < 100 && waitpid(s->pid, NULL, WNOHANG) == 0)
			usleep(50 * 1000);
		if (i > 100) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
		}
	}
	if (s->dir)
		rm_rf(s->dir);
	free(s->dir);
	free(s->url);
	memset(s, 0, sizeof(*s));
}

static void plain_setup(void)
{
	server_start(&plain, "");
}

static void plain_teardown(void)
{
	server_stop(&plain);
}

static void secure_setup(void)
{
	server_start(&secure, "-t -a '" AM_USER ":" AM_BCRYPT "'");
}

static void secure_teardown(void)
{
	server_stop(&secure);
}

/* ---- reading alerts back ---- */

static size_t collect(char *data, size_t size, size_t nmemb, void *userp)
{
	fwrite(data, size, nmemb, userp);
	return nmemb;
}

/* GET /api/v2/alerts (active alerts only: Alertmanager leaves out those
 * whose endsAt has passed). */
static struct json_object *get_alerts(const struct server *s)
{
	char *body = NULL, *url = xasprintf("%s/api/v2/alerts", s->url);
	size_t len = 0;
	long code = 0;
	FILE *f = open_memstream(&body, &len);
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	if (s == &secure)
		curl_easy_setopt(c, CURLOPT_USERPWD, AM_USER ":" AM_PASSWORD);
	CURLcode rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	fclose(f);
	free(url);
	ck_assert_msg(rc == CURLE_OK && code == 200, "GET /api/v2/alerts: %s, HTTP %ld",
		      curl_easy_strerror(rc), code);
	struct json_object *alerts = json_tokener_parse(body);
	ck_assert_msg(json_object_is_type(alerts, json_type_array), "not an array: %s", body);
	free(body);
	return alerts;
}

static const char *str_at(struct json_object *o, const char *k1, const char *k2)
{
	struct json_object *v = o;
	if (!json_object_object_get_ex(v, k1, &v) ||
	    (k2 && !json_object_object_get_ex(v, k2, &v)))
		return NULL;
	return json_object_get_string(v);
}

/* The active alert with these alertname and (optionally) label value. */
static struct json_object *find_alert(struct json_object *alerts, const char *name,
				      const char *label, const char *want)
{
	for (size_t i = 0; i < json_object_array_length(alerts); i++) {
		struct json_object *a = json_object_array_get_idx(alerts, i);
		const char *an = str_at(a, "labels", "alertname");
		const char *lv = label ? str_at(a, "labels", label) : NULL;
		if (an && !strcmp(an, name) && (!label || (lv && !strcmp(lv, want))))
			return a;
	}
	return NULL;
}

static void assert_label(struct json_object *alert, const char *label,
			 const char *want)
{
	const char *got = str_at(alert, "labels", label);
	ck_assert_msg(got && !strcmp(got, want), "label %s: got '%s', want '%s' in %s",
		      label, got ? got : "(none)", want,
		      json_object_to_json_string(alert));
}

static int64_t time_ms_at(struct json_object *alert, const char *key)
{
	const char *t = str_at(alert, key, NULL);
	int64_t ns;
	ck_assert_msg(t && timefmt_parse(t, strlen(t), &ns) == 0, "%s: '%s'", key,
		      t ? t : "(none)");
	return ns / 1000000;
}

/* ---- delivering ---- */

struct rig {
	loop *loop;
	http_client *http;
	void *state;
};

static int rig_init(struct rig *r, const char *cfg_json, char *err, size_t errlen)
{
	struct json_object *cfg = json_tokener_parse(cfg_json);
	ck_assert_msg(cfg != NULL, "bad test JSON: %s", cfg_json);
	r->loop = loop_new();
	r->http = http_client_new(r->loop);
	struct notifier_env env = { .loop = r->loop, .http = r->http,
				    .node_name = "env-node", .target_name = "am" };
	int rc = notifier_alertmanager.init(cfg, &env, &r->state, err, errlen);
	json_object_put(cfg);
	return rc;
}

static void rig_open(struct rig *r, const char *cfg_json)
{
	char err[256] = "";
	ck_assert_msg(rig_init(r, cfg_json, err, sizeof(err)) == 0, "init: %s", err);
}

static void rig_close(struct rig *r)
{
	if (r->state)
		notifier_alertmanager.fini(r->state);
	http_client_free(&r->http);
	loop_free(&r->loop);
}

static struct outcome deliver(struct rig *r, const notification *n)
{
	struct outcome o = { 0 };
	notifier_alertmanager.send(r->state, n, on_done, &o);
	int64_t end = loop_now() + 20000;
	while (o.calls == 0 && loop_now() < end)
		loop_run_once(r->loop, 100);
	ck_assert_msg(o.calls == 1, "done called %d times", o.calls);
	return o;
}

static char *endpoint_cfg(const struct server *s, const char *extra)
{
	return xasprintf("{\"type\":\"alertmanager\",\"endpoint\":\"%s\"%s}", s->url,
			 extra ? extra : "");
}

/* A firing notification of `alert`, grouped by key/value pairs. */
static notification *make_note(const char *alert, const char *const *group)
{
	notification *n = notification_new();
	int64_t now = loop_wall_ms();
	n->alert = xstrdup(alert);
	n->status = NOTIFY_FIRING;
	n->kind = NOTIFY_KIND_FIRST;
	n->severity = SEVERITY_CRITICAL;
	n->message = xstrdup("/usr/bin/cat read /etc/passwd in default/dev-pod");
	n->rule = xstrdup("process_exec_process_arguments =% \"/etc/passwd\"");
	n->reason = xstrdup("matched rule process_exec_process_arguments =% \"/etc/passwd\"");
	n->count = 1;
	n->seq = 1;
	n->time_ms = now;
	n->starts_at_ms = now - 60000;
	n->node = xstrdup("node-1");
	n->source = xstrdup("tetragon");
	n->target = xstrdup("am");
	while (group && group[2 * n->ngroup])
		n->ngroup++;
	n->group_keys = xcalloc(n->ngroup + 1, sizeof(char *));
	n->group_values = xcalloc(n->ngroup + 1, sizeof(char *));
	for (size_t i = 0; i < n->ngroup; i++) {
		n->group_keys[i] = xstrdup(group[2 * i]);
		n->group_values[i] = xstrdup(group[2 * i + 1]);
	}
	return n;
}

static void resolve(notification *n, int64_t ends_at_ms)
{
	n->status = NOTIFY_RESOLVED;
	n->kind = NOTIFY_KIND_RESOLVED;
	n->ends_at_ms = ends_at_ms;
	n->time_ms = ends_at_ms;
}

static void set_str(char **field, const char *v)
{
	free(*field);
	*field = v ? xstrdup(v) : NULL;
}

/* ---- against Alertmanager ---- */

START_TEST(firing_then_resolved)
{
	static const char *const dev[] = { "process_exec_process_pod_name", "dev-pod",
					   "app.kubernetes.io/name", "web", NULL };
	static const char *const prod[] = { "process_exec_process_pod_name", "prod-pod",
					    "app.kubernetes.io/name", "web", NULL };
	const char *name = "Unauthorised access /etc/passwd";
	struct rig r = { 0 };
	char *cfg = endpoint_cfg(&plain, NULL);
	rig_open(&r, cfg);
	notification *a = make_note(name, dev), *b = make_note(name, prod);

	struct outcome o = deliver(&r, a);
	ck_assert_msg(o.result == DELIVERY_OK, "firing: %d %s", o.result, o.detail);
	o = deliver(&r, b);
	ck_assert_msg(o.result == DELIVERY_OK, "second firing: %d %s", o.result, o.detail);

	struct json_object *alerts = get_alerts(&plain);
	struct json_object *got = find_alert(alerts, name, "process_exec_process_pod_name",
					     "dev-pod");
	ck_assert_msg(got, "not in Alertmanager: %s", json_object_to_json_string(alerts));
	assert_label(got, "severity", "critical");
	assert_label(got, "node", "node-1");
	assert_label(got, "app_kubernetes_io_name", "web");
	ck_assert_ptr_null(str_at(got, "labels", "stream"));
	ck_assert_str_eq(str_at(got, "annotations", "message"), a->message);
	ck_assert_str_eq(str_at(got, "annotations", "reason"), a->reason);
	ck_assert_str_eq(str_at(got, "status", "state"), "active");
	ck_assert_int_eq(time_ms_at(got, "startsAt"), a->starts_at_ms);
	/* No endsAt sent: Alertmanager gives it its resolve timeout. */
	ck_assert_int_gt(time_ms_at(got, "endsAt"), loop_wall_ms());
	ck_assert_ptr_nonnull(find_alert(alerts, name, "process_exec_process_pod_name",
					 "prod-pod"));
	json_object_put(alerts);

	/* Resolving one instance ends exactly that alert (same label set). */
	resolve(a, loop_wall_ms() - 1000);
	o = deliver(&r, a);
	ck_assert_msg(o.result == DELIVERY_OK, "resolved: %d %s", o.result, o.detail);
	alerts = get_alerts(&plain);
	ck_assert_msg(!find_alert(alerts, name, "process_exec_process_pod_name", "dev-pod"),
		      "still active: %s", json_object_to_json_string(alerts));
	ck_assert_ptr_nonnull(find_alert(alerts, name, "process_exec_process_pod_name",
					 "prod-pod"));
	json_object_put(alerts);

	notification_free(&a);
	notification_free(&b);
	rig_close(&r);
	free(cfg);
}
END_TEST

START_TEST(parseable_labels_reach_alertmanager)
{
	struct rig r = { 0 };
	char *cfg = endpoint_cfg(&plain, ",\"timeout\":\"5s\"");
	rig_open(&r, cfg);

	notification *c = make_note("Parseable composite", NULL);
	c->parseable = true;
	set_str(&c->stream, "tetrademo");
	set_str(&c->reason, "matched rule (process_exec_process_binary = \"/usr/bin/cat\" "
		"and process_exec_process_arguments =% \"/etc/passwd\")");
	notification *col = make_note("Parseable column", NULL);
	col->parseable = true;
	col->severity = SEVERITY_WARNING;
	set_str(&col->stream, "tetrademo");
	set_str(&col->reason, "process_exec_process_uid column was greater than 500, 3 times");

	ck_assert_int_eq(deliver(&r, c).result, DELIVERY_OK);
	ck_assert_int_eq(deliver(&r, col).result, DELIVERY_OK);

	struct json_object *alerts = get_alerts(&plain);
	struct json_object *got = find_alert(alerts, "Parseable composite", NULL, NULL);
	ck_assert_msg(got, "missing: %s", json_object_to_json_string(alerts));
	assert_label(got, "stream", "tetrademo");
	assert_label(got, "rule_type", "composite");
	assert_label(got, "rule_config", "(process_exec_process_binary = \"/usr/bin/cat\" "
		     "and process_exec_process_arguments =% \"/etc/passwd\")");
	got = find_alert(alerts, "Parseable column", NULL, NULL);
	ck_assert_msg(got, "missing: %s", json_object_to_json_string(alerts));
	assert_label(got, "severity", "warning");
	assert_label(got, "stream", "tetrademo");
	assert_label(got, "rule_type", "column");
	assert_label(got, "rule_config_column", "process_exec_process_uid");
	assert_label(got, "rule_config_operator", "greaterThan");
	assert_label(got, "rule_config_value", "500");
	assert_label(got, "rule_config_repeats", "3");
	json_object_put(alerts);

	/* Parseable's resolved alert carries its resolved text as reason. */
	resolve(col, loop_wall_ms() - 1000);
	ck_assert_int_eq(deliver(&r, col).result, DELIVERY_OK);
	alerts = get_alerts(&plain);
	ck_assert_ptr_null(find_alert(alerts, "Parseable column", NULL, NULL));
	ck_assert_ptr_nonnull(find_alert(alerts, "Parseable composite", NULL, NULL));
	json_object_put(alerts);

	notification_free(&c);
	notification_free(&col);
	rig_close(&r);
	free(cfg);
}
END_TEST

START_TEST(rejected_requests_fail)
{
	struct rig r = { 0 };
	char *cfg = endpoint_cfg(&plain, NULL);
	rig_open(&r, cfg);
	/* Ending before it started: Alertmanager answers 400. */
	notification *n = make_note("Bad times", NULL);
	resolve(n, n->starts_at_ms - 5000);
	struct outcome o = deliver(&r, n);
	ck_assert_msg(o.result == DELIVERY_FAIL, "%d %s", o.result, o.detail);
	ck_assert_msg(strstr(o.detail, "400"), "detail: %s", o.detail);
	rig_close(&r);
	free(cfg);

	/* A base URL with a path Alertmanager does not serve: 404. */
	cfg = xasprintf("{\"endpoint\":\"%s/no/such/prefix/\"}", plain.url);
	rig_open(&r, cfg);
	resolve(n, loop_wall_ms());
	o = deliver(&r, n);
	ck_assert_msg(o.result == DELIVERY_FAIL, "%d %s", o.result, o.detail);
	ck_assert_msg(strstr(o.detail, "404"), "detail: %s", o.detail);
	notification_free(&n);
	rig_close(&r);
	free(cfg);
}
END_TEST

START_TEST(unreachable_retries)
{
	/* A bound socket that never listens: connections are refused. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	ck_assert(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	ck_assert(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	char *cfg = xasprintf("{\"endpoint\":\"http://127.0.0.1:%d\"}", ntohs(a.sin_port));
	struct rig r = { 0 };
	rig_open(&r, cfg);
	notification *n = make_note("Nobody home", NULL);
	struct outcome o = deliver(&r, n);
	ck_assert_msg(o.result == DELIVERY_RETRY, "%d %s", o.result, o.detail);
	notification_free(&n);
	rig_close(&r);
	free(cfg);
	close(fd);
}
END_TEST

/* ---- HTTPS and basic auth ---- */

START_TEST(tls_verified_by_default)
{
	struct rig r = { 0 };
	char *cfg = endpoint_cfg(&secure, ",\"username\":\"" AM_USER "\",\"password\":\""
				 AM_PASSWORD "\"");
	rig_open(&r, cfg);
	notification *n = make_note("Self-signed", NULL);
	struct outcome o = deliver(&r, n);
	ck_assert_msg(o.result == DELIVERY_RETRY, "%d %s", o.result, o.detail);
	ck_assert_ptr_null(strstr(o.detail, AM_PASSWORD));
	notification_free(&n);
	rig_close(&r);
	free(cfg);
}
END_TEST

START_TEST(basic_auth_accepted)
{
	struct rig r = { 0 };
	char *cfg = endpoint_cfg(&secure, ",\"skip_tls_check\":true,\"username\":\""
				 AM_USER "\",\"password\":\"" AM_PASSWORD "\"");
	rig_open(&r, cfg);
	notification *n = make_note("Behind basic auth", NULL);
	n->severity = SEVERITY_INFO;
	struct outcome o = deliver(&r, n);
	ck_assert_msg(o.result == DELIVERY_OK, "%d %s", o.result, o.detail);
	struct json_object *alerts = get_alerts(&secure);
	struct json_object *got = find_alert(alerts, "Behind basic auth", NULL, NULL);
	ck_assert_msg(got, "missing: %s", json_object_to_json_string(alerts));
	assert_label(got, "severity", "info");
	json_object_put(alerts);
	notification_free(&n);
	rig_close(&r);
	free(cfg);
}
END_TEST

START_TEST(basic_auth_refused_fails)
{
	struct rig r = { 0 };
	char *cfg = endpoint_cfg(&secure, ",\"skip_tls_check\":true,\"username\":\""
				 AM_USER "\",\"password\":\"wrong-password\"");
	rig_open(&r, cfg);
	notification *n = make_note("Wrong password", NULL);
	struct outcome o = deliver(&r, n);
	ck_assert_msg(o.result == DELIVERY_FAIL, "%d %s", o.result, o.detail);
	ck_assert_msg(strstr(o.detail, "401"), "detail: %s", o.detail);
	ck_assert_ptr_null(strstr(o.detail, "wrong-password"));
	notification_free(&n);
	rig_close(&r);
	free(cfg);
}
END_TEST

/* ---- status codes, from a server of our own ---- */

/* A child answers `n` requests, one per connection, with statuses[i], and
 * appends each request it read to `log`.  alarm() ends it should the test
 * die before sending them all. */
static pid_t status_server(const int *statuses, size_t n, const char *log, int *port)
{
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	ck_assert(bind(lfd, (struct sockaddr *)&a, sizeof(a)) == 0);
	ck_assert(listen(lfd, 8) == 0);
	ck_assert(getsockname(lfd, (struct sockaddr *)&a, &len) == 0);
	*port = ntohs(a.sin_port);
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid > 0) {
		close(lfd);
		return pid;
	}
	alarm(30);
	FILE *out = fopen(log, "w");
	for (size_t i = 0; out && i < n; i++) {
		int c = accept(lfd, NULL, NULL);
		char buf[8192];
		size_t got = 0;
		ssize_t r;
		char *hdr_end = NULL;
		while (got < sizeof(buf) - 1 &&
		       (r = read(c, buf + got, sizeof(buf) - 1 - got)) > 0) {
			got += (size_t)r;
			buf[got] = '\0';
			hdr_end = strstr(buf, "\r\n\r\n");
			const char *cl = strcasestr(buf, "Content-Length:");
			if (hdr_end && cl && got >= (size_t)(hdr_end + 4 - buf) +
						     strtoul(cl + 15, NULL, 10))
				break;
		}
		fprintf(out, "%s\n----\n", buf);
		fflush(out);
		dprintf(c, "HTTP/1.1 %d Status\r\nContent-Length: 0\r\n"
			"Connection: close\r\n\r\n", statuses[i]);
		close(c);
	}
	_exit(0);
}

START_TEST(status_codes_map_to_results)
{
	static const int statuses[] = { 503, 429, 400, 200 };
	static const enum delivery_result want[] = { DELIVERY_RETRY, DELIVERY_RETRY,
						     DELIVERY_FAIL, DELIVERY_OK };
	char *dir = make_temp_dir(), *log = xasprintf("%s/requests", dir);
	int port;
	pid_t pid = status_server(statuses, 4, log, &port);
	char *cfg = xasprintf("{\"endpoint\":\"http://127.0.0.1:%d/\",\"username\":\""
			      AM_USER "\",\"password\":\"" AM_PASSWORD "\"}", port);
	struct rig r = { 0 };
	rig_open(&r, cfg);
	notification *n = make_note("Status codes", NULL);
	for (int i = 0; i < 4; i++) {
		struct outcome o = deliver(&r, n);
		ck_assert_msg(o.result == want[i], "HTTP %d gave %d (%s)", statuses[i],
			      o.result, o.detail);
	}
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	char *reqs = slurp(log, NULL);
	ck_assert_ptr_nonnull(reqs);
	ck_assert_msg(strstr(reqs, "POST /api/v2/alerts HTTP/1.1\r\n"), "%s", reqs);
	ck_assert_msg(strcasestr(reqs, "\r\nContent-Type: application/json\r\n"), "%s", reqs);
	/* base64("alertuser:s3cret") */
	ck_assert_msg(strstr(reqs, "\r\nAuthorization: Basic YWxlcnR1c2VyOnMzY3JldA==\r\n"),
		      "%s", reqs);
	ck_assert_msg(strstr(reqs, "[{\"labels\":{\"alertname\":\"Status codes\""), "%s", reqs);
	free(reqs);
	notification_free(&n);
	rig_close(&r);
	free(cfg);
	rm_rf(dir);
	free(dir);
	free(log);
}
END_TEST

/* ---- the document ---- */

static struct json_object *render_one(struct rig *r, const notification *n)
{
	char *text = notifier_alertmanager.render(r->state, n);
	struct json_object *arr = json_tokener_parse(text);
	ck_assert_msg(json_object_is_type(arr, json_type_array) &&
		      json_object_array_length(arr) == 1, "%s", text);
	free(text);
	struct json_object *a = json_object_get(json_object_array_get_idx(arr, 0));
	json_object_put(arr);
	return a;
}

START_TEST(render_document)
{
	static const char *const group[] = {
		"app.kubernetes.io/name", "web", "1st-field", "x",
		"node", "from-group", "bad_utf8", "a\xff" "b", NULL,
	};
	struct rig r = { 0 };
	rig_open(&r, "{\"endpoint\":\"https://am.example:9093\",\"username\":\"u\","
		     "\"password\":\"hunter2\"}");
	notification *n = make_note("Render me", group);
	n->starts_at_ms = 1700000000123;
	n->severity = SEVERITY_WARNING;
	set_str(&n->node, NULL);

	char *text = notifier_alertmanager.render(r.state, n);
	ck_assert_ptr_null(strstr(text, "hunter2"));
	free(text);
	struct json_object *a = render_one(&r, n);
	assert_label(a, "alertname", "Render me");
	assert_label(a, "severity", "warning");
	assert_label(a, "node", "env-node");      /* the notification names none */
	assert_label(a, "app_kubernetes_io_name", "web");
	assert_label(a, "_1st_field", "x");
	assert_label(a, "group_node", "from-group");
	assert_label(a, "bad_utf8", "a\xEF\xBF\xBD" "b");
	ck_assert_str_eq(str_at(a, "annotations", "message"), n->message);
	ck_assert_str_eq(str_at(a, "annotations", "reason"), n->reason);
	ck_assert_str_eq(str_at(a, "startsAt", NULL), "2023-11-14T22:13:20.123Z");
	ck_assert(!json_object_object_get_ex(a, "endsAt", NULL));
	json_object_put(a);

	resolve(n, 1700000600000);
	a = render_one(&r, n);
	ck_assert_str_eq(str_at(a, "startsAt", NULL), "2023-11-14T22:13:20.123Z");
	ck_assert_str_eq(str_at(a, "endsAt", NULL), "2023-11-14T22:23:20.000Z");
	ck_assert_str_eq(str_at(a, "annotations", "reason"), n->reason);
	json_object_put(a);
	notification_free(&n);
	rig_close(&r);
}
END_TEST

START_TEST(render_parseable_rules)
{
	static const struct {
		const char *reason, *column, *op, *value, *repeats;
	} cases[] = {
		{ "process_exec_process_uid column was greater than or equal to 1000, 1 times",
		  "process_exec_process_uid", "greaterThanEquals", "1000", "1" },
		{ "process_exit_status column was  not equal to 0, 2 times",
		  "process_exit_status", "notEqualTo", "0", "2" },
		{ "process_exec_process_arguments column contains /etc, 1 times",
		  "process_exec_process_arguments", "contains", "/etc", "1" },
		{ "process_exec_process_binary column does not contain a, b, 12 times",
		  "process_exec_process_binary", "notContains", "a, b", "12" },
		{ "process_exec_process_binary column matches regex ^/usr/s?bin/, 4 times",
		  "process_exec_process_binary", "regex", "^/usr/s?bin/", "4" },
	};
	struct rig r = { 0 };
	rig_open(&r, "{\"endpoint\":\"http://am.example\"}");
	notification *n = make_note("Parseable", NULL);
	n->parseable = true;
	set_str(&n->stream, "tetrademo");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		set_str(&n->reason, cases[i].reason);
		struct json_object *a = render_one(&r, n);
		assert_label(a, "stream", "tetrademo");
		assert_label(a, "rule_type", "column");
		assert_label(a, "rule_config_column", cases[i].column);
		assert_label(a, "rule_config_operator", cases[i].op);
		assert_label(a, "rule_config_value", cases[i].value);
		assert_label(a, "rule_config_repeats", cases[i].repeats);
		ck_assert_str_eq(str_at(a, "annotations", "reason"), cases[i].reason);
		json_object_put(a);
	}
	/* A resolved Parseable alert's reason is Parseable's resolved text. */
	resolve(n, loop_wall_ms());
	struct json_object *a = render_one(&r, n);
	ck_assert_str_eq(str_at(a, "annotations", "reason"),
			 "Parseable on tetrademo is now resolved ");
	json_object_put(a);
	notification_free(&n);
	rig_close(&r);
}
END_TEST

START_TEST(config_errors)
{
	static const struct {
		const char *cfg, *err;
	} cases[] = {
		{ "{}", "'endpoint' is required" },
		{ "{\"endpoint\":42}", "'endpoint' must be a string" },
		{ "{\"endpoint\":\"ftp://am\"}", "http:// or https://" },
		{ "{\"endpoint\":\"http://am\",\"timeout\":\"soon\"}", "'timeout'" },
		{ "{\"endpoint\":\"http://am\",\"password\":\"p\"}", "'password' needs 'username'" },
		{ "{\"endpoint\":\"http://am\",\"skip_tls_check\":\"yes\"}", "'skip_tls_check'" },
		{ "[1]", "must be an object" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rig r = { 0 };
		char err[256] = "";
		ck_assert_msg(rig_init(&r, cases[i].cfg, err, sizeof(err)) < 0, "%s accepted",
			      cases[i].cfg);
		ck_assert_msg(strstr(err, cases[i].err) && !strncmp(err, "alertmanager: ", 14),
			      "%s: error '%s'", cases[i].cfg, err);
		r.state = NULL;
		rig_close(&r);
	}
}
END_TEST

Suite *alertmanager_suite(void)
{
	Suite *s = suite_create("alertmanager");
	TCase *tc = tcase_create("document");
	tcase_add_test(tc, render_document);
	tcase_add_test(tc, render_parseable_rules);
	tcase_add_test(tc, config_errors);
	tcase_add_test(tc, status_codes_map_to_results);
	tcase_add_test(tc, unreachable_retries);
	suite_add_tcase(s, tc);

	tc = tcase_create("server");
	tcase_add_unchecked_fixture(tc, plain_setup, plain_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, firing_then_resolved);
	tcase_add_test(tc, parseable_labels_reach_alertmanager);
	tcase_add_test(tc, rejected_requests_fail);
	suite_add_tcase(s, tc);

	tc = tcase_create("https");
	tcase_add_unchecked_fixture(tc, secure_setup, secure_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, tls_verified_by_default);
	tcase_add_test(tc, basic_auth_accepted);
	tcase_add_test(tc, basic_auth_refused_fails);
	suite_add_tcase(s, tc);
	return s;
}
