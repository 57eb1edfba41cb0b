/* sqlite_lex.c — SQLite's tokens for reading stored CREATE text back. */
#include "sqlite_lex.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static int is_word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$' ||
	       (unsigned char)c >= 0x80;
}

/* Past blanks and comments. */
static const char *skip_blank(const char *p, const char *end)
{
	while (p < end) {
		if (isspace((unsigned char)*p)) {
			p++;
		} else if (p + 1 < end && p[0] == '-' && p[1] == '-') {
			while (p < end && *p != '\n')
				p++;
		} else if (p + 1 < end && p[0] == '/' && p[1] == '*') {
			p += 2;
			while (p + 1 < end && !(p[0] == '*' && p[1] == '/'))
				p++;
			p = p + 1 < end ? p + 2 : end;
		} else {
			break;
		}
	}
	return p;
}

/* Past a quoted run that opened at p with open and closes with close
 * (a doubled close is part of it). */
static const char *skip_quoted(const char *p, const char *end, char close)
{
	for (p++; p < end; p++) {
		if (*p != close)
			continue;
		if (close != ']' && p + 1 < end && p[1] == close) {
			p++;
			continue;
		}
		return p + 1;
	}
	return end;
}

static const char *skip_number(const char *p, const char *end)
{
	if (p + 1 < end && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		for (p += 2; p < end && isxdigit((unsigned char)*p); p++)
			;
		return p;
	}
	while (p < end && (isdigit((unsigned char)*p) || *p == '.' || *p == '_'))
		p++;
	if (p < end && (*p == 'e' || *p == 'E')) {
		const char *q = p + 1;

		if (q < end && (*q == '+' || *q == '-'))
			q++;
		if (q < end && isdigit((unsigned char)*q))
			for (p = q; p < end && isdigit((unsigned char)*p); p++)
				;
	}
	return p;
}

/* Operators SQLite reads as one token. */
static size_t punct_len(const char *p, const char *end)
{
	static const char *const twos[] = {"||", "<=", ">=", "==", "!=", "<>",
					   "<<", ">>", "->"};

	if (p + 2 < end && strncmp(p, "->>", 3) == 0)
		return 3;
	for (size_t i = 0; i < sizeof twos / sizeof *twos; i++)
		if (p + 1 < end && strncmp(p, twos[i], 2) == 0)
			return 2;
	return 1;
}

int hr_sqltok_next(const char **pos, const char *end, hr_sqltok *tok)
{
	const char *p = skip_blank(*pos, end), *q;
	char c;

	if (p >= end) {
		*pos = end;
		return 0;
	}
	c = *p;
	if ((c == 'x' || c == 'X') && p + 1 < end && p[1] == '\'') {
		tok->kind = HR_SQLTOK_BLOB;
		q = skip_quoted(p + 1, end, '\'');
	} else if (c == '\'') {
		tok->kind = HR_SQLTOK_STRING;
		q = skip_quoted(p, end, '\'');
	} else if (c == '"' || c == '`') {
		tok->kind = HR_SQLTOK_QUOTED;
		q = skip_quoted(p, end, c);
	} else if (c == '[') {
		tok->kind = HR_SQLTOK_QUOTED;
		q = skip_quoted(p, end, ']');
	} else if (isdigit((unsigned char)c) ||
		   (c == '.' && p + 1 < end && isdigit((unsigned char)p[1]))) {
		tok->kind = HR_SQLTOK_NUMBER;
		q = skip_number(p, end);
	} else if (c == '?' || c == ':' || c == '@' || c == '$') {
		tok->kind = HR_SQLTOK_VARIABLE;
		for (q = p + 1; q < end && is_word_char(*q); q++)
			;
	} else if (is_word_char(c)) {
		tok->kind = HR_SQLTOK_WORD;
		for (q = p + 1; q < end && is_word_char(*q); q++)
			;
	} else {
		tok->kind = HR_SQLTOK_PUNCT;
		q = p + punct_len(p, end);
	}
	tok->start = p;
	tok->len = (size_t)(q - p);
	*pos = q;
	return 1;
}

int hr_sqltok_is(const hr_sqltok *tok, const char *w)
{
	return tok->kind == HR_SQLTOK_WORD && strlen(w) == tok->len &&
	       strncasecmp(tok->start, w, tok->len) == 0;
}

int hr_sqltok_punct(const hr_sqltok *tok, char c)
{
	return tok->kind == HR_SQLTOK_PUNCT && tok->len == 1 &&
	       tok->start[0] == c;
}

char *hr_sqltok_ident(const hr_sqltok *tok)
{
	char close, *out, *o;

	if (tok->kind != HR_SQLTOK_QUOTED || tok->len < 2)
		return strndup(tok->start, tok->len);
	close = tok->start[0] == '[' ? ']' : tok->start[0];
	out = malloc(tok->len);
	if (out == NULL)
		return NULL;
	o = out;
	for (size_t i = 1; i + 1 < tok->len; i++) {
		*o++ = tok->start[i];
		if (close != ']' && tok->start[i] == close &&
		    tok->start[i + 1] == close)
			i++;
	}
	*o = '\0';
	return out;
}

int hr_sqlite_bare_ident(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || isdigit((unsigned char)name[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_')
			return 0;
	return !sqlite3_keyword_check(name, (int)n);
}

static int is_keyword(const hr_sqltok *tok)
{
	return tok->kind == HR_SQLTOK_WORD &&
	       sqlite3_keyword_check(tok->start, (int)tok->len);
}

/* Append text (len bytes) upper-cased, or lower-cased. */
static void put_cased(hr_buf *b, const char *text, size_t len, int upper)
{
	size_t at = b->len;

	if (hr_buf_putn(b, text, len) < 0)
		return;
	for (size_t i = at; i < b->len; i++)
		b->data[i] = (char)(upper ? toupper((unsigned char)b->data[i])
					  : tolower((unsigned char)b->data[i]));
}

/* Append tok in its canonical spelling: a keyword upper-cased, an
 * identifier lower-cased and unquoted when it can be bare (SQLite's
 * names are case-insensitive), anything else as written. */
static void put_token(hr_buf *b, const hr_sqltok *tok)
{
	char *name;

	switch (tok->kind) {
	case HR_SQLTOK_WORD:
		put_cased(b, tok->start, tok->len, is_keyword(tok));
		return;
	case HR_SQLTOK_QUOTED:
		name = hr_sqltok_ident(tok);
		if (name == NULL)
			b->failed = 1;
		else if (hr_sqlite_bare_ident(name))
			put_cased(b, name, strlen(name), 0);
		else
			hr_buf_putn(b, tok->start, tok->len);
		free(name);
		return;
	default:
		hr_buf_putn(b, tok->start, tok->len);
	}
}

/* The tokens of [s, end), one blank apart where the canonical form
 * puts one; canonical: each token in its canonical spelling too. */
static char *join_tokens(const char *s, const char *end, int canonical)
{
	hr_buf b = {0};
	hr_sqltok tok, prev = {0};
	int first = 1;

	while (hr_sqltok_next(&s, end, &tok)) {
		int glue = first || hr_sqltok_punct(&prev, '(') ||
			   hr_sqltok_punct(&prev, '.') ||
			   hr_sqltok_punct(&tok, ')') ||
			   hr_sqltok_punct(&tok, ',') ||
			   hr_sqltok_punct(&tok, '.') ||
			   (hr_sqltok_punct(&tok, '(') &&
			    (prev.kind == HR_SQLTOK_QUOTED ||
			     (prev.kind == HR_SQLTOK_WORD && !is_keyword(&prev))));

		if (!glue)
			hr_buf_puts(&b, " ");
		if (canonical)
			put_token(&b, &tok);
		else
			hr_buf_putn(&b, tok.start, tok.len);
		prev = tok;
		first = 0;
	}
	return hr_buf_take(&b);
}

char *hr_sqltok_normalize(const char *s, const char *end)
{
	return join_tokens(s, end, 1);
}

char *hr_sqltok_join(const char *s, const char *end)
{
	return join_tokens(s, end, 0);
}

const char *hr_sqlite_affinity(const char *type)
{
	if (strstr(type, "INT") != NULL)
		return "INTEGER";
	if (strstr(type, "CHAR") || strstr(type, "CLOB") || strstr(type, "TEXT"))
		return "TEXT";
	if (strstr(type, "BLOB") || *type == '\0')
		return "BLOB";
	if (strstr(type, "REAL") || strstr(type, "FLOA") || strstr(type, "DOUB"))
		return "REAL";
	return "NUMERIC";
}
