"""The bounce mailbox's SMTP server: receives the DSNs and spam complaints that come back to
BOUNCE_ADDRESS (and its bounces+<token> forms) and hands each to webapp/campaigns/bounces.py; mail
to its bounces+unsubscribe-<token> form (the List-Unsubscribe mailto) unsubscribes the contact of
the message the token names (webapp/campaigns/unsubscribe.py).

    python -m webapp.campaigns.bounce_server          (the Procfile's `bounces:` line)

It listens on ROLLCALL_BOUNCE_LISTEN (default 127.0.0.1:2525): put it behind the instance's MX, or
point the bounce domain's MX at it. Only the bounce mailbox is accepted (anything else is 550 at
RCPT TO, so the server relays nothing; so is an unsubscribe address whose token is not ours). A
message is answered 250 once its reports are recorded (a message that is no report is accepted and
dropped, so no mail loop starts); when recording fails
the answer is 451 and the sending server tries again later, so no report is lost.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import signal
import threading

from aiosmtpd.controller import Controller
from flask import Flask

from webapp.campaigns import bounces
from webapp.campaigns import unsubscribe as unsubscribing
from webapp.db import db
from webapp.mail import bounce_address

log = logging.getLogger("rollcall.bounces")

MAX_MESSAGE_BYTES = 10 * 1024 * 1024


class BounceHandler:
    def __init__(self, app: Flask):
        self.app = app

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.app.app_context():
            accepted = bounce_address.is_bounce_address(address) and (
                not bounce_address.is_unsubscribe_address(address)
                or bounce_address.unsubscribe_outbox_id(address) is not None
            )
        if not accepted:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            await asyncio.get_running_loop().run_in_executor(None, self.process, raw, list(envelope.rcpt_tos))
        except Exception:
            log.exception("a report from %s could not be recorded", envelope.mail_from)
            return "451 4.3.0 The report could not be recorded now; try again later"
        return "250 OK"

    def process(self, raw: bytes, recipients: list[str]) -> list:
        """Record the reports of one message (in a thread of its own, with a connection of its own)."""
        with self.app.app_context():
            opened = db.connect(reuse_if_open=True)
            try:
                return self.unsubscribe(recipients) + bounces.handle(
                    raw, [r for r in recipients if not bounce_address.is_unsubscribe_address(r)]
                )
            finally:
                if opened and not db.is_closed():
                    db.close()

    def unsubscribe(self, recipients: list[str]) -> list:
        """The List-Unsubscribe mailto (RFC 8058): mail to an unsubscribe address unsubscribes the
        contact of the message its signed token names, whatever the mail says."""
        done = []
        for address in recipients:
            outbox_id = bounce_address.unsubscribe_outbox_id(address)
            contact = unsubscribing.unsubscribe_message(outbox_id, via="mailto") if outbox_id else None
            if contact is not None:
                log.info("contact %s unsubscribed by mail (message %s)", contact.id, outbox_id)
                done.append(contact)
        return done


def controller(app: Flask, host: str, port: int) -> Controller:
    """The server, not started (aiosmtpd's Controller runs it in a thread of its own)."""
    return Controller(
        BounceHandler(app),
        hostname=host,
        port=port,
        data_size_limit=MAX_MESSAGE_BYTES,
        server_hostname="rollcall-bounces",
        ready_timeout=10,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Receive bounces and spam complaints (DSN and ARF reports).")
    parser.add_argument("--listen", help="host:port (default: ROLLCALL_BOUNCE_LISTEN, or 127.0.0.1:2525)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # Loaded as gunicorn loads it: the app and the task queue's wake-up, so the work a report
    # records (webhooks, timeline signals) starts at once.
    app = importlib.import_module("wsgi").app
    host, port = app.config["SETTINGS"].bounce_listen
    if args.listen:
        host, _, port_text = args.listen.rpartition(":")
        port = int(port_text)
    if not app.config["SETTINGS"].bounce_address:
        log.warning("BOUNCE_ADDRESS is not set: messages go out without it and no report comes back here")
    server = controller(app, host, port)
    server.start()
    log.info("receiving bounces on %s:%s", host, port)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
