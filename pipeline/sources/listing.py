"""Every path under a local input folder, accounted for: an input to read, a reject with its reason, or counted.

- Files of a kind the source reads become `Input`s (sorted, so runs list them in a stable order).
- Everything else becomes a `read` reject: `unsupported_kind` (.pdf, .md, ...), `not_a_regular_file`
  (FIFO, socket, device: never opened, a FIFO would block the run), `broken_symlink` (dangling or
  looping), `symlink_outside_root` (unless following them is allowed: `/etc/passwd` must not be read
  through a link someone left in an upload folder), `permission_denied`, `unreadable`.
- Hidden entries (a leading dot: `.git`, `.DS_Store`, editors' swap files) are skipped without looking
  inside, and counted (`files/skipped/hidden`). A directory reached a second time (through a symlink)
  is not walked again, and counted (`files/skipped/directory_seen_twice`): its files are listed once.
"""

from __future__ import annotations

import logging
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

from pipeline.sources.inputs import Input, Listing, input_kind, path_reject, unsupported

logger = logging.getLogger(__name__)

_FILE_TYPES = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _file_type(mode: int) -> str:
    return next((name for test, name in _FILE_TYPES if test(mode)), "not a regular file")


class _Walk:
    def __init__(self, root: Path, follow_symlinks: bool) -> None:
        self.root = root
        self.follow_symlinks = follow_symlinks
        self.listing = Listing([], [], {})
        self.walked: set[tuple[int, int]] = set()

    def reject(self, path: Path, reason: str, detail: str) -> None:
        self.listing.rejects.append(path_reject(path.as_uri(), reason, detail))

    def skip(self, what: str) -> None:
        self.listing.skipped[what] = self.listing.skipped.get(what, 0) + 1

    def visit(self, path: Path) -> None:
        try:
            if stat.S_ISLNK(path.lstat().st_mode) and not self._symlink_allowed(path):
                return
            info = path.stat()
        except PermissionError as exc:
            return self.reject(path, "permission_denied", f"cannot be looked at: {exc.strerror}")
        except OSError as exc:
            return self.reject(path, "unreadable", f"{type(exc).__name__}: {exc}")
        if stat.S_ISDIR(info.st_mode):
            return self.visit_directory(path, info)
        if not stat.S_ISREG(info.st_mode):
            detail = f"is {_file_type(info.st_mode)}; only regular files are read"
            return self.reject(path, "not_a_regular_file", detail)
        kind = input_kind(path.name)
        if kind is None:
            return self.listing.rejects.append(unsupported(path.as_uri(), path.name))
        modified = datetime.fromtimestamp(info.st_mtime, UTC)
        self.listing.inputs.append(Input(path.as_uri(), kind, info.st_size, modified, str(path)))

    def _symlink_allowed(self, path: Path) -> bool:
        try:
            target = path.resolve(strict=True)
        except FileNotFoundError:
            self.reject(path, "broken_symlink", f"points to {os.readlink(path)!r}, which does not exist")
            return False
        except (OSError, RuntimeError) as exc:  # a loop of links
            self.reject(path, "broken_symlink", f"cannot be resolved: {exc}")
            return False
        if self.follow_symlinks or target.is_relative_to(self.root):
            return True
        self.reject(
            path,
            "symlink_outside_root",
            f"points to {str(target)!r}, outside the input folder; set FILES_FOLLOW_SYMLINKS=true to read it",
        )
        return False

    def visit_directory(self, path: Path, info: os.stat_result) -> None:
        if (info.st_dev, info.st_ino) in self.walked:
            logger.info("files: %s was already walked (reached again through a symlink); not listed twice", path)
            return self.skip("directory_seen_twice")
        self.walked.add((info.st_dev, info.st_ino))
        try:
            with os.scandir(path) as entries:
                names = sorted(entry.name for entry in entries)
        except PermissionError as exc:
            detail = f"directory cannot be listed ({exc.strerror}): none of its files are read"
            return self.reject(path, "permission_denied", detail)
        except OSError as exc:
            return self.reject(path, "unreadable", f"directory cannot be listed: {type(exc).__name__}: {exc}")
        for name in names:
            if name.startswith("."):
                self.skip("hidden")
                continue
            self.visit(path / name)


def list_local(root: Path, follow_symlinks: bool = False) -> Listing:
    """Everything under `root` (a directory, or one file) as inputs, rejects and skipped counts."""
    walk = _Walk(root, follow_symlinks)
    walk.visit(root)
    if walk.listing.skipped.get("hidden"):
        hidden = walk.listing.skipped["hidden"]
        logger.info("files: skipped %d hidden entries (names starting with a dot) under %s", hidden, root)
    return walk.listing
