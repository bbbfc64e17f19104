"""What a request may carry: redirect targets that stay on this site."""

from __future__ import annotations


def safe_redirect_target(target: str | None) -> str | None:
    """`target` when it is a path on this site (such as /console/orders?page=2); None otherwise.
    Browsers drop tabs and line breaks from a URL and read a backslash as a slash, so
    "/\\t/evil.example" would lead to another site: any control character or backslash refuses it."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or has_control_characters(target):
        return None
    return target


def has_control_characters(text: str) -> bool:
    """True for a line break, tab or other control character."""
    return any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 or char in "\u2028\u2029" for char in text)
