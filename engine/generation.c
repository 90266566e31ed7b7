#include "generation.h"

#include <json-c/json.h>
#include <stdlib.h>

#include "diag.h"
#include "rulefiles.h"
#include "xalloc.h"

static void add_named_targets(struct generation *g, diag *d)
{
	char err[256];
	json_object_object_foreach(g->config->targets, name, cfg) {
		if (target_set_add_named(&g->targets, name, cfg, err, sizeof(err)))
			diag_report(d, DIAG_ERROR, g->config->file, 0, 0, NULL, 0,
				    "target '%s': %s", name, err);
	}
}

struct generation *generation_load(const char *config_path,
				   const char *const *rule_paths, size_t npaths,
				   FILE *report)
{
	diag *d = diag_new(report);
	struct generation *g = xcalloc(1, sizeof(*g));
	g->config = config_for_command(config_path, d);
	g->ft = field_table_new();
	if (g->config) {
		if (!npaths) {
			rule_paths = (const char *const *)g->config->rules_dirs;
			npaths = g->config->nrules_dirs;
		}
		rulefiles_load(rule_paths, npaths, g->ft, d, &g->alerts);
		add_named_targets(g, d);
		if (!diag_errors(d))
			targets_resolve(&g->targets, &g->alerts, &g->target_map, d);
	}
	unsigned errors = diag_errors(d);
	diag_free(&d);
	if (errors) {
		generation_free(&g);
		return NULL;
	}
	g->rules = ruleset_new(&g->alerts, g->ft);
	ruleset_set_timing(g->rules, true);
	return g;
}

void generation_free(struct generation **pg)
{
	struct generation *g = *pg;
	if (!g)
		return;
	ruleset_free(&g->rules);
	target_map_free(&g->target_map, g->alerts.n);
	target_set_clear(&g->targets);
	alert_list_clear(&g->alerts);
	field_table_free(&g->ft);
	config_free(&g->config);
	free(g);
	*pg = NULL;
}
