"""Fixtures for the dedup tests: gold seed bodies and signatures (redis-server comes from tests/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.dedup import DedupConfig, compute_signature, make_doc_id

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


@pytest.fixture(scope="session")
def seed_bodies() -> dict[str, str]:
    """Gold bodies of the five seeds, keyed by their 3-digit prefix ('000' .. '004')."""
    docs = json.loads((RESOURCES / "seeds_gold.json").read_text(encoding="utf-8"))["documents"]
    return {name[:3]: "\n".join(doc["body"]) for name, doc in docs.items()}


@pytest.fixture
def config() -> DedupConfig:
    return DedupConfig()


def seed_doc(seed_bodies, key: str, config: DedupConfig, url: str | None = None):
    """(doc_id, url, signature) of one seed, as the pipeline would compute them."""
    url = url or f"file:///seeds/{key}.txt"
    sig = compute_signature(seed_bodies[key], "ar", config)
    return make_doc_id(url, sig.content_hash), url, sig
