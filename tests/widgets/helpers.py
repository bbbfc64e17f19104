"""Widget fixtures shared by the widget tests: an event on an organization that allows a site."""

from __future__ import annotations

import re

from tests.factories.accounts import make_org
from tests.factories.events import make_event
from webapp.widgets import service

SITE = "https://www.example.org"


def widget_event(origins=(SITE,), **event_values):
    org = make_org(currency="IDR")
    if origins is not None:
        service.save_origins(org, "\n".join(origins), actor=None)
    return org, make_event(org, currency="IDR", **event_values)


def register_path(event) -> str:
    return f"/widget/{event.organization.slug}/{event.slug}/register"


def checkin_path(event) -> str:
    return f"/widget/{event.organization.slug}/{event.slug}/checkin"


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} in the form"
    return found.group(1)
