/*
 * fuzz_migration.c — the migration file parser, then the revision map
 * built from the parsed file plus a fixed base (so parents, labels and
 * cycles in the input get resolved too).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "migration.h"
#include "revmap.h"

static const char base_file[] = "-- revision: aaaaaaaaaaaa\n"
				"-- message: base\n"
				"-- +upgrade\nCREATE TABLE t (id INTEGER);\n"
				"-- +downgrade\nDROP TABLE t;\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hr_migration *m = NULL, *base = NULL;
	hr_migration **migs;
	hr_revmap *map = NULL;
	hr_error err;

	if (hr_migration_parse("fuzz.sql", (const char *)data, size, &m, &err) < 0)
		return 0;
	for (size_t i = 0; i < m->n_sections; i++)
		(void)hr_section_applies(&m->sections[i], HR_UPGRADE, "sqlite");
	if (hr_migration_parse("base.sql", base_file, strlen(base_file), &base,
			       &err) < 0)
		__builtin_trap();
	migs = malloc(2 * sizeof *migs);
	migs[0] = base;
	migs[1] = m;
	if (hr_revmap_build(migs, 2, &map, &err) == 0) {
		for (size_t i = 0; i < hr_revmap_count(map); i++)
			(void)hr_revmap_is_head(map, hr_revmap_at(map, i));
		hr_revmap_free(map);
	}
	return 0;
}
