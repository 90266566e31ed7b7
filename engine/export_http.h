/* export_http — batches of events to Parseable or any HTTP store
 * (DESIGN §12, delivery as in §7.2).
 *
 * Events go into the export's disk buffer (export_buffer.h) as they come;
 * a batch is sealed when it holds batch.max_events events, would pass
 * batch.max_bytes, or batch.timeout after its first event, and sent:
 * one request in flight per export, so the store receives batches in
 * order.  2xx removes the batch; a connection error, timeout, 429 or 5xx
 * keeps it and retries it after an exponential backoff with jitter
 * (1 s doubling, at most retry_max); any other status refuses it for good
 * (logged, its events counted as dropped). */
#ifndef BPFALERT_EXPORT_HTTP_H
#define BPFALERT_EXPORT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "export_spec.h"
#include "http.h"
#include "loop.h"

typedef struct export_http export_http;

/* `dir` is the export's buffer directory; `st` is borrowed. */
export_http *export_http_new(const struct export_spec *s, loop *l, http_client *c,
			     const char *dir, struct export_stats *st, char *err,
			     size_t errlen);
/* Call after the HTTP client is freed (its requests cancelled). */
void export_http_free(export_http **h);

void export_http_add(export_http *h, const char *line, size_t len);
void export_http_flush(export_http *h);
bool export_http_idle(const export_http *h);

#endif
