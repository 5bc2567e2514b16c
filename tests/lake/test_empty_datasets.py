"""Every published lake has all three datasets, readable with their columns by pandas, pyarrow, DuckDB and
polars, even before any row of them exists; and no reader counts anything twice once rows arrive."""

from __future__ import annotations

import duckdb
import pandas as pd
import polars as pl
import pyarrow.dataset as ds

from pipeline.lake import SCHEMAS, LakeConfig, open_store
from pipeline.lake.compact import compact_partition
from pipeline.lake.schema import PARTITION_KEY
from tests.lake.audit import reader_counts
from tests.lake.rows import DAY, article, link, reject
from tests.lake.test_writer import ingest, writer


def columns_by_reader(lake, name: str) -> dict[str, tuple[int, list[str]]]:
    """(rows, columns) of one dataset as each reader returns it, with the recipes of docs/schema.md."""
    folder = lake / name
    frame = pd.read_parquet(folder)
    table = ds.dataset(folder, format="parquet", partitioning="hive").to_table()
    with duckdb.connect() as con:
        duck = con.execute(f"SELECT * FROM read_parquet('{folder}/*/*.parquet', hive_partitioning=true)")
        duck_rows, duck_columns = len(duck.fetchall()), [d[0] for d in duck.description]
    polar = pl.scan_parquet(f"{folder}/**/*.parquet", hive_partitioning=True).collect()
    return {
        "pandas": (len(frame), list(frame.columns)),
        "pyarrow": (table.num_rows, table.column_names),
        "duckdb": (duck_rows, duck_columns),
        "polars": (polar.height, polar.columns),
    }


def test_datasets_without_rows_read_as_empty_tables_with_their_columns(tmp_path):
    lake = tmp_path / "lake"
    store = open_store(str(lake))
    manifest = ingest(writer(store, tmp_path, "r1"), [], rejects=[])  # a run where every dataset is empty
    assert manifest["rows"] == {"articles": 0, "links": 0, "rejects": 0} and len(manifest["files"]) == 3
    for name, schema in SCHEMAS.items():
        expected = [*schema.names, PARTITION_KEY]
        assert columns_by_reader(lake, name) == dict.fromkeys(("pandas", "pyarrow", "duckdb", "polars"), (0, expected))


def test_rows_arriving_later_are_counted_once_and_empty_files_stop(tmp_path):
    lake = tmp_path / "lake"
    store = open_store(str(lake))
    first = ingest(writer(store, tmp_path, "r1"), [article(1, "r1")])
    assert sorted(f["dataset"] for f in first["files"] if f["rows"] == 0) == ["links", "rejects"]
    a, b = article(2, "r2"), article(3, "r2")
    second = ingest(writer(store, tmp_path, "r2"), [a, b], [link(a, b, "r2")], [reject("x.bin", "r2")])
    assert all(f["rows"] for f in second["files"])  # the datasets have files now: no more empty ones
    for name, rows in {"articles": 3, "links": 1, "rejects": 1}.items():
        assert set(reader_counts(lake, name).values()) == {rows}, name
    # compaction merges the empty file away and keeps the rows
    compact_partition(store, "rejects", f"{PARTITION_KEY}={DAY}", LakeConfig())
    assert [k.rsplit("/", 1)[1].startswith("part-compact-") for k in store.list_keys("rejects")] == [True]
    assert set(reader_counts(lake, "rejects").values()) == {1}


def test_compacting_only_empty_files_keeps_the_dataset_readable(tmp_path):
    lake = tmp_path / "lake"
    store = open_store(str(lake))
    ingest(writer(store, tmp_path, "r1"), [article(1, "r1")])
    # a second empty file, as when two writers on the Redis backend both found the dataset without one
    partition = lake / f"links/{PARTITION_KEY}={DAY}"
    (partition / "part-r0-0.parquet").write_bytes((partition / "part-r1-0.parquet").read_bytes())
    manifest = (lake / "_runs/r1.json").read_text().replace('"r1"', '"r0"').replace("part-r1-", "part-r0-")
    (lake / "_runs/r0.json").write_text(manifest)
    assert compact_partition(store, "links", f"{PARTITION_KEY}={DAY}", LakeConfig()) is not None
    assert columns_by_reader(lake, "links")["pandas"] == (0, [*SCHEMAS["links"].names, PARTITION_KEY])
