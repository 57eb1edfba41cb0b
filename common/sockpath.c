/* sockpath.c — the default socket location shared by hrd and hrctl. */
#include "sockpath.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int hr_sockpath_check(const char *path, hr_error *err)
{
	size_t len = strlen(path);

	if (len == 0)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "empty socket path");
	if (len > HR_SOCKPATH_MAX)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "socket path is %zu bytes, over the %d a "
				    "unix socket allows: %s",
				    len, HR_SOCKPATH_MAX, path);
	return 0;
}

int hr_sockpath_default(char *buf, size_t size, hr_error *err)
{
	const char *env = getenv("HOMERACK_SOCKET");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (env != NULL && env[0] != '\0')
		n = snprintf(buf, size, "%s", env);
	else if (xdg != NULL && xdg[0] == '/')
		n = snprintf(buf, size, "%s/homerack/hrd.sock", xdg);
	else if (geteuid() == 0)
		n = snprintf(buf, size, "/run/homerack/hrd.sock");
	else
		n = snprintf(buf, size, "/tmp/homerack-%ld/hrd.sock",
			     (long)geteuid());
	if (n < 0 || (size_t)n >= size)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "default socket path does not fit");
	return hr_sockpath_check(buf, err);
}
