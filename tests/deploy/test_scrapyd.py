"""Scrapyd as docs/scheduling.md sets it up: newsdedup installed in Scrapyd's venv, `scrapyd-deploy` from a
checkout, `files` and `news` jobs through schedule.json, the lake read back, and a failed run as Scrapyd shows it.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.deploy.support import DEV_BIN, GOLD, REPO, SAME_STORY_SEEDS, read_dataset, run, seed_links
from tests.deploy.scrapyd_server import Scrapyd
from tests.servers import free_port

SITE = REPO / "tests" / "resources" / "site"
SITE_SERVER = REPO / "tests" / "spiders" / "site_server.py"
VERSION = version("newsdedup")
logger = logging.getLogger(__name__)
# Loopback needs no politeness delays, and the address guard must let 127.0.0.1 through.
LOOPBACK = {"ALLOW_PRIVATE_ADDRESSES": "true", "AUTOTHROTTLE_ENABLED": "false", "DOWNLOAD_DELAY": "0"}


@pytest.fixture(scope="module")
def scrapyd(installed, tmp_path_factory):
    """Scrapyd installed next to newsdedup (`pip install 'scrapyd>=1.6'`), started in its own folder."""
    run([installed.bin / "pip", "install", "scrapyd>=1.6"], cwd=installed.root, env=installed.env)
    server = Scrapyd(tmp_path_factory.mktemp("scrapyd"), installed.bin, installed.env).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def deployed(scrapyd, checkout) -> Scrapyd:
    """`scrapyd-deploy test -v VERSION` from the checkout, with a `[deploy:test]` target for this server."""
    with (checkout / "scrapy.cfg").open("a", encoding="utf-8") as cfg:
        cfg.write(f"\n[deploy:test]\nurl = {scrapyd.url}\nproject = newsdedup\n")
    started = time.monotonic()
    done = run([DEV_BIN / "scrapyd-deploy", "test", "-v", VERSION], cwd=checkout)
    logger.info("scrapyd-deploy (egg built and uploaded) in %.1f s", time.monotonic() - started)
    # scrapyd-deploy exits 0 whatever Scrapyd answers: the answer is the JSON it prints.
    answer = json.loads(done.stdout[done.stdout.index("{"):])
    assert answer["status"] == "ok", answer
    return scrapyd


def test_deploy_registers_the_version_and_both_spiders(deployed):
    # Scrapyd stores versions as file names: "0.1.0" is listed as "0_1_0".
    assert deployed.get("listversions.json", project="newsdedup")["versions"] == [VERSION.replace(".", "_")]
    assert {"files", "news"} <= set(deployed.get("listspiders.json", project="newsdedup")["spiders"])


def test_files_job_lands_the_seeds_in_the_lake(deployed, seed_inputs, tmp_path):
    lake, spool = tmp_path / "lake", tmp_path / "spool"
    job = deployed.schedule("files", {"path": str(seed_inputs)},
                            {"LAKE_URI": str(lake), "LAKE_SPOOL_DIR": str(spool), "EXTRACT_WORKERS": "1"})
    logger.info("files job over the 5 seeds: %.1f s", job_seconds(deployed.wait_finished(job)))
    assert [line for line in deployed.process_lines(job) if "Process finished:" in line]
    assert sorted(Path(row["url"]).name for row in read_dataset(lake, "articles")) == sorted(GOLD["documents"])
    assert seed_links(lake) == [("same_story", SAME_STORY_SEEDS)]
    defaults = {"lake", ".newsdedup-spool"} & {p.name for p in deployed.home.iterdir()}
    assert not defaults, "the job used the relative defaults, in Scrapyd's folder"


def job_seconds(entry: dict) -> float:
    """How long Scrapyd says a finished job ran (listjobs.json start_time to end_time)."""
    return (datetime.fromisoformat(entry["end_time"]) - datetime.fromisoformat(entry["start_time"])).total_seconds()


@pytest.fixture
def site(tmp_path):
    """The fixture news site (tests/spiders/site_server.py) on a free loopback port."""
    command = [sys.executable, str(SITE_SERVER), "--port", "0", "--log", str(tmp_path / "requests.jsonl")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    base = process.stdout.readline().strip()
    assert base.startswith("http://127.0.0.1:"), f"site server did not start: {base!r}"
    yield base
    process.terminate()
    process.wait(timeout=10)
    process.stdout.close()


def test_news_job_lands_the_sites_articles(deployed, site, tmp_path):
    source = tmp_path / "daily-fixture.yaml"  # a source file on the Scrapyd host, given by absolute path
    source.write_text((SITE / "source.yaml").read_text(encoding="utf-8").replace("{{BASE}}", site), encoding="utf-8")
    lake = tmp_path / "lake"
    job = deployed.schedule("news", {"source": str(source)},
                            {**LOOPBACK, "LAKE_URI": str(lake), "LAKE_SPOOL_DIR": str(tmp_path / "spool"),
                             "EXTRACT_WORKERS": "1"})
    logger.info("news job over the fixture site: %.1f s", job_seconds(deployed.wait_finished(job)))
    assert [line for line in deployed.process_lines(job) if "Process finished:" in line]
    labels = json.loads((SITE / "labels.json").read_text(encoding="utf-8"))
    articles = read_dataset(lake, "articles")
    assert articles and all(labels.get(row["url"].removeprefix(site)) == "article" for row in articles)
    by_title = {row["title"]: row["doc_id"] for row in articles}
    pair = {by_title[GOLD["documents"][name]["title"]] for name in SAME_STORY_SEEDS}
    assert any({link["doc_id"], link["other_doc_id"]} == pair and link["kind"] == "same_story"
               for link in read_dataset(lake, "links"))


def test_failed_run_shows_in_scrapyds_log_the_job_log_and_its_stats_file(deployed, tmp_path):
    down = f"http://127.0.0.1:{free_port()}/"  # nothing listens there: the run fetches nothing and fails
    stats_file = tmp_path / "stats" / "site-down-1.json"
    job = deployed.schedule("news", {"start_urls": down},
                            {**LOOPBACK, "LAKE_URI": str(tmp_path / "lake"), "LAKE_SPOOL_DIR": str(tmp_path / "spool"),
                             "STATS_FILE": str(stats_file)},
                            jobid="site-down-1")
    assert job == "site-down-1"
    entry = deployed.wait_finished(job)
    logger.info("failing news job: %.1f s", job_seconds(entry))
    assert [line for line in deployed.process_lines(job) if "Process died: exitstatus=1" in line]
    assert json.loads(stats_file.read_text(encoding="utf-8"))["newsdedup/failure"]
    assert "'newsdedup/failure'" in deployed.fetch(entry["log_url"])
