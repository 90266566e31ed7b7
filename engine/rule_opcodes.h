/* rule_opcodes — the rule VM's instruction set, in one table.
 *
 * Every instruction is 8 bytes:
 *
 *     0        1        2        3        4        5        6        7
 *   +--------+--------+-----------------+-----------------------------------+
 *   |   op   | flags  |      k (16)     |               b (32)              |
 *   +--------+--------+-----------------+-----------------------------------+
 *
 *   predicates   b = field slot F;  k = constant K[k] (EQ_BOOL: k is 0 or 1)
 *   jumps        b = target pc (always forward: evaluation is linear)
 *
 * The machine has one boolean register, acc.  A predicate sets it; JF and
 * JT jump on it and leave it unchanged; RET returns it.  `and`/`or`
 * compile to chains of JF/JT; `not` is pushed down to the predicates
 * (De Morgan) and shows as their NOT flag.
 *
 * A predicate tests the values of F (a field may hold several):
 *   plain:       acc = F present and SOME value passes the test
 *   RULE_F_NONE: acc = F present and NO value passes the test
 *                (the negative operators != !% !~ `not in`)
 *   RULE_F_NOT:  the result above, inverted
 * "text" below is a value's text: a string's own, a number's canonical
 * decimal, "true"/"false" for a boolean.
 *
 * RULE_OPCODES(X) calls X(name, operands) once per opcode; the enum, the
 * name table and the disassembler's operand kinds are all made from it. */
#ifndef BPFALERT_RULE_OPCODES_H
#define BPFALERT_RULE_OPCODES_H

#include <stdint.h>

/* Operand kinds, for the disassembler. */
enum rule_operands {
	OPND_NONE,  /* nothing */
	OPND_F,     /* field */
	OPND_FK,    /* field, constant */
	OPND_FB,    /* field, boolean in k */
	OPND_JUMP,  /* target pc in b */
};

#define RULE_OPCODES(X)                                                   \
	X(EXISTS,    OPND_F)    /* acc = F has a value                   */ \
	X(EQ,        OPND_FK)   /* text == string K                      */ \
	X(EQ_CI,     OPND_FK)   /* text == string K, ASCII case ignored  */ \
	X(EQ_NUM,    OPND_FK)   /* is a number == number K               */ \
	X(EQ_BOOL,   OPND_FB)   /* is boolean k, or the string of it     */ \
	X(LT,        OPND_FK)   /* is a number <  number K               */ \
	X(LE,        OPND_FK)   /* is a number <= number K               */ \
	X(GT,        OPND_FK)   /* is a number >  number K               */ \
	X(GE,        OPND_FK)   /* is a number >= number K               */ \
	X(CONTAINS,  OPND_FK)   /* text contains string K                */ \
	X(ICONTAINS, OPND_FK)   /* text contains K, ASCII case ignored   */ \
	X(PREFIX,    OPND_FK)   /* text starts with string K             */ \
	X(SUFFIX,    OPND_FK)   /* text ends with string K               */ \
	X(REGEX,     OPND_FK)   /* text matches regex K (unanchored)     */ \
	X(GLOB,      OPND_FK)   /* whole text matches glob K             */ \
	X(IN,        OPND_FK)   /* is a member of set K                  */ \
	X(JF,        OPND_JUMP) /* if not acc then pc = b                */ \
	X(JT,        OPND_JUMP) /* if acc then pc = b                    */ \
	X(RET,       OPND_NONE) /* return acc                            */

enum rule_opcode {
#define X(name, operands) OP_##name,
	RULE_OPCODES(X)
#undef X
	OP_COUNT
};

/* Predicate flags. */
#define RULE_F_NONE 0x01
#define RULE_F_NOT 0x02

struct rule_insn {
	uint8_t op;     /* enum rule_opcode */
	uint8_t flags;  /* RULE_F_* */
	uint16_t k;
	uint32_t b;
};

_Static_assert(sizeof(struct rule_insn) == 8, "instructions are 8 bytes");

#define RULE_MAX_K UINT16_MAX
/* Instructions per program; keeps pc in b with room to spare. */
#define RULE_MAX_CODE (1u << 24)

#endif
