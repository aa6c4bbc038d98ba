/*
 * forge.c: opening pull and merge requests (see forge.h), over http.c.
 *
 * The three APIs differ only in the path, the header that carries the
 * token and the names of the members; one table says which.
 */
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "forge.h"
#include "http.h"
#include "log.h"

static const struct forge_api {
	const char *name;
	const char *default_url;
	const char *auth;               /* the header, before the token */
	const char *head, *base, *text; /* member names */
	const char *web_url, *number;   /* in the answer */
} apis[] = {
        [FORGE_GITHUB] = {"GitHub", "https://api.github.com",
                          "Authorization: Bearer ", "head", "base", "body",
                          "html_url", "number"},
        [FORGE_GITLAB] = {"GitLab", "https://gitlab.com/api/v4",
                          "PRIVATE-TOKEN: ", "source_branch", "target_branch",
                          "description", "web_url", "iid"},
        [FORGE_GITEA] = {"Gitea", NULL, "Authorization: token ", "head", "base",
                         "body", "html_url", "number"},
};

int forge_kind_parse(enum forge_kind *out, const char *name, struct err *err)
{
	if (!strcmp(name, "github"))
		*out = FORGE_GITHUB;
	else if (!strcmp(name, "gitlab"))
		*out = FORGE_GITLAB;
	else if (!strcmp(name, "gitea"))
		*out = FORGE_GITEA;
	else
		return err_set(err, ERR_INVALID,
		               "the forge must be github, gitlab or gitea, not "
		               "'%s'",
		               name);
	return 0;
}

static char *path_of(const struct forge_opts *o)
{
	char *esc, *path;

	if (o->kind != FORGE_GITLAB)
		return xasprintf("/repos/%s/pulls", o->repo);
	esc = http_escape(o->repo); /* group/project -> group%2Fproject */
	path = xasprintf("/projects/%s/merge_requests", esc);
	free(esc);
	return path;
}

/* The forge's own words for a refusal, when its answer has them. */
static const char *reason_of(const json_t *reply)
{
	const json_t *m = json_object_get(reply, "message");

	if (json_is_array(m))
		m = json_array_get(m, 0);
	return json_is_string(m) ? json_string_value(m) : "no reason given";
}

static int answer(char **url, long *number, const struct forge_api *api,
                  const struct http_response *res, struct err *err)
{
	json_t *reply = json_loadb(res->body.ptr ? res->body.ptr : "",
	                           res->body.len, 0, NULL);
	const char *web =
	        json_string_value(json_object_get(reply, api->web_url));
	int rc = 0;

	if (res->status == 401 || res->status == 403)
		rc = err_set(err, ERR_AUTH, "%s refused the token (HTTP %ld)",
		             api->name, res->status);
	else if (res->status == 409 || res->status == 422)
		rc = err_set(err, ERR_CONFLICT, "%s: %.200s", api->name,
		             reason_of(reply));
	else if (res->status < 200 || res->status > 299 || !web)
		rc = err_set(err, ERR_REMOTE, "%s answered HTTP %ld: %.200s",
		             api->name, res->status, reason_of(reply));
	if (!rc) {
		*url = xstrdup(web);
		*number = (long)json_integer_value(
		        json_object_get(reply, api->number));
	}
	json_decref(reply);
	return rc;
}

int forge_open_request(char **url, long *number, const struct forge_opts *o,
                       const char *head, const char *base, const char *title,
                       const char *body, struct err *err)
{
	const struct forge_api *api;
	struct http_opts ho = {0};
	struct http_response res = {0};
	struct http *h = NULL;
	char *path = NULL, *auth = NULL, *text = NULL;
	const char *extra[3];
	json_t *req;
	int rc;

	*url = NULL;
	*number = 0;
	if (o->kind == FORGE_NONE || o->kind > FORGE_GITEA)
		return err_set(err, ERR_INVALID, "%s", "no forge configured");
	api = &apis[o->kind];
	ho.base_url = o->url ? o->url : api->default_url;
	if (!ho.base_url || !o->repo || !o->token)
		return err_set(err, ERR_INVALID,
		               "%s needs its API URL, the repository "
		               "(owner/name) and a token",
		               api->name);
	ho.timeout_ms = o->timeout_ms ? o->timeout_ms : 15000;
	ho.name = api->name;
	req = json_pack("{s:s, s:s, s:s, s:s}", api->head, head, api->base,
	                base, "title", title, api->text, body);
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	path = path_of(o);
	auth = xasprintf("%s%s", api->auth, o->token);
	extra[0] = auth;
	extra[1] = "Accept: application/json";
	extra[2] = NULL;
	rc = http_open(&h, &ho, err);
	if (!rc)
		rc = http_request_with(&res, h, "POST", path, extra,
		                       "application/json", text, strlen(text),
		                       err);
	if (!rc)
		rc = answer(url, number, api, &res, err);
	if (!rc)
		log_info("forge", "opened a request url=%s head=%s", *url,
		         head);
	memset(auth, 0, strlen(auth));
	free(auth);
	free(path);
	free(text);
	http_response_release(&res);
	http_free(h);
	return rc;
}
