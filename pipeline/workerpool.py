"""The extraction worker pool, seen from the crawl process: `WorkerPool` runs `workers.process_document`.

A pebble `ProcessPool` of workers forked from a warmed forkserver. A document whose worker dies goes
again to a fresh worker, once; one that runs past the time limit gets its worker killed and replaced
and is rejected. When pebble gives up on the whole pool (it does when a worker dies with no document
to blame, e.g. an idle worker picked by the OOM killer), the pool is replaced by a fresh one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import forkserver
from pathlib import Path

from pebble import ProcessExpired, ProcessPool

from pipeline.dedup import DedupConfig
from pipeline.errors import Rejected
from pipeline.extract import ExtractConfig, SiteTemplates
from pipeline.localfiles import LocalFile
from pipeline.workers import DocumentResult, GivenMetadata, _init_worker, _start, default_workers, process_document

logger = logging.getLogger(__name__)

# A document whose worker dies (or whose pool breaks) is sent again this many times, to a fresh worker:
# a kill or an out-of-memory on a busy host should not cost the document, a document that kills every
# worker should not cost the run much.
RETRIES_AFTER_CRASH = 1


class _WorkerDied(Exception):
    """The worker running the document died (killed, out of memory, crashed)."""


class _PoolBroken(Exception):
    """Pebble gave up on the pool: it takes no more documents."""


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


def _describe(error: BaseException) -> str:
    cause = error.__cause__ or error.__context__
    return f"{error!r} ({cause!r})" if cause is not None else repr(error)


def _stop(pool: ProcessPool) -> None:
    pool.stop()
    pool.join(timeout=30)


class WorkerPool:
    """A pool of `workers` processes; `await pool.run(...)` returns a `DocumentResult` or raises `Rejected`
    (`internal_error` when the pool itself cannot run documents: the input is not to blame).

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
        self._max_tasks = max_tasks_per_worker
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
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["pipeline.worker_preload"])
        _start_forkserver()
        self._pool = self._new_pool()
        self._pool_served = False  # the current pool ran a document: a pool that breaks later is worth renewing
        # Starting the pool waits for the forkserver's warm-up: a thread waits, the caller goes on.
        self._start_error: BaseException | None = None
        self._starting = threading.Thread(target=self._start_workers, name="worker-pool-start")
        self._starting.start()

    def _new_pool(self) -> ProcessPool:
        extract_config, dedup_config = self.parameters[2:]
        return ProcessPool(
            max_workers=self.workers,
            max_tasks=self._max_tasks,
            initializer=_init_worker,
            initargs=(extract_config, dedup_config, str(self._templates_path)),
            context=self._context,
        )

    def _start_workers(self) -> None:
        # A worker killed while it warms up (the OOM killer, an operator) breaks the pool before it served
        # anything: one fresh pool is tried, as a document whose worker died gets one fresh worker. Workers
        # that cannot start at all fail twice, and every document then says why (`run`).
        for attempt in range(1 + RETRIES_AFTER_CRASH):
            try:
                # Waiting for a worker to run a task means a pool closed right after (a crawl that fails to
                # start) never pulls the pipe from under a worker still reading its start-up arguments.
                self._pool.schedule(_start).result()
                return
            except BaseException as exc:  # noqa: BLE001 - raised again with every document (`run`)
                if attempt == RETRIES_AFTER_CRASH:
                    self._start_error = exc
                    return
                logger.warning("the worker pool failed to start (%s); starting a fresh one", _describe(exc))
                broken, self._pool = self._pool, self._new_pool()
                threading.Thread(target=_stop, args=(broken,), name="worker-pool-stop", daemon=True).start()

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
        given: GivenMetadata | None = None,
    ) -> DocumentResult:
        """Run one document; a worker that dies on it (killed, out of memory) gets it retried once in a fresh one."""
        if self._starting.is_alive():
            await asyncio.get_running_loop().run_in_executor(None, self._starting.join)
        if self._start_error is not None:
            raise Rejected("extract", "internal_error", f"the worker pool could not start: {_describe(self._start_error)}")
        arguments = (raw, content_kind, url, source, http_encoding, given)
        attempt = 1
        while True:
            pool = self._pool
            try:
                result = await self._attempt(pool, arguments)
            except _WorkerDied as exc:
                if attempt > RETRIES_AFTER_CRASH:
                    raise Rejected("extract", "worker_crashed", f"{exc} on {attempt} attempts") from None
                logger.warning("%s on %s; retrying in a fresh worker", exc, url)
            except _PoolBroken as exc:
                if attempt > RETRIES_AFTER_CRASH or not self._renew(pool, exc):
                    raise Rejected("extract", "internal_error", f"the worker pool broke: {exc}") from None
            else:
                if pool is self._pool:
                    self._pool_served = True
                return dataclasses.replace(result, attempts=attempt) if attempt > 1 else result
            attempt += 1

    async def _attempt(self, pool: ProcessPool, arguments: tuple) -> DocumentResult:
        try:
            future = pool.schedule(process_document, args=arguments, timeout=self.timeout)
        except (BrokenProcessPool, RuntimeError) as exc:  # pebble: "Unexpected error within the Pool"
            raise _PoolBroken(_describe(exc)) from None
        try:
            return await asyncio.wrap_future(future)
        except FutureTimeout:
            raise Rejected("extract", "timeout", f"extraction ran over {self.timeout:g} s; worker replaced") from None
        except ProcessExpired as exc:
            raise _WorkerDied(f"worker died (exit code {exc.exitcode})") from None
        except BrokenProcessPool as exc:
            raise _PoolBroken(_describe(exc)) from None

    def _renew(self, broken: ProcessPool, error: _PoolBroken) -> bool:
        """Replace a pool pebble gave up on; False when it never ran a document (renewing would not help)."""
        if self._pool is not broken:
            return True  # another document renewed it already
        if not self._pool_served:
            return False
        logger.warning("the worker pool broke (%s); starting a fresh one", error)
        self._pool = self._new_pool()
        self._pool_served = False
        threading.Thread(target=_stop, args=(broken,), name="worker-pool-stop", daemon=True).start()
        return True

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
