"""The headers every answer carries: content security policy, no sniffing, no framing.

Framing is refused everywhere (`frame-ancestors 'none'` and `X-Frame-Options: DENY`) except on
the answers a view marks with `allow_framing(response, origins)`: the website widgets, framed by
the organization's own websites only, and their error pages (docs/widgets.md)."""

from __future__ import annotations

import re
from collections.abc import Iterable

POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; media-src 'self' data: blob:; object-src 'none'; "
    "base-uri 'self'; form-action 'self' https:; frame-ancestors {ancestors}"
)
CSP = POLICY.format(ancestors="'none'")
SOURCE = re.compile(r"^https?://[a-z0-9.*-]+(:[0-9]{1,5})?$")  # what an origin on an allow-list looks like


def allow_framing(response, origins: Iterable[str]) -> None:
    """Let the pages of `origins` (checked ones: webapp/widgets/origins.py) frame this answer.
    No origins: framed nowhere, as every other answer."""
    response.frame_ancestors = [origin for origin in origins if SOURCE.match(origin)]  # nothing that bends the policy


def allow_framing_anywhere(response) -> None:
    """Let any site frame this answer: only for a page with nothing to click and nothing of
    anyone's (a widget's error page whose organization is unknown), so framing it can trick no
    one into anything, and the host page shows its message instead of the browser's refusal."""
    response.frame_ancestors = ["*"]


def content_security_policy(ancestors: list[str] | None) -> str:
    return POLICY.format(ancestors=" ".join(ancestors)) if ancestors else CSP


def init_app(app) -> None:
    @app.after_request
    def _headers(response):
        # One look through the answer's headers, then each missing one added (setdefault would
        # look them through twice per header).
        ancestors = getattr(response, "frame_ancestors", None)
        present = {name.lower() for name, _ in response.headers}
        defaults = (
            DEFAULTS
            if not ancestors
            else (*DEFAULTS[:2], ("Content-Security-Policy", content_security_policy(ancestors)))
        )
        for name, value in defaults:
            if name.lower() not in present:
                response.headers.add(name, value)
        return response


# Browsers that know only X-Frame-Options would refuse an allowed frame: an answer that allows
# framing has no X-Frame-Options (and its own policy).
DEFAULTS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Content-Security-Policy", CSP),
    ("X-Frame-Options", "DENY"),
)
