"""Operator texts: sanitized Markdown and per-language fields."""

from __future__ import annotations

import functools
import re
import unicodedata

import markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "u", "s", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


@functools.lru_cache(maxsize=512)
def _render(text: str) -> str:
    html = markdown.markdown(text, extensions=["sane_lists", "tables"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    )


def render_markdown(text: str | None) -> Markup:
    """Markdown -> HTML safe to show anyone: no scripts, no event handlers, no javascript: links.
    Headings start at h2 (the page's h1 is the event name)."""
    if not text or not text.strip():
        return Markup("")
    return Markup(_render(_demote_h1(text)))  # noqa: S704 (nh3 has sanitized it)


def _demote_h1(text: str) -> str:
    return re.sub(r"(?m)^# ", "## ", text)


def plain_text(text: str | None, limit: int = 300) -> str:
    """The Markdown as plain text (for meta descriptions and calendar entries)."""
    if not text:
        return ""
    html = markdown.markdown(text)
    stripped = re.sub(r"\s+", " ", nh3.clean(html, tags=set())).strip()
    return stripped if len(stripped) <= limit else stripped[: limit - 1].rstrip() + "…"


def slugify(value: str, max_length: int = 80) -> str:
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-")


SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def localized(obj, field: str, locale: str | None) -> str:
    """`obj.<field>` in `locale` when the operator translated it, else the default-language text.
    Works for events, products and questions (anything with a `translations` dict)."""
    base = getattr(obj, field)
    if not locale:
        return base
    translated = (getattr(obj, "translations", None) or {}).get(str(locale), {}).get(field)
    if isinstance(base, list):
        # Option lists: a translated label per option, falling back one by one.
        translated = translated or []
        return [t if i < len(translated) and (t := translated[i]) else b for i, b in enumerate(base)]
    return translated if translated and str(translated).strip() else base
