/*
 * tool-list-backups.c: list_backups: the backup schedules of the backups/ files
 * at the head of the tracked branch, each with its recorded runs.
 *
 * kedge does not run backups yet (issue 12), so the store keeps no run
 * of one: every "runs" is [] and runs_recorded is false. The shape is the
 * one runs will fill, so clients need not change when they exist.
 */
#include <jansson.h>

#include "desired.h"
#include "mcpctx.h"
#include "tool.h"

extern const struct tool_entry tool_list_backups;

#define NO_RUNS                                                              \
	"kedge does not record backup runs yet (backup jobs are not run by " \
	"kedge today), so every runs list is empty"

static json_t *backup_of(const json_t *b, const char *file)
{
	return json_pack(
	        "{s:O?, s:s, s:O?, s:O?, s:b, s:O?, s:O?, s:O?, s:O?, s:o}",
	        "name", json_object_get(b, "name"), "file", file, "schedule",
	        json_object_get(b, "schedule"), "timezone",
	        json_object_get(b, "timezone"), "suspend",
	        json_is_true(json_object_get(b, "suspend")), "jitter",
	        json_object_get(b, "jitter"), "target",
	        json_object_get(b, "target"), "retention",
	        json_object_get(b, "retention"), "max_age",
	        json_object_get(json_object_get(b, "alert"), "max_age"), "runs",
	        json_array());
}

static int run(struct tool_result *r, struct tool_call *c, struct err *err)
{
	struct mcpview v;
	json_t *list, *b;
	size_t i;
	int rc = tool_view(&v, c, 0, r, err);

	if (rc <= 0)
		goto out;
	list = json_array();
	for (size_t f = 0; f < v.r.desired->nbackups; f++) {
		const struct desired_doc *doc = &v.r.desired->backups[f];

		json_array_foreach (json_object_get(doc->doc, "backups"), i, b)
			json_array_append_new(list, backup_of(b, doc->path));
	}
	rc = tool_ok(r, json_pack("{s:s, s:o, s:b, s:s}", "revision",
	                          v.r.desired->revision, "backups", list,
	                          "runs_recorded", 0, "note", NO_RUNS));
out:
	mcpview_release(&v);
	return rc;
}

// clang-format off
const struct tool_entry tool_list_backups = {
        .name = "list_backups",
        .title = "List backups",
        .description =
                "Lists the backup schedules of backups/*.yml at the head "
                "of the tracked branch: each backup's name, file, cron "
                "schedule and time zone, whether it is suspended, its "
                "target (what is backed up), retention and alert max_age. "
                "Each has a runs list for its last runs; kedge does not "
                "record backup runs yet, so runs is always [] today "
                "(runs_recorded: false).",
        .input_schema = TOOL_JSON({
	        "type" : "object",
	        "properties" : {},
	        "additionalProperties" : false
        }),
        .output_schema = TOOL_JSON({
	        "type" : "object",
	        "required" : [ "revision", "backups", "runs_recorded", "note" ],
	        "properties" : {
		        "revision" : {"type" : "string"},
		        "runs_recorded" : {"type" : "boolean"},
		        "note" : {"type" : "string"},
		        "backups" : {
			        "type" : "array",
			        "items" : {
				        "type" : "object",
				        "required" : [ "name", "file", "schedule", "timezone", "suspend", "target", "runs" ],
				        "properties" : {
					        "name" : {"type" : "string"},
					        "file" : {"type" : "string"},
					        "schedule" : {"type" : "string"},
					        "timezone" : {"type" : "string"},
					        "suspend" : {"type" : "boolean"},
					        "jitter" : {"type" : [ "string", "null" ]},
					        "target" : {"type" : "object"},
					        "retention" : {"type" : [ "object", "null" ]},
					        "max_age" : {"type" : [ "string", "null" ]},
					        "runs" : {"type" : "array", "items" : {"type" : "object"}}
				        }
			        }
		        }
	        }
        }),
        .flags = TOOL_READ_ONLY | TOOL_IDEMPOTENT,
        .run = run,
};
// clang-format on
