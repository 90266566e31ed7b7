#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct diag {
	FILE *out;
	unsigned errors, warnings;
};

diag *diag_new(FILE *out)
{
	diag *d = xcalloc(1, sizeof(*d));
	d->out = out;
	return d;
}

void diag_free(diag **pd)
{
	free(*pd);
	*pd = NULL;
}

static const char *level_name(enum diag_level level)
{
	switch (level) {
	case DIAG_ERROR: return "error";
	case DIAG_WARNING: return "warning";
	default: return "note";
	}
}

/* The caret line keeps the source's tabs and counts one column per UTF-8
 * character, so the caret sits under the right glyph. */
static void print_caret(FILE *out, const char *src, size_t len, int col)
{
	fputs("    ", out);
	for (size_t i = 0; i + 1 < (size_t)col && i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		if ((c & 0xC0) == 0x80)
			continue;
		fputc(c == '\t' ? '\t' : ' ', out);
	}
	fputs("^\n", out);
}

static void print_source(FILE *out, const char *src, size_t len, int col)
{
	fputs("    ", out);
	for (size_t i = 0; i < len; i++)
		fputc(src[i] == '\0' ? ' ' : src[i], out);
	fputc('\n', out);
	if (col > 0)
		print_caret(out, src, len, col);
}

void diag_report(diag *d, enum diag_level level, const char *file, int line,
		 int col, const char *src, size_t src_len, const char *fmt, ...)
{
	if (level == DIAG_ERROR)
		d->errors++;
	else if (level == DIAG_WARNING)
		d->warnings++;
	if (!d->out)
		return;
	if (file) {
		fputs(file, d->out);
		if (line > 0)
			fprintf(d->out, ":%d", line);
		if (line > 0 && col > 0)
			fprintf(d->out, ":%d", col);
		fputs(": ", d->out);
	}
	fprintf(d->out, "%s: ", level_name(level));
	va_list ap;
	va_start(ap, fmt);
	vfprintf(d->out, fmt, ap);
	va_end(ap);
	fputc('\n', d->out);
	if (src)
		print_source(d->out, src, src_len, col);
	fflush(d->out);
}

unsigned diag_errors(const diag *d) { return d->errors; }
unsigned diag_warnings(const diag *d) { return d->warnings; }

const char *diag_line_of(const char *text, size_t text_len, int line,
			 size_t *len)
{
	const char *p = text, *end = text + text_len;
	for (int n = 1; n < line; n++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return NULL;
		p = nl + 1;
	}
	if (line < 1 || p > end)
		return NULL;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	*len = (size_t)((nl ? nl : end) - p);
	if (*len && p[*len - 1] == '\r')
		(*len)--;
	return p;
}
