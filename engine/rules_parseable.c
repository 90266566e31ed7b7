#include "rules_parseable.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpos.h"
#include "msgtext.h"
#include "xalloc.h"

char *rules_parseable_stream(const char *file)
{
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	size_t n = strlen(base);
	if (n > 5 && strcmp(base + n - 5, ".json") == 0)
		n -= 5;
	return xstrndup(base, n);
}

/* Where json-c stopped; at the end of input, just after the last
 * non-blank byte, so the quoted line is the one that is cut short. */
static size_t stop_offset(const char *text, size_t len, size_t at)
{
	if (at < len)
		return at;
	while (at > 0 && strchr(" \t\r\n", text[at - 1]))
		at--;
	return at;
}

static struct json_object *parse_json(docsrc *src)
{
	json_tokener *tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	struct json_object *root = json_tokener_parse_ex(tok, src->text,
							 (int)src->len);
	enum json_tokener_error err = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	if (!root && err == json_tokener_continue) {
		/* A trailing NUL tells json-c the input is complete. */
		root = json_tokener_parse_ex(tok, "", 1);
		err = root ? json_tokener_success
			   : json_tokener_error_parse_eof;
		end = src->len;
	}
	if (!root) {
		size_t at = stop_offset(src->text, src->len, end);
		struct jsonpos_loc loc = jsonpos_text_loc(src->text, src->len,
							  at);
		docsrc_report_at(src, DIAG_ERROR, loc.line, loc.col,
				 "JSON syntax error: %s",
				 err == json_tokener_error_parse_eof
					 ? "unexpected end of input"
					 : json_tokener_error_desc(err));
	}
	json_tokener_free(tok);
	return root;
}

static bool check_version(docsrc *src, struct json_object *root)
{
	jsonpos_path root_at = { .n = 0 };
	jsonpos_path p = jsonpos_key(&root_at, "version");
	struct json_object *v;
	if (!json_object_object_get_ex(root, "version", &v)) {
		docsrc_report(src, DIAG_ERROR, &root_at, false,
			      "missing 'version' (Parseable alert files start "
			      "with \"version\": \"v1\")");
		return false;
	}
	if (json_object_is_type(v, json_type_string) &&
	    strcmp(json_object_get_string(v), "v1") == 0)
		return true;
	const char *s = v ? json_object_get_string(v) : "null";
	char *shown = msgtext_quote(s, strlen(s));
	docsrc_report(src, DIAG_ERROR, &p, false,
		      "unsupported version '%s' (expected \"v1\")", shown);
	free(shown);
	return false;
}

static void warn_top_keys(docsrc *src, struct json_object *root)
{
	static const char *const keys[] = { "version", "alerts", NULL };
	jsonpos_path root_at = { .n = 0 };
	json_object_object_foreach(root, key, v) {
		(void)v;
		if (strcmp(key, "version") == 0 || strcmp(key, "alerts") == 0)
			continue;
		jsonpos_path p = jsonpos_key(&root_at, key);
		docsrc_unknown_key(src, &p, key, keys);
	}
}

static void load_document(docsrc *src, struct json_object *root,
			  field_table *ft, alert_list *out)
{
	jsonpos_path root_at = { .n = 0 };
	if (!json_object_is_type(root, json_type_object)) {
		docsrc_report(src, DIAG_ERROR, &root_at, false,
			      "a Parseable alert file must be an object "
			      "{\"version\": \"v1\", \"alerts\": [...]}");
		return;
	}
	check_version(src, root);
	warn_top_keys(src, root);
	struct json_object *alerts;
	jsonpos_path at = jsonpos_key(&root_at, "alerts");
	if (!json_object_object_get_ex(root, "alerts", &alerts)) {
		docsrc_report(src, DIAG_ERROR, &root_at, false,
			      "missing 'alerts'");
		return;
	}
	if (!json_object_is_type(alerts, json_type_array)) {
		docsrc_report(src, DIAG_ERROR, &at, false,
			      "'alerts' must be an array");
		return;
	}
	char *stream = rules_parseable_stream(src->file);
	struct alertdef_origin origin = { .parseable = true, .stream = stream };
	alertdef_load_all(alerts, src, &at, &origin, ft, out);
	free(stream);
}

unsigned rules_parseable_parse(const char *file, const char *text, size_t len,
			       field_table *ft, diag *d, alert_list *out)
{
	docsrc src = { .file = file, .text = text, .len = len,
		       .syntax = JSONPOS_JSON, .d = d };
	const char *nul = memchr(text, '\0', len);
	if (nul) {
		struct jsonpos_loc loc = jsonpos_text_loc(text, len,
							  (size_t)(nul - text));
		docsrc_report_at(&src, DIAG_ERROR, loc.line, loc.col,
				 "NUL byte in a JSON file");
		return src.errors;
	}
	if (len > INT_MAX) {  /* json-c takes an int */
		docsrc_report_at(&src, DIAG_ERROR, 0, 0, "file too large");
		return src.errors;
	}
	struct json_object *root = parse_json(&src);
	if (!root)
		return src.errors;
	src.pos = jsonpos_scan(text, len, JSONPOS_JSON);
	load_document(&src, root, ft, out);
	jsonpos_free(&src.pos);
	json_object_put(root);
	return src.errors;
}
