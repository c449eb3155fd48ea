"""Object stores for landed batches: a local directory (default) or S3 / S3-compatible servers.

Writes are atomic (a reader never sees half an object) and idempotent by key, which is what
makes a repeated flush after a crash overwrite instead of duplicate.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

from eventyard.errors import RetriableError


class StoreError(RetriableError):
    """The object store could not be reached or refused the operation (retryable)."""


class ObjectStore(Protocol):
    """Minimal key/value object storage used by the landing zone."""

    url: str

    def put(self, key: str, data: bytes) -> str:
        """Store ``data`` under ``key`` atomically; return the object's full URI."""
        ...

    def get(self, uri_or_key: str) -> bytes:
        """Return an object's bytes, by full URI or by key relative to the store."""
        ...

    def list(self, prefix: str = "") -> list[str]:
        """Keys under ``prefix``, sorted."""
        ...

    def delete(self, key: str) -> None:
        """Delete an object if it exists."""
        ...


class LocalStore:
    """A directory on the local file system (``file:///path``)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.root = Path(unquote(urlparse(url).path))

    def _path(self, uri_or_key: str) -> Path:
        key = uri_or_key
        if uri_or_key.startswith("file://"):
            key = os.path.relpath(unquote(urlparse(uri_or_key).path), self.root)
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise StoreError(f"key {uri_or_key!r} escapes the store root")
        return path

    def put(self, key: str, data: bytes) -> str:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            raise StoreError(f"cannot write {path}: {exc}") from exc
        return path.as_uri()

    def get(self, uri_or_key: str) -> bytes:
        try:
            return self._path(uri_or_key).read_bytes()
        except OSError as exc:
            raise StoreError(f"cannot read {uri_or_key}: {exc}") from exc

    def list(self, prefix: str = "") -> list[str]:
        if not self.root.exists():
            return []
        keys = [
            p.relative_to(self.root).as_posix()
            for p in self.root.rglob("*")
            if p.is_file() and not p.name.startswith(".tmp-")
        ]
        return sorted(k for k in keys if k.startswith(prefix))

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Store:
    """An S3 bucket and prefix (``s3://bucket/prefix``), on AWS or an S3-compatible endpoint."""

    def __init__(self, url: str, *, endpoint_url: str | None = None, region: str = "us-east-1") -> None:
        import boto3
        from botocore.config import Config

        parsed = urlparse(url)
        self.url = url.rstrip("/")
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(
                retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30
            ),
        )

    def _key(self, uri_or_key: str) -> str:
        if uri_or_key.startswith("s3://"):
            parsed = urlparse(uri_or_key)
            if parsed.netloc != self.bucket:
                raise StoreError(f"{uri_or_key} is not in bucket {self.bucket}")
            return parsed.path.lstrip("/")
        return f"{self.prefix}/{uri_or_key}" if self.prefix else uri_or_key

    def put(self, key: str, data: bytes) -> str:
        full = self._key(key)
        try:
            self.client.put_object(Bucket=self.bucket, Key=full, Body=data)
        except Exception as exc:  # botocore raises many unrelated types; all mean "retry later"
            raise StoreError(f"cannot upload s3://{self.bucket}/{full}: {exc}") from exc
        return f"s3://{self.bucket}/{full}"

    def get(self, uri_or_key: str) -> bytes:
        full = self._key(uri_or_key)
        try:
            body: bytes = self.client.get_object(Bucket=self.bucket, Key=full)["Body"].read()
        except Exception as exc:
            raise StoreError(f"cannot read s3://{self.bucket}/{full}: {exc}") from exc
        return body

    def list(self, prefix: str = "") -> list[str]:
        base = f"{self.prefix}/" if self.prefix else ""
        keys: list[str] = []
        try:
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=base + prefix):
                keys.extend(obj["Key"][len(base) :] for obj in page.get("Contents", []))
        except Exception as exc:
            raise StoreError(f"cannot list s3://{self.bucket}/{base}{prefix}: {exc}") from exc
        return sorted(keys)

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            raise StoreError(f"cannot delete {key}: {exc}") from exc


def open_store(url: str, *, endpoint_url: str | None = None, region: str = "us-east-1") -> ObjectStore:
    """Open the store a landing URL names (``file://...`` or ``s3://bucket/prefix``)."""
    scheme = urlparse(url).scheme
    if scheme == "file":
        return LocalStore(url)
    if scheme == "s3":
        return S3Store(url, endpoint_url=endpoint_url, region=region)
    raise ValueError(f"unsupported landing URL {url!r}: use file:///path or s3://bucket/prefix")
