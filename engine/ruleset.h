/* ruleset — every loaded alert's rule, indexed by the events it can match.
 *
 * An event runs only the rules that can be true on it (DESIGN §4.4).  The
 * index key is the event's top-level keys: a rule whose anchor fields are F1..Fn
 * (rule_program_anchors) can be true only if the event has a top-level key
 * equal to F or to a prefix of F ending before a '_', for some F; rules
 * without anchors run on every event.  The rules to run for a given set of
 * top-level keys are merged once and cached.  Prefiltering never changes a
 * result: it can be switched off to compare.
 *
 * Per-rule cost (evaluations, matches, time) is counted.  Time is sampled:
 * the rules of one event in RULESET_TIMING_EVERY are timed (reading the
 * clock once between consecutive rules) and their time counted that many
 * times over, an estimate that costs a 64th of timing every event.
 *
 * Ownership: the rule set borrows the alert_list and field_table; both must
 * outlive it. */
#ifndef BPFALERT_RULESET_H
#define BPFALERT_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alertdef.h"
#include "event.h"
#include "fields.h"

typedef struct ruleset ruleset;

#define RULESET_TIMING_EVERY 64

struct rule_stats {
	unsigned long long evaluations, matches;
	unsigned long long nanoseconds;  /* estimated; only when timing is on */
	unsigned long long regex_errors; /* evaluations where a regex gave up */
};

/* Called for every alert evaluated on an event, with its verdict. */
typedef void (*ruleset_visit_fn)(void *ctx, size_t alert, bool matched);

/* `ft` is the table the alerts' rules were compiled against. */
ruleset *ruleset_new(const alert_list *alerts, const field_table *ft);
void ruleset_free(ruleset **rs);

void ruleset_set_prefilter(ruleset *rs, bool on);
void ruleset_set_timing(ruleset *rs, bool on);

/* Evaluates the enabled alerts that can match `ev`, in load order, calling
 * visit (may be NULL) for each.  Returns the number that matched. */
size_t ruleset_eval(ruleset *rs, const event *ev, ruleset_visit_fn visit,
		    void *ctx);

const struct rule_stats *ruleset_stats(const ruleset *rs, size_t alert);
/* After a reload: each alert of rs takes over the counters of the alert of
 * the same name in old, so that counters never go down. */
void ruleset_carry_stats(ruleset *rs, const ruleset *old);
size_t ruleset_size(const ruleset *rs);

#endif
