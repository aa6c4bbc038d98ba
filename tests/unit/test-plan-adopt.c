/*
 * test-plan-adopt.c: the planner's adoption decisions (docs/adoption.md)
 * on live snapshots built here as the daemon returns them after `docker
 * stack deploy`: what is adopted, what is kept, what is refused.
 *
 * The desired state is a folder loaded as `kedge diff --worktree` loads
 * it. The "docker stack deploy" snapshot is derived from kedge's own
 * create plan: the same service specs without kedge's labels, configs and
 * secrets under the CLI's names (<stack>_<key>).
 */
#include <jansson.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "desired.h"
#include "diag.h"
#include "err.h"
#include "live.h"
#include "plan.h"
#include "schema.h"
#include "source.h"
#include "unit.h"
#include "util.h"

static const char compose[] =
        "services:\n"
        "  web:\n"
        "    image: nginx:1.25\n"
        "    configs: [{source: site, target: /srv/index.html}]\n"
        "    networks: [front]\n"
        "  db:\n"
        "    image: postgres:15\n"
        "    secrets: [pw]\n"
        "    networks: [front]\n"
        "networks:\n"
        "  front: {driver: overlay}\n"
        "configs:\n"
        "  site: {file: ./index.html}\n"
        "secrets:\n"
        "  pw: {file: ./pw.txt}\n";

struct fixture {
	char dir[64];
	struct schema *schemas;
	struct source *src;
	struct desired *d;
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

/* Loads a desired state of one stack "web" with kedge.yml settings. */
static void load(struct fixture *fx, const char *settings)
{
	struct source_opts so = {0};
	struct diag diag = DIAG_INIT;
	struct err e = {0};
	char *p;

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/kedge-adopt-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx->dir));
	p = xasprintf("%s/stacks", fx->dir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	free(p);
	p = xasprintf("%s/stacks/web", fx->dir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	free(p);
	put(fx->dir, "kedge.yml", settings);
	put(fx->dir, "stacks/web/compose.yml", compose);
	put(fx->dir, "stacks/web/index.html", "<h1>hi</h1>\n");
	put(fx->dir, "stacks/web/pw.txt", "s3cret\n");
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

static void unload(struct fixture *fx)
{
	char *cmd = xasprintf("rm -rf '%s'", fx->dir);

	desired_free(fx->d);
	source_free(fx->src);
	schema_free(fx->schemas);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

/* A struct live over the arrays (stolen), as live_read makes it. */
static struct live *live_of(json_t *services, json_t *networks, json_t *configs,
                            json_t *secrets)
{
	return live_from_json(
	        services, networks, configs, secrets,
	        json_pack("[{s:s, s:{s:s, s:s, s:{}}, s:{s:s}, s:{s:s}}]", "ID",
	                  "n1", "Spec", "Role", "manager", "Availability",
	                  "active", "Labels", "Description", "Hostname", "m1",
	                  "Status", "State", "ready"));
}

static struct plan *build(const struct fixture *fx, const struct live *l,
                          int adopt, struct diag *diag)
{
	struct plan_opts o = {0};
	struct plan *p = NULL;
	struct err e = {0};

	o.adopt = adopt;
	ck_assert_msg(!plan_build(&p, fx->d, l, &o, diag, &e), "%s", e.msg);
	return p;
}

static void drop_kedge_labels(json_t *spec)
{
	json_t *labels = json_object_get(spec, "Labels"), *v;
	const char *k;
	void *tmp;

	json_object_foreach_safe (labels, tmp, k, v)
		if (starts_with(k, "kedge."))
			json_object_del(labels, k);
}

/* Renames references name -> cli in a service spec. */
static void rename_refs(json_t *spec, const char *list, const char *key)
{
	json_t *refs = json_object_get(
	               json_object_get(json_object_get(spec, "TaskTemplate"),
	                               "ContainerSpec"),
	               list),
	       *r;
	size_t i;

	json_array_foreach (refs, i, r) {
		char *n = xstrdup(json_string_value(json_object_get(r, key)));

		n[strlen(n) - 9] = '\0'; /* _<hash8> */
		json_object_set_new(r, key, json_string(n));
		free(n);
	}
}

/*
 * What `docker stack deploy` leaves in the swarm for the fixture: derived
 * from kedge's create plan on an empty swarm. owner: a kedge.managed-by
 * value for the services (NULL: none).
 */
static struct live *stack_deployed(const struct fixture *fx, const char *owner)
{
	struct live *empty =
	        live_of(json_array(), json_array(), json_array(), json_array());
	struct diag diag = DIAG_INIT;
	struct plan *p = build(fx, empty, 0, &diag);
	json_t *svcs = json_array(), *nets = json_array();
	json_t *cfgs = json_array(), *secs = json_array();
	int n = 0;

	for (size_t i = 0; i < p->nr; i++) {
		struct plan_action *a = &p->actions[i];
		json_t *spec = json_deep_copy(a->spec);
		char *id = xasprintf("id%d", n++);

		ck_assert_int_eq(a->op, PLAN_CREATE);
		drop_kedge_labels(spec);
		if (a->kind == PLAN_SERVICE) {
			rename_refs(spec, "Configs", "ConfigName");
			rename_refs(spec, "Secrets", "SecretName");
			if (owner)
				json_object_set_new(
				        json_object_get(spec, "Labels"),
				        "kedge.managed-by", json_string(owner));
			json_array_append_new(
			        svcs, json_pack("{s:s, s:{s:i}, s:o}", "ID", id,
			                        "Version", "Index", 10, "Spec",
			                        spec));
		} else if (a->kind == PLAN_NETWORK) {
			json_object_set_new(spec, "Id", json_string(id));
			json_object_set_new(spec, "Scope",
			                    json_string("swarm"));
			json_array_append_new(nets, spec);
		} else {
			char *name = xstrdup(json_string_value(
			        json_object_get(spec, "Name")));

			name[strlen(name) - 9] = '\0';
			json_object_set_new(spec, "Name", json_string(name));
			free(name);
			if (a->kind == PLAN_SECRET)
				json_object_del(spec, "Data");
			json_array_append_new(
			        a->kind == PLAN_CONFIG ? cfgs : secs,
			        json_pack("{s:s, s:{s:i}, s:o}", "ID", id,
			                  "Version", "Index", 7, "Spec", spec));
		}
		free(id);
	}
	plan_free(p);
	live_free(empty);
	diag_release(&diag);
	return live_of(svcs, nets, cfgs, secs);
}

static const struct plan_action *find(const struct plan *p, enum plan_op op,
                                      enum plan_kind kind, const char *name)
{
	for (size_t i = 0; i < p->nr; i++)
		if (p->actions[i].op == op && p->actions[i].kind == kind &&
		    !strcmp(p->actions[i].name, name))
			return &p->actions[i];
	return NULL;
}

static int has_problem(const struct diag *d, const char *text)
{
	for (size_t i = 0; i < d->nr; i++)
		if (strstr(d->items[i].message, text))
			return 1;
	return 0;
}

START_TEST(without_adopt_refuses_with_a_hint)
{
	struct fixture fx;
	struct diag diag = DIAG_INIT;
	struct live *l;
	struct plan *p;

	load(&fx, "version: 1\n");
	l = stack_deployed(&fx, NULL);
	p = build(&fx, l, 0, &diag);
	ck_assert(has_problem(&diag,
	                      "service 'web_web' already exists and is not "
	                      "managed by this kedge (it has no "
	                      "kedge.managed-by label: made by docker stack "
	                      "deploy or by hand?); pass --adopt (or set "
	                      "`adopt:` in kedge.yml) to take over stack "
	                      "'web', or remove it"));
	ck_assert(has_problem(&diag, "network 'web_front' already exists and "
	                             "is not managed by this kedge"));
	ck_assert_uint_eq(p->nadopt, 0);
	ck_assert_ptr_null(find(p, PLAN_UPDATE, PLAN_SERVICE, "web_web"));
	plan_free(p);
	live_free(l);
	diag_release(&diag);
	unload(&fx);
}
END_TEST

START_TEST(equal_service_gets_labels_only)
{
	struct fixture fx;
	struct diag diag = DIAG_INIT;
	const struct plan_action *a;
	const json_t *live;
	struct live *l;
	struct plan *p;

	load(&fx, "version: 1\n");
	l = stack_deployed(&fx, NULL);
	p = build(&fx, l, 1, &diag);
	ck_assert_msg(!diag.errors, "%s", diag.nr ? diag.items[0].message : "");
	a = find(p, PLAN_ADOPT, PLAN_SERVICE, "web_web");
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->rollout, 0);
	ck_assert_str_eq(a->id,
	                 json_string_value(json_object_get(
	                         live_service_by_name(l, "web_web"), "ID")));
	ck_assert_uint_eq(a->version, 10);
	/* the task template is sent exactly as the daemon holds it */
	live = json_object_get(live_service_by_name(l, "web_web"), "Spec");
	ck_assert(json_equal(json_object_get(a->spec, "TaskTemplate"),
	                     json_object_get(live, "TaskTemplate")));
	ck_assert_str_eq(json_string_value(json_object_get(
	                         json_object_get(a->spec, "Labels"),
	                         "kedge.managed-by")),
	                 "kedge");
	ck_assert_ptr_nonnull(json_object_get(
	        json_object_get(a->spec, "Labels"), "kedge.spec-hash"));
	/* the equal config is kept under the CLI's name and relabelled */
	a = find(p, PLAN_ADOPT, PLAN_CONFIG, "web_site");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(json_string_value(json_object_get(
	                         json_object_get(a->spec, "Labels"),
	                         "kedge.logical-name")),
	                 "site");
	ck_assert_ptr_nonnull(json_object_get(
	        json_object_get(a->spec, "Labels"), "kedge.content-hash"));
	ck_assert_ptr_null(json_object_get(a->spec, "Data"));
	for (size_t i = 0; i < p->nr; i++)
		ck_assert_msg(!(p->actions[i].op == PLAN_CREATE &&
		                p->actions[i].kind == PLAN_CONFIG),
		              "creates config %s", p->actions[i].name);
	/* the network: nothing to write, shown as adopted */
	ck_assert_ptr_nonnull(find(p, PLAN_ADOPT, PLAN_NETWORK, "web_front"));
	plan_free(p);
	live_free(l);
	diag_release(&diag);
	unload(&fx);
}
END_TEST

START_TEST(secret_is_replaced_once)
{
	struct fixture fx;
	struct diag diag = DIAG_INIT;
	const struct plan_action *a;
	struct live *l;
	struct plan *p;
	int created = 0;

	load(&fx, "version: 1\n");
	l = stack_deployed(&fx, NULL);
	p = build(&fx, l, 1, &diag);
	a = find(p, PLAN_ADOPT, PLAN_SERVICE, "web_db");
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->rollout, 1);
	a = find(p, PLAN_ADOPT, PLAN_SECRET, "web_pw");
	ck_assert_ptr_nonnull(a);
	/* its content was not compared: no content hash is claimed */
	ck_assert_ptr_null(json_object_get(json_object_get(a->spec, "Labels"),
	                                   "kedge.content-hash"));
	for (size_t i = 0; i < p->nr; i++)
		created += p->actions[i].op == PLAN_CREATE &&
		           p->actions[i].kind == PLAN_SECRET;
	ck_assert_int_eq(created, 1);
	ck_assert_ptr_nonnull(find(p, PLAN_REMOVE, PLAN_SECRET, "web_pw"));
	ck_assert_int_eq(p->destructive, 0);
	plan_free(p);
	live_free(l);
	diag_release(&diag);
	unload(&fx);
}
END_TEST

START_TEST(another_instance_is_never_adopted)
{
	struct fixture fx;
	struct diag diag = DIAG_INIT;
	struct live *l;
	struct plan *p;

	load(&fx, "version: 1\nadopt: true\n");
	l = stack_deployed(&fx, "other");
	p = build(&fx, l, 1, &diag);
	ck_assert(has_problem(&diag, "service 'web_web' already exists and is "
	                             "not managed by this kedge (it belongs "
	                             "to kedge instance 'other')"));
	/* nor the unlabelled network and config of its stack */
	ck_assert(has_problem(&diag, "network 'web_front' already exists"));
	ck_assert_uint_eq(p->nadopt, 0);
	plan_free(p);
	live_free(l);
	diag_release(&diag);
	unload(&fx);
}
END_TEST

START_TEST(settings_adopt_lists_stacks)
{
	struct fixture fx, other;
	struct diag diag = DIAG_INIT, diag2 = DIAG_INIT;
	struct live *l;
	struct plan *p;

	load(&fx, "version: 1\nadopt: [web]\n");
	l = stack_deployed(&fx, NULL);
	p = build(&fx, l, 0, &diag);
	ck_assert_msg(!diag.errors, "%s", diag.items[0].message);
	ck_assert_ptr_nonnull(find(p, PLAN_ADOPT, PLAN_SERVICE, "web_web"));
	plan_free(p);
	load(&other, "version: 1\nadopt: [shop]\n");
	p = build(&other, l, 0, &diag2);
	ck_assert(has_problem(&diag2, "pass --adopt"));
	ck_assert_uint_eq(p->nadopt, 0);
	plan_free(p);
	live_free(l);
	diag_release(&diag);
	diag_release(&diag2);
	unload(&fx);
	unload(&other);
}
END_TEST

/* After an adoption: services labelled, network and config as left. */
START_TEST(adopted_stack_is_clean_without_adopt)
{
	struct fixture fx;
	struct diag diag = DIAG_INIT;
	struct live *l;
	struct plan *p;
	json_t *o, *svcs;
	size_t i;

	load(&fx, "version: 1\n");
	l = stack_deployed(&fx, NULL);
	p = build(&fx, l, 1, &diag);
	/*
	 * Apply the label writes the plan makes to a new snapshot; web_db is
	 * not equal (its secret), so it leaves both sides.
	 */
	svcs = json_array();
	json_array_foreach (l->services, i, o) {
		const char *n = json_string_value(
		        json_object_get(json_object_get(o, "Spec"), "Name"));
		json_t *full = json_deep_copy(live_service_by_name(l, n));

		if (!strcmp(n, "web_db")) {
			json_decref(full);
			continue;
		}
		for (size_t k = 0; k < p->nr; k++)
			if (p->actions[k].op == PLAN_ADOPT &&
			    p->actions[k].kind == PLAN_SERVICE &&
			    !p->actions[k].rollout &&
			    !strcmp(p->actions[k].name, n))
				json_object_set(full, "Spec",
				                p->actions[k].spec);
		json_array_append_new(svcs, full);
	}
	for (i = 0; i < p->nr; i++) {
		struct plan_action *a = &p->actions[i];
		json_t *obj = live_config_by_name(l, a->name);

		if (a->op == PLAN_ADOPT && obj && a->kind == PLAN_CONFIG)
			json_object_set(obj, "Spec", a->spec);
	}
	plan_free(p);
	diag_release(&diag);
	{
		struct live *old = l;

		l = live_from_json(svcs, json_incref(old->networks),
		                   json_incref(old->configs),
		                   json_incref(old->secrets),
		                   json_incref(old->nodes));
		live_free(old);
	}
	put(fx.dir, "stacks/web/compose.yml",
	    "services:\n"
	    "  web:\n"
	    "    image: nginx:1.25\n"
	    "    configs: [{source: site, target: /srv/index.html}]\n"
	    "    networks: [front]\n"
	    "networks:\n"
	    "  front: {driver: overlay}\n"
	    "configs:\n"
	    "  site: {file: ./index.html}\n");
	desired_free(fx.d);
	source_free(fx.src);
	schema_free(fx.schemas);
	{
		struct source_opts so = {0};
		struct err e = {0};
		struct diag d2 = DIAG_INIT;

		fx.schemas = schema_new();
		ck_assert(!schema_add_dir(fx.schemas, "schema", &e));
		so.worktree = fx.dir;
		ck_assert(!source_open(&fx.src, &so, &e));
		ck_assert(!desired_load(&fx.d, fx.src, fx.schemas, &d2, &e));
		diag_release(&d2);
	}
	diag = (struct diag)DIAG_INIT;
	p = build(&fx, l, 0, &diag);
	ck_assert_msg(!diag.errors, "%s", diag.items[0].message);
	for (i = 0; i < p->nr; i++)
		ck_abort_msg(
		        "unexpected %s %s %s", plan_op_name(p->actions[i].op),
		        plan_kind_name(p->actions[i].kind), p->actions[i].name);
	plan_free(p);
	live_free(l);
	diag_release(&diag);
	unload(&fx);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("plan-adopt");

	UNIT_TCASE(s, without_adopt_refuses_with_a_hint);
	UNIT_TCASE(s, equal_service_gets_labels_only);
	UNIT_TCASE(s, secret_is_replaced_once);
	UNIT_TCASE(s, another_instance_is_never_adopted);
	UNIT_TCASE(s, settings_adopt_lists_stacks);
	UNIT_TCASE(s, adopted_stack_is_clean_without_adopt);
	return s;
}
