"""The one Huey instance. Task modules import `huey` from here; `tasks.all` imports every task
module and is what the consumer runs: `huey_consumer tasks.all.huey`."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from huey import MemoryHuey, RedisHuey, SqliteHuey
from huey.storage import SqliteStorage

import config


class _SqliteStorageOnFirstUse(SqliteStorage):
    """Huey's SQLite storage, its folder and tables created by the first enqueue or dequeue (the
    web app's or the consumer's), not when the instance is built: importing tasks writes nothing."""

    def __init__(self, *args, **kwargs):
        self._schema_ready = False
        super().__init__(*args, create_tables=False, **kwargs)

    def _create_connection(self):
        Path(self.filename).parent.mkdir(parents=True, exist_ok=True)
        conn = super()._create_connection()
        if not self._schema_ready:
            conn.execute(self.begin_sql)
            try:
                for sql in self.ddl:
                    conn.execute(sql)
            except Exception:
                conn.rollback()
                raise
            conn.commit()
            self._schema_ready = True
        return conn


def make_huey(url: str, name: str = "rollcall"):
    parts = urlsplit(url)
    if parts.scheme == "redis":
        return RedisHuey(name, url=url)
    if parts.scheme == "memory":
        return MemoryHuey(name)
    path = unquote(url[len("sqlite:///") :])
    return SqliteHuey(name, filename=path, storage_class=_SqliteStorageOnFirstUse)


huey = make_huey(config.load().huey_url)
