/* config — the main configuration, bpfalert.conf (DESIGN §6.3).
 *
 * Every key has a default, so bpfalert runs with no file at all: the
 * embedded configuration (config_default) is what a file's keys override.
 * Every key is validated and every problem reported at file:line:col;
 * unknown keys are warnings with a suggestion.
 *
 * Targets: named targets are defined here and referenced by name from
 * rule files.  A target named "default" (stdout, compact) always exists
 * unless the file defines its own "default"; the shipped rules send there.
 *
 * Ownership: a config owns everything in it; config_free clears the
 * caller's pointer. */
#ifndef BPFALERT_CONFIG_H
#define BPFALERT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

struct json_object;

struct config {
	char *file;                /* where it was read; NULL: embedded */
	char *node_name;           /* "" in the file means the host name */
	char **rules_dirs;
	size_t nrules_dirs;
	char **policies_dirs;       /* TracingPolicy files (DESIGN §6.5) */
	size_t npolicies_dirs;
	char *state_dir;
	bool strict_permissions;
	char *log_level;

	struct {
		bool enabled;
		unsigned ring_buffer_mb;
	} bpf;
	struct {
		bool enabled;
		char *path;
		bool follow;
	} tetragon;
	struct {
		bool exec, exit, fork, connect;
		char **watch;
		size_t nwatch;
		char **hooks;          /* hook paths, in order of preference */
		size_t nhooks;
		char *proc_root;       /* "/proc" */
		char *cgroup_root;     /* "/sys/fs/cgroup" */
		char *pods_root;       /* "/var/log/pods" */
	} probes;

	struct json_object *targets;   /* object: name -> target (JSON form) */
	struct json_object *exports;   /* object: name -> export (JSON form); NULL: none */
	char *metrics_listen;          /* "" disables the endpoint */
	size_t queue_max;              /* per-target queue bound */
	size_t max_event_bytes;        /* of the event an alert instance keeps */
	size_t max_alert_state_mb;     /* all alert instances together */
};

/* The embedded configuration. */
struct config *config_default(void);

/* Reads `path` over the defaults.  Returns NULL if the file has errors
 * (all reported through d) or cannot be read (reported too). */
struct config *config_load(const char *path, diag *d);

void config_free(struct config **c);

/* Reports `path` if users other than root can write it: a warning, or an
 * error when `strict` (strict_permissions). */
void config_check_permissions(const char *path, bool strict, diag *d);

/* The configuration a command uses: -c FILE if given; else the system file
 * if it exists; else the embedded one.  NULL on errors (reported). */
struct config *config_for_command(const char *path, diag *d);

#endif
