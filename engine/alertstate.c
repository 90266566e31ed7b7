#include "alertstate.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "textfile.h"
#include "xalloc.h"

#define STATE_FILE "alerts.json"
#define STATE_MAX (512u << 20)

#define STATE_HEADER "{\"bpfalert_alert_state\":1}\n"

static struct json_object *parse(const char *text, size_t len)
{
	if (len > INT_MAX)
		return NULL;
	json_tokener *tok = json_tokener_new();
	struct json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* Each line after the header is one instance; -1 if the file is not ours. */
static long import_lines(alertmgr *am, const char *text, size_t len)
{
	size_t hl = strlen(STATE_HEADER);
	if (len < hl || memcmp(text, STATE_HEADER, hl))
		return -1;
	long n = 0;
	for (size_t at = hl; at < len;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t ll = nl ? (size_t)(nl - (text + at)) : len - at;
		struct json_object *o = parse(text + at, ll);
		if (!o)
			return -1;
		n += alertmgr_import_instance(am, o);
		json_object_put(o);
		at += ll + 1;
	}
	return n;
}

size_t alertstate_load(alertmgr *am, const char *state_dir)
{
	char *path = xasprintf("%s/" STATE_FILE, state_dir);
	size_t len = 0;
	char *text = textfile_read(path, STATE_MAX, &len);
	long n = text ? import_lines(am, text, len) : 0;
	if (!text && errno != ENOENT) {
		log_warn("alert state: cannot read %s: %s; starting without it", path,
			 textfile_strerror(errno));
	} else if (n < 0) {
		char *bad = xasprintf("%s.bad", path);
		rename(path, bad);
		log_warn("alert state: %s is not an alert state file; set aside as %s "
			 "(what it restored stays)", path, bad);
		free(bad);
	} else if (text) {
		log_info("alert state: %ld alert instance%s restored from %s", n,
			 n == 1 ? "" : "s", path);
	}
	free(text);
	free(path);
	return n > 0 ? (size_t)n : 0;
}

static int put_instance(void *ctx, struct json_object *o)
{
	FILE *f = ctx;
	fputs(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), f);
	return fputc('\n', f) == EOF ? -1 : 0;
}

int alertstate_save(alertmgr *am, const char *state_dir)
{
	char *path = xasprintf("%s/" STATE_FILE, state_dir);
	char *tmp = xasprintf("%s.tmp", path);
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK |
		      O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	int rc = f ? 0 : -errno;
	if (!f && fd >= 0)
		close(fd);
	if (f) {
		fputs(STATE_HEADER, f);
		if (alertmgr_export_state(am, put_instance, f) < 0 || ferror(f))
			rc = -EIO;
		if (fclose(f) != 0 && rc == 0)
			rc = -errno;
	}
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		log_error("alert state: cannot write %s: %s", path, strerror(-rc));
	}
	free(tmp);
	free(path);
	return rc;
}
