#include "rules_native.h"

#include <json-c/json.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpos.h"
#include "xalloc.h"

/* Deeper settings are refused: no rule file needs them, and conversion
 * stays bounded. */
#define MAX_NESTING 32

/* libconfig reads `@include "file"` at the start of a line (after blanks). */
static bool find_include(const char *t, size_t len, size_t *at)
{
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && (t[j] == ' ' || t[j] == '\t'))
			j++;
		if (len - j >= 8 && memcmp(t + j, "@include", 8) == 0) {
			*at = j;
			return true;
		}
		const char *nl = memchr(t + i, '\n', len - i);
		if (!nl)
			break;
		i = (size_t)(nl - t) + 1;
	}
	return false;
}

/* The settings as JSON; NULL (reported) if nested too deep. */
static struct json_object *to_json(docsrc *src, const config_setting_t *s,
				   int depth)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return json_object_new_int64(config_setting_get_int64(s));
	case CONFIG_TYPE_FLOAT:
		return json_object_new_double(config_setting_get_float(s));
	case CONFIG_TYPE_BOOL:
		return json_object_new_boolean(config_setting_get_bool(s));
	case CONFIG_TYPE_STRING:
		return json_object_new_string(config_setting_get_string(s));
	default:
		break;
	}
	if (depth >= MAX_NESTING) {
		docsrc_report_at(src, DIAG_ERROR, config_setting_source_line(s),
				 0, "settings nested more than %d deep",
				 MAX_NESTING);
		return NULL;
	}
	bool group = config_setting_type(s) == CONFIG_TYPE_GROUP;
	struct json_object *o = group ? json_object_new_object()
				      : json_object_new_array();
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e =
			config_setting_get_elem(s, (unsigned)i);
		struct json_object *v = to_json(src, e, depth + 1);
		if (!v) {
			json_object_put(o);
			return NULL;
		}
		if (group)
			json_object_object_add(o, config_setting_name(e), v);
		else
			json_object_array_add(o, v);
	}
	return o;
}

static void warn_top_keys(docsrc *src, struct json_object *root)
{
	static const char *const keys[] = { "alerts", NULL };
	jsonpos_path root_at = { .n = 0 };
	json_object_object_foreach(root, key, v) {
		(void)v;
		if (strcmp(key, "alerts") == 0)
			continue;
		jsonpos_path p = jsonpos_key(&root_at, key);
		docsrc_unknown_key(src, &p, key, keys);
	}
}

static void load_document(docsrc *src, struct json_object *root,
			  field_table *ft, alert_list *out)
{
	jsonpos_path root_at = { .n = 0 };
	jsonpos_path at = jsonpos_key(&root_at, "alerts");
	struct json_object *alerts;
	warn_top_keys(src, root);
	if (!json_object_object_get_ex(root, "alerts", &alerts)) {
		docsrc_report(src, DIAG_ERROR, &root_at, false,
			      "missing 'alerts' (alerts = ( { name = ...; }, "
			      "... );)");
		return;
	}
	if (!json_object_is_type(alerts, json_type_array)) {
		docsrc_report(src, DIAG_ERROR, &at, false,
			      "'alerts' must be a list: alerts = ( { name = "
			      "...; }, ... );");
		return;
	}
	struct alertdef_origin origin = { .parseable = false };
	alertdef_load_all(alerts, src, &at, &origin, ft, out);
}

/* Refuses what libconfig must not see; false (reported) if so. */
static bool acceptable(docsrc *src)
{
	const char *nul = memchr(src->text, '\0', src->len);
	size_t at;
	if (nul) {
		size_t at_nul = (size_t)(nul - src->text);
		struct jsonpos_loc loc = jsonpos_text_loc(src->text, src->len,
							  at_nul);
		docsrc_report_at(src, DIAG_ERROR, loc.line, loc.col,
				 "NUL byte in a rule file");
		return false;
	}
	if (find_include(src->text, src->len, &at)) {
		struct jsonpos_loc loc = jsonpos_text_loc(src->text, src->len,
							  at);
		docsrc_report_at(src, DIAG_ERROR, loc.line, loc.col,
				 "@include is not supported in rule files (put "
				 "each file in the rules directory)");
		return false;
	}
	return true;
}

/* Where a syntax error at `offset` is shown: at the end of the text, just
 * after its last non-blank byte, on the line left unfinished. */
static struct jsonpos_loc error_place(const docsrc *src, size_t offset)
{
	if (offset >= src->len) {
		offset = src->len;
		while (offset > 0 && strchr(" \t\r\n", src->text[offset - 1]))
			offset--;
	}
	return jsonpos_text_loc(src->text, src->len, offset);
}

/* libconfig itself is only asked once the scan found the text well formed:
 * libconfig 1.5 leaks the string token it stops at on a syntax error, and
 * the scan knows the column too.  What libconfig still refuses (duplicate
 * names, mixed arrays, numbers out of range) it names by line. */
static bool well_formed(docsrc *src)
{
	size_t stop;
	const char *why;
	if (jsonpos_complete(src->pos, &stop, &why))
		return true;
	struct jsonpos_loc loc = error_place(src, stop);
	docsrc_report_at(src, DIAG_ERROR, loc.line, loc.col, "syntax error: %s",
			 why);
	return false;
}

static void report_libconfig(docsrc *src, const config_t *cfg)
{
	const char *why = config_error_text(cfg);
	docsrc_report_at(src, DIAG_ERROR, config_error_line(cfg), 0, "%s",
			 why ? why : "syntax error");
}

unsigned rules_native_parse(const char *file, const char *text, size_t len,
			    field_table *ft, diag *d, alert_list *out)
{
	docsrc src = { .file = file, .text = text, .len = len,
		       .syntax = JSONPOS_LIBCONFIG, .d = d };
	if (!acceptable(&src))
		return src.errors;
	src.pos = jsonpos_scan(text, len, JSONPOS_LIBCONFIG);
	if (!well_formed(&src)) {
		jsonpos_free(&src.pos);
		return src.errors;
	}
	char *copy = xstrndup(text, len);
	config_t cfg;
	config_init(&cfg);
	if (!config_read_string(&cfg, copy)) {
		report_libconfig(&src, &cfg);
	} else {
		struct json_object *root =
			to_json(&src, config_root_setting(&cfg), 0);
		if (root)
			load_document(&src, root, ft, out);
		json_object_put(root);
	}
	config_destroy(&cfg);
	free(copy);
	jsonpos_free(&src.pos);
	return src.errors;
}
