#include "export_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export_body.h"
#include "export_buffer.h"
#include "log.h"
#include "xalloc.h"

#define RETRY_BASE_MS 1000

struct export_http {
	const struct export_spec *spec;
	loop *loop;
	http_client *http;
	export_buffer *buf;
	struct export_stats *st;
	loop_timer *batch_timer, *retry_timer;
	bool in_flight;
	uint64_t sending_id;
	size_t sending_events;
	unsigned attempts;       /* failures of the batch in flight */
	bool closing;
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

static void on_done(void *ctx, long status, const char *error)
{
	export_http *h = ctx;
	h->in_flight = false;
	/* The client is being freed: the batch stays in the buffer. */
	if (h->closing || (status == 0 && error && !strcmp(error, "cancelled")))
		return;
	if (status >= 200 && status <= 299) {
		h->st->batches++;
		h->attempts = 0;
		export_buffer_remove(h->buf, h->sending_id);
	} else if (status == 0 || status == 429 || status >= 500) {
		h->st->retries++;
		h->attempts++;
		export_buffer_untake(h->buf, h->sending_id);
		int64_t delay = backoff_ms(h);
		log_ratelimited(&h->rl, LOG_LEVEL_WARN, "export '%s': %s%ld%s%s; retrying in %lld ms",
				h->spec->name, status ? "HTTP " : "", status ? status : 0L,
				error ? ": " : "", error ? error : "", (long long)delay);
		h->retry_timer = loop_timer_at(h->loop, loop_now() + delay, on_retry_timer, h);
		return;
	} else {
		h->st->dropped += h->sending_events;
		h->attempts = 0;
		log_error("export '%s': HTTP %ld%s%s: batch of %zu events refused, dropped",
			  h->spec->name, status, error ? ": " : "", error ? error : "",
			  h->sending_events);
		export_buffer_remove(h->buf, h->sending_id);
	}
	kick(h);
}

static const char **request_headers(const export_http *h, const struct export_body *b,
				    char *ctype, size_t *n)
{
	const struct export_spec *s = h->spec;
	const char **v = xcalloc(s->nheaders + 4, sizeof(*v));
	snprintf(ctype, 128, "Content-Type: %s", b->content_type);
	v[(*n)++] = ctype;
	if (s->gzip)
		v[(*n)++] = "Content-Encoding: gzip";
	for (size_t i = 0; i < s->nheaders; i++)
		v[(*n)++] = s->headers[i];
	return v;
}

static void send_batch(export_http *h, const char *text, size_t len)
{
	const struct export_spec *s = h->spec;
	struct export_body b;
	export_body_build(s, text, len, loop_wall_ms() * 1000000LL, &b);
	if (b.skipped)
		log_warn("export '%s': %zu lines of batch %llu are not JSON; left out",
			 s->name, b.skipped, (unsigned long long)h->sending_id);
	if (s->gzip && export_body_gzip(&b) < 0)
		log_warn("export '%s': gzip failed; sending uncompressed", s->name);
	char ctype[128], *stream = s->stream ? xasprintf("X-P-Stream: %s", s->stream) : NULL;
	size_t nh = 0;
	const char **hdr = request_headers(h, &b, ctype, &nh);
	if (stream)
		hdr[nh++] = stream;
	struct http_request req = {
		.url = s->endpoint, .body = b.data, .body_len = b.len, .headers = hdr,
		.nheaders = nh, .username = s->username, .password = s->password,
		.skip_tls_check = s->skip_tls_check, .timeout_ms = s->timeout_ms,
	};
	h->in_flight = true;
	if (http_post(h->http, &req, on_done, h) < 0)
		on_done(h, 0, "the request could not be started");
	free(hdr);
	free(stream);
	export_body_clear(&b);
}

static void kick(export_http *h)
{
	if (h->in_flight || h->retry_timer || h->closing)
		return;
	char *text;
	size_t len;
	bool resent;
	if (!export_buffer_take(h->buf, &h->sending_id, &text, &len, &h->sending_events,
				&resent))
		return;
	if (resent)
		h->st->resent += h->sending_events;
	send_batch(h, text, len);
	free(text);
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
	return !h->in_flight && export_buffer_empty(h->buf);
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
	h->buf = export_buffer_open(dir, s->name, s->buffer_max_bytes, st, err, errlen);
	if (!h->buf) {
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
	export_buffer_free(&h->buf);
	free(h);
	*ph = NULL;
}
