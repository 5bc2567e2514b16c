"""Fuzzing: whatever the bytes, `extract_article` returns an article or raises `Rejected`, nothing else."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import Rejected
from pipeline.extract import Extracted, extract_article

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_pieces = st.sampled_from([
    "\n", "\n\n", " ", ".", "؟", "،", "…", "<", ">", "</p>", "<p>", "<div>", "<script>", "</script>", "<!--",
    "<title>", "</title>", "<h1>", "<br>", "&amp;", "&#0;", "&#xD800;", "\u202e", "\u200f", "\u0640", "\ufeff",
    "لافروف: موسكو تعمل على استئناف المفاوضات.", "The minister said on Monday that talks would resume.",
    "• menu item", "https://example.com/a?b=c", "x" * 5000, "كلمة " * 300, "word " * 300,
])
_documents = st.lists(st.one_of(_pieces, st.text(max_size=200)), max_size=40).map("".join)
_encodings = st.sampled_from(["utf-8", "utf-16", "cp1256", "latin-1"])


def _check(raw: bytes, kind: str) -> None:
    try:
        result = extract_article(raw, kind, url="file:///fuzz", source="file")
    except Rejected as rejected:
        assert rejected.stage in ("read", "extract") and rejected.reason
        return
    assert isinstance(result, Extracted) and result.text.strip()
    assert result.published_at is None or result.published_at.tzinfo is not None


@FUZZ
@given(st.binary(max_size=3000), st.sampled_from(["text", "html"]))
def test_random_bytes(raw, kind):
    _check(raw, kind)


@FUZZ
@given(_documents, _encodings)
def test_adversarial_text_dumps(document, encoding):
    _check(document.encode(encoding, errors="replace"), "text")


@FUZZ
@given(_documents)
def test_adversarial_html(document):
    _check(f"<html><head><title>{document[:80]}</title></head><body><article>{document}</article></body></html>"
           .encode("utf-8", errors="replace"), "html")


def test_huge_single_line_and_deep_nesting():
    _check(("كلمة " * 200000).encode("utf-8"), "text")
    _check(("<div>" * 5000 + "text " * 100 + "</div>" * 5000).encode(), "html")
    _check(b"." * 100000, "text")
