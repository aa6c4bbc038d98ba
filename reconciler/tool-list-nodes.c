/*
 * tool-list-nodes.c: list_nodes: every swarm node with its live role,
 * availability, state and labels beside what nodes.yml asks of it.
 */
#include <string.h>

#include <jansson.h>

#include "desired.h"
#include "live.h"
#include "mcpctx.h"
#include "tool.h"

extern const struct tool_entry tool_list_nodes;

static const char *str_at(const json_t *o, const char *a, const char *b)
{
	return json_string_value(json_object_get(json_object_get(o, a), b));
}

static json_t *desired_of(const json_t *want)
{
	if (!want)
		return json_null();
	return json_pack("{s:O?, s:O?, s:O?}", "labels",
	                 json_object_get(want, "labels"), "availability",
	                 json_object_get(want, "availability"), "role",
	                 json_object_get(want, "role"));
}

static int run(struct tool_result *r, struct tool_call *c, struct err *err)
{
	struct mcpview v;
	json_t *want, *nodes, *n, *w;
	const char *host;
	size_t i;
	int rc = tool_view(&v, c, MCPVIEW_SWARM, r, err);

	if (rc <= 0)
		goto out;
	if (!v.r.live) {
		rc = tool_fail(r, "cannot read the swarm: %s",
		               v.swarm_error ? v.swarm_error : "no connection");
		goto out;
	}
	want = json_object_get(v.r.desired->nodes.doc, "nodes");
	nodes = json_array();
	json_array_foreach (v.r.live->nodes, i, n) {
		host = str_at(n, "Description", "Hostname");
		if (!host)
			continue;
		json_array_append_new(
		        nodes,
		        json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:O?, s:o}",
		                  "hostname", host, "role",
		                  str_at(n, "Spec", "Role"), "availability",
		                  str_at(n, "Spec", "Availability"), "state",
		                  str_at(n, "Status", "State"), "address",
		                  str_at(n, "Status", "Addr"), "labels",
		                  json_object_get(json_object_get(n, "Spec"),
		                                  "Labels"),
		                  "desired",
		                  desired_of(json_object_get(want, host))));
	}
	json_object_foreach (want, host, w) {
		if (live_node_by_hostname(v.r.live, host))
			continue;
		json_array_append_new(
		        nodes, json_pack("{s:s, s:s, s:o}", "hostname", host,
		                         "state", "not in the swarm", "desired",
		                         desired_of(w)));
	}
	rc = tool_ok(r, json_pack("{s:s, s:o}", "revision",
	                          v.r.desired->revision, "nodes", nodes));
out:
	mcpview_release(&v);
	return rc;
}

const struct tool_entry tool_list_nodes = {
        .name = "list_nodes",
        .title = "List nodes",
        .description = "Lists the swarm's nodes: hostname, role, availability, "
                       "state and live labels, beside the labels, availability "
                       "and role that nodes.yml at the head of the tracked "
                       "branch asks for (desired: null when nodes.yml does not "
                       "name the node).",
        .input_schema = TOOL_JSON({
	        "type" : "object",
	        "properties" : {},
	        "additionalProperties" : false
        }),
        .output_schema = TOOL_JSON({
	        "type" : "object",
	        "required" : [ "revision", "nodes" ],
	        "properties" : {
		        "revision" : {"type" : "string"},
		        "nodes" : {
			        "type" : "array",
			        "items" : {
				        "type" : "object",
				        "required" : [ "hostname", "desired" ],
				        "properties" : {
					        "hostname" :
					                {"type" : "string"},
					        "role" : {"type" : "string"},
					        "availability" :
					                {"type" : "string"},
					        "state" : {"type" : "string"},
					        "labels" : {"type" : "object"},
					        "desired" : {
						        "type" : [
							        "object", "null"
						        ]
					        }
				        }
			        }
		        }
	        }
        }),
        .flags = TOOL_READ_ONLY | TOOL_IDEMPOTENT,
        .run = run,
};
