/* source — where events come from, as seen by the daemon.
 *
 * A source hands each event to its sink, either as JSON text (Tetragon's
 * export, one object a line) or as a document tree (bpfalert's own probes
 * build Tetragon-schema documents directly, evtree.h), or, to a sink
 * without `tree`, as a parsed json-c document.  Sources run on the event loop;
 * the sink is called from it and must not block.  `origin` is "tetragon" or
 * "bpf" (the alert document's "source"). */
#ifndef BPFALERT_SOURCE_H
#define BPFALERT_SOURCE_H

#include <stddef.h>

struct json_object;
struct evtree;

struct source_sink {
	/* One line of JSON text (without newline); `where` names the input and
	 * `lineno` its line, for reports. */
	void (*line)(void *ctx, const char *text, size_t len, const char *where,
		     size_t lineno, const char *origin);
	/* A document tree, borrowed for the call. */
	void (*tree)(void *ctx, const struct evtree *t, const char *origin);
	/* A parsed document; the sink takes ownership. */
	void (*object)(void *ctx, struct json_object *root, const char *origin);
	/* A line that was rejected before it could be parsed (too long, NUL,
	 * invalid UTF-8), already reported by the source; for counting. */
	void (*bad)(void *ctx, int jsonl_bad_kind, const char *origin);
	void *ctx;
};

#endif
