/* alertmgr_bench — the alert manager's cost per match: matches of one alert
 * spread over G group values (G instances), with repeats running, on a
 * virtual clock.  Prints ns per match for a few G. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alertmgr.h"
#include "diag.h"
#include "flatten.h"
#include "rulefiles.h"
#include "targets.h"
#include "xalloc.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long long emitted;

static void count_emit(void *ctx, notification *n)
{
	(void)ctx;
	emitted++;
	notification_free(&n);
}

static const char *RULES =
	"alerts = ( { name = \"shell\"; message = \"shell in {process_exec_process_pod_name}\";\n"
	"  rule = \"process_exec_process_binary = \\\"/bin/sh\\\"\";\n"
	"  group_by = [ \"process_exec_process_pod_name\" ]; max_instances = 100000;\n"
	"  targets = ( { type = \"webhook\"; endpoint = \"http://127.0.0.1:1/\";\n"
	"                repeat = { interval = \"10s\"; times = 5; }; } ); } );\n";

static void run(size_t groups, size_t matches)
{
	field_table *ft = field_table_new();
	alert_list alerts = { 0 };
	diag *d = diag_new(stderr);
	char path[] = "/tmp/alertmgr-bench-XXXXXX.rules";
	int fd = mkstemps(path, 6);
	FILE *f = fdopen(fd, "w");
	fputs(RULES, f);
	fclose(f);
	const char *paths[] = { path };
	rulefiles_load(paths, 1, ft, d, &alerts);
	target_set ts = { 0 };
	size_t **map = NULL;
	targets_resolve(&ts, &alerts, &map, d);
	struct alertmgr_config cfg = { .alerts = &alerts, .targets = &ts,
				       .target_map = map, .fields = ft,
				       .node_name = "n", .emit = count_emit };
	alertmgr *am = alertmgr_new(&cfg);
	flattener *fl = flattener_new(ft);
	size_t nev = groups < 4096 ? groups : 4096;
	event **evs = xcalloc(nev, sizeof(*evs));
	char err[128], json[256];
	for (size_t i = 0; i < nev; i++) {
		evs[i] = event_new();
		int n = snprintf(json, sizeof(json),
			"{\"process_exec\":{\"process\":{\"binary\":\"/bin/sh\",\"pod\":{\"name\":\"pod-%zu\"}}}}", i);
		flattener_parse(fl, json, (size_t)n, evs[i], err, sizeof(err));
	}
	emitted = 0;
	int64_t t = 1700000000000LL;
	double t0 = now_s();
	for (size_t i = 0; i < matches; i++) {
		t += 1;   /* 1000 matches per virtual second */
		alertmgr_advance(am, t);
		alertmgr_match(am, 0, evs[i % nev], "tetragon", t);
	}
	double s = now_s() - t0;
	printf("alertmgr groups=%-6zu matches=%zu ns/match=%.0f notifications=%llu\n",
	       nev, matches, s * 1e9 / (double)matches, emitted);
	for (size_t i = 0; i < nev; i++)
		event_free(&evs[i]);
	free(evs);
	flattener_free(&fl);
	alertmgr_free(&am);
	target_map_free(&map, alerts.n);
	target_set_clear(&ts);
	alert_list_clear(&alerts);
	diag_free(&d);
	field_table_free(&ft);
	remove(path);
}

int main(void)
{
	run(1, 1000000);
	run(100, 1000000);
	run(4096, 1000000);
	return 0;
}
