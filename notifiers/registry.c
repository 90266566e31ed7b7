/* The notifier registry: one line per type (notifiers.h). */
#include <string.h>

#include "notifier.h"
#include "notifiers.h"

static const struct notifier_ops *const registry[] = {
	&notifier_webhook,
	&notifier_slack,
	&notifier_alertmanager,
	&notifier_syslog,
	&notifier_file,
	&notifier_stdout,
	NULL,
};

const struct notifier_ops *notifier_lookup(const char *type)
{
	if (!type)
		return NULL;
	for (size_t i = 0; registry[i]; i++)
		if (!strcmp(registry[i]->type, type))
			return registry[i];
	return NULL;
}

const struct notifier_ops *const *notifier_types(void)
{
	return registry;
}
