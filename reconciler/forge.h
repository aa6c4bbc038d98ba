/*
 * forge.h: pull and merge requests on GitHub, GitLab and Gitea, for the
 * branches kedge mcp pushes (--commit-to branch).
 *
 * Owns: each forge's REST call to open a request from a branch onto the
 * tracked branch, and reading its answer. Does not own: the push (repo.h)
 * or when to ask (mcpwrite.c). The token goes in a header only; it never
 * reaches a message.
 */
#ifndef RECONCILER_FORGE_H
#define RECONCILER_FORGE_H

#include "util.h"

struct err;

enum forge_kind { FORGE_NONE, FORGE_GITHUB, FORGE_GITLAB, FORGE_GITEA };

struct forge_opts {
	enum forge_kind kind;
	/* the API's base URL; NULL: https://api.github.com for GitHub,
	 * https://gitlab.com/api/v4 for GitLab; Gitea needs one
	 * (https://gitea.example.com/api/v1) */
	const char *url;
	const char *repo;  /* "owner/name" (GitLab: the project's path) */
	const char *token; /* never printed */
	long timeout_ms;   /* 0: 15 s */
};

/* "github", "gitlab", "gitea" into *out; ERR_INVALID otherwise. */
int forge_kind_parse(enum forge_kind *out, const char *name,
                     struct err *err) MUST_CHECK;

/*
 * Opens a pull (merge) request of head onto base with title and body.
 * *url is its web address (xmalloc'd), *number its number. ERR_AUTH for
 * 401/403, ERR_CONFLICT when one is open already (422/409), ERR_REMOTE
 * for another refusal (its message quoted), the transport's errors.
 */
int forge_open_request(char **url, long *number, const struct forge_opts *o,
                       const char *head, const char *base, const char *title,
                       const char *body, struct err *err) MUST_CHECK;

#endif
