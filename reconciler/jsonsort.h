/*
 * jsonsort.h: sorting a JSON array in place, stably.
 *
 * Owns: the one stable sort that conversion (canonical list order) and
 * normalisation (order-free comparison) share. Does not own: what order a
 * list should have (the callers' comparison functions).
 */
#ifndef RECONCILER_JSONSORT_H
#define RECONCILER_JSONSORT_H

struct json_t;

typedef int (*jsonsort_cmp_fn)(const struct json_t *a, const struct json_t *b);

/* Sorts arr (a JSON array; anything else is left alone) by cmp; elements
 * that compare equal keep their order. */
void jsonsort_stable(struct json_t *arr, jsonsort_cmp_fn cmp);

#endif
