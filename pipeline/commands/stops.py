"""SIGINT and SIGTERM for `scrapy crawl`: graceful once, immediate twice, never a traceback, never exit 0 by accident.

Scrapy's own handlers stop the reactor after a graceful stop: a signal that came while the crawl was
still starting (recovering the spool, loading the index) ended the process with the run half-open and
exit status 0, and a second signal exited 0 with nothing published. These handlers, installed as soon
as the command runs, do instead:

- before the crawl runs (the command is still reading its options): exit at once, 128 + signal number;
- first signal while it runs: `Crawler.stop_async()`, as soon as the engine runs: sources stop,
  the documents in flight finish, the run publishes what it did and the spider closes with reason
  "shutdown", which `IngestPipeline` records as the run's failure (exit 1);
- second signal: exit at once, 128 + signal number. Unpublished work stays in the spool; the next run
  publishes it, or ingests its inputs again;
- once the exit status is decided (the run published or failed): ignored. Only the interpreter's
  teardown is left, and Python resets its own handlers to the default (die by the signal) part-way
  through it: a SIGTERM in that window ended a finished, published run with status -15.
"""

from __future__ import annotations

import logging
import os
import signal

from scrapy.utils.defer import deferred_from_coro

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
RETRY_STOP_S = 0.05


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name


class StopSignals:
    def __init__(self) -> None:
        self.crawler = None
        self.received: int | None = None
        self._crawl_over = False

    def install(self) -> None:
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._handle)

    def watch(self, crawler) -> None:
        """From now on a first signal stops `crawler` gracefully (the reactor is about to run it)."""
        self.crawler = crawler

    def crawl_over(self) -> None:
        """The crawl ended (or could not start): nothing is left to stop."""
        self._crawl_over = True

    def status_decided(self) -> None:
        """The exit status is known and nothing is left to stop: stop signals are ignored from now on.

        Python keeps an ignored disposition through its teardown (it resets only its own handlers)."""
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)

    def _handle(self, signum: int, frame) -> None:
        if self.crawler is None:
            self._exit_now(signum, "before the crawl started: stopped")
        if self.received is not None:
            self._exit_now(signum, "again: stopped at once; unpublished work stays in the spool")
        self.received = signum
        from twisted.internet import reactor

        reactor.callFromThread(self._stop_gracefully)  # thread-safe; wakes the loop

    @staticmethod
    def _exit_now(signum: int, what: str) -> None:
        # From the handler itself: the crawl process may be busy publishing and not get back to its loop.
        os.write(2, f"newsdedup: {signal_name(signum)} {what}\n".encode())
        os._exit(128 + signum)

    def _stop_gracefully(self) -> None:
        if self._crawl_over:
            logger.info("received %s after the run ended: nothing left to stop", signal_name(self.received))
            return
        logger.info(
            "received %s: finishing the documents in progress, then publishing; send it again to stop at once",
            signal_name(self.received),
        )
        self._request_stop()

    def _request_stop(self) -> None:
        if self._crawl_over:
            return
        try:
            running = self.crawler.engine.running
        except RuntimeError:  # no engine yet
            running = False
        if running:
            deferred_from_coro(self.crawler.stop_async())
        else:
            # Still starting (recovering the spool, loading the index): a stop now would be lost, and
            # Scrapy's own answer, stopping the reactor, left the run half-open. Stop once it runs.
            from twisted.internet import reactor

            reactor.callLater(RETRY_STOP_S, self._request_stop)
