"""A small HTTP proxy in front of an S3 server that injects faults per request: 503, lost answer, delay.

    proxy = FaultProxy(server.endpoint).start()
    proxy.fail("PUT", "/articles/", "503", times=2)   # the next two matching PUTs get 503 SlowDown
    proxy.fail("GET", "_state/", "500", times=8)      # 500 InternalError, as a store that is restarting answers
    proxy.fail("PUT", "part-", "drop")                 # forwarded, but the answer never reaches the client
    proxy.fail("PUT", "partNumber=", "delay", delay=1) # slow parts: time to kill the uploader mid-upload
"""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "te", "trailer"}
SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)
INTERNAL_ERROR = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code>'
    b"<Message>We encountered an internal error, please try again.</Message></Error>"
)
ERRORS = {"503": SLOW_DOWN, "500": INTERNAL_ERROR}


@dataclass
class Rule:
    method: str
    path_part: str
    action: str  # "503", "500", "drop" or "delay"
    times: int
    delay: float = 0.0


class FaultProxy:
    """Forwards every request to `upstream`, applying the first matching rule (each rule fires `times`)."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port)
        self.rules: list[Rule] = []
        self.log: list[tuple[str, str, str]] = []  # (method, path, what happened: status or fault)
        self.arrived: list[tuple[str, str]] = []  # (method, path) as each request comes in, before any fault
        self.times: list[float] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail(self, method: str, path_part: str, action: str, *, times: int = 1, delay: float = 0.0) -> None:
        with self._lock:
            self.rules.append(Rule(method, path_part, action, times, delay))

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.log.clear()
            self.arrived.clear()
            self.times.clear()

    def _take(self, method: str, path: str) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.times > 0 and rule.method == method and rule.path_part in path:
                    rule.times -= 1
                    return rule
        return None

    def _record(self, method: str, path: str, outcome: str) -> None:
        with self._lock:
            self.log.append((method, path, outcome))
            self.times.append(time.monotonic())

    def start(self) -> FaultProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet: the proxy keeps its own log
                pass

            def _body(self) -> bytes:
                if "chunked" in self.headers.get("Transfer-Encoding", ""):
                    raw = b""
                    while True:  # keep the chunked framing: it is forwarded as is
                        size_line = self.rfile.readline()
                        raw += size_line
                        size = int(size_line.split(b";")[0], 16)
                        if size == 0:
                            while (line := self.rfile.readline()) not in (b"\r\n", b"\n", b""):
                                raw += line
                            return raw + b"\r\n"
                        raw += self.rfile.read(size + 2)
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _handle(self) -> None:
                with proxy._lock:
                    proxy.arrived.append((self.command, self.path))
                body = self._body()
                rule = proxy._take(self.command, self.path)
                if rule is not None and rule.action in ERRORS:
                    proxy._record(self.command, self.path, rule.action)
                    self.send_response(int(rule.action))
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(ERRORS[rule.action])))
                    self.end_headers()
                    self.wfile.write(ERRORS[rule.action])
                    return
                if rule is not None and rule.action == "delay":
                    time.sleep(rule.delay)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP - {"transfer-encoding"}}
                upstream = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    answer = upstream.getresponse()
                    payload = answer.read()
                except OSError:  # the server is down: the client sees its connection closed
                    proxy._record(self.command, self.path, "upstream-down")
                    self.close_connection = True
                    return
                finally:
                    upstream.close()
                if rule is not None and rule.action == "drop":
                    # The server did the work; the client never hears back and sees a dead connection.
                    proxy._record(self.command, self.path, f"drop({answer.status})")
                    self.close_connection = True
                    return
                proxy._record(self.command, self.path, str(answer.status))
                self.send_response_only(answer.status, answer.reason)
                for key, value in answer.getheaders():
                    if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                length = answer.getheader("Content-Length") if self.command == "HEAD" else str(len(payload))
                self.send_header("Content-Length", length or "0")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:
                pass  # clients hanging up on a dropped or delayed answer is what these tests do

        self._server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
