/* bpfalert check / rules / test: load, report, list, disassemble, test. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "diag.h"
#include "fields.h"
#include "generation.h"
#include "policy.h"
#include "policy_eval.h"
#if BPFALERT_HAVE_PROBES
#include "bpf_source.h"
#endif
#include "rulefiles.h"
#include "ruletest.h"

static unsigned add_config_targets(target_set *ts, const struct config *c,
				   diag *d)
{
	unsigned errors = 0;
	char err[256];
	json_object_object_foreach(c->targets, name, cfg) {
		if (target_set_add_named(ts, name, cfg, err, sizeof(err))) {
			diag_report(d, DIAG_ERROR, c->file, 0, 0, NULL, 0,
				    "target '%s': %s", name, err);
			errors++;
		}
	}
	return errors;
}

static void load_targets(struct loaded_rules *lr, diag *d)
{
	if (add_config_targets(&lr->targets, lr->config, d))
		return;
	targets_resolve(&lr->targets, &lr->alerts, &lr->target_map, d);
}

unsigned loaded_rules_load(struct loaded_rules *lr, const struct cli_options *opt,
			   bool with_targets, FILE *report)
{
	memset(lr, 0, sizeof(*lr));
	diag *d = diag_new(report);
	lr->config = config_for_command(opt->config, d);
	lr->ft = field_table_new();
	if (lr->config) {
		generation_load_rules(lr->config, opt->rule_paths, opt->nrule_paths,
				      lr->ft, d, &lr->alerts);
		if (with_targets) {
			load_targets(lr, d);
			export_specs_load(lr->config->exports, lr->ft, lr->config->file,
					  d, &lr->exports);
		}
	}
	lr->errors = diag_errors(d);
	lr->warnings = diag_warnings(d);
	diag_free(&d);
	return lr->errors;
}

void loaded_rules_free(struct loaded_rules *lr)
{
	export_specs_clear(&lr->exports);
	target_map_free(&lr->target_map, lr->alerts.n);
	target_set_clear(&lr->targets);
	alert_list_clear(&lr->alerts);
	field_table_free(&lr->ft);
	config_free(&lr->config);
}

static void print_summary(FILE *out, const struct loaded_rules *lr)
{
	fprintf(out, "%zu alert%s loaded, %u error%s, %u warning%s\n",
		lr->alerts.n, lr->alerts.n == 1 ? "" : "s",
		lr->errors, lr->errors == 1 ? "" : "s",
		lr->warnings, lr->warnings == 1 ? "" : "s");
}

static int no_operands(const struct cli_options *opt)
{
	if (!opt->nargs)
		return 0;
	fprintf(stderr, "bpfalert %s: unexpected argument '%s'\n", opt->command,
		opt->args[0]);
	return EXIT_USAGE;
}

/* The policies: each described, errors reported; returns the errors. */
static unsigned check_policies(const struct cli_options *opt, const struct config *c)
{
	diag *d = diag_new(stderr);
	policy_set ps = { 0 };
	unsigned errors = policy_load_configured(opt->policy_paths, opt->npolicy_paths,
						 c->policies_dirs, c->npolicies_dirs, d, &ps);
	if (ps.n) {
		char hook[256] = "no kernel probes in this build";
#if BPFALERT_HAVE_PROBES
		bpf_source_files_hook((const char *const *)c->probes.hooks, c->probes.nhooks, hook,
				      sizeof(hook));
#endif
		policy_describe(&ps, hook, stdout);
	}
	if (ps.n || errors)
		fprintf(errors ? stderr : stdout, "%zu polic%s loaded, %u error%s\n", ps.n,
			ps.n == 1 ? "y" : "ies", errors, errors == 1 ? "" : "s");
	policy_set_clear(&ps);
	diag_free(&d);
	return errors;
}

int cmd_check(const struct cli_options *opt)
{
	if (no_operands(opt))
		return EXIT_USAGE;
	struct loaded_rules lr;
	loaded_rules_load(&lr, opt, true, stderr);
	print_summary(lr.errors ? stderr : stdout, &lr);
	unsigned perr = lr.config ? check_policies(opt, lr.config) : 0;
	int rc = lr.errors || perr ? EXIT_RULES : EXIT_OK;
	loaded_rules_free(&lr);
	return rc;
}

static void print_rule(FILE *out, const alert_def *a, size_t i,
		       const field_table *ft, bool dump)
{
	fprintf(out, "%zu\t%s\t%s\t%s%s\n", i + 1, a->name,
		severity_name(a->severity), a->prog ? rule_program_text(a->prog) : "",
		a->enabled ? "" : "\t(disabled)");
	if (dump && a->prog) {
		rule_program_dump(a->prog, ft, out);
		fputc('\n', out);
	}
}

int cmd_rules(const struct cli_options *opt)
{
	if (no_operands(opt))
		return EXIT_USAGE;
	struct loaded_rules lr;
	loaded_rules_load(&lr, opt, false, stderr);
	if (lr.errors) {
		print_summary(stderr, &lr);
		loaded_rules_free(&lr);
		return EXIT_RULES;
	}
	for (size_t i = 0; i < lr.alerts.n; i++)
		print_rule(stdout, lr.alerts.v[i], i, lr.ft, opt->dump_bytecode);
	loaded_rules_free(&lr);
	return EXIT_OK;
}

int cmd_test(const struct cli_options *opt)
{
	if (!opt->nargs) {
		fputs("bpfalert test: name at least one test file\n", stderr);
		return EXIT_USAGE;
	}
	int rc = ruletest_run((const char *const *)opt->args, opt->nargs, stdout);
	return rc == 0 ? EXIT_OK : rc == 1 ? EXIT_RULES : EXIT_USAGE;
}
