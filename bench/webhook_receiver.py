#!/usr/bin/env python3
"""A webhook receiver for bench/audit_webhooks.sh: answers every POST with 200 and counts it.
GET /count returns "<count> <first arrival ms> <last arrival ms>". Loopback only.

Usage: webhook_receiver.py PORT
"""
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
state = {"count": 0, "first": 0, "last": 0}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        self.rfile.read(length)
        now = int(time.time() * 1000)
        with lock:
            state["count"] += 1
            state["first"] = state["first"] or now
            state["last"] = now
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def do_GET(self):
        with lock:
            body = f'{state["count"]} {state["first"]} {state["last"]}\n'.encode()
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
