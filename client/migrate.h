/* migrate.h — the streaming call behind `upgrade` and `downgrade`. */
#ifndef HRCTL_MIGRATE_H
#define HRCTL_MIGRATE_H

#include "hrctl.h"

/* Parse `cmd TARGET [-q] [-t SECONDS]`, run method, print its steps. */
int hrctl_migrate(hrctl_ctx *ctx, const hrctl_cmd *cmd, const char *method,
		  int argc, char **argv);

#endif
