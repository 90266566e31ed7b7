/* export_body — the request body of one batch, in the export's format.
 *
 * A batch is held as events, one JSON text a line; the body is built when
 * the batch is sent, so the buffer is the same whatever the format:
 *
 *   ndjson          the lines as they are (Content-Type application/x-ndjson)
 *   json            [e1,e2,...]
 *   parseable       [f1,f2,...], each event flattened as Parseable does
 *                   (export_parseable.h)
 *   loki            {"streams":[{"stream":LABELS,"values":[["<ns>","<event>"],...]}]},
 *                   <ns> the event's "time" in nanoseconds (the time of
 *                   sending when it has none)
 *   elasticsearch   _bulk: {"ACTION":{"_index":"INDEX"}}\n<event>\n per event
 *
 * A line that is not JSON (never written by bpfalert) is left out of the
 * formats that parse events, and counted. */
#ifndef BPFALERT_EXPORT_BODY_H
#define BPFALERT_EXPORT_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "export_spec.h"

struct export_body {
	char *data;
	size_t len;
	const char *content_type;
	size_t skipped;        /* lines left out: not JSON */
};

/* now_ns: the time used for events without one. */
void export_body_build(const struct export_spec *s, const char *lines, size_t len,
		       int64_t now_ns, struct export_body *out);
/* Replaces the body with its gzip encoding.  0, or -1 (left as it was). */
int export_body_gzip(struct export_body *b);
void export_body_clear(struct export_body *b);

#endif
