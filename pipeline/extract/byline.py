"""trafilatura's author heuristic (`metadata.extract_author`), with its XPath scans done in one Python pass.

trafilatura copies the whole page, prunes comment/date/figure blocks from the copy, then runs three
XPath expressions whose `re:test` predicates call back into Python once per element and predicate:
~10 ms a page, a third of our per-page metadata and extraction budget. The predicates only look at
an element's own tag and attributes, so one walk over the original tree can mark, for every element,
which discard rule and which author rule it meets; only the winning candidate is copied and pruned
(with trafilatura's own functions) when it holds a discarded block. The result is the library's own:
`tests/extract/test_byline.py` compares the two on every development and multi-outlet page.
The rules below are those of trafilatura 2.3 (`trafilatura.xpaths.AUTHOR_XPATHS` and
`AUTHOR_DISCARD_XPATHS`).
"""

from __future__ import annotations

import re
from copy import deepcopy

from lxml import html

_DISCARD_TAGS = frozenset({"a", "div", "section", "span"})
_DISCARD_ALWAYS = frozenset({"time", "figure"})
_DISCARD_ID = re.compile(r"^comments|comment-?list|ProductReviews")
_DISCARD_CLASS = re.compile(
    r"^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|article-(?:share|support)"
    r"|print|category|meta-date|meta-reviewer"
)

_RULE1_TAGS = frozenset({"a", "address", "div", "link", "p", "span", "strong"})
_RULE1_CLASS = re.compile(r"author-?name|AuthorName|authorName")
_RULE2_TAGS = frozenset({"a", "div", "h3", "h4", "p", "span"})
_RULE2_ID = re.compile(r"author|zuozhe|bianji|xiaobian")
_RULE2_CLASS = re.compile(r"author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name")
_RULE3_ID = re.compile(r"[Aa]uthor")
_RULE3_CLASS = re.compile(r"[Aa]uthor|screenname|writer|[Bb]yline")


def _discarded(tag: str, get) -> bool:
    if tag in _DISCARD_ALWAYS:
        return True
    if tag not in _DISCARD_TAGS:
        return False
    elem_id, elem_class = get("id") or "", get("class") or ""
    return (
        elem_id == "comments"
        or elem_class in ("comments", "title", "date")
        or bool(_DISCARD_ID.search(elem_id) or _DISCARD_CLASS.search(elem_class))
        or "Figure" in (get("data-component") or "")
    )


def _author_rule(tag: str, get, rel_me: bool) -> int | None:
    """Index of the first trafilatura author expression this element matches, else None."""
    elem_id, elem_class = get("id") or "", get("class") or ""
    itemprop = get("itemprop") or ""
    if tag == "author" or (
        tag in _RULE1_TAGS
        and (
            get("rel") == "author"
            or elem_id == "author"
            or elem_class == "author"
            or itemprop == "author name"
            or get("data-testid") in ("AuthorCard", "AuthorURL")
            or _RULE1_CLASS.search(elem_class)
            or rel_me
        )
    ):
        return 0
    if tag in _RULE2_TAGS and (
        elem_class in ("byline", "username", "byl", "BBL")
        or "author" in itemprop
        or _RULE2_ID.search(elem_id)
        or _RULE2_CLASS.search(elem_class)
    ):
        return 1
    if (
        "Byline" in (get("data-component") or "")
        or "author" in itemprop
        or _RULE3_ID.search(elem_id)
        or _RULE3_CLASS.search(elem_class)
    ):
        return 2
    return None


def _candidates(tree, rel_me: set) -> tuple[list[list], set]:
    """Author candidates per rule, in document order, outside discarded blocks; and the discarded elements."""
    by_rule: list[list] = [[], [], []]
    discarded: set = set()
    stack = [tree]
    while stack:  # depth-first in document order, not descending into discarded blocks
        element = stack.pop()
        tag = element.tag
        if not isinstance(tag, str):  # comments and processing instructions
            continue
        attributes = element.attrib
        if attributes:
            get = dict(attributes).get  # one C call, then plain dict lookups
            # pruning cannot remove the root (it has no parent)
            if element is not tree and _discarded(tag, get):
                discarded.add(element)
                continue
            rule = _author_rule(tag, get, element in rel_me)
        elif tag in _DISCARD_ALWAYS:  # every other rule needs an attribute
            discarded.add(element)
            continue
        else:
            rule = 0 if tag == "author" or (tag in _RULE1_TAGS and element in rel_me) else None
        if rule is not None:
            by_rule[rule].append(element)
        stack.extend(reversed(element))
    return by_rule, discarded


def _rel_me(tree, discarded: set) -> set:
    """Elements with a child <rel> whose text, in the pruned page, is "me".

    trafilatura writes `rel='me'` without the @, which asks for such a child element: real pages have
    none, but the rule is kept so the two implementations cannot disagree.
    """
    return {rel.getparent() for rel in tree.iter("rel") if _pruned(rel, discarded).xpath("string()") == "me"}


def _pruned(element, discarded: set):
    """The element as it is in trafilatura's pruned copy of the page (itself when nothing inside it is pruned)."""
    from trafilatura.htmlprocessing import prune_unwanted_nodes
    from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS

    if not any(descendant in discarded for descendant in element.iterdescendants()):
        return element
    # pruned in a copy of its own document, the way trafilatura prunes its copy of the page
    page = html.Element("div")
    page.append(deepcopy(element))
    return prune_unwanted_nodes(page, AUTHOR_DISCARD_XPATHS)[0]


def _text(element, discarded: set) -> str:
    """The element's text as trafilatura reads it in its pruned copy of the page."""
    from trafilatura.utils import trim

    return trim(" ".join(_pruned(element, discarded).itertext()))


def extract_author(tree) -> str | None:
    """The page's author(s) by trafilatura's markup heuristics, as `trafilatura.metadata.extract_author` finds them."""
    from trafilatura.metadata import normalize_authors

    by_rule, discarded = _candidates(tree, rel_me=set())
    if tree.find(".//rel") is not None:  # the discarded blocks do not depend on <rel>: a second walk settles it
        by_rule, _ = _candidates(tree, _rel_me(tree, discarded))
    for candidates in by_rule:
        for element in candidates:
            content = _text(element, discarded)
            if content and 2 < len(content) < 120:
                return normalize_authors(None, content)
    return None
