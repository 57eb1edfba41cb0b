/* dburl.c — database URL parsing and password redaction. */
#include "dburl.h"

#include <stdlib.h>
#include <string.h>

#define MASK "***"

/* Append n bytes of s to the NUL-terminated buffer at *out (pre-sized). */
static void put(char **out, const char *s, size_t n)
{
	memcpy(*out, s, n);
	*out += n;
	**out = '\0';
}

char *hr_dburl_redact(const char *url)
{
	/* Each masked value is replaced by MASK, so the copy is at most
	 * strlen(url) + one MASK per '=' or ':' — bound it generously. */
	size_t len = strlen(url);
	char *copy = malloc(len * 4 + sizeof MASK + 1);
	char *out = copy;
	const char *p = url, *scheme_end, *auth_end, *at = NULL;

	if (copy == NULL)
		return NULL;
	*out = '\0';
	scheme_end = strstr(url, "://");
	if (scheme_end != NULL) {
		const char *auth = scheme_end + 3;

		auth_end = auth + strcspn(auth, "/?#");
		/* The last '@' of the authority ends the userinfo (a raw '@'
		 * inside a password would otherwise leak its tail). */
		for (const char *q = auth; q < auth_end; q++)
			if (*q == '@')
				at = q;
		if (at != NULL) {
			const char *colon = memchr(auth, ':', (size_t)(at - auth));

			put(&out, url, (size_t)(auth - url));
			if (colon != NULL) {
				put(&out, auth, (size_t)(colon - auth) + 1);
				put(&out, MASK, strlen(MASK));
			} else {
				put(&out, auth, (size_t)(at - auth));
			}
			p = at;
		}
	}
	/* Query / keyword parameters: mask the value of password=… */
	while (*p != '\0') {
		const char *hit = strstr(p, "password=");

		if (hit == NULL) {
			put(&out, p, strlen(p));
			break;
		}
		/* Only a whole key: at the start of a parameter. */
		if (hit != url && hit[-1] != '?' && hit[-1] != '&' &&
		    hit[-1] != ' ') {
			put(&out, p, (size_t)(hit - p) + 1);
			p = hit + 1;
			continue;
		}
		hit += strlen("password=");
		put(&out, p, (size_t)(hit - p));
		put(&out, MASK, strlen(MASK));
		p = hit + strcspn(hit, "& ");
	}
	return copy;
}

static int parse_sqlite(const char *rest, hr_dburl *out, hr_error *err)
{
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

static int parse_postgres(const char *rest, hr_dburl *out, hr_error *err)
{
	/* rest follows "://"; libpq parses the URI itself, we only insist
	 * on its canonical scheme and an authority we can see the end of. */
	size_t n = strlen(rest);

	if (strchr(rest, '#') != NULL)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "bad database url '%s': fragments are not "
				    "allowed",
				    out->redacted);
	out->kind = HR_DB_POSTGRES;
	out->conninfo = malloc(n + sizeof "postgresql://");
	if (out->conninfo == NULL)
		return hr_error_set(err, HR_INTERNAL, "out of memory");
	strcpy(out->conninfo, "postgresql://");
	strcat(out->conninfo, rest);
	return 0;
}

int hr_dburl_parse(const char *url, hr_dburl *out, hr_error *err)
{
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
	if (base_len == 6 && strncmp(url, "sqlite", 6) == 0)
		rc = parse_sqlite(sep + 3, out, err);
	else if ((base_len == 10 && strncmp(url, "postgresql", 10) == 0) ||
		 (base_len == 8 && strncmp(url, "postgres", 8) == 0))
		rc = parse_postgres(sep + 3, out, err);
	else
		rc = hr_error_set(err, HR_INVALID_ARGUMENT,
				  "bad database url '%s': unsupported scheme "
				  "'%.*s' (use sqlite or postgresql)",
				  out->redacted, (int)scheme_len, url);
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
