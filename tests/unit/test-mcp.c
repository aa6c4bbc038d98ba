/*
 * test-mcp.c: what an MCP client sees of kedge's front door, message by
 * message: the lifecycle (initialize and its version negotiation, ping,
 * requests before initialize), JSON-RPC framing (ids echoed with their
 * type, no answer to notifications or responses, each error code where a
 * client meets it), batches on the one version that has them, tools/list
 * after --read-only, --tools and the caller's scopes, tools/call's checks
 * before a tool runs, prompts, resources without a repository, messages
 * over the size cap, the queue a threaded transport (stdio) feeds, and
 * what a tool may ask of its call: progress, cancellation, and a
 * confirmation through elicitation (with what comes while it waits).
 *
 * The server has no repository (mcp_opts.ctx NULL): it lists tools and
 * checks arguments like the real one, and answers every call that passes
 * the checks with a tool error saying there is no repository.
 */
#include "unit.h"

#include <string.h>

#include <jansson.h>

#include "err.h"
#include "mcp-int.h"
#include "mcp.h"
#include "tool.h"

/* The string member key of v, or NULL. */
static const char *str(const json_t *v, const char *key)
{
	return json_string_value(json_object_get(v, key));
}

/* The value at path in v ("content/0/text": members, and array indexes). */
static json_t *at(json_t *v, const char *path)
{
	while (v && *path) {
		size_t n = strcspn(path, "/");
		char *k = xstrndup(path, n);

		v = json_is_array(v) ? json_array_get(v, strtoul(k, NULL, 10))
		                     : json_object_get(v, k);
		free(k);
		path += n + (path[n] == '/');
	}
	return v;
}

static const char *str_at(json_t *v, const char *path)
{
	return json_string_value(at(v, path));
}

/* What the server sent, parsed, in order. */
struct outbox {
	json_t *msgs;
	size_t calls;   /* sends attempted */
	size_t fail_at; /* 1-based send that fails; 0: none */
};

static int collect(void *ctx, const char *msg, size_t len)
{
	struct outbox *box = ctx;
	json_error_t jerr;
	json_t *m;

	box->calls++;
	if (box->fail_at && box->calls >= box->fail_at)
		return -1;
	ck_assert_msg(!memchr(msg, '\n', len), "a message has a newline");
	m = json_loadb(msg, len, 0, &jerr);
	ck_assert_msg(m, "not JSON: %.*s (%s)", (int)len, msg, jerr.text);
	/* a batch's answer is an array of answers, never empty */
	ck_assert(!json_is_array(m) || json_array_size(m));
	for (size_t i = 0; i < (json_is_array(m) ? json_array_size(m) : 1);
	     i++) {
		json_t *one = json_is_array(m) ? json_array_get(m, i) : m;

		ck_assert_str_eq(str(one, "jsonrpc") ?: "", "2.0");
	}
	json_array_append_new(box->msgs, m);
	return 0;
}

struct fx {
	struct mcp *m;
	struct mcp_session *s;
	struct outbox box;
};

static void fx_open(struct fx *f, const struct mcp_opts *o, unsigned scopes)
{
	static const struct mcp_opts plain = {"1.2.3", NULL, 0, NULL, NULL};
	struct err err;

	err_clear(&err);
	memset(f, 0, sizeof(*f));
	ck_assert_int_eq(mcp_new(&f->m, o ? o : &plain, &err), 0);
	f->box.msgs = json_array();
	f->s = mcp_session_new(f->m, "test", scopes, collect, &f->box);
}

static void fx_close(struct fx *f)
{
	mcp_session_free(f->s);
	mcp_free(f->m);
	json_decref(f->box.msgs);
}

static size_t sent(const struct fx *f)
{
	return json_array_size(f->box.msgs);
}

/* Handles text; it must be answered with exactly one message (borrowed). */
static json_t *ask(struct fx *f, const char *text)
{
	size_t before = sent(f);
	int rc = mcp_session_handle(f->s, text, strlen(text));

	ck_assert_msg(rc == 1, "'%s' gave %d, not one answer", text, rc);
	ck_assert_uint_eq(sent(f), before + 1);
	return json_array_get(f->box.msgs, before);
}

/* Handles text; it must get no answer at all. */
static void silent(struct fx *f, const char *text)
{
	size_t before = sent(f);

	ck_assert_int_eq(mcp_session_handle(f->s, text, strlen(text)), 0);
	ck_assert_uint_eq(sent(f), before);
}

static json_t *result_of(json_t *msg)
{
	json_t *r = json_object_get(msg, "result");

	ck_assert_msg(r, "no result in %s",
	              json_dumps(msg, JSON_COMPACT) ?: "?");
	ck_assert_ptr_null(json_object_get(msg, "error"));
	return r;
}

/* msg is an error with this code, its message containing needle. */
static void assert_error(json_t *msg, int code, const char *needle)
{
	json_t *e = json_object_get(msg, "error");
	const char *text = str(e, "message");

	ck_assert_msg(e, "not an error");
	ck_assert_ptr_null(json_object_get(msg, "result"));
	ck_assert_int_eq(json_integer_value(json_object_get(e, "code")), code);
	ck_assert_ptr_nonnull(text);
	if (needle)
		ck_assert_msg(strstr(text, needle), "'%s' not in '%s'", needle,
		              text);
}

/*
 * An error about a message whose id could not be read has no id member
 * (2025-11-25's schema allows no null id; the SDK drops such a message).
 */
static void assert_no_id(json_t *msg)
{
	ck_assert_msg(!json_object_get(msg, "id"), "the error has an id");
}

static void assert_int_id(json_t *msg, json_int_t id)
{
	ck_assert(json_is_integer(json_object_get(msg, "id")));
	ck_assert_int_eq(json_integer_value(json_object_get(msg, "id")), id);
}

static void initialize(struct fx *f, const char *version)
{
	char *text = xasprintf("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":"
	                       "\"initialize\",\"params\":{\"protocolVersion\":"
	                       "\"%s\",\"capabilities\":{},\"clientInfo\":{"
	                       "\"name\":\"t\",\"version\":\"1\"}}}",
	                       version);
	json_t *r = result_of(ask(f, text));

	ck_assert_str_eq(str(r, "protocolVersion"), version);
	free(text);
	silent(f, "{\"jsonrpc\":\"2.0\",\"method\":"
	          "\"notifications/initialized\"}");
}

/* A request text for method with params (JSON text or NULL). */
static char *req(int id, const char *method, const char *params)
{
	return params ? xasprintf("{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":"
	                          "\"%s\",\"params\":%s}",
	                          id, method, params)
	              : xasprintf("{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":"
	                          "\"%s\"}",
	                          id, method);
}

static json_t *ask_req(struct fx *f, int id, const char *method,
                       const char *params)
{
	char *text = req(id, method, params);
	json_t *msg = ask(f, text);

	free(text);
	assert_int_id(msg, id);
	return msg;
}

/* ---- lifecycle ---------------------------------------------------- */

START_TEST(initialize_answers_a_version_it_speaks)
{
	static const char *const ours[] = {"2025-11-25", "2025-06-18",
	                                   "2025-03-26"};

	for (size_t i = 0; i < 3; i++) {
		struct fx f;

		fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
		ck_assert_ptr_null(mcp_session_version(f.s));
		initialize(&f, ours[i]);
		ck_assert_str_eq(mcp_session_version(f.s), ours[i]);
		fx_close(&f);
	}
}
END_TEST

START_TEST(initialize_answers_the_newest_for_another_version)
{
	static const char *const others[] = {"2024-11-05", "2099-01-01", ""};

	for (size_t i = 0; i < 3; i++) {
		struct fx f;
		char *p = xasprintf("{\"protocolVersion\":\"%s\"}", others[i]);
		json_t *r;

		fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
		r = result_of(ask_req(&f, 1, "initialize", p));
		ck_assert_str_eq(str(r, "protocolVersion"), "2025-11-25");
		ck_assert_str_eq(mcp_session_version(f.s), "2025-11-25");
		free(p);
		fx_close(&f);
	}
}
END_TEST

START_TEST(initialize_declares_capabilities_and_server)
{
	const struct mcp_opts o = {"1.2.3", "read before you write", 0, NULL,
	                           NULL};
	struct fx f;
	json_t *r, *caps, *info;

	fx_open(&f, &o, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	r = result_of(ask_req(&f, 1, "initialize",
	                      "{\"protocolVersion\":\"2025-06-18\"}"));
	caps = json_object_get(r, "capabilities");
	ck_assert(json_is_object(json_object_get(caps, "tools")));
	ck_assert(json_is_object(json_object_get(caps, "resources")));
	ck_assert(json_is_object(json_object_get(caps, "prompts")));
	info = json_object_get(r, "serverInfo");
	ck_assert_str_eq(str(info, "name"), "kedge");
	ck_assert_str_eq(str(info, "version"), "1.2.3");
	ck_assert_str_eq(str(r, "instructions"), "read before you write");
	fx_close(&f);
}
END_TEST

START_TEST(initialize_without_protocol_version_is_invalid_params)
{
	static const char *const params[] = {NULL, "{}",
	                                     "{\"protocolVersion\":20251125}",
	                                     "{\"capabilities\":{}}"};
	struct fx f;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	for (size_t i = 0; i < ARRAY_SIZE(params); i++)
		assert_error(ask_req(&f, (int)i + 1, "initialize", params[i]),
		             RPC_INVALID_PARAMS, "protocolVersion");
	ck_assert_ptr_null(mcp_session_version(f.s));
	fx_close(&f);
}
END_TEST

START_TEST(ids_are_echoed_with_their_type)
{
	struct fx f;
	json_t *msg;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	msg = ask(&f, "{\"jsonrpc\":\"2.0\",\"id\":\"7\",\"method\":\"ping\"}");
	ck_assert(json_is_string(json_object_get(msg, "id")));
	ck_assert_str_eq(str(msg, "id"), "7");
	msg = ask(&f, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}");
	assert_int_id(msg, 7);
	msg = ask(&f, "{\"jsonrpc\":\"2.0\",\"id\":-9007199254740993,"
	              "\"method\":\"ping\"}");
	assert_int_id(msg, -9007199254740993LL);
	msg = ask(&f, "{\"jsonrpc\":\"2.0\",\"id\":\"\",\"method\":\"ping\"}");
	ck_assert_str_eq(str(msg, "id"), "");
	/* an error keeps the id too */
	msg = ask(&f, "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"nope\"}");
	assert_error(msg, RPC_METHOD_NOT_FOUND, "nope");
	ck_assert_str_eq(str(msg, "id"), "x");
	fx_close(&f);
}
END_TEST

START_TEST(ping_works_before_initialize)
{
	struct fx f;
	json_t *r;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	r = result_of(ask_req(&f, 3, "ping", NULL));
	ck_assert(json_is_object(r));
	ck_assert_uint_eq(json_object_size(r), 0);
	fx_close(&f);
}
END_TEST

START_TEST(requests_before_initialize_are_refused)
{
	static const char *const methods[] = {
	        "tools/list",     "tools/call",   "resources/list",
	        "resources/read", "prompts/list", "prompts/get"};
	struct fx f;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
		assert_error(ask_req(&f, (int)i, methods[i], NULL),
		             RPC_INVALID_REQUEST, "before initialize");
	/* and work after */
	initialize(&f, "2025-11-25");
	result_of(ask_req(&f, 9, "tools/list", NULL));
	fx_close(&f);
}
END_TEST

/* ---- framing ------------------------------------------------------ */

START_TEST(notifications_get_no_answer)
{
	static const char *const notes[] = {
	        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/"
	        "initialized\"}",
	        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
	        "\"params\":{\"requestId\":1}}",
	        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
	        "\"params\":{\"progressToken\":1,\"progress\":1}}",
	        "{\"jsonrpc\":\"2.0\",\"method\":"
	        "\"notifications/roots/list_changed\"}",
	        /* unknown, or a request's name: still no answer */
	        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/whatever\"}",
	        "{\"jsonrpc\":\"2.0\",\"method\":\"tools/list\"}",
	        "{\"jsonrpc\":\"2.0\",\"method\":\"initialize\",\"params\":{"
	        "\"protocolVersion\":\"2025-11-25\"}}",
	};
	struct fx f;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	for (size_t i = 0; i < ARRAY_SIZE(notes); i++)
		silent(&f, notes[i]);
	/* an initialize without an id does not start the session */
	ck_assert_ptr_null(mcp_session_version(f.s));
	initialize(&f, "2025-06-18");
	for (size_t i = 0; i < ARRAY_SIZE(notes); i++)
		silent(&f, notes[i]);
	ck_assert_uint_eq(sent(&f), 1); /* initialize's answer only */
	fx_close(&f);
}
END_TEST

START_TEST(responses_get_no_answer)
{
	struct fx f;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	silent(&f, "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{}}");
	silent(&f, "{\"jsonrpc\":\"2.0\",\"id\":\"kedge-elicit-1\","
	           "\"result\":{\"action\":\"accept\"}}");
	silent(&f, "{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":-1,"
	           "\"message\":\"no\"}}");
	ck_assert_uint_eq(sent(&f), 0);
	fx_close(&f);
}
END_TEST

START_TEST(invalid_json_is_a_parse_error)
{
	static const char *const bad[] = {
	        "",
	        "{",
	        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"",
	        "nope",
	        "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":"
	        "\"ping\"}", /* a duplicate member */
	        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"} {}",
	        "\xff\xfe"};
	struct fx f;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		json_t *msg = ask(&f, bad[i]);

		assert_error(msg, RPC_PARSE_ERROR, "invalid JSON");
		assert_no_id(msg);
	}
	fx_close(&f);
}
END_TEST

START_TEST(a_message_that_is_not_an_object_is_invalid)
{
	static const char *const bad[] = {"3",    "\"x\"", "null",
	                                  "true", "[]",    "[1]"};
	struct fx f;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		json_t *msg = ask(&f, bad[i]);

		assert_error(msg, RPC_INVALID_REQUEST,
		             "a message must be a JSON object");
		assert_no_id(msg);
	}
	fx_close(&f);
}
END_TEST

START_TEST(a_request_that_is_not_json_rpc_2_is_invalid)
{
	static const struct {
		const char *text;
		int keeps_id;
	} bad[] = {
	        {"{\"id\":1,\"method\":\"ping\"}", 1},
	        {"{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", 1},
	        {"{\"jsonrpc\":2,\"id\":1,\"method\":\"ping\"}", 1},
	        {"{\"jsonrpc\":\"2.0\",\"id\":1}", 1},
	        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}", 1},
	        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\","
	         "\"params\":[]}",
	         1},
	        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\","
	         "\"params\":\"x\"}",
	         1},
	        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\","
	         "\"params\":null}",
	         1},
	        {"{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}", 0},
	        {"{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":\"ping\"}",
	         0},
	        {"{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"ping\"}", 0},
	        {"{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}", 0},
	        {"{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"ping\"}", 0},
	        {"{}", 0},
	};
	struct fx f;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		json_t *msg = ask(&f, bad[i].text);

		assert_error(msg, RPC_INVALID_REQUEST,
		             "not a JSON-RPC 2.0 request");
		if (bad[i].keeps_id)
			assert_int_id(msg, 1);
		else
			assert_no_id(msg);
	}
	fx_close(&f);
}
END_TEST

START_TEST(an_unknown_method_is_not_found)
{
	struct fx f;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	assert_error(ask_req(&f, 4, "tools/destroy", NULL),
	             RPC_METHOD_NOT_FOUND, "method 'tools/destroy' not found");
	/* before initialize as well: the method is looked up first */
	assert_error(ask_req(&f, 5, "server/discover", "{}"),
	             RPC_METHOD_NOT_FOUND, "server/discover");
	/* a notification's name is not a request */
	assert_error(ask_req(&f, 6, "notifications/initialized", NULL),
	             RPC_METHOD_NOT_FOUND, "notifications/initialized");
	fx_close(&f);
}
END_TEST

/* ---- batches ------------------------------------------------------ */

START_TEST(batches_are_answered_on_2025_03_26)
{
	struct fx f;
	json_t *out;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	initialize(&f, "2025-03-26");
	out = ask(&f, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},"
	              "{\"jsonrpc\":\"2.0\",\"method\":"
	              "\"notifications/progress\"},"
	              "{\"jsonrpc\":\"2.0\",\"id\":\"b\",\"method\":\"nope\"},"
	              "{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{}},"
	              "42,"
	              "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":"
	              "\"tools/list\"}]");
	ck_assert(json_is_array(out));
	ck_assert_uint_eq(json_array_size(out), 4);
	assert_int_id(json_array_get(out, 0), 1);
	result_of(json_array_get(out, 0));
	assert_error(json_array_get(out, 1), RPC_METHOD_NOT_FOUND, "nope");
	ck_assert_str_eq(str(json_array_get(out, 1), "id"), "b");
	assert_error(json_array_get(out, 2), RPC_INVALID_REQUEST,
	             "a message must be a JSON object");
	assert_no_id(json_array_get(out, 2));
	assert_int_id(json_array_get(out, 3), 3);
	ck_assert(json_is_array(
	        json_object_get(result_of(json_array_get(out, 3)), "tools")));
	/* only notifications and responses: no answer at all */
	silent(&f, "[{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"},"
	           "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}]");
	/* an empty batch is not a request */
	out = ask(&f, "[]");
	assert_error(out, RPC_INVALID_REQUEST, NULL);
	assert_no_id(out);
	fx_close(&f);
}
END_TEST

START_TEST(batches_are_refused_on_other_versions)
{
	static const char *const versions[] = {NULL, "2025-06-18",
	                                       "2025-11-25"};

	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		struct fx f;
		json_t *out;

		fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
		if (versions[i])
			initialize(&f, versions[i]);
		out = ask(&f, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
		              "\"ping\"}]");
		ck_assert(json_is_object(out));
		assert_error(out, RPC_INVALID_REQUEST,
		             "a message must be a JSON object");
		assert_no_id(out);
		/* nothing in the batch was acted on */
		ask(&f,
		    "[{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"}]");
		fx_close(&f);
	}
}
END_TEST

/* ---- tools/list --------------------------------------------------- */

static json_t *tools_list(struct fx *f)
{
	json_t *tools = json_object_get(
	        result_of(ask_req(f, 2, "tools/list", NULL)), "tools");

	ck_assert(json_is_array(tools));
	return tools;
}

static int is_write(const struct tool_entry *t)
{
	return !!(t->flags & (TOOL_COMMIT | TOOL_OPERATE));
}

static int valid_name(const char *name)
{
	size_t n = strlen(name);

	return n >= 1 && n <= 64 &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

START_TEST(tools_list_gives_every_tool_with_schemas_and_hints)
{
	static const char *const hints[] = {"readOnlyHint", "destructiveHint",
	                                    "idempotentHint", "openWorldHint"};
	struct fx f;
	json_t *tools;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	initialize(&f, "2025-11-25");
	tools = tools_list(&f);
	ck_assert_uint_eq(json_array_size(tools), tool_table_nr);
	for (size_t i = 0; i < tool_table_nr; i++) {
		json_t *t = json_array_get(tools, i);
		const char *name = str(t, "name");
		json_t *in = json_object_get(t, "inputSchema");
		json_t *out = json_object_get(t, "outputSchema");
		json_t *ann = json_object_get(t, "annotations");

		ck_assert_ptr_nonnull(name);
		ck_assert_str_eq(name, tool_table[i]->name);
		ck_assert_msg(valid_name(name), "bad tool name '%s'", name);
		ck_assert(json_is_string(json_object_get(t, "title")));
		ck_assert(json_string_length(
		                  json_object_get(t, "description")) > 0);
		ck_assert(json_is_object(in));
		ck_assert_str_eq(str(in, "type") ?: "", "object");
		ck_assert_msg(json_is_object(out), "%s has no outputSchema",
		              name);
		ck_assert_str_eq(str(out, "type") ?: "", "object");
		ck_assert(json_is_object(ann));
		for (size_t h = 0; h < ARRAY_SIZE(hints); h++)
			ck_assert_msg(
			        json_is_boolean(json_object_get(ann, hints[h])),
			        "%s: no %s", name, hints[h]);
		/* a tool that writes never claims to be read-only */
		if (is_write(tool_table[i]))
			ck_assert(json_is_false(
			        json_object_get(ann, "readOnlyHint")));
		else
			ck_assert(json_is_true(
			        json_object_get(ann, "readOnlyHint")));
	}
	fx_close(&f);
}
END_TEST

START_TEST(read_only_lists_no_write_tool)
{
	const struct mcp_opts o = {"0", NULL, 1, NULL, NULL};
	struct fx f;
	json_t *tools, *msg;
	size_t nread = 0;

	fx_open(&f, &o, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	initialize(&f, "2025-11-25");
	tools = tools_list(&f);
	for (size_t i = 0; i < tool_table_nr; i++)
		nread += !is_write(tool_table[i]);
	ck_assert_uint_gt(nread, 0);
	ck_assert_uint_lt(nread, tool_table_nr);
	ck_assert_uint_eq(json_array_size(tools), nread);
	for (size_t i = 0; i < json_array_size(tools); i++) {
		const char *name = str(json_array_get(tools, i), "name");

		ck_assert_msg(!is_write(tool_find(name)),
		              "%s listed with --read-only", name);
	}
	/* and a write tool is not there to call */
	msg = ask_req(&f, 3, "tools/call",
	              "{\"name\":\"scale_service\",\"arguments\":{}}");
	assert_error(msg, RPC_INVALID_PARAMS, "Unknown tool: scale_service");
	fx_close(&f);
}
END_TEST

START_TEST(tools_option_lists_exactly_those)
{
	const struct mcp_opts o = {"0", NULL, 0, "list_stacks,scale_service",
	                           NULL};
	struct fx f;
	json_t *tools;

	fx_open(&f, &o, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	initialize(&f, "2025-11-25");
	tools = tools_list(&f);
	ck_assert_uint_eq(json_array_size(tools), 2);
	ck_assert_str_eq(str(json_array_get(tools, 0), "name"), "list_stacks");
	ck_assert_str_eq(str(json_array_get(tools, 1), "name"),
	                 "scale_service");
	assert_error(ask_req(&f, 3, "tools/call", "{\"name\":\"get_stack\"}"),
	             RPC_INVALID_PARAMS, "Unknown tool: get_stack");
	fx_close(&f);
}
END_TEST

START_TEST(tools_option_with_both_filters)
{
	const struct mcp_opts o = {"0", NULL, 1, "list_stacks,scale_service",
	                           NULL};
	struct fx f;
	json_t *tools;

	fx_open(&f, &o, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	initialize(&f, "2025-11-25");
	tools = tools_list(&f);
	ck_assert_uint_eq(json_array_size(tools), 1);
	ck_assert_str_eq(str(json_array_get(tools, 0), "name"), "list_stacks");
	fx_close(&f);
}
END_TEST

START_TEST(an_unknown_tool_in_the_tools_option_fails)
{
	static const struct {
		const char *tools, *msg;
	} cases[] = {
	        {"nope", "unknown tool 'nope' in --tools"},
	        {"list_stacks,nope", "unknown tool 'nope' in --tools"},
	        {"list_stack", "unknown tool 'list_stack' in --tools (did you "
	                       "mean 'list_stacks'?)"},
	        {"scale_servce", "(did you mean 'scale_service'?)"},
	        {"list_stacks,,get_stack", "unknown tool '' in --tools"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct mcp_opts o = {"0", NULL, 0, cases[i].tools, NULL};
		struct mcp *m = (struct mcp *)1;
		struct err err;

		err_clear(&err);
		ck_assert_int_eq(mcp_new(&m, &o, &err), ERR_INVALID);
		ck_assert_ptr_null(m);
		ck_assert_msg(strstr(err.msg, cases[i].msg), "'%s' not in '%s'",
		              cases[i].msg, err.msg);
	}
	{
		/* far from every name: no suggestion */
		const struct mcp_opts o = {"0", NULL, 0, "nope", NULL};
		struct mcp *m;
		struct err err;

		err_clear(&err);
		ck_assert_int_eq(mcp_new(&m, &o, &err), ERR_INVALID);
		ck_assert_ptr_null(strstr(err.msg, "did you mean"));
	}
}
END_TEST

START_TEST(read_scope_hides_and_refuses_write_tools)
{
	struct fx f;
	json_t *tools, *r;
	const char *text;

	fx_open(&f, NULL, MCP_SCOPE_READ);
	initialize(&f, "2025-11-25");
	tools = tools_list(&f);
	ck_assert_uint_gt(json_array_size(tools), 0);
	for (size_t i = 0; i < json_array_size(tools); i++) {
		const char *name = str(json_array_get(tools, i), "name");

		ck_assert_msg(!is_write(tool_find(name)),
		              "%s listed for a read token", name);
	}
	r = result_of(ask_req(&f, 3, "tools/call",
	                      "{\"name\":\"scale_service\",\"arguments\":{"
	                      "\"stack\":\"shop\",\"service\":\"web\","
	                      "\"replicas\":2,\"reason\":\"more\"}}"));
	ck_assert(json_is_true(json_object_get(r, "isError")));
	text = str_at(r, "content/0/text");
	ck_assert_str_eq(text, "scale_service needs the write scope; this "
	                       "caller has only read");
	fx_close(&f);
}
END_TEST

START_TEST(write_scope_alone_refuses_read_tools)
{
	struct fx f;
	json_t *tools, *r;

	fx_open(&f, NULL, MCP_SCOPE_WRITE);
	initialize(&f, "2025-11-25");
	tools = tools_list(&f);
	for (size_t i = 0; i < json_array_size(tools); i++)
		ck_assert(is_write(
		        tool_find(str(json_array_get(tools, i), "name"))));
	r = result_of(ask_req(&f, 3, "tools/call",
	                      "{\"name\":\"list_stacks\",\"arguments\":{}}"));
	ck_assert(json_is_true(json_object_get(r, "isError")));
	ck_assert_str_eq(str_at(r, "content/0/text"),
	                 "list_stacks needs the read scope; this caller has "
	                 "only write");
	fx_close(&f);
}
END_TEST

START_TEST(tools_list_refuses_a_cursor)
{
	struct fx f;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	initialize(&f, "2025-11-25");
	assert_error(ask_req(&f, 3, "tools/list", "{\"cursor\":\"abc\"}"),
	             RPC_INVALID_PARAMS, "invalid cursor 'abc'");
	/* params that say nothing else are fine */
	result_of(ask_req(&f, 4, "tools/list", "{}"));
	result_of(ask_req(&f, 5, "tools/list", "{\"_meta\":{}}"));
	fx_close(&f);
}
END_TEST

/* ---- tools/call --------------------------------------------------- */

/* A tools/call's result text and isError (borrowed). */
static const char *call_text(struct fx *f, const char *params, int *is_error)
{
	json_t *r = result_of(ask_req(f, 8, "tools/call", params));
	json_t *content = json_object_get(r, "content");
	json_t *c0 = json_array_get(content, 0);

	ck_assert(json_is_array(content));
	ck_assert_uint_eq(json_array_size(content), 1);
	ck_assert_str_eq(str(c0, "type"), "text");
	ck_assert(json_is_boolean(json_object_get(r, "isError")));
	*is_error = json_is_true(json_object_get(r, "isError"));
	ck_assert_ptr_nonnull(str(c0, "text"));
	return str(c0, "text");
}

START_TEST(an_unknown_tool_is_invalid_params)
{
	struct fx f;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	initialize(&f, "2025-11-25");
	assert_error(ask_req(&f, 3, "tools/call", "{\"name\":\"nope\"}"),
	             RPC_INVALID_PARAMS, "Unknown tool: nope");
	assert_error(ask_req(&f, 4, "tools/call", "{}"), RPC_INVALID_PARAMS,
	             "Unknown tool: (no name)");
	assert_error(ask_req(&f, 5, "tools/call", NULL), RPC_INVALID_PARAMS,
	             "Unknown tool");
	assert_error(ask_req(&f, 6, "tools/call", "{\"name\":3}"),
	             RPC_INVALID_PARAMS, "Unknown tool");
	fx_close(&f);
}
END_TEST

START_TEST(arguments_that_are_not_an_object_are_invalid_params)
{
	static const char *const args[] = {"[]", "\"x\"", "3", "null", "true"};
	struct fx f;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	initialize(&f, "2025-11-25");
	for (size_t i = 0; i < ARRAY_SIZE(args); i++) {
		char *p = xasprintf(
		        "{\"name\":\"list_stacks\",\"arguments\":%s}", args[i]);

		assert_error(ask_req(&f, (int)i, "tools/call", p),
		             RPC_INVALID_PARAMS, "arguments must be an object");
		free(p);
	}
	fx_close(&f);
}
END_TEST

START_TEST(arguments_against_the_schema_are_a_tool_error)
{
	static const struct {
		const char *params, *needle;
	} cases[] = {
	        {"{\"name\":\"scale_service\",\"arguments\":{\"stack\":"
	         "\"shop\","
	         "\"service\":\"web\",\"replicas\":-1,\"reason\":\"r\"}}",
	         "/replicas"},
	        {"{\"name\":\"scale_service\",\"arguments\":{\"stack\":"
	         "\"shop\","
	         "\"service\":\"web\",\"replicas\":\"3\",\"reason\":\"r\"}}",
	         "/replicas"},
	        {"{\"name\":\"scale_service\",\"arguments\":{\"stack\":"
	         "\"shop\","
	         "\"service\":\"web\",\"replicas\":3}}",
	         "reason"},
	        {"{\"name\":\"scale_service\",\"arguments\":{\"stack\":"
	         "\"shop\","
	         "\"service\":\"web\",\"replicas\":3,\"reason\":\"\"}}",
	         "/reason"},
	        {"{\"name\":\"list_stacks\",\"arguments\":{\"extra\":1}}",
	         "extra"},
	};
	struct fx f;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	initialize(&f, "2025-11-25");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int is_error;
		const char *text = call_text(&f, cases[i].params, &is_error);

		ck_assert(is_error);
		ck_assert_msg(strstr(text, "invalid arguments for "),
		              "'%s' is not about arguments", text);
		ck_assert_msg(strstr(text, cases[i].needle), "'%s' not in '%s'",
		              cases[i].needle, text);
		ck_assert_ptr_null(strstr(text, "no repository"));
	}
	fx_close(&f);
}
END_TEST

START_TEST(a_valid_call_without_a_repository_is_a_tool_error)
{
	struct fx f;
	int is_error;
	json_t *r;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	initialize(&f, "2025-11-25");
	ck_assert_str_eq(call_text(&f, "{\"name\":\"list_stacks\"}", &is_error),
	                 "list_stacks: this server has no repository");
	ck_assert(is_error);
	ck_assert_str_eq(call_text(&f,
	                           "{\"name\":\"list_stacks\",\"arguments\":{},"
	                           "\"_meta\":{\"progressToken\":\"p\"}}",
	                           &is_error),
	                 "list_stacks: this server has no repository");
	ck_assert(is_error);
	ck_assert_str_eq(call_text(&f,
	                           "{\"name\":\"scale_service\",\"arguments\":{"
	                           "\"stack\":\"shop\",\"service\":\"web\","
	                           "\"replicas\":0,\"reason\":\"quiet\","
	                           "\"confirm\":true}}",
	                           &is_error),
	                 "scale_service: this server has no repository");
	ck_assert(is_error);
	/* no progress was sent, and an error has no structured content */
	r = result_of(json_array_get(f.box.msgs, sent(&f) - 1));
	ck_assert_ptr_null(json_object_get(r, "structuredContent"));
	ck_assert_uint_eq(sent(&f), 4);
	fx_close(&f);
}
END_TEST

/* ---- prompts and resources ---------------------------------------- */

START_TEST(prompts_are_listed_with_their_arguments)
{
	struct fx f;
	json_t *list, *scale = NULL;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	initialize(&f, "2025-11-25");
	list = json_object_get(result_of(ask_req(&f, 1, "prompts/list", NULL)),
	                       "prompts");
	ck_assert(json_is_array(list));
	ck_assert_uint_ge(json_array_size(list), 1);
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *p = json_array_get(list, i);

		ck_assert(json_is_string(json_object_get(p, "name")));
		ck_assert(json_is_string(json_object_get(p, "description")));
		ck_assert(json_is_array(json_object_get(p, "arguments")));
		if (!strcmp(str(p, "name"), "scale"))
			scale = p;
	}
	ck_assert_ptr_nonnull(scale);
	list = json_object_get(scale, "arguments");
	ck_assert_uint_eq(json_array_size(list), 3);
	ck_assert_str_eq(str(json_array_get(list, 0), "name"), "stack");
	ck_assert_str_eq(str(json_array_get(list, 0), "description"),
	                 "the stack");
	ck_assert(json_is_true(at(list, "0/required")));
	ck_assert_str_eq(str(json_array_get(list, 2), "name"), "replicas");
	fx_close(&f);
}
END_TEST

START_TEST(prompts_get_fills_in_the_arguments)
{
	struct fx f;
	json_t *r, *m0;
	const char *text;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	initialize(&f, "2025-11-25");
	r = result_of(ask_req(&f, 1, "prompts/get",
	                      "{\"name\":\"scale\",\"arguments\":{\"stack\":"
	                      "\"shop\",\"service\":\"web\",\"replicas\":"
	                      "\"3\"}}"));
	ck_assert(json_is_string(json_object_get(r, "description")));
	ck_assert_uint_eq(json_array_size(json_object_get(r, "messages")), 1);
	m0 = at(r, "messages/0");
	ck_assert_str_eq(str(m0, "role"), "user");
	ck_assert_str_eq(str_at(m0, "content/type"), "text");
	text = str_at(m0, "content/text");
	ck_assert_ptr_nonnull(strstr(text, "Scale the service web of the "
	                                   "stack shop to 3 replicas"));
	ck_assert_ptr_null(strchr(text, '{'));
	/* a prompt without arguments needs none */
	r = result_of(ask_req(&f, 2, "prompts/get", "{\"name\":\"health\"}"));
	ck_assert_uint_eq(json_array_size(json_object_get(r, "messages")), 1);
	/* an argument's value is taken as it is, braces and all */
	r = result_of(ask_req(&f, 3, "prompts/get",
	                      "{\"name\":\"alert_on\",\"arguments\":{"
	                      "\"condition\":\"{stack} is down\"}}"));
	text = str_at(r, "messages/0/content/text");
	ck_assert_ptr_nonnull(strstr(text, "for: {stack} is down."));
	fx_close(&f);
}
END_TEST

START_TEST(prompts_get_refuses_a_missing_argument_or_prompt)
{
	struct fx f;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	initialize(&f, "2025-11-25");
	assert_error(ask_req(&f, 1, "prompts/get",
	                     "{\"name\":\"scale\",\"arguments\":{\"stack\":"
	                     "\"shop\",\"service\":\"web\"}}"),
	             RPC_INVALID_PARAMS,
	             "prompt 'scale' needs the argument 'replicas'");
	assert_error(ask_req(&f, 2, "prompts/get", "{\"name\":\"scale\"}"),
	             RPC_INVALID_PARAMS,
	             "prompt 'scale' needs the argument 'service'");
	/* arguments are strings */
	assert_error(ask_req(&f, 3, "prompts/get",
	                     "{\"name\":\"scale\",\"arguments\":{\"stack\":"
	                     "\"shop\",\"service\":\"web\",\"replicas\":3}}"),
	             RPC_INVALID_PARAMS, "'replicas'");
	assert_error(ask_req(&f, 4, "prompts/get", "{\"name\":\"nope\"}"),
	             RPC_INVALID_PARAMS, "Unknown prompt: nope");
	assert_error(ask_req(&f, 5, "prompts/get", NULL), RPC_INVALID_PARAMS,
	             "Unknown prompt: (no name)");
	fx_close(&f);
}
END_TEST

START_TEST(resources_without_a_repository_are_an_internal_error)
{
	struct fx f;
	json_t *r;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	initialize(&f, "2025-11-25");
	assert_error(ask_req(&f, 1, "resources/list", NULL), RPC_INTERNAL_ERROR,
	             "cannot read the repository");
	assert_error(ask_req(&f, 2, "resources/read",
	                     "{\"uri\":\"kedge://repo/kedge.yml\"}"),
	             RPC_INTERNAL_ERROR, "cannot read the repository");
	assert_error(ask_req(&f, 3, "resources/read", "{}"), RPC_INVALID_PARAMS,
	             "resources/read needs a uri");
	assert_error(ask_req(&f, 4, "resources/list", "{\"cursor\":\"c\"}"),
	             RPC_INVALID_PARAMS, "invalid cursor");
	r = result_of(ask_req(&f, 5, "resources/templates/list", NULL));
	ck_assert(json_is_array(json_object_get(r, "resourceTemplates")));
	ck_assert_uint_eq(
	        json_array_size(json_object_get(r, "resourceTemplates")), 0);
	fx_close(&f);
}
END_TEST

/* ---- size cap ----------------------------------------------------- */

START_TEST(a_message_over_the_cap_is_refused_in_handle_mode)
{
	size_t len = MCP_MAX_MESSAGE + 1;
	char *big = xmalloc(len);
	struct fx f;
	json_t *msg;

	memset(big, ' ', len);
	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	initialize(&f, "2025-11-25");
	ck_assert_int_eq(mcp_session_handle(f.s, big, len), 1);
	ck_assert_uint_eq(sent(&f), 2);
	msg = json_array_get(f.box.msgs, 1);
	assert_error(msg, RPC_INVALID_REQUEST, "message larger than 4194304");
	assert_no_id(msg);
	/* the session goes on */
	result_of(ask_req(&f, 2, "ping", NULL));
	/* at the cap exactly: read, and only then found wanting */
	ck_assert_int_eq(mcp_session_handle(f.s, big, MCP_MAX_MESSAGE), 1);
	ck_assert_uint_eq(sent(&f), 4);
	assert_error(json_array_get(f.box.msgs, 3), RPC_PARSE_ERROR,
	             "invalid JSON");
	free(big);
	fx_close(&f);
}
END_TEST

/* ---- the queue (stdio) -------------------------------------------- */

static void feed(struct mcp_session *s, const char *text)
{
	mcp_session_feed(s, text, strlen(text));
}

START_TEST(queued_messages_are_answered_in_order)
{
	struct fx f;
	json_t *m;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	feed(f.s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
	          "\"params\":{\"protocolVersion\":\"2025-06-18\"}}");
	feed(f.s, "{\"jsonrpc\":\"2.0\",\"method\":"
	          "\"notifications/initialized\"}");
	feed(f.s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
	feed(f.s, "not json");
	mcp_session_feed_oversized(f.s);
	feed(f.s, "{\"jsonrpc\":\"2.0\",\"id\":\"3\",\"method\":\"ping\"}");
	mcp_session_feed_end(f.s);
	ck_assert_int_eq(mcp_session_run(f.s), 0);
	ck_assert_uint_eq(sent(&f), 5);
	m = json_array_get(f.box.msgs, 0);
	assert_int_id(m, 1);
	ck_assert_str_eq(json_string_value(json_object_get(result_of(m),
	                                                   "protocolVersion")),
	                 "2025-06-18");
	m = json_array_get(f.box.msgs, 1);
	assert_int_id(m, 2);
	ck_assert(json_is_array(json_object_get(result_of(m), "tools")));
	assert_error(json_array_get(f.box.msgs, 2), RPC_PARSE_ERROR, NULL);
	assert_error(json_array_get(f.box.msgs, 3), RPC_INVALID_REQUEST,
	             "message larger than");
	m = json_array_get(f.box.msgs, 4);
	ck_assert_str_eq(str(m, "id"), "3");
	result_of(m);
	fx_close(&f);
}
END_TEST

START_TEST(a_line_with_a_nul_is_invalid_json_in_both_modes)
{
	static const char line[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	                           "\"ping\"}\0{\"jsonrpc\":\"2.0\"}";
	static const char cancel[] = "{\"jsonrpc\":\"2.0\",\"method\":"
	                             "\"notifications/cancelled\",\"params\":{"
	                             "\"requestId\":7}}\0 ";
	struct fx f;
	struct mcp_call c = {0};
	json_t *id = json_integer(7);

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	ck_assert_int_eq(mcp_session_handle(f.s, line, sizeof(line) - 1), 1);
	/* with a tool in flight, a fed line is searched for a cancel */
	c.s = f.s;
	c.id = id;
	atomic_init(&c.cancelled, 0);
	f.s->current = &c;
	mcp_session_feed(f.s, line, sizeof(line) - 1);
	mcp_session_feed(f.s, "\0", 1);
	mcp_session_feed(f.s, cancel, sizeof(cancel) - 1);
	ck_assert_int_eq(mcp_call_cancelled(&c), 0); /* not valid JSON */
	f.s->current = NULL;
	mcp_session_feed_end(f.s);
	ck_assert_int_eq(mcp_session_run(f.s), 0);
	ck_assert_uint_eq(sent(&f), 4);
	for (size_t i = 0; i < 4; i++) {
		assert_error(json_array_get(f.box.msgs, i), RPC_PARSE_ERROR,
		             "invalid JSON");
		assert_no_id(json_array_get(f.box.msgs, i));
	}
	json_decref(id);
	fx_close(&f);
}
END_TEST

START_TEST(run_returns_at_once_when_the_input_ended)
{
	struct fx f;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	mcp_session_feed_end(f.s);
	ck_assert_int_eq(mcp_session_run(f.s), 0);
	ck_assert_uint_eq(sent(&f), 0);
	/* messages fed after the end are not handled, and not leaked */
	feed(f.s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
	fx_close(&f);
}
END_TEST

START_TEST(a_failing_send_stops_the_session)
{
	struct fx f;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	f.box.fail_at = 2;
	for (int i = 1; i <= 4; i++) {
		char *text = req(i, "ping", NULL);

		feed(f.s, text);
		free(text);
	}
	mcp_session_feed_end(f.s);
	ck_assert_int_lt(mcp_session_run(f.s), 0);
	ck_assert_uint_eq(f.box.calls, 2); /* nothing after the failure */
	ck_assert_uint_eq(sent(&f), 1);
	fx_close(&f);
}
END_TEST

START_TEST(a_failing_send_is_returned_in_handle_mode)
{
	struct fx f;
	const char *ping = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	f.box.fail_at = 1;
	ck_assert_int_lt(mcp_session_handle(f.s, ping, strlen(ping)), 0);
	/* the failure sticks: nothing more is sent */
	ck_assert_int_lt(mcp_session_handle(f.s, ping, strlen(ping)), 0);
	ck_assert_uint_eq(f.box.calls, 1);
	fx_close(&f);
}
END_TEST

START_TEST(a_client_that_floods_is_cut_off)
{
	const char *ping = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
	struct fx f;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	/* no feed_end: the overflow itself ends the input */
	for (int i = 0; i < 1100; i++)
		feed(f.s, ping);
	ck_assert_int_eq(mcp_session_run(f.s), 0);
	ck_assert_uint_eq(sent(&f), 1024);
	fx_close(&f);
}
END_TEST

/* ---- what a tool may ask of its call ------------------------------ */

START_TEST(confirm_is_unsupported_in_handle_mode)
{
	struct fx f;
	struct mcp_call c = {0};
	struct err err;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	/* even for a client that declared elicitation */
	ask(&f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
	        "\"params\":{\"protocolVersion\":\"2025-11-25\","
	        "\"capabilities\":{\"elicitation\":{}}}}");
	c.s = f.s;
	atomic_init(&c.cancelled, 0);
	err_clear(&err);
	ck_assert_int_eq(mcp_call_confirm(&c, "scale shop/web to 0", &err),
	                 ERR_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(err.msg, "confirm: true"));
	ck_assert_uint_eq(sent(&f), 1); /* no elicitation/create was sent */
	fx_close(&f);
}
END_TEST

START_TEST(progress_and_cancellation_without_a_call)
{
	struct fx f;
	struct mcp_call c = {0};

	ck_assert_int_eq(mcp_call_cancelled(NULL), 0);
	mcp_call_progress(NULL, 1, 2, "x");
	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	c.s = f.s;
	atomic_init(&c.cancelled, 0);
	ck_assert_int_eq(mcp_call_cancelled(&c), 0);
	/* no progressToken in the request: nothing is sent */
	mcp_call_progress(&c, 1, 2, "half way");
	ck_assert_uint_eq(sent(&f), 0);
	/* with one, a notification carrying it */
	c.progress_token = json_string("tok");
	mcp_call_progress(&c, 1, 2, "half way");
	ck_assert_uint_eq(sent(&f), 1);
	{
		json_t *n = json_array_get(f.box.msgs, 0);
		json_t *p = json_object_get(n, "params");

		ck_assert_str_eq(str(n, "method"), "notifications/progress");
		ck_assert_ptr_null(json_object_get(n, "id"));
		ck_assert_str_eq(str(p, "progressToken"), "tok");
		ck_assert(json_number_value(json_object_get(p, "progress")) ==
		          1.0);
		ck_assert(json_number_value(json_object_get(p, "total")) ==
		          2.0);
		ck_assert_str_eq(str(p, "message"), "half way");
	}
	json_decref(c.progress_token);
	fx_close(&f);
}
END_TEST

/*
 * Elicitation, as a tool running on mcp_session_run's thread sees it: the
 * test stands in for that thread (threaded set, as run sets it) and feeds
 * the client's messages beforehand.
 */
static void elicit_session(struct fx *f, struct mcp_call *c, json_t *id)
{
	fx_open(f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	ask(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
	       "\"params\":{\"protocolVersion\":\"2025-11-25\","
	       "\"capabilities\":{\"elicitation\":{}}}}");
	f->s->threaded = 1;
	memset(c, 0, sizeof(*c));
	c->s = f->s;
	c->id = id;
	atomic_init(&c->cancelled, 0);
}

static void feed_reply(struct mcp_session *s, unsigned n, const char *result)
{
	char *text =
	        xasprintf("{\"jsonrpc\":\"2.0\",\"id\":\"kedge-elicit-%u\","
	                  "\"result\":%s}",
	                  n, result);

	mcp_session_feed(s, text, strlen(text));
	free(text);
}

START_TEST(confirm_asks_the_person_and_waits_for_the_answer)
{
	struct fx f;
	struct mcp_call c;
	struct err err;
	json_t *req_, *p, *m;

	elicit_session(&f, &c, NULL);
	/* meanwhile: a ping (answered at once), a request (kept for later) */
	feed(f.s, "{\"jsonrpc\":\"2.0\",\"id\":50,\"method\":\"ping\"}");
	feed(f.s, "{\"jsonrpc\":\"2.0\",\"id\":51,\"method\":\"tools/list\"}");
	feed(f.s, "{\"jsonrpc\":\"2.0\",\"id\":\"other\",\"result\":{}}");
	feed_reply(f.s, 1,
	           "{\"action\":\"accept\",\"content\":{\"confirm\":true}}");
	err_clear(&err);
	ck_assert_int_eq(mcp_call_confirm(&c, "scale shop/web to 0", &err), 1);
	ck_assert_uint_eq(sent(&f), 3);
	req_ = json_array_get(f.box.msgs, 1);
	ck_assert_str_eq(str(req_, "method"), "elicitation/create");
	ck_assert_str_eq(str(req_, "id"), "kedge-elicit-1");
	p = json_object_get(req_, "params");
	ck_assert_str_eq(str(p, "message"), "scale shop/web to 0");
	ck_assert_str_eq(str_at(p, "requestedSchema/properties/confirm/type"),
	                 "boolean");
	m = json_array_get(f.box.msgs, 2);
	assert_int_id(m, 50);
	result_of(m);
	/* the request kept aside is answered once the tool is done */
	mcp_session_feed_end(f.s);
	ck_assert_int_eq(mcp_session_run(f.s), 0);
	ck_assert_uint_eq(sent(&f), 4);
	m = json_array_get(f.box.msgs, 3);
	assert_int_id(m, 51);
	ck_assert(json_is_array(json_object_get(result_of(m), "tools")));
	fx_close(&f);
}
END_TEST

START_TEST(a_batch_during_a_wait_is_kept_for_later)
{
	struct fx f;
	struct mcp_call c = {0};
	struct err err;
	json_t *m;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	ask(&f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
	        "\"params\":{\"protocolVersion\":\"2025-03-26\","
	        "\"capabilities\":{\"elicitation\":{}}}}");
	f.s->threaded = 1;
	c.s = f.s;
	atomic_init(&c.cancelled, 0);
	/* requests in a batch wait like any other request: a tools/call in
	 * it must not run inside the tool that waits */
	feed(f.s, "[{\"jsonrpc\":\"2.0\",\"id\":60,\"method\":\"tools/list\"},"
	          "{\"jsonrpc\":\"2.0\",\"id\":61,\"method\":\"tools/call\","
	          "\"params\":{\"name\":\"list_stacks\"}}]");
	feed_reply(f.s, 1,
	           "{\"action\":\"accept\",\"content\":{\"confirm\":true}}");
	err_clear(&err);
	ck_assert_int_eq(mcp_call_confirm(&c, "remove shop", &err), 1);
	ck_assert_uint_eq(sent(&f), 2); /* initialize, elicitation/create */
	mcp_session_feed_end(f.s);
	ck_assert_int_eq(mcp_session_run(f.s), 0);
	ck_assert_uint_eq(sent(&f), 3);
	m = json_array_get(f.box.msgs, 2);
	ck_assert_uint_eq(json_array_size(m), 2);
	assert_int_id(json_array_get(m, 0), 60);
	assert_int_id(json_array_get(m, 1), 61);
	fx_close(&f);
}
END_TEST

START_TEST(confirm_is_no_unless_accepted_and_confirmed)
{
	static const char *const replies[] = {
	        "{\"action\":\"decline\"}",
	        "{\"action\":\"cancel\"}",
	        "{\"action\":\"accept\",\"content\":{\"confirm\":false}}",
	        "{\"action\":\"accept\",\"content\":{\"confirm\":\"true\"}}",
	        "{\"action\":\"accept\"}",
	        "{\"content\":{\"confirm\":true}}",
	        "[]",
	};
	struct fx f;
	struct mcp_call c;
	struct err err;

	elicit_session(&f, &c, NULL);
	for (unsigned i = 0; i < ARRAY_SIZE(replies); i++) {
		feed_reply(f.s, i + 1, replies[i]);
		err_clear(&err);
		ck_assert_msg(mcp_call_confirm(&c, "remove shop", &err) == 0,
		              "%s was taken for a yes", replies[i]);
	}
	/* an error answer is a no as well */
	feed(f.s, "{\"jsonrpc\":\"2.0\",\"id\":\"kedge-elicit-8\",\"error\":{"
	          "\"code\":-32601,\"message\":\"no\"}}");
	ck_assert_int_eq(mcp_call_confirm(&c, "remove shop", &err), 0);
	fx_close(&f);
}
END_TEST

START_TEST(confirm_ends_when_the_client_goes_away)
{
	struct fx f;
	struct mcp_call c;
	struct err err;

	elicit_session(&f, &c, NULL);
	/* only an answer to something else, then the end of the input */
	feed_reply(f.s, 9, "{\"action\":\"accept\"}");
	mcp_session_feed_end(f.s);
	err_clear(&err);
	ck_assert_int_eq(mcp_call_confirm(&c, "remove shop", &err),
	                 ERR_TIMEOUT);
	ck_assert_str_eq(err.msg, "the client went away");
	fx_close(&f);
}
END_TEST

START_TEST(a_cancel_is_seen_when_fed_and_ends_a_wait)
{
	struct fx f;
	struct mcp_call c;
	struct err err;
	json_t *id = json_integer(7);

	elicit_session(&f, &c, id);
	f.s->current = &c; /* as run_tool sets it */
	feed(f.s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
	          "\"params\":{\"requestId\":8}}");
	feed(f.s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
	          "\"params\":{\"requestId\":\"7\"}}");
	ck_assert_int_eq(mcp_call_cancelled(&c), 0);
	feed(f.s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
	          "\"params\":{\"requestId\":7,\"reason\":\"changed my "
	          "mind\"}}");
	/* at once, before anything runs the queue */
	ck_assert_int_eq(mcp_call_cancelled(&c), 1);
	err_clear(&err);
	ck_assert_int_eq(mcp_call_confirm(&c, "remove shop", &err),
	                 ERR_CANCELED);
	ck_assert_str_eq(err.msg, "the call was cancelled");
	f.s->current = NULL;
	mcp_session_feed_end(f.s);
	ck_assert_int_eq(mcp_session_run(f.s), 0);
	ck_assert_uint_eq(sent(&f), 2); /* initialize, elicitation/create */
	json_decref(id);
	fx_close(&f);
}
END_TEST

START_TEST(confirm_needs_a_client_that_can_elicit)
{
	struct fx f;
	struct mcp_call c = {0};
	struct err err;

	fx_open(&f, NULL, MCP_SCOPE_READ | MCP_SCOPE_WRITE);
	initialize(&f, "2025-11-25"); /* capabilities: {} */
	f.s->threaded = 1;
	c.s = f.s;
	atomic_init(&c.cancelled, 0);
	err_clear(&err);
	ck_assert_int_eq(mcp_call_confirm(&c, "remove shop", &err),
	                 ERR_UNSUPPORTED);
	ck_assert_uint_eq(sent(&f), 1);
	fx_close(&f);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("mcp");

	UNIT_TCASE(s, initialize_answers_a_version_it_speaks);
	UNIT_TCASE(s, initialize_answers_the_newest_for_another_version);
	UNIT_TCASE(s, initialize_declares_capabilities_and_server);
	UNIT_TCASE(s, initialize_without_protocol_version_is_invalid_params);
	UNIT_TCASE(s, ids_are_echoed_with_their_type);
	UNIT_TCASE(s, ping_works_before_initialize);
	UNIT_TCASE(s, requests_before_initialize_are_refused);
	UNIT_TCASE(s, notifications_get_no_answer);
	UNIT_TCASE(s, responses_get_no_answer);
	UNIT_TCASE(s, invalid_json_is_a_parse_error);
	UNIT_TCASE(s, a_message_that_is_not_an_object_is_invalid);
	UNIT_TCASE(s, a_request_that_is_not_json_rpc_2_is_invalid);
	UNIT_TCASE(s, an_unknown_method_is_not_found);
	UNIT_TCASE(s, batches_are_answered_on_2025_03_26);
	UNIT_TCASE(s, batches_are_refused_on_other_versions);
	UNIT_TCASE(s, tools_list_gives_every_tool_with_schemas_and_hints);
	UNIT_TCASE(s, read_only_lists_no_write_tool);
	UNIT_TCASE(s, tools_option_lists_exactly_those);
	UNIT_TCASE(s, tools_option_with_both_filters);
	UNIT_TCASE(s, an_unknown_tool_in_the_tools_option_fails);
	UNIT_TCASE(s, read_scope_hides_and_refuses_write_tools);
	UNIT_TCASE(s, write_scope_alone_refuses_read_tools);
	UNIT_TCASE(s, tools_list_refuses_a_cursor);
	UNIT_TCASE(s, an_unknown_tool_is_invalid_params);
	UNIT_TCASE(s, arguments_that_are_not_an_object_are_invalid_params);
	UNIT_TCASE(s, arguments_against_the_schema_are_a_tool_error);
	UNIT_TCASE(s, a_valid_call_without_a_repository_is_a_tool_error);
	UNIT_TCASE(s, prompts_are_listed_with_their_arguments);
	UNIT_TCASE(s, prompts_get_fills_in_the_arguments);
	UNIT_TCASE(s, prompts_get_refuses_a_missing_argument_or_prompt);
	UNIT_TCASE(s, resources_without_a_repository_are_an_internal_error);
	UNIT_TCASE(s, a_message_over_the_cap_is_refused_in_handle_mode);
	UNIT_TCASE(s, queued_messages_are_answered_in_order);
	UNIT_TCASE(s, a_line_with_a_nul_is_invalid_json_in_both_modes);
	UNIT_TCASE(s, run_returns_at_once_when_the_input_ended);
	UNIT_TCASE(s, a_failing_send_stops_the_session);
	UNIT_TCASE(s, a_failing_send_is_returned_in_handle_mode);
	UNIT_TCASE(s, a_client_that_floods_is_cut_off);
	UNIT_TCASE(s, confirm_is_unsupported_in_handle_mode);
	UNIT_TCASE(s, progress_and_cancellation_without_a_call);
	UNIT_TCASE(s, confirm_asks_the_person_and_waits_for_the_answer);
	UNIT_TCASE(s, a_batch_during_a_wait_is_kept_for_later);
	UNIT_TCASE(s, confirm_is_no_unless_accepted_and_confirmed);
	UNIT_TCASE(s, confirm_ends_when_the_client_goes_away);
	UNIT_TCASE(s, a_cancel_is_seen_when_fed_and_ends_a_wait);
	UNIT_TCASE(s, confirm_needs_a_client_that_can_elicit);
	return s;
}
