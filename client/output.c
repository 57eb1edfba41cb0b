/* output.c — how hrctl prints revisions: Alembic's lines, or JSON. */
#include <string.h>

#include "hrctl.h"

void hrctl_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

void hrctl_json_strings(FILE *out, char **items, size_t n)
{
	fputc('[', out);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			fputs(", ", out);
		hrctl_json_string(out, items[i]);
	}
	fputc(']', out);
}

void hrctl_json_revision(FILE *out, const Homerack__V1__Revision *r)
{
	fputs("{\"revision\": ", out);
	hrctl_json_string(out, r->revision);
	fputs(", \"down_revisions\": ", out);
	hrctl_json_strings(out, r->down_revisions, r->n_down_revisions);
	fputs(", \"branch_labels\": ", out);
	hrctl_json_strings(out, r->branch_labels, r->n_branch_labels);
	fputs(", \"branches\": ", out);
	hrctl_json_strings(out, r->branches, r->n_branches);
	fputs(", \"depends_on\": ", out);
	hrctl_json_strings(out, r->depends_on, r->n_depends_on);
	fputs(", \"children\": ", out);
	hrctl_json_strings(out, r->children, r->n_children);
	fputs(", \"dependents\": ", out);
	hrctl_json_strings(out, r->dependents, r->n_dependents);
	fputs(", \"message\": ", out);
	hrctl_json_string(out, r->message);
	fputs(", \"create_date\": ", out);
	hrctl_json_string(out, r->create_date);
	fputs(", \"path\": ", out);
	hrctl_json_string(out, r->path);
	fprintf(out, ", \"is_head\": %s, \"is_base\": %s, \"is_current\": %s}",
		r->is_head ? "true" : "false", r->is_base ? "true" : "false",
		r->is_current ? "true" : "false");
}

void hrctl_json_revisions(FILE *out, Homerack__V1__Revision *const *revs,
			  size_t n)
{
	fputc('[', out);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			fputs(", ", out);
		hrctl_json_revision(out, revs[i]);
	}
	fputc(']', out);
}

/* "a, b" */
void hrctl_print_list(FILE *out, char *const *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? ", " : "", items[i]);
}

void hrctl_print_parents(FILE *out, const Homerack__V1__Revision *r)
{
	if (r->n_down_revisions == 0)
		fputs("<base>", out);
	else
		hrctl_print_list(out, r->down_revisions, r->n_down_revisions);
}

void hrctl_print_line(FILE *out, const Homerack__V1__Revision *r, int show)
{
	if (show & HRCTL_SHOW_PARENTS) {
		hrctl_print_parents(out, r);
		if (r->n_depends_on > 0) {
			fputs(" (", out);
			hrctl_print_list(out, r->depends_on, r->n_depends_on);
			fputc(')', out);
		}
		fputs(" -> ", out);
	}
	fputs(r->revision, out);
	if ((show & HRCTL_SHOW_BRANCHES) && r->n_branches > 0) {
		fputs(" (", out);
		hrctl_print_list(out, r->branches, r->n_branches);
		fputc(')', out);
	}
	/* A head something depends on is only an "effective" head: the
	 * dependent must be reverted before it can be. */
	if (r->is_head && r->n_dependents == 0)
		fputs(" (head)", out);
	if (r->is_head && r->n_dependents > 0)
		fputs(" (effective head)", out);
	if ((show & HRCTL_SHOW_CURRENT) && r->is_current)
		fputs(" (current)", out);
	if ((show & HRCTL_SHOW_TREE) && r->n_children > 1)
		fputs(" (branchpoint)", out);
	if ((show & HRCTL_SHOW_TREE) && r->n_down_revisions > 1)
		fputs(" (mergepoint)", out);
	if (show & HRCTL_SHOW_DOC)
		fprintf(out, ", %s", r->message);
}

void hrctl_print_verbose(FILE *out, const Homerack__V1__Revision *r,
			 int show_current)
{
	fprintf(out, "Rev: %s%s%s%s%s\n", r->revision,
		r->is_head ? " (head)" : "",
		r->n_children > 1 ? " (branchpoint)" : "",
		r->n_down_revisions > 1 ? " (mergepoint)" : "",
		show_current && r->is_current ? " (current)" : "");
	fputs(r->n_down_revisions > 1 ? "Merges: " : "Parent: ", out);
	hrctl_print_parents(out, r);
	fputc('\n', out);
	if (r->n_depends_on > 0) {
		fputs("Also depends on: ", out);
		hrctl_print_list(out, r->depends_on, r->n_depends_on);
		fputc('\n', out);
	}
	if (r->n_children > 1) {
		fputs("Branches into: ", out);
		hrctl_print_list(out, r->children, r->n_children);
		fputc('\n', out);
	}
	if (r->n_branches > 0) {
		fputs("Branch names: ", out);
		hrctl_print_list(out, r->branches, r->n_branches);
		fputc('\n', out);
	}
	fprintf(out, "Path: %s\n\n    %s\n\n    Revision ID: %s\n    Revises: ",
		r->path, r->message, r->revision);
	hrctl_print_list(out, r->down_revisions, r->n_down_revisions);
	fprintf(out, "\n    Create Date: %s\n\n", r->create_date);
}

void hrctl_print_revisions(const hrctl_ctx *ctx,
			   const Homerack__V1__HistoryReply *reply, int verbose,
			   int show)
{
	if (ctx->json) {
		printf("{\"revisions\": ");
		hrctl_json_revisions(stdout, reply->revisions,
				     reply->n_revisions);
		printf("}\n");
		return;
	}
	for (size_t i = 0; i < reply->n_revisions; i++) {
		if (verbose) {
			hrctl_print_verbose(stdout, reply->revisions[i],
					    show & HRCTL_SHOW_CURRENT);
			continue;
		}
		hrctl_print_line(stdout, reply->revisions[i], show);
		printf("\n");
	}
}
