"""Stages 1 and 2 of a run's decisions: exact groups, then frequencies and sketches.

Exact copies are grouped first, so everything after compares one node per distinct text. Frequencies are
counted over the committed index plus every distinct text of the run (a sum: order-free), and each node's
story shingles are cut to a bottom-k sketch of those not frequent in that corpus.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from pipeline.dedup.config import DedupConfig
from pipeline.dedup.records import DocFreq
from pipeline.dedup.rundocs import RunDocs
from pipeline.dedup.storage import IndexStorage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExactGroups:
    """The run's documents in (url, doc_id) order, one node per distinct content (its first copy in that order)."""

    order: np.ndarray  # rows (add order) sorted by (url, doc_id)
    ids: list[str]  # doc_ids in that order
    content_keys: np.ndarray  # content keys in that order
    reps: np.ndarray  # position (in that order) of each node's first copy, ascending
    rep_of: np.ndarray  # node of each position

    @property
    def rep_rows(self) -> np.ndarray:
        return self.order[self.reps]


@dataclass(frozen=True)
class Sketches:
    """Frequencies as of the whole run and the nodes' filtered story sketches, by row (copies' rows are empty)."""

    df: DocFreq  # committed index plus this run
    run_df: DocFreq  # this run's own counts, added to the index at commit
    cutoff: float  # a shingle counted in more documents than this is common: not evidence
    values: np.ndarray
    offsets: np.ndarray
    covers: np.ndarray


def exact_groups(docs: RunDocs) -> ExactGroups:
    """Group the run's documents by content hash (stage 1)."""
    order = docs.url_order()
    keys = docs.content_keys()[order]
    _, first, group = np.unique(keys, return_index=True, return_inverse=True)
    by_first = np.argsort(first)
    rank = np.empty(len(first), dtype=np.int64)
    rank[by_first] = np.arange(len(first))
    return ExactGroups(order, [docs.ids[row] for row in order], keys, first[by_first], rank[group])


def frequencies_and_sketches(docs: RunDocs, groups: ExactGroups, index: IndexStorage, config: DedupConfig) -> Sketches:
    """Count the run's distinct texts into the frequencies and sketch each node (stage 2); the run's shingle file
    is closed after, as nothing reads it again."""
    is_rep = np.zeros(len(groups.order), dtype=bool)
    is_rep[groups.rep_rows] = True
    run_df = DocFreq.empty(config.df_depth, config.df_width)
    docs.count_shingles(is_rep, run_df)
    df = index.doc_freq()
    df.merge(run_df)
    cutoff = max(config.story_min_df_docs, config.story_max_df * df.n_docs)
    values, offsets, covers = docs.story_sketches(is_rep, lambda v: df.below(v, cutoff), config.story_sketch_size)
    docs.drop_shingles()
    return Sketches(df, run_df, cutoff, values, offsets, covers)
