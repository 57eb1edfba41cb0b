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
	fputs(", \"depends_on\": ", out);
	hrctl_json_strings(out, r->depends_on, r->n_depends_on);
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

void hrctl_print_parents(FILE *out, const Homerack__V1__Revision *r)
{
	if (r->n_down_revisions == 0) {
		fputs("<base>", out);
		return;
	}
	for (size_t i = 0; i < r->n_down_revisions; i++)
		fprintf(out, "%s%s", i ? ", " : "", r->down_revisions[i]);
}

void hrctl_print_markers(FILE *out, const Homerack__V1__Revision *r,
			 int show_current)
{
	if (r->is_head)
		fputs(" (head)", out);
	if (r->n_down_revisions > 1)
		fputs(" (mergepoint)", out);
	if (show_current && r->is_current)
		fputs(" (current)", out);
}

void hrctl_print_verbose(FILE *out, const Homerack__V1__Revision *r,
			 int show_current)
{
	fprintf(out, "Rev: %s", r->revision);
	hrctl_print_markers(out, r, show_current);
	fputs("\nParent: ", out);
	hrctl_print_parents(out, r);
	if (r->n_branch_labels > 0) {
		fputs("\nBranch names: ", out);
		for (size_t i = 0; i < r->n_branch_labels; i++)
			fprintf(out, "%s%s", i ? ", " : "", r->branch_labels[i]);
	}
	if (r->n_depends_on > 0) {
		fputs("\nAlso depends on: ", out);
		for (size_t i = 0; i < r->n_depends_on; i++)
			fprintf(out, "%s%s", i ? ", " : "", r->depends_on[i]);
	}
	fprintf(out, "\nPath: %s\n\n    %s\n\n    Revision ID: %s\n    Revises: ",
		r->path, r->message, r->revision);
	for (size_t i = 0; i < r->n_down_revisions; i++)
		fprintf(out, "%s%s", i ? ", " : "", r->down_revisions[i]);
	fprintf(out, "\n    Create Date: %s\n\n", r->create_date);
}
