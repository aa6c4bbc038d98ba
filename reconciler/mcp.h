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
struct mcp_call;

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
