/* export_filter — which events an export sends (DESIGN §12).
 *
 * Tetragon's export filters: an allow list and a deny list, each a list of
 * filters; a filter holds fields (event_set, namespace, pod_regex,
 * binary_regex) that must all match, each matching if any of its values
 * does.  An event goes out when the allow list is empty or one of its
 * filters matches, and no deny filter matches; then the `filter`
 * expression (the rule language, DESIGN §4) must hold, and with
 * alerts_only the event must have matched an alert.
 *
 * A filter is compiled to the rule language itself: namespace, pod and
 * binary are the process of whichever kind the event is
 * (`process_exec_process_pod_namespace`, `process_kprobe_process_binary`,
 * ...), so one compiled program per filter and no second matcher. */
#ifndef BPFALERT_EXPORT_FILTER_H
#define BPFALERT_EXPORT_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "event.h"
#include "fields.h"

struct json_object;
typedef struct export_filter export_filter;

/* allow, deny: JSON arrays of filter objects (NULL: none); expr: NULL or
 * an expression.  NULL with a reason in err. */
export_filter *export_filter_new(const struct json_object *allow,
				 const struct json_object *deny,
				 const char *expr, bool alerts_only,
				 field_table *ft, char *err, size_t errlen);
void export_filter_free(export_filter **f);

/* nalerts: how many alerts the event matched. */
bool export_filter_match(export_filter *f, const event *ev, size_t nalerts);
bool export_filter_alerts_only(const export_filter *f);

#endif
