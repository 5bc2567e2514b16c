"""Decoding (#12 item 6): a few invalid bytes in UTF-8 text cost a few characters, not the text.

Before, one invalid byte made strict UTF-8 fail and charset detection read the page as a legacy code
page ("—" stored as "‚Äî"), and six bad bytes in an Arabic article rejected it as `undecodable`.
"""

from __future__ import annotations

from pipeline.extract import extract_article
from pipeline.extract.decode import decode_text
from tests.crawl import SEEDS

ENGLISH = (
    "The minister said — in a speech that lasted two hours — that the plan would work.\n"
    "Critics were not convinced: the budget, they said, was “a wish list”, not a plan.\n"
) * 20


def test_one_stray_byte_in_utf8_text_is_replaced_not_read_as_a_code_page():
    raw = ENGLISH.encode("utf-8")
    raw = raw[:300] + b"\x92" + raw[300:]  # a cp1252 apostrophe pasted into UTF-8 text
    decoded = decode_text(raw)
    assert decoded.replaced_bytes == 1
    assert decoded.text.count("—") == ENGLISH.count("—")
    assert "‚Äî" not in decoded.text and "â€" not in decoded.text
    assert decoded.text.replace("\ufffd", "") == ENGLISH


def test_six_bad_bytes_in_an_arabic_article_keep_the_article():
    raw = bytearray((SEEDS / "000_3b93ccf9d086253d.txt").read_bytes())
    for position in range(600, 3600, 500):  # six bytes inside the body
        raw[position] = 0xFF
    extracted = extract_article(bytes(raw), "text")
    clean = extract_article((SEEDS / "000_3b93ccf9d086253d.txt").read_bytes(), "text")
    assert extracted.language == "ar"
    assert extracted.title == clean.title
    assert extracted.replaced_bytes >= 6
    assert len(extracted.text) >= 0.95 * len(clean.text)


def test_legacy_text_with_a_few_accents_is_still_detected():
    raw = ("Le café était fermé ce matin, a dit le maire. " * 30).encode("cp1252")
    decoded = decode_text(raw)
    assert decoded.replaced_bytes == 0
    assert "\ufffd" not in decoded.text
