/*
 * gen.c — COUNT generated migrations in a straight line, small and
 * realistic: every tenth creates a table, the others alternately add a
 * column and index the column added before. The SQL is the same on
 * SQLite and PostgreSQL.
 *
 * Beside them, the floor: the same statements as one script per
 * direction for the sqlite3 or psql client, in the shape hrd gives each
 * step (docs/migrations.md, server/engine/runner.c): one transaction per
 * migration holding its SQL, the alembic_version change and one row of
 * homerack_schema_history.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define ID_LEN 12

/* A distinct 12-hex-digit id per index: i * odd constant mod 2^48 is a
 * bijection. */
static void rev_id(int i, char out[ID_LEN + 1])
{
	unsigned long long v = ((unsigned long long)i + 1) * 0x9E3779B97F4Bull;

	snprintf(out, ID_LEN + 1, "%012llx", v & 0xffffffffffffull);
}

typedef struct step_sql {
	char up[256], down[256], message[128];
} step_sql;

static void step_for(int i, step_sql *s)
{
	int table = i / 10, j = i % 10;

	if (j == 0) {
		snprintf(s->up, sizeof s->up,
			 "CREATE TABLE bench_%d (id INTEGER NOT NULL PRIMARY KEY, "
			 "name VARCHAR(64) NOT NULL);",
			 table);
		snprintf(s->down, sizeof s->down, "DROP TABLE bench_%d;", table);
		snprintf(s->message, sizeof s->message, "Create bench_%d", table);
	} else if (j % 2 == 1) {
		snprintf(s->up, sizeof s->up,
			 "ALTER TABLE bench_%d ADD COLUMN col_%d VARCHAR(64);",
			 table, j);
		snprintf(s->down, sizeof s->down,
			 "ALTER TABLE bench_%d DROP COLUMN col_%d;", table, j);
		snprintf(s->message, sizeof s->message,
			 "Add bench_%d.col_%d", table, j);
	} else {
		snprintf(s->up, sizeof s->up,
			 "CREATE INDEX ix_bench_%d_col_%d ON bench_%d (col_%d);",
			 table, j - 1, table, j - 1);
		snprintf(s->down, sizeof s->down,
			 "DROP INDEX ix_bench_%d_col_%d;", table, j - 1);
		snprintf(s->message, sizeof s->message,
			 "Index bench_%d.col_%d", table, j - 1);
	}
}

static FILE *open_or_die(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		bench_die("cannot write %s: %m", path);
	return f;
}

static void close_or_die(FILE *f, const char *path)
{
	if (ferror(f) | fclose(f))
		bench_die("cannot write %s", path);
}

/* One floor step: BEGIN; sql; version row; history row; COMMIT. */
static void floor_step(FILE *f, const char *begin, const char *sql,
		       const char *direction, const char *rev,
		       const char *from, const char *to, const char *message)
{
	fprintf(f, "%s;\n%s\n", begin, sql);
	if (from[0] == '\0')
		fprintf(f, "INSERT INTO alembic_version (version_num) VALUES "
			   "('%s');\n",
			to);
	else if (to[0] == '\0')
		fprintf(f, "DELETE FROM alembic_version WHERE version_num = "
			   "'%s';\n",
			from);
	else
		fprintf(f, "UPDATE alembic_version SET version_num = '%s' "
			   "WHERE version_num = '%s';\n",
			to, from);
	fprintf(f,
		"INSERT INTO homerack_schema_history (revision, direction, "
		"from_revisions, to_revisions, checksum, message, applied_at, "
		"duration_ms, peer_uid) VALUES ('%s', '%s', '%s', '%s', "
		"'%064d', '%s', '2026-01-01 00:00:00.000000', '0.100', '0');\n"
		"COMMIT;\n",
		rev, direction, from, to, 0, message);
}

static int gen_run(int argc, char **argv)
{
	static const struct option options[] = {
		{"count", required_argument, NULL, 'c'},
		{"dir", required_argument, NULL, 'd'},
		{"up-sql", required_argument, NULL, 'u'},
		{"down-sql", required_argument, NULL, 'w'},
		{"dialect", required_argument, NULL, 'l'},
		{0},
	};
	const char *dir = NULL, *up_path = NULL, *down_path = NULL;
	const char *dialect = "sqlite", *begin;
	char path[4096], rev[ID_LEN + 1], parent[ID_LEN + 1];
	int count = 0, opt;
	FILE *up, *down;
	step_sql s;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'c': count = atoi(optarg); break;
		case 'd': dir = optarg; break;
		case 'u': up_path = optarg; break;
		case 'w': down_path = optarg; break;
		case 'l': dialect = optarg; break;
		default: return 2;
		}
	}
	if (count < 1 || dir == NULL || up_path == NULL || down_path == NULL)
		bench_die("gen: needs --count, --dir, --up-sql and --down-sql");
	if (strcmp(dialect, "sqlite") == 0)
		begin = "BEGIN IMMEDIATE"; /* as hrd's SQLite backend */
	else if (strcmp(dialect, "postgresql") == 0)
		begin = "BEGIN";
	else
		bench_die("gen: --dialect is sqlite or postgresql");
	up = open_or_die(up_path);
	parent[0] = '\0';
	for (int i = 0; i < count; i++) {
		FILE *f;

		rev_id(i, rev);
		step_for(i, &s);
		snprintf(path, sizeof path, "%s/%s_bench_%04d.sql", dir, rev, i);
		f = open_or_die(path);
		fprintf(f,
			"-- revision: %s\n"
			"-- down_revision: %s\n"
			"-- message: %s\n"
			"-- create_date: 2026-01-01 00:00:00\n"
			"\n-- +upgrade\n%s\n"
			"\n-- +downgrade\n%s\n",
			rev, parent, s.message, s.up, s.down);
		close_or_die(f, path);
		floor_step(up, begin, s.up, "upgrade", rev, parent, rev,
			   s.message);
		strcpy(parent, rev);
	}
	close_or_die(up, up_path);
	down = open_or_die(down_path);
	for (int i = count - 1; i >= 0; i--) {
		rev_id(i, rev);
		if (i > 0)
			rev_id(i - 1, parent);
		else
			parent[0] = '\0';
		step_for(i, &s);
		floor_step(down, begin, s.down, "downgrade", rev, rev, parent,
			   s.message);
	}
	close_or_die(down, down_path);
	return 0;
}

const bench_cmd bench_cmd_gen = {
	.name = "gen",
	.usage = "--count N --dir DIR --up-sql FILE --down-sql FILE "
		 "[--dialect sqlite|postgresql]",
	.summary = "generate N migrations and the floor scripts for them",
	.run = gen_run,
};
