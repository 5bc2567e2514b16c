"""One component owns the run (#13 item 6): `IngestPipeline`, built from_crawler, driven one component at a time.

Before, three item pipelines shared an `IngestRun` through an attribute set on the crawler, the files
spider imported the pipeline module to reach it, and `commands/crawl.py` and `pipelines.py` imported
each other for the failure stat's name.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from scrapy.exceptions import CloseSpider
from scrapy.utils.test import get_crawler

from pipeline.crawl.health import FAILURE_KEY
from pipeline.errors import FAILURE_STAT
from pipeline.pipelines import LAKE_URI_STAT, RUN_ID_STAT, IngestPipeline
from pipeline.signals import run_opened
from spiders.files import FilesSpider
from tests.crawl import REPO


class Receiver:
    def __init__(self) -> None:
        self.runs = []

    def __call__(self, run) -> None:
        self.runs.append(run)


def pipeline_for(tmp_path, lake) -> tuple[IngestPipeline, Receiver]:
    crawler = get_crawler(FilesSpider, {"LAKE_URI": str(lake), "LAKE_SPOOL_DIR": str(tmp_path / "spool"),
                                        "EXTRACT_WORKERS": 1})
    receiver = Receiver()
    crawler.signals.connect(receiver, signal=run_opened)
    return IngestPipeline.from_crawler(crawler), receiver


def test_the_run_opens_with_the_spider_and_reaches_the_sources_through_a_signal(tmp_path):
    pipeline, receiver = pipeline_for(tmp_path, tmp_path / "lake")
    pipeline.open_spider()
    try:
        assert receiver.runs == [pipeline.run]
        stats = pipeline.crawler.stats
        assert stats.get_value(RUN_ID_STAT) == pipeline.run.run_id
        assert stats.get_value(LAKE_URI_STAT) == str((tmp_path / "lake").resolve())
    finally:
        pipeline.close_spider()
    assert (tmp_path / "lake" / "_runs").exists()  # closing published the (empty) run


def test_a_lake_that_cannot_be_reached_stops_the_crawl_before_any_source_starts(tmp_path):
    (tmp_path / "not-a-folder").write_text("", encoding="utf-8")
    pipeline, receiver = pipeline_for(tmp_path, tmp_path / "not-a-folder" / "lake")
    with pytest.raises(CloseSpider):
        pipeline.open_spider()
    pipeline.close_spider()
    assert receiver.runs == []
    assert "not-a-folder" in pipeline.crawler.stats.get_value(FAILURE_STAT)


def test_the_failure_stat_has_one_definition():
    assert FAILURE_STAT == "newsdedup/failure"
    assert FAILURE_KEY is FAILURE_STAT


@pytest.mark.parametrize("module,must_not_load", [
    ("spiders.files", "pipeline.pipelines"),
    ("spiders.news", "pipeline.pipelines"),
    ("pipeline.pipelines", "pipeline.commands.crawl"),
    ("pipeline.commands.crawl", "pipeline.pipelines"),
])
def test_sources_and_the_command_do_not_import_the_pipeline(module, must_not_load):
    check = f"import sys, {module}; sys.exit({must_not_load!r} in sys.modules)"
    assert subprocess.run([sys.executable, "-c", check], cwd=REPO).returncode == 0
