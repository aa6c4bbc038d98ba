/*
 * jsonsort.c: the stable in-place sort of a JSON array (jsonsort.h).
 *
 * qsort is not stable, so each element carries its index as the last key.
 */
#include <jansson.h>

#include "jsonsort.h"
#include "util.h"

struct item {
	json_t *v;
	size_t i;
};

static int item_cmp(const void *a, const void *b, void *ctx)
{
	const struct item *x = a, *y = b;
	int r = (*(jsonsort_cmp_fn *)ctx)(x->v, y->v);

	return r ? r : (x->i < y->i ? -1 : x->i > y->i);
}

void jsonsort_stable(json_t *arr, jsonsort_cmp_fn cmp)
{
	size_t n = json_array_size(arr), i;
	struct item *v;

	if (n < 2)
		return;
	v = xcalloc(n, sizeof(*v));
	for (i = 0; i < n; i++) {
		v[i].v = json_incref(json_array_get(arr, i));
		v[i].i = i;
	}
	qsort_r(v, n, sizeof(*v), item_cmp, &cmp);
	json_array_clear(arr);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, v[i].v);
	free(v);
}
