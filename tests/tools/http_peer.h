/* A small HTTP/1.1 receiver for the chaos tests, written here so that each
 * test controls exactly how the peer misbehaves: answer at once, accept and
 * never answer, or answer one byte a second.  It listens on 127.0.0.1 on a
 * free port; every connection gets a thread; keep-alive is honoured.  Each
 * request is recorded (its Idempotency-Key header and body) before it is
 * answered.  Header-only (static functions). */
#ifndef BPFALERT_HTTP_PEER_H
#define BPFALERT_HTTP_PEER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xalloc.h"

#define HP_UNUSED __attribute__((unused))

enum peer_mode {
	PEER_OK,          /* 200 at once */
	PEER_HANG,        /* read the request, never answer */
	PEER_SLOW,        /* 200, one byte a second */
	PEER_HANG_FIRST,  /* the first request hangs, the others get 200 */
};

struct peer_request {
	char *key;        /* Idempotency-Key, or "" */
	char *body;
};

struct peer {
	int lfd, port;
	_Atomic int mode;
	atomic_bool stop;
	atomic_int threads;
	atomic_int requests_seen;
	pthread_t acceptor;
	pthread_mutex_t mu;
	struct peer_request *req;
	size_t nreq, capreq;
};

struct peer_conn {
	struct peer *p;
	int fd;
};

/* Reads into buf until `want` bytes or the peer stops; false on EOF/stop. */
static HP_UNUSED bool peer_read_more(struct peer_conn *c, char *buf, size_t *len,
				     size_t cap)
{
	while (!atomic_load(&c->p->stop)) {
		struct pollfd pf = { .fd = c->fd, .events = POLLIN };
		if (poll(&pf, 1, 100) <= 0)
			continue;
		ssize_t n = read(c->fd, buf + *len, cap - *len);
		if (n <= 0)
			return false;
		*len += (size_t)n;
		return true;
	}
	return false;
}

static HP_UNUSED char *peer_header(const char *head, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
		if (!strncasecmp(p + 2, name, nl) && p[2 + nl] == ':') {
			const char *v = p + 3 + nl;
			while (*v == ' ')
				v++;
			return xstrndup(v, strcspn(v, "\r\n"));
		}
	}
	return xstrdup("");
}

static HP_UNUSED void peer_record(struct peer *p, const char *head, const char *body,
				  size_t blen)
{
	pthread_mutex_lock(&p->mu);
	p->req = xgrow(p->req, &p->capreq, p->nreq + 1, sizeof(*p->req));
	p->req[p->nreq].key = peer_header(head, "Idempotency-Key");
	p->req[p->nreq].body = xstrndup(body, blen);
	p->nreq++;
	pthread_mutex_unlock(&p->mu);
}

static HP_UNUSED void peer_hold(struct peer_conn *c)
{
	char sink[4096];
	while (!atomic_load(&c->p->stop)) {
		struct pollfd pf = { .fd = c->fd, .events = POLLIN };
		if (poll(&pf, 1, 100) == 1 && read(c->fd, sink, sizeof(sink)) <= 0)
			return;
	}
}

static HP_UNUSED bool peer_answer(struct peer_conn *c, int mode)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	if (mode == PEER_HANG) {
		peer_hold(c);
		return false;
	}
	if (mode != PEER_SLOW)
		return send(c->fd, ok, sizeof(ok) - 1, MSG_NOSIGNAL) == (ssize_t)sizeof(ok) - 1;
	for (size_t i = 0; i < sizeof(ok) - 1 && !atomic_load(&c->p->stop); i++) {
		if (send(c->fd, ok + i, 1, MSG_NOSIGNAL) != 1)
			return false;
		for (int t = 0; t < 10 && !atomic_load(&c->p->stop); t++)
			usleep(100000);
	}
	return false;
}

static HP_UNUSED void *peer_conn_main(void *arg)
{
	struct peer_conn *c = arg;
	size_t cap = 1 << 22, len = 0;
	char *buf = xmalloc(cap + 1);
	for (;;) {
		char *end;
		buf[len] = '\0';
		while (!(end = strstr(buf, "\r\n\r\n"))) {
			if (len == cap || !peer_read_more(c, buf, &len, cap))
				goto out;
			buf[len] = '\0';
		}
		size_t hlen = (size_t)(end - buf) + 4;
		char *head = xstrndup(buf, hlen);
		char *cl = peer_header(head, "Content-Length");
		size_t blen = strtoul(cl, NULL, 10);
		free(cl);
		while (len < hlen + blen && len < cap)
			if (!peer_read_more(c, buf, &len, cap)) {
				free(head);
				goto out;
			}
		peer_record(c->p, head, buf + hlen, blen);
		free(head);
		int seen = atomic_fetch_add(&c->p->requests_seen, 1);
		int mode = atomic_load(&c->p->mode);
		if (mode == PEER_HANG_FIRST)
			mode = seen == 0 ? PEER_HANG : PEER_OK;
		if (!peer_answer(c, mode))
			break;
		memmove(buf, buf + hlen + blen, len - hlen - blen);
		len -= hlen + blen;
	}
out:
	close(c->fd);
	free(buf);
	atomic_fetch_sub(&c->p->threads, 1);
	free(c);
	return NULL;
}

static HP_UNUSED void *peer_accept_main(void *arg)
{
	struct peer *p = arg;
	while (!atomic_load(&p->stop)) {
		struct pollfd pf = { .fd = p->lfd, .events = POLLIN };
		if (poll(&pf, 1, 100) != 1)
			continue;
		int fd = accept(p->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		struct peer_conn *c = xcalloc(1, sizeof(*c));
		c->p = p;
		c->fd = fd;
		atomic_fetch_add(&p->threads, 1);
		pthread_t th;
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&at, 256 * 1024);
		if (pthread_create(&th, &at, peer_conn_main, c) != 0) {
			close(fd);
			free(c);
			atomic_fetch_sub(&p->threads, 1);
		}
		pthread_attr_destroy(&at);
	}
	return NULL;
}

static HP_UNUSED struct peer *peer_start(enum peer_mode mode)
{
	struct peer *p = xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	atomic_store(&p->mode, (int)mode);
	p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	if (bind(p->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(p->lfd, 512) < 0 ||
	    getsockname(p->lfd, (struct sockaddr *)&sa, &sl) < 0)
		abort();
	p->port = ntohs(sa.sin_port);
	pthread_create(&p->acceptor, NULL, peer_accept_main, p);
	return p;
}

/* Requests recorded so far. */
static HP_UNUSED size_t peer_count(struct peer *p)
{
	pthread_mutex_lock(&p->mu);
	size_t n = p->nreq;
	pthread_mutex_unlock(&p->mu);
	return n;
}

static HP_UNUSED void peer_stop(struct peer **pp)
{
	struct peer *p = *pp;
	atomic_store(&p->stop, true);
	pthread_join(p->acceptor, NULL);
	while (atomic_load(&p->threads) > 0)
		usleep(10000);
	close(p->lfd);
	for (size_t i = 0; i < p->nreq; i++) {
		free(p->req[i].key);
		free(p->req[i].body);
	}
	free(p->req);
	pthread_mutex_destroy(&p->mu);
	free(p);
	*pp = NULL;
}

#endif
