/*
 * test-log.c: what a log line looks like through log_format() and the
 * log_* macros.
 *
 * Owns: one event is one line whatever its message holds (escapes), a long
 * message is cut with a marker rather than silently, and a disabled level
 * does not evaluate its arguments. Does not own: what modules log.
 */
#include <stdarg.h>

#include "unit.h"

#include "err.h"
#include "log.h"

/* 2026-11-24T11:40:00Z */
#define NOW ((time_t)1795520400)

static char *line(enum log_level lvl, const char *mod, const char *fmt, ...)
        PRINTF(3, 4);

static char *line(enum log_level lvl, const char *mod, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = log_format(lvl, mod, NOW, fmt, ap);
	va_end(ap);
	return s;
}

START_TEST(plain_line)
{
	char *s = line(LOG_INFO, "apply", "service updated stack=%s", "shop");

	ck_assert_str_eq(s, "2026-11-24T11:40:00Z info  apply: service updated "
	                    "stack=shop\n");
	free(s);
}
END_TEST

/* A name from outside cannot start a second, invented event. */
START_TEST(newline_cannot_forge_a_line)
{
	char *s = line(
	        LOG_WARN, "repo", "cannot read '%s'",
	        "x\n2026-11-24T11:40:01Z error apply: forged\r\t\\\x01\x7f");

	ck_assert_str_eq(s, "2026-11-24T11:40:00Z warn  repo: cannot read "
	                    "'x\\n2026-11-24T11:40:01Z error apply: "
	                    "forged\\r\\t\\\\\\x01\\x7f'\n");
	ck_assert_ptr_eq(strchr(s, '\n'), s + strlen(s) - 1);
	free(s);
}
END_TEST

START_TEST(long_message_is_cut_with_a_marker)
{
	size_t n = LOG_MAX_MESSAGE + 100;
	char *big = xmalloc(n + 1), *s, *want;

	memset(big, 'a', n);
	big[n] = '\0';
	s = line(LOG_ERROR, "m", "%s", big);
	want = xasprintf("... (%d bytes cut)\n", 100);
	ck_assert_msg(ends_with(s, want), "%s", s + strlen(s) - 40);
	ck_assert_uint_eq(strlen(s), strlen("2026-11-24T11:40:00Z error m: ") +
	                                     LOG_MAX_MESSAGE + strlen(want));
	free(want);
	free(s);
	free(big);
}
END_TEST

static int evaluated;

static const char *count(void)
{
	evaluated++;
	return "x";
}

START_TEST(threshold_before_arguments)
{
	ck_assert_int_eq(log_set_level("warn"), 0);
	log_debug("t", "%s", count());
	log_info("t", "%s", count());
	ck_assert_int_eq(evaluated, 0);
	log_warn("t", "%s", count());
	ck_assert_int_eq(evaluated, 1);
	ck_assert_int_ne(log_set_level("verbose"), 0);
}
END_TEST

/* logfmt: the message's trailing key=value words are fields. */
START_TEST(logfmt_line)
{
	char *s;

	ck_assert_int_eq(log_set_format("logfmt"), 0);
	log_set_reconcile(42);
	s = line(LOG_INFO, "apply", "service \"x\" updated stack=%s n=%d",
	         "shop", 3);
	ck_assert_str_eq(s, "time=2026-11-24T11:40:00Z level=info module=apply "
	                    "msg=\"service \\\"x\\\" updated\" stack=shop n=3 "
	                    "reconcile=42\n");
	free(s);
	log_set_reconcile(0);
	s = line(LOG_WARN, "repo", "a\nb");
	ck_assert_str_eq(s, "time=2026-11-24T11:40:00Z level=warn module=repo "
	                    "msg=\"a\\nb\"\n");
	free(s);
	ck_assert_int_eq(log_set_format("text"), 0);
}
END_TEST

START_TEST(json_line)
{
	char *s;

	ck_assert_int_eq(log_set_format("json"), 0);
	log_set_reconcile(7);
	s = line(LOG_ERROR, "daemon", "reconcile finished result=%s exit=%d",
	         "failed", 2);
	ck_assert_str_eq(s, "{\"time\":\"2026-11-24T11:40:00Z\",\"level\":"
	                    "\"error\",\"module\":\"daemon\",\"msg\":"
	                    "\"reconcile finished\",\"result\":\"failed\","
	                    "\"exit\":\"2\",\"reconcile\":7}\n");
	free(s);
	log_set_reconcile(0);
	/* a newline in the message cannot start a second line */
	s = line(LOG_INFO, "x", "a\nb");
	ck_assert_ptr_eq(strchr(s, '\n'), s + strlen(s) - 1);
	free(s);
	ck_assert_int_eq(log_set_format("yaml"), ERR_INVALID);
	ck_assert_int_eq(log_set_format("text"), 0);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("log");

	UNIT_TCASE(s, plain_line);
	UNIT_TCASE(s, newline_cannot_forge_a_line);
	UNIT_TCASE(s, long_message_is_cut_with_a_marker);
	UNIT_TCASE(s, threshold_before_arguments);
	UNIT_TCASE(s, logfmt_line);
	UNIT_TCASE(s, json_line);
	return s;
}
