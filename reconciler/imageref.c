/*
 * imageref.c: docker image references (imageref.h).
 *
 * Owns: a hand-written reader of distribution/reference's grammar (the
 * regular expressions of its regexp.go, ParseNormalizedNamed's defaults,
 * go-digest's checks) and docker's familiar form. Does not own: the
 * messages' location (callers add the file and key).
 *
 * The grammar, as docker/cli 28 vendors it:
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path-component { "/" path-component }
 *   domain    := host [ ":" digits ]; host is DNS-like components of
 *                [a-zA-Z0-9-] not starting or ending with "-", or "[v6]"
 *   path-component := [a-z0-9]+ { ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ }
 *   tag       := [\w][\w.-]{0,127}
 *   digest    := algorithm ":" hex{32,}, then sha256/384/512 of exact size
 */
#include <ctype.h>

#include "imageref.h"
#include "util.h"

#define DEFAULT_DOMAIN "docker.io"
#define OFFICIAL_REPO  "library/"
#define PATH_MAX_LEN   255

static const char bad_format[] = "invalid reference format";

/* A parsed reference; every member points into buf. */
struct ref {
	char *buf;
	const char *domain; /* "" when the name has none */
	const char *path;
	const char *tag;    /* NULL when absent */
	const char *digest; /* NULL when absent */
};

static int is_lower_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

static int is_word(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_';
}

/* [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )* over s[0..n). */
static int path_component(const char *s, size_t n)
{
	size_t i = 0, run;

	while (i < n) {
		if (!is_lower_alnum(s[i]))
			return 0;
		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == n)
			return 1;
		run = 0;
		if (s[i] == '.') {
			run = 1;
		} else if (s[i] == '_') {
			while (run < 2 && i + run < n && s[i + run] == '_')
				run++;
		} else if (s[i] == '-') {
			while (i + run < n && s[i + run] == '-')
				run++;
		} else {
			return 0;
		}
		i += run;
		if (i == n)
			return 0; /* a separator must be followed by a component
			           */
	}
	return n > 0;
}

/* One or more path components separated by "/". */
static int remote_name(const char *s, size_t n)
{
	const char *end = s + n, *slash;

	for (;;) {
		slash = memchr(s, '/', (size_t)(end - s));
		if (!path_component(s, (size_t)((slash ? slash : end) - s)))
			return 0;
		if (!slash)
			return 1;
		s = slash + 1;
	}
}

/* One DNS-like label: [a-zA-Z0-9] or [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]. */
static int domain_label(const char *s, size_t n)
{
	if (!n || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

/* host [":" [0-9]+] over s[0..n). */
static int domain_and_port(const char *s, size_t n)
{
	const char *end = s + n, *p = s, *dot, *stop;

	if (n && *s == '[') {
		p = memchr(s, ']', n);
		if (!p || p == s + 1)
			return 0;
		for (const char *q = s + 1; q < p; q++)
			if (!isxdigit((unsigned char)*q) && *q != ':')
				return 0;
		p++;
	} else {
		stop = memchr(s, ':', n);
		stop = stop ? stop : end;
		while (p < stop) {
			dot = memchr(p, '.', (size_t)(stop - p));
			if (!domain_label(p, (size_t)((dot ? dot : stop) - p)))
				return 0;
			p = dot ? dot + 1 : stop;
			if (dot && p == stop)
				return 0; /* a trailing dot */
		}
		if (p == s)
			return 0;
	}
	if (p == end)
		return 1;
	if (*p != ':' || p + 1 == end)
		return 0;
	for (p++; p < end; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	return 1;
}

static int tag_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 128 || !is_word(s[0]))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
			return 0;
	return 1;
}

/*
 * algorithm ":" encoded, as the reference grammar and then go-digest check
 * it. NULL when valid, else why not.
 */
static const char *digest_check(const char *s)
{
	static const struct {
		const char *name;
		size_t hex;
	} algs[] = {{"sha256", 64}, {"sha384", 96}, {"sha512", 128}};
	const char *colon = strchr(s, ':'), *p;
	size_t alen, i;

	if (!colon || !isalpha((unsigned char)s[0]))
		return bad_format;
	for (p = s + 1; p < colon; p++) {
		if (isalnum((unsigned char)*p))
			continue;
		if (!strchr("-_+.", *p) || !isalpha((unsigned char)p[1]))
			return bad_format;
	}
	alen = (size_t)(colon - s);
	for (p = colon + 1; *p; p++)
		if (!isxdigit((unsigned char)*p))
			return bad_format;
	if (p - (colon + 1) < 32)
		return bad_format;
	for (i = 0; i < ARRAY_SIZE(algs); i++)
		if (strlen(algs[i].name) == alen &&
		    !strncmp(s, algs[i].name, alen))
			break;
	if (i == ARRAY_SIZE(algs))
		return "unsupported digest algorithm";
	if (strlen(colon + 1) != algs[i].hex)
		return "invalid checksum digest length";
	for (p = colon + 1; *p; p++)
		if (!is_lower_alnum(*p))
			return "invalid checksum digest format";
	return NULL;
}

/* A bare image ID: exactly 64 lower-case hex digits. */
static int identifier(const char *s)
{
	size_t n = strlen(s);

	if (n != 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) ||
		    isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

/* distribution/reference's Parse() of s into r (r->buf is s, owned). */
static const char *parse(struct ref *r, char *s)
{
	char *at = strchr(s, '@'), *slash, *colon, *first;
	const char *why;

	r->buf = s;
	r->tag = r->digest = NULL;
	if (at) {
		*at = '\0';
		r->digest = at + 1;
		if (strchr(r->digest, '@'))
			return bad_format;
	}
	slash = strrchr(s, '/');
	colon = strrchr(slash ? slash : s, ':');
	if (colon) {
		*colon = '\0';
		r->tag = colon + 1;
		if (!tag_ok(r->tag))
			return bad_format;
	}
	first = strchr(s, '/');
	if (first && domain_and_port(s, (size_t)(first - s)) &&
	    remote_name(first + 1, strlen(first + 1))) {
		*first = '\0';
		r->domain = s;
		r->path = first + 1;
	} else if (remote_name(s, strlen(s))) {
		r->domain = "";
		r->path = s;
	} else {
		return bad_format;
	}
	if (strlen(r->path) > PATH_MAX_LEN)
		return "repository name must not be more than 255 characters";
	if (r->digest && (why = digest_check(r->digest)))
		return why;
	return NULL;
}

static int has_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (isupper((unsigned char)s[i]))
			return 1;
	return 0;
}

/*
 * ParseNormalizedNamed: the docker.io and library/ defaults
 * (splitDockerDomain), then Parse. On success the caller frees r->buf.
 */
static const char *parse_normalized(struct ref *r, const char *s)
{
	const char *slash = strchr(s, '/'), *domain = DEFAULT_DOMAIN, *rem = s;
	const char *why, *colon;
	char *full;
	size_t dlen = strlen(DEFAULT_DOMAIN);

	r->buf = NULL;
	if (identifier(s))
		return "invalid repository name, cannot specify 64-byte "
		       "hexadecimal strings";
	if (slash) {
		size_t n = (size_t)(slash - s);

		if ((n == 9 && !strncmp(s, "localhost", 9)) ||
		    memchr(s, '.', n) || memchr(s, ':', n) || has_upper(s, n)) {
			domain = s;
			dlen = n;
			rem = slash + 1;
		}
		if (n == 15 && !strncmp(s, "index.docker.io", 15)) {
			domain = DEFAULT_DOMAIN;
			dlen = strlen(DEFAULT_DOMAIN);
		}
	}
	colon = strchr(rem, ':');
	if (has_upper(rem, colon ? (size_t)(colon - rem) : strlen(rem)))
		return "invalid reference format: repository name must be "
		       "lowercase";
	full = xasprintf(
	        "%.*s/%s%s", (int)dlen, domain,
	        dlen == strlen(DEFAULT_DOMAIN) &&
	                        !strncmp(domain, DEFAULT_DOMAIN, dlen) &&
	                        !strchr(rem, '/')
	                ? OFFICIAL_REPO
	                : "",
	        rem);
	why = parse(r, full);
	if (why) {
		free(full);
		r->buf = NULL;
	}
	return why;
}

const char *imageref_check(const char *ref)
{
	struct ref r;
	const char *why;

	/*
	 * The CLI's ParseAnyReference also takes a bare image ID, but the
	 * swarm refuses one ("is not a valid repository/tag"): only a name
	 * (which "sha256:<hex>" is, with a tag) can be deployed.
	 */
	if (!*ref)
		return "repository name must have at least one component";
	why = parse_normalized(&r, ref);
	free(r.buf);
	return why;
}

static char *familiar(const char *ref, int keep_digest)
{
	struct ref r;
	const char *path, *domain, *tag, *digest;
	char *out;

	if (parse_normalized(&r, ref))
		return xstrdup(ref);
	domain = strcmp(r.domain, DEFAULT_DOMAIN) ? r.domain : "";
	path = r.path;
	if (!*domain && starts_with(path, OFFICIAL_REPO) &&
	    !strchr(path + strlen(OFFICIAL_REPO), '/'))
		path += strlen(OFFICIAL_REPO);
	digest = keep_digest ? r.digest : NULL;
	/* TagNameOnly: latest only for a name with neither tag nor digest. */
	tag = r.tag ? r.tag : digest ? NULL : "latest";
	out = xasprintf("%s%s%s%s%s%s%s", domain, *domain ? "/" : "", path,
	                tag ? ":" : "", tag ? tag : "", digest ? "@" : "",
	                digest ? digest : "");
	free(r.buf);
	return out;
}

char *imageref_familiar(const char *ref)
{
	return familiar(ref, 1);
}

char *imageref_familiar_undigested(const char *ref)
{
	return familiar(ref, 0);
}
