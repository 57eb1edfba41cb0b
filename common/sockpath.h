/*
 * sockpath.h — where hrd listens and hrctl connects by default.
 *
 *   $HOMERACK_SOCKET, else
 *   $XDG_RUNTIME_DIR/homerack/hrd.sock, else
 *   /run/homerack/hrd.sock for root, /tmp/homerack-UID/hrd.sock otherwise.
 */
#ifndef HR_SOCKPATH_H
#define HR_SOCKPATH_H

#include <stddef.h>

#include "status.h"

/* Longest path a sockaddr_un holds (sun_path minus the NUL). */
#define HR_SOCKPATH_MAX 107

/*
 * Write the default socket path into buf. -HR_INVALID_ARGUMENT when the
 * result would not fit a sockaddr_un (libuv would silently truncate it).
 */
int hr_sockpath_default(char *buf, size_t size, hr_error *err);

/* -HR_INVALID_ARGUMENT naming path when it is empty or too long. */
int hr_sockpath_check(const char *path, hr_error *err);

#endif
