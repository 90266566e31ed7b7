#include "lcdoc.h"

#include <json-c/json.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* Deeper settings are refused: no file of ours needs them, and conversion
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

static struct json_object *to_json(const config_setting_t *s, int depth,
				   const config_setting_t **too_deep)
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
		*too_deep = s;
		return NULL;
	}
	bool group = config_setting_type(s) == CONFIG_TYPE_GROUP;
	struct json_object *o = group ? json_object_new_object()
				      : json_object_new_array();
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		struct json_object *v = to_json(e, depth + 1, too_deep);
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

struct json_object *lcdoc_setting_json(const config_setting_t *s, int *line)
{
	const config_setting_t *too_deep = NULL;
	struct json_object *o = to_json(s, 0, &too_deep);
	if (!o && line)
		*line = too_deep ? config_setting_source_line(too_deep) : 0;
	return o;
}

/* Refuses what libconfig must not see; false (reported) if so. */
static bool acceptable(docsrc *src, const char *what)
{
	const char *nul = memchr(src->text, '\0', src->len);
	size_t at;
	if (nul) {
		size_t at_nul = (size_t)(nul - src->text);
		struct jsonpos_loc loc = jsonpos_text_loc(src->text, src->len,
							  at_nul);
		docsrc_report_at(src, DIAG_ERROR, loc.line, loc.col,
				 "NUL byte in a %s", what);
		return false;
	}
	if (find_include(src->text, src->len, &at)) {
		struct jsonpos_loc loc = jsonpos_text_loc(src->text, src->len,
							  at);
		docsrc_report_at(src, DIAG_ERROR, loc.line, loc.col,
				 "@include is not supported in a %s%s", what,
				 strcmp(what, "rule file") ? ""
				 : " (put each file in the rules directory)");
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

struct json_object *lcdoc_parse(docsrc *src, const char *what)
{
	if (!acceptable(src, what))
		return NULL;
	src->pos = jsonpos_scan(src->text, src->len, JSONPOS_LIBCONFIG);
	if (!well_formed(src))
		return NULL;
	char *copy = xstrndup(src->text, src->len);
	config_t cfg;
	config_init(&cfg);
	struct json_object *root = NULL;
	if (!config_read_string(&cfg, copy))
		report_libconfig(src, &cfg);
	else {
		int line;
		root = lcdoc_setting_json(config_root_setting(&cfg), &line);
		if (!root)
			docsrc_report_at(src, DIAG_ERROR, line, 0,
					 "settings nested more than %d deep", MAX_NESTING);
	}
	config_destroy(&cfg);
	free(copy);
	return root;
}
