"""Lines of a page text dump as blocks with the statistics and vocabulary cues the text mode uses.

Everything is computed for the whole page at once: the lines are joined, normalized in one call, their
characters classified through a lookup table with numpy and counted per line, and the cue vocabularies
found with one regex scan over the lines' openings. A page of ~230 lines takes ~2 ms, where a Python
loop over lines and regexes per line took ~9 ms (the text mode's budget is that of the hand rules before it).
"""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from pipeline.extract.cues import CUE_CHARS, line_cues
from pipeline.text.normalize import normalize_for_matching, tokenize

logger = logging.getLogger(__name__)

# List markers that HTML-to-text tools and browsers put in front of <li> items.
_BULLET = re.compile(r"^\s*(?:[•·▪▫◦‣●○■□►▶▸➤✓✔*+\-–—]|\d{1,2}[.)])\s+")
_BULLET_FIRST = frozenset("•·▪▫◦‣●○■□►▶▸➤✓✔*+-–—0123456789")
_SPACES = re.compile(r"\s+")
# A line ends like a sentence: sentence punctuation across scripts (Latin, Arabic, CJK, Devanagari), or a
# closing quote or bracket; a full stop proper is one of the first kind, closing quotes after it allowed.
_SENTENCE_END = frozenset(".!?؟。！？…:؛;।»”\"')]")
_FULL_STOP = frozenset(".!?؟。！？…।")
_CLOSERS = "\"'”»)]"
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")

# Character classes, one bit each, counted per line.
_PUNCT, _DIGIT, _UPPER, _LETTER, _SEPARATOR, _CAPITAL = 1, 2, 4, 8, 16, 32
_CLASS_PATTERNS = (
    (_PUNCT, re.compile(r"[.,;:!?،؛؟。、，！？…]")),  # sentence punctuation inside a line
    (_DIGIT, re.compile(r"\d")),
    (_UPPER, re.compile(r"[A-ZÀ-ÞА-Я]")),  # capitals of the Latin and Cyrillic alphabets (shouting, initials)
    (_LETTER, re.compile(r"[^\W\d_]")),
    (_SEPARATOR, re.compile(r"[|»›·•>/]")),  # breadcrumbs and "Site | Section" titles
)


@functools.cache
def _class_table() -> np.ndarray:
    """The class bits of every Basic Multilingual Plane character (built once: one regex pass per class)."""
    everything = "".join(map(chr, range(0x10000)))
    table = np.zeros(0x10000, dtype=np.uint8)
    for bit, pattern in _CLASS_PATTERNS:
        table[[ord(ch) for ch in pattern.findall(everything)]] |= bit
    table[[i for i, ch in enumerate(everything) if ch.isupper() or ch.isdigit()]] |= _CAPITAL
    return table


def _classes(text: str) -> np.ndarray:
    """The class bits of every character of `text`."""
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    table = _class_table()
    bits = table[np.minimum(points, 0xFFFF)]
    astral = np.flatnonzero(points > 0xFFFF)  # emoji, rare CJK: looked up one by one
    for i in astral:
        ch = chr(points[i])
        bits[i] = sum(bit for bit, pattern in _CLASS_PATTERNS if pattern.match(ch))
        bits[i] |= _CAPITAL if ch.isupper() or ch.isdigit() else 0
    return bits


@dataclass
class Block:
    """One non-blank line of the dump."""

    index: int  # position among the non-blank lines
    text: str  # the line as stored: original characters, list marker removed, outer whitespace stripped
    key: str  # matching key: normalized, whitespace collapsed (repetition and templates)
    tokens: list[str]
    bullet: bool
    chars: int
    stop_density: float
    punct: int  # sentence punctuation marks inside the line
    ends_sentence: bool  # ends like a sentence (full stop, question mark, closing quote...)
    full_stop: bool  # ends with a full stop proper
    digit_ratio: float
    upper_ratio: float  # capitals among the letters of the line's opening (`CUE_CHARS`)
    separators: int  # breadcrumb / title separators in the opening
    year: bool  # a year (19xx, 20xx) in the opening
    capital_first: bool  # opens with a capital letter or a digit
    link_cue: bool  # opens with "read also / related / more from..."
    notice: int  # consent, privacy, newsletter, sign-up and copyright words in the opening
    comment: int  # comment-thread words in the opening
    share: int  # share-button words in the opening
    template: bool = False  # a line of the site's template (see templates.py)
    repeated: int = 0  # how many other lines of this dump have the same key

    @property
    def words(self) -> int:
        return len(self.tokens)


def line_key(line: str) -> str:
    """The matching key of a line: list marker dropped, normalized, whitespace collapsed."""
    line = _BULLET.sub("", line, count=1)
    return _SPACES.sub(" ", normalize_for_matching(line)).strip()


def _line_texts(dump: str) -> tuple[list[str], list[bool]]:
    """The non-blank lines, stripped, list marker removed, inner whitespace collapsed; which had a marker."""
    texts, bullets = [], []
    for line in dump.splitlines():
        line = line.strip()
        if not line:
            continue
        marker = _BULLET.match(line) if line[0] in _BULLET_FIRST else None
        texts.append(" ".join((line[marker.end():] if marker else line).split()))
        bullets.append(marker is not None)
    return texts, bullets


def _keys(joined: str, count: int) -> list[str]:
    """`line_key` of every line of a joined page, normalized in one call (NFKC and case folding never
    create or remove a line break, and the Arabic steps work character by character)."""
    keys = normalize_for_matching(joined).split("\n")
    if len(keys) != count:  # not expected; the line-by-line way is always right
        return [line_key(line) for line in joined.split("\n")]
    return [" ".join(key.split()) for key in keys]


def _per_line(bits: np.ndarray, bit: int, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """How many characters in [starts, ends) of each line carry `bit`."""
    counts = np.concatenate([[0], np.cumsum((bits & bit) > 0)])
    return counts[ends] - counts[starts]


def split_blocks(dump: str, stoplist: frozenset[str]) -> list[Block]:
    """The non-blank lines of `dump` as blocks, in order, with features computed."""
    texts, bullets = _line_texts(dump)
    if not texts:
        return []
    joined = "\n".join(texts)
    keys = _keys(joined, len(texts))
    tokens = [tokenize(key) for key in keys]
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]])
    ends = starts + lengths
    heads = np.minimum(ends, starts + CUE_CHARS)
    bits = _classes(joined)
    punct = _per_line(bits, _PUNCT, starts, ends)
    digits = _per_line(bits, _DIGIT, starts, ends)
    upper = _per_line(bits, _UPPER, starts, heads)
    letters = _per_line(bits, _LETTER, starts, heads)
    separators = _per_line(bits, _SEPARATOR, starts, heads)
    capital_first = (bits[starts] & _CAPITAL) > 0
    year_lines = np.zeros(len(texts), dtype=bool)
    year_at = [m.start() for m in _YEAR.finditer(joined)]
    if year_at:
        at = np.array(year_at)
        line = np.searchsorted(starts, at, side="right") - 1
        year_lines[line[at + 4 <= heads[line]]] = True
    cues = line_cues(keys)
    notice, comment, share, link_cue = (cues[k] for k in ("notice", "comment", "share", "link_cue"))
    repeats = Counter(keys)
    blocks = []
    for i, (text, key, toks) in enumerate(zip(texts, keys, tokens)):
        stops = sum(map(stoplist.__contains__, toks)) if stoplist else 0
        blocks.append(Block(
            index=i, text=text, key=key, tokens=toks, bullet=bullets[i], chars=len(text),
            stop_density=stops / len(toks) if toks else 0.0, punct=int(punct[i]),
            ends_sentence=text[-1] in _SENTENCE_END, full_stop=text.rstrip(_CLOSERS)[-1:] in _FULL_STOP,
            digit_ratio=digits[i] / len(text), upper_ratio=upper[i] / letters[i] if letters[i] else 0.0,
            separators=int(separators[i]), year=bool(year_lines[i]), capital_first=bool(capital_first[i]),
            link_cue=bool(link_cue[i]), notice=int(notice[i]), comment=int(comment[i]), share=int(share[i]),
            repeated=repeats[key] - 1,
        ))
    return blocks
