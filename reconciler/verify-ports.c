/*
 * verify-ports.c: published ports across stacks (verify-int.h).
 *
 * Swarm's routing mesh publishes a port once per cluster and protocol, so
 * two services (of any stacks) may not publish the same one. Each
 * protocol has a table of 65 536 owners, so a range of any size costs its
 * length once, never a scan of the ports seen before (R4). Short ports
 * are read by convert_port_spec(), the parser the conversion uses, so
 * validate accepts exactly what diff and apply accept (C1).
 */
#include <jansson.h>
#include <stdint.h>

#include "convert.h"
#include "desired.h"
#include "diag.h"
#include "verify-int.h"

#define NPORTS 65536

static const char *const protos[] = {"tcp", "udp", "sctp"};

struct owner {
	const char *stack, *service;
	size_t last_entry; /* the entry that last reported it, + 1 */
};

struct ports {
	uint32_t *table[3]; /* port → owner index + 1; 0 when free */
	struct owner *owners;
	size_t nowners, alloc;
	size_t entry; /* entries seen, for one report per owner and entry */
};

static int proto_index(const char *p)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(p, protos[i]))
			return i;
	return -1;
}

/* Publishes first..last for the newest owner; reports each earlier owner
 * of a port in the range once, at the first port it holds. */
static void publish(struct ports *pt, const struct desired_stack *st,
                    const char *ptr, int proto, unsigned first, unsigned last,
                    struct diag *diag)
{
	uint32_t *t = proto >= 0 && proto < 3 ? pt->table[proto] : NULL;
	uint32_t me = (uint32_t)pt->nowners;

	if (!t)
		return;
	pt->entry++;
	for (unsigned port = first; port <= last && port < NPORTS; port++) {
		struct owner *o;
		unsigned line, col;

		if (!t[port]) {
			t[port] = me;
			continue;
		}
		o = &pt->owners[t[port] - 1];
		if (o->last_entry == pt->entry)
			continue;
		o->last_entry = pt->entry;
		verify_doc_pos(&st->compose, ptr, &line, &col);
		diag_add(diag, DIAG_ERROR, st->compose.path, line, col,
		         "published port %u/%s is already used by service "
		         "'%s_%s'; Swarm publishes a port once per cluster",
		         port, protos[proto], o->stack, o->service);
	}
}

static void one_port(struct ports *pt, const struct desired_stack *st,
                     const json_t *p, const char *ptr, struct diag *diag)
{
	struct convert_port_spec spec;
	const char *why, *mode, *pr;
	unsigned line, col;
	json_int_t pub;

	if (json_is_string(p)) {
		if (convert_port_spec(&spec, json_string_value(p), &why)) {
			verify_doc_pos(&st->compose, ptr, &line, &col);
			diag_add(diag, DIAG_ERROR, st->compose.path, line, col,
			         "port '%s': %s", json_string_value(p), why);
			return;
		}
		if (spec.published_first || spec.published_last)
			publish(pt, st, ptr, proto_index(spec.proto),
			        spec.published_first, spec.published_last,
			        diag);
		return;
	}
	if (!json_is_object(p))
		return;
	mode = json_string_value(json_object_get(p, "mode"));
	pr = json_string_value(json_object_get(p, "protocol"));
	pub = json_integer_value(json_object_get(p, "published"));
	/* host mode publishes on the node of each task, not the mesh */
	if ((mode && !strcmp(mode, "host")) || pub < 1 || pub >= NPORTS ||
	    proto_index(pr ? pr : "tcp") < 0)
		return;
	publish(pt, st, ptr, proto_index(pr ? pr : "tcp"), (unsigned)pub,
	        (unsigned)pub, diag);
}

void verify_ports(const struct desired *d, struct diag *diag)
{
	struct ports pt;

	memset(&pt, 0, sizeof(pt));
	/* calloc of this size maps zero pages: untouched ports cost nothing */
	for (int k = 0; k < 3; k++)
		pt.table[k] = xcalloc(NPORTS, sizeof(*pt.table[k]));
	for (size_t s = 0; s < d->nstacks; s++) {
		const struct desired_stack *st = &d->stacks[s];
		json_t *svcs = json_object_get(st->compose.doc, "services");
		const char *name;
		json_t *svc;

		json_object_foreach (svcs, name, svc) {
			json_t *ports = json_object_get(svc, "ports"), *p;
			size_t i;

			if (!json_array_size(ports))
				continue;
			ALLOC_GROW(pt.owners, pt.nowners + 1, pt.alloc);
			pt.owners[pt.nowners].stack = st->name;
			pt.owners[pt.nowners].service = name;
			pt.owners[pt.nowners].last_entry = 0;
			pt.nowners++;
			json_array_foreach (ports, i, p) {
				char *ptr = xasprintf("/services/%s/ports/%zu",
				                      name, i);

				one_port(&pt, st, p, ptr, diag);
				free(ptr);
			}
		}
	}
	for (int k = 0; k < 3; k++)
		free(pt.table[k]);
	free(pt.owners);
}
