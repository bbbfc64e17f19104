"""Sending a campaign: one job (kind KIND) on the work engine per run of sending.

The job first resolves the audience into recipient rows (webapp/campaigns/audience.py), in keyset
batches, its checkpoint the last contact id done. Then it sends in keyset batches over recipient
ids. Each batch is claimed in one transaction (queued/deferred -> sending; each recipient gets its
outbox row and Message-ID there, kept for every later try), then handed over one message at a
time over one SMTP connection, each recipient marked sent right after the server took it. A
worker killed in the middle leaves at most the message being handed over as "sending": the next
run (the work engine's lease brings the job back) sends those again with the same Message-ID, so
nobody is lost and nobody gets two different messages; every other recipient is either sent or
still queued.

The job stops when its slice is over (work.AGAIN: queued again behind more urgent work), when the
campaign is paused, and when nothing is due now: deferred recipients (soft failures, retried with
backoff) and those held for their best hour (send-time optimization) are picked up by `resume_due`,
run every minute, which starts a new job. A 5xx for the recipient marks the contact bounced. A run
of `Organization.campaign_failure_limit` failures in a row pauses the campaign with the reason.
The organization's rate (messages per minute) is kept across all its campaigns.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import smtplib
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from flask import current_app

from webapp import signals, work
from webapp.accounts.models import Organization
from webapp.campaigns import audience, compose, lifecycle, sendtime
from webapp.campaigns.models import FINAL_STATUSES, Campaign, CampaignRecipient
from webapp.contacts import service as contacts
from webapp.contacts.models import Activity, Contact
from webapp.db import Prepared, Slot, db, utcnow
from webapp.mail.models import CAMPAIGN_KIND, Outbox
from webapp.mail.service import SmtpSession
from webapp.runtime import settings
from webapp.work import jobs
from webapp.work.models import Job

log = logging.getLogger("rollcall.campaigns")

KIND = "campaign_send"
BATCH = 50
CONNECTIONS = 4  # SMTP connections a delivery job hands messages over on at once
MAX_ATTEMPTS = 5


def start(campaign: Campaign, *, user_id: int | None = None) -> Job | None:
    """Record the delivery job of a sending campaign (in the caller's transaction), unless one is
    queued or running already."""
    if campaign.job_id:
        current = Job.get_or_none(Job.id == campaign.job_id)
        if current is not None and current.state in ("queued", "running"):
            return None
    job = jobs.create(campaign.organization_id, KIND, {"campaign_id": campaign.id}, user_id=user_id)
    Campaign.update(job_id=job.id).where(Campaign.id == campaign.id).execute()
    campaign.job_id = job.id
    return job


# The job ------------------------------------------------------------------------------------------


@jobs.body(KIND)
def run(job: Job, time_slice: jobs.Slice) -> object:
    campaign = Campaign.get_or_none(Campaign.id == job.params["campaign_id"])
    if campaign is None or campaign.state != "sending":
        jobs.finish(job)
        return None
    point = dict(job.checkpoint or {})
    if not point and campaign.resolved_at is not None:  # a new run of sending (resumed): resolved already
        point = {"phase": "send", "after": 0, "failures": 0}
        jobs.checkpoint(job, total=campaign.recipient_count, processed=_final_count(campaign), checkpoint=point)
    if point.get("phase", "resolve") == "resolve":
        point = _resolve(job, campaign, point, time_slice)
        if point.get("phase") != "send":
            return work.AGAIN
    if settings().smtp is None:
        log.info("campaign %s waits: SMTP_URL is not set", campaign.id)
        jobs.finish(job)
        return None
    _take_back_interrupted(campaign)
    return _send(job, campaign, point, time_slice)


def _resolve(job: Job, campaign: Campaign, point: dict, time_slice: jobs.Slice) -> dict:
    after = point.get("after", 0)
    while not time_slice.over():
        with db.atomic():
            last = audience.resolve_batch(campaign, after)
            if last is None:
                total = CampaignRecipient.select().where(CampaignRecipient.campaign == campaign.id).count()
                if campaign.send_time_optimization:
                    sendtime.plan(campaign)
                Campaign.update(recipient_count=total, resolved_at=utcnow()).where(Campaign.id == campaign.id).execute()
                point = {"phase": "send", "after": 0, "failures": 0}
                jobs.checkpoint(job, total=total, processed=_final_count(campaign), checkpoint=point)
                return point
            after = last
            point = {"phase": "resolve", "after": after}
            jobs.checkpoint(job, checkpoint=point)
    return point


def _take_back_interrupted(campaign: Campaign) -> None:
    """Recipients a dead run left "sending" go back in line, keeping their Message-ID."""
    CampaignRecipient.update(status="queued").where(
        (CampaignRecipient.campaign == campaign.id) & (CampaignRecipient.status == "sending")
    ).execute()


def _send(job: Job, campaign: Campaign, point: dict, time_slice: jobs.Slice) -> object:
    sender = compose.Sender.for_campaign(campaign)
    org = sender.org
    rate = _Rate(org)
    with Connections(settings().smtp) as connections:
        while not time_slice.over():
            if Campaign.select(Campaign.state).where(Campaign.id == campaign.id).scalar() != "sending":
                jobs.finish(job)  # paused (by an operator) meanwhile
                return None
            budget = rate.budget()
            if budget <= 0:
                time.sleep(0.2)
                continue
            batch = _claim(campaign, sender, point["after"], min(BATCH, budget))
            if not batch:
                if point["after"]:
                    point["after"] = 0  # once more from the start: deferred ones may be due now
                    continue
                return _nothing_due(job, campaign)
            done, outcomes, point["failures"] = _hand_over_batch(
                connections, sender, batch, point.get("failures", 0), org.campaign_failure_limit
            )
            point["after"] = batch[-1].recipient.id
            rate.used(outcomes.count("sent") + outcomes.count("bounced"))
            final = sum(outcome != "deferred" for outcome in outcomes)
            with db.atomic():
                _release([c for c in batch if c not in done])
                _announce(campaign, done, outcomes)
                jobs.checkpoint(job, processed=Job.processed + final, checkpoint=point)
            if point["failures"] >= org.campaign_failure_limit:
                _pause_after_failures(campaign, point["failures"])
                jobs.finish(job)
                return None
    return work.AGAIN


def _hand_over_batch(
    connections: Connections, sender: compose.Sender, batch: list[Claimed], failures: int, limit: int
) -> tuple[list[Claimed], list[str], int]:
    """Hand the batch over on the parallel connections, each outcome recorded as it comes (so a
    killed worker leaves at most the messages in flight unrecorded). After `limit` failures in a
    row the messages not yet started are left untried. Returns (tried, their outcomes, the run)."""
    futures = {connections.submit(sender, c): c for c in batch}
    done: list[Claimed] = []
    outcomes: list[str] = []
    for future in as_completed(futures):
        if future.cancelled():
            continue
        claimed = futures[future]
        outcome = _record(sender.campaign, claimed, future.result())
        done.append(claimed)
        outcomes.append(outcome)
        failures = failures + 1 if outcome in ("deferred", "failed") else 0
        if failures >= limit:
            for pending in futures:
                pending.cancel()
    return done, outcomes, failures


def _release(rest: list[Claimed]) -> None:
    """Claimed but not tried (the campaign paused itself first): back in line, not counted as tried."""
    if rest:
        CampaignRecipient.update(status="queued", attempts=CampaignRecipient.attempts - 1).where(
            CampaignRecipient.id.in_([c.recipient.id for c in rest]) & (CampaignRecipient.status == "sending")
        ).execute()


def _nothing_due(job: Job, campaign: Campaign) -> None:
    with db.atomic():
        finished = finish_if_done(campaign)
        jobs.finish(job, processed=_final_count(campaign))
    if not finished:
        log.info("campaign %s: the rest is due later (retries, best hours)", campaign.id)
    return None


def finish_if_done(campaign: Campaign) -> bool:
    """sending -> sent once every recipient has an outcome."""
    pending = CampaignRecipient.select().where(
        (CampaignRecipient.campaign == campaign.id) & CampaignRecipient.status.not_in(FINAL_STATUSES)
    )
    if pending.exists():
        return False
    try:
        lifecycle.move(campaign, "finish", finished_at=utcnow())
    except lifecycle.TransitionError:
        return False
    return True


def _final_count(campaign: Campaign) -> int:
    return (
        CampaignRecipient.select()
        .where((CampaignRecipient.campaign == campaign.id) & CampaignRecipient.status.in_(FINAL_STATUSES))
        .count()
    )


class _Rate:
    """The organization's messages per minute, across all its campaigns: what the database says
    was handed over in the last minute, read again every few seconds, plus what this run handed
    over since (so a batch does not count the minute's rows every time)."""

    REFRESH = 5.0

    def __init__(self, org: Organization):
        self.org, self.read_at, self.sent = org, 0.0, 0

    def budget(self) -> int:
        if time.monotonic() - self.read_at > self.REFRESH:
            since = utcnow() - dt.timedelta(minutes=1)
            self.sent = (
                CampaignRecipient.select()
                .where((CampaignRecipient.organization == self.org.id) & (CampaignRecipient.sent_at > since))
                .count()
            )
            self.read_at = time.monotonic()
        return self.org.campaign_rate_per_minute - self.sent

    def used(self, messages: int) -> None:
        self.sent += messages


# Claiming and handing over ------------------------------------------------------------------------


# The statements run once per message, compiled once (webapp.db.Prepared).
_CLAIM = Prepared(
    lambda: CampaignRecipient.update(
        status="sending",
        attempts=CampaignRecipient.attempts + 1,
        message_id=Slot("message_id"),
        outbox_id=Slot("outbox_id"),
    ).where(CampaignRecipient.id == Slot("id"))
)
_NEW_OUTBOX = Prepared(
    lambda: Outbox.insert(
        organization=Slot("organization"),
        message_id=Slot("message_id"),
        kind=CAMPAIGN_KIND,
        to_email=Slot("to_email"),
        to_name=Slot("to_name"),
        from_email=Slot("from_email"),
        from_name=Slot("from_name"),
        reply_to=Slot("reply_to"),
        subject=Slot("subject"),
        text_body="",
        attachments=Slot("attachments", Outbox.attachments.db_value),
        send_key=Slot("send_key"),
        contact_id=Slot("contact_id"),
        state="sending",
        next_attempt_at=Slot("now", Outbox.next_attempt_at.db_value),
        created_at=Slot("now", Outbox.created_at.db_value),
    )
)
_SENT = Prepared(
    lambda: CampaignRecipient.update(
        status="sent", sent_at=Slot("at", CampaignRecipient.sent_at.db_value), error=None
    ).where(CampaignRecipient.id == Slot("id"))
)
_OUTBOX_SENT = Prepared(
    lambda: Outbox.update(
        state="sent", sent_at=Slot("at", Outbox.sent_at.db_value), attempts=Slot("attempts"), last_error=None
    ).where(Outbox.id == Slot("id"))
)


@dataclass
class Claimed:
    recipient: CampaignRecipient
    contact: Contact
    subject: str


def _due(campaign: Campaign, now: dt.datetime):
    return (
        (CampaignRecipient.campaign == campaign.id)
        & CampaignRecipient.status.in_(("queued", "deferred"))
        & (CampaignRecipient.next_attempt_at.is_null() | (CampaignRecipient.next_attempt_at <= now))
        & (CampaignRecipient.scheduled_for.is_null() | (CampaignRecipient.scheduled_for <= now))
    )


def _claim(campaign: Campaign, sender: compose.Sender, after: int, limit: int) -> list[Claimed]:
    """The next due recipients after `after`, claimed (-> sending) with their outbox rows."""
    now = utcnow()
    with db.atomic():
        rows = list(
            CampaignRecipient.select(CampaignRecipient, Contact)
            .join(Contact, on=CampaignRecipient.contact == Contact.id)
            .where(_due(campaign, now) & (CampaignRecipient.id > after))
            .order_by(CampaignRecipient.id)
            .limit(limit)
        )
        if not rows:
            return []
        claimed = [Claimed(r, r.contact, sender.subject(r.contact)) for r in rows]
        _give_outbox_rows(campaign, sender, [c for c in claimed if c.recipient.outbox_id is None], now)
        for c in claimed:
            _CLAIM.execute(id=c.recipient.id, message_id=c.recipient.message_id, outbox_id=c.recipient.outbox_id)
            c.recipient.attempts += 1
    return claimed


def _give_outbox_rows(campaign: Campaign, sender: compose.Sender, claimed: list[Claimed], now: dt.datetime) -> None:
    if not claimed:
        return
    domain = campaign.from_email.rpartition("@")[2] or "rollcall.localhost"
    for c in claimed:
        c.recipient.message_id = f"<c{campaign.id}.r{c.recipient.id}.{secrets.token_hex(6)}@{domain}>"
    for c in claimed:
        _NEW_OUTBOX.execute(
            organization=campaign.organization_id,
            message_id=c.recipient.message_id,
            to_email=c.recipient.email,
            to_name=c.contact.name,
            from_email=campaign.from_email,
            from_name=campaign.from_name or sender.org.name,
            reply_to=campaign.reply_to or None,
            subject=c.subject,
            attachments=[],
            send_key=campaign.send_key,
            contact_id=c.contact.id,
            now=now,
        )
    ids = dict(
        Outbox.select(Outbox.message_id, Outbox.id)
        .where(Outbox.message_id.in_([c.recipient.message_id for c in claimed]))
        .tuples()
    )
    for c in claimed:
        c.recipient.outbox_id = ids[c.recipient.message_id]


@dataclass
class _Envelope:
    from_email: str
    to_email: str


class Connections:
    """CONNECTIONS SMTP connections, each in a thread of its own (with the app context): while one
    waits for the server's answer, another renders and signs. Outcomes are recorded by the caller's
    thread, which alone writes to the database."""

    def __init__(self, smtp):
        self.smtp = smtp
        self.app = current_app._get_current_object()
        self.local = threading.local()
        self.sessions: list[SmtpSession] = []
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(CONNECTIONS, thread_name_prefix="campaign-smtp")

    def __enter__(self) -> Connections:
        return self

    def __exit__(self, *exc) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        for session in self.sessions:
            session.close()

    def submit(self, sender: compose.Sender, claimed: Claimed):
        return self.pool.submit(self._deliver, sender, claimed)

    def _session(self) -> SmtpSession:
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = SmtpSession(self.smtp)
            with self.lock:
                self.sessions.append(session)
        return session

    def _deliver(self, sender: compose.Sender, c: Claimed) -> Exception | None:
        """Render, sign and hand over one message; the failure, if any (never raised)."""
        r = c.recipient
        try:
            with self.app.app_context():
                data = sender.message(
                    contact=c.contact,
                    to_email=r.email,
                    subject=c.subject,
                    message_id=r.message_id,
                    outbox_id=r.outbox_id,
                    now=utcnow(),
                )
            self._session().send(_Envelope(sender.campaign.from_email, r.email), data)
        except Exception as exc:  # every failure is the recipient's outcome, never lost
            return exc
        return None


def _record(campaign: Campaign, c: Claimed, failure: Exception | None) -> str:
    """The recipient's outcome (sent, deferred, bounced, failed), written at once."""
    if failure is not None:
        return _failed(campaign, c, failure)
    r, now = c.recipient, utcnow()
    with db.atomic():
        _SENT.execute(id=r.id, at=now)
        _OUTBOX_SENT.execute(id=r.outbox_id, at=now, attempts=r.attempts)
    return "sent"


def _is_hard(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600


def _failed(campaign: Campaign, c: Claimed, exc: Exception) -> str:
    r = c.recipient
    error = f"{type(exc).__name__}: {exc}"[:2000]
    with db.atomic():
        if _is_hard(exc):
            CampaignRecipient.update(status="bounced", error=error).where(CampaignRecipient.id == r.id).execute()
            Outbox.update(state="failed", last_error=error).where(Outbox.id == r.outbox_id).execute()
            if isinstance(exc, smtplib.SMTPRecipientsRefused):
                contacts.mark_bounced(campaign.organization_id, r.email, reason=error[:200])
            log.info("campaign %s: %s bounced: %s", campaign.id, r.email, error)
            return "bounced"
        if r.attempts >= MAX_ATTEMPTS:
            CampaignRecipient.update(
                status="failed", error=error, soft_failures=CampaignRecipient.soft_failures + 1
            ).where(CampaignRecipient.id == r.id).execute()
            Outbox.update(state="failed", last_error=error).where(Outbox.id == r.outbox_id).execute()
            return "failed"
        CampaignRecipient.update(
            status="deferred",
            error=error,
            soft_failures=CampaignRecipient.soft_failures + 1,
            next_attempt_at=utcnow() + backoff(r.attempts),
        ).where(CampaignRecipient.id == r.id).execute()
        Outbox.update(state="queued", last_error=error).where(Outbox.id == r.outbox_id).execute()
    log.info("campaign %s: %s deferred: %s", campaign.id, r.email, error)
    return "deferred"


def backoff(attempts: int) -> dt.timedelta:
    """2, 4, 8, 16... minutes after the 1st, 2nd, 3rd... soft failure (at most 2 hours)."""
    return min(dt.timedelta(minutes=2**attempts), dt.timedelta(hours=2))


def _announce(campaign: Campaign, batch: list[Claimed], outcomes: list[str]) -> None:
    """Delivered and bounced messages go on their contacts' timelines and to the webhooks."""
    now = utcnow()
    done = [(c, o) for c, o in zip(batch, outcomes, strict=True) if o in ("sent", "bounced")]
    if not done:
        return
    Activity.insert_many(
        [
            {
                Activity.organization: campaign.organization_id,
                Activity.contact: c.contact.id,
                Activity.kind: "emailed" if outcome == "sent" else "email_bounced",
                Activity.occurred_at: now,
                Activity.summary: (f"Sent “{c.subject}”" if outcome == "sent" else f"Bounced: “{c.subject}”")[:300],
                Activity.data: {"outbox_id": c.recipient.outbox_id, "send_key": campaign.send_key},
                Activity.dedupe_key: f"{outcome}:{c.recipient.outbox_id}",
                Activity.created_at: now,
            }
            for c, outcome in done
        ]
    ).on_conflict_ignore().execute()
    for event in ("sent", "bounced"):
        ids = [c.recipient.outbox_id for c, outcome in done if outcome == event]
        if ids:
            signals.emit(signals.mail_event, event="delivered" if event == "sent" else "bounced", outbox_ids=ids)


def _pause_after_failures(campaign: Campaign, failures: int) -> None:
    last_error = (
        CampaignRecipient.select(CampaignRecipient.error)
        .where((CampaignRecipient.campaign == campaign.id) & CampaignRecipient.error.is_null(False))
        .order_by(CampaignRecipient.id.desc())
        .scalar()
    )
    reason = f"Paused after {failures} failed hand-overs in a row. Last error: {last_error or 'unknown'}"
    try:
        lifecycle.move(campaign, "pause", paused_reason=reason[:2000])
    except lifecycle.TransitionError:
        return
    log.warning("campaign %s paused: %s", campaign.id, reason)


# Operator actions and the minute's upkeep ---------------------------------------------------------


def pause(campaign: Campaign, *, reason: str) -> None:
    lifecycle.move(campaign, "pause", paused_reason=reason)


def resume(campaign: Campaign, *, user_id: int | None = None) -> None:
    with db.atomic():
        lifecycle.move(campaign, "resume", paused_reason=None)
        start(campaign, user_id=user_id)


def resume_due(now: dt.datetime | None = None) -> int:
    """Every minute: scheduled campaigns whose time has come start sending, and sending ones
    without a job get one when recipients are due (retries, best hours). Returns jobs started."""
    now = now or utcnow()
    started = 0
    for campaign in Campaign.select().where((Campaign.state == "scheduled") & (Campaign.send_at <= now)):
        with db.atomic():
            try:
                lifecycle.move(campaign, "send", sent_at=now)
            except lifecycle.TransitionError:
                continue
            started += start(campaign) is not None
    for campaign in Campaign.select().where(Campaign.state == "sending"):
        due = CampaignRecipient.select().where(_due(campaign, now)).exists()
        resolving = campaign.resolved_at is None
        if due or resolving:
            with db.atomic():
                started += start(campaign) is not None
        else:
            with db.atomic():
                finish_if_done(campaign)
    return started
