"""Helpers for deployment tests: commands run to completion, a venv's environment, the lake read back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pyarrow.dataset as ds

REPO = Path(__file__).resolve().parents[2]
DEV_BIN = Path(sys.executable).parent
GOLD = json.loads((REPO / "tests" / "resources" / "seeds_gold.json").read_text(encoding="utf-8"))
SAME_STORY_SEEDS = set(GOLD["links"]["same_story"][0])


def run(command: list, cwd: Path, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a command to completion, failing the test with its output when it exits non-zero."""
    done = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@dataclass(frozen=True)
class Venv:
    """A virtual environment outside the checkout; `env` runs its commands with nothing of the dev venv."""

    root: Path
    install_seconds: float

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    @property
    def env(self) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
        return {**inherited, "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}"}


def read_dataset(lake: Path, name: str) -> list[dict]:
    """Rows of one dataset of a local lake (none when it has no files)."""
    folder = lake / name
    if not folder.exists():
        return []
    return ds.dataset(str(folder), format="parquet", partitioning="hive").to_table().to_pylist()


def seed_links(lake: Path) -> list[tuple[str, set[str]]]:
    """The lake's links as (kind, {file name, file name}) for a lake of seed dumps."""
    names = {row["doc_id"]: Path(row["url"]).name for row in read_dataset(lake, "articles")}
    links = read_dataset(lake, "links")
    return [(link["kind"], {names[link["doc_id"]], names[link["other_doc_id"]]}) for link in links]
