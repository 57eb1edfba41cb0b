/* table.c — every RPC hrd serves; adding one is a file plus a line here. */
#include <string.h>

#include "methods.h"

static const hr_method *const methods[] = {
	&hr_method_current,  &hr_method_history, &hr_method_upgrade,
	&hr_method_downgrade, &hr_method_stamp,   &hr_method_watch,
	&hr_method_show,      &hr_method_verify,  &hr_method_script,
	&hr_method_revision,  &hr_method_merge,   &hr_method_models,
	&hr_method_check,
	&hr_method_health_check, &hr_method_health_watch,
	&hr_method_reflection_v1, &hr_method_reflection_v1alpha,
};

int hr_methods_init(hr_server *server, hr_error *err)
{
	int rc;

	if ((rc = hr_watch_init(server, err)) < 0 ||
	    (rc = hr_current_init(server, err)) < 0 ||
	    (rc = hr_models_state_init(server, err)) < 0)
		return rc;
	return 0;
}

const hr_method *hr_method_find(const char *path)
{
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strcmp(methods[i]->path, path) == 0)
			return methods[i];
	return NULL;
}
