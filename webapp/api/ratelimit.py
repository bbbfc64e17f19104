"""Requests per API key and minute, counted in fixed one-minute windows.

Where the count lives decides what it is worth:
- Redis (when HUEY_URL is redis://): one INCR per request, shared by every worker and host.
- PostgreSQL: the table rate_limit_window, one upsert per request, shared by every worker and host.
- SQLite: a small SQLite file of its own (instance/ratelimit.db, WAL), shared by every gunicorn
  worker of the host, so that counting never waits for the main database's write lock.
The window is fixed, so a client may send up to twice the limit across a minute boundary.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from webapp.accounts.api_keys import DEFAULT_PER_MINUTE
from webapp.accounts.models import ApiKeyPolicy
from webapp.api.models import RateLimitWindow
from webapp.db import db
from webapp.runtime import settings

log = logging.getLogger("rollcall.api")

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets


def limit_for(policy: ApiKeyPolicy | None) -> int:
    """The key's own limit (its ApiKeyPolicy), else the default."""
    if policy is not None and policy.requests_per_minute:
        return policy.requests_per_minute
    return DEFAULT_PER_MINUTE


def hit(api_key_id: int, limit: int, now: float | None = None) -> Verdict:
    """Count one request of this key; says whether it is within the limit."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    count = None
    if _redis() is not None:
        try:
            count = _redis_hit(api_key_id, window)
        except Exception:  # Redis away: count in the database rather than refuse every call
            log.warning("rate limit: Redis unavailable, counting in the database", exc_info=True)
    if count is None:
        count = _file_hit(api_key_id, window) if _file_path() else _db_hit(api_key_id, window)
    retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))
    return Verdict(count <= limit, limit, max(0, limit - count), retry_after)


def hit_named(name: str, limit: int, now: float | None = None) -> Verdict:
    """Count one request of something that is no API key (a public form, per client address):
    its windows are kept under a negative key drawn from `name`, apart from every key's."""
    digest = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "big") & 0x7FFFFFFF
    return hit(-(digest or 1), limit, now)


@functools.lru_cache(maxsize=4)
def _redis_for(url: str):

    return redis.Redis.from_url(url, socket_timeout=2)


def _redis():
    url = settings().huey_url
    return _redis_for(url) if url.startswith("redis://") else None


def _redis_hit(api_key_id: int, window: int) -> int:
    key = f"rollcall:ratelimit:{api_key_id}:{window}"
    pipe = _redis().pipeline()
    pipe.incr(key)
    pipe.expire(key, WINDOW_SECONDS * 2)
    count, _ = pipe.execute()
    return int(count)


def _db_hit(api_key_id: int, window: int) -> int:
    with db.atomic():
        RateLimitWindow.insert(api_key_id=api_key_id, window=window, count=1).on_conflict(
            conflict_target=[RateLimitWindow.api_key_id, RateLimitWindow.window],
            update={RateLimitWindow.count: RateLimitWindow.count + 1},
        ).execute()
        row = RateLimitWindow.get((RateLimitWindow.api_key_id == api_key_id) & (RateLimitWindow.window == window))
    return row.count


def _file_path() -> Path | None:
    config = settings()
    return config.instance_dir / "ratelimit.db" if config.database_url.startswith("sqlite") else None


_local = threading.local()


def _file_connection() -> sqlite3.Connection:
    path = _file_path()
    connection = getattr(_local, "connections", {}).get(path)
    if connection is None:
        connection = sqlite3.connect(path, timeout=15, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=wal")
        connection.execute("PRAGMA synchronous=normal")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS window (key INTEGER, minute INTEGER, count INTEGER, PRIMARY KEY (key, minute))"
        )
        for old in getattr(_local, "connections", {}).values():
            old.close()  # another instance directory (tests): one open file per thread is enough
        _local.connections = {path: connection}
    return connection


def _file_hit(api_key_id: int, window: int) -> int:
    connection = _file_connection()
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute(
            "INSERT INTO window (key, minute, count) VALUES (?, ?, 1) "
            "ON CONFLICT (key, minute) DO UPDATE SET count = count + 1",
            (api_key_id, window),
        )
        (count,) = connection.execute(
            "SELECT count FROM window WHERE key = ? AND minute = ?", (api_key_id, window)
        ).fetchone()
    finally:
        connection.execute("COMMIT")
    return count


def prune(now: float | None = None) -> int:
    """Forget windows older than the current one."""
    window = int((time.time() if now is None else now) // WINDOW_SECONDS)
    if _file_path():
        return _file_connection().execute("DELETE FROM window WHERE minute < ?", (window - 1,)).rowcount
    return RateLimitWindow.delete().where(RateLimitWindow.window < window - 1).execute()
