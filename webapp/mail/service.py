"""Queue emails into the outbox and deliver them over SMTP.

An email is an Outbox row first, written in the caller's transaction; its delivery task is enqueued
only after that commit (all the emails of one transaction go in one task, over one SMTP
connection). Delivery claims the row (queued -> sending) before talking to the server, so two
workers never send the same row, and a retry after a successful hand-off never happens.

Promotional email (automations) follows the recipient's consent (webapp/mail/consent.py): it
carries an unsubscribe link and List-Unsubscribe, and is kept as "skipped" — written, never
sent — for a contact who unsubscribed or bounced.

Senders: an address is used as From only when it is on a verified sending domain of the
organization (and the mail is then DKIM-signed); otherwise the mail goes out from the instance's
default sender, under the organization's name, with the wanted address as Reply-To.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
import logging
import smtplib
import ssl
from email.message import EmailMessage

from prometheus_client import Counter

from webapp import signals, work
from webapp.accounts import audit
from webapp.contacts import service as contacts
from webapp.contacts.models import Contact
from webapp.contacts.rules import normalize_email
from webapp.db import db, utcnow
from webapp.guards import has_control_characters
from webapp.i18n import stored_text
from webapp.mail import bounce_address, consent, dkim_keys, smtp_transaction, tracking
from webapp.mail.domains import verified_domain
from webapp.mail.models import ANNOUNCED_KINDS, CAMPAIGN_KIND, OUTBOX_STATES, Outbox
from webapp.runtime import settings
from webapp.storage import storage
from webapp.tickets import service as tickets

log = logging.getLogger("rollcall.mail")

# Counted in the process that sends (a worker); /metrics shows it when the node's processes share
# PROMETHEUS_MULTIPROC_DIR (webapp/observability.py). "permanent": the message failed for good.
SMTP_FAILURES = Counter("rollcall_smtp_failures", "Attempts the SMTP server or connection failed", ["outcome"])

MAX_ATTEMPTS = 8
# Longer than a work lease (6 min for the default 5): the hand-off's worker is gone.
STUCK_AFTER = work.engine.LEASE * 6 / 5
DELIVER = "mail.deliver"  # work: {"message_id"}, run in batches over one SMTP connection


def queue_email(
    *,
    kind: str,
    to_email: str,
    subject: str,
    text_body: str,
    html_body: str | None = None,
    to_name: str = "",
    organization=None,
    from_email: str | None = None,
    from_name: str | None = None,
    reply_to: str | None = None,
    attachments: list[dict] | None = None,
    event_id: int | None = None,
    registrant_id: int | None = None,
    order_id: int | None = None,
    unsubscribe_url: str | None = None,
    skip_reason: str | None = None,
    send_key: str | None = None,
) -> Outbox:
    """Write the email to the outbox; it is delivered after the surrounding transaction commits.

    Attachments are {"filename", "content_type", "path"} (a storage key, webapp/storage.py), or
    {"ticket": "registrant:<id>" | "order:<id>"}: the ticket PDF as it is when the mail is sent.
    `unsubscribe_url`: sent as List-Unsubscribe (promotional mail). `skip_reason`: the email must
    not go out (the recipient unsubscribed): it is kept as "skipped" with that reason, for the log.
    `send_key`: the send the email belongs to ("ticket", "automation:<id>"...; None for account
    mail); such an email is filed under the organization's contact with its address."""
    config = settings()
    default_name, default_email = email.utils.parseaddr(config.mail_from)
    if from_name is None:
        from_name = organization.name if organization is not None else default_name
    org_reply_to = organization.reply_to if organization is not None else None
    wanted = from_email if from_email and from_email != default_email else None
    if wanted and organization is not None and verified_domain(organization.id, wanted) is None:
        # Not ours to send from (yet): the instance sends, replies still reach the organizer.
        reply_to = reply_to or wanted
        from_email = None
    from_email = from_email or default_email
    message = Outbox.create(
        organization=organization,
        message_id=email.utils.make_msgid(domain=from_email.rpartition("@")[2] or "rollcall.localhost"),
        kind=kind,
        to_email=to_email,
        to_name=to_name,
        from_email=from_email,
        from_name=from_name,
        reply_to=reply_to or org_reply_to,
        subject=" ".join(subject.split())[:500],
        text_body=text_body,
        html_body=html_body,
        attachments=attachments or [],
        event_id=event_id,
        registrant_id=registrant_id,
        order_id=order_id,
        unsubscribe_url=unsubscribe_url,
        send_key=send_key,
        contact_id=_contact_id(organization, to_email) if send_key else None,
        state="skipped" if skip_reason else "queued",
        last_error=skip_reason,
    )
    if skip_reason:
        log.info("mail %s (%s) to %s skipped: %s", message.id, kind, to_email, skip_reason)
    else:
        _deliver_after_commit(message.id)
    return message


def _contact_id(organization, to_email: str) -> int | None:
    if organization is None:
        return None
    org_id = getattr(organization, "id", organization)
    return (
        Contact.select(Contact.id)
        .where((Contact.organization == org_id) & (Contact.email == normalize_email(to_email)))
        .scalar()
    )


def _file_under_contact(row: Outbox) -> None:
    """A message queued before its recipient's contact existed (the contact sync and the ticket
    email run side by side) is filed under the contact when it is sent."""
    if row.contact_id is None and row.send_key and row.organization_id:
        row.contact_id = _contact_id(row.organization_id, row.to_email)
        if row.contact_id is not None:
            Outbox.update(contact_id=row.contact_id).where(Outbox.id == row.id).execute()


def _deliver_after_commit(message_id: int) -> None:
    """Record the delivery as urgent work in the caller's transaction (the engine hands the
    emails claimed together to one DELIVER run, over one SMTP connection)."""
    work.record(DELIVER, {"message_id": message_id})


def requeue(message: Outbox) -> Outbox:
    """Send a message again as a new outbox row (resend), keeping the old one in the log. A
    promotional one follows the recipient's consent as it is now (kept as skipped otherwise)."""
    unsubscribe_url, skip_reason = message.unsubscribe_url, None
    if consent.is_promotional(message.kind) and message.organization_id:
        recipient = consent.recipient(message.organization_id, message.to_email)
        unsubscribe_url, skip_reason = recipient.unsubscribe_url or unsubscribe_url, recipient.skip_reason
    return queue_email(
        kind=message.kind,
        to_email=message.to_email,
        to_name=message.to_name,
        subject=message.subject,
        text_body=message.text_body,
        html_body=message.html_body,
        organization=message.organization,
        from_email=message.from_email,
        from_name=message.from_name,
        reply_to=message.reply_to,
        attachments=message.attachments,
        event_id=message.event_id,
        registrant_id=message.registrant_id,
        order_id=message.order_id,
        unsubscribe_url=unsubscribe_url,
        skip_reason=skip_reason,
        send_key=message.send_key,
    )


class NotResent(ValueError):
    """The email cannot be sent again: its recipient unsubscribed from this kind of email."""


def resend(message: Outbox, *, actor, actor_label: str | None = None) -> Outbox:
    """An operator sends an email of the log again (a new row; the old one stays as it was).
    A promotional email to a contact who unsubscribed is refused (NotResent), and so is a campaign's
    message: its row holds no body (the campaign does), and its campaign decides who gets it."""
    if message.kind == CAMPAIGN_KIND:
        raise NotResent("A campaign's message is sent by its campaign: duplicate the campaign instead.")
    if consent.is_promotional(message.kind) and message.organization_id:
        reason = consent.recipient(message.organization_id, message.to_email).skip_reason
        if reason:
            raise NotResent(reason)
    with db.atomic():
        copy = requeue(message)
        if message.organization_id:
            audit.record(
                message.organization_id,
                "mail.resend",
                user=actor,
                actor=actor_label,
                target=message,
                summary=stored_text(
                    "Resent “%(subject)s” to %(to_email)s", subject=message.subject, to_email=message.to_email
                ),
            )
    return copy


# ---------------------------------------------------------------------------------------------
# Reading the outbox (console mail log, registrant page)


def list_outbox(
    org_id: int,
    *,
    state: str | None = None,
    kind: str | None = None,
    search: str | None = None,
    event_id: int | None = None,
    registrant_id: int | None = None,
):
    """The organization's emails, newest first, filtered; a query to paginate."""
    query = Outbox.select().where(Outbox.organization == org_id)
    if state in OUTBOX_STATES:
        query = query.where(Outbox.state == state)
    if kind:
        query = query.where(Outbox.kind == kind)
    if event_id:
        query = query.where(Outbox.event_id == event_id)
    if registrant_id:
        query = query.where(Outbox.registrant_id == registrant_id)
    if search and search.strip():
        needle = f"%{search.strip()}%"
        query = query.where(Outbox.to_email.ilike(needle) | Outbox.subject.ilike(needle) | Outbox.to_name.ilike(needle))
    return query.order_by(Outbox.created_at.desc(), Outbox.id.desc())


def emails_for_registrant(registrant) -> list[Outbox]:
    """Every email generated for this registrant, newest first."""
    return list(list_outbox(registrant.organization_id, registrant_id=registrant.id))


def get_message(org_id: int, message_id: int) -> Outbox:
    """One email of the organization, or Outbox.DoesNotExist."""
    return Outbox.get((Outbox.id == message_id) & (Outbox.organization == org_id))


def outbox_kinds(org_id: int) -> list[str]:
    query = Outbox.select(Outbox.kind).where(Outbox.organization == org_id).distinct()
    return sorted(row.kind for row in query)


# ---------------------------------------------------------------------------------------------
# Delivery


def _one_line(text: str | None) -> str:
    """A header's text with any line break or control character as a space (a name stored before
    forms refused them must not keep its email from being sent)."""
    return "".join(" " if has_control_characters(char) else char for char in text or "").strip()


def build_message(row: Outbox) -> EmailMessage:
    msg = EmailMessage()
    msg["Message-ID"] = row.message_id
    msg["Date"] = email.utils.format_datetime(row.created_at.replace(tzinfo=dt.UTC))
    msg["From"] = email.utils.formataddr((_one_line(row.from_name), row.from_email))
    msg["To"] = email.utils.formataddr((_one_line(row.to_name), row.to_email))
    if row.reply_to:
        msg["Reply-To"] = row.reply_to
    msg["Subject"] = _one_line(row.subject)
    msg["Auto-Submitted"] = "auto-generated"
    if row.unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{row.unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # our /u/<token> takes the POST
    msg.set_content(row.text_body)
    html_body = tracking.instrument(row)  # the open image and tracked links, when tracked
    if html_body:
        msg.add_alternative(html_body, subtype="html")
    for att in row.attachments:
        filename, content_type, data = _attachment(att)
        maintype, _, subtype = content_type.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def _attachment(att: dict) -> tuple[str, str, bytes]:
    if "ticket" in att:
        try:
            return att["filename"], "application/pdf", tickets.pdf_for_key(att["ticket"])
        except tickets.NoTickets as exc:
            raise PermanentFailure(f"the ticket is no longer valid ({exc})") from exc
    return att["filename"], att["content_type"], storage().read(att["path"])


def render_bytes(row: Outbox) -> bytes:
    """The message as sent: DKIM-signed when its From is on a verified domain of its organization."""
    data = build_message(row).as_bytes(policy=email.policy.SMTP)
    domain = verified_domain(row.organization_id, row.from_email)
    if domain is None:
        return data
    signature = dkim_keys.sign(
        data, selector=domain.dkim_selector, domain=domain.domain, private_key=domain.dkim_private_key
    )
    return signature + data


class SmtpSession:
    """One SMTP connection for a burst of messages, opened on first use and reopened after an
    error that may have broken it."""

    def __init__(self, smtp):
        self.smtp = smtp
        self.client: smtplib.SMTP | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, row: Outbox, data: bytes) -> None:
        if self.client is None:
            self.client = _connect(self.smtp)
        try:
            smtp_transaction.send(self.client, _envelope_sender(row), row.to_email, data)
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused):
            if self.client.sock is None:  # the server said it was closing (421)
                self.client = None
            raise  # the server answered and the transaction was reset: the connection is still good
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except Exception:  # already gone: nothing to close politely
                self.client.close()
            self.client = None


def _envelope_sender(row) -> str:
    """With a bounce mailbox, the reports of a message come back to it, naming its outbox row
    (`row` is an Outbox row, or any envelope with from_email, to_email and maybe outbox_id)."""
    outbox_id = row.id if isinstance(row, Outbox) else getattr(row, "outbox_id", None)
    return (bounce_address.envelope_sender(outbox_id) if outbox_id else None) or row.from_email


def _connect(smtp) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if smtp.security == "ssl":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=30, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=30)
    if smtp.security == "starttls":
        client.starttls(context=context)
    if smtp.username:
        client.login(smtp.username, smtp.password or "")
    return client


def deliver(message_id: int, *, session: SmtpSession | None = None) -> str:
    """Hand one outbox row to the SMTP server. Returns the row's state afterwards ("skipped" when
    it was not ours to send: already sent, taken by another worker, or not due — or when its
    recipient unsubscribed from promotional mail meanwhile, which the row then says)."""
    config = settings()
    if config.smtp is None:
        _keep_in_outbox()
        return "queued"
    if session is None:
        with SmtpSession(config.smtp) as own:
            return deliver(message_id, session=own)
    row = claim(message_id)
    if row is None:
        return "skipped"
    if _withdrawn(row):
        return "skipped"
    _file_under_contact(row)
    try:
        data = render_bytes(row)
        session.send(row, data)
    except Exception as exc:  # any failure is recorded on the row, never lost
        return _failed(row, exc)
    with db.atomic():
        Outbox.update(state="sent", sent_at=utcnow(), last_error=None).where(Outbox.id == row.id).execute()
        if row.kind in ANNOUNCED_KINDS:
            signals.emit(signals.mail_event, event="delivered", outbox_ids=[row.id])
    log.info("sent %s (%s) to %s", row.message_id, row.kind, row.to_email)
    return "sent"


def deliver_many(message_ids: list[int]) -> dict[str, int]:
    """Deliver several rows over one connection; counts per resulting state."""
    config = settings()
    counts: dict[str, int] = {}
    if config.smtp is None:
        if message_ids:
            _keep_in_outbox()
        return {"queued": len(message_ids)} if message_ids else {}
    with SmtpSession(config.smtp) as session:
        for message_id in message_ids:
            state = deliver(message_id, session=session)
            counts[state] = counts.get(state, 0) + 1
    return counts


def _withdrawn(row: Outbox) -> bool:
    """A promotional email whose recipient unsubscribed after it was queued: skip it (and say so)."""
    if not consent.is_promotional(row.kind) or not row.organization_id:
        return False
    reason = consent.recipient(row.organization_id, row.to_email).skip_reason
    if reason is None:
        return False
    Outbox.update(state="skipped", last_error=reason).where(Outbox.id == row.id).execute()
    log.info("mail %s (%s) to %s skipped: %s", row.id, row.kind, row.to_email, reason)
    return True


_told_smtp_unset = False


def _keep_in_outbox() -> None:
    """Without SMTP_URL the row simply stays queued: that is how the instance is set up, not an
    error of the message, so the row gets no error and the log says it once, at INFO."""
    global _told_smtp_unset
    if not _told_smtp_unset:
        _told_smtp_unset = True
        log.info("SMTP_URL is not set: emails are kept in the outbox, readable in the console's mail log")


def claim(message_id: int) -> Outbox | None:
    """queued -> sending, atomically; None when another worker has it or it is not due. A row left
    "sending" by a worker that died during the hand-off is taken again (its work item came back
    when the worker's lease lapsed): the server may have it already, but an email is never lost,
    and it goes out with the same Message-ID."""
    now = utcnow()
    due = (Outbox.state == "queued") & (Outbox.next_attempt_at <= now)
    interrupted = (Outbox.state == "sending") & (Outbox.next_attempt_at < now - STUCK_AFTER)
    claimed = (
        Outbox.update(state="sending", attempts=Outbox.attempts + 1, next_attempt_at=now)
        .where((Outbox.id == message_id) & (due | interrupted) & (Outbox.kind != CAMPAIGN_KIND))
        .execute()
    )
    return Outbox.get_by_id(message_id) if claimed else None


class PermanentFailure(Exception):
    """Retrying cannot help (e.g. the ticket of a canceled registrant)."""


def _failed(row: Outbox, exc: Exception) -> str:
    permanent = isinstance(exc, (smtplib.SMTPRecipientsRefused, PermanentFailure)) or (
        isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600
    )
    error = f"{type(exc).__name__}: {exc}"[:2000]
    gives_up = permanent or row.attempts >= MAX_ATTEMPTS
    if isinstance(exc, (smtplib.SMTPException, OSError)):
        SMTP_FAILURES.labels("permanent" if gives_up else "retried").inc()
    if gives_up:
        with db.atomic():
            Outbox.update(state="failed", last_error=error).where(Outbox.id == row.id).execute()
            _bounced(row, exc)
        log.warning("mail %s failed for good: %s", row.id, error)
        return "failed"
    delay = backoff(row.attempts)
    with db.atomic():
        Outbox.update(state="queued", last_error=error, next_attempt_at=utcnow() + delay).where(
            Outbox.id == row.id
        ).execute()
        work.record(DELIVER, {"message_id": row.id}, delay=delay)
    log.info("mail %s will be retried in %s: %s", row.id, delay, error)
    return "queued"


def _bounced(row: Outbox, exc: Exception) -> None:
    """The server refused the recipient for good (5xx to RCPT TO): the contact's address bounced,
    so they get no more promotional mail."""
    if row.organization_id is None or not isinstance(exc, smtplib.SMTPRecipientsRefused):
        return
    for code, answer in exc.recipients.values():
        if 500 <= code < 600:
            reason = f"{code} {answer.decode(errors='replace') if isinstance(answer, bytes) else answer}"
            contacts.mark_bounced(row.organization_id, row.to_email, reason=reason)
            if row.kind in ANNOUNCED_KINDS:
                signals.emit(signals.mail_event, event="bounced", outbox_ids=[row.id])
            return


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8... minutes after the 1st, 2nd, 3rd... failed attempt (at most 4 hours)."""
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), dt.timedelta(hours=4))


def due_messages(limit: int = 500) -> list[int]:
    """Queued rows whose time has come and rows of an interrupted hand-off: mail kept while
    SMTP_URL was not set, once it is."""
    now = utcnow()
    if settings().smtp is None:
        return []  # nothing can be sent: the mail stays readable in the log
    query = (
        Outbox.select(Outbox.id)
        .where(
            (
                ((Outbox.state == "queued") & (Outbox.next_attempt_at <= now))
                | ((Outbox.state == "sending") & (Outbox.next_attempt_at < now - STUCK_AFTER))
            )
            & (Outbox.kind != CAMPAIGN_KIND)
        )
        .order_by(Outbox.next_attempt_at)
        .limit(limit)
    )
    return [row.id for row in query]
