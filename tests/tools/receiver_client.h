/* Driving tests/tools/receiver.py from the unit tests: start it on a free
 * loopback port, read back what it received, stop it.
 *
 * Header-only (every function static) so the suites that use it need no
 * extra object.  The receiver is started with PR_SET_PDEATHSIG, so a test
 * that fails half-way (Check kills the forked test process) does not leave
 * it running. */
#ifndef BPFALERT_RECEIVER_CLIENT_H
#define BPFALERT_RECEIVER_CLIENT_H

#include <json-c/json.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop.h"
#include "testutil.h"
#include "xalloc.h"

#define RC_UNUSED __attribute__((unused))

/* Generous: only a guard against hanging forever, never a measurement. */
#define TEST_DEADLINE_MS 30000

struct receiver {
	pid_t pid;
	int port;
	char *log_path;
	char *port_file;
};

/* Starts the receiver; `args` are extra command-line flags ("" for none).
 * `dir` holds its files.  Returns NULL if it did not come up. */
static RC_UNUSED struct receiver *receiver_start(const char *dir,
						  const char *args)
{
	static unsigned serial;
	struct receiver *r = xcalloc(1, sizeof(*r));
	r->log_path = xasprintf("%s/requests-%u-%d.jsonl", dir, serial,
				(int)getpid());
	r->port_file = xasprintf("%s/port-%u-%d", dir, serial++, (int)getpid());
	unlink(r->port_file);
	/* Debian's interpreter when there is one: version-manager shims in
	 * PATH can take seconds to start.  $PYTHON overrides. */
	const char *py = getenv("PYTHON");
	if (!py)
		py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3"
							  : "python3";
	char *cmd = xasprintf("exec %s '%s' --port-file '%s' --log '%s' %s", py,
			      src_path("tests/tools/receiver.py"), r->port_file,
			      r->log_path, args);
	pid_t parent = getpid();
	double t0 = test_clock();
	r->pid = fork();
	if (r->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	free(cmd);
	for (int i = 0; i < TEST_DEADLINE_MS / 20; i++) {
		FILE *f = fopen(r->port_file, "r");
		if (f) {
			int ok = fscanf(f, "%d", &r->port);
			fclose(f);
			if (ok == 1 && r->port > 0) {
				test_timing("receiver started", t0);
				return r;
			}
		}
		int st;
		if (waitpid(r->pid, &st, WNOHANG) == r->pid)
			break;
		usleep(20000);
	}
	kill(r->pid, SIGKILL);
	waitpid(r->pid, NULL, 0);
	free(r->log_path);
	free(r->port_file);
	free(r);
	return NULL;
}

static RC_UNUSED void receiver_stop(struct receiver **rp)
{
	struct receiver *r = *rp;
	if (!r)
		return;
	/* Every request is already in the log (written before it was
	 * answered), so there is nothing to wind down gracefully. */
	kill(r->pid, SIGKILL);
	waitpid(r->pid, NULL, 0);
	free(r->log_path);
	free(r->port_file);
	free(r);
	*rp = NULL;
}

static RC_UNUSED char *receiver_url(const struct receiver *r, const char *scheme,
				    const char *path)
{
	return xasprintf("%s://127.0.0.1:%d%s", scheme, r->port, path);
}

/* Every request received so far, as a JSON array (caller puts it). */
static RC_UNUSED struct json_object *receiver_requests(const struct receiver *r)
{
	struct json_object *arr = json_object_new_array();
	char *text = slurp(r->log_path, NULL);
	if (!text)
		return arr;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct json_object *o = json_tokener_parse(line);
		if (o)
			json_object_array_add(arr, o);
	}
	free(text);
	return arr;
}

static RC_UNUSED size_t receiver_count(const struct receiver *r)
{
	struct json_object *a = receiver_requests(r);
	size_t n = json_object_array_length(a);
	json_object_put(a);
	return n;
}

static RC_UNUSED const char *request_str(struct json_object *req,
					 const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(req, key, &v) ? json_object_get_string(v)
						       : NULL;
}

/* The value of header `name` (case-insensitive) in a logged request. */
static RC_UNUSED const char *request_header(struct json_object *req,
					    const char *name)
{
	struct json_object *hs;
	if (!json_object_object_get_ex(req, "headers", &hs))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(hs); i++) {
		struct json_object *h = json_object_array_get_idx(hs, i);
		const char *k = json_object_get_string(json_object_array_get_idx(h, 0));
		if (k && !strcasecmp(k, name))
			return json_object_get_string(json_object_array_get_idx(h, 1));
	}
	return NULL;
}

/* Runs the loop until cond(ctx) holds; false if the deadline passed. */
static RC_UNUSED bool run_until(loop *l, bool (*cond)(void *), void *ctx)
{
	int64_t end = loop_now() + TEST_DEADLINE_MS;
	while (!cond(ctx)) {
		if (loop_now() > end)
			return false;
		loop_run_once(l, 20);
	}
	return true;
}

/* Runs the loop for about `ms` (to let things happen that must not). */
static RC_UNUSED void run_for(loop *l, int64_t ms)
{
	int64_t end = loop_now() + ms;
	while (loop_now() < end)
		loop_run_once(l, (int)(end - loop_now()));
}

/* A self-signed certificate for 127.0.0.1 in dir/cert.pem, dir/key.pem. */
static RC_UNUSED bool make_cert(const char *dir)
{
	int st;
	char *cmd = xasprintf(
		"openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
		"-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
		"-keyout '%s/key.pem' -out '%s/cert.pem' 2>&1", dir, dir);
	char *out = run_capture(cmd, &st);
	free(cmd);
	free(out);
	return st == 0;
}

#endif
