/*
 * engine_fixtures.h — helpers shared by the engine unit tests: parse
 * migrations from strings and build revision maps from one-line specs.
 */
#ifndef HR_ENGINE_FIXTURES_H
#define HR_ENGINE_FIXTURES_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "migration.h"
#include "revmap.h"

/* Fail, showing the message, unless err's message contains needle. */
#define assert_msg_contains(err, needle)                                     \
	do {                                                                 \
		if (strstr((err).msg, (needle)) == NULL)                     \
			fail_msg("error '%s' does not contain '%s'",         \
				 (err).msg, (needle));                       \
	} while (0)

/* Parse text as the migration file path; the test fails on error. */
static inline hr_migration *fx_parse(const char *path, const char *text)
{
	hr_migration *m = NULL;
	hr_error err = {0};

	if (hr_migration_parse(path, text, strlen(text), &m, &err) != 0)
		fail_msg("parse %s: %s", path, err.msg);
	return m;
}

/*
 * Build a map from a spec of space-separated entries
 * `id[:parents][|depends_on][#labels]`, lists comma-separated, e.g.
 * "a b:a c:a m:b,c x:a|b #rel". Entry k becomes the file "kk_id.sql".
 * Returns hr_revmap_build's result.
 */
static inline int fx_map(const char *spec, hr_revmap **out, hr_error *err)
{
	char *copy = strdup(spec), *save = NULL, *entry;
	hr_migration **migs = calloc(strlen(spec) + 1, sizeof *migs);
	size_t n = 0;

	assert_non_null(copy);
	assert_non_null(migs);
	for (entry = strtok_r(copy, " ", &save); entry != NULL;
	     entry = strtok_r(NULL, " ", &save)) {
		char *labels = strchr(entry, '#'), *deps, *parents;
		char path[64], text[1024];

		if (labels != NULL)
			*labels++ = '\0';
		deps = strchr(entry, '|');
		if (deps != NULL)
			*deps++ = '\0';
		parents = strchr(entry, ':');
		if (parents != NULL)
			*parents++ = '\0';
		snprintf(path, sizeof path, "%02zu_%s.sql", n, entry);
		snprintf(text, sizeof text,
			 "-- revision: %s\n-- down_revision: %s\n"
			 "-- depends_on: %s\n-- branch_labels: %s\n"
			 "-- +upgrade\nSELECT 1;\n",
			 entry, parents ? parents : "", deps ? deps : "",
			 labels ? labels : "");
		migs[n++] = fx_parse(path, text);
	}
	free(copy);
	return hr_revmap_build(migs, n, out, err);
}

/* fx_map that must succeed. */
static inline hr_revmap *fx_map_ok(const char *spec)
{
	hr_revmap *map = NULL;
	hr_error err = {0};

	if (fx_map(spec, &map, &err) != 0)
		fail_msg("map '%s': %s", spec, err.msg);
	return map;
}

/* A chain spec "r000 r001:r000 ..." of n revisions into buf. */
static inline char *fx_chain_spec(size_t n)
{
	char *spec = malloc(n * 16 + 1), *p = spec;
	size_t i;

	assert_non_null(spec);
	*p = '\0';
	for (i = 0; i < n; i++) {
		if (i == 0)
			p += sprintf(p, "r%04zu", i);
		else
			p += sprintf(p, " r%04zu:r%04zu", i, i - 1);
	}
	return spec;
}

#endif
