"""Reusable campaign templates: create, change, list and delete them, save a campaign's body as
one, and start a new draft campaign from one."""

from __future__ import annotations

import peewee as pw

from webapp.accounts import audit
from webapp.accounts.models import Organization, User
from webapp.campaigns import service
from webapp.campaigns.composer import Body, BodyInvalid, clean_body, clean_line
from webapp.campaigns.models import Campaign
from webapp.campaigns.templates_model import CampaignTemplate
from webapp.db import db, utcnow
from webapp.i18n import _, stored_text, verbatim

NAME_LENGTH = 200


class TemplateError(ValueError):
    """A template that cannot be saved as given; `field` names the input at fault."""

    def __init__(self, message: str, field: str | None = None, errors: list[str] | None = None):
        super().__init__(message)
        self.field = field
        self.errors = errors or [message]


def list_templates(org_id: int):
    """The organization's templates, by name."""
    return CampaignTemplate.for_org(org_id).order_by(pw.fn.LOWER(CampaignTemplate.name), CampaignTemplate.id)


def get_template(org_id: int, template_id: int) -> CampaignTemplate:
    """One template of the organization, or CampaignTemplate.DoesNotExist (another organization's
    template does not exist for it)."""
    return CampaignTemplate.get((CampaignTemplate.id == template_id) & (CampaignTemplate.organization == org_id))


def _clean_name(org_id: int, name, template: CampaignTemplate | None = None) -> str:
    cleaned = " ".join(str(name or "").split())
    if not cleaned:
        raise TemplateError(_("Give the template a name."), "name")
    if len(cleaned) > NAME_LENGTH:
        raise TemplateError(_("At most %(n)d characters.", n=NAME_LENGTH), "name")
    taken = CampaignTemplate.for_org(org_id).where(pw.fn.LOWER(CampaignTemplate.name) == cleaned.lower())
    if template is not None:
        taken = taken.where(CampaignTemplate.id != template.id)
    if taken.exists():
        raise TemplateError(_("Another template has this name."), "name")
    return cleaned


def _body(org: Organization, *, blocks, html, text, subject: str) -> Body:
    try:
        return clean_body(org, blocks=blocks, html=html, text=text, subject=subject)
    except BodyInvalid as exc:
        raise TemplateError(str(exc), exc.field, exc.errors) from None


def _lines(subject, preheader) -> tuple[str, str]:
    try:
        return clean_line(subject, "subject", 500), clean_line(preheader, "preheader", 300)
    except BodyInvalid as exc:
        raise TemplateError(str(exc), exc.field) from None


def create_template(
    org: Organization,
    *,
    name: str,
    subject: str = "",
    preheader: str = "",
    blocks=None,
    html: str | None = None,
    text: str | None = None,
    actor: User | None = None,
    actor_label: str | None = None,
) -> CampaignTemplate:
    """A new template: composed with `blocks` (a list or its JSON), or raw `html`. TemplateError
    names the field at fault."""
    subject, preheader = _lines(subject, preheader)
    body = _body(org, blocks=blocks, html=html, text=text, subject=subject)
    with db.atomic():
        template = CampaignTemplate.create(
            organization=org.id,
            name=_clean_name(org.id, name),
            subject=subject,
            preheader=preheader,
            body_blocks=body.blocks,
            body_html=body.html,
            body_text=body.text,
            created_by=actor,
        )
        audit.record(
            org.id,
            "campaign_template.create",
            user=actor,
            actor=actor_label,
            target=template,
            summary=verbatim(template.name),
        )
    return template


_UNSET = object()


def update_template(
    template: CampaignTemplate,
    *,
    name=_UNSET,
    subject=_UNSET,
    preheader=_UNSET,
    blocks=_UNSET,
    html=_UNSET,
    text=_UNSET,
    actor: User | None = None,
    actor_label: str | None = None,
) -> dict:
    """Change what is given (blocks or html switch the body's mode); returns {field: [old, new]}."""
    org = template.organization
    values: dict = {}
    if name is not _UNSET:
        values["name"] = _clean_name(org.id, name, template)
    new_subject, new_preheader = _lines(
        template.subject if subject is _UNSET else subject, template.preheader if preheader is _UNSET else preheader
    )
    values["subject"], values["preheader"] = new_subject, new_preheader
    if blocks is not _UNSET or html is not _UNSET or text is not _UNSET:
        if blocks is _UNSET and html is _UNSET:
            blocks = template.body_blocks
            html = template.body_html if blocks is None else None
        body = _body(
            org,
            blocks=None if blocks is _UNSET else blocks,
            html=None if html is _UNSET else html,
            text=template.body_text if text is _UNSET else text,
            subject=new_subject,
        )
        values.update(body_blocks=body.blocks, body_html=body.html, body_text=body.text)
    with db.atomic():
        changes = audit.diff(template, values)
        if changes:
            for field in ("body_blocks", "body_html", "body_text"):
                if field in changes:
                    changes[field] = ["(previous body)", "(new body)"]
            template.updated_at = utcnow()
            template.save()
            audit.record(
                org.id,
                "campaign_template.update",
                user=actor,
                actor=actor_label,
                target=template,
                summary=verbatim(template.name),
                changes=changes,
            )
    return changes


def delete_template(template: CampaignTemplate, *, actor: User | None = None, actor_label: str | None = None) -> None:
    """Delete the template; campaigns started from it keep their own copy of its body."""
    with db.atomic():
        audit.record(
            template.organization_id,
            "campaign_template.delete",
            user=actor,
            actor=actor_label,
            target=template,
            summary=verbatim(template.name),
        )
        template.delete_instance()


def save_campaign_as_template(
    campaign: Campaign, *, name: str, actor: User | None = None, actor_label: str | None = None
) -> CampaignTemplate:
    """A new template with the campaign's subject, preheader and body."""
    org = campaign.organization
    return create_template(
        org,
        name=name,
        subject=campaign.subject,
        preheader=campaign.preheader,
        blocks=campaign.body_blocks,
        html=None if campaign.body_blocks is not None else campaign.body_html,
        text=campaign.body_text,
        actor=actor,
        actor_label=actor_label,
    )


def template_body(template: CampaignTemplate) -> Body:
    """The template's body as it goes out now: its blocks rendered again (an event card shows the
    event as it is today), or its raw HTML; the plain text as written or made from the HTML."""
    return _body(
        template.organization,
        blocks=template.body_blocks,
        html=template.body_html if template.body_blocks is None else None,
        text=template.body_text,
        subject=template.subject,
    )


def start_campaign(
    template: CampaignTemplate,
    *,
    name: str | None = None,
    actor: User | None = None,
    actor_label: str | None = None,
) -> Campaign:
    """A new draft campaign with the template's subject, preheader and body (its blocks rendered
    again now, so an event card shows the event as it is today)."""
    values = {
        "name": " ".join(str(name or "").split())[:200] or template.name,
        "subject": template.subject,
        "preheader": template.preheader,
        "body_blocks": template.body_blocks,
        "body_html": template.body_html if template.body_blocks is None else "",
        "body_text": template.body_text,
        "template_id": template.id,
    }
    try:
        return service.create(
            template.organization,
            values,
            actor=actor,
            actor_label=actor_label,
            summary=stored_text(
                "%(campaign)s, from the template %(template)s", campaign=values["name"], template=template.name
            ),
        )
    except service.CampaignError as exc:
        field, message = next(iter(exc.fields.items()))
        raise TemplateError(message, field) from None
