#include "targetcfg.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msgtext.h"
#include "rulefiles.h"

enum {
	T_WEBHOOK = 1 << 0,
	T_SLACK = 1 << 1,
	T_ALERTMANAGER = 1 << 2,
	T_SYSLOG = 1 << 3,
	T_FILE = 1 << 4,
	T_STDOUT = 1 << 5,
	T_HTTP = T_WEBHOOK | T_SLACK | T_ALERTMANAGER,
	T_ALL = T_HTTP | T_SYSLOG | T_FILE | T_STDOUT,
};

static const char *const type_names[] = {
	"webhook", "slack", "alertmanager", "syslog", "file", "stdout", NULL,
};

struct tctx {
	docsrc *src;
	unsigned type;      /* one T_ bit */
	const char *type_name;
	bool parseable;
};

typedef void check_fn(struct tctx *c, struct json_object *v,
		      const jsonpos_path *p, const char *key);

struct key_rule {
	const char *key;
	unsigned types;     /* where the key applies */
	check_fn *check;
};

static void check_bool(struct tctx *c, struct json_object *v,
		       const jsonpos_path *p, const char *key)
{
	if (!json_object_is_type(v, json_type_boolean))
		docsrc_report(c->src, DIAG_ERROR, p, false,
			      "'%s' must be true or false", key);
}

static bool is_string(struct tctx *c, struct json_object *v,
		      const jsonpos_path *p, const char *key)
{
	if (json_object_is_type(v, json_type_string))
		return true;
	docsrc_report(c->src, DIAG_ERROR, p, false, "'%s' must be a string",
		      key);
	return false;
}

static void check_string(struct tctx *c, struct json_object *v,
			 const jsonpos_path *p, const char *key)
{
	is_string(c, v, p, key);
}

static void check_nonempty(struct tctx *c, struct json_object *v,
			   const jsonpos_path *p, const char *key)
{
	if (is_string(c, v, p, key) && json_object_get_string_len(v) == 0)
		docsrc_report(c->src, DIAG_ERROR, p, false,
			      "'%s' must not be empty", key);
}

/* An integer in [min, UINT_MAX]. */
static void check_count(struct tctx *c, struct json_object *v,
			const jsonpos_path *p, const char *key, int64_t min)
{
	if (!json_object_is_type(v, json_type_int)) {
		docsrc_report(c->src, DIAG_ERROR, p, false,
			      "'%s' must be an integer", key);
		return;
	}
	int64_t n = json_object_get_int64(v);
	if (n < min)
		docsrc_report(c->src, DIAG_ERROR, p, false,
			      "'%s' must be at least %lld", key,
			      (long long)min);
	else if (n > UINT_MAX)
		docsrc_report(c->src, DIAG_ERROR, p, false,
			      "'%s' must be at most %u", key, UINT_MAX);
}

static void check_positive(struct tctx *c, struct json_object *v,
			   const jsonpos_path *p, const char *key)
{
	check_count(c, v, p, key, 1);
}

static void check_duration(struct tctx *c, struct json_object *v,
			   const jsonpos_path *p, const char *key)
{
	if (!json_object_is_type(v, json_type_string)) {
		docsrc_report(c->src, DIAG_ERROR, p, false,
			      "'%s' must be a duration such as \"10s\"", key);
		return;
	}
	char why[160];
	int64_t ms;
	const char *text = json_object_get_string(v);
	if (parse_duration(text, &ms, why, sizeof(why)) < 0)
		docsrc_report(c->src, DIAG_ERROR, p, false, "'%s': %s", key,
			      why);
	else if (ms == 0)
		docsrc_report(c->src, DIAG_ERROR, p, false,
			      "'%s' must be longer than zero", key);
}

static bool url_has_host(const char *s)
{
	size_t host = strcspn(s, "/?#");
	return host > 0 && s[0] != ':' && s[0] != '@';
}

static bool has_blank_or_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7F)
			return true;
	return false;
}

static void check_url(struct tctx *c, struct json_object *v,
		      const jsonpos_path *p, const char *key)
{
	if (!is_string(c, v, p, key))
		return;
	const char *s = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);
	size_t skip = strncasecmp(s, "http://", 7) == 0    ? 7
		      : strncasecmp(s, "https://", 8) == 0 ? 8
							   : 0;
	if (!skip || !url_has_host(s + skip) || has_blank_or_control(s, len) ||
	    strlen(s) != len)
		docsrc_report(c->src, DIAG_ERROR, p, false,
			      "'%s' must be an http:// or https:// URL", key);
}

static bool is_tchar(unsigned char ch)
{
	static const char others[] = "!#$%&'*+-.^_`|~";
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || (ch && strchr(others, ch));
}

static void check_header(struct tctx *c, const char *name,
			 struct json_object *v, const jsonpos_path *hp)
{
	jsonpos_path p = jsonpos_key(hp, name);
	char *shown = msgtext_quote(name, strlen(name));
	bool ok = *name != '\0';
	for (const char *q = name; *q; q++)
		ok = ok && is_tchar((unsigned char)*q);
	if (!ok) {
		docsrc_report(c->src, DIAG_ERROR, &p, true,
			      "invalid header name '%s'", shown);
	} else if (!json_object_is_type(v, json_type_string)) {
		docsrc_report(c->src, DIAG_ERROR, &p, false,
			      "header '%s' must be a string", shown);
	} else {
		const char *s = json_object_get_string(v);
		size_t len = (size_t)json_object_get_string_len(v);
		if (strcspn(s, "\r\n") < len || strlen(s) != len)
			docsrc_report(c->src, DIAG_ERROR, &p, false,
				      "header '%s' must not contain a line "
				      "break or NUL", shown);
	}
	free(shown);
}

static void check_headers(struct tctx *c, struct json_object *v,
			  const jsonpos_path *p, const char *key)
{
	if (!json_object_is_type(v, json_type_object)) {
		docsrc_report(c->src, DIAG_ERROR, p, false,
			      "'%s' must be %s of header names and values", key,
			      docsrc_object_word(c->src));
		return;
	}
	json_object_object_foreach(v, name, hv)
		check_header(c, name, hv, p);
}

static void check_choice(struct tctx *c, struct json_object *v,
			 const jsonpos_path *p, const char *key,
			 const char *const *choices, const char *expected)
{
	if (!is_string(c, v, p, key))
		return;
	const char *s = json_object_get_string(v);
	for (size_t i = 0; choices[i]; i++)
		if (strcmp(s, choices[i]) == 0)
			return;
	char *shown = msgtext_quote(s, (size_t)json_object_get_string_len(v));
	const char *near = msgtext_suggest(s, strlen(s), choices);
	if (near)
		docsrc_report(c->src, DIAG_ERROR, p, false,
			      "unknown %s '%s' (did you mean '%s'?)", key,
			      shown, near);
	else
		docsrc_report(c->src, DIAG_ERROR, p, false,
			      "unknown %s '%s' (expected %s)", key, shown,
			      expected);
	free(shown);
}

static void check_format(struct tctx *c, struct json_object *v,
			 const jsonpos_path *p, const char *key)
{
	static const char *const webhook[] = { "json", "text", NULL };
	static const char *const out[] = { "compact", "json", NULL };
	if (c->type == T_STDOUT)
		check_choice(c, v, p, key, out, "compact or json");
	else
		check_choice(c, v, p, key, webhook, "json or text");
}

static void check_facility(struct tctx *c, struct json_object *v,
			   const jsonpos_path *p, const char *key)
{
	static const char *const names[] = {
		"kern", "user", "mail", "daemon", "auth", "syslog", "lpr",
		"news", "uucp", "cron", "authpriv", "ftp", "local0", "local1",
		"local2", "local3", "local4", "local5", "local6", "local7",
		NULL,
	};
	check_choice(c, v, p, key, names, "a syslog facility such as auth, "
		     "daemon or local0");
}

/* host:port, the host possibly a bracketed IPv6 address. */
static bool valid_host_port(const char *s)
{
	const char *colon;
	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (!close || close == s + 1 || close[1] != ':')
			return false;
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || colon == s)
			return false;
		for (const char *q = s; q < colon; q++)
			if (strchr("/@[]:", *q) || (unsigned char)*q <= 0x20)
				return false;
	}
	const char *port = colon + 1;
	size_t n = strspn(port, "0123456789");
	if (n == 0 || n > 5 || port[n] != '\0')
		return false;
	long v = strtol(port, NULL, 10);
	return v >= 1 && v <= 65535;
}

static void check_server(struct tctx *c, struct json_object *v,
			 const jsonpos_path *p, const char *key)
{
	if (!is_string(c, v, p, key))
		return;
	const char *s = json_object_get_string(v);
	bool scheme = strncmp(s, "udp://", 6) == 0 ||
		      strncmp(s, "tcp://", 6) == 0;
	bool ok = scheme && valid_host_port(s + 6) &&
		  strlen(s) == (size_t)json_object_get_string_len(v);
	if (!ok)
		docsrc_report(c->src, DIAG_ERROR, p, false,
			      "'%s' must be udp://host:port or tcp://host:port",
			      key);
}

static void check_repeat(struct tctx *c, struct json_object *v,
			 const jsonpos_path *p, const char *key)
{
	static const char *const keys[] = { "interval", "times", NULL };
	if (!json_object_is_type(v, json_type_object)) {
		docsrc_report(c->src, DIAG_ERROR, p, false,
			      "'%s' must be %s with 'interval' and 'times'",
			      key, docsrc_object_word(c->src));
		return;
	}
	json_object_object_foreach(v, k, val) {
		jsonpos_path kp = jsonpos_key(p, k);
		if (strcmp(k, "interval") == 0)
			check_duration(c, val, &kp, k);
		else if (strcmp(k, "times") == 0)
			check_count(c, val, &kp, k, 0);  /* 0: unlimited */
		else
			docsrc_unknown_key(c->src, &kp, k, keys);
	}
}

static const struct key_rule key_rules[] = {
	{ "type", T_ALL, NULL },
	{ "repeat", T_ALL, check_repeat },
	{ "send_resolved", T_ALL, check_bool },
	{ "endpoint", T_HTTP, check_url },
	{ "headers", T_WEBHOOK, check_headers },
	{ "skip_tls_check", T_WEBHOOK | T_ALERTMANAGER, check_bool },
	{ "format", T_WEBHOOK | T_STDOUT, check_format },
	{ "timeout", T_HTTP, check_duration },
	{ "connect_timeout", T_HTTP, check_duration },
	{ "max_in_flight", T_ALL, check_positive },
	{ "max_age", T_ALL, check_duration },
	{ "username", T_ALERTMANAGER, check_string },
	{ "password", T_ALERTMANAGER, check_string },
	{ "facility", T_SYSLOG, check_facility },
	{ "ident", T_SYSLOG, check_nonempty },
	{ "server", T_SYSLOG, check_server },
	{ "path", T_FILE, check_nonempty },
	{ "max_size_mb", T_FILE, check_positive },
	{ "max_files", T_FILE, check_positive },
};

#define NRULES (sizeof(key_rules) / sizeof(key_rules[0]))

static const struct key_rule *rule_of(const char *key)
{
	for (size_t i = 0; i < NRULES; i++)
		if (strcmp(key_rules[i].key, key) == 0)
			return &key_rules[i];
	return NULL;
}

static void check_key(struct tctx *c, const char *key, struct json_object *v,
		      const jsonpos_path *at)
{
	jsonpos_path p = jsonpos_key(at, key);
	const struct key_rule *r = rule_of(key);
	if (r && (r->types & c->type)) {
		if (r->check)
			r->check(c, v, &p, key);
		return;
	}
	if (r) {
		docsrc_report(c->src, DIAG_WARNING, &p, true,
			      "key '%s' does not apply to %s target", key,
			      c->type_name);
		return;
	}
	const char *known[NRULES + 1];
	size_t n = 0;
	for (size_t i = 0; i < NRULES; i++)
		if (key_rules[i].types & c->type)
			known[n++] = key_rules[i].key;
	known[n] = NULL;
	docsrc_unknown_key(c->src, &p, key, known);
}

static void require(struct tctx *c, struct json_object *t, const char *key,
		    unsigned types, const jsonpos_path *at)
{
	if ((c->type & types) && !json_object_object_get_ex(t, key, NULL))
		docsrc_report(c->src, DIAG_ERROR, at, false,
			      "missing '%s' in %s target", key, c->type_name);
}

/* Sets c->type from the "type" key; false (reported) if it has none. */
static bool read_type(struct tctx *c, struct json_object *t,
		      const jsonpos_path *at)
{
	struct json_object *tv;
	jsonpos_path p = jsonpos_key(at, "type");
	if (!json_object_object_get_ex(t, "type", &tv)) {
		docsrc_report(c->src, DIAG_ERROR, at, false,
			      "missing 'type' in target (one of webhook, "
			      "slack, alertmanager, syslog, file, stdout)");
		return false;
	}
	if (!is_string(c, tv, &p, "type"))
		return false;
	const char *s = json_object_get_string(tv);
	for (size_t i = 0; type_names[i]; i++) {
		if (strcmp(s, type_names[i]) == 0) {
			c->type = 1u << i;
			return true;
		}
	}
	if (strcasecmp(s, "alertmanager") == 0) {
		/* Parseable's enum variant is AlertManager. */
		c->type = T_ALERTMANAGER;
		json_object_object_add(t, "type",
				       json_object_new_string("alertmanager"));
		return true;
	}
	check_choice(c, tv, &p, "target type", type_names,
		     "webhook, slack, alertmanager, syslog, file or stdout");
	return false;
}

static const char *type_article(unsigned type)
{
	switch (type) {
	case T_WEBHOOK: return "a webhook";
	case T_SLACK: return "a slack";
	case T_ALERTMANAGER: return "an alertmanager";
	case T_SYSLOG: return "a syslog";
	case T_FILE: return "a file";
	default: return "a stdout";
	}
}

unsigned targetcfg_check(struct json_object *t, docsrc *src,
			 const jsonpos_path *at, bool parseable)
{
	unsigned before = src->errors;
	struct tctx c = { .src = src, .parseable = parseable };
	if (!json_object_is_type(t, json_type_object)) {
		docsrc_report(src, DIAG_ERROR, at, false,
			      "a target must be %s or the name of a configured "
			      "target", docsrc_object_word(src));
		return src->errors - before;
	}
	if (!read_type(&c, t, at))
		return src->errors - before;
	c.type_name = type_article(c.type);
	json_object_object_foreach(t, key, v)
		check_key(&c, key, v, at);
	require(&c, t, "endpoint", T_HTTP, at);
	require(&c, t, "path", T_FILE, at);
	if (parseable && c.type == T_WEBHOOK &&
	    !json_object_object_get_ex(t, "format", NULL))
		json_object_object_add(t, "format",
				       json_object_new_string("text"));
	return src->errors - before;
}

const char *const *targetcfg_types(void)
{
	return type_names;
}
