"""What a campaign did: sent, delivered, bounced (hard/soft), opens and clicks (unique, human and
machine apart), click-to-open, unsubscribes, complaints, with rates; per link; opens by hour of
day in the organization's time zone; opens and clicks over time; roll-ups by label and category.

Counts come from the recipient table (one row per contact) and the engagement rows of the
campaign's messages (MailEngagement, one open per message and one click per message and link,
and again once when a person follows a machine's hit), read by their send key through one index.
When the organization's engagement window closes the figures are frozen into the campaign
(sent -> reported); late opens and clicks still land in the engagement rows.
"""

from __future__ import annotations

import datetime as dt

import peewee as pw

from webapp.accounts.models import Organization
from webapp.campaigns import lifecycle
from webapp.campaigns.models import Campaign, CampaignRecipient
from webapp.contacts.models import ContactLabel, Label
from webapp.db import db, is_postgres, utcnow
from webapp.mail.models import MailEngagement
from webapp.timeutil import zone


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _statuses(campaign_id: int) -> dict[str, int]:
    rows = (
        CampaignRecipient.select(CampaignRecipient.status, pw.fn.COUNT(CampaignRecipient.id))
        .where(CampaignRecipient.campaign == campaign_id)
        .group_by(CampaignRecipient.status)
        .tuples()
    )
    return dict(rows)


def _flags(campaign_id: int) -> tuple[int, int, int]:
    """(recipients with a soft failure, unsubscribed, complained)."""
    soft = pw.fn.SUM(pw.Case(None, [(CampaignRecipient.soft_failures > 0, 1)], 0))
    row = (
        CampaignRecipient.select(
            soft, pw.fn.COUNT(CampaignRecipient.unsubscribed_at), pw.fn.COUNT(CampaignRecipient.complained_at)
        )
        .where(CampaignRecipient.campaign == campaign_id)
        .tuples()
        .get()
    )
    return tuple(int(v or 0) for v in row)  # type: ignore[return-value]


def _engagement(send_key: str) -> dict:
    """{kind: {"human": (hits, unique messages), "machine": (...), "any_unique": n}}."""
    out: dict = {k: {"human": (0, 0), "machine": (0, 0), "any_unique": 0} for k in ("open", "click")}
    E = MailEngagement
    rows = (
        E.select(E.kind, E.machine, pw.fn.COUNT(E.id), pw.fn.COUNT(E.outbox.distinct()))
        .where(E.send_key == send_key)
        .group_by(E.kind, E.machine)
        .tuples()
    )
    for kind, machine, hits, unique in rows:
        out[kind]["machine" if machine else "human"] = (hits, unique)
    for kind, unique in (
        E.select(E.kind, pw.fn.COUNT(E.outbox.distinct())).where(E.send_key == send_key).group_by(E.kind).tuples()
    ):
        out[kind]["any_unique"] = unique
    return out


def basic(campaign: Campaign, *, live: bool = False) -> dict:
    """The campaign's figures; a reported campaign's frozen ones unless `live`."""
    if campaign.report and not live:
        return {**campaign.report["basic"], "frozen": True}
    statuses = _statuses(campaign.id)
    soft, unsubscribed, complained = _flags(campaign.id)
    hard = statuses.get("bounced", 0)
    sent = statuses.get("sent", 0)
    handed = sent + hard
    engaged = _engagement(campaign.send_key)

    def figures(who: str) -> dict:
        opens, unique_opens = engaged["open"][who]
        clicks, unique_clicks = engaged["click"][who]
        return {
            "opens": opens,
            "unique_opens": unique_opens,
            "clicks": clicks,
            "unique_clicks": unique_clicks,
            "open_rate": _rate(unique_opens, sent),
            "click_rate": _rate(unique_clicks, sent),
            "click_to_open": _rate(unique_clicks, unique_opens),
        }

    return {
        "campaign_id": campaign.id,
        "state": campaign.state,
        "recipients": sum(statuses.values()),
        "queued": statuses.get("queued", 0) + statuses.get("sending", 0) + statuses.get("deferred", 0),
        "skipped": statuses.get("skipped", 0),
        "sent": handed,
        "delivered": sent,
        "failed": statuses.get("failed", 0),
        "bounced_hard": hard,
        "bounced_soft": soft,
        "unsubscribes": unsubscribed,
        "complaints": complained,
        "delivery_rate": _rate(sent, handed),
        "bounce_rate": _rate(hard, handed),
        "unsubscribe_rate": _rate(unsubscribed, sent),
        "complaint_rate": _rate(complained, sent),
        "human": figures("human"),
        "machine": figures("machine"),
        "unique_opens_any": engaged["open"]["any_unique"],
        "unique_clicks_any": engaged["click"]["any_unique"],
        "frozen": False,
    }


def links(campaign: Campaign, *, live: bool = False) -> list[dict]:
    """Per link: clicks and unique clicks, human and machine apart, most clicked first."""
    if campaign.report and not live:
        return campaign.report["links"]
    E = MailEngagement
    rows = (
        E.select(E.url, E.machine, pw.fn.COUNT(E.id), pw.fn.COUNT(E.outbox.distinct()))
        .where((E.send_key == campaign.send_key) & (E.kind == "click"))
        .group_by(E.url, E.machine)
        .tuples()
    )
    per: dict[str, dict] = {}
    for url, machine, hits, unique in rows:
        entry = per.setdefault(url, {"url": url, "clicks": 0, "unique_clicks": 0, "machine_clicks": 0})
        if machine:
            entry["machine_clicks"] += hits
        else:
            entry["clicks"] += hits
            entry["unique_clicks"] += unique
    return sorted(per.values(), key=lambda e: (-e["unique_clicks"], -e["machine_clicks"], e["url"]))


def _hour_expr(column) -> pw.Node:
    if is_postgres():
        return pw.fn.date_part("hour", column).cast("int")
    return pw.fn.substr(column, 12, 2).coerce(False)  # stored as "YYYY-MM-DD HH:MM:SS": cheaper than strftime


def open_hours(campaign: Campaign, tz: str, *, live: bool = False) -> list[dict]:
    """People's opens by hour of day (0-23) in `tz`. Counted per UTC hour in the database and
    moved by the zone's offset at the send time (a daylight-saving change inside the window
    shifts by an hour what falls after it)."""
    if campaign.report and not live:
        return campaign.report["open_hours"]
    E = MailEngagement
    hour = _hour_expr(E.occurred_at)
    rows = (
        E.select(hour, pw.fn.COUNT(E.id))
        .where((E.send_key == campaign.send_key) & (E.kind == "open") & (E.machine == False))  # noqa: E712
        .group_by(hour)
        .tuples()
    )
    at = (campaign.sent_at or utcnow()).replace(tzinfo=dt.UTC)
    offset_hours = int(at.astimezone(zone(tz)).utcoffset().total_seconds() // 3600)
    counts = [0] * 24
    for utc_hour, n in rows:
        counts[(int(utc_hour) + offset_hours) % 24] += n
    return [{"hour": h, "opens": counts[h]} for h in range(24)]


def _bucket_expr(column, unit: str) -> pw.Node:
    if is_postgres():
        return pw.fn.to_char(pw.fn.date_trunc(unit, column), "YYYY-MM-DD HH24:00" if unit == "hour" else "YYYY-MM-DD")
    return pw.fn.substr(column, 1, 13 if unit == "hour" else 10).coerce(False)  # "YYYY-MM-DD HH" or the day


def series(campaign: Campaign, *, unit: str = "hour", live: bool = False) -> list[dict]:
    """People's opens and clicks per hour (or day), UTC, from the first to the last."""
    if campaign.report and not live and unit in campaign.report.get("series", {}):
        return campaign.report["series"][unit]
    E = MailEngagement
    bucket = _bucket_expr(E.occurred_at, unit)
    rows = (
        E.select(bucket, E.kind, pw.fn.COUNT(E.id))
        .where((E.send_key == campaign.send_key) & (E.machine == False))  # noqa: E712
        .group_by(bucket, E.kind)
        .order_by(bucket)
        .tuples()
    )
    per: dict[str, dict] = {}
    for at, kind, n in rows:
        at = f"{at}:00" if unit == "hour" and len(at) == 13 else at
        per.setdefault(at, {"at": at, "opens": 0, "clicks": 0})["opens" if kind == "open" else "clicks"] += n
    return list(per.values())


def by_category(org_id: int) -> list[dict]:
    """Campaigns sent, grouped by category: their recipients, delivered, people's unique opens and clicks."""
    campaigns = list(
        Campaign.select().where(
            (Campaign.organization == org_id) & Campaign.state.in_(("sending", "paused", "sent", "reported"))
        )
    )
    groups: dict[str, dict] = {}
    for campaign in campaigns:
        figures = basic(campaign)
        group = groups.setdefault(
            campaign.category,
            {"category": campaign.category, "campaigns": 0, "delivered": 0, "unique_opens": 0, "unique_clicks": 0},
        )
        group["campaigns"] += 1
        group["delivered"] += figures["delivered"]
        group["unique_opens"] += figures["human"]["unique_opens"]
        group["unique_clicks"] += figures["human"]["unique_clicks"]
    for group in groups.values():
        group["open_rate"] = _rate(group["unique_opens"], group["delivered"])
        group["click_rate"] = _rate(group["unique_clicks"], group["delivered"])
    return sorted(groups.values(), key=lambda g: g["category"])


def by_label(org_id: int) -> list[dict]:
    """Across all campaigns, per contact label: messages delivered to contacts with the label and
    the people's unique opens and clicks of them."""
    CR, CL, E = CampaignRecipient, ContactLabel, MailEngagement
    delivered = dict(
        CR.select(CL.label, pw.fn.COUNT(CR.id))
        .join(CL, on=(CL.contact == CR.contact))
        .where((CR.organization == org_id) & (CR.status == "sent"))
        .group_by(CL.label)
        .tuples()
    )
    engaged: dict[tuple[int, str], int] = {}
    rows = (
        E.select(CL.label, E.kind, pw.fn.COUNT(E.outbox.distinct()))
        .join(CL, on=(CL.contact == E.contact_id))
        .where((E.organization == org_id) & E.send_key.startswith("campaign:") & (E.machine == False))  # noqa: E712
        .group_by(CL.label, E.kind)
        .tuples()
    )
    for label_id, kind, n in rows:
        engaged[(label_id, kind)] = n
    names = dict(Label.select(Label.id, Label.name).where(Label.organization == org_id).tuples())
    out = []
    for label_id, name in sorted(names.items(), key=lambda kv: kv[1].lower()):
        sent = delivered.get(label_id, 0)
        opens, clicks = engaged.get((label_id, "open"), 0), engaged.get((label_id, "click"), 0)
        if sent or opens or clicks:
            out.append(
                {
                    "label_id": label_id,
                    "label": name,
                    "delivered": sent,
                    "unique_opens": opens,
                    "unique_clicks": clicks,
                    "open_rate": _rate(opens, sent),
                    "click_rate": _rate(clicks, sent),
                }
            )
    return out


# Freezing -----------------------------------------------------------------------------------------


def freeze(campaign: Campaign, now: dt.datetime | None = None) -> None:
    """sent -> reported, with the figures as they are now."""
    tz = campaign.organization.timezone or "UTC"
    report = {
        "basic": {**basic(campaign, live=True), "state": "reported"},
        "links": links(campaign, live=True),
        "open_hours": open_hours(campaign, tz, live=True),
        "series": {"hour": series(campaign, unit="hour", live=True), "day": series(campaign, unit="day", live=True)},
        "frozen_at": (now or utcnow()).isoformat() + "Z",
    }
    with db.atomic():
        lifecycle.move(campaign, "report", report=report, reported_at=now or utcnow())


def freeze_due(now: dt.datetime | None = None) -> int:
    """Sent campaigns whose organization's engagement window has closed since they finished."""
    now = now or utcnow()
    frozen = 0
    query = (
        Campaign.select(Campaign, Organization)
        .join(Organization)
        .where((Campaign.state == "sent") & Campaign.finished_at.is_null(False))
    )
    for campaign in query:
        if campaign.finished_at + dt.timedelta(days=campaign.organization.engagement_window_days) <= now:
            try:
                freeze(campaign, now)
            except lifecycle.TransitionError:
                continue
            frozen += 1
    return frozen
