/* metrics — the Prometheus endpoint (DESIGN §11), served with libmicrohttpd
 * on a thread of its own; the page is rendered on the event-loop thread
 * (asked for through an eventfd the loop watches), straight from the live
 * counters, so rendering needs no locking.
 *
 *   GET /metrics   Prometheus text format 0.0.4
 *                  (Content-Type "text/plain; version=0.0.4; charset=utf-8");
 *                  503 if the loop does not render within 5 s
 *   GET /healthz   200 "ok\n" while the event loop turns (metrics_server_beat
 *                  within the last 10 s) and reported itself healthy; else 503
 *                  "unhealthy: <why>\n"
 *   other paths    404; methods other than GET and HEAD: 405
 *
 * Exposure: at most 1024 connections, 4 per client address, each closed
 * after 5 s without progress and limited to 16 KiB of request; none of that
 * can hold up the event loop, and clients beyond one address's share are
 * turned away at once instead of waiting in the listen queue. */
#ifndef BPFALERT_METRICS_H
#define BPFALERT_METRICS_H

#include <stdbool.h>
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
/* From the loop thread, once per turn: the loop is alive, and whether the
 * daemon is healthy (sources alive, probes attached) with the reason if not. */
void metrics_server_beat(metrics_server *m, bool healthy, const char *why);
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
