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
	.args = "TARGET [-q] [-t SECONDS] | --sql START:END",
	.summary = "Revert migrations down to TARGET (base, -1, an id, ...).",
	.help = "  -q, --quiet            print errors only\n"
		"  -t, --timeout SECONDS  give up (at a wait or between steps) after "
		"this long\n"
		"      --sql              print the SQL from START down to END "
		"instead of\n"
		"                         running it; the database is not "
		"touched\n"
		"Each migration is reverted in one transaction with its "
		"version change.\n",
	.exec = downgrade_exec,
};
