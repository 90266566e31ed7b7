/* The delivery guarantees seen from outside, with real processes: bpfalert
 * killed with SIGKILL while notifications are pending delivers them after a
 * restart; an alert storm with attacker-chosen group values stays within
 * bounded memory. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../tools/receiver_client.h"

static char *dir;

static void setup(void) { dir = make_temp_dir(); }
static void teardown(void)
{
	rm_rf(dir);
	free(dir);
}

/* Starts `bpfalert ARGS...` with stdout/stderr to dir/NAME.log. */
static pid_t spawn(const char *name, char *const argv[])
{
	char *log = xasprintf("%s/%s.log", dir, name);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(bpfalert_bin(), argv);
		_exit(127);
	}
	free(log);
	return pid;
}

static int wait_exit(pid_t pid, struct rusage *ru)
{
	int st;
	struct rusage dummy;
	wait4(pid, &st, 0, ru ? ru : &dummy);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static bool wait_for_requests(const struct receiver *r, size_t n)
{
	for (int i = 0; i < 300; i++) {
		if (receiver_count(r) >= n)
			return true;
		sleep_ms(100);
	}
	return false;
}

static size_t count_ok_with(const struct receiver *r, const char *needle)
{
	struct json_object *reqs = receiver_requests(r);
	size_t n = 0;
	for (size_t i = 0; i < json_object_array_length(reqs); i++) {
		struct json_object *q = json_object_array_get_idx(reqs, i);
		struct json_object *st;
		json_object_object_get_ex(q, "status", &st);
		const char *body = request_str(q, "body");
		if (json_object_get_int(st) == 200 && body && strstr(body, needle))
			n++;
	}
	json_object_put(reqs);
	return n;
}

static char *write_setup(const struct receiver *r)
{
	char *url = receiver_url(r, "http", "/hook");
	char *conf_text = xasprintf(
		"state_dir = \"%s/state\";\n"
		"targets: { hook: { type = \"webhook\"; endpoint = \"%s\";\n"
		"                   repeat = { interval = \"10s\"; times = 1; }; }; };\n",
		dir, url);
	char *conf = write_file(dir, "bpfalert.conf", conf_text);
	chmod(conf, 0600);
	char *rules = write_file(dir, "r.rules",
		"alerts = ( { name = \"passwd read\"; message = \"{process_exec_process_binary} read it\";\n"
		"  rule = \"process_exec_process_arguments =% \\\"/etc/passwd\\\"\"; targets = [ \"hook\" ]; } );\n");
	chmod(rules, 0600);
	free(rules);
	free(conf_text);
	free(url);
	return conf;
}

START_TEST(sigkill_then_restart_delivers_pending)
{
	/* The receiver refuses everything until told otherwise. */
	struct receiver *r = receiver_start(dir, "--status 503");
	ck_assert_ptr_nonnull(r);
	char *conf = write_setup(r);
	char *events = write_file(dir, "ev.jsonl",
		"{\"process_exec\":{\"process\":{\"binary\":\"/usr/bin/cat\",\"arguments\":\"/etc/passwd\","
		"\"pid\":1,\"uid\":0,\"tid\":1}},\"node_name\":\"n\",\"time\":\"2024-01-01T00:00:00Z\"}\n");
	char *rules = xasprintf("%s/r.rules", dir);
	char *const argv1[] = { "bpfalert", "replay", "-c", conf, "-r", rules, "-i", events, NULL };
	pid_t pid = spawn("first", argv1);
	/* firing and resolved are spooled; the first attempt gets a 503 */
	ck_assert(wait_for_requests(r, 1));
	kill(pid, SIGKILL);
	ck_assert_int_eq(wait_exit(pid, NULL), 128 + SIGKILL);
	ck_assert_uint_eq(count_ok_with(r, "\"status\":\"firing\""), 0);

	char *ctl_url = receiver_url(r, "http", "/_control");
	char *ctl_cmd = xasprintf("curl -s -o /dev/null -X POST -d '{\"status\":\"200\"}' %s",
				  ctl_url);
	free(ctl_url);
	ck_assert_int_eq(system(ctl_cmd), 0);

	char *const argv2[] = { "bpfalert", "replay", "-c", conf, "-r", rules, "-i", "/dev/null", NULL };
	pid = spawn("second", argv2);
	ck_assert_int_eq(wait_exit(pid, NULL), 0);
	ck_assert_uint_eq(count_ok_with(r, "\"status\":\"firing\""), 1);
	ck_assert_uint_eq(count_ok_with(r, "\"status\":\"resolved\""), 1);
	/* nothing left behind */
	char *spool = xasprintf("ls -A %s/state/spool | grep -c json", dir);
	int st;
	char *left = run_capture(spool, &st);
	ck_assert_str_eq(left, "0\n");
	free(left);
	free(spool);
	free(ctl_cmd);
	free(rules);
	free(events);
	free(conf);
	receiver_stop(&r);
}
END_TEST

/* 100,000 matching events over 10,000 group values, max_instances 1000. */
START_TEST(alert_storm_stays_bounded)
{
	char *path = xasprintf("%s/storm.jsonl", dir);
	FILE *f = fopen(path, "w");
	for (int i = 0; i < 100000; i++)
		fprintf(f, "{\"process_exec\":{\"process\":{\"binary\":\"/bin/sh\",\"pod\":{\"name\":\"pod-%d\"}}},"
			   "\"time\":\"2024-01-01T00:%02d:%02d.%03dZ\"}\n",
			i % 10000, (i / 60000) % 60, (i / 1000) % 60, i % 1000);
	fclose(f);
	char *rules = write_file(dir, "storm.rules",
		"alerts = ( { name = \"shell\"; message = \"shell in {process_exec_process_pod_name}\";\n"
		"  rule = \"process_exec_process_binary = \\\"/bin/sh\\\"\";\n"
		"  group_by = [ \"process_exec_process_pod_name\" ]; max_instances = 1000;\n"
		"  targets = ( { type = \"stdout\"; } ); } );\n");
	char *out = xasprintf("%s/storm.out", dir);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		execl(bpfalert_bin(), "bpfalert", "replay", "--dry-run", "-r", rules, "-i", path, NULL);
		_exit(127);
	}
	struct rusage ru;
	ck_assert_int_eq(wait_exit(pid, &ru), 0);
	/* 1000 instances + one overflow instance: firing and resolved each */
	char *cmd = xasprintf("grep -c '\"status\":\"firing\"' %s", out);
	int st;
	char *n = run_capture(cmd, &st);
	ck_assert_str_eq(n, "1001\n");
	free(n);
	free(cmd);
	cmd = xasprintf("grep -c '<overflow>' %s", out);
	n = run_capture(cmd, &st);
	ck_assert_int_ge(atoi(n), 1);
	free(n);
	free(cmd);
	/* Sanitizer builds keep freed memory in quarantine: no bound there. */
	if (!getenv("BPFALERT_SANITIZED"))
		ck_assert_msg(ru.ru_maxrss < 64 * 1024, "peak RSS %ld KiB", ru.ru_maxrss);
	free(out);
	free(rules);
	free(path);
}
END_TEST

Suite *delivery_suite(void)
{
	Suite *s = suite_create("delivery");
	TCase *tc = tcase_create("processes");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, sigkill_then_restart_delivers_pending);
	tcase_add_test(tc, alert_storm_stays_bounded);
	suite_add_tcase(s, tc);
	return s;
}
