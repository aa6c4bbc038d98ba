#!/usr/bin/env python3
"""sockproxy.py LISTEN_SOCK BACKEND_SOCK

A byte-for-byte relay from a unix socket to another (the real Docker
socket), so a test can make "dockerd" go away under a client and come back
without restarting the shared test daemon: killing the relay drops every
connection (the event stream included) and makes new ones fail; starting
it again on the same path is the daemon back. Runs until killed; bounded
by the test's own timeout."""
import os
import socket
import sys
import threading

listen, backend = sys.argv[1:3]


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(conn):
    up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        up.connect(backend)
    except OSError:
        conn.close()
        return
    threading.Thread(target=pump, args=(conn, up), daemon=True).start()
    pump(up, conn)


try:
    os.unlink(listen)
except FileNotFoundError:
    pass
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(listen)
srv.listen(64)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
