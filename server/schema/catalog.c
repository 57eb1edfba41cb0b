/* catalog.c — choose the catalog reader for a handle's dialect. */
#include "catalog.h"

#include <string.h>

int hr_catalog_read(hr_db *db, hr_schema *out, hr_error *err)
{
	*out = (hr_schema){0};
	if (strcmp(hr_db_dialect(db), "postgresql") == 0)
		return hr_catalog_read_postgresql(db, out, err);
	return hr_catalog_read_sqlite(db, out, err);
}
