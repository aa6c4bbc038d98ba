#!/usr/bin/env python3
"""forgestub.py: a loopback stand-in for a forge's REST API (GitHub,
GitLab, Gitea) that records each request and answers as the forge does.

Usage: forgestub.py LOG PORTFILE
Each request is appended to LOG as one JSON line {method, path, headers,
body}. POST .../pulls or .../merge_requests answers 201 with html_url /
web_url and a number, unless the Authorization or PRIVATE-TOKEN header
holds "bad", then 401. The bound port is written to PORTFILE.
"""
import http.server
import json
import sys

LOG, PORTFILE = sys.argv[1], sys.argv[2]


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(min(n, 1 << 20)).decode("utf-8", "replace")
        with open(LOG, "a") as f:
            f.write(json.dumps({"method": "POST", "path": self.path,
                                "headers": dict(self.headers),
                                "body": body}) + "\n")
        auth = (self.headers.get("Authorization", "") +
                self.headers.get("PRIVATE-TOKEN", ""))
        if "bad" in auth:
            code, out = 401, {"message": "Bad credentials"}
        elif self.path.endswith("/merge_requests"):
            code, out = 201, {"web_url": "http://forge.test/mr/3", "iid": 3}
        else:
            code, out = 201, {"html_url": "http://forge.test/pull/7",
                              "number": 7}
        data = json.dumps(out).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


srv = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(PORTFILE, "w") as f:
    f.write(str(srv.server_address[1]))
srv.serve_forever()
