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
