"""Temporary files of a local lake: never inside a dataset folder, where every name is read by some reader;
a writer killed before its rename leaves a file in ``_tmp/`` that no reader sees and the next run removes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.lake import open_store
from tests.crawl import REPO
from tests.lake.audit import reader_counts

PARTITION = "articles/ingest_date=2024-05-01"


@pytest.mark.parametrize("name", [".tmp-x.parquet", "_tmp-x.parquet", "x.parquet.part", ".x.parquet.part", "_x.part"])
def test_inside_a_dataset_folder_every_temporary_name_misleads_some_reader(tmp_path, name):
    folder = tmp_path / PARTITION
    folder.mkdir(parents=True)
    rows = pa.table({"doc_id": ["a", "b"]})
    pq.write_table(rows, folder / "part-r1-0.parquet")
    pq.write_table(rows, folder / name)  # the same rows, about to be renamed into place
    try:
        counts = reader_counts(tmp_path, "articles")
    except Exception as exc:  # noqa: BLE001 - polars refuses a folder of mixed extensions
        counts = {"error": repr(exc)}
    assert set(counts.values()) != {2}, counts


def test_a_writer_killed_before_its_rename_leaves_nothing_readers_see(tmp_path):
    lake = tmp_path / "lake"
    pq.write_table(pa.table({"doc_id": ["a", "b"]}), tmp_path / "part.parquet")
    dies_at_rename = textwrap.dedent(
        f"""
        import os, signal
        from pipeline.lake import open_store
        os.replace = lambda src, dst: os.kill(os.getpid(), signal.SIGKILL)
        open_store({str(lake)!r}).put_file({str(tmp_path / "part.parquet")!r}, "{PARTITION}/part-r1-0.parquet")
        """
    )
    killed = subprocess.run([sys.executable, "-c", dies_at_rename], cwd=REPO, capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr
    assert not list((lake / "articles").rglob("*.*"))
    (leftover,) = (lake / "_tmp").glob("*.part")
    pq.write_table(pa.table({"doc_id": ["c"]}), lake / PARTITION / "part-r0-0.parquet")  # an earlier run's file
    assert set(reader_counts(lake, "articles").values()) == {1}
    assert open_store(str(lake)).remove_leftovers([], older_than_hours=24) == [f"_tmp/{leftover.name}"]
