/* rule_const — a rule program's constant pool (DESIGN §4.3).
 *
 * Operands too big for an instruction live here, prepared at load time so
 * evaluation only reads them:
 *   KC_STR    a string with its length, its ASCII-lowercased form (for
 *             icontains) and, when it is the canonical text of an integer,
 *             that integer (so `x = "1277"` needs no formatting of 1277);
 *   KC_NUM    a number as int64 and double;
 *   KC_SET    the members of `in (...)` in hash tables: strings by text,
 *             integers and other numbers by value, booleans by flag;
 *   KC_REGEX  a PCRE2 pattern, JIT-compiled where the system allows;
 *   KC_GLOB   a glob compiled to a small NFA with its scratch bitsets.
 *
 * Matching never allocates: the pool owns one PCRE2 match data block, a
 * match context with limits, and a JIT stack, shared by its regexes.  A
 * program is used by one thread at a time. */
#ifndef BPFALERT_RULE_CONST_H
#define BPFALERT_RULE_CONST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "event.h"

/* Regex limits, the same with and without the JIT: a hostile pattern or
 * value gives up instead of hanging the event loop.  When the backtracking
 * matcher gives up, the DFA matcher (which cannot blow up) answers for
 * valid UTF-8 texts up to RULE_REGEX_DFA_MAX bytes, so both modes reach the
 * same verdict; beyond that the match is an error (KREGEX_ERROR), which the
 * caller counts and treats as "the comparison does not hold", for `~` and
 * `!~` alike, never as a flipped verdict. */
#define RULE_REGEX_MATCH_LIMIT 100000u
#define RULE_REGEX_DEPTH_LIMIT 5000u
#define RULE_REGEX_HEAP_LIMIT_KB 4096u
#define RULE_REGEX_DFA_MAX 2048u
#define RULE_REGEX_DFA_WORKSPACE 4000

enum { KREGEX_NO_MATCH = 0, KREGEX_MATCH = 1, KREGEX_ERROR = -1 };

enum kconst_type { KC_STR, KC_NUM, KC_SET, KC_REGEX, KC_GLOB };

struct kstr {
	char *s;          /* NUL-terminated; may hold NULs itself */
	uint32_t len;
	char *lower;      /* ASCII-lowercased copy */
	bool canon_int;   /* s is "%lld" of ival */
	int64_t ival;
	/* Substring search looks for one rare byte of the needle with
	 * memchr, then compares the whole: rare is its index in s, rare_ci
	 * in lower (preferring a byte that is not a letter). */
	uint32_t rare, rare_ci;
};

/* Substring search with the needle's rare byte (see struct kstr). */
bool kstr_find(const struct kstr *k, const char *h, size_t n);
/* The same, ASCII case-insensitively (k->lower against h). */
bool kstr_find_ci(const struct kstr *k, const char *h, size_t n);

struct knum {
	int64_t i;
	double d;
	bool is_integer;  /* exactly i */
	char *text;       /* as written */
};

struct kset;
struct kregex;
struct kglob;

struct kconst {
	uint8_t type;     /* enum kconst_type */
	union {
		struct kstr str;
		struct knum num;
		struct kset *set;
		struct kregex *re;
		struct kglob *glob;
	} u;
};

typedef struct const_pool {
	struct kconst *v;
	size_t n, cap;
	/* PCRE2 objects, untyped here so users of the pool need not
	 * include pcre2.h; created with the first regex. */
	void *md;         /* pcre2_match_data */
	void *mctx;       /* pcre2_match_context */
	void *jit_stack;  /* pcre2_jit_stack */
} const_pool;

/* A member of `in (...)`, as the parser read it. */
struct kset_member {
	uint8_t type;     /* 0 string, 1 number, 2 boolean */
	const char *s;    /* string: text; number: source text */
	size_t len;
	value num;        /* number */
	bool b;           /* boolean */
};

enum { KSET_STR, KSET_NUM, KSET_BOOL };

/* Each returns the new constant's index.  kpool_regex and kpool_glob
 * return -1 on an invalid pattern, with a message ("invalid regular
 * expression: ...") and the offset of the fault in the pattern. */
int kpool_str(const_pool *p, const char *s, size_t len);
int kpool_num(const_pool *p, const value *num, const char *text,
	      size_t len);
int kpool_set(const_pool *p, const struct kset_member *m, size_t n);
int kpool_regex(const_pool *p, const char *pat, size_t len, bool caseless,
		char *err, size_t errlen, size_t *erroff);
int kpool_glob(const_pool *p, const char *pat, size_t len, char *err,
	       size_t errlen, size_t *erroff);
void kpool_free(const_pool *p);

/* Prints constant k as the disassembler shows it. */
void kpool_dump(const const_pool *p, int k, FILE *out);

int kregex_match(const const_pool *p, const struct kregex *re,
		 const char *s, size_t len);
bool kregex_is_jit(const struct kregex *re);
/* A quantified group that holds a quantifier, as in (\w+\s?)+ (prone to
 * catastrophic backtracking), found by reading the pattern. */
bool kregex_nested_quantifier(const struct kregex *re);
/* The first such pattern in the pool, or NULL. */
const char *kpool_risky_regex(const const_pool *p);
bool kglob_match(struct kglob *g, const char *s, size_t len);
/* True if some member equals the value: strings by the value's text
 * (rule_value_text), numbers numerically, booleans by truth. */
bool kset_has(const struct kset *set, const value *v);

/* The JIT is off by default: the systemd unit forbids executable memory
 * anyway, and PCRE2's JIT counts its match limit per start position, so a
 * hostile 16 KiB value can cost it most of a second where the interpreter
 * gives up in milliseconds, and the two can reach different verdicts on
 * such input.  With the interpreter everywhere, `bpfalert test`, `replay`
 * and the daemon agree.  true (or BPFALERT_JIT in the environment) makes
 * regexes compiled afterwards use the JIT; BPFALERT_NO_JIT always wins. */
void rule_const_set_jit(bool enabled);

/* The text a value compares as against a string: a string's own text, an
 * integer's "%lld", a double's shortest round-trip text, "true"/"false".
 * `buf` must hold RULE_TEXTBUF bytes. */
#define RULE_TEXTBUF 40
const char *rule_value_text(const value *v, char *buf, uint32_t *len);

/* Compares a number value with a number constant exactly (int64 against
 * int64, int64 against double without rounding).  Returns <0, 0, >0, or 2
 * when unordered. */
int rule_num_cmp(const value *v, const struct knum *k);

#endif
