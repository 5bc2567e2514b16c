"""`pipeline.recovery`: a spooled run's dedup state is committed, once, and its rows stay valid; spools stay
with their lake; leftovers of killed writers are removed; the lease is released however a run ends."""

from __future__ import annotations

import dataclasses
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from pipeline.dedup import DedupConfig, Deduplicator, compute_signature, open_index
from pipeline.lake import LakeConfig, LakeUnavailable, LakeWriter, open_store
from pipeline.lake.lease import LEASE_KEY, LakeBusy, WriterLease
from pipeline.lake.owner import temp_prefix
from pipeline.lake.schema import hive_partitioning
from pipeline.recovery import open_dedup
from tests.lake.rows import DAY, article, recover

WORDS = (
    "قالت الحكومة إن المفاوضات حول الاتفاق التجاري الجديد ستستأنف الأسبوع المقبل في العاصمة بحضور وفود من عشر دول"
).split()


def body(i: int, change: int | None = None) -> str:
    """A distinct article per `i`; `change` replaces one word: a near duplicate of `body(i)`."""
    words = [f"{w}{(i * 7 + k) % 13}" for k, w in enumerate(WORDS * 6)]
    if change is not None:
        words[change] = "تغيير"
    return " ".join(words)


def writer(store, tmp_path: Path, run_id: str, spool: str = "spool") -> LakeWriter:
    return LakeWriter(store, run_id=run_id, ingest_date=DAY, spool_dir=tmp_path / spool, config=LakeConfig())


def ingest(w: LakeWriter, dedup: Deduplicator, rows: list[dict], *, commit=None) -> dict:
    """What `IngestRun` does with these rows: sign, add, land, decide, close; `commit` replaces the index commit."""
    for row in rows:
        signature = compute_signature(
            row["text"], row["language"], dedup.config, title=row["title"], published_at=row["published_at"]
        )
        dedup.add(row["doc_id"], row["url"], signature)
        w.add_article(row)
    outcome = dedup.finish_run()
    for x in outcome.links:
        w.add_link(
            {"doc_id": x.doc_id, "other_doc_id": x.other_doc_id, "kind": x.kind, "similarity": x.similarity}
            | {"method": x.method, "run_id": w.run_id}
        )
    assignments = {d: (a.near_dup_of, a.story_id) for d, a in outcome.assignments.items()}
    index_run = outcome.update.run_seq if outcome.update is not None else None
    try:
        return w.close(assignments, settings={}, index_run=index_run,
                       before_manifest=(lambda: commit(outcome)) if commit else lambda: dedup.commit(outcome))
    except LakeUnavailable:
        dedup.abandon()  # as `IngestRun.close` does: the run's claims lapse
        raise


def lake_dedup(store) -> Deduplicator:
    return Deduplicator(DedupConfig(), open_index(DedupConfig(), store))


def table(lake: Path | str, name: str):
    return ds.dataset(Path(lake) / name, format="parquet", partitioning=hive_partitioning()).to_table()


def failing_commit(decision):
    raise ConnectionError("the store went away")


def test_a_run_spooled_before_its_commit_is_committed_then_published_with_its_own_decisions(tmp_path, caplog):
    store = open_store(str(tmp_path / "lake"))
    rows = [article(i, "r1", text=body(i)) for i in range(4)] + [article(9, "r1", text=body(0, change=5))]
    w1 = writer(store, tmp_path, "r1")
    with pytest.raises(LakeUnavailable, match="kept in the spool"):
        ingest(w1, lake_dedup(store), rows, commit=failing_commit)
    spooled = {r["doc_id"]: (r["near_dup_of"], r["story_id"]) for r in table(tmp_path / "lake", "articles").to_pylist()}
    assert spooled[rows[4]["doc_id"]] == (rows[0]["doc_id"], rows[0]["doc_id"])  # the near copy, decided at close

    w2 = writer(store, tmp_path, "r2")
    with caplog.at_level(logging.INFO):
        dedup, _ = recover(w2)
    assert "committing its 5 document(s)" in caplog.text and "the dedup index changed" not in caplog.text
    assert all(dedup.is_known(r["doc_id"]) for r in rows)
    ingest(w2, dedup, [article(20, "r2", text=body(20))])
    got = {r["doc_id"]: (r["near_dup_of"], r["story_id"]) for r in table(tmp_path / "lake", "articles").to_pylist()}
    assert {d: got[d] for d in spooled} == spooled and len(got) == 6
    index = open_index(DedupConfig(), store)
    assert index.manifest["n_docs"] == 6 and len(index.manifest["segments"]) == 2


def test_a_run_killed_after_its_commit_is_published_without_committing_again(tmp_path, caplog):
    store = open_store(str(tmp_path / "lake"))
    dedup = lake_dedup(store)
    rows = [article(i, "r1", text=body(i)) for i in range(3)]

    def commit_then_die(decision):
        dedup.commit(decision)
        raise ConnectionError("killed between the commit and the manifest")

    with pytest.raises(LakeUnavailable):
        ingest(writer(store, tmp_path, "r1"), dedup, rows, commit=commit_then_die)
    with caplog.at_level(logging.INFO):
        _, published = recover(writer(store, tmp_path, "r2"))
    assert "already in the dedup index" in caplog.text and published
    index = open_index(DedupConfig(), store)
    assert index.manifest["n_docs"] == 3 and len(index.manifest["segments"]) == 1


def test_a_run_whose_index_moved_on_is_decided_again_against_it(tmp_path, redis_url, caplog):
    """Redis backend: another writer committed a near copy of a spooled article before it was recovered."""
    config = DedupConfig(backend="redis", redis_url=redis_url, redis_prefix=f"test:{uuid.uuid4().hex}", claim_ttl_seconds=1)
    store = open_store(str(tmp_path / "lake"))
    first = article(1, "r1", text=body(1))
    with pytest.raises(LakeUnavailable):
        ingest(
            writer(store, tmp_path, "r1"),
            Deduplicator(config, open_index(config, store)),
            [first],
            commit=failing_commit,
        )
    copy = article(2, "r2", text=body(1, change=3))  # on another host: its own spool
    ingest(writer(store, tmp_path, "r2", spool="other-spool"), Deduplicator(config, open_index(config, store)), [copy])
    with caplog.at_level(logging.WARNING):
        recover(writer(store, tmp_path, "r3"), config)[0].index.close()
    assert "decided again" in caplog.text
    rows = {r["doc_id"]: r for r in table(tmp_path / "lake", "articles").to_pylist()}
    assert rows[first["doc_id"]]["near_dup_of"] == copy["doc_id"]  # the copy was committed first
    links = table(tmp_path / "lake", "links").to_pylist()
    assert [(x["doc_id"], x["other_doc_id"], x["kind"], x["run_id"]) for x in links] == [
        (first["doc_id"], copy["doc_id"], "near_duplicate", "r1")
    ]


def test_a_spooled_run_is_published_only_into_its_own_lake(tmp_path, caplog):
    prod, other = open_store(str(tmp_path / "prod")), open_store(str(tmp_path / "other"))
    with pytest.raises(LakeUnavailable):
        ingest(writer(prod, tmp_path, "r1"), lake_dedup(prod), [article(1, "r1", text=body(1))], commit=failing_commit)
    w2 = writer(other, tmp_path, "r2")
    with caplog.at_level(logging.WARNING):
        _, published = recover(w2)
    w2.close({}, settings={})
    assert published == [] and f"spooled run r1 belongs to the lake {prod.uri}, not {other.uri}" in caplog.text
    assert (tmp_path / "spool/r1/state.json").exists() and not (tmp_path / "other/_runs/r1.json").exists()
    _, published = recover(writer(prod, tmp_path, "r3"))
    assert "articles/ingest_date=2024-05-01/part-r1-0.parquet" in published


def test_a_spool_written_before_runs_recorded_their_lake_goes_by_its_lake_uri_setting(tmp_path, caplog):
    prod, other = open_store(str(tmp_path / "prod")), open_store(str(tmp_path / "other"))
    w1 = writer(prod, tmp_path, "r1")
    w1.add_article(article(1, "r1", text=body(1)))
    with pytest.raises(LakeUnavailable):
        w1.close({}, settings={"LAKE_URI": str(tmp_path / "prod")}, before_manifest=failing_commit)
    (tmp_path / "spool/r1/lake").unlink()  # as an earlier version left it
    with caplog.at_level(logging.WARNING):
        assert recover(writer(other, tmp_path, "r2"))[1] == []
    assert f"belongs to the lake {prod.uri}" in caplog.text


def test_leftovers_of_dead_writers_are_removed_and_live_ones_kept(tmp_path):
    store = open_store(str(tmp_path / "lake"))
    dead_pid = int(subprocess.check_output([sys.executable, "-c", "import os; print(os.getpid())"], text=True))
    temp = tmp_path / "lake/_tmp"
    temp.mkdir(parents=True)
    mine = temp / f"{temp_prefix()}abc.part"
    dead = temp / f"{temp_prefix().replace(f'-{os.getpid()}-', f'-{dead_pid}-')}abc.part"
    other_host = temp / "0badc0de-4026531836-1-abc.part"
    legacy = tmp_path / "lake/articles/ingest_date=2024-05-01/.tmp-k2j3.parquet"
    legacy.parent.mkdir(parents=True)
    for path in (mine, dead, other_host, legacy):
        path.write_bytes(b"PAR1")
    w = writer(store, tmp_path, "r1")
    recover(w)
    w.close({}, settings={})
    assert mine.exists() and other_host.exists() and not dead.exists() and not legacy.exists()


def test_lease_refusal_leaves_nothing_and_the_lease_is_released_when_a_close_fails(tmp_path):
    store = open_store(str(tmp_path / "lake"))
    holder = WriterLease(store, "r0", 60).acquire()
    w1 = writer(store, tmp_path, "r1")
    with pytest.raises(LakeBusy, match="being written by run r0"):
        open_dedup(w1, DedupConfig(), count=lambda key, n=1: None)
    assert not (tmp_path / "spool/r1").exists()
    holder.release()

    w2 = writer(store, tmp_path, "r2")
    dedup = open_dedup(w2, DedupConfig(), count=lambda key, n=1: None)
    assert store.exists(LEASE_KEY)
    with pytest.raises(LakeUnavailable):
        ingest(w2, dedup, [article(1, "r2", text=body(1))], commit=failing_commit)
    assert not store.exists(LEASE_KEY)


def test_several_writers_are_allowed_with_the_redis_backend(tmp_path, redis_url):
    config = dataclasses.replace(
        DedupConfig(), backend="redis", redis_url=redis_url, redis_prefix=f"test:{uuid.uuid4().hex}"
    )
    store = open_store(str(tmp_path / "lake"))
    first = open_dedup(writer(store, tmp_path, "r1"), config, count=lambda key, n=1: None)
    second = open_dedup(writer(store, tmp_path, "r2", spool="other-spool"), config, count=lambda key, n=1: None)
    assert not store.exists(LEASE_KEY)
    first.index.close()
    second.index.close()
