"""The listed / not-article handshake of the seen store, in memory and in Redis (shared by crawlers)."""

from __future__ import annotations

import pytest

from pipeline.crawl.seen import LakeSeenStore, RedisSeenStore
from pipeline.lake.store import open_store


@pytest.fixture(params=["lake", "redis"])
def stores(request, tmp_path):
    """Two stores of one source, as two crawl processes hold them."""
    if request.param == "lake":
        store = LakeSeenStore(open_store(str(tmp_path)), "site")
        return store, store  # one process: the in-memory state is the store's
    redis_url = request.getfixturevalue("redis_url")
    return RedisSeenStore(redis_url, "site"), RedisSeenStore(redis_url, "site")


def test_a_listed_page_is_an_article_for_every_process_that_fetches_it_by_a_link(stores):
    """The process that settled it may die before storing it; the requeued link request must still be an article."""
    seeder, worker = stores
    url = "http://site.example/world/a.html"
    assert seeder.listed(url) is False
    assert worker.not_article(url) is True
    assert worker.not_article(url) is True  # the same page fetched again after its first fetcher died


def test_a_page_handled_as_a_listing_then_listed_is_asked_for_again_once(stores):
    seeder, worker = stores
    url = "http://site.example/world/b.html"
    assert worker.not_article(url) is False
    assert seeder.listed(url) is True
    assert seeder.listed(url) is False
