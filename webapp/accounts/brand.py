"""An organization's look on its public pages: the brand colour and colours that stay readable on
it and beside it (WCAG 2 contrast), as CSS custom properties."""

from __future__ import annotations

import re

from webapp.accounts.models import Organization

DEFAULT = "#1d4ed8"
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
DARK_TEXT = "#0f172a"
LIGHT_TEXT = "#ffffff"
PAGE_LIGHT = "#ffffff"  # the card the brand colour sits on in light mode
PAGE_DARK = "#111827"  # and in dark mode
READABLE = 4.5  # WCAG AA for body text


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(max(0, min(255, c))):02x}" for c in rgb)


def luminance(color: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_on(color: str) -> str:
    """White or near-black, whichever reads better on `color` (a button in the brand colour)."""
    return LIGHT_TEXT if contrast(color, LIGHT_TEXT) >= contrast(color, DARK_TEXT) else DARK_TEXT


def ink_on(color: str, page: str) -> str:
    """The brand colour for links and headings on `page`: itself when it reads well there, else
    moved towards black (light page) or white (dark page) until it does."""
    toward = (0, 0, 0) if luminance(page) > 0.5 else (255, 255, 255)
    start = _rgb(color)
    for step in range(21):
        mix = step / 20
        candidate = _hex(tuple(c + (t - c) * mix for c, t in zip(start, toward, strict=True)))
        if contrast(candidate, page) >= READABLE:
            return candidate
    return _hex(toward)


def colors(org: Organization | None) -> dict[str, str]:
    color = (org.brand_color if org is not None else "") or DEFAULT
    color = color.lower() if HEX.match(color) else DEFAULT
    return {
        "brand": color,
        "brand-fg": text_on(color),
        "brand-ink": ink_on(color, PAGE_LIGHT),
        "brand-ink-dark": ink_on(color, PAGE_DARK),
    }


def style(org: Organization | None) -> str:
    """`--brand: …; --brand-fg: …` for a style attribute (values are checked hex colours)."""
    return "; ".join(f"--{name}: {value}" for name, value in colors(org).items())
