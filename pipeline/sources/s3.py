"""Inputs in S3 (or any S3-compatible store): one object, or every object under a prefix, read as streams.

Objects are read as they are consumed (the body of a GET, never whole into memory); reading from an
offset is a ranged GET. Credentials, region and endpoint come only from the standard AWS chain
(`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_ENDPOINT_URL`, profiles, instance roles).
"""

from __future__ import annotations

import functools
import io
import logging
from typing import TYPE_CHECKING, BinaryIO

from pipeline.sources.inputs import Input, Listing, input_kind, unsupported

if TYPE_CHECKING:
    from pipeline.lake.config import LakeConfig

logger = logging.getLogger(__name__)


class InputNotFound(ValueError):
    """The root given to the file source names nothing."""


def split_uri(uri: str) -> tuple[str, str]:
    """(bucket, key) of ``s3://bucket/key``."""
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket:
        raise InputNotFound(f"{uri!r} names no bucket; expected s3://bucket/key or s3://bucket/prefix/")
    return bucket, key


@functools.lru_cache(maxsize=4)
def client(config: LakeConfig | None = None):
    """The process's S3 client for `config`'s retries and timeouts (the lake's; None: configs/lake.yaml's
    shipped values). Imported here: the lake package is the crawl process's, not the workers'."""
    from pipeline.lake.config import LakeConfig
    from pipeline.lake.s3 import s3_client

    return s3_client(config or LakeConfig())


class _ObjectBody(io.RawIOBase):
    """A GET's body as a raw stream whose `tell()` is the offset in the object (readers report record offsets)."""

    def __init__(self, body, offset: int) -> None:
        self.body = body
        self.position = offset

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.body.read(len(buffer))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def close(self) -> None:
        self.body.close()
        super().close()


def open_object(uri: str, offset: int = 0, config: LakeConfig | None = None) -> BinaryIO:
    """The object's bytes from `offset` on, as a buffered stream over one GET (a ranged GET past 0)."""
    bucket, key = split_uri(uri)
    extra = {"Range": f"bytes={offset}-"} if offset else {}
    body = client(config).get_object(Bucket=bucket, Key=key, **extra)["Body"]
    return io.BufferedReader(_ObjectBody(body, offset), buffer_size=1 << 20)


def list_s3(uri: str, config: LakeConfig | None = None) -> Listing:
    """The object `uri` names, or else every object under it as a prefix (hidden names counted, not read);
    `config`: the S3 client's retries and timeouts, for the listing and for reading the inputs it finds."""
    from botocore.exceptions import ClientError

    bucket, key = split_uri(uri)
    s3 = client(config)

    def _input(key: str, kind: str, size: int, modified) -> Input:
        return Input(f"s3://{bucket}/{key}", kind, size, modified, s3_config=config)

    listing = Listing([], [], {})
    if key and not key.endswith("/"):
        try:
            head = s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                raise
        else:
            kind = input_kind(key)
            if kind is None:
                listing.rejects.append(unsupported(uri, key.rsplit("/", 1)[-1]))
            else:
                listing.inputs.append(_input(key, kind, head["ContentLength"], head["LastModified"]))
            return listing
        key += "/"
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
        for obj in page.get("Contents", []):
            name = obj["Key"].rsplit("/", 1)[-1]
            if not name:
                continue  # a "folder" marker some tools create
            if any(part.startswith(".") for part in obj["Key"][len(key) :].split("/")):
                listing.skipped["hidden"] = listing.skipped.get("hidden", 0) + 1
                continue
            kind = input_kind(name)
            if kind is None:
                listing.rejects.append(unsupported(f"s3://{bucket}/{obj['Key']}", name))
            else:
                listing.inputs.append(_input(obj["Key"], kind, obj["Size"], obj["LastModified"]))
    if not listing.inputs and not listing.rejects and not listing.skipped:
        raise InputNotFound(f"nothing found at {uri} (no such object, and no object under it as a prefix)")
    return listing
