"""A campaign body as it is stored: composed with blocks (rendered here, with the organization's
name, address and events) or written as raw HTML, with its plain text (generated from the HTML
when not written). Shared by campaigns and their reusable templates."""

from __future__ import annotations

from dataclasses import dataclass

from flask import has_request_context
from flask_babel import force_locale

from webapp.accounts.models import Organization
from webapp.campaigns import blocks as blocks_mod
from webapp.events.models import Event
from webapp.events.service import landing_url
from webapp.guards import has_control_characters
from webapp.i18n import _
from webapp.tickets import display

MAX_HTML_BYTES = 256 * 1024
MAX_TEXT_BYTES = 128 * 1024


class BodyInvalid(ValueError):
    """A body that cannot be stored; `field` names the input at fault ("blocks", "html", "text")."""

    def __init__(self, message: str, field: str, errors: list[str] | None = None):
        super().__init__(message)
        self.field = field
        self.errors = errors or [message]


@dataclass(frozen=True)
class Body:
    blocks: list[dict] | None  # None: raw HTML mode
    html: str
    text: str  # as written ("" when generated)
    generated_text: str  # what goes out as the plain-text part


def event_cards(org_id: int, event_ids: set[int], lang: str = "en") -> dict[int, blocks_mod.EventCard]:
    """The organization's events the blocks show (another organization's event shows nothing)."""
    if not event_ids:
        return {}
    found = Event.select().where((Event.organization == org_id) & Event.id.in_(sorted(event_ids)))
    cards = {}
    for event in found:
        venue = ", ".join(
            part
            for part in (event.venue_name, event.venue_address.splitlines()[0] if event.venue_address else "")
            if part
        )
        cards[event.id] = blocks_mod.EventCard(
            name=display.translated(event, "name", lang),
            when=display.when(event, lang)["span"],
            venue=venue,
            url=landing_url(event),
        )
    return cards


def render_blocks(org: Organization, blocks: list[dict], *, subject: str = "", lang: str = "en") -> blocks_mod.Rendered:
    """Checked blocks as the organization's email: its name, postal address and brand colour."""
    if has_request_context():
        with force_locale(lang):
            return _render(org, blocks, subject=subject, lang=lang)
    return _render(org, blocks, subject=subject, lang=lang)


def _render(org: Organization, blocks: list[dict], *, subject: str, lang: str) -> blocks_mod.Rendered:
    # No preheader here: the campaign keeps it apart and the sender puts it in every message.
    ctx = blocks_mod.RenderContext(
        org_name=org.name,
        org_address=getattr(org, "postal_address", "") or "",
        brand_color=org.brand_color or "#1d4ed8",
        events=event_cards(org.id, blocks_mod.event_ids(_flat(blocks)), lang),
        subject=subject,
        lang=lang,
    )
    return blocks_mod.render(blocks, ctx)


def _flat(blocks: list[dict]) -> list[dict]:
    out = []
    for block in blocks:
        out.append(block)
        if block.get("type") == "columns":
            out += block["left"] + block["right"]
    return out


def clean_body(
    org: Organization,
    *,
    blocks=None,
    html: str | None = None,
    text: str | None = None,
    subject: str = "",
    lang: str = "en",
) -> Body:
    """The body to store. With `blocks` (a list, or JSON text) the HTML is rendered from them;
    without, `html` is the operator's raw HTML. The plain text is `text`, or made from the HTML."""
    text = _checked_text(text or "", "text", MAX_TEXT_BYTES)
    if blocks is not None:
        try:
            checked = blocks_mod.parse_json(blocks) if isinstance(blocks, str) else blocks_mod.validate(blocks)
        except blocks_mod.BlocksInvalid as exc:
            raise BodyInvalid(str(exc), "blocks", exc.errors) from None
        rendered = render_blocks(org, checked, subject=subject, lang=lang)
        return Body(blocks=checked, html=rendered.html, text=text, generated_text=text or rendered.text)
    html = _checked_text(html or "", "html", MAX_HTML_BYTES)
    return Body(blocks=None, html=html, text=text, generated_text=text or blocks_mod.html_to_text(html))


def _checked_text(value: str, field: str, limit: int) -> str:
    if not isinstance(value, str):
        raise BodyInvalid(_("Must be text."), field)
    if "\x00" in value:
        raise BodyInvalid(_("Contains a NUL character, which cannot be sent."), field)
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise BodyInvalid(_("Contains a character that cannot be sent."), field) from None
    if size > limit:
        raise BodyInvalid(_("Too long: at most %(kb)d KB.", kb=limit // 1024), field)
    return value.strip()


def clean_line(value: str | None, field: str, limit: int) -> str:
    """A one-line field (subject, preheader): no line breaks or control characters."""
    value = " ".join(str(value or "").split())
    if has_control_characters(value) or "\x00" in value:
        raise BodyInvalid(_("Contains a line break or control character."), field)
    if len(value) > limit:
        raise BodyInvalid(_("At most %(n)d characters.", n=limit), field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BodyInvalid(_("Contains a character that cannot be sent."), field) from None
    return value
