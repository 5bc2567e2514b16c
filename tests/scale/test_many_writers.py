"""Several `scrapy crawl files` processes, one Redis input list, one S3 lake: every input once, links as one process.

Compared with a single process over the same queue entries (its own lake and dedup prefix): the same documents
(doc_id, url, content_hash), the same links as unordered pairs with kind, method and similarity (which member is
`doc_id` depends on which run committed first), and the same near-duplicate and story clusters as partitions of
the articles (the representative is the earliest run's member, so it can be another member of the same cluster).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scale.processes import Lake, Shared, popped

pytestmark = pytest.mark.timeout(600)


def test_the_single_process_reference_holds_every_input_once(single, corpus):
    counts = single.url_counts()
    assert set(counts.values()) == {1}
    dumps = [p for entry in corpus[2:4] for p in Path(entry).iterdir()]
    assert {p.as_uri() for p in dumps} <= set(counts)
    assert {r["reason"] for r in single.rejects} >= {"unsupported_kind"}
    assert len(single.articles) > 40 and single.links


@pytest.mark.parametrize("processes", [2, 3])
def test_processes_sharing_one_list_land_each_input_once_with_the_links_of_one_process(
    processes, corpus, single, redis_url, moto, lake_bucket, tmp_path
):
    shared = Shared(redis_url, f"s3://{lake_bucket}/news", moto.env())
    shared.fill(corpus)
    logs = shared.run(tmp_path, processes, MAX_ITEMS_IN_FLIGHT=2)
    lake = Lake.read(shared.lake, moto.env())
    assert sum(popped(log) for log in logs) == len(corpus)
    assert sum(popped(log) > 0 for log in logs) >= 2, [popped(log) for log in logs]  # the work was shared
    assert lake.url_counts() == single.url_counts()  # each input once in articles ∪ rejects
    assert max(lake.doc_ids().values()) == 1
    assert lake.documents() == single.documents()
    assert lake.link_pairs() == single.link_pairs()
    assert lake.clusters("near_dup_of") == single.clusters("near_dup_of")
    assert lake.clusters("story_id") == single.clusters("story_id")
    status = shared.status()
    assert status.pending == 0 and status.held == {}
