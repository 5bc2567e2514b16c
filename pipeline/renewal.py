"""Keeping a lease alive from a thread: the crawl's own thread can be busy longer than a lease (closing a run)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Renewal:
    """Call `renew()` every `every` seconds from a thread between `start()` and `stop()` (or in a `with` block).

    A failed renewal is logged and tried again at the next tick: a Redis restart shorter than the lease costs
    nothing.
    """

    def __init__(self, renew: Callable[[], object], every: float, what: str) -> None:
        self.renew = renew
        self.every = every
        self.what = what
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start renewing (once: a second call while running does nothing)."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name=f"renew {self.what}", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()  # a renewal after this returns would bring a released lease back
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.renew()
            except Exception as exc:  # noqa: BLE001 - redis errors: the next tick tries again
                logger.warning("renewing the %s failed: %s", self.what, exc)

    def __enter__(self) -> Renewal:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
