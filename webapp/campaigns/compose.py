"""One campaign message for one recipient: personalized, tracked, with its unsubscribe headers and
the organization's address, as the bytes handed to the SMTP server.

The campaign's subject and bodies are sandboxed templates (webapp/mail/sandbox.py) compiled once;
each message fills in its contact. Links are rewritten to the click redirect and the open image
added (webapp/mail/tracking.py: signed tokens naming the outbox row) when the campaign and the
organization track. The MIME text is written here directly (no email.message objects): at
thousands of messages a minute that is most of the time a message costs besides its signature.
"""

from __future__ import annotations

import binascii
import datetime as dt
import email.header
import email.utils
import functools
import html
import re
from dataclasses import dataclass
from urllib.parse import quote

from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from webapp import tokens
from webapp.accounts.models import Organization
from webapp.campaigns import blocks, substitution
from webapp.campaigns.models import Campaign
from webapp.campaigns.signing import Signer
from webapp.contacts.models import Contact
from webapp.mail import bounce_address, sandbox, tracking
from webapp.mail.domains import verified_domain
from webapp.runtime import settings

PLACEHOLDERS: dict[str, dict[str, str] | str] = {
    "contact": {
        "first_name": "First name (the first word of the name)",
        "name": "Full name",
        "email": "Email address",
        "company": "Company",
    },
    "organization": {"name": "Organizer name", "email": "Organizer reply-to address", "address": "Postal address"},
    "unsubscribe_url": "Unsubscribe link (added at the bottom when the campaign leaves it out)",
}
FIELDS = ("subject", "html_body", "text_body")
# The footer's own words (the unsubscribe link) are in the instance's default language: a
# campaign is written by its operator in one language, and a contact has none recorded.
FOOTER_LOCALE = "en"
_LINK = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)
_BODY_START = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
# What has_control_characters refuses in a header, each made a space by _one_line.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def sample_values(org: Organization) -> dict:
    return {
        "contact": {"first_name": "Ana", "name": "Ana Putri", "email": "ana@example.org", "company": "Example Co"},
        "organization": {"name": org.name, "email": org.reply_to or "", "address": org.postal_address},
        "unsubscribe_url": f"{settings().base_url}/m/u/sample",
    }


def check(campaign: Campaign, org: Organization) -> dict[str, str]:
    """Field -> why its template cannot be used (empty: all good)."""
    errors = {}
    for field, source in template_parts(campaign).items():
        problem = sandbox.check(field, source, sample_values(org), PLACEHOLDERS)
        if problem:
            errors[field] = problem
    return errors


def template_parts(campaign: Campaign) -> dict[str, str]:
    return {
        "subject": campaign.subject,
        "html_body": campaign.body_html,
        "text_body": campaign.body_text or blocks.html_to_text(campaign.body_html),
    }


# Unsubscribing: a signed token naming the outbox row, so the report can count it per campaign.


def _unsubscribe_serializer() -> URLSafeSerializer:
    return tokens.serializer(settings().secret_key, "campaign.unsubscribe")


def unsubscribe_url(outbox_id: int) -> str:
    return f"{settings().base_url}/m/u/{_unsubscribe_serializer().dumps(outbox_id)}"


def unsubscribe_target(token: str) -> int | None:
    try:
        value = _unsubscribe_serializer().loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def unsubscribe_mailto(org: Organization, outbox_id: int, token: str | None = None) -> str:
    """The mailto: form of List-Unsubscribe. With a bounce mailbox: its unsubscribe address, whose
    signed token names the message (bounce_server.py unsubscribes on receipt). Without one: the
    organization's reply-to (or the instance's sender), the subject naming the message, for a
    person to act on. `token`: the message's unsubscribe token, when made already."""
    mailbox = bounce_address.unsubscribe_address(outbox_id)
    if mailbox:
        return f"mailto:{mailbox}?subject=unsubscribe"
    address = org.reply_to or _address_of(settings().mail_from)
    token = token if token is not None else _unsubscribe_serializer().dumps(outbox_id)
    return f"mailto:{address}?subject=unsubscribe%20{quote(token)}"  # quote's fast path: no space


@functools.lru_cache(maxsize=4)
def _address_of(mailbox: str) -> str:
    return email.utils.parseaddr(mailbox)[1]


@dataclass
class Sender:
    """What every message of a campaign shares: compiled templates, addresses, the DKIM signer."""

    campaign: Campaign
    org: Organization
    signer: Signer | None
    track_opens: bool
    track_clicks: bool
    words: dict[str, str] | None = None  # the footer's words, translated once (threads have no locale)
    parts: dict[str, str] | None = None  # the templates' sources (the text one made from the HTML once)
    # The templates read into pieces, filled in per message without rendering (substitution.py);
    # None: rendered in full for every message.
    subject_pieces: substitution.Pieces | None = None
    text_pieces: substitution.Pieces | None = None
    clean_body: substitution.CleanBody | None = None
    _from_header: str | None = None
    urls: tracking.Urls | None = None  # made on first use, in the app's context

    @classmethod
    def for_campaign(cls, campaign: Campaign) -> Sender:
        org = campaign.organization
        domain = verified_domain(org.id, campaign.from_email)
        signer = (
            Signer(selector=domain.dkim_selector, domain=domain.domain, private_key=domain.dkim_private_key)
            if domain is not None
            else None
        )
        with force_locale(FOOTER_LOCALE):
            words = {"unsubscribe": _("Unsubscribe"), "unsubscribe_text": _("Unsubscribe: %(url)s", url="{url}")}
        sender = cls(
            campaign=campaign,
            org=org,
            signer=signer,
            track_opens=campaign.track_opens and org.track_mail,
            track_clicks=campaign.track_clicks and org.track_mail,
            words=words,
            parts=template_parts(campaign),
        )
        sender.prepare()
        return sender

    def prepare(self) -> None:
        """Read the templates into pieces and render and clean the HTML body once, where they
        allow it (substitution.py)."""
        parts = self.parts or template_parts(self.campaign)
        self.subject_pieces = substitution.pieces("subject", self.campaign.subject)
        self.text_pieces = substitution.pieces("text_body", parts["text_body"])
        fixed = self.context(Contact(name="", email="", company=""), 0, f"{settings().base_url}/m/u/sample.Token_-9")
        self.clean_body = substitution.CleanBody.prepare(parts["html_body"], fixed, sandbox.clean_html, self._full_html)

    def _full_html(self, values: dict) -> str:
        parts = self.parts or template_parts(self.campaign)
        return sandbox.clean_html(sandbox.lenient_template("html_body", parts["html_body"]).render(values))

    def _text(self, values: dict) -> str:
        text = substitution.fill(self.text_pieces, values) if self.text_pieces is not None else None
        if text is None:
            parts = self.parts or template_parts(self.campaign)
            text = sandbox.lenient_template("text_body", parts["text_body"]).render(values)
        return text

    def context(self, contact: Contact, outbox_id: int, unsubscribe: str | None = None) -> dict:
        person = {
            "first_name": (contact.name.split() or [""])[0],
            "name": contact.name,
            "email": contact.email,
            "company": contact.company,
        }
        return {
            "contact": {key: value for key, value in person.items() if value},  # missing: default() applies
            "organization": {
                "name": self.org.name,
                "email": self.org.reply_to or "",
                "address": self.org.postal_address,
            },
            "unsubscribe_url": unsubscribe if unsubscribe is not None else unsubscribe_url(outbox_id),
        }

    def subject(self, contact: Contact) -> str:
        # The subject is rendered before the message has its outbox row: a sample unsubscribe link.
        sample = f"{settings().base_url}/m/u/sample"
        values = self.context(contact, 0, sample)
        rendered = substitution.fill(self.subject_pieces, values) if self.subject_pieces is not None else None
        if rendered is None:
            rendered = sandbox.lenient_template("subject", self.campaign.subject).render(values)
        return _one_line(rendered)[:500] or self.campaign.name

    def render(self, contact: Contact, outbox_id: int, unsubscribe: str | None = None) -> tuple[str, str]:
        """(html, text) of the message to this contact."""
        values = self.context(contact, outbox_id, unsubscribe)
        body = self.clean_body.fill(values) if self.clean_body is not None else None
        if body is None:
            body = self._full_html(values)
        text = self._text(values).strip() + "\n"
        body, text = (_own_unsubscribe(part, values["unsubscribe_url"]) for part in (body, text))
        body, text = self._footer(body, text, values["unsubscribe_url"])
        return self._tracked(body, outbox_id), text

    def _footer(self, body: str, text: str, unsubscribe: str) -> tuple[str, str]:
        """The organization's address and the unsubscribe link, unless the body has them already."""
        lines = [line for line in self.org.postal_address.splitlines() if line.strip()]
        if self.campaign.preheader:
            hidden = (
                '<div style="display:none;max-height:0;overflow:hidden;mso-hide:all;">'
                f"{html.escape(self.campaign.preheader)}</div>"
            )
            start = _BODY_START.search(body)
            body = body[: start.end()] + hidden + body[start.end() :] if start else hidden + body
        footer_html, footer_text = [], []
        if lines and self.org.postal_address not in html.unescape(body):
            footer_html.append("<br>".join(html.escape(line) for line in lines))
            footer_text += lines
        if html.escape(unsubscribe) not in body and unsubscribe not in body:
            footer_html.append(f'<a href="{html.escape(unsubscribe)}">{html.escape(self.words["unsubscribe"])}</a>')
        if unsubscribe not in text:
            footer_text.append(self.words["unsubscribe_text"].replace("{url}", unsubscribe))
        if footer_html:
            block = (
                '<p style="font-size:12px;color:#64748b;text-align:center;margin:24px 0 0;">'
                + "<br>".join(footer_html)
                + "</p>"
            )
            ends = list(_BODY_END.finditer(body))
            body = body[: ends[-1].start()] + block + body[ends[-1].start() :] if ends else body + block
        if footer_text:
            text = text.rstrip("\n") + "\n\n--\n" + "\n".join(footer_text) + "\n"
        return body, text

    def _tracked(self, body: str, outbox_id: int) -> str:
        if self.urls is None:
            self.urls = tracking.Urls()
        base = self.urls.base_url
        if self.track_clicks:

            def rewrite(match: re.Match) -> str:
                url = html.unescape(match.group(3)).strip()
                if not url.lower().startswith(("http://", "https://")) or url.startswith(
                    (f"{base}/u/", f"{base}/s/", f"{base}/m/")
                ):
                    return match.group(0)
                target = html.escape(self.urls.click_url(outbox_id, url))
                return f"{match.group(1)}{match.group(2)}{target}{match.group(2)}"

            body = _LINK.sub(rewrite, body)
        if self.track_opens:
            pixel = (
                f'<img src="{html.escape(self.urls.open_url(outbox_id))}" width="1" height="1" alt="" '
                'style="display:block;border:0;">'
            )
            ends = list(_BODY_END.finditer(body))
            body = body[: ends[-1].start()] + pixel + body[ends[-1].start() :] if ends else body + pixel
        return body

    def from_header(self) -> str:
        if self._from_header is None:
            name = _one_line(self.campaign.from_name or self.org.name)
            self._from_header = email.utils.formataddr((name, self.campaign.from_email), charset="utf-8")
        return self._from_header

    def message(
        self, *, contact: Contact, to_email: str, subject: str, message_id: str, outbox_id: int, now: dt.datetime
    ) -> bytes:
        """The message as handed over: headers, both bodies, DKIM-signed when the From is on a
        verified domain of the organization."""
        token = _unsubscribe_serializer().dumps(outbox_id)
        unsubscribe = f"{settings().base_url}/m/u/{token}"
        body, text = self.render(contact, outbox_id, unsubscribe)
        headers = [
            ("From", self.from_header()),
            ("To", email.utils.formataddr((_one_line(contact.name), to_email), charset="utf-8")),
            ("Subject", _encoded(subject)),
            ("Date", email.utils.format_datetime(now.replace(tzinfo=dt.UTC))),
            ("Message-ID", message_id),
        ]
        if self.campaign.reply_to:
            headers.append(("Reply-To", self.campaign.reply_to))
        headers += [
            ("MIME-Version", "1.0"),
            ("List-Unsubscribe", f"<{unsubscribe_mailto(self.org, outbox_id, token)}>, <{unsubscribe}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ("Precedence", "bulk"),
            ("Feedback-ID", f"{self.campaign.id}:{self.org.id}:campaign:rollcall"),
        ]
        boundary = f"=_rollcall_{outbox_id}_{self.campaign.id}"
        headers.append(("Content-Type", f'multipart/alternative; boundary="{boundary}"'))
        head = "".join(f"{name}: {value}\r\n" for name, value in headers).encode()
        parts = b"".join(
            f"--{boundary}\r\nContent-Type: text/{kind}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n".encode()
            + _base64_lines(content.encode())
            for kind, content in (("plain", text), ("html", body))
        )
        data = head + b"\r\n" + parts + f"--{boundary}--\r\n".encode()
        return self.signer.sign(data) + data if self.signer is not None else data


def _base64_lines(content: bytes) -> bytes:
    """`content` in base64 as MIME writes it (base64.encodebytes: lines of 76), CRLF-ended; one
    encoding call instead of one per line."""
    if not content:
        return b""
    encoded = binascii.b2a_base64(content, newline=False)
    return b"\r\n".join([encoded[i : i + 76] for i in range(0, len(encoded), 76)]) + b"\r\n"


def _own_unsubscribe(part: str, unsubscribe: str) -> str:
    """A campaign message unsubscribes only through its own link (/m/u/<token>, which names the
    message, so its campaign's report counts it): a contact's older /u/<token> link pasted into a
    body (someone's own, copied from an email they got) becomes the recipient's message link."""
    base_url = settings().base_url
    if f"{base_url}/u/" not in part:  # the usual case, found without the pattern
        return part
    return _old_unsubscribe_link(base_url).sub(lambda _match: unsubscribe, part)


@functools.lru_cache(maxsize=4)
def _old_unsubscribe_link(base_url: str) -> re.Pattern:
    return re.compile(re.escape(base_url) + r"/u/[^\s\"'<>?#]+")


def _one_line(text: str | None) -> str:
    return " ".join(_CONTROL.sub(" ", text or "").split())


def _encoded(value: str) -> str:
    if value.isascii() and len(value) < 900:
        return value
    return email.header.Header(value, "utf-8", header_name="Subject").encode(linesep="\r\n")


def preview(campaign: Campaign, contact: Contact | None = None) -> dict[str, str]:
    """What `contact` (or a sample person) would get, untracked: subject, html, text."""
    sender = Sender.for_campaign(campaign)
    sender.track_opens = sender.track_clicks = False
    person = contact or Contact(name="Ana Putri", email="ana@example.org", company="Example Co")
    body, text = sender.render(person, 0)
    return {"subject": sender.subject(person), "html": body, "text": text}
