"""A loopback news site before and after a redesign, for the drift test.

`--layout plain` serves articles as most sites do (`<article>` with a heading, byline, date and
metadata); `--layout wrapped` is the same site after a redesign that moved the article into a JSON
island rendered by a script, with only a standfirst left in the HTML and no metadata: pages still
download fine, but extraction finds a sentence where the article was. Bodies are real article text
(tests/resources/site/texts_en.json); `--first`/`--count` pick which articles an edition serves, so
two runs fetch different URLs of the same source.

    python tests/report/drift_site.py --layout plain --first 0 --count 20
"""

from __future__ import annotations

import argparse
import html
import json
import sys
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TEXTS = Path(__file__).resolve().parents[1] / "resources" / "site" / "texts_en.json"
PUBLISHED = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def article_page(index: int, article: dict, layout: str) -> str:
    title = html.escape(article["title"])
    when = PUBLISHED + timedelta(hours=5 * index)
    paragraphs = [html.escape(p) for p in article["body"]]
    if layout == "plain":
        body = "".join(f"<p>{p}</p>" for p in paragraphs)
        return (
            f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title} | Drift Daily</title>"
            f"<meta property='og:title' content='{title}'><meta name='author' content='Sam Writer'>"
            f"<meta property='article:published_time' content='{when.isoformat()}'></head><body>"
            "<header><a href='/'>Drift Daily</a> <nav><a href='/'>World</a> <a href='/'>Tech</a></nav></header>"
            f"<main><article><h1>{title}</h1><p class='byline'>By Sam Writer</p>"
            f"<time datetime='{when.isoformat()}'>{when:%d %B %Y}</time>{body}</article></main>"
            "<footer>© Drift Daily</footer></body></html>"
        )
    # The redesign: an app shell whose script renders the article from a JSON island; the server-side
    # HTML keeps only a standfirst (and the og:type that social sharing needs). Every page answers 200.
    island = json.dumps({"props": {"article": {"headline": article["title"], "body": article["body"]}}})
    standfirst = html.escape(" ".join(article["body"][0].split()[:40]))
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>"
        "<meta property='og:type' content='article'></head><body>"
        f"<div id='app'><p class='standfirst'>{standfirst}</p><div class='loading'>Loading…</div></div>"
        f"<script id='__NEXT_DATA__' type='application/json'>{island.replace('<', chr(92) + 'u003c')}</script>"
        "</body></html>"
    )


class Handler(BaseHTTPRequestHandler):
    server: DriftSite
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        pages = self.server.pages
        if self.path == "/robots.txt":
            return self.send(b"User-agent: *\nAllow: /\n", "text/plain")
        if self.path == "/feed.xml":
            items = "".join(f"<item><title>story</title><link>{self.server.base}{path}</link></item>" for path in pages)
            rss = f"<?xml version='1.0'?><rss version='2.0'><channel><title>Drift Daily</title>{items}</channel></rss>"
            return self.send(rss.encode(), "application/rss+xml")
        if self.path in pages:
            return self.send(pages[self.path].encode(), "text/html; charset=utf-8")
        return self.send(b"not found", "text/plain", 404)

    def send(self, body: bytes, content_type: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class DriftSite(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, layout: str, first: int, count: int) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        texts = json.loads(TEXTS.read_text(encoding="utf-8"))[first : first + count]
        self.pages = {
            f"/news/{first + i}/story.html": article_page(first + i, article, layout) for i, article in enumerate(texts)
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--layout", choices=("plain", "wrapped"), required=True)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--count", type=int, default=20)
    args = parser.parse_args()
    server = DriftSite(args.layout, args.first, args.count)
    print(server.base, flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
