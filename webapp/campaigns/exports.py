"""Per-recipient outcomes of a campaign as a CSV file, written by a job in slices with progress
(webapp.work.jobs), like the segments' export and with its storage helpers: each batch is stored
as one part before the checkpoint that counts it ({"after_id", "chunks"}); a resumed run writes
over a part it had not counted, so no row is written twice, and the last run joins the parts.
Cells follow the one escaping rule (webapp.spreadsheet)."""

from __future__ import annotations

import uuid

from webapp.campaigns.models import Campaign, CampaignRecipient
from webapp.contacts.models import Contact
from webapp.db import utcnow
from webapp.i18n import _
from webapp.mail.models import MailEngagement
from webapp.segments.exports import export_in_parts, finished_file
from webapp.spreadsheet import safe_cell
from webapp.work import jobs
from webapp.work.models import Job

KIND = "campaign_export"
BATCH = 1_000
MIMETYPE = "text/csv; charset=utf-8"
HEADER = [
    "email",
    "name",
    "status",
    "skip_reason",
    "sent_at",
    "opened",
    "clicked",
    "machine_opened",
    "machine_clicked",
    "unsubscribed_at",
    "complained_at",
    "soft_failures",
    "error",
]


def start(campaign: Campaign, *, user_id: int | None = None) -> Job:
    """Queue the export (or give the one of this campaign under way: a double click makes one)."""
    under_way = Job.for_org(campaign.organization_id).where((Job.kind == KIND) & Job.state.in_(("queued", "running")))
    for job in under_way:
        if job.params.get("campaign_id") == campaign.id:
            return job
    slug = "".join(ch if ch.isalnum() else "-" for ch in campaign.name.lower()).strip("-")[:40] or "campaign"
    params = {
        "campaign_id": campaign.id,
        "path": f"{uuid.uuid4().hex}.csv",
        "filename": f"campaign-{slug}-{utcnow():%Y%m%d-%H%M}.csv",
    }
    total = CampaignRecipient.select().where(CampaignRecipient.campaign == campaign.id).count()
    return jobs.create(campaign.organization_id, KIND, params, user_id=user_id, total=total)


def job_file(job: Job) -> str | None:
    """The storage key of a finished export's file, if it is still there."""
    return finished_file(job, KIND)


def _engaged(outbox_ids: list[int]) -> dict[tuple[int, str, bool], bool]:
    E = MailEngagement
    rows = (
        E.select(E.outbox, E.kind, E.machine)
        .where(E.outbox.in_(outbox_ids))
        .group_by(E.outbox, E.kind, E.machine)
        .tuples()
    )
    return {(outbox, kind, bool(machine)): True for outbox, kind, machine in rows}


def _time(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def rows(batch: list[CampaignRecipient]) -> list[list[str]]:
    engaged = _engaged([r.outbox_id for r in batch if r.outbox_id])

    def flag(r, kind, machine):
        return "yes" if engaged.get((r.outbox_id, kind, machine)) else ""

    return [
        [
            safe_cell(value)
            for value in (
                r.email,
                r.contact.name,
                r.status,
                r.skip_reason or "",
                _time(r.sent_at),
                flag(r, "open", False),
                flag(r, "click", False),
                flag(r, "open", True),
                flag(r, "click", True),
                _time(r.unsubscribed_at),
                _time(r.complained_at),
                str(r.soft_failures),
                r.error or "",
            )
        ]
        for r in batch
    ]


@jobs.body(KIND)
def _run(job: Job, time_slice: jobs.Slice) -> object:
    campaign = Campaign.get_or_none(
        (Campaign.id == job.params["campaign_id"]) & (Campaign.organization == job.organization_id)
    )
    if campaign is None:
        raise RuntimeError(_("The campaign was deleted before its export finished."))
    recipients = (
        CampaignRecipient.select(CampaignRecipient, Contact)
        .join(Contact, on=(CampaignRecipient.contact == Contact.id))
        .where(CampaignRecipient.campaign == campaign.id)
    )
    return export_in_parts(
        job,
        time_slice,
        recipients,
        CampaignRecipient.id,
        first=lambda: ({}, HEADER),
        to_rows=lambda batch, done: rows(batch),
    )
