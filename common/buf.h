/* buf.h — a growable text buffer with a ceiling. */
#ifndef HR_BUF_H
#define HR_BUF_H

#include <stddef.h>

/* Largest text a buffer grows to (a generated migration, a catalog
 * listing): past it every append fails. */
#define HR_BUF_MAX (64u * 1024 * 1024)

typedef struct hr_buf {
	char *data; /* NUL-terminated once anything was appended; else NULL */
	size_t len;
	size_t cap;
	int failed; /* an append ran out of memory or past HR_BUF_MAX */
} hr_buf;

/* Append text; on failure set b->failed and return -1 (later appends
 * keep failing, so a caller may check once at the end). */
int hr_buf_puts(hr_buf *b, const char *s);
int hr_buf_putn(hr_buf *b, const char *s, size_t n);
int hr_buf_printf(hr_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The text so far ("" when empty; never NULL unless out of memory). */
const char *hr_buf_str(hr_buf *b);
/* Hand the text to the caller (malloc'ed, "" when empty; NULL when the
 * buffer failed) and reset b. */
char *hr_buf_take(hr_buf *b);
void hr_buf_free(hr_buf *b);

#endif
