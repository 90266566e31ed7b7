/* embedded — the rule files shipped in rules/, compiled into the binary.
 *
 * A bare `bpfalert run` (no configuration file, no rules directory on the
 * system, no -r) uses them, so the embedded default configuration watches
 * the sensitive files and alerts on stdout with nothing installed. */
#ifndef BPFALERT_EMBEDDED_H
#define BPFALERT_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
	const char *name;   /* "rules/sensitive-files.rules" */
	const char *text;
	size_t len;
};

/* The embedded rule files, in byte order of their names. */
size_t embedded_rules(const struct embedded_file **files);

#endif
