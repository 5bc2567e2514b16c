"""Row factories shared by the lake tests: realistic rows with the contract's columns, and a run's recovery."""

from __future__ import annotations

import datetime as dt

from pipeline.dedup import DedupConfig, Deduplicator, content_hash, make_doc_id
from pipeline.lake import LakeWriter
from pipeline.lake.manifest import list_run_ids, read_manifest
from pipeline.recovery import open_dedup

FETCHED = dt.datetime(2024, 5, 1, 8, 30, tzinfo=dt.UTC)
DAY = dt.date(2024, 5, 1)


def article(i: int, run_id: str, *, text: str | None = None) -> dict:
    body = text if text is not None else f"فقرة أولى من الخبر رقم {i}\nفقرة ثانية"
    url = f"file:///data/{i:03d}_article.txt"
    digest = content_hash(body)  # as the dedup stage computes it, so recovery signs the row back to it
    return {
        "doc_id": make_doc_id(url, digest),
        "url": url,
        "source": "file",
        "title": f"عنوان {i}",
        "text": body,
        "language": "ar",
        "author": None,
        "published_at": None,
        "fetched_at": FETCHED,
        "extraction": "text",
        "content_hash": digest,
        "run_id": run_id,
    }


def link(a: dict, b: dict, run_id: str, kind: str = "same_story", similarity: float = 0.05) -> dict:
    return {"doc_id": b["doc_id"], "other_doc_id": a["doc_id"], "kind": kind, "similarity": similarity, "run_id": run_id}


def reject(name: str, run_id: str, reason: str = "empty") -> dict:
    return {"url": f"file:///data/{name}", "stage": "source", "reason": reason, "detail": "0 bytes", "run_id": run_id}


def recover(writer: LakeWriter, config: DedupConfig | None = None) -> tuple[Deduplicator, list[str]]:
    """What a run does when it opens (`pipeline.recovery.open_dedup`); also returns the keys it published."""
    before = set(list_run_ids(writer.store))
    dedup = open_dedup(writer, config or DedupConfig(), count=lambda key, n=1: None)
    new_runs = sorted(set(list_run_ids(writer.store)) - before)
    return dedup, sorted(f["key"] for run_id in new_runs for f in read_manifest(writer.store, run_id)["files"])
