"""The bounce mailbox's server run as production runs it: the Procfile's `bounces:` line as a
process of its own. A DSN and an ARF report sent to it through a real SMTP client change the
contacts of the messages they are about (a ticket email sent by the real consumer)."""

from __future__ import annotations

import smtplib
import socket

import pytest

from tests.smtp import free_port
from tests.worker.conftest import Process, procfile_argv, wait_until

pytestmark = pytest.mark.worker

BOUNCES = "bounces@rollcall.test"


@pytest.fixture
def bounce_process(tier, tmp_path):
    port = free_port()
    argv = procfile_argv("bounces") + ["--listen", f"127.0.0.1:{port}"]
    process = Process("bounce server", argv, {**tier.env, "BOUNCE_ADDRESS": BOUNCES}, tmp_path / "bounces.log")
    process.start()

    def listening():
        assert process.alive(), f"the bounce server exited:\n{process.tail()}"
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    wait_until(listening, timeout=60, what=lambda: f"the bounce server to listen\n{process.tail()}")
    yield port, process
    process.stop()


def _report(kind: str, recipient: str, message_id: str) -> bytes:
    if kind == "dsn":
        report_type, fields, returned = (
            "delivery-status",
            f"Reporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; {recipient}\r\n"
            "Action: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n",
            "text/rfc822-headers",
        )
    else:
        report_type, fields, returned = (
            "feedback-report",
            f"Feedback-Type: abuse\r\nUser-Agent: Example-FBL/1.0\r\nVersion: 1\r\nOriginal-Rcpt-To: <{recipient}>\r\n",
            "message/rfc822",
        )
    content_type = f"message/{report_type}"
    return (
        "From: <postmaster@mx.example.net>\r\n"
        f"To: {BOUNCES}\r\nSubject: report\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type={report_type}; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain\r\n\r\nA report.\r\n"
        f"--b1\r\nContent-Type: {content_type}\r\n\r\n{fields}"
        f"--b1\r\nContent-Type: {returned}\r\n\r\n"
        f"From: <tickets@example.org>\r\nTo: {recipient}\r\nSubject: Your ticket\r\nMessage-ID: {message_id}\r\n\r\n"
        "--b1--\r\n"
    ).encode()


def test_the_procfile_bounce_server_marks_contacts_bounced_and_complained(tier, bounce_process):
    port, process = bounce_process
    seeded = tier.seed(
        """
        import uuid
        from tests.factories.accounts import make_org, make_user
        from tests.factories.contacts import make_contact
        from webapp.mail import service
        unique = uuid.uuid4().hex[:6]
        org = make_org(f"Bounce Org {unique}", owner=make_user(f"owner-{unique}@example.org"))
        out["contacts"] = {}
        out["messages"] = {}
        for name in ("gone", "angry"):
            address = f"{name}-{uuid.uuid4().hex[:6]}@example.org"
            out["contacts"][name] = make_contact(org, address).id
            row = service.queue_email(kind="ticket", to_email=address, subject="Your ticket", text_body="Ticket",
                                      organization=org, send_key="ticket")
            out["messages"][name] = [address, row.message_id, row.id]
        """
    )
    sent = {name: message for name, message in seeded["messages"].items()}
    wait_until(
        lambda: all(tier.inbox.to(address) for address, _, _ in sent.values()),
        what="the consumer to send the ticket emails",
    )
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.sendmail("MAILER-DAEMON@mx.example.net", [BOUNCES], _report("dsn", sent["gone"][0], sent["gone"][1]))
        client.sendmail("fbl@mx.example.net", [BOUNCES], _report("arf", sent["angry"][0], sent["angry"][1]))

    def statuses():
        return tier.seed(
            f"""
            from webapp.contacts.models import Contact
            out.update({{str(c.id): c.status for c in Contact.select().where(Contact.id.in_({list(seeded["contacts"].values())}))}})
            """
        )

    wait_until(
        lambda: (
            statuses() == {str(seeded["contacts"]["gone"]): "bounced", str(seeded["contacts"]["angry"]): "complained"}
        ),
        what=lambda: f"the contacts to change (now {statuses()})\n{process.tail()}",
    )
