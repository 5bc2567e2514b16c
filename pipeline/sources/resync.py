"""Finding one's feet again in a damaged WARC: where a good record ends, and where the next one starts.

A per-record gzip WARC (Common Crawl's) is a series of gzip members, one record each; a plain WARC is
a series of records each starting with a `WARC/1.x` line. After damage, the next record is the first
candidate (gzip magic, or `WARC/1.` at a line start) past the damaged offset at which FastWARC parses a
record. Scanning reads forward in bounded chunks; each candidate tried is a fresh read from its offset
(for S3, a ranged GET), so a damaged shard costs a few extra reads, never the whole file in memory.
"""

from __future__ import annotations

import logging
import zlib
from contextlib import closing

from fastwarc.warc import ArchiveIterator

from pipeline.sources.inputs import Input

logger = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_MAGIC = b"\nWARC/1."
CHUNK = 1 << 20


def is_gzip(source: Input) -> bool:
    with closing(source.open(0)) as stream:
        return stream.read(2) == GZIP_MAGIC[:2]


def _member_end(stream, offset: int, limit: int | None = None) -> tuple[int, bool]:
    """(where the gzip member read from `stream`, which starts at `offset`, ends; whether it ended) within `limit` bytes."""
    inflate, position, pending = zlib.decompressobj(31), offset, b""
    while not inflate.eof and (limit is None or position - offset < limit):
        if not pending:
            pending = stream.read(CHUNK)
            if not pending:
                break
            position += len(pending)
        inflate.decompress(pending, CHUNK)  # output bounded: it is thrown away
        pending = inflate.unconsumed_tail
    return position - len(inflate.unused_data), inflate.eof


def record_end(source: Input, offset: int) -> int:
    """Where the readable record at `offset` ends: its gzip member's end, or after its block and CRLFs.

    In a WARC compressed whole (one gzip member) records have no offsets of their own: the record's
    start is returned, the closest place known.
    """
    gzipped = is_gzip(source)
    try:
        with closing(source.open(offset)) as stream:
            if gzipped:
                # a member cut short (in its trailer, as its record was read whole) reaches the end of the file
                return _member_end(stream, offset)[0]
            head = stream.read(CHUNK)
        header_end = head.index(b"\r\n\r\n")
        lines = head[:header_end].split(b"\r\n")
        length = next(int(line.split(b":", 1)[1]) for line in lines if line.lower().startswith(b"content-length:"))
    except (zlib.error, ValueError, StopIteration):
        return offset
    return offset + header_end + 4 + length + 4


def records_addressable(source: Input, probe: int = 4 * CHUNK) -> bool:
    """Whether every record starts at an offset a reader can seek to: a plain WARC, or one gzip member per record.

    A WARC compressed whole is one member: its first member does not end within `probe` bytes, or ends
    with the file.
    """
    if not is_gzip(source):
        return True
    try:
        with closing(source.open(0)) as stream:
            end, ended = _member_end(stream, 0, probe)
    except zlib.error:
        return False
    return ended and end < source.size


def _record_at(source: Input, offset: int) -> int | None:
    """The offset of the first record FastWARC reads from `offset` on, if any."""
    try:
        with closing(source.open(offset)) as stream:
            for record in ArchiveIterator(stream, parse_http=False):
                if record.headers.get("Content-Length") is not None:
                    return record.stream_pos
                return None
    except OSError:
        return None
    return None


def next_record_start(source: Input, damaged_at: int) -> int | None:
    """The first offset after `damaged_at` where a record parses, or None when the rest of the file has none."""
    magic = GZIP_MAGIC if is_gzip(source) else WARC_MAGIC
    skip = 1 if magic == WARC_MAGIC else 0  # the record starts after the newline
    with closing(source.open(damaged_at + 1)) as stream:
        base, carry = damaged_at + 1, b""
        while chunk := stream.read(CHUNK):
            window = carry + chunk
            found = window.find(magic)
            while found != -1:
                start = _record_at(source, base + found + skip)
                if start is not None:
                    logger.info("%s: reading goes on at byte offset %d", source.uri, start)
                    return start
                found = window.find(magic, found + 1)
            keep = len(magic) - 1
            base, carry = base + len(window) - keep, window[-keep:]
    logger.warning("%s: no readable record after byte offset %d", source.uri, damaged_at)
    return None
