"""Compiled inner loops of dedup (numba, cached on disk): n-grams, MinHash, count-min, shared-value counts, sketch overlaps.

Each kernel computes exactly what the numpy code it replaced did (tests compare them with datasketch,
the regex tokenizer, str.split and the numpy formulations); they exist because these loops are one pass
in machine code but several full numpy passes with temporaries. Compiled once per machine (`cache=True` writes next to this file, or to
numba's user cache when that is read-only); a process then pays ~0.2 s import + ~0.3 s cache load, once.
Import this module inside the function that needs it: importing numba is not free.
"""

from __future__ import annotations

import logging

import numba
import numpy as np

from pipeline.text.kernels import fmix64

logger = logging.getLogger(__name__)

_M32 = 0xFFFFFFFF


@numba.njit(cache=True, nogil=True)
def minhash_affine32(values: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """out[i] = min over v of (a[i] * fmix32(v) + b[i]) mod 2**32: datasketch's affine32 `update_batch`."""
    n = values.shape[0]
    hv = np.empty(n, dtype=np.uint32)
    for j in range(n):
        h = np.uint64(values[j])
        h ^= h >> np.uint64(16)
        h = (h * np.uint64(0x85EBCA6B)) & np.uint64(_M32)
        h ^= h >> np.uint64(13)
        h = (h * np.uint64(0xC2B2AE35)) & np.uint64(_M32)
        h ^= h >> np.uint64(16)
        hv[j] = np.uint32(h)
    for i in range(a.shape[0]):
        ai, bi = a[i], b[i]
        m = np.uint32(_M32)
        for j in range(n):
            # uint32 arithmetic wraps modulo 2**32, like numpy's in the reference implementation
            v = np.uint32(ai * hv[j] + bi)
            if v < m:
                m = v
        out[i] = m


@numba.njit(cache=True, nogil=True)
def distinct_count(values: np.ndarray) -> int:
    """How many distinct uint32 values `values` holds (an open-addressing set twice its size: no sort)."""
    n = values.shape[0]
    size = 16
    while size < 2 * n:
        size *= 2
    mask = size - 1
    slots = np.empty(size, dtype=np.uint32)
    used = np.zeros(size, dtype=np.bool_)
    count = 0
    for j in range(n):
        v = values[j]
        at = np.int64((np.uint64(v) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(40)) & mask
        while used[at] and slots[at] != v:
            at = (at + 1) & mask
        if not used[at]:
            used[at] = True
            slots[at] = v
            count += 1
    return count


@numba.njit(cache=True, nogil=True)
def count_min_add(table: np.ndarray, values: np.ndarray) -> None:
    """Add one to each value's cell in every row of a count-min table (`records.DocFreq.cells` addressing).

    Row by row: the random increments stay within one row (4 MB by default, in cache) instead of spreading over
    the whole table (3.5x faster on 2 million values)."""
    depth, width = table.shape
    mask = np.uint64(width - 1)
    for d in range(depth):
        for j in range(values.shape[0]):
            h = (np.uint64(values[j]) + np.uint64(d + 1)) * np.uint64(0xD6E8FEB86659FD93)
            h ^= h >> np.uint64(32)
            table[d, h & mask] += np.uint32(1)


@numba.njit(cache=True, nogil=True)
def count_min_below(table: np.ndarray, values: np.ndarray, cutoff: float, out: np.ndarray) -> None:
    """out[j] = the count-min estimate of values[j] is under `cutoff` (some row's count is). Row by row, as
    `count_min_add`; a value found rare in one row is not looked up in the next."""
    depth, width = table.shape
    mask = np.uint64(width - 1)
    out[:] = False
    for d in range(depth):
        for j in range(values.shape[0]):
            if not out[j]:
                h = (np.uint64(values[j]) + np.uint64(d + 1)) * np.uint64(0xD6E8FEB86659FD93)
                h ^= h >> np.uint64(32)
                out[j] = table[d, h & mask] < cutoff


@numba.njit(cache=True, nogil=True)
def ngrams32(token_hashes: np.ndarray, n: int, mix: np.uint64) -> np.ndarray:
    """High 32 bits of fmix64 of each n-gram's order-sensitive combination (h = h * mix + next), in text order."""
    count = token_hashes.shape[0] - n + 1
    out = np.empty(max(count, 0), dtype=np.uint32)
    for i in range(count):
        h = token_hashes[i]
        for j in range(1, n):
            h = h * mix + token_hashes[i + j]
        out[i] = np.uint32(fmix64(h) >> np.uint64(32))
    return out


@numba.njit(cache=True, nogil=True)
def equal_ranges(sorted_keys: np.ndarray, keys: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
    """starts[i], ends[i] = np.searchsorted(sorted_keys, keys[i], "left" and "right"): one binary search, then a walk
    over the equal keys, whose holders the caller reads anyway (a second search cost as much as the first)."""
    n = sorted_keys.shape[0]
    for i in range(keys.shape[0]):
        key = keys[i]
        lo, hi = 0, n
        while lo < hi:
            mid = (lo + hi) >> 1
            if sorted_keys[mid] < key:
                lo = mid + 1
            else:
                hi = mid
        starts[i] = lo
        while hi < n and sorted_keys[hi] == key:
            hi += 1
        ends[i] = hi


@numba.njit(cache=True, nogil=True)
def shared_counts(query_offsets, group_start, group_end, group_rows, n_rows, min_shared, after_query):
    """(query, row, shared) for rows holding >= `min_shared` of a query's keys, without materializing weaker pairs.

    Query q's keys are positions query_offsets[q]:query_offsets[q + 1]; key i is held by the rows
    group_rows[group_start[i]:group_end[i]]. One dense counter per row, reset through the rows touched, so
    memory is the strong pairs plus two row-sized arrays, whatever the posting lists' lengths. With
    `after_query`, only rows > q count (a query set paired with itself: each pair once).
    """
    counts = np.zeros(n_rows, dtype=np.int32)
    touched = np.empty(n_rows, dtype=np.int64)
    size = 1024
    out_q = np.empty(size, dtype=np.int64)
    out_r = np.empty(size, dtype=np.int64)
    out_c = np.empty(size, dtype=np.int64)
    found = 0
    for q in range(query_offsets.shape[0] - 1):
        n_touched = 0
        for i in range(query_offsets[q], query_offsets[q + 1]):
            for j in range(group_start[i], group_end[i]):
                r = group_rows[j]
                if after_query and r <= q:
                    continue
                if counts[r] == 0:
                    touched[n_touched] = r
                    n_touched += 1
                counts[r] += 1
        for t in range(n_touched):
            r = touched[t]
            if counts[r] >= min_shared:
                if found == size:
                    size *= 2
                    out_q, out_r, out_c = _grow(out_q, size), _grow(out_r, size), _grow(out_c, size)
                out_q[found], out_r[found], out_c[found] = q, r, counts[r]
                found += 1
            counts[r] = 0
    return out_q[:found], out_r[:found], out_c[:found]


@numba.njit(cache=True, nogil=True)
def sketch_overlaps(values, dropped, starts, lengths, covers, a, b, shared, count_a, count_b, anchors):
    """For each pair (a[p], b[p]) of sorted distinct sketches (sketch s is values[starts[s]:starts[s] + lengths[s]],
    speaking for the values up to covers[s]; positions marked in `dropped` do not count): within the window both
    speak for (up to the smaller cover), how many values each holds, how many they share and how many of those
    are anchors (odd values). One merge per pair, stopping at the window's end."""
    for p in range(a.shape[0]):
        i, j = a[p], b[p]
        top = min(covers[i], covers[j])
        x, x_end = starts[i], starts[i] + lengths[i]
        y, y_end = starts[j], starts[j] + lengths[j]
        na = nb = both = marked = 0
        while x < x_end and y < y_end:
            if dropped[x]:
                x += 1
                continue
            if dropped[y]:
                y += 1
                continue
            u, v = values[x], values[y]
            if u > top or v > top:
                break
            if u == v:
                both += 1
                marked += u & 1
                na += 1
                nb += 1
                x += 1
                y += 1
            elif u < v:
                na += 1
                x += 1
            else:
                nb += 1
                y += 1
        while x < x_end and values[x] <= top:
            na += not dropped[x]
            x += 1
        while y < y_end and values[y] <= top:
            nb += not dropped[y]
            y += 1
        shared[p], count_a[p], count_b[p], anchors[p] = both, na, nb, marked


@numba.njit(cache=True, nogil=True)
def _number_tokens(codepoints, starts, ends):
    """Whether each token is a number of two or more ASCII digits that is not a year (19xx, 20xx)."""
    tokens = starts.shape[0]
    number = np.zeros(tokens, dtype=np.bool_)
    for t in range(tokens):
        s, e = starts[t], ends[t]
        digits = e - s >= 2
        for c in range(s, e):
            if codepoints[c] < 48 or codepoints[c] > 57:
                digits = False
                break
        if digits and e - s == 4 and ((codepoints[s] == 49 and codepoints[s + 1] == 57) or (codepoints[s] == 50 and codepoints[s + 1] == 48)):
            digits = False
        number[t] = digits
    return number


@numba.njit(cache=True, nogil=True)
def story_ngrams(stems, common, n, mix, codepoints, starts, ends, all_anchors):
    """Story values in text order: the hash of each stem n-gram (as `ngrams32`; one n-gram of all the tokens
    when there are fewer than n) that is not made only of common words, with the anchor bit (the low bit) set
    on every value when `all_anchors`, else on the n-grams holding a number (`_number_tokens`)."""
    tokens = stems.shape[0]
    if tokens == 0:
        return np.empty(0, dtype=np.uint32)
    m = min(n, tokens)
    number = np.zeros(0, dtype=np.bool_) if all_anchors else _number_tokens(codepoints, starts, ends)
    out = np.empty(tokens - m + 1, dtype=np.uint32)
    k = 0
    for p in range(tokens - m + 1):
        if m == n:  # a short document's one n-gram is always kept
            only_common = True
            for q in range(p, p + n):
                only_common &= common[q]
            if only_common:
                continue
        h = stems[p]
        anchored = all_anchors or number[p]
        for q in range(p + 1, p + m):
            h = h * mix + stems[q]
            anchored = anchored or number[q]
        out[k] = (np.uint32(fmix64(h) >> np.uint64(32)) & np.uint32(0xFFFFFFFE)) | np.uint32(anchored)
        k += 1
    return out[:k]


@numba.njit(cache=True, nogil=True)
def _site_key(site, value):
    return (np.uint64(site) << np.uint64(32)) | np.uint64(value)


@numba.njit(cache=True, nogil=True)
def site_repeats(values, starts, lengths, sites, needed, repeated, kept):
    """repeated[j] = the value at position j of node i's sketch (values[starts[i]:starts[i] + lengths[i]]) is in the
    sketches of at least needed[i] nodes of node i's site (site 0: none, never repeated); kept[i] = the values of
    node i that are not. A first pass over saturating byte counters (about two per key) lets through the
    (site, value) keys that may repeat; only those are counted exactly, in an open-addressing table."""
    total = 0
    for i in range(starts.shape[0]):
        kept[i] = lengths[i]
        if sites[i] != 0:
            total += lengths[i]
    size = 16
    while size < 2 * total:
        size *= 2
    bucket_mask = np.uint64(size - 1)
    buckets = np.zeros(size, dtype=np.uint8)
    for i in range(starts.shape[0]):
        if sites[i] != 0:
            for j in range(starts[i], starts[i] + lengths[i]):
                b = fmix64(_site_key(sites[i], values[j])) & bucket_mask
                if buckets[b] < 255:
                    buckets[b] += 1
    found = 0
    for i in range(starts.shape[0]):
        if sites[i] != 0:
            for j in range(starts[i], starts[i] + lengths[i]):
                if buckets[fmix64(_site_key(sites[i], values[j])) & bucket_mask] >= min(needed[i], 255):
                    found += 1
    size = 16
    while size < 2 * found:
        size *= 2
    mask = np.uint64(size - 1)
    table = np.zeros(size, dtype=np.uint64)
    count = np.zeros(size, dtype=np.int32)
    for step in range(2):  # count the keys that may repeat, then read their counts back
        for i in range(starts.shape[0]):
            if sites[i] == 0:
                continue
            for j in range(starts[i], starts[i] + lengths[i]):
                key = _site_key(sites[i], values[j])
                h = fmix64(key)
                if buckets[h & bucket_mask] < min(needed[i], 255):
                    continue
                slot = h & mask
                while table[slot] != 0 and table[slot] != key:
                    slot = (slot + np.uint64(1)) & mask
                if step == 0:
                    table[slot] = key
                    count[slot] += 1
                elif count[slot] >= needed[i]:
                    repeated[j] = True
                    kept[i] -= 1


@numba.njit(cache=True, nogil=True)
def _grow(values, size):
    out = np.empty(size, dtype=values.dtype)
    out[: values.shape[0]] = values
    return out
