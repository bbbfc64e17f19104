"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import contextlib
import email
import email.policy
import socket
import time
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []
        self.fail_next = 0  # answer 451 to this many next messages
        self.refuse: set[str] = set()  # addresses answered "550 no such user" at RCPT TO
        self.pipelining = False  # offer PIPELINING (RFC 2920) in the EHLO answer

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if not self.pipelining:
            return responses
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.fail_next:
            self.fail_next -= 1
            return "451 Try again later"
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if address in m["To"]]

    def wait_for(self, count: int, timeout: float = 5.0) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


def free_port() -> int:
    # aiosmtpd's Controller cannot take port 0: pick a free one first.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(inbox: Inbox) -> Iterator[Inbox]:
    """`inbox` as an SMTP server on a free loopback port (`inbox.url`), stopped afterwards."""
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{port}"
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp_server():
    with serving(Inbox()) as inbox:
        yield inbox


@pytest.fixture
def mail_app(database_url, tmp_path, smtp_server):
    """The app, sending mail through the loopback SMTP server; yields (app, inbox)."""
    from tests.conftest import make_test_app
    from webapp.db import db

    app = make_test_app(tmp_path, database_url, ENVIRON={"SMTP_URL": smtp_server.url})
    with app.app_context():
        db.connect(reuse_if_open=True)
        yield app, smtp_server
        if not db.is_closed():
            db.close()
