"""Console: the organization's audiences, sending a push now or later, and what became of each."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from webapp import timeutil
from webapp.accounts.access import org_id, role_required
from webapp.accounts.models import Organization
from webapp.audiences import service
from webapp.audiences.forms import PushForm
from webapp.audiences.models import Audience, PushMessage
from webapp.events.models import Event
from webapp.i18n import _
from webapp.templating import is_fragment_request, render_page

bp = Blueprint("audiences_console", __name__, url_prefix="/console/audiences")


def _choices(org: Organization) -> list[tuple[str, str]]:
    """Every audience a push can go to: the organization's, and each event's (even still empty)."""
    events = (
        Event.select(Event.id, Event.name)
        .where((Event.organization == org.id) & (Event.status != "archived"))
        .order_by(Event.starts_at.desc())
        .limit(200)
    )
    return [("organization", _("Everyone who follows %(org)s", org=org.name))] + [
        (f"event:{e.id}", _("Followers of %(event)s", event=e.name)) for e in events
    ]


def _messages():
    return list(
        PushMessage.select(PushMessage, Audience)
        .join(Audience)
        .where(PushMessage.organization == org_id())
        .order_by(PushMessage.id.desc())
        .limit(50)
    )


def _page(form: PushForm, status: int = 200):
    org = Organization.get_by_id(org_id())
    messages = _messages()
    return render_page(
        "console/audiences/index.html",
        "console/audiences/_messages.html",
        status,
        org=org,
        form=form,
        audiences=service.audiences(org.id),
        messages=messages,
        busy=any(m.state in ("scheduled", "sending") for m in messages),
    )


def _form(org: Organization) -> PushForm:
    form = PushForm()
    form.audience.choices = _choices(org)
    return form


@bp.route("")
@role_required("manager")
def index():
    """The page; `?event_id=` (from an event's pages) chooses that event's followers."""
    form = _form(Organization.get_by_id(org_id()))
    wanted = f"event:{request.args.get('event_id', '')}"
    if any(value == wanted for value, _label in form.audience.choices):
        form.audience.data = wanted
    return _page(form)


@bp.route("/messages")
@role_required("manager")
def messages():
    if not is_fragment_request():
        return redirect(url_for("audiences_console.index"), 303)
    return _page(_form(Organization.get_by_id(org_id())))


@bp.route("/send", methods=["POST"])
@role_required("manager")
def send():
    org = Organization.get_by_id(org_id())
    form = _form(org)
    if form.validate_on_submit():
        event = None
        if form.audience.data.startswith("event:"):
            event = Event.get_for_org(org.id, int(form.audience.data.partition(":")[2]))
        send_at = timeutil.to_utc(form.send_at.data, org.timezone) if form.send_at.data else None
        try:
            service.schedule(
                service.audience_for(org.id, event),
                title=form.title.data,
                body=form.body.data or "",
                url=form.url.data or "",
                send_at=send_at,
                actor=current_user.id,
            )
        except service.AudienceError as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            flash(_("Scheduled.") if send_at else _("Sending now."), "success")
            return redirect(url_for("audiences_console.index"), 303)
    return _page(form, 422)


@bp.route("/messages/<int:message_id>/cancel", methods=["POST"])
@role_required("manager")
def cancel(message_id: int):
    message = PushMessage.get_or_none((PushMessage.id == message_id) & (PushMessage.organization == org_id()))
    if message is None:
        abort(404)
    if service.cancel(message):
        flash(_("The push is canceled."), "success")
    else:
        flash(_("This push has already gone out."), "error")
    return redirect(url_for("audiences_console.index"), 303)
