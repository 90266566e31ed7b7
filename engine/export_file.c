#include "export_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "log.h"
#include "loop.h"
#include "xalloc.h"

struct export_file {
	char *path;
	uint64_t max_size;
	unsigned max_backups;
	bool compress;
	int fd;
	uint64_t size;
	int64_t last_backup_ms;
	pthread_t mill;
	bool mill_running;
	char *mill_backup;      /* the backup the mill compresses */
};

/* path = DIR/PREFIX.EXT (EXT as Go's filepath.Ext: from the last dot of
 * the base name, "" if none). */
static void split_path(const char *path, char **dir, char **prefix, char **ext)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	const char *dot = strrchr(base, '.');
	if (!dot)
		dot = base + strlen(base);
	*dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
	*prefix = xstrndup(base, (size_t)(dot - base));
	*ext = xstrdup(dot);
}

char *export_file_backup_name(const char *path, int64_t ms)
{
	char *dir, *prefix, *ext;
	split_path(path, &dir, &prefix, &ext);
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char stamp[64];
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H-%M-%S", &tm);
	char *out = xasprintf("%s/%s-%s.%03d%s", dir, prefix, stamp, (int)(ms % 1000), ext);
	free(dir);
	free(prefix);
	free(ext);
	return out;
}

/* ---- the mill: compress the newest backup, remove the oldest ---- */

static int gzip_file(const char *src)
{
	char *dst = xasprintf("%s.gz", src);
	char *tmp = xasprintf("%s.tmp", dst);
	int in = open(src, O_RDONLY | O_CLOEXEC);
	gzFile out = in >= 0 ? gzopen(tmp, "wb") : NULL;
	int rc = out ? 0 : -1;
	char buf[65536];
	ssize_t n;
	while (rc == 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (gzwrite(out, buf, (unsigned)n) != (int)n)
			rc = -1;
	if (out && gzclose(out) != Z_OK)
		rc = -1;
	if (in >= 0)
		close(in);
	if (rc == 0 && rename(tmp, dst) == 0)
		unlink(src);
	else
		unlink(tmp);
	free(tmp);
	free(dst);
	return rc;
}

static int cmp_desc(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

static bool is_backup(const char *nm, const char *prefix, const char *ext)
{
	size_t plen = strlen(prefix), len = strlen(nm), elen = strlen(ext);
	if (strncmp(nm, prefix, plen) || nm[plen] != '-')
		return false;
	if (len > 3 && !strcmp(nm + len - 3, ".gz"))
		len -= 3;
	/* "-" and a timestamp such as 2006-01-02T15-04-05.000 */
	return len >= plen + 24 + elen && !strncmp(nm + len - elen, ext, elen);
}

/* Backups are PREFIX-<timestamp>EXT[.gz]; the timestamp sorts as text, so
 * the newest come first in descending order. */
static void prune(const struct export_file *f)
{
	if (!f->max_backups)
		return;
	char *dir, *prefix, *ext;
	split_path(f->path, &dir, &prefix, &ext);
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!is_backup(e->d_name, prefix, ext) || strstr(e->d_name, ".tmp"))
			continue;
		names = xgrow(names, &cap, n + 1, sizeof(*names));
		names[n++] = xstrdup(e->d_name);
	}
	if (d)
		closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_desc);
	for (size_t i = 0; i < n; i++) {
		if (i >= f->max_backups) {
			char *p = xasprintf("%s/%s", dir, names[i]);
			unlink(p);
			free(p);
		}
		free(names[i]);
	}
	free(names);
	free(dir);
	free(prefix);
	free(ext);
}

static void *mill_run(void *arg)
{
	struct export_file *f = arg;
	if (f->compress && f->mill_backup && gzip_file(f->mill_backup) < 0)
		log_warn("export file: cannot compress '%s'", f->mill_backup);
	prune(f);
	return NULL;
}

static void mill_join(struct export_file *f)
{
	if (f->mill_running)
		pthread_join(f->mill, NULL);
	f->mill_running = false;
	free(f->mill_backup);
	f->mill_backup = NULL;
}

static void mill_start(struct export_file *f, char *backup)
{
	mill_join(f);
	f->mill_backup = backup;
	if (pthread_create(&f->mill, NULL, mill_run, f) == 0)
		f->mill_running = true;
	else
		mill_run(f);
}

/* ---- the file ---- */

static int open_file(struct export_file *f)
{
	if (f->fd >= 0)
		return 0;
	f->fd = open(f->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (f->fd < 0)
		return -errno;
	struct stat st;
	f->size = fstat(f->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

static void close_file(struct export_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* Backups are pruned by the order of their names, so each must sort after
 * the one before: two rotations within one millisecond, or a wall clock
 * stepped back, take the next millisecond instead; nor does a backup ever
 * replace another. */
static char *unused_backup_name(struct export_file *f, int64_t ms)
{
	if (ms <= f->last_backup_ms)
		ms = f->last_backup_ms + 1;
	for (;; ms++) {
		char *name = export_file_backup_name(f->path, ms);
		char *gz = xasprintf("%s.gz", name);
		bool taken = exists(name) || exists(gz);
		free(gz);
		if (!taken) {
			f->last_backup_ms = ms;
			return name;
		}
		free(name);
	}
}

static int rotate(struct export_file *f)
{
	close_file(f);
	char *backup = unused_backup_name(f, loop_wall_ms());
	if (rename(f->path, backup) < 0 && errno != ENOENT) {
		int rc = -errno;
		free(backup);
		return rc;
	}
	mill_start(f, backup);
	return open_file(f);
}

int export_file_write(export_file *f, const char *line, size_t len)
{
	int rc = open_file(f);
	if (rc < 0)
		return rc;
	if (f->max_size && f->size > 0 && f->size + len + 1 > f->max_size &&
	    (rc = rotate(f)) < 0)
		return rc;
	struct iovec iov[2] = { { (void *)line, len }, { "\n", 1 } };
	size_t want = len + 1;
	ssize_t w = writev(f->fd, iov, 2);
	if (w < 0)
		return -errno;
	f->size += (uint64_t)w;
	if ((size_t)w < want) {
		/* A short write (disk full): end the line so the next starts clean. */
		size_t done = (size_t)w;
		while (done < want) {
			const char *p = done < len ? line + done : "\n";
			size_t n = done < len ? len - done : 1;
			ssize_t k = write(f->fd, p, n);
			if (k <= 0)
				return k < 0 ? -errno : -EIO;
			done += (size_t)k;
			f->size += (uint64_t)k;
		}
	}
	return 0;
}

void export_file_reopen(export_file *f)
{
	close_file(f);
	int rc = open_file(f);
	if (rc < 0)
		log_error("export file: cannot reopen '%s': %s", f->path, strerror(-rc));
}

export_file *export_file_new(const struct export_spec *s, char *err, size_t errlen)
{
	export_file *f = xcalloc(1, sizeof(*f));
	f->path = xstrdup(s->path);
	f->max_size = s->max_size;
	f->max_backups = s->max_backups;
	f->compress = s->compress;
	f->fd = -1;
	int rc = open_file(f);
	if (rc < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", f->path, strerror(-rc));
		export_file_free(&f);
	}
	return f;
}

void export_file_free(export_file **pf)
{
	export_file *f = *pf;
	if (!f)
		return;
	mill_join(f);
	close_file(f);
	free(f->path);
	free(f);
	*pf = NULL;
}
