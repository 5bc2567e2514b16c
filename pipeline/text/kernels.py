"""Compiled kernels of the text layer: one pass that finds and hashes tokens, and a hash-table probe.

numba's on-disk cache (`cache=True`) keeps compiled code between processes.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def probe(keys, mask, hashes, stem_table, common_table, stems, common, found) -> bool:
    """Linear probe of each token hash (0 is looked up as 1, as it is stored) in an open-addressing table: where
    found, its stem hash and common flag are read in the same pass; returns whether all were found."""
    everything = True
    m = np.uint64(mask)
    for i in range(hashes.shape[0]):
        k = max(hashes[i], np.uint64(1))
        s = k & m
        while keys[s] != k and keys[s] != 0:
            s = (s + np.uint64(1)) & m
        found[i] = keys[s] == k
        if found[i]:
            stems[i], common[i] = stem_table[s], common_table[s]
        else:
            everything = False
    return everything


@numba.njit(cache=True, nogil=True)
def fmix64(h: np.uint64) -> np.uint64:
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


@numba.njit(cache=True, nogil=True)
def scan(cp: np.ndarray, classes: np.ndarray, spaces: np.ndarray, p_inv: np.uint64, mix: np.uint64, want_utf8: bool):
    """One pass over the code points of a normalized text.

    Tokens: maximal runs of word characters (class 1) and single CJK/Thai characters (class 2), each hashed
    as fmix64(sum(cp[s + k] * p_inv**k) ^ (length * mix)) modulo 2**64 (position-independent).
    With `want_utf8`, also the UTF-8 bytes of the text with whitespace collapsed like `" ".join(text.split())`
    (what the content hash is taken of). Returns (starts, ends, hashes, unspaced, utf8, utf8_len, surrogate).
    """
    n = cp.shape[0]
    starts = np.empty(n, dtype=np.int64)
    ends = np.empty(n, dtype=np.int64)
    hashes = np.empty(n, dtype=np.uint64)
    utf8 = np.empty(4 * n if want_utf8 else 0, dtype=np.uint8)
    t = 0
    unspaced = 0
    run = -1
    h = np.uint64(0)
    pw = np.uint64(1)
    u = 0
    pending = False
    surrogate = False
    for i in range(n):
        c = cp[i]
        k = classes[c]
        if k == 1:
            if run < 0:
                run = i
                h = np.uint64(0)
                pw = np.uint64(1)
            h += np.uint64(c) * pw
            pw *= p_inv
        else:
            if run >= 0:
                starts[t], ends[t] = run, i
                hashes[t] = fmix64(h ^ (np.uint64(i - run) * mix))
                t += 1
                run = -1
            if k == 2:
                unspaced += 1
                starts[t], ends[t] = i, i + 1
                hashes[t] = fmix64(np.uint64(c) ^ mix)
                t += 1
        if want_utf8:
            if spaces[c]:
                pending = u > 0
                continue
            if pending:
                utf8[u] = 32
                u += 1
                pending = False
            if c < 0x80:
                utf8[u] = c
                u += 1
            elif c < 0x800:
                utf8[u] = 0xC0 | (c >> 6)
                utf8[u + 1] = 0x80 | (c & 0x3F)
                u += 2
            elif c < 0x10000:
                if 0xD800 <= c <= 0xDFFF:
                    surrogate = True  # not encodable: the caller falls back to str.encode, which raises
                utf8[u] = 0xE0 | (c >> 12)
                utf8[u + 1] = 0x80 | ((c >> 6) & 0x3F)
                utf8[u + 2] = 0x80 | (c & 0x3F)
                u += 3
            else:
                utf8[u] = 0xF0 | (c >> 18)
                utf8[u + 1] = 0x80 | ((c >> 12) & 0x3F)
                utf8[u + 2] = 0x80 | ((c >> 6) & 0x3F)
                utf8[u + 3] = 0x80 | (c & 0x3F)
                u += 4
    if run >= 0:
        starts[t], ends[t] = run, n
        hashes[t] = fmix64(h ^ (np.uint64(n - run) * mix))
        t += 1
    return starts[:t], ends[:t], hashes[:t], unspaced, utf8, u, surrogate
