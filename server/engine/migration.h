/*
 * migration.h — one migration file, parsed.
 *
 * The file format (docs/migrations.md) is plain SQL with a header of
 * `-- key: value` comment lines and `-- +upgrade` / `-- +downgrade`
 * section markers, optionally narrowed to one dialect:
 *
 *     -- revision: 1f3c0a9d2b7e
 *     -- down_revision:
 *     -- message: Initial HomeRack schema
 *     -- create_date: 2026-11-24 23:13:00
 *
 *     -- +upgrade
 *     CREATE TABLE racks (...);
 *     -- +upgrade postgresql
 *     CREATE INDEX CONCURRENTLY ...;
 *     -- +downgrade
 *     DROP TABLE racks;
 */
#ifndef HR_MIGRATION_H
#define HR_MIGRATION_H

#include <stddef.h>
#include <sys/stat.h>

#include "status.h"

/* Longest revision id: alembic_version.version_num is VARCHAR(32). */
#define HR_REVISION_MAX 32
/* Largest migration file we read, so a stray huge file cannot exhaust us. */
#define HR_MIGRATION_FILE_MAX (16u * 1024 * 1024)

typedef enum hr_direction {
	HR_UPGRADE = 1,
	HR_DOWNGRADE = 2,
} hr_direction;

/* One `-- +upgrade [dialect]` or `-- +downgrade [dialect]` section. */
typedef struct hr_sql_section {
	hr_direction direction;
	char *dialect;  /* "sqlite", "postgresql", or NULL for every dialect */
	char *sql;      /* the text between this marker and the next one */
	int first_line; /* 1-based file line of the first line of `sql` */
} hr_sql_section;

typedef struct hr_migration {
	char revision[HR_REVISION_MAX + 1];
	char **down_revisions; /* parents; none for a base, several for a merge */
	size_t n_down_revisions;
	char **branch_labels;
	size_t n_branch_labels;
	char **depends_on;
	size_t n_depends_on;
	char *message;      /* "" when absent */
	char *create_date;  /* "" when absent */
	char *path;         /* as passed to the parser */
	int transactional;  /* 0 when the header says `transactional: false` */
	int foreign_keys_off; /* 1 when the header says `foreign_keys: off`:
				 SQLite enforcement off while it runs */
	char checksum[65];  /* SHA-256 hex of the file with CRLF read as LF */
	hr_sql_section *sections;
	size_t n_sections;
} hr_migration;

/*
 * Parse `len` bytes of `text` (need not be NUL-terminated) as the
 * migration file `path`. On success *out is a new migration the caller
 * frees with hr_migration_free. On failure returns -HR_INVALID_ARGUMENT
 * and err says "PATH:LINE: what is wrong".
 */
int hr_migration_parse(const char *path, const char *text, size_t len,
		       hr_migration **out, hr_error *err);

/*
 * Whether text (len bytes of the file path) is UTF-8 text: its header
 * fields travel in protobuf `string`s and JSON, which must be valid
 * UTF-8, and its SQL goes to servers that expect it. A nul byte or an
 * invalid sequence (overlong forms and surrogates included) fails with
 * -HR_INVALID_ARGUMENT "path:line: …; WHAT must be utf-8 text".
 */
int hr_migration_check_text(const char *path, const char *text, size_t len,
			    const char *what, hr_error *err);

/*
 * Read the file at path whole, as hrd reads SQL it will run: a regular
 * file (a FIFO cannot hang the open), trusted by hr_migration_check_mode
 * on the descriptor read (what names it), at most max bytes. On success
 * *text (NUL-terminated, caller frees) holds *len bytes.
 */
int hr_sql_file_read(const char *path, const char *what, size_t max,
		     char **text, size_t *len, hr_error *err);

/* hr_sql_file_read of name in the directory open as dir_fd (AT_FDCWD:
 * name is a path), path naming it in errors. */
int hr_sql_file_read_at(int dir_fd, const char *name, const char *path,
			const char *what, size_t max, char **text,
			size_t *len, hr_error *err);

/* Read and parse the file at path (at most HR_MIGRATION_FILE_MAX bytes). */
int hr_migration_load(const char *path, hr_migration **out, hr_error *err);

/* hr_migration_load of name in the directory open as dir_fd; the
 * migration's path (and its errors') is path. */
int hr_migration_load_at(int dir_fd, const char *name, const char *path,
			 hr_migration **out, hr_error *err);

/*
 * Whether hrd may trust what st (a stat of path) describes to hold SQL
 * it runs, as sshd's StrictModes trusts key files: owned by hrd's
 * effective user or by root, and writable by neither group nor others.
 * A directory of migrations counts too, sticky or not (anyone who may
 * create a file in it may add a migration). what names it in the
 * message ("migration file", "migrations directory"). 0, or
 * -HR_PERMISSION_DENIED with "path: refusing …".
 */
int hr_migration_check_mode(const char *path, const struct stat *st,
			    const char *what, hr_error *err);

void hr_migration_free(hr_migration *m);

/* "upgrade" or "downgrade". */
const char *hr_direction_name(hr_direction d);

/* Whether section s is part of the script for direction d on dialect. */
int hr_section_applies(const hr_sql_section *s, hr_direction d,
		       const char *dialect);

/*
 * Whether id is an acceptable revision id: 1..HR_REVISION_MAX characters
 * from [A-Za-z0-9_]. Alembic reserves '-', '+', '@', ':' and ',' for its
 * target grammar; we accept a strict subset of what it allows.
 */
int hr_revision_id_valid(const char *id);

/* Whether name is a word of the target grammar (head, heads, base,
 * current), which no revision id or branch label may be. */
int hr_revision_name_reserved(const char *name);

#endif
