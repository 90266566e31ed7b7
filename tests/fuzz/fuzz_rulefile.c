/* Random bytes as a Parseable alert file and as a native rule file, and
 * through the position index, durations and placeholders on their own.
 * Nothing may crash, hang or leak whatever the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpos.h"
#include "rulefiles.h"
#include "rules_native.h"
#include "rules_parseable.h"
#include "template.h"

/* Reports are formatted (into /dev/null) so their code runs too. */
static FILE *sink(void)
{
	static FILE *f;
	if (!f)
		f = fopen("/dev/null", "w");
	return f;
}

static void probe_positions(const char *text, size_t len,
			    enum jsonpos_syntax syn)
{
	jsonpos *jp = jsonpos_scan(text, len, syn);
	const jsonpos_path root = { .n = 0 };
	jsonpos_path paths[] = {
		jsonpos_key(&root, "alerts"),
		jsonpos_index(&root, 0),
	};
	paths[1] = jsonpos_index(&paths[0], 0);
	jsonpos_path deep = jsonpos_key(&paths[1], "rule");
	struct jsonpos_loc v, k;
	for (size_t i = 0; i < 2; i++) {
		jsonpos_find(jp, &paths[i], &v, &k);
		jsonpos_string_at(jp, &paths[i], len / 2, &v);
	}
	jsonpos_find(jp, &deep, &v, &k);
	jsonpos_string_at(jp, &deep, 3, &v);
	jsonpos_loc_of(jp, len / 3);
	jsonpos_free(&jp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	field_table *ft = field_table_new();
	diag *d = diag_new(sink());
	alert_list alerts = { 0 };

	rules_parseable_parse("fuzz.json", text, size, ft, d, &alerts);
	rules_native_parse("fuzz.rules", text, size, ft, d, &alerts);
	probe_positions(text, size, JSONPOS_JSON);
	probe_positions(text, size, JSONPOS_LIBCONFIG);
	template_scan(text, size, NULL, NULL);

	char *copy = malloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	int64_t ms;
	char err[128];
	parse_duration(copy, &ms, err, sizeof(err));
	rulefiles_ignored_name(copy);
	free(copy);

	alert_list_clear(&alerts);
	diag_free(&d);
	field_table_free(&ft);
	return 0;
}
