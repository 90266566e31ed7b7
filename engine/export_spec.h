/* export_spec — one export's settings, checked, with its filter compiled
 * (DESIGN §12).  Built with the rest of a generation, so a bad export
 * fails `bpfalert check` and a reload like any other error.
 *
 *   type         file | parseable | http
 *   file:        path (required), max_size_mb (10), max_backups (5),
 *                compress (false): Tetragon's --export-file-* settings
 *   parseable:   endpoint (required), stream (required), username, password
 *   http:        endpoint (required), format: ndjson | json | loki |
 *                elasticsearch (ndjson); labels { k = "v"; } (loki);
 *                index, action (elasticsearch; "create")
 *   parseable, http: headers { Name = "value"; }, username, password,
 *                compression gzip | none (parseable gzip, http none),
 *                timeout (30s), skip_tls_check,
 *                batch { max_events (1000); max_bytes (10000000);
 *                        timeout ("1s") }, buffer { max_size_mb (256) },
 *                retry_max (30s: the longest backoff between attempts)
 *   every type:  allow, deny: lists of Tetragon export filters
 *                ({ event_set, namespace, pod_regex, binary_regex }),
 *                filter: an expression in the rule language,
 *                alerts_only: only events that matched an alert, with
 *                the names of those alerts in a top-level "alerts" key */
#ifndef BPFALERT_EXPORT_SPEC_H
#define BPFALERT_EXPORT_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "export_filter.h"
#include "fields.h"

struct json_object;

enum export_type { EXPORT_FILE, EXPORT_PARSEABLE, EXPORT_HTTP };
enum export_format {
	EXPORT_FORMAT_NDJSON, EXPORT_FORMAT_JSON, EXPORT_FORMAT_PARSEABLE,
	EXPORT_FORMAT_LOKI, EXPORT_FORMAT_ELASTICSEARCH,
};

struct export_spec {
	char *name;
	enum export_type type;
	export_filter *filter;
	/* file */
	char *path;
	uint64_t max_size;           /* bytes; 0: never rotate */
	unsigned max_backups;        /* 0: keep every backup */
	bool compress;
	/* parseable, http */
	char *endpoint;              /* the URL posted to */
	enum export_format format;
	char *stream;
	char *username, *password;
	char **headers;              /* "Name: value" */
	size_t nheaders;
	char *labels_json;           /* loki stream labels, a JSON object */
	char *index, *action;        /* elasticsearch */
	bool gzip, skip_tls_check;
	int64_t timeout_ms, retry_max_ms;
	size_t batch_max_events, batch_max_bytes;
	int64_t batch_timeout_ms;
	uint64_t buffer_max_bytes;
};

/* What every export counts (metrics, DESIGN §11). */
struct export_stats {
	unsigned long long events;      /* accepted by the export */
	unsigned long long bytes;       /* of those events, as sent */
	unsigned long long batches;     /* delivered (acknowledged) */
	unsigned long long retries;     /* failed attempts, each retried */
	unsigned long long dropped;     /* events lost: buffer full, refused, I/O */
	unsigned long long resent;      /* events sent again (retries, restarts) */
	unsigned long long buffer_bytes;
};

typedef struct export_specs {
	struct export_spec *v;
	size_t n;
} export_specs;

/* Checks every export of `cfg` (the configuration's `exports` group, NULL
 * if none), compiling filters against ft; reports each problem as an error
 * on `file`.  Returns the number of errors; `out` holds the valid ones. */
unsigned export_specs_load(const struct json_object *cfg, field_table *ft,
			   const char *file, diag *d, export_specs *out);
void export_specs_clear(export_specs *s);

#endif
