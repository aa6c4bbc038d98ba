/*
 * schema-format.c: the "format" checks and the regex dialect of the schema
 * module.
 *
 * Owns: the formats (duration and bytesize through units.h, date-time,
 * uri, regex), and translating ECMA-262 patterns
 * (what JSON Schema specifies) into POSIX extended regexes (what libc
 * has), compiled once per pattern. Does not own: when a format applies
 * (schema-validate.c) or the pattern cache's table (schema.c).
 */
#include <ctype.h>
#include <regex.h>

#include <jansson.h>

#include "schema-int.h"
#include "buf.h"
#include "err.h"
#include "units.h"

/* ---- ECMA-262 to POSIX ERE ---------------------------------------------- */

/* A bracket expression being built: ASCII members and character classes. */
struct rx_class {
	unsigned char bits[128];
	int space;     /* [:space:] */
	struct buf mb; /* non-ASCII members, as UTF-8 */
};

static void outc(struct buf *o, char c)
{
	if (buf_addch(o, c))
		BUG("uncapped buffer failed");
}

static void outs(struct buf *o, const char *s)
{
	if (buf_addstr(o, s))
		BUG("uncapped buffer failed");
}

static void utf8_put(struct buf *o, unsigned cp)
{
	if (cp < 0x80) {
		outc(o, (char)cp);
	} else if (cp < 0x800) {
		outc(o, (char)(0xc0 | (cp >> 6)));
		outc(o, (char)(0x80 | (cp & 0x3f)));
	} else {
		outc(o, (char)(0xe0 | (cp >> 12)));
		outc(o, (char)(0x80 | ((cp >> 6) & 0x3f)));
		outc(o, (char)(0x80 | (cp & 0x3f)));
	}
}

static int hexn(const char *p, int n, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < n; i++) {
		char c = p[i];

		if (c >= '0' && c <= '9')
			v = v * 16 + (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/*
 * Decodes the single character an escape names (\n, \uXXXX, \., ...) at
 * p (just after the backslash). Returns its length, or 0 when the escape
 * is not a single character (\d, \b, \1, \p{..}).
 */
static int escape_char(const char *p, unsigned *cp)
{
	static const char ctl[] = "n\nt\tr\rf\fv\v";
	const char *c;

	if (*p == 'u' && !hexn(p + 1, 4, cp) && *cp)
		return 5;
	if (*p == 'x' && !hexn(p + 1, 2, cp) && *cp)
		return 3;
	for (c = ctl; *c; c += 2) {
		if (*p == c[0]) {
			*cp = (unsigned char)c[1];
			return 1;
		}
	}
	if (*p && !strchr("dDwWsSbBpPc0123456789ux", *p) && !(*p & 0x80)) {
		*cp = (unsigned char)*p;
		return 1;
	}
	return 0;
}

static void class_set(struct rx_class *k, unsigned lo, unsigned hi, int neg)
{
	unsigned c;

	for (c = 1; c < 128; c++) {
		int in = c >= lo && c <= hi;

		if (in != neg)
			k->bits[c] = 1;
	}
}

/* \d \w \s and their negations inside a bracket. */
static int class_shorthand(struct rx_class *k, char e)
{
	int neg = e == 'D' || e == 'W' || e == 'S';

	switch (e) {
	case 'd':
	case 'D':
		class_set(k, '0', '9', neg);
		return 1;
	case 's':
		k->space = 1;
		return 1;
	case 'S':
		class_set(k, 0, ' ', 1);
		return 1;
	case 'w':
	case 'W':
		if (!neg) {
			class_set(k, '0', '9', 0);
			class_set(k, 'A', 'Z', 0);
			class_set(k, 'a', 'z', 0);
			k->bits['_'] = 1;
		} else {
			unsigned c;

			for (c = 1; c < 128; c++)
				if (!((c >= '0' && c <= '9') ||
				      (c >= 'A' && c <= 'Z') ||
				      (c >= 'a' && c <= 'z') || c == '_'))
					k->bits[c] = 1;
		}
		return 1;
	}
	return 0;
}

/* One member of a bracket: a character (cp) or a shorthand (returns 0). */
static int class_atom(const char **pp, unsigned *cp, struct rx_class *k,
                      const char **why)
{
	const char *p = *pp;
	int n;

	if (*p != '\\') {
		/* A UTF-8 sequence counts as one member. */
		n = 1;
		while ((p[0] & 0x80) && (p[n] & 0xc0) == 0x80)
			n++;
		*cp = (unsigned char)*p;
		*pp = p + n;
		return (*p & 0x80) ? -n : 1;
	}
	if (class_shorthand(k, p[1])) {
		*pp = p + 2;
		return 0;
	}
	if (p[1] == 'b') {
		*cp = '\b';
		*pp = p + 2;
		return 1;
	}
	n = escape_char(p + 1, cp);
	if (!n) {
		*why = "an escape kedge cannot translate inside [...]";
		return -1000;
	}
	*pp = p + 1 + n;
	if (*cp >= 0x80) {
		/* No ranges of these: they go in as they are. */
		utf8_put(&k->mb, *cp);
		return 0;
	}
	return 1;
}

static void class_emit(struct buf *o, struct rx_class *k, int neg)
{
	unsigned c, count = 0;

	for (c = 1; c < 128; c++)
		count += k->bits[c];
	if (!neg && count == 1 && k->bits['^'] && !k->space && !k->mb.len) {
		outs(o, "\\^");
		return;
	}
	outc(o, '[');
	if (neg)
		outc(o, '^');
	if (k->bits[']'])
		outc(o, ']');
	for (c = 1; c < 128; c++)
		if (k->bits[c] && !strchr("]^-[", (int)c))
			outc(o, (char)c);
	if (k->space)
		outs(o, "[:space:]");
	outs(o, buf_cstr(&k->mb));
	if (k->bits['['])
		outc(o, '[');
	if (k->bits['^'])
		outc(o, '^');
	if (k->bits['-'])
		outc(o, '-');
	outc(o, ']');
}

/* Translates "[...]" at *pp. */
static int rx_class(struct buf *o, const char **pp, const char **why)
{
	struct rx_class k;
	const char *p = *pp + 1;
	int neg = 0, rc = 0;

	memset(&k, 0, sizeof(k));
	if (*p == '^') {
		neg = 1;
		p++;
	}
	if (*p == ']') {
		*why = "an empty class [] or [^]";
		return -1;
	}
	while (*p && *p != ']') {
		const char *start = p;
		unsigned lo, hi;
		int n = class_atom(&p, &lo, &k, why);

		if (n == -1000 || (n < 0 && (p[0] == '-' && p[1] != ']'))) {
			*why = *why ? *why : "a range of non-ASCII characters";
			rc = -1;
			goto out;
		}
		if (n < 0) {
			if (buf_add(&k.mb, start, (size_t)-n))
				BUG("uncapped buffer failed");
			continue;
		}
		if (n == 0 || p[0] != '-' || p[1] == ']' || !p[1]) {
			if (n)
				k.bits[lo] = 1;
			continue;
		}
		p++;
		if (class_atom(&p, &hi, &k, why) != 1 || hi < lo) {
			*why = *why ? *why : "a bad range in [...]";
			rc = -1;
			goto out;
		}
		class_set(&k, lo, hi, 0);
	}
	if (*p != ']') {
		*why = "an unterminated [";
		rc = -1;
		goto out;
	}
	class_emit(o, &k, neg);
	*pp = p + 1;
out:
	buf_release(&k.mb);
	return rc;
}

/* Is p the start of a quantifier {n}, {n,} or {n,m}? Returns its length. */
static size_t quant_len(const char *p)
{
	size_t n = 1;

	if (!isdigit((unsigned char)p[n]))
		return 0;
	while (isdigit((unsigned char)p[n]))
		n++;
	if (p[n] == ',') {
		n++;
		while (isdigit((unsigned char)p[n]))
			n++;
	}
	return p[n] == '}' ? n + 1 : 0;
}

static int rx_escape(struct buf *o, const char **pp, const char **why)
{
	static const char *const sh[][2] = {
	        {"d", "[0-9]"},        {"D", "[^0-9]"},
	        {"w", "[A-Za-z0-9_]"}, {"W", "[^A-Za-z0-9_]"},
	        {"s", "[[:space:]]"},  {"S", "[^[:space:]]"},
	        {"b", "\\b"},          {"B", "\\B"}};
	const char *p = *pp + 1;
	unsigned cp;
	size_t i;
	int n;

	for (i = 0; i < ARRAY_SIZE(sh); i++) {
		if (*p == sh[i][0][0]) {
			outs(o, sh[i][1]);
			*pp = p + 1;
			return 0;
		}
	}
	if (*p >= '1' && *p <= '9') {
		outc(o, '\\');
		outc(o, *p);
		*pp = p + 1;
		return 0;
	}
	n = escape_char(p, &cp);
	if (!n) {
		*why = "an escape kedge cannot translate (\\p, \\c, \\0)";
		return -1;
	}
	if (cp < 0x80 && strchr(".[]{}()*+?^$|\\", (int)cp))
		outc(o, '\\');
	utf8_put(o, cp);
	*pp = p + n;
	return 0;
}

static int rx_group(struct buf *o, const char **pp, const char **why)
{
	const char *p = *pp;

	if (p[1] != '?') {
		outc(o, '(');
		*pp = p + 1;
		return 0;
	}
	if (p[2] == ':') {
		*pp = p + 3;
	} else if (p[2] == '<' && p[3] != '=' && p[3] != '!' &&
	           strchr(p, '>')) {
		*pp = strchr(p, '>') + 1;
	} else {
		*why = "a lookahead or lookbehind";
		return -1;
	}
	outc(o, '(');
	return 0;
}

int schema_regex_translate(char **out, const char *ecma, struct err *err)
{
	struct buf o = BUF_INIT;
	const char *p = ecma, *why = NULL;
	int rc = 0;

	while (*p && !rc) {
		size_t q;

		switch (*p) {
		case '\\':
			rc = rx_escape(&o, &p, &why);
			break;
		case '[':
			rc = rx_class(&o, &p, &why);
			break;
		case '(':
			rc = rx_group(&o, &p, &why);
			break;
		case '{':
			q = quant_len(p);
			if (q) {
				if (buf_add(&o, p, q))
					BUG("uncapped buffer failed");
				p += q;
			} else {
				outs(&o, "\\{");
				p++;
			}
			break;
		case '}':
			outs(&o, "\\}");
			p++;
			break;
		default:
			outc(&o, *p++);
		}
		/* Lazy quantifiers: whether a match exists does not change. */
		if (!rc && *p == '?' && o.len &&
		    strchr("*+?}", o.ptr[o.len - 1]) &&
		    !(o.len > 1 && o.ptr[o.len - 2] == '\\'))
			p++;
	}
	if (rc) {
		buf_release(&o);
		return err_set(err, ERR_INVALID, "pattern '%s' uses %s", ecma,
		               why);
	}
	*out = buf_detach(&o, NULL);
	return 0;
}

int schema_regex_get(const void **out, struct schema *s, const char *pattern,
                     struct err *err)
{
	regex_t *rx = stab_get(&s->rx, pattern, strlen(pattern));
	char *posix = NULL, msg[256];
	int rc;

	if (rx) {
		*out = rx;
		return 0;
	}
	if ((rc = schema_regex_translate(&posix, pattern, err)))
		return rc;
	rx = xmalloc(sizeof(*rx));
	rc = regcomp(rx, posix, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		regerror(rc, rx, msg, sizeof(msg));
		free(rx);
		free(posix);
		return err_set(err, ERR_INVALID,
		               "pattern '%s' is not valid: %s", pattern, msg);
	}
	free(posix);
	stab_put(&s->rx, pattern, strlen(pattern), rx);
	*out = rx;
	return 0;
}

int schema_regex_match(const void *rx, const char *str)
{
	return regexec(rx, str, 0, NULL, 0) == 0;
}

void schema_regex_free(void *rx)
{
	regfree(rx);
	free(rx);
}

/* ---- date-time and uri ------------------------------------------------------
 */

static int digits(const char *p, int n, int *out)
{
	int i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		*out = *out * 10 + (p[i] - '0');
	}
	return 0;
}

static int month_days(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : d[m - 1];
}

/* RFC 3339 date-time, with the leap second only at 23:59:60 UTC. */
static int check_date_time(const char *s)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	const char *p = s + 19;

	if (strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
	    s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
	    digits(s + 17, 2, &sec))
		return 0;
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 ||
	    mi > 59 || sec > 60)
		return 0;
	if (*p == '.') {
		if (!isdigit((unsigned char)p[1]))
			return 0;
		for (p++; isdigit((unsigned char)*p); p++)
			;
	}
	if ((*p == 'Z' || *p == 'z') && !p[1]) {
		sign = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 &&
	           !digits(p + 1, 2, &oh) && p[3] == ':' &&
	           !digits(p + 4, 2, &om) && oh <= 23 && om <= 59) {
		sign = *p == '+' ? 1 : -1;
	} else {
		return 0;
	}
	if (sec == 60) {
		int utc =
		        ((h * 60 + mi - sign * (oh * 60 + om)) % 1440 + 1440) %
		        1440;

		return utc == 23 * 60 + 59;
	}
	return 1;
}

/* An absolute URI, lightly: a scheme, then no characters URIs forbid. */
static int check_uri(const char *s)
{
	const char *p = s;

	if (!isalpha((unsigned char)*p))
		return 0;
	while (isalnum((unsigned char)*p) || strchr("+-.", *p))
		p++;
	if (*p != ':')
		return 0;
	for (p++; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c >= 0x7f || strchr("<>\"{}|\\^`", c))
			return 0;
		if (c == '%' && (!isxdigit((unsigned char)p[1]) ||
		                 !isxdigit((unsigned char)p[2])))
			return 0;
	}
	/* Only an authority may follow "//"; it needs no '[' but an IPv6. */
	p = strstr(s, "//");
	if (p && p == strchr(s, ':') + 1) {
		const char *end = p + 2 + strcspn(p + 2, "/?#");
		const char *at = memchr(p + 2, '@', (size_t)(end - p - 2));
		const char *host = at ? at + 1 : p + 2;

		if (*host != '[' && memchr(host, '[', (size_t)(end - host)))
			return 0;
	}
	return 1;
}

int schema_format_check(struct schema *s, const char *format, const char *str,
                        const char **hint)
{
	int64_t v;
	const void *rx;

	if (!strcmp(format, "duration")) {
		*hint = "a number with a unit ns, us, ms, s, m or h, "
		        "such as 10s, 1m30s or 500ms";
		return !units_parse_duration(&v, str);
	}
	if (!strcmp(format, "bytesize")) {
		*hint = "a number with an optional unit b, k, m, g or t, "
		        "such as 512k or 1.5g";
		return !units_parse_bytes(&v, str);
	}
	if (!strcmp(format, "date-time")) {
		*hint = "an RFC 3339 date and time such as "
		        "2024-05-01T12:00:00Z";
		return check_date_time(str);
	}
	if (!strcmp(format, "uri")) {
		*hint = "an absolute URI such as https://example.com/x";
		return check_uri(str);
	}
	if (!strcmp(format, "regex")) {
		*hint = "a regular expression kedge can use";
		return !schema_regex_get(&rx, s, str, NULL);
	}
	return -1;
}
