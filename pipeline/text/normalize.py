"""Matching-only normalization and tokenization: stored text keeps its original characters.

Used by dedup and language-aware heuristics, never to rewrite `text` in the lake. Every step first
checks (with one C-level scan) whether it has anything to do, because most text needs few of them.
"""

from __future__ import annotations

import re
import unicodedata

# Arabic harakat, superscript alef and Quranic marks carry no identity for matching.
_ARABIC_MARKS_CLASS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
_ARABIC_MARKS = re.compile(f"[{_ARABIC_MARKS_CLASS}]+")
_TATWEEL = "\u0640"
_LETTER_MAP = {
    "\u0623": "\u0627",  # alef with hamza above
    "\u0625": "\u0627",  # alef with hamza below
    "\u0622": "\u0627",  # alef with madda
    "\u0671": "\u0627",  # alef wasla
    "\u0649": "\u064a",  # alef maksura -> yeh
    "\u06cc": "\u064a",  # farsi yeh -> yeh
    "\u0629": "\u0647",  # teh marbuta -> heh
    "\u06a9": "\u0643",  # keheh -> kaf
}
# Arabic-Indic (U+0660..) and extended (Persian, U+06F0..) digits -> ASCII; NFKC leaves them alone.
_DIGIT_MAP = {chr(base + i): str(i) for base in (0x0660, 0x06F0) for i in range(10)}
_MAPPED = str.maketrans({**_LETTER_MAP, **_DIGIT_MAP})
# Everything the Arabic steps could change lies in the Arabic block (U+0600-U+06FF), whose characters are the
# only ones whose UTF-8 starts with a byte 0xD8-0xDB: four byte finds decide it, where a regex scan of the
# text cost ~4 ns a character (~19 us an article) on every non-Arabic text.
_ARABIC_BLOCK_LEADS = (b"\xd8", b"\xd9", b"\xda", b"\xdb")


def _has_arabic_block(text: str) -> bool:
    if text.isascii():
        return False
    utf8 = text.encode("utf-8", "surrogatepass")
    return any(lead in utf8 for lead in _ARABIC_BLOCK_LEADS)


# Scripts written without spaces between words: each character is a token.
_CJK = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    "\u0e00-\u0e7f"  # Thai
)
_TOKEN = re.compile(f"[{_CJK}]|[^\\W{_CJK}]+")
_HAS_CJK = re.compile(f"[{_CJK}]")
_LETTER = re.compile(r"[^\W\d_]")


def normalize_for_matching(text: str) -> str:
    """NFKC, casefold, strip Arabic diacritics and tatweel, unify letter variants and digits."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    if _has_arabic_block(text):
        text = _ARABIC_MARKS.sub("", text.replace(_TATWEEL, "")).translate(_MAPPED)
    return text.casefold()


def tokenize(text: str) -> list[str]:
    """Word tokens of already-normalized text; CJK and Thai characters are one token each."""
    return _TOKEN.findall(text)


def is_unspaced_script(text: str, threshold: float = 0.3) -> bool:
    """True when a large share of the letters are CJK/Thai, so word shingles make no sense."""
    head = text[:5000]
    if not _HAS_CJK.search(head):  # the common case: one C-level scan, no per-character Python loop
        return False
    letters = len(_LETTER.findall(head))
    return bool(letters) and len(_HAS_CJK.findall(head)) / letters >= threshold
