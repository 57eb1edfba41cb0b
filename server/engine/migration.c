/*
 * migration.c — parse one migration file: the `-- key: value` header,
 * the `-- +upgrade` / `-- +downgrade` sections and the file's checksum.
 *
 * The parser sees untrusted bytes (a file anyone with write access to the
 * migrations directory dropped there), so it never reads past len, bounds
 * every list, and reports the first problem as "path:line: what".
 */
#include "migration.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "dburl.h"

/* A merge of more parents than this is a mistake, not a migration. */
#define LIST_MAX 256
/* How much of a bad value an error message quotes. */
#define QUOTE_MAX 64

enum field {
	F_REVISION,
	F_DOWN_REVISION,
	F_MESSAGE,
	F_CREATE_DATE,
	F_BRANCH_LABELS,
	F_DEPENDS_ON,
	F_TRANSACTIONAL,
	F_FOREIGN_KEYS,
	N_FIELDS
};

static const char *const field_names[N_FIELDS] = {
	[F_REVISION] = "revision",
	[F_DOWN_REVISION] = "down_revision",
	[F_MESSAGE] = "message",
	[F_CREATE_DATE] = "create_date",
	[F_BRANCH_LABELS] = "branch_labels",
	[F_DEPENDS_ON] = "depends_on",
	[F_TRANSACTIONAL] = "transactional",
	[F_FOREIGN_KEYS] = "foreign_keys",
};

typedef struct parser {
	const char *path;
	const char *text;
	size_t len;
	hr_migration *m;
	hr_error *err;
	int field_line[N_FIELDS]; /* line each field was set on; 0 = unset */
	size_t sections_cap;
} parser;

/* Spaces and tabs, plus the CR of a CRLF line end. */
static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static int is_id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* Whether the n bytes at s are exactly word. */
static int span_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(s, word, n) == 0;
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* How many bytes of an n-byte bad value a message quotes. */
static int quote_len(size_t n)
{
	return (int)(n < QUOTE_MAX ? n : QUOTE_MAX);
}

static int oom(parser *p)
{
	return hr_error_set(p->err, HR_RESOURCE_EXHAUSTED,
			    "%s: out of memory", p->path);
}

int hr_revision_id_valid(const char *id)
{
	size_t n;

	if (id == NULL)
		return 0;
	for (n = 0; id[n] != '\0'; n++)
		if (n == HR_REVISION_MAX || !is_id_char(id[n]))
			return 0;
	return n > 0;
}

/* The words the target grammar gives a meaning of their own. */
static const char *const reserved_words[] = {"head", "heads", "base",
					     "current"};

static int reserved_n(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof reserved_words / sizeof reserved_words[0]; i++)
		if (span_is(s, n, reserved_words[i]))
			return 1;
	return 0;
}

int hr_revision_name_reserved(const char *name)
{
	return name != NULL && reserved_n(name, strlen(name));
}

static int id_valid_n(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > HR_REVISION_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!is_id_char(s[i]))
			return 0;
	return 1;
}

/* ---- header fields ----------------------------------------------------- */

/*
 * Split a list value on commas and whitespace into *items. Every item must
 * be a valid id and appear once; "None" alone means an empty list, as
 * Alembic writes it.
 */
static int parse_list(parser *p, int line, enum field f, const char *v,
		      size_t vlen, char ***items, size_t *n_items)
{
	char **list = NULL;
	size_t n = 0, cap = 0, i = 0;

	if (span_is(v, vlen, "None"))
		return 0;
	while (i < vlen) {
		size_t start, k;

		while (i < vlen && (v[i] == ',' || is_space(v[i])))
			i++;
		if (i == vlen)
			break;
		start = i;
		while (i < vlen && v[i] != ',' && !is_space(v[i]))
			i++;
		if (!id_valid_n(v + start, i - start)) {
			return hr_error_set(p->err, HR_INVALID_ARGUMENT,
					    "%s:%d: invalid id '%.*s' in %s "
					    "(want 1-%d characters from "
					    "[A-Za-z0-9_])",
					    p->path, line, quote_len(i - start),
					    v + start,
					    field_names[f], HR_REVISION_MAX);
		}
		if (f == F_BRANCH_LABELS && reserved_n(v + start, i - start))
			return hr_error_set(p->err, HR_INVALID_ARGUMENT,
					    "%s:%d: '%.*s' is a target keyword "
					    "and cannot be a branch label",
					    p->path, line, quote_len(i - start),
					    v + start);
		for (k = 0; k < n; k++)
			if (span_is(v + start, i - start, list[k]))
				return hr_error_set(
					p->err, HR_INVALID_ARGUMENT,
					"%s:%d: %s lists '%s' twice", p->path,
					line, field_names[f], list[k]);
		if (n == LIST_MAX)
			return hr_error_set(
				p->err, HR_INVALID_ARGUMENT,
				"%s:%d: %s has more than %d entries", p->path,
				line, field_names[f], LIST_MAX);
		if (n == cap) {
			/* Owned by the migration from the first item on, so
			 * an error below frees it with the rest. Most lists
			 * hold one id: room for LIST_MAX each was 2 KiB
			 * zeroed per migration. */
			size_t grown_cap = cap ? 2 * cap : 2;
			char **grown = realloc(list, grown_cap * sizeof *list);

			if (grown == NULL)
				return oom(p);
			*items = list = grown;
			cap = grown_cap;
		}
		list[n] = dup_n(v + start, i - start);
		if (list[n] == NULL)
			return oom(p);
		*n_items = ++n;
	}
	return 0;
}

/* A switch: true/yes/on or false/no/off, in any case, into *out. */
static int parse_switch(parser *p, int line, enum field f, const char *v,
			size_t vlen, int *out)
{
	static const struct {
		const char *word;
		int value;
	} words[] = {{"true", 1}, {"yes", 1}, {"on", 1},
		     {"false", 0}, {"no", 0},  {"off", 0}};
	size_t i;

	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strlen(words[i].word) == vlen &&
		    strncasecmp(words[i].word, v, vlen) == 0) {
			*out = words[i].value;
			return 0;
		}
	return hr_error_set(p->err, HR_INVALID_ARGUMENT,
			    "%s:%d: %s must be %s, not '%.*s'", p->path, line,
			    field_names[f],
			    f == F_FOREIGN_KEYS ? "on or off" : "true or false",
			    quote_len(vlen), v);
}

/* Store field f's value v (trimmed) from line; each field is set once. */
static int set_field(parser *p, int line, enum field f, const char *v,
		     size_t vlen)
{
	hr_migration *m = p->m;
	int on = 1, rc;

	if (p->field_line[f] != 0)
		return hr_error_set(p->err, HR_INVALID_ARGUMENT,
				    "%s:%d: repeated header field '%s' "
				    "(first on line %d)",
				    p->path, line, field_names[f],
				    p->field_line[f]);
	p->field_line[f] = line;
	switch (f) {
	case F_REVISION:
		if (!id_valid_n(v, vlen))
			return hr_error_set(
				p->err, HR_INVALID_ARGUMENT,
				"%s:%d: invalid revision id '%.*s' (want 1-%d "
				"characters from [A-Za-z0-9_])",
				p->path, line, quote_len(vlen), v,
				HR_REVISION_MAX);
		if (reserved_n(v, vlen))
			return hr_error_set(p->err, HR_INVALID_ARGUMENT,
					    "%s:%d: '%.*s' is a target keyword "
					    "and cannot be a revision id",
					    p->path, line, (int)vlen, v);
		memcpy(m->revision, v, vlen);
		m->revision[vlen] = '\0';
		return 0;
	case F_DOWN_REVISION:
		return parse_list(p, line, f, v, vlen, &m->down_revisions,
				  &m->n_down_revisions);
	case F_BRANCH_LABELS:
		return parse_list(p, line, f, v, vlen, &m->branch_labels,
				  &m->n_branch_labels);
	case F_DEPENDS_ON:
		return parse_list(p, line, f, v, vlen, &m->depends_on,
				  &m->n_depends_on);
	case F_MESSAGE:
		m->message = dup_n(v, vlen);
		return m->message == NULL ? oom(p) : 0;
	case F_CREATE_DATE:
		m->create_date = dup_n(v, vlen);
		return m->create_date == NULL ? oom(p) : 0;
	case F_TRANSACTIONAL:
		return parse_switch(p, line, f, v, vlen, &m->transactional);
	case F_FOREIGN_KEYS:
		if ((rc = parse_switch(p, line, f, v, vlen, &on)) == 0)
			m->foreign_keys_off = !on;
		return rc;
	case N_FIELDS:
		break;
	}
	return 0;
}

/*
 * One line before the first section (trailing whitespace already cut):
 * blank, a `-- key: value` field, or free-text comment. Anything else is
 * SQL that no section would run, which is certainly a mistake.
 */
static int parse_header_line(parser *p, int line, const char *s, size_t len)
{
	size_t i = 0, key, key_len;
	int f;

	while (i < len && is_space(s[i]))
		i++;
	if (i == len)
		return 0;
	if (len < 2 || s[0] != '-' || s[1] != '-')
		return hr_error_set(p->err, HR_INVALID_ARGUMENT,
				    "%s:%d: sql outside an upgrade/downgrade "
				    "section",
				    p->path, line);
	i = 2;
	while (i < len && is_space(s[i]))
		i++;
	key = i;
	while (i < len && ((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
		i++;
	key_len = i - key;
	while (i < len && is_space(s[i]))
		i++;
	/* A URL opening a comment ("-- https://...") is not a key. */
	if (key_len == 0 || i == len || s[i] != ':' ||
	    (len - i >= 3 && memcmp(s + i, "://", 3) == 0))
		return 0;
	for (f = 0; f < N_FIELDS; f++)
		if (span_is(s + key, key_len, field_names[f]))
			break;
	if (f == N_FIELDS)
		return hr_error_set(p->err, HR_INVALID_ARGUMENT,
				    "%s:%d: unknown header field '%.*s'",
				    p->path, line, quote_len(key_len), s + key);
	i++;
	while (i < len && is_space(s[i]))
		i++;
	return set_field(p, line, (enum field)f, s + i, len - i);
}

/* ---- sections ---------------------------------------------------------- */

/*
 * Whether the line (trailing whitespace already cut) is a section marker
 * `--\s*\+(upgrade|downgrade)(\s+(sqlite|postgresql))?`: 1 and *dir and
 * *dialect set when it is, 0 when it is not. A line that starts like a
 * marker but names another word (`-- +upgarde`) is an error rather than a
 * comment: taken as SQL it would silently move a downgrade into the
 * upgrade script.
 */
static int parse_marker(parser *p, int line, const char *s, size_t len,
			hr_direction *dir, const char **dialect)
{
	size_t i = 2, word;
	char names[64];

	*dir = HR_UPGRADE;
	*dialect = NULL;
	if (len < 2 || s[0] != '-' || s[1] != '-')
		return 0;
	while (i < len && is_space(s[i]))
		i++;
	if (i == len || s[i] != '+')
		return 0;
	word = ++i;
	while (i < len && is_id_char(s[i]))
		i++;
	if (i == word || !((s[word] >= 'a' && s[word] <= 'z') ||
			   (s[word] >= 'A' && s[word] <= 'Z')))
		return 0;
	if (span_is(s + word, i - word, "upgrade"))
		*dir = HR_UPGRADE;
	else if (span_is(s + word, i - word, "downgrade"))
		*dir = HR_DOWNGRADE;
	else
		return hr_error_set(p->err, HR_INVALID_ARGUMENT,
				    "%s:%d: unknown section marker '+%.*s' "
				    "(want +upgrade or +downgrade)",
				    p->path, line, quote_len(i - word),
				    s + word);
	if (i < len && !is_space(s[i]))
		return hr_error_set(p->err, HR_INVALID_ARGUMENT,
				    "%s:%d: malformed section marker",
				    p->path, line);
	while (i < len && is_space(s[i]))
		i++;
	if (i == len)
		return 1;
	if ((*dialect = hr_dialect_find(s + i, len - i)) != NULL)
		return 1;
	return hr_error_set(p->err, HR_INVALID_ARGUMENT,
			    "%s:%d: unknown dialect '%.*s' (want %s)",
			    p->path, line, quote_len(len - i), s + i,
			    hr_dialect_names(names, sizeof names));
}

/* Start a section; its text is filled in by close_section. */
static int open_section(parser *p, hr_direction dir, const char *dialect,
			int first_line)
{
	hr_migration *m = p->m;
	hr_sql_section *s;

	if (m->n_sections == p->sections_cap) {
		size_t cap = p->sections_cap ? 2 * p->sections_cap : 4;
		hr_sql_section *grown =
			realloc(m->sections, cap * sizeof *grown);

		if (grown == NULL)
			return oom(p);
		m->sections = grown;
		p->sections_cap = cap;
	}
	s = &m->sections[m->n_sections];
	memset(s, 0, sizeof *s);
	s->direction = dir;
	s->first_line = first_line;
	if (dialect != NULL) {
		s->dialect = strdup(dialect);
		if (s->dialect == NULL)
			return oom(p);
	}
	m->n_sections++;
	return 0;
}

/* Give the open section its text, which runs from offset start to end. */
static int close_section(parser *p, size_t start, size_t end)
{
	hr_sql_section *s = &p->m->sections[p->m->n_sections - 1];

	s->sql = dup_n(p->text + start, end - start);
	return s->sql == NULL ? oom(p) : 0;
}

/* ---- the file ---------------------------------------------------------- */

/*
 * SHA-256 of the text with every CRLF read as LF, in lowercase hex.
 * Nettle's rather than libcrypto's: linking libcrypto (4.6 MiB, thousands
 * of relocations) cost every start of hrd ~1.6 ms before the first
 * migration was read, for one hash; nettle is small and uses the CPU's
 * SHA instructions as libcrypto does.
 */
static void checksum(parser *p)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[SHA256_DIGEST_SIZE];
	struct sha256_ctx ctx;
	const char *t = p->text, *end = t + p->len, *run = t, *cr;
	size_t i;

	sha256_init(&ctx);
	/* Hash the text in runs that each end just before a CRLF's CR. */
	for (const char *s = t; (cr = memchr(s, '\r', (size_t)(end - s)));
	     s = cr + 1)
		if (cr + 1 < end && cr[1] == '\n') {
			sha256_update(&ctx, (size_t)(cr - run),
				      (const uint8_t *)run);
			run = cr + 1;
		}
	sha256_update(&ctx, (size_t)(end - run), (const uint8_t *)run);
	sha256_digest(&ctx, sizeof md, md);
	for (i = 0; i < sizeof md; i++) {
		p->m->checksum[2 * i] = hex[md[i] >> 4];
		p->m->checksum[2 * i + 1] = hex[md[i] & 0xf];
	}
	p->m->checksum[64] = '\0';
}

/* Walk the lines: header until the first marker, then sections. */
static int parse_lines(parser *p)
{
	const char *t = p->text;
	size_t pos = 0, section_start = 0;
	int line = 1, in_section = 0, rc;

	/* An editor's UTF-8 byte order mark is not SQL outside a section. */
	if (p->len >= 3 && memcmp(t, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	for (; pos < p->len; line++) {
		const char *nl = memchr(t + pos, '\n', p->len - pos);
		size_t end = nl != NULL ? (size_t)(nl - t) : p->len;
		size_t next = nl != NULL ? end + 1 : p->len, cut = end;
		hr_direction dir;
		const char *dialect;

		while (cut > pos && is_space(t[cut - 1]))
			cut--;
		rc = parse_marker(p, line, t + pos, cut - pos, &dir, &dialect);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			if (in_section &&
			    (rc = close_section(p, section_start, pos)) < 0)
				return rc;
			if ((rc = open_section(p, dir, dialect, line + 1)) < 0)
				return rc;
			in_section = 1;
			section_start = next;
		} else if (!in_section &&
			   (rc = parse_header_line(p, line, t + pos,
						   cut - pos)) < 0) {
			return rc;
		}
		pos = next;
	}
	return in_section ? close_section(p, section_start, p->len) : 0;
}

/* The line (from 1) that byte offset i of text is on. */
static int line_at(const char *text, size_t i)
{
	int line = 1;

	for (size_t k = 0; k < i; k++)
		line += text[k] == '\n';
	return line;
}

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when
 * it is not one: overlong forms, surrogates and code points past
 * U+10FFFF are invalid too (RFC 3629).
 */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07u;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* Whether each of the 8 bytes of w is ASCII and not nul. */
static int plain_ascii_word(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;

	return (w & highs) == 0 && ((w - ones) & ~w & highs) == 0;
}

int hr_migration_check_text(const char *path, const char *text, size_t len,
			    const char *what, hr_error *err)
{
	const unsigned char *t = (const unsigned char *)text;
	size_t i = 0, n;
	uint64_t w;

	while (i < len) {
		/* Most text is ASCII: eight bytes at a time past it. */
		if (len - i >= sizeof w) {
			memcpy(&w, t + i, sizeof w);
			if (plain_ascii_word(w)) {
				i += sizeof w;
				continue;
			}
		}
		if (t[i] == '\0')
			return hr_error_set(err, HR_INVALID_ARGUMENT,
					    "%s:%d: binary file (contains a "
					    "nul byte)",
					    path, line_at(text, i));
		if ((n = utf8_sequence(t + i, len - i)) == 0)
			return hr_error_set(err, HR_INVALID_ARGUMENT,
					    "%s:%d: invalid utf-8 (byte 0x%02x); "
					    "%s must be utf-8 text",
					    path, line_at(text, i), t[i], what);
		i += n;
	}
	return 0;
}

int hr_migration_parse(const char *path, const char *text, size_t len,
		       hr_migration **out, hr_error *err)
{
	parser p = {.path = path, .text = text, .len = len, .err = err};
	int rc;

	*out = NULL;
	if ((rc = hr_migration_check_text(path, text, len, "migration files",
					  err)) < 0)
		return rc;
	p.m = calloc(1, sizeof *p.m);
	if (p.m == NULL)
		return oom(&p);
	p.m->transactional = 1;
	rc = parse_lines(&p);
	if (rc == 0 && p.field_line[F_REVISION] == 0)
		rc = hr_error_set(err, HR_INVALID_ARGUMENT,
				  "%s: missing revision (no '-- revision: "
				  "<id>' header line)",
				  path);
	if (rc == 0 && p.m->message == NULL &&
	    (p.m->message = strdup("")) == NULL)
		rc = oom(&p);
	if (rc == 0 && p.m->create_date == NULL &&
	    (p.m->create_date = strdup("")) == NULL)
		rc = oom(&p);
	if (rc == 0 && (p.m->path = strdup(path)) == NULL)
		rc = oom(&p);
	if (rc < 0) {
		hr_migration_free(p.m);
		return rc;
	}
	checksum(&p);
	*out = p.m;
	return 0;
}

/* Map a failed open/read to a status code and a message naming path. */
static int io_error(const char *path, int errnum, hr_error *err)
{
	hr_code code = HR_UNAVAILABLE;

	if (errnum == ENOENT || errnum == ENOTDIR)
		code = HR_NOT_FOUND;
	else if (errnum == EACCES || errnum == EPERM)
		code = HR_PERMISSION_DENIED;
	return hr_error_set(err, code, "%s: cannot read: %s", path,
			    strerror(errnum));
}

static int too_large(const char *path, size_t max, hr_error *err)
{
	return hr_error_set(err, HR_INVALID_ARGUMENT,
			    "%s: file is larger than %zu bytes", path, max);
}

int hr_migration_check_mode(const char *path, const struct stat *st,
			    const char *what, hr_error *err)
{
	if (st->st_uid != geteuid() && st->st_uid != 0)
		return hr_error_set(err, HR_PERMISSION_DENIED,
				    "%s: refusing a %s owned by uid %ld (hrd "
				    "runs the sql it holds: it must belong to "
				    "uid %ld or root)",
				    path, what, (long)st->st_uid,
				    (long)geteuid());
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return hr_error_set(err, HR_PERMISSION_DENIED,
				    "%s: refusing a %s writable by %s (mode "
				    "%04o; hrd runs the sql it holds: chmod "
				    "go-w it)",
				    path, what,
				    st->st_mode & S_IWOTH ? "anyone" : "its group",
				    (unsigned)(st->st_mode & 07777));
	return 0;
}

int hr_sql_file_read_at(int dir_fd, const char *name, const char *path,
			const char *what, size_t max, char **text,
			size_t *len_out, hr_error *err)
{
	struct stat st;
	char *buf;
	size_t len = 0, cap;
	int fd, rc = 0;

	*text = NULL;
	*len_out = 0;
	/* O_NONBLOCK so a FIFO named *.sql cannot hang us in open(). */
	fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return io_error(path, errno, err);
	if (fstat(fd, &st) != 0) {
		rc = io_error(path, errno, err);
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "%s: not a regular file", path);
	}
	/* Checked on the descriptor we read, so a file swapped after the
	 * check is not the one read. */
	if ((rc = hr_migration_check_mode(path, &st, what, err)) < 0) {
		close(fd);
		return rc;
	}
	if (st.st_size > (off_t)max) {
		close(fd);
		return too_large(path, max, err);
	}
	/* Read one byte past the limit so a file that grew since fstat is
	 * caught too; one more for the terminating NUL. */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap + 1);
	if (buf == NULL) {
		close(fd);
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
				    "%s: out of memory", path);
	}
	for (;;) {
		ssize_t r;

		if (len == cap) {
			size_t grown_cap = cap * 2;
			char *grown;

			if (grown_cap > max + 1)
				grown_cap = max + 1;
			if (grown_cap == cap) {
				rc = too_large(path, max, err);
				break;
			}
			grown = realloc(buf, grown_cap + 1);
			if (grown == NULL) {
				rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED,
						  "%s: out of memory", path);
				break;
			}
			buf = grown;
			cap = grown_cap;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = io_error(path, errno, err);
			break;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		/* The size fstat saw, and not the byte past it that was
		 * asked for too: the end, without a read to hear it. */
		if (len == (size_t)st.st_size && len < cap)
			break;
	}
	close(fd);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[len] = '\0';
	*text = buf;
	*len_out = len;
	return 0;
}

int hr_sql_file_read(const char *path, const char *what, size_t max,
		     char **text, size_t *len_out, hr_error *err)
{
	return hr_sql_file_read_at(AT_FDCWD, path, path, what, max, text,
				   len_out, err);
}

int hr_migration_load_at(int dir_fd, const char *name, const char *path,
			 hr_migration **out, hr_error *err)
{
	char *text;
	size_t len;
	int rc;

	*out = NULL;
	rc = hr_sql_file_read_at(dir_fd, name, path, "migration file",
				 HR_MIGRATION_FILE_MAX, &text, &len, err);
	if (rc == 0)
		rc = hr_migration_parse(path, text, len, out, err);
	free(text);
	return rc;
}

int hr_migration_load(const char *path, hr_migration **out, hr_error *err)
{
	return hr_migration_load_at(AT_FDCWD, path, path, out, err);
}

static void free_list(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void hr_migration_free(hr_migration *m)
{
	size_t i;

	if (m == NULL)
		return;
	free_list(m->down_revisions, m->n_down_revisions);
	free_list(m->branch_labels, m->n_branch_labels);
	free_list(m->depends_on, m->n_depends_on);
	free(m->message);
	free(m->create_date);
	free(m->path);
	for (i = 0; i < m->n_sections; i++) {
		free(m->sections[i].dialect);
		free(m->sections[i].sql);
	}
	free(m->sections);
	free(m);
}

const char *hr_direction_name(hr_direction d)
{
	return d == HR_UPGRADE ? "upgrade" : "downgrade";
}

/*
 * A section for every dialect (NULL) applies everywhere; a NULL dialect
 * argument selects only those, so a caller that forgot its dialect never
 * runs another database's SQL.
 */
int hr_section_applies(const hr_sql_section *s, hr_direction d,
		       const char *dialect)
{
	if (s->direction != d)
		return 0;
	if (s->dialect == NULL)
		return 1;
	return dialect != NULL && strcmp(s->dialect, dialect) == 0;
}
