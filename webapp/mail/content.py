"""An event's email templates and senders: stored operator versions over built-in defaults, the
placeholder values for a registrant, and the rendered email."""

from __future__ import annotations

from flask import render_template

from webapp.accounts import audit
from webapp.db import db, utcnow
from webapp.i18n import _, stored_text, stored_word
from webapp.mail import defaults, links, sandbox
from webapp.mail.models import Automation, EmailTemplate, EventMailSettings
from webapp.tickets import display

LANGUAGES = display.LANGUAGES
# The built-in emails and the languages, as words stored in an audit entry and shown in the
# reader's language (an automation's slot, "automation:<id>", is kept as it is).
SLOT_WORDS = {
    "ticket": stored_text("ticket email"),
    "payment": stored_text("order confirmation"),
    "checkin": stored_text("check-in confirmation"),
}
LANGUAGE_WORDS = {"en": stored_text("English"), "id": stored_text("Indonesian")}


class TemplateInvalid(ValueError):
    """A template that cannot be saved; `errors` maps a field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


# ---------------------------------------------------------------------------------------------
# Templates


def stored_template(event, slot: str, lang: str) -> EmailTemplate | None:
    return EmailTemplate.get_or_none(
        (EmailTemplate.event == event) & (EmailTemplate.slot == slot) & (EmailTemplate.locale == lang)
    )


def template_parts(event, slot: str, lang: str) -> dict[str, str]:
    """{subject, html_body, text_body} the event uses for `slot` in `lang`."""
    row = stored_template(event, slot, lang)
    if row is None:
        return defaults.default_for(slot, lang, _automation_trigger(event, slot))
    return {"subject": row.subject, "html_body": row.html_body, "text_body": row.text_body}


def _automation_trigger(event, slot: str) -> str | None:
    kind, _, automation_id = slot.partition(":")
    if kind != "automation" or not automation_id.isdigit():
        return None
    automation = Automation.get_or_none((Automation.id == int(automation_id)) & (Automation.event == event))
    return automation.trigger if automation else None


MAX_SUBJECT_CHARS = 200
MAX_BODY_BYTES = 256 * 1024


def _too_long(field: str, source: str) -> str | None:
    if field == "subject":
        if len(source) > MAX_SUBJECT_CHARS:
            return _(
                "Keep the subject to at most %(max)s characters (it has %(count)s).",
                max=MAX_SUBJECT_CHARS,
                count=len(source),
            )
        return None
    if len(source.encode("utf-8")) > MAX_BODY_BYTES:
        return _(
            "Keep the body under %(kb)s KB; link to large content instead of including it.", kb=MAX_BODY_BYTES // 1024
        )
    return None


def validate(parts: dict[str, str]) -> dict[str, str]:
    """{field: message} for each field that is empty, too long or not a working template."""
    errors = {}
    sample = sandbox.sample_values()
    for field in sandbox.TEMPLATE_FIELDS:
        source = parts.get(field) or ""
        if not source.strip():
            errors[field] = "This cannot be empty."
            continue
        too_long = _too_long(field, source)
        if too_long:
            errors[field] = too_long
            continue
        problem = sandbox.check(field, source, sample)
        if problem:
            errors[field] = problem
    return errors


def save_template(event, slot: str, lang: str, *, subject: str, html_body: str, text_body: str, actor) -> EmailTemplate:
    """Store the operator's version; raises TemplateInvalid (nothing written) when a field is broken."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    parts = {"subject": subject.strip(), "html_body": html_body, "text_body": text_body}
    errors = validate(parts)
    if errors:
        raise TemplateInvalid(errors)
    with db.atomic():
        row = stored_template(event, slot, lang) or EmailTemplate(
            organization=event.organization_id, event=event, slot=slot, locale=lang
        )
        changes = audit.diff(row, parts)
        row.updated_by, row.updated_at = actor, utcnow()
        row.save()
        audit.record(
            event.organization_id,
            "mail.template_save",
            user=actor,
            target=event,
            summary=stored_text(
                "Email “%(slot)s” (%(lang)s) of %(event)s",
                slot=stored_word(SLOT_WORDS, slot),
                lang=stored_word(LANGUAGE_WORDS, lang),
                event=event.name,
            ),
            changes={k: ["…", "…"] for k in changes},  # the texts themselves are too long for the trail
        )
    return row


def reset_template(event, slot: str, lang: str, *, actor) -> None:
    """Back to the built-in default."""
    with db.atomic():
        deleted = (
            EmailTemplate.delete()
            .where((EmailTemplate.event == event) & (EmailTemplate.slot == slot) & (EmailTemplate.locale == lang))
            .execute()
        )
        if deleted:
            audit.record(
                event.organization_id,
                "mail.template_reset",
                user=actor,
                target=event,
                summary=stored_text(
                    "Email “%(slot)s” (%(lang)s) of %(event)s reset to the default",
                    slot=stored_word(SLOT_WORDS, slot),
                    lang=stored_word(LANGUAGE_WORDS, lang),
                    event=event.name,
                ),
            )


# ---------------------------------------------------------------------------------------------
# Senders


def mail_settings(event) -> EventMailSettings:
    found = EventMailSettings.get_or_none(EventMailSettings.event == event)
    return found or EventMailSettings(organization=event.organization_id, event=event)


def save_mail_settings(event, *, actor, **values) -> EventMailSettings:
    with db.atomic():
        row = mail_settings(event)
        changes = audit.diff(row, values)
        if changes or row.id is None:
            row.updated_at = utcnow()
            row.save()
            audit.record(
                event.organization_id,
                "mail.settings",
                user=actor,
                target=event,
                summary=stored_text("Email settings of %(event)s", event=event.name),
                changes=changes,
            )
    return row


def sender(event) -> dict:
    """from_name / from_email / reply_to for queue_email (which falls back to the instance's
    sender when the address is not on a verified domain)."""
    settings = mail_settings(event)
    org = event.organization
    return {
        "from_name": settings.sender_name or org.name,
        "from_email": settings.sender_email or None,
        "reply_to": settings.reply_to or settings.sender_email or org.reply_to,
    }


# ---------------------------------------------------------------------------------------------
# Placeholder values and rendering


def context_for(registrant, *, checkin=None) -> dict:
    """The documented placeholders for one registrant: plain strings in plain dicts."""
    order = registrant.order
    event = registrant.event
    org = event.organization
    lang = display.language(order.locale)
    when = display.when(event, lang)
    return {
        "attendee": {
            "name": registrant.name,
            "first_name": (registrant.name.split() or [""])[0],
            "email": registrant.email,
            "ticket_type": display.translated(registrant.product, "name", lang),
        },
        "event": {
            "name": display.translated(event, "name", lang),
            "date": when["date"],
            "time": when["time"],
            "when": when["span"],
            "timezone": when["timezone"],
            "venue": event.venue_name,
            "address": " ".join(event.venue_address.split()),
            "online_url": event.online_url,
            "url": links.event_url(event),
        },
        "order": {
            "code": order.code,
            "total": display.price(order.total, order.currency, lang),
            "free": "yes" if order.total <= 0 else "",
            "buyer_name": order.buyer_name,
            "url": links.order_url(order),
        },
        "organization": {"name": org.name, "email": org.reply_to or ""},
        "checkin": {
            "time": display.moment(checkin.created_at, event.timezone, lang) if checkin else "",
            "gate": (checkin.gate or "") if checkin else "",
        },
        "ticket_url": links.ticket_url(registrant),
        "wallet": links.wallet_urls(registrant),
        "unsubscribe_url": "",  # set for promotional emails (automations)
    }


def render_email(event, slot: str, lang: str, context: dict, parts: dict | None = None) -> dict[str, str]:
    """The email for `slot` with these placeholder values; the HTML in the event's branded frame.
    With an `unsubscribe_url` in the context (promotional email), a template that does not link it
    gets a footer with it."""
    rendered = sandbox.render(parts or template_parts(event, slot, lang), context)
    footer = _unsubscribe_footer(context, lang)
    if footer and context["unsubscribe_url"] not in rendered["text_body"]:
        rendered["text_body"] = f"{rendered['text_body'].rstrip()}\n\n-- \n{footer['reason']}\n{footer['text']}\n"
    rendered["html_body"] = render_template(
        "email/mail/layout.html",
        body=rendered["html_body"],
        subject=rendered["subject"],
        org=event.organization,
        lang=lang,
        unsubscribe=footer if footer and context["unsubscribe_url"] not in rendered["html_body"] else None,
    )
    return rendered


def _unsubscribe_footer(context: dict, lang: str) -> dict[str, str] | None:
    url = context.get("unsubscribe_url") or ""
    if not url:
        return None
    texts = defaults.UNSUBSCRIBE_FOOTER.get(lang) or defaults.UNSUBSCRIBE_FOOTER["en"]
    event_name = (context.get("event") or {}).get("name", "")
    return {
        "reason": texts["reason"].format(event=event_name),
        "link": texts["link"],
        "text": texts["text"].format(url=url),
        "url": url,
    }


def preview(event, parts: dict[str, str], lang: str, slot: str = "preview") -> dict[str, str] | dict:
    """What the email looks like with sample values for this event; {"errors": {...}} if broken.
    A promotional `slot` (automation) shows its unsubscribe footer too."""
    errors = validate(parts)
    if errors:
        return {"errors": errors}
    context = sandbox.sample_values()
    if not defaults.is_promotional_slot(slot):
        context["unsubscribe_url"] = ""
    when = display.when(event, lang)
    context["event"].update(
        name=display.translated(event, "name", lang),
        date=when["date"],
        time=when["time"],
        when=when["span"],
        timezone=when["timezone"],
        venue=event.venue_name,
        address=" ".join(event.venue_address.split()),
        online_url=event.online_url,
        url=links.event_url(event),
    )
    context["organization"] = {"name": event.organization.name, "email": event.organization.reply_to or ""}
    return render_email(event, "preview", lang, context, parts)
