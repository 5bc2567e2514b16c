"""What a crawl spends: on a 65-article site whose article pages carry ~40 links each (mostly 404s),
`scrapy crawl news` stores every listed article with at most 2 requests per stored article, and every
fetched page that yields no row is counted and logged with its reason."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from tests.spiders.newsroom import QUIRKS, build

LISTING_PATHS = re.compile(r"^/(robots\.txt|sitemap_index\.xml|sitemaps/|rss\.xml)")


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory, make_site, run_news):
    start_site, stop_site = make_site
    folder = tmp_path_factory.mktemp("newsroom")
    site = build(folder / "site")
    log = folder / "requests.jsonl"
    log.touch()
    server = start_site(log, "--root", str(site.root))
    try:
        result = run_news(folder / "lake", "-a", f"source={site.source_file(server.base, folder)}")
    finally:
        stop_site(server)
    assert result.returncode == 0, result.output[-3000:]
    return site, server, result, folder / "lake"


def test_every_listed_article_is_stored_once(newsroom, read_lake):
    site, server, _, lake = newsroom
    urls = read_lake(lake, "articles").column("url").to_pylist()
    assert len(urls) == len(set(urls)) == len(site.articles) == 65
    assert {unquote(u.removeprefix(server.base)) for u in urls} == set(site.articles)
    assert set(site.quirks) == set(QUIRKS) and set(site.quirks.values()) <= site.listed


def test_at_most_two_requests_per_stored_article(newsroom):
    site, server, result, _ = newsroom
    requests = server.requests()
    print(f"\nnewsroom: {len(requests)} requests for {result.stat('crawl/articles/yielded')} stored articles")
    assert len(requests) <= 2 * len(site.articles)
    assert result.stat("crawl/links/ignored") > 10 * result.stat("crawl/links/followed") / 2
    paths = [r["path"] for r in requests]
    for never in ("/login", "/subscribe", "/share/", "/comments/", "/corrections", "/author/", "/about/", "?print=1"):
        assert not [p for p in paths if never in p], f"{never} links were followed"


def test_each_fetched_page_without_a_row_is_counted_and_logged(newsroom):
    _, server, result, _ = newsroom
    pages = [r for r in server.requests() if r["status"] == 200 and not LISTING_PATHS.match(r["path"])]
    skipped = {k: v for k, v in result.stats.items() if k.startswith("crawl/skipped/")}
    assert len(pages) == result.stat("crawl/articles/yielded") + sum(skipped.values())
    assert skipped["crawl/skipped/listing"] >= 10  # home, sections, their page 2, tags
    assert len(re.findall(r"INFO: no article from ", result.output)) == sum(skipped.values())
