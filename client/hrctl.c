/*
 * hrctl.c — entry point: global options, the command table, help.
 * Every command is a thin layer: argv -> request -> hrd -> printed reply.
 */
#include <stdlib.h>
#include <string.h>

#include "hrctl.h"

#define HRCTL_VERSION HR_VERSION /* the VERSION file, through CMake */

static const hrctl_cmd *const commands[] = {
	&hrctl_cmd_current, &hrctl_cmd_history, &hrctl_cmd_upgrade,
	&hrctl_cmd_downgrade, &hrctl_cmd_stamp,   &hrctl_cmd_wait,
	&hrctl_cmd_heads,     &hrctl_cmd_branches, &hrctl_cmd_show,
	&hrctl_cmd_verify,    &hrctl_cmd_revision, &hrctl_cmd_merge,
	&hrctl_cmd_models,    &hrctl_cmd_check,
	&hrctl_cmd_test,      &hrctl_cmd_restore,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
	fprintf(out,
		"usage: hrctl [--socket PATH] [--json] COMMAND [ARGS]\n"
		"\n"
		"Ask hrd, the HomeRack schema daemon, about the database schema "
		"or change it.\n"
		"\n"
		"commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name,
			commands[i]->summary);
	fprintf(out,
		"\n"
		"options:\n"
		"  -s, --socket PATH  hrd's socket (env HOMERACK_SOCKET; default\n"
		"                     $XDG_RUNTIME_DIR/homerack/hrd.sock or "
		"/run/homerack/hrd.sock)\n"
		"      --json         machine-readable output\n"
		"  -h, --help         this text; `hrctl COMMAND --help` for one "
		"command\n"
		"  -V, --version      print the version\n"
		"\n"
		"targets: head, heads, base, current, an id or unique prefix, "
		"+N, -N,\n"
		"         REV+N, REV-N, and any of these after LABEL@ (a "
		"branch label)\n"
		"exit status: 0 ok, 1 the call failed, 2 usage error, 3 hrd or its "
		"database\n"
		"             unreachable\n");
}

static void command_help(FILE *out, const hrctl_cmd *cmd)
{
	fprintf(out, "usage: hrctl %s %s\n\n%s\n%s", cmd->name, cmd->args,
		cmd->summary, cmd->help);
}

/* The flag arg names; *inline_value is the value glued to it
 * ("--range=a:b", "-ra:b") for a flag that takes one, else NULL. */
static const hrctl_flag *find_flag(const hrctl_flag *flags, const char *arg,
				   const char **inline_value)
{
	*inline_value = NULL;
	for (const hrctl_flag *f = flags; f && f->long_name; f++) {
		size_t len = strlen(f->long_name);

		if (arg[1] == '-' && strcmp(arg + 2, f->long_name) == 0)
			return f;
		if (arg[1] == '-' && f->value != NULL &&
		    strncmp(arg + 2, f->long_name, len) == 0 &&
		    arg[2 + len] == '=') {
			*inline_value = arg + 3 + len;
			return f;
		}
		if (arg[1] != '-' && f->short_name && arg[1] == f->short_name &&
		    (arg[2] == '\0' || f->value != NULL)) {
			*inline_value = arg[2] != '\0' ? arg + 2 : NULL;
			return f;
		}
	}
	return NULL;
}

/* "-1", "-12": a relative target, not an option. */
static int is_negative_number(const char *arg)
{
	if (arg[0] != '-' || arg[1] == '\0')
		return 0;
	for (const char *p = arg + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

int hrctl_parse(const hrctl_cmd *cmd, int argc, char **argv,
		const hrctl_flag *flags, const char **pos, int max_pos,
		int *n_pos)
{
	int only_positional = 0;

	*n_pos = 0;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *inline_value;
		const hrctl_flag *f;

		if (!only_positional && strcmp(arg, "--") == 0) {
			only_positional = 1;
			continue;
		}
		if (!only_positional && arg[0] == '-' && arg[1] != '\0' &&
		    !is_negative_number(arg)) {
			if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
				command_help(stdout, cmd);
				return 1;
			}
			f = find_flag(flags, arg, &inline_value);
			if (f == NULL) {
				fprintf(stderr,
					"hrctl: %s: unknown option '%s' (see "
					"hrctl %s --help)\n",
					cmd->name, arg, cmd->name);
				return -1;
			}
			if (f->set != NULL) {
				*f->set = 1;
			} else if (inline_value != NULL) {
				*f->value = inline_value;
			} else if (i + 1 < argc) {
				*f->value = argv[++i];
			} else {
				fprintf(stderr, "hrctl: %s: option '%s' needs a "
						"value\n",
					cmd->name, arg);
				return -1;
			}
			continue;
		}
		if (*n_pos >= max_pos) {
			fprintf(stderr, "hrctl: %s: unexpected argument '%s' "
					"(usage: hrctl %s %s)\n",
				cmd->name, arg, cmd->name, cmd->args);
			return -1;
		}
		pos[(*n_pos)++] = arg;
	}
	return 0;
}

int hrctl_connect(hrctl_ctx *ctx)
{
	hr_error err;

	if (hr_client_connect(ctx->socket_path, &ctx->client, &err) < 0) {
		fprintf(stderr, "hrctl: %s\n", err.msg);
		return HRCTL_EXIT_UNAVAILABLE;
	}
	return 0;
}

int hrctl_fail(const char *what, const hr_error *err)
{
	fprintf(stderr, "hrctl: %s: %s\n", what, err->msg);
	return err->code == HR_UNAVAILABLE ? HRCTL_EXIT_UNAVAILABLE
					   : HRCTL_EXIT_FAILED;
}

int main(int argc, char **argv)
{
	hrctl_ctx ctx = {0};
	int i, rc;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--socket") == 0 || strcmp(arg, "-s") == 0) {
			if (++i == argc) {
				fprintf(stderr, "hrctl: --socket needs a path\n");
				return HRCTL_EXIT_USAGE;
			}
			ctx.socket_path = argv[i];
		} else if (strncmp(arg, "--socket=", 9) == 0) {
			ctx.socket_path = arg + 9;
		} else if (strcmp(arg, "--json") == 0) {
			ctx.json = 1;
		} else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			usage(stdout);
			return HRCTL_EXIT_OK;
		} else if (strcmp(arg, "--version") == 0 ||
			   strcmp(arg, "-V") == 0) {
			printf("hrctl %s\n", HRCTL_VERSION);
			return HRCTL_EXIT_OK;
		} else {
			fprintf(stderr, "hrctl: unknown option '%s'\n", arg);
			usage(stderr);
			return HRCTL_EXIT_USAGE;
		}
	}
	if (i == argc) {
		usage(stderr);
		return HRCTL_EXIT_USAGE;
	}
	for (size_t c = 0; c < N_COMMANDS; c++) {
		if (strcmp(commands[c]->name, argv[i]) == 0) {
			rc = commands[c]->exec(&ctx, argc - i, argv + i);
			hr_client_close(ctx.client);
			return rc;
		}
	}
	fprintf(stderr, "hrctl: unknown command '%s' (see hrctl --help)\n",
		argv[i]);
	return HRCTL_EXIT_USAGE;
}
