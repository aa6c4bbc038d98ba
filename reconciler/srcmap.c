/*
 * srcmap.c: the JSON Pointer -> source position map declared in srcmap.h.
 *
 * Owns: an open-addressing hash table keyed by pointer hashes, the
 * closest-ancestor fallback of srcmap_get(), and building escaped pointers
 * (srcmap_child, srcmap_index). Does not own: the document the pointers
 * refer to, or deciding what to record (yamldoc.c does that).
 */
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "srcmap.h"
#include "util.h"

/*
 * A slot holds the pointer's 64-bit hash and length, not the pointer: a
 * thousand-service repository has hundreds of thousands of them, and only
 * a message's position depends on a (vanishingly rare) collision.
 */
struct slot {
	uint64_t hash;
	uint32_t len; /* pointer length + 1; 0: empty */
	struct srcpos pos;
};

struct srcmap {
	char *path;
	struct slot *slots;
	size_t nr, alloc; /* alloc is 0 or a power of two */
};

/* FNV-1a: cheap, and good enough for short path-like keys. */
static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

struct srcmap *srcmap_new(const char *path)
{
	struct srcmap *m = xcalloc(1, sizeof(*m));

	m->path = xstrdup(path ? path : "");
	return m;
}

void srcmap_free(struct srcmap *m)
{
	if (!m)
		return;
	free(m->slots);
	free(m->path);
	free(m);
}

const char *srcmap_path(const struct srcmap *m)
{
	return m->path;
}

static struct slot *find_slot(const struct srcmap *m, uint32_t len, uint64_t h)
{
	size_t mask = m->alloc - 1, i = (size_t)h & mask;

	for (;;) {
		struct slot *s = &m->slots[i];

		if (!s->len || (s->hash == h && s->len == len))
			return s;
		i = (i + 1) & mask;
	}
}

/* Pointers longer than 4 GiB cannot come from a capped document. */
static uint32_t key_len(size_t len)
{
	return len >= UINT32_MAX ? UINT32_MAX : (uint32_t)len + 1;
}

static void grow(struct srcmap *m)
{
	struct slot *old = m->slots;
	size_t old_alloc = m->alloc;

	m->alloc = old_alloc ? old_alloc * 2 : 64;
	m->slots = xcalloc(m->alloc, sizeof(*m->slots));
	for (size_t i = 0; i < old_alloc; i++) {
		if (old[i].len)
			*find_slot(m, old[i].len, old[i].hash) = old[i];
	}
	free(old);
}

void srcmap_set(struct srcmap *m, const char *pointer, const struct srcpos *pos)
{
	size_t len = strlen(pointer);
	uint64_t h = hash_bytes(pointer, len);
	struct slot *s;

	/* Keep the load under 3/4 so probes stay short. */
	if ((m->nr + 1) * 4 > m->alloc * 3)
		grow(m);
	s = find_slot(m, key_len(len), h);
	if (!s->len) {
		s->len = key_len(len);
		s->hash = h;
		m->nr++;
	}
	s->pos = *pos;
}

int srcmap_get(const struct srcmap *m, const char *pointer, struct srcpos *out)
{
	size_t len = strlen(pointer);

	memset(out, 0, sizeof(*out));
	if (!m->alloc)
		return ERR_NOTFOUND;
	for (int ancestor = 0;; ancestor = 1) {
		struct slot *s =
		        find_slot(m, key_len(len), hash_bytes(pointer, len));

		if (s->len) {
			*out = s->pos;
			return ancestor;
		}
		if (!len)
			return ERR_NOTFOUND;
		/* Trim the last "/token"; a pointer without '/' trims to "". */
		while (len && pointer[len - 1] != '/')
			len--;
		if (len)
			len--;
	}
}

char *srcmap_child(const char *parent, const char *token)
{
	size_t plen = strlen(parent), extra = 0, j;
	char *s;

	for (const char *p = token; *p; p++)
		extra += (*p == '~' || *p == '/') ? 2 : 1;
	s = xmalloc(plen + 1 + extra + 1);
	memcpy(s, parent, plen);
	j = plen;
	s[j++] = '/';
	for (const char *p = token; *p; p++) {
		if (*p == '~' || *p == '/') {
			s[j++] = '~';
			s[j++] = *p == '~' ? '0' : '1';
		} else {
			s[j++] = *p;
		}
	}
	s[j] = '\0';
	return s;
}

char *srcmap_index(const char *parent, size_t index)
{
	return xasprintf("%s/%zu", parent, index);
}
