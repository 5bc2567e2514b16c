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

Meanwhile another run may have landed some of the same documents: a run that fails to publish puts its
queue entries back at once, and a killed run's entries go back when its lease expires, so another host
reads them while this run waits in its spool. Such an article is left out of this run (its row would be
the document's second): the index records the number of the run that committed each document, and the
spool records this run's number before its commit, so a document the index holds under another number
was landed by another run, and one under this run's number by this run (killed after its commit).

This module is the one place that knows both the lake and the dedup engine's API.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from pipeline.dedup import CLAIMED, GRANTED, DedupConfig, Deduplicator, compute_signature, open_index
from pipeline.errors import Rejected
from pipeline.lake import LakeWriter
from pipeline.lake.pending import SpooledRun
from pipeline.shared_templates import LOG_NAME, store_templates

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
    """Commit (if not yet) and publish one spooled run, without the articles another run landed meanwhile."""
    started = time.perf_counter()
    added, drop = _add_documents(dedup, config, run)
    if not added and not drop:
        logger.info(
            "spooled run %s: nothing to commit (no article, or all already in the dedup index, committed by this run)",
            run.run_id,
        )
        return writer.publish_spooled(run, before_manifest=lambda: _merge_templates(writer, run))
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
    # Recorded before the commit: killed after it, the next recovery knows these documents as this run's.
    run.state["index_run"] = outcome.update.run_seq if outcome.update is not None else None
    if drop:
        logger.warning(
            "spooled run %s: %d article(s) were landed by another run since it closed (its inputs went back to "
            "the queue); they are left out of this run",
            run.run_id,
            len(drop),
        )
    if drop or changed or {(x["doc_id"], x["other_doc_id"], x["kind"], x["similarity"]) for x in links} != run.links():
        logger.warning(
            "spooled run %s: the dedup index changed since it closed; %d article(s) and its links are decided again",
            run.run_id,
            changed,
        )
        gone = run.reassign(assignments, links, writer.config, drop=drop)
    else:
        run.dir.write_state(run.state)
    logger.warning(
        "spooled run %s: committing its %d document(s) to the dedup index (signed and decided again in %.1f s)",
        run.run_id,
        added,
        time.perf_counter() - started,
    )

    def commit() -> None:
        dedup.commit(outcome)
        _merge_templates(writer, run)

    return writer.publish_spooled(run, gone=gone, before_manifest=commit)


def _add_documents(dedup: Deduplicator, config: DedupConfig, run: SpooledRun) -> tuple[int, set[str]]:
    """Add the run's articles no run has committed; returns how many, and the doc_ids whose rows must go.

    A row goes when another run committed its doc_id (the index names the run by its number, which the
    spool recorded for this one before committing), or when a live process holds its claim: that process
    lands it. A claim can also be this run's own, left by its killed process: those lapse within the claim
    TTL, so a claimed document is asked for again once, after that long.
    """
    own = run.state.get("index_run")  # None: closed before runs recorded it, or committed nothing
    added, drop, claimed = 0, set(), []
    columns = ["doc_id", "url", "title", "text", "language", "published_at", "content_hash"]
    for table in run.batches("articles", columns):
        rows = list(zip(*(table[c].to_pylist() for c in columns), strict=True))
        committed = dedup.index.run_of([row[0] for row in rows])
        for doc_id, url, title, text, language, published_at, content_hash in rows:
            if doc_id in committed:
                if own is not None and committed[doc_id] != own:
                    drop.add(doc_id)
                continue
            signature = _sign(run, config, url, text, language, title, published_at, content_hash)
            if signature is None:
                continue
            answer = dedup.add(doc_id, url, signature)
            if answer == GRANTED:
                added += 1
            elif answer == CLAIMED:
                claimed.append((doc_id, url, signature))
    if claimed:
        logger.warning(
            "spooled run %s: %d document(s) are claimed by another process (this run's killed one, whose claims "
            "lapse, or a live one, which lands them); asking again in %.0f s",
            run.run_id,
            len(claimed),
            config.claim_ttl_seconds,
        )
        time.sleep(config.claim_ttl_seconds + 0.5)
        for doc_id, url, signature in claimed:
            if dedup.add(doc_id, url, signature) == GRANTED:
                added += 1
            else:
                drop.add(doc_id)
    return added, drop


def _sign(run: SpooledRun, config: DedupConfig, url, text, language, title, published_at, content_hash):
    """The article's signature again, as its run computed it (None, said once, if it cannot be)."""
    try:
        signature = compute_signature(text, language, config, title=title, published_at=published_at)
    except Rejected as exc:  # it was signed once, so this is not expected: say so, keep the row
        logger.error("spooled run %s: %s cannot be signed again (%s); not indexed", run.run_id, url, exc)
        return None
    if signature.content_hash != content_hash:
        logger.error("spooled run %s: %s signs to another content hash than it landed with", run.run_id, url)
    return signature


def _merge_templates(writer: LakeWriter, run: SpooledRun) -> None:
    """Merge the site templates the spooled run learned (its log of observed pages) into the lake's."""
    store_templates(writer.store, run.dir.path / LOG_NAME)
