/* notification — one message to one target about one alert instance.
 *
 * The alert manager creates notifications; the dispatcher spools, queues
 * and hands them to a notifier, which renders its own wire format.  The
 * JSON form (notification_to_json) is bpfalert's alert document of
 * DESIGN §7.1 plus the delivery bookkeeping the spool needs; it round-trips
 * through notification_from_json.
 *
 * Ownership: a notification owns every string and array in it;
 * notification_free releases them and clears the caller's pointer. */
#ifndef BPFALERT_NOTIFICATION_H
#define BPFALERT_NOTIFICATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alertdef.h"

struct json_object;

enum notification_status { NOTIFY_FIRING, NOTIFY_RESOLVED };

/* Drop priority when a queue overflows: repeats go first (DESIGN §7.2). */
enum notification_kind { NOTIFY_KIND_FIRST, NOTIFY_KIND_REPEAT, NOTIFY_KIND_RESOLVED };

typedef struct notification {
	uint64_t id;                 /* unique per process run and spool */
	char *alert;                 /* alert name */
	enum notification_status status;
	enum notification_kind kind;
	enum severity severity;
	char *message;               /* rendered message template */
	char *rule;                  /* the rule printed back */
	char *reason;                /* Parseable's failing-condition text */
	char *stream;                /* Parseable stream name, or NULL */
	bool parseable;              /* the alert came from a Parseable file */
	char **group_keys, **group_values;
	size_t ngroup;
	unsigned count;              /* matches since the previous notification */
	unsigned seq, of;            /* notification seq of `of`; of = 0: unlimited */
	int64_t time_ms;             /* when it was (or would be) sent, alert time */
	int64_t starts_at_ms;        /* when the instance started firing */
	int64_t ends_at_ms;          /* resolved: when; firing: 0 (null) */
	char *node;                  /* node name */
	char *source;                /* "bpf" or "tetragon" */
	char *event_json;            /* latest matching event, JSON text, or NULL */
	char *target;                /* target name (named or "alert#N") */
	unsigned attempts;           /* delivery attempts so far */
} notification;

notification *notification_new(void);
void notification_free(notification **n);
notification *notification_clone(const notification *n);

/* The alert document of DESIGN §7.1 (no delivery bookkeeping). */
struct json_object *notification_document(const notification *n);
/* The document as one line of compact JSON; caller frees. */
char *notification_document_text(const notification *n);

/* Full serialisation for the spool, and back.  from_json returns NULL with a
 * reason in err when the record is not a valid notification. */
char *notification_to_json(const notification *n);
notification *notification_from_json(const char *text, size_t len, char *err,
				     size_t errlen);

/* Parseable's webhook text bodies, byte for byte (DESIGN §7.3):
 *   firing:   "{name} triggered on {stream}\nMessage: {message}\nFailing Condition: {reason}"
 *   resolved: "{name} on {stream} is now resolved "
 * Repeats carry the firing text, as Parseable's do.  An alert that did not
 * come from a Parseable file has no stream; its node name stands in. */
char *notification_parseable_text(const notification *n);

const char *notification_status_name(enum notification_status s);
const char *notification_kind_name(enum notification_kind k);

/* ms since the epoch as RFC 3339 UTC with milliseconds,
 * "2023-11-16T02:33:50.429Z".  Returns the length. */
#define NOTIFICATION_TIME_MAX 40
size_t notification_format_time(int64_t ms, char *buf, size_t size);

#endif
