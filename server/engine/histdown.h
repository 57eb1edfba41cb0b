/*
 * histdown.h — rollback without the file: going down from revisions no
 * migration file knows, with the downgrade SQL the history table
 * recorded when they were applied.
 *
 * Every upgrade step records, with its history row, the migration's
 * downgrade SQL for the dialect it ran on (hr_histdown_record). When an
 * older copy of the application (an older migrations/) meets a database
 * that is ahead of it, `hrctl downgrade --from-history` plans from those
 * records (hr_histdown_plan: each version row no file knows is undone
 * by its latest upgrade's recorded SQL, and replaced by the rows that
 * upgrade replaced) and runs them (hr_histdown_apply: one transaction
 * per step, as the runner does, with a history row of its own).
 */
#ifndef HR_HISTDOWN_H
#define HR_HISTDOWN_H

#include <stdint.h>

#include "db.h"
#include "revmap.h"
#include "strlist.h"

/*
 * What is recorded for migration m on dialect: its applicable downgrade
 * sections in file order, after header lines for what changes how it
 * runs ("-- transactional: false", "-- foreign_keys: off"). NULL when
 * out of memory.
 */
char *hr_histdown_record(const hr_migration *m, const char *dialect);

typedef struct hr_histdown_step {
	char *revision;
	char *sql;         /* as recorded, header lines included */
	char *applied_at;  /* when the upgrade that recorded it ran */
	hr_strlist restore; /* the version rows that take its place */
	int transactional;
	int foreign_keys_off;
} hr_histdown_step;

typedef struct hr_histdown {
	hr_histdown_step *steps;
	size_t n;
} hr_histdown;

void hr_histdown_free(hr_histdown *h);

/*
 * Plan going down from `rows` (the version rows) while a row names a
 * revision map does not know, at most max_steps steps: each from the
 * latest recorded upgrade of that revision. No step when every row is
 * known. -HR_NOT_FOUND naming the revision when one has no record.
 */
int hr_histdown_plan(hr_db *db, const hr_revmap *map, const hr_strlist *rows,
		     size_t max_steps, hr_histdown *out, hr_error *err);

typedef struct hr_histdown_hooks {
	void *ud;
	int (*should_stop)(void *ud, hr_error *err); /* may be NULL */
	void (*started)(void *ud, size_t index, const hr_histdown_step *s);
	void (*finished)(void *ud, size_t index, const hr_histdown_step *s,
			 int64_t duration_us);
} hr_histdown_hooks;

/*
 * Run h's steps on db in order, each in one transaction with its
 * version-row change and a history row (direction "downgrade", message
 * saying it ran from recorded SQL), as hr_runner_apply runs migrations;
 * `rows` follows the committed steps, *done counts them. Stops at the
 * first failure ("downgrade failed at REV (recorded SQL, line N): why").
 */
int hr_histdown_apply(hr_db *db, const hr_histdown *h, hr_strlist *rows,
		      const hr_histdown_hooks *hooks, int64_t peer_uid,
		      size_t *done, hr_error *err);

#endif
