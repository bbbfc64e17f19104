"""Name badges: per-event settings (fields, size, logo), one attendee's badge from the door, or
everyone's as one PDF built by a task with progress, all through the shared PDF renderer."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets

import peewee as pw
from flask import render_template

from webapp import work
from webapp.accounts import audit
from webapp.accounts.models import Organization, User
from webapp.catalog import groups as catalog_groups
from webapp.catalog.models import Product, Question
from webapp.contacts.exports import custom_keys
from webapp.contacts.models import Contact, ContactLabel, Label
from webapp.db import db, utcnow
from webapp.events.models import Event
from webapp.i18n import _, _l, stored_text
from webapp.orders.models import Order, Registrant
from webapp.storage import InvalidKey, storage
from webapp.tickets import pdf_jobs
from webapp.tickets.document import image_data_url, qr_data_url
from webapp.tickets.models import BADGE_FIELDS, BADGE_SIZES, BadgeSettings
from webapp.tickets.pdf import render_pdf
from webapp.uploads import LOGO_MOST_SIDE, ImageRefused, checked_image
from webapp.work import jobs
from webapp.work.models import Job

log = logging.getLogger("rollcall.badges")

FIELD_LABELS = {
    "name": _l("Name"),
    "company": _l("Company"),
    "product": _l("Ticket type"),
    "event": _l("Event name"),
    "order_code": _l("Order code"),
}
# Fields of the registrant's contact in the Contact Book ("contact:custom:<key>": a custom field).
CONTACT_FIELD_LABELS = {
    "contact:name": _l("Contact: name"),
    "contact:phone": _l("Contact: phone"),
    "contact:company": _l("Contact: company"),
    "contact:labels": _l("Contact: labels"),
}
CUSTOM_PREFIX = "contact:custom:"
CHUNK = 50  # badges per rendering step of a bulk job (the progress bar moves per chunk)
MAX_LOGO_BYTES = 2 * 1024 * 1024
KIND = "badges"  # the job that builds an event's badges into one PDF


class BadgeError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def settings_for(event: Event) -> BadgeSettings:
    """The event's badge settings (unsaved defaults when none were saved)."""
    found = BadgeSettings.get_or_none(BadgeSettings.event == event.id)
    if found is not None:
        return found
    org = Organization.get_by_id(event.organization_id)
    return BadgeSettings(organization=event.organization_id, event=event, accent_color=org.brand_color)


def field_choices(event: Event) -> list[tuple[str, str]]:
    """What a badge can show: the registrant's fields, the answers to the event's questions, and
    the fields of the linked contact (its custom fields: those the event's contacts have, and those
    the badge already shows)."""
    questions = Question.select().where(Question.event == event.id).order_by(Question.position, Question.id)
    saved = BadgeSettings.get_or_none(BadgeSettings.event == event.id)
    keys = set(_custom_keys(event)) | {
        f[len(CUSTOM_PREFIX) :] for f in (saved.fields if saved else []) if f.startswith(CUSTOM_PREFIX)
    }
    return (
        [(key, FIELD_LABELS[key]) for key in BADGE_FIELDS]
        + [(f"question:{q.id}", q.label) for q in questions]
        + list(CONTACT_FIELD_LABELS.items())
        + [(f"{CUSTOM_PREFIX}{key}", _("Contact: %(field)s", field=key)) for key in sorted(keys)]
    )


def _custom_keys(event: Event) -> list[str]:
    """The custom field names of the contacts linked to the event's registrants."""
    linked = Registrant.select(Registrant.contact).where(
        (Registrant.event == event.id) & Registrant.contact.is_null(False)
    )
    return custom_keys(Contact.select().where(Contact.id.in_(linked)))


def save_settings(
    event: Event,
    *,
    size: str,
    fields: list[str],
    show_logo: bool,
    show_qr: bool,
    accent_color: str,
    logo: bytes | None,
    actor: User | None,
) -> BadgeSettings:
    if size not in BADGE_SIZES:
        raise BadgeError(_("Choose a badge size."), "size")
    allowed = [key for key, _ in field_choices(event)]
    fields = [key for key in allowed if key in set(fields)]  # in a fixed order: name first
    if not fields:
        raise BadgeError(_("Choose at least one field."), "fields")
    current = settings_for(event)
    values = {
        "size": size,
        "fields": fields,
        "show_logo": show_logo,
        "show_qr": show_qr,
        "accent_color": accent_color.lower(),
    }
    if logo:
        values["logo_path"] = _store_logo(event, logo)
    with db.atomic():
        changes = audit.diff(current, values)
        current.updated_at = utcnow()
        current.save()
        audit.record(
            event.organization_id,
            "event.badges",
            user=actor,
            target=event,
            summary=stored_text("Badge settings of %(event)s changed", event=event.name),
            changes=changes,
        )
    return current


def _store_logo(event: Event, data: bytes) -> str:
    if len(data) > MAX_LOGO_BYTES:
        raise BadgeError(_("The logo must be at most 2 MB."), "logo")
    try:
        kind = checked_image(data, most_side=LOGO_MOST_SIDE)
    except ImageRefused as refused:
        if refused.too_large:  # every badge's PDF would decode it again
            raise BadgeError(_("The logo must be at most 4000×4000 pixels."), "logo") from None
        kind = None
    if kind not in ("PNG", "JPEG"):
        raise BadgeError(_("The logo must be a PNG or JPEG image."), "logo")
    relative = f"uploads/org-{event.organization_id}/badge-logo-{event.id}-{secrets.token_hex(6)}.{kind.lower()}"
    storage().write(relative, data)  # a storage key (webapp/storage.py)
    return relative


def _logo_url(badge_settings: BadgeSettings, org: Organization) -> str | None:
    if not badge_settings.show_logo:
        return None
    for key in (badge_settings.logo_path, org.logo_path):
        if not key:
            continue
        try:
            return image_data_url(key, storage().read(key))
        except (FileNotFoundError, InvalidKey):
            continue
    return None


def _contacts(registrants: list[Registrant]) -> dict[int, tuple[Contact, list[str]]]:
    """{contact id: (contact, its label names)} of the registrants' linked contacts, in two queries."""
    ids = {r.contact_id for r in registrants if r.contact_id}
    if not ids:
        return {}
    found = {c.id: (c, []) for c in Contact.select().where(Contact.id.in_(ids))}
    labels = (
        ContactLabel.select(ContactLabel.contact, Label.name)
        .join(Label)
        .where(ContactLabel.contact.in_(ids))
        .order_by(pw.fn.LOWER(Label.name))
    )
    for row in labels:
        found[row.contact_id][1].append(row.label.name)
    return found


def _contact_value(key: str, contact: Contact | None, labels: list[str]):
    if contact is None:
        return None
    if key == "contact:labels":
        return ", ".join(labels)
    if key.startswith(CUSTOM_PREFIX):
        return (contact.custom or {}).get(key[len(CUSTOM_PREFIX) :])
    return getattr(contact, key.partition(":")[2])  # name, phone, company


def _lines(
    registrant: Registrant, event: Event, fields: list[str], contacts: dict | None = None
) -> list[tuple[str, str]]:
    """(field key, text) for each chosen field that has a value on this registrant."""
    contacts = _contacts([registrant]) if contacts is None else contacts
    contact, labels = contacts.get(registrant.contact_id, (None, []))
    lines = []
    for key in fields:
        if key == "name":
            value = registrant.name
        elif key == "company":
            value = _company(registrant, contact)
        elif key == "product":
            value = registrant.product.name
        elif key == "event":
            value = event.name
        elif key == "order_code":
            value = registrant.order.code
        elif key.startswith("question:"):
            qid = key.partition(":")[2]
            source = {**(registrant.order.answers or {}), **(registrant.answers or {})}
            value = source.get(qid)
            value = ", ".join(map(str, value)) if isinstance(value, list) else value
            value = ("Yes" if value else "") if isinstance(value, bool) else value
        elif key in CONTACT_FIELD_LABELS or key.startswith(CUSTOM_PREFIX):
            value = _contact_value(key, contact, labels)
            value = ", ".join(map(str, value)) if isinstance(value, list) else value
        else:
            value = None
        if value not in (None, ""):
            lines.append((key, str(value)))
    return lines


def _company(registrant: Registrant, contact) -> str:
    """The company from a question mapped to the contact's company, else the contact's."""
    mapped = Question.select(Question.id, Question.per_attendee).where(
        (Question.event == registrant.event_id) & (Question.contact_field == "company")
    )
    for question in mapped:
        source = registrant.answers if question.per_attendee else registrant.order.answers
        value = (source or {}).get(str(question.id))
        if value:
            return str(value)
    return contact.company if contact is not None else ""


def badge_html(registrants: list[Registrant], event: Event, badge_settings: BadgeSettings) -> str:

    org = Organization.get_by_id(event.organization_id)
    width, height = BADGE_SIZES[badge_settings.size]
    contacts = _contacts(registrants)
    groups = {g.id: g for g in catalog_groups.groups_of(event)}
    default = next(g for g in groups.values() if g.is_default)
    badges = []
    for r in registrants:
        group = groups.get(r.group_id, default)  # each participant group prints its own layout
        badges.append({
            "lines": _lines(r, event, badge_settings.fields, contacts),
            "qr": qr_data_url(r.ticket_secret) if badge_settings.show_qr else None,
            "layout": group.badge_layout,
            "group": group.name,
        })  # fmt: skip
    return render_template(
        "pdf/badge.html",
        badges=badges,
        width=width,
        height=height,
        size=badge_settings.size,
        accent=badge_settings.accent_color,
        logo=_logo_url(badge_settings, org),
        event=event,
    )


def badge_pdf(registrants: list[Registrant], event: Event, badge_settings: BadgeSettings | None = None) -> bytes:
    return render_pdf(badge_html(registrants, event, badge_settings or settings_for(event)))


def registrant_badge_pdf(registrant: Registrant) -> bytes:
    event = Event.get_by_id(registrant.event_id)
    return badge_pdf([registrant], event)


def sample_pdf(event: Event) -> bytes:
    """The first attendee's badge, or a made-up attendee's, to check the layout."""
    first = bulk_selection(event, product_ids=[], attended_only=False).first()
    if first is None:
        product = Product.select().where(Product.event == event.id).order_by(Product.position).first()
        order = Order(code="SAMPLE", answers={})
        first = Registrant(event=event, order=order, name="Ayu Kartika Sari", ticket_secret="SAMPLE", answers={})
        first.product = product or Product(name="Conference pass")
    return badge_pdf([first], event)


# --- bulk -----------------------------------------------------------------------------------------


def bulk_selection(event: Event, *, product_ids: list[int], attended_only: bool):
    """Admitted registrants of the event (paid, not canceled), by name."""
    query = (
        Registrant.select(Registrant, Order, Product)
        .join(Order)
        .switch(Registrant)
        .join(Product)
        .where((Registrant.event == event.id) & (Registrant.canceled == False) & (Order.status == "paid"))  # noqa: E712
        .order_by(Registrant.name, Registrant.id)
    )
    if product_ids:
        query = query.where(Registrant.product.in_(product_ids))
    if attended_only:
        query = query.where(Registrant.checked_in_at.is_null(False))
    return query


def start_bulk(event: Event, *, product_ids: list[int], attended_only: bool, actor: User | None) -> Job:
    """Queue a PDF of every selected badge; the job fills it in while the console shows progress."""
    product_ids = sorted({int(p) for p in product_ids})
    total = bulk_selection(event, product_ids=product_ids, attended_only=attended_only).count()
    if total == 0:
        raise BadgeError(_("Nobody matches this selection."))
    with db.atomic():
        return jobs.create(
            event.organization_id,
            KIND,
            {"product_ids": product_ids, "attended_only": attended_only},
            event_id=event.id,
            user_id=actor.id if actor else None,
            total=total,
        )


def recent_jobs(event: Event, limit: int = 5) -> list[Job]:
    return list(
        Job.select().where((Job.event_id == event.id) & (Job.kind == KIND)).order_by(Job.id.desc()).limit(limit)
    )


@jobs.body(KIND)
def _build(job: Job, time_slice: jobs.Slice) -> object:
    """Render the badges chunk by chunk (the progress bar moves per chunk), then join them into
    one file (webapp.tickets.pdf_jobs)."""
    event = Event.get_by_id(job.event_id)
    badge_settings = settings_for(event)
    selection = {k: job.params[k] for k in ("product_ids", "attended_only")}
    people = list(bulk_selection(event, **selection))
    chunks = [people[start : start + CHUNK] for start in range(0, len(people), CHUNK)]
    digest = _digest([r.id for r in people], badge_settings)
    pdf = pdf_jobs.build(job, time_slice, chunks, lambda chunk: badge_pdf(list(chunk), event, badge_settings), digest)
    if pdf is None:
        return work.AGAIN
    relative = f"badges/org-{job.organization_id}/badges-{job.id}-{secrets.token_hex(6)}.pdf"
    storage().write(relative, pdf)
    jobs.finish(job, params={**job.params, "file_path": relative})
    pdf_jobs.clean(job)
    return None


def _digest(ids: list[int], badge_settings: BadgeSettings) -> str:
    what = {"ids": ids, "settings": badge_settings.updated_at.isoformat() if badge_settings.id else None}
    return hashlib.sha256(json.dumps(what).encode()).hexdigest()[:32]


def job_file(job: Job) -> str | None:
    """The storage key of a finished badge build's PDF, if it is still there."""
    key = job.params.get("file_path")
    if job.state != "done" or not key:
        return None
    try:
        return key if storage().exists(key) else None
    except InvalidKey:
        return None
