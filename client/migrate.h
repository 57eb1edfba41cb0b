/* migrate.h — the streaming call behind `upgrade` and `downgrade`. */
#ifndef HRCTL_MIGRATE_H
#define HRCTL_MIGRATE_H

#include "hrctl.h"

/* Parse `cmd TARGET [-q] [-t SECONDS] [--sql] [--allow-changed]`, run
 * method and print its steps, or with --sql print the SQL (script.c). */
int hrctl_migrate(hrctl_ctx *ctx, const hrctl_cmd *cmd, const char *method,
		  int argc, char **argv);

#endif
