/* newrev.c — make a new migration file: id, slug, text, an exclusive write. */
#include "newrev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* Alembic's truncate_slug_length. */
#define SLUG_LEN 40

int hr_newrev_id(char out[HR_NEWREV_ID_LEN + 1], hr_error *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char bytes[HR_NEWREV_ID_LEN / 2];
	size_t got = 0;

	while (got < sizeof bytes) {
		ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hr_error_set(err, HR_INTERNAL,
					    "cannot get random bytes for a "
					    "revision id: %s",
					    strerror(errno));
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof bytes; i++) {
		out[2 * i] = hex[bytes[i] >> 4];
		out[2 * i + 1] = hex[bytes[i] & 15];
	}
	out[HR_NEWREV_ID_LEN] = '\0';
	return 0;
}

int hr_newrev_message_ok(const char *message, hr_error *err)
{
	size_t len = strlen(message);

	if (len == 0) {
		hr_error_set(err, HR_INVALID_ARGUMENT,
			     "a new revision needs a message (-m)");
		return 0;
	}
	if (len > HR_NEWREV_MESSAGE_MAX) {
		hr_error_set(err, HR_INVALID_ARGUMENT,
			     "the message is %zu bytes long; the limit is %d",
			     len, HR_NEWREV_MESSAGE_MAX);
		return 0;
	}
	for (const unsigned char *p = (const unsigned char *)message; *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			hr_error_set(err, HR_INVALID_ARGUMENT,
				     "the message must be one line without "
				     "control characters (byte 0x%02x at "
				     "offset %zu)",
				     *p, (size_t)(p - (const unsigned char *)
							      message));
			return 0;
		}
	return 1;
}

static int is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

void hr_newrev_slug(const char *message, char *out)
{
	char slug[HR_NEWREV_MESSAGE_MAX + 1];
	size_t n = 0, cut;
	const char *p = message;

	while (*p != '\0' && n < sizeof slug - 1) {
		while (*p != '\0' && !is_word_char(*p))
			p++;
		if (*p == '\0')
			break;
		if (n > 0)
			slug[n++] = '_';
		while (is_word_char(*p) && n < sizeof slug - 1) {
			char c = *p++;

			slug[n++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a')
							 : c;
		}
	}
	slug[n] = '\0';
	if (n <= SLUG_LEN) {
		memcpy(out, slug, n + 1);
		return;
	}
	/* Alembic: slug[:40].rsplit("_", 1)[0] + "_" */
	for (cut = SLUG_LEN; cut > 0 && slug[cut - 1] != '_'; cut--)
		;
	cut = cut > 0 ? cut - 1 : SLUG_LEN;
	memcpy(out, slug, cut);
	out[cut] = '_';
	out[cut + 1] = '\0';
}

/* ", "-joined list into f. */
static void put_list(FILE *f, const char *key, const char *const *items,
		     size_t n)
{
	fprintf(f, "-- %s:", key);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? ", " : " ", items[i]);
	fputc('\n', f);
}

char *hr_newrev_text(const hr_newrev *rev)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return NULL;
	fprintf(f, "-- revision: %s\n", rev->revision);
	put_list(f, "down_revision", rev->parents, rev->n_parents);
	if (rev->n_branch_labels > 0)
		put_list(f, "branch_labels", rev->branch_labels,
			 rev->n_branch_labels);
	if (rev->n_depends_on > 0)
		put_list(f, "depends_on", rev->depends_on, rev->n_depends_on);
	fprintf(f, "-- message: %s\n-- create_date: %s\n", rev->message,
		rev->create_date);
	if (rev->foreign_keys_off)
		fputs("-- foreign_keys: off\n", f);
	if (rev->n_parents > 1)
		fputs("\n-- A merge: usually no SQL of its own.\n", f);
	fputs(rev->body ? rev->body : "\n-- +upgrade\n\n-- +downgrade\n", f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* Write all of buf to fd. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int hr_newrev_write(const char *dir, const hr_newrev *rev, char **path_out,
		    hr_error *err)
{
	char slug[HR_NEWREV_SLUG_MAX + 1], *text, *path;
	size_t dlen = strlen(dir), size;
	int fd, saved, rc = 0;

	*path_out = NULL;
	hr_newrev_slug(rev->message, slug);
	size = dlen + 1 + strlen(rev->revision) + 1 + strlen(slug) + 5;
	path = malloc(size);
	text = hr_newrev_text(rev);
	if (path == NULL || text == NULL) {
		free(path);
		free(text);
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
				    "out of memory");
	}
	snprintf(path, size, "%s%s%s_%s.sql", dir,
		 dlen > 0 && dir[dlen - 1] == '/' ? "" : "/", rev->revision,
		 slug);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = hr_error_set(err,
				  errno == EEXIST ? HR_ALREADY_EXISTS
						  : HR_FAILED_PRECONDITION,
				  "cannot create %s: %s", path,
				  strerror(errno));
	} else if (write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0) {
		saved = errno;
		close(fd);
		unlink(path);
		rc = hr_error_set(err, HR_FAILED_PRECONDITION,
				  "cannot write %s: %s", path, strerror(saved));
	} else if (close(fd) < 0) {
		saved = errno;
		unlink(path);
		rc = hr_error_set(err, HR_FAILED_PRECONDITION,
				  "cannot write %s: %s", path, strerror(saved));
	}
	free(text);
	if (rc < 0)
		free(path);
	else
		*path_out = path;
	return rc;
}
