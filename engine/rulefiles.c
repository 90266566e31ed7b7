#include "rulefiles.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "msgtext.h"
#include "rules_native.h"
#include "rules_parseable.h"
#include "textfile.h"
#include "xalloc.h"

/* No rule file is this big; a larger one is a mistake (or /dev/zero). */
#define MAX_FILE_SIZE (64u << 20)

/* ---- durations ---- */

static const struct {
	const char *name;
	int64_t ms;
} units[] = {
	{ "ms", 1 }, { "msec", 1 }, { "msecs", 1 },
	{ "s", 1000 }, { "sec", 1000 }, { "secs", 1000 },
	{ "second", 1000 }, { "seconds", 1000 },
	{ "m", 60000 }, { "min", 60000 }, { "mins", 60000 },
	{ "minute", 60000 }, { "minutes", 60000 },
	{ "h", 3600000 }, { "hr", 3600000 }, { "hrs", 3600000 },
	{ "hour", 3600000 }, { "hours", 3600000 },
	{ "d", 86400000 }, { "day", 86400000 }, { "days", 86400000 },
	{ "w", 604800000 }, { "week", 604800000 }, { "weeks", 604800000 },
};

static int64_t unit_ms(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].name) == n &&
		    memcmp(units[i].name, s, n) == 0)
			return units[i].ms;
	return 0;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* err = fmt with the (quoted) duration text for its one %s. */
static bool duration_error(char *err, size_t errlen, const char *fmt,
			   const char *text)
{
	char *shown = msgtext_quote(text, strlen(text));
	snprintf(err, errlen, fmt, shown);
	free(shown);
	return false;
}

static bool unit_error(char *err, size_t errlen, const char *text,
		       const char *unit, size_t len)
{
	char *shown = msgtext_quote(text, strlen(text));
	char *piece = msgtext_quote(unit, len);
	snprintf(err, errlen, "unknown unit '%s' in duration '%s' (expected "
		 "ms, s, m, h or d)", piece, shown);
	free(shown);
	free(piece);
	return false;
}

/* Adds one "<number> <unit>" part at *pp to *total. */
static bool duration_part(const char **pp, const char *text, int64_t *total,
			  char *err, size_t errlen)
{
	const char *p = *pp;
	int64_t n = 0;
	if (!is_digit(*p))
		return duration_error(err, errlen, "invalid duration '%s' "
				      "(expected numbers with units, as in "
				      "1h30m)", text);
	for (; is_digit(*p); p++) {
		if (n > (INT64_MAX - 9) / 10)
			return duration_error(err, errlen, "duration '%s' "
					      "is too long", text);
		n = n * 10 + (*p - '0');
	}
	while (*p == ' ')
		p++;
	const char *unit = p;
	while (is_alpha(*p))
		p++;
	if (p == unit && *p == '.')
		return duration_error(err, errlen, "fractions are not "
				      "supported in duration '%s'", text);
	if (p == unit)
		return duration_error(err, errlen,
				      "missing unit in duration '%s'", text);
	int64_t f = unit_ms(unit, (size_t)(p - unit));
	if (!f)
		return unit_error(err, errlen, text, unit, (size_t)(p - unit));
	if (n > (INT64_MAX - *total) / f)
		return duration_error(err, errlen, "duration '%s' is too long",
				      text);
	*total += n * f;
	*pp = p;
	return true;
}

/* Accepts humantime's spellings (Parseable reads durations with it) from
 * milliseconds to weeks: "500ms", "10s", "3m 20s", "1h30m", "2 days". */
int parse_duration(const char *text, int64_t *ms, char *err, size_t errlen)
{
	const char *p = text;
	int64_t total = 0;
	while (*p == ' ')
		p++;
	if (!*p) {
		duration_error(err, errlen, "empty duration", text);
		return -1;
	}
	while (*p) {
		if (!duration_part(&p, text, &total, err, errlen))
			return -1;
		while (*p == ' ')
			p++;
	}
	*ms = total;
	return 0;
}

/* ---- names ---- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

bool rulefiles_ignored_name(const char *name)
{
	return name[0] == '.' || ends_with(name, "~") ||
	       strstr(name, ".dpkg-") || ends_with(name, ".rpmnew") ||
	       ends_with(name, ".rpmsave");
}

/* ---- loading ---- */

/* Alert names seen so far, for the uniqueness check across files. */
struct name_index {
	const alert_def **slots;  /* open addressing; NULL = empty */
	size_t cap, n;
};

struct loader {
	field_table *ft;
	diag *d;
	alert_list *out;
	struct name_index names;
	unsigned errors;
};

static const alert_def **name_slot(struct name_index *ix, const char *name)
{
	size_t mask = ix->cap - 1;
	size_t i = (size_t)fields_hash(name, strlen(name)) & mask;
	while (ix->slots[i] && strcmp(ix->slots[i]->name, name) != 0)
		i = (i + 1) & mask;
	return &ix->slots[i];
}

static void name_add(struct name_index *ix, const alert_def *a)
{
	if ((ix->n + 1) * 2 > ix->cap) {
		struct name_index bigger = { .cap = ix->cap ? 2 * ix->cap
							    : 64 };
		bigger.slots = xcalloc(bigger.cap, sizeof(*bigger.slots));
		for (size_t i = 0; i < ix->cap; i++) {
			const alert_def *old = ix->slots[i];
			if (old)
				*name_slot(&bigger, old->name) = old;
		}
		bigger.n = ix->n;
		free(ix->slots);
		*ix = bigger;
	}
	const alert_def **slot = name_slot(ix, a->name);
	if (!*slot)
		ix->n++;
	*slot = a;
}

static const alert_def *name_find(struct name_index *ix, const char *name)
{
	return ix->cap ? *name_slot(ix, name) : NULL;
}

static void loader_init(struct loader *L, field_table *ft, diag *d,
			alert_list *out)
{
	memset(L, 0, sizeof(*L));
	L->ft = ft;
	L->d = d;
	L->out = out;
	for (size_t i = 0; i < out->n; i++)
		if (!name_find(&L->names, out->v[i]->name))
			name_add(&L->names, out->v[i]);
}

static void report_errno(struct loader *L, const char *path, const char *what)
{
	diag_report(L->d, DIAG_ERROR, path, 0, 0, NULL, 0, "%s: %s", what,
		    textfile_strerror(errno));
	L->errors++;
}

/* Keeps the alerts whose names are new; a repeated name is an error that
 * says where the name was first defined. */
static void keep_unique(struct loader *L, alert_list *loaded,
			const char *text, size_t len)
{
	for (size_t i = 0; i < loaded->n; i++) {
		alert_def *a = loaded->v[i];
		const alert_def *first = name_find(&L->names, a->name);
		if (!first) {
			alert_list_push(L->out, a);
			name_add(&L->names, a);
			continue;
		}
		size_t src_len = 0;
		const char *src = diag_line_of(text, len, a->line, &src_len);
		char *shown = msgtext_quote(a->name, strlen(a->name));
		diag_report(L->d, DIAG_ERROR, a->file, a->line, a->col, src,
			    src_len, "duplicate alert name '%s' (first defined "
			    "at %s:%d:%d)", shown, first->file, first->line,
			    first->col);
		free(shown);
		L->errors++;
		alert_def_free(&a);
	}
	free(loaded->v);
	memset(loaded, 0, sizeof(*loaded));
}

static void too_large(struct loader *L, const char *path)
{
	diag_report(L->d, DIAG_ERROR, path, 0, 0, NULL, 0,
		    "file larger than %u MiB", MAX_FILE_SIZE >> 20);
	L->errors++;
}

static char *read_text(struct loader *L, const char *path, size_t *len)
{
	char *text = textfile_read(path, MAX_FILE_SIZE, len);
	if (!text && errno == EFBIG)
		too_large(L, path);
	else if (!text)
		report_errno(L, path, "cannot read");
	return text;
}

static void load_file(struct loader *L, const char *path)
{
	size_t len;
	char *text = read_text(L, path, &len);
	if (!text)
		return;
	alert_list loaded = { 0 };
	if (ends_with(path, ".json"))
		L->errors += rules_parseable_parse(path, text, len, L->ft, L->d,
						   &loaded);
	else
		L->errors += rules_native_parse(path, text, len, L->ft, L->d,
						&loaded);
	keep_unique(L, &loaded, text, len);
	free(text);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join(const char *dir, const char *name)
{
	return xasprintf("%s%s%s", dir, ends_with(dir, "/") ? "" : "/", name);
}

/* Loads one directory entry: rule files load, subdirectories are left
 * alone, anything else is named in a warning (a misspelt extension would
 * otherwise drop rules silently). */
static void load_entry(struct loader *L, const char *dir, const char *name)
{
	char *path = join(dir, name);
	struct stat st;
	bool rules = ends_with(name, ".rules") || ends_with(name, ".json");
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		/* not descended into */
	} else if (rules) {
		load_file(L, path);
	} else {
		diag_report(L->d, DIAG_WARNING, path, 0, 0, NULL, 0,
			    "ignored: rule files end in .rules or .json");
	}
	free(path);
}

static void load_dir(struct loader *L, const char *dir)
{
	DIR *dp = opendir(dir);
	if (!dp) {
		report_errno(L, dir, "cannot read directory");
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(dp)) != NULL) {
		if (rulefiles_ignored_name(de->d_name))
			continue;
		names = xgrow(names, &cap, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(dp);
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		load_entry(L, dir, names[i]);
		free(names[i]);
	}
	free(names);
}

static void load_path(struct loader *L, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		report_errno(L, path, "cannot open");
		return;
	}
	if (S_ISDIR(st.st_mode))
		load_dir(L, path);
	else
		load_file(L, path);
}

unsigned rulefiles_load(const char *const *paths, size_t npaths,
			field_table *ft, diag *d, alert_list *out)
{
	struct loader L;
	loader_init(&L, ft, d, out);
	for (size_t i = 0; i < npaths; i++)
		load_path(&L, paths[i]);
	free(L.names.slots);
	return L.errors;
}

unsigned rulefiles_load_file(const char *path, field_table *ft, diag *d,
			     alert_list *out)
{
	struct loader L;
	loader_init(&L, ft, d, out);
	load_file(&L, path);
	free(L.names.slots);
	return L.errors;
}
