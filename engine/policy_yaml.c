/* policy_yaml — see policy_yaml.h. */
#include "policy_yaml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msgtext.h"
#include "xalloc.h"

void py_report(struct yctx *c, enum diag_level level, const ynode *n, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	int line = n ? (int)n->start_mark.line + 1 : 0, col = n ? (int)n->start_mark.column + 1 : 0;
	size_t sl = 0;
	const char *src = line ? diag_line_of(c->text, c->len, line, &sl) : NULL;
	diag_report(c->d, level, c->file, line, col, src, sl, "%s", msg);
	if (level == DIAG_ERROR)
		c->errors++;
}


ynode *py_node(struct yctx *c, int i)
{
	return yaml_document_get_node(c->doc, i);
}

const char *py_scalar(const ynode *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A mapping's value for `key`, or NULL. */
ynode *py_get(struct yctx *c, const ynode *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = py_scalar(py_node(c, p->key));
		if (k && !strcmp(k, key))
			return py_node(c, p->value);
	}
	return NULL;
}

/* Reports every key of `map` that is not in `known` or in `refused`
 * (keys Tetragon knows that this subset does not: an error each). */
void py_check_keys(struct yctx *c, const ynode *map, const char *where,
		       const char *const *known)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		ynode *kn = py_node(c, p->key);
		const char *k = py_scalar(kn);
		bool ok = false;
		for (size_t i = 0; k && known[i]; i++)
			ok = ok || !strcmp(k, known[i]);
		if (ok)
			continue;
		const char *near = k ? msgtext_suggest(k, strlen(k), known) : NULL;
		if (near)
			ERR(c, kn, "unsupported key '%s' in %s (did you mean '%s'?)", k ? k : "?", where, near);
		else
			ERR(c, kn, "unsupported key '%s' in %s", k ? k : "?", where);
	}
}

bool py_want_map(struct yctx *c, const ynode *n, const char *what)
{
	if (n && n->type == YAML_MAPPING_NODE)
		return true;
	ERR(c, n, "%s must be a mapping", what);
	return false;
}

bool py_want_seq(struct yctx *c, const ynode *n, const char *what)
{
	if (n && n->type == YAML_SEQUENCE_NODE)
		return true;
	ERR(c, n, "%s must be a list", what);
	return false;
}

size_t py_seq_len(const ynode *n)
{
	return n && n->type == YAML_SEQUENCE_NODE
		       ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start) : 0;
}

ynode *py_seq_at(struct yctx *c, const ynode *n, size_t i)
{
	return py_node(c, n->data.sequence.items.start[i]);
}

bool py_parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = s ? strtoul(s, &end, 0) : 0;
	if (!s || !*s || *end || errno || v > max || s[0] == '-')
		return false;
	*out = (unsigned)v;
	return true;
}

bool py_parse_bool(const char *s, bool *out)
{
	if (s && (!strcmp(s, "true") || !strcmp(s, "True")))
		return (*out = true), true;
	if (s && (!strcmp(s, "false") || !strcmp(s, "False")))
		return (*out = false), true;
	return false;
}

void py_values_add(struct policy_values *v, const char *s)
{
	v->v = xrealloc(v->v, (v->n + 1) * sizeof(*v->v));
	v->v[v->n++] = xstrdup(s);
}

void py_values_free(struct policy_values *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}
