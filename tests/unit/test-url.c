/*
 * test-url.c: unit tests of url.h: what is a remote, what redaction
 * removes (whatever the scheme's case), how a spec is taken apart, and
 * that a cache folder name never carries a secret.
 */
#include "unit.h"

#include "url.h"

static void redacts(const char *in, const char *want)
{
	char *got = url_redact(in);

	ck_assert_msg(!strcmp(got, want), "url_redact(%s) = %s, want %s", in,
	              got, want);
	free(got);
}

START_TEST(is_remote)
{
	ck_assert(url_is_remote("https://h/x.git"));
	ck_assert(url_is_remote("HTTPS://h/x.git"));
	ck_assert(url_is_remote("git+ssh://git@h/x.git"));
	ck_assert(url_is_remote("file:///srv/x.git"));
	ck_assert(url_is_remote("git@github.com:org/x.git"));
	ck_assert(!url_is_remote("/srv/desired"));
	ck_assert(!url_is_remote("./a:b"));
	ck_assert(!url_is_remote("dir/x@y:z"));
	ck_assert(!url_is_remote("@host:path"));
	ck_assert(!url_is_remote("1http://x")); /* not a scheme */
	ck_assert(!url_is_remote("a:b"));
}
END_TEST

START_TEST(redact_any_case)
{
	redacts("https://tok@h/x.git", "https://h/x.git");
	redacts("HTTPS://tok_SECRET@127.0.0.1:1/x.git",
	        "HTTPS://127.0.0.1:1/x.git");
	redacts("Http://tok@h/x.git", "Http://h/x.git");
	redacts("https://user:pw@h/x.git", "https://user@h/x.git");
	redacts("SSH://git:pw@h:22/x.git", "SSH://git@h:22/x.git");
	redacts("ssh://git@h/x.git", "ssh://git@h/x.git");
	redacts("https://h/x.git", "https://h/x.git");
	redacts("/srv/desired", "/srv/desired");
	redacts("git@h:org/x.git", "git@h:org/x.git");
	/* the last "@" of the authority ends the user info, the first ":" the
	 * user */
	redacts("https://a@b:c@d@h/x", "https://a@b@h/x");
	/* an '@' in the path is not user info */
	redacts("https://h/x@y.git", "https://h/x@y.git");
}
END_TEST

START_TEST(parse_parts)
{
	struct url u;

	ck_assert_int_eq(url_parse(&u, "HTTPS://user:pw@Host.example:8443/x"),
	                 0);
	ck_assert_str_eq(u.scheme, "https");
	ck_assert_str_eq(u.user, "user");
	ck_assert_str_eq(u.secret, "pw");
	ck_assert_str_eq(u.host, "Host.example");
	ck_assert_int_eq(u.port, 8443);
	url_release(&u);

	ck_assert_int_eq(url_parse(&u, "http://h/x"), 0);
	ck_assert_int_eq(u.port, 80);
	ck_assert_ptr_null(u.user);
	url_release(&u);

	ck_assert_int_eq(url_parse(&u, "ssh://git@[::1]:2222/x.git"), 0);
	ck_assert_str_eq(u.host, "::1");
	ck_assert_int_eq(u.port, 2222);
	ck_assert_ptr_null(u.secret);
	url_release(&u);

	ck_assert_int_eq(url_parse(&u, "git@github.com:org/x.git"), 0);
	ck_assert_str_eq(u.scheme, "ssh");
	ck_assert_str_eq(u.user, "git");
	ck_assert_str_eq(u.host, "github.com");
	ck_assert_int_eq(u.port, 22);
	url_release(&u);

	ck_assert_int_eq(url_parse(&u, "file:///srv/x.git"), 0);
	ck_assert_str_eq(u.host, "");
	url_release(&u);
}
END_TEST

START_TEST(parse_refuses)
{
	struct url u;

	ck_assert_int_eq(url_parse(&u, "/srv/x"), -1);
	ck_assert_int_eq(url_parse(&u, "https://h:99999/x"), -1);
	ck_assert_int_eq(url_parse(&u, "https://h:0/x"), -1);
	ck_assert_int_eq(url_parse(&u, "https://h:8x/x"), -1);
	ck_assert_int_eq(url_parse(&u, "ssh://[::1/x"), -1);
	ck_assert_int_eq(url_parse(&u, "https:///x"), -1);
}
END_TEST

START_TEST(cache_key_has_no_secret)
{
	const char *specs[] = {"HTTPS://tok_SECRET@127.0.0.1:1/x.git",
	                       "https://tok_SECRET@127.0.0.1:1/x.git",
	                       "https://u:tok_SECRET@127.0.0.1:1/x.git"};

	for (size_t i = 0; i < sizeof(specs) / sizeof(*specs); i++) {
		char *red = url_redact(specs[i]), *key = url_cache_key(red);
		ck_assert_msg(!strstr(key, "SECRET"), "key %s", key);
		ck_assert_ptr_null(strchr(key, '/'));
		free(key);
		free(red);
	}
}
END_TEST

START_TEST(cache_key_shape)
{
	char *a = url_cache_key("ssh://git@h:22/org/x.git");
	char *b = url_cache_key("ssh://git@h:22/org/y.git");

	ck_assert_msg(!strncmp(a, "git-h-22-org-x.git-", 19), "key %s", a);
	ck_assert_uint_eq(strlen(a), 19 + 16);
	ck_assert_str_ne(a, b);
	free(a);
	free(b);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("url");

	UNIT_TCASE(s, is_remote);
	UNIT_TCASE(s, redact_any_case);
	UNIT_TCASE(s, parse_parts);
	UNIT_TCASE(s, parse_refuses);
	UNIT_TCASE(s, cache_key_has_no_secret);
	UNIT_TCASE(s, cache_key_shape);
	return s;
}
