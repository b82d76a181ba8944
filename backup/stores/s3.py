"""A backup store in an S3 bucket, through boto3 (tested against Swift's s3api middleware).

Each object is one PutObject with Content-MD5: the server stores it only when every byte arrived and
matched, so an interrupted upload leaves nothing. A boto3 client is thread-safe and shared.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from backup.engine.errors import ObjectMissing, StoreError
from backup.stores.base import Buffer, as_parts


def _content_md5(request: Any, **_kw: Any) -> None:
    # Swift 2.30's s3api requires Content-MD5 on DeleteObjects; boto3 >= 1.36 sends a CRC32 instead
    body = request.body or b""
    body = body.encode() if isinstance(body, str) else body
    request.headers["Content-MD5"] = base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode()


class S3Store:
    def __init__(self, *, endpoint_url: str, access_key: str, secret_key: str, bucket: str,
                 region: str = "us-east-1", prefix: str = "", max_connections: int = 16) -> None:
        self.endpoint_url = endpoint_url
        self.bucket = bucket
        self.prefix = prefix
        config = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                        request_checksum_calculation="when_required",
                        response_checksum_validation="when_required",
                        max_pool_connections=max_connections, retries={"max_attempts": 3, "mode": "standard"})
        self._s3 = boto3.client("s3", endpoint_url=endpoint_url, region_name=region, aws_access_key_id=access_key,
                                aws_secret_access_key=secret_key, config=config)
        self._s3.meta.events.register("before-sign.s3.DeleteObjects", _content_md5)
        try:
            self._s3.head_bucket(Bucket=bucket)
        except ClientError:
            try:
                self._s3.create_bucket(Bucket=bucket)
            except (ClientError, BotoCoreError) as exc:
                raise StoreError(f"{self.describe()}: creating the bucket: {exc}") from exc
        except BotoCoreError as exc:
            raise StoreError(f"{self.describe()}: {exc}") from exc

    def describe(self) -> str:
        return f"s3:{self.endpoint_url}/{self.bucket}/{self.prefix}"

    def put(self, name: str, parts: Sequence[Buffer]) -> None:
        parts = as_parts(parts)
        data = b"".join(parts)
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        try:
            self._s3.put_object(Bucket=self.bucket, Key=self.prefix + name, Body=data, ContentMD5=md5,
                                ContentLength=len(data))
        except (ClientError, BotoCoreError) as exc:
            raise StoreError(f"{self.describe()}: PUT {name}: {exc}") from exc

    def commit(self) -> None:
        pass  # a PUT is durable once answered

    def get(self, name: str) -> bytes:
        try:
            answer = self._s3.get_object(Bucket=self.bucket, Key=self.prefix + name)
            return bytes(answer["Body"].read())
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise ObjectMissing(name) from None
            raise StoreError(f"{self.describe()}: GET {name}: {exc}") from exc
        except BotoCoreError as exc:
            raise StoreError(f"{self.describe()}: GET {name}: {exc}") from exc

    def delete(self, name: str) -> None:
        try:
            self._s3.delete_object(Bucket=self.bucket, Key=self.prefix + name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404"):
                raise StoreError(f"{self.describe()}: DELETE {name}: {exc}") from exc
        except BotoCoreError as exc:
            raise StoreError(f"{self.describe()}: DELETE {name}: {exc}") from exc

    def list(self, prefix: str) -> list[str]:
        names: list[str] = []
        try:
            for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                            Prefix=self.prefix + prefix):
                names.extend(str(row["Key"])[len(self.prefix):] for row in page.get("Contents", []))
        except (ClientError, BotoCoreError) as exc:
            raise StoreError(f"{self.describe()}: listing {prefix}: {exc}") from exc
        return sorted(names)
