/* dryrun — events through rules and alert schedules on a virtual clock,
 * sending nothing (DESIGN §9 `replay --dry-run`, and `bpfalert test`).
 *
 * The clock is the events' own `time` (an event without one keeps the
 * previous time; the clock never goes back).  Before each event every
 * repeat and resolution due by its time runs; after the last event the
 * clock runs on until nothing is pending, so a schedule of "every 10 s,
 * 5 times" and a 5 minute resolution complete at once.  Each notification
 * is rendered by its target's notifier exactly as it would be sent, and
 * handed out in virtual-time order (ties in the order they arose).
 *
 * Ownership: the driver borrows everything in its options, which must
 * outlive it. */
#ifndef BPFALERT_DRYRUN_H
#define BPFALERT_DRYRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "alertdef.h"
#include "fields.h"
#include "jsonl.h"
#include "notification.h"
#include "targets.h"

enum dryrun_format {
	DRYRUN_JSON,  /* {"time","alert","status","target","seq","of","count","body"} */
	DRYRUN_TEXT,  /* one human line per notification */
};

struct dryrun_options {
	const alert_list *alerts;
	const field_table *fields;
	const target_set *targets;
	size_t *const *target_map;   /* from targets_resolve */
	const char *node_name;       /* NULL: "" */
	const char *source;          /* NULL: "tetragon" */
	bool no_prefilter;           /* evaluate every rule on every event */
	size_t max_event_bytes;      /* 0: the alert manager's default */

	FILE *in;                    /* dryrun_run: JSON lines */
	const char *in_name;         /* for reports: "events.jsonl:17: ..." */
	FILE *out;                   /* dryrun_run: the notifications */
	enum dryrun_format format;
	FILE *report;                /* malformed lines, target problems; may be NULL */
	struct jsonl_counters *counters; /* dryrun_run: if set, receives the
					    input's line counts at the end */
};

/* Replays opt->in and prints every notification to opt->out.  Returns 0,
 * or -1 if the output could not be written. */
int dryrun_run(const struct dryrun_options *opt);

/* The pieces, for drivers that place events in time themselves. */
typedef struct dryrun dryrun;

/* Receives each notification and the body its target would send; both
 * stay owned by the driver. */
typedef void (*dryrun_sink_fn)(void *ctx, const notification *n,
			       const char *body);

dryrun *dryrun_new(const struct dryrun_options *opt, dryrun_sink_fn sink,
		   void *ctx);
void dryrun_free(dryrun **dr);

/* Parses one JSON event (line `lineno` of `name`).  Returns 0, or -1 after
 * reporting why it is not an event. */
int dryrun_parse(dryrun *dr, const char *text, size_t len, const char *name,
		 size_t lineno);
/* The parsed event's own time in ms; false if it has none. */
bool dryrun_event_time(const dryrun *dr, int64_t *ms);
/* Runs what is due by at_ms, then the parsed event at at_ms (the clock
 * never goes back: an earlier time counts as the current one). */
void dryrun_process(dryrun *dr, int64_t at_ms);
/* Called after each event has been evaluated, with the names of the
 * alerts it matched (replay hands the event to the exports). */
struct event;
typedef void (*dryrun_event_fn)(void *ctx, const struct event *ev,
				const char *const *alerts, size_t nalerts);
void dryrun_on_event(dryrun *dr, dryrun_event_fn fn, void *ctx);

/* Runs every remaining repeat and resolution. */
void dryrun_finish(dryrun *dr);
/* The virtual clock (INT64_MIN before the first event). */
int64_t dryrun_clock(const dryrun *dr);

/* One output line for a notification, as dryrun_run prints it. */
void dryrun_print(FILE *out, enum dryrun_format format, const notification *n,
		  const char *body);

#endif
