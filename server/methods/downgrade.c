/* downgrade.c — Downgrade: revert migrations down to the target. */
#include "methods.h"
#include "rpcnames.h"

static void downgrade_start(hr_call *call, const ProtobufCMessage *request)
{
	const Homerack__V1__MigrateRequest *req =
		(const Homerack__V1__MigrateRequest *)request;

	hr_migrate_start(call, req, HR_DOWNGRADE);
}

const hr_method hr_method_downgrade = {
	.path = HR_RPC_DOWNGRADE,
	.kind = HR_SERVER_STREAM,
	.mutating = 1,
	.request_type = &homerack__v1__migrate_request__descriptor,
	.start = downgrade_start,
};
