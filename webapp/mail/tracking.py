"""Opens and clicks of the mail contacts get.

When a message to a contact is handed to the SMTP server (and its organization tracks mail), its
HTML gets a 1×1 image and its links point at our click redirect. Both carry a signed token
(itsdangerous, keyed by the instance's secret): the open token names the message, the click token
names the message and the link exactly as it was in the email. The redirect goes only to the URL
inside a valid token, so it can never be made to send anyone elsewhere (no open redirect), and a
tampered token answers 404. Unsubscribe and subscription links are left as they are.

Hits are recorded as MailEngagement rows: one open per message and one click per message and link
(and again, once, when a person follows a hit that looked automated). Mail scanners and privacy
proxies fetch images and follow links on their own, so a hit that looks automated (a robot's user
agent, or within seconds of the hand-off) is kept with `machine` set, not dropped, and only a
person's first open or click goes on the contact's timeline. A HEAD request records nothing.

The image and the redirect answer without waiting for any of that: they check the token (no
database) and queue the hit as a work item (HIT, one insert); the worker records it (`_record`,
with the time of the hit), so a burst of clicks after a campaign costs the web server one insert each.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re

from itsdangerous import BadSignature, URLSafeSerializer

from webapp import signals, tokens, work
from webapp.contacts import service as contacts
from webapp.contacts.models import Contact
from webapp.db import locked, utcnow, write_transaction
from webapp.i18n import stored_text
from webapp.mail.models import ANNOUNCED_KINDS, EngagementHour, MailEngagement, Outbox
from webapp.runtime import settings

HIT = "mail.hit"  # work: {"message_id", "kind", "url", "user_agent", "at"}: an open or click to record
UNTRACKED_KINDS = frozenset({"subscription"})  # a confirmation link must not be counted as a click
MACHINE_WINDOW = dt.timedelta(seconds=10)  # a hit this soon after the hand-off is a scanner's
_ROBOT_AGENT = re.compile(
    r"bot|crawl|spider|slurp|preview|scan|python|curl|wget|go-http|java/|okhttp|headless|"
    r"proofpoint|mimecast|barracuda|safelinks|urldefense",
    re.IGNORECASE,
)
_LINK = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)

# The image answered for an open: a transparent 1×1 GIF.
PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


def _serializer(salt: str) -> URLSafeSerializer:
    return tokens.serializer(settings().secret_key, salt)


class Urls:
    """The open image's and the click redirect's URLs of many messages, the settings read once
    (a campaign makes three or more per message)."""

    def __init__(self) -> None:
        config = settings()
        self.base_url = config.base_url
        self._open = tokens.serializer(config.secret_key, "mail.open")
        self._click = tokens.serializer(config.secret_key, "mail.click")

    def open_url(self, message_id: int) -> str:
        return f"{self.base_url}/m/o/{self._open.dumps(message_id)}"

    def click_url(self, message_id: int, url: str) -> str:
        return f"{self.base_url}/m/c/{self._click.dumps([message_id, url])}"


def open_url(message_id: int) -> str:
    return Urls().open_url(message_id)


def click_url(message_id: int, url: str) -> str:
    return Urls().click_url(message_id, url)


def is_tracked(row: Outbox) -> bool:
    """HTML mail to a contact of an organization that tracks mail."""
    return bool(
        row.html_body
        and row.contact_id
        and row.organization_id
        and row.kind not in UNTRACKED_KINDS
        and row.organization.track_mail
    )


def instrument(row: Outbox) -> str | None:
    """The HTML to send: with the open image and click-tracked links when the message is tracked."""
    if not is_tracked(row):
        return row.html_body
    base = settings().base_url

    def rewrite(match: re.Match) -> str:
        url = html.unescape(match.group(3)).strip()
        if not url.lower().startswith(("http://", "https://")) or _untouched(url, row, base):
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}{html.escape(click_url(row.id, url))}{match.group(2)}"

    body = _LINK.sub(rewrite, row.html_body)
    pixel = f'<img src="{html.escape(open_url(row.id))}" width="1" height="1" alt="" style="display:block;border:0;">'
    ends = list(_BODY_END.finditer(body))
    if ends:
        at = ends[-1].start()
        return body[:at] + pixel + body[at:]
    return body + pixel


def _untouched(url: str, row: Outbox, base: str) -> bool:
    """Links that must work as they are: unsubscribing, confirming a subscription, our redirects."""
    if row.unsubscribe_url and url == row.unsubscribe_url:
        return True
    return url.startswith((f"{base}/u/", f"{base}/s/", f"{base}/m/"))


def is_machine(user_agent: str | None, sent_at: dt.datetime | None, now: dt.datetime) -> bool:
    if not user_agent or _ROBOT_AGENT.search(user_agent):
        return True
    return sent_at is not None and now - sent_at < MACHINE_WINDOW


def _load(salt: str, token: str):
    try:
        return _serializer(salt).loads(token)
    except BadSignature:
        return None


def click_target(token: str) -> tuple[int, str] | None:
    """(message id, url) of a valid click token; None for anything else."""
    value = _load("mail.click", token)
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], int)
        and isinstance(value[1], str)
        and value[1].lower().startswith(("http://", "https://"))
    ):
        return value[0], value[1]
    return None


def open_target(token: str) -> int | None:
    value = _load("mail.open", token)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def record_open(token: str, *, user_agent: str | None) -> bool:
    """An open of the message named by `token`; False when the token is not ours."""
    message_id = open_target(token)
    return message_id is not None and _record(message_id, "open", None, user_agent)


def record_click(token: str, *, user_agent: str | None) -> str | None:
    """A click on a link of a message: the URL to send the person on to, or None (bad token)."""
    target = click_target(token)
    if target is None:
        return None
    _record(target[0], "click", target[1], user_agent)
    return target[1]


def queue_hit(message_id: int, kind: str, url: str | None, user_agent: str | None) -> None:
    """An open or click of a valid token, recorded later by the worker (HIT)."""
    payload = {"message_id": message_id, "kind": kind, "url": url, "user_agent": (user_agent or "")[:500]}
    work.record(HIT, {**payload, "at": utcnow().isoformat()}, priority=work.BULK)


@work.handles(HIT)
def _recorded_hit(payload: dict) -> None:
    at = dt.datetime.fromisoformat(payload["at"])
    _record(payload["message_id"], payload["kind"], payload.get("url"), payload.get("user_agent") or None, at)


def _record(
    message_id: int, kind: str, url: str | None, user_agent: str | None, now: dt.datetime | None = None
) -> bool:
    now = now or utcnow()
    with write_transaction():
        row = locked(Outbox.select().where(Outbox.id == message_id)).first()
        if row is None or row.organization_id is None:
            return False  # the message was deleted (its organization with it)
        machine = is_machine(user_agent, row.sent_at, now)
        earlier = list(
            MailEngagement.select(MailEngagement.url, MailEngagement.machine)
            .where((MailEngagement.outbox == row.id) & (MailEngagement.kind == kind))
            .tuples()
        )
        if (url, machine) in earlier:
            return True
        if row.send_key:
            _count_hour(
                row, kind, url, machine, now, first=machine not in {m for _u, m in earlier}, first_any=not earlier
            )
        MailEngagement.create(
            organization=row.organization_id,
            outbox=row.id,
            contact_id=row.contact_id,
            kind=kind,
            url=url,
            machine=machine,
            occurred_at=now,
            send_key=row.send_key,
        )
        if row.kind in ANNOUNCED_KINDS:  # campaign messages and single sends: their webhooks
            signals.emit(
                signals.mail_event,
                event="opened" if kind == "open" else "clicked",
                outbox_ids=[row.id],
                url=url,
                machine=machine,
            )
        if not machine:
            _on_timeline(row, kind, url, now)
    return True


def _count_hour(
    row: Outbox, kind: str, url: str | None, machine: bool, at: dt.datetime, *, first: bool, first_any: bool
) -> None:
    """The hit in its send's hour (EngagementHour), in the transaction that records it (under the
    message's lock, so whether it is the message's first is exact)."""
    H = EngagementHour
    url_hash = hashlib.sha256(url.encode()).hexdigest() if url else ""
    H.insert(
        organization=row.organization_id,
        send_key=row.send_key,
        kind=kind,
        machine=machine,
        url=url or "",
        url_hash=url_hash,
        hour=at.replace(minute=0, second=0, microsecond=0),
        hits=1,
        firsts=int(first),
        firsts_any=int(first_any),
    ).on_conflict(
        conflict_target=[H.send_key, H.kind, H.machine, H.hour, H.url_hash],
        update={H.hits: H.hits + 1, H.firsts: H.firsts + int(first), H.firsts_any: H.firsts_any + int(first_any)},
    ).execute()


def _on_timeline(row: Outbox, kind: str, url: str | None, now: dt.datetime) -> None:
    contact = Contact.get_or_none((Contact.id == row.contact_id) & (Contact.organization == row.organization_id))
    if contact is None:
        return
    if kind == "open":
        summary, key = stored_text("Opened “%(subject)s”", subject=row.subject), f"opened:{row.id}"
    else:
        digest = hashlib.sha256(url.encode()).hexdigest()[:20]
        summary = stored_text("Clicked %(url)s in “%(subject)s”", url=url, subject=row.subject)
        key = f"clicked:{row.id}:{digest}"
    contacts.record_activity(
        contact,
        "opened" if kind == "open" else "clicked",
        occurred_at=now,
        registrant_id=row.registrant_id,
        summary=summary,
        data={"outbox_id": row.id, "send_key": row.send_key, **({"url": url} if url else {})},
        dedupe_key=key,
    )
