/*
 * test-alertmanager.c: the text side of alertmanager.h: ${NAME}
 * resolution (values, $$, an unknown or malformed reference located),
 * placeholders for `kedge validate`, Alertmanager's config hash, masking
 * of env values in messages, and plan lines that name what changed but
 * never show a value from the env file.
 */
#include <jansson.h>

#include "unit.h"

#include "alertmanager-int.h"
#include "buf.h"
#include "diag.h"
#include "err.h"
#include "yamldoc.h"

#define SECRET "s3cr3t-T0ken"

static json_t *env_of(void)
{
	return json_pack("{s:s, s:s}", "HOOK", "https://hooks.example/" SECRET,
	                 "KEY", SECRET);
}

static char *resolve(const char *text, const json_t *env, int ph,
                     struct diag *diag, size_t *errors)
{
	struct am_vars v = {env, "/etc/kedge/am.env", ph};
	struct buf out;

	buf_init(&out, 1u << 20);
	*errors = am_resolve(&out, text, strlen(text), &v,
	                     "alertmanager/alertmanager.yml", diag);
	return buf_detach(&out, NULL);
}

START_TEST(references_resolve_and_dollars_stay)
{
	json_t *env = env_of();
	struct diag diag = DIAG_INIT;
	size_t errors;
	char *s = resolve("url: ${HOOK}\nkey: '${KEY}'\nre: 'a$$b$'\n"
	                  "cost: $5 and $x\n",
	                  env, 0, &diag, &errors);

	ck_assert_uint_eq(errors, 0);
	ck_assert_uint_eq(diag.errors, 0);
	ck_assert_str_eq(s, "url: https://hooks.example/" SECRET "\n"
	                    "key: '" SECRET "'\nre: 'a$b$'\n"
	                    "cost: $5 and $x\n");
	free(s);
	diag_release(&diag);
	json_decref(env);
}
END_TEST

START_TEST(an_unknown_name_is_located_and_named)
{
	json_t *env = env_of();
	struct diag diag = DIAG_INIT;
	size_t errors;
	char *s = resolve("route:\n  receiver: x\nreceivers:\n"
	                  "  - name: x\n    url: ${HOOK}/${NOPE}\n",
	                  env, 0, &diag, &errors);

	ck_assert_uint_eq(errors, 1);
	ck_assert_uint_eq(diag.errors, 1);
	ck_assert_str_eq(diag.items[0].file, "alertmanager/alertmanager.yml");
	ck_assert_uint_eq(diag.items[0].line, 5);
	ck_assert_uint_eq(diag.items[0].col, 18);
	ck_assert_str_eq(diag.items[0].message,
	                 "'${NOPE}' is not set in /etc/kedge/am.env");
	ck_assert_ptr_null(strstr(diag.items[0].message, SECRET));
	free(s);
	diag_release(&diag);
	json_decref(env);
}
END_TEST

START_TEST(no_env_file_is_said)
{
	struct diag diag = DIAG_INIT;
	struct am_vars v = {NULL, NULL, 0};
	struct buf out = BUF_INIT;

	ck_assert_uint_eq(am_resolve(&out, "a: ${A}\n", 8, &v, "f.yml", &diag),
	                  1);
	ck_assert_str_eq(diag.items[0].message,
	                 "'${A}' is not set: no --alertmanager-env-file is "
	                 "given");
	ck_assert_uint_eq(diag.items[0].line, 1);
	ck_assert_uint_eq(diag.items[0].col, 4);
	buf_release(&out);
	diag_release(&diag);
}
END_TEST

START_TEST(only_plain_references_are_allowed)
{
	static const char *const bad[] = {
	        "a: ${A:-default}\n", "a: ${A-x}\n", "a: ${1A}\n",
	        "a: ${}\n",           "a: ${A\n",    "a: ${A.B}\n",
	};
	json_t *env = json_pack("{s:s}", "A", "v");

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct diag diag = DIAG_INIT;
		size_t errors;
		char *s = resolve(bad[i], env, 0, &diag, &errors);

		ck_assert_msg(errors == 1, "%s", bad[i]);
		ck_assert_uint_eq(diag.items[0].line, 1);
		ck_assert_uint_eq(diag.items[0].col, 4);
		ck_assert(strstr(diag.items[0].message, "${NAME}") != NULL);
		free(s);
		diag_release(&diag);
	}
	json_decref(env);
}
END_TEST

START_TEST(placeholders_fit_their_key)
{
	struct diag diag = DIAG_INIT;
	size_t errors;
	char *s = resolve("  - api_url: ${A}\n    smtp_smarthost: '${B}'\n"
	                  "    routing_key: ${C}\n    url: http://h/${D}\n",
	                  NULL, 1, &diag, &errors);

	ck_assert_uint_eq(errors, 0);
	ck_assert_str_eq(s, "  - api_url: http://placeholder.invalid/\n"
	                    "    smtp_smarthost: 'placeholder.invalid:25'\n"
	                    "    routing_key: placeholder\n"
	                    "    url: http://h/placeholder\n");
	free(s);
	diag_release(&diag);
}
END_TEST

START_TEST(the_hash_is_alertmanagers)
{
	/* The second text is what tests/env/alertmanager.sh writes; the
	 * value is what Alertmanager 0.25 published for it (t-env-
	 * alertmanager.sh checks the rule against the server). */
	const char *env_cfg =
	        "# Written by tests/env/alertmanager.sh for one test run.\n"
	        "route:\n  receiver: default\nreceivers:\n  - name: default\n";

	ck_assert_uint_eq(am_config_hash("", 0), 617830161876ULL);
	ck_assert_uint_eq(am_config_hash(env_cfg, strlen(env_cfg)),
	                  23113344418332ULL);
	ck_assert_uint_lt(am_config_hash(env_cfg, strlen(env_cfg)), 1ULL << 48);
}
END_TEST

START_TEST(messages_lose_env_values)
{
	json_t *env = env_of();
	char *s = am_scrub("parse \"https://hooks.example/" SECRET
	                   "\": bad; key " SECRET ".",
	                   env);

	ck_assert_str_eq(s, "parse \"<secret>\": bad; key <secret>.");
	free(s);
	s = am_scrub("nothing here", NULL);
	ck_assert_str_eq(s, "nothing here");
	free(s);
	json_decref(env);
}
END_TEST

static json_t *yaml(const char *text)
{
	json_t *j = NULL;
	struct err e;

	ck_assert_int_eq(
	        yamldoc_parse(&j, NULL, text, strlen(text), "t.yml", NULL, &e),
	        0);
	return j;
}

static char *lines(const struct am_changes *c)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < c->nr; i++)
		ck_assert_int_eq(
		        buf_addf(&b, "%c %s\n", c->v[i].op, c->v[i].what), 0);
	return buf_detach(&b, NULL);
}

START_TEST(plan_lines_show_structure_not_secrets)
{
	json_t *env = env_of();
	json_t *live = yaml(
	        "route:\n  receiver: default\n  group_wait: 30s\n"
	        "  routes:\n    - receiver: old\n      matchers: [a=\"1\"]\n"
	        "receivers:\n  - name: default\n  - name: old\n"
	        "  - name: slack\n    slack_configs:\n"
	        "      - api_url: https://hooks.example/old-one\n"
	        "global:\n  resolve_timeout: 5m\n");
	json_t *want =
	        yaml("route:\n  receiver: pager\n  group_wait: 30s\n"
	             "  routes:\n    - receiver: default\n      matchers: "
	             "[a=\"1\"]\n"
	             "    - receiver: slack\n"
	             "receivers:\n  - name: default\n  - name: pager\n"
	             "    pagerduty_configs:\n      - routing_key: " SECRET "\n"
	             "  - name: slack\n    slack_configs:\n"
	             "      - api_url: https://hooks.example/" SECRET "\n"
	             "global:\n  resolve_timeout: 1m\n"
	             "  smtp_auth_password: " SECRET "\n");
	struct am_changes c = {0};
	char *s;

	am_diff(&c, live, want, env);
	s = lines(&c);
	ck_assert_str_eq(s, "~ route: receiver: default -> pager\n"
	                    "~ route/routes/0: receiver: old -> default\n"
	                    "+ route/routes/1 (receiver: slack)\n"
	                    "+ receiver pager\n"
	                    "~ receiver slack: changed "
	                    "(slack_configs/0/api_url)\n"
	                    "- receiver old\n"
	                    "~ global: changed (resolve_timeout, "
	                    "smtp_auth_password)\n");
	ck_assert_ptr_null(strstr(s, SECRET));
	ck_assert_ptr_null(strstr(s, "old-one"));
	free(s);
	am_changes_release(&c);
	json_decref(live);
	json_decref(want);
	json_decref(env);
}
END_TEST

START_TEST(a_route_value_with_an_env_value_is_masked)
{
	json_t *env = env_of();
	json_t *live = yaml("route:\n  receiver: a\n");
	json_t *want = yaml("route:\n  receiver: " SECRET "\n");
	struct am_changes c = {0};
	char *s;

	am_diff(&c, live, want, env);
	s = lines(&c);
	ck_assert_str_eq(s, "~ route: receiver: changed\n");
	free(s);
	am_changes_release(&c);
	json_decref(live);
	json_decref(want);
	json_decref(env);
}
END_TEST

START_TEST(a_receiver_named_by_a_secret_is_masked)
{
	json_t *env = env_of();
	json_t *live = yaml("receivers:\n  - name: a\n");
	json_t *want = yaml("receivers:\n  - name: a\n  - name: " SECRET
	                    "\n    webhook_configs:\n"
	                    "      - url: https://hooks.example/" SECRET "\n");
	struct am_changes c = {0};
	char *s;

	am_diff(&c, live, want, env);
	s = lines(&c);
	ck_assert_str_eq(s, "+ receiver <secret>\n");
	free(s);
	am_changes_release(&c);
	json_decref(live);
	json_decref(want);
	json_decref(env);
}
END_TEST

START_TEST(amtool_messages_are_located)
{
	static const struct {
		const char *msg, *repo;
		unsigned line, col;
	} t[] = {
	        {"undefined receiver \"nowhere\" used in route",
	         "alertmanager/alertmanager.yml", 2, 13},
	        {"template: pager.tmpl:7: unexpected \"}\" in operand",
	         "alertmanager/templates/pager.tmpl", 7, 0},
	        {"yaml: unmarshal errors:; line 4: field foo not found",
	         "alertmanager/alertmanager.yml", 4, 0},
	        {"no position here", "alertmanager/alertmanager.yml", 0, 0},
	        {"\"absent\" is nowhere", "alertmanager/alertmanager.yml", 0,
	         0},
	};
	const char *text = "route:\n  receiver: nowhere\nreceivers:\n"
	                   "  - name: default\n";

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		const char *repo;
		char *tofree;
		unsigned line, col;

		am_locate(&repo, &tofree, &line, &col, t[i].msg, text);
		ck_assert_str_eq(repo, t[i].repo);
		ck_assert_uint_eq(line, t[i].line);
		ck_assert_uint_eq(col, t[i].col);
		free(tofree);
	}
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("alertmanager");

	UNIT_TCASE(s, references_resolve_and_dollars_stay);
	UNIT_TCASE(s, an_unknown_name_is_located_and_named);
	UNIT_TCASE(s, no_env_file_is_said);
	UNIT_TCASE(s, only_plain_references_are_allowed);
	UNIT_TCASE(s, placeholders_fit_their_key);
	UNIT_TCASE(s, the_hash_is_alertmanagers);
	UNIT_TCASE(s, messages_lose_env_values);
	UNIT_TCASE(s, plan_lines_show_structure_not_secrets);
	UNIT_TCASE(s, a_route_value_with_an_env_value_is_masked);
	UNIT_TCASE(s, a_receiver_named_by_a_secret_is_masked);
	UNIT_TCASE(s, amtool_messages_are_located);
	return s;
}
