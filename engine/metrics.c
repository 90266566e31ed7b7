/* metrics — see metrics.h.
 *
 * MHD runs on a thread of its own (one epoll thread), so no number of idle,
 * slow or half-open clients can delay the event loop, and the loop being
 * busy never leaves connections unaccepted.  The page itself is rendered on
 * the loop thread, straight from the live counters: a request asks for a
 * render through an eventfd the loop watches and waits (at most
 * RENDER_WAIT_MS) for the loop to publish it.  /healthz is answered on
 * MHD's thread from what the loop last published about itself. */
#include "metrics.h"

#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
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
#define CONNECTION_LIMIT 1024
#define PER_IP_CONNECTION_LIMIT 4
#define CONNECTION_TIMEOUT_S 5
#define CONNECTION_MEMORY 16384
#define RENDER_WAIT_MS 5000
#define HEALTH_STALE_MS 10000
#define HEALTH_MAX 256

struct metrics_server {
	loop *l;
	struct MHD_Daemon *d;
	int efd;                   /* render requests, watched by the loop */
	metrics_render_fn render;
	void *ctx;
	int port;
	pthread_mutex_t mu;
	pthread_cond_t cv;         /* a page was published */
	uint64_t asked, rendered;  /* render requests, and the last one served */
	char *page;
	size_t page_len;
	int64_t beat_ms;           /* monotonic time of the loop's last turn */
	bool healthy;
	char health[HEALTH_MAX];
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

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* On MHD's thread: asks the loop for a fresh page and waits for it.
 * NULL if the loop did not answer in time. */
static char *fetch_page(metrics_server *m, size_t *len)
{
	pthread_mutex_lock(&m->mu);
	uint64_t want = ++m->asked;
	pthread_mutex_unlock(&m->mu);
	uint64_t one = 1;
	if (write(m->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return NULL;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += (RENDER_WAIT_MS % 1000) * 1000000L;
	until.tv_sec += RENDER_WAIT_MS / 1000 + until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	char *page = NULL;
	pthread_mutex_lock(&m->mu);
	while (m->rendered < want &&
	       pthread_cond_timedwait(&m->cv, &m->mu, &until) == 0)
		;
	if (m->rendered >= want && m->page) {
		page = xstrndup(m->page, m->page_len);
		*len = m->page_len;
	}
	pthread_mutex_unlock(&m->mu);
	return page;
}

static enum MHD_Result respond_health(metrics_server *m, struct MHD_Connection *c)
{
	char text[HEALTH_MAX + 96];
	pthread_mutex_lock(&m->mu);
	int64_t age = mono_ms() - m->beat_ms;
	bool ok = m->healthy && age <= HEALTH_STALE_MS;
	if (age > HEALTH_STALE_MS)
		snprintf(text, sizeof(text), "unhealthy: the event loop has not "
			 "turned for %lld ms\n", (long long)age);
	else if (!ok)
		snprintf(text, sizeof(text), "unhealthy: %s\n", m->health);
	else
		snprintf(text, sizeof(text), "ok\n");
	pthread_mutex_unlock(&m->mu);
	return respond_text(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, text);
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
		return respond_health(m, c);
	if (strcmp(url, "/metrics"))
		return respond_text(c, MHD_HTTP_NOT_FOUND, "not found; try /metrics\n");
	size_t len = 0;
	char *page = fetch_page(m, &len);
	if (!page)
		return respond_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				    "the event loop did not answer in time\n");
	return respond(c, MHD_HTTP_OK, CONTENT_TYPE_METRICS, page, len);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	static struct log_ratelimit rl;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_ratelimited(&rl, LOG_LEVEL_WARN, "metrics: %s", msg);
}

/* ---- the loop's side ---- */

/* On the loop thread: renders for every request made so far. */
static void on_render_asked(void *ctx, int fd, uint32_t events)
{
	metrics_server *m = ctx;
	uint64_t n;
	if (read(fd, &n, sizeof(n)) < 0)
		return;
	pthread_mutex_lock(&m->mu);
	uint64_t upto = m->asked;
	pthread_mutex_unlock(&m->mu);
	metrics_writer w = { 0 };
	puts_(&w, "");
	m->render(m->ctx, &w);
	pthread_mutex_lock(&m->mu);
	free(m->page);
	m->page = w.buf;
	m->page_len = w.len;
	m->rendered = upto;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
}

void metrics_server_beat(metrics_server *m, bool healthy, const char *why)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	m->beat_ms = mono_ms();
	m->healthy = healthy;
	snprintf(m->health, sizeof(m->health), "%s", why ? why : "");
	pthread_mutex_unlock(&m->mu);
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
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	if (ss->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	return MHD_start_daemon(flags, 0, NULL, NULL, on_request, m,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
				MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)ss,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				(unsigned)PER_IP_CONNECTION_LIMIT,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
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
	m->healthy = true;
	m->beat_ms = mono_ms();
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	m->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int rc = m->efd < 0 ? -errno : loop_watch(l, m->efd, EPOLLIN, on_render_asked, m);
	if (rc < 0) {
		snprintf(err, errlen, "metrics: %s", strerror(-rc));
		metrics_server_free(&m);
		return NULL;
	}
	errno = 0;
	m->d = start_mhd(m, &ss);
	const union MHD_DaemonInfo *pi = m->d ? MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
	if (!pi) {
		snprintf(err, errlen, "metrics: cannot listen on %s%s%s", listen,
			 errno ? ": " : "", errno ? strerror(errno) : "");
		metrics_server_free(&m);
		return NULL;
	}
	m->port = pi->port;
	return m;
}

void metrics_server_free(metrics_server **pm)
{
	metrics_server *m = *pm;
	if (!m)
		return;
	if (m->d)
		MHD_stop_daemon(m->d);   /* joins its thread: nothing waits any more */
	if (m->efd >= 0) {
		loop_unwatch(m->l, m->efd);
		close(m->efd);
	}
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	free(m->page);
	free(m);
	*pm = NULL;
}

int metrics_server_port(const metrics_server *m)
{
	return m->port;
}
