"""The documents one run has added, kept small until `finish_run`: what grows with the run is ~0.7 KB a document.

Ids, urls, content keys and MinHashes stay in memory (flat buffers, no object per document). Story shingles,
~3 KB a document and read only when the run is decided, go to an unnamed temporary file (`TMPDIR`) that the
operating system removes when it is closed, or when the process dies.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from collections.abc import Iterator

import numpy as np


class RunDocs:
    """Append-only store of one run's documents, addressed by row (the order of `add`)."""

    def __init__(self, num_perm: int) -> None:
        self.num_perm = num_perm
        self.ids: list[str] = []
        self.urls: list[str] = []
        self._rows: dict[str, int] = {}
        self._content_keys = array("Q")
        self._near = bytearray()
        self._starts = array("q")  # in uint32 values, into the shingle file
        self._lengths = array("q")
        self._shingles = tempfile.TemporaryFile(prefix="newsdedup-run-shingles-")
        self._end = 0

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self._rows

    def add(self, doc_id: str, url: str, content_key: int, near: np.ndarray, shingles: np.ndarray) -> None:
        if len(near) != self.num_perm:
            raise ValueError(f"MinHash of {doc_id} has {len(near)} values, the index uses {self.num_perm}")
        self._rows[doc_id] = len(self.ids)
        self.ids.append(doc_id)
        self.urls.append(url)
        self._content_keys.append(content_key)
        self._near += np.ascontiguousarray(near, dtype=np.uint32).tobytes()
        values = np.ascontiguousarray(shingles, dtype=np.uint32)
        self._shingles.write(values.tobytes())
        self._starts.append(self._end)
        self._lengths.append(len(values))
        self._end += len(values)

    def url_order(self) -> np.ndarray:
        """Rows sorted by (url, doc_id): the order every decision of the run is taken in."""
        return np.array(sorted(range(len(self.ids)), key=lambda row: (self.urls[row], self.ids[row])), dtype=np.int64)

    def content_keys(self) -> np.ndarray:
        return np.frombuffer(self._content_keys, dtype=np.uint64)

    def near(self) -> np.ndarray:
        """[documents, num_perm] uint32 MinHashes, by row: a view, so nothing may be added while it is alive."""
        return np.frombuffer(self._near, dtype=np.uint32).reshape(len(self.ids), self.num_perm)

    def shingle_chunks(self, rows: np.ndarray, chunk: int = 4096) -> Iterator[list[np.ndarray]]:
        """The story shingle sets of `rows`, in that order, `chunk` documents at a time."""
        self._shingles.flush()
        fd = self._shingles.fileno()
        for begin in range(0, len(rows), chunk):
            sets = []
            for row in rows[begin : begin + chunk].tolist():
                size = self._lengths[row] * 4
                sets.append(np.frombuffer(os.pread(fd, size, self._starts[row] * 4), dtype=np.uint32))
            yield sets

    def drop_shingles(self) -> None:
        """Close (and so delete) the shingle file once the run's sketches are made."""
        self._shingles.close()
