/* One runner for every suite, so `make test` ends with one Check summary.
 * Suites are listed in the generated suites.h (one per tests/unit/test_*.c).
 *
 * The suites run in two lanes at once, each a child process with its own
 * SRunner: the suites that load the kernel probes (they see every process
 * on the host, so they never overlap one another) one after the other in
 * the first, every other suite in the second.  Most tests wait on daemons,
 * sockets and files, so two lanes use the cores that one leaves idle.  The
 * first lane's output is shown as it comes, the second's after it; then
 * one summary line for both and the failures of each.
 * BPFALERT_TEST_LANES=1, CK_RUN_SUITE or CK_RUN_CASE: one lane, as Check
 * runs it.  A log file named by CK_XML_LOG_FILE_NAME, CK_LOG_FILE_NAME or
 * CK_TAP_LOG_FILE_NAME gets the lane's number appended (NAME.1, NAME.2). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xalloc.h"

#define SUITE(name) Suite *name##_suite(void);
#include "suites.h"
#undef SUITE

static const struct {
	const char *name;
	Suite *(*make)(void);
} suites[] = {
#define SUITE(name) { #name, name##_suite },
#include "suites.h"
#undef SUITE
};
#define NSUITES (sizeof(suites) / sizeof(suites[0]))

/* The suites that load the kernel probes: the first lane. */
static const char *const kernel_suites[] = {
	"probes", "probe_hooks", "policy_probes", "daemon_probes", "export_seed",
};

static bool in_kernel_lane(const char *name)
{
	for (size_t i = 0; i < sizeof(kernel_suites) / sizeof(kernel_suites[0]); i++)
		if (!strcmp(kernel_suites[i], name))
			return true;
	return false;
}

/* What a lane's child reports to the parent when it is done. */
struct tally {
	int run, failures, errors;
};

static void count(SRunner *sr, struct tally *t)
{
	TestResult **r = srunner_results(sr);
	t->run = srunner_ntests_run(sr);
	for (int i = 0; i < t->run; i++) {
		t->failures += tr_rtype(r[i]) == CK_FAILURE;
		t->errors += tr_rtype(r[i]) == CK_ERROR;
	}
	free(r);
}

static void lane_log_names(int lane)
{
	static const char *const vars[] = {
		"CK_XML_LOG_FILE_NAME", "CK_LOG_FILE_NAME", "CK_TAP_LOG_FILE_NAME",
	};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);
		if (v && *v && strcmp(v, "-")) {
			char *name = xasprintf("%s.%d", v, lane + 1);
			setenv(vars[i], name, 1);
			free(name);
		}
	}
}

/* The lane's child: its suites, output to `out`, its tally to `res`. */
static _Noreturn void run_lane(int lane, int out, int res)
{
	dup2(out, STDOUT_FILENO);
	dup2(out, STDERR_FILENO);
	close(out);
	setvbuf(stdout, NULL, _IOLBF, 0);
	lane_log_names(lane);
	SRunner *sr = srunner_create(NULL);
	for (size_t i = 0; i < NSUITES; i++)
		if (in_kernel_lane(suites[i].name) == (lane == 0))
			srunner_add_suite(sr, suites[i].make());
	srunner_run_all(sr, CK_NORMAL);
	struct tally t = { 0 };
	count(sr, &t);
	srunner_free(sr);
	fflush(stdout);
	_exit(write(res, &t, sizeof(t)) == sizeof(t) ? 0 : 1);
}

/* A lane's output as the parent reads it: lines before Check's summary
 * line are shown (the first lane's at once), the summary is dropped, the
 * failures after it are kept for the end. */
struct lane {
	pid_t pid;
	int out, res;
	bool live, summarised;
	char *part;                /* an unfinished line */
	char *shown, *failures;    /* kept for the end */
	struct tally t;
};

static void append(char **buf, const char *s)
{
	char *next = xasprintf("%s%s", *buf ? *buf : "", s);
	free(*buf);
	*buf = next;
}

static void take_line(struct lane *l, const char *line)
{
	if (!l->summarised && strstr(line, "%: Checks: ")) {
		l->summarised = true;
		return;
	}
	if (l->summarised) {
		append(&l->failures, line);
		return;
	}
	const char *head = "Running suite(s):";
	if (!l->live && !strncmp(line, head, strlen(head)))
		line += strlen(head);          /* the list goes on */
	if (l->live) {
		fputs(line, stdout);
		fflush(stdout);
	} else {
		append(&l->shown, line);
	}
}

/* Reads what is there (the pipe does not block); false at its end. */
static bool drain(struct lane *l)
{
	char buf[8192];
	ssize_t n;
	while ((n = read(l->out, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		append(&l->part, buf);
		char *p = l->part, *nl;
		while ((nl = strchr(p, '\n'))) {
			char save = nl[1];
			nl[1] = '\0';
			take_line(l, p);
			nl[1] = save;
			p = nl + 1;
		}
		char *rest = xstrdup(p);
		free(l->part);
		l->part = rest;
	}
	return n < 0 && errno == EAGAIN;
}

static void start_lane(struct lane *l, int lane)
{
	int out[2], res[2];
	if (pipe(out) || pipe2(res, O_CLOEXEC)) {
		perror("run-tests: pipe");
		exit(EXIT_FAILURE);
	}
	fflush(stdout);
	fflush(stderr);
	l->pid = fork();
	if (l->pid < 0) {
		perror("run-tests: fork");
		exit(EXIT_FAILURE);
	}
	if (l->pid == 0) {
		close(out[0]);
		close(res[0]);
		run_lane(lane, out[1], res[1]);
	}
	close(out[1]);
	close(res[1]);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	l->out = out[0];
	l->res = res[0];
	l->live = lane == 0;
}

/* The lane's child has reported (or died): its tally, the rest of its
 * output.  Processes it left behind may hold its output open; they are
 * not waited for. */
static bool finish_lane(struct lane *l)
{
	bool ok = read(l->res, &l->t, sizeof(l->t)) == sizeof(l->t);
	int st = 0;
	waitpid(l->pid, &st, 0);
	drain(l);
	if (l->part && *l->part)
		take_line(l, l->part);
	close(l->res);
	close(l->out);
	if (!ok)
		printf("run-tests: a lane ended without its results (wait status %d)\n", st);
	return ok;
}

static int run_lanes(void)
{
	struct lane lanes[2] = { 0 };
	for (int i = 0; i < 2; i++)
		start_lane(&lanes[i], i);
	/* each lane's output and its tally */
	struct pollfd p[4];
	for (int i = 0; i < 2; i++) {
		p[2 * i] = (struct pollfd){ .fd = lanes[i].out, .events = POLLIN };
		p[2 * i + 1] = (struct pollfd){ .fd = lanes[i].res, .events = POLLIN };
	}
	bool complete = true;
	for (int running = 2; running > 0;) {
		if (poll(p, 4, -1) < 0)
			continue;
		for (int i = 0; i < 2; i++) {
			if (p[2 * i].revents && !drain(&lanes[i]))
				p[2 * i].fd = -1;     /* its end: wait for the tally */
			if (p[2 * i + 1].revents) {
				complete &= finish_lane(&lanes[i]);
				p[2 * i].fd = p[2 * i + 1].fd = -1;
				running--;
			}
		}
	}
	struct tally all = { 0 };
	for (int i = 0; i < 2; i++) {
		all.run += lanes[i].t.run;
		all.failures += lanes[i].t.failures;
		all.errors += lanes[i].t.errors;
	}
	fputs(lanes[1].shown ? lanes[1].shown : "", stdout);
	int bad = all.failures + all.errors;
	/* as Check prints it */
	printf("%d%%: Checks: %d, Failures: %d, Errors: %d\n",
	       !bad ? 100 : all.run ? (int)((float)(all.run - bad) / (float)all.run * 100) : 0,
	       all.run, all.failures, all.errors);
	for (int i = 0; i < 2; i++) {
		fputs(lanes[i].failures ? lanes[i].failures : "", stdout);
		free(lanes[i].failures);
		free(lanes[i].shown);
		free(lanes[i].part);
	}
	return bad || !complete ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int run_one_lane(void)
{
	SRunner *sr = srunner_create(NULL);
	for (size_t i = 0; i < NSUITES; i++)
		srunner_add_suite(sr, suites[i].make());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

int main(void)
{
	const char *lanes = getenv("BPFALERT_TEST_LANES");
	if (getenv("CK_RUN_SUITE") || getenv("CK_RUN_CASE") || (lanes && atoi(lanes) == 1))
		return run_one_lane();
	return run_lanes();
}
