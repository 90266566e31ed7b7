/* policy_yaml — the libyaml document walk shared by the TracingPolicy
 * loaders (policy.c, policy_selector.c): nodes by index, mapping and
 * sequence access, and errors located at a node (file:line:col, the line
 * and a caret) counted in the context.  Internal to the policy modules. */
#ifndef BPFALERT_POLICY_YAML_H
#define BPFALERT_POLICY_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "diag.h"
#include "policy.h"

/* One document being loaded. */
struct yctx {
	const char *file, *text;
	size_t len;
	diag *d;
	yaml_document_t *doc;
	unsigned errors;
};

typedef yaml_node_t ynode;

__attribute__((format(printf, 4, 5)))
void py_report(struct yctx *c, enum diag_level level, const ynode *n, const char *fmt, ...);

#define ERR(c, n, ...) py_report(c, DIAG_ERROR, n, __VA_ARGS__)

ynode *py_node(struct yctx *c, int i);
/* The scalar's text, or NULL for any other node (or none). */
const char *py_scalar(const ynode *n);
/* A mapping's value for `key`, or NULL. */
ynode *py_get(struct yctx *c, const ynode *map, const char *key);
/* Reports every key of `map` that is not in `known` (NULL-terminated),
 * with the nearest known key when one is close. */
void py_check_keys(struct yctx *c, const ynode *map, const char *where,
		   const char *const *known);
/* True if n is a mapping (a list); else reports it. */
bool py_want_map(struct yctx *c, const ynode *n, const char *what);
bool py_want_seq(struct yctx *c, const ynode *n, const char *what);
size_t py_seq_len(const ynode *n);
ynode *py_seq_at(struct yctx *c, const ynode *n, size_t i);
bool py_parse_uint(const char *s, unsigned max, unsigned *out);
bool py_parse_bool(const char *s, bool *out);
void py_values_add(struct policy_values *v, const char *s);
void py_values_free(struct policy_values *v);

#endif
