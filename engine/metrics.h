/* metrics — the Prometheus endpoint (DESIGN §11), served with libmicrohttpd
 * inside bpfalert's own event loop (MHD's epoll descriptor is watched like
 * any other), so the page is rendered on the loop thread straight from the
 * live counters, with no locking.
 *
 *   GET /metrics   Prometheus text format 0.0.4
 *   GET /healthz   200 "ok" while the daemon runs
 *
 * The daemon supplies a render callback that writes every metric through a
 * metrics_writer. */
#ifndef BPFALERT_METRICS_H
#define BPFALERT_METRICS_H

#include <stddef.h>

#include "loop.h"

typedef struct metrics_server metrics_server;
typedef struct metrics_writer metrics_writer;

typedef void (*metrics_render_fn)(void *ctx, metrics_writer *w);

/* listen: "HOST:PORT" (IPv4 or [IPv6]); port 0 picks a free port. */
metrics_server *metrics_server_new(loop *l, const char *listen,
				   metrics_render_fn render, void *ctx,
				   char *err, size_t errlen);
void metrics_server_free(metrics_server **m);
/* The port actually bound. */
int metrics_server_port(const metrics_server *m);

/* # HELP and # TYPE lines; type is "counter" or "gauge". */
void metrics_family(metrics_writer *w, const char *name, const char *type,
		    const char *help);
/* One sample: labels is NULL-terminated pairs {"kind","process_exec",NULL};
 * label values are escaped as the text format requires. */
void metrics_sample(metrics_writer *w, const char *name,
		    const char *const *labels, double value);

#endif
