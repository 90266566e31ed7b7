#include "rules_native.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpos.h"
#include "lcdoc.h"
#include "xalloc.h"

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

unsigned rules_native_parse(const char *file, const char *text, size_t len,
			    field_table *ft, diag *d, alert_list *out)
{
	docsrc src = { .file = file, .text = text, .len = len,
		       .syntax = JSONPOS_LIBCONFIG, .d = d };
	struct json_object *root = lcdoc_parse(&src, "rule file");
	if (root)
		load_document(&src, root, ft, out);
	json_object_put(root);
	jsonpos_free(&src.pos);
	return src.errors;
}
