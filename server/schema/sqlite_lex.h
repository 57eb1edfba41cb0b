/*
 * sqlite_lex.h — SQLite's tokens, as far as reading the stored CREATE
 * text back needs them, and its type affinities (private to
 * server/schema): the catalog reader finds CHECK constraints and column
 * definitions in the text, the renderer renames the table a CREATE
 * TABLE makes.
 *
 * Blanks and comments (-- and slash-star) separate tokens and are never
 * tokens themselves. Strings '...' (with '' inside), quoted identifiers
 * "...", [...] and `...`, blobs X'...', numbers, words, variables and
 * operators are one token each.
 */
#ifndef HR_SQLITE_LEX_H
#define HR_SQLITE_LEX_H

#include <stddef.h>

typedef enum hr_sqltok_kind {
	HR_SQLTOK_WORD = 1, /* a keyword or a bare identifier */
	HR_SQLTOK_QUOTED,   /* "x", [x] or `x`: an identifier */
	HR_SQLTOK_STRING,   /* 'x' */
	HR_SQLTOK_NUMBER,
	HR_SQLTOK_BLOB,     /* X'00' */
	HR_SQLTOK_VARIABLE, /* ?1, :x, @x, $x */
	HR_SQLTOK_PUNCT,    /* operators and ( ) , ; . */
} hr_sqltok_kind;

typedef struct hr_sqltok {
	hr_sqltok_kind kind;
	const char *start;
	size_t len;
} hr_sqltok;

/* The token at or after *pos (blanks and comments skipped) before end:
 * 1 and *tok filled, *pos moved past it; 0 at the end. An unterminated
 * string or identifier runs to end. */
int hr_sqltok_next(const char **pos, const char *end, hr_sqltok *tok);

/* Whether tok is the word w (case-insensitive). */
int hr_sqltok_is(const hr_sqltok *tok, const char *w);
/* Whether tok is the one-character punctuation c. */
int hr_sqltok_punct(const hr_sqltok *tok, char c);

/* The identifier tok names, unquoted (malloc'ed); NULL when out of
 * memory. */
char *hr_sqltok_ident(const hr_sqltok *tok);

/*
 * The text [s, end) as a canonical token stream, so that two spellings
 * SQLite reads alike compare equal: one blank between tokens (none
 * inside parentheses' edges, before a comma, around a dot, or between a
 * function's name and its '('), keywords upper-cased, identifiers
 * lower-cased and unquoted where that is safe, literals as written.
 * malloc'ed; NULL when out of memory.
 */
char *hr_sqltok_normalize(const char *s, const char *end);

/* The tokens of [s, end) as written, one blank apart where normalize
 * puts one: a definition on one line, comments left out. malloc'ed;
 * NULL when out of memory. */
char *hr_sqltok_join(const char *s, const char *end);

/* Whether name can be written bare (not a keyword, [A-Za-z_][A-Za-z0-9_]*). */
int hr_sqlite_bare_ident(const char *name);

/* SQLite's column affinity for an upper-cased declared type
 * (datatype3.html §3.1): "INTEGER", "TEXT", "BLOB", "REAL" or
 * "NUMERIC". */
const char *hr_sqlite_affinity(const char *type);

#endif
