/*
 * convert-parse.c: compose's little languages, parsed as docker/cli
 * v20.10.24 parses them (convert-int.h).
 *
 * Owns: CPU counts (big.Rat, then × 1e9), shell words (google/shlex),
 * short port syntax (go-connections nat.ParsePortSpec), short volume
 * syntax (loader.ParseVolume) and env files (opts.ParseEnvFile). Does not
 * own: durations and sizes (units.h), where the strings come from or error
 * pointers (convert-util.c).
 */
#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>

#include "buf.h"
#include "convert-int.h"

/* m × 10^e as an exact integer, or -1 when not whole or too large. */
static int scale10(json_int_t *out, json_int_t m, long e)
{
	for (; e > 0; e--) {
		if (m > INT64_MAX / 10)
			return -1;
		m *= 10;
	}
	for (; e < 0; e++) {
		if (m % 10)
			return -1;
		m /= 10;
	}
	*out = m;
	return 0;
}

/* Digits into *v; returns how many, or -1 on overflow. */
static int take_digits(json_int_t *v, const char **sp, int *frac)
{
	const char *s = *sp;
	int n = 0;

	for (; isdigit((unsigned char)*s); s++, n++) {
		if (*v > (INT64_MAX - 9) / 10)
			return -1;
		*v = *v * 10 + (*s - '0');
		if (frac)
			(*frac)++;
	}
	*sp = s;
	return n;
}

int convert_parse_cpus(json_int_t *out, const char *s)
{
	json_int_t m = 0, num, den = 0, x = 0;
	const char *slash = strchr(s, '/');
	int n, fd = 0, xneg = 0;

	if (slash) {
		char *a = xstrndup(s, (size_t)(slash - s));
		int rc = convert_parse_cpus(&num, a);

		free(a);
		s = slash + 1;
		if (rc || take_digits(&den, &s, NULL) <= 0 || *s || !den ||
		    num % den)
			return -1;
		*out = num / den;
		return 0;
	}
	n = take_digits(&m, &s, NULL);
	if (n < 0)
		return -1;
	if (*s == '.') {
		s++;
		if (take_digits(&m, &s, &fd) < 0)
			return -1;
	}
	if (!n && !fd)
		return -1;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			xneg = *s++ == '-';
		if (take_digits(&x, &s, NULL) <= 0 || x > 100)
			return -1;
	}
	if (*s)
		return -1;
	return scale10(out, m, 9 - fd + (xneg ? -x : x));
}

/* Appends the word being built (if any) to out. */
static void word_end(json_t *out, struct buf *w, int *inword)
{
	if (*inword)
		json_array_append_new(out, json_string(buf_cstr(w)));
	buf_reset(w);
	*inword = 0;
}

/* Adds one byte to the word; the buffer has no cap. */
static void word_add(struct buf *w, char ch, int *inword)
{
	if (buf_addch(w, ch))
		BUG("uncapped buffer refused a byte");
	*inword = 1;
}

int convert_shell_split(json_t **out, const char *s)
{
	struct buf w = BUF_INIT;
	int inword = 0;
	char q;

	*out = json_array();
	for (; *s; s++) {
		if (strchr(" \t\r\n", *s)) {
			word_end(*out, &w, &inword);
		} else if (*s == '#' && !inword) {
			while (s[1] && s[1] != '\n')
				s++;
		} else if (*s == '\\') {
			if (!*++s)
				goto bad;
			word_add(&w, *s, &inword);
		} else if (*s == '"' || *s == '\'') {
			inword = 1;
			for (q = *s++; *s != q; s++) {
				if (!*s)
					goto bad;
				if (q == '"' && *s == '\\' && !*++s)
					goto bad;
				word_add(&w, *s, &inword);
			}
		} else {
			word_add(&w, *s, &inword);
		}
	}
	word_end(*out, &w, &inword);
	buf_release(&w);
	return 0;
bad:
	buf_release(&w);
	json_decref(*out);
	*out = NULL;
	return -1;
}

/* "80" or "8000-8002" → start and end. */
static int port_range(unsigned *start, unsigned *end, const char *s, size_t n)
{
	unsigned long v[2] = {0, 0};
	size_t i;
	int part = 0, digits = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '-' && digits && !part) {
			part = 1;
			digits = 0;
			continue;
		}
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v[part] = v[part] * 10 + (unsigned long)(s[i] - '0');
		if (v[part] > 65535)
			return -1;
		digits++;
	}
	if (!digits)
		return -1;
	*start = (unsigned)v[0];
	*end = part ? (unsigned)v[1] : (unsigned)v[0];
	return *end < *start ? -1 : 0;
}

static void port_add(json_t *ports, const char *proto, unsigned target,
                     unsigned published)
{
	json_t *p = json_pack("{s:s, s:i}", "Protocol", proto, "TargetPort",
	                      (json_int_t)target);

	if (published)
		json_object_set_new(p, "PublishedPort",
		                    json_integer(published));
	json_object_set_new(p, "PublishMode", json_string("ingress"));
	json_array_append_new(ports, p);
}

int convert_port_spec(struct convert_port_spec *out, const char *spec,
                      const char **why)
{
	const char *cport = strrchr(spec, ':'), *hport = NULL, *slash;
	size_t hlen = 0, clen, i;
	char *proto = out->proto;

	memset(out, 0, sizeof(*out));
	cport = cport ? cport + 1 : spec;
	if (cport != spec) {
		for (hport = cport - 1; hport > spec && hport[-1] != ':';)
			hport--;
		hlen = (size_t)(cport - 1 - hport);
	}
	slash = strchr(cport, '/');
	clen = slash ? (size_t)(slash - cport) : strlen(cport);
	if (!slash || !slash[1])
		snprintf(proto, sizeof(out->proto), "tcp");
	else if (strlen(slash + 1) < sizeof(out->proto))
		snprintf(proto, sizeof(out->proto), "%s", slash + 1);
	for (i = 0; proto[i]; i++)
		proto[i] = (char)tolower((unsigned char)proto[i]);
	*why = "the container port must be a number or a range";
	if (port_range(&out->target_first, &out->target_last, cport, clen))
		return -1;
	*why = "the host port must be a number or a range";
	if (hlen && port_range(&out->published_first, &out->published_last,
	                       hport, hlen))
		return -1;
	*why = "the protocol must be tcp, udp or sctp";
	if (strcmp(proto, "tcp") && strcmp(proto, "udp") &&
	    strcmp(proto, "sctp"))
		return -1;
	*why = "the host and container port ranges differ in size";
	if (hlen &&
	    out->target_last - out->target_first !=
	            out->published_last - out->published_first &&
	    out->target_last != out->target_first)
		return -1;
	return 0;
}

int convert_parse_port(json_t *ports, const char *spec, const char **why)
{
	struct convert_port_spec p;
	unsigned i, h, cs, ce;

	if (convert_port_spec(&p, spec, why))
		return -1;
	cs = p.target_first;
	ce = p.target_last;
	for (i = 0; i <= ce - cs; i++) {
		if (!p.published_first && !p.published_last) {
			port_add(ports, p.proto, cs + i, 0);
		} else if (ce == cs) {
			/* One container port, a host range: each host port. */
			for (h = p.published_first; h <= p.published_last; h++)
				port_add(ports, p.proto, cs, h);
		} else {
			port_add(ports, p.proto, cs + i, p.published_first + i);
		}
	}
	return 0;
}

static int is_propagation(const char *s)
{
	static const char *const p[] = {"private", "rprivate", "shared",
	                                "rshared", "slave",    "rslave"};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(p); i++)
		if (!strcmp(s, p[i]))
			return 1;
	return 0;
}

/* The mode field of a short volume: "ro,nocopy,rshared". */
static void volume_options(json_t *v, const char *opts)
{
	char *copy = xstrdup(opts), *tok, *save = NULL;

	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "ro"))
			json_object_set_new(v, "read_only", json_true());
		else if (!strcmp(tok, "rw"))
			json_object_set_new(v, "read_only", json_false());
		else if (!strcmp(tok, "nocopy"))
			json_object_set_new(v, "volume",
			                    json_pack("{s:b}", "nocopy", 1));
		else if (is_propagation(tok))
			json_object_set_new(
			        v, "bind",
			        json_pack("{s:s}", "propagation", tok));
	}
	free(copy);
}

/* Stores one colon-separated field of a short volume spec. */
static int volume_field(json_t *v, const char *f, int at_end, const char **why)
{
	if (!*f) {
		*why = "an empty section between colons";
		return -1;
	}
	if (!json_object_get(v, "source") && at_end)
		json_object_set_new(v, "target", json_string(f));
	else if (!json_object_get(v, "source"))
		json_object_set_new(v, "source", json_string(f));
	else if (!json_object_get(v, "target"))
		json_object_set_new(v, "target", json_string(f));
	else if (!at_end) {
		*why = "too many colons";
		return -1;
	} else
		volume_options(v, f);
	return 0;
}

static int is_file_path(const char *s)
{
	if (strchr("./~", s[0]))
		return 1;
	if (!s[1])
		return 0;
	return !strncmp(s, "\\\\", 2) ||
	       (isalpha((unsigned char)s[0]) && s[1] == ':');
}

int convert_parse_volume(json_t **out, const char *spec, const char **why)
{
	size_t len = strlen(spec), start = 0, i;
	const char *src;
	char *f;
	int rc = 0;

	*why = "an empty volume";
	*out = NULL;
	if (!len)
		return -1;
	*out = json_object();
	if (len <= 2) {
		json_object_set_new(*out, "target", json_string(spec));
		json_object_set_new(*out, "type", json_string("volume"));
		return 0;
	}
	for (i = 0; i <= len && !rc; i++) {
		if (spec[i] == ':' && i - start == 1 &&
		    isalpha((unsigned char)spec[start]))
			continue; /* a Windows drive letter */
		if (spec[i] != ':' && spec[i])
			continue;
		f = xstrndup(spec + start, i - start);
		rc = volume_field(*out, f, !spec[i], why);
		free(f);
		start = i + 1;
	}
	src = json_string_value(json_object_get(*out, "source"));
	json_object_set_new(
	        *out, "type",
	        json_string(src && is_file_path(src) ? "bind" : "volume"));
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* One line of an env file. */
static int env_line(json_t *env, struct cv *c, char *line, unsigned lineno,
                    char *why, size_t n)
{
	const char *val = NULL;
	char *eq, *k;
	json_t *s;

	while (isspace((unsigned char)*line))
		line++;
	if (!*line || *line == '#')
		return 0;
	eq = strchr(line, '=');
	k = line;
	if (eq)
		*eq = '\0';
	if (strpbrk(k, " \t")) {
		snprintf(why, n, "line %u: the variable name contains spaces",
		         lineno);
		return -1;
	}
	if (!*k) {
		snprintf(why, n, "line %u: no variable name", lineno);
		return -1;
	}
	if (eq)
		val = eq + 1;
	else if (c->opts && c->opts->env)
		val = c->opts->env(c->opts->env_ctx, k);
	if (!val)
		return 0;
	s = json_string(val);
	if (!s || json_object_set_new(env, k, s)) {
		snprintf(why, n, "line %u: not valid UTF-8", lineno);
		return -1;
	}
	return 0;
}

int convert_parse_env_file(json_t *env, struct cv *c, const char *text,
                           size_t len, char *why, size_t n)
{
	char *copy, *line, *nl;
	unsigned lineno = 1;
	int rc = 0;

	if (memchr(text, '\0', len)) {
		snprintf(why, n, "contains a NUL byte");
		return -1;
	}
	copy = xstrndup(text, len);
	line = copy;
	if (!strncmp(line, "\xef\xbb\xbf", 3))
		line += 3;
	for (; line && !rc; line = nl, lineno++) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		if (*line && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = '\0';
		rc = env_line(env, c, line, lineno, why, n);
	}
	free(copy);
	return rc;
}
