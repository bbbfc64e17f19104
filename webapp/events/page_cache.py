"""The landing page under a rush: rendered once and served from a cache that every process and node
shares (a file store in the instance folder by default, Redis when HUEY_URL is redis://).

An entry is keyed by (event, language, page version): any edit of the event, its products,
questions or texts bumps the version (Event.page_version) in its transaction, so the next request
renders the new page. The seats left, which change with every order, are part of the page too: an
entry is served for at most `MAX_AGE` seconds after the seat query that it shows, then rendered
again (by one request per process; the other requests meanwhile get the entry, still younger than
`MAX_AGE`). Checkout never reads this cache: it decides on the database.

Nothing of one visitor is in an entry. It is rendered for nobody, with random marks in place of
the CSRF token and the form's one-time checkout token, which each answer fills in for its visitor
(`Entry.fill`). Pages that depend on more than the address and the language (signed-in members,
secret product links, flashed messages) are not cached: the view decides.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

from webapp.extensions import cache

FRESH = 1.5  # seconds an entry is served as it is; after that one request renders it again
MAX_AGE = 2.0  # an entry older than this is never served: the seats shown are at most this old
KEEP = 120  # seconds the shared store keeps an entry (its Last-Modified outlives its freshness)
ENTRY_FORMAT = 2  # in the store's keys: a process never reads an entry of another release's shape
GZIP_LEVEL = 6  # as Flask-Compress's COMPRESS_LEVEL
# A gzip member's header (RFC 1952): deflate, no flags, no time, no extra flags, unknown system.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


@dataclass(frozen=True)
class Entry:
    version: int
    body: str  # the page, with the marks where each visitor's tokens go
    csrf_mark: str
    token_mark: str
    digest: str  # of the page without the marks: what the ETag says
    rendered_at: float  # time.time() before the page's queries ran
    last_modified: float  # when a render last changed the page
    parts: tuple[bytes, ...]  # the page (UTF-8) cut at each mark
    slots: tuple[bool, ...]  # after parts[i]: the checkout token (True) or the CSRF token (False)
    deflated: tuple[bytes, ...]  # each part compressed once (see `gzipped`)

    @property
    def has_form(self) -> bool:
        return True in self.slots

    def fill(self, csrf_token: str, checkout_token: str) -> bytes:
        values = (csrf_token.encode(), checkout_token.encode())
        pieces = [self.parts[0]]
        for is_token, part in zip(self.slots, self.parts[1:], strict=True):
            pieces += (values[is_token], part)
        return b"".join(pieces)

    def gzipped(self, csrf_token: str, checkout_token: str) -> bytes:
        """The filled page as a gzip file, without compressing it again: the parts were deflated
        once, each ending byte-aligned with the compressor's history cleared (a full flush), so
        the visitor's tokens go between them as stored (uncompressed) blocks. Only the checksum
        is computed per answer."""
        values = (csrf_token.encode(), checkout_token.encode())
        pieces, crc, size = [GZIP_HEADER], 0, 0
        for index, part in enumerate(self.parts):
            crc, size = zlib.crc32(part, crc), size + len(part)
            pieces.append(self.deflated[index])
            if index < len(self.slots):
                value = values[self.slots[index]]
                crc, size = zlib.crc32(value, crc), size + len(value)
                pieces.append(_stored_block(value))
        pieces.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
        return b"".join(pieces)


Render = Callable[[str, str], str]  # (csrf mark, checkout token mark) -> the page


class PageCache:
    """Entries in the shared store, and the last one of each page in this process, so that a
    process asks the store at most once per `FRESH` seconds per page."""

    def __init__(self, prefix: str = "landing") -> None:
        self.prefix = prefix
        self._local: dict[tuple, Entry] = {}
        self._locks: dict[tuple, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, event_id: int, locale: str, version: int, render: Render) -> Entry:
        page = (event_id, locale)
        entry = self._usable(self._local.get(page), version, FRESH)
        if entry is not None:
            return entry
        lock = self._lock(page)
        if not lock.acquire(blocking=False):
            # Another thread renders it: a page within MAX_AGE may still be served meanwhile.
            entry = self._usable(self._local.get(page), version, MAX_AGE)
            if entry is not None:
                return entry
            lock.acquire()
        try:
            entry = self._usable(self._local.get(page), version, FRESH)
            if entry is None:
                entry = self._from_store(page, version, render)
                self._local[page] = entry
            return entry
        finally:
            lock.release()

    def clear_local(self) -> None:
        self._local.clear()

    def _from_store(self, page: tuple, version: int, render: Render) -> Entry:
        key = f"{self.prefix}:{ENTRY_FORMAT}:{page[0]}:{page[1]}:{version}"
        stored = cache.get(key)
        entry = self._usable(stored, version, FRESH)
        if entry is None:
            entry = _render(version, render, stored if isinstance(stored, Entry) else None)
            cache.set(key, entry, timeout=KEEP)
        return entry

    def _lock(self, page: tuple) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(page, threading.Lock())

    @staticmethod
    def _usable(entry, version: int, age: float) -> Entry | None:
        if isinstance(entry, Entry) and entry.version == version and time.time() - entry.rendered_at < age:
            return entry
        return None


def _render(version: int, render: Render, previous: Entry | None) -> Entry:
    csrf_mark, token_mark = (f"rc{secrets.token_hex(16)}" for _ in range(2))
    rendered_at = time.time()
    body = render(csrf_mark, token_mark)
    digest = hashlib.sha256(body.replace(csrf_mark, "").replace(token_mark, "").encode()).hexdigest()[:20]
    same = previous is not None and previous.digest == digest
    pieces = re.split(f"({csrf_mark}|{token_mark})", body)
    parts = tuple(piece.encode() for piece in pieces[::2])
    return Entry(
        version=version,
        body=body,
        csrf_mark=csrf_mark,
        token_mark=token_mark,
        digest=digest,
        rendered_at=rendered_at,
        last_modified=previous.last_modified if same else rendered_at,
        parts=parts,
        slots=tuple(mark == token_mark for mark in pieces[1::2]),
        deflated=_deflate_apart(parts),
    )


def _deflate_apart(parts: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """Raw deflate data of each part, in one stream: every part but the last ends with a full
    flush (byte-aligned, and nothing after it refers back to it), the last with the final block."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = [compressor.compress(part) + compressor.flush(zlib.Z_FULL_FLUSH) for part in parts[:-1]]
    return (*deflated, compressor.compress(parts[-1]) + compressor.flush(zlib.Z_FINISH))


def _stored_block(data: bytes) -> bytes:
    """A deflate block holding `data` as it is (RFC 1951, 3.2.4), not the last of its stream:
    header bits 000 padded to a byte, then LEN and its ones' complement."""
    return b"\x00" + struct.pack("<HH", len(data), len(data) ^ 0xFFFF) + data


def session_tag(raw_csrf_token: str | None) -> str:
    """What an ETag says of the session a copy of the page was made for: a copy holds that
    session's CSRF token, valid only while the session keeps it."""
    if not raw_csrf_token:
        return "-"
    return hashlib.sha256(str(raw_csrf_token).encode()).hexdigest()[:12]


def etag(entry: Entry, checkout_token: str, session: str) -> str:
    return f"{entry.digest}.{checkout_token or '-'}.{session}"


def matching_copy(entry: Entry, tags, session: str, token_unused: Callable[[str], bool]) -> str | None:
    """The ETag among `tags` (If-None-Match) of a copy the visitor may keep: this version of the
    page, made for this session, with a checkout token that has not made an order yet."""
    for tag in tags or ():
        digest, _, rest = tag.partition(".")
        token, _, tag_session = rest.partition(".")
        if digest != entry.digest or tag_session != session or session == "-":
            continue
        if entry.has_form and (token == "-" or not token_unused(token)):
            continue
        if not entry.has_form and token != "-":
            continue
        return tag
    return None


def pages() -> PageCache:
    """This app's page cache (one per app: tests build many apps in one process)."""
    cache_of_app = current_app.extensions.get("rollcall_page_cache")
    if cache_of_app is None:
        cache_of_app = current_app.extensions.setdefault("rollcall_page_cache", PageCache())
    return cache_of_app
