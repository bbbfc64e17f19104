"""Who a campaign goes to, counted live and resolved once at send time.

An audience (models.empty_audience) becomes a segment condition tree: (all subscribed contacts,
or any included label, segment or event registrant state) and no excluded label or segment. The
segments' compiler turns it into one expression over Contact, so counting is one COUNT query and
resolving is INSERT ... SELECT in keyset batches over contact ids.

Contacts who unsubscribed, bounced, complained or have not confirmed their subscription are
always left out: at resolution they get a recipient row "skipped" with the reason, so the report
says who was not sent to and why.
"""

from __future__ import annotations

import peewee as pw

from webapp.campaigns.models import REGISTRANT_STATES, Campaign, CampaignRecipient, empty_audience
from webapp.contacts.models import Contact, Label
from webapp.contacts.newsletter_models import Newsletter, NewsletterSubscription
from webapp.db import utcnow
from webapp.events.models import Event
from webapp.i18n import _
from webapp.projects.models import Project, ProjectEvent
from webapp.segments import query
from webapp.segments.models import Segment
from webapp.segments.tree import validate

MAX_IDS = 100  # labels or segments in one list
RESOLVE_BATCH = 5000

# A registrant state as a segment condition about one event.
_STATE_CONDITIONS = {
    "registered": {"dimension": "registered", "operator": "exists"},
    "paid": {"dimension": "order_status", "operator": "any_of", "value": ["paid"]},
    "pending_payment": {"dimension": "order_status", "operator": "any_of", "value": ["pending"]},
    "attended": {"dimension": "attended", "operator": "exists"},
    "no_show": {"dimension": "no_show", "operator": "exists"},
}
assert set(_STATE_CONDITIONS) == set(REGISTRANT_STATES)


class AudienceError(ValueError):
    """An audience that cannot be used: `field` names the bad key (audience.include_labels[1])."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def _ids(raw, field: str, model, org_id: int) -> list[int]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise AudienceError(field, _("Give a list of ids."))
    if len(raw) > MAX_IDS:
        raise AudienceError(field, f"At most {MAX_IDS} ids.")
    for i, value in enumerate(raw):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**31 - 1:
            raise AudienceError(f"{field}[{i}]", _("Give an id (a whole number)."))
    wanted = list(dict.fromkeys(raw))
    found = {r.id for r in model.select(model.id).where((model.organization == org_id) & model.id.in_(wanted))}
    for i, value in enumerate(raw):
        if value not in found:
            raise AudienceError(f"{field}[{i}]", f"No such {model.__name__.lower()} in this organization.")
    return wanted


def _registrants(raw, org_id: int) -> dict | None:
    field = "audience.event_registrants"
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) - {"event_id", "states"}:
        raise AudienceError(field, _("Give an object with event_id and states."))
    event_id, states = raw.get("event_id"), raw.get("states")
    if isinstance(event_id, bool) or not isinstance(event_id, int) or not 1 <= event_id <= 2**31 - 1:
        raise AudienceError(f"{field}.event_id", _("Give an event id."))
    if not Event.select().where((Event.id == event_id) & (Event.organization == org_id)).exists():
        raise AudienceError(f"{field}.event_id", _("No such event in this organization."))
    if not isinstance(states, list) or not states:
        raise AudienceError(f"{field}.states", f"Choose one or more of {', '.join(REGISTRANT_STATES)}.")
    for i, state in enumerate(states):
        if state not in REGISTRANT_STATES:
            raise AudienceError(f"{field}.states[{i}]", f"Choose among {', '.join(REGISTRANT_STATES)}.")
    return {"event_id": event_id, "states": list(dict.fromkeys(states))}


def _one_id(raw, field: str, model, org_id: int) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 2**31 - 1:
        raise AudienceError(field, _("Give an id (a whole number)."))
    if not model.select().where((model.id == raw) & (model.organization == org_id)).exists():
        raise AudienceError(field, f"No such {model.__name__.lower()} in this organization.")
    return raw


def clean(org_id: int, raw) -> dict:
    """The normalized audience, or AudienceError naming the bad key."""
    if raw is None:
        return empty_audience()
    if not isinstance(raw, dict):
        raise AudienceError("audience", _("Give an object."))
    unknown = set(raw) - set(empty_audience())
    if unknown:
        raise AudienceError(f"audience.{sorted(unknown)[0]}", _("Unknown key."))
    everyone = raw.get("all_subscribed", False)
    if not isinstance(everyone, bool):
        raise AudienceError("audience.all_subscribed", _("Use true or false."))
    return {
        "all_subscribed": everyone,
        "include_labels": _ids(raw.get("include_labels"), "audience.include_labels", Label, org_id),
        "include_segments": _ids(raw.get("include_segments"), "audience.include_segments", Segment, org_id),
        "exclude_labels": _ids(raw.get("exclude_labels"), "audience.exclude_labels", Label, org_id),
        "exclude_segments": _ids(raw.get("exclude_segments"), "audience.exclude_segments", Segment, org_id),
        "event_registrants": _registrants(raw.get("event_registrants"), org_id),
        "project_id": _one_id(raw.get("project_id"), "audience.project_id", Project, org_id),
        "newsletter_id": _one_id(raw.get("newsletter_id"), "audience.newsletter_id", Newsletter, org_id),
    }


def _includes(audience: dict) -> bool:
    return bool(
        audience.get("include_labels")
        or audience.get("include_segments")
        or audience.get("event_registrants")
        or audience.get("project_id")
    )


def is_empty(audience: dict) -> bool:
    """Nobody is chosen: not everyone, no newsletter, and nothing included."""
    return not (audience.get("all_subscribed") or audience.get("newsletter_id") or _includes(audience))


def _condition(dimension: str, operator: str, value=None, **keys) -> dict:
    return {"type": "condition", "dimension": dimension, "operator": operator, "negate": False, "value": value, **keys}


def tree(audience: dict) -> dict:
    """The audience as a segment tree (not yet validated)."""
    included: list[dict] = []
    if audience.get("include_labels"):
        included.append(_condition("labels", "any_of", audience["include_labels"]))
    included += [_condition("segment", "member", ref) for ref in audience.get("include_segments") or []]
    registrants = audience.get("event_registrants")
    if registrants:
        for state in registrants["states"]:
            spec = _STATE_CONDITIONS[state]
            included.append(
                _condition(spec["dimension"], spec["operator"], spec.get("value"), event_id=registrants["event_id"])
            )
    for event_id in audience.get("project_event_ids") or []:
        included.append(_condition("registered", "exists", event_id=event_id))
    children: list[dict] = []
    # A newsletter alone means all its confirmed subscribers (`condition` narrows to them).
    if not audience.get("all_subscribed") and (_includes(audience) or not audience.get("newsletter_id")):
        children.append({"type": "group", "join": "or", "negate": False, "children": included})
    if audience.get("exclude_labels"):
        children.append(_condition("labels", "none_of", audience["exclude_labels"]))
    for ref in audience.get("exclude_segments") or []:
        children.append({**_condition("segment", "member", ref), "negate": True})
    return {"type": "group", "join": "and", "negate": False, "children": children}


def condition(org_id: int, audience: dict) -> pw.Node:
    """The audience as one expression over Contact, scoped to the organization. The tree is checked
    again here: a label or segment deleted since the audience was saved is left out, not an error."""
    audience = _existing(org_id, audience)
    expression = (Contact.organization == org_id) & query.condition(org_id, validate(org_id, tree(audience)))
    if audience.get("newsletter_id"):
        expression &= Contact.id.in_(
            NewsletterSubscription.select(NewsletterSubscription.contact).where(
                (NewsletterSubscription.newsletter == audience["newsletter_id"])
                & (NewsletterSubscription.organization == org_id)
                & (NewsletterSubscription.state == "confirmed")
            )
        )
    return expression


def _existing(org_id: int, audience: dict) -> dict:
    out = dict(audience)
    for key, model in (
        ("include_labels", Label),
        ("exclude_labels", Label),
        ("include_segments", Segment),
        ("exclude_segments", Segment),
    ):
        ids = audience.get(key) or []
        if ids:
            found = {r.id for r in model.select(model.id).where((model.organization == org_id) & model.id.in_(ids))}
            out[key] = [i for i in ids if i in found]
    registrants = audience.get("event_registrants")
    if (
        registrants
        and not Event.select().where((Event.id == registrants["event_id"]) & (Event.organization == org_id)).exists()
    ):
        out["event_registrants"] = None
    # A project's audience is the registrants of the events linked to it when the campaign is counted or sent.
    if audience.get("project_id"):
        out["project_event_ids"] = [
            row.event_id
            for row in ProjectEvent.select(ProjectEvent.event).where(
                (ProjectEvent.project == audience["project_id"]) & (ProjectEvent.organization == org_id)
            )
        ]
    if (
        audience.get("newsletter_id")
        and not Newsletter.select()
        .where((Newsletter.id == audience["newsletter_id"]) & (Newsletter.organization == org_id))
        .exists()
    ):
        out["newsletter_id"] = -1  # deleted since: nobody
    return out


def count(org_id: int, audience: dict) -> dict[str, int]:
    """{"recipients": will be sent to, "skipped": matched but unsubscribed/bounced/complained/
    pending, "matched": both} in one COUNT query."""
    if is_empty(audience):
        return {"recipients": 0, "skipped": 0, "matched": 0}
    active = pw.fn.SUM(pw.Case(None, [(Contact.status == "active", 1)], 0))
    matched, recipients = (
        Contact.select(pw.fn.COUNT(Contact.id), active).where(condition(org_id, audience)).tuples().get()
    )
    matched, recipients = matched or 0, recipients or 0
    return {"recipients": recipients, "skipped": matched - recipients, "matched": matched}


def resolve_batch(campaign: Campaign, after_contact_id: int, limit: int = RESOLVE_BATCH) -> int | None:
    """Insert the recipient rows of the next `limit` matching contacts after `after_contact_id`
    (keyset over contact ids), skipped ones with their reason. Returns the last contact id done,
    None when there were none left. Safe to run again (unique per campaign and contact)."""
    if is_empty(campaign.audience):
        return None
    where = condition(campaign.organization_id, campaign.audience) & (Contact.id > after_contact_id)
    last = (
        Contact.select(pw.fn.MAX(pw.SQL("q.id")))
        .from_(Contact.select(Contact.id).where(where).order_by(Contact.id).limit(limit).alias("q"))
        .scalar()
    )
    if last is None:
        return None
    now = utcnow()
    active = Contact.status == "active"
    rows = Contact.select(
        pw.Value(campaign.organization_id),
        pw.Value(campaign.id),
        Contact.id,
        Contact.email,
        pw.Case(None, [(active, "queued")], "skipped"),
        pw.Case(None, [(active, None)], Contact.status),
        pw.Value(0),
        pw.Value(0),
        pw.Value(now),
    ).where(where & (Contact.id <= last))
    fields = [
        CampaignRecipient.organization,
        CampaignRecipient.campaign,
        CampaignRecipient.contact,
        CampaignRecipient.email,
        CampaignRecipient.status,
        CampaignRecipient.skip_reason,
        CampaignRecipient.attempts,
        CampaignRecipient.soft_failures,
        CampaignRecipient.next_attempt_at,
    ]
    CampaignRecipient.insert_from(rows, fields).on_conflict_ignore().execute()
    return last
