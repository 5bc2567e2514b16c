"""WARC files made in the tests with warcio's writer (the reference implementation), and the seed pages as HTML.

The seed pages are the fixture site's Arabic articles (tests/resources/site/www/ar/...), the five seed
documents rendered as HTML for the crawl tests; here they are served from a WARC instead.
"""

from __future__ import annotations

import io
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

SITE = Path(__file__).resolve().parents[1] / "resources" / "site" / "www"
BASE = "https://daily-fixture.example"


def seed_pages() -> dict[str, bytes]:
    """URL -> HTML of the five seed articles (000 … 004 in order of their khabar-N page)."""
    pages = sorted(SITE.glob("ar/2025/01/*/khabar-*.html"), key=lambda p: int(p.stem.split("-")[1]))
    return {f"{BASE}/{p.relative_to(SITE)}": p.read_text(encoding="utf-8").replace("{{BASE}}", BASE).encode() for p in pages}


def page(title: str, paragraphs: int = 8) -> bytes:
    body = "".join(
        f"<p>Paragraph {i} of the story called {title}: the council met on Tuesday and voted to repair the old bridge "
        f"before the winter, after a long debate about the cost and the traffic it would bring to the centre.</p>"
        for i in range(paragraphs)
    )
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>".encode()


class Warc:
    """Appends records to a WARC file; `gzip=True` writes one gzip member per record, as CC-NEWS does."""

    def __init__(self, path: Path, gzip: bool) -> None:
        self.path = path
        self.file = open(path, "wb")  # noqa: SIM115 - closed by close()
        self.writer = WARCWriter(self.file, gzip=gzip)

    def response(self, url: str, body: bytes, content_type: str = "text/html; charset=utf-8",
                 status: str = "200 OK", extra_headers: list[tuple[str, str]] | None = None) -> int:
        headers = StatusAndHeaders(status, [("Content-Type", content_type), *(extra_headers or [])], protocol="HTTP/1.1")
        return self._write(self.writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body), http_headers=headers))

    def request(self, url: str) -> int:
        data = f"GET {url} HTTP/1.1\r\nHost: example\r\n\r\n".encode()
        return self._write(self.writer.create_warc_record(url, "request", payload=io.BytesIO(data), length=len(data)))

    def revisit(self, url: str) -> int:
        record = self.writer.create_revisit_record(url, digest="sha1:" + "B" * 32, refers_to_uri=url,
                                                   refers_to_date="2024-01-01T00:00:00Z")
        return self._write(record)

    def metadata(self, url: str) -> int:
        data = b"fetchTimeMs: 120\r\n"
        return self._write(self.writer.create_warc_record(url, "metadata", payload=io.BytesIO(data), length=len(data),
                                                          warc_content_type="application/warc-fields"))

    def _write(self, record) -> int:
        """Writes the record; returns its byte offset in the file."""
        offset = self.file.tell()
        self.writer.write_record(record)
        return offset

    def close(self) -> None:
        self.file.close()


def cut_last_record(path: Path, keep: int = 200) -> None:
    """Truncate the file `keep` bytes into its last record (a download or copy that stopped short)."""
    from fastwarc.warc import ArchiveIterator

    with open(path, "rb") as fh:
        last = [record.stream_pos for record in ArchiveIterator(fh)][-1]
    with open(path, "r+b") as fh:
        fh.truncate(last + keep)
