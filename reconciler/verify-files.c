/*
 * verify-files.c: checks across the files of one desired state (ports that
 * clash between stacks, backup schedules, alert rule files), the second
 * half of verify.h. Kept apart from verify.c, which checks one stack.
 */
#include <jansson.h>
#include <sys/wait.h>

#include "buf.h"
#include "verify.h"
#include "cron.h"
#include "desired.h"
#include "diag.h"
#include "err.h"
#include "log.h"
#include "source.h"
#include "srcmap.h"

static void doc_pos(const struct desired_doc *doc, const char *ptr,
                    unsigned *line, unsigned *col)
{
	struct srcpos pos = {0, 0, 0, 0};

	if (!doc->map || srcmap_get(doc->map, ptr, &pos) < 0)
		memset(&pos, 0, sizeof(pos));
	*line = pos.line;
	*col = pos.col;
}

/* Parses "[ip:]published[-end]:target[-end][/proto]"; 0 when unpublished. */
static int short_port(const char *s, long *first, long *last, char *proto,
                      size_t n)
{
	const char *slash = strchr(s, '/'), *c1, *c2 = NULL;
	char pub[64];
	size_t len;

	snprintf(proto, n, "%s", slash ? slash + 1 : "tcp");
	c1 = strchr(s, ':');
	if (!c1 || (slash && c1 > slash))
		return 0;
	c2 = strrchr(s, ':');
	if (c2 != c1) {
		/* ip:published:target; published may be empty */
		const char *p = c1 + 1;

		len = (size_t)(c2 - p);
		s = p;
	} else {
		len = (size_t)(c1 - s);
	}
	if (!len || len >= sizeof(pub))
		return 0;
	memcpy(pub, s, len);
	pub[len] = '\0';
	*first = strtol(pub, NULL, 10);
	*last = strchr(pub, '-') ? strtol(strchr(pub, '-') + 1, NULL, 10)
	                         : *first;
	if (*last < *first || *last - *first > 65535)
		*last = *first;
	return *first > 0;
}

struct port_use {
	long port;
	char proto[8];
	const char *stack;
	const char *service;
};

static void add_port(struct port_use **uses, size_t *n, size_t *alloc,
                     struct diag *diag, const struct desired_stack *st,
                     const char *svc, long port, const char *proto,
                     const char *ptr)
{
	for (size_t i = 0; i < *n; i++) {
		const struct port_use *u = &(*uses)[i];
		unsigned line, col;

		if (u->port != port || strcmp(u->proto, proto))
			continue;
		doc_pos(&st->compose, ptr, &line, &col);
		diag_add(diag, DIAG_ERROR, st->compose.path, line, col,
		         "published port %ld/%s is already used by service "
		         "'%s_%s'; Swarm publishes a port once per cluster",
		         port, proto, u->stack, u->service);
		return;
	}
	ALLOC_GROW(*uses, *n + 1, *alloc);
	(*uses)[*n].port = port;
	snprintf((*uses)[*n].proto, sizeof((*uses)[*n].proto), "%s", proto);
	(*uses)[*n].stack = st->name;
	(*uses)[*n].service = svc;
	(*n)++;
}

static void check_ports(struct desired *d, struct diag *diag)
{
	struct port_use *uses = NULL;
	size_t n = 0, alloc = 0;

	for (size_t s = 0; s < d->nstacks; s++) {
		const struct desired_stack *st = &d->stacks[s];
		json_t *svcs = json_object_get(st->compose.doc, "services");
		const char *name;
		json_t *svc;

		json_object_foreach (svcs, name, svc) {
			json_t *ports = json_object_get(svc, "ports"), *p;
			size_t i;

			json_array_foreach (ports, i, p) {
				char proto[8] = "tcp", *ptr;
				long first = 0, last = 0;
				json_t *mode = json_object_get(p, "mode");

				if (json_is_string(p)) {
					if (!short_port(json_string_value(p),
					                &first, &last, proto,
					                sizeof(proto)))
						continue;
				} else if (json_is_object(p)) {
					json_t *pr =
					        json_object_get(p, "protocol");

					if (json_is_string(mode) &&
					    !strcmp(json_string_value(mode),
					            "host"))
						continue;
					first = last = (long)json_integer_value(
					        json_object_get(p,
					                        "published"));
					if (json_is_string(pr))
						snprintf(proto, sizeof(proto),
						         "%s",
						         json_string_value(pr));
					if (!first)
						continue;
				}
				ptr = xasprintf("/services/%s/ports/%zu", name,
				                i);
				for (long port = first; port <= last; port++)
					add_port(&uses, &n, &alloc, diag, st,
					         name, port, proto, ptr);
				free(ptr);
			}
		}
	}
	free(uses);
}

/* Does some stack have this service? Accepts "svc", "stack/svc", "stack_svc".
 */
static int service_exists(const struct desired *d, const char *stack,
                          const char *svc)
{
	for (size_t i = 0; i < d->nstacks; i++) {
		const struct desired_stack *st = &d->stacks[i];
		json_t *svcs = json_object_get(st->compose.doc, "services");
		size_t nl = strlen(st->name);
		const char *v = svc;

		if (stack && strcmp(stack, st->name))
			continue;
		if (!stack && !strncmp(svc, st->name, nl) &&
		    (svc[nl] == '/' || svc[nl] == '_') &&
		    json_object_get(svcs, svc + nl + 1))
			return 1;
		if (json_object_get(svcs, v))
			return 1;
	}
	return 0;
}

static void check_cron(struct diag *diag, const struct desired_doc *doc,
                       const char *ptr, const char *expr, const char *what)
{
	struct cron c;
	struct err e;
	unsigned line, col;

	err_clear(&e);
	if (!expr || !cron_parse(&c, expr, &e))
		return;
	doc_pos(doc, ptr, &line, &col);
	diag_add(diag, DIAG_ERROR, doc->path, line, col, "%s '%s': %s", what,
	         expr, e.msg);
}

struct seen {
	char *name;
	const char *path;
	unsigned line;
};

static void check_backup(struct desired *d, const struct desired_doc *doc,
                         size_t i, json_t *b, struct seen **seen, size_t *nseen,
                         struct diag *diag)
{
	const char *name = json_string_value(json_object_get(b, "name"));
	const char *tz = json_string_value(json_object_get(b, "timezone"));
	json_t *target = json_object_get(b, "target");
	const char *svc = json_string_value(json_object_get(target, "service"));
	const char *stack = json_string_value(json_object_get(target, "stack"));
	char *ptr = xasprintf("/backups/%zu", i), *sub;
	unsigned line, col;
	struct err e;

	doc_pos(doc, ptr, &line, &col);
	for (size_t k = 0; name && k < *nseen; k++)
		if (!strcmp((*seen)[k].name, name))
			diag_add(diag, DIAG_ERROR, doc->path, line, col,
			         "backup name '%s' is already used at %s:%u",
			         name, (*seen)[k].path, (*seen)[k].line);
	if (name) {
		*seen = xrealloc(*seen, (*nseen + 1) * sizeof(**seen));
		(*seen)[*nseen].name = xstrdup(name);
		(*seen)[*nseen].path = doc->path;
		(*seen)[(*nseen)++].line = line;
	}
	sub = xasprintf("%s/schedule", ptr);
	check_cron(diag, doc, sub,
	           json_string_value(json_object_get(b, "schedule")),
	           "schedule");
	free(sub);
	sub = xasprintf("%s/verify/restore_test_schedule", ptr);
	check_cron(
	        diag, doc, sub,
	        json_string_value(json_object_get(json_object_get(b, "verify"),
	                                          "restore_test_schedule")),
	        "restore_test_schedule");
	free(sub);
	err_clear(&e);
	if (tz && cron_check_timezone(tz, &e)) {
		sub = xasprintf("%s/timezone", ptr);
		doc_pos(doc, sub, &line, &col);
		diag_add(diag, DIAG_ERROR, doc->path, line, col, "%s", e.msg);
		free(sub);
	}
	if (svc && !service_exists(d, stack, svc)) {
		sub = xasprintf("%s/target/service", ptr);
		doc_pos(doc, sub, &line, &col);
		diag_add(diag, DIAG_ERROR, doc->path, line, col,
		         "backup '%s': target service '%s' is not a service of "
		         "%s%s",
		         name ? name : "?", svc, stack ? "stack " : "any stack",
		         stack ? stack : "");
		free(sub);
	}
	free(ptr);
}

static void check_backups(struct desired *d, struct diag *diag)
{
	struct seen *seen = NULL;
	size_t nseen = 0;

	for (size_t f = 0; f < d->nbackups; f++) {
		const struct desired_doc *doc = &d->backups[f];
		json_t *list = json_object_get(doc->doc, "backups"), *b;
		size_t i;

		json_array_foreach (list, i, b)
			check_backup(d, doc, i, b, &seen, &nseen, diag);
	}
	for (size_t k = 0; k < nseen; k++)
		free(seen[k].name);
	free(seen);
}

static void check_group_names(const struct desired_doc *doc, struct diag *diag)
{
	json_t *groups = json_object_get(doc->doc, "groups"), *g, *h;
	size_t i, j;

	json_array_foreach (groups, i, g) {
		const char *name =
		        json_string_value(json_object_get(g, "name"));

		for (j = 0; name && j < i; j++) {
			h = json_array_get(groups, j);
			if (json_equal(json_object_get(h, "name"),
			               json_object_get(g, "name"))) {
				char *ptr = xasprintf("/groups/%zu/name", i);
				unsigned line, col;

				doc_pos(doc, ptr, &line, &col);
				diag_add(diag, DIAG_ERROR, doc->path, line, col,
				         "rule group '%s' is repeated in the "
				         "same file",
				         name);
				free(ptr);
				break;
			}
		}
	}
}

static const char *promtool_path(void)
{
	const char *env = getenv("KEDGE_PROMTOOL");

	if (env)
		return *env && strcmp(env, "none") ? env : NULL;
	return access("/usr/bin/promtool", X_OK) == 0 ? "/usr/bin/promtool"
	                                              : NULL;
}

/* Turns one line of promtool's output into a problem of the repo file. */
static void promtool_line(const struct desired_doc *doc, const char *tmp,
                          char *line, struct diag *diag)
{
	size_t tl = strlen(tmp);
	unsigned l = 0, c = 0;
	char *msg = line;

	while (*msg == ' ')
		msg++;
	if (!*msg || starts_with(msg, "Checking ") || !strcmp(msg, "FAILED:") ||
	    starts_with(msg, "SUCCESS"))
		return;
	if (!strncmp(msg, tmp, tl) && msg[tl] == ':') {
		msg += tl + 1;
		while (*msg == ' ')
			msg++;
		if (sscanf(msg, "%u:%u:", &l, &c) == 2) {
			msg = strchr(strchr(msg, ':') + 1, ':') + 1;
			while (*msg == ' ')
				msg++;
		}
	}
	diag_add(diag, DIAG_ERROR, doc->path, l, c, "promtool: %s", msg);
}

static int run_promtool(const char *tool, const char *file, struct buf *out)
{
	int pipefd[2], status = 0;
	pid_t pid;

	if (pipe(pipefd))
		return ERR_IO;
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return ERR_IO;
	}
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		close(pipefd[1]);
		alarm(30); /* a hung promtool must not hang kedge */
		execl(tool, tool, "check", "rules", file, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	if (buf_read_fd(out, pipefd[0]) == ERR_IO)
		status = ERR_IO;
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) < 0)
		return ERR_IO;
	return WIFEXITED(status) ? WEXITSTATUS(status) : ERR_IO;
}

static void check_promtool(const struct desired_doc *doc, const char *tool,
                           struct desired *d, struct diag *diag)
{
	char tmp[] = "/tmp/kedge-rules-XXXXXX";
	struct buf data, out;
	struct err e;
	int fd, rc;

	buf_init(&data, 4u << 20);
	buf_init(&out, 1u << 20);
	err_clear(&e);
	fd = mkstemp(tmp);
	if (fd < 0 || source_read(&data, d->src, doc->path, &e) ||
	    write(fd, data.ptr, data.len) != (ssize_t)data.len) {
		log_warn("verify", "cannot run promtool on %s", doc->path);
		goto out;
	}
	close(fd);
	fd = -1;
	rc = run_promtool(tool, tmp, &out);
	if (rc == 127 || rc < 0) {
		log_warn("verify", "cannot run promtool at %s", tool);
	} else if (rc) {
		char *save = NULL, *line;

		for (line = strtok_r(out.ptr, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			promtool_line(doc, tmp, line, diag);
	}
out:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	buf_release(&data);
	buf_release(&out);
}

static void check_alerts(struct desired *d, struct diag *diag)
{
	const char *tool = promtool_path();

	for (size_t i = 0; i < d->nalerts; i++) {
		if (!d->alerts[i].doc)
			continue;
		check_group_names(&d->alerts[i], diag);
		if (tool)
			check_promtool(&d->alerts[i], tool, d, diag);
	}
}

int verify_desired(struct desired *d, struct diag *diag, struct err *err)
{
	(void)err;
	if (!d->has_stacks_dir && !d->nodes.path && !d->nalerts &&
	    !d->nbackups && !d->settings.path)
		diag_add(diag, DIAG_ERROR, NULL, 0, 0,
		         "no desired state found in %s at %s: expected a "
		         "stacks/ folder, nodes.yml, alerts/ or backups/",
		         d->source_name, d->revision);
	verify_settings(d, diag);
	check_ports(d, diag);
	check_backups(d, diag);
	check_alerts(d, diag);
	return 0;
}
