/* methods.h — the RPC methods (one file each) and what they share. */
#ifndef HR_METHODS_H
#define HR_METHODS_H

#include "plan.h"
#include "server.h"

extern const hr_method hr_method_current;
extern const hr_method hr_method_history;
extern const hr_method hr_method_upgrade;
extern const hr_method hr_method_downgrade;
extern const hr_method hr_method_stamp;
extern const hr_method hr_method_watch;

/*
 * Describe migration m of map in r (initialised by the caller). r's
 * strings and arrays point into m: no allocation, nothing to free.
 */
void hr_revinfo_fill(Homerack__V1__Revision *r, const hr_revmap *map,
		     const hr_migration *m);

/* Finish call with FAILED_PRECONDITION when the migrations did not load;
 * returns 1 then, 0 when the map is usable. */
int hr_method_need_map(hr_call *call);

/* Queue an Upgrade or Downgrade for call (migrate.c). */
void hr_migrate_start(hr_call *call, const char *target, hr_direction dir);

/* Worker thread: take the schema lock (db.h) for job, waiting no longer
 * than its call's deadline and not after a cancel. */
int hr_method_lock_schema(hr_job *job, hr_db *db, hr_error *err);

/* Worker thread, after a failure: where the database is, into buf — its
 * rows as read now, else `known` (may be NULL); -1 when neither. */
int hr_method_where(hr_db *db, const hr_strlist *known, char *buf,
		    size_t size);

/* The rows joined with ", ", or "<base>" for none; into buf. */
void hr_versions_describe(const hr_strlist *rows, char *buf, size_t size);

#endif
