"""Audiences' background work: sending a push to its audience, a slice at a time."""

from __future__ import annotations

from tasks import huey  # noqa: F401  (the instance every task module shares)
from webapp import work
from webapp.audiences import service


@work.handles(service.SEND)
def send_push(payload: dict) -> object:
    return service.send_step(payload["message_id"])
