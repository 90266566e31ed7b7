/* lcdoc — a libconfig file read into its JSON form, with positions.
 *
 * Native rule files and the main configuration are libconfig; both are
 * checked in JSON form (groups become objects, arrays and lists arrays) so
 * one set of checks and one position index (jsonpos) serve every format.
 * The text is scanned first (jsonpos follows libconfig's grammar, so a
 * syntax error gets a column), then parsed by libconfig.  `@include` is
 * refused: it could make loading read any file. */
#ifndef BPFALERT_LCDOC_H
#define BPFALERT_LCDOC_H

#include "jsonpos.h"

struct json_object;

/* Parses src->text.  On success sets src->pos (the caller frees it with
 * jsonpos_free) and returns the document; on failure reports through src
 * and returns NULL.  `what` names the kind of file in messages
 * ("rule file", "configuration file"). */
struct json_object *lcdoc_parse(docsrc *src, const char *what);

/* One setting (and everything under it) as JSON; NULL if nested more than
 * 32 deep, with *line (if not NULL) the line of the setting too deep. */
struct config_setting_t;
struct json_object *lcdoc_setting_json(const struct config_setting_t *s, int *line);

#endif
