#include "parseable_text.h"

#include <string.h>

#include "xalloc.h"

const char *parseable_rule_text(const alert_def *a)
{
	const char *t = a->prog ? rule_program_text(a->prog) : NULL;
	return t ? t : (a->rule_text ? a->rule_text : "");
}

/* Parseable words numeric "not equal to" with a leading space, so its
 * reason reads "column was  not equal to 5"; kept for byte-exact bodies. */
static const char *column_wording(const alert_def *a)
{
	const char *w = a->prog ? rule_program_column_wording(a->prog) : NULL;
	if (!w)
		w = a->column.op ? a->column.op : "";
	while (*w == ' ')
		w++;
	if (a->column.value_is_number && strcmp(w, "not equal to") == 0)
		return " not equal to";
	return w;
}

char *parseable_reason(const alert_def *a)
{
	if (!a->is_column_rule)
		return xasprintf("matched rule %s", parseable_rule_text(a));
	const char *col = a->column.column ? a->column.column : "";
	const char *val = a->column.value ? a->column.value : "";
	unsigned repeats = a->repeats ? a->repeats : 1;
	return xasprintf(a->column.value_is_number ? "%s column was %s %s, %u times"
						   : "%s column %s %s, %u times",
			 col, column_wording(a), val, repeats);
}
