/*
 * url.c: parsing and redacting git remote specs, declared in url.h.
 *
 * Owns: the grammar of a remote spec and the one place that decides what
 * of it is a secret. Does not own: what is done with a remote (repo.c).
 */
#include <ctype.h>
#include <strings.h>

#include "url.h"

/*
 * The length of the "scheme://" that spec starts with, 0 when none:
 * ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) then "://" (RFC 3986 3.1).
 */
static size_t scheme_len(const char *spec)
{
	size_t n = 0;

	if (!isalpha((unsigned char)spec[0]))
		return 0;
	while (isalnum((unsigned char)spec[n]) || spec[n] == '+' ||
	       spec[n] == '-' || spec[n] == '.')
		n++;
	return strncmp(spec + n, "://", 3) ? 0 : n;
}

static int scheme_is(const char *spec, const char *name)
{
	size_t n = scheme_len(spec);

	return n == strlen(name) && !strncasecmp(spec, name, n);
}

int url_is_remote(const char *spec)
{
	const char *colon = strchr(spec, ':');
	const char *slash = strchr(spec, '/');
	const char *at;

	if (scheme_len(spec))
		return 1;
	/* scp style: an '@' and then a ':', both before any '/' */
	if (!colon || (slash && slash < colon))
		return 0;
	at = memchr(spec, '@', (size_t)(colon - spec));
	return at != NULL && at > spec;
}

/* The authority of a URL: [start, *end) after "://" up to the next '/'. */
static const char *authority(const char *spec, const char **end)
{
	size_t n = scheme_len(spec);
	const char *p;

	if (!n)
		return NULL;
	p = spec + n + 3;
	*end = p + strcspn(p, "/?#");
	return p;
}

char *url_redact(const char *spec)
{
	const char *end, *a = authority(spec, &end);
	const char *at, *colon;

	if (!a)
		return xstrdup(spec);
	at = memrchr(a, '@', (size_t)(end - a));
	if (!at)
		return xstrdup(spec);
	colon = memchr(a, ':', (size_t)(at - a));
	if (colon) /* user:secret@ -> user@ */
		return xasprintf("%.*s%s", (int)(colon - spec), spec, at);
	if (scheme_is(spec, "http") || scheme_is(spec, "https"))
		/* https://token@host: the user is the token; drop it all */
		return xasprintf("%.*s%s", (int)(a - spec), spec, at + 1);
	return xstrdup(spec);
}

static int parse_port(int *out, const char *p, const char *end)
{
	int v = 0;

	if (p == end)
		return 0; /* "host:" keeps the default */
	for (; p < end; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		v = v * 10 + (*p - '0');
		if (v > 65535)
			return -1;
	}
	if (!v)
		return -1;
	*out = v;
	return 0;
}

/* host[:port] or [v6][:port] in [hp, end) */
static int parse_hostport(struct url *u, const char *hp, const char *end)
{
	const char *colon;

	if (*hp == '[') {
		const char *close = memchr(hp, ']', (size_t)(end - hp));
		if (!close)
			return -1;
		u->host = xstrndup(hp + 1, (size_t)(close - hp - 1));
		if (close + 1 == end)
			return 0;
		if (close[1] != ':')
			return -1;
		return parse_port(&u->port, close + 2, end);
	}
	colon = memchr(hp, ':', (size_t)(end - hp));
	u->host = xstrndup(hp, (size_t)((colon ? colon : end) - hp));
	return colon ? parse_port(&u->port, colon + 1, end) : 0;
}

int url_parse(struct url *out, const char *spec)
{
	const char *end, *a = authority(spec, &end), *at, *hp, *colon;
	struct url u = {0};
	size_t i;

	if (!url_is_remote(spec))
		return -1;
	if (!a) { /* scp-style user@host:path */
		colon = strchr(spec, ':');
		at = memchr(spec, '@', (size_t)(colon - spec));
		u.scheme = xstrdup("ssh");
		u.port = 22;
		u.user = xstrndup(spec, (size_t)(at - spec));
		u.host = xstrndup(at + 1, (size_t)(colon - at - 1));
		*out = u;
		return 0;
	}
	u.scheme = xstrndup(spec, scheme_len(spec));
	for (i = 0; u.scheme[i]; i++)
		u.scheme[i] = (char)tolower((unsigned char)u.scheme[i]);
	u.port = !strcmp(u.scheme, "https")  ? 443
	         : !strcmp(u.scheme, "http") ? 80
	                                     : 22;
	at = memrchr(a, '@', (size_t)(end - a));
	hp = at ? at + 1 : a;
	if (at) {
		colon = memchr(a, ':', (size_t)(at - a));
		u.user = xstrndup(a, (size_t)((colon ? colon : at) - a));
		if (colon)
			u.secret =
			        xstrndup(colon + 1, (size_t)(at - colon - 1));
	}
	/* file:///path has no host; every other scheme needs one */
	if (parse_hostport(&u, hp, end) ||
	    (!*u.host && strcmp(u.scheme, "file"))) {
		url_release(&u);
		return -1;
	}
	*out = u;
	return 0;
}

void url_release(struct url *u)
{
	free(u->scheme);
	free(u->host);
	free(u->user);
	if (u->secret)
		explicit_bzero(u->secret, strlen(u->secret));
	free(u->secret);
	memset(u, 0, sizeof(*u));
}

char *url_cache_key(const char *url)
{
	size_t skip = scheme_len(url);
	uint64_t h = 0xcbf29ce484222325ull;
	char san[49];
	size_t n = 0;
	const char *p;

	for (p = url; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	for (p = url + (skip ? skip + 3 : 0); *p && n < sizeof(san) - 1; p++) {
		/* ASCII only: the name must not depend on the locale */
		int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		         (*p >= '0' && *p <= '9') || *p == '.';
		if (ok || (n && san[n - 1] != '-'))
			san[n++] = ok ? *p : '-';
	}
	san[n] = '\0';
	return xasprintf("%s-%016llx", san, (unsigned long long)h);
}
