/* `bpfalert run` as an operator runs it: a real daemon process following a
 * file that the test appends to, rotates and truncates; restarts; SIGHUP
 * with a broken then a fixed rule file; /metrics scraped with curl; readiness
 * through $NOTIFY_SOCKET as systemd sees it. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../tools/daemon_client.h"
#include "testutil.h"
#include "xalloc.h"

static char *dir;

static void setup(void) { dir = make_temp_dir(); }
static void teardown(void)
{
	rm_rf(dir);
	free(dir);
}


static size_t count_in_file(const char *path, const char *needle)
{
	size_t len = 0, n = 0;
	char *text = slurp(path, &len);
	if (!text)
		return 0;
	for (const char *p = text; (p = strstr(p, needle)); p++)
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

static char *conf_path, *rules_path, *events_path, *alerts_path;

/* A daemon following dir/tetragon.log, alerting once per matching event
 * (each pid is its own instance) into dir/alerts.jsonl. */
static void write_setup(const char *listen)
{
	events_path = xasprintf("%s/tetragon.log", dir);
	alerts_path = xasprintf("%s/alerts.jsonl", dir);
	char *conf = xasprintf(
		"state_dir = \"%s/state\";\n"
		"sources: { bpf: { enabled = false; };\n"
		"           tetragon: { enabled = true; path = \"%s\"; follow = true; }; };\n"
		"metrics: { listen = \"%s\"; };\n"
		"targets: { out: { type = \"file\"; path = \"%s\"; send_resolved = false;\n"
		"                  repeat = { interval = \"1h\"; times = 1; }; }; };\n",
		dir, events_path, listen, alerts_path);
	conf_path = write_file(dir, "bpfalert.conf", conf);
	chmod(conf_path, 0600);
	free(conf);
	char *rdir = xasprintf("%s/rules.d", dir);
	mkdir(rdir, 0700);
	rules_path = write_file(rdir, "passwd.rules",
		"alerts = ( { name = \"passwd read\"; message = \"{process_exec_process_binary} pid {process_exec_process_pid}\";\n"
		"  rule = \"process_exec_process_arguments =% \\\"/etc/passwd\\\"\";\n"
		"  group_by = [ \"process_exec_process_pid\" ]; targets = [ \"out\" ]; } );\n");
	chmod(rules_path, 0600);
	free(rules_path);
	rules_path = rdir;
}

static void free_setup(void)
{
	free(conf_path);
	free(rules_path);
	free(events_path);
	free(alerts_path);
}

static void append_events(const char *path, int first_pid, int n, bool matching)
{
	FILE *f = fopen(path, "a");
	for (int i = 0; i < n; i++)
		fprintf(f, "{\"process_exec\":{\"process\":{\"binary\":\"/usr/bin/cat\",\"arguments\":\"%s\","
			   "\"pid\":%d,\"uid\":0,\"tid\":%d}},\"node_name\":\"n\",\"time\":\"2024-01-01T00:00:00Z\"}\n",
			matching ? "/etc/passwd" : "/etc/hosts", first_pid + i, first_pid + i);
	fclose(f);
}

START_TEST(follows_appends_rotation_truncation_and_restarts)
{
	write_setup("");
	append_events(events_path, 1, 5, true);      /* history: not alerted */
	struct daemon_proc *d = daemon_start_in(dir, conf_path, rules_path);
	append_events(events_path, 100, 10, true);
	append_events(events_path, 200, 10, false);
	ck_assert(wait_count(alerts_path, "\"status\":\"firing\"", 10));

	/* rotation by rename: lines written to the old file after the rename
	 * are read before the new file */
	char *rotated = xasprintf("%s.1", events_path);
	ck_assert_int_eq(rename(events_path, rotated), 0);
	append_events(rotated, 300, 5, true);
	sleep_ms(200);
	append_events(events_path, 400, 5, true);
	ck_assert(wait_count(alerts_path, "\"status\":\"firing\"", 20));

	/* copy-truncate: the follower must see the file shrink before it grows
	 * back past its old size, as with `tail -F` (same-size rewrites within
	 * one inotify wakeup are indistinguishable from no change) */
	ck_assert_int_eq(truncate(events_path, 0), 0);
	sleep_ms(300);
	append_events(events_path, 500, 5, true);
	ck_assert(wait_count(alerts_path, "\"status\":\"firing\"", 25));

	/* restart with events written while down */
	ck_assert_int_eq(daemon_stop(&d, NULL), 0);
	append_events(events_path, 600, 7, true);
	d = daemon_start_in(dir, conf_path, rules_path);
	append_events(events_path, 700, 3, true);
	ck_assert(wait_count(alerts_path, "\"status\":\"firing\"", 35));
	sleep_ms(500);
	ck_assert_int_eq(daemon_stop(&d, NULL), 0);
	/* exactly once each: 10 + 5 + 5 + 5 + 7 + 3 */
	ck_assert_uint_eq(count_in_file(alerts_path, "\"status\":\"firing\""), 35);
	for (int pid = 1; pid <= 5; pid++) {
		char needle[64];
		snprintf(needle, sizeof(needle), "\"message\":\"/usr/bin/cat pid %d\"", pid);
		ck_assert_uint_eq(count_in_file(alerts_path, needle), 0);
	}
	free(rotated);
	free_setup();
}
END_TEST

static char *scrape(int port, const char *path)
{
	char *cmd = xasprintf("curl -s http://127.0.0.1:%d%s", port, path);
	int st;
	char *out = run_capture(cmd, &st);
	free(cmd);
	return out;
}

/* The value of the sample line starting with `prefix`; -1 if absent. */
static double sample(const char *page, const char *prefix)
{
	for (const char *p = page; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, prefix, strlen(prefix)) && p[strlen(prefix)] == ' ')
			return strtod(p + strlen(prefix) + 1, NULL);
	}
	return -1;
}

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

START_TEST(sighup_with_broken_then_fixed_rules_and_metrics)
{
	int port = free_port();
	char listen[32];
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	write_setup(listen);
	struct daemon_proc *d = daemon_start_in(dir, conf_path, rules_path);
	append_events(events_path, 1, 4, true);
	append_events(events_path, 50, 3, false);
	FILE *g = fopen(events_path, "a");
	fputs("{\"truncated\": \n\xff\xfe\n", g);
	fclose(g);
	ck_assert(wait_count(alerts_path, "\"status\":\"firing\"", 4));
	sleep_ms(300);

	char *page = scrape(port, "/metrics");
	ck_assert_msg(sample(page, "bpfalert_events_total{source=\"tetragon\",kind=\"process_exec\"}") == 7, "%s", page);
	ck_assert(sample(page, "bpfalert_rule_matches_total{alert=\"passwd read\"}") == 4);
	ck_assert(sample(page, "bpfalert_rule_evaluations_total{alert=\"passwd read\"}") == 7);
	ck_assert(sample(page, "bpfalert_events_malformed_total{source=\"tetragon\",reason=\"json\"}") == 1);
	ck_assert(sample(page, "bpfalert_events_malformed_total{source=\"tetragon\",reason=\"utf8\"}") == 1);
	ck_assert(sample(page, "bpfalert_notifications_total{target=\"out\",result=\"sent\"}") == 4);
	ck_assert(sample(page, "bpfalert_reloads_total{result=\"failure\"}") == 0);
	ck_assert_ptr_nonnull(strstr(page, "# TYPE bpfalert_events_total counter"));
	free(page);
	page = scrape(port, "/healthz");
	ck_assert_str_eq(page, "ok\n");
	free(page);

	/* a broken edit: old rules keep firing, the error is logged */
	char *bad = write_file(rules_path, "broken.rules",
		"alerts = ( { name = \"x\"; message = \"m\"; rule = \"a => 1\"; targets = [ \"out\" ]; } );\n");
	kill(d->pid, SIGHUP);
	ck_assert(wait_notify(d, "READY=1"));
	append_events(events_path, 100, 2, true);
	ck_assert(wait_count(alerts_path, "\"status\":\"firing\"", 6));
	ck_assert_uint_ge(count_in_file(d->log, "unknown operator '=>'"), 1);
	page = scrape(port, "/metrics");
	ck_assert(sample(page, "bpfalert_reloads_total{result=\"failure\"}") == 1);
	free(page);

	/* fixed: the new rule is active, nothing was skipped */
	FILE *f = fopen(bad, "w");
	fputs("alerts = ( { name = \"hosts read\"; message = \"pid {process_exec_process_pid}\";\n"
	      "  rule = \"process_exec_process_arguments = \\\"/etc/hosts\\\"\";\n"
	      "  group_by = [ \"process_exec_process_pid\" ]; targets = [ \"out\" ]; } );\n", f);
	fclose(f);
	chmod(bad, 0600);
	kill(d->pid, SIGHUP);
	ck_assert(wait_notify(d, "READY=1"));
	append_events(events_path, 200, 2, false);
	append_events(events_path, 300, 1, true);
	ck_assert(wait_count(alerts_path, "\"alert\":\"hosts read\"", 2));
	ck_assert(wait_count(alerts_path, "\"alert\":\"passwd read\"", 7));
	page = scrape(port, "/metrics");
	ck_assert(sample(page, "bpfalert_reloads_total{result=\"success\"}") == 1);
	free(page);
	ck_assert_int_eq(daemon_stop(&d, NULL), 0);
	ck_assert_uint_eq(count_in_file(alerts_path, "\"alert\":\"passwd read\""), 7);
	free(bad);
	free_setup();
}
END_TEST

/* Mixed valid and garbage input, streamed through the follower. */
START_TEST(gigabyte_of_mixed_input)
{
	size_t target = getenv("BPFALERT_SANITIZED") ? (64u << 20) : (1024u << 20);
	int port = free_port();
	char listen[32];
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	write_setup(listen);
	struct daemon_proc *d = daemon_start_in(dir, conf_path, rules_path);
	char *good = slurp(testdata_path("seed/process_exec-speaker.jsonl"), NULL);
	size_t glen = strlen(good);
	char garbage[4096];
	unsigned seed = 7;
	for (size_t i = 0; i < sizeof(garbage); i++) {
		seed = seed * 1103515245 + 12345;
		garbage[i] = (char)(seed >> 16);
		if (garbage[i] == '\n')
			garbage[i] = 'x';
	}
	FILE *f = fopen(events_path, "a");
	size_t written = 0, goods = 0, bads = 0;
	while (written < target) {
		fwrite(good, 1, glen, f);       /* ends with its newline */
		written += glen;
		goods++;
		if (goods % 4 == 0) {
			fwrite(garbage, 1, 300 + goods % 3000, f);
			fputc('\n', f);
			written += 301 + goods % 3000;
			bads++;
		}
	}
	fclose(f);
	/* wait until every good line is counted */
	char want[64];
	snprintf(want, sizeof(want), "%zu", goods);
	double seen = -1;
	for (int i = 0; i < 6000 && seen != (double)goods; i++) {
		sleep_ms(100);
		char *page = scrape(port, "/metrics");
		seen = sample(page, "bpfalert_events_total{source=\"tetragon\",kind=\"process_exec\"}");
		free(page);
	}
	ck_assert_msg(seen == (double)goods, "counted %.0f of %zu events", seen, goods);
	char *page = scrape(port, "/metrics");
	double bad_total = 0;
	static const char *reasons[] = { "too_long", "nul", "utf8", "json", "not_object" };
	for (size_t i = 0; i < 5; i++) {
		char key[128];
		snprintf(key, sizeof(key), "bpfalert_events_malformed_total{source=\"tetragon\",reason=\"%s\"}", reasons[i]);
		double v = sample(page, key);
		bad_total += v > 0 ? v : 0;
	}
	ck_assert_msg(bad_total == (double)bads, "malformed %.0f, wrote %zu", bad_total, bads);
	free(page);
	struct rusage ru;
	ck_assert_int_eq(daemon_stop(&d, &ru), 0);
	fprintf(stderr, "daemon: %zu MiB, %zu events, %zu garbage lines, peak RSS %ld KiB\n",
		written >> 20, goods, bads, ru.ru_maxrss);
	if (!getenv("BPFALERT_SANITIZED"))
		ck_assert_msg(ru.ru_maxrss < 64 * 1024, "peak RSS %ld KiB", ru.ru_maxrss);
	free(good);
	free_setup();
}
END_TEST

Suite *daemon_suite(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc = tcase_create("run");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, follows_appends_rotation_truncation_and_restarts);
	tcase_add_test(tc, sighup_with_broken_then_fixed_rules_and_metrics);
	tcase_add_test(tc, gigabyte_of_mixed_input);
	suite_add_tcase(s, tc);
	return s;
}
