"""Name badges: per-event settings (fields, size, logo), one attendee's badge from the door, or
everyone's as one PDF built by a task with progress, all through the shared PDF renderer."""

from __future__ import annotations

import io
import logging
import secrets
from pathlib import Path

from flask import render_template
from PIL import Image, UnidentifiedImageError
from pypdf import PdfWriter

from webapp import work
from webapp.accounts import audit
from webapp.accounts.models import Organization, User
from webapp.catalog.models import Product, Question
from webapp.db import db, utcnow
from webapp.events.models import Event
from webapp.orders.models import Order, Registrant
from webapp.runtime import settings as app_settings
from webapp.tickets.document import qr_data_url
from webapp.tickets.models import BADGE_FIELDS, BADGE_SIZES, BadgeJob, BadgeSettings
from webapp.tickets.pdf import render_pdf

log = logging.getLogger("rollcall.badges")

FIELD_LABELS = {
    "name": "Name",
    "company": "Company",
    "product": "Ticket type",
    "event": "Event name",
    "order_code": "Order code",
}
CHUNK = 50  # badges per rendering step of a bulk job (the progress bar moves per chunk)
MAX_LOGO_BYTES = 2 * 1024 * 1024
BUILD = "tickets.build_badges"  # work: {"job_id"}, bulk


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
    questions = Question.select().where(Question.event == event.id).order_by(Question.position, Question.id)
    return [(key, FIELD_LABELS[key]) for key in BADGE_FIELDS] + [(f"question:{q.id}", q.label) for q in questions]


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
        raise BadgeError("Choose a badge size.", "size")
    allowed = [key for key, _ in field_choices(event)]
    fields = [key for key in allowed if key in set(fields)]  # in a fixed order: name first
    if not fields:
        raise BadgeError("Choose at least one field.", "fields")
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
            summary=f"Badge settings of {event.name} changed",
            changes=changes,
        )
    return current


def _store_logo(event: Event, data: bytes) -> str:
    if len(data) > MAX_LOGO_BYTES:
        raise BadgeError("The logo must be at most 2 MB.", "logo")
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise BadgeError("The logo must be a PNG or JPEG image.", "logo") from None
    if kind not in ("PNG", "JPEG"):
        raise BadgeError("The logo must be a PNG or JPEG image.", "logo")
    relative = f"uploads/org-{event.organization_id}/badge-logo-{event.id}-{secrets.token_hex(6)}.{kind.lower()}"
    path = app_settings().instance_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return relative


def _logo_url(badge_settings: BadgeSettings, org: Organization) -> str | None:
    if not badge_settings.show_logo:
        return None
    instance = app_settings().instance_dir.resolve()
    for relative in (badge_settings.logo_path, org.logo_path):
        if not relative:
            continue
        path = (instance / relative).resolve()
        if path.is_relative_to(instance) and path.is_file():
            return path.as_uri()
    return None


def _lines(registrant: Registrant, event: Event, fields: list[str]) -> list[tuple[str, str]]:
    """(field key, text) for each chosen field that has a value on this registrant."""
    contact = registrant.contact if registrant.contact_id else None
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
    badges = [
        {
            "lines": _lines(r, event, badge_settings.fields),
            "qr": qr_data_url(r.ticket_secret) if badge_settings.show_qr else None,
        }
        for r in registrants
    ]
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


def start_bulk(event: Event, *, product_ids: list[int], attended_only: bool, actor: User | None) -> BadgeJob:
    """Queue a PDF of every selected badge; the task fills it in while the console shows progress."""
    product_ids = sorted({int(p) for p in product_ids})
    total = bulk_selection(event, product_ids=product_ids, attended_only=attended_only).count()
    if total == 0:
        raise BadgeError("Nobody matches this selection.")
    with db.atomic():
        job = BadgeJob.create(
            organization=event.organization_id,
            event=event,
            created_by=actor,
            selection={"product_ids": product_ids, "attended_only": attended_only},
            total=total,
        )
        work.record(BUILD, {"job_id": job.id}, priority=work.BULK)
    return job


def build_bulk(job_id: int) -> BadgeJob:
    """Render the job's badges chunk by chunk (recording progress), then join them into one file."""

    claimed = BadgeJob.update(status="running").where((BadgeJob.id == job_id) & (BadgeJob.status == "queued")).execute()
    job = BadgeJob.get_by_id(job_id)
    if not claimed:
        return job
    try:
        event = Event.get_by_id(job.event_id)
        badge_settings = settings_for(event)
        people = list(bulk_selection(event, **job.selection))
        writer = PdfWriter()
        for start in range(0, len(people), CHUNK):
            chunk = badge_pdf(people[start : start + CHUNK], event, badge_settings)
            writer.append(io.BytesIO(chunk))
            done = min(start + CHUNK, len(people))
            BadgeJob.update(done=done, total=len(people)).where(BadgeJob.id == job_id).execute()
        relative = f"badges/org-{job.organization_id}/badges-{job.id}-{secrets.token_hex(6)}.pdf"
        path = app_settings().instance_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            writer.write(fh)
        BadgeJob.update(status="done", file_path=relative, finished_at=utcnow()).where(BadgeJob.id == job_id).execute()
    except Exception as exc:  # the console shows the failure; the log keeps the details
        log.exception("badge job %s failed", job_id)
        BadgeJob.update(status="failed", error=str(exc)[:500], finished_at=utcnow()).where(
            BadgeJob.id == job_id
        ).execute()
    return BadgeJob.get_by_id(job_id)


def job_path(job: BadgeJob) -> Path | None:
    if job.status != "done" or not job.file_path:
        return None
    instance = app_settings().instance_dir.resolve()
    path = (instance / job.file_path).resolve()
    return path if path.is_relative_to(instance) and path.is_file() else None
