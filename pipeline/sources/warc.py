"""WARC inputs (`.warc`, `.warc.gz`, per-record gzip as Common Crawl's CC-NEWS writes it), read with FastWARC.

Every `response` record with a 2xx HTML answer becomes an `Article`: the record's target URI as `url`,
its host as `source` (per-site templates work as for web crawls), `WARC-Date` as `fetched_at`, the
HTTP charset as the encoding hint, the payload (transfer and content encodings undone) as `raw`.
Other records (request, revisit, metadata, warcinfo, non-HTML or non-2xx responses) are counted in
stats (`warc/records/<type>`, `warc/responses/...`), not rejected.

A damaged record is a `read` reject naming its byte offset, and the rest of the file is still read.
Neither FastWARC nor warcio offers that: both stop at a corrupt record (FastWARC raises, warcio too)
and pass over a truncated one without a word, so this module checks every record's length against its
`Content-Length` and, after damage, resumes at the next offset where a record parses (a gzip member
or a `WARC/1.` line), found by `pipeline.sources.resync`.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import datetime
from urllib.parse import urlsplit

from fastwarc.warc import ArchiveIterator, WarcRecord, WarcRecordType

from pipeline.items import Article, RejectRecord
from pipeline.sources.config import SourceOptions
from pipeline.sources.inputs import Input
from pipeline.sources.resync import next_record_start, record_end

logger = logging.getLogger(__name__)

Count = Callable[[str, int], None]


class _Unusable(Exception):
    """A record read whole whose payload cannot become a page: a reject with this reason, the file goes on."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def _http_decoded(payload: bytes, headers, max_bytes: int) -> bytes:
    """The payload with its transfer and content encodings undone (Common Crawl stores it decoded already)."""
    from fastwarc.stream_io import BrotliReader, ChunkedReader, GzipReader

    transfer = (headers.get("Transfer-Encoding") or "").strip().lower()
    content = (headers.get("Content-Encoding") or "").strip().lower()
    if transfer not in ("", "identity", "chunked"):
        raise _Unusable("unsupported_encoding", f"Transfer-Encoding {transfer!r} is not supported")
    decoders = {
        "gzip": GzipReader,
        "x-gzip": GzipReader,
        "deflate": lambda stream: GzipReader(stream, zlib=True),
        "br": BrotliReader,
    }
    if content not in ("", "identity") and content not in decoders:
        raise _Unusable("unsupported_encoding", f"Content-Encoding {content!r} is not supported")
    if transfer != "chunked" and content in ("", "identity"):
        return payload
    stream = io.BytesIO(payload)
    if transfer == "chunked":
        stream = ChunkedReader(stream)
    if content not in ("", "identity"):
        stream = decoders[content](stream)
    try:
        decoded = stream.read(max_bytes + 1)
    except OSError as exc:
        raise _Unusable("undecodable_payload", f"{content or transfer} payload cannot be decoded: {exc}") from exc
    if len(decoded) > max_bytes:
        raise _Unusable("too_large", f"decoded payload is over FILES_MAX_BYTES={max_bytes}")
    return decoded


class WarcItems:
    """The articles and rejects of one WARC input, in file order."""

    def __init__(self, source: Input, options: SourceOptions, count: Count) -> None:
        self.source = source
        self.max_bytes = options.max_bytes
        self.html_types = frozenset(options.config.warc.html_types)
        self.count = count

    def __iter__(self) -> Iterator[Article | RejectRecord]:
        start: int | None = 0
        while start is not None:
            start = yield from self._read_from(start)
        self.count("files/warc/inputs/done", 1)

    def _read_from(self, start: int):
        """Records from `start` on; returns where to go on after damage (None: the end of the file)."""
        previous: int | None = None  # offset of the last record read
        cut_short = False  # the last record read was truncated (and rejected as such)
        with closing(self.source.open(start)) as stream:
            records = iter(ArchiveIterator(stream, parse_http=True))
            while True:
                try:
                    record = next(records)
                except StopIteration:
                    if not cut_short:
                        yield from self._check_tail(start if previous is None else record_end(self.source, previous))
                    return None
                except OSError as exc:  # the bytes after the last good record are no record
                    damaged_at = start if previous is None else record_end(self.source, previous)
                    yield self._damage(damaged_at, exc)
                    return next_record_start(self.source, damaged_at)
                offset = record.stream_pos
                try:
                    item = self._item(record, offset)
                except OSError as exc:  # the record's own bytes are damaged
                    yield self._damage(offset, exc, record)
                    return next_record_start(self.source, offset)
                cut_short = isinstance(item, RejectRecord) and item.reason == "truncated_record"
                if item is not None:
                    yield item
                previous = offset

    def _check_tail(self, end: int) -> Iterator[RejectRecord]:
        """Both parsers stop without a word where a file is cut inside a record's header: bytes left after the
        last whole record are a truncated record (blank lines excepted)."""
        if end >= self.source.size:
            return
        with closing(self.source.open(end)) as stream:
            tail = stream.read(64)
        if tail.strip():
            cut = OSError(f"the file ends inside a record ({self.source.size - end} bytes after the last whole record)")
            yield self._damage(end, cut, reason="truncated_record")

    def _damage(
        self, offset: int, exc: Exception, record: WarcRecord | None = None, reason: str = "corrupt_record"
    ) -> RejectRecord:
        url = _target(record) if record is not None else None
        detail = f"record at byte offset {offset} of {self.source.uri} cannot be read: {exc}"
        logger.warning("%s", detail)
        return RejectRecord(url or f"{self.source.uri}#offset={offset}", "read", reason, detail)

    def _reject(self, record: WarcRecord, offset: int, reason: str, detail: str) -> RejectRecord:
        url = _target(record) or f"{self.source.uri}#offset={offset}"
        return RejectRecord(url, "read", reason, f"record at byte offset {offset} of {self.source.uri}: {detail}")

    def _skip(self, record: WarcRecord, offset: int, what: str | None = None) -> RejectRecord | None:
        """Pass over a record that is not a page (counted as `what`); a truncated one is a reject (the file is damaged)."""
        if what is not None:
            self.count(what, 1)
        expected = record.content_length
        read = record.consume()
        if read < expected:
            return self._reject(record, offset, "truncated_record", f"{read} of {expected} bytes present")
        return None

    def _item(self, record: WarcRecord, offset: int) -> Article | RejectRecord | None:
        kind = record.record_type
        self.count(f"files/warc/records/{kind}", 1)
        if record.headers.get("Content-Length") is None:
            return self._reject(record, offset, "truncated_record", "the record's header ends before its Content-Length")
        if kind != WarcRecordType.response:
            return self._skip(record, offset)  # counted above by type
        if not record.is_http_parsed:
            return self._skip(record, offset, "files/warc/responses/not_http")
        media_type = (record.http_content_type or record.headers.get("WARC-Identified-Payload-Type") or "").lower()
        if media_type.split(";")[0].strip() not in self.html_types:
            return self._skip(record, offset, "files/warc/responses/not_html")
        status = record.http_headers.status_code or 0
        if not 200 <= status < 300:
            return self._skip(record, offset, f"files/warc/responses/http_{status}")
        try:
            url, payload = self._page(record)
        except _Unusable as exc:
            return self._reject(record, offset, exc.reason, str(exc))
        self.count("files/warc/responses/html", 1)
        return Article(
            url=url,
            source=urlsplit(url).hostname or "warc",
            raw=payload,
            content_kind="html",
            fetched_at=self._date(record),
            http_encoding=record.http_charset,
            extra={"warc": f"{self.source.uri}#offset={offset}"},
        )

    def _page(self, record: WarcRecord) -> tuple[str, bytes]:
        """The target URI and decoded payload of an HTML response (the record is read whole either way)."""
        url = _target(record)
        expected = record.content_length
        if not url or expected > self.max_bytes:
            read = record.consume()
            if read < expected:
                raise _Unusable("truncated_record", f"{read} of {expected} payload bytes present")
            if not url:
                raise _Unusable("no_url", "the response has no WARC-Target-URI")
            raise _Unusable("too_large", f"payload is {expected} bytes, over FILES_MAX_BYTES={self.max_bytes}")
        payload = record.reader.read()
        if len(payload) < expected:
            raise _Unusable("truncated_record", f"{len(payload)} of {expected} payload bytes present")
        return url, _http_decoded(payload, record.http_headers, self.max_bytes)

    def _date(self, record: WarcRecord) -> datetime:
        try:
            return record.record_date
        except (ValueError, OSError):  # no or unparsable WARC-Date: when the file was written instead
            return self.source.modified


def _target(record: WarcRecord) -> str | None:
    uri = record.headers.get("WARC-Target-URI")
    return uri.strip().strip("<>") if uri else None
