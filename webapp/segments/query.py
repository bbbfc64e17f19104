"""Segment trees compiled to SQL: peewee expressions over Contact, with `contact.id IN (subquery)`
for what lives in other tables. Every value is a query parameter (nothing a user types becomes SQL
text), every table is scoped to the organization, and every condition is true or false, never
NULL, so negating it gives exactly the other contacts.

Trees are expected normalized by `tree.validate`; a segment a tree names is compiled in place (its
tree as stored now), so membership is always evaluated when asked.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from typing import NamedTuple

import peewee as pw

from webapp.catalog.models import Question
from webapp.checkin.models import Attendance, Checkin
from webapp.contacts.ingest_models import IncomingEvent
from webapp.contacts.models import Contact, ContactLabel
from webapp.db import utcnow
from webapp.events.models import Event
from webapp.i18n import _
from webapp.orders.models import Order, Registrant
from webapp.segments import fields as F
from webapp.segments.models import Segment
from webapp.segments.tree import TreeError

TRUE, FALSE = pw.SQL("1 = 1"), pw.SQL("1 = 0")


class Page(NamedTuple):
    contacts: list[Contact]
    next_after_id: int | None  # give it as after_id for the next page; None: this is the last


class _Context:
    def __init__(self, org_id: int, now: dt.datetime | None):
        self.org_id = org_id
        self.now = now or utcnow()
        self.segments: list[int] = []  # the segments being compiled, outermost first


def condition(org_id: int, tree: dict, *, now: dt.datetime | None = None) -> pw.Node:
    """The tree as one expression over Contact (without the organization scope of Contact itself)."""
    return _node(_Context(org_id, now), tree)


def members(org_id: int, tree: dict, *, now: dt.datetime | None = None) -> pw.Select:
    """The organization's contacts the tree holds."""
    return Contact.select().where((Contact.organization == org_id) & condition(org_id, tree, now=now))


def count(org_id: int, tree: dict, *, now: dt.datetime | None = None) -> int:
    where = (Contact.organization == org_id) & condition(org_id, tree, now=now)
    return Contact.select(pw.fn.COUNT(Contact.id)).where(where).scalar() or 0


def sample(org_id: int, tree: dict, limit: int = 10) -> list[Contact]:
    """Up to `limit` members, the newest contacts first."""
    return list(members(org_id, tree).order_by(Contact.id.desc()).limit(limit))


def page(org_id: int, tree: dict, after_id: int | None = None, search: str | None = None, limit: int = 50) -> Page:
    """Members in id order, `limit` at a time after `after_id` (keyset paging); `search` keeps
    those whose email or name contains it."""
    select = matching(members(org_id, tree), search)
    if after_id:
        select = select.where(Contact.id > after_id)
    rows = list(select.order_by(Contact.id).limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].id if more else None)


def matching(select: pw.Select, text: str | None) -> pw.Select:
    """Keep the contacts whose email or name contains the text (any case)."""
    if not text or not text.strip():
        return select
    needle = F.fold(text.strip())
    return select.where(F.contains(Contact.email, needle) | F.contains(Contact.name, needle))


# Nodes ------------------------------------------------------------------------------------------


def _node(ctx: _Context, node: dict) -> pw.Node:
    if node["type"] == "group":
        parts = [_node(ctx, child) for child in node["children"]]
        if node["join"] == "and":
            expr = functools.reduce(operator.and_, parts) if parts else TRUE
        else:
            expr = functools.reduce(operator.or_, parts) if parts else FALSE
    else:
        expr = _COMPILERS[node["dimension"]](ctx, node)
    expr = pw.NodeList((pw.SQL("("), expr, pw.SQL(")")), glue="")
    return ~expr if node.get("negate") else expr


def _in(subquery: pw.Select) -> pw.Node:
    return Contact.id.in_(subquery)


def _exists(rows: pw.Select, contact_col) -> pw.Node:
    """A correlated EXISTS: probed by contact id, only for the contacts the conditions before it
    left (an IN list would be built whole first)."""
    return pw.fn.EXISTS(rows.select(pw.SQL("1")).where(contact_col == Contact.id))


def _at_least(ctx: _Context, rows: pw.Select, contact_col, counted, times: int) -> pw.Node:
    grouped = rows.select(contact_col).group_by(contact_col).having(pw.fn.COUNT(counted.distinct()) >= times)
    return _in(grouped)


def _counted(ctx: _Context, node: dict, rows: pw.Select, contact_col, counted) -> pw.Node:
    """exists / at_least N / at_most N over `rows` (one row per thing counted, per contact)."""
    op, value = node["operator"], node.get("value")
    if op == "exists":
        return _exists(rows, contact_col)
    if op == "at_least":
        return _at_least(ctx, rows, contact_col, counted, value)
    return ~_at_least(ctx, rows, contact_col, counted, value + 1)  # at_most


# Contact fields ----------------------------------------------------------------------------------


def _text_column(column):
    def compile_(ctx: _Context, node: dict) -> pw.Node:
        return F.text_condition(column, node["operator"], node.get("value"))

    return compile_


def _email_domain(ctx: _Context, node: dict) -> pw.Node:
    domain = F.after_at(Contact.email)
    values = node["value"] if node["operator"] == "any_of" else [node["value"]]
    return domain.in_(values)


def _choice_column(column):
    def compile_(ctx: _Context, node: dict) -> pw.Node:
        if node["operator"] == "is_empty":
            return column == ""
        values = node["value"] if node["operator"] == "any_of" else [node["value"]]
        return column.in_(values)

    return compile_


def _date_column(column):
    def compile_(ctx: _Context, node: dict) -> pw.Node:
        op, value = node["operator"], node.get("value")
        if op == "is_empty":
            return column.is_null()
        if op == "before":
            expr = column < F.day_start(value)
        elif op == "after":
            expr = column >= F.day_start(value) + dt.timedelta(days=1)
        else:  # within_days
            expr = column >= ctx.now - dt.timedelta(days=value)
        return F.never_null(expr)

    return compile_


def _custom_field(ctx: _Context, node: dict) -> pw.Node:
    return F.custom_condition(
        Contact.custom, node["field"], node["field_type"], node["operator"], node.get("value"), ctx.now
    )


# Labels and stage --------------------------------------------------------------------------------


def _labels(ctx: _Context, node: dict) -> pw.Node:
    ids = node["value"]
    rows = ContactLabel.select(ContactLabel.contact).where(
        (ContactLabel.organization == ctx.org_id) & ContactLabel.label.in_(ids)
    )
    if node["operator"] == "all_of":
        return _in(rows.group_by(ContactLabel.contact).having(pw.fn.COUNT(ContactLabel.label.distinct()) == len(ids)))
    if node["operator"] == "none_of":
        return ~_in(rows)
    return _in(rows)


# Event participation -----------------------------------------------------------------------------


def event_ids(ctx_org_id: int, node: dict) -> list[int] | None:
    """The events a participation condition is about: None for any event of the organization."""
    if "event_id" in node:
        return [node["event_id"]]
    if not any(key in node for key in ("event_tag", "event_from", "event_to")):
        return None
    events = Event.select(Event.id, Event.tags, Event.starts_at).where(Event.organization == ctx_org_id)
    return [e.id for e in events if event_matches(node, e.tags, e.starts_at)]


def event_matches(node: dict, tags, starts_at: dt.datetime) -> bool:
    """The rule `event_ids` applies (the Python evaluator uses it too)."""
    if "event_tag" in node and node["event_tag"].lower() not in {str(t).lower() for t in tags or []}:
        return False
    if "event_from" in node and starts_at < F.day_start(node["event_from"]):
        return False
    return not ("event_to" in node and starts_at >= F.day_start(node["event_to"]) + dt.timedelta(days=1))


def _registrants(ctx: _Context, node: dict) -> pw.Select:
    where = (Registrant.organization == ctx.org_id) & Registrant.contact.is_null(False)
    ids = event_ids(ctx.org_id, node)
    if ids is not None:
        where &= Registrant.event.in_(ids)
    return Registrant.select(Registrant.contact).where(where)


def _admitted(ctx: _Context, node: dict) -> pw.Select:
    """Registrants holding a place: not canceled, their order paid."""
    return (
        _registrants(ctx, node)
        .join(Order, on=Registrant.order == Order.id)
        .where((Registrant.canceled == False) & (Order.status == "paid"))  # noqa: E712
    )


def _registered(ctx: _Context, node: dict) -> pw.Node:
    return _counted(ctx, node, _admitted(ctx, node), Registrant.contact, Registrant.event)


def _product(ctx: _Context, node: dict) -> pw.Node:
    return _exists(_admitted(ctx, node).where(Registrant.product.in_(node["value"])), Registrant.contact)


def _order_status(ctx: _Context, node: dict) -> pw.Node:
    rows = _registrants(ctx, node).join(Order, on=Registrant.order == Order.id).where(Order.status.in_(node["value"]))
    return _exists(rows, Registrant.contact)


def _coupon(ctx: _Context, node: dict) -> pw.Node:
    rows = _registrants(ctx, node).join(Order, on=Registrant.order == Order.id)
    if node["operator"] == "any_of":
        return _exists(rows.where(Order.coupon.in_(node["value"])), Registrant.contact)
    return _exists(rows.where(Order.coupon.is_null(False)), Registrant.contact)


def _attended(ctx: _Context, node: dict) -> pw.Node:
    rows = _registrants(ctx, node).where(Registrant.checked_in_at.is_null(False))
    return _counted(ctx, node, rows, Registrant.contact, Registrant.event)


def _no_show(ctx: _Context, node: dict) -> pw.Node:
    rows = (
        _admitted(ctx, node)
        .join(Event, on=Registrant.event == Event.id)
        .where(Registrant.checked_in_at.is_null() & (Event.ends_at < ctx.now))
    )
    return _exists(rows, Registrant.contact)


def _checkin_gate(ctx: _Context, node: dict) -> pw.Node:
    rows = (
        Registrant.select(Registrant.contact)
        .join(Checkin, on=Checkin.registrant == Registrant.id)
        .where(
            (Checkin.organization == ctx.org_id)
            & Registrant.contact.is_null(False)
            & (Checkin.result == "ok")
            & (Checkin.kind == "entry")
            & Checkin.undone_at.is_null()
            & Checkin.gate.in_(node["value"])
        )
    )
    return _exists(rows, Registrant.contact)


def _checkin_list(ctx: _Context, node: dict) -> pw.Node:
    rows = (
        Registrant.select(Registrant.contact)
        .join(Attendance, on=Attendance.registrant == Registrant.id)
        .where(
            (Attendance.organization == ctx.org_id)
            & Registrant.contact.is_null(False)
            & (Attendance.entries > 0)
            & Attendance.checkin_list.in_(node["value"])
        )
    )
    return _exists(rows, Registrant.contact)


def _answer(ctx: _Context, node: dict) -> pw.Node:
    question = Question.get_or_none((Question.id == node["question_id"]) & (Question.organization == ctx.org_id))
    if question is None:
        return FALSE
    key = str(question.id)
    rows = _registrants(ctx, {"event_id": question.event_id})
    column = Registrant.answers
    if not question.per_attendee:
        rows, column = rows.join(Order, on=Registrant.order == Order.id), Order.answers
    if node.get("answer_type", "text") == "text":
        values = node["value"] if node["operator"] == "any_of" else [node["value"]]
        matches = F.json_answer_in(column, key, values)
    else:  # a yes/no or a number, compared as a custom field of that type is
        matches = F.custom_condition(column, key, node["answer_type"], node["operator"], node["value"], ctx.now)
    return _exists(rows.where(matches), Registrant.contact)


# Tracked events ----------------------------------------------------------------------------------


def _tracked(ctx: _Context, node: dict) -> pw.Node:
    where = (
        (IncomingEvent.organization == ctx.org_id)
        & (IncomingEvent.type == node["event_type"])
        & IncomingEvent.contact_id.is_null(False)
    )
    if "days" in node:
        where &= IncomingEvent.occurred_at >= ctx.now - dt.timedelta(days=node["days"])
    if "property" in node:
        where &= F.json_property(IncomingEvent.properties, node["property"], node.get("property_value"))
    rows = IncomingEvent.select(IncomingEvent.contact_id).where(where)
    if node["operator"] == "never":
        return ~_in(rows)
    grouped = rows.group_by(IncomingEvent.contact_id).having(pw.fn.COUNT(IncomingEvent.id) >= node["value"])
    return _in(grouped if node["value"] > 1 else rows)


# Other segments ----------------------------------------------------------------------------------


def _segment(ctx: _Context, node: dict) -> pw.Node:
    segment_id = node["value"]
    if segment_id in ctx.segments:
        raise TreeError("$", _("A segment cannot contain itself, directly or through other segments."))
    segment = (
        Segment.select(Segment.tree).where((Segment.id == segment_id) & (Segment.organization == ctx.org_id)).first()
    )
    if segment is None:
        return FALSE
    ctx.segments.append(segment_id)
    try:
        return _node(ctx, segment.tree)
    finally:
        ctx.segments.pop()


# Mail engagement --------------------------------------------------------------------------------


def _mail(ctx: _Context, node: dict) -> pw.Node:
    return F.mail_condition(ctx.org_id, node, ctx.now)


_COMPILERS = {
    "email": _text_column(Contact.email),
    "email_domain": _email_domain,
    "name": _text_column(Contact.name),
    "status": _choice_column(Contact.status),
    "source": _choice_column(Contact.source),
    "created": _date_column(Contact.created_at),
    "subscribed": _date_column(Contact.subscribed_at),
    "custom_field": _custom_field,
    "labels": _labels,
    "stage": _choice_column(Contact.stage),
    "registered": _registered,
    "product": _product,
    "order_status": _order_status,
    "coupon": _coupon,
    "attended": _attended,
    "no_show": _no_show,
    "checkin_gate": _checkin_gate,
    "checkin_list": _checkin_list,
    "answer": _answer,
    "tracked": _tracked,
    "segment": _segment,
    "mail_received": _mail,
    "mail_opened": _mail,
    "mail_clicked": _mail,
}
