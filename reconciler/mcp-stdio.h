/*
 * mcp-stdio.h: serving MCP on a pair of file descriptors (stdin and
 * stdout), one message per line.
 */
#ifndef RECONCILER_MCP_STDIO_H
#define RECONCILER_MCP_STDIO_H

struct mcp;

/*
 * Serves one session (the caller has both scopes) until in reaches its
 * end. Returns 0, or -1 when out could not be written.
 */
int mcp_stdio_serve(struct mcp *m, int in, int out);

#endif
