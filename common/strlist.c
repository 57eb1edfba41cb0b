/* strlist.c — growable string list. */
#include "strlist.h"

#include <stdlib.h>
#include <string.h>

int hr_strlist_pushn(hr_strlist *l, const char *s, size_t len)
{
	char *copy;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		char **items = realloc(l->items, cap * sizeof *items);

		if (items == NULL)
			return -1;
		l->items = items;
		l->cap = cap;
	}
	copy = malloc(len + 1);
	if (copy == NULL)
		return -1;
	memcpy(copy, s, len);
	copy[len] = '\0';
	l->items[l->n++] = copy;
	return 0;
}

int hr_strlist_push(hr_strlist *l, const char *s)
{
	return hr_strlist_pushn(l, s, strlen(s));
}

void hr_strlist_free(hr_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	memset(l, 0, sizeof *l);
}

char *hr_strlist_join(const hr_strlist *l)
{
	size_t len = 1, used = 0;
	char *s;

	for (size_t i = 0; i < l->n; i++)
		len += strlen(l->items[i]) + 1;
	s = malloc(len);
	if (s == NULL)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < l->n; i++) {
		size_t n = strlen(l->items[i]);

		if (i > 0)
			s[used++] = ' ';
		memcpy(s + used, l->items[i], n + 1);
		used += n;
	}
	return s;
}

int hr_strlist_equal(const hr_strlist *a, const hr_strlist *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i], b->items[i]) != 0)
			return 0;
	return 1;
}

static int compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void hr_strlist_sort(hr_strlist *l)
{
	if (l->n > 1)
		qsort(l->items, l->n, sizeof *l->items, compare);
}

size_t hr_strlist_find(const hr_strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->items[i], s) == 0)
			break;
	return i;
}

int hr_strlist_has(const hr_strlist *l, const char *s)
{
	return hr_strlist_find(l, s) < l->n;
}

void hr_strlist_remove(hr_strlist *l, const char *s)
{
	size_t i = hr_strlist_find(l, s);

	if (i == l->n)
		return;
	free(l->items[i]);
	l->items[i] = l->items[--l->n];
}

int hr_strlist_split(hr_strlist *l, const char *text)
{
	const char *p = text ? text : "";

	while (*p != '\0') {
		size_t n;

		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n > 0 && hr_strlist_pushn(l, p, n) < 0)
			return -1;
		p += n;
	}
	return 0;
}
