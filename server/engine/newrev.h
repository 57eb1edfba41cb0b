/*
 * newrev.h — a new migration file, as `alembic revision` and `alembic
 * merge` make one: a fresh revision id, the header text, a file name
 * from the message, written into the migrations directory.
 *
 * Checking the new revision against the map (parents exist, labels are
 * free, the id is new) is the caller's job; this module only makes ids,
 * text and files.
 */
#ifndef HR_NEWREV_H
#define HR_NEWREV_H

#include <stddef.h>

#include "status.h"

/* A fresh id: 12 lowercase hex characters from the kernel's random
 * source (getrandom), as Alembic's uuid4().hex[-12:]. */
#define HR_NEWREV_ID_LEN 12
int hr_newrev_id(char out[HR_NEWREV_ID_LEN + 1], hr_error *err);

/* The longest message a new revision takes (one line of a header). */
#define HR_NEWREV_MESSAGE_MAX 512

/*
 * Whether message can be a revision's message: 1..HR_NEWREV_MESSAGE_MAX
 * bytes, one line, no control characters. 0 and err set otherwise.
 */
int hr_newrev_message_ok(const char *message, hr_error *err);

/*
 * Alembic's file-name slug of message: its words ([A-Za-z0-9_] runs)
 * lowercased and joined by '_', cut at a word boundary to 40 characters
 * (Alembic's truncate_slug_length) with a trailing '_' when cut. out
 * holds at least HR_NEWREV_SLUG_MAX + 1 bytes.
 */
#define HR_NEWREV_SLUG_MAX 41
void hr_newrev_slug(const char *message, char *out);

typedef struct hr_newrev {
	const char *revision;
	const char *const *parents; /* none: a new base; several: a merge */
	size_t n_parents;
	const char *const *branch_labels;
	size_t n_branch_labels;
	const char *const *depends_on;
	size_t n_depends_on;
	const char *message;
	const char *create_date; /* "YYYY-MM-DD HH:MM:SS" */
	int foreign_keys_off; /* write `-- foreign_keys: off` */
	/* What follows the header (review notes and sections); NULL: empty
	 * upgrade and downgrade sections. */
	const char *body;
} hr_newrev;

/* The file's text: the header and rev->body (by default empty upgrade
 * and downgrade sections), or NULL when out of memory. The caller frees
 * it. */
char *hr_newrev_text(const hr_newrev *rev);

/*
 * Write rev as "<dir>/<revision>_<slug>.sql", never replacing a file
 * (-HR_ALREADY_EXISTS), flushed to disk. *path_out (caller frees) is
 * the file written. A failure leaves no file behind.
 */
int hr_newrev_write(const char *dir, const hr_newrev *rev, char **path_out,
		    hr_error *err);

#endif
