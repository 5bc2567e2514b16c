"""Inputs that are one document each: saved pages (.html/.htm) and text dumps (.txt), optionally .gz.

A local file becomes an `Article` whose `raw` is a `LocalFile`: the extraction worker reads it (see
`pipeline.localfiles`). A file in S3 is read here, within the size limit, and sent as bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

from pipeline.errors import Rejected
from pipeline.items import Article, RejectRecord
from pipeline.localfiles import LocalFile, read_limited, read_stream_limited
from pipeline.sources.inputs import Input, is_gzip_name

SOURCE = "file"  # one site for every local file: the template learner sees them all together


def document_item(source: Input, max_bytes: int) -> Article | RejectRecord:
    if source.path is not None:
        raw: bytes | LocalFile = LocalFile(source.path, max_bytes)
    else:
        gzipped = is_gzip_name(source.name)
        try:
            if not gzipped and source.size > max_bytes:
                raise Rejected("read", "too_large", f"object is {source.size} bytes, over FILES_MAX_BYTES={max_bytes}")
            with closing(source.open()) as stream:
                raw = read_stream_limited(stream, max_bytes, gzipped)
        except Rejected as exc:
            return RejectRecord(source.uri, exc.stage, exc.reason, exc.detail)
    return Article(url=source.uri, source=SOURCE, raw=raw, content_kind=source.kind, fetched_at=source.modified)


def text_dumps(inputs: list[Input], max_bytes: int) -> Iterator[str]:
    """The local text dumps readable as UTF-8, for the template learner to see before extraction starts."""
    for source in inputs:
        if source.kind != "text" or source.path is None:
            continue
        try:
            yield read_limited(Path(source.path), max_bytes).decode("utf-8")
        except (Rejected, UnicodeDecodeError):
            continue  # not readable as UTF-8 here: it is still extracted (and rejected if need be) later
