/* syslog — notifications to the local syslog(3) or to a remote server in
 * RFC 5424 form (DESIGN §7).
 *
 * Keys: facility (default "daemon"), ident (default "bpfalert"), and
 * optionally server = "udp://host:port" or "tcp://host:port".
 *
 * Remote lines are
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME - MSGID [bpfalert@32473 alert=.. status=..
 *   severity=.. count=..] MSG
 * with MSGID "firing" or "resolved" and MSG the readable line that local
 * syslog gets too: "NAME [severity] firing: MESSAGE (3 matches)".  Control
 * characters become spaces and ill-formed UTF-8 U+FFFD, so every message
 * stays one valid line.  UDP sends one datagram per line
 * (RFC 5426).  TCP frames each line as "LEN SP LINE" (octet counting,
 * RFC 6587): non-blocking connect and writes on the loop, one connection
 * kept open and reopened on the next send after any failure; a line is
 * acknowledged once the kernel has taken all of it, and a broken
 * connection fails every queued line with RETRY so the dispatcher resends
 * them whole; a connection that makes no progress for 10 s counts as
 * broken.  PROCID is left nil so that render() — also used by dry runs —
 * gives the same bytes in every run, and APP-NAME is the ident with
 * anything but printable ASCII made '_' (at most 48 characters).
 *
 * The local form goes through openlog(ident, LOG_PID|LOG_NDELAY, facility)
 * and syslog(3); that call may block for as long as the local daemon's
 * socket is full, as it does in every program that logs this way. */
#include <errno.h>
#include <json-c/json.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "notifier.h"
#include "notifiers.h"
#include "utf8.h"
#include "xalloc.h"

#define SL_TIMEOUT_MS 10000
/* An SD-ID of our own must be name@<private enterprise number>; bpfalert
 * has none, so it uses 32473, the number reserved for documentation and
 * examples (RFC 5612). */
#define SL_SD_ID "bpfalert@32473"

enum sl_transport { SL_LOCAL, SL_UDP, SL_TCP };

struct sl_msg {
	char *frame;
	size_t len;
	notifier_done_fn done;
	void *ctx;
	struct sl_msg *next;
};

struct sl_state {
	loop *loop;
	enum sl_transport transport;
	int facility;                /* 0..23 */
	char *ident;
	char *host, *port;
	char *node_name;

	int fd;                      /* -1 when closed */
	bool connecting;             /* TCP connect in progress */
	bool flushing;               /* inside tcp_flush: sends only queue */
	struct sl_msg *head, *tail;  /* TCP: lines not yet fully written */
	size_t off;                  /* bytes of head already written */
	loop_timer *timer;           /* TCP: deadline for the next progress */
};

static const struct {
	const char *name;
	int code;
} facilities[] = {
	{ "kern", 0 }, { "user", 1 }, { "mail", 2 }, { "daemon", 3 },
	{ "auth", 4 }, { "syslog", 5 }, { "lpr", 6 }, { "news", 7 },
	{ "uucp", 8 }, { "cron", 9 }, { "authpriv", 10 }, { "ftp", 11 },
	{ "local0", 16 }, { "local1", 17 }, { "local2", 18 }, { "local3", 19 },
	{ "local4", 20 }, { "local5", 21 }, { "local6", 22 }, { "local7", 23 },
};

/* The ident openlog() holds a pointer to, so fini can let go of it. */
static const char *openlog_ident;

/* ---- configuration ---- */

/* Keys are checked, with positions, when the configuration is loaded
 * (targetcfg.c); here only what delivery needs is read. */

static int cfg_facility(const struct json_object *cfg, int *code, char *err,
			size_t errlen)
{
	const char *name = "daemon";
	if (notifier_cfg_string(cfg, "syslog", "facility", &name, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (!strcasecmp(name, facilities[i].name)) {
			*code = facilities[i].code;
			return 0;
		}
	snprintf(err, errlen, "syslog: unknown facility '%s' (kern, user, mail, "
		 "daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, "
		 "local0..local7)", name);
	return -1;
}

/* "udp://host:port" or "tcp://host:port"; an IPv6 host in brackets. */
static int parse_server(struct sl_state *s, const char *url, char *err,
			size_t errlen)
{
	const char *p = url + 6, *colon;
	if (!strncmp(url, "udp://", 6))
		s->transport = SL_UDP;
	else if (!strncmp(url, "tcp://", 6))
		s->transport = SL_TCP;
	else
		goto bad;
	if (*p == '[') {
		const char *close = strchr(p, ']');
		if (!close || close == p + 1 || close[1] != ':')
			goto bad;
		s->host = xasprintf("%.*s", (int)(close - p - 1), p + 1);
		colon = close + 1;
	} else {
		colon = strrchr(p, ':');
		if (!colon || colon == p || strcspn(p, "/@[]:") < (size_t)(colon - p))
			goto bad;
		s->host = xasprintf("%.*s", (int)(colon - p), p);
	}
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end || port < 1 || port > 65535)
		goto bad;
	s->port = xasprintf("%ld", port);
	return 0;
bad:
	snprintf(err, errlen, "syslog: 'server' must be udp://host:port or "
		 "tcp://host:port, not '%s'", url);
	return -1;
}

static void sl_free_state(struct sl_state *s);

static int sl_init(const struct json_object *cfg, const struct notifier_env *env,
		   void **state, char *err, size_t errlen)
{
	if (!cfg || !json_object_is_type(cfg, json_type_object)) {
		snprintf(err, errlen, "syslog: configuration must be an object");
		return -1;
	}
	struct sl_state *s = xcalloc(1, sizeof(*s));
	const char *server = NULL, *ident = "bpfalert";
	s->fd = -1;
	s->loop = env ? env->loop : NULL;
	s->node_name = xstrdup(env && env->node_name ? env->node_name : "");
	if (notifier_cfg_string(cfg, "syslog", "server", &server, err, errlen) < 0 ||
	    notifier_cfg_string(cfg, "syslog", "ident", &ident, err, errlen) < 0 ||
	    cfg_facility(cfg, &s->facility, err, errlen) < 0 ||
	    (server && parse_server(s, server, err, errlen) < 0))
		goto fail;
	if (!*ident) {
		snprintf(err, errlen, "syslog: 'ident' must not be empty");
		goto fail;
	}
	s->ident = xstrdup(ident);
	if (s->transport == SL_TCP && !s->loop) {
		snprintf(err, errlen, "syslog: a TCP server needs the event loop");
		goto fail;
	}
	*state = s;
	return 0;
fail:
	sl_free_state(s);
	return -1;
}

/* ---- the message ---- */

static int sl_severity(const notification *n)
{
	if (n->status == NOTIFY_RESOLVED)
		return LOG_NOTICE;
	switch (n->severity) {
	case SEVERITY_CRITICAL: return LOG_CRIT;
	case SEVERITY_WARNING: return LOG_WARNING;
	default: return LOG_INFO;
	}
}

/* Appends `s` as valid UTF-8 on one line: control characters become
 * spaces, ill-formed bytes U+FFFD, and with `sd` set the characters RFC
 * 5424 reserves in a PARAM-VALUE ('"', '\' and ']') are escaped. */
static void put_text(FILE *f, const char *s, bool sd)
{
	size_t len = s ? strlen(s) : 0;
	while (len > 0) {
		size_t ok = utf8_check(s, len);
		for (size_t i = 0; i < ok; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c < 0x20 || c == 0x7f)
				c = ' ';
			else if (sd && (c == '"' || c == '\\' || c == ']'))
				fputc('\\', f);
			fputc(c, f);
		}
		if (ok == len)
			break;
		fputs("\xEF\xBF\xBD", f);
		s += ok + 1;
		len -= ok + 1;
	}
}

/* The readable line: "NAME [severity] firing: MESSAGE (3 matches)". */
static void put_msg(FILE *f, const notification *n)
{
	put_text(f, n->alert, false);
	fprintf(f, " [%s] %s: ", severity_name(n->severity),
		notification_status_name(n->status));
	put_text(f, n->message, false);
	if (n->status == NOTIFY_FIRING && n->count > 1)
		fprintf(f, " (%u matches)", n->count);
}

/* HOSTNAME and APP-NAME are 1*255 and 1*48 printable US-ASCII
 * characters, or "-". */
static void put_header_field(FILE *f, const char *v, size_t max)
{
	size_t n = v ? strlen(v) : 0;
	if (!n) {
		fputc('-', f);
		return;
	}
	for (size_t i = 0; i < n && i < max; i++)
		fputc(v[i] > ' ' && v[i] < 0x7f ? v[i] : '_', f);
}

static void put_rfc5424(FILE *f, const struct sl_state *s, const notification *n)
{
	char ts[32] = "-";
	if (n->time_ms > 0)
		notifier_format_time(n->time_ms, ts);
	fprintf(f, "<%d>1 %s ", s->facility * 8 + sl_severity(n), ts);
	put_header_field(f, n->node && *n->node ? n->node : s->node_name, 255);
	fputc(' ', f);
	put_header_field(f, s->ident, 48);
	fprintf(f, " - %s [" SL_SD_ID " alert=\"",
		notification_status_name(n->status));
	put_text(f, n->alert, true);
	fprintf(f, "\" status=\"%s\" severity=\"%s\" count=\"%u\"] ",
		notification_status_name(n->status), severity_name(n->severity),
		n->count);
	put_msg(f, n);
}

static char *sl_render(void *state, const notification *n)
{
	const struct sl_state *s = state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort(); /* out of memory, as xmalloc would */
	if (s->transport == SL_LOCAL)
		put_msg(f, n);
	else
		put_rfc5424(f, s, n);
	fclose(f);
	return buf;
}

/* ---- local syslog(3) ---- */

static void send_local(struct sl_state *s, const notification *n,
		       notifier_done_fn done, void *ctx)
{
	char *msg = sl_render(s, n);
	/* openlog() is per process: re-aim it when another syslog target
	 * (another ident) used it last. */
	if (openlog_ident != s->ident) {
		openlog(s->ident, LOG_PID | LOG_NDELAY, s->facility << 3);
		openlog_ident = s->ident;
	}
	syslog((s->facility << 3) | sl_severity(n), "%s", msg);
	free(msg);
	done(ctx, DELIVERY_OK, "logged");
}

/* ---- sockets ---- */

/* Resolves on every (re)connect so that a server that moved is found
 * again; numeric addresses do not touch the resolver. */
static int open_socket(struct sl_state *s, int type, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = type }, *ai;
	int r = getaddrinfo(s->host, s->port, &hints, &ai);
	if (r) {
		snprintf(err, errlen, "%s: %s", s->host, gai_strerror(r));
		return -1;
	}
	int fd = socket(ai->ai_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
			ai->ai_protocol);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
	    errno != EINPROGRESS) {
		snprintf(err, errlen, "connect %s:%s: %s", s->host, s->port,
			 strerror(errno));
		close(fd);
		fd = -1;
	} else if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
	}
	freeaddrinfo(ai);
	return fd;
}

static void send_udp(struct sl_state *s, const notification *n,
		     notifier_done_fn done, void *ctx)
{
	char err[256];
	if (s->fd < 0 && (s->fd = open_socket(s, SOCK_DGRAM, err, sizeof(err))) < 0) {
		done(ctx, DELIVERY_RETRY, err);
		return;
	}
	char *line = sl_render(s, n);
	size_t len = strlen(line);
	ssize_t w = send(s->fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	free(line);
	if (w == (ssize_t)len) {
		done(ctx, DELIVERY_OK, "sent");
		return;
	}
	snprintf(err, sizeof(err), "send to %s:%s: %s", s->host, s->port,
		 w < 0 ? strerror(errno) : "datagram cut short");
	if (w < 0 && errno == EMSGSIZE) {
		done(ctx, DELIVERY_FAIL, err);
		return;
	}
	/* A refused datagram reports an earlier ICMP error; start afresh. */
	close(s->fd);
	s->fd = -1;
	done(ctx, DELIVERY_RETRY, err);
}

/* ---- TCP ---- */

static void tcp_event(void *ctx, int fd, uint32_t events);
static void tcp_timeout(void *ctx);

static void tcp_arm_timer(struct sl_state *s)
{
	if (s->timer)
		loop_timer_cancel(s->loop, s->timer);
	s->timer = loop_timer_at(s->loop, loop_now() + SL_TIMEOUT_MS, tcp_timeout, s);
}

static void tcp_disarm_timer(struct sl_state *s)
{
	if (s->timer)
		loop_timer_cancel(s->loop, s->timer);
	s->timer = NULL;
}

static void tcp_close(struct sl_state *s)
{
	if (s->fd >= 0) {
		loop_unwatch(s->loop, s->fd);
		close(s->fd);
	}
	s->fd = -1;
	s->connecting = false;
	s->off = 0;
	tcp_disarm_timer(s);
}

/* Closes the connection and fails every queued line.  The queue is taken
 * first: a done callback may send again, which then opens a new one. */
static void tcp_fail(struct sl_state *s, const char *why)
{
	struct sl_msg *m = s->head;
	s->head = s->tail = NULL;
	tcp_close(s);
	while (m) {
		struct sl_msg *next = m->next;
		m->done(m->ctx, DELIVERY_RETRY, why);
		free(m->frame);
		free(m);
		m = next;
	}
}

/* Writes queued lines until the socket is full or the queue empty.  A
 * done callback may send again: the line is queued and written by this
 * same loop, not by a nested one. */
static void tcp_flush(struct sl_state *s)
{
	if (s->flushing)
		return;
	s->flushing = true;
	while (s->head) {
		struct sl_msg *m = s->head;
		ssize_t w = send(s->fd, m->frame + s->off, m->len - s->off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			s->flushing = false;
			loop_watch(s->loop, s->fd, EPOLLIN | EPOLLOUT, tcp_event, s);
			return;
		}
		if (w < 0) {
			char why[160];
			snprintf(why, sizeof(why), "send to %s:%s: %s", s->host,
				 s->port, strerror(errno));
			s->flushing = false;
			tcp_fail(s, why);
			return;
		}
		tcp_arm_timer(s);
		s->off += (size_t)w;
		if (s->off < m->len)
			continue;
		s->head = m->next;
		if (!s->head)
			s->tail = NULL;
		s->off = 0;
		m->done(m->ctx, DELIVERY_OK, "sent");
		free(m->frame);
		free(m);
	}
	s->flushing = false;
	/* Idle: watch for the server closing, so the next line is not
	 * written into a dead connection. */
	tcp_disarm_timer(s);
	loop_watch(s->loop, s->fd, EPOLLIN, tcp_event, s);
}

static void tcp_connected(struct sl_state *s)
{
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
		soerr = errno;
	if (soerr) {
		char why[160];
		snprintf(why, sizeof(why), "connect %s:%s: %s", s->host, s->port,
			 strerror(soerr));
		tcp_fail(s, why);
		return;
	}
	s->connecting = false;
	tcp_flush(s);
}

static void tcp_event(void *ctx, int fd, uint32_t events)
{
	struct sl_state *s = ctx;
	if (s->connecting) {
		tcp_connected(s);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		/* Syslog servers never answer: readable means closed or reset. */
		char buf[512];
		ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
			tcp_fail(s, r == 0 ? "connection closed by the server"
					   : strerror(errno));
			return;
		}
	}
	if (events & EPOLLOUT)
		tcp_flush(s);
}

static void tcp_timeout(void *ctx)
{
	struct sl_state *s = ctx;
	s->timer = NULL;
	tcp_fail(s, s->connecting ? "connect timed out" : "send timed out");
}

static void send_tcp(struct sl_state *s, const notification *n,
		     notifier_done_fn done, void *ctx)
{
	char *line = sl_render(s, n);
	struct sl_msg *m = xcalloc(1, sizeof(*m));
	m->frame = xasprintf("%zu %s", strlen(line), line);
	m->len = strlen(m->frame);
	m->done = done;
	m->ctx = ctx;
	free(line);
	if (s->tail)
		s->tail->next = m;
	else
		s->head = m;
	s->tail = m;

	if (s->fd < 0) {
		char err[256];
		s->fd = open_socket(s, SOCK_STREAM, err, sizeof(err));
		if (s->fd < 0) {
			tcp_fail(s, err);
			return;
		}
		s->connecting = true;
		tcp_arm_timer(s);
		loop_watch(s->loop, s->fd, EPOLLOUT, tcp_event, s);
	} else if (!s->connecting) {
		tcp_flush(s);
	}
}

/* ---- the notifier ---- */

static void sl_send(void *state, const notification *n, notifier_done_fn done,
		    void *ctx)
{
	struct sl_state *s = state;
	switch (s->transport) {
	case SL_LOCAL: send_local(s, n, done, ctx); break;
	case SL_UDP: send_udp(s, n, done, ctx); break;
	case SL_TCP: send_tcp(s, n, done, ctx); break;
	}
}

/* Queued lines are abandoned without a callback: they stay in the spool. */
static void sl_free_state(struct sl_state *s)
{
	if (!s)
		return;
	if (s->transport == SL_TCP)
		tcp_close(s);
	else if (s->fd >= 0)
		close(s->fd);
	while (s->head) {
		struct sl_msg *next = s->head->next;
		free(s->head->frame);
		free(s->head);
		s->head = next;
	}
	if (openlog_ident && openlog_ident == s->ident) {
		closelog();
		openlog_ident = NULL;
	}
	free(s->ident);
	free(s->host);
	free(s->port);
	free(s->node_name);
	free(s);
}

static void sl_fini(void *state)
{
	sl_free_state(state);
}

const struct notifier_ops notifier_syslog = {
	.type = "syslog",
	.init = sl_init,
	.render = sl_render,
	.send = sl_send,
	.reopen = NULL,
	.fini = sl_fini,
};
