"""The block composer: a campaign body as a list of blocks, checked and rendered into email-safe
HTML (tables, inline styles, 600 pixels wide, no scripts, every text escaped) and its plain-text
version.

A block is a JSON object with a `type`:

- `heading` {text, level 1–3, align left|center}
- `text` {markdown}: Markdown, sanitized (no raw HTML survives)
- `image` {src: https URL, alt, href?: link, width?: 1–600}
- `button` {label, url, color?: #rrggbb}
- `divider` {}
- `columns` {left: [blocks], right: [blocks]} (no columns, event or footer inside)
- `event` {event_id}: the event's name, date in its time zone, venue and a register link to its
  public page (the caller looks the event up, scoped to the organization: `EventCard`)
- `footer` {text?}: the organization's name and address and the unsubscribe link

Texts may carry the sandbox's placeholders (`{{ contact.first_name | default("there") }}`): they
are kept as written, outside the escaping, for the personalization that renders the result.
`html_to_text` makes the plain text of an operator's raw HTML.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import markdown
import nh3

from webapp.i18n import _

BLOCK_TYPES = ("heading", "text", "image", "button", "divider", "columns", "event", "footer")
COLUMN_TYPES = ("heading", "text", "image", "button", "divider")
MAX_BLOCKS = 100
MAX_COLUMN_BLOCKS = 20
MAX_TEXT = 20_000  # characters of one text field
MAX_JSON_BYTES = 512 * 1024
MAX_DEPTH = 6  # nesting of the JSON document (a list of blocks with columns needs 4)
WIDTH = 600
UNSUBSCRIBE_PLACEHOLDER = "{{ unsubscribe_url }}"

_PLACEHOLDER = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_FONT = "Arial,Helvetica,sans-serif"
_MD_TAGS = {"p", "br", "hr", "strong", "em", "b", "i", "u", "s", "del", "code", "pre", "blockquote", "ul", "ol", "li",
            "h2", "h3", "h4", "a", "table", "thead", "tbody", "tr", "th", "td"}  # fmt: skip
_MD_STYLES = {
    "p": "margin:0 0 12px;",
    "ul": "margin:0 0 12px;padding-left:24px;",
    "ol": "margin:0 0 12px;padding-left:24px;",
    "li": "margin:0 0 4px;",
    "h2": f"margin:0 0 12px;font:bold 20px/1.3 {_FONT};",
    "h3": f"margin:0 0 12px;font:bold 17px/1.3 {_FONT};",
    "h4": f"margin:0 0 12px;font:bold 15px/1.3 {_FONT};",
    "blockquote": "margin:0 0 12px;padding-left:12px;border-left:3px solid #d1d5db;color:#4b5563;",
    "pre": "margin:0 0 12px;padding:8px;background:#f3f4f6;white-space:pre-wrap;",
    "a": "color:{link};text-decoration:underline;",
    "td": "padding:4px 8px;border:1px solid #e5e7eb;",
    "th": "padding:4px 8px;border:1px solid #e5e7eb;text-align:left;",
}
_MD_OPEN_TAG = re.compile(r"<(" + "|".join(_MD_STYLES) + r")\b")


class BlocksInvalid(ValueError):
    """A block list that cannot be used; `errors` are messages, each naming the block it is about."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class EventCard:
    """What an event block shows: looked up by the caller in the organization's events."""

    name: str
    when: str  # the date and time in the event's time zone, formatted
    venue: str
    url: str  # the event's public page


@dataclass
class RenderContext:
    org_name: str
    org_address: str = ""
    brand_color: str = "#1d4ed8"
    events: Mapping[int, EventCard] = field(default_factory=dict)
    subject: str = ""
    preheader: str = ""
    lang: str = "en"
    unsubscribe_url: str = UNSUBSCRIBE_PLACEHOLDER


@dataclass(frozen=True)
class Rendered:
    html: str
    text: str


# JSON schema of a block list, for the API document and integrators ----------------------------------

_TEXT = {"type": "string", "maxLength": MAX_TEXT}
_URL = {"type": "string", "maxLength": 2000, "pattern": "^https?://"}
_BLOCK_SCHEMAS = {
    "heading": {"text": _TEXT, "level": {"type": "integer", "enum": [1, 2, 3]}, "align": {"enum": ["left", "center"]}},
    "text": {"markdown": _TEXT},
    "image": {
        "src": {"type": "string", "maxLength": 2000, "pattern": "^https://"},
        "alt": _TEXT,
        "href": _URL,
        "width": {"type": "integer", "minimum": 1, "maximum": WIDTH},
    },
    "button": {"label": _TEXT, "url": _URL, "color": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"}},
    "divider": {},
    "columns": {"left": {"$ref": "#/$defs/column"}, "right": {"$ref": "#/$defs/column"}},
    "event": {"event_id": {"type": "integer", "minimum": 1}},
    "footer": {"text": _TEXT},
}
_REQUIRED = {
    "heading": ["text"],
    "text": ["markdown"],
    "image": ["src"],
    "button": ["label", "url"],
    "columns": ["left", "right"],
    "event": ["event_id"],
}


def _schema_of(kind: str) -> dict:
    return {
        "type": "object",
        "properties": {"type": {"const": kind}, **_BLOCK_SCHEMAS[kind]},
        "required": ["type", *_REQUIRED.get(kind, [])],
        "additionalProperties": False,
    }


SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Campaign blocks",
    "type": "array",
    "maxItems": MAX_BLOCKS,
    "items": {"oneOf": [_schema_of(kind) for kind in BLOCK_TYPES]},
    "$defs": {
        "column": {
            "type": "array",
            "maxItems": MAX_COLUMN_BLOCKS,
            "items": {"oneOf": [_schema_of(kind) for kind in COLUMN_TYPES]},
        }
    },
}


# Checking ---------------------------------------------------------------------------------------


def parse_json(text: str) -> list[dict]:
    """A block list sent as JSON text (a form field): checked, or BlocksInvalid."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_JSON_BYTES:
        raise BlocksInvalid([_("The blocks are too large (at most %(kb)d KB).", kb=MAX_JSON_BYTES // 1024)])
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise BlocksInvalid([_("The blocks are not valid JSON.")]) from None
    return validate(value)


def _no_constant(name: str):
    raise ValueError(name)  # NaN and Infinity are not JSON


def validate(value: Any) -> list[dict]:
    """The block list, cleaned (strings stripped, defaults filled in), or BlocksInvalid naming
    every bad block ("Block 3 (button): ...")."""
    if _depth(value) > MAX_DEPTH:
        raise BlocksInvalid([_("The blocks are nested too deeply.")])
    if not isinstance(value, list):
        raise BlocksInvalid([_("The blocks must be a list.")])
    if len(value) > MAX_BLOCKS:
        raise BlocksInvalid([_("A campaign has at most %(n)d blocks.", n=MAX_BLOCKS)])
    errors: list[str] = []
    cleaned = [_block(item, str(number), BLOCK_TYPES, errors) for number, item in enumerate(value, 1)]
    if errors:
        raise BlocksInvalid(errors)
    return cleaned


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, list):
        return max((_depth(item, level + 1) for item in value), default=level + 1)
    if isinstance(value, dict):
        return max((_depth(item, level + 1) for item in value.values()), default=level + 1)
    return level


def _block(item: Any, where: str, allowed: tuple[str, ...], errors: list[str]) -> dict:
    if not isinstance(item, dict):
        errors.append(_("Block %(n)s: must be an object with a “type”.", n=where))
        return {}
    kind = item.get("type")
    if kind not in allowed:
        errors.append(
            _(
                "Block %(n)s: unknown type %(type)s (one of: %(types)s).",
                n=where,
                type=_show(kind),
                types=", ".join(allowed),
            )
        )
        return {}
    label = f"{where} ({kind})"
    unknown = sorted(set(item) - set(_BLOCK_SCHEMAS[kind]) - {"type"})
    if unknown:
        errors.append(_("Block %(n)s: unknown field %(field)s.", n=label, field=_show(unknown[0])))
        return {}
    problem = None
    try:
        block = _CLEANERS[kind](item, label, errors)
    except _Problem as exc:
        problem = str(exc)
    if problem:
        errors.append(_("Block %(n)s: %(problem)s", n=label, problem=problem))
        return {}
    return {"type": kind, **block}


class _Problem(ValueError):
    pass


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)[:40]


def _text(item: dict, name: str, *, required: bool = False) -> str:
    value = item.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _Problem(_("“%(field)s” must be text.", field=name))
    if "\x00" in value or _has_lone_surrogate(value):
        raise _Problem(_("“%(field)s” contains a character that cannot be sent.", field=name))
    if len(value) > MAX_TEXT:
        raise _Problem(_("“%(field)s” is too long (at most %(n)d characters).", field=name, n=MAX_TEXT))
    value = value.strip()
    if required and not value:
        raise _Problem(_("“%(field)s” is required.", field=name))
    return value


def _has_lone_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _url(item: dict, name: str, *, required: bool, https_only: bool = False) -> str:
    value = _text(item, name, required=required)
    if not value:
        return ""
    schemes = ("https://",) if https_only else ("https://", "http://")
    if not value.lower().startswith(schemes) or len(value) > 2000 or re.search(r"[\s<>\"{}]", value):
        if https_only:
            raise _Problem(_("“%(field)s” must be an address starting with https://.", field=name))
        raise _Problem(_("“%(field)s” must be an address starting with https:// or http://.", field=name))
    return value


def _int(item: dict, name: str, low: int, high: int, default: int | None) -> int | None:
    value = item.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _Problem(
            _("“%(field)s” must be a whole number from %(low)d to %(high)d.", field=name, low=low, high=high)
        )
    return value


def _heading(item: dict, label: str, errors: list[str]) -> dict:
    align = item.get("align", "left")
    if align not in ("left", "center"):
        raise _Problem(_("“align” must be left or center."))
    return {"text": _text(item, "text", required=True), "level": _int(item, "level", 1, 3, 1), "align": align}


def _markdown(item: dict, label: str, errors: list[str]) -> dict:
    return {"markdown": _text(item, "markdown", required=True)}


def _image(item: dict, label: str, errors: list[str]) -> dict:
    block = {"src": _url(item, "src", required=True, https_only=True), "alt": _text(item, "alt")}
    href = _url(item, "href", required=False)
    width = _int(item, "width", 1, WIDTH, None)
    return block | ({"href": href} if href else {}) | ({"width": width} if width else {})


def _button(item: dict, label: str, errors: list[str]) -> dict:
    color = item.get("color")
    if color is not None and (not isinstance(color, str) or not _COLOR.match(color)):
        raise _Problem(_("“color” must be a colour such as #1d4ed8."))
    block = {"label": _text(item, "label", required=True), "url": _url(item, "url", required=True)}
    return block | ({"color": color.lower()} if color else {})


def _divider(item: dict, label: str, errors: list[str]) -> dict:
    return {}


def _columns(item: dict, label: str, errors: list[str]) -> dict:
    sides = {}
    for side in ("left", "right"):
        blocks = item.get(side)
        if not isinstance(blocks, list):
            raise _Problem(_("“%(field)s” must be a list of blocks.", field=side))
        if len(blocks) > MAX_COLUMN_BLOCKS:
            raise _Problem(_("A column has at most %(n)d blocks.", n=MAX_COLUMN_BLOCKS))
        sides[side] = [
            _block(b, f"{label} {side} {number}", COLUMN_TYPES, errors) for number, b in enumerate(blocks, 1)
        ]
    return sides


def _event(item: dict, label: str, errors: list[str]) -> dict:
    event_id = _int(item, "event_id", 1, 2**31 - 1, None)
    if event_id is None:
        raise _Problem(_("choose an event."))
    return {"event_id": event_id}


def _footer(item: dict, label: str, errors: list[str]) -> dict:
    text = _text(item, "text")
    return {"text": text} if text else {}


_CLEANERS = {
    "heading": _heading,
    "text": _markdown,
    "image": _image,
    "button": _button,
    "divider": _divider,
    "columns": _columns,
    "event": _event,
    "footer": _footer,
}


def event_ids(blocks: list[dict]) -> set[int]:
    """The events the blocks show (for the caller to look up)."""
    found = set()
    for block in blocks:
        if block.get("type") == "event":
            found.add(block["event_id"])
    return found


# Rendering --------------------------------------------------------------------------------------


def render(blocks: list[dict], ctx: RenderContext) -> Rendered:
    """The email's HTML and plain text. `blocks` must have passed `validate`."""
    rows = "".join(_row(_block_html(block, ctx, WIDTH - 48)) for block in blocks)
    text = "\n\n".join(part for part in (_block_text(block, ctx) for block in blocks) if part)
    return Rendered(html=_document(rows, ctx), text=text.strip() + "\n")


def _esc(text: str) -> str:
    """Escape a text for HTML, keeping its placeholders as written."""
    out, at = [], 0
    for match in _PLACEHOLDER.finditer(text):
        out.append(html.escape(text[at : match.start()]))
        out.append(match.group(0))
        at = match.end()
    out.append(html.escape(text[at:]))
    return "".join(out)


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def _row(inner: str) -> str:
    return f'<tr><td style="padding:0 24px 16px;">{inner}</td></tr>'


def _document(rows: str, ctx: RenderContext) -> str:
    preheader = ""
    if ctx.preheader:
        preheader = (
            '<div style="display:none;max-height:0;overflow:hidden;mso-hide:all;font-size:1px;color:#ffffff;">'
            f"{_esc(ctx.preheader)}</div>"
        )
    color = ctx.brand_color if _COLOR.match(ctx.brand_color or "") else "#1d4ed8"
    return (
        f'<!doctype html>\n<html lang="{_attr(ctx.lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_esc(ctx.subject)}</title></head>"
        '<body style="margin:0;padding:0;background:#f3f4f6;">'
        f"{preheader}"
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f3f4f6;">'
        '<tr><td align="center" style="padding:24px 8px;">'
        f'<table role="presentation" width="{WIDTH}" cellpadding="0" cellspacing="0" border="0" '
        f'style="width:100%;max-width:{WIDTH}px;background:#ffffff;border-top:4px solid {color};'
        f'font:15px/1.5 {_FONT};color:#111827;">'
        '<tr><td style="height:24px;line-height:24px;font-size:1px;">&nbsp;</td></tr>'
        f"{rows}"
        "</table></td></tr></table></body></html>\n"
    )


def _block_html(block: dict, ctx: RenderContext, width: int) -> str:
    kind = block["type"]
    if kind == "heading":
        size = {1: 26, 2: 21, 3: 17}[block["level"]]
        return (
            f'<h{block["level"]} style="margin:0;font:bold {size}px/1.3 {_FONT};color:#111827;'
            f'text-align:{block["align"]};">{_esc(block["text"])}</h{block["level"]}>'
        )
    if kind == "text":
        return f'<div style="font:15px/1.5 {_FONT};color:#111827;">{markdown_html(block["markdown"], ctx.brand_color)}</div>'
    if kind == "image":
        img_width = min(block.get("width") or width, width)
        image = (
            f'<img src="{_attr(block["src"])}" alt="{_attr(block["alt"])}" width="{img_width}" '
            f'style="display:block;max-width:100%;height:auto;border:0;margin:0 auto;">'
        )
        if block.get("href"):
            image = f'<a href="{_attr(block["href"])}" target="_blank" style="text-decoration:none;">{image}</a>'
        return image
    if kind == "button":
        return _button_html(block["label"], block["url"], block.get("color") or ctx.brand_color)
    if kind == "divider":
        return '<hr style="border:0;border-top:1px solid #e5e7eb;margin:8px 0;">'
    if kind == "columns":
        return _columns_html(block, ctx, width)
    if kind == "event":
        return _event_html(ctx.events.get(block["event_id"]), ctx)
    if kind == "footer":
        return _footer_html(block, ctx)
    raise ValueError(kind)


def _button_html(label: str, url: str, color: str) -> str:
    color = color if _COLOR.match(color or "") else "#1d4ed8"
    return (
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0" align="center" style="margin:0 auto;">'
        f'<tr><td style="background:{color};border-radius:6px;">'
        f'<a href="{_attr(url)}" target="_blank" style="display:inline-block;padding:12px 24px;'
        f'font:bold 15px/1.2 {_FONT};color:#ffffff;text-decoration:none;">{_esc(label)}</a>'
        "</td></tr></table>"
    )


def _columns_html(block: dict, ctx: RenderContext, width: int) -> str:
    # Two inline blocks that sit side by side on a desktop and wrap under each other on a phone,
    # without a media query (some mail apps drop <style>).
    half = (width - 16) // 2
    cells = []
    for side in ("left", "right"):
        inner = "".join(
            f'<div style="padding:0 0 12px;">{_block_html(child, ctx, half)}</div>' for child in block[side]
        )
        cells.append(
            f'<div style="display:inline-block;width:100%;max-width:{half}px;vertical-align:top;margin:0 4px;'
            f'text-align:left;font:15px/1.5 {_FONT};">{inner}</div>'
        )
    return f'<div style="text-align:center;font-size:0;">{"".join(cells)}</div>'


def _event_html(card: EventCard | None, ctx: RenderContext) -> str:
    if card is None:
        gone = _("(This event is no longer available.)")
        return f'<p style="margin:0;color:#6b7280;">{_esc(gone)}</p>'
    register = _("Register")
    venue = f'<p style="margin:0 0 12px;color:#374151;">{_esc(card.venue)}</p>' if card.venue else ""
    return (
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="border:1px solid #e5e7eb;border-radius:8px;">'
        '<tr><td style="padding:16px;">'
        f'<p style="margin:0 0 4px;font:bold 18px/1.3 {_FONT};color:#111827;">{_esc(card.name)}</p>'
        f'<p style="margin:0 0 4px;color:#374151;">{_esc(card.when)}</p>'
        f"{venue}"
        f"{_button_html(register, card.url, ctx.brand_color)}"
        "</td></tr></table>"
    )


def _footer_html(block: dict, ctx: RenderContext) -> str:
    note = f'<p style="margin:0 0 8px;">{_esc(block["text"])}</p>' if block.get("text") else ""
    address = "<br>".join(_esc(line) for line in ctx.org_address.splitlines() if line.strip())
    unsubscribe = _("Unsubscribe")
    why = _("You receive this email because you are in the contacts of %(org)s.", org=ctx.org_name)
    link = (
        f'<a href="{ctx.unsubscribe_url if ctx.unsubscribe_url == UNSUBSCRIBE_PLACEHOLDER else _attr(ctx.unsubscribe_url)}" '
        f'style="color:#6b7280;text-decoration:underline;">{_esc(unsubscribe)}</a>'
    )
    return (
        f'<div style="border-top:1px solid #e5e7eb;padding-top:16px;font:12px/1.5 {_FONT};color:#6b7280;'
        f'text-align:center;">{note}'
        f'<p style="margin:0 0 8px;"><strong>{_esc(ctx.org_name)}</strong>'
        f"{'<br>' + address if address else ''}</p>"
        f'<p style="margin:0;">{_esc(why)} '
        f"{link}</p></div>"
    )


def markdown_html(source: str, link_color: str = "#1d4ed8") -> str:
    """Markdown as sanitized HTML with inline styles (mail apps ignore style sheets). Placeholders
    pass through untouched, so Markdown cannot mangle them and nh3 cannot escape them."""
    kept: list[str] = []

    def keep(match: re.Match) -> str:
        kept.append(match.group(0))
        return f"rcph{len(kept) - 1}rcph"

    protected = _PLACEHOLDER.sub(keep, source)
    protected = re.sub(r"(?m)^# ", "## ", protected)  # the email's own headings are the heading blocks
    rendered = markdown.markdown(protected, extensions=["sane_lists", "tables"], output_format="html")
    clean = nh3.clean(
        rendered,
        tags=_MD_TAGS,
        attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
    )
    color = link_color if _COLOR.match(link_color or "") else "#1d4ed8"
    styled = _MD_OPEN_TAG.sub(lambda m: f'<{m.group(1)} style="{_MD_STYLES[m.group(1)].format(link=color)}"', clean)
    return re.sub(r"rcph(\d+)rcph", lambda m: kept[int(m.group(1))], styled)


def _block_text(block: dict, ctx: RenderContext) -> str:
    kind = block["type"]
    if kind == "heading":
        return block["text"] + ("\n" + "=" * min(len(block["text"]), 60) if block["level"] == 1 else "")
    if kind == "text":
        return html_to_text(markdown_html(block["markdown"])).strip()
    if kind == "image":
        return f"{block['alt']}: {block['href']}" if block.get("href") else ""
    if kind == "button":
        return f"{block['label']}: {block['url']}"
    if kind == "divider":
        return "-" * 40
    if kind == "columns":
        parts = [_block_text(child, ctx) for side in ("left", "right") for child in block[side]]
        return "\n\n".join(part for part in parts if part)
    if kind == "event":
        card = ctx.events.get(block["event_id"])
        if card is None:
            return _("(This event is no longer available.)")
        register = _("Register")
        lines = [card.name, card.when, card.venue, f"{register}: {card.url}"]
        return "\n".join(line for line in lines if line)
    if kind == "footer":
        lines = ["-- ", block.get("text", ""), ctx.org_name, ctx.org_address.strip()]
        unsubscribe = _("Unsubscribe")
        lines.append(f"{unsubscribe}: {ctx.unsubscribe_url}")
        return "\n".join(line for line in lines if line)
    raise ValueError(kind)


# Plain text from raw HTML -----------------------------------------------------------------------

_BLOCK_TAGS = {"p", "div", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "pre",
               "section", "article", "header", "footer", "center", "hr"}  # fmt: skip
_SKIPPED = {"script", "style", "head", "title", "template", "noscript"}
_VOID = {"br", "img", "hr", "meta", "link", "input", "wbr"}


def _hidden(attrs: list) -> bool:
    style = (dict(attrs).get("style") or "").replace(" ", "").lower()
    return "display:none" in style


class _TextMaker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping: list[str] = []  # the open elements whose content is not text: scripts, hidden preheaders
        self.links: list[str | None] = []
        self.pre = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIPPED or (_hidden(attrs) and tag not in _VOID):
            self.skipping.append(tag)
            return
        if self.skipping:
            return
        values = dict(attrs)
        if tag in _BLOCK_TAGS:
            self.out.append("\n\n")
        if tag == "hr":
            self.out.append("-" * 40 + "\n\n")
        elif tag == "br":
            self.out.append("\n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in ("td", "th"):
            self.out.append(" ")
        elif tag == "pre":
            self.pre += 1
        elif tag == "a":
            self.links.append(values.get("href"))
        elif tag == "img" and values.get("alt"):
            self.out.append(values["alt"])

    def handle_endtag(self, tag):
        if self.skipping:
            if self.skipping[-1] == tag:
                self.skipping.pop()
            return
        if tag == "a" and self.links:
            href = (self.links.pop() or "").strip()
            shown = href.removeprefix("mailto:")
            if href.lower().startswith(("http://", "https://", "mailto:", "{{")) and not "".join(
                self.out[-3:]
            ).rstrip().endswith(shown):
                self.out.append(f" ({shown})")
        elif tag in _BLOCK_TAGS:
            self.out.append("\n\n")
        elif tag == "pre":
            self.pre = max(self.pre - 1, 0)

    def handle_data(self, data):
        if not self.skipping:
            self.out.append(data if self.pre else re.sub(r"\s+", " ", data))


def html_to_text(source: str) -> str:
    """The plain text of an HTML email: paragraphs and line breaks kept, links as "text (URL)",
    lists as "- item", images by their alt text, no scripts, styles or hidden preheaders."""
    maker = _TextMaker()
    maker.feed(source or "")
    maker.close()
    text = "".join(maker.out)
    lines = [line.strip() for line in text.replace("\r", "").split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text + "\n" if text else ""
