/*
 * autogen.c — models against migrations on scratch databases (autogen.h).
 */
#include "autogen.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "plan.h"

void hr_autogen_result_free(hr_autogen_result *r)
{
	hr_strlist_free(&r->detected);
	free(r->upgrade);
	free(r->downgrade);
	hr_render_notes_free(&r->notes);
	*r = (hr_autogen_result){0};
}

/* ------------------------------------------------------------------ */
/* Replaying migrations                                                */
/* ------------------------------------------------------------------ */

/* Run the upgrade sections of plan's steps on db (no version rows: a
 * scratch database only needs the schema they make). */
static int run_steps(hr_db *db, const hr_plan *plan, hr_error *err)
{
	const char *dialect = hr_db_dialect(db);

	for (size_t i = 0; i < plan->n_steps; i++) {
		const hr_migration *m = plan->steps[i].migration;

		for (size_t k = 0; k < m->n_sections; k++) {
			const hr_sql_section *s = &m->sections[k];
			int line = 0, rc;

			if (!hr_section_applies(s, HR_UPGRADE, dialect))
				continue;
			rc = hr_db_exec_script(db, s->sql, s->first_line, &line,
					       err);
			if (rc < 0) {
				hr_error why = *err;

				return hr_error_set(
					err, HR_FAILED_PRECONDITION,
					"replaying %s on a scratch database "
					"failed (%s:%d): %s",
					m->revision, m->path, line, why.msg);
			}
		}
	}
	return 0;
}

/*
 * Replay the migrations on db up to `rows` (NULL: every head), in one
 * transaction, and read the resulting schema into *out.
 */
static int replay(const hr_revmap *map, hr_db *db, const hr_strlist *rows,
		  hr_schema *out, hr_error *err)
{
	hr_strlist at = {0};
	int rc = 0;

	*out = (hr_schema){0};
	if (hr_revmap_count(map) > 0 && (rc = hr_db_begin(db, err)) == 0) {
		size_t n_targets = rows ? rows->n : 1;

		for (size_t i = 0; rc == 0 && i < n_targets; i++) {
			hr_plan plan = {0};

			rc = hr_plan_build(map, HR_UPGRADE,
					   (const char *const *)at.items, at.n,
					   rows ? rows->items[i] : "heads",
					   &plan, err);
			if (rc == 0)
				rc = run_steps(db, &plan, err);
			hr_strlist_free(&at);
			for (size_t k = 0; rc == 0 && k < plan.n_final_heads;
			     k++)
				if (hr_strlist_push(&at,
						    plan.final_heads[k]) < 0)
					rc = hr_error_set(err,
							  HR_RESOURCE_EXHAUSTED,
							  "out of memory");
			hr_plan_free(&plan);
		}
		if (rc == 0)
			rc = hr_db_commit(db, err);
		if (rc < 0)
			hr_db_rollback(db);
	}
	hr_strlist_free(&at);
	if (rc == 0)
		rc = hr_catalog_read(db, out, err);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The heads' schema, kept                                             */
/* ------------------------------------------------------------------ */

/*
 * Replaying thousands of migrations takes seconds, and the schema it
 * yields depends only on the migrations: it is kept, for the content of
 * the migrations it came from (every revision id and file checksum, in
 * map order) and the database it was replayed on. A reload that changes
 * nothing, or an edit to the models, then costs no replay. One entry:
 * the map changes rarely, and every call replays for the current one.
 */
static struct {
	pthread_mutex_t lock;
	char *key; /* NULL: nothing kept */
	hr_schema heads;
} kept = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* What the heads' schema depends on, as one string (NULL: no memory). */
static char *heads_key(const hr_revmap *map, const hr_dburl *url)
{
	hr_buf b = {0};

	hr_buf_printf(&b, "%d %s\n", (int)url->kind,
		      url->kind == HR_DB_SQLITE ? "" : url->redacted);
	for (size_t i = 0; i < hr_revmap_count(map); i++) {
		const hr_migration *m = hr_revmap_at(map, i);

		hr_buf_printf(&b, "%s %s\n", m->revision, m->checksum);
	}
	return hr_buf_take(&b);
}

/* A copy of the kept heads for key into *out: 1, or 0 when not kept. */
static int kept_heads(const char *key, hr_schema *out)
{
	int hit;

	pthread_mutex_lock(&kept.lock);
	hit = kept.key != NULL && strcmp(kept.key, key) == 0 &&
	      hr_schema_copy(&kept.heads, out) == 0;
	pthread_mutex_unlock(&kept.lock);
	return hit;
}

/* Keep a copy of heads for key (nothing when out of memory). */
static void keep_heads(const char *key, const hr_schema *heads)
{
	hr_schema copy;
	char *k = strdup(key);

	if (k == NULL || hr_schema_copy(heads, &copy) < 0) {
		free(k);
		return;
	}
	pthread_mutex_lock(&kept.lock);
	free(kept.key);
	hr_schema_free(&kept.heads);
	kept.key = k;
	kept.heads = copy;
	pthread_mutex_unlock(&kept.lock);
}

/* The models built on a scratch database of url's dialect. */
static int build_models(const hr_models *models, const hr_dburl *url,
			hr_schema *out, hr_error *err)
{
	hr_db *db;
	int rc;

	*out = (hr_schema){0};
	if ((rc = hr_db_open_scratch(url, &db, err)) < 0)
		return rc;
	rc = hr_models_build(models, db, out, err);
	hr_db_close(db);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Rendering and proving                                               */
/* ------------------------------------------------------------------ */

static int render(const hr_diff *d, const hr_schema *from,
		  const hr_schema *to, hr_buf *sql, hr_render_notes *notes,
		  hr_error *err)
{
	if (strcmp(from->dialect, "postgresql") == 0)
		return hr_render_postgresql(d, from, to, sql, notes, err);
	return hr_render_sqlite(d, from, to, sql, notes, err);
}

/* 0 when `got` equals `want`; else FAILED_PRECONDITION saying what
 * still differs after `what`. */
static int must_equal(const hr_schema *got, const hr_schema *want,
		      const char *what, hr_error *err)
{
	hr_diff d = {0};
	hr_strlist lines = {0};
	char *joined;
	int rc = hr_schema_diff(got, want, &d, err);

	if (rc < 0 || hr_diff_empty(&d)) {
		hr_diff_free(&d);
		return rc;
	}
	hr_diff_describe(&d, &lines);
	hr_diff_free(&d);
	joined = hr_strlist_join(&lines);
	rc = hr_error_set(err, HR_FAILED_PRECONDITION,
			  "the generated %s SQL does not survive its proof: "
			  "%s, the scratch database still differs (%s); "
			  "nothing was written",
			  got->dialect, what, joined ? joined : "out of memory");
	free(joined);
	hr_strlist_free(&lines);
	return rc;
}

/* Run sql on db and read the schema back into *out. */
static int apply_and_read(hr_db *db, const char *sql, const char *what,
			  hr_schema *out, hr_error *err)
{
	int line = 0, rc;

	*out = (hr_schema){0};
	rc = hr_db_exec_script(db, sql, 1, &line, err);
	if (rc < 0) {
		hr_error why = *err;

		return hr_error_set(err, HR_FAILED_PRECONDITION,
				    "the generated %s SQL failed on a scratch "
				    "database (%s, line %d): %s; nothing was "
				    "written",
				    hr_db_dialect(db), what, line, why.msg);
	}
	return hr_catalog_read(db, out, err);
}

/*
 * Render heads -> models into r and prove it on db (heads replayed):
 * upgrade, compare with models; downgrade, compare with heads.
 */
static int render_and_prove(hr_db *db, const hr_diff *up,
			    const hr_schema *heads,
			    const hr_schema *models, hr_autogen_result *r,
			    hr_error *err)
{
	hr_buf usql = {0}, dsql = {0};
	hr_diff down = {0};
	hr_schema after = {0};
	int rc;

	rc = render(up, heads, models, &usql, &r->notes, err);
	/* The models' `renamed from` annotations, now on the from side,
	 * make the downgrade rename back (diff.h). */
	if (rc == 0)
		rc = hr_schema_diff(models, heads, &down, err);
	/* The downgrade's notes describe the downgrade, not the change
	 * under review: only the upgrade's go into the file. */
	if (rc == 0) {
		hr_render_notes ignored = {0};

		rc = render(&down, models, heads, &dsql, &ignored, err);
		r->notes.foreign_keys_off |= ignored.foreign_keys_off;
		hr_render_notes_free(&ignored);
	}
	if (rc == 0 && (usql.failed || dsql.failed))
		rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED,
				  "the generated SQL is too large");
	if (rc == 0 && (rc = hr_db_begin(db, err)) == 0) {
		rc = apply_and_read(db, hr_buf_str(&usql), "upgrade", &after,
				    err);
		if (rc == 0)
			rc = must_equal(&after, models,
					"after the upgrade from the heads", err);
		hr_schema_free(&after);
		if (rc == 0)
			rc = apply_and_read(db, hr_buf_str(&dsql), "downgrade",
					    &after, err);
		if (rc == 0)
			rc = must_equal(&after, heads,
					"after the upgrade and downgrade", err);
		hr_schema_free(&after);
		hr_db_rollback(db);
	}
	hr_diff_free(&down);
	if (rc == 0) {
		r->upgrade = hr_buf_take(&usql);
		r->downgrade = hr_buf_take(&dsql);
		if (r->upgrade == NULL || r->downgrade == NULL)
			rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED,
					  "out of memory");
	}
	hr_buf_free(&usql);
	hr_buf_free(&dsql);
	return rc;
}

int hr_autogen_compare(const hr_revmap *map, const hr_models *models,
		       const hr_dburl *url, int render_sql,
		       hr_autogen_result *r, hr_error *err)
{
	hr_schema heads = {0}, want = {0};
	hr_diff up = {0};
	hr_db *db = NULL;
	int rc;

	char *key = heads_key(map, url);

	*r = (hr_autogen_result){0};
	if (key == NULL)
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	rc = build_models(models, url, &want, err);
	/* A comparison can use the kept heads; rendering proves the SQL on
	 * a database holding them, so it replays (and keeps what it got). */
	if (rc == 0 && (render_sql || !kept_heads(key, &heads))) {
		rc = hr_db_open_scratch(url, &db, err);
		if (rc == 0)
			rc = replay(map, db, NULL, &heads, err);
		if (rc == 0)
			keep_heads(key, &heads);
	}
	free(key);
	if (rc == 0) {
		r->dialect = heads.dialect;
		rc = hr_schema_diff(&heads, &want, &up, err);
	}
	if (rc == 0 && hr_diff_describe(&up, &r->detected) < 0)
		rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	if (rc == 0 && render_sql)
		rc = render_and_prove(db, &up, &heads, &want, r, err);
	hr_diff_free(&up);
	hr_schema_free(&heads);
	hr_schema_free(&want);
	hr_db_close(db);
	if (rc < 0)
		hr_autogen_result_free(r);
	return rc;
}

int hr_autogen_drift(const hr_revmap *map, hr_db *db, const hr_dburl *url,
		     const hr_strlist *rows, hr_autogen_result *r,
		     hr_error *err)
{
	hr_schema recorded = {0}, live = {0};
	hr_diff d = {0};
	hr_db *scratch = NULL;
	int rc;

	*r = (hr_autogen_result){0};
	rc = hr_db_open_scratch(url, &scratch, err);
	if (rc == 0)
		rc = replay(map, scratch, rows, &recorded, err);
	if (rc == 0)
		rc = hr_catalog_read(db, &live, err);
	if (rc == 0) {
		r->dialect = live.dialect;
		rc = hr_schema_diff(&recorded, &live, &d, err);
	}
	if (rc == 0 && hr_diff_describe(&d, &r->detected) < 0)
		rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	hr_diff_free(&d);
	hr_schema_free(&recorded);
	hr_schema_free(&live);
	hr_db_close(scratch);
	if (rc < 0)
		hr_autogen_result_free(r);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The migration file's body                                           */
/* ------------------------------------------------------------------ */

/* SQL that refuses to run on a dialect autogenerate could not reach.
 * Only PostgreSQL can be out of reach: SQLite scratch databases are
 * in-process. */
static void put_refusal(hr_buf *b, const char *why)
{
	hr_buf_printf(b,
		      "-- NOT GENERATED: %s\n"
		      "DO $$ BEGIN RAISE EXCEPTION 'revision --autogenerate "
		      "could not reach PostgreSQL: write this section by "
		      "hand'; END $$;\n",
		      why);
}

char *hr_autogen_body(const hr_autogen_result *r, size_t n,
		      const char *const *unreached, const char *const *why,
		      size_t n_unreached)
{
	hr_buf b = {0};
	int any_review = 0;

	hr_buf_puts(&b, "\n-- Generated by hrctl revision --autogenerate from "
			"the models: review it before upgrading.\n");
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < r[i].notes.review.n; k++) {
			if (!any_review++)
				hr_buf_puts(&b, "--\n");
			hr_buf_printf(&b, "-- REVIEW (%s): %s\n", r[i].dialect,
				      r[i].notes.review.items[k]);
		}
	for (size_t i = 0; i < n_unreached; i++)
		hr_buf_printf(&b, "-- NOT GENERATED (%s): %s\n", unreached[i],
			      why[i]);
	for (size_t i = 0; i < n; i++)
		hr_buf_printf(&b, "\n-- +upgrade %s\n%s\n-- +downgrade %s\n%s",
			      r[i].dialect, r[i].upgrade, r[i].dialect,
			      r[i].downgrade);
	for (size_t i = 0; i < n_unreached; i++) {
		hr_buf_printf(&b, "\n-- +upgrade %s\n", unreached[i]);
		put_refusal(&b, why[i]);
		hr_buf_printf(&b, "\n-- +downgrade %s\n", unreached[i]);
		put_refusal(&b, why[i]);
	}
	return hr_buf_take(&b);
}
