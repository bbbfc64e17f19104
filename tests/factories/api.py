from __future__ import annotations

import itertools

from webapp.accounts.api_keys import create_key
from webapp.accounts.models import ApiKey, ApiKeyPolicy, Organization

_seq = itertools.count(1)


def make_api_key(
    org: Organization, *, read_only: bool = False, scopes: list[str] | None = None, per_minute: int | None = None
) -> tuple[ApiKey, str]:
    key, token = create_key(org, f"key {next(_seq)}", read_only=read_only)
    if scopes is not None or per_minute is not None:
        ApiKeyPolicy.create(api_key=key, scopes=scopes or [], requests_per_minute=per_minute)
    return key, token


class ApiClient:
    """The Flask test client with a bearer key: api.get("/events"), api.post("/events", {...})."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def headers(self, extra: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def _url(self, path: str) -> str:
        return path if path.startswith(("/api/", "/v2/")) else f"/api/v1{path}"

    def get(self, path: str, **params):
        return self.client.get(self._url(path), query_string=params, headers=self.headers())

    def post(self, path: str, body=None, *, key: str | None = None, headers: dict | None = None):
        extra = dict(headers or {})
        if key:
            extra["Idempotency-Key"] = key
        return self.client.post(self._url(path), json=body, headers=self.headers(extra))

    def patch(self, path: str, body=None):
        return self.client.patch(self._url(path), json=body, headers=self.headers())

    def delete(self, path: str):
        return self.client.delete(self._url(path), headers=self.headers())
