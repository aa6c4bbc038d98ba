/*
 * tool.h: the table of kedge's MCP tools.
 *
 * Each tool lives in tool-<name>.c and exports one const struct tool_entry;
 * tool.c lists them (in the order tools/list gives them). The MCP front
 * door (mcp.c) validates a call's arguments against the tool's input schema
 * before its handler runs, and checks the caller's scope and the tool's
 * flags; a handler can rely on the shape of c->args.
 *
 * Owns: the shape of a tool and of its result. Does not own: the protocol
 * (mcp.c), what a tool reads or writes (mcpctx.h gives it the repository,
 * the swarm, the store and the daemon).
 */
#ifndef RECONCILER_TOOL_H
#define RECONCILER_TOOL_H

#include <stddef.h>

#include "util.h"

struct err;
struct json_t;
struct mcpctx;
struct mcp_call;

/*
 * Schemas are written as JSON in the source: TOOL_JSON({"type": "object"})
 * is the string "{\"type\": \"object\"}". Macros inside are expanded
 * first (MCPWRITE_ARGS).
 */
#define TOOL_JSON(...)  TOOL_JSON_(__VA_ARGS__)
#define TOOL_JSON_(...) #__VA_ARGS__

/* tool_entry.flags */
#define TOOL_READ_ONLY   (1u << 0) /* annotations.readOnlyHint */
#define TOOL_DESTRUCTIVE (1u << 1) /* annotations.destructiveHint */
#define TOOL_IDEMPOTENT  (1u << 2) /* annotations.idempotentHint */
#define TOOL_OPEN_WORLD  (1u << 3) /* annotations.openWorldHint */
#define TOOL_COMMIT                                      \
	(1u << 4) /* makes one commit: write scope, gone \
	           * with --read-only */
#define TOOL_OPERATE                                     \
	(1u << 5) /* acts through the daemon (reconcile, \
	           * backup): write scope, gone with     \
	           * --read-only */

/* What a handler gives back; zeroed before the call. */
struct tool_result {
	/*
	 * The structured content (conforming to output_schema when the tool
	 * has one), owned by the result. mcp.c also sends it, serialised, as
	 * the text block unless text is set.
	 */
	struct json_t *structured;
	char *text;   /* a text block for the person (xmalloc'd) or NULL */
	int is_error; /* 1: a tool execution error (isError); text says why */
};

/* One call, valid for the handler's call only. */
struct tool_call {
	const struct json_t *args; /* validated against input_schema */
	struct mcpctx *ctx;        /* the application: repo, swarm, store */
	struct mcp_call *call;     /* progress, elicitation, cancellation */
	const char *who;           /* the caller: token name, or "stdio" */
};

struct tool_entry {
	const char *name;  /* ^[a-z0-9_]{1,64}$ */
	const char *title; /* annotations.title and title */
	const char *description;
	const char *input_schema;  /* a JSON Schema object, as JSON text */
	const char *output_schema; /* JSON text, or NULL */
	unsigned flags;
	/*
	 * Runs the tool. A problem the caller can fix (an unknown service,
	 * invalid YAML after the edit, a conflict) is a result with is_error
	 * set and returns 0. A negative return is kedge failing (the
	 * repository or the swarm cannot be reached); mcp.c turns it into an
	 * is_error result with err's message. Never puts a secret's contents
	 * in the result.
	 */
	int (*run)(struct tool_result *out, struct tool_call *c,
	           struct err *err);
};

/* Every tool, in the order tools/list gives them. */
extern const struct tool_entry *const tool_table[];
extern const size_t tool_table_nr;

/* Looks a tool up by name; NULL when there is none. */
const struct tool_entry *tool_find(const char *name);

/* Sets r to an error result with a formatted text; returns 0. */
int tool_fail(struct tool_result *r, const char *fmt, ...) PRINTF(2, 3);

/* Frees what r holds and zeroes it. */
void tool_result_release(struct tool_result *r);

/*
 * For handlers. tool_ok sets r to the structured content out (stolen)
 * and returns 0. tool_view opens a view of the tracked branch (mcpctx.h,
 * flags MCPVIEW_*): 1 when it is usable, 0 when the files are invalid
 * (r is then an error result with the validator's messages), negative on
 * kedge's error. Release v whatever it returns.
 */
struct mcpview;
int tool_ok(struct tool_result *r, struct json_t *out);
int tool_view(struct mcpview *v, struct tool_call *c, unsigned flags,
              struct tool_result *r, struct err *err) MUST_CHECK;
/*
 * The plan of a view read with MCPVIEW_SWARM, as plan_to_json gives it
 * plus "text" (plan_print's lines); without a plan (the swarm could not
 * be read) {"error": why}. New reference.
 */
struct json_t *tool_plan_json(const struct mcpview *v);
/* A string argument, or NULL. Borrowed from c->args. */
const char *tool_arg(const struct tool_call *c, const char *name);

#endif
