/*
 * sqlsplit.h — cut a PostgreSQL script into statements (private to
 * server/db).
 *
 * PostgreSQL runs a migration one statement at a time: a failure then
 * names the statement's own line, and statements that refuse to share a
 * query string with others (CREATE INDEX CONCURRENTLY outside a
 * transaction) run on their own. The splitter knows as much of
 * PostgreSQL's lexer as finding the `;` that ends a statement needs:
 * '…' strings (with '' inside), E'…' strings (with backslash escapes),
 * "…" identifiers, $$…$$ and $tag$…$tag$ dollar quotes, -- and nested
 * slash-star comments, parentheses, and psql's heuristic for
 * CREATE FUNCTION … BEGIN ATOMIC … END bodies.
 * It assumes standard_conforming_strings (the default since 9.1).
 */
#ifndef HR_SQLSPLIT_H
#define HR_SQLSPLIT_H

#include <stddef.h>

typedef struct hr_sql_stmt {
	const char *start; /* first character (no leading blanks or comments) */
	size_t len;        /* up to, not including, the terminating ';' */
} hr_sql_stmt;

/*
 * The next statement at or after *pos: returns 1 and fills stmt, moving
 * *pos past its ';' (or to the end of the text); returns 0 when only
 * blanks, comments and empty statements are left. An unterminated
 * quote or comment runs to the end of the text (the server then says
 * what is wrong).
 */
int hr_sql_next(const char **pos, hr_sql_stmt *stmt);

#endif
