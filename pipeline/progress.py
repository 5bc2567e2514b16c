"""Progress of a source (the files spider): a bar on a terminal, log lines otherwise.

The total is known once the source has sent every item (`all_sent`); until then the bar counts up.

On a terminal, the crawl's log lines are written above the bar (through `tqdm.write`) instead of
breaking it into pieces; the log handlers keep their levels, filters and formats.
"""

from __future__ import annotations

import logging
import sys
import time

logger = logging.getLogger(__name__)

LOG_EVERY_S = 10.0


class _AboveTheBar:
    """A stream for a log handler: each write goes through `tqdm.write`, which redraws the bar below it."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        from tqdm import tqdm

        tqdm.write(text, file=self.stream, end="")

    def flush(self) -> None:
        self.stream.flush()


class Progress:
    """Counts items sent and finished; the total is what was sent once the source says it is done."""

    def __init__(self, unit: str = "item") -> None:
        self.unit = unit
        self.sent = self.done = 0
        self.total: int | None = None
        self.started = self.last_log = time.monotonic()
        self.bar = None
        self._handlers: list[tuple[logging.StreamHandler, object]] = []
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(unit=unit, desc=f"{unit}s", file=sys.stderr)
            for handler in logging.getLogger().handlers:
                if isinstance(handler, logging.StreamHandler) and handler.stream in (sys.stderr, sys.stdout):
                    self._handlers.append((handler, handler.setStream(_AboveTheBar(handler.stream))))

    @property
    def finished(self) -> bool:
        return self.done == self.total

    def all_sent(self) -> None:
        self.total = self.sent
        if self.bar is not None:
            self.bar.total = self.total
            self.bar.refresh()

    def advance(self) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
            return
        now = time.monotonic()
        if now - self.last_log >= LOG_EVERY_S or self.finished:
            self.last_log = now
            rate = self.done / max(now - self.started, 1e-9)
            if self.total is None:
                logger.info("%ss: %d done of %d read so far, %.1f/s", self.unit, self.done, self.sent, rate)
            else:
                eta = (self.total - self.done) / rate if rate else float("inf")
                logger.info("%ss: %d/%d done, %.1f/s, ETA %.0f s", self.unit, self.done, self.total, rate, eta)

    def close(self) -> None:
        for handler, stream in self._handlers:
            handler.setStream(stream)
        self._handlers = []
        if self.bar is not None:
            self.bar.close()
