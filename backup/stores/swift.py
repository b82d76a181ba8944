"""A backup store in an OpenStack Swift container, through python-swiftclient.

Each object is one PUT with its Content-Length and MD5 ETag: Swift makes it visible only when every byte
arrived and matched, so an interrupted upload leaves nothing. One client connection per thread (a
swiftclient Connection is not thread-safe).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from typing import Any

from swiftclient import client as swift
from swiftclient.exceptions import ClientException

from backup.engine.errors import ObjectMissing, StoreError
from backup.stores.base import Buffer, as_parts


class SwiftStore:
    def __init__(self, *, auth_url: str, user: str, key: str, container: str, auth_version: str = "1",
                 os_options: dict[str, Any] | None = None, retries: int = 3, timeout_s: float = 60.0) -> None:
        self.auth_url = auth_url
        self.container = container
        self._args: dict[str, Any] = {"authurl": auth_url, "user": user, "key": key, "auth_version": auth_version,
                                      "os_options": os_options or {}, "retries": retries, "timeout": timeout_s}
        self._local = threading.local()
        try:
            self._conn().put_container(container)
        except ClientException as exc:
            raise StoreError(f"{self.describe()}: creating the container: {exc}") from exc

    def describe(self) -> str:
        return f"swift:{self.auth_url}/{self.container}"

    def _conn(self) -> swift.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = swift.Connection(**self._args)
        return conn

    def put(self, name: str, parts: Sequence[Buffer]) -> None:
        parts = as_parts(parts)
        data = b"".join(parts)
        try:
            self._conn().put_object(self.container, name, contents=data, content_length=len(data),
                                    etag=hashlib.md5(data, usedforsecurity=False).hexdigest(),
                                    content_type="application/octet-stream")
        except ClientException as exc:
            raise StoreError(f"{self.describe()}: PUT {name}: {exc}") from exc

    def commit(self) -> None:
        pass  # a PUT is durable once answered

    def get(self, name: str) -> bytes:
        try:
            _headers, body = self._conn().get_object(self.container, name)
        except ClientException as exc:
            if exc.http_status == 404:
                raise ObjectMissing(name) from None
            raise StoreError(f"{self.describe()}: GET {name}: {exc}") from exc
        return bytes(body)

    def delete(self, name: str) -> None:
        try:
            self._conn().delete_object(self.container, name)
        except ClientException as exc:
            if exc.http_status != 404:
                raise StoreError(f"{self.describe()}: DELETE {name}: {exc}") from exc

    def list(self, prefix: str) -> list[str]:
        try:
            _headers, rows = self._conn().get_container(self.container, prefix=prefix, full_listing=True)
        except ClientException as exc:
            raise StoreError(f"{self.describe()}: listing {prefix}: {exc}") from exc
        return sorted(str(row["name"]) for row in rows)
