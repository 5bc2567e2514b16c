"""The web spider's components one at a time: canonical URLs, safe XML, detection, guards, state, health."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import json
import re
from pathlib import Path

import pytest
from parsel import Selector
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from pipeline.config import ConfigError
from pipeline.crawl.canonical import page_canonical
from pipeline.urls import canonicalize
from pipeline.crawl.detect import classify
from pipeline.crawl.feeds import FeedError, parse_feed, parse_sitemap
from pipeline.crawl.health import health_failure
from pipeline.crawl.links import LinkPolicy
from pipeline.crawl.netguard import HopGuardMiddleware, is_public_address, resolve_host
from pipeline.crawl.seen import LakeSeenStore, RedisSeenStore
from pipeline.crawl.settings import apply_scheduler_backend
from pipeline.crawl.source import load_source, source_from_arguments
from pipeline.lake.store import open_store

SITE = Path(__file__).resolve().parents[1] / "resources" / "site"
ROOT = SITE.parents[2]
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://a.example/&lol3;</loc></url></urlset>"""
XXE_FEED = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><item><link>http://a.example/&secret;</link></item></channel></rss>"""


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://News.Example.com:80/a/b.html?utm_source=x&b=2&a=1&fbclid=z#top", "http://news.example.com/a/b.html?a=1&b=2"),
        ("https://news.example.com/x.html?gclid=1&utm_medium=social", "https://news.example.com/x.html"),
        ("https://news.example.com", "https://news.example.com/"),
        ("https://news.example.com/story?id=42&print=1", "https://news.example.com/story?id=42&print=1"),
    ],
)
def test_canonicalize_strips_trackers_and_fragments(url, expected):
    assert canonicalize(url) == expected


def test_page_canonical_prefers_link_and_refuses_other_sites():
    page = Selector('<html><head><link rel="Canonical" href="/a.html?utm_source=x"><meta property="og:url" content="http://b/"></head></html>')
    assert page_canonical(page, "http://news.example/amp/a.html", ["news.example"]) == "http://news.example/a.html"
    foreign = Selector('<html><head><link rel="canonical" href="http://spam.example/x"></head></html>')
    assert page_canonical(foreign, "http://news.example/a.html", ["news.example"]) is None


@pytest.mark.parametrize("document", [BILLION_LAUGHS, XXE_FEED], ids=["billion-laughs", "xxe"])
def test_entity_declarations_are_refused(document):
    parse = parse_sitemap if b"urlset" in document else parse_feed
    with pytest.raises(FeedError) as caught:
        parse(document)
    assert caught.value.reason == "unsafe_xml"


def test_fixture_sitemaps_and_feeds_parse():
    www = SITE / "www"
    index = parse_sitemap((www / "sitemap_index.xml").read_bytes())
    assert index.kind == "index" and len(index.entries) == 2
    news = parse_sitemap((www / "sitemaps" / "news.xml").read_bytes())
    assert news.kind == "urlset" and len(news.entries) == 10 and all(e.modified for e in news.entries)
    assert len(parse_feed((www / "feed.xml").read_bytes())) == 48
    assert len(parse_feed((www / "ar" / "atom.xml").read_bytes())) == 5
    with pytest.raises(FeedError):
        parse_feed(b"<html><body>not a feed</body></html>")


def _site_pages(tmp_path: Path):
    labels = json.loads((SITE / "labels.json").read_text(encoding="utf-8"))
    config = tmp_path / "site.yaml"
    config.write_text((SITE / "source.yaml").read_text(encoding="utf-8").replace("{{BASE}}", "http://site.test"), encoding="utf-8")
    source = load_source(config)
    for path, label in sorted(labels.items()):
        if label == "disallowed":
            continue
        file = SITE / "www" / (path.lstrip("/") + ("index.html" if path.endswith("/") else ""))
        html = file.read_text(encoding="utf-8").replace("{{BASE}}", "http://site.test")
        # An AMP copy is an article page too: the spider then fetches the canonical URL it names.
        yield "http://site.test" + path, Selector(html), label in ("article", "variant"), source


def test_article_detection_on_the_fixture_site(tmp_path):
    """Every article and no listing, about page or AMP copy is detected; printed figures for the report."""
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    url_only = dict(counts)
    for url, page, is_article, source in _site_pages(tmp_path):
        verdict = classify(url, page, source.article_regexes, source.listing_regexes)
        key = ("t" if verdict.is_article == is_article else "f") + ("p" if verdict.is_article else "n")
        counts[key] += 1
        guess = any(p.search(url) for p in source.article_regexes)
        url_only[("t" if guess == is_article else "f") + ("p" if guess else "n")] += 1
    print(f"\ndetection on fixture site: {counts}; URL patterns alone: {url_only}")
    assert counts["fp"] == counts["fn"] == 0
    assert counts["tp"] == 54


def test_private_loopback_and_link_local_addresses_are_not_public():
    for address in ("127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "::1", "fe80::1", "::ffff:127.0.0.1", "0.0.0.0"):
        assert not is_public_address(ipaddress.ip_address(address)), address
    assert is_public_address(ipaddress.ip_address("93.184.216.34"))
    assert all(not is_public_address(a) for a in resolve_host("localhost", 80))


def _guard(allow_private: bool | str, allowed_domains=("news.example",)) -> HopGuardMiddleware:
    crawler = get_crawler(settings_dict={"ALLOW_PRIVATE_ADDRESSES": allow_private})
    crawler.spider = type("S", (), {"allowed_domains": list(allowed_domains)})()
    return HopGuardMiddleware.from_crawler(crawler)


@pytest.fixture
def guard_stats(monkeypatch):
    counted: dict[str, int] = {}
    monkeypatch.setattr(HopGuardMiddleware, "stats", property(lambda self: type("C", (), {
        "inc_value": staticmethod(lambda key: counted.__setitem__(key, counted.get(key, 0) + 1))})()))
    return counted


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://10.0.0.8/admin"])
def test_guard_refuses_private_targets(url, guard_stats):
    with pytest.raises(IgnoreRequest):
        asyncio.run(_guard(False).process_request(Request(url)))
    assert guard_stats == {"netguard/refused/private_address": 1}


def test_guard_allows_listed_private_networks_only(guard_stats):
    guard = _guard("127.0.0.1/32, 10.20.0.0/16")
    assert asyncio.run(guard.process_request(Request("http://127.0.0.1:8000/"))) is None
    assert asyncio.run(guard.process_request(Request("http://10.20.3.4/"))) is None
    with pytest.raises(IgnoreRequest):
        asyncio.run(guard.process_request(Request("http://127.0.0.2:8000/")))
    assert guard_stats == {"netguard/refused/private_address": 1}
    with pytest.raises(ConfigError, match="ALLOW_PRIVATE_ADDRESSES"):
        _guard("intranet")


def test_guard_refuses_offsite_redirect_hops_and_other_schemes(guard_stats):
    hop = Request("http://evil.example/", meta={"redirect_urls": ["http://news.example/a"]}, dont_filter=True)
    with pytest.raises(IgnoreRequest):
        asyncio.run(_guard(True).process_request(hop))
    on_site = Request("http://www.news.example/b", meta={"redirect_urls": ["http://news.example/a"]})
    assert asyncio.run(_guard(True).process_request(on_site)) is None
    with pytest.raises(IgnoreRequest):
        asyncio.run(_guard(True).process_request(Request("ftp://news.example/file")))
    assert guard_stats == {"netguard/refused/offsite_redirect": 1, "netguard/refused/scheme": 1}


def test_seen_store_round_trip_in_the_lake(tmp_path):
    store = LakeSeenStore(open_store(str(tmp_path)), "news site/1")
    store.put("http://a/1", {"kind": "article", "fetched_at": "2025-01-01T00:00:00+00:00", "etag": '"x"'})
    assert store.get("http://a/1")["etag"] == '"x"'
    assert store.commit() == 1
    again = LakeSeenStore(open_store(str(tmp_path)), "news site/1")
    assert again.get("http://a/1")["kind"] == "article" and again.get("http://a/2") is None
    assert (tmp_path / "_state" / "crawl" / "seen" / "news_site_1.json.gz").exists()
    assert json.loads(gzip.decompress((tmp_path / "_state/crawl/seen/news_site_1.json.gz").read_bytes()))


def test_seen_store_round_trip_in_redis(redis_url):
    store = RedisSeenStore(redis_url, "site")
    store.put("http://a/1", {"kind": "article", "fetched_at": "2025-01-01T00:00:00+00:00"})
    assert store.commit() == 1
    assert RedisSeenStore(redis_url, "site").get("http://a/1")["kind"] == "article"
    store.client.close()


def test_health_verdicts():
    assert "fetched no page" in health_failure(0, 0, 0.2)
    assert "error rate 50.0%" in health_failure(5, 5, 0.2)
    assert health_failure(95, 5, 0.2) is None


def test_source_configs_validate(tmp_path):
    for path in sorted((ROOT / "configs" / "sources").glob("*.yaml")):
        assert load_source(path).sitemap_urls or load_source(path).feed_urls
    with pytest.raises(ConfigError, match="at least one"):
        source_from_arguments(allowed_domains="a.example")
    with pytest.raises(ConfigError, match="unknown key"):
        bad = tmp_path / "bad.yaml"
        bad.write_text("start_urls: [http://a.example/]\nstart_url: typo\n", encoding="utf-8")
        load_source(bad)


@pytest.mark.parametrize(("url", "kind"), [
    ("https://n.example/", "hub"), ("https://n.example/world/", "hub"), ("https://n.example/world/page/2/", "hub"),
    ("https://n.example/tag/summit/", "hub"), ("https://n.example/author/ana-lima/", "hub"),
    ("https://n.example/world/2025/02/14/quake.html", "article"), ("https://n.example/news/world-europe-68123456", "article"),
    ("https://n.example/features/the-long-read-on-salt", "article"), ("https://n.example/ar/news/مقتل-رجل-في-غزة", "article"),
    ("https://n.example/world/2025/02/14/quake.html?print=1", "other"), ("https://n.example/login?next=/x", "other"),
    ("https://n.example/about/", "other"), ("https://n.example/privacy-policy", "other"), ("https://n.example/rss.xml", "other"),
    ("https://n.example/gallery/2025/photo.jpg", "other"), ("https://n.example/newsletters/", "other"),
])
def test_link_kinds_by_default(url, kind):
    assert LinkPolicy().kind(url) == kind


def test_source_patterns_come_before_the_default_shapes():
    policy = LinkPolicy(article_patterns=(re.compile(r"/story/\d+$"),), listing_patterns=(re.compile(r"/world/"),),
                        deny_patterns=(re.compile(r"/video/"),))
    assert policy.kind("https://n.example/story/12") == "article"
    assert policy.kind("https://n.example/world/2025/02/14/quake.html") == "hub"
    assert policy.kind("https://n.example/video/2025/02/14/quake-footage.html") == "other"


@pytest.mark.parametrize(("settings", "message"), [
    ({"SCHEDULER_BACKEND": "kafka"}, "not one of memory, redis"),
    ({"SCHEDULER_BACKEND": "redis"}, "needs REDIS_URL"),
    ({"SCHEDULER_BACKEND": "redis", "REDIS_URL": "redis://127.0.0.1:1/0", "JOBDIR": "/tmp/job"}, "JOBDIR has no effect"),
])
def test_scheduler_backend_misconfiguration_fails_at_start(settings, message):
    with pytest.raises(ConfigError, match=message):
        apply_scheduler_backend(Settings({"FRONTIER_LEASE_SECONDS": 30, **settings}))
    good = Settings({"SCHEDULER_BACKEND": "redis", "REDIS_URL": "redis://127.0.0.1:1/0", "FRONTIER_LEASE_SECONDS": 30})
    apply_scheduler_backend(good)
    assert good.get("SCHEDULER") == "pipeline.crawl.frontier.LeasedScheduler"
