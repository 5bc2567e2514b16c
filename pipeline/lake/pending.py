"""Runs waiting in the spool to be published: which belong to this lake, their rows, their links re-decided.

A run that closed (`state.json` written) but was not published, because the store failed or the process
was killed, waits in its spool folder; the next run on the same lake publishes it before new work
(`pipeline/recovery.py` drives that). Folders of other lakes are left alone.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.lake.config import LakeConfig
from pipeline.lake.parquet import num_rows, write_files
from pipeline.lake.schema import ARTICLES, LINKS, partition_dir
from pipeline.lake.spool import RunDir, other_runs
from pipeline.lake.store import open_store

logger = logging.getLogger(__name__)

REASSIGNED_DIR = "reassigned"


@dataclass
class SpooledRun:
    """A closed run in the spool, locked by this process while it is recovered."""

    dir: RunDir
    state: dict

    @property
    def run_id(self) -> str:
        return self.dir.run_id

    def keys(self, dataset: str) -> list[str]:
        return [k for k in self.dir.final_keys() if k.startswith(f"{dataset}/")]

    def batches(self, dataset: str, columns: list[str] | None = None, batch_rows: int = 2_000) -> Iterator[pa.Table]:
        """The run's final rows of `dataset`, in order, a few thousand at a time."""
        for key in self.keys(dataset):
            for batch in pq.ParquetFile(self.dir.final(key)).iter_batches(batch_size=batch_rows, columns=columns):
                yield pa.Table.from_batches([batch])

    def assignments(self) -> dict[str, tuple[str | None, str]]:
        """doc_id -> (near_dup_of, story_id) as the run decided them."""
        out: dict[str, tuple[str | None, str]] = {}
        for table in self.batches("articles", ["doc_id", "near_dup_of", "story_id"]):
            pairs = zip(table["near_dup_of"].to_pylist(), table["story_id"].to_pylist(), strict=True)
            out.update(zip(table["doc_id"].to_pylist(), pairs, strict=True))
        return out

    def links(self) -> set[tuple[str, str, str, float]]:
        """(doc_id, other_doc_id, kind, similarity) of every link the run decided."""
        out: set[tuple[str, str, str, float]] = set()
        for table in self.batches("links", ["doc_id", "other_doc_id", "kind", "similarity"]):
            out.update(zip(*(table[c].to_pylist() for c in table.column_names), strict=True))
        return out

    def reassign(
        self,
        assignments: Mapping[str, tuple[str | None, str]],
        links: list[dict],
        config: LakeConfig,
        drop: Collection[str] = frozenset(),
    ) -> list[str]:
        """Rewrite the run's final articles (near_dup_of, story_id) and links as decided again, without the
        articles in `drop` (landed by another run meanwhile).

        New files are written aside, then renamed over the old ones (same names: a row count does not
        change), then old files left over are deleted: a kill at any point leaves every row in place.
        Returns the lake keys the run no longer has (to delete where an earlier attempt uploaded them).
        """
        before = set(self.dir.final_keys())
        scratch = self.dir.path / REASSIGNED_DIR
        shutil.rmtree(scratch, ignore_errors=True)
        day, prefix = self.state["ingest_date"], f"part-{self.run_id}"

        def articles() -> Iterator[pa.Table]:
            for table in self.batches("articles", batch_rows=config.spool_batch_rows):
                if drop:
                    table = table.filter(pa.array([d not in drop for d in table["doc_id"].to_pylist()], pa.bool_()))
                found = [assignments.get(d, (None, d)) for d in table["doc_id"].to_pylist()]
                for name, values in (("near_dup_of", [f[0] for f in found]), ("story_id", [f[1] for f in found])):
                    table = table.set_column(table.schema.get_field_index(name), name, pa.array(values, pa.string()))
                yield table

        written = write_files(articles(), ARTICLES, scratch / partition_dir("articles", day), prefix, config)
        new_links = [pa.Table.from_pylist(links, schema=LINKS)]
        written += write_files(new_links, LINKS, scratch / partition_dir("links", day), prefix, config)
        after = {path.relative_to(scratch).as_posix() for path in written}
        for path in written:
            target = self.dir.final(path.relative_to(scratch).as_posix())
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
        gone = sorted(k for k in before - after if k.startswith(("articles/", "links/")))
        for key in gone:
            self.dir.final(key).unlink()
        shutil.rmtree(scratch, ignore_errors=True)
        self.state["counts"].update(
            articles=sum(num_rows(self.dir.final(k)) for k in self.keys("articles")),
            links=sum(num_rows(self.dir.final(k)) for k in self.keys("links")),
        )
        self.dir.write_state(self.state)
        return gone


def lake_of(run: RunDir, state: dict | None) -> str | None:
    """The lake a spooled run belongs to; for folders from before runs recorded it, the run's LAKE_URI setting."""
    recorded = run.lake()
    if recorded is not None:
        return recorded
    setting = (state or {}).get("settings", {}).get("LAKE_URI")
    return open_store(setting, LakeConfig()).uri if setting else None


def waiting_runs(spool_dir: Path, current_run_id: str, lake_uri: str) -> list[SpooledRun]:
    """Closed runs of the lake `lake_uri` in the spool, oldest first, each locked by this process.

    Runs that died before closing are discarded (nothing of them was published or committed); runs still
    being written by a live process, and runs of other lakes, are left alone.
    """
    ready: list[SpooledRun] = []
    for run in other_runs(spool_dir, current_run_id):
        state = run.read_state()
        lake = lake_of(run, state)
        if lake is not None and lake != lake_uri:
            logger.warning(
                "spooled run %s belongs to the lake %s, not %s: left alone in %s (the next run on %s publishes it)",
                run.run_id, lake, lake_uri, run.path, lake,
            )  # fmt: skip
            continue
        if not run.lock(wait=False):
            logger.info("spooled run %s is still being written by a live process; left alone", run.run_id)
            continue
        state = run.read_state()  # again, under the lock: its writer may have closed in between
        if state is None:
            logger.warning(
                "run %s stopped before it finished writing: none of it was published or committed, "
                "so its inputs will be ingested again; discarding %s",
                run.run_id,
                run.path,
            )
            run.remove()
            continue
        ready.append(SpooledRun(run, state))
    return ready
