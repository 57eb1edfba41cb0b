/* dburl.c — database URL parsing and password redaction. */
#include "dburl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MASK "***"

/* ------------------------------------------------------------------ */
/* Where the passwords are                                             */
/* ------------------------------------------------------------------ */

static hr_dburl_password_fn password_parser;

void hr_dburl_set_password_parser(hr_dburl_password_fn fn)
{
	password_parser = fn;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The byte spelled at s[0..n): a raw byte or %XX; *len its length. */
static int byte_at(const char *s, size_t n, size_t *len)
{
	if (n >= 3 && s[0] == '%' && hex_value(s[1]) >= 0 && hex_value(s[2]) >= 0) {
		*len = 3;
		return hex_value(s[1]) * 16 + hex_value(s[2]);
	}
	*len = 1;
	return (unsigned char)s[0];
}

/* Whether the n bytes at s, percent-decoded, are word. */
static int decodes_to(const char *s, size_t n, const char *word)
{
	size_t i = 0, len;

	for (; i < n && *word != '\0'; word++) {
		if (byte_at(s + i, n - i, &len) != (unsigned char)*word)
			return 0;
		i += len;
	}
	return i == n && *word == '\0';
}

/*
 * The length of a spelling of secret at s[0..n) as libpq could read it
 * (each byte raw, percent-encoded, or after a conninfo backslash), 0 if
 * there is none.
 */
static size_t spelled_at(const char *s, size_t n, const char *secret)
{
	size_t i = 0, len;

	for (; *secret != '\0'; secret++) {
		if (i == n)
			return 0;
		if (s[i] == '\\' && i + 1 < n && s[i + 1] == *secret) {
			i += 2;
			continue;
		}
		if (byte_at(s + i, n - i, &len) != (unsigned char)*secret)
			return 0;
		i += len;
	}
	return i;
}

/* The mask of a string being redacted: one flag per byte. */
typedef struct spans {
	const char *url;
	size_t n;
	char *masked;
} spans;

#define HIDDEN 1 /* the byte is part of a password */
#define EMPTY 2  /* an empty password starts here: show MASK anyway */

static void mask(spans *sp, size_t from, size_t to)
{
	if (to > from)
		for (size_t i = from; i < to; i++)
			sp->masked[i] |= HIDDEN;
	else
		sp->masked[from] |= EMPTY;
}

/* Whether url starts with "scheme://" (letters, digits, + - .). */
static const char *uri_authority(const char *url)
{
	size_t n = strspn(url, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST"
			       "UVWXYZ0123456789+-.");

	return n > 0 && strncmp(url + n, "://", 3) == 0 ? url + n + 3 : NULL;
}

/*
 * The end of the URI's user:password@, or 0 when it has none that could
 * hold a password. Three readings, because a raw '@', '/', '?' or '#'
 * in a password makes them disagree and the password must hide under
 * each: libpq's (the first '@' before any '/'), RFC 3986's (the last
 * '@' before the first of "/?#"), and a person's (the last '@' before
 * the first '=' of a query). The one ending last wins; *libpq_end gets
 * libpq's own (0 when it sees no user info).
 */
static size_t userinfo_end(const char *url, const char *auth,
			   size_t *libpq_end)
{
	const char *q, *rfc_stop = auth + strcspn(auth, "/?#");
	size_t end, at, colon = strcspn(auth, ":@");

	*libpq_end = 0;
	for (q = auth; *q != '\0' && *q != '/'; q++)
		if (*q == '@') {
			*libpq_end = (size_t)(q - url);
			break;
		}
	end = *libpq_end;
	for (q = auth; *q != '\0'; q++) {
		if (*q != '@')
			continue;
		at = (size_t)(q - url);
		if ((q < rfc_stop ||
		     memchr(auth, '=', (size_t)(q - auth)) == NULL) &&
		    at > end)
			end = at;
	}
	if (end == 0 || auth[colon] != ':' || (size_t)(auth + colon - url) > end)
		return 0;
	return end;
}

/* URI form: the user info's password and every password= parameter
 * (its key percent-decoded, as libpq decodes it). */
static void find_in_uri(spans *sp, const char *auth)
{
	const char *url = sp->url;
	size_t libpq_end, end = userinfo_end(url, auth, &libpq_end), i;

	if (end > 0)
		mask(sp, (size_t)(auth - url) + strcspn(auth, ":@") + 1, end);
	for (i = end; i < sp->n; i++) {
		size_t key, eq, value_end;

		if ((url[i] != '?' && url[i] != '&') || (sp->masked[i] & HIDDEN))
			continue;
		key = i + 1;
		eq = key + strcspn(url + key, "=&");
		if (url[eq] != '=' || !decodes_to(url + key, eq - key, "password"))
			continue;
		value_end = eq + 1 + strcspn(url + eq + 1, "&");
		mask(sp, eq + 1, value_end);
		i = value_end - 1;
	}
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

/* Keyword form (host=h password='a b'), read as libpq reads it: every
 * password value, quoted or not, backslash escapes included. */
static void find_in_keywords(spans *sp)
{
	const char *url = sp->url;
	size_t i = 0, n = sp->n;

	while (i < n) {
		size_t key, key_end, value;

		while (i < n && is_blank(url[i]))
			i++;
		key = i;
		while (i < n && url[i] != '=' && !is_blank(url[i]))
			i++;
		key_end = i;
		while (i < n && is_blank(url[i]))
			i++;
		if (i == n || url[i] != '=')
			return; /* libpq refuses it; nothing further is a value */
		i++;
		while (i < n && is_blank(url[i]))
			i++;
		value = i;
		if (i < n && url[i] == '\'') {
			for (i++; i < n && url[i] != '\''; i++)
				if (url[i] == '\\' && i + 1 < n)
					i++;
			if (key_end - key == 8 && strncmp(url + key, "password", 8) == 0)
				mask(sp, value + 1, i);
			if (i < n)
				i++;
		} else {
			for (; i < n && !is_blank(url[i]); i++)
				if (url[i] == '\\' && i + 1 < n)
					i++;
			if (key_end - key == 8 && strncmp(url + key, "password", 8) == 0)
				mask(sp, value, i);
		}
	}
}

/* Wherever url spells one of the passwords the parser found, mask it:
 * whatever our own reading missed, libpq's does not. */
static void find_parsed(spans *sp, hr_strlist *parsed)
{
	/* A parser that cannot tell leaves our own reading to stand. */
	if (password_parser == NULL || password_parser(sp->url, parsed) < 0)
		return;
	for (size_t k = 0; k < parsed->n; k++) {
		const char *secret = parsed->items[k];

		if (secret[0] == '\0')
			continue;
		for (size_t i = 0; i < sp->n; i++) {
			size_t len = spelled_at(sp->url + i, sp->n - i, secret);

			if (len > 0) {
				mask(sp, i, i + len);
				i += len - 1;
			}
		}
	}
}

/* Mark every byte of url that belongs to a password; parsed gets what
 * the password parser (if any) found. -1 when out of memory. */
static int find_passwords(spans *sp, const char *url, hr_strlist *parsed)
{
	const char *auth = uri_authority(url);

	sp->url = url;
	sp->n = strlen(url);
	sp->masked = calloc(sp->n + 1, 1);
	if (sp->masked == NULL)
		return -1;
	if (auth != NULL)
		find_in_uri(sp, auth);
	else
		find_in_keywords(sp);
	find_parsed(sp, parsed);
	return 0;
}

char *hr_dburl_redact(const char *url)
{
	hr_strlist parsed = {0};
	spans sp;
	char *copy, *out;

	if (find_passwords(&sp, url, &parsed) < 0) {
		hr_strlist_free(&parsed);
		return NULL;
	}
	hr_strlist_free(&parsed);
	/* At worst every byte is an empty password's MASK plus itself. */
	copy = malloc(sp.n * (sizeof MASK) + sizeof MASK);
	if (copy != NULL) {
		out = copy;
		for (size_t i = 0; i <= sp.n; i++) {
			int hidden = sp.masked[i] & HIDDEN;

			if ((hidden && (i == 0 || !(sp.masked[i - 1] & HIDDEN))) ||
			    (!hidden && (sp.masked[i] & EMPTY))) {
				memcpy(out, MASK, strlen(MASK));
				out += strlen(MASK);
			}
			if (!hidden && i < sp.n)
				*out++ = url[i];
		}
		*out = '\0';
	}
	free(sp.masked);
	return copy;
}

/* Append the n bytes at s, and their percent-decoded form when it
 * differs, to out (empty ones skipped). 0 or -1. */
static int push_forms(hr_strlist *out, const char *s, size_t n)
{
	char *decoded;
	size_t i, o = 0, len;
	int rc;

	if (n == 0)
		return 0;
	if (hr_strlist_pushn(out, s, n) < 0 || (decoded = malloc(n + 1)) == NULL)
		return -1;
	for (i = 0; i < n; i += len)
		decoded[o++] = (char)byte_at(s + i, n - i, &len);
	decoded[o] = '\0';
	rc = o != n ? hr_strlist_push(out, decoded) : 0;
	free(decoded);
	return rc;
}

int hr_dburl_secrets(const char *url, hr_strlist *out)
{
	hr_strlist parsed = {0};
	spans sp;
	size_t i = 0, start;
	int rc = find_passwords(&sp, url, &parsed);

	while (rc == 0 && i < sp.n) {
		for (; i < sp.n && !(sp.masked[i] & HIDDEN); i++)
			;
		for (start = i; i < sp.n && (sp.masked[i] & HIDDEN); i++)
			;
		rc = push_forms(out, url + start, i - start);
	}
	for (i = 0; rc == 0 && i < parsed.n; i++)
		if (parsed.items[i][0] != '\0')
			rc = hr_strlist_push(out, parsed.items[i]);
	hr_strlist_free(&parsed);
	free(sp.masked);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */
/* ------------------------------------------------------------------ */

static int parse_sqlite(const char *url, const char *rest, hr_dburl *out,
			hr_error *err)
{
	(void)url;
	/* rest follows "sqlite://": "" (memory), "/rel", "//abs", "/:memory:" */
	const char *path;

	if (rest[0] == '\0') {
		path = ":memory:";
	} else if (rest[0] != '/') {
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "bad database url '%s': sqlite urls look "
				    "like sqlite:///relative.db or "
				    "sqlite:////absolute.db",
				    out->redacted);
	} else {
		path = rest + 1; /* "/abs" stays absolute, "rel" relative */
	}
	if (path[0] == '\0')
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "bad database url '%s': no database file",
				    out->redacted);
	if (strchr(path, '?') != NULL)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "bad database url '%s': sqlite url "
				    "parameters are not supported",
				    out->redacted);
	out->kind = HR_DB_SQLITE;
	out->sqlite_path = strdup(path);
	if (out->sqlite_path == NULL)
		return hr_error_set(err, HR_INTERNAL, "out of memory");
	return 0;
}

static int parse_postgres(const char *url, const char *rest, hr_dburl *out,
			  hr_error *err)
{
	/* rest follows "://"; libpq parses the URI itself. We refuse what
	 * it would read differently from the person who wrote it. */
	size_t n = strlen(rest), libpq_end, end;

	end = userinfo_end(url, rest, &libpq_end);
	if (end != 0 && end != libpq_end)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "bad database url '%s': a raw '@' or '/' "
				    "in the user name or password (write them "
				    "as %%40 and %%2F)",
				    out->redacted);
	if (strchr(rest, '#') != NULL)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "bad database url '%s': fragments are not "
				    "allowed (write a '#' in a password as %%23)",
				    out->redacted);
	out->kind = HR_DB_POSTGRES;
	out->conninfo = malloc(n + sizeof "postgresql://");
	if (out->conninfo == NULL)
		return hr_error_set(err, HR_INTERNAL, "out of memory");
	strcpy(out->conninfo, "postgresql://");
	strcat(out->conninfo, rest);
	return 0;
}

/* Every database hrd speaks: its URL schemes (SQLAlchemy's spellings),
 * how its URLs parse, and the dialect name of its sections in migration
 * files. Adding a backend adds a row here (backend.h has the recipe). */
static const struct dialect {
	hr_db_kind kind;
	const char *name;
	const char *schemes[3]; /* NULL-terminated */
	int (*parse)(const char *url, const char *rest, hr_dburl *out,
		     hr_error *err);
} dialects[] = {
	{HR_DB_SQLITE, "sqlite", {"sqlite", NULL}, parse_sqlite},
	{HR_DB_POSTGRES, "postgresql", {"postgresql", "postgres", NULL},
	 parse_postgres},
};

#define N_DIALECTS (sizeof dialects / sizeof dialects[0])

const char *hr_dialect_find(const char *name, size_t len)
{
	for (size_t i = 0; i < N_DIALECTS; i++)
		if (strlen(dialects[i].name) == len &&
		    strncmp(dialects[i].name, name, len) == 0)
			return dialects[i].name;
	return NULL;
}

const char *hr_dialect_name(hr_db_kind kind)
{
	for (size_t i = 0; i < N_DIALECTS; i++)
		if (dialects[i].kind == kind)
			return dialects[i].name;
	return NULL;
}

const char *hr_dialect_names(char *buf, size_t cap)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_DIALECTS && used < cap; i++)
		used += (size_t)snprintf(buf + used, cap - used, "%s%s",
					 i == 0		       ? ""
					 : i + 1 == N_DIALECTS ? " or "
							       : ", ",
					 dialects[i].name);
	return buf;
}

/* The dialect whose scheme url's first len bytes are; NULL: none. */
static const struct dialect *dialect_of_scheme(const char *url, size_t len)
{
	for (size_t i = 0; i < N_DIALECTS; i++)
		for (size_t j = 0; dialects[i].schemes[j] != NULL; j++)
			if (strlen(dialects[i].schemes[j]) == len &&
			    strncmp(dialects[i].schemes[j], url, len) == 0)
				return &dialects[i];
	return NULL;
}

int hr_dburl_parse(const char *url, hr_dburl *out, hr_error *err)
{
	const struct dialect *d;
	char names[64];
	const char *sep;
	size_t scheme_len, base_len;
	int rc;

	memset(out, 0, sizeof *out);
	out->redacted = hr_dburl_redact(url);
	if (out->redacted == NULL)
		return hr_error_set(err, HR_INTERNAL, "out of memory");
	sep = strstr(url, "://");
	if (sep == NULL) {
		rc = hr_error_set(err, HR_INVALID_ARGUMENT,
				  "bad database url '%s': expected "
				  "sqlite:///PATH or postgresql://…",
				  out->redacted);
		goto fail;
	}
	scheme_len = (size_t)(sep - url);
	/* SQLAlchemy's dialect+driver form: drop "+driver". */
	base_len = strcspn(url, "+");
	if (base_len > scheme_len)
		base_len = scheme_len;
	if ((d = dialect_of_scheme(url, base_len)) != NULL)
		rc = d->parse(url, sep + 3, out, err);
	else
		rc = hr_error_set(err, HR_INVALID_ARGUMENT,
				  "bad database url '%s': unsupported scheme "
				  "'%.*s' (use %s)",
				  out->redacted, (int)scheme_len, url,
				  hr_dialect_names(names, sizeof names));
	if (rc == 0)
		return 0;
fail:
	hr_dburl_free(out);
	return rc;
}

void hr_dburl_free(hr_dburl *u)
{
	free(u->sqlite_path);
	free(u->conninfo);
	free(u->redacted);
	memset(u, 0, sizeof *u);
}
