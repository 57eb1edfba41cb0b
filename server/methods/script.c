/*
 * script.c — Script: offline mode. The SQL an upgrade, downgrade or stamp
 * would run, streamed as text and never run: for a DBA to review, or to
 * run by hand where hrd cannot reach the database.
 *
 * The plan is made from START (given, not read: the database is never
 * touched) and carried out by the same runner code as online, on a
 * script handle (db.h) that writes each statement out in the database's
 * dialect instead of running it. So the text is what hrd would run:
 * BEGIN/COMMIT around each migration, its SQL sections, the
 * alembic_version changes and the history row.
 *
 * One ScriptChunk per transaction block; everything happens on the loop
 * (no I/O: the files are in the map already).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "methods.h"
#include "runner.h"
#include "rpcnames.h"

typedef struct script_out {
	hr_call *call;
	hr_db *db;
	int sent; /* chunks sent so far */
	int failed;
} script_out;

/* Send what the script handle holds as one chunk (nothing when empty). */
static void flush(script_out *so)
{
	Homerack__V1__ScriptChunk chunk = HOMERACK__V1__SCRIPT_CHUNK__INIT;
	char *sql = hr_db_script_take(so->db);

	if (sql == NULL) {
		so->failed = 1;
		return;
	}
	if (sql[0] != '\0') {
		chunk.sql = sql;
		if (so->sent++ == 0)
			chunk.dialect = (char *)hr_db_dialect(so->db);
		hr_call_send(so->call, &chunk.base);
	}
	free(sql);
}

/* "-- Running upgrade a, b -> c, message", as hrctl prints steps. */
static void step_comment(script_out *so, const char *what,
			 char *const *from, size_t n_from, char *const *to,
			 size_t n_to, const char *message)
{
	char line[HR_ERROR_MSG_MAX];
	size_t used;

	used = (size_t)snprintf(line, sizeof line, "\n-- Running %s ", what);
	for (size_t i = 0; i < n_from && used < sizeof line; i++)
		used += (size_t)snprintf(line + used, sizeof line - used,
					 "%s%s", i ? ", " : "", from[i]);
	if (used < sizeof line)
		used += (size_t)snprintf(line + used, sizeof line - used,
					 " -> ");
	for (size_t i = 0; i < n_to && used < sizeof line; i++)
		used += (size_t)snprintf(line + used, sizeof line - used,
					 "%s%s", i ? ", " : "", to[i]);
	if (used < sizeof line && message != NULL)
		used += (size_t)snprintf(line + used, sizeof line - used,
					 ", %s", message);
	if (used < sizeof line)
		snprintf(line + used, sizeof line - used, "\n\n");
	else
		memcpy(line + sizeof line - 3, "\n\n", 3);
	if (hr_db_script_append(so->db, line, NULL) < 0)
		so->failed = 1;
}

static void hook_started(void *ud, size_t index, const hr_plan_step *s)
{
	script_out *so = ud;
	const hr_migration *m = s->migration;
	char *self[1] = {(char *)m->revision};

	(void)index;
	flush(so);
	if (s->direction == HR_UPGRADE)
		step_comment(so, "upgrade", m->down_revisions,
			     m->n_down_revisions, self, 1, m->message);
	else
		step_comment(so, "downgrade", self, 1, m->down_revisions,
			     m->n_down_revisions, m->message);
}

/* Split "[START:]END" into its parts (START "" when absent). */
static int split_range(const char *text, char *start, char *end, size_t cap,
		       hr_error *err)
{
	const char *colon = strchr(text, ':');

	if (colon != NULL && strchr(colon + 1, ':') != NULL)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "'%.64s' has more than one ':' (want "
				    "[START:]END)",
				    text);
	if (strlen(text) >= cap)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "revision range '%.64s...' is too long",
				    text);
	if (colon == NULL) {
		start[0] = '\0';
		snprintf(end, cap, "%s", text);
	} else {
		snprintf(start, cap, "%.*s", (int)(colon - text), text);
		snprintf(end, cap, "%s", colon + 1);
	}
	return 0;
}

/* START resolved into the rows the script starts from. */
static int start_rows(const hr_revmap *map, const char *start,
		      hr_strlist *rows, hr_error *err)
{
	const hr_migration **named = NULL;
	size_t n = 0;
	int rc;

	if (start[0] == '\0')
		return 0;
	rc = hr_plan_resolve(map, NULL, 0, 0, start, &named, &n, err);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (hr_strlist_push(rows, named[i]->revision) < 0)
			rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED,
					  "out of memory");
	free(named);
	return rc;
}

/* The stamp targets' ENDs and their one START. */
static int stamp_targets(const Homerack__V1__ScriptRequest *req,
			 hr_strlist *ends, char *start, hr_error *err)
{
	char s[128], e[128];
	int rc = 0;

	start[0] = '\0';
	for (size_t i = 0; rc == 0 && i < req->n_targets; i++) {
		rc = split_range(req->targets[i], s, e, sizeof s, err);
		if (rc == 0 && s[0] != '\0' && start[0] != '\0' &&
		    strcmp(s, start) != 0)
			rc = hr_error_set(err, HR_INVALID_ARGUMENT,
					  "stamp --sql takes one START for all "
					  "its targets ('%s' and '%s')",
					  start, s);
		if (rc == 0 && s[0] != '\0')
			snprintf(start, 128, "%s", s);
		if (rc == 0 && hr_strlist_push(ends, e) < 0)
			rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED,
					  "out of memory");
	}
	return rc;
}

/* Write the whole script to so; err on failure. */
static int write_script(script_out *so, const hr_revmap *map,
			const Homerack__V1__ScriptRequest *req, hr_error *err)
{
	hr_runner_hooks hooks = {.ud = so, .started = hook_started};
	hr_strlist rows = {0}, ends = {0};
	char start[128], end[128], *what;
	hr_plan plan = {0};
	size_t done = 0;
	int rc;

	if (req->command == HOMERACK__V1__SCRIPT_REQUEST__COMMAND__COMMAND_STAMP)
		rc = stamp_targets(req, &ends, start, err);
	else if (req->n_targets != 1)
		rc = hr_error_set(err, HR_INVALID_ARGUMENT,
				  "--sql takes one revision range, not %zu",
				  req->n_targets);
	else
		rc = split_range(req->targets[0], start, end, sizeof start,
				 err);
	if (rc == 0 &&
	    req->command ==
		    HOMERACK__V1__SCRIPT_REQUEST__COMMAND__COMMAND_DOWNGRADE &&
	    start[0] == '\0')
		rc = hr_error_set(err, HR_INVALID_ARGUMENT,
				  "downgrade --sql needs START:END: offline "
				  "mode does not read the database's "
				  "revision");
	if (rc == 0)
		rc = start_rows(map, start, &rows, err);
	if (rc < 0)
		goto out;
	switch (req->command) {
	case HOMERACK__V1__SCRIPT_REQUEST__COMMAND__COMMAND_UPGRADE:
	case HOMERACK__V1__SCRIPT_REQUEST__COMMAND__COMMAND_DOWNGRADE:
		rc = hr_plan_build(map,
				   req->command == HOMERACK__V1__SCRIPT_REQUEST__COMMAND__COMMAND_UPGRADE
					   ? HR_UPGRADE
					   : HR_DOWNGRADE,
				   (const char *const *)rows.items, rows.n, end,
				   &plan, err);
		if (rc == 0)
			rc = hr_runner_apply(so->db, &plan, &rows, &hooks, -1,
					     &done, err);
		if (rc == 0 && plan.n_steps == 0)
			rc = hr_db_script_append(
				so->db, "-- nothing to run: that revision is "
					"already applied\n",
				err);
		break;
	case HOMERACK__V1__SCRIPT_REQUEST__COMMAND__COMMAND_STAMP:
		rc = hr_plan_stamp(map, (const char *const *)rows.items,
				   rows.n, (const char *const *)ends.items,
				   ends.n, req->purge, &plan, err);
		if (rc == 0)
			step_comment(so, "stamp_revision", rows.items, rows.n,
				     (char *const *)plan.final_heads,
				     plan.n_final_heads, NULL);
		what = rc == 0 ? hr_strlist_join(&ends) : NULL;
		if (rc == 0 && what == NULL)
			rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED,
					  "out of memory");
		if (rc == 0)
			rc = hr_runner_stamp(so->db, &plan, &rows, what, -1,
					     err);
		free(what);
		break;
	default:
		rc = hr_error_set(err, HR_INVALID_ARGUMENT,
				  "unknown script command %d",
				  (int)req->command);
	}
out:
	hr_plan_free(&plan);
	hr_strlist_free(&rows);
	hr_strlist_free(&ends);
	return rc;
}

static void script_start(hr_call *call, const ProtobufCMessage *request)
{
	const Homerack__V1__ScriptRequest *req =
		(const Homerack__V1__ScriptRequest *)request;
	script_out so = {.call = call};
	hr_error err;
	int rc;

	if (hr_method_need_map(call) ||
	    hr_method_list_too_long(call, "targets", req->n_targets))
		return;
	if (req->n_targets == 0) {
		hr_call_finish(call, HR_INVALID_ARGUMENT,
			       "--sql needs a target revision (e.g. head)");
		return;
	}
	rc = hr_db_open_script(call->server->reader, &so.db, &err);
	if (rc == 0)
		rc = write_script(&so, call->server->map, req, &err);
	if (rc == 0)
		flush(&so);
	if (rc == 0 && so.failed)
		rc = hr_error_set(&err, HR_RESOURCE_EXHAUSTED, "out of memory");
	hr_db_close(so.db);
	if (rc < 0)
		hr_call_finish(call, err.code, "%s", err.msg);
	else
		hr_call_finish(call, HR_OK, "%s", "");
}

const hr_method hr_method_script = {
	.path = HR_RPC_SCRIPT,
	.kind = HR_SERVER_STREAM,
	.request_type = &homerack__v1__script_request__descriptor,
	.start = script_start,
};
