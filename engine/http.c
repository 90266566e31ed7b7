/* http — libcurl multi driven by the event loop; see http.h.
 *
 * curl says which sockets it wants watched (on_curl_socket) and when it next
 * needs a kick (on_curl_timer); the loop calls curl_multi_socket_action for
 * each readiness event and when the timer fires, and every completed
 * transfer is reaped there and reported to its caller.  curl must not be
 * re-entered from its own callbacks, so completions are reported only from
 * reap(), outside them. */
#include "http.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "xalloc.h"

#ifndef BPFALERT_VERSION
#define BPFALERT_VERSION "0"
#endif

#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_CONNECT_TIMEOUT_MS 5000
#define SNIPPET_MAX 200

struct xfer {
	struct xfer *prev, *next;
	CURL *easy;
	struct curl_slist *headers;
	http_done_fn done;
	void *ctx;
	char snippet[SNIPPET_MAX + 1];   /* start of the response body */
	size_t snippet_len;
	char errbuf[CURL_ERROR_SIZE];
};

struct http_client {
	loop *loop;
	CURLM *multi;
	loop_timer *timer;
	struct xfer *xfers;
	size_t in_flight;
	bool closing;
};

static void reap(http_client *c);

/* ---- loop -> curl ---- */

static void on_socket_ready(void *ctx, int fd, uint32_t events)
{
	http_client *c = ctx;
	int flags = 0;
	if (events & (EPOLLIN | EPOLLHUP))
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & EPOLLERR)
		flags |= CURL_CSELECT_ERR;
	int running;
	curl_multi_socket_action(c->multi, fd, flags, &running);
	reap(c);
}

static void on_timeout(void *ctx)
{
	http_client *c = ctx;
	c->timer = NULL;
	int running;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	reap(c);
}

/* ---- curl -> loop ---- */

static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp,
			  void *socketp)
{
	http_client *c = userp;
	if (what == CURL_POLL_REMOVE) {
		loop_unwatch(c->loop, s);
		return 0;
	}
	uint32_t events = 0;
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= EPOLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= EPOLLOUT;
	return loop_watch(c->loop, s, events, on_socket_ready, c) == 0 ? 0 : -1;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	http_client *c = userp;
	if (c->timer) {
		loop_timer_cancel(c->loop, c->timer);
		c->timer = NULL;
	}
	/* -1 deletes the timer; 0 means "as soon as possible", which the loop
	 * does on its next round (curl must not be called from here). */
	if (timeout_ms >= 0 && !c->closing)
		c->timer = loop_timer_at(c->loop, loop_now() + timeout_ms,
					 on_timeout, c);
	return 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct xfer *x = userp;
	size_t n = size * nmemb;
	size_t room = SNIPPET_MAX - x->snippet_len;
	size_t take = n < room ? n : room;
	for (size_t i = 0; i < take; i++) {
		unsigned char ch = (unsigned char)data[i];
		x->snippet[x->snippet_len++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
	}
	x->snippet[x->snippet_len] = '\0';
	return n;
}

/* ---- client ---- */

http_client *http_client_new(loop *l)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NULL;
	CURLM *m = curl_multi_init();
	if (!m) {
		curl_global_cleanup();
		return NULL;
	}
	http_client *c = xcalloc(1, sizeof(*c));
	c->loop = l;
	c->multi = m;
	curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(m, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(m, CURLMOPT_TIMERDATA, c);
	return c;
}

static void xfer_unlink(http_client *c, struct xfer *x)
{
	if (x->prev)
		x->prev->next = x->next;
	else
		c->xfers = x->next;
	if (x->next)
		x->next->prev = x->prev;
	c->in_flight--;
}

static void xfer_free(struct xfer *x)
{
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	free(x);
}

void http_client_free(http_client **cp)
{
	http_client *c = *cp;
	if (!c)
		return;
	c->closing = true;
	while (c->xfers) {
		struct xfer *x = c->xfers;
		curl_multi_remove_handle(c->multi, x->easy);
		xfer_unlink(c, x);
		x->done(x->ctx, 0, "cancelled");
		xfer_free(x);
	}
	if (c->timer)
		loop_timer_cancel(c->loop, c->timer);
	c->timer = NULL;
	curl_multi_cleanup(c->multi);
	curl_global_cleanup();
	free(c);
	*cp = NULL;
}

/* Reports one finished transfer to its caller and forgets it. */
static void finish(http_client *c, struct xfer *x, CURLcode rc)
{
	long status = 0;
	const char *error = NULL;
	if (rc == CURLE_OK) {
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		if ((status < 200 || status > 299) && x->snippet_len > 0)
			error = x->snippet;
	} else {
		error = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
	}
	curl_multi_remove_handle(c->multi, x->easy);
	xfer_unlink(c, x);
	x->done(x->ctx, status, error);
	xfer_free(x);
}

static void reap(http_client *c)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(c->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		char *priv = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		if (priv)
			finish(c, (struct xfer *)priv, m->data.result);
	}
}

static struct curl_slist *build_headers(const struct http_request *req)
{
	/* No "Expect: 100-continue" round trip before larger bodies. */
	struct curl_slist *h = curl_slist_append(NULL, "Expect:");
	if (h && req->idempotency_key) {
		char *line = xasprintf("Idempotency-Key: %s", req->idempotency_key);
		struct curl_slist *n = curl_slist_append(h, line);
		free(line);
		if (!n) {
			curl_slist_free_all(h);
			return NULL;
		}
		h = n;
	}
	for (size_t i = 0; h && i < req->nheaders; i++) {
		struct curl_slist *n = curl_slist_append(h, req->headers[i]);
		if (!n) {
			curl_slist_free_all(h);
			return NULL;
		}
		h = n;
	}
	return h;
}

static void set_options(struct xfer *x, const struct http_request *req)
{
	CURL *e = x->easy;
	curl_easy_setopt(e, CURLOPT_URL, req->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "bpfalert/" BPFALERT_VERSION);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)(req->body ? req->body_len : 0));
	curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, req->body ? req->body : "");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	long total = req->timeout_ms > 0 ? req->timeout_ms : DEFAULT_TIMEOUT_MS;
	long connect = req->connect_timeout_ms > 0 ? req->connect_timeout_ms
		       : total < DEFAULT_CONNECT_TIMEOUT_MS ? total
		       : DEFAULT_CONNECT_TIMEOUT_MS;
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, total);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, req->skip_tls_check ? 0L : 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, req->skip_tls_check ? 0L : 2L);
	if (req->username) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, req->username);
		curl_easy_setopt(e, CURLOPT_PASSWORD,
				 req->password ? req->password : "");
	}
}

int http_post(http_client *c, const struct http_request *req,
	      http_done_fn done, void *ctx)
{
	if (!c || !req || !req->url || !done || c->closing)
		return -1;
	struct xfer *x = xcalloc(1, sizeof(*x));
	x->done = done;
	x->ctx = ctx;
	x->easy = curl_easy_init();
	x->headers = build_headers(req);
	if (!x->easy || !x->headers)
		goto fail;
	set_options(x, req);
	if (curl_multi_add_handle(c->multi, x->easy) != CURLM_OK)
		goto fail;
	x->next = c->xfers;
	if (x->next)
		x->next->prev = x;
	c->xfers = x;
	c->in_flight++;
	return 0;
fail:
	if (x->easy)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	free(x);
	return -1;
}

size_t http_in_flight(const http_client *c)
{
	return c ? c->in_flight : 0;
}
