"""Two crawler processes with separate lakes share one dedup index in Redis and link across it."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.crawl import SEEDS, read_dataset, run_crawl


def test_crawls_sharing_a_redis_index_link_each_others_articles(tmp_path, redis_url):
    for name in ("000_3b93ccf9d086253d.txt", "002_e29d59dd00f27b6d.txt"):
        (tmp_path / name[:3]).mkdir()
        shutil.copy(SEEDS / name, tmp_path / name[:3] / name)
    shared = {"DEDUP_BACKEND": "redis", "REDIS_URL": redis_url}
    first = run_crawl("files", tmp_path / "lake-a", f"path={tmp_path / '000'}", spool=tmp_path / "spool-a", settings=shared)
    assert first.returncode == 0, first.stderr[-3000:]
    second = run_crawl("files", tmp_path / "lake-b", f"path={tmp_path / '002'}", spool=tmp_path / "spool-b", settings=shared)
    assert second.returncode == 0, second.stderr[-3000:]

    earlier = read_dataset(tmp_path / "lake-a", "articles").to_pylist()
    later = read_dataset(tmp_path / "lake-b", "articles").to_pylist()
    links = read_dataset(tmp_path / "lake-b", "links").to_pylist()
    assert [(link["doc_id"], link["other_doc_id"], link["kind"]) for link in links] == [
        (later[0]["doc_id"], earlier[0]["doc_id"], "same_story")
    ]
    assert later[0]["story_id"] == earlier[0]["story_id"]
    assert not (Path(tmp_path / "lake-b") / "_state" / "dedup").exists()  # the index lives in Redis
