"""The one Huey instance. Task modules import `huey` from here; `tasks.all` imports every task
module and is what the consumer runs: `huey_consumer tasks.all.huey`."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from huey import MemoryHuey, RedisHuey, SqliteHuey

import config


def make_huey(url: str, name: str = "rollcall"):
    parts = urlsplit(url)
    if parts.scheme == "redis":
        return RedisHuey(name, url=url)
    if parts.scheme == "memory":
        return MemoryHuey(name)
    path = unquote(url[len("sqlite:///") :])
    from pathlib import Path

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=path)


huey = make_huey(config.load().huey_url)
