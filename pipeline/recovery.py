"""Before a run ingests anything: own the lake, clean what killed runs left, and finish the runs they spooled.

A run that closed but was not published (the store failed, or the process was killed during its close)
waits in the spool. Its documents are in no dedup index yet: publishing its files alone would let a later
run land the same inputs again. So for each such run of this lake, oldest first, `open_dedup` re-derives
its dedup state from the spooled articles (the text and language the run signed, through the same
`compute_signature`), decides its links again against the index as it is now, and commits that state as
part of publishing the run, between its files and its manifest, as the run itself would have.

Every kill point leaves something the next run finishes:
- killed while crawling: no `state.json`; the folder is discarded and the inputs are ingested again;
- after the final files, before or during their upload: the run is re-derived, uploaded (deterministic
  keys: overwritten, never doubled), committed, then its manifest is written;
- after the dedup commit, before the manifest: its documents are already known to the index, so
  nothing is committed twice; the files and the manifest are (re)written;
- after the manifest: the spool folder is only removed.
Re-deriving gives the run's own decisions back when the index did not change since (one writer under
the lease). When it did (another writer with the Redis backend, or a lease lost while cut off), the
run's `near_dup_of`, `story_id` and links are rewritten to match what the index records.

This module is the one place that knows both the lake and the dedup engine's API.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from pipeline.dedup import DedupConfig, Deduplicator, compute_signature, open_index
from pipeline.errors import Rejected
from pipeline.lake import LakeWriter
from pipeline.lake.pending import SpooledRun

logger = logging.getLogger(__name__)


def open_dedup(writer: LakeWriter, config: DedupConfig, *, count: Callable[[str, int], None]) -> Deduplicator:
    """The run's `Deduplicator`, once every run this lake has waiting in the spool is committed and published.

    With the lake backend the writer lease is taken first (`LakeBusy` when another run holds it). On any
    failure the lease is released and the new run's spool folder removed; what was waiting stays waiting.
    """
    try:
        if config.backend == "lake":
            writer.acquire_lease()
        runs = writer.waiting_runs()
        removed = writer.remove_leftovers(runs)
        if removed:
            count("lake/leftovers_removed", len(removed))
        dedup = Deduplicator(config, open_index(config, writer.store))
        for run in runs:
            with dedup.exclusive():  # decided against, and committed after, every other writer's runs
                manifest = _finish(writer, dedup, config, run)
            count("lake/recovered_runs", 1)
            count("lake/recovered_files", len(manifest["files"]))
        return dedup
    except BaseException:
        writer.discard()
        raise


def _finish(writer: LakeWriter, dedup: Deduplicator, config: DedupConfig, run: SpooledRun) -> dict:
    """Commit (if not yet) and publish one spooled run."""
    started = time.perf_counter()
    added = _add_documents(dedup, config, run)
    if not added:
        logger.info("spooled run %s: nothing to commit (no article, or all already in the dedup index)", run.run_id)
        return writer.publish_spooled(run)
    outcome = dedup.finish_run()
    assignments = {doc_id: (a.near_dup_of, a.story_id) for doc_id, a in outcome.assignments.items()}
    links = [
        {"doc_id": x.doc_id, "other_doc_id": x.other_doc_id, "kind": x.kind, "similarity": float(x.similarity)}
        | {"method": x.method, "run_id": run.run_id}
        for x in outcome.links
    ]
    gone: list[str] = []
    spooled = run.assignments()
    changed = sum(spooled.get(doc_id) != found for doc_id, found in assignments.items())
    if changed or {(x["doc_id"], x["other_doc_id"], x["kind"], x["similarity"]) for x in links} != run.links():
        logger.warning(
            "spooled run %s: the dedup index changed since it closed; %d article(s) and its links are decided again",
            run.run_id,
            changed,
        )
        gone = run.reassign(assignments, links, writer.config)
    logger.warning(
        "spooled run %s: committing its %d document(s) to the dedup index (signed and decided again in %.1f s)",
        run.run_id,
        added,
        time.perf_counter() - started,
    )
    return writer.publish_spooled(run, gone=gone, before_manifest=lambda: dedup.commit(outcome))


def _add_documents(dedup: Deduplicator, config: DedupConfig, run: SpooledRun) -> int:
    """Add the run's articles the index does not know yet; returns how many."""
    added = 0
    columns = ["doc_id", "url", "title", "text", "language", "published_at", "content_hash"]
    for table in run.batches("articles", columns):
        rows = zip(*(table[c].to_pylist() for c in columns), strict=True)
        for doc_id, url, title, text, language, published_at, content_hash in rows:
            if dedup.is_known(doc_id):
                continue
            try:
                signature = compute_signature(text, language, config, title=title, published_at=published_at)
            except Rejected as exc:  # it was signed once, so this is not expected: say so, keep the row
                logger.error("spooled run %s: %s cannot be signed again (%s); not indexed", run.run_id, url, exc)
                continue
            if signature.content_hash != content_hash:
                logger.error("spooled run %s: %s signs to another content hash than it landed with", run.run_id, url)
            dedup.add(doc_id, url, signature, landed=True)  # over the claim its dead process may still hold
            added += 1
    return added
