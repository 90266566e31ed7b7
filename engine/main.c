/* bpfalert — command dispatch. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "daemon.h"
#include "cmd_events.h"

struct command {
	const char *name;
	int (*run)(const struct cli_options *opt);
};

static const struct command commands[] = {
	{ "run", cmd_run },
	{ "check", cmd_check },
	{ "rules", cmd_rules },
	{ "replay", cmd_replay },
	{ "test", cmd_test },
	{ "events", cmd_events },
	{ NULL, NULL },
};

static const struct command *find_command(const char *name)
{
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

int main(int argc, char **argv)
{
	/* A closed stdout is a write error to report, not a reason to die. */
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		puts("bpfalert " BPFALERT_VERSION);
		return EXIT_OK;
	}
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		cli_usage(stdout);
		return EXIT_OK;
	}
	const char *name = argc > 1 && argv[1][0] != '-' ? argv[1] : "run";
	const struct command *cmd = find_command(name);
	if (!cmd) {
		fprintf(stderr, "bpfalert: unknown command '%s'\n"
			"Try 'bpfalert --help'.\n", name);
		return EXIT_USAGE;
	}
	int shift = argc > 1 && argv[1][0] != '-' ? 1 : 0;
	struct cli_options opt = { .command = name };
	int rc = cli_parse(argc - shift, argv + shift, &opt);
	if (rc == 0)
		rc = cmd->run(&opt);
	cli_options_free(&opt);
	return rc;
}
