"""/healthz, /readyz and /metrics: for load balancers, orchestrators and Prometheus, not people.

- /healthz: the process answers (no database, nothing else): restart the node when it does not.
- /readyz: the node can serve: the database answers, the Redis queue answers (when HUEY_URL is
  redis://), and no migration of this node's code is missing from the database. 503 with a JSON
  body naming what failed: take the node out of the balancer until it is ready. A node running
  older code than the database is ready (its migrations are all applied): expand/contract
  migrations keep the old code working (README, "Deployment").
- /metrics: Prometheus text, behind the bearer token METRICS_TOKEN (404 when unset, so a scanner
  learns nothing; 401 for a wrong token).
"""

from __future__ import annotations

import hmac
import logging

import redis
from flask import Blueprint, Response, jsonify, request

from webapp import migrate, observability
from webapp.db import db, without_database
from webapp.ops.metrics import DatabaseCollector
from webapp.runtime import settings

bp = Blueprint("ops", __name__)
log = logging.getLogger("rollcall.ops")

PROBE_TIMEOUT = 2.0  # seconds a probe waits for Redis
NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/healthz")
@without_database
def healthz():
    return jsonify(status="ok"), 200, NO_STORE


@bp.get("/readyz")
@without_database
def readyz():
    checks = {"database": _database(), "queue": _queue()}
    checks["migrations"] = _migrations() if checks["database"] == "ok" else "not checked"
    ready = all(value in ("ok", "not used") for value in checks.values())
    if not ready:
        log.warning("not ready: %s", checks)
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503, NO_STORE


def _database() -> str:
    try:
        db.connect(reuse_if_open=True)  # closed by the request's teardown
        db.execute_sql("SELECT 1").fetchone()
    except Exception as exc:  # a probe reports any failure; the name of the error says enough
        return f"unreachable ({type(exc).__name__})"
    return "ok"


def _queue() -> str:
    url = settings().huey_url
    if not url.startswith("redis"):
        return "not used"  # a SQLite queue lives beside the database on this node
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=PROBE_TIMEOUT, socket_timeout=PROBE_TIMEOUT)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:
        return f"unreachable ({type(exc).__name__})"
    return "ok"


def _migrations() -> str:
    try:
        missing = [path.stem for path in migrate.pending(db.obj)]
    except Exception as exc:
        return f"unknown ({type(exc).__name__})"
    return f"pending: {', '.join(missing)}" if missing else "ok"


@bp.get("/metrics")
def metrics():
    token = settings().metrics_token
    if token is None:
        return Response("Not Found\n", 404, mimetype="text/plain")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode("utf-8", "surrogatepass"), token.encode()):
        return Response("Unauthorized\n", 401, {"WWW-Authenticate": 'Bearer realm="metrics"'}, mimetype="text/plain")
    body = observability.exposition(DatabaseCollector())
    return Response(body, 200, NO_STORE, mimetype="text/plain; version=0.0.4; charset=utf-8")
