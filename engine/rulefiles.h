/* rulefiles — loading rule files and drop-in directories (DESIGN §6.1-6.2).
 *
 * A path is a file or a directory.  Directories are read in byte order of
 * file names, taking `*.rules` (libconfig) and `*.json` (Parseable alert
 * files) and ignoring names that end in `~`, contain `.dpkg-`, end in
 * `.rpmnew` or `.rpmsave`, or start with `.`.
 *
 * Every error and warning is reported through the diag with file:line:col
 * and a caret; for a rule inside a JSON string the position points into the
 * JSON file.  Loading goes on after errors so all of them are reported. */
#ifndef BPFALERT_RULEFILES_H
#define BPFALERT_RULEFILES_H

#include <stddef.h>

#include "alertdef.h"
#include "diag.h"
#include "fields.h"

/* Loads every alert from `paths`, compiling rules against `ft` and interning
 * the fields that message placeholders and group_by name.  Alerts are
 * appended to `out` in load order.  Returns the number of errors. */
unsigned rulefiles_load(const char *const *paths, size_t npaths,
			field_table *ft, diag *d, alert_list *out);

/* One file, by its format (by extension: .json is Parseable, else native). */
unsigned rulefiles_load_file(const char *path, field_table *ft, diag *d,
			     alert_list *out);

/* Parses a duration ("500ms", "10s", "3m 20s", "1h30m", "2d").  Returns 0
 * and sets *ms, or -1 with a reason in err. */
int parse_duration(const char *text, int64_t *ms, char *err, size_t errlen);

/* True if a directory entry of this name is ignored (editor backups,
 * package manager leftovers, dot files). */
bool rulefiles_ignored_name(const char *name);

#endif
