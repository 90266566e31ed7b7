#!/usr/bin/env python3
"""An HTTP(S) receiver for bpfalert's delivery tests (standard library only).

Every request is appended to a JSON-lines log *before* it is answered:

    {"n": 1, "method": "POST", "path": "/hook", "headers": [["Host", "..."], ...],
     "body": "...", "body_b64": "...", "status": 200}

so a client that has seen the response can read the request back at once.

Behaviour:
    --status 500,500,200   statuses to answer, in turn; the last one repeats
    --delay SECONDS        wait before answering each request
    --hang                 never answer (the connection stays open)
    --tls-cert/--tls-key   serve HTTPS with that certificate
    --port N               listen on N (default: an ephemeral port)
    --port-file FILE       write the port there once listening
    --log FILE             the request log (default: stdout)
    --max-seconds N        exit after N seconds whatever happens (default 600)

It can also be steered while running: POST /_control with a JSON object of
any of {"status": "500,200", "delay": 0.5, "hang": false}; such requests are
not logged.  SIGTERM stops it.
"""

import argparse
import base64
import json
import os
import signal
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class State:
    def __init__(self, statuses, delay, hang, log):
        self.lock = threading.Lock()
        self.statuses = statuses
        self.delay = delay
        self.hang = hang
        self.log = log
        self.count = 0
        self.stop = threading.Event()

    def next_status(self):
        # Called with the lock held.
        if len(self.statuses) > 1:
            return self.statuses.pop(0)
        return self.statuses[0]


def parse_statuses(text):
    out = [int(s) for s in text.split(",") if s.strip()]
    if not out or any(s < 100 or s > 599 for s in out):
        raise ValueError("statuses must be HTTP codes such as 500,200")
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive, as real webhooks do

    def log_message(self, fmt, *args):
        pass

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def answer(self, status, body=b"ok\n"):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def control(self, body):
        st = self.server.state
        try:
            req = json.loads(body or b"{}")
            with st.lock:
                if "status" in req:
                    st.statuses = parse_statuses(str(req["status"]))
                if "delay" in req:
                    st.delay = float(req["delay"])
                if "hang" in req:
                    st.hang = bool(req["hang"])
        except (ValueError, TypeError) as e:
            self.answer(400, (str(e) + "\n").encode())
            return
        self.answer(200)

    def handle_any(self):
        body = self.read_body()
        if self.path == "/_control":
            self.control(body)
            return
        st = self.server.state
        with st.lock:
            st.count += 1
            status = st.next_status()
            record = {
                "n": st.count,
                "method": self.command,
                "path": self.path,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body": body.decode("utf-8", errors="replace"),
                "body_b64": base64.b64encode(body).decode("ascii"),
                "status": status,
            }
            st.log.write(json.dumps(record) + "\n")
            st.log.flush()
            delay, hang = st.delay, st.hang
        if hang:
            st.stop.wait()
            return
        if delay > 0:
            time.sleep(delay)
        self.answer(status)

    do_POST = handle_any
    do_PUT = handle_any
    do_GET = handle_any


class Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True

    def server_bind(self):
        # HTTPServer's own looks up the host's name, a DNS round trip.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--status", default="200")
    ap.add_argument("--delay", type=float, default=0.0)
    ap.add_argument("--hang", action="store_true")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--max-seconds", type=float, default=600)
    args = ap.parse_args()

    log = open(args.log, "a", encoding="utf-8") if args.log else sys.stdout
    state = State(parse_statuses(args.status), args.delay, args.hang, log)

    server = Server(("127.0.0.1", args.port), Handler)
    server.state = state
    if args.tls_cert:
        import ssl   # only here: it is slow to import
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)

    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    else:
        print(port, flush=True)

    def stop(*_):
        state.stop.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threading.Timer(args.max_seconds, stop).start()
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
        os._exit(0)


if __name__ == "__main__":
    main()
