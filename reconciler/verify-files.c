/*
 * verify-files.c: checks across the files of one desired state, the second
 * half of verify.h: verify_desired() runs the port (verify-ports.c) and
 * backup (verify-backups.c) checks, and checks alert rule files here: rule
 * group names, then promtool (promtool.c runs it) with its messages put
 * back on the repository file's lines, then the rule tests (ruletest.c)
 * over the rule files that passed. Kept apart from verify.c, which
 * checks one stack.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

#include "alertmanager.h"
#include "buf.h"
#include "desired.h"
#include "diag.h"
#include "err.h"
#include "promtool.h"
#include "ruletest.h"
#include "source.h"
#include "srcmap.h"
#include "verify-int.h"
#include "verify.h"

void verify_doc_pos(const struct desired_doc *doc, const char *ptr,
                    unsigned *line, unsigned *col)
{
	struct srcpos pos = {0, 0, 0, 0};

	if (!doc->map || srcmap_get(doc->map, ptr, &pos) < 0)
		memset(&pos, 0, sizeof(pos));
	*line = pos.line;
	*col = pos.col;
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

				verify_doc_pos(doc, ptr, &line, &col);
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

/*
 * Turns one line of promtool's output into a problem of the repo file:
 * "<tmp>: <line>:<col>: <message>" gets the position, anything else is
 * reported as it is, on the file.
 */
static void promtool_line(const struct desired_doc *doc, const char *tmp,
                          char *line, struct diag *diag)
{
	size_t tl = strlen(tmp);
	unsigned l = 0, c = 0;
	char *msg = line, *p;

	while (*msg == ' ')
		msg++;
	if (!*msg || starts_with(msg, "Checking ") || !strcmp(msg, "FAILED:") ||
	    starts_with(msg, "SUCCESS"))
		return;
	if (!strncmp(msg, tmp, tl) && msg[tl] == ':') {
		msg += tl + 1;
		while (*msg == ' ')
			msg++;
		/* digits ':' digits ':' exactly, or no position (C4) */
		p = msg;
		if (sscanf(msg, "%u:%u", &l, &c) == 2) {
			p += strspn(p, "0123456789");
			p += *p == ':';
			p += strspn(p, "0123456789");
		}
		if (p != msg && *p == ':') {
			msg = p + 1;
			while (*msg == ' ')
				msg++;
		} else {
			l = c = 0;
		}
	}
	diag_add(diag, DIAG_ERROR, doc->path, l, c, "promtool: %s", msg);
}

/* Which of the n paths a line of promtool's output names, or -1. */
static long line_file(const char *line, char *const *paths, size_t n)
{
	while (*line == ' ' || *line == '\t')
		line++;
	if (starts_with(line, "FAILED: "))
		line += 8;
	for (size_t i = 0; i < n; i++) {
		size_t l = paths[i] ? strlen(paths[i]) : 0;

		if (l && !strncmp(line, paths[i], l) && line[l] == ':')
			return (long)i;
	}
	return -1;
}

/*
 * One promtool run over every rule file that parsed (a copy of each in a
 * temporary folder), its messages put back on the repository's files;
 * failed[i] is set for a file promtool refused.
 */
static void check_promtool(const struct desired *d, const char *tool,
                           unsigned char *failed, struct diag *diag)
{
	const char *tmpdir = getenv("TMPDIR");
	char *dir = xasprintf("%s/kedge-rules-XXXXXX",
	                      tmpdir && *tmpdir ? tmpdir : "/tmp");
	char **paths = xcalloc(d->nalerts + 1, sizeof(*paths));
	const char **argv = xcalloc(d->nalerts + 1, sizeof(*argv));
	size_t n = 0, i, before;
	struct buf out;
	struct err e;
	int status = 0, fd;

	err_clear(&e);
	buf_init(&out, PROMTOOL_OUTPUT_MAX);
	if (!mkdtemp(dir)) {
		err_set(&e, ERR_IO, "cannot create a folder in %s: %s", dir,
		        strerror(errno));
		goto out;
	}
	for (i = 0; i < d->nalerts && !e.code; i++) {
		struct buf data;

		if (!d->alerts[i].doc)
			continue;
		buf_init(&data, 4u << 20);
		paths[i] = xasprintf("%s/%zu.yml", dir, i);
		if (!source_read(&data, d->src, d->alerts[i].path, &e)) {
			fd = open(paths[i],
			          O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			          0600);
			if (fd < 0 ||
			    write_full(fd, data.ptr ? data.ptr : "",
			               data.len) ||
			    close(fd))
				err_set(&e, ERR_IO, "cannot write '%s': %s",
				        paths[i], strerror(errno));
		}
		buf_release(&data);
		argv[n++] = paths[i];
	}
	if (!e.code && n)
		if (promtool_check_files(&status, &out, tool, argv, n,
		                         PROMTOOL_TIMEOUT_MS, &e))
			status = 0; /* e says why */
	if (!e.code && status) {
		char *save = NULL, *line;
		long cur = -1, f;

		for (line = strtok_r(buf_cstr(&out)[0] ? out.ptr : NULL, "\n",
		                     &save);
		     line; line = strtok_r(NULL, "\n", &save)) {
			if (starts_with(line, "Checking "))
				cur = line_file(line + 9, paths, d->nalerts);
			f = line_file(line, paths, d->nalerts);
			if (f < 0)
				f = cur;
			if (f < 0)
				continue;
			before = diag->errors;
			promtool_line(&d->alerts[f], paths[f], line, diag);
			failed[f] |= diag->errors != before;
		}
		for (i = 0, f = 0; i < d->nalerts; i++)
			f |= failed[i];
		if (!f)
			diag_add(diag, DIAG_ERROR, NULL, 0, 0,
			         "promtool failed (exit status %d) and said "
			         "nothing",
			         status);
	}
out:
	/* a configured promtool that cannot check the files is a failed
	 * check, not a pass */
	for (i = 0; e.code && i < d->nalerts; i++)
		if (d->alerts[i].doc) {
			diag_add(diag, DIAG_ERROR, d->alerts[i].path, 0, 0,
			         "cannot check the rules with promtool: %s",
			         e.msg);
			failed[i] = 1;
		}
	for (i = 0; i < d->nalerts; i++) {
		if (paths[i])
			unlink(paths[i]);
		free(paths[i]);
	}
	rmdir(dir);
	free(dir);
	free(paths);
	free(argv);
	buf_release(&out);
}

/* Checks each rule file, then runs the rule tests over the good ones. */
static void check_alerts(const struct desired *d, struct diag *diag)
{
	unsigned char *failed = xcalloc(d->nalerts + 1, 1);
	const char *tool =
	        d->nalerts || d->nalert_tests ? promtool_path() : NULL;

	for (size_t i = 0; i < d->nalerts; i++) {
		size_t before = diag->errors;

		if (!d->alerts[i].doc) {
			failed[i] = 1;
			continue;
		}
		check_group_names(&d->alerts[i], diag);
		failed[i] = diag->errors != before;
	}
	if (tool && d->nalerts)
		check_promtool(d, tool, failed, diag);
	ruletest_verify(d, failed, tool, diag);
	free(failed);
}

int verify_desired(struct desired *d, struct diag *diag, struct err *err)
{
	enum source_type am_type = SOURCE_OTHER;
	struct err e;

	(void)err;
	err_clear(&e);
	if (source_stat(&am_type, d->src, "alertmanager", &e))
		am_type = SOURCE_OTHER;
	if (!d->has_stacks_dir && !d->nodes.path && !d->nalerts &&
	    !d->nbackups && !d->settings.path && am_type != SOURCE_DIR)
		diag_add(diag, DIAG_ERROR, NULL, 0, 0,
		         "no desired state found in %s at %s: expected a "
		         "stacks/ folder, nodes.yml, alerts/, alertmanager/ or "
		         "backups/",
		         d->source_name, d->revision);
	verify_settings(d, diag);
	verify_ports(d, diag);
	verify_backups(d, diag);
	check_alerts(d, diag);
	am_verify(d, diag);
	return 0;
}
