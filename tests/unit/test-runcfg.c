/*
 * test-runcfg.c: the settings of kedge run: a flag beats a variable,
 * which beats the configuration file; the file is checked against
 * schema/run.schema.json with located errors; an empty file sets nothing.
 */
#include <stdio.h>
#include <unistd.h>

#include <jansson.h>

#include "unit.h"

#include "diag.h"
#include "err.h"
#include "runcfg.h"
#include "schema.h"

static struct schema *schemas(void)
{
	struct schema *s = schema_new();
	struct err e;

	err_clear(&e);
	ck_assert_msg(!schema_add_dir(s, "schema", &e), "%s", e.msg);
	return s;
}

static char *write_tmp(const char *text)
{
	char *path = xstrdup("/tmp/kedge-runcfg-XXXXXX");
	int fd = mkstemp(path);
	FILE *f;

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

START_TEST(precedence_flag_env_file)
{
	struct schema *s = schemas();
	struct runcfg c = {0};
	struct diag d = DIAG_INIT;
	struct err e;
	char *file = write_tmp("version: 1\nrepo: /from/file\nref: dev\n"
	                       "interval: 90s\nkeep_reconciles: 50\n"
	                       "notify:\n  - url: http://127.0.0.1:9/x\n");

	unsetenv("KEDGE_REPO");
	setenv("KEDGE_REF", "from-env", 1);
	unsetenv("KEDGE_INTERVAL");
	c.config = xstrdup(file);
	c.flag[RC_INTERVAL] = xstrdup("10s");
	err_clear(&e);
	ck_assert_int_eq(runcfg_resolve(&c, s, &d, &e), 0);
	ck_assert_uint_eq(d.errors, 0);
	ck_assert_str_eq(c.v[RC_REPO], "/from/file");
	ck_assert_str_eq(c.from[RC_REPO] + strlen(file), ":2");
	ck_assert_str_eq(c.v[RC_REF], "from-env");
	ck_assert_str_eq(c.from[RC_REF], "KEDGE_REF");
	ck_assert_str_eq(c.v[RC_INTERVAL], "10s");
	ck_assert_str_eq(c.from[RC_INTERVAL], "--interval");
	ck_assert_str_eq(c.v[RC_KEEP_RECONCILES], "50");
	ck_assert_ptr_null(c.v[RC_LISTEN]);
	ck_assert_uint_eq(json_array_size(c.notify), 1);
	unsetenv("KEDGE_REF");
	runcfg_release(&c);
	diag_release(&d);
	schema_free(s);
	unlink(file);
	free(file);
}
END_TEST

START_TEST(bad_file_is_located)
{
	struct schema *s = schemas();
	struct runcfg c = {0};
	struct diag d = DIAG_INIT;
	struct err e;
	char *file = write_tmp("repo: x\nlisen: 127.0.0.1:1\n"
	                       "log_format: xml\n");

	c.config = xstrdup(file);
	err_clear(&e);
	ck_assert_int_eq(runcfg_resolve(&c, s, &d, &e), 0);
	ck_assert_uint_eq(d.errors, 2);
	diag_sort(&d);
	ck_assert_uint_eq(d.items[0].line, 2);
	ck_assert_uint_eq(d.items[1].line, 3);
	ck_assert_str_eq(d.items[0].file, file);
	runcfg_release(&c);
	diag_release(&d);
	schema_free(s);
	unlink(file);
	free(file);
}
END_TEST

START_TEST(yaml_error_and_missing_file)
{
	struct schema *s = schemas();
	struct runcfg c = {0};
	struct diag d = DIAG_INIT;
	struct err e;
	char *file = write_tmp("repo: [x\n");

	c.config = xstrdup(file);
	err_clear(&e);
	ck_assert_int_eq(runcfg_resolve(&c, s, &d, &e), 0);
	ck_assert_uint_eq(d.errors, 1);
	ck_assert_uint_eq(d.items[0].line, 2);
	ck_assert_ptr_nonnull(strstr(d.items[0].message, "starts at line 1"));
	free(c.config);
	c.config = xstrdup("/nonexistent/kedge-run.yml");
	ck_assert_int_eq(runcfg_resolve(&c, s, &d, &e), ERR_IO);
	ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/kedge-run.yml"));
	runcfg_release(&c);
	diag_release(&d);
	schema_free(s);
	unlink(file);
	free(file);
}
END_TEST

START_TEST(empty_file_sets_nothing)
{
	struct schema *s = schemas();
	struct runcfg c = {0};
	struct diag d = DIAG_INIT;
	struct err e;
	char *file = write_tmp("");

	unsetenv("KEDGE_REPO");
	c.config = xstrdup(file);
	err_clear(&e);
	ck_assert_int_eq(runcfg_resolve(&c, s, &d, &e), 0);
	ck_assert_uint_eq(d.errors, 0);
	ck_assert_ptr_null(c.v[RC_REPO]);
	runcfg_release(&c);
	diag_release(&d);
	schema_free(s);
	unlink(file);
	free(file);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("runcfg");

	UNIT_TCASE(s, precedence_flag_env_file);
	UNIT_TCASE(s, bad_file_is_located);
	UNIT_TCASE(s, yaml_error_and_missing_file);
	UNIT_TCASE(s, empty_file_sets_nothing);
	return s;
}
