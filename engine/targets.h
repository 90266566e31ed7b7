/* targets — where notifications go, resolved from alerts and configuration.
 *
 * A target_def is one configured destination: a named target of the main
 * configuration (shared by every alert naming it) or an inline target of
 * one alert.  It carries its notifier type, its configuration subtree (JSON)
 * and its repeat schedule, with Parseable's defaults: interval 200 s, times
 * 5 for webhook and Slack, unlimited (0) for Alertmanager, 1 for the local
 * types (syslog, file, stdout) and any other type unless configured: a
 * local log gains nothing from hearing of the same firing five times.
 *
 * A target's configuration may hold
 *   repeat = { interval = "10s"; times = 5; }    (times 0: unlimited)
 *   send_resolved = true;
 * which are read here; every other key belongs to the notifier.
 *
 * Ownership: a target_set owns its target_defs and their JSON. */
#ifndef BPFALERT_TARGETS_H
#define BPFALERT_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alertdef.h"
#include "diag.h"

struct json_object;

typedef struct target_def {
	char *name;                 /* configured name, or "ALERT#N" for the
				       N-th (from 1) target of alert ALERT */
	char *type;                 /* webhook, slack, alertmanager, syslog, file, stdout */
	struct json_object *cfg;    /* the target's keys */
	int64_t interval_ms;        /* repeat interval */
	unsigned times;             /* notifications per firing; 0 = unlimited */
	bool send_resolved;         /* default true */
	bool inline_def;
} target_def;

typedef struct target_set {
	target_def **v;
	size_t n, cap;
} target_set;

void target_set_clear(target_set *ts);

/* Adds a named target from the main configuration (cfg is copied).
 * Returns 0, or -1 with a reason in err (missing type, bad repeat, a name
 * already defined). */
int target_set_add_named(target_set *ts, const char *name,
			 const struct json_object *cfg, char *err, size_t errlen);

/* The index of the target called `name`, or SIZE_MAX. */
size_t target_set_find(const target_set *ts, const char *name);

/* For every alert, resolves each target_ref to an index in `ts` (inline
 * targets are added; names must exist).  Writes per-alert index arrays into
 * `map` (map[i] has alerts->v[i]->ntargets entries; caller frees with
 * target_map_free).  Unknown names and bad inline targets are errors
 * reported through `d` with the alert's file and the target's line; their
 * map entries are SIZE_MAX.  Returns the number of errors. */
unsigned targets_resolve(target_set *ts, const alert_list *alerts,
			 size_t ***map, diag *d);
void target_map_free(size_t ***map, size_t nalerts);

#endif
