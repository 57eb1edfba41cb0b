/*
 * hrctl.h — the command-line client: a table of commands (one file
 * each) over libhrclient, and the output helpers they share.
 */
#ifndef HRCTL_H
#define HRCTL_H

#include <stdio.h>

#include "hrclient_pb.h"

/* Exit codes (documented in --help). */
#define HRCTL_EXIT_OK 0
#define HRCTL_EXIT_FAILED 1      /* the call failed: see the message */
#define HRCTL_EXIT_USAGE 2       /* bad command line */
#define HRCTL_EXIT_UNAVAILABLE 3 /* hrd could not be reached */

typedef struct hrctl_ctx {
	const char *socket_path; /* NULL: the default */
	int json;
	hr_client *client; /* connected by hrctl_connect */
} hrctl_ctx;

/* One command-line option of a command. */
typedef struct hrctl_flag {
	const char *long_name; /* "verbose" */
	char short_name;       /* 'v', or 0 */
	int *set;              /* a switch: set to 1 when given */
	const char **value;    /* an option with a value (set or value) */
} hrctl_flag;

typedef struct hrctl_cmd {
	const char *name;
	const char *args;    /* "TARGET" */
	const char *summary; /* one line for `hrctl --help` */
	const char *help;    /* the rest of `hrctl CMD --help` */
	int (*exec)(hrctl_ctx *ctx, int argc, char **argv);
} hrctl_cmd;

extern const hrctl_cmd hrctl_cmd_current;
extern const hrctl_cmd hrctl_cmd_history;
extern const hrctl_cmd hrctl_cmd_upgrade;
extern const hrctl_cmd hrctl_cmd_downgrade;
extern const hrctl_cmd hrctl_cmd_stamp;
extern const hrctl_cmd hrctl_cmd_wait;
extern const hrctl_cmd hrctl_cmd_heads;
extern const hrctl_cmd hrctl_cmd_branches;
extern const hrctl_cmd hrctl_cmd_show;
extern const hrctl_cmd hrctl_cmd_verify;
extern const hrctl_cmd hrctl_cmd_test;
extern const hrctl_cmd hrctl_cmd_restore;
extern const hrctl_cmd hrctl_cmd_revision;
extern const hrctl_cmd hrctl_cmd_merge;
extern const hrctl_cmd hrctl_cmd_models;
extern const hrctl_cmd hrctl_cmd_check;

/*
 * Parse argv (argv[0] is the command name) against flags; positional
 * arguments are collected into pos (at most max_pos). Targets such as
 * "-1" are positional, not options. `--help` prints the command's help
 * and returns 1 (the caller exits 0). Usage errors print a line and
 * return -1.
 */
int hrctl_parse(const hrctl_cmd *cmd, int argc, char **argv,
		const hrctl_flag *flags, const char **pos, int max_pos,
		int *n_pos);

/* Connect ctx->client; on failure print the reason and return the exit
 * code to use (HRCTL_EXIT_UNAVAILABLE). */
int hrctl_connect(hrctl_ctx *ctx);

/* Print "hrctl: <what>: <err>" and return the exit code for err. */
int hrctl_fail(const char *what, const hr_error *err);

/* Output helpers (output.c). */
void hrctl_json_string(FILE *out, const char *s);
void hrctl_json_strings(FILE *out, char **items, size_t n);
void hrctl_json_revision(FILE *out, const Homerack__V1__Revision *r);
void hrctl_json_revisions(FILE *out, Homerack__V1__Revision *const *revs,
			  size_t n);
/* items joined by ", " (nothing for none). */
void hrctl_print_list(FILE *out, char *const *items, size_t n);
/* "a, b" or "<base>" */
void hrctl_print_parents(FILE *out, const Homerack__V1__Revision *r);

/* What hrctl_print_line shows besides the id and (head) / (effective
 * head): Alembic's cmd_format switches. */
#define HRCTL_SHOW_PARENTS 1  /* "a, b (deps) -> " before the id */
#define HRCTL_SHOW_BRANCHES 2 /* " (label)" */
#define HRCTL_SHOW_TREE 4     /* " (branchpoint)", " (mergepoint)" */
#define HRCTL_SHOW_CURRENT 8  /* " (current)" */
#define HRCTL_SHOW_DOC 16     /* ", message" */
/* One revision on one line (no newline), as Alembic's commands print. */
void hrctl_print_line(FILE *out, const Homerack__V1__Revision *r, int show);
/* A reply's revisions: {"revisions": [...]} with --json, else each as
 * the verbose block or as one line showing `show`. */
void hrctl_print_revisions(const hrctl_ctx *ctx,
			   const Homerack__V1__HistoryReply *reply, int verbose,
			   int show);
/* Alembic's verbose block (log_entry): Rev/Parent or Merges/Also depends
 * on/Branches into/Branch names/Path and the docstring. */
void hrctl_print_verbose(FILE *out, const Homerack__V1__Revision *r,
			 int show_current);

/* Show(target) into *reply; 0, or the exit code after printing why
 * (cmd_show.c). */
int hrctl_show_call(hrctl_ctx *ctx, const char *what, const char *target,
		    Homerack__V1__HistoryReply **reply);

/* Print the SQL hrd would run for command (offline mode, script.c). */
int hrctl_script(hrctl_ctx *ctx, const char *what,
		 Homerack__V1__ScriptRequest__Command command,
		 const char *const *targets, size_t n_targets, int purge);

/* A comma- or space-separated option value split into items (pointing
 * into copy, which the caller frees); -1 when over the limit or OOM. */
#define HRCTL_LIST_MAX 32
typedef struct hrctl_list {
	char *items[HRCTL_LIST_MAX];
	size_t n;
	char *copy;
} hrctl_list;
int hrctl_split_list(const char *text, hrctl_list *out);

/* A new revision's reply: its path (Alembic's "Generating ..."), or JSON. */
int hrctl_print_new_revision(hrctl_ctx *ctx,
			     const Homerack__V1__RevisionReply *reply);

#endif
