"""Tokens found and hashed in one compiled pass: the tokens of `normalize.tokenize`, without a Python object per token.

A per-code-point class table (regex `\\w`, CJK/Thai) marks token boundaries, and each token gets a 64-bit
polynomial hash (position-independent, so equal tokens hash equally), in `kernels.scan`. A per-language
`Vocabulary` maps token hashes to stem hashes and "common word" flags through an open-addressing table;
only tokens never seen before are sliced out as strings (to be stemmed), which after warm-up is a
handful per document.
"""

from __future__ import annotations

import functools
import logging
import re

import numpy as np
import xxhash

logger = logging.getLogger(__name__)

_P = 0x100000001B3  # odd, so invertible modulo 2**64
_P_INV = np.uint64(pow(_P, -1, 2**64))
_MIX = np.uint64(0x9E3779B97F4A7C15)
_UNSPACED = 2  # class of CJK/Thai code points in `classes()` (1 = word character; `kernels.scan` relies on both)
# The same ranges as normalize._CJK: each such character is a token by itself.
_UNSPACED_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x0E00, 0x0E7F))


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray]:
    # every code point as one string (surrogates included), marked by the regex engine's own classes
    chars = np.arange(0x110000, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    marked = re.sub(r"\w", "\x01", chars)
    table = (np.frombuffer(marked.encode("utf-32-le", "surrogatepass"), dtype=np.uint32) == 1).astype(np.uint8)
    for lo, hi in _UNSPACED_RANGES:
        table[lo : hi + 1] = _UNSPACED  # like the regex class: every code point of the range, marks included
    space = np.zeros(0x110000, dtype=np.uint8)
    space[[m.start() for m in re.finditer(r"\s", chars)]] = 1
    return table, space


def classes() -> np.ndarray:
    """Class of every code point: 1 word character (regex `\\w`), 2 CJK/Thai, 0 anything else (~40 ms, once)."""
    return _tables()[0]


def spaces() -> np.ndarray:
    """1 for the code points `str.split()` treats as whitespace (regex `\\s` tests the same `Py_UNICODE_ISSPACE`)."""
    return _tables()[1]


class Tokens:
    """Token hashes of one normalized text, with their character spans and the text's code points.

    With `collapse=True`, `collapsed_utf8` is also set: the UTF-8 bytes of `" ".join(text.split())`, found
    in the same pass (None when the text holds a lone surrogate, which UTF-8 cannot encode).
    """

    __slots__ = ("codepoints", "hashes", "starts", "ends", "unspaced_chars", "collapsed_utf8")

    def __init__(self, text: str, collapse: bool = False) -> None:
        from pipeline.text.kernels import scan

        self.codepoints = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        self.starts, self.ends, self.hashes, self.unspaced_chars, utf8, size, surrogate = scan(
            self.codepoints, classes(), spaces(), _P_INV, _MIX, collapse
        )
        self.collapsed_utf8 = utf8[:size].tobytes() if collapse and not surrogate else None

    def __len__(self) -> int:
        return len(self.hashes)

    def chars(self) -> int:
        """Characters inside tokens."""
        return int((self.ends - self.starts).sum())


class Vocabulary:
    """Token hash -> (stem hash, common flag) for one language, as an open-addressing table in numpy arrays.

    A lookup is a few vectorized probes (one cache line per token, where a binary search costs ~15);
    only tokens never seen before are stemmed and inserted, with a short Python loop.
    """

    def __init__(self, stem_words, common: frozenset[str], limit: int = 400_000, capacity: int = 1 << 16) -> None:
        self.stem_words, self.common, self.limit = stem_words, common, limit
        self._allocate(capacity)

    def _allocate(self, capacity: int) -> None:
        self.mask = capacity - 1
        self.keys = np.zeros(capacity, dtype=np.uint64)  # 0 = empty slot (a token hash of 0 is stored as 1)
        self.stem_hash = np.zeros(capacity, dtype=np.uint64)
        self.is_common = np.zeros(capacity, dtype=bool)
        self.size = 0

    def lookup(self, text: str, tokens: Tokens) -> tuple[np.ndarray, np.ndarray]:
        """Stem hashes and common flags of the tokens of `text`."""
        from pipeline.text.kernels import probe

        n = len(tokens)
        stems, common, found = np.empty(n, dtype=np.uint64), np.empty(n, dtype=bool), np.empty(n, dtype=bool)
        if not probe(self.keys, self.mask, tokens.hashes, self.stem_hash, self.is_common, stems, common, found):
            self._learn(text, tokens, np.flatnonzero(~found))
            # every token is known now (learning may have reallocated the tables)
            probe(self.keys, self.mask, tokens.hashes, self.stem_hash, self.is_common, stems, common, found)
        return stems, common

    def _learn(self, text: str, tokens: Tokens, missing: np.ndarray) -> None:
        new: dict[int, str] = {}
        stored = np.maximum(tokens.hashes[missing], np.uint64(1))  # a token hash of 0 is stored as 1
        for k, s, e in zip(stored.tolist(), tokens.starts[missing].tolist(), tokens.ends[missing].tolist()):
            new.setdefault(k, text[s:e])
        if self.size + len(new) > self.limit:  # bounded memory: start over
            self._allocate(self.mask + 1)
        capacity = self.mask + 1
        while 2 * (self.size + len(new)) > capacity:  # keep the load factor under 1/2: probes stay short
            capacity *= 2
        if capacity > self.mask + 1:
            self._grow(capacity)
        digest = xxhash.xxh3_64_intdigest
        stems = self.stem_words(list(new.values()))
        self._insert(
            np.fromiter(new, dtype=np.uint64, count=len(new)),
            np.array([digest(stem.encode("utf-8")) for stem in stems], dtype=np.uint64),
            np.array([stem in self.common for stem in stems], dtype=bool),
        )

    def _insert(self, keys: np.ndarray, stems: np.ndarray, common: np.ndarray) -> None:
        for key, stem, flag in zip(keys.tolist(), stems.tolist(), common.tolist()):
            slot = key & self.mask
            while self.keys[slot] != 0:
                slot = (slot + 1) & self.mask
            self.keys[slot], self.stem_hash[slot], self.is_common[slot] = key, stem, flag
        self.size += len(keys)

    def _grow(self, capacity: int) -> None:
        used = self.keys != 0
        keys, stems, common = self.keys[used], self.stem_hash[used], self.is_common[used]
        self._allocate(capacity)
        self._insert(keys, stems, common)
