"""The emails accounts send (password resets, member invitations), handed to the mail domain above
as work: rendered here, in the transaction that makes the link valid, and put in the mail outbox by
a worker right after the commit (tasks/mail.py)."""

from __future__ import annotations

from webapp import work

SEND = "accounts.send_email"  # work: the email's fields, for mail.service.queue_email


def send(
    *,
    kind: str,
    to_email: str,
    subject: str,
    text_body: str,
    html_body: str | None = None,
    to_name: str = "",
    organization_id: int | None = None,
) -> None:
    work.record(
        SEND,
        {
            "kind": kind,
            "to_email": to_email,
            "to_name": to_name,
            "subject": subject,
            "text_body": text_body,
            "html_body": html_body,
            "organization_id": organization_id,
        },
    )
