"""The storage interface of the dedup index, and `open_index` for the configured backend.

A backend is plain storage, as datasketch's `MinHashLSH` sits over `ordered_storage`/`unordered_storage`: it
keeps committed documents and posting lists (key -> documents) and answers lookups. Which keys a document
is posted under, how shared keys are counted into candidates and every decision belong to the algorithm
(`links.Deduplicator` and the stages it runs), so the lake and Redis backends give the same links.

Several writers on one index (phase 2) need two more operations: `claim()`, an atomic claim of doc_ids
before `add()` (the first process to meet a page lands it; see docs/dedup.md), and `exclusive()`, which
serializes the runs' decide-and-commit so that each run is decided against every run committed before it.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from pipeline.config import ConfigError
from pipeline.dedup.config import DedupConfig
from pipeline.dedup.pairs import Holders
from pipeline.dedup.records import DocFreq, Postings, StoredDoc

logger = logging.getLogger(__name__)

FORMAT = 4  # 3: title in the shingles, site and publish day per document, posting keys stored as given; 4: near_size

NEAR, STORY = "near", "story"  # the two posting kinds: LSH band keys and indexed story values

# What `claim()` answers for each doc_id
GRANTED = "granted"  # this token holds it now: add it
KNOWN = "known"  # committed by an earlier run
CLAIMED = "claimed"  # held by another live process: it lands the page


def signature_params(config: DedupConfig) -> dict:
    """Parameters that change signatures or keys: an index built with other values cannot be reused."""
    return {
        "format": FORMAT,
        "seed": config.seed,
        "num_perm": config.num_perm,
        "near_bands": config.near_bands,
        "near_shingle_words": config.near_shingle_words,
        "near_shingle_chars": config.near_shingle_chars,
        "story_shingle_words": config.story_shingle_words,
        "story_shingle_chars": config.story_shingle_chars,
        "story_common_zipf": config.story_common_zipf,
        "df_width": config.df_width,
        "df_depth": config.df_depth,
    }


def params_mismatch(where: str, stored, wanted: dict, knob: str) -> ConfigError:
    return ConfigError(
        f"dedup state in {where} was built with {stored}, the config asks for {wanted}; "
        f"restore those dedup settings, point {knob} at a new location, or rebuild the index from the lake's "
        "articles with `newsdedup reindex --lake URI` (docs/dedup.md)"
    )


class IndexStorage(ABC):
    """Committed documents, their posting lists and the document-frequency table; one commit per run."""

    shared = False  # True when other processes write the same index: claims must then be renewed

    def __init__(self, config: DedupConfig) -> None:
        self.config = config

    @abstractmethod
    def begin_run(self) -> int:
        """Reserve the sequence number of a new run (larger than every committed run's)."""

    @abstractmethod
    def doc_freq(self) -> DocFreq:
        """Shingle document frequencies as of now (a copy: the caller adds the run's counts)."""

    @abstractmethod
    def known(self, doc_id: str) -> bool:
        """Whether `doc_id` was committed by an earlier run."""

    @abstractmethod
    def run_of(self, doc_ids: list[str]) -> dict[str, int]:
        """The sequence number of the run that committed each of `doc_ids` the index knows (others left out)."""

    def claim(self, doc_ids: list[str], token: str, ttl_ms: int) -> list[str]:
        """GRANTED, KNOWN or CLAIMED for each of `doc_ids`, atomically per id. Claims of one `token` last `ttl_ms`
        unless renewed; `commit(..., token)` turns them into records. A single writer grants what it does not know."""
        return [KNOWN if self.known(doc_id) else GRANTED for doc_id in doc_ids]

    def renew_claims(self, token: str, ttl_ms: int) -> int:
        """Extend every claim `token` holds by `ttl_ms`; returns how many it had lost (expired, taken by another)."""
        return 0

    @contextmanager
    def exclusive(self, ttl_ms: int) -> Iterator[None]:
        """Hold the index alone (between deciding a run and committing it); a single writer always does."""
        yield

    @abstractmethod
    def postings(self, kind: str, keys: np.ndarray) -> Holders:
        """Who holds each of the uint32 `keys` of one kind (NEAR or STORY), repeats included: committed documents
        by reference (small non-negative ints, for `fetch`)."""

    @abstractmethod
    def fetch(self, refs: np.ndarray) -> list[StoredDoc]:
        """Records of the documents `postings` referred to, in the order of `refs`."""

    @abstractmethod
    def commit(
        self, run_seq: int, docs: list[StoredDoc], postings: Postings, df_delta: DocFreq, token: str | None = None
    ) -> None:
        """Persist one run's documents under the given posting keys and add its frequencies, atomically; the claims
        of `token` end with it."""

    def close(self) -> None:
        """Release connections; the default backend holds none."""


def open_index(config: DedupConfig, store=None) -> IndexStorage:
    """The configured backend: the lake state under `store` (default) or a shared Redis."""
    if config.backend == "redis":
        from pipeline.dedup.redis_index import RedisIndex

        return RedisIndex(config)
    if store is None:
        raise ConfigError("dedup backend 'lake' needs the lake store (pipeline.lake.store.open_store(LAKE_URI))")
    from pipeline.dedup.lake_index import LakeIndex

    return LakeIndex(config, store)
