/* The daemon under attack and under careless operation: a real `bpfalert
 * run` process, real TCP peers written here (tests/tools/http_peer.h), the
 * real metrics endpoint.  Each case asserts exact counts of what was lost
 * or repeated, never timings. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../tools/daemon_client.h"
#include "../tools/http_peer.h"
#include "notification.h"
#include "testutil.h"
#include "xalloc.h"

static char *dir;

static void setup(void) { dir = make_temp_dir(); }
static void teardown(void)
{
	rm_rf(dir);
	free(dir);
}

/* ---- the daemon's files ---- */

struct setup {
	char *conf, *rules, *events, *alerts, *state;
	int port;                  /* metrics */
};

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	socklen_t len = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	close(fd);
	return ntohs(sa.sin_port);
}

/* Writes the configuration: the Tetragon file source, the metrics endpoint,
 * target "out" given by `target` (a libconfig group body), `extra` lines. */
static void write_conf(struct setup *s, const char *state_dir, const char *target,
		       const char *extra)
{
	char *conf = xasprintf(
		"state_dir = \"%s\";\n"
		"sources: { bpf: { enabled = false; };\n"
		"           tetragon: { enabled = true; path = \"%s\"; follow = true; }; };\n"
		"metrics: { listen = \"127.0.0.1:%d\"; };\n"
		"targets: { out: { %s }; };\n%s",
		state_dir, s->events, s->port, target, extra ? extra : "");
	FILE *f = fopen(s->conf, "w");
	fputs(conf, f);
	fclose(f);
	chmod(s->conf, 0600);
	free(conf);
}

static char *file_target(const struct setup *s)
{
	return xasprintf("type = \"file\"; path = \"%s\"; send_resolved = false;"
			 " repeat = { interval = \"1h\"; times = 1; };", s->alerts);
}

/* One alert, one instance per pid, on arguments containing /etc/passwd. */
static void make_setup(struct setup *s, const char *target)
{
	memset(s, 0, sizeof(*s));
	s->events = xasprintf("%s/tetragon.log", dir);
	s->alerts = xasprintf("%s/alerts.jsonl", dir);
	s->state = xasprintf("%s/state", dir);
	s->conf = xasprintf("%s/bpfalert.conf", dir);
	s->rules = xasprintf("%s/rules.d", dir);
	s->port = free_port();
	char *ft = target ? NULL : file_target(s);
	write_conf(s, s->state, target ? target : ft, NULL);
	free(ft);
	mkdir(s->rules, 0700);
	char *r = write_file(s->rules, "passwd.rules",
		"alerts = ( { name = \"passwd read\"; message = \"pid {process_exec_process_pid}\";\n"
		"  rule = \"process_exec_process_arguments =% \\\"/etc/passwd\\\"\";\n"
		"  group_by = [ \"process_exec_process_pid\" ]; max_instances = 100000; targets = [ \"out\" ]; } );\n");
	chmod(r, 0600);
	free(r);
	close(open(s->events, O_WRONLY | O_CREAT, 0600));
}

static void free_setup(struct setup *s)
{
	free(s->conf);
	free(s->rules);
	free(s->events);
	free(s->alerts);
	free(s->state);
}

static void append_events(const struct setup *s, int first_pid, int n)
{
	FILE *f = fopen(s->events, "a");
	for (int i = 0; i < n; i++)
		fprintf(f, "{\"process_exec\":{\"process\":{\"binary\":\"/usr/bin/cat\",\"arguments\":\"/etc/passwd\","
			   "\"pid\":%d,\"uid\":0}},\"node_name\":\"n\",\"time\":\"2024-01-01T00:00:00Z\"}\n",
			first_pid + i);
	fclose(f);
}

static size_t count_in_file(const char *path, const char *needle)
{
	size_t n = 0;
	char *text = slurp(path, NULL);
	for (const char *p = text; p && (p = strstr(p, needle)); p++)
		n++;
	free(text);
	return n;
}

static bool wait_count(const char *path, const char *needle, size_t want)
{
	for (int waited = 0; waited < WAIT_MS; waited += 50) {
		if (count_in_file(path, needle) >= want)
			return true;
		sleep_ms(50);
	}
	return false;
}

static char *scrape(int port, const char *path)
{
	char *cmd = xasprintf("curl -s -m 20 http://127.0.0.1:%d%s", port, path);
	char *out = run_capture(cmd, NULL);
	free(cmd);
	return out;
}

/* The value of the sample line starting with `prefix`; -1 if absent. */
static double sample(const char *page, const char *prefix)
{
	for (const char *p = page; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, prefix, strlen(prefix)) && p[strlen(prefix)] == ' ')
			return strtod(p + strlen(prefix) + 1, NULL);
	return -1;
}

static double metric(int port, const char *prefix)
{
	char *page = scrape(port, "/metrics");
	double v = sample(page, prefix);
	free(page);
	return v;
}

static bool alive(const struct daemon_proc *d)
{
	int st;
	return d->pid > 0 && waitpid(d->pid, &st, WNOHANG) == 0;
}

/* ---- files that are not what they seem ---- */

START_TEST(fifo_in_rules_dir_hangs_neither_check_nor_reload)
{
	struct setup s;
	make_setup(&s, NULL);
	struct daemon_proc *d = daemon_start_in(dir, s.conf, s.rules);
	append_events(&s, 1, 3);
	ck_assert(wait_count(s.alerts, "\"status\":\"firing\"", 3));

	char *fifo = xasprintf("%s/zz-pipe.rules", s.rules);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	char *cmd = xasprintf("timeout 20 %s check -c %s -r %s 2>&1", bpfalert_bin(),
			      s.conf, s.rules);
	int st;
	char *out = run_capture(cmd, &st);
	ck_assert_msg(st == 1, "check exited %d:\n%s", st, out);
	ck_assert_msg(strstr(out, "zz-pipe.rules") && strstr(out, "not a regular file"), "%s", out);
	free(out);
	free(cmd);

	/* the reload fails, names the file, and the daemon goes on */
	kill(d->pid, SIGHUP);
	ck_assert(wait_notify(d, "READY=1"));
	append_events(&s, 100, 2);
	ck_assert(wait_count(s.alerts, "\"status\":\"firing\"", 5));
	ck_assert(wait_count(d->log, "zz-pipe.rules", 1));
	ck_assert(metric(s.port, "bpfalert_reloads_total{result=\"failure\"}") == 1);
	char *h = scrape(s.port, "/healthz");
	ck_assert_msg(!strncmp(h, "ok", 2), "%s", h);
	free(h);
	ck_assert_int_eq(daemon_stop(&d, NULL), 0);
	free(fifo);
	free_setup(&s);
}
END_TEST

/* A spooled notification for target "out", as an earlier run left it. */
static void spool_record(const char *spool, const char *name, const char *alert)
{
	notification *n = notification_new();
	n->alert = xstrdup(alert);
	n->message = xstrdup(alert);
	n->rule = xstrdup("true");
	n->node = xstrdup("n");
	n->source = xstrdup("tetragon");
	n->target = xstrdup("out");
	n->seq = n->of = 1;
	n->time_ms = n->starts_at_ms = (int64_t)time(NULL) * 1000;
	char *text = notification_to_json(n);
	free(write_file(spool, name, text));
	free(text);
	notification_free(&n);
}

START_TEST(spool_fifos_and_out_of_range_ids_are_quarantined)
{
	struct setup s;
	make_setup(&s, NULL);
	mkdir(s.state, 0700);
	char *spool = xasprintf("%s/spool", s.state);
	mkdir(spool, 0700);
	spool_record(spool, "00000000000000000003.json", "kept three");
	spool_record(spool, "18446744073709551615.json", "out of range");
	spool_record(spool, "00000000000000000009.json", "kept nine");
	char *fifo = xasprintf("%s/00000000000000000005.json", spool);
	char *fifo2 = xasprintf("%s/77.json", spool);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(mkfifo(fifo2, 0600), 0);

	struct daemon_proc *d = daemon_start_in(dir, s.conf, s.rules);
	append_events(&s, 1, 20);
	ck_assert(wait_count(s.alerts, "\"alert\":\"passwd read\"", 20));
	ck_assert(wait_count(s.alerts, "\"alert\":\"kept", 2));
	ck_assert(metric(s.port, "bpfalert_spool_quarantined_total") == 3);
	ck_assert_int_eq(daemon_stop(&d, NULL), 0);
	/* each new record had its own name: 20 new, 2 old, nothing overwritten */
	ck_assert_uint_eq(count_in_file(s.alerts, "\"alert\":\"passwd read\""), 20);
	ck_assert_uint_eq(count_in_file(s.alerts, "\"alert\":\"kept three\""), 1);
	ck_assert_uint_eq(count_in_file(s.alerts, "\"alert\":\"kept nine\""), 1);
	ck_assert_uint_eq(count_in_file(s.alerts, "\"alert\":\"out of range\""), 0);
	char *bad = xasprintf("%s/18446744073709551615.json.bad", spool);
	struct stat st;
	ck_assert_int_eq(stat(bad, &st), 0);
	free(bad);
	free(fifo);
	free(fifo2);
	free(spool);
	free_setup(&s);
}
END_TEST

/* ---- reloads ---- */

START_TEST(failed_reload_keeps_the_running_generation)
{
	struct setup s;
	make_setup(&s, NULL);
	struct daemon_proc *d = daemon_start_in(dir, s.conf, s.rules);
	append_events(&s, 1, 2);
	ck_assert(wait_count(s.alerts, "\"status\":\"firing\"", 2));
	/* a state_dir that cannot be created: its parent is a file */
	char *blocker = write_file(dir, "not-a-dir", "x");
	char *bad_state = xasprintf("%s/state", blocker);
	char *ft = file_target(&s);
	write_conf(&s, bad_state, ft, NULL);
	char *cmd = xasprintf("%s check -c %s -r %s >/dev/null 2>&1", bpfalert_bin(),
			      s.conf, s.rules);
	ck_assert_int_eq(system(cmd), 0);    /* check cannot know */
	free(cmd);
	kill(d->pid, SIGHUP);
	ck_assert(wait_notify(d, "READY=1"));
	append_events(&s, 100, 3);
	ck_assert(wait_count(s.alerts, "\"status\":\"firing\"", 5));
	ck_assert(alive(d));
	ck_assert(wait_count(d->log, "not-a-dir/state", 1));
	ck_assert(metric(s.port, "bpfalert_reloads_total{result=\"failure\"}") == 1);
	ck_assert_int_eq(daemon_stop(&d, NULL), 0);
	free(ft);
	free(bad_state);
	free(blocker);
	free_setup(&s);
}
END_TEST


static char *webhook_target(int port, const char *more)
{
	return xasprintf("type = \"webhook\"; endpoint = \"http://127.0.0.1:%d/hook\";"
			 " send_resolved = false; repeat = { interval = \"1h\"; times = 1; }; %s",
			 port, more ? more : "");
}

/* Per message "pid N": how many requests carried it. */
static void tally(struct peer *p, int n, int *distinct, int *repeated)
{
	int *seen = xcalloc((size_t)n + 1, sizeof(*seen));
	*distinct = *repeated = 0;
	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->nreq; i++) {
		const char *m = strstr(p->req[i].body, "\"message\":\"pid ");
		int pid = m ? atoi(m + strlen("\"message\":\"pid ")) : 0;
		if (pid < 1 || pid > n)
			continue;
		if (seen[pid]++ == 0)
			(*distinct)++;
		else
			(*repeated)++;
	}
	pthread_mutex_unlock(&p->mu);
	free(seen);
}

START_TEST(hup_storm_loses_and_repeats_nothing)
{
	enum { EVENTS = 5000, HUPS = 100 };
	struct peer *p = peer_start(PEER_OK);
	char *t1 = webhook_target(p->port, "timeout = \"10s\";");
	char *t2 = webhook_target(p->port, "timeout = \"11s\";");
	struct setup s;
	make_setup(&s, t1);
	/* room for the whole burst: this case is about reloads, not overflow */
	static const char *const room = "queue_max = 10000;\n";
	write_conf(&s, s.state, t1, room);
	struct daemon_proc *d = daemon_start_in(dir, s.conf, s.rules);
	double last_sent = 0, last_matches = 0;
	int hups = 0;
	for (int i = 0; i < EVENTS / 10; i++) {
		append_events(&s, 1 + i * 10, 10);
		if (hups < HUPS) {
			/* every tenth reload changes the target, so its deliveries
			 * in flight finish on the old settings */
			if (hups % 10 == 9)
				write_conf(&s, s.state, hups % 20 == 9 ? t2 : t1, room);
			kill(d->pid, SIGHUP);
			hups++;
		}
		if (i % 50 == 49) {
			char *page = scrape(s.port, "/metrics");
			double sent = sample(page, "bpfalert_notifications_total{target=\"out\",result=\"sent\"}");
			double matches = sample(page, "bpfalert_rule_matches_total{alert=\"passwd read\"}");
			if (sent < 0) {
				char *log = slurp(d->log, NULL);
				fprintf(stderr, "log:\n%s\n", log);
				free(log);
			}
			ck_assert_msg(sent >= last_sent && matches >= last_matches,
				      "a counter went down: sent %.0f after %.0f, matches %.0f after %.0f; page: %.300s",
				      sent, last_sent, matches, last_matches, page);
			last_sent = sent;
			last_matches = matches;
			free(page);
		}
		sleep_ms(10);
	}
	for (int waited = 0; waited < WAIT_MS && peer_count(p) < EVENTS; waited += 100)
		sleep_ms(100);
	sleep_ms(1000);           /* anything sent twice would arrive by now */
	int distinct, repeated;
	tally(p, EVENTS, &distinct, &repeated);
	fprintf(stderr, "HUP storm: %d SIGHUPs, %d of %d delivered, %d twice, %zu requests\n",
		hups, distinct, EVENTS, repeated, peer_count(p));
	if (distinct != EVENTS || repeated) {
		char *log = slurp(d->log, NULL);
		size_t l = log ? strlen(log) : 0;
		fprintf(stderr, "daemon log (end):\n%s\n", log ? log + (l > 4000 ? l - 4000 : 0) : "");
		free(log);
	}
	ck_assert_int_eq(distinct, EVENTS);
	ck_assert_int_eq(repeated, 0);
	ck_assert(metric(s.port, "bpfalert_notifications_total{target=\"out\",result=\"sent\"}") == EVENTS);
	ck_assert(metric(s.port, "bpfalert_rule_matches_total{alert=\"passwd read\"}") == EVENTS);
	ck_assert(metric(s.port, "bpfalert_reloads_total{result=\"failure\"}") == 0);
	double reloads = metric(s.port, "bpfalert_reloads_total{result=\"success\"}");
	ck_assert_msg(reloads >= 1 && reloads < HUPS / 2, "%.0f reloads", reloads);
	ck_assert_int_eq(daemon_stop(&d, NULL), 0);
	peer_stop(&p);
	free(t1);
	free(t2);
	free_setup(&s);
}
END_TEST

START_TEST(probe_setting_changes_are_named_on_reload)
{
	struct setup s;
	make_setup(&s, NULL);
	struct daemon_proc *d = daemon_start_in(dir, s.conf, s.rules);
	char *ft = file_target(&s);
	write_conf(&s, s.state, ft, "probes: { files: { watch = [ \"/etc/hosts\" ]; }; };\n");
	kill(d->pid, SIGHUP);
	ck_assert(wait_notify(d, "READY=1"));
	ck_assert(wait_count(d->log, "probes.files.watch changed; it takes effect at the next restart", 1));
	append_events(&s, 1, 2);
	ck_assert(wait_count(s.alerts, "\"status\":\"firing\"", 2));
	ck_assert_int_eq(daemon_stop(&d, NULL), 0);
	free(ft);
	free_setup(&s);
}
END_TEST

/* ---- the metrics endpoint under attack ---- */

/* A client connection from 127.0.0.(2 + k) to the endpoint; -1 if it fails. */
static int attacker(int port, int k)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in src = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(0x7f000002 + (uint32_t)k) };
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				   .sin_addr.s_addr = htonl(0x7f000001) };
	if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0 ||
	    (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 && errno != EINPROGRESS)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return x < y ? -1 : x > y;
}

static long mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

START_TEST(metrics_endpoint_survives_idle_and_slow_clients)
{
	enum { CONNS = 10000, ADDRS = 10, ALERTS = 100 };
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	int conns = rl.rlim_max > CONNS + 200 ? CONNS : (int)rl.rlim_max - 200;
	struct setup s;
	make_setup(&s, NULL);
	struct daemon_proc *d = daemon_start_in(dir, s.conf, s.rules);
	/* half idle, half slow-loris: an unfinished request, a byte at a time */
	int *fds = xcalloc((size_t)conns, sizeof(*fds));
	int opened = 0;
	for (int i = 0; i < conns; i++) {
		fds[i] = attacker(s.port, i % ADDRS);
		opened += fds[i] >= 0;
	}
	sleep_ms(500);
	static const char partial[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
	for (int i = 1; i < conns; i += 2)
		if (fds[i] >= 0 && send(fds[i], partial, sizeof(partial) - 1, MSG_NOSIGNAL) < 0) {
			close(fds[i]);
			fds[i] = -1;
		}
	long lat[ALERTS];
	int scrapes = 0, answered = 0;
	for (int a = 0; a < ALERTS; a++) {
		char needle[64];
		snprintf(needle, sizeof(needle), "\"message\":\"pid %d\"", 1000 + a);
		long t0 = mono_us();
		append_events(&s, 1000 + a, 1);
		for (int w = 0; w < WAIT_MS && count_in_file(s.alerts, needle) == 0; w++)
			sleep_ms(1);
		lat[a] = mono_us() - t0;
		ck_assert(count_in_file(s.alerts, needle) == 1);
		for (int i = 1 + 2 * (a % 8); i < conns; i += 16)   /* drip */
			if (fds[i] >= 0 && send(fds[i], "X", 1, MSG_NOSIGNAL) < 0) {
				close(fds[i]);
				fds[i] = -1;
			}
		if (a % 10 == 9) {
			scrapes++;
			char *page = scrape(s.port, "/metrics");
			double v = sample(page, "bpfalert_rule_matches_total{alert=\"passwd read\"}");
			answered += v == a + 1;
			free(page);
			char *h = scrape(s.port, "/healthz");
			ck_assert_msg(!strcmp(h, "ok\n"), "healthz: %s", h);
			free(h);
		}
	}
	qsort(lat, ALERTS, sizeof(*lat), cmp_long);
	fprintf(stderr, "metrics under attack: %d connections from %d addresses, "
		"%d of %d scrapes answered, alert latency p50 %.1f ms p99 %.1f ms\n",
		opened, ADDRS, answered, scrapes, lat[ALERTS / 2] / 1000.0,
		lat[ALERTS * 99 / 100] / 1000.0);
	ck_assert_int_eq(answered, scrapes);
	ck_assert(alive(d));
	for (int i = 0; i < conns; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	ck_assert_int_eq(daemon_stop(&d, NULL), 0);
	free_setup(&s);
}
END_TEST

/* ---- receivers that hold deliveries hostage ---- */

static bool wait_metric(int port, const char *prefix, double want)
{
	for (int waited = 0; waited < WAIT_MS; waited += 100) {
		if (metric(port, prefix) >= want)
			return true;
		sleep_ms(100);
	}
	return false;
}

/* The Idempotency-Key of each request whose body has `needle`. */
static size_t keys_of(struct peer *p, const char *needle, char **keys, size_t max)
{
	size_t n = 0;
	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->nreq && n < max; i++)
		if (strstr(p->req[i].body, needle))
			keys[n++] = xstrdup(p->req[i].key);
	pthread_mutex_unlock(&p->mu);
	return n;
}

START_TEST(stuck_receivers_neither_repeat_forever_nor_block_the_queue)
{
	struct peer *first = peer_start(PEER_HANG_FIRST);
	struct peer *hang = peer_start(PEER_HANG);
	struct peer *slow = peer_start(PEER_SLOW);
	char *targets = xasprintf(
		"type = \"webhook\"; endpoint = \"http://127.0.0.1:%d/\"; timeout = \"5s\";"
		" send_resolved = false; repeat = { interval = \"1h\"; times = 1; }; };\n"
		"  hang: { type = \"webhook\"; endpoint = \"http://127.0.0.1:%d/\"; timeout = \"1s\";"
		" max_age = \"3s\"; send_resolved = false; repeat = { interval = \"1h\"; times = 1; }; };\n"
		"  slow: { type = \"webhook\"; endpoint = \"http://127.0.0.1:%d/\"; timeout = \"1s\";"
		" max_age = \"3s\"; send_resolved = false; repeat = { interval = \"1h\"; times = 1; }",
		first->port, hang->port, slow->port);
	struct setup s;
	make_setup(&s, targets);
	char *r = write_file(s.rules, "passwd.rules",
		"alerts = ( { name = \"passwd read\"; message = \"pid {process_exec_process_pid}\";\n"
		"  rule = \"process_exec_process_arguments =% \\\"/etc/passwd\\\"\";\n"
		"  group_by = [ \"process_exec_process_pid\" ]; targets = [ \"out\", \"hang\", \"slow\" ]; } );\n");
	chmod(r, 0600);
	free(r);
	struct daemon_proc *d = daemon_start_in(dir, s.conf, s.rules);
	append_events(&s, 1, 1);
	for (int w = 0; w < WAIT_MS && peer_count(first) < 1; w += 10)
		sleep_ms(10);
	append_events(&s, 2, 4);
	/* 2..5 go out while 1 is stuck, before its 5 s deadline */
	for (int w = 0; w < WAIT_MS && peer_count(first) < 5; w += 10)
		sleep_ms(10);
	ck_assert_uint_eq(peer_count(first), 5);
	ck_assert_uint_eq(count_in_file(d->log, "target 'out': delivery failed"), 0);
	/* then 1 times out and is retried once, with the same key */
	for (int w = 0; w < WAIT_MS && peer_count(first) < 6; w += 10)
		sleep_ms(10);
	ck_assert(wait_metric(s.port, "bpfalert_notifications_total{target=\"out\",result=\"sent\"}", 5));
	char *keys[8];
	ck_assert_uint_eq(keys_of(first, "\"message\":\"pid 1\"", keys, 8), 2);
	ck_assert_msg(!strncmp(keys[0], "bpfalert-", 9) && !strcmp(keys[0], keys[1]),
		      "keys '%s' '%s'", keys[0], keys[1]);
	char *k2[2];
	ck_assert_uint_eq(keys_of(first, "\"message\":\"pid 2\"", k2, 2), 1);
	ck_assert_str_ne(k2[0], keys[0]);
	free(k2[0]);
	free(keys[0]);
	free(keys[1]);

	/* never answering, and answering a byte a second: given up at max_age */
	ck_assert(wait_metric(s.port, "bpfalert_notifications_total{target=\"hang\",result=\"expired\"}", 5));
	ck_assert(wait_metric(s.port, "bpfalert_notifications_total{target=\"slow\",result=\"expired\"}", 5));
	size_t nh = peer_count(hang), ns = peer_count(slow);
	sleep_ms(3000);
	ck_assert_uint_eq(peer_count(hang), nh);
	ck_assert_uint_eq(peer_count(slow), ns);
	fprintf(stderr, "stuck receivers: %zu requests to the silent one and %zu to the "
		"1 byte/s one for 5 notifications, then given up\n", nh, ns);
	ck_assert_uint_le(nh, 5 * 3);
	ck_assert(metric(s.port, "bpfalert_notifications_total{target=\"hang\",result=\"sent\"}") == 0);
	ck_assert(wait_count(d->log, "older than max_age", 1));
	ck_assert_int_eq(daemon_stop(&d, NULL), 0);
	peer_stop(&first);
	peer_stop(&hang);
	peer_stop(&slow);
	free(targets);
	free_setup(&s);
}
END_TEST

/* ---- regex limits ---- */

static void event_with_args(FILE *f, int pid, const char *args)
{
	fprintf(f, "{\"process_exec\":{\"process\":{\"binary\":\"/bin/x\",\"arguments\":\"%s\","
		   "\"pid\":%d}},\"node_name\":\"n\",\"time\":\"2024-01-01T00:00:00Z\"}\n", args, pid);
}

static char *repeat_str(const char *unit, int n, const char *tail)
{
	size_t ul = strlen(unit), tl = strlen(tail);
	char *out = xmalloc(ul * (size_t)n + tl + 1), *p = out;
	for (int i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, tail, tl + 1);
	return out;
}

START_TEST(regex_limits_give_one_verdict_with_and_without_jit)
{
	char *rdir = xasprintf("%s/rx.d", dir);
	mkdir(rdir, 0700);
	static const char *const alerts[][2] = {
		{ "alt", "process_exec_process_arguments ~ \\\"(a|aa)+b\\\"" },
		{ "not alt", "process_exec_process_arguments !~ \\\"(a|aa)+b\\\"" },
		{ "words", "process_exec_process_arguments ~ \\\"(\\\\\\\\w+\\\\\\\\s?)+;\\\"" },
		{ "not words", "process_exec_process_arguments !~ \\\"(\\\\\\\\w+\\\\\\\\s?)+;\\\"" },
	};
	char *text = xstrdup("alerts = (");
	for (size_t i = 0; i < 4; i++) {
		char *next = xasprintf("%s%s { name = \"%s\"; message = \"m\"; rule = \"%s\";"
				       " group_by = [ \"process_exec_process_pid\" ]; targets = [ \"out\" ]; }",
				       text, i ? "," : "", alerts[i][0], alerts[i][1]);
		free(text);
		text = next;
	}
	char *next = xasprintf("%s );\n", text);
	free(text);
	free(write_file(rdir, "rx.rules", next));
	free(next);
	struct setup s;
	make_setup(&s, NULL);
	char *r = xasprintf("%s/passwd.rules", s.rules);
	unlink(r);
	free(r);
	char *from = xasprintf("%s/rx.rules", rdir), *to = xasprintf("%s/rx.rules", s.rules);
	rename(from, to);
	free(from);
	free(to);

	char *near1 = repeat_str("a", 40, "c ab");        /* matches (a|aa)+b */
	char *near2 = repeat_str("w ", 2000, "! x;");     /* beyond the DFA's bound */
	char *far = repeat_str("a", 3000, "c ab");        /* too */
	char *input = xasprintf("%s/rx.jsonl", dir);
	FILE *f = fopen(input, "w");
	event_with_args(f, 1, near1);
	event_with_args(f, 2, near2);
	event_with_args(f, 3, far);
	fclose(f);

	char *cmd = xasprintf("%s replay --matches -c %s -r %s -i %s 2>/dev/null", bpfalert_bin(),
			      s.conf, s.rules, input);
	char *nojit = xasprintf("BPFALERT_NO_JIT=1 %s", cmd);
	int st1, st2;
	char *with = run_capture(cmd, &st1), *without = run_capture(nojit, &st2);
	ck_assert_int_eq(st1, 0);
	ck_assert_str_eq(with, without);
	/* 1: the backtracking matcher gives up and the DFA answers exactly;
	 * 2 and 3: both give up, and neither ~ nor !~ holds */
	ck_assert_msg(strstr(with, "{\"line\":1,\"alerts\":[\"alt\",\"not words\"]}") &&
		      strstr(with, "{\"line\":2,\"alerts\":[\"not alt\"]}") &&
		      strstr(with, "{\"line\":3,\"alerts\":[\"not words\"]}"), "%s", with);
	free(with);
	free(without);

	/* the daemon without the JIT, as under systemd, agrees and counts */
	setenv("BPFALERT_NO_JIT", "1", 1);
	struct daemon_proc *d = daemon_start_in(dir, s.conf, s.rules);
	unsetenv("BPFALERT_NO_JIT");
	FILE *ev = fopen(s.events, "a");
	event_with_args(ev, 1, near1);
	event_with_args(ev, 2, near2);
	event_with_args(ev, 3, far);
	fclose(ev);
	ck_assert(wait_count(s.alerts, "\"status\":\"firing\"", 4));
	sleep_ms(300);
	ck_assert_uint_eq(count_in_file(s.alerts, "\"alert\":\"alt\""), 1);
	ck_assert_uint_eq(count_in_file(s.alerts, "\"alert\":\"words\""), 0);
	ck_assert_uint_eq(count_in_file(s.alerts, "\"alert\":\"not alt\""), 1);
	ck_assert_uint_eq(count_in_file(s.alerts, "\"alert\":\"not words\""), 2);
	static const char *const names[] = { "alt", "not alt", "words", "not words" };
	for (int i = 0; i < 4; i++) {
		char *key = xasprintf("bpfalert_rule_regex_errors_total{alert=\"%s\"}", names[i]);
		ck_assert_msg(metric(s.port, key) == 1, "%s", key);
		free(key);
	}
	ck_assert(wait_count(d->log, "gave up on an event", 1));
	ck_assert_int_eq(daemon_stop(&d, NULL), 0);

	char *check = xasprintf("%s check -c %s -r %s 2>&1", bpfalert_bin(), s.conf, s.rules);
	char *out = run_capture(check, &st1);
	ck_assert_msg(strstr(out, "'(\\w+\\s?)+;' repeats a group that holds a repetition") &&
		      !strstr(out, "'(a|aa)+b' repeats"), "%s", out);
	free(out);
	free(check);
	free(cmd);
	free(nojit);
	free(input);
	free(near1);
	free(near2);
	free(far);
	free(rdir);
	free_setup(&s);
}
END_TEST

/* ---- backfill ---- */

START_TEST(replay_to_a_dead_target_ends_at_its_deadline)
{
	int dead = free_port();        /* nothing listens there */
	char *t = webhook_target(dead, "timeout = \"1s\";");
	struct setup s;
	make_setup(&s, t);
	char *input = xasprintf("%s/backfill.jsonl", dir);
	char *events = s.events;
	s.events = input;
	append_events(&s, 1, 2);
	s.events = events;
	char *cmd = xasprintf("timeout 120 %s replay -c %s -r %s -i %s --deadline 2s 2>&1",
			      bpfalert_bin(), s.conf, s.rules, input);
	int st;
	char *out = run_capture(cmd, &st);
	ck_assert_msg(st == 3, "exit %d: %s", st, out);
	ck_assert_msg(strstr(out, "the delivery deadline (2s) passed; 2 notifications not delivered") &&
		      strstr(out, "target 'out': 2"), "%s", out);
	free(out);
	/* left in the spool: the daemon delivers them once the target is back */
	char *spool = xasprintf("%s/spool", s.state);
	char *ls = xasprintf("ls %s | grep -c '^[0-9]*\\.json$'", spool);
	out = run_capture(ls, &st);
	ck_assert_str_eq(out, "2\n");
	free(out);
	free(ls);
	free(spool);
	free(cmd);
	free(input);
	free(t);
	free_setup(&s);
}
END_TEST

/* ---- memory in bytes ---- */

START_TEST(large_events_to_a_dead_target_stay_within_memory)
{
	bool san = getenv("BPFALERT_SANITIZED") != NULL;
	int events = san ? 150 : 1500;
	int dead = free_port();
	char *t = webhook_target(dead, "timeout = \"1s\";");
	struct setup s;
	make_setup(&s, t);
	struct daemon_proc *d = daemon_start_in(dir, s.conf, s.rules);
	size_t pad = 900 * 1000;
	char *filler = xmalloc(pad + 1);
	memset(filler, 'x', pad);
	filler[pad] = '\0';
	FILE *f = fopen(s.events, "a");
	for (int i = 1; i <= events; i++)
		fprintf(f, "{\"process_exec\":{\"process\":{\"binary\":\"/usr/bin/cat\","
			   "\"arguments\":\"/etc/passwd %s\",\"pid\":%d,\"uid\":0}},"
			   "\"node_name\":\"n\",\"time\":\"2024-01-01T00:00:00Z\"}\n", filler, i);
	fclose(f);
	free(filler);
	double seen = -1;
	for (int w = 0; w < 3000 && seen != events; w++) {
		sleep_ms(100);
		seen = metric(s.port, "bpfalert_rule_matches_total{alert=\"passwd read\"}");
	}
	ck_assert_msg(seen == events, "matched %.0f of %d", seen, events);
	ck_assert(metric(s.port, "bpfalert_alert_instances") == events);
	/* what is queued for the dead target says the event was cut */
	char *cmd = xasprintf("grep -l bpfalert_truncated %s/spool/*.json | wc -l", s.state);
	char *out = run_capture(cmd, NULL);
	ck_assert_msg(atoi(out) > 0, "%s", out);
	free(out);
	free(cmd);
	/* and their messages were rendered from the whole event */
	cmd = xasprintf("grep -l '\"message\":\"pid [0-9]' %s/spool/*.json | wc -l", s.state);
	out = run_capture(cmd, NULL);
	ck_assert_msg(atoi(out) > 0, "%s: %s", cmd, out);
	free(out);
	free(cmd);
	struct rusage ru;
	ck_assert_int_eq(daemon_stop(&d, &ru), 0);
	fprintf(stderr, "large events: %d events of 900 KB, each its own instance, to a dead "
		"target: peak RSS %ld KiB\n", events, ru.ru_maxrss);
	if (!san)
		ck_assert_msg(ru.ru_maxrss < 128 * 1024, "peak RSS %ld KiB", ru.ru_maxrss);
	free(t);
	free_setup(&s);
}
END_TEST

START_TEST(alert_state_budget_folds_new_groups_into_overflow)
{
	enum { EVENTS = 300 };
	struct setup s;
	make_setup(&s, NULL);
	char *ft = file_target(&s);
	write_conf(&s, s.state, ft, "max_alert_state_mb = 1;\n");
	struct daemon_proc *d = daemon_start_in(dir, s.conf, s.rules);
	char *filler = xmalloc(20001);
	memset(filler, 'y', 20000);
	filler[20000] = '\0';
	FILE *f = fopen(s.events, "a");
	for (int i = 1; i <= EVENTS; i++)
		fprintf(f, "{\"process_exec\":{\"process\":{\"binary\":\"/usr/bin/cat\","
			   "\"arguments\":\"/etc/passwd %s\",\"pid\":%d,\"uid\":0}},"
			   "\"node_name\":\"n\",\"time\":\"2024-01-01T00:00:00Z\"}\n", filler, i);
	fclose(f);
	free(filler);
	double seen = -1;
	for (int w = 0; w < 300 && seen != EVENTS; w++) {
		sleep_ms(100);
		seen = metric(s.port, "bpfalert_rule_matches_total{alert=\"passwd read\"}");
	}
	ck_assert(seen == EVENTS);
	double live = metric(s.port, "bpfalert_alert_instances");
	double folded = metric(s.port, "bpfalert_alert_overflow_total{alert=\"passwd read\"}");
	fprintf(stderr, "alert state budget 1 MiB, %d groups of 20 KB events: %.0f instances, "
		"%.0f matches folded into the overflow instance\n", EVENTS, live, folded);
	/* 16 KiB kept per instance: about 64 fit in 1 MiB */
	ck_assert_msg(live > 10 && live < 80, "%.0f instances", live);
	ck_assert(folded == EVENTS - (live - 1));
	ck_assert(wait_count(d->log, "new groups fold into their alert's overflow instance", 1));
	ck_assert_int_eq(daemon_stop(&d, NULL), 0);
	free(ft);
	free_setup(&s);
}
END_TEST

/* ---- restarts ---- */

/* One instance firing at once, repeating every 2 s three times in all,
 * resolved 3 s after its match; with a SIGTERM and a restart one second
 * after it fires, or without. */
static void schedule_run(bool restart, size_t *firing, size_t *repeats, size_t *resolved)
{
	struct setup s;
	make_setup(&s, NULL);
	char *t = xasprintf("type = \"file\"; path = \"%s\"; repeat = { interval = \"2s\"; times = 3; };",
			    s.alerts);
	write_conf(&s, s.state, t, NULL);
	char *r = write_file(s.rules, "passwd.rules",
		"alerts = ( { name = \"passwd read\"; message = \"pid {process_exec_process_pid}\";\n"
		"  rule = \"process_exec_process_arguments =% \\\"/etc/passwd\\\"\";\n"
		"  resolve_after = \"3s\"; group_by = [ \"process_exec_process_pid\" ]; targets = [ \"out\" ]; } );\n");
	chmod(r, 0600);
	free(r);
	struct daemon_proc *d = daemon_start_in(dir, s.conf, s.rules);
	append_events(&s, 7, 1);
	ck_assert(wait_count(s.alerts, "\"status\":\"firing\"", 1));
	if (restart) {
		sleep_ms(1000);
		ck_assert_int_eq(daemon_stop(&d, NULL), 0);
		d = daemon_start_in(dir, s.conf, s.rules);
		ck_assert(wait_count(d->log, "1 alert instance restored", 1));
	}
	ck_assert(wait_count(s.alerts, "\"status\":\"resolved\"", 1));
	sleep_ms(2500);        /* anything more would come by now */
	ck_assert_int_eq(daemon_stop(&d, NULL), 0);
	*firing = count_in_file(s.alerts, "\"notification\":{\"seq\":1,");
	*repeats = count_in_file(s.alerts, "\"status\":\"firing\"") - *firing;
	*resolved = count_in_file(s.alerts, "\"status\":\"resolved\"");
	unlink(s.alerts);
	rm_rf(s.state);
	free(t);
	free_setup(&s);
}

START_TEST(alert_state_survives_a_restart)
{
	size_t f0, r0, x0, f1, r1, x1;
	schedule_run(false, &f0, &r0, &x0);
	schedule_run(true, &f1, &r1, &x1);
	fprintf(stderr, "schedule {2s, 3 times}, resolve_after 3s: without restart %zu firing, "
		"%zu repeats, %zu resolved; restarted 1 s after firing: %zu, %zu, %zu\n",
		f0, r0, x0, f1, r1, x1);
	ck_assert_uint_eq(f0, 1);
	ck_assert_uint_eq(r0, 1);      /* at 2 s; the one at 4 s is after the resolution */
	ck_assert_uint_eq(x0, 1);
	ck_assert_uint_eq(f1, f0);
	ck_assert_uint_eq(r1, r0);
	ck_assert_uint_eq(x1, x0);
}
END_TEST

Suite *chaos_suite(void)
{
	Suite *s = suite_create("chaos");
	TCase *tc = tcase_create("daemon");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, fifo_in_rules_dir_hangs_neither_check_nor_reload);
	tcase_add_test(tc, spool_fifos_and_out_of_range_ids_are_quarantined);
	tcase_add_test(tc, failed_reload_keeps_the_running_generation);
	tcase_add_test(tc, hup_storm_loses_and_repeats_nothing);
	tcase_add_test(tc, probe_setting_changes_are_named_on_reload);
	tcase_add_test(tc, metrics_endpoint_survives_idle_and_slow_clients);
	tcase_add_test(tc, stuck_receivers_neither_repeat_forever_nor_block_the_queue);
	tcase_add_test(tc, regex_limits_give_one_verdict_with_and_without_jit);
	tcase_add_test(tc, replay_to_a_dead_target_ends_at_its_deadline);
	tcase_add_test(tc, large_events_to_a_dead_target_stay_within_memory);
	tcase_add_test(tc, alert_state_budget_folds_new_groups_into_overflow);
	tcase_add_test(tc, alert_state_survives_a_restart);
	suite_add_tcase(s, tc);
	return s;
}
