"""The file source end to end (`scrapy crawl files` subprocesses): every path ends in articles or rejects, the run exits 0.

Dumps and pages with odd encodings and sizes, paths the source must not read (FIFO, links, devices,
other kinds), a WARC and a JSONL export in one folder; the seeds served from a WARC; a rerun and a
run killed mid-shard adding nothing; a shard read from S3.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.crawl import REPO, SEEDS, read_dataset, run_crawl
from tests.servers import start_moto
from tests.sources.warcs import Warc, cut_last_record, page, seed_pages

SEED = "000_3b93ccf9d086253d.txt"
GOLD = json.loads((REPO / "tests" / "resources" / "seeds_gold.json").read_text(encoding="utf-8"))
WARC_URL = "https://archive.example/{}.html"


@pytest.fixture(scope="module")
def mixed_inputs(tmp_path_factory):
    inputs = tmp_path_factory.mktemp("inputs")
    shutil.copy(SEEDS / SEED, inputs / SEED)
    text = (SEEDS / SEED).read_text(encoding="utf-8")
    (inputs / "cp1256_copy.txt").write_bytes(text.encode("windows-1256"))
    (inputs / "utf16_copy.txt").write_bytes(text.encode("utf-16"))  # with BOM
    (inputs / "empty.txt").write_bytes(b"")
    (inputs / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (inputs / "huge.txt").write_bytes(b"a" * 2_000_001)
    with gzip.open(inputs / "page.html.gz", "wt", encoding="utf-8") as fh:
        fh.write(
            "<html><head><title>Gzip page</title></head><body><article><h1>Gzip page</h1>"
            + "".join(f"<p>Paragraph {i} of a saved page that was compressed on disk before ingestion.</p>" for i in range(12))
            + "</article></body></html>"
        )
    (inputs / "broken.html.gz").write_bytes(b"\x1f\x8b\x08 not really gzip")
    # paths the source must not read, or cannot (issue #12 item 4)
    for name in ("report.pdf", "notes.md", "sitemap.xml"):
        (inputs / name).write_bytes(b"not a page")
    (inputs / ".hidden.txt").write_text(text, encoding="utf-8")
    os.mkfifo(inputs / "fifo.txt")
    (inputs / "dangling.txt").symlink_to(inputs / "no-such-file.txt")
    (inputs / "zero.txt").symlink_to("/dev/zero")
    (inputs / "passwd.txt").symlink_to("/etc/passwd")
    # a web archive and an article export in the same folder
    warc = Warc(inputs / "crawl.warc.gz", gzip=True)
    for n in range(2):
        warc.request(WARC_URL.format(n))
        warc.response(WARC_URL.format(n), page(f"Archived story {n}"))
    warc.revisit(WARC_URL.format(0))
    warc.response(WARC_URL.format("pdf"), b"%PDF-1.4 ...", content_type="application/pdf")
    warc.response(WARC_URL.format("cut"), page("Cut short", paragraphs=20))
    warc.close()
    cut_last_record(inputs / "crawl.warc.gz", keep=300)
    story = {"url": "https://export.example/1", "text": "Exported story\n\n" + "Text of an exported story, one of many. " * 20}
    (inputs / "export.jsonl").write_text(json.dumps(story) + "\n{broken\n", encoding="utf-8")
    lake = tmp_path_factory.mktemp("lake")
    result = run_crawl(
        "files", lake, f"path={inputs}", spool=tmp_path_factory.mktemp("spool"),
        settings={"FILES_MAX_BYTES": "2000000", "STATS_FILE": str(lake.parent / "stats.json")},
    )
    return inputs, lake, result


def test_run_exits_zero(mixed_inputs):
    _, _, result = mixed_inputs
    assert result.returncode == 0, result.stderr[-3000:]


def test_every_file_is_an_article_or_a_reject(mixed_inputs):
    inputs, lake, _ = mixed_inputs
    articles = {Path(u).name for u in read_dataset(lake, "articles").column("url").to_pylist() if u.startswith("file:")}
    rejects = {Path(r["url"]).name: r for r in read_dataset(lake, "rejects").to_pylist() if r["url"].startswith("file:")}
    rejects = {name.split("#")[0]: r for name, r in rejects.items()}
    containers = {"crawl.warc.gz", "export.jsonl"}  # their records are articles under their own URLs
    visible = {p.name for p in inputs.iterdir() if not p.name.startswith(".")}
    assert articles | set(rejects) | containers == visible
    assert not articles & set(rejects)
    expected = {
        "empty.txt": "empty", "binary.txt": "binary", "huge.txt": "too_large", "broken.html.gz": "unreadable",
        "report.pdf": "unsupported_kind", "notes.md": "unsupported_kind", "sitemap.xml": "unsupported_kind",
        "fifo.txt": "not_a_regular_file", "dangling.txt": "broken_symlink",
        "zero.txt": "symlink_outside_root", "passwd.txt": "symlink_outside_root",
    }  # fmt: skip
    assert {name: rejects[name]["reason"] for name in expected} == expected
    assert "page.html.gz" in articles


def test_archives_and_exports_in_the_folder_are_read(mixed_inputs):
    _, lake, _ = mixed_inputs
    urls = set(read_dataset(lake, "articles").column("url").to_pylist())
    assert {WARC_URL.format(0), WARC_URL.format(1), "https://export.example/1"} <= urls
    reasons = {(r["url"], r["reason"]) for r in read_dataset(lake, "rejects").to_pylist()}
    assert (WARC_URL.format("cut"), "truncated_record") in reasons
    assert any(url.endswith("export.jsonl#line=2") and reason == "bad_json" for url, reason in reasons)


def test_skipped_and_rejected_paths_are_counted_and_logged(mixed_inputs):
    _, lake, result = mixed_inputs
    stats = json.loads((lake.parent / "stats.json").read_text())
    assert stats["files/skipped/hidden"] == 1
    assert stats["rejects/read/unsupported_kind"] == 3
    assert stats["files/warc/records/revisit"] == 1 and stats["files/warc/responses/not_html"] == 1
    assert "fifo.txt: read/not_a_regular_file" in result.stderr
    assert "skipped 1 hidden entries" in result.stderr


def test_legacy_encodings_come_out_identical_and_are_linked_exact(mixed_inputs):
    _, lake, _ = mixed_inputs
    rows = {Path(r["url"]).name: r for r in read_dataset(lake, "articles").to_pylist()}
    original = rows[SEED]
    for copy in ("cp1256_copy.txt", "utf16_copy.txt"):
        assert rows[copy]["text"] == original["text"]
        assert rows[copy]["title"] == original["title"]
        assert rows[copy]["content_hash"] == original["content_hash"]
    by_id = {r["doc_id"]: Path(r["url"]).name for r in rows.values()}
    exact = {frozenset((by_id[l["doc_id"]], by_id[l["other_doc_id"]])) for l in read_dataset(lake, "links").to_pylist() if l["kind"] == "exact"}
    assert frozenset((SEED, "cp1256_copy.txt")) in exact
    # one cluster: every copy points at the same first member
    heads = {rows[n]["near_dup_of"] or rows[n]["doc_id"] for n in (SEED, "cp1256_copy.txt", "utf16_copy.txt")}
    assert len(heads) == 1


@pytest.fixture(scope="module")
def seeds_warc(tmp_path_factory):
    """The five seed articles as HTML responses in a per-record gzip WARC, with the records crawlers write around them."""
    folder = tmp_path_factory.mktemp("seeds-warc")
    warc = Warc(folder / "seeds.warc.gz", gzip=True)
    for url, html in seed_pages().items():
        warc.request(url)
        warc.response(url, html)
        warc.metadata(url)
    warc.close()
    return folder / "seeds.warc.gz"


def test_seeds_from_a_warc_link_000_and_002_and_nothing_else_and_a_rerun_adds_nothing(seeds_warc, tmp_path):
    lake = tmp_path / "lake"
    first = run_crawl("files", lake, f"path={seeds_warc}", spool=tmp_path / "spool")
    assert first.returncode == 0, first.stderr[-3000:]
    articles = read_dataset(lake, "articles").to_pylist()
    assert len(articles) == 5 and {a["source"] for a in articles} == {"daily-fixture.example"}
    by_title = {a["title"]: a["doc_id"] for a in articles}
    pair = {by_title[GOLD["documents"][name]["title"]] for name in GOLD["links"]["same_story"][0]}
    links = read_dataset(lake, "links").to_pylist()
    assert [({l["doc_id"], l["other_doc_id"]}, l["kind"]) for l in links] == [(pair, "same_story")]

    again = run_crawl("files", lake, f"path={seeds_warc}", spool=tmp_path / "spool")
    assert again.returncode == 0, again.stderr[-3000:]
    for dataset in ("articles", "links", "rejects"):
        assert read_dataset(lake, dataset).num_rows == {"articles": 5, "links": 1, "rejects": 0}[dataset], dataset


def test_a_run_killed_mid_shard_is_resumed_by_a_rerun_without_duplicates(tmp_path):
    shard = tmp_path / "shard.warc.gz"
    warc = Warc(shard, gzip=True)
    urls = [WARC_URL.format(f"story-{n}") for n in range(60)]
    for n, url in enumerate(urls):
        warc.request(url)
        warc.response(url, page(f"Story number {n} about the {n}th bridge of the town", paragraphs=6 + n % 5))
    warc.close()
    lake, spool = tmp_path / "lake", tmp_path / "spool"
    command = [sys.executable, "-m", "scrapy", "crawl", "files", "-a", f"path={shard}", "-s", f"LAKE_URI={lake}",
               "-s", f"LAKE_SPOOL_DIR={spool}", "-s", "EXTRACT_WORKERS=1", "-s", "LOG_LEVEL=DEBUG",
               "-s", "MAX_ITEMS_IN_FLIGHT=4"]  # fmt: skip
    crawl = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    scraped = 0
    for line in crawl.stderr:
        scraped += "Scraped " in line
        if scraped == 10:
            os.kill(crawl.pid, signal.SIGKILL)  # mid-shard: 10 of 60 pages through the pipeline
            break
    crawl.wait(60)
    crawl.stderr.close()
    assert scraped == 10 and crawl.returncode == -signal.SIGKILL

    rerun = run_crawl("files", lake, f"path={shard}", spool=spool)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    stored = read_dataset(lake, "articles").column("url").to_pylist()
    assert sorted(stored) == sorted(urls)  # every page once: none lost, none doubled
    again = run_crawl("files", lake, f"path={shard}", spool=spool)
    assert again.returncode == 0 and read_dataset(lake, "articles").num_rows == len(urls)


def test_a_shard_in_s3_is_read_with_the_lakes_retry_settings(tmp_path, seeds_warc):
    from tests.lake.fault_proxy import FaultProxy

    server = start_moto(tmp_path)
    proxy = FaultProxy(server.endpoint).start()
    try:
        server.create_bucket("cc-news")
        server.client().put_object(Bucket="cc-news", Key="2025/01/seeds.warc.gz", Body=seeds_warc.read_bytes())
        runs = {}
        for retries in (1, 10):  # a store answering 500 twice to the shard's GET
            proxy.fail("GET", "seeds.warc.gz", "500", times=2)
            lake = runs[retries] = tmp_path / f"lake-{retries}"
            result = run_crawl("files", lake, "path=s3://cc-news/2025/01/seeds.warc.gz", spool=tmp_path / f"spool-{retries}",
                               settings={"LAKE_MAX_ATTEMPTS": retries}, env=server.env(proxy.endpoint))  # fmt: skip
            assert result.returncode == 0, result.stderr[-3000:]
    finally:
        proxy.stop()
        server.stop()
    (reject,) = read_dataset(runs[1], "rejects").to_pylist()
    assert (reject["url"], reject["reason"]) == ("s3://cc-news/2025/01/seeds.warc.gz", "unreadable")
    assert "InternalError" in reject["detail"] and read_dataset(runs[1], "articles").num_rows == 0
    assert sorted(read_dataset(runs[10], "articles").column("url").to_pylist()) == sorted(seed_pages())


def test_a_shard_in_s3_is_read_as_a_stream(tmp_path, seeds_warc):
    server = start_moto(tmp_path)
    try:
        server.create_bucket("cc-news")
        server.client().put_object(Bucket="cc-news", Key="2025/01/seeds.warc.gz", Body=seeds_warc.read_bytes())
        lake = tmp_path / "lake"
        result = run_crawl("files", lake, "path=s3://cc-news/2025/01/seeds.warc.gz", spool=tmp_path / "spool", env=server.env())
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(read_dataset(lake, "articles").column("url").to_pylist()) == sorted(seed_pages())
