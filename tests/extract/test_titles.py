"""HTML mode's titles on small pages written for these tests: the headline a reader sees, nothing around it."""

from __future__ import annotations

from pipeline.extract import extract_html

BODY = (
    "<p>The city council voted on Tuesday evening to rebuild the old harbour wall before the winter storms, after "
    "engineers warned that a section near the ferry terminal could give way within months.</p>"
    "<p>The work will cost about four million euros and is to start in October, the mayor said after the vote. "
    "Fishermen who use the inner basin will have to move their boats to the northern pier until spring.</p>"
    "<p>Opposition councillors supported the plan but asked why the repairs had been delayed for three years, "
    "when the first report on the damaged stones reached the town hall.</p>"
)


def page(h1: str, og_title: str, tag_title: str) -> str:
    return (
        f'<html><head><title>{tag_title}</title><meta property="og:title" content="{og_title}">'
        f'<meta property="og:site_name" content="Harbour Gazette"></head>'
        f"<body><header><a href='/'>Harbour Gazette</a></header><article>{h1}{BODY}</article></body></html>"
    )


def test_subtitle_inside_the_h1_is_not_part_of_the_title():
    html = page(
        '<h1 class="article-title">\n<span>Harbour wall to be rebuilt before winter</span>\n'
        '<small class="subtitle">Engineers warn the ferry section could fail</small>\n</h1>',
        "Harbour wall to be rebuilt before winter",
        "Harbour wall to be rebuilt before winter | Harbour Gazette",
    )
    assert extract_html(html).title == "Harbour wall to be rebuilt before winter"


def test_byline_printed_inside_the_h1_is_not_part_of_the_title():
    html = page(
        "<h1>Council backs the harbour plan\n<h4 class='author'>By <a href='/a'>Maria Keller</a>, "
        "<time datetime='2024-03-12'>12 March</time></h4>\n</h1>",
        "Council backs the harbour plan",
        "Council backs the harbour plan - Harbour Gazette",
    )
    assert extract_html(html).title == "Council backs the harbour plan"


def test_site_name_suffix_is_stripped_and_the_h1_wording_wins():
    html = page(
        "<h1>Harbour wall will be rebuilt before the winter</h1>",
        "Harbour wall to be rebuilt before winter | Harbour Gazette",
        "Harbour wall to be rebuilt before winter | Harbour Gazette",
    )
    assert extract_html(html).title == "Harbour wall will be rebuilt before the winter"


def test_the_only_h1_wins_over_a_title_written_for_search():
    html = page(
        "<h1>Why the harbour wall could not wait another winter</h1>",
        "Harbour wall repair 2024: costs, dates and ferry changes",
        "Harbour wall repair 2024: costs, dates and ferry changes | Harbour Gazette",
    )
    assert extract_html(html).title == "Why the harbour wall could not wait another winter"


def test_an_h1_banner_around_the_headline_is_not_the_title():
    html = page(
        "<h1>Evening news: Harbour wall to be rebuilt before winter | Video of the programme broadcast on "
        "12.03.2024 at 19:00 (repeated 13.03.2024)</h1>",
        "Harbour wall to be rebuilt before winter",
        "Harbour wall to be rebuilt before winter | Video | Harbour Gazette",
    )
    assert extract_html(html).title == "Harbour wall to be rebuilt before winter"
