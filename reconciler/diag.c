/*
 * diag.c: the problem list declared in diag.h.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

void diag_release(struct diag *d)
{
	for (size_t i = 0; i < d->nr; i++) {
		free(d->items[i].file);
		free(d->items[i].message);
	}
	free(d->items);
	memset(d, 0, sizeof(*d));
}

void diag_vadd(struct diag *d, enum diag_severity sev, const char *file,
               unsigned line, unsigned col, const char *fmt, va_list ap)
{
	size_t max = d->max_items ? d->max_items : 1000;
	struct diag_item *it;

	if (sev == DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
	if (sev == DIAG_WARNING && d->nr >= max) {
		d->dropped++;
		return;
	}
	ALLOC_GROW(d->items, d->nr + 1, d->alloc);
	it = &d->items[d->nr++];
	it->severity = sev;
	it->file = xstrdup(file ? file : "");
	it->line = line;
	it->col = col;
	it->message = xvasprintf(fmt, ap);
	it->seq = d->nr - 1;
}

void diag_add(struct diag *d, enum diag_severity sev, const char *file,
              unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, sev, file, line, col, fmt, ap);
	va_end(ap);
}

static int cmp_item(const void *x, const void *y)
{
	const struct diag_item *a = x, *b = y;
	int c = (a->severity == DIAG_WARNING) - (b->severity == DIAG_WARNING);

	if (!c)
		c = strcmp(a->file, b->file);
	if (!c && a->line != b->line)
		c = a->line > b->line ? 1 : -1;
	if (!c && a->col != b->col)
		c = a->col > b->col ? 1 : -1;
	/* the order found breaks ties: qsort is not stable by itself */
	return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

void diag_sort(struct diag *d)
{
	if (d->nr > 1)
		qsort(d->items, d->nr, sizeof(*d->items), cmp_item);
}

int diag_has_error_at(const struct diag *d, const char *file, unsigned line,
                      unsigned col)
{
	for (size_t i = 0; i < d->nr; i++) {
		const struct diag_item *it = &d->items[i];

		if (it->severity == DIAG_ERROR && it->line == line &&
		    it->col == col && !strcmp(it->file, file ? file : ""))
			return 1;
	}
	return 0;
}

void diag_print(const struct diag *d, FILE *fp)
{
	for (size_t i = 0; i < d->nr; i++) {
		const struct diag_item *it = &d->items[i];
		const char *sev =
		        it->severity == DIAG_WARNING ? "warning: " : "";

		if (it->file[0] && it->line)
			fprintf(fp, "%s:%u:%u: %s%s\n", it->file, it->line,
			        it->col, sev, it->message);
		else if (it->file[0])
			fprintf(fp, "%s: %s%s\n", it->file, sev, it->message);
		else
			fprintf(fp, "%s%s\n", sev, it->message);
	}
	if (d->dropped)
		fprintf(fp, "... and %zu more warnings not shown\n",
		        d->dropped);
}

json_t *diag_to_json(const struct diag *d)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < d->nr; i++) {
		const struct diag_item *it = &d->items[i];

		json_array_append_new(
		        arr,
		        json_pack("{s:s, s:I, s:I, s:s, s:s}", "file", it->file,
		                  "line", (json_int_t)it->line, "column",
		                  (json_int_t)it->col, "severity",
		                  it->severity == DIAG_WARNING ? "warning"
		                                               : "error",
		                  "message", it->message));
	}
	return arr;
}
