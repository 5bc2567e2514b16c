"""Lines of a page text dump as blocks with the structural and statistical features the text mode uses."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from pipeline.text.normalize import normalize_for_matching, tokenize

logger = logging.getLogger(__name__)

# List markers that HTML-to-text tools and browsers put in front of <li> items.
_BULLET = re.compile(r"^\s*(?:[•·▪▫◦‣●○■□►▶▸➤✓✔*+\-–—]|\d{1,2}[.)])\s+")
# Sentence punctuation across scripts (Latin, Arabic, CJK, Devanagari).
_SENTENCE_END = re.compile(r"[.!?؟。！？…:؛;।»”\"')\]]\s*$")
_FULL_STOP = re.compile(r"[.!?؟。！？…।](?:[\"'”»)\]]*)\s*$")
_INNER_PUNCT = re.compile(r"[.,;:!?،؛؟。、，！？…]")
_SPACES = re.compile(r"\s+")
_DIGIT = re.compile(r"\d")


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
    template: bool = False  # a line of the site's template (see templates.py)
    repeated: int = 0  # how many other lines of this dump have the same key
    cues: dict[str, float] | None = None  # vocabulary and typography cues, filled by features.line_cues

    @property
    def words(self) -> int:
        return len(self.tokens)


def line_key(line: str) -> str:
    """The matching key of a line: list marker dropped, normalized, whitespace collapsed."""
    line = _BULLET.sub("", line, count=1)
    return _SPACES.sub(" ", normalize_for_matching(line)).strip()


def split_blocks(dump: str, stoplist: frozenset[str]) -> list[Block]:
    """The non-blank lines of `dump` as blocks, in order, with features computed."""
    blocks: list[Block] = []
    for raw in dump.splitlines():
        stripped = raw.strip()
        if not stripped:
            continue
        bullet = bool(_BULLET.match(stripped)) and len(stripped) > 2
        text = _BULLET.sub("", stripped, count=1).strip() if bullet else stripped
        text = _SPACES.sub(" ", text)
        if not text:
            continue
        key = _SPACES.sub(" ", normalize_for_matching(text)).strip()
        tokens = tokenize(key)
        stops = sum(token in stoplist for token in tokens)
        blocks.append(
            Block(
                index=len(blocks),
                text=text,
                key=key,
                tokens=tokens,
                bullet=bullet,
                chars=len(text),
                stop_density=stops / len(tokens) if tokens else 0.0,
                punct=len(_INNER_PUNCT.findall(text)),
                ends_sentence=bool(_SENTENCE_END.search(text)),
                full_stop=bool(_FULL_STOP.search(text)),
                digit_ratio=len(_DIGIT.findall(text)) / len(text),
            )
        )
    counts: dict[str, int] = {}
    for block in blocks:
        counts[block.key] = counts.get(block.key, 0) + 1
    for block in blocks:
        block.repeated = counts[block.key] - 1
    return blocks
