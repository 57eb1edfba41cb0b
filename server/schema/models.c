/*
 * models.c — read a models directory (models.h) and build the schema it
 * declares on a scratch database.
 *
 * The files are untrusted text: every read is bounded, and the first
 * problem is reported as "FILE:LINE: what".
 */
#include "models.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "migration.h"
#include "sqlsplit.h"

/* A run of lines under one marker. */
typedef struct chunk {
	const char *dialect; /* "sqlite", "postgresql", or NULL for all */
	char *sql;
	int first_line;
	const char *path; /* points into the models' files */
} chunk;

/* Where a CREATE TABLE is, and what its annotations rename. */
typedef struct annotation {
	size_t in; /* index of its chunk (the array grows while loading) */
	char *table;
	char *column; /* NULL: the annotation is the table's own / a source */
	char *renamed_from; /* NULL: only the table's source line */
	int line;
} annotation;

struct hr_models {
	atomic_size_t refs;
	char *dir;
	int present;
	char **files;
	size_t n_files;
	chunk *chunks;
	size_t n_chunks;
	annotation *notes;
	size_t n_notes;
};

/* ------------------------------------------------------------------ */
/* Reading files                                                       */
/* ------------------------------------------------------------------ */

/* The dialect a marker line names: 1 and *dialect (NULL for all) when
 * line is a marker, 0 when it is not, -1 for an unknown dialect. */
static int marker(const char *line, size_t len, const char **dialect)
{
	static const struct {
		const char *word;
		const char *dialect;
	} words[] = {{"sqlite", "sqlite"},
		     {"postgresql", "postgresql"},
		     {"all", NULL}};
	size_t i = 0, w;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (len - i < 4 || strncmp(line + i, "-- +", 4) != 0)
		return 0;
	i += 4;
	for (w = i; w < len && !isspace((unsigned char)line[w]); w++)
		;
	for (size_t k = 0; k < sizeof words / sizeof *words; k++)
		if (w - i == strlen(words[k].word) &&
		    strncmp(line + i, words[k].word, w - i) == 0) {
			for (; w < len; w++)
				if (!isspace((unsigned char)line[w]))
					return -1;
			*dialect = words[k].dialect;
			return 1;
		}
	return -1;
}

static int add_chunk(hr_models *m, const char *path, const char *dialect,
		     const char *sql, size_t len, int first_line)
{
	chunk *c = HR_SCHEMA_PUSH(&m->chunks, &m->n_chunks);

	if (c == NULL || (c->sql = strndup(sql, len)) == NULL)
		return -1;
	c->dialect = dialect;
	c->first_line = first_line;
	c->path = path;
	return 0;
}

/* Cut file text into chunks at its marker lines. */
static int split_file(hr_models *m, const char *path, const char *text,
		      size_t len, hr_error *err)
{
	const char *dialect = NULL, *start = text, *p = text,
		   *end = text + len;
	int line = 1, start_line = 1;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
		const char *next = NULL;
		int r = marker(p, n, &next);

		if (r < 0)
			return hr_error_set(err, HR_INVALID_ARGUMENT,
					    "%s:%d: unknown section marker "
					    "'%.*s' (want -- +sqlite, -- "
					    "+postgresql or -- +all)",
					    path, line, (int)(n < 64 ? n : 64),
					    p);
		if (r > 0) {
			if (add_chunk(m, path, dialect, start,
				      (size_t)(p - start), start_line) < 0)
				return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
						    "out of memory");
			dialect = next;
			start = eol ? eol + 1 : end;
			start_line = line + 1;
		}
		p = eol ? eol + 1 : end;
		line++;
	}
	if (add_chunk(m, path, dialect, start, (size_t)(end - start),
		      start_line) < 0)
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
				    "out of memory");
	return 0;
}

/* ------------------------------------------------------------------ */
/* CREATE TABLE statements and their annotations                       */
/* ------------------------------------------------------------------ */

/* The identifier at *p (bare, "quoted", `quoted` or [quoted]) into out;
 * moves *p past it. 0 when there is none. */
static int identifier(const char **p, const char *end, char *out,
		      size_t size)
{
	const char *s = *p, *e;
	char close = 0;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s < end && (*s == '"' || *s == '`' || *s == '['))
		close = *s == '[' ? ']' : *s++;
	for (e = s; e < end && (close ? *e != close
				      : isalnum((unsigned char)*e) || *e == '_' ||
						(unsigned char)*e >= 0x80);
	     e++)
		;
	if (e == s || (size_t)(e - s) >= size)
		return 0;
	memcpy(out, s, (size_t)(e - s));
	out[e - s] = '\0';
	*p = close && e < end ? e + 1 : e;
	return 1;
}

/* Whether p starts with word (any case) followed by a non-word byte. */
static int keyword(const char **p, const char *end, const char *word)
{
	const char *s = *p;
	size_t n = strlen(word);

	while (s < end && isspace((unsigned char)*s))
		s++;
	if ((size_t)(end - s) < n || strncasecmp(s, word, n) != 0 ||
	    (s + n < end && (isalnum((unsigned char)s[n]) || s[n] == '_')))
		return 0;
	*p = s + n;
	return 1;
}

static int add_note(hr_models *m, size_t in, const char *table,
		    const char *column, const char *from, int line)
{
	annotation *a = HR_SCHEMA_PUSH(&m->notes, &m->n_notes);

	if (a == NULL)
		return -1;
	a->in = in;
	a->line = line;
	a->table = strdup(table);
	a->column = column ? strdup(column) : NULL;
	a->renamed_from = from ? strdup(from) : NULL;
	if (a->table == NULL || (column && !a->column) ||
	    (from && !a->renamed_from))
		return -1;
	return 0;
}

#define RENAMED "-- renamed from:"

/* Note the table a CREATE TABLE statement makes (its line) and the
 * `-- renamed from:` comments inside it. */
static int scan_create_table(hr_models *m, size_t in,
			     const hr_sql_stmt *st, int line, hr_error *err)
{
	const chunk *c = &m->chunks[in];
	const char *p = st->start, *end = st->start + st->len;
	char table[256], column[256], from[256];

	if (!keyword(&p, end, "CREATE") || !keyword(&p, end, "TABLE"))
		return 0;
	if (keyword(&p, end, "IF") &&
	    !(keyword(&p, end, "NOT") && keyword(&p, end, "EXISTS")))
		return 0;
	if (!identifier(&p, end, table, sizeof table))
		return 0;
	if (add_note(m, in, table, NULL, NULL, line) < 0)
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
				    "out of memory");
	/* Line by line: a note on the CREATE line (or a line that only
	 * opens the column list) is the table's, else its line's column's. */
	for (const char *l = st->start; l < end; line++) {
		const char *eol = memchr(l, '\n', (size_t)(end - l));
		const char *le = eol ? eol : end, *note, *q;

		note = memmem(l, (size_t)(le - l), RENAMED, strlen(RENAMED));
		if (note != NULL) {
			q = note + strlen(RENAMED);
			if (!identifier(&q, le, from, sizeof from))
				return hr_error_set(
					err, HR_INVALID_ARGUMENT,
					"%s:%d: '" RENAMED "' names no table "
					"or column",
					c->path, line);
			q = l;
			while (q < le && (isspace((unsigned char)*q) ||
					  *q == '(' || *q == ','))
				q++;
			if (l == st->start || q == note) {
				if (add_note(m, in, table, NULL, from, line) < 0)
					return hr_error_set(
						err, HR_RESOURCE_EXHAUSTED,
						"out of memory");
			} else if (!identifier(&q, le, column, sizeof column)) {
				return hr_error_set(err, HR_INVALID_ARGUMENT,
						    "%s:%d: '" RENAMED "' is "
						    "not on a column's line",
						    c->path, line);
			} else if (add_note(m, in, table, column, from,
					    line) < 0) {
				return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
						    "out of memory");
			}
		}
		l = eol ? eol + 1 : end;
	}
	return 0;
}

/* Line of position p in chunk c. */
static int line_at(const chunk *c, const char *p)
{
	int line = c->first_line;

	for (const char *s = c->sql; s < p; s++)
		line += *s == '\n';
	return line;
}

static int scan_chunk(hr_models *m, size_t index, hr_error *err)
{
	const chunk *c = &m->chunks[index];
	const char *pos = c->sql;
	hr_sql_stmt st;

	while (hr_sql_next(&pos, &st)) {
		int rc = scan_create_table(m, index, &st,
					   line_at(c, st.start), err);

		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */
/* ------------------------------------------------------------------ */

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.sql names of dir, sorted, as "dir/name" paths into m->files. */
static int list_files(hr_models *m, const char *dir, hr_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	int rc = 0;

	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		return hr_error_set(err, HR_FAILED_PRECONDITION,
				    "%s: cannot read the models directory: %s",
				    dir, strerror(errno));
	}
	m->present = 1;
	if (fstat(dirfd(d), &st) < 0)
		rc = hr_error_set(err, HR_FAILED_PRECONDITION, "%s: %s", dir,
				  strerror(errno));
	else
		rc = hr_migration_check_mode(dir, &st, "models directory",
					     err);
	while (rc == 0 && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		char **slot, *path;

		if (n < 5 || strcmp(e->d_name + n - 4, ".sql") != 0 ||
		    e->d_name[0] == '.')
			continue;
		if (m->n_files == HR_MODELS_FILES_MAX) {
			rc = hr_error_set(err, HR_INVALID_ARGUMENT,
					  "%s: more than %d models files", dir,
					  HR_MODELS_FILES_MAX);
			break;
		}
		if (asprintf(&path, "%s/%s", dir, e->d_name) < 0 ||
		    (slot = HR_SCHEMA_PUSH(&m->files, &m->n_files)) == NULL) {
			rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED,
					  "out of memory");
			break;
		}
		*slot = path;
	}
	closedir(d);
	if (m->n_files > 1)
		qsort(m->files, m->n_files, sizeof *m->files, by_name);
	return rc;
}

int hr_models_load(const char *dir, hr_models **out, hr_error *err)
{
	hr_models *m = calloc(1, sizeof *m);
	int rc;

	*out = NULL;
	if (m == NULL || (m->dir = strdup(dir)) == NULL) {
		free(m);
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
				    "out of memory");
	}
	atomic_init(&m->refs, 1);
	rc = list_files(m, dir, err);
	for (size_t i = 0; rc == 0 && i < m->n_files; i++) {
		size_t first = m->n_chunks, len = 0;
		char *text;

		/* Models run on scratch databases of the real server:
		 * trusted as migrations are. */
		rc = hr_sql_file_read(m->files[i], "models file",
				      HR_MODELS_FILE_MAX, &text, &len, err);
		if (rc < 0)
			break;
		rc = hr_migration_check_text(m->files[i], text, len,
					     "models files", err);
		if (rc == 0)
			rc = split_file(m, m->files[i], text, len, err);
		free(text);
		for (size_t k = first; rc == 0 && k < m->n_chunks; k++)
			rc = scan_chunk(m, k, err);
	}
	if (rc < 0) {
		hr_models_unref(m);
		return rc;
	}
	*out = m;
	return 0;
}

hr_models *hr_models_ref(hr_models *m)
{
	if (m != NULL)
		atomic_fetch_add(&m->refs, 1);
	return m;
}

void hr_models_unref(hr_models *m)
{
	if (m == NULL || atomic_fetch_sub(&m->refs, 1) != 1)
		return;
	for (size_t i = 0; i < m->n_chunks; i++)
		free(m->chunks[i].sql);
	for (size_t i = 0; i < m->n_notes; i++) {
		free(m->notes[i].table);
		free(m->notes[i].column);
		free(m->notes[i].renamed_from);
	}
	for (size_t i = 0; i < m->n_files; i++)
		free(m->files[i]);
	free(m->chunks);
	free(m->notes);
	free(m->files);
	free(m->dir);
	free(m);
}

const char *hr_models_dir(const hr_models *m)
{
	return m->dir;
}

int hr_models_present(const hr_models *m)
{
	return m->present;
}

size_t hr_models_file_count(const hr_models *m)
{
	return m->n_files;
}

/* ------------------------------------------------------------------ */
/* Building on a database                                              */
/* ------------------------------------------------------------------ */

static int applies(const chunk *c, const char *dialect)
{
	return c->dialect == NULL || strcmp(c->dialect, dialect) == 0;
}

/* The source note of table t for dialect, or NULL. */
static const annotation *source_of(const hr_models *m, const char *table,
				   const char *dialect)
{
	for (size_t i = 0; i < m->n_notes; i++)
		if (m->notes[i].renamed_from == NULL &&
		    applies(&m->chunks[m->notes[i].in], dialect) &&
		    strcmp(m->notes[i].table, table) == 0)
			return &m->notes[i];
	return NULL;
}

/* Set sources and renames from the notes onto the built schema. */
static int annotate(const hr_models *m, hr_schema *s, const char *dialect,
		    hr_error *err)
{
	for (size_t i = 0; i < s->n_tables; i++) {
		hr_table *t = &s->tables[i];
		const annotation *a = source_of(m, t->name, dialect);

		if (a != NULL && asprintf(&t->source, "%s:%d",
					  m->chunks[a->in].path, a->line) < 0) {
			t->source = NULL;
			return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
					    "out of memory");
		}
	}
	for (size_t i = 0; i < m->n_notes; i++) {
		const annotation *a = &m->notes[i];
		const char *path = m->chunks[a->in].path;
		hr_table *t;
		char **slot;

		if (a->renamed_from == NULL ||
		    !applies(&m->chunks[a->in], dialect))
			continue;
		t = (hr_table *)hr_schema_table(s, a->table);
		if (t == NULL)
			continue; /* the statement made no table here */
		slot = &t->renamed_from;
		if (a->column != NULL) {
			hr_column *col =
				(hr_column *)hr_table_column(t, a->column);

			if (col == NULL)
				return hr_error_set(
					err, HR_INVALID_ARGUMENT,
					"%s:%d: table '%s' has no column '%s'",
					path, a->line, t->name,
					a->column);
			slot = &col->renamed_from;
		}
		if (*slot != NULL)
			return hr_error_set(err, HR_INVALID_ARGUMENT,
					    "%s:%d: a second '" RENAMED "' for "
					    "the same %s",
					    path, a->line,
					    a->column ? "column" : "table");
		if ((*slot = strdup(a->renamed_from)) == NULL)
			return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
					    "out of memory");
	}
	return 0;
}

/* Every foreign key names a table and columns the models define (SQLite
 * accepts any name until a row is written). */
static int check_references(const hr_schema *s, hr_error *err)
{
	for (size_t i = 0; i < s->n_tables; i++) {
		const hr_table *t = &s->tables[i];

		for (size_t k = 0; k < t->n_fkeys; k++) {
			const hr_fkey *fk = &t->fkeys[k];
			const hr_table *parent =
				hr_schema_table(s, fk->ref_table);
			const char *where = t->source ? t->source : t->name;

			if (parent == NULL)
				return hr_error_set(
					err, HR_INVALID_ARGUMENT,
					"%s: table '%s' has a foreign key to "
					"'%s', which the models do not define",
					where, t->name, fk->ref_table);
			for (size_t c = 0; c < fk->ref_columns.n; c++)
				if (hr_table_column(parent,
						    fk->ref_columns.items[c]) ==
				    NULL)
					return hr_error_set(
						err, HR_INVALID_ARGUMENT,
						"%s: table '%s' has a foreign "
						"key to '%s.%s', which the "
						"models do not define",
						where, t->name, fk->ref_table,
						fk->ref_columns.items[c]);
		}
	}
	return 0;
}

int hr_models_build(const hr_models *m, hr_db *db, hr_schema *out,
		    hr_error *err)
{
	const char *dialect = hr_db_dialect(db);
	int rc;

	*out = (hr_schema){0};
	for (size_t i = 0; i < m->n_chunks; i++) {
		const chunk *c = &m->chunks[i];
		int line = 0;

		if (!applies(c, dialect))
			continue;
		rc = hr_db_exec_script(db, c->sql, c->first_line, &line, err);
		if (rc < 0) {
			hr_error why = *err;

			return hr_error_set(err, HR_INVALID_ARGUMENT,
					    "%s:%d: %s", c->path,
					    line > 0 ? line : c->first_line,
					    why.msg);
		}
	}
	rc = hr_catalog_read(db, out, err);
	if (rc == 0)
		rc = annotate(m, out, dialect, err);
	if (rc == 0)
		rc = check_references(out, err);
	return rc;
}
