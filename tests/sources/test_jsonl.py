"""JSONL inputs: html and text lines, given metadata, bad lines as rejects with their line numbers, field names from YAML."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest

from pipeline.config import ConfigError
from pipeline.options import configured_sources
from tests.sources.warcs import page

LINES = [
    {"url": "https://a.example/1", "html": page("First").decode(), "title": "Given title", "language": "en",
     "published_at": "2025-01-02T03:04:05+02:00"},
    {"url": "https://b.example/2", "text": "Second story\n\n" + "A paragraph of the exported article text. " * 20},
    "{not json",
    {"html": page("No address").decode()},
    {"url": "https://c.example/3", "title": "Empty"},
    [1, 2, 3],
    {"url": "https://d.example/4", "html": page("Odd date").decode(), "published_at": "last Tuesday", "title": 7},
]


def write_jsonl(path, lines) -> None:
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    text = text.replace('{"url": "https://b.example/2"', '\n{"url": "https://b.example/2"')  # a blank line
    path.write_bytes(gzip.compress(text.encode()) if path.suffix == ".gz" else text.encode())


@pytest.mark.parametrize("name", ["export.jsonl", "export.jsonl.gz"])
def test_lines_become_articles_and_bad_lines_rejects_with_their_line_numbers(tmp_path, read, name):
    path = tmp_path / name
    write_jsonl(path, LINES)

    found = read(path)

    articles = found.by_url()
    assert sorted(articles) == ["https://a.example/1", "https://b.example/2", "https://d.example/4"]
    first = articles["https://a.example/1"]
    assert (first.content_kind, first.source, first.title, first.language) == ("html", "a.example", "Given title", "en")
    assert first.published_at == datetime(2025, 1, 2, 1, 4, 5, tzinfo=UTC)
    assert first.raw == page("First")
    assert articles["https://b.example/2"].content_kind == "text"
    odd = articles["https://d.example/4"]
    assert odd.published_at is None and odd.title is None  # unusable optional fields are left out, and counted
    assert found.stats["files/jsonl/ignored/published_at"] == 1 and found.stats["files/jsonl/ignored/title"] == 1

    uri = path.as_uri()
    assert [(r.url, r.reason) for r in found.rejects] == [
        (f"{uri}#line=4", "bad_json"),
        (f"{uri}#line=5", "missing_url"),
        ("https://c.example/3", "missing_content"),
        (f"{uri}#line=7", "bad_json"),
    ]
    assert found.rejects[0].detail.startswith(f"line 4 of {uri}: not valid JSON")
    assert found.stats["files/jsonl/lines"] == 7 and found.stats["files/jsonl/blank_lines"] == 1


def test_a_line_over_the_size_limit_is_rejected_and_the_next_line_is_read(tmp_path, read):
    path = tmp_path / "big.jsonl"
    write_jsonl(path, [{"url": "https://a.example/big", "html": page("Big", 300).decode()}, LINES[0]])
    found = read(path, max_bytes=50_000)
    assert list(found.by_url()) == ["https://a.example/1"]
    assert [(r.url, r.reason) for r in found.rejects] == [(f"{path.as_uri()}#line=1", "too_large")]


def test_field_names_come_from_the_config(tmp_path, read, monkeypatch):
    (tmp_path / "sources.yaml").write_text("jsonl:\n  url: link\n  html: body_html\n  source: site\n  title: null\n")
    monkeypatch.setenv("NEWSDEDUP_CONFIG_DIR", str(tmp_path))
    config = configured_sources()
    assert config.jsonl.text == "text" and config.warc.html_types  # what the user's file leaves out: as packaged
    path = tmp_path / "renamed.jsonl"
    write_jsonl(path, [{"link": "https://a.example/x", "body_html": page("X").decode(), "site": "Agency", "title": "no"}])
    found = read(path, config=config)
    article = found.by_url()["https://a.example/x"]
    assert (article.source, article.title) == ("Agency", None)


def test_unknown_config_keys_are_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSDEDUP_CONFIG_DIR", str(tmp_path))
    (tmp_path / "sources.yaml").write_text("jsonl:\n  ulr: link\n")
    with pytest.raises(ConfigError, match="ulr"):
        configured_sources()
    (tmp_path / "sources.yaml").write_text("jsnol:\n  url: link\n")
    with pytest.raises(ConfigError, match="jsnol"):
        configured_sources()


def test_the_packaged_config_loads():
    assert configured_sources().jsonl.url == "url"
