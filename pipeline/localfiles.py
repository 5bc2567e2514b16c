"""Bounded reads of one document (a page file or text dump, optionally .gz), and `LocalFile`.

A `LocalFile` travels to the extraction worker in place of the bytes, and the worker reads it: a saved
news page is ~300 KB, and pushing it from the crawl process through the pool's pipe cost ~1 ms of
worker idle time per file (`bench/throughput.py` prints that idle time). Which files are inputs is
decided by `pipeline.sources`.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pipeline.errors import Rejected


def _read_error(exc: Exception) -> Rejected:
    reason = "permission_denied" if isinstance(exc, PermissionError) else "unreadable"
    return Rejected("read", reason, f"{type(exc).__name__}: {exc}")


def read_stream_limited(stream: BinaryIO, max_bytes: int, gzipped: bool) -> bytes:
    """At most `max_bytes` of a stream (decompressed if `gzipped`); raises `Rejected("read", ...)`.

    A small .gz may inflate without limit: the read stops one byte past the limit.
    """
    try:
        if gzipped:
            with gzip.GzipFile(fileobj=stream, mode="rb") as unzipped:
                data = unzipped.read(max_bytes + 1)
        else:
            data = stream.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise _read_error(exc) from exc
    if len(data) > max_bytes:
        what = "decompressed size" if gzipped else "size"
        raise Rejected("read", "too_large", f"{what} is over FILES_MAX_BYTES={max_bytes}")
    return data


def read_limited(path: Path, max_bytes: int) -> bytes:
    """The file's bytes (decompressed if .gz); raises `Rejected("read", "too_large" | "unreadable" | ...)`."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise Rejected("read", "too_large", f"file is {size} bytes, over FILES_MAX_BYTES={max_bytes}")
        stream = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise _read_error(exc) from exc
    with stream:
        return read_stream_limited(stream, max_bytes, path.suffix.lower() == ".gz")


@dataclass(frozen=True)
class LocalFile:
    """A file on this machine, to be read where it is extracted."""

    path: str
    max_bytes: int

    def read(self) -> bytes:
        return read_limited(Path(self.path), self.max_bytes)
