"""Per-site template learning: shared menu lines go, article lines shared by two dumps stay."""

from __future__ import annotations

import pytest

from pipeline.extract import SiteTemplates, extract_text

MENU = ["Home", "World news", "Business and markets", "Sport results", "Contact the newsroom"]
FOOTER = ["Subscribe to our newsletter", "Copyright Example Media"]
SHARED_PARAGRAPH = ("The central bank said on Tuesday that it would keep interest rates unchanged for the rest "
                    "of the year, because inflation has fallen faster than its economists had expected.")


def page(title: str, paragraphs: list[str]) -> str:
    return "\n\n".join(MENU + [title] + paragraphs + FOOTER)


def body(topic: str) -> list[str]:
    return [f"This is the {topic} story, and it is told in full sentences that a reader would recognise as the "
            f"text of an article about {topic}, with enough words in it to count as a paragraph of its own."
            for _ in range(3)]


def test_lines_recurring_on_pages_of_one_site_are_template():
    templates = SiteTemplates()
    pages = [page(f"Story number {i} about {t}", body(t)) for i, t in enumerate(["rain", "trade", "chess"])]
    for dump in pages:
        templates.observe("example.com", dump)
    keys = templates.template_keys("example.com", pages[0])
    assert {"home", "world news", "copyright example media"} <= keys
    assert not any("story" in key for key in keys)
    result = extract_text(pages[0], source="example.com", templates=templates)
    assert result.title == "Story number 0 about rain"
    assert "Subscribe" not in result.text and "Home" not in result.text.split("\n")


def test_paragraph_shared_by_two_unrelated_dumps_is_kept():
    templates = SiteTemplates()
    first = "\n\n".join(["Alpha Daily", "Rates stay where they are", SHARED_PARAGRAPH] + body("rates"))
    second = "\n\n".join(["Beta Courier", "Bank holds steady", SHARED_PARAGRAPH] + body("banks"))
    for dump in (first, second):
        templates.observe("file", dump)
    assert templates.template_keys("file", second) == frozenset()
    assert SHARED_PARAGRAPH in extract_text(second, source="file", templates=templates).text


def test_one_story_printed_twice_by_one_site_keeps_its_paragraphs():
    templates = SiteTemplates()
    first = page("Rates stay where they are", [SHARED_PARAGRAPH] + body("rates"))
    second = page("Bank holds steady", [SHARED_PARAGRAPH] + body("banks"))
    for dump in (first, second):
        templates.observe("site", dump)
    assert SHARED_PARAGRAPH in extract_text(second, source="site", templates=templates).text


def test_observing_a_page_twice_counts_it_once_and_json_round_trips():
    templates = SiteTemplates()
    dump = page("Only page", body("solitude"))
    templates.observe("site", dump)
    templates.observe("site", dump)
    assert templates.template_keys("site", dump) == frozenset()
    restored = SiteTemplates.from_json(templates.to_json())
    assert restored.to_json() == templates.to_json()


@pytest.mark.parametrize("text", ["", "[]", '{"format": 99, "clusters": {}}'])
def test_from_json_rejects_foreign_documents(text):
    with pytest.raises(ValueError):
        SiteTemplates.from_json(text)


def story(n: int) -> list[str]:
    """A real-looking article: distinct paragraphs, each a text-like line."""
    return [f"Paragraph {k} of the harbour story: the port authority said on Monday that the new quay, built over "
            f"{k + 3} years at a cost of {10 * k + 40} million, would open to container ships next spring." for k in range(n)]


def test_syndicated_copies_in_one_folder_keep_their_bodies():
    """One story as a page dump with comments, cut short on a second site, re-wrapped on a third: the
    copies share the article's lines with pages that hold many more (comments) or fewer (cut short), so
    "the same story" is judged by containment of the shorter page, never by Jaccard."""
    comments = [f"Reader {k} wrote at 10:{k:02d}: I have lived near the harbour for {k + 20} years and this quay "
                f"changes everything about how we get to the old town, for better and for worse." for k in range(12)]
    full = page("Harbour quay opens next spring", story(8) + comments)
    cut_short = "\n\n".join(["Beta Courier | Home | Ports", "Harbour quay opens next spring"] + story(4) + ["Beta Courier 2025"])
    rewrapped = "\n\n".join(["Gamma Wire", "EXCLUSIVE: the harbour quay"] + story(8)[1:] + ["Gamma Wire, all rights reserved"])
    others = [page(f"Story number {i} about {t}", body(t)) for i, t in enumerate(["rain", "trade"])]
    templates = SiteTemplates()
    for dump in [full, cut_short, rewrapped, *others]:
        templates.observe("file", dump)
    for dump in (full, cut_short, rewrapped):
        found = extract_text(dump, source="file", templates=templates)
        assert story(4)[1] in found.text, dump[:60]
    assert {"home", "world news"} <= templates.template_keys("file", others[0])  # the site's menu still goes


def _sentence(subject: str, i: int) -> str:
    return (f"Paragraph {i} about {subject} says what happened in words of its own, long enough to read as a "
            f"sentence of an article and not as a menu entry or a label of the page.")


def test_a_copy_in_another_sites_wrapper_keeps_the_article_it_shares_with_its_original():
    # The donor site prints related headlines with their teasers under every page: text-like lines that
    # outnumber the copied article's paragraphs, so "half the shorter page's lines" called the copy and its
    # original two different stories, and the article's lines became template.
    donor_menu = ["Learn", "Jobs", "Travel", "Store"]
    donor_related = [f"Related: {topic} guide for newcomers, with everything you need to know before you go there"
                     for topic in ("Kanji", "Housing", "Visa", "Banking", "Trains", "Phones", "Taxes", "Schools")]

    def donor_page(title: str, paragraphs: list[str]) -> str:
        return "\n".join(donor_menu + [title] + paragraphs + donor_related)

    article = [_sentence("the game launch", i) for i in range(4)]
    original = "\n".join(["Daily Wire Home", "Game launches in December"] + article
                         + [f"More from us: {_sentence(topic, 0)}" for topic in ("rates", "rain", "roads", "rugby")])
    copy = donor_page("Exclusive: Game launches in December", article)
    # the wrapper is on more than twice as many pages as the article (5 against 2), as in the benchmark's case
    others = [donor_page(f"Story about {topic}", [_sentence(topic, i) for i in range(4)]) for topic in ("tea", "snow", "rent", "kites")]
    templates = SiteTemplates()
    for dump in [*others, copy, original]:
        templates.observe("file", dump)
    keys = templates.template_keys("file", copy)
    assert not any("game launch" in key for key in keys)
    text = extract_text(copy, source="file", templates=templates).text
    assert article[0] in text and article[3] in text
    # the donor's own different stories still keep their bodies apart
    assert _sentence("tea", 1) in extract_text(others[0], source="file", templates=templates).text
