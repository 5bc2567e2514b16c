"""WARC inputs (`.warc`, `.warc.gz`, per-record gzip as Common Crawl's CC-NEWS writes it), read with FastWARC.

Every `response` record with a 2xx HTML answer becomes an `Article`: the record's target URI as `url`,
its host as `source` (per-site templates work as for web crawls), `WARC-Date` as `fetched_at`, the
HTTP charset as the encoding hint, the payload (transfer and content encodings undone) as `raw`.
Other records (request, revisit, metadata, warcinfo, non-HTML or non-2xx responses) are counted in
stats (`files/warc/records/<type>`, `files/warc/responses/...`), not rejected.

A damaged record is a `read` reject naming its byte offset, and the rest of the file is still read.
Neither FastWARC nor warcio offers that: both stop at a corrupt record (FastWARC raises, warcio too)
and pass over a truncated one without a word, so this module checks every record's length against its
`Content-Length` and, after damage, resumes at the next offset where a record parses (a gzip member
or a `WARC/1.` line), found by `pipeline.sources.resync`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import datetime
from urllib.parse import urlsplit

from fastwarc.warc import ArchiveIterator, WarcRecord, WarcRecordType

from pipeline.errors import Rejected
from pipeline.items import Article, RejectRecord
from pipeline.sources.config import SourceOptions
from pipeline.sources.inputs import Input
from pipeline.sources.resync import next_record_start, record_end, records_addressable
from pipeline.sources.warcrecord import WarcRecordFile, http_payload
from pipeline.urls import canonicalize

logger = logging.getLogger(__name__)

Count = Callable[[str, int], None]


class WarcItems:
    """The articles and rejects of one WARC input, in file order."""

    def __init__(self, source: Input, options: SourceOptions, count: Count) -> None:
        self.source = source
        self.max_bytes = options.max_bytes
        self.html_types = frozenset(options.config.warc.html_types)
        self.count = count

    def __iter__(self) -> Iterator[Article | RejectRecord]:
        # a local WARC's pages are read again by the workers, from their offsets (see `warcrecord`)
        self.addressable = self.source.path is not None and records_addressable(self.source)
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
        if not (record.headers.get("Content-Length") or "").strip().isdigit():  # cut inside the WARC header
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
        url = _target(record)
        try:
            raw = self._page(record, offset, url)
        except Rejected as exc:
            return self._reject(record, offset, exc.reason, exc.detail)
        self.count("files/warc/responses/html", 1)
        return Article(
            url=url,
            source=urlsplit(url).hostname or "warc",
            raw=raw,
            content_kind="html",
            fetched_at=self._date(record),
            http_encoding=record.http_charset,
            extra={"warc": f"{self.source.uri}#offset={offset}"},
        )

    def _page(self, record: WarcRecord, offset: int, url: str | None) -> bytes | WarcRecordFile:
        """An HTML response's decoded payload, or where a worker reads it; raises `Rejected`. The record is read whole."""
        expected = record.content_length
        if self.addressable or not url or expected > self.max_bytes:
            read = record.consume()
            if read < expected:
                raise Rejected("read", "truncated_record", f"{read} of {expected} payload bytes present")
            if not url:
                raise Rejected("read", "no_url", "the response has no WARC-Target-URI")
            if expected > self.max_bytes:
                raise Rejected("read", "too_large", f"payload is {expected} bytes, over FILES_MAX_BYTES={self.max_bytes}")
            return WarcRecordFile(self.source.path, self.max_bytes, offset)
        payload = record.reader.read()
        if len(payload) < expected:
            raise Rejected("read", "truncated_record", f"{len(payload)} of {expected} payload bytes present")
        return http_payload(payload, record.http_headers, self.max_bytes)

    def _date(self, record: WarcRecord) -> datetime:
        try:
            return record.record_date
        except (ValueError, OSError):  # no or unparsable WARC-Date: when the file was written instead
            return self.source.modified


def _target(record: WarcRecord) -> str | None:
    """The record's page as the web spider would name it (tracking parameters and fragment dropped)."""
    uri = record.headers.get("WARC-Target-URI")
    uri = uri.strip().strip("<>") if uri else None
    return canonicalize(uri) if uri else None
