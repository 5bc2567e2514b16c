"""Run manifests: `_runs/<run_id>.json` lists a run's files and is written last, as its commit point.

A data file in the lake whose run has no manifest belongs to an incomplete run (its spool is still
waiting to be published). Compaction writes a manifest of kind ``compact`` naming the files it replaced.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from pipeline.lake.parquet import num_rows
from pipeline.lake.schema import SCHEMAS
from pipeline.lake.store import Store, file_sha256

logger = logging.getLogger(__name__)

MANIFEST_FORMAT = 1
RUNS_PREFIX = "_runs/"


def manifest_key(run_id: str) -> str:
    return f"{RUNS_PREFIX}{run_id}.json"


def dataset_of(key: str) -> str:
    return key.split("/", 1)[0]


def describe_file(path: Path, key: str) -> dict:
    """What the manifest records about one data file."""
    return {
        "key": key,
        "dataset": dataset_of(key),
        "rows": num_rows(path),
        "bytes": path.stat().st_size,
        "sha256": file_sha256(path),
    }


def build_manifest(
    *,
    run_id: str,
    kind: str,
    ingest_date: str,
    files: list[dict],
    settings: dict,
    lake_uri: str,
    **extra,
) -> dict:
    """The manifest dict; `rows` totals every dataset (zeros included) so readers need not sum files."""
    rows = {name: 0 for name in SCHEMAS}
    for f in files:
        rows[f["dataset"]] += f["rows"]
    return {
        "format": MANIFEST_FORMAT,
        "run_id": run_id,
        "kind": kind,
        "ingest_date": ingest_date,
        "lake": lake_uri,
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": files,
        "rows": rows,
        "bytes": sum(f["bytes"] for f in files),
        "settings": settings,
        **extra,
    }


def write_manifest(store: Store, manifest: dict) -> None:
    data = json.dumps(manifest, indent=1, sort_keys=True, default=str).encode("utf-8")
    store.write_bytes(manifest_key(manifest["run_id"]), data)


def read_manifest(store: Store, run_id: str) -> dict | None:
    data = store.read_bytes(manifest_key(run_id))
    return json.loads(data) if data is not None else None


def list_run_ids(store: Store) -> list[str]:
    """Ids of every run (and compaction) that has a manifest, in key order."""
    return [
        key[len(RUNS_PREFIX) : -len(".json")]
        for key in store.list_keys(RUNS_PREFIX.rstrip("/"))
        if key.endswith(".json")
    ]


def read_manifests(store: Store) -> list[dict]:
    """Every manifest of the lake (runs and compactions), in key order; one GET each, a few at a time."""
    from concurrent.futures import ThreadPoolExecutor

    keys = [key for key in store.list_keys(RUNS_PREFIX.rstrip("/")) if key.endswith(".json")]
    with ThreadPoolExecutor(max_workers=8) as pool:
        blobs = list(pool.map(store.read_bytes, keys))
    manifests = []
    for key, blob in zip(keys, blobs, strict=True):
        try:
            manifests.append(json.loads(blob))
        except (TypeError, ValueError):
            logger.warning("%s: unreadable manifest, its files are left out", key)
    return manifests


def committed_keys(store: Store) -> dict[str, list[str]] | None:
    """The data files of each dataset that readers see now (`listed_files` of the lake's manifests)."""
    return listed_files(read_manifests(store))


def listed_files(manifests: list[dict]) -> dict[str, list[str]] | None:
    """The data files of each dataset that `manifests` list, minus those a compaction replaced (deleted only
    after its own manifest is written). Files of a run still publishing, or waiting in some spool, are in no
    manifest yet. None when no run of ours wrote the folder (no manifest)."""
    if not manifests:
        return None
    listed: set[str] = set()
    replaced: set[str] = set()
    for manifest in manifests:
        listed.update(f["key"] for f in manifest.get("files", []))
        replaced.update(manifest.get("replaces", []))
    keys = sorted(listed - replaced)
    return {name: [k for k in keys if dataset_of(k) == name] for name in SCHEMAS}
