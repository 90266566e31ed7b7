/* alertdef — alert definitions as loaded from rule files (DESIGN §5.1, §6).
 *
 * Both rule file formats — native libconfig `.rules` and Parseable
 * `{"version":"v1","alerts":[...]}` `.json` — load into this one shape.
 * Inline targets are kept as JSON objects (a libconfig target is converted),
 * so notifiers read one configuration form whatever file it came from.
 *
 * Ownership: an alert_list owns its alert_defs, and each alert_def owns
 * every string, array, JSON object and its compiled program. */
#ifndef BPFALERT_ALERTDEF_H
#define BPFALERT_ALERTDEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rule.h"

struct json_object;

enum severity { SEVERITY_INFO, SEVERITY_WARNING, SEVERITY_CRITICAL };

struct target_ref {
	char *name;                     /* a target of the configuration, or NULL */
	struct json_object *inline_cfg; /* an inline target, or NULL */
	int line;                       /* where it is written */
};

typedef struct alert_def {
	char *name;
	char *message;
	char *rule_text;          /* the rule as written (composite text, or
				     for column rules a readable rendering) */
	bool is_column_rule;      /* a Parseable column rule */
	struct {                  /* valid when is_column_rule */
		char *column, *op, *value;
		bool value_is_number, ignore_case;
	} column;
	rule_program *prog;

	enum severity severity;   /* default warning */
	char **group_by;
	size_t n_group_by;
	unsigned repeats;         /* default 1 (Parseable column: its repeats) */
	int64_t within_ms;        /* 0 = unlimited */
	int64_t resolve_after_ms; /* default 5 min */
	unsigned max_instances;   /* default 1000 */
	struct target_ref *targets;
	size_t ntargets;
	bool enabled;             /* default true */

	char *file;               /* where it was defined: its name's place */
	int line, col;
	bool from_parseable;
	char *stream;             /* Parseable: file name without .json */
	struct json_object *extra; /* Parseable keys kept verbatim (id, ...) */
} alert_def;

typedef struct alert_list {
	alert_def **v;
	size_t n, cap;
} alert_list;

void alert_list_clear(alert_list *l);
void alert_list_push(alert_list *l, alert_def *a);
void alert_def_free(alert_def **a);
const char *severity_name(enum severity s);

/* Building alerts from a rule file's document.  Both formats reach here in
 * JSON form (a native file's libconfig settings converted), so one set of
 * checks covers both; every problem is reported at its place through the
 * docsrc, and all of them are reported, not only the first. */
struct docsrc;
struct jsonpos_path;

struct alertdef_origin {
	bool parseable;      /* a Parseable file: its defaults and extra keys */
	const char *stream;  /* Parseable: the file name without .json */
};

/* Checks each alert of the array `alerts` (at `at` in src's document),
 * compiles its rule against `ft`, interns the fields its message and
 * group_by name, and appends every alert without errors to `out`.
 * Returns the number of errors. */
unsigned alertdef_load_all(struct json_object *alerts, struct docsrc *src,
			   const struct jsonpos_path *at,
			   const struct alertdef_origin *origin,
			   field_table *ft, alert_list *out);

#endif
