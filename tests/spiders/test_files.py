"""The file source on bad and odd inputs: every file ends in articles or rejects, the run exits 0."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from tests.crawl import SEEDS, read_dataset, run_crawl

SEED = "000_3b93ccf9d086253d.txt"


@pytest.fixture(scope="module")
def mixed_inputs(tmp_path_factory):
    inputs = tmp_path_factory.mktemp("inputs")
    shutil.copy(SEEDS / SEED, inputs / SEED)
    text = (SEEDS / SEED).read_text(encoding="utf-8")
    (inputs / "cp1256_copy.txt").write_bytes(text.encode("windows-1256"))
    (inputs / "utf16_copy.txt").write_bytes(text.encode("utf-16"))  # with BOM
    (inputs / "empty.txt").write_bytes(b"")
    (inputs / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (inputs / "huge.txt").write_bytes(b"a" * 2_000_001)
    with gzip.open(inputs / "page.html.gz", "wt", encoding="utf-8") as fh:
        fh.write(
            "<html><head><title>Gzip page</title></head><body><article><h1>Gzip page</h1>"
            + "".join(f"<p>Paragraph {i} of a saved page that was compressed on disk before ingestion.</p>" for i in range(12))
            + "</article></body></html>"
        )
    (inputs / "broken.html.gz").write_bytes(b"\x1f\x8b\x08 not really gzip")
    lake = tmp_path_factory.mktemp("lake")
    result = run_crawl(
        "files", lake, f"path={inputs}", spool=tmp_path_factory.mktemp("spool"), settings={"FILES_MAX_BYTES": "2000000"}
    )
    return inputs, lake, result


def test_run_exits_zero(mixed_inputs):
    _, _, result = mixed_inputs
    assert result.returncode == 0, result.stderr[-3000:]


def test_every_file_is_an_article_or_a_reject(mixed_inputs):
    inputs, lake, _ = mixed_inputs
    articles = {Path(u).name for u in read_dataset(lake, "articles").column("url").to_pylist()}
    rejects = {Path(r["url"]).name: r for r in read_dataset(lake, "rejects").to_pylist()}
    assert articles | set(rejects) == {p.name for p in inputs.iterdir()}
    assert not articles & set(rejects)
    assert rejects["empty.txt"]["reason"] == "empty"
    assert rejects["binary.txt"]["reason"] == "binary"
    assert rejects["huge.txt"]["reason"] == "too_large"
    assert rejects["broken.html.gz"]["reason"] == "unreadable"
    assert "page.html.gz" in articles


def test_legacy_encodings_come_out_identical_and_are_linked_exact(mixed_inputs):
    _, lake, _ = mixed_inputs
    rows = {Path(r["url"]).name: r for r in read_dataset(lake, "articles").to_pylist()}
    original = rows[SEED]
    for copy in ("cp1256_copy.txt", "utf16_copy.txt"):
        assert rows[copy]["text"] == original["text"]
        assert rows[copy]["title"] == original["title"]
        assert rows[copy]["content_hash"] == original["content_hash"]
    by_id = {r["doc_id"]: Path(r["url"]).name for r in rows.values()}
    exact = {frozenset((by_id[l["doc_id"]], by_id[l["other_doc_id"]])) for l in read_dataset(lake, "links").to_pylist() if l["kind"] == "exact"}
    assert frozenset((SEED, "cp1256_copy.txt")) in exact
    # one cluster: every copy points at the same first member
    heads = {rows[n]["near_dup_of"] or rows[n]["doc_id"] for n in (SEED, "cp1256_copy.txt", "utf16_copy.txt")}
    assert len(heads) == 1
