/* parseable_text — Parseable's failing-condition wording (DESIGN §7.3).
 *
 * Parseable names why an alert fired in its webhook bodies and
 * Alertmanager annotations:
 *   composite rule:      "matched rule (a = \"x\" and b = \"y\")"
 *   numeric column rule: "{column} column was greater than 500, 3 times"
 *   string column rule:  "{column} column contains /etc, 1 times"
 * bpfalert uses the same reason for every alert, native ones included. */
#ifndef BPFALERT_PARSEABLE_TEXT_H
#define BPFALERT_PARSEABLE_TEXT_H

#include "alertdef.h"

/* The rule as Parseable prints it back (the composite expression, or the
 * alert's rule text when it has no compiled program). */
const char *parseable_rule_text(const alert_def *a);

/* The failing-condition text; caller frees. */
char *parseable_reason(const alert_def *a);

#endif
