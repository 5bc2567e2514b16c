"""Worker processes for the CPU-bound part of each document: read (local files), decode, extract, shingle, sign.

The Scrapy reactor stays free for I/O while `WorkerPool` runs documents in a pebble process pool;
a document that runs past the time limit gets its worker killed and replaced and is rejected.
The index and the lake writer stay in the main process (single writer).
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

from multiprocessing import forkserver

from pebble import ProcessExpired, ProcessPool

from pipeline.dedup import DedupConfig, DocSignature, compute_signature
from pipeline.errors import Rejected
from pipeline.extract import ExtractConfig, Extracted, SiteTemplates, extract_article
from pipeline.localfiles import LocalFile

logger = logging.getLogger(__name__)

# A document whose worker dies is sent again this many times, each time to a fresh worker: a kill or an
# out-of-memory on a busy host should not cost the document, a document that kills every worker should
# not cost the run much.
RETRIES_AFTER_CRASH = 1

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
    raw: bytes | LocalFile, content_kind: str, url: str | None, source: str | None, http_encoding: str | None
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
        extracted_at = time.perf_counter()
        signature = compute_signature(extracted.text, extracted.language, _worker_state["dedup_config"])
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


def _start_forkserver() -> None:
    """Start the forkserver with SIGINT and SIGTERM ignored: that disposition survives its exec.

    A stop signal sent to the whole process group (a terminal's Ctrl-C, systemd's default KillMode)
    while the forkserver was still importing its preload killed it, and with it every worker the pool
    would start: the crawl then waited forever on documents no worker would take. Once running, the
    forkserver ignores SIGINT itself, and workers install their own handlers (pebble's).
    """
    if threading.current_thread() is not threading.main_thread():
        forkserver.ensure_running()  # signal dispositions can only change in the main thread
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        forkserver.ensure_running()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _parameters(workers: int, timeout: float, extract_config: ExtractConfig, dedup_config: DedupConfig) -> tuple:
    """What makes two pools interchangeable (0 workers means the cores this process may use)."""
    return (workers or default_workers(), timeout, extract_config, dedup_config)


class WorkerPool:
    """A pool of `workers` processes; `await pool.run(...)` returns a `DocumentResult` or raises `Rejected`.

    The workers read the run's site templates from a file the pool owns (`set_templates`), at their
    first document: they start, and warm up, before the source has learnt them.
    """

    def __init__(
        self,
        workers: int,
        timeout: float,
        extract_config: ExtractConfig,
        dedup_config: DedupConfig,
        max_tasks_per_worker: int = 5000,
    ) -> None:
        self.parameters = _parameters(workers, timeout, extract_config, dedup_config)
        self.workers, self.timeout = self.parameters[:2]
        self._workdir = Path(tempfile.mkdtemp(prefix="newsdedup-workers-"))
        # Each worker is one core's worth of work. A BLAS library left to its default starts a thread
        # per core in every worker (py3langid scores with numpy.dot), and OpenBLAS threads spin while
        # waiting: measured, they ate half a core per worker. The forkserver below reads these at its start.
        for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(variable, "1")
        # Workers fork from a forkserver that imported and warmed up everything once (`worker_preload`):
        # a worker, first or replacing one killed at the time limit, is ready in milliseconds instead of
        # the ~1.5 s of CPU each spawned worker spent loading the same models. Forking the crawl process
        # itself is not an option: it runs the reactor's threads.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["pipeline.worker_preload"])
        _start_forkserver()
        self._pool = ProcessPool(
            max_workers=self.workers,
            max_tasks=max_tasks_per_worker,
            initializer=_init_worker,
            initargs=(extract_config, dedup_config, str(self._templates_path)),
            context=context,
        )
        # Starting the pool waits for the forkserver's warm-up: a thread waits, the caller goes on.
        self._start_error: BaseException | None = None
        self._starting = threading.Thread(target=self._start_workers, name="worker-pool-start")
        self._starting.start()

    def _start_workers(self) -> None:
        try:
            # Waiting for a worker to run a task means a pool closed right after (a crawl that fails to
            # start) never pulls the pipe from under a worker still reading its start-up arguments.
            self._pool.schedule(_start).result()
        except BaseException as exc:  # noqa: BLE001 - raised again with every document (`run`)
            self._start_error = exc

    @property
    def _templates_path(self) -> Path:
        return self._workdir / "templates.json"

    def set_templates(self, templates: SiteTemplates) -> None:
        """The templates the workers use from their first document on (call before sending any)."""
        self._templates_path.write_text(templates.to_json(), encoding="utf-8")

    async def run(
        self,
        raw: bytes | LocalFile,
        content_kind: str,
        *,
        url: str | None,
        source: str | None,
        http_encoding: str | None,
    ) -> DocumentResult:
        """Run one document; a worker that dies on it (killed, out of memory) gets it retried once in a fresh one."""
        if self._starting.is_alive():
            await asyncio.get_running_loop().run_in_executor(None, self._starting.join)
        if self._start_error is not None:
            raise RuntimeError(f"the worker pool could not start: {self._start_error!r}")
        attempt = 1
        while True:
            future = self._pool.schedule(
                process_document, args=(raw, content_kind, url, source, http_encoding), timeout=self.timeout
            )
            try:
                result = await asyncio.wrap_future(future)
            except FutureTimeout:
                raise Rejected("extract", "timeout", f"extraction ran over {self.timeout:g} s; worker replaced") from None
            except ProcessExpired as exc:
                if attempt > RETRIES_AFTER_CRASH:
                    raise Rejected(
                        "extract", "worker_crashed", f"worker died (exit code {exc.exitcode}) on {attempt} attempts"
                    ) from None
                logger.warning("worker died on %s (exit code %s); retrying in a fresh worker", url, exc.exitcode)
                attempt += 1
                continue
            return dataclasses.replace(result, attempts=attempt) if attempt > 1 else result

    def close(self) -> None:
        self._starting.join()
        self._pool.close()
        self._pool.join(timeout=30)
        self._pool.stop()
        shutil.rmtree(self._workdir, ignore_errors=True)


# A pool started before the crawler exists (see `start_early`), waiting for the run that needs it.
_early: WorkerPool | None = None


def start_early(workers: int, timeout: float, extract_config: ExtractConfig, dedup_config: DedupConfig) -> None:
    """Start the pool a run will ask for, before Scrapy builds the crawler.

    Scrapy takes ~1 s to load the spiders and build the crawler, and a worker ~2 s to start: started
    here, the workers are ready that much sooner. The run takes this pool (`pool_for`) when it asks
    for the same parameters.
    """
    global _early
    if _early is None:
        _early = WorkerPool(workers, timeout, extract_config, dedup_config)


def pool_for(workers: int, timeout: float, extract_config: ExtractConfig, dedup_config: DedupConfig) -> WorkerPool:
    """The early pool when it was started with these parameters, else a new pool."""
    global _early
    pool, _early = _early, None
    if pool is not None and pool.parameters == _parameters(workers, timeout, extract_config, dedup_config):
        return pool
    if pool is not None:
        pool.close()
    return WorkerPool(workers, timeout, extract_config, dedup_config)


def close_early() -> None:
    """Close an early pool no run took (the crawl failed before it opened, or asked for other parameters)."""
    global _early
    if _early is not None:
        _early.close()
        _early = None
