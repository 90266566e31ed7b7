/* bpfalert check / rules: load, report, list, disassemble. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "fields.h"
#include "rulefiles.h"

unsigned loaded_rules_load(struct loaded_rules *lr, const struct cli_options *opt,
			   FILE *report)
{
	memset(lr, 0, sizeof(*lr));
	lr->ft = field_table_new();
	diag *d = diag_new(report);
	size_t n;
	const char *const *paths = cli_rule_paths(opt, &n);
	rulefiles_load(paths, n, lr->ft, d, &lr->alerts);
	lr->errors = diag_errors(d);
	lr->warnings = diag_warnings(d);
	diag_free(&d);
	return lr->errors;
}

void loaded_rules_free(struct loaded_rules *lr)
{
	alert_list_clear(&lr->alerts);
	field_table_free(&lr->ft);
}

static void print_summary(FILE *out, const struct loaded_rules *lr)
{
	fprintf(out, "%zu alert%s loaded, %u error%s, %u warning%s\n",
		lr->alerts.n, lr->alerts.n == 1 ? "" : "s",
		lr->errors, lr->errors == 1 ? "" : "s",
		lr->warnings, lr->warnings == 1 ? "" : "s");
}

int cmd_check(const struct cli_options *opt)
{
	if (opt->nargs) {
		fprintf(stderr, "bpfalert check: unexpected argument '%s'\n", opt->args[0]);
		return EXIT_USAGE;
	}
	struct loaded_rules lr;
	loaded_rules_load(&lr, opt, stderr);
	print_summary(lr.errors ? stderr : stdout, &lr);
	int rc = lr.errors ? EXIT_RULES : EXIT_OK;
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
	if (opt->nargs) {
		fprintf(stderr, "bpfalert rules: unexpected argument '%s'\n", opt->args[0]);
		return EXIT_USAGE;
	}
	struct loaded_rules lr;
	loaded_rules_load(&lr, opt, stderr);
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
