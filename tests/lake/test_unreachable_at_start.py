"""A lake that cannot be reached when the crawl starts: nothing is fetched, the run says why and exits 1."""

from __future__ import annotations

from tests.crawl import SEEDS, run_crawl
from tests.servers import CREDENTIALS, free_port


def test_unreachable_store_stops_the_crawl_before_any_work(tmp_path):
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    env = {**CREDENTIALS, "AWS_ENDPOINT_URL": closed}
    # the lake's own retry setting (the shipped 10 attempts would only make the test wait longer)
    settings = {"LAKE_MAX_ATTEMPTS": 2}
    result = run_crawl("files", "s3://lake/news", f"path={SEEDS}", settings=settings, spool=tmp_path / "spool", env=env)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("newsdedup: run failed:") and closed in last
    assert "Traceback" not in result.stderr
    assert "extract/text/ok" not in result.stderr  # no document was processed
