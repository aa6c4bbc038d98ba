/*
 * fuzz-webhook.c: libFuzzer target for webhook_check(), what an
 * unauthenticated peer of kedge run reaches first.
 *
 * Owns: arbitrary input split into the header values and the body: the
 * first byte picks the provider, the bytes up to the first NUL are the
 * signature or token header, up to the second the event header, the rest
 * the body. The body is signed with the test secret half of the time (the
 * first byte's low bit), so both the refusal and the parsing paths run.
 * What must hold for any input: a verdict of the enum, a reason that is a
 * NUL-terminated string without the secret (unless the input itself
 * carries that text), and no crash or leak. Does not
 * own: the rules (webhook.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "webhook.h"

#define SECRET "fuzz-secret"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct hdrs {
	enum webhook_provider p;
	const char *sig, *event;
	char signed_hex[80];
	int sign;
};

static const char *header(void *ctx, const char *name)
{
	struct hdrs *h = ctx;

	if (strstr(name, "Event"))
		return h->event;
	if (h->sign)
		return h->signed_hex;
	return h->sig;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct webhook_event ev;
	struct hdrs h;
	unsigned char mac[HASH_SHA256_LEN];
	char *copy, *a, *b, *body;
	size_t blen;

	if (!size || size > (64u << 10))
		return 0;
	copy = malloc(size + 3);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = copy[size + 1] = copy[size + 2] = '\0';
	h.p = (enum webhook_provider)((unsigned char)copy[0] % 4);
	h.sign = copy[0] & 1;
	a = copy + 1;
	b = a + strlen(a) + 1;
	if (b > copy + size)
		b = copy + size;
	body = b + strlen(b) + 1;
	if (body > copy + size)
		body = copy + size;
	blen = (size_t)(copy + size - body);
	h.sig = a;
	h.event = b;
	hash_hmac_sha256(mac, SECRET, strlen(SECRET), body, blen);
	if (h.p == WEBHOOK_GITLAB) {
		snprintf(h.signed_hex, sizeof(h.signed_hex), "%s", SECRET);
	} else {
		size_t off = h.p == WEBHOOK_GITEA ? 0 : 7;

		memcpy(h.signed_hex, "sha256=", off);
		for (size_t i = 0; i < sizeof(mac); i++)
			snprintf(h.signed_hex + off + 2 * i, 3, "%02x", mac[i]);
	}
	webhook_check(&ev, h.p, header, &h, body, blen, SECRET, strlen(SECRET),
	              (copy[0] & 2) ? "main" : NULL);
	if (ev.verdict != WEBHOOK_TRIGGER && ev.verdict != WEBHOOK_IGNORE &&
	    ev.verdict != WEBHOOK_UNAUTHORIZED &&
	    ev.verdict != WEBHOOK_BAD_REQUEST)
		abort();
	/* the reason may quote the input (a ref, an event), not the secret */
	if (!memchr(ev.reason, '\0', sizeof(ev.reason)) ||
	    (strstr(ev.reason, SECRET) &&
	     !memmem(data, size, SECRET, strlen(SECRET))))
		abort();
	free(copy);
	return 0;
}
