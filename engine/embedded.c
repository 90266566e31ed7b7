#include "embedded.h"

/* Generated at build time by scripts/embed-rules from the shipped rule
 * files: their bytes and the table `files`. */
#include "embedded_rules.inc"

size_t embedded_rules(const struct embedded_file **out)
{
	*out = files;
	return sizeof(files) / sizeof(files[0]);
}
