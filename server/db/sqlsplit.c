/* sqlsplit.c — cut a PostgreSQL script into statements. */
#include "sqlsplit.h"

#include <string.h>
#include <strings.h>

/* What the scan of one statement remembers besides its position. */
typedef struct scan_state {
	int paren_depth;
	int begin_depth; /* BEGIN ATOMIC … END nesting in a routine body */
	unsigned n_words;
	/* First letters of the statement's first four words when they are
	 * create/or/replace/function/procedure (0 otherwise), as psql
	 * keeps them to recognise CREATE [OR REPLACE] FUNCTION|PROCEDURE. */
	char words[4];
} scan_state;

static int is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c >= 0x80;
}

static int is_ident_char(unsigned char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

/* p is at a slash-star: past the matching star-slash (they nest). */
static const char *comment_end(const char *p)
{
	int depth = 0;

	while (*p != '\0') {
		if (p[0] == '/' && p[1] == '*') {
			depth++;
			p += 2;
		} else if (p[0] == '*' && p[1] == '/') {
			p += 2;
			if (--depth == 0)
				return p;
		} else {
			p++;
		}
	}
	return p;
}

/* p is at the opening quote q: past the closing one. A doubled quote
 * stands for itself; with backslash, \x escapes x (E'…' strings). */
static const char *quote_end(const char *p, char q, int backslash)
{
	for (p++; *p != '\0'; p++) {
		if (backslash && *p == '\\' && p[1] != '\0') {
			p++;
		} else if (*p == q) {
			if (p[1] != q)
				return p + 1;
			p++;
		}
	}
	return p;
}

/* Length of the dollar-quote delimiter at p ($$ or $tag$), 0 for none
 * (a $1 parameter, or a lone $). */
static size_t dollar_tag_len(const char *p)
{
	const char *q = p + 1;

	if (*q == '$')
		return 2;
	if (!is_ident_start((unsigned char)*q))
		return 0;
	while (is_ident_char((unsigned char)*q) && *q != '$')
		q++;
	return *q == '$' ? (size_t)(q - p) + 1 : 0;
}

/* p is at a dollar quote whose delimiter is n bytes: past its end. */
static const char *dollar_end(const char *p, size_t n)
{
	const char *s = p + n;

	while ((s = strchr(s, '$')) != NULL) {
		if (strncmp(s, p, n) == 0)
			return s + n;
		s++;
	}
	return p + strlen(p);
}

/* Blanks, comments and empty statements before a statement. */
static const char *skip_blank(const char *p)
{
	for (;;) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
		    *p == '\f' || *p == '\v' || *p == ';')
			p++;
		else if (p[0] == '-' && p[1] == '-')
			p += strcspn(p, "\n");
		else if (p[0] == '/' && p[1] == '*')
			p = comment_end(p);
		else
			return p;
	}
}

static int is_routine(const scan_state *st)
{
	const char *w = st->words;

	return w[0] == 'c' &&
	       (w[1] == 'f' || w[1] == 'p' ||
		(w[1] == 'o' && w[2] == 'r' && (w[3] == 'f' || w[3] == 'p')));
}

/* One word (keyword or identifier) of n bytes at w. */
static void saw_word(scan_state *st, const char *w, size_t n)
{
	static const char *const lead[] = {"create", "or", "replace",
					   "function", "procedure"};

	if (st->n_words < sizeof st->words) {
		st->words[st->n_words] = 0;
		for (size_t i = 0; i < sizeof lead / sizeof *lead; i++)
			if (strlen(lead[i]) == n && strncasecmp(w, lead[i], n) == 0)
				st->words[st->n_words] = lead[i][0];
	}
	st->n_words++;
	if (!is_routine(st) || st->paren_depth != 0)
		return;
	if (n == 5 && strncasecmp(w, "begin", 5) == 0)
		st->begin_depth++;
	else if (n == 4 && strncasecmp(w, "case", 4) == 0 && st->begin_depth > 0)
		st->begin_depth++; /* CASE ends with END too */
	else if (n == 3 && strncasecmp(w, "end", 3) == 0 && st->begin_depth > 0)
		st->begin_depth--;
}

/* From a statement's first character to its terminating ';' (or NUL). */
static const char *statement_end(const char *p)
{
	scan_state st = {0};
	size_t n;

	while (*p != '\0') {
		unsigned char c = (unsigned char)*p;

		if (c == ';' && st.paren_depth == 0 && st.begin_depth == 0) {
			return p;
		} else if (c == '\'') {
			p = quote_end(p, '\'', 0);
		} else if (c == '"') {
			p = quote_end(p, '"', 0);
		} else if (c == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
		} else if (c == '/' && p[1] == '*') {
			p = comment_end(p);
		} else if (c == '$' && (n = dollar_tag_len(p)) > 0) {
			p = dollar_end(p, n);
		} else if (is_ident_start(c)) {
			const char *w = p;

			while (is_ident_char((unsigned char)*p))
				p++;
			/* E'…': a string with backslash escapes. */
			if (p - w == 1 && (*w == 'E' || *w == 'e') && *p == '\'')
				p = quote_end(p, '\'', 1);
			else
				saw_word(&st, w, (size_t)(p - w));
		} else {
			if (c == '(')
				st.paren_depth++;
			else if (c == ')' && st.paren_depth > 0)
				st.paren_depth--;
			p++;
		}
	}
	return p;
}

int hr_sql_next(const char **pos, hr_sql_stmt *stmt)
{
	const char *p = skip_blank(*pos), *end;

	if (*p == '\0') {
		*pos = p;
		return 0;
	}
	end = statement_end(p);
	stmt->start = p;
	stmt->len = (size_t)(end - p);
	*pos = *end != '\0' ? end + 1 : end;
	return 1;
}
