"""Worker processes for the CPU-bound part of each document: decode, extract, shingle, sign.

The Scrapy reactor stays free for I/O while `WorkerPool` runs documents in a pebble process pool;
a document that runs past the time limit gets its worker killed and replaced and is rejected.
The index and the lake writer stay in the main process (single writer).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import time
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

from pebble import ProcessExpired, ProcessPool

from pipeline.dedup import DedupConfig, DocSignature, compute_signature
from pipeline.errors import Rejected
from pipeline.extract import ExtractConfig, Extracted, SiteTemplates, extract_article

logger = logging.getLogger(__name__)

# Set once per worker process by `_init_worker`; workers are long-lived and serve many documents.
_worker_state: dict = {}


@dataclass(frozen=True)
class DocumentResult:
    extracted: Extracted
    signature: DocSignature
    extract_seconds: float
    sign_seconds: float


def _init_worker(extract_config: ExtractConfig, dedup_config: DedupConfig, templates_path: str | None) -> None:
    _worker_state["extract_config"] = extract_config
    _worker_state["dedup_config"] = dedup_config
    _worker_state["templates_path"] = templates_path
    _warm_up()


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


def _start() -> None:
    """A task that does nothing: scheduling it makes the pool start its workers."""


def process_document(
    raw: bytes, content_kind: str, url: str | None, source: str | None, http_encoding: str | None
) -> DocumentResult:
    """Extract one document and compute its dedup signature (runs inside a worker)."""
    started = time.perf_counter()
    extracted = extract_article(
        raw,
        content_kind,
        url=url,
        source=source,
        http_encoding=http_encoding,
        templates=_templates(),
        config=_worker_state["extract_config"],
    )
    extracted_at = time.perf_counter()
    signature = compute_signature(extracted.text, extracted.language, _worker_state["dedup_config"])
    return DocumentResult(extracted, signature, extracted_at - started, time.perf_counter() - extracted_at)


def default_workers() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


class WorkerPool:
    """A pool of `workers` processes; `await pool.run(...)` returns a `DocumentResult` or raises `Rejected`."""

    def __init__(
        self,
        workers: int,
        timeout: float,
        extract_config: ExtractConfig,
        dedup_config: DedupConfig,
        templates_path: str | None = None,
        max_tasks_per_worker: int = 5000,
    ) -> None:
        self.workers = workers or default_workers()
        self.timeout = timeout
        # Each worker is one core's worth of work. A BLAS library left to its default starts a thread
        # per core in every worker (py3langid scores with numpy.dot), and OpenBLAS threads spin while
        # waiting: measured, they ate half a core per worker. Spawned workers read these at start.
        for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(variable, "1")
        # "spawn": the parent runs the reactor's threads, and forking a threaded process is unsafe.
        self._pool = ProcessPool(
            max_workers=self.workers,
            max_tasks=max_tasks_per_worker,
            initializer=_init_worker,
            initargs=(extract_config, dedup_config, templates_path),
            context=multiprocessing.get_context("spawn"),
        )

    def start(self) -> None:
        """Start the workers now (they take seconds to import and warm up) instead of at the first document."""
        self._pool.schedule(_start)

    async def run(
        self, raw: bytes, content_kind: str, *, url: str | None, source: str | None, http_encoding: str | None
    ) -> DocumentResult:
        future = self._pool.schedule(
            process_document, args=(raw, content_kind, url, source, http_encoding), timeout=self.timeout
        )
        try:
            return await asyncio.wrap_future(future)
        except FutureTimeout:
            raise Rejected("extract", "timeout", f"extraction ran over {self.timeout:g} s; worker replaced") from None
        except ProcessExpired as exc:
            raise Rejected("extract", "worker_crashed", f"worker died (exit code {exc.exitcode})") from None

    def close(self) -> None:
        self._pool.close()
        self._pool.join(timeout=30)
        self._pool.stop()
