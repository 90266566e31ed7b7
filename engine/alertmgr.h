/* alertmgr — alert instances and their per-target repeat schedules (DESIGN §5).
 *
 * The rule set tells the manager which alerts matched an event; the manager
 * keeps one instance per (alert, group_by values), decides when an instance
 * fires and resolves, and emits notifications through a callback.  Time is
 * injected: every call carries `now_ms` (real time in the daemon, event time
 * in replay and tests), and the manager never reads a clock, so a schedule
 * of "every 10 s, 5 times" runs instantly and deterministically in replay.
 *
 *   idle --(repeats matches within `within`)--> firing
 *   firing --(no match for resolve_after)--> resolved (-> idle)
 *   Parseable column rules resolve on the first non-matching event of the
 *   same kind instead.
 *
 * The caller drives it: alertmgr_advance(now) before each event and whenever
 * alertmgr_next_due() is reached.  Emitted notifications are handed over
 * (the callback owns them). */
#ifndef BPFALERT_ALERTMGR_H
#define BPFALERT_ALERTMGR_H

#include <stddef.h>
#include <stdint.h>

#include "alertdef.h"
#include "event.h"
#include "fields.h"
#include "notification.h"
#include "targets.h"

struct json_object;

typedef struct alertmgr alertmgr;

typedef void (*alertmgr_emit_fn)(void *ctx, notification *n);

struct alertmgr_config {
	const alert_list *alerts;
	const target_set *targets;
	size_t *const *target_map;   /* from targets_resolve */
	const field_table *fields;
	const char *node_name;
	/* The latest event an instance keeps and notifications carry, as JSON
	 * text: one over this is replaced by a small document that says so and
	 * holds its start (default 16 KiB), so no instance pins megabytes. */
	size_t max_event_bytes;
	/* All instances together (their keys and kept events): past it, new
	 * groups fold into their alert's overflow instance (default 64 MiB). */
	size_t max_state_bytes;
	alertmgr_emit_fn emit;
	void *emit_ctx;
};

struct alertmgr_stats {
	unsigned long long matches, notifications, instances_live;
	unsigned long long overflowed;   /* matches folded into an overflow instance */
};

alertmgr *alertmgr_new(const struct alertmgr_config *cfg);
void alertmgr_free(alertmgr **am);

/* Alert `alert` (index into cfg->alerts) matched `ev` at now_ms. */
void alertmgr_match(alertmgr *am, size_t alert, const event *ev,
		    const char *source, int64_t now_ms);
/* `ev` was evaluated against alert `alert` and did not match (used by
 * column rules, which resolve on the first non-matching event of a kind). */
void alertmgr_no_match(alertmgr *am, size_t alert, const event *ev,
		       int64_t now_ms);
/* Runs every repeat and resolution due at or before now_ms, in time order. */
void alertmgr_advance(alertmgr *am, int64_t now_ms);
/* The earliest pending deadline, or INT64_MAX when nothing is pending. */
int64_t alertmgr_next_due(const alertmgr *am);
/* Moves live instances of alerts whose definition did not change from
 * `old` (used on reload); `old` keeps the rest. */
void alertmgr_adopt(alertmgr *am, alertmgr *old);

/* State across restarts (DESIGN §5.3): every live instance (group values,
 * counts, match window, schedule positions per target, latest message and
 * event, capped at max_event_bytes) as one JSON document, and back.  Times
 * are wall-clock ms, so after a restart a repeat or a resolution whose time
 * passed while the daemon was down runs at the next alertmgr_advance; a
 * firing notification already made is not made again.  Import matches
 * alerts by name and number of group_by fields, and targets by name;
 * returns the number of instances restored. */
typedef int (*alertmgr_state_fn)(void *ctx, struct json_object *instance);
/* Calls fn with each instance's document in turn (borrowed: one at a time,
 * so saving holds one in memory); stops with -1 when fn returns < 0. */
int alertmgr_export_state(alertmgr *am, alertmgr_state_fn fn, void *ctx);
/* Restores one document made by export; false if it is not restored. */
bool alertmgr_import_instance(alertmgr *am, struct json_object *instance);
/* Grows whenever what export would save changes. */
unsigned long long alertmgr_changes(const alertmgr *am);

void alertmgr_get_stats(const alertmgr *am, struct alertmgr_stats *out);
size_t alertmgr_overflow_count(const alertmgr *am, size_t alert);

#endif
