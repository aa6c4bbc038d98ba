/*
 * tool-set-backup-schedule.c: set_backup_schedule: change when (and
 * whether) a backup of the backups/ files runs, or add a new backup.
 *
 * The backup is found by name across the backups/ files at the base; only the
 * members given change (yamledit: comments, quoting and order kept). The
 * members it sets are the top-level scalars of a backup in
 * schema/backups.schema.json; a null removes an optional one. A name
 * that is not there is added to file when file and target are given (job
 * and destination too, or the validator refuses the commit); otherwise
 * it is an error listing the names there are.
 */
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "mcpwrite.h"
#include "srcmap.h"
#include "tool.h"
#include "yamledit.h"

extern const struct tool_entry tool_set_backup_schedule;

/* The scalar members set on an existing backup, in the file's order. */
static const char *const scalars[] = {
        "schedule",    "timezone",          "jitter",  "suspend",
        "concurrency", "starting_deadline", "timeout", NULL};
/* Members only a new backup takes. */
static const char *const new_only[] = {"target", "job", "destination", NULL};

static int is_yaml(const char *name)
{
	return ends_with(name, ".yml") || ends_with(name, ".yaml");
}

/* Sets (or, for null, removes) the members given for the backup at ptr. */
static int set_members(struct yamledit *e, const char *ptr,
                       const struct tool_call *c, struct err *err)
{
	int rc = 0;

	for (size_t i = 0; scalars[i] && !rc; i++) {
		const json_t *v = json_object_get(c->args, scalars[i]);
		char *p;

		if (!v)
			continue;
		p = srcmap_child(ptr, scalars[i]);
		if (json_is_null(v)) {
			rc = yamledit_remove(e, p, err);
			if (rc == ERR_NOTFOUND) {
				err_clear(err);
				rc = 0;
			}
		} else {
			rc = yamledit_set(e, p, v, err);
		}
		free(p);
	}
	return rc;
}

/* The new backup's mapping: name, the scalars given, then the objects. */
static json_t *new_backup(const struct tool_call *c)
{
	json_t *b = json_pack("{s:s}", "name", tool_arg(c, "name"));
	const json_t *v;

	for (size_t i = 0; scalars[i]; i++)
		if ((v = json_object_get(c->args, scalars[i])) &&
		    !json_is_null(v))
			json_object_set(b, scalars[i], (json_t *)v);
	for (size_t i = 0; new_only[i]; i++)
		if ((v = json_object_get(c->args, new_only[i])))
			json_object_set(b, new_only[i], (json_t *)v);
	return b;
}

/*
 * Looks for the backup named name in the files of backups/: *file and
 * *index when found (*file xmalloc'd), else *file NULL; names collects
 * the names there are ("a, b"). 1 with an error result when a file does
 * not parse.
 */
static int find(char **file, size_t *index, struct buf *names,
                struct mcpwrite *w, const char *name, struct tool_result *r,
                struct err *err)
{
	json_t *files = NULL, *f, *b;
	struct yamledit *e = NULL;
	size_t i, j;
	int added = 0;
	int rc = mcpwrite_list(&files, w, "backups", err);

	*file = NULL;
	json_array_foreach (files, i, f) {
		const char *fn = json_string_value(f);
		char *path;

		if (rc || *file)
			break;
		if (!is_yaml(fn))
			continue;
		path = xasprintf("backups/%s", fn);
		rc = mcpwrite_yaml(&e, w, path, 0, err);
		if (rc == ERR_INVALID || rc == ERR_TOOBIG) {
			rc = tool_fail(r, "%s", err->msg) + 1;
			err_clear(err);
		}
		if (rc) {
			free(path);
			continue;
		}
		json_array_foreach (json_object_get(yamledit_doc(e), "backups"),
		                    j, b) {
			const char *n =
			        json_string_value(json_object_get(b, "name"));

			if (!n)
				continue;
			if (!strcmp(n, name)) {
				*file = xstrdup(path);
				*index = j;
				break;
			}
			added |= buf_addf(names, "%s%s", names->len ? ", " : "",
			                  n);
		}
		yamledit_free(e);
		e = NULL;
		free(path);
	}
	(void)added; /* names is uncapped */
	json_decref(files);
	return rc;
}

/* Adds the backup to file (created when absent). */
static int add(struct mcpwrite *w, const struct tool_call *c, const char *file,
               struct err *err)
{
	struct yamledit *e = NULL;
	json_t *b = new_backup(c), *list;
	int rc = mcpwrite_yaml(&e, w, file, 1, err);

	if (rc)
		goto out;
	if (json_is_array(json_object_get(yamledit_doc(e), "backups"))) {
		rc = yamledit_set(e, "/backups/-", b, err);
	} else {
		list = json_pack("[O]", b);
		rc = yamledit_set(e, "/backups", list, err);
		json_decref(list);
	}
	if (!rc)
		mcpwrite_put_yaml(w, file, e);
out:
	yamledit_free(e);
	json_decref(b);
	return rc;
}

static int edit(struct mcpwrite *w, struct tool_result *r, void *arg,
                struct err *err)
{
	struct tool_call *c = arg;
	const char *name = tool_arg(c, "name");
	const char *want = tool_arg(c, "file");
	struct buf names = BUF_INIT;
	struct yamledit *e = NULL;
	char *file = NULL, *ptr = NULL;
	size_t index = 0;
	int rc = find(&file, &index, &names, w, name, r, err);

	if (rc)
		goto out;
	if (!file) {
		if (!want || !json_object_get(c->args, "target")) {
			rc = tool_fail(r,
			               "no backup '%s' in backups/ (there %s: "
			               "%s); to add one, give file and target "
			               "(and job and destination)",
			               name, names.len ? "are" : "is none",
			               names.len ? buf_cstr(&names) : "-") +
			     1;
			goto out;
		}
		rc = add(w, c, want, err);
		goto out;
	}
	if (want && strcmp(want, file)) {
		rc = tool_fail(r, "backup '%s' is in %s, not %s", name, file,
		               want) +
		     1;
		goto out;
	}
	for (size_t i = 0; new_only[i]; i++)
		if (json_object_get(c->args, new_only[i])) {
			rc = tool_fail(r,
			               "backup '%s' exists (in %s): %s is "
			               "only for a new backup",
			               name, file, new_only[i]) +
			     1;
			goto out;
		}
	if ((rc = mcpwrite_yaml(&e, w, file, 0, err)))
		goto out;
	ptr = xasprintf("/backups/%zu", index);
	if (!(rc = set_members(e, ptr, c, err)))
		mcpwrite_put_yaml(w, file, e);
out:
	yamledit_free(e);
	buf_release(&names);
	free(file);
	free(ptr);
	return rc < 0 ? rc : 0;
}

static int run(struct tool_result *r, struct tool_call *c, struct err *err)
{
	const char *name = tool_arg(c, "name");
	size_t n = 0;

	for (size_t i = 0; scalars[i]; i++)
		n += json_object_get(c->args, scalars[i]) != NULL;
	if (!n && !json_object_get(c->args, "target"))
		return tool_fail(r, "nothing to change: give schedule, "
		                    "timezone or another member to set");
	return mcpwrite_tool(r, c, "set_backup_schedule", 0, edit,
	                     xasprintf("schedule the backup %s", name),
	                     xasprintf("backup-%s", name), err);
}

// clang-format off
const struct tool_entry tool_set_backup_schedule = {
        .name = "set_backup_schedule",
        .title = "Set a backup's schedule",
        .description =
                "Changes when a backup of backups/*.yml runs: its cron "
                "schedule, time zone, jitter, whether it is suspended, "
                "its concurrency policy, starting deadline or timeout "
                "(a null removes an optional member). The backup is "
                "found by name across backups/*.yml (list_backups lists "
                "them); only the members given change, comments are "
                "kept. A name that is not there is added to file when "
                "file and target are given (with job and destination, "
                "which the schema requires). Returns the commit, its "
                "diff and the plan.",
        .input_schema = TOOL_JSON({
	        "type" : "object",
	        "required" : [ "name", "reason" ],
	        "properties" : {
		        "name" : {"type" : "string", "pattern" : "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", "maxLength" : 40},
		        "schedule" : {
			        "type" : "string", "minLength" : 1, "maxLength" : 200,
			        "description" : "a 5-field cron expression (\"30 2 * * *\") or @daily, @hourly, ..."
		        },
		        "timezone" : {
			        "type" : "string", "minLength" : 1, "maxLength" : 100,
			        "description" : "the IANA time zone of the schedule, such as UTC or Europe/Berlin"
		        },
		        "jitter" : {"type" : [ "string", "null" ], "maxLength" : 50, "description" : "a random delay before each run, such as 5m"},
		        "suspend" : {"type" : [ "boolean", "null" ], "description" : "true: no new runs start"},
		        "concurrency" : {"enum" : [ "forbid", "replace", null ]},
		        "starting_deadline" : {"type" : [ "string", "null" ], "maxLength" : 50, "description" : "such as 1h"},
		        "timeout" : {"type" : [ "string", "null" ], "maxLength" : 50, "description" : "such as 2h"},
		        "file" : {
			        "type" : "string", "pattern" : "^backups/[A-Za-z0-9][A-Za-z0-9_.-]*[.]ya?ml$",
			        "description" : "the file of the backup (backups/<name>.yml): checked for an existing backup, where a new one goes"
		        },
		        "target" : {"type" : "object", "description" : "a new backup only: what is backed up ({kind, service, database | volume})"},
		        "job" : {"type" : "object", "description" : "a new backup only: the job's container ({image, command, ...})"},
		        "destination" : {"type" : "object", "description" : "a new backup only: where artefacts go ({type, path})"},
		        MCPWRITE_ARGS
	        },
	        "additionalProperties" : false
        }),
        .output_schema = MCPWRITE_OUTPUT,
        .flags = TOOL_COMMIT | TOOL_IDEMPOTENT,
        .run = run,
        .edit = edit,
};
// clang-format on
