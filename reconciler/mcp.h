/*
 * mcp.h: the Model Context Protocol front door, independent of transport.
 *
 * Owns: JSON-RPC 2.0 framing (ids echoed with their type, no answer to
 * notifications, -32700/-32600/-32601/-32602/-32603), the legacy-era
 * lifecycle (initialize with version negotiation among 2025-11-25,
 * 2025-06-18 and 2025-03-26, notifications/initialized, ping), capability
 * declaration, tools/list (filtered by --read-only, --tools and the
 * caller's scopes), tools/call (arguments validated against the tool's
 * input schema, scope checks, the tool's result with structuredContent and
 * a text copy), resources and prompts, progress, cancellation and
 * elicitation. The dispatcher is keyed by era so that the stateless
 * 2026-07-28 front door can be added beside the legacy one.
 * Does not own: bytes on a wire (mcp-stdio.c, mcp-http.c), what a tool does
 * (tool-*.c), tokens (store.h).
 */
#ifndef RECONCILER_MCP_H
#define RECONCILER_MCP_H

#include <stddef.h>

#include "util.h"

struct err;
struct mcp;
struct mcp_call;
struct mcp_session;
struct mcpctx;

/* The protocol versions kedge speaks, newest first. */
extern const char *const mcp_versions[];

/* Scopes of a caller (a bearer token's; stdio has both). */
#define MCP_SCOPE_READ  (1u << 0)
#define MCP_SCOPE_WRITE (1u << 1)

/* The cap on one message, in bytes. */
#define MCP_MAX_MESSAGE (4u << 20)

struct mcp_opts {
	const char *version;      /* serverInfo.version */
	const char *instructions; /* for the client's model; NULL: none */
	int read_only;            /* no tool that commits or operates */
	const char *tools;        /* "a,b,c": only these tools; NULL: all */
	struct mcpctx *ctx;       /* handed to every tool; borrowed */
};

/*
 * A server: the tool set after --read-only and --tools, with each tool's
 * input schema compiled. ERR_INVALID "unknown tool 'x' in --tools" (with
 * the closest name) or for a tool schema that does not compile (a bug).
 * Free with mcp_free, after every session.
 */
int mcp_new(struct mcp **out, const struct mcp_opts *o,
            struct err *err) MUST_CHECK;
void mcp_free(struct mcp *m);

/*
 * A transport's send: one complete JSON-RPC message (no newline). Called
 * from the thread running the session only. A negative return ends the
 * session.
 */
typedef int (*mcp_send_fn)(void *ctx, const char *msg, size_t len);

/*
 * A session: one client's connection (stdio), or one HTTP session. who
 * names the caller in the audit log and the commit author's place;
 * scopes are MCP_SCOPE_* bits. Free with mcp_session_free.
 */
struct mcp_session *mcp_session_new(struct mcp *m, const char *who,
                                    unsigned scopes, mcp_send_fn send,
                                    void *send_ctx);
void mcp_session_free(struct mcp_session *s);

/*
 * Queued input, for a transport that reads on its own thread (stdio):
 * mcp_session_feed copies one message (a line without its newline);
 * a notifications/cancelled is acted on at once, so that a tool in
 * flight sees it. mcp_session_feed_oversized stands for a message that
 * was longer than MCP_MAX_MESSAGE (answered with -32600).
 * mcp_session_feed_end says no more input will come. Thread-safe.
 */
void mcp_session_feed(struct mcp_session *s, const char *msg, size_t len);
void mcp_session_feed_oversized(struct mcp_session *s);
void mcp_session_feed_end(struct mcp_session *s);
/*
 * Handles queued messages until the end is fed or a send fails; tools
 * run on this thread and may ask the client (elicitation) in between.
 * Returns 0, or the failing send's error.
 */
int mcp_session_run(struct mcp_session *s) MUST_CHECK;

/*
 * Handles one message at once (HTTP: one POST body) and sends its
 * answer, if it has one, through the session's send. Returns 1 when the
 * message had an answer, 0 when it was only notifications or responses,
 * or a send's error. Elicitation is not available in this mode.
 */
int mcp_session_handle(struct mcp_session *s, const char *msg,
                       size_t len) MUST_CHECK;
/* The negotiated protocol version, or NULL before initialize. */
const char *mcp_session_version(const struct mcp_session *s);

/*
 * For tools: what a tool may ask of the call in flight.
 *
 * mcp_call_progress sends notifications/progress when the request carried
 * a progressToken (and does nothing otherwise); progress must grow.
 */
void mcp_call_progress(struct mcp_call *c, double progress, double total,
                       const char *message);
/* 1 when the client cancelled the request (notifications/cancelled). */
int mcp_call_cancelled(struct mcp_call *c);
/*
 * Asks the person, through elicitation (a form with one boolean), to
 * confirm message. Returns 1 when they accepted and confirmed, 0 when
 * they declined, cancelled or said no, ERR_UNSUPPORTED when the client
 * cannot elicit (the tool then needs confirm: true), ERR_TIMEOUT.
 */
int mcp_call_confirm(struct mcp_call *c, const char *message,
                     struct err *err) MUST_CHECK;

#endif
