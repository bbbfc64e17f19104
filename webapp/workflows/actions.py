"""What a workflow's action steps do to one contact, inside the run's transaction: the email is an
outbox row, the label and stage changes go through the Contact Book, the webhook is a signal the
API layer turns into signed deliveries — so each happens exactly when the step is recorded done."""

from __future__ import annotations

from dataclasses import dataclass

from webapp import signals
from webapp.contacts import service as contacts
from webapp.contacts.models import Contact, Label
from webapp.contacts.rules import stage_label
from webapp.i18n import StoredText, _, stored_label, stored_text, verbatim
from webapp.mail import consent, content, links
from webapp.mail.models import EmailTemplate
from webapp.mail.service import queue_email
from webapp.tickets import display
from webapp.workflows.models import Workflow, WorkflowRun

EMAIL_KIND = "workflow"  # the outbox kind of a workflow's email (promotional: webapp/mail/consent.py)


class StepFailed(Exception):
    """The step cannot be done (what it names is gone); the run fails with this reason."""


@dataclass(frozen=True)
class Done:
    outcome: str  # a code the console shows in words (webapp/workflows/views_console.py)
    detail: StoredText | None = None  # for the timeline and the run's history, in the reader's language


def perform(workflow: Workflow, run: WorkflowRun, contact: Contact, index: int, step: dict) -> Done:
    kind = step["kind"]
    if kind == "send_email":
        return _send_email(workflow, contact, step)
    if kind in ("add_label", "remove_label"):
        label = Label.get_or_none((Label.id == step["label_id"]) & (Label.organization == workflow.organization_id))
        if label is None:
            raise StepFailed(_("The label no longer exists."))
        if kind == "add_label":
            changed = contacts.add_label(contact, label.name)
            return Done("label_added" if changed else "unchanged", stored_text("label %(label)s", label=label.name))
        changed = contacts.remove_label(contact, label.name)
        return Done("label_removed" if changed else "unchanged", stored_text("label %(label)s", label=label.name))
    if kind == "set_stage":
        changed = contacts.set_stage(contact, step["stage"], source=f"workflow:{workflow.id}")
        stage = stored_label(stage_label(step["stage"]))
        return Done("stage_set" if changed else "unchanged", stored_text("stage %(stage)s", stage=stage))
    if kind == "webhook":
        signals.emit(signals.workflow_webhook, run_id=run.id, step=index)
        return Done("webhook", verbatim(step["name"]))
    raise StepFailed(_("Unknown step %(kind)s.", kind=repr(kind)))


def _send_email(workflow: Workflow, contact: Contact, step: dict) -> Done:
    template = EmailTemplate.get_or_none(
        (EmailTemplate.id == step["template_id"]) & (EmailTemplate.organization == workflow.organization_id)
    )
    if template is None:
        raise StepFailed(_("The email template no longer exists."))
    event = template.event
    lang = template.locale if template.locale in display.LANGUAGES else "en"
    recipient = consent.recipient(workflow.organization_id, contact.email)
    parts = {"subject": template.subject, "html_body": template.html_body, "text_body": template.text_body}
    rendered = content.render_email(event, template.slot, lang, _context(contact, event, lang, recipient), parts)
    message = queue_email(
        kind=EMAIL_KIND,
        to_email=contact.email,
        to_name=contact.name,
        subject=rendered["subject"],
        text_body=rendered["text_body"],
        html_body=rendered["html_body"],
        organization=event.organization,
        event_id=event.id,
        unsubscribe_url=recipient.unsubscribe_url,
        skip_reason=recipient.skip_reason,
        send_key=f"workflow:{workflow.id}",
        **content.sender(event),
    )
    if recipient.skip_reason:
        return Done("email_skipped", stored_label(recipient.skip_reason or ""))
    return Done(
        "email_queued", stored_text("“%(subject)s” (outbox %(id)s)", subject=rendered["subject"], id=message.id)
    )


def _context(contact: Contact, event, lang: str, recipient: consent.Recipient) -> dict:
    """The template's placeholders for a contact: the person, and the event the template belongs to
    (order, ticket and check-in placeholders are empty: a workflow email is about no order)."""
    when = display.when(event, lang)
    org = event.organization
    return {
        "attendee": {
            "name": contact.name,
            "first_name": (contact.name.split() or [""])[0],
            "email": contact.email,
            "ticket_type": "",
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
        "order": {"code": "", "total": "", "free": "", "buyer_name": contact.name, "url": ""},
        "organization": {"name": org.name, "email": org.reply_to or ""},
        "checkin": {"time": "", "gate": ""},
        "ticket_url": "",
        "unsubscribe_url": recipient.unsubscribe_url or "",
    }
