/* cmd_downgrade.c — `hrctl downgrade TARGET`. */
#include "migrate.h"
#include "rpcnames.h"

static int downgrade_exec(hrctl_ctx *ctx, int argc, char **argv)
{
	return hrctl_migrate(ctx, &hrctl_cmd_downgrade,
			     HR_RPC_DOWNGRADE, argc, argv);
}

const hrctl_cmd hrctl_cmd_downgrade = {
	.name = "downgrade",
	.args = "TARGET [-q] [-t SECONDS] [--rehearse] [--no-backup] "
		"[--from-history [--yes]] | --sql START:END",
	.summary = "Revert migrations down to TARGET (base, -1, an id, ...).",
	.help = "  -q, --quiet            print errors only\n"
		"  -t, --timeout SECONDS  give up (at a wait or between steps) after "
		"this long\n"
		"      --rehearse         run the downgrade on a copy of the "
		"database and\n"
		"                         report each step; the database is "
		"not changed\n"
		"      --no-backup        SQLite: no backup copy before the "
		"first step\n"
		"      --from-history     the database is ahead of the "
		"migration files: go\n"
		"                         down from revisions no file knows "
		"with the\n"
		"                         downgrade SQL recorded when they were "
		"applied;\n"
		"                         shows that SQL and stops, unless "
		"--yes\n"
		"      --yes              run the recorded SQL shown\n"
		"      --sql              print the SQL from START down to END "
		"instead of\n"
		"                         running it; the database is not "
		"touched\n"
		"Each migration is reverted in one transaction with its "
		"version change.\n",
	.exec = downgrade_exec,
};
