/* The syslog notifier, against a real rsyslogd.
 *
 * The fixture starts /usr/sbin/rsyslogd (Debian package rsyslog) through
 * tests/tools/start-rsyslog.sh: in the foreground of a background job,
 * listening on 127.0.0.1 UDP and TCP only, with its own configuration, work
 * directory and pid file in a temporary directory.  It writes each message
 * twice: raw (as received, TCP framing removed) and as its RFC 5424 parser
 * read it, so a test sees both the exact bytes and what a syslog server
 * makes of them.  It is an unchecked fixture, run by the runner itself, so
 * rsyslogd is stopped even when a test fails.
 *
 * Local syslog(3) is checked in a private mount namespace whose /dev/log
 * is a socket of the test's own (needs root, as the tests run in CI). */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "loop.h"
#include "notification.h"
#include "notifier.h"
#include "notifiers.h"
#include "testutil.h"
#include "xalloc.h"

#define RSYSLOGD "/usr/sbin/rsyslogd"

/* ---- rsyslogd ---- */

static struct {
	pid_t pid;
	int udp_port, tcp_port;
	char *dir;
} rs;

static int output_int(const char *out, const char *key)
{
	size_t klen = strlen(key);
	for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, klen) && l[klen] == '=')
			return atoi(l + klen + 1);
	return 0;
}

/* As a child subreaper the runner inherits rsyslogd when the script
 * exits, so teardown can reap it. */
static void rsyslog_setup(void)
{
	if (access(RSYSLOGD, X_OK) != 0)
		ck_abort_msg(RSYSLOGD " is missing: install the Debian package rsyslog");
	rs.dir = make_temp_dir();
	char *cmd = xasprintf("sh '%s' -d '%s'", src_path("tests/tools/start-rsyslog.sh"),
			      rs.dir);
	int status = -1;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	char *out = run_capture(cmd, &status);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	free(cmd);
	rs.pid = out ? output_int(out, "pid") : 0;
	rs.udp_port = out ? output_int(out, "udp_port") : 0;
	rs.tcp_port = out ? output_int(out, "tcp_port") : 0;
	if (status != 0 || rs.pid <= 0 || !rs.udp_port || !rs.tcp_port)
		ck_abort_msg("start-rsyslog.sh failed (%d): %s", status, out ? out : "");
	free(out);
}

static void rsyslog_teardown(void)
{
	if (rs.pid > 0) {
		kill(rs.pid, SIGTERM);
		int i = 0;
		while (i++ < 100 && waitpid(rs.pid, NULL, WNOHANG) == 0)
			usleep(50 * 1000);
		if (i > 100) {
			kill(rs.pid, SIGKILL);
			waitpid(rs.pid, NULL, 0);
		}
	}
	if (rs.dir)
		rm_rf(rs.dir);
	free(rs.dir);
	memset(&rs, 0, sizeof(rs));
}

/* The line of DIR/name containing `marker`, waiting up to 10 s for
 * rsyslogd to write it.  Caller frees. */
static char *wait_line(const char *name, const char *marker)
{
	char *path = xasprintf("%s/%s", rs.dir, name);
	char *line = NULL;
	for (int i = 0; i < 200 && !line; i++) {
		char *text = slurp(path, NULL);
		char *hit = text ? strstr(text, marker) : NULL;
		if (hit) {
			char *start = hit;
			while (start > text && start[-1] != '\n')
				start--;
			line = xasprintf("%.*s", (int)strcspn(start, "\n"), start);
		}
		free(text);
		if (!line)
			usleep(50 * 1000);
	}
	ck_assert_msg(line, "'%s' never reached %s", marker, path);
	free(path);
	return line;
}

/* ---- the notifier ---- */

struct rig {
	loop *loop;
	void *state;
};

static int rig_init(struct rig *r, const char *cfg_json, const char *node,
		    char *err, size_t errlen)
{
	struct json_object *cfg = json_tokener_parse(cfg_json);
	ck_assert_msg(cfg != NULL, "bad test JSON: %s", cfg_json);
	r->loop = loop_new();
	struct notifier_env env = { .loop = r->loop, .node_name = node,
				    .target_name = "log" };
	int rc = notifier_syslog.init(cfg, &env, &r->state, err, errlen);
	json_object_put(cfg);
	return rc;
}

static void rig_open(struct rig *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void rig_open(struct rig *r, const char *fmt, ...)
{
	va_list ap;
	char *cfg;
	va_start(ap, fmt);
	ck_assert(vasprintf(&cfg, fmt, ap) >= 0);
	va_end(ap);
	char err[256] = "";
	ck_assert_msg(rig_init(r, cfg, "env-node", err, sizeof(err)) == 0, "init %s: %s",
		      cfg, err);
	free(cfg);
}

static void rig_close(struct rig *r)
{
	if (r->state)
		notifier_syslog.fini(r->state);
	r->state = NULL;
	loop_free(&r->loop);
}

static void run_until(struct rig *r, const int *flag, int ms)
{
	int64_t end = loop_now() + ms;
	while ((!flag || *flag == 0) && loop_now() < end)
		loop_run_once(r->loop, 20);
}

static struct outcome deliver(struct rig *r, const notification *n)
{
	struct outcome o = { 0 };
	notifier_syslog.send(r->state, n, on_done, &o);
	run_until(r, &o.calls, 15000);
	ck_assert_msg(o.calls == 1, "done called %d times", o.calls);
	return o;
}

static notification *make_note(const char *alert, enum severity sev,
			       const char *message)
{
	notification *n = notification_new();
	n->alert = xstrdup(alert);
	n->status = NOTIFY_FIRING;
	n->kind = NOTIFY_KIND_FIRST;
	n->severity = sev;
	n->message = xstrdup(message);
	n->rule = xstrdup("process_exec_process_arguments =% \"/etc/passwd\"");
	n->reason = xstrdup("matched rule process_exec_process_arguments =% \"/etc/passwd\"");
	n->count = 1;
	n->seq = 1;
	n->time_ms = 1700000000123;
	n->starts_at_ms = n->time_ms;
	n->node = xstrdup("node-1");
	n->source = xstrdup("tetragon");
	n->target = xstrdup("log");
	return n;
}

static char *render(struct rig *r, const notification *n)
{
	return notifier_syslog.render(r->state, n);
}

/* ---- rendering ---- */

START_TEST(render_rfc5424)
{
	struct rig r = { 0 };
	rig_open(&r, "{\"server\":\"udp://127.0.0.1:514\",\"facility\":\"local3\","
		     "\"ident\":\"bpfalert-test\"}");
	notification *n = make_note("a\"b]c\\d", SEVERITY_CRITICAL, "line1\nline2\t\xff!");
	n->count = 3;
	char *line = render(&r, n);
	ck_assert_str_eq(line,
		"<154>1 2023-11-14T22:13:20.123Z node-1 bpfalert-test - firing "
		"[bpfalert@32473 alert=\"a\\\"b\\]c\\\\d\" status=\"firing\" "
		"severity=\"critical\" count=\"3\"] "
		"a\"b]c\\d [critical] firing: line1 line2 \xEF\xBF\xBD! (3 matches)");
	free(line);

	static const struct {
		enum severity sev;
		bool resolved;
		const char *head;
	} cases[] = {
		{ SEVERITY_WARNING, false, "<156>1 " },   /* local3 (19) * 8 + warning (4) */
		{ SEVERITY_INFO, false, "<158>1 " },      /* + info (6) */
		{ SEVERITY_CRITICAL, true, "<157>1 " },   /* resolved: notice (5) */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n->severity = cases[i].sev;
		if (cases[i].resolved)
			n->status = NOTIFY_RESOLVED;
		line = render(&r, n);
		ck_assert_msg(!strncmp(line, cases[i].head, strlen(cases[i].head)), "%s", line);
		ck_assert_msg(strstr(line, cases[i].resolved ? " - resolved [" : " - firing ["),
			      "%s", line);
		free(line);
	}
	/* No node in the notification: the environment's; no PROCID ever. */
	free(n->node);
	n->node = NULL;
	line = render(&r, n);
	ck_assert_msg(strstr(line, ".123Z env-node bpfalert-test - resolved "), "%s", line);
	ck_assert_msg(strstr(line, "] a\"b]c\\d [critical] resolved: line1"), "%s", line);
	free(line);
	notification_free(&n);
	rig_close(&r);
}
END_TEST

START_TEST(render_header_fields)
{
	struct rig r = { 0 };
	char err[256] = "";
	/* Default facility daemon (3); an ident and node with spaces. */
	ck_assert(rig_init(&r, "{\"server\":\"tcp://[::1]:6514\",\"ident\":\"my app\"}",
			   "", err, sizeof(err)) == 0);
	notification *n = make_note("x", SEVERITY_CRITICAL, "m");
	free(n->node);
	n->node = xstrdup("node with spaces");
	char *line = render(&r, n);
	ck_assert_str_eq(line, "<26>1 2023-11-14T22:13:20.123Z node_with_spaces my_app - "
			 "firing [bpfalert@32473 alert=\"x\" status=\"firing\" "
			 "severity=\"critical\" count=\"1\"] x [critical] firing: m");
	free(line);
	free(n->node);
	n->node = NULL;  /* and no node name in the environment either */
	line = render(&r, n);
	ck_assert_msg(strstr(line, ".123Z - my_app - firing "), "%s", line);
	free(line);
	notification_free(&n);
	rig_close(&r);
}
END_TEST

START_TEST(render_local)
{
	struct rig r = { 0 };
	rig_open(&r, "{\"facility\":\"auth\"}");
	notification *n = make_note("Unauthorised access /etc/passwd", SEVERITY_WARNING,
				    "/usr/bin/cat read /etc/passwd");
	char *text = render(&r, n);
	ck_assert_str_eq(text, "Unauthorised access /etc/passwd [warning] firing: "
			 "/usr/bin/cat read /etc/passwd");
	free(text);
	notification_free(&n);
	rig_close(&r);
}
END_TEST

START_TEST(config_errors)
{
	static const struct {
		const char *cfg, *err;
	} cases[] = {
		{ "{\"facility\":\"bogus\"}", "unknown facility 'bogus'" },
		{ "{\"facility\":3}", "'facility' must be a string" },
		{ "{\"ident\":\"\"}", "'ident' must not be empty" },
		{ "{\"server\":\"http://h:514\"}", "'server' must be" },
		{ "{\"server\":\"udp://h\"}", "'server' must be" },
		{ "{\"server\":\"tcp://:514\"}", "'server' must be" },
		{ "{\"server\":\"udp://h:70000\"}", "'server' must be" },
		{ "{\"server\":\"udp://h:5x\"}", "'server' must be" },
		{ "{\"server\":\"tcp://[::1:514\"}", "'server' must be" },
		{ "\"syslog\"", "must be an object" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rig r = { 0 };
		char err[256] = "";
		ck_assert_msg(rig_init(&r, cases[i].cfg, "", err, sizeof(err)) < 0,
			      "%s accepted", cases[i].cfg);
		ck_assert_msg(strstr(err, cases[i].err) && !strncmp(err, "syslog: ", 8),
			      "%s: error '%s'", cases[i].cfg, err);
		r.state = NULL;
		rig_close(&r);
	}
}
END_TEST

/* ---- rsyslogd ---- */

/* Sends three notifications and checks, for each, the raw line against
 * render() and the fields rsyslog parsed out of it. */
static void three_to_rsyslog(const char *transport, int port)
{
	struct rig r = { 0 };
	rig_open(&r, "{\"server\":\"%s://127.0.0.1:%d\",\"facility\":\"local3\","
		     "\"ident\":\"bpfalert-test\"}", transport, port);
	static const struct {
		enum severity sev;
		bool resolved;
		const char *pri, *severity;
	} cases[] = {
		{ SEVERITY_CRITICAL, false, "154", "crit" },
		{ SEVERITY_WARNING, false, "156", "warning" },
		{ SEVERITY_INFO, true, "157", "notice" },
	};
	notification *n[3];
	char marker[3][64];
	for (int i = 0; i < 3; i++) {
		snprintf(marker[i], sizeof(marker[i]), "%s-%d-%d", transport, (int)getpid(), i);
		char *msg = xasprintf("cat read /etc/passwd \"%s\"", marker[i]);
		n[i] = make_note("Unauthorised access [passwd]", cases[i].sev, msg);
		free(msg);
		if (cases[i].resolved)
			n[i]->status = NOTIFY_RESOLVED;
		n[i]->count = 2;
		n[i]->time_ms = loop_wall_ms();
	}
	/* Queued back to back: over TCP only the octet counts keep them apart. */
	struct outcome o[3] = { { 0 } };
	for (int i = 0; i < 3; i++)
		notifier_syslog.send(r.state, n[i], on_done, &o[i]);
	run_until(&r, &o[2].calls, 15000);
	for (int i = 0; i < 3; i++) {
		ck_assert_msg(o[i].calls == 1 && o[i].result == DELIVERY_OK,
			      "%s message %d: %d calls, result %d (%s)", transport, i,
			      o[i].calls, o[i].result, o[i].detail);
		char *want = render(&r, n[i]);
		char *raw = wait_line("raw.log", marker[i]);
		ck_assert_str_eq(raw, want);
		char *parsed = wait_line("parsed.log", marker[i]);
		char *expect = xasprintf(
			"pri=%s facility=local3 severity=%s app=bpfalert-test procid=- "
			"msgid=%s sd=[bpfalert@32473 alert=\"Unauthorised access [passwd\\]\" "
			"status=\"%s\" severity=\"%s\" count=\"2\"] msg=Unauthorised access "
			"[passwd] [%s] %s: cat read /etc/passwd \"%s\"%s",
			cases[i].pri, cases[i].severity, cases[i].resolved ? "resolved" : "firing",
			cases[i].resolved ? "resolved" : "firing", severity_name(cases[i].sev),
			severity_name(cases[i].sev), cases[i].resolved ? "resolved" : "firing",
			marker[i], cases[i].resolved ? "" : " (2 matches)");
		ck_assert_str_eq(parsed, expect);
		free(expect);
		free(parsed);
		free(raw);
		free(want);
		notification_free(&n[i]);
	}
	rig_close(&r);
}

START_TEST(udp_to_rsyslog)
{
	three_to_rsyslog("udp", rs.udp_port);
}
END_TEST

START_TEST(tcp_to_rsyslog)
{
	three_to_rsyslog("tcp", rs.tcp_port);
}
END_TEST

/* ---- TCP failures, against a socket of the test's own ---- */

static int bound_socket(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ck_assert(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	ck_assert(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Accepts one connection, running the notifier's loop meanwhile. */
static int accept_one(struct rig *r, int lfd)
{
	for (int i = 0; i < 500; i++) {
		int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
		if (c >= 0)
			return c;
		loop_run_once(r->loop, 10);
	}
	ck_abort_msg("no connection");
	return -1;
}

/* Reads one octet-counted frame: "LEN SP MSG". */
static char *read_frame(struct rig *r, int fd)
{
	char buf[4096];
	size_t got = 0;
	for (int i = 0; i < 500; i++) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n > 0)
			got += (size_t)n;
		buf[got] = '\0';
		char *sp = strchr(buf, ' ');
		if (sp && got >= (size_t)(sp + 1 - buf) + strtoul(buf, NULL, 10))
			break;
		loop_run_once(r->loop, 10);
	}
	char *sp = strchr(buf, ' ');
	ck_assert_msg(sp && buf[0] >= '1' && buf[0] <= '9', "not a frame: '%s'", buf);
	size_t len = strtoul(buf, NULL, 10);
	ck_assert_msg(got == (size_t)(sp + 1 - buf) + len, "frame of %zu bytes, got %zu: '%s'",
		      len, got, buf);
	return xasprintf("%.*s", (int)len, sp + 1);
}

START_TEST(tcp_refused_then_reconnects)
{
	int port, lfd = bound_socket(&port);   /* bound, not listening: refused */
	struct rig r = { 0 };
	rig_open(&r, "{\"server\":\"tcp://127.0.0.1:%d\"}", port);
	notification *n = make_note("Reconnect", SEVERITY_WARNING, "first");

	struct outcome o = deliver(&r, n);
	ck_assert_msg(o.result == DELIVERY_RETRY, "%d %s", o.result, o.detail);
	ck_assert_msg(strstr(o.detail, "refused"), "%s", o.detail);

	ck_assert(listen(lfd, 4) == 0);
	o = deliver(&r, n);
	ck_assert_msg(o.result == DELIVERY_OK, "%d %s", o.result, o.detail);
	int c = accept_one(&r, lfd);
	char *want = render(&r, n), *got = read_frame(&r, c);
	ck_assert_str_eq(got, want);
	free(got);
	free(want);

	/* The server goes away; the notifier notices and the next line goes
	 * over a new connection, not into the dead one. */
	close(c);
	run_until(&r, NULL, 200);
	free(n->message);
	n->message = xstrdup("second");
	o = deliver(&r, n);
	ck_assert_msg(o.result == DELIVERY_OK, "%d %s", o.result, o.detail);
	c = accept_one(&r, lfd);
	want = render(&r, n);
	got = read_frame(&r, c);
	ck_assert_str_eq(got, want);
	free(got);
	free(want);
	close(c);

	/* Nobody listens any more: a send fails with RETRY (reset or
	 * refused), and so does the one after it. */
	close(lfd);
	run_until(&r, NULL, 200);
	o = deliver(&r, n);
	ck_assert_msg(o.result == DELIVERY_RETRY, "%d %s", o.result, o.detail);
	o = deliver(&r, n);
	ck_assert_msg(o.result == DELIVERY_RETRY, "%d %s", o.result, o.detail);
	notification_free(&n);
	rig_close(&r);
}
END_TEST

START_TEST(udp_without_server_retries)
{
	int port, fd = bound_socket(&port);
	close(fd);
	/* A UDP send succeeds once; the ICMP refusal comes back on the next. */
	int ufd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	ck_assert(bind(ufd, (struct sockaddr *)&a, sizeof(a)) == 0);
	ck_assert(getsockname(ufd, (struct sockaddr *)&a, &len) == 0);
	close(ufd);
	struct rig r = { 0 };
	rig_open(&r, "{\"server\":\"udp://127.0.0.1:%d\"}", ntohs(a.sin_port));
	notification *n = make_note("Nobody listens", SEVERITY_INFO, "m");
	struct outcome o = deliver(&r, n);
	ck_assert_msg(o.result == DELIVERY_OK, "%d %s", o.result, o.detail);
	usleep(100 * 1000);
	o = deliver(&r, n);
	ck_assert_msg(o.result == DELIVERY_RETRY, "%d %s", o.result, o.detail);
	/* And the socket is made afresh afterwards. */
	o = deliver(&r, n);
	ck_assert_msg(o.result == DELIVERY_OK, "%d %s", o.result, o.detail);
	notification_free(&n);
	rig_close(&r);
}
END_TEST

/* ---- local syslog(3) ---- */

/* In a child with a private mount namespace, /dev is a fresh tmpfs whose
 * /dev/log is our datagram socket; the child sends through the notifier
 * and writes what arrived (or an error) to `out`. */
static void local_child(int out, const char *cfg)
{
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", "/dev", "tmpfs", 0, "size=64k") < 0) {
		dprintf(out, "ERROR: private /dev/log needs root: %s", strerror(errno));
		_exit(1);
	}
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		dprintf(out, "ERROR: bind /dev/log: %s", strerror(errno));
		_exit(1);
	}
	closelog();   /* any connection inherited from the runner */
	struct rig r = { 0 };
	char err[256] = "";
	if (rig_init(&r, cfg, "", err, sizeof(err)) < 0) {
		dprintf(out, "ERROR: init: %s", err);
		_exit(1);
	}
	notification *n = make_note("Local alert", SEVERITY_CRITICAL, "sent through syslog(3)");
	struct outcome o = { 0 };
	notifier_syslog.send(r.state, n, on_done, &o);
	char buf[2048];
	ssize_t got = recv(fd, buf, sizeof(buf) - 1, 0);
	if (o.calls != 1 || o.result != DELIVERY_OK || got <= 0) {
		dprintf(out, "ERROR: calls %d result %d, recv %zd", o.calls, o.result, got);
		_exit(1);
	}
	buf[got] = '\0';
	dprintf(out, "%s", buf);
	_exit(0);
}

START_TEST(local_syslog)
{
	const char *cfg = "{\"facility\":\"local5\",\"ident\":\"bpfalert-test\"}";
	int p[2];
	ck_assert(pipe(p) == 0);
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		local_child(p[1], cfg);
	}
	close(p[1]);
	char buf[4096];
	size_t got = 0;
	ssize_t n;
	while (got < sizeof(buf) - 1 && (n = read(p[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(p[0]);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s", buf);
	/* glibc: "<PRI>Mmm dd hh:mm:ss IDENT[PID]: MESSAGE"; local5 is 21. */
	ck_assert_msg(!strncmp(buf, "<170>", 5), "%s", buf);   /* 21 * 8 + crit (2) */
	char *tail = xasprintf(" bpfalert-test[%d]: Local alert [critical] firing: "
			       "sent through syslog(3)", (int)pid);
	ck_assert_msg(strstr(buf, tail), "'%s' lacks '%s'", buf, tail);
	free(tail);

	/* And in this process: render gives the text, send says OK. */
	struct rig r = { 0 };
	rig_open(&r, "%s", cfg);
	notification *note = make_note("Local alert", SEVERITY_INFO, "m");
	char *text = render(&r, note);
	ck_assert_str_eq(text, "Local alert [info] firing: m");
	free(text);
	ck_assert_int_eq(deliver(&r, note).result, DELIVERY_OK);
	notification_free(&note);
	rig_close(&r);
}
END_TEST

Suite *syslog_suite(void)
{
	Suite *s = suite_create("syslog");
	TCase *tc = tcase_create("format");
	tcase_add_test(tc, render_rfc5424);
	tcase_add_test(tc, render_header_fields);
	tcase_add_test(tc, render_local);
	tcase_add_test(tc, config_errors);
	tcase_add_test(tc, tcp_refused_then_reconnects);
	tcase_add_test(tc, udp_without_server_retries);
	tcase_add_test(tc, local_syslog);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("rsyslog");
	tcase_add_unchecked_fixture(tc, rsyslog_setup, rsyslog_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, udp_to_rsyslog);
	tcase_add_test(tc, tcp_to_rsyslog);
	suite_add_tcase(s, tc);
	return s;
}
