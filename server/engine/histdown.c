/* histdown.c — downgrades from recorded SQL (histdown.h). */
#include "histdown.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"

#define HEADER_TRANSACTIONAL "-- transactional: false\n"
#define HEADER_FOREIGN_KEYS "-- foreign_keys: off\n"

/* Steps past which a walk is surely going round in circles. */
#define HISTDOWN_MAX_STEPS 100000

char *hr_histdown_record(const hr_migration *m, const char *dialect)
{
	hr_buf b = {0};

	if (!m->transactional)
		hr_buf_printf(&b, "%s", HEADER_TRANSACTIONAL);
	if (m->foreign_keys_off)
		hr_buf_printf(&b, "%s", HEADER_FOREIGN_KEYS);
	for (size_t i = 0; i < m->n_sections; i++) {
		const hr_sql_section *s = &m->sections[i];

		if (hr_section_applies(s, HR_DOWNGRADE, dialect))
			hr_buf_printf(&b, "%s\n", s->sql);
	}
	return hr_buf_take(&b);
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void hr_histdown_free(hr_histdown *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->steps[i].revision);
		free(h->steps[i].sql);
		free(h->steps[i].applied_at);
		hr_strlist_free(&h->steps[i].restore);
	}
	free(h->steps);
	*h = (hr_histdown){0};
}

/* The first row map does not know, or NULL. */
static const char *unknown_row(const hr_revmap *map, const hr_strlist *rows)
{
	for (size_t i = 0; i < rows->n; i++)
		if (hr_revmap_get(map, rows->items[i]) == NULL)
			return rows->items[i];
	return NULL;
}

/* One step down from revision: its record, and the rows it restores. */
static int plan_step(hr_db *db, const char *revision, hr_histdown_step *st,
		     hr_error *err)
{
	hr_strlist before = {0}, after = {0};
	char *from = NULL, *to = NULL;
	int rc;

	*st = (hr_histdown_step){.transactional = 1};
	rc = hr_db_history_downgrade(db, revision, &st->sql, &from, &to,
				     &st->applied_at, err);
	if (rc < 0)
		return rc;
	if ((st->revision = strdup(revision)) == NULL ||
	    hr_strlist_split(&before, from) < 0 || hr_strlist_split(&after, to) < 0)
		rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	/* What that upgrade took away is what going down puts back. */
	for (size_t i = 0; rc == 0 && i < before.n; i++)
		if (!hr_strlist_has(&after, before.items[i]) &&
		    hr_strlist_push(&st->restore, before.items[i]) < 0)
			rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED,
					  "out of memory");
	for (const char *p = st->sql;;) {
		if (strncmp(p, HEADER_TRANSACTIONAL,
			    strlen(HEADER_TRANSACTIONAL)) == 0) {
			st->transactional = 0;
			p += strlen(HEADER_TRANSACTIONAL);
		} else if (strncmp(p, HEADER_FOREIGN_KEYS,
				   strlen(HEADER_FOREIGN_KEYS)) == 0) {
			st->foreign_keys_off = 1;
			p += strlen(HEADER_FOREIGN_KEYS);
		} else {
			break;
		}
	}
	hr_strlist_free(&before);
	hr_strlist_free(&after);
	free(from);
	free(to);
	return rc;
}

int hr_histdown_plan(hr_db *db, const hr_revmap *map, const hr_strlist *rows,
		     size_t max_steps, hr_histdown *out, hr_error *err)
{
	hr_strlist sim = {0};
	const char *rev;
	size_t cap = 0;
	int rc = 0;

	*out = (hr_histdown){0};
	for (size_t i = 0; i < rows->n && rc == 0; i++)
		if (hr_strlist_push(&sim, rows->items[i]) < 0)
			rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED,
					  "out of memory");
	while (rc == 0 && out->n < max_steps &&
	       (rev = unknown_row(map, &sim)) != NULL) {
		hr_histdown_step *st;

		if (out->n == HISTDOWN_MAX_STEPS) {
			rc = hr_error_set(err, HR_FAILED_PRECONDITION,
					  "the recorded history does not lead "
					  "back to a known revision");
			break;
		}
		if (out->n == cap) {
			size_t ncap = cap ? 2 * cap : 8;
			hr_histdown_step *steps =
				realloc(out->steps, ncap * sizeof *steps);

			if (steps == NULL) {
				rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED,
						  "out of memory");
				break;
			}
			out->steps = steps;
			cap = ncap;
		}
		st = &out->steps[out->n];
		rc = plan_step(db, rev, st, err);
		out->n++; /* freed with the rest, even half made */
		if (rc < 0)
			break;
		hr_strlist_remove(&sim, st->revision);
		for (size_t i = 0; i < st->restore.n && rc == 0; i++)
			if (!hr_strlist_has(&sim, st->restore.items[i]) &&
			    hr_strlist_push(&sim, st->restore.items[i]) < 0)
				rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED,
						  "out of memory");
	}
	hr_strlist_free(&sim);
	if (rc < 0)
		hr_histdown_free(out);
	return rc;
}

/* The version rows of step s: its row replaced by those it restores. */
static int version_ops(hr_db *db, const hr_histdown_step *s,
		       const hr_strlist *rows, hr_error *err)
{
	int replaced = 0, rc = 0;

	for (size_t i = 0; i < s->restore.n && rc == 0; i++) {
		const char *r = s->restore.items[i];

		if (hr_strlist_has(rows, r))
			continue;
		if (!replaced) {
			rc = hr_db_version_update(db, s->revision, r, err);
			replaced = 1;
		} else {
			rc = hr_db_version_insert(db, r, err);
		}
	}
	if (rc == 0 && !replaced)
		rc = hr_db_version_delete(db, s->revision, err);
	return rc;
}

/* rows after step s, into after. */
static int rows_after(const hr_histdown_step *s, const hr_strlist *rows,
		      hr_strlist *after)
{
	*after = (hr_strlist){0};
	for (size_t i = 0; i < rows->n; i++)
		if (strcmp(rows->items[i], s->revision) != 0 &&
		    hr_strlist_push(after, rows->items[i]) < 0)
			return -1;
	for (size_t i = 0; i < s->restore.n; i++)
		if (!hr_strlist_has(after, s->restore.items[i]) &&
		    hr_strlist_push(after, s->restore.items[i]) < 0)
			return -1;
	hr_strlist_sort(after);
	return 0;
}

static int failed(const hr_histdown_step *s, int line, hr_error *err)
{
	hr_error why = *err;

	if (line > 0)
		return hr_error_set(err, why.code,
				    "downgrade failed at %s (recorded SQL, "
				    "line %d): %s",
				    s->revision, line, why.msg);
	return hr_error_set(err, why.code, "downgrade failed at %s: %s",
			    s->revision, why.msg);
}

/* One step, committed whole (the SQL first, on its own, when it was
 * recorded as not transactional). */
static int run_step(hr_db *db, const hr_histdown_step *s, hr_strlist *rows,
		    int64_t peer_uid, int64_t *duration_us, hr_error *err)
{
	int64_t start = now_us();
	hr_strlist after = {0};
	char *from = NULL, *to = NULL;
	int line = 0, rc;

	if (!s->transactional &&
	    (rc = hr_db_exec_script(db, s->sql, 1, &line, err)) < 0)
		return failed(s, line, err);
	if ((rc = hr_db_begin(db, err)) < 0)
		return failed(s, 0, err);
	line = 0;
	if (s->transactional &&
	    (rc = hr_db_exec_script(db, s->sql, 1, &line, err)) < 0)
		goto fail;
	line = 0;
	if ((rc = hr_db_reset_session(db, err)) < 0 ||
	    (rc = version_ops(db, s, rows, err)) < 0 ||
	    (rc = hr_db_check_foreign_keys(db, err)) < 0)
		goto fail;
	if (rows_after(s, rows, &after) < 0 ||
	    (from = hr_strlist_join(rows)) == NULL ||
	    (to = hr_strlist_join(&after)) == NULL) {
		rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
		goto fail;
	}
	*duration_us = now_us() - start;
	hr_history_entry e = {
		.revision = s->revision,
		.direction = "downgrade",
		.from_revisions = from,
		.to_revisions = to,
		.message = "from the downgrade SQL recorded in history (no "
			   "migration file)",
		.duration_us = *duration_us,
		.peer_uid = peer_uid,
	};
	if ((rc = hr_db_history_append(db, &e, err)) < 0 ||
	    (rc = hr_db_commit(db, err)) < 0)
		goto fail;
	hr_strlist_free(rows);
	*rows = after;
	free(from);
	free(to);
	return 0;
fail:
	hr_db_rollback(db);
	hr_strlist_free(&after);
	free(from);
	free(to);
	return failed(s, line, err);
}

int hr_histdown_apply(hr_db *db, const hr_histdown *h, hr_strlist *rows,
		      const hr_histdown_hooks *hooks, int64_t peer_uid,
		      size_t *done, hr_error *err)
{
	int rc = 0;

	*done = 0;
	for (size_t i = 0; i < h->n && rc == 0; i++) {
		const hr_histdown_step *s = &h->steps[i];
		int64_t duration = 0;
		hr_error cleanup;

		if (hooks->should_stop && hooks->should_stop(hooks->ud, err))
			return -(int)err->code;
		if (hooks->started)
			hooks->started(hooks->ud, i, s);
		if (s->foreign_keys_off && (rc = hr_db_foreign_keys(db, 0, err)) < 0)
			return failed(s, 0, err);
		rc = run_step(db, s, rows, peer_uid, &duration, err);
		if (s->foreign_keys_off && hr_db_foreign_keys(db, 1, &cleanup) < 0)
			hr_log(HR_LOG_WARN, "after %s: %s", s->revision,
			       cleanup.msg);
		if (hr_db_reset_session(db, &cleanup) < 0)
			hr_log(HR_LOG_WARN, "after %s: %s", s->revision,
			       cleanup.msg);
		if (rc < 0)
			return rc;
		++*done;
		if (hooks->finished)
			hooks->finished(hooks->ud, i, s, duration);
	}
	return rc;
}
