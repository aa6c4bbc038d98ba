/*
 * units.c: the duration and byte-size parsers declared in units.h.
 *
 * Both follow the Go code the docker CLI runs, step for step, because a
 * stack kedge accepts must be one `docker stack deploy` accepts, with the
 * same value: Go's time.ParseDuration counts in uint64 with a bound of
 * 2^63 at every step, and go-units multiplies a float64 by a power of
 * 1024 and truncates. The bounds here are checked before each operation,
 * so no input overflows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "units.h"

#define BOUND (UINT64_C(1) << 63)

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static const struct {
	const char *name;
	uint64_t ns;
} dur_units[] = {
        {"ns", 1},
        {"us", 1000},
        {"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
        {"\xce\xbcs", 1000}, /* U+03BC Greek mu */
        {"ms", 1000000},
        {"s", 1000000000},
        {"m", UINT64_C(60000000000)},
        {"h", UINT64_C(3600000000000)},
};

/* The unit of length n at s, or 0 when unknown. */
static uint64_t dur_unit(const char *s, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(dur_units); i++)
		if (strlen(dur_units[i].name) == n &&
		    !memcmp(dur_units[i].name, s, n))
			return dur_units[i].ns;
	return 0;
}

/*
 * The fraction after a '.': its digits as an integer and 10^(digits
 * kept). Like Go, digits past what fits are read but no longer counted.
 */
static const char *dur_fraction(const char *s, uint64_t *f, double *scale,
                                int *any)
{
	int full = 0;

	for (; is_digit(*s); s++) {
		uint64_t y;

		*any = 1;
		if (full)
			continue;
		y = *f * 10 + (uint64_t)(*s - '0');
		if (*f > (BOUND - 1) / 10 || y > BOUND) {
			full = 1;
			continue;
		}
		*f = y;
		*scale *= 10;
	}
	return s;
}

/* One "<number><unit>" group into *sum; advances *sp. */
static int dur_group(uint64_t *sum, const char **sp)
{
	const char *s = *sp, *u;
	uint64_t v = 0, f = 0, unit;
	double scale = 1;
	int pre = 0, post = 0;

	if (!is_digit(*s) && *s != '.')
		return ERR_INVALID;
	for (; is_digit(*s); s++) {
		pre = 1;
		if (v > BOUND / 10)
			return ERR_INVALID;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > BOUND)
			return ERR_INVALID;
	}
	if (*s == '.')
		s = dur_fraction(s + 1, &f, &scale, &post);
	if (!pre && !post)
		return ERR_INVALID;
	for (u = s; *s && *s != '.' && !is_digit(*s); s++)
		;
	unit = dur_unit(u, (size_t)(s - u));
	if (!unit || v > BOUND / unit)
		return ERR_INVALID;
	v *= unit;
	/* f / scale < 1, so this adds less than one unit (at most an hour). */
	if (f)
		v += (uint64_t)((double)f * ((double)unit / scale));
	if (v > BOUND || v > BOUND - *sum)
		return ERR_INVALID;
	*sum += v;
	*sp = s;
	return 0;
}

int units_parse_duration(int64_t *out_ns, const char *s)
{
	uint64_t sum = 0;
	int neg = 0;

	if (!s)
		return ERR_INVALID;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!strcmp(s, "0")) {
		*out_ns = 0;
		return 0;
	}
	if (!*s)
		return ERR_INVALID;
	while (*s)
		if (dur_group(&sum, &s))
			return ERR_INVALID;
	if (neg) {
		*out_ns = sum == BOUND ? INT64_MIN : -(int64_t)sum;
		return 0;
	}
	if (sum >= BOUND)
		return ERR_INVALID;
	*out_ns = (int64_t)sum;
	return 0;
}

int units_parse_bytes(int64_t *out, const char *s)
{
	static const char units[] = "kmgtp";
	const char *p = s, *u;
	double size, mul = 1;
	char *num;

	if (!s || !is_digit(*p))
		return ERR_INVALID;
	while (is_digit(*p))
		p++;
	if (*p == '.' && is_digit(p[1]))
		for (p++; is_digit(*p); p++)
			;
	/* Only the number goes to strtod: it would also read "1e5", "0x1". */
	num = xstrndup(s, (size_t)(p - s));
	size = strtod(num, NULL);
	free(num);
	if (*p == ' ')
		p++;
	if (*p >= 'A' && *p <= 'Z')
		u = strchr(units, *p - 'A' + 'a');
	else
		u = *p ? strchr(units, *p) : NULL;
	if (u) {
		for (const char *k = units; k <= u; k++)
			mul *= 1024;
		p++;
	}
	if (*p == 'i' || *p == 'I')
		p++;
	if (*p == 'b' || *p == 'B')
		p++;
	size *= mul;
	/* Also refuses NaN; go-units would send whatever int64() made of it. */
	if (*p || !(size < 9223372036854775808.0))
		return ERR_INVALID;
	*out = (int64_t)size;
	return 0;
}

int units_parse_bound_ms(long *ms, const char *s, long min_ms)
{
	int64_t ns = -1;
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!errno && *s && !*end && v > 0 && v <= 86400)
		ns = (int64_t)v * 1000000000LL;
	else if (units_parse_duration(&ns, s))
		ns = -1;
	if (ns < (int64_t)min_ms * 1000000LL || ns > 86400LL * 1000000000LL)
		return ERR_INVALID;
	*ms = (long)(ns / 1000000LL);
	return 0;
}
