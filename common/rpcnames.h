/*
 * rpcnames.h — the path of every RPC method, named once for both sides:
 * hrctl's call sites and hrd's method table use these, never a literal.
 * They follow proto/homerack.proto's `service Schema` (gRPC's
 * "/package.Service/Method").
 */
#ifndef HR_RPCNAMES_H
#define HR_RPCNAMES_H

#define HR_RPC_SERVICE "/homerack.v1.Schema/"

#define HR_RPC_CURRENT HR_RPC_SERVICE "Current"
#define HR_RPC_HISTORY HR_RPC_SERVICE "History"
#define HR_RPC_UPGRADE HR_RPC_SERVICE "Upgrade"
#define HR_RPC_DOWNGRADE HR_RPC_SERVICE "Downgrade"
#define HR_RPC_STAMP HR_RPC_SERVICE "Stamp"
#define HR_RPC_WATCH HR_RPC_SERVICE "Watch"
#define HR_RPC_SHOW HR_RPC_SERVICE "Show"
#define HR_RPC_VERIFY HR_RPC_SERVICE "Verify"
#define HR_RPC_SCRIPT HR_RPC_SERVICE "Script"
#define HR_RPC_REVISION HR_RPC_SERVICE "Revision"
#define HR_RPC_MERGE HR_RPC_SERVICE "Merge"
#define HR_RPC_MODELS HR_RPC_SERVICE "Models"
#define HR_RPC_CHECK HR_RPC_SERVICE "Check"

#endif
