"""Decisions on English news: containment, titles, site boilerplate, event anchors and publish dates."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.dedup import Deduplicator, compute_signature, make_doc_id, open_index
from pipeline.lake.store import LocalStore

ARTICLES = json.loads((Path(__file__).parent / "resources" / "articles_en.json").read_text(encoding="utf-8"))["articles"]

# one site's furniture, as an extractor that kept it would leave it around every article of the site
HEADER = "Daily Harbour Gazette | Home | Local News | Harbour Sports | Weather Radar | Obituaries | Classifieds | Subscribe"
NEWSLETTER = ("Sign up for the Harbour Briefing newsletter and receive our editors' picks, weekend puzzles and ferry "
              "timetable updates in your inbox every weekday morning before seven.")  # fmt: skip
FOOTER = ("Daily Harbour Gazette, Pier Street Publishing. Reproduction of articles, photographs or timetable data "
          "without written permission of the publisher is prohibited. Contact the newsroom about corrections.")  # fmt: skip

# one event reported by two outlets (figures and a quotation in common), and the same company another day
DEAL = ('Acme Corp agreed on Tuesday to buy Northwind Labs for 4.2 billion dollars, the companies said. Acme chief '
        'executive Dana Whitfield called the deal "a once in a generation chance to lead the battery market". '
        "Northwind shareholders will receive 38 dollars a share, a premium of 27 percent over the Monday close. The "
        "purchase is expected to close in the third quarter, pending approval by regulators in Brussels and "
        "Washington. Northwind, founded in Oslo, employs 1,450 people and makes solid-state cells for electric trucks.")
DEAL_ELSEWHERE = ("Battery maker Northwind Labs will be sold to Acme Corp in a deal valued at 4.2 billion dollars. "
                  "Under the terms announced Tuesday, investors get 38 dollars for each share, 27 percent more than the "
                  'last closing price. "A once in a generation chance to lead the battery market," Acme chief executive '
                  "Dana Whitfield said of the purchase. Regulators in Brussels and Washington must still approve it; the "
                  "firms expect completion in the third quarter. The Oslo company has 1,450 employees.")
FACTORY = ("Acme Corp chief executive Dana Whitfield told investors on Thursday that the company will open a new "
           "battery factory in Texas next spring. Whitfield said Acme plans to hire engineers for its battery division "
           "and expand research with partners such as Northwind Labs, the solid-state cells specialist. Analysts said "
           "the plan reflects growing demand for electric trucks. The company did not disclose the cost of the "
           "factory, which will be built near Austin on land bought last year.")


def _body(key: str, paragraphs: slice = slice(None)) -> str:
    return "\n".join(ARTICLES[key]["body"][paragraphs])


def _doc(url: str, body: str, config, title: str | None = None, published_at: datetime | None = None):
    sig = compute_signature(body, "en", config, title=title, published_at=published_at)
    return make_doc_id(url, sig.content_hash), url, sig


def _decide(tmp_path, config, docs):
    dedup = Deduplicator(config, open_index(config, LocalStore(tmp_path / "lake")))
    for doc in docs:
        dedup.add(*doc)
    return dedup.finish_run()


def _linked(decision, docs) -> dict[frozenset[str], tuple[str, str]]:
    url = {doc_id: u for doc_id, u, _ in docs}
    return {frozenset((url[link.doc_id], url[link.other_doc_id])): (link.kind, link.method) for link in decision.links}


def test_copy_cut_short_and_page_that_kept_its_comments_are_near_duplicates_by_containment(tmp_path, config):
    comments = _body("bbc-1", slice(0, 8))  # the page's comment thread: as long as half the article
    docs = [
        _doc("https://a.example/sudan", _body("nytimes-1"), config, ARTICLES["nytimes-1"]["title"]),
        _doc("https://b.example/sudan-short", _body("nytimes-1", slice(0, 5)) + "\nRead the full story at a.example", config),
        _doc("https://c.example/sudan", _body("nytimes-1") + "\n" + comments, config, ARTICLES["nytimes-1"]["title"]),
    ]
    decision = _decide(tmp_path, config, docs)
    linked = _linked(decision, docs)
    assert linked[frozenset(("https://a.example/sudan", "https://b.example/sudan-short"))] == ("near_duplicate", "containment")
    assert linked[frozenset(("https://a.example/sudan", "https://c.example/sudan"))] == ("near_duplicate", "containment")
    assert all(link.similarity >= config.near_containment for link in decision.links)
    assert len({a.near_dup_of or d for d, a in decision.assignments.items()}) == 1


def _furnished_copies(config) -> list[tuple]:
    """One article twice, each copy with furniture its extractor kept: comments after it on one page; a dropped
    paragraph and the openings of other articles (a related-stories box) on the other."""
    body = ARTICLES["nytimes-1"]["body"]
    page = "\n".join(body + ARTICLES["bbc-1"]["body"][:4])
    copy = "\n".join(body[:6] + body[7:] + ARTICLES["cnet"]["body"][:4])
    title = ARTICLES["nytimes-1"]["title"]
    return [_doc("https://a.example/sudan", page, config, title), _doc("https://b.example/sudan", copy, config, title)]


def test_copies_with_other_furniture_on_both_sides_are_near_duplicates_by_minhash_containment(tmp_path, config):
    docs = _furnished_copies(config)
    decision = _decide(tmp_path, config, docs)
    assert _linked(decision, docs) == {frozenset(("https://a.example/sudan", "https://b.example/sudan")): ("near_duplicate", "containment")}
    assert decision.links[0].similarity >= config.near_minhash_containment
    # neither the Jaccard nor the story sketches say so: without the MinHash estimate they are only the same story
    sketches_only = dataclasses.replace(config, near_minhash_containment=1.0)
    assert {kind for kind, _ in _linked(_decide(tmp_path / "off", sketches_only, docs), docs).values()} == {"same_story"}


def test_minhash_containment_estimates_the_share_of_the_smaller_set_inside_the_larger():
    import numpy as np

    from pipeline.dedup.decisions import minhash_containment
    from pipeline.dedup.signatures import minhash

    rng = np.random.default_rng(7)
    pool = np.unique(rng.integers(0, 2**32, size=6000, dtype=np.uint64).astype(np.uint32))
    for inside, small, large in ((1.0, 400, 1600), (0.8, 500, 700), (0.5, 300, 900)):
        shared = int(inside * small)
        a = pool[:small]
        b = np.concatenate([pool[:shared], pool[small : small + large - shared]])
        ha, hb = minhash(a, 128, 1), minhash(b, 128, 1)
        jaccard = np.array([(ha == hb).mean()])
        estimate = minhash_containment(jaccard, np.array([small]), np.array([large]))[0]
        assert abs(estimate - inside) < 0.15, (inside, estimate)
    assert minhash_containment(np.array([0.5]), np.array([0]), np.array([300]))[0] == 0.0  # size unknown: no estimate


def test_a_teaser_is_not_contained_as_a_near_duplicate(tmp_path, config):
    teaser = " ".join(ARTICLES["nytimes-1"]["body"][0].split()[:25])  # a few lines of the article: too little to say
    docs = [_doc("https://a.example/sudan", _body("nytimes-1"), config), _doc("https://b.example/teaser", teaser, config)]
    assert not [link for link in _decide(tmp_path, config, docs).links if link.kind == "near_duplicate"]
    # the same rule with a smaller minimum links them: the test can tell
    lenient = dataclasses.replace(config, near_containment_min=5, near_containment_min_agreed=5, story_min_shingles=5)
    assert _linked(_decide(tmp_path / "lenient", lenient, docs), docs) == {
        frozenset(("https://a.example/sudan", "https://b.example/teaser")): ("near_duplicate", "containment")
    }


def test_a_short_copy_below_the_minimum_size_is_contained_when_both_estimates_agree(tmp_path, config):
    words = _body("nytimes-1").split()
    brief = [_doc("https://a.example/brief", " ".join(words[:120]), config, ARTICLES["nytimes-1"]["title"])]
    cut = " ".join(words[:45]) + "\nRead the full story at a.example"  # ~25 story values: under near_containment_min
    docs = brief + [_doc("https://b.example/brief", cut, config)]
    assert _linked(_decide(tmp_path, config, docs), docs) == {
        frozenset(("https://a.example/brief", "https://b.example/brief")): ("near_duplicate", "containment")
    }
    # the sketch alone says so too, but that is not enough for so few values; nor is it on one site, where the
    # MinHash (which holds the site's furniture) is not asked
    sketch_only = dataclasses.replace(config, near_containment_min_agreed=config.near_containment_min)
    assert {kind for kind, _ in _linked(_decide(tmp_path / "sketch", sketch_only, docs), docs).values()} == {"same_story"}
    one_site = brief + [_doc("https://a.example/brief-cut", cut, config)]
    assert {kind for kind, _ in _linked(_decide(tmp_path / "site", config, one_site), one_site).values()} == {"same_story"}


def test_retitled_copy_and_copy_with_its_lead_as_title_link_to_the_original(tmp_path, config):
    paragraphs = ARTICLES["nytimes-1"]["body"]
    docs = [
        _doc("https://a.example/sudan", _body("nytimes-1"), config, ARTICLES["nytimes-1"]["title"]),
        _doc("https://b.example/sudan", _body("nytimes-1", slice(0, 6)) + "\n" + _body("nytimes-1", slice(7, None)), config,
             "Exclusive: Washington set to end two decades of Sudan sanctions"),  # fmt: skip
        _doc("https://c.example/sudan", _body("nytimes-1", slice(1, None)), config, paragraphs[0]),  # lead taken as title
    ]
    decision = _decide(tmp_path, config, docs)
    assert {a.near_dup_of for a in decision.assignments.values()} == {None, docs[0][0]}
    assert {link.kind for link in decision.links} == {"near_duplicate"}


@pytest.mark.parametrize("hosts", [("gazette.example",) * 4, ("one.example", "two.example", "three.example", "four.example")])
def test_articles_sharing_only_their_site_furniture_do_not_link(tmp_path, config, hosts):
    docs = [
        _doc(f"https://{host}/{key}", "\n".join([HEADER, _body(key, slice(0, 2)), NEWSLETTER, FOOTER]), config)
        for host, key in zip(hosts, ARTICLES)
    ]
    linked = _linked(_decide(tmp_path, config, docs), docs)
    if len(set(hosts)) == 1:
        assert linked == {}  # four pages of one site: what they all carry is the site's, not evidence
    else:
        assert linked and {kind for kind, _ in linked.values()} == {"same_story"}  # four sites: nothing says so


def test_same_company_another_day_needs_a_shared_fact_to_be_the_same_story(tmp_path, config):
    weak = dataclasses.replace(config, story_min_shingles=5, story_threshold=0.01, story_unanchored_threshold=1.0)
    docs = [_doc(f"https://{site}.example/acme", text, weak) for site, text in (("a", DEAL), ("b", DEAL_ELSEWHERE), ("c", FACTORY))]
    deal, elsewhere, factory = (url for _, url, _ in docs)
    assert _linked(_decide(tmp_path / "anchored", weak, docs), docs) == {frozenset((deal, elsewhere)): ("same_story", "jaccard")}
    # without the need for shared figures or quotations, the names alone link the factory story too
    names = dataclasses.replace(weak, story_unanchored_threshold=0.01)
    assert frozenset((deal, factory)) in _linked(_decide(tmp_path / "names", names, docs), docs)


def test_reports_far_apart_in_time_need_stronger_evidence(tmp_path, config):
    config = dataclasses.replace(config, story_min_shingles=5, story_far_threshold=0.9)
    day = datetime(2022, 5, 4, 9, tzinfo=UTC)
    for gap, linked in ((timedelta(days=2), True), (timedelta(days=40), False)):
        docs = [_doc("https://a.example/acme", DEAL, config, published_at=day),
                _doc("https://b.example/acme", DEAL_ELSEWHERE, config, published_at=day + gap)]  # fmt: skip
        assert bool(_decide(tmp_path / str(gap.days), config, docs).links) is linked


def test_commit_takes_the_decision_of_its_own_run(tmp_path, config):
    dedup = Deduplicator(config, open_index(config, LocalStore(tmp_path / "lake")))
    dedup.add(*_doc("https://a.example/sudan", _body("nytimes-1"), config))
    other = _decide(tmp_path / "other", config, [_doc("https://b.example/yahoo", _body("nytimes-2"), config)])
    with pytest.raises(ValueError, match="decision"):
        dedup.commit(other)
    dedup.commit(dedup.finish_run())
    assert Deduplicator(config, open_index(config, LocalStore(tmp_path / "lake"))).is_known(make_doc_id(
        "https://a.example/sudan", compute_signature(_body("nytimes-1"), "en", config).content_hash))  # fmt: skip
