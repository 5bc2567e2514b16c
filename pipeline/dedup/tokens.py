"""Tokens found and hashed in numpy: the tokens of `normalize.tokenize`, without a Python object per token.

The text becomes an array of code points; a per-code-point class table (regex `\\w`, CJK/Thai) marks token
boundaries, and each token gets a 64-bit polynomial hash from prefix sums (position-independent, so
equal tokens hash equally). A per-language `Vocabulary` maps token hashes to stem hashes and
"common word" flags with a sorted-array lookup; only tokens never seen before are sliced out as strings
(to be stemmed), which after warm-up is a handful per document.
"""

from __future__ import annotations

import functools
import logging
import re

import numpy as np
import xxhash

logger = logging.getLogger(__name__)

_P = 0x100000001B3  # odd, so invertible modulo 2**64
_P_INV = pow(_P, -1, 2**64)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_WORD, _UNSPACED = 1, 2
# The same ranges as normalize._CJK: each such character is a token by itself.
_UNSPACED_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x0E00, 0x0E7F))


@functools.lru_cache(maxsize=1)
def classes() -> np.ndarray:
    """Class of every code point: 1 word character (regex `\\w`), 2 CJK/Thai, 0 anything else (~0.1 s, once)."""
    chars = "".join(map(chr, range(0x110000)))
    marked = re.sub(r"\w", "\x01", chars)
    table = (np.frombuffer(marked.encode("utf-32-le", "surrogatepass"), dtype=np.uint32) == 1).astype(np.uint8)
    for lo, hi in _UNSPACED_RANGES:
        table[lo : hi + 1] = _UNSPACED  # like the regex class: every code point of the range, marks included
    return table


_powers: dict[str, np.ndarray] = {"p": np.ones(1, np.uint64), "inv": np.ones(1, np.uint64)}


def _pow(n: int) -> tuple[np.ndarray, np.ndarray]:
    """P**i and P**-i modulo 2**64 for i < n (grown on demand, kept per process)."""
    if len(_powers["p"]) < n:
        size = max(n, 2 * len(_powers["p"]))
        for key, base in (("p", _P), ("inv", _P_INV)):
            # (a Python [1] here would promote the concatenation to float64 and lose the low bits)
            _powers[key] = np.concatenate((np.ones(1, np.uint64), np.cumprod(np.full(size - 1, base, dtype=np.uint64))))
    return _powers["p"], _powers["inv"]


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


class Tokens:
    """Token hashes of one normalized text, with their character spans."""

    __slots__ = ("hashes", "starts", "ends", "unspaced_chars")

    def __init__(self, text: str) -> None:
        cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        cls = classes()[cp]
        word, unspaced = cls == _WORD, cls == _UNSPACED
        edge = np.zeros(len(cp) + 1, dtype=bool)
        edge[1:-1] = word[1:] != word[:-1]
        edge[0], edge[-1] = bool(len(cp)) and word[0], bool(len(cp)) and word[-1]
        bounds = np.flatnonzero(edge)  # alternating starts and ends of word runs
        single = np.flatnonzero(unspaced)
        self.starts, self.ends, self.unspaced_chars = bounds[0::2], bounds[1::2], len(single)
        if len(single):  # CJK/Thai characters are tokens of their own, interleaved with the word runs
            starts = np.concatenate([self.starts, single])
            order = np.argsort(starts, kind="stable")
            self.starts, self.ends = starts[order], np.concatenate([self.ends, single + 1])[order]
        p, inv = _pow(len(cp) + 1)
        with np.errstate(over="ignore"):
            prefix = np.zeros(len(cp) + 1, dtype=np.uint64)
            np.cumsum(cp.astype(np.uint64) * inv[: len(cp)], out=prefix[1:])  # wraps modulo 2**64
            h = (prefix[self.ends] - prefix[self.starts]) * p[self.starts]
            h ^= (self.ends - self.starts).astype(np.uint64) * _MIX
            self.hashes = _fmix64(h)

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

    def _slots(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Slot of each hash and whether it is stored there (else the slot is the empty one it would go to)."""
        slot = (h & np.uint64(self.mask)).astype(np.int64)
        found = np.zeros(len(h), dtype=bool)
        todo = np.arange(len(h))
        while len(todo):
            held = self.keys[slot[todo]]
            hit = held == h[todo]
            found[todo[hit]] = True
            todo = todo[~hit & (held != 0)]  # occupied by another key: probe the next slot
            slot[todo] = (slot[todo] + 1) & self.mask
        return slot, found

    def lookup(self, text: str, tokens: Tokens) -> tuple[np.ndarray, np.ndarray]:
        """Stem hashes and common flags of the tokens of `text`."""
        h = np.maximum(tokens.hashes, np.uint64(1))
        slot, found = self._slots(h)
        if not found.all():
            self._learn(text, tokens, h, np.flatnonzero(~found))
            slot, found = self._slots(h)
        return self.stem_hash[slot], self.is_common[slot]

    def _learn(self, text: str, tokens: Tokens, h: np.ndarray, missing: np.ndarray) -> None:
        new: dict[int, str] = {}
        for k, s, e in zip(h[missing].tolist(), tokens.starts[missing].tolist(), tokens.ends[missing].tolist()):
            new.setdefault(k, text[s:e])
        if self.size + len(new) > self.limit:  # bounded memory: start over
            self._allocate(self.mask + 1)
        if 2 * (self.size + len(new)) > self.mask + 1:  # keep the load factor under 1/2: probes stay short
            self._grow(2 * (self.mask + 1))
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
