"""Retryable rejects are superseded (#12 item 5): the "current rejects" query of docs/reliability.md, run as written."""

from __future__ import annotations

import datetime as dt
import re

import duckdb

from pipeline.lake import LakeConfig, LakeWriter, open_store
from tests.crawl import REPO

DOC = REPO / "docs" / "reliability.md"


def documented_query() -> str:
    text = DOC.read_text(encoding="utf-8")
    return re.search(r'<a id="current-rejects"></a>\s*```sql analyst\n(.*?)```', text, re.S).group(1)


def write_run(lake, spool, run_id: str, *, articles=(), rejects=()) -> None:
    writer = LakeWriter(open_store(str(lake)), run_id=run_id, ingest_date=dt.date(2026, 1, 1), spool_dir=spool,
                        config=LakeConfig())
    for url in articles:
        doc_id = f"d-{url}"
        writer.add_article({"doc_id": doc_id, "url": url, "source": "file", "title": None, "text": f"text of {url}",
                            "language": "en", "author": None, "published_at": None,
                            "fetched_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "extraction": "text",
                            "content_hash": f"h-{url}", "run_id": run_id})
    for url, stage, reason, retryable in rejects:
        writer.add_reject({"url": url, "stage": stage, "reason": reason, "detail": "", "run_id": run_id,
                           "retryable": retryable})
    writer.close({f"d-{url}": (None, f"d-{url}") for url in articles}, settings={})


def test_current_rejects_leave_out_those_a_later_run_superseded(tmp_path, monkeypatch):
    lake, spool = tmp_path / "lake", tmp_path / "spool"
    write_run(lake, spool, "20260101T000000Z-aaaaaa", rejects=[
        ("x", "extract", "worker_crashed", True),  # lands in the next run: superseded
        ("w", "extract", "no_article", False),  # the page was fixed and lands later: superseded
        ("z", "extract", "timeout", True),  # never lands: current
        ("y", "extract", "no_article", False),  # rejected again later for another reason: that one counts
    ])
    write_run(lake, spool, "20260102T000000Z-bbbbbb", articles=["x", "w"], rejects=[("v", "read", "empty", False)])
    write_run(lake, spool, "20260103T000000Z-cccccc", rejects=[("y", "extract", "timeout", True)])
    monkeypatch.chdir(tmp_path)
    rows = duckdb.sql(documented_query()).fetchall()
    assert [(url, reason, run_id[:8]) for url, _, reason, _, run_id, _ in rows] == [
        ("v", "empty", "20260102"),
        ("y", "timeout", "20260103"),
        ("z", "timeout", "20260101"),
    ]
