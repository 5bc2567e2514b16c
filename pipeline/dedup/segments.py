"""Columnar numpy storage of indexed documents, with sorted-key lookups for their posting keys.

MinHashes are kept as their low 16 bits (b-bit minwise hashing: two different values collide with
probability 1/65536, so a Jaccard estimate moves by at most (1 - J) / 65536). The posting keys (LSH band
keys, indexed story values) are the ones the algorithm gave at commit: stored in the segment file, and in
memory only inside the sorted lookups. About 2 KB per document with the defaults (see docs/dedup.md).
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np

from pipeline.dedup.pairs import Holders, key_ranges
from pipeline.dedup.records import Postings, Rep, StoredDoc
from pipeline.dedup.storage import NEAR

logger = logging.getLogger(__name__)

_FIELDS = (
    "ids", "content", "run", "rank", "nrep", "nrep_run", "nrep_rank", "srep", "srep_run", "srep_rank", "site", "day",
    "near_size", "near", "story_vals", "story_off", "bands", "story_keys", "story_keys_off",
)  # fmt: skip
_POSTINGS = ("bands", "story_keys", "story_keys_off")  # on disk only: folded into the sorted lookups


def _id_bytes(doc_id: str) -> bytes:
    try:
        raw = bytes.fromhex(doc_id)
    except ValueError:
        raw = b""
    if len(raw) != 10:
        raise ValueError(f"doc_id must be 20 hex characters (make_doc_id), got {doc_id!r}")
    return raw


def _ids_array(doc_ids: list[str]) -> np.ndarray:
    return np.frombuffer(b"".join(_id_bytes(d) for d in doc_ids), dtype=np.uint8).reshape(-1, 10)


class Columns:
    """All committed documents of a lake index, one row each."""

    def __init__(self, arrays: dict[str, np.ndarray], config) -> None:
        self.a = arrays
        self.config = config
        self._lookup_built = False

    def __len__(self) -> int:
        return len(self.a["ids"])

    @classmethod
    def empty(cls, config) -> Columns:
        return cls.from_records([], None, config)

    @classmethod
    def from_records(cls, docs: list[StoredDoc], postings: Postings | None, config) -> Columns:
        u32 = lambda xs: np.array(xs, dtype=np.uint32)  # noqa: E731
        sketches = [d.story.astype(np.uint32, copy=False) for d in docs]
        near = np.array([d.near for d in docs], dtype=np.uint32).reshape(len(docs), config.num_perm)
        if postings is None:
            postings = Postings(np.empty((0, config.near_bands), np.uint32), np.empty(0, np.uint32), np.zeros(1, np.int64))
        arrays = {
            "ids": _ids_array([d.doc_id for d in docs]),
            "content": np.array([d.content_key for d in docs], dtype=np.uint64),
            "run": u32([d.run_seq for d in docs]),
            "rank": u32([d.rank for d in docs]),
            "nrep": _ids_array([d.near_rep.doc_id for d in docs]),
            "nrep_run": u32([d.near_rep.run_seq for d in docs]),
            "nrep_rank": u32([d.near_rep.rank for d in docs]),
            "srep": _ids_array([d.story_rep.doc_id for d in docs]),
            "srep_run": u32([d.story_rep.run_seq for d in docs]),
            "srep_rank": u32([d.story_rep.rank for d in docs]),
            "site": u32([d.site for d in docs]),
            "day": np.array([d.day for d in docs], dtype=np.int32),
            "near_size": u32([d.near_size for d in docs]),
            "near": low_bits(near),
            "story_vals": np.concatenate(sketches) if sketches else np.empty(0, dtype=np.uint32),
            "story_off": np.concatenate([[0], np.cumsum([len(s) for s in sketches], dtype=np.int64)]).astype(np.int64),
            "bands": postings.near.astype(np.uint32),
            "story_keys": postings.story_values.astype(np.uint32),
            "story_keys_off": postings.story_offsets.astype(np.int64),
        }
        return cls(arrays, config)

    @classmethod
    def load(cls, data: bytes, config) -> Columns:
        with np.load(io.BytesIO(data)) as npz:
            return cls({k: npz[k] for k in _FIELDS}, config)

    def dump(self, path: Path) -> None:
        """Write the segment file to `path` (a file, not bytes: a 100k-document segment is ~200 MB)."""
        np.savez(path, **self.a)  # MinHashes and hashes do not compress; plain npz loads fastest

    def append(self, other: Columns) -> Columns:
        """This index plus a loaded or new segment (which carries its band keys); lookups are merged, not rebuilt."""
        if not self._lookup_built:
            self.build_lookup()
        other.build_lookup()
        offset = len(self)
        arrays = {k: np.concatenate([self.a[k], other.a[k]]) for k in _FIELDS if k not in ("story_off", *_POSTINGS)}
        arrays["story_off"] = np.concatenate([self.a["story_off"], other.a["story_off"][1:] + self.a["story_off"][-1]])
        merged = Columns(arrays, self.config)
        merged.id_keys, merged.id_order = _merge(self.id_keys, self.id_order, other.id_keys, other.id_order + offset)
        merged.near_keys, merged.near_key_rows = _merge(self.near_keys, self.near_key_rows, other.near_keys, other.near_key_rows + offset)
        merged.story_keys, merged.story_key_rows = _merge(
            self.story_keys, self.story_key_rows, other.story_keys, other.story_key_rows + offset
        )
        merged._lookup_built = True
        return merged

    def build_lookup(self) -> None:
        """Sorted arrays for doc_id, LSH band and story lookups (the segment's posting keys are dropped after)."""
        if self._lookup_built:
            return
        ids = self.a["ids"]
        n = len(self)
        id_keys = ids[:, :8].copy().view(">u8").ravel().astype(np.uint64) if n else np.empty(0, np.uint64)
        self.id_order = np.argsort(id_keys, kind="stable").astype(np.uint32)
        self.id_keys = id_keys[self.id_order]
        bands = self.a.pop("bands")
        keys = bands.ravel()
        order = np.argsort(keys, kind="stable")
        self.near_keys = keys[order]
        self.near_key_rows = (order // max(1, bands.shape[1])).astype(np.uint32)
        values, off = self.a.pop("story_keys"), self.a.pop("story_keys_off")
        rows = np.repeat(np.arange(n, dtype=np.uint32), np.diff(off))
        order = np.argsort(values, kind="stable")
        self.story_keys = values[order]
        self.story_key_rows = rows[order]
        self._lookup_built = True

    def nbytes(self) -> int:
        """Bytes held in memory: stored columns plus lookup arrays."""
        lookup = (self.id_keys, self.id_order, self.near_keys, self.near_key_rows, self.story_keys, self.story_key_rows)
        return sum(v.nbytes for v in self.a.values()) + sum(v.nbytes for v in lookup)

    def row_of(self, doc_id: str) -> int | None:
        raw = _id_bytes(doc_id)
        key = np.uint64(int.from_bytes(raw[:8], "big"))
        keys = self.id_keys
        # one scalar search (method call, no wrapper), then the few rows sharing the 8-byte prefix
        i = int(keys.searchsorted(key))
        while i < len(keys) and keys[i] == key:
            row = int(self.id_order[i])
            if self.a["ids"][row].tobytes() == raw:
                return row
            i += 1
        return None

    def doc_id(self, row: int) -> str:
        return self.a["ids"][row].tobytes().hex()

    def postings(self, kind: str, keys: np.ndarray) -> Holders:
        """The rows holding each of `keys`: ranges of the sorted lookup (nothing copied)."""
        sorted_keys, key_rows = (self.near_keys, self.near_key_rows) if kind == NEAR else (self.story_keys, self.story_key_rows)
        return Holders(*key_ranges(sorted_keys, keys), key_rows, len(self))

    def record(self, row: int) -> StoredDoc:
        a = self.a
        off = a["story_off"]
        return StoredDoc(
            doc_id=self.doc_id(row),
            content_key=int(a["content"][row]),
            run_seq=int(a["run"][row]),
            rank=int(a["rank"][row]),
            near_rep=Rep(a["nrep"][row].tobytes().hex(), int(a["nrep_run"][row]), int(a["nrep_rank"][row])),
            story_rep=Rep(a["srep"][row].tobytes().hex(), int(a["srep_run"][row]), int(a["srep_rank"][row])),
            near=a["near"][row],
            story=a["story_vals"][off[row] : off[row + 1]],
            site=int(a["site"][row]),
            day=int(a["day"][row]),
            near_size=int(a["near_size"][row]),
        )


def low_bits(near: np.ndarray) -> np.ndarray:
    """The stored form of MinHash values: their low 16 bits."""
    return (near & np.uint32(0xFFFF)).astype(np.uint16)


def _merge(keys_a: np.ndarray, rows_a: np.ndarray, keys_b: np.ndarray, rows_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted (key, row) lookups as one (b's entries after a's equal keys, as a stable sort would put them).

    Placed by binary search rather than re-sorted: besides the two outputs only b-sized arrays are made,
    where concatenating and sorting held about six index-sized arrays at once.
    """
    at = np.searchsorted(keys_a, keys_b, "right") + np.arange(len(keys_b))
    from_a = np.ones(len(keys_a) + len(keys_b), dtype=bool)
    from_a[at] = False
    keys = np.empty(len(from_a), dtype=keys_a.dtype)
    rows = np.empty(len(from_a), dtype=rows_a.dtype)
    keys[at], rows[at] = keys_b, rows_b
    keys[from_a], rows[from_a] = keys_a, rows_a
    return keys, rows
