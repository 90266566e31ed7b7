/* Random bytes as a TracingPolicy file: loaded, reported, and, for what
 * loads, watched, described and matched against accesses of every call.
 * Nothing may crash, hang or leak whatever the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "evtree.h"
#include "policy.h"
#include "policy_eval.h"

static FILE *sink(void)
{
	static FILE *f;
	if (!f)
		f = fopen("/dev/null", "w");
	return f;
}

struct fill {
	evtree *t;
	const struct policy_access *a;
};

static void on_match(void *ctx, const struct policy *p, const struct policy_hook *h)
{
	struct fill *f = ctx;
	evtree_clear(f->t);
	policy_event_fill(f->t, EVTREE_ROOT, p, h, f->a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	diag *d = diag_new(sink());
	policy_set ps = { 0 };
	policy_load_text("fuzz.yaml", (const char *)data, size, d, &ps);
	char **w = NULL;
	size_t nw = policy_watches(&ps, &w);
	for (size_t i = 0; i < nw; i++)
		free(w[i]);
	free(w);
	policy_describe(&ps, "fuzz", sink());
	policy_engine *e = policy_engine_new(&ps);
	evtree *t = evtree_new();
	static const char *const paths[] = { "/etc/passwd", "/home/u/.bashrc", "/", "" };
	for (int c = 0; c < PCALL_COUNT; c++)
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			struct policy_access a = { .call = (enum policy_call)c, .hook = "fuzz",
						   .path = paths[i], .mask = 2 + 2 * (i & 1),
						   .path2 = i & 1 ? paths[(i + 1) % 4] : NULL,
						   .ret = (int64_t)i,
						   .prot = 3, .binary = "/usr/bin/cat", .pid = 1,
						   .in_container = i & 1, .pod_namespace = "ns",
						   .now_ms = (int64_t)i * 1000 };
			struct fill f = { t, &a };
			policy_engine_match(e, &a, on_match, &f);
		}
	evtree_free(&t);
	policy_engine_free(&e);
	policy_set_clear(&ps);
	diag_free(&d);
	return 0;
}
