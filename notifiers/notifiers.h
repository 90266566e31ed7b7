/* notifiers — the notifier types bpfalert ships (one file each).
 *
 * Adding a type is adding its file, one declaration here and one line in
 * registry.c. */
#ifndef BPFALERT_NOTIFIERS_H
#define BPFALERT_NOTIFIERS_H

#include "notifier.h"

extern const struct notifier_ops notifier_webhook;
extern const struct notifier_ops notifier_slack;
extern const struct notifier_ops notifier_alertmanager;
extern const struct notifier_ops notifier_syslog;
extern const struct notifier_ops notifier_file;
extern const struct notifier_ops notifier_stdout;

#endif
