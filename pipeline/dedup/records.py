"""Index records and the keys derived from them (LSH band keys, document-frequency sketch), shared by backends."""

from __future__ import annotations

import functools
import logging
import zlib
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np

logger = logging.getLogger(__name__)

_MIX = np.uint64(0x9E3779B97F4A7C15)
FULL_COVER = np.uint32(0xFFFFFFFF)  # the cover of a sketch holding all its document's shingles: every value


@dataclass
class Rep:
    """A cluster representative: its doc_id and its ordering key (run sequence, rank of its url within that run)."""

    doc_id: str
    run_seq: int
    rank: int

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.run_seq, self.rank, self.doc_id)


@dataclass
class StoredDoc:
    """One indexed document as every backend keeps it."""

    doc_id: str
    content_key: int  # first 64 bits of the content hash
    run_seq: int
    rank: int
    near_rep: Rep
    story_rep: Rep
    near: np.ndarray  # MinHash: uint32, or its low 16 bits as the lake backend stores it (compared on those)
    story: np.ndarray  # uint32 sorted bottom-k sketch of filtered story shingles
    site: int  # `site_key` of the url's host (0: none)
    day: int  # publish day (signatures.NO_DAY: unknown)
    near_size: int  # distinct shingles under the MinHash (0: unknown)


@dataclass(frozen=True)
class Postings:
    """The keys a run's documents are found by, decided by the algorithm and stored as they are by a backend:
    LSH band keys ([documents, bands]) and indexed story values (document i's are values[offsets[i]:offsets[i + 1]])."""

    near: np.ndarray
    story_values: np.ndarray
    story_offsets: np.ndarray

    def story(self, i: int) -> np.ndarray:
        return self.story_values[self.story_offsets[i] : self.story_offsets[i + 1]]


def content_key(content_hash: str) -> int:
    return int(content_hash[:16], 16)


def site_key(url: str) -> int:
    """A 32-bit key of the url's host (0 when it has none, like file:// urls): documents of one site share it."""
    _, found, rest = url.partition("://")
    return _netloc_key(rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]) if found else 0


@functools.lru_cache(maxsize=4096)
def _netloc_key(netloc: str) -> int:
    host = urlsplit(f"//{netloc}").hostname  # lower case, without user, password or port: one site
    return (zlib.crc32(host.encode("utf-8")) or 1) if host else 0


def band_keys(near: np.ndarray, bands: int, chunk: int = 8192) -> np.ndarray:
    """uint32 LSH key of each band of each MinHash row ([n, num_perm] -> [n, bands]); band index is mixed in.

    Computed `chunk` rows at a time: the uint64 working copy is 8x the MinHashes' own size.
    """
    near = np.atleast_2d(near)
    if len(near) > chunk:
        return np.concatenate([_band_keys(near[s : s + chunk], bands) for s in range(0, len(near), chunk)])
    return _band_keys(near, bands)


def _band_keys(near: np.ndarray, bands: int) -> np.ndarray:
    n, perms = near.shape
    rows = perms // bands
    cols = near.reshape(n, bands, rows).astype(np.uint64)
    with np.errstate(over="ignore"):
        h = np.broadcast_to(np.arange(1, bands + 1, dtype=np.uint64), (n, bands)).copy()
        for j in range(rows):
            h = h * _MIX + cols[:, :, j]
        h ^= h >> np.uint64(29)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(32)
    return (h & np.uint64(0xFFFFFFFF)).astype(np.uint32)


class DocFreq:
    """Count-min sketch of shingle document frequencies (over-estimates only, so a doubtful shingle is dropped)."""

    def __init__(self, table: np.ndarray, n_docs: int) -> None:
        self.table = table  # uint32 [depth, width]
        self.n_docs = n_docs

    @classmethod
    def empty(cls, depth: int, width: int) -> DocFreq:
        return cls(np.zeros((depth, width), dtype=np.uint32), 0)

    @staticmethod
    def cells(values: np.ndarray, depth: int, width: int) -> np.ndarray:
        """Column of each value in each row: [depth, len(values)]."""
        v = values.astype(np.uint64)
        mask = np.uint64(width - 1)
        out = np.empty((depth, len(v)), dtype=np.int64)
        with np.errstate(over="ignore"):
            for d in range(depth):
                h = (v + np.uint64(d + 1)) * np.uint64(0xD6E8FEB86659FD93)
                h ^= h >> np.uint64(32)
                out[d] = (h & mask).astype(np.int64)
        return out

    def counts(self, values: np.ndarray) -> np.ndarray:
        depth, width = self.table.shape
        cells = self.cells(values, depth, width)
        return self.table[np.arange(depth)[:, None], cells].min(axis=0)

    def below(self, values: np.ndarray, cutoff: float) -> np.ndarray:
        """Mask of the values whose count is under `cutoff` (compiled: a row's count under it settles the minimum,
        so most values cost one random read, not `depth`)."""
        from pipeline.dedup.kernels import count_min_below

        out = np.empty(len(values), dtype=bool)
        count_min_below(self.table, values.astype(np.uint32, copy=False), float(cutoff), out)
        return out

    def merge(self, other: DocFreq) -> None:
        """Add another table's counts (count-min tables of the same shape are sums: order-free)."""
        if other.table.shape != self.table.shape:
            raise ValueError(f"document-frequency tables differ in shape: {self.table.shape} and {other.table.shape}")
        self.table += other.table
        self.n_docs += other.n_docs

    def add_docs(self, shingle_sets: list[np.ndarray]) -> None:
        """Count each document's distinct shingles once."""
        if shingle_sets:
            self.add_values(np.concatenate(shingle_sets), len(shingle_sets))

    def add_values(self, values: np.ndarray, docs: int) -> None:
        """Count `values`, the distinct shingles of `docs` documents laid end to end."""
        from pipeline.dedup.kernels import count_min_add

        # one compiled pass: no [depth, n] cell array and no width-sized bincount per row
        count_min_add(self.table, values.astype(np.uint32, copy=False))
        self.n_docs += docs
