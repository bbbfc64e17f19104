"""Crafted requests answer a clear 4xx and change nothing, on SQLite and on PostgreSQL."""

from __future__ import annotations

from werkzeug.exceptions import MethodNotAllowed
from werkzeug.routing import IntegerConverter

METHODS = ("DELETE", "PUT", "PATCH", "POST", "GET")


def _url_with_a_wrong_method(app, rule) -> tuple[str, str] | None:
    """A URL of `rule` and a method it does not take; None when another route takes that URL and
    method (then the request is not a wrong one)."""
    method = next(m for m in METHODS if m not in rule.methods)
    args = {name: 1 if isinstance(rule._converters[name], IntegerConverter) else "x" for name in rule.arguments}
    adapter = app.url_map.bind("rollcall.test")
    url = adapter.build(rule.endpoint, args)
    try:
        adapter.match(url, method=method)
    except MethodNotAllowed:
        return url, method
    except Exception:
        return None
    return None


def test_every_route_answers_a_wrong_method_with_405_not_500(app, client):
    tried = {"html": 0, "api": 0}
    for rule in app.url_map.iter_rules():
        wrong = _url_with_a_wrong_method(app, rule)
        if wrong is None:
            continue
        url, method = wrong
        response = client.open(url, method=method)
        assert response.status_code == 405, (method, url, response.status_code)
        assert set(response.headers["Allow"].split(", ")) >= rule.methods - {"HEAD", "OPTIONS"}, url
        if url.startswith("/api/"):
            tried["api"] += 1
            assert response.json["error"]["code"] == "method_not_allowed"
        else:
            tried["html"] += 1
            assert "Request not accepted" in response.get_data(as_text=True)
    assert tried["html"] > 50 and tried["api"] > 20
