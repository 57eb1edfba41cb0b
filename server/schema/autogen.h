/*
 * autogen.h — the models against the migrations, per dialect: what
 * differs (check), the SQL that closes the gap, proved on scratch
 * databases before anyone sees it (revision --autogenerate), and a live
 * database against what its recorded revision should look like (drift).
 *
 * Everything runs on scratch databases (hr_db_open_scratch) of the
 * dialect asked for: the migrations replayed to their heads in one,
 * the models built in another, both read back through the catalog and
 * compared as structure. Nothing here touches the live database except
 * hr_autogen_drift's catalog read. Runs on a worker thread: PostgreSQL
 * scratch databases wait on the network.
 */
#ifndef HR_AUTOGEN_H
#define HR_AUTOGEN_H

#include "db.h"
#include "diff.h"
#include "models.h"
#include "revmap.h"

/* What one dialect's comparison found and, when rendered, produced. */
typedef struct hr_autogen_result {
	const char *dialect; /* "sqlite" or "postgresql" */
	hr_strlist detected; /* "Detected added table 'cables'", ... */
	char *upgrade;       /* the SQL, when rendered ("" when none) */
	char *downgrade;
	hr_render_notes notes; /* review lines, foreign_keys_off */
} hr_autogen_result;

void hr_autogen_result_free(hr_autogen_result *r);

/*
 * Compare the models with the migrations replayed to every head on a
 * scratch database of url's dialect; fill r->detected. With render, also
 * produce the upgrade and downgrade SQL and prove them on the scratch
 * database: upgrade(heads) must read back equal to the models, and
 * downgrade(upgrade(heads)) equal to heads; otherwise nothing is
 * returned and err (FAILED_PRECONDITION) says what still differs.
 * Errors in the models are INVALID_ARGUMENT "FILE:LINE: why"; a
 * migration that fails to replay names its revision.
 */
int hr_autogen_compare(const hr_revmap *map, const hr_models *models,
		       const hr_dburl *url, int render, hr_autogen_result *r,
		       hr_error *err);

/*
 * Drift: compare db (the live database, at version rows `rows`) with
 * the migrations replayed to those rows on a scratch database of its
 * dialect; r->detected lists what someone changed by hand (the live
 * database is the "to" side: "Detected added table 'x'" is a table
 * nobody migrated).
 */
int hr_autogen_drift(const hr_revmap *map, hr_db *db, const hr_dburl *url,
		     const hr_strlist *rows, hr_autogen_result *r,
		     hr_error *err);

/*
 * The body of a migration file for results r[0..n) (one per dialect):
 * review comments, then `-- +upgrade DIALECT` / `-- +downgrade DIALECT`
 * sections. A dialect in `unreached` (n_unreached names with a reason
 * each) gets sections that refuse to run, saying so, so that nothing is
 * silently skipped. NULL when out of memory.
 */
char *hr_autogen_body(const hr_autogen_result *r, size_t n,
		      const char *const *unreached, const char *const *why,
		      size_t n_unreached);

#endif
