"""Analysts' side over S3 (pyarrow, polars, DuckDB), `newsdedup summary`, and `newsdedup compact`."""

from __future__ import annotations

import datetime as dt
import json
import os

import duckdb
import polars as pl
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pytest

from pipeline.cli import main
from pipeline.lake import LakeBusy, LakeConfig, LakeWriter, open_store
from pipeline.lake.compact import compact_partition
from pipeline.lake.lease import CompactionLease
from pipeline.lake.read import open_dataset
from tests.lake.rows import article, link, reject

DAYS = (dt.date(2024, 5, 1), dt.date(2024, 5, 2))


def fill(store, tmp_path, runs_per_day: int = 2) -> list[dict]:
    """Several small runs over two days: the shape a lake has before compaction."""
    rows = []
    for d, day in enumerate(DAYS):
        for r in range(runs_per_day):
            run_id = f"2024050{d + 1}T0{r}0000Z-abc00{r}"
            w = LakeWriter(store, run_id=run_id, ingest_date=day, spool_dir=tmp_path / "spool", config=LakeConfig())
            batch = [article(100 * d + 10 * r + i, run_id) for i in range(3)]
            for row in batch:
                w.add_article(row)
            w.add_link(link(batch[0], batch[1], run_id, "near_duplicate", 0.9))
            w.add_reject(reject(f"bad-{d}-{r}.bin", run_id, "binary"))
            w.close({b["doc_id"]: (None, b["doc_id"]) for b in batch}, settings={})
            rows += batch
    return rows


def test_pyarrow_polars_and_duckdb_read_the_lake_from_s3(moto_bucket, tmp_path):
    store = open_store(f"s3://{moto_bucket}/news", LakeConfig())
    rows = fill(store, tmp_path)

    # pyarrow dataset over S3FileSystem, hive partitioning, partition filter (prunes the other day's files)
    s3 = pafs.S3FileSystem(endpoint_override=os.environ["AWS_ENDPOINT_URL"], region=os.environ["AWS_REGION"])
    articles = ds.dataset(f"{moto_bucket}/news/articles", filesystem=s3, format="parquet", partitioning="hive")
    day2 = articles.to_table(filter=ds.field("ingest_date") == "2024-05-02")
    assert sorted(day2["doc_id"].to_pylist()) == sorted(r["doc_id"] for r in rows[6:])
    assert len(list(articles.get_fragments(filter=ds.field("ingest_date") == "2024-05-02"))) == 2

    # polars straight from s3:// (credentials and endpoint from the same AWS_* environment)
    frame = (
        pl.scan_parquet(f"s3://{moto_bucket}/news/articles/**/*.parquet", hive_partitioning=True)
        .filter(pl.col("near_dup_of").is_null())
        .select("doc_id", "ingest_date")
        .collect()
    )
    assert frame.height == 12 and set(frame["doc_id"]) == {r["doc_id"] for r in rows}

    # DuckDB over the pyarrow dataset (its httpfs extension cannot be downloaded here)
    links = open_dataset(f"s3://{moto_bucket}/news", "links")
    kinds = duckdb.sql("SELECT kind, count(*) AS n FROM links GROUP BY kind").fetchall()
    assert kinds == [("near_duplicate", 4)]
    joined = duckdb.sql(
        "SELECT count(*) FROM articles a JOIN links l ON l.doc_id = a.doc_id WHERE a.ingest_date = '2024-05-01'"
    ).fetchall()
    assert joined == [(2,)]


def test_summary_prints_articles_links_and_reading_examples(tmp_path, capsys):
    lake = tmp_path / "lake"
    rows = fill(open_store(str(lake)), tmp_path, runs_per_day=1)
    assert main(["summary", "--articles", "--lake", str(lake)]) == 0
    out = capsys.readouterr().out
    assert "6 article(s)" in out and "2 link(s)" in out and "2 reject(s)" in out
    assert f"000_article.txt  | {rows[0]['title']} | ar | {len(rows[0]['text'])} chars" in out
    assert "000_article.txt <-> 001_article.txt  near_duplicate  similarity=0.900" in out
    duck = next(line for line in out.splitlines() if "DuckDB:" in line).split(" -c ", 1)[1]
    code = duck.strip('"').replace('\\"', '"')
    exec(compile(code, "<summary example>", "exec"), {})  # the printed example runs as shown
    assert rows[0]["title"] in capsys.readouterr().out


@pytest.mark.parametrize("where", ["local", "s3"])
def test_compact_keeps_the_row_set_and_replaces_small_files(where, request, tmp_path, capsys):
    lake = str(tmp_path / "lake") if where == "local" else f"s3://{request.getfixturevalue('moto_bucket')}/c"
    store = open_store(lake, LakeConfig())
    fill(store, tmp_path, runs_per_day=3)
    before = {name: open_dataset(lake, name).to_table().sort_by("run_id") for name in ("articles", "rejects")}
    partition = "articles/ingest_date=2024-05-01"
    old_keys = store.list_keys(partition)
    assert len(old_keys) == 3

    assert main(["compact", "--lake", lake, "--dataset", "articles", "--partition", "ingest_date=2024-05-01"]) == 0
    assert "3 file(s) -> 1, 9 rows unchanged" in capsys.readouterr().out
    new_keys = store.list_keys(partition)
    assert len(new_keys) == 1 and new_keys[0].split("/")[-1].startswith("part-compact-")
    after = open_dataset(lake, "articles").to_table()
    assert after.sort_by([("doc_id", "ascending")]).equals(before["articles"].sort_by([("doc_id", "ascending")]))
    manifest = json.loads(store.read_bytes(f"_runs/{new_keys[0].split('/')[-1][5:-10]}.json"))
    assert manifest["kind"] == "compact" and manifest["replaces"] == old_keys and manifest["replaced_deleted"]
    # The other day and the other datasets are untouched; a second compact has nothing to do.
    assert len(store.list_keys("articles/ingest_date=2024-05-02")) == 3
    assert main(["compact", "--lake", lake, "--dataset", "articles", "--partition", "ingest_date=2024-05-01"]) == 0
    assert "nothing to compact" in capsys.readouterr().out


def test_compact_refuses_a_bad_partition(tmp_path, capsys):
    assert main(["compact", "--lake", str(tmp_path), "--dataset", "articles", "--partition", "day=1"]) == 1
    assert "ingest_date=YYYY-MM-DD" in capsys.readouterr().err


def test_one_compaction_at_a_time_and_the_files_of_a_killed_one_are_neither_read_nor_kept(tmp_path):
    store = open_store(str(tmp_path / "lake"))
    rows = fill(store, tmp_path)
    partition = "articles/ingest_date=2024-05-01"
    # What a compaction killed after its upload, before its manifest, leaves: a copy of rows no manifest lists
    first = store.list_keys(partition)[0]
    orphan = f"{partition}/part-compact-20240502T000000Z-dead00-0.parquet"
    store.put_file(store.path(first), orphan)
    expected = sorted(r["doc_id"] for r in rows)
    assert sorted(open_dataset(store.uri, "articles").to_table()["doc_id"].to_pylist()) == expected
    held = CompactionLease(store, "compact-other", 60).acquire()
    try:
        with pytest.raises(LakeBusy, match="being compacted by run compact-other"):
            compact_partition(store, "articles", "ingest_date=2024-05-01", LakeConfig())
    finally:
        held.release()
    manifest = compact_partition(store, "articles", "ingest_date=2024-05-01", LakeConfig())
    assert store.list_keys(partition) == [f["key"] for f in manifest["files"]]  # the orphan is gone too
    assert sorted(open_dataset(store.uri, "articles").to_table()["doc_id"].to_pylist()) == expected
