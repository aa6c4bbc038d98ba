/*
 * test-plan.c: plan_build on recorded live snapshots (tests/unit/data):
 * pruning touches only this instance's objects and only the stacks in
 * scope, an empty desired state is refused without allow_empty, and a
 * desired name taken by an object kedge does not own is an error.
 *
 * The desired state is a folder loaded as `kedge diff --worktree` loads
 * it; the snapshot is indexed here as live_read indexes what it reads.
 */
#include <jansson.h>
#include <stdio.h>
#include <sys/stat.h>

#include "desired.h"
#include "diag.h"
#include "err.h"
#include "live.h"
#include "plan.h"
#include "schema.h"
#include "source.h"
#include "unit.h"
#include "util.h"

struct fixture {
	char dir[64];
	struct schema *schemas;
	struct source *src;
	struct desired *d;
	struct live *l;
	struct plan *p;
	struct diag diag;
};

static void put(const char *dir, const char *rel, const char *text)
{
	char *p = xasprintf("%s/%s", dir, rel);
	FILE *f = fopen(p, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static void mkdirs(const char *dir, const char *rel)
{
	char *p = xasprintf("%s/%s", dir, rel);

	ck_assert_int_eq(mkdir(p, 0700), 0);
	free(p);
}

/* Loads a desired state whose stacks/ holds stack web (unless !compose). */
static void load(struct fixture *fx, const char *compose)
{
	struct source_opts so = {0};
	struct diag diag = DIAG_INIT;
	struct err e;

	err_clear(&e);
	memset(fx, 0, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/kedge-plan-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx->dir));
	mkdirs(fx->dir, "stacks");
	put(fx->dir, "kedge.yml", "{}\n");
	if (compose) {
		mkdirs(fx->dir, "stacks/web");
		put(fx->dir, "stacks/web/compose.yml", compose);
	}
	fx->schemas = schema_new();
	ck_assert_msg(!schema_add_dir(fx->schemas, "schema", &e), "%s", e.msg);
	so.worktree = fx->dir;
	ck_assert_msg(!source_open(&fx->src, &so, &e), "%s", e.msg);
	ck_assert_msg(!desired_load(&fx->d, fx->src, fx->schemas, &diag, &e),
	              "%s", e.msg);
	ck_assert_msg(!diag.errors, "%s",
	              diag.nr ? diag.items[0].message : "?");
	diag_release(&diag);
}

/* A struct live over a recorded snapshot, extended with extra services. */
static struct live *live_of(const char *file, const char *extra_services)
{
	struct live *l;
	json_error_t je;
	json_t *snap = json_load_file(file, 0, &je);

	ck_assert_msg(snap != NULL, "%s: %s", file, je.text);
	if (extra_services) {
		json_t *more = json_loads(extra_services, 0, &je);

		ck_assert_msg(more != NULL, "%s", je.text);
		json_array_extend(json_object_get(snap, "services"), more);
		json_decref(more);
	}
	l = live_from_json(json_incref(json_object_get(snap, "services")),
	                   json_incref(json_object_get(snap, "networks")),
	                   json_incref(json_object_get(snap, "configs")),
	                   json_incref(json_object_get(snap, "secrets")),
	                   json_incref(json_object_get(snap, "nodes")));
	json_decref(snap);
	return l;
}

static void build(struct fixture *fx, const char *const *stacks,
                  int allow_empty, const char *extra_services)
{
	struct plan_opts po = {0};
	struct err e;

	err_clear(&e);
	fx->l = live_of("tests/unit/data/live-prune.json", extra_services);
	po.stacks = stacks;
	po.allow_empty = allow_empty;
	ck_assert_msg(!plan_build(&fx->p, fx->d, fx->l, &po, &fx->diag, &e),
	              "%s", e.msg);
}

static void unload(struct fixture *fx)
{
	char *cmd = xasprintf("rm -rf '%s'", fx->dir);

	plan_free(fx->p);
	live_free(fx->l);
	desired_free(fx->d);
	source_free(fx->src);
	schema_free(fx->schemas);
	diag_release(&fx->diag);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

/* The action of kind on name, or NULL. */
static const struct plan_action *find(const struct plan *p, enum plan_op op,
                                      enum plan_kind kind, const char *name)
{
	for (size_t i = 0; i < p->nr; i++)
		if (p->actions[i].op == op && p->actions[i].kind == kind &&
		    !strcmp(p->actions[i].name, name))
			return &p->actions[i];
	return NULL;
}

static int has_problem(const struct diag *d, const char *needle)
{
	for (size_t i = 0; i < d->nr; i++)
		if (d->items[i].severity == DIAG_ERROR &&
		    strstr(d->items[i].message, needle))
			return 1;
	return 0;
}

static const char app[] = "services:\n"
                          "  app:\n"
                          "    image: busybox:latest\n";

START_TEST(prunes_only_what_this_instance_owns)
{
	struct fixture fx;

	load(&fx, app);
	build(&fx, NULL, 0, NULL);
	ck_assert_uint_eq(fx.diag.errors, 0);
	ck_assert_ptr_nonnull(find(fx.p, PLAN_CREATE, PLAN_SERVICE, "web_app"));
	/* kedge's own, no longer desired: removed, with its network */
	ck_assert_ptr_nonnull(find(fx.p, PLAN_REMOVE, PLAN_SERVICE, "web_old"));
	ck_assert_ptr_nonnull(
	        find(fx.p, PLAN_REMOVE, PLAN_SERVICE, "shop_app"));
	ck_assert_ptr_nonnull(
	        find(fx.p, PLAN_REMOVE, PLAN_NETWORK, "shop_default"));
	/* docker stack deploy's and another instance's: untouched */
	ck_assert_ptr_null(find(fx.p, PLAN_REMOVE, PLAN_SERVICE, "web_manual"));
	ck_assert_ptr_null(find(fx.p, PLAN_REMOVE, PLAN_SERVICE, "web_other"));
	ck_assert_uint_eq(fx.p->nremove, 3);
	ck_assert_int_eq(fx.p->destructive, 1);
	unload(&fx);
}
END_TEST

START_TEST(stack_filter_limits_pruning)
{
	static const char *const only_web[] = {"web", NULL};
	struct fixture fx;

	load(&fx, app);
	build(&fx, only_web, 0, NULL);
	ck_assert_uint_eq(fx.diag.errors, 0);
	ck_assert_ptr_nonnull(find(fx.p, PLAN_REMOVE, PLAN_SERVICE, "web_old"));
	/* shop is not desired, but it is outside --stack web */
	ck_assert_ptr_null(find(fx.p, PLAN_REMOVE, PLAN_SERVICE, "shop_app"));
	ck_assert_ptr_null(
	        find(fx.p, PLAN_REMOVE, PLAN_NETWORK, "shop_default"));
	ck_assert_uint_eq(fx.p->nremove, 1);
	unload(&fx);
}
END_TEST

START_TEST(empty_desired_state_is_refused_without_allow_empty)
{
	struct fixture fx;

	load(&fx, NULL);
	build(&fx, NULL, 0, NULL);
	ck_assert_msg(has_problem(&fx.diag, "refusing to remove all 2 "
	                                    "services kedge manages: the "
	                                    "desired state has no services "
	                                    "(pass --allow-empty"),
	              "%s", fx.diag.nr ? fx.diag.items[0].message : "none");
	ck_assert_ptr_null(find(fx.p, PLAN_REMOVE, PLAN_SERVICE, "web_old"));
	unload(&fx);
}
END_TEST

START_TEST(empty_desired_state_prunes_with_allow_empty)
{
	struct fixture fx;

	load(&fx, NULL);
	build(&fx, NULL, 1, NULL);
	ck_assert_uint_eq(fx.diag.errors, 0);
	ck_assert_ptr_nonnull(find(fx.p, PLAN_REMOVE, PLAN_SERVICE, "web_old"));
	ck_assert_ptr_nonnull(
	        find(fx.p, PLAN_REMOVE, PLAN_SERVICE, "shop_app"));
	ck_assert_ptr_null(find(fx.p, PLAN_REMOVE, PLAN_SERVICE, "web_other"));
	unload(&fx);
}
END_TEST

START_TEST(name_taken_by_an_unowned_service_is_an_error)
{
	struct fixture fx;

	load(&fx, app);
	build(&fx, NULL, 0,
	      "[{\"ID\": \"s-app\", \"Version\": {\"Index\": 20}, \"Spec\": "
	      "{\"Name\": \"web_app\", \"Labels\": "
	      "{\"com.docker.stack.namespace\": \"web\"}, \"TaskTemplate\": "
	      "{\"ContainerSpec\": {\"Image\": \"busybox:latest\"}}}}]");
	ck_assert_msg(has_problem(&fx.diag, "service 'web_app' already exists "
	                                    "and is not managed by this kedge "
	                                    "(it has no kedge.managed-by "
	                                    "label"),
	              "%s", fx.diag.nr ? fx.diag.items[0].message : "none");
	ck_assert_ptr_null(find(fx.p, PLAN_CREATE, PLAN_SERVICE, "web_app"));
	ck_assert_ptr_null(find(fx.p, PLAN_UPDATE, PLAN_SERVICE, "web_app"));
	ck_assert_ptr_null(find(fx.p, PLAN_REMOVE, PLAN_SERVICE, "web_app"));
	unload(&fx);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("plan");

	UNIT_TCASE(s, prunes_only_what_this_instance_owns);
	UNIT_TCASE(s, stack_filter_limits_pruning);
	UNIT_TCASE(s, empty_desired_state_is_refused_without_allow_empty);
	UNIT_TCASE(s, empty_desired_state_prunes_with_allow_empty);
	UNIT_TCASE(s, name_taken_by_an_unowned_service_is_an_error);
	return s;
}
