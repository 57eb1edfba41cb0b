/* pgpassword.c — ask libpq where the password is (see pgpassword.h). */
#include "pgpassword.h"

#include <stdlib.h>
#include <string.h>

#include "pqapi.h"

int hr_pg_passwords(const char *url, hr_strlist *out)
{
	const char *sep = strstr(url, "://");
	char *uri = NULL, *perr = NULL;
	PQconninfoOption *opts;
	hr_error err;
	int rc = 0;

	if (strncmp(url, "sqlite", 6) == 0)
		return 0;
	if (hr_pq_load(&err) < 0)
		return -1;
	/* libpq knows postgresql:// and postgres:// only: SQLAlchemy's
	 * "+driver" goes, as hr_dburl_parse drops it. */
	if (sep != NULL && memchr(url, '+', (size_t)(sep - url)) != NULL) {
		uri = malloc(strlen(sep) + sizeof "postgresql");
		if (uri == NULL)
			return -1;
		strcpy(uri, "postgresql");
		strcat(uri, sep);
	}
	opts = hr_pq.PQconninfoParse(uri ? uri : url, &perr);
	free(uri);
	hr_pq.PQfreemem(perr);
	if (opts == NULL)
		return -1;
	for (PQconninfoOption *o = opts; o->keyword != NULL && rc == 0; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL &&
		    o->val[0] != '\0')
			rc = hr_strlist_push(out, o->val);
	hr_pq.PQconninfoFree(opts);
	return rc;
}
