"""Every analyst command in README.md and docs/*.md runs as printed.

Fenced blocks whose info string has `analyst` run against the demo lake (`./lake`, the seeds ingested
as `make demo` does), from a folder laid out like the repository (`.venv`, `lake`); `analyst-s3` blocks
run against moto_server holding the same lake at `s3://news-lake/prod`, with the AWS_* environment a
user would have. `sh` blocks run in bash, `python` blocks in the venv's Python, `sql` blocks in the
venv's DuckDB CLI.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.crawl import REPO
from tests.servers import start_moto

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w+) (analyst(?:-s3)?)\n(.*?)^```$", re.S | re.M)
# Copyable reading code: any block that has it must be marked, so it is run here (README's "Running it"
# lists `newsdedup summary` among operators' commands, whose paths are placeholders).
READING = re.compile(r"read_parquet|duckdb|pl\.scan_parquet|ds\.dataset|open_dataset|newsdedup report")
VENV = Path(sys.prefix)  # the venv running the tests: what `make demo` made


def blocks(kind: str) -> list[tuple[str, str, str]]:
    """(id, language, code) of every block marked `kind` in the docs."""
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for n, (language, marker, code) in enumerate(FENCE.findall(text)):
            if marker == kind:
                found.append((f"{doc.relative_to(REPO)}#{n}", language, code))
    return found


def run_block(language: str, code: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    if language == "sh":
        command = ["bash", "-e", "-c", code]
    elif language == "python":
        command = [".venv/bin/python", "-c", code]
    elif language == "sql":
        command = [".venv/bin/duckdb", "-c", code]
    else:
        raise AssertionError(f"no runner for ```{language} blocks")
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def workdir(seeds_lake, tmp_path_factory) -> Path:
    """A folder like the repository after `make demo`: `.venv` and the demo `lake`."""
    folder = tmp_path_factory.mktemp("demo")
    (folder / ".venv").symlink_to(VENV)
    (folder / "lake").symlink_to(seeds_lake)
    return folder


def user_env(home: Path, extra: dict | None = None) -> dict:
    # HOME is the test's: DuckDB installs the packaged httpfs extension under ~/.duckdb
    return {**os.environ, "HOME": str(home), **(extra or {})}


def test_docs_have_their_analyst_blocks_and_every_reading_block_is_marked():
    counts = {doc: 0 for doc in ("README.md", "docs/schema.md", "docs/report.md")}
    for block_id, _, _ in blocks("analyst") + blocks("analyst-s3"):
        doc = block_id.split("#")[0]
        if doc in counts:
            counts[doc] += 1
    assert all(counts.values()), counts
    for doc in DOCS:
        for match in re.finditer(r"^```([^\n]*)\n(.*?)^```$", doc.read_text(encoding="utf-8"), re.S | re.M):
            info, code = match.groups()
            if READING.search(code) and "analyst" not in info:
                pytest.fail(f"{doc.relative_to(REPO)}: a reading block is not marked analyst (so not tested):\n{code}")


@pytest.mark.parametrize(("block_id", "language", "code"), blocks("analyst"), ids=[b[0] for b in blocks("analyst")])
def test_analyst_block_runs_on_the_demo_lake(block_id, language, code, workdir, tmp_path):
    done = run_block(language, code, workdir, user_env(tmp_path))
    assert done.returncode == 0, f"{block_id} failed:\n{code}\n{done.stderr[-3000:]}"
    assert done.stdout.strip(), f"{block_id} printed nothing"
    assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr[-2000:]


@pytest.fixture(scope="module")
def s3_lake(seeds_lake, tmp_path_factory):
    """moto_server with the demo lake uploaded to s3://news-lake/prod; yields the user's AWS_* variables."""
    server = start_moto(tmp_path_factory.mktemp("moto"))
    try:
        server.create_bucket("news-lake")
        client = server.client()
        for path in sorted(p for p in Path(seeds_lake).rglob("*") if p.is_file()):
            client.upload_file(str(path), "news-lake", f"prod/{path.relative_to(seeds_lake).as_posix()}")
        yield server.env()
    finally:
        server.stop()


@pytest.mark.parametrize(("block_id", "language", "code"), blocks("analyst-s3"), ids=[b[0] for b in blocks("analyst-s3")])
def test_analyst_s3_block_runs_against_an_s3_server(block_id, language, code, workdir, s3_lake, tmp_path):
    done = run_block(language, code, workdir, user_env(tmp_path, s3_lake))
    assert done.returncode == 0, f"{block_id} failed:\n{code}\n{done.stderr[-3000:]}"
    assert done.stdout.strip(), f"{block_id} printed nothing"
    assert "Traceback" not in done.stderr, done.stderr[-2000:]


def test_canonical_views_on_the_demo_lake(workdir, tmp_path):
    """The SQL views give what they promise on the seeds: 5 texts, 4 stories (000 and 002 are one), 5 URLs."""
    (sql,) = [code for block_id, language, code in blocks("analyst") if language == "sql" and "CREATE VIEW stories" in code]
    query = sql + "\nSELECT count(*), max(texts), (SELECT count(*) FROM unique_texts) FROM stories;"
    done = subprocess.run([".venv/bin/duckdb", "-csv", "-noheader", "-c", query], cwd=workdir, capture_output=True,
                          text=True, env=user_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "4,2,5"
