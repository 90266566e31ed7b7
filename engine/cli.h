/* cli — command-line options shared by the subcommands (DESIGN §9). */
#ifndef BPFALERT_CLI_H
#define BPFALERT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "alertdef.h"
#include "export_spec.h"
#include "targets.h"

struct config;

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
	const char **policy_paths;     /* -p, repeatable (TracingPolicy files) */
	size_t npolicy_paths;
	const char *input;             /* -i; "-" is stdin */
	const char *output;            /* -o */
	const char *color;             /* --color auto|always|never (events) */
	const char *deadline;          /* --deadline DURATION (replay delivering) */
	bool timestamps;               /* --timestamps (events) */
	bool dry_run, matches, dump_bytecode, foreground, no_prefilter;
	char **args;                   /* operands (test FILE...) */
	size_t nargs;
};

/* Parses argv after the command name.  Returns 0, or EXIT_USAGE after
 * printing the problem. */
int cli_parse(int argc, char **argv, struct cli_options *opt);
void cli_options_free(struct cli_options *opt);
void cli_usage(FILE *out);


/* What a command loads: the configuration, the field table, the alerts
 * and their resolved targets, with the counts of what was reported. */
struct loaded_rules {
	struct config *config;
	struct field_table *ft;
	alert_list alerts;
	target_set targets;
	size_t **target_map;       /* per alert: indices into targets */
	export_specs exports;      /* with the targets */
	unsigned errors, warnings;
};

/* Loads the configuration (-c, else the system file, else the embedded
 * one) and the rules (-r paths, else the configuration's rules_dirs),
 * resolving targets and checking exports when `with_targets`.  Reports on `report`; returns the
 * number of errors. */
unsigned loaded_rules_load(struct loaded_rules *lr, const struct cli_options *opt,
			   bool with_targets, FILE *report);
void loaded_rules_free(struct loaded_rules *lr);

int cmd_check(const struct cli_options *opt);
int cmd_rules(const struct cli_options *opt);
int cmd_replay(const struct cli_options *opt);
int cmd_test(const struct cli_options *opt);

#endif
