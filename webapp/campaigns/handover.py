"""Claiming and handing over a campaign's messages (webapp/campaigns/delivery.py runs them).

A batch of due recipients is claimed in one transaction (queued/deferred -> sending): each gets its
outbox row (kind "campaign", the campaign's send key) and its Message-ID, kept for every later try.
`Connections` renders, signs and hands the messages over on CONNECTIONS SMTP connections in
threads; the job's thread records the outcomes as they come (`record`: those finished since the last
write, in one transaction): sent, a 5xx for the recipient a hard bounce through the bounce path
(webapp/campaigns/bounces.py: the contact marked bounced, its timeline, the webhook), anything else
deferred with backoff, failed after MAX_ATTEMPTS tries.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import secrets
import smtplib
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from flask import current_app

from webapp.campaigns import bounces, compose, tally
from webapp.campaigns.models import Campaign, CampaignRecipient
from webapp.contacts.models import Contact
from webapp.db import Prepared, Slot, db, utcnow
from webapp.mail.models import CAMPAIGN_KIND, Outbox
from webapp.mail.service import SmtpSession

log = logging.getLogger("rollcall.campaigns")

CONNECTIONS = 4  # SMTP connections a delivery job hands messages over on at once
RECORD_EVERY = 10  # outcomes written together (fewer while the batch's last ones come in)
MAX_ATTEMPTS = 5


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


@dataclass
class Claimed:
    recipient: CampaignRecipient
    contact: Contact
    subject: str


# What a message needs of its recipient and contact, read as plain values: building two whole
# model instances per row (every column converted) cost more than rendering the message.
_CLAIMED_COLUMNS = (
    CampaignRecipient.id,
    CampaignRecipient.email,
    CampaignRecipient.message_id,
    CampaignRecipient.outbox_id,
    CampaignRecipient.attempts,
    CampaignRecipient.status,
    Contact.id,
    Contact.name,
    Contact.email,
    Contact.company,
)


def _claimed(sender: compose.Sender, row: tuple) -> Claimed:
    recipient_id, email, message_id, outbox_id, attempts, status, contact_id, name, contact_email, company = row
    recipient = CampaignRecipient(
        id=recipient_id,
        email=email,
        message_id=message_id,
        outbox_id=outbox_id,
        attempts=attempts,
        status=status,
        contact=contact_id,
        campaign=sender.campaign.id,
        organization=sender.campaign.organization_id,
        __no_default__=True,
    )
    contact = Contact(
        id=contact_id,
        name=name,
        email=contact_email,
        company=company,
        organization=sender.campaign.organization_id,
        __no_default__=True,
    )
    return Claimed(recipient, contact, sender.subject(contact))


def due(campaign: Campaign, now: dt.datetime):
    return (
        (CampaignRecipient.campaign == campaign.id)
        & CampaignRecipient.status.in_(("queued", "deferred"))
        & (CampaignRecipient.next_attempt_at.is_null() | (CampaignRecipient.next_attempt_at <= now))
        & (CampaignRecipient.scheduled_for.is_null() | (CampaignRecipient.scheduled_for <= now))
    )


def claim(campaign: Campaign, sender: compose.Sender, after: int, limit: int, part=True) -> list[Claimed]:
    """The next due recipients after `after` (of the job's `part`: a condition on the recipient),
    claimed (-> sending) with their outbox rows."""
    now = utcnow()
    with db.atomic():
        rows = (
            CampaignRecipient.select(*_CLAIMED_COLUMNS)
            .join(Contact, on=CampaignRecipient.contact == Contact.id)
            .where(due(campaign, now) & (CampaignRecipient.id > after) & part)
            .order_by(CampaignRecipient.id)
            .limit(limit)
            .tuples()
        )
        claimed = [_claimed(sender, row) for row in rows]
        if not claimed:
            return []
        _give_outbox_rows(campaign, sender, [c for c in claimed if c.recipient.outbox_id is None], now)
        for c in claimed:
            _CLAIM.execute(id=c.recipient.id, message_id=c.recipient.message_id, outbox_id=c.recipient.outbox_id)
            c.recipient.attempts += 1
        was = Counter(c.recipient.status for c in claimed)
        tally.add(campaign.id, campaign.organization_id, {**{s: -n for s, n in was.items()}, "sending": len(claimed)})
        for c in claimed:
            c.recipient.status = "sending"
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
    """What SmtpSession.send needs: with `outbox_id`, the envelope sender is the bounce mailbox's
    address with the message's token (webapp/mail/bounce_address.py), so a DSN finds it."""

    from_email: str
    to_email: str
    outbox_id: int


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
        self.pool = ThreadPoolExecutor(CONNECTIONS, thread_name_prefix="campaign-smtp", initializer=self._enter_app)

    def _enter_app(self) -> None:
        # Each thread works in the app's context for its whole life (settings: the bounce address,
        # the secret of the tokens) rather than pushing one per message; the app registers no
        # teardown for it to miss, and the thread's context ends with the thread.
        self.app.app_context().push()

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
            data = sender.message(
                contact=c.contact,
                to_email=r.email,
                subject=c.subject,
                message_id=r.message_id,
                outbox_id=r.outbox_id,
                now=utcnow(),
            )
            self._session().send(_Envelope(sender.campaign.from_email, r.email, r.outbox_id), data)
        except Exception as exc:  # every failure is the recipient's outcome, never lost
            return exc
        return None


# The outcome statements for n rows at a time (n up to RECORD_EVERY or so), each compiled once:
# building an UPDATE ... IN (...) cost more than running it.
@functools.lru_cache(maxsize=64)
def _marked_sent(n: int) -> Prepared:
    R = CampaignRecipient
    ids = [Slot(f"id{i}") for i in range(n)]
    return Prepared(
        lambda: R.update(status="sent", sent_at=Slot("now", R.sent_at.db_value), error=None).where(
            R.id.in_(ids) & (R.status == "sending")
        )
    )


@functools.lru_cache(maxsize=64)
def _outbox_sent(n: int) -> Prepared:
    ids = [Slot(f"id{i}") for i in range(n)]
    return Prepared(
        lambda: Outbox.update(
            state="sent", sent_at=Slot("now", Outbox.sent_at.db_value), attempts=Slot("attempts"), last_error=None
        ).where(Outbox.id.in_(ids))
    )


def _run_for(statement, ids: list[int], **values):
    return statement(len(ids)).execute(**values, **{f"id{i}": id_ for i, id_ in enumerate(ids)})


def record(campaign: Campaign, finished: list[tuple[Claimed, Exception | None]]) -> list[str]:
    """The outcomes (sent, deferred, bounced, failed) of messages just handed over (or not), written
    together in one transaction; in the order given."""
    now = utcnow()
    outcomes = []
    with db.atomic(), tally.batch():
        sent = [c.recipient for c, failure in finished if failure is None]
        if sent:
            done = _run_for(_marked_sent, [r.id for r in sent], now=now).rowcount
            tally.moved(campaign.id, campaign.organization_id, "sending", "sent", done)
            for attempts in {r.attempts for r in sent}:
                ids = [r.outbox_id for r in sent if r.attempts == attempts]
                _run_for(_outbox_sent, ids, now=now, attempts=attempts)
        for c, failure in finished:
            outcomes.append("sent" if failure is None else _failed(campaign, c, failure))
    return outcomes


def _is_hard(exc: Exception) -> bool:
    """A 5xx for this recipient or this message. A refused envelope sender is the server's
    quarrel with us, not with the address: it fails (and pauses the campaign after a run)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPDataError) and 500 <= exc.smtp_code < 600


def _failed(campaign: Campaign, c: Claimed, exc: Exception) -> str:
    r = c.recipient
    error = f"{type(exc).__name__}: {exc}"[:2000]
    with db.atomic():
        if _is_hard(exc):
            Outbox.update(state="failed", last_error=error).where(Outbox.id == r.outbox_id).execute()
            # Recorded as a DSN's would be: the recipient bounced, the contact too, its timeline, the webhook.
            bounces.bounced(Outbox.get_by_id(r.outbox_id), hard=True, reason=_refusal(exc))
            log.info("campaign %s: %s bounced: %s", campaign.id, r.email, error)
            return "bounced"
        if r.attempts >= MAX_ATTEMPTS:
            tally.change(r, "failed", soft=True, error=error)
            Outbox.update(state="failed", last_error=error).where(Outbox.id == r.outbox_id).execute()
            return "failed"
        tally.change(r, "deferred", soft=True, error=error, next_attempt_at=utcnow() + backoff(r.attempts))
        Outbox.update(state="queued", last_error=error).where(Outbox.id == r.outbox_id).execute()
    log.info("campaign %s: %s deferred: %s", campaign.id, r.email, error)
    return "deferred"


def _refusal(exc: smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError) -> str:
    """The server's answer, as a bounce's reason: "550 5.1.1 No such user"."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = list(exc.recipients.values())
    else:
        answers = [(exc.smtp_code, exc.smtp_error)]
    text = "; ".join(f"{code} {m.decode(errors='replace') if isinstance(m, bytes) else m}" for code, m in answers)
    return text[:1000]


def backoff(attempts: int) -> dt.timedelta:
    """2, 4, 8, 16... minutes after the 1st, 2nd, 3rd... soft failure (at most 2 hours)."""
    return min(dt.timedelta(minutes=2**attempts), dt.timedelta(hours=2))
