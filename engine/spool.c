/* spool — one durable file per undelivered notification; see spool.h. */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "textfile.h"
#include "xalloc.h"

#define ORPHANED "orphaned"
#define TMP_PREFIX ".tmp-"
#define RECORD_MAX (64u << 20)   /* larger than any record we write */
#define ID_DIGITS 20

struct spool {
	char *dir;
	int dirfd;
	size_t count;
	unsigned long long quarantined;
	bool dirty;        /* records written since the last sync */
};

/* Zero-padded so that name order is id order for anyone listing the spool. */
static void record_name(uint64_t id, char buf[40])
{
	snprintf(buf, 40, "%0*" PRIu64 ".json", ID_DIGITS, id);
}

/* The id of a record named as record_name() names it, followed by `suffix`
 * (".json", ".json.bad"); false for any other name, and for ids above
 * SPOOL_ID_MAX, so that no name can push the counter near its wrap. */
static bool parse_name(const char *name, const char *suffix, uint64_t *id)
{
	uint64_t v = 0;
	for (int i = 0; i < ID_DIGITS; i++) {
		if (name[i] < '0' || name[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(name[i] - '0');
		if (v > SPOOL_ID_MAX)
			return false;
	}
	if (strcmp(name + ID_DIGITS, suffix))
		return false;
	*id = v;
	return true;
}

/* Names that look like records but are not ones we wrote. */
static bool record_like(const char *name)
{
	return name[0] >= '0' && name[0] <= '9' && strstr(name, ".json") &&
	       !strstr(name, ".bad");
}

spool *spool_open(const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create spool directory '%s': %s", dir,
			 strerror(errno));
		return NULL;
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open spool directory '%s': %s", dir,
			 strerror(errno));
		return NULL;
	}
	spool *s = xcalloc(1, sizeof(*s));
	s->dir = xstrdup(dir);
	s->dirfd = fd;
	return s;
}

void spool_free(spool **sp)
{
	spool *s = *sp;
	if (!s)
		return;
	close(s->dirfd);
	free(s->dir);
	free(s);
	*sp = NULL;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Reads a whole record; NULL with errno set when it cannot. */
static char *read_record(int dirfd, const char *name, size_t *len)
{
	int fd = textfile_open_at(dirfd, name, O_NOFOLLOW);
	return fd < 0 ? NULL : textfile_read_fd(fd, RECORD_MAX, len);
}

static void set_bad(spool *s, const char *name)
{
	s->quarantined++;
	char *bad = xasprintf("%s.bad", name);
	if (renameat(s->dirfd, name, s->dirfd, bad) < 0) {
		log_error("spool: cannot move '%s/%s' aside: %s; removing it",
			  s->dir, name, strerror(errno));
		unlinkat(s->dirfd, name, 0);
	}
	free(bad);
}

static void quarantine_name(spool *s, const char *name)
{
	log_error("spool: '%s/%s' is not named as bpfalert names its records "
		  "(%d digits, at most %llu, then .json); kept as %s.bad, never sent",
		  s->dir, name, ID_DIGITS, (unsigned long long)SPOOL_ID_MAX, name);
	set_bad(s, name);
}

static void load_one(spool *s, uint64_t id, spool_load_fn fn, void *ctx)
{
	char name[40], why[256];
	size_t len = 0;
	record_name(id, name);
	char *text = read_record(s->dirfd, name, &len);
	notification *n = NULL;
	if (!text)
		snprintf(why, sizeof(why), "%s", textfile_strerror(errno));
	else
		n = notification_from_json(text, len, why, sizeof(why));
	free(text);
	if (!n) {
		log_error("spool: skipping corrupt record '%s/%s' (%s); kept as %s.bad",
			  s->dir, name, why, name);
		set_bad(s, name);
		return;
	}
	n->id = id;
	s->count++;
	fn(ctx, n);
}

static int cmp_id(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The highest id named in DIR/orphaned, so new ids never reuse one. */
static uint64_t orphaned_max(spool *s)
{
	int fd = openat(s->dirfd, ORPHANED, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	DIR *dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return 0;
	}
	uint64_t max = 0, id;
	struct dirent *de;
	while ((de = readdir(dir)))
		if (parse_name(de->d_name, ".json", &id) && id > max)
			max = id;
	closedir(dir);
	return max;
}

uint64_t spool_load(spool *s, spool_load_fn fn, void *ctx)
{
	int fd = dup(s->dirfd);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir) {
		if (fd >= 0)
			close(fd);
		log_error("spool: cannot list '%s': %s", s->dir, strerror(errno));
		return 0;
	}
	rewinddir(dir);
	uint64_t *ids = NULL, max = orphaned_max(s), id;
	size_t nids = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (!strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX))) {
			/* Never renamed into place: its submit did not complete. */
			unlinkat(s->dirfd, de->d_name, 0);
			continue;
		}
		if (parse_name(de->d_name, ".json.bad", &id)) {
			if (id > max)
				max = id;
			continue;
		}
		if (!parse_name(de->d_name, ".json", &id)) {
			if (record_like(de->d_name))
				quarantine_name(s, de->d_name);
			continue;
		}
		if (id > max)
			max = id;
		ids = xgrow(ids, &cap, nids + 1, sizeof(*ids));
		ids[nids++] = id;
	}
	closedir(dir);
	if (nids > 1)
		qsort(ids, nids, sizeof(*ids), cmp_id);
	for (size_t i = 0; i < nids; i++)
		load_one(s, ids[i], fn, ctx);
	free(ids);
	return max;
}

int spool_append(spool *s, const notification *n)
{
	char name[40], tmp[48];
	record_name(n->id, name);
	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%s", name);
	char *text = notification_to_json(n);
	if (!text)
		return -EINVAL;
	int rc = 0;
	unlinkat(s->dirfd, tmp, 0);
	int fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	rc = write_all(fd, text, strlen(text));
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (n->id > SPOOL_ID_MAX)
		rc = -EOVERFLOW;
	/* Never over a record already there: ids only grow, so one there
	 * means something else wrote it, and it is kept. */
	if (rc == 0 && renameat2(s->dirfd, tmp, s->dirfd, name, RENAME_NOREPLACE) < 0)
		rc = -errno;
	if (rc < 0) {
		unlinkat(s->dirfd, tmp, 0);
		goto out;
	}
	s->count++;
	s->dirty = true;
out:
	free(text);
	return rc;
}

int spool_sync(spool *s)
{
	if (!s->dirty)
		return 0;
	s->dirty = false;
	/* One flush of the file system for any number of records: the files'
	 * data and the renames that put them in place. */
	if (syncfs(s->dirfd) == 0)
		return 0;
	int rc = -errno;
	s->dirty = true;
	return rc;
}

bool spool_dirty(const spool *s)
{
	return s && s->dirty;
}

void spool_remove(spool *s, uint64_t id)
{
	char name[40];
	record_name(id, name);
	if (unlinkat(s->dirfd, name, 0) < 0 && errno != ENOENT) {
		log_error("spool: cannot remove '%s/%s': %s", s->dir, name,
			  strerror(errno));
		return;
	}
	if (s->count > 0)
		s->count--;
}

int spool_set_aside(spool *s, uint64_t id)
{
	char name[40], dest[64];
	record_name(id, name);
	snprintf(dest, sizeof(dest), ORPHANED "/%s", name);
	if (mkdirat(s->dirfd, ORPHANED, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (renameat(s->dirfd, name, s->dirfd, dest) < 0)
		return -errno;
	if (s->count > 0)
		s->count--;
	return 0;
}

unsigned long long spool_quarantined(const spool *s)
{
	return s ? s->quarantined : 0;
}

size_t spool_count(const spool *s)
{
	return s ? s->count : 0;
}

const char *spool_dir(const spool *s)
{
	return s->dir;
}
