/* cmd_upgrade.c — `hrctl upgrade TARGET`. */
#include "migrate.h"
#include "rpcnames.h"

static int upgrade_exec(hrctl_ctx *ctx, int argc, char **argv)
{
	return hrctl_migrate(ctx, &hrctl_cmd_upgrade,
			     HR_RPC_UPGRADE, argc, argv);
}

const hrctl_cmd hrctl_cmd_upgrade = {
	.name = "upgrade",
	.args = "TARGET [-q] [-t SECONDS] [--allow-changed] | --sql "
		"[START:]END",
	.summary = "Apply migrations up to TARGET (head, +1, an id, ...).",
	.help = "  -q, --quiet            print errors only\n"
		"  -t, --timeout SECONDS  give up (at a wait or between steps) after "
		"this long\n"
		"      --allow-changed    run even though the file of an "
		"applied migration\n"
		"                         changed since it ran (see hrctl "
		"verify)\n"
		"      --sql              print the SQL instead of running it, "
		"from START\n"
		"                         (default base); the database is not "
		"touched\n"
		"Each migration runs in one transaction with its version "
		"change.\n"
		"Ctrl-C stops after the migration in flight; the database "
		"stays at a\n"
		"consistent revision.\n",
	.exec = upgrade_exec,
};
