/* targetcfg — checking one target's configuration (DESIGN §7).
 *
 * A target is checked in its JSON form (an inline target of a Parseable
 * file as written, or a libconfig group converted to JSON), key by key,
 * every problem reported at its place through the docsrc:
 *
 *   type            webhook, slack, alertmanager, syslog, file, stdout
 *                   (Parseable's "alertManager" is accepted: any case)
 *   endpoint        webhook, slack, alertmanager: required http(s) URL
 *   headers         webhook: object of header name -> string value
 *   skip_tls_check  webhook, alertmanager: boolean
 *   format          webhook: json | text; stdout: compact | json
 *   timeout         webhook, slack, alertmanager: duration
 *   username, password   alertmanager: strings
 *   facility, ident, server   syslog (server: udp://host:port, tcp://...)
 *   path, max_size_mb, max_files   file (path required)
 *   repeat          { interval = duration; times = integer >= 1 }; in
 *                   Parseable files times 0 is Parseable's "unlimited"
 *   send_resolved   boolean
 *
 * Unknown keys are warnings with a suggestion.  The target is normalised
 * in place: the type is spelled "alertmanager", and a webhook from a
 * Parseable file gets "format": "text" unless it names a format (its
 * consumers expect Parseable's body). */
#ifndef BPFALERT_TARGETCFG_H
#define BPFALERT_TARGETCFG_H

#include <stdbool.h>

#include "jsonpos.h"

struct json_object;

/* Checks the target at `at` of src's document.  Returns its errors. */
unsigned targetcfg_check(struct json_object *t, docsrc *src,
			 const jsonpos_path *at, bool parseable);

/* The target types, NULL-terminated. */
const char *const *targetcfg_types(void);

#endif
