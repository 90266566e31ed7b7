#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#ifndef BPFALERT_SYSCONFDIR
#define BPFALERT_SYSCONFDIR "/etc"
#endif

void cli_usage(FILE *out)
{
	fputs("Usage:\n"
	      "  bpfalert [run] [-c FILE] [-r DIR|FILE]... [-p DIR|FILE]... [-f|--foreground]\n"
	      "  bpfalert check  [-c FILE] [-r DIR|FILE]... [-p DIR|FILE]...\n"
	      "  bpfalert replay [--dry-run] [-c FILE] [-r DIR|FILE]... [-i FILE|-] [-o text|json] [--matches]\n"
	      "                  [--deadline DURATION]\n"
	      "  bpfalert test   FILE...\n"
	      "  bpfalert events [-o compact|json] [--timestamps] [--color auto|always|never]\n"
	      "                  [-i FILE|-] [-r DIR|FILE]...\n"
	      "  bpfalert rules  [--dump-bytecode] [-r DIR|FILE]...\n"
	      "  bpfalert --version | --help\n"
	      "\n"
	      "Commands:\n"
	      "  run      watch the kernel and/or Tetragon's export and send alerts (default)\n"
	      "  check    load configuration and rules, print every error and warning\n"
	      "  replay   evaluate recorded events; --matches prints the alerts each event\n"
	      "           matched, --dry-run prints the notifications that would be sent\n"
	      "  test     run rule unit tests\n"
	      "  events   print events as `tetra getevents -o compact` does\n"
	      "  rules    list the loaded rules; --dump-bytecode disassembles them\n"
	      "\n"
	      "Options:\n"
	      "  -c, --config FILE     configuration (default " BPFALERT_SYSCONFDIR "/bpfalert/bpfalert.conf)\n"
	      "  -r, --rules DIR|FILE  rule file or drop-in directory (repeatable;\n"
	      "                        default " BPFALERT_SYSCONFDIR "/bpfalert/rules.d)\n"
	      "  -p, --policies DIR|FILE  Tetragon TracingPolicy file or directory (repeatable;\n"
	      "                        default " BPFALERT_SYSCONFDIR "/bpfalert/policies.d)\n"
	      "  -i, --input FILE|-    events, one JSON object a line (default: stdin)\n"
	      "  -o, --output FORMAT   output format\n"
	      "  -f, --foreground      stay in the foreground\n"
	      "      --timestamps      events: each line starts with the event's time\n"
	      "      --color WHEN      events: auto (on a terminal), always or never\n"
	      "      --deadline TIME   replay: stop delivering after TIME (default 3m);\n"
	      "                        what is left stays in the spool, exit status 3\n"
	      "\n"
	      "Exit status: 0 success, 1 rule or configuration errors, 2 usage errors,\n"
	      "3 runtime failure.\n", out);
}

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "rules", required_argument, NULL, 'r' },
	{ "policies", required_argument, NULL, 'p' },
	{ "input", required_argument, NULL, 'i' },
	{ "output", required_argument, NULL, 'o' },
	{ "foreground", no_argument, NULL, 'f' },
	{ "dry-run", no_argument, NULL, 'D' },
	{ "matches", no_argument, NULL, 'M' },
	{ "dump-bytecode", no_argument, NULL, 'B' },
	{ "no-prefilter", no_argument, NULL, 'P' },
	{ "timestamps", no_argument, NULL, 'T' },
	{ "color", required_argument, NULL, 'C' },
	{ "deadline", required_argument, NULL, 'L' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void add_rule_path(struct cli_options *opt, const char *path)
{
	opt->rule_paths = xrealloc(opt->rule_paths,
				   (opt->nrule_paths + 1) * sizeof(char *));
	opt->rule_paths[opt->nrule_paths++] = path;
}

static int apply_option(struct cli_options *opt, int c)
{
	switch (c) {
	case 'c': opt->config = optarg; break;
	case 'r': add_rule_path(opt, optarg); break;
	case 'p':
		opt->policy_paths = xrealloc(opt->policy_paths,
					     (opt->npolicy_paths + 1) * sizeof(char *));
		opt->policy_paths[opt->npolicy_paths++] = optarg;
		break;
	case 'i': opt->input = optarg; break;
	case 'o': opt->output = optarg; break;
	case 'f': opt->foreground = true; break;
	case 'D': opt->dry_run = true; break;
	case 'M': opt->matches = true; break;
	case 'B': opt->dump_bytecode = true; break;
	case 'P': opt->no_prefilter = true; break;
	case 'T': opt->timestamps = true; break;
	case 'C': opt->color = optarg; break;
	case 'L': opt->deadline = optarg; break;
	case 'h': cli_usage(stdout); exit(EXIT_OK);
	default: return EXIT_USAGE;
	}
	return 0;
}

int cli_parse(int argc, char **argv, struct cli_options *opt)
{
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":c:r:p:i:o:fh", long_options, NULL)) != -1) {
		if (c == '?' || c == ':') {
			const char *what = c == ':' ? "option needs a value"
						    : "unknown option";
			if (optopt)
				fprintf(stderr, "bpfalert %s: %s '-%c'\n",
					opt->command, what, optopt);
			else
				fprintf(stderr, "bpfalert %s: %s '%s'\n",
					opt->command, what, argv[optind - 1]);
			fputs("Try 'bpfalert --help'.\n", stderr);
			return EXIT_USAGE;
		}
		if (apply_option(opt, c))
			return EXIT_USAGE;
	}
	opt->args = argv + optind;
	opt->nargs = (size_t)(argc - optind);
	return 0;
}

void cli_options_free(struct cli_options *opt)
{
	free(opt->rule_paths);
	opt->rule_paths = NULL;
	opt->nrule_paths = 0;
	free(opt->policy_paths);
	opt->policy_paths = NULL;
	opt->npolicy_paths = 0;
}
