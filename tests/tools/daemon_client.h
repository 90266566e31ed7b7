/* Driving a real `bpfalert run` process from the tests: started with
 * $NOTIFY_SOCKET pointing at a socket of the test, so readiness and reloads
 * are seen exactly as systemd sees them.  Header-only (static functions).
 * The daemon's files go into the directory given. */
#ifndef BPFALERT_DAEMON_CLIENT_H
#define BPFALERT_DAEMON_CLIENT_H

#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "xalloc.h"

#define DC_UNUSED __attribute__((unused))

/* Generous guards against hanging; never measurements.  Stretched by
 * Check's CK_TIMEOUT_MULTIPLIER, as under emulation (make test-kernels),
 * where loading the probes alone can take longer than 30 s. */
static DC_UNUSED int dc_wait_ms(void)
{
	const char *m = getenv("CK_TIMEOUT_MULTIPLIER");
	int k = m ? atoi(m) : 1;
	return 30000 * (k >= 1 && k <= 100 ? k : 1);
}
#define WAIT_MS dc_wait_ms()

/* The guard on start-up and reload readiness alone: loading the probes
 * verifies about 90 programs, which on a busy two-core machine has taken
 * over 100 s.  Only a daemon that never gets ready waits it out. */
static DC_UNUSED int dc_ready_ms(void)
{
	return 10 * dc_wait_ms();
}

static DC_UNUSED void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

struct daemon_proc {
	pid_t pid;
	int notify_fd;
	char *notify_path;
	char *log;
};

/* Waits for a datagram starting with `state` on the notify socket (at most
 * dc_ready_ms; at once when the daemon has exited). */
static DC_UNUSED bool wait_notify(struct daemon_proc *d, const char *state)
{
	struct pollfd p = { .fd = d->notify_fd, .events = POLLIN };
	for (int waited = 0, limit = dc_ready_ms(); waited < limit; waited += 100) {
		if (poll(&p, 1, 100) == 1) {
			char buf[256];
			ssize_t n = recv(d->notify_fd, buf, sizeof(buf) - 1, 0);
			if (n > 0) {
				buf[n] = '\0';
				if (strstr(buf, state))
					return true;
			}
		}
		int st;
		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			d->pid = -1;
			return false;
		}
	}
	return false;
}

static DC_UNUSED struct daemon_proc *daemon_start_in(const char *dir, const char *conf,
						  const char *rules)
{
	static unsigned serial;
	struct daemon_proc *d = xcalloc(1, sizeof(*d));
	d->notify_path = xasprintf("%s/notify-%u", dir, serial);
	d->log = xasprintf("%s/daemon-%u.log", dir, serial++);
	d->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", d->notify_path);
	ck_assert_int_eq(bind(d->notify_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	d->pid = fork();
	if (d->pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		setenv("NOTIFY_SOCKET", d->notify_path, 1);
		execl(bpfalert_bin(), "bpfalert", "run", "-f", "-c", conf, "-r", rules, NULL);
		_exit(127);
	}
	double t0 = test_clock();
	ck_assert_msg(wait_notify(d, "READY=1"), "daemon did not become ready; log:\n%s",
		      slurp(d->log, NULL));
	test_timing("daemon ready", t0);
	return d;
}

static DC_UNUSED int daemon_stop(struct daemon_proc **pd, struct rusage *ru)
{
	struct daemon_proc *d = *pd;
	int st = 0, rc = -1;
	struct rusage dummy;
	if (d->pid > 0) {
		double t0 = test_clock();
		kill(d->pid, SIGTERM);
		wait4(d->pid, &st, 0, ru ? ru : &dummy);
		rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		test_timing("daemon stopped", t0);
	}
	close(d->notify_fd);
	unlink(d->notify_path);
	free(d->notify_path);
	free(d->log);
	free(d);
	*pd = NULL;
	return rc;
}

#endif
