"""One WARC response as a page: its HTTP payload decoded, and `WarcRecordFile`, the record an extraction worker reads.

A page of a local WARC crosses to the worker as its file and byte offset, not as its bytes, as a page
file does (`LocalFile`): measured with `bench/warc.py`, pushing a ~180 KB payload through the pool's
pipe left the workers idle ~12 ms a page on a loaded 2-core machine (the pipe is fed 64 KB at a time
by a thread that waits for the crawl process's GIL), against ~1 ms for the worker to read and inflate
the record again itself. A WARC in S3 (or compressed whole, where records have no offsets) sends bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from fastwarc.warc import ArchiveIterator

from pipeline.errors import Rejected
from pipeline.localfiles import LocalFile


def http_payload(payload: bytes, headers, max_bytes: int) -> bytes:
    """The payload with its transfer and content encodings undone (Common Crawl stores it decoded already)."""
    from fastwarc.stream_io import BrotliReader, ChunkedReader, GzipReader

    transfer = (headers.get("Transfer-Encoding") or "").strip().lower()
    content = (headers.get("Content-Encoding") or "").strip().lower()
    if transfer not in ("", "identity", "chunked"):
        raise Rejected("read", "unsupported_encoding", f"Transfer-Encoding {transfer!r} is not supported")
    decoders = {
        "gzip": GzipReader,
        "x-gzip": GzipReader,
        "deflate": lambda stream: GzipReader(stream, zlib=True),
        "br": BrotliReader,
    }
    if content not in ("", "identity") and content not in decoders:
        raise Rejected("read", "unsupported_encoding", f"Content-Encoding {content!r} is not supported")
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
        raise Rejected("read", "undecodable_payload", f"{content or transfer} payload cannot be decoded: {exc}") from exc
    if len(decoded) > max_bytes:
        raise Rejected("read", "too_large", f"decoded payload is over FILES_MAX_BYTES={max_bytes}")
    return decoded


@dataclass(frozen=True)
class WarcRecordFile(LocalFile):
    """The response record at `offset` of a local WARC, checked whole when it was listed; `read()` is its page."""

    offset: int

    def read(self) -> bytes:
        try:
            with open(self.path, "rb") as stream:
                stream.seek(self.offset)
                for record in ArchiveIterator(stream, parse_http=True):
                    if record.stream_pos != self.offset:
                        break
                    return http_payload(record.reader.read(), record.http_headers, self.max_bytes)
        except OSError as exc:
            reason = "permission_denied" if isinstance(exc, PermissionError) else "corrupt_record"
            raise Rejected("read", reason, f"record at byte offset {self.offset} of {self.path}: {exc}") from exc
        raise Rejected("read", "corrupt_record", f"no record at byte offset {self.offset} of {self.path} (file changed?)")
