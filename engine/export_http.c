#include "export_http.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "export_body.h"
#include "export_buffer.h"
#include "log.h"
#include "xalloc.h"

#define RETRY_BASE_MS 1000

/* Bodies are built (events parsed, flattened, serialised, gzipped) in a
 * thread of the export's own: for 1,000 events that is tens of
 * milliseconds of CPU, which the event loop, and so the alerts, must never
 * wait for.  The loop hands over a batch's text and is woken through an
 * eventfd when its body is ready. */
struct builder {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int efd;
	const struct export_spec *spec;
	char *text;              /* the job; NULL: none */
	size_t len;
	int64_t now_ns;
	struct export_body body; /* the result, when ready */
	bool ready, quit, started;
};

struct export_http {
	const struct export_spec *spec;
	loop *loop;
	http_client *http;
	export_buffer *buf;
	struct export_stats *st;
	loop_timer *batch_timer, *retry_timer;
	/* Two batches at most: one in flight while the next is built, so the
	 * store's answer time and the building overlap.  Batches go out in
	 * order: after a failure both are given back and taken again. */
	struct slot { uint64_t id; size_t events; } sending, next;
	bool building;           /* the builder holds `next` */
	bool discard;            /* ...and its body is to be thrown away */
	bool next_ready;         /* next_body is `next`'s */
	struct export_body next_body;
	unsigned attempts;       /* failures of the batch in flight */
	bool closing;
	struct builder b;
	struct log_ratelimit rl;
};

static void kick(export_http *h);

static void on_batch_timer(void *ctx)
{
	export_http *h = ctx;
	h->batch_timer = NULL;
	export_buffer_seal(h->buf);
	kick(h);
}

static void on_retry_timer(void *ctx)
{
	export_http *h = ctx;
	h->retry_timer = NULL;
	kick(h);
}

static int64_t backoff_ms(const export_http *h)
{
	int64_t d = RETRY_BASE_MS;
	for (unsigned i = 1; i < h->attempts && d < h->spec->retry_max_ms; i++)
		d *= 2;
	if (d > h->spec->retry_max_ms)
		d = h->spec->retry_max_ms;
	/* jitter: 75% to 125% */
	return d * 3 / 4 + (d > 1 ? random() % (d / 2 + 1) : 0);
}

/* The batch in flight failed: it and the next are given back, so that
 * they go out again in order. */
static void give_back(export_http *h)
{
	export_buffer_untake(h->buf, h->sending.id);
	h->sending = (struct slot){ 0 };
	export_buffer_untake(h->buf, h->next.id);
	h->next = (struct slot){ 0 };
	if (h->building)
		h->discard = true;
	if (h->next_ready)
		export_body_clear(&h->next_body);
	h->next_ready = false;
}

static void on_done(void *ctx, long status, const char *error)
{
	export_http *h = ctx;
	/* The client is being freed: the batch stays in the buffer. */
	if (h->closing || (status == 0 && error && !strcmp(error, "cancelled")))
		return;
	uint64_t id = h->sending.id;
	size_t events = h->sending.events;
	h->sending = (struct slot){ 0 };
	if (status >= 200 && status <= 299) {
		h->st->batches++;
		h->attempts = 0;
		export_buffer_remove(h->buf, id);
	} else if (status == 0 || status == 429 || status >= 500) {
		h->st->retries++;
		h->attempts++;
		h->sending.id = id;
		give_back(h);
		int64_t delay = backoff_ms(h);
		log_ratelimited(&h->rl, LOG_LEVEL_WARN, "export '%s': %s%ld%s%s; retrying in %lld ms",
				h->spec->name, status ? "HTTP " : "", status ? status : 0L,
				error ? ": " : "", error ? error : "", (long long)delay);
		h->retry_timer = loop_timer_at(h->loop, loop_now() + delay, on_retry_timer, h);
		return;
	} else {
		h->st->dropped += events;
		h->attempts = 0;
		log_error("export '%s': HTTP %ld%s%s: batch of %zu events refused, dropped",
			  h->spec->name, status, error ? ": " : "", error ? error : "", events);
		export_buffer_remove(h->buf, id);
	}
	kick(h);
}

static const char **request_headers(const export_http *h, const struct export_body *b,
				    char *ctype, size_t *n)
{
	const struct export_spec *s = h->spec;
	const char **v = xcalloc(s->nheaders + 5, sizeof(*v));
	snprintf(ctype, 128, "Content-Type: %s", b->content_type);
	v[(*n)++] = ctype;
	/* libcurl would wait up to a second for "100 Continue" before sending
	 * a large body, which many stores never answer: once per batch. */
	v[(*n)++] = "Expect:";
	if (s->gzip)
		v[(*n)++] = "Content-Encoding: gzip";
	for (size_t i = 0; i < s->nheaders; i++)
		v[(*n)++] = s->headers[i];
	return v;
}

static void post_body(export_http *h, struct export_body *b)
{
	const struct export_spec *s = h->spec;
	if (b->skipped)
		log_warn("export '%s': %zu lines of batch %llu are not JSON; left out",
			 s->name, b->skipped, (unsigned long long)h->sending.id);
	if (export_buffer_mark_sent(h->buf, h->sending.id))
		h->st->resent += h->sending.events;
	char ctype[128], *stream = s->stream ? xasprintf("X-P-Stream: %s", s->stream) : NULL;
	size_t nh = 0;
	const char **hdr = request_headers(h, b, ctype, &nh);
	if (stream)
		hdr[nh++] = stream;
	struct http_request req = {
		.url = s->endpoint, .body = b->data, .body_len = b->len, .headers = hdr,
		.nheaders = nh, .username = s->username, .password = s->password,
		.skip_tls_check = s->skip_tls_check, .timeout_ms = s->timeout_ms,
	};
	if (http_post(h->http, &req, on_done, h) < 0)
		on_done(h, 0, "the request could not be started");
	free(hdr);
	free(stream);
}

static void *builder_run(void *arg)
{
	struct builder *b = arg;
	pthread_mutex_lock(&b->mu);
	for (;;) {
		while (!b->text && !b->quit)
			pthread_cond_wait(&b->cv, &b->mu);
		if (b->quit)
			break;
		char *text = b->text;
		size_t len = b->len;
		int64_t now = b->now_ns;
		pthread_mutex_unlock(&b->mu);
		struct export_body body;
		export_body_build(b->spec, text, len, now, &body);
		if (b->spec->gzip && export_body_gzip(&body) < 0)
			log_warn("export '%s': gzip failed; sending uncompressed", b->spec->name);
		pthread_mutex_lock(&b->mu);
		free(b->text);
		b->text = NULL;
		b->body = body;
		b->ready = true;
		uint64_t one = 1;
		if (write(b->efd, &one, sizeof(one)) < 0)
			log_error("export '%s': cannot wake the event loop", b->spec->name);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

/* The builder has a body: post it. */
static void on_built(void *ctx, int fd, uint32_t events)
{
	export_http *h = ctx;
	uint64_t n;
	if (read(fd, &n, sizeof(n)) < 0)
		return;
	pthread_mutex_lock(&h->b.mu);
	bool ready = h->b.ready;
	struct export_body body = h->b.body;
	h->b.ready = false;
	pthread_mutex_unlock(&h->b.mu);
	if (!ready)
		return;
	h->building = false;
	if (h->discard || h->closing) {
		h->discard = false;
		export_body_clear(&body);
	} else {
		h->next_body = body;
		h->next_ready = true;
	}
	kick(h);
}

/* Takes ownership of text. */
static void build_async(export_http *h, char *text, size_t len)
{
	pthread_mutex_lock(&h->b.mu);
	h->b.text = text;
	h->b.len = len;
	h->b.now_ns = loop_wall_ms() * 1000000LL;
	pthread_cond_signal(&h->b.cv);
	pthread_mutex_unlock(&h->b.mu);
}

static int builder_start(export_http *h, char *err, size_t errlen)
{
	struct builder *b = &h->b;
	b->spec = h->spec;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	b->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (b->efd < 0 || loop_watch(h->loop, b->efd, EPOLLIN, on_built, h) < 0 ||
	    pthread_create(&b->thread, NULL, builder_run, b) != 0) {
		snprintf(err, errlen, "cannot start the batch builder");
		return -1;
	}
	b->started = true;
	return 0;
}

static void builder_stop(export_http *h)
{
	struct builder *b = &h->b;
	if (!b->spec)
		return;
	if (b->started) {
		pthread_mutex_lock(&b->mu);
		b->quit = true;
		pthread_cond_signal(&b->cv);
		pthread_mutex_unlock(&b->mu);
		pthread_join(b->thread, NULL);
	}
	if (b->efd >= 0) {
		loop_unwatch(h->loop, b->efd);
		close(b->efd);
	}
	free(b->text);
	if (b->ready)
		export_body_clear(&b->body);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
}

static void kick(export_http *h)
{
	if (h->retry_timer || h->closing)
		return;
	if (!h->sending.id && h->next_ready) {
		h->sending = h->next;
		h->next = (struct slot){ 0 };
		h->next_ready = false;
		struct export_body body = h->next_body;
		post_body(h, &body);
		export_body_clear(&body);
	}
	char *text;
	size_t len;
	bool resent;
	if (h->building || h->next.id || h->retry_timer ||
	    !export_buffer_take(h->buf, &h->next.id, &text, &len, &h->next.events, &resent))
		return;
	h->building = true;
	build_async(h, text, len);
}

static void seal_and_send(export_http *h)
{
	if (h->batch_timer)
		loop_timer_cancel(h->loop, h->batch_timer);
	h->batch_timer = NULL;
	export_buffer_seal(h->buf);
	kick(h);
}

void export_http_add(export_http *h, const char *line, size_t len)
{
	const struct export_spec *s = h->spec;
	if (export_buffer_open_events(h->buf) &&
	    export_buffer_open_bytes(h->buf) + len + 1 > s->batch_max_bytes)
		seal_and_send(h);
	if (export_buffer_append(h->buf, line, len) < 0)
		return;
	h->st->events++;
	h->st->bytes += len + 1;
	if (export_buffer_open_events(h->buf) >= s->batch_max_events)
		seal_and_send(h);
	else if (!h->batch_timer)
		h->batch_timer = loop_timer_at(h->loop, loop_now() + s->batch_timeout_ms,
					       on_batch_timer, h);
}

void export_http_flush(export_http *h)
{
	seal_and_send(h);
}

bool export_http_idle(const export_http *h)
{
	return !h->sending.id && !h->next.id && !h->building && export_buffer_empty(h->buf);
}

export_http *export_http_new(const struct export_spec *s, loop *l, http_client *c,
			     const char *dir, struct export_stats *st, char *err,
			     size_t errlen)
{
	export_http *h = xcalloc(1, sizeof(*h));
	h->spec = s;
	h->loop = l;
	h->http = c;
	h->st = st;
	h->b.efd = -1;
	h->buf = export_buffer_open(dir, s->name, s->buffer_max_bytes, st, err, errlen);
	if (!h->buf || builder_start(h, err, errlen) < 0) {
		builder_stop(h);
		export_buffer_free(&h->buf);
		free(h);
		return NULL;
	}
	h->retry_timer = loop_timer_at(l, loop_now(), on_retry_timer, h);
	return h;
}

void export_http_free(export_http **ph)
{
	export_http *h = *ph;
	if (!h)
		return;
	h->closing = true;
	if (h->batch_timer)
		loop_timer_cancel(h->loop, h->batch_timer);
	if (h->retry_timer)
		loop_timer_cancel(h->loop, h->retry_timer);
	builder_stop(h);
	if (h->next_ready)
		export_body_clear(&h->next_body);
	export_buffer_free(&h->buf);
	free(h);
	*ph = NULL;
}
