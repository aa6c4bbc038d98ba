#!/usr/bin/env python3
"""hookrecv.py PORTFILE OUTFILE [STATUS...]

A notification receiver for tests: an HTTP server on 127.0.0.1 (a free
port, written to PORTFILE) that appends the body of every POST it accepts to
OUTFILE, one line each, and answers with the next STATUS of the list (then 200), so
a test can make the first deliveries fail. Runs until killed; bounded by
the test's own timeout."""
import http.server
import sys

portfile, outfile = sys.argv[1:3]
statuses = [int(s) for s in sys.argv[3:]]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        code = statuses.pop(0) if statuses else 200
        if code < 300:
            with open(outfile, "ab") as f:
                f.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(portfile, "w") as f:
    f.write(str(srv.server_address[1]))
srv.serve_forever()
