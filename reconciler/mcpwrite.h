/*
 * mcpwrite.h: how a write tool becomes one commit.
 *
 * Owns the pipeline every write tool shares: read the tracked branch at
 * its head; let the tool edit files (staged in memory, the YAML changed
 * as text by yamledit.h); commit without a work tree; validate that
 * commit with the code of `kedge validate` and plan it against the live
 * swarm; ask before a destructive change; push (a new branch
 * kedge/<slug>, or the tracked branch); and, when the push loses a race
 * on the tracked branch, redo the edit once on the new head. Invalid →
 * an error result with the validator's file:line messages; nothing is
 * pushed (the commit object stays unreferenced, as after a failed git
 * commit --amend).
 * Does not own: what a tool changes.
 */
#ifndef RECONCILER_MCPWRITE_H
#define RECONCILER_MCPWRITE_H

#include <stddef.h>

#include "util.h"

struct buf;
struct err;
struct json_t;
struct mcpwrite;
struct tool_call;
struct tool_result;
struct yamledit;

/*
 * A tool's edit. It reads with mcpwrite_read / mcpwrite_yaml and stages
 * with mcpwrite_put / mcpwrite_put_yaml. A problem the caller can fix
 * (an unknown service) is an error result in r, returning 0. It may run
 * twice (after a lost race) and must not keep state between runs.
 */
typedef int (*mcpwrite_edit_fn)(struct mcpwrite *w, struct tool_result *r,
                                void *arg, struct err *err);

struct mcpwrite_req {
	const char *tool;    /* the Kedge-Tool trailer */
	const char *summary; /* the commit's subject: "scale web/web to 5" */
	const char *slug;    /* for the branch: "scale-web-web-5" */
	/* destructive whatever the plan says (a removal); the plan's own
	 * destructive flag (a scale to zero) also counts */
	int destructive;
};

/*
 * Runs the pipeline for the call c (whose arguments hold "reason", and
 * may hold "expected_revision" and "confirm"). On success *r holds
 * {commit, branch, base, files, diff, plan, pushed} (commit null when
 * the edit changed nothing). Returns kedge's own errors.
 */
int mcpwrite_run(struct tool_result *r, struct tool_call *c,
                 const struct mcpwrite_req *req, mcpwrite_edit_fn fn, void *arg,
                 struct err *err) MUST_CHECK;

/*
 * mcpwrite_run for the tool's own edit (arg is the call), with summary
 * and slug (xmalloc'd, freed here).
 */
int mcpwrite_tool(struct tool_result *r, struct tool_call *c, const char *tool,
                  int destructive, mcpwrite_edit_fn fn, char *summary,
                  char *slug, struct err *err) MUST_CHECK;

/*
 * The file at path (relative to the desired state's folder) as this
 * write sees it: staged, else at the base commit. ERR_NOTFOUND when it
 * does not exist.
 */
int mcpwrite_read(struct buf *out, struct mcpwrite *w, const char *path,
                  struct err *err) MUST_CHECK;
/* Stages path's new contents (copied); data NULL deletes the file. */
void mcpwrite_put(struct mcpwrite *w, const char *path, const char *data,
                  size_t len);
/*
 * The names of the files directly under dir (relative to the desired
 * state's folder) at the base commit, sorted, into *out (a new array of
 * strings); a missing dir is an empty list. Staged files are not listed.
 */
int mcpwrite_list(struct json_t **out, struct mcpwrite *w, const char *dir,
                  struct err *err) MUST_CHECK;
/* Stages the deletion of every file under dir. */
int mcpwrite_remove_tree(struct mcpwrite *w, const char *dir,
                         struct err *err) MUST_CHECK;
/*
 * Opens path for editing (yamledit_open on its current text; an absent
 * file is empty when create is set, else ERR_NOTFOUND), and stages the
 * edited text. Free the editor with yamledit_free.
 */
int mcpwrite_yaml(struct yamledit **out, struct mcpwrite *w, const char *path,
                  int create, struct err *err) MUST_CHECK;
void mcpwrite_put_yaml(struct mcpwrite *w, const char *path,
                       const struct yamledit *e);

/*
 * The compose file of stack at the base ("stacks/<stack>/compose.yml",
 * or the other names kedge reads) into *path (xmalloc'd). 0, or 1 with
 * an error result in r when there is no such stack.
 */
int mcpwrite_stack_file(char **path, struct mcpwrite *w, const char *stack,
                        struct tool_result *r, struct err *err) MUST_CHECK;
/*
 * Opens stack's compose file and checks that service is one of its
 * services; *pointer is "/services/<service>" (escaped, xmalloc'd).
 * 0, 1 with an error result in r (no such stack or service, with the
 * names there are), or kedge's error.
 */
int mcpwrite_service(struct yamledit **e, char **path, char **pointer,
                     struct mcpwrite *w, const char *stack, const char *service,
                     struct tool_result *r, struct err *err) MUST_CHECK;

/*
 * Sets member (a pointer below the service: "/image") of service in
 * stack's compose file to v (NULL: removes it) and stages the file; the
 * errors of mcpwrite_service and yamledit_set. For an edit function.
 */
int mcpwrite_service_set(struct mcpwrite *w, struct tool_result *r,
                         const char *stack, const char *service,
                         const char *member, const struct json_t *v,
                         struct err *err) MUST_CHECK;

/*
 * Input-schema members every write tool has, inside TOOL_JSON: one
 * string literal per JSON string (adjacent literals would stringify as
 * two JSON strings).
 */
// clang-format off
#define MCPWRITE_ARGS \
	"reason" : { \
		"type" : "string", "minLength" : 1, "maxLength" : 2000, \
		"description" : "the person's request, in their words; it goes into the commit message" \
	}, \
	"expected_revision" : { \
		"type" : "string", "pattern" : "^[0-9a-f]{7,40}$", \
		"description" : "the commit the change was planned on; a different head is a conflict" \
	}
/* The confirm member of a destructive tool. */
#define MCPWRITE_CONFIRM \
	"confirm" : { \
		"type" : "boolean", \
		"description" : "true: go ahead without asking (for clients that cannot ask the person)" \
	}
// clang-format on

/* The output schema of every write tool. */
#define MCPWRITE_OUTPUT                                                       \
	TOOL_JSON({                                                           \
		"type" : "object",                                            \
		"required" : [ "commit", "branch", "base", "files", "diff" ], \
		"properties" : {                                              \
			"commit" : {"type" : [ "string", "null" ]},           \
			"branch" : {"type" : [ "string", "null" ]},           \
			"base" : {"type" : "string"},                         \
			"files" : {                                           \
				"type" : "array",                             \
				"items" : {"type" : "string"}                 \
			},                                                    \
			"diff" : {"type" : "string"},                         \
			"plan" : {"type" : "object"},                         \
			"pushed" : {"type" : "boolean"},                      \
			"pull_request" : {"type" : "object"},                 \
			"pull_request_error" : {"type" : "string"}            \
		}                                                             \
	})

#endif
