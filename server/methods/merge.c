/*
 * merge.c — Merge: write a migration whose parents are the given
 * revisions (`heads` for every head), as `alembic merge` does, making
 * one head of several. revision.c checks, writes and loads it.
 */
#include <stdlib.h>

#include "methods.h"
#include "rpcnames.h"

/* Add the revisions target names to set (no repeats). */
static int add_target(const hr_revmap *map, const char *target,
		      const hr_migration **set, size_t *n, hr_error *err)
{
	const hr_migration **named = NULL;
	size_t n_named = 0;
	int rc = hr_plan_resolve(map, NULL, 0, 0, target, &named, &n_named,
				 err);

	for (size_t i = 0; rc == 0 && i < n_named; i++) {
		size_t j = 0;

		while (j < *n && set[j] != named[i])
			j++;
		if (j == *n)
			set[(*n)++] = named[i];
	}
	free(named);
	return rc;
}

static int merge_parents(const hr_revmap *map,
			 const Homerack__V1__MergeRequest *req,
			 const hr_migration **set, size_t *n, hr_error *err)
{
	int rc = 0;

	*n = 0;
	if (req->n_revisions == 0)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "merge needs the revisions to merge (e.g. "
				    "heads)");
	for (size_t i = 0; rc == 0 && i < req->n_revisions; i++)
		rc = add_target(map, req->revisions[i], set, n, err);
	if (rc == 0 && *n < 2)
		return hr_error_set(err, HR_FAILED_PRECONDITION,
				    "nothing to merge: the targets name %s%s",
				    *n ? "only " : "no revision",
				    *n ? set[0]->revision : "");
	/* A parent below another would change nothing but the graph. */
	for (size_t i = 0; rc == 0 && i < *n; i++)
		for (size_t j = 0; rc == 0 && j < *n; j++)
			if (i != j && hr_revmap_is_ancestor(map, set[i], set[j]))
				rc = hr_error_set(err, HR_INVALID_ARGUMENT,
						  "%s is an ancestor of %s; "
						  "merge revisions of separate "
						  "branches",
						  set[i]->revision,
						  set[j]->revision);
	return rc;
}

static void merge_start(hr_call *call, const ProtobufCMessage *request)
{
	const Homerack__V1__MergeRequest *req =
		(const Homerack__V1__MergeRequest *)request;
	const hr_revmap *map;
	const hr_migration **parents;
	hr_new_revision nr = {0};
	size_t n = 0;
	hr_error err;

	if (hr_method_need_map(call) ||
	    hr_method_list_too_long(call, "revisions", req->n_revisions) ||
	    hr_method_list_too_long(call, "branch labels",
				    req->n_branch_labels))
		return;
	map = call->server->map;
	parents = calloc(hr_revmap_count(map) + 1, sizeof *parents);
	if (parents == NULL) {
		hr_call_finish(call, HR_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	if (merge_parents(map, req, parents, &n, &err) < 0) {
		hr_call_finish(call, err.code, "%s", err.msg);
		free(parents);
		return;
	}
	nr.message = req->message;
	nr.rev_id = req->rev_id;
	nr.parents = parents;
	nr.n_parents = n;
	nr.labels = req->branch_labels;
	nr.n_labels = req->n_branch_labels;
	hr_revision_create(call, &nr);
	free(parents);
}

const hr_method hr_method_merge = {
	.path = HR_RPC_MERGE,
	.kind = HR_UNARY,
	.mutating = 1,
	.request_type = &homerack__v1__merge_request__descriptor,
	.start = merge_start,
};
