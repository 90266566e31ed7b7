/* generation — one complete, checked set of configuration, rules and
 * targets: what the daemon runs, and what a reload builds aside and swaps
 * in only when wholly valid (DESIGN §6.4). */
#ifndef BPFALERT_GENERATION_H
#define BPFALERT_GENERATION_H

#include <stddef.h>
#include <stdio.h>

#include "alertdef.h"
#include "config.h"
#include "diag.h"
#include "export_spec.h"
#include "fields.h"
#include "ruleset.h"
#include "targets.h"

struct generation {
	struct config *config;
	field_table *ft;
	alert_list alerts;
	target_set targets;
	size_t **target_map;
	ruleset *rules;
	export_specs exports;
};

/* Loads config_path (NULL: the system file, else the embedded default)
 * and the rule paths (none: the configuration's rules_dirs).  Every error
 * and warning goes to `report`.  NULL if anything is wrong. */
struct generation *generation_load(const char *config_path,
				   const char *const *rule_paths, size_t npaths,
				   FILE *report);
void generation_free(struct generation **g);

/* Loads the rules a command uses: the -r paths if any; else the
 * configuration's rules_dirs; except that with the embedded configuration
 * and no rules directory on the system, the rules shipped in rules/ (compiled
 * in) are used, so a bare `bpfalert run` works with nothing installed.
 * Returns the number of errors. */
unsigned generation_load_rules(const struct config *c, const char *const *paths,
			       size_t npaths, field_table *ft, diag *d,
			       alert_list *out);

#endif
