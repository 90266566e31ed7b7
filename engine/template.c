#include "template.h"

#include <string.h>

size_t template_scan(const char *text, size_t len, template_field_fn *fn,
		     void *arg)
{
	size_t count = 0, i = 0;
	while (i < len) {
		const char *open = memchr(text + i, '{', len - i);
		if (!open)
			break;
		size_t p = (size_t)(open - text), q = p + 1;
		while (q < len && text[q] != '}' && text[q] != '\n')
			q++;
		if (q >= len || text[q] == '\n') {
			/* Every '{' before this stop fails the same way. */
			i = q;
			continue;
		}
		if (q > p + 1) {
			if (fn)
				fn(arg, text + p + 1, q - p - 1, p, q + 1);
			count++;
		}
		i = q + 1;
	}
	return count;
}

static void intern_one(void *arg, const char *name, size_t len, size_t start,
		       size_t end)
{
	(void)start;
	(void)end;
	field_table_intern(arg, name, len);
}

size_t template_intern(const char *text, size_t len, field_table *ft)
{
	return template_scan(text, len, intern_one, ft);
}
