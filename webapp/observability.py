"""What an operator sees of a running node: the request id, the log format and the request metrics.

- Every request carries an id: the X-Request-ID header when a proxy sent a sane one, else a new
  one; it goes back in the answer's X-Request-ID header, into every log line of the request, and
  into the work items the request records (webapp/work), so that the worker's lines about that work
  carry it too.
- LOG_FORMAT=json writes one JSON object per line (time, level, logger, message, request_id).
- Request latency is a Prometheus histogram per route (the URL rule, never the raw path: one
  series per page, not one per ticket id). Gunicorn runs several processes: with
  PROMETHEUS_MULTIPROC_DIR set (an empty folder per node, cleared at start), prometheus_client
  writes each process's values there and /metrics adds them up; without it /metrics shows the
  process that answers. The figures read from the database (queue, outbox, scans) are computed at
  scrape time and need neither (webapp/ops).
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import secrets
import time

from flask import Flask, g, request
from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest, multiprocess

HEADER = "X-Request-ID"
SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

REQUEST_SECONDS = Histogram(
    "rollcall_http_request_duration_seconds",
    "Time from the start of a request to its answer, per route (URL rule), method and status",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def new_request_id() -> str:
    return secrets.token_hex(12)


def sane_request_id(value: str | None) -> str | None:
    """The given id when it is one a log line can carry as is (8 to 64 letters, digits, . _ : -)."""
    if value and SANE_ID.fullmatch(value):
        return value
    return None


# Logging ------------------------------------------------------------------------------------------


class RequestIdFilter(logging.Filter):
    """Gives every record the id of the request (or work item) it was written for, or "-"."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id.get() or None,
            "process": record.process,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


JsonFormatter.converter = time.gmtime

# The level of the worker's line "work <kind> <ids> runs (recorded by request <id>)": a line per run
# is what a log pipeline reading JSON wants to follow a request; a person reading the text log of
# `make run` does not (the worker stays quiet between the things it has to say).
_work_run_level = logging.DEBUG


def work_run_level() -> int:
    return _work_run_level


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


def configure_logging(log_format: str) -> None:
    """One handler on the root logger, in the chosen format, with the request id on every line.
    Called by every app built in a process: the handler is made once and its format follows the
    last call."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "rollcall", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler.rollcall = True
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    global _work_run_level
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    _work_run_level = logging.INFO if log_format == "json" else logging.DEBUG
    if root.level == logging.WARNING or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


# Requests -----------------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_forget)


def _start() -> None:
    g.request_started = time.perf_counter()
    g.request_id = sane_request_id(request.headers.get(HEADER)) or new_request_id()
    g.request_id_token = request_id.set(g.request_id)


def _finish(response):
    rid = g.get("request_id")
    if rid:
        response.headers[HEADER] = rid
    started = g.get("request_started")
    if started is not None:
        rule = request.url_rule
        route = rule.rule if rule is not None else "<unmatched>"
        _latency(route, request.method, response.status_code).observe(time.perf_counter() - started)
    return response


_series: dict[tuple, object] = {}


def _latency(route: str, method: str, status: int):
    """The histogram's series of (route, method, status), looked up once: `labels` checks and
    locks on every call. Routes are the app's own (an unmatched path is one) and statuses few."""
    key = (route, method, status)
    series = _series.get(key)
    if series is None:
        series = REQUEST_SECONDS.labels(route, method, str(status))
        if len(_series) < 2000:  # methods are the client's word: past that, looked up each time
            _series[key] = series
    return series


def _forget(exc=None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        request_id.reset(token)


# Exposition ---------------------------------------------------------------------------------------


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition(*collectors) -> bytes:
    """The text /metrics answers: this node's process metrics (every process's that shares
    PROMETHEUS_MULTIPROC_DIR, the workers' SMTP failures included, else only the answering
    process's) followed by the given collectors, read at this moment."""
    if multiprocess_dir():
        base = CollectorRegistry()
        multiprocess.MultiProcessCollector(base)
    else:
        base = REGISTRY
    scraped = CollectorRegistry()
    for collector in collectors:
        scraped.register(collector)
    return generate_latest(base) + generate_latest(scraped)


def process_exited(pid: int) -> None:
    """Gunicorn's child_exit: the gauges of an exited process no longer count (multiprocess mode)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)
