"""Every path under an input folder ends as an input or a reject with its reason (issue #12 item 4)."""

from __future__ import annotations

import os
import pickle
import socket
import stat
import tempfile
from pathlib import Path

import pytest

from pipeline.errors import Rejected
from pipeline.localfiles import read_limited
from pipeline.sources import list_inputs, resolve_root
from pipeline.sources.config import SourceOptions

NOBODY = 65534


def listed(root: Path, **options) -> tuple[dict[str, str], dict[str, str], dict[str, int]]:
    """(name relative to root -> kind, name -> reject reason, skipped counts)."""
    listing = list_inputs(resolve_root(root), SourceOptions(**options))

    def name(uri: str) -> str:
        return str(Path(uri.removeprefix("file://")).relative_to(root))

    return ({name(i.uri): i.kind for i in listing.inputs}, {name(r.url): r.reason for r in listing.rejects}, listing.skipped)


@pytest.fixture
def odd_folder(tmp_path):
    root, outside = tmp_path / "inputs", tmp_path / "elsewhere"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text("a file outside the input folder\n")
    for name in ("page.html", "dump.txt", "sub/page.htm.gz", "shard.warc.gz", "export.jsonl", "sub/export.ndjson"):
        (root / name).write_bytes(b"x")
    for name in ("report.pdf", "README.md", "sitemap.xml", "Makefile", "archive.tar.gz"):
        (root / name).write_bytes(b"x")
    (root / ".hidden.txt").write_text("x")
    (root / ".git").mkdir()
    (root / ".git" / "config.txt").write_text("x")
    os.mkfifo(root / "pipe.txt")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(root / "control.sock"))
    (root / "dangling.txt").symlink_to(root / "gone.txt")
    (root / "zero.txt").symlink_to("/dev/zero")
    (root / "passwd.txt").symlink_to(outside / "secret.txt")
    (root / "inside.txt").symlink_to(root / "dump.txt")
    (root / "loop-a.txt").symlink_to(root / "loop-b.txt")
    (root / "loop-b.txt").symlink_to(root / "loop-a.txt")
    (root / "sub" / "up").symlink_to(root)  # a directory cycle inside the folder
    yield root
    server.close()


def test_every_path_is_an_input_or_a_reject_with_its_reason(odd_folder):
    inputs, rejects, skipped = listed(odd_folder)
    assert inputs == {
        "page.html": "html", "dump.txt": "text", "sub/page.htm.gz": "html", "shard.warc.gz": "warc",
        "export.jsonl": "jsonl", "sub/export.ndjson": "jsonl", "inside.txt": "text",
    }  # fmt: skip
    assert rejects == {
        "report.pdf": "unsupported_kind", "README.md": "unsupported_kind", "sitemap.xml": "unsupported_kind",
        "Makefile": "unsupported_kind", "archive.tar.gz": "unsupported_kind",
        "pipe.txt": "not_a_regular_file", "control.sock": "not_a_regular_file",
        "dangling.txt": "broken_symlink", "loop-a.txt": "broken_symlink", "loop-b.txt": "broken_symlink",
        "zero.txt": "symlink_outside_root", "passwd.txt": "symlink_outside_root",
    }  # fmt: skip
    assert skipped == {"hidden": 2, "directory_seen_twice": 1}
    relative = (p.relative_to(odd_folder) for p in odd_folder.rglob("*"))
    visible = {str(p) for p in relative if not any(part.startswith(".") for part in p.parts)}
    visible -= {"sub", "sub/up"}  # directories: walked (once), not inputs
    assert set(inputs) | set(rejects) == {v for v in visible if not v.startswith("sub/up/")}


def test_symlinks_out_of_the_folder_are_followed_only_when_allowed(odd_folder):
    inputs, rejects, _ = listed(odd_folder, follow_symlinks=True)
    assert inputs["passwd.txt"] == "text"
    assert rejects["zero.txt"] == "not_a_regular_file"  # never opened: /dev/zero would never end


def test_one_file_as_the_root(odd_folder):
    assert listed(odd_folder / "dump.txt")[0] == {".": "text"}
    assert listed(odd_folder / "report.pdf")[1] == {".": "unsupported_kind"}


def _unprivileged(function, *args):
    """`function(*args)` in a forked child that runs as `nobody` when this process is root (root ignores permissions)."""
    if os.geteuid() != 0:
        return function(*args)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no return from here
        try:
            os.close(read_end)
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            result = ("ok", function(*args))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            result = ("error", repr(exc))
        with os.fdopen(write_end, "wb") as out:
            pickle.dump(result, out)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as answer:
        status, value = pickle.load(answer)
    os.waitpid(pid, 0)
    if status != "ok":
        pytest.skip(f"could not run the check as an unprivileged user: {value}")
    return value


def _listing_and_read(root: Path):
    inputs, rejects, _ = listed(root)
    try:
        read_limited(root / "open" / "locked.txt", 1000)
        read_reason = None
    except Rejected as exc:
        read_reason = exc.reason
    return inputs, rejects, read_reason


def test_unreadable_directories_and_files_are_rejects_for_a_user_without_permission():
    # Not under pytest's tmp_path: that folder is private to root, and the check may run as `nobody`.
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "inputs"
        for folder in ("locked", "no-search", "open"):
            (root / folder).mkdir(parents=True)
        (root / "locked" / "a.txt").write_text("x")
        (root / "no-search" / "b.txt").write_text("x")
        (root / "open" / "locked.txt").write_text("x")
        (root / "open" / "fine.txt").write_text("x")
        os.chmod(tmp, 0o755)
        os.chmod(root, 0o755)
        os.chmod(root / "locked", 0)
        os.chmod(root / "no-search", stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # names visible, files not
        os.chmod(root / "open", 0o755)
        os.chmod(root / "open" / "locked.txt", 0)
        try:
            inputs, rejects, read_reason = _unprivileged(_listing_and_read, root)
        finally:
            for folder in ("locked", "no-search"):
                os.chmod(root / folder, 0o755)  # so that the temporary folder can be removed
    assert rejects == {"locked": "permission_denied", "no-search/b.txt": "permission_denied"}
    assert inputs == {"open/fine.txt": "text", "open/locked.txt": "text"}
    assert read_reason == "permission_denied"  # the worker's read says why
