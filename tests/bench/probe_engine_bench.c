/* probe_engine_bench — kernel probe events through the rule engine, the
 * old road and the new, without the kernel.
 *   probe_engine_bench RULES [EVENTS]
 * Builds EVENTS (200,000) events as the probes do for their records (file
 * accesses, execs and exits of a process in a pod, from a process cache),
 * with the code the probes use (tetra.c), and runs RULES over each:
 *   json:   each event made a json-c document, which is then flattened
 *           (the road of every probe event before evtree);
 *   direct: the fields read from the event's tree, no JSON.
 * Prints events/s of CPU time for each and the ratio; asserts nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "diag.h"
#include "event.h"
#include "evtree.h"
#include "fields.h"
#include "flatten.h"
#include "podmeta.h"
#include "proccache.h"
#include "rulefiles.h"
#include "ruleset.h"
#include "tetra.h"

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct world {
	proccache *pc;
	struct proc *p;
	struct pod_info pod;
	evtree *t;
};

static void world_init(struct world *w)
{
	struct proc_exec_info parent = {
		.pid = 4100, .ppid = 1, .uid = 0, .auid = 4294967295U, .ktime = 9000000000000ULL,
		.binary = "/usr/bin/bash", .arguments = "-c cat", .cwd = "/",
		.container_id = "containerd://1fb931d2f6e5e4cfdbaf30fdb8e2fdd81320bdb3047ded50120a4f82838209ce",
	};
	struct proc_exec_info child = parent;
	child.pid = 4200;
	child.ppid = 4100;
	child.ktime = 11428615636901ULL;
	child.binary = "/usr/bin/cat";
	child.arguments = "/etc/passwd";
	w->pc = proccache_new("bench-node", 0, 5000);
	proccache_fork(w->pc, 4100, 1, parent.ktime, 0, parent.auid);
	proccache_exec(w->pc, &parent);
	proccache_fork(w->pc, 4200, 4100, child.ktime, 0, child.auid);
	w->p = proccache_exec(w->pc, &child);
	w->pod = (struct pod_info){ "default", "xwing", "spaceship" };
	w->t = evtree_new();
}

/* Event i, built in w->t as bpf_source builds it. */
static void build(struct world *w, size_t i)
{
	static const char *const kinds[] = { "process_kprobe", "process_kprobe",
					     "process_exec", "process_exit" };
	const char *kind = kinds[i % 4];
	int body = tetra_event_begin(w->t, kind);

	tetra_add_process(w->t, body, "process", w->p, w->p->pid, &w->pod, 1652273685615000000LL);
	tetra_add_process(w->t, body, "parent", w->p->parent, 0, &w->pod, 1652273685615000000LL);
	if (i % 4 < 2)
		tetra_add_file_access(w->t, body, "__x64_sys_openat",
				      i % 8 ? "/etc/passwd" : "/etc/shadow", NULL, 0100644, 4, 0);
	else if (i % 4 == 3)
		evtree_string(w->t, body, "signal", "SIGKILL", 7);
	tetra_event_end(w->t, "bench-node", 1652273685616000000LL + (int64_t)i);
}

static double run(struct world *w, flattener *fl, ruleset *rs, event *ev, size_t n,
		  bool direct, size_t *matched)
{
	double t0 = cpu_s();
	for (size_t i = 0; i < n; i++) {
		build(w, i);
		if (direct)
			flattener_fill_tree(fl, w->t, ev);
		else
			flattener_fill(fl, evtree_json(w->t, EVTREE_ROOT), ev);
		*matched += ruleset_eval(rs, ev, NULL, NULL);
	}
	return cpu_s() - t0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: probe_engine_bench RULES [EVENTS]\n", stderr);
		return 2;
	}
	size_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 200000;
	field_table *ft = field_table_new();
	alert_list alerts = { 0 };
	diag *d = diag_new(stderr);
	const char *paths[] = { argv[1] };
	if (rulefiles_load(paths, 1, ft, d, &alerts))
		return 1;
	struct world w;
	world_init(&w);
	flattener *fl = flattener_new(ft);
	event *ev = event_new();
	ruleset *rs = ruleset_new(&alerts, ft);
	size_t mj = 0, md = 0;
	run(&w, fl, rs, ev, n / 10, true, &md);   /* warm up */
	md = 0;
	double tj = run(&w, fl, rs, ev, n, false, &mj);
	double td = run(&w, fl, rs, ev, n, true, &md);
	printf("probe events through %zu rules, json-c document then flattened: %9.0f events/s (%.0f ns/event)\n",
	       alerts.n, (double)n / tj, tj * 1e9 / (double)n);
	printf("probe events through %zu rules, fields read from the tree:      %9.0f events/s (%.0f ns/event)\n",
	       alerts.n, (double)n / td, td * 1e9 / (double)n);
	printf("probe events: %.2fx the rate without JSON; matches %s (%zu)\n", tj / td,
	       mj == md ? "identical" : "DIFFER", md);
	ruleset_free(&rs);
	event_free(&ev);
	flattener_free(&fl);
	evtree_free(&w.t);
	proccache_free(&w.pc);
	alert_list_clear(&alerts);
	diag_free(&d);
	field_table_free(&ft);
	return mj == md ? 0 : 1;
}
