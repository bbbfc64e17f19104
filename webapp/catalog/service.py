"""Products (ticket types and add-ons) and registration questions: set-up rules, ordering,
sales figures and what the landing page may offer."""

from __future__ import annotations

import re
import secrets

import peewee as pw

from webapp import signals, timeutil
from webapp.accounts import audit
from webapp.accounts.models import User
from webapp.catalog.models import QUESTION_KINDS, Product, Question
from webapp.db import db
from webapp.events.models import Event, page_changed
from webapp.events.service import LANGUAGES, FieldError
from webapp.i18n import StoredText, _, stored_text, verbatim

CONTACT_FIELDS = ("phone", "company")
CUSTOM_KEY_RE = re.compile(r"^custom:[a-z0-9_]{1,40}$")
CHOICE_KINDS = ("choice", "multichoice")


# ---- ordering -----------------------------------------------------------------------------


def _next_position(model, event_id: int) -> int:
    last = model.select(pw.fn.MAX(model.position)).where(model.event == event_id).scalar()
    return 0 if last is None else last + 1


def _direction(direction: str) -> StoredText:
    return stored_text("up") if direction == "up" else stored_text("down")


def _move(row, direction: str) -> bool:
    """Swap `row` with its neighbour above ("up") or below ("down"); False at either end."""
    model = type(row)
    rows = list(model.select().where(model.event == row.event_id).order_by(model.position, model.id))
    index = next(i for i, r in enumerate(rows) if r.id == row.id)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(rows):
        return False
    rows[index], rows[other] = rows[other], rows[index]
    for position, r in enumerate(rows):
        if r.position != position:
            model.update(position=position).where(model.id == r.id).execute()
    page_changed(row.event_id)
    row.position = rows.index(next(r for r in rows if r.id == row.id))
    return True


# ---- products -----------------------------------------------------------------------------


def _product_values(event: Event, data: dict) -> dict:
    tz = event.timezone

    def utc(key):
        return timeutil.to_utc(data[key], tz) if data.get(key) else None

    values = {
        "name": data["name"].strip(),
        "description": (data.get("description") or "").strip(),
        "price": int(data.get("price") or 0),
        "currency": event.currency,
        "quota": data.get("quota"),
        "sale_starts_at": utc("sale_starts_at"),
        "sale_ends_at": utc("sale_ends_at"),
        "min_per_order": data.get("min_per_order") or 0,
        "max_per_order": data.get("max_per_order"),
        "hidden": bool(data.get("hidden")),
        "admits_entry": bool(data.get("admits_entry", True)),
        "active": bool(data.get("active", True)),
    }
    if not values["name"]:
        raise FieldError("name", _("Enter the product's name."))
    if values["price"] < 0:
        raise FieldError("price", _("The price cannot be negative."))
    if values["quota"] is not None and values["quota"] < 0:
        raise FieldError("quota", _("Enter 0 or more, or leave it blank for no limit."))
    if values["sale_starts_at"] and values["sale_ends_at"] and values["sale_ends_at"] <= values["sale_starts_at"]:
        raise FieldError("sale_ends_at", _("The sale must end after it starts."))
    if values["min_per_order"] < 0:
        raise FieldError("min_per_order", _("Enter 0 or more."))
    if values["max_per_order"] is not None:
        if values["max_per_order"] < 1:
            raise FieldError("max_per_order", _("Enter at least 1, or leave it blank."))
        if values["max_per_order"] < values["min_per_order"]:
            raise FieldError("max_per_order", _("The maximum cannot be below the minimum."))
    return values


def create_product(event: Event, data: dict, *, actor: User | None, actor_label: str | None = None) -> Product:
    """`data`: name, description, price (minor units), quota (None: unlimited), sale_starts_at /
    sale_ends_at (wall-clock in the event's timezone or None), min_per_order, max_per_order,
    hidden, admits_entry, active. `actor_label`: an actor who is not a user (an API key)."""
    values = _product_values(event, data)
    with db.atomic():
        product = Product.create(
            organization=event.organization_id,
            event=event.id,
            position=_next_position(Product, event.id),
            access_key=secrets.token_urlsafe(12),
            **values,
        )
        audit.record(
            event.organization_id,
            "product.create",
            user=actor,
            actor=actor_label,
            target=product,
            summary=stored_text("%(event)s: %(product)s", event=event.name, product=product.name),
        )
    return product


def update_product(product: Product, data: dict, *, actor: User | None, actor_label: str | None = None) -> dict:
    event = Event.get_by_id(product.event_id)
    values = _product_values(event, data)
    with db.atomic():
        changes = audit.diff(product, values)
        if changes:
            product.save()
            audit.record(
                product.organization_id,
                "product.update",
                user=actor,
                actor=actor_label,
                target=product,
                summary=stored_text("%(event)s: %(product)s", event=event.name, product=product.name),
                changes=changes,
            )
    return changes


def delete_product(product: Product, *, actor: User | None) -> None:
    """Only a product nobody has ordered can go; a sold one can be deactivated instead."""
    with db.atomic():
        for reason in signals.objections(signals.product_deleting, product):
            raise FieldError("product", reason)
        audit.record(
            product.organization_id, "product.delete", user=actor, target=product, summary=verbatim(product.name)
        )
        product.delete_instance()


def move_product(product: Product, direction: str, *, actor: User | None) -> bool:
    with db.atomic():
        moved = _move(product, direction)
        if moved:
            audit.record(
                product.organization_id,
                "product.move",
                user=actor,
                target=product,
                summary=stored_text(
                    "%(product)s moved %(direction)s", product=product.name, direction=_direction(direction)
                ),
            )
    return moved


def new_access_key(product: Product, *, actor: User | None) -> str:
    """A new secret link for a hidden product; the old one stops working."""
    with db.atomic():
        product.access_key = secrets.token_urlsafe(12)
        product.save()
        audit.record(
            product.organization_id, "product.link", user=actor, target=product, summary=stored_text("New secret link")
        )
    return product.access_key


def update_product_translation(product: Product, locale: str, texts: dict, *, actor: User | None) -> None:
    _translate(product, locale, {k: texts.get(k) for k in ("name", "description")}, actor=actor, action="product")


def _translate(row, locale: str, texts: dict, *, actor: User | None, action: str) -> None:
    if locale not in LANGUAGES:
        raise FieldError("locale", _("Unknown language."))
    cleaned = {}
    for key, value in texts.items():
        if isinstance(value, list):
            if any(v.strip() for v in value):
                cleaned[key] = [v.strip() for v in value]
        elif value and value.strip():
            cleaned[key] = value.strip()
    translations = dict(row.translations or {})
    if cleaned:
        translations[locale] = cleaned
    else:
        translations.pop(locale, None)
    with db.atomic():
        changes = audit.diff(row, {"translations": translations})
        if changes:
            row.save()
            audit.record(
                row.organization_id,
                f"{action}.translation",
                user=actor,
                target=row,
                summary=stored_text("%(language)s texts", language=LANGUAGES[locale]),
                changes=changes,
            )


# ---- questions ----------------------------------------------------------------------------


def _question_values(data: dict) -> dict:
    kind = data["kind"]
    if kind not in QUESTION_KINDS:
        raise FieldError("kind", _("Choose a kind of answer."))
    options = data.get("options") or []
    if isinstance(options, str):
        options = options.splitlines()
    options = list(dict.fromkeys(o.strip() for o in options if o.strip()))
    if kind in CHOICE_KINDS and len(options) < 2:
        raise FieldError("options", _("Give at least two options, one per line."))
    if kind not in CHOICE_KINDS:
        options = []
    contact_field = (data.get("contact_field") or "").strip() or None
    if contact_field and contact_field not in CONTACT_FIELDS and not CUSTOM_KEY_RE.match(contact_field):
        raise FieldError(
            "contact_field", "Use phone, company or custom:<key> (lower-case letters, digits and underscores)."
        )
    if contact_field == "phone" and kind not in ("phone", "text"):
        raise FieldError("contact_field", _("Only a phone or short-text answer can fill the contact's phone."))
    if not data["label"].strip():
        raise FieldError("label", _("Enter the question."))
    return {
        "label": data["label"].strip(),
        "help_text": (data.get("help_text") or "").strip(),
        "kind": kind,
        "options": options,
        "required": bool(data.get("required")),
        "per_attendee": bool(data.get("per_attendee")),
        "contact_field": contact_field,
        "show_at_checkin": bool(data.get("show_at_checkin")),
    }


def create_question(event: Event, data: dict, *, actor: User | None) -> Question:
    """`data`: label, help_text, kind, options (list or one per line), required, per_attendee,
    contact_field ("phone", "company", "custom:<key>" or blank), show_at_checkin."""
    values = _question_values(data)
    with db.atomic():
        question = Question.create(
            organization=event.organization_id, event=event.id, position=_next_position(Question, event.id), **values
        )
        audit.record(
            event.organization_id,
            "question.create",
            user=actor,
            target=question,
            summary=stored_text("%(event)s: %(question)s", event=event.name, question=question.label),
        )
    return question


def update_question(question: Question, data: dict, *, actor: User | None) -> dict:
    values = _question_values(data)
    with db.atomic():
        changes = audit.diff(question, values)
        if changes:
            question.save()
            audit.record(
                question.organization_id,
                "question.update",
                user=actor,
                target=question,
                summary=verbatim(question.label),
                changes=changes,
            )
    return changes


def delete_question(question: Question, *, actor: User | None) -> None:
    """Answers already given stay on the orders; they are no longer asked."""
    with db.atomic():
        audit.record(
            question.organization_id, "question.delete", user=actor, target=question, summary=verbatim(question.label)
        )
        question.delete_instance()


def move_question(question: Question, direction: str, *, actor: User | None) -> bool:
    with db.atomic():
        moved = _move(question, direction)
        if moved:
            audit.record(
                question.organization_id,
                "question.move",
                user=actor,
                target=question,
                summary=stored_text(
                    "%(question)s moved %(direction)s", question=question.label, direction=_direction(direction)
                ),
            )
    return moved


def update_question_translation(question: Question, locale: str, texts: dict, *, actor: User | None) -> None:
    options = texts.get("options") or []
    if isinstance(options, str):
        options = options.splitlines()
    texts = {"label": texts.get("label"), "help_text": texts.get("help_text"), "options": list(options)}
    _translate(question, locale, texts, actor=actor, action="question")


def event_questions(event: Event, *, per_attendee: bool | None = None) -> list[Question]:
    query = Question.select().where(Question.event == event.id).order_by(Question.position, Question.id)
    if per_attendee is not None:
        query = query.where(Question.per_attendee == per_attendee)
    return list(query)
