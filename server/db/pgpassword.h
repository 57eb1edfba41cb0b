/*
 * pgpassword.h — libpq's own reading of where a connection string keeps
 * its password, for the redactor (common/dburl.h).
 */
#ifndef HR_PGPASSWORD_H
#define HR_PGPASSWORD_H

#include "strlist.h"

/*
 * An hr_dburl_password_fn: append to out every password libpq's
 * PQconninfoParse reads from url (a postgresql:// or postgres:// URI,
 * SQLAlchemy's postgresql+driver:// spelling, or key=value conninfo).
 * -1 when libpq is not installed or cannot parse url. A sqlite URL
 * holds no password: 0 without loading libpq.
 */
int hr_pg_passwords(const char *url, hr_strlist *out);

#endif
