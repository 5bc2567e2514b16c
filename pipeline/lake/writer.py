"""`LakeWriter`: spools one run's rows, then publishes final Parquet files and the run manifest.

Order of a close, which is what makes a run all-or-nothing for readers that follow manifests and
makes a failed publish resumable: final files are written into the spool, `state.json` marks the run
ready, every file is uploaded (deterministic keys: a retry overwrites, never duplicates), the writer
lease (if held) is confirmed, the caller's `before_manifest` commits the dedup index, and the manifest
is written last. Any failure leaves the spool in place; the next run on the same lake publishes it
before new work (`pipeline/recovery.py`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pyarrow as pa

from pipeline.lake.config import LakeConfig
from pipeline.lake.lease import WriterLease
from pipeline.lake.manifest import build_manifest, describe_file, read_manifest, write_manifest
from pipeline.lake.parquet import write_files
from pipeline.lake.pending import SpooledRun, waiting_runs
from pipeline.lake.rejects import lake_reject_keys
from pipeline.lake.schema import ARTICLES, FILLED_AT_CLOSE, SCHEMAS, check_row, partition_dir
from pipeline.lake.spool import RowSpool, RunDir
from pipeline.lake.store import LakeUnavailable, Store

logger = logging.getLogger(__name__)

SPOOLED_ARTICLES = pa.schema([f for f in ARTICLES if f.name not in FILLED_AT_CLOSE])


class LakeWriter:
    """One run's writer: `add_*` rows during the crawl, `close` once at the end."""

    def __init__(
        self, store: Store, *, run_id: str, ingest_date: dt.date, spool_dir: Path, config: LakeConfig
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.ingest_date = ingest_date.isoformat()
        self.spool_dir = Path(spool_dir).resolve()
        self.config = config
        self.run = RunDir(self.spool_dir / run_id)
        self.run.lock(wait=True)
        self.run.claim(store.uri)
        schemas = {"articles": SPOOLED_ARTICLES, "links": SCHEMAS["links"], "rejects": SCHEMAS["rejects"]}
        self.spools = {
            name: RowSpool(self.run.pending(name), schema, config.spool_batch_rows, config.spool_batch_bytes)
            for name, schema in schemas.items()
        }
        self.lease: WriterLease | None = None
        self.closed = False

    def acquire_lease(self) -> None:
        """Be the lake's only writer until `close` (raises `LakeBusy` naming the writer that is)."""
        self.lease = WriterLease(self.store, self.run_id, self.config.lease_seconds).acquire()

    def discard(self) -> None:
        """Give up a run that could not start: release the lease, remove its (empty) spool folder."""
        self.closed = True
        if self.lease is not None:
            self.lease.release()
        self.run.remove()

    # ---- rows -------------------------------------------------------------------------------
    def add_article(self, row: dict) -> None:
        """Spool one article (every ARTICLES column except near_dup_of/story_id, filled at close)."""
        check_row("articles", row, skip=FILLED_AT_CLOSE)
        if set(FILLED_AT_CLOSE) & set(row):
            raise ValueError(f"articles: {FILLED_AT_CLOSE} are filled by close(), not by add_article")
        self.spools["articles"].add(row)

    def add_link(self, row: dict) -> None:
        check_row("links", row)
        self.spools["links"].add(row)

    def add_reject(self, row: dict) -> None:
        """Spool a reject; one equal by (url, stage, reason) to a reject already in the lake is dropped at close."""
        check_row("rejects", row)
        self.spools["rejects"].add(row)

    # ---- recovery ---------------------------------------------------------------------------
    def waiting_runs(self) -> list[SpooledRun]:
        """Closed runs of this lake waiting in the spool, locked by this process (see `pending.waiting_runs`).

        A run whose manifest is already in the lake (killed just after writing it) is only cleaned up."""
        runs = []
        for run in waiting_runs(self.spool_dir, self.run_id, self.store.uri):
            if read_manifest(self.store, run.run_id) is not None:
                logger.info("spooled run %s was already published; removing %s", run.run_id, run.dir.path)
                run.dir.remove()
            else:
                runs.append(run)
        return runs

    def remove_leftovers(self, runs: list[SpooledRun]) -> list[str]:
        """Remove what killed writers left in the lake: temporary files, unfinished multipart uploads."""
        pending = [key for run in runs for key in run.dir.final_keys()]
        removed = self.store.remove_leftovers(pending, self.config.stale_upload_hours)
        if removed:
            logger.warning("removed %d leftover(s) of killed writers: %s", len(removed), ", ".join(removed))
        return removed

    def publish_spooled(
        self, run: SpooledRun, *, gone: Sequence[str] = (), before_manifest: Callable[[], None] | None = None
    ) -> dict:
        """Publish a run another process left in the spool; `gone`: its keys an earlier attempt uploaded but it no longer has."""
        if gone:
            self.store.delete_keys(list(gone))
        # Its rejects again, against the lake as it is now: its inputs may have gone back to a queue and been
        # rejected by another run since it closed.
        run.state["rejects_final"] = False
        manifest = self._publish(run.dir, run.state, before_manifest=before_manifest, recovered_by=self.run_id)
        logger.warning("published run %s from the spool (%s rows)", run.run_id, manifest["rows"])
        return manifest

    # ---- close ------------------------------------------------------------------------------
    def close(
        self,
        assignments: Mapping[str, tuple[str | None, str]],
        *,
        settings: dict,
        index_run: int | None = None,
        before_manifest: Callable[[], None] | None = None,
    ) -> dict:
        """Finalize, publish and commit the run; returns its manifest. Raises LakeUnavailable (spool kept).

        `index_run`: the number the dedup index gives this run's documents when `before_manifest` commits them,
        kept in the spool: a recovery tells the run's own commit from another run's by it."""
        if self.closed:
            raise RuntimeError(f"run {self.run_id} is already closed")
        self.closed = True
        for spool in self.spools.values():
            spool.flush()
        state = {
            "run_id": self.run_id,
            "ingest_date": self.ingest_date,
            "settings": settings,
            "counts": self._finalize(assignments),
            "rejects_final": False,
            "index_run": index_run,
        }
        self.run.write_state(state)
        try:
            return self._publish(self.run, state, before_manifest=before_manifest)
        finally:
            self.run.unlock()  # published, or ready for whichever run recovers it
            if self.lease is not None:
                self.lease.release()

    def _finalize(self, assignments: Mapping[str, tuple[str | None, str]]) -> dict:
        seen: set[str] = set()
        missing = 0

        def articles():
            nonlocal missing
            for table in self.spools["articles"].tables():
                ids = table["doc_id"].to_pylist()
                keep = [i not in seen and not seen.add(i) for i in ids]  # first of repeated doc_ids wins
                table = table.filter(pa.array(keep, pa.bool_()))
                near, story = [], []
                for doc_id in table["doc_id"].to_pylist():
                    found = assignments.get(doc_id)
                    if found is None:
                        missing += 1
                        found = (None, doc_id)  # unassigned: its own singleton story
                    near.append(found[0])
                    story.append(found[1])
                yield table.append_column("near_dup_of", pa.array(near, pa.string())).append_column(
                    "story_id", pa.array(story, pa.string())
                )

        counts = {
            "articles": self._write_final("articles", articles()),
            "links": self._write_final("links", self.spools["links"].tables()),
        }
        if missing:
            logger.warning("%d article(s) had no dedup assignment; each is its own story", missing)
        return counts

    def _write_final(self, dataset: str, tables) -> int:
        out = self.run.final(partition_dir(dataset, self.ingest_date))
        files = write_files(tables, SCHEMAS[dataset], out, f"part-{self.run_id}", self.config)
        return sum(describe_file(f, "")["rows"] for f in files)

    # ---- publish ----------------------------------------------------------------------------
    def _publish(
        self,
        run: RunDir,
        state: dict,
        *,
        before_manifest: Callable[[], None] | None,
        recovered_by: str | None = None,
    ) -> dict:
        try:
            if not state["rejects_final"]:
                self._finalize_rejects(run, state)
            self._give_schema_to_empty_datasets(run, state)
            files = [describe_file(run.final(key), key) for key in run.final_keys()]
            for f in files:
                self.store.put_file(run.final(f["key"]), f["key"], sha256=f["sha256"])
                logger.debug("uploaded %s (%d bytes)", f["key"], f["bytes"])
            if before_manifest is not None:
                if self.lease is not None:
                    self.lease.confirm()
                try:
                    before_manifest()
                except LakeUnavailable:
                    raise
                except Exception as exc:
                    raise LakeUnavailable(f"committing the dedup state failed: {type(exc).__name__}: {exc}") from exc
            extra = {"recovered_by": recovered_by} if recovered_by else {}
            manifest = build_manifest(
                run_id=state["run_id"],
                kind="ingest",
                ingest_date=state["ingest_date"],
                files=files,
                settings=state["settings"],
                lake_uri=self.store.uri,
                **extra,
            )
            write_manifest(self.store, manifest)
        except LakeUnavailable as exc:
            raise LakeUnavailable(
                f"{exc}. Run {state['run_id']} is not published; everything is kept in the spool "
                f"{run.path} and the next run publishes it before new work."
            ) from exc
        run.remove()
        return manifest

    def _give_schema_to_empty_datasets(self, run: RunDir, state: dict) -> None:
        """A dataset with no file in the lake gets one of zero rows from this run, so readers find its columns.

        Zero rows: no reader counts anything twice. Only while the dataset has no file: the lake does not
        fill up with empty files, one per run."""
        keys = run.final_keys()
        for dataset, schema in SCHEMAS.items():
            if any(k.startswith(f"{dataset}/") for k in keys) or self.store.has_keys(dataset):
                continue
            out = run.final(partition_dir(dataset, state["ingest_date"]))
            write_files([], schema, out, f"part-{state['run_id']}", self.config, empty_file=True)

    def _finalize_rejects(self, run: RunDir, state: dict) -> None:
        """Write the run's rejects file, minus rejects already in the lake (needs the store, so done here)."""
        known = lake_reject_keys(self.store, exclude_run=state["run_id"])
        spool = RowSpool(run.pending("rejects"), SCHEMAS["rejects"], 1, 1)

        def fresh():
            for table in spool.tables():
                keys = zip(*(table[c].to_pylist() for c in ("url", "stage", "reason")), strict=True)
                keep = [k not in known and not known.add(k) for k in keys]
                yield table.filter(pa.array(keep, pa.bool_()))

        out = run.final(partition_dir("rejects", state["ingest_date"]))
        files = write_files(fresh(), SCHEMAS["rejects"], out, f"part-{state['run_id']}", self.config)
        state["counts"]["rejects"] = sum(describe_file(f, "")["rows"] for f in files)
        state["rejects_final"] = True
        run.write_state(state)
