"""One input of a run: a page file, a text dump, a WARC or a JSONL file, on this machine or in S3.

An `Input` is the unit a source reads whole: one shard of a backfill is one `Input`, and it can be
handed to any process (`pipeline.sources.items_of`). Its `uri` names it in rejects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from pipeline.items import RejectRecord

if TYPE_CHECKING:
    from pipeline.lake.config import LakeConfig

# Documents: one file is one page (read by the extraction worker). Containers: one file holds many.
DOCUMENT_KINDS = {".txt": "text", ".html": "html", ".htm": "html"}
CONTAINER_KINDS = {".warc": "warc", ".jsonl": "jsonl", ".ndjson": "jsonl"}
KINDS = {**DOCUMENT_KINDS, **CONTAINER_KINDS}
SUPPORTED = ", ".join(sorted(KINDS)) + " (each optionally .gz)"


def input_kind(name: str) -> str | None:
    """`text`, `html`, `warc` or `jsonl` from a file name (a trailing .gz is looked through), else None."""
    suffixes = [s.lower() for s in Path(name).suffixes[-2:]]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return KINDS.get(suffixes[-1]) if suffixes else None


def is_gzip_name(name: str) -> bool:
    return name.lower().endswith(".gz")


@dataclass(frozen=True)
class Input:
    """A file to ingest; `path` is set for a local file, else `uri` is an ``s3://`` object."""

    uri: str
    kind: str
    size: int
    modified: datetime
    path: str | None = None
    s3_config: LakeConfig | None = None  # an s3:// object's client retries and timeouts (None: the shipped ones)

    @property
    def name(self) -> str:
        return self.uri.rsplit("/", 1)[-1]

    def open(self, offset: int = 0) -> BinaryIO:
        """A binary stream of the stored bytes (compressed as stored) from `offset` on, read as it goes."""
        if self.path is not None:
            stream = open(self.path, "rb")  # noqa: SIM115 - the caller closes it
            stream.seek(offset)
            return stream
        from pipeline.sources.s3 import open_object

        return open_object(self.uri, offset, self.s3_config)


@dataclass
class Listing:
    """What was found under an input root: the inputs to read, and the paths that cannot be (as rejects)."""

    inputs: list[Input]
    rejects: list[RejectRecord]
    skipped: dict[str, int]  # counted, not rejected (hidden files, a directory reached twice)


def path_reject(uri: str, reason: str, detail: str) -> RejectRecord:
    return RejectRecord(uri, "read", reason, detail)


def unsupported(uri: str, name: str) -> RejectRecord:
    return path_reject(uri, "unsupported_kind", f"{name!r} is not a kind the file source reads; it reads {SUPPORTED}")
