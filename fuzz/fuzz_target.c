/*
 * fuzz_target.c — the revision-target grammar: any string as an upgrade,
 * downgrade and stamp target against a small map with a branch, a merge
 * and a label, from every current state.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

static hr_revmap *map;

static const char *const files[] = {
	"-- revision: a1\n",
	"-- revision: b2\n-- down_revision: a1\n-- branch_labels: lbl\n",
	"-- revision: c3\n-- down_revision: a1\n",
	"-- revision: d4\n-- down_revision: b2, c3\n",
	"-- revision: e5\n-- down_revision: d4\n-- depends_on: c3\n",
	"-- revision: f6\n-- down_revision: b2\n",
};

static void build_map(void)
{
	size_t n = sizeof files / sizeof *files;
	hr_migration **migs = malloc(n * sizeof *migs);
	hr_error err;

	for (size_t i = 0; i < n; i++)
		if (hr_migration_parse("t.sql", files[i], strlen(files[i]),
				       &migs[i], &err) < 0)
			__builtin_trap();
	if (hr_revmap_build(migs, n, &map, &err) < 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const states[][2] = {
		{NULL, NULL}, {"a1", NULL}, {"b2", "c3"}, {"e5", "f6"}, {"zz", NULL},
	};
	char target[256];
	hr_plan plan;

	if (map == NULL)
		build_map();
	if (size >= sizeof target)
		size = sizeof target - 1;
	memcpy(target, data, size);
	target[size] = '\0';
	for (size_t s = 0; s < sizeof states / sizeof *states; s++) {
		size_t n = states[s][0] == NULL ? 0 : states[s][1] == NULL ? 1 : 2;
		const char *const *cur = states[s];
		const char *targets[1] = {target};

		if (hr_plan_build(map, HR_UPGRADE, cur, n, target, &plan, NULL) == 0)
			hr_plan_free(&plan);
		if (hr_plan_build(map, HR_DOWNGRADE, cur, n, target, &plan, NULL) == 0)
			hr_plan_free(&plan);
		if (hr_plan_stamp(map, cur, n, targets, 1, s % 2, &plan, NULL) == 0)
			hr_plan_free(&plan);
	}
	return 0;
}
