/* pballoc.c — budgeted allocator for protobuf-c. */
#include "pballoc.h"

#include <stdalign.h>
#include <stdlib.h>

/* Each block carries its size in front so free can credit the budget;
 * the header is max_align_t-sized to keep the payload aligned. */
typedef union block_header {
	size_t size;
	max_align_t align;
} block_header;

static void *budget_alloc(void *data, size_t size)
{
	hr_pballoc *a = data;
	block_header *h;

	if (size > a->limit - a->used)
		return NULL;
	h = malloc(sizeof *h + size);
	if (h == NULL)
		return NULL;
	h->size = size;
	a->used += size;
	return h + 1;
}

static void budget_free(void *data, void *ptr)
{
	hr_pballoc *a = data;
	block_header *h;

	if (ptr == NULL)
		return;
	h = (block_header *)ptr - 1;
	a->used -= h->size;
	free(h);
}

void hr_pballoc_init(hr_pballoc *a, size_t limit)
{
	a->base.alloc = budget_alloc;
	a->base.free = budget_free;
	a->base.allocator_data = a;
	a->used = 0;
	a->limit = limit;
}
