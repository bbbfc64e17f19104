"""Logs: every outbound email (state, error, resend), the background work waiting, the audit trail
and an event's check-in log."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from peewee import JOIN

from webapp.accounts.access import event_required, org_id, owned, role_required, row_required
from webapp.accounts.audit import AuditEntry, action_label
from webapp.accounts.models import Membership, User
from webapp.checkin import door
from webapp.checkin.models import CHECKIN_REASONS, Checkin, CheckinList
from webapp.console.blueprint import bp
from webapp.events.models import Event
from webapp.events.pages import event_or_404
from webapp.guards import row_id, search_text
from webapp.i18n import _
from webapp.mail import service as mail
from webapp.mail.models import OUTBOX_STATES, Outbox
from webapp.orders.models import Registrant
from webapp.templating import render_page
from webapp.work import backlog

PAGE_SIZE = 50

# A mail log entry belongs to the event it was sent for (or to the organization alone).
MESSAGE_OWNER = owned(Outbox, event=Outbox.event_id)


def _before() -> int | None:
    return request.args.get("before", type=row_id)


def _keyset(query, model, before: int | None):
    """Newest first, PAGE_SIZE rows older than `before` (an id); (rows, id to continue from)."""
    if before:
        query = query.where(model.id < before)
    rows = list(query.order_by(model.id.desc()).limit(PAGE_SIZE + 1))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, (rows[-1].id if more and rows else None)


# -- background work ------------------------------------------------------------------------------


@bp.route("/work")
@role_required("manager")
def work_backlog():
    """How much background work waits, per kind, and for how long: emails and webhooks that people
    wait for are flagged when they are more than a minute old (the fragment refreshes itself)."""
    rows = backlog()
    return render_page(
        "console/logs/work.html",
        "console/logs/_work_rows.html",
        rows=rows,
        late=[row for row in rows if row["late"]],
    )


# -- mail -----------------------------------------------------------------------------------------


# The mail log's event filter offers the newest events; an older one still filters by its id.
EVENT_CHOICES = 200


def _org_event(event_id: int) -> bool:
    return Event.for_org(org_id()).where(Event.id == event_id).exists()


@bp.route("/mail")
@role_required("manager")
def mail_log():

    state = request.args.get("state", "")
    state = state if state in OUTBOX_STATES else ""
    kind = request.args.get("kind", "")
    q = search_text(request.args)
    events = list(Event.for_org(org_id()).order_by(Event.starts_at.desc()).limit(EVENT_CHOICES))
    event_id = request.args.get("event", type=row_id)
    if event_id is not None and not _org_event(event_id):
        event_id = None  # another organization's event: no filter, and nothing of theirs
    query = mail.list_outbox(
        org_id(), state=state or None, kind=kind or None, search=q or None, event_id=event_id
    ).order_by()
    rows, next_before = _keyset(query, Outbox, _before())
    args = {k: v for k, v in {"state": state, "kind": kind, "q": q, "event": event_id}.items() if v}
    return render_page(
        "console/logs/mail.html",
        "console/logs/_mail_rows.html",
        messages=rows,
        next_before=next_before,
        states=OUTBOX_STATES,
        kinds=mail.outbox_kinds(org_id()),
        state=state,
        kind=kind,
        q=q,
        events=events,
        event_id=event_id,
        args=args,
        paged=bool(_before()),
    )


@bp.route("/mail/<int:message_id>")
@row_required("message_id", "registrants", MESSAGE_OWNER)
def mail_message(message_id: int):

    return render_template("console/logs/mail_message.html", m=mail.get_message(org_id(), message_id))


@bp.route("/mail/<int:message_id>/resend", methods=["POST"])
@row_required("message_id", "registrants", MESSAGE_OWNER)
def mail_resend(message_id: int):

    message = mail.get_message(org_id(), message_id)
    try:
        copy = mail.resend(message, actor=current_user)
    except mail.NotResent as exc:
        flash(str(exc), "error")
        return redirect(url_for("console.mail_message", message_id=message.id), code=303)
    flash(_("“%(subject)s” is queued again for %(email)s.", subject=message.subject, email=message.to_email), "success")
    return redirect(url_for("console.mail_message", message_id=copy.id), code=303)


# -- audit trail ----------------------------------------------------------------------------------


@bp.app_template_filter("audit_action")
def _audit_action(action: str) -> str:
    return action_label(action)


@bp.route("/audit")
@role_required("admin")
def audit_log():
    query = AuditEntry.select(AuditEntry).where(AuditEntry.organization == org_id())
    action = request.args.get("action", "").strip()[:64]
    user_id = request.args.get("user", type=row_id)
    user = str(user_id) if user_id else ""
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    if user_id:
        query = query.where(AuditEntry.user == user_id)
    rows, next_before = _keyset(query, AuditEntry, _before())
    members = list(
        User.select(User.id, User.name, User.email)
        .join(Membership)
        .where(Membership.organization == org_id())
        .order_by(User.name)
    )
    domains = sorted({a.split(".", 1)[0] for (a,) in AuditEntry.select(AuditEntry.action).where(
        AuditEntry.organization == org_id()).distinct().tuples()})  # fmt: skip
    args = {k: v for k, v in {"action": action, "user": user}.items() if v}
    return render_page(
        "console/logs/audit.html",
        "console/logs/_audit_rows.html",
        entries=rows,
        next_before=next_before,
        members=members,
        domains=domains,
        action=action,
        user=user,
        args=args,
        paged=bool(_before()),
    )


# -- check-in log ---------------------------------------------------------------------------------


@bp.route("/events/<int:event_id>/checkins")
@event_required("registrants")
def checkin_log(event_id: int):

    event = event_or_404(event_id)
    query = (
        Checkin.select(Checkin, CheckinList, Registrant, User)
        .join(CheckinList)
        .switch(Checkin)
        .join(Registrant, join_type=JOIN.LEFT_OUTER)
        .switch(Checkin)
        .join(User, join_type=JOIN.LEFT_OUTER, on=(Checkin.user == User.id))
        .where((Checkin.organization == org_id()) & (Checkin.event == event.id))
    )
    result = request.args.get("result", "")
    if result == "ok":
        query = query.where(Checkin.result == "ok")
    elif result in CHECKIN_REASONS:
        query = query.where(Checkin.reason == result)
    elif result == "error":
        query = query.where(Checkin.result == "error")
    else:
        result = ""
    rows, next_before = _keyset(query, Checkin, _before())
    return render_page(
        "console/logs/checkins.html",
        "console/logs/_checkin_rows.html",
        event=event,
        checkins=rows,
        next_before=next_before,
        reasons=CHECKIN_REASONS,
        answers=door.answer_messages(),
        result=result,
        args={"result": result} if result else {},
        paged=bool(_before()),
    )
