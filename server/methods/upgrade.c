/* upgrade.c — Upgrade: apply migrations up to the target (streaming). */
#include "methods.h"
#include "rpcnames.h"

static void upgrade_start(hr_call *call, const ProtobufCMessage *request)
{
	const Homerack__V1__MigrateRequest *req =
		(const Homerack__V1__MigrateRequest *)request;

	hr_migrate_start(call, req, HR_UPGRADE);
}

const hr_method hr_method_upgrade = {
	.path = HR_RPC_UPGRADE,
	.kind = HR_SERVER_STREAM,
	.mutating = 1,
	.request_type = &homerack__v1__migrate_request__descriptor,
	.start = upgrade_start,
};
