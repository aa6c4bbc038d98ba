/*
 * promplan.c: the Prometheus part of a plan (promplan.h).
 */
#include <jansson.h>

#include "err.h"
#include "promplan.h"

int promplan_managed(const struct promplan_opts *o)
{
	return (o->rules.url && *o->rules.url) || (o->am.url && *o->am.url);
}

int promplan_build(struct promplan *out, const struct desired *d,
                   const struct promplan_opts *o, struct diag *diag,
                   struct err *err)
{
	int error = 0;

	memset(out, 0, sizeof(*out));
	if (o->rules.url && *o->rules.url &&
	    (error = rules_plan_build(&out->rules, d, &o->rules, err)))
		return error;
	if (o->am.url && *o->am.url)
		error = am_plan_build(&out->am, d, &o->am, diag, err);
	return error;
}

void promplan_release(struct promplan *p)
{
	rules_plan_free(p->rules);
	am_plan_free(p->am);
	memset(p, 0, sizeof(*p));
}

int promplan_empty(const struct promplan *p)
{
	return rules_plan_empty(p->rules) && am_plan_empty(p->am);
}

void promplan_print(const struct promplan *p, FILE *fp)
{
	rules_plan_print(p->rules, fp);
	if (p->am)
		am_plan_print(p->am, fp);
}

json_t *promplan_to_json(const struct promplan *p)
{
	return json_pack("{s:o, s:o}", "rules",
	                 p->rules ? rules_plan_to_json(p->rules) : json_null(),
	                 "alertmanager",
	                 p->am ? am_plan_to_json(p->am) : json_null());
}

int promplan_apply(const struct promplan *p, const struct promplan_opts *o,
                   struct err *err)
{
	int error;

	if (p->rules && (error = rules_apply(p->rules, &o->rules, err)))
		return error;
	if (p->am && !am_plan_empty(p->am))
		return am_apply(p->am, &o->am, err);
	return 0;
}

size_t promplan_count(const struct promplan *p)
{
	size_t n = 0;

	(void)rules_plan_changes(p->rules, &n);
	return n + (am_plan_empty(p->am) ? 0 : 1);
}
