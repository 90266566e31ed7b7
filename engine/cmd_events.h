/* cmd_events — `bpfalert events` (DESIGN §9): events, one a line, shown as
 * `tetra getevents -o compact` shows them, or as compact JSON.
 *
 *   bpfalert events [-o compact|json] [--timestamps] [--color WHEN]
 *                   [-i FILE|-] [-r RULES]... [-c FILE]
 *
 * With -r (and only then: the configuration's rules_dirs are not loaded by
 * default, so a plain `events` needs no rules and shows every event the
 * same way) each event is evaluated and the alerts it matched are marked:
 * compact lines end in "  [alerts: A, B]", JSON objects get a top-level
 * "alerts" array (empty when none matched).  Malformed lines are reported
 * on stderr with their line numbers, skipped, and summed up at the end.
 * Colours as tetra's --color: auto (the default) when stdout is a
 * terminal (not with NO_COLOR or TERM=dumb), always, or never. */
#ifndef BPFALERT_CMD_EVENTS_H
#define BPFALERT_CMD_EVENTS_H

#include <stdbool.h>
#include <stdio.h>

#include "alertdef.h"
#include "fields.h"
#include "jsonl.h"

struct cli_options;

struct events_options {
	FILE *in;
	const char *in_name;        /* for reports */
	FILE *out, *report;
	bool json;                  /* -o json */
	bool color;                 /* ANSI colours in compact lines */
	bool timestamps;            /* compact lines start with the time */
	const alert_list *alerts;   /* NULL: no marking */
	const field_table *ft;      /* the alerts' table; NULL without alerts */
	bool no_prefilter;
};

/* Prints every event of o->in; fills `counters` (may be NULL) with what
 * the reader saw.  Returns 0, or -1 if writing failed. */
int events_print(const struct events_options *o, struct jsonl_counters *counters);

int cmd_events(const struct cli_options *opt);

#endif
