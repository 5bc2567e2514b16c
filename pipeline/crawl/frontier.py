"""A shared crawl frontier: scrapy-redis's queue and dupefilter, with leases so that no request is lost.

`-s SCHEDULER_BACKEND=redis -s REDIS_URL=redis://...` runs a `news` crawl of one source as any number
of processes on any number of hosts: they share one Redis queue and dupefilter per source (not per
spider name, as scrapy-redis keys them). What scrapy-redis (0.9.1) lacks, added here:

- A popped request is held in Redis until the worker's run is published; a worker killed with SIGKILL
  has its requests pushed back to the queue when its lease expires (`leases.py`). scrapy-redis pops
  and forgets, and its dupefilter then refuses the URL forever.
- Runs: the first worker of a run (or of a run left by dead workers) seeds it from sitemaps, feeds and
  start pages; the others drop their start requests. The last worker to leave a drained run deletes
  the queue and dupefilter, so the next scheduled run starts afresh (scrapy-redis's `SCHEDULER_PERSIST`
  is all or nothing: one process finishing early flushes the queue under the others, or nothing ever
  is flushed and a second run finds every URL "seen").
- A worker does not close while another is still busy and may queue more (scrapy-redis closes a
  process as soon as the queue is momentarily empty).
- Fingerprints come from the crawler's fingerprinter (`incremental.RevisionFingerprinter`: updates
  are not taken for duplicates); stats are counted without the `spider` argument Scrapy 2.19 deprecates.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from pipeline.crawl.health import FAILURE_KEY
from pipeline.crawl.leases import Leases, frontier_prefix

if TYPE_CHECKING:
    from typing_extensions import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Request

logger = logging.getLogger(__name__)

class LeasedQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pop leaves the request leased to this worker."""

    def __init__(self, server: Any, spider: Spider, leases: Leases, serializer: Any = None) -> None:
        super().__init__(server, spider, leases.queue_key.replace("%", "%%"), serializer)
        self.leases = leases

    def pop(self, timeout: int = 0) -> Request | None:
        data = self.leases.pop()
        return self._decode_request(data) if data else None


class FingerprintDupeFilter(RFPDupeFilter):
    """scrapy-redis's Redis set of fingerprints, computed by the crawler's request fingerprinter."""

    def __init__(self, server: Any, key: str, crawler: Crawler) -> None:
        super().__init__(server, key=key, debug=crawler.settings.getbool("DUPEFILTER_DEBUG"))
        self.fingerprinter = crawler.request_fingerprinter

    def request_fingerprint(self, request: Request) -> str:
        return self.fingerprinter.fingerprint(request).hex()


class LeasedScheduler(Scheduler):
    """The scheduler for `SCHEDULER_BACKEND=redis` (set by `apply_web_settings`)."""

    def __init__(self, crawler: Crawler, server: Any, lease_seconds: float, local_limit: int) -> None:
        super().__init__(server, persist=True)  # requests pickled (scrapy-redis's default): Redis must be trusted
        self.crawler = crawler
        self.stats = crawler.stats
        self.lease_seconds = lease_seconds
        self.local_limit = local_limit
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.leases: Leases | None = None
        self.seeding = False
        self._beat: task.LoopingCall | None = None
        self._stop_renewing = threading.Event()
        self._renewer: threading.Thread | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        server = get_redis_from_settings(settings)
        server.ping()  # fail at start-up, not at the first request, when Redis is unreachable
        scheduler = cls(crawler, server, settings.getfloat("FRONTIER_LEASE_SECONDS"),
                        max(1, settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")))
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    def open(self, spider: Spider) -> None:
        self.spider = spider
        source = getattr(getattr(spider, "source", None), "name", None) or spider.name
        self.leases = Leases(self.server, frontier_prefix(source), self.worker, self.lease_seconds)
        self.df = FingerprintDupeFilter(self.server, self.leases.dupefilter_key, self.crawler)
        self.queue = LeasedQueue(self.server, spider, self.leases, self.serializer)
        joined = self.leases.join()
        self.seeding = joined.seed
        if joined.requeued:
            self.stats.inc_value("frontier/requeued", joined.requeued)
        self.stats.set_value("frontier/run_id", joined.run_id)
        self.stats.set_value("frontier/role", "seeder" if joined.seed else "worker")
        logger.info("frontier %s: %s run %s as %s (%d requests queued, %d of them requeued from dead workers)",
                    self.leases.prefix, "opened" if joined.new_run else "joined", joined.run_id,
                    "seeder" if joined.seed else "worker", len(self.queue), joined.requeued)
        self._beat = task.LoopingCall(self._heartbeat)
        self._beat.start(self.lease_seconds / 3, now=False)
        # The lease itself is renewed by a thread: closing a large run (dedup, Parquet, upload) blocks the
        # reactor for longer than a lease, and the others would take this worker for dead.
        self._renewer = threading.Thread(target=self._renew_lease, name="frontier-lease", daemon=True)
        self._renewer.start()

    def _renew_lease(self) -> None:
        while not self._stop_renewing.wait(self.lease_seconds / 3):
            try:
                self.leases.renew()
            except RedisError as exc:
                logger.warning("frontier lease renewal failed: %s", exc)

    def enqueue_request(self, request: Request) -> bool:
        if request.meta.get("is_start_request") and not self.seeding:
            self.stats.inc_value("frontier/seed/skipped")  # another worker seeded this run
            return False
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            self.stats.inc_value("frontier/filtered")
            return False
        self.queue.push(request)
        self.stats.inc_value("frontier/pushed")
        return True

    def next_request(self) -> Request | None:
        # Take no more than this process can download now (Scrapy would fill CONCURRENT_REQUESTS slots
        # with requests that then wait for the site's delay): queued work stays shareable, and a process
        # that dies holds little.
        if len(self.crawler.engine.downloader.active) >= self.local_limit:
            return None
        request = self.queue.pop()
        if request is not None:
            self.stats.inc_value("frontier/popped")
        return request

    def _heartbeat(self) -> None:
        busy = not self.crawler.engine.spider_is_idle()
        try:
            lost = self.leases.heartbeat(busy)
            requeued = self.leases.reap()
        except RedisError as exc:
            # Keep beating: a Redis restart shorter than the lease costs nothing.
            self.stats.inc_value("frontier/heartbeat_errors")
            logger.warning("frontier heartbeat failed: %s", exc)
            return
        if lost:
            # Expired while alive (the process stalled longer than a lease): if another worker reaped it
            # meanwhile, the requests it held were requeued and may be fetched twice.
            self.stats.inc_value("frontier/lease_lost")
            logger.warning("frontier lease of %s had expired; its requests may have been requeued", self.worker)
        if requeued:
            self.stats.inc_value("frontier/requeued", requeued)
            logger.info("frontier: %d requests of dead workers requeued", requeued)

    def spider_idle(self, spider: Spider) -> None:
        """Keep the spider open while the run has work: queued requests, or workers that may queue more."""
        if requeued := self.leases.reap():
            self.stats.inc_value("frontier/requeued", requeued)
        if self.leases.has_work():
            raise DontCloseSpider("the shared frontier still has work")

    def close(self, reason: str) -> None:
        if self._beat is not None and self._beat.running:
            self._beat.stop()
        if self.leases is None:  # open() failed: nothing joined
            return
        self._stop_renewing.set()
        if self._renewer is not None:
            self._renewer.join()  # a renewal after leaving would bring this worker back as a ghost
        # Scrapy closes the scheduler after the item pipelines, which publish the run (or record why not).
        published = not self.stats.get_value(FAILURE_KEY)
        self.stats.set_value("frontier/held", self.leases.held())
        requeued, ended = self.leases.leave(published=published)
        if requeued:
            self.stats.inc_value("frontier/requeued", requeued)
        logger.info("frontier %s: left (%s, %s)%s", self.leases.prefix, reason,
                    "held requests released" if published else f"{requeued} requests requeued",
                    "; run ended" if ended else "")
