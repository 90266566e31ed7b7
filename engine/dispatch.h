/* dispatch — delivering notifications without losing them (DESIGN §7.2).
 *
 * One queue per target, bounded; one slow or dead target never delays
 * another.  Every notification is written to the spool under state_dir
 * before it is queued and removed when its target acknowledges it; at
 * start-up whatever the spool still holds is queued again (at-least-once).
 * Transient failures are retried with exponential backoff and jitter;
 * permanent ones are logged and dropped.  On overflow the oldest repeat
 * notifications go first, firing and resolved ones last; every drop is
 * counted and logged.
 *
 * Per-target keys read here (every type): max_in_flight (deliveries started
 * at once, default 4, so one stuck request does not hold the queue),
 * max_age (a notification older than this is given up, logged and counted
 * as expired; default 1h), connect_timeout (HTTP targets; default the
 * lesser of 5 s and the request timeout).
 *
 * Reload: dispatcher_plan prepares a new target set aside (every new or
 * changed notifier is initialised; nothing running is touched) and
 * dispatcher_apply puts it in place.  Unchanged targets keep their queue,
 * their deliveries in flight and their counters; a changed one keeps its
 * queue and counters, its deliveries in flight complete on the old
 * settings and the rest go out on the new ones. */
#ifndef BPFALERT_DISPATCH_H
#define BPFALERT_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "loop.h"
#include "notification.h"
#include "targets.h"

typedef struct dispatcher dispatcher;

struct dispatch_config {
	loop *loop;
	const target_set *targets;
	const char *state_dir;     /* spool lives in state_dir/spool; NULL: no spool */
	const char *node_name;
	size_t queue_max;          /* per target; default 1024 */
	size_t max_in_flight;      /* per target unless it sets its own; default 4 */
	int64_t retry_base_ms;     /* default 1000 */
	int64_t retry_max_ms;      /* default 300000 */
};

struct target_stats {
	unsigned long long sent;     /* acknowledged */
	unsigned long long failed;   /* refused for good (4xx, bad config) */
	unsigned long long retried;  /* transient failures, each retried */
	unsigned long long dropped;  /* pushed out of a full queue */
	unsigned long long expired;  /* given up: older than max_age */
	size_t queued;               /* waiting, plus the one outstanding */
};

/* Creates notifier state for every target (cfg->targets is needed only
 * during this call) and queues again what the spool holds; spooled
 * notifications start going out once the loop runs.  Returns NULL with err
 * set if a target cannot be initialised or the spool cannot be opened.
 * The dispatcher makes its own libcurl client on cfg->loop. */
dispatcher *dispatcher_new(const struct dispatch_config *cfg, char *err,
			   size_t errlen);
/* Deliveries in flight are abandoned; they and everything queued stay in
 * the spool for the next start.  Free it before its loop. */
void dispatcher_free(dispatcher **d);

/* Checks that state_dir exists or can be made, and is a writable
 * directory.  0, or -1 with err set. */
int dispatch_check_state_dir(const char *state_dir, char *err, size_t errlen);

typedef struct dispatch_plan dispatch_plan;
/* NULL with err set when a new or changed target cannot be initialised. */
dispatch_plan *dispatcher_plan(dispatcher *d, const target_set *targets, char *err,
			       size_t errlen);
/* Cannot fail; frees the plan and clears the pointer. */
void dispatcher_apply(dispatcher *d, dispatch_plan **plan);
void dispatch_plan_free(dispatch_plan **plan);
/* Targets the plan adds or changes. */
size_t dispatch_plan_changes(const dispatch_plan *plan);
void dispatcher_set_queue_max(dispatcher *d, size_t queue_max);

/* Takes ownership of n; n->target names the target (an unknown one is
 * logged and dropped).  The dispatcher sets n->id, unique in its spool, and
 * spools n before its delivery starts; local targets (file, stdout) may
 * have delivered it before this returns. */
void dispatcher_submit(dispatcher *d, notification *n);
/* True when every queue is empty and nothing is in flight or waiting to be
 * retried ("drain then exit": run the loop until this holds, with a
 * deadline, since a dead target never drains). */
bool dispatcher_idle(const dispatcher *d);
/* SIGUSR1: reopen file targets. */
void dispatcher_reopen(dispatcher *d);

size_t dispatcher_ntargets(const dispatcher *d);
const char *dispatcher_target_name(const dispatcher *d, size_t i);
void dispatcher_target_stats(const dispatcher *d, size_t i,
			     struct target_stats *out);
size_t dispatcher_spool_size(const dispatcher *d);
/* Spool records set aside as corrupt or misnamed (never sent). */
unsigned long long dispatcher_spool_quarantined(const dispatcher *d);

#endif
