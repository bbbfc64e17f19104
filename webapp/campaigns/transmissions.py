"""Single sends: one message to one recipient through the API, from a campaign template
(CampaignTemplate, `template_id`), a copy of a campaign's body (`campaign_id`) or a subject and
body given, with the caller's `metadata`, which every webhook
about the message carries back. The message is an outbox row (kind "transmission") delivered by
the mail worker like any other; its opens, clicks, delivery and bounce fire the campaign.*
webhooks."""

from __future__ import annotations

from webapp.accounts.models import Organization
from webapp.campaigns import blocks, campaign_templates, compose
from webapp.campaigns.models import Campaign, Transmission
from webapp.campaigns.templates_model import CampaignTemplate
from webapp.contacts.models import Contact
from webapp.contacts.rules import normalize_email
from webapp.db import db
from webapp.i18n import _
from webapp.mail import sandbox
from webapp.mail.service import queue_email

KIND = "transmission"


class TransmissionError(ValueError):
    def __init__(self, fields: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


def send(
    org: Organization,
    *,
    to: str,
    to_name: str = "",
    subject: str | None = None,
    html: str | None = None,
    text: str | None = None,
    template_id: int | None = None,
    campaign_id: int | None = None,
    from_email: str | None = None,
    from_name: str | None = None,
    reply_to: str | None = None,
    metadata: dict | None = None,
) -> Transmission:
    """Queue the message (delivered after the commit); TransmissionError names bad fields.
    `template_id`: a campaign template's subject and body; `campaign_id`: a campaign's subject,
    body and sender; what is given besides replaces theirs."""
    if template_id is not None and campaign_id is not None:
        raise TransmissionError({"template_id": _("Give template_id or campaign_id, not both.")})
    source = _source(org, template_id, campaign_id)
    parts = _parts(subject, html, text, source)
    if isinstance(source, Campaign) and from_email is None:
        from_email, from_name, reply_to = (
            source.from_email or None,
            source.from_name or None,
            source.reply_to or None,
        )
    errors = {}
    for field, source in parts.items():
        problem = sandbox.check(field, source, compose.sample_values(org), compose.PLACEHOLDERS)
        if problem:
            errors[field] = problem
    if errors:
        raise TransmissionError(errors)
    address = normalize_email(to)
    contact = Contact.get_or_none((Contact.organization == org.id) & (Contact.email == address))
    person = contact or Contact(name=to_name, email=address)
    values = {
        "contact": {
            k: v
            for k, v in {
                "first_name": (person.name.split() or [""])[0],
                "name": person.name,
                "email": person.email,
                "company": person.company,
            }.items()
            if v
        },
        "organization": {"name": org.name, "email": org.reply_to or "", "address": org.postal_address},
        "unsubscribe_url": "",
    }
    rendered = {field: sandbox.lenient_template(field, source).render(values) for field, source in parts.items()}
    with db.atomic():
        row = queue_email(
            kind=KIND,
            to_email=address,
            to_name=to_name or person.name,
            subject=" ".join(rendered["subject"].split())[:500],
            text_body=rendered["text_body"].strip() + "\n",
            html_body=sandbox.clean_html(rendered["html_body"]) if rendered["html_body"].strip() else None,
            organization=org,
            from_email=from_email,
            from_name=from_name,
            reply_to=reply_to,
            send_key=KIND,
        )
        return Transmission.create(organization=org, outbox_id=row.id, metadata=metadata or {})


def _source(org: Organization, template_id: int | None, campaign_id: int | None) -> dict | Campaign | None:
    """The template's parts, the campaign, or None (both looked up in the organization only)."""
    if template_id is not None:
        template = CampaignTemplate.get_or_none(
            (CampaignTemplate.id == template_id) & (CampaignTemplate.organization == org.id)
        )
        if template is None:
            raise TransmissionError({"template_id": _("No such campaign template in this organization.")})
        try:
            body = campaign_templates.template_body(template)
        except campaign_templates.TemplateError as exc:
            raise TransmissionError({"template_id": f"The template cannot be used: {exc}"}) from None
        return {"subject": template.subject, "html_body": body.html, "text_body": body.generated_text}
    if campaign_id is not None:
        campaign = Campaign.get_or_none((Campaign.id == campaign_id) & (Campaign.organization == org.id))
        if campaign is None:
            raise TransmissionError({"campaign_id": _("No such campaign in this organization.")})
        return campaign
    return None


def _parts(subject, html, text, source: dict | Campaign | None) -> dict[str, str]:
    if source is not None:
        parts = compose.template_parts(source) if isinstance(source, Campaign) else source
        return {
            "subject": subject or parts["subject"],
            "html_body": html if html is not None else parts["html_body"],
            "text_body": text or parts["text_body"],
        }
    errors = {}
    if not subject:
        errors["subject"] = "Give a subject (or a template_id or campaign_id)."
    if not html and not text:
        errors["html"] = "Give html or text (or a template_id or campaign_id)."
    if errors:
        raise TransmissionError(errors)
    return {"subject": subject, "html_body": html or "", "text_body": text or blocks.html_to_text(html or "")}
