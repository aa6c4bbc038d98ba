/*
 * cron.c: cron expressions, next-run times and time zone names (cron.h).
 *
 * Owns: the field parser, the civil-calendar search for the next matching
 * wall-clock minute, and its conversion to an instant in a time zone. Does
 * not own: scheduling policy (jitter, deadlines, concurrency) or locations
 * in files.
 */
#include <ctype.h>
#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

#include "cron.h"
#include "err.h"

#define ZONEINFO     "/usr/share/zoneinfo"
#define SEARCH_YEARS 10

struct field {
	const char *name;
	int min, max;
	const char *const *names; /* 3-letter names for min..., or NULL */
	const char *names_hint;
};

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY",
                                          "JUN", "JUL", "AUG", "SEP", "OCT",
                                          "NOV", "DEC", NULL};
static const char *const dow_names[] = {"SUN", "MON", "TUE", "WED",
                                        "THU", "FRI", "SAT", NULL};

static const struct field fields[5] = {
        {"minute", 0, 59, NULL, NULL},
        {"hour", 0, 23, NULL, NULL},
        {"day-of-month", 1, 31, NULL, NULL},
        {"month", 1, 12, month_names, "a month name (JAN-DEC)"},
        {"day-of-week", 0, 7, dow_names, "a weekday name (SUN-SAT)"},
};

static const struct {
	const char *name, *expr;
} macros[] = {
        {"@yearly", "0 0 1 1 *"},  {"@annually", "0 0 1 1 *"},
        {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
        {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
        {"@hourly", "0 * * * *"},
};

/* ---- parsing ------------------------------------------------------------- */

/* Reads one value (a number or, where the field has them, a name). */
static int parse_value(int *out, const struct field *f, const char *s, size_t n,
                       struct err *err)
{
	int v = 0;
	size_t i;

	if (n && isalpha((unsigned char)s[0]) && f->names) {
		for (i = 0; f->names[i]; i++)
			if (n == 3 && !strncasecmp(s, f->names[i], 3)) {
				*out = f->min == 1 ? (int)i + 1 : (int)i;
				return 0;
			}
	}
	for (i = 0; i < n && isdigit((unsigned char)s[i]); i++)
		if (v < 1000)
			v = v * 10 + (s[i] - '0');
	if (!n || i < n) {
		if (f->names)
			return err_set(err, ERR_INVALID,
			               "%s field '%.*s' is not a number or %s",
			               f->name, (int)n, s, f->names_hint);
		return err_set(err, ERR_INVALID,
		               "%s field '%.*s' is not a number", f->name,
		               (int)n, s);
	}
	if (v < f->min || v > f->max)
		return err_set(err, ERR_INVALID,
		               "%s field '%.*s' is out of range %d-%d", f->name,
		               (int)n, s, f->min, f->max);
	*out = v;
	return 0;
}

/* Reads the STEP of "item/STEP": 1 up to the size of the field's range. */
static int parse_step(int *out, const struct field *f, const char *item,
                      size_t n, const char *s, struct err *err)
{
	size_t len = n - (size_t)(s - item), i;
	int v = 0, most = f->max - f->min + 1;

	for (i = 0; i < len && isdigit((unsigned char)s[i]); i++)
		if (v <= most)
			v = v * 10 + (s[i] - '0');
	if (!len || i < len || v < 1 || v > most)
		return err_set(err, ERR_INVALID,
		               "%s field '%.*s' has an invalid step (expected "
		               "a number 1-%d after '/')",
		               f->name, (int)n, item, most);
	*out = v;
	return 0;
}

/* Reads "*", "N", "N-M", each with an optional "/STEP", into *bits. */
static int parse_item(uint64_t *bits, int *any, const struct field *f,
                      const char *s, size_t n, struct err *err)
{
	const char *slash = memchr(s, '/', n), *dash;
	size_t rn = slash ? (size_t)(slash - s) : n;
	int lo = f->min, hi = f->max, step = 1, rc;

	if (slash && (rc = parse_step(&step, f, s, n, slash + 1, err)))
		return rc;
	if (rn == 1 && (s[0] == '?' || s[0] == '*')) {
		if (s[0] == '?')
			return err_set(err, ERR_INVALID,
			               "%s field '?' is not supported; use '*'",
			               f->name);
		if (f->max == 7)
			hi = 6; /* 7 is Sunday again */
		*any = step == 1;
	} else {
		dash = memchr(s, '-', rn);
		if ((rc = parse_value(&lo, f, s, dash ? (size_t)(dash - s) : rn,
		                      err)))
			return rc;
		hi = !slash ? lo : f->max == 7 ? 6 : f->max;
		if (dash &&
		    (rc = parse_value(&hi, f, dash + 1,
		                      rn - (size_t)(dash - s) - 1, err)))
			return rc;
		if (hi < lo)
			return err_set(err, ERR_INVALID,
			               "%s field '%.*s' is a backwards range "
			               "(%d > %d)",
			               f->name, (int)rn, s, lo, hi);
	}
	for (int v = lo; v <= hi; v += step)
		*bits |= UINT64_C(1) << (v == 7 && f->max == 7 ? 0 : v);
	return 0;
}

/* Reads a comma-separated field. */
static int parse_field(uint64_t *bits, int *any, const struct field *f,
                       const char *s, size_t n, struct err *err)
{
	size_t start = 0, i;
	int rc, items = 0;

	*bits = 0;
	*any = 0;
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != ',')
			continue;
		if (i == start)
			return err_set(err, ERR_INVALID,
			               "%s field '%.*s' has an empty list item",
			               f->name, (int)n, s);
		if ((rc = parse_item(bits, any, f, s + start, i - start, err)))
			return rc;
		items++;
		start = i + 1;
	}
	if (items > 1)
		*any = 0;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

/* With day-of-week unrestricted, some chosen month must have a chosen day. */
static int check_reachable(const struct cron *c, const char *dom,
                           const char *mon, struct err *err)
{
	for (int m = 1; m <= 12; m++) {
		if (!(c->months & (1u << m)))
			continue;
		for (int d = 1; d <= days_in_month(2000, m); d++)
			if (c->doms & (UINT32_C(1) << d))
				return 0;
	}
	return err_set(err, ERR_INVALID,
	               "schedule never runs: day-of-month field '%s' matches "
	               "no day of month field '%s'",
	               dom, mon);
}

static int expand_macro(const char **out, const char *s, size_t n,
                        struct err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(macros); i++)
		if (strlen(macros[i].name) == n &&
		    !strncasecmp(s, macros[i].name, n)) {
			*out = macros[i].expr;
			return 0;
		}
	return err_set(err, ERR_INVALID,
	               "unknown schedule '%.*s' (expected five fields or one "
	               "of @yearly, @annually, @monthly, @weekly, @daily, "
	               "@midnight, @hourly)",
	               (int)n, s);
}

/* Splits expr at blanks into at most 5 fields; *nr gets the real count. */
static size_t split(const char *expr, const char *start[5], size_t len[5])
{
	size_t nr = 0;
	const char *p = expr;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return nr;
		if (nr < 5)
			start[nr] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (nr < 5)
			len[nr] = (size_t)(p - start[nr]);
		nr++;
	}
}

int cron_parse(struct cron *out, const char *expr, struct err *err)
{
	const char *start[5];
	size_t len[5], nr = split(expr, start, len);
	struct cron c;
	uint64_t bits[5];
	int any[5], rc;

	if (nr == 1 && start[0][0] == '@') {
		if ((rc = expand_macro(&expr, start[0], len[0], err)))
			return rc;
		nr = split(expr, start, len);
	}
	if (nr == 0)
		return err_set(err, ERR_INVALID, "schedule is empty");
	if (nr != 5)
		return err_set(err, ERR_INVALID,
		               "expected 5 fields (minute hour day-of-month "
		               "month day-of-week), got %zu%s",
		               nr,
		               nr == 6 ? "; a seconds field is not supported"
		                       : "");
	for (size_t i = 0; i < 5; i++)
		if ((rc = parse_field(&bits[i], &any[i], &fields[i], start[i],
		                      len[i], err)))
			return rc;
	memset(&c, 0, sizeof(c));
	c.minutes = bits[0];
	c.hours = (uint32_t)bits[1];
	c.doms = (uint32_t)bits[2];
	c.months = (uint16_t)bits[3];
	c.dows = (uint8_t)bits[4];
	c.dom_any = any[2] ? 1 : 0;
	c.dow_any = any[4] ? 1 : 0;
	if (c.dow_any) {
		char *dom = xstrndup(start[2], len[2]);
		char *mon = xstrndup(start[3], len[3]);

		rc = check_reachable(&c, dom, mon, err);
		free(dom);
		free(mon);
		if (rc)
			return rc;
	}
	*out = c;
	return 0;
}

/* ---- time zones ------------------------------------------------------------
 */

static int tz_chars_ok(const char *tz)
{
	for (const char *p = tz; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_+-/", *p))
			return 0;
	return 1;
}

/* Whether path is a regular file that starts with the TZif magic. */
static int is_tzif(const char *path)
{
	struct stat st;
	char magic[4];
	FILE *f;
	int ok;

	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	f = fopen(path, "rb");
	if (!f)
		return 0;
	ok = fread(magic, 1, 4, f) == 4 && !memcmp(magic, "TZif", 4);
	fclose(f);
	return ok;
}

/* The entry of dir whose name equals name but for case; NULL if none. */
static char *entry_nocase(const char *dir, const char *name, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *found = NULL;

	while (d && !found && (e = readdir(d)))
		if (strlen(e->d_name) == n && !strncasecmp(e->d_name, name, n))
			found = xasprintf("%s/%s", dir, e->d_name);
	if (d)
		closedir(d);
	return found;
}

/* "europe/berlin" -> "Europe/Berlin" when only the case is wrong. */
static char *case_hint(const char *tz)
{
	char *path = xstrdup(ZONEINFO), *next, *found = NULL;
	const char *p = tz;

	while (path && *p) {
		size_t n = strcspn(p, "/");

		next = entry_nocase(path, p, n);
		free(path);
		path = next;
		p += n + (p[n] == '/');
	}
	if (path && is_tzif(path))
		found = xstrdup(path + strlen(ZONEINFO) + 1);
	free(path);
	return found;
}

int cron_check_timezone(const char *tz, struct err *err)
{
	char *path, *hint;
	int rc = 0;

	if (!tz || !*tz)
		return err_set(err, ERR_INVALID, "time zone is empty");
	if (tz[0] == '/' || !strcmp(tz, "..") || starts_with(tz, "../") ||
	    strstr(tz, "/../") || ends_with(tz, "/..") || !tz_chars_ok(tz) ||
	    strlen(tz) > 128)
		return err_set(err, ERR_INVALID,
		               "time zone '%s' is not an IANA time zone name "
		               "(such as UTC or Europe/Berlin)",
		               tz);
	path = xasprintf("%s/%s", ZONEINFO, tz);
	if (!is_tzif(path)) {
		hint = case_hint(tz);
		if (hint)
			rc = err_set(err, ERR_INVALID,
			             "unknown time zone '%s' (did you mean "
			             "'%s'?)",
			             tz, hint);
		else
			rc = err_set(err, ERR_INVALID,
			             "unknown time zone '%s' (no such zone in "
			             "%s)",
			             tz, ZONEINFO);
		free(hint);
	}
	free(path);
	return rc;
}

/* ---- civil time
 * -------------------------------------------------------------- */

/* A wall-clock minute. */
struct civil {
	int y, mo, d, h, mi;
};

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static long days_from_civil(int y, int m, int d)
{
	long yy = y - (m <= 2), era = (yy >= 0 ? yy : yy - 399) / 400;
	long yoe = yy - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static int weekday(const struct civil *c)
{
	long wd = (days_from_civil(c->y, c->mo, c->d) + 4) % 7;

	return (int)(wd < 0 ? wd + 7 : wd);
}

static int civil_cmp(const struct civil *a, const struct civil *b)
{
	const int x[] = {a->y, a->mo, a->d, a->h, a->mi};
	const int z[] = {b->y, b->mo, b->d, b->h, b->mi};

	for (size_t i = 0; i < ARRAY_SIZE(x); i++)
		if (x[i] != z[i])
			return x[i] < z[i] ? -1 : 1;
	return 0;
}

static void civil_of(struct civil *out, time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	*out = (struct civil){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	                      tm.tm_hour, tm.tm_min};
}

/* Moves to the start of the next minute/hour/day/month (level 4..1). */
static void civil_next(struct civil *c, int level)
{
	if (level >= 4 && ++c->mi < 60)
		return;
	c->mi = 0;
	if (level >= 3 && ++c->h < 24)
		return;
	c->h = 0;
	if (level >= 2 && ++c->d <= days_in_month(c->y, c->mo))
		return;
	c->d = 1;
	if (++c->mo <= 12)
		return;
	c->mo = 1;
	c->y++;
}

static int day_matches(const struct cron *cr, const struct civil *c)
{
	int dom = (cr->doms >> c->d) & 1, dow = (cr->dows >> weekday(c)) & 1;

	if (cr->dom_any || cr->dow_any)
		return dom && dow;
	return dom || dow;
}

/*
 * The first instant whose wall-clock time is c: 0 when there is one, 1 when
 * c falls in a gap (then *out is the instant the gap ends), -1 when neither
 * can be found (an odd zone; the caller skips c).
 */
static int civil_to_time(time_t *out, const struct civil *c)
{
	time_t t[2], lo, hi;
	struct civil back;
	int found = 0;

	for (int dst = 0; dst < 2; dst++) {
		struct tm tm = {.tm_year = c->y - 1900,
		                .tm_mon = c->mo - 1,
		                .tm_mday = c->d,
		                .tm_hour = c->h,
		                .tm_min = c->mi,
		                .tm_isdst = dst};

		t[dst] = mktime(&tm);
		civil_of(&back, t[dst]);
		if (t[dst] != (time_t)-1 && !civil_cmp(&back, c) &&
		    (!found || t[dst] < *out)) {
			*out = t[dst];
			found = 1;
		}
	}
	if (found)
		return 0;
	lo = t[0] < t[1] ? t[0] : t[1];
	hi = t[0] < t[1] ? t[1] : t[0];
	civil_of(&back, lo);
	if (civil_cmp(&back, c) >= 0)
		return -1;
	civil_of(&back, hi);
	if (civil_cmp(&back, c) <= 0)
		return -1;
	while (hi - lo > 1) { /* invariant: civil(lo) < c < civil(hi) */
		time_t mid = lo + (hi - lo) / 2;

		civil_of(&back, mid);
		*(civil_cmp(&back, c) < 0 ? &lo : &hi) = mid;
	}
	*out = hi;
	return 1;
}

static int next_in_zone(time_t *out, const struct cron *cr, time_t after)
{
	struct civil c;
	int last_year;
	time_t t = 0;

	civil_of(&c, after);
	last_year = c.y + SEARCH_YEARS;
	civil_next(&c, 4);
	for (;;) {
		if (!(cr->months & (1u << c.mo)))
			civil_next(&c, 1);
		else if (!day_matches(cr, &c))
			civil_next(&c, 2);
		else if (!(cr->hours & (UINT32_C(1) << c.h)))
			civil_next(&c, 3);
		else if (!(cr->minutes & (UINT64_C(1) << c.mi)))
			civil_next(&c, 4);
		else if (civil_to_time(&t, &c) >= 0 && t > after)
			break;
		else
			civil_next(&c, 4);
		if (c.y > last_year)
			return ERR_NOTFOUND;
	}
	*out = t;
	return 0;
}

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

int cron_next(time_t *out, const struct cron *c, time_t after, const char *tz,
              struct err *err)
{
	char *saved = NULL, *val;
	const char *old;
	int rc;

	if (tz && (rc = cron_check_timezone(tz, err)))
		return rc;
	val = xasprintf(":%s", tz ? tz : "UTC");
	pthread_mutex_lock(&tz_lock);
	old = getenv("TZ");
	if (old)
		saved = xstrdup(old);
	setenv("TZ", val, 1);
	tzset();
	rc = next_in_zone(out, c, after);
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	pthread_mutex_unlock(&tz_lock);
	free(saved);
	free(val);
	if (rc)
		return err_set(err, rc,
		               "schedule has no run in the %d years after the "
		               "given time",
		               SEARCH_YEARS);
	return 0;
}
