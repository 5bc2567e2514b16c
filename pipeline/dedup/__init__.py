"""Dedup engine: exact, near-duplicate and same-story links over a persistent index (see docs/dedup.md)."""

from __future__ import annotations

from pipeline.dedup.config import DedupConfig
from pipeline.dedup.links import CLAIMED, EXACT, GRANTED, KNOWN, NEAR, STORY, Assignment, Deduplicator, Link, RunDecision
from pipeline.dedup.signatures import DocSignature, compute_signature, content_hash, make_doc_id
from pipeline.dedup.storage import IndexStorage, open_index

__all__ = [
    "CLAIMED", "EXACT", "GRANTED", "KNOWN", "NEAR", "STORY", "Assignment", "DedupConfig", "Deduplicator", "DocSignature", "IndexStorage", "Link",
    "RunDecision", "compute_signature", "content_hash", "make_doc_id", "open_index",
]  # fmt: skip
