/* dispatch_bench — notifications per second through the dispatcher.
 *
 *   dispatch_bench [-n COUNT] [-t TARGETS] [-d DIR]
 *
 * Measures, for webhook targets posting to a minimal HTTP/1.1 responder on
 * 127.0.0.1 (a forked child, so the figure is the dispatcher's and libcurl's
 * cost, not a test server's) and for a file target:
 *   - with the spool (every notification fsync'd before it is sent), and
 *   - without it (state_dir unset),
 * from the first submit until the dispatcher is idle again.  The spool lives
 * in a fresh directory under DIR (default $TMPDIR or /tmp): its figures are
 * those of that file system (creating, renaming and unlinking one file per
 * notification, one syncfs per loop round).  Prints one line per case;
 * asserts nothing. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dispatch.h"
#include "log.h"
#include "loop.h"
#include "notification.h"
#include "targets.h"
#include "xalloc.h"

/* ---- the responder: answers every request 200 with an empty body ---- */

struct conn {
	char buf[65536];
	size_t len;
};

/* Consumes complete requests from c->buf; returns how many. */
static int parse_requests(struct conn *c)
{
	int n = 0;
	for (;;) {
		char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
		if (!end)
			return n;
		size_t head = (size_t)(end - c->buf) + 4;
		size_t body = 0;
		char *cl = memmem(c->buf, head, "Content-Length:", 15);
		if (!cl)
			cl = memmem(c->buf, head, "content-length:", 15);
		if (cl)
			body = strtoul(cl + 15, NULL, 10);
		if (c->len < head + body)
			return n;
		memmove(c->buf, c->buf + head + body, c->len - head - body);
		c->len -= head + body;
		n++;
	}
}

static void respond_forever(int lfd)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	struct conn *conns[4096] = { 0 };
	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, -1);
		for (int i = 0; i < n; i++) {
			if (!evs[i].data.ptr) {
				int fd = accept(lfd, NULL, NULL);
				if (fd < 0 || fd >= 4096) {
					if (fd >= 0)
						close(fd);
					continue;
				}
				conns[fd] = calloc(1, sizeof(struct conn));
				struct epoll_event cev = { .events = EPOLLIN };
				cev.data.u64 = (uint64_t)fd | (1ULL << 32);
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
				continue;
			}
			int fd = (int)(uint32_t)evs[i].data.u64;
			struct conn *c = conns[fd];
			ssize_t r = read(fd, c->buf + c->len, sizeof(c->buf) - c->len);
			if (r <= 0) {
				close(fd);
				free(c);
				conns[fd] = NULL;
				continue;
			}
			c->len += (size_t)r;
			for (int k = parse_requests(c); k > 0; k--)
				if (write(fd, ok, sizeof(ok) - 1) < 0)
					break;
		}
	}
}

static pid_t start_responder(int *port)
{
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 512) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len) < 0) {
		perror("responder");
		exit(3);
	}
	*port = ntohs(sa.sin_port);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		respond_forever(lfd);
		_exit(0);
	}
	close(lfd);
	return pid;
}

/* ---- the measured part ---- */

static notification *make(const char *target, unsigned i)
{
	notification *n = notification_new();
	n->alert = xstrdup("Unauthorised access /etc/passwd");
	n->kind = i % 5 ? NOTIFY_KIND_REPEAT : NOTIFY_KIND_FIRST;
	n->severity = SEVERITY_CRITICAL;
	n->message = xasprintf("/usr/bin/cat read /etc/passwd in default/pod-%u", i);
	n->rule = xstrdup("process_exec_process_arguments =% \"/etc/passwd\"");
	n->reason = xstrdup("matched rule process_exec_process_arguments =% \"/etc/passwd\"");
	n->count = 1;
	n->seq = 1 + i % 5;
	n->of = 5;
	n->time_ms = n->starts_at_ms = 1714557600000LL + i;
	n->node = xstrdup("node-1");
	n->source = xstrdup("tetragon");
	n->event_json = xasprintf(
		"{\"process_exec\":{\"process\":{\"exec_id\":\"bm9kZToxMjM0NTY3ODk6MTIz\","
		"\"pid\":%u,\"uid\":0,\"cwd\":\"/\",\"binary\":\"/usr/bin/cat\","
		"\"arguments\":\"/etc/passwd\",\"flags\":\"execve clone\","
		"\"start_time\":\"2024-05-01T10:00:00.000000000Z\",\"auid\":4294967295,"
		"\"pod\":{\"namespace\":\"default\",\"name\":\"pod-%u\","
		"\"container\":{\"id\":\"containerd://0123456789abcdef\",\"name\":\"app\"}}},"
		"\"parent\":{\"pid\":1,\"binary\":\"/bin/sh\"}},\"node_name\":\"node-1\","
		"\"time\":\"2024-05-01T10:00:00.000Z\"}", 1000 + i, i);
	n->target = xstrdup(target);
	return n;
}

static void add(target_set *ts, const char *name, const char *json)
{
	char err[256];
	struct json_object *cfg = json_tokener_parse(json);
	if (!cfg || target_set_add_named(ts, name, cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench: bad target %s\n", json);
		exit(3);
	}
	json_object_put(cfg);
}

static void run_case(const char *label, target_set *ts, const char *state_dir,
		     unsigned count)
{
	loop *l = loop_new();
	struct dispatch_config cfg = {
		.loop = l, .targets = ts, .state_dir = state_dir,
		.node_name = "node-1", .queue_max = count + 1,
		.retry_base_ms = 100, .retry_max_ms = 1000,
	};
	char err[512];
	dispatcher *d = dispatcher_new(&cfg, err, sizeof(err));
	if (!d) {
		fprintf(stderr, "bench: %s\n", err);
		exit(3);
	}
	notification **ns = xcalloc(count, sizeof(*ns));
	for (unsigned i = 0; i < count; i++)
		ns[i] = make(ts->v[i % ts->n]->name, i);
	int64_t t0 = loop_now();
	for (unsigned i = 0; i < count; i++)
		dispatcher_submit(d, ns[i]);
	while (!dispatcher_idle(d))
		loop_run_once(l, 100);
	int64_t ms = loop_now() - t0;
	unsigned long long sent = 0;
	for (size_t i = 0; i < dispatcher_ntargets(d); i++) {
		struct target_stats st;
		dispatcher_target_stats(d, i, &st);
		sent += st.sent;
	}
	printf("%-34s %8u notifications %8.3f s %10.0f/s%s\n", label, count,
	       (double)ms / 1000.0, ms > 0 ? (double)count * 1000.0 / (double)ms : 0.0,
	       sent == count ? "" : "  (NOT ALL DELIVERED)");
	fflush(stdout);
	free(ns);
	dispatcher_free(&d);
	loop_free(&l);
}

static void remove_state(const char *dir)
{
	char *p = xasprintf("rm -rf '%s'", dir);
	if (system(p) != 0)
		fprintf(stderr, "bench: could not remove %s\n", dir);
	free(p);
}

int main(int argc, char **argv)
{
	unsigned count = 5000, ntargets = 8;
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	int opt;
	while ((opt = getopt(argc, argv, "n:t:d:")) != -1) {
		if (opt == 'n')
			count = (unsigned)strtoul(optarg, NULL, 10);
		else if (opt == 't')
			ntargets = (unsigned)strtoul(optarg, NULL, 10);
		else if (opt == 'd')
			base = optarg;
		else {
			fprintf(stderr, "usage: dispatch_bench [-n COUNT] [-t TARGETS] [-d DIR]\n");
			return 2;
		}
	}
	if (!count || !ntargets || ntargets > 1000)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_LEVEL_ERROR);
	int port;
	pid_t responder = start_responder(&port);
	char *tmpl = xasprintf("%s/bpfalert-bench-XXXXXX", base);
	char *dir = mkdtemp(tmpl);
	if (!dir) {
		perror("mkdtemp");
		return 3;
	}
	char *state = xasprintf("%s/state", dir);

	target_set hooks = { 0 }, one_hook = { 0 }, file = { 0 };
	for (unsigned i = 0; i < ntargets; i++) {
		char name[32], *json = xasprintf(
			"{\"type\":\"webhook\",\"endpoint\":\"http://127.0.0.1:%d/hook%u\"}",
			port, i);
		snprintf(name, sizeof(name), "hook%u", i);
		add(&hooks, name, json);
		if (i == 0)
			add(&one_hook, name, json);
		free(json);
	}
	char *fjson = xasprintf("{\"type\":\"file\",\"path\":\"%s/alerts.jsonl\","
				"\"max_size_mb\":0}", dir);
	add(&file, "file", fjson);
	free(fjson);

	char label[64];
	snprintf(label, sizeof(label), "webhook x%u, no spool", ntargets);
	run_case(label, &hooks, NULL, count);
	snprintf(label, sizeof(label), "webhook x%u, spool", ntargets);
	run_case(label, &hooks, state, count);
	run_case("webhook x1, no spool", &one_hook, NULL, count / 4 ? count / 4 : 1);
	run_case("file, no spool", &file, NULL, count);
	run_case("file, spool", &file, state, count);

	target_set_clear(&hooks);
	target_set_clear(&one_hook);
	target_set_clear(&file);
	kill(responder, SIGKILL);
	waitpid(responder, NULL, 0);
	remove_state(dir);
	free(state);
	free(tmpl);
	return 0;
}
