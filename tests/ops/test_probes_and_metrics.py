"""/healthz, /readyz, /metrics and the request id, on the app as a load balancer, an orchestrator
and Prometheus reach it."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re

import pytest

import config
from tests.conftest import make_test_app
from tests.factories.accounts import make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_order
from tests.smtp import free_port
from webapp import observability
from webapp.checkin import service as checkin
from webapp.db import db, utcnow
from webapp.mail.models import Outbox
from webapp.orders.models import Registrant
from webapp.work.models import WorkItem

TOKEN = "metrics-token-0123456789"


def _metric(text: str, name: str, **labels) -> float | None:
    """The value of one sample of the exposition `text`, or None when it is not there."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        sample, _, value = line.rpartition(" ")
        if sample.split("{")[0] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', sample))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(value)
    return None


def test_healthz_answers_while_the_database_is_unreachable_and_readyz_says_why(tmp_path):
    app = make_test_app(tmp_path, f"sqlite:///{tmp_path / 'no-such-folder' / 'rollcall.db'}")
    client = app.test_client()

    alive = client.get("/healthz")
    assert (alive.status_code, alive.json) == (200, {"status": "ok"})

    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["status"] == "not ready"
    assert ready.json["checks"]["database"].startswith("unreachable")
    assert ready.json["checks"]["migrations"] == "not checked"


def test_readyz_is_ready_on_a_migrated_database(client):
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.json
    assert ready.json == {"status": "ready", "checks": {"database": "ok", "queue": "not used", "migrations": "ok"}}


def test_readyz_names_a_migration_the_database_lacks(client):
    db.execute_sql("DELETE FROM schema_migration WHERE name = '0650_work_item_request_id'")
    try:
        ready = client.get("/readyz")
    finally:  # on PostgreSQL the ledger outlives the test (only the other tables are emptied)
        db.execute_sql(
            "INSERT INTO schema_migration (name, applied_at) VALUES ('0650_work_item_request_id', CURRENT_TIMESTAMP)"
        )
    assert ready.status_code == 503
    assert ready.json["checks"]["migrations"] == "pending: 0650_work_item_request_id"


def test_readyz_checks_the_redis_queue_when_one_is_configured(database_url, tmp_path):
    down = make_test_app(tmp_path, database_url, ENVIRON={"HUEY_URL": f"redis://127.0.0.1:{free_port()}/0"})
    answer = down.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.json["checks"]["queue"].startswith("unreachable")
    assert answer.json["checks"]["database"] == "ok"

    up = make_test_app(tmp_path, database_url, ENVIRON={"HUEY_URL": "redis://127.0.0.1:6379/0"})
    answer = up.test_client().get("/readyz")
    assert (answer.status_code, answer.json["checks"]["queue"]) == (200, "ok")


def test_metrics_are_hidden_without_a_token_setting_and_refused_with_a_wrong_token(client, database_url, tmp_path):
    assert client.get("/metrics").status_code == 404

    app = make_test_app(tmp_path, database_url, ENVIRON={"METRICS_TOKEN": TOKEN})
    guarded = app.test_client()
    assert guarded.get("/metrics").status_code == 401
    assert guarded.get("/metrics", headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code == 401
    assert guarded.get("/metrics", headers={"Authorization": "Bearer \u00e9\u00e9"}).status_code == 401
    answer = guarded.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain")


def test_metrics_show_latency_per_route_queue_outbox_scans_and_registrations(database_url, tmp_path):
    app = make_test_app(tmp_path, database_url, ENVIRON={"METRICS_TOKEN": TOKEN})
    client = app.test_client()
    with app.app_context():
        db.connect(reuse_if_open=True)
        org = make_org("Metrics Org")
        event = make_event(org, slug="metrics-fest")
        product = make_product(event)
        order = make_order(event, {product: 3})
        secret = Registrant.get(Registrant.order == order).ticket_secret
        checkin.redeem(event, secret)
        checkin.redeem(event, secret)  # the second scan is refused: already in
        WorkItem.create(kind="metrics.probe", payload={}, run_after=utcnow() - dt.timedelta(seconds=90))
        Outbox.create(
            message_id="<lag@rollcall.test>", kind="ticket", to_email="a@example.org", from_email="n@example.org",
            subject="Your ticket", text_body="-", next_attempt_at=utcnow() - dt.timedelta(minutes=5),
        )  # fmt: skip
        db.close()

    client.get(f"/e/{org.slug}/metrics-fest")
    client.get(f"/e/{org.slug}/no-such-event")
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).get_data(as_text=True)

    route = "/e/<org_slug>/<event_slug>"
    assert _metric(text, "rollcall_http_request_duration_seconds_count", route=route, status="200") >= 1
    assert _metric(text, "rollcall_http_request_duration_seconds_count", route=route, status="404") >= 1
    assert "metrics-fest" not in text and "no-such-event" not in text  # routes, never raw paths
    assert _metric(text, "rollcall_work_waiting", kind="metrics.probe") == 1
    assert _metric(text, "rollcall_work_oldest_age_seconds", kind="metrics.probe") >= 90
    assert _metric(text, "rollcall_mail_outbox_lag_seconds") >= 300
    assert _metric(text, "rollcall_scans_total", result="ok") == 1
    refused = {k: v for k, v in re.findall(r'rollcall_scans_total\{result="(\w+)"\} (\S+)', text) if k != "ok"}
    assert [float(v) for v in refused.values()] == [1.0]
    assert _metric(text, "rollcall_registrations_total") == 3


def test_a_sane_request_id_is_kept_and_any_other_replaced(client):
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c21.04"})
    assert kept.headers["X-Request-ID"] == "lb-7f3a9c21.04"

    for insane in ("x", "a b c d e f g h", "<script>alert(1)</script>", "z" * 65, "caf\u00e9-0123456789"):
        answer = client.get("/healthz", headers={"X-Request-ID": insane})
        assert answer.status_code == 200
        assert re.fullmatch(r"[0-9a-f]{24}", answer.headers["X-Request-ID"]), insane

    first, second = client.get("/healthz"), client.get("/healthz")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_json_logs_carry_the_request_id_of_the_request_that_wrote_them(tmp_path):
    lines = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    keep = Keep()
    keep.setFormatter(observability.JsonFormatter())
    keep.addFilter(observability.RequestIdFilter())
    logger = logging.getLogger("rollcall.ops")
    logger.addHandler(keep)
    try:
        broken = make_test_app(tmp_path, f"sqlite:///{tmp_path / 'no-such-folder' / 'rollcall.db'}")
        broken.test_client().get("/readyz", headers={"X-Request-ID": "probe-0123456789"})
    finally:
        logger.removeHandler(keep)
    entry = json.loads(lines[-1])
    assert entry["request_id"] == "probe-0123456789"
    assert entry["level"] == "WARNING" and "not ready" in entry["message"]


@pytest.mark.parametrize("value", ["yaml", "JSONL"])
def test_an_unknown_log_format_stops_start_up(tmp_path, database_url, value):
    with pytest.raises(config.ConfigError, match="LOG_FORMAT"):
        make_test_app(tmp_path, database_url, ENVIRON={"LOG_FORMAT": value})
