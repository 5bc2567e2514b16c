"""This process's doc_id claims on a shared index: one token, and a thread that keeps them alive.

A claim lasts `ttl` unless renewed, so a process that dies (SIGKILL, host lost) releases its pages to the
next process within `ttl`; a live one renews them every `ttl / 3` from a thread, because the crawl's own
thread can be busy for longer than that (closing a large run). See docs/dedup.md, "the doc_id claim".
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections import Counter

from pipeline.dedup.storage import GRANTED, IndexStorage
from pipeline.renewal import Renewal

logger = logging.getLogger(__name__)


class Claims:
    """Claims of one process on `index`, under a token naming the host and process."""

    def __init__(self, index: IndexStorage, ttl_seconds: float, stats: Counter[str]) -> None:
        if ttl_seconds <= 0:
            raise ValueError(f"a claim must last a positive number of seconds, got {ttl_seconds}")
        self.index = index
        self.ttl_ms = int(ttl_seconds * 1000)
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stats = stats
        self._renewal = Renewal(self._renew, self.ttl_ms / 3000, "dedup claims")

    def claim(self, doc_id: str) -> str:
        """GRANTED, KNOWN or CLAIMED (by another live process); a grant is kept alive until `stop_renewing()`."""
        answer = self.index.claim([doc_id], self.token, self.ttl_ms)[0]
        if answer == GRANTED and self.index.shared:
            self._renewal.start()
        return answer

    def _renew(self) -> None:
        lost = self.index.renew_claims(self.token, self.ttl_ms)
        if lost:
            # The process stalled past the TTL and another one took the pages: both may land them.
            self.stats["dedup/claims_lost"] += lost
            logger.warning("dedup: %d claim(s) of %s had expired and were taken by another process", lost, self.token)

    def stop_renewing(self) -> None:
        """Stop renewing (the claims were committed, or the run is abandoned and they expire with their TTL)."""
        self._renewal.stop()

    def exclusive(self):
        """The index alone for deciding and committing one run (a lock renewed while held, on Redis)."""
        return self.index.exclusive(self.ttl_ms)
