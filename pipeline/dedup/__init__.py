"""Dedup engine: exact, near-duplicate and same-story links over a persistent index (see docs/dedup.md)."""

from __future__ import annotations

from pipeline.dedup.config import DedupConfig
from pipeline.dedup.index import DedupIndex, LakeIndex, open_index
from pipeline.dedup.links import EXACT, NEAR, STORY, Assignment, Deduplicator, Link, RunOutcome
from pipeline.dedup.signatures import DocSignature, compute_signature, content_hash, make_doc_id

__all__ = [
    "EXACT", "NEAR", "STORY", "Assignment", "DedupConfig", "DedupIndex", "Deduplicator", "DocSignature",
    "LakeIndex", "Link", "RunOutcome", "compute_signature", "content_hash", "make_doc_id", "open_index",
]  # fmt: skip
