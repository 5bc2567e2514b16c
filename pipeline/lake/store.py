"""Where the lake lives: a local folder or an S3-compatible bucket, behind one small interface.

Keys are always '/'-separated and relative to the lake root (e.g. ``articles/ingest_date=.../x.parquet``,
``_state/dedup/...``, ``_runs/<run_id>.json``). Every write is atomic: readers see the old object or
the whole new one, never a part. Any failure to reach the store raises `LakeUnavailable`.

A local lake writes each object to a temporary file under ``<lake>/_tmp/`` and renames it into place:
no temporary file is ever inside a dataset folder, where some reader would count it (DuckDB and polars
globs read `.tmp-x.parquet`, pyarrow and pandas read `x.parquet.part`, polars refuses a folder holding
both). `remove_leftovers` deletes what a killed process left there.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import shutil
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.lake.owner import temp_owner_is_dead, temp_prefix
from pipeline.lake.schema import SCHEMAS

if TYPE_CHECKING:
    from pipeline.lake.config import LakeConfig

logger = logging.getLogger(__name__)


TEMP_DIR = "_tmp"  # a local lake's temporary files: outside every dataset folder
LEGACY_TEMP_PREFIX = ".tmp-"  # where earlier versions put them: inside the dataset folders


class LakeUnavailable(Exception):
    """The lake's store cannot be reached or written; the message says what happened."""


@dataclass(frozen=True)
class Versioned:
    """An object read together with what conditional writes need."""

    data: bytes
    tag: str  # changes with every write of the object (the ETag on S3)
    age: float  # seconds since the object was last written, by the store's own clock


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

    @abstractmethod
    def read_versioned(self, key: str) -> Versioned | None:
        """The object with its version tag and age, or None when it does not exist."""

    @abstractmethod
    def write_if(self, key: str, data: bytes, *, tag: str | None) -> str | None:
        """Write only if the object does not exist (`tag` None) or is still at `tag`; the new tag, or None if not."""

    @abstractmethod
    def delete_if(self, key: str, tag: str) -> bool:
        """Delete the object only if it is still at `tag`; whether it was deleted."""

    def has_keys(self, prefix: str) -> bool:
        """Whether any object exists under the folder `prefix`."""
        return bool(self.list_keys(prefix))

    def remove_leftovers(self, pending_keys: Iterable[str], older_than_hours: float) -> list[str]:
        """Remove what killed writers left behind (temporary files, unfinished uploads of `pending_keys` or
        older than the limit), never anything a live writer is using; returns what was removed."""
        return []

    def url(self, key: str) -> str:
        """A URI of one object that readers (pyarrow, polars, DuckDB) accept."""
        return f"{self.uri.rstrip('/')}/{key}"


class LocalStore(Store):
    """A lake in a local folder; atomic writes by a temporary file in ``_tmp/`` renamed into place."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()
        self.uri = str(self.root)
        self.temp_dir = self.root / TEMP_DIR

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
            self.temp_dir.mkdir(parents=True, exist_ok=True)
            # same filesystem as the target (both under the lake root), so the rename is atomic
            fd, tmp = tempfile.mkstemp(dir=self.temp_dir, prefix=temp_prefix(), suffix=".part")
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

    def _files(self, prefix: str) -> Iterator[Path]:
        base = self.path(prefix)
        if base.is_file():
            yield base
        elif base.exists():
            # hidden files (lock files, legacy temporaries) are never lake objects
            yield from (p for p in base.rglob("*") if p.is_file() and not p.name.startswith("."))

    def list_keys(self, prefix: str) -> list[str]:
        return sorted(p.relative_to(self.root).as_posix() for p in self._files(prefix))

    def has_keys(self, prefix: str) -> bool:
        return next(self._files(prefix), None) is not None

    def delete_keys(self, keys: list[str]) -> None:
        try:
            for key in keys:
                self.path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise LakeUnavailable(f"cannot delete from the lake folder {self.root}: {exc}") from exc

    # ---- conditional writes: a read-compare-write under an flock on a lock file beside the object ----
    @contextmanager
    def _locked(self, key: str) -> Iterator[None]:
        target = self.path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target.parent / f".{target.name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise LakeUnavailable(f"cannot lock {key} in the lake folder {self.root}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def read_versioned(self, key: str) -> Versioned | None:
        try:
            with open(self.path(key), "rb") as fh:
                data = fh.read()
                modified = os.fstat(fh.fileno()).st_mtime
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise LakeUnavailable(f"cannot read {key} from the lake folder {self.root}: {exc}") from exc
        return Versioned(data, hashlib.sha256(data).hexdigest(), max(0.0, time.time() - modified))

    def write_if(self, key: str, data: bytes, *, tag: str | None) -> str | None:
        with self._locked(key):
            current = self.read_versioned(key)
            if (current.tag if current else None) != tag:
                return None
            self.write_bytes(key, data)
        return hashlib.sha256(data).hexdigest()

    def delete_if(self, key: str, tag: str) -> bool:
        with self._locked(key):
            current = self.read_versioned(key)
            if current is None or current.tag != tag:
                return False
            self.delete_keys([key])
        return True

    def remove_leftovers(self, pending_keys: Iterable[str], older_than_hours: float) -> list[str]:
        """Temporary files of dead writers (or older than the limit) in ``_tmp/``, and any `.tmp-*` file an
        earlier version left inside the dataset folders (readers count those)."""
        cutoff = time.time() - older_than_hours * 3600
        removed: list[str] = []
        try:
            temps = list(self.temp_dir.glob("*.part")) if self.temp_dir.exists() else []
            for path in temps:
                if temp_owner_is_dead(path.name) or path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
                    removed.append(path.relative_to(self.root).as_posix())
            # where `_replace` put them: beside their target (partition folders, manifests, index state)
            patterns = [f"{dataset}/*/{LEGACY_TEMP_PREFIX}*" for dataset in SCHEMAS]
            for pattern in (*patterns, f"_runs/{LEGACY_TEMP_PREFIX}*", f"_state/**/{LEGACY_TEMP_PREFIX}*"):
                for path in self.root.glob(pattern):
                    path.unlink(missing_ok=True)
                    removed.append(path.relative_to(self.root).as_posix())
        except OSError as exc:
            raise LakeUnavailable(f"cannot clean temporary files in the lake folder {self.root}: {exc}") from exc
        return removed


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
