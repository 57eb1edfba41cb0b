/* backups.c — backup files of a SQLite database, beside it (backups.h). */
#include "backups.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define SUFFIX ".backup"
/* ".YYYYmmddTHHMMSS.mmmZ." after the database's name */
#define STAMP_LEN 22
/* Longest revision part: several long heads are cut to the first. */
#define REVS_MAX 100

/* The directory (".": none in the path) and file name of path. */
static void split_path(const char *path, char *dir, size_t dir_size,
		       const char **base)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		snprintf(dir, dir_size, ".");
		*base = path;
	} else if (slash == path) {
		snprintf(dir, dir_size, "/");
		*base = slash + 1;
	} else {
		snprintf(dir, dir_size, "%.*s", (int)(slash - path), path);
		*base = slash + 1;
	}
}

static int is_rev_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '+';
}

/* Whether name is "<db_base>.<stamp>.<revs>.backup". */
static int is_backup_name(const char *name, const char *db_base)
{
	size_t n = strlen(name), b = strlen(db_base), s = strlen(SUFFIX);
	const char *st, *revs;

	if (n <= b + STAMP_LEN + s || strncmp(name, db_base, b) != 0 ||
	    strcmp(name + n - s, SUFFIX) != 0)
		return 0;
	st = name + b;
	/* .YYYYmmddTHHMMSS.mmmZ. */
	for (int i = 0; i < STAMP_LEN; i++) {
		char c = st[i], want = ".________T______.___Z."[i];

		if (want == '_' ? (c < '0' || c > '9') : c != want)
			return 0;
	}
	revs = st + STAMP_LEN;
	if (revs >= name + n - s)
		return 0;
	for (const char *p = revs; p < name + n - s; p++)
		if (!is_rev_char(*p))
			return 0;
	return 1;
}

int hr_backups_possible(const hr_db *db, const char *db_path)
{
	return hr_db_can_backup(db) && db_path != NULL && db_path[0] != '\0' &&
	       strcmp(db_path, ":memory:") != 0;
}

const char *hr_backups_revisions(const char *path, size_t *len)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n < STAMP_LEN + strlen(SUFFIX) + 1)
		return NULL;
	/* Walk back over ".backup" and the revisions to the stamp's '.'. */
	const char *end = base + n - strlen(SUFFIX), *p = end;

	while (p > base && is_rev_char(p[-1]))
		p--;
	if (p == end || p == base || p[-1] != '.')
		return NULL;
	*len = (size_t)(end - p);
	return p;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int hr_backups_list(const char *db_path, hr_strlist *out, hr_error *err)
{
	char dir[PATH_MAX];
	const char *base;
	struct dirent *e;
	DIR *d;

	split_path(db_path, dir, sizeof dir, &base);
	if ((d = opendir(dir)) == NULL)
		return hr_error_set(err, HR_UNAVAILABLE,
				    "cannot read %s: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		char *path = NULL;
		int pushed;

		if (!is_backup_name(e->d_name, base))
			continue;
		if (asprintf(&path, "%s/%s", dir, e->d_name) < 0)
			path = NULL;
		pushed = path != NULL && hr_strlist_push(out, path) == 0;
		free(path);
		if (!pushed) {
			closedir(d);
			return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
					    "out of memory");
		}
	}
	closedir(d);
	/* The stamp follows the common prefix: by name is by age. */
	if (out->n > 1)
		qsort(out->items, out->n, sizeof *out->items, cmp_str);
	return 0;
}

/* The revision part for rows: "base", the heads joined with '+', or the
 * first head and "+N" more when that would be too long. */
static void revisions_part(const hr_strlist *rows, char *buf, size_t size)
{
	size_t used = 0;

	if (rows->n == 0) {
		snprintf(buf, size, "base");
		return;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < rows->n; i++) {
		size_t len = strlen(rows->items[i]);

		if (used + len + 1 >= REVS_MAX || used + len + 1 >= size) {
			snprintf(buf, size, "%s+%zumore", rows->items[0],
				 rows->n - 1);
			return;
		}
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 i ? "+" : "", rows->items[i]);
	}
}

/* Delete the oldest backups of db_path beyond the newest keep. */
static void prune(const char *db_path, size_t keep)
{
	hr_strlist all = {0};
	hr_error err;

	if (hr_backups_list(db_path, &all, &err) < 0) {
		hr_log(HR_LOG_WARN, "backups: %s", err.msg);
		return;
	}
	for (size_t i = 0; all.n > keep && i < all.n - keep; i++) {
		if (unlink(all.items[i]) == 0)
			hr_log(HR_LOG_INFO, "backups: removed %s (keeping the "
					    "newest %zu)",
			       all.items[i], keep);
		else
			hr_log(HR_LOG_WARN, "backups: cannot remove %s: %s",
			       all.items[i], strerror(errno));
	}
	hr_strlist_free(&all);
}

/* Create path (0600, new) and copy db into it; remove it on failure. */
static int copy_into_new(hr_db *db, const char *path, int fd,
			 hr_error *err)
{
	int rc;

	if (fd < 0)
		return hr_error_set(err, HR_UNAVAILABLE, "cannot create %s: %s",
				    path, strerror(errno));
	close(fd);
	rc = hr_db_backup(db, path, err);
	if (rc < 0)
		hr_backups_drop_copy(path);
	return rc;
}

int hr_backups_take(hr_db *db, const char *db_path, const hr_strlist *rows,
		    size_t keep, char **made, hr_error *err)
{
	char path[PATH_MAX], revs[REVS_MAX + 16];
	struct timespec now;
	struct tm tm;
	int rc;

	*made = NULL;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	revisions_part(rows, revs, sizeof revs);
	if (snprintf(path, sizeof path,
		     "%s.%04d%02d%02dT%02d%02d%02d.%03ldZ.%s" SUFFIX, db_path,
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000,
		     revs) >= (int)sizeof path)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "backup: the database path is too long");
	rc = copy_into_new(db, path,
			   open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
				0600),
			   err);
	if (rc < 0)
		return rc;
	if ((*made = strdup(path)) == NULL)
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	prune(db_path, keep);
	return 0;
}

int hr_backups_resolve(const char *db_path, const char *given, char **path,
		       hr_error *err)
{
	char dir[PATH_MAX], want_dir[PATH_MAX], real_dir[PATH_MAX],
		real_given[PATH_MAX];
	const char *base, *gbase;
	hr_strlist all = {0};
	int rc;

	*path = NULL;
	if (given == NULL || given[0] == '\0') {
		if ((rc = hr_backups_list(db_path, &all, err)) < 0)
			return rc;
		if (all.n == 0)
			rc = hr_error_set(err, HR_NOT_FOUND,
					  "no backup of %s to restore",
					  db_path);
		else if ((*path = strdup(all.items[all.n - 1])) == NULL)
			rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED,
					  "out of memory");
		hr_strlist_free(&all);
		return rc;
	}
	split_path(db_path, dir, sizeof dir, &base);
	split_path(given, want_dir, sizeof want_dir, &gbase);
	/* A bare name is looked for beside the database; any path must
	 * lead there, as one of its backups, and nowhere else. */
	if (strchr(given, '/') == NULL)
		snprintf(want_dir, sizeof want_dir, "%s", dir);
	if (!is_backup_name(gbase, base) ||
	    realpath(dir, real_dir) == NULL ||
	    realpath(want_dir, real_given) == NULL ||
	    strcmp(real_dir, real_given) != 0)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "'%s' is not a backup hrd made of this "
				    "database (see hrctl restore --list)",
				    given);
	if (asprintf(path, "%s/%s", dir, gbase) < 0) {
		*path = NULL;
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	}
	if (access(*path, R_OK) != 0) {
		rc = hr_error_set(err, HR_NOT_FOUND, "backup '%s': %s", given,
				  strerror(errno));
		free(*path);
		*path = NULL;
		return rc;
	}
	return 0;
}

int hr_backups_temp_copy(hr_db *db, const char *db_path, char **path,
			 hr_error *err)
{
	char tmpl[PATH_MAX];
	int rc;

	*path = NULL;
	if (snprintf(tmpl, sizeof tmpl, "%s.rehearsal-XXXXXX", db_path) >=
	    (int)sizeof tmpl)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "rehearsal: the database path is too long");
	rc = copy_into_new(db, tmpl, mkostemp(tmpl, O_CLOEXEC), err);
	if (rc < 0)
		return rc;
	if ((*path = strdup(tmpl)) == NULL) {
		hr_backups_drop_copy(tmpl);
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	}
	return 0;
}

void hr_backups_drop_copy(const char *path)
{
	static const char *const sides[] = {"-wal", "-shm", "-journal"};
	char side[PATH_MAX];

	unlink(path);
	for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++) {
		int n = snprintf(side, sizeof side, "%s%s", path, sides[i]);

		/* A name cut short would be some other file's. */
		if (n > 0 && (size_t)n < sizeof side)
			unlink(side);
	}
}
