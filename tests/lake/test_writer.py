"""LakeWriter on a local folder: layout, schemas, assignments, rejects, memory, failures and recovery."""

from __future__ import annotations

import json
import logging
import os
import tracemalloc
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from pipeline.config import ConfigError
from pipeline.options import configured
from pipeline.lake import ARTICLES, LINKS, REJECTS, LakeConfig, LakeUnavailable, LakeWriter, open_store
from pipeline.lake.schema import hive_partitioning
from pipeline.lake.spool import RunDir
from tests.lake.rows import DAY, article, link, recover, reject

SMALL = LakeConfig(spool_batch_rows=4, row_group_rows=5, max_rows_per_file=10)


def writer(store, tmp_path: Path, run_id: str, config: LakeConfig = SMALL) -> LakeWriter:
    return LakeWriter(store, run_id=run_id, ingest_date=DAY, spool_dir=tmp_path / "spool", config=config)


def ingest(w: LakeWriter, articles: list[dict], links=(), rejects=(), before_manifest=None) -> dict:
    for row in articles:
        w.add_article(row)
    for row in links:
        w.add_link(row)
    for row in rejects:
        w.add_reject(row)
    assignments = {a["doc_id"]: (None, a["doc_id"]) for a in articles}
    return w.close(assignments, settings={"LAKE_URI": "test"}, before_manifest=before_manifest)


def read(lake: Path, name: str):
    return ds.dataset(lake / name, format="parquet", partitioning=hive_partitioning()).to_table()


def test_close_writes_hive_partitioned_zstd_files_matching_the_schemas(tmp_path):
    store = open_store(str(tmp_path / "lake"))
    rows = [article(i, "r1") for i in range(12)]
    manifest = ingest(writer(store, tmp_path, "r1"), rows, [link(rows[0], rows[2], "r1")], [reject("empty.txt", "r1")])

    keys = [f["key"] for f in manifest["files"]]
    assert keys == [
        "articles/ingest_date=2024-05-01/part-r1-0.parquet",
        "articles/ingest_date=2024-05-01/part-r1-1.parquet",  # max_rows_per_file=10 splits 12 rows
        "links/ingest_date=2024-05-01/part-r1-0.parquet",
        "rejects/ingest_date=2024-05-01/part-r1-0.parquet",
    ]
    for key, schema in zip(keys, (ARTICLES, ARTICLES, LINKS, REJECTS), strict=True):
        meta = pq.ParquetFile(tmp_path / "lake" / key).metadata
        assert pq.read_schema(tmp_path / "lake" / key) == schema
        for g in range(meta.num_row_groups):
            assert meta.row_group(g).num_rows <= 5
            column = meta.row_group(g).column(0)
            assert column.compression == "ZSTD" and column.statistics.has_min_max
    assert manifest["rows"] == {"articles": 12, "links": 1, "rejects": 1}
    on_disk = json.loads((tmp_path / "lake/_runs/r1.json").read_text())
    assert on_disk["files"] == manifest["files"] and on_disk["settings"] == {"LAKE_URI": "test"}
    table = read(tmp_path / "lake", "articles")
    assert table["doc_id"].to_pylist() == [r["doc_id"] for r in rows]  # arrival order kept
    assert set(table["ingest_date"].to_pylist()) == {"2024-05-01"}
    assert not (tmp_path / "spool" / "r1").exists()


def test_assignments_fill_near_dup_of_and_story_id(tmp_path):
    store = open_store(str(tmp_path / "lake"))
    a, b, c = (article(i, "r1") for i in range(3))
    w = writer(store, tmp_path, "r1")
    for row in (a, b, c):
        w.add_article(row)
    w.close({a["doc_id"]: (None, "s1"), b["doc_id"]: (a["doc_id"], "s1"), c["doc_id"]: (None, c["doc_id"])}, settings={})
    got = {r["doc_id"]: (r["near_dup_of"], r["story_id"]) for r in read(tmp_path / "lake", "articles").to_pylist()}
    assert got == {a["doc_id"]: (None, "s1"), b["doc_id"]: (a["doc_id"], "s1"), c["doc_id"]: (None, c["doc_id"])}


def test_rejects_already_in_the_lake_or_repeated_are_not_added_again(tmp_path):
    store = open_store(str(tmp_path / "lake"))
    ingest(writer(store, tmp_path, "r1"), [], rejects=[reject("a.bin", "r1", "binary"), reject("a.bin", "r1", "binary")])
    manifest = ingest(
        writer(store, tmp_path, "r2"), [], rejects=[reject("a.bin", "r2", "binary"), reject("b.txt", "r2", "empty")]
    )
    assert manifest["rows"]["rejects"] == 1
    got = sorted((r["url"], r["run_id"]) for r in read(tmp_path / "lake", "rejects").to_pylist())
    assert got == [("file:///data/a.bin", "r1"), ("file:///data/b.txt", "r2")]


def test_rows_with_unknown_or_missing_columns_are_refused(tmp_path):
    w = writer(open_store(str(tmp_path / "lake")), tmp_path, "r1")
    with pytest.raises(ValueError, match="unknown column"):
        w.add_article({**article(1, "r1"), "raw": b"x"})
    with pytest.raises(ValueError, match="doc_id"):
        w.add_article({**article(1, "r1"), "doc_id": None})
    with pytest.raises(ValueError, match="filled by close"):
        w.add_article({**article(1, "r1"), "story_id": "x"})
    with pytest.raises(ValueError, match="kind"):
        w.add_link({**link(article(1, "r1"), article(2, "r1"), "r1"), "kind": "similar"})


def test_before_manifest_runs_after_the_files_and_before_the_manifest(tmp_path):
    lake = tmp_path / "lake"
    seen = {}

    def commit():
        seen["files"] = sorted(p.name for p in (lake / "articles").rglob("*.parquet"))
        seen["manifest"] = (lake / "_runs/r1.json").exists()

    ingest(writer(open_store(str(lake)), tmp_path, "r1"), [article(1, "r1")], before_manifest=commit)
    assert seen == {"files": ["part-r1-0.parquet"], "manifest": False}


def test_spool_keeps_memory_flat_on_a_large_run(tmp_path):
    config = LakeConfig(spool_batch_rows=500)
    w = writer(open_store(str(tmp_path / "lake")), tmp_path, "big", config)
    body = "نص " * 2_000  # ~8 kB per article, ~80 MB of text over the run
    tracemalloc.start()
    try:
        for i in range(10_000):
            w.add_article(article(i, "big", text=f"{i} {body}"))
        _, peak_adding = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        manifest = w.close({}, settings={})
        _, peak_closing = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert manifest["rows"]["articles"] == 10_000
    assert peak_adding < 30 * 2**20, peak_adding
    assert peak_closing < 30 * 2**20, peak_closing


class BrokenLake:
    """A lake folder whose parent is a regular file: every write fails like an unmounted volume."""

    def __init__(self, tmp_path: Path) -> None:
        self.blocker = tmp_path / "mnt"
        self.blocker.write_text("not a directory")
        self.uri = str(self.blocker / "lake")

    def repair(self) -> None:
        self.blocker.unlink()


def test_unwritable_lake_keeps_everything_spooled_and_next_run_publishes_it_once(tmp_path, caplog):
    broken = BrokenLake(tmp_path)
    store = open_store(broken.uri)
    rows = [article(i, "r1") for i in range(6)]
    commits = []
    with pytest.raises(LakeUnavailable, match="kept in the spool"):
        ingest(writer(store, tmp_path, "r1"), rows, [link(rows[0], rows[1], "r1")], [reject("x", "r1")], commits.append)
    assert (tmp_path / "spool/r1/state.json").exists() and not commits

    broken.repair()
    w2 = writer(store, tmp_path, "r2")
    with caplog.at_level(logging.WARNING):
        dedup, published = recover(w2)
    assert len(published) == 3 and "published run r1 from the spool" in caplog.text
    assert not (tmp_path / "spool/r1").exists()
    # The run's documents are in the dedup index now: the same inputs arriving again are known, not landed.
    assert all(dedup.is_known(r["doc_id"]) for r in rows)
    manifest = ingest(w2, [], rejects=[reject("x", "r2")])
    assert manifest["rows"] == {"articles": 0, "links": 0, "rejects": 0}
    lake = Path(broken.uri)
    assert sorted(read(lake, "articles")["doc_id"].to_pylist()) == sorted(r["doc_id"] for r in rows)
    assert read(lake, "rejects").num_rows == 1
    recovered = json.loads((lake / "_runs/r1.json").read_text())
    assert recovered["recovered_by"] == "r2" and recovered["rows"]["articles"] == 6


def test_failing_index_commit_fails_the_run_and_keeps_the_spool(tmp_path):
    store = open_store(str(tmp_path / "lake"))

    def commit():
        raise ConnectionError("redis went away")

    with pytest.raises(LakeUnavailable, match="redis went away.*kept in the spool"):
        ingest(writer(store, tmp_path, "r1"), [article(1, "r1")], before_manifest=commit)
    assert not (tmp_path / "lake/_runs/r1.json").exists()
    w2 = writer(store, tmp_path, "r2")
    dedup, published = recover(w2)
    assert "articles/ingest_date=2024-05-01/part-r1-0.parquet" in published
    assert (tmp_path / "lake/_runs/r1.json").exists() and dedup.is_known(article(1, "r1")["doc_id"])
    w2.close({}, settings={})


def test_recover_discards_a_run_that_died_before_closing_and_skips_live_ones(tmp_path, caplog):
    store = open_store(str(tmp_path / "lake"))
    dead = writer(store, tmp_path, "r0")
    dead.add_article(article(1, "r0"))
    dead.spools["articles"].flush()
    dead.run.unlock()  # what the kernel does when the process dies
    live = RunDir(tmp_path / "spool" / "r1")
    assert live.lock(wait=True)
    w2 = writer(store, tmp_path, "r2")
    with caplog.at_level(logging.WARNING):
        assert recover(w2)[1] == []
    assert "r0 stopped before it finished writing" in caplog.text
    assert not (tmp_path / "spool/r0").exists() and (tmp_path / "spool/r1").exists()
    assert not (tmp_path / "lake" / "articles").exists()
    live.unlock()
    w2.close({}, settings={})


def test_lake_yaml_loads_and_rejects_unknown_keys(tmp_path, monkeypatch):
    assert configured(LakeConfig) == LakeConfig()
    monkeypatch.setenv("NEWSDEDUP_CONFIG_DIR", str(tmp_path))
    (tmp_path / "lake.yaml").write_text("row_group_rowz: 5\n")
    with pytest.raises(ConfigError, match="row_group_rowz"):
        configured(LakeConfig)
    (tmp_path / "lake.yaml").write_text("multipart_chunksize: 1024\n")
    with pytest.raises(ConfigError, match="5 MiB"):
        configured(LakeConfig)
    assert os.environ.get("AWS_SECRET_ACCESS_KEY") is None or "secret" not in Path("configs/lake.yaml").read_text()
