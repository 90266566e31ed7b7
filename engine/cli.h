/* cli — command-line options shared by the subcommands (DESIGN §9). */
#ifndef BPFALERT_CLI_H
#define BPFALERT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "alertdef.h"

/* Exit codes (DESIGN §9). */
enum {
	EXIT_OK = 0,
	EXIT_RULES = 1,    /* rule or configuration errors */
	EXIT_USAGE = 2,
	EXIT_RUNTIME = 3,
};

struct cli_options {
	const char *command;
	const char *config;            /* -c */
	const char **rule_paths;       /* -r, repeatable */
	size_t nrule_paths;
	const char *input;             /* -i; "-" is stdin */
	const char *output;            /* -o */
	bool dry_run, matches, dump_bytecode, foreground, no_prefilter;
	char **args;                   /* operands (test FILE...) */
	size_t nargs;
};

/* Parses argv after the command name.  Returns 0, or EXIT_USAGE after
 * printing the problem. */
int cli_parse(int argc, char **argv, struct cli_options *opt);
void cli_options_free(struct cli_options *opt);
void cli_usage(FILE *out);

/* The rule paths to load: -r paths, else the default rules directory. */
const char *const *cli_rule_paths(const struct cli_options *opt, size_t *n);

/* Rules loaded for a command: the field table, the alerts, the counts. */
struct loaded_rules {
	struct field_table *ft;
	alert_list alerts;
	unsigned errors, warnings;
};

/* Loads the rule paths of `opt`, reporting on `report`.  Returns the
 * number of errors. */
unsigned loaded_rules_load(struct loaded_rules *lr, const struct cli_options *opt,
			   FILE *report);
void loaded_rules_free(struct loaded_rules *lr);

int cmd_check(const struct cli_options *opt);
int cmd_rules(const struct cli_options *opt);
int cmd_replay(const struct cli_options *opt);

#endif
