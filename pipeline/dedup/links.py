"""The `Deduplicator`: one run's documents in, its links, clusters and index update out.

One `Deduplicator` is the single writer of a run: `add()` claims and keeps each new document, `finish_run()` decides
every link of the run at once, in named stages (`groups` → exact groups, frequencies and sketches; `candidates`;
`decisions`; `clusters`), and returns a `RunDecision`; `commit(decision)` persists it. Nothing depends on the
order of `add()` calls. With several processes on one index, run `finish_run()` and `commit()` inside
`with dedup.exclusive():` so that the run is decided against every run committed before it.
"""

from __future__ import annotations

import gc
import logging
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from pipeline.dedup.candidates import find_candidates
from pipeline.dedup.claims import Claims
from pipeline.dedup.clusters import EXACT, NEAR, STORY, Assignment, IndexUpdate, Link, cluster
from pipeline.dedup.config import DedupConfig
from pipeline.dedup.decisions import decide
from pipeline.dedup.groups import exact_groups, frequencies_and_sketches
from pipeline.dedup.records import DocFreq, content_key, site_key
from pipeline.dedup.rundocs import RunDocs
from pipeline.dedup.signatures import DocSignature
from pipeline.dedup.storage import CLAIMED, GRANTED, KNOWN, IndexStorage

logger = logging.getLogger(__name__)

__all__ = ["CLAIMED", "EXACT", "GRANTED", "KNOWN", "NEAR", "STORY", "Assignment", "Deduplicator", "Link", "RunDecision"]


@dataclass(frozen=True)
class RunDecision:
    """Everything a run decided: an assignment per added document, every link of the run (each pair once, sorted
    by doc_id then other_doc_id) and the update `commit()` writes to the index."""

    assignments: dict[str, Assignment]
    links: list[Link]
    update: IndexUpdate | None


class Deduplicator:
    """Links documents against the persistent index; see docs/dedup.md for the decisions."""

    def __init__(self, config: DedupConfig, index: IndexStorage) -> None:
        self.config = config
        self.index = index
        self.stats: Counter[str] = Counter()
        self.claims = Claims(index, config.claim_ttl_seconds, self.stats)
        self._run_seq: int | None = None
        self._docs: RunDocs | None = None
        self._decision: RunDecision | None = None

    def warm_up(self) -> None:
        """Load the compiled kernels `finish_run` uses now rather than at the run's end.

        numba loads them from its cache in ~0.7 s (compiles them, ~2 s, the first time on a machine); a run
        calls this while its workers start, when the main process has nothing else to do.
        """
        from pipeline.dedup.kernels import site_repeats
        from pipeline.dedup.pairs import sketch_overlaps

        scratch = DocFreq.empty(1, 2)
        scratch.add_docs([np.zeros(1, dtype=np.uint32)])
        scratch.below(np.zeros(1, dtype=np.uint32), 1.0)
        one = np.zeros(1, dtype=np.int64)
        sketch_overlaps(np.zeros(1, np.uint32), np.zeros(1, dtype=bool), one, one + 1, np.zeros(1, np.uint32), one, one)
        site_repeats(np.zeros(1, np.uint32), one, one + 1, np.ones(1, np.uint32), one + 2, np.zeros(1, dtype=bool), one.copy())

    def is_known(self, doc_id: str) -> bool:
        """True when `doc_id` was ingested in an earlier run or already added in this one."""
        if self._docs is not None and doc_id in self._docs:
            return True
        return self.index.known(doc_id)

    def add(self, doc_id: str, url: str, signature: DocSignature) -> str:
        """Claim and keep one new document of this run; links are decided by `finish_run()`.

        Returns GRANTED (added), KNOWN (an earlier run or this one has it) or CLAIMED (another live process met
        it first and lands it); only GRANTED documents are this run's.
        """
        if self._decision is not None:
            raise RuntimeError("add() after finish_run(): commit() first, then add the next run's documents")
        answer = KNOWN if self._docs is not None and doc_id in self._docs else self.claims.claim(doc_id)
        if answer != GRANTED:
            self.stats["dedup/known" if answer == KNOWN else "dedup/claimed_elsewhere"] += 1
            return answer
        if self._docs is None:
            self._docs = RunDocs(self.config.num_perm)
        self._docs.add(doc_id, url, content_key(signature.content_hash), site_key(url), signature.published_day,
                       signature.near, signature.story, signature.near_size)  # fmt: skip
        self.stats["dedup/added"] += 1
        return GRANTED

    def abandon(self) -> None:
        """Drop this run's documents without committing; its claims are no longer renewed and expire."""
        self.claims.stop_renewing()
        if self._docs is not None:
            self._docs.drop_shingles()
        self._run_seq, self._docs, self._decision = None, None, None

    def exclusive(self):
        """Hold the index alone while deciding and committing a run (a no-op for a single writer)."""
        return self.claims.exclusive()

    def finish_run(self) -> RunDecision:
        """Links and clusters of every document added in this run (independent of add() order); called again, the
        same decision."""
        if self._decision is not None:
            return self._decision
        if self._docs is None:
            return RunDecision({}, [], None)
        docs, config = self._docs, self.config
        # Numbered now rather than at the first add(): runs commit in this order, and cluster representatives
        # (earliest run first) must never be a run that committed after the documents they stand for.
        self._run_seq = self.index.begin_run()
        with _no_cycle_collection():
            groups = exact_groups(docs)
            sketches = frequencies_and_sketches(docs, groups, self.index, config)
            candidates = find_candidates(docs, groups, sketches, self.index, config)
            verdicts = decide(candidates, config)
            assignments, links, update = cluster(self._run_seq, docs, groups, sketches, candidates, verdicts)
        self._decision = RunDecision(assignments, links, update)
        return self._decision

    def commit(self, decision: RunDecision) -> None:
        """Persist a run's decision into the index atomically; the next add() starts a new run."""
        update = decision.update
        if update is None:  # a run that added nothing
            return
        if decision is not self._decision:
            raise ValueError("commit() takes the decision finish_run() returned for this run")
        records = update.records()
        self.index.commit(update.run_seq, records, update.postings(self.config), update.run_df, self.claims.token)
        self.claims.stop_renewing()
        self.stats["dedup/committed"] += len(records)
        self._run_seq, self._docs, self._decision = None, None, None


@contextmanager
def _no_cycle_collection():
    """Python's cycle collector paused while a run is decided: the stages build a few hundred thousand small
    acyclic objects (tuples, links, union-find entries), and every 700 of them set off a collection pass, which
    at times walks the whole heap (a crawl process's Scrapy and Twisted objects included). Reference counting
    still frees everything; the previous state is restored."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
