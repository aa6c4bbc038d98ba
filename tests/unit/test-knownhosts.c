/*
 * test-knownhosts.c: unit tests of knownhosts.h: plain, [host]:port,
 * wildcard, negated and hashed entries, @revoked, mismatches, and a
 * pattern with many '*' that must not backtrack exponentially.
 */
#include "unit.h"

#include "knownhosts.h"
#include "util.h"

/* Two made-up key blobs and their base64, as a known_hosts line has it. */
static const char key_a[] = "key-a-blob";
static const char key_b[] = "key-b-blob";
#define B64_A "a2V5LWEtYmxvYg=="
#define B64_B "a2V5LWItYmxvYg=="

/*
 * HMAC-SHA1 with the salt bytes 1..20, computed with Python's hmac module:
 * "git.example.com" and "[127.0.0.1]:2222".
 */
#define HASHED_GIT \
	"|1|AQIDBAUGBwgJCgsMDQ4PEBESExQ=|EiQSkbI2iH6xlKTHZxO85Msmylo="
#define HASHED_LOOP \
	"|1|AQIDBAUGBwgJCgsMDQ4PEBESExQ=|6nwC5rG6k7vxYwKIoAwPZGhI1VE="

static enum knownhosts_result check(const char *text, const char *name,
                                    const char *key)
{
	return knownhosts_check(text, strlen(text), name, key, strlen(key));
}

START_TEST(names)
{
	char *a = knownhosts_name("h.example", 22);
	char *b = knownhosts_name("127.0.0.1", 2222);

	ck_assert_str_eq(a, "h.example");
	ck_assert_str_eq(b, "[127.0.0.1]:2222");
	free(a);
	free(b);
}
END_TEST

START_TEST(plain_and_port)
{
	const char *kh = "# comment\n"
	                 "\n"
	                 "git.example.com,10.0.0.5 ssh-ed25519 " B64_A "\n"
	                 "[127.0.0.1]:2222 ssh-ed25519 " B64_B " c\r\n";

	ck_assert_int_eq(check(kh, "git.example.com", key_a), KNOWNHOSTS_OK);
	ck_assert_int_eq(check(kh, "10.0.0.5", key_a), KNOWNHOSTS_OK);
	ck_assert_int_eq(check(kh, "GIT.example.com", key_a), KNOWNHOSTS_OK);
	ck_assert_int_eq(check(kh, "[127.0.0.1]:2222", key_b), KNOWNHOSTS_OK);
	/* port 22 and another port are different names */
	ck_assert_int_eq(check(kh, "127.0.0.1", key_b), KNOWNHOSTS_UNKNOWN);
	ck_assert_int_eq(check(kh, "[127.0.0.1]:2223", key_b),
	                 KNOWNHOSTS_UNKNOWN);
	ck_assert_int_eq(check(kh, "other.example", key_a), KNOWNHOSTS_UNKNOWN);
	ck_assert_int_eq(check("", "git.example.com", key_a),
	                 KNOWNHOSTS_UNKNOWN);
}
END_TEST

START_TEST(mismatch)
{
	const char *kh = "git.example.com ssh-ed25519 " B64_A "\n";

	ck_assert_int_eq(check(kh, "git.example.com", key_b),
	                 KNOWNHOSTS_MISMATCH);
	/* a later line with the right key wins over an earlier other key */
	ck_assert_int_eq(check("git.example.com ssh-rsa " B64_B "\n"
	                       "git.example.com ssh-ed25519 " B64_A,
	                       "git.example.com", key_a),
	                 KNOWNHOSTS_OK);
}
END_TEST

START_TEST(wildcards_and_negation)
{
	const char *kh =
	        "*.example.com,!bad.example.com ssh-ed25519 " B64_A "\n"
	        "h?.test ssh-ed25519 " B64_B "\n";

	ck_assert_int_eq(check(kh, "git.example.com", key_a), KNOWNHOSTS_OK);
	ck_assert_int_eq(check(kh, "bad.example.com", key_a),
	                 KNOWNHOSTS_UNKNOWN);
	ck_assert_int_eq(check(kh, "h1.test", key_b), KNOWNHOSTS_OK);
	ck_assert_int_eq(check(kh, "h12.test", key_b), KNOWNHOSTS_UNKNOWN);
	ck_assert_int_eq(check(kh, "example.com", key_a), KNOWNHOSTS_UNKNOWN);
}
END_TEST

START_TEST(hashed)
{
	const char *kh = HASHED_GIT " ssh-ed25519 " B64_A "\n" HASHED_LOOP
	                            " ssh-ed25519 " B64_B "\n";

	ck_assert_int_eq(check(kh, "git.example.com", key_a), KNOWNHOSTS_OK);
	ck_assert_int_eq(check(kh, "[127.0.0.1]:2222", key_b), KNOWNHOSTS_OK);
	ck_assert_int_eq(check(kh, "git.example.com", key_b),
	                 KNOWNHOSTS_MISMATCH);
	ck_assert_int_eq(check(kh, "git.example.org", key_a),
	                 KNOWNHOSTS_UNKNOWN);
	/* a broken hash is no match, and no crash */
	ck_assert_int_eq(check("|1|!!|x ssh-ed25519 " B64_A "\n|1|\n|1|a|\n",
	                       "git.example.com", key_a),
	                 KNOWNHOSTS_UNKNOWN);
}
END_TEST

START_TEST(revoked)
{
	/* revoked wins even after a line that accepts the key */
	const char *kh = "git.example.com ssh-ed25519 " B64_A "\n"
	                 "@revoked * ssh-ed25519 " B64_A "\n";

	ck_assert_int_eq(check(kh, "git.example.com", key_a),
	                 KNOWNHOSTS_REVOKED);
	/* a revoked other key does not make this host known */
	ck_assert_int_eq(check("@revoked * ssh-ed25519 " B64_B "\n",
	                       "git.example.com", key_a),
	                 KNOWNHOSTS_UNKNOWN);
	/* @cert-authority lines are skipped */
	ck_assert_int_eq(check("@cert-authority * ssh-ed25519 " B64_A "\n",
	                       "git.example.com", key_a),
	                 KNOWNHOSTS_UNKNOWN);
}
END_TEST

/* Exponential backtracking would not finish within check's timeout. */
START_TEST(many_stars_are_linear)
{
	char name[4096], *kh;

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	kh = xasprintf("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b "
	               "ssh-ed25519 " B64_A "\n"
	               "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a "
	               "ssh-ed25519 " B64_B "\n");
	ck_assert_int_eq(check(kh, name, key_a), KNOWNHOSTS_MISMATCH);
	ck_assert_int_eq(check(kh, name, key_b), KNOWNHOSTS_OK);
	free(kh);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("knownhosts");
	TCase *tc;

	UNIT_TCASE(s, names);
	UNIT_TCASE(s, plain_and_port);
	UNIT_TCASE(s, mismatch);
	UNIT_TCASE(s, wildcards_and_negation);
	UNIT_TCASE(s, hashed);
	UNIT_TCASE(s, revoked);
	tc = tcase_create("many_stars_are_linear");
	tcase_set_timeout(tc, 2);
	tcase_add_test(tc, many_stars_are_linear);
	suite_add_tcase(s, tc);
	return s;
}
