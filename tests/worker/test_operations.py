"""Operations on the processes production runs: JSON logs whose request id follows work into the
worker, metrics added up over gunicorn's processes and the worker, and a worker stopped with
SIGTERM (what systemd, Docker and honcho send) in the middle of sending an email.

A tier of its own (not the session's): these tests stop its worker, and it runs with JSON logs,
two web processes, a shared metrics folder and an SMTP server that answers slowly when told to."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import threading
import time

import pytest
import requests

from tests.smtp import Inbox, serving
from tests.worker.conftest import Process, Tier, running, tier_database_url, wait_until
from webapp.db import make_database

pytestmark = pytest.mark.worker
TOKEN = "ops-metrics-token-0123456789"


class SlowInbox(Inbox):
    """An SMTP server that, while `delay` is set, takes that long to accept a message, and says
    when the message whose subject is `watch` has started arriving."""

    def __init__(self):
        super().__init__()
        self.delay = 0.0
        self.watch = ""
        self.arriving = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.watch and f"Subject: {self.watch}".encode() in envelope.content:
            self.arriving.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)

    def subjects(self) -> list[str]:
        return [m["Subject"] for m in self.messages]


@pytest.fixture(scope="module")
def ops_database(tmp_path_factory):
    with tier_database_url(tmp_path_factory, "ops") as url:
        yield url


@pytest.fixture(scope="module")
def ops(tmp_path_factory, ops_database, tier_receiver):
    tmp = tmp_path_factory.mktemp("ops-tier")
    (tmp / "metrics").mkdir()
    probe = """
        from tests.factories.accounts import make_org
        from tests.factories.api import make_api_key
        org = make_org("Ops Org")
        out["token"] = make_api_key(org)[1]
        out["org"] = org.id
        """
    with serving(SlowInbox()) as inbox:
        tier = Tier(tmp, ops_database, f"sqlite:///{tmp / 'huey.db'}", inbox, tier_receiver)
        tier.env.update(
            LOG_FORMAT="json", METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=str(tmp / "metrics"), WEB_CONCURRENCY="2"
        )
        with running(tier, probe):
            yield tier


def _json_lines(process: Process) -> list[dict]:
    entries = []
    for line in process.log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                entries.append(json.loads(line))
            except ValueError:
                pass
    return entries


def _queue_email(tier: Tier, subject: str) -> int:
    return tier.seed(
        f"""
        from webapp.mail import service
        with db.atomic():
            row = service.queue_email(kind="notice", to_email="ops@example.org", subject={subject!r}, text_body="-")
        out["id"] = row.id
        """
    )["id"]


def _scalar(tier: Tier, sql: str, *params):
    """One value read straight from the tier's database (quicker than a seeding subprocess)."""
    database = make_database(tier.env["DATABASE_URL"])
    try:
        with database.connection_context():
            return database.execute_sql(sql, params).fetchone()[0]
    finally:
        if hasattr(database, "close_all"):
            database.close_all()


def _leased_items(tier: Tier) -> int:
    return _scalar(tier, "SELECT COUNT(*) FROM work_item WHERE lease IS NOT NULL")


def _outbox_state(tier: Tier, message_id: int) -> str:
    placeholder = "%s" if tier.env["DATABASE_URL"].startswith("postgres") else "?"
    return _scalar(tier, f"SELECT state FROM outbox WHERE id = {placeholder}", message_id)


def _metrics(tier: Tier) -> str:
    answer = requests.get(f"{tier.base_url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.text


def test_the_request_id_of_an_api_call_is_on_the_worker_log_line_of_the_work_it_recorded(ops):
    api = ops.api(ops.probe["token"])
    sent = api.post(
        "/client/events", json={"type": "signup", "email": "traced@ops.test"}, headers={"X-Request-ID": "trace-ops-42a"}
    )
    assert sent.status_code == 202, sent.text
    assert sent.headers["X-Request-ID"] == "trace-ops-42a"

    def traced():
        return [e for e in _json_lines(ops.worker) if e.get("request_id") == "trace-ops-42a"]

    lines = wait_until(traced, timeout=30, what=f"a worker log line with the request id\n{ops.worker.tail()}")
    assert any("runs (recorded by request trace-ops-42a)" in e["message"] for e in lines)
    assert all(e["logger"] and e["level"] and e["time"] for e in lines)


def test_metrics_add_up_every_web_process_and_the_workers_smtp_failures(ops):
    before = _metrics(ops)
    count = 12
    for _ in range(count):
        assert requests.get(f"{ops.base_url}/healthz", timeout=10).status_code == 200

    def healthz_count(text):
        total = 0.0
        for line in text.splitlines():
            if line.startswith("rollcall_http_request_duration_seconds_count{") and 'route="/healthz"' in line:
                total += float(line.rsplit(" ", 1)[1])
        return total

    assert healthz_count(_metrics(ops)) - healthz_count(before) == count

    ops.inbox.fail_next = 1  # the SMTP server answers 451 once: the worker retries later
    _queue_email(ops, "Retried once")
    wait_until(
        lambda: 'rollcall_smtp_failures_total{outcome="retried"} 1.0' in _metrics(ops),
        timeout=30,
        what="the worker's SMTP failure in the web's /metrics",
    )


def test_sigterm_lets_the_worker_finish_the_email_it_is_sending_and_keeps_nothing_leased(ops):
    ops.inbox.delay, ops.inbox.watch = 3.0, "Sent during shutdown"
    ops.inbox.arriving.clear()
    try:
        message_id = _queue_email(ops, "Sent during shutdown")
        assert ops.inbox.arriving.wait(30), ops.worker.tail()
        ops.worker.proc.send_signal(signal.SIGTERM)
        assert ops.worker.proc.wait(30) == 0, ops.worker.tail()
    finally:
        ops.inbox.delay = 0.0

    assert ops.inbox.subjects().count("Sent during shutdown") == 1
    assert _outbox_state(ops, message_id) == "sent"
    assert _leased_items(ops) == 0
    ops.start_worker()


def test_a_worker_stopped_past_its_shutdown_timeout_gives_its_leases_back(ops):
    argv = list(ops.worker.argv)
    argv[argv.index("--shutdown-timeout") + 1] = "1"
    hurried = Process("huey_consumer (1 s shutdown)", argv, ops.env, ops.tmp / "huey_consumer_hurried.log")
    ops.worker.stop()
    ops.worker = hurried
    ops.start_worker()

    ops.inbox.delay, ops.inbox.watch = 15.0, "Interrupted by shutdown"
    ops.inbox.arriving.clear()
    try:
        _queue_email(ops, "Interrupted by shutdown")
        assert ops.inbox.arriving.wait(30), ops.worker.tail()
        assert _leased_items(ops) >= 1, ops.worker.tail()  # the item in hand
        stopped_at = time.monotonic()
        ops.worker.proc.send_signal(signal.SIGTERM)
        ops.worker.proc.wait(30)
        assert time.monotonic() - stopped_at < 5  # the timeout, not the email, decided
    finally:
        ops.inbox.delay = 0.0

    assert "Shutdown timeout of 1.0s elapsed" in ops.worker.log.read_text(), ops.worker.log.read_text()[-3000:]
    assert _leased_items(ops) == 0  # ready again now, not when the lease would have lapsed
    assert re.search(r"gave back [1-9]\d* work item\(s\)", ops.worker.log.read_text())
