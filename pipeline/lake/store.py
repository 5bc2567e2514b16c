"""Where the lake lives: a local folder or an S3-compatible bucket, behind one small interface.

Keys are always '/'-separated and relative to the lake root (e.g. ``articles/ingest_date=.../x.parquet``,
``_state/dedup/...``, ``_runs/<run_id>.json``). Every write is atomic: readers see the old object or
the whole new one, never a part.
"""

from __future__ import annotations

import logging
import os
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path

logger = logging.getLogger(__name__)


class Store(ABC):
    """An object store rooted at one lake URI."""

    uri: str

    @abstractmethod
    def read_bytes(self, key: str) -> bytes | None:
        """The object's bytes, or None when it does not exist."""

    @abstractmethod
    def write_bytes(self, key: str, data: bytes) -> None:
        """Create or replace the object atomically."""

    @abstractmethod
    def put_file(self, local_path: str | Path, key: str) -> None:
        """Upload (or move into place) a finished local file atomically."""

    @abstractmethod
    def list_keys(self, prefix: str) -> list[str]:
        """Keys under `prefix`, sorted."""

    @abstractmethod
    def delete_keys(self, keys: list[str]) -> None:
        """Remove objects; missing ones are ignored."""

    def exists(self, key: str) -> bool:
        return self.read_bytes(key) is not None


class LocalStore(Store):
    """A lake in a local folder; atomic writes by temporary file + rename in the same directory."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()
        self.uri = str(self.root)

    def path(self, key: str) -> Path:
        return self.root / key

    def read_bytes(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None

    def write_bytes(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put_file(self, local_path: str | Path, key: str) -> None:
        self.write_bytes(key, Path(local_path).read_bytes())

    def list_keys(self, prefix: str) -> list[str]:
        base = self.path(prefix)
        if base.is_file():
            return [prefix]
        if not base.exists():
            return []
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in base.rglob("*")
            if p.is_file() and not p.name.startswith(".tmp-")
        )

    def delete_keys(self, keys: list[str]) -> None:
        for key in keys:
            self.path(key).unlink(missing_ok=True)


def open_store(uri: str) -> Store:
    """A store for a lake URI: ``s3://bucket/prefix`` or a local path (``file://`` accepted)."""
    if uri.startswith("s3://"):
        from pipeline.lake.s3 import S3Store

        return S3Store.from_uri(uri)
    if uri.startswith("file://"):
        uri = uri[len("file://") :]
    return LocalStore(uri)
