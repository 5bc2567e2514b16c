"""Columnar numpy storage of indexed documents, with sorted-key lookups for LSH bands and story sketches.

About 1.9 KB per document with the defaults (see docs/dedup.md), against ~3.3 KB for datasketch's
in-memory `MinHashLSH` alone.
"""

from __future__ import annotations

import io
import logging

import numpy as np

from pipeline.dedup.records import Rep, StoredDoc, band_keys

logger = logging.getLogger(__name__)

_FIELDS = ("ids", "content", "run", "rank", "nrep", "nrep_run", "nrep_rank", "srep", "srep_run", "srep_rank", "near", "story_vals", "story_off")


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
        return cls.from_records([], config)

    @classmethod
    def from_records(cls, docs: list[StoredDoc], config) -> Columns:
        u32 = lambda xs: np.array(xs, dtype=np.uint32)  # noqa: E731
        sketches = [d.story.astype(np.uint32) for d in docs]
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
            "near": np.array([d.near for d in docs], dtype=np.uint32).reshape(len(docs), config.num_perm),
            "story_vals": np.concatenate(sketches) if sketches else np.empty(0, dtype=np.uint32),
            "story_off": np.concatenate([[0], np.cumsum([len(s) for s in sketches], dtype=np.int64)]).astype(np.int64),
        }
        return cls(arrays, config)

    @classmethod
    def load(cls, data: bytes, config) -> Columns:
        with np.load(io.BytesIO(data)) as npz:
            return cls({k: npz[k] for k in _FIELDS}, config)

    def dump(self) -> bytes:
        buf = io.BytesIO()
        np.savez(buf, **self.a)  # MinHashes and hashes do not compress; plain npz loads fastest
        return buf.getvalue()

    def append(self, other: Columns) -> Columns:
        if not len(other):
            return self
        if not len(self):
            return Columns(dict(other.a), self.config)
        arrays = {k: np.concatenate([self.a[k], other.a[k]]) for k in _FIELDS if k != "story_off"}
        arrays["story_off"] = np.concatenate([self.a["story_off"], other.a["story_off"][1:] + self.a["story_off"][-1]])
        return Columns(arrays, self.config)

    def build_lookup(self) -> None:
        """Sorted arrays for doc_id, LSH band and story-sketch lookups (rebuilt once per load or commit)."""
        ids = self.a["ids"]
        self.id_keys = ids[:, :8].copy().view(">u8").ravel().astype(np.uint64)
        self.id_order = np.argsort(self.id_keys, kind="stable").astype(np.uint32)
        self.id_keys = self.id_keys[self.id_order]
        n = len(self)
        keys = band_keys(self.a["near"], self.config.near_bands).ravel() if n else np.empty(0, np.uint32)
        order = np.argsort(keys, kind="stable")
        self.near_keys = keys[order]
        self.near_key_rows = (order // self.config.near_bands).astype(np.uint32)
        off = self.a["story_off"]
        lengths = np.minimum(np.diff(off), self.config.story_index_size)
        pos = np.concatenate([np.arange(o, o + k) for o, k in zip(off[:-1].tolist(), lengths.tolist())]) if n else np.empty(0, np.int64)
        rows = np.repeat(np.arange(n, dtype=np.uint32), lengths)
        values = self.a["story_vals"][pos.astype(np.int64)]
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
        lo = int(np.searchsorted(self.id_keys, key, "left"))
        hi = int(np.searchsorted(self.id_keys, key, "right"))
        for i in range(lo, hi):
            row = int(self.id_order[i])
            if self.a["ids"][row].tobytes() == raw:
                return row
        return None

    def doc_id(self, row: int) -> str:
        return self.a["ids"][row].tobytes().hex()

    def near_rows(self, keys: np.ndarray) -> list[int]:
        if not len(self.near_keys):
            return []
        return _matches(self.near_keys, self.near_key_rows, keys).tolist()

    def story_rows(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not len(self.story_keys) or not len(values):
            return np.empty(0, np.uint32), np.empty(0, np.int64)
        rows = _matches(self.story_keys, self.story_key_rows, values, unique=False)
        return np.unique(rows, return_counts=True)

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
        )


def _matches(sorted_keys: np.ndarray, rows: np.ndarray, queries: np.ndarray, unique: bool = True) -> np.ndarray:
    """Rows whose key equals one of `queries` (with repeats when `unique` is False)."""
    lo = np.searchsorted(sorted_keys, queries, "left")
    hi = np.searchsorted(sorted_keys, queries, "right")
    hit = hi > lo
    if not hit.any():
        return np.empty(0, np.uint32)
    idx = np.concatenate([np.arange(a, b) for a, b in zip(lo[hit].tolist(), hi[hit].tolist())])
    found = rows[idx]
    return np.unique(found) if unique else found
