"""Send-time optimization: each recipient gets the hour of day at which they opened mail most
often (a person's opens, in the organization's time zone), the first such hour within 24 hours of
the chosen send time. Recipients without opens get the chosen time."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from webapp.campaigns.models import Campaign, CampaignRecipient
from webapp.db import utcnow
from webapp.mail.models import MailEngagement
from webapp.timeutil import zone

CHUNK = 2000


def best_hours(org_id: int, contact_ids: list[int], tz: str) -> dict[int, int]:
    """contact id -> the local hour (0-23) of their most frequent human opens."""
    local = zone(tz)
    opens: dict[int, Counter] = defaultdict(Counter)
    rows = (
        MailEngagement.select(MailEngagement.contact_id, MailEngagement.occurred_at)
        .where(
            (MailEngagement.organization == org_id)
            & MailEngagement.contact_id.in_(contact_ids)
            & (MailEngagement.kind == "open")
            & (MailEngagement.machine == False)  # noqa: E712
        )
        .tuples()
    )
    for contact_id, at in rows:
        opens[contact_id][at.replace(tzinfo=dt.UTC).astimezone(local).hour] += 1
    # Most opens first; a tie goes to the earlier hour.
    return {cid: min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0] for cid, counts in opens.items()}


def slot(send_at: dt.datetime, hour: int, tz: str) -> dt.datetime:
    """The first moment at `hour` o'clock (local) at or after `send_at`, within 24 hours (UTC)."""
    local = send_at.replace(tzinfo=dt.UTC).astimezone(zone(tz))
    candidate = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if candidate < local:
        candidate = (local + dt.timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return candidate.astimezone(dt.UTC).replace(tzinfo=None)


def plan(campaign: Campaign) -> int:
    """Give the campaign's queued recipients their best time; returns how many got one."""
    send_at = campaign.send_at or campaign.sent_at or utcnow()
    tz = campaign.organization.timezone or "UTC"
    planned, after = 0, 0
    while True:
        rows = list(
            CampaignRecipient.select(CampaignRecipient.id, CampaignRecipient.contact)
            .where(
                (CampaignRecipient.campaign == campaign.id)
                & (CampaignRecipient.status == "queued")
                & (CampaignRecipient.id > after)
            )
            .order_by(CampaignRecipient.id)
            .limit(CHUNK)
        )
        if not rows:
            return planned
        after = rows[-1].id
        hours = best_hours(campaign.organization_id, [r.contact_id for r in rows], tz)
        by_time: dict[dt.datetime, list[int]] = defaultdict(list)
        for r in rows:
            if r.contact_id in hours:
                by_time[slot(send_at, hours[r.contact_id], tz)].append(r.id)
        for at, ids in by_time.items():
            CampaignRecipient.update(scheduled_for=at).where(CampaignRecipient.id.in_(ids)).execute()
            planned += len(ids)
