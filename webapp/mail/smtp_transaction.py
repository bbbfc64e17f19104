"""One message to one recipient handed over on an open smtplib connection, pipelined (RFC 2920)
when the server offers PIPELINING: MAIL, RCPT and DATA go in one write and their three answers are
read together, then the content; two round trips a message instead of four, which is most of the
SMTP client's CPU (each round trip is a write, a wait and a read) at campaign speed.

Failures are raised as smtplib.SMTP.sendmail raises them, so callers classify them the same way
(a 5xx at RCPT or at the end of the data is a hard bounce, a 4xx a deferral): SMTPSenderRefused,
SMTPRecipientsRefused({address: (code, answer)}), SMTPDataError(code, answer). After a refusal the
transaction is reset (RSET) and the connection stays usable, unless the server answered 421 (it
is closing): then the connection is closed too. Without PIPELINING, smtplib's own sendmail runs.
"""

from __future__ import annotations

import re
import smtplib

# An address smtplib.quoteaddr would write as <address> unchanged: no parsing needed for it.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")
_LINE_START_DOT = re.compile(rb"(?m)^\.")


def send(client: smtplib.SMTP, from_addr: str, to_addr: str, data: bytes) -> None:
    """Hand `data` (the message's bytes) over for `to_addr`; raises as sendmail does."""
    client.ehlo_or_helo_if_needed()
    if not client.has_extn("pipelining"):
        client.sendmail(from_addr, [to_addr], data)
        return
    size = f" size={len(data)}" if client.has_extn("size") else ""
    client.send(f"MAIL FROM:{_quoted(from_addr)}{size}\r\nRCPT TO:{_quoted(to_addr)}\r\nDATA\r\n")
    mail, rcpt, start = client.getreply(), client.getreply(), client.getreply()
    accepted = mail[0] == 250 and rcpt[0] in (250, 251)
    if start[0] == 354 and not accepted:
        client.send(b".\r\n")  # the server took DATA after a refusal: an empty message, refused too
        client.getreply()
    elif start[0] == 354:
        code, answer = _content(client, data)
        if code == 250:
            return
        _reset(client, code)
        raise smtplib.SMTPDataError(code, answer)
    if mail[0] != 250:
        _reset(client, mail[0])
        raise smtplib.SMTPSenderRefused(mail[0], mail[1], from_addr)
    if not accepted:
        _reset(client, rcpt[0])
        raise smtplib.SMTPRecipientsRefused({to_addr: rcpt})
    _reset(client, start[0])
    raise smtplib.SMTPDataError(*start)


def _content(client: smtplib.SMTP, data: bytes) -> tuple[int, bytes]:
    """The message's bytes dot-stuffed and ended as smtplib.SMTP.data writes them (as they are
    otherwise), then the end of data; the server's answer."""
    if data[:1] == b"." or b"\n." in data:
        data = _LINE_START_DOT.sub(b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    client.send(data + b".\r\n")
    return client.getreply()


def _quoted(address: str) -> str:
    return f"<{address}>" if _PLAIN_ADDRESS.fullmatch(address) else smtplib.quoteaddr(address)


def _reset(client: smtplib.SMTP, code: int) -> None:
    """After a refusal: a server that answered 421 is closing the connection; others are told to
    forget the transaction (RSET), as sendmail does."""
    if code == 421:
        client.close()
        return
    try:
        client.rset()
    except smtplib.SMTPServerDisconnected:
        pass
