/* outside.c — version-row changes hrd did not make, noticed and recorded,
 * and the credit the history's upgrades keep after them (outside.h). */
#include "outside.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

/* The space-separated ids of text, sorted; -1 when out of memory. */
static int split_rows(const char *text, hr_strlist *out)
{
	if (hr_strlist_split(out, text) < 0)
		return -1;
	hr_strlist_sort(out);
	return 0;
}

/* Append the outside row for going from `from` to `to`, and commit. */
static int record(hr_db *db, const hr_strlist *from, const hr_strlist *to,
		  hr_error *err)
{
	char *from_text = hr_strlist_join(from), *to_text = hr_strlist_join(to);
	hr_history_entry e = {
		.direction = HR_OUTSIDE_DIRECTION,
		.message = "alembic_version changed outside hrd",
		.peer_uid = -1,
	};
	int rc;

	if (from_text == NULL || to_text == NULL) {
		rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	} else {
		/* The revision column names where the database went. */
		e.revision = to_text;
		e.from_revisions = from_text;
		e.to_revisions = to_text;
		rc = hr_db_history_append(db, &e, err);
		if (rc == 0)
			rc = hr_db_commit(db, err);
		if (rc == 0)
			hr_log(HR_LOG_INFO,
			       "alembic_version changed outside hrd: from '%s' "
			       "to '%s'; recorded in " HR_HISTORY_TABLE,
			       from_text, to_text);
	}
	free(from_text);
	free(to_text);
	return rc;
}

/* Read alembic_version's rows into now and the newest history row's
 * to_revisions into known, in whatever transaction db is in (none: each
 * read on its own). */
static int read_both(hr_db *db, hr_strlist *now, hr_strlist *known,
		     hr_error *err)
{
	hr_rows last = {0};
	int rc;

	hr_strlist_free(now);
	hr_strlist_free(known);
	rc = hr_db_read_versions(db, now, err);
	if (rc == 0)
		rc = hr_db_history_rows(db, HR_HISTORY_LAST, &last, err);
	if (rc == 0 && split_rows(hr_rows_get(&last, 0, 3), known) < 0)
		rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	hr_rows_free(&last);
	return rc;
}

int hr_outside_notice(hr_db *db, int *noticed, hr_error *err)
{
	hr_strlist now = {0}, known = {0};
	int rc;

	if (noticed != NULL)
		*noticed = 0;
	/* A look first, without a transaction: nothing moved is the common
	 * case, and it must not wait for SQLite's write lock (an upgrade
	 * plans, and says so, before it waits for the lock at its first
	 * step). */
	rc = read_both(db, &now, &known, err);
	if (rc < 0 || hr_strlist_equal(&now, &known))
		goto out;
	/* Something moved: read again and write in one transaction
	 * (SQLite: under the write lock), so a change that lands meanwhile
	 * is noticed next time, not lost between the read and the row. */
	rc = hr_db_begin(db, err);
	if (rc < 0)
		goto out;
	rc = read_both(db, &now, &known, err);
	if (rc == 0 && !hr_strlist_equal(&now, &known)) {
		rc = hr_db_ensure_tables(db, err);
		if (rc == 0)
			rc = record(db, &known, &now, err);
		if (rc == 0 && noticed != NULL)
			*noticed = 1;
	} else if (rc == 0) {
		rc = hr_db_commit(db, err);
	}
	if (rc < 0)
		hr_db_rollback(db);
out:
	hr_strlist_free(&now);
	hr_strlist_free(&known);
	return rc;
}

/* Whether rows (version rows) apply revision id, as map reads them. */
static int applied_by(const hr_revmap *map, const char *id,
		      const hr_strlist *rows)
{
	const hr_migration *m = map ? hr_revmap_get(map, id) : NULL;

	for (size_t i = 0; i < rows->n; i++) {
		const hr_migration *row;

		if (strcmp(rows->items[i], id) == 0)
			return 1;
		row = m ? hr_revmap_get(map, rows->items[i]) : NULL;
		if (row != NULL && hr_revmap_is_ancestor(map, m, row))
			return 1;
	}
	return 0;
}

/* Drop revs->items[i] and its sum (order is not kept). */
static void drop_credit(hr_strlist *revs, hr_strlist *sums, size_t i)
{
	free(revs->items[i]);
	free(sums->items[i]);
	revs->items[i] = revs->items[--revs->n];
	sums->items[i] = sums->items[--sums->n];
}

/* An upgrade's credit: set (replacing an older one) or added. */
static int give_credit(hr_strlist *revs, hr_strlist *sums, const char *rev,
		       const char *sum)
{
	size_t i = hr_strlist_find(revs, rev);
	char *copy;

	if (i == revs->n)
		return hr_strlist_push(revs, rev) < 0 ||
				       hr_strlist_push(sums, sum) < 0
			       ? -1
			       : 0;
	if ((copy = strdup(sum)) == NULL)
		return -1;
	free(sums->items[i]);
	sums->items[i] = copy;
	return 0;
}

/* The credits an outside change from `from` to `to` leaves standing. */
static void outside_change(const hr_revmap *map, hr_strlist *revs,
			   hr_strlist *sums, const hr_strlist *from,
			   const hr_strlist *to)
{
	for (size_t i = revs->n; i-- > 0;)
		if (applied_by(map, revs->items[i], from) !=
		    applied_by(map, revs->items[i], to))
			drop_credit(revs, sums, i);
}

int hr_outside_credits(hr_db *db, const hr_revmap *map, hr_strlist *revs,
		       hr_strlist *sums, hr_error *err)
{
	hr_rows h = {0};
	int rc = hr_db_history_rows(db, HR_HISTORY_CREDITS, &h, err);

	for (size_t r = 0; rc == 0 && r < h.n_rows; r++) {
		const char *rev = hr_rows_get(&h, r, 0);
		const char *dir = hr_rows_get(&h, r, 1);
		const char *sum = hr_rows_get(&h, r, 4);
		hr_strlist from = {0}, to = {0};
		size_t i;

		if (rev == NULL || dir == NULL)
			continue;
		if (strcmp(dir, "upgrade") == 0 && sum != NULL) {
			if (give_credit(revs, sums, rev, sum) < 0)
				rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED,
						  "out of memory");
		} else if (strcmp(dir, "downgrade") == 0) {
			if ((i = hr_strlist_find(revs, rev)) < revs->n)
				drop_credit(revs, sums, i);
		} else if (strcmp(dir, HR_OUTSIDE_DIRECTION) == 0) {
			if (split_rows(hr_rows_get(&h, r, 2), &from) < 0 ||
			    split_rows(hr_rows_get(&h, r, 3), &to) < 0)
				rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED,
						  "out of memory");
			else
				outside_change(map, revs, sums, &from, &to);
		}
		hr_strlist_free(&from);
		hr_strlist_free(&to);
	}
	hr_rows_free(&h);
	return rc;
}
