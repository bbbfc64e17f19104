"""The rules of a campaign: create and edit a draft, duplicate, launch (now or at a time), cancel
a schedule, pause and resume. The console and the API both call these; a state that does not
allow the action raises lifecycle.TransitionError (the API's 409)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from webapp.accounts import audit
from webapp.accounts.models import Organization, User
from webapp.campaigns import audience, compose, composer, delivery, lifecycle
from webapp.campaigns.models import Campaign
from webapp.campaigns.templates_model import CampaignTemplate
from webapp.db import db, utcnow
from webapp.email_address import is_valid_email
from webapp.guards import has_control_characters
from webapp.i18n import StoredText, _, stored_text
from webapp.mail.domains import verified_domain
from webapp.projects.models import Project

EDITABLE = (
    "name",
    "subject",
    "from_name",
    "from_email",
    "reply_to",
    "preheader",
    "body_html",
    "body_text",
    "body_blocks",
    "template_id",
    "audience",
    "send_at",
    "send_time_optimization",
    "track_opens",
    "track_clicks",
    "category",
    "project_id",
)
LIMITS = {
    "name": 200,
    "subject": 500,
    "from_name": 200,
    "from_email": 254,
    "reply_to": 254,
    "preheader": 300,
    "category": 80,
}
ONE_LINE = ("name", "subject", "from_name", "from_email", "reply_to", "preheader", "category")
BODY = ("body_blocks", "body_html", "body_text")
_BODY_FIELDS = {"blocks": "body_blocks", "html": "body_html", "text": "body_text"}


class CampaignError(ValueError):
    """Values that cannot be used: field -> message."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


def _clean(org: Organization, values: dict[str, Any], campaign: Campaign | None = None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    org_id = org.id
    for key, value in values.items():
        if key not in EDITABLE or key in BODY:
            continue
        if key in LIMITS:
            value = (value or "").strip()
            if len(value) > LIMITS[key]:
                errors[key] = _("At most %(n)s characters.", n=LIMITS[key])
            elif key in ONE_LINE and has_control_characters(value):
                errors[key] = "One line, without control characters."
            elif key in ("from_email", "reply_to") and value:
                if not is_valid_email(value):
                    errors[key] = "Enter an email address such as ana@example.org."
        elif key in ("send_time_optimization", "track_opens", "track_clicks"):
            value = bool(value)
        elif key == "template_id" and value is not None:
            template = CampaignTemplate.for_org(org_id).where(CampaignTemplate.id == value)
            if not template.exists():
                errors[key] = "No such campaign template in this organization."
        elif key == "project_id" and value is not None:
            if not Project.for_org(org_id).where(Project.id == value).exists():
                errors[key] = "No such project in this organization."
        elif key == "audience":
            try:
                value = audience.clean(org_id, value)
            except audience.AudienceError as exc:
                errors[exc.field] = exc.message
        out[key] = value
    if "name" in out and not out["name"]:
        errors["name"] = "Give the campaign a name."
    try:
        out.update(_body(org, values, campaign, out.get("subject")))
    except composer.BodyInvalid as exc:
        errors[_BODY_FIELDS[exc.field]] = " ".join(exc.errors)
    if errors:
        raise CampaignError(errors)
    return out


def _body(org: Organization, values: dict[str, Any], campaign: Campaign | None, subject: str | None) -> dict:
    """The body as the composer makes it (composer.clean_body, as in the console): blocks checked
    and rendered into body_html, or raw HTML kept; the plain text as written. Fields not given
    keep the campaign's (blocks given replace its HTML; null blocks: raw HTML)."""
    if not any(key in values for key in BODY):
        return {}

    def given(key: str):
        return values[key] if key in values else getattr(campaign, key, None)

    blocks = given("body_blocks")
    body = composer.clean_body(
        org,
        blocks=blocks,
        html=None if blocks is not None else given("body_html"),
        text=given("body_text"),
        subject=subject if subject is not None else getattr(campaign, "subject", ""),
    )
    return {"body_blocks": body.blocks, "body_html": body.html, "body_text": body.text}


def create(
    org: Organization,
    values: dict[str, Any],
    *,
    actor: User | None = None,
    actor_label: str | None = None,
    summary: StoredText | None = None,
) -> Campaign:
    """A new draft; `summary` says in the audit log how it came (a template...)."""
    cleaned = _clean(org, {"name": values.get("name", ""), **values})
    with db.atomic():
        campaign = Campaign.create(organization=org, created_by=actor, **cleaned)
        audit.record(
            org.id,
            "campaign.create",
            user=actor,
            actor=actor_label,
            target=campaign,
            summary=summary or stored_text("Created “%(campaign)s”", campaign=campaign.name),
        )
    return campaign


def update(
    campaign: Campaign, values: dict[str, Any], *, actor: User | None = None, actor_label: str | None = None
) -> Campaign:
    """Change a draft (only a draft is editable)."""
    lifecycle.target(campaign, "edit")
    cleaned = _clean(campaign.organization, values, campaign)
    with db.atomic():
        lifecycle.move(campaign, "edit", updated_at=utcnow(), **cleaned)
        audit.record(
            campaign.organization_id, "campaign.update", user=actor, actor=actor_label, target=campaign,
            summary=stored_text("Edited “%(campaign)s”", campaign=campaign.name), changes={k: "changed" for k in cleaned},
        )  # fmt: skip
    return campaign


def duplicate(campaign: Campaign, *, actor: User | None = None, actor_label: str | None = None) -> Campaign:
    """A new draft with the same content and audience (any state can be copied)."""
    values = {key: getattr(campaign, key) for key in EDITABLE if key != "send_at"}
    values["name"] = f"{campaign.name} (copy)"[:200]
    with db.atomic():
        copy = Campaign.create(organization=campaign.organization_id, created_by=actor, **values)
        audit.record(
            campaign.organization_id, "campaign.duplicate", user=actor, actor=actor_label, target=copy,
            summary=stored_text("Copied “%(campaign)s”", campaign=campaign.name),
        )  # fmt: skip
    return copy


def launch_problems(campaign: Campaign) -> dict[str, str]:
    """Why the campaign cannot be sent yet (field -> message); empty when it can."""
    problems: dict[str, str] = {}
    org = campaign.organization
    if not campaign.from_email:
        problems["from_email"] = "Give the address the campaign is sent from."
    elif verified_domain(org.id, campaign.from_email) is None:
        problems["from_email"] = "Send from an address on a verified sending domain of the organization."
    if not campaign.subject.strip():
        problems["subject"] = "Give the campaign a subject."
    if not campaign.body_html.strip():
        problems["body_html"] = "Write the campaign's message."
    if audience.is_empty(campaign.audience):
        problems["audience"] = "Choose who the campaign goes to."
    problems.update({k: v for k, v in compose.check(campaign, org).items() if k not in problems})
    return problems


def send(
    campaign: Campaign,
    *,
    send_at: dt.datetime | None = None,
    actor: User | None = None,
    actor_label: str | None = None,
    now: dt.datetime | None = None,
) -> Campaign:
    """Launch: at `send_at` (scheduled) or now. TransitionError if not a draft (a scheduled one
    may be sent now), CampaignError when it is not ready."""
    now = now or utcnow()
    action = "schedule" if send_at is not None and send_at > now else "send"
    lifecycle.target(campaign, action)
    problems = launch_problems(campaign)
    if problems:
        raise CampaignError(problems)
    with db.atomic():
        if action == "schedule":
            lifecycle.move(campaign, "schedule", send_at=send_at, updated_at=now)
            summary = stored_text(
                "Scheduled “%(campaign)s” for %(when)s UTC",
                campaign=campaign.name,
                when=format(send_at, "%Y-%m-%d %H:%M"),
            )
        else:
            lifecycle.move(campaign, "send", sent_at=now, send_at=campaign.send_at or now, updated_at=now)
            delivery.start(campaign, user_id=getattr(actor, "id", None))
            summary = stored_text("Started sending “%(campaign)s”", campaign=campaign.name)
        audit.record(
            campaign.organization_id,
            f"campaign.{action}",
            user=actor,
            actor=actor_label,
            target=campaign,
            summary=summary,
        )
    return campaign


def cancel_schedule(
    campaign: Campaign, *, actor: User | None = None, actor_label: str | None = None, now: dt.datetime | None = None
) -> Campaign:
    """A scheduled campaign back to draft, until its send time."""
    now = now or utcnow()
    lifecycle.target(campaign, "cancel_schedule")
    if campaign.send_at is not None and campaign.send_at <= now:
        raise lifecycle.TransitionError("cancel_schedule", "sending")  # its time has come: it is going out
    with db.atomic():
        lifecycle.move(campaign, "cancel_schedule", updated_at=now)
        audit.record(
            campaign.organization_id, "campaign.cancel_schedule", user=actor, actor=actor_label, target=campaign,
            summary=stored_text("Canceled the schedule of “%(campaign)s”", campaign=campaign.name),
        )  # fmt: skip
    return campaign


def pause(campaign: Campaign, *, actor: User | None = None, actor_label: str | None = None) -> Campaign:
    with db.atomic():
        who = actor_label or getattr(actor, "email", None)
        delivery.pause(
            campaign,
            reason=stored_text("Paused by %(who)s", who=who) if who else stored_text("Paused by an operator"),
        )
        audit.record(
            campaign.organization_id,
            "campaign.pause",
            user=actor,
            actor=actor_label,
            target=campaign,
            summary=stored_text("Paused “%(campaign)s”", campaign=campaign.name),
        )
    return campaign


def resume(campaign: Campaign, *, actor: User | None = None, actor_label: str | None = None) -> Campaign:
    with db.atomic():
        delivery.resume(campaign, user_id=getattr(actor, "id", None))
        audit.record(
            campaign.organization_id,
            "campaign.resume",
            user=actor,
            actor=actor_label,
            target=campaign,
            summary=stored_text("Resumed “%(campaign)s”", campaign=campaign.name),
        )
    return campaign


def for_newsletter(org_id: int, newsletter_id: int) -> list[Campaign]:
    """The organization's campaigns whose audience is this newsletter's subscribers, newest first
    (the audience is stored as sorted JSON, so its key reads the same in every row)."""
    key = f'"newsletter_id":{int(newsletter_id)}'
    return list(
        Campaign.for_org(org_id)
        .where(Campaign.audience.contains(key + ",") | Campaign.audience.contains(key + "}"))
        .order_by(Campaign.created_at.desc(), Campaign.id.desc())
    )
