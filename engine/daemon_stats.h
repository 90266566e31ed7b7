/* daemon_stats — what the daemon counts, and the Prometheus page built
 * from it and from the live modules (DESIGN §11).  Rendered on the loop
 * thread (the metrics server runs inside the loop), so nothing is locked. */
#ifndef BPFALERT_DAEMON_STATS_H
#define BPFALERT_DAEMON_STATS_H

#include <stddef.h>

#include "alertmgr.h"
#include "bpf_source.h"
#include "dispatch.h"
#include "export.h"
#include "generation.h"
#include "jsonl.h"
#include "metrics.h"
#include "tetragon_source.h"

/* Distinct (source, kind) pairs counted separately; more fold into
 * kind="other", so hostile input cannot grow the page. */
#define DAEMON_STATS_KINDS 64

struct kind_count {
	char origin[16];
	char kind[48];
	unsigned long long n;
};

struct daemon_stats {
	struct kind_count kinds[DAEMON_STATS_KINDS];
	size_t nkinds;
	unsigned long long other_kinds;
	unsigned long long bad[2][JSONL_BAD_KINDS];   /* [tetragon, bpf][kind] */
	unsigned long long reload_successes, reload_failures;
	/* the live modules, borrowed */
	const struct generation *gen;
	const alertmgr *am;
	const dispatcher *disp;
	const tetragon_source *tetragon;
	const bpf_source *bpf;
	const exports *exports;
};

void daemon_stats_init(struct daemon_stats *s, const struct generation *g,
		       const alertmgr *am, const dispatcher *d);
void daemon_stats_fini(struct daemon_stats *s);
void daemon_stats_set_generation(struct daemon_stats *s, const struct generation *g,
				 const alertmgr *am, const dispatcher *d);
void daemon_stats_set_sources(struct daemon_stats *s, const tetragon_source *t,
			      const bpf_source *b);

void daemon_stats_count_event(struct daemon_stats *s, const char *origin,
			      const char *kind, size_t kind_len);
void daemon_stats_count_bad(struct daemon_stats *s, const char *origin, int kind);

/* metrics_render_fn; ctx is the struct daemon_stats. */
void daemon_stats_render(void *ctx, metrics_writer *w);

#endif
