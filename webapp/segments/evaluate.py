"""The same trees, evaluated in plain Python over the organization's rows loaded in memory: the
reference the compiled SQL is checked against (webapp.segments.query must agree with it on every
tree). Small organizations only: it reads everything."""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass, field

from webapp.catalog.models import Question
from webapp.checkin.models import Attendance, Checkin
from webapp.contacts.ingest_models import IncomingEvent
from webapp.contacts.models import Contact, ContactLabel
from webapp.db import utcnow
from webapp.events.models import Event
from webapp.mail.models import MailEngagement, Outbox
from webapp.orders.models import Order, Registrant
from webapp.segments.fields import day_start, fold
from webapp.segments.models import Segment
from webapp.segments.query import event_matches


@dataclass
class Snapshot:
    org_id: int
    now: dt.datetime
    contacts: list[Contact] = field(default_factory=list)
    labels: dict[int, set[int]] = field(default_factory=dict)
    events: dict[int, Event] = field(default_factory=dict)
    registrants: list[dict] = field(default_factory=list)
    gates: list[tuple[int, str]] = field(default_factory=list)
    lists: list[tuple[int, int]] = field(default_factory=list)
    tracked: list[IncomingEvent] = field(default_factory=list)
    sent: list[Outbox] = field(default_factory=list)
    engagements: list[tuple[MailEngagement, str | None]] = field(default_factory=list)
    questions: dict[int, Question] = field(default_factory=dict)
    segments: dict[int, dict] = field(default_factory=dict)


def load(org_id: int, now: dt.datetime | None = None) -> Snapshot:
    snap = Snapshot(org_id, now or utcnow())
    snap.contacts = list(Contact.for_org(org_id))
    for contact_id, label_id in ContactLabel.for_org(org_id).select(ContactLabel.contact, ContactLabel.label).tuples():
        snap.labels.setdefault(contact_id, set()).add(label_id)
    snap.events = {e.id: e for e in Event.for_org(org_id)}
    orders = {o.id: o for o in Order.for_org(org_id)}
    for r in Registrant.for_org(org_id).where(Registrant.contact.is_null(False)):
        order = orders[r.order_id]
        snap.registrants.append(
            {
                "contact": r.contact_id,
                "id": r.id,
                "event": r.event_id,
                "product": r.product_id,
                "canceled": r.canceled,
                "checked_in": r.checked_in_at is not None,
                "order_status": order.status,
                "coupon": order.coupon_id,
                "answers": r.answers or {},
                "order_answers": order.answers or {},
            }
        )
    by_registrant = {r["id"]: r["contact"] for r in snap.registrants}
    for c in Checkin.for_org(org_id):
        if c.result == "ok" and c.kind == "entry" and c.undone_at is None and c.registrant_id in by_registrant:
            snap.gates.append((by_registrant[c.registrant_id], c.gate))
    for a in Attendance.for_org(org_id):
        if a.entries > 0 and a.registrant_id in by_registrant:
            snap.lists.append((by_registrant[a.registrant_id], a.checkin_list_id))
    snap.tracked = [e for e in IncomingEvent.for_org(org_id) if e.contact_id is not None]
    outbox = {o.id: o for o in Outbox.select().where(Outbox.organization == org_id)}
    snap.sent = [o for o in outbox.values() if o.state == "sent" and o.contact_id is not None]
    for m in MailEngagement.for_org(org_id):
        if m.contact_id is not None and not m.machine:
            snap.engagements.append((m, outbox[m.outbox_id].send_key))
    snap.questions = {q.id: q for q in Question.for_org(org_id)}
    snap.segments = {s.id: s.tree for s in Segment.for_org(org_id)}
    return snap


def member_ids(snap: Snapshot, tree: dict) -> set[int]:
    return {c.id for c in snap.contacts if holds(snap, tree, c)}


def holds(snap: Snapshot, node: dict, contact: Contact) -> bool:
    if node["type"] == "group":
        results = (holds(snap, child, contact) for child in node["children"])
        value = all(results) if node["join"] == "and" else any(results)
    else:
        value = _CHECKS[node["dimension"]](snap, node, contact)
    return not value if node.get("negate") else value


# Contact fields ---------------------------------------------------------------------------------


def _text(value: str | None, op: str, wanted) -> bool:
    if op == "is_empty":
        return value is None or value == ""
    if value is None:
        return False
    folded = fold(value)
    if op == "any_of":
        return folded in {fold(w) for w in wanted}
    if op == "contains":
        return fold(wanted) in folded
    if op == "starts_with":
        return folded[: len(wanted)] == fold(wanted)
    return folded == fold(wanted)


def _choice(value: str, op: str, wanted) -> bool:
    if op == "is_empty":
        return value == ""
    return value in (wanted if op == "any_of" else [wanted])


def _date(value: dt.datetime | None, op: str, wanted, now: dt.datetime) -> bool:
    if op == "is_empty":
        return value is None
    if value is None:
        return False
    if op == "before":
        return value < day_start(wanted)
    if op == "after":
        return value >= day_start(wanted) + dt.timedelta(days=1)
    return value >= now - dt.timedelta(days=wanted)


def _custom(snap: Snapshot, node: dict, contact: Contact) -> bool:
    custom = contact.custom or {}
    value, op, wanted = custom.get(node["field"]), node["operator"], node.get("value")
    if op == "is_empty":
        return value is None or value == ""
    kind = node["field_type"]
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return {"equals": value == wanted, "at_least": value >= wanted, "at_most": value <= wanted}[op]
    if kind == "boolean":
        return isinstance(value, bool) and value == wanted
    if not isinstance(value, str):
        return False
    if kind == "date":
        if op == "before":
            return value < wanted
        if op == "after":
            return value >= (dt.date.fromisoformat(wanted) + dt.timedelta(days=1)).isoformat()
        return value >= (snap.now - dt.timedelta(days=wanted)).date().isoformat()
    return _text(value, op, wanted)


def _labels(snap: Snapshot, node: dict, contact: Contact) -> bool:
    have, wanted = snap.labels.get(contact.id, set()), set(node["value"])
    if node["operator"] == "all_of":
        return wanted <= have
    if node["operator"] == "none_of":
        return not wanted & have
    return bool(wanted & have)


# Participation ---------------------------------------------------------------------------------


def _regs(snap: Snapshot, node: dict, contact: Contact, *, admitted: bool = False) -> list[dict]:
    rows = [r for r in snap.registrants if r["contact"] == contact.id]
    if "event_id" in node:
        rows = [r for r in rows if r["event"] == node["event_id"]]
    elif any(key in node for key in ("event_tag", "event_from", "event_to")):
        rows = [r for r in rows if event_matches(node, snap.events[r["event"]].tags, snap.events[r["event"]].starts_at)]
    if admitted:
        rows = [r for r in rows if not r["canceled"] and r["order_status"] == "paid"]
    return rows


def _counted(node: dict, rows: list[dict]) -> bool:
    events = len({r["event"] for r in rows})
    op = node["operator"]
    if op == "exists":
        return events > 0
    if op == "at_least":
        return events >= node["value"]
    return events <= node["value"]


def _answer(snap: Snapshot, node: dict, contact: Contact) -> bool:
    question = snap.questions.get(node["question_id"])
    if question is None:
        return False
    key = str(question.id)
    answers = [
        (r["answers"] if question.per_attendee else r["order_answers"]).get(key)
        for r in _regs(snap, {"event_id": question.event_id}, contact)
    ]
    answer_type = node.get("answer_type", "text")
    if answer_type == "boolean":
        return any(isinstance(a, bool) and a == node["value"] for a in answers)
    if answer_type == "number":
        numbers = [a for a in answers if isinstance(a, int | float) and not isinstance(a, bool)]
        compare = {"equals": operator.eq, "at_least": operator.ge, "at_most": operator.le}[node["operator"]]
        return any(compare(a, node["value"]) for a in numbers)
    wanted = set(node["value"] if node["operator"] == "any_of" else [node["value"]])
    for answer in answers:
        if isinstance(answer, str) and answer in wanted:
            return True
        if isinstance(answer, list) and any(isinstance(a, str) and a in wanted for a in answer):
            return True
    return False


def _no_show(snap: Snapshot, node: dict, contact: Contact) -> bool:
    return any(
        not r["checked_in"] and snap.events[r["event"]].ends_at < snap.now
        for r in _regs(snap, node, contact, admitted=True)
    )


# Tracked events, segments, mail -----------------------------------------------------------------


def _tracked(snap: Snapshot, node: dict, contact: Contact) -> bool:
    since = snap.now - dt.timedelta(days=node["days"]) if "days" in node else None
    times = 0
    for e in snap.tracked:
        if e.contact_id != contact.id or e.type != node["event_type"]:
            continue
        if since is not None and e.occurred_at < since:
            continue
        if "property" in node:
            value = (e.properties or {}).get(node["property"])
            if "property_value" in node:
                if not (isinstance(value, str) and value == node["property_value"]):
                    continue
            elif value is None:
                continue
        times += 1
    return times == 0 if node["operator"] == "never" else times >= node["value"]


def _segment(snap: Snapshot, node: dict, contact: Contact) -> bool:
    tree = snap.segments.get(node["value"])
    return tree is not None and holds(snap, tree, contact)


def _mail(snap: Snapshot, node: dict, contact: Contact) -> bool:
    since = snap.now - dt.timedelta(days=node["days"]) if "days" in node else None
    key = node.get("send_key")
    if node["dimension"] == "mail_received":
        return any(
            o.contact_id == contact.id
            and (key is None or o.send_key == key)
            and (since is None or (o.sent_at is not None and o.sent_at >= since))
            for o in snap.sent
        )
    kind = "open" if node["dimension"] == "mail_opened" else "click"
    return any(
        m.contact_id == contact.id
        and m.kind == kind
        and (key is None or send_key == key)
        and (since is None or m.occurred_at >= since)
        for m, send_key in snap.engagements
    )


_CHECKS = {
    "email": lambda s, n, c: _text(c.email, n["operator"], n.get("value")),
    "email_domain": lambda s, n, c: (
        c.email[c.email.find("@") + 1 :] in (n["value"] if n["operator"] == "any_of" else [n["value"]])
    ),
    "name": lambda s, n, c: _text(c.name, n["operator"], n.get("value")),
    "status": lambda s, n, c: _choice(c.status, n["operator"], n.get("value")),
    "source": lambda s, n, c: _choice(c.source, n["operator"], n.get("value")),
    "stage": lambda s, n, c: _choice(c.stage, n["operator"], n.get("value")),
    "created": lambda s, n, c: _date(c.created_at, n["operator"], n.get("value"), s.now),
    "subscribed": lambda s, n, c: _date(c.subscribed_at, n["operator"], n.get("value"), s.now),
    "custom_field": _custom,
    "labels": _labels,
    "registered": lambda s, n, c: _counted(n, _regs(s, n, c, admitted=True)),
    "product": lambda s, n, c: any(r["product"] in n["value"] for r in _regs(s, n, c, admitted=True)),
    "order_status": lambda s, n, c: any(r["order_status"] in n["value"] for r in _regs(s, n, c)),
    "coupon": lambda s, n, c: any(
        r["coupon"] is not None and (n["operator"] == "exists" or r["coupon"] in n["value"]) for r in _regs(s, n, c)
    ),
    "attended": lambda s, n, c: _counted(n, [r for r in _regs(s, n, c) if r["checked_in"]]),
    "no_show": _no_show,
    "checkin_gate": lambda s, n, c: any(cid == c.id and gate in n["value"] for cid, gate in s.gates),
    "checkin_list": lambda s, n, c: any(cid == c.id and lid in n["value"] for cid, lid in s.lists),
    "answer": _answer,
    "tracked": _tracked,
    "segment": _segment,
    "mail_received": _mail,
    "mail_opened": _mail,
    "mail_clicked": _mail,
}
