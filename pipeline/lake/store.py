"""Where the lake lives: a local folder or an S3-compatible bucket, behind one small interface.

Keys are always '/'-separated and relative to the lake root (e.g. ``articles/ingest_date=.../x.parquet``,
``_state/dedup/...``, ``_runs/<run_id>.json``). Every write is atomic: readers see the old object or
the whole new one, never a part. Any failure to reach the store raises `LakeUnavailable`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.lake.config import LakeConfig

logger = logging.getLogger(__name__)


class LakeUnavailable(Exception):
    """The lake's store cannot be reached or written; the message says what happened."""


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file, read in chunks (files can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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
    def put_file(self, local_path: str | Path, key: str, *, sha256: str | None = None) -> None:
        """Upload (or copy into place) a finished local file atomically; `sha256` is verified if given."""

    @abstractmethod
    def list_keys(self, prefix: str) -> list[str]:
        """Keys under `prefix`, sorted."""

    @abstractmethod
    def delete_keys(self, keys: list[str]) -> None:
        """Remove objects; missing ones are ignored."""

    def exists(self, key: str) -> bool:
        return self.read_bytes(key) is not None

    def get_file(self, key: str, local_path: str | Path) -> None:
        """Copy an object to a local file (streamed by stores that can)."""
        data = self.read_bytes(key)
        if data is None:
            raise LakeUnavailable(f"{key} is not in the lake {self.uri}")
        Path(local_path).write_bytes(data)

    def abort_stale_uploads(self, keys: Iterable[str], older_than_hours: float) -> list[str]:
        """Abort unfinished uploads of `keys` (or older than the limit); returns the keys aborted."""
        return []

    def url(self, key: str) -> str:
        """A URI of one object that readers (pyarrow, polars, DuckDB) accept."""
        return f"{self.uri.rstrip('/')}/{key}"


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
        except OSError as exc:
            raise LakeUnavailable(f"cannot read {key} from the lake folder {self.root}: {exc}") from exc

    def _replace(self, key: str, fill) -> None:
        target = self.path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fill(fh)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise LakeUnavailable(f"cannot write {key} into the lake folder {self.root}: {exc}") from exc

    def write_bytes(self, key: str, data: bytes) -> None:
        self._replace(key, lambda fh: fh.write(data))

    def put_file(self, local_path: str | Path, key: str, *, sha256: str | None = None) -> None:
        def copy(fh) -> None:
            with open(local_path, "rb") as src:
                shutil.copyfileobj(src, fh, 1 << 20)

        self._replace(key, copy)
        if sha256 is not None and file_sha256(self.path(key)) != sha256:
            raise LakeUnavailable(f"{key}: checksum of the copy in {self.root} differs from the spooled file")

    def get_file(self, key: str, local_path: str | Path) -> None:
        try:
            shutil.copyfile(self.path(key), local_path)
        except OSError as exc:
            raise LakeUnavailable(f"cannot read {key} from the lake folder {self.root}: {exc}") from exc

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
        try:
            for key in keys:
                self.path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise LakeUnavailable(f"cannot delete from the lake folder {self.root}: {exc}") from exc


def open_store(uri: str, config: LakeConfig | None = None) -> Store:
    """A store for a lake URI: ``s3://bucket/prefix`` or a local path (``file://`` accepted).

    S3 transfer settings come from `config` (the caller's, see `pipeline.options`), else the defaults.
    """
    if uri.startswith("s3://"):
        from pipeline.lake.config import LakeConfig
        from pipeline.lake.s3 import S3Store

        return S3Store.from_uri(uri, config or LakeConfig())
    if uri.startswith("file://"):
        uri = uri[len("file://") :]
    return LocalStore(uri)
