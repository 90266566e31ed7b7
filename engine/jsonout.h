/* jsonout — writing JSON text directly to a stream. */
#ifndef BPFALERT_JSONOUT_H
#define BPFALERT_JSONOUT_H

#include <stddef.h>
#include <stdio.h>

/* Writes `s` as a JSON string literal, quotes included; control characters
 * and invalid UTF-8 bytes are escaped (the latter as \u00XX). */
void json_write_string(FILE *out, const char *s, size_t len);

#endif
