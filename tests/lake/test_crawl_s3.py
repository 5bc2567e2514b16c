"""The whole crawl (`scrapy crawl files` subprocess) into S3 over HTTP: seeds, re-runs, a dying server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from pipeline.lake.read import open_dataset
from tests.crawl import REPO, SEEDS
from tests.lake.fault_proxy import FaultProxy

GOLD = json.loads((REPO / "tests/resources/seeds_gold.json").read_text(encoding="utf-8"))
pytestmark = pytest.mark.timeout(300)


def crawl(lake: str, spool: Path, env: dict, **popen) -> subprocess.Popen:
    command = [sys.executable, "-m", "scrapy", "crawl", "files", "-a", f"path={SEEDS}"]
    for name, value in {"LAKE_URI": lake, "LAKE_SPOOL_DIR": spool, "EXTRACT_WORKERS": 1, "LOG_LEVEL": "INFO"}.items():
        command += ["-s", f"{name}={value}"]
    return subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen
    )


def finish(process: subprocess.Popen, timeout: float = 240) -> tuple[int, str]:
    _, err = process.communicate(timeout=timeout)
    return process.returncode, err


def read(lake: str, name: str):
    return open_dataset(lake, name).to_table()


def names(table, column: str = "url") -> list[str]:
    return sorted(Path(u).name for u in table[column].to_pylist())


def test_seeds_land_in_s3_and_a_rerun_adds_nothing(moto, moto_bucket, tmp_path):
    lake = f"s3://{moto_bucket}/news"
    env = {**os.environ, **moto.env()}
    code, err = finish(crawl(lake, tmp_path / "spool", env))
    assert code == 0, err[-3000:]
    articles = read(lake, "articles")
    assert names(articles) == sorted(GOLD["documents"])
    titles = {Path(r["url"]).name: r["title"] for r in articles.to_pylist()}
    assert titles == {name: doc["title"] for name, doc in GOLD["documents"].items()}
    links = read(lake, "links").to_pylist()
    by_id = {r["doc_id"]: Path(r["url"]).name for r in articles.to_pylist()}
    assert [(sorted([by_id[x["doc_id"]], by_id[x["other_doc_id"]]]), x["kind"]) for x in links] == [
        (GOLD["links"]["same_story"][0], "same_story")
    ]
    # What analysts run: a partition-filtered pyarrow scan of today's files.
    day = articles["ingest_date"][0].as_py()
    assert open_dataset(lake, "articles").count_rows(filter=ds.field("ingest_date") == day) == 5

    code, err = finish(crawl(lake, tmp_path / "spool", env))
    assert code == 0, err[-3000:]
    assert read(lake, "articles").num_rows == 5 and read(lake, "links").num_rows == 1
    assert read(lake, "rejects").num_rows == 0

    # `newsdedup summary` on the S3 lake: one line per article and link, and reading examples that run.
    shown = subprocess.run(
        [str(Path(sys.executable).parent / "newsdedup"), "summary", "--articles", "--lake", lake],
        env=env, capture_output=True, text=True, check=True,
    ).stdout
    assert "000_3b93ccf9d086253d.txt <-> 002_e29d59dd00f27b6d.txt  same_story" in shown
    assert all(f"  {name}  | {doc['title']} | ar |" in shown for name, doc in GOLD["documents"].items())
    example = next(line for line in shown.splitlines() if "DuckDB:" in line).split(" -c ", 1)[1]
    ran = subprocess.run([sys.executable, "-c", example.strip('"')], env=env, capture_output=True, text=True)
    assert ran.returncode == 0 and GOLD["documents"]["003_47fde8de46d97e9d.txt"]["title"][:20] in ran.stdout


def test_store_killed_mid_run_fails_the_crawl_and_the_next_run_lands_every_row_once(
    seaweedfs, seaweed_bucket, tmp_path
):
    # Few, quick retries so the failing run gives up in seconds; every other config as shipped.
    configs = tmp_path / "configs"
    shutil.copytree(REPO / "configs", configs)
    (configs / "lake.yaml").write_text("max_attempts: 2\nconnect_timeout: 1\nread_timeout: 5\n")
    lake, spool = f"s3://{seaweed_bucket}/news", tmp_path / "spool"
    proxy = FaultProxy(seaweedfs.endpoint).start()
    proxy.fail("PUT", "/articles/", "delay", delay=3.0)  # publishing starts, then the server dies
    env = {**os.environ, **seaweedfs.env(proxy.endpoint), "NEWSDEDUP_CONFIG_DIR": str(configs)}
    try:
        process = crawl(lake, spool, env)
        deadline = time.monotonic() + 120
        while not list(spool.glob("*/state.json")):  # the run finished crawling and is publishing
            assert process.poll() is None, process.communicate()[1][-3000:]
            assert time.monotonic() < deadline
            time.sleep(0.05)
        seaweedfs.kill()
        code, err = finish(process)
    finally:
        proxy.stop()
        if seaweedfs.process is None:
            seaweedfs.start()
    assert code != 0
    assert "run failed" in err and "kept in the spool" in err, err[-3000:]
    (failed_run,) = [p.name for p in spool.iterdir()]
    assert (spool / failed_run / "state.json").exists()

    # The rerun with the retries as shipped: a store that has just restarted answers 500 for a moment.
    env = {**os.environ, **seaweedfs.env()}
    code, err = finish(crawl(lake, spool, env))
    assert code == 0, err[-3000:]
    assert list(spool.iterdir()) == []
    articles = read(lake, "articles")
    assert names(articles) == sorted(GOLD["documents"])  # each seed exactly once
    assert articles["run_id"].unique().to_pylist() == [failed_run]
    assert read(lake, "links").num_rows == 1
    client = seaweedfs.client()
    manifest = json.loads(client.get_object(Bucket=seaweed_bucket, Key=f"news/_runs/{failed_run}.json")["Body"].read())
    assert manifest["rows"]["articles"] == 5 and manifest["recovered_by"]
