/* rule_lex — tokens of the rule language (DESIGN §4.1), with byte offsets.
 *
 * The whole text is tokenised up front into an array; the parser walks it
 * with free lookahead, which keeps error recovery simple.  Lexical errors
 * (unterminated strings, bad escapes, unknown operator symbols, stray
 * characters) are reported here, and the offending token is marked `bad` so
 * the parser skips it without reporting a second error for it.
 *
 * This header also holds the error reporter that the lexer, parser and
 * compiler share, and the predicate operator enum with its spellings. */
#ifndef BPFALERT_RULE_LEX_H
#define BPFALERT_RULE_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "rule.h"

/* ---- error reporting ---- */

/* Past this many errors in one rule, one "too many errors" closes the list:
 * a garbage file must not produce megabytes of diagnostics. */
#define RULE_MAX_ERRORS 50

struct rule_diag {
	rule_errors *errs;
	unsigned count;
};

void rule_diag_add(struct rule_diag *d, enum rule_error_part part,
		   size_t offset, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Appends `s` (len bytes) to a message buffer in quoted, printable form:
 * printable ASCII and UTF-8 as is, other bytes as \xHH; at most `max`
 * bytes of input, then "...". */
void rule_quote_bytes(char *out, size_t outlen, const char *s, size_t len,
		      size_t max);

/* ---- predicate operators ---- */

enum rule_op {
	ROP_EQ,          /* = ==          */
	ROP_NE,          /* !=            */
	ROP_LT,          /* <             */
	ROP_LE,          /* <=            */
	ROP_GT,          /* >             */
	ROP_GE,          /* >=            */
	ROP_CONTAINS,    /* =% contains   */
	ROP_NCONTAINS,   /* !%            */
	ROP_ICONTAINS,   /* icontains     */
	ROP_STARTSWITH,  /* startswith    */
	ROP_ENDSWITH,    /* endswith      */
	ROP_REGEX,       /* ~ =~ matches  */
	ROP_NREGEX,      /* !~            */
	ROP_GLOB,        /* glob          */
	ROP_IN,          /* in (...)      */
	ROP_NOT_IN,      /* not in (...)  */
	ROP_EXISTS,      /* exists        */
	/* Column rules with ignoreCase only; no spelling of their own. */
	ROP_EQ_CI,
	ROP_NE_CI,
	ROP_NCONTAINS_CI,
	ROP_REGEX_CI,
	ROP_COUNT
};

/* How an operator is printed back (Parseable's symbols where it has one). */
const char *rule_op_canonical(enum rule_op op);

/* Operator for a spelling (symbol, or word compared case-insensitively);
 * -1 if none.  `in`, `not in` and `exists` are keywords, not found here. */
int rule_op_lookup(const char *s, size_t len);

/* The spelling nearest to `s` among `cands` (NULL-terminated), by edit
 * distance with transpositions, or NULL if none is close enough.
 * `aliases` (pairs: misspelling, meaning; NULL-terminated) are checked
 * first.  Case-insensitive. */
const char *rule_suggest(const char *s, size_t len, const char *const *cands,
			 const char *const *aliases);

/* ---- tokens ---- */

enum tok_type {
	TK_EOF,
	TK_WORD,    /* run of name characters; `kw` classifies it */
	TK_QNAME,   /* `backtick quoted` field name; str = inside */
	TK_STRING,  /* "..."; str = decoded text */
	TK_NUMBER,  /* number literal; num = its value */
	TK_LPAREN,
	TK_RPAREN,
	TK_COMMA,
	TK_BANG,    /* ! (negation) */
	TK_OP,      /* operator symbol; op = enum rule_op */
	TK_BAD,     /* unknown operator or stray character (reported) */
};

enum tok_kw {
	KW_NONE,
	KW_AND,
	KW_OR,
	KW_NOT,
	KW_IN,
	KW_EXISTS,
	KW_TRUE,
	KW_FALSE,
	KW_OPWORD,  /* a word operator: contains, matches...; op is set */
};

struct token {
	uint8_t type;     /* enum tok_type */
	uint8_t kw;       /* enum tok_kw (TK_WORD) */
	uint8_t op;       /* enum rule_op (TK_OP, KW_OPWORD) */
	bool bad;         /* an error was already reported for this token */
	size_t off, len;  /* source span, quotes included */
	char *str;        /* TK_STRING, TK_QNAME: owned, NUL-terminated */
	size_t slen;
	value num;        /* TK_NUMBER */
};

typedef struct rule_tokens {
	struct token *v;
	size_t n, cap;
} rule_tokens;

/* Tokenises text[0..len); always ends with one TK_EOF at offset len. */
void rule_lex(const char *text, size_t len, rule_tokens *out,
	      struct rule_diag *d);
void rule_tokens_free(rule_tokens *t);

/* True for bytes that may appear in a bare field name: letters, digits,
 * '_', '-', and any byte of a multi-byte UTF-8 character (Parseable accepts
 * Unicode alphanumerics). */
static inline bool rule_is_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c >= 0x80;
}

/* value_parse_number for the rule language: the same grammar and result,
 * but safe for non-integral numbers beyond the int64 range (event.c casts
 * those to int64 before checking the range). */
bool rule_parse_number(const char *s, size_t len, value *v);

/* Maps an offset into a string literal's decoded text back to the source:
 * `lit` is the literal's source text between its quotes.  Used to point a
 * regex or glob error at the offending character. */
size_t rule_lex_source_offset(const char *lit, size_t litlen,
			      size_t decoded_off);

/* Decodes the JSON escapes of a string literal's body into a fresh
 * NUL-terminated buffer; reports bad escapes at base + their offset.
 * Returns false if any escape was bad. */
bool rule_lex_decode(const char *lit, size_t litlen, size_t base,
		     char **out, size_t *outlen, struct rule_diag *d);

#endif
