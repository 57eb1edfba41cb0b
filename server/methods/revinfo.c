/* revinfo.c — what the methods share: revision descriptions and checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "methods.h"

void hr_revinfo_fill(Homerack__V1__Revision *r, const hr_revmap *map,
		     const hr_migration *m)
{
	r->revision = (char *)m->revision;
	r->down_revisions = m->down_revisions;
	r->n_down_revisions = m->n_down_revisions;
	r->branch_labels = m->branch_labels;
	r->n_branch_labels = m->n_branch_labels;
	r->depends_on = m->depends_on;
	r->n_depends_on = m->n_depends_on;
	r->message = m->message;
	r->create_date = m->create_date;
	r->path = m->path;
	r->is_head = hr_revmap_is_head(map, m);
	r->is_base = hr_revmap_is_base(map, m);
	/* The map owns these arrays; protobuf-c only reads them. */
	r->children = (char **)hr_revmap_child_ids(map, m, &r->n_children);
	r->dependents =
		(char **)hr_revmap_dependent_ids(map, m, &r->n_dependents);
	r->branches = (char **)hr_revmap_labels(map, m, &r->n_branches);
}

Homerack__V1__Revision **hr_revinfo_array(const hr_revmap *map,
					   const hr_migration *const *migs,
					   size_t n)
{
	Homerack__V1__Revision **ptrs;
	Homerack__V1__Revision *revs;

	/* One block: the pointers, then the messages they point to. */
	ptrs = malloc((n + 1) * (sizeof *ptrs + sizeof *revs));
	if (ptrs == NULL)
		return NULL;
	revs = (Homerack__V1__Revision *)(ptrs + n + 1);
	for (size_t i = 0; i < n; i++) {
		homerack__v1__revision__init(&revs[i]);
		hr_revinfo_fill(&revs[i], map, migs[i]);
		ptrs[i] = &revs[i];
	}
	return ptrs;
}

void hr_revinfo_reply(hr_call *call, const hr_migration *const *migs,
		      size_t n, const hr_strlist *rows)
{
	Homerack__V1__HistoryReply reply = HOMERACK__V1__HISTORY_REPLY__INIT;
	Homerack__V1__Revision **revs =
		hr_revinfo_array(call->server->map, migs, n);

	if (revs == NULL) {
		hr_call_finish(call, HR_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; rows != NULL && j < rows->n; j++)
			if (strcmp(rows->items[j], migs[i]->revision) == 0)
				revs[i]->is_current = 1;
	reply.revisions = revs;
	reply.n_revisions = n;
	hr_call_send(call, &reply.base);
	hr_call_finish(call, HR_OK, "%s", "");
	free(revs);
}

int hr_method_need_map(hr_call *call)
{
	hr_server *server = call->server;

	if (server->map != NULL)
		return 0;
	hr_call_finish(call, HR_FAILED_PRECONDITION,
		       "migrations are not loaded: %s", server->map_error.msg);
	return 1;
}

void hr_versions_describe(const hr_strlist *rows, char *buf, size_t size)
{
	size_t used = 0;

	if (rows->n == 0) {
		snprintf(buf, size, "<base>");
		return;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < rows->n && used < size; i++) {
		int n = snprintf(buf + used, size - used, "%s%s",
				 i ? ", " : "", rows->items[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

int hr_method_list_too_long(hr_call *call, const char *what, size_t n)
{
	if (n <= HR_METHOD_LIST_MAX)
		return 0;
	hr_call_finish(call, HR_INVALID_ARGUMENT,
		       "%zu %s: more than the %d one call takes", n, what,
		       HR_METHOD_LIST_MAX);
	return 1;
}

