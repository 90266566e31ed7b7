/* rulefiles — loading rule files and drop-in directories (DESIGN §6.1-6.2).
 *
 * A path is a file or a directory.  Directories are read in byte order of
 * file names (strcmp, whatever the locale), taking `*.rules` (libconfig)
 * and `*.json` (Parseable alert files) and silently ignoring names that end
 * in `~`, contain `.dpkg-`, end in `.rpmnew` or `.rpmsave`, or start with
 * `.`.  Subdirectories are not descended into.  Any other file draws a
 * warning: a misspelt extension would otherwise drop its rules unseen.  A
 * file named on its own loads whatever its name (.json as Parseable, else
 * native).  A path that does not exist is an error.
 *
 * Alert names are unique across everything loaded into one alert_list; a
 * repeated name is an error that says where it was first defined.
 *
 * Every error and warning is reported through the diag with file:line:col
 * and a caret; for a rule inside a JSON string the position points into the
 * JSON file.  Loading goes on after errors so all of them are reported. */
#ifndef BPFALERT_RULEFILES_H
#define BPFALERT_RULEFILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alertdef.h"
#include "diag.h"
#include "fields.h"

/* Loads every alert from `paths`, compiling rules against `ft` and interning
 * the fields that message placeholders and group_by name.  Alerts without
 * errors are appended to `out` in load order (the caller decides whether
 * any error fails the whole load).  Returns the number of errors. */
unsigned rulefiles_load(const char *const *paths, size_t npaths,
			field_table *ft, diag *d, alert_list *out);

/* One file, by its format (by extension: .json is Parseable, else native). */
unsigned rulefiles_load_file(const char *path, field_table *ft, diag *d,
			     alert_list *out);

/* Parses a duration ("500ms", "10s", "3m 20s", "1h30m", "2d"): numbers
 * each with a unit (ms, s, m, h, d, w and humantime's longer spellings such
 * as "min" or "days"), blanks allowed between parts.  A bare number is an
 * error ("missing unit in duration '10'"), as are fractions and overflow.
 * Returns 0 and sets *ms, or -1 with a reason in err. */
int parse_duration(const char *text, int64_t *ms, char *err, size_t errlen);

/* True if a directory entry of this name is ignored (editor backups,
 * package manager leftovers, dot files). */
bool rulefiles_ignored_name(const char *name);

#endif
