/*
 * dburl.h — database URLs as SQLAlchemy spells them, and their redaction.
 *
 *   sqlite:///relative/path.db     sqlite:////absolute/path.db
 *   sqlite:///:memory:             sqlite://   (in memory)
 *   postgresql://user:pass@host:5432/db?sslmode=require
 *   postgres://…   postgresql+psycopg2://…   (the +driver part is dropped)
 *
 * A password must never reach a log, an error or a reply: everything
 * printable about a URL goes through `redacted`.
 */
#ifndef HR_DBURL_H
#define HR_DBURL_H

#include "status.h"

typedef enum hr_db_kind {
	HR_DB_SQLITE = 1,
	HR_DB_POSTGRES = 2,
} hr_db_kind;

typedef struct hr_dburl {
	hr_db_kind kind;
	char *sqlite_path; /* SQLite: file path, or ":memory:" */
	char *conninfo;    /* PostgreSQL: a libpq URI (postgresql://…) */
	char *redacted;    /* the URL with any password replaced by "***" */
} hr_dburl;

/*
 * Parse url into out. Unknown schemes, empty SQLite paths and malformed
 * authorities fail with -HR_INVALID_ARGUMENT; the message quotes only the
 * redacted URL.
 */
int hr_dburl_parse(const char *url, hr_dburl *out, hr_error *err);
void hr_dburl_free(hr_dburl *u);

/*
 * A newly allocated copy of url with the password of its authority and
 * any `password=` query parameter replaced by "***". Works on any string
 * (not only valid URLs). NULL only when out of memory.
 */
char *hr_dburl_redact(const char *url);

#endif
