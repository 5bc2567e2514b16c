"""The documents one run has added, kept small until `finish_run`: what grows with the run is ~0.7 KB a document.

Ids, urls, content keys and MinHashes stay in memory (flat buffers, no object per document). Story shingles,
~3 KB a document and read only when the run is decided, go to an unnamed temporary file (`TMPDIR`) that the
operating system removes when it is closed, or when the process dies.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from collections.abc import Callable, Iterator

import numpy as np

from pipeline.dedup.pairs import expand_ranges
from pipeline.dedup.records import FULL_COVER, DocFreq


class RunDocs:
    """Append-only store of one run's documents, addressed by row (the order of `add`)."""

    def __init__(self, num_perm: int) -> None:
        self.num_perm = num_perm
        self.ids: list[str] = []
        self.urls: list[str] = []
        self._rows: dict[str, int] = {}
        self._content_keys = array("Q")
        self._sites = array("I")
        self._days = array("i")
        self._near_sizes = array("I")
        self._near = bytearray()
        self._starts = array("q")  # in uint32 values, into the shingle file
        self._lengths = array("q")
        self._shingles = tempfile.TemporaryFile(prefix="newsdedup-run-shingles-")
        self._end = 0

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self._rows

    def add(self, doc_id: str, url: str, content_key: int, site: int, day: int, near, shingles, near_size: int) -> None:
        """`near` and `shingles`: uint32 values, as bytes (a `DocSignature`'s fields) or a uint32 array; `near_size`:
        the number of distinct shingles the MinHash was made of."""
        near, shingles = memoryview(near).cast("B"), memoryview(shingles).cast("B")
        if len(near) != 4 * self.num_perm:
            raise ValueError(f"MinHash of {doc_id} has {len(near) // 4} values, the index uses {self.num_perm}")
        self._rows[doc_id] = len(self.ids)
        self.ids.append(doc_id)
        self.urls.append(url)
        self._content_keys.append(content_key)
        self._sites.append(site)
        self._days.append(day)
        self._near_sizes.append(near_size)
        self._near += near
        self._shingles.write(shingles)
        self._starts.append(self._end)
        self._lengths.append(len(shingles) // 4)
        self._end += len(shingles) // 4

    def url_order(self) -> np.ndarray:
        """Rows sorted by (url, doc_id): the order every decision of the run is taken in."""
        return np.array(sorted(range(len(self.ids)), key=lambda row: (self.urls[row], self.ids[row])), dtype=np.int64)

    def content_keys(self) -> np.ndarray:
        return np.frombuffer(self._content_keys, dtype=np.uint64)

    def sites(self) -> np.ndarray:
        return np.frombuffer(self._sites, dtype=np.uint32)

    def days(self) -> np.ndarray:
        return np.frombuffer(self._days, dtype=np.int32)

    def near_sizes(self) -> np.ndarray:
        return np.frombuffer(self._near_sizes, dtype=np.uint32)

    def near(self) -> np.ndarray:
        """[documents, num_perm] uint32 MinHashes, by row: a view, so nothing may be added while it is alive."""
        return np.frombuffer(self._near, dtype=np.uint32).reshape(len(self.ids), self.num_perm)

    def count_shingles(self, rows: np.ndarray, df: DocFreq) -> None:
        """Count the story shingles of the selected `rows` (a mask over rows) into `df`, one document each."""
        for first, lengths, values in self._blocks():
            selected = rows[first : first + len(lengths)]
            if not selected.all():
                values = values[np.repeat(selected, lengths)]
            df.add_values(values, int(selected.sum()))

    def story_sketches(
        self, rows: np.ndarray, keep: Callable[[np.ndarray], np.ndarray], k: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Bottom-k sketches of the selected `rows` (empty for the others) as (values, offsets, covers) by row:
        each document's first `k` shingles that `keep` (a mask function over values) lets through, and the
        largest value a sketch speaks for (its last value when shingles were cut off, else the uint32 maximum).

        Streamed from the file in blocks with vectorized selection: no array object per document, which on a
        100k-document run held ~3x the sketches' own bytes and fragmented the heap.
        """
        parts, counts, cut = [], [], []
        for first, lengths, values in self._blocks():
            wanted = keep(values) & np.repeat(rows[first : first + len(lengths)], lengths)
            owner = np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)[wanted]
            kept = np.bincount(owner, minlength=len(lengths))
            rank = expand_ranges(np.zeros(len(kept)), kept)  # position within its document
            parts.append(values[wanted][rank < k])
            counts.append(np.minimum(kept, k))
            cut.append(kept > k)
        sizes = np.concatenate(counts) if counts else np.empty(0, np.int64)
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        values = np.concatenate(parts) if parts else np.empty(0, np.uint32)
        covers = np.full(len(sizes), FULL_COVER, dtype=np.uint32)
        truncated = np.concatenate(cut) if cut else np.zeros(0, bool)
        covers[truncated] = values[offsets[1:][truncated] - 1]
        return values, offsets, covers

    def _blocks(self, block_values: int = 1 << 20) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """(first row, lengths, shingles) of consecutive rows, about `block_values` shingles (4 MB) per read."""
        self._shingles.flush()
        fd = self._shingles.fileno()
        starts = np.frombuffer(self._starts, dtype=np.int64)
        lengths = np.frombuffer(self._lengths, dtype=np.int64)
        row = 0
        while row < len(starts):
            end = max(row + 1, int(np.searchsorted(starts, starts[row] + block_values, "left")))
            size = (int(starts[end - 1] + lengths[end - 1]) - int(starts[row])) * 4
            data = os.pread(fd, size, int(starts[row]) * 4)
            if len(data) != size:
                raise OSError(f"run shingle file {self._shingles.name}: read {len(data)} of {size} bytes")
            yield row, lengths[row:end], np.frombuffer(data, dtype=np.uint32)
            row = end

    def drop_shingles(self) -> None:
        """Close (and so delete) the shingle file once the run's sketches are made."""
        self._shingles.close()
