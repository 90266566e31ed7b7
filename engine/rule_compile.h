/* rule_compile — tree to bytecode (DESIGN §4.3), and the program layout
 * shared by the compiler, the VM (rule_vm.c) and the API (rule.c).
 *
 * Compilation runs in two passes so that a rule with any error leaves no
 * trace in the field_table:
 *   1. constants: every literal becomes a pool entry; regexes and globs are
 *      compiled, and their errors reported with positions;
 *   2. code: only if the rule had no error at all, fields are interned and
 *      instructions emitted, `and`/`or` as jump lists patched later. */
#ifndef BPFALERT_RULE_COMPILE_H
#define BPFALERT_RULE_COMPILE_H

#include <stddef.h>

#include "fields.h"
#include "rule.h"
#include "rule_ast.h"
#include "rule_const.h"
#include "rule_lex.h"
#include "rule_opcodes.h"

struct rule_program {
	struct rule_insn *code;
	size_t ncode, capcode;
	const_pool pool;
	char *text;                 /* printed back, Parseable style */
	int *anchors;
	size_t nanchors;
	int *fields;
	size_t nfields;
	const char *column_wording; /* column rules only */
	unsigned long long regex_errors; /* regex matches that gave up (KREGEX_ERROR) */
};

/* Compiles a parsed tree.  `src` is the rule text the tree's offsets refer
 * to (NULL for column rules, whose literals are `raw`); `part` is where a
 * literal's errors lie.  Returns NULL if any error was reported, before or
 * during compilation. */
rule_program *rule_build(struct ast *tree, const char *src,
			 enum rule_error_part part, field_table *ft,
			 struct rule_diag *d);

/* The name of an opcode, from the X-macro table. */
const char *rule_opcode_name(unsigned op);

#endif
