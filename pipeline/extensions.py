"""Run summary: a short report of what the run did, logged at the end and optionally saved as JSON.

Enabled by default; `STATS_FILE` (a path) also writes every stat of the run there, for schedulers
and benchmarks that read figures instead of logs.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path

from scrapy import signals

logger = logging.getLogger(__name__)

SUMMARY_PREFIXES = ("extract/", "dedup/", "lake/", "rejects/", "files/", "time_us/")


class RunSummary:
    def __init__(self, stats, stats_file: str | None) -> None:
        self.stats = stats
        self.stats_file = Path(stats_file) if stats_file else None

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler.stats, crawler.settings.get("STATS_FILE"))
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_stopped(self) -> None:
        # engine_stopped comes after the pipelines closed, so lake and index figures are final.
        stats = self.stats.get_stats()
        lines = [f"  {key}: {value}" for key, value in sorted(stats.items()) if key.startswith(SUMMARY_PREFIXES)]
        logger.info("run summary:\n%s", "\n".join(lines) or "  (nothing processed)")
        if self.stats_file:
            self.stats_file.parent.mkdir(parents=True, exist_ok=True)
            self.stats_file.write_text(json.dumps(stats, default=_jsonable, indent=1, sort_keys=True), encoding="utf-8")


def _jsonable(value):
    return value.isoformat() if isinstance(value, datetime) else str(value)
