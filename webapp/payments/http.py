"""The one HTTP client gateways use: urllib from the standard library, JSON answers, timeouts, and
errors turned into GatewayUnavailable (network, 5xx) or an answer the gateway module reads (4xx)."""

from __future__ import annotations

import base64
import contextlib
import contextvars
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

log = logging.getLogger("rollcall.payments")

TIMEOUT = 20  # seconds; a gateway slower than this is treated as down
USER_AGENT = "Rollcall/1.0 (+payments)"
_timeout = contextvars.ContextVar("gateway_timeout", default=TIMEOUT)


@contextlib.contextmanager
def time_limit(seconds: float):
    """Calls made inside wait at most `seconds` (someone is waiting for the page)."""
    token = _timeout.set(seconds)
    try:
        yield
    finally:
        _timeout.reset(token)


class GatewayUnavailable(RuntimeError):
    """The gateway did not answer, or answered with a server error: try again later."""


@dataclass
class Response:
    status: int
    text: str
    data: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def basic_auth(user: str, password: str = "") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def call(
    method: str,
    url: str,
    *,
    authorization: str,
    json_body: dict | None = None,
    form: list[tuple[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
) -> Response:
    body = None
    all_headers = {"Accept": "application/json", "User-Agent": USER_AGENT, "Authorization": authorization}
    if json_body is not None:
        body = json.dumps(json_body).encode()
        all_headers["Content-Type"] = "application/json"
    elif form is not None:
        body = urllib.parse.urlencode(form).encode()
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    all_headers.update(headers or {})
    req = urllib.request.Request(url, data=body, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout or _timeout.get()) as resp:
            response = Response(resp.status, resp.read().decode("utf-8", "replace"))
    except urllib.error.HTTPError as exc:
        response = Response(exc.code, exc.read().decode("utf-8", "replace"))
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        log.warning("%s %s failed: %s", method, _without_query(url), exc)
        raise GatewayUnavailable(f"could not reach {urllib.parse.urlsplit(url).netloc}: {exc}") from None
    if response.status >= 500:
        log.warning("%s %s answered %s", method, _without_query(url), response.status)
        raise GatewayUnavailable(f"{urllib.parse.urlsplit(url).netloc} answered {response.status}")
    try:
        parsed = json.loads(response.text) if response.text else {}
    except ValueError:
        parsed = {}
    response.data = parsed if isinstance(parsed, dict) else {}
    return response


def _without_query(url: str) -> str:
    return url.split("?", 1)[0]
