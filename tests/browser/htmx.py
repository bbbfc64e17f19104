"""Waiting for htmx in a real browser.

htmx is loaded deferred, so a page can be on screen, and typed into, before htmx has wired up its
elements; an event before that sends nothing. A test that types as soon as a page shows waits here
first, as a person's first keystroke would come later.
"""

from __future__ import annotations


def wired(page, selector: str) -> None:
    """Wait until htmx has processed the element `selector` (its listeners are in place)."""
    page.wait_for_function("s => document.querySelector(s)?.['htmx-internal-data']?.initHash", arg=selector)
