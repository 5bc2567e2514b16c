"""S3Store against moto_server over HTTP: the API surface, retries, lost answers, unreachable stores."""

from __future__ import annotations

import base64
import json
import os

import pyarrow.parquet as pq
import pytest

from pipeline.lake import LakeConfig, LakeUnavailable, LakeWriter, open_store
from pipeline.lake.s3 import S3Store
from pipeline.options import configured
from tests.lake.rows import DAY, article, link, recover, reject
from tests.lake.test_writer import ingest
from tests.servers import free_port

FAST = LakeConfig(max_attempts=4, connect_timeout=2, read_timeout=10)


def s3writer(store, tmp_path, run_id, config=FAST):
    return LakeWriter(store, run_id=run_id, ingest_date=DAY, spool_dir=tmp_path / "spool", config=config)


def test_store_round_trip_under_a_prefix(moto_bucket, moto):
    store = open_store(f"s3://{moto_bucket}/news/lake", FAST)
    assert isinstance(store, S3Store) and store.read_bytes("_state/x.json") is None
    store.write_bytes("_state/x.json", b"{}")
    store.write_bytes("_state/xy/z.json", b"1")
    store.write_bytes("_statex", b"2")
    assert store.read_bytes("_state/x.json") == b"{}"
    assert store.list_keys("_state") == ["_state/x.json", "_state/xy/z.json"]  # a folder, not a name prefix
    assert store.list_keys("_state/x.json") == ["_state/x.json"]
    listed = moto.client().list_objects_v2(Bucket=moto_bucket)["Contents"]
    assert {o["Key"] for o in listed} == {"news/lake/_state/x.json", "news/lake/_state/xy/z.json", "news/lake/_statex"}
    store.delete_keys(["_state/x.json", "_state/missing"])
    assert not store.exists("_state/x.json") and store.exists("_state/xy/z.json")


def test_writer_publishes_files_with_checksums_and_manifest(moto_bucket, moto, tmp_path):
    store = open_store(f"s3://{moto_bucket}/lake", FAST)
    rows = [article(i, "r1") for i in range(3)]
    manifest = ingest(s3writer(store, tmp_path, "r1"), rows, [link(rows[0], rows[1], "r1")], [reject("e", "r1")])
    client = moto.client()
    for f in manifest["files"]:
        head = client.head_object(Bucket=moto_bucket, Key=f"lake/{f['key']}")
        assert head["ContentLength"] == f["bytes"] and head["Metadata"]["sha256"] == f["sha256"]
    stored = json.loads(client.get_object(Bucket=moto_bucket, Key="lake/_runs/r1.json")["Body"].read())
    assert stored["rows"] == {"articles": 3, "links": 1, "rejects": 1}


def test_shipped_retries_ride_out_seconds_of_internal_errors(proxy):
    # A restarting SeaweedFS answered 500 for ~4 s after it accepted connections; botocore's standard mode backs
    # off 0.05 s x 2^n x random after a 5xx, so the 6 attempts shipped before gave up within about a second.
    bucket = "lake-restarting"
    store = open_store(f"s3://{bucket}/lake", configured(LakeConfig))
    store.client.create_bucket(Bucket=bucket)
    store.write_bytes("_state/writer-lease.json", b"{}")
    proxy.fail("GET", "writer-lease", "500", times=8)
    assert store.read_bytes("_state/writer-lease.json") == b"{}"
    gets = [outcome for method, path, outcome in proxy.log if method == "GET" and "writer-lease" in path]
    assert gets == ["500"] * 8 + ["200"]


def test_s3_inputs_are_read_with_the_lakes_retries(proxy):
    """The file sources' S3 client takes the lake configuration's retry budget (one configuration path)."""
    from botocore.exceptions import ClientError

    from pipeline.sources import s3 as s3_inputs

    bucket = "inputs-restarting"
    store = open_store(f"s3://{bucket}/dumps", FAST)
    store.client.create_bucket(Bucket=bucket)
    store.write_bytes("a.txt", b"Story text")
    s3_inputs.client.cache_clear()  # clients made for earlier tests point at their servers
    try:
        for retries, readable in ((1, False), (10, True)):  # botocore's max_attempts counts retries
            proxy.fail("GET", "dumps/a.txt", "500", times=2)
            (found,) = s3_inputs.list_s3(f"s3://{bucket}/dumps/", LakeConfig(max_attempts=retries)).inputs
            if readable:
                assert found.open().read() == b"Story text"
            else:
                with pytest.raises(ClientError, match="InternalError"):
                    found.open()
    finally:
        s3_inputs.client.cache_clear()
    gets = [outcome for method, path, outcome in proxy.log if method == "GET" and "dumps/a.txt" in path]
    assert gets == ["500"] * 4 + ["200"]


def test_throttling_answers_are_retried_with_backoff(proxy, tmp_path):
    bucket = "lake-throttled"
    proxy.fail("PUT", "/articles/", "503", times=2)
    store = open_store(f"s3://{bucket}/lake", FAST)
    store_client = store.client
    store_client.create_bucket(Bucket=bucket)
    manifest = ingest(s3writer(store, tmp_path, "r1"), [article(1, "r1")])
    puts = [(i, outcome) for i, (method, path, outcome) in enumerate(proxy.log) if method == "PUT" and "/articles/" in path]
    assert [o for _, o in puts] == ["503", "503", "200"]
    waits = [proxy.times[b] - proxy.times[a] for (a, _), (b, _) in zip(puts, puts[1:])]
    assert all(w > 0.005 for w in waits), waits  # botocore backed off between attempts
    assert store.head(manifest["files"][0]["key"])["sha256"] == manifest["files"][0]["sha256"]


def test_lost_success_answer_is_recognised_by_checksum(proxy, tmp_path, caplog):
    bucket = "lake-lost-answer"
    store = open_store(f"s3://{bucket}/lake", FAST)
    store.client.create_bucket(Bucket=bucket)
    proxy.fail("PUT", "/articles/", "drop")
    manifest = ingest(s3writer(store, tmp_path, "r1"), [article(1, "r1"), article(2, "r1")])
    outcomes = [o for m, p, o in proxy.log if m == "PUT" and "/articles/" in p]
    assert outcomes == ["drop(200)", "412"]  # the retried conditional PUT found the object already there
    assert "the object there is ours" in caplog.text
    assert manifest["rows"]["articles"] == 2 and store.exists("_runs/r1.json")


def test_unreachable_store_keeps_the_spool_and_the_next_run_publishes_it(moto_bucket, moto, tmp_path, monkeypatch):
    dead = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", dead)
    store = open_store(f"s3://{moto_bucket}/lake", LakeConfig(max_attempts=2, connect_timeout=1))
    rows = [article(i, "r1") for i in range(4)]
    with pytest.raises(LakeUnavailable) as failure:
        ingest(s3writer(store, tmp_path, "r1"), rows, rejects=[reject("e", "r1")])
    message = str(failure.value)
    assert "Could not connect" in message and "kept in the spool" in message and str(tmp_path / "spool") in message

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    store = open_store(f"s3://{moto_bucket}/lake", FAST)
    w2 = s3writer(store, tmp_path, "r2")
    dedup, published = recover(w2)
    assert published == [
        "articles/ingest_date=2024-05-01/part-r1-0.parquet",
        "links/ingest_date=2024-05-01/part-r1-0.parquet",  # zero rows: the dataset exists, with its columns
        "rejects/ingest_date=2024-05-01/part-r1-0.parquet",
    ]
    assert all(dedup.is_known(r["doc_id"]) for r in rows)  # the same inputs will not land again
    manifest = ingest(w2, [], rejects=[reject("e", "r2")])
    assert manifest["rows"] == {"articles": 0, "links": 0, "rejects": 0}
    assert json.loads(store.read_bytes("_runs/r1.json"))["recovered_by"] == "r2"


def test_multipart_upload_above_the_threshold(moto_bucket, moto, tmp_path):
    config = LakeConfig(multipart_threshold=5 * 2**20, multipart_chunksize=5 * 2**20, compression_level=1)
    store = open_store(f"s3://{moto_bucket}/lake", config)
    noise = base64.b64encode(os.urandom(8 * 2**20)).decode()  # barely compressible: the file stays > 5 MiB
    rows = [article(i, "r1", text=noise[i * 350_000 : (i + 1) * 350_000]) for i in range(30)]
    manifest = ingest(s3writer(store, tmp_path, "r1", config), rows)
    (entry,) = [f for f in manifest["files"] if f["dataset"] == "articles"]
    head = moto.client().head_object(Bucket=moto_bucket, Key=f"lake/{entry['key']}")
    assert entry["bytes"] > 5 * 2**20 and head["ETag"].strip('"').endswith("-2")  # uploaded in two parts
    local = tmp_path / "back.parquet"
    store.get_file(entry["key"], local)
    assert pq.read_table(local)["text"].to_pylist() == [r["text"] for r in rows]


def test_recover_aborts_unfinished_uploads_of_spooled_runs(moto_bucket, moto, tmp_path):
    store = open_store(f"s3://{moto_bucket}/lake", FAST)
    client = moto.client()
    keep_other = client.create_multipart_upload(Bucket=moto_bucket, Key="elsewhere/x")["UploadId"]
    assert keep_other
    dead = s3writer(store, tmp_path, "r1")
    dead.add_article(article(1, "r1"))
    # Close without a store: the run is spooled and ready, as after a crash mid-upload.
    dead.store = open_store(str(tmp_path / "unused-parent-file" / "x"))
    (tmp_path / "unused-parent-file").write_text("")
    with pytest.raises(LakeUnavailable):
        dead.close({}, settings={})
    key = "articles/ingest_date=2024-05-01/part-r1-0.parquet"
    client.create_multipart_upload(Bucket=moto_bucket, Key=f"lake/{key}")
    w2 = s3writer(store, tmp_path, "r2", LakeConfig(stale_upload_hours=1e6))  # moto dates every upload 2010
    _, published = recover(w2)
    w2.close({}, settings={})
    assert key in published
    left = client.list_multipart_uploads(Bucket=moto_bucket).get("Uploads", [])
    assert [u["Key"] for u in left] == ["elsewhere/x"]  # not ours, not old: left alone
