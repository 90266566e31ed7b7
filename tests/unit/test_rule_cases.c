/* Runs tests/data/rules.test: rules, events and verdicts as data.
 *
 * Each rule is compiled against one shared field_table, each event is
 * flattened with the real flattener and the verdict compared.  Every case
 * also checks two properties the rest of the engine relies on:
 *   - anchors are sound: a matching event holds one of the anchor fields;
 *   - the printed text is the same rule: it compiles again, prints the
 *     same, and gives the same verdict (for rules without escapes, whose
 *     strings Parseable's format prints verbatim).
 * Failures name the line of rules.test. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "fields.h"
#include "flatten.h"
#include "rule.h"
#include "testutil.h"
#include "xalloc.h"

struct runner {
	field_table *ft;
	flattener *fl;
	event *ev;
	char *report;       /* failures, one a line */
	size_t report_len, report_cap;
	unsigned cases, failures;
	/* the current block */
	int rule_line;
	char *rule;
	rule_program *prog, *again;
	bool fail_block;    /* %%FAIL: errors expected */
	rule_errors errs;
	size_t nexpected;   /* error: lines seen */
	bool errs_bad;
};

static void failf(struct runner *r, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void failf(struct runner *r, int line, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	char *msg = xasprintf("rules.test:%d: %s\n", line, buf);
	size_t n = strlen(msg);
	r->report = xgrow(r->report, &r->report_cap, r->report_len + n + 1, 1);
	memcpy(r->report + r->report_len, msg, n + 1);
	r->report_len += n;
	free(msg);
	r->failures++;
}

static void end_block(struct runner *r, int line)
{
	if (r->fail_block && r->rule) {
		r->cases++;
		if (r->errs_bad)
			;
		else if (r->prog)
			failf(r, r->rule_line, "rule compiled, errors expected");
		else if (r->nexpected != r->errs.n)
			failf(r, r->rule_line, "%zu errors expected, got %zu%s%s",
			      r->nexpected, r->errs.n,
			      r->errs.n > r->nexpected ? "; extra: " : "",
			      r->errs.n > r->nexpected
				      ? r->errs.v[r->nexpected].message
				      : "");
	}
	rule_program_free(&r->prog);
	rule_program_free(&r->again);
	rule_errors_clear(&r->errs);
	free(r->rule);
	r->rule = NULL;
	r->fail_block = false;
	r->nexpected = 0;
	r->errs_bad = false;
	(void)line;
}

static void start_rule(struct runner *r, int line, const char *text)
{
	free(r->rule);
	r->rule = xstrdup(text);
	r->rule_line = line;
	r->prog = rule_compile(text, strlen(text), r->ft, &r->errs);
	if (r->fail_block)
		return;
	if (!r->prog) {
		failf(r, line, "does not compile: %zu: %s",
		      r->errs.n ? r->errs.v[0].offset : 0,
		      r->errs.n ? r->errs.v[0].message : "?");
		return;
	}
	if (strchr(text, '\\'))
		return;
	const char *t = rule_program_text(r->prog);
	rule_errors e2 = { 0 };
	r->again = rule_compile(t, strlen(t), r->ft, &e2);
	if (!r->again)
		failf(r, line, "printed text '%s' does not compile: %s", t,
		      e2.n ? e2.v[0].message : "?");
	else if (strcmp(rule_program_text(r->again), t))
		failf(r, line, "text '%s' prints back as '%s'", t,
		      rule_program_text(r->again));
	rule_errors_clear(&e2);
}

static void expect_error(struct runner *r, int line, const char *spec)
{
	size_t i = r->nexpected++;
	if (!r->fail_block || !r->rule) {
		failf(r, line, "'error:' outside a %%%%FAIL block");
		return;
	}
	if (r->prog || r->errs_bad)
		return;
	if (i >= r->errs.n) {
		failf(r, line, "expected error '%s', got none", spec);
		r->errs_bad = true;
		return;
	}
	char *got = xasprintf("%zu: %s", r->errs.v[i].offset,
			      r->errs.v[i].message);
	if (strcmp(got, spec)) {
		failf(r, line, "expected error '%s', got '%s'", spec, got);
		r->errs_bad = true;
	}
	free(got);
}

static bool anchored(const rule_program *p, const event *ev)
{
	const int *slots;
	size_t n = rule_program_anchors(p, &slots);
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (event_has(ev, slots[i]))
			return true;
	return false;
}

static void check_event(struct runner *r, int line, bool want,
			const char *json)
{
	r->cases++;
	if (!r->rule) {
		failf(r, line, "event before any rule");
		return;
	}
	if (!r->prog)
		return; /* already reported */
	char err[256];
	if (flattener_parse(r->fl, json, strlen(json), r->ev, err,
			    sizeof(err)) != FLATTEN_OK) {
		failf(r, line, "bad event: %s", err);
		return;
	}
	bool got = rule_eval(r->prog, r->ev);
	if (got != want)
		failf(r, line, "'%s' on %s: expected %s, got %s", r->rule, json,
		      want ? "true" : "false", got ? "true" : "false");
	if (got && !anchored(r->prog, r->ev))
		failf(r, line, "matched, but no anchor field is present");
	if (r->again && rule_eval(r->again, r->ev) != got)
		failf(r, line, "printed text '%s' gives another verdict",
		      rule_program_text(r->prog));
}

static void check_text(struct runner *r, int line, const char *want)
{
	if (!r->prog)
		return;
	if (strcmp(rule_program_text(r->prog), want))
		failf(r, line, "text: expected '%s', got '%s'", want,
		      rule_program_text(r->prog));
}

static const char *after(const char *line, const char *key)
{
	size_t n = strlen(key);
	if (strncmp(line, key, n))
		return NULL;
	line += n;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

static void run_line(struct runner *r, int lineno, char *line)
{
	const char *v;
	if (!line[0]) {
		end_block(r, lineno);
	} else if (line[0] == '#') {
		return;
	} else if (!strcmp(line, "%%FAIL")) {
		end_block(r, lineno);
		r->fail_block = true;
	} else if ((v = after(line, "rule:"))) {
		if (r->rule)
			end_block(r, lineno);
		start_rule(r, lineno, v);
	} else if ((v = after(line, "text:"))) {
		check_text(r, lineno, v);
	} else if ((v = after(line, "true:"))) {
		check_event(r, lineno, true, v);
	} else if ((v = after(line, "false:"))) {
		check_event(r, lineno, false, v);
	} else if ((v = after(line, "error:"))) {
		expect_error(r, lineno, v);
	} else {
		failf(r, lineno, "cannot read this line");
	}
}

START_TEST(rules_test_file)
{
	size_t len;
	char *text = slurp(src_path("tests/data/rules.test"), &len);
	ck_assert_msg(text != NULL, "cannot read %s",
		      src_path("tests/data/rules.test"));
	struct runner r = { 0 };
	r.ft = field_table_new();
	r.fl = flattener_new(r.ft);
	r.ev = event_new();
	int lineno = 0;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		size_t n = strlen(line);
		while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
			line[--n] = '\0';
		run_line(&r, ++lineno, line);
	}
	end_block(&r, lineno);
	event_free(&r.ev);
	flattener_free(&r.fl);
	field_table_free(&r.ft);
	free(text);
	ck_assert_msg(r.cases >= 220, "only %u cases in rules.test", r.cases);
	ck_assert_msg(r.failures == 0, "%u of %u cases failed:\n%s",
		      r.failures, r.cases, r.report ? r.report : "");
	free(r.report);
}
END_TEST

Suite *rule_cases_suite(void)
{
	Suite *s = suite_create("rule_cases");
	TCase *tc = tcase_create("rules.test");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, rules_test_file);
	suite_add_tcase(s, tc);
	return s;
}
