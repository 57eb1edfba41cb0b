/* roundtrip.c — upgrade, downgrade, upgrade each migration (roundtrip.h). */
#include "roundtrip.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "diff.h"
#include "plan.h"

/* Write a problem (printf-style, cut at HR_ERROR_MSG_MAX). */
static void __attribute__((format(printf, 2, 3)))
say(char *problem, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(problem, HR_ERROR_MSG_MAX, fmt, ap);
	va_end(ap);
}

/*
 * Run m's sections for dir on db in one transaction (a savepoint on a
 * PostgreSQL scratch), with SQLite's foreign-key enforcement off around
 * it when the header asks. On failure problem says
 * "DIRECTION failed (FILE:LINE): why".
 */
static int apply(hr_db *db, const hr_migration *m, hr_direction dir,
		 char *problem, hr_error *err)
{
	const char *dialect = hr_db_dialect(db);
	int rc = 0, line = 0;
	hr_error ignored;

	if (m->foreign_keys_off && (rc = hr_db_foreign_keys(db, 0, err)) < 0)
		return rc;
	if ((rc = hr_db_begin(db, err)) < 0)
		goto out;
	for (size_t k = 0; rc == 0 && k < m->n_sections; k++) {
		const hr_sql_section *s = &m->sections[k];

		if (!hr_section_applies(s, dir, dialect))
			continue;
		line = s->first_line;
		rc = hr_db_exec_script(db, s->sql, s->first_line, &line, err);
	}
	if (rc == 0)
		rc = hr_db_reset_session(db, err);
	if (rc == 0)
		rc = hr_db_check_foreign_keys(db, err);
	if (rc == 0)
		rc = hr_db_commit(db, err);
	if (rc < 0) {
		hr_db_rollback(db);
		say(problem, "%s failed (%s:%d): %s",
			 hr_direction_name(dir), m->path, line, err->msg);
	}
out:
	if (m->foreign_keys_off)
		hr_db_foreign_keys(db, 1, &ignored);
	return rc;
}

/*
 * 1 when `got` equals `want`, 0 when it differs (r filled: problem
 * `what`, the differences), negative on error.
 */
static int same(const hr_schema *want, const hr_schema *got,
		const char *what, hr_roundtrip_result *r, hr_error *err)
{
	hr_diff d = {0};
	int rc = hr_schema_diff(want, got, &d, err);

	if (rc == 0 && !hr_diff_empty(&d)) {
		say(r->problem, "%s", what);
		rc = hr_diff_describe(&d, &r->differences) < 0
			     ? hr_error_set(err, HR_RESOURCE_EXHAUSTED,
					    "out of memory")
			     : 0;
		hr_diff_free(&d);
		return rc < 0 ? rc : 0;
	}
	hr_diff_free(&d);
	return rc < 0 ? rc : 1;
}

/* Upgrade, downgrade, upgrade m on db (where its parents are applied),
 * comparing the schemas; fill r. Negative only for errors of the run
 * itself (a catalog read, memory). */
static int round_trip(hr_db *db, const hr_migration *m,
		      hr_roundtrip_result *r, hr_error *err)
{
	hr_schema before = {0}, up = {0}, down = {0}, again = {0};
	hr_error why;
	int rc;

	rc = hr_catalog_read(db, &before, err);
	if (rc == 0 && apply(db, m, HR_UPGRADE, r->problem, &why) < 0)
		goto out;
	if (rc == 0)
		rc = hr_catalog_read(db, &up, err);
	if (rc == 0 && apply(db, m, HR_DOWNGRADE, r->problem, &why) < 0)
		goto out;
	if (rc == 0)
		rc = hr_catalog_read(db, &down, err);
	if (rc == 0 &&
	    (rc = same(&before, &down,
		       "the downgrade does not restore the schema from "
		       "before the upgrade",
		       r, err)) != 1)
		goto out;
	if (apply(db, m, HR_UPGRADE, r->problem, &why) < 0) {
		char first[HR_ERROR_MSG_MAX];

		snprintf(first, sizeof first, "%s", r->problem);
		say(r->problem, "the second upgrade (after the downgrade) %s",
		    first + strlen("upgrade "));
		rc = 0;
		goto out;
	}
	rc = hr_catalog_read(db, &again, err);
	if (rc == 0)
		rc = same(&up, &again,
			  "the second upgrade (after the downgrade) does not "
			  "build what the first one did",
			  r, err);
	if (rc == 1) {
		r->ok = 1;
		rc = 0;
	}
out:
	hr_schema_free(&before);
	hr_schema_free(&up);
	hr_schema_free(&down);
	hr_schema_free(&again);
	return rc < 0 ? rc : 0;
}

/* Mark in `tested` (one flag per map position) the revisions of range,
 * all of them for none; *last is the highest position marked. */
static int select_range(const hr_revmap *map, const char *range,
			char *tested, size_t *last, hr_error *err)
{
	const hr_migration **list = NULL;
	size_t n = hr_revmap_count(map);

	*last = 0;
	if (range == NULL || range[0] == '\0') {
		memset(tested, 1, n);
		*last = n ? n - 1 : 0;
		return 0;
	}
	if (hr_plan_range(map, NULL, 0, range, &list, &n, err) < 0)
		return -(int)err->code;
	for (size_t i = 0; i < n; i++) {
		size_t at = hr_revmap_index(map, list[i]);

		tested[at] = 1;
		if (at > *last)
			*last = at;
	}
	free(list);
	return 0;
}

int hr_roundtrip_run(const hr_revmap *map, const hr_dburl *url,
		     const char *range, hr_roundtrip_fn each, void *ud,
		     size_t *n_failed, hr_error *err)
{
	size_t n = hr_revmap_count(map), last = 0;
	char *tested = calloc(n ? n : 1, 1);
	hr_db *db = NULL;
	int rc;

	*n_failed = 0;
	if (tested == NULL)
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	rc = select_range(map, range, tested, &last, err);
	if (rc == 0 && n > 0)
		rc = hr_db_open_scratch(url, &db, err);
	for (size_t i = 0; rc == 0 && n > 0 && i <= last; i++) {
		const hr_migration *m = hr_revmap_at(map, i);
		hr_roundtrip_result r = {.migration = m};

		if (tested[i]) {
			rc = round_trip(db, m, &r, err);
		} else if (apply(db, m, HR_UPGRADE, r.problem, err) < 0) {
			/* A revision below the range that does not even
			 * apply is the range's first failure. */
			rc = 0;
		} else {
			continue;
		}
		if (rc == 0 && (rc = each(ud, &r)) < 0)
			hr_error_set(err, (hr_code)-rc,
				     "out of memory keeping the results");
		hr_strlist_free(&r.differences);
		if (rc == 0 && !r.ok) {
			*n_failed = 1;
			break;
		}
	}
	hr_db_close(db);
	free(tested);
	return rc;
}
