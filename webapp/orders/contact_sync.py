"""Registrants into the Contact Book, in batches (the orders domain feeds the Contact Book below it).

One chunk of registrants is one transaction: their contacts are found or bulk-inserted (the unique
(organization, email) index settles races: a lost insert is ignored and the row re-read), mapped
answers merged in, each registrant linked to its contact, the "registered" and "paid" activities
bulk-inserted under once-only keys, the event's labels added, and the organization's automatic
labels ("registered", "paid", "repeat buyer": webapp/contacts/funnel.py) added, whose stage rules
move the contact. Re-running a sync changes nothing.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import peewee as pw

from webapp import work
from webapp.accounts import audit
from webapp.catalog.models import Question
from webapp.contacts import batch as contact_batch
from webapp.contacts import bulk, funnel, rules
from webapp.contacts.models import Contact, EventLabel, Label
from webapp.contacts.service import ContactError, get_or_create_label, record_activity
from webapp.db import db, is_postgres, utcnow, write_transaction
from webapp.events.models import Event
from webapp.i18n import StoredText, _, stored_text
from webapp.money import format_money
from webapp.orders.models import Order, Registrant

log = logging.getLogger("rollcall.contacts")

CHUNK = contact_batch.CHUNK  # registrants per transaction
LABEL_EVENT_REGISTRANTS = "orders.label_event_registrants"  # work: {"event_id", "label_id"}, bulk
ORDER_END_KINDS = {"canceled": "order_canceled", "expired": "order_expired", "refunded": "order_refunded"}


@dataclass
class _Plan:
    """What one email's registrants of a chunk bring to its contact."""

    incoming: dict[str, Any] = field(default_factory=dict)
    registrants: list[SimpleNamespace] = field(default_factory=list)
    paid: bool = False  # a paid order with a total above zero: the "paid" label
    last_activity: Any = None


def sync_registrants(ids: Iterable[int]) -> int:
    """Sync these registrants (any number; done in chunks). Returns how many got a contact."""
    ordered = sorted({int(i) for i in ids})
    linked = 0
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        with write_transaction():
            linked += _sync(_load(Registrant.id.in_(chunk)))
    return linked


def sync_registrant(registrant_id: int) -> Contact | None:
    """Sync one registrant; returns its contact (None when its email is not usable)."""
    sync_registrants([registrant_id])
    contact_id = Registrant.select(Registrant.contact).where(Registrant.id == registrant_id).scalar()
    return Contact.get_by_id(contact_id) if contact_id else None


def pending(org_id: int | None = None) -> pw.Select:
    """Registrants that have no contact yet."""
    query = Registrant.select(Registrant.id).where(Registrant.contact.is_null() & Registrant.email.contains("@"))
    # "+ 0" keeps the planner on the contact_id index: the registrants without a contact are few,
    # an organization's registrants are many (its index would scan them all on every call).
    return query.where((Registrant.organization + 0) == org_id) if org_id is not None else query


def sync_pending(org_id: int | None = None, *, limit: int | None = None) -> int:
    """Sync every registrant still without a contact, a chunk per transaction, oldest first.
    Several workers may run it at once: on PostgreSQL each takes rows the others have not locked;
    on SQLite the write transactions take turns and each re-reads what is left."""
    done, after = 0, 0
    while limit is None or done < limit:
        if not pending(org_id).where((Registrant.id + 0) > after).exists():
            break  # a plain read: no write lock taken when there is nothing to do
        with write_transaction():
            query = pending(org_id).where((Registrant.id + 0) > after).order_by(Registrant.id).limit(CHUNK)
            if is_postgres():
                query = query.for_update(skip_locked=True)
            ids = [row.id for row in query]
            if not ids:
                break
            _sync(_load(Registrant.id.in_(ids)))
        after = ids[-1]  # unusable emails stay behind instead of being picked again
        done += len(ids)
    return done


def _load(where) -> list[SimpleNamespace]:
    """The registrants with what the sync needs of their order and event, as light rows (model
    instances with joined models cost more to build than the whole sync of a chunk)."""
    query = (
        Registrant.select(
            Registrant.id,
            Registrant.organization,
            Registrant.event,
            Registrant.contact,
            Registrant.name,
            Registrant.email,
            Registrant.answers,
            Registrant.created_at,
            Order.id,
            Order.code,
            Order.status,
            Order.total,
            Order.currency,
            Order.paid_at,
            Order.buyer_email,
            Order.answers,
            Event.name,
        )
        .join(Order, on=(Registrant.order == Order.id))
        .switch(Registrant)
        .join(Event, on=(Registrant.event == Event.id))
        .where(where)
        .order_by(Registrant.id)
        .tuples()
    )
    rows = []
    for rid, org_id, event_id, contact_id, name, email, answers, created_at, *order, event_name in query:
        order_id, code, status, total, currency, paid_at, buyer_email, order_answers = order
        rows.append(
            SimpleNamespace(
                id=rid,
                organization_id=org_id,
                event_id=event_id,
                contact_id=contact_id,
                name=name,
                email=email,
                answers=answers,
                created_at=created_at,
                order=SimpleNamespace(
                    id=order_id,
                    code=code,
                    status=status,
                    total=total,
                    currency=currency,
                    paid_at=paid_at,
                    buyer_email=buyer_email,
                    answers=order_answers,
                ),
                event=SimpleNamespace(id=event_id, name=event_name),
            )
        )
    return rows


def _sync(registrants: list[SimpleNamespace]) -> int:
    by_org: dict[int, list[SimpleNamespace]] = {}
    for registrant in registrants:
        by_org.setdefault(registrant.organization_id, []).append(registrant)
    return sum(_sync_org(org_id, regs) for org_id, regs in by_org.items())


def _is_purchase(order) -> bool:
    return order.status == "paid" and (order.total or 0) > 0


def _contact_questions(event_ids: set[int]) -> dict[int, dict[str, str]]:
    """{event id: {question id: contact field}} for the questions mapped to a contact field."""
    out: dict[int, dict[str, str]] = {}
    query = Question.select(Question.id, Question.event, Question.contact_field).where(
        Question.event.in_(list(event_ids)) & Question.contact_field.is_null(False) & (Question.contact_field != "")
    )
    for q in query:
        out.setdefault(q.event_id, {})[str(q.id)] = q.contact_field
    return out


def registrant_fields(registrant: SimpleNamespace, mapped: dict[str, str]) -> dict[str, Any]:
    """The contact data a registrant carries: name plus answers mapped by Question.contact_field
    ("phone", "company", "custom:<key>"). Per-order answers count for the buyer's own ticket."""
    answers = dict(registrant.answers or {})
    order = registrant.order
    if rules.normalize_email(order.buyer_email) == rules.normalize_email(registrant.email):
        answers = {**(order.answers or {}), **answers}
    values: dict[str, Any] = {"custom": {}}
    for question_id, target in mapped.items():
        text = rules.answer_text(answers.get(question_id))
        if not text:
            continue
        if target in ("phone", "company", "name"):
            values[target] = text
        elif target.startswith("custom:") and target[7:].strip():
            values["custom"][target[7:].strip()] = text
    values.setdefault("name", registrant.name)
    return rules.incoming_fields(**values)


def _sync_org(org_id: int, registrants: list[SimpleNamespace]) -> int:
    questions = _contact_questions({r.event_id for r in registrants})
    plans: dict[str, _Plan] = {}
    for r in registrants:
        email = rules.normalize_email(r.email)
        if not email:
            log.warning("registrant %s has no usable email (%r): not synced", r.id, r.email)
            continue
        plan = plans.setdefault(email, _Plan())
        rules.merge_into(plan.incoming, registrant_fields(r, questions.get(r.event_id, {})))
        plan.registrants.append(r)
        purchase = _is_purchase(r.order)
        plan.paid = plan.paid or purchase
        plan.last_activity = rules.later(plan.last_activity, r.created_at)
        plan.last_activity = rules.later(plan.last_activity, r.order.paid_at if purchase else None)
    if not plans:
        return 0

    batch = contact_batch.Batch(org_id)
    by_email = _ensure_contacts(org_id, plans, batch)
    links: list[tuple[int, int]] = []
    for email, plan in plans.items():
        contact = by_email[email]
        if contact.id not in batch.created:
            if rules.merge(contact, plan.incoming):
                batch.dirty.add(contact.id)
            last = rules.later(contact.last_activity_at, plan.last_activity)
            if last != contact.last_activity_at:
                contact.last_activity_at = last
                batch.dirty.add(contact.id)
        for r in plan.registrants:
            if r.contact_id != contact.id:
                links.append((r.id, contact.id))
            batch.activities.extend(_registration_activities(org_id, r, contact))
    bulk.link_registrants(links)
    pairs = _event_label_pairs(org_id, [(by_email[e].id, r.event_id) for e, p in plans.items() for r in p.registrants])
    contact_batch.apply_labels(batch, pairs)
    contact_batch.apply_labels(batch, _auto_label_pairs(org_id, plans, by_email), raising=True)
    contact_batch.finish(batch)
    return sum(len(p.registrants) for p in plans.values())


def _ensure_contacts(org_id: int, plans: dict[str, _Plan], batch: contact_batch.Batch) -> dict[str, Contact]:
    emails = list(plans)
    found = {c.email: c for c in Contact.select().where((Contact.organization == org_id) & Contact.email.in_(emails))}
    missing = [e for e in emails if e not in found]
    if missing:
        now = utcnow()
        rows, tokens = [], {}
        for email in missing:
            plan = plans[email]
            rows.append(
                {
                    "organization": org_id,
                    "email": email,
                    "name": plan.incoming.get("name", ""),
                    "phone": plan.incoming.get("phone", ""),
                    "company": plan.incoming.get("company", ""),
                    "custom": plan.incoming.get("custom", {}),
                    "user_id": None,
                    "status": "active",
                    "subscribed_at": now,
                    "source": "registration",
                    "stage": "aware",  # the automatic labels' rules move it on (timeline and webhook)
                    "stage_source": "default",
                    "unsubscribe_token": tokens.setdefault(email, rules.new_unsubscribe_token()),
                    "created_at": now,
                    "updated_at": now,
                    "last_activity_at": plan.last_activity,
                }
            )
        # A concurrent sync may insert the same email first: ignore ours, merge into theirs below.
        bulk.insert_ignore(Contact, rows)
        inserted = Contact.select().where((Contact.organization == org_id) & Contact.email.in_(missing))
        for contact in inserted:
            found[contact.email] = contact
            if contact.unsubscribe_token == tokens[contact.email]:  # ours, not a concurrent sync's
                batch.created.add(contact.id)
    for contact in found.values():
        batch.contacts[contact.id] = contact
    return found


@functools.lru_cache(maxsize=256)
def _money(amount: int, currency: str) -> str:
    return format_money(amount, currency)


def _registration_activities(org_id: int, r: SimpleNamespace, contact: Contact) -> list[dict]:
    order, event = r.order, r.event
    rows = [
        contact_batch.activity(
            org_id,
            contact.id,
            "registered",
            occurred_at=r.created_at,
            event=event.id,
            registrant_id=r.id,
            summary=stored_text("Registered for %(event)s (order %(code)s)", event=event.name, code=order.code),
            data={"order": order.code},
            dedupe_key=f"registered:{r.id}:{contact.id}",
        )
    ]
    if _is_purchase(order):
        rows.append(
            contact_batch.activity(
                org_id,
                contact.id,
                "paid",
                occurred_at=order.paid_at,
                event=event.id,
                registrant_id=r.id,
                summary=stored_text(
                    "Paid %(amount)s for %(event)s (order %(code)s)",
                    amount=_money(order.total, order.currency),
                    event=event.name,
                    code=order.code,
                ),
                data={"order": order.code, "total": order.total, "currency": order.currency},
                dedupe_key=f"paid:{order.id}:{contact.id}",
            )
        )
    return rows


def _auto_label_pairs(org_id: int, plans: dict[str, _Plan], by_email: dict[str, Contact]) -> set[tuple[int, int]]:
    """(contact id, label id) of the automatic labels the registrations earn: "registered",
    "paid" for a paid order, "repeat buyer" for paid orders of two events or more."""
    auto = funnel.auto_labels(org_id)
    pairs: set[tuple[int, int]] = set()
    for email, plan in plans.items():
        contact_id = by_email[email].id
        if "registered" in auto:
            pairs.add((contact_id, auto["registered"].id))
        if plan.paid and "paid" in auto:
            pairs.add((contact_id, auto["paid"].id))
    if "repeat_buyer" in auto:
        customers = [by_email[e].id for e, p in plans.items() if p.paid]
        pairs.update((contact_id, auto["repeat_buyer"].id) for contact_id in _repeat_buyers(customers))
    return pairs


def _repeat_buyers(ids: list[int]) -> list[int]:
    """Those of these contacts with paid registrations for two or more events."""
    if not ids:
        return []
    events = pw.fn.COUNT(pw.fn.DISTINCT(Registrant.event))
    query = (
        Registrant.select(Registrant.contact)
        .join(Order, on=(Registrant.order == Order.id))
        .where(Registrant.contact.in_(ids) & (Order.status == "paid") & (Order.total > 0))
        .group_by(Registrant.contact)
        .having(events >= 2)
    )
    return [row.contact_id for row in query]


def _event_label_pairs(org_id: int, contact_events: list[tuple[int, int]]) -> set[tuple[int, int]]:
    event_ids = {event_id for _, event_id in contact_events}
    labels: dict[int, list[int]] = {}
    for row in EventLabel.select(EventLabel.event, EventLabel.label).where(EventLabel.event.in_(list(event_ids))):
        labels.setdefault(row.event_id, []).append(row.label_id)
    return {(cid, lid) for cid, eid in contact_events for lid in labels.get(eid, ())}


# Timeline entries of ends, event labels, event participation ------------------------------------


def contact_of(registrant: Registrant) -> Contact | None:
    if registrant.contact_id is None:
        return sync_registrant(registrant.id)
    return Contact.get_or_none(Contact.id == registrant.contact_id)


def record_order_end(order_id: int) -> int:
    """A canceled, expired, declined or refunded order on the timeline of each of its people."""
    order = Order.get_or_none(Order.id == order_id)
    if order is None:
        return 0
    if order.approval == "declined":
        kind, when = "order_declined", order.canceled_at or order.updated_at
    else:
        kind = ORDER_END_KINDS.get(order.status)
        when = order.refunded_at if order.status == "refunded" else order.canceled_at
    if kind is None:
        return 0  # the order is live again (e.g. an expired order paid late): nothing ended
    registrants = list(Registrant.select().where(Registrant.order == order.id))
    unsynced = [r.id for r in registrants if r.contact_id is None]
    if unsynced:
        sync_registrants(unsynced)
        registrants = list(Registrant.select().where(Registrant.order == order.id))
    recorded = 0
    seen: set[int] = set()
    for registrant in registrants:
        if registrant.contact_id is None or registrant.contact_id in seen:
            continue
        seen.add(registrant.contact_id)
        contact = Contact.get_by_id(registrant.contact_id)
        activity = record_activity(
            contact,
            kind,
            occurred_at=when or utcnow(),
            event=order.event_id,
            registrant_id=registrant.id,
            summary=_order_end_summary(kind, order.code, order.event.name),
            data={"order": order.code, "status": order.status},
            dedupe_key=f"{kind}:{order.id}:{contact.id}",
        )
        recorded += activity is not None
    return recorded


def _order_end_summary(kind: str, code: str, event: str) -> StoredText:
    if kind == "order_canceled":
        return stored_text("Order %(code)s canceled (%(event)s)", code=code, event=event)
    if kind == "order_expired":
        return stored_text("Order %(code)s expired (%(event)s)", code=code, event=event)
    if kind == "order_refunded":
        return stored_text("Order %(code)s refunded (%(event)s)", code=code, event=event)
    return stored_text("Order %(code)s declined (%(event)s)", code=code, event=event)


def add_event_label(event: Event, name: str, *, actor=None) -> EventLabel:
    """From now on the event labels its registrants' contacts; the ones it has are labelled by a
    task after the commit."""
    with db.atomic():
        label = get_or_create_label(event.organization_id, name)
        existing = EventLabel.get_or_none((EventLabel.event == event.id) & (EventLabel.label == label.id))
        if existing is not None:
            raise ContactError(_("%(event)s already adds %(label)s.", event=event.name, label=label.name), "name")
        event_label = EventLabel.create(organization=event.organization_id, event=event.id, label=label.id)
        audit.record(
            event.organization_id,
            "event.label_add",
            user=actor,
            target=event,
            summary=stored_text("%(event)s: +%(label)s", event=event.name, label=label.name),
        )
        work.record(LABEL_EVENT_REGISTRANTS, {"event_id": event.id, "label_id": label.id}, priority=work.BULK)
    return event_label


def label_event_registrants(event_id: int, label_id: int) -> int:
    """Add the label to the contacts of the event's registrants (the ones synced already; the rest
    get it when they sync). Returns how many contacts newly got it."""
    event = Event.get_or_none(Event.id == event_id)
    if event is None or not Label.select().where(Label.id == label_id).exists():
        return 0
    done, after = 0, 0
    while True:
        with write_transaction():
            ids = [
                row.contact_id
                for row in Registrant.select(Registrant.contact)
                .where(
                    (Registrant.event == event.id) & Registrant.contact.is_null(False) & (Registrant.contact > after)
                )
                .distinct()
                .order_by(Registrant.contact)
                .limit(CHUNK)
            ]
            if not ids:
                break
            contacts = list(Contact.select().where(Contact.id.in_(ids)))
            batch = contact_batch.new_batch(event.organization_id, contacts)
            before = len(batch.dirty)
            contact_batch.apply_labels(batch, {(cid, label_id) for cid in ids})
            done += len(batch.dirty) - before
            contact_batch.finish(batch)
        after = ids[-1]
    return done


def contacts_of_event(event: Event, participation: str) -> pw.Select:
    """Contact ids of the event's registrants: all of them, those who attended (checked in), or
    the no-shows (the event ended; not canceled, paid, never checked in — and no other ticket of
    theirs was used)."""
    base = Registrant.select(Registrant.contact).where(
        (Registrant.event == event.id) & Registrant.contact.is_null(False)
    )
    if participation == "attended":
        return base.where(Registrant.checked_in_at.is_null(False))
    if participation == "no_show":
        if event.ends_at is None or event.ends_at > utcnow():
            return base.where(pw.SQL("1 = 0"))  # nobody is a no-show before the event ends
        attended = Registrant.select(Registrant.contact).where(
            (Registrant.event == event.id) & Registrant.checked_in_at.is_null(False) & Registrant.contact.is_null(False)
        )
        return base.join(Order, on=(Registrant.order == Order.id)).where(
            (Registrant.canceled == False)  # noqa: E712
            & (Order.status == "paid")
            & Registrant.checked_in_at.is_null()
            & Registrant.contact.not_in(attended)
        )
    return base
