"""JSON Lines inputs (`.jsonl`, `.ndjson`, optionally .gz): one article per line, read as a stream.

A line holds a URL and either the page's HTML or its text (field names in `configs/sources.yaml`,
section `jsonl`), optionally a title, a publication date and a language, which win over what
extraction finds. Text goes through the text-dump extractor like a `.txt` file. A line that cannot
be used is a `read` reject naming its line number (`<file>#line=N` when it has no usable URL).
"""

from __future__ import annotations

import gzip
import json
import logging
import zlib
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from pipeline.items import Article, RejectRecord
from pipeline.sources.config import SourceOptions
from pipeline.sources.inputs import Input, is_gzip_name
from pipeline.urls import canonicalize

logger = logging.getLogger(__name__)

Count = Callable[[str, int], None]


class _BadLine(Exception):
    def __init__(self, reason: str, detail: str, url: str | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.url = url


def parse_date(value: Any) -> datetime | None:
    """An ISO 8601 string or epoch seconds as an aware datetime (UTC when no offset is given), else None."""
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            found = datetime.fromisoformat(value.strip())
            return found if found.tzinfo else found.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _skip_rest_of_line(stream) -> None:
    while (chunk := stream.readline(1 << 20)) and not chunk.endswith(b"\n"):
        pass


class JsonlItems:
    """The articles and rejects of one JSONL input, in line order."""

    def __init__(self, source: Input, options: SourceOptions, count: Count) -> None:
        self.source = source
        self.max_bytes = options.max_bytes
        self.fields = options.config.jsonl
        self.count = count

    def __iter__(self) -> Iterator[Article | RejectRecord]:
        with closing(self.source.open()) as raw:
            stream = gzip.GzipFile(fileobj=raw, mode="rb") if is_gzip_name(self.source.name) else raw
            number = 0
            while True:
                try:
                    line = stream.readline(self.max_bytes + 1)
                    too_long = len(line) > self.max_bytes and not line.endswith(b"\n")
                    if too_long:
                        _skip_rest_of_line(stream)
                except (OSError, EOFError, zlib.error) as exc:
                    detail = f"cannot be read ({exc}); the rest of the file is not read"
                    yield self._reject(number + 1, "corrupt_input", detail)
                    break
                if not line:
                    break
                number += 1
                if too_long:
                    yield self._reject(number, "too_large", f"the line is over FILES_MAX_BYTES={self.max_bytes}")
                    continue
                if not line.strip():
                    self.count("files/jsonl/blank_lines", 1)
                    continue
                self.count("files/jsonl/lines", 1)
                try:
                    yield self._article(line, number)
                except _BadLine as exc:
                    yield self._reject(number, exc.reason, str(exc), exc.url)
        self.count("files/jsonl/inputs/done", 1)

    def _reject(self, number: int, reason: str, detail: str, url: str | None = None) -> RejectRecord:
        detail = f"line {number} of {self.source.uri}: {detail}"
        return RejectRecord(url or f"{self.source.uri}#line={number}", "read", reason, detail)

    def _article(self, line: bytes, number: int) -> Article:
        fields = self.fields
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise _BadLine("bad_json", f"not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise _BadLine("bad_json", f"a JSON {type(data).__name__}, not an object")
        url = data.get(fields.url)
        if not isinstance(url, str) or not url.strip():
            raise _BadLine("missing_url", f"no URL in field {fields.url!r}")
        url = canonicalize(url.strip())  # as the web spider and WARC records name the page
        content, kind = self._content(data)
        if content is None:
            detail = f"neither {fields.html!r} nor {fields.text!r} holds a non-empty string"
            raise _BadLine("missing_content", detail, url)
        encoded = content.encode("utf-8", errors="replace")
        if len(encoded) > self.max_bytes:
            raise _BadLine("too_large", f"{kind} is {len(encoded)} bytes, over FILES_MAX_BYTES={self.max_bytes}", url)
        site = self._optional(data, fields.source, str)
        return Article(
            url=url,
            source=site or urlsplit(url).hostname or "jsonl",
            raw=encoded,
            content_kind=kind,
            fetched_at=self.source.modified,
            http_encoding="utf-8",
            title=self._optional(data, fields.title, str),
            language=self._optional(data, fields.language, str),
            published_at=self._date(data),
            extra={"jsonl": f"{self.source.uri}#line={number}"},
        )

    def _content(self, data: dict) -> tuple[str | None, str]:
        for name, kind in ((self.fields.html, "html"), (self.fields.text, "text")):
            value = data.get(name)
            if isinstance(value, str) and value.strip():
                return value, kind
        return None, "html"

    def _optional(self, data: dict, name: str | None, kind: type) -> Any:
        """An optional field's value; a value of the wrong type is counted and left out, not a reason to reject."""
        if name is None or data.get(name) is None:
            return None
        value = data[name]
        if isinstance(value, kind) and (not isinstance(value, str) or value.strip()):
            return value.strip() if isinstance(value, str) else value
        self.count(f"files/jsonl/ignored/{name}", 1)
        return None

    def _date(self, data: dict) -> datetime | None:
        name = self.fields.published_at
        if name is None or data.get(name) is None:
            return None
        found = parse_date(data[name])
        if found is None:
            self.count(f"files/jsonl/ignored/{name}", 1)
        return found
