#!/usr/bin/env python3
"""Counts the S3 requests a tool makes: an HTTP proxy on 127.0.0.1 that forwards every request
to the S3 endpoint unchanged and counts them by method (a ranged GET is a GET). Benchmarks
point a tool at it for a separate, untimed run, so the figure is the tool's and the proxy's
own latency never enters a timing.

  s3-request-counter.py PORT UPSTREAM_PORT COUNTS_FILE

The counts are rewritten to COUNTS_FILE (JSON: {"GET": n, "PUT": n, ..., "GET data": n, "GET list": n,
"GET other": n, "bytes_in": n}) after
every request; truncate it to start a new count. SigV4 signs the Host header: clients must
sign for the host they connect to, so the proxy keeps Host as sent and the server (SeaweedFS)
checks the signature against it.
"""
import http.client
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, upstream, counts_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()


def count(method, path, received):
    with lock:
        try:
            with open(counts_file) as f:
                counts = json.load(f)
        except (OSError, ValueError):
            counts = {}
        counts[method] = counts.get(method, 0) + 1
        # Which GETs read content (a data lane's strata, restic's data packs), which list.
        if method == "GET":
            kind = "list" if "list-type=" in path else "data" if "/data/" in path else "other"
            counts["GET " + kind] = counts.get("GET " + kind, 0) + 1
        counts["bytes_in"] = counts.get("bytes_in", 0) + received
        tmp = counts_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(counts, f)
        os.replace(tmp, counts_file)


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        connection = http.client.HTTPConnection("127.0.0.1", upstream, timeout=600)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
        connection.request(self.command, self.path, body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        self.send_response_only(response.status, response.reason)
        for key, value in response.getheaders():
            if key.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length"):
                self.send_header(key, value)
        # A HEAD answer has no body but tells the object's size.
        length = response.getheader("Content-Length") if self.command == "HEAD" else None
        self.send_header("Content-Length", length or str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        connection.close()
        count(self.command, self.path, len(payload))

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = forward

    def log_message(self, *args):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", port), Proxy).serve_forever()
