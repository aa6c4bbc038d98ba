/*
 * metrics.c: the metrics registry declared in metrics.h.
 *
 * Owns: the families, their series and the text format. Does not own:
 * the HTTP endpoint or the meaning of any metric.
 *
 * A series is identified by its label text as it will be printed
 * (`stack="web",result="ok"`, values already escaped), so lookups, the
 * sort order of the output and the output itself all use one string. Each
 * family keeps its series sorted by that text (binary search, insertion by
 * memmove): at METRICS_MAX_SERIES that is cheap, and rendering needs no
 * sort.
 */
#include <math.h>
#include <pthread.h>

#include "buf.h"
#include "metrics.h"

struct series {
	char *labels;   /* printed label pairs without braces; "" for none */
	double value;   /* counter or gauge; histogram: the sum */
	double *counts; /* histogram: per bucket (not cumulative), +Inf last */
	uint64_t samples; /* histogram: _count */
};

struct family {
	char *name, *help;
	enum metric_type type;
	double *bounds; /* histogram bucket upper bounds */
	size_t nbounds;
	struct series *series;
	size_t nseries, alloc;
};

struct metrics {
	pthread_mutex_t mu;
	struct family *fams;
	size_t nfams, alloc;
};

static int valid_name(const char *s, int colon_ok)
{
	size_t i;

	if (!s || !*s || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' ||
		      (colon_ok && c == ':')))
			return 0;
	}
	return 1;
}

/* Appends to out, which must accept it (no cap): see metrics_render. */
static void put(struct buf *out, const char *s, size_t n)
{
	if (buf_add(out, s, n) < 0)
		BUG("metrics: the output buffer has a cap (%zu bytes)",
		    out->max);
}

static void puts_(struct buf *out, const char *s)
{
	put(out, s, strlen(s));
}

/*
 * s escaped for a label value (\\ \" \n) or, with quote 0, for a HELP
 * line (\\ \n).
 */
static void put_escaped(struct buf *out, const char *s, int quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			puts_(out, "\\\\");
		else if (*s == '\n')
			puts_(out, "\\n");
		else if (quote && *s == '"')
			puts_(out, "\\\"");
		else
			put(out, s, 1);
	}
}

/*
 * v as Prometheus' Go clients print it (strconv 'g' with the shortest
 * precision): the fewest digits that read back as v, in exponent form
 * when the exponent is below -4 or at least 6; their spellings of the
 * specials.
 */
static void put_number(struct buf *out, double v)
{
	char tmp[48];
	int digits, exp;
	const char *e;

	if (isnan(v)) {
		puts_(out, "NaN");
		return;
	}
	if (isinf(v)) {
		puts_(out, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (digits = 1; digits < 17; digits++) {
		snprintf(tmp, sizeof(tmp), "%.*e", digits - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	snprintf(tmp, sizeof(tmp), "%.*e", digits - 1, v);
	e = strchr(tmp, 'e');
	exp = e ? (int)strtol(e + 1, NULL, 10) : 0;
	if (exp >= -4 && exp < 6)
		snprintf(tmp, sizeof(tmp), "%.*f",
		         digits - 1 - exp > 0 ? digits - 1 - exp : 0, v);
	puts_(out, tmp);
}

/* The label text of a NULL-terminated name, value list; caller frees. */
static char *label_text(const char *const *labels)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; labels && labels[i]; i += 2) {
		if (!valid_name(labels[i], 0) || !strncmp(labels[i], "__", 2))
			BUG("metrics: invalid label name '%s'", labels[i]);
		if (!labels[i + 1])
			BUG("metrics: label '%s' has no value", labels[i]);
		if (!strcmp(labels[i], "le"))
			BUG("metrics: 'le' is reserved for histogram buckets");
		if (i)
			puts_(&b, ",");
		puts_(&b, labels[i]);
		puts_(&b, "=\"");
		put_escaped(&b, labels[i + 1], 1);
		puts_(&b, "\"");
	}
	return buf_detach(&b, NULL);
}

static struct family *find_family(struct metrics *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nfams; i++)
		if (!strcmp(m->fams[i].name, name))
			return &m->fams[i];
	return NULL;
}

static struct family *family_of(struct metrics *m, const char *name,
                                enum metric_type type)
{
	struct family *f = find_family(m, name);

	if (!f)
		BUG("metrics: '%s' was never declared", name);
	if (f->type != type)
		BUG("metrics: '%s' is not of the type this update needs", name);
	return f;
}

/* Index of the first series whose labels are >= key. */
static size_t series_pos(const struct family *f, const char *key, int *found)
{
	size_t lo = 0, hi = f->nseries;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(f->series[mid].labels, key);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

/*
 * Adds v to the series of the counter f whose label text is key (used for
 * the drop counter, whose key is made here). The drop counter itself is
 * bounded like any family; when it is full, the drop goes uncounted.
 */
static void add_locked(struct family *f, const char *key, double v)
{
	int found;
	size_t pos = series_pos(f, key, &found);

	if (!found) {
		if (f->nseries >= METRICS_MAX_SERIES)
			return;
		ALLOC_GROW(f->series, f->nseries + 1, f->alloc);
		memmove(&f->series[pos + 1], &f->series[pos],
		        (f->nseries - pos) * sizeof(*f->series));
		f->nseries++;
		memset(&f->series[pos], 0, sizeof(f->series[pos]));
		f->series[pos].labels = xstrdup(key);
	}
	f->series[pos].value += v;
}

/*
 * The series of f with these labels, created when new; NULL when the
 * family is full (the drop is counted). Called with the lock held.
 */
static struct series *series_get(struct metrics *m, struct family *f,
                                 const char *const *labels)
{
	char *key = label_text(labels);
	struct series *s;
	int found;
	size_t pos = series_pos(f, key, &found);

	if (found) {
		free(key);
		return &f->series[pos];
	}
	if (f->nseries >= METRICS_MAX_SERIES) {
		struct buf dk = BUF_INIT;

		free(key);
		puts_(&dk, "family=\"");
		put_escaped(&dk, f->name, 1);
		puts_(&dk, "\"");
		add_locked(find_family(m, METRICS_DROPPED), dk.ptr, 1);
		buf_release(&dk);
		return NULL;
	}
	ALLOC_GROW(f->series, f->nseries + 1, f->alloc);
	memmove(&f->series[pos + 1], &f->series[pos],
	        (f->nseries - pos) * sizeof(*f->series));
	f->nseries++;
	s = &f->series[pos];
	memset(s, 0, sizeof(*s));
	s->labels = key;
	if (f->type == METRIC_HISTOGRAM)
		s->counts = xcalloc(f->nbounds + 1, sizeof(*s->counts));
	return s;
}

struct metrics *metrics_new(void)
{
	struct metrics *m = xcalloc(1, sizeof(*m));

	pthread_mutex_init(&m->mu, NULL);
	metrics_declare(m, METRICS_DROPPED, METRIC_COUNTER,
	                "Updates dropped because their metric family already "
	                "had the maximum number of label sets.",
	                NULL, 0);
	return m;
}

static void family_clear(struct family *f)
{
	size_t i;

	for (i = 0; i < f->nseries; i++) {
		free(f->series[i].labels);
		free(f->series[i].counts);
	}
	f->nseries = 0;
}

void metrics_free(struct metrics *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nfams; i++) {
		family_clear(&m->fams[i]);
		free(m->fams[i].series);
		free(m->fams[i].name);
		free(m->fams[i].help);
		free(m->fams[i].bounds);
	}
	free(m->fams);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

/* The names a family's samples take (a histogram's _bucket, _sum, _count). */
static int name_taken(struct metrics *m, const char *name)
{
	static const char *const suffixes[] = {"_bucket", "_sum", "_count"};
	size_t i, j, n = strlen(name);

	for (i = 0; i < m->nfams; i++) {
		const struct family *f = &m->fams[i];
		size_t fn = strlen(f->name);

		if (!strcmp(f->name, name))
			return 1;
		for (j = 0; j < ARRAY_SIZE(suffixes); j++) {
			const char *sfx = suffixes[j];
			size_t sn = strlen(sfx);

			if (f->type == METRIC_HISTOGRAM && n == fn + sn &&
			    !strncmp(name, f->name, fn) &&
			    !strcmp(name + fn, sfx))
				return 1;
		}
	}
	return 0;
}

void metrics_declare(struct metrics *m, const char *name, enum metric_type type,
                     const char *help, const double *buckets, size_t nbuckets)
{
	struct family *f;
	size_t i;

	if (!valid_name(name, 1))
		BUG("metrics: invalid metric name '%s'",
		    name ? name : "(null)");
	if (type == METRIC_HISTOGRAM && (!buckets || !nbuckets))
		BUG("metrics: histogram '%s' has no buckets", name);
	if (type != METRIC_HISTOGRAM && (buckets || nbuckets))
		BUG("metrics: '%s' is not a histogram but has buckets", name);
	for (i = 0; i < nbuckets; i++)
		if (isnan(buckets[i]) || isinf(buckets[i]) ||
		    (i && buckets[i] <= buckets[i - 1]))
			BUG("metrics: the buckets of '%s' do not ascend", name);
	pthread_mutex_lock(&m->mu);
	if (name_taken(m, name))
		BUG("metrics: '%s' declared twice", name);
	ALLOC_GROW(m->fams, m->nfams + 1, m->alloc);
	f = &m->fams[m->nfams++];
	memset(f, 0, sizeof(*f));
	f->name = xstrdup(name);
	f->help = xstrdup(help ? help : "");
	f->type = type;
	if (nbuckets) {
		f->bounds = xmalloc(nbuckets * sizeof(*f->bounds));
		memcpy(f->bounds, buckets, nbuckets * sizeof(*f->bounds));
		f->nbounds = nbuckets;
	}
	pthread_mutex_unlock(&m->mu);
}

void metrics_add(struct metrics *m, const char *name, const char *const *labels,
                 double v)
{
	struct series *s;

	if (!(v >= 0))
		BUG("metrics: counter '%s' cannot go down (%g)", name, v);
	pthread_mutex_lock(&m->mu);
	s = series_get(m, family_of(m, name, METRIC_COUNTER), labels);
	if (s)
		s->value += v;
	pthread_mutex_unlock(&m->mu);
}

void metrics_set(struct metrics *m, const char *name, const char *const *labels,
                 double v)
{
	struct series *s;

	pthread_mutex_lock(&m->mu);
	s = series_get(m, family_of(m, name, METRIC_GAUGE), labels);
	if (s)
		s->value = v;
	pthread_mutex_unlock(&m->mu);
}

void metrics_observe(struct metrics *m, const char *name,
                     const char *const *labels, double v)
{
	struct family *f;
	struct series *s;
	size_t i;

	pthread_mutex_lock(&m->mu);
	f = family_of(m, name, METRIC_HISTOGRAM);
	s = series_get(m, f, labels);
	if (s) {
		/* The first bucket whose bound is >= v; NaN counts in +Inf. */
		for (i = 0; i < f->nbounds && !(v <= f->bounds[i]); i++)
			;
		s->counts[i]++;
		s->value += v;
		s->samples++;
	}
	pthread_mutex_unlock(&m->mu);
}

void metrics_reset(struct metrics *m, const char *name)
{
	struct family *f;

	pthread_mutex_lock(&m->mu);
	f = find_family(m, name);
	if (!f)
		BUG("metrics: '%s' was never declared", name);
	family_clear(f);
	pthread_mutex_unlock(&m->mu);
}

/* "name{labels}" (or "name" without labels), with an optional le. */
static void put_sample_name(struct buf *out, const char *name,
                            const char *suffix, const char *labels,
                            const double *le)
{
	puts_(out, name);
	puts_(out, suffix);
	if (!*labels && !le)
		return;
	puts_(out, "{");
	puts_(out, labels);
	if (le) {
		puts_(out, *labels ? ",le=\"" : "le=\"");
		put_number(out, *le);
		puts_(out, "\"");
	}
	puts_(out, "}");
}

static void render_histogram(struct buf *out, const struct family *f,
                             const struct series *s)
{
	double cum = 0, inf = INFINITY;
	size_t i;

	for (i = 0; i <= f->nbounds; i++) {
		cum += s->counts[i];
		put_sample_name(out, f->name, "_bucket", s->labels,
		                i < f->nbounds ? &f->bounds[i] : &inf);
		puts_(out, " ");
		put_number(out, cum);
		puts_(out, "\n");
	}
	put_sample_name(out, f->name, "_sum", s->labels, NULL);
	puts_(out, " ");
	put_number(out, s->value);
	puts_(out, "\n");
	put_sample_name(out, f->name, "_count", s->labels, NULL);
	puts_(out, " ");
	put_number(out, (double)s->samples);
	puts_(out, "\n");
}

void metrics_render(struct metrics *m, struct buf *out)
{
	static const char *const types[] = {"counter", "gauge", "histogram"};
	size_t i, j;

	pthread_mutex_lock(&m->mu);
	for (i = 0; i < m->nfams; i++) {
		const struct family *f = &m->fams[i];

		puts_(out, "# HELP ");
		puts_(out, f->name);
		puts_(out, " ");
		put_escaped(out, f->help, 0);
		puts_(out, "\n# TYPE ");
		puts_(out, f->name);
		puts_(out, " ");
		puts_(out, types[f->type]);
		puts_(out, "\n");
		for (j = 0; j < f->nseries; j++) {
			const struct series *s = &f->series[j];

			if (f->type == METRIC_HISTOGRAM) {
				render_histogram(out, f, s);
				continue;
			}
			put_sample_name(out, f->name, "", s->labels, NULL);
			puts_(out, " ");
			put_number(out, s->value);
			puts_(out, "\n");
		}
	}
	pthread_mutex_unlock(&m->mu);
}
