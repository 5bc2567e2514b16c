"""`newsdedup reindex`: an index the crawl refuses (older format, other parameters, lost) is rebuilt from the
lake's articles, and scheduled crawls link new articles to old ones again."""

from __future__ import annotations

import json
import shutil
import uuid

import pytest

from pipeline.cli import main
from pipeline.dedup import DedupConfig, open_index
from pipeline.lake.read import open_dataset
from pipeline.lake.store import open_store
from tests.crawl import REPO, run_crawl

SEEDS = REPO / "seeds"
STORY = ("000_3b93ccf9d086253d.txt", "002_1ed52c5ff36f04c2.txt")


def articles(lake):
    return open_dataset(str(lake), "articles").to_table().to_pylist()


@pytest.fixture
def lake_of_two_runs(tmp_path):
    """A lake whose first run holds 000 and 001, the second the other seeds (002 linked to 000 across runs)."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    for seed in sorted(SEEDS.glob("*.txt")):
        shutil.copy(seed, first if seed.name[:3] in ("000", "001") else second)
    lake, spool = tmp_path / "lake", tmp_path / "spool"
    for folder in (first, second):
        done = run_crawl("files", lake, f"path={folder}", spool=spool)
        assert done.returncode == 0, done.stderr[-3000:]
    return lake, spool, (first, second)


def test_an_index_of_an_older_format_is_refused_then_rebuilt_and_new_articles_link_to_old_ones(lake_of_two_runs, capsys):
    lake, spool, folders = lake_of_two_runs
    manifest_path = lake / "_state" / "dedup" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["params"]["format"] = 2  # what an index written by the previous release says
    manifest_path.write_text(json.dumps(manifest))
    refused = run_crawl("files", lake, f"path={folders[1]}", spool=spool)
    assert refused.returncode == 1 and "newsdedup reindex --lake" in refused.stderr

    assert main(["reindex", "--lake", str(lake)]) == 0
    printed = capsys.readouterr().out
    assert "5 document(s) of 2 run(s)" in printed and "0 would be clustered differently" in printed, printed
    index = open_index(DedupConfig(), open_store(str(lake)))
    assert all(index.known(row["doc_id"]) for row in articles(lake))

    for folder in folders:
        rerun = run_crawl("files", lake, f"path={folder}", spool=spool)
        assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert len(articles(lake)) == 5  # reruns add nothing: every seed is known again

    # A syndicated copy of 000 from another outlet, in a later run: linked to the article indexed above.
    copy = lake.parent / "copy"
    copy.mkdir()
    original = (SEEDS / STORY[0]).read_text(encoding="utf-8")
    (copy / "copy.txt").write_text(original.replace("موسكو", "موسكو اليوم", 1), encoding="utf-8")
    later = run_crawl("files", lake, f"path={copy}", spool=spool)
    assert later.returncode == 0, later.stderr[-3000:]
    rows = {row["url"].rsplit("/", 1)[-1]: row for row in articles(lake)}
    assert rows["copy.txt"]["near_dup_of"] == rows[STORY[0]]["doc_id"]


def test_the_redis_index_is_rebuilt_from_the_lake(lake_of_two_runs, redis_url, monkeypatch, tmp_path, capsys):
    lake, _, _ = lake_of_two_runs
    configs = tmp_path / "configs"
    configs.mkdir()
    prefix = f"test:reindex:{uuid.uuid4().hex}"
    (configs / "dedup.yaml").write_text(f"redis_prefix: {prefix}\n")
    monkeypatch.setenv("NEWSDEDUP_CONFIG_DIR", str(configs))
    monkeypatch.setenv("REDIS_URL", redis_url)
    assert main(["reindex", "--lake", str(lake), "--backend", "redis"]) == 0
    assert "5 document(s) of 2 run(s)" in capsys.readouterr().out
    config = DedupConfig(backend="redis", redis_url=redis_url, redis_prefix=prefix)
    index = open_index(config)
    assert all(index.known(row["doc_id"]) for row in articles(lake))
    index.close()


def test_a_lake_without_runs_is_an_error_that_creates_nothing(tmp_path, capsys):
    assert main(["reindex", "--lake", str(tmp_path / "typo")]) == 1
    assert "holds no published run" in capsys.readouterr().err
    assert not (tmp_path / "typo").exists()
