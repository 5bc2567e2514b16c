"""Title, author and date of a text dump, found around the body region the text mode chose."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone

from pipeline.extract.blocks import Block
from pipeline.text.language import stopwords, word_rarity

logger = logging.getLogger(__name__)

# Byline cue words in the languages of our sources; one signal next to position and name rarity.
_BYLINE_CUE = re.compile(r"^(?:by|written by|von|par|por|di|door|av|af|автор|بقلم|كتب|كتبت|إعداد)[\s:]+", re.I)
_NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_'’.\-]*$")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)|(?<![\d٠-٩])[١٢][٠-٩]{3}(?![٠-٩])")


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
