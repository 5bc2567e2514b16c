"""Scheduled runs catch updated articles, with a persistent JOBDIR (as docs/scheduling.md's cron and
systemd examples use) or the shared Redis frontier: an article whose sitemap <lastmod> moves between
two runs is fetched again and lands as a new version, after a finished run and after a stopped one
that the next run resumes."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from tests.spiders.newsroom import build


@pytest.fixture
def newsroom(tmp_path, make_site):
    start_site, stop_site = make_site
    site = build(tmp_path / "site")
    log = tmp_path / "requests.jsonl"
    log.touch()
    server = start_site(log, "--root", str(site.root))
    yield site, server
    stop_site(server)


def update(site, path: str) -> str:
    """Rewrite one article's text and move its <lastmod> in the archive sitemap to now; the new sentence."""
    sentence = f"Correction issued at {datetime.now(UTC):%H:%M:%S}: the figures above were revised."
    page = site.root / "www" / path.lstrip("/")
    text, count = re.subn(r"</(article|div)><p>", rf"<p>{sentence}</p></\1><p>", page.read_text(encoding="utf-8"), count=1)
    assert count == 1, path
    page.write_text(text, encoding="utf-8")
    sitemap = site.root / "www" / "sitemaps" / "articles.xml"
    entry = re.escape(f"{{{{BASE}}}}{path}</loc><lastmod>") + r"[^<]+"
    text, count = re.subn(entry, lambda m: m.group(0).split("<lastmod>")[0] + "<lastmod>" + datetime.now(UTC).isoformat(),
                          sitemap.read_text(encoding="utf-8"))
    assert count == 1, path
    sitemap.write_text(text, encoding="utf-8")
    return sentence


def article_paths(requests, site) -> list[str]:
    return [r["path"].split("?")[0] for r in requests if r["path"].split("?")[0] in set(site.articles)]


def versions(read_lake, lake: Path, url: str) -> list[str]:
    rows = read_lake(lake, "articles").to_pylist()
    return [row["text"] for row in rows if row["url"] == url]


@pytest.mark.parametrize("backend", ["jobdir", "redis"])
def test_finished_run_leaves_a_fresh_frontier_and_the_next_run_fetches_the_update(
        newsroom, tmp_path, run_news, read_lake, crawl_redis_url, backend):
    site, server = newsroom
    lake, jobdir, name = tmp_path / "lake", tmp_path / "job", f"newsroom-{uuid.uuid4().hex[:8]}"
    args = ("-a", f"source={site.source_file(server.base, tmp_path, name=name)}")
    settings = {"JOBDIR": str(jobdir)} if backend == "jobdir" else {
        "SCHEDULER_BACKEND": "redis", "REDIS_URL": crawl_redis_url, "DEDUP_BACKEND": "redis"}
    first = run_news(lake, *args, settings=settings)
    assert first.returncode == 0, first.output[-3000:]
    if backend == "jobdir":
        assert not (jobdir / "requests.seen").exists() and not (jobdir / "requests.queue").exists()
    else:
        client = redis.Redis.from_url(crawl_redis_url)
        assert not client.keys(f"newsdedup:frontier:{{{name}}}:*"), "the last worker of a run deletes its frontier"
        client.close()
    updated = site.articles[3]  # an archive article, listed only in the full sitemap
    sentence = update(site, updated)
    start = server.mark()
    second = run_news(lake, *args, settings=settings)
    assert second.returncode == 0, second.output[-3000:]
    requests = server.requests(start)
    assert article_paths(requests, site) == [updated], "only the updated article is fetched again"
    assert next(r for r in requests if r["path"] == updated)["inm"], "asked with its ETag"
    texts = versions(read_lake, lake, server.base + updated)
    assert len(texts) == 2 and sum(sentence in t for t in texts) == 1
    assert {r["path"] for r in requests} >= {"/sitemap_index.xml", "/sitemaps/news.xml", "/", "/world/"}


def test_stopped_run_resumes_and_still_fetches_an_article_updated_meanwhile(newsroom, tmp_path, run_news, read_lake):
    site, server = newsroom
    lake, jobdir = tmp_path / "lake", tmp_path / "job"
    args = ("-a", f"source={site.source_file(server.base, tmp_path)}")
    settings = {"JOBDIR": str(jobdir), "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}
    part = run_news(lake, *args, settings=settings, interrupt_after=20, site=server)
    assert part.stat("finish_reason") == "shutdown", part.output[-2000:]
    assert (jobdir / "requests.seen").exists(), "a stopped run keeps its frontier"
    stored = {u.removeprefix(server.base) for u in read_lake(lake, "articles").column("url").to_pylist()}
    updated = next(p for p in site.articles if p in stored)
    sentence = update(site, updated)
    start = server.mark()
    rest = run_news(lake, *args, settings=settings)
    assert rest.returncode == 0, rest.output[-3000:]
    again = article_paths(server.requests(start), site)
    assert again.count(updated) == 1, "the resumed dupefilter must not hide the update"
    assert not set(again) & (stored - {updated}), "the resumed run fetched stored articles again"
    urls = read_lake(lake, "articles").column("url").to_pylist()
    assert set(urls) == {server.base + p for p in site.articles}
    assert sum(sentence in t for t in versions(read_lake, lake, server.base + updated)) == 1

