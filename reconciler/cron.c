/*
 * cron.c: cron expressions, next-run times and time zone names (cron.h).
 *
 * Owns: the field parser, the civil-calendar search for the next matching
 * wall-clock minute, and its conversion to an instant in a time zone, with
 * the zone's UTC offsets read from its TZif file (RFC 8536). Does
 * not own: scheduling policy (jitter, deadlines, concurrency) or locations
 * in files.
 */
#include <ctype.h>
#include <dirent.h>
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

/* ---- time zones
 * -------------------------------------------------------------- */

/*
 * A time zone read from its TZif file (RFC 8536): the transitions of the
 * version 2+ (64-bit) block, and the footer's POSIX TZ rule for instants
 * after the last one. Read per call, owned by the caller's stack frame:
 * nothing here is shared between threads, and the process environment is
 * never touched.
 */
struct tz_rule {
	char kind;   /* 'M' (month.week.day), 'J' (1-365), 'n' (0-365) */
	int m, w, d; /* for 'M'; d is the day for 'J' and 'n' */
	long secs;   /* local time of day of the change */
};

struct tz {
	int64_t *times; /* transition instants, ascending */
	int *offsets;   /* UTC offset (seconds) from times[i] on */
	size_t n;
	int first_off; /* before the first transition */
	int has_rule;  /* the footer gives a rule for after times[n-1] */
	int std_off, dst_off;
	int has_dst;
	struct tz_rule start, end;
};

#define TZ_MAX_BYTES (1024 * 1024)

static void tz_release(struct tz *z)
{
	free(z->times);
	free(z->offsets);
	memset(z, 0, sizeof(*z));
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* A POSIX TZ name: letters, or <...> quoted. Returns the rest, or NULL. */
static const char *posix_name(const char *s)
{
	if (*s == '<') {
		const char *e = strchr(s, '>');

		return e ? e + 1 : NULL;
	}
	while (isalpha((unsigned char)*s))
		s++;
	return s;
}

/* [+-]hh[:mm[:ss]] into *out seconds. Returns the rest, or NULL. */
static const char *posix_time(const char *s, long *out)
{
	long sign = 1, part[3] = {0, 0, 0};
	int i = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (!isdigit((unsigned char)*s))
		return NULL;
	for (;;) {
		while (isdigit((unsigned char)*s) && part[i] < 1000)
			part[i] = part[i] * 10 + (*s++ - '0');
		if (*s != ':' || i == 2)
			break;
		s++;
		i++;
	}
	*out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	return s;
}

static int posix_num(const char **s, int *out)
{
	long v = 0;

	if (!isdigit((unsigned char)**s))
		return -1;
	while (isdigit((unsigned char)**s) && v < 1000)
		v = v * 10 + (*(*s)++ - '0');
	*out = (int)v;
	return 0;
}

/* ",Mm.w.d[/time]" or ",Jn[/time]" or ",n[/time]". */
static const char *posix_rule(const char *s, struct tz_rule *r)
{
	if (*s++ != ',')
		return NULL;
	r->secs = 2 * 3600;
	if (*s == 'M') {
		s++;
		r->kind = 'M';
		if (posix_num(&s, &r->m) || *s++ != '.' ||
		    posix_num(&s, &r->w) || *s++ != '.' ||
		    posix_num(&s, &r->d) || r->m < 1 || r->m > 12 || r->w < 1 ||
		    r->w > 5 || r->d > 6)
			return NULL;
	} else {
		r->kind = *s == 'J' ? 'J' : 'n';
		s += *s == 'J';
		if (posix_num(&s, &r->d) || r->d > 365)
			return NULL;
	}
	if (*s == '/')
		s = posix_time(s + 1, &r->secs);
	return s;
}

/* The footer, e.g. "CET-1CEST,M3.5.0,M10.5.0/3". 0, or -1 when odd. */
static int posix_parse(struct tz *z, const char *s)
{
	long off;

	if (!(s = posix_name(s)) || !(s = posix_time(s, &off)))
		return -1;
	z->std_off = (int)-off;
	z->has_rule = 1;
	if (!*s)
		return 0;
	if (!(s = posix_name(s)))
		return -1;
	z->has_dst = 1;
	z->dst_off = z->std_off + 3600;
	if (*s && *s != ',') {
		if (!(s = posix_time(s, &off)))
			return -1;
		z->dst_off = (int)-off;
	}
	if (!*s) { /* no rule: POSIX's default, the US one */
		z->start = (struct tz_rule){'M', 3, 2, 0, 7200};
		z->end = (struct tz_rule){'M', 11, 1, 0, 7200};
		return 0;
	}
	if (!(s = posix_rule(s, &z->start)) || !(s = posix_rule(s, &z->end)))
		return -1;
	return *s ? -1 : 0;
}

/* The counts of one TZif header, and the size of its block. */
struct tz_head {
	size_t isut, isstd, leap, time, type, chars, size;
};

static int tz_head(struct tz_head *h, const unsigned char *b, size_t len,
                   int wide)
{
	if (len < 44 || memcmp(b, "TZif", 4))
		return -1;
	h->isut = be32(b + 20);
	h->isstd = be32(b + 24);
	h->leap = be32(b + 28);
	h->time = be32(b + 32);
	h->type = be32(b + 36);
	h->chars = be32(b + 40);
	if (h->time > TZ_MAX_BYTES || h->type == 0 || h->type > 256 ||
	    h->chars > TZ_MAX_BYTES || h->leap > TZ_MAX_BYTES ||
	    h->isut > 256 || h->isstd > 256)
		return -1;
	h->size = 44 + h->time * (wide ? 9 : 5) + h->type * 6 + h->chars +
	          h->leap * (wide ? 12 : 8) + h->isstd + h->isut;
	return len < h->size ? -1 : 0;
}

/* The footer after a version 2+ block: "\n<POSIX TZ>\n". */
static void tz_footer(struct tz *z, const unsigned char *p, size_t len)
{
	const unsigned char *nl;
	char *rule;

	if (len < 2 || *p != '\n' || !(nl = memchr(p + 1, '\n', len - 1)))
		return;
	rule = xstrndup((const char *)p + 1, (size_t)(nl - p - 1));
	if (*rule && posix_parse(z, rule))
		z->has_rule = 0;
	free(rule);
}

/* Parses a TZif image. 0, or -1 when it is not one kedge can read. */
static int tz_parse(struct tz *z, const unsigned char *b, size_t len)
{
	const unsigned char *times, *types, *info;
	struct tz_head h;
	int wide = 0;

	if (tz_head(&h, b, len, 0))
		return -1;
	if (b[4] >= '2') { /* skip the 32-bit block for the 64-bit one */
		b += h.size;
		len -= h.size;
		wide = 1;
		if (tz_head(&h, b, len, 1))
			return -1;
	}
	times = b + 44;
	types = times + h.time * (wide ? 8 : 4);
	info = types + h.time;
	z->n = h.time;
	z->times = xcalloc(z->n + 1, sizeof(*z->times));
	z->offsets = xcalloc(z->n + 1, sizeof(*z->offsets));
	for (size_t i = 0; i < z->n; i++) {
		if (types[i] >= h.type)
			return -1;
		z->times[i] = wide ? be64(times + 8 * i)
		                   : (int32_t)be32(times + 4 * i);
		z->offsets[i] = (int32_t)be32(info + 6 * types[i]);
	}
	z->first_off = (int32_t)be32(info);
	if (wide)
		tz_footer(z, b + h.size, len - h.size);
	return 0;
}

/* Reads zone name (NULL: UTC) from the zoneinfo database. */
static int tz_load(struct tz *z, const char *name, struct err *err)
{
	char *path;
	unsigned char *b;
	size_t len;
	FILE *f;
	int rc = 0;

	memset(z, 0, sizeof(*z));
	if (!name) {
		z->has_rule = 1; /* "UTC0" */
		return 0;
	}
	path = xasprintf("%s/%s", ZONEINFO, name);
	f = fopen(path, "rb");
	b = xmalloc(TZ_MAX_BYTES);
	len = f ? fread(b, 1, TZ_MAX_BYTES, f) : 0;
	if (!f || ferror(f) || len == TZ_MAX_BYTES || tz_parse(z, b, len)) {
		tz_release(z);
		rc = err_set(err, ERR_INVALID,
		             "time zone '%s': cannot read '%s' as a TZif file",
		             name, path);
	}
	if (f)
		fclose(f);
	free(b);
	free(path);
	return rc;
}

/* Days since 1970-01-01 of the day rule r names in year y. */
static long rule_day(const struct tz_rule *r, int y)
{
	long jan1 = days_from_civil(y, 1, 1), first, day;
	int leap = days_in_month(y, 2) == 29;

	if (r->kind == 'J')
		return jan1 + r->d - 1 + (leap && r->d >= 60);
	if (r->kind == 'n')
		return jan1 + r->d;
	first = days_from_civil(y, r->m, 1);
	day = first + ((r->d - (first + 4) % 7) + 14) % 7 + (r->w - 1) * 7L;
	while (day >= first + days_in_month(y, r->m))
		day -= 7;
	return day;
}

static void civil_utc(struct civil *out, int64_t s);

/* The offset the footer's rule gives at instant t. */
static int rule_offset(const struct tz *z, int64_t t)
{
	struct civil c;
	int64_t start, end;

	if (!z->has_dst)
		return z->std_off;
	civil_utc(&c, t + z->std_off);
	start = (int64_t)rule_day(&z->start, c.y) * 86400 + z->start.secs -
	        z->std_off;
	end = (int64_t)rule_day(&z->end, c.y) * 86400 + z->end.secs -
	      z->dst_off;
	if (start < end)
		return t >= start && t < end ? z->dst_off : z->std_off;
	return t >= end && t < start ? z->std_off : z->dst_off;
}

/* The UTC offset in seconds of zone z at instant t. */
static int tz_offset(const struct tz *z, int64_t t)
{
	size_t lo = 0, hi;

	if (!z->n)
		return z->has_rule ? rule_offset(z, t) : z->first_off;
	if (t < z->times[0])
		return z->first_off;
	if (t >= z->times[z->n - 1] && z->has_rule)
		return rule_offset(z, t);
	hi = z->n; /* invariant: times[lo] <= t < times[hi] */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		*(z->times[mid] <= t ? &lo : &hi) = mid;
	}
	return z->offsets[lo];
}

/* The civil minute of s seconds since the epoch, read as UTC. */
static void civil_utc(struct civil *out, int64_t s)
{
	int64_t days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
	int64_t secs = s - days * 86400, z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int m = (int)(mp < 10 ? mp + 3 : mp - 9);

	*out = (struct civil){(int)(yoe + era * 400 + (m <= 2)), m,
	                      (int)(doy - (153 * mp + 2) / 5 + 1),
	                      (int)(secs / 3600), (int)(secs % 3600 / 60)};
}

/* The wall-clock minute of instant t in zone z. */
static void civil_of(const struct tz *z, struct civil *out, time_t t)
{
	civil_utc(out, (int64_t)t + tz_offset(z, t));
}

/* c read as if it were UTC, in seconds since the epoch. */
static int64_t civil_secs(const struct civil *c)
{
	return (int64_t)days_from_civil(c->y, c->mo, c->d) * 86400 +
	       c->h * 3600 + c->mi * 60;
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
static int civil_to_time(const struct tz *z, time_t *out, const struct civil *c)
{
	int64_t local = civil_secs(c);
	/* A zone changes its offset at most once within a day around c. */
	const int cand[3] = {tz_offset(z, local - 86400), tz_offset(z, local),
	                     tz_offset(z, local + 86400)};
	time_t t[2], lo, hi;
	struct civil back;
	int found = 0;

	for (size_t k = 0; k < ARRAY_SIZE(cand); k++) {
		time_t at = (time_t)(local - cand[k]);

		if (tz_offset(z, at) == cand[k] && (!found || at < *out)) {
			*out = at;
			found = 1;
		}
	}
	t[0] = (time_t)(local - cand[0]);
	t[1] = (time_t)(local - cand[2]);
	if (found)
		return 0;
	lo = t[0] < t[1] ? t[0] : t[1];
	hi = t[0] < t[1] ? t[1] : t[0];
	civil_of(z, &back, lo);
	if (civil_cmp(&back, c) >= 0)
		return -1;
	civil_of(z, &back, hi);
	if (civil_cmp(&back, c) <= 0)
		return -1;
	while (hi - lo > 1) { /* invariant: civil(lo) < c < civil(hi) */
		time_t mid = lo + (hi - lo) / 2;

		civil_of(z, &back, mid);
		*(civil_cmp(&back, c) < 0 ? &lo : &hi) = mid;
	}
	*out = hi;
	return 1;
}

static int next_in_zone(time_t *out, const struct cron *cr, time_t after,
                        const struct tz *z)
{
	struct civil c;
	int last_year;
	time_t t = 0;

	civil_of(z, &c, after);
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
		else if (civil_to_time(z, &t, &c) >= 0 && t > after)
			break;
		else
			civil_next(&c, 4);
		if (c.y > last_year)
			return ERR_NOTFOUND;
	}
	*out = t;
	return 0;
}

int cron_next(time_t *out, const struct cron *c, time_t after, const char *tz,
              struct err *err)
{
	struct tz z;
	int rc;

	if (tz && (rc = cron_check_timezone(tz, err)))
		return rc;
	if ((rc = tz_load(&z, tz, err)))
		return rc;
	rc = next_in_zone(out, c, after, &z);
	tz_release(&z);
	if (rc)
		return err_set(err, rc,
		               "schedule has no run in the %d years after the "
		               "given time",
		               SEARCH_YEARS);
	return 0;
}
