"""Sending a campaign: jobs (kind KIND) on the work engine, several side by side per run of sending.

The first job (part 0) resolves the audience into recipient rows (webapp/campaigns/audience.py), in
keyset batches, its checkpoint the last contact id done; then it starts its siblings. There are
`settings().campaign_jobs` parts: part i of n sends the recipients whose id is i modulo n, so two
jobs never claim the same recipient and together they leave none out; each runs on whichever
worker takes it (two worker processes or nodes hand one campaign over at twice the pace). Each job
sends its part in keyset batches over recipient ids. Each batch is claimed in one transaction (queued/deferred -> sending; each recipient gets its
outbox row and Message-ID there, kept for every later try), then handed over on a few parallel
SMTP connections (webapp/campaigns/handover.py), each recipient marked sent right after the server
took its message. A worker killed in the middle leaves at most the messages in flight as
"sending": the next run (the work engine's lease brings the job back) sends those again with the
same Message-ID, so nobody is lost and nobody gets two different messages; every other recipient
is either sent or still queued.

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
import time
from concurrent.futures import as_completed

from webapp import signals, work
from webapp.accounts.models import Organization
from webapp.campaigns import audience, compose, handover, lifecycle, sendtime, tally
from webapp.campaigns.models import FINAL_STATUSES, Campaign, CampaignRecipient
from webapp.contacts.models import Activity
from webapp.db import Prepared, Slot, db, utcnow
from webapp.i18n import StoredText, stored_columns, stored_text
from webapp.runtime import settings
from webapp.work import jobs
from webapp.work.models import Job

log = logging.getLogger("rollcall.campaigns")

KIND = "campaign_send"
BATCH = 50


def start(campaign: Campaign, *, user_id: int | None = None) -> Job | None:
    """Record the delivery jobs of a sending campaign (in the caller's transaction), unless one is
    queued or running already: the first alone while the audience is still to be resolved (it
    starts the others once it is), all parts at once otherwise. Returns the first."""
    if _running(campaign):
        return None
    parts = settings().campaign_jobs
    job = _create_part(campaign, 0, parts, user_id)
    if campaign.resolved_at is not None:
        _start_siblings(campaign, job)
    Campaign.update(job_id=job.id).where(Campaign.id == campaign.id).execute()
    campaign.job_id = job.id
    return job


def _running(campaign: Campaign) -> bool:
    """A delivery job of the campaign queued or running (any part)."""
    active = Job.select(Job.params).where(
        (Job.organization_id == campaign.organization_id) & (Job.kind == KIND) & Job.state.in_(("queued", "running"))
    )
    return any(job.params.get("campaign_id") == campaign.id for job in active)


def _create_part(campaign: Campaign, part: int, parts: int, user_id: int | None) -> Job:
    params = {"campaign_id": campaign.id, "part": part, "parts": parts}
    return jobs.create(campaign.organization_id, KIND, params, user_id=user_id)


def _start_siblings(campaign: Campaign, first: Job) -> None:
    parts = _parts(first)[1]
    for part in range(1, parts):
        _create_part(campaign, part, parts, first.user_id)


def _parts(job: Job) -> tuple[int, int]:
    """(this job's part, the number of parts); a job from before parts is the only one."""
    return int(job.params.get("part", 0)), int(job.params.get("parts", 1))


def _in_part(job: Job):
    part, parts = _parts(job)
    if parts == 1:
        return CampaignRecipient.id.is_null(False)
    # id modulo parts, by integer division (peewee's % is LIKE)
    return (CampaignRecipient.id - (CampaignRecipient.id / parts) * parts) == part


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
        jobs.checkpoint(job, total=_part_count(campaign, job), processed=_final_count(campaign, job), checkpoint=point)
    if point.get("phase", "resolve") == "resolve":
        _resolve(job, campaign, point, time_slice)
        return work.AGAIN  # resolved or not: sending starts in the next run, beside the siblings started
    if settings().smtp is None:
        log.info("campaign %s waits: SMTP_URL is not set", campaign.id)
        jobs.finish(job)
        return None
    _take_back_interrupted(campaign, job)
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
                tally.reset(campaign.id, campaign.organization_id)
                _start_siblings(campaign, job)
                point = {"phase": "send", "after": 0, "failures": 0}
                jobs.checkpoint(
                    job, total=_part_count(campaign, job), processed=_final_count(campaign, job), checkpoint=point
                )
                return point
            after = last
            point = {"phase": "resolve", "after": after}
            jobs.checkpoint(job, checkpoint=point)
    return point


def _take_back_interrupted(campaign: Campaign, job: Job) -> None:
    """Recipients of this job's part a dead run left "sending" go back in line, keeping their
    Message-ID (the other parts' are their own jobs' to take back: they may be in flight)."""
    with db.atomic():
        back = (
            CampaignRecipient.update(status="queued")
            .where(
                (CampaignRecipient.campaign == campaign.id) & (CampaignRecipient.status == "sending") & _in_part(job)
            )
            .execute()
        )
        tally.moved(campaign.id, campaign.organization_id, "sending", "queued", back)


def _send(job: Job, campaign: Campaign, point: dict, time_slice: jobs.Slice) -> object:
    sender = compose.Sender.for_campaign(campaign)
    org = sender.org
    rate = _Rate(org, _parts(job)[1])
    with handover.Connections(settings().smtp) as connections:
        while not time_slice.over():
            if Campaign.select(Campaign.state).where(Campaign.id == campaign.id).scalar() != "sending":
                jobs.finish(job)  # paused (by an operator) meanwhile
                return None
            budget = rate.budget()
            if budget <= 0:
                time.sleep(0.2)
                continue
            batch = handover.claim(campaign, sender, point["after"], min(BATCH, budget), _in_part(job))
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
                tried = {id(c) for c in done}  # by identity: comparing the claimed rows field by field is quadratic
                _release(campaign, [c for c in batch if id(c) not in tried])
                _announce(campaign, done, outcomes)
                jobs.checkpoint(job, processed=Job.processed + final, checkpoint=point)
            if point["failures"] >= org.campaign_failure_limit:
                _pause_after_failures(campaign, point["failures"])
                jobs.finish(job)
                return None
    return work.AGAIN


def _hand_over_batch(
    connections: handover.Connections, sender: compose.Sender, batch: list[handover.Claimed], failures: int, limit: int
) -> tuple[list[handover.Claimed], list[str], int]:
    """Hand the batch over on the parallel connections, the outcomes recorded as they come, a few
    at a time (handover.RECORD_EVERY), so a killed worker leaves at most the messages in flight and
    those few unrecorded. After `limit` failures in a row the messages not yet started are left
    untried. Returns (tried, their outcomes, the run)."""
    futures = {connections.submit(sender, c): c for c in batch}
    done: list[handover.Claimed] = []
    outcomes: list[str] = []
    waiting: list[tuple[handover.Claimed, Exception | None]] = []

    def write() -> int:
        run = failures
        for (claimed, _failure), outcome in zip(waiting, handover.record(sender.campaign, waiting), strict=True):
            done.append(claimed)
            outcomes.append(outcome)
            run = run + 1 if outcome in ("deferred", "failed") else 0
        waiting.clear()
        return run

    for future in as_completed(futures):
        if future.cancelled():
            continue
        waiting.append((futures[future], future.result()))
        if len(waiting) >= handover.RECORD_EVERY or any(failure is not None for _c, failure in waiting):
            failures = write()
            if failures >= limit:
                for pending in futures:
                    pending.cancel()
    failures = write()
    return done, outcomes, failures


def _release(campaign: Campaign, rest: list[handover.Claimed]) -> None:
    """Claimed but not tried (the campaign paused itself first): back in line, not counted as tried."""
    if rest:
        back = (
            CampaignRecipient.update(status="queued", attempts=CampaignRecipient.attempts - 1)
            .where(CampaignRecipient.id.in_([c.recipient.id for c in rest]) & (CampaignRecipient.status == "sending"))
            .execute()
        )
        tally.moved(campaign.id, campaign.organization_id, "sending", "queued", back)


def _nothing_due(job: Job, campaign: Campaign) -> None:
    with db.atomic():
        finished = finish_if_done(campaign)
        jobs.finish(job, processed=_final_count(campaign, job))
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


def _final_count(campaign: Campaign, job: Job) -> int:
    """Recipients of the job's part with their outcome."""
    return (
        CampaignRecipient.select()
        .where(
            (CampaignRecipient.campaign == campaign.id) & CampaignRecipient.status.in_(FINAL_STATUSES) & _in_part(job)
        )
        .count()
    )


def _part_count(campaign: Campaign, job: Job) -> int:
    return CampaignRecipient.select().where((CampaignRecipient.campaign == campaign.id) & _in_part(job)).count()


# A delivered message's timeline entry, once (its dedupe key names the outbox row): one compiled
# statement per message costs a fraction of building a many-row insert of the batch.
_EMAILED = Prepared(
    lambda: Activity.insert(
        organization=Slot("organization"),
        contact=Slot("contact"),
        kind="emailed",
        occurred_at=Slot("occurred_at", Activity.occurred_at.db_value),
        summary=Slot("summary"),
        summary_i18n=Slot("summary_i18n", Activity.summary_i18n.db_value),
        data=Slot("data", Activity.data.db_value),
        dedupe_key=Slot("dedupe_key"),
        created_at=Slot("occurred_at", Activity.created_at.db_value),
    ).on_conflict_ignore()
)


class _Rate:
    """The organization's messages per minute, across all its campaigns: what the database says
    was handed over in the last minute, read again every few seconds, plus what this run handed
    over since (so a batch does not count the minute's rows every time). Each of a campaign's
    `parts` jobs takes its share of the minute's budget."""

    REFRESH = 5.0

    def __init__(self, org: Organization, parts: int = 1):
        self.org, self.read_at, self.sent, self.parts = org, 0.0, 0, parts

    def budget(self) -> int:
        if time.monotonic() - self.read_at > self.REFRESH:
            since = utcnow() - dt.timedelta(minutes=1)
            self.sent = (
                CampaignRecipient.select()
                .where((CampaignRecipient.organization == self.org.id) & (CampaignRecipient.sent_at > since))
                .count()
            )
            self.read_at = time.monotonic()
        return (self.org.campaign_rate_per_minute - self.sent) // self.parts

    def used(self, messages: int) -> None:
        self.sent += messages


def _announce(campaign: Campaign, batch: list[handover.Claimed], outcomes: list[str]) -> None:
    """Delivered messages go on their contacts' timelines and to the webhooks (bounced ones went
    through the bounce path, which does the same)."""
    now = utcnow()
    done = [c for c, outcome in zip(batch, outcomes, strict=True) if outcome == "sent"]
    if not done:
        return
    for c in done:
        sent = stored_text("Sent “%(subject)s”", subject=c.subject)
        _EMAILED.execute(
            organization=campaign.organization_id,
            contact=c.contact.id,
            occurred_at=now,
            summary=sent.english[:300],
            summary_i18n=sent.to_json(),
            data={"outbox_id": c.recipient.outbox_id, "send_key": campaign.send_key},
            dedupe_key=f"sent:{c.recipient.outbox_id}",
        )
    signals.emit(signals.mail_event, event="delivered", outbox_ids=[c.recipient.outbox_id for c in done])


def _pause_after_failures(campaign: Campaign, failures: int) -> None:
    last_error = (
        CampaignRecipient.select(CampaignRecipient.error)
        .where((CampaignRecipient.campaign == campaign.id) & CampaignRecipient.error.is_null(False))
        .order_by(CampaignRecipient.id.desc())
        .scalar()
    )
    reason = stored_text(
        "Paused after %(failures)s failed hand-overs in a row. Last error: %(error)s",
        failures=failures,
        error=last_error or stored_text("unknown"),
    )
    try:
        lifecycle.move(campaign, "pause", **stored_columns("paused_reason", reason, 2000))
    except lifecycle.TransitionError:
        return
    log.warning("campaign %s paused: %s", campaign.id, reason.english)


# Operator actions and the minute's upkeep ---------------------------------------------------------


def pause(campaign: Campaign, *, reason: StoredText) -> None:
    lifecycle.move(campaign, "pause", **stored_columns("paused_reason", reason, 2000))


def resume(campaign: Campaign, *, user_id: int | None = None) -> None:
    with db.atomic():
        lifecycle.move(campaign, "resume", paused_reason=None, paused_reason_i18n=None)
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
        due = CampaignRecipient.select().where(handover.due(campaign, now)).exists()
        resolving = campaign.resolved_at is None
        if due or resolving:
            with db.atomic():
                started += start(campaign) is not None
        else:
            with db.atomic():
                finish_if_done(campaign)
    return started
