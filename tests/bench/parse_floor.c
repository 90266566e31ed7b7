/* parse_floor — the cheapest thing a user could do with json-c: parse every
 * line of a JSON-lines file and throw it away.  The rate this reaches is the
 * floor bpfalert's replay is compared against.
 *   parse_floor FILE   -> "events=N seconds=S" */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fputs("usage: parse_floor FILE\n", stderr);
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	json_tokener *tok = json_tokener_new();
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned long events = 0, bad = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((len = getline(&line, &cap, f)) > 0) {
		json_tokener_reset(tok);
		json_object *o = json_tokener_parse_ex(tok, line, (int)len);
		if (o && json_object_is_type(o, json_type_object))
			events++;
		else
			bad++;
		json_object_put(o);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("events=%lu bad=%lu seconds=%.3f\n", events, bad, s);
	free(line);
	json_tokener_free(tok);
	fclose(f);
	return 0;
}
