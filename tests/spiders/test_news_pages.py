"""The news spider's page decisions, called directly with responses (no network): which links are
followed, when a listed page is an article, and how a variant's canonical link is resolved."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from pipeline.items import Article
from pipeline.lake.store import open_store
from pipeline.options import run_options
from spiders.news import NewsSpider

SITE = "http://news.example"
BRIEF = f"{SITE}/world/2025/02/14/quake-hits-coast.html"
STORY = f"{SITE}/world/2025/02/14/long-story-about-the-summit.html"
AMP = f"{SITE}/amp/world/2025/02/14/long-story-about-the-summit.html"
LINKS = ["/world/", "/tag/summit/", "/login?next=/x", "/about/", "/author/ana-lima/", "/comments/123456/",
         "/world/2025/02/13/earlier-story-on-the-talks.html", f"{STORY}?print=1", "/share/email?url=/x"]
LONG_TEXT = "<p>" + "The delegates met again on Friday to discuss the summit agenda in detail. " * 12 + "</p>"


@pytest.fixture
def spider(tmp_path):
    settings = {"LAKE_URI": str(tmp_path), "USER_AGENT": "test/1 (+http://t.example)"}
    crawler = get_crawler(NewsSpider, settings_dict=settings)
    spider = NewsSpider.from_crawler(crawler, start_urls=f"{SITE}/", feed_urls=f"{SITE}/rss.xml")
    # What the ingest pipeline sends once its run is open: the run's options and its store.
    options = run_options(settings)
    spider.on_run_opened(SimpleNamespace(options=options, store=open_store(options.lake_uri, options.lake)))
    return spider


def page(url: str, body: str = "", head: str = "", status: int = 200, request: Request | None = None, **meta) -> HtmlResponse:
    html = f"<html><head>{head}</head><body>{body}{''.join(f'<a href={h!r}>x</a>' for h in LINKS)}</body></html>"
    request = request or Request(url, meta={"via": "link", **meta})
    return HtmlResponse(url, status=status, body=html.encode(), encoding="utf-8", request=request,
                        headers={"Content-Type": "text/html; charset=utf-8"})


def feed(*urls: str) -> TextResponse:
    items = "".join(f"<item><link>{u}</link></item>" for u in urls)
    body = f"<rss version='2.0'><channel>{items}</channel></rss>".encode()
    return TextResponse(f"{SITE}/rss.xml", body=body, request=Request(f"{SITE}/rss.xml"))


def outputs(generator) -> tuple[list[Article], list[Request]]:
    results = list(generator or ())
    return [r for r in results if isinstance(r, Article)], [r for r in results if isinstance(r, Request)]


def paths(requests: list[Request]) -> set[str]:
    return {r.url.removeprefix(SITE) for r in requests}


def test_article_pages_follow_only_article_links(spider):
    articles, requests = outputs(spider.parse_page(page(STORY, LONG_TEXT, '<meta property="og:type" content="article">')))
    assert [a.url for a in articles] == [STORY]
    assert paths(requests) == {"/world/2025/02/13/earlier-story-on-the-talks.html"}


@pytest.mark.parametrize(("hub_depth", "expected"), [
    (0, {"/world/", "/tag/summit/", "/author/ana-lima/", "/comments/123456/", "/world/2025/02/13/earlier-story-on-the-talks.html"}),
    (2, {"/world/2025/02/13/earlier-story-on-the-talks.html"}),
])
def test_hub_pages_follow_hubs_up_to_the_depth_limit(spider, hub_depth, expected):
    articles, requests = outputs(spider.parse_page(page(f"{SITE}/", hub_depth=hub_depth)))
    assert not articles and paths(requests) == expected
    assert all(r.meta.get("hub_depth") == hub_depth + 1 for r in requests if r.url.endswith("/"))
    assert spider.crawler.stats.get_value("crawl/skipped/listing") == 1


def test_a_listed_page_is_an_article_whichever_arrives_first(spider):
    brief = "<p>A strong earthquake hit the coast on Friday, officials said.</p>"
    articles, requests = outputs(spider.parse_page(page(BRIEF, brief)))  # reached by a link first
    assert not articles
    _, requests = outputs(spider.parse_feed(feed(BRIEF, STORY)))
    again = [r for r in requests if r.url == BRIEF]
    assert len(again) == 1 and again[0].dont_filter and again[0].meta["listed"]
    articles, _ = outputs(spider.parse_page(page(BRIEF, brief, **again[0].meta)))
    assert [a.url for a in articles] == [BRIEF] and "listed" in articles[0].extra["detection"]
    # The other order: listed first, then reached by a link (its listed request filtered as a duplicate).
    articles, _ = outputs(spider.parse_page(page(STORY, "<p>Short update.</p>")))
    assert [a.url for a in articles] == [STORY]


@pytest.mark.parametrize(("head", "reason"), [
    (f'<meta property="og:url" content="{SITE}/">', "declared_hub"),
    (f'<link rel="canonical" href="{STORY}/">', "same_page"),
    (f'<link rel="canonical" href="{STORY.replace("https", "http").replace("://", "://www.")}">', "same_page"),
    (f'<link rel="canonical" href="{SITE}/world/2025/02/14/long-story-%28live%29.html">', None),
])
def test_a_canonical_link_that_is_not_another_page_keeps_the_page(spider, head, reason):
    url = f"{SITE}/world/2025/02/14/long-story-(live).html" if reason is None else STORY
    articles, requests = outputs(spider.parse_page(page(url, LONG_TEXT, head + '<meta property="og:type" content="article">')))
    assert [a.url.replace("%28", "(").replace("%29", ")") for a in articles] == [url]
    assert reason is None or spider.crawler.stats.get_value(f"crawl/canonical/{reason}") == 1


@pytest.mark.parametrize("outcome", ["404", "redirects back", "not an article"])
def test_a_variant_falls_back_to_its_own_url_when_its_canonical_page_fails(spider, outcome):
    head = f'<link rel="canonical" href="{STORY}"><meta property="og:type" content="article">'
    articles, requests = outputs(spider.parse_page(page(AMP, LONG_TEXT, head)))
    (canonical,) = [r for r in requests if r.url == STORY]
    assert not articles and canonical.meta["canonical_of"] == AMP
    if outcome == "404":
        response = page(STORY, status=404, request=canonical)
        failure = Failure(HttpError(response))
        failure.request = response.request
        _, fallback = outputs(spider.on_error(failure))
    elif outcome == "redirects back":
        response = page(STORY, status=301, request=canonical)
        response.headers["Location"] = AMP
        _, fallback = outputs(spider.parse_page(response))
    else:
        listing = page(STORY, "<p>Index of stories</p>", '<meta property="og:type" content="website">', request=canonical)
        _, fallback = outputs(spider.parse_page(listing))
    (again,) = [r for r in fallback if r.url == AMP]
    assert again.dont_filter and again.meta["keep_url"]
    articles, _ = outputs(spider.parse_page(page(AMP, LONG_TEXT, head, **again.meta)))
    assert [a.url for a in articles] == [AMP]


def test_a_variant_whose_canonical_page_is_an_article_is_not_stored(spider):
    head = f'<link rel="canonical" href="{STORY}"><meta property="og:type" content="article">'
    _, requests = outputs(spider.parse_page(page(AMP, LONG_TEXT, head)))
    (canonical,) = [r for r in requests if r.url == STORY]
    articles, requests = outputs(spider.parse_page(page(STORY, LONG_TEXT, '<meta property="og:type" content="article">',
                                                        **canonical.meta)))
    assert [a.url for a in articles] == [STORY] and AMP not in {r.url for r in requests}
    _, requests = outputs(spider.parse_page(page(AMP, LONG_TEXT, head)))  # met again: the article is stored
    assert spider.crawler.stats.get_value("crawl/skipped/variant_of_stored") == 1
