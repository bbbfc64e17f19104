"""Where files live: one interface, two backends.

Every file the app keeps (ticket PDFs and the part files of big PDF builds, badges, exports,
uploaded imports, event covers) is an object under a key, a relative path such as
`tickets/12/order-345-ab12.pdf`. `storage()` gives the backend the settings choose:

- `LocalStorage` (the default): files under the instance folder, the key being the path inside
  it. One node, or several sharing one network folder.
- `S3Storage` (STORAGE_BACKEND=s3): objects in a bucket on S3 or any S3-compatible server (MinIO,
  Ceph, R2...), through boto3; every node sees the same files, no node keeps any.

A reader never sees half an object: the local backend writes to a temporary file and renames it,
S3 makes an object visible only once it is whole. Keys are checked: no absolute paths, no `..`,
no backslashes or control characters, so that a key built from user input never leaves the store.
"""

from __future__ import annotations

import abc
import datetime as dt
import functools
import os
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError
from flask import Response

import config
from webapp.runtime import settings

MAX_KEY = 900  # S3 allows 1,024 bytes; leave room for a prefix


class InvalidKey(ValueError):
    """A key that could leave the store or that a backend cannot hold."""


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY or key.startswith("/") or "\\" in key:
        raise InvalidKey(f"invalid storage key {key!r}")
    if any(ord(ch) < 32 or ch == "\x7f" for ch in key):
        raise InvalidKey(f"invalid storage key {key!r}")
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise InvalidKey(f"invalid storage key {key!r}")
    return key


def _check_prefix(prefix: str) -> str:
    """A folder-like prefix ("exports/12/"): a key's rules, and it ends with a slash."""
    check_key(prefix.rstrip("/"))
    return prefix.rstrip("/") + "/"


class Storage(abc.ABC):
    """What every backend does (each implements the abstract methods). `read` raises
    FileNotFoundError for a missing key."""

    @abc.abstractmethod
    def write(self, key: str, data: bytes) -> None: ...

    @abc.abstractmethod
    def read(self, key: str) -> bytes: ...

    @abc.abstractmethod
    def exists(self, key: str) -> bool: ...

    @abc.abstractmethod
    def size(self, key: str) -> int: ...

    @abc.abstractmethod
    def modified(self, key: str) -> dt.datetime:
        """When the object was last written (naive UTC); FileNotFoundError when missing."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; a missing one is not an error."""

    @abc.abstractmethod
    def keys(self, prefix: str) -> list[str]:
        """The keys under a folder-like prefix ("exports/12/"), sorted."""

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object under a folder-like prefix; returns how many."""
        keys = self.keys(prefix)
        for key in keys:
            self.delete(key)
        return len(keys)

    def chunks(self, key: str, size: int = 256 * 1024) -> Iterator[bytes]:
        """The object's bytes a piece at a time (a download streamed to the client)."""
        data = self.read(key)
        for start in range(0, len(data), size):
            yield data[start : start + size]


class LocalStorage(Storage):
    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def write(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def read(self, key: str) -> bytes:
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return path.read_bytes()

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return path.stat().st_size

    def modified(self, key: str) -> dt.datetime:
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).replace(tzinfo=None)

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def keys(self, prefix: str) -> list[str]:
        folder = self.root / _check_prefix(prefix)
        if not folder.is_dir():
            return []
        return sorted(
            p.relative_to(self.root).as_posix() for p in folder.rglob("*") if p.is_file() and p.suffix != ".part"
        )

    def delete_prefix(self, prefix: str) -> int:
        count = len(self.keys(prefix))
        shutil.rmtree(self.root / _check_prefix(prefix), ignore_errors=True)
        return count

    def chunks(self, key: str, size: int = 256 * 1024) -> Iterator[bytes]:
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return _file_chunks(path, size)


def _file_chunks(path: Path, size: int) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while block := fh.read(size):
            yield block


class S3Storage(Storage):
    """Objects in one bucket (under S3_PREFIX when set). The client is thread-safe and shared."""

    def __init__(self, options: config.StorageSettings):
        self.bucket = options.bucket
        self.prefix = f"{options.prefix}/" if options.prefix else ""
        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=options.endpoint_url,
            region_name=options.region or "us-east-1",
            aws_access_key_id=options.access_key_id,
            aws_secret_access_key=options.secret_access_key,
            config=BotoConfig(
                retries={"max_attempts": 4, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
                s3={"addressing_style": "path"} if options.endpoint_url else {},
            ),
        )

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def write(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data)

    def read(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"].read()
        except ClientError as exc:
            raise _missing(exc, key) from exc

    def _head(self, key: str) -> dict:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            raise _missing(exc, key) from exc

    def exists(self, key: str) -> bool:
        try:
            self._head(key)
        except FileNotFoundError:
            return False
        return True

    def size(self, key: str) -> int:
        return int(self._head(key)["ContentLength"])

    def modified(self, key: str) -> dt.datetime:
        return self._head(key)["LastModified"].astimezone(dt.UTC).replace(tzinfo=None)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def keys(self, prefix: str) -> list[str]:
        start = self.prefix + _check_prefix(prefix)
        found = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start):
            found.extend(item["Key"][len(self.prefix) :] for item in page.get("Contents", []))
        return sorted(found)

    def chunks(self, key: str, size: int = 256 * 1024) -> Iterator[bytes]:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"]
        except ClientError as exc:
            raise _missing(exc, key) from exc
        return body.iter_chunks(size)


def _missing(exc: ClientError, key: str) -> Exception:
    code = exc.response.get("Error", {}).get("Code", "")
    if code in ("404", "NoSuchKey", "NotFound"):
        return FileNotFoundError(key)
    return exc


def download(key: str, mimetype: str, filename: str | None = None, *, cache: str = "no-store") -> Response:
    """An answer that streams a stored object (FileNotFoundError when it is missing): as an
    attachment named `filename`, or shown inline without one."""
    store = storage()
    size = store.size(key)
    response = Response(store.chunks(key), mimetype=mimetype, direct_passthrough=True)
    response.content_length = size
    response.headers["Cache-Control"] = cache
    if filename is not None:
        try:
            filename.encode("ascii")
            names = {"filename": filename}
        except UnicodeEncodeError:
            fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode() or "download"
            names = {"filename": fallback, "filename*": f"UTF-8''{quote(filename, safe='')}"}
        response.headers.set("Content-Disposition", "attachment", **names)
    return response


_lock = threading.Lock()


@functools.cache
def _backend(instance_dir: Path, options: config.StorageSettings | None) -> Storage:
    return LocalStorage(instance_dir) if options is None else S3Storage(options)


def storage() -> Storage:
    """The backend of the settings in force (built once per setting, shared by the threads)."""
    current = settings()
    with _lock:
        return _backend(current.instance_dir, current.storage)
