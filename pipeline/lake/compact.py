"""Compaction: rewrite one partition's many small files into few large ones, without changing the rows.

Atomic for readers that follow manifests (`manifest.committed_keys`: `newsdedup summary`, `report`,
`pipeline.lake.read`): the new files and a manifest of kind ``compact`` (naming the files it replaces) are
published first, then the old files are deleted; a reader that listed the old files before the manifest and
finds one gone reads again. If the command dies in between, the next `compact` finishes the deletions (and
removes the files of a compaction killed before its manifest). Only files that manifests list are compacted:
runs publishing meanwhile, or waiting in some spool, keep their own files. One compaction runs at a time
(`CompactionLease`): two would both replace the same files, and readers would count both outputs.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.lake.config import LakeConfig
from pipeline.lake.lease import CompactionLease
from pipeline.lake.manifest import (
    build_manifest,
    committed_keys,
    describe_file,
    list_run_ids,
    read_manifest,
    write_manifest,
)
from pipeline.lake.parquet import write_files
from pipeline.lake.schema import PARTITION_KEY, SCHEMAS
from pipeline.lake.store import Store

logger = logging.getLogger(__name__)


def run_id_of(key: str) -> str | None:
    """The run that wrote a data file: ``.../part-<run_id>-<n>.parquet`` -> run_id."""
    name = key.rsplit("/", 1)[-1]
    if not (name.startswith("part-") and name.endswith(".parquet")):
        return None
    return name[len("part-") : -len(".parquet")].rsplit("-", 1)[0]


def finish_pending_deletions(store: Store) -> list[str]:
    """Delete files that an earlier, interrupted compaction already replaced."""
    deleted: list[str] = []
    for run_id in list_run_ids(store):
        if not run_id.startswith("compact-"):
            continue
        manifest = read_manifest(store, run_id) or {}
        if manifest.get("replaced_deleted", True):
            continue
        leftover = [k for k in manifest.get("replaces", []) if store.exists(k)]
        store.delete_keys(leftover)
        deleted += leftover
        write_manifest(store, {**manifest, "replaced_deleted": True})
    return deleted


def compact_partition(store: Store, dataset: str, partition: str, config: LakeConfig) -> dict | None:
    """Compact ``<dataset>/<partition>``; returns the compaction manifest, or None if there was nothing to do.

    Raises `LakeBusy` while another compaction runs on the lake; runs publishing meanwhile are not waited for."""
    if dataset not in SCHEMAS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {', '.join(SCHEMAS)}")
    key, _, value = partition.partition("=")
    if key != PARTITION_KEY or not value:
        raise ValueError(f"partition must look like {PARTITION_KEY}=YYYY-MM-DD, not {partition!r}")
    datetime.strptime(value, "%Y-%m-%d")  # a malformed date is a usage error, not an empty partition
    compact_id = f"compact-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    lease = CompactionLease(store, compact_id, config.lease_seconds).acquire()
    try:
        return _compact(store, dataset, partition, config, compact_id, lease)
    finally:
        lease.release()


def _compact(
    store: Store, dataset: str, partition: str, config: LakeConfig, compact_id: str, lease: CompactionLease
) -> dict | None:
    finished = finish_pending_deletions(store)
    if finished:
        logger.warning("deleted %d file(s) an interrupted compaction had already replaced", len(finished))
    folder = f"{dataset}/{partition}/"
    committed = set(list_run_ids(store))
    # Files of a compaction killed before its manifest: no reader counts them, and no other compaction is running.
    orphans = [k for k in store.list_keys(folder.rstrip("/"))
               if (run_id_of(k) or "").startswith("compact-") and run_id_of(k) not in committed]  # fmt: skip
    if orphans:
        store.delete_keys(orphans)
        logger.warning("deleted %d file(s) of a compaction killed before its manifest", len(orphans))
    # What readers see now (runs publishing meanwhile are left for the next compaction)
    keys = [k for k in (committed_keys(store) or {}).get(dataset, []) if k.startswith(folder)]
    if len(keys) < 2:
        logger.info("%s/%s has %d committed file(s): nothing to compact", dataset, partition, len(keys))
        return None
    value = partition.partition("=")[2]
    schema = SCHEMAS[dataset]
    with tempfile.TemporaryDirectory(prefix="newsdedup-compact-") as tmp:
        inputs = []
        for i, old in enumerate(keys):
            local = Path(tmp) / f"in-{i}.parquet"
            store.get_file(old, local)
            inputs.append(local)

        def tables():
            for local in inputs:
                # spool-sized batches: write_files regroups them, so reading holds little beyond one output group
                for batch in pq.ParquetFile(local).iter_batches(batch_size=config.spool_batch_rows):
                    yield pa.Table.from_batches([batch])

        out = Path(tmp) / "out"
        # all-empty inputs still leave one file: the dataset keeps its columns for readers
        written = write_files(tables(), schema, out, f"part-{compact_id}", config, empty_file=True)
        rows_in = sum(pq.ParquetFile(p).metadata.num_rows for p in inputs)
        files = [describe_file(p, f"{dataset}/{partition}/{p.name}") for p in written]
        if sum(f["rows"] for f in files) != rows_in:
            raise RuntimeError(f"compaction of {dataset}/{partition} lost rows; nothing was changed")
        for f, path in zip(files, written, strict=True):
            store.put_file(path, f["key"], sha256=f["sha256"])
    manifest = build_manifest(
        run_id=compact_id,
        kind="compact",
        ingest_date=value,
        files=files,
        settings={"dataset": dataset, "partition": partition},
        lake_uri=store.uri,
        replaces=keys,
        replaced_deleted=False,
    )
    lease.confirm()  # a compaction that lost its lease (stalled past it) must not publish over another's
    write_manifest(store, manifest)
    store.delete_keys(keys)
    manifest["replaced_deleted"] = True
    write_manifest(store, manifest)
    logger.info("compacted %d file(s) of %s/%s into %d", len(keys), dataset, partition, len(files))
    return manifest
