"""HTML mode's body on small pages written for these tests: the article's paragraphs, not the headline again."""

from __future__ import annotations

from pipeline.extract import extract_html
from pipeline.extract.titles import without_headlines

PARAGRAPHS = (
    "The county library reopens its reading room on Monday after eight months of repairs to the roof, which "
    "had leaked onto the local history shelves during the spring storms.",
    "Volunteers dried and catalogued more than two thousand books and maps, the head librarian said, and only "
    "a few dozen of them could not be saved.",
    "The reading room will keep its old opening hours, and the archive of parish records can be visited again "
    "by appointment from the first week of next month.",
)


def _page(article: str, og_title: str = "Library reading room reopens after roof repairs") -> str:
    return (
        f'<html><head><title>{og_title} | County Courier</title><meta property="og:title" content="{og_title}">'
        '<meta property="og:site_name" content="County Courier"></head>'
        f"<body><header><a href='/'>County Courier</a></header><article>{article}</article></body></html>"
    )


def _paragraphs() -> str:
    return "".join(f"<p>{text}</p>" for text in PARAGRAPHS)


def test_the_headline_printed_inside_the_article_is_the_title_not_the_body():
    found = extract_html(_page("<h1>Library reading room reopens after roof repairs</h1>" + _paragraphs()))
    assert found.title == "Library reading room reopens after roof repairs"
    assert found.text.splitlines() == list(PARAGRAPHS)


def test_an_h1_worded_apart_from_the_metadata_title_is_left_out_of_the_body_too():
    # the <h1> wins as the title; the metadata wording never appears on the page
    found = extract_html(_page("<h1>Reading room open again</h1>" + _paragraphs(),
                               og_title="County library: reading room open again after repairs to its roof"))
    assert "Reading room open again" not in found.text.splitlines()
    assert found.text.splitlines() == list(PARAGRAPHS)


def test_lines_repeating_a_headline_go_whatever_their_case_and_spacing():
    text = "\n".join(["LIBRARY  reading room Reopens", PARAGRAPHS[0], "Library reading room reopens", PARAGRAPHS[1]])
    assert without_headlines(text, ["Library reading room reopens", None]) == "\n".join(PARAGRAPHS[:2])


def test_paragraphs_that_quote_the_headline_stay():
    text = "\n".join([f"Library reading room reopens. {PARAGRAPHS[0]}", PARAGRAPHS[1]])
    assert without_headlines(text, ["Library reading room reopens"]) == text


def test_no_headline_leaves_the_body_as_it_is():
    text = "\n".join(PARAGRAPHS)
    assert without_headlines(text, [None, ""]) == text
