/* Fuzzes the rule language: compiles the input as a composite rule (and,
 * split at newlines, as a column rule), disassembles it, evaluates it on a
 * few fixed events and checks what the engine relies on: anchors are
 * sound, and the printed text compiles back to the same rule. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "fields.h"
#include "rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = { "a", "b", "a_b", "x", "n" };
static const char *const strs[] = { "", "x", "/etc/passwd", "1277", "true",
				    "aaaaaaaaaaaaaaaaaaaaaaaab", "\xc3\xa9\xff" };

static FILE *devnull;

/* Fills the fields whose slot matches `which` with values of every
 * type, two per field. */
static void fill(event *ev, field_table *ft, unsigned which)
{
	size_t n = field_table_count(ft);
	event_reset(ev, n);
	for (size_t s = 0; s < n; s++) {
		if (which && s % which != 0)
			continue;
		for (unsigned k = 0; k < 2; k++) {
			unsigned sel = (unsigned)(s * 3 + k);
			value v = { .next = -1 };
			switch (sel % 4) {
			case 0:
				v.type = VALUE_STRING;
				v.str = strs[sel % 7];
				v.len = (uint32_t)strlen(v.str);
				v.is_number = sel % 7 == 3;
				v.is_integer = v.is_number;
				v.i = 1277;
				v.d = 1277;
				break;
			case 1:
				v.type = VALUE_INT;
				v.is_number = v.is_integer = 1;
				v.i = sel % 3 ? INT64_MIN : 42;
				v.d = (double)v.i;
				break;
			case 2:
				v.type = VALUE_DOUBLE;
				v.is_number = 1;
				v.d = sel % 3 ? 0.1 : 1e300;
				break;
			default:
				v.type = VALUE_BOOL;
				v.i = sel & 1;
				break;
			}
			event_add(ev, (int)s, &v);
		}
	}
}

static bool anchored(const rule_program *p, const event *ev)
{
	const int *slots;
	size_t n = rule_program_anchors(p, &slots);
	for (size_t i = 0; i < n; i++)
		if (event_has(ev, slots[i]))
			return true;
	return n == 0;
}

static void check(rule_program *p, rule_program *again, event *ev,
		  field_table *ft)
{
	static const unsigned which[] = { 0, 1, 2, 3, 1000 };
	for (size_t i = 0; i < sizeof(which) / sizeof(which[0]); i++) {
		fill(ev, ft, which[i]);
		if (i == 4)
			event_reset(ev, field_table_count(ft));
		bool r = rule_eval(p, ev);
		if (r && !anchored(p, ev))
			abort();
		if (again && rule_eval(again, ev) != r)
			abort();
	}
}

static void composite(const char *text, size_t size, event *ev)
{
	field_table *ft = field_table_new();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		field_table_intern(ft, names[i], strlen(names[i]));
	size_t before = field_table_count(ft);
	rule_errors errs = { 0 };
	rule_program *p = rule_compile(text, size, ft, &errs);
	if (!p) {
		if (errs.n == 0 || field_table_count(ft) != before)
			abort();
		for (size_t i = 0; i < errs.n; i++)
			if (errs.v[i].offset > size || !errs.v[i].message[0])
				abort();
	} else {
		rule_program_dump(p, ft, devnull);
		/* Parseable prints strings verbatim, so only rules without
		 * escapes are sure to read back */
		rule_program *again = NULL;
		if (!memchr(text, '\\', size)) {
			const char *t = rule_program_text(p);
			rule_errors e2 = { 0 };
			again = rule_compile(t, strlen(t), ft, &e2);
			/* Printing adds a parenthesis per and/or level, so a long
			 * chain can print deeper than RULE_MAX_DEPTH allows back */
			bool too_deep = !again && e2.n == 1 &&
				strstr(e2.v[0].message, "nested too deeply");
			if ((!again && !too_deep) ||
			    (again && strcmp(rule_program_text(again), t)))
				abort();
			rule_errors_clear(&e2);
		}
		check(p, again, ev, ft);
		rule_program_free(&again);
		rule_program_free(&p);
	}
	rule_errors_clear(&errs);
	field_table_free(&ft);
}

/* flags byte, then column \n operator \n value */
static void column(const uint8_t *data, size_t size, event *ev)
{
	if (size < 2)
		return;
	char *buf = malloc(size);
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	char *op = strchr(buf, '\n'), *val = NULL;
	if (op) {
		*op++ = '\0';
		val = strchr(op, '\n');
		if (val)
			*val++ = '\0';
	}
	struct column_rule cr = { buf, op, val ? val : "", data[0] & 1,
				  data[0] & 2 };
	field_table *ft = field_table_new();
	rule_errors errs = { 0 };
	rule_program *p = rule_compile_column(&cr, ft, &errs);
	if (p) {
		if (!rule_program_column_wording(p))
			abort();
		rule_program_dump(p, ft, devnull);
		check(p, NULL, ev, ft);
		rule_program_free(&p);
	} else if (errs.n == 0) {
		abort();
	}
	rule_errors_clear(&errs);
	field_table_free(&ft);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static event *ev;
	if (!ev) {
		ev = event_new();
		devnull = fopen("/dev/null", "w");
	}
	composite((const char *)data, size, ev);
	column(data, size, ev);
	return 0;
}
