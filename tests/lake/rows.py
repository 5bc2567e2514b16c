"""Row factories shared by the lake tests: realistic rows with the contract's columns."""

from __future__ import annotations

import datetime as dt
import hashlib

FETCHED = dt.datetime(2024, 5, 1, 8, 30, tzinfo=dt.UTC)
DAY = dt.date(2024, 5, 1)


def article(i: int, run_id: str, *, text: str | None = None) -> dict:
    body = text if text is not None else f"فقرة أولى من الخبر رقم {i}\nفقرة ثانية"
    content_hash = hashlib.sha1(body.encode()).hexdigest()
    url = f"file:///data/{i:03d}_article.txt"
    return {
        "doc_id": hashlib.sha1(f"{url}\n{content_hash}".encode()).hexdigest()[:20],
        "url": url,
        "source": "file",
        "title": f"عنوان {i}",
        "text": body,
        "language": "ar",
        "author": None,
        "published_at": None,
        "fetched_at": FETCHED,
        "extraction": "text",
        "content_hash": content_hash,
        "run_id": run_id,
    }


def link(a: dict, b: dict, run_id: str, kind: str = "same_story", similarity: float = 0.05) -> dict:
    return {"doc_id": b["doc_id"], "other_doc_id": a["doc_id"], "kind": kind, "similarity": similarity, "run_id": run_id}


def reject(name: str, run_id: str, reason: str = "empty") -> dict:
    return {"url": f"file:///data/{name}", "stage": "source", "reason": reason, "detail": "0 bytes", "run_id": run_id}
