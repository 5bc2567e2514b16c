"""`S3Store`: the lake in an S3-compatible bucket (AWS S3, MinIO, R2, Ceph, SeaweedFS), via boto3.

Credentials, endpoint and region come only from the standard AWS chain (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL``, ``AWS_REGION``, profiles, instance roles). Retries
and backoff for throttling (503 SlowDown), 5xx answers and dropped connections are botocore's retry
modes; files go up with boto3's managed transfer (multipart above a threshold), every request
carries a checksum the server verifies, and each object records the whole file's sha256 in its
metadata so an upload whose success answer was lost is recognised as ours and not redone.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from pathlib import Path

from pipeline.lake.config import LakeConfig
from pipeline.lake.store import LakeUnavailable, Store, Versioned, file_sha256

logger = logging.getLogger(__name__)

SHA_META = "sha256"  # user metadata key (sent as x-amz-meta-sha256)


def s3_client(config: LakeConfig):
    """A boto3 S3 client with `config`'s retries and timeouts (the lake's, and the file sources' for s3://
    inputs); credentials, region and endpoint from the standard AWS chain. boto3 clients are thread-safe."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3",
        config=Config(
            retries={"mode": config.retry_mode, "max_attempts": config.max_attempts},
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
        ),
    )


class S3Store(Store):
    """A lake under ``s3://bucket/prefix``; keys are relative to the prefix."""

    def __init__(self, bucket: str, prefix: str, config: LakeConfig | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.config = config or LakeConfig()
        self.uri = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        self._client = None
        self._create_only: set[str] = set()  # full keys whose next write must not replace an object
        self._lock = threading.Lock()

    @classmethod
    def from_uri(cls, uri: str, config: LakeConfig | None = None) -> S3Store:
        bucket, _, prefix = uri[len("s3://") :].partition("/")
        if not bucket:
            raise ValueError(f"lake URI {uri!r} names no bucket; expected s3://bucket/prefix")
        return cls(bucket, prefix, config)

    # ---- client -----------------------------------------------------------------------------
    @property
    def client(self):
        with self._lock:
            if self._client is None:
                self._client = s3_client(self.config)
                # Conditional create (If-None-Match: *) for data files, on single and multipart uploads.
                for op in ("PutObject", "CompleteMultipartUpload"):
                    self._client.meta.events.register(f"before-parameter-build.s3.{op}", self._add_if_none_match)
            return self._client

    def _add_if_none_match(self, params: dict, **_) -> None:
        if params.get("Key") in self._create_only:
            params["IfNoneMatch"] = "*"

    def _full(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _relative(self, full: str) -> str:
        return full[len(self.prefix) + 1 :] if self.prefix else full

    def url(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._full(key)}"

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            yield
        except NoCredentialsError as exc:
            raise LakeUnavailable(
                f"{what} on {self.uri}: no AWS credentials (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                "a profile, or an instance role)"
            ) from exc
        except ClientError as exc:
            err = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            raise LakeUnavailable(f"{what} on {self.uri}: {err.get('Code')} ({status}) {err.get('Message', '')}") from exc
        except (BotoCoreError, S3UploadFailedError) as exc:
            raise LakeUnavailable(f"{what} on {self.uri}: {exc}") from exc

    # ---- Store interface --------------------------------------------------------------------
    def read_bytes(self, key: str) -> bytes | None:
        with self._errors(f"reading {key}"):
            try:
                return self.client.get_object(Bucket=self.bucket, Key=self._full(key))["Body"].read()
            except self.client.exceptions.NoSuchKey:
                return None

    def write_bytes(self, key: str, data: bytes) -> None:
        with self._errors(f"writing {key}"):
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._full(key),
                Body=data,
                ChecksumAlgorithm=self.config.checksum_algorithm,
            )

    def head(self, key: str) -> dict | None:
        """Size and recorded sha256 of an object, or None if it does not exist."""
        from botocore.exceptions import ClientError

        with self._errors(f"checking {key}"):
            try:
                found = self.client.head_object(Bucket=self.bucket, Key=self._full(key))
            except ClientError as exc:
                if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                    return None
                raise
        return {"bytes": found["ContentLength"], "sha256": found.get("Metadata", {}).get(SHA_META)}

    def exists(self, key: str) -> bool:
        return self.head(key) is not None

    def put_file(self, local_path: str | Path, key: str, *, sha256: str | None = None) -> None:
        """Upload a finished file; skipped when the same content is already there, verified after."""
        local_path = Path(local_path)
        mine = {"bytes": local_path.stat().st_size, "sha256": sha256 or file_sha256(local_path)}
        before = self.head(key)
        if before == mine:
            logger.info("%s is already in the lake with the same sha256; not uploaded again", key)
            return
        if before is not None:
            logger.warning("%s exists with different content (sha256 %s); replacing it", key, before["sha256"])
        full = self._full(key)
        if before is None:
            self._create_only.add(full)
        try:
            self._upload(local_path, full, mine["sha256"])
        except LakeUnavailable as exc:
            # A retried conditional PUT answers 412 when our first attempt landed but its answer was
            # lost; any failure after the object appeared is judged by its content, not the error.
            if self.head(key) != mine:
                raise
            logger.warning("%s: upload reported %s, but the object there is ours (sha256 matches)", key, exc)
        finally:
            self._create_only.discard(full)
        after = self.head(key)
        if after != mine:
            raise LakeUnavailable(f"{key}: the uploaded object ({after}) does not match the local file ({mine})")

    def _upload(self, local_path: Path, full_key: str, sha256: str) -> None:
        from boto3.s3.transfer import TransferConfig

        cfg = self.config
        transfer = TransferConfig(
            multipart_threshold=cfg.multipart_threshold,
            multipart_chunksize=cfg.multipart_chunksize,
            max_concurrency=cfg.max_concurrency,
        )
        extra = {"Metadata": {SHA_META: sha256}, "ChecksumAlgorithm": cfg.checksum_algorithm}
        with self._errors(f"uploading {self._relative(full_key)}"):
            self.client.upload_file(str(local_path), self.bucket, full_key, ExtraArgs=extra, Config=transfer)

    def get_file(self, key: str, local_path: str | Path) -> None:
        with self._errors(f"downloading {key}"):
            self.client.download_file(self.bucket, self._full(key), str(local_path))

    def list_keys(self, prefix: str) -> list[str]:
        """Keys under the 'folder' `prefix` (or `prefix` itself if it is an object), like LocalStore."""
        full = self._full(prefix.rstrip("/"))
        keys: list[str] = []
        with self._errors(f"listing {prefix}"):
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=full)
            for page in pages:
                for obj in page.get("Contents", []):
                    name = obj["Key"]
                    if name == full or name.startswith(full + "/") or not full:
                        keys.append(self._relative(name))
        return sorted(keys)

    def delete_keys(self, keys: list[str]) -> None:
        with self._errors("deleting objects"):
            for start in range(0, len(keys), 1000):  # the DeleteObjects limit
                batch = [{"Key": self._full(k)} for k in keys[start : start + 1000]]
                answer = self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
                errors = [e for e in answer.get("Errors", []) if e.get("Code") != "NoSuchKey"]
                if errors:
                    raise LakeUnavailable(f"deleting from {self.uri} failed for {len(errors)} object(s): {errors[:3]}")

    def has_keys(self, prefix: str) -> bool:
        full = self._full(prefix.rstrip("/"))
        with self._errors(f"listing {prefix}"):
            found = self.client.list_objects_v2(Bucket=self.bucket, Prefix=f"{full}/" if full else "", MaxKeys=1)
        return bool(found.get("Contents"))

    # ---- conditional writes (If-None-Match / If-Match), each checked by reading the object back ----------
    def read_versioned(self, key: str) -> Versioned | None:
        with self._errors(f"reading {key}"):
            try:
                found = self.client.get_object(Bucket=self.bucket, Key=self._full(key))
            except self.client.exceptions.NoSuchKey:
                return None
            data = found["Body"].read()
        # both times from the server's clock: writers on hosts whose clocks disagree still agree on ages
        date = found["ResponseMetadata"].get("HTTPHeaders", {}).get("date")
        now = parsedate_to_datetime(date) if date else dt.datetime.now(dt.UTC)
        return Versioned(data, found["ETag"], max(0.0, (now - found["LastModified"]).total_seconds()))

    def write_if(self, key: str, data: bytes, *, tag: str | None) -> str | None:
        from botocore.exceptions import ClientError

        condition = {"IfNoneMatch": "*"} if tag is None else {"IfMatch": tag}
        with self._errors(f"writing {key}"):
            try:
                self.client.put_object(Bucket=self.bucket, Key=self._full(key), Body=data, **condition)
            except ClientError as exc:
                if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") not in (404, 409, 412):
                    raise
                # 412 also answers a retry of our own write whose first answer was lost: judged below
        # Stores that ignore the condition headers, and lost answers, are caught by reading back.
        after = self.read_versioned(key)
        return after.tag if after is not None and after.data == data else None

    def delete_if(self, key: str, tag: str) -> bool:
        from botocore.exceptions import ClientError

        with self._errors(f"deleting {key}"):
            try:
                self.client.delete_object(Bucket=self.bucket, Key=self._full(key), IfMatch=tag)
            except ClientError as exc:
                if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (404, 412):
                    return False
                raise
        return True

    def remove_leftovers(self, pending_keys: Iterable[str], older_than_hours: float) -> list[str]:
        """Abort multipart uploads of `pending_keys` (a dead run's files), or of any key if older than the limit.

        Objects themselves need nothing: a PUT or a completed multipart upload is atomic on S3."""
        wanted = {self._full(k) for k in pending_keys}
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(hours=older_than_hours)
        aborted: list[str] = []
        with self._errors("listing unfinished uploads"):
            pages = self.client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=f"{self.prefix}/" if self.prefix else ""
            )
            for page in pages:
                for upload in page.get("Uploads", []):
                    if upload["Key"] in wanted or upload["Initiated"] < cutoff:
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
                        aborted.append(self._relative(upload["Key"]))
        return aborted
