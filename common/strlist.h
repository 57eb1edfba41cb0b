/* strlist.h — a growable list of owned strings. */
#ifndef HR_STRLIST_H
#define HR_STRLIST_H

#include <stddef.h>

typedef struct hr_strlist {
	char **items;
	size_t n;
	size_t cap;
} hr_strlist;

/* Append a copy of s (n bytes when len >= 0, else strlen). 0 or -1 (OOM). */
int hr_strlist_push(hr_strlist *l, const char *s);
int hr_strlist_pushn(hr_strlist *l, const char *s, size_t len);
void hr_strlist_free(hr_strlist *l);
/* The strings joined by single spaces ("" for none), malloc'ed; NULL
 * when out of memory. */
char *hr_strlist_join(const hr_strlist *l);
/* Whether a and b hold the same strings in the same order. */
int hr_strlist_equal(const hr_strlist *a, const hr_strlist *b);
/* Sort lexicographically (version rows are reported sorted). */
void hr_strlist_sort(hr_strlist *l);
/* The index of s in l; l->n when it is not there. */
size_t hr_strlist_find(const hr_strlist *l, const char *s);
/* Whether l holds s. */
int hr_strlist_has(const hr_strlist *l, const char *s);
/* Drop the first s from l, if there (order is not kept). */
void hr_strlist_remove(hr_strlist *l, const char *s);
/* Append the space-separated words of text (NULL: none) to l, as the
 * version rows are written in history rows. 0 or -1 (OOM). */
int hr_strlist_split(hr_strlist *l, const char *text);

#endif
