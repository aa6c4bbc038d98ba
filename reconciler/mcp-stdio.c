/*
 * mcp-stdio.c: MCP over stdio: one JSON-RPC message per line on stdin and
 * stdout, as the spec's stdio transport has it.
 *
 * A reader thread splits stdin into lines (each capped at
 * MCP_MAX_MESSAGE: a longer one is skipped up to its newline and answered
 * with an error, never buffered) and feeds them to the session, which the
 * calling thread runs. So a notifications/cancelled reaches a tool while
 * it works, and a tool that asks the person (elicitation) can wait for
 * the answer. Nothing but MCP messages is written to stdout; logs go to
 * stderr.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "mcp-stdio.h"
#include "mcp.h"

struct stdio {
	struct mcp_session *s;
	int in, out;
	struct buf line;
	pthread_mutex_t out_lock;
};

static int send_line(void *ctx, const char *msg, size_t len)
{
	struct stdio *io = ctx;
	int rc;

	pthread_mutex_lock(&io->out_lock);
	rc = write_full(io->out, msg, len);
	if (!rc)
		rc = write_full(io->out, "\n", 1);
	pthread_mutex_unlock(&io->out_lock);
	if (rc)
		log_info("mcp", "cannot write to stdout: %s", strerror(errno));
	return rc ? -1 : 0;
}

static void flush_line(struct stdio *io, int oversized)
{
	size_t n = io->line.len;

	if (oversized) {
		mcp_session_feed_oversized(io->s);
	} else {
		while (n && io->line.ptr[n - 1] == '\r')
			n--;
		if (n)
			mcp_session_feed(io->s, io->line.ptr, n);
	}
	buf_reset(&io->line);
}

static void *reader(void *arg)
{
	struct stdio *io = arg;
	char chunk[65536];
	int skipping = 0;

	for (;;) {
		ssize_t n = read(io->in, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (const char *p = chunk, *end = chunk + n; p < end;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t len = (size_t)((nl ? nl : end) - p);

			if (!skipping && buf_add(&io->line, p, len))
				skipping = 1; /* over the cap */
			if (skipping)
				buf_reset(&io->line);
			if (nl) {
				flush_line(io, skipping);
				skipping = 0;
			}
			p += len + (nl != NULL);
		}
	}
	if (skipping || io->line.len)
		flush_line(io, skipping);
	mcp_session_feed_end(io->s);
	return NULL;
}

int mcp_stdio_serve(struct mcp *m, int in, int out)
{
	struct stdio io = {0};
	pthread_t th;
	int rc;

	io.in = in;
	io.out = out;
	buf_init(&io.line, MCP_MAX_MESSAGE);
	pthread_mutex_init(&io.out_lock, NULL);
	io.s = mcp_session_new(m, "stdio", MCP_SCOPE_READ | MCP_SCOPE_WRITE,
	                       send_line, &io);
	if (pthread_create(&th, NULL, reader, &io))
		BUG("cannot start the stdin reader");
	rc = mcp_session_run(io.s);
	if (rc) /* stdout is gone: stop reading too */
		pthread_cancel(th);
	pthread_join(th, NULL);
	mcp_session_free(io.s);
	buf_release(&io.line);
	pthread_mutex_destroy(&io.out_lock);
	return rc;
}
