/*
 * peer.c — who is on the other end of a connection, and whether they may
 * change the schema.
 *
 * SO_PEERCRED gives the uid/gid the peer had when it connected. Schema
 * changes are for root, hrd's own uid, and members of the configured
 * admin group (primary or supplementary, via getgrouplist).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server.h"

/* Whether uid (primary group gid) belongs to group want. */
static int in_group(uid_t uid, gid_t gid, gid_t want)
{
	struct passwd pw, *found = NULL;
	char buf[4096];
	gid_t groups[256];
	int n = (int)(sizeof groups / sizeof groups[0]);

	if (gid == want)
		return 1;
	if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) != 0 || found == NULL)
		return 0;
	/* A user in more than 256 groups is checked against the first 256. */
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
		n = (int)(sizeof groups / sizeof groups[0]);
	for (int i = 0; i < n; i++)
		if (groups[i] == want)
			return 1;
	return 0;
}

int hr_peer_identify(hr_conn *conn, hr_error *err)
{
	hr_server *server = conn->server;
	struct ucred cred;
	socklen_t len = sizeof cred;
	uv_os_fd_t fd;

	if (uv_fileno((uv_handle_t *)&conn->pipe, &fd) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return hr_error_set(err, HR_UNAUTHENTICATED,
				    "cannot read peer credentials: %s",
				    strerror(errno));
	conn->uid = cred.uid;
	conn->is_admin = cred.uid == 0 || cred.uid == geteuid() ||
			 (server->have_admin_gid &&
			  in_group(cred.uid, cred.gid, server->admin_gid));
	return 0;
}

const char *hr_peer_admin_description(const hr_server *server)
{
	static char text[256];

	if (server->have_admin_gid)
		snprintf(text, sizeof text,
			 "root, uid %ld (hrd's own) or a member of group '%s'",
			 (long)geteuid(), server->cfg.admin_group);
	else
		snprintf(text, sizeof text,
			 "root or uid %ld (hrd's own); start hrd with "
			 "--admin-group to allow a group",
			 (long)geteuid());
	return text;
}
