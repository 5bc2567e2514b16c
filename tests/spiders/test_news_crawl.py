"""End-to-end crawls of the fixture news site: `scrapy crawl news` subprocesses, lake read back with pyarrow."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

SITE = Path(__file__).resolve().parents[1] / "resources" / "site"
LABELS = json.loads((SITE / "labels.json").read_text(encoding="utf-8"))
ARTICLE_PATHS = {path for path, label in LABELS.items() if label == "article"}
ARTICLE_URL = re.compile(r"/\d{4}/\d{2}/\d{2}/[^/?]+\.html$|/features/")
GOLD = json.loads((SITE.parent / "seeds_gold.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def first(site, tmp_path_factory, run_news):
    lake = tmp_path_factory.mktemp("web") / "lake"
    start = site.mark()
    result = run_news(lake, "-a", f"source={site.source_file(lake.parent)}")
    assert result.returncode == 0, result.output[-3000:]
    return lake, result, site.requests(start)


def test_every_article_stored_once_and_nothing_else(site, first, read_lake):
    lake, result, requests = first
    urls = read_lake(lake, "articles").column("url").to_pylist()
    assert len(urls) == len(set(urls)), "an article was stored twice"
    assert set(urls) == {site.base + path for path in ARTICLE_PATHS}
    assert len(requests) <= 2 * len(urls)
    assert "pipeline.crawl.robots.StrictRobotsTxtMiddleware" in result.output
    assert "pipeline.crawl.netguard.HopGuardMiddleware" in result.output


def test_disallowed_paths_never_requested(first):
    _, result, requests = first
    assert not [r for r in requests if r["path"].startswith("/private/")]
    # The sitemap lists one; the home page's three memo links are not article-like and never followed.
    assert result.stat("robotstxt/forbidden") == 1


def test_variants_and_tracking_urls_become_one_document(site, first, read_lake):
    lake, result, requests = first
    urls = set(read_lake(lake, "articles").column("url").to_pylist())
    assert not [u for u in urls if "?" in u or "/amp/" in u]
    paths = [r["path"] for r in requests]
    assert not [p for p in paths if "utm_" in p or "fbclid" in p], "tracking parameters were requested"
    assert any(p.startswith("/amp/") for p in paths), "the AMP link on a section page looks like an article"
    assert not [p for p in paths if "print=1" in p], "print views (a query on an article URL) are not followed"
    # The AMP copy names its article: fetched instead, or already stored by then.
    assert result.stat("crawl/articles/variant_redirected") + result.stat("crawl/skipped/variant_of_stored") == 1


def test_redirect_404_retry_and_slow_page(site, first, read_lake):
    lake, result, requests = first
    routes = json.loads((SITE / "routes.json").read_text(encoding="utf-8"))
    urls = set(read_lake(lake, "articles").column("url").to_pylist())
    for path in [*routes["redirects"].values(), *routes["flaky"], *routes["slow"]]:
        assert site.base + path in urls
    assert [r["status"] for r in requests if r["path"] == routes["flaky"][0]] == [500, 200]
    assert result.stat("crawl/http_status/404") == 1
    assert [r["status"] for r in requests if r["path"] in routes["offsite_redirects"]] == [302]
    assert result.stat("crawl/refused/offsite_redirect") == 1
    assert not [r for r in requests if not r["host"].startswith("127.0.0.1:")], "an off-site redirect was followed"
    assert {r["ua"] for r in requests} == {"newsdedup/0.1 (+https://github.com/newsdedup/newsdedup)"}


def test_seed_reports_of_one_interview_are_linked_same_story(first, read_lake):
    lake, _, _ = first
    articles = read_lake(lake, "articles").to_pylist()
    by_title = {a["title"]: a["doc_id"] for a in articles}
    docs = GOLD["documents"]
    pair = {by_title[docs[name]["title"]] for name in GOLD["links"]["same_story"][0]}
    links = read_lake(lake, "links").to_pylist()
    assert any({link["doc_id"], link["other_doc_id"]} == pair and link["kind"] == "same_story" for link in links)


def test_second_run_downloads_only_feeds_and_listings(site, first, read_lake, run_news):
    lake, _, _ = first
    start = site.mark()
    again = run_news(lake, "-a", f"source={site.source_file(lake.parent)}")
    assert again.returncode == 0, again.output[-3000:]
    requests = site.requests(start)
    assert not [r["path"] for r in requests if ARTICLE_URL.search(r["path"].split("?")[0]) and "print" not in r["path"]]
    by_path = {r["path"]: r["status"] for r in requests}
    for feed in ("/sitemap_index.xml", "/sitemaps/news.xml", "/sitemaps/archive.xml.gz", "/feed.xml", "/ar/atom.xml"):
        assert by_path[feed] == 304, f"{feed} was not a conditional request"
    assert by_path["/"] == 200 and by_path["/world/"] == 200
    urls = read_lake(lake, "articles").column("url").to_pylist()
    assert len(urls) == len(ARTICLE_PATHS)
    assert again.stat("crawl/articles/yielded") == 0


def test_interrupted_crawl_resumes_with_jobdir(site, tmp_path, run_news, read_lake):
    lake, jobdir = tmp_path / "lake", tmp_path / "job"
    args = ("-a", f"source={site.source_file(tmp_path)}")
    settings = {"JOBDIR": str(jobdir), "CONCURRENT_REQUESTS_PER_DOMAIN": "2"}
    part = run_news(lake, *args, settings=settings, interrupt_after=15, site=site)
    assert "shutdown" in part.output or part.stat("finish_reason") == "shutdown", part.output[-2000:]
    stored_first = part.stat("crawl/articles/yielded")
    assert 0 < stored_first < len(ARTICLE_PATHS)
    rest = run_news(lake, *args, settings=settings)
    assert rest.returncode == 0, rest.output[-3000:]
    urls = read_lake(lake, "articles").column("url").to_pylist()
    assert len(urls) == len(set(urls)) == len(ARTICLE_PATHS)


def test_loopback_refused_by_default_and_run_fails(site, tmp_path, run_news):
    start = site.mark()
    result = run_news(tmp_path / "lake", "-a", f"start_urls={site.base}/", settings={"ALLOW_PRIVATE_ADDRESSES": "false"})
    assert result.returncode == 1
    assert "fetched no page" in result.output
    assert site.requests(start) == []
    assert result.stat("netguard/refused/private_address") >= 1


def test_robots_txt_answering_500_disallows_everything(tmp_path, run_news, make_site):
    start_site, stop_site = make_site
    log = tmp_path / "requests.jsonl"
    log.touch()
    broken = start_site(log, "--robots-status", "500")
    try:
        result = run_news(tmp_path / "lake", "-a", f"start_urls={broken.base}/", "-a", f"feed_urls={broken.base}/feed.xml")
    finally:
        stop_site(broken)
    assert result.returncode == 1, result.output[-2000:]
    assert {r["path"] for r in broken.requests()} == {"/robots.txt"}
    assert result.stat("robotstxt/disallow_all") >= 1


def test_bad_source_file_fails_at_start(tmp_path, run_news):
    bad = tmp_path / "bad.yaml"
    bad.write_text("start_urls: [http://example.com/]\nsettings: {ROBOTSTXT_OBEY: false}\n", encoding="utf-8")
    result = run_news(tmp_path / "lake", "-a", f"source={bad}")
    assert result.returncode != 0
    assert "ROBOTSTXT_OBEY cannot be set per site" in result.output
