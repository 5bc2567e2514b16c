"""The `Article` record: the only item passed between stages, from a source to the lake."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pipeline.localfiles import LocalFile


@dataclass
class Article:
    """One fetched page or file, filled in stage by stage.

    Sources set the first block; extraction, dedup and the lake fill the rest.
    `raw` is never written to the lake: the fetched bytes, or a `LocalFile` the extraction worker reads.
    """

    url: str
    source: str
    raw: bytes | LocalFile
    content_kind: str  # "html" or "text": which extractor the raw bytes need
    fetched_at: datetime
    http_encoding: str | None = None  # charset declared by the transport (HTTP header), if any

    # extraction
    title: str | None = None
    text: str | None = None
    language: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    extraction: str | None = None  # "html" or "text"

    # dedup
    doc_id: str | None = None
    content_hash: str | None = None
    near_dup_of: str | None = None
    story_id: str | None = None
    run_id: str | None = None
    already_ingested: bool = False  # same doc_id landed in an earlier run: not written again

    extra: dict = field(default_factory=dict)  # source-specific context (canonical URL, HTTP status, ...)


@dataclass
class RejectRecord:
    """An input a source could not turn into an `Article` (unreadable file, over the size limit, ...)."""

    url: str
    stage: str
    reason: str
    detail: str = ""
