/*
 * tool-list-alert-rules.c: list_alert_rules: the Prometheus alerting and
 * recording rules of alerts/<name>.yml at the head of the tracked branch.
 */
#include <jansson.h>

#include "desired.h"
#include "mcpctx.h"
#include "tool.h"

extern const struct tool_entry tool_list_alert_rules;

static int run(struct tool_result *r, struct tool_call *c, struct err *err)
{
	struct mcpview v;
	json_t *out, *g, *rule;
	size_t gi, ri;
	int rc = tool_view(&v, c, 0, r, err);

	if (rc <= 0)
		goto out;
	out = json_array();
	for (size_t f = 0; f < v.r.desired->nalerts; f++) {
		const struct desired_doc *d = &v.r.desired->alerts[f];

		json_array_foreach (json_object_get(d->doc, "groups"), gi, g) {
			json_array_foreach (json_object_get(g, "rules"), ri,
			                    rule) {
				json_t *e = json_deep_copy(rule);

				json_object_set_new(e, "file",
				                    json_string(d->path));
				json_object_set(e, "group",
				                json_object_get(g, "name"));
				json_array_append_new(out, e);
			}
		}
	}
	rc = tool_ok(r, json_pack("{s:s, s:o}", "revision",
	                          v.r.desired->revision, "rules", out));
out:
	mcpview_release(&v);
	return rc;
}

const struct tool_entry tool_list_alert_rules = {
        .name = "list_alert_rules",
        .title = "List alert rules",
        .description =
                "Every Prometheus rule in alerts/*.yml at the head of the "
                "tracked branch, with its file and group: alert (or "
                "record), expr, for, labels and annotations.",
        .input_schema = TOOL_JSON({
	        "type" : "object",
	        "properties" : {},
	        "additionalProperties" : false
        }),
        .output_schema = TOOL_JSON({
	        "type" : "object",
	        "required" : [ "revision", "rules" ],
	        "properties" : {
		        "revision" : {"type" : "string"},
		        "rules" : {
			        "type" : "array",
			        "items" : {
				        "type" : "object",
				        "required" : [ "file", "expr" ],
				        "properties" : {
					        "file" : {"type" : "string"},
					        "group" : {"type" : "string"},
					        "alert" : {"type" : "string"},
					        "record" : {"type" : "string"},
					        "expr" : {
						        "type" : "string"
					        }
				        }
			        }
		        }
	        }
        }),
        .flags = TOOL_READ_ONLY | TOOL_IDEMPOTENT,
        .run = run,
};
