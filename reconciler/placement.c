/*
 * placement.c: placement constraint evaluation, declared in placement.h.
 *
 * Values compare as swarmkit compares them: node labels and engine labels
 * exactly, the other fields without regard to case.
 */
#include <ctype.h>
#include <jansson.h>

#include "placement.h"

static const char *path_str(const json_t *obj, const char *a, const char *b)
{
	const json_t *v = json_object_get(obj, a);

	if (b)
		v = json_object_get(v, b);
	return json_string_value(v);
}

/* Splits "key op value" into its parts; returns 0 when malformed. */
static int split(const char *expr, char *key, size_t keysz, int *eq,
                 const char **value)
{
	const char *op = strstr(expr, "=="), *ne = strstr(expr, "!=");
	size_t n;

	if (!op || (ne && ne < op))
		op = ne;
	if (!op)
		return 0;
	*eq = op[0] == '=';
	while (isspace((unsigned char)*expr))
		expr++;
	n = (size_t)(op - expr);
	while (n && isspace((unsigned char)expr[n - 1]))
		n--;
	if (!n || n >= keysz)
		return 0;
	memcpy(key, expr, n);
	key[n] = '\0';
	for (op += 2; isspace((unsigned char)*op); op++)
		;
	*value = op;
	return 1;
}

/* The node's value for key, and whether it compares exactly. */
static const char *node_value(const json_t *node, const json_t *labels,
                              const char *key, int *exact)
{
	*exact = 0;
	if (!strcmp(key, "node.id"))
		return json_string_value(json_object_get(node, "ID"));
	if (!strcmp(key, "node.hostname"))
		return path_str(node, "Description", "Hostname");
	if (!strcmp(key, "node.role"))
		return path_str(node, "Spec", "Role");
	if (!strcmp(key, "node.platform.os"))
		return path_str(json_object_get(node, "Description"),
		                "Platform", "OS");
	if (!strcmp(key, "node.platform.arch"))
		return path_str(json_object_get(node, "Description"),
		                "Platform", "Architecture");
	*exact = 1;
	if (starts_with(key, "node.labels."))
		return json_string_value(json_object_get(labels, key + 12));
	if (starts_with(key, "engine.labels."))
		return json_string_value(json_object_get(
		        json_object_get(
		                json_object_get(
		                        json_object_get(node, "Description"),
		                        "Engine"),
		                "Labels"),
		        key + 14));
	return NULL;
}

static int value_equal(const char *have, const char *want, size_t wlen,
                       int exact)
{
	if (!have || strlen(have) != wlen)
		return 0;
	return exact ? !memcmp(have, want, wlen)
	             : !strncasecmp(have, want, wlen);
}

int placement_node_matches(const json_t *node, const json_t *labels,
                           const json_t *constraints)
{
	const json_t *c;
	size_t i;

	if (!labels)
		labels = json_object_get(json_object_get(node, "Spec"),
		                         "Labels");
	json_array_foreach (constraints, i, c) {
		const char *expr = json_string_value(c), *want, *have;
		char key[256];
		int eq, exact;
		size_t wlen;

		if (!expr || !split(expr, key, sizeof(key), &eq, &want))
			return 0;
		wlen = strlen(want);
		while (wlen && isspace((unsigned char)want[wlen - 1]))
			wlen--;
		have = node_value(node, labels, key, &exact);
		if (value_equal(have, want, wlen, exact) != eq)
			return 0;
	}
	return 1;
}

int placement_any(const json_t *nodes, const json_t *constraints,
                  const json_t *(*labels_for)(void *ctx, const json_t *node),
                  void *ctx)
{
	const json_t *node;
	size_t i;

	json_array_foreach (nodes, i, node) {
		const char *avail = path_str(node, "Spec", "Availability");
		const char *state = path_str(node, "Status", "State");
		const json_t *labels =
		        labels_for ? labels_for(ctx, node) : NULL;

		if ((avail && strcmp(avail, "active")) ||
		    (state && strcmp(state, "ready")))
			continue;
		if (placement_node_matches(node, labels, constraints))
			return 1;
	}
	return 0;
}
