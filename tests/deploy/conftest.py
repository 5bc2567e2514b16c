"""Fixtures for deployment tests: a copy of the checkout, the wheel built from it, a clean venv holding it.

Each step runs the command docs/scheduling.md gives, so a change that breaks the documented path
breaks these tests. The venv is built once per session (pip's cache keeps it from downloading again).
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pytest

from tests.deploy.support import DEV_BIN, GOLD, REPO, Venv, run


@pytest.fixture(scope="session")
def checkout(tmp_path_factory) -> Path:
    """The working tree's files (tracked and new, not ignored) copied out, so builds leave nothing in it."""
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO).stdout
    target = tmp_path_factory.mktemp("checkout")
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():  # a tracked file deleted in the working tree is not part of it
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="session")
def wheel(checkout, tmp_path_factory) -> Path:
    """`pip wheel --no-deps -w dist .` in the checkout (docs/scheduling.md)."""
    dist = tmp_path_factory.mktemp("dist")
    run([DEV_BIN / "python", "-m", "pip", "wheel", "--no-deps", "-w", dist, "."], cwd=checkout)
    (built,) = dist.glob("newsdedup-*.whl")
    return built


@pytest.fixture(scope="session")
def installed(wheel, tmp_path_factory) -> Venv:
    """A new venv with only the wheel installed (its dependencies from the index): `pip install newsdedup-*.whl`."""
    root = tmp_path_factory.mktemp("venv") / "newsdedup"
    started = time.monotonic()
    run([sys.executable, "-m", "venv", root], cwd=root.parent)
    run([root / "bin" / "pip", "install", wheel], cwd=root.parent)
    return Venv(root, time.monotonic() - started)


@pytest.fixture(scope="session")
def seed_inputs(tmp_path_factory) -> Path:
    """A folder of page dumps outside the checkout: the five seeds."""
    folder = tmp_path_factory.mktemp("inputs")
    for name in GOLD["documents"]:
        shutil.copy2(REPO / "seeds" / name, folder / name)
    return folder
