/*
 * revision.c — Revision: write a new, empty migration file on the
 * current head (or --head REV, or a new base), as `alembic revision`
 * does, and load it. Also the part Merge shares: checking the new
 * revision against the map, writing the file, reloading.
 *
 * Only admins may call it (it changes what upgrade will run), but it
 * needs no database and does not wait for the writer: the file is new
 * (created exclusively) and the reload swaps the map on the loop, while
 * a migration in progress keeps the map it planned with (reload.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "methods.h"
#include "newrev.h"
#include "rpcnames.h"

/* Random ids are 48 bits: a collision with the map is next to
 * impossible, but a few retries cost nothing. */
#define FRESH_ID_TRIES 16

/* Whether name is taken in map: a revision id or a branch label. */
static int name_taken(const hr_revmap *map, const char *name,
		      hr_error *err, const char *what)
{
	const hr_migration *m = hr_revmap_get(map, name);

	if (m != NULL) {
		hr_error_set(err, HR_ALREADY_EXISTS,
			     "%s '%s' is already the revision id of %s", what,
			     name, m->path);
		return 1;
	}
	m = hr_revmap_labelled(map, name);
	if (m != NULL) {
		hr_error_set(err, HR_ALREADY_EXISTS,
			     "%s '%s' is already a branch label of %s (%s)",
			     what, name, m->revision, m->path);
		return 1;
	}
	return 0;
}

/* Whether name may be a new revision id or branch label (`what`). */
static int name_ok(const hr_revmap *map, const char *name, const char *what,
		   hr_error *err)
{
	size_t len = strlen(name), bad = strspn(name,
						"abcdefghijklmnopqrstuvwxyz"
						"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
						"0123456789_");

	if (len == 0) {
		hr_error_set(err, HR_INVALID_ARGUMENT, "empty %s", what);
		return 0;
	}
	if (bad < len) {
		hr_error_set(err, HR_INVALID_ARGUMENT,
			     "%s '%.64s' has the character '%c' (want "
			     "[A-Za-z0-9_]; '-', '+', '@', ':' and ',' "
			     "belong to the target grammar)",
			     what, name, name[bad] > ' ' && name[bad] < 0x7f
						  ? name[bad]
						  : '?');
		return 0;
	}
	if (len > HR_REVISION_MAX) {
		hr_error_set(err, HR_INVALID_ARGUMENT,
			     "%s '%.64s' is %zu characters long; "
			     "alembic_version.version_num is VARCHAR(%d)",
			     what, name, len, HR_REVISION_MAX);
		return 0;
	}
	if (hr_revision_name_reserved(name)) {
		hr_error_set(err, HR_INVALID_ARGUMENT,
			     "'%s' is a target keyword and cannot be a %s",
			     name, what);
		return 0;
	}
	return !name_taken(map, name, err, what);
}

/* The new revision's id: the one asked for, or a fresh one. */
static int choose_id(const hr_revmap *map, const char *wanted,
		     char id[HR_REVISION_MAX + 1], hr_error *err)
{
	if (wanted != NULL && wanted[0] != '\0') {
		if (!name_ok(map, wanted, "revision id", err))
			return -(int)err->code;
		snprintf(id, HR_REVISION_MAX + 1, "%s", wanted);
		return 0;
	}
	for (int i = 0; i < FRESH_ID_TRIES; i++) {
		int rc = hr_newrev_id(id, err);

		if (rc < 0)
			return rc;
		if (!name_taken(map, id, err, "revision id"))
			return 0;
	}
	return hr_error_set(err, HR_INTERNAL,
			    "no fresh revision id after %d tries",
			    FRESH_ID_TRIES);
}

/* Each depends_on entry as written into the file: a branch label stays
 * a label (as Alembic keeps it); a target becomes the ids it names. */
static int resolve_deps(const hr_revmap *map, char *const *deps, size_t n,
			hr_strlist *out, hr_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const hr_migration **named = NULL;
		size_t n_named = 0;
		int rc;

		if (hr_revmap_labelled(map, deps[i]) != NULL) {
			if (hr_strlist_push(out, deps[i]) < 0)
				return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
						    "out of memory");
			continue;
		}
		rc = hr_plan_resolve(map, NULL, 0, 0, deps[i], &named,
				     &n_named, err);
		if (rc == 0 && n_named == 0)
			rc = hr_error_set(err, HR_INVALID_ARGUMENT,
					  "--depends-on '%s' names no "
					  "revision",
					  deps[i]);
		for (size_t j = 0; rc == 0 && j < n_named; j++) {
			int dup = 0;

			for (size_t k = 0; k < out->n; k++)
				dup |= strcmp(out->items[k],
					      named[j]->revision) == 0;
			if (!dup && hr_strlist_push(out, named[j]->revision) < 0)
				rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED,
						  "out of memory");
		}
		free(named);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int hr_revision_write(hr_server *server, const hr_new_revision *nr,
		      const hr_migration **made, hr_error *err)
{
	const hr_revmap *map = server->map;
	char id[HR_REVISION_MAX + 1], date[32], *path = NULL;
	const char **parents = NULL;
	hr_strlist deps = {0};
	hr_newrev rev = {0};
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	if (!hr_newrev_message_ok(nr->message, err))
		return -(int)err->code;
	if ((rc = choose_id(map, nr->rev_id, id, err)) < 0)
		return rc;
	for (size_t i = 0; i < nr->n_labels; i++) {
		if (!name_ok(map, nr->labels[i], "branch label", err))
			return -(int)err->code;
		if (strcmp(nr->labels[i], id) == 0)
			return hr_error_set(err, HR_INVALID_ARGUMENT,
					    "branch label '%s' is the new "
					    "revision's own id",
					    id);
		for (size_t j = 0; j < i; j++)
			if (strcmp(nr->labels[i], nr->labels[j]) == 0)
				return hr_error_set(err, HR_INVALID_ARGUMENT,
						    "branch label '%s' is "
						    "given twice",
						    nr->labels[i]);
	}
	if ((rc = resolve_deps(map, nr->depends_on, nr->n_depends_on, &deps,
			       err)) < 0)
		goto out;
	parents = calloc(nr->n_parents + 1, sizeof *parents);
	if (parents == NULL) {
		rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nr->n_parents; i++)
		parents[i] = nr->parents[i]->revision;
	localtime_r(&now, &tm);
	strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
	rev = (hr_newrev){
		.revision = id,
		.parents = parents,
		.n_parents = nr->n_parents,
		.branch_labels = (const char *const *)nr->labels,
		.n_branch_labels = nr->n_labels,
		.depends_on = (const char *const *)deps.items,
		.n_depends_on = deps.n,
		.message = nr->message,
		.create_date = date,
		.foreign_keys_off = nr->foreign_keys_off,
		.body = nr->body,
	};
	rc = hr_newrev_write(server->cfg.migrations_dir, &rev, &path, err);
	if (rc < 0)
		goto out;
	/* The map as checked above plus one well-formed file loads, unless
	 * the directory changed meanwhile; then take the file back. */
	if ((rc = hr_server_reload(server, err)) < 0) {
		hr_error why = *err;

		unlink(path);
		rc = hr_error_set(err, HR_FAILED_PRECONDITION,
				  "%s was not added: the migrations directory "
				  "does not load: %s",
				  path, why.msg);
		goto out;
	}
	*made = hr_revmap_get(server->map, id);
	if (*made == NULL)
		rc = hr_error_set(err, HR_INTERNAL,
				  "%s is not in the reloaded map", path);
out:
	free(path);
	free(parents);
	hr_strlist_free(&deps);
	return rc;
}

void hr_revision_create(hr_call *call, const hr_new_revision *nr)
{
	Homerack__V1__RevisionReply reply = HOMERACK__V1__REVISION_REPLY__INIT;
	Homerack__V1__Revision rev = HOMERACK__V1__REVISION__INIT;
	const hr_migration *made = NULL;
	hr_error err;

	if (hr_revision_write(call->server, nr, &made, &err) < 0) {
		hr_call_finish(call, err.code, "%s", err.msg);
		return;
	}
	hr_log(HR_LOG_INFO, "uid %ld added revision %s (%s)",
	       (long)call->peer_uid, made->revision, made->path);
	hr_revinfo_fill(&rev, call->server->map, made);
	reply.revision = &rev;
	hr_call_send(call, &reply.base);
	hr_call_finish(call, HR_OK, "%s", "");
}

/* The parents of a new revision on `head` (as Alembic's --head). */
static int parents_of(const hr_revmap *map, const char *head, int splice,
		      const hr_migration ***out, size_t *n, hr_error *err)
{
	char names[HR_ERROR_MSG_MAX / 2] = "";
	int rc;

	*out = NULL;
	*n = 0;
	if (head[0] == '\0' && hr_revmap_head_count(map) > 1) {
		for (size_t i = 0, used = 0; i < hr_revmap_head_count(map) &&
					     used < sizeof names;
		     i++)
			used += (size_t)snprintf(
				names + used, sizeof names - used, "%s%s",
				i ? ", " : "", hr_revmap_head(map, i)->revision);
		return hr_error_set(err, HR_FAILED_PRECONDITION,
				    "there are several heads (%s): name the "
				    "new revision's parent with --head, or "
				    "merge them first (hrctl merge heads)",
				    names);
	}
	rc = hr_plan_resolve(map, NULL, 0, 0, head[0] ? head : "head", out, n,
			     err);
	for (size_t i = 0; rc == 0 && !splice && i < *n; i++)
		if (!hr_revmap_is_head(map, (*out)[i]))
			rc = hr_error_set(err, HR_FAILED_PRECONDITION,
					  "revision %s is not a head; pass "
					  "--splice to branch from it",
					  (*out)[i]->revision);
	if (rc < 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

static void revision_start(hr_call *call, const ProtobufCMessage *request)
{
	const Homerack__V1__RevisionRequest *req =
		(const Homerack__V1__RevisionRequest *)request;
	const hr_migration **parents;
	hr_new_revision nr = {0};
	size_t n_parents;
	hr_error err;

	if (hr_method_need_map(call) ||
	    hr_method_list_too_long(call, "branch labels",
				    req->n_branch_labels) ||
	    hr_method_list_too_long(call, "dependencies", req->n_depends_on))
		return;
	if (parents_of(call->server->map, req->head, req->splice, &parents,
		       &n_parents, &err) < 0) {
		hr_call_finish(call, err.code, "%s", err.msg);
		return;
	}
	nr.message = req->message;
	nr.rev_id = req->rev_id;
	nr.parents = parents;
	nr.n_parents = n_parents;
	nr.labels = req->branch_labels;
	nr.n_labels = req->n_branch_labels;
	nr.depends_on = req->depends_on;
	nr.n_depends_on = req->n_depends_on;
	if (req->autogenerate)
		hr_autogenerate_start(call, req, &nr);
	else
		hr_revision_create(call, &nr);
	free(parents);
}

const hr_method hr_method_revision = {
	.path = HR_RPC_REVISION,
	.kind = HR_UNARY,
	.mutating = 1,
	.request_type = &homerack__v1__revision_request__descriptor,
	.start = revision_start,
};
