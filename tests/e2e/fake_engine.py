#!/usr/bin/env python3
"""fake_engine.py - a stand-in for the Docker/Podman Engine API on a unix socket, for
test_capture_engine.sh.

usage: fake_engine.py SOCKET CONFIG.json LOG

CONFIG maps container names to {"id", "pid", "running", "status", "image", "mode"}; the server
answers GET /containers/{name or id}/json (optionally /vX.Y/ prefixed) with the JSON Docker
gives (Id, Name, Config.Image, State.{Pid,Running,Status} among other fields), 404 with
{"message": "No such container: X"} otherwise. mode picks how the body is framed or broken:
"length" (Content-Length), "chunked", "close" (no length, connection closed),
"chunked-keepalive" (chunked, then the connection is held open as if "Connection: close" were
ignored), "garbage" (not JSON), "500" (server error with a message). Every request's head is appended to LOG.
"""
import json
import os
import re
import socketserver
import sys
import time

sock_path, config_path, log_path = sys.argv[1:4]
with open(config_path) as f:
    containers = json.load(f)


def inspect(c, name):
    # Shaped like Docker's answer, with unrelated fields around the ones the helper reads.
    return {
        "Id": c["id"],
        "Created": "2026-11-24T00:00:00Z",
        "Path": "/bin/sh",
        "Args": ["-c", "echo \"quoted\" \\ and \u00e9"],
        "State": {"Status": c["status"], "Running": c["running"], "Paused": False,
                  "Pid": c["pid"] if c["running"] else 0, "ExitCode": 0,
                  "Health": {"Status": "healthy", "Log": [{"Output": "{not: the state}"}]}},
        "Image": "sha256:" + "ab" * 32,
        "Name": "/" + name,
        "HostConfig": {"NetworkMode": "bridge", "Binds": None},
        "Config": {"Hostname": c["id"][:12], "Env": ["A=1", "B={\"x\":[1,2]}"],
                   "Image": c["image"], "Labels": {"Pid": "not this one"}},
        "NetworkSettings": {"Networks": {"bridge": {"IPAddress": "10.7.0.2"}}},
    }


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            line = self.rfile.readline()
            if not line:
                return
            head += line
        with open(log_path, "ab") as log:
            log.write(head)
        m = re.match(rb"GET (?:/v[0-9.]+)?/containers/([^/ ]+)/json HTTP/1.1\r\n", head)
        name = m.group(1).decode() if m else ""
        found = None
        for n, c in containers.items():
            if name in (n, c["id"]) or (len(name) >= 12 and c["id"].startswith(name)):
                found = (n, c)
        if not found:
            body = json.dumps({"message": "No such container: " + name}).encode()
            self.reply(404, body, "length")
            return
        n, c = found
        mode = c.get("mode", "length")
        if mode == "garbage":
            self.reply(200, b"<html>this is not the engine</html>", "length")
        elif mode == "500":
            self.reply(500, json.dumps({"message": "boom"}).encode(), "length")
        else:
            self.reply(200, json.dumps(inspect(c, n), indent=1).encode(), mode)

    def reply(self, status, body, mode):
        reason = {200: "OK", 404: "Not Found", 500: "Internal Server Error"}[status]
        out = b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nApi-Version: 1.43\r\n" % (
            status, reason.encode())
        if mode in ("chunked", "chunked-keepalive"):
            out += b"Transfer-Encoding: chunked\r\n\r\n"
            for i in range(0, len(body), 100):
                part = body[i:i + 100]
                out += b"%x;ext=1\r\n%s\r\n" % (len(part), part)
            out += b"0\r\n\r\n"
        elif mode == "close":
            out += b"Connection: close\r\n\r\n" + body
        else:
            out += b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        # Several small writes, as a real server's may arrive.
        for i in range(0, len(out), 512):
            self.wfile.write(out[i:i + 512])
            self.wfile.flush()
        if mode == "chunked-keepalive":
            time.sleep(30)


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if os.path.exists(sock_path):
    os.unlink(sock_path)
srv = Server(sock_path, Handler)
os.chmod(sock_path, 0o666)
srv.serve_forever()
