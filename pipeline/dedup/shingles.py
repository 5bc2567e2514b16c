"""Text -> shingle hashes: matching normalization, tokenization, stemming and word/character n-grams.

Tokens are found and hashed in one compiled pass (`tokens.py`), stems come from a per-language memo, n-grams are
combined arithmetically and hashed to uint32: no Python loop runs per token or shingle.
"""

from __future__ import annotations

import functools
import logging

import numpy as np

from pipeline.dedup.anchors import CASELESS, quotations, tag
from pipeline.text.tokens import Tokens, Vocabulary
from pipeline.text.language import frequent_words
from pipeline.text.normalize import normalize_for_matching

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
_QUOTED = np.uint64(0xA24BAED4963EE407)  # quotation triples hash apart from the bigrams of the same words

_vocabularies: dict[tuple[str | None, float], Vocabulary] = {}  # per process


def _vocabulary(language: str | None, zipf: float) -> Vocabulary:
    key = (language, zipf)
    if key not in _vocabularies:
        stem_words = _stemmer(language).stemWords if language in STEMMERS else (lambda words: words)
        _vocabularies[key] = Vocabulary(stem_words, common_words(language, zipf))
    return _vocabularies[key]


def ngram_hashes(token_hashes: np.ndarray, n: int, distinct: bool = True) -> np.ndarray:
    """Sorted distinct uint32 hashes of the token n-grams (one shingle when there are fewer than n tokens).

    `distinct=False` skips the sort (the hashes in text order, repeats included): enough for a MinHash, which
    ignores repeats.
    """
    from pipeline.dedup.kernels import ngrams32

    count = len(token_hashes)
    if count == 0:
        return np.empty(0, dtype=np.uint32)
    n = min(n, count)
    # order-sensitive combination: (a, b) and (b, a) differ (one compiled pass, no temporaries)
    h = ngrams32(np.ascontiguousarray(token_hashes, dtype=np.uint64), n, _MIX)
    return h if not distinct else _distinct(h)


def _distinct(h: np.ndarray) -> np.ndarray:
    """Sorted distinct values (a sort and a mask: np.unique's hashing is slower on a document's few hundred)."""
    h = np.sort(h)
    return h[np.concatenate(([True], h[1:] != h[:-1]))] if len(h) else h


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
    words = [normalize_for_matching(w) for w in frequent_words(language, zipf)]
    if language in STEMMERS:
        words = _stemmer(language).stemWords(words)
    return frozenset(words)


class Shingled:
    """The shingle hashes of one document: `near` in text order (repeats kept), `story` sorted and distinct."""

    __slots__ = ("near", "story", "n_tokens", "unspaced")

    def __init__(self, near: np.ndarray, story: np.ndarray, n_tokens: int, unspaced: bool) -> None:
        self.near, self.story, self.n_tokens, self.unspaced = near, story, n_tokens, unspaced


def shingle(normalized: str, language: str | None, config, tokens: Tokens | None = None) -> Shingled:
    """Near-duplicate shingles (surface word n-grams) and same-story shingles (stemmed n-grams, common ones dropped).

    `tokens`, when given, must be `Tokens(normalized)` (the caller already scanned the text)."""
    from pipeline.dedup.kernels import story_ngrams

    tokens = Tokens(normalized) if tokens is None else tokens
    n_tokens = len(tokens)
    # CJK/Thai characters a large share of the word characters: character shingles instead of words
    unspaced = tokens.unspaced_chars > 0 and tokens.unspaced_chars >= 0.3 * tokens.chars()
    hashes = tokens.hashes
    if unspaced:
        near = ngram_hashes(hashes, config.near_shingle_chars, distinct=False)
        story = _distinct(tag(ngram_hashes(hashes, config.story_shingle_chars, distinct=False), None))
        return Shingled(near, story, n_tokens, True)
    lang = (language or "").split("-")[0].lower() or None
    stem_hash, flags = _vocabulary(lang, config.story_common_zipf).lookup(normalized, tokens)
    near = ngram_hashes(hashes, config.near_shingle_words, distinct=False)
    # an n-gram made only of very frequent words ("of the", "في ال") says nothing about the story; event anchors
    # (anchors.py) are the n-grams holding a number, every n-gram in scripts without case, and word triples
    # inside quotation marks
    caseless = lang in CASELESS
    story = story_ngrams(stem_hash, flags, config.story_shingle_words, _MIX, tokens.codepoints, tokens.starts, tokens.ends, caseless)
    if caseless:
        return Shingled(near, _distinct(story), n_tokens, False)
    parts = [story]
    for first, last in quotations(normalized, tokens):
        parts.append(tag(ngram_hashes(stem_hash[first:last] ^ _QUOTED, 3, distinct=False), None))
    return Shingled(near, _distinct(np.concatenate(parts) if len(parts) > 1 else parts[0]), n_tokens, False)
