"""What the events domain does when the accounts domain (below it) announces a change at once
(webapp/signals.py): the organization's name, colour and logo are on every landing page."""

from __future__ import annotations

from webapp import signals
from webapp.events.models import Event, pages_changed_here


@signals.organization_look_changed.connect
def _landing_pages_changed(org_id: int, **kwargs) -> None:
    """Cached landing pages of the organization's events stop being served (page_cache.py)."""
    Event.update(page_version=Event.page_version + 1).where(Event.organization == org_id).execute()
    pages_changed_here()
