"""Bounces and complaints received by the bounce mailbox (webapp/campaigns/bounce_server.py).

`parse` reads one received message:
- a DSN (RFC 3464: multipart/report; report-type=delivery-status): per recipient, Action `failed`
  with a Status 5.x.x is a hard bounce; a 4.x.x status, or Action `delayed`, is soft;
- an ARF report (RFC 5965: multipart/report; report-type=feedback-report): a complaint (the
  recipient marked the message as spam).
Anything else (an auto-reply, a stray message) is no report and is left alone.

`handle` finds the message each report is about: by the token of the bounce address the report
came back to (VERP, webapp/mail/bounce_address.py), else by the Message-ID of the returned message
(campaign and transactional messages alike, through the outbox), else by the recipient's address
(the latest message sent to it). Then, in one transaction:
- hard: the contact is marked bounced (no more campaigns or automations), a campaign recipient
  becomes "bounced";
- complaint: the contact is unsubscribed with the status "complained";
- soft: recorded; a message that failed for now is sent again later with backoff (a campaign
  recipient is deferred, for its campaign's sending to retry; a transactional message is queued
  again as a new outbox row), at most MAX_SOFT_RETRIES times. A "delayed" report is only recorded:
  the remote server is still trying.
Each report is a MailBounce row, lands on the contact's timeline and fires the signed webhook
(signals.mail_event: bounced or complained). A report received twice changes nothing twice.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import logging
import re
from dataclasses import dataclass
from email.message import Message

from webapp import signals
from webapp.campaigns import tally
from webapp.campaigns.bounce_models import MailBounce
from webapp.campaigns.models import Campaign, CampaignRecipient
from webapp.contacts import service as contacts
from webapp.contacts.models import Contact
from webapp.contacts.rules import normalize_email
from webapp.db import db, utcnow
from webapp.i18n import StoredText, stored_text
from webapp.mail import bounce_address
from webapp.mail import service as mail
from webapp.mail.models import Outbox

log = logging.getLogger("rollcall.bounces")

MAX_SOFT_RETRIES = 3
RECIPIENT_WINDOW = dt.timedelta(days=30)  # a report found by address only: messages this recent
SOFT_WINDOW = dt.timedelta(days=3)
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


@dataclass(frozen=True)
class Report:
    kind: str  # hard, soft, complaint
    recipient: str  # normalized address ("" when the report does not say)
    action: str = ""  # failed, delayed; for a complaint the feedback type (abuse, ...)
    status: str = ""  # 5.1.1
    diagnostic: str = ""
    message_id: str | None = None  # of the message reported on


# Parsing ------------------------------------------------------------------------------------------


def parse(raw: bytes) -> list[Report]:
    """The reports one received message carries (none for a message that is not a report)."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    if msg.get_content_type() != "multipart/report":
        return []
    report_type = (msg.get_param("report-type") or "").lower()
    parts = list(msg.walk())
    message_id, original_to = _returned_message(parts)
    if report_type == "delivery-status":
        return _dsn_reports(parts, message_id)
    if report_type == "feedback-report":
        return _arf_reports(parts, message_id, original_to)
    return []


def _returned_message(parts: list[Message]) -> tuple[str | None, str]:
    """Message-ID and To of the message a report returns (whole, or its headers only)."""
    for part in parts:
        kind = part.get_content_type()
        headers = None
        if kind == "message/rfc822":
            payload = part.get_payload()
            headers = payload[0] if isinstance(payload, list) and payload else None
        elif kind == "text/rfc822-headers":
            text = part.get_payload(decode=True) or b""
            headers = email.message_from_bytes(text, policy=email.policy.default)
        if headers is not None:
            message_id = (str(headers.get("Message-ID") or "")).strip() or None
            return message_id, str(headers.get("To") or "")
    return None, ""


def _fields(part: Message) -> list[Message]:
    """The field groups of a message/delivery-status or message/feedback-report part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    text = payload if isinstance(payload, str) else (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
    return [email.message_from_string(block + "\n") for block in re.split(r"\r?\n\r?\n", text.strip()) if block]


def _address(value) -> str:
    """ "rfc822; Ana@Example.org" -> "ana@example.org"."""
    text = str(value or "")
    if ";" in text:
        text = text.split(";", 1)[1]
    return normalize_email(text.strip().strip("<>"))


def _dsn_reports(parts: list[Message], message_id: str | None) -> list[Report]:
    reports = []
    for part in parts:
        if part.get_content_type() != "message/delivery-status":
            continue
        for group in _fields(part)[1:] or _fields(part):  # the first group is about the message
            action = str(group.get("Action") or "").strip().lower()
            recipient = _address(group.get("Final-Recipient") or group.get("Original-Recipient"))
            if not action or not recipient:
                continue
            match = _STATUS.search(str(group.get("Status") or ""))
            status = ".".join(match.groups()) if match else ""
            diagnostic = " ".join(str(group.get("Diagnostic-Code") or "").split())[:1000]
            if action == "failed":
                kind = "hard" if status.startswith("5") or not status else "soft"
            elif action == "delayed":
                kind = "soft"
            else:
                continue  # delivered, relayed, expanded: not a bounce
            reports.append(Report(kind, recipient, action, status, diagnostic, message_id))
    return reports


def _arf_reports(parts: list[Message], message_id: str | None, original_to: str) -> list[Report]:
    for part in parts:
        if part.get_content_type() != "message/feedback-report":
            continue
        fields = Message()
        for group in _fields(part):
            for name, value in group.items():
                fields[name] = value
        feedback = str(fields.get("Feedback-Type") or "abuse").strip().lower()
        recipient = _address(fields.get("Original-Rcpt-To")) or _address(email.utils.parseaddr(original_to)[1])
        return [Report("complaint", recipient, feedback[:16], "", "", message_id)]
    return []


# Finding the message ------------------------------------------------------------------------------


@dataclass
class Found:
    outbox: Outbox | None
    recipient: CampaignRecipient | None
    found_by: str


def find(report: Report, envelope_recipients: list[str]) -> Found | None:
    """The message `report` is about: by the bounce address's token, then the Message-ID, then
    the recipient's address (the latest message sent to it)."""
    for address in envelope_recipients:
        outbox_id = bounce_address.outbox_id_of(address)
        row = Outbox.get_or_none(Outbox.id == outbox_id) if outbox_id else None
        if row is not None:
            return Found(row, _campaign_recipient(row), "token")
    if report.message_id:
        row = Outbox.get_or_none(Outbox.message_id == report.message_id)
        if row is not None and (not report.recipient or normalize_email(row.to_email) == report.recipient):
            return Found(row, _campaign_recipient(row), "message_id")
        recipient = CampaignRecipient.get_or_none(CampaignRecipient.message_id == report.message_id)
        if recipient is not None:
            return Found(Outbox.get_or_none(Outbox.id == recipient.outbox_id), recipient, "message_id")
    if report.recipient:
        row = (
            Outbox.select()
            .where(
                (Outbox.to_email == report.recipient)
                & Outbox.organization.is_null(False)
                & (Outbox.created_at > utcnow() - RECIPIENT_WINDOW)
                & Outbox.state.in_(("sent", "sending"))
            )
            .order_by(Outbox.created_at.desc(), Outbox.id.desc())
            .first()
        )
        if row is not None:
            return Found(row, _campaign_recipient(row), "recipient")
    return None


def _campaign_recipient(row: Outbox) -> CampaignRecipient | None:
    if not (row.send_key or "").startswith("campaign:"):
        return None
    return CampaignRecipient.get_or_none(
        (CampaignRecipient.outbox_id == row.id) | (CampaignRecipient.message_id == row.message_id)
    )


# Acting on a report -------------------------------------------------------------------------------


def bounced(row: Outbox, *, hard: bool, reason: str) -> MailBounce | None:
    """A message bounced, told otherwise than by a report to the bounce mailbox (a provider's
    notice, an operator): recorded and acted on as a report would be (`apply`)."""
    match = _STATUS.search(reason or "")
    status = ".".join(match.groups()) if match else ""
    report = Report(
        "hard" if hard else "soft", normalize_email(row.to_email), "failed", status, " ".join(reason.split())[:1000]
    )
    return apply(report, Found(row, _campaign_recipient(row), "notice"))


def complained(row: Outbox, *, reason: str = "") -> MailBounce | None:
    """The recipient reported the message as spam (told otherwise than by an ARF report)."""
    report = Report("complaint", normalize_email(row.to_email), "abuse", "", " ".join(reason.split())[:1000])
    return apply(report, Found(row, _campaign_recipient(row), "notice"))


def handle(raw: bytes, envelope_recipients: list[str] | None = None) -> list[MailBounce]:
    """Parse one received message and act on each report in it; the rows recorded."""
    recorded = []
    for report in parse(raw):
        found = find(report, envelope_recipients or [])
        if found is None or (found.outbox is None and found.recipient is None):
            log.info("a %s report for %s matches no message we sent", report.kind, report.recipient or "?")
            continue
        row = apply(report, found)
        if row is not None:
            recorded.append(row)
    return recorded


def apply(report: Report, found: Found) -> MailBounce | None:
    outbox, recipient = found.outbox, found.recipient
    org_id = outbox.organization_id if outbox is not None else recipient.organization_id
    if org_id is None:
        return None  # account mail (a password reset): no contact to change
    address = report.recipient or normalize_email(outbox.to_email if outbox else recipient.email)
    contact = Contact.get_or_none((Contact.organization == org_id) & (Contact.email == address))
    outbox_id = outbox.id if outbox is not None else recipient.outbox_id
    with db.atomic():
        if _seen(org_id, outbox_id, address, report):
            return None
        bounce = MailBounce.create(
            organization=org_id,
            outbox_id=outbox_id,
            campaign_id=recipient.campaign_id if recipient else _campaign_id(outbox),
            contact_id=contact.id if contact else None,
            email=address,
            kind=report.kind,
            action=report.action,
            status=report.status,
            diagnostic=report.diagnostic,
            found_by=found.found_by,
        )
        if report.kind == "hard":
            _hard(bounce, contact, recipient)
        elif report.kind == "complaint":
            _complaint(bounce, contact, recipient)
        elif report.action == "failed":
            _retry(bounce, outbox, recipient)
        if contact is not None:
            _on_timeline(bounce, contact, outbox)
        if outbox_id:
            signals.emit(
                signals.mail_event,
                event="complained" if report.kind == "complaint" else "bounced",
                outbox_ids=[outbox_id],
            )
    log.info("%s %s for %s (message %s, found by %s)", report.kind, report.status, address, outbox_id, found.found_by)
    return bounce


def _campaign_id(outbox: Outbox | None) -> int | None:
    key = (outbox.send_key or "") if outbox is not None else ""
    kind, _, ident = key.partition(":")
    return int(ident) if kind == "campaign" and ident.isdigit() else None


def _seen(org_id: int, outbox_id: int | None, address: str, report: Report) -> bool:
    """The same report received again (a DSN resent, a complaint forwarded twice)."""
    return (
        MailBounce.select()
        .where(
            (MailBounce.organization == org_id)
            & (MailBounce.outbox_id == outbox_id if outbox_id else MailBounce.outbox_id.is_null())
            & (MailBounce.email == address)
            & (MailBounce.kind == report.kind)
            & (MailBounce.action == report.action)
            & (MailBounce.status == report.status)
        )
        .exists()
    )


def _reason(bounce: MailBounce) -> str:
    return " ".join(part for part in (bounce.status, bounce.diagnostic) if part)[:200] or "delivery failed for good"


def _hard(bounce: MailBounce, contact: Contact | None, recipient: CampaignRecipient | None) -> None:
    if contact is not None and contact.status != "bounced":
        contacts.set_status(contact, "bounced", reason=stored_text("hard bounce: %(reason)s", reason=_reason(bounce)))
    if recipient is not None:
        tally.change(recipient, "bounced", error=f"hard bounce: {_reason(bounce)}")


def _complaint(bounce: MailBounce, contact: Contact | None, recipient: CampaignRecipient | None) -> None:
    if recipient is not None:
        first = (
            CampaignRecipient.update(complained_at=bounce.received_at)
            .where((CampaignRecipient.id == recipient.id) & CampaignRecipient.complained_at.is_null())
            .execute()
        )
        tally.add(recipient.campaign_id, recipient.organization_id, {tally.COMPLAINED: first})
    if contact is not None and contact.status != "complained":
        contacts.set_status(
            contact, "complained", reason=f"marked our mail as spam ({bounce.action})", kind="complained"
        )


def _retry(bounce: MailBounce, outbox: Outbox | None, recipient: CampaignRecipient | None) -> None:
    """A message that failed for now goes out again later (with backoff), a few times at most."""
    if recipient is not None:
        _retry_campaign_recipient(recipient)
        return
    if outbox is None or outbox.state != "sent":
        return
    tries = (
        MailBounce.select()
        .join(Outbox, on=(MailBounce.outbox_id == Outbox.id))
        .where(
            (MailBounce.organization == bounce.organization_id)
            & (MailBounce.email == bounce.email)
            & (MailBounce.kind == "soft")
            & (MailBounce.action == "failed")
            & (MailBounce.received_at > utcnow() - SOFT_WINDOW)
            & (Outbox.subject == outbox.subject)
            & (Outbox.kind == outbox.kind)
        )
        .count()
    )
    if tries > MAX_SOFT_RETRIES:
        return
    again = mail.requeue(outbox)
    if again.state == "queued":
        Outbox.update(next_attempt_at=utcnow() + mail.backoff(tries + 1)).where(Outbox.id == again.id).execute()
    MailBounce.update(retry_outbox_id=again.id).where(MailBounce.id == bounce.id).execute()
    bounce.retry_outbox_id = again.id


def _retry_campaign_recipient(recipient: CampaignRecipient) -> None:
    """A campaign recipient is deferred for its campaign's sending to try again (the same message,
    with its Message-ID); once the campaign is done, or after MAX_SOFT_RETRIES, it failed."""
    fresh = CampaignRecipient.get_by_id(recipient.id)
    campaign = Campaign.get_by_id(fresh.campaign_id)
    soft = fresh.soft_failures + 1
    if campaign.state in ("sending", "paused") and soft <= MAX_SOFT_RETRIES and fresh.status == "sent":
        tally.change(
            fresh, "deferred", soft=True, error="soft bounce (DSN)", next_attempt_at=utcnow() + mail.backoff(soft + 1)
        )
    else:
        tally.change(fresh, soft=True, error="soft bounce (DSN)")


def _summary(kind: str, status: str, subject: str) -> StoredText:
    if kind == "complaint":
        return stored_text("Marked “%(subject)s” as spam", subject=subject)
    if kind == "hard":
        if status:
            return stored_text("Email bounced for good (%(status)s): “%(subject)s”", status=status, subject=subject)
        return stored_text("Email bounced for good: “%(subject)s”", subject=subject)
    if status:
        return stored_text("Email not delivered for now (%(status)s): “%(subject)s”", status=status, subject=subject)
    return stored_text("Email not delivered for now: “%(subject)s”", subject=subject)


_KINDS = {"hard": "email_bounced", "soft": "email_soft_bounced", "complaint": "email_complained"}


def _on_timeline(bounce: MailBounce, contact: Contact, outbox: Outbox | None) -> None:
    subject = outbox.subject if outbox is not None else ""
    contacts.record_activity(
        contact,
        _KINDS[bounce.kind],
        summary=_summary(bounce.kind, bounce.status, subject),
        data={
            "outbox_id": bounce.outbox_id,
            "campaign_id": bounce.campaign_id,
            "send_key": outbox.send_key if outbox is not None else None,
            "status": bounce.status,
            "diagnostic": bounce.diagnostic[:300],
            "action": bounce.action,
        },
        dedupe_key=f"bounce:{bounce.id}",
    )
