/*
 * migrate.c — what `upgrade` and `downgrade` share: run the streaming
 * call, print each step as Alembic does ("Running upgrade a -> b, msg"),
 * and turn Ctrl-C into a cancel the daemon honours between steps.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migrate.h"

static volatile sig_atomic_t interrupted;

static void on_sigint(int signum)
{
	static const char note[] = "\nhrctl: interrupted: stopping after the "
				   "migration in flight\n";

	(void)signum;
	if (!interrupted) {
		/* write(2) is async-signal-safe; a lost note is harmless. */
		ssize_t ignored = write(STDERR_FILENO, note, sizeof note - 1);
		(void)ignored;
	}
	interrupted = 1;
}

typedef struct print_state {
	int json;
	int quiet;
	int tty;      /* a terminal: one line per step, completed in place */
	int line_open; /* a step's line awaits its "done" */
} print_state;

static void print_duration(uint64_t us)
{
	if (us < 10000)
		printf("done in %.1f ms", (double)us / 1000.0);
	else if (us < 10000000)
		printf("done in %.0f ms", (double)us / 1000.0);
	else
		printf("done in %.1f s", (double)us / 1e6);
}

static int print_event(void *ud, const uint8_t *data, size_t len)
{
	print_state *ps = ud;
	Homerack__V1__MigrationEvent *ev =
		homerack__v1__migration_event__unpack(NULL, len, data);
	static const char *const kinds[] = {"unspecified", "plan", "started",
					    "finished", "note"};

	if (ev == NULL)
		return 0; /* progress is informative; the status decides */
	if (ps->json) {
		printf("{\"event\": \"%s\", \"direction\": ",
		       (unsigned)ev->kind < 5 ? kinds[ev->kind] : "unknown");
		hrctl_json_string(stdout, ev->direction);
		printf(", \"revision\": ");
		hrctl_json_string(stdout, ev->revision);
		printf(", \"from\": ");
		hrctl_json_strings(stdout, ev->from_revisions,
				   ev->n_from_revisions);
		printf(", \"to\": ");
		hrctl_json_strings(stdout, ev->to_revisions, ev->n_to_revisions);
		printf(", \"message\": ");
		hrctl_json_string(stdout, ev->message);
		printf(", \"step\": %u, \"total\": %u, \"duration_us\": %llu}\n",
		       ev->step, ev->total, (unsigned long long)ev->duration_us);
	} else if (!ps->quiet &&
		   ev->kind == HOMERACK__V1__MIGRATION_EVENT__KIND__KIND_STARTED) {
		/* Alembic's line; on a terminal with an N/M counter and left
		 * open until the step ends. */
		if (ps->tty && ev->total > 1)
			printf("[%u/%u] ", ev->step, ev->total);
		printf("Running %s ", ev->direction);
		hrctl_print_list(stdout, ev->from_revisions, ev->n_from_revisions);
		printf(" -> ");
		hrctl_print_list(stdout, ev->to_revisions, ev->n_to_revisions);
		printf(", %s", ev->message);
		if (ps->tty) {
			printf(" ... ");
			ps->line_open = 1;
		} else {
			printf("\n");
		}
	} else if (!ps->quiet &&
		   ev->kind == HOMERACK__V1__MIGRATION_EVENT__KIND__KIND_NOTE) {
		if (ps->line_open)
			printf("\n");
		ps->line_open = 0;
		printf("%s\n", ev->message);
	} else if (!ps->quiet &&
		   ev->kind == HOMERACK__V1__MIGRATION_EVENT__KIND__KIND_FINISHED) {
		if (!ps->tty)
			printf("  ");
		print_duration(ev->duration_us);
		printf("\n");
		ps->line_open = 0;
	}
	fflush(stdout);
	homerack__v1__migration_event__free_unpacked(ev, NULL);
	return 0;
}

int hrctl_migrate(hrctl_ctx *ctx, const hrctl_cmd *cmd, const char *method,
		  int argc, char **argv)
{
	int quiet = 0, sql = 0, allow_changed = 0, single = 0, n_pos, rc;
	int rehearse = 0, no_backup = 0, from_history = 0, yes = 0;
	int upgrade = strcmp(cmd->name, "upgrade") == 0;
	const char *timeout = NULL, *target = NULL;
	const hrctl_flag flags[] = {
		{"quiet", 'q', &quiet, NULL},
		{"timeout", 't', NULL, &timeout},
		{"sql", 0, &sql, NULL},
		{"allow-changed", 0, &allow_changed, NULL},
		{"single-transaction", 0, &single, NULL},
		{"rehearse", 0, &rehearse, NULL},
		{"no-backup", 0, &no_backup, NULL},
		{"from-history", 0, &from_history, NULL},
		{"yes", 0, &yes, NULL},
		{0},
	};
	Homerack__V1__MigrateRequest req = HOMERACK__V1__MIGRATE_REQUEST__INIT;
	print_state ps = {.json = ctx->json};
	struct sigaction sa = {.sa_handler = on_sigint};
	unsigned long timeout_s = 0;
	char *end;
	hr_error err;

	if ((rc = hrctl_parse(cmd, argc, argv, flags, &target, 1, &n_pos)) != 0)
		return rc > 0 ? HRCTL_EXIT_OK : HRCTL_EXIT_USAGE;
	if (n_pos != 1) {
		fprintf(stderr, "hrctl: %s needs a target (usage: hrctl %s %s)\n",
			cmd->name, cmd->name, cmd->args);
		return HRCTL_EXIT_USAGE;
	}
	if (allow_changed && !upgrade) {
		fprintf(stderr, "hrctl: %s: --allow-changed is for upgrade\n",
			cmd->name);
		return HRCTL_EXIT_USAGE;
	}
	if (single && !upgrade) {
		fprintf(stderr, "hrctl: %s: --single-transaction is for "
				"upgrade\n",
			cmd->name);
		return HRCTL_EXIT_USAGE;
	}
	if (from_history && upgrade) {
		fprintf(stderr, "hrctl: %s: --from-history is for downgrade\n",
			cmd->name);
		return HRCTL_EXIT_USAGE;
	}
	if (yes && !from_history) {
		fprintf(stderr, "hrctl: %s: --yes confirms --from-history\n",
			cmd->name);
		return HRCTL_EXIT_USAGE;
	}
	if (from_history && (sql || rehearse)) {
		fprintf(stderr, "hrctl: %s: --from-history runs recorded SQL "
				"on the database; it does not go with --%s\n",
			cmd->name, sql ? "sql" : "rehearse");
		return HRCTL_EXIT_USAGE;
	}
	if ((single || rehearse || no_backup) && sql) {
		fprintf(stderr, "hrctl: %s: --sql prints the SQL; it does not "
				"go with --%s\n",
			cmd->name,
			single ? "single-transaction"
			       : rehearse ? "rehearse" : "no-backup");
		return HRCTL_EXIT_USAGE;
	}
	if (strchr(target, ':') != NULL && !sql) {
		fprintf(stderr, "hrctl: %s: a START:END range needs --sql "
				"(online, %s starts from the database's "
				"revision)\n",
			cmd->name, cmd->name);
		return HRCTL_EXIT_USAGE;
	}
	if (sql)
		return hrctl_script(
			ctx, cmd->name,
			upgrade ? HOMERACK__V1__SCRIPT_REQUEST__COMMAND__COMMAND_UPGRADE
				: HOMERACK__V1__SCRIPT_REQUEST__COMMAND__COMMAND_DOWNGRADE,
			&target, 1, 0);
	if (timeout != NULL) {
		timeout_s = strtoul(timeout, &end, 10);
		if (*end != '\0' || end == timeout || timeout_s > 86400 * 7) {
			fprintf(stderr, "hrctl: %s: bad --timeout '%s' (whole "
					"seconds)\n",
				cmd->name, timeout);
			return HRCTL_EXIT_USAGE;
		}
	}
	ps.quiet = quiet;
	if ((rc = hrctl_connect(ctx)) != 0)
		return rc;
	/* No SA_RESTART: the interrupted poll returns and sends the cancel. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	hr_client_set_cancel_flag(ctx->client, &interrupted);
	req.target = (char *)target;
	req.allow_changed = allow_changed;
	req.single_transaction = single;
	req.rehearse = rehearse;
	req.no_backup = no_backup;
	req.from_history = from_history;
	req.confirm = yes;
	ps.tty = isatty(STDOUT_FILENO);
	rc = hr_client_call(ctx->client, method, &req.base,
			    (uint32_t)(timeout_s * 1000), print_event, &ps, &err);
	if (ps.line_open)
		printf("failed\n");
	fflush(stdout);
	if (rc < 0)
		return hrctl_fail(cmd->name, &err);
	return HRCTL_EXIT_OK;
}
