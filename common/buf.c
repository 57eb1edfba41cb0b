/* buf.c — a growable text buffer with a ceiling. */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(hr_buf *b, size_t more)
{
	size_t need, cap;
	char *p;

	if (b->failed)
		return -1;
	if (more > HR_BUF_MAX - b->len - 1) {
		b->failed = 1;
		return -1;
	}
	need = b->len + more + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > HR_BUF_MAX / 2 ? HR_BUF_MAX : cap * 2;
	p = realloc(b->data, cap);
	if (p == NULL) {
		b->failed = 1;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int hr_buf_putn(hr_buf *b, const char *s, size_t n)
{
	if (grow(b, n) < 0)
		return -1;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int hr_buf_puts(hr_buf *b, const char *s)
{
	return hr_buf_putn(b, s, strlen(s));
}

int hr_buf_printf(hr_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || grow(b, (size_t)n) < 0) {
		b->failed = 1;
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

const char *hr_buf_str(hr_buf *b)
{
	if (b->data == NULL && grow(b, 0) == 0)
		b->data[0] = '\0';
	return b->data;
}

char *hr_buf_take(hr_buf *b)
{
	char *s = NULL;

	if (!b->failed) {
		hr_buf_str(b);
		s = b->data;
		b->data = NULL;
	}
	hr_buf_free(b);
	return s;
}

void hr_buf_free(hr_buf *b)
{
	free(b->data);
	*b = (hr_buf){0};
}
