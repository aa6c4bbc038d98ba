/*
 * mcpwrite.c: the pipeline from a write tool's edit to a pushed commit
 * (see mcpwrite.h).
 *
 * The order matters: nothing leaves this process before the new commit
 * has been validated and planned, and the push is never forced. A lost
 * race on the tracked branch redoes the edit on the new head (the edit
 * is a function of the files, not a patch) and validates again, once;
 * with expected_revision the caller asked for exactly one base, so a
 * moved head is a conflict at once.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "desired.h"
#include "err.h"
#include "forge.h"
#include "log.h"
#include "mcp.h"
#include "mcpctx.h"
#include "mcpwrite.h"
#include "plan.h"
#include "repo.h"
#include "srcmap.h"
#include "tool.h"
#include "yamledit.h"

#define FILE_MAX (4u << 20)

struct staged {
	char *path; /* repository-relative (with the desired state's folder) */
	char *data; /* NULL: delete */
	size_t len;
};

struct mcpwrite {
	struct tool_call *c;
	struct repo *repo;
	char *prefix; /* "" or "<path>/" */
	struct staged *st;
	size_t nst, alloc;
};

static char *full_path(const struct mcpwrite *w, const char *path)
{
	return xasprintf("%s%s", w->prefix, path);
}

static struct staged *find_staged(struct mcpwrite *w, const char *full)
{
	for (size_t i = 0; i < w->nst; i++)
		if (!strcmp(w->st[i].path, full))
			return &w->st[i];
	return NULL;
}

int mcpwrite_read(struct buf *out, struct mcpwrite *w, const char *path,
                  struct err *err)
{
	char *full = full_path(w, path);
	struct staged *s = find_staged(w, full);
	int rc;

	buf_init(out, FILE_MAX);
	if (s && !s->data)
		rc = err_set(err, ERR_NOTFOUND, "'%s' is deleted", path);
	else if (s)
		rc = buf_add(out, s->data, s->len);
	else
		rc = repo_read(out, w->repo, full, err);
	free(full);
	return rc;
}

void mcpwrite_put(struct mcpwrite *w, const char *path, const char *data,
                  size_t len)
{
	char *full = full_path(w, path);
	struct staged *s = find_staged(w, full);

	if (!s) {
		ALLOC_GROW(w->st, w->nst + 1, w->alloc);
		s = &w->st[w->nst++];
		s->path = full;
	} else {
		free(s->data);
		free(full);
	}
	s->data = data ? xstrndup(data, len) : NULL;
	s->len = data ? len : 0;
}

int mcpwrite_yaml(struct yamledit **out, struct mcpwrite *w, const char *path,
                  int create, struct err *err)
{
	struct buf text;
	int rc = mcpwrite_read(&text, w, path, err);

	if (rc == ERR_NOTFOUND && create) {
		err_clear(err);
		rc = 0;
	}
	if (!rc)
		rc = yamledit_open(out, buf_cstr(&text), text.len, path, err);
	buf_release(&text);
	return rc;
}

void mcpwrite_put_yaml(struct mcpwrite *w, const char *path,
                       const struct yamledit *e)
{
	size_t len;
	const char *text = yamledit_text(e, &len);

	mcpwrite_put(w, path, text, len);
}

struct tree_walk {
	struct mcpwrite *w;
	const char *dir; /* relative to the desired state's folder */
	struct err *err;
};

static int remove_entry(const char *name, enum repo_kind kind, void *data)
{
	struct tree_walk *t = data;
	char *path = xasprintf("%s/%s", t->dir, name);
	int rc = 0;

	if (kind == REPO_TREE)
		rc = mcpwrite_remove_tree(t->w, path, t->err);
	else
		mcpwrite_put(t->w, path, NULL, 0);
	free(path);
	return rc;
}

int mcpwrite_remove_tree(struct mcpwrite *w, const char *dir, struct err *err)
{
	struct tree_walk t = {w, dir, err};
	char *full = full_path(w, dir);
	int rc = repo_list(w->repo, full, remove_entry, &t, err);

	free(full);
	return rc;
}

static int list_entry(const char *name, enum repo_kind kind, void *data)
{
	if (kind == REPO_BLOB)
		json_array_append_new(data, json_string(name));
	return 0;
}

static int by_string(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
	              json_string_value(*(json_t *const *)b));
}

int mcpwrite_list(json_t **out, struct mcpwrite *w, const char *dir,
                  struct err *err)
{
	char *full = full_path(w, dir);
	json_t *names = json_array(), *sorted;
	json_t **v;
	size_t n;
	int rc = repo_list(w->repo, full, list_entry, names, err);

	free(full);
	if (rc == ERR_NOTFOUND) {
		err_clear(err);
		rc = 0;
	}
	if (rc) {
		json_decref(names);
		return rc;
	}
	n = json_array_size(names);
	v = xcalloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(names, i);
	qsort(v, n, sizeof(*v), by_string);
	sorted = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append(sorted, v[i]);
	free(v);
	json_decref(names);
	*out = sorted;
	return 0;
}

int mcpwrite_stack_file(char **path, struct mcpwrite *w, const char *stack,
                        struct tool_result *r, struct err *err)
{
	*path = NULL;
	if (!*stack || strchr(stack, '/') || !strcmp(stack, ".") ||
	    !strcmp(stack, ".."))
		return tool_fail(r, "'%s' is not a stack name", stack) + 1;
	for (size_t i = 0; desired_compose_names[i]; i++) {
		char *p = xasprintf("stacks/%s/%s", stack,
		                    desired_compose_names[i]);
		char *full = full_path(w, p);
		enum repo_kind k;
		int rc = repo_stat(&k, w->repo, full, err);

		free(full);
		if (!rc && k == REPO_BLOB) {
			*path = p;
			return 0;
		}
		free(p);
		if (rc && rc != ERR_NOTFOUND)
			return rc;
		err_clear(err);
	}
	return tool_fail(r, "no stack '%s' at %.12s (list_stacks lists them)",
	                 stack, repo_commit(w->repo)) +
	       1;
}

static char *names_of(const json_t *obj)
{
	struct buf b = BUF_INIT;
	const char *k;
	json_t *v;
	int rc = 0;

	json_object_foreach ((json_t *)obj, k, v)
		rc |= buf_addf(&b, "%s%s", b.len ? ", " : "", k);
	(void)rc; /* uncapped */
	return buf_detach(&b, NULL);
}

int mcpwrite_service(struct yamledit **e, char **path, char **pointer,
                     struct mcpwrite *w, const char *stack, const char *service,
                     struct tool_result *r, struct err *err)
{
	const json_t *services;
	char *names;
	int rc;

	*e = NULL;
	*pointer = NULL;
	if ((rc = mcpwrite_stack_file(path, w, stack, r, err)))
		return rc;
	if ((rc = mcpwrite_yaml(e, w, *path, 0, err)))
		return rc;
	services = json_object_get(yamledit_doc(*e), "services");
	if (json_object_get(services, service)) {
		*pointer = srcmap_child("/services", service);
		return 0;
	}
	names = names_of(services);
	tool_fail(r, "no service '%s' in stack '%s' (%s has: %s)", service,
	          stack, *path, *names ? names : "no services");
	free(names);
	return 1;
}

int mcpwrite_service_set(struct mcpwrite *w, struct tool_result *r,
                         const char *stack, const char *service,
                         const char *member, const json_t *v, struct err *err)
{
	struct yamledit *e = NULL;
	char *path = NULL, *svc = NULL, *ptr = NULL;
	int rc = mcpwrite_service(&e, &path, &svc, w, stack, service, r, err);

	if (rc)
		goto out;
	ptr = xasprintf("%s%s", svc, member);
	rc = v ? yamledit_set(e, ptr, v, err) : yamledit_remove(e, ptr, err);
	if (rc == ERR_NOTFOUND && !v) { /* nothing to remove */
		err_clear(err);
		rc = 0;
	}
	if (!rc)
		mcpwrite_put_yaml(w, path, e);
out:
	yamledit_free(e);
	free(path);
	free(svc);
	free(ptr);
	return rc;
}

/* ---- the pipeline -------------------------------------------------- */

static void staged_reset(struct mcpwrite *w)
{
	for (size_t i = 0; i < w->nst; i++) {
		free(w->st[i].path);
		free(w->st[i].data);
	}
	w->nst = 0;
}

/* Drops staged files equal to the base; fills files and diff. */
static int settle(struct mcpwrite *w, json_t *files, struct buf *diff,
                  struct err *err)
{
	size_t keep = 0;
	int rc = 0;

	for (size_t i = 0; i < w->nst && !rc; i++) {
		struct staged *s = &w->st[i];
		struct buf old;
		int have;

		buf_init(&old, FILE_MAX);
		rc = repo_read(&old, w->repo, s->path, err);
		have = !rc;
		if (rc == ERR_NOTFOUND) {
			err_clear(err);
			rc = 0;
		}
		if (!rc && ((!have && !s->data) ||
		            (have && s->data && old.len == s->len &&
		             !memcmp(old.ptr, s->data, s->len)))) {
			free(s->path);
			free(s->data);
			buf_release(&old);
			continue;
		}
		if (!rc)
			rc = repo_diff_text(diff, s->path,
			                    have ? buf_cstr(&old) : NULL,
			                    old.len, s->data, s->len, err);
		json_array_append_new(files, json_string(s->path));
		w->st[keep++] = *s;
		buf_release(&old);
	}
	if (!rc)
		w->nst = keep;
	return rc;
}

static char *message_of(const struct mcpwrite_req *req,
                        const struct tool_call *c)
{
	return xasprintf("%s\n\n%s\n\nKedge-Tool: %s\nKedge-Requested-By: %s\n",
	                 req->summary, tool_arg(c, "reason"), req->tool,
	                 c->who ? c->who : "unknown");
}

static char *branch_of(const struct mcpwrite_req *req, const char *commit)
{
	char slug[48];
	size_t n = 0;

	for (const char *p = req->slug; *p && n < sizeof(slug) - 9; p++) {
		unsigned char ch = (unsigned char)*p;

		if (isalnum(ch))
			slug[n++] = (char)tolower(ch);
		else if (n && slug[n - 1] != '-')
			slug[n++] = '-';
	}
	while (n && slug[n - 1] == '-')
		n--;
	slug[n] = '\0';
	return xasprintf("kedge/%s%s%.7s", slug, n ? "-" : "", commit);
}

/* 1: go ahead; 0: r says why not. */
static int confirmed(struct tool_result *r, struct tool_call *c,
                     const struct mcpwrite_req *req, struct err *err)
{
	char *msg;
	int rc;

	if (json_is_true(json_object_get(c->args, "confirm")))
		return 1;
	msg = xasprintf("kedge will commit a destructive change: %s. "
	                "Go ahead?",
	                req->summary);
	rc = mcp_call_confirm(c->call, msg, err);
	free(msg);
	if (rc == 1)
		return 1;
	if (rc == 0)
		tool_fail(r, "%s", "declined: nothing was committed");
	else if (rc == ERR_UNSUPPORTED)
		tool_fail(r,
		          "%s is destructive and this client cannot ask the "
		          "person: call again with confirm: true once they "
		          "agreed; nothing was committed",
		          req->summary);
	else
		tool_fail(r, "not confirmed (%s): nothing was committed",
		          err->msg);
	err_clear(err);
	return 0;
}

/*
 * Does the plan remove (or scale to zero) something of a stack whose
 * files this write changed? Only those count: the swarm may differ from
 * git elsewhere (a removal the daemon has not applied yet), and that is
 * not this change's doing.
 */
static int destroys(const struct mcpwrite *w, const struct plan *p)
{
	for (size_t i = 0; p && i < p->nr; i++) {
		const struct plan_action *a = &p->actions[i];
		char *dir;
		int mine = 0;

		if (!a->destructive || !a->stack)
			continue;
		dir = xasprintf("%sstacks/%s/", w->prefix, a->stack);
		for (size_t j = 0; j < w->nst && !mine; j++)
			mine = starts_with(w->st[j].path, dir);
		free(dir);
		if (mine)
			return 1;
	}
	return 0;
}

struct attempt {
	char commit[41];
	char *branch;
	json_t *files;
	struct buf diff;
	struct mcpview v;
	int have_view;
};

static void attempt_release(struct attempt *a)
{
	free(a->branch);
	json_decref(a->files);
	buf_release(&a->diff);
	if (a->have_view)
		mcpview_release(&a->v);
	memset(a, 0, sizeof(*a));
}

static int invalid(struct tool_result *r, struct attempt *a)
{
	char *text;

	diag_sort(&a->v.diag);
	text = mcpctx_diag_text(&a->v.diag);
	tool_fail(r,
	          "the change is not valid; nothing was committed:\n%s\n"
	          "the change was:\n%s",
	          text, buf_cstr(&a->diff));
	free(text);
	return 1;
}

/*
 * One try on the current head: edit, commit, validate, plan, push.
 * 0 pushed (or nothing to do), 1 r holds an error result, ERR_CONFLICT
 * the push lost a race, or kedge's error.
 */
static int attempt(struct attempt *a, struct tool_result *r, struct mcpwrite *w,
                   const struct mcpwrite_req *req, mcpwrite_edit_fn fn,
                   void *arg, struct err *err)
{
	const struct mcpctx_opts *co = mcpctx_opts(w->c->ctx);
	/* over HTTP the author is the token's owner */
	int token = w->c->who && strcmp(w->c->who, "stdio");
	struct repo_signature who = {token             ? w->c->who
	                             : co->author_name ? co->author_name
	                                               : "kedge",
	                             co->author_email ? co->author_email
	                                              : "kedge@localhost"};
	struct repo_change *ch;
	struct repo_opts ro;
	char *msg;
	int rc;

	a->files = json_array();
	buf_init(&a->diff, 0);
	if ((rc = fn(w, r, arg, err)) || r->is_error)
		return rc ? rc : 1;
	if ((rc = settle(w, a->files, &a->diff, err)) || !w->nst)
		return rc;
	ch = xcalloc(w->nst, sizeof(*ch));
	for (size_t i = 0; i < w->nst; i++)
		ch[i] = (struct repo_change){w->st[i].path, w->st[i].data,
		                             w->st[i].len};
	msg = message_of(req, w->c);
	rc = repo_commit_create(a->commit, w->repo, ch, w->nst, &who, msg, err);
	free(msg);
	free(ch);
	if (rc)
		return rc;
	a->have_view = 1;
	if ((rc = mcpctx_view(&a->v, w->c->ctx, a->commit, MCPVIEW_SWARM, err)))
		return rc;
	if (a->v.diag.errors)
		return invalid(r, a);
	if ((req->destructive || destroys(w, a->v.r.plan)) &&
	    !confirmed(r, w->c, req, err))
		return 1;
	source_repo_opts(&ro, &co->src);
	if (co->commit_to == MCPCTX_COMMIT_TRACKED) {
		a->branch = xstrdup(co->src.ref);
		return repo_push(w->repo, a->commit, a->branch,
		                 repo_commit(w->repo), &ro, err);
	}
	a->branch = branch_of(req, a->commit);
	return repo_push(w->repo, a->commit, a->branch, NULL, &ro, err);
}

/*
 * A pull or merge request for a pushed branch, when a forge is set. Its
 * failure does not undo the push: the branch is there to be merged by
 * hand, and the result says why no request was opened.
 */
static void open_request(json_t *out, const struct mcpwrite *w,
                         const struct attempt *a,
                         const struct mcpwrite_req *req)
{
	const struct mcpctx_opts *co = mcpctx_opts(w->c->ctx);
	char *url = NULL, *body;
	long number = 0;
	struct err err;

	if (co->forge.kind == FORGE_NONE ||
	    co->commit_to != MCPCTX_COMMIT_BRANCH || !a->branch)
		return;
	err_clear(&err);
	body = xasprintf("%s\n\nRequested through kedge's %s tool by %s.\n",
	                 tool_arg(w->c, "reason"), req->tool,
	                 w->c->who ? w->c->who : "unknown");
	if (forge_open_request(&url, &number, &co->forge, a->branch,
	                       co->src.ref, req->summary, body, &err))
		json_object_set_new(out, "pull_request_error",
		                    json_string(err.msg));
	else
		json_object_set_new(out, "pull_request",
		                    json_pack("{s:s, s:I}", "url", url,
		                              "number", (json_int_t)number));
	free(url);
	free(body);
}

static int result_of(struct tool_result *r, struct attempt *a,
                     struct mcpwrite *w, const struct mcpwrite_req *req)
{
	int changed = w->nst > 0;
	json_t *plan = a->have_view ? tool_plan_json(&a->v) : NULL;
	json_t *out = json_pack("{s:s?, s:s?, s:s, s:O, s:s, s:b}", "commit",
	                        changed ? a->commit : NULL, "branch", a->branch,
	                        "base", repo_commit(w->repo), "files", a->files,
	                        "diff", buf_cstr(&a->diff), "pushed", changed);

	if (changed)
		open_request(out, w, a, req);
	if (plan)
		json_object_set_new(out, "plan", plan);
	if (!changed)
		r->text = xasprintf("nothing to change: %s is already so at "
		                    "%.12s",
		                    req->summary, repo_commit(w->repo));
	else
		r->text = xasprintf(
		        "committed %.12s on %s: %s\n\n%s\n%s", a->commit,
		        a->branch, req->summary, buf_cstr(&a->diff),
		        json_string_value(json_object_get(plan, "text"))
		                ?: json_string_value(
		                           json_object_get(plan, "error"))
		                ?: "");
	return tool_ok(r, out);
}

static int check_expected(struct tool_result *r, const struct mcpwrite *w,
                          const char *expected)
{
	const char *head = repo_commit(w->repo);

	if (!expected || !strncmp(head, expected, strlen(expected)))
		return 0;
	return tool_fail(r,
	                 "conflict: the tracked branch is at %.12s, not at "
	                 "the expected revision %s; read it again and retry",
	                 head, expected) +
	       1;
}

int mcpwrite_run(struct tool_result *r, struct tool_call *c,
                 const struct mcpwrite_req *req, mcpwrite_edit_fn fn, void *arg,
                 struct err *err)
{
	const struct mcpctx_opts *co = mcpctx_opts(c->ctx);
	const char *expected = tool_arg(c, "expected_revision");
	struct mcpwrite w = {0};
	struct attempt a = {0};
	struct repo_opts ro;
	int rc = 0;

	w.c = c;
	w.prefix = co->src.path && *co->src.path
	                   ? xasprintf("%s/", co->src.path)
	                   : xstrdup("");
	source_repo_opts(&ro, &co->src);
	for (int tries = 0; tries < 2; tries++) {
		if ((rc = repo_open(&w.repo, co->src.repo, co->src.ref, &ro,
		                    err)) ||
		    (rc = check_expected(r, &w, expected)))
			break;
		rc = attempt(&a, r, &w, req, fn, arg, err);
		if (rc != ERR_CONFLICT || expected || tries ||
		    co->commit_to != MCPCTX_COMMIT_TRACKED)
			break;
		/* lost a race: redo the edit on the new head, once */
		log_info("mcp",
		         "push lost a race, retrying on the new head "
		         "branch=%s",
		         a.branch);
		err_clear(err);
		attempt_release(&a);
		staged_reset(&w);
		repo_free(w.repo);
		w.repo = NULL;
	}
	if (rc == ERR_CONFLICT) {
		tool_fail(r,
		          "conflict: %s; nothing was lost, read again and "
		          "retry",
		          err->msg);
		err_clear(err);
		rc = 0;
	} else if (rc == 1) {
		rc = 0;
	} else if (!rc && !r->is_error) {
		rc = result_of(r, &a, &w, req);
		log_info("mcp", "commit=%s branch=%s tool=%s",
		         w.nst ? a.commit : "none", a.branch ? a.branch : "-",
		         req->tool);
	}
	attempt_release(&a);
	staged_reset(&w);
	free(w.st);
	free(w.prefix);
	repo_free(w.repo);
	return rc;
}

int mcpwrite_tool(struct tool_result *r, struct tool_call *c, const char *tool,
                  int destructive, mcpwrite_edit_fn fn, char *summary,
                  char *slug, struct err *err)
{
	struct mcpwrite_req req = {tool, summary, slug, destructive};
	int rc = mcpwrite_run(r, c, &req, fn, c, err);

	free(summary);
	free(slug);
	return rc;
}
