/* file — one alert document (DESIGN §7.1) per line, appended to a file.
 *
 *   path         the file (required); created 0640
 *   max_size_mb  rotate before a write that would take the file past this
 *                size (default 100; 0: never rotate; fractions allowed)
 *   max_files    rotated copies kept: path.1 (newest) .. path.N (default 5;
 *                0: the file is simply started afresh)
 *
 * The file is opened O_APPEND, so other writers and logrotate's
 * copytruncate do not make lines overlap; the size is read back from the
 * file before each write for the same reason.  reopen() (SIGUSR1) closes
 * and reopens the path after an external rotation.  A notification is
 * acknowledged once its line is written. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "notifier.h"
#include "notifiers.h"
#include "xalloc.h"

#define TYPE "file"
#define MIB (1024.0 * 1024.0)

struct filetarget {
	char *path;
	off_t max_size;      /* bytes; 0: no rotation */
	unsigned max_files;
	int fd;
};

static int open_file(struct filetarget *f)
{
	if (f->fd >= 0)
		return 0;
	f->fd = open(f->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	return f->fd >= 0 ? 0 : -errno;
}

static void close_file(struct filetarget *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

/* path -> path.1 -> ... -> path.N; the oldest goes. */
static int rotate(struct filetarget *f)
{
	close_file(f);
	char *from = NULL, *to = NULL;
	if (f->max_files == 0)
		return unlink(f->path) == 0 || errno == ENOENT ? 0 : -errno;
	to = xasprintf("%s.%u", f->path, f->max_files);
	unlink(to);
	for (unsigned i = f->max_files; i > 1; i--) {
		from = xasprintf("%s.%u", f->path, i - 1);
		if (rename(from, to) < 0 && errno != ENOENT)
			log_warn("file: cannot rename '%s': %s", from, strerror(errno));
		free(to);
		to = from;
	}
	int rc = rename(f->path, to) == 0 || errno == ENOENT ? 0 : -errno;
	free(to);
	return rc;
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, s, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

static int append_line(struct filetarget *f, const char *line, size_t len,
		       const char **what)
{
	int rc;
	struct stat st;
	*what = "open";
	if ((rc = open_file(f)) < 0)
		return rc;
	*what = "stat";
	if (fstat(f->fd, &st) < 0)
		return -errno;
	if (f->max_size > 0 && st.st_size > 0 &&
	    st.st_size + (off_t)len > f->max_size) {
		*what = "rotate";
		if ((rc = rotate(f)) < 0)
			return rc;
		*what = "open";
		if ((rc = open_file(f)) < 0)
			return rc;
	}
	*what = "write";
	return write_all(f->fd, line, len);
}

static char *file_render(void *state, const notification *n)
{
	char *doc = notification_document_text(n);
	char *line = xasprintf("%s\n", doc ? doc : "{}");
	free(doc);
	return line;
}

static void file_send(void *state, const notification *n,
		      notifier_done_fn done, void *ctx)
{
	struct filetarget *f = state;
	char *line = file_render(f, n);
	const char *what;
	int rc = append_line(f, line, strlen(line), &what);
	free(line);
	if (rc == 0) {
		done(ctx, DELIVERY_OK, NULL);
		return;
	}
	/* Disk full, permissions, a missing directory: all can be mended
	 * while the notification waits in the spool. */
	char detail[512];
	snprintf(detail, sizeof(detail), "cannot %s '%s': %s", what, f->path,
		 strerror(-rc));
	close_file(f);
	done(ctx, DELIVERY_RETRY, detail);
}

static void file_reopen(void *state)
{
	struct filetarget *f = state;
	close_file(f);
	int rc = open_file(f);
	if (rc < 0)
		log_error("file: cannot reopen '%s': %s", f->path, strerror(-rc));
}

static void file_fini(void *state)
{
	struct filetarget *f = state;
	if (!f)
		return;
	close_file(f);
	free(f->path);
	free(f);
}

/* The file need not exist yet, but its directory must be writable. */
static int check_dir(const char *path, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path))
			  : xstrdup(".");
	int rc = access(dir, W_OK | X_OK);
	if (rc < 0)
		snprintf(err, errlen, TYPE ": cannot write to directory '%s': %s",
			 dir, strerror(errno));
	free(dir);
	return rc;
}

static int parse_config(struct filetarget *f, const struct json_object *cfg,
			char *err, size_t errlen)
{
	const char *path = NULL;
	double mb = 100, files = 5;
	if (notifier_cfg_string(cfg, TYPE, "path", &path, err, errlen) < 0 ||
	    notifier_cfg_number(cfg, TYPE, "max_size_mb", &mb, err, errlen) < 0 ||
	    notifier_cfg_number(cfg, TYPE, "max_files", &files, err, errlen) < 0)
		return -1;
	if (!path || !*path) {
		snprintf(err, errlen, TYPE ": 'path' is required");
		return -1;
	}
	if (!(mb >= 0 && mb <= 1024 * 1024)) {
		snprintf(err, errlen, TYPE ": 'max_size_mb' must be between 0 and 1048576");
		return -1;
	}
	if (!(files >= 0 && files <= 1000) || files != (unsigned)files) {
		snprintf(err, errlen, TYPE ": 'max_files' must be a whole number from 0 to 1000");
		return -1;
	}
	f->path = xstrdup(path);
	f->max_size = (off_t)(mb * MIB);
	f->max_files = (unsigned)files;
	return check_dir(path, err, errlen);
}

static int file_init(const struct json_object *cfg,
		     const struct notifier_env *env, void **state, char *err,
		     size_t errlen)
{
	struct filetarget *f = xcalloc(1, sizeof(*f));
	f->fd = -1;
	if (parse_config(f, cfg, err, errlen) < 0) {
		file_fini(f);
		return -1;
	}
	*state = f;
	return 0;
}

const struct notifier_ops notifier_file = {
	.type = TYPE,
	.init = file_init,
	.render = file_render,
	.send = file_send,
	.reopen = file_reopen,
	.fini = file_fini,
};
