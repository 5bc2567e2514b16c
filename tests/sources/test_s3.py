"""Inputs in S3 (a real moto_server over HTTP): one object or a prefix, streamed; damage is skipped with ranged reads."""

from __future__ import annotations

import gzip
import json

import pytest

from pipeline.sources import InputNotFound, s3
from tests.servers import start_moto
from tests.sources.warcs import Warc, page

URL = "https://news.example.org/{}.html"


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    server = start_moto(tmp_path_factory.mktemp("moto"))
    server.create_bucket("archives")
    yield server
    server.stop()


@pytest.fixture
def bucket(moto, monkeypatch):
    """The bucket `archives`; this process's AWS chain points at the server, with a fresh client."""
    for key, value in moto.env().items():
        monkeypatch.setenv(key, value)
    s3.client.cache_clear()
    yield moto.client()
    s3.client.cache_clear()


def upload_warc(client, tmp_path, key: str, stories: range, damage_second: bool = False) -> list[int]:
    path = tmp_path / key.replace("/", "_")
    warc = Warc(path, gzip=True)
    offsets = []
    for n in stories:
        warc.request(URL.format(n))
        offsets.append(warc.response(URL.format(n), page(f"Story {n}")))
    warc.close()
    data = bytearray(path.read_bytes())
    if damage_second:
        data[offsets[1] + 40 : offsets[1] + 52] = b"\x00" * 12
    client.put_object(Bucket="archives", Key=key, Body=bytes(data))
    return offsets


def test_a_prefix_of_shards_is_read_and_unsupported_objects_are_rejects(bucket, tmp_path, read):
    upload_warc(bucket, tmp_path, "cc-news/2025/shard-0.warc.gz", range(0, 3))
    upload_warc(bucket, tmp_path, "cc-news/2025/shard-1.warc.gz", range(3, 5))
    lines = [{"url": URL.format("j"), "html": page("From an export").decode()}]
    bucket.put_object(Bucket="archives", Key="cc-news/2025/export.jsonl.gz",
                      Body=gzip.compress("".join(json.dumps(line) + "\n" for line in lines).encode()))
    bucket.put_object(Bucket="archives", Key="cc-news/2025/page.html", Body=page("A saved page"))
    bucket.put_object(Bucket="archives", Key="cc-news/2025/index.pdf", Body=b"%PDF-1.4")
    bucket.put_object(Bucket="archives", Key="cc-news/2025/.manifest.txt", Body=b"x")

    for parallel in (1, 2):
        found = read("s3://archives/cc-news/2025", parallel_inputs=parallel)
        assert sorted(found.by_url()) == sorted(
            [URL.format(n) for n in range(5)] + [URL.format("j"), "s3://archives/cc-news/2025/page.html"]
        )
        assert found.by_url()["s3://archives/cc-news/2025/page.html"].raw == page("A saved page")
        assert [(r.url, r.reason) for r in found.rejects] == [("s3://archives/cc-news/2025/index.pdf", "unsupported_kind")]
        assert found.stats["files/skipped/hidden"] == 1
        assert found.stats["files/warc/records/request"] == 5


def test_a_damaged_record_in_s3_is_a_reject_and_the_rest_is_read(bucket, tmp_path, read):
    offsets = upload_warc(bucket, tmp_path, "damaged/one.warc.gz", range(4), damage_second=True)
    found = read("s3://archives/damaged/one.warc.gz")
    assert sorted(found.by_url()) == [URL.format(n) for n in (0, 2, 3)]
    assert [r.reason for r in found.rejects] == ["corrupt_record"]
    assert f"byte offset {offsets[1]} " in found.rejects[0].detail


def test_nothing_at_the_address_is_an_error_at_start(bucket, read):
    with pytest.raises(InputNotFound, match="nothing found at s3://archives/no/such"):
        read("s3://archives/no/such")
