/* eval_bench — rule evaluation alone: events are read and flattened first,
 * then every rule set is run over them repeatedly and timed.
 *   eval_bench RULES EVENTS [MAX_EVENTS]
 * Prints ns per event and ns per rule per event, with and without the
 * prefilter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"
#include "event.h"
#include "fields.h"
#include "flatten.h"
#include "jsonl.h"
#include "rulefiles.h"
#include "ruleset.h"
#include "xalloc.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static event **load_events(const char *path, field_table *ft, size_t max,
			   size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(1);
	}
	jsonl_reader *rd = jsonl_reader_new(f, path);
	flattener *fl = flattener_new(ft);
	event **evs = NULL;
	size_t cap = 0;
	const char *line;
	size_t len, lineno;
	char err[256];
	*n = 0;
	while (*n < max && jsonl_next(rd, &line, &len, &lineno, stderr) == 1) {
		event *ev = event_new();
		if (flattener_parse(fl, line, len, ev, err, sizeof(err)) != FLATTEN_OK) {
			event_free(&ev);
			continue;
		}
		evs = xgrow(evs, &cap, *n + 1, sizeof(*evs));
		evs[(*n)++] = ev;
	}
	flattener_free(&fl);
	jsonl_reader_free(&rd);
	fclose(f);
	return evs;
}

static void run(ruleset *rs, event **evs, size_t n, size_t nrules,
		const char *label)
{
	size_t rounds = 0, matched = 0;
	double t0 = now_s(), t;
	do {
		for (size_t i = 0; i < n; i++)
			matched += ruleset_eval(rs, evs[i], NULL, NULL);
		rounds++;
		t = now_s() - t0;
	} while (t < 2.0);
	double evals = (double)rounds * (double)n;
	printf("eval %-13s rules=%zu events=%.0f ns/event=%.1f ns/rule/event=%.2f matches/event=%.2f\n",
	       label, nrules, evals, t * 1e9 / evals, t * 1e9 / evals / (double)nrules,
	       (double)matched / evals);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fputs("usage: eval_bench RULES EVENTS [MAX_EVENTS]\n", stderr);
		return 2;
	}
	size_t max = argc > 3 ? strtoul(argv[3], NULL, 10) : 20000;
	field_table *ft = field_table_new();
	alert_list alerts = { 0 };
	diag *d = diag_new(stderr);
	const char *paths[] = { argv[1] };
	if (rulefiles_load(paths, 1, ft, d, &alerts))
		return 1;
	size_t n;
	event **evs = load_events(argv[2], ft, max, &n);
	ruleset *rs = ruleset_new(&alerts, ft);
	run(rs, evs, n, alerts.n, "prefilter");
	ruleset_set_prefilter(rs, false);
	run(rs, evs, n, alerts.n, "no-prefilter");
	ruleset_free(&rs);
	for (size_t i = 0; i < n; i++)
		event_free(&evs[i]);
	free(evs);
	alert_list_clear(&alerts);
	diag_free(&d);
	field_table_free(&ft);
	return 0;
}
