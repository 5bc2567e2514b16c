"""Link decisions and clustering within one run (lake backend in a temporary folder)."""

from __future__ import annotations

import random

import pytest

from pipeline.dedup import GRANTED, Deduplicator, compute_signature, make_doc_id, open_index
from pipeline.lake.store import LocalStore

from .conftest import seed_doc


def _dedup(tmp_path, config):
    return Deduplicator(config, open_index(config, LocalStore(tmp_path / "lake")))


def _variant(body: str, every: int = 40) -> str:
    """The same article republished: a new header, one word in `every` changed, a footer added."""
    words = body.split(" ")
    words = [w + "ة" if i % every == 7 else w for i, w in enumerate(words)]
    return "نشر هذا الخبر على موقعنا بالتعاون مع الوكالة\n" + " ".join(words) + "\nتابعونا على وسائل التواصل"


def _run(dedup, docs):
    """Add `docs` as one run; the run's outcome."""
    for doc in docs:
        assert dedup.add(*doc) == GRANTED
    return dedup.finish_run()


def _pairs(links):
    return {(frozenset((l.doc_id, l.other_doc_id)), l.kind) for l in links}


def test_seeds_link_only_000_and_002_as_same_story(tmp_path, config, seed_bodies):
    dedup = _dedup(tmp_path, config)
    docs = {k: seed_doc(seed_bodies, k, config) for k in sorted(seed_bodies)}
    outcome = _run(dedup, docs.values())
    links, assignments = outcome.links, outcome.assignments
    assert _pairs(links) == {(frozenset((docs["000"][0], docs["002"][0])), "same_story")}
    assert 0.035 <= links[0].similarity < 0.2
    assert assignments[docs["002"][0]].story_id == assignments[docs["000"][0]].story_id == docs["000"][0]
    assert {a.near_dup_of for a in assignments.values()} == {None}
    assert len({a.story_id for a in assignments.values()}) == 4


def test_identical_body_is_exact_and_points_at_smallest_url(tmp_path, config, seed_bodies):
    dedup = _dedup(tmp_path, config)
    first = seed_doc(seed_bodies, "003", config, url="file:///b/copy.txt")
    second = seed_doc(seed_bodies, "003", config, url="file:///a/original.txt")
    outcome = _run(dedup, [first, second])
    (link,) = outcome.links
    assert (link.kind, link.similarity) == ("exact", 1.0)
    assignments = outcome.assignments
    # the representative is chosen by url within a run, not by arrival order
    assert assignments[second[0]].near_dup_of is None
    assert assignments[first[0]].near_dup_of == second[0]


def test_republished_variant_is_near_duplicate(tmp_path, config, seed_bodies):
    dedup = _dedup(tmp_path, config)
    original = seed_doc(seed_bodies, "004", config)
    sig = compute_signature(_variant(seed_bodies["004"]), "ar", config)
    variant = (make_doc_id("https://other.example/x", sig.content_hash), "https://other.example/x", sig)
    outcome = _run(dedup, [original, variant])
    (link,) = outcome.links
    assert link.kind == "near_duplicate" and link.similarity >= 0.8
    assert outcome.assignments[variant[0]].near_dup_of == original[0]


def test_results_do_not_depend_on_add_order(tmp_path, config, seed_bodies):
    docs = [seed_doc(seed_bodies, k, config) for k in sorted(seed_bodies)]
    for key in ("000", "004"):
        sig = compute_signature(_variant(seed_bodies[key]), "ar", config)
        url = f"https://mirror.example/{key}"
        docs.append((make_doc_id(url, sig.content_hash), url, sig))
    docs.append(seed_doc(seed_bodies, "002", config, url="file:///0-first-url/002.txt"))
    docs.append(seed_doc(seed_bodies, "000", config, url="https://mirror.example/000-copy"))  # exact to 000 and near to its variant
    outcomes = set()
    for i in range(6):
        order = list(docs)
        random.Random(i).shuffle(order)
        dedup = _dedup(tmp_path / str(i), config)
        outcome = _run(dedup, order)
        outcomes.add((tuple(outcome.links), frozenset(outcome.assignments.items())))
    assert len(outcomes) == 1
    (_, assignments), = outcomes
    assert sum(a.near_dup_of is not None for _, a in assignments) == 4  # two mirrors, the 002 and 000 copies
    assert len({a.story_id for _, a in assignments}) == 4


def test_add_after_finish_run_requires_commit(tmp_path, config, seed_bodies):
    dedup = _dedup(tmp_path, config)
    dedup.add(*seed_doc(seed_bodies, "000", config))
    dedup.finish_run()
    with pytest.raises(RuntimeError):
        dedup.add(*seed_doc(seed_bodies, "001", config))
    dedup.commit(dedup.finish_run())
    dedup.add(*seed_doc(seed_bodies, "001", config))
    assert dedup.finish_run().links == []


def test_duplicate_gets_no_story_link_of_its_own(tmp_path, config, seed_bodies):
    dedup = _dedup(tmp_path, config)
    d000, d002 = seed_doc(seed_bodies, "000", config), seed_doc(seed_bodies, "002", config)
    copy = seed_doc(seed_bodies, "002", config, url="file:///z-mirror/002.txt")
    outcome = _run(dedup, [copy, d002, d000])
    # the copy is exact to 002; 000-002 is the one story link of the two clusters
    assert _pairs(outcome.links) == {
        (frozenset((copy[0], d002[0])), "exact"),
        (frozenset((d000[0], d002[0])), "same_story"),
    }
    assert {outcome.assignments[d[0]].story_id for d in (d000, d002, copy)} == {d000[0]}


def _words(rng: random.Random, n: int) -> str:
    import wordfreq

    vocabulary = wordfreq.top_n_list("en", 6000)[2000:]  # below the background table's common words
    return " ".join(rng.choice(vocabulary) for _ in range(n))


def test_boilerplate_repeated_across_the_run_is_not_story_evidence(tmp_path, config, seed_bodies):
    import dataclasses

    from pipeline.dedup.signatures import sketch_jaccard

    # the site rule would drop the furniture too (one host): off, so that this checks the frequencies alone
    config = dataclasses.replace(config, story_min_df_docs=5, site_boilerplate_docs=1000)
    rng = random.Random(5)
    header, footer = _words(rng, 15), _words(rng, 15)  # one mirror site's own header and footer
    docs = []
    for i in range(12):
        url = f"https://mirror.example/{i}"
        sig = compute_signature(f"{header}\n{_words(rng, 120)}\n{footer}", "en", config)
        docs.append((make_doc_id(url, sig.content_hash), url, sig))
    # on their raw shingles the unrelated articles look like one story (the test can fail) ...
    raw = [d[2].story_values for d in docs]
    assert min(sketch_jaccard(raw[0], other, 10**6) for other in raw[1:]) >= config.story_threshold
    # ... but the header and footer are in every document of the run, so they are not evidence
    outcome = _run(_dedup(tmp_path, config), docs)
    assert outcome.links == []
    assert len({a.story_id for a in outcome.assignments.values()}) == 12


def test_many_copies_of_one_page_cost_one_link_each(tmp_path, config, seed_bodies):
    """A page crawled under 300 urls (and a republished variant of it): one exact link per copy, to the
    smallest url, and the variant linked once to that copy; not the 45,000 pairs the copies form."""
    copies = [seed_doc(seed_bodies, "004", config, url=f"https://site.example/p/{i:03d}") for i in range(300)]
    others = [seed_doc(seed_bodies, k, config) for k in ("000", "002")]
    sig = compute_signature(_variant(seed_bodies["004"]), "ar", config)
    variant = (make_doc_id("https://other.example/x", sig.content_hash), "https://other.example/x", sig)
    outcome = _run(_dedup(tmp_path, config), [*reversed(copies), variant, *others])
    first = copies[0][0]
    exact = [l for l in outcome.links if l.kind == "exact"]
    assert sorted((l.doc_id, l.other_doc_id) for l in exact) == sorted((c[0], first) for c in copies[1:])
    assert _pairs(l for l in outcome.links if l.kind != "exact") == {
        (frozenset((variant[0], first)), "near_duplicate"),
        (frozenset((others[0][0], others[1][0])), "same_story"),
    }
    # one near cluster; its representative is the smallest url, the variant's
    assert {outcome.assignments[c[0]].near_dup_of for c in copies} == {variant[0]}
    assert outcome.assignments[variant[0]].near_dup_of is None


def test_copies_in_a_later_run_link_to_the_earliest_committed_copy(tmp_path, config, seed_bodies):
    dedup = _dedup(tmp_path, config)
    earlier = [seed_doc(seed_bodies, "004", config, url=f"https://site.example/old/{i}") for i in range(3)]
    _run(dedup, earlier)
    dedup.commit(dedup.finish_run())
    later = [seed_doc(seed_bodies, "004", config, url=f"https://site.example/new/{i}") for i in range(2)]
    sig = compute_signature(_variant(seed_bodies["004"]), "ar", config)
    variant = (make_doc_id("https://other.example/x", sig.content_hash), "https://other.example/x", sig)
    outcome = _run(dedup, [*later, variant])
    first = earlier[0][0]  # smallest url of the earliest run
    assert sorted((l.doc_id, l.other_doc_id, l.kind) for l in outcome.links) == sorted(
        [(c[0], first, "exact") for c in later] + [(variant[0], first, "near_duplicate")]
    )
    assert {a.near_dup_of for a in outcome.assignments.values()} == {first}
