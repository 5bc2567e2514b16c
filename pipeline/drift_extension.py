"""Drift check after each published run: a source whose figures fell past `configs/drift.yaml` limits.

Runs on `engine_stopped`, after the lake pipeline published the run (and before `RunSummary` writes
`STATS_FILE`, being registered first). Each alert is a warning and a stat `drift/<source>/<figure>`;
with the setting `DRIFT_FAIL = True` any alert also fails the run (`newsdedup/failure`, exit 1), so
cron, systemd and Scrapyd alerts fire when a redesign breaks extraction.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured

from pipeline.config import ConfigError
from pipeline.errors import FAILURE_STAT, mark_failed
from pipeline.lake.manifest import manifest_key
from pipeline.lake.store import open_store
from pipeline.options import configured
from pipeline.pipelines import LAKE_URI_STAT, RUN_ID_STAT
from pipeline.report.drift import DriftConfig, check_run

logger = logging.getLogger(__name__)



class DriftCheck:
    def __init__(self, stats, config: DriftConfig, fail: bool) -> None:
        self.stats = stats
        self.config = config
        self.fail = fail
        self.crawled: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        try:
            config = configured(DriftConfig, crawler.settings)
        except ConfigError as exc:
            mark_failed(crawler.stats, f"newsdedup configuration error: {exc}")
            raise
        if not config.enabled:
            raise NotConfigured("drift check switched off in drift.yaml (enabled: false)")
        extension = cls(crawler.stats, config, crawler.settings.getbool("DRIFT_FAIL"))
        crawler.signals.connect(extension.response_received, signal=signals.response_received)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def response_received(self, response, request, spider) -> None:
        # Sources are host names (as the web source names them): a host the run fetched from but
        # landed nothing of is the loudest redesign of all, and leaves no row to see it by.
        if response.status < 400 and (host := urlsplit(response.url).hostname):
            self.crawled.add(host)

    def engine_stopped(self) -> None:
        run_id, lake = self.stats.get_value(RUN_ID_STAT), self.stats.get_value(LAKE_URI_STAT)
        if not run_id or not lake or self.stats.get_value(FAILURE_STAT):
            return  # the run never opened or already failed: its own failure is the news
        try:
            if not open_store(lake).exists(manifest_key(run_id)):
                return  # not published (nothing to publish, or kept in the spool): nothing to compare
            alerts = check_run(lake, run_id, self.config, self.crawled)
        except Exception as exc:  # noqa: BLE001 - a check that cannot run must not hide the run's own result
            logger.error("drift check of run %s failed: %s", run_id, exc)
            self.stats.set_value("drift/error", f"{type(exc).__name__}: {exc}")
            if self.fail:
                mark_failed(self.stats, f"drift check could not run: {exc}")
            return
        self.stats.set_value("drift/alerts", len(alerts))
        for alert in alerts:
            logger.warning("drift: %s %s: %s", alert.source, alert.figure, alert.message)
            self.stats.set_value(alert.stat_key, alert.message)
        if alerts and self.fail:
            sources = sorted({a.source for a in alerts})
            mark_failed(self.stats, f"drift in {len(alerts)} figure(s) of {', '.join(sources)} (DRIFT_FAIL)")
