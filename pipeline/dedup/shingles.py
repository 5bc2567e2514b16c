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
_VOCAB_LIMIT = 400_000  # distinct tokens per language kept before the vocabulary is reset (bounded memory)


class _Vocabulary:
    """Per-language memo of token -> (hash, stem hash, common flag) as numpy columns indexed by token id.

    News vocabularies repeat, so after warm-up a document costs one dict lookup per token (in C, via map)
    and three numpy gathers, instead of hashing and stemming every token.
    """

    def __init__(self, language: str | None, zipf: float) -> None:
        self.language, self.zipf = language, zipf
        self.reset()

    def reset(self) -> None:
        self.ids: dict[str, int] = {}
        self.hash = np.empty(0, dtype=np.uint64)
        self.stem_hash = np.empty(0, dtype=np.uint64)
        self.common = np.empty(0, dtype=bool)

    def lookup(self, tokens: list[str]) -> np.ndarray:
        try:
            return np.fromiter(map(self.ids.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        except KeyError:
            if len(self.ids) > _VOCAB_LIMIT:
                self.reset()
            self._learn(sorted(set(tokens).difference(self.ids)))
            return np.fromiter(map(self.ids.__getitem__, tokens), dtype=np.int64, count=len(tokens))

    def _learn(self, new: list[str]) -> None:
        lang = self.language
        stems = _stemmer(lang).stemWords(new) if lang in STEMMERS else new
        common = common_words(lang, self.zipf)
        start = len(self.ids)
        self.ids.update((tok, start + i) for i, tok in enumerate(new))
        digest = xxhash.xxh3_64_intdigest
        self.hash = np.concatenate([self.hash, np.array([digest(t.encode("utf-8")) for t in new], dtype=np.uint64)])
        self.stem_hash = np.concatenate([self.stem_hash, np.array([digest(t.encode("utf-8")) for t in stems], dtype=np.uint64)])
        self.common = np.concatenate([self.common, np.array([t in common for t in stems], dtype=bool)])


_vocabularies: dict[tuple[str | None, float], _Vocabulary] = {}  # per process


def _vocabulary(language: str | None, zipf: float) -> _Vocabulary:
    key = (language, zipf)
    if key not in _vocabularies:
        _vocabularies[key] = _Vocabulary(language, zipf)
    return _vocabularies[key]


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
    h = np.sort((h >> np.uint64(32)).astype(np.uint32))
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
    if not _UNSPACED_CHAR.search(normalized):
        return False
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
    lang = (language or "").split("-")[0].lower() or None
    vocab = _vocabulary(None if unspaced else lang, config.story_common_zipf)
    ids = vocab.lookup(tokens)
    hashes = vocab.hash[ids]
    if unspaced:
        near = ngram_hashes(hashes, config.near_shingle_chars)
        story = ngram_hashes(hashes, config.story_shingle_chars)
        return Shingled(near, story, len(tokens), True)
    near = ngram_hashes(hashes, config.near_shingle_words)
    n = config.story_shingle_words
    keep = None
    if len(tokens) >= n:
        # an n-gram made only of very frequent words ("of the", "في ال") says nothing about the story
        flags = vocab.common[ids]
        keep = flags[: len(tokens) - n + 1].copy()
        for j in range(1, n):
            keep &= flags[j : len(tokens) - n + 1 + j]
        keep = ~keep
    story = ngram_hashes(vocab.stem_hash[ids], n, keep)
    return Shingled(near, story, len(tokens), False)
