"""Our one-pass author heuristic finds what trafilatura's `metadata.extract_author` finds, on any page."""

from __future__ import annotations

from html import escape
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trafilatura.metadata import extract_author as trafilatura_author
from trafilatura.utils import load_html

from pipeline.extract.byline import extract_author

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "datasets"
PAGES = sorted((ROOT / "tests" / "resources" / "extract" / "pages").glob("*/source.html"))
# the development sets beside the checkout, when present: 420 real pages, 191 of them with a markup byline
SHARED_PAGES = sorted(SHARED.glob("readability-test-pages/*/source.html")) + sorted(
    SHARED.glob("multi-outlet-pages/**/*.html")
)

# The vocabulary of trafilatura's author and discard rules, with near misses.
_TAGS = ["div", "span", "p", "a", "section", "time", "figure", "author", "h3", "h4", "strong", "address", "link",
         "rel", "article", "li"]
_ATTRIBUTES = {
    "class": ["author", "byline", "Byline", "author-name", "authorname", "AuthorName", "byline-author", "byl", "BBL",
              "username", "screenname", "writer", "comments", "Comments-box", "commentlist", "title", "date",
              "sidebar", "quote", "print", "category", "meta-date", "article-share", "posted-by", "content", "x"],
    "id": ["author", "Author-box", "comments", "comment-list", "commentlist", "ProductReviews", "zuozhe", "main"],
    "itemprop": ["author", "author name", "name", "authorName"],
    "rel": ["author", "me", "nofollow"],
    "data-component": ["Byline", "Figure", "Text"],
    "data-testid": ["AuthorCard", "AuthorURL", "Other"],
}
_TEXTS = ["", "By Jane Doe", "Jane Doe", "and", "July 31, 2016", "me", "Ahmed Ali", "x", "Staff", " ", "Doe,"]


def _element(children):
    return st.tuples(
        st.sampled_from(_TAGS),
        st.dictionaries(st.sampled_from(sorted(_ATTRIBUTES)), st.integers(0, 30), max_size=3),
        st.sampled_from(_TEXTS),
        children,
        st.sampled_from(_TEXTS),  # tail: pruning keeps it, glued to the previous sibling or the parent
    )


_trees = st.recursive(_element(st.just([])), lambda inner: _element(st.lists(inner, max_size=4)), max_leaves=25)


def _html(node) -> str:
    tag, attributes, text, children, tail = node
    attrs = "".join(
        f' {name}="{escape(_ATTRIBUTES[name][index % len(_ATTRIBUTES[name])])}"' for name, index in attributes.items()
    )
    inner = escape(text) + "".join(_html(child) for child in children)
    return f"<{tag}{attrs}>{inner}</{tag}>{escape(tail)}"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_trees, min_size=1, max_size=4))
def test_same_author_as_trafilatura_on_generated_pages(bodies):
    page = "<html><head><title>t</title></head><body>" + "".join(_html(b) for b in bodies) + "</body></html>"
    tree = load_html(page)
    assert extract_author(tree) == trafilatura_author(load_html(page))


@pytest.mark.parametrize("path", PAGES + SHARED_PAGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_same_author_as_trafilatura_on_real_pages(path):
    raw = path.read_bytes()
    tree = load_html(raw)
    if tree is None:
        pytest.skip("not parseable as HTML")
    assert extract_author(tree) == trafilatura_author(load_html(raw))


def test_discarded_blocks_inside_the_byline_are_left_out():
    page = ('<html><body><p class="byline">By <span>Jane Doe</span><time>July 31, 2016</time>'
            '<span class="comments">12 comments</span></p></body></html>')
    assert extract_author(load_html(page)) == "Jane Doe"


def test_a_byline_inside_a_comment_block_is_not_the_author():
    page = ('<html><body><div id="comments"><span class="author">Reader Name</span></div>'
            '<div class="writer">Jane Doe</div></body></html>')
    assert extract_author(load_html(page)) == "Jane Doe"


def test_every_tag_and_attribute_of_the_rules_alone():
    """Each rule term on its own, on every tag: a byline candidate (or a discarded block) exactly where trafilatura has one."""
    mismatches = []
    for tag in _TAGS:
        for name, values in _ATTRIBUTES.items():
            for value in values:
                for page in (
                    f'<html><body><{tag} {name}="{value}">Jane Doe</{tag}></body></html>',
                    f'<html><body><div class="byline">By <{tag} {name}="{value}">Jane Doe</{tag}> Smith</div></body></html>',
                ):
                    if extract_author(load_html(page)) != trafilatura_author(load_html(page)):
                        mismatches.append(page)
    assert not mismatches
