"""The websites allowed to frame an organization's widgets, written as origins: a scheme, a host
and a port, nothing else (`https://www.example.org`, `https://*.example.org`). Each becomes a
source of the widget answers' `frame-ancestors`, so nothing but a clean origin may pass: a space,
a semicolon or a quote would change the policy itself."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from webapp.guards import has_control_characters
from webapp.i18n import _

MAX_ORIGINS = 20
MAX_LENGTH = 200
LOCAL_HOSTS = ("localhost", "127.0.0.1")  # plain http only there: a site being built
LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
HOST = re.compile(rf"^(\*\.)?{LABEL}(\.{LABEL})*$")
DEFAULT_PORTS = {"http": 80, "https": 443}


class OriginError(ValueError):
    """A line of the allow-list is not an origin we can allow; the message says which and why."""


def parse_origins(text: str) -> list[str]:
    """The allow-list typed by the operator (one origin per line, or separated by spaces or
    commas) as clean origins, in order, without repeats. Raises OriginError."""
    if has_control_characters(text.replace("\r\n", "\n").replace("\n", " ")):
        raise OriginError(_("Write one website address per line, without tabs or other control characters."))
    origins: list[str] = []
    for item in re.split(r"[\s,]+", text.strip()):
        if not item:
            continue
        origin = normalize_origin(item)
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ORIGINS:
        raise OriginError(_("At most %(n)d websites.", n=MAX_ORIGINS))
    return origins


def normalize_origin(item: str) -> str:
    """`item` as an origin (lowercase, no default port, no trailing slash), or OriginError."""
    if len(item) > MAX_LENGTH:
        raise OriginError(_("“%(origin)s…” is too long for a website address.", origin=item[:40]))
    bad = OriginError(_("“%(origin)s” is not a website address such as https://www.example.org.", origin=item))
    try:
        parts = urlsplit(item)
        port = parts.port
    except ValueError:
        raise bad from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in DEFAULT_PORTS or not host or parts.username is not None or parts.password is not None:
        raise bad
    if parts.path not in ("", "/") or parts.query or parts.fragment or item.endswith(("?", "#")):
        raise OriginError(
            _("“%(origin)s”: give only the website's address, without a path (such as https://www.example.org).",
              origin=item)
        )  # fmt: skip
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise bad from None
    if not HOST.match(host) or ("." not in host and host != "localhost"):
        raise bad
    if scheme == "http" and host not in LOCAL_HOSTS:
        raise OriginError(_("“%(origin)s”: use https://, the address your visitors see.", origin=item))
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return f"{scheme}://{netloc}"
