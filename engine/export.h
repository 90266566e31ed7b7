/* export — the exports of a running generation (DESIGN §12).
 *
 * Every event evaluated by the daemon (or replayed) is offered to every
 * export; each applies its filter and takes the event's JSON text.  The
 * event path never waits: a file export appends one line; the HTTP
 * exports append to their disk buffer, and batches go out on a libcurl
 * multi handle of their own, so no export delays an alert.
 *
 * Ownership: the exports borrow the specs (and their compiled filters),
 * which must outlive them. */
#ifndef BPFALERT_EXPORT_H
#define BPFALERT_EXPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "event.h"
#include "export_spec.h"
#include "loop.h"
#include "metrics.h"

typedef struct exports exports;

/* state_dir: HTTP exports buffer under state_dir/exports/NAME.  NULL with
 * a reason in err if an export cannot start. */
exports *exports_new(const export_specs *specs, loop *l, const char *state_dir,
		     char *err, size_t errlen);
/* Open batches are sealed and stay in the buffer, with everything not yet
 * acknowledged, for the next start. */
void exports_free(exports **x);

/* json: the event as one line of JSON text; alerts: the names of the
 * alerts it matched. */
void exports_submit(exports *x, const char *json, size_t len, const event *ev,
		    const char *const *alerts, size_t nalerts);
/* SIGUSR1: file exports reopen their file. */
void exports_reopen(exports *x);
/* Seals open batches now (end of input, shutdown), so they go out. */
void exports_flush(exports *x);
/* Nothing buffered, nothing in flight. */
bool exports_idle(const exports *x);
size_t exports_count(const exports *x);

void exports_render(const exports *x, metrics_writer *w);
const struct export_stats *exports_stats(const exports *x, size_t i);
const char *exports_name(const exports *x, size_t i);

#endif
