"""What lets a scheduled crawl run every hour and still catch every new and updated article.

Across runs, the seen-URL store (`seen.py`) remembers what was stored and its validators; a page
is asked for again only when a sitemap or feed lists it as changed, with If-None-Match /
If-Modified-Since. The frontier (queue and dupefilter) belongs to one run: Scrapy's `JOBDIR` keeps
its dupefilter forever, so a persistent JOBDIR used to filter the revalidation of an updated
article (same URL, seen last run) and every child sitemap or section page after the first run.
Two pieces fix that:

- `RevisionFingerprinter`: a revalidation request's fingerprint includes the revision the listing
  gave (its `<lastmod>`), so no dupefilter (JOBDIR's, or the shared Redis one) takes an update
  for the page it already fetched.
- `RunScopedJobDir`: a run that finishes clears JOBDIR's queue and dupefilter, so the next run
  starts a fresh frontier; a run that was stopped keeps them and the next invocation resumes it.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.job import job_dir
from scrapy.utils.request import RequestFingerprinter

if TYPE_CHECKING:
    from typing_extensions import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

logger = logging.getLogger(__name__)

REVISION = "revision"  # request meta: the listed modification time a revalidation asks about
JOB_FRONTIER = ("requests.seen", "requests.queue")  # what Scrapy keeps in JOBDIR for one crawl


def validators(response: Response) -> dict[str, str]:
    """The response's ETag / Last-Modified, for the next run's conditional request."""
    found = {}
    for header, key in ((b"ETag", "etag"), (b"Last-Modified", "last_modified")):
        value = response.headers.get(header)
        if value:
            found[key] = value.decode("latin-1")
    return found


def conditional_headers(record: dict[str, Any] | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from a stored record (empty when nothing was stored)."""
    headers = {}
    if record and record.get("etag"):
        headers["If-None-Match"] = record["etag"]
    if record and record.get("last_modified"):
        headers["If-Modified-Since"] = record["last_modified"]
    return headers


class RevisionFingerprinter:
    """Scrapy's request fingerprint, plus the `revision` meta of a revalidation request."""

    def __init__(self, crawler: Crawler | None = None) -> None:
        self._default = RequestFingerprinter(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def fingerprint(self, request: Request) -> bytes:
        fingerprint = self._default.fingerprint(request)
        revision = request.meta.get(REVISION)
        if not revision:
            return fingerprint
        return hashlib.sha1(fingerprint + b"\n" + str(revision).encode("utf-8")).digest()


class RunScopedJobDir:
    """Extension: JOBDIR resumes a stopped run; a finished run clears its queue and dupefilter."""

    def __init__(self, jobdir: Path) -> None:
        self.jobdir = jobdir

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        jobdir = job_dir(crawler.settings)
        if not jobdir:
            raise NotConfigured  # silently: most runs have no JOBDIR
        extension = cls(Path(jobdir))
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        # Scrapy closes the scheduler (and its files) before it sends spider_closed.
        if reason != "finished":
            logger.info("JOBDIR %s kept (run ended: %s): the next run resumes it", self.jobdir, reason)
            return
        for name in JOB_FRONTIER:
            path = self.jobdir / name
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        logger.info("JOBDIR %s: run finished, queue and dupefilter cleared for the next run", self.jobdir)
