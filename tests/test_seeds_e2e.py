"""The seeds end to end through `scrapy crawl files`: titles, bodies, links, idempotent re-runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.extract.evaluate import shingle_f1
from tests.crawl import REPO, SEEDS, read_dataset, run_crawl

GOLD = json.loads((REPO / "tests/resources/seeds_gold.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seeded_lake(tmp_path_factory):
    lake = tmp_path_factory.mktemp("lake")
    spool = tmp_path_factory.mktemp("spool")
    result = run_crawl("files", lake, f"path={SEEDS}", spool=spool)
    assert result.returncode == 0, result.stderr[-3000:]
    return lake, spool


def by_file(table) -> dict[str, dict]:
    return {Path(row["url"]).name: row for row in table.to_pylist()}


def test_every_seed_is_one_article_with_gold_title_and_body(seeded_lake):
    lake, _ = seeded_lake
    articles = by_file(read_dataset(lake, "articles"))
    assert sorted(articles) == sorted(GOLD["documents"])
    for name, gold in GOLD["documents"].items():
        row = articles[name]
        assert row["title"] == gold["title"], name
        f1 = shingle_f1("\n".join(gold["body"]), row["text"])
        assert f1 >= 0.95, (name, f1)
        assert row["language"] == "ar"
        assert row["extraction"] == "text"
        assert row["url"].startswith("file://")
        assert row["near_dup_of"] is None


def test_the_only_link_is_same_story_between_000_and_002(seeded_lake):
    lake, _ = seeded_lake
    articles = read_dataset(lake, "articles").to_pylist()
    names = {row["doc_id"]: Path(row["url"]).name for row in articles}
    links = read_dataset(lake, "links").to_pylist()
    assert [(link["kind"], {names[link["doc_id"]], names[link["other_doc_id"]]}) for link in links] == [
        ("same_story", {"000_3b93ccf9d086253d.txt", "002_e29d59dd00f27b6d.txt"})
    ]
    stories = {names[row["doc_id"]]: row["story_id"] for row in articles}
    assert stories["000_3b93ccf9d086253d.txt"] == stories["002_e29d59dd00f27b6d.txt"]
    assert len(set(stories.values())) == 4


def test_rerun_on_same_inputs_adds_no_rows(seeded_lake):
    lake, spool = seeded_lake
    before = {name: read_dataset(lake, name).num_rows for name in ("articles", "links", "rejects")}
    result = run_crawl("files", lake, f"path={SEEDS}", spool=spool)
    assert result.returncode == 0, result.stderr[-3000:]
    after = {name: read_dataset(lake, name).num_rows for name in ("articles", "links", "rejects")}
    assert after == before
