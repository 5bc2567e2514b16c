"""Title, author and date of a text dump, found around the body region the text mode chose."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone

from pipeline.extract.blocks import Block
from pipeline.extract.config import ExtractConfig
from pipeline.text.language import stopwords, word_rarity

logger = logging.getLogger(__name__)

# Byline cue words in the languages of our sources; one signal next to position and name rarity.
_BYLINE_CUE = re.compile(r"^(?:by|written by|von|par|por|di|door|av|af|автор|بقلم|كتب|كتبت|إعداد)[\s:]+", re.I)
_NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_'’.\-]*$")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)|(?<![\d٠-٩])[١٢][٠-٩]{3}(?![٠-٩])")


def pick_title(blocks: list[Block], start: int, limit: int, end: int, config: ExtractConfig) -> Block | None:
    """The heading-like line just above the body that the page repeats or whose words the body uses.

    Candidates run from `title_window` lines above the body region [start, end) up to `limit`.
    """
    body_tokens = {t for b in blocks[start:end] for t in b.tokens}
    stops = _stop_guess(blocks)
    best, best_score = None, float("-inf")
    first = max(0, start - config.title_window)
    candidates = list(range(first, max(start, limit)))
    if 0 not in candidates and blocks:
        candidates.insert(0, 0)  # the page <title>, which HTML-to-text tools print first
    for i in candidates:
        block = blocks[i]
        if block.klass == "good" or not 2 <= block.words <= 40 or block.chars > 300 or block.digit_ratio > 0.25:
            continue
        following = next((j for j in range(i + 1, end) if blocks[j].klass == "good"), end)
        distance = sum(1 for b in blocks[i + 1:following] if not b.template)
        skipped = sum(1 for b in blocks[start:i] if b.klass == "good")
        score = -0.3 * min(distance, 10) - 0.5 * skipped
        content = [t for t in block.tokens if t not in stops]
        if content:
            score += sum(t in body_tokens for t in content) / len(content)
        others = [b for b in blocks if b.index != i and len(block.key) >= 10 and block.key in b.key]
        if others:
            score += 1.0
        if block.bullet:
            score -= 0.6
        if block.template:
            score -= 0.5
        if block.full_stop and not block.text.endswith(("?", "؟", "!")):
            score -= 0.8  # titles rarely end with a full stop; lede sentences do
        if block.words < 3:
            score -= 0.3
        if score > best_score:
            best, best_score = block, score
    return best


def _stop_guess(blocks: list[Block]) -> frozenset[str]:
    """Tokens frequent across the dump stand in for stopwords when scoring title words."""
    counts: dict[str, int] = {}
    for block in blocks:
        for token in set(block.tokens):
            counts[token] = counts.get(token, 0) + 1
    limit = max(3, len(blocks) // 4)
    return frozenset(t for t, c in counts.items() if c >= limit)


def _as_name(text: str, language: str | None) -> str | None:
    """`text` when it looks like a person's name (2-5 words, letters only, no stopwords, rare words)."""
    words = text.split()
    if not 2 <= len(words) <= 5 or not all(_NAME_WORD.match(w) for w in words):
        return None
    stops = stopwords(language)
    if any(w.casefold() in stops for w in words):
        return None
    if language and sum(word_rarity(w, language) for w in words) / len(words) > 3.2:
        return None  # ordinary words ("leave a comment"), not a name
    return text


def find_author(blocks: list[Block], start: int, end: int, title: Block | None, language: str | None) -> str | None:
    """A byline next to the title or body: a cue word plus a name, or a lone name-like line."""
    lo = title.index + 1 if title is not None and title.index < start else max(0, start - 3)
    near = list(range(lo, start)) + list(range(end, min(len(blocks), end + 3)))
    for i in near:
        text = blocks[i].text
        cue = _BYLINE_CUE.match(text)
        if cue:
            rest = text[cue.end():]
            words = []
            for word in rest.split():
                if any(ch.isdigit() for ch in word) or (word.endswith(".") and len(word) <= 4):
                    break  # a date follows the name ("By JANE DOE JAN. 13, 2017")
                words.append(word.rstrip(",|"))
            if 1 <= len(words) <= 6:
                return " ".join(words)
    for i in near:
        block = blocks[i]
        if not block.template and not block.repeated:
            name = _as_name(block.text, language)
            if name:
                return name
    return None


def find_date(blocks: list[Block], start: int, title: Block | None, language: str | None) -> datetime | None:
    """The publication date printed near the title (a short line with a year), as UTC midnight or time."""
    lo = max(0, (title.index if title is not None else start) - 4)
    for block in blocks[lo:start + 2]:
        if block.chars > 80 or not _YEAR.search(block.text):
            continue
        parsed = _parse_date(block.text, language)
        if parsed is not None:
            return parsed
    return None


def _parse_date(text: str, language: str | None) -> datetime | None:
    """Parse a date line with dateparser (many languages, Arabic month names and digits included)."""
    import dateparser

    settings = {"RETURN_AS_TIMEZONE_AWARE": True, "TO_TIMEZONE": "UTC", "PREFER_DAY_OF_MONTH": "first"}
    try:
        parsed = dateparser.parse(text, languages=[language] if language else None, settings=settings)
    except Exception:  # dateparser raises assorted errors on odd input; a date is optional
        logger.debug("dateparser failed on %r", text[:80], exc_info=True)
        return None
    if parsed is None or not 1990 <= parsed.year <= datetime.now(timezone.utc).year + 1:
        return None
    return parsed.astimezone(timezone.utc)
