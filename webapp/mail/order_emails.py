"""The emails of the order lifecycle: approved, declined, a waiting-list offer, an invitation. The
orders domain announces these moments (signals); the receivers in webapp/mail/receivers.py record
the work, and these functions queue the email when it runs, written in the language the person
registered in (an invitation: the event's first language), the event's name as the operator wrote it
in that language and its times in the event's time zone."""

from __future__ import annotations

import datetime as dt

from flask_babel import force_locale
from flask_babel import gettext as _

from webapp.events.i18n import local_datetime_text
from webapp.events.models import Event
from webapp.mail.service import queue_email
from webapp.orders.models import Invitation, Order, WaitingListEntry
from webapp.runtime import settings
from webapp.tickets import display


def link(path: str) -> str:
    return settings().base_url + path


def order_link(order: Order) -> str:
    return link(f"/o/{order.secret}")


def landing_link(event: Event, **query) -> str:
    path = f"/e/{event.organization.slug}/{event.slug}"
    if query:
        path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return link(path)


def _when(event: Event, value: dt.datetime, lang: str) -> str:
    """A moment as the event's wall-clock time in `lang`, with the zone named."""
    return f"{local_datetime_text(value, event.timezone, lang)} ({event.timezone})"


def _language(event: Event, locale: str | None) -> tuple[str, str]:
    """The language an email to someone who chose `locale` is written in, and the event's name as
    the operator wrote it in that language."""
    lang = display.language(locale)
    return lang, display.translated(event, "name", lang)


def _send(event: Event, *, kind: str, to_email: str, to_name: str, subject: str, body: str, order_id=None):
    queue_email(
        kind=kind, to_email=to_email, to_name=to_name, subject=subject, text_body=body,
        organization=event.organization, event_id=event.id, order_id=order_id, send_key=kind,
    )  # fmt: skip


def approved(order_id: int) -> None:
    order = Order.get_or_none(Order.id == order_id)
    if order is None:
        return
    event = order.event
    lang, name = _language(event, order.locale)
    with force_locale(lang):
        if order.status == "paid":
            next_step = _("Your tickets follow in a separate email.")
        else:
            next_step = _("Complete your payment here to keep your place:\n%(link)s", link=order_link(order))
        subject = _("You're in: %(event)s", event=name)
        body = _(
            "Hello %(name)s,\n\nYour registration %(code)s for %(event)s (%(when)s) has been accepted.\n\n%(next)s\n",
            name=order.buyer_name, code=order.code, event=name, when=_when(event, event.starts_at, lang), next=next_step,
        )  # fmt: skip
    _send(
        event, kind="order.approved", to_email=order.buyer_email, to_name=order.buyer_name, order_id=order.id,
        subject=subject, body=body,
    )  # fmt: skip


def declined(order_id: int) -> None:
    order = Order.get_or_none(Order.id == order_id)
    if order is None:
        return
    event = order.event
    lang, name = _language(event, order.locale)
    with force_locale(lang):
        subject = _("Your registration for %(event)s", event=name)
        body = _(
            "Hello %(name)s,\n\nThank you for your interest in %(event)s. We are sorry: we could not accept "
            "your registration %(code)s this time.\n",
            name=order.buyer_name, event=name, code=order.code,
        )  # fmt: skip
    _send(
        event, kind="order.declined", to_email=order.buyer_email, to_name=order.buyer_name, order_id=order.id,
        subject=subject, body=body,
    )  # fmt: skip


def waitlist_offer(entry_id: int) -> None:
    entry = WaitingListEntry.get_or_none(WaitingListEntry.id == entry_id)
    if entry is None or entry.status != "offered":
        return
    event = entry.event
    lang, name = _language(event, entry.locale)
    with force_locale(lang):
        subject = _("A place opened up: %(event)s", event=name)
        body = _(
            "Hello %(name)s,\n\nA place for %(product)s at %(event)s is free, and we are holding it for you until "
            "%(until)s.\n\nRegister here:\n%(link)s\n\nIf you no longer need it, do nothing: the place goes to "
            "the next person on the waiting list when the time runs out.\n",
            name=entry.name, product=display.translated(entry.product, "name", lang), event=name,
            until=_when(event, entry.offer_expires_at, lang), link=link("/w/" + entry.token),
        )  # fmt: skip
    _send(event, kind="waitlist.offer", to_email=entry.email, to_name=entry.name, subject=subject, body=body)


def invitation(invitation_id: int) -> None:
    inv = Invitation.get_or_none(Invitation.id == invitation_id)
    if inv is None or not inv.email or inv.revoked_at:
        return
    event = inv.event
    lang, name = _language(event, (event.languages or ["en"])[0])
    with force_locale(lang):
        subject = _("You're invited: %(event)s", event=name)
        body = _(
            "Hello %(name)s,\n\nYou are invited to register for %(event)s (%(when)s).\n\nRegister with your "
            "personal link:\n%(link)s\n\nOr enter the code %(code)s on the event page.\n\nNot coming? Let the "
            "organizer know: %(decline)s\n",
            name=inv.name or _("there"), event=name, when=_when(event, event.starts_at, lang),
            link=landing_link(event, invite=inv.code), code=inv.code, decline=link("/i/" + inv.code + "/decline"),
        )  # fmt: skip
    _send(event, kind="invitation", to_email=inv.email, to_name=inv.name, subject=subject, body=body)
