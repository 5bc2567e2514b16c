"""The fixture news site over HTTP on loopback, with the behaviour a crawler meets on real sites.

Serves ROOT/www (default tests/resources/site; `{{BASE}}` replaced by this server's origin), read
at every request so a test may change the site between two crawls, with ETag and Last-Modified
validators and 304 answers, the redirects, flaky and slow pages listed in ROOT/routes.json, and
`*.xml.gz` built on the fly. robots.txt can answer a status, redirect, or drop the connection.
Every request is appended as a JSON line to --log so tests can count what the crawler downloaded.

    python tests/spiders/site_server.py --port 0 --log requests.jsonl [--root DIR]
        [--robots-status 500 | --robots-redirect URL | --robots-drop]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

SITE = Path(__file__).resolve().parent.parent / "resources" / "site"
LAST_MODIFIED = "Wed, 22 Jan 2025 10:00:00 GMT"
TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/xml", ".txt": "text/plain; charset=utf-8",
         ".gz": "application/x-gzip"}


class Handler(BaseHTTPRequestHandler):
    server: SiteServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - silence stderr; we keep our own log
        pass

    def do_GET(self) -> None:  # noqa: N802
        path = unquote(urlsplit(self.path).path)
        status = self.route(path)
        self.server.record({"path": self.path, "status": status, "inm": self.headers.get("If-None-Match"),
                            "ua": self.headers.get("User-Agent"), "host": self.headers.get("Host"),
                            "t": time.time()})

    def route(self, path: str) -> int:
        routes, base = self.server.routes, self.server.base
        if path in routes["redirects"]:
            return self.send(301, b"", headers={"Location": base + routes["redirects"][path]})
        if path in routes["offsite_redirects"]:
            offsite = base.replace("127.0.0.1", "localhost")
            return self.send(302, b"", headers={"Location": offsite + routes["offsite_redirects"][path]})
        if path == "/robots.txt":
            if self.server.robots_drop:
                self.close_connection = True  # no answer at all: the client sees the connection lost
                return 0
            if self.server.robots_redirect:
                return self.send(302, b"", headers={"Location": self.server.robots_redirect})
            if self.server.robots_status != 200:
                return self.send(self.server.robots_status, b"robots unavailable")
        if self.server.robots_redirect and path == urlsplit(self.server.robots_redirect).path:
            path = "/robots.txt"  # an on-site redirect target serves the site's rules
        if path in routes["flaky"] and self.server.first_time(path):
            return self.send(500, b"<h1>Internal error</h1>", "text/html")
        if path in routes["slow"]:
            time.sleep(1.0)
        body = self.server.content(routes["aliases"].get(path, path))
        if body is None:
            return self.send(404, b"<h1>Not found</h1>", "text/html")
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            return self.send(304, b"", headers={"ETag": etag})
        suffix = Path(path).suffix if not path.endswith("/") and Path(path).suffix else ".html"  # /news/story-123
        return self.send(200, body, TYPES.get(suffix, "application/octet-stream"),
                         headers={"ETag": etag, "Last-Modified": LAST_MODIFIED})

    def send(self, status: int, body: bytes, content_type: str | None = None, headers: dict | None = None) -> int:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)
        return status


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, log: Path, root: Path, robots_status: int, robots_redirect: str | None,
                 robots_drop: bool) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        self.root = root
        self.routes = json.loads((root / "routes.json").read_text(encoding="utf-8"))
        self.robots_status = robots_status
        self.robots_redirect = (robots_redirect or "").replace("{{PORT}}", str(self.server_address[1])) or None
        self.robots_drop = robots_drop
        self.log = log.open("a", encoding="utf-8")
        self.lock = threading.Lock()
        self.seen: set[str] = set()

    def first_time(self, path: str) -> bool:
        with self.lock:
            first = path not in self.seen
            self.seen.add(path)
            return first

    def record(self, entry: dict) -> None:
        with self.lock:
            self.log.write(json.dumps(entry) + "\n")
            self.log.flush()

    def content(self, path: str) -> bytes | None:
        gz = path.endswith(".gz")
        relative = (path[:-3] if gz else path).lstrip("/")
        www = (self.root / "www").resolve()
        target = (www / relative).resolve()
        if path.endswith("/"):
            target = target / "index.html"
        if not target.is_relative_to(www) or not target.is_file():
            return None
        body = target.read_bytes().replace(b"{{BASE}}", self.base.encode())
        return gzip.compress(body, mtime=0) if gz else body


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--root", type=Path, default=SITE, help="folder with www/ and routes.json")
    parser.add_argument("--robots-status", type=int, default=200)
    parser.add_argument("--robots-redirect", help="answer /robots.txt with a 302 to this URL ({{PORT}}: ours)")
    parser.add_argument("--robots-drop", action="store_true", help="close the connection on /robots.txt")
    args = parser.parse_args()
    server = SiteServer(args.port, args.log, args.root, args.robots_status, args.robots_redirect, args.robots_drop)
    print(server.base, flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
