"""The figures /metrics reads from the database at scrape time: the same on every node, whichever
process answers, so they need no sharing between processes. Counters are the totals kept in the
tables (Prometheus' rate() gives scans and registrations per second)."""

from __future__ import annotations

import peewee as pw
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from webapp import work
from webapp.checkin.models import Checkin
from webapp.db import utcnow
from webapp.mail.models import OUTBOX_STATES, Outbox
from webapp.orders.models import Registrant


class DatabaseCollector:
    """A prometheus_client collector; `collect` runs once per scrape, in the request."""

    def collect(self):
        yield from _queue()
        yield from _outbox()
        yield from _totals()

    def describe(self):
        return []  # collected at scrape time only: nothing to check at registration


def _queue():
    waiting = GaugeMetricFamily("rollcall_work_waiting", "Work items ready to run, per kind", labels=["kind"])
    age = GaugeMetricFamily(
        "rollcall_work_oldest_age_seconds", "How long the oldest ready work item has waited, per kind", labels=["kind"]
    )
    dead = GaugeMetricFamily("rollcall_work_dead", "Dead-lettered work items, per kind", labels=["kind"])
    for row in work.backlog():
        waiting.add_metric([row["kind"]], row["waiting"])
        age.add_metric([row["kind"]], row["oldest_age"] or 0.0)
        dead.add_metric([row["kind"]], row["dead"])
    return waiting, age, dead


def _outbox():
    now = utcnow()
    counts = dict(Outbox.select(Outbox.state, pw.fn.COUNT(Outbox.id)).group_by(Outbox.state).tuples())
    rows = GaugeMetricFamily("rollcall_mail_outbox", "Outbox messages per state", labels=["state"])
    for state in OUTBOX_STATES:
        rows.add_metric([state], counts.get(state, 0))
    oldest_due = (
        Outbox.select(pw.fn.MIN(Outbox.next_attempt_at))
        .where((Outbox.state == "queued") & (Outbox.next_attempt_at <= now))
        .scalar()
    )
    lag = GaugeMetricFamily(
        "rollcall_mail_outbox_lag_seconds", "How long the oldest message due to be sent has waited (0: none waits)"
    )
    lag.add_metric([], (now - oldest_due).total_seconds() if oldest_due else 0.0)
    return rows, lag


def _totals():
    scans = CounterMetricFamily("rollcall_scans", "Ticket scans at the door, per answer", labels=["result"])
    for result, count in Checkin.select(Checkin.result, pw.fn.COUNT(Checkin.id)).group_by(Checkin.result).tuples():
        scans.add_metric([result], count)
    registrations = CounterMetricFamily("rollcall_registrations", "Registrants (tickets) ever created")
    registrations.add_metric([], Registrant.select().count())
    return scans, registrations
