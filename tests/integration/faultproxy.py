#!/usr/bin/env python3
"""faultproxy.py LISTEN_SOCK BACKEND_SOCK METHOD PATH_REGEX N [MESSAGE]

A loopback stub in front of the real Docker socket, for rare errors: every
request is passed to BACKEND_SOCK, except the N-th request whose method is
METHOD and whose path matches PATH_REGEX, which gets HTTP 500 with a Docker
style {"message": MESSAGE} (default "injected failure") instead. Each connection serves one
request and is closed, which HTTP/1.1 clients handle by reconnecting.
Runs until killed; bounded by the test's own timeout."""
import json
import os
import re
import socket
import sys
import threading

listen, backend, method, pattern, nth = sys.argv[1:6]
message = sys.argv[6] if len(sys.argv) > 6 else "injected failure"
nth = int(nth)
seen = 0
lock = threading.Lock()


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head, body


def serve(conn):
    global seen
    try:
        req = read_request(conn)
        if not req:
            return
        head, body = req
        line = head.split(b"\r\n")[0].decode()
        m, path = line.split(" ")[0], line.split(" ")[1]
        fail = False
        if m == method and re.search(pattern, path):
            with lock:
                seen += 1
                fail = seen == nth
        if fail:
            msg = (json.dumps({"message": message}) + "\n").encode()
            conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: "
                         b"application/json\r\nContent-Length: " +
                         str(len(msg)).encode() + b"\r\nConnection: close\r\n\r\n" + msg)
            return
        lines = [l for l in head.split(b"\r\n") if not l.lower().startswith(b"connection:")]
        out = b"\r\n".join(lines) + b"\r\nConnection: close\r\n\r\n" + body
        b = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        b.connect(backend)
        b.sendall(out)
        while True:
            chunk = b.recv(65536)
            if not chunk:
                break
            conn.sendall(chunk)
        b.close()
    finally:
        conn.close()


if os.path.exists(listen):
    os.unlink(listen)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(listen)
srv.listen(16)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
