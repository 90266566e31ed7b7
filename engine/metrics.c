/* metrics — see metrics.h.
 *
 * MHD runs without a thread of its own ("external" mode) on its internal
 * epoll set.  The loop watches that set's descriptor: when it is readable,
 * something in it is ready and MHD_run handles it without blocking.  MHD's
 * timeouts (idle connections, and work it has queued for itself, for which
 * it asks for a zero timeout) are kept by one loop timer, re-armed after
 * every MHD_run. */
#include "metrics.h"

#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "log.h"
#include "utf8.h"
#include "xalloc.h"

#define CONTENT_TYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define CONTENT_TYPE_TEXT "text/plain; charset=utf-8"
#define CONNECTION_LIMIT 64
#define CONNECTION_TIMEOUT_S 10

struct metrics_server {
	loop *l;
	struct MHD_Daemon *d;
	int epfd;
	loop_timer *timer;
	metrics_render_fn render;
	void *ctx;
	int port;
};

struct metrics_writer {
	char *buf;
	size_t len, cap;
};

/* ---- the text format ---- */

static void put(metrics_writer *w, const char *s, size_t n)
{
	w->buf = xgrow(w->buf, &w->cap, w->len + n + 1, 1);
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void puts_(metrics_writer *w, const char *s)
{
	put(w, s, strlen(s));
}

/* Escapes \ and newline, and " too in label values; replaces invalid
 * UTF-8 (the format is UTF-8, and label values may come from events). */
static void put_escaped(metrics_writer *w, const char *s, bool quote)
{
	size_t len = strlen(s);
	for (size_t i = 0; i < len;) {
		size_t ok = i + utf8_check(s + i, len - i);
		for (; i < ok; i++) {
			char c = s[i];
			if (c == '\\')
				puts_(w, "\\\\");
			else if (c == '\n')
				puts_(w, "\\n");
			else if (c == '"' && quote)
				puts_(w, "\\\"");
			else
				put(w, &c, 1);
		}
		if (i < len) {
			puts_(w, "\xEF\xBF\xBD");
			i++;
		}
	}
}

static void put_value(metrics_writer *w, double v)
{
	char num[64];
	if (isnan(v))
		snprintf(num, sizeof(num), "NaN");
	else if (isinf(v))
		snprintf(num, sizeof(num), v > 0 ? "+Inf" : "-Inf");
	else if (v == trunc(v) && fabs(v) < 1e18)
		snprintf(num, sizeof(num), "%.0f", v == 0 ? 0.0 : v);
	else {
		snprintf(num, sizeof(num), "%.15g", v);
		if (strtod(num, NULL) != v)
			snprintf(num, sizeof(num), "%.17g", v);
	}
	puts_(w, num);
}

void metrics_family(metrics_writer *w, const char *name, const char *type,
		    const char *help)
{
	puts_(w, "# HELP ");
	puts_(w, name);
	puts_(w, " ");
	put_escaped(w, help ? help : "", false);
	puts_(w, "\n# TYPE ");
	puts_(w, name);
	puts_(w, " ");
	puts_(w, type);
	puts_(w, "\n");
}

void metrics_sample(metrics_writer *w, const char *name,
		    const char *const *labels, double value)
{
	puts_(w, name);
	if (labels && labels[0]) {
		puts_(w, "{");
		for (size_t i = 0; labels[i] && labels[i + 1]; i += 2) {
			if (i)
				puts_(w, ",");
			puts_(w, labels[i]);
			puts_(w, "=\"");
			put_escaped(w, labels[i + 1], true);
			puts_(w, "\"");
		}
		puts_(w, "}");
	}
	puts_(w, " ");
	put_value(w, value);
	puts_(w, "\n");
}

/* ---- HTTP ---- */

/* Queues `body` (malloc'd; MHD frees it). */
static enum MHD_Result respond(struct MHD_Connection *c, unsigned status,
			       const char *type, char *body, size_t len)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *c, unsigned status,
				    const char *text)
{
	return respond(c, status, CONTENT_TYPE_TEXT, xstrdup(text), strlen(text));
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	metrics_server *m = cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return respond_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	if (!strcmp(url, "/healthz"))
		return respond_text(c, MHD_HTTP_OK, "ok\n");
	if (strcmp(url, "/metrics"))
		return respond_text(c, MHD_HTTP_NOT_FOUND, "not found; try /metrics\n");
	metrics_writer w = { 0 };
	puts_(&w, "");
	m->render(m->ctx, &w);
	return respond(c, MHD_HTTP_OK, CONTENT_TYPE_METRICS, w.buf, w.len);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	static struct log_ratelimit rl;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_ratelimited(&rl, LOG_LEVEL_WARN, "metrics: %s", msg);
}

/* ---- running MHD on the loop ---- */

static void run_mhd(metrics_server *m);

static void on_timer(void *ctx)
{
	metrics_server *m = ctx;
	m->timer = NULL;
	run_mhd(m);
}

static void arm_timer(metrics_server *m)
{
	loop_timer_cancel(m->l, m->timer);
	m->timer = NULL;
	MHD_UNSIGNED_LONG_LONG ms;
	if (MHD_get_timeout(m->d, &ms) != MHD_YES)
		return;
	if (ms > INT32_MAX)
		ms = INT32_MAX;
	m->timer = loop_timer_at(m->l, loop_now() + (int64_t)ms, on_timer, m);
}

static void run_mhd(metrics_server *m)
{
	MHD_run(m->d);
	arm_timer(m);
}

static void on_ready(void *ctx, int fd, uint32_t events)
{
	run_mhd(ctx);
}

/* ---- set-up ---- */

/* "HOST:PORT" or "[HOST]:PORT" to a socket address. */
static int resolve(const char *listen, struct sockaddr_storage *ss,
		   socklen_t *sslen, char *err, size_t errlen)
{
	const char *colon = strrchr(listen, ':');
	if (!colon || colon == listen || !colon[1]) {
		snprintf(err, errlen, "metrics: listen '%s' is not HOST:PORT", listen);
		return -1;
	}
	char *host = xstrndup(listen, (size_t)(colon - listen));
	size_t hl = strlen(host);
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV }, *res = NULL;
	int rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "metrics: listen '%s': %s", listen, gai_strerror(rc));
		free(host);
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	free(host);
	return 0;
}

static struct MHD_Daemon *start_mhd(metrics_server *m, const struct sockaddr_storage *ss)
{
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (ss->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	return MHD_start_daemon(flags, 0, NULL, NULL, on_request, m,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
				MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)ss,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
				MHD_OPTION_END);
}

metrics_server *metrics_server_new(loop *l, const char *listen,
				   metrics_render_fn render, void *ctx,
				   char *err, size_t errlen)
{
	if (!listen || !*listen || !render) {
		snprintf(err, errlen, "metrics: no listen address or no render callback");
		return NULL;
	}
	struct sockaddr_storage ss = { 0 };
	socklen_t sslen;
	if (resolve(listen, &ss, &sslen, err, errlen) < 0)
		return NULL;
	metrics_server *m = xcalloc(1, sizeof(*m));
	m->l = l;
	m->render = render;
	m->ctx = ctx;
	errno = 0;
	m->d = start_mhd(m, &ss);
	const union MHD_DaemonInfo *fdi = m->d ? MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	const union MHD_DaemonInfo *pi = m->d ? MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
	if (!fdi || !pi) {
		snprintf(err, errlen, "metrics: cannot listen on %s%s%s", listen,
			 errno ? ": " : "", errno ? strerror(errno) : "");
		metrics_server_free(&m);
		return NULL;
	}
	m->epfd = fdi->epoll_fd;
	m->port = pi->port;
	int rc = loop_watch(l, m->epfd, EPOLLIN, on_ready, m);
	if (rc < 0) {
		snprintf(err, errlen, "metrics: %s", strerror(-rc));
		metrics_server_free(&m);
		return NULL;
	}
	arm_timer(m);
	return m;
}

void metrics_server_free(metrics_server **pm)
{
	metrics_server *m = *pm;
	if (!m)
		return;
	loop_timer_cancel(m->l, m->timer);
	if (m->d) {
		loop_unwatch(m->l, m->epfd);
		MHD_stop_daemon(m->d);
	}
	free(m);
	*pm = NULL;
}

int metrics_server_port(const metrics_server *m)
{
	return m->port;
}
