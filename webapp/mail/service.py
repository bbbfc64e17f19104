"""Queue emails into the outbox and deliver them over SMTP.

An email is an Outbox row first, written in the caller's transaction; its delivery task is enqueued
only after that commit. Delivery claims the row (queued -> sending) before talking to the server,
so two workers never send the same row, and a retry after a successful hand-off never happens.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path

from webapp.db import utcnow
from webapp.mail.models import Outbox
from webapp.runtime import settings

log = logging.getLogger("rollcall.mail")

MAX_ATTEMPTS = 8
STUCK_AFTER = dt.timedelta(minutes=10)


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
) -> Outbox:
    """Write the email to the outbox; it is delivered after the surrounding transaction commits."""
    config = settings()
    default_name, default_email = email.utils.parseaddr(config.mail_from)
    if from_name is None:
        from_name = organization.name if organization is not None else default_name
    domain = (from_email or default_email).rpartition("@")[2] or "rollcall.localhost"
    message = Outbox.create(
        organization=organization,
        message_id=email.utils.make_msgid(domain=domain),
        kind=kind,
        to_email=to_email,
        to_name=to_name,
        from_email=from_email or default_email,
        from_name=from_name,
        reply_to=reply_to or (organization.reply_to if organization is not None else None),
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        attachments=attachments or [],
        event_id=event_id,
        registrant_id=registrant_id,
        order_id=order_id,
    )
    from tasks.base import enqueue_after_commit
    from tasks.mail import deliver_email

    enqueue_after_commit(deliver_email, message.id)
    return message


def requeue(message: Outbox) -> Outbox:
    """Send a message again as a new outbox row (resend), keeping the old one in the log."""
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
    )


def build_message(row: Outbox) -> EmailMessage:
    msg = EmailMessage()
    msg["Message-ID"] = row.message_id
    msg["Date"] = email.utils.format_datetime(row.created_at.replace(tzinfo=dt.UTC))
    msg["From"] = email.utils.formataddr((row.from_name, row.from_email))
    msg["To"] = email.utils.formataddr((row.to_name, row.to_email))
    if row.reply_to:
        msg["Reply-To"] = row.reply_to
    msg["Subject"] = row.subject
    msg.set_content(row.text_body)
    if row.html_body:
        msg.add_alternative(row.html_body, subtype="html")
    instance = settings().instance_dir
    for att in row.attachments:
        data = (instance / att["path"]).read_bytes()
        maintype, _, subtype = att["content_type"].partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=att["filename"])
    return msg


def claim(message_id: int) -> Outbox | None:
    """queued -> sending, atomically; None when another worker has it or it is not due."""
    now = utcnow()
    claimed = (
        Outbox.update(state="sending", attempts=Outbox.attempts + 1, next_attempt_at=now)
        .where((Outbox.id == message_id) & (Outbox.state == "queued") & (Outbox.next_attempt_at <= now))
        .execute()
    )
    return Outbox.get_by_id(message_id) if claimed else None


def deliver(message_id: int) -> str:
    """Hand one outbox row to the SMTP server. Returns the row's state afterwards."""
    config = settings()
    if config.smtp is None:
        Outbox.update(last_error="SMTP_URL is not set: kept in the outbox").where(
            (Outbox.id == message_id) & (Outbox.state == "queued")
        ).execute()
        return "queued"
    row = claim(message_id)
    if row is None:
        return "skipped"
    try:
        _send(build_message(row), config.smtp)
    except Exception as exc:  # any failure is recorded on the row, never lost
        return _failed(row, exc)
    Outbox.update(state="sent", sent_at=utcnow(), last_error=None).where(Outbox.id == row.id).execute()
    log.info("sent %s (%s) to %s", row.message_id, row.kind, row.to_email)
    return "sent"


def _failed(row: Outbox, exc: Exception) -> str:
    permanent = isinstance(exc, smtplib.SMTPRecipientsRefused) or (
        isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600
    )
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if permanent or row.attempts >= MAX_ATTEMPTS:
        Outbox.update(state="failed", last_error=error).where(Outbox.id == row.id).execute()
        log.warning("mail %s failed for good: %s", row.id, error)
        return "failed"
    delay = dt.timedelta(minutes=2 ** (row.attempts - 1))
    Outbox.update(state="queued", last_error=error, next_attempt_at=utcnow() + delay).where(
        Outbox.id == row.id
    ).execute()
    log.info("mail %s will be retried in %s: %s", row.id, delay, error)
    return "queued"


def _send(msg: EmailMessage, smtp) -> None:
    context = ssl.create_default_context()
    if smtp.security == "ssl":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=30, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=30)
    with client:
        if smtp.security == "starttls":
            client.starttls(context=context)
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
        client.send_message(msg)


def due_messages(limit: int = 500) -> list[int]:
    """Queued rows whose time has come; interrupted hand-offs are marked failed (never re-sent:
    the server may have taken them), for an operator to check and resend."""
    now = utcnow()
    Outbox.update(state="failed", last_error="Delivery was interrupted during the hand-off; check and resend.").where(
        (Outbox.state == "sending") & (Outbox.next_attempt_at < now - STUCK_AFTER)
    ).execute()
    query = (
        Outbox.select(Outbox.id)
        .where((Outbox.state == "queued") & (Outbox.next_attempt_at <= now))
        .order_by(Outbox.next_attempt_at)
        .limit(limit)
    )
    return [row.id for row in query]


def attachment_path(relative: str) -> Path:
    return settings().instance_dir / relative
