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
extern const hr_method hr_method_show;
extern const hr_method hr_method_verify;
extern const hr_method hr_method_script;
extern const hr_method hr_method_revision;
extern const hr_method hr_method_merge;
extern const hr_method hr_method_models;
extern const hr_method hr_method_check;
extern const hr_method hr_method_health_check;
extern const hr_method hr_method_health_watch;
extern const hr_method hr_method_reflection_v1;
extern const hr_method hr_method_reflection_v1alpha;
extern const hr_method hr_method_test;
extern const hr_method hr_method_restore;

/* The features' state, set up by hr_methods_init (table.c): each
 * subscribes to the server's events with its own. */
int hr_watch_init(hr_server *server, hr_error *err);
int hr_current_init(hr_server *server, hr_error *err);
int hr_models_state_init(hr_server *server, hr_error *err);

/* Told each schema state a follower is owed (watch.c's slow-reader
 * rules apply: only the latest state, once the peer has drained); *told
 * is the follower's to keep between states (-1 at first). */
typedef void (*hr_watch_tell_fn)(hr_call *call,
				 const Homerack__V1__SchemaState *st,
				 int *told);
/*
 * Make call a watcher of the schema state (watch.c), as Watch is: it is
 * told the state now and at every change, through tell (NULL: sent as a
 * SchemaState), with target_reached computed for target ("" none), until
 * the client cancels or hrd shuts down. call->data is watch.c's.
 */
void hr_watch_follow(hr_call *call, const char *target, hr_watch_tell_fn tell);
/* The rows the version table holds at every head, sorted (empty without
 * a map): the `heads` target as the engine resolves it. */
void hr_watch_map_heads(const hr_revmap *map, hr_strlist *out);

/* The models' lifetime in hrd (models_state.c). */
typedef struct hr_models_state {
	hr_server *server;
	struct hr_models *models; /* NULL when they failed to load */
	hr_error error;           /* why, then */
	uint64_t generation;      /* bumped by every successful (re)load */
	uv_fs_event_t watch;      /* the models directory */
	uv_timer_t timer;         /* debounces its events */
} hr_models_state;

/* The server's models state (never NULL once hrd has started). */
hr_models_state *hr_models_state_of(const hr_server *server);

/*
 * Describe migration m of map in r (initialised by the caller). r's
 * strings and arrays point into m and map: no allocation, nothing to
 * free.
 */
void hr_revinfo_fill(Homerack__V1__Revision *r, const hr_revmap *map,
		     const hr_migration *m);

/* migs described (hr_revinfo_fill) in one allocation of n pointers and
 * their messages; free() it. NULL when out of memory. */
Homerack__V1__Revision **hr_revinfo_array(const hr_revmap *map,
					   const hr_migration *const *migs,
					   size_t n);

/* Answer call with a HistoryReply describing migs (of the server's map),
 * marking those among rows (may be NULL) as current, and finish it. */
void hr_revinfo_reply(hr_call *call, const hr_migration *const *migs,
		      size_t n, const hr_strlist *rows);

/* Finish call with FAILED_PRECONDITION when the migrations did not load;
 * returns 1 then, 0 when the map is usable. */
int hr_method_need_map(hr_call *call);

/* The models for call, referenced (hr_models_unref it); NULL after
 * finishing call with FAILED_PRECONDITION when they did not load or
 * the models directory does not exist. */
struct hr_models *hr_method_need_models(hr_call *call);

/* Queue an Upgrade or Downgrade for call (migrate.c). */
void hr_migrate_start(hr_call *call, const Homerack__V1__MigrateRequest *req,
		      hr_direction dir);

/* Worker thread: send the job's client a MigrationEvent NOTE (a line
 * hrctl prints as it is) — printf-style. */
void hr_migrate_note(hr_job *job, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Worker thread, with the schema lock held: run plan (built from the
 * version rows `rows`) as a rehearsal, reporting its steps through
 * hooks, and leave the database as it was (rehearse.c). SQLite: on a
 * temporary copy taken with the backup API (one transaction for the
 * whole plan with single); PostgreSQL: every step in one transaction,
 * rolled back. 0 when every step worked (a NOTE says so, with the
 * time), else err.
 */
struct hr_runner_hooks;
int hr_rehearse(hr_job *job, hr_db *db, const hr_plan *plan,
		const hr_strlist *rows, const struct hr_runner_hooks *hooks,
		int single, hr_error *err);

/*
 * Worker thread, with the schema lock held (fromhistory.c): go down
 * from the version rows no migration file knows with the downgrade SQL
 * the history table recorded, toward target ("-N": N steps; any other
 * target: until every row is known). The SQL is sent as NOTE events
 * first; without confirm nothing runs and the call fails saying how to
 * confirm. `rows` follows the committed steps (*done of them). *left
 * is what an ordinary downgrade still has to do: for "-N", the steps
 * left (0: none); SIZE_MAX for any other target (plan to it).
 */
int hr_from_history(hr_job *job, hr_db *db, hr_strlist *rows,
		    const char *target, int confirm, size_t *left,
		    size_t *done, hr_error *err);

/* Worker thread: take the schema lock (db.h) for job, waiting no longer
 * than its call's deadline and not after a cancel. */
int hr_method_lock_schema(hr_job *job, hr_db *db, hr_error *err);

/* Worker thread, after a failure: where the database is, into buf — its
 * rows as read now, else `known` (may be NULL); -1 when neither. */
int hr_method_where(hr_db *db, const hr_strlist *known, char *buf,
		    size_t size);

/* The rows joined with ", ", or "<base>" for none; into buf. */
void hr_versions_describe(const hr_strlist *rows, char *buf, size_t size);

/* Most list entries a request may carry (targets, labels, ...): more is
 * a mistake, and would only make the checks quadratic. */
#define HR_METHOD_LIST_MAX 256

/* Finish call with INVALID_ARGUMENT when a list has more than
 * HR_METHOD_LIST_MAX entries; returns 1 then. */
int hr_method_list_too_long(hr_call *call, const char *what, size_t n);

/* A new revision for Revision and Merge (revision.c): checked against
 * the map, written into the migrations directory, loaded, and described
 * in call's reply. */
typedef struct hr_new_revision {
	const char *message;
	const char *rev_id; /* "" or NULL: a fresh one */
	const hr_migration *const *parents;
	size_t n_parents;
	char **labels;
	size_t n_labels;
	char **depends_on; /* targets or branch labels */
	size_t n_depends_on;
	int foreign_keys_off; /* the header's `foreign_keys: off` */
	const char *body;     /* after the header; NULL: empty sections */
} hr_new_revision;
void hr_revision_create(hr_call *call, const hr_new_revision *nr);
/* The part of hr_revision_create that checks, writes and loads the new
 * revision (loop thread); *made is it in the reloaded map. */
int hr_revision_write(hr_server *server, const hr_new_revision *nr,
		      const hr_migration **made, hr_error *err);

/* Revision with autogenerate (autogenerate.c): queue the comparison of
 * the models with the migrations, then write nr with the SQL found. */
void hr_autogenerate_start(hr_call *call,
			   const Homerack__V1__RevisionRequest *req,
			   const hr_new_revision *nr);

/* Parse a --dev-database URL into *out (hr_dburl_free it, also on
 * failure): a postgresql:// URL, or an error naming what it was
 * instead, its password redacted (autogenerate.c). */
int hr_method_dev_database(const char *url, hr_dburl *out, hr_error *err);

#endif
