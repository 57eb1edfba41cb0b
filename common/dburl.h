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
#include "strlist.h"

typedef enum hr_db_kind {
	HR_DB_SQLITE = 1,
	HR_DB_POSTGRES = 2,
} hr_db_kind;

/* The dialect name (as migration files' sections spell it) that len
 * bytes at name are, as a static string; NULL when hrd speaks no such
 * dialect. */
const char *hr_dialect_find(const char *name, size_t len);
/* The dialect name of kind ("sqlite", "postgresql"); NULL if unknown. */
const char *hr_dialect_name(hr_db_kind kind);
/* "sqlite or postgresql": every dialect, for messages; into buf. */
const char *hr_dialect_names(char *buf, size_t cap);

typedef struct hr_dburl {
	hr_db_kind kind;
	char *sqlite_path; /* SQLite: file path, or ":memory:" */
	char *conninfo;    /* PostgreSQL: a libpq URI (postgresql://…) */
	char *redacted;    /* the URL with any password replaced by "***" */
} hr_dburl;

/*
 * Parse url into out. Unknown schemes, empty SQLite paths and malformed
 * authorities fail with -HR_INVALID_ARGUMENT; the message quotes only the
 * redacted URL. A PostgreSQL URL whose user name or password holds a raw
 * '@' or '/' (libpq would read a different password, and quote its
 * pieces as host or port in its errors) or any '#' is refused.
 */
int hr_dburl_parse(const char *url, hr_dburl *out, hr_error *err);
void hr_dburl_free(hr_dburl *u);

/*
 * A newly allocated copy of url with every password replaced by "***".
 * Works on any string (not only valid URLs): a URI's user info (however
 * a raw '@', '/', '?' or '#' in it makes readers disagree where it ends),
 * every `password=` parameter (its key percent-decoded, as libpq decodes
 * it, each one when there are several), the keyword form
 * (`host=h password='a b'`), and, when a password parser is set, every
 * spelling in url of each password that parser finds. NULL only when out
 * of memory.
 */
char *hr_dburl_redact(const char *url);

/*
 * Every password in url (as hr_dburl_redact finds them), appended to out
 * both as spelled in url and decoded: what a message quoting the URL, or
 * a driver's message quoting the password, must be scrubbed of. 0, or -1
 * when out of memory.
 */
int hr_dburl_secrets(const char *url, hr_strlist *out);

/*
 * Where a database driver reads passwords, asked of the driver itself:
 * appends to out each password it would use from url, decoded. 0, or -1
 * when it cannot tell (not available, or url is not one it parses).
 */
typedef int (*hr_dburl_password_fn)(const char *url, hr_strlist *out);

/*
 * Let every redaction in this process also ask fn (NULL: our own reading
 * only). hrd sets libpq's parser (server/db/pgpassword.c) before it
 * prints anything: libpq decides where the password is, so what it
 * reads as one is hidden even when our reading disagrees. Not
 * thread-safe: set it once, at startup. hrctl sets none: it prints only
 * URLs hrd already redacted, and redacts them again by our reading.
 */
void hr_dburl_set_password_parser(hr_dburl_password_fn fn);

#endif
