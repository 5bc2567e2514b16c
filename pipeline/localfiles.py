"""Local input files: which ones to ingest, what kind they are, and their bytes read within a size limit.

A `LocalFile` travels to the extraction worker in place of the bytes, and the worker reads it: a saved
news page is ~300 KB, and pushing it from the crawl process through the pool's pipe cost ~1 ms of
worker idle time per file (`bench/throughput.py` prints that idle time).
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import Rejected

KINDS = {".txt": "text", ".html": "html", ".htm": "html"}


def content_kind(path: Path) -> str | None:
    """`text` or `html` from the file name (a trailing .gz is looked through), else None."""
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return KINDS.get(suffixes[-1]) if suffixes else None


def list_inputs(root: Path) -> list[Path]:
    """The files to ingest under `root`, in a stable order; hidden files and other types are skipped."""
    if root.is_file():
        return [root]
    return sorted(
        p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".") and content_kind(p) is not None
    )


def read_limited(path: Path, max_bytes: int) -> bytes:
    """The file's bytes (decompressed if .gz); raises `Rejected("read", "too_large" | "unreadable")`."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise Rejected("read", "too_large", f"file is {size} bytes, over FILES_MAX_BYTES={max_bytes}")
        if path.suffix.lower() != ".gz":
            return path.read_bytes()
        with gzip.open(path, "rb") as fh:  # bounded read: a small .gz may inflate without limit
            data = fh.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise Rejected("read", "unreadable", f"{type(exc).__name__}: {exc}") from exc
    if len(data) > max_bytes:
        raise Rejected("read", "too_large", f"decompressed size is over FILES_MAX_BYTES={max_bytes}")
    return data


@dataclass(frozen=True)
class LocalFile:
    """A file on this machine, to be read where it is extracted."""

    path: str
    max_bytes: int

    def read(self) -> bytes:
        return read_limited(Path(self.path), self.max_bytes)
