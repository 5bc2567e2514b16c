"""Text -> shingle hashes: matching normalization, tokenization, stemming and word/character n-grams.

Shingles are hashed to uint32 with numpy: each distinct token is hashed once with xxhash (memoized,
since news vocabularies repeat), n-grams are combined arithmetically, so no Python loop runs per shingle.
"""

from __future__ import annotations

import functools
import logging
import re

import numpy as np
import xxhash

from pipeline.extract.normalize import normalize_for_matching, tokenize

logger = logging.getLogger(__name__)

# ISO 639-1 -> Snowball algorithm available in PyStemmer.
STEMMERS = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech", "da": "danish",
    "nl": "dutch", "en": "english", "eo": "esperanto", "et": "estonian", "fi": "finnish", "fr": "french",
    "de": "german", "el": "greek", "hi": "hindi", "hu": "hungarian", "id": "indonesian", "ga": "irish",
    "it": "italian", "lt": "lithuanian", "ne": "nepali", "no": "norwegian", "nb": "norwegian",
    "fa": "persian", "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian",
    "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}  # fmt: skip

_MIX = np.uint64(0x9E3779B97F4A7C15)
_TOKEN_CACHE_LIMIT = 500_000
_token_cache: dict[str, int] = {}  # token -> xxh3_64; per process, cleared when full (bounded memory)


def _token_hashes(tokens: list[str]) -> np.ndarray:
    """uint64 hash of every token, deterministic across processes and runs."""
    cache = _token_cache
    try:
        # map() over the bound __getitem__ keeps the common all-cached case in C
        return np.fromiter(map(cache.__getitem__, tokens), dtype=np.uint64, count=len(tokens))
    except KeyError:
        if len(cache) > _TOKEN_CACHE_LIMIT:
            cache.clear()
        for tok in set(tokens).difference(cache):
            cache[tok] = xxhash.xxh3_64_intdigest(tok.encode("utf-8"))
        return np.fromiter(map(cache.__getitem__, tokens), dtype=np.uint64, count=len(tokens))


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


def ngram_hashes(token_hashes: np.ndarray, n: int, keep: np.ndarray | None = None) -> np.ndarray:
    """Sorted distinct uint32 hashes of the token n-grams (one shingle when there are fewer than n tokens).

    `keep`, when given, is a boolean mask over the n-gram start positions.
    """
    count = len(token_hashes)
    if count == 0:
        return np.empty(0, dtype=np.uint32)
    n = min(n, count)
    with np.errstate(over="ignore"):
        h = token_hashes[: count - n + 1].copy()
        for j in range(1, n):
            # order-sensitive combination: (a, b) and (b, a) differ
            h = h * _MIX + token_hashes[j : count - n + 1 + j]
        h = _fmix64(h if keep is None else h[keep])
    return np.unique((h >> np.uint64(32)).astype(np.uint32))


@functools.lru_cache(maxsize=64)
def _stemmer(language: str):
    import Stemmer

    return Stemmer.Stemmer(STEMMERS[language])


@functools.lru_cache(maxsize=64)
def common_words(language: str | None, zipf: float) -> frozenset[str]:
    """Stems of the words at least as frequent as `zipf` in wordfreq's background table for `language`.

    Stemmed so that all inflections of a word agree (the table lists surface forms).
    """
    if not language:
        return frozenset()
    import wordfreq

    try:
        freqs = wordfreq.get_frequency_dict(language, wordlist="best")
    except LookupError:
        return frozenset()
    cutoff = 10 ** (zipf - 9)
    words = [normalize_for_matching(w) for w, f in freqs.items() if f >= cutoff]
    if language in STEMMERS:
        words = _stemmer(language).stemWords(words)
    return frozenset(words)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of `text` (py3langid), for callers that did not get one from extraction."""
    import py3langid

    code, _score = py3langid.classify(text[:3000])
    return code or None


# The same ranges as normalize.tokenize's one-token-per-character scripts.
_UNSPACED_CHAR = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f]")


def _unspaced(normalized: str, tokens: list[str], threshold: float = 0.3) -> bool:
    """True when CJK/Thai characters are a large share of the word characters (regex count: fast on 5 KB)."""
    unspaced = len(_UNSPACED_CHAR.findall(normalized))
    return bool(unspaced) and unspaced >= threshold * sum(map(len, tokens))


class Shingled:
    """The shingle hash sets of one document."""

    __slots__ = ("near", "story", "n_tokens", "unspaced")

    def __init__(self, near: np.ndarray, story: np.ndarray, n_tokens: int, unspaced: bool) -> None:
        self.near, self.story, self.n_tokens, self.unspaced = near, story, n_tokens, unspaced


def shingle(normalized: str, language: str | None, config) -> Shingled:
    """Near-duplicate shingles (surface word n-grams) and same-story shingles (stemmed n-grams, common ones dropped)."""
    tokens = tokenize(normalized)
    unspaced = _unspaced(normalized, tokens)
    hashes = _token_hashes(tokens)
    if unspaced:
        near = ngram_hashes(hashes, config.near_shingle_chars)
        story = ngram_hashes(hashes, config.story_shingle_chars)
        return Shingled(near, story, len(tokens), True)
    near = ngram_hashes(hashes, config.near_shingle_words)
    lang = (language or "").split("-")[0].lower() or None
    stemmed = _stemmer(lang).stemWords(tokens) if lang in STEMMERS else tokens
    story_hashes = _token_hashes(stemmed)
    n = config.story_shingle_words
    common = common_words(lang, config.story_common_zipf)
    if common and len(tokens) >= n:
        # an n-gram made only of very frequent words ("of the", "في ال") says nothing about the story
        flags = np.fromiter(map(common.__contains__, stemmed), dtype=bool, count=len(tokens))
        all_common = flags[: len(tokens) - n + 1].copy()
        for j in range(1, n):
            all_common &= flags[j : len(tokens) - n + 1 + j]
        story = ngram_hashes(story_hashes, n, ~all_common)
    else:
        story = ngram_hashes(story_hashes, n)
    return Shingled(near, story, len(tokens), False)
