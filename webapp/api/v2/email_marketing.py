"""Email campaigns over the API: /v2/email-marketing. A draft is created, changed only as a draft,
sent now or at `send_at`, its schedule canceled back to draft, duplicated, its audience counted,
previewed; reports per campaign and across campaigns; the per-recipient CSV as a job. An action
the campaign's state does not allow answers 409 naming the state."""

from __future__ import annotations

from flask import g

from webapp.api.framework import ApiError, invalid, not_found, operation
from webapp.api.schema import Array, Bool, DateTime, Field, Int, JsonObject, Line, Obj, Out, Str
from webapp.api.v1.common import actor_label, org
from webapp.campaigns import audience, compose, exports, lifecycle, reports, service
from webapp.campaigns.models import CAMPAIGN_STATES, Campaign
from webapp.contacts.models import Contact
from webapp.db import db
from webapp.storage import download
from webapp.work.models import Job

PREFIX = "/v2/email-marketing"
TAG = "Email marketing"
SCOPE = "campaigns"


class Number(Field):
    """A number in an answer (rates between 0 and 1)."""

    json_type = "number"

    def convert(self, value, path, errors):  # answers only
        errors[path or "body"] = "Not accepted as input."


class Audience(JsonObject):
    def _schema(self, components):
        components.setdefault(
            "CampaignAudience",
            {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "all_subscribed": {"type": "boolean", "description": "Every subscribed contact."},
                    "include_labels": {"type": "array", "items": {"type": "integer"}},
                    "include_segments": {"type": "array", "items": {"type": "integer"}},
                    "exclude_labels": {"type": "array", "items": {"type": "integer"}},
                    "exclude_segments": {"type": "array", "items": {"type": "integer"}},
                    "event_registrants": {
                        "type": ["object", "null"],
                        "properties": {
                            "event_id": {"type": "integer"},
                            "states": {
                                "type": "array",
                                "items": {"enum": ["registered", "paid", "pending_payment", "attended", "no_show"]},
                            },
                        },
                    },
                    "project_id": {
                        "type": ["integer", "null"],
                        "description": "The registrants of the events of this project.",
                    },
                    "newsletter_id": {
                        "type": ["integer", "null"],
                        "description": "Only confirmed subscribers of this newsletter (alone: all of them).",
                    },
                },
            },
        )
        return {"$ref": "#/components/schemas/CampaignAudience"}


_FIELDS = {
    "name": Line(min_length=1, max_length=200),
    "subject": Line(max_length=500, description='Sandboxed template: {{ contact.first_name | default("there") }}.'),
    "from_name": Line(max_length=200),
    "from_email": Str(max_length=254, description="Must be on a verified sending domain to send."),
    "reply_to": Str(max_length=254),
    "preheader": Line(max_length=300),
    "body_html": Str(max_length=500_000),
    "body_text": Str(max_length=200_000, description="Empty: made from the HTML."),
    "body_blocks": Array(
        JsonObject(max_bytes=65536),
        max_items=200,
        null=True,
        description="The composer's blocks (see the console's composer), checked (422 naming a bad block) "
        "and rendered into body_html; null: body_html is raw HTML.",
    ),
    "template_id": Int(minimum=1, null=True),
    "audience": Audience(max_bytes=16384),
    "send_at": DateTime(null=True, description="When to send (scheduling): RFC 3339 with an offset."),
    "send_time_optimization": Bool(),
    "track_opens": Bool(),
    "track_clicks": Bool(),
    "category": Line(max_length=80),
}
CampaignIn = Obj("CampaignCreate", _FIELDS, required=("name",))
CampaignOut = Out(
    "Campaign",
    {
        "id": Int(),
        "state": Str(enum=CAMPAIGN_STATES),
        **{key: field for key, field in _FIELDS.items()},
        "created_at": DateTime(),
        "updated_at": DateTime(),
        "sent_at": DateTime(null=True),
        "finished_at": DateTime(null=True),
        "reported_at": DateTime(null=True),
        "paused_reason": Str(null=True),
        "recipient_count": Int(),
    },
)
SendIn = Obj("CampaignSend", {"send_at": DateTime(null=True, description="Later: scheduled. Absent or past: now.")})
CountIn = Obj("CampaignCountRequest", {"audience": Audience(max_bytes=16384)})
CountOut = Out(
    "CampaignRecipientCount",
    {
        "recipients": Int(description="Will be sent to."),
        "skipped": Int(description="Chosen but unsubscribed, bounced, complained or not confirmed."),
        "matched": Int(),
    },
)
PreviewOut = Out("CampaignPreview", {"subject": Str(), "html": Str(), "text": Str()})
_Figures = Out(
    "CampaignFigures",
    {k: Int() for k in ("opens", "unique_opens", "clicks", "unique_clicks")}
    | {k: Number() for k in ("open_rate", "click_rate", "click_to_open")},
)
BasicOut = Out(
    "CampaignReport",
    {
        "campaign_id": Int(),
        "state": Str(),
        **{
            k: Int()
            for k in (
                "recipients",
                "queued",
                "skipped",
                "sent",
                "delivered",
                "failed",
                "bounced_hard",
                "bounced_soft",
                "unsubscribes",
                "complaints",
                "unique_opens_any",
                "unique_clicks_any",
            )
        },  # fmt: skip
        **{k: Number() for k in ("delivery_rate", "bounce_rate", "unsubscribe_rate", "complaint_rate")},
        "human": _Figures,
        "machine": _Figures,
        "frozen": Bool(description="Figures frozen when the engagement window closed."),
    },
)
LinkOut = Out("CampaignLinkReport", {"url": Str(), "clicks": Int(), "unique_clicks": Int(), "machine_clicks": Int()})
LinksOut = Out("CampaignLinks", {"data": Array(LinkOut)})
HourOut = Out("CampaignOpenHour", {"hour": Int(), "opens": Int()})
SeriesOut = Out("CampaignSeriesPoint", {"at": Str(), "opens": Int(), "clicks": Int()})
OpenTimeOut = Out(
    "CampaignOpenTime",
    {
        "timezone": Str(),
        "hours": Array(HourOut, description="People's opens by hour of day, organization time zone."),
        "series": Array(SeriesOut, description="People's opens and clicks per hour, UTC."),
    },
)
LabelOut = Out(
    "CampaignRollup",
    {
        "label_id": Int(null=True),
        "label": Str(null=True),
        "category": Str(null=True),
        "campaigns": Int(null=True),
        "delivered": Int(),
        "unique_opens": Int(),
        "unique_clicks": Int(),
        "open_rate": Number(),
        "click_rate": Number(),
    },
)
LabelsOut = Out("CampaignRollups", {"data": Array(LabelOut)})
ExportIn = Obj("CampaignExportRequest", {"campaign_id": Int(minimum=1)}, required=("campaign_id",))
JobOut = Out(
    "CampaignExportJob",
    {
        "id": Int(),
        "state": Str(),
        "processed": Int(),
        "total": Int(),
        "error": Str(null=True),
        "file_url": Str(null=True, description="When done: GET it for the CSV file."),
    },
)
_CAMPAIGN_QUERY = {"campaign_id": Int(minimum=1, description="The campaign.")}


def _campaign(campaign_id: int) -> Campaign:
    found = Campaign.get_or_none((Campaign.id == campaign_id) & (Campaign.organization == g.api_org_id))
    if found is None:
        raise not_found("No such campaign.")
    return found


def _conflict(exc: lifecycle.TransitionError) -> ApiError:
    return ApiError(
        409, "conflict", f"The campaign is {exc.state}: it cannot be {_PAST[exc.action]}.", {"state": exc.state}
    )


_PAST = {
    "edit": "edited",
    "schedule": "scheduled",
    "send": "sent",
    "cancel_schedule": "unscheduled",
    "pause": "paused",
    "resume": "resumed",
    "finish": "finished",
    "report": "reported",
}


def _invalid(exc: service.CampaignError) -> ApiError:
    return invalid("Some fields are not valid.", **exc.fields)


def _values(body: dict) -> dict:
    return {key: value for key, value in body.items() if key != "send_at"}


@operation(
    "POST",
    "",
    prefix=PREFIX,
    tag=TAG,
    scope=SCOPE,
    summary="Create a draft campaign",
    body=CampaignIn,
    response=CampaignOut,
    status=201,
)
def create_campaign(body):
    try:
        return service.create(org(), _values(body), actor_label=actor_label())
    except service.CampaignError as exc:
        raise _invalid(exc) from None


@operation(
    "GET", "", prefix=PREFIX, tag=TAG, scope=SCOPE, summary="List campaigns", page=CampaignOut,
    query={"state": Str(enum=CAMPAIGN_STATES, description="Only campaigns in this state.")},
)  # fmt: skip
def list_campaigns(query):
    select = Campaign.for_org(g.api_org_id)
    if query.get("state"):
        select = select.where(Campaign.state == query["state"])
    return select


@operation(
    "GET", "/<int:campaignId>", prefix=PREFIX, tag=TAG, scope=SCOPE, summary="Get a campaign", response=CampaignOut
)
def read_campaign(campaignId):  # noqa: N803 - the documented path parameter
    return _campaign(campaignId)


@operation(
    "POST", "/create-send", prefix=PREFIX, tag=TAG, scope=SCOPE, summary="Create a campaign and send it (now or at send_at)",
    body=CampaignIn, response=CampaignOut, status=201,
)  # fmt: skip
def create_and_send(body):
    """Nothing is kept when the campaign cannot be sent (422 naming the fields)."""
    try:
        with db.atomic():
            campaign = service.create(org(), _values(body), actor_label=actor_label())
            return service.send(campaign, send_at=body.get("send_at"), actor_label=actor_label())
    except service.CampaignError as exc:
        raise _invalid(exc) from None


@operation(
    "POST", "/<int:campaignId>/send", prefix=PREFIX, tag=TAG, scope=SCOPE, summary="Send a draft now or at send_at",
    body=SendIn, response=CampaignOut, extra_errors=(409,),
)  # fmt: skip
def send_campaign(campaignId, body):  # noqa: N803
    """A draft is scheduled (send_at later) or sent now; a scheduled campaign can be sent now. 409
    names the state otherwise; 422 says what is missing (from-address on a verified domain...)."""
    campaign = _campaign(campaignId)
    try:
        return service.send(campaign, send_at=(body or {}).get("send_at"), actor_label=actor_label())
    except lifecycle.TransitionError as exc:
        raise _conflict(exc) from None
    except service.CampaignError as exc:
        raise _invalid(exc) from None


@operation(
    "POST", "/<int:campaignId>/cancel-schedule", prefix=PREFIX, tag=TAG, scope=SCOPE,
    summary="Cancel a schedule: back to draft", response=CampaignOut, extra_errors=(409,),
)  # fmt: skip
def cancel_schedule(campaignId):  # noqa: N803
    campaign = _campaign(campaignId)
    try:
        return service.cancel_schedule(campaign, actor_label=actor_label())
    except lifecycle.TransitionError as exc:
        raise _conflict(exc) from None


@operation(
    "POST", "/<int:campaignId>/duplicate", prefix=PREFIX, tag=TAG, scope=SCOPE, summary="Copy a campaign as a new draft",
    response=CampaignOut, status=201,
)  # fmt: skip
def duplicate_campaign(campaignId):  # noqa: N803
    return service.duplicate(_campaign(campaignId), actor_label=actor_label())


@operation(
    "POST", "/<int:campaignId>/count-recipient", prefix=PREFIX, tag=TAG, scope=SCOPE,
    summary="Count the recipients of the campaign's audience (or of the audience given)", body=CountIn, response=CountOut,
)  # fmt: skip
def count_recipients(campaignId, body):  # noqa: N803
    campaign = _campaign(campaignId)
    chosen = campaign.audience
    if body and "audience" in body:
        try:
            chosen = audience.clean(g.api_org_id, body["audience"])
        except audience.AudienceError as exc:
            raise invalid(exc.message, **{exc.field: exc.message}) from None
    return audience.count(g.api_org_id, chosen)


@operation(
    "GET", "/<int:emailId>/preview", prefix=PREFIX, tag=TAG, scope=SCOPE, summary="Preview a campaign as a contact gets it",
    response=PreviewOut, query={"contact_id": Int(minimum=1, description="Whose message; a sample person otherwise.")},
)  # fmt: skip
def preview_campaign(emailId, query):  # noqa: N803
    campaign = _campaign(emailId)
    contact = None
    if query.get("contact_id"):
        contact = Contact.get_or_none((Contact.id == query["contact_id"]) & (Contact.organization == g.api_org_id))
        if contact is None:
            raise invalid("No such contact.", contact_id="No such contact in this organization.")
    problems = compose.check(campaign, org())
    if problems:
        raise invalid("The campaign's templates cannot be rendered.", **problems)
    return compose.preview(campaign, contact)


def _reported(query) -> Campaign:
    if not query.get("campaign_id"):
        raise invalid("Name the campaign.", campaign_id="Required.")
    return _campaign(query["campaign_id"])


@operation(
    "GET", "/reports/basic", prefix=PREFIX, tag=TAG, scope=SCOPE, summary="A campaign's figures", response=BasicOut,
    query=_CAMPAIGN_QUERY, extra_errors=(404,),
)  # fmt: skip
def report_basic(query):
    return reports.basic(_reported(query))


@operation(
    "GET", "/reports/link", prefix=PREFIX, tag=TAG, scope=SCOPE, summary="A campaign's clicks per link", response=LinksOut,
    query=_CAMPAIGN_QUERY, extra_errors=(404,),
)  # fmt: skip
def report_links(query):
    return {"data": reports.links(_reported(query))}


@operation(
    "GET", "/reports/open-time", prefix=PREFIX, tag=TAG, scope=SCOPE, summary="When a campaign was opened",
    response=OpenTimeOut, query=_CAMPAIGN_QUERY, extra_errors=(404,),
)  # fmt: skip
def report_open_time(query):
    campaign = _reported(query)
    tz = org().timezone or "UTC"
    return {"timezone": tz, "hours": reports.open_hours(campaign, tz), "series": reports.series(campaign)}


@operation(
    "GET", "/reports/label", prefix=PREFIX, tag=TAG, scope=SCOPE, summary="Figures across campaigns by label or category",
    response=LabelsOut, query={"by": Str(enum=("label", "category"), default="label")},
)  # fmt: skip
def report_labels(query):
    if query.get("by") == "category":
        return {"data": reports.by_category(g.api_org_id)}
    return {"data": reports.by_label(g.api_org_id)}


def _job_out(job: Job) -> dict:
    done = job.state == "done" and exports.job_file(job) is not None
    return {
        "id": job.id,
        "state": job.state,
        "processed": job.processed,
        "total": job.total,
        "error": job.error,
        "file_url": f"{PREFIX}/reports/export?job_id={job.id}&download=true" if done else None,
    }


@operation(
    "POST", "/reports/export", prefix=PREFIX, tag=TAG, scope=SCOPE, summary="Export a campaign's recipients (CSV, as a job)",
    body=ExportIn, response=JobOut, status=202, extra_errors=(404,),
)  # fmt: skip
def start_export(body):
    """Answers the job; follow it with GET /reports/export?job_id=..., then download the file."""
    campaign = _campaign(body["campaign_id"])
    job = exports.start(campaign)
    return _job_out(Job.get_by_id(job.id))


@operation(
    "GET", "/reports/export", prefix=PREFIX, tag=TAG, scope=SCOPE, summary="Follow an export job; download its file",
    response=JobOut, extra_errors=(404, 409),
    query={"job_id": Int(minimum=1), "download": Bool(default=False, description="true: the CSV file (text/csv).")},
)  # fmt: skip
def follow_export(query):
    if not query.get("job_id"):
        raise invalid("Name the job.", job_id="Required.")
    job = Job.get_or_none(
        (Job.id == query["job_id"]) & (Job.organization_id == g.api_org_id) & (Job.kind == exports.KIND)
    )
    if job is None:
        raise not_found("No such export.")
    if not query.get("download"):
        return _job_out(job)
    key = exports.job_file(job)
    if key is None:
        raise ApiError(409, "conflict", f"The export is {job.state}: its file is not ready.", {"state": job.state})
    return download(key, exports.MIMETYPE, job.params.get("filename") or "campaign.csv")
