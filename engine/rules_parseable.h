/* rules_parseable — Parseable alert files, unchanged (DESIGN §6.1).
 *
 *   {"version":"v1","alerts":[{"id":..., "name":..., "message":...,
 *     "rule":{"type":"composite","config":"<expression>"}
 *          | {"type":"column","config":{"column","operator","value",
 *                                        "repeats","ignoreCase"}},
 *     "targets":[{"type":"webhook"|"slack"|"alertmanager", "endpoint",
 *                 "headers", "skip_tls_check", "repeat":{"interval","times"}}]
 *   }]}
 *
 * The document is parsed strictly (as Parseable's serde does), then each
 * alert is checked by alertdef_load_all with Parseable's defaults: the
 * stream is the file name without .json, webhooks send Parseable's text
 * body, and keys Parseable knows but bpfalert does not use ("id") are kept
 * in alert_def.extra.  bpfalert's own alert keys (severity, group_by, ...)
 * are accepted too. */
#ifndef BPFALERT_RULES_PARSEABLE_H
#define BPFALERT_RULES_PARSEABLE_H

#include <stddef.h>

#include "alertdef.h"
#include "diag.h"
#include "fields.h"

/* Loads the alerts of `text` (the content of `file`).  Appends every alert
 * without errors to `out`; returns the errors. */
unsigned rules_parseable_parse(const char *file, const char *text, size_t len,
			       field_table *ft, diag *d, alert_list *out);

/* The stream name of a Parseable file: its base name without ".json".
 * Returns a malloc'd string. */
char *rules_parseable_stream(const char *file);

#endif
