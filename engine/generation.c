#include "generation.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <dirent.h>
#include <sys/stat.h>

#include "diag.h"
#include "embedded.h"
#include "rules_native.h"
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

static bool use_embedded_rules(const struct config *c)
{
	struct stat st;
	return !c->file && c->nrules_dirs == 1 && stat(c->rules_dirs[0], &st) != 0;
}

/* Each rules path, and each rule file in a rules directory. */
static void check_rule_permissions(const char *const *paths, size_t n,
				   bool strict, diag *d)
{
	for (size_t i = 0; i < n; i++) {
		config_check_permissions(paths[i], strict, d);
		DIR *dir = opendir(paths[i]);
		if (!dir)
			continue;
		struct dirent *e;
		while ((e = readdir(dir))) {
			if (rulefiles_ignored_name(e->d_name))
				continue;
			char *p = xasprintf("%s/%s", paths[i], e->d_name);
			config_check_permissions(p, strict, d);
			free(p);
		}
		closedir(dir);
	}
}

unsigned generation_load_rules(const struct config *c, const char *const *paths,
			       size_t npaths, field_table *ft, diag *d,
			       alert_list *out)
{
	if (!npaths && !use_embedded_rules(c)) {
		paths = (const char *const *)c->rules_dirs;
		npaths = c->nrules_dirs;
	}
	if (npaths) {
		check_rule_permissions(paths, npaths, c->strict_permissions, d);
		return rulefiles_load(paths, npaths, ft, d, out);
	}
	const struct embedded_file *files;
	size_t n = embedded_rules(&files);
	unsigned errors = 0;
	for (size_t i = 0; i < n; i++)
		errors += rules_native_parse(files[i].name, files[i].text,
					     files[i].len, ft, d, out);
	return errors;
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
		generation_load_rules(g->config, rule_paths, npaths, g->ft, d,
				      &g->alerts);
		add_named_targets(g, d);
		export_specs_load(g->config->exports, g->ft, g->config->file, d,
				  &g->exports);
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
	export_specs_clear(&g->exports);
	target_map_free(&g->target_map, g->alerts.n);
	target_set_clear(&g->targets);
	alert_list_clear(&g->alerts);
	field_table_free(&g->ft);
	config_free(&g->config);
	free(g);
	*pg = NULL;
}
