"""One algorithm, two storages: the same three runs give the same links and clusters in the lake and in Redis."""

from __future__ import annotations

import dataclasses
import uuid

import numpy as np

from pipeline.dedup import Deduplicator, compute_signature, make_doc_id, open_index
from pipeline.dedup.records import DocFreq, Postings, Rep, StoredDoc
from pipeline.dedup.storage import NEAR, STORY
from pipeline.lake.store import LocalStore

from .test_links import _variant


def _doc(url: str, body: str, config, title: str | None = None):
    sig = compute_signature(body, "ar", config, title=title)
    return make_doc_id(url, sig.content_hash), url, sig


def _runs(seed_bodies, config) -> list[list[tuple]]:
    """Three runs whose links cross runs with every kind and method: same story, exact copies, near duplicates
    by Jaccard and by containment (a copy cut short, a page with comments kept after the article)."""
    words = seed_bodies["004"].split(" ")
    cut = " ".join(words[: len(words) * 3 // 5])
    comments = "\n".join(" ".join(reversed(seed_bodies[k].split(" ")[:60])) for k in ("001", "003"))
    return [
        [_doc(f"https://a.example/{k}", seed_bodies[k], config) for k in ("000", "003", "004")],
        [
            _doc("https://b.example/002", seed_bodies["002"], config),
            _doc("https://c.example/003-copy", seed_bodies["003"], config),
            _doc("https://d.example/004-cut", f"{cut}\nاقرأ المزيد", config, title="حصري: " + " ".join(words[:8])),
            _doc("https://e.example/000-variant", _variant(seed_bodies["000"]), config),
        ],
        [
            _doc("https://f.example/001", seed_bodies["001"], config),
            _doc("https://g.example/002-comments", f"{seed_bodies['002']}\n{comments}", config),
            _doc("https://h.example/004-cut", f"{cut}\nاقرأ المزيد", config),
        ],
    ]


def _replay(runs, config, index_for) -> list[tuple]:
    """Every run's links and assignments, the runs committed one after the other into one index location."""
    seen = []
    for docs in runs:
        dedup = Deduplicator(config, index_for(config))
        for doc in docs:
            dedup.add(*doc)
        decision = dedup.finish_run()
        seen.append((decision.links, sorted(decision.assignments.items())))
        dedup.commit(decision)
        dedup.index.close()
    return seen


def test_lake_and_redis_backends_give_the_same_links(tmp_path, config, seed_bodies, redis_url):
    runs = _runs(seed_bodies, config)
    store = LocalStore(tmp_path / "lake")
    lake = _replay(runs, config, lambda cfg: open_index(cfg, store))
    shared = dataclasses.replace(config, backend="redis", redis_url=redis_url, redis_prefix=f"test:{uuid.uuid4().hex}")
    redis = _replay(runs, shared, lambda cfg: open_index(cfg, None))
    assert redis == lake
    kinds = {(link.kind, link.method) for links, _ in lake for link in links}
    # the runs exercise every decision, across runs (the test can tell the backends apart)
    assert kinds == {("exact", "hash"), ("near_duplicate", "jaccard"), ("near_duplicate", "containment"), ("same_story", "jaccard")}
    assert all(links for links, _ in lake[1:])


def test_a_committed_page_keeps_its_shingle_count_for_containment_in_both_backends(tmp_path, config, redis_url):
    from .test_decisions import _furnished_copies

    page, copy = _furnished_copies(config)
    runs = [[page], [copy]]
    store = LocalStore(tmp_path / "lake")
    lake = _replay(runs, config, lambda cfg: open_index(cfg, store))
    shared = dataclasses.replace(config, backend="redis", redis_url=redis_url, redis_prefix=f"test:{uuid.uuid4().hex}")
    assert _replay(runs, shared, lambda cfg: open_index(cfg, None)) == lake
    (link,) = lake[1][0]
    assert (link.doc_id, link.other_doc_id, link.kind, link.method) == (copy[0], page[0], "near_duplicate", "containment")


def test_every_key_a_run_commits_finds_its_document_in_both_backends(tmp_path, config, redis_url):
    """Keys across the whole uint32 range (leading zero digits, the largest) find the documents committed under
    them, and only those; a run of more documents than one Redis command carries is committed whole."""
    count, bands = 1203, config.near_bands
    rng = np.random.default_rng(7)
    near = rng.integers(0, 2**32, (count, bands), dtype=np.uint64).astype(np.uint32)
    near[0, :3] = [0, 0x00000ABC, 0xFFFFFFFF]
    story_offsets = np.arange(0, 2 * count + 1, 2)
    story_values = rng.integers(0, 2**32, 2 * count, dtype=np.uint64).astype(np.uint32)
    story_values[:2] = [0x0000FFFF, 0x0F000000]
    postings = Postings(near, story_values, story_offsets)
    doc_ids = [f"{i:020x}" for i in range(count)]
    docs = [
        StoredDoc(doc_id, i, 1, i, Rep(doc_id, 1, i), Rep(doc_id, 1, i), np.zeros(config.num_perm, np.uint32),
                  np.sort(story_values[2 * i : 2 * i + 2]), 0, -1, 0)
        for i, doc_id in enumerate(doc_ids)
    ]  # fmt: skip
    shared = dataclasses.replace(config, backend="redis", redis_url=redis_url, redis_prefix=f"test:{uuid.uuid4().hex}")
    for storage in (open_index(config, LocalStore(tmp_path / "lake")), open_index(shared, None)):
        storage.commit(storage.begin_run(), docs, postings, DocFreq.empty(config.df_depth, config.df_width))
        for kind, keys, owner in (
            (NEAR, near.ravel(), np.repeat(np.arange(count), bands)),
            (STORY, story_values, np.repeat(np.arange(count), 2)),
        ):
            held = storage.postings(kind, keys)
            found = [{d.doc_id for d in storage.fetch(held.refs[s:e])} for s, e in zip(held.starts, held.ends)]
            assert all(doc_ids[o] in f for o, f in zip(owner.tolist(), found)), (type(storage).__name__, kind)
        held = storage.postings(NEAR, np.array([0x00000ABC], np.uint32))
        assert [d.doc_id for d in storage.fetch(held.refs[held.starts[0] : held.ends[0]])] == [doc_ids[0]]
        storage.close()
