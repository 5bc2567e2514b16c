"""What runs inside a worker process: read (local files), decode, extract, shingle, sign one document.

`pipeline.workerpool.WorkerPool` runs `process_document` in a pebble process pool, so the Scrapy reactor
stays free for I/O; the index and the lake writer stay in the crawl process (single writer).
"""

from __future__ import annotations

import gc
import logging
import os
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from pipeline.dedup import DedupConfig, DocSignature, compute_signature
from pipeline.errors import Rejected
from pipeline.extract import ExtractConfig, Extracted, SiteTemplates, extract_article
from pipeline.localfiles import LocalFile

logger = logging.getLogger(__name__)

# Set once per worker process by `_init_worker`; workers are long-lived and serve many documents.
_worker_state: dict = {}


@dataclass(frozen=True)
class DocumentResult:
    extracted: Extracted
    signature: DocSignature
    read_seconds: float  # reading a `LocalFile` (0 for bytes sent with the task)
    extract_seconds: float
    sign_seconds: float
    wait_seconds: float  # the worker's idle time since its previous document: work the pool did not get
    attempts: int = 1  # 2 when the first worker died on this document and a fresh one did it


@dataclass(frozen=True)
class GivenMetadata:
    """Metadata a source already knows (a JSONL export's title, date, language): it wins over what
    extraction finds, in the row and in the signature alike, so the title and date the dedup rules use
    are the ones the analyst sees."""

    title: str | None = None
    language: str | None = None
    author: str | None = None
    published_at: datetime | None = None

    def over(self, extracted: Extracted) -> Extracted:
        known = {name: value for name, value in vars(self).items() if value is not None}
        return replace(extracted, **known) if known else extracted


# Libraries whose warnings say nothing a user can act on (wordfreq's "You asked for word frequencies in
# language ... Using the nearest match"): in a worker, nothing routes them into the crawl's log, they
# print straight onto the progress display.
QUIET_LOGGERS = ("wordfreq", "trafilatura", "htmldate", "courlan", "justext", "charset_normalizer")


def quiet_libraries() -> None:
    """Only errors from the libraries in `QUIET_LOGGERS` (their warnings are about inputs we reject anyway)."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


def _init_worker(extract_config: ExtractConfig, dedup_config: DedupConfig, templates_path: str | None) -> None:
    # A worker logs nothing below ERROR: every failure it sees comes back as a `Rejected` that the crawl
    # process logs once, and its own stderr would only break the progress display.
    logging.getLogger().setLevel(logging.ERROR)
    quiet_libraries()
    _worker_state["extract_config"] = extract_config
    _worker_state["dedup_config"] = dedup_config
    _worker_state["templates_path"] = templates_path
    _warm_up()
    # Modules, models and tables loaded so far live as long as the worker: keeping them out of the
    # collector's full passes saves time on every document and at exit.
    gc.freeze()


def _templates() -> SiteTemplates | None:
    """The run's site templates, read on first use from the file the run writes before its first document.

    Workers start (and warm up) while the source is still learning templates, so they cannot get
    them as start-up arguments.
    """
    if "templates" not in _worker_state:
        path = _worker_state.get("templates_path")
        if not path or not Path(path).exists():
            return None  # not written yet (warm-up) or no templates for this pool: look again next time
        _worker_state["templates"] = SiteTemplates.from_json(Path(path).read_text(encoding="utf-8"))
    return _worker_state["templates"]


# Language models, stoplists and frequency tables load on first use (~1.5 s); paying that while the
# worker starts keeps it out of the first documents' time limit.
_WARM_UP_PAGE = (
    "<html><head><title>Warm-up</title></head><body><article><h1>Warm-up</h1>"
    + "<p>This paragraph exists only to load the extraction and language models once.</p>" * 5
    + "</article></body></html>"
).encode()


def _warm_up() -> None:
    for kind in ("html", "text"):
        try:
            process_document(_WARM_UP_PAGE, kind, None, None, "utf-8")
        except Rejected:
            pass
    del _worker_state["finished_at"]  # waiting for the first document is not a gap between documents


def _start() -> None:
    """A task that does nothing: scheduling it makes the pool start its workers."""


def process_document(
    raw: bytes | LocalFile,
    content_kind: str,
    url: str | None,
    source: str | None,
    http_encoding: str | None,
    given: GivenMetadata | None = None,
) -> DocumentResult:
    """Read (for a `LocalFile`) and extract one document and compute its dedup signature (runs inside a worker)."""
    started = time.perf_counter()
    waited = started - _worker_state.get("finished_at", started)
    try:
        if isinstance(raw, LocalFile):
            raw = raw.read()
        read_at = time.perf_counter()
        extracted = extract_article(
            raw,
            content_kind,
            url=url,
            source=source,
            http_encoding=http_encoding,
            templates=_templates(),
            config=_worker_state["extract_config"],
        )
        if given is not None:
            extracted = given.over(extracted)
        extracted_at = time.perf_counter()
        signature = compute_signature(
            extracted.text, extracted.language, _worker_state["dedup_config"],
            title=extracted.title, published_at=extracted.published_at,
        )  # fmt: skip
    finally:
        finished = _worker_state["finished_at"] = time.perf_counter()
    return DocumentResult(
        extracted, signature, read_at - started, extracted_at - read_at, finished - extracted_at, waited
    )


def default_workers() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        return os.cpu_count() or 1
