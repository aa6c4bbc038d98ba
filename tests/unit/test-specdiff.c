/*
 * test-specdiff.c: differences between canonical specs through specdiff().
 *
 * Owns: checking the paths and values a user reads in a plan: a replica
 * change, one added or changed variable, an image change, keyed lists and
 * hidden config data. Does not own: canonical forms (test-normalize.c).
 */
#include <jansson.h>

#include "unit.h"

#include "specdiff.h"

static json_t *parse(const char *text)
{
	char *s = xstrdup(text), *p;
	json_error_t je;
	json_t *doc;

	for (p = s; *p; p++)
		if (*p == '`')
			*p = '"';
	doc = json_loads(s, 0, &je);
	free(s);
	ck_assert_msg(doc, "test JSON: %s", je.text);
	return doc;
}

static const char base[] =
        "{`Name`: `st_api`, `Mode`: {`Replicated`: {`Replicas`: 1}}, "
        "`TaskTemplate`: {`ContainerSpec`: {`Image`: `nginx:1.25`, `Env`: "
        "[`A=1`, `B=2`], `Mounts`: [{`Target`: `/a`, `Source`: `v`}]}}}";

/* Diffs base against base with edit applied to a copy. */
static void run(struct specdiff_list *l, void (*edit)(json_t *))
{
	json_t *a = parse(base), *b = json_deep_copy(a);

	edit(b);
	ck_assert_int_eq(specdiff(l, a, b), 0);
	json_decref(a);
	json_decref(b);
}

static json_t *cs(json_t *spec)
{
	return json_object_get(json_object_get(spec, "TaskTemplate"),
	                       "ContainerSpec");
}

static void no_edit(json_t *s)
{
	(void)s;
}

static void replicas(json_t *s)
{
	json_object_set_new(
	        json_object_get(json_object_get(s, "Mode"), "Replicated"),
	        "Replicas", json_integer(3));
}

static void env_add(json_t *s)
{
	json_array_insert_new(json_object_get(cs(s), "Env"), 1,
	                      json_string("AB=new value"));
}

static void env_change(json_t *s)
{
	json_array_set_new(json_object_get(cs(s), "Env"), 0,
	                   json_string("A=9"));
}

static void image(json_t *s)
{
	json_object_set_new(cs(s), "Image", json_string("nginx:1.26"));
}

static void mount_ro(json_t *s)
{
	json_object_set_new(json_array_get(json_object_get(cs(s), "Mounts"), 0),
	                    "ReadOnly", json_true());
}

START_TEST(equal_is_empty)
{
	struct specdiff_list l = SPECDIFF_LIST_INIT;

	run(&l, no_edit);
	ck_assert_uint_eq(l.nr, 0);
	specdiff_list_free(&l);
}
END_TEST

START_TEST(replicas_change)
{
	struct specdiff_list l = SPECDIFF_LIST_INIT;

	run(&l, replicas);
	ck_assert_uint_eq(l.nr, 1);
	ck_assert_int_eq(l.items[0].kind, SPECDIFF_CHANGE);
	ck_assert_str_eq(l.items[0].path, "Mode.Replicated.Replicas");
	ck_assert_str_eq(l.items[0].old_val, "1");
	ck_assert_str_eq(l.items[0].new_val, "3");
	specdiff_list_free(&l);
	ck_assert_uint_eq(l.nr, 0);
}
END_TEST

/* One added variable is one addition, not a shifted list. */
START_TEST(env_add_is_one_change)
{
	struct specdiff_list l = SPECDIFF_LIST_INIT;
	char *text;

	run(&l, env_add);
	ck_assert_uint_eq(l.nr, 1);
	ck_assert_int_eq(l.items[0].kind, SPECDIFF_ADD);
	ck_assert_str_eq(l.items[0].path, "TaskTemplate.ContainerSpec.Env[AB]");
	ck_assert_ptr_null(l.items[0].old_val);
	ck_assert_str_eq(l.items[0].new_val, "\"new value\"");
	text = specdiff_format(&l, SPECDIFF_SHOW_ENV);
	ck_assert_str_eq(text, "+ TaskTemplate.ContainerSpec.Env[AB]: "
	                       "\"new value\"\n");
	free(text);
	specdiff_list_free(&l);
}
END_TEST

START_TEST(env_change_shows_values)
{
	struct specdiff_list l = SPECDIFF_LIST_INIT;

	run(&l, env_change);
	ck_assert_uint_eq(l.nr, 1);
	ck_assert_str_eq(l.items[0].path, "TaskTemplate.ContainerSpec.Env[A]");
	ck_assert_str_eq(l.items[0].old_val, "1");
	ck_assert_str_eq(l.items[0].new_val, "9");
	specdiff_list_free(&l);
}
END_TEST

static void env_password(json_t *s)
{
	json_t *env = json_object_get(cs(s), "Env");

	json_array_set_new(env, 0, json_string("A=hunter2-new"));
	json_array_append_new(
	        env, json_string("DB_URL=POSTGRES://app:pw-in-url@db:5432/x"));
}

/* S2: a changed password shows as two different hashes, never in clear. */
START_TEST(env_values_are_masked_unless_asked)
{
	struct specdiff_list l = SPECDIFF_LIST_INIT;
	char *text;

	run(&l, env_password);
	ck_assert_uint_eq(l.nr, 2);
	text = specdiff_format(&l, 0);
	ck_assert_msg(!strstr(text, "hunter2") && !strstr(text, "pw-in-url"),
	              "%s", text);
	/* sha256("1") and sha256("hunter2-new"), first 12 hex digits. */
	ck_assert_msg(strstr(text, "~ TaskTemplate.ContainerSpec.Env[A]: "
	                           "(env sha256:6b86b273ff34) -> "
	                           "(env sha256:"),
	              "%s", text);
	ck_assert_msg(strstr(text, "+ TaskTemplate.ContainerSpec.Env[DB_URL]: "
	                           "(env sha256:"),
	              "%s", text);
	free(text);
	text = specdiff_format(&l, SPECDIFF_SHOW_ENV);
	ck_assert_msg(strstr(text, "Env[A]: 1 -> hunter2-new\n"), "%s", text);
	/* Shown on request, but a URL's password never. */
	ck_assert_msg(strstr(text, "Env[DB_URL]: "
	                           "POSTGRES://app:***@db:5432/x\n"),
	              "%s", text);
	ck_assert(!strstr(text, "pw-in-url"));
	free(text);
	specdiff_list_free(&l);
}
END_TEST

START_TEST(shown_values)
{
	static const struct {
		const char *path, *in, *out;
	} t[] = {
	        {"Labels[x]", "https://user:tok@h/p", "https://user:***@h/p"},
	        {"Labels[x]", "HTTPS://ghp_abc@github.com/o/r",
	         "HTTPS://***@github.com/o/r"},
	        {"Labels[x]", "a redis://:pw@r:6379 b s3://k:s@b",
	         "a redis://:***@r:6379 b s3://k:***@b"},
	        {"Labels[x]", "http://host/path@x", "http://host/path@x"},
	        {"Labels[x]", "no url://", "no url://"},
	        {"Labels[x]", "://a:b@c", "://a:b@c"},
	        {"TaskTemplate.ContainerSpec.Env", "[\"A=1\"]", "(env sha256:"},
	        {"Env[A]", "", "(env sha256:e3b0c44298fc)"},
	        {"EnvFoo[A]", "x", "x"},
	        {"TaskTemplate.ContainerSpec.Image", "nginx", "nginx"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		char *got = specdiff_shown(t[i].path, t[i].in, 0);

		ck_assert_msg(!strncmp(got, t[i].out, strlen(t[i].out)),
		              "%s %s: got '%s'", t[i].path, t[i].in, got);
		free(got);
	}
	ck_assert_ptr_null(specdiff_shown("Env[A]", NULL, 0));
}
END_TEST

START_TEST(image_change)
{
	struct specdiff_list l = SPECDIFF_LIST_INIT;
	char *text;

	run(&l, image);
	ck_assert_uint_eq(l.nr, 1);
	text = specdiff_format(&l, 0);
	ck_assert_str_eq(text, "~ TaskTemplate.ContainerSpec.Image: "
	                       "nginx:1.25 -> nginx:1.26\n");
	free(text);
	specdiff_list_free(&l);
}
END_TEST

START_TEST(mounts_by_target)
{
	struct specdiff_list l = SPECDIFF_LIST_INIT;

	run(&l, mount_ro);
	ck_assert_uint_eq(l.nr, 1);
	ck_assert_int_eq(l.items[0].kind, SPECDIFF_ADD);
	ck_assert_str_eq(l.items[0].path,
	                 "TaskTemplate.ContainerSpec.Mounts[/a].ReadOnly");
	ck_assert_str_eq(l.items[0].new_val, "true");
	specdiff_list_free(&l);
}
END_TEST

/* Config and secret data never shows, only a digest of it. */
START_TEST(data_is_hidden)
{
	struct specdiff_list l = SPECDIFF_LIST_INIT;
	json_t *a = parse("{`Name`: `s`, `Data`: `c2VjcmV0MQ==`}");
	json_t *b = parse("{`Name`: `s`, `Data`: `c2VjcmV0Mg==`}");

	ck_assert_int_eq(specdiff(&l, a, b), 0);
	ck_assert_uint_eq(l.nr, 1);
	ck_assert_ptr_null(strstr(l.items[0].old_val, "c2Vj"));
	ck_assert_ptr_nonnull(strstr(l.items[0].old_val, "sha256:"));
	ck_assert_str_ne(l.items[0].old_val, l.items[0].new_val);
	specdiff_list_free(&l);
	json_decref(a);
	json_decref(b);
}
END_TEST

START_TEST(whole_values)
{
	struct specdiff_list l = SPECDIFF_LIST_INIT;
	json_t *a = parse("{`C`: [`x`, `y`], `D`: {`k`: 1}}");

	ck_assert_int_eq(specdiff(&l, a, NULL), 0);
	ck_assert_uint_eq(l.nr, 1);
	ck_assert_int_eq(l.items[0].kind, SPECDIFF_REMOVE);
	ck_assert_str_eq(l.items[0].path, "(root)");
	ck_assert_str_eq(l.items[0].old_val,
	                 "{\"C\":[\"x\",\"y\"],\"D\":{\"k\":1}}");
	specdiff_list_free(&l);
	json_decref(a);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("specdiff");

	UNIT_TCASE(s, equal_is_empty);
	UNIT_TCASE(s, replicas_change);
	UNIT_TCASE(s, env_add_is_one_change);
	UNIT_TCASE(s, env_change_shows_values);
	UNIT_TCASE(s, env_values_are_masked_unless_asked);
	UNIT_TCASE(s, shown_values);
	UNIT_TCASE(s, image_change);
	UNIT_TCASE(s, mounts_by_target);
	UNIT_TCASE(s, data_is_hidden);
	UNIT_TCASE(s, whole_values);
	return s;
}
