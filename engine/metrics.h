/* metrics — the Prometheus endpoint (DESIGN §11), served with libmicrohttpd
 * inside bpfalert's own event loop (MHD's epoll descriptor is watched like
 * any other, and a loop timer follows MHD's own timeout), so the page is
 * rendered on the loop thread straight from the live counters, with no
 * locking and no thread.
 *
 *   GET /metrics   Prometheus text format 0.0.4
 *                  (Content-Type "text/plain; version=0.0.4; charset=utf-8")
 *   GET /healthz   200 "ok\n" while the daemon runs
 *   other paths    404; methods other than GET and HEAD: 405
 *
 * The daemon supplies a render callback that writes every metric through a
 * metrics_writer; it is called once per scrape.  Slow or idle clients are
 * dropped after 10 s; at most 64 connections are served at once. */
#ifndef BPFALERT_METRICS_H
#define BPFALERT_METRICS_H

#include <stddef.h>

#include "loop.h"

typedef struct metrics_server metrics_server;
typedef struct metrics_writer metrics_writer;

typedef void (*metrics_render_fn)(void *ctx, metrics_writer *w);

/* listen: "HOST:PORT", HOST an IPv4 address, a name, or an IPv6 address
 * in brackets ("127.0.0.1:9782", "[::1]:9782", "localhost:9782"); port 0
 * picks a free port.  An empty listen is the caller's "disabled" and is
 * refused here.  Returns NULL with the reason in err. */
metrics_server *metrics_server_new(loop *l, const char *listen,
				   metrics_render_fn render, void *ctx,
				   char *err, size_t errlen);
void metrics_server_free(metrics_server **m);
/* The port actually bound. */
int metrics_server_port(const metrics_server *m);

/* # HELP and # TYPE lines; type is "counter" or "gauge".  The help text is
 * escaped as the format requires (\\ and \n). */
void metrics_family(metrics_writer *w, const char *name, const char *type,
		    const char *help);
/* One sample: labels is NULL-terminated pairs {"kind","process_exec",NULL}
 * (NULL or {NULL}: no labels); label values are escaped as the text format
 * requires (\\, \", \n) and invalid UTF-8 in them is replaced by U+FFFD.
 * Integral values print without exponent or fraction ("1234"); others in
 * the shortest form that reads back exactly; NaN and infinities as
 * "NaN", "+Inf", "-Inf". */
void metrics_sample(metrics_writer *w, const char *name,
		    const char *const *labels, double value);

#endif
