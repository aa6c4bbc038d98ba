/*
 * verify-backups.c: the checks of the backups/ files beyond their schema
 * (verify-int.h): cron schedules, time zones, a target service that some
 * stack has, and backup names unique across files.
 */
#include <jansson.h>

#include "cron.h"
#include "desired.h"
#include "diag.h"
#include "err.h"
#include "verify-int.h"

/* Does some stack have this service? Accepts "svc", "stack/svc", "stack_svc".
 */
static int service_exists(const struct desired *d, const char *stack,
                          const char *svc)
{
	for (size_t i = 0; i < d->nstacks; i++) {
		const struct desired_stack *st = &d->stacks[i];
		json_t *svcs = json_object_get(st->compose.doc, "services");
		size_t nl = strlen(st->name);
		const char *v = svc;

		if (stack && strcmp(stack, st->name))
			continue;
		if (!stack && !strncmp(svc, st->name, nl) &&
		    (svc[nl] == '/' || svc[nl] == '_') &&
		    json_object_get(svcs, svc + nl + 1))
			return 1;
		if (json_object_get(svcs, v))
			return 1;
	}
	return 0;
}

static void check_cron(struct diag *diag, const struct desired_doc *doc,
                       const char *ptr, const char *expr, const char *what)
{
	struct cron c;
	struct err e;
	unsigned line, col;

	err_clear(&e);
	if (!expr || !cron_parse(&c, expr, &e))
		return;
	verify_doc_pos(doc, ptr, &line, &col);
	diag_add(diag, DIAG_ERROR, doc->path, line, col, "%s '%s': %s", what,
	         expr, e.msg);
}

struct seen {
	char *name;
	const char *path;
	unsigned line;
};

static void check_backup(const struct desired *d, const struct desired_doc *doc,
                         size_t i, json_t *b, struct seen **seen, size_t *nseen,
                         struct diag *diag)
{
	const char *name = json_string_value(json_object_get(b, "name"));
	const char *tz = json_string_value(json_object_get(b, "timezone"));
	json_t *target = json_object_get(b, "target");
	const char *svc = json_string_value(json_object_get(target, "service"));
	const char *stack = json_string_value(json_object_get(target, "stack"));
	char *ptr = xasprintf("/backups/%zu", i), *sub;
	unsigned line, col;
	struct err e;

	verify_doc_pos(doc, ptr, &line, &col);
	for (size_t k = 0; name && k < *nseen; k++)
		if (!strcmp((*seen)[k].name, name))
			diag_add(diag, DIAG_ERROR, doc->path, line, col,
			         "backup name '%s' is already used at %s:%u",
			         name, (*seen)[k].path, (*seen)[k].line);
	if (name) {
		*seen = xrealloc(*seen, (*nseen + 1) * sizeof(**seen));
		(*seen)[*nseen].name = xstrdup(name);
		(*seen)[*nseen].path = doc->path;
		(*seen)[(*nseen)++].line = line;
	}
	sub = xasprintf("%s/schedule", ptr);
	check_cron(diag, doc, sub,
	           json_string_value(json_object_get(b, "schedule")),
	           "schedule");
	free(sub);
	sub = xasprintf("%s/verify/restore_test_schedule", ptr);
	check_cron(
	        diag, doc, sub,
	        json_string_value(json_object_get(json_object_get(b, "verify"),
	                                          "restore_test_schedule")),
	        "restore_test_schedule");
	free(sub);
	err_clear(&e);
	if (tz && cron_check_timezone(tz, &e)) {
		sub = xasprintf("%s/timezone", ptr);
		verify_doc_pos(doc, sub, &line, &col);
		diag_add(diag, DIAG_ERROR, doc->path, line, col, "%s", e.msg);
		free(sub);
	}
	if (svc && !service_exists(d, stack, svc)) {
		sub = xasprintf("%s/target/service", ptr);
		verify_doc_pos(doc, sub, &line, &col);
		diag_add(diag, DIAG_ERROR, doc->path, line, col,
		         "backup '%s': target service '%s' is not a service of "
		         "%s%s",
		         name ? name : "?", svc, stack ? "stack " : "any stack",
		         stack ? stack : "");
		free(sub);
	}
	free(ptr);
}

void verify_backups(const struct desired *d, struct diag *diag)
{
	struct seen *seen = NULL;
	size_t nseen = 0;

	for (size_t f = 0; f < d->nbackups; f++) {
		const struct desired_doc *doc = &d->backups[f];
		json_t *list = json_object_get(doc->doc, "backups"), *b;
		size_t i;

		json_array_foreach (list, i, b)
			check_backup(d, doc, i, b, &seen, &nseen, diag);
	}
	for (size_t k = 0; k < nseen; k++)
		free(seen[k].name);
	free(seen);
}
