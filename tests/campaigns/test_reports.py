"""A campaign's report: figures with rates, people and machines apart, per link, by hour in the
organization's time zone, over time, by label and category; frozen when the engagement window
closes; the per-recipient CSV export as a job."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tasks import huey
from tests.campaigns.helpers import ready_campaign
from tests.factories.accounts import make_org
from webapp import work
from webapp.campaigns import bounces, delivery, exports, reports, sendtime, service, tally
from webapp.campaigns import unsubscribe as unsubscribing
from webapp.campaigns.models import Campaign, CampaignRecipient
from webapp.contacts import service as contacts
from webapp.db import db, utcnow
from webapp.mail import tracking
from webapp.mail.models import MailEngagement, Outbox
from webapp.runtime import settings
from webapp.storage import storage
from webapp.work.models import Job

HUMAN = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Mail"


@pytest.fixture
def mailer(mail_app):
    huey.immediate = True
    return mail_app[1]


def _age(campaign: Campaign, minutes: int = 5) -> None:
    """The messages were handed over a while ago (a hit within seconds is a scanner's)."""
    earlier = utcnow() - dt.timedelta(minutes=minutes)
    Outbox.update(sent_at=earlier).where(Outbox.send_key == campaign.send_key).execute()


def _outbox_ids(campaign: Campaign) -> list[int]:
    return [
        r.outbox_id
        for r in CampaignRecipient.select()
        .where(CampaignRecipient.campaign == campaign.id)
        .order_by(CampaignRecipient.id)
    ]


def _sent_campaign(people=4, **values):
    org = make_org()
    org.timezone = "Asia/Jakarta"
    org.save()
    campaign, label, members = ready_campaign(org, people=people, category="Announcements", **values)
    service.send(campaign)
    _age(campaign)
    return Campaign.get_by_id(campaign.id), label, members


def test_figures_count_people_and_machines_apart_with_rates(mailer):
    campaign, _, _ = _sent_campaign(people=4)
    first, second, third, _ = _outbox_ids(campaign)
    for outbox_id in (first, second):
        assert tracking.record_open(tracking.open_url(outbox_id).rsplit("/", 1)[1], user_agent=HUMAN)
    tracking.record_open(tracking.open_url(third).rsplit("/", 1)[1], user_agent="Mimecast link scanner")
    tracking.record_click(tracking.click_url(first, "https://example.org/map").rsplit("/", 1)[1], user_agent=HUMAN)
    tracking.record_click(tracking.click_url(third, "https://example.org/map").rsplit("/", 1)[1], user_agent="curl/8")

    figures = reports.basic(campaign)
    assert (figures["sent"], figures["delivered"], figures["recipients"]) == (4, 4, 4)
    assert figures["human"]["unique_opens"] == 2 and figures["machine"]["unique_opens"] == 1
    assert figures["human"]["unique_clicks"] == 1 and figures["machine"]["unique_clicks"] == 1
    assert figures["human"]["open_rate"] == 0.5 and figures["human"]["click_to_open"] == 0.5
    assert reports.links(campaign) == [
        {"url": "https://example.org/map", "clicks": 1, "unique_clicks": 1, "machine_clicks": 1}
    ]
    hours = reports.open_hours(campaign, "Asia/Jakarta")
    now_local = (utcnow() + dt.timedelta(hours=7)).hour
    assert hours[now_local]["opens"] == 2 and sum(h["opens"] for h in hours) == 2
    series = reports.series(campaign, unit="day")
    assert series[-1]["opens"] == 2 and series[-1]["clicks"] == 1
    (category,) = reports.by_category(campaign.organization_id)
    assert category["category"] == "Announcements" and category["unique_opens"] == 2
    (label_row,) = reports.by_label(campaign.organization_id)
    assert (label_row["delivered"], label_row["unique_opens"], label_row["unique_clicks"]) == (4, 2, 1)


def test_the_report_is_frozen_when_the_window_closes_and_late_opens_stay_raw(mailer):
    campaign, _, _ = _sent_campaign(people=2)
    first, second = _outbox_ids(campaign)
    tracking.record_open(tracking.open_url(first).rsplit("/", 1)[1], user_agent=HUMAN)
    assert reports.freeze_due() == 0  # the 7-day window is open
    assert reports.freeze_due(utcnow() + dt.timedelta(days=7, minutes=1)) == 1
    campaign = Campaign.get_by_id(campaign.id)
    assert campaign.state == "reported" and campaign.reported_at is not None

    tracking.record_open(tracking.open_url(second).rsplit("/", 1)[1], user_agent=HUMAN)  # late
    assert reports.basic(campaign)["human"]["unique_opens"] == 1
    assert reports.basic(campaign)["frozen"] is True
    assert reports.basic(campaign, live=True)["human"]["unique_opens"] == 2


def test_the_export_job_writes_every_recipient_escaped(mailer):
    campaign, _, members = _sent_campaign(people=3, names=['=HYPERLINK("http://evil.example")', "Ana", "Budi"])
    first = _outbox_ids(campaign)[0]
    tracking.record_open(tracking.open_url(first).rsplit("/", 1)[1], user_agent=HUMAN)
    job = exports.start(campaign)
    job = Job.get_by_id(job.id)
    assert (job.state, job.processed, job.total) == ("done", 3, 3)
    data = storage().read(exports.job_file(job)).decode("utf-8")
    rows = list(csv.reader(io.StringIO(data)))
    assert rows[0] == exports.HEADER and len(rows) == 4
    assert rows[1][1].startswith("'=") and rows[1][5] == "yes" and rows[2][5] == ""
    assert {r[2] for r in rows[1:]} == {"sent"}


def test_a_scheduled_campaign_goes_out_when_its_time_comes(mailer):
    campaign, _, _ = ready_campaign(people=2)
    later = utcnow() + dt.timedelta(hours=2)
    service.send(campaign, send_at=later)
    assert Campaign.get_by_id(campaign.id).state == "scheduled"
    assert delivery.resume_due() == 0 and not mailer.messages
    assert delivery.resume_due(later + dt.timedelta(seconds=1)) == 1
    assert Campaign.get_by_id(campaign.id).state == "sent"
    assert len(mailer.messages) == 2


def test_send_time_optimization_holds_each_recipient_until_their_usual_hour():
    assert sendtime.slot(dt.datetime(2026, 12, 5, 1, 0), 20, "Asia/Jakarta") == dt.datetime(2026, 12, 5, 13, 0)
    assert sendtime.slot(dt.datetime(2026, 12, 5, 14, 30), 20, "Asia/Jakarta") == dt.datetime(2026, 12, 6, 13, 0)


def test_send_time_optimization_uses_the_hour_people_opened_most(mailer):
    org = make_org()
    org.timezone = "Asia/Jakarta"
    org.save()
    campaign, _, members = ready_campaign(org, people=2, send_time_optimization=True)
    old, _, _ = ready_campaign(org, people=0)
    at_eight_pm_jakarta = dt.datetime(2026, 11, 1, 13, 15)
    row = Outbox.create(
        organization=org, message_id="<old@x>", kind="campaign", to_email=members[0].email, from_email="a@b.c",
        subject="old", text_body="", send_key="campaign:0", contact_id=members[0].id, state="sent",
    )  # fmt: skip
    for day in range(3):
        MailEngagement.create(
            organization=org, outbox=row, contact_id=members[0].id, kind="open",
            occurred_at=at_eight_pm_jakarta + dt.timedelta(days=day),
        )  # fmt: skip
    send_at = utcnow() + dt.timedelta(minutes=1)
    service.send(campaign, send_at=send_at)
    delivery.resume_due(send_at + dt.timedelta(seconds=1))
    held = CampaignRecipient.get(CampaignRecipient.contact == members[0].id)
    other = CampaignRecipient.get(CampaignRecipient.contact == members[1].id)
    assert other.status == "sent"
    assert held.status == "queued" and held.scheduled_for == sendtime.slot(send_at, 20, "Asia/Jakarta")
    assert Campaign.get_by_id(campaign.id).state == "sending"


def _raw_figures(campaign: Campaign, tz_offset_hours: int) -> dict:
    """The report's engagement figures counted here from the hits themselves."""
    hits = list(MailEngagement.select().where(MailEngagement.send_key == campaign.send_key))
    people = [h for h in hits if not h.machine]
    per_link: dict[str, dict] = {}
    for h in hits:
        if h.kind == "click":
            entry = per_link.setdefault(h.url, {"url": h.url, "clicks": 0, "unique_clicks": 0, "machine_clicks": 0})
            entry["machine_clicks" if h.machine else "clicks"] += 1
            entry["unique_clicks"] = len({p.outbox_id for p in people if p.kind == "click" and p.url == h.url})
    hours = [0] * 24
    for h in people:
        if h.kind == "open":
            hours[(h.occurred_at.hour + tz_offset_hours) % 24] += 1
    series: dict[str, dict] = {}
    for h in sorted(people, key=lambda h: h.occurred_at):
        at = h.occurred_at.strftime("%Y-%m-%d %H:00")
        series.setdefault(at, {"at": at, "opens": 0, "clicks": 0})["opens" if h.kind == "open" else "clicks"] += 1
    return {
        "links": sorted(per_link.values(), key=lambda e: (-e["unique_clicks"], -e["machine_clicks"], e["url"])),
        "hours": [{"hour": i, "opens": n} for i, n in enumerate(hours)],
        "series": list(series.values()),
    }


def test_the_report_read_from_hourly_figures_equals_a_recount_of_every_hit(mailer, mail_app):
    app, _ = mail_app
    org = make_org()
    org.timezone = "Asia/Jakarta"
    org.save()
    campaign, _, people = ready_campaign(org, people=5, category="Announcements")
    mailer.refuse.add(people[4].email)  # one hard bounce at hand-over
    service.send(campaign)
    _age(campaign, minutes=24 * 60)
    campaign = Campaign.get_by_id(campaign.id)
    first, second, third, fourth, _bounced = _outbox_ids(campaign)
    client = app.test_client()

    def follow(url: str, agent: str = HUMAN) -> None:  # as a mail client does: through the public routes
        answer = client.get(url.removeprefix(settings().base_url), headers={"User-Agent": agent})
        assert answer.status_code in (200, 302)

    follow(tracking.open_url(first))
    follow(tracking.open_url(first))  # opened again: a duplicate
    follow(tracking.open_url(second))
    follow(tracking.open_url(third), "Mimecast link scanner")  # a scanner first, then the person
    follow(tracking.open_url(third))
    follow(tracking.click_url(first, "https://example.org/map"))
    follow(tracking.click_url(first, "https://example.org/map"))  # a double click
    follow(tracking.click_url(first, "https://example.org/programme"))
    follow(tracking.click_url(second, "https://example.org/map"), "curl/8")
    follow(tracking.click_url(second, "https://example.org/map"))
    # A late hit: queued hours ago, recorded only now, lands in its own hour.
    with db.atomic():
        work.record(
            tracking.HIT,
            {
                "message_id": fourth,
                "kind": "open",
                "url": None,
                "user_agent": HUMAN,
                "at": (utcnow() - dt.timedelta(hours=3)).isoformat(),
            },
        )
    assert MailEngagement.select().where(MailEngagement.outbox == fourth).count() == 1

    campaign = Campaign.get_by_id(campaign.id)
    assert reports._engagement(campaign.send_key) == reports.recount(campaign.send_key)
    figures = reports.basic(campaign)
    assert (figures["delivered"], figures["bounced_hard"]) == (4, 1)
    assert (figures["human"]["opens"], figures["human"]["unique_opens"]) == (4, 4)
    assert (figures["machine"]["opens"], figures["human"]["unique_clicks"], figures["machine"]["clicks"]) == (1, 2, 1)
    assert (figures["unique_opens_any"], figures["unique_clicks_any"]) == (4, 2)
    raw = _raw_figures(campaign, tz_offset_hours=7)
    assert reports.links(campaign) == raw["links"]
    assert reports.open_hours(campaign, "Asia/Jakarta") == raw["hours"]
    assert reports.series(campaign, unit="hour") == raw["series"]
    assert len(reports.series(campaign, unit="hour")) == 2  # now, and the late hit's hour

    # A DSN arriving later turns a delivered message into a bounce: the figures follow.
    bounces.bounced(Outbox.get_by_id(third), hard=True, reason="550 5.1.1 gone")
    after = reports.basic(campaign)
    assert (after["delivered"], after["bounced_hard"]) == (3, 2)
    assert reports._engagement(campaign.send_key) == reports.recount(campaign.send_key)


def test_recipient_counters_equal_a_recount_of_the_rows_through_every_change(mailer, mail_app):
    app, _ = mail_app
    campaign, _, people = ready_campaign(people=7)
    contacts.unsubscribe(people[6])  # skipped, with its reason
    mailer.refuse.add(people[5].email)  # a hard bounce at hand-over
    mailer.fail_next = 1  # a soft failure: deferred
    service.send(campaign)
    campaign = Campaign.get_by_id(campaign.id)

    def same() -> dict:
        counted = tally.counts(campaign.id)
        assert counted == tally.recount(campaign.id)
        return counted

    counted = same()
    expected = {"skipped": 1, "skipped:unsubscribed": 1, "bounced": 1, "deferred": 1}
    assert {key: counted.get(key) for key in expected} == expected
    assert counted[tally.SOFT] == 1

    # The deferred one goes out on a later run; a worker killed mid-batch leaves some "sending".
    CampaignRecipient.update(next_attempt_at=utcnow() - dt.timedelta(hours=1)).where(
        CampaignRecipient.status == "deferred"
    ).execute()
    assert delivery.resume_due() == 1
    assert same().get("deferred", 0) == 0
    sent = [
        r for r in CampaignRecipient.select().where(CampaignRecipient.status == "sent").order_by(CampaignRecipient.id)
    ]
    with db.atomic():  # what a killed run leaves: claimed, never recorded
        CampaignRecipient.update(status="sending").where(CampaignRecipient.id == sent[0].id).execute()
        tally.moved(campaign.id, campaign.organization_id, "sent", "sending", 1)
    delivery._take_back_interrupted(campaign, Job(params={"campaign_id": campaign.id}))  # its only part
    assert same()["queued"] == 1
    CampaignRecipient.update(status="sent").where(CampaignRecipient.id == sent[0].id).execute()
    tally.moved(campaign.id, campaign.organization_id, "queued", "sent", 1)

    # Later: a DSN bounce, a soft DSN, a complaint (twice), unsubscribes (twice), late hits.
    bounces.bounced(Outbox.get_by_id(sent[1].outbox_id), hard=True, reason="550 5.1.1 gone")
    bounces.bounced(Outbox.get_by_id(sent[1].outbox_id), hard=True, reason="550 5.1.1 gone")  # reported twice
    bounces.bounced(Outbox.get_by_id(sent[2].outbox_id), hard=False, reason="452 4.2.2 mailbox full")
    for _ in range(2):
        bounces.complained(Outbox.get_by_id(sent[3].outbox_id), reason="abuse report")
        unsubscribing.unsubscribe_message(sent[4].outbox_id, via="one-click")
    client = app.test_client()
    for outbox_id in (sent[0].outbox_id, sent[3].outbox_id):
        assert (
            client.get(
                tracking.open_url(outbox_id).removeprefix(settings().base_url), headers={"User-Agent": HUMAN}
            ).status_code
            == 200
        )
    counted = same()
    assert (counted["bounced"], counted[tally.COMPLAINED], counted[tally.UNSUBSCRIBED]) == (2, 1, 1)
    figures = reports.basic(Campaign.get_by_id(campaign.id))
    assert (figures["recipients"], figures["skipped"], figures["bounced_hard"], figures["complaints"]) == (7, 1, 2, 1)
    assert figures["unsubscribes"] == 1 and figures["bounced_soft"] == counted[tally.SOFT]
