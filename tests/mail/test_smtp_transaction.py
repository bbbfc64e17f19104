"""Handing a message over to a server that offers PIPELINING (RFC 2920): the envelope goes in one
write, and every refusal comes back as smtplib's sendmail reports it, the connection kept."""

from __future__ import annotations

import select
import smtplib
import socketserver
import threading

import pytest

from config import parse_smtp_url
from tests.smtp import free_port
from webapp.mail.service import SmtpSession


class _StrictServer(socketserver.ThreadingTCPServer):
    """A small SMTP server that offers PIPELINING and answers MAIL only when RCPT and DATA came
    with it: a client that waits for each answer is told to pipeline (503)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int):
        super().__init__(("127.0.0.1", port), _Conversation)
        self.received: list[tuple[str, str, bytes]] = []
        self.connections = 0
        self.refuse_rcpt: dict[str, str] = {}  # address -> answer
        self.refuse_data: dict[str, str] = {}  # address -> answer at the end of the data


class _Conversation(socketserver.BaseRequestHandler):
    def handle(self):
        server: _StrictServer = self.server
        server.connections += 1
        self.buffer = b""
        self.say("220 strict.test ESMTP")
        sender = recipient = None
        while line := self.readline():
            command = line.decode().rstrip("\r\n")
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.say("250-strict.test\r\n250-PIPELINING\r\n250 SIZE 1000000")
            elif verb == "MAIL":
                if not self.buffer and not select.select([self.request], [], [], 0.5)[0]:
                    self.say("503 5.5.0 Send the envelope pipelined")
                    continue
                sender = command.partition(":")[2].split()[0].strip("<>")
                self.say("250 OK")
            elif verb == "RCPT":
                address = command.partition(":")[2].strip().strip("<>")
                if sender is None:
                    self.say("503 5.5.1 MAIL first")
                elif address in server.refuse_rcpt:
                    self.say(server.refuse_rcpt[address])
                else:
                    recipient = address
                    self.say("250 OK")
            elif verb == "DATA":
                if recipient is None:
                    self.say("503 5.5.1 No valid recipients")
                    continue
                self.say("354 Go ahead")
                lines = []
                while (data := self.readline()) != b".\r\n":
                    lines.append(data[1:] if data.startswith(b"..") else data)
                if recipient in server.refuse_data:
                    self.say(server.refuse_data[recipient])
                else:
                    server.received.append((sender, recipient, b"".join(lines)))
                    self.say("250 OK queued")
                sender = recipient = None
            elif verb == "RSET":
                sender = recipient = None
                self.say("250 OK")
            elif verb == "QUIT":
                self.say("221 Bye")
                return
            else:
                self.say("502 5.5.2 Not implemented")

    def readline(self) -> bytes:
        while b"\n" not in self.buffer:
            chunk = self.request.recv(65536)
            if not chunk:
                return b""
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line + b"\n"

    def say(self, text: str) -> None:
        self.request.sendall(text.encode() + b"\r\n")


@pytest.fixture
def strict():
    port = free_port()
    server = _StrictServer(port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"smtp://127.0.0.1:{port}"
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


class _Row:
    def __init__(self, to_email: str):
        self.from_email, self.to_email = "news@example.org", to_email


MESSAGE = (
    b"From: news@example.org\r\nTo: ana@example.org\r\nSubject: Doors\r\n\r\n"
    b"Doors open at 8.\r\n.A line that starts with a dot\r\n..and one with two\r\n"
)


def test_a_server_offering_pipelining_gets_the_envelope_in_one_write(strict, app):
    with SmtpSession(parse_smtp_url(strict.url)) as session:
        for address in ("ana@example.org", "budi@example.org"):
            session.send(_Row(address), MESSAGE)

    assert [(s, r) for s, r, _ in strict.received] == [
        ("news@example.org", "ana@example.org"),
        ("news@example.org", "budi@example.org"),
    ]
    assert all(content == MESSAGE for _s, _r, content in strict.received)  # dots kept
    assert strict.connections == 1


def test_refusals_come_back_with_their_codes_and_the_connection_stays(strict, app):
    strict.refuse_rcpt = {"gone@example.org": "550 5.1.1 No such user", "full@example.org": "452 4.2.2 Mailbox full"}
    strict.refuse_data = {"spam@example.org": "554 5.7.1 Rejected as spam", "later@example.org": "451 4.3.0 Later"}
    with SmtpSession(parse_smtp_url(strict.url)) as session:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as hard:
            session.send(_Row("gone@example.org"), MESSAGE)
        with pytest.raises(smtplib.SMTPRecipientsRefused) as soft:
            session.send(_Row("full@example.org"), MESSAGE)
        with pytest.raises(smtplib.SMTPDataError) as rejected:
            session.send(_Row("spam@example.org"), MESSAGE)
        with pytest.raises(smtplib.SMTPDataError) as deferred:
            session.send(_Row("later@example.org"), MESSAGE)
        session.send(_Row("ana@example.org"), MESSAGE)

    assert hard.value.recipients == {"gone@example.org": (550, b"5.1.1 No such user")}
    assert soft.value.recipients == {"full@example.org": (452, b"4.2.2 Mailbox full")}
    assert (rejected.value.smtp_code, rejected.value.smtp_error) == (554, b"5.7.1 Rejected as spam")
    assert (deferred.value.smtp_code, deferred.value.smtp_error) == (451, b"4.3.0 Later")
    assert [r for _s, r, _c in strict.received] == ["ana@example.org"]
    assert strict.connections == 1  # each refusal reset the transaction, not the connection
