/*
 * mcp-int.h: what the parts of the MCP front door share (mcp.c, the
 * dispatcher; mcp-tools.c, tools/list and tools/call; mcp-content.c,
 * resources and prompts). Not for the rest of kedge.
 */
#ifndef RECONCILER_MCP_INT_H
#define RECONCILER_MCP_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "mcp.h"

struct json_t;
struct schema;
struct tool_entry;

/* JSON-RPC error codes */
#define RPC_PARSE_ERROR        (-32700)
#define RPC_INVALID_REQUEST    (-32600)
#define RPC_METHOD_NOT_FOUND   (-32601)
#define RPC_INVALID_PARAMS     (-32602)
#define RPC_INTERNAL_ERROR     (-32603)
#define RPC_RESOURCE_NOT_FOUND (-32002)

struct rpc_error {
	int code;
	char msg[512];
	struct json_t *data; /* owned; NULL: none */
};

void rpc_fail(struct rpc_error *e, int code, const char *fmt, ...) PRINTF(3, 4);

struct mcp {
	struct mcp_opts o;
	const struct tool_entry **tools; /* after --read-only and --tools */
	size_t ntools;
	struct schema *schemas; /* each tool's input schema, "kedge:tool/x" */
	struct json_t *listed;  /* tools/list's array, built once */
};

struct mcp_call {
	struct mcp_session *s;
	struct json_t *id;             /* the request's id; borrowed */
	struct json_t *progress_token; /* borrowed; NULL: none */
	atomic_int cancelled;
};

struct qmsg;

struct mcp_session {
	struct mcp *m;
	char *who;
	unsigned scopes;
	mcp_send_fn send;
	void *send_ctx;
	int send_failed;

	const char *version;       /* negotiated; NULL before initialize */
	int initialized;           /* notifications/initialized seen */
	int can_elicit;            /* the client declared form elicitation */
	char *client;              /* clientInfo.name */
	int threaded;              /* run by mcp_session_run: may wait */
	unsigned next_id;          /* of our own requests */
	struct json_t *request_id; /* of the request being handled */

	pthread_mutex_t lock; /* guards the queue, ended and current */
	pthread_cond_t cond;
	struct qmsg *head, *tail;
	size_t queued;
	int ended;
	struct mcp_call *current; /* the tools/call in flight */

	struct qmsg *deferred;        /* requests that came during a wait */
	struct json_t *waiting_id;    /* the id of our request awaited */
	struct json_t *waiting_reply; /* its response, once it came */
};

/* Sends msg (borrowed); the first failure sticks. */
int mcp_send_json(struct mcp_session *s, struct json_t *msg);

/* Methods: each returns a new result, or NULL with e set. */
struct json_t *mcp_tools_list(struct mcp_session *s, struct json_t *params,
                              struct rpc_error *e);
struct json_t *mcp_tools_call(struct mcp_session *s, struct json_t *params,
                              struct rpc_error *e);
struct json_t *mcp_resources_list(struct mcp_session *s, struct json_t *params,
                                  struct rpc_error *e);
struct json_t *mcp_templates_list(struct mcp_session *s, struct json_t *params,
                                  struct rpc_error *e);
struct json_t *mcp_resources_read(struct mcp_session *s, struct json_t *params,
                                  struct rpc_error *e);
struct json_t *mcp_prompts_list(struct mcp_session *s, struct json_t *params,
                                struct rpc_error *e);
struct json_t *mcp_prompts_get(struct mcp_session *s, struct json_t *params,
                               struct rpc_error *e);

#endif
