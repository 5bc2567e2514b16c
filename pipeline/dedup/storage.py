"""The storage interface of the dedup index, and `open_index` for the configured backend.

A backend is plain storage, as datasketch's `MinHashLSH` sits over `ordered_storage`/`unordered_storage`: it
keeps committed documents and posting lists (key -> documents) and answers lookups. Which keys a document
is posted under, how shared keys are counted into candidates and every decision belong to the algorithm
(`links.Deduplicator` and the stages it runs), so the lake and Redis backends give the same links.

Phase 2 (several writers on one lake) adds one operation here: an atomic claim of a doc_id before `add()`
(Redis `SET <prefix>:claim:<doc_id> <run token> NX PX <ttl>`, renewed while the run lives, turned into the
record by `commit`, released by expiry when its process dies), taking the place `known()` has now.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod

import numpy as np

from pipeline.config import ConfigError
from pipeline.dedup.config import DedupConfig
from pipeline.dedup.pairs import Holders
from pipeline.dedup.records import DocFreq, Postings, StoredDoc

logger = logging.getLogger(__name__)

FORMAT = 3  # 3: title in the shingles, site and publish day per document, posting keys stored as given

NEAR, STORY = "near", "story"  # the two posting kinds: LSH band keys and indexed story values


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
    def postings(self, kind: str, keys: np.ndarray) -> Holders:
        """Who holds each of the uint32 `keys` of one kind (NEAR or STORY), repeats included: committed documents
        by reference (small non-negative ints, for `fetch`)."""

    @abstractmethod
    def fetch(self, refs: np.ndarray) -> list[StoredDoc]:
        """Records of the documents `postings` referred to, in the order of `refs`."""

    @abstractmethod
    def commit(self, run_seq: int, docs: list[StoredDoc], postings: Postings, df_delta: DocFreq) -> None:
        """Persist one run's documents under the given posting keys and add its frequencies, atomically."""

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
