"""WARC inputs: which records become articles, which are counted, and damaged records as rejects with offsets."""

from __future__ import annotations

import gzip
import json
import zlib
from datetime import UTC, datetime

import pytest

from tests.sources.warcs import Warc, cut_last_record, page

URL = "https://news.example.org/2025/01/{}.html"


def small_warc(path, gzip_records: bool) -> dict:
    """Three HTML pages with their requests, a revisit, a metadata record, a PDF, a 404, and a truncated last page."""
    warc = Warc(path, gzip_records)
    offsets = {}
    for n in range(3):
        warc.request(URL.format(n))
        charset = "windows-1256" if n == 2 else "utf-8"
        offsets[n] = warc.response(URL.format(n), page(f"Story {n}"), content_type=f"text/html; charset={charset}")
    warc.revisit(URL.format(0))
    warc.metadata(URL.format(1))
    warc.response("https://news.example.org/report.pdf", b"%PDF-1.4 " + bytes(range(256)) * 8, content_type="application/pdf")
    warc.response(URL.format("gone"), page("Gone"), status="404 Not Found")
    offsets["cut"] = warc.response(URL.format("cut"), page("Cut short", paragraphs=30))
    warc.close()
    cut_last_record(path, keep=600)
    return offsets


@pytest.mark.parametrize("gzip_records", [False, True], ids=["warc", "warc.gz"])
def test_pages_become_articles_other_records_are_counted_and_a_truncated_record_is_a_reject(tmp_path, read, gzip_records):
    path = tmp_path / ("crawl.warc.gz" if gzip_records else "crawl.warc")
    offsets = small_warc(path, gzip_records)
    found = read(path)

    assert sorted(found.by_url()) == [URL.format(n) for n in range(3)]
    first = found.by_url()[URL.format(0)]
    assert first.source == "news.example.org"
    assert first.content_kind == "html" and found.pages()[URL.format(0)] == page("Story 0")
    assert abs(first.fetched_at - datetime.now(UTC)).total_seconds() < 600  # the writer's WARC-Date
    assert found.by_url()[URL.format(2)].http_encoding == "windows-1256"

    assert [(r.url, r.reason) for r in found.rejects] == [(URL.format("cut"), "truncated_record")]
    assert f"byte offset {offsets['cut']} " in found.rejects[0].detail
    stats = found.stats
    assert stats["files/warc/records/response"] == 6
    assert stats["files/warc/records/request"] == 3
    assert stats["files/warc/records/revisit"] == 1
    assert stats["files/warc/records/metadata"] == 1
    assert stats["files/warc/responses/html"] == 3
    assert stats["files/warc/responses/not_html"] == 1
    assert stats["files/warc/responses/http_404"] == 1
    assert stats["files/inputs/warc"] == 1 and stats["files/total"] == 1


@pytest.mark.parametrize("gzip_records", [False, True], ids=["warc", "warc.gz"])
def test_a_corrupt_record_is_rejected_with_its_offset_and_the_rest_of_the_file_is_read(tmp_path, read, gzip_records):
    path = tmp_path / ("damaged.warc.gz" if gzip_records else "damaged.warc")
    warc = Warc(path, gzip_records)
    offsets = [warc.response(URL.format(n), page(f"Story {n}")) for n in range(4)]
    warc.close()
    data = bytearray(path.read_bytes())
    # Damage the second record: its compressed body (gzip), or the first line of its header (plain).
    at = offsets[1] + (40 if gzip_records else 0)
    data[at : at + 12] = b"\x00garbage\x00\x00\x00\x00"
    path.write_bytes(bytes(data))

    found = read(path)

    assert sorted(found.by_url()) == [URL.format(n) for n in (0, 2, 3)]
    assert [r.reason for r in found.rejects] == ["corrupt_record"]
    assert f"byte offset {offsets[1]} " in found.rejects[0].detail


def test_a_warc_compressed_whole_is_read_too(tmp_path, read):
    plain = tmp_path / "plain.warc"
    warc = Warc(plain, gzip=False)
    for n in range(3):
        warc.response(URL.format(n), page(f"Story {n}"))
    warc.close()
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gzip.compress(plain.read_bytes()))
    plain.unlink()
    assert sorted(read(whole).by_url()) == [URL.format(n) for n in range(3)]


def test_a_file_that_is_no_warc_is_one_reject(tmp_path, read):
    (tmp_path / "notes.warc").write_bytes(b"These are my notes about WARC files.\n" * 50)
    found = read(tmp_path / "notes.warc")
    assert not found.articles
    assert [(r.url, r.reason) for r in found.rejects] == [((tmp_path / "notes.warc").as_uri() + "#offset=0", "corrupt_record")]


def test_chunked_and_gzip_encoded_payloads_are_decoded(tmp_path, read):
    """wget and other crawlers store the bytes as they came over the wire."""
    html = page("Sent compressed")
    compressed = gzip.compress(html)
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (compressed[:100], compressed[100:])) + b"0\r\n\r\n"
    deflated = zlib.compress(html)
    path = tmp_path / "wire.warc.gz"
    warc = Warc(path, gzip=True)
    warc.response(URL.format("gzip"), chunked, extra_headers=[("Transfer-Encoding", "chunked"), ("Content-Encoding", "gzip")])
    warc.response(URL.format("deflate"), deflated, extra_headers=[("Content-Encoding", "deflate")])
    warc.response(URL.format("compress"), b"\x1f\x9d...", extra_headers=[("Content-Encoding", "compress")])
    warc.close()

    expected = {URL.format("gzip"): html, URL.format("deflate"): html}
    # Read by the worker from the record's offset: a payload it cannot decode is rejected there.
    assert read(path).pages() == {**expected, URL.format("compress"): "unsupported_encoding"}
    # A WARC compressed whole has no record offsets: payloads are decoded while reading, and sent as bytes.
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())))
    found = read(whole)
    assert found.pages() == expected
    assert [(r.url, r.reason) for r in found.rejects] == [(URL.format("compress"), "unsupported_encoding")]


def test_a_page_over_the_size_limit_is_rejected_and_the_file_goes_on(tmp_path, read):
    path = tmp_path / "big.warc"
    warc = Warc(path, gzip=False)
    warc.response(URL.format("big"), page("Big", paragraphs=200))
    warc.response(URL.format("small"), page("Small"))
    warc.close()
    found = read(path, max_bytes=20_000)
    assert list(found.by_url()) == [URL.format("small")]
    assert [(r.url, r.reason) for r in found.rejects] == [(URL.format("big"), "too_large")]


def test_every_cut_of_a_file_is_articles_before_the_cut_and_one_reject_at_it(tmp_path, read):
    """Both libraries pass over a file cut inside a record's header in silence; no cut may lose a record unnoticed."""
    path = tmp_path / "source.warc.gz"
    warc = Warc(path, gzip=True)
    starts = [warc.response(URL.format(n), page(f"Story {n}")) for n in range(3)]
    warc.close()
    data = path.read_bytes()
    ends = [*starts[1:], len(data)]
    for cut in range(1, len(data)):
        (tmp_path / "cut.warc.gz").write_bytes(data[:cut])
        found = read(tmp_path / "cut.warc.gz")
        begun = sum(1 for start in starts if start < cut)
        assert len(found.articles) >= sum(1 for end in ends if end <= cut), cut
        # a cut inside a gzip member's 8-byte trailer leaves the record whole: an article, not a reject
        assert len(found.articles) + len(found.rejects) == begun, cut
        assert len(found.rejects) <= 1, cut


def test_a_page_is_named_as_the_web_spider_names_it_in_warc_and_jsonl_alike(tmp_path, read):
    """Tracking parameters and fragments go, other parameters stay, sorted: one page, one url, one doc_id."""
    raw = "https://News.Example.org/2025/01/story.html?utm_source=feed&b=2&a=1#comments"
    canonical = "https://news.example.org/2025/01/story.html?a=1&b=2"
    warc = Warc(tmp_path / "shard.warc.gz", gzip=True)
    warc.response(raw, page("Story"))
    warc.close()
    (tmp_path / "export.jsonl").write_text(json.dumps({"url": raw, "html": page("Story").decode()}) + "\n")
    assert list(read(tmp_path / "shard.warc.gz").by_url()) == [canonical]
    assert list(read(tmp_path / "export.jsonl").by_url()) == [canonical]
