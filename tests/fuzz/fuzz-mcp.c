/*
 * fuzz-mcp.c: libFuzzer target for the MCP front door (mcp.c and what it
 * dispatches to), what a client of `kedge mcp` reaches first.
 *
 * Owns: arbitrary input turned into one session's messages. The first
 * byte picks the setup: bit 0 sends an initialize first, bits 1-2 the
 * version it asks for (2025-11-25, 2025-06-18, 2025-03-26, one kedge does
 * not speak), bit 3 a caller with the read scope only, bit 4 a server
 * with --read-only and --tools, bit 5 the queued mode of stdio (fed, then
 * run on this thread) instead of one mcp_session_handle per message. Bit
 * 6 (with bit 5) adds a tool call in flight (request id 1) that asks the
 * person for a confirmation before the queue runs, so that the messages
 * meet the elicitation wait: pings and responses handled at once, the
 * rest kept for later, a notifications/cancelled acted on as it is fed;
 * its initialize goes through mcp_session_handle, so that the client's
 * elicitation capability is known when the tool asks. The rest of the
 * input, split at newlines, are the messages. The servers have no
 * repository (ctx NULL): tools are listed and their arguments checked,
 * and nothing reads git or the swarm.
 *
 * What must hold for any input: every message sent is one line of ASCII
 * JSON: a JSON-RPC 2.0 response (an object with an id that is a string,
 * an integer or null, and either a result or an error with an integer
 * code and a message), a non-empty array of them, or kedge's own
 * elicitation/create; a confirmation ends with one of its documented
 * answers (the input has ended first, so it never waits);
 * mcp_session_handle says 1 exactly when it sent one answer; no crash or
 * leak. Does not own: the tools (tool-*.c), the transports.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "mcp-int.h"
#include "mcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const versions[] = {"2025-11-25", "2025-06-18", "2025-03-26",
                                       "1999-01-01"};

/* Built once: compiling every tool's schema is the slow part. */
static struct mcp *server(int restricted)
{
	static struct mcp *full, *narrow;
	struct mcp_opts o = {"0", "fuzz", 0, NULL, NULL};
	struct mcp **m = restricted ? &narrow : &full;
	struct err err;

	if (*m)
		return *m;
	if (restricted) {
		o.read_only = 1;
		o.tools = "list_stacks,get_stack,scale_service";
	}
	err_clear(&err);
	if (mcp_new(m, &o, &err))
		abort();
	return *m;
}

static void check_response(const json_t *r)
{
	const json_t *id = json_object_get(r, "id");
	const json_t *result = json_object_get(r, "result");
	const json_t *error = json_object_get(r, "error");

	if (!json_is_object(r) ||
	    strcmp(json_string_value(json_object_get(r, "jsonrpc")) ?: "",
	           "2.0"))
		abort();
	if (json_object_get(r, "method")) {
		/* kedge's own request: elicitation/create, with a string id */
		if (strcmp(json_string_value(json_object_get(r, "method"))
		                   ?: "",
		           "elicitation/create") ||
		    !json_is_string(id) || result || error)
			abort();
		return;
	}
	/* no id only on an error about a message whose id was unreadable */
	if (!json_is_string(id) && !json_is_integer(id) && (id || !error))
		abort();
	if (!result == !error)
		abort();
	if (error && (!json_is_integer(json_object_get(error, "code")) ||
	              !json_is_string(json_object_get(error, "message"))))
		abort();
	if (result && !json_is_object(result))
		abort();
}

static int check_send(void *ctx, const char *msg, size_t len)
{
	size_t *answers = ctx;
	json_t *m;

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)msg[i] >= 0x80 || msg[i] == '\n' || !msg[i])
			abort();
	m = json_loadb(msg, len, 0, NULL);
	if (!m)
		abort();
	if (json_is_array(m)) {
		if (!json_array_size(m))
			abort();
		for (size_t i = 0; i < json_array_size(m); i++)
			check_response(json_array_get(m, i));
	} else {
		check_response(m);
	}
	json_decref(m);
	(*answers)++;
	return 0;
}

static void one(struct mcp_session *s, int queued, const char *msg, size_t len,
                size_t *answers)
{
	size_t before = *answers;
	int rc;

	if (queued) {
		mcp_session_feed(s, msg, len);
		return;
	}
	rc = mcp_session_handle(s, msg, len);
	if (rc < 0 || (rc == 1) != (*answers == before + 1) ||
	    (rc == 0 && *answers != before))
		abort();
}

/* A tool in flight asks for a confirmation; the answers it may get. */
static void confirm(struct mcp_session *s, struct mcp_call *c)
{
	struct err err;
	int rc;

	err_clear(&err);
	s->threaded = 1; /* as mcp_session_run sets it */
	rc = mcp_call_confirm(c, "fuzz", &err);
	if (rc != 0 && rc != 1 && rc != ERR_UNSUPPORTED && rc != ERR_TIMEOUT &&
	    rc != ERR_CANCELED && rc != ERR_IO)
		abort();
	if (rc < 0 && !err.msg[0])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcp_session *s;
	struct mcp_call call = {0};
	size_t answers = 0;
	const char *p, *end;
	unsigned setup;
	int queued, elicit;

	if (!size || size > (64u << 10))
		return 0;
	setup = data[0];
	queued = !!(setup & 32);
	elicit = queued && (setup & 64);
	s = mcp_session_new(server(!!(setup & 16)), "fuzz",
	                    (setup & 8) ? MCP_SCOPE_READ
	                                : MCP_SCOPE_READ | MCP_SCOPE_WRITE,
	                    check_send, &answers);
	if (setup & 1) {
		char *init = xasprintf("{\"jsonrpc\":\"2.0\",\"id\":0,"
		                       "\"method\":\"initialize\","
		                       "\"params\":{\"protocolVersion\":\"%s\","
		                       "\"capabilities\":{\"elicitation\":{}},"
		                       "\"clientInfo\":{\"name\":\"fuzz\","
		                       "\"version\":\"1\"}}}",
		                       versions[(setup >> 1) & 3]);

		one(s, queued && !elicit, init, strlen(init), &answers);
		free(init);
	}
	if (elicit) {
		call.s = s;
		call.id = json_integer(1);
		atomic_init(&call.cancelled, 0);
		s->current = &call; /* as run_tool sets it */
	}
	p = (const char *)data + 1;
	end = (const char *)data + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);

		one(s, queued, p, len, &answers);
		p += len + 1;
	}
	if (queued)
		mcp_session_feed_end(s);
	if (elicit) {
		confirm(s, &call);
		s->current = NULL;
		json_decref(call.id);
	}
	if (queued && mcp_session_run(s))
		abort();
	mcp_session_free(s);
	return 0;
}
