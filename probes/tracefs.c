/* tracefs — finding or mounting the tracing file system; see tracefs.h. */
#include "tracefs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static const char *const candidates[] = {
	"/sys/kernel/tracing",
	"/sys/kernel/debug/tracing",
};

static const char *found;

static bool has_events(const char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/events", dir);
	return access(path, F_OK) == 0;
}

const char *tracefs_dir(void)
{
	if (found && has_events(found))
		return found;
	found = NULL;
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (has_events(candidates[i]))
			return found = candidates[i];
	return NULL;
}

int tracefs_ensure(char *err, size_t errlen)
{
	if (tracefs_dir())
		return 0;
	if (mount("nodev", candidates[0], "tracefs", 0, NULL) && errno != EBUSY) {
		int e = errno;

		snprintf(err, errlen, "tracefs is not mounted and cannot be mounted at %s: %s",
			 candidates[0], strerror(e));
		return -e;
	}
	if (!tracefs_dir()) {
		snprintf(err, errlen, "tracefs mounted at %s has no events", candidates[0]);
		return -ENOENT;
	}
	return 0;
}

bool tracefs_has(const char *rel)
{
	const char *dir = tracefs_dir();
	char path[512];

	if (!dir)
		return false;
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return access(path, F_OK) == 0;
}
