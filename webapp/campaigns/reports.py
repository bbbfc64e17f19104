"""What a campaign did: sent, delivered, bounced (hard/soft), opens and clicks (unique, human and
machine apart), click-to-open, unsubscribes, complaints, with rates; per link; opens by hour of
day in the organization's time zone; opens and clicks over time; roll-ups by label and category.

Counts come from the recipient table (one row per contact) and the per-hour engagement figures of
the campaign's send key (EngagementHour: hits, and how many were a message's first, kept in the
transaction that records each hit, MailEngagement: one open per message and one click per message
and link, and again once when a person follows a machine's hit). A report reads a few hundred of
those rows, not a million hits; `recount` gives the same figures from the hits themselves.
When the organization's engagement window closes the figures are frozen into the campaign
(sent -> reported); late opens and clicks still land in the engagement rows.
"""

from __future__ import annotations

import datetime as dt

import peewee as pw

from webapp.accounts.models import Organization
from webapp.campaigns import lifecycle, tally
from webapp.campaigns.models import RECIPIENT_STATUSES, Campaign, CampaignRecipient
from webapp.contacts.models import ContactLabel, Label
from webapp.db import db, utcnow
from webapp.mail.models import EngagementHour, MailEngagement
from webapp.timeutil import zone


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _recipients(campaign_id: int) -> tuple[dict[str, int], tuple[int, int, int]]:
    """({status: recipients}, (recipients with a soft failure, unsubscribed, complained)), from the
    campaign's counters (webapp/campaigns/tally.py), never from its recipient rows."""
    counts = tally.counts(campaign_id)
    statuses = {status: counts[status] for status in RECIPIENT_STATUSES if counts.get(status)}
    return statuses, (counts.get(tally.SOFT, 0), counts.get(tally.UNSUBSCRIBED, 0), counts.get(tally.COMPLAINED, 0))


def _engagement(send_key: str) -> dict:
    """{kind: {"human": (hits, unique messages), "machine": (...), "any_unique": n}}."""
    out: dict = {k: {"human": (0, 0), "machine": (0, 0), "any_unique": 0} for k in ("open", "click")}
    H = EngagementHour
    rows = (
        H.select(H.kind, H.machine, pw.fn.SUM(H.hits), pw.fn.SUM(H.firsts), pw.fn.SUM(H.firsts_any))
        .where(H.send_key == send_key)
        .group_by(H.kind, H.machine)
        .tuples()
    )
    for kind, machine, hits, unique, firsts_any in rows:
        out[kind]["machine" if machine else "human"] = (int(hits), int(unique))
        out[kind]["any_unique"] += int(firsts_any)
    return out


def recount(send_key: str) -> dict:
    """`_engagement`'s figures counted from the hits themselves (what the summary must equal)."""
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
    statuses, (soft, unsubscribed, complained) = _recipients(campaign.id)
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
    # One hit per message, link and machine flag: a link's hits are its unique clicks.
    H = EngagementHour
    rows = (
        H.select(H.url, H.machine, pw.fn.SUM(H.hits), pw.fn.SUM(H.hits))
        .where((H.send_key == campaign.send_key) & (H.kind == "click"))
        .group_by(H.url_hash, H.url, H.machine)
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


def open_hours(campaign: Campaign, tz: str, *, live: bool = False) -> list[dict]:
    """People's opens by hour of day (0-23) in `tz`. Counted per UTC hour in the database and
    moved by the zone's offset at the send time (a daylight-saving change inside the window
    shifts by an hour what falls after it)."""
    if campaign.report and not live:
        return campaign.report["open_hours"]
    H = EngagementHour
    rows = (
        H.select(H.hour, pw.fn.SUM(H.hits))
        .where((H.send_key == campaign.send_key) & (H.kind == "open") & (H.machine == False))  # noqa: E712
        .group_by(H.hour)
        .tuples()
    )
    at = (campaign.sent_at or utcnow()).replace(tzinfo=dt.UTC)
    offset_hours = int(at.astimezone(zone(tz)).utcoffset().total_seconds() // 3600)
    counts = [0] * 24
    for hour, n in rows:
        counts[(_as_datetime(hour).hour + offset_hours) % 24] += int(n)
    return [{"hour": h, "opens": counts[h]} for h in range(24)]


def series(campaign: Campaign, *, unit: str = "hour", live: bool = False) -> list[dict]:
    """People's opens and clicks per hour (or day), UTC, from the first to the last."""
    if campaign.report and not live and unit in campaign.report.get("series", {}):
        return campaign.report["series"][unit]
    H = EngagementHour
    rows = (
        H.select(H.hour, H.kind, pw.fn.SUM(H.hits))
        .where((H.send_key == campaign.send_key) & (H.machine == False))  # noqa: E712
        .group_by(H.hour, H.kind)
        .order_by(H.hour)
        .tuples()
    )
    per: dict[str, dict] = {}
    for hour, kind, n in rows:
        at = _as_datetime(hour).strftime("%Y-%m-%d %H:00" if unit == "hour" else "%Y-%m-%d")
        per.setdefault(at, {"at": at, "opens": 0, "clicks": 0})["opens" if kind == "open" else "clicks"] += int(n)
    return list(per.values())


def _as_datetime(value) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


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
