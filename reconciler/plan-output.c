/*
 * plan-output.c: the human and JSON views of a plan, and the comparison
 * that refuses a stale saved plan (plan.h).
 *
 * The JSON view carries no spec at all, only names, live versions and spec
 * hashes: a saved plan is a fingerprint to re-check, never a copy of secret
 * or config data. Both views show each changed value through
 * specdiff_shown(), so an environment value is a hash unless asked for.
 */
#include <jansson.h>

#include "err.h"
#include "plan-int.h"
#include "specdiff.h"

static const char op_sign[] = {'+', '~', '-', '~'};

static unsigned diff_flags(unsigned flags)
{
	return flags & PLAN_SHOW_ENV ? SPECDIFF_SHOW_ENV : 0;
}

static void print_value(FILE *fp, const char *path, const json_t *v,
                        unsigned flags)
{
	char *s, *shown;

	if (!v || json_is_null(v)) {
		fputs("(none)", fp);
		return;
	}
	s = json_is_string(v) ? xstrdup(json_string_value(v))
	                      : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	shown = s ? specdiff_shown(path, s, diff_flags(flags)) : NULL;
	fputs(shown ? shown : "?", fp);
	free(shown);
	free(s);
}

/* ", N to adopt" when the plan adopts anything. */
static const char *adopt_summary(const struct plan *p, char *buf, size_t n)
{
	if (!p->nadopt)
		return "";
	snprintf(buf, n, ", %zu to adopt", p->nadopt);
	return buf;
}

/* A copy of changes with each value as it may be shown. */
static json_t *shown_changes(const json_t *changes, unsigned flags)
{
	json_t *out = json_array();
	const json_t *ch;
	size_t i;

	json_array_foreach (changes, i, ch) {
		const char *path =
		        json_string_value(json_object_get(ch, "path"));
		char *o = specdiff_shown(
		        path, json_string_value(json_object_get(ch, "old")),
		        diff_flags(flags));
		char *n = specdiff_shown(
		        path, json_string_value(json_object_get(ch, "new")),
		        diff_flags(flags));

		json_array_append_new(out,
		                      json_pack("{s:s?, s:s?, s:s?}", "path",
		                                path, "old", o, "new", n));
		free(o);
		free(n);
	}
	return out;
}

void plan_print(const struct plan *p, FILE *fp, unsigned flags)
{
	const json_t *sk;
	char buf[48];
	size_t i;

	for (i = 0; i < p->nr; i++) {
		const struct plan_action *a = &p->actions[i];
		const json_t *ch;
		size_t k;

		fprintf(fp, "%c %s %-7s %s\n", op_sign[a->op],
		        plan_op_name(a->op), plan_kind_name(a->kind), a->name);
		json_array_foreach (a->changes, k, ch) {
			const char *path =
			        json_string_value(json_object_get(ch, "path"));

			fprintf(fp, "      %s: ", path);
			print_value(fp, path, json_object_get(ch, "old"),
			            flags);
			fputs(" -> ", fp);
			print_value(fp, path, json_object_get(ch, "new"),
			            flags);
			fputc('\n', fp);
		}
	}
	json_array_foreach (p->skipped, i, sk)
		fprintf(fp,
		        "! skip   service %s: its desired spec failed "
		        "before (%s); change the spec to retry\n",
		        json_string_value(json_object_get(sk, "name")),
		        json_string_value(json_object_get(sk, "reason")));
	if (plan_empty(p))
		fprintf(fp, "No changes: the swarm matches %.12s.\n",
		        p->revision);
	else
		fprintf(fp,
		        "Plan: %zu to create, %zu to update, %zu to "
		        "remove%s.\n",
		        p->ncreate, p->nupdate, p->nremove,
		        adopt_summary(p, buf, sizeof(buf)));
}

json_t *plan_to_json(const struct plan *p, unsigned flags)
{
	json_t *actions = json_array();

	for (size_t i = 0; i < p->nr; i++) {
		const struct plan_action *a = &p->actions[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:I, s:s?}",
		                      "op", plan_op_name(a->op), "kind",
		                      plan_kind_name(a->kind), "name", a->name,
		                      "stack", a->stack, "id", a->id, "version",
		                      (json_int_t)a->version, "spec_hash",
		                      a->spec_hash);

		if (a->changes)
			json_object_set_new(o, "changes",
			                    shown_changes(a->changes, flags));
		if (a->kind == PLAN_SERVICE && a->op != PLAN_REMOVE)
			json_object_set_new(o, "restarts_tasks",
			                    json_boolean(a->rollout));
		json_array_append_new(actions, o);
	}
	return json_pack(
	        "{s:s, s:i, s:s, s:s, s:b, s:{s:I, s:I, s:I, s:I}, s:o, "
	        "s:O}",
	        "kind", "kedge-plan", "format", PLAN_FORMAT, "revision",
	        p->revision, "source", p->source, "destructive", p->destructive,
	        "summary", "create", (json_int_t)p->ncreate, "update",
	        (json_int_t)p->nupdate, "remove", (json_int_t)p->nremove,
	        "adopt", (json_int_t)p->nadopt, "actions", actions, "skipped",
	        p->skipped);
}

static int same_str(const json_t *o, const char *key, const char *want)
{
	const char *have = json_string_value(json_object_get(o, key));

	if (!have || !want)
		return !have && !want;
	return !strcmp(have, want);
}

int plan_matches(const json_t *saved, const struct plan *fresh, struct err *err)
{
	const json_t *actions = json_object_get(saved, "actions");

	if (!same_str(saved, "kind", "kedge-plan") ||
	    json_integer_value(json_object_get(saved, "format")) !=
	            PLAN_FORMAT ||
	    !json_is_array(actions))
		return err_set(err, ERR_INVALID,
		               "not a kedge plan of format %d", PLAN_FORMAT);
	if (!same_str(saved, "revision", fresh->revision))
		return err_set(
		        err, ERR_CONFLICT,
		        "the plan was made at revision %.12s, but the "
		        "desired state is now at %.12s",
		        json_string_value(json_object_get(saved, "revision")),
		        fresh->revision);
	for (size_t i = 0; i < fresh->nr || i < json_array_size(actions); i++) {
		const struct plan_action *a =
		        i < fresh->nr ? &fresh->actions[i] : NULL;
		const json_t *s = json_array_get(actions, i);

		if (!a || !s)
			return err_set(
			        err, ERR_CONFLICT,
			        "the plan had %zu actions; the swarm now "
			        "needs %zu",
			        json_array_size(actions), fresh->nr);
		if (!same_str(s, "op", plan_op_name(a->op)) ||
		    !same_str(s, "kind", plan_kind_name(a->kind)) ||
		    !same_str(s, "name", a->name) ||
		    !same_str(s, "id", a->id) ||
		    !same_str(s, "spec_hash", a->spec_hash) ||
		    (uint64_t)json_integer_value(
		            json_object_get(s, "version")) != a->version)
			return err_set(
			        err, ERR_CONFLICT,
			        "%s %s %s has changed since the plan was "
			        "made",
			        plan_op_name(a->op), plan_kind_name(a->kind),
			        a->name);
	}
	return 0;
}
