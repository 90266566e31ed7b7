/* dispatch — delivering notifications without losing them (DESIGN §7.2).
 *
 * One queue per target, bounded; one slow or dead target never delays
 * another.  Every notification is written to the spool under state_dir
 * before it is queued and removed when its target acknowledges it; at
 * start-up whatever the spool still holds is queued again (at-least-once).
 * Transient failures are retried with exponential backoff and jitter;
 * permanent ones are logged and dropped.  On overflow the oldest repeat
 * notifications go first, firing and resolved ones last; every drop is
 * counted and logged. */
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
	int64_t retry_base_ms;     /* default 1000 */
	int64_t retry_max_ms;      /* default 300000 */
};

struct target_stats {
	unsigned long long sent, failed, retried, dropped;
	size_t queued;
};

/* Creates notifier state for every target and loads the spool.  Returns
 * NULL with err set if a target cannot be initialised. */
dispatcher *dispatcher_new(const struct dispatch_config *cfg, char *err,
			   size_t errlen);
void dispatcher_free(dispatcher **d);

/* Takes ownership of n; n->target names the target. */
void dispatcher_submit(dispatcher *d, notification *n);
/* True when every queue is empty and nothing is in flight. */
bool dispatcher_idle(const dispatcher *d);
/* SIGUSR1: reopen file targets. */
void dispatcher_reopen(dispatcher *d);

size_t dispatcher_ntargets(const dispatcher *d);
const char *dispatcher_target_name(const dispatcher *d, size_t i);
void dispatcher_target_stats(const dispatcher *d, size_t i,
			     struct target_stats *out);
size_t dispatcher_spool_size(const dispatcher *d);

#endif
