/*
 * test-imageref.c: image references as docker's CLI reads and sends them.
 *
 * The expected values were recorded from `docker stack deploy
 * --resolve-image never` (docker CLI 28.2, dockerd 20.10.24): the image the
 * service got, or the error the CLI gave.
 */
#include "imageref.h"
#include "util.h"

#include "unit.h"

#define D "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

START_TEST(familiar_form_as_stack_deploy_sends_it)
{
	static const char *const cases[][2] = {
	        {"nginx", "nginx:latest"},
	        {"library/nginx", "nginx:latest"},
	        {"docker.io/library/nginx", "nginx:latest"},
	        {"docker.io/nginx", "nginx:latest"},
	        {"localhost:5000/x", "localhost:5000/x:latest"},
	        {"localhost/x", "localhost/x:latest"},
	        {"x@sha256:" D, "x@sha256:" D},
	        {"x:tag@sha256:" D, "x:tag@sha256:" D},
	        {"docker.io/library/x:tag@sha256:" D, "x:tag@sha256:" D},
	        {"docker.io/foo/bar", "foo/bar:latest"},
	        {"index.docker.io/library/redis:7", "redis:7"},
	        {"nginx:1.25", "nginx:1.25"},
	        {"nginx:Alpine", "nginx:Alpine"},
	        {"Docker.io/library/nginx", "Docker.io/library/nginx:latest"},
	        {"UPPER/x", "UPPER/x:latest"},
	        {"example.com/a/b/c", "example.com/a/b/c:latest"},
	        {"example.com:443/a", "example.com:443/a:latest"},
	        {"[::1]:5000/a", "[::1]:5000/a:latest"},
	        {"ghcr.io/o/app:2", "ghcr.io/o/app:2"},
	        {"a__b/c-d.e--f", "a__b/c-d.e--f:latest"},
	        {"docker.io/library/a/b", "library/a/b:latest"},
	        /* not names: sent unchanged, as the API client does */
	        {D, D},
	        {"sha256:" D, "sha256:" D},
	        {"Nginx", "Nginx"},
	};
	char *s;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		s = imageref_familiar(cases[i][0]);
		ck_assert_msg(!strcmp(s, cases[i][1]), "%s: got %s, want %s",
		              cases[i][0], s, cases[i][1]);
		free(s);
	}
}
END_TEST

START_TEST(undigested_form)
{
	static const char *const cases[][2] = {
	        {"nginx", "nginx:latest"},
	        {"nginx:latest@sha256:" D, "nginx:latest"},
	        {"x@sha256:" D, "x:latest"},
	        {"docker.io/grafana/grafana:9@sha256:" D, "grafana/grafana:9"},
	};
	char *s;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		s = imageref_familiar_undigested(cases[i][0]);
		ck_assert_str_eq(s, cases[i][1]);
		free(s);
	}
}
END_TEST

START_TEST(what_the_cli_accepts)
{
	static const char *const ok[] = {
	        "nginx",         "x:tag@sha256:" D,         "localhost:5000/x",
	        "sha256:" D,     "Docker.io/library/nginx", "a.b-c/d",
	        "x@sha512:" D D,
	};

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		ck_assert_msg(imageref_check(ok[i]) == NULL, "%s: %s", ok[i],
		              imageref_check(ok[i]));
}
END_TEST

START_TEST(what_the_cli_refuses)
{
	static const char *const lower =
	        "invalid reference format: repository name must be lowercase";
	static const char *const bad[][2] = {
	        {"Nginx", lower},
	        {"a/B", lower},
	        {"localhost:5000/Foo", lower},
	        {"nginx:", "invalid reference format"},
	        {"nginx@sha256:abc", "invalid reference format"},
	        {"-x", "invalid reference format"},
	        {"x:-t", "invalid reference format"},
	        {"x y", "invalid reference format"},
	        {"x//y", "invalid reference format"},
	        {"x/", "invalid reference format"},
	        {"x@y@sha256:" D, "invalid reference format"},
	        {"x._y", "invalid reference format"},
	        {"x___y", "invalid reference format"},
	        {"-a.com/x", "invalid reference format"},
	        {"x@md5:" D, "unsupported digest algorithm"},
	        {"x@sha256:" D "00", "invalid checksum digest length"},
	        {"", "repository name must have at least one component"},
	        {D, "invalid repository name, cannot specify 64-byte "
	            "hexadecimal strings"},
	        {"x:"
	         "0123456789012345678901234567890123456789012345678901234"
	         "5678901234567890123456789012345678901234567890123456789012"
	         "3456789012345678",
	         "invalid reference format"},
	};
	const char *why;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		why = imageref_check(bad[i][0]);
		ck_assert_msg(why && !strcmp(why, bad[i][1]), "%s: got %s",
		              bad[i][0], why ? why : "(accepted)");
	}
}
END_TEST

START_TEST(long_names)
{
	char name[300];

	/* library/ is added first: 8 + 247 characters of path */
	memset(name, 'a', 247);
	name[247] = '\0';
	ck_assert_ptr_null(imageref_check(name));
	memset(name, 'a', 248);
	name[248] = '\0';
	ck_assert_str_eq(
	        imageref_check(name),
	        "repository name must not be more than 255 characters");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("imageref");

	UNIT_TCASE(s, familiar_form_as_stack_deploy_sends_it);
	UNIT_TCASE(s, undigested_form);
	UNIT_TCASE(s, what_the_cli_accepts);
	UNIT_TCASE(s, what_the_cli_refuses);
	UNIT_TCASE(s, long_names);
	return s;
}
