"""Matching-only normalization and tokenization: stored text keeps its original characters.

Used by dedup and language-aware heuristics, never to rewrite `text` in the lake.
"""

from __future__ import annotations

import re
import unicodedata

# Arabic harakat, superscript alef and Quranic marks carry no identity for matching.
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_TATWEEL = "\u0640"
_LETTER_VARIANTS = str.maketrans(
    {
        "\u0623": "\u0627",  # alef with hamza above
        "\u0625": "\u0627",  # alef with hamza below
        "\u0622": "\u0627",  # alef with madda
        "\u0671": "\u0627",  # alef wasla
        "\u0649": "\u064a",  # alef maksura -> yeh
        "\u06cc": "\u064a",  # farsi yeh -> yeh
        "\u0629": "\u0647",  # teh marbuta -> heh
        "\u06a9": "\u0643",  # keheh -> kaf
    }
)
# Arabic-Indic (U+0660..) and extended (Persian, U+06F0..) digits -> ASCII; NFKC leaves them alone.
_DIGITS = str.maketrans({chr(base + i): str(i) for base in (0x0660, 0x06F0) for i in range(10)})

# Scripts written without spaces between words: each character is a token.
_CJK = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    "\u0e00-\u0e7f"  # Thai
)
_TOKEN = re.compile(f"[{_CJK}]|[^\\W{_CJK}]+")
_HAS_CJK = re.compile(f"[{_CJK}]")


def normalize_for_matching(text: str) -> str:
    """NFKC, casefold, strip Arabic diacritics and tatweel, unify letter variants and digits."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace(_TATWEEL, "")
    text = _ARABIC_MARKS.sub("", text)
    text = text.translate(_LETTER_VARIANTS).translate(_DIGITS)
    return text.casefold()


def tokenize(text: str) -> list[str]:
    """Word tokens of already-normalized text; CJK and Thai characters are one token each."""
    return _TOKEN.findall(text)


def is_unspaced_script(text: str, threshold: float = 0.3) -> bool:
    """True when a large share of the letters are CJK/Thai, so word shingles make no sense."""
    letters = sum(ch.isalpha() for ch in text[:5000])
    if not letters:
        return False
    return len(_HAS_CJK.findall(text[:5000])) / letters >= threshold
