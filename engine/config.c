#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonpos.h"
#include "lcdoc.h"
#include "targetcfg.h"
#include "textfile.h"
#include "xalloc.h"

#ifndef BPFALERT_SYSCONFDIR
#define BPFALERT_SYSCONFDIR "/etc"
#endif
#ifndef BPFALERT_LOCALSTATEDIR
#define BPFALERT_LOCALSTATEDIR "/var"
#endif

#define SYSTEM_CONFIG BPFALERT_SYSCONFDIR "/bpfalert/bpfalert.conf"

static const char *const default_watch[] = {
	"/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow",
	"/etc/sudoers", "/etc/sudoers.d/", "/root/.ssh/", NULL,
};

static char **strv_dup(const char *const *v, size_t *n)
{
	size_t k = 0;
	while (v[k])
		k++;
	char **out = xcalloc(k + 1, sizeof(char *));
	for (size_t i = 0; i < k; i++)
		out[i] = xstrdup(v[i]);
	*n = k;
	return out;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static struct json_object *default_targets(void)
{
	struct json_object *t = json_object_new_object();
	struct json_object *d = json_object_new_object();
	json_object_object_add(d, "type", json_object_new_string("stdout"));
	json_object_object_add(d, "format", json_object_new_string("compact"));
	json_object_object_add(t, "default", d);
	return t;
}

/* probes.hooks: every hook path the file probe has, best first. */
static const char *const hook_paths[] = { "lsm", "fentry", "kprobe", "tracepoint", NULL };

struct config *config_default(void)
{
	static const char *const dirs[] = { BPFALERT_SYSCONFDIR "/bpfalert/rules.d", NULL };
	static const char *const pdirs[] = { BPFALERT_SYSCONFDIR "/bpfalert/policies.d", NULL };
	struct config *c = xcalloc(1, sizeof(*c));
	c->node_name = xstrdup("");
	c->rules_dirs = strv_dup(dirs, &c->nrules_dirs);
	c->policies_dirs = strv_dup(pdirs, &c->npolicies_dirs);
	c->state_dir = xstrdup(BPFALERT_LOCALSTATEDIR "/lib/bpfalert");
	c->log_level = xstrdup("info");
	c->bpf.enabled = true;
	c->bpf.ring_buffer_mb = 8;
	c->tetragon.path = xstrdup("/var/run/cilium/tetragon/tetragon.log");
	c->tetragon.follow = true;
	c->probes.exec = c->probes.exit = c->probes.fork = true;
	c->probes.watch = strv_dup(default_watch, &c->probes.nwatch);
	c->probes.hooks = strv_dup(hook_paths, &c->probes.nhooks);
	c->probes.proc_root = xstrdup("/proc");
	c->probes.cgroup_root = xstrdup("/sys/fs/cgroup");
	c->probes.pods_root = xstrdup("/var/log/pods");
	c->targets = default_targets();
	c->metrics_listen = xstrdup("127.0.0.1:9782");
	c->queue_max = 1024;
	c->max_event_bytes = 16384;
	c->max_alert_state_mb = 64;
	return c;
}

void config_free(struct config **pc)
{
	struct config *c = *pc;
	if (!c)
		return;
	free(c->file);
	free(c->node_name);
	strv_free(c->rules_dirs, c->nrules_dirs);
	strv_free(c->policies_dirs, c->npolicies_dirs);
	free(c->state_dir);
	free(c->log_level);
	free(c->tetragon.path);
	strv_free(c->probes.watch, c->probes.nwatch);
	strv_free(c->probes.hooks, c->probes.nhooks);
	free(c->probes.proc_root);
	free(c->probes.cgroup_root);
	free(c->probes.pods_root);
	json_object_put(c->targets);
	json_object_put(c->exports);
	free(c->metrics_listen);
	free(c);
	*pc = NULL;
}

/* ---- checking one document ---- */

struct check {
	docsrc *src;
	struct config *c;
};

static void unknown_keys(struct check *k, struct json_object *obj,
			 const jsonpos_path *at, const char *const *known)
{
	json_object_object_foreach(obj, key, v) {
		(void)v;
		bool found = false;
		for (size_t i = 0; known[i] && !found; i++)
			found = !strcmp(key, known[i]);
		if (!found) {
			jsonpos_path p = jsonpos_key(at, key);
			docsrc_unknown_key(k->src, &p, key, known);
		}
	}
}

/* The member `key` of obj if present and of `type`; reports a wrong type. */
static struct json_object *member(struct check *k, struct json_object *obj,
				  const jsonpos_path *at, const char *key,
				  json_type type, const char *expected)
{
	struct json_object *v;
	if (!json_object_object_get_ex(obj, key, &v))
		return NULL;
	if (json_object_is_type(v, type))
		return v;
	jsonpos_path p = jsonpos_key(at, key);
	docsrc_report(k->src, DIAG_ERROR, &p, false, "'%s' must be %s", key,
		      expected);
	return NULL;
}

static void take_string(struct check *k, struct json_object *obj,
			const jsonpos_path *at, const char *key, char **out)
{
	struct json_object *v = member(k, obj, at, key, json_type_string, "a string");
	if (v) {
		free(*out);
		*out = xstrdup(json_object_get_string(v));
	}
}

static void take_bool(struct check *k, struct json_object *obj,
		      const jsonpos_path *at, const char *key, bool *out)
{
	struct json_object *v = member(k, obj, at, key, json_type_boolean,
				       "true or false");
	if (v)
		*out = json_object_get_boolean(v);
}

static void take_uint(struct check *k, struct json_object *obj,
		      const jsonpos_path *at, const char *key, long long min,
		      long long max, size_t *out)
{
	struct json_object *v = member(k, obj, at, key, json_type_int, "an integer");
	if (!v)
		return;
	long long n = json_object_get_int64(v);
	if (n < min || n > max) {
		jsonpos_path p = jsonpos_key(at, key);
		docsrc_report(k->src, DIAG_ERROR, &p, false,
			      "'%s' must be between %lld and %lld", key, min, max);
		return;
	}
	*out = (size_t)n;
}

/* A list of strings; `absolute` requires each to start with '/'. */
static void take_paths(struct check *k, struct json_object *obj,
		       const jsonpos_path *at, const char *key, bool absolute,
		       char ***out, size_t *nout)
{
	struct json_object *v = member(k, obj, at, key, json_type_array,
				       "a list of strings: [ \"...\", ... ]");
	if (!v)
		return;
	jsonpos_path p = jsonpos_key(at, key);
	size_t n = json_object_array_length(v);
	char **list = xcalloc(n + 1, sizeof(char *));
	size_t got = 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		jsonpos_path pe = jsonpos_index(&p, i);
		const char *s = json_object_get_string(e);
		if (!json_object_is_type(e, json_type_string) || !*s)
			docsrc_report(k->src, DIAG_ERROR, &pe, false,
				      "'%s' entries must be non-empty strings", key);
		else if (absolute && s[0] != '/')
			docsrc_report(k->src, DIAG_ERROR, &pe, false,
				      "'%s' entries must be absolute paths", key);
		else
			list[got++] = xstrdup(s);
	}
	strv_free(*out, *nout);
	*out = list;
	*nout = got;
}

static void check_bpf(struct check *k, struct json_object *o, const jsonpos_path *at)
{
	static const char *const keys[] = { "enabled", "ring_buffer_mb", NULL };
	unknown_keys(k, o, at, keys);
	take_bool(k, o, at, "enabled", &k->c->bpf.enabled);
	size_t mb = k->c->bpf.ring_buffer_mb;
	take_uint(k, o, at, "ring_buffer_mb", 1, 1024, &mb);
	if (mb & (mb - 1)) {
		jsonpos_path p = jsonpos_key(at, "ring_buffer_mb");
		docsrc_report(k->src, DIAG_ERROR, &p, false,
			      "'ring_buffer_mb' must be a power of two");
		return;
	}
	k->c->bpf.ring_buffer_mb = (unsigned)mb;
}

static void check_tetragon(struct check *k, struct json_object *o,
			   const jsonpos_path *at)
{
	static const char *const keys[] = { "enabled", "path", "follow", NULL };
	unknown_keys(k, o, at, keys);
	take_bool(k, o, at, "enabled", &k->c->tetragon.enabled);
	take_string(k, o, at, "path", &k->c->tetragon.path);
	take_bool(k, o, at, "follow", &k->c->tetragon.follow);
}

static void check_sources(struct check *k, struct json_object *o,
			  const jsonpos_path *at)
{
	static const char *const keys[] = { "bpf", "tetragon", NULL };
	unknown_keys(k, o, at, keys);
	jsonpos_path p = jsonpos_key(at, "bpf");
	struct json_object *v = member(k, o, at, "bpf", json_type_object, "a group: { ... }");
	if (v)
		check_bpf(k, v, &p);
	p = jsonpos_key(at, "tetragon");
	v = member(k, o, at, "tetragon", json_type_object, "a group: { ... }");
	if (v)
		check_tetragon(k, v, &p);
}

/* probes.hooks: known names, each once, at least one. */
static void take_hooks(struct check *k, struct json_object *o, const jsonpos_path *at)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, "hooks", &v))
		return;
	take_paths(k, o, at, "hooks", false, &k->c->probes.hooks, &k->c->probes.nhooks);
	jsonpos_path p = jsonpos_key(at, "hooks");
	if (json_object_is_type(v, json_type_array) && !json_object_array_length(v))
		docsrc_report(k->src, DIAG_ERROR, &p, false,
			      "'hooks' needs at least one of \"lsm\", \"fentry\", \"kprobe\", \"tracepoint\"");
	for (size_t i = 0; i < k->c->probes.nhooks; i++) {
		const char *h = k->c->probes.hooks[i];
		bool known = false, again = false;
		for (size_t j = 0; hook_paths[j]; j++)
			known |= !strcmp(h, hook_paths[j]);
		for (size_t j = 0; j < i; j++)
			again |= !strcmp(h, k->c->probes.hooks[j]);
		jsonpos_path pe = jsonpos_index(&p, i);
		if (!known)
			docsrc_report(k->src, DIAG_ERROR, &pe, false,
				      "unknown hook path '%s' (lsm, fentry, kprobe or tracepoint)", h);
		else if (again)
			docsrc_report(k->src, DIAG_ERROR, &pe, false, "hook path '%s' listed twice", h);
	}
}

static void check_probes(struct check *k, struct json_object *o,
			 const jsonpos_path *at)
{
	static const char *const keys[] = { "exec", "exit", "fork", "connect", "files", "hooks",
					    "proc_root", "cgroup_root", "pods_root", NULL };
	static const char *const file_keys[] = { "watch", NULL };
	unknown_keys(k, o, at, keys);
	take_bool(k, o, at, "exec", &k->c->probes.exec);
	take_bool(k, o, at, "exit", &k->c->probes.exit);
	take_bool(k, o, at, "fork", &k->c->probes.fork);
	take_bool(k, o, at, "connect", &k->c->probes.connect);
	take_string(k, o, at, "proc_root", &k->c->probes.proc_root);
	take_string(k, o, at, "cgroup_root", &k->c->probes.cgroup_root);
	take_string(k, o, at, "pods_root", &k->c->probes.pods_root);
	take_hooks(k, o, at);
	jsonpos_path p = jsonpos_key(at, "files");
	struct json_object *f = member(k, o, at, "files", json_type_object, "a group: { watch = [ ... ]; }");
	if (!f)
		return;
	unknown_keys(k, f, &p, file_keys);
	take_paths(k, f, &p, "watch", true, &k->c->probes.watch, &k->c->probes.nwatch);
}

static void check_targets(struct check *k, struct json_object *o,
			  const jsonpos_path *at)
{
	json_object_object_foreach(o, name, t) {
		jsonpos_path p = jsonpos_key(at, name);
		if (!json_object_is_type(t, json_type_object)) {
			docsrc_report(k->src, DIAG_ERROR, &p, false,
				      "target '%s' must be a group: { type = \"...\"; ... }", name);
			continue;
		}
		targetcfg_check(t, k->src, &p, false);
	}
	json_object_object_foreach(o, name2, t2) {
		json_object_object_add(k->c->targets, name2, json_object_get(t2));
	}
}

/* Each export is checked key by key when its generation is built
 * (export_spec.c); here only its shape. */
static void check_exports(struct check *k, struct json_object *o,
			  const jsonpos_path *at)
{
	json_object_object_foreach(o, name, e) {
		jsonpos_path p = jsonpos_key(at, name);
		if (!json_object_is_type(e, json_type_object))
			docsrc_report(k->src, DIAG_ERROR, &p, false,
				      "export '%s' must be a group: { type = \"...\"; ... }", name);
	}
	json_object_put(k->c->exports);
	k->c->exports = json_object_get(o);
}

static bool valid_listen(const char *s)
{
	if (!*s)
		return true;
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s)
		return false;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	return *end == '\0' && port > 0 && port < 65536;
}

static void check_metrics(struct check *k, struct json_object *o,
			  const jsonpos_path *at)
{
	static const char *const keys[] = { "listen", NULL };
	unknown_keys(k, o, at, keys);
	take_string(k, o, at, "listen", &k->c->metrics_listen);
	if (!valid_listen(k->c->metrics_listen)) {
		jsonpos_path p = jsonpos_key(at, "listen");
		docsrc_report(k->src, DIAG_ERROR, &p, false,
			      "'listen' must be HOST:PORT (e.g. \"127.0.0.1:9782\") or \"\" to disable");
	}
}

static void check_log_level(struct check *k, struct json_object *root,
			    const jsonpos_path *at)
{
	static const char *const levels[] = { "error", "warning", "info", "debug", NULL };
	take_string(k, root, at, "log_level", &k->c->log_level);
	for (size_t i = 0; levels[i]; i++)
		if (!strcmp(k->c->log_level, levels[i]))
			return;
	jsonpos_path p = jsonpos_key(at, "log_level");
	docsrc_report(k->src, DIAG_ERROR, &p, false,
		      "'log_level' must be one of error, warning, info, debug");
}

typedef void (*section_fn)(struct check *, struct json_object *, const jsonpos_path *);

static void section(struct check *k, struct json_object *root,
		    const jsonpos_path *at, const char *key, section_fn fn)
{
	jsonpos_path p = jsonpos_key(at, key);
	struct json_object *v = member(k, root, at, key, json_type_object,
				       "a group: { ... }");
	if (v)
		fn(k, v, &p);
}

static void check_document(struct check *k, struct json_object *root)
{
	static const char *const keys[] = {
		"node_name", "rules_dirs", "policies_dirs", "state_dir", "strict_permissions",
		"log_level", "sources", "probes", "targets", "metrics",
		"queue_max", "max_event_bytes", "max_alert_state_mb", "exports", NULL,
	};
	jsonpos_path at = { .n = 0 };
	unknown_keys(k, root, &at, keys);
	take_string(k, root, &at, "node_name", &k->c->node_name);
	take_paths(k, root, &at, "rules_dirs", false, &k->c->rules_dirs,
		   &k->c->nrules_dirs);
	take_paths(k, root, &at, "policies_dirs", false, &k->c->policies_dirs,
		   &k->c->npolicies_dirs);
	take_string(k, root, &at, "state_dir", &k->c->state_dir);
	take_bool(k, root, &at, "strict_permissions", &k->c->strict_permissions);
	take_uint(k, root, &at, "queue_max", 1, 1000000, &k->c->queue_max);
	take_uint(k, root, &at, "max_event_bytes", 1024, 64u << 20, &k->c->max_event_bytes);
	take_uint(k, root, &at, "max_alert_state_mb", 1, 65536, &k->c->max_alert_state_mb);
	check_log_level(k, root, &at);
	section(k, root, &at, "sources", check_sources);
	section(k, root, &at, "probes", check_probes);
	section(k, root, &at, "targets", check_targets);
	section(k, root, &at, "metrics", check_metrics);
	section(k, root, &at, "exports", check_exports);
}

/* A root daemon takes these files' word on what to watch and where event
 * data goes: one that others can change is worth saying (an error with
 * strict_permissions). */
void config_check_permissions(const char *path, bool strict, diag *d)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return;
	bool others_write = st.st_mode & (S_IWGRP | S_IWOTH);
	bool foreign_owner = st.st_uid != 0 && st.st_uid != geteuid();
	if (!others_write && !foreign_owner)
		return;
	diag_report(d, strict ? DIAG_ERROR : DIAG_WARNING, path, 0, 0, NULL, 0,
		    "%s (mode %04o, owner uid %u): users other than root can "
		    "change what is watched and where alerts and event data are sent",
		    others_write ? "writable by group or others" : "not owned by root",
		    (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
}

static char *read_text(const char *path, size_t *len, diag *d)
{
	char *text = textfile_read(path, 16u << 20, len);
	if (!text)
		diag_report(d, DIAG_ERROR, path, 0, 0, NULL, 0, "cannot read: %s",
			    textfile_strerror(errno));
	return text;
}

struct config *config_load(const char *path, diag *d)
{
	size_t len;
	char *text = read_text(path, &len, d);
	if (!text)
		return NULL;
	docsrc src = { .file = path, .text = text, .len = len,
		       .syntax = JSONPOS_LIBCONFIG, .d = d };
	struct config *c = config_default();
	free(c->file);
	c->file = xstrdup(path);
	unsigned errors_before = diag_errors(d);
	struct json_object *root = lcdoc_parse(&src, "configuration file");
	if (root) {
		struct check k = { .src = &src, .c = c };
		check_document(&k, root);
		config_check_permissions(path, c->strict_permissions, d);
	}
	json_object_put(root);
	jsonpos_free(&src.pos);
	free(text);
	if (!root || src.errors || diag_errors(d) > errors_before)
		config_free(&c);
	return c;
}

/* node_name = "" means this node: $NODE_NAME (a DaemonSet sets it from
 * spec.nodeName, since a pod's host name is the pod's), else the host name. */
static void resolve_node_name(struct config *c)
{
	if (!c || *c->node_name)
		return;
	const char *env = getenv("NODE_NAME");
	char host[256] = "";
	if (!env || !*env) {
		if (gethostname(host, sizeof(host) - 1) != 0)
			host[0] = '\0';
		env = host;
	}
	free(c->node_name);
	c->node_name = xstrdup(env);
}

struct config *config_for_command(const char *path, diag *d)
{
	struct config *c;
	if (path)
		c = config_load(path, d);
	else if (access(SYSTEM_CONFIG, F_OK) == 0)
		c = config_load(SYSTEM_CONFIG, d);
	else
		c = config_default();
	resolve_node_name(c);
	return c;
}
