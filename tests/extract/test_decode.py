"""Bytes to text: legacy Arabic, UTF-16 and BOMs come out right; empty and binary input is rejected."""

from __future__ import annotations

import codecs
import os

import pytest

from pipeline.errors import Rejected
from pipeline.extract import decode_bytes, extract_article

SEED = "003_47fde8de46d97e9d.txt"


def test_windows_1256_seed_decodes_to_the_utf8_text(seed_bytes):
    text = seed_bytes[SEED].decode("utf-8")
    assert decode_bytes(text.encode("cp1256")) == text


def test_windows_1256_seed_extracts_like_the_utf8_one(seed_bytes):
    utf8 = extract_article(seed_bytes[SEED], "text")
    legacy = extract_article(seed_bytes[SEED].decode("utf-8").encode("cp1256"), "text")
    assert (legacy.title, legacy.text, legacy.author) == (utf8.title, utf8.text, utf8.author)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig", "utf-32"])
def test_byte_order_marks(seed_bytes, encoding):
    text = seed_bytes[SEED].decode("utf-8")
    raw = text.encode(encoding)
    if encoding == "utf-16-be":
        raw = codecs.BOM_UTF16_BE + raw
    assert decode_bytes(raw) == text


def test_declared_charset_is_used_for_legacy_html():
    html = '<html><head><meta charset="windows-1256"><title>عنوان</title></head><body><p>نص عربي</p></body></html>'
    assert "نص عربي" in decode_bytes(html.encode("cp1256"), "windows-1256")


@pytest.mark.parametrize("raw,reason", [
    (b"", "empty"),
    (b" \n\t \r\n", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8, "binary"),
    (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64 + os.urandom(512), "binary"),
])
def test_unusable_bytes_are_rejected_with_a_reason(raw, reason):
    with pytest.raises(Rejected) as caught:
        decode_bytes(raw)
    assert (caught.value.stage, caught.value.reason) == ("read", reason)


def test_stray_control_characters_in_utf8_text_are_dropped():
    text = "خبر عاجل\x07 من موسكو\x00\n" + "Lavrov said. " * 50 + "\x1b"
    assert decode_bytes(text.encode("utf-8")) == text.replace("\x07", "").replace("\x00", "").replace("\x1b", "")


def test_valid_utf8_that_is_mostly_control_bytes_is_binary():
    with pytest.raises(Rejected) as caught:
        decode_bytes(b"header\x00\x01\x02\x03" * 200)
    assert (caught.value.stage, caught.value.reason) == ("read", "binary")
