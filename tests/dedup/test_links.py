"""Link decisions and clustering within one run (lake backend in a temporary folder)."""

from __future__ import annotations

import random

import pytest

from pipeline.dedup import Deduplicator, compute_signature, make_doc_id, open_index
from pipeline.lake.store import LocalStore

from .conftest import seed_doc


def _dedup(tmp_path, config):
    return Deduplicator(config, open_index(config, LocalStore(tmp_path / "lake")))


def _variant(body: str, every: int = 40) -> str:
    """The same article republished: a new header, one word in `every` changed, a footer added."""
    words = body.split(" ")
    words = [w + "ة" if i % every == 7 else w for i, w in enumerate(words)]
    return "نشر هذا الخبر على موقعنا بالتعاون مع الوكالة\n" + " ".join(words) + "\nتابعونا على وسائل التواصل"


def _pairs(links):
    return {(frozenset((l.doc_id, l.other_doc_id)), l.kind) for l in links}


def test_seeds_link_only_000_and_002_as_same_story(tmp_path, config, seed_bodies):
    dedup = _dedup(tmp_path, config)
    docs = {k: seed_doc(seed_bodies, k, config) for k in sorted(seed_bodies)}
    links = [link for doc in docs.values() for link in dedup.add(*doc)]
    assert _pairs(links) == {(frozenset((docs["000"][0], docs["002"][0])), "same_story")}
    assert 0.035 <= links[0].similarity < 0.2
    assignments = dedup.finish_run()
    assert assignments[docs["002"][0]].story_id == assignments[docs["000"][0]].story_id == docs["000"][0]
    assert {a.near_dup_of for a in assignments.values()} == {None}
    assert len({a.story_id for a in assignments.values()}) == 4


def test_identical_body_is_exact_and_points_at_smallest_url(tmp_path, config, seed_bodies):
    dedup = _dedup(tmp_path, config)
    first = seed_doc(seed_bodies, "003", config, url="file:///b/copy.txt")
    second = seed_doc(seed_bodies, "003", config, url="file:///a/original.txt")
    assert dedup.add(*first) == []
    (link,) = dedup.add(*second)
    assert (link.kind, link.similarity) == ("exact", 1.0)
    assignments = dedup.finish_run()
    # the representative is chosen by url within a run, not by arrival order
    assert assignments[second[0]].near_dup_of is None
    assert assignments[first[0]].near_dup_of == second[0]


def test_republished_variant_is_near_duplicate(tmp_path, config, seed_bodies):
    dedup = _dedup(tmp_path, config)
    original = seed_doc(seed_bodies, "004", config)
    sig = compute_signature(_variant(seed_bodies["004"]), "ar", config)
    variant = (make_doc_id("https://other.example/x", sig.content_hash), "https://other.example/x", sig)
    dedup.add(*original)
    (link,) = dedup.add(*variant)
    assert link.kind == "near_duplicate" and link.similarity >= 0.8
    assert dedup.finish_run()[variant[0]].near_dup_of == original[0]


def test_results_do_not_depend_on_add_order(tmp_path, config, seed_bodies):
    docs = [seed_doc(seed_bodies, k, config) for k in sorted(seed_bodies)]
    for key in ("000", "004"):
        sig = compute_signature(_variant(seed_bodies[key]), "ar", config)
        url = f"https://mirror.example/{key}"
        docs.append((make_doc_id(url, sig.content_hash), url, sig))
    docs.append(seed_doc(seed_bodies, "002", config, url="file:///0-first-url/002.txt"))
    outcomes = set()
    for i in range(6):
        order = list(docs)
        random.Random(i).shuffle(order)
        dedup = _dedup(tmp_path / str(i), config)
        links = [link for doc in order for link in dedup.add(*doc)]
        assignments = dedup.finish_run()
        outcomes.add((frozenset(_pairs(links)), frozenset(assignments.items())))
    assert len(outcomes) == 1
    (_, assignments), = outcomes
    assert sum(a.near_dup_of is not None for _, a in assignments) == 3  # two mirrors and the 002 copy
    assert len({a.story_id for _, a in assignments}) == 4


def test_add_after_finish_run_requires_commit(tmp_path, config, seed_bodies):
    dedup = _dedup(tmp_path, config)
    dedup.add(*seed_doc(seed_bodies, "000", config))
    dedup.finish_run()
    with pytest.raises(RuntimeError):
        dedup.add(*seed_doc(seed_bodies, "001", config))
    dedup.commit()
    assert dedup.add(*seed_doc(seed_bodies, "001", config)) == []
